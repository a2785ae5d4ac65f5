"""Layers (Keras `keras.layers`).

The built-in layer classes come from the library's catalogue (`from swiftkeras.layers import
Dense` asks the library for "Dense"): each stores its constructor arguments as Keras does and
hands them to the library as the layer's Keras config. Weights live in the library once the
layer belongs to a built model; `layer.kernel`, `layer.get_weights()` and `layer(x)` read them
from there.

Subclass `Layer` to write a layer in Python: `build` (calling `add_weight`), `call` and
`backward` on numpy arrays, `compute_output_shape`, `get_config`.
"""

from __future__ import annotations

import ctypes
import functools
import json
import math
import random as _py_random
import textwrap
import types

import numpy as np

# _plugins, _python_layers and _default_seeds at the top, not in the methods: a function's
# `from . import` runs importlib's Python (_handle_fromlist, the spec's parent) on every call,
# and every layer made, and every layer of every model config, called some of them.
from . import (_catalog, _cells, _default_seeds, _lib, _native, _objects, _packed_inputs, _plugins,
               _python_layers, _rnn_states, _text_callables, _variables, _vocabulary)
from .random import constructor_generator_names
from . import _box_augment, _scopes, _traced_regularizers
from ._objects import serialize as _serialize, snake_case, unique_name
from .dtype_policies import layer_dtype
from ._tensor_ops import TensorOperators

_BASE_KWARGS = ("input_shape", "input_dim", "batch_size", "batch_input_shape", "input_length")


class PositionalCall(tuple):
    """The tensors of a functional call that passes them as separate positional arguments
    (`MultiHeadAttention()(query, value)`), with its other keyword arguments (`kwargs`)."""

    kwargs: dict = {}
    # Its tensors given by keyword (`value_mask=m`), written in its node's kwargs.
    keyword_tensors: dict = {}
    # A layer written in Python called on several arguments (keras.io's endpoint layer,
    # `endpoint(logits, targets, sample_weight)`): its (args, kwargs) as given, tensors in place.
    arguments = None


_NO_INPUTS = object()   # a call passing every argument by keyword


def _tensors_in(value):
    """The KerasTensors in `value` (nested lists, tuples and dicts), in order: a dict's by its
    sorted keys, as Keras flattens a call's arguments into its node's tensors."""
    if isinstance(value, KerasTensor):
        return [value]
    if isinstance(value, dict):
        value = [value[k] for k in sorted(value)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors_in(v)]
    return []


def _calls_on_arrays_in_model_trace(layer, arguments):
    """While a subclassed model's call is traced into a graph of layers, a layer called on no
    symbolic tensor (on arrays the model holds: keras.io's GNN node classifier) ends that trace:
    Keras runs such a call in every step, so the model's whole call is traced as one layer
    instead (_model_vars.CallsOnArrays)."""
    from . import _model_vars
    if _model_vars.tracing() is not None and not _tensors_in(arguments):
        raise _model_vars.CallsOnArrays(layer)


def _unserializable_init_refused(obj):
    """Keras's NotImplementedError of the automatic `get_config` of a layer or model given
    constructor values it cannot hold (Operation.get_config)."""
    example = """
            class CustomLayer(keras.layers.Layer):
                def __init__(self, arg1, arg2, **kwargs):
                    super().__init__(**kwargs)
                    self.arg1 = arg1
                    self.arg2 = arg2

                def get_config(self):
                    config = super().get_config()
                    config.update({
                        "arg1": self.arg1,
                        "arg2": self.arg2,
                    })
                    return config
            """
    raise NotImplementedError(textwrap.dedent(f"""
            Object {type(obj).__name__} was created by passing
            non-serializable argument values in `__init__()`,
            and therefore the object must override `get_config()` in
            order to be serializable. Please implement `get_config()`.

            Example:

            {example}"""))


def _check_positional(values):
    """Keras: only tensors (or None) are passed positionally, in any nesting of lists, tuples
    and dicts (keras.io's VariableSelection takes a dict of inputs)."""
    for value in values:
        if isinstance(value, (list, tuple, dict)):
            _check_positional(value.values() if isinstance(value, dict) else value)
        elif value is not None and not isinstance(value, (KerasTensor, np.ndarray)):
            raise ValueError(f"Only input tensors may be passed as positional arguments. The "
                             f"following argument value should be passed as a keyword argument: "
                             f"{value} (of type {type(value)})")


class KerasTensor(TensorOperators):
    """A symbolic tensor of the functional API: where it comes from, not what it holds.
    Operators and `swiftkeras.ops` on it add layers to the graph (ops._functional)."""

    def __init__(self, shape, layer=None, node_index=0, tensor_index=0, dtype="float32", *,
                 sparse=False, ragged=False, record_history=True, name=None):
        # (`keras.KerasTensor(shape=..., dtype=...)` as a user makes one: no layer behind it;
        # Keras's positional dtype comes second)
        if isinstance(layer, str):
            layer, dtype = None, layer
        if name is not None or layer is None:   # (Keras's automatic names: keras_tensor_1, ...)
            self._name = name if name is not None else unique_name("keras_tensor")
        self._shape = tuple(shape) if shape is not None else None
        self.dtype = dtype
        self._keras_history = (layer, node_index, tensor_index)

    @property
    def shape(self):
        """The tensor's shape, None for the batch (Keras: `KerasTensor.shape`). A layer
        output's shape is what the library builds for it, once, when the shape is first asked
        for (models._symbolic_shape); None where the library cannot build it."""
        if self._shape is None and not self.__dict__.get("_shape_probed"):
            from .models import _symbolic_shape
            self._shape_probed = True
            self._shape = _symbolic_shape(self)
        return self._shape

    @shape.setter
    def shape(self, value):
        self._shape = tuple(value) if value is not None else None

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def name(self):
        layer = self._keras_history[0]
        return layer.name if layer is not None else self.__dict__.get("_name", "keras_tensor")

    def _config(self):
        layer, node, tensor = self._keras_history
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(self._shape) if self._shape is not None else None,
                           "dtype": self.dtype, "keras_history": [layer.name, node, tensor]}}

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, ragged=False, name={self.name}>"

    def __iter__(self):
        raise TypeError(f"{self!r} is not iterable (index it with x[i], or ops.split)")

    @property
    def _keras_mask(self):
        """Keras's `_keras_mask` of a symbolic tensor: the mask the graph gives it (a boolean
        KerasTensor, as the layers' `compute_mask` make it), None where it has none. Made once:
        the ops a `compute_mask` does are nodes of the graph, as Keras's."""
        if "_mask_made" not in self.__dict__:
            self.__dict__["_mask_made"] = self._make_keras_mask()
        return self.__dict__["_mask_made"]

    def _make_keras_mask(self):
        layer, node, index = self._keras_history
        inbound = getattr(layer, "__dict__", {}).get("_inbound") or []
        if node >= len(inbound) or not (layer._computes_own_mask() or layer.supports_masking):
            return None
        inputs = inbound[node]
        given = _call_kwargs_of(layer, node).get("mask")
        if isinstance(given, KerasTensor):   # `layer(x, mask=m)`: Keras's previous mask is m
            previous = given
        elif isinstance(inputs, (list, tuple)):
            previous = [t._keras_mask if isinstance(t, KerasTensor) else None for t in inputs]
        else:
            previous = inputs._keras_mask if isinstance(inputs, KerasTensor) else None
        mask = layer.compute_mask(inputs, previous)
        if isinstance(mask, (list, tuple)):
            return mask[index] if index < len(mask) else None
        return mask

    __hash__ = object.__hash__



# The croppings' default `cropping` (Keras's): a crop of nothing returns its input itself.
_CROPPINGS = {"Cropping1D": 1, "Cropping2D": 0, "Cropping3D": 1}


def _mask_reaches(tensor):
    """Whether a mask reaches symbolic `tensor` when the model runs: its `_keras_mask`, or, past
    layers that return their input itself (whose output Keras's symbolic call leaves without
    one, and its node records mask=None) and layers passing their input's mask on, the mask of
    that input, which the array keeps."""
    while isinstance(tensor, KerasTensor):
        if tensor._keras_mask is not None:
            return True
        layer, node, _ = tensor._keras_history
        inbound = getattr(layer, "__dict__", {}).get("_inbound") or []
        if node >= len(inbound) or not isinstance(inbound[node], KerasTensor) or not (
                _returns_its_input(layer, inbound[node], tensor) or
                (layer.supports_masking and not layer._computes_own_mask())):
            return False
        tensor = inbound[node]
    return False


def _returns_its_input(layer, inputs, output):
    """Whether the call of `layer` on the one symbolic tensor `inputs` giving `output` returns
    its input unchanged, as the library's `returnsItsInput`: a Reshape to the input's own shape,
    the identity Permute, a crop of nothing."""
    if not isinstance(layer, _BuiltinLayer) or not isinstance(inputs, KerasTensor):
        return False
    args = layer.__dict__.get("_args") or {}
    if layer.class_name == "Reshape":
        return tuple(output.shape) == tuple(inputs.shape)
    if layer.class_name == "Permute":
        dims = tuple(args.get("dims") or ())
        return dims == tuple(range(1, len(dims) + 1))
    if layer.class_name in _CROPPINGS:
        return all(v == 0 for v in np.ravel(np.asarray(args.get("cropping", _CROPPINGS[layer.class_name]), dtype=object)))
    return False


def _check_weight_arguments(what, whose, dtype, kwargs, integers=False):
    """`add_weight`'s arguments the library cannot honour, refused: float32 only (or, where
    `integers`, the integer dtypes it holds as Keras on jax does: int32, int64 held as int32,
    uint32), and none of Keras's other keywords but the distribution ones that change nothing on
    one device. Returns the dtype's name."""
    unsupported = {k: v for k, v in kwargs.items()
                   if v is not None and k not in ("autocast", "aggregation", "synchronization")}
    if unsupported:
        raise NotImplementedError(f"{what}: {sorted(unsupported)} are not supported for {whose}")
    try:
        name = "float32" if dtype is None else str(np.dtype("int32" if dtype == "int" else dtype))
    except TypeError:
        name = str(dtype)
    allowed = ("float32", "int32", "int64", "uint32") if integers else ("float32",)
    if name not in allowed:
        raise TypeError(f"{what}: the library holds weights of dtype {', '.join(allowed)} for "
                        f"{whose}, got dtype={dtype}")
    return name

def _warn_unbuilt_state(layer):
    """Keras's default `build()` (a subclass without its own): it marks the layer (or model)
    built and makes no weights, warning, with Keras's words, when a layer it holds is not
    built (`might_have_unbuilt_state`)."""
    if any(not item.built for _, _, _, item in _tracked_sublayers(layer)):
        import warnings
        warnings.warn(f"`build()` was called on layer '{layer.name}', however the layer does not "
                      f"have a `build()` method implemented and it looks like it has unbuilt "
                      f"state. This will cause the layer to be marked as built, despite not being "
                      f"actually built, which may cause failures down the line. Make sure to "
                      f"implement a proper `build()` method.", stacklevel=3)


