#!/usr/bin/python3
# mnv3classify: tests/models/test-tflite-real.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Convert Google's real uint8 MobileNetV3 TFLite files and classify the real photos with mnv3.

usage: test-tflite-real.py PATH-TO-mnv3

Each model is converted three times: with --no-integer (dequantized weights; the file records
TensorFlow Lite's activation quantization, mnv3.act_quant, and mnv3 rounds every activation to its
uint8 grid as TFLite does: the "emulating file" below), with --float-activations (plain float), and
as is (the quantized weights too: mnv3 runs its integer engine, byte-exact with TFLite's
BUILTIN_REF kernels as models/tflite-compare.py checks; here `mnv3 info` must report the integer
engine and check 3 applies to it as well). Checks per model and photo (the exact 224x224 inputs of
reference/inputs_224):
1. Converter exactness (float file): `mnv3 classify --logits` equals an independent numpy
   interpretation of the .tflite file's own graph in float (tests/models/tflitesim.py, no rounding
   of activations), fed the identical input (v - 128) / 127, within 1e-3 * max|ref| + 1e-4. The
   slack covers float32 vs float64 and the SE gate: TensorFlow's graph multiplies by the constant
   0.16667 where our h-sigmoid divides by 6 (relative difference 2e-5). The emulating file run
   with --float-activations gives the same logits (1e-5 * max|ref|).
2. Emulation: the emulating file's logits against the numpy interpreter with every activation
   rounded (quantized=True). Our engine computes in float32, the interpreter in float64: where a
   value lies within float32 noise of a rounding boundary the two round it differently, and one
   such flip, amplified by the later rounding (a squeeze-excite gate acts on a whole channel), moves
   logits by up to ~2 (the interpreter itself moves that much when its conv outputs are perturbed
   by 1e-6 relative). So the check is statistical: per photo max |diff| <= 2.5 and mean |diff| <=
   0.5; per model, the mean |diff| of the emulation is at most 0.75x the float network's (the
   emulation follows the rounded graph, not the float one). The table reports the max error.
3. Issue #3, top-1: where TensorFlow Lite's top-1 probability (reference/*.json, uint8/256) is
   >= 0.3, our top-1 (emulating file, the raw .rgb normalized by the model's mean/std, which for
   these files is exactly the input quantization) equals TFLite's. No exemption.
4. Issue #3, top-5: our top-5 shares >= 3 classes with TFLite's top-5 on every photo. TFLite's
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
EMU_MAX = 2.5         # per photo, max |logit diff| to the rounded numpy graph
EMU_MEAN = 0.5        # per photo, mean |logit diff|
EMU_VS_FLOAT = 0.75   # per model: mean |emulation - rounded| <= this x mean |float - rounded|


def info_of(exe, path):
    return dict(l.split(": ", 1) for l in M.run_cli(exe, "info", path).splitlines() if ": " in l)


