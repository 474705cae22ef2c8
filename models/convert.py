#!/usr/bin/python3
# mnv3classify: models/convert.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Convert MobileNetV3 weights (torchvision .pth, TensorFlow .tflite, ONNX) to the mnv3
safetensors model format (models/FORMAT.md).

usage: convert.py INPUT -o OUT.safetensors [--labels FILE | --no-labels] [--arch ARCH]
                  [--width W] [--input-size N] [--source TEXT] [--float-activations] [--no-integer]
"""

import argparse
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import mnv3format as F  # noqa: E402
from mnv3format import FormatError  # noqa: E402

LABELS_DIR = os.path.join(HERE, "labels")


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

def read_tflite(path, data):
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
        if c is None and ti in producers and producers[ti].op == "DEQUANTIZE":
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
        opt = m.options(op)
        x = tensors[op.inputs[0]]
        w = const(op.inputs[1])
        b = const(op.inputs[2]) if len(op.inputs) > 2 else None
        if w is None:
            raise FormatError("%s op %d has no constant weights" % (op.op, op.index))
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
            if sh != sw:
                raise FormatError("CONV_2D op %d: unequal strides %s" % (op.index, (sh, sw)))
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
            if sh != sw:
                raise FormatError("DEPTHWISE_CONV_2D op %d: unequal strides" % op.index)
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
    inp = tensors[m.inputs[0]] if m.inputs else None
    size = None
    if inp is not None and len(inp.shape) == 4 and inp.shape[1] == inp.shape[2]:
        size = inp.shape[1]
    info = dict(padding="tf-same", mean=F.TF_MEAN, std=F.TF_STD, input_size=size,
                kind="TensorFlow TFLite (%s input)" % (T.TYPE_NAMES.get(inp.type, "?") if inp else "?"),
                licence="Apache-2.0")
    if inp is not None and inp.type in (3, 9) and inp.scale is not None:
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
        cs = [m.constant(tensors[i]) for i in op.inputs]
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

def read_onnx(path, data):
    try:
        import onnx
        from onnx import numpy_helper
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
    inits = {}
    for t in g.initializer:
        inits[t.name] = numpy_helper.to_array(t).astype(np.float32) \
            if t.data_type in (1, 10, 11, 16) else numpy_helper.to_array(t)
    for node in g.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    inits[node.output[0]] = numpy_helper.to_array(a.t)
        elif node.op_type == "Identity" and node.input[0] in inits:
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
                return onnx.helper.get_attribute_value(a)
        return default

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
            b = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            group = attr(node, "group", 1)
            strides = list(attr(node, "strides", [1, 1]))
            if len(set(strides)) != 1:
                raise FormatError("Conv %s: unequal strides %s" % (node.name, strides))
            dil = list(attr(node, "dilations", [1, 1]))
            if any(d != 1 for d in dil):
                raise FormatError("Conv %s: dilated convs are not MobileNetV3" % node.name)
            k = w.shape[2]
            pads = list(attr(node, "pads", [0, 0, 0, 0]))
            auto = attr(node, "auto_pad", b"NOTSET")
            auto = auto.decode() if isinstance(auto, bytes) else auto
            if auto not in ("NOTSET", ""):
                padding = auto
            elif k == 1 or (len(set(pads)) == 1 and pads[0] == k // 2):
                padding = "symmetric"
            else:
                padding = "pads %s" % pads
            if group == 1:
                kind = "conv"
            elif group == w.shape[0] and w.shape[1] == 1:
                kind = "dw"
            else:
                raise FormatError("Conv %s: grouped conv with group %d is not MobileNetV3"
                                  % (node.name, group))
            bn = None
            cons = consumers.get(node.output[0], [])
            if len(cons) == 1 and cons[0].op_type == "BatchNormalization":
                bnn = cons[0]
                try:
                    bn = tuple(inits[x] for x in bnn.input[1:5]) + (attr(bnn, "epsilon", 1e-5),)
                except KeyError:
                    raise FormatError("BatchNormalization %s has non-constant parameters" % bnn.name)
            layers.append(Layer(kind, w, b, strides[0], node.input[0] in pooled,
                                None if k == 1 else padding, bn, name=node.name or node.output[0]))
        elif op == "Gemm":
            w = inits.get(node.input[1])
            if w is None:
                raise FormatError("Gemm %s has no constant weights" % node.name)
            if not attr(node, "transB", 0):
                w = w.T
            if attr(node, "transA", 0) or attr(node, "alpha", 1.0) != 1.0 or attr(node, "beta", 1.0) != 1.0:
                raise FormatError("Gemm %s: transA/alpha/beta are not supported" % node.name)
            b = inits.get(node.input[2]) if len(node.input) > 2 else None
            layers.append(Layer("fc", w, b, 1, True, None, name=node.name or node.output[0]))
        elif op == "MatMul":
            w = inits.get(node.input[1])
            if w is None:
                raise FormatError("MatMul %s has no constant weights" % node.name)
            b = None
            cons = consumers.get(node.output[0], [])
            if len(cons) == 1 and cons[0].op_type == "Add":
                other = [x for x in cons[0].input if x != node.output[0]]
                if other and other[0] in inits:
                    b = inits[other[0]]
            layers.append(Layer("fc", w.T, b, 1, True, None, name=node.name or node.output[0]))
    arch, out, eps, paddings = layers_to_tensors(layers, "onnx")
    if paddings - {"symmetric"}:
        raise FormatError("unsupported ONNX conv padding %s (expected torchvision's k/2 on every side)"
                          % ", ".join(sorted(paddings - {"symmetric"})))
    size = None
    real_inputs = [i for i in g.input if i.name not in inits]
    if real_inputs:
        dims = [d.dim_value if d.HasField("dim_value") else None
                for d in real_inputs[0].type.tensor_type.shape.dim]
        if len(dims) == 4 and dims[2] and dims[2] == dims[3]:
            size = dims[2]
    info = dict(padding="symmetric", mean=F.TORCHVISION_MEAN, std=F.TORCHVISION_STD,
                input_size=size, kind="ONNX export (%s opset %s)" % (
                    model.producer_name or "unknown producer",
                    ",".join(str(o.version) for o in model.opset_import)),
                licence=None, bn_eps=eps)
    return arch, out, info


# ---------------------------------------------------------------------------------------------
# torchvision .pth

def read_pth(path, data):
    import mnv3pth
    sd = mnv3pth.load(path)
    tensors = collections.OrderedDict()
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            continue
        if v.dtype.kind not in "fc":
            raise FormatError("tensor %s has dtype %s, expected floating point" % (k, v.dtype))
        tensors[k] = v.astype(np.float32)
    if "features.0.0.weight" not in tensors or "classifier.3.weight" not in tensors:
        some = ", ".join(list(tensors)[:3])
        raise FormatError("not a torchvision MobileNetV3 state_dict: expected features.0.0.weight "
                          "and classifier.3.weight, found %s%s" % (some, "..." if len(tensors) > 3 else ""))
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
    info = dict(padding="symmetric", mean=F.TORCHVISION_MEAN, std=F.TORCHVISION_STD,
                input_size=None, kind="torchvision state_dict", licence=None,
                bn_eps=F.TORCHVISION_BN_EPS)
    return arch, tensors, info


# ---------------------------------------------------------------------------------------------

def detect(path, data):
    ext = os.path.splitext(path)[1].lower()
    if len(data) >= 8 and data[4:8] == b"TFL3":
        return "tflite"
    if data[:4] == b"PK\x03\x04" or data[:1] == b"\x80":
        return "pth"
    if ext == ".tflite":
        return "tflite"
    if ext in (".pth", ".pt", ".bin", ".ckpt"):
        return "pth"
    if ext == ".onnx" or data[:1] == b"\x08":  # ONNX ModelProto starts with ir_version (field 1)
        return "onnx"
    raise FormatError("unknown input format (expected a .pth state_dict, .tflite or .onnx file; "
                      "found bytes %r)" % data[:8])


def read_labels(path):
    try:
        with open(path, encoding="utf-8") as f:
            labels = [l.rstrip("\r\n") for l in f]
    except OSError as e:
        raise FormatError("cannot read labels %s: %s" % (path, e.strerror))
    except UnicodeDecodeError:
        raise FormatError("labels %s is not UTF-8 text" % path)
    while labels and not labels[-1].strip():
        labels.pop()
    if not labels or any("\n" in l or not l.strip() for l in labels):
        raise FormatError("labels %s: expected one non-empty label per line" % path)
    return labels


def convert(inp, out, labels=None, no_labels=False, arch=None, width=None, input_size=None,
            source=None, float_activations=False, no_integer=False):
    try:
        with open(inp, "rb") as f:
            data = f.read()
    except OSError as e:
        raise FormatError("cannot read %s: %s" % (inp, e.strerror))
    if not data:
        raise FormatError("empty file")
    fmt = detect(inp, data)
    reader = {"tflite": read_tflite, "onnx": read_onnx, "pth": read_pth}[fmt]
    got_arch, tensors, info = reader(inp, data)
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
    size = input_size or info.get("input_size") or 224
    meta = collections.OrderedDict()
    meta["mnv3.arch"] = got_arch
    meta["mnv3.width"] = F.format_width(w)
    meta["mnv3.input_size"] = str(size)
    meta["mnv3.padding"] = info["padding"]
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
    return meta, out_tensors


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="convert.py",
        description="Convert MobileNetV3 weights to the mnv3 safetensors format (models/FORMAT.md). "
                    "Inputs: torchvision state_dict (.pth, read without PyTorch by a restricted "
                    "unpickler), TensorFlow Lite (.tflite, float or uint8/int8), ONNX export of "
                    "torchvision (.onnx, needs python3-onnx).")
    ap.add_argument("input", help="input file (.pth, .tflite or .onnx; detected from content)")
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
                    help="input resolution to record (default: from the file, else 224)")
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
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)
    if args.input_size is not None and not 32 <= args.input_size <= 4096:
        ap.error("--input-size must be within 32..4096")
    if args.width is not None and not 0.05 <= args.width <= 4:
        ap.error("--width must be within 0.05..4")
    try:
        meta, tensors = convert(args.input, args.output, args.labels, args.no_labels, args.arch,
                                args.width, args.input_size, args.source,
                                args.float_activations, args.no_integer)
    except FormatError as e:
        print("convert.py: %s: %s" % (args.input, e), file=sys.stderr)
        return 1
    except MemoryError:
        print("convert.py: %s: out of memory (file too large or corrupt)" % args.input,
              file=sys.stderr)
        return 1
    if not args.quiet:
        n = sum(int(np.prod(t.shape)) for t in tensors.values())
        print("%s: MobileNetV3-%s width %s, %s classes, %s padding, %d tensors, %d parameters%s"
              % (args.output, meta["mnv3.arch"], meta["mnv3.width"], meta["mnv3.num_classes"],
                 meta["mnv3.padding"], len(tensors), n,
                 ", %d activation quantization points" % len(json.loads(meta["mnv3.act_quant"]))
                 if "mnv3.act_quant" in meta else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
