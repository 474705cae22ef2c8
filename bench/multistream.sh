#!/bin/bash
# multistream.sh: many cameras in one process (issue 13)
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: bench/multistream.sh [BUILD_DIR]
#
# STREAMS (8) live 720p NV12 streams at 30 fps (videotestsrc is-live=true), each through its own
# mnv3classify mode=async (bench/multistream.py), RUN_SECONDS (12) per run, ROUNDS (3) rounds
# alternating the variants, per model:
#   batched    one process, STREAMS elements, the shared scheduler batching (GST_MNV3_BATCH_MAX=8,
#              batch-timeout=BATCH_TIMEOUT us, default 0)
#   unbatched  the same with GST_MNV3_BATCH_MAX=1
#   processes  STREAMS processes of one element each (the figures summed)
# Figures: inferred frames per second (all streams), per CPU second of the process(es) ("per
# core": the machine is shared, so CPU time, not wall time, is what the variants are compared on;
# per_sched: per CPU second of the scheduler threads, inference alone, free of the cost of making
# the frames, which a starved process pays differently from 8 processes),
# per-stream latency p50/p95 (ms from a frame to the first frame carrying its result), threads and
# RSS. Medians over the rounds. Then the RSS of 1 and STREAMS elements against the same pipeline
# with identity instead of the element, and `mnv3 bench --batch STREAMS` (inference only).
#
# Models: MODELS (space-separated .safetensors), else Small and Large-minimalistic converted with
# --float-activations from ../shared/data (MNV3_SHARED_DATA), else the random-weight bench models
# of bench/lib.sh. The scheduler runs at nice 0 here (GST_MNV3_SCHED_NICE=0): at the default +10 a
# loaded machine starves it. Exit status: 0 ok, 1 error, 77 a tool is missing.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
STREAMS=${STREAMS:-8}
SECONDS_RUN=${RUN_SECONDS:-12}
ROUNDS=${ROUNDS:-3}
BATCH_TIMEOUT=${BATCH_TIMEOUT:-0}
PY=/usr/bin/python3
$PY -c 'import gi; gi.require_version("Gst", "1.0")' 2>/dev/null || { echo "needs python3-gi" >&2; exit 77; }
export GST_PLUGIN_PATH="$PWD/$BUILD/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_MNV3_SCHED_NICE=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -z "${MODELS:-}" ]; then
  shared=${MNV3_SHARED_DATA:-../shared/data}/mobilenet_v3/models
  MODELS=""
  for n in small large-minimalistic; do
    t="$shared/v3-${n}_224_1.0_uint8.tflite"
    [ -f "$t" ] || continue
    $PY models/convert.py --float-activations "$t" -o "$tmp/$n.safetensors" >/dev/null
    MODELS="$MODELS $tmp/$n.safetensors"
  done
  [ -n "$MODELS" ] || { echo "no models: set MODELS" >&2; exit 77; }
fi

run() {  # VARIANT MODEL -> one result line
  local v=$1 m=$2
  case $v in
    batched) GST_MNV3_BATCH_MAX=8 $PY bench/multistream.py "$m" "$STREAMS" "$SECONDS_RUN" \
      batch-timeout="$BATCH_TIMEOUT" ;;
    unbatched) GST_MNV3_BATCH_MAX=1 $PY bench/multistream.py "$m" "$STREAMS" "$SECONDS_RUN" ;;
    processes)
      for i in $(seq "$STREAMS"); do
        $PY bench/multistream.py "$m" 1 "$SECONDS_RUN" > "$tmp/p$i" &
      done
      wait
      cat "$tmp"/p* | $PY -c '
import sys
rows = [dict(kv.split("=") for kv in l.split()) for l in sys.stdin if l.strip()]
inf = sum(float(r["inferred"]) for r in rows); cpu = sum(float(r["cpu_s"]) for r in rows)
count = sum(float(r["per_core"]) * float(r["cpu_s"]) for r in rows)  # frames inferred
scpu = sum(float(r["sched_cpu_s"]) for r in rows)
print("streams=%d inferred=%.1f cpu_s=%.2f per_core=%.1f sched_cpu_s=%.2f per_sched_core=%.1f lat_p50_ms=%s lat_p95_ms=%s threads=%d rss_mb=%.1f" % (
    len(rows), inf, cpu, count / cpu if cpu else 0, scpu, count / scpu if scpu else 0,
    max(float(r["lat_p50_ms"]) for r in rows),
    max(float(r["lat_p95_ms"]) for r in rows), sum(int(r["threads"]) for r in rows),
    sum(float(r["rss_mb"]) for r in rows)))'
      rm -f "$tmp"/p* ;;
  esac
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

lscpu | sed -n 's/^Model name: *//p'
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: compare the variants within one run)"
for m in $MODELS; do
  : > "$tmp/res"
  for r in $(seq "$ROUNDS"); do
    for v in batched unbatched processes; do
      echo "$v $(run $v "$m")" >> "$tmp/res"
    done
  done
  echo "== $(basename "$m"): $STREAMS streams, ${SECONDS_RUN}s x $ROUNDS rounds (medians)"
  printf '%-10s %9s %9s %9s %9s %9s %9s %9s %9s\n' variant inferred cpu_s per_core sched_s per_sched p50_ms p95_ms threads rss_mb
  for v in batched unbatched processes; do
    printf '%-10s' $v
    for f in inferred cpu_s per_core sched_cpu_s per_sched_core lat_p50_ms lat_p95_ms threads rss_mb; do
      printf ' %9s' "$(grep "^$v " "$tmp/res" | field $f | median)"
    done
    echo
  done
  for f in per_core per_sched_core; do
    b=$(grep "^batched " "$tmp/res" | field $f | median)
    u=$(grep "^unbatched " "$tmp/res" | field $f | median)
    echo "batched / unbatched $f: $(awk -v b="$b" -v u="$u" 'BEGIN {printf "%.2f", b / u}')"
  done
  one=$($PY bench/multistream.py "$m" 1 4 | field rss_mb)
  all=$($PY bench/multistream.py "$m" "$STREAMS" 4 | field rss_mb)
  one0=$(MS_ELEMENT=identity $PY bench/multistream.py "$m" 1 4 | field rss_mb)
  all0=$(MS_ELEMENT=identity $PY bench/multistream.py "$m" "$STREAMS" 4 | field rss_mb)
  echo "RSS: 1 element $one MB, $STREAMS elements $all MB; without the element (identity): $one0 / $all0 MB"
  echo "  -> the elements add $(awk -v a="$one" -v b="$one0" 'BEGIN {printf "%.1f", a - b}') MB (1) and $(awk -v a="$all" -v b="$all0" 'BEGIN {printf "%.1f", a - b}') MB ($STREAMS)"
  "$BUILD/src/mnv3" bench "$m" --batch "$STREAMS" --threads 1 --runs 20 --warmup 3
done
