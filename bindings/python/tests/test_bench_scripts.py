"""scripts/bench_families.py, the driver of `make bench`'s alternating rows: how it turns each
round's JSON line into a row (ours the median with its spread, Keras the best with its spread,
otto's share of each round's own GEMM peak, the grid's n_jobs ratio), checked on rounds whose
figures are known, and a small end-to-end run against stand-ins for KerasBench and for a Keras
Python that print those JSON lines."""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"
sys.path.insert(0, str(SCRIPTS))
import bench_families  # noqa: E402


def otto(seconds, peak):
    return {"name": "otto_epoch", "seconds": seconds, "gflop": 3.85, "peak_gflops": peak, "peak_rss_mib": 70.0}


def test_otto_row_is_our_median_against_keras_best_with_each_rounds_own_peak():
    ours = [otto(0.05, 200.0), otto(0.04, 220.0), otto(0.07, 150.0)]
    theirs = {"jax": [{"seconds": 0.12, "peak_rss_mib": 400.0}, {"seconds": 0.06, "peak_rss_mib": 464.0}],
              "tensorflow": [{"seconds": 0.9, "peak_rss_mib": 600.0}]}
    rows = bench_families.summarize("otto_epoch", ours, theirs, peak=1e9, load=(0.3, 1.25))
    row, peak = rows
    assert row["name"] == "otto_epoch" and row["value"] == 0.05
    assert row["reference"] == 0.06 and row["reference_backend"] == "jax"
    assert "ours median of 3 [0.04-0.07] s" in row["note"]
    assert "jax best of 2 [0.06-0.12] s, RSS 464 MiB" in row["note"]
    assert "tensorflow best of 1 [0.9-0.9] s" in row["note"]
    # Each round against its own process's peak (not the peak=1e9 given for rows without one).
    shares = [100 * 3.85 / 0.05 / 200, 100 * 3.85 / 0.04 / 220, 100 * 3.85 / 0.07 / 150]
    assert f"= {statistics.median(shares):.3g}% [{min(shares):.3g}-{max(shares):.3g}] of the same round's" in row["note"]
    assert "load 0.30 at start, 1.25 at end" in row["note"]
    assert peak["name"] == "sgemm_peak_2048" and peak["value"] == 200.0 and peak["reference"] is None
    assert "[150-220]" in peak["note"]


def test_grid_rounds_give_both_n_jobs_rows_and_the_median_ratio():
    ours = [{"name": "iris_grid_search", "seconds": b, "n_jobs_1": a, "n_jobs_2": b, "ratio": a / b, "peak_rss_mib": 30.0}
            for a, b in [(0.047, 0.0245), (0.048, 0.0293), (0.046, 0.0240)]]
    theirs = {"jax": [{"n_jobs_1": 33.0, "n_jobs_2": 31.4, "seconds": 31.4, "peak_rss_mib": 900.0}]}
    one, two = bench_families.summarize("iris_grid_search", ours, theirs)
    assert (one["name"], one["value"], one["reference"]) == ("iris_grid_search_n_jobs_1", 0.047, 33.0)
    assert (two["name"], two["value"], two["reference"]) == ("iris_grid_search_n_jobs_2", 0.0245, 31.4)
    ratios = sorted(a["ratio"] for a in ours)
    assert f"n_jobs 2 / n_jobs 1 {ratios[1]:.2f}x [{ratios[0]:.3g}-{ratios[2]:.3g}]" in two["note"]
    assert "jax SciKeras + GridSearchCV best of 1 [31.4-31.4] s" in two["note"]
    assert "n_jobs 2 /" not in one["note"]
    assert "held on core" not in two["note"]  # rounds without the per-core searches


def test_grid_note_gives_the_share_of_the_two_cores_summed_speed():
    # Core 1 runs at 2/3 of core 0's speed: two workers at best 1 / (1/0.04 + 1/0.06) = 0.024 s.
    rounds = [(0.040, 0.060, 0.025), (0.040, 0.060, 0.024), (0.040, 0.040, 0.021)]
    ours = [{"name": "iris_grid_search", "seconds": t2, "n_jobs_1": c0, "n_jobs_2": t2, "ratio": c0 / t2,
             "n_jobs_1_core0": c0, "n_jobs_1_core1": c1, "peak_rss_mib": 30.0} for c0, c1, t2 in rounds]
    _, two = bench_families.summarize("iris_grid_search", ours, {})
    # 96%, 100% and 0.02 / 0.021 = 95.2%; slower core's speed 0.67, 0.67 and 1.
    assert "n_jobs 2 at 96% [95.2-100] of the two cores' summed speed" in two["note"]
    assert "slower core's speed / faster's 0.67 [0.667-1]" in two["note"]
    assert "n_jobs 1 held on core 0 0.04 s, on core 1 0.06 s (medians)" in two["note"]


