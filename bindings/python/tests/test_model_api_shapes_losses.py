"""The Model/Layer API of issue 16 point 2 that session 8 added, each against real Keras 3:
Sequential `inputs`/`outputs` (and `input`/`output` raising as Keras 3.15 does for a Sequential
never called on a tensor), symbolic tensors' `.shape`/`.dtype` in Python (functional layer
outputs and ops on them), `compute_output_shape` of built-in layers not yet in a model,
`add_loss` in a traced layer's `call` (trains to Keras's weights), and `run_eagerly` /
`jit_compile` accepted and kept."""

import numpy as np
import pytest

from conftest import CORE, keras_reference, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)


def _sequentials(lib):
    return {
        "input": lib.Sequential([lib.Input((4,)), lib.layers.Dense(3), lib.layers.Dense(2)]),
        "built": lib.Sequential([lib.layers.Dense(3, activation="relu"), lib.layers.Dense(5)]),
        "unbuilt": lib.Sequential([lib.layers.Dense(3)]),
    }


def _probe(model, name):
    if name == "built":
        model.build((None, 6))
    out = {}
    for attr in ("inputs", "outputs", "input", "output"):
        try:
            value = getattr(model, attr)
            out[attr] = [(tuple(t.shape), str(t.dtype)) for t in value]
        except AttributeError as e:
            out[attr] = type(e).__name__ + ": " + str(e).replace(model.name, "<name>")
    return out


@pytest.mark.parametrize("name", ["input", "built", "unbuilt"])
def test_sequential_inputs_outputs_as_keras(name):
    ours = _probe(_sequentials(sk)[name], name)
    ref = _probe(_sequentials(keras)[name], name)
    assert ours == ref


def test_functional_model_from_sequential_outputs_predicts():
    seq = sk.Sequential([sk.Input((4,)), sk.layers.Dense(3), sk.layers.Dense(2)])
    f = sk.Model(seq.inputs, seq.outputs)
    assert f.predict(np.ones((5, 4), np.float32), verbose=0).shape == (5, 2)


def _graph(lib):
    i = lib.Input((10, 6))
    tokens = lib.Input((7,))
    c = lib.layers.Conv1D(4, 3, strides=2)(i)
    p = lib.layers.GlobalAveragePooling1D()(c)
    e = lib.layers.Embedding(20, 5)(tokens)
    r = lib.layers.LSTM(3, return_sequences=True)(e)
    cat = lib.layers.Concatenate()([p, lib.layers.Flatten()(r)])
    d = lib.layers.Dense(2)(cat)
    return {"input": i, "conv": c, "pool": p, "embedding": e, "lstm": r, "concat": cat, "dense": d,
            "op": d * 2.0 + 1.0, "op_mean": lib.ops.mean(c, axis=-1)}


def test_symbolic_tensor_shapes_and_dtypes_as_keras():
    ours, ref = _graph(sk), _graph(keras)
    for name in ref:
        assert tuple(ours[name].shape) == tuple(ref[name].shape), name
        assert str(ours[name].dtype) == str(ref[name].dtype), name
        assert ours[name].ndim == len(ref[name].shape), name


@pytest.mark.parametrize("make,shape", [
    (lambda lib: lib.layers.Dense(7), (None, 3)),
    (lambda lib: lib.layers.Dense(4), (None, 5, 3)),
    (lambda lib: lib.layers.Conv2D(5, 3, strides=2, padding="same"), (None, 9, 8, 2)),
    (lambda lib: lib.layers.MaxPooling1D(2), (None, 9, 3)),
    (lambda lib: lib.layers.Flatten(), (None, 4, 3, 2)),
    (lambda lib: lib.layers.LSTM(6), (None, 5, 3)),
    (lambda lib: lib.layers.Reshape((3, -1)), (None, 6, 2)),
])
def test_compute_output_shape_of_builtin_layers_as_keras(make, shape):
    ours = make(sk).compute_output_shape(shape)
    ref = make(keras).compute_output_shape(shape)
    assert tuple(ours) == tuple(ref)


LOSS_LAYER = '''
class Penalized(keras.layers.Layer):
    """A dense written with ops that adds an L2 penalty on its kernel and an activity penalty
    on its output with add_loss."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(3,), initializer="zeros", name="b")

    def call(self, x):
        y = ops.tanh(ops.matmul(x, self.w) + self.b)
        self.add_loss(0.05 * ops.sum(ops.square(self.w)))
        self.add_loss(0.1 * ops.mean(ops.abs(y)))
        return y
'''


def _penalized(lib):
    scope = {"keras": lib, "ops": lib.ops}
    exec(LOSS_LAYER, scope)  # noqa: S102 — the test's own source
    return lib.Sequential([lib.Input((4,)), scope["Penalized"](), lib.layers.Dense(1)])


