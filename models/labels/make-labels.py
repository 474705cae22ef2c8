#!/usr/bin/python3
# mnv3classify: models/labels/make-labels.py
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write imagenet-1000.txt from a public 1001-line ImageNet label list.

The source list is TensorFlow's / Coral's imagenet_labels.txt (Apache-2.0): line N is the name of
output N of TensorFlow's MobileNet models, line 0 is "background". imagenet-1000.txt is the same
list without "background", i.e. the output order of torchvision's 1000-class models (both follow
the sorted WordNet id order of ILSVRC-2012). Only the 1000-line list is kept in git (a 1001-line
list would be a byte copy of the source); convert.py puts "background" in front of it for
TensorFlow's 1001-class models.

usage: make-labels.py [SOURCE] [-o OUTDIR]
  SOURCE defaults to $MNV3_SHARED_DATA/mobilenet_v3/labels/imagenet_labels_1001.txt, else
  ../shared/data/... next to the source tree; OUTDIR defaults to this script's folder.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REL = os.path.join("mobilenet_v3", "labels", "imagenet_labels_1001.txt")


def default_source():
    env = os.environ.get("MNV3_SHARED_DATA")
    if env:
        return os.path.join(env, REL)
    return os.path.join(HERE, "..", "..", "..", "shared", "data", REL)


def main():
    ap = argparse.ArgumentParser(description="Write imagenet-1000.txt.")
    ap.add_argument("source", nargs="?", default=default_source(),
                    help="1001-line label list, line 0 = background")
    ap.add_argument("-o", "--outdir", default=HERE, help="output folder (default: %(default)s)")
    args = ap.parse_args()
    try:
        with open(args.source, encoding="utf-8") as f:
            labels = [line.rstrip("\r\n").strip() for line in f]
    except OSError as e:
        sys.exit("make-labels: cannot read %s: %s" % (args.source, e.strerror))
    while labels and labels[-1] == "":
        labels.pop()
    if len(labels) != 1001 or labels[0] != "background" or any(not l for l in labels):
        sys.exit("make-labels: expected 1001 non-empty labels starting with 'background', found %d in %s"
                 % (len(labels), args.source))
    for name, lst in (("imagenet-1000.txt", labels[1:]),):
        path = os.path.join(args.outdir, name)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write("\n".join(lst) + "\n")
        print("wrote %s (%d labels)" % (path, len(lst)))


if __name__ == "__main__":
    main()
