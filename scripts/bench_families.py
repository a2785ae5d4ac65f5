#!/usr/bin/env python3
"""The rows of `make bench` that are measured as the project's standard asks: rounds alternate
between SwiftKeras and real Keras, every round of every side is a fresh process, SwiftKeras's
figure is the median of its rounds and each Keras backend's the best of its rounds (Keras/JAX is
bimodal across processes), with the spread [min-max] of both and the load at each row's start
and end.

- The layer-family rows (conv_epoch, cifar_cnn_epoch, bn_cnn_epoch, lstm_epoch, gru_epoch,
  bilstm_text_epoch, mha_epoch): a round builds the model, trains one warm-up epoch and times one
  epoch (`KerasBench --family NAME`, `bench_families.py --keras NAME`). The workloads are defined
  twice, here for Keras and in Benchmarks/KerasBench/FamilyBenchmarks.swift for SwiftKeras, with
  the same layers, shapes, batch sizes, optimizers and losses.
- The engine issue's rows (`--engine`: otto_epoch, iris_fit_300_epochs, predict_one_row and
  iris_grid_search, which gives the two iris_grid_search_n_jobs rows): `KerasBench --row NAME`
  against `bench_keras.py --row NAME`. otto_epoch's share of the GEMM peak is each round's epoch
  against the peak measured in the same process (also the sgemm_peak_2048 row); a grid-search
  round is 3 searches with n_jobs 1 and 3 with n_jobs 2 taken in turns, its figures their medians
  and the median of their ratios; each round also times n_jobs 1 with the calling thread held on
  each core, for the share of the two cores' summed speed that n_jobs 2 reached (where one vCPU
  runs slower, the ratio depends on the core n_jobs 1 ran on). Its reference (SciKeras +
  GridSearchCV, about 30 s a search)
  runs in --scikeras-rounds processes (default 1).
- The layer-kernel rows (`--layers`: LAYER_NAMES, Benchmarks/KerasBench/LayerBenchmarks.swift and
  bench_keras.py's LAYER_ROWS): `KerasBench --row NAME` against `bench_keras.py --row NAME`, each
  round the median CPU time (all threads) of 5 calls after a warm-up one in its process.

Usage:
  bench_families.py [--rounds 5] [--json .build/bench.json] [--keras-json PATH] [--tf-python PATH]
                    [--jax-python PATH] [--skip-keras] [--engine | --layers] [names...]
      drive the comparison; appends rows to --json in KerasBench's format, and each row's Keras
      figure to --keras-json as {name: seconds} (bench_keras.py's format).
  bench_families.py --keras NAME
      one Keras round of a family workload in this process (backend from KERAS_BACKEND); prints
      one JSON line.
The TensorFlow backend is measured when --tf-python (or $BENCH_TF_PYTHON) names a Python with
keras and tensorflow; JAX with this Python (or --jax-python) when it has keras and jax.
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
ENGINE_NAMES = ["otto_epoch", "iris_fit_300_epochs", "predict_one_row", "iris_grid_search"]
# Benchmarks/KerasBench/LayerBenchmarks.swift's rows, bench_keras.py's LAYER_ROWS.
LAYER_NAMES = ["random_rotation_bilinear_8x224x224x3", "adaptive_max_pooling2d_step", "max_pooling2d_step",
               "max_pooling2d_channels_first_step",
               "adaptive_average_pooling2d_step", "average_pooling2d_step",
               "adaptive_max_pooling2d_channels_first_step", "mel_spectrogram_32x16000",
               "dense_784_512_10_predict", "int8_dense_predict", "int4_dense_predict"]
ROW_NAMES = ENGINE_NAMES + LAYER_NAMES
GRID = "iris_grid_search"


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


def swift_command(name):
    return [str(SWIFT_BENCH), "--row" if name in ROW_NAMES else "--family", name]


def keras_command(python, name):
    if name in ROW_NAMES:
        return [python, str(ROOT / "scripts" / "bench_keras.py"), "--row", name]
    return [python, __file__, "--keras", name]


def alternate(name, rounds, backends, keras_rounds=None):
    """`rounds` rounds of a fresh SwiftKeras process, each followed by a fresh process per Keras
    backend (only in the first `keras_rounds` rounds when given): (ours, {backend: rounds})."""
    ours, theirs = [], {b: [] for b, _ in backends}
    for i in range(rounds):
        r = run_json(swift_command(name))
        if r:
            ours.append(r)
        for backend, python in backends:
            if keras_rounds is not None and i >= keras_rounds:
                continue
            env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
            k = run_json(keras_command(python, name), env=env)
            if k:
                theirs[backend].append(k)
    return ours, theirs


def spread(values):
    return f"[{min(values):.3g}-{max(values):.3g}]"


def reference(theirs, key="seconds", what=""):
    """The best Keras figure over backends and rounds, its backend, and one note per backend
    (best of N [min-max], peak RSS)."""
    best, notes = {}, []
    for b, ks in theirs.items():
        ts = [k[key] for k in ks if k.get(key) is not None]
        if not ts:
            continue
        best[b] = min(ts)
        notes.append(f"{b}{what} best of {len(ts)} {spread(ts)} s, RSS {max(k['peak_rss_mib'] for k in ks):.0f} MiB")
    backend = min(best, key=best.get) if best else None
    return (best[backend] if backend else None), backend, notes


def summarize(name, ours, theirs, peak=None, load=None):
    """The rows of `make bench` for one name's rounds (`ours`: SwiftKeras's JSON lines; `theirs`:
    each backend's); `peak`: a GEMM peak (GFLOP/s) measured in this run, for a row whose rounds
    do not measure their own; `load`: the load average at the row's start and end."""
    if not ours:
        return []
    load_note = f"load {load[0]:.2f} at start, {load[1]:.2f} at end" if load else None
    rss = f"our RSS {max(r['peak_rss_mib'] for r in ours):.0f} MiB"
    if name == GRID:
        return grid_rows(ours, theirs, [rss] + ([load_note] if load_note else []))
    times = [r["seconds"] for r in ours]
    value = statistics.median(times)
    ref, ref_backend, ref_notes = reference(theirs)
    note = [f"ours median of {len(times)} {spread(times)} s"] + ref_notes + [rss]
    rows = []
    gflop = ours[0].get("gflop", 0)
    peaks = [r["peak_gflops"] for r in ours if r.get("peak_gflops")]
    if gflop and len(peaks) == len(ours):
        shares = [100 * r["gflop"] / r["seconds"] / r["peak_gflops"] for r in ours]
        note.append(f"{gflop / value:.3g} GFLOP/s = {statistics.median(shares):.3g}% {spread(shares)} of the same "
                    f"round's sgemm peak")
        rows.append({"name": "sgemm_peak_2048", "unit": "GFLOP/s", "value": statistics.median(peaks),
                     "reference": None, "reference_backend": None,
                     "note": f"OpenBLAS, all threads; median of the {name} rounds' processes {spread(peaks)}"})
    elif gflop and peak:
        note.append(f"{gflop / value:.3g} GFLOP/s = {100 * gflop / value / peak:.2g}% of sgemm peak")
    if load_note:
        note.append(load_note)
    rows.insert(0, {"name": name, "unit": "s", "value": value, "reference": ref,
                    "reference_backend": ref_backend, "note": "; ".join(note)})
    return rows


