#!/usr/bin/python3
# mnv3classify: models/convert.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Convert MobileNetV3 weights (torchvision .pth, TensorFlow .tflite, ONNX, Keras .h5/.keras) to the mnv3
safetensors model format (models/FORMAT.md).

usage: convert.py INPUT -o OUT.safetensors [--labels FILE | --no-labels] [--arch ARCH]
                  [--width W] [--input-size N] [--padding P] [--source TEXT]
                  [--float-activations] [--no-integer] [--external-data-dir DIR]
                  [--hard-sigmoid relu6|keras2]
"""

import argparse
import collections
import json
import math
import os
import stat
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import mnv3format as F  # noqa: E402
from mnv3format import FormatError  # noqa: E402

LABELS_DIR = os.path.join(HERE, "labels")

# Limits (models/README.md, "Limits"). The largest official MobileNetV3 file is about 22 MB.
MAX_INPUT_BYTES = 1 << 30           # the input file, and all ONNX external data together
MAX_LABELS_BYTES = 8 << 20          # a --labels file (the model file's header is at most 64 MiB)
MAX_TENSOR_ELEMENTS = 1 << 28       # one graph constant (1 GiB as float32)
MIN_INPUT_SIZE, MAX_INPUT_SIZE = 16, 2048   # what libmnv3 accepts (src/mnv3-model.c)


def _file_kind(mode):
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a regular file"


def _open_regular(path, what, limit=None, follow=True):
    """Open path for reading without blocking (a FIFO must not hang us) and return (fd, size)
    once it is known to be a regular file no larger than limit."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as e:
        raise FormatError("cannot read %s %s: %s" % (what, path, getattr(e, "strerror", None) or e))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FormatError("%s %s is %s; only regular files are read"
                              % (what, path, _file_kind(st.st_mode)))
        if limit is not None and st.st_size > limit:
            raise FormatError("%s %s is %d bytes, more than the limit of %d"
                              % (what, path, st.st_size, limit))
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _pread_all(fd, n, offset, what, path):
    chunks = []
    got = 0
    while got < n:
        try:
            b = os.pread(fd, min(n - got, 1 << 24), offset + got)
        except OSError as e:
            raise FormatError("cannot read %s %s: %s" % (what, path, e.strerror))
        if not b:
            break
        chunks.append(b)
        got += len(b)
    if got != n:
        raise FormatError("%s %s changed while being read (%d of %d bytes)" % (what, path, got, n))
    return b"".join(chunks)


def read_regular(path, what, limit):
    """All bytes of a regular file of at most limit bytes (FIFOs, devices, directories and
    larger files are refused before anything is read)."""
    fd, size = _open_regular(path, what, limit)
    try:
        data = _pread_all(fd, size, 0, what, path)
        if _pread_all(fd, 0, size, what, path) or os.fstat(fd).st_size != size:
            raise FormatError("%s %s changed while being read" % (what, path))
    finally:
        os.close(fd)
    return data


# ---------------------------------------------------------------------------------------------
# Graph formats (TFLite, ONNX): a list of conv-like layers in graph order, mapped onto names.

class Layer:
    """One weight-carrying op of a graph, in PyTorch layout.

    kind: 'conv' (dense conv, OIHW), 'dw' (depthwise, [C,1,k,k]) or 'fc' (fully connected,
    [out, in]); pooled: the op's input is a 1x1 map (after a global pool), as for SE and the
    classifier; bn: optional (gamma, beta, mean, var, eps) following the conv."""

    def __init__(self, kind, w, b, stride=1, pooled=False, padding=None, bn=None, name=""):
        self.kind = kind
        self.w = np.asarray(w, dtype=np.float32)
        self.b = None if b is None else np.asarray(b, dtype=np.float32)
        self.stride = stride
        self.pooled = pooled
        self.padding = padding
        self.bn = bn
        self.name = name
        self.op = None          # TFLite operator (activation quantization)
        self.prefix = None      # tensor name prefix, set by layers_to_tensors
        self.role = None
        self.pads = None        # ONNX: explicit pads [top, left, bottom, right]
        self.auto_pad = "NOTSET"

    @property
    def k(self):
        return self.w.shape[2] if self.w.ndim == 4 else 1

    def is_1x1(self):
        return self.kind == "conv" and self.w.ndim == 4 and self.w.shape[2:] == (1, 1)

    def describe(self):
        what = {"conv": "conv", "dw": "depthwise conv", "fc": "fully connected"}[self.kind]
        if self.w.ndim == 4:
            what += " %dx%d/%d %d->%d" % (self.k, self.k, self.stride,
                                          self.w.shape[1] * (self.w.shape[0] if self.kind == "dw" else 1),
                                          self.w.shape[0])
        else:
            what += " %d->%d" % (self.w.shape[1], self.w.shape[0])
        if self.pooled:
            what += " on a pooled 1x1 map"
        return "%s (%s)" % (what, self.name) if self.name else what


def _expect(cond, expected, layer, where):
    if not cond:
        found = layer.describe() if layer is not None else "end of graph"
        raise FormatError("not a MobileNetV3 graph: at %s expected %s, found %s"
                          % (where, expected, found))


