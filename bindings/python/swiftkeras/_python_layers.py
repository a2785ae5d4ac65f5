"""Layers written in Python, as the library sees them: a Layer subclass becomes a
keras_layer_class (include/keras.h). The library owns each layer instance and its weights
(created through add_weight in build, optimized, saved and loaded like a built-in layer's) and
calls forward/backward here with the current weight values, as zero-copy numpy views valid
for the call. Exceptions follow _plugins' trampoline pattern: stashed, re-raised by the caller.
"""

from __future__ import annotations

import ctypes
import json
import math
import threading

import numpy as np

from . import _lib, _native, _packed_inputs
from ._dtypes import held
from ._objects import custom_objects_in_scope, is_package_alias, record_registration, serialize
from ._plugins import _check_interrupt, _fail, get_config_thunk
from ._variables import Variable, _keras_path

# The state pointer of each library instance is a key into _instances.

_lock = threading.Lock()
_layer_classes: dict[str, type] = {}
_layer_tables: dict[str, object] = {}        # class name -> (keras_layer_class, its thunks)
_global_classes: dict[str, type] = {}        # those in the library's global registry (not a read's)
# Every table ever registered: a class registered again under the same name (a class defined
# anew) replaces the name's entry, but the library's live instances of the earlier class still
# call its thunks (destroy, when a model is freed), so they must outlive them.
_all_tables: list = []
_instances: dict[int, "_LayerInstance"] = {}
_next_key = [0]
_claims = threading.local()                  # user layer objects a model being built adopts


class _LayerInstance:
    """One library instance of a Python layer: the Python object and its weights' shapes."""

    def __init__(self, layer):
        self.layer = layer
        self.weight_shapes: list[tuple[int, ...]] = []
        self.out_shapes: dict[tuple, tuple] = {}
        self.traced = False   # call became the library's op graph (swiftkeras.ops)

    def output_shape(self, in_shape):
        out = self.out_shapes.get(in_shape)
        if out is None:
            layer = self.layer
            packed = _packed_inputs.shapes(layer)
            if not _overrides(layer, "compute_output_shape"):
                # Several inputs: shaped like the first, as Keras's layers mostly are.
                out = in_shape if packed is None else (in_shape[0],) + tuple(packed[0][1:])
            else:
                symbolic = _packed_inputs.shape_call(layer, layer.compute_output_shape,
                                                     (None,) + tuple(in_shape[1:]))
                out = (in_shape[0],) + tuple(int(d) for d in tuple(symbolic)[1:])
            self.out_shapes[in_shape] = out
        return out


def _overrides(layer, method):
    from .layers import Layer, _BuiltinLayer
    base = _BuiltinLayer if _subclasses_builtin(layer) else Layer
    return getattr(type(layer), method, None) is not getattr(base, method, None)


def _subclasses_builtin(layer):
    from .layers import _subclasses_builtin as subclasses_builtin
    return subclasses_builtin(layer)


class claiming:
    """While a model config is read by the library, its layers written in Python are the very
    objects the user made (model.layers[i] is the user's layer), not copies from get_config.
    (A class, not contextlib.contextmanager: every fit of a new model enters it.)"""

    def __init__(self, layers):
        self.by_name = {layer.name: layer for layer in _python_layers_in(layers)}

    def __enter__(self):
        self.previous = getattr(_claims, "by_name", None)
        _claims.by_name = self.by_name

    def __exit__(self, *exc):
        _claims.by_name = self.previous


def library_reading():
    """Whether the library is reading a model config now (building a model or a shape probe)."""
    return getattr(_claims, "by_name", None) is not None


_LAYER_CLASSES = None


