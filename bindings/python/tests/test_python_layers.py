"""Layers written in Python (keras_register_layer): build with add_weight, call and backward on
numpy, compute_output_shape, get_config; in Sequential and functional models, trained by the
library, saved and loaded with custom_objects / CustomObjectScope; errors re-raised."""

import json
import traceback

import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import layers, utils

pytestmark = needs(*CORE, "keras_register_layer")


class PyDense(keras.layers.Layer):
    """Dense without activation, written in Python: y = x @ kernel + bias."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return inputs @ self.kernel + self.bias

    def backward(self, inputs, weights, grad_output):
        kernel, _ = weights
        return grad_output @ kernel.T, [inputs.T @ grad_output, grad_output.sum(axis=0)]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return dict(super().get_config(), units=self.units)


class Square(keras.layers.Layer):
    """No weights, no backward; `*` traces into the library's op graph (swiftkeras.ops)."""

    def call(self, inputs, training=False):
        return inputs * inputs


class NumpySquare(keras.layers.Layer):
    """No weights, no backward, numpy values (not traceable): usable for inference and as a
    first layer."""

    def call(self, inputs, training=False):
        a = np.asarray(inputs)
        return a * a


def regression(n=128, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 2)) + 0.1).astype(np.float32)
    return x, y


def test_python_dense_trains_exactly_like_the_builtin_dense():
    x, y = regression()
    histories, finals = {}, {}
    for kind in ("builtin", "python"):
        hidden = layers.Dense(3) if kind == "builtin" else PyDense(3)
        model = keras.Sequential([keras.Input(shape=(4,)), hidden,
                                  layers.Dense(2, activation="tanh")])
        model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
        if kind == "builtin":
            start = model.get_weights()
        else:
            model.set_weights(start)
        histories[kind] = model.fit(x, y, epochs=5, batch_size=16, shuffle=False,
                                    verbose=0).history["loss"]
        finals[kind] = model.get_weights()
    np.testing.assert_allclose(histories["python"], histories["builtin"], rtol=1e-5)
    for a, b in zip(finals["python"], finals["builtin"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_python_layer_in_a_functional_model_saves_and_loads(tmp_path):
    x, y = regression()
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(8, activation="relu")(inputs)
    h = PyDense(5, name="py_dense")(h)
    outputs = layers.Dense(2)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=20, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    layer = model.get_layer("py_dense")
    assert isinstance(layer, PyDense) and layer.units == 5
    assert layer.get_weights()[0].shape == (8, 5)
    np.testing.assert_array_equal(np.asarray(layer.kernel), layer.get_weights()[0])
    expected = model.predict(x, verbose=0)

    path = tmp_path / "py_dense.keras"
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"PyDense": PyDense})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    assert isinstance(loaded.get_layer("py_dense"), PyDense)
    assert loaded.get_layer("py_dense").units == 5

    h5 = tmp_path / "py_dense.h5"
    model.save(h5)
    with utils.CustomObjectScope({"PyDense": PyDense}):
        again = keras.models.load_model(h5)
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, rtol=1e-6)
    # Training goes on after loading: the library optimizes the layer's weights.
    again.compile(optimizer="sgd", loss="mse")
    before = again.get_layer("py_dense").get_weights()[0].copy()
    again.fit(x, y, epochs=1, verbose=0)
    assert not np.allclose(again.get_layer("py_dense").get_weights()[0], before)


def test_registered_python_layer_round_trips_through_json():
    @utils.register_keras_serializable(package="Tests")
    class Shift(keras.layers.Layer):
        def __init__(self, offset=1.0, **kwargs):
            super().__init__(**kwargs)
            self.offset = offset

        def call(self, inputs):
            return inputs + self.offset

        def backward(self, inputs, weights, grad_output):
            return grad_output, []

        def get_config(self):
            return dict(super().get_config(), offset=self.offset)

    model = keras.Sequential([keras.Input(shape=(3,)), Shift(2.5)])
    text = model.to_json()
    assert '"offset": 2.5' in text
    clone = keras.models.model_from_json(text)
    np.testing.assert_allclose(clone.predict(np.zeros((2, 3)), verbose=0), np.full((2, 3), 2.5))


