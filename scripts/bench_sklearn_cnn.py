#!/usr/bin/env python3
"""The estimator issue's CNN grid-search row of `make bench` (sklearn_digits_cnn_grid_search):
a small CNN (Conv2D -> MaxPooling2D -> Flatten -> Dense) grid-searched on the digits images
(scikit-learn's load_digits, the table Sources/KerasDatasets embeds: 1,797 8x8 images, scaled to
0...1), grid {model__filters: [4, 8], epochs: [5, 10]}, StratifiedKFold(3) (unshuffled, so both
sides get the same folds), batch 32, Adam, accuracy, refit, n_jobs=2:

- SwiftKeras: swiftkeras.wrappers.KerasClassifier with swiftkeras.model_selection.GridSearchCV,
  which runs the fits in the library (the row fails if it falls back to scikit-learn);
- reference: SciKeras 0.13 + sklearn.model_selection.GridSearchCV on Keras 3 / JAX (the faster
  Keras backend on this machine for small models).

Rounds alternate; every Keras round is a fresh process (its figure is the best of them, as
Keras/JAX's first compilations vary), SwiftKeras's rounds run in this process after one warm-up
search (its figure is their median). The load average is kept in the note.

Usage: bench_sklearn_cnn.py [--rounds 3] [--keras-rounds K] [--with-jobs-1] [--json .build/bench.json]
           (--keras-rounds: SciKeras processes, fewer than --rounds, spread evenly among ours
           (one takes ~10 minutes; default: one per round); --with-jobs-1: each of our rounds
           also runs the search with n_jobs=1, and the note gives n_jobs 2 over n_jobs 1 from
           the same run)
       bench_sklearn_cnn.py --keras    (one SciKeras round; prints one JSON line)
       bench_sklearn_cnn.py --jobs-only [--rounds 5]   (SwiftKeras only: the search with n_jobs=1
           and n_jobs=2 alternating in this process, medians and their ratio; no JSON row)
Appends (replaces) its row in --json, in KerasBench's format.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "sklearn_digits_cnn_grid_search"
GRID = {"model__filters": [4, 8], "epochs": [5, 10]}


def digits():
    import numpy as np
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    return (x / 16.0).reshape(-1, 8, 8, 1).astype(np.float32), y


def cnn(lib, filters):
    return lib.Sequential([lib.Input((8, 8, 1)), lib.layers.Conv2D(filters, 3, activation="relu"),
                           lib.layers.MaxPooling2D(2), lib.layers.Flatten(),
                           lib.layers.Dense(10, activation="softmax")])


def search(wrapper, grid_search, lib):
    """The search object; `wrapper` is a KerasClassifier class, `grid_search` a GridSearchCV."""
    from sklearn.model_selection import StratifiedKFold

    def build(filters=4):
        return cnn(lib, filters)

    clf = wrapper(model=build, loss="sparse_categorical_crossentropy", optimizer="adam",
                  batch_size=32, verbose=0, random_state=0, model__filters=4)
    return grid_search(clf, GRID, cv=StratifiedKFold(3), scoring="accuracy", n_jobs=2, refit=True)


def keras_round():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    from scikeras.wrappers import KerasClassifier
    from sklearn.model_selection import GridSearchCV
    x, y = digits()
    s = search(KerasClassifier, GridSearchCV, keras)
    t = time.perf_counter()
    s.fit(x, y)
    print(json.dumps({"seconds": time.perf_counter() - t, "best_score": float(s.best_score_)}))


def jobs_rounds(rounds):
    """The search with n_jobs=1 and n_jobs=2, alternating, after one warm-up search; and, from
    the n_jobs=2 searches' schedules, where their time went."""
    ours_run = swiftkeras_search()
    ours_run()
    times, library, schedules = {1: [], 2: []}, {1: [], 2: []}, []
    for _ in range(rounds):
        for jobs in (1, 2):
            seconds, _, search = ours_run(n_jobs=jobs, keep=True)
            times[jobs].append(seconds)
            if search.schedule_:
                library[jobs].append(max(e["end"] for e in search.schedule_))
                if jobs == 2:
                    schedules.append(search.schedule_)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"{NAME} n_jobs=1: {one:.3f} s [{min(times[1]):.3g}-{max(times[1]):.3g}], n_jobs=2: "
          f"{two:.3f} s [{min(times[2]):.3g}-{max(times[2]):.3g}]; n_jobs 2 is {one / two:.2f}x "
          f"n_jobs 1 (target >= 1.7x); {rounds} rounds, load average {os.getloadavg()[0]:.2f}")
    if library[1] and library[2]:
        l1, l2 = statistics.median(library[1]), statistics.median(library[2])
        print(f"  the library's fits and refit (schedule): n_jobs=1 {l1:.3f} s, n_jobs=2 {l2:.3f} s "
              f"({l1 / l2:.2f}x); outside them (Python, encoding, results) n_jobs=1 "
              f"{one - l1:.3f} s, n_jobs=2 {two - l2:.3f} s")
    for schedule in schedules[:3]:
        print("  n_jobs=2 schedule: " + schedule_summary(schedule))