def _python_layers_in(values):
    """The layers written in Python among `values`, and those nested in the arguments of
    built-in layers (RNN's cell, a list of cells, Bidirectional's layer)."""
    global _LAYER_CLASSES
    if _LAYER_CLASSES is None:   # layers imports this module; imported once, not per call
        from .layers import Layer, _BuiltinLayer
        _LAYER_CLASSES = (Layer, _BuiltinLayer)
    Layer, _BuiltinLayer = _LAYER_CLASSES
    found, entered = [], set()

    def visit(items):   # one import and no list copies per nested value (every fit's handle)
        for value in items:
            if isinstance(value, (list, tuple)):
                visit(value)
            elif isinstance(value, _BuiltinLayer) and "class_name" in type(value).__dict__:
                args = value.__dict__.get("_args")
                if args:
                    visit(args.values())
            elif isinstance(value, Layer):
                found.append(value)
            if isinstance(value, Layer):
                # A model nested unbuilt in this one (a subclassed model whose call was traced
                # into layers: keras.io's decision trees), built within it: its layers too.
                model = value.__dict__.get("_model", value)
                held = model.__dict__.get("_layers")
                # (not a functional model: its layers are its graph's, traced with its masks;
                # asked last: a layer has no such method, and a miss costs an exception)
                if isinstance(held, list) and held and model.__dict__.get("_handle") is None and \
                        callable(subclassed := getattr(model, "_is_subclass_model", None)) and \
                        subclassed() and id(model) not in entered:
                    entered.add(id(model))   # (once each: a model may list itself, or its holder)
                    visit(held)
    visit(values)
    return found


def _float_view(ptr, shape, writeable=True):
    n = math.prod(shape)
    if n == 0 or not ptr:
        return np.zeros(shape, np.float32)
    a = np.ctypeslib.as_array(ptr, shape=shape)
    if not writeable:
        a.flags.writeable = False
    return a


def add_weight(layer, shape, initializer, trainable, name, regularizer=None, constraint=None,
               dtype="float32"):
    """Layer.add_weight for a Python layer. Inside build (which the library calls) the weight is
    created in the library at once. Called before the layer is built (keras.io's `Linear`
    makes `w` and `b` in `__init__`), it is recorded and created first when the library builds
    the layer; the Weight returned is then that weight (`layer.weights` gives these objects).
    `dtype`: "float32", or an integer dtype (int32, int64 held as int32, uint32) for a variable
    the library holds exactly (a counter)."""
    building = getattr(layer, "_building", None)
    if isinstance(initializer, (str, dict)):
        # Made now, as Keras's add_weight makes it (an unseeded one takes its seed from Python's
        # `random`), once per weight: the library may build the layer again (its probes).
        from . import initializers
        position = (len(building[1].weight_shapes) if building is not None
                    else len(layer.__dict__.get("_init_weights", [])))
        made = layer.__dict__.setdefault("_initializers_made", {})
        key = (building is not None, position, json.dumps(initializer, sort_keys=True, default=str))
        if key not in made:
            made[key] = initializers.get(initializer)
        initializer = made[key]
    spec = (shape, initializer, trainable, name, regularizer, constraint, dtype)
    if building is not None:
        return _create_weight(layer, building, spec)
    if layer.__dict__.get("built"):
        raise RuntimeError(f"{type(layer).__name__}.add_weight can only be called from __init__ or "
                           f"build(), before the layer is built")
    dims = _weight_dims(layer, shape)
    _weight_options(initializer, regularizer, constraint)   # refused now, as Keras would
    pending = layer.__dict__.setdefault("_init_weights", [])
    pending.append(spec)
    position = len(pending) - 1
    return _remember(layer, Weight(layer, position, _weight_name(name, position), dims, trainable,
                                   dtype))


def _remember(layer, weight):
    """The Weight object of its position, kept: `layer.weights` returns it (Keras's
    `layer.weights == [layer.w, layer.b]` holds)."""
    return layer.__dict__.setdefault("_weight_objects", {}).setdefault(weight._position, weight)


def _weight_name(name, position):
    return name or ("kernel" if position == 0 else f"variable_{position}")


def _weight_dims(layer, shape):
    if shape is None:
        raise ValueError(f"{type(layer).__name__}.add_weight: shape is required")
    given = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    if any(d is None for d in given):
        raise ValueError(f"{type(layer).__name__}.add_weight: shape {given} has an unknown "
                         f"(None) dimension; weights need every dimension")
    dims = tuple(_weight_dim(given, d) for d in given)
    if any(d < 0 for d in dims):
        raise ValueError(f"{type(layer).__name__}.add_weight: shape {dims} has a negative or "
                         f"unknown dimension")
    return dims


