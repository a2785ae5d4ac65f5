"""Masks as Keras 3 hands them to layers, each against real Keras from the same weights:

- a traced Python layer's `call(self, x, mask=None)` gets None when its input carries no mask
  (not ones), and the mask when it does (Embedding(mask_zero=True), Masking);
- eager calls with a real mask (`layer(x, mask=m)` on arrays, the `_keras_mask` of an
  Embedding(mask_zero=True)'s output) run with Keras's numbers instead of being refused;
- the models of these layers saved by either library load in the other.
"""
import numpy as np
import pytest

from conftest import needs, CORE, real_keras, fresh_library
from layer_probes import probe_layer

pytestmark = needs(*CORE, "keras_layer_builder_mask", "keras_layer_builder_output_masks")

MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], bool)
TOKENS = np.array([[3, 1, 4, 0, 0], [1, 5, 0, 0, 0]])


def libraries():
    import swiftkeras
    return swiftkeras, real_keras()


def set_same_weights(ours, ref, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=np.shape(w)).astype("float32") * 0.5 for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)


@pytest.mark.parametrize("source", ["none", "embedding", "masking"])
def test_traced_call_gets_none_without_a_mask_like_keras(source, tmp_path):
    """Input -> [Embedding(mask_zero=True) | Masking] -> the probe -> Dense: the probe's call
    sees None exactly where Keras's does, and the predictions are Keras's; files both ways."""
    import swiftkeras
    keras_ref = real_keras()
    seen, models = {}, []
    data = {"none": np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32"),
            "embedding": TOKENS,
            "masking": np.where(MASK[..., None], np.random.default_rng(2).normal(size=(2, 5, 3)), 0.0)
            .astype("float32")}[source]
    for lib in libraries():
        keras, layers, _ = fresh_library(lib)
        calls = seen.setdefault(lib.__name__, [])
        probe = probe_layer(lib, calls)
        if source == "embedding":
            inputs = keras.Input((None,), dtype="int32")
            x = layers.Embedding(8, 3, mask_zero=True)(inputs)
        else:
            inputs = keras.Input((5, 3))
            x = layers.Masking()(inputs) if source == "masking" else inputs
        outputs = layers.Dense(2)(probe(name="probe")(x))
        models.append(keras.Model(inputs, outputs))
    ours, ref = models
    assert _structure(ours.get_config()) == _structure(ref.get_config())   # (the mask in the node)
    set_same_weights(ours, ref)
    want = np.asarray(ref.predict(data, verbose=0))
    np.testing.assert_allclose(ours.predict(data, verbose=0), want, rtol=1e-5, atol=1e-5)
    # Keras traces the call once per graph; ours traced what Keras's saw. A trace that read a
    # mask is followed by one with None, on the same weights, which the library runs only where
    # no mask reaches the layer (Keras's None there): the predictions above are Keras's.
    ours_seen, ref_seen = seen["swiftkeras"], seen["keras"]
    assert ref_seen and set(ref_seen) == {source == "none"}
    assert ours_seen and (source == "none") in ours_seen
    if source == "none":
        assert set(ours_seen) == {True}
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    back_ref = keras_ref.saving.load_model(tmp_path / "ours.keras")
    back_ours = swiftkeras.saving.load_model(tmp_path / "ref.keras")
    np.testing.assert_allclose(np.asarray(back_ref.predict(data, verbose=0)), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(back_ours.predict(data, verbose=0), want, rtol=1e-5, atol=1e-5)


def test_python_layer_on_masked_arrays_like_keras():
    """`layer(x, mask=m)` and `layer(embedding(tokens))` on arrays: the call gets the mask (it
    was refused); without one it gets None; the outputs carry Keras's `_keras_mask`."""
    results, seen = [], {}
    x = np.random.default_rng(3).normal(size=(2, 5, 3)).astype("float32")
    for lib in libraries():
        keras, layers, _ = fresh_library(lib)
        calls = seen.setdefault(lib.__name__, [])
        probe = probe_layer(lib, calls)()
        unmasked = probe(x)   # (built by its first call)
        probe.set_weights([np.array([0.5, -1.0, 2.0], "float32")])
        given = probe(x, mask=MASK)
        unmasked = probe(x)
        embedding = layers.Embedding(8, 3, mask_zero=True)
        embedding.build((None, 5))
        embedding.set_weights([np.random.default_rng(4).normal(size=(8, 3)).astype("float32")])
        carried = probe(embedding(TOKENS))
        results.append([np.asarray(given), np.asarray(given._keras_mask), np.asarray(unmasked),
                        getattr(unmasked, "_keras_mask", None), np.asarray(carried),
                        np.asarray(carried._keras_mask)])
    ours, ref = results
    for got, want in zip(ours, ref):
        if want is None:
            assert got is None
        else:
            np.testing.assert_allclose(np.asarray(got, "float32"), np.asarray(want, "float32"), rtol=1e-6)
    assert ours[0][:, 3:].sum() == 0   # the masked steps are zero: the mask reached the call
    assert True in seen["swiftkeras"] and False in seen["swiftkeras"]


def test_temporal_softmax_on_masked_arrays_like_keras():
    """The masking guide's TemporalSoftmax (`call(inputs, mask=None)`, no mask handling of its
    own) on arrays with `mask=` and after an Embedding(mask_zero=True)."""
    from test_python_layer_io import temporal_softmax
    x = np.random.default_rng(6).random((2, 4, 1)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    results = []
    for lib in libraries():
        keras, layers, ops = fresh_library(lib)
        layer = temporal_softmax(lib, ops)()
        embedding = layers.Embedding(10, 1, mask_zero=True, embeddings_initializer="ones")
        results.append((np.asarray(layer(x, mask=mask)),
                        np.asarray(layer(embedding(np.array([[3, 2, 0, 0]]))))))
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def _structure(config):
    """A functional config's graph: each entry's class and module, and per node the histories
    of the tensors of its arguments and of its `mask`."""
    def tensors(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return [tuple(value["config"]["keras_history"])]
        if isinstance(value, (list, tuple)):
            return [h for v in value for h in tensors(v)]
        return []
    return [(e["name"], e["class_name"], e["module"], e["registered_name"],
             [(tensors(n["args"]), tensors(n["kwargs"].get("mask"))) for n in e["inbound_nodes"]])
            for e in config["layers"]]


def _masking_guide_model(lib, case):
    keras, layers, ops = fresh_library(lib)
    if case == "embedding_lstm":
        inputs = keras.Input((None,), dtype="int32")
        x = layers.Embedding(50, 4, mask_zero=True)(inputs)
        outputs = layers.LSTM(3)(layers.Dense(4)(x))
    elif case == "masking_pooling":
        inputs = keras.Input((None, 3))
        x = layers.Masking()(inputs)
        outputs = layers.GlobalAveragePooling1D()(layers.GRU(2, return_sequences=True)(x))
    elif case == "explicit_mask":   # a mask computed with ops and passed as `mask=`
        inputs = keras.Input((None,), dtype="int32")
        x = layers.Embedding(50, 4)(inputs)
        outputs = layers.LSTM(3)(x, mask=ops.not_equal(inputs, 0))
    elif case == "second_graph":   # the layers' first calls are another graph's: renumbered
        embedding, lstm = layers.Embedding(50, 4), layers.LSTM(3)
        first = keras.Input((None,), dtype="int32")
        keras.Model(first, lstm(embedding(first), mask=ops.not_equal(first, 0)))
        inputs = keras.Input((None,), dtype="int32")
        outputs = lstm(embedding(inputs), training=False, mask=ops.not_equal(inputs, 0))
    else:   # explicit_any: Masking's rule written by hand
        inputs = keras.Input((None, 3))
        outputs = layers.SimpleRNN(2)(inputs, mask=ops.any(ops.not_equal(inputs, 0.0), axis=-1))
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("case", ["embedding_lstm", "masking_pooling", "explicit_mask", "explicit_any",
                                  "second_graph"])
def test_mask_ops_are_nodes_of_the_config_like_keras(case, tmp_path):
    """Keras writes the ops that make a mask (`not_equal`, `any`) as nodes of the functional
    config and the mask a call gets in its node's kwargs; ours writes the same graph, computes
    Keras's predictions (the explicit `mask=` was dropped), and each library loads the other's
    file with that graph and those predictions."""
    import swiftkeras
    keras_ref = real_keras()
    ours, ref = (_masking_guide_model(lib, case) for lib in libraries())
    assert _structure(ours.get_config()) == _structure(ref.get_config())
    if case == "second_graph":   # the call's `training=` too, in its node renumbered with it
        training = [[n["kwargs"].get("training") for e in m.get_config()["layers"] if e["name"] == "lstm"
                     for n in e["inbound_nodes"]] for m in (ours, ref)]
        assert training[0] == training[1] == [False]
    set_same_weights(ours, ref)
    rng = np.random.default_rng(5)
    if case in ("embedding_lstm", "explicit_mask", "second_graph"):
        x = np.where(np.arange(6) < rng.integers(1, 6, (4, 1)), rng.integers(1, 50, (4, 6)), 0)
    else:
        x = np.where((np.arange(6) < rng.integers(1, 6, (4, 1)))[..., None],
                     rng.normal(size=(4, 6, 3)), 0.0).astype("float32")
    want = np.asarray(ref.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    back_ref = keras_ref.saving.load_model(tmp_path / "ours.keras")
    back_ours = swiftkeras.saving.load_model(tmp_path / "ref.keras")
    assert _structure(back_ours.get_config()) == _structure(ref.get_config())
    assert [l.name for l in back_ours.layers] == [l.name for l in ref.layers]
    np.testing.assert_allclose(np.asarray(back_ref.predict(x, verbose=0)), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back_ours.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["batch_norm", "lstm", "pooling", "time_distributed", "bidirectional", "softmax"])
def test_builtin_layer_on_masked_arrays_like_keras(case):
    """`layer(x, mask=m)` on arrays for the built-in layers taking `mask` (BatchNormalization was
    refused; the recurrent ones ran behind a Masking layer holding a fill value): Keras's
    outputs from the same weights."""
    x = np.random.default_rng(7).normal(size=(2, 5, 3)).astype("float32")
    mask = np.random.default_rng(8).random((2, 5, 3)) > 0.3 if case == "softmax" else MASK
    results = []
    for lib in libraries():
        keras, layers, _ = fresh_library(lib)
        layer = {"batch_norm": lambda: layers.BatchNormalization(),
                 "lstm": lambda: layers.LSTM(4),
                 "pooling": lambda: layers.GlobalAveragePooling1D(),
                 "time_distributed": lambda: layers.TimeDistributed(layers.Dense(2)),
                 "bidirectional": lambda: layers.Bidirectional(layers.GRU(2, return_sequences=True)),
                 "softmax": lambda: layers.Softmax()}[case]()
        layer(x)   # built
        rng = np.random.default_rng(9)
        weights = [rng.normal(size=np.shape(w)).astype("float32") * 0.5 for w in layer.get_weights()]
        if weights:
            layer.set_weights(weights)
        results.append(np.asarray(layer(x, mask=mask, training=case == "batch_norm")))
    ours, ref = results
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
