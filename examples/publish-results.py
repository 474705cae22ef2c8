#!/usr/bin/python3
# mnv3classify: examples/publish-results.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reads the results mnv3publish writes: from its JSON-lines file, or from an MQTT broker.

  publish-results.py file results.jsonl [--follow]
  publish-results.py mqtt HOST[:PORT] [--topic 'mnv3/#'] [--count N] [--timeout SECONDS]

Prints one line per result ("<stream> #<seq> <pts> <top-1 label> <score> [fresh]") and, at the
end, one summary line per stream: results, the seq gaps seen, the drops the publisher reported
and (MQTT) the delay from the frame passing the element to its message arriving here.

The file mode needs only Python; the MQTT mode needs paho-mqtt (Debian: python3-paho-mqtt).
Each object follows docs/mnv3publish.schema.json.
"""
import argparse
import json
import sys
import time
from datetime import datetime


class Streams:
    """Per stream_id: count, seq gaps (results lost on the way), drops the publisher reported."""

    def __init__(self):
        self.s = {}

    def add(self, obj, delay=None):
        st = self.s.setdefault(obj["stream_id"], {"n": 0, "last": None, "gaps": 0, "dropped": 0,
                                                  "delays": []})
        if st["last"] is not None and obj["seq"] > st["last"] + 1:
            st["gaps"] += obj["seq"] - st["last"] - 1
        st["last"] = obj["seq"]
        st["n"] += 1
        st["dropped"] = obj["dropped"]
        if delay is not None:
            st["delays"].append(delay)
        top = ("%s %.3f" % (obj["labels"][0], obj["scores"][0])) if obj["labels"] else "(none)"
        pts = "%.3f s" % (obj["pts"] / 1e9) if obj["pts"] is not None else "-"
        print("%s #%d %s %s%s" % (obj["stream_id"], obj["seq"], pts, top,
                                  " fresh" if obj["fresh"] else ""), flush=True)

    def summary(self):
        for sid, st in sorted(self.s.items()):
            line = "summary %s: %d results, %d missing by seq, %d dropped by the publisher" % (
                sid, st["n"], st["gaps"], st["dropped"])
            if st["delays"]:
                d = sorted(st["delays"])
                line += ", delay median %.1f ms max %.1f ms" % (1000 * d[len(d) // 2],
                                                                 1000 * d[-1])
            print(line, flush=True)


def read_file(path, follow):
    streams = Streams()
    with open(path) as f:
        while True:
            line = f.readline()
            if not line:
                if not follow:
                    break
                time.sleep(0.2)
                continue
            if line.endswith("\n"):
                streams.add(json.loads(line))
            elif not follow:
                break
    streams.summary()


def wall_delay(obj):
    t = datetime.strptime(obj["wall_time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return time.time() - (t - datetime(1970, 1, 1)).total_seconds()


def read_mqtt(address, topic, count, timeout):
    import paho.mqtt.client as mqtt

    host, _, port = address.partition(":")
    streams = Streams()
    got = [0]

    def on_connect(client, userdata, flags, rc):
        client.subscribe(topic, qos=1)

    def on_subscribe(client, userdata, mid, granted_qos):
        print("subscribed to %s" % topic, flush=True)

    def on_message(client, userdata, msg):
        obj = json.loads(msg.payload)
        streams.add(obj, wall_delay(obj))
        got[0] += 1
        if count and got[0] >= count:
            client.disconnect()

    client = mqtt.Client()
    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(host, int(port or 1883))
    end = time.monotonic() + timeout if timeout else None
    while client.loop(timeout=0.2) == mqtt.MQTT_ERR_SUCCESS:
        if end and time.monotonic() > end:
            break
    streams.summary()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="mode", required=True)
    f = sub.add_parser("file", help="read a JSON-lines file")
    f.add_argument("path")
    f.add_argument("--follow", action="store_true", help="keep reading as lines are appended")
    m = sub.add_parser("mqtt", help="subscribe to a broker")
    m.add_argument("address", help="HOST[:PORT]")
    m.add_argument("--topic", default="mnv3/#")
    m.add_argument("--count", type=int, default=0, help="stop after this many results")
    m.add_argument("--timeout", type=float, default=0, help="stop after this many seconds")
    a = ap.parse_args()
    if a.mode == "file":
        read_file(a.path, a.follow)
    else:
        read_mqtt(a.address, a.topic, a.count, a.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
