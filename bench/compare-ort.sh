#!/bin/bash
# compare-ort.sh: side-by-side latency of `mnv3 bench` and ONNX Runtime (issue 6), A B A B
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: bench/compare-ort.sh [MNV3_BINARY]
#
# Without MNV3_BINARY the project is built (meson setup + ninja) in $BUILD (default ./build-bench,
# configured with -Dgst=disabled). Full-size random-weight MobileNetV3 Large/Small models are made
# with tests/data/make-fixtures.py --bench-models (Debian python3-torch, python3-torchvision), and
# onnxruntime-node is installed from npm into a scratch folder; both are cached and reused.
# See bench/README.md for what it prints. Exit status: 0 ok, 1 error or output mismatch, 77 when
# a tool it needs (torch, node/npm, the npm registry) is missing.
#
# Environment knobs (defaults in brackets):
#   BUILD [./build-bench]   ROUNDS [5]   RUNS [200]   WARMUP [20]   MODELS ["large small"]
#   THREADS ["1 2"]   MNV3_BENCH_CACHE [${XDG_CACHE_HOME:-/tmp}/mnv3-bench]
#   ORT_DIR [$MNV3_BENCH_CACHE/ort]   ORT_VERSION [the installed one, else npm's latest]
#   CHECK_TOL [1e-3: max |logit difference| / max(1, max |logit|) accepted as agreement]

set -u
export LC_ALL=C

SRC=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR="$SRC/bench"
BUILD=${BUILD:-$SRC/build-bench}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
MODELS=${MODELS:-large small}
THREADS=${THREADS:-1 2}
CACHE=${MNV3_BENCH_CACHE:-${XDG_CACHE_HOME:-/tmp}/mnv3-bench}
ORT_DIR=${ORT_DIR:-$CACHE/ort}
MODEL_DIR=$CACHE/models
CHECK_TOL=${CHECK_TOL:-1e-3}
PYTHON=/usr/bin/python3
TARGET=0.8

skip () {
  echo "SKIP: $*" >&2
  exit 77
}

# die, field, median
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

T_START=$(date +%s)
mkdir -p "$CACHE" || die "cannot create $CACHE"
WORK=$(mktemp -d "$CACHE/run.XXXXXX") || die "cannot create a work folder in $CACHE"
trap 'rm -rf "$WORK"' EXIT

