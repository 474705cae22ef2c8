#!/usr/bin/env python3
# mnv3classify: bench/peer-bench.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Time one MobileNetV3 model in one peer engine, or check the peer's logits against mnv3's.

Comparison tooling for bench/compare-peers.sh; runs in its virtual environment (onnxruntime,
openvino, ai-edge-litert from PyPI). Engines and their settings:

  ort     ONNX Runtime, .onnx: CPU execution provider, graph optimization level ALL,
          intra_op_num_threads N, inter_op 1, sequential; input and output bound once
          (IOBinding), so a timed call is session.run_with_iobinding () alone.
  ov      OpenVINO, .onnx: device CPU, PERFORMANCE_HINT LATENCY, INFERENCE_PRECISION_HINT f32
          (no silent bf16 on CPUs that have it), INFERENCE_NUM_THREADS N, one stream; input set
          once, a timed call is InferRequest.infer ().
  tflite  LiteRT (ai-edge-litert), .tflite: Interpreter (num_threads=N) with its default XNNPACK
          delegate; input set once, a timed call is Interpreter.invoke ().

usage: peer-bench.py ENGINE MODEL [--threads N] [--runs R] [--warmup W] [--model-name NAME]
       peer-bench.py ENGINE MODEL --check INPUT.f32 MNV3_LOGITS.txt [--threads N] [--model-name NAME]

The bench prints one line: `ENGINE model=NAME threads=N runs=R median_ms=X min_ms=Y version=V`.
The check reads INPUT.f32 (1x224x224x3 float32, NHWC, as `mnv3 classify` reads it), runs the
peer on it (transposed to NCHW for .onnx) and prints
`check engine=E model=NAME classes=C max_abs_diff=D max_abs_logit=L top1_peer=I top1_mnv3=J`.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402


def lcg_input(shape):
    """The input of mnv3-cli.c cmd_bench: uniform in [-2, 2) from the same LCG (any values
    would do: no engine's speed depends on them)."""
    n = int(np.prod(shape))
    out = np.empty(n, np.float32)
    seed = 12345
    for i in range(n):
        seed = (seed * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = (seed >> 8) / 16777216.0 * 4.0 - 2.0
    return out.reshape(shape)


class Ort:
    def __init__(self, path, threads):
        import onnxruntime as ort
        self.version = ort.__version__
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        if self.sess.get_providers()[0] != "CPUExecutionProvider":
            raise RuntimeError("ONNX Runtime did not pick the CPU provider")
        self.inp = self.sess.get_inputs()[0]
        self.shape = [d if isinstance(d, int) else 1 for d in self.inp.shape]
        self.ort = ort

    def prepare(self, x):
        self.x = self.ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(x))
        self.binding = self.sess.io_binding()
        self.binding.bind_ortvalue_input(self.inp.name, self.x)
        self.binding.bind_output(self.sess.get_outputs()[0].name, "cpu")

    def run(self):
        self.sess.run_with_iobinding(self.binding)

    def output(self):
        return self.binding.copy_outputs_to_cpu()[0]


class OpenVino:
    def __init__(self, path, threads):
        import openvino as ov
        self.version = ov.get_version()
        core = ov.Core()
        cfg = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32",
               "INFERENCE_NUM_THREADS": str(threads), "NUM_STREAMS": "1"}
        self.cm = core.compile_model(core.read_model(path), "CPU", cfg)
        prec = self.cm.get_property("INFERENCE_PRECISION_HINT")
        if prec != ov.Type.f32:
            raise RuntimeError("OpenVINO inference precision is %s, not f32" % prec)
        self.req = self.cm.create_infer_request()
        self.shape = list(self.cm.input(0).shape)

    def prepare(self, x):
        import openvino as ov
        self.x = np.ascontiguousarray(x)
        self.req.set_input_tensor(ov.Tensor(self.x))

    def run(self):
        self.req.infer()

    def output(self):
        return self.req.get_output_tensor(0).data.copy()


class Tflite:
    def __init__(self, path, threads):
        from ai_edge_litert import interpreter as lite
        import importlib.metadata
        self.version = importlib.metadata.version("ai-edge-litert")
        # The default op resolver applies the XNNPACK delegate (it logs
        # "Created TensorFlow Lite XNNPACK delegate for CPU").
        self.it = lite.Interpreter(model_path=path, num_threads=threads)
        self.it.allocate_tensors()
        self.inp = self.it.get_input_details()[0]
        self.out = self.it.get_output_details()[0]
        if self.inp["dtype"] != np.float32:
            raise RuntimeError("%s is not a float32 model" % path)
        self.shape = list(self.inp["shape"])

    def prepare(self, x):
        self.it.set_tensor(self.inp["index"], np.ascontiguousarray(x))

    def run(self):
        self.it.invoke()

    def output(self):
        return self.it.get_tensor(self.out["index"]).copy()


ENGINES = {"ort": Ort, "ov": OpenVino, "tflite": Tflite}


def bench(e, a):
    e.prepare(lcg_input(e.shape))
    for _ in range(a.warmup):
        e.run()
    t = np.empty(a.runs)
    clock = time.perf_counter
    for i in range(a.runs):
        t0 = clock()
        e.run()
        t[i] = (clock() - t0) * 1e3
    print("%s model=%s threads=%d runs=%d median_ms=%.3f min_ms=%.3f version=%s"
          % (a.engine, a.model_name, a.threads, a.runs, np.median(t), t.min(), e.version))


def check(e, a):
    nhwc = np.fromfile(a.check[0], dtype=np.float32)
    if nhwc.size != 224 * 224 * 3:
        raise RuntimeError("%s: %d floats, want 224x224x3" % (a.check[0], nhwc.size))
    nhwc = nhwc.reshape(1, 224, 224, 3)
    x = nhwc if e.shape[-1] == 3 else nhwc.transpose(0, 3, 1, 2)
    if list(x.shape) != list(e.shape):
        raise RuntimeError("the model's input is %s, not 1x224x224x3 or 1x3x224x224" % e.shape)
    e.prepare(x)
    e.run()
    ref = e.output().reshape(-1).astype(np.float64)
    with open(a.check[1]) as f:
        mine = np.array([float(v) for v in f.read().split()])
    if mine.size != ref.size:
        raise RuntimeError("%s: %d logits, the peer gives %d" % (a.check[1], mine.size, ref.size))
    d = np.abs(ref - mine).max()
    print("check engine=%s model=%s classes=%d max_abs_diff=%.3e max_abs_logit=%.3f "
          "top1_peer=%d top1_mnv3=%d" % (a.engine, a.model_name, ref.size,
                                         d if np.isfinite(d) else float("nan"),
                                         np.abs(ref).max(), ref.argmax(), mine.argmax()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("engine", choices=sorted(ENGINES))
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--model-name")
    ap.add_argument("--check", nargs=2, metavar=("INPUT", "LOGITS"))
    a = ap.parse_args()
    if a.threads < 1 or a.runs < 1 or a.warmup < 0:
        ap.error("--threads and --runs must be >= 1, --warmup >= 0")
    if not a.model_name:
        a.model_name = os.path.splitext(os.path.basename(a.model))[0]
    e = ENGINES[a.engine](a.model, a.threads)
    (check if a.check else bench)(e, a)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as ex:  # a clear one-line error for the shell script
        print("peer-bench: %s: %s" % (type(ex).__name__, ex), file=sys.stderr)
        sys.exit(1)