def _weight_dim(shape, d):
    """One dimension of a weight's shape as an int, refused as Keras's standardize_shape refuses
    a string, a float or anything int() cannot take (a list: `kernel_size` read back from a
    config as [3, 3] where the layer expected a tuple)."""
    if not isinstance(d, (str, float)):
        try:
            return int(d)
        except (TypeError, ValueError):
            pass
    raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid dimension '{d}' of "
                     f"type '{type(d)}'. ")


def _weight_options(initializer, regularizer, constraint, dtype="float32"):
    """(the initializer as the library reads it, the regularizer, constraint and dtype options)."""
    from . import constraints, initializers, regularizers
    from ._default_seeds import serialized_with_seed
    init = serialized_with_seed(initializers.get(initializer), serialize)   # (Keras draws its seed here)
    options = {k: form(v) for k, v, form in (
        ("regularizer", regularizers.get(regularizer), regularizers._library_form),
        ("constraint", constraints.get(constraint), serialize)) if v is not None}
    if dtype != "float32":
        options["dtype"] = dtype
    return init if isinstance(init, str) else json.dumps(init), options


def _create_weight(layer, building, spec):
    """The weight of `spec` (add_weight's arguments) created in the library's builder."""
    shape, initializer, trainable, name, regularizer, constraint, dtype = spec
    builder, instance = building
    dims = _weight_dims(layer, shape)
    position = len(instance.weight_shapes)
    wname = _weight_name(name, position)
    init_text, options = _weight_options(initializer, regularizer, constraint, dtype)
    if options:
        rc = builder.contents.add_weight_ex(builder, wname.encode(), len(dims),
                                            _native.int64_array(dims), init_text.encode(),
                                            int(bool(trainable)), json.dumps(options).encode())
    else:
        rc = builder.contents.add_weight(builder, wname.encode(), len(dims),
                                         _native.int64_array(dims), init_text.encode(),
                                         int(bool(trainable)))
    if rc != 0:
        raise _native._EXCEPTIONS.get(rc, _native.KerasError)(_native.last_error())
    instance.weight_shapes.append(dims)
    return _remember(layer, Weight(layer, position, wname, dims, trainable, dtype))


def build_base(layer, entry):
    """`super().build(input_shape)` of a Python subclass of a built-in layer, inside the build
    the library calls: the library makes the built-in layer from `entry` (keras_layer_builder_base),
    its weights the subclass's own (after any it made already); `self.kernel` and the like are
    those weights while the subclass builds and its call is traced."""
    building = getattr(layer, "_building", None)
    if building is None:
        raise RuntimeError(f"{type(layer).__name__}: the built-in layer it subclasses is built "
                           f"by the library, when the model holding the layer is built")
    builder, instance = building
    if not _lib.has("keras_layer_builder_base"):
        raise _native.KerasError(f"{type(layer).__name__}: this libkeras.so cannot run Python "
                                 f"subclasses of built-in layers (no keras_layer_builder_base); "
                                 f"rebuild it")
    # Its activity penalty is the subclass's, on the subclass's output (Keras applies it in
    # __call__, which super().call does not go through): the library's layer gets none.
    config = {k: v for k, v in entry["config"].items() if k != "activity_regularizer"}
    entry = {**entry, "config": {**config, "name": layer.name}}
    made = _native.take_json(_lib.keras_layer_builder_base, builder,
                             json.dumps(entry, default=_native._json_default).encode())
    weights = layer.__dict__.setdefault("_base_weights", {})
    for w in made:
        position = len(instance.weight_shapes)
        instance.weight_shapes.append(tuple(w["shape"]))
        weights[w["name"]] = Weight(layer, position, w["name"], w["shape"], w["trainable"])


