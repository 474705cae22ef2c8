# mnv3classify: tests/models/mnv3test.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers of the models test suite: locating data, running convert.py and the mnv3 CLI."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.environ.get("MNV3_SOURCE_ROOT", os.path.join(HERE, "..", ".."))
CONVERT = os.path.join(SOURCE_ROOT, "models", "convert.py")
FIXTURES = os.path.join(os.environ.get("MNV3_FIXTURES", os.path.join(SOURCE_ROOT, "tests", "data")),
                        "fixtures")
SKIP = 77

sys.path.insert(0, os.path.join(SOURCE_ROOT, "models"))


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def need_numpy():
    try:
        import numpy  # noqa: F401
    except ImportError:
        skip("python3-numpy is not installed for %s" % sys.executable)


def shared_data():
    """The mobilenet_v3 folder of the shared real data, or SKIP saying why."""
    for var in ("MNV3_SHARED_DATA", "MNV3_SHARED_DATA_DEFAULT"):
        root = os.environ.get(var)
        if root:
            d = os.path.join(root, "mobilenet_v3")
            if os.path.isdir(d):
                return d
            skip("real data folder %s (from $%s) is absent: cannot test on Google's real "
                 "MobileNetV3 weights" % (d, var))
    skip("neither MNV3_SHARED_DATA nor MNV3_SHARED_DATA_DEFAULT is set: cannot test on Google's "
         "real MobileNetV3 weights")


def mnv3_exe(argv):
    if len(argv) < 2:
        print("usage: %s PATH-TO-mnv3" % argv[0])
        sys.exit(2)
    return argv[1]


def convert(inp, out, *extra):
    """Run convert.py; return (returncode, stdout, stderr)."""
    r = subprocess.run([sys.executable, CONVERT, inp, "-o", out, "-q"] + list(extra),
                       capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout, r.stderr


def convert_ok(inp, out, *extra):
    rc, so, se = convert(inp, out, *extra)
    if rc != 0:
        raise AssertionError("convert.py %s failed (%d): %s" % (inp, rc, se.strip()))


def run_cli(exe, *args):
    r = subprocess.run([exe] + list(args), capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError("%s %s failed (%d): %s" % (os.path.basename(exe), " ".join(args),
                                                       r.returncode, r.stderr.strip()))
    return r.stdout


def classify(exe, model, inp, top_k=5):
    """[(class_id, score, label)] best first, from `mnv3 classify`."""
    res = []
    for line in run_cli(exe, "classify", model, inp, "--top-k", str(top_k)).splitlines():
        if not line.strip():
            continue
        parts = line.split(None, 2)
        res.append((int(parts[0]), float(parts[1]), parts[2] if len(parts) > 2 else ""))
    return res


def logits(exe, model, inp, *extra):
    """One list of floats per input, from `mnv3 classify --logits`."""
    import numpy as np
    rows = [l for l in run_cli(exe, "classify", model, inp, "--logits", *extra).splitlines()
            if l.strip()]
    return np.array([[float(v) for v in r.split()] for r in rows])