def test_a_row_without_rounds_or_keras_is_ours_alone():
    assert bench_families.summarize("predict_one_row", [], {}) == []
    [row] = bench_families.summarize("predict_one_row", [{"seconds": 9e-7, "peak_rss_mib": 20.0}], {"jax": []})
    assert row["value"] == 9e-7 and row["reference"] is None and "best of" not in row["note"]


FAKE = """#!{python}
import json, sys
args = sys.argv[1:]
if args[:1] == ["-c"]:
    sys.exit(0)  # the probe for keras and a backend
name = args[-1]
keras = "bench_keras.py" in " ".join(args)
count = {count!r}
with open(count, "a") as f:
    f.write(name + "\\n")
if name == "predict_one_row" and not keras and len(open(count).read().split()) == 1:
    sys.exit(3)  # a round that fails: left out, the others kept
line = {{"name": name, "seconds": 0.5 if keras else 0.01 * len(open(count).read().split()), "peak_rss_mib": 10.0}}
if name == "iris_grid_search":
    line.update(n_jobs_1=30.0, n_jobs_2=20.0) if keras else line.update(n_jobs_1=0.05, n_jobs_2=0.025, ratio=2.0)
print("noise before the line")
print(json.dumps(line))
"""


def test_a_small_run_alternates_fresh_processes_and_writes_both_files(tmp_path):
    fake = tmp_path / "fake"
    fake.write_text(FAKE.format(python=sys.executable, count=str(tmp_path / "calls")))
    fake.chmod(0o755)
    out, keras_out = tmp_path / "bench.json", tmp_path / "bench-keras.json"
    out.write_text(json.dumps([{"name": "otto_epoch", "value": 1.0}, {"name": "other", "value": 2.0}]))
    env = dict(os.environ, BENCH_SWIFT_BIN=str(fake))
    run = subprocess.run([sys.executable, str(SCRIPTS / "bench_families.py"), "--rounds", "3", "--json", str(out),
                          "--keras-json", str(keras_out), "--jax-python", str(fake), "predict_one_row", "iris_grid_search"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    calls = (tmp_path / "calls").read_text().split()
    # Rounds alternate ours and Keras's; SciKeras runs in the first round only (--scikeras-rounds 1).
    assert calls == ["predict_one_row"] * 6 + ["iris_grid_search"] * 4
    rows = {r["name"]: r for r in json.loads(out.read_text())}
    assert set(rows) == {"otto_epoch", "other", "predict_one_row", "iris_grid_search_n_jobs_1", "iris_grid_search_n_jobs_2"}
    # Ours: rounds 2 and 3 (0.03, 0.05 s: the count of calls so far); the failed first round is left out.
    predict = rows["predict_one_row"]
    assert predict["value"] == pytest.approx(0.04) and "ours median of 2 [0.03-0.05] s" in predict["note"]
    assert predict["reference"] == 0.5 and "jax best of 3 [0.5-0.5] s" in predict["note"]
    assert rows["iris_grid_search_n_jobs_2"]["value"] == 0.025 and "2.00x" in rows["iris_grid_search_n_jobs_2"]["note"]
    assert rows["iris_grid_search_n_jobs_1"]["reference"] == 30.0
    assert json.loads(keras_out.read_text()) == {"predict_one_row": 0.5, "iris_grid_search_n_jobs_1": 30.0,
                                                 "iris_grid_search_n_jobs_2": 20.0}
    assert "| predict_one_row | 0.04 | 0.5 (jax) | 12.50x |" in run.stdout
    assert "round failed" in run.stderr


def test_the_layer_rows_are_the_same_three_times():
    """Every layer row KerasBench measures (LayerBenchmarks.swift) has its Keras workload in
    bench_keras.py and is driven by bench_families.py --layers, and no other."""
    import ast
    import re
    swift = (SCRIPTS.parent / "Benchmarks" / "KerasBench" / "LayerBenchmarks.swift").read_text()
    ours = re.findall(r'LayerRow\(name: "([^"]+)"', swift)
    tree = ast.parse((SCRIPTS / "bench_keras.py").read_text())
    [rows] = [n.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "LAYER_ROWS"]
    keras = [k.value for k in rows.keys]
    assert ours and ours == keras == bench_families.LAYER_NAMES


def test_layer_rows_alternate_through_both_row_commands(tmp_path):
    fake = tmp_path / "fake"
    fake.write_text(FAKE.format(python=sys.executable, count=str(tmp_path / "calls")))
    fake.chmod(0o755)
    out = tmp_path / "bench.json"
    env = dict(os.environ, BENCH_SWIFT_BIN=str(fake))
    run = subprocess.run([sys.executable, str(SCRIPTS / "bench_families.py"), "--rounds", "2", "--json", str(out),
                          "--jax-python", str(fake), "--layers", "adaptive_max_pooling2d_step"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "calls").read_text().split() == ["adaptive_max_pooling2d_step"] * 4
    assert bench_families.swift_command("mel_spectrogram_32x16000")[1:] == ["--row", "mel_spectrogram_32x16000"]
    assert bench_families.keras_command("python", "mel_spectrogram_32x16000")[1:] == [
        str(SCRIPTS / "bench_keras.py"), "--row", "mel_spectrogram_32x16000"]
    [row] = json.loads(out.read_text())
    assert row["name"] == "adaptive_max_pooling2d_step" and row["reference"] == 0.5


def test_unknown_rows_are_refused_by_name(tmp_path):
    run = subprocess.run([sys.executable, str(SCRIPTS / "bench_families.py"), "--skip-keras", "--json",
                          str(tmp_path / "b.json"), "otto_epochs"], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "otto_epochs" in run.stderr


def _bench_python():
    """scripts/bench_python.py without its script set-up: as a script it points SWIFTKERAS_LIBRARY
    at .build/release for its own child processes, which would leak into this process's later
    tests (a Dask cluster's worker processes then load a library that is not there)."""
    saved = os.environ.get("SWIFTKERAS_BENCH_INSTALLED")
    os.environ["SWIFTKERAS_BENCH_INSTALLED"] = "1"
    try:
        import bench_python
    finally:
        if saved is None:
            del os.environ["SWIFTKERAS_BENCH_INSTALLED"]
        else:
            os.environ["SWIFTKERAS_BENCH_INSTALLED"] = saved
    return bench_python


# scripts/bench_python.py's fit rows: both sides the best of the same number of warm runs.
FAKE_PROFILE = """#!/bin/sh
echo "$@" >> {calls}
echo "iris fit best of $2: 0.0125s wall, 0.0100s CPU of the calling thread"
"""


def test_the_swift_side_of_a_fit_row_runs_one_more_time_than_it_counts(tmp_path, monkeypatch):
    bench_python = _bench_python()
    fake = tmp_path / "fake"
    fake.write_text(FAKE_PROFILE.format(calls=tmp_path / "calls"))
    fake.chmod(0o755)
    monkeypatch.setattr(bench_families, "SWIFT_BENCH", fake)
    # The process's first run is its warm-up (a fresh process's set-up), as the Python side's.
    assert bench_python.swift_best("iris", 3) == (0.0125, 0.0100)
    assert (tmp_path / "calls").read_text().split() == ["--profile-iris", "4"]


def test_a_fit_row_is_the_median_of_each_sides_best_runs_with_the_cpu_ratio():
    bench_python = _bench_python()
    fits = {"iris_fit_300_epochs": {
        "python": 0.0090, "swift": 0.0080, "python_cpu": 0.0084, "swift_cpu": 0.0080,
        "python_runs": [0.0090, 0.0088, 0.0120], "swift_runs": [0.0080, 0.0079, 0.0081],
        "python_cpu_runs": [0.0084, 0.0083, 0.0090], "swift_cpu_runs": [0.0080, 0.0079, 0.0080]}}
    [row] = bench_python.fit_rows(fits, (0.5, 1.5))
    assert row["name"] == "python_iris_fit_300_epochs" and row["value"] == 0.0090 and row["reference"] == 0.0080
    assert row["ratio_to_swift"] == pytest.approx(1.125) and row["cpu_ratio_to_swift"] == pytest.approx(1.05)
    assert "Python/Swift 1.125 (target <= 1.10), CPU 1.050; medians of 3" in row["note"]
    assert "[Python 0.0088-0.0120, Swift 0.0079-0.0081] s; load 0.50 before, 1.50 after" in row["note"]


def test_the_iris_row_runs_at_least_its_minimum_rounds_and_otto_the_rounds_asked(monkeypatch):
    bench_python = _bench_python()
    swift_calls, python_calls = [], []

    def fit(kind):
        return lambda: python_calls.append(kind)

    def swift(kind, runs):
        swift_calls.append(kind)
        return 0.01, 0.008

    monkeypatch.setattr(bench_python, "python_fits", lambda: {"iris": fit("iris"), "otto": fit("otto")})
    monkeypatch.setattr(bench_python, "swift_best", swift)
    out = bench_python.bench_fits(2)
    minimum = bench_python.IRIS_MIN_ROUNDS
    assert minimum > 2
    assert swift_calls == ["iris"] * minimum + ["otto"] * 2
    # One warm-up fit of each, then per round an untimed fit (the first after the Swift
    # process, as that process's first run is its set-up) and the best of 3.
    assert python_calls.count("iris") == 1 + 4 * minimum and python_calls.count("otto") == 1 + 4 * 2
    assert len(out["iris_fit_300_epochs"]["python_runs"]) == minimum
    assert len(out["otto_epoch"]["swift_runs"]) == 2
    [iris, otto] = bench_python.fit_rows(out, (0.5, 0.5))
    assert f"medians of {minimum} alternating rounds" in iris["note"]
    assert "medians of 2 alternating rounds" in otto["note"]


def test_a_family_row_carries_the_cpu_ratio_when_both_sides_measured_it():
    bench_python = _bench_python()
    base = {"python": 1.0, "swift": 0.9, "python_runs": [1.0, 1.1], "swift_runs": [0.9, 0.95],
            "python_cpu_runs": [], "swift_cpu_runs": [], "loads": [0.2, 0.4]}
    [with_cpu, without] = bench_python.family_rows({"bn_cnn_epoch": {**base, "cpu_ratio": 1.02},
                                                    "conv_epoch": {**base, "cpu_ratio": None}}, 2)
    assert "Python/Swift 1.111 (target <= 1.10), CPU 1.020, medians of 2" in with_cpu["note"]
    assert with_cpu["cpu_ratio_to_swift"] == 1.02
    assert "CPU" not in without["note"] and without["cpu_ratio_to_swift"] is None


# scripts/bench_load.py's rows: ours the median of its fresh processes, Keras the best of its.
def test_load_rows_are_our_median_against_keras_best_with_the_pydataset_overhead():
    import bench_load
    ours = [{"seconds": s, "cpu_seconds": c, "arrays_seconds": 0.1, "arrays_cpu_seconds": a}
            for s, c, a in ((0.5, 0.040, 0.010), (0.3, 0.036, 0.012), (0.4, 0.038, 0.011))]
    keras = [{"seconds": 0.9, "cpu_seconds": 0.2}, {"seconds": 0.6, "cpu_seconds": 0.3}]
    row = bench_load.make_row("python_pydataset_fit_epoch", ours, keras, (1.0, 2.0))
    assert (row["value"], row["reference"]) == (0.4, 0.6)
    assert row["runs"] == [0.5, 0.3, 0.4] and row["keras_runs"] == [0.9, 0.6]
    batches = bench_load.ROWS // bench_load.BATCH
    assert row["per_batch_cpu_overhead"] == pytest.approx((0.038 - 0.011) / batches)
    assert "[0.3000-0.5000]" in row["note"] and "[0.6000-0.9000]" in row["note"]
    assert "load average 1.00 at start, 2.00 at end" in row["note"]
    alone = bench_load.make_row("python_load_model_resnet50_keras", ours[:1], [], (None, None))
    assert alone["reference"] is None and "Keras/JAX not measured" in alone["note"]


def test_load_rows_refuse_an_unknown_name(tmp_path):
    run = subprocess.run([sys.executable, str(SCRIPTS / "bench_load.py"), "--skip-keras", "--json",
                          str(tmp_path / "b.json"), "load_model"], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "load_model" in run.stderr
