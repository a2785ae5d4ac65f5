"""The mask gaps left after test_masks_eager_traced.py, each against real Keras 3:

- a Python layer read back from a file gets the mask its input carries, None where it carries
  none (it got ones), in files from either library;
- masks through merge layers (Add, Multiply, Concatenate on either axis, an unmasked input) and
  through layers of several outputs (Bidirectional(merge_mode=None), return_state) are Keras's
  nodes of the config (`logical_or`, `concatenate`, `any`), with Keras's predictions;
- Attention, AdditiveAttention and MultiHeadAttention called on arrays with masks run (they
  were refused) with Keras's numbers and output mask;
- `model(x)` on arrays sets the outputs' `_keras_mask` as Keras does;
- an int Input and the tensors after it keep Keras's dtypes in the saved config.
"""
import json
import zipfile

import numpy as np
import pytest

from conftest import needs, CORE, real_keras, fresh_library
from test_masks_eager_traced import TOKENS, _structure, probe_layer, set_same_weights

pytestmark = needs(*CORE, "keras_layer_builder_mask", "keras_layer_builder_input_has_mask",
                   "keras_model_call_masked")


def libraries():
    import swiftkeras
    return swiftkeras, real_keras()


@pytest.mark.parametrize("source", ["none", "embedding"])
@pytest.mark.parametrize("written_by", ["swiftkeras", "keras"])
def test_loaded_python_layer_gets_the_mask_keras_gives(source, written_by, tmp_path):
    """A registered Python layer whose `call(x, mask=None)` uses the mask, saved by either
    library and loaded by ours: its traced call sees None exactly where Keras's does (it saw a
    mask of ones), and the loaded model predicts Keras's numbers."""
    import swiftkeras
    keras_ref = real_keras()
    seen = {}
    data = TOKENS if source == "embedding" else \
        np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")
    models = {}
    for lib in libraries():
        keras, layers, _ = fresh_library(lib)
        probe = probe_layer(lib, seen.setdefault(lib.__name__, []))
        if source == "embedding":
            inputs = keras.Input((None,), dtype="int32")
            x = layers.Embedding(8, 3, mask_zero=True)(inputs)
        else:
            inputs = x = keras.Input((5, 3))
        models[lib.__name__] = keras.Model(inputs, layers.Dense(2)(probe(name="probe")(x)))
    set_same_weights(models["swiftkeras"], models["keras"])
    want = np.asarray(models["keras"].predict(data, verbose=0))
    models[written_by].save(tmp_path / "model.keras")
    seen["swiftkeras"].clear()
    loaded = swiftkeras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), want, rtol=1e-5, atol=1e-6)
    seen["keras"].clear()
    keras_ref.saving.load_model(tmp_path / "model.keras").predict(data, verbose=0)
    assert set(seen["keras"]) == {source == "none"}
    # (a trace reading the mask is followed by one with None, which runs only where no mask
    # reaches the layer: the predictions above are Keras's)
    assert seen["swiftkeras"] and seen["swiftkeras"][0] == (source == "none") and \
        set(seen["swiftkeras"]) <= {source == "none", True}


def _merge_model(lib, case):
    keras, layers, _ = fresh_library(lib)
    a, b = keras.Input((None,), dtype="int32"), keras.Input((None,), dtype="int32")
    ea, eb = layers.Embedding(8, 3, mask_zero=True)(a), layers.Embedding(8, 3, mask_zero=True)(b)
    if case == "add":
        x = layers.Add()([ea, eb])
    elif case == "multiply":
        x = layers.Multiply()([ea, eb])
    elif case == "concatenate":
        x = layers.Concatenate()([ea, eb])
    elif case == "concatenate_steps":
        x = layers.Concatenate(axis=1)([ea, eb])
    elif case == "concatenate_unmasked":   # an input without a mask counts as unmasked
        x = layers.Concatenate()([ea, layers.Embedding(8, 3)(b)])
    elif case == "bidirectional":   # merge_mode=None: two outputs, each with the mask
        forward, backward = layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode=None)(ea)
        x = layers.Concatenate()([forward, backward])
    else:   # return_state: the sequences keep the mask, the states have none
        x, _, _ = layers.LSTM(2, return_sequences=True, return_state=True)(layers.Add()([ea, eb]))
    return keras.Model([a, b], layers.LSTM(2)(x))


