#!/bin/sh
# mnv3classify: examples/file-annotate.sh
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A video (or image) file in, the same video with the top labels drawn on
# every frame out, as Motion-JPEG in AVI (encoders of gst-plugins-good only;
# with gst-plugins-ugly use "x264enc ! mp4mux" instead of "jpegenc ! avimux").
#
# usage: file-annotate.sh IN OUT.avi [MODEL]
set -eu
[ $# -ge 2 ] || { echo "usage: $0 IN OUT.avi [MODEL]" >&2; exit 2; }
exec gst-launch-1.0 -e filesrc location="$1" ! decodebin \
    ! mnv3classify ${3:+"model-file=$3"} \
    ! videoconvert ! jpegenc ! avimux ! filesink location="$2"
