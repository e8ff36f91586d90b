#!/usr/bin/env bash
# kcurl vs curl vs kubectl, side by side in one run, against the local demo API server
# (examples/demo_server/: TLS, a token, generated PodLists). Prints a Markdown table of medians
# and ratios plus peak RSS. Wall times use hyperfine; peak RSS uses GNU time (/usr/bin/time -v).
#
#   bench/compare.sh            # full run (a few minutes)
#   RUNS=20 bench/compare.sh    # fewer runs
#   bench/compare.sh --real-apiserver   # the same tools against a real kube-apiserver
#                                       # (bench/real-apiserver.sh; needs Go)
#
# Installs hyperfine, jq and GNU time from Debian when missing (as root). kubectl is optional:
# its rows are skipped when it is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--real-apiserver" ]; then exec bench/real-apiserver.sh; fi
RUNS=${RUNS:-50}

. bench/lib.sh

start_demo
TOKEN=$(cat "$work/demo/token")
CA="$work/demo/ca.crt"
CURL="curl -sS --fail-with-body --cacert $CA -H 'Authorization: Bearer $TOKEN'"

# Warm the server's PodList cache and check every tool works before timing anything.
"$KCURL" /version >/dev/null
eval "$CURL $SERVER/version" >/dev/null
[ -n "$KUBECTL" ] && "$KUBECTL" get --raw /version >/dev/null
"$KCURL" '/bench/pods?n=10000' >/dev/null


echo "## kcurl benchmark — $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $("$KCURL" --version)"
echo
echo "### 1. One-shot GET /version (median of $RUNS runs)"
cmds=("$KCURL /version" "$CURL $SERVER/version")
[ -n "$KUBECTL" ] && cmds+=("$KUBECTL get --raw /version")
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/h1.json" "${cmds[@]}" >/dev/null 2>&1 \
  || hyperfine --warmup 5 --runs "$RUNS" --export-json "$work/h1.json" "${cmds[@]}" >/dev/null
k=$(median 0 "$work/h1.json"); c=$(median 1 "$work/h1.json")
echo "| tool | median | kcurl is |"
echo "|---|---|---|"
echo "| kcurl | $(ms "$k") | |"
echo "| curl --cacert -H 'Authorization: Bearer …' | $(ms "$c") | $(ratio "$c" "$k") faster |"
if [ -n "$KUBECTL" ]; then
  q=$(median 2 "$work/h1.json")
  echo "| kubectl get --raw | $(ms "$q") | $(ratio "$q" "$k") faster |"
fi
echo

echo "### 2. 10,000-pod PodList ($(eval "$CURL '$SERVER/bench/pods?n=10000'" | wc -c | awk '{printf "%.1f MB", $1/1e6}')), pretty-printed to /dev/null"
runs2=$(( RUNS / 5 > 5 ? RUNS / 5 : 5 ))
cmds=("$KCURL '/bench/pods?n=10000' > /dev/null" "$CURL '$SERVER/bench/pods?n=10000' | jq . > /dev/null")
[ -n "$KUBECTL" ] && cmds+=("$KUBECTL get --raw '/bench/pods?n=10000' | jq . > /dev/null")
hyperfine --warmup 2 --runs "$runs2" --export-json "$work/h2.json" "${cmds[@]}" >/dev/null
k=$(median 0 "$work/h2.json"); c=$(median 1 "$work/h2.json")
echo "| pipeline | median | peak RSS (largest process) | kcurl is |"
echo "|---|---|---|---|"
echo "| kcurl | $(ms "$k") | $(rss_kb "${cmds[0]}") KB | |"
echo "| curl \| jq . | $(ms "$c") | $(rss_kb "${cmds[1]}") KB | $(ratio "$c" "$k") faster |"
if [ -n "$KUBECTL" ]; then
  q=$(median 2 "$work/h2.json")
  echo "| kubectl get --raw \| jq . | $(ms "$q") | $(rss_kb "${cmds[2]}") KB | $(ratio "$q" "$k") faster |"
fi
echo

