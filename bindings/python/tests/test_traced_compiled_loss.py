"""A loss written in Python with ops and given to compile() (a function, or a Loss subclass)
is registered with the library as a loss of an op graph (keras_register_loss_graph): traced once
per pair of target and prediction shapes, then run natively with the library's autodiff by every
model kind (functional, subclassed, Sequential, loaded) in fit, evaluate and the batch calls: the
same losses, per-output figures and weights as real Keras 3 (JAX) from the same initial weights,
and no Python per step. A loss that needs values (numpy on its inputs) still runs on numpy."""

import numpy as np
import pytest

from conftest import fresh_library, real_keras


def _libs():
    import swiftkeras
    return swiftkeras, real_keras()


def _same_start(ours, ref, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(scale=0.3, size=np.shape(w)).astype(np.float32) for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)


def _counted(loss, calls):
    """`loss` (a function, a Loss subclass, a dict of them, a name) with each Python call counted
    in `calls`: a traced loss runs in Python only while the library traces it."""
    if isinstance(loss, dict):
        return {k: _counted(v, calls) for k, v in loss.items()}
    if isinstance(loss, str):
        return loss
    if hasattr(loss, "call"):
        call = loss.call
        loss.call = lambda *a: (calls.append(1), call(*a))[1]
        return loss

    def counted(y_true, y_pred):
        calls.append(1)
        return loss(y_true, y_pred)
    counted.__name__ = loss.__name__
    return counted


def _fit_both(build, loss_of, x, y, seed=0, epochs=3, batch_size=8, **fit):
    """Both libraries' models from `build(keras, layers, ops)`, compiled with SGD(0.1) and
    `loss_of(keras, ops)` (a dict: compile's keyword arguments), fitted without shuffling from
    the same weights: (ours, Keras's, our history, Keras's history). Our loss must run traced:
    Python calls it only to trace it (once per pair of shapes), never per step."""
    sk, keras = _libs()
    models, histories, calls = [], [], []
    for lib in (sk, keras):
        k, layers, ops = fresh_library(lib)
        model = build(k, layers, ops)
        compiled = loss_of(k, ops)
        if lib is sk:
            compiled["loss"] = _counted(compiled["loss"], calls)
        model.compile(optimizer=k.optimizers.SGD(0.1), **compiled)
        models.append(model)
    _same_start(models[0], models[1], seed)
    for model in models:
        histories.append(model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False,
                                   verbose=0, **fit).history)
    assert len(calls) <= 2, f"the loss ran in Python {len(calls)} times: not traced"
    return models[0], models[1], histories[0], histories[1]


def _assert_like_keras(ours, ref, h_ours, h_ref, rtol=1e-5, atol=1e-6):
    assert sorted(h_ours) == sorted(h_ref)
    for key in h_ref:
        np.testing.assert_allclose(h_ours[key], h_ref[key], rtol=rtol, atol=atol, err_msg=key)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=rtol, atol=atol)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in ref.layers]


def _dense(units, activation, input_dim):
    def build(keras, layers, ops):
        inputs = keras.Input((input_dim,))
        return keras.Model(inputs, layers.Dense(units, activation=activation)(inputs))
    return build


def test_ner_style_masked_loss_subclass_trains_like_keras():
    """keras.io's CustomNonPaddingTokenLoss (SparseCategoricalCrossentropy(reduction=None), a
    mask of y_true > 0, sum / sum: a scalar used as it is) on a token tagger."""
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, (16, 6))
    x[:, 4:] = 0
    y = rng.integers(1, 5, (16, 6)).astype(np.float32)
    y[:, 4:] = 0

    def build(keras, layers, ops):
        inputs = keras.Input((6,), dtype="int32")
        h = layers.Embedding(20, 8)(inputs)
        return keras.Model(inputs, layers.Dense(5, activation="softmax")(h))

    def loss_of(keras, ops):
        class CustomNonPaddingTokenLoss(keras.losses.Loss):
            def __init__(self, name="custom_ner_loss"):
                super().__init__(name=name)

            def call(self, y_true, y_pred):
                loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=False, reduction=None)
                loss = loss_fn(y_true, y_pred)
                mask = ops.cast((y_true > 0), dtype="float32")
                return ops.sum(loss * mask) / ops.sum(mask)
        return {"loss": CustomNonPaddingTokenLoss()}

    ours, ref, h_ours, h_ref = _fit_both(build, loss_of, x, y)
    _assert_like_keras(ours, ref, h_ours, h_ref)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-5)


