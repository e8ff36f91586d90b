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
