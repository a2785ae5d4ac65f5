"""Keras 2's serialization form, which Keras 3 keeps as `keras.utils.legacy` and
`keras.legacy.saving` (keras/src/legacy/saving/serialization.py): `{"class_name", "config"}`
for objects (no module or registered name), the registered name for functions."""

import inspect

from . import _objects


def serialize_keras_object(instance):
    """`{"class_name": ..., "config": ...}` of an object with `get_config` (its config's
    objects in the same form, marked `__passive_serialization__`), or a function's registered
    name. Keras: `keras.utils.legacy.serialize_keras_object`."""
    from .saving import get_registered_name
    instance = inspect.unwrap(instance)
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        config = {}
        for key, item in instance.get_config().items():
            if isinstance(item, str):
                config[key] = item
                continue
            try:
                serialized = serialize_keras_object(item)
                if isinstance(serialized, dict) and not isinstance(item, dict):
                    serialized["__passive_serialization__"] = True
                config[key] = serialized
            except ValueError:   # a plain value (number, list, dict): kept as it is
                config[key] = item
        return {"class_name": get_registered_name(instance.__class__), "config": config}
    if hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance} because it doesn't implement "
                     f"`get_config()`.")


def _lookup(name, custom_objects, module_objects):
    """The object registered (or in scope, or in `custom_objects`) under `name`, else
    `module_objects`'s, as Keras looks it up."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    found = _objects.custom_objects_in_scope().get(name)
    return found if found is not None else (module_objects or {}).get(name)


def _unknown(what, name):
    return ValueError(f"Unknown {what}: '{name}'. Please ensure you are using a "
                      f"`keras.utils.custom_object_scope` and that this object is included in "
                      f"the scope. See https://www.tensorflow.org/guide/keras/save_and_serialize"
                      f"#registering_the_custom_object for details.")


def deserialize_keras_object(identifier, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    """The object `serialize_keras_object` described: classes and functions are looked up in
    `custom_objects`, the registered and in-scope custom objects, then `module_objects`.
    Keras: `keras.utils.legacy.deserialize_keras_object`."""
    from .utils import CustomObjectScope
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for {identifier}. Expecting python dict "
                             f"contains `class_name` and `config` as keys")
        class_name = identifier["class_name"]
        cls = _lookup(class_name, custom_objects, module_objects)
        if cls is None:
            raise _unknown(printable_module_name, class_name)
        config = identifier["config"]
        if isinstance(config, dict):
            config = dict(config)
            for key, item in config.items():
                if key == "name":
                    continue
                if isinstance(item, dict) and "__passive_serialization__" in item:
                    config[key] = deserialize_keras_object(
                        item, module_objects=module_objects, custom_objects=custom_objects,
                        printable_module_name="config_item")
                elif isinstance(item, str) and inspect.isfunction(
                        _lookup(item, custom_objects, module_objects)):
                    config[key] = _lookup(item, custom_objects, module_objects)
        with CustomObjectScope(custom_objects or {}):
            if not hasattr(cls, "from_config"):
                return cls(**config)
            if "custom_objects" in inspect.signature(cls.from_config).parameters:
                return cls.from_config(config, custom_objects={
                    **_objects._GLOBAL_CUSTOM_OBJECTS, **(custom_objects or {})})
            return cls.from_config(config)
    if isinstance(identifier, str):
        obj = _lookup(identifier, custom_objects, module_objects)
        if obj is None:
            raise _unknown(printable_module_name, identifier)
        return obj() if inspect.isclass(obj) else obj
    if inspect.isfunction(identifier):
        return identifier
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier}")


__all__ = ["deserialize_keras_object", "serialize_keras_object"]
