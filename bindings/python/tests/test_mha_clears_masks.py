"""Keras's MultiHeadAttention clears the masks of the tensors it is called on: its call takes
the masks its query, value and key carry and sets them to None on those tensors, so a layer
that Keras runs after it on one of the same tensors sees no mask there (a merge's masked values
and output mask, the mask a Dense passes on, a second attention's query mask), while a layer
run before it, in Keras's run order (by depth from the outputs), still sees it.
GroupQueryAttention, Attention and AdditiveAttention clear nothing. Compared with real Keras 3
(jax): predictions and output masks of functional models, `.keras` files both ways, and the
eager call on arrays."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras, same_drawn_weights

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

TOKENS = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 0, 0], [5, 6, 7, 8, 9]], "int32")
X = np.random.default_rng(0).normal(size=(3, 5, 3)).astype("float32")
X[0, 3:] = 0
X[1, :2] = 0


def _residual(lib):
    """Embedding(mask_zero) -> MultiHeadAttention residual block -> pooling: the Add after the
    attention reads the embedding without its mask."""
    L = lib.layers
    t = lib.Input((5,), dtype="int32", name="tokens")
    e = L.Embedding(10, 4, mask_zero=True)(t)
    r = L.Add()([e, L.MultiHeadAttention(2, 3)(e, e)])
    h = L.LayerNormalization()(r)
    f = L.Add()([h, L.Dense(4)(h)])
    return lib.Model(t, [L.GlobalAveragePooling1D()(f), L.Dense(2)(L.GlobalMaxPooling1D()(f)), f])


def _merges(lib, attention_listed_first, attention="mha"):
    """Minimum and Maximum over masked tensors that an attention also reads, all three outputs
    (depth 0): Keras runs the nodes of one depth in the reverse of the outputs' order, so the
    attention listed last runs before the merges and clears their inputs' masks."""
    L = lib.layers
    x, t = lib.Input((5, 3), name="x"), lib.Input((5,), dtype="int32", name="tokens")
    mx, e = L.Masking()(x), L.Embedding(10, 3, mask_zero=True)(t)
    d = L.Dense(3)(mx)
    merged = [L.Minimum()([mx, e, d]), L.Maximum()([e, d])]
    if attention == "mha":
        a = L.MultiHeadAttention(2, 2)(mx, e)
    elif attention == "gqa":
        a = L.GroupQueryAttention(2, 2, 1)(mx, e)
    else:
        a = L.Attention()([mx, e])
    return lib.Model([x, t], [a] + merged if attention_listed_first else merged + [a])


def _two_attentions(lib):
    """A second MultiHeadAttention on the same tensor: Keras's call reads the query's mask from
    the tensor (cleared by the first); Dense and Minimum after both."""
    L = lib.layers
    t = lib.Input((5,), dtype="int32", name="tokens")
    e = L.Embedding(10, 4, mask_zero=True)(t)
    a1 = L.MultiHeadAttention(2, 3)(e, e)
    a2 = L.MultiHeadAttention(1, 2)(a1, e)
    return lib.Model(t, [L.Minimum()([L.Dense(4)(e), a2]), L.Add()([a1, a2])])


def _mask_before_only(lib):
    """The mask is used before the attention only: a Minimum deeper in the graph than the
    attention reads the embedding's mask first."""
    L = lib.layers
    t = lib.Input((5,), dtype="int32", name="tokens")
    e = L.Embedding(10, 4, mask_zero=True)(t)
    m = L.Minimum()([e, L.Dense(4)(e)])
    a = L.MultiHeadAttention(2, 2)(L.Dense(4)(m), e)
    return lib.Model(t, L.GlobalAveragePooling1D()(L.Add()([a, m])))


CASES = {
    "residual": (_residual, lambda: TOKENS),
    "merges_run_after_attention": (lambda lib: _merges(lib, False), lambda: [X, TOKENS]),
    "merges_run_before_attention": (lambda lib: _merges(lib, True), lambda: [X, TOKENS]),
    "merges_after_gqa": (lambda lib: _merges(lib, False, "gqa"), lambda: [X, TOKENS]),
    "merges_after_attention_layer": (lambda lib: _merges(lib, False, "attention"), lambda: [X, TOKENS]),
    "two_attentions": (_two_attentions, lambda: TOKENS),
    "mask_before_only": (_mask_before_only, lambda: TOKENS),
}


def _pair(case):
    build, data = CASES[case]
    for lib in (sk, keras):
        lib.utils.set_random_seed(0)
    ours, ref = same_drawn_weights(build(sk), build(keras), seed=1)
    return ours, ref, data()


def _listed(outputs):
    return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


def _masks(outputs):
    out = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    masks = [keras.src.backend.get_keras_mask(o) if not isinstance(o, np.ndarray) else
             getattr(o, "_keras_mask", None) for o in out]
    return [None if m is None else np.asarray(m, bool).tolist() for m in masks]


def _assert_same(got, want, what):
    got, want = _listed(got), _listed(want)
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5, err_msg=f"{what}: output {i}")


@pytest.mark.parametrize("case", list(CASES))
def test_predictions_and_output_masks_are_kerass(case):
    ours, ref, data = _pair(case)
    want = ref.predict(data, verbose=0)
    _assert_same(ours.predict(data, verbose=0), want, "predict")
    _assert_same(ours(data), want, "model(x)")
    assert _masks(ours(data)) == _masks(ref(data))


