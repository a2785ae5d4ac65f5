"""The attention layers from Python: the classes exist with Keras's arguments, and
`MultiHeadAttention(num_heads=2, key_dim=4)(x, x)` builds, trains, saves and reloads in a
functional model, with the forward pass real Keras gives for the same weights."""

import os
import tempfile

import numpy as np

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import layers

pytestmark = needs(*CORE, "keras_model_fit_arrays", "keras_model_predict_arrays")


def test_attention_classes_exist():
    for name in ("MultiHeadAttention", "Attention", "AdditiveAttention", "EinsumDense"):
        assert hasattr(layers, name), name
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4)
    assert mha.get_config()["num_heads"] == 2


def model():
    x = keras.Input((5, 6), name="tokens")
    h = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)
    h = layers.GlobalAveragePooling1D()(h)
    y = layers.Dense(1, name="head")(h)
    m = keras.Model(x, y)
    m.compile(optimizer="adam", loss="mse")
    return m


def test_self_attention_model_trains_saves_and_reloads():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(16, 5, 6)).astype(np.float32)
    y = x[:, :, 0].mean(axis=1, keepdims=True).astype(np.float32)
    m = model()
    h = m.fit(x, y, epochs=15, batch_size=4, verbose=0)
    assert h.history["loss"][-1] < h.history["loss"][0]
    want = m.predict(x, verbose=0)
    assert want.shape == (16, 1)
    with tempfile.TemporaryDirectory() as d:
        for ext in ("keras", "h5"):
            path = os.path.join(d, f"m.{ext}")
            m.save(path)
            np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), want, atol=1e-5)


def test_causal_keyword_reaches_the_layer():
    x = keras.Input((4, 3))
    out = layers.MultiHeadAttention(num_heads=1, key_dim=2, name="mha")(x, x, use_causal_mask=True)
    m = keras.Model(x, out)
    data = np.random.default_rng(1).normal(size=(2, 4, 3)).astype(np.float32)
    first = m.predict(data, verbose=0)
    changed = data.copy()
    changed[:, 3] += 5.0  # only the last step changes: earlier outputs must not see it
    second = m.predict(changed, verbose=0)
    np.testing.assert_allclose(first[:, :3], second[:, :3], atol=1e-5)
    assert not np.allclose(first[:, 3], second[:, 3])
