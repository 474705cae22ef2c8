#!/usr/bin/python3
# mnv3classify: tests/preprocess/test-formats-e2e.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end format tests of mnv3classify (issue 12), with files made at test time.

1. raw: every format of the element's sink template (read from gst-inspect-1.0) from
   videotestsrc through decodebin into mnv3classify at an odd size: it negotiates that very
   format (nothing converts it) and every frame gets a result.
2. files: H.264 .mp4 from x264enc (4:2:0, 4:2:2, 4:4:4, 10-bit 4:2:0 and 4:4:4) and MJPEG 4:2:2
   in .avi from jpegenc, each decoded by decodebin straight into mnv3classify with the README's
   file-annotation line (... ! decodebin ! mnv3classify ! videoconvert ! jpegenc ! avimux !
   filesink): it succeeds, the decoder's format reaches the element, the output .avi has every
   frame. A case whose encoder or decoder is not installed is skipped and said so; if every case
   is skipped the test says SKIP (77).
3. real photos (only with the shared data folder): each photo converted by videoconvert to every
   format, classified with the real model; top-1 must equal the RGB input's top-1, except on a
   near tie of the RGB input (top-2 within 0.1), where it must be one of the RGB input's top two.
   The grey formats are compared with the RGB input of the photo made grey first (a grey photo
   may well be another class). The PNG photos only; `--table` takes every photo and prints the
   per-format summary used in the issue's acceptance table.

