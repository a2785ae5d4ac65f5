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

pytestmark = needs(*CORE, "keras_layer_builder_mask", "keras_layer_builder_output_masks")

MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0]], bool)
TOKENS = np.array([[3, 1, 4, 0, 0], [1, 5, 0, 0, 0]])


def libraries():
    import swiftkeras
    return swiftkeras, real_keras()


def probe_layer(lib, seen, name="MaskProbe"):
    """A layer whose call records whether it got a mask and uses it when it does."""
    ops = lib.ops

    class MaskProbe(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs, mask=None):
            seen.append(mask is None)
            if mask is None:
                return inputs * self.scale
            return inputs * self.scale * ops.expand_dims(ops.cast(mask, "float32"), -1)

    MaskProbe.__name__ = MaskProbe.__qualname__ = name
    return lib.saving.register_keras_serializable(package="masks")(MaskProbe)


def set_same_weights(ours, ref, seed=0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=np.shape(w)).astype("float32") * 0.5 for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)


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
