#!/bin/sh
# mnv3classify: examples/screenshot.sh
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Writes OUT.png: PHOTO (png or jpeg) classified by mnv3classify with MODEL, the overlay
# blended in by the element itself.
# usage: screenshot.sh PHOTO MODEL OUT.png [LABELS]
set -e
[ $# -ge 3 ] || { echo "usage: $0 PHOTO MODEL OUT.png [LABELS]" >&2; exit 2; }
labels=${4:+labels-file=$4}
exec gst-launch-1.0 -q filesrc location="$1" ! decodebin ! imagefreeze num-buffers=1 \
    ! mnv3classify model-file="$2" $labels crop-mode=stretch \
    ! videoconvert ! pngenc ! filesink location="$3"