def layers_to_tensors(layers, fmt):
    """Map graph-order layers onto torchvision names. Returns (arch, tensors, bn_eps or None)."""
    n = len(layers)
    at = lambda i: layers[i] if i < n else None  # noqa: E731
    if n == 0:
        raise FormatError("not a MobileNetV3 graph: no convolutions found")
    stem = layers[0]
    _expect(stem.kind == "conv" and stem.w.shape[1] == 3 and stem.k == 3 and stem.stride == 2,
            "a 3x3 stride-2 stem conv on 3 channels", stem, "layer 0")
    blocks = []
    i = 1
    while True:
        expand = None
        l0 = at(i)
        if l0 is not None and l0.is_1x1() and not l0.pooled and at(i + 1) is not None \
                and at(i + 1).kind == "dw":
            expand = l0
            i += 1
        elif l0 is None or l0.kind != "dw":
            break
        dw = at(i)
        i += 1
        se = None
        if at(i) is not None and at(i).pooled and at(i).kind in ("conv", "fc"):
            _expect(at(i + 1) is not None and at(i + 1).pooled and at(i + 1).kind in ("conv", "fc"),
                    "the second squeeze-excite 1x1 conv", at(i + 1), "layer %d" % (i + 1))
            se = (at(i), at(i + 1))
            i += 2
        proj = at(i)
        _expect(proj is not None and proj.is_1x1() and not proj.pooled,
                "the 1x1 project conv of block %d" % (len(blocks) + 1), proj, "layer %d" % i)
        i += 1
        blocks.append((expand, dw, se, proj))
    nb = len(blocks)
    if nb not in (11, 15):
        raise FormatError("not a MobileNetV3 graph: expected 15 (large) or 11 (small) bneck blocks, "
                          "found %d" % nb)
    head = at(i)
    _expect(head is not None and head.is_1x1() and not head.pooled,
            "a bneck block (1x1 expand + depthwise) or the 1x1 head conv", head, "layer %d" % i)
    cls0, cls3 = at(i + 1), at(i + 2)
    for j, c in ((i + 1, cls0), (i + 2, cls3)):
        _expect(c is not None and (c.kind == "fc" or (c.is_1x1() and c.pooled)),
                "a classifier layer (1x1 conv on the pooled map or fully connected)", c, "layer %d" % j)
    _expect(i + 3 == n, "the end of the graph after the classifier", at(i + 3), "layer %d" % (i + 3))

    base = "large" if nb == 15 else "small"
    has_se = [b[2] is not None for b in blocks]
    kernels = [b[1].k for b in blocks]
    if not any(has_se) and all(k == 3 for k in kernels):
        arch = base + "-minimalistic"
    else:
        arch = base
    ref = F.blocks(arch)
    for bi, (b, r) in enumerate(zip(blocks, ref)):
        if (b[2] is not None) != r["se"] or b[1].k != r["k"] or b[1].stride != r["stride"]:
            raise FormatError(
                "not a MobileNetV3-%s graph: block %d expected depthwise %dx%d/%d%s, found %dx%d/%d%s"
                % (arch, bi + 1, r["k"], r["k"], r["stride"], " with SE" if r["se"] else " without SE",
                   b[1].k, b[1].k, b[1].stride, " with SE" if b[2] is not None else " without SE"))

    tensors = collections.OrderedDict()
    eps = set()

    def put_conv(prefix, layer, what):
        layer.prefix, layer.role = prefix, what
        w = layer.w
        if layer.kind == "dw":
            pass
        elif w.ndim == 2:
            w = w.reshape(w.shape[0], w.shape[1], 1, 1)
        tensors[prefix + ".0.weight"] = w
        if layer.bn is not None:
            if layer.b is not None and np.any(layer.b != 0):
                # conv bias followed by BN: fold the bias into the BN shift
                g, beta, mean, var, e = layer.bn
                layer.bn = (g, beta, mean - layer.b, var, e)
            g, beta, mean, var, e = layer.bn
            tensors[prefix + ".1.weight"] = g
            tensors[prefix + ".1.bias"] = beta
            tensors[prefix + ".1.running_mean"] = mean
            tensors[prefix + ".1.running_var"] = var
            eps.add(float(e))
        else:
            tensors[prefix + ".0.bias"] = (layer.b if layer.b is not None
                                           else np.zeros(w.shape[0], np.float32))

    def put_fc(prefix, layer, four_d):
        layer.prefix, layer.role = prefix, "fc"
        w = layer.w.reshape(layer.w.shape[0], -1)
        if four_d:
            w = w.reshape(w.shape[0], w.shape[1], 1, 1)
        tensors[prefix + ".weight"] = w
        tensors[prefix + ".bias"] = (layer.b if layer.b is not None
                                     else np.zeros(w.shape[0], np.float32))
        if layer.bn is not None:
            raise FormatError("unexpected BatchNorm after %s" % layer.describe())

    put_conv("features.0", stem, "stem")
    for bi, (expand, dw, se, proj) in enumerate(blocks):
        pre = "features.%d.block" % (bi + 1)
        j = 0
        if expand is not None:
            put_conv("%s.%d" % (pre, j), expand, "expand")
            j += 1
        put_conv("%s.%d" % (pre, j), dw, "depthwise")
        j += 1
        if se is not None:
            put_fc("%s.%d.fc1" % (pre, j), se[0], True)
            put_fc("%s.%d.fc2" % (pre, j), se[1], True)
            j += 1
        put_conv("%s.%d" % (pre, j), proj, "project")
    put_conv("features.%d" % F.head_index(arch), head, "head")
    put_fc("classifier.0", cls0, False)
    put_fc("classifier.3", cls3, False)
    if len(eps) > 1:
        raise FormatError("BatchNorm layers use different eps values %s; the format has one bn_eps"
                          % sorted(eps))
    paddings = {l.padding for l in layers if l.padding is not None}
    return arch, tensors, (eps.pop() if eps else None), paddings


# ---------------------------------------------------------------------------------------------
# TFLite

