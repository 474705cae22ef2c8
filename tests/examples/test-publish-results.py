#!/usr/bin/python3
# mnv3classify: tests/examples/test-publish-results.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs examples/publish-results.py on what mnv3publish writes for two cameras (two
videotestsrc branches, each classified and published under its own stream id):

- file mode on each camera's JSON-lines file: one printed line per inference, and a summary of
  that many results, none missing;
- MQTT mode against a mosquitto broker started here (127.0.0.1, free port), subscribed before the
  pipeline starts: every result of both cameras arrives, none missing, both summaries printed.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "gst"))
import examplelib as ex  # noqa: E402
from publishlib import Broker, need_mqtt_tools  # noqa: E402

EXAMPLE = os.path.join(ex.EXAMPLES, "publish-results.py")
FRAMES = 40
CAMS = ("cam1", "cam2")


def pipeline(extra_for):
    branches = []
    for i, cam in enumerate(CAMS):
        branches.append(
            "videotestsrc num-buffers=%d pattern=%s ! video/x-raw,width=128,height=96 ! "
            "mnv3classify model-file=%s mode=sync inference-interval=2 ! "
            "mnv3publish stream-id=%s only-new=true %s ! fakesink"
            % (FRAMES, ("ball", "snow")[i], ex.FIXTURE, cam, extra_for(cam)))
    return ["gst-launch-1.0", "-q"] + " ".join(branches).split()


def check_summary(out, cam, n):
    m = re.search(r"^summary %s: (\d+) results, (\d+) missing by seq, (\d+) dropped" % cam, out,
                  re.M)
    ex.check(m is not None, "no summary for %s" % cam)
    ex.check(int(m.group(1)) == n and m.group(2) == "0" and m.group(3) == "0",
             "%s: summary %s, want %d results none missing" % (cam, m.group(0), n))
    lines = re.findall(r"^%s #\d+ " % cam, out, re.M)
    ex.check(len(lines) == n, "%s: %d result lines, want %d" % (cam, len(lines), n))


def main():
    need_mqtt_tools()
    with tempfile.TemporaryDirectory(prefix="mnv3-example-") as tmp:
        r = ex.run(pipeline(lambda cam: "location=%s/%s.jsonl" % (tmp, cam)))
        ex.check(r.returncode == 0, "pipeline failed")
        for cam in CAMS:
            r = ex.run([EXAMPLE, "file", os.path.join(tmp, cam + ".jsonl")])
            ex.check(r.returncode == 0, "example failed")
            check_summary(r.stdout, cam, FRAMES // 2)

    broker = Broker()
    try:
        broker.start()
        out = tempfile.NamedTemporaryFile(prefix="mnv3-example-", suffix=".txt", delete=False)
        cmd = [EXAMPLE, "mqtt", "127.0.0.1:%d" % broker.port, "--count", str(FRAMES),
               "--timeout", "60"]
        print("$ " + " ".join(cmd), flush=True)
        sub = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
        end = time.monotonic() + 20
        while "subscribed" not in open(out.name).read():
            ex.check(time.monotonic() < end and sub.poll() is None, "example never subscribed")
            time.sleep(0.05)
        r = ex.run(pipeline(lambda cam: "mqtt-host=127.0.0.1 mqtt-port=%d" % broker.port))
        ex.check(r.returncode == 0, "pipeline failed")
        sub.wait(timeout=30)
        text = open(out.name).read()
        os.unlink(out.name)
        print(text)
        ex.check(sub.returncode == 0, "example exited with %d" % sub.returncode)
        for cam in CAMS:
            check_summary(text, cam, FRAMES // 2)
    finally:
        broker.close()
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
