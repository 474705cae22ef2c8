#!/bin/bash
# compare-peers.sh: side-by-side latency of `mnv3 bench` and its peers (issue 17): ONNX Runtime,
# OpenVINO and TensorFlow Lite (LiteRT + XNNPACK), alternating rounds in one run
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: bench/compare-peers.sh [MNV3_BINARY]
#
# Without MNV3_BINARY the project is built (meson setup + ninja) in $BUILD (default ./build-bench,
# configured with -Dgst=disabled). The peers (bench/peers-requirements.txt, pinned) are installed
# with pip into a virtual environment $BUILD/venv-bench. Full-size random-weight MobileNetV3 Large
# and Small models are made once into $BUILD/bench-models: .safetensors + .onnx of one torchvision
# model (tests/data/make-fixtures.py --bench-models, Debian python3-torch and python3-torchvision),
# and a Keras-made .tflite (bench/make-tflite.py) with its mnv3 conversion (models/convert.py).
# See bench/README.md for what it prints. Exit status: 0 ok, 1 error or output mismatch, 77 when a
# tool it needs (torch, venv, PyPI) is missing.
#
# Environment knobs (defaults in brackets):
#   BUILD [./build-bench]   ROUNDS [5]   RUNS [200]   WARMUP [20]   MODELS ["large small"]
#   THREADS ["1 2"]   PEERS ["ort ov tflite"]   KERNELS ["": mnv3's default set; e.g.
#   "avx512 avx2" times mnv3 once per kernel set, each in the rotation]   VENV [$BUILD/venv-bench]
#   MODEL_DIR [$BUILD/bench-models]   CHECK_TOL [1e-3: max |logit difference| / max(1, max |logit|)]
#   PYTHON [/usr/bin/python3: Debian's, with torch; also the venv's base]

set -u
export LC_ALL=C

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build-bench}
ROUNDS=${ROUNDS:-5}
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
MODELS=${MODELS:-large small}
THREADS=${THREADS:-1 2}
PEERS=${PEERS:-ort ov tflite}
KERNELS=${KERNELS:-}
VENV=${VENV:-$BUILD/venv-bench}
MODEL_DIR=${MODEL_DIR:-$BUILD/bench-models}
CHECK_TOL=${CHECK_TOL:-1e-3}
PYTHON=${PYTHON:-/usr/bin/python3}
TARGET=0.8

skip () {
  echo "SKIP: $*" >&2
  exit 77
}

# die, field, median
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

T_START=$(date +%s)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mnv3-peers.XXXXXX") || die "cannot create a work folder"
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
mkdir -p "$BUILD" || die "cannot create $BUILD"

# -- 2. the peers' virtual environment ----------------------------------------------------------
REQ=$SRC/bench/peers-requirements.txt
VPY=$VENV/bin/python
if [ ! -x "$VPY" ] || [ "$REQ" -nt "$VENV/.installed" ]; then
  echo "== pip install -r bench/peers-requirements.txt into $VENV"
  [ -x "$VPY" ] || "$PYTHON" -m venv "$VENV" >"$WORK/venv.log" 2>&1 ||
    { cat "$WORK/venv.log" >&2; skip "$PYTHON -m venv failed (Debian python3-venv)"; }
  "$VPY" -m pip install -r "$REQ" >"$WORK/pip.log" 2>&1 ||
    { tail -n 20 "$WORK/pip.log" >&2; skip "pip install of the peers failed (PyPI reachable?)"; }
  touch "$VENV/.installed"
fi

# -- 3. models ----------------------------------------------------------------------------------
FIXGEN=$SRC/tests/data/make-fixtures.py
MKTFL=$SRC/bench/make-tflite.py
CONVERT=$SRC/models/convert.py
mkdir -p "$MODEL_DIR" || die "cannot create $MODEL_DIR"
stale () {  # stale FILE SOURCE...: FILE missing or older than a source
  local f=$1 s
  shift
  [ -s "$f" ] || return 0
  for s in "$@"; do
    [ "$s" -nt "$f" ] && return 0
  done
  return 1
}
need_torch=0
need_tflite=0
for m in $MODELS; do
  stale "$MODEL_DIR/$m.safetensors" "$FIXGEN" && need_torch=1
  stale "$MODEL_DIR/$m.onnx" "$FIXGEN" && need_torch=1
  stale "$MODEL_DIR/$m.tflite" "$MKTFL" "$REQ" && need_tflite=1
done
if [ $need_torch = 1 ]; then
  "$PYTHON" -c 'import torch, torchvision, numpy' 2>/dev/null ||
    skip "Debian python3-torch, python3-torchvision and python3-numpy are needed to make the" \
      "benchmark models ($PYTHON -c 'import torch, torchvision, numpy' failed)"
  echo "== making full-size random-weight torchvision models in $MODEL_DIR"
  "$PYTHON" "$FIXGEN" --bench-models "$MODEL_DIR" || die "make-fixtures.py --bench-models failed"
