#!/bin/sh
# mnv3classify tests: `meson install` into a temporary folder, then use the
# installation only (issue 12):
#  - every installed piece is there (plugin, mnv3, mnv3-convert, converter
#    modules and label lists, header, pkg-config file, LICENSE, the empty
#    default-model folder);
#  - the stripped plugin holds no path of the build or source tree;
#  - gst-inspect-1.0 finds the element with GST_PLUGIN_PATH alone (plus a
#    private registry file and HOME, for isolation) and shows real package
#    metadata;
#  - without model-file and MNV3_MODEL_DIR the element searches the installed
#    default-model folder (named in its error) and not the build tree;
#  - a pipeline runs with a model, and examples/read-meta.c compiled with
#    `cc $(pkg-config --cflags --libs mnv3classify-1.0)` against the staged
#    header prints its classifications;
#  - mnv3 and mnv3-convert run from the staged bin folder.
# Usage: test-install.sh BUILD_ROOT SOURCE_ROOT FIXTURE_MODEL
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
model=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

DESTDIR="$tmp/stage" meson install -C "$build" --no-rebuild --strip --quiet \
  >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "meson install"; }
eval "$(/usr/bin/python3 - "$build" <<'PY'
import json, os, sys
o = {x["name"]: x["value"] for x in
     json.load(open(os.path.join(sys.argv[1], "meson-info", "intro-buildoptions.json")))}
print("prefix='%s' libdir='%s' datadir='%s' bindir='%s' includedir='%s'" % (
    o["prefix"], o["libdir"], o["datadir"], o["bindir"], o["includedir"]))
PY
)"
root="$tmp/stage$prefix"
case $libdir in /*) libdir=${libdir#"$prefix"/} ;; esac
plugdir="$root/$libdir/gstreamer-1.0"
modeldir="$prefix/$datadir/mnv3classify/models"

for f in "$plugdir/libgstmnv3.so" "$root/$bindir/mnv3" "$root/$bindir/mnv3-convert" \
    "$root/$includedir/gstreamer-1.0/gst/mnv3/mnv3classify-meta.h" \
    "$root/$libdir/pkgconfig/mnv3classify-1.0.pc" \
    "$root/$datadir/mnv3classify/converter/convert.py" \
    "$root/$datadir/mnv3classify/converter/mnv3format.py" \
    "$root/$datadir/mnv3classify/converter/labels/imagenet-1000.txt" \
    "$root/$datadir/doc/mnv3classify/LICENSE"; do
  [ -f "$f" ] || fail "not installed: ${f#"$tmp/stage"}"
done
[ -d "$tmp/stage$modeldir" ] || fail "default-model folder $modeldir not created"
echo "installed files: ok"

for p in "$build" "$src"; do
  if grep -q -F "$p" "$plugdir/libgstmnv3.so"; then
    fail "the installed plugin contains the path $p"
  fi
done
echo "no build or source path in the plugin: ok"

# the user's environment: GST_PLUGIN_PATH only (HOME and GST_REGISTRY keep
# the test off the real registry cache)
run() {
  env -i PATH="$PATH" HOME="$tmp/home" GST_REGISTRY="$tmp/registry.bin" \
    GST_PLUGIN_PATH="$plugdir" "$@"
}
run gst-inspect-1.0 mnv3classify >"$tmp/inspect.txt" 2>&1 \
  || { cat "$tmp/inspect.txt"; fail "gst-inspect-1.0 mnv3classify"; }
grep -q "Filename.*$plugdir/libgstmnv3.so" "$tmp/inspect.txt" \
  || fail "gst-inspect-1.0 shows another plugin file"
if grep -q -i "example.invalid\|Unknown package origin" "$tmp/inspect.txt"; then
  fail "placeholder package metadata"
fi
grep "Source module\|Package\|Origin URL\|License" "$tmp/inspect.txt" | sed 's/^/  /'
echo "gst-inspect-1.0 with GST_PLUGIN_PATH only: ok"

# no model anywhere: the error names the installed folder, not the build tree
if run gst-launch-1.0 -q videotestsrc num-buffers=1 ! mnv3classify ! fakesink \
    >"$tmp/nomodel.txt" 2>&1; then
  fail "ran without any model"
fi
grep -q -F "$modeldir" "$tmp/nomodel.txt" || { cat "$tmp/nomodel.txt"; \
  fail "the error does not name $modeldir"; }
if grep -q -F "$build" "$tmp/nomodel.txt"; then
  fail "the installed plugin searched the build tree"
fi
echo "default-model search names $modeldir: ok"

run gst-launch-1.0 -q videotestsrc num-buffers=3 ! \
  "mnv3classify" "model-file=$model" ! fakesink >"$tmp/run.txt" 2>&1 \
  || { cat "$tmp/run.txt"; fail "pipeline with model-file"; }
echo "pipeline: ok"

# the C example, from the staged header and .pc only (the .pc's prefix
# moved to the staging folder, as a real --prefix install would have it)
mkdir -p "$tmp/pc"
sed "s|^prefix=.*|prefix=$root|" "$root/$libdir/pkgconfig/mnv3classify-1.0.pc" \
  >"$tmp/pc/mnv3classify-1.0.pc"
flags=$(PKG_CONFIG_PATH="$tmp/pc" pkg-config --cflags --libs mnv3classify-1.0)
case $flags in *"$root"*) ;; *) fail "pkg-config flags miss the install: $flags" ;; esac
cp "$src/examples/read-meta.c" "$tmp/read-meta.c"   # not next to gst/
# shellcheck disable=SC2086
cc -o "$tmp/read-meta" "$tmp/read-meta.c" $flags || fail "cc read-meta.c"
run "$tmp/read-meta" "videotestsrc num-buffers=3 ! mnv3classify model-file=$model ! fakesink name=sink" \
  >"$tmp/read-meta.txt" 2>&1 || { cat "$tmp/read-meta.txt"; fail "read-meta"; }
n=$(grep -c -v "no classification" "$tmp/read-meta.txt" || true)
[ "$n" -ge 3 ] || { cat "$tmp/read-meta.txt"; fail "read-meta printed no results"; }
head -3 "$tmp/read-meta.txt" | sed 's/^/  /'
echo "C example built with pkg-config against the install: ok"

run "$root/$bindir/mnv3" info "$model" >/dev/null || fail "installed mnv3 info"
run "$root/$bindir/mnv3-convert" --help >"$tmp/conv.txt" 2>&1 \
  || { cat "$tmp/conv.txt"; fail "installed mnv3-convert --help"; }
echo "mnv3 and mnv3-convert from the install: ok"
echo "all passed"
