#!/usr/bin/python3
# mnv3classify: tests/cli/test-cli-images.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`mnv3 classify` on PNG and JPEG photos (issue 12), decoded by gdk-pixbuf in the CLI.

An image made here is written as PPM (the reference path), PNG, PNG with alpha (gdk-pixbuf's
own writer) and JPEG at quality 100: the PNGs must print exactly the PPM's lines, the JPEG the
same top-1 class with every printed probability within 0.05. Refusals are one line and exit 1:
a missing file, a truncated PNG, a text file named .png, and a PNG whose header claims
30000x30000 pixels (refused from the header, before any pixel is allocated).

usage: test-cli-images.py MNV3 MODEL
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import gi
import numpy as np

gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf, GLib  # noqa: E402

mnv3, model = sys.argv[1:3]
failures = 0


def fail(msg):
    global failures
    failures += 1
    print("FAIL:", msg)


def classify(path):
    return subprocess.run([mnv3, "classify", model, path, "--top-k", "5"], capture_output=True,
                          text=True, timeout=60)


def lines(p):
    return [line.split(" ", 2) for line in p.stdout.splitlines()]


def pixbuf(img):
    h, w, n = img.shape
    data = GLib.Bytes.new(img.tobytes())
    return GdkPixbuf.Pixbuf.new_from_bytes(data, GdkPixbuf.Colorspace.RGB, n == 4, 8, w, h, w * n)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def main():
    rng = np.random.default_rng(12)
    h, w = 47, 61
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], -1)
    img = np.clip(img + rng.integers(-20, 21, img.shape), 0, 255).astype(np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        ppm = os.path.join(tmp, "a.ppm")
        with open(ppm, "wb") as f:
            f.write(b"P6\n%d %d\n255\n" % (w, h) + img.tobytes())
        pixbuf(img).savev(os.path.join(tmp, "a.png"), "png", [], [])
        rgba = np.concatenate([img, rng.integers(0, 256, (h, w, 1), dtype=np.uint8)], -1)
        pixbuf(rgba).savev(os.path.join(tmp, "rgba.PNG"), "png", [], [])
        pixbuf(img).savev(os.path.join(tmp, "a.jpg"), "jpeg", ["quality"], ["100"])

        ref = classify(ppm)
        if ref.returncode != 0 or len(lines(ref)) != 5:
            fail("ppm: %s %s" % (ref.returncode, ref.stderr))
            return 1
        for name in ("a.png", "rgba.PNG"):
            p = classify(os.path.join(tmp, name))
            if p.returncode != 0 or p.stdout != ref.stdout:
                fail("%s: exit %d, output %r, ppm %r %s" % (name, p.returncode, p.stdout,
                                                            ref.stdout, p.stderr))
        p = classify(os.path.join(tmp, "a.jpg"))
        got, want = lines(p), lines(ref)
        if p.returncode != 0 or len(got) != 5 or got[0][0] != want[0][0]:
            fail("a.jpg: exit %d, %r vs ppm %r %s" % (p.returncode, p.stdout, ref.stdout,
                                                     p.stderr))
        else:
            want_p = {c: float(s) for c, s, _ in want}
            for c, s, _ in got:
                if c in want_p and abs(float(s) - want_p[c]) > 0.05:
                    fail("a.jpg: class %s %.4f vs ppm %.4f" % (c, float(s), want_p[c]))
        print("png, rgba png, jpeg: ok (ppm top-1 %s %s)" % (want[0][0], want[0][1]))

        png = open(os.path.join(tmp, "a.png"), "rb").read()
        with open(os.path.join(tmp, "cut.png"), "wb") as f:
            f.write(png[:len(png) // 2])
        with open(os.path.join(tmp, "text.png"), "w") as f:
            f.write("not a picture\n")
        with open(os.path.join(tmp, "huge.png"), "wb") as f:
            ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
            idat = zlib.compress(b"\0" * (30000 * 3 + 1) * 4)
            f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat))
        for name, want_msg in (("missing.png", "no such file"), ("cut.png", ""),
                               ("text.png", "not an image"), ("huge.png", "more than")):
            p = classify(os.path.join(tmp, name))
            err = p.stderr.strip().splitlines()
            if p.returncode != 1 or len(err) != 1 or want_msg not in err[0] or p.stdout:
                fail("%s: exit %d, stderr %r, stdout %r" % (name, p.returncode, p.stderr,
                                                            p.stdout))
            else:
                print("%s refused: %s" % (name, err[0]))
    return 1 if failures else 0


sys.exit(main())
