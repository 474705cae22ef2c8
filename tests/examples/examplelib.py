# mnv3classify: tests/examples/examplelib.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers for the tests that run examples/ (suite 'examples').

The model: the real MobileNetV3-Small (converted at test time by tests/gst/real-model.py, never
committed) when the shared data folder exists, else a committed fixture with embedded labels.
"""
import os
import subprocess
import sys

SKIP = 77
SOURCE_ROOT = os.environ.get("MNV3_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_ROOT = os.environ.get("MNV3_BUILD_ROOT", os.path.join(SOURCE_ROOT, "build"))
EXAMPLES = os.path.join(SOURCE_ROOT, "examples")
EXAMPLES_BUILD = os.path.join(BUILD_ROOT, "examples")
FIXTURE = os.path.join(os.environ.get("MNV3_FIXTURES", os.path.join(SOURCE_ROOT, "tests", "data")),
                       "fixtures", "small-min-tfsame-labels.safetensors")
REAL_NAME = "v3-small_224_1.0_uint8"


def shared_data():
    """The mobilenet_v3 folder of the shared data, or None."""
    d = os.environ.get("MNV3_SHARED_DATA") or os.environ.get("MNV3_SHARED_DATA_DEFAULT")
    if d and os.path.isdir(os.path.join(d, "mobilenet_v3")):
        return os.path.join(d, "mobilenet_v3")
    return None


def real_model():
    """Path of the converted real MobileNetV3-Small, or None (reason printed) when unavailable."""
    r = subprocess.run(["/usr/bin/python3", os.path.join(SOURCE_ROOT, "tests", "gst", "real-model.py"),
                        REAL_NAME], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode == SKIP:
        print("real-model part skipped: " + r.stderr.strip())
        return None
    if r.returncode != 0:
        fail("converting the real model failed: " + r.stderr.strip())
    return r.stdout.strip()


def run(cmd, timeout=60, env=None, **kw):
    """Runs @cmd, echoes it and its output, returns the CompletedProcess."""
    print("$ " + " ".join(cmd if isinstance(cmd, list) else [cmd]), flush=True)
    full_env = dict(os.environ, **(env or {}))
    for k, v in (env or {}).items():
        print("  with %s=%s" % (k, v))
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, env=full_env, **kw)
    out = r.stdout if len(r.stdout) < 4000 else r.stdout[:2000] + "\n...\n" + r.stdout[-1500:]
    sys.stdout.write(out)
    if r.stderr.strip():
        sys.stdout.write("stderr: " + r.stderr[-2000:])
    print("exit status %d" % r.returncode, flush=True)
    return r


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
