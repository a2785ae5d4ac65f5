"""Python functions and Metric classes used in compile, or as a layer's activation, are known to
the library by their module ('module>name', as a Python layer class used but not registered),
never under their bare name: a user's `mse`, `accuracy`, `relu` or `Accuracy` leaves the built-in
of that name to every later model of the process, as in Keras 3.15.1 (whose compile wraps the
user's objects and registers nothing; serialization_lib's `_retrieve_class_or_fn` finds a saved
function in custom_objects first, then in Keras's own modules). Side by side with real Keras,
and with the model's math: Dense(2) with a kernel of ones on rows of ones gives 3 per unit."""

import numpy as np
import pytest

from conftest import real_keras

import swiftkeras as sk

X, Y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")


def _model(lib, activation="linear"):
    inputs = lib.Input((3,))
    dense = lib.layers.Dense(2, activation=activation, kernel_initializer="ones",
                             bias_initializer="zeros")
    return lib.Model(inputs, dense(inputs))


def _users_objects(lib):
    """A user's functions and Metric class named as Keras's built-ins, each computing something
    else: mse and mean_squared_error are 100 |error|, accuracy 7, relu 10 x, Accuracy 42."""
    def mse(y_true, y_pred):
        return lib.ops.mean(lib.ops.abs(y_true - y_pred) * 100.0, axis=-1)

    def mean_squared_error(y_true, y_pred):
        return mse(y_true, y_pred)

    def accuracy(y_true, y_pred):
        return lib.ops.mean(y_pred * 0.0 + 7.0, axis=-1)

    def relu(x):
        return x * 10.0

    class Accuracy(lib.metrics.Metric):
        def __init__(self, name="counted", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_weight(name="total", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign(42.0)

        def result(self):
            return self.total * 1.0
    return mse, accuracy, relu, Accuracy, mean_squared_error


def _evaluated(model):
    return [round(float(v), 4) for v in np.atleast_1d(model.evaluate(X, Y, verbose=0))]


@pytest.fixture(scope="module")
def real():
    return real_keras()


def test_users_objects_leave_the_builtins_to_later_models(real):
    for lib in (real, sk):
        mse, accuracy, relu, Accuracy, _ = _users_objects(lib)
        mine = _model(lib, relu)
        mine.compile(loss=mse, metrics=[mse, accuracy, Accuracy()])
        assert _evaluated(mine) == [3000.0, 3000.0, 7.0, 42.0], lib.__name__
        builtin = _model(lib, "relu")
        builtin.compile(loss="mse", metrics=["mse", "accuracy", lib.metrics.Accuracy(name="counted")])
        # mse 9; Keras's "accuracy" here is categorical (argmax of equal values: 1); Accuracy
        # compares values (3 is not 0)
        assert _evaluated(builtin) == [9.0, 9.0, 1.0, 0.0], lib.__name__
        assert _evaluated(mine) == [3000.0, 3000.0, 7.0, 42.0], lib.__name__   # (its objects kept)


def test_compile_config_names_the_functions_as_keras(real):
    configs = {}
    for lib in (real, sk):
        mse, accuracy, _, Accuracy, _ = _users_objects(lib)
        model = _model(lib)
        model.compile(loss=mse, metrics=[accuracy, Accuracy()])
        config = model.get_compile_config()
        configs[lib] = (config["loss"], config["metrics"][0],
                        {k: config["metrics"][1][k] for k in ("module", "class_name", "registered_name")})
    assert configs[sk] == configs[real]
    assert configs[sk][0] == {"module": "builtins", "class_name": "function", "config": "mse",
                              "registered_name": "function"}


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_saved_function_is_the_builtin_unless_custom_objects_name_it(real, tmp_path, suffix):
    """A file whose loss is the user's `mean_squared_error`: loaded without custom objects its
    loss is Keras's built-in (Keras: the function's module is `builtins`, found as
    keras.losses.mean_squared_error); with custom_objects naming it, the user's (Keras: custom
    objects first). Keras 3.15.1 cannot compile its own .h5 of a function loss (a TypeError in
    compile_args_from_training_config): there only this library's."""
    for lib in (real, sk) if suffix == ".keras" else (sk,):
        mean_squared_error = _users_objects(lib)[-1]
        model = _model(lib)
        model.compile(loss=mean_squared_error)
        path = tmp_path / f"{lib.__name__}{suffix}"
        model.save(path)
        assert _evaluated(lib.saving.load_model(path)) == [9.0], lib.__name__
        assert _evaluated(lib.saving.load_model(path, custom_objects={
            "mean_squared_error": mean_squared_error})) == [300.0], lib.__name__


def test_a_function_used_as_activation_gives_no_string_name(real):
    """After a layer used the user's `doubled`, `activation="doubled"` is unknown, as in Keras."""
    def doubled(x):
        return x * 2.0
    for lib in (real, sk):
        _model(lib, doubled)
        with pytest.raises(ValueError, match="doubled"):
            _model(lib, "doubled")
