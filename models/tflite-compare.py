#!/usr/bin/env python3
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compare libmnv3's integer engine with TensorFlow Lite's own interpreter on quantized .tflite
files, byte for byte.

Run inside the venv of scripts/tflite-ref-venv (ai-edge-litert, numpy, pillow):

    build/venv-ref/bin/python models/tflite-compare.py FILE.tflite... \\
        --images ../shared/data/mobilenet_v3/images [--generated 8] [--threads 1 2] \\
        [--kernels ref avx2 avx512]

Each file is converted (models/convert.py, into a temporary folder: nothing converted is kept),
every input is fed as the same uint8 tensor to TFLite and to `mnv3 classify --logits` (a .f32
file holding (v - zero_point) * scale, which the engine quantizes back to v exactly), and:
- the uint8 logits (the SOFTMAX's input tensor) of TFLite with the reference op resolver
  (BUILTIN_REF, every intermediate tensor kept) must equal ours byte for byte, for every thread
  count and kernel set (MNV3_KERNELS);
- against TFLite's default kernels (XNNPACK), whose logits are not visible, the top-1 class is
  compared, and the differing bytes of its softmax output against BUILTIN_REF's are counted.
Exit status 1 if any BUILTIN_REF byte differs.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def load_images(folder, size):
    from PIL import Image
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "*"))):
        try:
            im = Image.open(path).convert("RGB")
        except OSError:
            continue
        out.append((os.path.basename(path),
                    np.asarray(im.resize((size, size), Image.BILINEAR), dtype=np.uint8)))
    return out


def generated(n, size, seed=1):
    rng = np.random.default_rng(seed)
    out = [("zeros", np.zeros((size, size, 3), np.uint8)),
           ("255", np.full((size, size, 3), 255, np.uint8)),
           ("ramp", (np.arange(size * size * 3) % 256).astype(np.uint8).reshape(size, size, 3))]
    for i in range(n):
        out.append(("random%d" % i, rng.integers(0, 256, (size, size, 3), dtype=np.uint8)))
    return out


def tflite_run(path, inputs, threads, ref):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    kw = dict(model_path=path, num_threads=threads)
    if ref:
        kw.update(experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                  experimental_preserve_all_tensors=True)
    it = Interpreter(**kw)
    it.allocate_tensors()
    inp = it.get_input_details()[0]
    outp = it.get_output_details()[0]
    softmax_in = None
    for op in it._get_ops_details():
        if op["op_name"] == "SOFTMAX":
            softmax_in = op["inputs"][0]
    logits, probs = [], []
    for _, x in inputs:
        it.set_tensor(inp["index"], x[None])
        it.invoke()
        probs.append(it.get_tensor(outp["index"]).reshape(-1).copy())
        if ref:
            logits.append(it.get_tensor(softmax_in).reshape(-1).copy())
    q = it.get_tensor_details()[softmax_in]["quantization"] if softmax_in is not None else None
    return logits, probs, inp["quantization"], q


def ours(mnv3, model, f32, kernels, threads):
    env = dict(os.environ, MNV3_KERNELS=kernels)
    r = subprocess.run([mnv3, "classify", model, f32, "--logits", "--threads", str(threads)],
                       env=env, capture_output=True, text=True, check=True)
    return [np.array([float(v) for v in line.split()], np.float64)
            for line in r.stdout.splitlines() if line.strip()]


def engine(mnv3, model):
    r = subprocess.run([mnv3, "info", model], capture_output=True, text=True, check=True)
    for line in r.stdout.splitlines():
        if line.startswith("engine:"):
            return line.split(":", 1)[1].strip()
    return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tflite", nargs="+")
    ap.add_argument("--images", help="folder of photos (resized bilinearly to the input size)")
    ap.add_argument("--generated", type=int, default=8, help="random inputs (plus 3 fixed ones)")
    ap.add_argument("--mnv3", default=os.path.join(HERE, "..", "build", "src", "mnv3"))
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--kernels", nargs="+", default=["ref", "avx2", "avx512"])
    a = ap.parse_args()
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for path in a.tflite:
            name = os.path.basename(path)
            model = os.path.join(tmp, name + ".safetensors")
            subprocess.run([sys.executable, os.path.join(HERE, "convert.py"), path, "-o", model],
                           check=True, capture_output=True)
            _, _, (in_scale, in_zp), _ = tflite_run(path, [], 1, False)
            size = 224
            from ai_edge_litert.interpreter import Interpreter
            it = Interpreter(model_path=path)
            size = int(it.get_input_details()[0]["shape"][1])
            inputs = (load_images(a.images, size) if a.images else []) + generated(a.generated,
                                                                                   size)
            f32 = os.path.join(tmp, "inputs.f32")
            np.concatenate([((x.astype(np.float32) - in_zp) * np.float32(in_scale)).reshape(-1)
                            for _, x in inputs]).astype("<f4").tofile(f32)
            ref_logits, ref_probs, _, (l_scale, l_zp) = tflite_run(path, inputs, 1, True)
            _, xnn_probs, _, _ = tflite_run(path, inputs, 1, False)
            print("%s: engine %s, %d inputs (%s)" % (name, engine(a.mnv3, model), len(inputs),
                                                     ", ".join(n for n, _ in inputs)))
            for kernels in a.kernels:
                for threads in a.threads:
                    try:
                        got = ours(a.mnv3, model, f32, kernels, threads)
                    except subprocess.CalledProcessError as e:
                        print("  kernels=%s threads=%d: mnv3 failed: %s"
                              % (kernels, threads, e.stderr.strip()))
                        failed = True
                        continue
                    equal_inputs, bytes_equal, total = 0, 0, 0
                    for (n, _), g, r in zip(inputs, got, ref_logits):
                        q = np.clip(np.rint(g / l_scale) + l_zp, 0, 255).astype(np.uint8)
                        same = int(np.sum(q == r))
                        bytes_equal += same
                        total += r.size
                        equal_inputs += same == r.size
                        if same != r.size and kernels == a.kernels[0] and threads == a.threads[0]:
                            d = np.nonzero(q != r)[0]
                            print("    %s: %d bytes differ, first at %d: ours %d, TFLite %d"
                                  % (n, r.size - same, d[0], q[d[0]], r[d[0]]))
                    print("  kernels=%s threads=%d: BUILTIN_REF logits bytes equal %d of %d "
                          "(%d of %d inputs all %d equal)" % (kernels, threads, bytes_equal,
                                                             total, equal_inputs, len(inputs),
                                                             ref_logits[0].size))
                    failed |= bytes_equal != total
            top_same = sum(int(np.argmax(g) == np.argmax(x)) for g, x in zip(got, xnn_probs))
            diff = sum(int(np.sum(r != x)) for r, x in zip(ref_probs, xnn_probs))
            print("  XNNPACK (default kernels): top-1 equal to ours on %d of %d inputs; its "
                  "softmax output differs from BUILTIN_REF's in %d of %d bytes"
                  % (top_same, len(inputs), diff, sum(r.size for r in ref_probs)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
