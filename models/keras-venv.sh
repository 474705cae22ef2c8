#!/bin/sh
# Creates (or completes) the reference virtual environment build/venv-ref
# with the pinned TensorFlow / Keras versions that models/keras-goldens.py
# needs, and prints its python path. Reference tools only: the product and
# `meson test` never need it.
#   models/keras-venv.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
venv="$build/venv-ref"
# TensorFlow 2.20 ships Keras 3 (`keras`); tf-keras is Keras 2 (tf.keras
# behaviour: Activation('hard_sigmoid') = clip(0.2x + 0.5, 0, 1)).
pins="tensorflow-cpu==2.20.0 tf-keras==2.20.1 keras==3.11.3"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import tensorflow, tf_keras, keras' 2>/dev/null; then
  "$venv/bin/pip" install --quiet $pins >&2
fi
echo "$venv/bin/python"
