#!/usr/bin/python3
# multistream.py: N camera streams through N mnv3classify elements (issue 13); driven by
# bench/multistream.sh. Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# usage: multistream.py MODEL STREAMS SECONDS [extra element properties...]
# One pipeline, STREAMS branches of
#   videotestsrc is-live=true pattern=ball ! video/x-raw,format=NV12,width=1280,height=720,
#     framerate=30/1 ! mnv3classify model-file=MODEL mode=async overlay=false PROPS ! fakesink
# run for SECONDS (the first second is warm-up). Prints one line of key=value:
#   inferred     frames inferred per second, all streams (frames-inferred after warm-up)
#   cpu_s        process CPU time (user + sys) over the measured window
#   per_core     inferred frames per CPU second (whole process, the sources' frames included)
#   per_sched_core  inferred frames per CPU second of the scheduler thread (inference alone:
#                with the default threads on 2 cores its graphs use no pool threads)
#   lat_p50_ms / lat_p95_ms   per result: PTS of the first frame that carries it - the PTS of
#                the frame it was computed on (async: the pick-up is quantized to frames), all
#                streams pooled; lat_p95_worst_ms the worst stream's p95
#   threads      threads of the process while running; rss_mb its RSS at the end
import os
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def task_count():
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def sched_cpu():
    """CPU seconds of the scheduler threads (named mnv3sched): inference alone."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open("/proc/self/task/%s/comm" % tid) as f:
                if f.read().strip() != "mnv3sched":
                    continue
            with open("/proc/self/task/%s/stat" % tid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return -1


def pct(v, q):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


def main():
    model, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    props = " ".join(sys.argv[4:])
    Gst.init(None)
    # MS_ELEMENT=identity: the same pipeline without the element (the RSS baseline)
    if os.environ.get("MS_ELEMENT") == "identity":
        element = "identity name=c%d"
    else:
        element = ("mnv3classify name=c%%d model-file=\"%s\" mode=async overlay=false "
                   "message=none %s" % (model, props))
    desc = " ".join(
        "videotestsrc is-live=true pattern=ball ! video/x-raw,format=NV12,width=1280,height=720,"
        "framerate=30/1 ! %s ! fakesink name=s%d sync=false" % (element % i, i)
        for i in range(n))
    pipe = Gst.parse_launch(desc)
    lat = [[] for _ in range(n)]
    last = [None] * n
    state = {"measuring": False}

    def probe(pad, info, i):
        buf = info.get_buffer()
        meta = buf.get_custom_meta("Mnv3Classification")
        if meta is None or not state["measuring"]:
            return Gst.PadProbeReturn.OK
        s = meta.get_structure()
        ok, src = s.get_uint64("source-pts")
        if ok and src != last[i] and buf.pts != Gst.CLOCK_TIME_NONE:
            last[i] = src
            lat[i].append((buf.pts - src) / 1e6)
        return Gst.PadProbeReturn.OK

    for i in range(n):
        pipe.get_by_name("s%d" % i).get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER, probe, i)
    pipe.set_state(Gst.State.PLAYING)
    loop = GLib.MainLoop()
    res = {}

    def inferred_of(i):
        el = pipe.get_by_name("c%d" % i)
        return el.get_property("frames-inferred") if el.find_property("frames-inferred") else 0

    def start():
        state["measuring"] = True
        res["t0"] = time.monotonic()
        res["cpu0"] = sum(os.times()[:2])
        res["sched0"] = sched_cpu()
        res["inf0"] = [inferred_of(i) for i in range(n)]
        return False

    def stop():
        res["t1"] = time.monotonic()
        res["cpu1"] = sum(os.times()[:2])
        res["sched1"] = sched_cpu()
        res["inf1"] = [inferred_of(i) for i in range(n)]
        res["threads"] = task_count()
        res["rss"] = rss_mb()
        loop.quit()
        return False

    bus = pipe.get_bus()
    bus.add_signal_watch()

    def on_msg(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print("error: %s (%s)" % (err.message, dbg), file=sys.stderr)
            sys.exit(1)

    bus.connect("message", on_msg)
    GLib.timeout_add(1000, start)
    GLib.timeout_add(int(1000 * seconds), stop)
    loop.run()
    pipe.set_state(Gst.State.NULL)
    dt = res["t1"] - res["t0"]
    cpu = res["cpu1"] - res["cpu0"]
    scpu = res["sched1"] - res["sched0"]
    inferred = sum(res["inf1"]) - sum(res["inf0"])
    per_stream = [b - a for a, b in zip(res["inf0"], res["inf1"])]
    allv = [x for v in lat for x in v]
    print("streams=%d inferred=%.1f per_stream_min=%.1f per_stream_max=%.1f cpu_s=%.2f "
          "per_core=%.1f sched_cpu_s=%.2f per_sched_core=%.1f lat_p50_ms=%.1f lat_p95_ms=%.1f lat_p95_worst_ms=%.1f threads=%d "
          "rss_mb=%.1f" % (
              n, inferred / dt, min(per_stream) / dt, max(per_stream) / dt, cpu,
              inferred / cpu if cpu > 0 else 0, scpu,
              inferred / scpu if scpu > 0 else 0, pct(allv, 0.5), pct(allv, 0.95),
              max(pct(v, 0.95) if v else float("nan") for v in lat), res["threads"],
              res["rss"]))


if __name__ == "__main__":
    main()