def test_add_loss_in_a_traced_layer_trains_to_keras_weights():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = (x[:, :1] * 0.5 - x[:, 1:2]).astype(np.float32)
    results = []
    for lib in (sk, keras):
        model = _penalized(lib)
        init = np.random.default_rng(3)
        model.set_weights([init.normal(scale=0.5, size=w.shape).astype(np.float32)
                           for w in model.get_weights()])
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="mse")
        history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
        results.append((history.history["loss"], [np.asarray(w) for w in model.get_weights()]))
    (ours_loss, ours_w), (ref_loss, ref_w) = results
    np.testing.assert_allclose(ours_loss, ref_loss, rtol=1e-4)
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # Without the penalties the weights would differ: the test can fail.
    plain = sk.Sequential([sk.Input((4,)), sk.layers.Dense(3, activation="tanh"), sk.layers.Dense(1)])
    plain.set_weights([np.random.default_rng(3).normal(scale=0.5, size=w.shape).astype(np.float32)
                       for w in plain.get_weights()])
    plain.compile(optimizer=sk.optimizers.SGD(learning_rate=0.1), loss="mse")
    plain_loss = plain.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    assert abs(plain_loss[0] - ref_loss[0]) > 1e-3


def _regularized(lib):
    """add_loss in a traced call, an activity regularizer and a kernel regularizer: Keras 3's
    evaluate counts all three, as its training loss does."""
    scope = {"keras": lib, "ops": lib.ops}
    exec(LOSS_LAYER, scope)  # noqa: S102 — the test's own source
    return lib.Sequential([lib.Input((4,)), scope["Penalized"](),
                           lib.layers.Dense(2, activity_regularizer=lib.regularizers.L1(0.02),
                                            kernel_regularizer=lib.regularizers.L2(0.03)),
                           lib.layers.Dense(1)])


def _evaluate_figures(lib):
    """evaluate, test_on_batch, fit's val_loss and evaluate again of _regularized(lib), each
    [loss, mae], then the mse of its predictions, and the weights it started from."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    y = (x[:, :1] - x[:, 2:3]).astype(np.float32)
    model = _regularized(lib)
    init = np.random.default_rng(5)
    model.set_weights([init.normal(scale=0.5, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    start = [np.asarray(w) for w in model.get_weights()]
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    figures = [model.evaluate(x, y, batch_size=16, verbose=0),
               model.test_on_batch(x[:10], y[:10])]
    history = model.fit(x[:32], y[:32], epochs=2, batch_size=8, shuffle=False, verbose=0,
                        validation_data=(x[32:], y[32:]))
    figures += [history.history["val_loss"], model.evaluate(x, y, verbose=0)]
    mse = float(np.mean((np.asarray(model.predict(x, verbose=0)) - y) ** 2))
    return [np.asarray(f, np.float32) for f in figures] + [np.float32(mse)], (x, y, start)


def _penalized_loss(x, y, weights, batches):
    """The loss Keras 3's evaluate reports for _regularized on (x, y) in `batches` sizes, by
    hand: the mse, Penalized's two add_loss terms, the activity L1 over the batch's size and the
    kernel's L2, each batch's total weighted by its size."""
    w, b, k, kb, k2, kb2 = (np.asarray(v, np.float64) for v in weights)
    total, start = 0.0, 0
    for n in batches:
        xs, ys = x[start:start + n], y[start:start + n]
        h = np.tanh(xs @ w + b)
        out = h @ k + kb
        total += n * (np.mean((out @ k2 + kb2 - ys) ** 2) + 0.05 * np.sum(w ** 2)
                      + 0.1 * np.mean(np.abs(h)) + 0.02 * np.sum(np.abs(out)) / n
                      + 0.03 * np.sum(k ** 2))
        start += n
    return total / start


def test_add_loss_and_penalties_enter_evaluate_as_in_keras():
    """Against Keras's numbers from a process of their own (make_keras_reference_fixtures.py):
    Keras/JAX tracks add_loss terms by id() of their tensors, and in a process where earlier
    work left a stale id behind, its evaluate dropped Penalized's kernel term from the last,
    shorter batch (CI: 2.2324 where a fresh process gives 2.2567)."""
    ours, (x, y, start) = _evaluate_figures(sk)
    ref = keras_reference("models", "keras_add_loss_evaluate.json")["figures"]
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=1e-6)
    # The first evaluate by hand, so the fixture itself is checked against the math.
    np.testing.assert_allclose(ours[0][0], _penalized_loss(x, y, start, (16, 16, 8)), rtol=1e-5)
    assert ours[-2][0] > ours[-1] + 1e-2   # the penalties are in: the test can fail


def test_keras_add_loss_ids_left_from_an_earlier_trace_are_caught():
    """conftest's watch of real Keras's add_loss ids: _regularized's fit on 40 rows in batches
    of 16 traces its step again for the last 8, where Dense's activity penalty still holds ids
    of the first trace while Penalized's new terms are in the scope (the moment CI's evaluate
    lost a term). The watch notes it (here taken back, so that this test passes)."""
    import conftest
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    model = _regularized(keras)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    del conftest._stale_loss_ids[:]
    model.fit(x, x[:, :1], epochs=1, batch_size=16, shuffle=False, verbose=0)
    noted, conftest._stale_loss_ids[:] = list(conftest._stale_loss_ids), []
    assert noted and all(n.startswith("Dense ") for n in noted), noted


def test_add_loss_outside_a_traced_call_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="add_loss.*traced"):
        sk.layers.Dense(2).add_loss(np.float32(1.0))


def test_run_eagerly_and_jit_compile_are_accepted_and_kept():
    for lib in (sk, keras):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
        assert model.run_eagerly is True
        model.run_eagerly = False
        assert model.run_eagerly is False
    ours = sk.Sequential([sk.Input((3,)), sk.layers.Dense(1)])
    ours.compile(optimizer="sgd", loss="mse")
    assert ours.run_eagerly is False and ours.jit_compile is True
