#!/usr/bin/env bash
# What resource references and TAB completion cost, against the local demo API server:
#   D1. a warm reference (`kcurl pods`, table in the discovery cache) vs the same path;
#   D2. a cold reference (`--refresh-discovery`: two discovery requests first) vs the path;
#   D3. completion of a resource type with a warm cache (`kcurl dep<TAB>`), and of object names
#       (`kcurl deploy/<TAB>`, one live list request).
# Targets (issue 15): D1 adds < 1 ms, D3's type completion answers in < 20 ms.
#
#   bench/discovery.sh           # RUNS=200 by default: the D1 difference is a fraction of a ms
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-200}

. bench/lib.sh

start_demo
export HOME="$work" XDG_CACHE_HOME="$work/cache"
PATH_CMD="$KCURL -c -o json /api/v1/namespaces/demo/pods"
REF_CMD="$KCURL -c -o json pods"
"$KCURL" pods >/dev/null   # writes the discovery cache

echo "## kcurl discovery benchmark — $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), $("$KCURL" --version)"
echo
echo "### D1/D2. A reference vs the same path (median of $RUNS runs)"
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$work/d1.json" \
  "$PATH_CMD" "$REF_CMD" "$KCURL -c -o json --refresh-discovery pods" >/dev/null
p=$(median 0 "$work/d1.json"); w=$(median 1 "$work/d1.json"); c=$(median 2 "$work/d1.json")
echo "| command | median | added by the reference |"
echo "|---|---|---|"
echo "| \`kcurl /api/v1/namespaces/demo/pods\` | $(ms "$p") | |"
echo "| \`kcurl pods\`, warm cache | $(ms "$w") | $(awk -v a="$w" -v b="$p" 'BEGIN { printf "%.2f ms", (a - b) * 1000 }') |"
echo "| \`kcurl pods --refresh-discovery\` (cold) | $(ms "$c") | $(awk -v a="$c" -v b="$p" 'BEGIN { printf "%.2f ms", (a - b) * 1000 }') |"
echo
echo "### D3. TAB completion (median of $RUNS runs)"
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$work/d3.json" \
  "env KCURL_COMPLETE=fish $KCURL -- kcurl dep" \
  "env KCURL_COMPLETE=fish $KCURL -- kcurl /apis/apps/v1/" \
  "env KCURL_COMPLETE=fish $KCURL -- kcurl deploy/" >/dev/null
echo "| completing | median |"
echo "|---|---|"
echo "| \`kcurl dep<TAB>\` (warm cache) | $(ms "$(median 0 "$work/d3.json")") |"
echo "| \`kcurl /apis/apps/v1/<TAB>\` (warm cache) | $(ms "$(median 1 "$work/d3.json")") |"
echo "| \`kcurl deploy/<TAB>\` (one live list) | $(ms "$(median 2 "$work/d3.json")") |"