def test_calling_a_python_layer_on_numpy():
    out = PyDense(2)(np.ones((3, 4), np.float32))
    assert out.shape == (3, 2)
    np.testing.assert_allclose(Square()(np.array([[1.0, -2.0]])), [[1.0, 4.0]])


def test_layer_without_backward_works_first_and_for_inference():
    x, y = regression()
    model = keras.Sequential([keras.Input(shape=(4,)), Square(), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    assert model.predict(x[:3], verbose=0).shape == (3, 2)


def test_layer_without_backward_where_a_gradient_must_pass_is_a_clear_error():
    x, y = regression()
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(4), NumpySquare(),
                              layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(keras.KerasError, match=r"NumpySquare.*backward"):
        model.fit(x, y, epochs=1, verbose=0)
    assert model.predict(x[:2], verbose=0).shape == (2, 2)  # inference still works
    # The same layer written with operators is traced: the library's autodiff passes through.
    traced = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(4), Square(), layers.Dense(2)])
    traced.compile(optimizer="sgd", loss="mse")
    traced.fit(x, y, epochs=1, verbose=0)


class Broken(keras.layers.Layer):
    def __init__(self, where, **kwargs):
        super().__init__(**kwargs)
        self.where = where

    def build(self, input_shape):
        if self.where == "build":
            raise KeyError("no weights today")
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        if self.where == "call":
            return inputs.sum() + {}["missing"]
        if self.where == "shape":
            return inputs[:, :1]
        return inputs * self.w

    def backward(self, inputs, weights, grad_output):
        if self.where == "backward":
            raise ArithmeticError("backward went wrong")
        return grad_output * weights[0], [(grad_output * inputs).sum(0)]

    def get_config(self):
        return dict(super().get_config(), where=self.where)


@pytest.mark.parametrize("where,exc,message", [
    ("build", KeyError, "no weights today"), ("call", KeyError, "missing"),
    ("backward", ArithmeticError, "backward went wrong"),
    ("shape", ValueError, r"returned an array of shape \(8, 1\).*\(8, 4\)")])
