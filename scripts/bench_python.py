"""SwiftKeras from Python, for `make bench` (issue 7's numbers), side by side with the same work
from Swift (KerasBench, already in .build/bench.json) and with SciKeras + real Keras:

- the seeds/003 iris fit and the seeds/004 Otto-shaped epoch through the Python binding, against
  KerasBench's iris_fit_300_epochs and otto_epoch (target: Python within 10% of Swift);
- python_custom_layer_epoch: the Otto-shaped epoch with its Dense layers written in Python with
  `ops` (traced into the library's op graph), against real Keras/JAX on the same model and data
  (SwiftKeras: median of the rounds, in this process; Keras: best of as many fresh processes,
  alternating), and against the same model with the built-in Dense (issue 16: within 10%);
- every layer-family fit row (conv_epoch ... mha_epoch, scripts/bench_families.py's workloads)
  through the Python binding, a fresh process per round, against KerasBench --family NAME in a
  fresh process, alternating (target: Python within 10% of Swift; `--families-only` runs just
  these, `--families NAME,...` chooses them; cifar_cnn_epoch, minutes a round, only by name);
- the iris grid search of the estimator issue (model__hidden x epochs x optimizer, 3 stratified
  folds, n_jobs=2) with swiftkeras.model_selection.GridSearchCV, against SciKeras + scikit-learn's
  GridSearchCV(n_jobs=2) (target: at least 50x faster). The SciKeras time is read from
  .build/bench-keras.json (scripts/bench_keras.py) or measured here when that has none.

The machine may be shared: Swift (KerasBench --profile-iris/--profile-otto; $BENCH_SWIFT_BIN
chooses the binary) and Python runs alternate, each figure is the median over rounds of a best of 3, and the load average is kept.

Usage: bench_python.py [--swift .build/bench.json] [--keras .build/bench-keras.json]
                       [--json OUT.json] [--skip-scikeras] [--rounds N]
       bench_python.py --keras-custom-layer   (one Keras round; prints its seconds as JSON)
       bench_python.py --otto-rss             (one Otto fit from Python; prints its peak RSS)
       bench_python.py --family NAME          (one family round from Python; prints its seconds)
       bench_python.py --families-only [--families NAME,...] [--rounds N]
       bench_python.py --fits-only [--rounds N] [--json OUT.json]   (the iris and Otto rows alone)
Appends its rows to the --json file (default: the --swift file) in KerasBench's format.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if not os.environ.get("SWIFTKERAS_BENCH_INSTALLED"):
    sys.path.insert(0, str(ROOT / "bindings" / "python"))
    # the library `make bench` has just built, the one KerasBench is made from
    os.environ.setdefault("SWIFTKERAS_LIBRARY", str(ROOT / ".build" / "release" / "libkeras.so"))

GRID = {"model__hidden": [8, 16], "epochs": [50, 100], "optimizer": ["adam", "sgd"]}


def timed(repeats, fn):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"median": statistics.median(times), "best": min(times), "runs": times}


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def iris():
    from sklearn.datasets import load_iris
    x, y = load_iris(return_X_y=True)
    return x.astype(np.float32), y.astype(np.float32)


def otto_like(n=61878, seed=42):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 9, size=n)
    rates = rng.gamma(0.5, 1.0, size=(9, 93)) + 0.3
    x = np.log1p(rng.poisson(rates[labels]).astype(np.float32))
    x = (x - x.mean(0)) / (x.std(0) + 1e-6)
    return np.ascontiguousarray(x, np.float32), np.eye(9, dtype=np.float32)[labels]


def swift_best(kind, runs):
    """(wall, CPU of the calling thread) seconds, each the best of `runs` warm runs of the same
    fit in Swift: KerasBench --profile-iris / --profile-otto (a process that does that fit and
    nothing else; $BENCH_SWIFT_BIN, as for the family rows). The process runs it `runs + 1`
    times: its first run pays the fresh process's one-time set-up (first touches of the code,
    the allocator's first pages, the library's lazily made state), as the Python process's
    warm-up fit does, so that both sides take the best of `runs` warm runs."""
    import re
    import subprocess
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_families import SWIFT_BENCH as bench
    text = subprocess.run([str(bench), f"--profile-{kind}", str(runs + 1)], check=True,
                          capture_output=True, text=True).stdout
    found = re.search(r"best of \d+: ([0-9.e+-]+)s wall, ([0-9.e+-]+)s CPU", text)
    return float(found.group(1)), float(found.group(2))


def python_best(runs, fit):
    """(wall, CPU of the calling thread) seconds, each the best of `runs` calls of `fit`, as
    KerasBench's --profile-* print theirs."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.thread_time()
        fit()
        cpu.append(time.thread_time() - c)
        wall.append(time.perf_counter() - t)
    return min(wall), min(cpu)


