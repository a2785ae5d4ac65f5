#!/usr/bin/env python3
"""Two rows of `make bench` measured from Python against real Keras 3 (JAX), as the project's
bench rules ask: rounds alternate between SwiftKeras and Keras, every round of each side is a
fresh process, SwiftKeras's figure is the median of its rounds and Keras's the best of its
rounds, with the spread [min-max] of both and the load average at the row's start and end.

- python_load_model_resnet50_keras: `keras.saving.load_model` of a ResNet50 `.keras` file
  (weights=None, 25.6 M weights, 103 MB; written once by swiftkeras into a temporary folder, the
  same file for both sides), timed from the call to its return, after the imports.
- python_pydataset_fit_epoch: one epoch (after a warm-up epoch) of fit on a shuffled
  `keras.utils.PyDataset` of 128 batches of 32 rows (a 32-64-10 MLP, Adam, sparse categorical
  cross-entropy from logits), and in the same process the same epoch on the same rows as numpy
  arrays; the note gives ours per-batch overhead of the PyDataset (its epoch less the arrays'
  epoch, per batch) and Keras's epoch on the same PyDataset.

Usage:
  bench_load.py [--rounds 5] [--json .build/bench.json] [--skip-keras] [NAME ...]
      drive the comparison; replaces these rows in --json (a list of KerasBench rows).
  bench_load.py --round NAME {ours,keras} [FILE]
      one round in this process; prints one JSON line.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["python_load_model_resnet50_keras", "python_pydataset_fit_epoch"]
ROWS, BATCH, FEATURES = 4096, 32, 32


def _keras(side):
    if side == "keras":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
        return keras
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    os.environ.setdefault("SWIFTKERAS_LIBRARY", str(ROOT / ".build" / "release" / "libkeras.so"))
    import swiftkeras
    return swiftkeras


def timed(fn):
    """(wall, CPU of the process: all threads) seconds of `fn()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def load_round(keras, path):
    seconds, cpu = timed(lambda: keras.saving.load_model(path))
    return {"seconds": seconds, "cpu_seconds": cpu}


def pydataset_round(keras):
    """Seconds of one fit epoch on the PyDataset (after a warm-up epoch), and (ours) on the same
    rows as arrays."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.normal(size=(ROWS, FEATURES)).astype("float32")
    y = rng.integers(0, 10, ROWS).astype("int32")

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return ROWS // BATCH

        def __getitem__(self, i):
            return x[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]

    def epoch(data, **kwargs):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(10)])
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(data, epochs=1, shuffle=True, verbose=0, **kwargs)
        return timed(lambda: model.fit(data, epochs=1, shuffle=True, verbose=0, **kwargs))

    found = dict(zip(("seconds", "cpu_seconds"), epoch(Batches())))
    if keras.__name__ != "keras":
        found.update(zip(("arrays_seconds", "arrays_cpu_seconds"), epoch(x, y=y, batch_size=BATCH)))
    return found


def one_round(name, side, path=None):
    keras = _keras(side)
    return load_round(keras, path) if name == NAMES[0] else pydataset_round(keras)


def run_round(name, side, path=None):
    cmd = [sys.executable, __file__, "--round", name, side] + ([str(path)] if path else [])
    run = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, KERAS_BACKEND="jax"))
    if run.returncode != 0:
        raise RuntimeError(f"{name} ({side}) failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def spread(values):
    return f"[{min(values):.4f}-{max(values):.4f}]"


def make_row(name, ours, keras, loads):
    """A KerasBench row: ours the median of its rounds, Keras the best of its (None: not run)."""
    seconds, cpu = [r["seconds"] for r in ours], [r["cpu_seconds"] for r in ours]
    value = statistics.median(seconds)
    reference = min(r["seconds"] for r in keras) if keras else None
    note = (f"ours median of {len(seconds)} fresh processes {spread(seconds)}, CPU (all threads) "
            f"{statistics.median(cpu):.4f} s {spread(cpu)}")
    if keras:
        keras_cpu = [r["cpu_seconds"] for r in keras]
        note += (f"; Keras/JAX best of {len(keras)} fresh processes "
                 f"{spread([r['seconds'] for r in keras])} ({reference / value:.2f}x ours), CPU "
                 f"{min(keras_cpu):.4f} s {spread(keras_cpu)}")
    else:
        note += "; Keras/JAX not measured"
    row = {"name": name, "unit": "s", "value": value, "reference": reference, "runs": seconds,
           "cpu_runs": cpu, "keras_runs": [r["seconds"] for r in keras],
           "keras_cpu_runs": [r["cpu_seconds"] for r in keras], "load_average": list(loads)}
    if ours and "arrays_seconds" in ours[0]:
        batches = ROWS // BATCH
        arrays = statistics.median(r["arrays_seconds"] for r in ours)
        arrays_cpu = statistics.median(r["arrays_cpu_seconds"] for r in ours)
        overhead = (statistics.median(cpu) - arrays_cpu) / batches
        note += (f"; the same epoch on numpy arrays {arrays:.4f} s, CPU {arrays_cpu:.4f} s: "
                 f"{overhead * 1e6:.0f} us of CPU per batch for the PyDataset ({batches} batches "
                 f"of {BATCH})")
        row.update(arrays=arrays, arrays_cpu=arrays_cpu, per_batch_cpu_overhead=overhead)
    row["note"] = note + f"; load average {loads[0]:.2f} at start, {loads[1]:.2f} at end" \
        if None not in loads else note
    return row


def measure(name, rounds, with_keras, path=None):
    loads = [load_average()]
    ours, keras = [], []
    for _ in range(rounds):
        ours.append(run_round(name, "ours", path))
        if with_keras:
            keras.append(run_round(name, "keras", path))
    loads.append(load_average())
    return make_row(name, ours, keras, loads)


def main(argv):
    if argv[:1] == ["--round"]:
        print(json.dumps(one_round(*argv[1:])))
        return
    from bench_python import take_option   # (scripts/ is this script's folder)
    args = list(argv)
    rounds = int(take_option(args, "--rounds", 5))
    json_path = Path(take_option(args, "--json", ROOT / ".build" / "bench.json"))
    skip_keras = "--skip-keras" in args
    names = [a for a in args if a != "--skip-keras"] or NAMES
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        sys.exit(f"unknown row {unknown[0]!r}; one of {', '.join(NAMES)}")
    with_keras = not skip_keras and subprocess.run(
        [sys.executable, "-c", "import keras, jax"], capture_output=True,
        env=dict(os.environ, KERAS_BACKEND="jax")).returncode == 0
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            path = None
            if name == NAMES[0]:
                path = Path(folder) / "resnet50.keras"
                keras = _keras("ours")
                keras.applications.ResNet50(weights=None).save(path)
            rows.append(measure(name, rounds, with_keras, path))
    for r in rows:
        print(f"{r['name']}  {r['value']:.4f} s  {r['note']}")
    kept = json.loads(json_path.read_text()) if json_path.exists() else []
    kept = [r for r in kept if not (isinstance(r, dict) and r.get("name") in names)]
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(kept + rows, indent=1))
    print(f"Wrote {json_path}")


if __name__ == "__main__":
    main(sys.argv[1:])
