#!/usr/bin/python3
# mnv3classify: examples/read-meta.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Example: read mnv3classify's results from Python (Debian python3-gi + python3-gst-1.0,
GStreamer 1.22), both from the buffer meta and from the bus messages.

usage: read-meta.py [PIPELINE]     (PIPELINE needs an element named "sink")
default: videotestsrc num-buffers=30 ! mnv3classify ! fakesink name=sink
"""
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


_print_lock = threading.Lock()


def say(line):
    """print() from two threads (pad probe: streaming thread; bus: main thread) can interleave."""
    with _print_lock:
        print(line, flush=True)


def on_buffer(pad, info):
    """Pad probe: the Mnv3Classification custom meta of each buffer (see README.md for fields)."""
    buf = info.get_buffer()
    meta = buf.get_custom_meta("Mnv3Classification")
    if meta is None:
        say("no classification")
        return Gst.PadProbeReturn.OK
    s = meta.get_structure()
    labels = s.get_value("labels")            # list of str, best first
    scores = list(s.get_value("scores"))      # Gst.ValueArray -> list of float
    ids = list(s.get_value("class-ids"))      # Gst.ValueArray -> list of int
    x, y, w, h = list(s.get_value("roi"))     # region the model saw, in pixels
    pts = buf.pts / Gst.SECOND if buf.pts != Gst.CLOCK_TIME_NONE else -1
    say("%.3f s %s (%s model, %dx%d at %d,%d, %d us): %s" % (
        pts, "fresh" if s.get_value("fresh") else
        "carried %d frames" % s.get_value("age-frames"),
        s.get_value("model"), w, h, x, y, s.get_value("inference-us"),
        ", ".join('%d "%s" %.3f' % r for r in zip(ids, labels, scores))))
    return Gst.PadProbeReturn.OK


def on_message(msg):
    """Bus: the element's "mnv3classify" messages (by default when the top-1 class changes)."""
    s = msg.get_structure()
    if s is None or s.get_name() != "mnv3classify":
        return
    labels = list(s.get_value("labels"))       # Gst.ValueArray of str here, not a GStrv
    scores = list(s.get_value("scores"))
    rt = s.get_value("running-time")
    say("bus: at running time %.3f s the top-1 is \"%s\" %.3f (from %s)" % (
        rt / Gst.SECOND if rt != Gst.CLOCK_TIME_NONE else -1,
        labels[0] if labels else "", scores[0] if scores else 0.0, msg.src.get_name()))


def main():
    Gst.init(None)
    desc = sys.argv[1] if len(sys.argv) > 1 else \
        "videotestsrc num-buffers=30 ! mnv3classify ! fakesink name=sink"
    pipeline = Gst.parse_launch(desc)
    pipeline.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER,
                                                                  on_buffer)
    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    ret = 0
    while True:
        msg = bus.timed_pop_filtered(Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS |
                                     Gst.MessageType.ERROR | Gst.MessageType.ELEMENT)
        if msg.type == Gst.MessageType.ELEMENT:
            on_message(msg)
            continue
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print("Error: %s\n%s" % (err.message, dbg), file=sys.stderr)
            ret = 1
        break
    pipeline.set_state(Gst.State.NULL)
    return ret


if __name__ == "__main__":
    sys.exit(main())
