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
args=()
if "$PY" -c "import keras, jax, sklearn" 2>/dev/null; then
  echo "Measuring real Keras (JAX backend) with $PY ..."
  rm -f .build/bench-keras.json
  KERAS_BACKEND=jax "$PY" scripts/bench_keras.py .build/bench-keras.json 2>/dev/null
  args+=(--reference .build/bench-keras.json)
else
  echo "Real Keras is not installed in $PY: showing SwiftKeras alone (run 'make bench WITH_KERAS=1' to compare)."
fi
.build/release/KerasBench "${args[@]}" --json .build/bench.json
