#!/usr/bin/python3
# mnv3classify: tests/gst/test-publish-file.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""mnv3publish to JSON lines, with the committed fixture model:

- a file: every line validates against docs/mnv3publish.schema.json; with only-new, one line per
  inference (mnv3classify's frames-inferred, inference-interval=2), all fresh, seq 0..N-1, PTS
  strictly increasing; without only-new one line per buffer, carried results marked not fresh;
  in async mode (results never fresh) only-new still writes each inference once;
- a rotating file (max-file-size, max-files): the kept files hold the newest lines, each below
  the size, in order, and no more files than asked;
- stdout (location=-) from gst-launch-1.0.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

from publishlib import FIXTURE, check_objects, read_lines, run_to_eos

FRAMES = 40


def pipeline(location, extra="", interval=2, frames=FRAMES):
    return ("videotestsrc num-buffers=%d pattern=ball ! video/x-raw,width=96,height=72 ! "
            "mnv3classify name=c model-file=%s mode=sync top-k=3 inference-interval=%d ! "
            "mnv3publish name=p stream-id=cam-file location=%s %s ! fakesink"
            % (frames, FIXTURE, interval, location, extra))


def test_file(tmp):
    path = os.path.join(tmp, "results.jsonl")
    inferred = run_to_eos(pipeline(path, "only-new=true"),
                          before_null=lambda p: p.get_by_name("c").get_property("frames-inferred"))
    objs = read_lines(path)
    check_objects(objs, path)
    print("only-new: %d lines, %d inferences, %d buffers" % (len(objs), inferred, FRAMES))
    assert inferred == FRAMES // 2, inferred
    assert len(objs) == inferred, "%d lines for %d inferences" % (len(objs), inferred)
    assert [o["seq"] for o in objs] == list(range(len(objs)))
    assert all(o["fresh"] and o["age_frames"] == 0 for o in objs)
    assert all(o["stream_id"] == "cam-file" and o["dropped"] == 0 for o in objs)
    pts = [o["pts"] for o in objs]
    assert all(b > a for a, b in zip(pts, pts[1:])), "PTS not strictly increasing: %s" % pts
    assert all(o["source_pts"] == o["pts"] for o in objs)
    assert all(len(o["labels"]) == len(o["class_ids"]) == len(o["scores"]) == 3 for o in objs)
    assert all(o["scores"] == sorted(o["scores"], reverse=True) for o in objs)

    # every buffer: the carried results too
    run_to_eos(pipeline(path))
    objs = read_lines(path)
    check_objects(objs, path)
    print("every buffer: %d lines, %d fresh" % (len(objs), sum(o["fresh"] for o in objs)))
    assert len(objs) == FRAMES
    assert [o["fresh"] for o in objs] == [i % 2 == 0 for i in range(FRAMES)]
    assert all(o["age_frames"] == i % 2 for i, o in enumerate(objs))
    assert all(o["running_time"] == o["pts"] for o in objs)


def test_async(tmp):
    """mode=async: results come on later frames, never fresh; only-new still writes each
    inference once (all but possibly the last, which EOS posts on the bus only)."""
    path = os.path.join(tmp, "async.jsonl")
    desc = ("videotestsrc is-live=true num-buffers=30 pattern=ball ! "
            "video/x-raw,width=96,height=72,framerate=30/1 ! mnv3classify name=c model-file=%s "
            "mode=async ! mnv3publish location=%s only-new=true ! fakesink sync=true"
            % (FIXTURE, path))
    inferred = run_to_eos(desc, before_null=lambda p: p.get_by_name("c").get_property(
        "frames-inferred"))
    objs = read_lines(path)
    check_objects(objs, path)
    sources = [o["source_pts"] for o in objs]
    print("async only-new: %d lines, %d inferences" % (len(objs), inferred))
    assert inferred - 1 <= len(objs) <= inferred, (len(objs), inferred)
    assert not any(o["fresh"] for o in objs)
    assert all(b > a for a, b in zip(sources, sources[1:])), sources


def test_rotation(tmp):
    path = os.path.join(tmp, "rot.jsonl")
    size, keep, frames = 2000, 3, 60
    run_to_eos(pipeline(path, "max-file-size=%d max-files=%d" % (size, keep), interval=1,
                        frames=frames))
    files = sorted(glob.glob(path + "*"))
    want = [path] + ["%s.%d" % (path, i) for i in range(1, keep + 1)]
    print("rotation: %s" % ", ".join("%s (%d bytes)" % (os.path.basename(f), os.path.getsize(f))
                                      for f in files))
    assert files == sorted(want), "files %s, want %s" % (files, want)
    objs = []
    for f in reversed(want):            # oldest first: .3 .2 .1 then the current file
        assert 0 < os.path.getsize(f) <= size, "%s has %d bytes" % (f, os.path.getsize(f))
        objs += read_lines(f)
    check_objects(objs, path)
    seqs = [o["seq"] for o in objs]
    assert seqs == list(range(seqs[0], frames)), "kept lines not the newest in order: %s" % seqs
    assert seqs[0] > 0, "nothing was rotated away"


def test_stdout():
    r = subprocess.run(["gst-launch-1.0", "-q"] + pipeline("-", "only-new=true").split(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    print("stdout: exit %d, %d JSON lines" % (r.returncode, len(lines)))
    assert r.returncode == 0, r.stderr
    check_objects([json.loads(ln) for ln in lines], "stdout")
    assert len(lines) == FRAMES // 2


def main():
    with tempfile.TemporaryDirectory(prefix="mnv3-publish-") as tmp:
        test_file(tmp)
        test_async(tmp)
        test_rotation(tmp)
    test_stdout()
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