def grid_rows(ours, theirs, extra):
    """iris_grid_search_n_jobs_1 and _2 from the grid rounds: each round's medians of 3 searches
    of each, and the median of its n_jobs 1 / n_jobs 2 ratios (issue 19: at least 1.9x)."""
    ratios = [r["ratio"] for r in ours]
    rows = []
    for jobs in (1, 2):
        key = f"n_jobs_{jobs}"
        times = [r[key] for r in ours]
        ref, ref_backend, ref_notes = reference(theirs, key, " SciKeras + GridSearchCV")
        note = [f"ours median of {len(times)} processes {spread(times)} s (each the median of 3 searches)"]
        if jobs == 2:
            note.append(f"n_jobs 2 / n_jobs 1 {statistics.median(ratios):.2f}x {spread(ratios)} (each process's "
                        f"median ratio; target >= 1.9x)")
            note += core_notes(ours)
        rows.append({"name": f"iris_grid_search_{key}", "unit": "s", "value": statistics.median(times),
                     "reference": ref, "reference_backend": ref_backend, "note": "; ".join(note + ref_notes + extra)})
    return rows


def core_notes(ours):
    """What each process's two cores allow (KerasBench's n_jobs_1_core0/_core1: n_jobs 1 searches
    with the calling thread held on each core): two workers at best sum the cores' speeds, a
    search of 1 / (1/core0 + 1/core1) seconds; the share of that bound n_jobs 2 reached, and
    the slower core's speed against the faster's, per process (where one vCPU runs slower, the
    ratio to n_jobs 1 depends on which core the n_jobs 1 search ran on)."""
    pinned = [r for r in ours if r.get("n_jobs_1_core0") and r.get("n_jobs_1_core1") and r.get("n_jobs_2")]
    if not pinned:
        return []
    bounds = [1 / (1 / r["n_jobs_1_core0"] + 1 / r["n_jobs_1_core1"]) for r in pinned]
    reached = [100 * b / r["n_jobs_2"] for b, r in zip(bounds, pinned)]
    slower = [min(r["n_jobs_1_core0"], r["n_jobs_1_core1"]) / max(r["n_jobs_1_core0"], r["n_jobs_1_core1"])
              for r in pinned]
    return [f"n_jobs 1 held on core 0 {statistics.median(r['n_jobs_1_core0'] for r in pinned):.4g} s, on core 1 "
            f"{statistics.median(r['n_jobs_1_core1'] for r in pinned):.4g} s (medians); n_jobs 2 at "
            f"{statistics.median(reached):.3g}% {spread(reached)} of the two cores' summed speed; slower core's "
            f"speed / faster's {statistics.median(slower):.2f} {spread(slower)}"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keras", help="run one Keras round of this workload here")
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 5)))
    ap.add_argument("--scikeras-rounds", type=int, default=1,
                    help="Keras processes for iris_grid_search (SciKeras, about a minute each)")
    ap.add_argument("--json", default=str(ROOT / ".build" / "bench.json"))
    ap.add_argument("--keras-json", help="also write each row's Keras figure here as {name: seconds}")
    ap.add_argument("--tf-python", default=os.environ.get("BENCH_TF_PYTHON"))
    ap.add_argument("--jax-python", default=sys.executable, help="the Python with keras and jax (default: this one)")
    ap.add_argument("--skip-keras", action="store_true", help="measure SwiftKeras alone")
    ap.add_argument("--engine", action="store_true", help="the engine issue's rows (" + ", ".join(ENGINE_NAMES) + ")")
    ap.add_argument("--layers", action="store_true", help="the layer-kernel rows (" + ", ".join(LAYER_NAMES) + ")")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if args.keras:
        keras_round(args.keras)
        return

    names = args.names or (ENGINE_NAMES if args.engine else LAYER_NAMES if args.layers else NAMES)
    unknown = [n for n in names if n not in NAMES + ROW_NAMES]
    if unknown:
        raise SystemExit(f"unknown rows {unknown}; known: {NAMES + ROW_NAMES}")
    existing = earlier_rows(Path(args.json))
    known = earlier_figures(Path(args.keras_json)) if args.keras_json else {}
    backends = []
    if not args.skip_keras and has_keras(args.jax_python, "jax"):
        backends.append(("jax", args.jax_python))
    if not args.skip_keras and args.tf_python and has_keras(args.tf_python, "tensorflow"):
        backends.append(("tensorflow", args.tf_python))
    if not backends:
        print("Real Keras is not measured: these rows show SwiftKeras alone.", file=sys.stderr)
    peak = None
    if any(n in NAMES for n in names):
        peak_line = subprocess.run([str(SWIFT_BENCH), "--gemm-peak"], capture_output=True, text=True).stdout.strip()
        peak = float(peak_line) if peak_line else None
    rows = []
    for name in names:
        start = os.getloadavg()[0]
        print(f"{name}: {args.rounds} alternating rounds (load {start:.2f}) ...", file=sys.stderr)
        if name == GRID:
            # SciKeras on the faster backend only: its searches take about 30 s each.
            ours, theirs = alternate(name, args.rounds, backends[:1], keras_rounds=args.scikeras_rounds)
        else:
            ours, theirs = alternate(name, args.rounds, backends)
        if not ours:
            print(f"{name}: SwiftKeras could not run it", file=sys.stderr)
            continue
        rows += summarize(name, ours, theirs, peak, (start, os.getloadavg()[0]))
    print("| benchmark | SwiftKeras (median) | Keras (best backend) | speed-up | note |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        ref = r["reference"]
        speed = f"{ref / r['value']:.2f}x" if ref else "–"
        ref_text = f"{ref:.4g} ({r['reference_backend']})" if ref else "–"
        print(f"| {r['name']} | {r['value']:.4g} | {ref_text} | {speed} | {r['note']} |")
    path = Path(args.json)
    existing = [e for e in existing if e["name"] not in {r["name"] for r in rows}]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(existing + rows, indent=1))
    if args.keras_json:
        known.update({r["name"]: r["reference"] for r in rows if r["reference"] is not None})
        Path(args.keras_json).write_text(json.dumps(known, indent=1))


def earlier_rows(path):
    """The rows an earlier run left in --json's file, kept beside this run's; checked before
    anything is measured, so that a file of something else is refused, not found at the end."""
    if not path.exists():
        return []
    try:
        rows = json.loads(path.read_text())
    except ValueError as e:
        raise SystemExit(f"--json {path}: not JSON ({e}); name another file")
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "name" in r for r in rows):
        raise SystemExit(f"--json {path} holds no bench rows (a list of objects with a name); name another file")
    return rows


def earlier_figures(path):
    """The {row: seconds} Keras figures an earlier run left in --keras-json's file, checked alike."""
    if not path.exists():
        return {}
    try:
        known = json.loads(path.read_text())
    except ValueError as e:
        raise SystemExit(f"--keras-json {path}: not JSON ({e}); name another file")
    if not isinstance(known, dict):
        raise SystemExit(f"--keras-json {path} holds no {{row: seconds}} object; name another file")
    return known


if __name__ == "__main__":
    main()