def _adopt_variables(layer, in_build):
    """Keras tracks a `keras.Variable` assigned to a layer's attribute as one of its weights
    (trained when trainable, in `weights`): each becomes a library weight of the layer being
    built, the attribute its Weight, its value written once the model holding the layer exists
    (Model._set_handle). An int32 one is an int32 weight of the library (exact).
    Its path is Keras's: a variable made outside build (in `__init__`) is under no name scope
    (`counter`), one made in build under the layer's."""
    from ._variables import _FreeVariable
    adopted = layer.__dict__.setdefault("_adopted_variables", {})   # attribute -> its Variable
    for attr, value in list(layer.__dict__.items()):
        if isinstance(value, _FreeVariable) and value.dtype in ("float32", "int32", "int64"):
            adopted[attr] = value
            value.__dict__.setdefault("_made_in_build", in_build)
    done = layer.__dict__["_adopted_values"]
    for attr, variable in adopted.items():
        if variable._made_in_build and not in_build:
            continue   # made by an earlier build: this build makes it again, or keeps it
        if any(weight is layer.__dict__.get(attr) for weight, _ in done):
            continue   # adopted in this build already
        # (the name of the first build's Variable: a later build makes one of another name, the
        # weight is the one Keras's single build makes)
        name = layer.__dict__.setdefault("_adopted_names", {}).setdefault(attr, variable.name)
        weight = add_weight(layer, variable.shape, "zeros", variable.trainable, name,
                            dtype=variable.dtype)
        if not variable._made_in_build:
            weight.__dict__["_unscoped_path"] = variable.path
        layer.__dict__.setdefault("_adopted_meta", {})[weight.name] = (
            variable.dtype, None if variable._made_in_build else variable.path)
        layer.__dict__[attr] = weight
        done.append((weight, variable.numpy()))


class Weight(Variable):
    """What add_weight returns: a Keras `Variable`. Inside call/backward it is the weight's
    current value (numpy arithmetic, np.asarray, @ work on it); elsewhere it reads the value
    from the model."""

    def __init__(self, layer, position, name, shape, trainable=True, dtype="float32"):
        self._holder, self._position, self.name, self.shape = layer, position, name, tuple(shape)
        self._trainable = bool(trainable)
        self._layer = layer
        self.dtype = dtype

    def _describe(self, holder, info, memo=None):
        # (its name, shape and flag are its own: only its path as listed)
        self.__dict__["_path"] = _keras_path(holder, info["name"], memo, info.get("outer_layer"))

    @property
    def path(self):
        # Keras's for an adopted variable made outside build; else the library's path once
        # `layer.weights` has listed it (_variables.variables)
        return self.__dict__.get("_unscoped_path") or self.__dict__.get("_path") or \
            f"{self._layer.path or self._layer.name}/{self.name}"

    def numpy(self):
        current = getattr(self._layer, "_current_weights", None)
        value = current[self._position] if current is not None else \
            self._layer.get_weights()[self._listed_at()]
        return value if self.dtype == "float32" else value.astype(held(self.dtype))

    def _listed_at(self):
        """Its index in `get_weights()`, which lists the trainable weights first, whatever the
        order they were made in (`_position`, the order of the values a call receives)."""
        names = [info["name"].split("/")[-1] for info in self._layer._variable_infos()]
        return names.index(self.name) if names.count(self.name) == 1 else self._position

    def _trace(self):
        """The trace of this weight's layer's call, while it is traced (else None)."""
        from .ops._trace import active
        trace = active()
        return trace if trace is not None and trace.layer is self._layer else None

    def assign_add(self, value):
        trace = self._trace()
        if trace is None:
            return super().assign_add(value)
        trace.assign(self._position, value, add=True)   # done by the library at each step
        return self

    def assign_sub(self, value):
        trace = self._trace()
        if trace is None:
            return super().assign_sub(value)
        from . import ops
        from .ops._trace import is_symbolic
        # A value is negated as the trace's float32 (ops.negative keeps a uint32 array unsigned).
        value = value if is_symbolic(value) else np.asarray(value, np.float32)
        trace.assign(self._position, ops.negative(value), add=True)
        return self

    def assign(self, value):
        trace = self._trace()
        if trace is not None:
            trace.assign(self._position, value, add=False)
            return self
        weights = self._layer.get_weights()
        arr = np.asarray(value).astype(held(self.dtype))
        if arr.shape != self.shape:
            return super().assign(arr)   # Keras's message
        weights[self._listed_at()] = arr
        self._layer.set_weights(weights)
        return self

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from .ops._trace import SymbolicTensor, active
        if any(isinstance(i, SymbolicTensor) for i in inputs):
            return NotImplemented  # the symbolic operand traces the op
        trace = active()
        if trace is not None and trace.layer is self._layer:
            # While tracing (`ops.ones((n, 1)) * self.h0`), the weight is a graph node.
            inputs = tuple(trace.weight(i._position) if isinstance(i, Weight) and i._layer is self._layer else i
                           for i in inputs)
            return getattr(ufunc, method)(*inputs, **kwargs)
        inputs = tuple(i.numpy() if isinstance(i, Variable) else i for i in inputs)
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __getitem__(self, item):
        from .ops._trace import active
        trace = active()
        if trace is not None and trace.layer is self._layer:
            from .ops import getitem  # while tracing, `self.kernel[:, 0]` is a graph op
            return getitem(trace.weight(self._position), item)
        return self.numpy()[item]


