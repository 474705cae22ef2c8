#!/usr/bin/python3
# mnv3classify: tests/models/test-bad-inputs.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""models/convert.py on truncated, garbage, wrong-format and non-MobileNetV3 inputs: it must exit
non-zero with exactly one line on stderr (no traceback) and write no output.

Uses the committed fixture .pth/.onnx, and the real .tflite files when the shared data is present."""

import io
import os
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnv3test as M  # noqa: E402


def cuts(data):
    n = len(data)
    return sorted({0, 1, 7, 8, 30, 100, n // 3, n // 2, n - 1000, n - 1} - {n} if n > 2000
                  else {1, n // 2, n - 1})


def rename_in_pth(data, old, new):
    """Rewrite tensor names in a torch zip's data.pkl (same length, so the pickle stays valid)."""
    assert len(old) == len(new)
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            b = src.read(item.filename)
            if item.filename.endswith("data.pkl"):
                b = b.replace(old, new)
            dst.writestr(item, b)
    return buf.getvalue()


def main():
    cases = []   # (name, bytes, suffix, substring expected in the message or None)
    cases.append(("empty", b"", ".pth", "empty"))
    cases.append(("text", b"hello world\n", ".txt", "unknown input format"))
    cases.append(("garbage", bytes((i * 131 + 7) % 256 for i in range(4096)), ".pth", None))
    cases.append(("garbage-onnx", bytes((i * 37 + 1) % 256 for i in range(4096)), ".onnx", None))
    cases.append(("garbage-tflite", b"\x10\x00\x00\x00TFL3" + b"\xff" * 64, ".tflite", None))
    pth = os.path.join(M.FIXTURES, "small-sym-f16.pth")
    if os.path.exists(pth):
        data = open(pth, "rb").read()
        for c in cuts(data):
            cases.append(("pth-cut-%d" % c, data[:c], ".pth", None))
        cases.append(("pth-not-mnv3", rename_in_pth(data, b"classifier.3", b"classifier.9"), ".pth",
                      "expected"))
        cases.append(("pth-blocks", rename_in_pth(data, b"features.12.", b"features.19."), ".pth",
                      "expected"))
        st = os.path.join(M.FIXTURES, "small-sym-f16.safetensors")
        if os.path.exists(st):
            cases.append(("safetensors-as-input", open(st, "rb").read(), ".safetensors", None))
    else:
        print("note: fixture %s absent, .pth cases not run" % pth)
    onnx_path = os.path.join(M.FIXTURES, "small-sym-f16.onnx")
    have_onnx = True
    try:
        import onnx
    except ImportError:
        have_onnx = False
        print("note: python3-onnx absent, .onnx cases not run")
    if have_onnx and os.path.exists(onnx_path):
        data = open(onnx_path, "rb").read()
        for c in cuts(data)[1:]:
            cases.append(("onnx-cut-%d" % c, data[:c], ".onnx", None))
        m = onnx.load(onnx_path)
        gemms = [n for n in m.graph.node if n.op_type == "Gemm"]
        m.graph.node.remove(gemms[-1])
        cases.append(("onnx-no-classifier", m.SerializeToString(), ".onnx", "expected"))
    root = os.environ.get("MNV3_SHARED_DATA") or os.environ.get("MNV3_SHARED_DATA_DEFAULT")
    tfl = os.path.join(root or "/nonexistent", "mobilenet_v3", "models", "v3-small_224_1.0_uint8.tflite")
    if os.path.exists(tfl):
        data = open(tfl, "rb").read()
        # (not n-1: a flatbuffer's last byte may be alignment padding nothing refers to)
        for c in cuts(data)[1:-1]:
            cases.append(("tflite-cut-%d" % c, data[:c], ".tflite", None))
        cases.append(("tflite-bad-ident", data[:4] + b"XXXX" + data[8:], ".tflite", "expected"))
    else:
        print("note: real .tflite absent (%s), truncated .tflite cases not run" % tfl)

    failures = []
    with tempfile.TemporaryDirectory(prefix="mnv3-bad-") as tmp:
        rc, so, se = M.convert(os.path.join(tmp, "does-not-exist.pth"), os.path.join(tmp, "x.st"))
        if rc == 0 or len(se.strip().splitlines()) != 1:
            failures.append("missing input: rc %d, stderr %r" % (rc, se))
        for name, data, suffix, want in cases:
            src = os.path.join(tmp, name + suffix)
            out = os.path.join(tmp, name + ".out.safetensors")
            with open(src, "wb") as f:
                f.write(data)
            rc, so, se = M.convert(src, out)
            lines = se.strip().splitlines()
            msg = lines[0] if lines else ""
            print("%-24s rc=%d  %s" % (name, rc, msg.replace(src, name + suffix)))
            if rc == 0:
                failures.append("%s: converted successfully" % name)
            if len(lines) != 1 or "Traceback" in se or not msg.startswith("convert.py: "):
                failures.append("%s: expected a one-line error, got %r" % (name, se))
            if want and want not in msg:
                failures.append("%s: message lacks %r: %s" % (name, want, msg))
            if os.path.exists(out) or os.path.exists(out + ".tmp"):
                failures.append("%s: output written" % name)
    for f in failures:
        print("FAIL: " + f)
    print("%d cases" % len(cases))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
