#!/usr/bin/python3
# mnv3classify: tests/models/test-onnx-variants.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End to end: ONNX variants of the fixture small-sym-f16 that the converter now maps onto
metadata (issue 15) compute, in mnv3, what the ONNX graph itself computes.

usage: test-onnx-variants.py PATH-TO-mnv3

Variants: the export as is (symmetric), TensorFlow SAME pads on every k>1 conv (-> tf-same), and
HardSigmoid alpha 0.2 (-> mnv3.hard_sigmoid = keras2; run only when `mnv3 info` reports a
hard_sigmoid, i.e. the engine implements it). Reference: tests/data/make-fixtures.py's op-by-op
float64 evaluation of the ONNX file (torch ops, no onnxruntime). SKIPs without python3-torch,
python3-torchvision or python3-onnx. Tolerance: 1e-4 * max|ref| + 1e-5, top-1 equal."""

import importlib.util
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnv3test as M  # noqa: E402

FIXTURE = "small-sym-f16"


def main():
    exe = M.mnv3_exe(sys.argv)
    M.need_numpy()
    import numpy as np
    try:
        import onnx
        from onnx import helper
        import torch
        spec = importlib.util.spec_from_file_location(
            "make_fixtures", os.path.join(M.SOURCE_ROOT, "tests", "data", "make-fixtures.py"))
        mf = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mf)
    except ImportError as e:
        M.skip("%s is not installed: no ONNX reference evaluation" % e.name)
    src = os.path.join(M.FIXTURES, FIXTURE + ".onnx")
    inp = os.path.join(M.FIXTURES, FIXTURE + ".input.f32")
    x = np.fromfile(inp, "<f4").reshape(-1, 96, 96, 3)

    def set_attr(nd, name, value):
        for a in list(nd.attribute):
            if a.name == name:
                nd.attribute.remove(a)
        nd.attribute.append(helper.make_attribute(name, value))

    def tf_pads(n, k, s):
        o = -(-n // s)
        t = max((o - 1) * s + k - n, 0)
        return [t // 2, t // 2, t - t // 2, t - t // 2]

    variants = [("symmetric", onnx.load(src), {"mnv3.padding": "symmetric"})]
    m = onnx.load(src)
    inits = {i.name: i for i in m.graph.initializer}
    n = 96
    for nd in m.graph.node:
        if nd.op_type == "Conv" and list(inits[nd.input[1]].dims)[2] > 1:
            k = list(inits[nd.input[1]].dims)[2]
            s = [a for a in nd.attribute if a.name == "strides"][0].ints[0]
            set_attr(nd, "pads", tf_pads(n, k, s))
            n = -(-n // s)
    variants.append(("tf-same-pads", m, {"mnv3.padding": "tf-same"}))
    m = onnx.load(src)
    for nd in m.graph.node:
        if nd.op_type == "HardSigmoid":
            set_attr(nd, "alpha", 0.2)
    variants.append(("keras2", m, {"mnv3.hard_sigmoid": "keras2"}))

    import mnv3format as F
    failures = []
    with tempfile.TemporaryDirectory(prefix="mnv3-onnx-variants-") as tmp:
        for name, m, want_meta in variants:
            path = os.path.join(tmp, name + ".onnx")
            onnx.save(m, path)
            model = os.path.join(tmp, name + ".safetensors")
            M.convert_ok(path, model)
            _, meta = F.read_safetensors(model)
            for k, v in want_meta.items():
                if meta.get(k) != v:
                    failures.append("%s: metadata %s = %r, expected %r" % (name, k, meta.get(k), v))
            if name == "keras2" and "hard_sigmoid:" not in M.run_cli(exe, "info", model):
                print("%-14s metadata ok; not run: this mnv3 has no mnv3.hard_sigmoid support"
                      % name)
                continue
            ref = np.stack([mf.run_onnx(path, torch.from_numpy(
                x[i:i + 1].transpose(0, 3, 1, 2).copy())).numpy()[0] for i in range(len(x))])
            out = M.run_cli(exe, "classify", model, inp, "--logits")
            got = np.array([[float(v) for v in line.split()] for line in out.strip().splitlines()])
            if got.shape != ref.shape:
                failures.append("%s: logits of shape %s, expected %s" % (name, got.shape, ref.shape))
                continue
            err = float(np.abs(got - ref).max())
            tol = 1e-4 * float(np.abs(ref).max()) + 1e-5
            top1 = bool((got.argmax(1) == ref.argmax(1)).all())
            print("%-14s max|mnv3 - onnx| %.2e (tolerance %.2e, max|ref| %.2f), top-1 %s"
                  % (name, err, tol, np.abs(ref).max(), "equal" if top1 else "DIFFERS"))
            if err > tol or not top1:
                failures.append("%s: mnv3 differs from the ONNX graph" % name)
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