def _call_signature(layer):
    """Whether the layer's `call` takes `training` (a Lambda's: whether its function does)."""
    import inspect
    own = layer.__dict__.get("_fn_expects_training_arg")
    if own is not None:
        return own
    cls = type(layer)
    cached = cls.__dict__.get("_swiftkeras_call_takes_training")
    if cached is None:
        try:
            params = inspect.signature(layer.call).parameters
            cached = "training" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
        except (TypeError, ValueError):
            cached = False
        setattr(cls, "_swiftkeras_call_takes_training", cached)
    return cached


def call_default(layer, argument):
    """The default of parameter `argument` of the layer's `call`; None where it has no such
    parameter or no default."""
    import inspect
    try:
        parameter = inspect.signature(layer.call).parameters.get(argument)
    except (TypeError, ValueError):
        return None
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default


def _call_takes(layer, argument):
    """Whether the layer's `call` has a parameter named `argument` (Keras passes `mask` to a
    call that declares it)."""
    import inspect
    cls = type(layer)
    key = f"_swiftkeras_call_takes_{argument}"
    cached = cls.__dict__.get(key)
    if cached is None:
        try:
            cached = argument in inspect.signature(layer.call).parameters
        except (TypeError, ValueError):
            cached = False
        setattr(cls, key, cached)
    return cached


def _as_output(value, shape, what):
    y = np.asarray(value, dtype=np.float32)
    if y.shape != shape:
        raise ValueError(f"{what} returned an array of shape {y.shape}, but the layer's output "
                         f"shape for this input is {shape} (define compute_output_shape when "
                         f"the output shape differs from the input shape)")
    return y


