"""What a name finds after a user's object was used, as in Keras 3.15.1: a Metric class used once
is not found by its bare class name (`metrics=["Counted"]`); a saved function entry of module
`builtins` finds a built-in by Keras's canonical name only (serialization_lib's
`_retrieve_class_or_fn` over its exported names: `mean_squared_error` and `relu` are found,
`mse`, `mae` and `accuracy` are not: a TypeError "Could not locate function" unless
custom_objects name them), while a string "mse" in a compile config stays the built-in. Side by side with real Keras; Dense(2) with a kernel of ones on rows
of ones gives 3 per unit (mse 9; the user's mse, 100 |error|, 300)."""

import numpy as np
import pytest

from conftest import real_keras

import swiftkeras as sk

X, Y = np.ones((4, 3), "float32"), np.zeros((4, 2), "float32")
LOCATE = "Could not locate function '{}'"


@pytest.fixture(scope="module")
def real():
    return real_keras()


def _model(lib):
    inputs = lib.Input((3,))
    return lib.Model(inputs, lib.layers.Dense(2, kernel_initializer="ones")(inputs))


def _evaluated(model, **compiled):
    model.compile(**compiled)
    return [round(float(v), 4) for v in np.atleast_1d(model.evaluate(X, Y, verbose=0))]


def _hundredfold(lib):
    def mse(y_true, y_pred):
        return lib.ops.mean(lib.ops.abs(y_true - y_pred) * 100.0, axis=-1)
    return mse


def test_a_used_metric_class_is_not_found_by_its_bare_name(real):
    for lib in (real, sk):
        class Counted(lib.metrics.Metric):
            def __init__(self, name="counted", **kwargs):
                super().__init__(name=name, **kwargs)
                self.total = self.add_weight(name="total", initializer="zeros")

            def update_state(self, y_true, y_pred, sample_weight=None):
                self.total.assign(42.0)

            def result(self):
                return self.total * 1.0
        assert _evaluated(_model(lib), loss="mse", metrics=[Counted()]) == [9.0, 42.0], lib.__name__
        with pytest.raises(ValueError, match="Counted"):
            _evaluated(_model(lib), loss="mse", metrics=["Counted"])


@pytest.mark.parametrize("alias,canonical", [("mse", "mean_squared_error"), ("accuracy", "relu")])
def test_a_saved_builtins_entry_finds_keras_canonical_names_only(real, tmp_path, alias, canonical):
    """A file whose compile config names a user's function `mse` (or `accuracy`), written as
    Keras writes every function ({"module": "builtins", "config": "mse"}): Keras cannot locate
    it without custom_objects (`mse` is an alias, not the name Keras exports the built-in by),
    neither can this library; with them, the user's. deserialize_keras_object alike."""
    for lib in (real, sk):
        users = _hundredfold(lib)
        users.__name__ = alias
        model = _model(lib)
        model.compile(loss=users)
        path = tmp_path / f"{lib.__name__}.keras"
        model.save(path)
        with pytest.raises(TypeError, match=LOCATE.format(alias)):
            lib.saving.load_model(path)
        again = lib.saving.load_model(path, custom_objects={alias: users})
        assert [round(float(v), 4) for v in np.atleast_1d(again.evaluate(X, Y, verbose=0))] == [300.0]
        entry = {"module": "builtins", "class_name": "function", "config": alias, "registered_name": "function"}
        with pytest.raises(TypeError, match=LOCATE.format(alias)):
            lib.saving.deserialize_keras_object(entry)
        found = lib.saving.deserialize_keras_object({**entry, "config": canonical})
        assert callable(found) and found.__name__ == canonical, lib.__name__


def test_a_string_name_in_a_compile_config_is_still_the_builtin(real, tmp_path):
    for lib in (real, sk):
        model = _model(lib)
        _evaluated(model, loss="mse", metrics=["mae"])
        model.save(tmp_path / f"{lib.__name__}.keras")
        loaded = lib.saving.load_model(tmp_path / f"{lib.__name__}.keras")
        assert [round(float(v), 4) for v in loaded.evaluate(X, Y, verbose=0)] == [9.0, 3.0], lib.__name__
