"""Keras's `shared_object_id` marks in a `.keras` file's config.json: Keras serializes a model
in an `ObjectSharingScope`, where an object serialized a second time (the same Python object:
the default dtype policy every layer made without a `dtype` holds, an initializer, regularizer
or constraint instance given to several layers or arguments, a layer held by two nested
models) has its config marked with the object's id, and so has its first config where that is
still the dict Keras writes (`record_object_after_serialization`: the first config's owner
copies its config when its `get_config` returns, so a first occurrence is marked only when the
second comes before that, as `Dense(kernel_initializer=init, bias_initializer=init)`). The
library writes the config; the objects are Python's: their marks are found here, walking the
config in Keras's serialization order with the objects that made it, and the library writes
them into the archive it writes (keras_model_save_config: the file is written once)."""

from __future__ import annotations

import json

# A layer's config arguments that Keras serializes as objects of their own.
_OBJECT_ARGUMENTS = ("initializer", "regularizer", "constraint")
# Recurrent layers whose get_config serializes their cell first (its config then dropped) and
# then the cell's initializers, regularizers and constraints again as their own: each marked,
# and so is the default dtype policy, which a cell made without a `dtype` holds too.
_CELL_LAYERS = frozenset({"LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})
# Wrappers that serialize copies of the layer given them (Keras's Bidirectional clones it).
_CLONING_WRAPPERS = frozenset({"Bidirectional"})
# Keras's default dtype policy, one object for every layer made without a `dtype`.
_DEFAULT_POLICY = ("default dtype policy",)


def mark(config, model):
    """Adds Keras's `shared_object_id` marks to `config` (a model's serialized config, as
    `model.save` writes it) for the objects of `model` serialized more than once."""
    _Walk().object(config, model, None)
    return config


def archive_config(model, handle):
    """The config.json of a `.keras` archive of `model` (its `handle`) with Keras's marks, as
    keras_model_save_config takes it: the library's config (keras_model_archive_config), marked
    here (the config built once per save)."""
    from . import _lib, _native
    return json.dumps(mark(json.loads(_native.take_string(_lib.keras_model_archive_config, handle)), model))


class _Walk:
    def __init__(self):
        self.first = {}      # object key -> (its first config, the frame that holds it)
        self.open = set()    # the frames (get_config calls) not returned yet
        self.ids = {}        # object key -> the id written
        self.alive = []      # (objects standing for keys that have no Python object)
        self.frames = 0

    def _id(self, key):
        """Keras writes `id(obj)`; an object without a Python one here (the default policy,
        a layer's own initializer) gets the id of an object standing for it."""
        if key not in self.ids:
            if key[0] == "object":
                self.ids[key] = key[1]
            else:
                stand_in = object()
                self.alive.append(stand_in)
                self.ids[key] = id(stand_in)
        return self.ids[key]

    def record(self, key, entry, frame):
        """Keras's record_object_after_serialization of the object `key` whose config is
        `entry`, placed in the config being made by `frame`."""
        if key is None:
            return
        if key not in self.first:
            self.first[key] = (entry, frame)
            return
        entry["shared_object_id"] = self._id(key)
        first, held_by = self.first[key]
        if held_by in self.open:
            first["shared_object_id"] = self._id(key)

    def object(self, entry, obj, frame, read=False):
        """A serialized object (`{"class_name", "config", ...}`) made from `obj` (None where
        no Python object made it), its config's objects walked in its get_config's order
        (the layers it holds before its own dtype, as Keras's Sequential and wrappers serialize
        them). `read`: held by a model read from a file (each layer's dtype policy its own)."""
        from .layers import Layer
        from .models import Model, _ModelLayer
        config = entry.get("config")
        read = read or obj is not None and bool(obj.__dict__.get("_policy_read"))
        self.frames += 1
        own = self.frames
        self.open.add(own)
        if isinstance(config, dict):
            args = getattr(obj, "_args", None) if isinstance(obj, Layer) else None
            subclass = isinstance(obj, Model) and obj._is_subclass_model()
            if subclass:   # its get_config's own order (super()'s dtype first); its layers by name
                args = {k: _held_layer(obj, v) for k, v in config.items() if _serialized(v) and _is_layer_entry(v)}
            keys = list(config) if subclass else \
                sorted(config, key=lambda k: not (k == "layers" or _serialized(config[k]) and _is_layer_entry(config[k])))
            cell = entry.get("class_name") in _CELL_LAYERS
            for key in keys:
                value = config[key]
                if key == "layers" and isinstance(value, list):
                    held = {}
                    for layer in (obj.__dict__.get("_layers") if isinstance(obj, Model) else None) or []:
                        layer = layer._model if isinstance(layer, _ModelLayer) else layer
                        held.setdefault(layer.name, layer)
                    for item in value:
                        if isinstance(item, dict):
                            name = item.get("name") or (item.get("config") or {}).get("name")
                            self.object(item, held.get(name), own, read)
                elif not _serialized(value):
                    continue
                elif key == "dtype":
                    default = isinstance(obj, (Layer, Model)) and obj.__dict__.get("_dtype") is None \
                        and not read
                    if default and cell:   # (its cell, made with the same policy, came first)
                        self.record(_DEFAULT_POLICY, {}, None)
                    self.record(_DEFAULT_POLICY if default else None, value, own)
                elif key.endswith(_OBJECT_ARGUMENTS):
                    given = (args or {}).get(key)
                    if given is not None and not isinstance(given, (str, dict)):
                        made = ("object", id(given))        # the user's instance
                    else:
                        made = ("made", id(obj) if obj is not None else id(entry), key)  # the layer's own
                    if cell and key != "activity_regularizer":
                        self.record(made, {}, None)   # (first in its cell's config, dropped)
                    self.record(made, value, own)
                elif _is_layer_entry(value):
                    inner = (args or {}).get(key)
                    if entry.get("class_name") in _CLONING_WRAPPERS or not isinstance(inner, (Layer, Model)):
                        inner = None
                    self.object(value, inner, own, read)       # a wrapper's layer
        self.open.discard(own)
        if isinstance(obj, (Layer, Model)) and entry.get("class_name") != "InputLayer":
            self.record(("object", id(obj)), entry, frame)


def _held_layer(model, entry):
    """The layer of a subclassed `model` that a serialized layer in its config names."""
    name = entry["config"].get("name")
    return next((layer for layer in model.layers if getattr(layer, "name", None) == name), None)


def _serialized(value):
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _is_layer_entry(value):
    """A serialized layer (a wrapper's or an RNN's): a config with a name and a dtype."""
    config = value.get("config")
    return isinstance(config, dict) and "name" in config and "trainable" in config
