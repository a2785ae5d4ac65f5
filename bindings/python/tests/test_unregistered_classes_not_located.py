"""A Python layer class used in a model but never registered is not known to the library for the
rest of the process: a later `load_model`, `model_from_json` or `Model.from_config` of a config
naming it needs it in custom_objects (or a scope, or a registration), as in Keras 3.15.1, whose
serialization_lib `_retrieve_class_or_fn` locates a class by custom objects and registrations
only (not by its module, be it `__main__` or importable): a TypeError "Could not locate class"
for a Keras 3 entry (.keras, JSON, from_config), the legacy reader's ValueError "Unknown layer"
for an .h5's. clone_model makes the layers by their own classes and needs none. Side by side
with real Keras; the numbers are the model's math (x * 3)."""

import numpy as np
import pytest

from conftest import real_keras

import swiftkeras as sk

X = np.arange(6, dtype="float32").reshape(2, 3)
LOCATE = "Could not locate class '{}'"


def _classes(lib):
    """The same layer as a class of `__main__` (a script's) and of this importable module."""
    class Tripled(lib.layers.Layer):
        def call(self, x):
            return x * 3.0

    class MainTripled(Tripled):
        pass
    MainTripled.__module__ = "__main__"
    return Tripled, MainTripled


def _used(lib, cls):
    """A functional model of `cls`, used once (predict), as a user's script uses it."""
    inputs = lib.Input((3,))
    model = lib.Model(inputs, cls(name="tripled")(inputs))
    np.testing.assert_allclose(model.predict(X, verbose=0), X * 3.0)
    return model


@pytest.mark.parametrize("which", [0, 1], ids=["importable-module", "main"])
def test_a_used_class_is_not_located_again_without_custom_objects(tmp_path, which):
    for lib in (real_keras(), sk):
        cls = _classes(lib)[which]
        model = _used(lib, cls)
        path = tmp_path / f"{lib.__name__}.keras"
        model.save(path)
        for read in (lambda: lib.saving.load_model(path), lambda: lib.models.model_from_json(model.to_json()),
                     lambda: lib.Model.from_config(model.get_config())):
            with pytest.raises(TypeError, match=LOCATE.format(cls.__name__)):
                read()
        objects = {cls.__name__: cls}
        for again in (lib.saving.load_model(path, custom_objects=objects),
                      lib.models.model_from_json(model.to_json(), custom_objects=objects),
                      lib.Model.from_config(model.get_config(), custom_objects=objects),
                      lib.models.clone_model(model)):
            assert type(again.get_layer("tripled")) is cls, lib.__name__
            np.testing.assert_allclose(again.predict(X, verbose=0), X * 3.0)
        with lib.saving.custom_object_scope(objects):
            np.testing.assert_allclose(lib.saving.load_model(path).predict(X, verbose=0), X * 3.0)
        with pytest.raises(TypeError, match=LOCATE.format(cls.__name__)):
            lib.saving.load_model(path)   # (the scope has ended)
        np.testing.assert_allclose(model.predict(X, verbose=0), X * 3.0)   # the user's model


def test_an_h5_entry_of_a_used_class_is_keras_unknown_layer(tmp_path):
    for lib in (real_keras(), sk):
        cls = _classes(lib)[0]
        model = _used(lib, cls)
        path = tmp_path / f"{lib.__name__}.h5"
        model.save(path)
        with pytest.raises(ValueError, match=f"Unknown layer.*'{cls.__name__}'"):
            lib.saving.load_model(path)
        again = lib.saving.load_model(path, custom_objects={cls.__name__: cls})
        np.testing.assert_allclose(again.predict(X, verbose=0), X * 3.0)


def test_a_registered_class_is_still_located(tmp_path):
    """register_keras_serializable's class needs no custom_objects, in both."""
    for lib in (real_keras(), sk):
        cls = lib.saving.register_keras_serializable(package="NotLocatedTest")(_classes(lib)[0])
        try:
            model = _used(lib, cls)
            model.save(tmp_path / f"{lib.__name__}.keras")
            again = lib.saving.load_model(tmp_path / f"{lib.__name__}.keras")
            assert type(again.get_layer("tripled")) is cls, lib.__name__
            np.testing.assert_allclose(lib.models.model_from_json(model.to_json()).predict(X, verbose=0), X * 3.0)
        finally:
            for key in ("NotLocatedTest>Tripled", "Tripled"):
                lib.saving.get_custom_objects().pop(key, None)