def main():
    exe = M.mnv3_exe(sys.argv)
    M.need_numpy()
    data = M.shared_data()
    import numpy as np
    import tflitesim
    failures = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="mnv3-tflite-") as tmp:
        for name in MODELS:
            tfl = os.path.join(data, "models", name + ".tflite")
            refjson = os.path.join(data, "reference", name + ".reference.json")
            if not os.path.exists(tfl) or not os.path.exists(refjson):
                M.skip("%s or its reference is missing from %s" % (name, data))
            out = os.path.join(tmp, name + ".safetensors")
            outf = os.path.join(tmp, name + ".float.safetensors")
            outi = os.path.join(tmp, name + ".int.safetensors")
            M.convert_ok(tfl, out, "--no-integer")
            M.convert_ok(tfl, outf, "--float-activations")
            M.convert_ok(tfl, outi)
            for path, engine in ((outi, "integer"), (out, "float-rounded"), (outf, "float")):
                got = info_of(exe, path).get("engine")
                if got != engine:
                    failures.append("%s: mnv3 info %s says engine %r, expected %r"
                                    % (name, os.path.basename(path), got, engine))
            for path, aq in ((out, "tflite-uint8"), (outf, "none")):
                info = info_of(exe, path)
                if info.get("arch") != EXPECT_ARCH[name]:
                    failures.append("%s: mnv3 info says arch %r, expected %r"
                                    % (name, info.get("arch"), EXPECT_ARCH[name]))
                if info.get("act_quant") != aq:
                    failures.append("%s: mnv3 info %s says act_quant %r, expected %r"
                                    % (name, os.path.basename(path), info.get("act_quant"), aq))
            with open(refjson) as f:
                ref = json.load(f)
            sim = tflitesim.Interpreter(tfl)
            images = ref["images"]
            raws = []
            for im in images:
                with open(os.path.join(data, im["input_224"]), "rb") as f:
                    raws.append(f.read())
            f32 = os.path.join(tmp, name + ".input.f32")
            xs = np.stack([(np.frombuffer(r, np.uint8).astype(np.float64) - 128.0) / 127.0
                           for r in raws]).astype("<f4")
            xs.tofile(f32)
            float_logits = M.logits(exe, outf, f32)
            emu_logits = M.logits(exe, out, f32)
            emu_as_float = M.logits(exe, out, f32, "--float-activations")
            want = (len(raws), 1001)
            if float_logits.shape != want or emu_logits.shape != want or emu_as_float.shape != want:
                failures.append("%s: --logits gave shapes %s / %s / %s, expected %s"
                                % (name, float_logits.shape, emu_logits.shape, emu_as_float.shape,
                                   want))
                continue
            emu_means, float_means = [], []
            for i, (im, raw) in enumerate(zip(images, raws)):
                img = os.path.basename(im["image"])
                flog, _ = sim.run(raw, quantized=False)
                qlog, _ = sim.run(raw, quantized=True)
                # 1. converter exactness, float
                err = np.abs(float_logits[i] - flog).max()
                tol = 1e-3 * np.abs(flog).max() + 1e-4
                if not err <= tol:
                    failures.append("%s %s: logits differ from the TFLite graph's float evaluation "
                                    "by %.3g (tolerance %.3g)" % (name, img, err, tol))
                same = np.abs(emu_as_float[i] - float_logits[i]).max()
                if not same <= 1e-5 * np.abs(flog).max():
                    failures.append("%s %s: --float-activations on the emulating file differs from "
                                    "the float file by %.3g" % (name, img, same))
                # 2. emulation against the rounded graph
                d = np.abs(emu_logits[i] - qlog)
                qerr, qmean = d.max(), d.mean()
                emu_means.append(qmean)
                float_means.append(np.abs(flog - qlog).mean())
                if not (qerr <= EMU_MAX and qmean <= EMU_MEAN):
                    failures.append("%s %s: emulated logits differ from the rounded TFLite graph by "
                                    "max %.3g, mean %.3g (limits %g, %g)"
                                    % (name, img, qerr, qmean, EMU_MAX, EMU_MEAN))
                # 3./4. the user path: raw .rgb normalized by the model's mean/std
                top = M.classify(exe, out, os.path.join(data, im["input_224"]), 5)
                ours = [c for c, _, _ in top]
                t5 = im["tflite"]["top5"]
                u8 = np.array(im["tflite"]["output_uint8"])
                t1, t1score = t5[0][0], t5[0][2] / 256.0
                status = "ok"
                if ours[0] != int(np.argmax(emu_logits[i])):
                    status = "FAIL"
                    failures.append("%s %s: top-1 %d from the .rgb input, %d from the .f32 input"
                                    % (name, img, ours[0], int(np.argmax(emu_logits[i]))))
                if t1score >= 0.3 and ours[0] != t1:
                    status = "FAIL"
                    failures.append("%s %s: top-1 %d, TFLite's %d (%.3f); rounded numpy graph %d, "
                                    "float graph %d" % (name, img, ours[0], t1, t1score,
                                                        int(np.argmax(qlog)), int(np.argmax(flog))))
                elif t1score < 0.3 and ours[0] != t1:
                    status = "ok (<0.3)"
                itop = M.classify(exe, outi, os.path.join(data, im["input_224"]), 1)[0][0]
                if t1score >= 0.3 and itop != t1:
                    status = "FAIL"
                    failures.append("%s %s: integer engine top-1 %d, TFLite's %d (%.3f)"
                                    % (name, img, itop, t1, t1score))
                fifth = t5[-1][2]
                nonzero = sum(1 for r in t5 if r[2] > 0)
                shared = sum(1 for c in ours if u8[c] > 0 and u8[c] >= fifth)
                need = min(3, nonzero)
                if shared < need:
                    status = "FAIL"
                    failures.append("%s %s: our top-5 %s shares %d classes with TFLite's %s "
                                    "(need %d)" % (name, img, ours, shared,
                                                   [r[0] for r in t5], need))
                rows.append((name, img, t1, t1score, ours[0], top[0][1], shared, need, err, qerr,
                             qmean, status))
            ratio = np.mean(emu_means) / np.mean(float_means)
            print("%s: mean |logit - rounded graph|: emulation %.4f, float %.4f (ratio %.2f, "
                  "limit %.2f)" % (name, np.mean(emu_means), np.mean(float_means), ratio,
                                   EMU_VS_FLOAT))
            if not ratio <= EMU_VS_FLOAT:
                failures.append("%s: the emulation is not closer to the rounded graph than the float "
                                "network (ratio %.2f > %.2f)" % (name, ratio, EMU_VS_FLOAT))
    print("%-36s %-18s %14s %14s %6s %9s %9s %9s %s" % (
        "model", "image", "tflite top1", "ours top1", "top5", "float err", "emu max", "emu mean",
        "status"))
    for name, img, t1, t1s, o1, os_, sh, need, err, qerr, qmean, st in rows:
        print("%-36s %-18s %5d (%.3f) %5d (%.3f) %3d/%d %9.2g %9.3g %9.3g %s"
              % (name, img, t1, t1s, o1, os_, sh, need, err, qerr, qmean, st))
    if failures:
        for f in failures:
            print("FAIL: " + f)
        return 1
    print("PASS: %d photos x %d models" % (len(rows) // len(MODELS), len(MODELS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
