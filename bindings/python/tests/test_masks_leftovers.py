"""Mask leftovers and compile metrics against real Keras 3 (session 19, masks3): the call
defaults Keras writes in a functional node (`training: false` of the recurrent and dropout
layers, `mask: null` of a call taking mask whose input carries none); MultiHeadAttention's
query positions that the query mask drops (Keras's dot_product_attention attends them
uniformly); `x + x` as Keras's Add node; `compile(metrics=[fn])` saved as Keras's function
entry."""

import json
import zipfile

import numpy as np
import pytest

import swiftkeras
from conftest import CORE, exec_layers, needs, real_keras

pytestmark = needs(*CORE)


def _node_kwargs(model):
    """Each layer's class and its nodes' kwargs, the tensors they name by the position of their
    layer (names count the layers made so far in each library), as JSON has them."""
    entries = json.loads(json.dumps(model.get_config()["layers"]))
    position = {entry["name"]: i for i, entry in enumerate(entries)}

    def named(value):
        if isinstance(value, dict):
            if "keras_history" in value:
                history = value["keras_history"]
                return {**value, "keras_history": [position[history[0]], *history[1:]]}
            return {k: named(v) for k, v in value.items()}
        if isinstance(value, list):
            return [named(v) for v in value]
        return value
    return [(entry["class_name"], [named(node.get("kwargs")) for node in entry["inbound_nodes"]])
            for entry in entries]


def _recurrent_model(lib):
    layers = lib.layers
    x = lib.Input((5,), dtype="int32")
    e = layers.Embedding(10, 4, mask_zero=True)(x)
    h = layers.LSTM(3, return_sequences=True)(e)
    h = layers.GRU(3, return_sequences=True)(h)
    h = layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True))(h)
    h = layers.Dropout(0.2)(h)
    h = layers.GaussianNoise(0.1)(h)
    h = layers.GlobalAveragePooling1D()(h)
    return lib.Model(x, h)


def _unmasked_model(lib):
    layers = lib.layers
    x = lib.Input((5, 4))
    h = layers.LSTM(3, return_sequences=True)(x)
    h = layers.SpatialDropout1D(0.1)(h)
    h = layers.TimeDistributed(layers.Dense(2))(h)
    h = layers.Softmax()(h)
    return lib.Model(x, layers.SimpleRNN(2)(h))


@pytest.mark.parametrize("make", [_recurrent_model, _unmasked_model])
def test_nodes_write_the_call_defaults_keras_writes(make, tmp_path):
    keras = real_keras()
    ours, ref = make(swiftkeras), make(keras)
    assert _node_kwargs(ours) == _node_kwargs(ref)
    lstm = dict(_node_kwargs(ref))["LSTM"]
    assert lstm[0]["training"] is False   # (what the comparison is about)
    # Files both ways keep them, and predict the same.
    data = np.random.RandomState(0).randint(0, 10, (3, 5)).astype("int32") if make is _recurrent_model \
        else np.random.RandomState(0).rand(3, 5, 4).astype("float32")
    if make is _recurrent_model:
        data[:, 3:] = 0
    ours.set_weights(ref.get_weights())
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "keras.keras")
    in_keras = keras.saving.load_model(tmp_path / "ours.keras")
    here = swiftkeras.saving.load_model(tmp_path / "keras.keras")
    assert _node_kwargs(in_keras) == _node_kwargs(ref) == _node_kwargs(here)
    expected = np.asarray(ref.predict(data, verbose=0))
    for model in (ours, here):
        np.testing.assert_allclose(model.predict(data, verbose=0), expected, atol=1e-5)
    np.testing.assert_allclose(in_keras.predict(data, verbose=0), expected, atol=1e-5)


# ---- MultiHeadAttention: the query positions its mask drops ---------------------------------

def _attention_model(lib, causal, scores, dropout=0.0):
    x = lib.Input((5,), dtype="int32")
    e = lib.layers.Embedding(10, 6, mask_zero=True)(x)
    mha = lib.layers.MultiHeadAttention(2, 3, dropout=dropout)
    y = mha(e, e, use_causal_mask=causal, return_attention_scores=scores)
    return lib.Model(x, y[0] if scores else y)


@pytest.mark.parametrize("causal,scores,dropout", [(False, False, 0.0), (True, False, 0.0),
                                                   (False, True, 0.0), (False, False, 0.1)])
def test_attention_rows_the_query_mask_drops_are_kerass(causal, scores, dropout):
    keras = real_keras()
    tokens = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 0, 0], [5, 6, 7, 8, 9]], "int32")
    ref = _attention_model(keras, causal, scores, dropout)
    ours = _attention_model(swiftkeras, causal, scores, dropout)
    rng = np.random.default_rng(1)
    weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    expected = np.asarray(ref.predict(tokens, verbose=0))
    np.testing.assert_allclose(ours.predict(tokens, verbose=0), expected, atol=1e-5)
    np.testing.assert_allclose(np.asarray(ours(tokens)), expected, atol=1e-5)
    dropped = expected[0, 2:]   # Keras: the mean of every value (no scores nor dropout), else the bias
    assert np.ptp(dropped, axis=0).max() < 1e-6
    uniform = not scores and dropout == 0.0
    bias = weights[-1]
    assert np.allclose(dropped[0], bias, atol=1e-5) != uniform


