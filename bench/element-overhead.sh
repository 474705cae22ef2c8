#!/bin/bash
# element-overhead.sh: what mnv3classify adds over bare inference + preprocessing (issue 6)
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: bench/element-overhead.sh [BUILD_DIR]
#
# Side by side in one run, alternating, ROUNDS times, for each model and crop mode:
#  (a) element per frame: the wall time from PLAYING to EOS ("Execution ended after", so model
#      loading and preroll are not counted) of
#        videotestsrc num-buffers=N ! video/x-raw,format=NV12,width=1280,height=720
#          ! mnv3classify model-file=M mode=sync overlay=true threads=1 crop-mode=C ! fakesink
#      minus the same pipeline with identity in place of mnv3classify, divided by N;
#  (b) bare: `mnv3 bench M --threads 1` median + `bench-preprocess` median for 1280x720 NV12 and
#      the same crop mode (ORC path).
# It prints the medians over the rounds and overhead = a / b - 1 (target: < 5%, DESIGN.md 6).
# The pipeline figure is a mean over N frames (noise spikes included) while (b) are medians,
# so on a busy machine the overhead reads high, never low.
#
# BUILD_DIR (default ./build) must hold gst/libgstmnv3.so, src/mnv3 and
# tests/preprocess/bench-preprocess. Full-size random-weight models come from
# tests/data/make-fixtures.py --bench-models (Debian python3-torch), cached in the same folder as
# bench/compare-ort.sh uses. Exit status: 0 ok (whatever the overhead), 1 error, 77 when a tool it
# needs is missing.
#
# Environment knobs (defaults in brackets):
#   ROUNDS [5]   FRAMES [300]   RUNS [200: mnv3 bench / bench-preprocess runs per round]
#   MODELS ["small large"]   CROPS ["center-crop stretch"]   OVERLAY [true]
#   MNV3_BENCH_CACHE [${XDG_CACHE_HOME:-/tmp}/mnv3-bench]   MODEL_DIR [$MNV3_BENCH_CACHE/models]

set -u
export LC_ALL=C

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath "${1:-$SRC/build}")
ROUNDS=${ROUNDS:-5}
FRAMES=${FRAMES:-300}
RUNS=${RUNS:-200}
MODELS=${MODELS:-small large}
CROPS=${CROPS:-center-crop stretch}
OVERLAY=${OVERLAY:-true}
CACHE=${MNV3_BENCH_CACHE:-${XDG_CACHE_HOME:-/tmp}/mnv3-bench}
MODEL_DIR=${MODEL_DIR:-$CACHE/models}
PYTHON=/usr/bin/python3
CAPS="video/x-raw,format=NV12,width=1280,height=720"

skip () {
  echo "SKIP: $*" >&2
  exit 77
}

die () {
  echo "element-overhead: $*" >&2
  exit 1
}

# The value of key=... in a line of key=value words.
field () {
  sed -n "s/\\(^\\|.* \\)$1=\\([^ ]*\\).*/\\2/p" | tail -n 1
}

# Median of the numbers on stdin, one per line.
median () {
  sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan";
      else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.4f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

MNV3=$BUILD/src/mnv3
BENCH_PP=$BUILD/tests/preprocess/bench-preprocess
[ -x "$MNV3" ] || die "$MNV3 not found (build first: ninja -C $BUILD)"
[ -x "$BENCH_PP" ] || die "$BENCH_PP not found"
[ -f "$BUILD/gst/libgstmnv3.so" ] || die "$BUILD/gst/libgstmnv3.so not found"
command -v gst-launch-1.0 >/dev/null || skip "gst-launch-1.0 not installed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mnv3-overhead.XXXXXX") || die "cannot create a work folder"
trap 'rm -rf "$WORK"' EXIT

# the plugin from the build only, in a private registry
export GST_PLUGIN_PATH_1_0=$BUILD/gst
export GST_REGISTRY_1_0=$WORK/registry.bin
unset GST_DEBUG

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

# Seconds from PLAYING to EOS of a gst-launch-1.0 pipeline.
run_pipeline () {
  local out
  out=$(gst-launch-1.0 videotestsrc num-buffers="$FRAMES" ! "$CAPS" ! "$@" ! fakesink 2>&1) ||
    { echo "$out" >&2; die "pipeline failed: $*"; }
  echo "$out" | sed -n 's/^Execution ended after \([0-9]*\):\([0-9]*\):\([0-9.]*\)$/\1 \2 \3/p' |
    awk '{ printf "%.6f\n", $1 * 3600 + $2 * 60 + $3 }'
}

echo "== $ROUNDS rounds, $FRAMES frames of 1280x720 NV12, overlay=$OVERLAY, threads=1, build $BUILD"
for r in $(seq "$ROUNDS"); do
  for m in $MODELS; do
    M=$MODEL_DIR/$m.safetensors
    for c in $CROPS; do
      key=$m.$c
      ti=$(run_pipeline identity)
      te=$(run_pipeline mnv3classify model-file="$M" mode=sync overlay="$OVERLAY" threads=1 \
          crop-mode="$c")
      if [ -z "$ti" ] || [ -z "$te" ]; then die "no 'Execution ended' line from gst-launch-1.0"; fi
      awk -v a="$te" -v b="$ti" -v n="$FRAMES" 'BEGIN { printf "%.4f\n", (a - b) * 1000 / n }' \
          >>"$WORK/$key.elem"
      "$MNV3" bench "$M" --threads 1 --runs "$RUNS" --warmup 20 | field median_ms \
          >>"$WORK/$key.infer"
      pc=${c%-crop}
      "$BENCH_PP" "$RUNS" orc NV12 1280x720 "$pc" | field median_ms >>"$WORK/$key.pp"
    done
  done
  echo "   round $r done"
done

printf '%-6s %-12s %10s %10s %10s %10s %10s\n' model crop element_ms infer_ms pp_ms bare_ms overhead
for m in $MODELS; do
  for c in $CROPS; do
    key=$m.$c
    e=$(median <"$WORK/$key.elem")
    i=$(median <"$WORK/$key.infer")
    p=$(median <"$WORK/$key.pp")
    awk -v m="$m" -v c="$c" -v e="$e" -v i="$i" -v p="$p" 'BEGIN {
        b = i + p; printf "%-6s %-12s %10.3f %10.3f %10.3f %10.3f %+9.1f%%\n", m, c, e, i, p, b,
        (e / b - 1) * 100 }'
  done
done
echo "(medians over $ROUNDS rounds; element = (mnv3classify - identity pipeline) / frames)"
