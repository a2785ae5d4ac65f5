"""A saved loss, metric or activation naming a function that is neither registered nor in
custom_objects: Keras 3.15.1 raises TypeError "Could not locate function '<name>'. Make sure
custom classes and functions are decorated with `@keras.saving.register_keras_serializable()`..."
(serialization_lib's `_retrieve_class_or_fn`), from `.keras` and `.h5` files, `model_from_json`
and `deserialize_keras_object`; so does this library, its advice the Python registration's.
Each file is real Keras's, loaded by both."""

import pytest

from conftest import real_keras

import swiftkeras as sk

LOCATE = "Could not locate function '{}'"


def doubled(x):
    return x * 2.0


def halved_error(y_true, y_pred):
    return (y_true - y_pred) ** 2 * 0.5


@pytest.fixture
def keras_model():
    """Keras's model whose Dense activation is `doubled`, compiled with `halved_error` as loss
    and metric (one per test: Keras 3.15.1's .h5 save drops the optimizer from the compile
    config its later .keras saves write)."""
    keras = real_keras()
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, activation=doubled)(inputs))
    model.compile(loss=halved_error, metrics=[halved_error])
    return model


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_missing_activation_function_is_keras_type_error(keras_model, tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    keras_model.save(path)
    for lib in (real_keras(), sk):
        with pytest.raises(TypeError, match=LOCATE.format("doubled")):
            lib.saving.load_model(path, custom_objects={"halved_error": halved_error})
    with pytest.raises(TypeError, match="register_keras_serializable"):
        sk.saving.load_model(path, custom_objects={"halved_error": halved_error})


def test_a_missing_loss_function_is_keras_type_error(keras_model, tmp_path):
    """(Keras 3.15.1 cannot compile its own .h5 of a function loss at all: .keras only.)"""
    path = tmp_path / "model.keras"
    keras_model.save(path)
    for lib in (real_keras(), sk):
        with pytest.raises(TypeError, match=LOCATE.format("halved_error")):
            lib.saving.load_model(path, custom_objects={"doubled": doubled})
        model = lib.saving.load_model(path, custom_objects={"doubled": doubled, "halved_error": halved_error})
        assert model.get_compile_config()["loss"]["config"] == "halved_error"


def test_model_from_json_and_deserialize_keras_object(keras_model):
    entry = {"module": "builtins", "class_name": "function", "config": "halved_error",
             "registered_name": "function"}
    messages = []
    for lib in (real_keras(), sk):
        with pytest.raises(TypeError, match=LOCATE.format("doubled")):
            lib.models.model_from_json(keras_model.to_json())
        with pytest.raises(TypeError) as raised:
            lib.saving.deserialize_keras_object(entry)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
