"""swiftkeras.ops: eager on numpy, and traced once into the library's op graph when a layer
written in Python composes them in `call` (training then runs natively, no Python per step).
The same layer source trains to the same weights as in real Keras 3 (jax backend, in the same
process, as the other files' references: a fresh interpreter importing jax and Keras cost ~4 s
of CPU more)."""

import gc
import sys
import textwrap

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

import swiftkeras as keras
from swiftkeras import ops

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

# One source for both libraries: `keras` and `ops` are whichever the caller imported.
LAYERS = textwrap.dedent('''
    class OpsDense(keras.layers.Layer):
        def __init__(self, units, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units, self.activation = units, activation

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform", name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, inputs):
            y = ops.add(ops.matmul(inputs, self.kernel), self.bias)
            return ops.nn.relu(y) if self.activation == "relu" else y

        def get_config(self):
            return dict(super().get_config(), units=self.units, activation=self.activation)


    class Residual(keras.layers.Layer):
        """x + W2 gelu(W1 x + b1) * scale, then a layer-wise mean subtraction."""

        def build(self, input_shape):
            d = input_shape[-1]
            self.w1 = self.add_weight(shape=(d, 2 * d), initializer="glorot_uniform", name="w1")
            self.b1 = self.add_weight(shape=(2 * d,), initializer="zeros", name="b1")
            self.w2 = self.add_weight(shape=(2 * d, d), initializer="glorot_uniform", name="w2")
            self.scale = self.add_weight(shape=(d,), initializer="ones", name="scale")

        def call(self, x):
            h = ops.gelu(x @ self.w1 + self.b1)
            h = ops.tanh(ops.matmul(h, self.w2)) * self.scale
            y = x + h
            return y - ops.mean(y, axis=-1, keepdims=True) + 0.5 * ops.sigmoid(y)
''')


def _model(keras, ops):
    scope = {"keras": keras, "ops": ops}
    exec(LAYERS, scope)  # noqa: S102 — the test's own source
    model = keras.Sequential([keras.Input(shape=(4,)), scope["OpsDense"](8, activation="relu"),
                              scope["Residual"](), scope["OpsDense"](2)])
    return model, scope


def _data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(48, 4)).astype(np.float32)
    y = np.stack([np.sin(x[:, 0]) + x[:, 1], x[:, 2] * x[:, 3]], 1).astype(np.float32)
    weights = None
    return x, y, weights


def _initial(model):
    rng = np.random.default_rng(7)
    return [rng.normal(scale=0.4, size=w.shape).astype(np.float32) for w in model.get_weights()]


def _train(keras, ops):
    x, y, _ = _data()
    model, _ = _model(keras, ops)
    model.set_weights(_initial(model))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    return model, history.history["loss"]


def test_layers_written_with_ops_train_to_keras_weights():
    model, loss = _train(keras, ops)
    real = real_keras()
    ref, ref_loss = _train(real, real.ops)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5, atol=1e-6)
    for got, want in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, np.asarray(want, np.float32), atol=1e-5)


def test_traced_layers_enter_no_python_during_training():
    x, y, _ = _data()
    model, scope = _model(keras, ops)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)   # built and traced here

    calls = {"call": 0}
    for layer in model.layers:
        original = layer.call

        def counting(*args, _original=original, **kwargs):
            calls["call"] += 1
            return _original(*args, **kwargs)
        layer.call = counting

    def count_frames(epochs):
        seen = []

        def profile(frame, event, arg):
            if event == "call":
                seen.append(frame.f_code.co_name)
        # No garbage collection while counting: a collection runs gc.callbacks (jax, when an
        # earlier test imported it, registers one), Python frames unrelated to fit.
        gc.disable()
        sys.setprofile(profile)
        try:
            model.fit(x, y, epochs=epochs, batch_size=8, verbose=0)
        finally:
            sys.setprofile(None)
            gc.enable()
        return seen

    one, five = count_frames(1), count_frames(5)
    # 6 steps per epoch: the Python frames of fit do not grow with the number of steps.
    assert len(five) == len(one), sorted(set(five) - set(one))
    assert calls["call"] == 0
    assert not any(name in ("forward", "backward", "call", "counting") for name in five)


