"""A layer called inside a Python layer's traced call is traced at the sizes the calling trace's
tensors have there, not at its own probe batches: keras.io's Swin Transformer calls its window
attention on the windows of the images (the batch times the windows of an image on one axis),
and the attention's `reshape(attn, (-1, windows, ...))` takes that axis apart again, which a
batch probed as 2 or 3 cannot. Checked against real Keras 3 from the same weights (predictions,
fit losses, summary): a window attention called by the block that cuts the windows; called twice
at different sizes in one call; a Python layer inside a Python layer inside the block; a mask the
block gives the attention, grouped as the windows are.

Source: keras-team/keras-io examples/vision/swin_transformers.py (window_partition,
window_reverse, WindowAttention's `ops.reshape(attn, (-1, nW, num_heads, size, size))`).
"""
import numpy as np
import pytest

from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE, "keras_layer_builder_layer_call")

SIDE, WINDOW, DIM = 8, 4, 8
CUTS = SIDE // WINDOW           # windows along each side
WINDOWS = CUTS * CUTS           # windows of an image
TOKENS = WINDOW * WINDOW        # tokens of a window
_CLASSES = {}


def _classes(lib):
    """(WindowAttention, WindowBlock, SwinBlock) written with `lib`'s layers and ops."""
    if lib.__name__ in _CLASSES:
        return _CLASSES[lib.__name__]
    keras, layers, ops = lib, lib.layers, lib.ops

    def partition(x):   # (B, SIDE, SIDE, DIM) -> (B * WINDOWS, TOKENS, DIM)
        x = ops.reshape(x, (-1, CUTS, WINDOW, CUTS, WINDOW, DIM))
        return ops.reshape(ops.transpose(x, (0, 1, 3, 2, 4, 5)), (-1, TOKENS, DIM))

    def reverse(x):     # the inverse of partition
        x = ops.reshape(x, (-1, CUTS, CUTS, WINDOW, WINDOW, DIM))
        return ops.reshape(ops.transpose(x, (0, 1, 3, 2, 4, 5)), (-1, SIDE, SIDE, DIM))

    class WindowAttention(keras.layers.Layer):
        """Attention within each window, with a learned bias per window of an image (the
        windows' axis grouped by image), and the `mask=` it is given grouped likewise."""

        def __init__(self, windows=WINDOWS, **kwargs):
            super().__init__(**kwargs)
            self.windows = windows
            self.qkv = layers.Dense(3 * DIM)
            self.proj = layers.Dense(DIM)

        def build(self, input_shape):
            self.window_bias = self.add_weight(shape=(self.windows, 1, 1), initializer="random_normal",
                                               name="window_bias")

        def call(self, x, mask=None):
            qkv = self.qkv(x)
            q, k, v = qkv[..., :DIM], qkv[..., DIM:2 * DIM], qkv[..., 2 * DIM:]
            n = x.shape[1]
            attn = ops.matmul(q, ops.transpose(k, (0, 2, 1))) * DIM ** -0.5
            attn = ops.reshape(attn, (-1, self.windows, n, n)) + self.window_bias
            if mask is not None:
                attn = attn + (ops.reshape(mask, (-1, self.windows, 1, n)) - 1.0) * 100.0
            attn = ops.softmax(ops.reshape(attn, (-1, n, n)), axis=-1)
            return self.proj(ops.matmul(attn, v))

        def get_config(self):
            return {**super().get_config(), "windows": self.windows}

    class WindowBlock(keras.layers.Layer):
        """Cuts the image into windows, attends within them, puts them back."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.attn = WindowAttention()

        def call(self, x):
            return reverse(self.attn(partition(x)))

    class SwinBlock(keras.layers.Layer):
        """mode "direct": the window attention, then a MultiHeadAttention, on the windows;
        "twice": the attention on the windows, then on them and their copy shifted (twice the
        windows on the axis); "nested": a WindowBlock (a Python layer holding the attention);
        "masked": the attention given a mask of the windows' tokens."""

        def __init__(self, mode="direct", **kwargs):
            super().__init__(**kwargs)
            self.mode = mode
            self.norm = layers.LayerNormalization()
            if mode == "nested":
                self.block = WindowBlock()
            else:
                self.attn = WindowAttention()
            if mode == "direct":
                self.mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
            self.dense = layers.Dense(DIM)

        def call(self, x):
            h = self.norm(x)
            if self.mode == "nested":
                return x + self.dense(self.block(h))
            w = partition(h)
            if self.mode == "masked":
                mask = ops.cast(ops.greater(ops.mean(w, axis=-1), 0.0), "float32")
                w = self.attn(w, mask=mask)
            else:
                w = self.attn(w)
            if self.mode == "direct":
                w = self.mha(w, w)
            if self.mode == "twice":
                both = self.attn(ops.concatenate([w, ops.roll(w, 1, axis=1)], axis=0))
                w = self.dense(ops.sum(ops.reshape(both, (2, -1, TOKENS, DIM)), axis=0))
            return x + reverse(w)

        def get_config(self):
            return {**super().get_config(), "mode": self.mode}

    _CLASSES[lib.__name__] = WindowAttention, WindowBlock, SwinBlock
    return _CLASSES[lib.__name__]


