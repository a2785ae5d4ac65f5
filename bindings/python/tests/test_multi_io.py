"""fit / evaluate / predict with several inputs and outputs, sample weights and validation
arrays (keras_model_*_arrays), against the numbers real Keras 3.15 (JAX) gives for the same
model, data and weights (the script that made them is in the docstring of `reference`)."""

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import layers

pytestmark = needs(*CORE, "keras_model_fit_arrays", "keras_model_evaluate_arrays",
                   "keras_model_predict_arrays", "keras_model_io_shape")


def reference():
    """Made with KERAS_BACKEND=jax and `import keras` instead of swiftkeras, same code."""
    return {
        "loss": [17.2441254, 7.9035416, 6.4378381],
        "o1_loss": [11.546298, 4.9208355, 4.4895635],
        "o2_loss": [5.6978259, 2.9827061, 1.948275],
        "val_loss": [12.3360348, 8.9062901, 7.7946219],
        "val_o1_loss": [8.285655, 6.7820058, 6.5027723],
        "val_o2_loss": [4.0503798, 2.1242847, 1.2918497],
        "evaluate": [5.673234462738037, 4.08803129196167, 1.5852028131484985],
        "predict": [[[-0.023524001240730286], [0.6115856170654297]],
                    [[0.4600469768047333, 0.530920684337616], [1.6942567825317383, 1.5419704914093018]]],
    }


def data():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(12, 3)).astype(np.float32)
    b = rng.normal(size=(12, 2)).astype(np.float32)
    y1 = (a.sum(1, keepdims=True) - b[:, :1]).astype(np.float32)
    y2 = (a[:, :2] * 0.5 + b).astype(np.float32)
    return a, b, y1, y2


def two_by_two():
    ia, ib = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    h = layers.Concatenate()([ia, ib])
    h = layers.Dense(4, activation="tanh", kernel_initializer="ones", name="hidden")(h)
    o1 = layers.Dense(1, kernel_initializer="ones", name="o1")(h)
    o2 = layers.Dense(2, kernel_initializer="ones", name="o2")(h)
    model = keras.Model([ia, ib], [o1, o2])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=["mse", "mse"])
    return model


def test_two_inputs_two_outputs_sample_weights_and_validation_match_keras():
    a, b, y1, y2 = data()
    sw = np.linspace(0.5, 2.0, 12).astype(np.float32)
    ref = reference()
    model = two_by_two()
    h = model.fit([a, b], [y1, y2], sample_weight=sw,
                  validation_data=([a[:4] * 0.5, b[:4] * 2.0], [y1[:4], y2[:4]]),
                  epochs=3, batch_size=4, shuffle=False, verbose=0)
    for key in ("loss", "o1_loss", "o2_loss", "val_loss", "val_o1_loss", "val_o2_loss"):
        np.testing.assert_allclose(h.history[key], ref[key], rtol=2e-5, err_msg=key)
    np.testing.assert_allclose(model.evaluate([a, b], [y1, y2], sample_weight=sw, verbose=0),
                               ref["evaluate"], rtol=2e-5)
    out = model.predict({"a": a[:2], "b": b[:2]}, verbose=0)
    assert isinstance(out, list) and [o.shape for o in out] == [(2, 1), (2, 2)]
    for got, want in zip(out, ref["predict"]):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_sample_weight_on_a_sequential_model_weights_the_loss():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 3)).astype(np.float32)
    y = rng.normal(size=(20, 1)).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    per_sample = ((model.predict(x, verbose=0) - y) ** 2).ravel()
    weights = np.arange(20, dtype=np.float32)
    loss = model.evaluate(x, y, sample_weight=weights, batch_size=20, verbose=0)
    np.testing.assert_allclose(loss, (per_sample * weights).sum() / 20, rtol=1e-5)


def test_bad_multi_io_input_is_a_python_error():
    a, b, y1, y2 = data()
    model = two_by_two()
    with pytest.raises(ValueError, match="2 inputs"):
        model.fit(a, [y1, y2], verbose=0)
    with pytest.raises(ValueError, match="cardinality"):
        model.fit([a, b[:5]], [y1, y2], verbose=0)
    with pytest.raises(ValueError, match="do not match the model's inputs"):
        model.predict({"a": a, "c": b}, verbose=0)
    with pytest.raises(ValueError, match="sample_weight must have shape"):
        model.fit([a, b], [y1, y2], sample_weight=np.ones(5), verbose=0)
    bad = a.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="(?i)nan"):
        model.fit([bad, b], [y1, y2], verbose=0)
    assert model.predict([a, b], verbose=0)[0].shape == (12, 1)


def test_validation_sample_weights_match_keras():
    a, _, y1, _ = data()
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    h = model.fit(a, y1, validation_data=(a[:4], y1[:4], np.array([0.0, 1.0, 2.0, 3.0])),
                  epochs=2, batch_size=6, shuffle=False, verbose=0)
    # Keras 3.15 (JAX), same code.
    np.testing.assert_allclose(h.history["loss"], [1.1431326866149902, 1.0978246927261353],
                               rtol=2e-5)
    np.testing.assert_allclose(h.history["val_loss"], [2.013381242752075, 1.8118613958358765],
                               rtol=2e-5)
