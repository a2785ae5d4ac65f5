#!/usr/bin/env python3
"""The layer-family rows of `make bench` (conv_epoch, cifar_cnn_epoch, bn_cnn_epoch, lstm_epoch,
gru_epoch, bilstm_text_epoch, mha_epoch), measured as the project's standard asks: rounds alternate between
SwiftKeras and real Keras, every round of every side is a fresh process (build, one warm-up
epoch, one timed epoch), SwiftKeras's figure is the median of its rounds and each Keras backend's
the best of its rounds (Keras/JAX is bimodal across processes), with the spread and the load.

The workloads are defined twice, here for Keras and in Benchmarks/KerasBench/FamilyBenchmarks.swift
for SwiftKeras, with the same layers, shapes, batch sizes, optimizers and losses.

Usage:
  bench_families.py [--rounds 5] [--json .build/bench.json] [--tf-python PATH] [names...]
      drive the comparison; appends rows to --json in KerasBench's format.
  bench_families.py --keras NAME
      one Keras round in this process (backend from KERAS_BACKEND); prints one JSON line.
The TensorFlow backend is measured when --tf-python (or $BENCH_TF_PYTHON) names a Python with
keras and tensorflow; JAX with this Python when it has keras and jax.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SWIFT_BENCH = Path(os.environ.get("BENCH_SWIFT_BIN", ROOT / ".build" / "release" / "KerasBench"))
NAMES = ["conv_epoch", "cifar_cnn_epoch", "bn_cnn_epoch", "lstm_epoch", "gru_epoch", "bilstm_text_epoch", "mha_epoch"]


def keras_workload(name):
    """(model, x, y, batch_size, optimizer, loss) for one workload, as FamilyBenchmarks.swift has it."""
    import numpy as np
    import keras
    from keras import layers

    rng = np.random.default_rng(0)

    def uniform(*shape):
        return rng.random(shape, dtype=np.float32)

    def classes(n, k):
        return rng.integers(0, k, n).astype("float32")

    if name in ("conv_epoch", "bn_cnn_epoch"):
        norm = [layers.BatchNormalization()] if name == "bn_cnn_epoch" else []
        model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), *norm,
                                  layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10, activation="softmax")])
        return model, uniform(10_000, 28, 28, 1), classes(10_000, 10), 128, "adam", "sparse_categorical_crossentropy"
    if name == "cifar_cnn_epoch":
        model = keras.Sequential([keras.Input((32, 32, 3)),
                                  layers.Conv2D(32, 3, padding="same", activation="relu"),
                                  layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
                                  layers.Conv2D(64, 3, padding="same", activation="relu"),
                                  layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
                                  layers.Flatten(), layers.Dense(10, activation="softmax")])
        return model, uniform(5_000, 32, 32, 3), classes(5_000, 10), 64, "adam", "sparse_categorical_crossentropy"
    if name in ("lstm_epoch", "gru_epoch"):
        rnn = layers.LSTM(32) if name == "lstm_epoch" else layers.GRU(32)
        model = keras.Sequential([keras.Input((50, 8)), rnn, layers.Dense(1)])
        return model, uniform(5_000, 50, 8), uniform(5_000, 1), 64, "adam", "mean_squared_error"
    if name == "bilstm_text_epoch":
        lengths = rng.integers(20, 101, 5_000)
        tokens = rng.integers(1, 10_000, (5_000, 100))
        x = np.where(np.arange(100)[None, :] < lengths[:, None], tokens, 0).astype("float32")
        model = keras.Sequential([keras.Input((100,)), layers.Embedding(10_000, 64, mask_zero=True),
                                  layers.Bidirectional(layers.LSTM(32)), layers.Dense(1, activation="sigmoid")])
        return model, x, classes(5_000, 2), 64, "adam", "binary_crossentropy"
    if name == "mha_epoch":
        inputs = keras.Input((64, 64))
        h = layers.MultiHeadAttention(num_heads=4, key_dim=16)(inputs, inputs)
        model = keras.Model(inputs, layers.Dense(1)(layers.GlobalAveragePooling1D()(h)))
        return model, uniform(2_000, 64, 64), uniform(2_000, 1), 32, "adam", "mean_squared_error"
    raise SystemExit(f"unknown workload {name!r}; known: {NAMES}")


def keras_round(name):
    model, x, y, batch, optimizer, loss = keras_workload(name)
    model.compile(optimizer=optimizer, loss=loss)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"name": name, "seconds": seconds, "peak_rss_mib": rss}))


def run_json(cmd, env=None):
    """Runs one round in a fresh process and returns its JSON line, or None (with the reason)."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    print(f"  round failed ({' '.join(map(str, cmd[:3]))}...): {tail}", file=sys.stderr)
    return None


