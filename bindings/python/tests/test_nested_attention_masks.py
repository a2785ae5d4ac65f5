"""Masks through attention layers in nested models, as Keras 3's: a functional model nested in a
functional model, a Sequential nested in one, two levels of nesting, a nested block used twice,
with MultiHeadAttention, Attention or AdditiveAttention inside or after them and the masks of an
Embedding(mask_zero=True) or a Masking layer. Keras passes a nested model's output masks on (an
LSTM or GlobalAveragePooling1D after it skips the padded steps), gives an attention the masks of
its query and value, and MultiHeadAttention's call clears the masks of the tensors it reads (an
outer tensor too, when it runs inside a nested model; a nested model or a layer read after it
gets the mask its node recorded, or none). Each case on a padded batch: the masks the outer
model's outputs carry in `model(x)`, its outputs and predictions (to 1e-5), and the weights after
a fit of 2 epochs from the same initial weights (to 1e-5), against Keras's numbers written by
scripts/make_keras_reference_fixtures.py nested_attention_masks (Keras's fits compile one XLA
program per model)."""

import numpy as np
import pytest

from conftest import CORE, keras_reference, needs

import swiftkeras as sk

pytestmark = needs(*CORE, "keras_model_call_masked")

IDS = np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0], [0, 0, 5, 6, 1]], "int32")
IDS_LONGER = np.array([[1, 2, 0, 0, 0, 0], [4, 5, 6, 1, 0, 0], [0, 3, 5, 6, 1, 2]], "int32")
PADDED = np.linspace(-1, 1, 60, dtype="float32").reshape(3, 5, 4)
PADDED[0, 3:] = 0
PADDED[1, 1:] = 0
PADDED[2, :2] = 0


def _attention(lib, kind, query, value, **kwargs):
    layers = lib.layers
    if kind == "mha":
        return layers.MultiHeadAttention(2, 3)(query, value, **kwargs)
    layer = layers.Attention() if kind == "attention" else layers.AdditiveAttention()
    return layer([query, value], **kwargs)


def _embedded(lib, length=5):
    ids = lib.Input((length,), dtype="int32")
    return ids, lib.layers.Embedding(7, 4, mask_zero=True)(ids)


def _heads(lib, z, *others):
    """An LSTM and a GlobalAveragePooling1D on `z` (both skip masked steps), and `others`."""
    return [lib.layers.LSTM(3)(z), lib.layers.GlobalAveragePooling1D()(z), *others]


def _embedding_inside(lib, kind):
    """Embedding and attention inside the nested model; the heads after it outside."""
    ids, h = _embedded(lib)
    inner = lib.Model(ids, _attention(lib, kind, h, h), name="inner")
    outer = lib.Input((5,), dtype="int32")
    z = inner(outer)
    return lib.Model(outer, _heads(lib, z, z)), IDS


def _masking_outside(lib, kind):
    """Masking outside; a Dense and attention inside the nested model."""
    x = lib.Input((5, 4))
    d = lib.layers.Dense(4)(x)
    inner = lib.Model(x, _attention(lib, kind, d, d), name="inner")
    outer = lib.Input((5, 4))
    return lib.Model(outer, _heads(lib, inner(lib.layers.Masking(0.0)(outer)))), PADDED


def _sequential_then_attention(lib, kind):
    """A Sequential (Embedding, Dense) nested; the attention after it, outside."""
    seq = lib.Sequential([lib.Input((5,), dtype="int32"), lib.layers.Embedding(7, 4, mask_zero=True),
                          lib.layers.Dense(4)], name="seq")
    ids = lib.Input((5,), dtype="int32")
    h = seq(ids)
    return lib.Model(ids, _heads(lib, _attention(lib, kind, h, h), lib.layers.LSTM(3)(h))), IDS


def _cross_attention(lib, kind):
    """Two masked inputs (different lengths) into a nested model's attention; the value
    re-read outside after it."""
    q, v = lib.Input((5, 4)), lib.Input((6, 4))
    inner = lib.Model([q, v], _attention(lib, kind, q, v), name="inner")
    (a, ea), (b, eb) = _embedded(lib), _embedded(lib, 6)
    z = inner([ea, eb])
    return lib.Model([a, b], _heads(lib, z, lib.layers.LSTM(3)(eb))), [IDS, IDS_LONGER]


def _two_levels(lib, kind):
    """Masking and attention two models down; a Dense between."""
    x = lib.Input((5, 4))
    m = lib.layers.Masking(0.0)(x)
    innermost = lib.Model(x, _attention(lib, kind, m, m), name="innermost")
    y = lib.Input((5, 4))
    mid = lib.Model(y, lib.layers.Dense(4)(innermost(y)), name="mid")
    outer = lib.Input((5, 4))
    return lib.Model(outer, _heads(lib, mid(outer))), PADDED


def _sequential_inside(lib, kind):
    """A Sequential holding the Embedding, nested in the model holding the attention, nested in
    the outer model."""
    seq = lib.Sequential([lib.Input((5,), dtype="int32"), lib.layers.Embedding(7, 4, mask_zero=True)], name="seq")
    ids = lib.Input((5,), dtype="int32")
    h = seq(ids)
    inner = lib.Model(ids, _attention(lib, kind, h, h), name="inner")
    outer = lib.Input((5,), dtype="int32")
    return lib.Model(outer, _heads(lib, inner(outer))), IDS