def test_traced_layer_predicts_saves_and_loads(tmp_path):
    x, y, _ = _data()
    model, scope = _model(keras, ops)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    before = model.predict(x, verbose=0)
    path = str(tmp_path / "ops_layers.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"OpsDense": scope["OpsDense"],
                                                           "Residual": scope["Residual"]})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, atol=1e-6)
    # The first layer computes exactly relu(x @ kernel + bias).
    kernel, bias = model.layers[0].get_weights()
    single = keras.Sequential([keras.Input(shape=(4,)), scope["OpsDense"](8, activation="relu")])
    single.set_weights([kernel, bias])
    np.testing.assert_allclose(single.predict(x, verbose=0), np.maximum(x @ kernel + bias, 0),
                               rtol=1e-5, atol=1e-6)


class TrainingAware(keras.layers.Layer):
    """Scales by 3 while training, by 1 otherwise: `call` is traced for both modes."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="ones", name="w")

    def call(self, inputs, training=None):
        y = ops.matmul(inputs, self.w)
        return y * 3.0 if training else y


def test_call_with_training_is_traced_for_both_modes():
    x = np.ones((4, 2), np.float32)
    model = keras.Sequential([keras.Input(shape=(2,)), TrainingAware()])
    np.testing.assert_allclose(model.predict(x, verbose=0), np.full((4, 1), 2.0))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    # One step on y = 0: loss = mean((3 * 2)^2) = 36; d loss/d w_i = 2 * 6 * 3 = 36.
    logs = model.train_on_batch(x, np.zeros((4, 1), np.float32), return_dict=True) \
        if hasattr(model, "train_on_batch") else None
    if logs is None:
        model.fit(x, np.zeros((4, 1), np.float32), epochs=1, batch_size=4, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], np.full((2, 1), 1 - 0.1 * 36), rtol=1e-6)


class NumpyOnly(keras.layers.Layer):
    """Needs values (np.asarray): not traceable, keeps the numpy forward path."""

    def call(self, inputs):
        a = np.asarray(inputs)
        return a * a


def test_numpy_layer_without_ops_keeps_the_numpy_path():
    x = np.array([[1.0, -2.0]], np.float32)
    model = keras.Sequential([keras.Input(shape=(2,)), NumpyOnly()])
    np.testing.assert_allclose(model.predict(x, verbose=0), [[1.0, 4.0]])


def test_ops_on_numpy_match_keras_formulas():
    x = np.array([[-1.5, 0.0, 2.0], [0.5, 1.0, -3.0]], np.float32)
    np.testing.assert_allclose(ops.softmax(x), np.exp(x) / np.exp(x).sum(-1, keepdims=True),
                               rtol=1e-6)
    np.testing.assert_allclose(ops.log_softmax(x, axis=0),
                               x - np.log(np.exp(x).sum(0, keepdims=True)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.nn.gelu(np.float32(1.0)), 0.841192, rtol=1e-5)  # tanh form
    np.testing.assert_allclose(ops.gelu(np.float32(1.0), approximate=False), 0.841345, rtol=1e-5)
    np.testing.assert_allclose(ops.sum(x, axis=[0, 1]), x.sum(), rtol=1e-6)
    np.testing.assert_allclose(ops.mean(x, axis=0, keepdims=True), x.mean(0, keepdims=True))
    np.testing.assert_allclose(ops.where(x > 0, x, 0.0), np.maximum(x, 0))
    np.testing.assert_allclose(ops.clip(x, -1, 1), np.clip(x, -1, 1))
    assert ops.concatenate([x, x]).shape == (4, 3)  # Keras's default axis is 0
    assert ops.reshape(x, (-1,)).shape == (6,)
    assert ops.squeeze(ops.expand_dims(x, 1)).shape == (2, 3)
    assert ops.matmul(x, x.T).dtype == np.float32


def test_symbolic_shapes_and_errors_during_tracing():
    seen = {}

    class Shapes(keras.layers.Layer):
        def call(self, inputs):
            seen["input"] = inputs.shape
            y = ops.reshape(inputs, (-1, 3, 2))
            seen["reshaped"] = y.shape
            z = ops.concatenate([y, y], axis=1)
            seen["concatenated"] = z.shape
            return ops.sum(z, axis=1)

    model = keras.Sequential([keras.Input(shape=(6,)), Shapes()])
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               2 * x.reshape(2, 3, 2).sum(1))
    assert seen == {"input": (None, 6), "reshaped": (None, 3, 2), "concatenated": (None, 6, 2)}
    assert model.output_shape == (None, 2)
