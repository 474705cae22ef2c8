#!/bin/bash
# element-overhead.sh: what mnv3classify adds over bare inference + preprocessing (issue 6)
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: bench/element-overhead.sh [BUILD_DIR [BASE_BUILD_DIR]]
#
# What it measures, per model and crop mode, in ROUNDS alternating rounds:
#  element: the element's own time per frame, from the mnv3classify-perf debug category (one line
#      per frame: the time from entry to return of transform_frame_ip, split into preprocess,
#      forward, classify-other, meta, overlay) while running
#        videotestsrc num-buffers=N ! video/x-raw,format=NV12,width=1280,height=720
#          ! mnv3classify model-file=M mode=sync overlay=OVERLAY threads=1 crop-mode=C ! fakesink
#      The first SKIP frames (warm-up) are dropped; each round takes the median over the frames.
#  bare: `mnv3 bench M --threads 1` median (forward pass) + `bench-preprocess RUNS orc NV12
#      1280x720 C` median (preprocessing of one frame, the ORC path the element uses).
#  The table shows the median over the rounds of each per-round median, so both sides are
#  medians, and:
#    overhead = element / bare - 1                      (the issue 6 target: < 5%)
#    round_overhead = the range over the rounds of element / bare - 1 within one round: how
#               noisy the run was (on a busy machine the bare figures move by 10% or more)
#    added    = median over frames of (total - preprocess - forward), over bare: the element's own
#               work (top-k, messages, metas, overlay, bookkeeping), without the cache effects
#    pp / fwd = the element's preprocess and forward medians: the same library calls as the bare
#               figures, but on a frame that videotestsrc has just written (cold in the caches)
#               and with the caches shared with the rest of the pipeline
#    wall_ms  = for reference, (wall time PLAYING -> EOS of the pipeline - the same pipeline with
#               identity) / N, a MEAN per frame that also counts GstBaseTransform, frame mapping
#               and preemption (a separate run without the debug log)
# With BASE_BUILD_DIR (a build of another tree, which must also have the mnv3classify-perf
# category), each round runs the element of both builds (A B in odd rounds, B A in even ones),
# and the table has a row per build: an A/B comparison with the same statistic. The bare figures come from BUILD_DIR.
#
# BUILD_DIR (default ./build) must hold gst/libgstmnv3.so, src/mnv3 and
# tests/preprocess/bench-preprocess. Full-size random-weight models come from
# tests/data/make-fixtures.py --bench-models (Debian python3-torch), cached in $MODEL_DIR
# (compare-peers.sh keeps its own in its build folder). Exit status: 0 ok (whatever the overhead), 1 error, 77 when a tool it
# needs is missing.
#
# Environment knobs (defaults in brackets):
#   ROUNDS [5]   FRAMES [300]   SKIP [20: warm-up frames not counted]
#   RUNS [200: mnv3 bench / bench-preprocess runs per round]
#   MODELS ["small large"]   CROPS ["center-crop stretch"]   OVERLAY [true]   MODE [sync]
#   WALL [1: also measure wall_ms; 0 skips those runs]
#   MNV3_BENCH_CACHE [${XDG_CACHE_HOME:-/tmp}/mnv3-bench]   MODEL_DIR [$MNV3_BENCH_CACHE/models]

set -u
export LC_ALL=C

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath "${1:-$SRC/build}")
BASE=${2:+$(realpath "$2")}
ROUNDS=${ROUNDS:-5}
FRAMES=${FRAMES:-300}
SKIP=${SKIP:-20}
RUNS=${RUNS:-200}
MODELS=${MODELS:-small large}
CROPS=${CROPS:-center-crop stretch}
OVERLAY=${OVERLAY:-true}
MODE=${MODE:-sync}
WALL=${WALL:-1}
CACHE=${MNV3_BENCH_CACHE:-${XDG_CACHE_HOME:-/tmp}/mnv3-bench}
MODEL_DIR=${MODEL_DIR:-$CACHE/models}
PYTHON=/usr/bin/python3
CAPS="video/x-raw,format=NV12,width=1280,height=720"

