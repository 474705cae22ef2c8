#!/usr/bin/python3
# mnv3classify: tests/data/make-fixtures.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the golden-reference fixtures for libmnv3: small random-weight torchvision MobileNetV3
models in our safetensors format (DESIGN.md section 3), test inputs and torchvision's logits.

The reference is torchvision's own MobileNetV3 class (Debian python3-torchvision), built from
custom InvertedResidualConfig lists for the minimalistic variants (3x3 depthwise only, no SE,
ReLU everywhere) and with TensorFlow "SAME" padding emulated for the tf-same fixtures. Logits are
computed in float64. Files are described in README.md next to this script.

usage: make-fixtures.py [-o OUTDIR]          write the committed fixtures (default: ./fixtures)
       make-fixtures.py --bench-models DIR   write full-size random large/small .safetensors and
                                             .onnx models for benchmarks (not committed)

The output is deterministic: running it again gives byte-identical files.
"""
import argparse
import json
import math
import os
import struct
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.mobilenetv3 import MobileNetV3, _mobilenet_v3_conf

HERE = os.path.dirname(os.path.abspath(__file__))

TORCH_MEAN = (0.485, 0.456, 0.406)
TORCH_STD = (0.229, 0.224, 0.225)
TF_MEAN = (0.5, 0.5, 0.5)
TF_STD = (0.5, 0.5, 0.5)
BN_EPS = 0.001  # torchvision's MobileNetV3 BatchNorm eps

# Labels embedded in one fixture: UTF-8, spaces and punctuation on purpose.
FIXTURE_LABELS = [
    "background", "tabby cat", "golden retriever", "crème brûlée", "traffic light",
    "hot-air balloon", "fire engine, fire truck", "espresso", "Granny Smith", "zebra",
    "volcano", "ice cream",
]

# name, arch, width, input_size, padding, num_classes, dtype, seed, extra options
FIXTURES = [
    dict(name="large-sym-f32", arch="large", width=0.2, size=100, padding="symmetric",
         classes=10, dtype="F32", seed=1001),
    dict(name="small-sym-f16", arch="small", width=0.2, size=96, padding="symmetric",
         classes=7, dtype="F16", seed=1002, converter=True),
    dict(name="large-min-tfsame-f16", arch="large-minimalistic", width=0.2, size=80,
         padding="tf-same", classes=5, dtype="F16", seed=1003),
    dict(name="small-min-tfsame-labels", arch="small-minimalistic", width=0.35, size=64,
         padding="tf-same", classes=12, dtype="F16", seed=1004, labels=FIXTURE_LABELS),
]


# --------------------------------------------------------------------------------------------
# model construction


def _tf_same_pre_hook(conv, args):
    """Pad the input of a stride-2 conv like TensorFlow's SAME: less at top/left."""
    x = args[0]
    kh, kw = conv.kernel_size
    sh, sw = conv.stride
    pads = []
    for dim, k, s in ((x.shape[-1], kw, sw), (x.shape[-2], kh, sh)):
        total = tf_same_total(dim, k, s)
        pads += [total // 2, total - total // 2]
    return (F.pad(x, pads),)


def tf_same_total(dim, k, s):
    return max((-(-dim // s) - 1) * s + k - dim, 0)


def stride2_convs(model):
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, nn.Conv2d) and m.stride != (1, 1)]


def build_model(arch, width, num_classes, padding):
    """torchvision MobileNetV3 for one of our four arch names, eval mode."""
    base = "mobilenet_v3_large" if arch.startswith("large") else "mobilenet_v3_small"
    minimal = arch.endswith("-minimalistic")
    setting, last_channel = _mobilenet_v3_conf(base, width_mult=width)
    if minimal:
        for cnf in setting:
            cnf.kernel = 3
            cnf.use_se = False
            cnf.use_hs = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MobileNetV3(setting, last_channel, num_classes=num_classes)
    if minimal:
        # stem, last 1x1 conv of features and classifier activation: ReLU too
        for parent in list(model.modules()):
            for cname, child in list(parent.named_children()):
                if isinstance(child, nn.Hardswish):
                    setattr(parent, cname, nn.ReLU(inplace=True))
        assert not any(isinstance(m, nn.Hardswish) for m in model.modules())
    if padding == "tf-same":
        for _, conv in stride2_convs(model):
            assert conv.dilation == (1, 1)
            conv.padding = (0, 0)
            conv.register_forward_pre_hook(_tf_same_pre_hook)
    else:
        assert padding == "symmetric"
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            assert m.eps == BN_EPS
    return model.eval()


def _q(x, steps=16):
    """Quantize a positive scale factor to 2^(i/steps): keeps the result byte-identical even if
    the calibration statistics differ in the last bits between machines or thread counts."""
    return 2.0 ** (round(math.log2(x) * steps) / steps)


def _qb(x):
    """Round biases computed from statistics to 1/256."""
    return torch.round(x * 256.0) / 256.0


def init_weights(model, gen, calib, n_center):
    """Random weights with activations of order 1 through the network.

    BatchNorm gets random gamma/beta/running statistics. Convolution weights are standard normal,
    then each conv is rescaled in forward order (one calibration pass over @calib, in float64)
    so that its raw output has unit standard deviation; SE convs and classifier layers get
    random biases. The classifier's biases cancel the input-independent part of the pooled
    features (measured on the first @n_center inputs of @calib) so that the logits depend on
    the input, not on the bias."""
    def U(shape, lo, hi):
        return torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo

    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(U(c, 0.5, 1.5))
                m.bias.copy_(U(c, -0.2, 0.2))
                m.running_mean.copy_(U(c, -0.3, 0.3))
                m.running_var.copy_(U(c, 0.5, 2.0))
            elif isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen))
                if m.bias is not None:
                    m.bias.zero_()

    roles = {}
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            if name.endswith(".fc1"):
                roles[m] = ("se1", 1.0, U(m.out_channels, -0.2, 0.2))
            elif name.endswith(".fc2"):
                roles[m] = ("se2", 1.5, U(m.out_channels, -0.5, 0.5))
            else:
                roles[m] = ("bn", 1.0, None)
        elif isinstance(m, nn.Linear):
            if name == "classifier.0":
                roles[m] = ("center", 1.0, U(m.out_features, -0.3, 0.3))
            else:
                roles[m] = ("center", 2.0, U(m.out_features, -0.5, 0.5))

    def hook(mod, inp, out):
        role, target, extra = roles[mod]
        with torch.no_grad():
            raw = out if mod.bias is None else out - mod.bias.view(1, -1, *([1] * (out.dim() - 2)))
            if role == "bn":
                f = _q(target / raw.std().item())
                mod.weight.mul_(f)
                return raw * f
            if role in ("se1", "se2"):
                f = _q(target / raw.std().item())
                mod.weight.mul_(f)
                mod.bias.copy_(extra)
                return raw * f + mod.bias.view(1, -1, 1, 1)
            # classifier Linear: centre every output over the fixture inputs (the first
            # n_center of the batch), scale their spread to the target
            ref = raw[:n_center]
            mean = ref.mean(dim=0)
            f = _q(target / (ref - mean).std().item())
            mod.weight.mul_(f)
            mod.bias.copy_(_qb(-mean * f) + extra)
            return raw * f + mod.bias

    model.double()
    handles = [m.register_forward_hook(hook) for m in roles]
    with torch.no_grad():
        model(calib.double())
    for h in handles:
        h.remove()
    model.float()


