"""keras.utils.legacy and keras.legacy.saving (Keras 2's serialization form) against real Keras
(JAX backend): the same dicts, the same objects back, the same errors."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras


def _record(keras):
    legacy = keras.utils.legacy
    out = [sorted(n for n in dir(legacy) if not n.startswith("_")),
           sorted(n for n in dir(keras.legacy) if not n.startswith("_")),
           keras.legacy.saving.deserialize_keras_object is legacy.deserialize_keras_object]
    out.append(legacy.serialize_keras_object(keras.initializers.GlorotUniform(seed=1)))
    out.append(legacy.serialize_keras_object(keras.regularizers.L1L2(l1=0.5, l2=0.25)))
    out.append(legacy.serialize_keras_object(keras.activations.relu))
    out.append(legacy.serialize_keras_object(None))
    dense = legacy.serialize_keras_object(keras.layers.Dense(2, activation="relu", name="dd"))
    out.append((dense["class_name"], sorted(dense["config"]), dense["config"]["units"],
                dense["config"]["activation"], dense["config"]["kernel_initializer"]["class_name"]))
    modules = {"Dense": keras.layers.Dense, "relu": keras.activations.relu,
               "GlorotUniform": keras.initializers.GlorotUniform}
    layer = legacy.deserialize_keras_object(
        {"class_name": "Dense", "config": {"units": 3, "activation": "relu"}}, module_objects=modules)
    out.append((type(layer).__name__, layer.units, layer(np.full((1, 2), -1.0, "float32")).shape))
    back = legacy.deserialize_keras_object(out[3], module_objects=modules)
    out.append((type(back).__name__, back.get_config()))
    for call in (lambda: legacy.deserialize_keras_object({"class_name": "Nope", "config": {}},
                                                         module_objects={}),
                 lambda: legacy.deserialize_keras_object({"config": {}}),
                 lambda: legacy.serialize_keras_object(3),
                 lambda: legacy.deserialize_keras_object(3)):
        with pytest.raises(ValueError) as info:
            call()
        out.append(str(info.value))
    return out


def test_legacy_serialization_matches_keras():
    assert _record(sk) == _record(real_keras())


def test_legacy_deserialization_finds_custom_objects_and_names():
    def scale(x):
        return x * 2

    legacy = sk.utils.legacy
    assert legacy.deserialize_keras_object("scale", custom_objects={"scale": scale}) is scale
    assert type(legacy.deserialize_keras_object("Zeros", module_objects={"Zeros": sk.initializers.Zeros})) \
        is sk.initializers.Zeros
    with sk.utils.custom_object_scope({"scale": scale}):
        assert legacy.deserialize_keras_object("scale") is scale
    assert legacy.serialize_keras_object(scale) == "scale"
    import swiftkeras.legacy.saving as imported
    assert imported is sk.legacy.saving
