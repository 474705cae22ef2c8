#!/usr/bin/python3
# mnv3classify: tests/models/make-tflite.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write a small float TFLite MobileNetV3 with random weights, without TensorFlow: a minimal
flatbuffer writer for the parts of schema v3 that models/mnv3tflite.py reads (Model, OperatorCode,
SubGraph, Tensor, Buffer, Operator, Conv2D/DepthwiseConv2D/FullyConnected options). The graph has
TensorFlow's op sequence: BN folded into conv biases, HARD_SWISH ops (fused RELU for minimalistic),
MEAN pools, the SE gate as ADD/RELU6/MUL, residual ADDs, 1x1-conv classifier, RESHAPE, SOFTMAX.

usage: make-tflite.py ARCH WIDTH CLASSES SIZE OUT.tflite   (e.g. small 0.2 7 64 small.tflite)

build() returns (bytes, expected tensors in torchvision names/layout); the fuzz and
test-convert-tflite.py use it in-process."""

import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.environ.get("MNV3_SOURCE_ROOT", os.path.join(HERE, "..", "..")),
                                "models"))
import mnv3format as F  # noqa: E402

OPS = {"ADD": 0, "CONV_2D": 3, "DEPTHWISE_CONV_2D": 4, "FULLY_CONNECTED": 9, "MUL": 18,
       "RELU6": 21, "RESHAPE": 22, "SOFTMAX": 25, "MEAN": 40, "HARD_SWISH": 117}


# ---------------------------------------------------------------------------------------------
# A forward flatbuffer writer: every object is written after the one that refers to it, so all
# uoffsets point forward; vtables are written just before their table.

class Table:
    def __init__(self, *fields):
        self.fields = fields    # (index, kind, value): kind u8/i8/i32/u32/u64 or obj


class Vec:
    def __init__(self, fmt, values):
        self.fmt, self.values = fmt, list(values)


class TVec:
    def __init__(self, tables):
        self.tables = list(tables)


class Str:
    def __init__(self, s):
        self.s = s.encode()


SIZES = {"u8": "<B", "i8": "<b", "i32": "<i", "u32": "<I", "u64": "<Q"}


class Writer:
    def __init__(self):
        self.b = bytearray(4)

    def align(self, n):
        while len(self.b) % n:
            self.b.append(0)

    def emit(self, obj):
        if isinstance(obj, Str):
            self.align(4)
            pos = len(self.b)
            self.b += struct.pack("<I", len(obj.s)) + obj.s + b"\0"
            return pos
        if isinstance(obj, Vec):
            self.align(16)
            pos = len(self.b)
            self.b += struct.pack("<I", len(obj.values))
            if obj.fmt == "bytes":
                self.b += obj.values[0] if obj.values else b""
                self.b[pos:pos + 4] = struct.pack("<I", len(obj.values[0]) if obj.values else 0)
            else:
                for v in obj.values:
                    self.b += struct.pack(obj.fmt, v)
            return pos
        if isinstance(obj, TVec):
            self.align(4)
            pos = len(self.b)
            self.b += struct.pack("<I", len(obj.tables)) + bytes(4 * len(obj.tables))
            for i, t in enumerate(obj.tables):
                slot = pos + 4 + 4 * i
                child = self.emit(t)
                self.b[slot:slot + 4] = struct.pack("<I", child - slot)
            return pos
        # a table: vtable, then the table (soffset, fields)
        nf = max((f[0] for f in obj.fields), default=-1) + 1
        layout, off = [], 4
        for idx, kind, val in obj.fields:
            size = 4 if kind not in SIZES else struct.calcsize(SIZES[kind])
            while off % size:
                off += 1
            layout.append((idx, kind, val, off))
            off += size
        self.align(2)
        vt = len(self.b)
        vts = 4 + 2 * nf
        slots = [0] * nf
        for idx, kind, val, o in layout:
            slots[idx] = o
        self.b += struct.pack("<HH", vts, off) + b"".join(struct.pack("<H", s) for s in slots)
        self.align(8)
        pos = len(self.b)
        self.b += bytes(off)
        self.b[pos:pos + 4] = struct.pack("<i", pos - vt)
        for idx, kind, val, o in layout:
            if kind in SIZES:
                self.b[pos + o:pos + o + struct.calcsize(SIZES[kind])] = struct.pack(SIZES[kind], val)
        for idx, kind, val, o in layout:
            if kind not in SIZES:
                child = self.emit(val)
                self.b[pos + o:pos + o + 4] = struct.pack("<I", child - (pos + o))
        return pos

    def finish(self, root):
        pos = self.emit(root)
        self.b[0:4] = struct.pack("<I", pos)
        self.b[4:8] = b"TFL3"
        return bytes(self.b)


# ---------------------------------------------------------------------------------------------

def build(arch, width, classes, size, seed=0, input_shape=None):
    """(tflite bytes, {torchvision name: float32 array}) of a random-weight MobileNetV3.
    input_shape: record this input shape instead of [1, size, size, 3] (the graph stays sized
    for size)."""
    rng = np.random.default_rng(seed)
    minimal = arch.endswith("minimalistic")
    tensors, buffers, ops, expected = [], [Table()], [], {}
    codes = sorted(OPS)

    def tensor(shape, data=None, name=""):
        buf = 0
        if data is not None:
            buffers.append(Table((0, "obj", Vec("bytes", [np.ascontiguousarray(data, "<f4")
                                                          .tobytes()]))))
            buf = len(buffers) - 1
        tensors.append(Table((0, "obj", Vec("<i", shape)), (1, "i8", 0), (2, "u32", buf),
                             (3, "obj", Str(name or "t%d" % len(tensors)))))
        return len(tensors) - 1

    def op(name, ins, outs, opt_type=0, opts=None):
        fields = [(0, "u32", codes.index(name)), (1, "obj", Vec("<i", ins)),
                  (2, "obj", Vec("<i", outs))]
        if opts is not None:
            fields += [(3, "u8", opt_type), (4, "obj", opts)]
        ops.append(Table(*fields))

    def act(x, shape, kind):
        if kind == "hs":
            y = tensor(shape)
            op("HARD_SWISH", [x], [y])
            return y
        return x

    def conv(x, hw, prefix, w, stride=1, activation=None, dw=False, pooled=False):
        """w in torch layout; writes conv + bias, returns (output tensor, hw)."""
        o = w.shape[0]
        b = rng.uniform(-0.2, 0.2, o).astype(np.float32)
        expected[prefix + ".weight"] = w
        expected[prefix + ".bias"] = b
        out_hw = -(-hw // stride)
        y = tensor([1, out_hw, out_hw, o])
        fused = 1 if activation == "relu" else 0
        if dw:
            wt = tensor(list((1,) + w.shape[2:] + (o,)), w[:, 0].transpose(1, 2, 0)[None])
            opts = Table((0, "i8", 0), (1, "i32", stride), (2, "i32", stride), (3, "i32", 1),
                         (4, "i8", fused))
            op("DEPTHWISE_CONV_2D", [x, wt, tensor([o], b)], [y], 2, opts)
        else:
            wt = tensor([o, w.shape[2], w.shape[3], w.shape[1]], w.transpose(0, 2, 3, 1))
            opts = Table((0, "i8", 0), (1, "i32", stride), (2, "i32", stride), (3, "i8", fused))
            op("CONV_2D", [x, wt, tensor([o], b)], [y], 1, opts)
        if activation == "hs":
            y = act(y, [1, out_hw, out_hw, o], "hs")
        return y, out_hw

    def rand(shape):
        fan = int(np.prod(shape[1:]))
        return (rng.standard_normal(shape) / np.sqrt(fan)).astype(np.float32)

    def mean(x, c):
        y = tensor([1, 1, 1, c])
        op("MEAN", [x, tensor([2], np.array([1, 2], np.float32))], [y])
        return y

    hs = "relu" if minimal else "hs"
    x = tensor(input_shape or [1, size, size, 3], name="input")
    inp = x
    plan = F.layer_plan(arch, width)
    bl = F.blocks(arch, width)
    hw = size
    x, hw = conv(x, hw, "features.0.0", rand(plan[0][2]), 2, hs)
    for i, b in enumerate(bl):
        pre = "features.%d.block" % (i + 1)
        j = 0
        block_in = x
        a = ("hs" if b["hs"] else "relu") if not minimal else "relu"
        if b["exp"] != b["cin"]:
            x, hw = conv(x, hw, "%s.%d.0" % (pre, j), rand((b["exp"], b["cin"], 1, 1)), 1, a)
            j += 1
        x, hw = conv(x, hw, "%s.%d.0" % (pre, j), rand((b["exp"], 1, b["k"], b["k"])),
                     b["stride"], a, dw=True)
        j += 1
        if b["se"]:
            p = mean(x, b["exp"])
            s1, _ = conv(p, 1, "%s.%d.fc1" % (pre, j), rand((b["squeeze"], b["exp"], 1, 1)), 1,
                         "relu", pooled=True)
            s2, _ = conv(s1, 1, "%s.%d.fc2" % (pre, j), rand((b["exp"], b["squeeze"], 1, 1)))
            shp = [1, 1, 1, b["exp"]]
            t1, t2, t3 = tensor(shp), tensor(shp), tensor(shp)
            op("ADD", [s2, tensor([], np.array(3, np.float32))], [t1])
            op("RELU6", [t1], [t2])
            op("MUL", [t2, tensor([], np.array(1 / 6, np.float32))], [t3])
            y = tensor([1, hw, hw, b["exp"]])
            op("MUL", [x, t3], [y])
            x = y
            j += 1
        x, hw = conv(x, hw, "%s.%d.0" % (pre, j), rand((b["out"], b["exp"], 1, 1)))
        if b["stride"] == 1 and b["cin"] == b["out"]:
            y = tensor([1, hw, hw, b["out"]])
            op("ADD", [block_in, x], [y])
            x = y
    last = bl[-1]["out"]
    x, hw = conv(x, hw, "features.%d.0" % F.head_index(arch), rand((6 * last, last, 1, 1)), 1, hs)
    p = mean(x, 6 * last)
    lastc = F.make_divisible(F.LAST_CHANNEL[F.base_arch(arch)] * width) if width > 1 else \
        F.LAST_CHANNEL[F.base_arch(arch)]
    c0, _ = conv(p, 1, "classifier.0", rand((lastc, 6 * last, 1, 1)), 1, hs, pooled=True)
    c3, _ = conv(c0, 1, "classifier.3", rand((classes, lastc, 1, 1)), pooled=True)
    r = tensor([1, classes])
    op("RESHAPE", [c3, tensor([2], np.array([1, classes], np.float32))], [r])
    sm = tensor([1, classes], name="output")
    op("SOFTMAX", [r], [sm])
    # classifier weights: [out, in] in torchvision's state_dict
    for k in ("classifier.0.weight", "classifier.3.weight"):
        expected[k] = expected[k].reshape(expected[k].shape[0], -1)
    sub = Table((0, "obj", TVec(tensors)), (1, "obj", Vec("<i", [inp])), (2, "obj", Vec("<i", [sm])),
                (3, "obj", TVec(ops)), (4, "obj", Str("main")))
    model = Table((0, "u32", 3),
                  (1, "obj", TVec([Table((0, "i8", min(OPS[c], 127)), (2, "i32", 1),
                                         (3, "i32", OPS[c])) for c in codes])),
                  (2, "obj", TVec([sub])), (3, "obj", Str("mnv3classify make-tflite.py")),
                  (4, "obj", TVec(buffers)))
    # TFLite's file identifier sits at bytes 4..7: the root offset is at 0, so reserve 8 bytes
    w = Writer()
    w.b = bytearray(8)
    data = w.finish(model)
    return data, expected


def main():
    if len(sys.argv) != 6:
        print(__doc__.split("\n\n")[1])
        return 2
    arch, width, classes, size, out = sys.argv[1:]
    data, _ = build(arch, float(width), int(classes), int(size))
    with open(out, "wb") as f:
        f.write(data)
    print("%s: %d bytes" % (out, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