def state_tensors(model):
    """The tensors we store: the state_dict minus num_batches_tracked, in state_dict order."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()
            if not k.endswith("num_batches_tracked")}


def round_to_f16(model):
    """Round every stored tensor to float16 (and back), in place."""
    with torch.no_grad():
        for k, v in model.state_dict().items():
            if v.is_floating_point():
                v.copy_(v.half().float())


# --------------------------------------------------------------------------------------------
# inputs


def make_inputs(size, mean, std, gen):
    """Three NHWC inputs, already normalized: noise, smooth gradient, blocky pattern."""
    mean_t = torch.tensor(mean, dtype=torch.float64)
    std_t = torch.tensor(std, dtype=torch.float64)

    noise = torch.randn((size, size, 3), generator=gen, dtype=torch.float32).double()

    yy, xx = torch.meshgrid(torch.arange(size, dtype=torch.float64),
                            torch.arange(size, dtype=torch.float64), indexing="ij")
    u, v = xx / (size - 1), yy / (size - 1)
    grad = torch.stack([u, 0.5 + 0.45 * torch.sin(2 * math.pi * (u + 0.5 * v)), 1.0 - v], dim=-1)
    grad = (grad - mean_t) / std_t

    block = max(size // 8, 1)
    nb = -(-size // block)
    cells = (torch.rand((nb, nb, 3), generator=gen) > 0.5).double()
    blocky = cells.repeat_interleave(block, 0).repeat_interleave(block, 1)[:size, :size]
    blocky = (blocky - mean_t) / std_t

    return torch.stack([noise, grad, blocky]).float()


def make_calibration(x, mean, std, gen):
    """The fixture inputs plus a few more, only used to scale the random weights."""
    size = x.shape[1]
    extra = [
        torch.randn((size, size, 3), generator=gen) * 0.5,
        torch.flip(x[1], dims=[0, 2]),
        ((torch.rand((size, size, 3), generator=gen) - torch.tensor(mean)) / torch.tensor(std)),
        x[2].transpose(0, 1).flip(dims=[1]),
        torch.zeros((size, size, 3)),
    ]
    return torch.cat([x, torch.stack(extra)]).permute(0, 3, 1, 2).contiguous()


# --------------------------------------------------------------------------------------------
# files


def write_safetensors(path, tensors, metadata, dtype):
    np_dtype = {"F32": "<f4", "F16": "<f2"}[dtype]
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        data = np.ascontiguousarray(t.detach().float().numpy().astype(np_dtype)).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)  # data starts 8-byte aligned, as safetensors does
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for c in chunks:
            f.write(c)


def read_safetensors(path):
    """Independent re-read of what we wrote (round-trip check)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__")
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        dt = {"F32": "<f4", "F16": "<f2"}[info["dtype"]]
        a = np.frombuffer(blob[8 + n + b:8 + n + e], dtype=dt)
        out[name] = torch.from_numpy(a.astype(np.float32).reshape(info["shape"]))
    return out, meta