def test_per_sample_focal_function_loss_trains_like_keras():
    """A focal-style binary loss written as a function with ops, one value per sample (Keras's
    LossFunctionWrapper: the ranks of y_true (n,) and y_pred (n, 1) matched, the mean taken)."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(24, 4)).astype(np.float32)
    y = (rng.random(24) > 0.5).astype(np.float32)   # (n,): Keras expands it to y_pred's rank

    def loss_of(keras, ops):
        def focal(y_true, y_pred):
            p = ops.clip(y_pred, 1e-6, 1.0 - 1e-6)
            pt = y_true * p + (1.0 - y_true) * (1.0 - p)
            return -ops.mean(0.25 * ops.power(1.0 - pt, 2.0) * ops.log(pt), axis=-1)
        return {"loss": focal}

    ours, ref, h_ours, h_ref = _fit_both(_dense(1, "sigmoid", 4), loss_of, x, y)
    _assert_like_keras(ours, ref, h_ours, h_ref)


def test_loss_subclass_with_reduction_sum_trains_like_keras():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)

    def loss_of(keras, ops):
        class SummedSquares(keras.losses.Loss):
            def call(self, y_true, y_pred):
                return ops.mean(ops.square(y_true - y_pred), axis=-1)
        return {"loss": SummedSquares(reduction="sum", name="summed_squares")}

    ours, ref, h_ours, h_ref = _fit_both(_dense(2, None, 3), loss_of, x, y, seed=3)
    _assert_like_keras(ours, ref, h_ours, h_ref)


def test_function_loss_with_sample_weight_trains_like_keras():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    sw = rng.random(16).astype(np.float32) * 2.0

    def loss_of(keras, ops):
        def smooth_l1(y_true, y_pred):
            d = ops.abs(y_true - y_pred)
            return ops.mean(ops.where(d < 1.0, 0.5 * d * d, d - 0.5), axis=-1)
        return {"loss": smooth_l1}

    ours, ref, h_ours, h_ref = _fit_both(_dense(2, "tanh", 3), loss_of, x, y, seed=4,
                                         sample_weight=sw)
    _assert_like_keras(ours, ref, h_ours, h_ref)
    np.testing.assert_allclose(ours.evaluate(x, y, sample_weight=sw, verbose=0),
                               ref.evaluate(x, y, sample_weight=sw, verbose=0), rtol=1e-5)


def test_two_outputs_with_a_python_loss_on_one_train_like_keras():
    """A loss dict with a Python function on one output and "mse" on the other, loss_weights:
    the total, each output's (unweighted) loss and the weights as in Keras."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    ya = rng.normal(size=(16, 2)).astype(np.float32)
    yb = rng.normal(size=(16, 1)).astype(np.float32)

    def build(keras, layers, ops):
        inputs = keras.Input((3,))
        h = layers.Dense(4, activation="tanh", name="hidden")(inputs)
        return keras.Model(inputs, {"a": layers.Dense(2, name="a")(h), "b": layers.Dense(1, name="b")(h)})

    def loss_of(keras, ops):
        def log_cosh_ish(y_true, y_pred):
            return ops.mean(ops.log(1.0 + ops.square(y_true - y_pred)), axis=-1)
        return {"loss": {"a": log_cosh_ish, "b": "mse"}, "loss_weights": {"a": 0.5, "b": 2.0}}

    ours, ref, h_ours, h_ref = _fit_both(build, loss_of, x, {"a": ya, "b": yb}, seed=5,
                                         validation_data=(x[:8], {"a": ya[:8], "b": yb[:8]}))
    assert {"a_loss", "b_loss", "val_a_loss"} <= set(h_ref)
    _assert_like_keras(ours, ref, h_ours, h_ref)