class Layer(_variables.LayerBasics):
    """Base of every layer. Keras: `keras.layers.Layer`."""

    class_name = "Layer"
    _records_init = True   # a subclass's constructor arguments are its automatic config
    # Read for every layer at each model's build (a miss would cost an exception): the weights
    # a layer brings into the next library model that holds it (none yet), and whether it is an
    # operation's node rather than a layer (ops._functional's, _model_vars's).
    _pending_weights = None
    _op_node = False

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        if cls._records_init:
            # Keras's automatic config (Operation.__new__): the plain constructor arguments,
            # defaults included, which `get_config` returns when the class has none of its own
            # (the base Layer's own: activity_regularizer, trainable, dtype, autocast).
            layer._init_kwargs = _objects.init_arguments(cls, args, kwargs, defaults=True,
                                                         keep_trainable=True)
            if not cls.__module__.startswith("swiftkeras"):   # (a user's class: the library's
                # own, as OpLayer, have configs of their own making)
                layer._init_unserializable = _objects.unserializable_arguments(cls, args, kwargs)
        return layer

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("build")
        if own is not None and not cls.__module__.startswith("swiftkeras"):
            cls.build = _builds_in_library(own)

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        self._init_base(trainable, name, dtype, kwargs)
        # Keras's base Layer arguments, in the config Keras writes for a layer without its own
        # get_config: autocast is kept; an activity regularizer needs the library's layers.
        self._autocast = bool(autocast)
        if activity_regularizer is not None:
            raise NotImplementedError(f"{type(self).__name__}: activity_regularizer is not supported "
                                      f"for layers written in Python (add the penalty with "
                                      f"self.add_loss in a call written with ops)")
        if kwargs:   # (Keras's ValueError)
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{kwargs}")
        self.built = False

    # -- shared construction ---------------------------------------------------------------
    def _init_base(self, trainable, name, dtype, kwargs):
        # Keras's checks of the base arguments (Operation's of the name, Layer's of trainable)
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError(f"Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name} (of type {type(name)})")
        if not isinstance(trainable, bool):
            raise ValueError(f"Expected `trainable` to be a boolean. Received: trainable={trainable} "
                             f"(of type {type(trainable)})")
        self.trainable = trainable
        self._name = name or unique_name(snake_case(_PYTHON_CLASS_NAMES.get(self._class_name(), self._class_name())))
        self._dtype = layer_dtype(dtype, self._name)   # a policy's name; refused if not float32
        self._owner = None       # the Model whose library handle holds this layer's weights
        self._index = None       # its position in owner.layers
        self._inbound = []       # functional calls: list of input KerasTensor (lists)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        input_length = kwargs.pop("input_length", None)
        if input_shape is None and input_dim is not None:
            input_shape = (input_dim,) if input_length is None else (input_length, input_dim)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            if isinstance(input_shape, int):
                input_shape = (input_shape,)
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        else:
            self._batch_input_shape = None

    def _class_name(self):
        return type(self).__dict__.get("class_name") or type(self).__name__

    @property
    def _index(self):
        """Its position in owner.layers, read from the library the first time it is needed."""
        index = self.__dict__.get("_index_value")
        if index is None and self._owner is not None and self._owner._handle is not None:
            self._owner._layers_info()
            index = self.__dict__.get("_index_value")
        return index

    @_index.setter
    def _index(self, value):
        self._index_value = value

    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype or "float32"

    # -- Keras's Layer attributes (the dtype family: _variables.LayerBasics) ---------------
    @property
    def autocast(self):
        own = self.__dict__.get("_autocast")
        return own if own is not None else bool((self.__dict__.get("_args") or {}).get("autocast", True))

    @property
    def activity_regularizer(self):
        from . import regularizers
        return regularizers.get((self.__dict__.get("_args") or {}).get("activity_regularizer"))

    #: Keras's `supports_masking` (a built-in layer's is its class's, from the catalogue) and
    #: `input_spec` (a built-in layer's is Keras's for its class: _BuiltinLayer; the library
    #: checks the inputs itself, with its messages).
    supports_masking = False
    input_spec = None

    @property
    def metrics(self):
        """Keras 3 `layer.metrics`: the metric objects a layer tracks; the library's layers
        track none."""
        return []

    @property
    def metrics_variables(self):
        return []

    @property
    def path(self):
        """Keras's `layer.path`: where its weights live ("sequential/dense", "dense"), or for a
        layer without weights the name scope it was built in; None before (and for a layer
        Keras builds in its constructor), as in Keras."""
        for v in self.weights:
            parts = v.path.split("/")
            if self.name in parts:
                return "/".join(parts[:parts.index(self.name) + 1])
        self._build_where_held()
        owner = self.__dict__.get("_owner")
        if owner is None or owner._handle is None or not self._has_own_build():
            return None
        if type(owner).__name__ == "Sequential" and not getattr(owner, "_single_layer", False):
            return f"{owner.name}/{self.name}"
        return self.name

    @property
    def input(self):
        """Keras `layer.input`: the input tensor(s) of its first functional call."""
        return self._node_tensors("input")

    @property
    def output(self):
        """Keras `layer.output`: the output tensor(s) of its first functional call."""
        return self._node_tensors("output")

    def _node_tensors(self, what):
        owner = self.__dict__.get("_owner") or self.__dict__.get("_sequential")
        if not self._inbound and owner is not None and hasattr(owner, "_symbolic_graph") and \
                not hasattr(owner, "_symbolic_chain"):
            owner._symbolic_graph()   # a loaded functional model's calls, replayed
        tensor = self.__dict__.get("_input_tensor")
        if tensor is not None and not self._inbound:   # an Input: Keras's node without inputs
            return tensor if what == "output" else []
        if not self._inbound and owner is not None and hasattr(owner, "_symbolic_chain") and \
                not getattr(owner, "_single_layer", False):
            try:   # a Sequential calls its layers on its Input, as Keras builds its graph
                owner._symbolic_chain(what)
            except AttributeError:
                pass
        if not self._inbound:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no "
                                 f"defined {what}.")
        if what == "input":
            inputs = self._inbound[0]
            return list(inputs) if isinstance(inputs, tuple) else inputs
        # The first call's outputs: several for a recurrent layer with return_state (Keras's
        # `layers[2].output` is then the list [output, state_h, state_c]).
        first = [t for t in self.__dict__.get("_outbound") or [] if t._keras_history[1] == 0]
        if len(first) > 1:
            return first
        return first[0] if first else KerasTensor(None, self, 0, 0)

    def compute_output_spec(self, inputs, *args, **kwargs):
        """Keras `compute_output_spec`: a symbolic tensor of the output's shape."""
        shape = inputs.shape if hasattr(inputs, "shape") else inputs
        return KerasTensor(self.compute_output_shape(tuple(shape)), None)

    def symbolic_call(self, *args, **kwargs):
        return self.compute_output_spec(*args, **kwargs)

    def get_build_config(self):
        """Keras `get_build_config`: the input shape the layer was built with; None unbuilt,
        and None for a layer without a `build` of its own (Keras records the shape there)."""
        owner = self.__dict__.get("_owner") or self.__dict__.get("_parent")
        if owner is None or (isinstance(owner, Layer) and owner._variable_model() is None) or \
                getattr(owner, "_handle", True) is None or not self._has_own_build():
            return None
        try:
            inputs = self.input
        except AttributeError:
            return {"input_shape": self.input_shape}
        # Keras builds the layers of a subclassed model with its first call's batch
        traced_in = self.__dict__.get("_traced_in")
        batch = traced_in.__dict__.get("_built_batch") if traced_in is not None else None

        def shape(t):
            dims = tuple(t.shape)
            return (batch,) + dims[1:] if batch is not None and dims and dims[0] is None else dims
        if isinstance(inputs, (list, tuple)):
            shapes = [shape(t) for t in inputs]
            names = _BUILD_ARGUMENTS.get(getattr(self, "class_name", None))
            if names:   # Keras records a build of named shapes as such
                return {"shapes_dict": dict(zip(names, shapes))}
            return {"input_shape": shapes}
        return {"input_shape": shape(inputs)}

    def _has_own_build(self):
        return type(self).build is not Layer.build

    def build_from_config(self, config):
        """Keras `build_from_config`: builds the layer for `get_build_config()`'s shape."""
        if config and config.get("input_shape") is not None:
            self.build(config["input_shape"])

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Keras `add_variable`: `add_weight` with Keras's other argument order."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, regularizer=regularizer,
                               constraint=constraint, name=name)

    def enable_lora(self, rank, a_initializer="he_uniform", b_initializer="zeros"):
        raise NotImplementedError(f"{type(self).__name__}.enable_lora: the library's layers have "
                                  f"no LoRA form; freeze layers with `layer.trainable = False` "
                                  f"to fine-tune part of a model")

    # -- config ----------------------------------------------------------------------------
    def get_config(self) -> dict:
        config = {"name": self.name}
        auto = self.__dict__.get("_init_kwargs")
        if auto is not None and type(self).get_config is Layer.get_config:
            self._refuse_unserializable_init()
            # Keras's automatic config: the constructor's arguments, without `name` where the
            # constructor takes neither it nor a `**kwargs` of that name (Keras's test), in
            # their order (trainable and dtype then set in place).
            config.update(auto)
            if not _takes_name_as_keras_reads_it(type(self)):
                del config["name"]
        config["trainable"] = self.trainable
        # Keras's base config carries the dtype policy, serialized (a quantized layer's: the
        # library's model made again from these configs builds it quantized)
        quantized = self.__dict__.get("_quantized_dtype")
        config["dtype"] = {"module": "keras", "class_name": "DTypePolicy",
                           "config": {"name": self.dtype}, "registered_name": None} if quantized is None else quantized
        return config

    def _refuse_unserializable_init(self):
        """Keras's NotImplementedError of `get_config` (and so of a model's get_config, to_json
        and save) for a layer whose class has no get_config of its own and was given a value
        its automatic config cannot hold (keras.io's MIL attention layer given
        `kernel_regularizer=L2(0.01)`); not while the binding reads the config for the library."""
        if not self.__dict__.get("_init_unserializable") or \
                type(self).get_config is not Layer.get_config or _traced_regularizers.reading():
            return
        _unserializable_init_refused(self)

    @classmethod
    def from_config(cls, config):
        # Keras's base Layer arguments (name, trainable, dtype) where the constructor does not
        # take them (a file Keras wrote for a layer without **kwargs): set after construction.
        base = {k: config[k] for k in ("name", "trainable", "dtype") if k in config and not _takes(cls, k)}
        with _catalog.reading_config():   # (Keras's from_config skips a few constructor checks)
            layer = cls(**{k: v for k, v in config.items() if k not in base})
        if "name" in base:
            layer._name = base["name"]
        if "trainable" in base:
            layer.trainable = bool(base["trainable"])
        return layer

    def _layer_entry(self) -> dict:
        """The entry of this layer in a model config: Keras's serialize_keras_object form."""
        registered = None
        if not isinstance(self, _BuiltinLayer) or _subclasses_builtin(self):
            if isinstance(self, _BuiltinLayer):
                _check_builtin_subclass(self)
            registered = _python_layers.register_layer_class(type(self))
        config = self._library_config()
        class_name = self._class_name()
        if class_name == "InputLayer":  # Keras's InputLayer keys, nothing else
            config = {"batch_shape": config.get("batch_shape"), "dtype": self.dtype,
                      "sparse": False, "name": self.name}
        module = "keras.layers" if registered is None else type(self).__module__
        if registered is not None and type(self).__dict__.get("_registered_name") == class_name:
            # The binding's Python class standing for a Keras one (Lambda): Keras's entry.
            module, registered = "keras.layers", None
        if registered is None and isinstance(self, _BuiltinLayer) and \
                _catalog.layer_module(class_name) != "keras.layers":
            # A class Keras keeps in its own module (ConvNeXt's LayerScale), as Keras saves it.
            module, registered = _catalog.layer_module(class_name), class_name
        return {"module": None if module == "__main__" else module,   # (Keras's for __main__)
                "class_name": class_name, "config": config, "registered_name": registered}

    def _library_config(self) -> dict:
        """The config the library's layer is made from (`get_config()` unless a layer keeps
        something in Python, as TextVectorization's callables)."""
        with _traced_regularizers.unchecked():   # (the library makes such a regularizer)
            return _packed_inputs.with_config(self, {"name": self.name, **self.get_config()})

    # -- weights ---------------------------------------------------------------------------
    def _weights_info(self) -> list[dict]:
        parent = self.__dict__.get("_parent")
        if parent is not None:   # a layer inside another (an RNN's cell, a wrapper's layer)
            held = [w for w in parent._weights_info() if self.name in w["name"].split("/")[:-1]]
            owner = self.__dict__.get("_owner")
            if held or owner is None or owner._handle is None:
                return held
            # (built on its own in the build of the layer holding it, which the library is
            # building again: keras.io's PixelCNN reads `self.conv.kernel` there)
        self._build_where_held()
        if self._owner is None or self._owner._handle is None:
            return []
        return self._owner._layers_info()[self._index]["weights"]

    def _build_where_held(self, alone=True):
        """Keras builds a layer when the model holding it is made with its inputs known (a
        Sequential given its Input, a functional model: its layers were built by their calls),
        a subclassed model's layers when it is first called, and a layer called on its own (on
        symbolic tensors too) by that call. Here the library model that builds it is made when
        its weights (or its built config) are first needed: the Sequential holding it with its
        input known, the subclassed model it was traced in (which shares the outer model's
        variables), the first functional model made of it still alive, else, with `alone` and
        outside the library's reading of a model, a private one of its first symbolic call
        (`Dense(3)(keras.Input((4,)))`: a model made of it later holds it, with its variables,
        as Keras's). A model already being made (its config reads its layers') is not made
        again."""
        if self.__dict__.get("_owner") is not None:
            return
        sequential, traced = self.__dict__.get("_sequential"), self.__dict__.get("_traced_in")
        functional = next((m for m in (ref() for ref in self.__dict__.get("_functional_in") or ())
                           if m is not None and not m.__dict__.get("_shape_probe")), None)
        if sequential is not None and sequential._input_batch_shape is not None and self in sequential._layers:
            model, build = sequential, lambda: sequential.build(tuple(sequential._input_batch_shape))
        elif traced is not None and traced.__dict__.get("_traced_subclass"):
            model, build = traced, traced._ensure_handle
        elif functional is not None and functional._functional is not None and not functional._subclassed():
            model, build = functional, functional._ensure_handle
        else:
            if alone and self._inbound and not getattr(self, "_op_node", False) and \
                    not _python_layers.library_reading():   # (a build reading its attributes)
                _build_for_first_call(self)
            return
        if model._handle is not None or model.__dict__.get("_building_for_layer"):
            return
        model._building_for_layer = True   # (its config reads this layer's)
        try:
            build()
        finally:
            model._building_for_layer = False

    def _weight_array(self, info) -> np.ndarray:
        return self._variable_model()._get_weight(info)   # a sublayer's: its holder's model

    # Keras's Variable objects (swiftkeras._variables): `layer.weights[i].assign(w)` changes
    # the model's weights; `get_weights()` gives numpy copies.
    def _variable_infos(self):
        return self._weights_info()

    def _variable_model(self):
        parent = self.__dict__.get("_parent")
        return parent._variable_model() if parent is not None else self.__dict__.get("_owner")

    def get_weights(self):
        memo = {}
        return [_variables.in_keras_dtype(self, w, self._weight_array(w), memo) for w in self._weights_info()]

    def set_weights(self, weights):
        infos = self._weights_info()
        if len(weights) != len(infos):
            raise ValueError(f"Layer {self.name} weight shape mismatch: you called set_weights "
                             f"with a list of {len(weights)} weights, but the layer expects "
                             f"{len(infos)} weights.")
        for info, w in zip(infos, weights):
            self._variable_model()._set_weight(info, w)

    def save_own_variables(self, store):
        """Keras `save_own_variables`: the layer's weights (trainable first) as numpy arrays,
        under the keys "0", "1", ..."""
        for i, v in enumerate(_own_variables(self)):
            store[f"{i}"] = v.numpy()

    def load_own_variables(self, store):
        """Keras `load_own_variables`: sets the weights from `save_own_variables`'s store."""
        own = _own_variables(self)
        if len(store.keys()) != len(own):
            if not own and not self.built:
                raise ValueError(f"Layer '{self.name}' was never built and thus it doesn't have "
                                 f"any variables. However the weights file lists "
                                 f"{len(store.keys())} variables for this layer.")
            raise ValueError(f"Layer '{self.name}' expected {len(own)} variables, but received "
                             f"{len(store.keys())} variables during loading. Expected: "
                             f"{[v.name for v in own]}")
        for i, v in enumerate(own):
            v.assign(store[f"{i}"])

    def count_params(self):
        return int(sum(math.prod(w["shape"]) for w in self._weights_info()))

    @property
    def input_shape(self):
        self._require_owner("input_shape")
        return _shape_tuple(self._owner._layers_info()[self._index].get("input_shape"))

    @property
    def output_shape(self):
        self._require_owner("output_shape")
        return _shape_tuple(self._owner._layers_info()[self._index].get("output_shape"))

    def _require_owner(self, what):
        if self._owner is None or self._owner._handle is None:
            raise AttributeError(f"The layer {self.name} has never been called and thus has no "
                                 f"defined {what}.")

    def __getattr__(self, item):
        # Weights by name (layer.kernel, layer.bias) once the library holds them.
        if item.startswith("_"):
            raise AttributeError(item)
        self._build_where_held()
        for v in (self.__dict__.get("_owner") or self.__dict__.get("_parent")) and self.weights or []:
            if v.name == item:
                return v
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{item}'")

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        elif "query" in kwargs and self.__dict__.get("class_name", type(self).class_name) in (
                "MultiHeadAttention", "GroupQueryAttention"):
            # Keras's `attention(query=x, value=x, key=x)` (keras.io's translation transformer)
            inputs = kwargs.pop("query")
        else:   # every argument by keyword: `endpoint(logits=..., targets=...)`
            inputs = _NO_INPUTS
        _scopes.note_build_scope(self)
        if not self.__dict__.get("_build_names_taken"):
            _take_build_names(self)
        if inputs is not _NO_INPUTS and _trace_state().__dict__.get("trace") is not None:
            # Called inside another layer's traced call: a node of that layer's graph.
            from .ops._trace import calling_layer
            out = calling_layer(self, inputs, args, kwargs)
            if out is not None:
                return out
        if inputs is not _NO_INPUTS:
            _calls_on_arrays_in_model_trace(self, [inputs, list(args), kwargs])
        given_mask = None
        if inputs is not _NO_INPUTS and _tensors_in([kwargs.get("mask")]) and _tensors_in([inputs]):
            # `layer(x, mask=m)` on symbolic tensors: m is the mask of the call's node (Keras
            # writes it in the node's kwargs), not one of its inputs.
            kwargs = dict(kwargs)
            given_mask = kwargs.pop("mask")
        if (args or any(k != "training" for k in kwargs) or isinstance(inputs, dict)) and \
                not isinstance(self, _BuiltinLayer) and not isinstance(inputs, PositionalCall) and \
                _tensors_in(list(kwargs.values()) if inputs is _NO_INPUTS else inputs):
            # Several arguments (positional and keyword) to a layer written in Python: one node
            # with the tensors among them, saved as Keras saves the call.
            kwargs = {k: v for k, v in kwargs.items() if k != "training"}
            given = [inputs, *args] if inputs is not _NO_INPUTS else list(args)
            _check_positional(given)
            call = PositionalCall(_tensors_in(given) + _tensors_in(list(kwargs.values())))
            call.arguments = (given, kwargs)
            return self(call)
        if isinstance(self, _BuiltinLayer) and not isinstance(inputs, PositionalCall) and (
                kwargs.get("initial_state") is not None or
                (isinstance(inputs, (list, tuple)) and self.class_name in _rnn_states.LAYERS) or
                (not _tensors_in(inputs) and _rnn_states.output_count(self) > 1)):
            return _rnn_states.call(self, inputs, kwargs)   # `initial_state`, `return_state`
        if inputs is _NO_INPUTS:
            raise TypeError(f"{type(self).__name__}.__call__() missing 1 required positional "
                            f"argument: 'inputs'")
        if isinstance(self, _BuiltinLayer) and self.class_name == "CategoryEncoding" and \
                kwargs.get("count_weights") is not None and not _tensors_in([inputs]):
            return _weighted_counts(self, inputs, kwargs["count_weights"])
        if isinstance(self, _BuiltinLayer) and self.class_name == "MaxNumBoundingBoxes" and isinstance(inputs, dict):
            return _bounding_boxes_padded(self, inputs, kwargs.get("training"))
        if isinstance(self, _BuiltinLayer) and self.class_name == "MixUp" and isinstance(inputs, dict):
            return _mixed_up(self, inputs, kwargs.get("training"))
        if isinstance(self, _BuiltinLayer) and self.class_name == "CutMix" and isinstance(inputs, dict):
            return _cut_mixed(self, inputs, kwargs.get("training"))
        if isinstance(self, _BuiltinLayer) and self.class_name == "RandomElasticTransform" and isinstance(inputs, dict):
            return _box_augment.elastic(self, inputs, kwargs.get("training"),
                                        lambda x, training: self(x, training=training))
        if isinstance(self, _BuiltinLayer) and self.class_name in _PHOTOMETRIC and isinstance(inputs, dict):
            return _images_only(self, inputs, kwargs.get("training"))
        if isinstance(self, _BuiltinLayer) and self.class_name in _box_augment.DICT_LAYERS and isinstance(inputs, dict):
            return _box_augment.augment(self, inputs, kwargs.get("training"),
                                        lambda x, training: self(x, training=training))
        if isinstance(self, _BuiltinLayer) and self.class_name == "AugMix" and not args and \
                kwargs.get("training", True) is not False and not isinstance(inputs, (dict, list, tuple)) and \
                not _tensors_in([inputs]) and _lib.has("keras_model_layer_aug_mix"):
            return _aug_mixed(self, inputs)
        if isinstance(self, _BuiltinLayer) and self.class_name == "MelSpectrogram" and \
                not isinstance(inputs, (list, tuple)) and not _tensors_in([inputs]) and np.ndim(inputs) == 1:
            # Keras's unbatched signal `(samples,)`: an eager call here runs over a batch axis.
            return self(np.asarray(inputs)[None], *args, **kwargs)[0]
        if isinstance(self, _BuiltinLayer) and \
                _catalog.layer_call_masks(self.class_name) == "attention" and \
                not isinstance(inputs, PositionalCall) and not _tensors_in([inputs, list(args), kwargs]):
            return _attention_on_arrays(self, inputs, args, kwargs)
        if isinstance(self, _BuiltinLayer) and self.class_name in ("Attention", "AdditiveAttention") and \
                isinstance(inputs, (list, tuple)) and not isinstance(inputs, PositionalCall) and \
                _tensors_in([inputs]) and any(kwargs.get(k) for k in _ATTENTION_KEYWORDS):
            # Keras writes the call's keywords in its node: `attention([q, v], use_causal_mask=True)`.
            call = PositionalCall(list(inputs))
            call.arguments = ([list(inputs)], {k: True for k in _ATTENTION_KEYWORDS if kwargs.get(k)})
            return self(call) if given_mask is None else self(call, mask=given_mask)
        extra = [a for a in args if isinstance(a, KerasTensor)]
        if isinstance(kwargs.get("key"), KerasTensor):
            extra.append(kwargs.pop("key"))
        if extra and isinstance(inputs, KerasTensor):
            # `MultiHeadAttention()(query, value)`: several tensors as positional arguments.
            call = PositionalCall([inputs, *extra])
            call.kwargs = {k: v for k, v in kwargs.items() if k != "training" and not isinstance(v, KerasTensor)}
            # Masks given as tensors (`value_mask=m`): Keras records them in the node's kwargs.
            call.keyword_tensors = {k: v for k, v in kwargs.items() if isinstance(v, KerasTensor)}
            return self(call) if given_mask is None else self(call, mask=given_mask)
        flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) > 1 and not isinstance(self, _BuiltinLayer):
            # One node of the library's graph with every input (include/keras.h,
            # keras_layer_builder_input_count); called on arrays, a private model takes them packed.
            if not all(isinstance(t, KerasTensor) for t in flat):
                return self._call_eagerly(_packed_inputs.pack_values(self, flat),
                                          kwargs.get("training", False))
        if len(flat) > 1 and isinstance(self, _BuiltinLayer) and \
                all(isinstance(t, np.ndarray) or hasattr(t, "__array__") for t in flat):
            # `layers.Add()([a, b])` on arrays: Keras returns the result.
            _eager_mask(self, inputs, kwargs.get("mask"))
            return _integers_kept(self, flat, self._call_eagerly_on_list(flat, kwargs.get("training", False)))
        if flat and all(isinstance(t, KerasTensor) for t in flat):
            node = len(self._inbound)
            self._inbound.append(inputs)
            self.built = True   # (Keras's symbolic call builds it: its weights, _build_where_held)
            _note_call_training(self, node, kwargs, keywords_given=bool(kwargs) or given_mask is not None)
            if kwargs.get("reverse") and self.__dict__.get("class_name", type(self).class_name) == "ReversibleEmbedding":
                _note_call_kwarg(self, node, "reverse", True)   # Keras writes it in the call's node
            _note_call_mask(self, node, inputs, given_mask)
            for key, tensor in getattr(inputs, "keyword_tensors", {}).items():
                _note_call_kwarg(self, node, key, tensor)
            if isinstance(self, _BuiltinLayer):
                # A recurrent layer with return_state=True returns its output and its states.
                count = _rnn_states.output_count(self)
                keywords = inputs.arguments[1] if getattr(inputs, "arguments", None) else \
                    getattr(inputs, "kwargs", {})
                if _catalog.layer_call_masks(self.class_name) == "attention" and \
                        keywords.get("return_attention_scores"):
                    count = 2   # the output and the attention scores
                outs = [KerasTensor(None, self, node, i, _output_dtype(self, inputs)) for i in range(count)]
                self.__dict__.setdefault("_outbound", []).extend(outs)
                return tuple(outs) if count > 1 else outs[0]
            out = KerasTensor(None, self, node, 0)
            self.__dict__.setdefault("_outbound", []).append(out)
            if getattr(self, "_trace_required", False):
                return out   # (the binding's own graph layers return one tensor)
            return _structured_outputs(self, out)
        training = kwargs.get("training")
        if training is None:   # Keras: the default of the layer's call (True: augmentations)
            training = isinstance(self, _BuiltinLayer) and self.class_name in _TRAINING_BY_DEFAULT
        if not isinstance(self, _BuiltinLayer):
            _note_input_masks(self, inputs)   # (arrays carry none into the library's call)
        mask = _python_call_mask(self, inputs, kwargs.get("mask"))
        if not isinstance(self, _BuiltinLayer) and (mask is not None or
                args or any(k not in ("training", "mask") for k in kwargs) or _returns_several(self, inputs)):
            # Several arguments (Keras: `Add2()(a, b)`), several outputs, or a mask: a private
            # functional model of the call, as Keras's eager call gives them.
            call_kwargs = {k: v for k, v in kwargs.items() if k not in ("training", "mask")}
            if mask is not None:
                call_kwargs["mask"] = mask
            out = _call_on_arguments(self, [inputs, *args], call_kwargs, training)
            return _with_keras_mask(self, inputs, out, kwargs.get("mask"))
        if kwargs.get("reverse") and isinstance(self, _BuiltinLayer) and self.class_name == "ReversibleEmbedding":
            # `embedding(hidden, reverse=True)` on arrays: a private model of that one call.
            return _call_on_arguments(self, [inputs], {"reverse": True}, training)
        mask = _eager_mask(self, inputs, kwargs.get("mask"))
        out = self._call_eagerly(inputs, training) if mask is None else \
            _call_masked(self, inputs, mask, training)
        return _with_keras_mask(self, inputs, _integers_kept(self, [inputs], out), kwargs.get("mask"))

    def _call_eagerly(self, x, training=False):
        x = _native.as_float32(x, f"{self.name}(inputs)")
        owner = self._owner
        if owner is not None and getattr(owner, "_single_layer", False) and owner._handle is not None and \
                owner._input_batch_shape is not None and tuple(owner._input_batch_shape[1:]) != x.shape[1:]:
            # The private model that adapted or first ran the layer takes other sample shapes
            # (adapt on ["a b", ...], call on [["a b"]]): a new one is made with the layer's state.
            self._pending_weights = self.get_weights() or None
            self._owner, stale = None, owner
        else:
            stale = None
        if self._owner is None or self._owner._handle is None:
            # Keras builds a layer on its first call; here that is a one-layer model holding it.
            from .models import Sequential
            owner = Sequential(name=unique_name("layer_call"))
            owner._adopt(self, batch_shape=(None,) + x.shape[1:], alone=True)
            if stale is not None:   # its generators draw on from where they stand, as Keras's do
                from .random import copy_layer_generators
                copy_layer_generators(stale._handle, owner._ensure_handle(), self.name)
        if not isinstance(self, _BuiltinLayer) and _packed_inputs.shapes(self) is None and \
                _python_layers.runs_on_numpy(self):
            # A call on numpy values runs eagerly, as Keras runs a direct call: here, with its
            # weight assignments (`self.total.assign_add(...)`) and its output as they are.
            kwargs = {"training": training} if _python_layers._call_signature(self) else {}
            out = self.call(x, **kwargs)
            return out.numpy() if isinstance(out, _variables.Variable) else out
        return self._owner._call_layer(self._index, x, training)

    def _call_eagerly_on_list(self, arrays, training=False):
        """A built-in layer of several inputs (Add, Concatenate, Dot, ...) called on arrays:
        a private functional model of the layer on inputs of these shapes, made again when
        the shapes change."""
        values = [_native.as_float32(a, f"{self.name}(inputs[{i}])") for i, a in enumerate(arrays)]
        shapes = tuple(v.shape[1:] for v in values)
        made = self.__dict__.get("_list_call_model")
        if made is None or made[0] != shapes:
            from .models import Model
            inputs = [Input(shape) for shape in shapes]
            made = (shapes, Model(inputs, self(inputs)))
            self.__dict__["_list_call_model"] = made   # not a tracked attribute
        return made[1](values, training=training)

    def compute_output_shape(self, input_shape):
        """Keras `compute_output_shape`: the output shape for `input_shape` (None for unknown
        dimensions), as the library builds the layer; a layer not yet in a model is built
        alone for it (from its config: the layer itself stays unbuilt)."""
        if self._owner is not None and self._owner._handle is not None:
            return self._owner._layer_output_shape(self._index, input_shape)
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
        if isinstance(self, _BuiltinLayer) and shape and not isinstance(shape[0], (tuple, list)):
            from .models import _probe_output_shape
            return _probe_output_shape(self, shape)
        raise NotImplementedError(f"{type(self).__name__}.compute_output_shape")

    @property
    def losses(self):
        """Keras 3 `layer.losses`: the activity penalty and `add_loss` values of the layer's last
        call (its own `layer(x)`, or a call of the model holding it; cleared by fit, evaluate and
        predict), then the penalties of its weight regularizers at the current weights, as
        float32 scalars."""
        own = list(self.__dict__.get("_call_losses") or [])
        self._build_where_held()   # (Keras's layers are built by their model or first call)
        owner = self.__dict__.get("_owner")
        if owner is not None:
            own += [v for path, v in owner._weight_losses() if path[:1] == (self.name,)]
        return [np.float32(v) for v in own]

    def add_loss(self, loss):
        """Keras `add_loss`, called in `call`: the sum of each value joins the loss of every
        training step. A `call` traced into the library's op graph adds it natively (a value
        computed with `ops` from the inputs and weights, with its gradient); a layer that runs
        on numpy cannot add to the library's loss, and is told so."""
        from .ops._trace import active
        trace = active()
        if trace is None or trace.layer is not self:
            raise NotImplementedError(
                f"{type(self).__name__}.add_loss: a loss is added from a `call` traced into the "
                f"library's op graph (written with keras.ops); this call runs on numpy values")
        for value in (loss if isinstance(loss, (list, tuple)) else [loss]):
            trace.add_loss(value)

    def __repr__(self):
        built = self._owner is not None or bool(self.__dict__.get("_inbound"))   # (Keras's: by a call)
        return f"<{type(self).__name__} name={self.name}, built={built}>"

    def _computes_own_mask(self):
        """Whether the layer's class has a `compute_mask` of its own (Keras then sets the
        mask of its outputs even when it does not support masking)."""
        return type(self).compute_mask is not _variables.LayerBasics.compute_mask

    # -- Python layers (plugins) -----------------------------------------------------------
    def build(self, input_shape):
        if type(self).build is Layer.build and self.__dict__.get("_building") is None:
            _warn_unbuilt_state(self)   # (not when the library builds it for a call, as Keras)
        self.built = True

    def add_weight(self, shape=None, initializer="glorot_uniform", dtype=None, trainable=True,
                   name=None, regularizer=None, constraint=None, **kwargs):
        """Creates a weight owned by the library (optimized, saved and loaded with the model).
        Call it from `build`. Returns a `Weight`: inside `call`/`backward` it is the weight's
        current value as numpy sees it. The library adds a `regularizer`'s penalty to the loss
        and applies a `constraint` after each optimizer step, as Keras does."""
        dtype = _check_weight_arguments(f"{type(self).__name__}.add_weight",
                                        "layers written in Python", dtype, kwargs, integers=True)
        return _python_layers.add_weight(self, shape, initializer, trainable, name,
                                         regularizer=regularizer, constraint=constraint,
                                         dtype=dtype)

    def call(self, inputs, training=False):
        """The forward computation, on numpy arrays (layers written in Python)."""
        raise NotImplementedError(f"{type(self).__name__}.call")

    def backward(self, inputs, weights, grad_output):
        """For layers written in Python that training passes a gradient through: given the
        layer's input, its weights (numpy, creation order) and dL/d(output), returns
        `(dL/d(input), [dL/d(weight) for each weight])` (None for a weight without gradient).
        A layer without it works for inference, and as a first layer without trainable
        weights."""
        raise NotImplementedError(f"{type(self).__name__}.backward")


