#!/usr/bin/python3
# mnv3classify: tests/examples/test-rtsp-tags.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs examples/rtsp-tags.sh against a local gst-rtsp-server on 127.0.0.1 (free port chosen by
the kernel) serving videotestsrc pattern=snow as RTP/JPEG. With the random-weight fixture model
large-sym-f32, noise makes the top-1 class flip often, so several lines come quickly. Every line printed must be an
mnv3classify message (nothing else from gst-launch-1.0 -m), and, message=on-change, no two
consecutive lines may have the same top-1 class. The script is stopped with SIGINT like Ctrl-C.
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import examplelib as ex  # noqa: E402

WANT_LINES = 4
TIMEOUT_S = 25
LINE = re.compile(r"^timestamp=\(guint64\)\d+, running-time=\(guint64\)\d+, "
                  r"labels=\(string\)< .* >, class-ids=\(int\)< (-?\d+)(, -?\d+)* >, "
                  r"scores=\(double\)< .* >, inference-us=\(gint64\)\d+$")


def main():
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch("( videotestsrc is-live=true pattern=snow ! "
                       "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! jpegenc ! "
                       "rtpjpegpay name=pay0 pt=26 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/test", factory)
    loop = GLib.MainLoop()
    server.attach(None)
    port = server.get_bound_port()
    ex.check(port > 0, "RTSP server did not bind")
    threading.Thread(target=loop.run, daemon=True).start()
    url = "rtsp://127.0.0.1:%d/test" % port

    model = os.path.join(os.path.dirname(ex.FIXTURE), "large-sym-f32.safetensors")
    cmd = [os.path.join(ex.EXAMPLES, "rtsp-tags.sh"), url, model]
    print("$ " + " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    lines = []
    timer = threading.Timer(TIMEOUT_S, lambda: os.killpg(proc.pid, signal.SIGINT))
    timer.start()
    for line in proc.stdout:
        print("| " + line.rstrip(), flush=True)
        lines.append(line.rstrip("\n"))
        if len(lines) >= WANT_LINES:
            break
    timer.cancel()
    t0 = time.monotonic()
    try:
        os.killpg(proc.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    try:
        rest, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        rest, err = proc.communicate()
        ex.fail("the script did not stop on SIGINT")
    print("stopped in %.1f s" % (time.monotonic() - t0))
    lines += [x for x in rest.splitlines() if x]
    loop.quit()

    ex.check(len(lines) >= 2, "only %d lines in %d s; stderr: %s" % (len(lines), TIMEOUT_S, err))
    tops = []
    for line in lines:
        m = LINE.match(line)
        ex.check(m is not None, "not an mnv3classify message line: %r" % line)
        tops.append(int(m.group(1)))
    for a, b in zip(tops, tops[1:]):
        ex.check(a != b, "two consecutive lines with top-1 class %d: not on-change" % a)
    print("%d label changes, top-1 classes %s" % (len(tops), tops))
    return 0


if __name__ == "__main__":
    sys.exit(main())
