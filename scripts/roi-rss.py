#!/usr/bin/python3
# mnv3classify: scripts/roi-rss.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Peak RSS of a pipeline with many ROI boxes per buffer (issue 16.4).

usage: scripts/roi-rss.py [--build DIR] [--model FILE] [--frames N] [--boxes N] [--mode M]

Each case runs in its own process (peak RSS = ru_maxrss of that process): appsrc pushes N 320x240
RGB frames, each carrying --boxes GstVideoRegionOfInterestMeta (distinct 8x8 boxes, tiled), through
mnv3classify (overlay=false) into fakesink. Cases: no boxes with roi-source=full-frame (the
baseline), the boxes with roi-source=full-frame (what the boxes alone cost), the boxes with roi-source=roi-meta at the default max-rois, and (--unbounded) with
max-rois=0. Prints one line per case and the difference to the baseline in MB.
"""
import argparse
import os
import resource
import subprocess
import sys


def run_case(args, boxes, props):
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstVideo", "1.0")
    from gi.repository import Gst, GstVideo

    Gst.init(None)
    w, h = 320, 240
    pipe = Gst.parse_launch(
        "appsrc name=src format=time caps=video/x-raw,format=RGB,width=%d,height=%d,framerate=30/1 "
        "! mnv3classify name=c model-file=\"%s\" overlay=false mode=%s %s ! fakesink sync=false"
        % (w, h, args.model, args.mode, props))
    src = pipe.get_by_name("src")
    pipe.set_state(Gst.State.PLAYING)
    data = bytes(range(256)) * (w * h * 3 // 256)
    for f in range(args.frames):
        buf = Gst.Buffer.new_wrapped(data)
        buf.pts = f * Gst.SECOND // 30
        buf.duration = Gst.SECOND // 30
        for i in range(boxes):
            GstVideo.buffer_add_video_region_of_interest_meta(
                buf, "o", (i * 8) % w, (i * 8 // w * 8) % h, 8, 8)
        src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    msg = pipe.get_bus().timed_pop_filtered(600 * Gst.SECOND,
                                            Gst.MessageType.EOS | Gst.MessageType.ERROR)
    if msg is None or msg.type != Gst.MessageType.EOS:
        print("pipeline failed: %s" % (msg.parse_error() if msg else "timeout"), file=sys.stderr)
        sys.exit(1)
    c = pipe.get_by_name("c")
    skipped = c.get_property("rois-skipped")
    pipe.set_state(Gst.State.NULL)
    print("%d %d" % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, skipped))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(here, "..", "build"))
    ap.add_argument("--model")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--boxes", type=int, default=10000)
    ap.add_argument("--mode", default="async")
    ap.add_argument("--unbounded", action="store_true")
    ap.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.model is None:
        args.model = os.path.join(args.build, "models", "mnv3-default.safetensors")
    if args.case:
        run_case(args, int(args.case[0]), args.case[1])
        return
    env = dict(os.environ)
    env["GST_PLUGIN_PATH_1_0"] = os.path.join(args.build, "gst")
    cases = [("no boxes, full-frame", 0, "roi-source=full-frame"),
             ("%d boxes, full-frame" % args.boxes, args.boxes, "roi-source=full-frame"),
             ("%d boxes, roi-meta, default max-rois" % args.boxes, args.boxes, "roi-source=roi-meta")]
    if args.unbounded:
        cases.append(("%d boxes, roi-meta, max-rois=0" % args.boxes, args.boxes,
                      "roi-source=roi-meta max-rois=0"))
    base = None
    for name, boxes, props in cases:
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--build", args.build,
                              "--model", args.model, "--frames", str(args.frames), "--mode",
                              args.mode, "--case", str(boxes), props],
                             env=env, capture_output=True, text=True)
        if out.returncode != 0:
            print("%s: failed: %s" % (name, out.stderr.strip()[-400:]))
            sys.exit(1)
        kb, skipped = (int(x) for x in out.stdout.split()[-2:])
        base = kb if base is None else base
        print("%-45s peak RSS %7.1f MB  (+%6.1f MB)  rois-skipped %d"
              % (name, kb / 1024, (kb - base) / 1024, skipped))


if __name__ == "__main__":
    main()
