"""Keras 3's ReversibleEmbedding against real Keras: a language model that embeds its tokens and
projects its hidden states back with the same layer (`reverse=True` kept per call), tied and
untied, with a logit soft cap, predicts and trains (SGD) to Keras's weights (1e-5); eager calls
both ways; Keras's config; `.keras`, `.h5` and `.weights.h5` files load both ways."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

RS = np.random.RandomState(7)
IDS = RS.randint(0, 12, size=(8, 6)).astype("int32")
TARGETS = RS.randint(0, 12, size=(8, 6)).astype("int32")


def _lm(lib, **options):
    tokens = lib.Input((6,), dtype="int32")
    embedding = lib.layers.ReversibleEmbedding(12, 4, name="emb", **options)
    h = lib.layers.Dense(4, activation="tanh", name="mix")(embedding(tokens))
    return lib.Model(tokens, embedding(h, reverse=True))


CASES = [{}, {"tie_weights": False}, {"logit_soft_cap": 2.0}]


@pytest.mark.parametrize("options", CASES)
def test_language_model_predicts_and_trains_as_keras(options):
    keras.utils.set_random_seed(0)
    ref, ours = _lm(keras, **options), _lm(sk, **options)
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    np.testing.assert_allclose(ours.predict(IDS, verbose=0), np.asarray(ref.predict(IDS, verbose=0)), atol=1e-5)
    assert ours.get_layer("emb").get_config() == ref.get_layer("emb").get_config()
    for m, lib in ((ref, keras), (ours, sk)):
        m.compile(lib.optimizers.SGD(0.5), lib.losses.SparseCategoricalCrossentropy(from_logits=True))
        m.fit(IDS, TARGETS, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


def test_eager_calls_both_ways():
    ref = keras.layers.ReversibleEmbedding(12, 4, tie_weights=False)
    ours = sk.layers.ReversibleEmbedding(12, 4, tie_weights=False)
    want = np.asarray(ref(IDS))
    ours(IDS)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    np.testing.assert_allclose(ours(IDS), want, atol=1e-6)
    hidden = RS.normal(size=(3, 5, 4)).astype("float32")
    np.testing.assert_allclose(ours(hidden, reverse=True), np.asarray(ref(hidden, reverse=True)), atol=1e-5)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_files_load_both_ways(tmp_path, suffix):
    keras.utils.set_random_seed(1)
    theirs = _lm(keras, tie_weights=False)
    want = np.asarray(theirs.predict(IDS, verbose=0))
    theirs.save(tmp_path / f"theirs{suffix}")
    loaded = sk.saving.load_model(tmp_path / f"theirs{suffix}", compile=False)
    np.testing.assert_allclose(loaded.predict(IDS, verbose=0), want, atol=1e-5)
    loaded.save(tmp_path / f"ours{suffix}")
    again = keras.saving.load_model(tmp_path / f"ours{suffix}", compile=False)
    np.testing.assert_allclose(np.asarray(again.predict(IDS, verbose=0)), want, atol=1e-5)
    weights = str(tmp_path / "w.weights.h5")
    theirs.save_weights(weights)
    ours = _lm(sk, tie_weights=False)
    ours.load_weights(weights)
    np.testing.assert_allclose(ours.predict(IDS, verbose=0), want, atol=1e-5)