def _layer_table(cls, class_name):
    """The keras_layer_class of a Python Layer subclass (its thunks live as long as the process:
    the library may call them until it ends)."""
    label = class_name

    def create(_user, config_json, state_p):
        try:
            config, packed = _packed_inputs.from_config(json.loads(config_json) if config_json else {})
            claims = getattr(_claims, "by_name", None) or {}
            layer = claims.get(config.get("name"))
            if layer is None or type(layer) is not cls:
                layer = cls.from_config(config)
            if packed is not None:   # packed by Python: an eager call's model, an older file
                layer._packed_inputs, layer._packed_in_python = packed, True
            with _lock:
                _next_key[0] += 1
                key = _next_key[0]
                _instances[key] = _LayerInstance(layer)
            state_p[0] = key
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    def build(state, builder, ndim, shape_p):
        try:
            instance = _instances[state]
            layer = instance.layer
            instance.weight_shapes = []
            instance.out_shapes = {}
            subclass = _subclasses_builtin(layer)
            if subclass:
                layer.__dict__.pop("_base_weights", None)
            layer._building = (builder, instance)
            _packed_inputs.built_with(layer, builder)
            layer.__dict__["_adopted_values"] = []
            # A call traced with ops reads keras.Variable attributes as weights; a numpy
            # backward's weights are the ones it made.
            adopts = not _overrides(layer, "backward")
            try:
                for spec in layer.__dict__.get("_init_weights") or []:   # made in __init__
                    _create_weight(layer, layer._building, spec)
                if adopts:
                    _adopt_variables(layer, False)   # those set in __init__, before build's weights
                _packed_inputs.shape_call(layer, layer.build, tuple(
                    None if shape_p[i] < 0 else int(shape_p[i]) for i in range(ndim)))
                if adopts:
                    _adopt_variables(layer, True)   # those build set as attributes
            finally:
                layer._building = None
            layer.built = True
            if subclass and getattr(layer, "_base_weights", None) is None:
                raise ValueError(f"{label}.build did not call super().build(input_shape): the "
                                 f"built-in layer {layer.class_name} it subclasses makes its "
                                 f"weights there")
            if layer.supports_masking and _lib.has("keras_layer_builder_set_supports_masking"):
                # Keras's `self.supports_masking = True`: the mask of its input passes on.
                _native.check(_lib.keras_layer_builder_set_supports_masking(builder, 1))
            if hasattr(layer, "state_size") and not subclass:
                # A recurrent cell (Keras's contract): its step becomes the library's op graph.
                from .ops._trace import trace_cell
                trace_cell(layer, builder, _call_signature(layer))
                instance.traced = True
            elif not _overrides(layer, "backward") or getattr(layer, "_trace_first", False):
                # A call written with swiftkeras.ops becomes the library's own op graph.
                from .ops._trace import trace_layer
                instance.traced = trace_layer(layer, builder, _call_signature(layer),
                                              required=subclass)
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    def output_shape(state, ndim, in_p, out_ndim_p, out_p):
        try:
            layer = _instances[state].layer
            in_shape = tuple(None if in_p[i] < 0 else int(in_p[i]) for i in range(ndim))
            packed = _packed_inputs.shapes(layer)
            if _subclasses_builtin(layer) and not _overrides(layer, "compute_output_shape"):
                # Before its call is traced: the built-in layer's output shape.
                from .models import _probe_output_shape
                shape = tuple(_probe_output_shape(layer, in_shape, layer._base_entry()))
            elif not _overrides(layer, "compute_output_shape"):
                # The input's shape; with several inputs, the first's (as _LayerInstance's).
                shape = in_shape if packed is None else (in_shape[0],) + tuple(packed[0][1:])
            else:
                shape = tuple(_packed_inputs.shape_call(layer, layer.compute_output_shape, in_shape))
            if not 1 <= len(shape) <= 8:
                raise ValueError(f"{label}.compute_output_shape returned {shape}: expected a "
                                 f"shape of rank 1 to 8 with the batch dimension first")
            for i, d in enumerate(shape):
                out_p[i] = -1 if d is None else int(d)
            out_ndim_p[0] = len(shape)
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    def _call_views(state, x_p, ndim, shape_p, w_pp, nw):
        # The layer of `state`, and read-only numpy views of the library's input and weights.
        instance = _instances[state]
        shape = tuple(int(shape_p[i]) for i in range(ndim))
        weights = [_float_view(w_pp[i], instance.weight_shapes[i], writeable=False)
                   for i in range(nw)]
        return instance, instance.layer, shape, _float_view(x_p, shape, writeable=False), weights

    def forward(state, x_p, ndim, shape_p, w_pp, nw, y_p, training):
        try:
            _check_interrupt()
            instance, layer, shape, x, weights = _call_views(state, x_p, ndim, shape_p, w_pp, nw)
            out_shape = instance.output_shape(shape)
            layer._current_weights = weights
            x = _packed_inputs.unpack(layer, x)
            try:
                if _call_signature(layer):
                    y = _packed_inputs.call(layer, x, training=bool(training))
                else:
                    y = _packed_inputs.call(layer, x)
            finally:
                layer._current_weights = None
            _float_view(y_p, out_shape)[...] = _as_output(y, out_shape, f"{label}.call")
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    def backward(state, x_p, ndim, shape_p, w_pp, nw, dy_p, dx_p, dw_pp):
        try:
            _check_interrupt()
            instance, layer, shape, x, weights = _call_views(state, x_p, ndim, shape_p, w_pp, nw)
            dy = _float_view(dy_p, instance.output_shape(shape), writeable=False)
            layer._current_weights = weights
            try:
                result = layer.backward(_packed_inputs.unpack(layer, x), weights, dy)
            finally:
                layer._current_weights = None
            if isinstance(result, tuple) and len(result) == 2:
                dx, dws = result
            elif nw == 0:
                dx, dws = result, []
            else:
                raise ValueError(f"{label}.backward must return (grad_inputs, [one gradient "
                                 f"per weight]) for a layer with {nw} weights")
            dws = list(dws or [])
            if len(dws) != nw:
                raise ValueError(f"{label}.backward returned {len(dws)} weight gradients; the "
                                 f"layer has {nw} weights (use None for a weight without one)")
            dx = _packed_inputs.pack_gradient(layer, dx)
            _float_view(dx_p, shape)[...] = _as_output(dx, shape, f"{label}.backward (grad_inputs)")
            for i, g in enumerate(dws):
                if g is not None:
                    ws = instance.weight_shapes[i]
                    _float_view(dw_pp[i], ws)[...] = _as_output(
                        g, ws, f"{label}.backward (gradient of weight {i})")
            return 0
        except BaseException as e:  # noqa: BLE001
            return _fail(e)

    def config_of(state):
        layer = _instances[state].layer
        from . import _traced_regularizers
        with _traced_regularizers.unchecked():   # (the library's own reading: Keras's refusal is
            # the user's get_config, to_json or save, Layer._refuse_unserializable_init)
            return _packed_inputs.with_config(layer, layer.get_config())

    def destroy(state):
        with _lock:
            _instances.pop(state, None)

    get_config = get_config_thunk(config_of, label)

    from .layers import Layer
    thunks = (_lib.keras_layer_create_fn(create), _lib.keras_layer_build_fn(build),
              _lib.keras_layer_output_shape_fn(output_shape), _lib.keras_layer_forward_fn(forward),
              _lib.keras_layer_backward_fn(backward), _lib.keras_layer_get_config_fn(get_config),
              _lib.keras_layer_destroy_fn(destroy))
    table = _lib.keras_layer_class()
    table.create, table.build, table.forward = thunks[0], thunks[1], thunks[3]
    table.get_config, table.destroy = thunks[5], thunks[6]
    # Also without compute_output_shape: a layer of several inputs is not shaped like its packed input.
    table.output_shape = thunks[2]
    if getattr(cls, "backward") is not getattr(Layer, "backward"):
        table.backward = thunks[4]
    if not cls.__module__.startswith(__package__ + "."):
        # A user's class: saved with its Python module, as Keras saves it (the library writes
        # "__main__" as null); the binding's own (Lambda, OpLayer) keep the library's form.
        table.module = cls.__module__.encode()
    return table, thunks