@pytest.mark.parametrize("case", ["add", "multiply", "concatenate", "concatenate_steps",
                                  "concatenate_unmasked", "bidirectional", "return_state"])
def test_merged_and_split_masks_are_keras_nodes(case, tmp_path):
    """The ops of a merge layer's compute_mask are nodes of the config as Keras writes them
    (it were the library's own, unwritten), the masked LSTM after it predicts Keras's numbers,
    and each library loads the other's file with that graph."""
    import swiftkeras
    keras_ref = real_keras()
    ours, ref = (_merge_model(lib, case) for lib in libraries())
    assert _structure(ours.get_config()) == _structure(ref.get_config())
    set_same_weights(ours, ref)
    rng = np.random.default_rng(2)
    x = [np.where(np.arange(6) < rng.integers(1, 6, (4, 1)), rng.integers(1, 8, (4, 6)), 0)
         for _ in range(2)]
    want = np.asarray(ref.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    back_ours = swiftkeras.saving.load_model(tmp_path / "ref.keras")
    assert _structure(back_ours.get_config()) == _structure(ref.get_config())
    np.testing.assert_allclose(back_ours.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    back_ref = keras_ref.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(back_ref.predict(x, verbose=0)), want, rtol=1e-5, atol=1e-6)


QUERY_MASK = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
VALUE_MASK = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], bool)


@pytest.mark.parametrize("case", ["attention", "additive", "attention_key_causal", "attention_scores",
                                  "mha", "mha_key_mask", "mha_carried", "mha_causal"])
def test_attention_on_arrays_with_masks_like_keras(case):
    """Keras's eager calls of the attention layers with masks, from the same weights: the
    outputs (and scores), and the output's `_keras_mask` (the query's)."""
    rng = np.random.default_rng(3)
    q = rng.normal(size=(2, 4, 3)).astype("float32")
    v = rng.normal(size=(2, 5, 3)).astype("float32")
    k = rng.normal(size=(2, 5, 3)).astype("float32")
    results = []
    for lib in libraries():
        keras, layers, _ = fresh_library(lib)
        if case.startswith("mha"):
            layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
            layer(q, v)   # built
        else:
            layer = layers.AdditiveAttention() if case == "additive" else layers.Attention(use_scale=True)
            layer([q, v])
        weights = [np.random.default_rng(4).normal(size=np.shape(w)).astype("float32") * 0.5
                   for w in layer.get_weights()]
        if weights:
            layer.set_weights(weights)
        if case in ("attention", "additive"):
            out = layer([q, v], mask=[QUERY_MASK, VALUE_MASK])
        elif case == "attention_key_causal":
            out = layer([q, v[:, :4], k[:, :4]], mask=[QUERY_MASK, VALUE_MASK[:, :4]], use_causal_mask=True)
        elif case == "attention_scores":
            out = layer([q, v], mask=[None, VALUE_MASK], return_attention_scores=True)
        elif case == "mha":
            out = layer(q, v, value_mask=VALUE_MASK)
        elif case == "mha_key_mask":
            out = layer(q, v, k, value_mask=VALUE_MASK, key_mask=VALUE_MASK[::-1])
        elif case == "mha_carried":   # the query's mask from the Embedding it came out of
            embedding = layers.Embedding(6, 3, mask_zero=True)
            embedding.build((None, 4))
            embedding.set_weights([np.random.default_rng(6).normal(size=(6, 3)).astype("float32")])
            query = embedding(np.where(QUERY_MASK, 3, 0))
            out = layer(query, v, value_mask=VALUE_MASK)
        else:
            out = layer(q, v[:, :4], value_mask=VALUE_MASK[:, :4], use_causal_mask=True)
        first = out[0] if isinstance(out, tuple) else out
        results.append([np.asarray(o) for o in (out if isinstance(out, tuple) else (out,))] +
                       [getattr(first, "_keras_mask", None)])
    ours, ref = results
    assert len(ours) == len(ref)
    # (A query step its mask drops: Keras's MultiHeadAttention (jax) attends it uniformly over
    # every key, the library's gives the output layer's bias: those rows are left out.)
    kept = (lambda a: a[QUERY_MASK]) if case == "mha_carried" else (lambda a: a)
    for got, want in zip(ours[:-1], ref[:-1]):
        np.testing.assert_allclose(kept(got), kept(want), rtol=1e-5, atol=1e-6)
    if ref[-1] is None:
        assert ours[-1] is None
    else:
        np.testing.assert_array_equal(np.asarray(ours[-1]), np.asarray(ref[-1]))