class Wrapper(Layer):
    """Keras `keras.layers.Wrapper`: the abstract base of layers that take another layer and
    augment it (`TimeDistributed` and `Bidirectional` are wrappers). A subclass's `call` uses
    `self.layer`; its config holds the wrapped layer serialized under `"layer"`, and
    `from_config` rebuilds it first, as Keras's does."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. "
                             f"Please ensure wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self):
        config = Layer.get_config(self)
        config.pop("layer", None)   # (the automatic config's; written serialized below)
        # The wrapped layer in Keras's serialized form, without its build config: the library
        # asks for this config while it builds the wrapper, and builds the wrapped layer
        # from the call.
        from . import _objects
        held = self.layer._as_layer() if hasattr(self.layer, "_as_layer") else self.layer   # (a model)
        if not hasattr(held, "_layer_entry"):   # not a layer: as given, for the library to refuse
            return {**config, "layer": _objects.serialize(held)}
        layer = {**held._layer_entry(), "config": _objects.serialize(self.layer.get_config())}
        return {**config, "layer": layer}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


def _builtin_wrapper_from_config(cls, config, custom_objects=None):
    """Keras's `TimeDistributed.from_config` / `Bidirectional.from_config`: the wrapped layers
    (`layer`, `backward_layer`) deserialized first, then the catalogue's arguments."""
    config = dict(config)
    for key in ("layer", "backward_layer"):
        if isinstance(config.get(key), dict):
            config[key] = deserialize(config[key], custom_objects=custom_objects)
    return Layer.__dict__["from_config"].__func__(cls, config)


def _builds_in_library(build):
    """The `build` of a layer class written in Python, called by the user with one input shape
    (Keras: `layer.build((4, 6))` makes the weights at once, so that `set_weights` and
    `layer.w` work before any call): the library builds the layer for that shape in a private
    model, as a first call on arrays does, and runs the class's build inside (once: a later
    call does not add its weights again)."""
    @functools.wraps(build)
    def build_wrapper(self, *args, **kwargs):
        if self.__dict__.get("_building") is not None or isinstance(self, _BuiltinLayer):
            return build(self, *args, **kwargs)   # the library's build (or super().build)
        if self.__dict__.get("_owner") is not None:
            return None   # built already
        _scopes.note_build_scope(self)
        shape = args[0] if len(args) == 1 and not kwargs else kwargs.get("input_shape")
        if not (isinstance(shape, (tuple, list)) and shape and
                all(d is None or isinstance(d, int) for d in shape)):
            return build(self, *args, **kwargs)   # several inputs: built at the first call
        from .models import Sequential
        Sequential(name=unique_name("layer_call"))._adopt(self, batch_shape=(None,) + tuple(shape[1:]))
        return None
    return build_wrapper


def _note_call_mask(layer, node, inputs, given):
    """The mask of symbolic call `node` of the layer, kept for its node in the model's config:
    the one given (`layer(x, mask=m)`), else, for a call taking `mask` (Keras passes it the
    input's and records it in the node, with the ops that made it: Embedding(mask_zero=True)'s
    not_equal, a merge layer's logical_or), its input's when the graph's ops make it."""
    takes = _catalog.layer_call_masks(layer.class_name) == "mask" if isinstance(layer, _BuiltinLayer) else \
        _python_layers._call_takes(layer, "mask")
    if given is None and takes and isinstance(inputs, KerasTensor):
        mask = inputs._keras_mask
        if isinstance(mask, KerasTensor) and mask._keras_history[0] is not None:
            given = mask
        elif mask is None:   # Keras writes the call's mask as None for an input without one
            _note_call_kwarg(layer, node, "mask", None)
    if given is not None:
        _note_call_kwarg(layer, node, "mask", given)
    if not isinstance(layer, _BuiltinLayer):
        _note_input_masks(layer, inputs, given)


def _note_model_call_mask(model_layer, node, inputs, given):
    """The `mask` Keras's call of a nested model (its `call(inputs, training, mask)`) gets and
    records in its node: the one given, else its inputs' `_keras_mask`, None for an input
    without one, in the structure of the inputs (one tensor, or a list). The library's outer
    model passes it to the layers inside, as Keras's model call does."""
    if given is None:
        if isinstance(inputs, KerasTensor):
            given = inputs._keras_mask
        elif isinstance(inputs, (list, tuple)) and inputs and all(isinstance(t, KerasTensor) for t in inputs):
            given = [t._keras_mask for t in inputs]
        else:
            return   # (a dict of inputs: its masks are not recorded)
    flat = given if isinstance(given, (list, tuple)) else [given]
    if all(m is None or (isinstance(m, KerasTensor) and m._keras_history[0] is not None) for m in flat):
        _note_call_kwarg(model_layer, node, "mask", list(given) if isinstance(given, (list, tuple)) else given)


def _note_input_masks(layer, inputs, given=None):
    """Keras passes a layer's `call` the masks its inputs carry, None for an input without one:
    which inputs of this call of a layer written in Python carry a mask (symbolic tensors: their
    `_keras_mask`; arrays reach the library's call without one), over all its calls, for the
    trace of its call (ops._trace.trace_layer)."""
    if not (_python_layers._call_takes(layer, "mask") or layer._computes_own_mask()):
        return
    flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    given = list(given) if isinstance(given, (list, tuple)) else [given] * len(flat)
    carried = [g is not None or _mask_reaches(t) for t, g in zip(flat, given)]
    known = layer.__dict__.get("_input_masks")
    if known is not None and len(known) == len(carried):
        carried = [a or b for a, b in zip(known, carried)]
    layer.__dict__["_input_masks"] = carried


def _python_call_mask(layer, inputs, mask):
    """The mask a layer written in Python whose call takes `mask` is called on arrays with
    (`mask=`, else the input's `_keras_mask`), as an array for its call's `mask` argument;
    None when there is none (Keras then passes None), or for a list of inputs (whose masks are
    the library's, inside a model)."""
    if isinstance(layer, _BuiltinLayer) or not _python_layers._call_takes(layer, "mask"):
        return None
    if mask is None and not isinstance(inputs, (list, tuple)):
        mask = getattr(inputs, "_keras_mask", None)
    if mask is None or isinstance(mask, (list, tuple, KerasTensor)):
        return None
    return np.asarray(mask)


def _returns_several(layer, inputs):
    """Whether a layer written in Python returns several tensors when called on `inputs`
    (arrays): its trace says so, once built (alone for their shapes when it is not yet)."""
    structure = layer.__dict__.get("_output_structure")
    if structure is None and not layer.built:
        flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if not flat or not all(hasattr(a, "shape") and len(np.shape(a)) >= 1 for a in flat):
            return False
        from .models import _single_layer_shape
        stand_ins = [KerasTensor((None,) + tuple(np.shape(a))[1:], None) for a in flat]
        try:
            _single_layer_shape(layer, stand_ins, [t.shape for t in stand_ins], 0,
                                isinstance(inputs, (list, tuple)))
        except Exception:  # noqa: BLE001 — the call itself reports what is wrong
            return False
        layer.built = False   # built for the probe only, as Keras's symbolic call leaves it
        structure = layer.__dict__.get("_output_structure")
    return structure is not None


