#!/bin/sh
# mnv3classify: examples/rtsp-tags.sh
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Tags an RTSP stream: prints one line each time the top-1 label changes
# (message=on-change), nothing else. Video is decoded and classified but not
# shown (overlay=false ! fakesink). Stop with Ctrl-C.
#
# usage: rtsp-tags.sh rtsp://camera/stream [MODEL]
# output lines: timestamp=..., running-time=..., labels=< top-k >,
#               class-ids=< ... >, scores=< ... >, inference-us=...
set -eu
[ $# -ge 1 ] || { echo "usage: $0 RTSP-URL [MODEL]" >&2; exit 2; }
# gst-launch-1.0 -m prints every bus message; keep only mnv3classify's
gst-launch-1.0 -m rtspsrc location="$1" latency=200 \
    ! decodebin ! mnv3classify ${2:+"model-file=$2"} overlay=false message=on-change \
    ! fakesink sync=false \
  | sed -un 's/^Got message .* (element): mnv3classify, \(.*\);$/\1/p'