def _dense_model(units, seed, sequential=False):
    """Ours: Dense(units) on 3 features from the seed's initial weights (a Sequential, or a
    model made from inputs and outputs)."""
    import swiftkeras as keras
    keras.utils.set_random_seed(seed)
    if sequential:
        return keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(units)(inputs))


def test_no_python_runs_per_step():
    """The loss function runs only while the library traces it (once per pair of shapes), never
    per step: 3 epochs of 4 batches with a validation pass each, then 10 epochs, evaluate and the
    batch calls, on a functional model and a Sequential, cost the same few calls."""
    import swiftkeras as keras
    from swiftkeras import ops
    calls = []

    def counted(y_true, y_pred):
        calls.append(1)
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = rng.normal(size=(32, 1)).astype(np.float32)
    for sequential in (False, True):
        del calls[:]
        model = _dense_model(1, 0, sequential)
        model.compile(optimizer="sgd", loss=counted)
        history = model.fit(x, y, epochs=3, batch_size=8, validation_data=(x, y), verbose=0)
        per_fit = len(calls)
        assert per_fit <= 2, per_fit
        assert sorted(history.history) == ["loss", "val_loss"]
        model.fit(x, y, epochs=10, batch_size=8, verbose=0)
        np.testing.assert_allclose(model.evaluate(x, y, verbose=0),
                                   np.mean((model.predict(x, verbose=0) - y) ** 2), rtol=1e-5)
        model.train_on_batch(x[:8], y[:8])
        model.test_on_batch(x[:8], y[:8])
        assert len(calls) == per_fit, (sequential, len(calls))


def test_a_loss_that_needs_values_still_runs_on_numpy():
    """numpy on the loss's inputs cannot be traced: the loss runs on numpy per step as before
    (its gradient by finite differences), silently, and trains."""
    import swiftkeras as keras
    calls = []

    def numpy_mse(y_true, y_pred):
        calls.append(1)
        return np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2, axis=-1)

    rng = np.random.default_rng(6)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32))
    model = _dense_model(1, 0)
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=numpy_mse)
    losses = model.fit(x, y, epochs=4, batch_size=8, verbose=0).history["loss"]
    assert len(calls) > 8, len(calls)   # every step calls it (and its finite differences)
    assert losses[-1] < losses[0], losses
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0),
                               np.mean((model.predict(x, verbose=0) - y) ** 2), rtol=1e-5)


def test_compiling_again_traces_the_new_loss():
    """A second compile with another Python loss: the next evaluate traces that one, the weights
    kept."""
    import swiftkeras as keras
    from swiftkeras import ops
    rng = np.random.default_rng(7)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    model = _dense_model(1, 0)
    model.compile(optimizer="sgd", loss=lambda t, p: ops.mean(ops.square(t - p), axis=-1))
    model.fit(x, y, epochs=1, verbose=0)
    weights = model.get_weights()
    model.compile(optimizer="sgd", loss=lambda t, p: ops.mean(ops.abs(t - p), axis=-1))
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0),
                               np.mean(np.abs(model.predict(x, verbose=0) - y)), rtol=1e-5)


