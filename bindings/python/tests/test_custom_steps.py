"""Keras 3's customization points of a Model's steps (issue 16 point 2), against real Keras 3:
a `compute_loss` override written with ops is traced once into the library's graph and trains
to Keras's weights; `test_step(data)` / `predict_step(data)` overrides are called per batch
(`train_step` overrides: test_train_step.py)."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_loss")

RS = np.random.RandomState(4)
X = RS.normal(size=(48, 5)).astype("float32")
Y = np.stack([X[:, 0] - X[:, 1] * X[:, 2], np.tanh(X[:, 3])], 1).astype("float32")


def _model_class(lib, calls, use_super):
    class Penalized(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(6, activation="tanh")
            self.out = lib.layers.Dense(2)

        def call(self, x):
            return self.out(self.hidden(x))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            calls.append(training)
            ops = lib.ops
            if use_super:
                base = super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight)
            else:
                base = ops.mean(ops.abs(y_pred - y))       # mae by hand
            extra = 0.1 * ops.mean(ops.square(y_pred)) + 0.05 * ops.mean(ops.abs(y_pred[:, :1] - y[:, 1:]))
            return base + extra if training else base + 2.0 * extra

    return Penalized


def _pair(use_super):
    ours_calls, ref_calls = [], []
    ours, ref = _model_class(sk, ours_calls, use_super)(), _model_class(keras, ref_calls, use_super)()
    ref(X[:1])
    ours(X[:1])   # (as Keras: build() alone makes no weights for a class without its own)
    rng = np.random.default_rng(7)
    weights = [rng.normal(scale=0.5, size=np.shape(w)).astype("float32") for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    return ours, ref, ours_calls


@pytest.mark.parametrize("use_super", [False, True])
def test_compute_loss_override_is_traced_once_and_trains_to_keras_weights(use_super):
    ours, ref, calls = _pair(use_super)
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.05), loss="mse", metrics=["mae"])
    ha = ours.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    hb = ref.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(ha.history["mae"], hb.history["mae"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-5)
    # evaluate and test_on_batch: compute_loss(training=False), as Keras's test step calls it
    np.testing.assert_allclose(ours.evaluate(X, Y, batch_size=16, verbose=0),
                               ref.evaluate(X, Y, batch_size=16, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(ours.test_on_batch(X[:8], Y[:8]), ref.test_on_batch(X[:8], Y[:8]),
                               rtol=1e-5)
    np.testing.assert_allclose(ours.predict(X, verbose=0), ref.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)
    # Traced once per training mode, for 18 training steps, evaluations and predictions.
    assert sorted(calls) == [False, True]
    # model.layers lists the user's layers only, as Keras's does.
    assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in ref.layers]


def test_compute_loss_with_sparse_labels_traces_them_with_their_shape():
    class Sparse(sk.Model):
        def __init__(self):
            super().__init__()
            self.dense = sk.layers.Dense(3, activation="softmax")

        def call(self, x):
            return self.dense(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            assert tuple(y.shape) == (None,)
            return sk.ops.mean(sk.ops.sparse_categorical_crossentropy(y, y_pred))

    labels = (X[:, 0] > 0).astype("float32") + (X[:, 1] > 0.5)
    ours = Sparse()
    ours.compile(sk.optimizers.SGD(0.1), metrics=["accuracy"])   # no compiled loss: Keras allows it
    ref = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    history = ours.fit(X, labels, epochs=2, batch_size=16, shuffle=False, verbose=0)
    ref.set_weights(ours.get_weights())
    ref.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    np.testing.assert_allclose(ours.evaluate(X, labels, verbose=0), ref.evaluate(X, labels, verbose=0),
                               rtol=1e-5)
    assert len(history.history["loss"]) == 2


def test_compute_loss_override_of_a_functional_subclass_trains_to_keras_weights():
    results = []
    for lib in (sk, keras):
        class Functional(lib.Model):
            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                return lib.ops.mean(lib.ops.square(y_pred - y)) + 0.2 * lib.ops.mean(lib.ops.abs(y_pred))

        inputs = lib.Input((5,))
        model = Functional(inputs, lib.layers.Dense(2)(lib.layers.Dense(4, activation="relu")(inputs)))
        init = np.random.default_rng(11)
        model.set_weights([init.normal(scale=0.5, size=np.shape(w)).astype("float32")
                           for w in model.get_weights()])
        model.compile(lib.optimizers.SGD(0.05), loss="mse")
        history = model.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
        results.append((history.history["loss"], [np.asarray(w) for w in model.get_weights()]))
    (ours_loss, ours_w), (ref_loss, ref_w) = results
    np.testing.assert_allclose(ours_loss, ref_loss, rtol=1e-5)
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def _stepped_class(lib):
    class Stepped(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

        def test_step(self, data):   # Keras's guide, "Providing your own evaluation step"
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def predict_step(self, data):
            return self(data, training=False) * 2.0 + 1.0

    return Stepped


def test_test_step_and_predict_step_overrides_run_per_batch_as_keras():
    ours = _stepped_class(sk)()
    ours(X[:1])   # (as Keras: build() alone makes no weights for a class without its own)
    ref = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
    ref.set_weights(ours.get_weights())
    ours.compile("sgd", loss="mse", metrics=["mae"])
    ref.compile("sgd", loss="mse", metrics=["mae"])
    # The guide's test_step gives Keras's own evaluate figures with batches of one size (its loss
    # tracker is updated without the batch size): loss, then the metrics.
    np.testing.assert_allclose(ours.evaluate(X, Y, batch_size=12, verbose=0),
                               ref.evaluate(X, Y, batch_size=12, verbose=0), rtol=1e-5)
    got = ours.evaluate(X, Y, batch_size=12, verbose=0, return_dict=True)
    want = ref.evaluate(X, Y, batch_size=12, verbose=0, return_dict=True)
    assert set(got) == set(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5)
    np.testing.assert_allclose(ours.predict(X, batch_size=7, verbose=0),
                               2.0 * ref.predict(X, verbose=0) + 1.0, rtol=1e-5, atol=1e-6)
    x, y, w = sk.utils.unpack_x_y_sample_weight((X, Y))
    assert x is X and y is Y and w is None


# ---- compute_loss as Keras 3 calls it: x, sample weights, several outputs, super() ----------

def _fit_both(build, fit_kwargs, epochs=2, evaluate=None):
    """`build(lib)` -> a compiled model of either library, from the same drawn weights; fit
    both with `fit_kwargs` (arrays shared), returns their histories, weights and evaluations."""
    results = []
    for lib in (sk, keras):
        model = build(lib)
        init = np.random.default_rng(3)
        model.set_weights([init.normal(scale=0.5, size=np.shape(w)).astype("float32")
                           for w in model.get_weights()])
        history = model.fit(**fit_kwargs, epochs=epochs, batch_size=8, shuffle=False, verbose=0)
        evaluated = None if evaluate is None else model.evaluate(**evaluate, batch_size=16, verbose=0)
        results.append((history.history, [np.asarray(w) for w in model.get_weights()], evaluated))
    (ours_logs, ours_w, ours_eval), (ref_logs, ref_w, ref_eval) = results
    # the loss, val_loss and each output's figures, under Keras's names
    assert sorted(ours_logs) == sorted(ref_logs)
    for key in ref_logs:
        np.testing.assert_allclose(ours_logs[key], ref_logs[key], rtol=1e-5, err_msg=key)
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    if evaluate is not None:
        np.testing.assert_allclose(ours_eval, ref_eval, rtol=1e-5)
    return results


def test_compute_loss_receives_the_model_inputs_as_x():
    seen = []

    def build(lib):
        class UsesX(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(2, activation="tanh")

            def call(self, inputs):
                a, b = inputs
                return self.dense(lib.ops.concatenate([a, b * 0.5], axis=-1))

            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                a, b = x
                seen.append((type(x).__name__, tuple(a.shape), tuple(b.shape)))
                ops = lib.ops
                # the prediction pulled towards the first input's two leading features
                return ops.mean(ops.square(y_pred - y)) + 0.3 * ops.mean(ops.square(y_pred - a[:, :2] * b))

        model = UsesX()
        model([X[:1, :3], X[:1, 3:4]])
        model.compile(lib.optimizers.SGD(0.05), loss="mse")
        return model

    _fit_both(build, dict(x=[X[:, :3], X[:, 3:4]], y=Y), evaluate=dict(x=[X[:, :3], X[:, 3:4]], y=Y))
    assert ("list", (None, 3), (None, 1)) in seen


def test_compute_loss_receives_dict_inputs_as_a_dict():
    seen = []

    def build(lib):
        class DictInputs(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense = lib.layers.Dense(2)

            def call(self, inputs):
                return self.dense(lib.ops.concatenate([inputs["a"], inputs["b"]], axis=-1))

            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                seen.append(sorted(x))
                ops = lib.ops
                return ops.mean(ops.square(y_pred - y)) + 0.1 * ops.mean(ops.square(y_pred[:, :1] - x["b"][:, :1]))

        model = DictInputs()
        model({"a": X[:1, :3], "b": X[:1, 3:]})
        model.compile(lib.optimizers.SGD(0.05))
        return model

    _fit_both(build, dict(x={"a": X[:, :3], "b": X[:, 3:]}, y=Y))
    assert seen and all(keys == ["a", "b"] for keys in seen)


def _weighted_class(lib):
    class Weighted(lib.Model):
        def __init__(self):
            super().__init__()
            self.hidden = lib.layers.Dense(4, activation="tanh")
            self.out = lib.layers.Dense(3)

        def call(self, x):
            return self.out(self.hidden(x))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            ops = lib.ops
            per = ops.sparse_categorical_crossentropy(y, y_pred, from_logits=True)
            if sample_weight is None:
                return ops.mean(per) + 0.01 * ops.mean(ops.square(y_pred))
            return ops.sum(per * sample_weight) / ops.sum(sample_weight) + 0.01 * ops.mean(ops.square(y_pred))

    return Weighted


LABELS = ((X[:, 0] > 0).astype("float32") + (X[:, 1] > 0.5)).astype("float32")


def _weighted(lib):
    model = _weighted_class(lib)()
    model(X[:1])
    model.compile(lib.optimizers.SGD(0.1))
    return model


def test_compute_loss_receives_fits_sample_weight_and_none_without():
    weights = np.linspace(0.2, 2.0, len(X)).astype("float32")
    # fit with sample weights, then evaluate without them (traced again, as jax traces again)
    _fit_both(_weighted, dict(x=X, y=LABELS, sample_weight=weights), evaluate=dict(x=X, y=LABELS))
    # and evaluate with them
    _fit_both(_weighted, dict(x=X, y=LABELS), evaluate=dict(x=X, y=LABELS, sample_weight=weights))
    # validation data with and without its sample weights
    rows = slice(0, 32), slice(32, None)
    for validation in ((X[rows[1]], LABELS[rows[1]], weights[rows[1]]), (X[rows[1]], LABELS[rows[1]])):
        results = _fit_both(_weighted, dict(x=X[rows[0]], y=LABELS[rows[0]], sample_weight=weights[rows[0]],
                                            validation_data=validation))
        assert sorted(results[0][0]) == ["loss", "val_loss"]


def test_retracing_for_sample_weights_keeps_the_optimizer_state():
    # Adam's moments and iteration count carry over when a fit without sample weights follows
    # one with them (the graph is traced again; in Keras the variables are the same).
    weights = np.linspace(0.2, 2.0, len(X)).astype("float32")
    results = []
    for lib in (sk, keras):
        model = _weighted_class(lib)()
        model(X[:1])
        init = np.random.default_rng(3)
        model.set_weights([init.normal(scale=0.5, size=np.shape(w)).astype("float32")
                           for w in model.get_weights()])
        model.compile(lib.optimizers.Adam(0.02))
        first = model.fit(X, LABELS, sample_weight=weights, epochs=2, batch_size=8, shuffle=False,
                          verbose=0).history["loss"]
        second = model.fit(X, LABELS, epochs=2, batch_size=8, shuffle=False, verbose=0).history["loss"]
        third = model.fit(X, LABELS, sample_weight=weights, epochs=1, batch_size=8, shuffle=False,
                          verbose=0).history["loss"]
        results.append((first + second + third, [np.asarray(w) for w in model.get_weights()]))
    (ours_loss, ours_w), (ref_loss, ref_w) = results
    np.testing.assert_allclose(ours_loss, ref_loss, rtol=1e-5)
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_compute_loss_receives_class_weight_as_sample_weight():
    _fit_both(_weighted, dict(x=X, y=LABELS, class_weight={0: 0.5, 1: 2.0, 2: 1.5}))
    with pytest.raises(ValueError, match="cannot `class_weight` and `sample_weight`"):
        _weighted(sk).fit(X, LABELS, class_weight={0: 2.0}, sample_weight=np.ones(len(X)), verbose=0)


def _two_outputs(lib, use_super, loss, loss_weights=None):
    class TwoHeads(lib.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            ops = lib.ops
            first, second = (y_pred["a"], y_pred["b"]) if isinstance(y_pred, dict) else y_pred
            ya, yb = (y["a"], y["b"]) if isinstance(y, dict) else y
            coupling = 0.1 * ops.mean(ops.square(first[:, :1] - second))
            if use_super:
                return super().compute_loss(x, y, y_pred, sample_weight, training) + coupling
            return ops.mean(ops.abs(first - ya)) + 2.0 * ops.mean(ops.square(second - yb)) + coupling

    inputs = lib.Input((5,))
    h = lib.layers.Dense(4, activation="relu", name="h")(inputs)
    model = TwoHeads(inputs, [lib.layers.Dense(2, name="a")(h), lib.layers.Dense(1, name="b")(h)])
    model.compile(lib.optimizers.SGD(0.05), loss=loss, loss_weights=loss_weights,
                  metrics={"a": ["mae"], "b": ["mse"]})
    return model


@pytest.mark.parametrize("use_super", [False, True])
def test_compute_loss_of_a_model_with_two_outputs_gets_lists_and_dicts(use_super):
    targets = [Y, Y[:, :1] * 0.5]
    _fit_both(lambda lib: _two_outputs(lib, use_super, ["mae", "mse"], [1.0, 0.5]),
              dict(x=X, y=targets, sample_weight=np.linspace(0.5, 1.5, len(X)).astype("float32")))
    _fit_both(lambda lib: _two_outputs(lib, use_super, {"a": "mse", "b": "mae"}),
              dict(x=X, y={"a": targets[0], "b": targets[1]}))
    # one loss object for both outputs
    _fit_both(lambda lib: _two_outputs(lib, use_super, lib.losses.MeanSquaredError()),
              dict(x=X, y=targets))


def _regularized(lib, use_super):
    class Regularized(lib.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            extra = 0.05 * lib.ops.mean(lib.ops.abs(y_pred))
            if use_super:
                return super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight) + extra
            return lib.ops.mean(lib.ops.square(y_pred - y)) + extra

    inputs = lib.Input((5,))
    h = lib.layers.Dense(4, activation="tanh", kernel_regularizer=lib.regularizers.L2(0.02))(inputs)
    model = Regularized(inputs, lib.layers.Dense(2, bias_regularizer=lib.regularizers.L1(0.01))(h))
    model.compile(lib.optimizers.SGD(0.05), loss="mse")
    return model


def test_super_compute_loss_brings_the_compiled_loss_and_the_weight_penalties():
    _fit_both(lambda lib: _regularized(lib, True), dict(x=X, y=Y), evaluate=dict(x=X, y=Y))


def test_compute_loss_without_super_on_a_regularized_model_is_refused_clearly():
    """Keras leaves the penalties out of such a loss; the library adds them to every step."""
    with pytest.raises(NotImplementedError, match=r"does not call super\(\).compute_loss.*penalties"):
        _regularized(sk, False).fit(X, Y, epochs=1, verbose=0)


def _with_added_loss(lib, use_super):
    class Penalty(lib.layers.Layer):
        def call(self, x):
            self.add_loss(0.1 * lib.ops.mean(lib.ops.square(x)))
            return x

    class AddsLoss(lib.Model):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            if use_super:
                return super().compute_loss(x, y, y_pred, sample_weight, training) + \
                    0.05 * lib.ops.mean(lib.ops.abs(y_pred))
            return lib.ops.mean(lib.ops.square(y_pred - y))

    inputs = lib.Input((5,))
    model = AddsLoss(inputs, lib.layers.Dense(2)(Penalty()(lib.layers.Dense(4, activation="tanh")(inputs))))
    model.compile(lib.optimizers.SGD(0.05), loss="mse")
    return model


def test_super_compute_loss_brings_the_losses_added_in_layers():
    _fit_both(lambda lib: _with_added_loss(lib, True), dict(x=X, y=Y), evaluate=dict(x=X, y=Y))
    with pytest.raises(NotImplementedError, match=r"does not call super\(\).compute_loss.*added losses"):
        _with_added_loss(sk, False).fit(X, Y, epochs=1, verbose=0)
