"""Smaller Keras-compatibility gaps (issue 16), each checked against real Keras 3: outputs
compiled without a loss, summary() after changing `trainable`, `model(x, array)`, loss
functions on symbolic tensors, `on_predict_batch_end`'s outputs, SimpleRNN's `seed`, tuples in
in-memory layer configs, merge layers called on arrays."""

import json
import zipfile

import numpy as np
import pytest

from conftest import needs, CORE, real_keras, fresh_library

pytestmark = needs(*CORE)


def libraries():
    import swiftkeras
    return [swiftkeras, real_keras()]


# -- outputs compiled without a loss -----------------------------------------------------------

def _two_outputs(lib, named=False):
    fresh_library(lib)
    i = lib.Input((4,), name="x")
    a = lib.layers.Dense(3, name="a")(i)
    b = lib.layers.Dense(2, activation="softmax", name="b")(i)
    return lib.Model(i, {"a": a, "b": b} if named else [a, b])


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    ya = rng.normal(size=(16, 3)).astype("float32")
    yb = np.eye(2, dtype="float32")[rng.integers(0, 2, 16)]
    return x, ya, yb


def _same_start(models):
    weights = [np.asarray(w) for w in models[1].get_weights()]
    for m in models:
        m.set_weights(weights)


LOSSLESS_CASES = {
    "list with None, y for every output": (lambda: [None, "categorical_crossentropy"],
                                            lambda ya, yb: [ya, yb], False),
    "dict with None": (lambda: {"a": None, "b": "mse"}, lambda ya, yb: [ya, yb], False),
    "None target": (lambda: [None, "mse"], lambda ya, yb: [None, yb], False),
    "targets of the outputs with a loss only": (lambda: [None, "mse"], lambda ya, yb: yb, False),
    "ignored target of another shape": (lambda: [None, "mse"], lambda ya, yb: [ya[:, :1], yb], False),
    "named outputs, dict naming some": (lambda: {"b": "mse"}, lambda ya, yb: {"b": yb}, True),
    "loss weights": (lambda: [None, "mse"], lambda ya, yb: [ya, yb], False),
}


@pytest.mark.parametrize("case", sorted(LOSSLESS_CASES))
def test_outputs_without_a_loss_train_like_keras(case):
    """Keras trains only on the outputs with a loss: the same epoch losses (history keys too),
    evaluate figures and weights from the same start."""
    loss, targets, named = LOSSLESS_CASES[case]
    x, ya, yb = _data()
    models = [_two_outputs(lib, named) for lib in libraries()]
    _same_start(models)
    runs = []
    for m in models:
        extra = {"loss_weights": [0.5, 3.0]} if case == "loss weights" else {}
        m.compile(optimizer="sgd", loss=loss(), **extra)
        history = m.fit(x, targets(ya, yb), epochs=3, batch_size=8, shuffle=False, verbose=0).history
        runs.append((history, m.evaluate(x, targets(ya, yb), verbose=0),
                     [np.asarray(w) for w in m.get_weights()]))
    (h0, e0, w0), (h1, e1, w1) = runs
    assert sorted(h0) == sorted(h1)
    for key in h1:
        np.testing.assert_allclose(h0[key], h1[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e0, e1, rtol=1e-5, atol=1e-6)
    for a, b in zip(w0, w1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_metrics_of_an_output_without_a_loss_and_per_output_losses_like_keras():
    """A metric of an output without a loss still reports; per-output losses are logged only
    when more than one output has a loss (Keras's compile loss)."""
    x, ya, yb = _data()
    for loss, metrics in (([None, "mse"], [["mae"], ["accuracy"]]),
                          (["mse", "mse"], [None, ["accuracy"]]),
                          ([None, "mse", ], None)):
        models = [_two_outputs(lib) for lib in libraries()]
        _same_start(models)
        histories = []
        for m in models:
            m.compile(optimizer="sgd", loss=loss, metrics=metrics)
            histories.append(m.fit(x, [ya, yb], epochs=2, batch_size=8, shuffle=False,
                                   verbose=0).history)
        assert sorted(histories[0]) == sorted(histories[1]), (loss, metrics)
        for key in histories[1]:
            np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-5, atol=1e-6)


def test_compile_config_with_none_losses_saved_and_loaded_like_keras(tmp_path):
    """get_compile_config and the saved file's compile_config keep the None entries as Keras
    writes them, and the loaded model trains on the same outputs."""
    x, ya, yb = _data()
    saved = []
    for lib in libraries():
        m = _two_outputs(lib)
        m.compile(optimizer="sgd", loss=[None, "mse"], metrics=[["mae"], None])
        assert m.get_compile_config()["loss"] == [None, "mse"]
        path = tmp_path / f"{lib.__name__}.keras"
        m.save(path)
        with zipfile.ZipFile(path) as archive:
            saved.append(json.loads(archive.read("config.json"))["compile_config"]["loss"])
        loaded = lib.models.load_model(path)
        assert loaded.get_compile_config()["loss"] == [None, "mse"]
        history = loaded.fit(x, [ya, yb], epochs=1, verbose=0).history
        assert sorted(history) == ["a_mae", "loss"]
    assert saved[0] == saved[1] == [None, "mse"]


def test_compile_arguments_keyed_by_output_saved_as_given_like_keras(tmp_path):
    """A loss dict with a None value and a metrics dict naming one output: the saved compile
    config holds them as given, as Keras writes it, and the loaded model has them."""
    saved = []
    for lib in libraries():
        m = _two_outputs(lib)
        m.compile(optimizer="sgd", loss={"a": None, "b": "mse"}, metrics={"a": "mae"})
        path = tmp_path / f"{lib.__name__}.keras"
        m.save(path)
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))["compile_config"]
        loaded = lib.models.load_model(path).get_compile_config()
        saved.append(((config["loss"], config["metrics"]), (loaded["loss"], loaded["metrics"])))
    assert saved[0] == saved[1] == (({"a": None, "b": "mse"}, {"a": "mae"}),) * 2


