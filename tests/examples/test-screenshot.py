#!/usr/bin/python3
# mnv3classify: tests/examples/test-screenshot.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs examples/screenshot.sh on a photo (cat.png from the shared data, else a PNG made from
videotestsrc) and checks the PNG it writes: same size as the photo, the label drawn on part of it.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import examplelib as ex  # noqa: E402


def gray(png, out):
    r = ex.run(["gst-launch-1.0", "-q", "filesrc", "location=" + png, "!", "pngdec", "!",
                "videoconvert", "!", "video/x-raw,format=GRAY8", "!", "filesink",
                "location=" + out])
    ex.check(r.returncode == 0, "decoding %s failed" % png)
    return open(out, "rb").read()


def main():
    model = ex.real_model() or ex.FIXTURE
    with tempfile.TemporaryDirectory() as tmp:
        if ex.shared_data() is not None:
            photo = os.path.join(ex.shared_data(), "images", "cat.png")
            w, h = 512, 341
        else:
            photo = os.path.join(tmp, "photo.png")
            w, h = 320, 240
            r = ex.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=1", "!",
                        "video/x-raw,width=%d,height=%d" % (w, h), "!", "pngenc", "!",
                        "filesink", "location=" + photo])
            ex.check(r.returncode == 0, "making the photo failed")
        out = os.path.join(tmp, "annotated.png")
        r = ex.run([os.path.join(ex.EXAMPLES, "screenshot.sh"), photo, model, out])
        ex.check(r.returncode == 0, "screenshot.sh failed")
        a = gray(photo, os.path.join(tmp, "a.gray"))
        b = gray(out, os.path.join(tmp, "b.gray"))
    ex.check(len(a) == len(b) == w * h, "sizes %d, %d, want %d" % (len(a), len(b), w * h))
    rows = [y for y in range(h) if a[y * w:(y + 1) * w] != b[y * w:(y + 1) * w]]
    ex.check(0 < len(rows) < h // 2, "%d of %d rows changed" % (len(rows), h))
    print("annotated %dx%d PNG, rows %d..%d carry the label" % (w, h, rows[0], rows[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