def _call_on_arguments(layer, given, kwargs, training):
    """A layer written in Python called on arrays with several arguments (positional and
    keyword) or returning several tensors: a private functional model of this one call (an
    Input per array, named after the layer so that no automatic name moves on) computes it,
    keeping the layer's weights from one call to the next as its eager calls do."""
    arrays, inputs = [], []

    def symbolic(value):
        if isinstance(value, (list, tuple)):
            return type(value)(symbolic(v) for v in value)
        if isinstance(value, dict):
            return {k: symbolic(v) for k, v in value.items()}
        if isinstance(value, (np.ndarray, _variables.Variable)) or (
                hasattr(value, "__array__") and np.ndim(value) > 0):
            array = _native.as_float32(value, f"{layer.name}(...)")
            if array.ndim < 1:
                return value
            t = Input(batch_shape=(None,) + array.shape[1:], name=f"{layer.name}_call_input_{len(inputs)}")
            arrays.append(array)
            inputs.append(t)
            return t
        return value
    args = [symbolic(v) for v in given]
    kwargs = {k: symbolic(v) for k, v in kwargs.items()}
    if not inputs:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' was called with no array argument")
    key = (tuple(a.shape[1:] for a in arrays), repr(_shape_key(args)), repr(_shape_key(kwargs)))
    model = layer.__dict__.get("_eager_call_model")
    owner = layer.__dict__.get("_owner")
    # A layer of a model of the user's stays that model's: the private model takes its current
    # weights at every call instead of holding the layer.
    shared = owner is not None and owner is not model and owner._handle is not None and \
        not getattr(owner, "_single_layer", False)
    index = layer._index if shared else None
    if model is None or model._eager_key != key or model._handle is None or (not shared and owner is not model):
        weights = layer.get_weights() if layer.built else []
        model = _private_call_model(layer, inputs, lambda: layer(*args, **kwargs))
        model._eager_key = key
        if shared:
            layer._owner, layer._index = owner, index   # making the private model took it
        else:
            model._layers_info(claim=True)
            if weights:
                layer.set_weights(weights)
        layer._eager_call_model = model
    if shared:
        model.set_weights(layer.get_weights())
    result = model(arrays if len(arrays) > 1 else arrays[0], training=training)
    structure = layer.__dict__.get("_output_structure")
    if structure is None:
        return result
    kind, spec = structure
    outs = list(result)
    if kind == "dict":
        return dict(zip(spec, outs))
    return tuple(outs) if kind == "tuple" else outs


def _private_call_model(layer, inputs, call):
    """A functional model of `call()`, a call of `layer` on fresh Inputs `inputs`, made by the
    library (it holds the layer from then on). The call is not one of the layer's nodes (Keras
    adds none for an eager call), and the model is none of the user's models made of it."""
    from .models import Model
    inbound, outbound = list(layer._inbound), list(layer.__dict__.get("_outbound", []))
    noted = layer.__dict__.pop("_call_kwargs", None)
    made_in = list(layer.__dict__.get("_functional_in") or ())
    layer._inbound[:], layer._outbound = [], []   # the private model's only node
    try:
        out = call()
        outs = [out[k] for k in sorted(out)] if isinstance(out, dict) else \
            list(out) if isinstance(out, (list, tuple)) else out
        model = Model(inputs if len(inputs) > 1 else inputs[0], outs, name=unique_name("layer_call"))
        model._private_call = True   # (its call is none of the layer's nodes in a model made later)
        model._ensure_handle()
    finally:
        layer._inbound[:] = inbound
        layer._outbound = outbound
        layer.__dict__.pop("_call_kwargs", None)
        if noted is not None:
            layer.__dict__["_call_kwargs"] = noted
        layer.__dict__["_functional_in"] = made_in
    return model