def test_a_loss_dict_leaving_out_an_output_of_a_list_model_is_refused_with_keras_message():
    import swiftkeras
    m = _two_outputs(swiftkeras)
    with pytest.raises(ValueError, match=r"Expected keys \['a', 'b'\] in loss dict, but found "
                                         r"loss.keys\(\)=\['b'\]"):
        m.compile(optimizer="sgd", loss={"b": "mse"})
        x, ya, yb = _data()
        m.fit(x, [ya, yb], epochs=1, verbose=0)


def test_a_missing_target_with_a_loss_or_metric_is_refused():
    import swiftkeras
    x, ya, yb = _data()
    m = _two_outputs(swiftkeras)
    m.compile(optimizer="sgd", loss=[None, "mse"], metrics=[["mae"], None])
    with pytest.raises(ValueError, match="target of output 'a' is None, but its metrics need it"):
        m.fit(x, [None, yb], verbose=0)
    m.compile(optimizer="sgd", loss=[None, "mse"])
    with pytest.raises(ValueError, match="target of output 'b' is None, but it has a loss"):
        m.fit(x, [ya, None], verbose=0)


# -- model(x, array) ---------------------------------------------------------------------------

def _called_with_second_positional(lib, kind):
    fresh_library(lib)
    if kind == "functional":
        i = lib.Input((3,))
        return lib.Model(i, lib.layers.Dense(2)(i))
    if kind == "sequential":
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])

    class WithTraining(lib.Model):
        def __init__(self):
            super().__init__()
            self.dense = lib.layers.Dense(2)

        def call(self, inputs, training=None):
            return self.dense(inputs)

    class WithoutTraining(WithTraining):
        def call(self, inputs):
            return self.dense(inputs)
    return WithTraining() if kind == "subclass" else WithoutTraining()


@pytest.mark.parametrize("kind", ["functional", "sequential", "subclass", "subclass without training"])
def test_a_second_positional_argument_is_a_type_error_like_keras(kind):
    x = np.ones((2, 3), "float32")
    messages = []
    for lib in libraries():
        model = _called_with_second_positional(lib, kind)
        model(x)   # built
        for second in (x, True):
            # Keras's Sequential and subclassed models refuse a positional non-tensor first.
            error = ValueError if kind != "functional" and second is True else TypeError
            with pytest.raises(error) as e:
                model(x, second)
            messages.append(str(e.value))
        if kind == "subclass without training":
            with pytest.raises(TypeError) as e:   # None is a positional argument too
                model(x, None)
            messages.append(str(e.value))
        else:
            assert np.asarray(model(x, None)).shape == (2, 2)
    half = len(messages) // 2
    assert messages[:half] == messages[half:]


# -- loss functions on symbolic tensors --------------------------------------------------------

LOSS_FUNCTIONS = {
    "binary_crossentropy": {}, "categorical_crossentropy": {},
    "mean_squared_error": {}, "mean_absolute_error": {},
    "mean_absolute_percentage_error": {}, "mean_squared_logarithmic_error": {},
    "hinge": {}, "squared_hinge": {}, "categorical_hinge": {}, "huber": {"delta": 0.5},
    "log_cosh": {}, "kl_divergence": {}, "poisson": {}, "cosine_similarity": {},
}


