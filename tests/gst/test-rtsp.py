#!/usr/bin/python3
# mnv3classify: tests/gst/test-rtsp.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""RTSP end-to-end: a local gst-rtsp-server on 127.0.0.1 (a free port chosen by the kernel)
serves videotestsrc as RTP/JPEG; the client pipeline

    rtspsrc ! rtpjpegdepay ! jpegdec ! mnv3classify ! fakesink

must deliver >= 30 buffers carrying the Mnv3Classification meta, post no error, and go back to
NULL cleanly, all within bounded time. Uses a committed fixture model (no real data needed).
"""
import os
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

N_FRAMES = 30
TIMEOUT_S = 60


def main():
    Gst.init(None)
    model = os.path.join(os.environ["MNV3_FIXTURES"], "fixtures", "large-sym-f32.safetensors")

    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch("( videotestsrc is-live=true pattern=ball ! "
                       "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! jpegenc ! "
                       "rtpjpegpay name=pay0 pt=26 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/test", factory)
    loop = GLib.MainLoop()
    server.attach(None)
    port = server.get_bound_port()
    assert port > 0, "RTSP server did not bind"
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    print("RTSP server on rtsp://127.0.0.1:%d/test" % port)

    client = Gst.parse_launch(
        "rtspsrc location=rtsp://127.0.0.1:%d/test protocols=tcp latency=200 ! "
        "rtpjpegdepay ! jpegdec ! mnv3classify model-file=%s ! fakesink name=sink sync=false"
        % (port, model))
    counted = {"meta": 0, "buffers": 0}
    done = threading.Event()

    def probe(pad, info):
        counted["buffers"] += 1
        if info.get_buffer().get_custom_meta("Mnv3Classification") is not None:
            counted["meta"] += 1
        if counted["meta"] >= N_FRAMES:
            done.set()
        return Gst.PadProbeReturn.OK

    client.get_by_name("sink").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    start = time.monotonic()
    client.set_state(Gst.State.PLAYING)
    bus = client.get_bus()
    error = None
    while not done.is_set() and time.monotonic() - start < TIMEOUT_S:
        msg = bus.timed_pop_filtered(100 * Gst.MSECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS)
        if msg is not None:
            error = msg.parse_error() if msg.type == Gst.MessageType.ERROR else "early EOS"
            break
    elapsed = time.monotonic() - start

    t0 = time.monotonic()
    ret = client.set_state(Gst.State.NULL)
    stop_s = time.monotonic() - t0
    loop.quit()
    thread.join(5)

    print("%d buffers, %d with meta in %.1f s; stopped in %.2f s (%s)"
          % (counted["buffers"], counted["meta"], elapsed, stop_s, ret.value_nick))
    if error is not None:
        print("FAIL: %s" % (error,))
        return 1
    if counted["meta"] < N_FRAMES:
        print("FAIL: only %d buffers with meta after %d s" % (counted["meta"], TIMEOUT_S))
        return 1
    if counted["meta"] != counted["buffers"]:
        print("FAIL: %d of %d buffers lack the meta" % (counted["buffers"] - counted["meta"],
                                                       counted["buffers"]))
        return 1
    if ret != Gst.StateChangeReturn.SUCCESS or stop_s > 10:
        print("FAIL: stopping took %.1f s (%s)" % (stop_s, ret.value_nick))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
