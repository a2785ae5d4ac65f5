"""A subclassed Model's own weights and losses: `self.add_weight(...)` in its `__init__` or
`build`, and `self.add_loss(...)` in its `call`, as in Keras 3.

The model's `call` is traced into a graph of layers (_model_api.ModelAPI._trace). Its own weights
are held by a hidden layer of that graph, `ModelVariables` (a Python layer traced with ops: it
owns the weights in the library, which trains, saves and loads them natively; its output is the
weights, flattened and repeated over the batch, from which each weight is read back). While
`call` is traced, a weight the model owns is a symbolic tensor derived from that output, so ops
combining it with layer outputs become op layers of the graph (ops._functional). An int32
weight (a counter: `add_weight(shape=(), dtype="int32", trainable=False)`) is held exactly;
`assign`/`assign_add`/`assign_sub` of a value known when `call` is traced (a number, an array)
on an own weight in `call` is done by the ModelVariables layer at every run of the model, before
the weights are read (so `call` reads the new value, as Keras's does after the assignment).
`add_loss`
values are summed into the loss by a hidden layer after the model's first output, which passes
that output through unchanged. The library saves the weights in the model's own `vars` group of
a weights file, where Keras keeps them (Sources/Keras/Saving/WeightsH5Store.swift).
"""

from __future__ import annotations

import math
import threading

import numpy as np

from ._dtypes import held
from ._variables import Variable
from .layers import Layer

_state = threading.local()


def tracing():
    """The model whose `call` is being traced on this thread, or None."""
    return getattr(_state, "model", None)


class CallsOnArrays(Exception):
    """A layer called on arrays while a model's call is traced into a graph of layers."""

    def __init__(self, layer):
        super().__init__(f"layer '{layer.name}' called on arrays in a model's traced call")
        self.layer = layer


class ModelTrace:
    """The state of one trace of a model's `call`: the weight views and the added losses."""

    def __init__(self, model, graph_inputs):
        self.model, self.graph_inputs = model, graph_inputs
        self.holder_output = None
        self.views = {}
        self.losses = []
        self.assigns = []   # [library position, value, add] of the call's assignments

    def __enter__(self):
        self.previous = tracing()
        _state.model = self.model
        self.model._model_trace = self
        return self

    def __exit__(self, *exc):
        _state.model = self.previous
        self.model._model_trace = None

    def holder(self):
        """The output of the model's ModelVariables layer, made at its first use."""
        if self.holder_output is None:
            layer = self.model._model_variables_layer()
            self.holder_output = layer(self.graph_inputs[0])
            self.holder_output._shape = layer.compute_output_shape((None,))
            self.holder_output._holds_model_weights = True
        return self.holder_output

    def view(self, weight):
        """The symbolic tensor of `weight` in this trace."""
        t = self.views.get(weight._position)
        if t is None:
            from .ops._functional import _op_layer
            specs = self.model._own_weight_specs
            order = keras_order(specs)
            start = sum(math.prod(specs[i]["shape"])
                        for i in order[:order.index(weight._position)])
            shape = weight.shape
            size = math.prod(shape)

            def read(s, start=start, shape=shape, size=size):
                from . import ops
                if not shape:
                    return s[0, start]
                return ops.reshape(s[0, start:start + size], shape)
            t = self.views[weight._position] = _op_layer("model_weight", read, self.holder())
            t._shape = tuple(shape)
        return t


def as_tensors(args):
    """`args` with the tracing model's own weights as their symbolic tensors."""
    trace = tracing()
    if trace is None:
        return args

    def one(a):
        if isinstance(a, ModelWeight) and a._model is trace:
            return trace._model_trace.view(a)
        if isinstance(a, (list, tuple)) and any(isinstance(x, ModelWeight) for x in a):
            return type(a)(one(x) for x in a)
        return a
    return tuple(one(a) for a in args)


