"""Plugins written in Python: layers (build/add_weight, call, backward on numpy), losses,
metrics and activations as functions, and CustomObjectScope to load models using them."""

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import backend as K
from swiftkeras import layers, utils

pytestmark = needs(*CORE, "keras_register_loss", "keras_register_metric",
                   "keras_register_activation")


def data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    return x, y


def my_mse(y_true, y_pred):
    return K.mean(K.square(y_true - y_pred), axis=-1)


def scaled_tanh(x):
    return 2.0 * np.tanh(x)


def test_python_loss_trains_like_the_builtin():
    x, y = data()
    losses = {}
    for name, loss in (("builtin", "mse"), ("python", my_mse)):
        utils.set_random_seed(1)
        model = keras.Sequential([layers.Dense(1, input_shape=(3,), kernel_initializer="zeros")])
        model.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss)
        losses[name] = model.fit(x, y, epochs=20, batch_size=20, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(losses["python"], losses["builtin"], rtol=2e-3)


def _train_with_python_activation_and_metric(tmp_path):
    x, y = data()
    model = keras.Sequential([layers.Dense(4, input_shape=(3,), activation=scaled_tanh),
                              layers.Dense(1)])

    def max_err(y_true, y_pred):
        return K.max(K.abs(y_true - y_pred), axis=-1)

    model.compile(optimizer="adam", loss="mse", metrics=[max_err])
    h = model.fit(x, y, epochs=3, verbose=0)
    assert "max_err" in h.history
    hidden = model.layers[0](x[:5])
    assert hidden.shape == (5, 4) and np.all(np.abs(hidden) <= 2.0)
    path = str(tmp_path / "custom.keras")
    model.save(path)
    return model, path, max_err


def test_python_activation_and_metric_train(tmp_path):
    model, path, _ = _train_with_python_activation_and_metric(tmp_path)
    assert model.predict(np.zeros((2, 3), np.float32), verbose=0).shape == (2, 1)


def test_custom_object_scope_loads_a_model_with_python_functions(tmp_path):
    x, y = data()
    model, path, max_err = _train_with_python_activation_and_metric(tmp_path)
    with utils.CustomObjectScope({"scaled_tanh": scaled_tanh, "max_err": max_err}):
        loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)


def test_ops_function_named_as_a_builtin_activation_leaves_the_builtin_alone():
    """`Dense(activation=keras.ops.gelu)` (keras.io's CCT, MLP-Mixer) computes ops.gelu's tanh
    approximation, as Keras's layer does, and is written "gelu" as Keras writes it; the
    activation "gelu" of every later layer is still Keras's exact one (the library's registry
    finds a 'package>gelu' function by its bare name before the built-in: registered for good,
    it made every later "gelu" the approximation, test_keras_io_guides_4's ViT after
    test_keras_io_examples_3's CCT)."""
    from conftest import real_keras
    ref_keras = real_keras()
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(4, 3)

    def dense(lib, activation):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(3, activation=activation,
                                                                 kernel_initializer="identity")])

    ops_model = dense(keras, keras.ops.gelu)
    assert ops_model.layers[0].get_config()["activation"] == "gelu"
    expected = np.asarray(dense(ref_keras, ref_keras.ops.gelu).predict(x, verbose=0))
    np.testing.assert_allclose(ops_model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
    for later in ("gelu", keras.activations.gelu):
        exact = np.asarray(dense(ref_keras, "gelu").predict(x, verbose=0))
        assert np.abs(exact - expected).max() > 1e-4   # (the two gelus differ here)
        np.testing.assert_allclose(dense(keras, later).predict(x, verbose=0), exact, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(keras.Sequential([keras.Input((3,)), keras.layers.Activation(later)])
                                   .predict(x, verbose=0), exact, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ops_model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
    # One model with both: while its config is read (ops.gelu registered for that read), the
    # bare "gelu" is still the built-in (the registry's bare-name match skips a name the
    # library has built in).
    def both(lib, approximate):
        return lib.Sequential([lib.Input((3,)),
                               lib.layers.Dense(3, activation=approximate, kernel_initializer="identity"),
                               lib.layers.Dense(3, activation="gelu", kernel_initializer="identity")])
    np.testing.assert_allclose(both(keras, keras.ops.gelu).predict(x, verbose=0),
                               np.asarray(both(ref_keras, ref_keras.ops.gelu).predict(x, verbose=0)),
                               rtol=1e-6, atol=1e-6)


def test_exception_in_a_python_loss_is_reraised():
    x, y = data()

    def broken(y_true, y_pred):
        raise ZeroDivisionError("inside the loss")

    model = keras.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer="sgd", loss=broken)
    with pytest.raises(ZeroDivisionError, match="inside the loss"):
        model.fit(x, y, epochs=1, verbose=0)


class Scale(keras.layers.Layer):
    """y = x * w, one weight per feature, with its own backward."""

    def __init__(self, init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.init),
                                 name="w")

    def call(self, inputs, training=False):
        return inputs * np.asarray(self.w)

    def backward(self, inputs, weights, grad_output):
        (w,) = weights
        return grad_output * w, [np.sum(grad_output * inputs, axis=0)]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return dict(super().get_config(), init=self.init)


@needs("keras_register_layer")
def test_python_layer_trains_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 3)).astype(np.float32)
    y = x * np.array([2.0, -1.0, 0.5], np.float32)
    model = keras.Sequential([Scale(0.0, input_shape=(3,))])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=30, verbose=0)
    np.testing.assert_allclose(model.layers[0].get_weights()[0], [2.0, -1.0, 0.5], atol=0.05)
    path = str(tmp_path / "scale.keras")
    model.save(path)
    with utils.custom_object_scope({"Scale": Scale}):
        loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
