"""load_model after set_random_seed gives the loaded model's generators Keras's seeds: Keras's
deserialization builds each layer from its build_config as soon as it is made, so a
MultiHeadAttention's build (its Dropout's generator) takes its seed before the next layer's
constructor takes its own. A functional model saved by real Keras (MultiHeadAttention with
dropout, then a Dropout layer), loaded and fit by both after the same seed, ends at Keras's
weights (the dropout masks drawn with those seeds)."""

import numpy as np

from conftest import CORE, needs, real_keras

import swiftkeras

pytestmark = needs(*CORE, "keras_model_set_seed_generator")


def _loaded_and_fit(lib, path, x, y):
    lib.utils.set_random_seed(11)
    model = lib.saving.load_model(path, compile=False)
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model.get_weights()


def test_loaded_functional_model_takes_kerass_generator_seeds(tmp_path):
    keras = real_keras()
    rows = np.random.RandomState(3)
    x, y = rows.rand(8, 4, 3).astype("float32"), rows.rand(8, 4, 2).astype("float32")
    inputs = keras.Input((4, 3))
    hidden = keras.layers.MultiHeadAttention(2, 2, dropout=0.5)(inputs, inputs)
    outputs = keras.layers.Dense(2)(keras.layers.Dropout(0.5)(hidden))
    path = str(tmp_path / "attention.keras")
    keras.Model(inputs, outputs).save(path)
    ref = _loaded_and_fit(keras, path, x, y)
    ours = _loaded_and_fit(swiftkeras, path, x, y)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
