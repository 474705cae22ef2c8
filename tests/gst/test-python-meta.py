#!/usr/bin/python3
# mnv3classify: tests/gst/test-python-meta.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The Mnv3Classification custom meta is readable from Python (PyGObject, Debian python3-gi,
GStreamer 1.22) with nothing of ours installed:

    buf.get_custom_meta("Mnv3Classification").get_structure()

A pad probe after mnv3classify reads every field and prints the label. Runs with a committed
fixture model (embedded labels) always, and with the real MobileNetV3-Small on cat.png when the
shared data folder is present (the label must be TFLite's top-1, "Egyptian cat").
"""
import os
import subprocess
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def run(description, n_expected):
    """Runs @description (with a fakesink named sink), returns the structures read in the probe."""
    pipeline = Gst.parse_launch(description)
    seen = []

    def probe(pad, info):
        buf = info.get_buffer()
        meta = buf.get_custom_meta("Mnv3Classification")
        assert meta is not None, "no Mnv3Classification meta on the buffer"
        s = meta.get_structure()
        labels = s.get_value("labels")
        ids = list(s.get_value("class-ids"))
        scores = list(s.get_value("scores"))
        rec = {
            "labels": labels, "class-ids": ids, "scores": scores,
            "top-label": s.get_value("top-label"), "top-class-id": s.get_value("top-class-id"),
            "top-score": s.get_value("top-score"), "fresh": s.get_value("fresh"),
            "age-frames": s.get_value("age-frames"), "source-pts": s.get_value("source-pts"),
            "inference-us": s.get_value("inference-us"), "model": s.get_value("model"),
            "roi": list(s.get_value("roi")),
        }
        seen.append(rec)
        print("label: %s (%.3f), class %d, fresh %s" % (rec["top-label"], rec["top-score"],
                                                       rec["top-class-id"], rec["fresh"]))
        return Gst.PadProbeReturn.OK

    sink = pipeline.get_by_name("sink")
    sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(60 * Gst.SECOND,
                                                Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    assert msg is not None, "timeout"
    assert msg.type == Gst.MessageType.EOS, msg.parse_error()
    assert len(seen) == n_expected, "%d buffers, want %d" % (len(seen), n_expected)

    for rec in seen:
        assert isinstance(rec["labels"], list) and all(isinstance(x, str) for x in rec["labels"])
        assert all(isinstance(x, int) for x in rec["class-ids"])
        assert all(isinstance(x, float) for x in rec["scores"])
        assert len(rec["labels"]) == len(rec["class-ids"]) == len(rec["scores"]) > 0
        assert rec["scores"] == sorted(rec["scores"], reverse=True)
        assert rec["top-label"] == rec["labels"][0]
        assert rec["top-class-id"] == rec["class-ids"][0]
        assert abs(rec["top-score"] - rec["scores"][0]) < 1e-12
        assert isinstance(rec["model"], str) and rec["model"]
        assert len(rec["roi"]) == 4
        assert isinstance(rec["inference-us"], int) and isinstance(rec["age-frames"], int)
    return seen


def main():
    Gst.init(None)
    fixture = os.path.join(os.environ["MNV3_FIXTURES"], "fixtures",
                           "small-min-tfsame-labels.safetensors")
    seen = run("videotestsrc num-buffers=6 ! video/x-raw,format=NV12,width=320,height=240 ! "
               "mnv3classify model-file=%s inference-interval=2 ! fakesink name=sink" % fixture, 6)
    assert [r["fresh"] for r in seen] == [True, False] * 3
    assert [r["age-frames"] for r in seen] == [0, 1] * 3
    assert not any(r["top-label"].startswith("class ") for r in seen), "embedded labels unused"

    conv = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "real-model.py"),
                           "v3-small_224_1.0_uint8"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if conv.returncode == 77:
        print("real-model part skipped: " + conv.stderr.strip())
        return 0
    assert conv.returncode == 0, conv.stderr
    data = os.path.join(os.environ.get("MNV3_SHARED_DATA") or
                        os.environ["MNV3_SHARED_DATA_DEFAULT"], "mobilenet_v3")
    seen = run("filesrc location=%s ! decodebin ! imagefreeze num-buffers=2 ! "
               "mnv3classify model-file=%s labels-file=%s crop-mode=stretch ! fakesink name=sink"
               % (os.path.join(data, "images", "cat.png"), conv.stdout.strip(),
                  os.path.join(data, "labels", "imagenet_labels_1001.txt")), 2)
    assert seen[0]["top-label"] == "Egyptian cat", seen[0]["top-label"]
    assert seen[0]["top-class-id"] == 286
    return 0


if __name__ == "__main__":
    sys.exit(main())