def test_the_cleared_masks_change_the_results():
    """Two models over the same layers, their outputs listed in the two orders: Keras's Minimum
    and Maximum run after the attention differ from those run before it (the attention's output
    does not), and the library's agree with each."""
    ours, ref, data = _pair("merges_run_after_attention")
    results = {}
    for name, model in (("ours", ours), ("keras", ref)):
        lib = sk if name == "ours" else keras
        before = lib.Model(model.inputs, model.outputs[2:] + model.outputs[:2])
        results[name] = (_listed(model.predict(data, verbose=0)), _listed(before.predict(data, verbose=0)))
    after, before = results["keras"]
    np.testing.assert_allclose(after[2], before[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(after[0], before[1], atol=1e-3)
    assert not np.allclose(after[1], before[2], atol=1e-3)
    for got, want in zip(results["ours"], results["keras"]):
        _assert_same(got, want, "same layers, outputs reordered")


@pytest.mark.parametrize("case", ["residual", "merges_run_after_attention", "two_attentions", "mask_before_only"])
def test_keras_files_both_ways(case, tmp_path):
    ours, ref, data = _pair(case)
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "theirs.keras")
    for path in ("ours.keras", "theirs.keras"):
        want = keras.saving.load_model(tmp_path / path).predict(data, verbose=0)
        _assert_same(sk.saving.load_model(tmp_path / path).predict(data, verbose=0), want,
                     f"{path} loaded by the library")
    _assert_same(keras.saving.load_model(tmp_path / "ours.keras").predict(data, verbose=0),
                 ref.predict(data, verbose=0), "ours.keras loaded by Keras")


@pytest.mark.parametrize("name", ["MultiHeadAttention", "GroupQueryAttention", "Attention", "AdditiveAttention"])
def test_the_eager_call_clears_the_masks_as_kerass(name):
    seen = []
    for lib in (sk, keras):
        lib.utils.set_random_seed(0)
        x = lib.layers.Embedding(10, 4, mask_zero=True)(TOKENS)
        if name == "MultiHeadAttention":
            lib.layers.MultiHeadAttention(2, 2)(x, x)
        elif name == "GroupQueryAttention":
            lib.layers.GroupQueryAttention(2, 2, 1)(x, x)
        else:
            getattr(lib.layers, name)()([x, x])
        seen.append(_masks(x))
    assert seen[0] == seen[1]
    assert (seen[1] == [None]) == (name == "MultiHeadAttention")


def _given_masks(lib, keywords, mask_zero):
    """`mha(e, e, value_mask=m)` (and `query_mask=`, `key=e, key_mask=`) in a functional model:
    Keras records the masks in the node's kwargs and passes value's and key's as given (the
    tensors' own masks are not read); the query's is its tensor's own, whatever is given. The
    mask is a model input, or made in the graph (`ops.not_equal`)."""
    t = lib.Input((5,), dtype="int32", name="tokens")
    m = lib.Input((5,), dtype="bool", name="m")
    e = lib.layers.Embedding(10, 4, mask_zero=mask_zero)(t)
    made = lib.ops.not_equal(t, 3)
    given = {"m": m, "made": made, "e": e}
    mha = lib.layers.MultiHeadAttention(2, 2)
    return lib.Model([t, m], mha(e, e, **{k: given[v] for k, v in keywords.items()}))


GIVEN = {   # the keywords, and whether the embedding masks its zeros
    "value_mask": ({"value_mask": "m"}, False),
    "value_mask_over_the_tensors_own": ({"value_mask": "m"}, True),
    "query_and_value_mask": ({"query_mask": "m", "value_mask": "m"}, True),
    "key_and_key_mask": ({"key": "e", "key_mask": "m"}, True),
    "value_mask_made_in_graph": ({"value_mask": "made"}, True),
}


@pytest.mark.parametrize("case", list(GIVEN))
def test_attention_masks_given_by_keyword_are_read_as_given(case, tmp_path):
    keywords, mask_zero = GIVEN[case]
    for lib in (sk, keras):
        lib.utils.set_random_seed(0)
    ours, ref = same_drawn_weights(_given_masks(sk, keywords, mask_zero),
                                   _given_masks(keras, keywords, mask_zero), seed=1)
    data = [TOKENS, np.array([[1, 1, 0, 0, 0], [1, 0, 1, 0, 1], [1, 1, 1, 1, 1]], bool)]
    want = ref.predict(data, verbose=0)
    if case != "value_mask_made_in_graph":
        unmasked = ref.predict([data[0], np.ones_like(data[1])], verbose=0)
        assert not np.allclose(want, unmasked, atol=1e-3)
    _assert_same(ours.predict(data, verbose=0), want, "built by the library")
    ours.save(tmp_path / "ours.keras")
    _assert_same(keras.saving.load_model(tmp_path / "ours.keras").predict(data, verbose=0), want,
                 "the library's file loaded by Keras")
    ref.save(tmp_path / "theirs.keras")
    loaded = sk.saving.load_model(tmp_path / "theirs.keras")
    _assert_same(loaded.predict(data, verbose=0), want, "Keras's file loaded by the library")
    loaded.save(tmp_path / "again.keras")
    _assert_same(keras.saving.load_model(tmp_path / "again.keras").predict(data, verbose=0), want,
                 "written back by the library, loaded by Keras")
