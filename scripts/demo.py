#!/usr/bin/python3
# mnv3classify demo: classifies real photos and a short video made from them
# with the built plugin, prints the labels from the element's bus messages
# and writes annotated PNGs and an annotated video into out/.
#
# Usage: scripts/demo.py [PHOTO ...]   (default: photos from ../shared/data,
# else GStreamer test patterns). Run through scripts/demo, which builds the
# plugin and fetches a model first.
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("MNV3_BUILD", os.path.join(ROOT, "build"))
MODEL = os.environ.get("MNV3_DEMO_MODEL",
                       os.path.join(BUILD, "models", "mnv3-default.safetensors"))
OUT = os.path.join(ROOT, "out")


def run(description, on_result=None, timeout_s=120):
    """Runs a pipeline to EOS, calling on_result(structure) per element
    message from mnv3classify. Raises on error."""
    pipeline = Gst.parse_launch(description)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    try:
        while True:
            msg = bus.timed_pop_filtered(
                timeout_s * Gst.SECOND,
                Gst.MessageType.ERROR | Gst.MessageType.EOS |
                Gst.MessageType.ELEMENT | Gst.MessageType.WARNING)
            if msg is None:
                raise RuntimeError("pipeline timed out: " + description)
            if msg.type == Gst.MessageType.ERROR:
                err, dbg = msg.parse_error()
                raise RuntimeError("%s\n%s" % (err.message, dbg))
            if msg.type == Gst.MessageType.WARNING:
                err, _ = msg.parse_warning()
                print("  warning:", err.message)
            if msg.type == Gst.MessageType.EOS:
                break
            s = msg.get_structure()
            if (msg.type == Gst.MessageType.ELEMENT and s is not None
                    and s.get_name() == "mnv3classify" and on_result):
                on_result(s)
    finally:
        pipeline.set_state(Gst.State.NULL)


def top(s, n=3):
    labels = s.get_value("labels") or []
    scores = s.get_value("scores") or []
    return ", ".join("%s %.1f%%" % (label.split(",")[0], 100 * float(score))
                     for label, score in list(zip(labels, scores))[:n])


def main():
    Gst.init(None)
    if Gst.ElementFactory.find("mnv3classify") is None:
        sys.exit("mnv3classify not found: set GST_PLUGIN_PATH to build/gst "
                 "(scripts/demo does this)")
    if not os.path.exists(MODEL):
        sys.exit("no model at %s: run scripts/get-model" % MODEL)
    os.makedirs(OUT, exist_ok=True)

    shared = os.environ.get("MNV3_SHARED_DATA",
                            os.path.join(ROOT, "..", "shared", "data"))
    images = os.path.join(shared, "mobilenet_v3", "images")
    photos = sys.argv[1:] or [os.path.join(images, p) for p in
                              ("cat.png", "grace_hopper.png", "bird.png",
                               "sunflower.png")
                              if os.path.exists(os.path.join(images, p))]
    el = "mnv3classify model-file=\"%s\" message=every-result" % MODEL

    print("\n== Photos (model %s)" % MODEL)
    for photo in photos:
        name = os.path.splitext(os.path.basename(photo))[0]
        png = os.path.join(OUT, name + "-annotated.png")
        results = []
        run('filesrc location="%s" ! decodebin ! videoconvert ! '
            'imagefreeze num-buffers=1 ! %s crop-mode=stretch ! videoconvert ! '
            'pngenc ! filesink location="%s"' % (photo, el, png),
            results.append)
        print("%-18s %s" % (name, top(results[-1]) if results else "(no result)"))
        print("%-18s -> %s" % ("", png))

    # A short video: each photo shown for 1 s at 640x480, 30 fps, labels
    # drawn by the element, MJPEG in AVI (plays everywhere).
    avi = os.path.join(OUT, "demo-annotated.avi")
    print("\n== Video (%d frames)" % (30 * max(len(photos), 1)))
    if photos:
        branches = " ".join(
            'filesrc location="%s" ! decodebin ! videoconvert ! videoscale ! '
            'video/x-raw,format=I420,width=640,height=480,pixel-aspect-ratio=1/1 ! '
            'imagefreeze num-buffers=30 ! video/x-raw,framerate=30/1 ! c.' % p
            for p in photos)
        src = "concat name=c ! %s ! " % el
        desc = ("%s videoconvert ! jpegenc ! avimux ! filesink location=\"%s\" %s"
                % (src, avi, branches))
    else:
        desc = ("videotestsrc num-buffers=90 ! video/x-raw,width=640,height=480,"
                "framerate=30/1 ! %s ! videoconvert ! jpegenc ! avimux ! "
                "filesink location=\"%s\"" % (el, avi))
    changes = []

    def on_video(s):
        label = (s.get_value("labels") or ["(none)"])[0]
        if not changes or changes[-1][1] != label:
            changes.append((s.get_value("running-time"), label, top(s, 1)))
    run(desc, on_video)
    for ts, _, text in changes:
        print("  %7.3f s  %s" % (ts / Gst.SECOND if ts is not None and ts >= 0 else 0, text))
    print("  -> %s" % avi)
    print("\nDone. Annotated files are in %s" % OUT)


if __name__ == "__main__":
    main()
