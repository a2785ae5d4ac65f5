"""Custom objects are found as Keras 3.15.1 finds them (keras/src/saving/serialization_lib.py
`_retrieve_class_or_fn`, object_registration.py): those in `custom_objects=` or a
`custom_object_scope` for that call or `with` block only, then the globally registered
('package>Name'), then the class of the config's own module (the library's built-in). A Python
class merely used in a model registers no bare name for the process: a user's `StochasticDepth`
or `LayerScale` (the keras.io CCT's) leaves the library's ConvNeXt layers in every later load.
Each test runs the same steps in real Keras beside ours where the outcome is a class chosen or
an error; predictions are compared with Keras's fixture or with the model's math."""
from pathlib import Path

import numpy as np
import pytest

from conftest import keras_reference, real_keras

FIXTURES = Path(__file__).resolve().parents[3] / "Tests" / "KerasTests" / "Fixtures"
CONVNEXT_FILE = FIXTURES / "models" / "keras_convnext_shaped.keras"
REFERENCE = ("models", "keras_application_layers_shaped.json")


def _users_classes(keras):
    """A user's own layers named as ConvNeXt's (as the keras.io CCT defines StochasticDepth):
    StochasticDepth scales by `factor` at inference (the application's passes its input
    through); LayerScale adds `init_values` (the application's multiplies by a weight)."""
    class StochasticDepth(keras.layers.Layer):
        def __init__(self, drop_path_rate=0.0, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.drop_path_rate, self.factor = drop_path_rate, factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "drop_path_rate": self.drop_path_rate,
                    "factor": self.factor}

    class LayerScale(keras.layers.Layer):
        def __init__(self, init_values, projection_dim, **kwargs):
            super().__init__(**kwargs)
            self.init_values, self.projection_dim = init_values, projection_dim

        def call(self, x):
            return x + self.init_values

        def get_config(self):
            return {**super().get_config(), "init_values": self.init_values,
                    "projection_dim": self.projection_dim}
    return StochasticDepth, LayerScale


def _convnext_inputs():
    return np.random.default_rng(5).uniform(-1, 1, size=(2, 8, 8, 3)).astype("float32")


def _convnext_reference():
    return keras_reference(*REFERENCE)["convnext"]["outputs"][0]


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    """Real Keras's file of Input(4) -> ConvNeXt's LayerScale(0.5) -> its StochasticDepth(0.25)
    -> Dense(2), and its Dense weights: at inference the model is x * 0.5 @ W + b."""
    keras = real_keras()
    from keras.src.applications import convnext
    inputs = keras.Input((4,))
    x = convnext.StochasticDepth(0.25, name="depth")(convnext.LayerScale(0.5, 4, name="scale")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, name="head")(x))
    rng = np.random.default_rng(3)
    model.get_layer("head").set_weights([rng.normal(size=(4, 2)).astype("float32"),
                                         rng.normal(size=2).astype("float32")])
    path = tmp_path_factory.mktemp("scoping") / "small.keras"
    model.save(path)
    return path, model.get_layer("head").get_weights()


def _predicted(model, x):
    return np.asarray(model.predict(x, verbose=0))


def test_a_users_classes_used_in_a_model_leave_convnext_files_to_the_librarys_layers(tmp_path):
    import swiftkeras as keras
    StochasticDepth, LayerScale = _users_classes(keras)
    inputs = keras.Input((3,))
    mine = keras.Model(inputs, StochasticDepth(factor=3.0)(LayerScale(1.0, 3)(inputs)))
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(_predicted(mine, x), (x + 1) * 3)
    loaded = keras.saving.load_model(CONVNEXT_FILE)
    np.testing.assert_allclose(_predicted(loaded, _convnext_inputs()), _convnext_reference(),
                               rtol=1e-5, atol=1e-5)
    assert type(loaded.get_layer("block_layer_scale")) is not LayerScale
    np.testing.assert_allclose(_predicted(mine, x), (x + 1) * 3)   # the user's model keeps its classes
    # Its own file, read back with them in custom_objects (as Keras needs them), has the user's classes.
    mine.save(tmp_path / "mine.keras")
    again = keras.saving.load_model(tmp_path / "mine.keras", custom_objects={
        "StochasticDepth": StochasticDepth, "LayerScale": LayerScale})
    np.testing.assert_allclose(_predicted(again, x), (x + 1) * 3)
    np.testing.assert_allclose(_predicted(keras.saving.load_model(CONVNEXT_FILE), _convnext_inputs()),
                               _convnext_reference(), rtol=1e-5, atol=1e-5)