def schedule_summary(schedule):
    """Each worker's busy time, its CPU time and idle time up to the search's last fit, and
    where the refit ran (`R`: on a worker while the other finished the fits)."""
    end = max(e["end"] for e in schedule)
    parts = []
    for w in sorted({e["worker"] for e in schedule}, key=lambda w: -1 if w is None else w):
        mine = [e for e in schedule if e["worker"] == w]
        busy = sum(e["end"] - e["start"] for e in mine)
        refits = "".join(f" refit c{e['candidate']} {e['end'] - e['start']:.3f} s" for e in mine
                         if e["split"] is None)
        parts.append(f"worker {'caller' if w is None else w}: {len(mine)} runs, busy {busy:.3f} s "
                     f"(CPU {sum(e['cpu'] for e in mine):.3f} s), idle {end - busy:.3f} s{refits}")
    return "; ".join(parts)


def swiftkeras_search():
    if not os.environ.get("SWIFTKERAS_BENCH_INSTALLED"):
        sys.path.insert(0, str(ROOT / "bindings" / "python"))
        os.environ.setdefault("SWIFTKERAS_LIBRARY", str(ROOT / ".build" / "release" / "libkeras.so"))
    import swiftkeras
    from swiftkeras.model_selection import GridSearchCV
    from swiftkeras.wrappers import KerasClassifier
    x, y = digits()

    def run(n_jobs=2, keep=False):
        s = search(KerasClassifier, GridSearchCV, swiftkeras).set_params(n_jobs=n_jobs)
        t = time.perf_counter()
        s.fit(x, y)
        seconds = time.perf_counter() - t
        if not s.native_:
            raise SystemExit(f"{NAME}: the search fell back to scikit-learn: {s.fallback_reason_}")
        return (seconds, float(s.best_score_)) + ((s,) if keep else ())
    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default=str(ROOT / ".build" / "bench.json"))
    parser.add_argument("--keras", action="store_true")
    parser.add_argument("--jobs-only", action="store_true")
    parser.add_argument("--keras-rounds", type=int, default=None)
    parser.add_argument("--with-jobs-1", action="store_true")
    args = parser.parse_args()
    if args.keras:
        keras_round()
        return
    if args.jobs_only:
        jobs_rounds(args.rounds)
        return
    ours_run = swiftkeras_search()
    ours_run()  # warm-up: library load, first allocations
    ours, ones, theirs, loads, scores = [], [], [], [], {}
    env = dict(os.environ, KERAS_BACKEND="jax")
    k = args.rounds if args.keras_rounds is None else min(args.keras_rounds, args.rounds)
    keras_after = {int(i * args.rounds / k) for i in range(k)} if k > 0 else set()
    for i in range(args.rounds):
        seconds, scores["swiftkeras"] = ours_run()
        ours.append(seconds)
        if args.with_jobs_1:
            ones.append(ours_run(n_jobs=1)[0])
        if i not in keras_after:
            loads.append(os.getloadavg()[0])
            continue
        run = subprocess.run([sys.executable, __file__, "--keras"], env=env, capture_output=True,
                             text=True)
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith("{")]
        if run.returncode == 0 and lines:
            r = json.loads(lines[-1])
            theirs.append(r["seconds"])
            scores["scikeras"] = r["best_score"]
            print(f"SciKeras process {len(theirs)} (after our round {i + 1}): {r['seconds']:.1f} s, "
                  f"load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
        else:
            print(f"SciKeras round failed: {run.stderr.strip()[-300:]}", file=sys.stderr)
        loads.append(os.getloadavg()[0])
    value = statistics.median(ours)
    reference = min(theirs) if theirs else None
    note = (f"digits CNN grid {GRID}, StratifiedKFold(3), n_jobs=2, refit; SwiftKeras median of "
            f"{len(ours)} [{min(ours):.3g}-{max(ours):.3g}] s, best accuracy "
            f"{scores['swiftkeras']:.4f}; ")
    if ones:
        one = statistics.median(ones)
        note += (f"n_jobs=1 median {one:.3g} [{min(ones):.3g}-{max(ones):.3g}] s in the same "
                 f"rounds: n_jobs 2 is {one / value:.2f}x n_jobs 1 (target >= 1.7x); ")
    if reference:
        note += (f"SciKeras + GridSearchCV on Keras/JAX best of {len(theirs)} processes "
                 f"[{min(theirs):.3g}-{max(theirs):.3g}] s, best accuracy "
                 f"{scores['scikeras']:.4f}: {reference / value:.0f}x (target >= 100x); ")
    else:
        note += "SciKeras not measured; "
    note += f"load average {min(loads):.2f}-{max(loads):.2f}"
    row = {"name": NAME, "unit": "s", "value": value, "reference": reference, "note": note,
           "runs": ours, "reference_runs": theirs, "runs_n_jobs_1": ones,
           "speedup_over_scikeras": reference / value if reference else None}
    print(f"{NAME}: {value:.4f} s; {note}")
    path = Path(args.json)
    existing = json.loads(path.read_text()) if path.exists() else []
    existing = [e for e in existing if e.get("name") != NAME]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(existing + [row], indent=1))


if __name__ == "__main__":
    main()