def has_keras(python, backend):
    env = dict(os.environ, KERAS_BACKEND=backend)
    probe = f"import keras, {'jax' if backend == 'jax' else 'tensorflow'}"
    return subprocess.run([python, "-c", probe], capture_output=True, env=env).returncode == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keras", help="run one Keras round of this workload here")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 5)))
    ap.add_argument("--json", default=str(ROOT / ".build" / "bench.json"))
    ap.add_argument("--tf-python", default=os.environ.get("BENCH_TF_PYTHON"))
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if args.keras:
        keras_round(args.keras)
        return

    backends = []
    if has_keras(sys.executable, "jax"):
        backends.append(("jax", sys.executable))
    if args.tf_python and has_keras(args.tf_python, "tensorflow"):
        backends.append(("tensorflow", args.tf_python))
    if not backends:
        print("Real Keras is not installed: the family rows show SwiftKeras alone.", file=sys.stderr)
    peak_line = subprocess.run([str(SWIFT_BENCH), "--gemm-peak"], capture_output=True, text=True).stdout.strip()
    peak = float(peak_line) if peak_line else None
    loads = [os.getloadavg()[0]]
    rows = []
    for name in args.names or NAMES:
        ours, theirs = [], {b: [] for b, _ in backends}
        print(f"{name}: {args.rounds} alternating rounds (load {os.getloadavg()[0]:.2f}) ...", file=sys.stderr)
        for _ in range(args.rounds):
            r = run_json([str(SWIFT_BENCH), "--family", name])
            if r:
                ours.append(r)
            for backend, python in backends:
                env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
                k = run_json([python, __file__, "--keras", name], env=env)
                if k:
                    theirs[backend].append(k)
            loads.append(os.getloadavg()[0])
        if not ours:
            print(f"{name}: SwiftKeras could not run it", file=sys.stderr)
            continue
        times = [r["seconds"] for r in ours]
        value = statistics.median(times)
        best = {b: min(k["seconds"] for k in ks) for b, ks in theirs.items() if ks}
        ref_backend = min(best, key=best.get) if best else None
        note = [f"ours median of {len(times)} [{min(times):.3g}-{max(times):.3g}] s"]
        for b, ks in theirs.items():
            if ks:
                ts = [k["seconds"] for k in ks]
                note.append(f"{b} best of {len(ts)} [{min(ts):.3g}-{max(ts):.3g}] s, "
                            f"RSS {max(k['peak_rss_mib'] for k in ks):.0f} MiB")
        note.append(f"our RSS {max(r['peak_rss_mib'] for r in ours):.0f} MiB")
        gflop = ours[0].get("gflop", 0)
        if gflop and peak:
            note.append(f"{gflop / value:.3g} GFLOP/s = {100 * gflop / value / peak:.2g}% of sgemm peak")
        rows.append({"name": name, "unit": "s", "value": value,
                     "reference": best.get(ref_backend) if ref_backend else None,
                     "reference_backend": ref_backend, "note": "; ".join(note)})
    load_note = f"load average during the family rows: {min(loads):.2f}-{max(loads):.2f}"
    print("| benchmark | SwiftKeras (median) | Keras (best backend) | speed-up | note |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        ref = r["reference"]
        speed = f"{ref / r['value']:.2f}x" if ref else "–"
        ref_text = f"{ref:.4g} ({r['reference_backend']})" if ref else "–"
        print(f"| {r['name']} | {r['value']:.4g} | {ref_text} | {speed} | {r['note']} |")
    print(load_note)
    path = Path(args.json)
    existing = json.loads(path.read_text()) if path.exists() else []
    existing = [e for e in existing if e.get("name") not in {r["name"] for r in rows}]
    for r in rows:
        r["note"] += f"; {load_note}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(existing + rows, indent=1))


if __name__ == "__main__":
    main()