def read_tflite(path, data, opts):
    import mnv3tflite as T
    m = T.Model(data)
    producers = {}
    for op in m.operators:
        for t in op.outputs:
            producers[t] = op
    tensors = m.tensors

    def const(ti):
        """Constant value of tensor ti, following DEQUANTIZE of constants (fp16 models)."""
        if ti < 0:
            return None
        c = m.constant(tensors[ti])
        if c is None and ti in producers and producers[ti].op == "DEQUANTIZE" and \
                producers[ti].inputs and producers[ti].inputs[0] >= 0:
            c = m.constant(tensors[producers[ti].inputs[0]])
        return c

    layers = []
    weight_ops = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
    seen = collections.Counter(op.op for op in m.operators)
    unknown = [o for o in seen if o.startswith("BUILTIN_") or o.startswith("CUSTOM")]
    if unknown:
        raise FormatError("not a MobileNetV3 graph: unexpected TFLite operators %s" % ", ".join(unknown))
    for op in m.operators:
        if op.op not in weight_ops:
            continue
        if len(op.inputs) < 2 or op.inputs[0] < 0 or not op.outputs or op.outputs[0] < 0:
            raise FormatError("%s op %d: missing input or output tensors" % (op.op, op.index))
        opt = m.options(op)
        x = tensors[op.inputs[0]]
        w = const(op.inputs[1])
        b = const(op.inputs[2]) if len(op.inputs) > 2 else None
        if w is None:
            raise FormatError("%s op %d has no constant weights" % (op.op, op.index))
        if 0 in w.shape or (b is not None and b.shape != (w.shape[-1 if op.op ==
                                                               "DEPTHWISE_CONV_2D" else 0],)):
            raise FormatError("%s op %d: weights of shape %s with bias of shape %s"
                              % (op.op, op.index, list(w.shape),
                                 None if b is None else list(b.shape)))
        qw = m.qconstant(tensors[op.inputs[1]])
        qb = m.qconstant(tensors[op.inputs[2]]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        spatial = x.shape[1] * x.shape[2] if len(x.shape) == 4 else 1
        pooled = spatial == 1
        if op.op == "CONV_2D":
            if w.ndim != 4:
                raise FormatError("CONV_2D op %d: weights of shape %s" % (op.index, list(w.shape)))
            if opt.get("dilation", (1, 1)) != (1, 1):
                raise FormatError("CONV_2D op %d: dilated convs are not MobileNetV3" % op.index)
            sh, sw = opt["stride"]
            if sh != sw or sh not in (1, 2):
                raise FormatError("CONV_2D op %d: strides %s" % (op.index, (sh, sw)))
            if pooled and opt["act"] == "RELU6":
                # A float graph's SE hard-sigmoid relu6 (x + 3) / 6 with the + 3 folded into
                # this conv's bias (as the TFLite converter does for Keras models): unfold it.
                b = (b if b is not None else np.zeros(w.shape[0], np.float32)) - np.float32(3)
            layers.append(Layer("conv", w.transpose(0, 3, 1, 2), b, sh, pooled,
                                None if w.shape[1] == 1 and w.shape[2] == 1 else opt["padding"],
                                name=tensors[op.outputs[0]].name))
            layers[-1].op = op
            layers[-1].q = (qw and (qw[0].transpose(0, 3, 1, 2),) + qw[1:], qb)
        elif op.op == "DEPTHWISE_CONV_2D":
            if w.ndim != 4 or w.shape[0] != 1 or opt.get("depth_multiplier", 1) not in (0, 1):
                raise FormatError("DEPTHWISE_CONV_2D op %d: depth multiplier != 1 (weights %s)"
                                  % (op.index, list(w.shape)))
            sh, sw = opt["stride"]
            if sh != sw or sh not in (1, 2):
                raise FormatError("DEPTHWISE_CONV_2D op %d: strides %s" % (op.index, (sh, sw)))
            layers.append(Layer("dw", w[0].transpose(2, 0, 1)[:, None], b, sh, pooled,
                                opt["padding"], name=tensors[op.outputs[0]].name))
            layers[-1].op = op
            layers[-1].q = (qw and (qw[0][0].transpose(2, 0, 1)[:, None],) + qw[1:], qb)
        else:
            layers.append(Layer("fc", w.reshape(w.shape[0], -1), b, 1, True, None,
                                name=tensors[op.outputs[0]].name))
            layers[-1].op = op
            layers[-1].q = (qw and (qw[0].reshape(qw[0].shape[0], -1),) + qw[1:], qb)
    arch, out, _, paddings = layers_to_tensors(layers, "tflite")
    if paddings - {"SAME"}:
        raise FormatError("unsupported TFLite padding %s (expected SAME everywhere)"
                          % ", ".join(sorted(paddings - {"SAME"})))
    hs = seen.get("HARD_SWISH", 0)
    if arch.endswith("minimalistic") and hs:
        raise FormatError("not a MobileNetV3 graph: minimalistic structure (no SE, 3x3 only) but "
                          "%d HARD_SWISH ops" % hs)
    if not m.inputs or not 0 <= m.inputs[0] < len(tensors):
        raise FormatError("not a MobileNetV3 graph: no input tensor")
    inp = tensors[m.inputs[0]]
    size, size_problem = None, None
    shape = inp.shape_signature or inp.shape
    if len(inp.shape) != 4 or len(shape) != 4:
        raise FormatError("TFLite input %s has shape %s, expected NHWC" % (inp.name, inp.shape))
    if shape[3] != 3:
        raise FormatError("TFLite input %s has %d channels, expected 3" % (inp.name, shape[3]))
    if shape[1] > 0 and shape[2] > 0 and shape[1] == shape[2]:
        size = shape[1]
    elif shape[1] > 0 and shape[2] > 0:
        size_problem = "a non-square %dx%d input" % (shape[1], shape[2])
    else:
        size_problem = "a dynamic input size"
    info = dict(padding="tf-same", mean=F.TF_MEAN, std=F.TF_STD, input_size=size,
                size_problem=size_problem,
                kind="TensorFlow TFLite (%s input)" % T.TYPE_NAMES.get(inp.type, "?"),
                licence="Apache-2.0")
    if inp.type in (3, 9) and inp.scale is not None:
        info["act_quant"] = tflite_act_quant(m, layers)
        # The uint8 pixel v is the quantized input: x = (v + qmin - zero_point) * scale.
        s, z, qmin, _ = info["act_quant"]["input"]
        info["quant_mean"] = ",".join(["%.9g" % ((z - qmin) / 255.0)] * 3)
        info["quant_std"] = ",".join(["%.9g" % (1.0 / (255.0 * s))] * 3)
        info["int_quant"] = tflite_int_quant(m, layers, out)
    return arch, out, info


def tflite_int_quant(m, layers, out):
    """The integer engine's part of a uint8/int8 TFLite file (models/FORMAT.md section 2b): the
    raw quantized weights (uint8 per-tensor or int8 per-channel) and int32 biases replace the
    dequantized ones in @out, shaped as them, and the returned object gives their scales and zero
    points, plus the quantized constant operands of the squeeze-excite's ADD and MUL. Returns None
    (the file then keeps the dequantized weights) when some weight is not quantized."""
    weights = collections.OrderedDict()
    pending = []
    for layer in layers:
        qw, qb = getattr(layer, "q", (None, None))
        if qw is None or qb is None or qw[0].dtype not in (np.uint8, np.int8) \
                or qb[0].dtype != np.int32:
            return None
        p = layer.prefix
        wname, bname = ((p + ".weight", p + ".bias") if layer.role == "fc"
                        else (p + ".0.weight", p + ".0.bias"))
        if wname not in out or bname not in out or out[wname].size != qw[0].size \
                or out[bname].size != qb[0].size:
            return None
        pending.append((wname, qw[0].reshape(out[wname].shape)))
        pending.append((bname, qb[0].reshape(out[bname].shape)))
        weights[wname] = [[float(x) for x in qw[1]], [int(x) for x in qw[2]]]
        weights[bname] = [[float(x) for x in qb[1]], [int(x) for x in qb[2]]]
    for name, a in pending:
        out[name] = a
    consts = collections.OrderedDict()
    tensors = m.tensors
    consumers = collections.defaultdict(list)
    for op in m.operators:
        for t in op.inputs:
            if t >= 0:
                consumers[t].append(op)

    def scalar_operand(op):
        for ti in op.inputs:
            q = m.qconstant(tensors[ti]) if ti >= 0 else None
            if q is not None and q[0].size == 1 and q[0].dtype in (np.uint8, np.int8):
                return [int(q[0].reshape(-1)[0]), float(q[1][0]), int(q[2][0])]
        return None

    for layer in layers:
        if not layer.prefix.endswith(".fc2"):
            continue
        se = layer.prefix[:-len(".fc2")]
        ops = consumers.get(layer.op.outputs[0], [])
        add = ops[0] if len(ops) == 1 and ops[0].op == "ADD" else None
        ops = consumers.get(add.outputs[0], []) if add else []
        mul = ops[0] if len(ops) == 1 and ops[0].op == "MUL" else None
        c_add, c_mul = (scalar_operand(add), scalar_operand(mul)) if mul else (None, None)
        if c_add is None or c_mul is None:
            return None
        consts[se + ".relu6"] = c_add
        consts[se + ".hsigmoid"] = c_mul
    return {"weights": weights, "consts": consts}


def tflite_act_quant(m, layers):
    """The uint8/int8 grids TensorFlow Lite rounds activations to, keyed by our rounding points
    (models/FORMAT.md section 2a), in graph order: {point: [scale, zero_point, qmin, qmax]}, plus
    the constant operand for the SE's ".relu6" (the + 3) and ".hsigmoid" (the * 1/6)."""
    tensors = m.tensors
    consumers = collections.defaultdict(list)
    producers = {}
    for op in m.operators:
        for t in op.inputs:
            if t >= 0:
                consumers[t].append(op)
        for t in op.outputs:
            producers[t] = op

    def grid(ti, point):
        t = tensors[ti]
        if t.type not in (3, 9) or t.scale is None or len(t.scale) != 1:
            raise FormatError("activation %s (point %s) is not per-tensor uint8/int8 quantized; "
                              "convert with --float-activations" % (t.name, point))
        lo, hi = (0, 255) if t.type == 3 else (-128, 127)
        return [float(t.scale[0]), int(t.zero_point[0]), lo, hi]

    def unexpected(point, expected, ops):
        raise FormatError("not a TFLite MobileNetV3 graph as expected for activation quantization: "
                          "after %s expected %s, found %s (convert with --float-activations)"
                          % (point, expected, ", ".join(o.op for o in ops) or "nothing"))

    def only(ti, kinds, point):
        cons = consumers.get(ti, [])
        if len(cons) != 1 or cons[0].op not in kinds:
            unexpected(point, " or ".join(kinds), cons)
        return cons[0]

    def constant_operand(op, point):
        cs = [m.constant(tensors[i]) for i in op.inputs if i >= 0]
        vals = [c for c in cs if c is not None]
        if len(vals) != 1 or vals[0].size != 1:
            unexpected(point, "%s with one scalar constant" % op.op, [op])
        return float(vals[0].reshape(-1)[0])

    points = collections.OrderedDict()
    points["input"] = grid(m.inputs[0], "input")
    block_in = None
    prev_role = None
    for layer in layers:
        op, p = layer.op, layer.prefix
        out = op.outputs[0]
        if layer.role == "expand" or (layer.role == "depthwise" and prev_role != "expand"):
            block_in = op.inputs[0]
        prev_role = layer.role
        if p.endswith(".fc1") or p == "classifier.0":
            pool_key = p[:-len(".fc1")] + ".pool" if p.endswith(".fc1") else "pool"
            src = producers.get(op.inputs[0])
            if src is None or src.op not in ("AVERAGE_POOL_2D", "MEAN"):
                unexpected(pool_key, "a global average pool", [src] if src else [])
            points[pool_key] = grid(op.inputs[0], pool_key)
        if p.endswith(".fc2"):
            se = p[:-len(".fc2")]
            points[p] = grid(out, p)
            add = only(out, ("ADD",), p)
            points[se + ".relu6"] = grid(add.outputs[0], se + ".relu6") + [constant_operand(add, p)]
            mul = only(add.outputs[0], ("MUL",), se + ".relu6")
            points[se + ".hsigmoid"] = (grid(mul.outputs[0], se + ".hsigmoid")
                                        + [constant_operand(mul, se + ".relu6")])
            gate = only(mul.outputs[0], ("MUL",), se + ".hsigmoid")
            points[se + ".scale"] = grid(gate.outputs[0], se + ".scale")
            continue
        points[p] = grid(out, p)
        last = out
        cons = consumers.get(out, [])
        if len(cons) == 1 and cons[0].op == "HARD_SWISH":
            last = cons[0].outputs[0]
            points[p + ".hswish"] = grid(last, p + ".hswish")
        elif any(c.op == "HARD_SWISH" for c in cons):
            unexpected(p, "a single HARD_SWISH", cons)
        if layer.role == "project":
            # the residual add sums this block's input and output (the output may also feed the
            # next block's residual add)
            adds = [c for c in consumers.get(last, []) if c.op == "ADD" and block_in in c.inputs]
            if adds:
                block = p.split(".")[1]
                points["features.%s.add" % block] = grid(adds[0].outputs[0], "features.%s.add" % block)
        if p == "classifier.0":
            # TensorFlow's graph has a 1x1 AVERAGE_POOL_2D before the logits: on the same grid,
            # an identity.
            cls3 = layers[-1].op
            if grid(cls3.inputs[0], "classifier.3 input")[:2] != grid(last, p)[:2]:
                unexpected(p, "the logits conv on the same grid", [producers[cls3.inputs[0]]])
    return points


# ---------------------------------------------------------------------------------------------
# ONNX

# TensorProto data types: numpy itemsize and the typed field holding the values when raw_data is
# empty (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
ONNX_TYPES = {1: (4, "float_data"), 2: (1, "int32_data"), 3: (1, "int32_data"),
              4: (2, "int32_data"), 5: (2, "int32_data"), 6: (4, "int32_data"),
              7: (8, "int64_data"), 9: (1, "int32_data"), 10: (2, "int32_data"),
              11: (8, "double_data"), 12: (4, "uint64_data"), 13: (8, "uint64_data"),
              16: (2, "int32_data")}


def _onnx_text(v, what):
    """A string field of the protobuf: the C++ protobuf hands back bytes when it is not UTF-8."""
    if isinstance(v, bytes):
        raise FormatError("not a valid ONNX model: %s is not UTF-8 text (%r)" % (what, v[:40]))
    return v


def _onnx_external(t, name, nbytes, ext_dir):
    """The bytes of an initializer stored in an external file: only with --external-data-dir,
    only a regular file inside that folder (after resolving .. and symlinks), size-checked."""
    if ext_dir is None:
        raise FormatError("tensor %s keeps its data in an external file; the converter reads "
                          "external data only from a folder named with --external-data-dir DIR"
                          % name)
    entries = {}
    for e in t.external_data:
        entries[_onnx_text(e.key, "an external data key of %s" % name)] = \
            _onnx_text(e.value, "an external data entry of %s" % name)
    loc = entries.get("location", "")
    if not loc or "\0" in loc or os.path.isabs(loc):
        raise FormatError("tensor %s: external data location %r is not a relative file name"
                          % (name, loc[:200]))
    try:
        offset = int(entries.get("offset", "0"))
        length = int(entries["length"]) if "length" in entries else None
    except ValueError:
        raise FormatError("tensor %s: external data offset/length are not integers" % name)
    if offset < 0 or (length is not None and length != nbytes):
        raise FormatError("tensor %s: external data of %s bytes at offset %d, the tensor's shape "
                          "and type need %d" % (name, length, offset, nbytes))
    base = os.path.realpath(ext_dir)
    if not os.path.isdir(base):
        raise FormatError("--external-data-dir %s is not a folder" % ext_dir)
    full = os.path.realpath(os.path.join(base, loc))
    if os.path.commonpath([base, full]) != base or full == base:
        raise FormatError("tensor %s: external data location %r lies outside --external-data-dir "
                          "%s" % (name, loc[:200], ext_dir))
    fd, size = _open_regular(full, "external data file", follow=False)
    try:
        if offset + nbytes > size:
            raise FormatError("tensor %s: external data %s has %d bytes, the tensor needs %d at "
                              "offset %d" % (name, loc[:200], size, nbytes, offset))
        return _pread_all(fd, nbytes, offset, "external data file", full)
    finally:
        os.close(fd)


def _onnx_array(t, name, ext_dir, budget):
    """numpy array of a TensorProto, its sizes checked before anything is allocated."""
    from onnx import numpy_helper
    if t.data_type not in ONNX_TYPES:
        raise FormatError("tensor %s has ONNX data type %d, expected a number type"
                          % (name, t.data_type))
    itemsize, field = ONNX_TYPES[t.data_type]
    dims = list(t.dims)
    if len(dims) > 8 or any(d < 0 for d in dims):
        raise FormatError("tensor %s has shape %s" % (name, dims[:9]))
    count = math.prod(dims)
    if count > MAX_TENSOR_ELEMENTS:
        raise FormatError("tensor %s has %d elements (shape %s), more than the limit of %d"
                          % (name, count, dims, MAX_TENSOR_ELEMENTS))
    if t.data_location == 1 or len(t.external_data):   # TensorProto.EXTERNAL
        nbytes = count * itemsize
        budget[0] += nbytes
        if budget[0] > MAX_INPUT_BYTES:
            raise FormatError("external data larger than %d bytes in total" % MAX_INPUT_BYTES)
        raw = _onnx_external(t, name, nbytes, ext_dir)
        t = type(t).FromString(t.SerializeToString())
        del t.external_data[:]
        t.data_location = 0
        t.raw_data = raw
    elif t.HasField("raw_data"):
        if len(t.raw_data) != count * itemsize:
            raise FormatError("tensor %s: %d bytes of data for shape %s (%d-byte elements)"
                              % (name, len(t.raw_data), dims, itemsize))
    elif len(getattr(t, field)) != count:
        raise FormatError("tensor %s: %d values for shape %s" % (name, len(getattr(t, field)), dims))
    try:
        a = numpy_helper.to_array(t)
    except (ValueError, TypeError) as e:
        raise FormatError("tensor %s: unreadable data (%s)" % (name, str(e).splitlines()[0][:200]))
    return a.astype(np.float32) if t.data_type in (1, 10, 11, 16) else a


def _tf_same_pads(n, k, s):
    """ONNX pads [top, left, bottom, right] of TensorFlow SAME on an n x n map."""
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return [total // 2, total // 2, total - total // 2, total - total // 2]


def onnx_padding(layers, size):
    """'symmetric' or 'tf-same' from the convs' pads, checked conv by conv against the map size
    when the graph's input size is known."""
    n = size
    sym_all, tf_all = True, True
    for layer in layers:
        if layer.kind == "fc" or layer.pooled:
            continue
        k, s = layer.k, layer.stride
        sym = [k // 2] * 4
        if k == 1:
            sym_ok = tf_ok = layer.pads in (None, [0, 0, 0, 0])
        elif layer.auto_pad == "SAME_UPPER":
            sym_ok = _tf_same_pads(n, k, s) == sym if n is not None else s == 1
            tf_ok = True
        elif layer.auto_pad not in ("NOTSET", ""):
            raise FormatError("Conv %s: auto_pad %s is neither torchvision's nor TensorFlow's "
                              "padding" % (layer.name, layer.auto_pad))
        else:
            sym_ok = layer.pads == sym
            if n is not None:
                tf_ok = layer.pads == _tf_same_pads(n, k, s)
            else:   # dynamic size: TF SAME on an even map (odd maps pad symmetrically)
                tf_ok = sym_ok or (s == 2 and layer.pads == _tf_same_pads(2 * k, k, s))
        if not (sym_ok or tf_ok):
            raise FormatError("Conv %s: pads %s are neither torchvision's k/2 on every side nor "
                              "TensorFlow SAME%s" % (layer.name, layer.pads,
                                                     " on its %dx%d input" % (n, n) if n else ""))
        sym_all &= sym_ok
        tf_all &= tf_ok
        if n is not None:
            n = -(-n // s)
    if sym_all:
        return "symmetric"
    if tf_all:
        return "tf-same"
    raise FormatError("the convs mix torchvision's symmetric padding and TensorFlow SAME padding")


def read_onnx(path, data, opts):
    try:
        import onnx
    except ImportError:
        raise FormatError("reading .onnx needs the python3-onnx package (apt install python3-onnx)")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # protobuf DecodeError and friends
        raise FormatError("not an ONNX model or truncated (%s)" % str(e).splitlines()[0]
                          if str(e) else "not an ONNX model or truncated")
    g = model.graph
    if not g.node:
        raise FormatError("not an ONNX model (empty graph)")
    for i, node in enumerate(g.node):
        _onnx_text(node.op_type, "the operator type of node %d" % i)
        _onnx_text(node.name, "the name of node %d" % i)
        for x in list(node.input) + list(node.output):
            _onnx_text(x, "a tensor name of node %d" % i)
        for a in node.attribute:
            _onnx_text(a.name, "an attribute name of node %d" % i)
    for t in list(g.initializer) + list(g.input):
        _onnx_text(t.name, "an initializer or input name")
    _onnx_text(model.producer_name, "the producer name")
    ext_dir = opts.get("external_data_dir")
    budget = [0]
    inits = {}
    for t in g.initializer:
        inits[t.name] = _onnx_array(t, t.name, ext_dir, budget)
    for node in g.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    inits[node.output[0]] = _onnx_array(a.t, node.output[0] if node.output else
                                                        node.name, ext_dir, budget)
        elif node.op_type == "Identity" and node.input and node.input[0] in inits:
            # torch.onnx shares identical initializers through Identity nodes
            inits[node.output[0]] = inits[node.input[0]]
    producer = {}
    consumers = collections.defaultdict(list)
    for node in g.node:
        for o in node.output:
            producer[o] = node
        for i in node.input:
            consumers[i].append(node)

    def attr(node, name, default=None):
        for a in node.attribute:
            if a.name == name:
                try:
                    return onnx.helper.get_attribute_value(a)
                except ValueError as e:
                    raise FormatError("%s %s: attribute %s unreadable (%s)"
                                      % (node.op_type, node.name, name, str(e)[:100]))
        return default

    def attr_ints(node, name, default, n):
        v = attr(node, name, default)
        if not isinstance(v, (list, tuple)) or len(v) != n or \
                not all(isinstance(x, int) for x in v):
            raise FormatError("%s %s: attribute %s = %s, expected %d integers"
                              % (node.op_type, node.name, name, str(v)[:80], n))
        return list(v)

    def attr_num(node, name, default):
        v = attr(node, name, default)
        if not isinstance(v, (int, float)):
            raise FormatError("%s %s: attribute %s is not a number" % (node.op_type, node.name, name))
        return v

    # Pooled propagation: a tensor is a 1x1 map once it went through a global pool.
    pooled = set()
    passthrough = {"Relu", "Clip", "HardSigmoid", "HardSwish", "Add", "Mul", "Div", "Sub",
                   "Sigmoid", "Flatten", "Reshape", "Squeeze", "Identity", "Dropout", "Conv",
                   "Gemm", "MatMul", "BatchNormalization", "Cast"}
    for node in g.node:
        op = node.op_type
        if op == "GlobalAveragePool":
            pooled.update(node.output)
        elif op in ("ReduceMean", "AveragePool"):
            pooled.update(node.output)   # MobileNetV3 only pools globally
        elif op in passthrough:
            ins = [i for i in node.input if i and i not in inits]
            if ins and all(i in pooled for i in ins):
                pooled.update(node.output)

    known = {"Conv", "BatchNormalization", "Relu", "Clip", "HardSigmoid", "HardSwish", "Add",
             "Mul", "Div", "Sub", "GlobalAveragePool", "ReduceMean", "AveragePool", "Flatten",
             "Reshape", "Gemm", "MatMul", "Dropout", "Identity", "Constant", "Sigmoid",
             "Squeeze", "Shape", "Gather", "Unsqueeze", "Concat", "Cast", "Softmax"}
    unknown = sorted({n.op_type for n in g.node} - known)
    if unknown:
        raise FormatError("not a MobileNetV3 graph: unexpected ONNX operators %s" % ", ".join(unknown))

    layers = []
    for node in g.node:
        op = node.op_type
        if op == "Conv":
            if len(node.input) < 2 or node.input[1] not in inits:
                raise FormatError("Conv %s has no constant weights" % node.name)
            w = inits[node.input[1]]
            if w.ndim != 4 or w.shape[2] != w.shape[3] or w.shape[2] % 2 == 0 or 0 in w.shape:
                raise FormatError("Conv %s: weights of shape %s, expected a square odd kernel"
                                  % (node.name, list(w.shape)))
            b = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            if b is not None and b.shape != (w.shape[0],):
                raise FormatError("Conv %s: bias of shape %s for %d outputs"
                                  % (node.name, list(b.shape), w.shape[0]))
            group = attr_num(node, "group", 1)
            strides = attr_ints(node, "strides", [1, 1], 2)
            if len(set(strides)) != 1 or strides[0] not in (1, 2):
                raise FormatError("Conv %s: strides %s (MobileNetV3 uses 1 or 2)" % (node.name, strides))
            dil = attr_ints(node, "dilations", [1, 1], 2)
            if any(d != 1 for d in dil):
                raise FormatError("Conv %s: dilated convs are not MobileNetV3 (torchvision's "
                                  "dilated=True is not supported)" % node.name)
            pads = attr_ints(node, "pads", [0, 0, 0, 0], 4)
            auto = attr(node, "auto_pad", b"NOTSET")
            if isinstance(auto, bytes):
                auto = auto.decode("utf-8", "backslashreplace")
            if not isinstance(auto, str):
                raise FormatError("Conv %s: auto_pad is not a string" % node.name)
            if group == 1:
                kind = "conv"
            elif group == w.shape[0] and w.shape[1] == 1:
                kind = "dw"
            else:
                raise FormatError("Conv %s: grouped conv with group %s is not MobileNetV3"
                                  % (node.name, group))
            bn = None
            cons = consumers.get(node.output[0], []) if node.output else []
            if len(cons) == 1 and cons[0].op_type == "BatchNormalization":
                bnn = cons[0]
                try:
                    bn = tuple(inits[x] for x in bnn.input[1:5]) + (attr_num(bnn, "epsilon", 1e-5),)
                except KeyError:
                    raise FormatError("BatchNormalization %s has non-constant parameters" % bnn.name)
                if len(bn) != 5 or any(v.shape != (w.shape[0],) for v in bn[:4]):
                    raise FormatError("BatchNormalization %s: parameters do not match the %d "
                                      "channels of its conv" % (bnn.name, w.shape[0]))
            layer = Layer(kind, w, b, strides[0], node.input[0] in pooled, None, bn,
                          name=node.name or (node.output[0] if node.output else ""))
            layer.pads, layer.auto_pad = pads, auto
            layers.append(layer)
        elif op in ("Gemm", "MatMul"):
            w = inits.get(node.input[1]) if len(node.input) > 1 else None
            if w is None:
                raise FormatError("%s %s has no constant weights" % (op, node.name))
            if w.ndim != 2 or 0 in w.shape:
                raise FormatError("%s %s: weights of shape %s" % (op, node.name, list(w.shape)))
            b = None
            if op == "Gemm":
                if not attr_num(node, "transB", 0):
                    w = w.T
                if attr_num(node, "transA", 0) or attr_num(node, "alpha", 1.0) != 1.0 or \
                        attr_num(node, "beta", 1.0) != 1.0:
                    raise FormatError("Gemm %s: transA/alpha/beta are not supported" % node.name)
                b = inits.get(node.input[2]) if len(node.input) > 2 else None
            else:
                w = w.T
                cons = consumers.get(node.output[0], []) if node.output else []
                if len(cons) == 1 and cons[0].op_type == "Add":
                    other = [x for x in cons[0].input if x != node.output[0]]
                    if other and other[0] in inits:
                        b = inits[other[0]]
            if b is not None and b.reshape(-1).shape != (w.shape[0],):
                raise FormatError("%s %s: bias of shape %s for %d outputs"
                                  % (op, node.name, list(b.shape), w.shape[0]))
            layers.append(Layer("fc", w, None if b is None else b.reshape(-1), 1, True, None,
                                name=node.name or (node.output[0] if node.output else "")))
    arch, out, eps, _ = layers_to_tensors(layers, "onnx")

    # The input: NCHW, square or not, static or not.
    size, size_problem = None, None
    real_inputs = [i for i in g.input if i.name not in inits]
    if not real_inputs:
        raise FormatError("not a MobileNetV3 graph: no input")
    dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
            for d in real_inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4:
        raise FormatError("ONNX input %s has %d dimensions, expected NCHW"
                          % (real_inputs[0].name, len(dims)))
    if dims[1] not in (None, 3):
        raise FormatError("ONNX input %s has %d channels, expected 3" % (real_inputs[0].name, dims[1]))
    if dims[2] and dims[3] and dims[2] == dims[3]:
        size = dims[2]
    elif dims[2] and dims[3]:
        size_problem = "a non-square %dx%d input" % (dims[2], dims[3])
    else:
        size_problem = "a dynamic input size (%s x %s)" % tuple(d or "?" for d in dims[2:])
    padding = onnx_padding(layers, size)

    # Hard sigmoids: torchvision's relu6(x + 3) / 6 (HardSigmoid alpha 1/6, beta 0.5, HardSwish)
    # or Keras 2's clip(0.2 x + 0.5, 0, 1) (alpha 0.2, beta 0.5: ONNX's defaults).
    kinds = set()
    for node in g.node:
        if node.op_type == "HardSwish":
            kinds.add("relu6")
        elif node.op_type == "HardSigmoid":
            a, b = attr_num(node, "alpha", 0.2), attr_num(node, "beta", 0.5)
            if abs(a - 1 / 6) < 1e-6 and abs(b - 0.5) < 1e-6:
                kinds.add("relu6")
            elif abs(a - 0.2) < 1e-6 and abs(b - 0.5) < 1e-6:
                kinds.add("keras2")
            else:
                raise FormatError("HardSigmoid %s: alpha %.9g, beta %.9g; supported are alpha 1/6 "
                                  "beta 0.5 (relu6(x + 3) / 6) and alpha 0.2 beta 0.5 (Keras 2)"
                                  % (node.name, a, b))
    if len(kinds) > 1:
        raise FormatError("the graph mixes hard sigmoids relu6(x + 3) / 6 and Keras 2's "
                          "clip(0.2 x + 0.5, 0, 1); a model uses one kind")
    info = dict(padding=padding, mean=F.TORCHVISION_MEAN, std=F.TORCHVISION_STD,
                input_size=size, size_problem=size_problem,
                hard_sigmoid=kinds.pop() if kinds else None,
                kind="ONNX export (%s opset %s)" % (
                    model.producer_name or "unknown producer",
                    ",".join(str(o.version) for o in model.opset_import)),
                licence=None, bn_eps=eps)
    return arch, out, info


# ---------------------------------------------------------------------------------------------
# torchvision .pth

def read_pth(path, data, opts):
    import mnv3pth
    sd = mnv3pth.load(data)
    tensors = collections.OrderedDict()
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            continue
        if v.dtype.kind not in "fc":
            raise FormatError("tensor %s has dtype %s, expected floating point" % (k, v.dtype))
        tensors[k] = v.astype(np.float32)
    if "features.0.0.weight" not in tensors and any(k.startswith("backbone.") for k in tensors):
        # torchvision's segmentation models (LRASPP, DeepLabV3) build their MobileNetV3 backbone
        # with dilated=True: the last stage has stride 1 and dilated depthwise convs.
        raise FormatError("a torchvision segmentation checkpoint (backbone.* tensors): its "
                          "MobileNetV3 backbone is dilated=True, which mnv3 does not run")
    if "features.0.0.weight" not in tensors or "classifier.3.weight" not in tensors:
        some = ", ".join(list(tensors)[:3])
        raise FormatError("not a torchvision MobileNetV3 state_dict: expected features.0.0.weight "
                          "and classifier.3.weight, found %s%s" % (some, "..." if len(tensors) > 3 else ""))
    if "classifier.0.weight" not in tensors or tensors["classifier.0.weight"].ndim != 2 or \
            tensors["classifier.3.weight"].ndim != 2:
        raise FormatError("not a torchvision MobileNetV3 state_dict: classifier.0.weight and "
                          "classifier.3.weight must be [out, in] matrices")
    idx = set()
    for k in tensors:
        if k.startswith("features."):
            try:
                idx.add(int(k.split(".")[1]))
            except ValueError:
                pass
    top = max(idx)
    if top == 16:
        base = "large"
    elif top == 12:
        base = "small"
    else:
        raise FormatError("not a torchvision MobileNetV3 state_dict: expected features.0-16 (large) "
                          "or features.0-12 (small), found features.0-%d" % top)
    has_se = any(".fc1." in k for k in tensors)
    dw_k = [v.shape[2] for k, v in tensors.items()
            if k.endswith(".0.weight") and v.ndim == 4 and v.shape[1] == 1 and v.shape[2] > 1]
    arch = base + ("-minimalistic" if not has_se and all(k == 3 for k in dw_k) else "")
    info = dict(padding=opts.get("padding") or "symmetric", mean=F.TORCHVISION_MEAN,
                std=F.TORCHVISION_STD, input_size=None, kind="torchvision state_dict",
                licence=None, bn_eps=F.TORCHVISION_BN_EPS,
                note="a .pth does not record torchvision's dilated=True: converted as "
                     "dilated=False (models/README.md)")
    return arch, tensors, info


# ---------------------------------------------------------------------------------------------
# Keras (.h5, .keras): models/mnv3keras.py

def keras_module():
    """models/mnv3keras.py, or a one-line refusal when this checkout has no Keras reader."""
    try:
        import mnv3keras
    except ImportError as e:
        if e.name == "mnv3keras":
            raise FormatError("a Keras file (.keras/.h5); this converter has no Keras reader "
                              "(models/mnv3keras.py is missing)")
        raise FormatError("a Keras file (.keras/.h5); reading it needs %s (python3-h5py)" % e.name)
    return mnv3keras


# ---------------------------------------------------------------------------------------------

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _zip_names(data):
    import io
    import zipfile
    try:
        return set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError,
            NotImplementedError, RuntimeError):
        return set()


def detect(path, data):
    ext = os.path.splitext(path)[1].lower()
    if len(data) >= 8 and data[4:8] == b"TFL3":
        return "tflite"
    if data[:8] == HDF5_MAGIC:
        return "keras"
    if data[:4] == b"PK\x03\x04":
        names = _zip_names(data)
        if "config.json" in names or "model.weights.h5" in names or ext == ".keras":
            return "keras"
        return "pth"
    if data[:1] == b"\x80":
        return "pth"
    if ext == ".tflite":
        return "tflite"
    if ext in (".pth", ".pt", ".bin", ".ckpt"):
        return "pth"
    if ext in (".keras", ".h5", ".hdf5"):
        return "keras"
    if ext == ".onnx" or data[:1] == b"\x08":  # ONNX ModelProto starts with ir_version (field 1)
        return "onnx"
    raise FormatError("unknown input format (expected a .pth state_dict, .tflite, .onnx or Keras "
                      "file; found bytes %r)" % data[:8])


def read_labels(path):
    raw = read_regular(path, "labels file", MAX_LABELS_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("labels %s is not UTF-8 text" % path)
    if "\0" in text:
        raise FormatError("labels %s contains a NUL character" % path)
    labels = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while labels and not labels[-1].strip():
        labels.pop()
    if not labels or any("\n" in l or not l.strip() for l in labels):
        raise FormatError("labels %s: expected one non-empty label per line" % path)
    return labels


def convert(inp, out, labels=None, no_labels=False, arch=None, width=None, input_size=None,
            source=None, float_activations=False, padding=None, external_data_dir=None,
            hard_sigmoid=None, no_integer=False):
    data = read_regular(inp, "input", MAX_INPUT_BYTES)
    if not data:
        raise FormatError("empty file")
    fmt = detect(inp, data)
    if external_data_dir is not None and fmt != "onnx":
        raise FormatError("--external-data-dir is for .onnx inputs")
    if fmt == "keras":  # models/mnv3keras.py: its own channel rules and metadata
        keras = keras_module()
        try:
            return keras.convert(inp, data, out, read_labels, labels, no_labels, arch, width,
                                 input_size, source, hard_sigmoid, LABELS_DIR)
        except OSError as e:    # h5py's error for corrupt HDF5 data
            raise FormatError("unreadable Keras file (%s)" % (str(e).splitlines()[0] if str(e)
                                                              else type(e).__name__))
    reader = {"tflite": read_tflite, "onnx": read_onnx, "pth": read_pth}[fmt]
    opts = dict(padding=padding, external_data_dir=external_data_dir)
    got_arch, tensors, info = reader(inp, data, opts)
    if padding is not None and info["padding"] != padding:
        raise FormatError("the graph uses %s padding; --padding %s contradicts it (the option is "
                          "for .pth files, which do not record it)" % (info["padding"], padding))
    if arch is not None and arch != got_arch:
        raise FormatError("expected a MobileNetV3-%s (--arch), found %s" % (arch, got_arch))
    num_classes = tensors["classifier.3.weight"].shape[0]
    last = tensors["classifier.0.weight"].shape[0]
    if width is not None:
        problem = F.check_tensors(tensors, got_arch, width, num_classes, last)
        if problem:
            raise FormatError("not a MobileNetV3-%s at width %s: %s"
                              % (got_arch, F.format_width(width), problem))
        w = width
    else:
        w = F.infer_width(tensors, got_arch, num_classes, last)
    if input_size:
        size = input_size
    elif info.get("input_size"):
        size = info["input_size"]
        if not MIN_INPUT_SIZE <= size <= MAX_INPUT_SIZE:
            raise FormatError("the graph's input is %dx%d, outside %d..%d; pass --input-size N"
                              % (size, size, MIN_INPUT_SIZE, MAX_INPUT_SIZE))
    elif info.get("size_problem"):
        raise FormatError("the graph has %s; mnv3 models record one square size: pass "
                          "--input-size N" % info["size_problem"])
    else:
        size = 224      # .pth files do not record it (documented default)
    meta = Meta()
    meta["mnv3.arch"] = got_arch
    meta["mnv3.width"] = F.format_width(w)
    meta["mnv3.input_size"] = str(size)
    meta["mnv3.padding"] = info["padding"]
    if info.get("hard_sigmoid") and info["hard_sigmoid"] != "relu6":
        meta["mnv3.hard_sigmoid"] = info["hard_sigmoid"]
    act_quant = None if float_activations else info.get("act_quant")
    meta["mnv3.mean"] = info["quant_mean"] if act_quant else info["mean"]
    meta["mnv3.std"] = info["quant_std"] if act_quant else info["std"]
    meta["mnv3.num_classes"] = str(num_classes)
    if act_quant:
        meta["mnv3.act_quant"] = json.dumps(act_quant, separators=(",", ":"))
    int_quant = info.get("int_quant") if act_quant and not no_integer else None
    if int_quant:
        meta["mnv3.int_quant"] = json.dumps(int_quant, separators=(",", ":"))
    elif info.get("int_quant"):
        # --float-activations (the plain float model) or --no-integer: dequantized weights
        for name, (sc, zp) in info["int_quant"]["weights"].items():
            a = tensors[name]
            shape = [-1] + [1] * (a.ndim - 1)
            tensors[name] = ((a.astype(np.float64) - np.asarray(zp, np.float64).reshape(shape))
                             * np.asarray(sc, np.float64).reshape(shape)).astype(np.float32)
    if info.get("bn_eps") is not None and any(k.endswith(".running_var") for k in tensors):
        meta["mnv3.bn_eps"] = "%.9g" % float(info["bn_eps"])
    label_list = None
    if labels:
        label_list = read_labels(labels)
    elif not no_labels and num_classes in (1000, 1001):
        # Only the 1000-class list is kept in git: the 1001-line list of
        # TensorFlow's models is "background" followed by it (a byte copy of
        # the shared data's list must not be committed).
        label_list = read_labels(os.path.join(LABELS_DIR, "imagenet-1000.txt"))
        if num_classes == 1001:
            label_list = ["background"] + label_list
    if label_list is not None:
        if len(label_list) not in (num_classes, num_classes - 1) or \
                (len(label_list) == num_classes - 1 and num_classes != 1001):
            raise FormatError("labels: expected %d labels for %d classes, found %d"
                              % (num_classes, num_classes, len(label_list)))
        meta["mnv3.labels"] = "\n".join(label_list)
    if source is None:
        source = "%s %s, converted by mnv3classify models/convert.py" % (info["kind"],
                                                                        os.path.basename(inp))
        if info.get("licence"):
            source += "; weights licence %s" % info["licence"]
    meta["mnv3.source"] = source
    # Write in the canonical order of FORMAT.md section 3.
    folded = {n[:-len(".0.bias")] for n in tensors if n.endswith(".0.bias")}
    order = F.expected_tensors(got_arch, w, num_classes, last, folded)
    out_tensors = collections.OrderedDict((k, tensors[k]) for k in order)
    F.write_safetensors(out, out_tensors, meta)
    meta.note = info.get("note")
    return meta, out_tensors


class Meta(collections.OrderedDict):
    """The metadata written, plus a note for the summary line."""
    note = None


def one_line(text, limit=600):
    """text as one printable line (file-supplied names may hold newlines, control characters or
    text the terminal's encoding cannot show)."""
    out = []
    for ch in str(text):
        o = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif o < 0x20 or o == 0x7f or 0x80 <= o < 0xa0:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    s = "".join(out)
    if len(s) > limit:
        s = s[:limit] + "..."
    enc = getattr(sys.stderr, "encoding", None) or "utf-8"
    return s.encode(enc, "backslashreplace").decode(enc, "replace")


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="convert.py",
        description="Convert MobileNetV3 weights to the mnv3 safetensors format (models/FORMAT.md). "
                    "Inputs: torchvision state_dict (.pth, read without PyTorch by a restricted "
                    "unpickler), TensorFlow Lite (.tflite, float or uint8/int8), ONNX export of "
                    "torchvision (.onnx, needs python3-onnx), Keras .h5/.keras (needs python3-h5py).")
    ap.add_argument("input", help="input file (.pth, .tflite, .onnx, .h5 or .keras; detected from "
                                  "content)")
    ap.add_argument("-o", "--output", required=True, help="output .safetensors file")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--labels", metavar="FILE",
                   help="embed this label list (one per line) as mnv3.labels; default for 1000/1001 "
                        "classes: models/labels/imagenet-1000.txt (with 'background' first for 1001)")
    g.add_argument("--no-labels", action="store_true", help="embed no label list")
    ap.add_argument("--arch", choices=F.ARCHS,
                    help="require this architecture (it is always detected from the weights)")
    ap.add_argument("--width", type=float,
                    help="width multiplier to record (default: inferred from tensor shapes)")
    ap.add_argument("--input-size", type=int,
                    help="input resolution to record, %d..%d (default: from the graph; .pth: 224)"
                         % (MIN_INPUT_SIZE, MAX_INPUT_SIZE))
    ap.add_argument("--padding", choices=("symmetric", "tf-same"),
                    help="padding to record for a .pth (default symmetric, torchvision's); graph "
                         "formats record what the graph does and refuse a contradicting value")
    ap.add_argument("--external-data-dir", metavar="DIR",
                    help=".onnx with external data: read it from regular files inside DIR only "
                         "(without this option such files are refused)")
    ap.add_argument("--source", metavar="TEXT", help="mnv3.source text (origin and licence)")
    ap.add_argument("--float-activations", action="store_true",
                    help="uint8/int8 TFLite input: do not record its activation quantization "
                         "(mnv3.act_quant); the model then computes in plain float with TensorFlow's "
                         "0.5/0.5 normalization instead of reproducing TensorFlow Lite's rounding")
    ap.add_argument("--no-integer", action="store_true",
                    help="uint8/int8 TFLite input: store the weights dequantized (no "
                         "mnv3.int_quant): libmnv3 then reproduces TensorFlow Lite's rounding with "
                         "float kernels instead of running its integer engine (the files of "
                         "earlier versions)")
    ap.add_argument("--hard-sigmoid", choices=("relu6", "keras2"),
                    help="Keras weights-only .h5: the h-sigmoid the model was built with (relu6: "
                         "keras.applications, Keras 3; keras2: Activation('hard_sigmoid') on "
                         "Keras 2, clip(0.2x+0.5, 0, 1)); whole-model files record it")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)
    # numpy casts of corrupt values and protobuf's parser warn on stderr; refusals are one line
    warnings.filterwarnings("ignore", category=RuntimeWarning)
    if args.input_size is not None and not MIN_INPUT_SIZE <= args.input_size <= MAX_INPUT_SIZE:
        ap.error("--input-size must be within %d..%d" % (MIN_INPUT_SIZE, MAX_INPUT_SIZE))
    if args.width is not None and not 0.05 <= args.width <= 4:
        ap.error("--width must be within 0.05..4")
    try:
        meta, tensors = convert(args.input, args.output, args.labels, args.no_labels, args.arch,
                                args.width, args.input_size, args.source,
                                args.float_activations, args.padding, args.external_data_dir,
                                hard_sigmoid=args.hard_sigmoid, no_integer=args.no_integer)
    except FormatError as e:
        print(one_line("convert.py: %s: %s" % (args.input, e)), file=sys.stderr)
        return 1
    except MemoryError:
        print(one_line("convert.py: %s: out of memory (file too large or corrupt)" % args.input),
              file=sys.stderr)
        return 1
    if not args.quiet:
        n = sum(int(np.prod(t.shape)) for t in tensors.values())
        print("%s: MobileNetV3-%s width %s, %s classes, %s padding, %d tensors, %d parameters%s"
              % (args.output, meta["mnv3.arch"], meta["mnv3.width"], meta.get("mnv3.num_classes", "no"),
                 meta["mnv3.padding"], len(tensors), n,
                 ", %d activation quantization points" % len(json.loads(meta["mnv3.act_quant"]))
                 if "mnv3.act_quant" in meta else ""))
        if getattr(meta, "note", None):
            print("note: " + meta.note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