def _loss_layer(lib, name, kwargs):
    class Scored(lib.layers.Layer):
        """Adds the loss of its two inputs (targets, predictions) and passes the predictions."""

        def call(self, inputs):
            y, p = inputs
            fn = getattr(lib.losses, name)
            self.add_loss(lib.ops.mean(fn(y, p, **kwargs)))
            return p
    return Scored


@pytest.mark.parametrize("name", sorted(LOSS_FUNCTIONS))
def test_loss_functions_on_symbolic_tensors_like_keras(name):
    """keras.losses.<function>(y, p) inside a traced call: the add_loss value trains the model
    as in Keras (same losses and weights)."""
    rng = np.random.default_rng(3)
    x = rng.random((16, 4)).astype("float32")
    y = rng.random((16, 3)).astype("float32")
    if "crossentropy" in name or "hinge" in name:
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    runs = []
    for lib in libraries():
        fresh_library(lib)
        xi, yi = lib.Input((4,)), lib.Input((3,))
        p = lib.layers.Dense(3, activation="softmax", name="d")(xi)
        out = _loss_layer(lib, name, LOSS_FUNCTIONS[name])()([yi, p])
        model = lib.Model([xi, yi], out)
        runs.append(model)
    _same_start(runs)
    results = []
    for lib, model in zip(libraries(), runs):
        model.compile(optimizer=lib.optimizers.SGD(0.1))
        history = model.fit([x, y], epochs=3, batch_size=8, shuffle=False, verbose=0).history
        results.append((history["loss"], [np.asarray(w) for w in model.get_weights()]))
    # MAPE's values are 100 times the others': float32 rounding grows with them.
    rtol = 1e-3 if name == "mean_absolute_percentage_error" else 1e-4
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=rtol, atol=1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-6)


def test_loss_function_keyword_arguments_on_arrays_like_keras():
    import keras
    import swiftkeras
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, (5, 3)).astype("float32")
    p = rng.random((5, 3)).astype("float32")
    for name, kwargs in (("binary_crossentropy", {"label_smoothing": 0.2}),
                         ("binary_crossentropy", {"from_logits": True}),
                         ("huber", {"delta": 0.3})):
        ours = getattr(swiftkeras.losses, name)(y, p, **kwargs)
        ref = getattr(keras.losses, name)(y, p, **kwargs)
        np.testing.assert_allclose(ours, np.asarray(ref), rtol=1e-5, atol=1e-6)


# -- on_predict_batch_end ----------------------------------------------------------------------

def test_on_predict_batch_end_logs_hold_the_batch_outputs_like_keras():
    rng = np.random.default_rng(5)
    x = rng.random((10, 4)).astype("float32")
    seen = []
    for lib in libraries():
        fresh_library(lib)
        i = lib.Input((4,))
        model = lib.Model(i, [lib.layers.Dense(2, name="p")(i), lib.layers.Dense(1, name="q")(i)])
        got = []

        class Outputs(lib.callbacks.Callback):
            def on_predict_batch_end(self, batch, logs=None):
                got.append((batch, sorted(logs), [np.asarray(o) for o in logs["outputs"]]))
        model.predict(x, batch_size=4, verbose=0, callbacks=[Outputs()])
        seen.append((got, model))
    _same_start([m for _, m in seen])
    for (got, model) in seen:
        got.clear()
    for lib, (got, model) in zip(libraries(), seen):
        class Outputs(lib.callbacks.Callback):
            def on_predict_batch_end(self, batch, logs=None):
                got.append((batch, sorted(logs), [np.asarray(o) for o in logs["outputs"]]))
        model.predict(x, batch_size=4, verbose=0, callbacks=[Outputs()])
    ours, ref = seen[0][0], seen[1][0]
    assert [(b, k) for b, k, _ in ours] == [(b, k) for b, k, _ in ref] == \
        [(0, ["outputs"]), (1, ["outputs"]), (2, ["outputs"])]
    for (_, _, a), (_, _, b) in zip(ours, ref):
        assert [o.shape for o in a] == [o.shape for o in b]
        for u, v in zip(a, b):
            np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


# -- SimpleRNN(seed=) --------------------------------------------------------------------------