def test_exceptions_in_python_layer_code_are_reraised_with_traceback(where, exc, message):
    x, y = regression(8)
    model = keras.Sequential([keras.Input(shape=(4,)), Broken(where), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(exc, match=message) as info:
        model.fit(x, y, epochs=1, verbose=0, batch_size=8)
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    if where != "shape":
        assert where in frames  # the user's own method is in the traceback


class NumpyProduct(keras.layers.Layer):
    """Two inputs, numpy values: their product, and the build sees both shapes."""

    def build(self, input_shape):
        self.seen = input_shape

    def call(self, inputs):
        a, b = (np.asarray(t) for t in inputs)
        return a * b.reshape(len(b), -1)


def test_a_python_layer_takes_several_inputs_as_a_list():
    """The plugin ABI's one input carries them packed; build, call (traced or on numpy) and the
    saved config see the list Keras gives."""
    a, b = keras.Input(shape=(2,)), keras.Input(shape=(1, 2))
    layer = NumpyProduct()
    model = keras.Model([a, b], layer([a, b]))
    x = np.arange(6, dtype="float32").reshape(3, 2)
    z = np.full((3, 1, 2), 3, "float32")
    np.testing.assert_allclose(model.predict([x, z], verbose=0), x * 3)
    assert layer.seen == [(None, 2), (None, 1, 2)]
    unknown = keras.Input(shape=(None,))   # numpy's packing needs every size past the batch
    # (the error names why the call was not traced: the cause the user can fix)
    with pytest.raises(ValueError, match=r"NumpyProduct .*could not be traced .*NotTraceable: numpy "
                                         r"needs the values.*every size past the batch known; got "
                                         r"\(None, 2\), \(None, None\)"):
        keras.Model([a, unknown], NumpyProduct()([a, unknown])).predict([x, x], verbose=0)
    np.testing.assert_allclose(NumpyProduct()([x, z]), x * 3)


def test_a_config_with_the_earlier_packing_layers_still_loads():
    """Files written before the library took several inputs hold Reshape/Concatenate layers and
    the shapes in the layer's config: the layer unpacks as it did, and saves the same way."""
    def tensor(name, shape):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": shape, "dtype": "float32", "keras_history": [name, 0, 0]}}

    def entry(class_name, config, inbound, registered=None):
        return {"module": "keras.layers" if registered is None else "custom",
                "class_name": class_name, "registered_name": registered, "name": config["name"],
                "config": config, "inbound_nodes": [{"args": [inbound], "kwargs": {}}] if inbound else []}

    config = {"class_name": "Functional", "config": {"name": "old", "layers": [
        entry("InputLayer", {"name": "a", "batch_shape": [None, 2]}, None),
        entry("InputLayer", {"name": "b", "batch_shape": [None, 1, 2]}, None),
        entry("Reshape", {"name": "reshape", "target_shape": [2]}, tensor("b", [None, 1, 2])),
        entry("Concatenate", {"name": "concatenate", "axis": -1},
              [tensor("a", [None, 2]), tensor("reshape", [None, 2])]),
        entry("NumpyProduct", {"name": "numpy_product", "trainable": True,
                               "swiftkeras_packed_inputs": [[None, 2], [None, 1, 2]]},
              tensor("concatenate", [None, 4]), registered="NumpyProduct")],
        "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": ["numpy_product", 0, 0]}}
    model = keras.models.model_from_json(json.dumps(config),
                                         custom_objects={"NumpyProduct": NumpyProduct})
    x = np.arange(6, dtype="float32").reshape(3, 2)
    z = np.full((3, 1, 2), 3, "float32")
    np.testing.assert_allclose(model.predict([x, z], verbose=0), x * 3)
    saved = next(e for e in json.loads(model.to_json())["config"]["layers"]
                 if e["name"] == "numpy_product")
    assert saved["config"]["swiftkeras_packed_inputs"] == [[None, 2], [None, 1, 2]]


def test_add_weight_outside_build_and_bad_arguments():
    # Keras makes weights in __init__ or build (keras.io's Linear: test_keras_io_guides_3); a
    # built layer refuses more.
    layer = PyDense(2)
    keras.Sequential([keras.Input(shape=(3,)), layer]).predict(np.ones((1, 3)), verbose=0)
    with pytest.raises(RuntimeError, match="only be called from __init__ or build"):
        layer.add_weight(shape=(2,))

    class WithRegularizer(keras.layers.Layer):
        def build(self, input_shape):
            self.add_weight(shape=(2,), initializer="ones", regularizer="l2", constraint="non_neg")

        def call(self, inputs):
            return inputs

    # A regularizer's penalty is among the model's losses, as Keras's L2(0.01) gives it.
    regularized = keras.Sequential([keras.Input(shape=(2,)), WithRegularizer()])
    regularized.predict(np.ones((1, 2)), verbose=0)
    np.testing.assert_allclose([np.asarray(v) for v in regularized.losses], [0.02], rtol=1e-6)

    class BadRegularizer(WithRegularizer):
        def build(self, input_shape):
            self.add_weight(shape=(2,), regularizer="no_such_regularizer")

    with pytest.raises(ValueError, match="no_such_regularizer"):
        keras.Sequential([keras.Input(shape=(2,)), BadRegularizer()]).predict(
            np.ones((1, 2)), verbose=0)

    class UnknownDim(WithRegularizer):
        def build(self, input_shape):
            self.add_weight(shape=(None, 2))

    with pytest.raises(ValueError, match="unknown"):
        keras.Sequential([keras.Input(shape=(2,)), UnknownDim()]).predict(np.ones((1, 2)), verbose=0)

    class BadInit(WithRegularizer):
        def build(self, input_shape):
            self.add_weight(shape=(2,), initializer="no_such_initializer")

    with pytest.raises(ValueError, match="no_such_initializer"):
        keras.Sequential([keras.Input(shape=(2,)), BadInit()]).predict(np.ones((1, 2)), verbose=0)


def test_python_layer_pickles_and_runs_in_the_native_search():
    import pickle

    from sklearn.datasets import load_iris

    from swiftkeras.model_selection import GridSearchCV
    from swiftkeras.wrappers import KerasClassifier

    x, y = regression()
    model = keras.Sequential([keras.Input(shape=(4,)), PyDense(3), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)

    def build(hidden=8, meta=None):
        return keras.Sequential([keras.Input(shape=(4,)), PyDense(hidden),
                                 layers.Activation("relu"), layers.Dense(3, activation="softmax")])

    xi, yi = load_iris(return_X_y=True)
    clf = KerasClassifier(model=build, loss="sparse_categorical_crossentropy", optimizer="adam",
                          optimizer__learning_rate=0.05, epochs=20, verbose=0, random_state=0)
    # The library's worker threads call the Python layer (ctypes takes the GIL for them).
    search = GridSearchCV(clf, {"model__hidden": [4, 8]}, cv=3, n_jobs=2).fit(xi, yi)
    assert search.best_score_ > 0.6


class CountingPyDense(PyDense):
    """PyDense counting the library's asks of its output shape."""
    shape_asks = 0

    def compute_output_shape(self, input_shape):
        type(self).shape_asks += 1
        return super().compute_output_shape(input_shape)


def test_a_numpy_layers_output_shape_is_asked_once_per_input_shape_not_per_step():
    x = np.random.default_rng(0).normal(size=(64, 5)).astype("float32")
    y = x @ np.ones((5, 2), "float32")
    model = keras.Sequential([keras.Input((5,)), CountingPyDense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)   # 16 steps, two batch sizes at most
    asked = CountingPyDense.shape_asks
    assert asked <= 4, f"compute_output_shape asked {asked} times for 16 steps"
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert CountingPyDense.shape_asks == asked


def test_two_classes_of_one_name_one_registered_with_a_package(tmp_path):
    """A class registered as 'Twin>Doubler' and another class named Doubler, unregistered: each
    model computes, saves and loads with its own class (the registered one's plain-name alias
    must not take the other's name)."""

    @keras.saving.register_keras_serializable(package="Twin")
    class Doubler(layers.Layer):
        def call(self, inputs):
            a, b = inputs
            return a + b

    registered = Doubler
    a, b = keras.Input((2,)), keras.Input((2,))
    first = keras.Model([a, b], registered()([a, b]))
    ones = np.ones((1, 2), np.float32)
    np.testing.assert_allclose(first.predict([ones, 2 * ones], verbose=0), 3 * ones)

    class Doubler(layers.Layer):  # noqa: F811 (the point: the same name)
        def call(self, x):
            return x * 2

    plain = Doubler
    x = keras.Input((2,))
    second = keras.Model(x, plain()(x))
    np.testing.assert_allclose(second.predict(ones, verbose=0), 2 * ones)
    path = str(tmp_path / "plain.keras")
    second.save(path)
    entry = json.loads(second.to_json())["config"]["layers"][1]
    assert entry["registered_name"] == "Doubler", entry
    loaded = keras.saving.load_model(path, custom_objects={"Doubler": plain})
    np.testing.assert_allclose(loaded.predict(ones, verbose=0), 2 * ones)
    # The registered class's model still computes with its own class.
    np.testing.assert_allclose(first.predict([ones, ones], verbose=0), 2 * ones)


def test_python_layer_called_on_arrays_with_more_arguments_runs_them():
    """Keras's `Add2()(a, b)` on arrays gives a + b (test_python_layer_io compares with Keras):
    every argument reaches the call, positional and keyword, plain values too."""
    class Add2(layers.Layer):
        def call(self, a, b=None, scale=1.0):
            return (a if b is None else a + b) * scale

    a, b = np.ones((2, 3), np.float32), np.full((2, 3), 2.0, np.float32)
    np.testing.assert_allclose(np.asarray(Add2()(a, b)), a + b)
    np.testing.assert_allclose(np.asarray(Add2()(a, b=b, scale=2.0)), (a + b) * 2)
    np.testing.assert_allclose(np.asarray(Add2()(a, training=False)), a)   # inputs alone still run