def write_f32(path, t):
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(t.detach().numpy().astype("<f4")).tobytes())


def metadata_for(fx, mean, std):
    md = {
        "mnv3.arch": fx["arch"],
        "mnv3.width": repr(float(fx["width"])),
        "mnv3.input_size": str(fx["size"]),
        "mnv3.padding": fx["padding"],
        "mnv3.mean": ",".join(repr(v) for v in mean),
        "mnv3.std": ",".join(repr(v) for v in std),
        "mnv3.num_classes": str(fx["classes"]),
        "mnv3.bn_eps": repr(BN_EPS),
        "mnv3.source": "random weights, seed %d, tests/data/make-fixtures.py" % fx["seed"],
    }
    if fx.get("labels"):
        assert len(fx["labels"]) == fx["classes"]
        md["mnv3.labels"] = "\n".join(fx["labels"])
    return md


# --------------------------------------------------------------------------------------------
# checks


def check_tf_same(arch, width, sizes):
    """Our TF-SAME emulation must give the same output sizes as symmetric padding (and as
    TensorFlow: ceil(in / stride)), while padding less at top/left. Returns table rows."""
    rows = []
    sym = build_model(arch, width, 10, "symmetric")
    tfs = build_model(arch, width, 10, "tf-same")
    tfs.load_state_dict(sym.state_dict())
    for size in sizes:
        shapes = {}
        for tag, model in (("sym", sym), ("tf", tfs)):
            hs = []
            for name, conv in stride2_convs(model):
                def rec(mod, inp, out, name=name, tag=tag):
                    shapes[(tag, name)] = (inp[0].shape[-1], out.shape[-1])
                hs.append(conv.register_forward_hook(rec))
            with torch.no_grad():
                model(torch.zeros(1, 3, size, size))
            for h in hs:
                h.remove()
        for name, conv in stride2_convs(sym):
            k = conv.kernel_size[0]
            in_sym, out_sym = shapes[("sym", name)]
            in_padded, out_tf = shapes[("tf", name)]  # forward hooks see the F.pad'ed input
            total = tf_same_total(in_sym, k, 2)
            assert in_padded == in_sym + total, (name, size, in_sym, in_padded)
            assert out_sym == out_tf == -(-in_sym // 2), (name, size, out_sym, out_tf)
            rows.append((arch, size, name, k, in_sym, "%d/%d" % (total // 2, total - total // 2),
                         out_sym, out_tf))
    # known TensorFlow values: 224 input, 3x3/2 pads 0 top, 1 bottom; 5x5/2 pads 1, 2
    assert tf_same_total(224, 3, 2) == 1 and tf_same_total(112, 5, 2) == 3
    assert tf_same_total(7, 3, 2) == 2 and tf_same_total(7, 5, 2) == 4
    return rows


def activation_rms(model, x):
    """RMS of every features[i] output: shows that activations stay O(1)."""
    vals = []
    hs = [m.register_forward_hook(lambda mod, i, o: vals.append(o.pow(2).mean().sqrt().item()))
          for m in model.features]
    with torch.no_grad():
        model(x)
    for h in hs:
        h.remove()
    return vals


# --------------------------------------------------------------------------------------------


def make_model(fx, gen, x_nhwc, mean, std):
    torch.manual_seed(fx["seed"])
    model = build_model(fx["arch"], fx["width"], fx["classes"], fx["padding"])
    init_weights(model, gen, make_calibration(x_nhwc, mean, std, gen), x_nhwc.shape[0])
    if fx["dtype"] == "F16":
        round_to_f16(model)
    return model


def make_fixture(fx, outdir):
    name = fx["name"]
    gen = torch.Generator().manual_seed(fx["seed"])
    mean, std = (TF_MEAN, TF_STD) if fx["padding"] == "tf-same" else (TORCH_MEAN, TORCH_STD)
    x = make_inputs(fx["size"], mean, std, gen)  # n x S x S x 3
    model = make_model(fx, gen, x, mean, std)

    paths = {}
    tensors = state_tensors(model)
    paths["st"] = os.path.join(outdir, name + ".safetensors")
    write_safetensors(paths["st"], tensors, metadata_for(fx, mean, std), fx["dtype"])

    nchw = x.permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        logits32 = model(nchw)
        model64 = build_model(fx["arch"], fx["width"], fx["classes"], fx["padding"])
        model64.load_state_dict(model.state_dict())
        model64.double()
        logits = model64(nchw.double())
    rms = activation_rms(model64, nchw.double())

    # the stored file must reproduce the model exactly
    back, _ = read_safetensors(paths["st"])
    assert list(back) == list(tensors)
    for k, v in back.items():
        assert torch.equal(v, tensors[k].float()), k
    model_rt = build_model(fx["arch"], fx["width"], fx["classes"], fx["padding"])
    missing = model_rt.load_state_dict(back, strict=False)
    assert not missing.unexpected_keys and all(
        k.endswith("num_batches_tracked") for k in missing.missing_keys), missing

    paths["in"] = os.path.join(outdir, name + ".input.f32")
    paths["lg"] = os.path.join(outdir, name + ".logits.f32")
    write_f32(paths["in"], x)
    write_f32(paths["lg"], logits.float())

    if fx.get("converter"):
        paths["pth"] = os.path.join(outdir, name + ".pth")
        torch.save(model.state_dict(), paths["pth"])
        paths["onnx"] = os.path.join(outdir, name + ".onnx")
        export_onnx(model, fx["size"], paths["onnx"])
        onnx_err = (run_onnx(paths["onnx"], nchw) - logits).abs().max().item()
        assert onnx_err < 1e-4, onnx_err
        pth_model = build_model(fx["arch"], fx["width"], fx["classes"], fx["padding"])
        pth_model.load_state_dict(torch.load(paths["pth"]))
        with torch.no_grad():
            assert torch.equal(pth_model.double()(nchw.double()), logits)
        print("%s: .pth reproduces the logits exactly, .onnx (BN folded) to %.1e"
              % (name, onnx_err))

    # tf-same must matter: the same weights with symmetric padding give other logits
    tf_delta = None
    if fx["padding"] == "tf-same":
        sym = build_model(fx["arch"], fx["width"], fx["classes"], "symmetric")
        sym.load_state_dict(model.state_dict())
        with torch.no_grad():
            tf_delta = (sym.double()(nchw.double()) - logits).abs().max().item()

    lg = logits
    info = dict(
        name=name, fx=fx,
        sizes={k: os.path.getsize(p) for k, p in paths.items()},
        max_abs=lg.abs().max().item(),
        std_inputs=lg.std(dim=0).mean().item(),
        bias_abs=model.classifier[3].bias.abs().max().item(),
        top1=lg.argmax(dim=1).tolist(),
        f32_err=(logits32.double() - logits).abs().max().item(),
        rms=(min(rms), max(rms)),
        tf_delta=tf_delta,
        n=x.shape[0],
    )
    return info


def export_onnx(model, size, path):
    """opset 13, NCHW float input "input" 1x3xSxS, output "logits"."""
    dummy = torch.zeros(1, 3, size, size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, dummy, path, opset_version=13, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True)


def run_onnx(path, x):
    """Evaluate our ONNX export with plain torch ops (no onnxruntime here), in float64:
    an independent check that the file computes the reference logits."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    onnx.checker.check_model(m)
    env = {i.name: torch.from_numpy(numpy_helper.to_array(i).astype(np.float64))
           for i in m.graph.initializer}
    env[m.graph.input[0].name] = x.double()
    for n in m.graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
        i = [env[k] for k in n.input]
        if n.op_type == "Conv":
            t, l, b, r = a.get("pads", [0, 0, 0, 0])
            y = F.conv2d(F.pad(i[0], (l, r, t, b)), i[1], i[2] if len(i) > 2 else None,
                         stride=a["strides"], dilation=a.get("dilations", 1), groups=a["group"])
        elif n.op_type == "Relu":
            y = F.relu(i[0])
        elif n.op_type == "HardSigmoid":
            y = torch.clamp(a.get("alpha", 0.2) * i[0] + a.get("beta", 0.5), 0, 1)
        elif n.op_type == "Mul":
            y = i[0] * i[1]
        elif n.op_type == "Add":
            y = i[0] + i[1]
        elif n.op_type == "GlobalAveragePool":
            y = i[0].mean(dim=(2, 3), keepdim=True)
        elif n.op_type == "Flatten":
            y = torch.flatten(i[0], a.get("axis", 1))
        elif n.op_type == "Gemm":
            w = i[1].t() if a.get("transB", 0) else i[1]
            y = a.get("alpha", 1.0) * (i[0] @ w) + a.get("beta", 1.0) * i[2]
        else:
            raise ValueError("unexpected ONNX op " + n.op_type)
        env[n.output[0]] = y
    return env[m.graph.output[0].name]


def bench_models(outdir):
    os.makedirs(outdir, exist_ok=True)
    for arch, seed in (("large", 2001), ("small", 2002)):
        fx = dict(name=arch, arch=arch, width=1.0, size=224, padding="symmetric",
                  classes=1000, dtype="F32", seed=seed)
        gen = torch.Generator().manual_seed(seed)
        x = make_inputs(224, TORCH_MEAN, TORCH_STD, gen)
        model = make_model(fx, gen, x, TORCH_MEAN, TORCH_STD)
        st = os.path.join(outdir, arch + ".safetensors")
        write_safetensors(st, state_tensors(model), metadata_for(fx, TORCH_MEAN, TORCH_STD), "F32")
        onnx_path = os.path.join(outdir, arch + ".onnx")
        export_onnx(model, 224, onnx_path)
        with torch.no_grad():
            lg = model(x.permute(0, 3, 1, 2))
        print("%-6s %s (%d bytes), %s (%d bytes), max|logit| %.3f, top-1 %s"
              % (arch, st, os.path.getsize(st), onnx_path, os.path.getsize(onnx_path),
                 lg.abs().max().item(), lg.argmax(1).tolist()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--outdir", default=os.path.join(HERE, "fixtures"))
    ap.add_argument("--bench-models", metavar="DIR",
                    help="write full-size random-weight large/small models into DIR and exit")
    args = ap.parse_args()
    torch.set_num_threads(1)

    if args.bench_models:
        bench_models(args.bench_models)
        return 0

    # TF-SAME emulation self-check
    print("tf-same emulation check (output size must equal symmetric and ceil(in/2)):")
    print("  %-20s %4s %-22s %2s %5s %8s %7s %6s" % ("arch", "in", "conv", "k", "in", "pad t/b",
                                                    "out sym", "out tf"))
    for arch in ("large", "small", "large-minimalistic", "small-minimalistic"):
        sizes = sorted({224} | {f["size"] for f in FIXTURES if f["arch"] == arch})
        for row in check_tf_same(arch, 0.25, sizes):
            print("  %-20s %4d %-22s %2d %5d %8s %7d %6d" % row)

    os.makedirs(args.outdir, exist_ok=True)
    infos = [make_fixture(fx, args.outdir) for fx in FIXTURES]

    with open(os.path.join(args.outdir, "fixtures.txt"), "w") as f:
        f.write("# name arch width input_size padding num_classes n_inputs dtype"
                " (written by tests/data/make-fixtures.py)\n")
        for i in infos:
            fx = i["fx"]
            f.write("%s %s %s %d %s %d %d %s\n" % (i["name"], fx["arch"], repr(float(fx["width"])),
                                                   fx["size"], fx["padding"], fx["classes"],
                                                   i["n"], fx["dtype"]))

    print()
    print("%-24s %-19s %5s %4s %-9s %3s %3s %9s %9s %7s %7s %6s %-9s %9s %-11s %s" % (
        "fixture", "arch", "width", "size", "padding", "cls", "dt", "st bytes", "all bytes",
        "max|lg|", "std/in", "|bias|", "top-1", "f32 err", "act rms", "tf-vs-sym"))
    total = 0
    for i in infos:
        fx = i["fx"]
        allb = sum(i["sizes"].values())
        total += allb
        print("%-24s %-19s %5s %4d %-9s %3d %3s %9d %9d %7.3f %7.3f %6.3f %-9s %9.2e %-11s %s" % (
            i["name"], fx["arch"], fx["width"], fx["size"], fx["padding"], fx["classes"],
            fx["dtype"], i["sizes"]["st"], allb, i["max_abs"], i["std_inputs"], i["bias_abs"],
            ",".join(map(str, i["top1"])), i["f32_err"], "%.2f..%.2f" % i["rms"],
            "-" if i["tf_delta"] is None else "%.3f" % i["tf_delta"]))
        # sanity: logits neither ~0 nor huge, input-dependent, not all the same class
        assert 0.5 < i["max_abs"] < 50, i["max_abs"]
        assert i["std_inputs"] > 0.3, i["std_inputs"]
        assert len(set(i["top1"])) > 1, i["top1"]
        assert i["rms"][0] > 0.05 and i["rms"][1] < 20, i["rms"]
    print("total %d bytes in %s" % (total, args.outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