def test_attention_on_dropped_rows_trains_as_keras():
    """The rows attended uniformly reach the value projection's gradient as Keras's do."""
    keras = real_keras()
    tokens = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 0, 0]], "int32")
    target = np.random.RandomState(0).rand(2, 30).astype("float32")
    models = {}
    for name, lib in (("ours", swiftkeras), ("keras", keras)):
        attention = _attention_model(lib, False, False)
        # (Reshape drops the mask: the loss reads the dropped rows too)
        model = lib.Model(attention.input, lib.layers.Reshape((30,))(attention.output))
        rng = np.random.default_rng(2)
        model.set_weights([rng.normal(size=w.shape).astype("float32") * 0.5 for w in model.get_weights()])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        model.fit(tokens, target, epochs=2, batch_size=2, shuffle=False, verbose=0)
        models[name] = model
    for a, b in zip(models["ours"].get_weights(), models["keras"].get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


# ---- x + x: Keras's Add node of one tensor twice ----------------------------------------------

def _doubled(lib):
    x = lib.Input((3,))
    y = lib.layers.Dense(2)(x + x)
    return lib.Model(x, y * y)


def test_a_tensor_added_to_itself_is_kerass_add_node(tmp_path):
    keras = real_keras()
    ref, ours = _doubled(keras), _doubled(swiftkeras)
    weights = [np.arange(6, dtype="float32").reshape(3, 2) / 10, np.array([0.1, -0.2], "float32")]
    ref.set_weights(weights)
    ours.set_weights(weights)
    assert _node_kwargs(ours) == _node_kwargs(ref)
    entries = ours.get_config()["layers"]
    assert [e["class_name"] for e in entries] == ["InputLayer", "Add", "Dense", "Multiply"]
    assert [a["config"]["keras_history"][0] for a in entries[1]["inbound_nodes"][0]["args"]] == \
        [entries[0]["name"]] * 2
    data = np.array([[1, 2, 3], [-1, 0.5, 2]], "float32")
    expected = np.asarray(ref.predict(data, verbose=0))
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "keras.keras")
    for model in (ours, swiftkeras.saving.load_model(tmp_path / "keras.keras"),
                  swiftkeras.saving.load_model(tmp_path / "ours.keras")):
        np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5)
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "ours.keras").predict(data, verbose=0),
                               expected, rtol=1e-5)


# ---- compile(metrics=[fn]): Keras's function entry ----------------------------------------------

_METRIC_SOURCE = """
@keras.saving.register_keras_serializable(package="masks3_pkg")
def masks3_metric(y_true, y_pred):
    return ops.mean(ops.abs(y_true - y_pred), axis=-1) + 0.25
"""


def _compile_metrics(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))["compile_config"]["metrics"]


def test_a_metric_function_is_saved_as_keras_writes_it_and_loads_back(tmp_path):
    keras = real_keras()
    x = np.random.RandomState(0).rand(16, 3).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    results = {}
    for name, lib in (("ours", swiftkeras), ("keras", keras)):
        fn = exec_layers(_METRIC_SOURCE, lib)["masks3_metric"]
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, kernel_initializer="ones")])
        model.compile(optimizer="sgd", loss="mse", metrics=[fn, "mae"])
        model.save(tmp_path / f"{name}.keras")
        results[name] = (_compile_metrics(tmp_path / f"{name}.keras"),
                         model.evaluate(x, y, verbose=0, return_dict=True))
    ours, ref = results["ours"], results["keras"]
    assert ours[0] == ref[0]
    assert ref[0][0] == {"module": "builtins", "class_name": "function",
                         "config": "masks3_pkg>masks3_metric", "registered_name": "function"}
    assert ours[1].keys() == ref[1].keys()
    for key in ref[1]:
        np.testing.assert_allclose(ours[1][key], ref[1][key], rtol=1e-5)
    # Each library loads the other's file (and its own) to the same metrics.
    for name in ("ours", "keras"):
        loaded = swiftkeras.saving.load_model(tmp_path / f"{name}.keras")
        assert loaded.get_compile_config()["metrics"] == ref[0]
        got = loaded.evaluate(x, y, verbose=0, return_dict=True)
        for key in ref[1]:
            np.testing.assert_allclose(got[key], ref[1][key], rtol=1e-5)
    got = keras.saving.load_model(tmp_path / "ours.keras").evaluate(x, y, verbose=0, return_dict=True)
    for key in ref[1]:
        np.testing.assert_allclose(got[key], ref[1][key], rtol=1e-5)


def test_two_models_from_one_masked_tensor_build_as_kerass():
    """A second model made from a tensor the first already used (its mask's `not_equal`
    operation node belongs to the first model): both build, list Keras's layers and share the
    Embedding's weights (the second one's build read the operation node's weights and failed)."""
    keras = real_keras()

    def make(lib):
        x = lib.Input((5,), dtype="int32")
        e = lib.layers.Embedding(10, 4, mask_zero=True)(x)
        first = lib.Model(x, lib.layers.LSTM(3)(e))
        first.get_config()
        second = lib.Model(x, lib.layers.GRU(3)(e))
        return first, second

    ours, theirs = make(swiftkeras), make(keras)
    for mine, kerass in zip(ours, theirs):
        assert [e["class_name"] for e in mine.get_config()["layers"]] == \
            [e["class_name"] for e in kerass.get_config()["layers"]]
    assert ours[0].layers[1] is ours[1].layers[1]
    np.testing.assert_array_equal(ours[0].layers[1].get_weights()[0], ours[1].layers[1].get_weights()[0])
