#!/bin/sh
# mnv3classify: examples/webcam.sh
# Copyright (C) 2026 mnv3classify developers
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Webcam in, the top labels drawn on the video in a window.
#
# usage: webcam.sh [MODEL]         (no MODEL: the default model, see README.md)
# env:   DEVICE  camera device (default /dev/video0)
#        SRC     replaces the camera, SINK replaces the window (the test runs
#                this script with SRC="videotestsrc ..." and SINK=fakesink)
set -eu
src=${SRC:-v4l2src device=${DEVICE:-/dev/video0}}
sink=${SINK:-autovideosink}
# $src and $sink are pipeline fragments: left unquoted on purpose
exec gst-launch-1.0 $src \
    ! mnv3classify ${1:+"model-file=$1"} \
    ! videoconvert ! $sink
