# mnv3classify: models/mnv3format.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The mnv3 model file format (models/FORMAT.md): block tables, tensor names and shapes,
and a small safetensors writer/reader. Standard library + numpy only."""

import json
import struct

import numpy as np

ARCHS = ("large", "small", "large-minimalistic", "small-minimalistic")

# Paper Tables 1 and 2 (DESIGN.md 3a): kernel, expansion, out, SE, h-swish, stride.
_LARGE = [
    (3, 16, 16, False, False, 1), (3, 64, 24, False, False, 2), (3, 72, 24, False, False, 1),
    (5, 72, 40, True, False, 2), (5, 120, 40, True, False, 1), (5, 120, 40, True, False, 1),
    (3, 240, 80, False, True, 2), (3, 200, 80, False, True, 1), (3, 184, 80, False, True, 1),
    (3, 184, 80, False, True, 1), (3, 480, 112, True, True, 1), (3, 672, 112, True, True, 1),
    (5, 672, 160, True, True, 2), (5, 960, 160, True, True, 1), (5, 960, 160, True, True, 1),
]
_SMALL = [
    (3, 16, 16, True, False, 2), (3, 72, 24, False, False, 2), (3, 88, 24, False, False, 1),
    (5, 96, 40, True, True, 2), (5, 240, 40, True, True, 1), (5, 240, 40, True, True, 1),
    (5, 120, 48, True, True, 1), (5, 144, 48, True, True, 1), (5, 288, 96, True, True, 2),
    (5, 576, 96, True, True, 1), (5, 576, 96, True, True, 1),
]
LAST_CHANNEL = {"large": 1280, "small": 1024}
STEM_CHANNELS = 16

# Width multipliers tried, in order, when a converter infers the width from tensor shapes.
WIDTH_CANDIDATES = ([1.0, 0.75, 0.5, 0.35, 1.25, 1.5, 2.0, 0.25]
                    + [round(0.05 * i, 2) for i in range(2, 61)]
                    + [round(0.01 * i, 2) for i in range(10, 301)])

TORCHVISION_MEAN = "0.485,0.456,0.406"
TORCHVISION_STD = "0.229,0.224,0.225"
TF_MEAN = "0.5,0.5,0.5"
TF_STD = "0.5,0.5,0.5"
TORCHVISION_BN_EPS = "0.001"


class FormatError(Exception):
    """A one-line, user-facing reason why an input cannot be converted."""


def make_divisible(v, divisor=8, min_value=None):
    """The usual channel rounding of MobileNets (torchvision/TF _make_divisible)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def base_arch(arch):
    return arch.split("-")[0]


