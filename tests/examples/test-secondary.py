#!/usr/bin/python3
# mnv3classify: tests/examples/test-secondary.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs build/examples/mnv3-secondary-classify: a pad probe standing in for a detector attaches
GstVideoRegionOfInterestMeta boxes, mnv3classify roi-source=roi-meta classifies each box.

1. Fixture model, videotestsrc, the program's two default boxes: every box is printed with its
   id, type and geometry, and carries a "classification" param with a label.
2. With the shared data: cat.png and bird.png side by side in one 1024x343 frame (compositor),
   one box over each photo, crop-mode=stretch. The boxes must be classified as google-coral's
   tests expect for these photos: 286 "Egyptian cat" and 20 "chickadee".

SKIPs when the element has no roi-source property (an older build of the plugin).
"""
import os
import re
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import examplelib as ex  # noqa: E402

ROI = re.compile(r'^  roi (-?\d+) (\S+) (\d+),(\d+) (\d+)x(\d+): (?:(-?\d+) "([^"]*)" ([0-9.]+)'
                 r'|not classified|other attributes)$')
ATTR = re.compile(r'^    (\S+): (-?\d+) "([^"]*)" ([0-9.]+)$')


def run(pipeline, boxes):
    r = ex.run([os.path.join(ex.EXAMPLES_BUILD, "mnv3-secondary-classify"), pipeline] + boxes)
    ex.check(r.returncode == 0, "the example failed")
    frames = []
    for line in r.stdout.splitlines():
        if line.startswith("    "):
            m = ATTR.match(line)
            ex.check(m is not None and frames and frames[-1], "unexpected line %r" % line)
            frames[-1][-1] += (m.groups(),)
        elif line.startswith("  "):
            m = ROI.match(line)
            ex.check(m is not None and frames, "unexpected line %r" % line)
            frames[-1].append(m.groups())
        else:
            frames.append([])
    return frames


def main():
    Gst.init(None)
    factory = Gst.ElementFactory.find("mnv3classify")
    ex.check(factory is not None, "mnv3classify not found")
    element = factory.create(None)
    if element.find_property("roi-source") is None:
        print("SKIP: this mnv3classify has no roi-source property "
              "(gst-inspect-1.0 mnv3classify does not list it)")
        return ex.SKIP

    frames = run("videotestsrc num-buffers=3 ! video/x-raw,width=640,height=480 ! "
                 "identity name=detector ! mnv3classify roi-source=roi-meta model-file=%s ! "
                 "fakesink name=sink" % ex.FIXTURE, [])
    ex.check(len(frames) == 3, "%d frames, want 3" % len(frames))
    for i, rois in enumerate(frames):
        ex.check([(r[0], r[1], r[2:6]) for r in rois] ==
                 [("1", "left-half", ("0", "0", "320", "480")),
                  ("2", "bottom-right", ("320", "240", "320", "240"))],
                 "frame %d: boxes %r" % (i, rois))
        ex.check(all(r[6] is not None and r[7] for r in rois), "frame %d: box not classified" % i)

    # cascaded classifiers (attribute-name): both results under each box, the
    # default-named param absent
    frames = run("videotestsrc num-buffers=2 ! video/x-raw,width=640,height=480 ! "
                 "identity name=detector ! "
                 "mnv3classify roi-source=roi-meta attribute-name=color overlay=false "
                 "model-file=%s ! "
                 "mnv3classify roi-source=roi-meta attribute-name=make model-file=%s ! "
                 "fakesink name=sink" % (ex.FIXTURE, ex.FIXTURE), [])
    ex.check(len(frames) == 2, "%d frames, want 2" % len(frames))
    for i, rois in enumerate(frames):
        ex.check([r[1] for r in rois] == ["left-half", "bottom-right"], "cascade boxes %r" % rois)
        for r in rois:
            ex.check(r[6] is None and len(r) == 11,
                     "frame %d: want two attribute lines, got %r" % (i, r))
            attrs = r[9:]
            ex.check([a[0] for a in attrs] == ["color", "make"], "attributes %r" % (attrs,))
            # the first one draws nothing (overlay=false): the second sees the same pixels
            ex.check(attrs[0][1:4] == attrs[1][1:4] and attrs[0][2],
                     "same model, same box, different results: %r" % (attrs,))
    print("cascade: color and make on each box")

    model = ex.real_model()
    if model is None:
        return 0
    images = os.path.join(ex.shared_data(), "images")
    frames = run("compositor name=c sink_1::xpos=512 ! "
                 "video/x-raw,format=RGBA,width=1024,height=343 ! identity name=detector ! "
                 "mnv3classify roi-source=roi-meta crop-mode=stretch model-file=%s ! "
                 "fakesink name=sink "
                 "filesrc location=%s ! decodebin ! videoconvert ! imagefreeze num-buffers=2 ! "
                 "c.sink_0 "
                 "filesrc location=%s ! decodebin ! videoconvert ! imagefreeze num-buffers=2 ! "
                 "c.sink_1" % (model, os.path.join(images, "cat.png"),
                               os.path.join(images, "bird.png")),
                 ["0,0,512,341:cat-box", "512,0,512,343:bird-box"])
    ex.check(len(frames) == 2, "%d frames, want 2" % len(frames))
    for rois in frames:
        got = [(r[1], r[6], r[7]) for r in rois]
        ex.check(got == [("cat-box", "286", "Egyptian cat"), ("bird-box", "20", "chickadee")],
                 "real model: %r" % got)
    print("real model: cat box -> Egyptian cat, bird box -> chickadee")
    return 0


if __name__ == "__main__":
    sys.exit(main())