class ModelVariables(Layer):
    """The hidden layer of a subclassed model's graph holding the model's own weights."""

    class_name = "ModelVariables"
    _registered_name = "swiftkeras>ModelVariables"
    _trace_required = True   # no numpy path: a refused op is an error at build
    _op_node = True          # not in model.layers (Keras lists the weights on the model itself)

    def __init__(self, variables=(), assigns=(), **kwargs):
        super().__init__(**kwargs)
        self._specs = [dict(v) for v in variables]
        self._assigns = [list(a) for a in assigns]
        self._made = []

    def get_config(self):
        config = {**super().get_config(), "variables": [dict(s) for s in self._specs]}
        if self._assigns:
            config["assigns"] = [list(a) for a in self._assigns]
        return config

    def build(self, input_shape):
        self._made = [self.add_weight(shape=tuple(s["shape"]), initializer=s["initializer"],
                                      trainable=s["trainable"], name=s["name"],
                                      regularizer=s.get("regularizer"),
                                      constraint=s.get("constraint"),
                                      dtype=s.get("dtype", "float32")) for s in self._specs]
        self.built = True

    def compute_output_shape(self, input_shape):
        return (input_shape[0], max(sum(math.prod(s["shape"]) for s in self._specs), 1))

    def call(self, x):
        from . import ops
        rows = ops.sum(ops.zeros_like(x), axis=tuple(range(1, len(x.shape)))) if len(x.shape) > 1 \
            else ops.zeros_like(x)
        for position, value, add in self._assigns:
            weight = self._made[position]
            if add:
                weight.assign_add(np.asarray(value, held(weight.dtype)))
            else:
                weight.assign(np.asarray(value, held(weight.dtype)))
        flat = ops.concatenate([ops.reshape(ops.cast(w, "float32"), (-1,)) for w in self._made]) \
            if self._made else ops.zeros((1,))
        return ops.expand_dims(rows, -1) + flat


class ModelLosses(Layer):
    """The hidden layer after a subclassed model's first output that adds the values of the
    model's `add_loss` calls to the loss; it returns that output unchanged."""

    class_name = "ModelLosses"
    _registered_name = "swiftkeras>ModelLosses"
    _trace_required = True
    _op_node = True
    _unsaveable = True   # the loss functions have no saved form (the model's own .keras has them)

    def __init__(self, function=None, **kwargs):
        super().__init__(**kwargs)
        self.function = function

    def call(self, inputs):
        output, values = self.function(inputs)
        for value in values:
            self.add_loss(value)
        return output


class ModelWeight(Variable):
    """What a subclassed model's `add_weight` returns: a Keras Variable whose value the library
    holds (in the model's ModelVariables layer) once the model is built; inside the traced
    `call`, ops and operators on it are graph ops."""

    def __init__(self, model, position, spec):
        self._model, self._position = model, position
        self.name, self.shape = spec["name"], tuple(spec["shape"])
        self._trainable = bool(spec["trainable"])
        self.dtype = spec.get("dtype", "float32")

    @property
    def path(self):
        return f"{self._model.name}/{self.name}"

    def _holder_layer(self):
        layer = self._model.__dict__.get("_own_weights_layer")
        if layer is None or self._model._handle is None:
            raise ValueError(f"The variable {self.path} has no value yet: model "
                             f"'{self._model.name}' is not built (call it on data, or build it)")
        return layer

    def numpy(self):
        layer = self._holder_layer()
        return layer.get_weights()[_library_position(self._model, self._position)]

    def assign(self, value):
        if self._record_assign(value, add=False):
            return self
        arr = np.asarray(value).astype(held(self.dtype))
        if arr.shape != self.shape:
            return super().assign(arr)   # Keras's message
        layer = self._holder_layer()
        weights = layer.get_weights()
        weights[_library_position(self._model, self._position)] = arr
        layer.set_weights(weights)
        return self

    def assign_add(self, value):
        if self._record_assign(value, add=True):
            return self
        return super().assign_add(value)

    def assign_sub(self, value):
        if self._record_assign(-np.asarray(value) if _known(value) else value, add=True):
            return self
        return super().assign_sub(value)

    def _record_assign(self, value, add):
        """In the traced `call`: records the assignment for the ModelVariables layer, which does
        it at every run of the model. False outside the trace."""
        trace = tracing()
        if trace is None or trace is not self._model:
            return False
        if not _known(value):
            raise NotImplementedError(
                f"{self.path}.{'assign_add' if add else 'assign'} in {type(self._model).__name__}"
                f".call: the value must be known when the call is traced (a number or an array), "
                f"got a tensor computed in the call; assign a layer's weight in that layer's "
                f"`call` instead")
        arr = np.asarray(value).astype(held(self.dtype))
        if arr.shape != self.shape and not (add and arr.size == 1):
            raise ValueError(f"The shape of the target variable and the shape of the target "
                             f"value in `variable.assign(value)` must match. variable.shape="
                             f"{self.shape}, Received: value.shape={arr.shape}. Target variable: "
                             f"{self.path}")
        self._model._model_trace.assigns.append(
            [_library_position(self._model, self._position), arr.tolist(), bool(add)])
        return True

    def _view(self):
        trace = tracing()
        if trace is not None and trace is self._model:
            return self._model._model_trace.view(self)
        return None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        view = self._view()
        if view is not None:
            from . import ops
            fn = ops._UFUNCS.get(ufunc.__name__)
            if method == "__call__" and fn is not None and not kwargs:
                return getattr(ops, fn.__name__)(*as_tensors(inputs))   # the dispatching op
        return super().__array_ufunc__(ufunc, method, *inputs, **kwargs)

    def __getitem__(self, item):
        view = self._view()
        if view is not None:
            return view[item]
        return super().__getitem__(item)


