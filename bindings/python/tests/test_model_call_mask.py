"""Keras's `model(x, mask=m)` against real Keras 3 (JAX): the mask goes into the graph with the
input, so an LSTM skips the masked steps, a layer that passes masks on gives the output Keras's
`_keras_mask`, and a layer written in Python gets the mask in its call; a mask that does not fit
the input, or one mask too many, is refused with a message that names it. (The symbolic
call, `inner(x, mask=t)` in a model's construction: test_nested_model_call_mask.py.)"""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras
from layer_probes import mask_marker

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_call_with_masks")

X = np.linspace(-1, 1, 16, dtype="float32").reshape(2, 4, 2)
MASK = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
PROBES = {lib: mask_marker(lib, "CallMaskProbe") for lib in (sk, keras)}


def _weights(model):
    model.set_weights([np.linspace(-0.5, 0.5, w.size, dtype="float32").reshape(w.shape)
                       for w in model.get_weights()])
    return model


def _models(lib):
    x = lib.Input((4, 2))
    return {
        "lstm": _weights(lib.Model(x, lib.layers.LSTM(3)(x))),
        "gru_sequences": _weights(lib.Sequential([lib.Input((4, 2)),
                                                  lib.layers.GRU(2, return_sequences=True)])),
        "python_layer": lib.Sequential([lib.Input((4, 2)), PROBES[lib]()]),
    }


@pytest.mark.parametrize("case", ["lstm", "gru_sequences", "python_layer"])
def test_model_called_with_a_mask_is_keras(case):
    ours, ref = _models(sk)[case], _models(keras)[case]
    for mask in (MASK, None):
        got, want = ours(X, mask=mask), ref(X, mask=mask)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
        want_mask = getattr(want, "_keras_mask", None)
        got_mask = getattr(got, "_keras_mask", None)
        assert (got_mask is None) == (want_mask is None)
        if want_mask is not None:
            np.testing.assert_array_equal(np.asarray(got_mask), np.asarray(want_mask))
    # (the mask changes the result: the cases tell it apart)
    assert not np.allclose(np.asarray(ref(X, mask=MASK)), np.asarray(ref(X)))


def test_bad_masks_are_refused():
    model = _models(sk)["lstm"]
    with pytest.raises(ValueError, match="does not fit"):
        model(X, mask=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match="mask"):
        model(X, mask=[MASK, MASK])
    np.testing.assert_allclose(np.asarray(model(X, mask=MASK)),
                               np.asarray(_models(keras)["lstm"](X, mask=MASK)), rtol=1e-5, atol=1e-6)