def _loads(keras, path, custom_objects=None):
    """The file's model, its StochasticDepth layer's class, and its predictions for ones."""
    model = keras.saving.load_model(path, custom_objects=custom_objects)
    return type(model.get_layer("depth")), _predicted(model, np.ones((1, 4), "float32"))


def test_custom_objects_of_one_load_do_not_reach_the_next(small_file):
    import swiftkeras as keras
    real = real_keras()
    path, (w, b) = small_file
    expected = {factor: (np.ones((1, 4)) * 0.5 * factor) @ w + b for factor in (1.0, 2.0)}
    for lib in (real, keras):
        StochasticDepth, _ = _users_classes(lib)
        cls, got = _loads(lib, path, {"StochasticDepth": StochasticDepth})
        assert cls is StochasticDepth, lib.__name__
        np.testing.assert_allclose(got, expected[2.0], rtol=1e-5, err_msg=lib.__name__)
        cls, got = _loads(lib, path)
        assert cls is not StochasticDepth and cls.__module__.endswith("applications.convnext"), lib.__name__
        np.testing.assert_allclose(got, expected[1.0], rtol=1e-5, err_msg=lib.__name__)
        assert "StochasticDepth" not in lib.saving.get_custom_objects()


def test_custom_object_scopes_nest_and_end_with_their_block(small_file):
    import swiftkeras as keras
    real = real_keras()
    path, (w, b) = small_file

    def expected(factor):
        return (np.ones((1, 4)) * 0.5 * factor) @ w + b
    for lib in (real, keras):
        Outer, _ = _users_classes(lib)
        Inner, _ = _users_classes(lib)
        with lib.saving.custom_object_scope({"StochasticDepth": Outer}):
            assert _loads(lib, path)[0] is Outer, lib.__name__
            with lib.saving.custom_object_scope({"StochasticDepth": Inner}):
                cls, got = _loads(lib, path, {"Unused": Outer})
                assert cls is Inner, lib.__name__
                np.testing.assert_allclose(got, expected(2.0), rtol=1e-5)
            assert _loads(lib, path)[0] is Outer, lib.__name__
        cls, got = _loads(lib, path)
        assert cls not in (Outer, Inner), lib.__name__
        np.testing.assert_allclose(got, expected(1.0), rtol=1e-5, err_msg=lib.__name__)


def test_a_registered_class_wins_over_the_builtin_where_keras_finds_it(small_file, tmp_path):
    """A class registered as 'ScopingTest>StochasticDepth': a model using it saves that name and
    loads back to it with no custom objects; a file naming the bare class (Keras's ConvNeXt
    layer) still gets the built-in, as in Keras (its registry holds 'package>Name' only)."""
    import swiftkeras as keras
    real = real_keras()
    path, (w, b) = small_file
    for lib in (real, keras):
        StochasticDepth, _ = _users_classes(lib)
        registered = lib.saving.register_keras_serializable(package="ScopingTest")(StochasticDepth)
        try:
            inputs = lib.Input((4,))
            model = lib.Model(inputs, registered(factor=3.0, name="depth")(inputs))
            model.save(tmp_path / f"{lib.__name__}.keras")
            cls, got = _loads(lib, tmp_path / f"{lib.__name__}.keras")
            assert cls is registered, lib.__name__
            np.testing.assert_allclose(got, np.full((1, 4), 3.0))
            cls, got = _loads(lib, path)
            assert cls is not registered, lib.__name__
            np.testing.assert_allclose(got, (np.ones((1, 4)) * 0.5) @ w + b, rtol=1e-5)
        finally:
            for key in ("ScopingTest>StochasticDepth", "StochasticDepth"):
                lib.saving.get_custom_objects().pop(key, None)


def doubled(x):
    """A user's activation function, passed in custom_objects only."""
    return x * 2.0


def test_a_function_given_to_one_load_is_not_known_to_the_next(tmp_path):
    """Other families go the same way: an activation function in one load's custom_objects is
    gone at the next load, which fails as Keras's does (TypeError "Could not locate function
    'doubled'")."""
    import swiftkeras as keras
    real = real_keras()
    inputs = real.Input((3,))
    model = real.Model(inputs, real.layers.Dense(2, activation=doubled, name="head")(inputs))
    path = tmp_path / "doubled.keras"
    model.save(path)
    x = np.ones((1, 3), "float32")
    expected = _predicted(model, x)
    for lib in (real, keras):
        np.testing.assert_allclose(_predicted(lib.saving.load_model(path, custom_objects={"doubled": doubled}), x),
                                   expected, rtol=1e-5, err_msg=lib.__name__)
        with pytest.raises(TypeError, match="Could not locate function 'doubled'"):
            lib.saving.load_model(path)
