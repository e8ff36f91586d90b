#!/usr/bin/env bash
# What one client per target buys (issue 11): `--paginate` over 20 one-item pages and
# `--until` over several polls, against the local demo API server, side by side with kubectl's
# own chunked list (`kubectl get --chunk-size=1`, which also reuses its connection).
#   P1. TCP connections opened by kcurl for 20 pages and for 5 polls (strace counts connect()).
#   P2. wall time of the 20-page list: kcurl vs kubectl (median of $RUNS runs).
#
#   bench/paginate.sh            # RUNS=20 by default
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}

. bench/lib.sh
command -v strace >/dev/null || { echo "please install strace" >&2; exit 1; }

start_demo
export HOME="$work"
PORT=${SERVER##*:}

# 20 ConfigMaps in a namespace of their own: 20 pages of one item.
"$KCURL" -s -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"pages"}}' /api/v1/namespaces >/dev/null
for i in $(seq -w 1 20); do
  "$KCURL" -s -d "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-$i\"}}" \
    /api/v1/namespaces/pages/configmaps >/dev/null
done
PAGES="$KCURL -c --paginate -P limit=1 /api/v1/namespaces/pages/configmaps"
items=$($PAGES --jq '.items | length' 2>/dev/null | awk '{ s += $1 } END { print s }')
[ "$items" = 20 ] || { echo "expected 20 items over the pages, got $items" >&2; exit 1; }

connects() { strace -f -qq -e trace=connect "$@" 2>&1 >/dev/null | grep -c "htons($PORT)" || true; }

echo "## kcurl pagination benchmark — $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $("$KCURL" --version)"
echo
echo "### P1. Connections"
echo "| command | TCP connections |"
echo "|---|---|"
echo "| \`kcurl --paginate -P limit=1\` (20 pages) | $(connects $PAGES) |"
echo "| \`kcurl --until\` (5 polls, 0.1 s apart) | $(connects "$KCURL" -s --until '.metadata.name == "never"' --interval 0.1 --timeout 0.45 /api/v1/namespaces/pages/configmaps/cm-01) |"
[ -n "$KUBECTL" ] && echo "| \`kubectl get configmaps --chunk-size=1\` (20 pages) | $(connects "$KUBECTL" get configmaps -n pages --chunk-size=1 -o name) |"
echo
echo "### P2. Wall time of 20 one-item pages (median of $RUNS runs)"
cmds=("$PAGES")
[ -n "$KUBECTL" ] && cmds+=("$KUBECTL get configmaps -n pages --chunk-size=1 -o json")
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$work/p2.json" "${cmds[@]}" >/dev/null
echo "| command | median |"
echo "|---|---|"
echo "| \`kcurl --paginate -P limit=1\` | $(ms "$(median 0 "$work/p2.json")") |"
[ -n "$KUBECTL" ] && echo "| \`kubectl get --chunk-size=1 -o json\` | $(ms "$(median 1 "$work/p2.json")") |"
true
