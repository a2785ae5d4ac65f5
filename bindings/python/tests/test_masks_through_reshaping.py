"""Which reshaping layers pass Embedding(mask_zero=True)'s mask on, as real Keras 3 (jax) does:
none of Reshape, Permute, Flatten, the croppings, paddings and upsamplings supports masking,
but Keras's mask is an attribute of the tensor and the jax backend's reshape to the same shape,
identity transpose and full slice return the array itself, so a Reshape to the input's own shape
(a -1 included), Permute((1, 2)) and a crop of nothing keep it (a Dropout after them too); any
other reshape drops it. Checked downstream through an LSTM: predictions, evaluate and fit losses
equal to Keras's for the same weights, and a layer written in Python after them (traced with or
without the mask, as its Sequential knows it)."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras
from layer_probes import mask_marker

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

TOKENS = np.array([[1, 2, 0, 0], [3, 0, 0, 0], [4, 4, 1, 0]], np.int32)
TARGETS = np.array([[0.5], [-0.2], [0.1]], np.float32)

# (the layers after the Embedding, whether Keras keeps the mask through them)
CASES = {
    "reshape_same": (lambda L: [L.Reshape((4, 2))], True),
    "reshape_inferred": (lambda L: [L.Reshape((-1, 2))], True),
    "reshape_then_dropout": (lambda L: [L.Reshape((4, 2)), L.Dropout(0.0)], True),
    "permute_identity": (lambda L: [L.Permute((1, 2))], True),
    "crop_nothing": (lambda L: [L.Cropping1D(0)], True),
    "reshape_and_back": (lambda L: [L.Reshape((4, 2, 1)), L.Reshape((4, 2))], False),
    "permute_twice": (lambda L: [L.Permute((2, 1)), L.Permute((2, 1))], False),
    "flatten_and_back": (lambda L: [L.Flatten(), L.Reshape((4, 2))], False),
    "crop_and_pad": (lambda L: [L.Cropping1D((0, 1)), L.ZeroPadding1D((0, 1))], False),
}


def _model(lib, case, length):
    L = lib.layers
    make, _ = CASES[case]
    model = lib.Sequential([lib.Input((length,), dtype="int32"), L.Embedding(5, 2, mask_zero=True)] + make(L) +
                           [L.LSTM(3), L.Dense(1)])
    model.set_weights([np.linspace(-0.6, 0.7, w.size, dtype="float32").reshape(w.shape) for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    return model


@pytest.mark.parametrize("length", [4, None])
@pytest.mark.parametrize("case", sorted(CASES))
def test_lstm_after_reshaping_layers_gets_the_mask_keras_keeps(case, length):
    results = []
    for lib in (sk, keras):
        model = _model(lib, case, length)
        results.append((model.predict(TOKENS, verbose=0), model.evaluate(TOKENS, TARGETS, verbose=0),
                        model.fit(TOKENS, TARGETS, epochs=2, batch_size=3, verbose=0).history["loss"]))
    (p, e, h), (p_ref, e_ref, h_ref) = results
    np.testing.assert_allclose(p, p_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e, e_ref, rtol=1e-5)
    np.testing.assert_allclose(h, h_ref, rtol=1e-4)


def test_the_mask_changes_the_lstms_output():
    """(The cases tell masks apart: without the mask the same weights predict otherwise.)"""
    kept, dropped = _model(keras, "reshape_same", 4), _model(keras, "reshape_and_back", 4)
    assert not np.allclose(kept.predict(TOKENS, verbose=0), dropped.predict(TOKENS, verbose=0), atol=1e-3)


REF, OURS = ({"ReshapedMaskProbe": mask_marker(lib, "ReshapedMaskProbe", None)} for lib in (keras, sk))


@pytest.mark.parametrize("case", ["reshape_same", "permute_identity", "crop_nothing", "reshape_and_back"])
def test_python_layer_after_reshaping_layers_gets_kerass_mask(case):
    outs = []
    for lib, ns in ((sk, OURS), (keras, REF)):
        L = lib.layers
        model = lib.Sequential([lib.Input((4,), dtype="int32"), L.Embedding(5, 2, mask_zero=True, embeddings_initializer="ones")]
                               + CASES[case][0](L) + [ns["ReshapedMaskProbe"]()])
        outs.append(np.asarray(model.predict(TOKENS, verbose=0)))
    assert (outs[1].max() < 5) == CASES[case][1]
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-6)


def _functional_probe(lib, ns, case):
    """Input -> Embedding(mask_zero) -> the case's layers -> the probe, as a functional model."""
    L = lib.layers
    x = lib.Input((4,), dtype="int32")
    h = L.Embedding(5, 2, mask_zero=True, embeddings_initializer="ones")(x)
    for layer in CASES[case][0](L):
        h = layer(h)
    return lib.Model(x, ns["ReshapedMaskProbe"]()(h))


@pytest.mark.parametrize("case", ["reshape_same", "reshape_then_dropout", "permute_identity", "crop_nothing",
                                  "reshape_and_back", "permute_twice", "crop_and_pad"])
def test_python_layer_after_reshaping_layers_in_a_functional_model_gets_kerass_mask(case, tmp_path):
    """Keras's symbolic call leaves the reshaped tensor without a mask (the probe's node records
    mask=None), but at run time the array a Reshape to the same shape returns keeps its mask, so
    the probe gets it; the library's functional model traces the probe with it."""
    outs, configs = [], []
    for lib, ns in ((sk, OURS), (keras, REF)):
        model = _functional_probe(lib, ns, case)
        outs.append(np.asarray(model.predict(TOKENS, verbose=0)))
        configs.append(model.get_config()["layers"][-1]["inbound_nodes"][0]["kwargs"])
    assert (outs[1].max() < 5) == CASES[case][1]
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-6)
    assert configs[0] == configs[1]   # (mask=None in both nodes)


@pytest.mark.parametrize("case", ["reshape_same", "reshape_then_dropout", "permute_identity", "reshape_and_back"])
def test_python_layer_after_reshaping_layers_in_a_loaded_model_gets_kerass_mask(case, tmp_path):
    """The same functional model written by Keras and loaded here (its config records mask=None
    for the probe's call): the loaded model gives the probe the mask the array keeps at run
    time, as Keras's loaded model does."""
    model = _functional_probe(keras, REF, case)
    path = str(tmp_path / "probe.keras")
    model.save(path)
    ref = np.asarray(keras.models.load_model(path, custom_objects=REF).predict(TOKENS, verbose=0))
    assert (ref.max() < 5) == CASES[case][1]
    loaded = sk.models.load_model(path, custom_objects=OURS)
    np.testing.assert_allclose(np.asarray(loaded.predict(TOKENS, verbose=0)), ref, atol=1e-6)