def python_fits():
    """seeds/003 and seeds/004 exactly as KerasBench runs them in Swift. Both sides time the same
    work: the iris fit makes, compiles, fits (300 epochs) and frees a fresh model each run, in
    Swift (--profile-iris) as here, and the best of the runs is a warm one on both sides (a fresh
    KerasBench process's first run pays its one-time set-up; here a warm-up fit runs first)."""
    import swiftkeras as keras

    x, y = iris()

    def iris_fit():
        keras.utils.set_random_seed(2)
        model = keras.Sequential([keras.layers.Dense(8), keras.layers.Activation("relu"),
                                  keras.layers.Dense(3), keras.layers.Activation("softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        model.fit(x, y, epochs=300, verbose=0, validation_split=0.1)

    ox, oy = otto_like()
    mlp = keras.Sequential([keras.layers.Dense(100, input_shape=(93,)), keras.layers.Dense(9),
                            keras.layers.Activation("softmax")])
    mlp.compile(optimizer="sgd", loss="categorical_crossentropy")
    return {"iris": iris_fit,
            "otto": lambda: mlp.fit(ox, oy, batch_size=128, epochs=1, verbose=0)}


# The iris row's least number of rounds. A round costs ~0.2 s (a KerasBench process and three
# 6 ms fits here), and its per-round ratio is noise-dominated: each side's best of 3 is ~6 ms of
# wall time on a 2-core machine shared with other work, so one preemption moves it by 10-50%.
# With 5 rounds, quiet runs minutes apart gave medians of 0.75 to 1.16 while the CPU-time ratio
# of the same runs stayed within a few percent (docs/PERFORMANCE.md, "The Python iris row").
IRIS_MIN_ROUNDS = 21


def bench_fits(rounds, runs=3):
    """Rounds alternating Swift and Python, each the best of `runs` warm fits (on each side the
    round's first fit is untimed), so that both see the same load; the figures are the medians over rounds, of the wall times and of the calling
    thread's CPU times (steadier than wall times on a loaded machine). The iris row runs at least
    IRIS_MIN_ROUNDS rounds."""
    fits = python_fits()
    fits["iris"]()
    fits["otto"]()
    out = {}
    for kind, name in (("iris", "iris_fit_300_epochs"), ("otto", "otto_epoch")):
        swift, python, swift_cpu, python_cpu = [], [], [], []
        for _ in range(max(rounds, IRIS_MIN_ROUNDS) if kind == "iris" else rounds):
            wall, cpu = swift_best(kind, runs)
            swift.append(wall)
            swift_cpu.append(cpu)
            # The Python side's runs also follow a fit of their own: its first fit after the
            # Swift process (whose start and fits evict this process's caches) is untimed, as
            # the Swift process's first run is never its best (its fresh process's set-up).
            fits[kind]()
            wall, cpu = python_best(runs, fits[kind])
            python.append(wall)
            python_cpu.append(cpu)
        out[name] = {"python": statistics.median(python), "swift": statistics.median(swift),
                     "python_cpu": statistics.median(python_cpu),
                     "swift_cpu": statistics.median(swift_cpu),
                     "python_runs": python, "swift_runs": swift,
                     "python_cpu_runs": python_cpu, "swift_cpu_runs": swift_cpu}
    return out


CUSTOM_LAYER = """
class OpsDense(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return ops.add(ops.matmul(inputs, self.kernel), self.bias)
"""


def custom_layer_epoch(keras, custom=True):
    """A function timing one Otto-shaped epoch (after a warm-up epoch) of the seeds/004 model,
    its Dense layers written in Python with ops (or the built-in Dense)."""
    scope = {"keras": keras, "ops": keras.ops}
    exec(CUSTOM_LAYER, scope)  # noqa: S102 — this file's own source
    dense = scope["OpsDense"] if custom else keras.layers.Dense
    x, y = otto_like()
    model = keras.Sequential([keras.Input((93,)), dense(100), dense(9),
                              keras.layers.Activation("softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)

    def epoch():
        t = time.perf_counter()
        model.fit(x, y, batch_size=128, epochs=1, verbose=0)
        return time.perf_counter() - t
    return epoch


def otto_like_lean(n=61878, seed=42, chunk=4096):
    """otto_like's data made a block of rows at a time into the float32 arrays, so that the
    generator's temporaries (int64 counts of the whole set) do not count in the peak RSS."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 9, size=n)
    rates = rng.gamma(0.5, 1.0, size=(9, 93)) + 0.3
    x = np.empty((n, 93), np.float32)
    for start in range(0, n, chunk):
        part = labels[start:start + chunk]
        x[start:start + len(part)] = np.log1p(rng.poisson(rates[part]).astype(np.float32))
    # x.mean(0) and x.std(0) as numpy computes them, without std's whole-array temporaries
    # (x - mean, its square: 2 x 23 MiB that were most of the peak this measures).
    mean = x.mean(0)
    squares = np.zeros(x.shape[1], np.float64)
    for start in range(0, n, chunk):
        part = x[start:start + chunk] - mean
        squares += np.einsum("ij,ij->j", part, part, dtype=np.float64)
    std = np.sqrt(squares / n).astype(np.float32)
    x -= mean
    x /= std + 1e-6
    y = np.zeros((n, 9), np.float32)
    y[np.arange(n), labels] = 1
    return x, y


def otto_rss_round():
    """One process: the seeds/004 Otto-shaped fit (one epoch) and a predict from Python; prints
    the process's peak RSS in MiB as JSON (issue 19: at most 110 MiB)."""
    import resource
    import swiftkeras as keras
    x, y = otto_like_lean()
    model = keras.Sequential([keras.Input((93,)), keras.layers.Dense(100), keras.layers.Dense(9),
                              keras.layers.Activation("softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x, y, batch_size=128, epochs=1, verbose=0)
    model.predict(x, batch_size=1024, verbose=0)
    # VmHWM, not ru_maxrss: Linux carries the pre-exec address space's peak into ru_maxrss, so a
    # child spawned (vfork + exec) by this script's own process, with JAX loaded, reported the
    # parent's ~300 MiB instead of its own.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        with open("/proc/self/status") as f:
            peak = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration, ValueError):
        pass
    print(json.dumps({"peak_rss_mib": peak, "data_mib": (x.nbytes + y.nbytes) / 2**20}))


def bench_otto_rss():
    """The peak RSS of otto_rss_round in a fresh process, or None when it failed."""
    import subprocess
    run = subprocess.run([sys.executable, __file__, "--otto-rss"], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"Otto RSS not measured: {run.stderr.strip()[-500:]}", file=sys.stderr)
        return None
    return json.loads(run.stdout.strip().splitlines()[-1])


def python_family_round(name):
    """One round of a family workload through the Python binding, in this process: the model,
    data, batch size, optimizer and loss of bench_families.keras_workload with `keras` being
    swiftkeras; a warm-up epoch, then one timed epoch, as KerasBench --family and
    bench_families.keras_round time theirs. Prints one JSON line (with the process's CPU time in
    the timed epoch, all threads, as KerasBench --family has it)."""
    import resource
    import swiftkeras
    sys.modules["keras"] = swiftkeras
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_families
    model, x, y, batch, optimizer, loss = bench_families.keras_workload(name)
    model.compile(optimizer=optimizer, loss=loss)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"name": name, "seconds": seconds, "cpu_seconds": cpu,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def bench_families_from_python(names, rounds):
    """Rounds alternating KerasBench --family NAME and python_family_round(NAME), each a fresh
    process; medians of the rounds of each side."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_families
    out = {}
    for name in names:
        swift, python, swift_cpu, python_cpu, loads = [], [], [], [], [load_average()]
        for _ in range(rounds):
            r = bench_families.run_json([str(bench_families.SWIFT_BENCH), "--family", name])
            p = bench_families.run_json([sys.executable, __file__, "--family", name])
            if r and p:
                swift.append(r["seconds"])
                python.append(p["seconds"])
                # a KerasBench older than cpu_seconds: no CPU figure
                if r.get("cpu_seconds") and p.get("cpu_seconds"):
                    swift_cpu.append(r["cpu_seconds"])
                    python_cpu.append(p["cpu_seconds"])
            loads.append(load_average())
        if python:
            cpu = statistics.median(python_cpu) / statistics.median(swift_cpu) if python_cpu else None
            out[name] = {"python": statistics.median(python), "swift": statistics.median(swift),
                         "python_runs": python, "swift_runs": swift, "cpu_ratio": cpu,
                         "python_cpu_runs": python_cpu, "swift_cpu_runs": swift_cpu, "loads": loads}
            print(f"{name}: Python {out[name]['python']:.4f} s, Swift {out[name]['swift']:.4f} s, "
                  f"ratio {out[name]['python'] / out[name]['swift']:.3f} (medians of {len(python)}; "
                  f"Python {python}, Swift {swift}; CPU ratio "
                  f"{'-' if cpu is None else f'{cpu:.3f}'}; load {min(loads):.2f}-{max(loads):.2f})",
                  file=sys.stderr)
    return out


def fit_rows(fits, loads):
    """The rows of bench_fits's figures: wall-time medians (the value and its reference), the
    CPU-time ratio beside them; each row's note gives its own number of rounds."""
    rows = []
    for name, f in fits.items():
        ratio, cpu_ratio = f["python"] / f["swift"], f["python_cpu"] / f["swift_cpu"]
        load = f"load {loads[0]:.2f} before, {loads[1]:.2f} after" if loads[0] is not None \
            else "load unknown"
        rows.append({"name": f"python_{name}", "unit": "s", "value": f["python"], "reference": f["swift"],
                     "note": f"Python/Swift {ratio:.3f} (target <= 1.10), CPU {cpu_ratio:.3f}; medians "
                             f"of {len(f['python_runs'])} alternating rounds of best-of-3 warm runs [Python "
                             f"{min(f['python_runs']):.4f}-{max(f['python_runs']):.4f}, Swift "
                             f"{min(f['swift_runs']):.4f}-{max(f['swift_runs']):.4f}] s; {load}",
                     "python_runs": f["python_runs"], "swift_runs": f["swift_runs"],
                     "python_cpu_runs": f["python_cpu_runs"], "swift_cpu_runs": f["swift_cpu_runs"],
                     "ratio_to_swift": ratio, "cpu_ratio_to_swift": cpu_ratio,
                     "load_average": list(loads)})
    return rows


def family_rows(families, rounds):
    rows = []
    for name, f in families.items():
        ratio = f["python"] / f["swift"]
        loads = [v for v in f["loads"] if v is not None]
        cpu = "" if f["cpu_ratio"] is None else f", CPU {f['cpu_ratio']:.3f}"
        rows.append({"name": f"python_{name}", "unit": "s", "value": f["python"], "reference": f["swift"],
                     "note": f"Python/Swift {ratio:.3f} (target <= 1.10){cpu}, medians of {len(f['python_runs'])} "
                             f"alternating fresh-process rounds [Python {min(f['python_runs']):.3g}-"
                             f"{max(f['python_runs']):.3g}, Swift {min(f['swift_runs']):.3g}-"
                             f"{max(f['swift_runs']):.3g}] s; load {min(loads):.2f}-{max(loads):.2f}",
                     "python_runs": f["python_runs"], "swift_runs": f["swift_runs"], "ratio_to_swift": ratio,
                     "cpu_ratio_to_swift": f["cpu_ratio"], "python_cpu_runs": f["python_cpu_runs"],
                     "swift_cpu_runs": f["swift_cpu_runs"]})
    return rows


def keras_custom_layer_round():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    print(json.dumps({"seconds": custom_layer_epoch(keras)()}))


def bench_custom_layer(rounds):
    """Rounds alternating SwiftKeras (an epoch in this process with the custom Dense and one with
    the built-in Dense, which first alternating) and real Keras/JAX (a fresh process each); None
    for Keras where it is not installed."""
    import subprocess
    import swiftkeras as keras
    ours, builtin = custom_layer_epoch(keras), custom_layer_epoch(keras, custom=False)
    env = dict(os.environ, KERAS_BACKEND="jax")
    mine, plain, ref = [], [], []
    for k in range(rounds):
        # Which of the two runs first alternates: the first epoch of a round follows the Keras
        # process (cold caches), and always giving it to the custom layer counted that against it.
        if k % 2 == 0:
            mine.append(ours())
            plain.append(builtin())
        else:
            plain.append(builtin())
            mine.append(ours())
        run = subprocess.run([sys.executable, __file__, "--keras-custom-layer"], env=env,
                             capture_output=True, text=True)
        if run.returncode == 0:
            ref.append(json.loads(run.stdout.strip().splitlines()[-1])["seconds"])
    return {"python": statistics.median(mine), "builtin": statistics.median(plain),
            "keras": min(ref) if ref else None, "runs": mine, "builtin_runs": plain,
            "keras_runs": ref}


def scaled_iris():
    from sklearn.datasets import load_iris
    from sklearn.preprocessing import StandardScaler
    data = load_iris()
    return StandardScaler().fit_transform(data.data).astype(np.float32), data.target


def bench_native_search(repeats):
    import swiftkeras as keras
    from swiftkeras.model_selection import GridSearchCV
    from swiftkeras.wrappers import KerasClassifier

    def build(hidden=8, meta=None):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(hidden, activation="relu"),
                                 keras.layers.Dense(3, activation="softmax")])

    x, y = scaled_iris()
    clf = KerasClassifier(model=build, loss="sparse_categorical_crossentropy", batch_size=16,
                          verbose=0, model__hidden=8, random_state=0)
    scores = []

    def run():
        search = GridSearchCV(clf, GRID, cv=3, scoring="accuracy", n_jobs=2).fit(x, y)
        scores.append(search.best_score_)

    result = timed(repeats, run)
    result["best_score"] = scores[-1]
    return result


def bench_scikeras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_keras
    seconds, score = bench_keras.iris_grid_search(2)
    return {"median": seconds, "best": seconds, "runs": [seconds], "best_score": score}


def take_option(args, name, default=None):
    """The value after `name` in the command line `args` (both removed from it), or `default`."""
    if name in args:
        k = args.index(name)
        value = args[k + 1]
        del args[k:k + 2]
        return value
    return default


def main(argv):
    args = list(argv)

    def option(name, default=None):
        return take_option(args, name, default)

    swift_path = Path(option("--swift", ROOT / ".build" / "bench.json"))
    keras_path = Path(option("--keras", ROOT / ".build" / "bench-keras.json"))
    json_path = Path(option("--json", swift_path))
    rounds = int(option("--rounds", 5))
    skip_scikeras = "--skip-scikeras" in args

    if "--keras-custom-layer" in args:
        keras_custom_layer_round()
        return
    if "--otto-rss" in args:
        otto_rss_round()
        return
    family = option("--family")
    if family:
        python_family_round(family)
        return
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_families
    # cifar_cnn_epoch takes minutes a round on each side: asked for by name (--families), not in
    # the default `make bench` run.
    default_families = [n for n in bench_families.NAMES if n != "cifar_cnn_epoch"]
    family_names = option("--families", ",".join(default_families)).split(",")
    if "--fits-only" in args:
        # The iris fit and Otto epoch rows alone (Python against Swift), without the search,
        # the custom layer and the families.
        before = load_average()
        fits = bench_fits(rounds)
        loads = (before, load_average())
        rows = fit_rows(fits, loads)
        for r in rows:
            print(f"{r['name']}  {r['value']:.4f}  {r['reference']:.4f}  {r['note']}")
        if "--json" in argv:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(rows, indent=1))
        return
    if "--families-only" in args:
        rows = family_rows(bench_families_from_python(family_names, rounds), rounds)
        for r in rows:
            print(f"{r['name']}  {r['value']:.4f}  {r['reference']:.4f}  {r['note']}")
        if "--json" in argv:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(rows, indent=1))
        return
    load_before = load_average()
    fits = bench_fits(rounds)
    custom = bench_custom_layer(max(5, rounds))
    search = bench_native_search(max(3, rounds // 2))
    rss = bench_otto_rss()
    families = bench_families_from_python(family_names, rounds)
    load_after = load_average()

    swift_rows = json.loads(swift_path.read_text()) if swift_path.exists() else []
    swift = {r["name"]: r["value"] for r in swift_rows if isinstance(r, dict)}
    reference = json.loads(keras_path.read_text()) if keras_path.exists() else {}
    scikeras = reference.get("iris_grid_search_n_jobs_2")
    scikeras_source = str(keras_path)
    if scikeras is None and not skip_scikeras:
        try:
            scikeras = bench_scikeras()["best"]
            scikeras_source = "measured by bench_python.py"
        except ImportError as e:
            print(f"SciKeras not measured: {e}", file=sys.stderr)

    load = f"load average {load_before:.2f} before, {load_after:.2f} after" \
        if load_before is not None else "load average unknown"
    rows = fit_rows(fits, (load_before, load_after))
    rows += family_rows(families, rounds)
    keras_note = (f"Keras/JAX best of {len(custom['keras_runs'])} processes "
                  f"{custom['keras']:.4f} s ({custom['keras'] / custom['python']:.2f}x ours)"
                  if custom["keras"] else "Keras/JAX not measured")
    rows.append({"name": "python_custom_layer_epoch", "unit": "s", "value": custom["python"],
                 "reference": custom["keras"],
                 "note": f"Otto epoch, Dense written with ops; median of {len(custom['runs'])} "
                         f"rounds; built-in Dense {custom['builtin']:.4f} s (ratio "
                         f"{custom['python'] / custom['builtin']:.3f}, target <= 1.10); "
                         f"{keras_note}; {load}",
                 "runs": custom["runs"], "builtin_dense": custom["builtin"],
                 "builtin_runs": custom["builtin_runs"], "keras_runs": custom["keras_runs"],
                 "ratio_to_builtin": custom["python"] / custom["builtin"],
                 "load_average": [load_before, load_after]})
    if rss:
        rows.append({"name": "python_otto_fit_peak_rss", "unit": "MiB", "value": rss["peak_rss_mib"],
                     "reference": 110.0,
                     "note": f"peak RSS of a fresh process: the Otto-shaped fit (one epoch) and a "
                             f"predict from Python, {rss['data_mib']:.1f} MiB of it the data "
                             f"(target <= 110 MiB)"})
    speedup = scikeras / search["median"] if scikeras else None
    note = (f"best accuracy {search['best_score']:.4f}; SciKeras + GridSearchCV(n_jobs=2) "
            f"{scikeras:.1f} s ({scikeras_source}): {speedup:.0f}x (target >= 50x); {load}"
            if speedup else f"best accuracy {search['best_score']:.4f}; no SciKeras figure")
    rows.append({"name": "python_iris_grid_search_n_jobs_2", "unit": "s",
                 "value": search["median"], "reference": scikeras, "note": note,
                 "runs": search["runs"], "speedup_over_scikeras": speedup,
                 "swift": swift.get("iris_grid_search_n_jobs_2"),
                 "load_average": [load_before, load_after]})

    width = max(len(r["name"]) for r in rows)
    print(f"{'Python binding':<{width}}  {'best':>9}  {'reference':>9}  note")
    for r in rows:
        ref = f"{r['reference']:.4f}" if r["reference"] else "-"
        print(f"{r['name']:<{width}}  {r['value']:>9.4f}  {ref:>9}  {r['note']}")
    print("(reference: the same fit from Swift for the fits, SciKeras for the grid search; "
          "the search figure is a median)")

    kept = [r for r in swift_rows if not str(r.get("name", "")).startswith("python_")] \
        if json_path == swift_path else []
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(kept + rows, indent=1))
    print(f"Wrote {json_path}")


if __name__ == "__main__":
    main(sys.argv[1:])