def _model(lib, mode):
    lib.backend.clear_session()   # the same automatic names in both
    swin_block = _classes(lib)[2]
    x = lib.Input((SIDE, SIDE, DIM), name="images")
    h = swin_block(mode, name="swin")(x)
    y = lib.layers.Dense(3, name="head")(lib.layers.GlobalAveragePooling2D(name="pool")(h))
    return lib.Model(x, y, name="swin_like")


def _data(n=6):
    rng = np.random.default_rng(5)
    return rng.normal(size=(n, SIDE, SIDE, DIM)).astype(np.float32), rng.integers(0, 3, n)


def _drawn_weights(model, seed=7):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.3, size=tuple(w.shape)).astype(np.float32) for w in model.weights]


def _fit_run(lib):
    """One library's run of the window attention block ("direct") from drawn weights: its
    predictions, fit losses and weights after the fit. Real Keras's is a fixture written by
    scripts/make_keras_reference_fixtures.py nested_trace_sizes (its compilations of the fit
    were 15 s of CPU)."""
    model = _model(lib, "direct")
    model.set_weights(_drawn_weights(model))
    x, y = _data()
    out = {"predictions": [model.predict(x, verbose=0)]}
    model.compile(lib.optimizers.SGD(0.05), lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0).history
    out["loss"] = [np.asarray(history["loss"], dtype=np.float32)]
    out["weights"] = [np.asarray(w) for w in model.get_weights()]
    return out


def _summary(model):
    lines = []
    model.summary(print_fn=lambda text, **_: lines.append(text))
    return "\n".join(lines)


# What Keras 3.15.1 prints for _model(keras, "direct").
KERAS_SUMMARY = """\
Model: "swin_like"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ images (InputLayer)             │ (None, 8, 8, 8)        │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ swin (SwinBlock)                │ (None, 8, 8, 8)        │           596 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ pool (GlobalAveragePooling2D)   │ (None, 8)              │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ head (Dense)                    │ (None, 3)              │            27 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 623 (2.43 KB)
 Trainable params: 623 (2.43 KB)
 Non-trainable params: 0 (0.00 B)
"""


@pytest.mark.parametrize("mode", ["twice", "nested", "masked"])
def test_windows_grouped_by_image_predict_as_keras(mode):
    import swiftkeras as sk
    keras = real_keras()
    ref, ours = _model(keras, mode), _model(sk, mode)
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]
    drawn = _drawn_weights(ref)
    ref.set_weights(drawn)
    ours.set_weights(drawn)
    x, _ = _data()
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    # a batch of another size runs the same graph: the grouping follows the batch
    np.testing.assert_allclose(ours.predict(x[:5], verbose=0), ref.predict(x[:5], verbose=0), rtol=1e-5, atol=1e-6)


def test_swin_window_attention_fits_as_keras():
    import swiftkeras as sk
    from conftest import keras_reference
    ours = _fit_run(sk)
    keras = keras_reference("models", "keras_nested_trace_sizes.json")
    assert sorted(ours) == sorted(keras)
    np.testing.assert_allclose(ours["predictions"][0], keras["predictions"][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours["loss"][0], keras["loss"][0], rtol=1e-5, atol=1e-6)
    assert ours["loss"][0][-1] < ours["loss"][0][0]
    assert len(ours["weights"]) == len(keras["weights"])
    for a, b in zip(ours["weights"], keras["weights"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    model = _model(sk, "direct")
    assert _summary(model) == KERAS_SUMMARY
    assert [w.path for w in model.weights] == KERAS_PATHS


# Keras's weight paths of _model(keras, "direct"): the block's own layers, the attention's
# (its own weight first), the head.
KERAS_PATHS = [
    "swin/layer_normalization/gamma", "swin/layer_normalization/beta",
    "swin/window_attention/window_bias", "swin/window_attention/dense/kernel",
    "swin/window_attention/dense/bias", "swin/window_attention/dense_1/kernel",
    "swin/window_attention/dense_1/bias", "swin/multi_head_attention/query/kernel",
    "swin/multi_head_attention/query/bias", "swin/multi_head_attention/key/kernel",
    "swin/multi_head_attention/key/bias", "swin/multi_head_attention/value/kernel",
    "swin/multi_head_attention/value/bias", "swin/multi_head_attention/attention_output/kernel",
    "swin/multi_head_attention/attention_output/bias", "head/kernel", "head/bias",
]