# -- 1. mnv3 ------------------------------------------------------------------------------------
if [ $# -ge 1 ]; then
  [ -x "$1" ] || die "$1 is not an executable"
  MNV3=$(realpath "$1")
else
  if [ ! -f "$BUILD/build.ninja" ]; then
    echo "== meson setup $BUILD -Dgst=disabled"
    meson setup "$BUILD" "$SRC" -Dgst=disabled >"$WORK/setup.log" 2>&1 ||
      { cat "$WORK/setup.log" >&2; die "meson setup failed"; }
  fi
  echo "== ninja -C $BUILD src/mnv3"
  ninja -C "$BUILD" src/mnv3 >"$WORK/build.log" 2>&1 ||
    { tail -n 30 "$WORK/build.log" >&2; die "build failed"; }
  MNV3=$BUILD/src/mnv3
fi

# -- 2. models ----------------------------------------------------------------------------------
FIXGEN=$SRC/tests/data/make-fixtures.py
need_models=0
for m in $MODELS; do
  for ext in safetensors onnx; do
    f=$MODEL_DIR/$m.$ext
    if [ ! -s "$f" ] || [ "$FIXGEN" -nt "$f" ]; then
      need_models=1
    fi
  done
done
if [ $need_models = 1 ]; then
  [ -x $PYTHON ] && $PYTHON -c 'import torch, torchvision, numpy' 2>/dev/null ||
    skip "Debian python3-torch, python3-torchvision and python3-numpy are needed to make the" \
      "benchmark models ($PYTHON -c 'import torch, torchvision, numpy' failed)"
  echo "== making full-size random-weight models in $MODEL_DIR"
  mkdir -p "$MODEL_DIR"
  $PYTHON "$FIXGEN" --bench-models "$MODEL_DIR" || die "make-fixtures.py --bench-models failed"
fi

# -- 3. onnxruntime-node ------------------------------------------------------------------------
command -v node >/dev/null || skip "node is not installed"
ORT_PKG=$ORT_DIR/node_modules/onnxruntime-node
have_ort=$(node -p "require('$ORT_PKG/package.json').version" 2>/dev/null)
if [ -z "$have_ort" ] || { [ -n "${ORT_VERSION:-}" ] && [ "$have_ort" != "$ORT_VERSION" ]; }; then
  command -v npm >/dev/null || skip "npm is not installed"
  want=${ORT_VERSION:-$(npm view onnxruntime-node version 2>/dev/null)}
  [ -n "$want" ] || skip "the npm registry is not reachable (npm view onnxruntime-node version failed)"
  echo "== npm install onnxruntime-node@$want into $ORT_DIR"
  mkdir -p "$ORT_DIR"
  [ -f "$ORT_DIR/package.json" ] || echo '{ "name": "mnv3-ort-bench", "private": true }' \
    >"$ORT_DIR/package.json"
  # The CPU provider's binaries ship in the npm package; the postinstall step only fetches the
  # optional CUDA provider from NuGet, which we neither need nor can always reach.
  ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$ORT_DIR" --no-audit --no-fund \
    "onnxruntime-node@$want" >"$WORK/npm.log" 2>&1 ||
    { tail -n 20 "$WORK/npm.log" >&2; skip "npm install onnxruntime-node@$want failed"; }
  have_ort=$(node -p "require('$ORT_PKG/package.json').version" 2>/dev/null)
  [ -n "$have_ort" ] || die "onnxruntime-node is not usable after npm install"
fi
export NODE_PATH=$ORT_DIR/node_modules
ORT_BENCH=(node "$BENCH_DIR/ort-bench.js")

# -- 4. header ----------------------------------------------------------------------------------
echo "== machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
  "$(nproc) cores; $(uname -sr)"
echo "== load before: $(uptime | sed 's/.*load average/load average/')"
echo "== onnxruntime-node $have_ort (node $(node --version)); mnv3: $MNV3${MNV3_KERNELS:+ (MNV3_KERNELS=$MNV3_KERNELS)}"
echo "== $ROUNDS rounds, each: for model in ($MODELS), threads in ($THREADS):" \
  "ORT then mnv3, $RUNS timed runs after $WARMUP warm-up runs"

# -- 5. output agreement ------------------------------------------------------------------------
# The same random model (torch export vs our safetensors) and the same normalized input.
mismatch=0
node -e '
  const fs = require("fs");
  const n = 224 * 224 * 3, a = new Float32Array(n);
  let s = 777;
  for (let i = 0; i < n; i++) {            // roughly N(0,1): sum of 4 uniforms, rescaled
    let u = 0;
    for (let k = 0; k < 4; k++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; u += s / 4294967296; }
    a[i] = (u - 2) * Math.sqrt(3);
  }
  fs.writeFileSync(process.argv[1], Buffer.from(a.buffer));' "$WORK/input.f32" ||
  die "cannot write the check input"
for m in $MODELS; do
  for t in $THREADS; do
    "$MNV3" classify "$MODEL_DIR/$m.safetensors" "$WORK/input.f32" --logits --threads "$t" \
      >"$WORK/logits-$m-$t.txt" || die "mnv3 classify $m failed"
    line=$("${ORT_BENCH[@]}" "$MODEL_DIR/$m.onnx" --model-name "$m" --threads "$t" \
      --check "$WORK/input.f32" "$WORK/logits-$m-$t.txt") || die "ORT check of $m failed"
    d=$(echo "$line" | field max_abs_diff)
    mx=$(echo "$line" | field max_abs_logit)
    ok=$(awk -v d="$d" -v m="$mx" -v tol="$CHECK_TOL" \
      'BEGIN { s = m > 1 ? m : 1; print (d == d + 0 && d <= tol * s) ? "ok" : "MISMATCH" }')
    [ "$ok" = ok ] || mismatch=1
    echo "$line mnv3_threads=$t $ok"
  done
done

# -- 6. A B A B ---------------------------------------------------------------------------------
for r in $(seq 1 "$ROUNDS"); do
  for m in $MODELS; do
    for t in $THREADS; do
      a=$("${ORT_BENCH[@]}" "$MODEL_DIR/$m.onnx" --model-name "$m" --threads "$t" \
        --runs "$RUNS" --warmup "$WARMUP") || die "ORT bench of $m failed"
      b=$("$MNV3" bench "$MODEL_DIR/$m.safetensors" --threads "$t" --runs "$RUNS" \
        --warmup "$WARMUP" | tail -n 1) || die "mnv3 bench of $m failed"
      oa=$(echo "$a" | field median_ms)
      ob=$(echo "$b" | field median_ms)
      [ -n "$oa" ] && [ -n "$ob" ] || die "unexpected output: '$a' / '$b'"
      echo "$oa" >>"$WORK/ort-$m-$t"
      echo "$ob" >>"$WORK/mnv3-$m-$t"
      echo "$a" | field min_ms >>"$WORK/ortmin-$m-$t"
      echo "$b" | field min_ms >>"$WORK/mnv3min-$m-$t"
      awk -v a="$oa" -v b="$ob" 'BEGIN { printf "%.4f\n", b / a }' >>"$WORK/ratio-$m-$t"
      echo "$b" | field kernels >"$WORK/kernels"
      printf 'round %d/%d  %-5s threads=%s  ort %8.3f ms  mnv3 %8.3f ms  ratio %.3f\n' \
        "$r" "$ROUNDS" "$m" "$t" "$oa" "$ob" "$(tail -n 1 "$WORK/ratio-$m-$t")"
    done
  done
done

# -- 7. table -----------------------------------------------------------------------------------
echo "== load after: $(uptime | sed 's/.*load average/load average/')"
echo "== median of $ROUNDS round medians (ms); ratio = mnv3 / ORT; mnv3 kernels=$(cat "$WORK/kernels")"
printf '%-6s %7s %10s %10s %7s %15s %7s %4s %10s %10s %9s\n' model threads ort_ms mnv3_ms ratio \
  round_ratios target met ort_min mnv3_min min_ratio
for m in $MODELS; do
  for t in $THREADS; do
    oa=$(median <"$WORK/ort-$m-$t")
    ob=$(median <"$WORK/mnv3-$m-$t")
    lo=$(sort -g "$WORK/ratio-$m-$t" | head -n 1)
    hi=$(sort -g "$WORK/ratio-$m-$t" | tail -n 1)
    amin=$(sort -g "$WORK/ortmin-$m-$t" | head -n 1)
    bmin=$(sort -g "$WORK/mnv3min-$m-$t" | head -n 1)
    awk -v m="$m" -v t="$t" -v a="$oa" -v b="$ob" -v lo="$lo" -v hi="$hi" -v tg="$TARGET" \
        -v amin="$amin" -v bmin="$bmin" 'BEGIN {
      r = b / a;
      printf "%-6s %7s %10.3f %10.3f %7.3f %15s %7s %4s %10.3f %10.3f %9.3f\n", m, t, a, b, r,
          sprintf ("%.2f..%.2f", lo, hi), "<=" tg, r <= tg ? "yes" : "no", amin, bmin, bmin / amin }'
  done
done
echo "== wall time $(($(date +%s) - T_START)) s"
[ $mismatch = 0 ] || die "ONNX Runtime and mnv3 disagree on the outputs (see the check lines)"
exit 0