skip () {
  echo "SKIP: $*" >&2
  exit 77
}

# die, field, median
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

MNV3=$BUILD/src/mnv3
BENCH_PP=$BUILD/tests/preprocess/bench-preprocess
[ -x "$MNV3" ] || die "$MNV3 not found (build first: ninja -C $BUILD)"
[ -x "$BENCH_PP" ] || die "$BENCH_PP not found"
BUILDS="$BUILD"
[ -n "$BASE" ] && BUILDS="$BUILD $BASE"
for b in $BUILDS; do
  [ -f "$b/gst/libgstmnv3.so" ] || die "$b/gst/libgstmnv3.so not found"
done
command -v gst-launch-1.0 >/dev/null || skip "gst-launch-1.0 not installed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mnv3-overhead.XXXXXX") || die "cannot create a work folder"
trap 'rm -rf "$WORK"' EXIT
unset GST_DEBUG GST_DEBUG_FILE

for m in $MODELS; do
  if [ ! -f "$MODEL_DIR/$m.safetensors" ]; then
    $PYTHON -c 'import torch, torchvision' 2>/dev/null ||
      skip "$MODEL_DIR/$m.safetensors missing and $PYTHON has no torch/torchvision to make it"
    echo "== making full-size random-weight models in $MODEL_DIR"
    mkdir -p "$MODEL_DIR" || die "cannot create $MODEL_DIR"
    $PYTHON "$SRC/tests/data/make-fixtures.py" --bench-models "$MODEL_DIR" ||
      die "make-fixtures.py --bench-models failed"
  fi
done

# gst-launch-1.0 with the plugin of build $1 only, in a private registry per build.
launch () {
  local b=$1
  shift
  GST_PLUGIN_PATH_1_0=$b/gst GST_REGISTRY_1_0=$WORK/registry-$(echo "$b" | md5sum | cut -c1-8).bin \
    gst-launch-1.0 "$@"
}

# Seconds from PLAYING to EOS of a pipeline (build $1, elements $2...).
run_wall () {
  local b=$1 out
  shift
  out=$(launch "$b" videotestsrc num-buffers="$FRAMES" ! "$CAPS" ! "$@" ! fakesink 2>&1) ||
    { echo "$out" >&2; die "pipeline failed: $*"; }
  echo "$out" | sed -n 's/^Execution ended after \([0-9]*\):\([0-9]*\):\([0-9.]*\)$/\1 \2 \3/p' |
    awk '{ printf "%.6f\n", $1 * 3600 + $2 * 60 + $3 }'
}

# Per-frame lines "total preprocess forward own meta overlay" in ms, warm-up dropped (build $1,
# elements $2...).
run_split () {
  local b=$1 log=$WORK/split.log
  shift
  GST_DEBUG=mnv3classify-perf:5 GST_DEBUG_NO_COLOR=1 GST_DEBUG_FILE=$log \
    launch "$b" videotestsrc num-buffers="$FRAMES" ! "$CAPS" ! "$@" ! fakesink >/dev/null 2>&1 ||
    die "pipeline failed: $*"
  sed -n 's/.* frame \([0-9]*\): total=\([0-9]*\) preprocess=\([0-9]*\) forward=\([0-9]*\) .* meta=\([0-9]*\) overlay=\([0-9]*\).*/\1 \2 \3 \4 \5 \6/p' \
    "$log" | awk -v skip="$SKIP" '$1 >= skip { printf "%.4f %.4f %.4f %.4f %.4f %.4f\n",
      $2 / 1e6, $3 / 1e6, $4 / 1e6, ($2 - $3 - $4) / 1e6, $5 / 1e6, $6 / 1e6 }'
}

echo "== $(date -u '+%F %T') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $ROUNDS rounds, $FRAMES frames ($SKIP skipped) of 1280x720 NV12, overlay=$OVERLAY," \
  "mode=$MODE, threads=1"
