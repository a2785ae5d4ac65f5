#!/usr/bin/env bash
# `make bench`: SwiftKeras's figures, side by side with real Keras 3 (JAX) when the project venv
# has it. `make bench WITH_KERAS=1` first creates that venv (keras, jax, scikit-learn) if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export KERAS_BACKEND=jax
PY="${BENCH_PYTHON:-.venv/bin/python}"
mkdir -p .build
if [ "${WITH_KERAS:-0}" = 1 ] && ! "$PY" -c "import keras, jax, sklearn" 2>/dev/null; then
  make venv
fi
if [ "${WITH_TF:-0}" = 1 ] && ! "$PY" -c "import tensorflow" 2>/dev/null; then
  "$PY" -m pip install -q tensorflow-cpu
fi
FAMILY_PY="$PY"; [ -x "$FAMILY_PY" ] || FAMILY_PY=python3
TF_ARGS=(${BENCH_TF_PYTHON:+--tf-python "$BENCH_TF_PYTHON"})
if "$FAMILY_PY" -c "import tensorflow" 2>/dev/null; then TF_ARGS=(--tf-python "$FAMILY_PY"); fi
if "$PY" -c "import keras, jax, sklearn" 2>/dev/null; then
  echo "Real Keras (JAX backend) is measured with $PY."
else
  echo "Real Keras is not installed in $PY: showing SwiftKeras alone (run 'make bench WITH_KERAS=1' to compare)."
fi
# The rows without a Keras counterpart, in one process.
.build/release/KerasBench --without-engine-rows --json .build/bench.json
# Issue 19: the Otto-shaped epoch (with its share of each round's GEMM peak), the iris fit, the
# one-row predict and the iris grid search at n_jobs 1 and 2, each round a fresh process
# alternating with real Keras (SciKeras for the search); appended to .build/bench.json, and
# Keras's figures to .build/bench-keras.json.
echo "Measuring the engine rows (load: $(cut -d' ' -f1-3 /proc/loadavg)) ..."
rm -f .build/bench-keras.json
"$FAMILY_PY" scripts/bench_families.py --engine --json .build/bench.json --keras-json .build/bench-keras.json "${TF_ARGS[@]}"
# Issue 7: the same fits from Python (within 10% of Swift) and the iris grid search against
# SciKeras (at least 50x), appended to .build/bench.json.
if "$PY" -c "import numpy, sklearn" 2>/dev/null; then
  echo "Measuring the Python binding with $PY (load: $(cut -d' ' -f1-3 /proc/loadavg)) ..."
  "$PY" scripts/bench_python.py --swift .build/bench.json --keras .build/bench-keras.json
else
  echo "numpy/scikit-learn are not installed in $PY: the Python binding is not measured."
fi
# load_model of a ResNet50 .keras, and a fit on a shuffled PyDataset (with its per-batch
# overhead over the same fit on arrays), each round a fresh process alternating with real Keras;
# appended to .build/bench.json.
if "$PY" -c "import numpy" 2>/dev/null; then
  echo "Measuring load_model and the PyDataset fit (load: $(cut -d' ' -f1-3 /proc/loadavg)) ..."
  "$PY" scripts/bench_load.py --json .build/bench.json
fi
# Issue 15: a small CNN grid-searched on the digits images through the Python wrapper (native
# search) against SciKeras + scikit-learn's GridSearchCV on Keras/JAX; appended to .build/bench.json.
if "$PY" -c "import numpy, sklearn" 2>/dev/null; then
  echo "Measuring the digits CNN grid search (load: $(cut -d' ' -f1-3 /proc/loadavg)) ..."
  "$PY" scripts/bench_sklearn_cnn.py --json .build/bench.json
fi
# Issue 16's follow-ups: the layer-kernel rows (rotation, adaptive and fixed pooling steps, mel
# spectrogram), each round a fresh process alternating with real Keras; appended to .build/bench.json.
echo "Measuring the layer-kernel rows (load: $(cut -d' ' -f1-3 /proc/loadavg)) ..."
"$FAMILY_PY" scripts/bench_families.py --layers --json .build/bench.json --keras-json .build/bench-keras.json "${TF_ARGS[@]}"
# Issues 12-14: the layer-family epochs, each round a fresh process, alternating with real Keras
# (JAX, and TensorFlow when installed); appended to .build/bench.json.
echo "Measuring the layer-family rows (load: $(cut -d' ' -f1-3 /proc/loadavg)) ..."
"$FAMILY_PY" scripts/bench_families.py --json .build/bench.json "${TF_ARGS[@]}"
