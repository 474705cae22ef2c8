# mnv3classify: tests/gst/publishlib.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers of the mnv3publish tests: the schema validator, the fixture model, pipelines
run with PyGObject, and a private mosquitto broker on 127.0.0.1 with a mosquitto_sub beside it."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import jsonschema  # noqa: E402  (Debian python3-jsonschema)

SKIP = 77
SOURCE_ROOT = os.environ.get("MNV3_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA_PATH = os.path.join(SOURCE_ROOT, "docs", "mnv3publish.schema.json")
FIXTURE = os.path.join(os.environ.get("MNV3_FIXTURES", os.path.join(SOURCE_ROOT, "tests", "data")),
                       "fixtures", "small-min-tfsame-labels.safetensors")

Gst.init(None)


def validator():
    """A Draft 2020-12 validator of docs/mnv3publish.schema.json (the schema itself checked)."""
    schema = json.load(open(SCHEMA_PATH))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check_objects(objs, where):
    """Validates every object against the schema; raises with the first error."""
    v = validator()
    for i, o in enumerate(objs):
        errors = sorted(v.iter_errors(o), key=lambda e: e.path)
        if errors:
            raise AssertionError("%s, object %d does not validate: %s\n%s" % (
                where, i, errors[0].message, json.dumps(o)))


def read_lines(path):
    """The objects of a JSON-lines file (every line must be one JSON object)."""
    objs = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            assert line.endswith("\n"), "%s:%d: line not terminated" % (path, n)
            objs.append(json.loads(line))
    return objs


def run_to_eos(description, timeout=60, before_null=None):
    """Runs a gst-launch style @description to EOS; calls before_null(pipeline) at EOS."""
    pipeline = Gst.parse_launch(description)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(timeout * Gst.SECOND,
                                                Gst.MessageType.EOS | Gst.MessageType.ERROR)
    result = before_null(pipeline) if before_null else None
    pipeline.set_state(Gst.State.NULL)
    assert msg is not None, "timeout: no EOS after %d s" % timeout
    assert msg.type == Gst.MessageType.EOS, "ERROR: %s" % (msg.parse_error(),)
    return result


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def tool(name):
    path = shutil.which(name) or ("/usr/sbin/" + name if os.path.exists("/usr/sbin/" + name)
                                  else None)
    return path


class Broker:
    """A mosquitto broker of our own on 127.0.0.1:port (no persistence), killable and restartable
    on the same port."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix="mnv3-mqtt-")
        # started as root, mosquitto drops to the user "mosquitto", which must write its database
        os.chmod(self.dir, 0o777)
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        with open(self.conf, "w") as f:
            # persistence (saved every second) keeps a subscriber's session across a kill,
            # so that what is published after a restart waits for it
            f.write("listener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"
                    "persistence true\npersistence_location %s/\nautosave_interval 1\n"
                    % (self.port, self.dir))
        self.proc = None

    def start(self, timeout=10):
        self.proc = subprocess.Popen([tool("mosquitto"), "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None, "mosquitto exited with %d" % self.proc.returncode
                time.sleep(0.02)
        raise AssertionError("mosquitto did not listen on %d within %d s" % (self.port, timeout))

    def saved_since(self, t):
        """Whether the broker saved its database (autosave) after wall-clock time @t."""
        db = os.path.join(self.dir, "mosquitto.db")
        return os.path.exists(db) and os.path.getmtime(db) > t

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def close(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Subscriber:
    """mosquitto_sub on @topic, its output (topic payload per line) in a file; ready () returns
    once a probe message made the round trip, so nothing published later is missed."""

    def __init__(self, broker, topic="mnv3/#", session=None):
        """@session: a client id whose session (subscriptions, queued messages) the broker keeps
        while it is away (clean session off)."""
        self.broker = broker
        self.out = tempfile.NamedTemporaryFile(prefix="mnv3-sub-", suffix=".txt", delete=False)
        extra = ["-c", "-i", session] if session else []
        self.proc = subprocess.Popen([tool("mosquitto_sub"), "-h", "127.0.0.1",
                                      "-p", str(broker.port), "-t", topic, "-t", "probe/#",
                                      "-v", "-q", "1"] + extra, stdout=self.out,
                                     stderr=subprocess.DEVNULL)
        self.wait_ready()

    def wait_ready(self, timeout=10):
        token = "probe/%d" % time.monotonic_ns()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            subprocess.run([tool("mosquitto_pub"), "-h", "127.0.0.1", "-p", str(self.broker.port),
                            "-t", token, "-m", "x"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)
            time.sleep(0.05)
            if token in open(self.out.name).read():
                return
        raise AssertionError("mosquitto_sub never received its probe")

    def stop(self, settle=0.3):
        """Stops the subscriber after @settle s; returns [(topic, object)] in arrival order."""
        time.sleep(settle)
        self.proc.terminate()
        self.proc.wait(timeout=10)
        msgs = []
        for line in open(self.out.name):
            topic, _, payload = line.rstrip("\n").partition(" ")
            if topic.startswith("probe/"):
                continue
            msgs.append((topic, json.loads(payload)))
        os.unlink(self.out.name)
        return msgs


def need_mqtt_tools():
    missing = [t for t in ("mosquitto", "mosquitto_sub", "mosquitto_pub") if tool(t) is None]
    if missing:
        print("SKIP: %s not installed (Debian packages mosquitto, mosquitto-clients, listed in "
              "scripts/debian-packages.txt)" % ", ".join(missing))
        raise SystemExit(SKIP)