def _build_for_first_call(layer):
    """Keras builds a layer called on symbolic tensors outside any model in that call, for its
    inputs' shapes: here a private model of its first call holds it once its weights are asked
    for (a Sequential of it for one tensor, as a first call on arrays makes; a functional model
    of the call on fresh Inputs for several: `MultiHeadAttention()(q, v)`, an RNN's
    `initial_state`, a Python layer's arguments), for the sizes its inputs have (unknown ones
    past the batch too: `LSTM()(keras.Input((None, 8)))`). A model made of it later holds the
    layer built here itself, with its variables (models._shared_layers). A cell called on its
    states (`cell(x, [h, c])`), or a call on tensors of unknown rank, leaves the layer to the
    model made of it."""
    from .models import Sequential
    call = layer._inbound[0]
    flat = _tensors_in(list(call) if isinstance(call, (list, tuple)) else call)
    if isinstance(call, _cells.StatesCall) or not flat or any(t.shape is None for t in flat):
        return
    if isinstance(call, KerasTensor):
        Sequential(name=unique_name("layer_call"))._adopt(layer, batch_shape=tuple(call.shape), alone=True)
        return
    fresh = {}
    for t in flat:   # (one Input per tensor: `mha(x, x)` takes one)
        if id(t) not in fresh:
            fresh[id(t)] = Input(batch_shape=tuple(t.shape), dtype=t.dtype,
                                 name=f"{layer.name}_call_input_{len(fresh)}")

    def replay(value):
        if isinstance(value, KerasTensor):
            return fresh[id(value)]
        if isinstance(value, dict):
            return {k: replay(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replay(v) for v in value]
        if isinstance(value, tuple):
            return tuple(replay(v) for v in value)
        return value
    if getattr(call, "arguments", None) is not None:   # (a Python layer's, an attention's keywords)
        args, kwargs = call.arguments
        run = lambda: layer(*replay(args), **replay(kwargs))   # noqa: E731
    elif isinstance(call, PositionalCall):   # `mha(query, value, key, value_mask=m)`
        run = lambda: layer(*replay(tuple(call)), **call.kwargs, **replay(call.keyword_tensors))   # noqa: E731
    else:
        run = lambda: layer(replay(list(call)))   # noqa: E731
    _private_call_model(layer, list(fresh.values()), run)
    layer.__dict__["_built_alone"] = True


def _shape_key(value):
    """The structure of a call's arguments with tensors as their shapes (its private model's key)."""
    if isinstance(value, KerasTensor):
        return ("tensor", value.shape)
    if isinstance(value, (list, tuple)):
        return [_shape_key(v) for v in value]
    if isinstance(value, dict):
        return {k: _shape_key(v) for k, v in value.items()}
    return value


def _structured_outputs(layer, out):
    """The output of a functional call of a layer written in Python: `out`, or when its traced
    call returns several tensors, a tuple, list or dict of them as `call` returns them (Keras:
    `a, b = TemporalSplit()(x)`). The layer is built alone for its inputs to know (Keras too
    builds and calls it symbolically here)."""
    from .models import _symbolic_shape
    out._shape, out._shape_probed = _symbolic_shape(out), True
    structure = layer.__dict__.get("_output_structure")
    if structure is None:
        return out
    kind, spec = structure
    node = out._keras_history[1]
    outs = [out] + [KerasTensor(None, layer, node, i) for i in range(1, len(spec) if kind == "dict" else spec)]
    # all of them the call's (Keras's `layer.output`: the list of them, keras.io's MIL attention)
    layer.__dict__.setdefault("_outbound", []).extend(outs[1:])
    if kind == "dict":
        return dict(zip(spec, outs))
    return tuple(outs) if kind == "tuple" else outs


def _takes(cls, argument):
    """Whether `cls(...)` takes keyword `argument` (by name, or through **kwargs)."""
    import inspect
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return True
    return argument in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


def _takes_name_as_keras_reads_it(cls):
    """Keras's automatic config keeps `name` when the constructor has a parameter `name` or a
    `**kwargs` by that very name (Operation.get_config: `**kw` does not count)."""
    import inspect
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return True
    return "name" in params or ("kwargs" in params and params["kwargs"].kind == inspect.Parameter.VAR_KEYWORD)


_TRACE_STATE = []


def _trace_state():
    """The thread state of ops._trace (imported once: layers is imported by ops)."""
    if not _TRACE_STATE:
        from .ops import _trace
        _TRACE_STATE.append(_trace._state)
    return _TRACE_STATE[0]


def _own_variables(layer):
    """Keras's order of a layer's variables in `save_own_variables`: trainable ones first."""
    return [v for v in layer.weights if v.trainable] + [v for v in layer.weights if not v.trainable]


class InputSpec:
    """Keras `keras.layers.InputSpec`: the rank, dtype and shape a layer's input must have."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = _dtype_name(dtype) if dtype is not None else None
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.allow_last_axis_squeeze, self.name, self.optional = allow_last_axis_squeeze, name, optional
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: "
                            f"axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            if max(self.axes) > max_dim:
                raise ValueError(f"Axis {max(self.axes)} is greater than the maximum allowed "
                                 f"value: {max_dim}")

    def __repr__(self):
        spec = [f"dtype={self.dtype}" if self.dtype else "", f"shape={self.shape}" if self.shape else "",
                f"ndim={self.ndim}" if self.ndim else "", f"max_ndim={self.max_ndim}" if self.max_ndim else "",
                f"min_ndim={self.min_ndim}" if self.min_ndim else "", f"axes={self.axes}" if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes, "optional": self.optional}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _dtype_name(dtype):
    try:
        return str(np.dtype(dtype))
    except TypeError:
        return str(dtype)   # Keras's names numpy lacks ("string")


def _shape_tuple(shape):
    if shape is None:
        return None
    if shape and isinstance(shape[0], list):
        return [tuple(s) for s in shape]
    return tuple(None if (d is None or d < 0) else d for d in shape)


def _activation_config(value):
    """An activation argument as the library's config holds it: a function of the user's is
    registered with the library as a plugin, by its name."""
    if callable(value) and not hasattr(value, "_keras_config"):
        return _plugins.register_function("activation", value)
    return _serialize(value)


def _with_activation_keys(config, layer):
    """`config`, the library's of `layer`, with each activation the user gave as a Python
    function named by the key the library reads it by (_plugins.functions_by_module), where the
    library writes its bare name, as Keras's config does."""
    given = getattr(layer, "_args", None) or {}
    return {**config, **{k: _activation_config(v) for k, v in given.items()
                         if k.endswith("activation") and k in config and callable(v)
                         and not hasattr(v, "_keras_config")}}


def _subclasses_builtin(layer):
    """Whether `layer` is of a Python subclass of a built-in layer class (Keras: `class
    MyDense(keras.layers.Dense)`): the library runs it as a layer written in Python whose
    `super().build` makes the built-in layer, its weights the subclass's own, and whose call
    (the built-in's unless overridden, `super().call(x)` in an override) is traced into the
    library's op graph (_python_layers.build_base, ops._trace.Trace.base_call)."""
    return isinstance(layer, _BuiltinLayer) and "class_name" not in type(layer).__dict__


# What a Python subclass of a built-in layer cannot do, by class: the library runs the subclass
# as one traced layer of one output whose mask passes on unchanged.
_SUBCLASS_REFUSED = {"return_state": "returning states (return_state=True)",
                     "stateful": "stateful=True"}
_SUBCLASS_REFUSED_CLASSES = frozenset({"InputLayer", "Bidirectional", "TimeDistributed", "RNN",
                                       "MultiHeadAttention", "GroupQueryAttention",
                                       "TextVectorization", "StringLookup", "LSTMCell", "GRUCell",
                                       "SimpleRNNCell", "StackedRNNCells"})


def _check_builtin_subclass(layer):
    """Refuses, naming it, what the library cannot run for a Python subclass of a built-in layer."""
    name, base = type(layer).__name__, layer.class_name
    why = None
    if base in _SUBCLASS_REFUSED_CLASSES:
        why = f"subclassing {base} (a recurrent cell, or a layer of several inputs, outputs or nested layers)"
    else:
        given = [text for key, text in _SUBCLASS_REFUSED.items() if layer._args.get(key)]
        if given:
            why = ", ".join(given)
    if why is not None:
        raise NotImplementedError(
            f"{name} subclasses the built-in layer {base}: {why} is not supported for a Python "
            f"subclass of a built-in layer (the library runs the subclass as one traced layer of "
            f"one output); use {base} itself, or subclass keras.layers.Layer and call a {base} "
            f"held in an attribute")


# The arguments Keras's layers standardize to tuples (standardize_tuple, standardize_padding,
# the random layers' factor ranges): Keras's in-memory configs hold tuples, its saved JSON lists.
_TUPLE_ARGUMENTS = frozenset({"kernel_size", "strides", "dilation_rate", "pool_size", "size",
                              "cropping", "padding", "output_padding", "target_shape", "dims",
                              "factor", "attention_axes", "tile_grid_size", "x_factor",
                              "y_factor", "sigma", "addition_factor", "threshold_factor"})
_CLASS_TUPLE_ARGUMENTS = {"Normalization": {"axis"}}
_CLASS_TUPLE_ARGUMENTS.update({f"Adaptive{kind}Pooling{rank}D": {"output_size"}
                               for kind in ("Average", "Max") for rank in (1, 2, 3)})


def _keras_tuples(class_name, config, given):
    """`config` with the lists Keras keeps as tuples made tuples: the standardized arguments,
    and any argument the caller gave as a tuple (Keras keeps the value given)."""
    def tuples(v):
        return tuple(tuples(e) for e in v) if isinstance(v, list) else v
    for k, v in config.items():
        if isinstance(v, list) and (k in _TUPLE_ARGUMENTS or k in _CLASS_TUPLE_ARGUMENTS.get(class_name, ())
                                    or isinstance(given.get(k), tuple)):
            config[k] = tuples(v)
    return config


class _BuiltinLayer(Layer):
    """A layer the library implements; its arguments come from the catalogue."""

    _records_init = False   # its config is its catalogue arguments

    @property
    def input_spec(self):
        """Keras's `input_spec` for the layer's class, before and after its build
        (_input_specs); a value assigned to it replaces it, as in Keras."""
        if "_input_spec_override" in self.__dict__:
            return self._input_spec_override
        from ._input_specs import input_spec
        return input_spec(self)

    @input_spec.setter
    def input_spec(self, value):
        self._input_spec_override = value

    _positional: tuple[str, ...] = ()
    _required: tuple[str, ...] = ()
    _known: frozenset = frozenset()   # every argument the catalogue lists, plus Keras's base ones
    _unsaved: frozenset = frozenset()   # those the layer's config leaves out

    def __init__(self, *args, **kwargs):
        if len(args) > len(self._positional):
            raise TypeError(f"{self.class_name}() takes at most {len(self._positional)} "
                            f"positional arguments ({len(args)} given)")
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        # A layer's own argument named as a base one (Embedding's input_dim) stays its own.
        own = {k: kwargs.pop(k) for k in list(kwargs) if k in _BASE_KWARGS and k in self._positional}
        self._init_base(trainable, name, dtype, kwargs)
        kwargs.update(own)
        config = dict(zip(self._positional, args))
        for k, v in kwargs.items():
            if k in config:
                raise TypeError(f"{self.class_name}() got multiple values for argument '{k}'")
            config[k] = v
        unknown = {k: v for k, v in config.items() if k not in self._known}
        if unknown:   # (Keras's ValueError)
            raise ValueError(f"Unrecognized keyword arguments passed to {self.class_name}: "
                             f"{unknown}")
        missing = [k for k in self._required if k not in config]
        if missing:
            raise TypeError(f"{self.class_name}.__init__() missing {len(missing)} required "
                            f"argument{'s' if len(missing) > 1 else ''}: "
                            f"{', '.join(repr(k) for k in missing)}")
        if "data_format" in self._known and config.get("data_format") is None:
            from .backend import image_data_format
            if image_data_format() != "channels_last":  # keras.backend.set_image_data_format
                config["data_format"] = image_data_format()
        self._args = config
        self.built = self.class_name in _BUILT_AT_INIT
        # Keras's checks of its constructor (the library's declaration's), before it draws the
        # seeds of its initializers and generators.
        _catalog.check_layer_arguments(self)
        # Keras's initializers and generators made in the constructor take their seeds from
        # Python's `random` now, in its order (the library draws with the initializers' at
        # build), and the generators their names (the library's, made at build, are shown
        # under them).
        names, defaults, _ = _catalog.layer_signature(self.class_name) or ((), {}, ())
        self._default_seeds, self._generator_names, self._generator_seeds = _default_seeds.layer_construction_seeds(
            self.class_name, config, defaults, names,
            lambda: constructor_generator_names(self.class_name, config))
        if self.class_name == "Bidirectional":
            from ._default_seeds import wrapped_copy_seeds
            self._copy_seeds = wrapped_copy_seeds(config)
        if self.class_name in _AUGMENT_ORDER:
            # Keras makes its augmentations in its constructor, where they take automatic names
            # (the second RandAugment's random_shear is random_shear_1, a RandomRotation made
            # after one is random_rotation_1).
            self._part_names = {part: unique_name(snake_case(_AUGMENT_PARTS[part])) for part in _AUGMENT_ORDER[
                self.class_name] if self.class_name == "RandAugment" or config.get("all_ops", True) or
                part not in _AUGMIX_COLOR_PARTS}

    def get_config(self):
        """Keras's `get_config`: every constructor argument, the defaults included, as the
        library writes the layer's config (the built model's entry, else an unbuilt model's
        holding it alone)."""
        if self.class_name == "InputLayer":
            return self._input_layer_config()
        given = self._given_config()
        self._build_where_held(alone=False)   # Keras's layers of a model are built with it
        owner = self.__dict__.get("_owner")
        if _subclasses_builtin(self):
            # The library holds the subclass as a layer written in Python, whose config is this
            # (the built-in layer's full config, made once for the arguments given).
            from .models import _unbuilt_layer_config
            key = json.dumps(self._base_entry(), sort_keys=True, default=str)
            cached = self.__dict__.get("_base_config")
            if cached is None or cached[0] != key:
                cached = self._base_config = (key, _unbuilt_layer_config(self._base_entry()))
            full = dict(cached[1])
        elif owner is not None and owner._handle is not None and self._index is not None:
            full = owner._layers_info()[self._index]["config"]
        else:
            from .models import _unbuilt_layer_config
            full = _unbuilt_layer_config(self._layer_entry())
        given = {k: v for k, v in given.items() if k in full or k not in self._unsaved}
        if self.class_name == "Pipeline":   # Keras's Pipeline writes its layers and name only
            given = {}
        # Keras's keys in Keras's order (the library's config), then any argument given that the
        # library's config leaves out, but for the base ones Keras's config of the class leaves
        # out (SpatialDropout1D's and Discretization's `trainable`).
        extra = {k: v for k, v in given.items() if k not in full and k not in ("name", "trainable", "dtype")
                 and not k.startswith("_")}   # (not the seeds handed to the library: _generator_seeds)
        config = _keras_tuples(self.class_name, {**full, **extra}, self._args)
        # Keras's get_config fails where a regularizer's get_config does
        from . import _traced_regularizers
        _traced_regularizers.refuse_unserializable(
            json.dumps({k: v for k, v in config.items() if k.endswith("regularizer")}, default=str))
        return config

    def _input_layer_config(self):
        """An InputLayer's config as Keras gives it: its shape, dtype and name, with no
        `trainable` (an input has nothing to train)."""
        args = self._args
        batch_shape = args.get("batch_shape")
        if batch_shape is None:   # InputLayer(shape=(3,), batch_size=None), as Keras takes it
            shape = args.get("shape")
            shape = (shape,) if isinstance(shape, int) else tuple(shape or ())
            batch_shape = (args.get("batch_size"),) + shape
        return {"batch_shape": tuple(batch_shape),
                "dtype": self.__dict__.get("_dtype") or "float32", "sparse": False,
                "ragged": False, "name": self.name, "optional": bool(args.get("optional", False))}

    def _given_config(self, seeds=None):
        """The arguments given to the constructor: what the library makes the layer from, with
        the seeds Keras's layer took from Python's `random` (`seeds`: (initializer seeds,
        generator seeds) of a copy Keras makes from the layer's config instead)."""
        config = super().get_config()
        for k, v in self._args.items():
            if k.endswith("activation"):
                config[k] = _activation_config(v)
                continue
            if k.endswith("regularizer"):
                from . import regularizers
                config[k] = regularizers._library_form(v)
                continue
            config[k] = _serialize(v)
        defaults = (_catalog.layer_signature(self.class_name) or ((), {}, ()))[1]
        if seeds is not None:
            return _default_seeds.with_generator_seeds(
                _default_seeds.with_initializer_seeds(config, seeds[0], defaults, _serialize), seeds[1])
        config = _default_seeds.with_initializer_seeds(config, self.__dict__.get("_default_seeds"),
                                                       defaults, _serialize)
        config = _default_seeds.with_generator_seeds(config, self.__dict__.get("_generator_seeds"),
                                                     self.__dict__.get("_build_seeds"))
        if self.class_name == "Bidirectional":
            config = _default_seeds.with_wrapped_copies(config, self._args.get("layer"),
                                                        self.__dict__.get("_copy_seeds"))
        return config

    def __setattr__(self, name, value):
        if name == "activation" and "_args" in self.__dict__ and "activation" in self._known \
                and not _subclasses_builtin(self):
            self._set_activation(value)
        else:
            super().__setattr__(name, value)

    def _set_activation(self, value):
        """Keras's `layer.activation = f` (Grad-CAM's `model.layers[-1].activation = None`, which
        drops a classifier's softmax): the layer's argument, and the library's layer once a
        model holds it (every model holding it applies `f` from its next call on; Keras's own
        predict ignores it after a first predict traced the old one). Reads give `f` back, as
        Keras's. A recurrent layer's activation is its cell's, not settable (Keras's message)."""
        if self.class_name in _rnn_states.LAYERS:
            raise AttributeError(f"property 'activation' of '{type(self).__name__}' object has no setter")
        config = _activation_config(value)
        if self.__dict__.get("_owner") is not None:
            handle, path = _rnn_states._located(self)
            if handle is not None:
                text = json.dumps(config).encode()
                with _plugins.functions_by_module(text):
                    _native.check(_lib.keras_model_set_layer_activation(handle, path, text))
        self._args["activation"] = value
        self.__dict__["activation"] = value

    def _library_config(self):
        if _subclasses_builtin(self):   # its own get_config, as Keras saves the subclass
            return super()._library_config()
        return _packed_inputs.with_config(self, self._given_config())

    def _base_entry(self):
        """The built-in layer a Python subclass extends, as a model config's layer entry."""
        return {"module": _catalog.layer_module(self.class_name), "class_name": self.class_name,
                "config": self._given_config(), "registered_name": None}

    def __getattr__(self, item):
        # The constructor arguments, given or the catalogue's defaults, as Keras keeps them:
        # the library's built config once it holds the layer (kernel_size (3, 3) from 3),
        # initializers, regularizers, constraints and activations as their objects.
        args = self.__dict__.get("_args")
        if args is not None and self.class_name == "Bidirectional" and \
                item in ("forward_layer", "backward_layer", "return_sequences", "return_state", "stateful"):
            if item.endswith("_layer"):
                return self._direction_layer(item)
            return getattr(self._direction_layer("forward_layer"), item)
        if args is not None and self.class_name == "Pipeline" and item == "layers":
            return list(self._nested(tuple(args.get("layers") or ())))   # Keras's list of them
        if args is not None and self.class_name == "Normalization" and item in ("input_mean", "input_variance"):
            return args.get(item[len("input_"):])   # Keras keeps the given statistics so
        if args is not None and not item.startswith("_"):
            defaults = _catalog.layer_signature(self.class_name)[1]
            if item in args or item in defaults:
                value = args[item] if item in args else defaults[item]
                owner = self.__dict__.get("_owner")
                if owner is not None and owner._handle is not None and self._index is not None:
                    built = owner._layers_info()[self._index]["config"]
                    if item in built and not callable(value) and \
                            not hasattr(value, "_keras_config") and not isinstance(value, dict):
                        value = built[item]
                if self.class_name == "Normalization" and item in ("mean", "variance"):
                    return self._normalization_statistic(item, value)
                from ._default_seeds import made_without_drawing
                # (the object Keras made in the constructor, with the seed it took then)
                with made_without_drawing((self.__dict__.get("_default_seeds") or {}).get(item)):
                    return self._nested(_keras_attribute(item, _standardized(self, item, value)))
        if item == "cell" and self.class_name in _RNN_CELLS:
            return self._rnn_cell()
        if item == ("generator" if self.class_name in _AUGMENTATIONS else "seed_generator") and \
                self.class_name not in _rnn_states.LAYERS:
            from .random import library_generators
            generators = library_generators(self)
            if generators:   # Keras's attribute of the noise layers (Dropout, GaussianNoise, ...)
                return generators[0]   # and the random augmentations' `generator`
        inner = _INNER_LAYERS.get(self.class_name, {}).get(item)
        if inner is not None:
            return self._inner_layer(*inner)
        if self.class_name == "RandomColorJitter" and item in _JITTER_PARTS and args is not None:
            given = args.get(item[len("random_"):] + "_factor")   # Keras: None without its factor
            return None if given is None else self._inner_layer(_JITTER_PARTS[item], item)
        if self.class_name in ("RandAugment", "AugMix") and item in _AUGMENT_PARTS and args is not None and \
                (self.class_name == "RandAugment" or args.get("all_ops", True) or item not in _AUGMIX_COLOR_PARTS):
            view = self._inner_layer(_AUGMENT_PARTS[item], item)   # (AugMix makes those four with all_ops only)
            view._name = (self.__dict__.get("_part_names") or {}).get(item, item)
            return view
        if not item.startswith("_") and self.__dict__.get("built"):
            from .ops._held_weights import held_weight
            held = held_weight(self, item)   # `self.conv.kernel` in the traced call holding it
            if held is not None:
                return held
        base_weights = self.__dict__.get("_base_weights")
        if base_weights and item in base_weights and (
                self.__dict__.get("_building") is not None or
                getattr(_trace_state().__dict__.get("trace"), "layer", None) is self):
            return base_weights[item]   # `self.kernel` in a subclass's build or traced call
        try:
            found = super().__getattr__(item)
        except AttributeError:
            if self.class_name in _BUILD_FIRST.get(item, ()):
                raise AttributeError(f"You must build the layer before accessing `{item}`.") from None
            raise
        if item in _BUILD_FIRST and self.class_name in _BUILD_FIRST[item]:
            from ._quantize import keras_kernel
            return keras_kernel(self, item, found)   # (int4, GPTQ and AWQ: Keras's unpacked values)
        return found

    def _inner_layer(self, class_name, name):
        """A layer Keras makes inside this one (MultiHeadAttention's `query_dense`): its weights
        are this layer's under its name (its own arguments are not kept here)."""
        views = self.__dict__.setdefault("_inner", {})
        if name not in views:
            cls = _layer_class(class_name)
            view = cls.__new__(cls)
            view._init_base(self.trainable, name, None, {})
            view._args, view._parent = {}, self
            views[name] = view
        views[name].built = self.built
        return views[name]

    def _nested(self, value):
        """A layer given as an argument (an RNN's cell, a wrapper's layer): its weights are
        this layer's whose paths name it."""
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, Layer) and v.__dict__.get("_owner") is None:
                v._parent = self
                v.built = self.built
        return value

    def _normalization_statistic(self, item, given):
        """Keras's built `Normalization.mean` / `variance`: the adapted or given statistic,
        broadcast to the input's rank (shape (1, ..., features))."""
        shape = self._built_input_shape()
        adapted = next((v for v in self.weights if v.name == item), None)
        if shape is None or (adapted is None and given is None):
            return None   # Keras sets them when it builds the layer
        axes = self._args.get("axis", -1)
        axes = [axes] if isinstance(axes, int) else list(axes or [])
        axes = [a % len(shape) for a in axes]
        broadcast = [shape[a] if a in axes else 1 for a in range(len(shape))]
        value = adapted.numpy() if adapted is not None else np.asarray(given, np.float32)
        return np.broadcast_to(value, [shape[a] for a in axes]).reshape(broadcast).astype(np.float32)

    def _built_input_shape(self):
        """The input shape the layer was built for, or None."""
        try:
            inputs = self.input
            return None if isinstance(inputs, (list, tuple)) else tuple(inputs.shape)
        except AttributeError:
            owner = self.__dict__.get("_owner")
            if owner is not None and getattr(owner, "_single_layer", False):
                return tuple(owner._input_batch_shape)
            return None

    def _direction_layer(self, which):
        """Keras's `Bidirectional.forward_layer` / `backward_layer`: copies of the wrapped layer
        named "forward_<name>" and "backward_<name>" (the backward one going backwards, unless
        one was given), whose weights are this layer's under those names."""
        views = self.__dict__.setdefault("_inner", {})
        if which not in views:
            given = self._args.get("backward_layer") if which == "backward_layer" else None
            if isinstance(given, Layer):
                view = given
            else:
                source = self._args.get("layer")
                if isinstance(source, Layer):
                    cls, config = type(source), source.get_config()
                else:   # deserialized: its config
                    cls, config = _layer_class(source["class_name"]), dict(source.get("config", {}))
                prefix = "forward_" if which == "forward_layer" else "backward_"
                name = config["name"]   # (a loaded Bidirectional's layer is its forward_ one)
                config = {**config, "name": prefix + (name[len(prefix):] if name.startswith(prefix) else name)}
                if which == "backward_layer":
                    config["go_backwards"] = not config.get("go_backwards", False)
                from ._default_seeds import drawing_nothing
                with drawing_nothing():   # (Keras made it once, drawing then)
                    view = cls.from_config(config)
            view._parent = self
            views[which] = view
        views[which].built = self.built
        return views[which]

    def _rnn_cell(self):
        """Keras's `lstm.cell`: the LSTMCell (GRUCell, SimpleRNNCell; ConvLSTMCell, which the
        library does not offer as a layer of its own, as a bare Layer) holding the weights."""
        cell = self.__dict__.get("_cell")
        if cell is None:
            names = {w["name"].split("/")[-2] for w in self._weights_info()}
            cell_class = _RNN_CELLS[self.class_name]
            name = next(iter(names), snake_case(cell_class))
            cls = _layer_class(cell_class)
            if cls is None:
                cell = type(cell_class, (Layer,), {"__module__": __name__})(name=name)
            else:
                cell = cls(name=name, **{k: v for k, v in self._args.items() if k in cls._known})
            cell._parent = self
            self._cell = cell
        cell.built = self.built
        return cell

    def build(self, input_shape=None):
        """Keras `layer.build(input_shape)`: the library builds the layer (its weights made by
        its initializers) for this input shape; a layer in a model is built with it."""
        if self.__dict__.get("_building") is not None:
            # `super().build(input_shape)` of a Python subclass, which the library is building.
            _python_layers.build_base(self, self._base_entry())
            self.built = True
            return
        if self._owner is not None and self._owner._handle is not None:
            self.built = True
            return
        _scopes.note_build_scope(self)
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else None
        if not shape or isinstance(shape[0], (tuple, list)):
            raise NotImplementedError(f"{self.class_name}.build({input_shape!r}): a layer is built "
                                      f"here for one input shape; build a layer of several "
                                      f"inputs by calling it on them (or in a model)")
        from .models import Sequential
        owner = Sequential(name=unique_name("layer_call"))
        owner._adopt(self, batch_shape=(None,) + shape[1:])
        self.built = True

    def call(self, inputs, training=False, **kwargs):
        """Keras `layer.call`: the layer's computation on arrays (the library runs it); in the
        traced call of a Python subclass (`super().call(x)`), a call of the built-in layer."""
        trace = _trace_state().__dict__.get("trace")
        if trace is not None and trace.layer is self:
            if self.class_name in _CONV and type(self).convolution_op is not _BuiltinLayer.convolution_op:
                return self._conv_call(inputs)
            return trace.base_call(inputs, training, kwargs)
        return self._call_eagerly(inputs, training)

    def convolution_op(self, inputs, kernel):
        """Keras's `Conv.convolution_op`: the layer's convolution of `inputs` by `kernel` (its
        strides, padding, dilation and data format), for a subclass's call or override
        (keras.io's StandardizedConv2D)."""
        if self.class_name not in _CONV:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'convolution_op'")
        from . import ops
        return ops.conv(inputs, kernel, strides=list(self.strides), padding=self.padding,
                        dilation_rate=self.dilation_rate, data_format=self.data_format)

    def _conv_call(self, inputs):
        """Keras's `Conv.call`, for a subclass that overrides `convolution_op` alone: its
        convolution, the bias, the activation."""
        from . import activations, ops
        outputs = self.convolution_op(inputs, self.kernel)
        if self.use_bias:
            rank = len(inputs.shape) - 2
            shape = ((1,) * (rank + 1) + (self.filters,) if self.data_format == "channels_last"
                     else (1, self.filters) + (1,) * rank)
            outputs = ops.add(outputs, ops.reshape(self.bias, shape))
        activation = activations.get(self.activation)
        return outputs if activation is None else activation(outputs)

    @property
    def supports_masking(self):
        """Keras's `supports_masking` of the class, from the library's catalogue: always, never,
        or the value of the argument that decides it (Embedding's `mask_zero`)."""
        masking = _catalog.layer_supports_masking(self.class_name)
        return bool(self._args.get(masking)) if isinstance(masking, str) else masking

    def _computes_own_mask(self):
        return _catalog.layer_computes_mask(self.class_name)

    def compute_mask(self, inputs, mask=None):
        """Keras's `compute_mask` of the layer's class: the mask its output carries for these
        inputs and the inputs' mask (`Embedding(mask_zero=True)` and `Masking` make one, a
        recurrent layer keeps it only with `return_sequences`, merge layers combine theirs).
        On arrays a boolean numpy array; on symbolic tensors through `ops`."""
        from . import ops
        cls = self.class_name
        if cls == "Embedding":
            return _not_equal(inputs, 0) if self.mask_zero else None
        if cls == "Masking":
            return ops.any(_not_equal(inputs, self.mask_value), axis=-1)
        first = mask[0] if isinstance(mask, (list, tuple)) else mask
        if cls == "Bidirectional":   # (Keras adds the states' None only for stateful layers)
            if self.merge_mode is None:
                return (first, first) if self.return_sequences else (None, None)
            return first if self.return_sequences else None
        if cls in _RNN_CELLS or cls == "RNN":
            out = first if self.return_sequences else None
            if not self.return_state:
                return out
            return [out] + [None] * _rnn_states.state_count(self)
        if cls in ("GlobalAveragePooling1D", "GlobalAvgPool1D", "Dot"):
            return None
        if cls in ("Attention", "AdditiveAttention"):   # the query's
            return first
        if cls in _MERGE_MASKS and mask is not None:
            return _merged_mask(cls, inputs, mask, (self.__dict__.get("_args") or {}).get("axis", -1))
        return mask

    def _has_own_build(self):
        return self.class_name not in _BUILT_AT_INIT


