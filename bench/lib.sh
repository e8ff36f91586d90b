# Shared by bench/compare.sh and bench/real-apiserver.sh (sourced, not run): the tools the
# benchmarks need, installed from Debian when missing (as root), and the table helpers.

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "please install: ${need[*]}" >&2; exit 1
  fi
fi

# kubectl 1.32 when the versioned binaries are beside kubectl, else kubectl, else empty.
KUBECTL=""
if command -v kubectl >/dev/null; then
  real=$(readlink -f "$(command -v kubectl)")
  if [ -x "$(dirname "$real")/kubectl.1.32" ]; then KUBECTL="$(dirname "$real")/kubectl.1.32"; else KUBECTL=$(command -v kubectl); fi
fi

median() { jq -r ".results[$1].median" "$2"; }
rss_kb() { /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p' | sort -n | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f ms", s * 1000 }'; }

# Build kcurl and the demo API server (release), start the demo in a fresh $work directory
# (removed on exit, the server stopped) and point KUBECONFIG at it. Sets KCURL, work, SERVER.
start_demo() {
  cargo build --release --quiet --bin kcurl --example demo_server
  KCURL=$PWD/target/release/kcurl
  work=$(mktemp -d)
  server_pid=""
  trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
  target/release/examples/demo_server "$work/demo" > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do grep -q '^export KUBECONFIG' "$work/server.log" 2>/dev/null && break; sleep 0.1; done
  export KUBECONFIG="$work/demo/kubeconfig"
  SERVER=$(sed -n 's/^kcurl demo API server on \([^ ]*\).*/\1/p' "$work/server.log")
}
