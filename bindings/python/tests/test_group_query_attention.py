"""Keras 3's GroupQueryAttention (class GroupedQueryAttention) against real Keras: given Keras's
weights the same outputs and scores (1e-5) for self- and cross-attention, with a key, a causal
mask, a gate, a sliding window and the inputs' Keras masks; Keras's config and weight names;
`.keras`, `.h5` and `.weights.h5` files load both ways; a short fit reaches Keras's weights."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

RS = np.random.RandomState(3)
Q = RS.normal(size=(2, 5, 6)).astype("float32")
V = RS.normal(size=(2, 4, 6)).astype("float32")
K = RS.normal(size=(2, 4, 3)).astype("float32")


def _self_model(lib, **options):
    x = lib.Input((5, 6))
    y = lib.layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2,
                                       name="gqa", **options)(x, x)
    return lib.Model(x, lib.layers.Dense(2, name="head")(y))


def _copy(ref, ours):
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])


def test_the_class_is_kerass():
    layer = sk.layers.GroupQueryAttention(3, 4, 2)
    assert layer.name.startswith("grouped_query_attention")   # Keras's class is GroupedQueryAttention
    assert sk.layers.GroupedQueryAttention is sk.layers.GroupQueryAttention
    x = sk.Input((5, 6))
    with pytest.raises(Exception, match="num_query_heads.*divisible"):
        sk.Model(x, sk.layers.GroupQueryAttention(3, 4, 3)(x, x)).predict(Q, verbose=0)


@pytest.mark.parametrize("options", [{}, {"use_gate": True}, {"use_bias": False}, {"sliding_window": 2}])
def test_self_attention_matches_keras(options):
    keras.utils.set_random_seed(1)
    ref = _self_model(keras, **options)
    ours = _self_model(sk, **options)
    _copy(ref, ours)
    np.testing.assert_allclose(ours.predict(Q, verbose=0), np.asarray(ref.predict(Q, verbose=0)), atol=1e-5)
    want = ref.get_layer("gqa").get_config()
    got = ours.get_layer("gqa").get_config()
    assert got == want
    assert [w.path for w in ours.get_layer("gqa").weights] == [w.path for w in ref.get_layer("gqa").weights]


def _cross_model(lib):
    q, v, k = lib.Input((5, 6)), lib.Input((4, 6)), lib.Input((4, 3))
    layer = lib.layers.GroupQueryAttention(head_dim=2, num_query_heads=6, num_key_value_heads=3, name="gqa")
    y, scores = layer(q, v, key=k, use_causal_mask=True, return_attention_scores=True)
    return lib.Model([q, v, k], [y, scores])


def test_cross_attention_with_key_causal_mask_and_scores_matches_keras():
    keras.utils.set_random_seed(2)
    ref, ours = _cross_model(keras), _cross_model(sk)
    _copy(ref, ours)
    got, want = ours.predict([Q, V, K], verbose=0), ref.predict([Q, V, K], verbose=0)
    assert got[1].shape == (2, 6, 5, 4)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


def _masked_model(lib):
    tokens = lib.Input((5,), dtype="int32")
    x = lib.layers.Embedding(10, 6, mask_zero=True, name="emb")(tokens)
    y = lib.layers.GroupQueryAttention(3, 2, 1, name="gqa")(x, x)
    return lib.Model(tokens, lib.layers.GlobalAveragePooling1D()(y))


def test_input_masks_mask_the_scores_as_in_keras():
    ids = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 4, 5]], "int32")
    keras.utils.set_random_seed(3)
    ref, ours = _masked_model(keras), _masked_model(sk)
    _copy(ref, ours)
    np.testing.assert_allclose(ours.predict(ids, verbose=0), np.asarray(ref.predict(ids, verbose=0)), atol=1e-5)


def test_fit_matches_keras():
    y = RS.normal(size=(2, 5, 2)).astype("float32")
    x = np.concatenate([Q, Q[::-1]])
    y = np.concatenate([y, y[::-1]])
    keras.utils.set_random_seed(4)
    ref, ours = _self_model(keras, use_gate=True), _self_model(sk, use_gate=True)
    _copy(ref, ours)
    for m, lib in ((ref, keras), (ours, sk)):
        m.compile(lib.optimizers.SGD(0.1), "mse")   # (Adam would magnify the key bias's zero gradient's noise)
        m.fit(x, y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_files_load_both_ways(tmp_path, suffix):
    keras.utils.set_random_seed(5)
    theirs = _self_model(keras)
    want = np.asarray(theirs.predict(Q, verbose=0))
    theirs.save(tmp_path / f"theirs{suffix}")
    loaded = sk.saving.load_model(tmp_path / f"theirs{suffix}", compile=False)
    np.testing.assert_allclose(loaded.predict(Q, verbose=0), want, atol=1e-5)
    loaded.save(tmp_path / f"ours{suffix}")
    again = keras.saving.load_model(tmp_path / f"ours{suffix}", compile=False)
    assert isinstance(again.get_layer("gqa"), keras.layers.GroupQueryAttention)
    np.testing.assert_allclose(np.asarray(again.predict(Q, verbose=0)), want, atol=1e-5)
    weights = str(tmp_path / "w.weights.h5")
    theirs.save_weights(weights)
    ours = _self_model(sk)
    ours.load_weights(weights)
    np.testing.assert_allclose(ours.predict(Q, verbose=0), want, atol=1e-5)
