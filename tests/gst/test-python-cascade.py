#!/usr/bin/python3
# mnv3classify: tests/gst/test-python-cascade.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Cascaded classifiers read from Python (PyGObject, Debian python3-gi, GStreamer 1.22), issue 12.

A first mnv3classify (full frame, attribute-name=detector) stands in for a detector: its
GstVideoRegionOfInterestMeta is the box. Two more, roi-source=roi-meta with attribute-name=color
and attribute-name=make, classify that same box. In Python:

    meta = buf.get_custom_meta("Mnv3Classification")   # one of them (see below)
    s = meta.get_structure()                            # s["attribute"]: which classifier
    roi = GstVideo.buffer_get_video_region_of_interest_meta_id(buf, s.get_value("roi-id"))
    roi.get_param("color"), roi.get_param("make")      # one param structure per classifier

PyGObject on 1.22 cannot walk several metas of one API (get_custom_meta gives one; C has
gst_mnv3_classification_get_by_attribute ()), so from Python the ROI meta's params are the way to
read every classifier of a box, also after videoconvert/videoscale. A tee branch after videoconvert ! videoscale (half size) reads the
custom meta and the same three params, with the custom meta's `roi` and the ROI meta's box rescaled
(GStreamer 1.22's ROI meta transform drops the params there; ours restores them).
"""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import Gst, GstVideo  # noqa: E402

ATTRS = ("detector", "color", "make")


def read(buf):
    """The buffer's ROI boxes with their params per attribute, and its first custom meta."""
    meta = buf.get_custom_meta("Mnv3Classification")
    assert meta is not None, "no Mnv3Classification meta"
    s = meta.get_structure()
    custom = {"attribute": s.get_value("attribute"), "roi": tuple(s.get_value("roi")),
              "roi-id": s.get_value("roi-id"), "top-label": s.get_value("top-label"),
              "top-class-id": s.get_value("top-class-id")}
    # the ROI meta it belongs to, by the roi-id it carries
    roi = GstVideo.buffer_get_video_region_of_interest_meta_id(buf, custom["roi-id"])
    assert roi is not None, "no ROI meta with id %d" % custom["roi-id"]
    box = (roi.x, roi.y, roi.w, roi.h)
    params = {}
    for a in ATTRS:
        p = roi.get_param(a)
        if p is not None:
            params[a] = (p.get_value("label"), p.get_value("label_id"),
                         p.get_value("confidence"), list(p.get_value("labels")))
    assert roi.get_param("classification") is None, "a default-named param beside the three"
    return {"box": box, "id": roi.id, "params": params, "custom": custom}


def main():
    Gst.init(None)
    model = os.path.join(os.environ["MNV3_FIXTURES"], "fixtures",
                         "small-min-tfsame-labels.safetensors")
    common = "model-file=%s mode=sync overlay=false top-k=3" % model
    desc = ("videotestsrc num-buffers=2 ! video/x-raw,format=RGB,width=320,height=240 ! "
            "mnv3classify %s attribute-name=detector ! "
            "mnv3classify %s roi-source=roi-meta attribute-name=color ! "
            "mnv3classify %s roi-source=roi-meta attribute-name=make ! tee name=t "
            "t. ! queue ! fakesink name=full "
            "t. ! queue ! videoconvert ! videoscale ! video/x-raw,format=I420,width=160,height=120 "
            "! fakesink name=half" % (common, common, common))
    pipeline = Gst.parse_launch(desc)
    seen = {"full": [], "half": []}

    def probe(pad, info, name):
        seen[name].append(read(info.get_buffer()))
        return Gst.PadProbeReturn.OK

    for name in seen:
        pipeline.get_by_name(name).get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER, probe, name)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(60 * Gst.SECOND,
                                                Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    assert msg is not None, "timeout"
    assert msg.type == Gst.MessageType.EOS, msg.parse_error()
    assert len(seen["full"]) == 2 and len(seen["half"]) == 2, seen

    for full, half in zip(seen["full"], seen["half"]):
        print("box %r id %d: %s" % (full["box"], full["id"],
                                    ", ".join("%s=%s" % (a, full["params"][a][0]) for a in ATTRS)))
        # crop-mode=center: the centred 240x240 square, halved in the scaled branch
        assert full["box"] == (40, 0, 240, 240), full["box"]
        assert half["box"] == (20, 0, 120, 120), half["box"]
        for a in ATTRS:
            assert a in full["params"], "ROI %d has no %s param" % (full["id"], a)
            label, label_id, conf, labels = full["params"][a]
            assert isinstance(label, str) and label and not label.startswith("class ")
            assert labels[0] == label and 0 < conf <= 1
            # GStreamer 1.22's ROI meta scale transform (videoscale, and videoconvert, which
            # is videoconvertscale there) drops the params; the custom meta's transform puts
            # them back
            assert half["params"].get(a) == full["params"][a], (a, half["params"])
        # the same model on the same box: the three agree
        assert full["params"]["color"][:2] == full["params"]["make"][:2]
        assert full["params"]["detector"][:2] == full["params"]["make"][:2]
        c, hc = full["custom"], half["custom"]
        assert c["attribute"] in ATTRS, c
        assert c["roi"] == full["box"] and c["roi-id"] == full["id"], c
        assert c["top-label"] == full["params"][c["attribute"]][0]
        assert hc["attribute"] == c["attribute"] and hc["roi"] == half["box"], hc
        assert hc["roi-id"] == half["id"]
    return 0


if __name__ == "__main__":
    sys.exit(main())
