#!/usr/bin/python3
# mnv3classify: tests/examples/test-file-annotate.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs examples/file-annotate.sh on a short Motion-JPEG AVI made for the test (the real photo
cat_720p.jpg held for 10 frames when the shared data exists, else videotestsrc). The output must
decode to the same number of frames of the same size, each differing from the input frame (the
drawn labels) in part of the frame only.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import examplelib as ex  # noqa: E402

N = 10


def decode(path, out):
    r = ex.run(["gst-launch-1.0", "-q", "filesrc", "location=" + path, "!", "decodebin", "!",
                "videoconvert", "!", "video/x-raw,format=GRAY8", "!", "filesink", "location=" + out])
    ex.check(r.returncode == 0, "decoding %s failed" % path)
    return open(out, "rb").read()


def main():
    data = ex.shared_data()
    model = ex.real_model() or ex.FIXTURE
    if data is not None:
        src = ["filesrc", "location=" + os.path.join(data, "images", "cat_720p.jpg"), "!",
               "jpegdec", "!", "imagefreeze", "num-buffers=%d" % N]
        w, h = 1280, 720
    else:
        src = ["videotestsrc", "num-buffers=%d" % N, "pattern=smpte"]
        w, h = 640, 360
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "in.avi")
        out = os.path.join(tmp, "annotated.avi")
        r = ex.run(["gst-launch-1.0", "-q"] + src +
                   ["!", "video/x-raw,width=%d,height=%d,framerate=10/1" % (w, h), "!",
                    "videoconvert", "!", "jpegenc", "!", "avimux", "!", "filesink",
                    "location=" + inp])
        ex.check(r.returncode == 0, "making the input failed")
        r = ex.run([os.path.join(ex.EXAMPLES, "file-annotate.sh"), inp, out, model])
        ex.check(r.returncode == 0, "file-annotate.sh failed")
        a = decode(inp, os.path.join(tmp, "in.gray"))
        b = decode(out, os.path.join(tmp, "out.gray"))
    frame = w * h
    ex.check(len(a) == N * frame, "input: %d bytes, want %d" % (len(a), N * frame))
    ex.check(len(b) == len(a), "output: %d bytes (%.2f frames), want %d frames"
             % (len(b), len(b) / frame, N))
    for f in range(N):
        # JPEG re-encoding changes every row a little: count rows that changed a lot
        rows = 0
        for y in range(h):
            o = f * frame + y * w
            if sum(abs(a[o + x] - b[o + x]) > 40 for x in range(0, w, 2)) > 4:
                rows += 1
        ex.check(0 < rows < h // 2, "frame %d: %d of %d rows changed" % (f, rows, h))
    print("%d frames of %dx%d, each annotated (last: %d rows changed)" % (N, w, h, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