@pytest.mark.parametrize("case", ["functional", "sequential", "lstm_last", "several", "named", "masking"])
def test_model_call_sets_keras_mask_like_keras(case):
    """`model(x)` on arrays: each output carries the `_keras_mask` Keras sets (none where the
    output has no mask), and the values are Keras's."""
    tokens = np.array([[3, 1, 4, 0, 0, 0], [1, 5, 2, 2, 0, 0]])
    x = tokens if case != "masking" else \
        np.where(tokens[..., None] > 0, np.random.default_rng(5).normal(size=(2, 6, 3)), 0.0).astype("float32")
    results = []
    for lib in libraries():
        keras, layers, _ = fresh_library(lib)
        if case == "sequential":
            model = keras.Sequential([keras.Input((None,), dtype="int32"),
                                      layers.Embedding(8, 3, mask_zero=True), layers.Dense(2)])
        elif case == "masking":
            inputs = keras.Input((None, 3))
            model = keras.Model(inputs, layers.Dense(2)(layers.Masking()(inputs)))
        else:
            inputs = keras.Input((None,), dtype="int32")
            h = layers.Embedding(8, 3, mask_zero=True)(inputs)
            outputs = {"functional": lambda: layers.Dense(2)(h),
                       "lstm_last": lambda: layers.LSTM(2)(h),
                       "several": lambda: [h, layers.LSTM(2)(h)],
                       "named": lambda: {"sequences": layers.GRU(2, return_sequences=True)(h)}}[case]()
            model = keras.Model(inputs, outputs)
        out = model(x)
        flat = list(out.values()) if isinstance(out, dict) else list(out) if isinstance(out, list) else [out]
        results.append(([np.asarray(o) for o in flat], [getattr(o, "_keras_mask", None) for o in flat], model))
    (ours, ours_masks, ours_model), (ref, ref_masks, ref_model) = results
    set_same_weights(ours_model, ref_model)
    ours = ours_model(x)
    ref = ref_model(x)
    flat = [(list(o.values()) if isinstance(o, dict) else list(o) if isinstance(o, list) else [o])
            for o in (ours, ref)]
    for got, want in zip(*flat):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
        want_mask = getattr(want, "_keras_mask", None)
        if want_mask is None:
            assert getattr(got, "_keras_mask", None) is None
        else:
            np.testing.assert_array_equal(np.asarray(got._keras_mask), np.asarray(want_mask))
    assert [m is None for m in ours_masks] == [m is None for m in ref_masks]


def _tensor_dtypes(config):
    """Every `__keras_tensor__` of a functional config: (layer, its node's arguments' and
    mask's histories with their dtypes)."""
    def tensors(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return [(tuple(value["config"]["keras_history"]), value["config"]["dtype"])]
        if isinstance(value, dict):
            return [t for v in value.values() for t in tensors(v)]
        if isinstance(value, (list, tuple)):
            return [t for v in value for t in tensors(v)]
        return []
    return [(e["name"], e["config"].get("dtype") if e["class_name"] == "InputLayer" else None,
             tensors(e["inbound_nodes"])) for e in config["layers"]]


def test_int_input_dtypes_in_the_saved_config_like_keras(tmp_path):
    """`keras.Input(shape=(5,), dtype="int32")`: its tensor is int32 in the nodes that take it,
    through Reshape and Flatten too, the mask ops' results are bool and the layers' outputs
    float32, in `get_config()` and in the saved config.json, as Keras writes them."""
    written = []
    for lib in libraries():
        keras, layers, ops = fresh_library(lib)
        tokens = keras.Input((5,), dtype="int32")
        ids = layers.Flatten()(layers.Reshape((5, 1))(tokens))
        x = layers.Embedding(8, 3, mask_zero=True)(ids)
        model = keras.Model(tokens, layers.Dense(1)(layers.LSTM(2)(x)))
        model.save(tmp_path / f"{lib.__name__}.keras")
        with zipfile.ZipFile(tmp_path / f"{lib.__name__}.keras") as archive:
            saved = json.loads(archive.read("config.json"))["config"]
        written.append((_tensor_dtypes(model.get_config()), _tensor_dtypes(saved)))
    (ours_config, ours_saved), (ref_config, ref_saved) = written
    assert ours_config == ref_config
    assert ours_saved == ref_saved
    assert ("input_layer", "int32", []) in ref_saved   # (what is compared)
