# mnv3classify: models/mnv3tflite.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small, bounds-checked reader for TensorFlow Lite flatbuffers (schema v3): just the parts
needed to pull a CNN's operators, tensors, quantization and constant buffers out of a .tflite
file. Standard library + numpy; no TensorFlow, no flatbuffers package."""

import struct

import numpy as np

from mnv3format import FormatError

# BuiltinOperator values (tensorflow/lite/schema/schema.fbs)
OPS = {
    0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D",
    6: "DEQUANTIZE", 9: "FULLY_CONNECTED", 14: "LOGISTIC", 17: "MAX_POOL_2D", 18: "MUL",
    19: "RELU", 21: "RELU6", 22: "RESHAPE", 25: "SOFTMAX", 34: "PAD", 40: "MEAN", 41: "SUB",
    42: "DIV", 43: "SQUEEZE", 49: "SPLIT", 60: "PADV2", 75: "ABS", 114: "QUANTIZE",
    117: "HARD_SWISH",
}

# TensorType -> numpy dtype
TYPES = {0: "<f4", 1: "<f2", 2: "<i4", 3: "u1", 4: "<i8", 6: "?", 7: "<i2", 9: "i1", 10: "<f8"}
TYPE_NAMES = {0: "FLOAT32", 1: "FLOAT16", 2: "INT32", 3: "UINT8", 4: "INT64", 5: "STRING",
              6: "BOOL", 7: "INT16", 8: "COMPLEX64", 9: "INT8", 10: "FLOAT64"}

ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


class _Buf:
    """Bounds-checked little-endian reads from a bytes object."""

    def __init__(self, data):
        self.data = data
        self.n = len(data)

    def _need(self, pos, size):
        if pos < 0 or size < 0 or pos + size > self.n:
            raise FormatError("truncated or corrupt TFLite flatbuffer (read of %d bytes at offset "
                              "%d, file has %d)" % (size, pos, self.n))

    def u8(self, pos):
        self._need(pos, 1)
        return self.data[pos]

    def i8(self, pos):
        self._need(pos, 1)
        return struct.unpack_from("<b", self.data, pos)[0]

    def u16(self, pos):
        self._need(pos, 2)
        return struct.unpack_from("<H", self.data, pos)[0]

    def i32(self, pos):
        self._need(pos, 4)
        return struct.unpack_from("<i", self.data, pos)[0]

    def u32(self, pos):
        self._need(pos, 4)
        return struct.unpack_from("<I", self.data, pos)[0]

    def u64(self, pos):
        self._need(pos, 8)
        return struct.unpack_from("<Q", self.data, pos)[0]


class Table:
    """A flatbuffer table at absolute position pos."""

    def __init__(self, buf, pos):
        self.buf = buf
        self.pos = pos
        vt = pos - buf.i32(pos)
        self.vt = vt
        self.vt_size = buf.u16(vt)
        if self.vt_size < 4 or self.vt_size % 2:
            raise FormatError("corrupt TFLite flatbuffer (bad vtable at offset %d)" % vt)
        buf._need(vt, self.vt_size)

    def _off(self, field):
        o = 4 + 2 * field
        if o + 2 > self.vt_size:
            return 0
        return self.buf.u16(self.vt + o)

    def has(self, field):
        return self._off(field) != 0

    def scalar(self, field, kind, default=0):
        o = self._off(field)
        if not o:
            return default
        return getattr(self.buf, kind)(self.pos + o)

    def _indirect(self, field):
        o = self._off(field)
        if not o:
            return None
        p = self.pos + o
        return p + self.buf.u32(p)

    def table(self, field):
        p = self._indirect(field)
        return None if p is None else Table(self.buf, p)

    def string(self, field):
        p = self._indirect(field)
        if p is None:
            return None
        n = self.buf.u32(p)
        self.buf._need(p + 4, n)
        return self.buf.data[p + 4:p + 4 + n].decode("utf-8", "replace")

    def vector_raw(self, field, itemsize):
        """(start position, length) of a vector of scalars, bounds-checked."""
        p = self._indirect(field)
        if p is None:
            return None, 0
        n = self.buf.u32(p)
        self.buf._need(p + 4, n * itemsize)
        return p + 4, n

    def vector(self, field, dtype):
        dt = np.dtype(dtype)
        start, n = self.vector_raw(field, dt.itemsize)
        if start is None:
            return None
        return np.frombuffer(self.buf.data, dtype=dt, count=n, offset=start)

    def tables(self, field):
        start, n = self.vector_raw(field, 4)
        if start is None:
            return []
        res = []
        for i in range(n):
            p = start + 4 * i
            res.append(Table(self.buf, p + self.buf.u32(p)))
        return res


class Tensor:
    def __init__(self, index, t):
        self.index = index
        shape = t.vector(0, "<i4")
        self.shape = [] if shape is None else [int(x) for x in shape]
        self.type = t.scalar(1, "i8", 0)
        self.buffer = t.scalar(2, "u32", 0)
        self.name = t.string(3) or ("tensor%d" % index)
        self.scale = None
        self.zero_point = None
        self.qdim = 0
        q = t.table(4)
        if q is not None:
            s = q.vector(2, "<f4")
            z = q.vector(3, "<i8")
            if s is not None and len(s):
                self.scale = s.astype(np.float64)
                self.zero_point = (z.astype(np.float64) if z is not None and len(z)
                                   else np.zeros(len(s)))
                self.qdim = q.scalar(6, "i32", 0)


class Operator:
    def __init__(self, index, name, o):
        self.index = index
        self.op = name
        ins = o.vector(1, "<i4")
        outs = o.vector(2, "<i4")
        self.inputs = [] if ins is None else [int(x) for x in ins]
        self.outputs = [] if outs is None else [int(x) for x in outs]
        self.options_type = o.scalar(3, "u8", 0)
        self.options = o.table(4)


class Model:
    """The first subgraph of a .tflite file."""

    def __init__(self, data):
        if len(data) < 8:
            raise FormatError("not a TFLite file (%d bytes, too short)" % len(data))
        if data[4:8] != b"TFL3":
            raise FormatError("not a TFLite file (expected identifier TFL3 at offset 4, found %r)"
                              % bytes(data[4:8]))
        self.data = data
        buf = _Buf(data)
        root = Table(buf, buf.u32(0))
        self.version = root.scalar(0, "u32", 0)
        self.description = root.string(3) or ""
        codes = []
        for oc in root.tables(1):
            dep = oc.scalar(0, "i8", 0)
            code = max(dep, oc.scalar(3, "i32", 0))
            if code == 32:  # CUSTOM
                codes.append("CUSTOM:" + (oc.string(1) or "?"))
            else:
                codes.append(OPS.get(code, "BUILTIN_%d" % code))
        subgraphs = root.tables(2)
        if not subgraphs:
            raise FormatError("TFLite file has no subgraph")
        self.buffers = root.tables(4)
        sg = subgraphs[0]
        self.tensors = [Tensor(i, t) for i, t in enumerate(sg.tables(0))]
        ins = sg.vector(1, "<i4")
        outs = sg.vector(2, "<i4")
        self.inputs = [] if ins is None else [int(x) for x in ins]
        self.outputs = [] if outs is None else [int(x) for x in outs]
        self.operators = []
        for i, o in enumerate(sg.tables(3)):
            idx = o.scalar(0, "u32", 0)
            if idx >= len(codes):
                raise FormatError("corrupt TFLite file: operator %d uses opcode %d of %d"
                                  % (i, idx, len(codes)))
            self.operators.append(Operator(i, codes[idx], o))
        for op in self.operators:
            for t in op.inputs + op.outputs:
                if t >= len(self.tensors):
                    raise FormatError("corrupt TFLite file: operator %d refers to tensor %d of %d"
                                      % (op.index, t, len(self.tensors)))

    def buffer_bytes(self, tensor):
        """Raw constant bytes of a tensor, or None when it has no data (an activation)."""
        if tensor.buffer == 0 or tensor.buffer >= len(self.buffers):
            return None
        b = self.buffers[tensor.buffer]
        start, n = b.vector_raw(0, 1)
        if start is not None and n:
            return self.data[start:start + n]
        off = b.scalar(1, "u64", 0)
        size = b.scalar(2, "u64", 0)
        if off > 1 and size:
            if off + size > len(self.data):
                raise FormatError("truncated TFLite file: buffer %d ends past the end of the file"
                                  % tensor.buffer)
            return self.data[off:off + size]
        return None

    def constant(self, tensor):
        """Dequantized float32 numpy array of a constant tensor, or None."""
        raw = self.buffer_bytes(tensor)
        if raw is None:
            return None
        if tensor.type not in TYPES:
            raise FormatError("tensor %s has unsupported type %s"
                              % (tensor.name, TYPE_NAMES.get(tensor.type, tensor.type)))
        dt = np.dtype(TYPES[tensor.type])
        count = int(np.prod(tensor.shape)) if tensor.shape else 1
        if len(raw) != count * dt.itemsize:
            raise FormatError("tensor %s: %d bytes of data for shape %s (%s)"
                              % (tensor.name, len(raw), tensor.shape, TYPE_NAMES[tensor.type]))
        a = np.frombuffer(raw, dtype=dt).reshape(tensor.shape).astype(np.float64)
        if tensor.scale is not None and tensor.type not in (0, 1, 10):
            scale, zp = tensor.scale, tensor.zero_point
            if len(scale) == 1:
                a = (a - zp[0]) * scale[0]
            else:
                ax = tensor.qdim
                if ax >= a.ndim or a.shape[ax] != len(scale):
                    raise FormatError("tensor %s: %d per-channel scales for axis %d of shape %s"
                                      % (tensor.name, len(scale), ax, tensor.shape))
                bshape = [1] * a.ndim
                bshape[ax] = len(scale)
                zpv = zp if len(zp) == len(scale) else np.full(len(scale), zp[0] if len(zp) else 0)
                a = (a - zpv.reshape(bshape)) * scale.reshape(bshape)
        return a.astype(np.float32)

    def qconstant(self, tensor):
        """(raw integer numpy array, scales, zero points) of a quantized uint8/int8/int32 constant
        tensor (the integer engine keeps these: models/FORMAT.md section 2b), or None."""
        raw = self.buffer_bytes(tensor)
        if raw is None or tensor.type not in (2, 3, 9) or tensor.scale is None:
            return None
        dt = np.dtype(TYPES[tensor.type])
        count = int(np.prod(tensor.shape)) if tensor.shape else 1
        if len(raw) != count * dt.itemsize:
            raise FormatError("tensor %s: %d bytes of data for shape %s (%s)"
                              % (tensor.name, len(raw), tensor.shape, TYPE_NAMES[tensor.type]))
        a = np.frombuffer(raw, dtype=dt).reshape(tensor.shape).copy()
        zp = tensor.zero_point if len(tensor.zero_point) else np.zeros(len(tensor.scale))
        return a, tensor.scale.copy(), np.asarray(zp, dtype=np.float64)

    def options(self, op):
        """Decoded options of CONV_2D / DEPTHWISE_CONV_2D as a dict."""
        t = op.options
        if op.op == "CONV_2D":
            if t is None:
                return dict(padding="SAME", stride=(1, 1), act="NONE")
            return dict(padding="VALID" if t.scalar(0, "i8", 0) == 1 else "SAME",
                        stride=(t.scalar(2, "i32", 0), t.scalar(1, "i32", 0)),
                        act=ACTIVATIONS.get(t.scalar(3, "i8", 0), "?"),
                        dilation=(t.scalar(5, "i32", 1), t.scalar(4, "i32", 1)))
        if op.op == "DEPTHWISE_CONV_2D":
            if t is None:
                return dict(padding="SAME", stride=(1, 1), act="NONE", depth_multiplier=1)
            return dict(padding="VALID" if t.scalar(0, "i8", 0) == 1 else "SAME",
                        stride=(t.scalar(2, "i32", 0), t.scalar(1, "i32", 0)),
                        depth_multiplier=t.scalar(3, "i32", 0),
                        act=ACTIVATIONS.get(t.scalar(4, "i8", 0), "?"),
                        dilation=(t.scalar(6, "i32", 1), t.scalar(5, "i32", 1)))
        if op.op == "FULLY_CONNECTED":
            if t is None:
                return dict(act="NONE")
            return dict(act=ACTIVATIONS.get(t.scalar(0, "i8", 0), "?"))
        return {}