fi
if [ $need_tflite = 1 ]; then
  echo "== making full-size random-weight Keras .tflite models in $MODEL_DIR"
  "$VPY" "$MKTFL" "$MODEL_DIR" --models "$(echo "$MODELS" | tr ' ' ',')" >"$WORK/tflite.log" 2>&1 ||
    { tail -n 20 "$WORK/tflite.log" >&2; die "make-tflite.py failed"; }
fi
for m in $MODELS; do
  if stale "$MODEL_DIR/$m-tflite.safetensors" "$MODEL_DIR/$m.tflite" "$CONVERT"; then
    "$PYTHON" "$CONVERT" "$MODEL_DIR/$m.tflite" -o "$MODEL_DIR/$m-tflite.safetensors" \
      --no-labels >"$WORK/convert.log" 2>&1 ||
      { cat "$WORK/convert.log" >&2; die "convert.py $m.tflite failed"; }
  fi
done

# What each engine runs: the timed model and the one checked against mnv3 (same graph, weights).
peer_model () {  # peer_model ENGINE MODEL
  case $1 in
    tflite) echo "$MODEL_DIR/$2.tflite" ;;
    *) echo "$MODEL_DIR/$2.onnx" ;;
  esac
}
mnv3_twin () {  # the mnv3 model holding the same graph and weights as ENGINE's
  case $1 in
    tflite) echo "$MODEL_DIR/$2-tflite.safetensors" ;;
    *) echo "$MODEL_DIR/$2.safetensors" ;;
  esac
}
PEER_BENCH=("$VPY" "$SRC/bench/peer-bench.py")

# The engines of a round: the peers, then mnv3 once per kernel set.
ENGINES=$PEERS
if [ -n "$KERNELS" ]; then
  for k in $KERNELS; do
    ENGINES="$ENGINES mnv3-$k"
  done
else
  ENGINES="$ENGINES mnv3"
fi
MNV3_ENGINES=$(for e in $ENGINES; do case $e in mnv3*) echo "$e" ;; esac; done)

# -- 4. header ----------------------------------------------------------------------------------
echo "== machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
  "$(nproc) cores; $(uname -sr); AVX2: $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no)," \
  "FMA: $(grep -qw fma /proc/cpuinfo && echo yes || echo no)," \
  "AVX-512F: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
echo "== load before: $(uptime | sed 's/.*load average/load average/')"
echo "== peers: $("$VPY" -c 'import importlib.metadata as m
print(" ".join("%s %s" % (p, m.version(p)) for p in ("onnxruntime", "openvino", "ai-edge-litert")))')"
echo "== mnv3: $MNV3${MNV3_KERNELS:+ (MNV3_KERNELS=$MNV3_KERNELS)}"
echo "== $ROUNDS rounds, each: for model in ($MODELS), threads in ($THREADS): ($ENGINES)," \
  "the order rotated by one each round; $RUNS timed runs after $WARMUP warm-up runs, a fresh" \
  "process each"

# -- 5. output agreement ------------------------------------------------------------------------
# The same model (torch export / Keras-TFLite vs our safetensors) and the same normalized input.
"$VPY" -c 'import sys, numpy as np
np.random.default_rng(777).standard_normal((224, 224, 3)).astype(np.float32).tofile(sys.argv[1])' \
  "$WORK/input.f32" || die "cannot write the check input"
mismatch=0
for m in $MODELS; do
  for t in $THREADS; do
    for e in $PEERS; do
      twin=$(mnv3_twin "$e" "$m")
      "$MNV3" classify "$twin" "$WORK/input.f32" --logits --threads "$t" \
        >"$WORK/logits" || die "mnv3 classify $twin failed"
      line=$("${PEER_BENCH[@]}" "$e" "$(peer_model "$e" "$m")" --model-name "$m" --threads "$t" \
        --check "$WORK/input.f32" "$WORK/logits" 2>"$WORK/peer.err") ||
        { cat "$WORK/peer.err" >&2; die "$e check of $m failed"; }
      d=$(echo "$line" | field max_abs_diff)
      mx=$(echo "$line" | field max_abs_logit)
      t1=$(echo "$line" | field top1_peer)
      t2=$(echo "$line" | field top1_mnv3)
      ok=$(awk -v d="$d" -v m="$mx" -v tol="$CHECK_TOL" -v a="$t1" -v b="$t2" \
        'BEGIN { s = m > 1 ? m : 1; print (d == d + 0 && d <= tol * s && a == b) ? "ok" : "MISMATCH" }')
      [ "$ok" = ok ] || mismatch=1
      echo "$line threads=$t $ok"
    done
  done
done
[ $mismatch = 0 ] || die "a peer and mnv3 disagree on the outputs (see the check lines): no timing"

