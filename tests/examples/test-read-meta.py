#!/usr/bin/python3
# mnv3classify: tests/examples/test-read-meta.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs the meta readers of examples/: the C program (build/examples/mnv3-read-meta, helpers of
mnv3classify-meta.h) with argument "c", read-meta.py with "python".

1. Fixture model, NV12 frames, inference-interval=2: one line per frame, fresh and carried in
   turn, five results best first, a carried frame repeats the fresh one before it. The Python
   program must also print the bus message, naming the same top-1 label.
2. With the shared data: the real MobileNetV3-Small on cat.png must print class 286 "Egyptian cat"
   first, the class google-coral's own tests expect for this photo.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import examplelib as ex  # noqa: E402

RESULT = re.compile(r'(-?\d+) "([^"]*)" ([0-9.]+)')
LINE = {
    "c": re.compile(r"^\d+:\d\d:\d\d\.\d+ (fresh|carried): (.*)$"),
    "python": re.compile(r"^-?[0-9.]+ s (fresh|carried) ?(?:\d+ frames)? \(.*\): (.*)$"),
}
BUS = re.compile(r'^bus: at running time [0-9.]+ s the top-1 is "([^"]*)" ([0-9.]+) ')


def run(lang, pipeline):
    if lang == "c":
        cmd = [os.path.join(ex.EXAMPLES_BUILD, "mnv3-read-meta"), pipeline]
    else:
        cmd = ["/usr/bin/python3", os.path.join(ex.EXAMPLES, "read-meta.py"), pipeline]
    r = ex.run(cmd)
    ex.check(r.returncode == 0, "the example failed")
    frames, bus = [], []
    for line in r.stdout.splitlines():
        m = LINE[lang].match(line)
        if m:
            results = [(int(i), lab, float(sc)) for i, lab, sc in RESULT.findall(m.group(2))]
            frames.append((m.group(1) == "fresh", results))
            continue
        m = BUS.match(line)
        ex.check(m is not None, "unexpected line %r" % line)
        bus.append(m.group(1))
    return frames, bus


def main():
    lang = sys.argv[1]
    frames, bus = run(lang, "videotestsrc num-buffers=6 ! "
                      "video/x-raw,format=NV12,width=320,height=240 ! "
                      "mnv3classify model-file=%s inference-interval=2 ! fakesink name=sink"
                      % ex.FIXTURE)
    ex.check(len(frames) == 6, "%d frame lines, want 6" % len(frames))
    ex.check([f for f, _ in frames] == [True, False] * 3, "fresh/carried order wrong")
    for i, (fresh, results) in enumerate(frames):
        ex.check(len(results) == 5, "frame %d: %d results, want top-k=5" % (i, len(results)))
        scores = [s for _, _, s in results]
        ex.check(scores == sorted(scores, reverse=True), "frame %d: not best first" % i)
        ex.check(all(0 <= s <= 1 for s in scores), "frame %d: score out of 0..1" % i)
        ex.check(fresh or results == frames[i - 1][1], "frame %d: carried result differs" % i)
    if lang == "python":
        ex.check(len(bus) >= 1, "no bus message printed")
        ex.check(bus[0] == frames[0][1][0][1], "bus says %r, meta %r" % (bus[0], frames[0][1][0]))

    model = ex.real_model()
    if model is None:
        return 0
    cat = os.path.join(ex.shared_data(), "images", "cat.png")
    frames, bus = run(lang, "filesrc location=%s ! decodebin ! imagefreeze num-buffers=2 ! "
                      "mnv3classify model-file=%s crop-mode=stretch ! fakesink name=sink"
                      % (cat, model))
    ex.check(len(frames) == 2, "%d frame lines, want 2" % len(frames))
    top = frames[0][1][0]
    ex.check(top[:2] == (286, "Egyptian cat"), "real model on cat.png: %r" % (top,))
    if lang == "python":
        ex.check(bus and bus[0] == "Egyptian cat", "bus: %r" % bus)
    print("real model on cat.png: %d %s %.3f" % top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
