"""`layers.Lambda`'s masks as Keras 3's: without `mask=` its output carries none (Keras's
`compute_mask` returns `self.mask`, None, and `supports_masking` is False), so an LSTM after a
Lambda after Embedding(mask_zero=True) runs every step; `mask=` a callable (called with the
inputs and their mask) or a constant gives the output that mask; a function with a `mask`
parameter gets the input's mask, and the node records it (`"mask"` in its kwargs). Each case
against real Keras (jax): the Lambda output's mask, the outputs of `model(x)` and `predict`, and
the weights after a 2-epoch fit from the same weights; `compute_mask` called directly."""

import json

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_call_masked")

IDS = np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0], [0, 0, 5, 6, 1]], "int32")
CONSTANT = np.array([[True, False, True, True, True]] * 3)


def doubled(x):
    return x * 2.0


def zeroed_where_masked(x, mask):
    return x * (mask[..., None] * 1.0) + 1.0   # (Keras's mask: bool; an ops product keeps it)


def shifted_mask(inputs, mask):
    return keras_ops(inputs).concatenate([mask[:, 1:], mask[:, :1]], axis=1)


def keras_ops(x):
    """The ops of the library `x` belongs to (the same function serves both)."""
    return sk.ops if type(x).__module__.startswith("swiftkeras") else keras.ops


CASES = {
    "plain": lambda lib: lib.layers.Lambda(doubled),
    "function_takes_mask": lambda lib: lib.layers.Lambda(zeroed_where_masked, output_shape=(5, 4)),
    "mask_callable": lambda lib: lib.layers.Lambda(doubled, mask=shifted_mask),
    "mask_constant": lambda lib: lib.layers.Lambda(doubled, mask=CONSTANT),
}


def _run(lib, case, sequential=False):
    """The case's Lambda between Embedding(mask_zero=True) and an LSTM: the Lambda output's mask
    from `model(x)`, the outputs, the predictions, the weights after a fit of 2 epochs."""
    lib.utils.set_random_seed(0)
    lam = CASES[case](lib)
    if sequential:
        model = lib.Sequential([lib.Input((5,), dtype="int32"), lib.layers.Embedding(7, 4, mask_zero=True),
                                lam, lib.layers.LSTM(3)])
        watched = None
    else:
        ids = lib.Input((5,), dtype="int32")
        watched = lam(lib.layers.Embedding(7, 4, mask_zero=True)(ids))
        model = lib.Model(ids, [lib.layers.LSTM(3)(watched), watched])
    rs = np.random.RandomState(1)
    model.set_weights([rs.normal(scale=0.4, size=w.shape).astype("float32") for w in model.weights])
    outputs = model(IDS)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    mask = getattr(outputs[-1], "_keras_mask", None) if watched is not None else None
    predicted = model.predict(IDS, verbose=0)
    predicted = predicted if isinstance(predicted, list) else [predicted]
    model.compile(lib.optimizers.SGD(0.1), ["mse"] * len(predicted))
    model.fit(IDS, [np.ones_like(p) for p in predicted], batch_size=3, epochs=2, verbose=0, shuffle=False)
    node_kwargs = None
    if watched is not None:
        entry = next(e for e in json.loads(model.to_json())["config"]["layers"] if e["class_name"] == "Lambda")
        node_kwargs = sorted(entry["inbound_nodes"][0]["kwargs"])
    return {"mask": None if mask is None else np.asarray(mask).astype(bool),
            "outputs": [np.asarray(o) for o in outputs], "predicted": predicted,
            "fitted": model.get_weights(), "supports_masking": lam.supports_masking,
            "node_kwargs": node_kwargs}


@pytest.mark.parametrize("sequential", [False, True], ids=["functional", "sequential"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_lambda_masks_as_keras(case, sequential):
    if sequential and case == "function_takes_mask":
        pytest.skip("(one form suffices: the functional case checks the mask it gets)")
    ours, ref = _run(sk, case, sequential), _run(keras, case, sequential)
    assert ours["supports_masking"] == ref["supports_masking"] == (case.startswith("mask_"))
    assert ours["node_kwargs"] == ref["node_kwargs"]
    if ref["mask"] is None:
        assert ours["mask"] is None
    else:
        np.testing.assert_array_equal(ours["mask"], ref["mask"])
    for name in ("outputs", "predicted", "fitted"):
        for got, want in zip(ours[name], ref[name]):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=name)


def test_lambda_compute_mask_as_keras():
    """`compute_mask` called directly: None without `mask=` (the input's mask does not pass),
    the callable's result, the constant."""
    x, given = np.zeros((3, 5, 4), "float32"), IDS != 0
    for lib in (sk, keras):
        assert lib.layers.Lambda(doubled).compute_mask(x, given) is None
        np.testing.assert_array_equal(
            np.asarray(lib.layers.Lambda(doubled, mask=shifted_mask).compute_mask(x, given)),
            np.concatenate([given[:, 1:], given[:, :1]], axis=1))
        assert lib.layers.Lambda(doubled, mask=CONSTANT).compute_mask(x, given) is CONSTANT


def test_lambda_mask_in_config_as_keras():
    """A callable `mask` is written in the layer's config as Keras writes it (the function's
    entry), beside `function`."""
    ours = sk.layers.Lambda(doubled, mask=shifted_mask).get_config()
    ref = keras.layers.Lambda(doubled, mask=shifted_mask).get_config()
    assert ours["mask"] == ref["mask"]
    assert "mask" not in sk.layers.Lambda(doubled).get_config()