echo "== builds: $BUILDS"
for r in $(seq "$ROUNDS"); do
  for m in $MODELS; do
    M=$MODEL_DIR/$m.safetensors
    for c in $CROPS; do
      # alternate the order of the builds from round to round
      order="0 1"
      [ $((r % 2)) = 0 ] && order="1 0"
      for i in $order; do
        [ "$i" = 1 ] && [ -z "$BASE" ] && continue
        b=$BUILD
        [ "$i" = 1 ] && b=$BASE
        key=$m.$c.$i
        elem="mnv3classify model-file=$M mode=$MODE overlay=$OVERLAY threads=1 crop-mode=$c"
        # shellcheck disable=SC2086
        run_split "$b" $elem >"$WORK/frames"
        [ -s "$WORK/frames" ] || die "no mnv3classify-perf lines (does $b have the category?)"
        for col in 1 2 3 4 5 6; do
          cut -d' ' -f$col "$WORK/frames" | median >>"$WORK/$key.c$col"
        done
        if [ "$WALL" = 1 ]; then
          ti=$(run_wall "$b" identity)
          # shellcheck disable=SC2086
          te=$(run_wall "$b" $elem)
          if [ -z "$ti" ] || [ -z "$te" ]; then die "no 'Execution ended' line from gst-launch-1.0"; fi
          awk -v a="$te" -v b="$ti" -v n="$FRAMES" 'BEGIN { printf "%.4f\n", (a - b) * 1000 / n }' \
              >>"$WORK/$key.wall"
        fi
      done
      "$MNV3" bench "$M" --threads 1 --runs "$RUNS" --warmup 20 | field median_ms \
          >>"$WORK/$m.$c.infer"
      pc=${c%-crop}
      "$BENCH_PP" "$RUNS" orc NV12 1280x720 "$pc" | field median_ms >>"$WORK/$m.$c.pp"
    done
  done
  echo "   round $r done, load average $(cut -d' ' -f1-3 /proc/loadavg)"
done

printf '%-5s %-6s %-11s %9s %8s %8s %8s %8s %8s %8s %9s %8s %15s %8s\n' build model crop \
  element_ms pp_ms fwd_ms added_ms bare_pp bare_fwd bare_ms overhead added round_overhead wall_ms
for m in $MODELS; do
  for c in $CROPS; do
    i=0
    for b in $BUILDS; do
      key=$m.$c.$i
      name=$([ $i = 0 ] && echo A || echo B)
      e=$(median <"$WORK/$key.c1")
      pp=$(median <"$WORK/$key.c2")
      fw=$(median <"$WORK/$key.c3")
      own=$(median <"$WORK/$key.c4")
      w=nan
      [ -f "$WORK/$key.wall" ] && w=$(median <"$WORK/$key.wall")
      bi=$(median <"$WORK/$m.$c.infer")
      bp=$(median <"$WORK/$m.$c.pp")
      # the range of the per-round overheads (element and bare of the same round)
      rr=$(paste -d' ' "$WORK/$key.c1" "$WORK/$m.$c.infer" "$WORK/$m.$c.pp" |
        awk '{ print ($1 / ($2 + $3) - 1) * 100 }' | sort -g |
        awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%+.0f..%+.0f%%", lo, hi }')
      awk -v n="$name" -v m="$m" -v c="$c" -v e="$e" -v pp="$pp" -v fw="$fw" -v own="$own" \
          -v bi="$bi" -v bp="$bp" -v w="$w" -v rr="$rr" 'BEGIN { b = bi + bp;
        printf "%-5s %-6s %-11s %9.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %+8.1f%% %+7.1f%% %15s %8s\n",
          n, m, c, e, pp, fw, own, bp, bi, b, (e / b - 1) * 100, own / b * 100, rr, w }'
      i=$((i + 1))
    done
  done
done
echo "(ms; medians over $ROUNDS rounds of per-round medians over frames; A = $BUILD" \
  "${BASE:+, B = $BASE}; wall_ms is a mean, see the header)"
echo "== load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
