#!/usr/bin/python3
# mnv3classify: tests/models/fuzz-convert.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""In-process, bounded fuzzing of models/convert.py over .pth, .onnx and .tflite inputs.

usage: fuzz-convert.py [MNV3-EXE-IGNORED] [--cases N] [--seconds S] [--seed K] [--save DIR]
                       [--formats pth,onnx,tflite] [--real-seeds]

Seeds: the committed fixture small-sym-f16 (.pth, .onnx), a float TFLite MobileNetV3 written by
tests/models/make-tflite.py (no TensorFlow), and small hand-built .pth pickles (pthbuild.py).
Each case mutates one seed, byte-wise (bit flips, interesting integers, truncation, chunk
insertion/deletion/duplication) or structure-aware (the pickle inside the .pth zip, re-zipped
with valid CRCs; ONNX protobuf fields: attributes, dims, data types, input shapes, external data
entries, node order; TFLite: 32-bit words at table/vector positions), and calls convert.convert()
in this process with random options. A FormatError is the expected refusal; any other exception
(MemoryError and a 10 s per-case alarm included) is a finding: printed with its traceback's last
frame and, with --save, written out as a reproducer. The process runs under a 3 GiB address-space
limit. Exit status 1 when anything was found."""

import argparse
import io
import os
import random
import resource
import signal
import struct
import sys
import tempfile
import time
import traceback
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mnv3test as M  # noqa: E402
import pthbuild as P  # noqa: E402

INTERESTING = [0, 1, 2, 3, 7, 8, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1023, 1024, 4095, 65535,
               65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 62, 2 ** 63 - 1, -1, -2,
               -128, -2 ** 31]


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang("case took longer than the alarm")


# ---------------------------------------------------------------------------------------------
# byte mutations

def mutate_bytes(rng, data, n=None):
    b = bytearray(data)
    for _ in range(n or rng.choice((1, 1, 2, 4, 8))):
        if not b:
            b = bytearray(rng.randbytes(rng.randint(1, 64)))
        op = rng.randrange(8)
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice((0, 0xff, 0x7f, 0x80, 1))
        elif op == 2:
            v = rng.choice(INTERESTING)
            fmt = rng.choice(("<i", "<I", "<q", "<Q", "<h", "<H"))
            try:
                w = struct.pack(fmt, v)
            except struct.error:
                w = struct.pack(fmt, 0)
            b[i:i + len(w)] = w
        elif op == 3:
            del b[rng.randrange(len(b)):]
        elif op == 4:
            j = min(len(b), i + rng.randint(1, 256))
            del b[i:j]
        elif op == 5:
            j = min(len(b), i + rng.randint(1, 256))
            b[i:i] = b[i:j] * rng.randint(1, 4)
        elif op == 6:
            b[i:i] = rng.randbytes(rng.randint(1, 32))
        else:
            j = rng.randrange(len(b))
            k = rng.randint(1, 64)
            b[i:i + k] = b[j:j + k]
    return bytes(b)


# ---------------------------------------------------------------------------------------------
# structure-aware mutations

def mutate_pickle_ints(rng, pkl):
    """Replace integer arguments of the pickle (sizes, strides, offsets, storage sizes) with
    interesting values, re-encoded so that the pickle stays well-formed."""
    import pickle
    import pickletools
    try:
        ops = [(op, arg, pos) for op, arg, pos in pickletools.genops(pkl)]
    except Exception:
        return mutate_bytes(rng, pkl)
    ints = [(op, pos) for op, arg, pos in ops
            if op.name in ("BININT", "BININT1", "BININT2", "LONG1", "LONG4", "INT", "LONG")]
    if not ints:
        return mutate_bytes(rng, pkl)
    out = bytearray(pkl)
    for op, pos in sorted(rng.sample(ints, min(len(ints), rng.choice((1, 2, 4)))),
                          key=lambda t: -t[1]):
        nxt = min(p for o, a, p in ops if p > pos)
        v = rng.choice(INTERESTING + [rng.randrange(-3, 10 ** 6)])
        out[pos:nxt] = pickle.dumps(v, protocol=2)[2:-1]
    return bytes(out)


def mutate_pth(rng, data):
    """Mutate the pickle (and sometimes a storage or the zip layout) inside a torch zip."""
    try:
        src = zipfile.ZipFile(io.BytesIO(data))
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    except Exception:
        return mutate_bytes(rng, data)
    buf = io.BytesIO()
    what = rng.randrange(6)
    with zipfile.ZipFile(buf, "w") as dst:
        for info, b in items:
            if info.filename.endswith("data.pkl") and what <= 2:
                b = mutate_pickle_ints(rng, b) if what <= 1 else mutate_bytes(rng, b)
            elif "/data/" in info.filename and what == 3 and rng.random() < 0.3:
                b = b[:rng.randrange(len(b) + 1)] if rng.random() < 0.5 else b + b
            elif what == 4 and rng.random() < 0.1:
                continue    # drop an entry
            if what == 5 and rng.random() < 0.2:
                info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, b)
    return buf.getvalue()


def pth_seeds(rng):
    import numpy as np
    seeds = []
    one = np.arange(6, dtype="<f4").tobytes()
    for wrap in ((), ("state_dict",), ("model", "model_ema")):
        pkl = P.state_dict_pickle([("features.0.0.weight", P.tensor_op("0", 6, (2, 3), (3, 1))),
                                   ("classifier.3.weight", P.tensor_op("0", 6, (3, 2), (1, 3)))],
                                  wrap)
        seeds.append(P.pth_zip(pkl, {"0": one}))
    return seeds


def mutate_onnx(rng, data):
    import onnx
    try:
        m = onnx.load_model_from_string(data)
    except Exception:
        return mutate_bytes(rng, data)
    g = m.graph
    for _ in range(rng.choice((1, 1, 2, 3))):
        what = rng.randrange(10)
        if what == 0 and g.node:       # an attribute value
            nd = rng.choice(g.node)
            if nd.attribute:
                a = rng.choice(nd.attribute)
                if a.ints:
                    a.ints[rng.randrange(len(a.ints))] = rng.choice(INTERESTING)
                elif a.type == onnx.AttributeProto.FLOAT:
                    a.f = rng.choice((0.0, 0.2, 1 / 6, -1.0, 1e30, float("nan")))
                elif a.type == onnx.AttributeProto.INT:
                    a.i = rng.choice(INTERESTING)
                elif a.type == onnx.AttributeProto.STRING:
                    a.s = rng.choice((b"SAME_UPPER", b"SAME_LOWER", b"VALID", b"\xff", b""))
        elif what == 1 and g.initializer:     # dims
            t = rng.choice(g.initializer)
            if t.dims and rng.random() < 0.7:
                t.dims[rng.randrange(len(t.dims))] = rng.choice(INTERESTING)
            else:
                t.dims.append(rng.choice((1, 2, 0)))
        elif what == 2 and g.initializer:     # data type / data
            t = rng.choice(g.initializer)
            if rng.random() < 0.5:
                t.data_type = rng.choice((0, 1, 2, 6, 7, 8, 10, 11, 14, 16, 17, 99))
            else:
                t.raw_data = t.raw_data[:rng.randrange(len(t.raw_data) + 1)]
        elif what == 3 and g.input:           # input shape
            d = g.input[0].type.tensor_type.shape.dim
            if d:
                x = d[rng.randrange(len(d))]
                if rng.random() < 0.3:
                    x.dim_param = "dyn"
                else:
                    x.dim_value = rng.choice(INTERESTING)
        elif what == 4 and g.initializer:     # external data
            t = rng.choice(g.initializer)
            t.data_location = onnx.TensorProto.EXTERNAL
            for k, v in (("location", rng.choice(("x.bin", "../../etc/passwd", "/dev/zero", ""))),
                         ("offset", str(rng.choice(INTERESTING))),
                         ("length", str(rng.choice(INTERESTING)))):
                if rng.random() < 0.8:
                    e = t.external_data.add()
                    e.key, e.value = k, v
        elif what == 5 and len(g.node) > 1:   # drop or duplicate a node
            i = rng.randrange(len(g.node))
            if rng.random() < 0.5:
                del g.node[i]
            else:
                g.node.insert(rng.randrange(len(g.node)), g.node[i])
        elif what == 6 and g.node:            # op type
            nd = rng.choice(g.node)
            nd.op_type = rng.choice(("Conv", "Gemm", "MatMul", "HardSigmoid", "HardSwish", "Relu",
                                     "BatchNormalization", "GlobalAveragePool", "Constant",
                                     "Identity", "Add", "Mul", "Pad"))
        elif what == 7 and g.node:            # rewire an input
            nd = rng.choice(g.node)
            if nd.input:
                names = [i.name for i in g.initializer] + [o for n in g.node for o in n.output]
                nd.input[rng.randrange(len(nd.input))] = rng.choice(names + [""])
        elif what == 8 and g.node:            # attributes added
            from onnx import helper
            nd = rng.choice(g.node)
            name, val = rng.choice((("group", rng.choice(INTERESTING)),
                                    ("strides", [rng.choice((1, 2, 3)), rng.choice((1, 2))]),
                                    ("pads", [rng.choice((0, 1, 2))] * 3),
                                    ("dilations", [2, 2]), ("alpha", 0.2), ("transB", 0),
                                    ("epsilon", 1e-3), ("auto_pad", "SAME_UPPER")))
            nd.attribute.append(helper.make_attribute(name, val))
        else:
            return mutate_bytes(rng, m.SerializeToString(), 2)
    return m.SerializeToString()


def mutate_tflite(rng, data):
    b = bytearray(data)
    if rng.random() < 0.5 or len(b) < 64:
        return mutate_bytes(rng, data)
    # flatbuffer offsets/lengths are 32-bit words: hit aligned words near the start (tables,
    # vtables and vectors headers live there; weights are in the buffers at the end)
    for _ in range(rng.choice((1, 2, 3))):
        i = rng.randrange(0, min(len(b), 4096) - 4) & ~3
        v = rng.choice(INTERESTING + [struct.unpack_from("<i", b, i)[0] + rng.choice((-4, 4, 8))])
        struct.pack_into("<I", b, i, v & 0xffffffff)
    return bytes(b)


# ---------------------------------------------------------------------------------------------

def load_seeds(formats, real=False):
    seeds = {}
    fx = M.FIXTURES
    if "pth" in formats:
        seeds["pth"] = [open(os.path.join(fx, "small-sym-f16.pth"), "rb").read()]
        seeds["pth"] += pth_seeds(random.Random(0))
    if "onnx" in formats:
        try:
            import onnx  # noqa: F401 (only to know it is installed)
            seeds["onnx"] = [open(os.path.join(fx, "small-sym-f16.onnx"), "rb").read()]
        except ImportError:
            print("note: python3-onnx absent, no .onnx cases")
    if "tflite" in formats:
        import importlib.util
        spec = importlib.util.spec_from_file_location("make_tflite",
                                                      os.path.join(HERE, "make-tflite.py"))
        mt = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mt)
        seeds["tflite"] = [mt.build("small", 0.2, 7, 64, seed=1)[0],
                           mt.build("large-minimalistic", 0.2, 5, 48, seed=2)[0],
                           mt.build("small", 0.2, 3, 32, seed=3, input_shape=[1, 32, -1, 3])[0]]
        if real:    # the shared data's uint8 files: the activation-quantization reader too
            root = os.environ.get("MNV3_SHARED_DATA") or os.environ.get("MNV3_SHARED_DATA_DEFAULT")
            d = os.path.join(root or "/nonexistent", "mobilenet_v3", "models")
            for f in ("v3-small_224_1.0_uint8.tflite", "v3-large-minimalistic_224_1.0_uint8.tflite"):
                if os.path.exists(os.path.join(d, f)):
                    seeds["tflite"].append(open(os.path.join(d, f), "rb").read())
                    print("seed: %s" % f)
    return seeds


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exe", nargs="?", help="ignored (meson passes the mnv3 CLI)")
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save", metavar="DIR")
    ap.add_argument("--formats", default="pth,onnx,tflite")
    ap.add_argument("--real-seeds", action="store_true",
                    help="also mutate the shared data's uint8 .tflite files (not committed)")
    args = ap.parse_args()
    M.need_numpy()
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    import convert
    from mnv3format import FormatError
    seeds = load_seeds(args.formats.split(","), args.real_seeds)
    mutators = {"pth": lambda r, d: (mutate_pth if r.random() < 0.6 else mutate_bytes)(r, d),
                "onnx": lambda r, d: (mutate_onnx if r.random() < 0.7 else mutate_bytes)(r, d),
                "tflite": mutate_tflite}
    ext = {"pth": ".pth", "onnx": ".onnx", "tflite": ".tflite"}
    rng = random.Random(args.seed)
    signal.signal(signal.SIGALRM, _alarm)
    stats = {f: [0, 0, 0] for f in seeds}    # cases, refused, converted
    findings = {}
    t0 = time.monotonic()
    n = 0
    with tempfile.TemporaryDirectory(prefix="mnv3-fuzz-") as tmp:
        ext_dir = os.path.join(tmp, "ext")
        os.mkdir(ext_dir)
        with open(os.path.join(ext_dir, "x.bin"), "wb") as f:
            f.write(bytes(4096))
        out = os.path.join(tmp, "out", "model.safetensors")
        os.mkdir(os.path.dirname(out))
        while n < args.cases and time.monotonic() - t0 < args.seconds:
            fmt = rng.choice(sorted(seeds))
            data = rng.choice(seeds[fmt])
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                data = mutators[fmt](rng, data)
            path = os.path.join(tmp, "case" + ext[fmt])
            with open(path, "wb") as f:
                f.write(data)
            opts = {}
            if rng.random() < 0.3:
                opts["external_data_dir"] = ext_dir if fmt == "onnx" else None
            if rng.random() < 0.2:
                opts["padding"] = rng.choice(("symmetric", "tf-same"))
            if rng.random() < 0.2:
                opts["input_size"] = rng.choice((16, 96, 224, 2048))
            if rng.random() < 0.1:
                opts["no_labels"] = True
            n += 1
            stats[fmt][0] += 1
            signal.alarm(10)
            try:
                convert.convert(path, out, **opts)
                stats[fmt][2] += 1
            except FormatError:
                stats[fmt][1] += 1
            except BaseException as e:   # noqa: B902 (everything else is a finding)
                if isinstance(e, KeyboardInterrupt):
                    raise
                tb = traceback.extract_tb(e.__traceback__)
                where = "%s:%d" % (os.path.basename(tb[-1].filename), tb[-1].lineno) if tb else "?"
                key = (fmt, type(e).__name__, where)
                if key not in findings:
                    findings[key] = (str(e).splitlines()[0][:200] if str(e) else "", data)
                    print("FINDING %s %s at %s: %s" % (fmt, type(e).__name__, where,
                                                       findings[key][0]))
                    traceback.print_exc(limit=-4, file=sys.stdout)
            finally:
                signal.alarm(0)
            for f in os.listdir(os.path.dirname(out)):
                os.unlink(os.path.join(os.path.dirname(out), f))
    secs = time.monotonic() - t0
    for fmt, (c, r, ok) in sorted(stats.items()):
        print("%-7s %6d cases  %6d refused  %5d converted" % (fmt, c, r, ok))
    print("%d cases in %.1f s (seed %d): %d tracebacks (distinct type/location)"
          % (n, secs, args.seed, len(findings)))
    if args.save and findings:
        os.makedirs(args.save, exist_ok=True)
        for i, ((fmt, typ, where), (msg, data)) in enumerate(sorted(findings.items())):
            p = os.path.join(args.save, "finding-%d-%s-%s%s" % (i, typ, where.replace(":", "-"),
                                                                  ext[fmt]))
            with open(p, "wb") as f:
                f.write(data)
            print("saved %s" % p)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
