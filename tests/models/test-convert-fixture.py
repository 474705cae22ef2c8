#!/usr/bin/python3
# mnv3classify: tests/models/test-convert-fixture.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Convert the torchvision fixture's .pth or .onnx (tests/data/fixtures/small-sym-f16.*) and check
the result against torchvision's own numbers.

usage: test-convert-fixture.py PATH-TO-mnv3 pth|onnx

- pth: every tensor of the conversion equals the fixture safetensors (written from the same
  torchvision model by tests/data/make-fixtures.py), names and shapes identical, metadata matching.
- both: logits of `mnv3 classify MODEL X.input.f32 --logits` equal torchvision's .logits.f32 within
  1e-4 * max|ref| + 1e-5; the numpy oracle models/reference.py must agree too.
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnv3test as M  # noqa: E402

FIXTURE = "small-sym-f16"


def fixture_info(name):
    with open(os.path.join(M.FIXTURES, "fixtures.txt")) as f:
        for line in f:
            p = line.split()
            if p and not p[0].startswith("#") and p[0] == name:
                return dict(arch=p[1], width=p[2], input_size=p[3], padding=p[4], num_classes=p[5],
                            n_inputs=int(p[6]))
    raise AssertionError("fixture %s not in fixtures.txt" % name)


def main():
    exe = M.mnv3_exe(sys.argv)
    kind = sys.argv[2] if len(sys.argv) > 2 else "pth"
    M.need_numpy()
    import numpy as np
    import mnv3format as F
    import reference as R
    if kind == "onnx":
        try:
            import onnx  # noqa: F401
        except ImportError:
            M.skip("python3-onnx is not installed: cannot read .onnx")
    src = os.path.join(M.FIXTURES, FIXTURE + "." + kind)
    if not os.path.exists(src):
        M.skip("fixture %s is missing (tests/data/make-fixtures.py writes it)" % src)
    info = fixture_info(FIXTURE)
    ref_st = os.path.join(M.FIXTURES, FIXTURE + ".safetensors")
    ref_logits = np.fromfile(os.path.join(M.FIXTURES, FIXTURE + ".logits.f32"), dtype="<f4")
    ref_logits = ref_logits.reshape(info["n_inputs"], -1).astype(np.float64)
    inp = os.path.join(M.FIXTURES, FIXTURE + ".input.f32")
    failures = []
    with tempfile.TemporaryDirectory(prefix="mnv3-fixture-") as tmp:
        out = os.path.join(tmp, FIXTURE + "." + kind + ".safetensors")
        extra = ["--input-size", info["input_size"]] if kind == "pth" else []
        M.convert_ok(src, out, *extra)
        got, meta = F.read_safetensors(out)
        ref, rmeta = F.read_safetensors(ref_st)
        for key in ("arch", "width", "input_size", "padding", "num_classes"):
            if meta.get("mnv3." + key) != info[key]:
                failures.append("metadata mnv3.%s = %r, expected %r"
                                % (key, meta.get("mnv3." + key), info[key]))
        for key in ("mnv3.mean", "mnv3.std"):
            if [float(v) for v in meta[key].split(",")] != [float(v) for v in rmeta[key].split(",")]:
                failures.append("metadata %s = %r, expected %r" % (key, meta[key], rmeta[key]))
        if kind == "pth":
            if set(got) != set(ref):
                failures.append("tensor names differ: missing %s, extra %s"
                                % (sorted(set(ref) - set(got))[:5], sorted(set(got) - set(ref))[:5]))
            neq = [k for k in ref if k in got and (got[k].shape != ref[k].shape
                                                   or not np.array_equal(got[k], ref[k]))]
            if neq:
                failures.append("%d tensors differ from the fixture, first %s" % (len(neq), neq[0]))
            else:
                print("pth: all %d tensors equal the fixture safetensors" % len(ref))
            if float(meta.get("mnv3.bn_eps", "nan")) != float(rmeta.get("mnv3.bn_eps", "0.001")):
                failures.append("mnv3.bn_eps = %r" % meta.get("mnv3.bn_eps"))
        tol = 1e-4 * np.abs(ref_logits).max() + 1e-5
        ours = M.logits(exe, out, inp)
        if ours.shape != ref_logits.shape:
            failures.append("mnv3 --logits shape %s, expected %s" % (ours.shape, ref_logits.shape))
        else:
            err = np.abs(ours - ref_logits).max()
            print("%s: mnv3 logits vs torchvision: max error %.3g (tolerance %.3g)" % (kind, err, tol))
            if not err <= tol:
                failures.append("mnv3 logits differ from torchvision's by %.3g > %.3g" % (err, tol))
        model = R.Model(out)
        xs = np.fromfile(inp, dtype="<f4").reshape(info["n_inputs"], model.size, model.size, 3)
        oracle = np.array([model.forward(x.astype(np.float64)) for x in xs])
        err = np.abs(oracle - ref_logits).max()
        print("%s: numpy reference.py logits vs torchvision: max error %.3g" % (kind, err))
        if not err <= tol:
            failures.append("numpy oracle differs from torchvision's logits by %.3g > %.3g" % (err, tol))
    for f in failures:
        print("FAIL: %s: %s" % (kind, f))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
