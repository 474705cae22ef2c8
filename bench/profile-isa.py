#!/usr/bin/python3
# mnv3classify: bench/profile-isa.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`mnv3 bench --profile` for several kernel sets side by side, step by step, alternating the sets
round by round, with the median over rounds per step and per layer type, and each step's GFLOP/s
as a fraction of the machine's measured FMA peak (bench/fma-peak.c).

usage: profile-isa.py MNV3 MODEL [--kernels avx512,avx2] [--threads 1] [--rounds 7]
                      [--runs 100] [--peak GFLOPS | --fma-peak PATH]

Each round runs `MNV3 bench MODEL --profile --kernels K` once per kernel set (the order
alternates from round to round). A profile is a mean over its runs, so one preempted run shows in
it; the median over rounds is what is printed. A fused block (op=fused-block) is one step whose
time `--profile` shares among expand1x1, dwconv and project1x1; its GFLOP/s mixes the three.
Needs only the Python standard library.
"""
import argparse
import re
import statistics
import subprocess
import sys

STEP = re.compile(r"profile step=(\d+) op=(\S+) (.*?) ms=([0-9.]+) gflops=([0-9.]+)"
                  r" min_ms=([0-9.]+) min_gflops=([0-9.]+)")
TYPE = re.compile(r"profile op=(\S+) ms=([0-9.]+)")


def run(a, kernels):
    out = subprocess.run([a.mnv3, "bench", a.model, "--profile", "--kernels", kernels,
                          "--threads", str(a.threads), "--runs", str(a.runs)],
                         check=True, capture_output=True, text=True).stdout
    steps, types, median = {}, {}, None
    for line in out.splitlines():
        m = STEP.match(line)
        if m:
            steps[int(m.group(1))] = (m.group(2), m.group(3), float(m.group(4)),
                                      float(m.group(5)), float(m.group(6)))
            continue
        m = TYPE.match(line)
        if m:
            types[m.group(1)] = float(m.group(2))
            continue
        m = re.search(r"median_ms=([0-9.]+)", line)
        if m:
            median = float(m.group(1))
    return steps, types, median


def macs(step):
    """The step's multiply-adds, from its mean time and GFLOP/s."""
    return step[3] * step[2] * 1e6 / 2.0


def fma_peak(path):
    out = subprocess.run([path], check=True, capture_output=True, text=True).stdout
    peaks = [float(v) for v in re.findall(r"best_gflops=([0-9.]+)", out)]
    if not peaks:
        raise RuntimeError("%s printed no best_gflops" % path)
    return max(peaks), out.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mnv3")
    ap.add_argument("model")
    ap.add_argument("--kernels", default="avx512,avx2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--runs", type=int, default=100)
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--peak", type=float, help="FMA peak of one core in GFLOP/s")
    g.add_argument("--fma-peak", help="the fma-peak program to measure it with")
    a = ap.parse_args()
    sets = a.kernels.split(",")

    peak = a.peak
    if a.fma_peak:
        peak, text = fma_peak(a.fma_peak)
        print("== " + text.replace("\n", "\n== "))
    if peak:
        peak *= a.threads
        print("== peak used: %.1f GFLOP/s (%d thread%s)" % (peak, a.threads,
                                                          "s" if a.threads > 1 else ""))

    res = {k: [] for k in sets}
    for r in range(a.rounds):
        order = sets if r % 2 == 0 else sets[::-1]
        for k in order:
            res[k].append(run(a, k))

    def med(xs):
        return statistics.median(xs) if xs else float("nan")

    print("== %d rounds, %d runs each, threads=%d; medians over rounds" % (a.rounds, a.runs,
                                                                         a.threads))
    print("%-12s" % "layer type" + "".join("%12s" % ("ms " + k) for k in sets))
    types = list(res[sets[0]][0][1].keys())
    for t in types:
        print("%-12s" % t + "".join("%12.4f" % med([x[1].get(t, float("nan")) for x in res[k]])
                                    for k in sets))
    print("%-12s" % "bench median" + "".join("%12.3f" % med([x[2] for x in res[k]])
                                             for k in sets))
    print()
    print()
    print("per step type, sum of the steps' fastest runs (ms; fused-block: expand + dwconv +"
          " project of the blocks fused over row bands)")
    kinds = []
    for st in res[sets[0]][0][0].values():
        if st[0] not in kinds:
            kinds.append(st[0])
    for kind in kinds:
        print("%-12s" % kind + "".join(
            "%12.4f" % sum(min(x[0][s][4] for x in res[k]) for s, st in res[k][0][0].items()
                           if st[0] == kind) for k in sets))
    print("%-12s" % "sum of mins" + "".join(
        "%12.3f" % sum(min(x[0][s][4] for x in res[k]) for s in res[k][0][0]) for k in sets))
    print()
    print("per step: ms = median over rounds of the mean over runs; min = the fastest run of all"
          " rounds; %s from min" % ("peak% = GFLOP/s / peak" if peak else "GFLOP/s"))
    hdr = "%4s %-12s %-34s" % ("step", "op", "shape")
    for k in sets:
        hdr += " %8s %8s %6s" % ("ms", "min", (k + " %") if peak else k)
    print(hdr)
    for s in sorted(res[sets[0]][0][0]):
        op, shape = res[sets[0]][0][0][s][:2]
        line = "%4d %-12s %-34s" % (s, op, shape[:34])
        for k in sets:
            ms = med([x[0][s][2] for x in res[k] if s in x[0]])
            mn = min(x[0][s][4] for x in res[k] if s in x[0])
            gf = 2.0 * macs(res[k][0][0][s]) / (mn * 1e6) if mn > 0 else 0.0
            line += " %8.4f %8.4f %6s" % (ms, mn, ("%.0f" % (100 * gf / peak)) if peak else
                                          "%.1f" % gf)
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