@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
def test_recurrent_layers_take_a_seed_like_keras(cls):
    configs = []
    for lib in libraries():
        fresh_library(lib)
        layer = getattr(lib.layers, cls)(3, dropout=0.5, recurrent_dropout=0.25, seed=7)
        model = lib.Sequential([lib.Input((5, 2)), layer])
        model.predict(np.ones((2, 5, 2), "float32"), verbose=0)
        configs.append({k: layer.get_config().get(k, "absent") for k in ("seed", "dropout")})
    assert configs[0] == configs[1]


# -- keras.Variable attributes of a Python layer ----------------------------------------------

def _scaled_layer(lib):
    class Scaled(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.scale = lib.Variable(np.full((3,), 2.0, "float32"), name="scale")
            self.shift = lib.Variable(np.full((3,), 0.5, "float32"), trainable=False, name="shift")

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="ones", name="w")

        def call(self, x):
            return lib.ops.matmul(x, self.w) * self.scale + self.shift
    return Scaled(name="scaled")


def test_keras_variable_attributes_of_a_python_layer_are_weights_like_keras():
    """Listed in weights (before the build too), trainable ones trained by fit, the others
    kept: Keras's lists and values (same data, same start)."""
    rng = np.random.default_rng(6)
    x = rng.random((8, 2)).astype("float32")
    y = rng.random((8, 3)).astype("float32")
    seen = []
    for lib in libraries():
        fresh_library(lib)
        layer = _scaled_layer(lib)
        before = ([v.name for v in layer.weights], [v.name for v in layer.trainable_weights],
                  [v.name for v in layer.non_trainable_weights])
        i = lib.Input((2,))
        model = lib.Model(i, layer(i))
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0).history
        after = ([v.name for v in layer.weights], [v.name for v in layer.trainable_weights],
                 [v.name for v in layer.non_trainable_weights])
        seen.append((before, after, history["loss"], [np.asarray(w) for w in model.get_weights()],
                     np.asarray(layer.scale.numpy())))
    (b0, a0, h0, w0, s0), (b1, a1, h1, w1, s1) = seen
    assert b0 == b1 == (["scale", "shift"], ["scale"], ["shift"])
    assert a0 == a1 == (["scale", "w", "shift"], ["scale", "w"], ["shift"])
    np.testing.assert_allclose(h0, h1, rtol=1e-5)
    for a, b in zip(w0, w1):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s0, s1, rtol=1e-5)

# -- tuples in in-memory configs ---------------------------------------------------------------

def _config_layers(layers):
    return [layers.Conv2D(4, 3), layers.Conv2D(4, [3, 3], strides=2), layers.Conv1D(2, 3),
            layers.Conv2DTranspose(2, 3, strides=2, output_padding=1), layers.MaxPooling2D(),
            layers.AveragePooling1D(2), layers.MaxPooling3D((2, 2, 2)), layers.ZeroPadding2D(1),
            layers.ZeroPadding2D(((1, 2), (3, 4))), layers.Cropping1D(1), layers.Cropping2D(1),
            layers.UpSampling2D(2), layers.Reshape([3, 2]), layers.Permute((2, 1)),
            layers.DepthwiseConv2D(3), layers.SeparableConv1D(2, 3), layers.RandomRotation(0.2),
            layers.RandomZoom((-0.2, 0.3)), layers.RandomZoom(0.2), layers.Normalization(axis=(1, 2)),
            layers.Dense(3), layers.Embedding(5, 2)]


def _kinds(value):
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_kinds(v) for v in value])
    return value


def test_in_memory_layer_configs_hold_tuples_like_keras():
    found = []
    for lib in libraries():
        fresh_library(lib)
        found.append([{k: _kinds(v) for k, v in layer.get_config().items()
                       if isinstance(v, (list, tuple))} for layer in _config_layers(lib.layers)])
    assert found[0] == found[1]


# -- merge layers on arrays --------------------------------------------------------------------

MERGE_LAYERS = {"Add": {}, "Subtract": {}, "Multiply": {}, "Average": {}, "Maximum": {},
                "Minimum": {}, "Concatenate": {}, "Dot": {"axes": 1}}


@pytest.mark.parametrize("name", sorted(MERGE_LAYERS))
def test_merge_layers_called_on_arrays_like_keras(name):
    a = np.arange(6, dtype="float32").reshape(2, 3)
    b = np.full((2, 3), 2.0, "float32")
    results = []
    for lib in libraries():
        layer = getattr(lib.layers, name)(**MERGE_LAYERS[name])
        results.append(np.asarray(layer([a, b])))
        results.append(np.asarray(layer([b, a])))   # the same layer called again
    np.testing.assert_allclose(results[0], results[2])
    np.testing.assert_allclose(results[1], results[3])
