#!/bin/sh
# mnv3classify: soak benchmark (issue 7): RSS of a long-running live pipeline.
#
# Usage: bench/soak.sh [SECONDS]          (default 3600)
#
# Runs, in the background,
#   gst-launch-1.0 videotestsrc is-live=true ! \
#     video/x-raw,width=1280,height=720,framerate=30/1 ! \
#     mnv3classify model-file=MODEL $SOAK_PROPS ! fakesink
# with GST_PLUGIN_PATH set to the build's gst folder, samples VmRSS from
# /proc/PID/status every 10 s (SOAK_INTERVAL), prints each sample, then the
# start and end RSS and the least-squares slope in KiB per hour.
#
# Environment: BUILD (build folder, default ./build), MNV3_MODEL (model
# file; default build/models/mnv3-default.safetensors as made by
# scripts/get-model, else the committed fixture
# tests/data/fixtures/large-sym-f32.safetensors), SOAK_PROPS (extra element
# properties, e.g. "mode=sync threads=1"), SOAK_INTERVAL (seconds, 10),
# SOAK_WARMUP (seconds, 10: the model load and the first frames are not
# sampled; the duration counts from the end of the warm-up).
# Exit status: 0 when the pipeline ran the whole time, 1 when it died or
# could not start. The slope is reported, not judged: the first minutes
# include allocator warm-up, so judge leaks on long runs.
set -eu
cd "$(dirname "$0")/.."

duration=${1:-3600}
interval=${SOAK_INTERVAL:-10}
build=${BUILD:-build}
props=${SOAK_PROPS:-}
warmup=${SOAK_WARMUP:-10}

case $duration in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

if [ ! -e "$build/gst/libgstmnv3.so" ]; then
  echo "no plugin at $build/gst/libgstmnv3.so (build first: meson setup $build && ninja -C $build, or set BUILD)" >&2
  exit 1
fi
if [ -n "${MNV3_MODEL:-}" ]; then
  model=$MNV3_MODEL
elif [ -f build/models/mnv3-default.safetensors ]; then
  model=build/models/mnv3-default.safetensors
else
  model=tests/data/fixtures/large-sym-f32.safetensors
  echo "note: no build/models/mnv3-default.safetensors (scripts/get-model makes it); using the small fixture model" >&2
fi
[ -f "$model" ] || { echo "model $model not found" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mnv3-soak.XXXXXX")
pid=
cleanup () {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null || true
    sleep 1
    kill "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# $props is split into element properties on purpose
# shellcheck disable=SC2086
GST_PLUGIN_PATH="$PWD/$build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}" \
GST_REGISTRY="$tmp/registry.bin" \
  gst-launch-1.0 -e videotestsrc is-live=true \
    ! video/x-raw,width=1280,height=720,framerate=30/1 \
    ! mnv3classify model-file="$model" $props \
    ! fakesink >"$tmp/launch.log" 2>&1 &
pid=$!

echo "soak: $duration s, model $model${props:+, $props}, pid $pid"
sleep "$warmup"
echo "  t_s  rss_kib   (t from the end of the ${warmup} s warm-up)"
start=$(date +%s)
: >"$tmp/samples"
while :; do
  now=$(date +%s)
  t=$((now - start))
  if ! rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) \
      || [ -z "$rss" ]; then
    echo "soak: gst-launch-1.0 exited after $t s:" >&2
    cat "$tmp/launch.log" >&2
    exit 1
  fi
  printf '%5d  %7d\n' "$t" "$rss"
  echo "$t $rss" >>"$tmp/samples"
  [ "$t" -ge "$duration" ] && break
  left=$((duration - t))
  sleep $((left < interval ? left : interval))
done
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo '?')

awk -v hwm="$hwm" '
  { t[NR] = $1; r[NR] = $2; st += $1; sr += $2 }
  END {
    n = NR; mt = st / n; mr = sr / n
    for (i = 1; i <= n; i++) { sxy += (t[i] - mt) * (r[i] - mr); sxx += (t[i] - mt) ^ 2 }
    slope = sxx > 0 ? sxy / sxx * 3600 : 0
    printf "samples %d over %d s\n", n, t[n] - t[1]
    printf "start RSS %d KiB, end RSS %d KiB (%+d KiB), peak %s KiB\n", r[1], r[n], r[n] - r[1], hwm
    printf "slope %.1f KiB/hour (least squares over all samples)\n", slope
  }' "$tmp/samples"
