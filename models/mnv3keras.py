# mnv3classify: models/mnv3keras.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Keras MobileNetV3 files -> mnv3 safetensors (models/FORMAT.md), without TensorFlow.

Reads, with h5py (Debian python3-h5py):
- legacy HDF5 .h5 of Keras 2 / tf.keras / tf-keras: a whole model (model_config + model_weights)
  or weights only (model.save_weights ("x.h5"));
- Keras 3 .keras: a zip of config.json, metadata.json and model.weights.h5.

Networks: keras.applications.MobileNetV3Large / Small (any alpha, minimalistic, include_top,
include_preprocessing) and the design document's own mobilenet_v3_large reproduction
(../shared/seed section 5: layer names such as 'expanded_convdepthwise' for the first block and
'expanded_conv_N/expamd/BatchNorm'), and a Small built the same way.

What the file decides:
- architecture: 15 blocks = large, 11 = small; no SE and only 3x3 depthwise = minimalistic;
  every block's kernel, stride and SE are checked against the paper's tables;
- channels: taken from the weights; written as mnv3.channels when they do not follow
  torchvision's width rule (keras.applications scales the expansion ratio's input, not the
  expansion count, and keeps the stem at 16);
- padding: tf-same (Keras 'same' stem and correct_pad + 'valid' stride-2 depthwise);
- hard sigmoid (mnv3.hard_sigmoid): Activation('hard_sigmoid') in a Keras 2 file is
  clip (0.2 x + 0.5, 0, 1) -> keras2; keras.applications' relu6 (x + 3) / 6, Keras 3's
  hard_sigmoid / hard_silu / hard_swish -> relu6; weights-only files have no activations:
  the document's layer names imply Keras 2 (Keras 3 refuses '/' in names) -> keras2, else relu6;
  --hard-sigmoid overrides for weights-only files;
