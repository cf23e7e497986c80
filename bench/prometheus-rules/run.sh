#!/usr/bin/env bash
# Reference run: Prometheus (Debian 2.42 `prometheus` + `promtool`) evaluating the rule benchmarks' rules over the
# benchmarks' data, to report Monitor's rule-evaluation figures as ratios.
#
#   workload 1 = bench/Monitor.Benchmarks/Rules/RuleEvaluationBenchmarks.cs: 200 rules, 10k checks x 10 probe_* gauges
#                (100k series), 15 s evaluation interval, 15 min of 15 s history, every 7th series +1 per tick
#   workload 2 = bench/Monitor.Benchmarks/Rules/LongRangeRuleBenchmarks.cs: 125 rules with [1d] ranges, offset 1d and a
#                [1d:1h] subquery, 1k checks x 10 probe_* gauges (10k series), 24 h + 15 min of 15 s history
#
# For each workload: the history is written as OpenMetrics text (one file per 2 h-aligned window, so promtool parses each
# once per block) and backfilled with `promtool tsdb create-blocks-from openmetrics` into a fresh TSDB; the last backfilled
# tick lies LEAD seconds in the future, and from then on a small python exposition server serves the current tick's values
# (with the tick's timestamp) that Prometheus scrapes every 15 s, so the series continue without a gap. Prometheus then
# evaluates the rule group every 15 s; after its compactions of the backfilled blocks have settled, the script samples
# prometheus_rule_group_last_duration_seconds (and RSS, heap) after each of EVALS evaluations and reports the median.
#
# Usage: bench/prometheus-rules/run.sh            (both workloads)
#        WORKLOADS=2 EVALS=30 bench/prometheus-rules/run.sh
# Needs: bash, python3, prometheus, promtool. Work files under a mktemp dir in /tmp (removed at exit); the results
# (summary.txt and per-workload JSON) go to $RESULTS (default /tmp/prometheus-rules-results).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PY="python3 $HERE/bench.py"
WORKLOADS=${WORKLOADS:-"1 2"}
EVALS=${EVALS:-20}
LEAD=${LEAD:-45}
PROM_PORT=${PROM_PORT:-19090}
EXPO_PORT=${EXPO_PORT:-19091}
RESULTS=${RESULTS:-/tmp/prometheus-rules-results}
PROM_URL="http://127.0.0.1:$PROM_PORT"

WORK=$(mktemp -d /tmp/prometheus-rules.XXXXXX)
PROM_PID=""
EXPO_PID=""