def layer_class_name(cls) -> str:
    """The name a Python layer class is saved under, Keras's `registered_name`: 'package>Name'
    when registered with register_keras_serializable, else the class name."""
    return cls.__dict__.get("_registered_name") or cls.__name__


def _library_key(cls) -> str:
    """The name the library knows a Python layer class by when it is used in a model: its
    registered 'package>Name'; a user's class that is not registered, 'module>Name' (the library's
    moduleQualifiedName, which a config's `module` and `class_name` find), so that using a class
    makes no bare name mean it for the process (a user's `StochasticDepth` must not replace the
    library's in a ConvNeXt file loaded later); the binding's own classes (no module in their
    configs), the class name."""
    if cls.__dict__.get("_registered_name") or cls.__module__.startswith(__package__ + "."):
        return layer_class_name(cls)
    return f"{cls.__module__}>{cls.__name__}"


def register_layer_class(cls, name=None, again=False):
    """Makes a Python Layer subclass known to the library (keras_register_layer) under `name`
    (a custom object's name in scope) or the key of its use (_library_key); returns the name
    its configs are saved under. `again`: registers a known class once more, for a registration
    made while the library reads a config (a layer called in a traced call), which lasts as long
    as that read (its scope). A registration under a name goes to the innermost open custom
    object scope (and ends with it); a class used but not registered is known to the library
    only while it reads a config made here that names it (_plugins.functions_by_module), as
    Keras locates such a class in no file, model_from_json or from_config without custom_objects."""
    key = name or _library_key(cls)
    saved = name or layer_class_name(cls)
    if not _lib.has("keras_register_layer"):
        raise _native.KerasError(f"{saved}: this libkeras.so has no keras_register_layer, "
                                 f"so layers written in Python cannot be used; rebuild it")
    if name is None and key != saved:   # by use: the library's moduleQualifiedName
        from ._plugins import known_by_module
        known_by_module("layer", key, cls, lambda: _new_table(cls, key))
        with _lock:
            _layer_classes[key] = cls
        return saved
    from .ops._trace import active
    reading = active() is not None   # a registration now lasts for the library's current read
    with _lock:
        entry = _layer_tables.get(key)
        if _layer_classes.get(key) is cls and entry is not None:
            if again or reading or _global_classes.get(key) is not cls:
                # (first registered during a read, as a layer a traced call calls: the
                # library has forgotten it since)
                _native.check(_lib.keras_register_layer(key.encode(), ctypes.byref(entry[0])))
                if not reading:
                    record_registration(_global_classes, key, cls)
            return saved
    table, thunks = _new_table(cls, key)
    _native.check(_lib.keras_register_layer(key.encode(), ctypes.byref(table)))
    with _lock:
        if not reading:
            record_registration(_global_classes, key, cls)
        record_registration(_layer_classes, key, cls)
        record_registration(_layer_tables, key, (table, thunks))
    return saved


