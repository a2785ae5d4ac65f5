"""Keras keeps a mask on the tensor object, and MultiHeadAttention's call sets the masks of the
objects it reads to None. A call that returns its input itself (Dropout and the noise layers at
inference, Identity, ActivityRegularization, a linear Activation, a Reshape to the same shape)
gives the same object, so clearing either tensor's mask clears both; in training the dropout
and noise layers make a new tensor, which keeps its mask. A nested model's call sets the masks
it is given on its inputs (the outer tensors themselves), then its own attention clears them;
an output of it that is one of its inputs is that object. Compared with real Keras 3 (jax):
predictions, the masks of model(x)'s outputs (training or not), `.keras` files both ways."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras, same_drawn_weights

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

TOKENS = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 0, 0], [5, 6, 7, 8, 9]], "int32")

PASS_THROUGH = {
    "Dropout": lambda L: L.Dropout(0.5),
    "GaussianNoise": lambda L: L.GaussianNoise(0.1),
    "GaussianDropout": lambda L: L.GaussianDropout(0.3),
    "AlphaDropout": lambda L: L.AlphaDropout(0.3),
    "SpatialDropout1D": lambda L: L.SpatialDropout1D(0.5),
    "Identity": lambda L: L.Identity(),
    "ActivityRegularization": lambda L: L.ActivityRegularization(),
    "linear": lambda L: L.Activation("linear"),
    "Reshape": lambda L: L.Reshape((5, 4)),
    "relu": lambda L: L.Activation("relu"),   # a new tensor: keeps its mask
}


def _pass_through(lib, attention_reads_copy):
    """For each layer of PASS_THROUGH, on an embedding of its own: the attention reads the
    embedding (or the layer's output); a Minimum run after it reads the other one, which is the
    same object where the layer returns its input. Outputs: three per layer."""
    L = lib.layers
    t = lib.Input((5,), dtype="int32", name="tokens")
    outputs = []
    for make in PASS_THROUGH.values():
        e = L.Embedding(10, 4, mask_zero=True)(t)
        d = make(L)(e)
        read, other = (d, e) if attention_reads_copy else (e, d)
        a = L.MultiHeadAttention(2, 2)(read, read)
        outputs += [L.Minimum()([other, L.Dense(4)(other)]), other, a]
    return lib.Model(t, outputs)


def _inner(lib, kind, name):
    L = lib.layers
    if kind == "sequential_dropout":
        return lib.Sequential([lib.Input((5, 4)), L.Dropout(0.3)], name=name)
    i = lib.Input((5, 4), name=f"{name}_in")
    if kind == "attention":
        return lib.Model(i, L.MultiHeadAttention(2, 2)(i, i), name=name)
    if kind == "attention_and_dense":   # the Dense runs before the attention inside
        return lib.Model(i, [L.MultiHeadAttention(2, 2)(i, i), L.Dense(4)(i)], name=name)
    return lib.Model(i, L.Dropout(0.3)(i), name=name)


def _nested_case(lib, t, case):
    L = lib.layers
    e = L.Embedding(10, 4, mask_zero=True)(t)
    if case == "inner_attention":
        y = _inner(lib, "attention", case)(e)
        return [L.Minimum()([e, L.Dense(4)(e)]), y, e]
    if case == "inner_attention_and_dense":
        y, z = _inner(lib, "attention_and_dense", case)(e)
        return [L.Minimum()([e, y]), y, z, e]
    if case in ("inner_dropout_then_attention", "inner_sequential_then_attention"):
        d = _inner(lib, "dropout" if case.startswith("inner_dropout") else "sequential_dropout", case)(e)
        a = L.MultiHeadAttention(2, 2)(d, d)
        return [L.Minimum()([e, L.Dense(4)(e)]), d, a, e]
    # the outer attention clears the embedding, then the nested call sets its given mask again
    d = _inner(lib, "dropout", case)(e)
    a = L.MultiHeadAttention(2, 2)(e, e)
    return [d, a, e]


NESTED = ["inner_attention", "inner_attention_and_dense", "inner_dropout_then_attention",
          "inner_sequential_then_attention", "outer_attention_then_inner_call"]


def _nested(lib):
    """Functional models used as layers, each case on an embedding of its own: an attention
    inside clears the masks of the outer tensors it is called on; a Dropout inside returns the
    outer tensor itself; a nested call sets the mask given to it on its input again."""
    t = lib.Input((5,), dtype="int32", name="tokens")
    return lib.Model(t, [o for case in NESTED for o in _nested_case(lib, t, case)])


def _pair(build):
    for lib in (sk, keras):
        lib.utils.set_random_seed(0)
    return same_drawn_weights(build(sk), build(keras), seed=1)


def _masks(outputs):
    masks = [keras.src.backend.get_keras_mask(o) if not isinstance(o, np.ndarray) else
             getattr(o, "_keras_mask", None) for o in outputs]
    return [None if m is None else np.asarray(m, bool).tolist() for m in masks]


def _assert_same(got, want, what):
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-5,
                                   err_msg=f"{what}: output {i}")


def _assert_same_masks(got, want, what):
    for i, (g, w) in enumerate(zip(_masks(got), _masks(want))):
        assert g == w, f"{what}: the mask of output {i}"


def _check_like_keras(ours, ref):
    want = ref.predict(TOKENS, verbose=0)
    _assert_same(ours.predict(TOKENS, verbose=0), want, "predict")
    _assert_same(ours(TOKENS), want, "model(x)")
    _assert_same_masks(ours(TOKENS), ref(TOKENS), "model(x)")
    _assert_same_masks(ours(TOKENS, training=True), ref(TOKENS, training=True), "model(x, training=True)")


@pytest.mark.parametrize("attention_reads_copy", [False, True], ids=["reads_input", "reads_output"])
def test_a_layer_returning_its_input_shares_its_mask_as_in_keras(attention_reads_copy):
    """Outputs 3 i to 3 i + 2 are PASS_THROUGH's layer i's."""
    ours, ref = _pair(lambda lib: _pass_through(lib, attention_reads_copy))
    _check_like_keras(ours, ref)
    if not attention_reads_copy:   # Dropout's output is the embedding (its mask cleared), relu's a new tensor
        names = list(PASS_THROUGH)
        masks = _masks(ref(TOKENS))
        assert masks[3 * names.index("Dropout") + 1] is None and masks[3 * names.index("relu") + 1] is not None


def test_attention_in_nested_models_as_in_keras():
    _check_like_keras(*_pair(_nested))


@pytest.mark.parametrize("build", [lambda lib: _pass_through(lib, True), _nested], ids=["pass_through", "nested"])
def test_keras_files_both_ways(build, tmp_path):
    ours, ref = _pair(build)
    want = ref.predict(TOKENS, verbose=0)
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "theirs.keras")
    _assert_same(keras.saving.load_model(tmp_path / "ours.keras").predict(TOKENS, verbose=0), want,
                 "ours.keras loaded by Keras")
    loaded = sk.saving.load_model(tmp_path / "theirs.keras")
    _assert_same(loaded.predict(TOKENS, verbose=0), want, "theirs.keras loaded by the library")
    _assert_same_masks(loaded(TOKENS), ref(TOKENS), "theirs.keras loaded by the library")


def test_a_config_recording_no_masks_runs_as_keras_builds_it():
    """A functional config whose nodes record no masks (written by hand, as from C): Keras
    records the mask of a call taking one when it builds the graph, so the GlobalAveragePooling1D
    on the embedding, run after the attention cleared the embedding's mask, still gets it.
    (bindings/c/tests/test_mha_masks.c checks the same from C.)"""
    import copy
    L = keras.layers
    keras.utils.set_random_seed(0)
    t = keras.Input((5,), dtype="int32", name="tokens")
    e = L.Embedding(10, 4, mask_zero=True)(t)
    a = L.MultiHeadAttention(2, 3)(e, e)
    pooled = L.GlobalAveragePooling1D()(e)
    config = keras.Model(t, [L.GlobalAveragePooling1D()(a), pooled, a, e]).get_config()
    config["layers"] = [dict(layer, inbound_nodes=[
        {"args": node["args"], "kwargs": {k: v for k, v in node["kwargs"].items() if k != "mask"}}
        for node in layer["inbound_nodes"]]) for layer in config["layers"] if layer["class_name"] != "NotEqual"]
    ours, ref = same_drawn_weights(sk.Model.from_config(copy.deepcopy(config)),
                                   keras.Model.from_config(copy.deepcopy(config)), seed=1)
    want = ref.predict(TOKENS, verbose=0)
    _assert_same(ours.predict(TOKENS, verbose=0), want, "predict")
    keep = (TOKENS != 0)[..., None]
    np.testing.assert_allclose(want[1], (want[3] * keep).sum(1) / keep.sum(1), rtol=1e-5, atol=1e-6)
    assert _masks(ours(TOKENS)) == _masks(ref(TOKENS))