def _output_dtype(layer, inputs):
    """Keras's dtype of a built-in layer's symbolic output: its input's through the layers that
    only move values, the lookups' indices in output_mode="int", else the float32 compute dtype
    (the library writes the same in its configs: Sources/Keras/Saving/KerasTensorDTypes.swift)."""
    cls = layer.class_name
    if cls in ("Reshape", "Flatten", "Permute", "Identity") and isinstance(inputs, KerasTensor):
        return inputs.dtype
    if cls in ("StringLookup", "IntegerLookup", "TextVectorization", "Hashing", "Discretization",
               "HashedCrossing"):
        if layer._args.get("output_mode", "int") == "int":
            return "int32" if cls == "Discretization" else "int64"
    return "float32"


def _not_equal(x, value):
    """`x != value` as a boolean mask: numpy's on arrays; on a symbolic tensor, Keras's
    `ops.not_equal` node of the graph (of a model's, or of a traced call's: the masking guide's
    `self.embedding.compute_mask(inputs)` in a layer's call)."""
    from .ops._trace import SymbolicTensor
    if isinstance(x, (KerasTensor, SymbolicTensor)):
        from . import ops
        return ops.not_equal(x, value)
    return np.not_equal(np.asarray(x), value)


def _merged_mask(cls, inputs, masks, axis):
    """Keras's mask of a merge layer's output: Concatenate joins the inputs' masks (an input
    without one counts as unmasked) and keeps a step any of them keeps; the others keep a step
    any input keeps, and have no mask when an input has none."""
    if not isinstance(masks, (list, tuple)) or not isinstance(inputs, (list, tuple)) or \
            len(masks) != len(inputs):
        raise ValueError(f"{cls}.compute_mask: `inputs` and `mask` should be lists of the same "
                         f"length. Received: inputs={inputs}, mask={masks}")
    if all(m is None for m in masks):
        return None
    if any(isinstance(m, KerasTensor) for m in masks):   # symbolic: Keras's ops, as graph nodes
        return _merged_mask_nodes(cls, inputs, masks, axis)
    if cls == "Concatenate":
        full = []
        for x, m in zip(inputs, masks):
            x = np.asarray(x)
            m = np.ones(x.shape, bool) if m is None else np.asarray(m, bool)
            full.append(np.broadcast_to(m[..., None], x.shape) if m.ndim < x.ndim else m)
        return np.any(np.concatenate(full, axis=axis), axis=-1)
    if any(m is None for m in masks):
        return None
    return np.any(np.stack([np.asarray(m, bool) for m in masks]), axis=0)


class _MaskedOutput(np.ndarray):
    """A layer's output called on arrays, with the mask Keras attaches to it (`_keras_mask`,
    what `compute_mask` gave). Arithmetic on it gives plain arrays, as Keras's tensors lose
    the mask outside layers."""

    _keras_mask = None

    def __array_wrap__(self, array, context=None, return_scalar=False):
        array = array.view(np.ndarray)
        return array[()] if return_scalar else array


def _with_keras_mask(layer, inputs, outputs, given=None):
    """Keras's `__call__` mask bookkeeping for a call on arrays: a layer that supports
    masking or computes its own mask gets the mask given (`mask=`), else the inputs' masks
    (`_keras_mask`), and its outputs carry what its `compute_mask` returns."""
    if not (layer._computes_own_mask() or layer.supports_masking):
        return outputs
    flat = inputs if isinstance(inputs, (list, tuple)) else None
    previous = given if given is not None else \
        [getattr(x, "_keras_mask", None) for x in flat] if flat is not None else \
        getattr(inputs, "_keras_mask", None)
    mask = layer.compute_mask(inputs, previous)
    if mask is None:
        return outputs
    if isinstance(outputs, (list, tuple)):
        masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(outputs)
        return type(outputs)(_masked(o, m) for o, m in zip(outputs, masks))
    return _masked(outputs, mask[0] if isinstance(mask, (list, tuple)) else mask)


def _eager_mask(layer, inputs, mask):
    """The mask a built-in layer that uses masks (Keras passes them to its `call`) is called
    on arrays with (`mask=` or the inputs' `_keras_mask`), when it drops a step; None
    otherwise. (The attention layers' masks: _attention_on_arrays.)"""
    if not isinstance(layer, _BuiltinLayer) or _catalog.layer_call_masks(layer.class_name) is None:
        return None
    if mask is None:
        mask = getattr(inputs[0] if isinstance(inputs, (list, tuple)) and inputs else inputs,
                       "_keras_mask", None)
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    if mask is None or isinstance(mask, KerasTensor) or np.all(np.asarray(mask)):
        return None
    if _catalog.layer_call_masks(layer.class_name) != "mask" or isinstance(inputs, (list, tuple)):
        raise NotImplementedError(
            f"{layer.class_name} '{layer.name}' was called on arrays with a mask: the library "
            f"applies this layer's masks inside a model, where Embedding(mask_zero=True) or "
            f"Masking makes them; build a Sequential or functional model with that layer "
            f"before this one")
    return np.asarray(mask, bool)


def _note_call_kwarg(layer, node, key, value):
    """Keeps keyword argument `key` of the layer's symbolic call `node` (`training=`, `mask=`),
    which the model's config writes into that node's kwargs as Keras does: one record of them
    per call (`_call_kwargs[node]`, read with `_call_kwargs_of`), renumbered with the graph's calls
    as a whole."""
    layer.__dict__.setdefault("_call_kwargs", {}).setdefault(node, {})[key] = value


def _call_kwargs_of(layer, node):
    """The keyword arguments kept for the layer's symbolic call `node` (`_note_call_kwarg`)."""
    return (layer.__dict__.get("_call_kwargs") or {}).get(node) or {}


def _note_call_training(layer, node, kwargs, keywords_given=False):
    """Keeps the `training` value of a functional call: the one given (`base(x,
    training=False)`), else, as Keras writes it, its call's default when that is not None
    (False for the recurrent and dropout layers, True for the augmentations; a Python layer's
    own `call(x, training=False)`). As in Keras 3, fit/evaluate/predict pass their own training
    flag to every layer, this call's included; `model(x)` keeps it. A call given other keyword
    arguments (`keywords_given`: `GRU(16)(x, mask=m)`) gets no default: Keras's node records
    the keywords as the call gave them, its own additions going to a copy."""
    training = kwargs.get("training")
    if training is None and not keywords_given:
        training = _call_training_default(layer)
    if training is not None:
        _note_call_kwarg(layer, node, "training", bool(training))


def _call_training_default(layer):
    """The default of `training` in the layer's Keras `call`, None where it has none."""
    if isinstance(layer, _BuiltinLayer):
        return True if layer.class_name in _TRAINING_BY_DEFAULT else \
            False if layer.class_name in _TRAINING_OFF_BY_DEFAULT else None
    if type(layer).__module__.startswith(__package__ + "."):
        return None   # (the binding's own: op layers, nested models, Lambda)
    return _python_layers.call_default(layer, "training")


def _call_masked(layer, x, mask, training):
    """A built-in layer taking `mask` called on arrays with one: a private functional model of
    `layer(x, mask=m)` with both as its inputs (the layer's entry and weights, not the layer:
    its nodes stay the user's), as Keras's eager call."""
    x = _native.as_float32(x, f"{layer.name}(inputs)")
    if mask.shape != x.shape[:mask.ndim] or mask.ndim < 2:
        raise ValueError(f"{layer.class_name} '{layer.name}': the mask's shape {mask.shape} does "
                         f"not match the inputs' (batch, steps) {x.shape[:2]}")
    if not layer.built:
        layer._call_eagerly(x[:1], training)

    def tensor(name, shape):
        return {"class_name": "__keras_tensor__",
                "config": {"shape": [None, *shape[1:]], "dtype": "float32", "keras_history": [name, 0, 0]}}

    def input_entry(name, shape):
        return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                "config": {"batch_shape": [None, *shape[1:]], "dtype": "float32", "sparse": False,
                           "name": name}, "name": name, "inbound_nodes": []}
    xs, ms = f"{layer.name}_inputs", f"{layer.name}_mask"
    entry = {**layer._layer_entry(), "name": layer.name,
             "inbound_nodes": [{"args": [tensor(xs, x.shape)], "kwargs": {"mask": tensor(ms, mask.shape)}}]}
    from .models import model_from_json
    probe = model_from_json({"class_name": "Functional", "config": {
        "name": unique_name("layer_call"), "trainable": True,
        "layers": [input_entry(xs, x.shape), input_entry(ms, mask.shape), entry],
        "input_layers": [[xs, 0, 0], [ms, 0, 0]], "output_layers": [[layer.name, 0, 0]]}})
    weights = layer.get_weights()
    if weights:
        probe.set_weights(weights)
    return probe([x, mask.astype(np.float32)], training=training)


def _merged_mask_nodes(cls, inputs, masks, axis):
    """_merged_mask on symbolic tensors, as Keras's compute_mask computes it (base_merge's
    `logical_or` of the masks; Concatenate's `any` over the `concatenate` of each input's mask
    broadcast to it, `ones_like` for one without): the ops are nodes of the graph, which Keras
    writes in the config and the library runs."""
    from . import ops
    from .ops._functional import operation_node
    if cls != "Concatenate":
        if any(m is None for m in masks):
            return None
        out = masks[0]
        for m in masks[1:]:
            out = operation_node("logical_or", out, m)
        return out
    full = []
    for x, m in zip(inputs, masks):
        if m is None:
            full.append(ops.ones_like(x, dtype="bool"))
        elif m.ndim < x.ndim:
            full.append(operation_node("logical_or", ops.expand_dims(m, axis=-1), ops.zeros_like(x, dtype="bool")))
        else:
            full.append(m)
    return ops.any(operation_node("concatenate", full, axis=axis), axis=-1, keepdims=False)


def _attention_on_arrays(layer, inputs, args, kwargs):
    """An attention layer called on arrays, as Keras's eager call: `Attention()([q, v],
    mask=[q_mask, v_mask])` (without `mask=`, the inputs' `_keras_mask`), `MultiHeadAttention(
    ...)(q, v, key, value_mask=..., key_mask=...)` (the query's mask is its `_keras_mask`, as
    Keras's call takes it; value and key: the keyword's, else theirs), with `use_causal_mask` and
    `return_attention_scores`. The layer runs in a private functional model of its tensors and
    masks (the masks are inputs, given as the call's `mask=`), made again when the shapes, the
    masks given or the keywords change; its weights stay the layer's. The output carries the
    query's mask, as Keras's does."""
    kwargs = dict(kwargs)
    training = bool(kwargs.pop("training", False))
    if layer.class_name in ("Attention", "AdditiveAttention"):
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        given = kwargs.pop("mask", None)
        masks = list(given) if isinstance(given, (list, tuple)) else \
            [getattr(t, "_keras_mask", None) for t in tensors] if given is None else [given]
    else:
        value = args[0] if args else kwargs.pop("value", None)
        key = args[1] if len(args) > 1 else kwargs.pop("key", None)
        if value is None:
            raise TypeError(f"{layer.class_name}.call() missing 1 required positional argument: 'value'")
        tensors = [inputs, value] + ([key] if key is not None else [])
        kwargs.pop("query_mask", None)   # (Keras's call takes the query's own mask instead)
        masks = [getattr(inputs, "_keras_mask", None)]
        for name, tensor in (("value_mask", value), ("key_mask", key)):
            given = kwargs.pop(name, None)
            masks.append(given if given is not None else getattr(tensor, "_keras_mask", None))
    unknown = sorted(k for k, v in kwargs.items() if k not in _ATTENTION_KEYWORDS and v is not None)
    if unknown:
        raise NotImplementedError(f"{layer.class_name} '{layer.name}' called on arrays with "
                                  f"{', '.join(unknown)}: the library's eager call takes the "
                                  f"inputs, their masks, use_causal_mask and return_attention_scores")
    values = [_native.as_float32(t, f"{layer.name}(inputs[{i}])") for i, t in enumerate(tensors)]
    masks = [None if m is None else np.asarray(m, bool) for m in (masks + [None] * len(values))[:len(values)]]
    for i, (v, m) in enumerate(zip(values, masks)):
        if m is not None and m.shape != v.shape[:m.ndim]:
            raise ValueError(f"{layer.class_name} '{layer.name}': mask {i} of shape {m.shape} does "
                             f"not match its input's shape {v.shape}")
    given = [m for m in masks if m is not None]
    options = {k: True for k in _ATTENTION_KEYWORDS if kwargs.get(k)}
    shapes = [v.shape[1:] for v in values] + [m.shape[1:] for m in given]
    pattern = tuple(m is not None for m in masks)

    def connect(ins):
        xs, ms = ins[:len(values)], iter(ins[len(values):])
        extra = {"mask": [next(ms) if p else None for p in pattern]} if given else {}
        if layer.class_name in ("Attention", "AdditiveAttention"):
            return layer(xs, **extra, **options)
        return layer(xs[0], *xs[1:], **extra, **options)
    from ._rnn_states import private_model
    model = private_model(layer, shapes, connect, key=(tuple(map(tuple, shapes)), pattern, tuple(sorted(options))))
    out = model(values + [m.astype(np.float32) for m in given], training=training)
    if layer.class_name == "MultiHeadAttention":
        # Keras's call takes the masks of its tensors and sets them to None on them (not
        # GroupQueryAttention's, nor Attention's).
        for t in tensors:
            if isinstance(t, _MaskedOutput):
                t._keras_mask = None
    if options.get("return_attention_scores"):
        return (_masked(out[0], masks[0]), out[1])
    return _masked(out, masks[0])


def _masked(output, mask):
    if mask is None or not isinstance(output, np.ndarray):
        return output
    out = output.view(_MaskedOutput)
    out._keras_mask = mask
    return out


def _weighted_counts(layer, inputs, count_weights):
    """Keras's `CategoryEncoding(output_mode="count")(x, count_weights=w)` on arrays: each
    token's weights summed per sample (Keras uses count_weights in "count" mode only)."""
    config = layer.get_config()
    if config.get("output_mode") != "count":
        return layer(inputs)
    tokens = np.asarray(inputs)
    weights = np.asarray(count_weights, np.float32)
    if tokens.shape != weights.shape:
        raise ValueError(f"CategoryEncoding: count_weights of shape {weights.shape} must have the shape "
                         f"of the inputs, {tokens.shape}")
    if tokens.size and (tokens.min() < 0 or tokens.max() >= config["num_tokens"]):
        raise ValueError(f"CategoryEncoding: input values must be in the range 0 <= values < num_tokens "
                         f"with num_tokens={config['num_tokens']}")
    rows = tokens.reshape(-1, tokens.shape[-1]) if tokens.ndim > 1 else tokens.reshape(1, -1)
    out = np.zeros((rows.shape[0], config["num_tokens"]), np.float32)
    for i, (row, w) in enumerate(zip(rows, weights.reshape(rows.shape))):
        np.add.at(out[i], row.astype(np.int64), w)
    return out.reshape(tokens.shape[:-1] + (config["num_tokens"],)) if tokens.ndim > 1 else out[0]


# Built-in layers that only move, pick or combine their inputs' values with + - * max min:
# Keras casts only floating inputs to the compute dtype, so on integers these return int32
# (the library computes in float32, exactly for such values).
_KEEPS_INTEGERS = {"Concatenate", "Add", "Subtract", "Multiply", "Maximum", "Minimum", "Dot",
                   "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D",
                   "Cropping1D", "Cropping2D", "Cropping3D", "Reshape", "Flatten", "Permute",
                   "RepeatVector", "Identity"}


# Built-in layers that Keras rounds back to their integer input's dtype, saturating (Resizing's
# `_saturate_cast(round(resized), images.dtype)`).
_ROUNDS_TO_INPUT_INTEGERS = {"Resizing"}


def _integers_kept(layer, inputs, out):
    """`out` as Keras's dtype for a layer of _KEEPS_INTEGERS or _ROUNDS_TO_INPUT_INTEGERS called
    on integer arrays."""
    name = layer.__dict__.get("class_name", type(layer).class_name) if isinstance(layer, _BuiltinLayer) else None
    if name not in _KEEPS_INTEGERS | _ROUNDS_TO_INPUT_INTEGERS or not isinstance(out, np.ndarray) or \
            not inputs or not all(isinstance(x, np.ndarray) and x.dtype.kind in "iu" for x in inputs):
        return out
    if name in _ROUNDS_TO_INPUT_INTEGERS:
        limits = np.iinfo(inputs[0].dtype)
        return np.clip(np.round(out), limits.min, limits.max).astype(inputs[0].dtype)
    return out.astype(np.int32)


def _keras_attribute(name, value):
    """A constructor argument as Keras's layers keep it as an attribute."""
    from . import activations, constraints, initializers, regularizers
    if name.endswith("activation"):
        return activations.get(value)
    if name.endswith("initializer"):
        return initializers.get(value)
    if name.endswith("regularizer"):
        return regularizers.get(value)
    if name.endswith("constraint"):
        return constraints.get(value)
    return _tuples(value)