- classes: the Logits conv; include_top=False (no Conv_2 / Logits) -> an embedding-only model;
- mean/std: a leading Rescaling(scale, offset) (include_preprocessing=True) maps 0..255 pixels
  to scale * v + offset, i.e. std = 1 / (255 scale), mean = -offset * std; without it the
  network takes -1..1 input (Keras' MobileNetV3 convention): 0.5 / 0.5.
"""

import io
import json
import re
import zipfile

import numpy as np

from mnv3format import FormatError
import mnv3format as F

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
HARD_SIGMOIDS = ("relu6", "keras2")

# Layers without weights that a MobileNetV3 graph may contain (Keras 2 / 3 class names).
WEIGHTLESS = {"InputLayer", "ReLU", "Activation", "Multiply", "Add", "ZeroPadding2D",
              "GlobalAveragePooling2D", "Reshape", "Flatten", "Dropout", "Softmax", "Rescaling",
              "TFOpLambda", "Identity"}
ACTIVATIONS = {"relu", "linear", "softmax", "hard_sigmoid", "hard_swish", "hard_silu", "sigmoid"}
TF_OPS = {"__operators__.add", "math.multiply", "math.truediv", "__operators__.truediv",
          "nn.relu6", "math.add"}
KERAS3_OPS = {"Add", "Multiply", "TrueDivide", "Divide", "Relu6", "HardSigmoid", "HardSilu"}


def sniff(path, data):
    """True if @data is a Keras file this module reads (HDF5, or a .keras zip)."""
    if data[:8] == HDF5_MAGIC:
        return True
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return path.lower().endswith(".keras")
        return "config.json" in names or path.lower().endswith(".keras")
    return False


def _h5py():
    try:
        import h5py
    except ImportError:
        raise FormatError("reading Keras files needs the python3-h5py package "
                          "(apt install python3-h5py)")
    return h5py


def _s(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def _snake(name):
    """keras.src.utils.naming.to_snake_case."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


class Layer:
    def __init__(self, name, cls, config=None, module=None):
        self.name = name
        self.cls = cls
        self.config = config or {}
        self.module = module
        self.weights = {}           # 'kernel', 'depthwise_kernel', 'bias', 'gamma', ...


def _read_h5_weights(group, layer_names, layers):
    """Legacy HDF5 weights: group[layer].attrs['weight_names'] -> datasets."""
    for ln in layer_names:
        g = group[ln]
        if ln not in layers:
            layers[ln] = Layer(ln, None)
        for wn in g.attrs.get("weight_names", []):
            wn = _s(wn)
            key = wn.rsplit("/", 1)[-1].split(":")[0]
            arr = np.asarray(g[wn][()])
            if ln not in layers:
                layers[ln] = Layer(ln, None)
            layers[ln].weights[key] = arr


def _read_legacy_h5(f):
    layers = {}
    order = []
    version = _s(f.attrs.get("keras_version", ""))
    whole = "model_config" in f.attrs
    input_shape = None
    if whole:
        cfg = json.loads(_s(f.attrs["model_config"]))
        for lc in _flat_layers(cfg):
            L = Layer(lc["name"], lc["class_name"], lc.get("config"))
            layers[L.name] = L
            order.append(L.name)
            if L.cls == "InputLayer":
                input_shape = L.config.get("batch_input_shape") or L.config.get("batch_shape")
        wg = f["model_weights"]
        version = _s(wg.attrs.get("keras_version", version)) or version
    else:
        wg = f
        if "layer_names" not in f.attrs:
            if "layers" in f:
                raise FormatError("a Keras 3 weights-only file (.weights.h5) names no layers: save "
                                  "the whole model (model.save ('x.keras')) and convert that")
            raise FormatError("an HDF5 file that is not a Keras model or weights file "
                              "(no model_config, no layer_names)")
    names = [_s(n) for n in wg.attrs.get("layer_names", [])]
    for n in names:
        if n not in layers:
            order.append(n)
    _read_h5_weights(wg, names, layers)
    return layers, order, version, input_shape, whole


def _flat_layers(cfg):
    if cfg.get("class_name") not in ("Functional", "Model", "Sequential"):
        raise FormatError("Keras model class %s is not a functional MobileNetV3 model"
                          % cfg.get("class_name"))
    out = []
    for lc in cfg["config"]["layers"]:
        if lc.get("class_name") in ("Functional", "Model", "Sequential"):
            raise FormatError("layer '%s' is a nested model (%s): not a MobileNetV3 layer"
                              % (lc.get("name"), lc.get("class_name")))
        if "name" not in lc:
            lc["name"] = lc.get("config", {}).get("name", "?")
        out.append(lc)
    return out


# Keras 3 variable order per layer class (saving_lib "vars/N").
def _k3_var_names(L):
    c = L.config
    if L.cls in ("Conv2D", "Dense"):
        return ["kernel"] + (["bias"] if c.get("use_bias", True) else [])
    if L.cls == "DepthwiseConv2D":
        return ["depthwise_kernel"] + (["bias"] if c.get("use_bias", True) else [])
    if L.cls == "BatchNormalization":
        return ((["gamma"] if c.get("scale", True) else []) +
                (["beta"] if c.get("center", True) else []) + ["moving_mean", "moving_variance"])
    return []


def _read_keras_zip(data):
    h5py = _h5py()
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        cfg = json.loads(z.read("config.json"))
        meta = json.loads(z.read("metadata.json")) if "metadata.json" in z.namelist() else {}
        wdata = z.read("model.weights.h5")
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise FormatError("not a Keras .keras file (zip with config.json and model.weights.h5): "
                          "%s" % e)
    version = str(meta.get("keras_version", "3"))
    layers, order = {}, []
    input_shape = None
    counters = {}
    with h5py.File(io.BytesIO(wdata), "r") as f:
        lg = f["layers"] if "layers" in f else None
        for lc in _flat_layers(cfg):
            L = Layer(lc["name"], lc["class_name"], lc.get("config"), lc.get("module"))
            layers[L.name] = L
            order.append(L.name)
            if L.cls == "InputLayer":
                input_shape = L.config.get("batch_shape") or L.config.get("batch_input_shape")
            if L.module and not L.module.startswith("keras.layers"):
                continue        # a keras.ops operation, not a layer: no entry in the weights
            base = _snake(L.cls)
            n = counters.get(base, 0)
            counters[base] = n + 1
            key = base if n == 0 else "%s_%d" % (base, n)
            vnames = _k3_var_names(L)
            if not vnames:
                continue
            if lg is None or key not in lg or "vars" not in lg[key]:
                raise FormatError("model.weights.h5 has no variables for layer '%s' (%s)"
                                  % (L.name, key))
            vg = lg[key]["vars"]
            if len(vg) != len(vnames):
                raise FormatError("layer '%s': %d variables in model.weights.h5, expected %d"
                                  % (L.name, len(vg), len(vnames)))
            for i, vn in enumerate(vnames):
                L.weights[vn] = np.asarray(vg[str(i)][()])
    return layers, order, version, input_shape, True


# Names: both spellings of keras.applications (Keras 2 'expanded_conv_1/expand/BatchNorm',
# Keras 3 'expanded_conv_1_expand_bn') and the document's ('expanded_convdepthwise',
# 'expanded_conv_1/expamd/BatchNorm', 'Logits/Conv2d_1c_1x1').
def _norm(name):
    n = name.lower().replace("/", "_")
    n = n.replace("_batchnorm", "_bn").replace("_expamd", "_expand")
    n = re.sub(r"^expanded_conv(depthwise|project|squeeze_excite)", r"expanded_conv_\1", n)
    if n == "logits_conv2d_1c_1x1":
        n = "logits"
    return n


_BLOCK = re.compile(r"^expanded_conv(?:_(\d+))?_(expand|depthwise|project|squeeze_excite_conv|"
                    r"squeeze_excite_conv_1)(_bn)?$")


def _role(name):
    """(role, block or None, bn) for a weight-carrying layer, or None."""
    n = _norm(name)
    if n in ("conv", "conv_bn"):
        return "stem", None, n.endswith("_bn")
    if n in ("conv_1", "conv_1_bn"):
        return "head", None, n.endswith("_bn")
    if n == "conv_2":
        return "hidden", None, False
    if n == "logits":
        return "classifier", None, False
    m = _BLOCK.match(n)
    if m:
        part = m.group(2)
        if part.startswith("squeeze") and m.group(3):
            return None
        return part, int(m.group(1) or 0), bool(m.group(3))
    return None


def _is_document_naming(names):
    return any("expamd" in n or n.startswith("expanded_convdepthwise") or
               n.startswith("Logits/Conv2d_1c_1x1") for n in names)


def _check_weightless(L, version):
    """Refuses a layer MobileNetV3 does not have. Returns its hard-sigmoid kind or None."""
    c = L.config
    if L.module and not L.module.startswith("keras.layers"):
        if L.cls not in KERAS3_OPS:
            raise FormatError("layer '%s' (%s %s) is not part of a MobileNetV3"
                              % (L.name, L.module, L.cls))
        return None
    if L.cls not in WEIGHTLESS:
        raise FormatError("layer '%s' (%s) is not part of a MobileNetV3" % (L.name, L.cls))
    if L.cls == "Activation":
        act = c.get("activation")
        if isinstance(act, dict):
            act = act.get("config", {}).get("name", act.get("class_name"))
        if act not in ACTIVATIONS:
            raise FormatError("layer '%s' (Activation '%s') is not part of a MobileNetV3"
                              % (L.name, act))
        if act == "sigmoid":
            raise FormatError("layer '%s' (Activation 'sigmoid') is not part of a MobileNetV3 "
                              "(its gates use a hard sigmoid)" % L.name)
        if act == "hard_sigmoid":
            return "keras2" if version.startswith("2") or version.startswith("1") else "relu6"
        if act in ("hard_swish", "hard_silu"):
            return "relu6"
    if L.cls == "TFOpLambda" and c.get("function") not in TF_OPS:
        raise FormatError("layer '%s' (TFOpLambda %s) is not part of a MobileNetV3"
                          % (L.name, c.get("function")))
    if L.cls == "ReLU" and c.get("max_value") not in (None, 6, 6.0):
        raise FormatError("layer '%s' (ReLU max_value %s) is not part of a MobileNetV3"
                          % (L.name, c.get("max_value")))
    if L.cls == "ReLU" and c.get("max_value") in (6, 6.0):
        return "relu6"
    return None


def _conv_w(L, role):
    w = L.weights.get("depthwise_kernel" if role == "depthwise" else "kernel")
    if w is None:
        raise FormatError("layer '%s' has no %s weights" % (L.name, "depthwise kernel"
                                                             if role == "depthwise" else "kernel"))
    w = np.asarray(w, dtype=np.float32)
    if w.ndim != 4:
        raise FormatError("layer '%s': kernel of shape %s, expected 4 dimensions"
                          % (L.name, list(w.shape)))
    if role == "depthwise":
        if w.shape[3] != 1:
            raise FormatError("layer '%s': depth multiplier %d, expected 1" % (L.name, w.shape[3]))
        return np.ascontiguousarray(w.transpose(2, 3, 0, 1))       # [c, 1, k, k]
    return np.ascontiguousarray(w.transpose(3, 2, 0, 1))           # [cout, cin, k, k]


def read(path, data, hard_sigmoid=None):
    """Returns (arch, tensors, info): tensors in torchvision names; info as the other readers,
    plus 'extra_meta' (mnv3.hard_sigmoid, mnv3.channels), 'width', 'num_classes'."""
    if data[:8] == HDF5_MAGIC:
        h5py = _h5py()
        try:
            with h5py.File(io.BytesIO(data), "r") as f:
                layers, order, version, input_shape, whole = _read_legacy_h5(f)
        except OSError as e:
            raise FormatError("HDF5 file cannot be read: %s" % e)
    else:
        layers, order, version, input_shape, whole = _read_keras_zip(data)

    # Sort the weight-carrying layers into roles; refuse everything unknown.
    parts = {}                 # (role, block) -> {'conv': Layer, 'bn': Layer}
    pads = {}                  # block -> (layer name, ZeroPadding2D padding)
    kinds = set()
    rescale = None
    for n in order:
        L = layers[n]
        if not L.weights:
            if whole:
                if _role(n) and L.cls in ("Conv2D", "DepthwiseConv2D", "BatchNormalization"):
                    raise FormatError("layer '%s' has no weights in the file" % n)
                if L.cls in ("Conv2D", "DepthwiseConv2D", "BatchNormalization", "Dense"):
                    raise FormatError("layer '%s' (%s) is not part of a MobileNetV3" % (n, L.cls))
                k = _check_weightless(L, version)
                if k:
                    kinds.add(k)
                if L.cls == "Rescaling":
                    if rescale is not None:
                        raise FormatError("layer '%s' is a second Rescaling: not part of a "
                                          "MobileNetV3" % n)
                    rescale = L.config
                if L.cls == "ZeroPadding2D":
                    m = re.match(r"^expanded_conv(?:_(\d+))?_depthwise_pad$", _norm(n))
                    if not m:
                        raise FormatError("layer '%s' (ZeroPadding2D) is not part of a "
                                          "MobileNetV3 (only stride-2 depthwise convs pad)" % n)
                    pads[int(m.group(1) or 0)] = (n, L.config.get("padding"))
            continue
        r = _role(n)
        if r is None:
            raise FormatError("layer '%s'%s is not part of a MobileNetV3"
                              % (n, " (%s)" % L.cls if L.cls else ""))
        role, blk, bn = r
        if L.cls is not None:
            want = ("BatchNormalization" if bn else
                    "DepthwiseConv2D" if role == "depthwise" else "Conv2D")
            if L.cls != want:
                raise FormatError("layer '%s' (%s) is not part of a MobileNetV3 (expected %s)"
                                  % (n, L.cls, want))
        slot = parts.setdefault((role, blk), {})
        key = "bn" if bn else "conv"
        if key in slot:
            raise FormatError("layer '%s' duplicates '%s'" % (n, slot[key].name))
        slot[key] = L

    if ("stem", None) not in parts:
        raise FormatError("not a MobileNetV3: no stem convolution layer 'Conv' (found %s)"
                          % ", ".join(order[:4]))
    blocks = sorted({b for (_, b) in parts if b is not None})
    nb = len(blocks)
    if blocks != list(range(nb)) or nb not in (15, 11):
        raise FormatError("not a MobileNetV3: bneck blocks %s, expected 0-14 (large) or 0-10 "
                          "(small)" % (", ".join(map(str, blocks)) or "none"))
    base = "large" if nb == 15 else "small"
    has_se = any(r == "squeeze_excite_conv" for (r, _) in parts)
    dw_k = [parts[("depthwise", i)]["conv"].weights["depthwise_kernel"].shape[0]
            if ("depthwise", i) in parts and "conv" in parts[("depthwise", i)] else None
            for i in range(nb)]
    minimal = not has_se and all(k == 3 for k in dw_k)
    arch = base + ("-minimalistic" if minimal else "")
    spec = F.blocks(arch, 1.0)

    # Batch-norm epsilon: one value for the whole file.
    eps = set()
    for slot in parts.values():
        if "bn" in slot and slot["bn"].config:
            eps.add(float(slot["bn"].config.get("epsilon", 1e-3)))
    if len(eps) > 1:
        raise FormatError("BatchNormalization layers use different epsilons %s"
                          % sorted(eps))
    bn_eps = eps.pop() if eps else 1e-3

    tensors = {}

    def put(prefix, role, blk, what, with_bn=True, stride=None, k=None):
        slot = parts.get((role, blk), {})
        if "conv" not in slot:
            raise FormatError("not a MobileNetV3-%s: %s has no layer (expected one named like "
                              "'%s')" % (arch, what, _expected_name(role, blk)))
        L = slot["conv"]
        w = _conv_w(L, role)
        if k is not None and w.shape[2] != k:
            raise FormatError("not a MobileNetV3-%s: layer '%s' is %dx%d, expected %dx%d"
                              % (arch, L.name, w.shape[2], w.shape[3], k, k))
        if stride is not None and L.config.get("strides") is not None:
            s = L.config["strides"]
            s = s[0] if isinstance(s, (list, tuple)) else s
            if s != stride:
                raise FormatError("not a MobileNetV3-%s: layer '%s' has stride %s, expected %d"
                                  % (arch, L.name, s, stride))
        if with_bn:
            tensors[prefix + ".0.weight"] = w
            if "bias" in L.weights:
                tensors[prefix + ".0.bias"] = np.asarray(L.weights["bias"], np.float32)
            if "bn" not in slot:
                raise FormatError("layer '%s' has no BatchNormalization ('%s/BatchNorm')"
                                  % (L.name, L.name))
            B = slot["bn"]
            c = w.shape[0]
            for src, dst, default in (("gamma", "weight", 1.0), ("beta", "bias", 0.0),
                                      ("moving_mean", "running_mean", None),
                                      ("moving_variance", "running_var", None)):
                v = B.weights.get(src)
                if v is None:
                    if default is None:
                        raise FormatError("layer '%s' has no %s" % (B.name, src))
                    v = np.full(c, default, np.float32)
                v = np.asarray(v, np.float32)
                if v.shape != (c,):
                    raise FormatError("layer '%s': %s of shape %s, expected [%d]"
                                      % (B.name, src, list(v.shape), c))
                tensors["%s.1.%s" % (prefix, dst)] = v
        else:
            if "bn" in slot:
                raise FormatError("layer '%s' is not part of a MobileNetV3 (no BatchNorm there)"
                                  % slot["bn"].name)
            tensors[prefix + ".weight"] = w
            b = L.weights.get("bias")
            tensors[prefix + ".bias"] = (np.asarray(b, np.float32) if b is not None
                                         else np.zeros(w.shape[0], np.float32))
        return w

    # TensorFlow SAME everywhere: 'same' convs, or correct_pad's ZeroPadding2D (k//2 - 1 or
    # k//2 before, k//2 after) + 'valid' for the stride-2 depthwise convs.
    for (role, blk), slot in parts.items():
        L = slot.get("conv")
        if L is None or not L.config or L.config.get("padding") in (None, "same"):
            continue
        k = _conv_w(L, role).shape[2]
        pad = pads.get(blk) if role == "depthwise" else None
        ok = False
        if L.config.get("padding") == "valid" and (k == 1 or pad):
            ok = True
            if pad:
                try:
                    (t, b), (l_, r) = pad[1]
                    ok = b == r == k // 2 and t in (k // 2 - 1, k // 2) and \
                        l_ in (k // 2 - 1, k // 2)
                except (TypeError, ValueError):
                    ok = False
        if not ok:
            raise FormatError("layer '%s': padding '%s'%s is not TensorFlow SAME padding"
                              % (L.name, L.config.get("padding"),
                                 " after %s %s" % pad if pad else ""))

    w = put("features.0", "stem", None, "the stem", stride=2, k=3)
    if w.shape[1] != 3:
        raise FormatError("layer '%s': %d input channels, expected 3 (RGB)"
                          % (parts[("stem", None)]["conv"].name, w.shape[1]))
    c = w.shape[0]
    channels = [c]
    for i, s in enumerate(spec):
        j = 0
        prefix = "features.%d.block." % (i + 1)
        has_expand = ("expand", i) in parts
        if i == 0 and has_expand:
            raise FormatError("layer '%s' is not part of a MobileNetV3 (the first block has no "
                              "expansion)" % parts[("expand", i)]["conv"].name)
        if has_expand:
            we = put(prefix + "%d" % j, "expand", i, "block %d's expansion" % i, stride=1, k=1)
            j += 1
            if we.shape[1] != c:
                raise FormatError("block %d: expansion takes %d channels, the previous layer "
                                  "gives %d" % (i, we.shape[1], c))
            cexp = we.shape[0]
        else:
            cexp = c
        wd = put(prefix + "%d" % j, "depthwise", i, "block %d's depthwise conv" % i,
                 stride=s["stride"], k=s["k"])
        j += 1
        if wd.shape[0] != cexp:
            raise FormatError("block %d: depthwise conv has %d channels, expected %d"
                              % (i, wd.shape[0], cexp))
        if cexp == c and has_expand:
            raise FormatError("block %d: an expansion from %d to %d channels is not "
                              "representable (torchvision omits it)" % (i, c, cexp))
        se_here = ("squeeze_excite_conv", i) in parts
        if se_here != s["se"]:
            raise FormatError("not a MobileNetV3-%s: block %d %s squeeze-excite"
                              % (arch, i, "has a" if se_here else "lacks its"))
        if se_here:
            p = prefix + "%d" % j
            f1 = put(p + ".fc1", "squeeze_excite_conv", i, "block %d's SE" % i, False, k=1)
            f2 = put(p + ".fc2", "squeeze_excite_conv_1", i, "block %d's SE" % i, False, k=1)
            j += 1
            if f1.shape[1] != cexp or f2.shape[0] != cexp or f2.shape[1] != f1.shape[0] or \
                    f1.shape[0] != F.make_divisible(cexp / 4):
                raise FormatError("block %d: squeeze-excite shapes %s / %s do not fit %d channels"
                                  % (i, list(f1.shape), list(f2.shape), cexp))
        wp = put(prefix + "%d" % j, "project", i, "block %d's projection" % i, stride=1, k=1)
        if wp.shape[1] != cexp:
            raise FormatError("block %d: projection takes %d channels, expected %d"
                              % (i, wp.shape[1], cexp))
        c = wp.shape[0]
        channels += [cexp, c]
    head = "features.%d" % (nb + 1)
    wh = put(head, "head", None, "the last conv 'Conv_1'", stride=1, k=1)
    if wh.shape[1] != c:
        raise FormatError("Conv_1 takes %d channels, the last block gives %d" % (wh.shape[1], c))
    top = ("hidden", None) in parts or ("classifier", None) in parts
    num_classes = 0
    if top:
        wc2 = put("classifier.0", "hidden", None, "the classifier's 'Conv_2'", False, k=1)
        wl = put("classifier.3", "classifier", None, "the classifier's 'Logits'", False, k=1)
        for n in ("classifier.0.weight", "classifier.3.weight"):
            tensors[n] = tensors[n][:, :, 0, 0].copy()
        if wc2.shape[1] != wh.shape[0] or wl.shape[1] != wc2.shape[0]:
            raise FormatError("classifier shapes %s / %s do not follow Conv_1's %d channels"
                              % (list(wc2.shape), list(wl.shape), wh.shape[0]))
        num_classes = wl.shape[0]

    # Width: torchvision's rule if it explains every channel, else the keras.applications
    # alpha that does (recorded with mnv3.channels).
    width, explicit = _width(arch, channels)

    # Hard sigmoid.
    doc = _is_document_naming(order)
    if whole:
        kinds.discard(None)
        if minimal:
            kinds.discard("relu6")
            kinds.discard("keras2")
        if len(kinds) > 1:
            raise FormatError("the file mixes hard-sigmoid kinds (%s)" % ", ".join(sorted(kinds)))
        found = kinds.pop() if kinds else "relu6"
        if hard_sigmoid is not None and hard_sigmoid != found and not minimal:
            raise FormatError("--hard-sigmoid %s, but the file's activations are %s"
                              % (hard_sigmoid, found))
        hs = found
        how = "from the model's activations (Keras %s)" % (version or "?")
    elif hard_sigmoid is not None:
        hs = hard_sigmoid
        how = "from --hard-sigmoid"
    else:
        hs = "keras2" if doc else "relu6"
        how = ("assumed for a weights-only file with the document's layer names (Keras 2 "
               "Activation('hard_sigmoid'); --hard-sigmoid relu6 if it ran on Keras 3)" if doc else
               "assumed for a weights-only file (keras.applications; --hard-sigmoid keras2 for a "
               "model built on Keras 2's Activation('hard_sigmoid'))")

    # Input size.
    size = None
    if input_shape and len(input_shape) == 4:
        h, w_ = input_shape[1], input_shape[2]
        if h is not None and w_ is not None:
            if h != w_:
                raise FormatError("input shape %sx%s is not square" % (h, w_))
            size = int(h)
    if size is not None and not 16 <= size <= 2048:
        raise FormatError("input size %d is outside 16..2048" % size)

    mean, std = F.TF_MEAN, F.TF_STD
    if rescale is not None:
        sc, off = rescale.get("scale", 1.0), rescale.get("offset", 0.0)
        if isinstance(sc, (list, tuple)) or isinstance(off, (list, tuple)) or not sc or sc <= 0:
            raise FormatError("Rescaling (scale %r, offset %r) is not a per-image affine map"
                              % (sc, off))
        s_ = 1.0 / (255.0 * float(sc))
        m_ = -float(off) * s_
        mean = ",".join(["%.9g" % m_] * 3)
        std = ",".join(["%.9g" % s_] * 3)

    extra = {"mnv3.hard_sigmoid": hs}
    if explicit:
        extra["mnv3.channels"] = ",".join(str(int(v)) for v in channels)
    info = dict(padding="tf-same", mean=mean, std=std, input_size=size,
                kind="Keras %s%s%s" % ("model" if whole else "weights-only file",
                                       " (the design document's mobilenet_v3 layer names)"
                                       if doc else "", " v" + version if version else ""),
                licence=None, bn_eps="%.9g" % bn_eps, extra_meta=extra, width=width,
                num_classes=num_classes, hard_sigmoid_how=how)
    return arch, tensors, info


def _read_checked(path, data, hard_sigmoid):
    try:
        return read(path, data, hard_sigmoid)
    except (FormatError, MemoryError):
        raise
    except Exception as e:
        # h5py / json / zip / zlib surprises of a damaged file: one line, no traceback.
        msg = str(e).splitlines()[0] if str(e) else ""
        raise FormatError("damaged or unexpected Keras file (%s: %s)" % (type(e).__name__, msg))


def _child(conn, path, data, hard_sigmoid):
    try:
        conn.send(("ok", _read_checked(path, data, hard_sigmoid)))
    except FormatError as e:
        conn.send(("error", str(e)))
    except MemoryError:
        conn.send(("error", "out of memory (file too large or damaged)"))
    conn.close()


def read_isolated(path, data, hard_sigmoid=None):
    """read () in a forked child: the HDF5 C library can crash on a damaged file (seen with
    Debian 12's libhdf5 on a byte-flipped .h5); a crash becomes a one-line FormatError."""
    import multiprocessing
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:
        return _read_checked(path, data, hard_sigmoid)
    parent, child = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_child, args=(child, path, data, hard_sigmoid))
    p.start()
    child.close()
    try:
        status, value = parent.recv()
    except EOFError:
        p.join()
        raise FormatError("the HDF5 library failed reading the file (exit %s): damaged file"
                          % p.exitcode)
    p.join()
    if status == "error":
        raise FormatError(value)
    return value


def _expected_name(role, blk):
    p = "expanded_conv" + ("_%d/" % blk if blk else "/")
    return {"stem": "Conv", "head": "Conv_1", "hidden": "Conv_2", "classifier": "Logits",
            "squeeze_excite_conv": p + "squeeze_excite/Conv",
            "squeeze_excite_conv_1": p + "squeeze_excite/Conv_1"}.get(role, p + str(role))


def _keras_app_channels(arch, alpha):
    """keras.applications' channel counts: stem 16, expansion _depth (in * ratio)."""
    spec = F.blocks(arch, 1.0)
    c = 16
    out = [c]
    prev = 16
    for s in spec:
        ratio = s["exp"] / prev
        prev = s["out"]
        filters = F.make_divisible(s["out"] * alpha)
        cexp = F.make_divisible(c * ratio)
        out += [cexp, filters]
        c = filters
    return out


def _tv_channels(arch, w):
    out = [F.make_divisible(16 * w)]
    for s in F.blocks(arch, w):
        out += [s["exp"], s["out"]]
    return out


def _width(arch, channels):
    cands = list(F.WIDTH_CANDIDATES) + [round(0.05 * i, 2) for i in range(1, 81)]
    for w in cands:
        if _tv_channels(arch, w) == channels:
            return w, False
    for w in cands:
        if _keras_app_channels(arch, w) == channels:
            return w, True
    base = F.blocks(arch, 1.0)[-1]["out"]
    return round(channels[-1] / base, 3), True


def convert(inp, data, out, read_labels, labels=None, no_labels=False, arch=None, width=None,
            input_size=None, source=None, hard_sigmoid=None, labels_dir=None):
    """Reads a Keras file and writes the safetensors model. Returns (meta, tensors)."""
    import collections
    import os
    got_arch, tensors, info = read_isolated(inp, data, hard_sigmoid)
    if arch is not None and arch != got_arch:
        raise FormatError("expected a MobileNetV3-%s (--arch), found %s" % (arch, got_arch))
    num_classes = info["num_classes"]
    w = info["width"] if width is None else width
    meta = collections.OrderedDict()
    meta["mnv3.arch"] = got_arch
    meta["mnv3.width"] = F.format_width(w)
    meta["mnv3.input_size"] = str(input_size or info["input_size"] or 224)
    meta["mnv3.padding"] = info["padding"]
    meta["mnv3.mean"] = info["mean"]
    meta["mnv3.std"] = info["std"]
    if num_classes:
        meta["mnv3.num_classes"] = str(num_classes)
    meta["mnv3.bn_eps"] = info["bn_eps"]
    meta.update(info["extra_meta"])
    label_list = None
    if labels:
        label_list = read_labels(labels)
    elif not no_labels and num_classes in (1000, 1001) and labels_dir:
        label_list = read_labels(os.path.join(labels_dir, "imagenet-1000.txt"))
        if num_classes == 1001:
            label_list = ["background"] + label_list
    if label_list is not None:
        if not num_classes:
            raise FormatError("labels: the model has no classifier (include_top=False)")
        if len(label_list) not in (num_classes, num_classes - 1) or \
                (len(label_list) == num_classes - 1 and num_classes != 1001):
            raise FormatError("labels: expected %d labels for %d classes, found %d"
                              % (num_classes, num_classes, len(label_list)))
        meta["mnv3.labels"] = "\n".join(label_list)
    meta["mnv3.source"] = source or ("%s %s, converted by mnv3classify models/convert.py; "
                                     "hard sigmoid %s %s"
                                     % (info["kind"], os.path.basename(inp),
                                        info["extra_meta"]["mnv3.hard_sigmoid"],
                                        info["hard_sigmoid_how"]))
    F.write_safetensors(out, tensors, meta)
    return meta, tensors