def _new_table(cls, key):
    """The keras_layer_class of `cls` registered as `key`, and the functions it holds (kept
    alive for good: the library's instances of it call them)."""
    table, thunks = _layer_table(cls, key.split(">")[-1])
    with _lock:
        _all_tables.append((table, thunks))
    return table, thunks


def runs_on_numpy(layer):
    """Whether the library's newest instance of `layer` runs its `call` on numpy values (a call
    that could not be traced into the library's op graph)."""
    with _lock:
        for instance in reversed(list(_instances.values())):
            if instance.layer is layer:
                return not instance.traced
    return False


def instance_named(name, cls):
    """The newest library instance of a Python layer class with this name (a loaded model's
    model.layers are the objects the library computes with)."""
    with _lock:
        for instance in reversed(list(_instances.values())):
            if instance.layer.name == name and type(instance.layer) is cls:
                return instance.layer
    return None


def instance_for_entry(name, class_name, module):
    """The newest library instance of a Python layer named `name` whose class is the entry's
    (`class_name` of `module`; None is `__main__`): the object a model just read was made with,
    whether or not its class is still registered (custom objects in a scope closed since)."""
    if module == "keras" or (module or "").startswith("keras."):
        return None   # (Keras's own classes: the library's layers, looked at for every entry)
    with _lock:
        for instance in reversed(list(_instances.values())):
            cls = type(instance.layer)
            if instance.layer.name == name and cls.__name__ == class_name and \
                    cls.__module__ == (module or "__main__"):
                return instance.layer
    return None


def python_layer_class(class_name, registered=None, module=None, has_module=False):
    """The Python class the library made a layer of from a config entry, found as the library
    finds it (ObjectRegistry.layerBuilder): by the entry's registered name, by its `module`
    (`has_module`: the entry has one; None is `__main__`) and class name, by the class name,
    then by a bare name's one packaged registration where the library has no layer of that
    name; else a class in the custom object scopes; None for the library's own layers."""
    qualified = f"{module or '__main__'}>{class_name}" if has_module else None
    names = [n for n in (registered, qualified, class_name) if n]
    for name in names:
        cls = _layer_classes.get(name)
        if cls is not None:
            return cls
    from ._catalog import builtin_objects
    # (a class known by its module is found by that module only, as the library finds it)
    packaged = {cls for key, cls in list(_layer_classes.items())
                if key.endswith(">" + class_name) and key != f"{cls.__module__}>{cls.__name__}"}
    if len(packaged) == 1 and class_name not in builtin_objects("layers"):
        return packaged.pop()
    scoped = custom_objects_in_scope()
    return next((scoped[n] for n in names if isinstance(scoped.get(n), type)
                 and not is_package_alias(n, scoped[n])), None)