# -- 6. rounds ----------------------------------------------------------------------------------
run_engine () {  # run_engine ENGINE MODEL THREADS: prints "median min"
  local e=$1 m=$2 t=$3 line
  case $e in
    mnv3*)
      local k=${e#mnv3}
      line=$("$MNV3" bench "$MODEL_DIR/$m.safetensors" --threads "$t" --runs "$RUNS" \
        --warmup "$WARMUP" ${k:+--kernels ${k#-}} | tail -n 1) || return 1
      echo "$line" | field kernels >"$WORK/kernels$k"
      ;;
    *)
      line=$("${PEER_BENCH[@]}" "$e" "$(peer_model "$e" "$m")" --model-name "$m" --threads "$t" \
        --runs "$RUNS" --warmup "$WARMUP" 2>/dev/null) || return 1
      ;;
  esac
  echo "$(echo "$line" | field median_ms) $(echo "$line" | field min_ms)"
}

set -- $ENGINES
NE=$#
for r in $(seq 1 "$ROUNDS"); do
  for m in $MODELS; do
    for t in $THREADS; do
      out="round $r/$ROUNDS  $(printf '%-5s' "$m") threads=$t "
      for i in $(seq 0 $((NE - 1))); do
        idx=$(((i + r - 1) % NE + 1))
        e=${!idx}
        res=$(run_engine "$e" "$m" "$t") || die "$e bench of $m at $t threads failed"
        set -- $ENGINES
        med=${res% *}
        [ -n "$med" ] || die "no median from $e"
        echo "$med" >>"$WORK/$e-$m-$t"
        echo "${res#* }" >>"$WORK/min-$e-$m-$t"
        echo "$r $med" >>"$WORK/r-$e-$m-$t"
      done
      for e in $ENGINES; do
        out="$out $(printf ' %s %.3f' "$e" "$(awk -v r="$r" '$1 == r { print $2 }' "$WORK/r-$e-$m-$t")")"
      done
      # per-round ratio: each mnv3 against the fastest peer of this round
      best=$(for e in $PEERS; do awk -v r="$r" '$1 == r { print $2 }' "$WORK/r-$e-$m-$t"; done |
        sort -g | head -n 1)
      for e in $MNV3_ENGINES; do
        mm=$(awk -v r="$r" '$1 == r { print $2 }' "$WORK/r-$e-$m-$t")
        rr=$(awk -v a="$mm" -v b="$best" 'BEGIN { printf "%.3f", a / b }')
        echo "$rr" >>"$WORK/ratio-$e-$m-$t"
        out="$out  $e/best $rr"
      done
      echo "$out"
    done
  done
done

# -- 7. table -----------------------------------------------------------------------------------
echo "== load after: $(uptime | sed 's/.*load average/load average/')"
for e in $MNV3_ENGINES; do
  echo "== $e: kernels=$(cat "$WORK/kernels${e#mnv3}" 2>/dev/null)"
done
echo "== median of $ROUNDS round medians (ms); ratio = mnv3 / the fastest peer's median;" \
  "round_ratios = range of mnv3 / the fastest peer of each round"
hdr=$(printf '%-6s %7s' model threads)
for e in $ENGINES; do
  hdr="$hdr $(printf '%10s' "$e")"
done
printf '%s %8s %-7s %-9s %-15s %s\n' "$hdr" fastest mnv3 ratio round_ratios target
for m in $MODELS; do
  for t in $THREADS; do
    row=$(printf '%-6s %7s' "$m" "$t")
    best_e=
    best_v=
    for e in $ENGINES; do
      v=$(median <"$WORK/$e-$m-$t")
      echo "$v" >"$WORK/med-$e"
      row="$row $(printf '%10.3f' "$v")"
      case $e in
        mnv3*) ;;
        *)
          if [ -z "$best_v" ] || awk -v a="$v" -v b="$best_v" 'BEGIN { exit !(a < b) }'; then
            best_v=$v
            best_e=$e
          fi
          ;;
      esac
    done
    for e in $MNV3_ENGINES; do
      v=$(cat "$WORK/med-$e")
      lo=$(sort -g "$WORK/ratio-$e-$m-$t" | head -n 1)
      hi=$(sort -g "$WORK/ratio-$e-$m-$t" | tail -n 1)
      awk -v row="$row" -v be="$best_e" -v e="$e" -v a="$v" -v b="$best_v" -v lo="$lo" \
          -v hi="$hi" -v tg="$TARGET" 'BEGIN { r = a / b;
        printf "%s %8s %-7s %-9.3f %-15s <=%s %s\n", row, be, e, r, sprintf ("%.2f..%.2f", lo, hi),
            tg, r <= tg ? "met" : "NOT met" }'
    done
  done
done
echo "== fastest single inference (ms) over all rounds:"
for m in $MODELS; do
  for t in $THREADS; do
    row=$(printf '%-6s %7s' "$m" "$t")
    for e in $ENGINES; do
      row="$row $(printf '%10.3f' "$(sort -g "$WORK/min-$e-$m-$t" | head -n 1)")"
    done
    echo "$row"
  done
done
echo "== wall time $(($(date +%s) - T_START)) s"
exit 0