def _standardized(layer, name, value):
    """A spatial argument as Keras's constructors keep it: `kernel_size=3` of a Conv2D is
    (3, 3), a pooling layer's `strides=None` its pool size, `cropping=1` ((1, 1), (1, 1))."""
    import re
    cls = layer.class_name
    rank = re.search(r"(\d)D", cls)
    n = int(rank.group(1)) if rank else None
    if name == "strides" and value is None and "Pool" in cls:
        value = layer._args.get("pool_size", _catalog.layer_signature(cls)[1].get("pool_size"))
    if n and name in ("kernel_size", "strides", "dilation_rate", "pool_size") and isinstance(value, int):
        return (value,) * n
    if (cls, name) in _FACTOR_PAIRS and value is not None:
        return _factor_pair(value, _FACTOR_PAIRS[cls, name])
    if n and name in ("cropping", "padding") and cls.startswith(("Cropping", "ZeroPadding")):
        if n == 1:
            return (value, value) if isinstance(value, int) else _tuples(value)
        if isinstance(value, int):
            return ((value, value),) * n
        return tuple((v, v) if isinstance(v, int) else tuple(v) for v in value)
    if cls == "Solarization" and name in ("addition_factor", "threshold_factor") and value is not None:
        return (0, value) if isinstance(value, (int, float)) else tuple(sorted(value))   # Keras's _set_factor
    if cls == "MultiHeadAttention" and name == "value_dim" and value is None:
        return layer._args.get("key_dim")
    if cls == "Normalization" and name == "axis" and isinstance(value, int):
        return (value,)
    if cls == "MelSpectrogram" and value is None and name in ("sequence_length", "max_freq"):
        signature = _catalog.layer_signature(cls)[1]
        if name == "sequence_length":
            return layer._args.get("fft_length", signature.get("fft_length"))
        return int(layer._args.get("sampling_rate", signature.get("sampling_rate")) / 2)
    return value


# The image layers' range arguments Keras keeps as (lower, upper): a number f is (-f, f) where
# the lower end is open ("symmetric"), (0, f) where it is bounded at 0, (f, f) for a size.
_FACTOR_PAIRS = {("RandomShear", "x_factor"): "symmetric", ("RandomShear", "y_factor"): "symmetric",
                 ("RandomGaussianBlur", "sigma"): "from_zero", ("RandomGaussianBlur", "kernel_size"): "size",
                 ("RandomErasing", "scale"): "from_zero", ("RandomElasticTransform", "scale"): "from_zero"}


def _factor_pair(value, kind):
    if isinstance(value, (list, tuple)):
        return tuple(value) if kind == "size" else tuple(sorted(value))
    if kind == "size":
        return (value, value)
    return (-abs(value), abs(value)) if kind == "symmetric" else (max(-abs(value), 0), abs(value))


def _tuples(value):
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


# The states a recurrent layer returns with `return_state` (its compute_mask gives each None).
_RNN_STATE_COUNT = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1, "ConvLSTM1D": 2, "ConvLSTM2D": 2, "ConvLSTM3D": 2}
# The merge layers, whose compute_mask combines their inputs' masks (Keras's base_merge).
_MERGE_MASKS = frozenset({"Add", "Average", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract"})
# The attention layers' call keywords that Keras writes in a functional node, in Keras's order.
_ATTENTION_KEYWORDS = ("use_causal_mask", "return_attention_scores")
# The random image augmentations: Keras names their SeedGenerator `generator`.
_AUGMENTATIONS = frozenset({"RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
                            "RandomContrast", "RandomBrightness", "RandomCrop"}) | frozenset({
    "RandomShear", "RandomGaussianBlur", "RandomErasing", "MixUp", "CutMix", "RandomPerspective",
    "RandomElasticTransform"})
# Keras's layers whose call defaults to training=True (its image preprocessing layers and
# Pipeline): called directly, outside fit/evaluate/predict, they augment.
_TRAINING_BY_DEFAULT = frozenset({
    "AugMix", "AutoContrast", "CenterCrop", "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix", "Equalization", "MaxNumBoundingBoxes", "MixUp", "Pipeline", "RandAugment",
    "RandomBrightness", "RandomColorDegeneration", "RandomColorJitter", "RandomContrast",
    "RandomCrop", "RandomElasticTransform", "RandomErasing", "RandomFlip", "RandomGaussianBlur",
    "RandomGrayscale", "RandomHue", "RandomInvert", "RandomPerspective", "RandomPosterization",
    "RandomRotation", "RandomSaturation", "RandomSharpness", "RandomShear", "RandomTranslation",
    "RandomZoom", "Resizing", "Solarization"})
# Keras's layers whose call defaults to training=False, which Keras writes in their nodes.
_TRAINING_OFF_BY_DEFAULT = frozenset({
    "AlphaDropout", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Dropout", "GRU", "GaussianDropout",
    "GaussianNoise", "LSTM", "RNN", "SimpleRNN", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D"})
# Keras's colour augmentations, which name their SeedGenerator `generator` too.
_AUGMENTATIONS = _AUGMENTATIONS | {"Solarization", "RandomInvert", "RandomGrayscale", "RandomPosterization",
                                   "RandomColorDegeneration", "RandomHue", "RandomSaturation", "RandomSharpness",
                                   "RandomColorJitter"} | {"RandAugment", "AugMix"}
_RNN_CELLS = {"LSTM": "LSTMCell", "GRU": "GRUCell", "SimpleRNN": "SimpleRNNCell", "ConvLSTM1D": "ConvLSTMCell",
              "ConvLSTM2D": "ConvLSTMCell", "ConvLSTM3D": "ConvLSTMCell"}
# Keras's weight properties that say "You must build the layer before accessing" (the other
# classes' weights are plain attributes, missing until built).
_CONV = ("Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D")
_BUILD_FIRST = {"kernel": frozenset(("Dense", "EinsumDense") + _CONV),
                "embeddings": frozenset({"Embedding", "ReversibleEmbedding"})}
# The arguments of the `build` of layers that Keras builds from several named shapes.
_BUILD_ARGUMENTS = {"MultiHeadAttention": ("query_shape", "value_shape", "key_shape"),
                    "GroupQueryAttention": ("query_shape", "value_shape", "key_shape")}
# Layers Keras makes inside a layer, by attribute: (their class, their name in the paths).
_INNER_LAYERS = {"MultiHeadAttention": {
    "query_dense": ("EinsumDense", "query"), "key_dense": ("EinsumDense", "key"),
    "value_dense": ("EinsumDense", "value"), "output_dense": ("EinsumDense", "attention_output")},
    "GroupQueryAttention": {   # (Keras's attributes of GroupedQueryAttention are private)
    "_query_dense": ("EinsumDense", "query"), "_key_dense": ("EinsumDense", "key"),
    "_value_dense": ("EinsumDense", "value"), "_output_dense": ("EinsumDense", "attention_output")}}
# RandomColorJitter's augmentations, which Keras makes inside it (one per factor given).
_JITTER_PARTS = {"random_brightness": "RandomBrightness", "random_contrast": "RandomContrast",
                 "random_saturation": "RandomSaturation", "random_hue": "RandomHue"}
# RandAugment's and AugMix's augmentations, which Keras makes inside them.
_AUGMENT_PARTS = {"random_shear": "RandomShear", "random_translation": "RandomTranslation",
                  "random_rotation": "RandomRotation", "random_brightness": "RandomBrightness",
                  "random_color_degeneration": "RandomColorDegeneration", "random_contrast": "RandomContrast",
                  "random_sharpness": "RandomSharpness", "solarization": "Solarization",
                  "random_posterization": "RandomPosterization", "auto_contrast": "AutoContrast",
                  "equalization": "Equalization"}
_AUGMIX_COLOR_PARTS = frozenset({"random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness"})
# The order in which Keras's constructors make them.
_AUGMENT_ORDER = {
    "RandAugment": ("random_shear", "random_translation", "random_rotation", "random_brightness",
                    "random_color_degeneration", "random_contrast", "random_sharpness", "solarization",
                    "random_posterization", "auto_contrast", "equalization"),
    "AugMix": ("random_shear", "random_translation", "random_rotation", "solarization", "random_posterization",
               "auto_contrast", "equalization", "random_brightness", "random_color_degeneration", "random_contrast",
               "random_sharpness")}
# Attributes of a layer that are the binding's bookkeeping, not layers it tracks (Keras's).
_BOOKKEEPING = frozenset({"_owner", "_sequential", "_parent", "_traced_in"})   # (back-references)


def _tracked_sublayers(layer):
    """(attribute, its position among the layer's attributes, index in a list or a dict's
    values or -1, value) for each layer or model held in `layer`'s attributes, as Keras tracks
    them (keras.io's VariableSelection holds its embeddings in a dict by feature name)."""
    from .models import Model
    for order, (key, value) in enumerate(list(vars(layer).items())):
        if key in _BOOKKEEPING:
            continue
        held = isinstance(value, (list, tuple, dict))
        items = list(value.values()) if isinstance(value, dict) else value if held else [value]
        for i, item in enumerate(items):
            if isinstance(item, (Layer, Model)) and item is not layer:
                yield key, order, i if held else -1, item


def _take_build_names(layer):
    """Takes the automatic names Keras takes when it first calls `layer` (building it): those
    of the objects its build makes (_NAMES_TAKEN_AT_BUILD), and for a layer written in Python,
    those its sublayers take when Keras runs its call on symbolic tensors (a Sequential's
    inner `Functional`, keras.io's transformer tutorial), so that later names match Keras's."""
    from .models import Sequential
    layer.__dict__["_build_names_taken"] = True
    for prefix in _NAMES_TAKEN_AT_BUILD.get(getattr(layer, "class_name", None), ()):
        unique_name(prefix)
    if isinstance(layer, _BuiltinLayer):
        _take_build_seeds(layer)
        return
    for _, _, _, item in _tracked_sublayers(layer):
        if isinstance(item, Sequential) and not item.__dict__.get("_build_names_taken") and \
                item.__dict__.get("_handle") is None:
            _take_sequential_build_names(item)
        elif isinstance(item, Layer) and not item.__dict__.get("_build_names_taken"):
            _take_build_names(item)


def _take_build_seeds(layer):
    """Draws, once, the seeds built-in `layer`'s build takes from Python's `random` in Keras
    (when it is first called, or added to a Sequential with an Input), handed to the library."""
    from ._default_seeds import DRAWS_AT_BUILD, build_seeds
    if layer.class_name not in DRAWS_AT_BUILD or "_build_seeds" in layer.__dict__:
        return
    defaults = (_catalog.layer_signature(layer.class_name) or ((), {}, ()))[1]
    layer.__dict__["_build_seeds"] = build_seeds(layer.class_name, layer._args, defaults)


def _take_sequential_build_names(model):
    """The names Keras takes when it builds a Sequential (its first call on symbolic tensors):
    its inner `Functional`'s "functional" (the next unnamed model is functional_1, as in
    keras.io's ViT, whose augmentation Sequential is called on the model's Input) and those
    its layers take when they are built, and its InputLayer's where it has no Input of its own
    (Keras's build makes one)."""
    model.__dict__["_build_names_taken"] = True
    unique_name("functional")
    if model._input_batch_shape is None or model.__dict__.get("_input_from_call"):
        unique_name("input_layer")
    for inner in model._layers:
        if not inner.__dict__.get("_build_names_taken"):
            _take_build_names(inner)


# Layers Keras makes unnamed when it builds a layer (its first call): they take automatic
# names, so that the user's next Dropout is dropout_1 as in Keras (keras.io's timeseries
# transformer).
_NAMES_TAKEN_AT_BUILD = {"MultiHeadAttention": ("softmax", "dropout"),
                         "GroupQueryAttention": ("softmax", "dropout")}
# The built-in layer classes that Keras 3 builds in their constructor (no state to make): they
# are `built` from the start, have no `path` and their `get_build_config()` is None.
_BUILT_AT_INIT = frozenset({
    "Activation", "ActivityRegularization", "AlphaDropout", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "Dropout", "ELU", "GaussianDropout",
    "GaussianNoise", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D",
    "GlobalMaxPool3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "Identity",
    "LeakyReLU", "Masking", "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D",
    "MaxPooling3D", "ReLU", "Reshape", "Softmax", "SpatialDropout1D", "SpatialDropout2D",
    "SpatialDropout3D", "UnitNormalization"})


_classes: dict[str, type] = {}
# Keras classes exported under another name, by that name: their automatic layer names come
# from the class's own (GroupQueryAttention's layers are grouped_query_attention).
_PYTHON_CLASS_NAMES = {"GroupQueryAttention": "GroupedQueryAttention"}


def _adapt_batches(data, steps, who, each=None, inputs_of_tuples=False):
    """`data` as one array of samples: as given when it is an array or a list, or, as Keras
    adapts on any other iterable of batches (a generator, a `PyDataset`/`Sequence`, a dataset),
    its first `steps` batches (all when None) joined along the batch axis, each first passed
    through `each` where given. A batch `(x, y[, sample_weight])` gives its `x` where
    `inputs_of_tuples` (Keras's Normalization), and is refused elsewhere (as Keras's lookups)."""
    if not hasattr(data, "__iter__") or isinstance(data, (list, tuple, np.ndarray, str, bytes)) \
            or hasattr(data, "__array__"):
        return data
    batches = []
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple) and batch and inputs_of_tuples:
            batch = batch[0]
        if isinstance(batch, (tuple, dict)):
            raise ValueError(f"{who}: each batch must be an array of samples, got a "
                             f"{type(batch).__name__} (adapt takes the inputs only, no targets)")
        batch = np.asarray(batch)
        batches.append(np.asarray(each(batch) if each is not None else batch).reshape((-1,) + batch.shape[1:]))
    if not batches:
        raise ValueError(f"{who}: the iterable of batches gave none (it is exhausted)")
    if len({b.shape[1:] for b in batches}) > 1:
        raise ValueError(f"{who}: the batches must have equal shapes but for the batch axis, got "
                         f"{sorted({b.shape for b in batches})}")
    return np.concatenate(batches)


def _adapt(self, data, batch_size=None, steps=None):
    """Keras's `layer.adapt(data)`: computes the layer's state from a numpy array of samples
    (Normalization: mean and variance; Discretization: bin boundaries; IntegerLookup: vocabulary)
    or an iterable of batches of them, in the library, before or after the layer joins a model."""
    who = f"{self.name}.adapt(data)"
    x = _native.as_float32(_adapt_batches(data, steps, who, inputs_of_tuples=self._class_name() == "Normalization"), who)
    if x.ndim == 0:
        raise ValueError(f"{self.class_name} '{self.name}'.adapt: data must have a batch axis, got a scalar")
    if self._owner is None or self._owner._handle is None:
        from .models import Sequential
        owner = Sequential(name=unique_name("layer_adapt"))
        owner._adopt(self, batch_shape=(None,) + x.shape[1:], alone=True)
    self._owner._adapt_layer(self, x)


def _python_module(class_name: str) -> str:
    """This package's module of a library layer class: swiftkeras.layers, or for a class Keras
    keeps in another module the module here of that name (LayerScale's
    keras.src.applications.convnext: swiftkeras.applications.convnext)."""
    module = _catalog.layer_module(class_name)
    return __name__ if module == "keras.layers" else f"{__package__}.{module.removeprefix('keras.src.')}"


def _layer_class(class_name: str) -> type | None:
    if class_name in _classes:
        return _classes[class_name]
    canonical = _catalog.layer_class_name(class_name)
    if canonical != class_name:   # Keras's aliases are the class itself (MaxPool2D is MaxPooling2D)
        cls = _layer_class(canonical)
        if cls is not None:
            _classes[class_name] = cls
        return cls
    sig = _catalog.layer_signature(class_name)
    if sig is None:
        return None
    names, defaults, required = sig
    attrs = {"class_name": class_name, "_required": required,
             "_positional": tuple(n for n in names if n not in _catalog.layer_keyword_only(class_name)),
             "__module__": _python_module(class_name),
             "__doc__": f"Keras `{class_name}`, computed by the SwiftKeras library."}
    # Keras's base Layer arguments go to the library as they are; the rest must be listed.
    attrs["_known"] = frozenset(names) | {"input_shape", "input_dim", "batch_size",
                                          "batch_input_shape", "input_length",
                                          "activity_regularizer", "autocast"}
    attrs["__signature__"] = _signature(attrs["_positional"], defaults)   # (keyword-only ones: Keras's **kwargs)
    attrs["_unsaved"] = _catalog.layer_unsaved(class_name)
    if _catalog.layer_adaptable(class_name):
        attrs["adapt"] = _adapt
    if class_name in _vocabulary.LAYERS:
        attrs.update(get_vocabulary=_vocabulary.get_vocabulary, vocabulary_size=_vocabulary.vocabulary_size,
                     set_vocabulary=_vocabulary.set_vocabulary)
    if class_name in _cells.STATE_COUNTS:
        attrs.update(_cells.attributes())
    if class_name == "StackedRNNCells":
        attrs.update(_cells.stacked_attributes())
    if class_name in _rnn_states.LAYERS:
        attrs.update(_rnn_states.attributes(class_name))
    if class_name == "TextVectorization":
        attrs.update(_text_callables.layer_methods())
    if class_name == "GroupQueryAttention":
        attrs.update(num_repeats=property(lambda self: self._args["num_query_heads"] // self._args["num_key_value_heads"]),
                     feature_dim=property(_query_feature_dim))
    if class_name == "SpectralNormalization":   # the wrapped weight's shape, once built
        attrs["kernel_shape"] = property(_kernel_shape)
        attrs["normalized_weights"] = _normalized_weights
    bases = (_BuiltinLayer,)
    if class_name in ("Bidirectional", "TimeDistributed", "SpectralNormalization"):   # Keras's wrappers
        bases = (_BuiltinLayer, Wrapper)
        attrs["from_config"] = classmethod(_builtin_wrapper_from_config)
    cls = type(_PYTHON_CLASS_NAMES.get(class_name, class_name), bases, attrs)
    _classes[class_name] = cls
    return cls


# Keras's image layers that change pixel values only: their transform_labels,
# transform_bounding_boxes and transform_segmentation_masks return what they are given.
# (Keras 3.15's own RandomGrayscale call refuses a dict, its random draw reading `images.shape`
# of the dict: here it takes one as its transform_* methods would.)
_PHOTOMETRIC = frozenset({
    "AutoContrast", "Equalization", "RandomBrightness", "RandomColorDegeneration", "RandomColorJitter",
    "RandomContrast", "RandomErasing", "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
    "RandomPosterization", "RandomSaturation", "RandomSharpness", "Solarization"})


def _images_only(layer, data, training):
    """A layer of _PHOTOMETRIC on Keras's dict of `images` with `labels`, `bounding_boxes` and
    `segmentation_masks`: the images through the layer, the other entries as given (as Keras
    returns them: the boxes checked and made float32; Keras's error for boxes given to a layer
    without a `bounding_box_format`)."""
    if "images" not in data:
        raise KeyError("images")   # (Keras's: `data["images"]`)
    out = dict(data)
    if "bounding_boxes" in data:
        if not _box_augment.box_format(layer):
            raise _box_augment.no_box_format(layer)
        out["bounding_boxes"] = _box_augment.densified(data["bounding_boxes"])
    out["images"] = layer(data["images"]) if training is None else layer(data["images"], training=training)
    return out


def _mixed_up(layer, data, training):
    """MixUp on Keras's dict of `images` and `labels` (batch, classes): one call of the layer
    mixes both with the same per-sample weight and partner, as Keras's. MixUp mixes every value
    of a sample alike, so each sample's labels ride along as values of its image (the batch
    packed as one (batch, 1, values, 1) image); bounding boxes and segmentation masks follow
    the call's draws as Keras's transform_* move them (_box_augment.mix_up_extras)."""
    def call(x):
        return np.asarray(layer(x) if training is None else layer(x, training=training))
    out = dict(data)
    images = np.asarray(data["images"], np.float32)
    labels = None
    if images.ndim == 4 and "labels" in data:
        labels = np.asarray(data["labels"], np.float32)
        if labels.ndim != 2 or len(labels) != len(images):
            raise ValueError(f"{type(layer).__name__}: expected labels of shape (batch, classes) for images of "
                             f"shape {images.shape}, got {labels.shape}")
        n = len(images)
        x = np.concatenate([images.reshape(n, -1), labels], axis=1)[:, None, :, None]
    else:
        x = images
    draws = None
    if "bounding_boxes" in data or "segmentation_masks" in data:   # (Keras's MixUp draws at inference too)
        draws = _box_augment.draws_before_call(layer, x)
    y = call(x)
    if labels is None:
        out["images"] = y
    else:
        flat = y.reshape(len(images), -1)
        out["images"], out["labels"] = flat[:, :images[0].size].reshape(images.shape), flat[:, images[0].size:]
    if draws is not None:
        out.update(_box_augment.mix_up_extras(layer, data, draws, True if training is None else bool(training)))
    return out


def _cut_mixed(layer, data, training):
    """CutMix on Keras's dict of `images` and `labels` (batch, classes): one call of the layer
    pastes each image's box from its partner and mixes its labels with the partner's by one
    minus the box's share of the image (Keras's `mix_weight`, from the box's unrounded corners:
    keras.h, keras_model_layer_cut_mix); the other entries pass as given (Keras refuses bounding
    boxes). Segmentation masks get the boxes of their images, as Keras's: they ride along as
    channels of the images."""
    if "bounding_boxes" in data:
        if not _box_augment.box_format(layer):
            raise _box_augment.no_box_format(layer)
        raise NotImplementedError(f"{type(layer).__name__} does not transform bounding boxes (Keras's "
                                  "CutMix.transform_bounding_boxes is not implemented)")
    out = dict(data)
    images = np.ascontiguousarray(data["images"], np.float32)
    if "segmentation_masks" in data:
        masks = np.asarray(data["segmentation_masks"], np.float32)
        axis = (0 if images.ndim == 3 else 1) if layer._args.get("data_format") == "channels_first" else -1
        split = images.shape[axis]
        rest = {k: v for k, v in data.items() if k != "segmentation_masks"}
        both = _cut_mixed(layer, {**rest, "images": np.concatenate([images, masks], axis=axis)}, training)
        out.update(both)
        out["images"], out["segmentation_masks"] = np.split(both["images"], [split], axis=axis)
        if images.ndim == 4 and training is not False:   # (Keras pastes them through the images' channels)
            masks = out["segmentation_masks"]
            out["segmentation_masks"] = np.ascontiguousarray(
                np.broadcast_to(masks, np.broadcast_shapes(masks.shape, out["images"].shape)))
        return out
    if "labels" not in data:
        out["images"] = np.asarray(layer(images) if training is None else layer(images, training=training))
        return out
    labels = np.ascontiguousarray(data["labels"], np.float32)
    if images.ndim == 4 and (labels.ndim != 2 or len(labels) != len(images)):
        raise ValueError(f"{type(layer).__name__}: expected labels of shape (batch, classes) for images of shape "
                         f"{images.shape}, got {labels.shape}")
    training = True if training is None else bool(training)   # (Keras's default for its image layers)
    if layer.__dict__.get("_owner") is None:
        layer(images, training=False)   # made in a private model (draws nothing at inference)
    handle, name = _rnn_states._located(layer)
    if handle is None:
        raise ValueError(f"CutMix '{layer.name}' could not be built for images of shape {images.shape}")
    cut, mixed = np.empty_like(images), np.empty_like(labels)
    float_p, int64_p = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int64)
    shapes = [np.asarray(a.shape, np.int64) for a in (images, labels)]
    _native.check(_lib.keras_model_layer_cut_mix(
        handle, name, images.ctypes.data_as(float_p), images.ndim, shapes[0].ctypes.data_as(int64_p),
        labels.ctypes.data_as(float_p), labels.ndim, shapes[1].ctypes.data_as(int64_p), int(training),
        cut.ctypes.data_as(float_p), cut.size, mixed.ctypes.data_as(float_p), mixed.size))
    out["images"], out["labels"] = cut, mixed
    return out


def _aug_mixed(layer, images):
    """AugMix called on arrays in training: the augmentations of its chains chosen with Python's
    `random.choice` among its augmentations and None, chain by chain, as Keras's
    `get_random_transformation` chooses them (so `random.seed` fixes them alike, and Python's
    generator moves on as Keras's call moves it), the rest drawn by the library from the layer's
    seed generator (keras.h, keras_model_layer_aug_mix)."""
    images = np.ascontiguousarray(images, np.float32)
    args = layer.__dict__.get("_args") or {}
    steps = 11 if args.get("all_ops", True) else 7   # Keras's AUGMENT_LAYERS_ALL or AUGMENT_LAYERS
    chains, depth = int(args.get("num_chains", 3)), int(args.get("chain_depth", 3))
    choices = np.array(_python_choices(steps, chains * depth), np.int32)
    if layer.__dict__.get("_owner") is None:
        layer(images, training=False)   # made in a private model (draws nothing at inference)
    handle, name = _rnn_states._located(layer)
    if handle is None:
        raise ValueError(f"AugMix '{layer.name}' could not be built for images of shape {images.shape}")
    out = np.empty_like(images)
    shape = np.asarray(images.shape, np.int64)
    _native.check(_lib.keras_model_layer_aug_mix(
        handle, name, images.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), images.ndim,
        shape.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)), choices.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
        choices.size, 1, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), out.size))
    return out


