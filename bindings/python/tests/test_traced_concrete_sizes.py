"""A Python layer's traced call that reads a size its input leaves unknown (`x.shape[1]` of a
None axis, the batch `x.shape[0]`) sees it as an int, as Keras 3's call under jax.jit does: the
library traces such a call again for each run shape (batch and length), on the same weights,
while a call that never reads one keeps its one trace. Keras's numbers (predictions at two
batch sizes and two lengths, a fit's losses, its weights after) are
Tests/KerasTests/Fixtures/models/keras_traced_concrete_sizes.json, which
scripts/make_keras_reference_fixtures.py writes from this file's `_keras_outputs` (run it again
after changing the cases)."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import central_difference_gradient, keras_reference

RNG = np.random.default_rng(5)
X = RNG.normal(size=(5, 6, 4)).astype(np.float32)
Y = RNG.normal(size=(7, 3)).astype(np.float32)
X_FIT = RNG.normal(size=(7, 5, 4)).astype(np.float32)
RUNS = [(3, 5), (5, 5), (3, 6), (5, 6)]   # (batch, length) of each prediction


def _calls(o):
    """Calls written with `o` (keras.ops) that read sizes of x (batch, None, 4) as ints."""
    return {
        # the patterns of keras.io code: a reshape by read sizes, a tensor of read sizes, a loop
        # over the length, integer arithmetic and a comparison
        "reshape": lambda x: o.reshape(o.reshape(x, (-1, x.shape[1] * x.shape[2])), (x.shape[0], x.shape[1], 4)) * 2.0,
        "ones": lambda x: x + o.ones((x.shape[0], x.shape[1], 1)) * o.arange(x.shape[1], dtype="float32")[:, None],
        "loop": lambda x: o.stack([x[:, i] * (i + 1) for i in range(x.shape[1])], axis=1),
        "halves": lambda x: x[:, : x.shape[1] // 2] - o.mean(x[:, x.shape[1] // 2:], axis=1, keepdims=True),
        "branch": lambda x: x * 3.0 if x.shape[0] > 4 else x - 1.0,
        "unpacked": lambda x: (lambda b, n, d: o.reshape(x, (b, n * d)) / n)(*x.shape)[:, :8],
    }


# Keras's functional API runs a layer's call on jax's symbolic sizes, where a loop over the
# length or a comparison of it fails: those calls live in a subclassed model, whose calls Keras
# runs with each batch's sizes (here such a model takes the length of its first call: those
# cases run at length 5 only).
SUBCLASSED = {"branch", "loop"}


def _model(k, case):
    """Dense(4) → the case's call in a layer → mean over the length (of a 3-d output) → Dense(3),
    over (None, None, 4): a functional model, or a subclassed one for SUBCLASSED."""
    call = _calls(k.ops)[case]

    class Sized(k.layers.Layer):
        def call(self, x):
            self.traced = getattr(self, "traced", 0) + 1
            return call(x)

    def head(h):
        return k.layers.GlobalAveragePooling1D()(h) if len(h.shape) == 3 else h

    if case in SUBCLASSED:
        class Net(k.Model):
            def __init__(self):
                super().__init__()
                self.d1, self.sized, self.d2 = k.layers.Dense(4), Sized(name="sized"), k.layers.Dense(3)
                self.pool = k.layers.GlobalAveragePooling1D()

            def call(self, x):
                return self.d2(self.pool(self.sized(self.d1(x))))

        model = Net()
        model(X[:2, :5])
    else:
        inputs = k.Input(batch_shape=(None, None, 4))
        model = k.Model(inputs, k.layers.Dense(3)(head(Sized(name="sized")(k.layers.Dense(4)(inputs)))))
    model.set_weights([np.linspace(-1, 1, w.size, dtype=np.float32).reshape(w.shape) * (i + 1) * 0.3
                       for i, w in enumerate(model.get_weights())])
    return model


def _run(k, case):
    """Predictions at RUNS, then a 2-epoch SGD fit on 7 rows (batches of 4 and 3) of length 5:
    its losses, weights and predictions at RUNS after."""
    model = _model(k, case)
    runs = [(b, n) for b, n in RUNS if n == 5 or k is not sk or case not in SUBCLASSED]
    before = [model.predict(X[:b, :n], verbose=0) for b, n in runs]
    model.compile(optimizer=k.optimizers.SGD(learning_rate=0.05), loss="mse")
    history = model.fit(X_FIT, Y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    after = [model.predict(X[:b, :n], verbose=0) for b, n in runs]
    return [*before, np.asarray(history, np.float32), *model.get_weights(), *after]


CASES = sorted(_calls(None))


def _keras_outputs(keras):
    return {case: _run(keras, case) for case in CASES}


@pytest.fixture(scope="module")
def keras_outputs():
    return keras_reference("models", "keras_traced_concrete_sizes.json")


@pytest.mark.parametrize("case", CASES)
def test_a_call_reading_unknown_sizes_predicts_and_fits_as_keras(keras_outputs, case):
    """Keras's predictions at batches 3 and 5 and lengths 5 and 6, the losses of a fit whose
    batches are 4 and 3 rows (to 1e-5), and its weights and predictions after."""
    want = keras_outputs[case]
    if case in SUBCLASSED:
        kept = [i for i, (_, n) in enumerate(RUNS) if n == 5]
        want = [want[i] for i in kept] + want[len(RUNS):-len(RUNS)] + [want[-len(RUNS) + i] for i in kept]
    got = _run(sk, case)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


def test_the_gradient_of_each_run_shape_is_the_finite_difference_one():
    """One SGD step of the mean squared error on 3 rows of length 5, then on 2 rows of length 6
    (two traces of the call): each moves d1's kernel by the loss's finite-difference gradient."""
    def forward(kernel, x, w):
        h = x @ kernel + w[1]
        half = h.shape[1] // 2
        h = (h[:, :half] - h[:, half:].mean(axis=1, keepdims=True)).mean(axis=1)
        return h @ w[2] + w[3]

    model = _model(sk, "halves")
    lr = 0.05
    model.compile(optimizer=sk.optimizers.SGD(learning_rate=lr), loss="mse")
    for rows, length in ((3, 5), (2, 6)):
        x, y = X[:rows, :length].astype(np.float64), Y[:rows].astype(np.float64)
        w = [v.astype(np.float64) for v in model.get_weights()]
        grad = central_difference_gradient(lambda k: np.mean((forward(k, x, w) - y) ** 2), w[0])
        model.fit(x.astype(np.float32), y.astype(np.float32), batch_size=rows, epochs=1, shuffle=False, verbose=0)
        np.testing.assert_allclose(model.get_weights()[0], w[0] - lr * grad, rtol=1e-4, atol=1e-5)


def test_a_call_reading_no_unknown_size_is_traced_once():
    """A call that reads unknown sizes is traced once per run shape (after its first trace and
    Keras's two probe sizes), a shape run again reusing its trace; a call that never reads one
    keeps its one trace at every batch and length."""
    model = _model(sk, "halves")
    layer = model.get_layer("sized")
    built = layer.traced
    for b, n in RUNS:
        model.predict(X[:b, :n], verbose=0)
    assert layer.traced == built + len(RUNS)
    for b, n in RUNS:
        model.predict(X[:b, :n], verbose=0)
    assert layer.traced == built + len(RUNS)

    inputs = sk.Input(batch_shape=(None, None, 4))

    class Plain(sk.layers.Layer):
        def call(self, x):
            self.traced = getattr(self, "traced", 0) + 1
            return sk.ops.reshape(x, (-1, sk.ops.shape(x)[1], 4)) * 2.0

    layer = Plain()
    model = sk.Model(inputs, layer(inputs))
    model.predict(X[:2, :3], verbose=0)
    built = layer.traced
    for b, n in RUNS:
        np.testing.assert_allclose(model.predict(X[:b, :n], verbose=0), X[:b, :n] * 2.0)
    assert layer.traced == built


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_after_saving_and_inside_a_nested_model(keras_outputs, tmp_path, suffix):
    """The model saved and loaded here, and nested in another model, predicts Keras's numbers
    at every batch and length."""
    model = _model(sk, "halves")
    path = tmp_path / f"m{suffix}"
    model.save(path)
    loaded = sk.models.load_model(path, custom_objects={"Sized": type(model.get_layer("sized"))})
    inputs = sk.Input(batch_shape=(None, None, 4))
    nested = sk.Model(inputs, sk.layers.Identity()(model(inputs)))
    for k, (b, n) in enumerate(RUNS):
        for what, m in (("loaded", loaded), ("nested", nested)):
            np.testing.assert_allclose(m.predict(X[:b, :n], verbose=0), keras_outputs["halves"][k],
                                       rtol=1e-5, atol=1e-5, err_msg=f"{what} {b}x{n}")