def _known(value):
    """Whether `value` is a number or array (not a tensor of the traced call)."""
    from .layers import KerasTensor
    if isinstance(value, (KerasTensor, Variable)):
        return False
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except (TypeError, ValueError):
        return False


def keras_order(specs):
    """Keras's order of a layer's own variables (trainable ones first, each in creation order):
    the order the ModelVariables layer creates them in, so its weights, the model's `weights`
    and the saved `vars` group all list them as Keras does."""
    return [i for i, s in enumerate(specs) if s["trainable"]] + \
        [i for i, s in enumerate(specs) if not s["trainable"]]


def _library_position(model, position):
    """The position of own weight `position` among the ModelVariables layer's weights."""
    return keras_order(model._own_weight_specs).index(position)


def add_weight(model, shape, initializer, trainable, name, what, regularizer=None,
               constraint=None, dtype="float32"):
    """Model.add_weight of a subclassed model: recorded now, created with the model's graph
    (the library adds a regularizer's penalty to the loss and applies a constraint after each
    optimizer step, as Keras does)."""
    from . import constraints, initializers, regularizers
    from ._objects import serialize
    from ._default_seeds import serialized_with_seed
    if model.__dict__.get("_handle") is not None or model.__dict__.get("_model_trace") is not None:
        raise ValueError(f"{what}: model '{model.name}' is already built (its call traced into "
                         f"the library's graph); create its weights in __init__ or build")
    if shape is None:
        raise ValueError(f"{what}: shape is required")
    given = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    if any(d is None or int(d) < 0 for d in given):
        raise ValueError(f"{what}: shape {given} has an unknown or negative dimension; weights "
                         f"need every dimension")
    specs = model.__dict__.setdefault("_own_weight_specs", [])
    spec = {"name": name or ("variable" if not specs else f"variable_{len(specs)}"),
            "shape": [int(d) for d in given], "initializer": serialized_with_seed(initializers.get(initializer), serialize),
            "trainable": bool(trainable)}
    if dtype != "float32":
        spec["dtype"] = dtype
    for key, value in (("regularizer", regularizers.get(regularizer)),
                       ("constraint", constraints.get(constraint))):
        if value is not None:
            spec[key] = regularizers._library_form(value) if key == "regularizer" else serialize(value)
    specs.append(spec)
    return ModelWeight(model, len(specs) - 1, spec)


def attach_losses(trace, outputs):
    """The model's outputs with its add_loss values (and its ModelVariables layer, when no op
    reads a weight) joined to the first output by a ModelLosses layer."""
    from .models import _graph_layers
    from .ops._functional import joined_roots
    flat = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    extra = list(trace.losses)
    if trace.model.__dict__.get("_own_weight_specs"):
        holder = trace.holder()
        trace.model._model_variables_layer()._assigns = [list(a) for a in trace.assigns]
        if all(layer is not holder._keras_history[0] for layer in _graph_layers(trace.graph_inputs, flat)):
            extra.append(holder)
    if not extra:
        return outputs
    first = flat[0]
    joined, value_of = joined_roots([first] + extra)
    count = len(trace.losses)

    def function(s):
        return value_of(first, s), [value_of(v, s) for v in extra[:count]]
    from ._objects import unique_name
    layer = ModelLosses(function, name=unique_name("model_losses"))
    trace.model._model_losses_layer_name = layer.name
    out = layer(joined)
    if isinstance(outputs, (list, tuple)):
        return type(outputs)([out] + flat[1:])
    return out


# ---- weights files and .keras files of subclassed models -------------------------------------

def subclass_attributes(model):
    """The attributes of a traced subclassed model that hold its layers, as Keras tracks them
    ({attribute: layer name, or a list of names}), with Keras's `layers` (the tracked layers in
    order): the library writes its weights files with Keras's paths for a subclassed model
    (`dense/vars`, `layers/dense_1/vars`). None for other models."""
    if not model.__dict__.get("_traced_subclass"):
        return None
    # (a model called in the call is in the graph as its layer view, _ModelLayer)
    in_graph = {id(layer.__dict__.get("_model", layer)) for layer in model._layers}
    found = {}
    for key, value in vars(model).items():
        if key.startswith("_"):
            continue
        if (isinstance(value, Layer) or hasattr(value, "_model_config")) and id(value) in in_graph:
            found[key] = value.name
        elif isinstance(value, (list, tuple)) and value and \
                all(isinstance(v, Layer) and id(v) in in_graph for v in value):
            found[key] = [v.name for v in value]
    tracked = []   # Keras's `layers`: the layers of the attributes, in tracking order
    for value in found.values():
        for name in value if isinstance(value, list) else [value]:
            if name not in tracked:
                tracked.append(name)
    found["layers"] = tracked
    return found