def blocks(arch, width=1.0):
    """Per bneck block: dict(k, cin, exp, out, se, hs, stride, squeeze), channels scaled."""
    if arch not in ARCHS:
        raise FormatError("unknown architecture %r (expected one of %s)" % (arch, ", ".join(ARCHS)))
    table = _LARGE if base_arch(arch) == "large" else _SMALL
    minimal = arch.endswith("-minimalistic")
    cin = make_divisible(STEM_CHANNELS * width)
    res = []
    for k, exp, out, se, hs, stride in table:
        e = make_divisible(exp * width)
        o = make_divisible(out * width)
        if minimal:
            k, se, hs = 3, False, False
        res.append(dict(k=k, cin=cin, exp=e, out=o, se=se, hs=hs, stride=stride,
                        squeeze=make_divisible(e // 4, 8)))
        cin = o
    return res


def head_index(arch):
    """Index N of the head conv features.N (16 for large, 12 for small)."""
    return len(_LARGE if base_arch(arch) == "large" else _SMALL) + 1


def layer_plan(arch, width=1.0):
    """The layers of a model in graph order.

    Each entry is (kind, prefix, shape): kind 'conv' (a conv followed by BatchNorm, or folded with a
    bias: tensors <prefix>.0.*, <prefix>.1.*), 'se' (fc1/fc2 pair under <prefix>, shape = (exp,
    squeeze)) or 'linear' (<prefix>.weight/.bias, shape [out, in]; out of classifier.0 is None
    because it is taken from the file, and out of classifier.3 is num_classes, None here too).
    Conv shapes are PyTorch OIHW ([C,1,k,k] for depthwise).
    """
    plan = []
    bl = blocks(arch, width)
    stem = bl[0]["cin"]
    plan.append(("conv", "features.0", (stem, 3, 3, 3)))
    for i, b in enumerate(bl):
        j = 0
        pre = "features.%d.block" % (i + 1)
        if b["exp"] != b["cin"]:
            plan.append(("conv", "%s.%d" % (pre, j), (b["exp"], b["cin"], 1, 1)))
            j += 1
        plan.append(("conv", "%s.%d" % (pre, j), (b["exp"], 1, b["k"], b["k"])))
        j += 1
        if b["se"]:
            plan.append(("se", "%s.%d" % (pre, j), (b["exp"], b["squeeze"])))
            j += 1
        plan.append(("conv", "%s.%d" % (pre, j), (b["out"], b["exp"], 1, 1)))
    last = bl[-1]["out"]
    plan.append(("conv", "features.%d" % head_index(arch), (6 * last, last, 1, 1)))
    plan.append(("linear", "classifier.0", (None, 6 * last)))
    plan.append(("linear", "classifier.3", (None, None)))
    return plan


def expected_tensors(arch, width, num_classes, last_channel, folded):
    """Ordered dict name -> shape of a complete model file.

    folded: set of conv prefixes stored as <prefix>.0.weight + <prefix>.0.bias (no BatchNorm)."""
    out = {}
    for kind, prefix, shape in layer_plan(arch, width):
        if kind == "conv":
            out[prefix + ".0.weight"] = tuple(shape)
            if prefix in folded:
                out[prefix + ".0.bias"] = (shape[0],)
            else:
                for t in ("weight", "bias", "running_mean", "running_var"):
                    out["%s.1.%s" % (prefix, t)] = (shape[0],)
        elif kind == "se":
            exp, sq = shape
            out[prefix + ".fc1.weight"] = (sq, exp, 1, 1)
            out[prefix + ".fc1.bias"] = (sq,)
            out[prefix + ".fc2.weight"] = (exp, sq, 1, 1)
            out[prefix + ".fc2.bias"] = (exp,)
        elif prefix == "classifier.0":
            out["classifier.0.weight"] = (last_channel, shape[1])
            out["classifier.0.bias"] = (last_channel,)
        else:
            out["classifier.3.weight"] = (num_classes, last_channel)
            out["classifier.3.bias"] = (num_classes,)
    return out


def check_tensors(tensors, arch, width, num_classes, last_channel):
    """Return None if tensors (name -> array) is exactly a model of this arch/width, else the first
    problem as a string."""
    folded = {n[:-len(".0.bias")] for n in tensors if n.endswith(".0.bias")}
    exp = expected_tensors(arch, width, num_classes, last_channel, folded)
    for name, shape in exp.items():
        if name not in tensors:
            return "missing tensor %s (shape %s)" % (name, list(shape))
        got = tuple(tensors[name].shape)
        if got != shape:
            return "tensor %s: expected shape %s, found %s" % (name, list(shape), list(got))
    for name in tensors:
        if name not in exp:
            return "unexpected tensor %s" % name
    return None


def format_width(w):
    s = ("%.4f" % w).rstrip("0")
    return s + "0" if s.endswith(".") else s


def infer_width(tensors, arch, num_classes, last_channel):
    """First width multiplier whose tensor shapes match, or raise FormatError naming the mismatch
    found for the closest candidate."""
    best = None
    for w in WIDTH_CANDIDATES:
        problem = check_tensors(tensors, arch, w, num_classes, last_channel)
        if problem is None:
            return w
        if best is None:
            best = problem
    raise FormatError("not a MobileNetV3-%s state (no width multiplier fits; at width 1.0: %s)"
                      % (arch, best))


# ---------------------------------------------------------------------------------------------
# safetensors

def write_safetensors(path, tensors, metadata):
    """Write tensors (ordered name -> numpy array, stored as F32; uint8 / int8 / int32 arrays,
    the integer engine's weights, keep their type: U8 / I8 / I32) and string metadata."""
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        dtype = {np.dtype("u1"): "U8", np.dtype("i1"): "I8",
                 np.dtype("<i4"): "I32"}.get(np.asarray(arr).dtype, "F32")
        a = np.ascontiguousarray(arr, dtype={"U8": "u1", "I8": "i1", "I32": "<i4",
                                             "F32": "<f4"}[dtype])
        if dtype == "F32" and not np.all(np.isfinite(a)):
            raise FormatError("tensor %s has non-finite values" % name)
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    hj = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    hj += b" " * ((8 - (8 + len(hj)) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)
    import os
    os.replace(tmp, path)


_ST_DTYPES = {"F32": "<f4", "F16": "<f2", "F64": "<f8", "I64": "<i8", "I32": "<i4", "U8": "u1",
              "I8": "i1", "BF16": "<u2"}


def read_safetensors(path):
    """Return (tensors: dict name -> float32 numpy array in file order, metadata dict)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise FormatError("%s: truncated safetensors file (%d bytes)" % (path, len(data)))
    (n,) = struct.unpack_from("<Q", data, 0)
    if n > len(data) - 8:
        raise FormatError("%s: safetensors header length %d exceeds the file" % (path, n))
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dt = _ST_DTYPES[info["dtype"]]
        s, e = info["data_offsets"]
        if base + e > len(data):
            raise FormatError("%s: tensor %s extends past the end of the file" % (path, name))
        a = np.frombuffer(data[base + s:base + e], dtype=dt)
        if info["dtype"] == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        out[name] = a.reshape(info["shape"]).astype(np.float32)
    return out, meta