echo "### 2b. --jq '.items[].metadata.name' on the same list"
cmds=("$KCURL --jq '.items[].metadata.name' '/bench/pods?n=10000' > /dev/null" "$CURL '$SERVER/bench/pods?n=10000' | jq -r '.items[].metadata.name' > /dev/null" "$KCURL --jq '[.items[] | select(.status.phase == \"Running\") | .metadata.name] | length' '/bench/pods?n=10000' > /dev/null" "$CURL '$SERVER/bench/pods?n=10000' | jq '[.items[] | select(.status.phase == \"Running\") | .metadata.name] | length' > /dev/null")
hyperfine --warmup 2 --runs "$runs2" --export-json "$work/h2b.json" "${cmds[@]}" >/dev/null
k=$(median 0 "$work/h2b.json"); c=$(median 1 "$work/h2b.json"); k2=$(median 2 "$work/h2b.json"); c2=$(median 3 "$work/h2b.json")
echo "| program | kcurl --jq | curl \| jq | kcurl is |"
echo "|---|---|---|---|"
echo "| \`.items[].metadata.name\` (a plain path: streamed projection) | $(ms "$k") | $(ms "$c") | $(ratio "$c" "$k") faster |"
echo "| \`[.items[] \| select(…) \| .metadata.name] \| length\` (full jaq) | $(ms "$k2") | $(ms "$c2") | $(ratio "$c2" "$k2") faster |"
echo

echo "### 2c. --jq programs on the same list: kcurl (item by item where it can) vs curl | jq"
echo "| program | kcurl --jq | kcurl peak RSS | curl \| jq | jq peak RSS | kcurl is |"
echo "|---|---|---|---|---|---|"
for prog in '.items[] | .metadata.name' '[.items[] | .metadata.name]' '.items | map(.metadata.name)' \
  '[.items[] | select(.status.phase == "Running")] | length' '.items | length' \
  '.items | group_by(.spec.nodeName) | map(length)' '.items | sort_by(.metadata.name) | .[0].metadata.name'; do
  q=$(printf '%q' "$prog")
  cmds=("$KCURL --jq $q '/bench/pods?n=10000' > /dev/null" "$CURL '$SERVER/bench/pods?n=10000' | jq -r $q > /dev/null")
  hyperfine --warmup 2 --runs "$runs2" --export-json "$work/h2c.json" "${cmds[@]}" >/dev/null
  k=$(median 0 "$work/h2c.json"); c=$(median 1 "$work/h2c.json")
  echo "| \`${prog//|/\\|}\` | $(ms "$k") | $(rss_kb "${cmds[0]}") KB | $(ms "$c") | $(rss_kb "${cmds[1]}") KB | $(ratio "$c" "$k") faster |"
done
cmds=("$KCURL -o yaml '/bench/pods?n=10000' > /dev/null")
hyperfine --warmup 2 --runs "$runs2" --export-json "$work/h2c.json" "${cmds[@]}" >/dev/null
echo "| \`-o yaml\` | $(ms "$(median 0 "$work/h2c.json")") | $(rss_kb "${cmds[0]}") KB | | | |"
echo

echo "### 3. Peak RSS of kcurl by response size (pretty-printed to /dev/null)"
echo "| response | kcurl peak RSS | kcurl --raw peak RSS |"
echo "|---|---|---|"
for mb in 1 25 200; do
  echo "| ${mb} MB | $(rss_kb "$KCURL '/bench/bytes?mb=$mb' > /dev/null") KB | $(rss_kb "$KCURL --raw '/bench/bytes?mb=$mb' > /dev/null") KB |"
done
echo

echo "### 4. exec credential plugin that takes 300 ms (like aws eks get-token): warm runs"
cat > "$work/plugin.sh" <<PLUGIN
#!/bin/sh
sleep 0.3
printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"%s","expirationTimestamp":"%s"}}' "$TOKEN" "\$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
PLUGIN
chmod +x "$work/plugin.sh"
cat > "$work/exec-kubeconfig" <<CFG
apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster: {server: $SERVER, certificate-authority: $CA}
users:
- name: exec
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: $work/plugin.sh, interactiveMode: Never}
contexts:
- name: exec
  context: {cluster: demo, user: exec}
