#!/bin/sh
# Runs models/keras-goldens.py in the reference virtual environment build/venv-ref, creating it
# first (or completing it) with the pinned TensorFlow / Keras versions. Reference tools only:
# the product and `meson test` never need them.
#   models/keras-goldens.sh fixtures tests/keras/fixtures     (re)make the committed fixtures
#   models/keras-goldens.sh compare --mnv3 build/src/mnv3     the acceptance table
# BUILD_DIR (default build) chooses the build folder holding the venv.
set -eu
cd "$(dirname "$0")/.."
venv="${BUILD_DIR:-build}/venv-ref"
# TensorFlow 2.20 with Keras 3.11 (`keras`) and tf-keras 2.20 (Keras 2: tf.keras behaviour,
# Activation('hard_sigmoid') = clip(0.2x + 0.5, 0, 1)). Python 3.11 (/usr/bin/python3).
pins="tensorflow-cpu==2.20.0 tf-keras==2.20.1 keras==3.11.3 h5py"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import tensorflow, tf_keras, keras, h5py' 2>/dev/null; then
  "$venv/bin/pip" install --quiet $pins >&2
fi
export TF_CPP_MIN_LOG_LEVEL=3
exec "$venv/bin/python" models/keras-goldens.py "$@"
