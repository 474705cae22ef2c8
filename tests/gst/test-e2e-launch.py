#!/usr/bin/python3
# mnv3classify: tests/gst/test-e2e-launch.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End-to-end: real gst-launch-1.0 pipelines with the built plugin on real photos.

  gst-launch-1.0 -m filesrc location=<photo.png> ! decodebin ! imagefreeze num-buffers=3 !
      mnv3classify model-file=<real model> crop-mode=stretch ! fakesink

The top-1 class id of the "mnv3classify" bus message (printed by -m) must equal TensorFlow
Lite's top-1 from reference/<model>.reference.json. Needs the shared data folder (exit 77 =
SKIP otherwise); the .tflite model is converted with models/convert.py by real-model.py.
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = "v3-small_224_1.0_uint8"
IMAGES = ["cat", "bird", "grace_hopper"]


def main():
    conv = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "real-model.py"), MODEL],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if conv.returncode == 77:
        print(conv.stderr.strip())
        return 77
    if conv.returncode != 0:
        print(conv.stderr, file=sys.stderr)
        return 1
    model = conv.stdout.strip()
    data = os.path.join(os.environ.get("MNV3_SHARED_DATA") or
                        os.environ["MNV3_SHARED_DATA_DEFAULT"], "mobilenet_v3")
    ref = json.load(open(os.path.join(data, "reference", MODEL + ".reference.json")))
    want = {os.path.basename(i["image"]).rsplit(".", 1)[0]: i["tflite"]["top5"][0]
            for i in ref["images"]}
    labels = os.path.join(data, "labels", "imagenet_labels_1001.txt")

    failures = 0
    for image in IMAGES:
        photo = os.path.join(data, "images", image + ".png")
        cmd = ["gst-launch-1.0", "-m", "filesrc", "location=" + photo, "!", "decodebin", "!",
               "imagefreeze", "num-buffers=3", "!", "mnv3classify", "model-file=" + model,
               "labels-file=" + labels, "crop-mode=stretch", "message=every-result", "!",
               "fakesink"]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=120)
        msgs = [line for line in r.stdout.splitlines()
                if "(element): mnv3classify," in line]
        if r.returncode != 0 or len(msgs) != 3:
            print("FAIL %s: exit %d, %d messages\n%s" % (image, r.returncode, len(msgs), r.stdout))
            failures += 1
            continue
        ids = [int(re.search(r"class-ids=\(int\)< ?(-?\d+)", m).group(1)) for m in msgs]
        label = re.search(r'labels=\(string\)< ?("(?:[^"\\]|\\.)*"|[^,>]*)', msgs[0]).group(1)
        ok = all(i == want[image][0] for i in ids)
        print("%-13s top-1 %3d %s | tflite %3d %s: %s" % (image, ids[0], label, want[image][0],
                                                          want[image][1], "OK" if ok else "MISMATCH"))
        if not ok:
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