current-context: exec
CFG
export XDG_CACHE_HOME="$work/cache"
runs4=$(( RUNS / 5 > 5 ? RUNS / 5 : 5 ))
cmds=("$KCURL --kubeconfig $work/exec-kubeconfig /version")
[ -n "$KUBECTL" ] && cmds+=("$KUBECTL --kubeconfig $work/exec-kubeconfig get --raw /version")
hyperfine -N --warmup 2 --runs "$runs4" --export-json "$work/h4.json" "${cmds[@]}" >/dev/null 2>&1 \
  || hyperfine --warmup 2 --runs "$runs4" --export-json "$work/h4.json" "${cmds[@]}" >/dev/null
k=$(median 0 "$work/h4.json")
echo "| tool | median | kcurl is |"
echo "|---|---|---|"
echo "| kcurl (credential cached across runs) | $(ms "$k") | |"
if [ -n "$KUBECTL" ]; then
  q=$(median 1 "$work/h4.json")
  echo "| kubectl get --raw (runs the plugin every time) | $(ms "$q") | $(ratio "$q" "$k") faster |"
fi
echo

echo "### 5. Watch event latency: server writes an event → the tool's stdout has it (100 events)"
cat > "$work/latency.py" <<'PY'
import json, sys, time, statistics
lat = []
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    now = time.time_ns()
    ev = json.loads(line)
    lat.append((now - ev["object"]["sentNanos"]) / 1e6)
lat.sort()
print(f"{statistics.median(lat):.2f} ms | {lat[int(len(lat) * 0.99) - 1]:.2f} ms | {len(lat)}")
PY
echo "| tool | median | p99 | events |"
echo "|---|---|---|---|"
echo "| kcurl -c | $("$KCURL" -c '/bench/watch?n=100&interval_ms=10' | python3 "$work/latency.py") |"
echo "| curl -N | $(eval "$CURL -N '$SERVER/bench/watch?n=100&interval_ms=10'" | python3 "$work/latency.py") |"
[ -n "$KUBECTL" ] && echo "| kubectl get --raw | $("$KUBECTL" get --raw '/bench/watch?n=100&interval_ms=10' | python3 "$work/latency.py") |"
echo

echo "### 6. The same request to 20 contexts"
{
  echo "apiVersion: v1"; echo "kind: Config"
  echo "clusters: [{name: demo, cluster: {server: $SERVER, certificate-authority: $CA}}]"
  echo "users: [{name: demo, user: {token: $TOKEN}}]"
  echo "contexts:"
  for i in $(seq -w 1 20); do echo "- {name: ctx-$i, context: {cluster: demo, user: demo}}"; done
  echo "current-context: ctx-01"
} > "$work/fleet"
runs6=$(( RUNS / 5 > 5 ? RUNS / 5 : 5 ))
cmds=("$KCURL --kubeconfig $work/fleet --all-contexts -c /version >/dev/null 2>&1")
[ -n "$KUBECTL" ] && cmds+=("for i in \$(seq -w 1 20); do $KUBECTL --kubeconfig $work/fleet --context ctx-\$i get --raw /version; done >/dev/null")
hyperfine --warmup 1 --runs "$runs6" --export-json "$work/h6.json" "${cmds[@]}" >/dev/null
k=$(median 0 "$work/h6.json")
echo "| tool | median | kcurl is |"
echo "|---|---|---|"
echo "| kcurl --all-contexts | $(ms "$k") | |"
if [ -n "$KUBECTL" ]; then
  q=$(median 1 "$work/h6.json")
  echo "| shell loop of kubectl get --raw | $(ms "$q") | $(ratio "$q" "$k") faster |"
fi
echo

echo "### 7. Binary size and start-up"
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work/h5.json" "$KCURL --version" >/dev/null 2>&1 \
  || hyperfine --warmup 5 --runs "$RUNS" --export-json "$work/h5.json" "$KCURL --version" >/dev/null
echo "| binary size | kcurl --version |"
echo "|---|---|"
echo "| $(du -k "$KCURL" | cut -f1) KB | $(ms "$(median 0 "$work/h5.json")") |"