usage: test-formats-e2e.py BUILD_ROOT SOURCE_ROOT FIXTURE_MODEL [--table]
"""
import os
import re
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

build, src, fixture = sys.argv[1:4]
table = "--table" in sys.argv
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, flush=True)


def template_formats():
    out = subprocess.run(["gst-inspect-1.0", "mnv3classify"], capture_output=True, text=True,
                         check=True).stdout
    sink = out[out.index("SINK template"):]
    m = re.search(r"format: \{ ([^}]*) \}", sink)
    return [f.strip().replace("(string)", "") for f in m.group(1).split(",")]


def run(desc, timeout=60):
    """Runs a pipeline to EOS; returns (ok, error text, sink format of mnv3classify0,
    list of (labels, scores) of the mnv3classify messages)."""
    pipe = Gst.parse_launch(desc)
    bus = pipe.get_bus()
    pipe.set_state(Gst.State.PLAYING)
    results, err, ok = [], "", True
    while True:
        msg = bus.timed_pop_filtered(timeout * Gst.SECOND,
                                     Gst.MessageType.ERROR | Gst.MessageType.EOS |
                                     Gst.MessageType.ELEMENT)
        if msg is None:
            ok, err = False, "timeout"
            break
        if msg.type == Gst.MessageType.ERROR:
            e, dbg = msg.parse_error()
            ok, err = False, "%s (%s)" % (e.message, dbg)
            break
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s and s.get_name() == "mnv3classify":
            labels = list(s.get_value("labels"))
            scores = list(s.get_value("scores"))
            results.append((labels, scores))
    fmt = None
    el = pipe.get_by_name("c")
    if el:
        caps = el.get_static_pad("sink").get_current_caps()
        if caps:
            fmt = caps.get_structure(0).get_value("format")
    pipe.set_state(Gst.State.NULL)
    return ok, err, fmt, results


def have(*names):
    return all(Gst.ElementFactory.find(n) for n in names)


def test_raw(formats):
    for f in formats:
        ok, err, fmt, res = run(
            "videotestsrc num-buffers=3 pattern=smpte ! video/x-raw,format=%s,width=33,height=17 "
            "! decodebin ! mnv3classify name=c model-file=%s message=every-result ! fakesink"
            % (f, fixture))
        if not ok or fmt != f or len(res) != 3:
            fail("raw %s through decodebin: ok=%s negotiated %s, %d results %s" %
                 (f, ok, fmt, len(res), err))
    print("raw formats through decodebin: %d checked" % len(formats), flush=True)


# name, encoder caps format, encoder + muxer, extension, needed elements
FILE_CASES = [
    ("x264 4:2:0", "I420", "x264enc ! h264parse ! mp4mux", "mp4", ["x264enc", "mp4mux"]),
    ("x264 4:2:2", "Y42B", "x264enc ! h264parse ! mp4mux", "mp4", ["x264enc", "mp4mux"]),
    ("x264 4:4:4", "Y444", "x264enc ! h264parse ! mp4mux", "mp4", ["x264enc", "mp4mux"]),
    ("x264 10-bit 4:2:0", "I420_10LE", "x264enc ! h264parse ! mp4mux", "mp4",
     ["x264enc", "mp4mux"]),
    ("x264 10-bit 4:4:4", "Y444_10LE", "x264enc ! h264parse ! mp4mux", "mp4",
     ["x264enc", "mp4mux"]),
    ("MJPEG 4:2:2", "Y42B", "jpegenc ! avimux", "avi", ["jpegenc", "avimux"]),
]


def test_files(tmp):
    done = 0
    for name, f, enc, ext, need in FILE_CASES:
        if not have(*need):
            print("skip %s: %s not installed" % (name, ", ".join(need)), flush=True)
            continue
        path = os.path.join(tmp, "in-%s.%s" % (f, ext))
        ok, err, _, _ = run("videotestsrc num-buffers=10 pattern=ball ! "
                            "video/x-raw,format=%s,width=176,height=100,framerate=25/1 ! %s ! "
                            "filesink location=%s" % (f, enc, path))
        if not ok:
            fail("encoding %s: %s" % (name, err))
            continue
        out = os.path.join(tmp, "out-%s.avi" % f)
        # the README's file-annotation line (plus name=c and the messages)
        ok, err, fmt, res = run(
            "filesrc location=%s ! decodebin ! mnv3classify name=c model-file=%s "
            "message=every-result ! videoconvert ! jpegenc ! avimux ! filesink location=%s"
            % (path, fixture, out))
        if not ok and ("no suitable plugins" in err.lower() or "missing" in err.lower()):
            print("skip %s: no decoder (%s)" % (name, err), flush=True)
            continue
        frames = 0
        if ok:
            # the annotated .avi: count its frames (one result each)
            _, _, _, back = run("filesrc location=%s ! avidemux ! jpegdec ! mnv3classify "
                                "model-file=%s message=every-result ! fakesink" % (out, fixture))
            frames = len(back)
        if not ok or len(res) != 10 or frames != 10:
            fail("file %s: ok=%s %d results, %d frames out: %s" % (name, ok, len(res), frames,
                                                                   err))
            continue
        print("file %-18s decodebin gave %-10s to mnv3classify: %d results, %d frames annotated"
              % (name, fmt, len(res), frames), flush=True)
        done += 1
    return done


def real_model():
    p = subprocess.run([sys.executable, os.path.join(src, "tests", "gst", "real-model.py"),
                        "v3-large-minimalistic_224_1.0_uint8"], capture_output=True, text=True)
    if p.returncode != 0:
        print("skip real photos: " + p.stderr.strip(), flush=True)
        return None
    return p.stdout.strip()


def test_photos(formats, model):
    data = os.environ.get("MNV3_SHARED_DATA") or os.environ.get("MNV3_SHARED_DATA_DEFAULT")
    imgdir = os.path.join(data, "mobilenet_v3", "images")
    photos = sorted(p for p in os.listdir(imgdir)
                    if p.endswith((".png", ".jpg") if table else ".png"))
    rows = {f: [0, 0] for f in formats}
    for photo in photos:
        path = os.path.join(imgdir, photo)

        def classify(f, pre=""):
            ok, err, fmt, res = run(
                "filesrc location=%s ! decodebin ! %svideoconvert ! video/x-raw,format=%s ! "
                "imagefreeze num-buffers=1 ! mnv3classify name=c model-file=%s top-k=2 "
                "message=every-result ! fakesink" % (path, pre, f, model))
            if not ok or fmt != f or len(res) != 1:
                fail("photo %s as %s: ok=%s fmt %s %s" % (photo, f, ok, fmt, err))
                return None
            return res[0]

        rgb = classify("RGB")
        grey = classify("RGB", "videoconvert ! video/x-raw,format=GRAY8 ! ")
        if rgb is None or grey is None:
            continue
        for f in formats:
            got = classify(f)
            if got is None:
                continue
            ref = grey if f.startswith("GRAY") else rgb
            near_tie = len(ref[1]) > 1 and ref[1][0] - ref[1][1] < 0.1
            same = got[0][0] == ref[0][0]
            rows[f][0] += same
            rows[f][1] += 1
            if not same and not (near_tie and got[0][0] in ref[0][:2]):
                fail("photo %s as %s: top-1 %r, RGB input %r (scores %s)"
                     % (photo, f, got[0][0], ref[0][0], ref[1]))
        print("photo %-18s RGB top-1 %r %.3f, grey %r %.3f" % (photo, rgb[0][0], rgb[1][0],
                                                              grey[0][0], grey[1][0]), flush=True)
    if table:
        for f in formats:
            print("table %-10s top-1 equal to RGB on %d of %d photos" % (f, rows[f][0],
                                                                         rows[f][1]))


def main():
    Gst.init(None)
    formats = template_formats()
    test_raw(formats)
    with tempfile.TemporaryDirectory() as tmp:
        n_files = test_files(tmp)
    model = real_model()
    if model:
        test_photos(formats, model)
    if failures:
        print("%d failures" % len(failures))
        return 1
    if n_files == 0:
        print("SKIP: no encoder/decoder pair for the file cases is installed")
        return 77
    print("all passed")
    return 0


sys.exit(main())
