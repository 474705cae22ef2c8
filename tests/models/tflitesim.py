# mnv3classify: tests/models/tflitesim.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A tiny numpy interpreter of a TFLite graph, op by op, used as a test oracle.

It runs the .tflite file's own graph (not our converted model): same ops, same NHWC/OHWI layouts,
TensorFlow SAME padding, with the constants dequantized. Two modes:
- quantized=True: every uint8/int8 op output is rounded and clamped to its quantization grid
  (q = clip(round(x / scale) + zp), half to even); average pools sum their input's integers
  exactly (see _qpool); this reproduces TensorFlow Lite's uint8 results closely (its top-1 on every
  test photo), proves the graph, weights and dequantization are read correctly, and is the oracle
  of libmnv3's activation-quantization emulation (mnv3.act_quant);
- quantized=False: the float network the uint8 graph encodes: no rounding; an output whose
  quantized range starts at 0 gets ReLU (min 0), and the SE gate's 0..6 range gets ReLU6. This is
  what a float engine running the converted weights must compute.
Only the ops of TensorFlow's MobileNetV3 graphs are supported."""

import os
import sys

import numpy as np

_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "..", "..", "models"))
import mnv3tflite as T  # noqa: E402


def _pad_same(x, k, s):
    def p(n):
        out = -(-n // s)
        tot = max((out - 1) * s + k - n, 0)
        return tot // 2, tot - tot // 2
    xp = np.pad(x, (p(x.shape[0]), p(x.shape[1]), (0, 0)))
    return xp, (xp.shape[0] - k) // s + 1, (xp.shape[1] - k) // s + 1


class Interpreter:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.m = T.Model(f.read())
        self.consts = {}
        for op in self.m.operators:
            for ti in op.inputs:
                if ti >= 0 and ti not in self.consts:
                    c = self.m.constant(self.m.tensors[ti])
                    if c is not None:
                        self.consts[ti] = c.astype(np.float64)

    def _post(self, ti, y, quantized):
        t = self.m.tensors[ti]
        if t.scale is None or t.type not in (3, 9):
            return y
        s, z = t.scale[0], t.zero_point[0]
        lo, hi = (0, 255) if t.type == 3 else (-128, 127)
        if quantized:
            return (np.clip(np.round(y / s) + z, lo, hi) - z) * s
        fmin, fmax = (lo - z) * s, (hi - z) * s
        if abs(fmin) < 1e-9:
            y = np.maximum(y, 0)
            if abs(fmax - 6.0) < 0.01:
                y = np.minimum(y, 6.0)
        return y

    def _qpool(self, op):
        """Quantized global average pool, exact in the integer domain: the input is on its uint8
        grid, so its sum is an exact integer; the mean is rounded to the output grid half to even
        (XNNPACK's fp32 requantization, which TensorFlow Lite runs these files with). A float mean
        would decide ties (frequent: sums of integers over an even pixel count) by rounding noise."""
        ti, to = self.m.tensors[op.inputs[0]], self.m.tensors[op.outputs[0]]
        if ti.scale is None or to.scale is None or ti.type != 3 or to.type != 3:
            return None
        si, zi, so, zo = ti.scale[0], ti.zero_point[0], to.scale[0], to.zero_point[0]

        def pool(x):
            q = np.rint(x / si)            # q - zi, exact integers
            n = x.shape[1] * x.shape[2]
            acc = q.sum(axis=(1, 2), keepdims=True)
            v = acc / n if si == so else acc * (si / so) / n
            return (np.clip(np.rint(v) + zo, 0, 255) - zo) * so
        return pool

    def run(self, rgb, quantized):
        """rgb: uint8 HWC bytes of the input size. Returns (logits before softmax, probabilities)."""
        m = self.m
        inp = m.inputs[0]
        t = m.tensors[inp]
        h = t.shape[1]
        x = np.frombuffer(rgb, np.uint8).reshape(h, h, 3).astype(np.float64)
        if t.scale is not None:
            x = (x - t.zero_point[0]) * t.scale[0]
        else:
            x = x / 127.5 - 1.0
        vals = {inp: x[None]}
        logits = None
        for op in m.operators:
            ins = [vals[i] if i in vals else self.consts.get(i) for i in op.inputs]
            if op.op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
                o = m.options(op)
                s = o["stride"][0]
                xin, w, b = ins[0][0], ins[1], ins[2]
                if op.op == "CONV_2D":
                    k = w.shape[1]
                    if k == 1 and s == 1:
                        out = xin @ w[:, 0, 0, :].T
                    else:
                        xp, oh, ow = _pad_same(xin, k, s)
                        out = np.zeros((oh, ow, w.shape[0]))
                        for dy in range(k):
                            for dx in range(k):
                                out += xp[dy:dy + s * (oh - 1) + 1:s,
                                          dx:dx + s * (ow - 1) + 1:s] @ w[:, dy, dx, :].T
                else:
                    w = w[0]
                    k = w.shape[0]
                    xp, oh, ow = _pad_same(xin, k, s)
                    out = np.zeros((oh, ow, w.shape[2]))
                    for dy in range(k):
                        for dx in range(k):
                            out += xp[dy:dy + s * (oh - 1) + 1:s, dx:dx + s * (ow - 1) + 1:s] * w[dy, dx]
                y = (out + b)[None]
                if o["act"] == "RELU":
                    y = np.maximum(y, 0)
                elif o["act"] == "RELU6":
                    y = np.clip(y, 0, 6)
            elif op.op == "HARD_SWISH":
                y = ins[0] * np.clip(ins[0] + 3, 0, 6) / 6
            elif op.op == "ADD":
                y = ins[0] + ins[1]
            elif op.op == "MUL":
                y = ins[0] * ins[1]
            elif op.op in ("AVERAGE_POOL_2D", "MEAN"):
                if quantized and self._qpool(op) is not None:
                    vals[op.outputs[0]] = self._qpool(op)(ins[0])
                    continue
                y = ins[0].mean(axis=(1, 2), keepdims=True)
            elif op.op in ("RESHAPE", "SQUEEZE"):
                y = ins[0].reshape(1, -1)
                logits = y[0]
            elif op.op == "SOFTMAX":
                z = ins[0][0]
                logits = z
                e = np.exp(z - z.max())
                vals[op.outputs[0]] = (e / e.sum())[None]
                continue
            else:
                raise RuntimeError("tflitesim: unsupported op %s" % op.op)
            vals[op.outputs[0]] = self._post(op.outputs[0], y, quantized)
        return logits, vals[m.outputs[0]][0]
