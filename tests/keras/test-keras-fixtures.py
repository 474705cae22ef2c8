#!/usr/bin/python3
# mnv3classify: tests/keras/test-keras-fixtures.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Converts the committed Keras fixtures (made by models/keras-goldens.py with TensorFlow) and
compares the mnv3 CLI's outputs with Keras' own (goldens.json). No TensorFlow needed.

Per fixture: convert.py (metadata checked: arch, hard sigmoid, padding, channels), then on the
5 inputs of make_inputs: logits max |ours - Keras| <= 1e-4 max |Keras| + 1e-5 and top-1 equal,
pre-logits (input 0) and pooled embedding within the same bound and cosine >= 0.99999.
Then: the Keras 2 hard sigmoid matters (the document's model with mnv3.hard_sigmoid switched to
relu6 misses the goldens), refusals (an unknown layer, a non-MobileNetV3 file, a conflicting
--hard-sigmoid) name the layer in one line, an embedding-only model refuses classify.

usage: test-keras-fixtures.py MNV3
"""

import gzip
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("MNV3_SOURCE_ROOT", os.path.join(HERE, "..", ".."))
CONVERT = os.path.join(SOURCE_ROOT, "models", "convert.py")
FIX = os.path.join(HERE, "fixtures")
SKIP = 77

try:
    import numpy as np
    import h5py
except ImportError as e:
    print("SKIP: %s (python3-numpy and python3-h5py are in scripts/debian-packages.txt)" % e)
    sys.exit(SKIP)

sys.path.insert(0, os.path.join(SOURCE_ROOT, "models"))
import mnv3format as F  # noqa: E402

spec = importlib.util.spec_from_file_location(
    "keras_goldens", os.path.join(SOURCE_ROOT, "models", "keras-goldens.py"))
KG = importlib.util.module_from_spec(spec)
spec.loader.exec_module(KG)

failures = []


def fail(msg):
    print("FAIL: " + msg)
    failures.append(msg)


def convert(src, dst, args=(), expect_ok=True):
    r = subprocess.run([sys.executable, CONVERT, src, "-o", dst, "-q"] + list(args),
                       capture_output=True, text=True)
    if expect_ok and r.returncode:
        raise SystemExit("FAIL: convert.py %s: %s" % (src, r.stderr.strip()))
    return r


def run(mnv3, *args):
    r = subprocess.run([mnv3] + list(args), capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("FAIL: mnv3 %s: %s" % (" ".join(args), r.stderr.strip()))
    return np.array([[float(v) for v in l.split()] for l in r.stdout.splitlines()])


def within(name, ours, ref, what):
    ref = np.asarray(ref, dtype=np.float64)
    if ours.shape != ref.shape:
        fail("%s %s: shape %s, Keras %s" % (name, what, ours.shape, ref.shape))
        return False
    err = float(np.max(np.abs(ours - ref)))
    tol = 1e-4 * float(np.max(np.abs(ref))) + 1e-5
    ok = err <= tol
    print("%s %s: max |ours - Keras| %.3g (tolerance %.3g)%s"
          % (name, what, err, tol, "" if ok else "  <-- FAIL"))
    if not ok:
        fail("%s %s: max error %.3g > %.3g" % (name, what, err, tol))
    return ok


def unpack(fixture, wd):
    src = os.path.join(FIX, fixture)
    if fixture.endswith(".gz"):
        dst = os.path.join(wd, fixture[:-3])
        with gzip.open(src, "rb") as f, open(dst, "wb") as g:
            shutil.copyfileobj(f, g)
        return dst
    dst = os.path.join(wd, fixture)
    shutil.copy(src, dst)
    return dst


def check_fixture(mnv3, rec, wd):
    name = rec["file"]
    path = unpack(name, wd)
    st = os.path.join(wd, name + ".safetensors")
    convert(path, st, rec["convert_args"])
    _, meta = F.read_safetensors(st)[:2]
    arch = rec["arch"] + ("-minimalistic" if rec["minimalistic"] else "")
    want = {"mnv3.arch": arch, "mnv3.padding": "tf-same", "mnv3.input_size": str(rec["size"]),
            "mnv3.hard_sigmoid": rec["hard_sigmoid"] if not rec["minimalistic"] else
            meta.get("mnv3.hard_sigmoid")}
    if rec["include_top"]:
        want["mnv3.num_classes"] = str(rec["classes"])
    for k, v in want.items():
        if meta.get(k) != v:
            fail("%s: metadata %s = %r, expected %r" % (name, k, meta.get(k), v))
    if rec["include_top"] is False and "mnv3.num_classes" in meta:
        fail("%s: include_top=False model records classes" % name)
    x = KG.make_inputs(rec["n_inputs"], rec["size"], rec["seed"])
    f32 = os.path.join(wd, name + ".f32")
    with open(f32, "wb") as f:
        f.write(np.ascontiguousarray(x, dtype="<f4").tobytes())
    emb = run(mnv3, "embed", st, f32)
    within(name, emb, rec["embedding"], "embedding")
    ref = np.asarray(rec["embedding"])
    cos = float(np.min(np.sum(emb * ref, 1) / (np.linalg.norm(emb, axis=1) *
                                                np.linalg.norm(ref, axis=1))))
    print("%s embedding: min cosine %.8f" % (name, cos))
    if not cos >= 0.99999:
        fail("%s: embedding cosine %.8f < 0.99999" % (name, cos))
    l2 = run(mnv3, "embed", st, f32, "--l2")
    if not np.allclose(np.linalg.norm(l2, axis=1), 1.0, atol=1e-5):
        fail("%s: --l2 vectors are not unit length" % name)
    if rec["include_top"]:
        lo = run(mnv3, "classify", st, f32, "--logits")
        within(name, lo, rec["logits"], "logits")
        if not np.array_equal(np.argmax(lo, 1), np.argmax(np.asarray(rec["logits"]), 1)):
            fail("%s: top-1 differs from Keras" % name)
        pre = run(mnv3, "embed", st, f32, "--pre-logits")
        within(name, pre[:1], rec["pre_logits"], "pre-logits")
    else:
        r = subprocess.run([mnv3, "classify", st, f32], capture_output=True, text=True)
        if r.returncode != 1 or "embedding-only" not in r.stderr:
            fail("%s: classify on an embedding-only model: rc %d, %r"
                 % (name, r.returncode, r.stderr))
    return path, st, x, f32


def refusal(src, wd, args, needle, what):
    r = convert(src, os.path.join(wd, "refused.safetensors"), args, expect_ok=False)
    err = r.stderr.strip()
    ok = r.returncode == 1 and needle in err and len(err.splitlines()) == 1
    print("%s: %s" % (what, err))
    if not ok:
        fail("%s: rc %d, expected one line naming %r, got %r" % (what, r.returncode, needle, err))


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    mnv3 = sys.argv[1]
    with open(os.path.join(FIX, "goldens.json")) as f:
        goldens = json.load(f)
    with tempfile.TemporaryDirectory() as wd:
        done = {}
        for rec in goldens["fixtures"]:
            done[rec["model"], rec["save"]] = (rec,) + check_fixture(mnv3, rec, wd)

        # The hard sigmoid matters: the document's model computed with relu6 (x + 3) / 6 instead
        # of Keras 2's clip (0.2 x + 0.5, 0, 1) is far from Keras.
        rec, path, st, x, f32 = done["document", "h5"]
        tensors, meta = F.read_safetensors(st)[:2]
        meta = dict(meta, **{"mnv3.hard_sigmoid": "relu6"})
        wrong = os.path.join(wd, "relu6.safetensors")
        F.write_safetensors(wrong, tensors, meta)
        lo = run(mnv3, "classify", wrong, f32, "--logits")
        err = float(np.max(np.abs(lo - np.asarray(rec["logits"]))))
        print("document model with relu6 h-sigmoid instead of keras2: max error %.3g" % err)
        if err < 1e-2 * float(np.max(np.abs(np.asarray(rec["logits"])))):
            fail("the hard-sigmoid kind does not change the document model's logits")

        # Every kernel set the CPU has, one and two threads, computes the keras2 model.
        for ks in ("ref", "avx2", "avx512"):
            for th in ("1", "2"):
                r = subprocess.run([mnv3, "classify", st, f32, "--logits", "--kernels", ks,
                                    "--threads", th], capture_output=True, text=True)
                if r.returncode and "not supported by this CPU" in r.stderr:
                    print("kernels %s: not on this CPU" % ks)
                    break
                if r.returncode:
                    fail("kernels %s: %s" % (ks, r.stderr.strip()))
                    break
                lo = np.array([[float(v) for v in l.split()] for l in r.stdout.splitlines()])
                within(rec["file"], lo, rec["logits"], "logits, kernels %s, %s thread(s)"
                       % (ks, th))

        # Bad metadata values are refused by the loader with one line naming the key.
        # keras.applications' channels (mnv3.channels) that do not fit the tensors: the loader
        # names the first tensor that disagrees.
        st3 = done["keras.applications", "keras"][2]
        t3, m3 = F.read_safetensors(st3)[:2]
        ch = m3["mnv3.channels"].split(",")
        for key, val, needle, t, m in (
                ("mnv3.hard_sigmoid", "keras3", "mnv3.hard_sigmoid", tensors, meta),
                ("mnv3.channels", "16,16", "mnv3.channels", tensors, meta),
                ("mnv3.channels", ",".join(["x"] + ch[1:]), "mnv3.channels", t3, m3),
                ("mnv3.channels", ",".join(ch[:1] + ["%d" % (int(ch[1]) + 8)] + ch[2:]),
                 "features.1.block.0.0.weight", t3, m3)):
            badm = os.path.join(wd, "badmeta.safetensors")
            F.write_safetensors(badm, t, dict(m, **{key: val}))
            r = subprocess.run([mnv3, "info", badm], capture_output=True, text=True)
            print("%s=%r: %s" % (key, val, r.stderr.strip()))
            if r.returncode != 1 or needle not in r.stderr or len(r.stderr.splitlines()) != 1:
                fail("metadata %s=%r: rc %d, %r" % (key, val, r.returncode, r.stderr))

        # A conflicting --hard-sigmoid on a whole model is refused.
        refusal(path, wd, ["--hard-sigmoid", "relu6"], "keras2", "conflicting --hard-sigmoid")

        # An unknown layer in a whole model: refused, naming it.
        bad = os.path.join(wd, "unknown-layer.h5")
        shutil.copy(path, bad)
        with h5py.File(bad, "r+") as f:
            cfg = json.loads(f.attrs["model_config"])
            cfg["config"]["layers"].insert(3, {"class_name": "LayerNormalization",
                                               "name": "my_layer_norm", "config": {},
                                               "inbound_nodes": []})
            f.attrs["model_config"] = json.dumps(cfg)
        refusal(bad, wd, [], "my_layer_norm", "unknown layer")

        # Symmetric padding before a stride-2 depthwise conv is not what tf-same computes.
        bad = os.path.join(wd, "symmetric-pad.h5")
        shutil.copy(path, bad)
        with h5py.File(bad, "r+") as f:
            cfg = json.loads(f.attrs["model_config"])
            for lc in cfg["config"]["layers"]:
                if lc["name"] == "expanded_conv_1/depthwise/pad":
                    lc["config"]["padding"] = [[2, 2], [2, 2]]
            f.attrs["model_config"] = json.dumps(cfg)
        refusal(bad, wd, [], "expanded_conv_1/depthwise/pad", "symmetric padding")

        # Not a MobileNetV3 (weights-only file of some other network): refused, naming a layer.
        other = os.path.join(wd, "other.h5")
        with h5py.File(other, "w") as f:
            f.attrs["layer_names"] = [b"dense_7"]
            f.attrs["keras_version"] = b"2.15.0"
            g = f.create_group("dense_7")
            g.attrs["weight_names"] = [b"dense_7/kernel:0"]
            g.create_dataset("dense_7/kernel:0", data=np.zeros((4, 4), np.float32))
        refusal(other, wd, [], "dense_7", "not a MobileNetV3")

        # A .keras file whose config has an unknown layer.
        rec3 = done["keras.applications", "keras"][0]
        src = os.path.join(FIX, rec3["file"])
        import zipfile
        bad3 = os.path.join(wd, "bad.keras")
        with zipfile.ZipFile(src) as z, zipfile.ZipFile(bad3, "w") as o:
            for n in z.namelist():
                data = z.read(n)
                if n == "config.json":
                    cfg = json.loads(data)
                    cfg["config"]["layers"].insert(2, {"module": "keras.layers",
                                                       "class_name": "Conv3D",
                                                       "name": "strange_conv3d", "config": {},
                                                       "inbound_nodes": []})
                    data = json.dumps(cfg).encode()
                o.writestr(n, data)
        refusal(bad3, wd, [], "strange_conv3d", "unknown layer in .keras")

        # Damaged files (truncated, bytes changed): exit 0 or 1 with at most one line, never a
        # traceback or a crash (libhdf5 can crash on some: the reader runs in a child process).
        import random
        rnd = random.Random(1)
        mini = done["keras.applications", "weights"][1]
        for src in (mini, os.path.join(FIX, rec3["file"])):
            data = open(src, "rb").read()
            for i in range(8):
                d = bytearray(data)
                if i % 3 == 0:
                    d = d[:rnd.randrange(len(d))]
                else:
                    for _ in range(rnd.choice([1, 10, 100])):
                        d[rnd.randrange(len(d))] = rnd.randrange(256)
                fz = os.path.join(wd, "damaged" + os.path.splitext(src)[1])
                with open(fz, "wb") as f:
                    f.write(bytes(d))
                r = convert(fz, os.path.join(wd, "damaged.safetensors"),
                            ["--input-size", "64"], expect_ok=False)
                if r.returncode not in (0, 1) or len(r.stderr.strip().splitlines()) > 1 or \
                        "Traceback" in r.stderr:
                    fail("damaged %s #%d: rc %d, %r" % (os.path.basename(src), i, r.returncode,
                                                         r.stderr[-300:]))
        print("damaged files: refused with one line or converted")

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
