#!/usr/bin/env python3
"""Per-batch cost of a custom `train_step` called from Python, in the two forms keras.io's
"Customizing what happens in fit()" guide writes, against the library's own step on the same
model: a Dense 32→16→1 (relu) regressor, batch 32, 64 batches an epoch, SGD, mse.

- guide: `swiftkeras.GradientTape`, `self.compute_loss`, `optimizer.apply`, and `self.metrics`
  (the loss tracker and the compiled `mae`) updated and read at each batch.
- tracked: the guide's second form: its own `keras.metrics.Mean` and `MeanAbsoluteError`
  trackers, `metrics` overridden, nothing compiled but the loss.
- library: no override (the library's fit, the baseline).

Usage:
  bench_train_step.py FORM [--profile]
      one process: after a warm-up epoch, 9 timed epochs; prints one JSON line (min and median
      µs per batch, and a weight checksum, which must not change with the bindings); with
      --profile, cProfile's top entries over 5 epochs instead.
  bench_train_step.py --compare OLD_PYTHONPATH NEW_PYTHONPATH [--rounds 5] [FORM ...]
      fresh processes alternating between two binding trees (the same libkeras.so,
      SWIFTKERAS_LIBRARY); prints each side's median of the per-process medians and the load.
"""

import json
import os
import statistics
import subprocess
import sys
import time

BATCHES, BATCH = 64, 32


def _model(form):
    import swiftkeras as sk

    class Base(sk.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = sk.layers.Dense(16, activation="relu")
            self.out = sk.layers.Dense(1)

        def call(self, x, training=None):
            return self.out(self.hidden(x))

    class Guide(Base):
        def train_step(self, data):
            x, y = data
            with sk.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            trainable_vars = self.trainable_variables
            self.optimizer.apply(tape.gradient(loss, trainable_vars), trainable_vars)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    class Tracked(Base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.loss_tracker = sk.metrics.Mean(name="loss")
            self.mae_metric = sk.metrics.MeanAbsoluteError(name="mae")

        def train_step(self, data):
            x, y = data
            with sk.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    model = {"guide": Guide, "tracked": Tracked, "library": Base}[form]()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"] if form == "guide" else None)
    return model


def one_process(form, profile=False):
    import numpy as np
    rs = np.random.RandomState(0)
    x = rs.normal(size=(BATCHES * BATCH, 32)).astype("float32")
    y = rs.normal(size=(BATCHES * BATCH, 1)).astype("float32")
    model = _model(form)
    model(x[:1])
    model.set_weights([rs.normal(scale=0.3, size=np.shape(w)).astype("float32")
                       for w in model.get_weights()])

    def epoch():
        return model.fit(x, y, epochs=1, batch_size=BATCH, shuffle=False, verbose=0)

    epoch()
    if profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            epoch()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        return
    times = []
    for _ in range(9):
        start = time.perf_counter()
        history = epoch()
        times.append((time.perf_counter() - start) / BATCHES * 1e6)
    print(json.dumps({"form": form, "min_us": round(min(times), 1),
                      "median_us": round(statistics.median(times), 1),
                      "logs": {k: v[-1] for k, v in sorted(history.history.items())},
                      "checksum": float(sum(float(np.sum(w)) for w in model.get_weights()))}))


def compare(old, new, rounds, forms):
    load = [open("/proc/loadavg").read().split()[:3]]
    rows = {(side, form): [] for side in ("old", "new") for form in forms}
    for _ in range(rounds):
        for form in forms:
            for side, path in (("old", old), ("new", new)):
                env = dict(os.environ, PYTHONPATH=path)
                out = subprocess.run([sys.executable, __file__, form], env=env, check=True,
                                     capture_output=True, text=True).stdout.splitlines()[-1]
                rows[side, form].append(json.loads(out))
    load.append(open("/proc/loadavg").read().split()[:3])
    for form in forms:
        old_r, new_r = rows["old", form], rows["new", form]
        same = {(json.dumps(r["logs"]), r["checksum"]) for r in old_r + new_r}
        print(f"{form}: old {statistics.median(r['median_us'] for r in old_r):.1f} µs "
              f"[{min(r['min_us'] for r in old_r):.1f}], new "
              f"{statistics.median(r['median_us'] for r in new_r):.1f} µs "
              f"[{min(r['min_us'] for r in new_r):.1f}] per batch (median of {rounds} processes' "
              f"medians [best epoch]); results identical: {len(same) == 1}")
    print("load", load[0], "->", load[1])


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--compare":
        rounds = 5
        if "--rounds" in args:
            at = args.index("--rounds")
            rounds = int(args[at + 1])
            del args[at:at + 2]
        compare(args[1], args[2], rounds, args[3:] or ["guide", "tracked", "library"])
    elif args:
        one_process(args[0], "--profile" in args)
    else:
        sys.exit(__doc__)
