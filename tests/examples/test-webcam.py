#!/usr/bin/python3
# mnv3classify: tests/examples/test-webcam.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs examples/webcam.sh with stand-ins: SRC = videotestsrc in YUY2 640x480 (what webcams
deliver), SINK = a raw RGB filesink instead of the window. The script must succeed and the frames
it shows must be the source frames with the label drawn on them: compared with the same source
converted by videoconvert alone, pixels differ, and only inside a box that is a part of the frame.
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import examplelib as ex  # noqa: E402

W, H, N = 640, 480, 10
SRC = ("videotestsrc num-buffers=%d pattern=smpte ! "
       "video/x-raw,format=YUY2,width=%d,height=%d,framerate=30/1" % (N, W, H))


def main():
    model = ex.real_model() or ex.FIXTURE
    with tempfile.TemporaryDirectory() as tmp:
        shown = os.path.join(tmp, "shown.rgb")
        plain = os.path.join(tmp, "plain.rgb")
        r = ex.run([os.path.join(ex.EXAMPLES, "webcam.sh"), model],
                   env={"SRC": SRC, "SINK": "video/x-raw,format=RGB ! filesink location=" + shown})
        ex.check(r.returncode == 0, "webcam.sh failed")
        r = ex.run(["gst-launch-1.0", "-q"] + SRC.split() +
                   ["!", "videoconvert", "!", "video/x-raw,format=RGB", "!",
                    "filesink", "location=" + plain])
        ex.check(r.returncode == 0, "reference pipeline failed")
        a = open(shown, "rb").read()
        b = open(plain, "rb").read()
    frame = W * H * 3
    ex.check(len(a) == len(b) == N * frame, "%d and %d bytes, want %d" % (len(a), len(b), N * frame))
    for f in range(N):
        rows = [y for y in range(H)
                if a[f * frame + y * W * 3:f * frame + (y + 1) * W * 3] !=
                b[f * frame + y * W * 3:f * frame + (y + 1) * W * 3]]
        ex.check(rows, "frame %d: no overlay drawn" % f)
        ex.check(len(rows) < H // 2, "frame %d: %d of %d rows changed, more than a label" %
                 (f, len(rows), H))
    print("overlay on all %d frames, rows %d..%d of %d changed in the last" %
          (N, rows[0], rows[-1], H))
    return 0


if __name__ == "__main__":
    sys.exit(main())