def with_subclass_attributes(model, text):
    """A model's JSON (the library's functional form) with its subclass attributes, so that a
    model made from it (a pickled copy) reads its weights files."""
    attributes = subclass_attributes(model)
    if not attributes:
        return text
    import json
    config = json.loads(text)
    config["config"]["subclass_attributes"] = attributes
    return json.dumps(config)


# ---- .keras files of registered subclassed models -------------------------------------------

def registered_subclass(model):
    """The registered name of a subclassed model's class ('package>Name'), or None."""
    return type(model).__dict__.get("_registered_name") if model._is_subclass_model() else None


def subclass_config(model):
    """Keras's `Model.get_config` of a subclassed model: its name, then (for a class without a
    get_config of its own) the plain arguments its constructor was given
    (_objects.init_arguments), which `from_config` passes back, as Keras's automatic config
    does, then its trainable flag and dtype policy (Layer.get_config's)."""
    from . import _traced_regularizers
    from .layers import Layer, _takes_name_as_keras_reads_it, _unserializable_init_refused
    from .models import Model
    base = Layer.get_config(model)
    config = {"name": base.pop("name")}
    if type(model).get_config is Model.get_config:
        if model.__dict__.get("_init_unserializable") and not _traced_regularizers.reading():
            _unserializable_init_refused(model)
        config.update(model.__dict__.get("_init_kwargs") or {})
        if not _takes_name_as_keras_reads_it(type(model)):
            config.pop("name", None)   # (Keras's test: the constructor could not take it back)
    config.update(base)
    return config


def class_module(cls):
    """The `module` Keras writes for a user's class: its module, or null for `__main__`."""
    return None if cls.__module__ == "__main__" else cls.__module__


def save_subclass(model, filepath, overwrite):
    """Writes a registered subclassed model as Keras writes one: config.json names the class
    (Keras rebuilds it with `from_config` and its build config), and model.weights.h5 has
    Keras's subclassed layout (the model's own weights in its `vars` group, its layers under
    their attributes), which Keras reads back into the rebuilt model. The library writes the
    archive once (keras_model_save_config), from the entry built here."""
    import json

    from . import _lib, _native
    path = _native.path_bytes(filepath)
    shape = model.__dict__.get("_default_build_shape")
    if model._handle is None and shape is not None:
        # Keras's default build() made no weights: its call is traced for the shape it was
        # given (Keras's build_from_config runs it so when the file is loaded)
        model._ensure_handle(list(shape))
    handle = model._ensure_handle()
    cls = type(model)
    entry = {"module": class_module(cls), "class_name": cls.__name__, "config": model.get_config(),
             "registered_name": cls.__dict__["_registered_name"],
             "build_config": model.get_build_config()}
    compile_config = model.get_compile_config()
    entry["compile_config"] = {}   # Keras's for a model not compiled
    if compile_config is not None:   # Keras serializes each value (a loss function as its entry)
        from .saving import serialize_keras_object
        entry["compile_config"] = serialize_keras_object(compile_config)
    from . import _shared_objects
    _shared_objects.mark(entry, model)   # (Keras's marks of objects its config holds twice)
    _native.check(_lib.keras_model_save_config(handle, path, int(bool(overwrite)), json.dumps(entry).encode()))


def load_subclass(filepath, compile):
    """A registered subclassed model from a `.keras` file whose config names its class (Keras's
    form, written by Keras or by `save_subclass`), or None when the file holds another model."""
    import json
    import zipfile

    from ._objects import custom_objects_in_scope
    try:
        with zipfile.ZipFile(filepath) as archive:
            entry = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None   # the library reads (and reports on) the file
    if not isinstance(entry, dict) or entry.get("class_name") in (None, "Functional", "Sequential", "Model"):
        return None
    found = custom_objects_in_scope()
    cls = found.get(entry.get("registered_name") or "") or found.get(entry["class_name"])
    from .models import Model
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        return None
    from .saving import from_config
    model = from_config(cls, entry)
    model.build_from_config(entry.get("build_config"))
    if compile and entry.get("compile_config"):
        model.compile_from_config(entry["compile_config"])
    model.load_weights(filepath)
    return model
