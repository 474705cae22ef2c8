#!/usr/bin/env python3
# mnv3classify: bench/make-tflite.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write full-size random-weight MobileNetV3 Large and Small float32 .tflite models for the
side-by-side benchmark (bench/compare-peers.sh), made with Keras (keras.applications
MobileNetV3Large / MobileNetV3Small, weights=None, include_preprocessing=False, logits out) and
the TensorFlow Lite converter (no optimizations, so the file stays float32).

Comparison tooling only: runs in the benchmark's virtual environment (tensorflow-cpu from PyPI).
Keras builds the same architecture as torchvision (same widths, kernels, SE and activations) but
pads the stride-2 convolutions like TensorFlow's SAME; models/convert.py turns the .tflite into an
mnv3 model, so mnv3's outputs are checked against TFLite's on this very graph.

usage: make-tflite.py OUTDIR [--models large,small]
"""
import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def make(arch, seed):
    tf.keras.utils.set_random_seed(seed)
    cls = tf.keras.applications.MobileNetV3Large if arch == "large" \
        else tf.keras.applications.MobileNetV3Small
    # batch 1 fixed: with a dynamic batch the final Flatten becomes SHAPE/STRIDED_SLICE/PACK ops
    inp = tf.keras.Input(shape=(224, 224, 3), batch_size=1)
    model = cls(input_tensor=inp, weights=None, include_preprocessing=False,
                classifier_activation=None, dropout_rate=0.0)
    # Random BatchNorm statistics as well, so that no layer is an identity (the converter folds
    # BatchNorm into the convolution either way).
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            g, b, m, v = layer.get_weights()
            n = g.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n).astype(np.float32),
                               rng.normal(0, 0.1, n).astype(np.float32),
                               rng.normal(0, 0.1, n).astype(np.float32),
                               rng.uniform(0.5, 1.5, n).astype(np.float32)])
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    return conv.convert()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--models", default="large,small")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    for arch, seed in (("large", 3001), ("small", 3002)):
        if arch not in args.models.split(","):
            continue
        data = make(arch, seed)
        path = os.path.join(args.outdir, arch + ".tflite")
        with open(path, "wb") as f:
            f.write(data)
        print("%-6s %s (%d bytes)" % (arch, path, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
