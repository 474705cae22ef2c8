// ort-bench.js: time an ONNX model with onnxruntime-node (CPU provider) for the side-by-side benchmark
// Copyright (C) 2026 mnv3classify developers
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Comparison tooling only (issue 6): the product never depends on node or ONNX Runtime.
// Needs onnxruntime-node on NODE_PATH (compare-ort.sh installs it into a scratch folder).
//
//   node ort-bench.js MODEL.onnx [--threads N] [--runs R] [--warmup W] [--model-name NAME]
//       prints: ort model=<name> threads=<N> runs=<R> median_ms=<x> min_ms=<y> version=<ort version>
//   node ort-bench.js MODEL.onnx --check INPUT.f32 MNV3_LOGITS.txt [--threads N] [--model-name NAME]
//       INPUT.f32 holds S*S*3 float32 little-endian, NHWC, already normalized (what `mnv3 classify
//       --logits` takes); it is transposed to NCHW for ONNX Runtime. MNV3_LOGITS.txt is the
//       space-separated output of `mnv3 classify MODEL INPUT.f32 --logits`. Prints:
//       check model=<name> classes=<C> max_abs_diff=<d> max_abs_logit=<m> top1_ort=<i> top1_mnv3=<j>
//
// Session options follow the issue: CPU execution provider, graphOptimizationLevel 'all',
// intraOpNumThreads N, interOpNumThreads 1, executionMode 'sequential'. The timed input is a fixed
// pseudo-random tensor (the same LCG and range as `mnv3 bench`), created once and reused, so each
// timed call is one session.run() as an application would issue it.

'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

function usage() {
  process.stderr.write('usage: ort-bench.js MODEL.onnx [--threads N] [--runs R] [--warmup W] ' +
      '[--model-name NAME] [--check INPUT.f32 LOGITS.txt]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { model: null, threads: 1, runs: 200, warmup: 20, name: null, check: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length)
        usage();
      return argv[++i];
    };
    if (a === '--threads')
      o.threads = parseInt(next(), 10);
    else if (a === '--runs')
      o.runs = parseInt(next(), 10);
    else if (a === '--warmup')
      o.warmup = parseInt(next(), 10);
    else if (a === '--model-name')
      o.name = next();
    else if (a === '--check')
      o.check = [next(), next()];
    else if (a.startsWith('--') || o.model !== null)
      usage();
    else
      o.model = a;
  }
  if (!o.model || !(o.threads >= 1) || !(o.runs >= 1) || !(o.warmup >= 0))
    usage();
  if (!o.name)
    o.name = o.model.replace(/^.*\//, '').replace(/\.onnx$/, '');
  return o;
}

function inputShape(session) {
  // 1x3xSxS as exported by tests/data/make-fixtures.py; fall back to 224 if dims are symbolic.
  const meta = session.inputMetadata && session.inputMetadata[0];
  const dims = meta && meta.shape;
  if (Array.isArray(dims) && dims.length === 4 && dims.every((d) => typeof d === 'number'))
    return dims;
  return [1, 3, 224, 224];
}

function median(sorted) {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

async function bench(session, o) {
  const shape = inputShape(session);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  // Same generator as mnv3-cli.c cmd_bench: uniform in [-2, 2).
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    data[i] = (seed >>> 8) / 16777216.0 * 4.0 - 2.0;
  }
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  for (let i = 0; i < o.warmup; i++)
    await session.run(feeds);
  const t = new Float64Array(o.runs);
  for (let i = 0; i < o.runs; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    t[i] = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  t.sort();
  console.log(`ort model=${o.name} threads=${o.threads} runs=${o.runs} ` +
      `median_ms=${median(t).toFixed(3)} min_ms=${t[0].toFixed(3)} version=${ort.env.versions.common}`);
}

async function check(session, o) {
  const shape = inputShape(session);
  const [, c, h, w] = shape;
  const buf = fs.readFileSync(o.check[0]);
  if (buf.length !== c * h * w * 4)
    throw new Error(`${o.check[0]}: ${buf.length} bytes, want ${c}x${h}x${w} float32`);
  const nhwc = new Float32Array(buf.buffer, buf.byteOffset, c * h * w);
  const nchw = new Float32Array(c * h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++)
        nchw[(k * h + y) * w + x] = nhwc[(y * w + x) * c + k];
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', nchw, shape) });
  const ref = out[session.outputNames[0]].data;
  const mine = fs.readFileSync(o.check[1], 'utf8').trim().split(/\s+/).map(Number);
  if (mine.length !== ref.length)
    throw new Error(`${o.check[1]}: ${mine.length} logits, ONNX Runtime gives ${ref.length}`);
  let maxDiff = 0, maxAbs = 0, topOrt = 0, topMine = 0;
  for (let i = 0; i < ref.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - mine[i]));
    maxAbs = Math.max(maxAbs, Math.abs(ref[i]));
    if (ref[i] > ref[topOrt])
      topOrt = i;
    if (mine[i] > mine[topMine])
      topMine = i;
  }
  if (!Number.isFinite(maxDiff))
    maxDiff = NaN;
  console.log(`check model=${o.name} classes=${ref.length} max_abs_diff=${maxDiff.toExponential(3)} ` +
      `max_abs_logit=${maxAbs.toFixed(3)} top1_ort=${topOrt} top1_mnv3=${topMine}`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const session = await ort.InferenceSession.create(o.model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
  if (o.check)
    await check(session, o);
  else
    await bench(session, o);
}

main().catch((e) => {
  process.stderr.write(`ort-bench: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
