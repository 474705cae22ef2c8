#!/usr/bin/python3
# mnv3classify: tests/models/test-tflite-real.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Convert Google's real uint8 MobileNetV3 TFLite files and classify the real photos with mnv3.

usage: test-tflite-real.py PATH-TO-mnv3

Three checks per model and photo (the exact 224x224 inputs of reference/inputs_224):
1. Converter exactness: `mnv3 classify --logits` on the converted file equals an independent numpy
   interpretation of the .tflite file's own graph in float (tests/models/tflitesim.py, no rounding
   of activations), fed the identical input (v - 128) / 127, within 1e-3 * max|ref| + 1e-4. The
   slack covers float32 vs float64 and the SE gate: TensorFlow's graph multiplies by the constant
   0.16667 where our h-sigmoid divides by 6 (relative difference 2e-5).
2. Issue #3, top-1: where TensorFlow Lite's top-1 probability (reference/*.json, uint8/256) is
   >= 0.3, our top-1 equals TFLite's. Our engine is float and TFLite's result comes from uint8
   arithmetic, so a disagreement is examined: if the numpy interpreter with uint8 rounding of every
   activation reproduces TFLite's top-1 while the same graph without rounding gives ours, the
   disagreement is caused by activation quantization, not by the conversion; it is then reported as
   QUANT and fails only with MNV3_STRICT_TFLITE=1. Any other disagreement fails.
3. Issue #3, top-5: our top-5 shares >= 3 classes with TFLite's top-5 on every photo. TFLite's
   top-5 holds ties at the 1/256 resolution (often several classes at 0 or 1); a class of ours counts
   as shared when its TFLite output is >= TFLite's 5th value and > 0, and the number required is
   min(3, number of TFLite top-5 entries above 0).
"""

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mnv3test as M  # noqa: E402

MODELS = ("v3-small_224_1.0_uint8", "v3-large-minimalistic_224_1.0_uint8")
EXPECT_ARCH = {"v3-small_224_1.0_uint8": "small",
               "v3-large-minimalistic_224_1.0_uint8": "large-minimalistic"}


def main():
    exe = M.mnv3_exe(sys.argv)
    M.need_numpy()
    data = M.shared_data()
    import numpy as np
    import tflitesim
    strict = os.environ.get("MNV3_STRICT_TFLITE") == "1"
    failures = []
    quant = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="mnv3-tflite-") as tmp:
        for name in MODELS:
            tfl = os.path.join(data, "models", name + ".tflite")
            refjson = os.path.join(data, "reference", name + ".reference.json")
            if not os.path.exists(tfl) or not os.path.exists(refjson):
                M.skip("%s or its reference is missing from %s" % (name, data))
            out = os.path.join(tmp, name + ".safetensors")
            M.convert_ok(tfl, out)
            info = dict(l.split(": ", 1) for l in M.run_cli(exe, "info", out).splitlines() if ": " in l)
            if info.get("arch") != EXPECT_ARCH[name]:
                failures.append("%s: mnv3 info says arch %r, expected %r"
                                % (name, info.get("arch"), EXPECT_ARCH[name]))
            with open(refjson) as f:
                ref = json.load(f)
            sim = tflitesim.Interpreter(tfl)
            images = ref["images"]
            raws = []
            for im in images:
                with open(os.path.join(data, im["input_224"]), "rb") as f:
                    raws.append(f.read())
            # 1. converter exactness on the identical normalized input
            f32 = os.path.join(tmp, name + ".input.f32")
            xs = np.stack([(np.frombuffer(r, np.uint8).astype(np.float64) - 128.0) / 127.0
                           for r in raws]).astype("<f4")
            xs.tofile(f32)
            ours_logits = M.logits(exe, out, f32)
            if ours_logits.shape != (len(raws), 1001):
                failures.append("%s: --logits gave shape %s, expected %s"
                                % (name, ours_logits.shape, (len(raws), 1001)))
                continue
            for i, (im, raw) in enumerate(zip(images, raws)):
                img = os.path.basename(im["image"])
                flog, fprob = sim.run(raw, quantized=False)
                _, qprob = sim.run(raw, quantized=True)
                err = np.abs(ours_logits[i] - flog).max()
                tol = 1e-3 * np.abs(flog).max() + 1e-4
                if not err <= tol:
                    failures.append("%s %s: logits differ from the TFLite graph's float evaluation "
                                    "by %.3g (tolerance %.3g)" % (name, img, err, tol))
                # 2./3. the user path: raw .rgb normalized by the model's mean/std
                top = M.classify(exe, out, os.path.join(data, im["input_224"]), 5)
                ours = [c for c, _, _ in top]
                t5 = im["tflite"]["top5"]
                u8 = np.array(im["tflite"]["output_uint8"])
                t1, t1score = t5[0][0], t5[0][2] / 256.0
                status = "ok"
                if t1score >= 0.3 and ours[0] != t1:
                    qtop, ftop = int(np.argmax(qprob)), int(np.argmax(fprob))
                    if qtop == t1 and ftop == ours[0]:
                        status = "QUANT"
                        quant.append("%s %s: TFLite top-1 %d (%.3f), ours %d; the uint8-rounded "
                                     "graph gives %d, the unrounded graph %d" %
                                     (name, img, t1, t1score, ours[0], qtop, ftop))
                        if strict:
                            failures.append(quant[-1])
                    else:
                        status = "FAIL"
                        failures.append("%s %s: top-1 %d, TFLite's %d (%.3f); uint8-rounded graph "
                                        "%d, unrounded %d" % (name, img, ours[0], t1, t1score, qtop, ftop))
                fifth = t5[-1][2]
                nonzero = sum(1 for r in t5 if r[2] > 0)
                shared = sum(1 for c in ours if u8[c] > 0 and u8[c] >= fifth)
                need = min(3, nonzero)
                if shared < need:
                    status = "FAIL"
                    failures.append("%s %s: our top-5 %s shares %d classes with TFLite's %s "
                                    "(need %d)" % (name, img, ours, shared,
                                                   [r[0] for r in t5], need))
                rows.append((name, img, t1, t1score, ours[0], top[0][1], shared, need, err, status))
    print("%-36s %-18s %14s %14s %6s %9s %s" % ("model", "image", "tflite top1", "ours top1",
                                               "top5", "logit err", "status"))
    for name, img, t1, t1s, o1, os_, sh, need, err, st in rows:
        print("%-36s %-18s %5d (%.3f) %5d (%.3f) %3d/%d %9.2g %s"
              % (name, img, t1, t1s, o1, os_, sh, need, err, st))
    for q in quant:
        print("QUANT (uint8 rounding, not conversion%s): %s"
              % ("; fails: MNV3_STRICT_TFLITE=1" if strict else "; set MNV3_STRICT_TFLITE=1 to fail",
                 q))
    if failures:
        for f in failures:
            print("FAIL: " + f)
        return 1
    print("PASS: %d photos x %d models" % (len(rows) // len(MODELS), len(MODELS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
