"""`model.fit` on data whose batches change between epochs (a PyDataset, shuffled by default; a
PyDataset with its own `on_epoch_end`; an endless generator with `steps_per_epoch`) is one fit
for the callbacks, as in Keras: `on_train_begin`/`on_train_end` once, EarlyStopping stops it,
ReduceLROnPlateau lowers the rate, `params` and History as Keras's, and the weights Keras's from
the same initial weights, batches and seed. (Each epoch was a fit of its own before: the
callbacks started afresh every epoch, so EarlyStopping never stopped.)"""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_train_batch")

RS = np.random.RandomState(0)
X = RS.normal(size=(32, 4)).astype("float32")
Y = RS.randint(0, 3, 32)


def _dataset(k, reorders=False):
    class Batches(k.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.order = np.arange(32)

        def __len__(self):
            return 4

        def __getitem__(self, i):
            rows = self.order[i * 8:(i + 1) * 8]
            return X[rows], Y[rows]

        if reorders:
            def on_epoch_end(self):
                self.order = np.roll(self.order, 3)
    return Batches()


def _endless():
    i = 0
    while True:
        rows = np.arange(i, i + 8) % 32
        i += 8
        yield X[rows], Y[rows]


def _hooks(k, seen):
    class Hooks(k.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(("train_begin", dict(self.params)))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            seen.append(("train_end",))
    return Hooks()


def _run(k, data, **fit):
    k.utils.set_random_seed(5)
    inp = k.Input((4,))
    model = k.Model(inp, k.layers.Dense(3, activation="softmax")(inp))
    model.compile(optimizer=k.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.set_weights([np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3), np.zeros(3, "float32")])
    seen = []
    stop = k.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=0.05)
    plateau = k.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=0.05, factor=0.5)
    history = model.fit(data, epochs=12, verbose=0, callbacks=[_hooks(k, seen), stop, plateau], **fit)
    return dict(seen=seen, epochs=history.epoch, params=history.params, stopped=stop.stopped_epoch,
                rate=float(np.asarray(model.optimizer.learning_rate)),
                loss=history.history["loss"], weights=model.get_weights())


@pytest.mark.parametrize("case", ["shuffled", "on_epoch_end", "generator"])
def test_one_fit_for_the_callbacks(case):
    runs = []
    for k in (keras, sk):
        data = _endless() if case == "generator" else _dataset(k, reorders=case == "on_epoch_end")
        fit = {"steps_per_epoch": 4} if case == "generator" else {}
        if case == "on_epoch_end":
            fit["shuffle"] = False
        runs.append(_run(k, data, **fit))
    theirs, ours = runs
    assert [s for s in ours["seen"] if s[0] == "train_begin"] == [s for s in theirs["seen"] if s[0] == "train_begin"]
    assert ours["seen"] == theirs["seen"]
    assert ours["epochs"] == theirs["epochs"] and len(ours["epochs"]) < 12   # stopped early
    assert ours["params"] == theirs["params"]
    assert ours["stopped"] == theirs["stopped"]
    assert ours["rate"] == pytest.approx(theirs["rate"])
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=2e-5)
    for a, b in zip(ours["weights"], theirs["weights"]):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)
