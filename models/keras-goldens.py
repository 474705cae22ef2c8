#!/usr/bin/env python3
# mnv3classify: models/keras-goldens.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Proof of the Keras converter against TensorFlow itself (reference tool, not the product).

Runs in the virtual environment models/keras-goldens.sh creates (pinned tensorflow-cpu, keras 3,
tf-keras for Keras 2). Builds
- the design document's own mobilenet_v3_large, executed from ../shared/seed (its section 5,
  run as written on Keras 2 = tf-keras, whose Activation('hard_sigmoid') is clip(0.2x+0.5, 0, 1);
  Keras 3 refuses its '/' layer names), and a Small built with the document's functions;
- keras.applications.MobileNetV3Large / Small on Keras 3 and on Keras 2 (tf-keras),
with random weights and non-trivial BatchNorm statistics, saves them (.h5 whole model, .h5
weights only, .keras), converts them with models/convert.py and compares the mnv3 CLI's logits
and embeddings with Keras' outputs.

  keras-goldens.py fixtures OUTDIR          small fixtures + goldens.json for tests/keras
  keras-goldens.py compare --mnv3 PATH      the acceptance table (alpha 0.75 and 1.0)

Inputs are network inputs x in [-1, 1] (after the model's normalization), made by an integer
hash (make_inputs), so a test regenerates them exactly without storing them; a model with a
Rescaling layer gets the pixels v = (x + 1) * 127.5.
"""

import argparse
import gzip
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
SEED_DIR = os.path.join(TOP, "..", "shared", "seed")
CONVERT = os.path.join(HERE, "convert.py")


def make_inputs(n, size, seed):
    """n x size x size x 3 float32 in [-1, 1) from an integer hash: identical everywhere."""
    i = np.arange(n * size * size * 3, dtype=np.uint64)
    v = (i * np.uint64(2654435761) + np.uint64(seed * 40503 + 12345)) & np.uint64(0xFFFFFFFF)
    v ^= v >> np.uint64(15)
    v = (v * np.uint64(2246822519)) & np.uint64(0xFFFFFFFF)
    v ^= v >> np.uint64(13)
    x = (v >> np.uint64(8)).astype(np.float64) / 16777216.0 * 2.0 - 1.0
    return x.astype(np.float32).reshape(n, size, size, 3)


# ---------------------------------------------------------------------------------------------
# Keras builders (imports inside: the test side imports make_inputs only)

def _keras2():
    import tf_keras
    return tf_keras


def _keras3():
    import keras
    return keras


_DOC = None


def doc_namespace():
    """The document's section 5 code, extracted from ../shared/seed and executed on Keras 2."""
    global _DOC
    if _DOC is not None:
        return _DOC
    import glob
    k2 = _keras2()
    path = sorted(glob.glob(os.path.join(SEED_DIR, "0*.txt")))[0]
    text = open(path, encoding="utf-8").read()
    start = text.index("import tensorflow as tf")
    end = text.index("model=mobilenet_v3_large()")
    lines = [l for l in text[start:end].splitlines() if not re.match(r"^5\.\d+\s", l)]
    code = "\n".join(lines)
    # Run it as written, on Keras 2: 'tensorflow.keras' is tf-keras (as in TensorFlow <= 2.15).
    import tensorflow as tf
    sys.modules["tensorflow.keras"] = k2
    sys.modules["tensorflow.keras.layers"] = k2.layers
    sys.modules["tensorflow.keras.models"] = k2.models
    tf.keras = k2
    ns = {}
    exec(compile(code, path + " (section 5)", "exec"), ns)
    _DOC = ns
    return ns


def doc_large(alpha, include_top, classes, size):
    ns = doc_namespace()
    return ns["mobilenet_v3_large"](input_shape=(size, size, 3), num_class=classes, alpha=alpha,
                                    include_top=include_top)


def doc_small(alpha, include_top, classes, size):
    """MobileNetV3-Small (paper Table 2) from the document's own building blocks."""
    ns = doc_namespace()
    layers, md = ns["layers"], ns["_make_divisible"]
    hs, block = ns["hard_swish"], ns["_inverted_res_block"]
    inp = layers.Input(shape=(size, size, 3))
    x = layers.Conv2D(16, 3, strides=(2, 2), padding="same", use_bias=False, name="Conv")(inp)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="Conv/BatchNorm")(x)
    x = hs(x)
    table = [(16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2),
             (24, 3, 88, 24, False, "RE", 1), (24, 5, 96, 40, True, "HS", 2),
             (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
             (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1),
             (48, 5, 288, 96, True, "HS", 2), (96, 5, 576, 96, True, "HS", 1),
             (96, 5, 576, 96, True, "HS", 1)]
    for i, (cin, k, e, o, se, act, s) in enumerate(table):
        x = block(x, cin, k, e, o, se, act, s, i, alpha)
    last_c, last_point_c = md(96 * 6 * alpha), md(1024 * alpha)
    x = layers.Conv2D(last_c, 1, padding="same", use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(epsilon=1e-3, momentum=0.999, name="Conv_1/BatchNorm")(x)
    x = hs(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Reshape((1, 1, last_c))(x)
        x = layers.Conv2D(last_point_c, 1, padding="same", name="Conv_2")(x)
        x = hs(x)
        x = layers.Conv2D(classes, 1, padding="same", name="Logits/Conv2d_1c_1x1")(x)
        x = layers.Flatten()(x)
        x = layers.Softmax(name="Predictions")(x)
    return ns["Model"](inp, x, name="MobileNetV3-Small")


def app(kv, arch, alpha, minimalistic, include_top, preprocessing, classes, size):
    k = _keras2() if kv == 2 else _keras3()
    fn = k.applications.MobileNetV3Large if arch == "large" else k.applications.MobileNetV3Small
    return fn(input_shape=(size, size, 3), alpha=alpha, minimalistic=minimalistic,
              include_top=include_top, weights=None, classes=classes, dropout_rate=0.2,
              classifier_activation=None, include_preprocessing=preprocessing)


def randomize(model, seed, density=1.0):
    """Random weights (He-scaled) and BatchNorm statistics far from identity, every value a
    float16 (so a float16 fixture stores them exactly). density < 1 keeps that fraction of the
    kernel weights (scaled up to the same variance), the rest 0: fixtures that compress."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        ws = layer.get_weights()
        if not ws:
            continue
        cls = type(layer).__name__
        out = []
        if cls == "BatchNormalization":
            names = [w.name.split("/")[-1].split(":")[0] for w in layer.weights]
            for n, w in zip(names, ws):
                if n == "gamma":
                    v = rng.uniform(0.5, 1.5, w.shape)
                elif n == "beta":
                    v = rng.normal(0, 0.2, w.shape)
                elif n == "moving_mean":
                    v = rng.normal(0, 0.2, w.shape)
                else:
                    v = rng.uniform(0.5, 2.0, w.shape)
                out.append(v)
        else:
            for w in ws:
                if w.ndim == 4:
                    fan_in = w.shape[0] * w.shape[1] * (1 if cls == "DepthwiseConv2D" else
                                                        w.shape[2])
                    v = rng.normal(0, math.sqrt(2.0 / fan_in / density), w.shape)
                    if density < 1:
                        v *= rng.random(w.shape) < density
                    out.append(v)
                else:
                    out.append(rng.normal(0, 0.1, w.shape))
        layer.set_weights([np.float16(v).astype(np.float32) for v in out])


def copy_weights(src, dst):
    by_name = {l.name: l for l in src.layers if l.get_weights()}
    for l in dst.layers:
        if l.get_weights():
            l.set_weights(by_name[l.name].get_weights())


def find_layer(model, *names):
    for l in model.layers:
        if l.name in names:
            return l
    raise KeyError(names)


def keras_outputs(model, x, hard_sigmoid, has_rescaling, include_top):
    """Logits, pooled embedding and pre-logits (numpy) of @model on network inputs @x."""
    feed = (x.astype(np.float64) + 1.0) * 127.5 if has_rescaling else x
    feed = feed.astype(np.float32)
    k = sys.modules[type(model).__module__.split(".")[0]]
    res = {}
    if include_top:
        # Pre-logits: the Logits conv's input (Conv_2 after its activation; dropout is the
        # identity at inference).
        logit_layer = find_layer(model, "Logits", "logits", "Logits/Conv2d_1c_1x1")
        sub = k.Model(model.inputs, [logit_layer.output, logit_layer.input])
        lo, pre = sub.predict(feed, verbose=0)
        res["logits"] = lo.reshape(len(x), -1)
        res["pre_logits"] = pre.reshape(len(x), -1).astype(np.float64)
    return res, feed


def embedding_model_outputs(model_nt, feed):
    out = model_nt.predict(feed, verbose=0)
    return out.astype(np.float64).mean(axis=(1, 2))


def save(model, path, how):
    if how == "weights":
        model.save_weights(path)
    else:
        model.save(path)


def convert(path, out, extra=()):
    r = subprocess.run(["/usr/bin/python3", CONVERT, path, "-o", out, "-q"] + list(extra),
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("convert.py %s: %s" % (path, r.stderr.strip()))


def run_mnv3(mnv3, model, x, what):
    with tempfile.NamedTemporaryFile(suffix=".f32") as f:
        f.write(np.ascontiguousarray(x, dtype="<f4").tobytes())
        f.flush()
        if what == "logits":
            cmd = [mnv3, "classify", model, f.name, "--logits"]
        elif what == "pre_logits":
            cmd = [mnv3, "embed", model, f.name, "--pre-logits"]
        else:
            cmd = [mnv3, "embed", model, f.name]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
        return np.array([[float(v) for v in l.split()] for l in r.stdout.splitlines()])


def compare(ours, ref):
    err = float(np.max(np.abs(ours - ref)))
    scale = float(np.max(np.abs(ref)))
    tol = 1e-4 * scale + 1e-5
    top1 = bool(np.all(np.argmax(ours, 1) == np.argmax(ref, 1)))
    return err, tol, top1


def cosine(a, b):
    return float(np.min(np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) *
                                              np.linalg.norm(b, axis=1))))


# ---------------------------------------------------------------------------------------------

CASE_KEYS = ("model", "keras", "arch", "alpha", "minimalistic", "include_top", "preprocessing",
             "save")


def build(case, size, classes):
    """(model with top or not, model without top, hard_sigmoid kind, has_rescaling)."""
    m = case["model"]
    if m == "document":
        fn = doc_large if case["arch"] == "large" else doc_small
        mt = fn(case["alpha"], True, classes, size)
        mn = fn(case["alpha"], False, classes, size)
        return mt, mn, "keras2", False
    mt = app(case["keras"], case["arch"], case["alpha"], case["minimalistic"], True,
             case["preprocessing"], classes, size)
    mn = app(case["keras"], case["arch"], case["alpha"], case["minimalistic"], False,
             case["preprocessing"], classes, size)
    return mt, mn, "relu6", case["preprocessing"]


def run_case(case, size, classes, n_inputs, seed, workdir, mnv3=None, keep=None, density=1.0):
    """Builds, saves, converts (when mnv3 is given: runs and compares). Returns a record."""
    mt, mn, hs, resc = build(case, size, classes)
    randomize(mt, seed, density)
    copy_weights(mt, mn)
    x = make_inputs(n_inputs, size, seed)
    res, feed = keras_outputs(mt, x, hs, resc, True)
    res["embedding"] = embedding_model_outputs(mn, feed)
    target = mt if case["include_top"] else mn
    ext = ".keras" if case["save"] == "keras" else ".h5"
    name = keep or os.path.join(workdir, "model" + ext)
    save(target, name, case["save"])
    rec = dict(case, hard_sigmoid=hs, size=size, classes=classes, n_inputs=n_inputs, seed=seed,
               file=os.path.basename(name), params=int(target.count_params()))
    if case["include_top"]:
        rec["logits"] = res["logits"].tolist()
        rec["pre_logits"] = res["pre_logits"].tolist()
    rec["embedding"] = res["embedding"].tolist()
    rec["convert_args"] = (["--hard-sigmoid", hs] if case["save"] == "weights"
                           and case["model"] == "document" and hs != "keras2" else [])
    if case["save"] == "weights":
        rec["convert_args"] += ["--input-size", str(size)]
    if mnv3:
        st = os.path.join(workdir, "model.safetensors")
        convert(name, st, rec["convert_args"])
        rec["results"] = check(mnv3, st, rec, x)
    return rec


def check(mnv3, st, rec, x):
    out = {}
    if rec["include_top"]:
        ours = run_mnv3(mnv3, st, x, "logits")
        out["logits"] = compare(ours, np.array(rec["logits"]))
        ours = run_mnv3(mnv3, st, x, "pre_logits")
        out["pre_logits"] = compare(ours, np.array(rec["pre_logits"]))
    ours = run_mnv3(mnv3, st, x, "embedding")
    out["embedding"] = compare(ours, np.array(rec["embedding"])) + \
        (cosine(ours, np.array(rec["embedding"])),)
    return out


def acceptance(args):
    cases = []
    for alpha in (0.75, 1.0):
        for top in (True, False):
            for arch in ("large", "small"):
                cases.append(dict(model="document", keras=2, arch=arch, alpha=alpha,
                                  minimalistic=False, include_top=top, preprocessing=False,
                                  save="h5"))
                for mini in (False, True):
                    for kv, save_as in ((3, "keras"), (2, "h5")):
                        cases.append(dict(model="keras.applications", keras=kv, arch=arch,
                                          alpha=alpha, minimalistic=mini, include_top=top,
                                          preprocessing=(kv == 3), save=save_as))
    if args.quick:
        cases = cases[:args.quick]
    print("| model | Keras | arch | alpha | minimalistic | include_top | file | hard-sigmoid | "
          "max abs err (logits) | tolerance | top-1 equal | embedding cosine (min of 5) | ok |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    bad = 0
    with tempfile.TemporaryDirectory() as wd:
        for i, case in enumerate(cases):
            rec = run_case(case, args.size, 1000, 5, 1000 + i, wd, args.mnv3)
            r = rec["results"]
            ok = r["embedding"][3] >= 0.99999
            if "logits" in r:
                e, t, top1 = r["logits"]
                ok = ok and e <= t and top1 and r["pre_logits"][0] <= r["pre_logits"][1]
                lo = "%.3g | %.3g | %s" % (e, t, "yes" if top1 else "NO")
            else:
                lo = "- | - | -"
            bad += not ok
            print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %.7f | %s |"
                  % (case["model"], case["keras"], case["arch"], case["alpha"],
                     "yes" if case["minimalistic"] else "no",
                     "yes" if case["include_top"] else "no", rec["file"].split(".")[-1],
                     rec["hard_sigmoid"], lo, r["embedding"][3], "ok" if ok else "FAIL"),
                  flush=True)
    print("%d of %d cases failed" % (bad, len(cases)))
    return 1 if bad else 0


# The committed fixtures: one per file kind / naming / hard-sigmoid / top, at the smallest widths
# each builder accepts (the document's code needs make_divisible (16 alpha) == 16, alpha >= 0.5625).
# The document's Large shares every naming quirk with its Small (same block function) and is
# in the acceptance table; the fixtures keep the smaller one. HDF5 fixtures are stored gzipped
# (the test unpacks them): most of an .h5 of a small model is HDF5 structure.
FIXTURES = [
    ("doc-small-k2-top.h5", dict(model="document", keras=2, arch="small", alpha=0.6,
                                minimalistic=False, include_top=True, preprocessing=False,
                                save="h5"), 5),

    ("app-small-k3-top.keras", dict(model="keras.applications", keras=3, arch="small", alpha=0.1,
                                    minimalistic=False, include_top=True, preprocessing=True,
                                    save="keras"), 5),
    ("app-large-k2-mini-notop-weights.h5", dict(model="keras.applications", keras=2,
                                                arch="large", alpha=0.1, minimalistic=True,
                                                include_top=False, preprocessing=False,
                                                save="weights"), 5),
]


def f16_h5(path):
    """Rewrites every float32 dataset of an HDF5 file as float16 (the values are float16 already,
    see randomize): a smaller fixture with the same numbers (then compressed whole)."""
    import h5py
    tmp = path + ".tmp"
    # v108..v110: compact groups, readable by Debian 12's HDF5 1.10 (python3-h5py) too.
    with h5py.File(path, "r") as src, h5py.File(tmp, "w", libver=("v108", "v110")) as dst:
        def copy(s, d):
            for k, v in s.attrs.items():
                d.attrs[k] = v
            for name, obj in s.items():
                if isinstance(obj, h5py.Dataset):
                    data = obj[()]
                    if data.dtype == np.float32 and data.size > 1:
                        assert np.array_equal(data.astype(np.float16).astype(np.float32), data)
                        data = data.astype(np.float16)
                    ds = d.create_dataset(name, data=data)
                    for k, v in obj.attrs.items():
                        ds.attrs[k] = v
                else:
                    copy(obj, d.create_group(name))
        copy(src, dst)
    os.replace(tmp, path)


def f16_keras(path):
    """f16_h5 on the model.weights.h5 inside a .keras zip; the zip deflated."""
    import shutil
    import zipfile
    with tempfile.TemporaryDirectory() as wd:
        with zipfile.ZipFile(path) as z:
            z.extractall(wd)
            names = z.namelist()
        f16_h5(os.path.join(wd, "model.weights.h5"))
        with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED) as z:
            for n in names:
                z.write(os.path.join(wd, n), n)
    shutil.move(path + ".tmp", path)


def fixtures(args):
    os.makedirs(args.outdir, exist_ok=True)
    recs = []
    with tempfile.TemporaryDirectory() as wd:
        for i, (fname, case, classes) in enumerate(FIXTURES):
            path = os.path.join(args.outdir, fname)
            rec = run_case(case, args.size, classes, 5, 7 + i, wd, None, keep=path,
                           density=args.density)
            if path.endswith(".h5"):
                f16_h5(path)
                with open(path, "rb") as f, gzip.GzipFile(path + ".gz", "wb", 9, mtime=0) as g:
                    g.write(f.read())
                os.unlink(path)
                rec["file"] += ".gz"
                path += ".gz"
            else:
                f16_keras(path)
            recs.append(rec)
            print("%s: %d bytes, %d parameters" % (fname, os.path.getsize(path), rec["params"]))
    import tensorflow as tf
    import keras
    import tf_keras
    for rec in recs:             # keep the goldens small: 7 digits, pre-logits of input 0
        for k in ("logits", "embedding", "pre_logits"):
            if k in rec:
                rec[k] = [[float("%.7g" % v) for v in row] for row in rec[k]]
        if "pre_logits" in rec:
            rec["pre_logits"] = rec["pre_logits"][:1]
    with open(os.path.join(args.outdir, "goldens.json"), "w") as f:
        json.dump({"generator": "models/keras-goldens.py fixtures (tensorflow-cpu %s, keras %s, "
                                "tf-keras %s)" % (tf.__version__, keras.__version__,
                                                  tf_keras.__version__),
                   "inputs": "make_inputs (n_inputs, size, seed) of models/keras-goldens.py",
                   "fixtures": recs}, f, separators=(",", ":"))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("fixtures")
    a.add_argument("outdir")
    a.add_argument("--size", type=int, default=64)
    a.add_argument("--density", type=float, default=0.05,
                   help="fraction of non-zero kernel weights (small fixtures)")
    b = sub.add_parser("compare")
    b.add_argument("--mnv3", required=True)
    b.add_argument("--size", type=int, default=224)
    b.add_argument("--quick", type=int, default=0, help="only the first N cases")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return fixtures(args) if args.cmd == "fixtures" else acceptance(args)


if __name__ == "__main__":
    sys.exit(main())