def _cleared_outside(lib, kind):
    """The nested model's MultiHeadAttention clears the mask of the outer tensor it is called
    on: an LSTM on that tensor after it, an Add of it, and the tensor itself as an output."""
    x = lib.Input((5, 4))
    inner = lib.Model(x, _attention(lib, kind, x, x), name="inner")
    ids, h = _embedded(lib)
    z = inner(h)
    return lib.Model(ids, [lib.layers.LSTM(3)(z), lib.layers.LSTM(3)(h), lib.layers.Add()([h, z]), h]), IDS


def _block(lib, kind, name, causal=False):
    x = lib.Input((5, 4))
    a = _attention(lib, kind, x, x, use_causal_mask=causal)
    h = lib.layers.LayerNormalization()(lib.layers.Add()([x, lib.layers.Dropout(0.0)(a)]))
    f = lib.layers.Dense(4)(lib.layers.Dense(6, activation="relu")(h))
    return lib.Model(x, lib.layers.LayerNormalization()(lib.layers.Add()([h, f])), name=name)


def _two_blocks(lib, kind):
    """Two transformer blocks (attention, residual, LayerNormalization, feed-forward), each a
    nested model."""
    ids, h = _embedded(lib)
    return lib.Model(ids, _heads(lib, _block(lib, kind, "b2")(_block(lib, kind, "b1")(h)))), IDS


def _shared_block(lib, kind):
    """One nested block called twice."""
    block = _block(lib, kind, "block")
    ids, h = _embedded(lib)
    return lib.Model(ids, _heads(lib, block(block(h)))), IDS


def _causal_block(lib, kind):
    """A causal block; the embedding re-read after it."""
    ids, h = _embedded(lib)
    z = _block(lib, kind, "block", causal=True)(h)
    return lib.Model(ids, _heads(lib, z, lib.layers.LSTM(3)(h))), IDS


def _nested_after_cleared(lib, kind):
    """A nested model's attention clears the embedding's mask; a second nested model (an LSTM)
    and a nested Sequential read the embedding after it."""
    x = lib.Input((5, 4))
    first = lib.Model(x, _attention(lib, kind, x, x), name="first")
    y = lib.Input((5, 4))
    second = lib.Model(y, lib.layers.LSTM(3)(y), name="second")
    seq = lib.Sequential([lib.Input((5, 4)), lib.layers.Dense(4), lib.layers.LSTM(3)], name="seq")
    ids, h = _embedded(lib)
    a = first(h)
    return lib.Model(ids, [lib.layers.Dense(2)(second(h)), seq(h), lib.layers.LSTM(3)(a)]), IDS


BUILDS = {"embedding_inside": _embedding_inside, "masking_outside": _masking_outside,
          "sequential_then_attention": _sequential_then_attention, "cross_attention": _cross_attention,
          "two_levels": _two_levels, "sequential_inside": _sequential_inside,
          "cleared_outside": _cleared_outside, "two_blocks": _two_blocks, "shared_block": _shared_block,
          "causal_block": _causal_block, "nested_after_cleared": _nested_after_cleared}
# Every attention where the masks go through it; MultiHeadAttention alone where the case is
# about its clearing or its block.
KINDS = {name: ("mha", "attention", "additive") for name in
         ("embedding_inside", "masking_outside", "sequential_then_attention", "cross_attention")}
CASES = [f"{name}-{kind}" for name in BUILDS for kind in KINDS.get(name, ("mha",))]
NO_MASK = np.zeros((0,), bool)   # (a fixture's stand-in for an output without a mask)


def _run(lib, case):
    """The case's model on its padded batch, from weights drawn by numpy: the masks of
    `model(x)`'s outputs, its outputs, its predictions, its weights after a 2-epoch fit."""
    name, kind = case.split("-")
    lib.utils.set_random_seed(0)
    model, x = BUILDS[name](lib, kind)
    rs = np.random.RandomState(1)
    model.set_weights([rs.normal(scale=0.4, size=w.shape).astype("float32") for w in model.weights])
    outputs = model(x)
    masks = [getattr(o, "_keras_mask", None) for o in outputs]
    predicted = model.predict(x, verbose=0)
    model.compile(lib.optimizers.SGD(0.1), ["mse"] * len(predicted))
    model.fit(x, [np.ones_like(p) for p in predicted], batch_size=3, epochs=2, verbose=0, shuffle=False)
    return {"masks": [NO_MASK if m is None else np.asarray(m).astype(bool) for m in masks],
            "outputs": [np.asarray(o, np.float32) for o in outputs], "predicted": list(predicted),
            "fitted": model.get_weights()}


@pytest.fixture(scope="module")
def reference():
    return keras_reference("models", "keras_nested_attention_masks.json")


@pytest.mark.parametrize("case", CASES)
def test_nested_attention_masks_as_keras(case, reference):
    ours, ref = _run(sk, case), reference[case]
    assert [m.shape for m in ours["masks"]] == [m.shape for m in ref["masks"]]
    for got, want in zip(ours["masks"], ref["masks"]):
        np.testing.assert_array_equal(got, want)
    for name in ("outputs", "predicted", "fitted"):
        assert len(ours[name]) == len(ref[name])
        for got, want in zip(ours[name], ref[name]):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=name)