stop() {
  if [[ -n "$PROM_PID" ]]; then kill "$PROM_PID" 2>/dev/null || true; wait "$PROM_PID" 2>/dev/null || true; PROM_PID=""; fi
  if [[ -n "$EXPO_PID" ]]; then kill "$EXPO_PID" 2>/dev/null || true; wait "$EXPO_PID" 2>/dev/null || true; EXPO_PID=""; fi
}
cleanup() { stop; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$RESULTS"
$PY selftest
{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GiB"
  prometheus --version 2>&1 | head -1
  promtool --version 2>&1 | head -1
} > "$RESULTS/summary.txt"

run_workload() {
  local w=$1 hist_ticks group
  if [[ $w == 1 ]]; then hist_ticks=61; group=bench; else hist_ticks=5821; group=day; fi  # 15 min / 24 h + 15 min at 15 s
  local dir="$WORK/w$w"
  mkdir -p "$dir/tsdb"
  $PY rules "$w" > "$dir/rules.yml"
  promtool check rules "$dir/rules.yml"
  cat > "$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 15s
  scrape_timeout: 10s
  evaluation_interval: 15s
rule_files:
  - $dir/rules.yml
scrape_configs:
  - job_name: exposition
    honor_timestamps: true
    static_configs:
      - targets: ["127.0.0.1:$EXPO_PORT"]
    metric_relabel_configs:
      # the benchmarks' series carry only check, service, team
      - action: labeldrop
        regex: job|instance
EOF
  promtool check config "$dir/prometheus.yml"

  # Tick k lies at BASE + 15 k; ticks 0 .. hist_ticks-1 end now, the last file runs on to now + LEAD.
  local now base from to ts boundary end_tick t0 t1
  now=$(date +%s)
  base=$(( now / 15 * 15 - 15 * (hist_ticks - 1) ))
  echo "== workload $w: base $base ($(date -u -d @$base +%FT%TZ)), backfilling" | tee -a "$RESULTS/summary.txt"
  t0=$(date +%s)
  from=0
  while :; do
    end_tick=$(( ($(date +%s) + LEAD - base) / 15 + 1 ))
    (( from < end_tick )) || break
    ts=$(( base + 15 * from ))
    boundary=$(( (ts / 7200 + 1) * 7200 ))
    to=$(( (boundary - base) / 15 ))
    (( to > end_tick )) && to=$end_tick
    $PY om "$w" "$base" "$from" "$to" "$dir/part.om"
    promtool tsdb create-blocks-from openmetrics -q "$dir/part.om" "$dir/tsdb" >/dev/null
    rm -f "$dir/part.om"
    from=$to
  done
  t1=$(date +%s)
  local last_ts=$(( base + 15 * (from - 1) ))
  promtool tsdb list "$dir/tsdb" > "$RESULTS/w$w-blocks-backfilled.txt"
  local samples
  samples=$(awk 'NR>1{s+=$(NF-3)}END{print s}' "$RESULTS/w$w-blocks-backfilled.txt")
  echo "backfilled ticks 0..$((from - 1)) (last at +$(( last_ts - $(date +%s) ))s from now) in $((t1 - t0)) s: $samples samples in $(( $(wc -l < "$RESULTS/w$w-blocks-backfilled.txt") - 1 )) blocks" | tee -a "$RESULTS/summary.txt"

  $PY serve "$w" "$base" "$EXPO_PORT" &
  EXPO_PID=$!
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
    --storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$PROM_PORT" > "$dir/prometheus.log" 2>&1 &
  PROM_PID=$!
  $PY wait-ready "$PROM_URL" 120
  echo "load before sampling: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS/summary.txt"
  # Sample only evaluations after the last backfilled tick (before it the head rejects the rules' ALERTS samples).
  $PY measure "$PROM_URL" "$group" "$EVALS" "$(( last_ts + 15 ))" "$RESULTS/w$w-measure.json" | tee "$RESULTS/w$w-measure.txt"
  $PY verify "$w" "$PROM_URL" "$base" "$RESULTS/w$w-verify.json" | tee "$RESULTS/w$w-verify.txt"
  echo "load after sampling: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RESULTS/summary.txt"
  stop
  promtool tsdb list "$dir/tsdb" > "$RESULTS/w$w-blocks-after.txt" 2>&1 || true
  cp "$dir/prometheus.log" "$RESULTS/w$w-prometheus.log"
  cp "$dir/rules.yml" "$RESULTS/w$w-rules.yml"
  cp "$dir/prometheus.yml" "$RESULTS/w$w-prometheus.yml"
  python3 - "$RESULTS/w$w-measure.json" "$RESULTS/w$w-verify.json" >> "$RESULTS/summary.txt" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1])); v = json.load(open(sys.argv[2]))
print(f"rule group duration: median {m['median_ms']:.1f} ms (p25 {m['p25_ms']:.1f}, p75 {m['p75_ms']:.1f}, min {m['min_ms']:.1f}, max {m['max_ms']:.1f}) over {m['evaluations']} evaluations")
print(f"RSS median {m['rss_mib_median']:.0f} MiB (max {m['rss_mib_max']:.0f}); go heap in use median {m['heap_inuse_mib_median']:.0f} MiB (max {m['heap_inuse_mib_max']:.0f})")
print(f"rule samples written per evaluation {m['rule_samples_per_eval']:.0f}; missed iterations {m['missed_iterations']:.0f}; rule failures {m['rule_failures']:.0f}; head series {m['head_series']:.0f}; scrape duration median {m['scrape_duration_ms_median']} ms")
for k, val in v.items():
    if k != "spot_values":
        print(f"verify {k} = {val}")
EOF
  rm -rf "$dir"
}

for w in $WORKLOADS; do
  run_workload "$w"
done
echo
cat "$RESULTS/summary.txt"