def _python_choices(steps, count):
    """`count` of AugMix's choices, each Python's `random.choice(augmentations + [None])` among
    its `steps` augmentations, as Keras's `get_random_transformation` makes them (-1: None)."""
    options = list(range(steps)) + [-1]
    return [_py_random.choice(options) for _ in range(count)]


@_lib.keras_aug_mix_chooser_fn
def _choose_with_python(_, steps, count, choices):
    """The library's AugMix chooser while a fit runs (keras.h, keras_aug_mix_chooser_fn)."""
    try:
        for i, choice in enumerate(_python_choices(steps, count)):
            choices[i] = choice
        return 0
    except BaseException:   # (the fit then fails with the library's message)
        return 1


class _aug_mix_chosen_in_python:
    """While the library fits `model`, its AugMix layers choose their chains' augmentations at
    each training step with Python's `random`, as Keras's do: Keras's AugMix holds layers that
    cannot be jitted, so its fit runs every step eagerly, choosing anew (keras.h,
    keras_model_set_aug_mix_chooser); after the fit the choice is the thread generator's again."""

    def __init__(self, model):
        self.handle = model._handle if _lib.has("keras_model_set_aug_mix_chooser") else None

    def __enter__(self):
        if self.handle is not None:
            _native.check(_lib.keras_model_set_aug_mix_chooser(self.handle, _choose_with_python, None))

    def __exit__(self, *exc):
        if self.handle is not None:
            _lib.keras_model_set_aug_mix_chooser(self.handle, ctypes.cast(None, _lib.keras_aug_mix_chooser_fn), None)


def _bounding_boxes_padded(layer, data, training):
    """MaxNumBoundingBoxes on Keras's dict of `images` and `bounding_boxes` (`boxes` of shape
    (batch, n, 4), `labels` (batch, n)): the images through the layer, each image's boxes and
    labels cut to `max_number` or padded with `fill_value` (Keras pads at inference too), the
    other entries as given."""
    out = dict(data)
    if "images" in data:
        out["images"] = layer(data["images"]) if training is None else layer(data["images"], training=training)
    if "bounding_boxes" not in data:
        return out
    if not _box_augment.box_format(layer):
        raise _box_augment.no_box_format(layer)
    count = layer.max_number
    fill = layer._args.get("fill_value", -1)
    boxes, labels = np.asarray(data["bounding_boxes"]["boxes"]), np.asarray(data["bounding_boxes"]["labels"])
    if boxes.ndim != 3 or boxes.shape[-1] != 4 or labels.shape != boxes.shape[:2]:
        raise ValueError(f"{type(layer).__name__}: expected bounding_boxes['boxes'] of shape (batch, boxes, 4) and "
                         f"['labels'] of shape (batch, boxes), got {boxes.shape} and {labels.shape}")
    pad = max(count - boxes.shape[1], 0)
    out["bounding_boxes"] = dict(data["bounding_boxes"],
                                 boxes=np.pad(boxes[:, :count], [(0, 0), (0, pad), (0, 0)], constant_values=fill),
                                 labels=np.pad(labels[:, :count], [(0, 0), (0, pad)], constant_values=fill))
    return out


def _kernel_shape(layer):
    """SpectralNormalization's `kernel_shape`: the shape of the wrapped kernel (or embeddings)."""
    for w in layer.weights if layer.built else []:
        return tuple(w.shape)   # (the wrapper lists the wrapped weight first, as Keras)
    raise AttributeError(f"'{type(layer).__name__}' object has no attribute 'kernel_shape'")


def _normalized_weights(layer):
    """SpectralNormalization's `normalized_weights()`: (the power iteration's new `vector_u`,
    the kernel divided by its estimated largest singular value), as numpy arrays; the layer's
    weights are left as they are."""
    if not layer.built:
        raise ValueError(f"SpectralNormalization '{layer.name}' is not built: call it on data first")
    handle, name = _rnn_states._located(layer)
    if handle is None:
        raise ValueError(f"SpectralNormalization '{layer.name}' is not built: call it on data first")
    kernel_shape = _kernel_shape(layer)
    vector_u = np.empty((1, kernel_shape[-1]), np.float32)
    kernel = np.empty(kernel_shape, np.float32)
    pointer = ctypes.POINTER(ctypes.c_float)
    _native.check(_lib.keras_model_layer_normalized_weights(handle, name, vector_u.ctypes.data_as(pointer), vector_u.size,
                                                            kernel.ctypes.data_as(pointer), kernel.size))
    return vector_u, kernel


def _query_feature_dim(layer):
    """GroupQueryAttention's `feature_dim`, once built: the query's (and output's) features."""
    for w in layer.weights if layer.built else []:
        if w.path.endswith("attention_output/kernel"):
            return int(w.shape[-1])
    raise AttributeError(f"'{type(layer).__name__}' object has no attribute 'feature_dim'")


def _signature(names, defaults):
    """`inspect.signature(layers.Dense)`: the catalogue's arguments and defaults, as Keras."""
    import inspect
    params, keyword_only = [], False
    for n in names:
        has_default = n in defaults
        if not has_default and keyword_only:
            kind = inspect.Parameter.KEYWORD_ONLY
        else:
            kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
            keyword_only = keyword_only or has_default
        params.append(inspect.Parameter(n, kind, default=defaults[n] if has_default
                                        else inspect.Parameter.empty))
    params.sort(key=lambda p: p.kind)
    params.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
    try:
        return inspect.Signature(params)
    except ValueError:
        return None


def serialize(layer):
    """Keras `keras.layers.serialize`: `{"module", "class_name", "config": get_config(),
    "registered_name"}`, with the build config of a built layer."""
    from .saving import serialize_keras_object
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Keras `keras.layers.deserialize`: the layer `keras.layers.serialize` described."""
    from .saving import deserialize_keras_object
    return deserialize_keras_object(config, custom_objects=custom_objects)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    cls = _layer_class(name)
    if cls is not None and cls.__module__ != __name__:
        cls = None   # (an application's own layer: keras.applications' module has it)
    if cls is None:
        raise AttributeError(f"module 'swiftkeras.layers' has no attribute '{name}'. The "
                             f"library's layers: {', '.join(_catalog.layer_names())}.")
    # Found directly from now on: `keras.layers.Dense` otherwise fails the module's lookup
    # (an AttributeError made and caught) and calls this again, each time a model is written.
    globals()[name] = cls
    return cls


def __dir__():
    """keras.layers' names: the layer classes (the catalogue's and those defined here), InputSpec
    and Keras's functions, which are this module's public functions (its helpers, which the
    binding imports, are private: `_note_call_kwarg`, ...; names imported from elsewhere, such
    as `unique_name`, are left out)."""
    own = [name for name, value in globals().items() if not name.startswith("_") and (
        value is InputSpec or (isinstance(value, type) and issubclass(value, Layer))
        or (isinstance(value, types.FunctionType) and value.__module__ == __name__))]
    return sorted((set(own) | set(_catalog.layer_names())) - set(_PYTHON_CLASS_NAMES.values()))


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """A symbolic input of the functional API. Keras: `keras.Input`."""
    if batch_shape is None:
        if shape is None:
            raise ValueError("You must pass a `shape` argument.")
        if isinstance(shape, int):
            shape = (shape,)
        batch_shape = (batch_size,) + tuple(shape)
    layer = _layer_class("InputLayer")(batch_shape=tuple(batch_shape), name=name or unique_name("input_layer"),
                                       **({"dtype": dtype} if dtype else {}))
    layer._input_tensor = KerasTensor(batch_shape, layer, 0, 0, dtype or "float32")
    return layer._input_tensor


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to `Concatenate`. Keras: `keras.layers.concatenate`."""
    if _in_traced_call(inputs):
        from . import ops
        return ops.concatenate(list(inputs), axis=axis)
    return _layer_class("Concatenate")(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Functional interface to `Dot`. Keras: `keras.layers.dot`."""
    return _layer_class("Dot")(axes=axes, **kwargs)(inputs)


def _in_traced_call(inputs):
    """Whether a functional merge (`keras.layers.add([x, y])`) is called on the tensors of a
    traced call (keras.io's PixelCNN ResidualBlock returns `keras.layers.add([inputs, x])`): the
    layer Keras makes there, anew at each call and held by no attribute, is its ops."""
    from .ops._trace import is_symbolic
    return isinstance(inputs, (list, tuple)) and any(is_symbolic(t) for t in inputs)


def _merged_by_ops(class_name, inputs):
    """The output of merge layer `class_name` (weightless) on the traced tensors `inputs`."""
    from . import ops
    xs = list(inputs)
    if class_name == "Subtract" and len(xs) != 2:
        raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                         f"Received: inputs={inputs}")
    combine = {"Add": ops.add, "Average": ops.add, "Subtract": ops.subtract,
               "Multiply": ops.multiply, "Maximum": ops.maximum, "Minimum": ops.minimum}[class_name]
    out = xs[0]
    for x in xs[1:]:
        out = combine(out, x)
    return ops.divide(out, float(len(xs))) if class_name == "Average" else out


def _merge_function(class_name):
    def merge(inputs, **kwargs):
        if _in_traced_call(inputs):
            return _merged_by_ops(class_name, inputs)
        return _layer_class(class_name)(**kwargs)(inputs)
    merge.__name__ = merge.__qualname__ = class_name.lower()
    merge.__doc__ = f"Functional interface to `{class_name}`. Keras: `keras.layers.{class_name.lower()}`."
    return merge


add = _merge_function("Add")
subtract = _merge_function("Subtract")
multiply = _merge_function("Multiply")
average = _merge_function("Average")
maximum = _merge_function("Maximum")
minimum = _merge_function("Minimum")


from ._lambda_layer import Lambda  # noqa: E402  (a layer written in Python, not the library's)
