#!/usr/bin/python3
# mnv3classify: tests/gst/real-model.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Convert one of the real TFLite MobileNetV3 models of the shared data folder for a test.

usage: real-model.py NAME      e.g. v3-small_224_1.0_uint8

Prints the path of NAME.float.safetensors, converted with models/convert.py --float-activations
into $MNV3_BUILD_ROOT/tests/gst/real-models/ (reused when newer than the .tflite). The element tests
feed whole photos through the element's own resize, not TFLite's exact 224x224 inputs, and compare
top-1 with TFLite's; they keep the plain float network (TFLite's activation rounding, which
tests/models/test-tflite-real.py checks on the exact inputs, amplifies the resize difference on
near-tie photos such as cat on large-minimalistic: TFLite 286 at 0.43 vs 282 at 0.34). The shared data
folder is $MNV3_SHARED_DATA, else $MNV3_SHARED_DATA_DEFAULT. Exits 77 (meson SKIP) with the reason
on stderr when the folder or the model is absent, 1 when the conversion fails. Converted files stay
in the build tree: they are never committed.
"""
import os
import subprocess
import sys
import tempfile


def shared_data():
    d = os.environ.get("MNV3_SHARED_DATA") or os.environ.get("MNV3_SHARED_DATA_DEFAULT")
    if not d or not os.path.isdir(os.path.join(d, "mobilenet_v3")):
        return None
    return os.path.join(d, "mobilenet_v3")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    name = sys.argv[1]
    data = shared_data()
    if data is None:
        print("SKIP: shared data folder not found (set MNV3_SHARED_DATA)", file=sys.stderr)
        return 77
    tflite = os.path.join(data, "models", name + ".tflite")
    if not os.path.isfile(tflite):
        print("SKIP: %s not found" % tflite, file=sys.stderr)
        return 77
    root = os.environ.get("MNV3_BUILD_ROOT", ".")
    src = os.environ.get("MNV3_SOURCE_ROOT",
                         os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    outdir = os.path.join(root, "tests", "gst", "real-models")
    os.makedirs(outdir, exist_ok=True)
    out = os.path.join(outdir, name + ".float.safetensors")
    convert = os.path.join(src, "models", "convert.py")
    if (os.path.isfile(out) and os.path.getmtime(out) >= os.path.getmtime(tflite)
            and os.path.getmtime(out) >= os.path.getmtime(convert)):
        print(out)
        return 0
    # tests run in parallel: convert to a private name, then rename atomically
    fd, tmp = tempfile.mkstemp(suffix=".safetensors", dir=outdir)
    os.close(fd)
    r = subprocess.run(["/usr/bin/python3", convert, tflite, "-o", tmp, "--float-activations"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        os.unlink(tmp)
        print("converting %s failed: %s" % (tflite, r.stderr.strip()), file=sys.stderr)
        return 1
    os.replace(tmp, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
