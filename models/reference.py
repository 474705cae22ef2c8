#!/usr/bin/python3
# mnv3classify: models/reference.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A plain numpy forward pass over an mnv3 safetensors file (models/FORMAT.md).

An independent oracle for tests and for checking converters, written from the format document and
DESIGN.md 3a, sharing no code with libmnv3. Slow and simple: float64, NHWC.

usage: reference.py MODEL INPUT.rgb|INPUT.f32 [--logits] [--top-k N]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnv3format as F  # noqa: E402


def relu(x):
    return np.maximum(x, 0)


def hsigmoid(x):
    return np.clip(x + 3, 0, 6) / 6


def hswish(x):
    return x * hsigmoid(x)


class Model:
    def __init__(self, path):
        self.t, self.meta = F.read_safetensors(path)
        m = self.meta
        self.arch = m["mnv3.arch"]
        self.width = float(m["mnv3.width"])
        self.size = int(m["mnv3.input_size"])
        self.padding = m["mnv3.padding"]
        self.mean = np.array([float(v) for v in m["mnv3.mean"].split(",")])
        self.std = np.array([float(v) for v in m["mnv3.std"].split(",")])
        self.eps = float(m.get("mnv3.bn_eps", "0.001"))
        self.num_classes = int(m["mnv3.num_classes"])
        labels = m.get("mnv3.labels")
        self.labels = labels.split("\n") if labels else None
        self.minimal = self.arch.endswith("minimalistic")

    def unit(self, prefix):
        """(weight OIHW, bias) of a conv unit with BN folded."""
        w = self.t[prefix + ".0.weight"].astype(np.float64)
        if prefix + ".0.bias" in self.t:
            return w, self.t[prefix + ".0.bias"].astype(np.float64)
        g = self.t[prefix + ".1.weight"].astype(np.float64)
        b = self.t[prefix + ".1.bias"].astype(np.float64)
        mu = self.t[prefix + ".1.running_mean"].astype(np.float64)
        var = self.t[prefix + ".1.running_var"].astype(np.float64)
        s = g / np.sqrt(var + self.eps)
        return w * s[:, None, None, None], b - mu * s

    def pad(self, x, k, s):
        h, w = x.shape[0], x.shape[1]
        if self.padding == "tf-same":
            def p(n):
                out = -(-n // s)
                tot = max((out - 1) * s + k - n, 0)
                return tot // 2, tot - tot // 2
            ph, pw = p(h), p(w)
        else:
            ph = pw = (k // 2, k // 2)
        xp = np.pad(x, (ph, pw, (0, 0)))
        oh = (xp.shape[0] - k) // s + 1
        ow = (xp.shape[1] - k) // s + 1
        return xp, oh, ow

    def conv(self, x, w, b, s):
        """Dense conv, x HWC, w OIHW."""
        k = w.shape[2]
        if k == 1 and s == 1:
            return x @ w[:, :, 0, 0].T + b
        xp, oh, ow = self.pad(x, k, s)
        out = np.zeros((oh, ow, w.shape[0]))
        for dy in range(k):
            for dx in range(k):
                patch = xp[dy:dy + s * (oh - 1) + 1:s, dx:dx + s * (ow - 1) + 1:s, :]
                out += patch @ w[:, :, dy, dx].T
        return out + b

    def dwconv(self, x, w, b, s):
        k = w.shape[2]
        xp, oh, ow = self.pad(x, k, s)
        out = np.zeros((oh, ow, w.shape[0]))
        for dy in range(k):
            for dx in range(k):
                patch = xp[dy:dy + s * (oh - 1) + 1:s, dx:dx + s * (ow - 1) + 1:s, :]
                out += patch * w[:, 0, dy, dx]
        return out + b

    def forward(self, x):
        """x: normalized HWC float input -> logits."""
        act_hs = relu if self.minimal else hswish
        w, b = self.unit("features.0")
        x = act_hs(self.conv(x, w, b, 2))
        for i, blk in enumerate(F.blocks(self.arch, self.width)):
            pre = "features.%d.block" % (i + 1)
            act = hswish if blk["hs"] else relu
            inp = x
            j = 0
            if blk["exp"] != blk["cin"]:
                w, b = self.unit("%s.%d" % (pre, j))
                x = act(self.conv(x, w, b, 1))
                j += 1
            w, b = self.unit("%s.%d" % (pre, j))
            x = act(self.dwconv(x, w, b, blk["stride"]))
            j += 1
            if blk["se"]:
                p = "%s.%d" % (pre, j)
                v = x.mean(axis=(0, 1))
                v = relu(self.t[p + ".fc1.weight"][:, :, 0, 0] @ v + self.t[p + ".fc1.bias"])
                v = hsigmoid(self.t[p + ".fc2.weight"][:, :, 0, 0] @ v + self.t[p + ".fc2.bias"])
                x = x * v
                j += 1
            w, b = self.unit("%s.%d" % (pre, j))
            x = self.conv(x, w, b, 1)
            if blk["stride"] == 1 and blk["cin"] == blk["out"]:
                x = x + inp
        w, b = self.unit("features.%d" % F.head_index(self.arch))
        x = act_hs(self.conv(x, w, b, 1))
        v = x.mean(axis=(0, 1))
        v = act_hs(self.t["classifier.0.weight"] @ v + self.t["classifier.0.bias"])
        return self.t["classifier.3.weight"] @ v + self.t["classifier.3.bias"]

    def normalize_rgb(self, raw):
        x = np.frombuffer(raw, dtype=np.uint8).reshape(self.size, self.size, 3).astype(np.float64)
        return (x / 255.0 - self.mean) / self.std


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def main():
    ap = argparse.ArgumentParser(description="numpy reference forward pass of an mnv3 model file")
    ap.add_argument("model")
    ap.add_argument("input", help=".rgb (input_size^2*3 bytes) or .f32 (normalized NHWC floats)")
    ap.add_argument("--logits", action="store_true")
    ap.add_argument("--top-k", type=int, default=5)
    args = ap.parse_args()
    m = Model(args.model)
    raw = open(args.input, "rb").read()
    n = m.size * m.size * 3
    if args.input.endswith(".f32"):
        a = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        xs = [a[i * n:(i + 1) * n].reshape(m.size, m.size, 3) for i in range(len(a) // n)]
    else:
        xs = [m.normalize_rgb(raw)]
    for x in xs:
        z = m.forward(x)
        if args.logits:
            print(" ".join("%.9g" % v for v in z))
            continue
        p = softmax(z)
        for c in np.argsort(-p, kind="stable")[:args.top_k]:
            print("%d %.6f %s" % (c, p[c], m.labels[c] if m.labels and c < len(m.labels) else c))


if __name__ == "__main__":
    main()