@pytest.fixture(scope="module")
def sequential_runs(tmp_path_factory):
    """A Sequential compiled with a registered Python function loss, in both libraries from the
    same weights: a fit's history, then evaluate, train_on_batch and test_on_batch figures, and
    the weights; then the model saved by Keras (.keras, the loss named in compile_config) loaded
    by each library and fitted on: its history and weights. Per library: a dict."""
    sk, keras = _libs()
    rng = np.random.default_rng(11)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    sw = (rng.random(16) * 2).astype(np.float32)
    path = str(tmp_path_factory.mktemp("lossgraph") / "seq.keras")
    runs, calls = [], []

    def loss_of(k, ops, counts):
        @k.saving.register_keras_serializable(package="lossgraph")
        def pseudo_huber(y_true, y_pred):
            counts.append(1)
            d = y_pred - y_true
            return ops.mean(ops.sqrt(1.0 + ops.square(d)) - 1.0, axis=-1)
        return pseudo_huber

    for lib in (keras, sk):
        k, layers, ops = fresh_library(lib)
        model = k.Sequential([k.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(2)])
        model.compile(optimizer=k.optimizers.SGD(0.1), loss=loss_of(k, ops, calls if lib is sk else []))
        runs.append({"model": model})
    _same_start(runs[1]["model"], runs[0]["model"], 12)
    runs[0]["model"].save(path)
    for lib, run in zip((keras, sk), runs):
        model = run["model"]
        run["history"] = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                                   sample_weight=sw).history
        # (Keras's steps of one signature each: sample weights throughout, batches of 8)
        run["evaluate"] = model.evaluate(x, y, batch_size=8, sample_weight=sw, verbose=0)
        run["train_on_batch"] = [model.train_on_batch(x[:8], y[:8], sample_weight=sw[:8]),
                                 model.train_on_batch(x[8:], y[8:], sample_weight=sw[8:])]
        run["test_on_batch"] = model.test_on_batch(x[:8], y[:8], sample_weight=sw[:8])
        run["weights"] = [np.asarray(w) for w in model.get_weights()]
        loaded = lib.models.load_model(path)
        run["loaded_history"] = loaded.fit(x, y, epochs=2, batch_size=8, shuffle=False,
                                           verbose=0).history
        run["loaded_weights"] = [np.asarray(w) for w in loaded.get_weights()]
    runs[1]["calls"] = len(calls)
    return runs[1], runs[0]


def test_sequential_with_a_function_loss_fits_and_evaluates_like_keras(sequential_runs):
    """A Sequential (before, such a loss ran on numpy with finite differences): fit, evaluate,
    train_on_batch and test_on_batch with sample weights give Keras's figures, and the weights
    end as Keras's (the loaded model's fit below has none)."""
    ours, ref = sequential_runs
    np.testing.assert_allclose(ours["history"]["loss"], ref["history"]["loss"], rtol=1e-5, atol=1e-6)
    for key in ("evaluate", "train_on_batch", "test_on_batch"):
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours["weights"], ref["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_loaded_model_trains_its_registered_loss_like_keras(sequential_runs):
    """The model Keras saved with the registered loss, loaded and fitted: Keras's history and
    weights; the loss traced (Python called only to trace it, in every run of this file's
    fixture: fit, evaluate, batch calls and the loaded model's fit)."""
    ours, ref = sequential_runs
    np.testing.assert_allclose(ours["loaded_history"]["loss"], ref["loaded_history"]["loss"],
                               rtol=1e-5, atol=1e-6)
    for a, b in zip(ours["loaded_weights"], ref["loaded_weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert ours["calls"] <= 4, ours["calls"]


def test_after_a_traced_fit_the_model_and_its_files_are_as_before(tmp_path):
    """The traced loss is the library's compiled loss, not part of the model's graph: the
    config, the layers and the .keras file are the model's own (the loss's registered name in
    compile_config), a ModelCheckpoint saving the whole model during a fit writes the model's
    own layers, and the file loads back with its loss."""
    import json
    import zipfile

    import swiftkeras as keras
    from swiftkeras import ops

    @keras.saving.register_keras_serializable(package="tloss")
    def squared(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    rng = np.random.default_rng(8)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.normal(size=(16, 2)).astype(np.float32)
    model = _dense_model(2, 0)
    model.compile(optimizer="adam", loss=squared)
    before, layers = model.to_json(), [layer.name for layer in model.layers]
    checkpoint = str(tmp_path / "ckpt.keras")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[keras.callbacks.ModelCheckpoint(checkpoint)])
    assert json.loads(model.to_json()) == json.loads(before)
    assert [layer.name for layer in model.layers] == layers
    path = str(tmp_path / "m.keras")
    model.save(path)
    for saved in (path, checkpoint):
        config = json.loads(zipfile.ZipFile(saved).read("config.json"))
        assert config["compile_config"]["loss"]["config"] == "tloss>squared"
        assert [layer["class_name"] for layer in config["config"]["layers"]] == ["InputLayer", "Dense"]
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-6)
