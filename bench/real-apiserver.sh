#!/usr/bin/env bash
# kcurl vs curl vs kubectl against a REAL kube-apiserver v1.36 (tests/apiserver: the conformance
# suite's fixture, with an embedded etcd), side by side in one run. Run as `bench/compare.sh
# --real-apiserver` (or directly). Needs Go (the fixture is built with `go build`, cached); installs
# hyperfine, jq and GNU time from Debian when missing (as root); kubectl rows are optional.
#
#   RUNS=20 bench/compare.sh --real-apiserver
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-30}
N=${N:-5000}

. bench/lib.sh
command -v go >/dev/null || { echo "the real-apiserver benchmark needs Go on PATH" >&2; exit 1; }

cargo build --release --quiet --bin kcurl
KCURL=$PWD/target/release/kcurl
fixture=$PWD/target/tmp/kcurl-apiserver/kcurl-apiserver-bench
mkdir -p "$(dirname "$fixture")"
(cd tests/apiserver && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath \
  -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v1.36.3 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36" \
  -o "$fixture" .)

work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
"$fixture" -remove-dir -dir "$work/api" < <(sleep 1000000) > "$work/ready" 2> "$work/server.log" &
server_pid=$!
for _ in $(seq 1200); do grep -q '^ready ' "$work/ready" 2>/dev/null && break; sleep 0.1; done
SERVER=$(sed -n 's/^ready //p' "$work/ready")
[ -n "$SERVER" ] || { echo "the fixture did not start; log:" >&2; tail -20 "$work/server.log" >&2; exit 1; }
export KUBECONFIG="$work/api/kubeconfig"
CA="$work/api/ca.crt"
TOKEN=kcurl-admin-token
CURL="curl -sS --fail-with-body --cacert $CA -H 'Authorization: Bearer $TOKEN'"

# N ConfigMaps of ~1 KB each in one namespace (4 writers at a time).
"$KCURL" -c -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}' /api/v1/namespaces >/dev/null
payload=$(head -c 900 /dev/zero | tr '\0' x)
seq 1 "$N" | xargs -P 4 -I{} "$KCURL" -n bench -c -o json -d \
  "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-{}\",\"labels\":{\"app\":\"bench\"}},\"data\":{\"payload\":\"$payload\"}}" \
  '/api/v1/namespaces/{ns}/configmaps' >/dev/null
LIST=/api/v1/namespaces/bench/configmaps


"$KCURL" /version >/dev/null; eval "$CURL $SERVER/version" >/dev/null
[ -n "$KUBECTL" ] && "$KUBECTL" get --raw /version >/dev/null

echo "## kcurl against a real kube-apiserver $("$KCURL" /version --jq .gitVersion) — $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $("$KCURL" --version)"
echo
echo "### R1. One-shot GET /version (median of $RUNS runs)"
cmds=("$KCURL /version" "$CURL $SERVER/version")
[ -n "$KUBECTL" ] && cmds+=("$KUBECTL get --raw /version")
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/r1.json" "${cmds[@]}" >/dev/null 2>&1 \
  || hyperfine --warmup 5 --runs "$RUNS" --export-json "$work/r1.json" "${cmds[@]}" >/dev/null
k=$(median 0 "$work/r1.json"); c=$(median 1 "$work/r1.json")
echo "| tool | median | kcurl is |"
echo "|---|---|---|"
echo "| kcurl | $(ms "$k") | |"
echo "| curl --cacert -H 'Authorization: Bearer …' | $(ms "$c") | $(ratio "$c" "$k") faster |"
if [ -n "$KUBECTL" ]; then q=$(median 2 "$work/r1.json"); echo "| kubectl get --raw | $(ms "$q") | $(ratio "$q" "$k") faster |"; fi
echo

size=$(eval "$CURL --compressed '$SERVER$LIST'" | wc -c | awk '{printf "%.1f MB", $1/1e6}')
echo "### R2. $N-ConfigMap list ($size), pretty-printed to /dev/null"
runs2=$(( RUNS / 3 > 5 ? RUNS / 3 : 5 ))
cmds=("$KCURL '$LIST' > /dev/null" "$CURL --compressed '$SERVER$LIST' | jq . > /dev/null")
[ -n "$KUBECTL" ] && cmds+=("$KUBECTL get --raw '$LIST' | jq . > /dev/null")
hyperfine --warmup 2 --runs "$runs2" --export-json "$work/r2.json" "${cmds[@]}" >/dev/null
k=$(median 0 "$work/r2.json"); c=$(median 1 "$work/r2.json")
echo "| pipeline | median | peak RSS (largest process) | kcurl is |"
echo "|---|---|---|---|"
echo "| kcurl | $(ms "$k") | $(rss_kb "${cmds[0]}") KB | |"
echo "| curl --compressed \| jq . | $(ms "$c") | $(rss_kb "${cmds[1]}") KB | $(ratio "$c" "$k") faster |"
if [ -n "$KUBECTL" ]; then q=$(median 2 "$work/r2.json"); echo "| kubectl get --raw \| jq . | $(ms "$q") | $(rss_kb "${cmds[2]}") KB | $(ratio "$q" "$k") faster |"; fi
echo

echo "### R3. --jq over the same list"
p1='.items[].metadata.name'
p2='[.items[] | select(.metadata.labels.app == "bench") | .metadata.name] | length'
cmds=("$KCURL --jq '$p1' '$LIST' > /dev/null" "$CURL --compressed '$SERVER$LIST' | jq -r '$p1' > /dev/null"
      "$KCURL --jq '$p2' '$LIST' > /dev/null" "$CURL --compressed '$SERVER$LIST' | jq '$p2' > /dev/null")
hyperfine --warmup 2 --runs "$runs2" --export-json "$work/r3.json" "${cmds[@]}" >/dev/null
echo "| program | kcurl --jq | curl \| jq | kcurl is |"
echo "|---|---|---|---|"
k=$(median 0 "$work/r3.json"); c=$(median 1 "$work/r3.json")
echo "| \`$p1\` | $(ms "$k") | $(ms "$c") | $(ratio "$c" "$k") faster |"
k=$(median 2 "$work/r3.json"); c=$(median 3 "$work/r3.json")
echo "| \`[.items[] \| select(…) \| .metadata.name] \| length\` | $(ms "$k") | $(ms "$c") | $(ratio "$c" "$k") faster |"
echo

echo "### R4. Watch latency: PATCH sent → the event on the tool's stdout (100 patches)"
"$KCURL" -n bench -c -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"latency"}}' '/api/v1/namespaces/{ns}/configmaps' >/dev/null
W='/api/v1/namespaces/bench/configmaps?watch=1&fieldSelector=metadata.name%3Dlatency'
lat() { python3 bench/watch_latency.py "$SERVER" "$CA" "$TOKEN" bench 100 -- "$@"; }
echo "| tool | median | p99 | events |"
echo "|---|---|---|---|"
echo "| kcurl -c | $(lat "$KCURL" -c "$W") |"
echo "| curl -N | $(lat curl -sSN --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$SERVER$W") |"
[ -n "$KUBECTL" ] && echo "| kubectl get --raw | $(lat "$KUBECTL" get --raw "$W") |"
echo
