"""Symbolic tensors and the trace of a Python layer's `call` into the library's op graph.

While the library builds a layer written in Python, `call` runs once (twice when it takes
`training`) on a `SymbolicTensor`: every `swiftkeras.ops` function (and every operator) on a
symbolic tensor or a weight appends an op to the layer's graph in the library
(keras_layer_builder_op) instead of computing. The library then runs that graph natively for
every step, with its own autodiff; Python is not entered again. Shapes are fixed at trace time
(None where a dimension follows the batch), as under jax.jit.
"""

from __future__ import annotations

import ctypes
import json
import sys
import threading

import numpy as np

from .. import _lib, _native
from .._tensor_ops import TensorOperators, _ops

_state = threading.local()


class NotTraceable(TypeError):
    """A symbolic tensor reached code that needs values (numpy, float(), if on a tensor)."""


class TraceError(ValueError):
    """An error Keras raises under tracing too (a random op without a seed): raised to the
    caller, never a reason to run the layer on numpy instead."""


class Unsupported(NotImplementedError):
    """An op or index form the library refuses to trace (an error at build, not a silent
    fallback, for a layer that has no numpy backward to fall back on)."""


def active():
    """The trace running on this thread, or None."""
    return getattr(_state, "trace", None)


class ReadsSizes(BaseException):
    """The call being traced read a size its input shapes leave unknown: Keras's call under
    jax.jit reads it as an int, so the library traces the call again with each run's sizes
    (keras_layer_builder_reads_sizes). A BaseException: no `except Exception` in the call or in an
    op's fallback may take it for a failure."""


def reads_sizes(what):
    """Ends the trace running on this thread where it is a layer's that the library traces again
    per run shape (ReadsSizes); else nothing, the caller going on as before."""
    trace = active()
    if trace is not None and trace.sizes_per_run:
        raise ReadsSizes(what)


class _Shape(tuple):
    """The shape of a symbolic tensor with an unknown size (None): read by the user's code (an
    entry that is None, by index, unpacking or slice), it ends the trace (reads_sizes), the call
    being traced again with its run's sizes, as Keras's `x.shape[1]` is an int under jax.jit. The
    library's own code reads it as the plain tuple it is."""

    def _read(self, entries):
        if None in entries and not sys._getframe(2).f_globals.get("__name__", "").startswith("swiftkeras."):
            reads_sizes(f"shape {tuple.__repr__(self)} read in the call")
        return entries

    def __getitem__(self, item):
        got = tuple.__getitem__(self, item)
        self._read(got if isinstance(item, slice) else (got,))
        return got

    def __iter__(self):
        return iter(self._read(tuple(tuple.__iter__(self))))


class SymbolicTensor(TensorOperators):
    """A tensor of the op graph being traced: it has a shape and a dtype, no values. Keras:
    `KerasTensor` as `call` sees it under tracing."""

    def __init__(self, trace, node, shape):
        self._trace, self._node = trace, node
        self.shape = _Shape(shape) if None in shape else shape
        self.dtype = "float32"

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}>"

    def _needs_values(self, what):
        raise NotTraceable(f"{what} needs the values of a symbolic tensor (shape {self.shape}); "
                           f"a layer traced into the library's graph may only use swiftkeras.ops "
                           f"and Python control flow over shapes")

    def __array__(self, dtype=None, copy=None):
        self._needs_values("numpy")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from . import _UFUNCS
        name = _UFUNCS.get(ufunc.__name__)
        if method != "__call__" or name is None or kwargs:
            self._needs_values(f"numpy.{ufunc.__name__}")
        return name(*inputs)

    def __bool__(self):
        self._needs_values("bool()")

    def __float__(self):
        self._needs_values("float()")

    def __len__(self):
        if self.shape and self.shape[0] is not None:
            return self.shape[0]
        self._needs_values("len()")

    def __iter__(self):
        self._needs_values("iteration")

    # Keras traces a layer's call with jax's tracers, whose `==` and `!=` compare elementwise
    # (keras.io's feature-engineering layer: `inputs["thal"] == "fixed"`); identity would trace
    # a constant False.
    def __eq__(self, o): return _ops().equal(self, o)
    def __ne__(self, o): return _ops().not_equal(self, o)

    def __hash__(self):
        return id(self)

    def numpy(self):
        self._needs_values(".numpy()")


class Trace:
    """One trace of a layer's call into the graph of `builder` (valid only inside build)."""

    def __init__(self, builder, layer):
        self.builder, self.layer = builder, layer
        self._weights: dict[int, SymbolicTensor] = {}
        self.mode = -1             # the call being traced: 1 training, 0 inference, -1 both
        self.losses: list = []     # (mode, value) from layer.add_loss during the trace
        # The layer's input: random ops read their unknown (None) dimensions from it per step.
        self.reference = None
        self.called_layers: list[str] = []   # the layers the call called (call_layer)
        self.metric_updates: list = []   # metrics' update_state during the trace (_traced_metrics)
        # Held layers' weights read in the call, or assigned by it (_held_weights)
        self.held: dict = {}
        self.assigned_layers: set = set()
        # The `training` of the layers the call calls without one (None: the traced layer's
        # flag of each step; False: Keras's calls in inference mode, _model_api._WholeCall)
        self.default_training = None
        # A layer's call the library traces again with each run's sizes where it reads an
        # unknown one (ReadsSizes)
        self.sizes_per_run = False

    def _check(self, rc):
        if rc != 0:
            raise _native._EXCEPTIONS.get(rc, _native.KerasError)(_native.last_error())

    def _tensor(self, node):
        ndim = ctypes.c_int32()
        shape = (ctypes.c_int64 * 8)()
        self._check(_lib.keras_layer_builder_shape(self.builder, node, ctypes.byref(ndim), shape))
        return SymbolicTensor(self, node, tuple(None if shape[i] < 0 else int(shape[i])
                                                for i in range(ndim.value)))

    def per_run_shape(self):
        """Ends the layer's trace unfinished: the library traces its call again with each run's
        sizes, every one known (keras_layer_builder_reads_sizes). True: the call is traced."""
        self._check(_lib.keras_layer_builder_reads_sizes(self.builder))
        return True

    def input(self, index=None):
        """The layer's input (several: packed), or input number `index` of several."""
        node = ctypes.c_int64()
        if index is None:
            self._check(_lib.keras_layer_builder_input(self.builder, ctypes.byref(node)))
        else:
            self._check(_lib.keras_layer_builder_input_at(self.builder, index, ctypes.byref(node)))
        return self._tensor(node.value)

    def input_count(self):
        """How many inputs the library calls the layer on."""
        if not _lib.has("keras_layer_builder_input_count"):
            return 1
        count = ctypes.c_int32()
        self._check(_lib.keras_layer_builder_input_count(self.builder, ctypes.byref(count)))
        return count.value

    def weight(self, position):
        t = self._weights.get(position)
        if t is None:
            node = ctypes.c_int64()
            self._check(_lib.keras_layer_builder_weight(self.builder, position, ctypes.byref(node)))
            t = self._weights[position] = self._tensor(node.value)
        return t

    def constant(self, value):
        a = np.ascontiguousarray(value, dtype=np.float32)
        node = ctypes.c_int64()
        self._check(_lib.keras_layer_builder_constant(
            self.builder, a.ctypes.data_as(_lib.float_p), a.ndim,
            _native.int64_array(a.shape) if a.ndim else None, ctypes.byref(node)))
        return self._tensor(node.value)

    def node_of(self, x):
        """The graph node of an op argument: a symbolic tensor, a weight, or a constant."""
        from .._python_layers import Weight
        if isinstance(x, SymbolicTensor):
            if x._trace is not self:
                raise ValueError(f"{x!r} belongs to another layer's trace")
            return x._node
        if isinstance(x, Weight):
            if x._layer is not self.layer:
                raise ValueError(f"{x!r} is a weight of another layer")
            return self.weight(x._position)._node
        return self.constant(x)._node

    def op(self, name, inputs, attrs=None):
        ids = [self.node_of(x) for x in inputs]
        node = ctypes.c_int64()
        text = json.dumps(attrs).encode() if attrs else None
        self._check(_lib.keras_layer_builder_op(self.builder, name.encode(), len(ids),
                                                _native.int64_array(ids) if ids else None,
                                                text, ctypes.byref(node)))
        return self._tensor(node.value)

    def custom_gradient(self, inputs, output, upstream, gradients):
        """`output` differentiating through `gradients` (traced from the stand-in `upstream`)
        with respect to `inputs`, instead of its own ops: Keras's `ops.custom_gradient`."""
        if not _lib.has("keras_layer_builder_custom_gradient"):
            raise Unsupported("ops.custom_gradient: this libkeras.so has no "
                              "keras_layer_builder_custom_gradient; rebuild it")
        ins = [self.node_of(x) for x in inputs]
        grads = [self.node_of(g) for g in gradients]
        node = ctypes.c_int64()
        self._check(_lib.keras_layer_builder_custom_gradient(
            self.builder, len(ins), _native.int64_array(ins), self.node_of(output),
            self.node_of(upstream), _native.int64_array(grads), ctypes.byref(node)))
        return self._tensor(node.value)

    def call_layer(self, layer, inputs, args, kwargs):
        """`layer(inputs, ...)` inside the traced call (Keras: a custom layer's `call` calling
        the layers held in its attributes): one node of the graph per output, the layer (a
        built-in one, a Sequential, functional or subclassed model, a layer written in Python)
        made and built by the library as a sublayer of the traced layer, under the attribute
        that holds it. Keras's call arguments go with it: `mask=`, a recurrent layer's
        `initial_state=`, MultiHeadAttention's `attention_mask=`, `query_mask=`/`value_mask=`/
        `key_mask=`, `use_causal_mask=` and `return_attention_scores=`."""
        if id(layer) in self.assigned_layers:
            from ._held_weights import call_with_assigned
            return call_with_assigned(self, layer, inputs, args, kwargs)
        outer = type(self.layer).__name__
        name = getattr(layer, "name", type(layer).__name__)
        self.called_layers.append(name)
        kwargs = dict(kwargs)
        training = kwargs.pop("training", None)
        if training is None:
            training = self.default_training
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        tensors += list(args)   # MultiHeadAttention(query, value, key)
        tensors += [kwargs.pop(k) for k in ("value", "key") if kwargs.get(k) is not None]
        arguments = _call_arguments(outer, name, layer, tensors, kwargs)
        attribute, order, index = _attribute_of(self.layer, layer)
        code = -1 if training is None else int(bool(training))
        handle = None if arguments else _held_model_handle(layer, tensors)
        if handle is not None:   # the model itself, its variables the handle's
            ids = [self.node_of(t) for t in tensors]
            capacity = 64
            out = (ctypes.c_int64 * capacity)()
            count = ctypes.c_int32()
            self._check(_lib.keras_layer_builder_model_call(
                self.builder, attribute.encode(), order, index, handle, len(ids),
                _native.int64_array(ids), code, capacity, out, ctypes.byref(count)))
            outputs = [self._tensor(out[i]) for i in range(count.value)]
            return outputs[0] if len(outputs) == 1 else tuple(outputs)
        from .. import _python_layers
        entry, claimed = _called_entry(outer, name, layer, tensors)
        for held in _python_layers._python_layers_in(claimed):
            # Known to the library for this read of the model's config, whenever it was
            # registered before (a registration during a read lasts for that read).
            _python_layers.register_layer_class(type(held), again=True)
        ids = [self.node_of(t) for t in tensors]
        for key in ("masks", "attention_mask"):
            value = arguments.get(key)
            if isinstance(value, list):
                arguments[key] = [None if m is None else self.node_of(m) for m in value]
            elif value is not None:
                arguments[key] = self.node_of(value)
        text = json.dumps(entry, default=_native._json_default).encode()
        from ..layers import Layer
        from .._plugins import functions_by_module
        # (its Python layers are the user's objects; its Python activations known by their key)
        with _python_layers.claiming(claimed), functions_by_module(text):
            if not _lib.has("keras_layer_builder_layer_call"):
                if arguments:
                    raise Unsupported(f"{outer}.call calls layer '{name}' with "
                                      f"{sorted(arguments)}: this libkeras.so has no "
                                      f"keras_layer_builder_layer_call; rebuild it")
                node = ctypes.c_int64()
                self._check(_lib.keras_layer_builder_layer(
                    self.builder, attribute.encode(), order, index, text, len(ids),
                    _native.int64_array(ids), code, ctypes.byref(node)))
                nodes = [node.value]
            else:
                capacity = 64
                out = (ctypes.c_int64 * capacity)()
                count = ctypes.c_int32()
                self._check(_lib.keras_layer_builder_layer_call(
                    self.builder, attribute.encode(), order, index, text, len(ids),
                    _native.int64_array(ids), json.dumps(arguments).encode() if arguments else None,
                    code, capacity, out, ctypes.byref(count)))
                nodes = [out[i] for i in range(count.value)]
        if isinstance(layer, Layer):
            layer._parent = self.layer   # its weights are read from the layer holding it
        outputs = [self._tensor(n) for n in nodes]
        # Keras: (output, scores) from the attention layers, (output, *states) from RNNs.
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def base_call(self, inputs, training, kwargs):
        """`super().call(inputs)` in the traced call of a Python subclass of a built-in layer:
        a call of the built-in layer its build made (keras_layer_builder_base_call). `training`
        as given (Keras's default, False, when not), fixed in this trace."""
        name = type(self.layer).__name__
        kwargs = {k: v for k, v in kwargs.items() if k != "mask"}   # the inputs' (_takes_masks)
        extra = sorted(k for k, v in kwargs.items() if v is not None)
        if extra:
            raise Unsupported(f"{name}.call calls super().call with {extra}: the built-in layer "
                              f"{self.layer.class_name} a subclass extends is called on tensors "
                              f"and `training` only")
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        ids = [self.node_of(t) for t in tensors]
        code = -1 if training is None else int(bool(training))
        node = ctypes.c_int64()
        self._check(_lib.keras_layer_builder_base_call(self.builder, len(ids), _native.int64_array(ids),
                                                       code, int(_takes_masks(self.layer)),
                                                       ctypes.byref(node)))
        return self._tensor(node.value)

    def output(self, y, training):
        self._check(_lib.keras_layer_builder_output(self.builder, self.node_of(y), training))

    def outputs(self, values, training):
        """The call's output tensors, in order (one: keras_layer_builder_output)."""
        if len(values) == 1:
            return self.output(values[0], training)
        if not _lib.has("keras_layer_builder_outputs"):
            raise Unsupported(f"{type(self.layer).__name__}.call returns {len(values)} tensors: this "
                              f"libkeras.so has no keras_layer_builder_outputs; rebuild it")
        ids = [self.node_of(v) for v in values]
        self._check(_lib.keras_layer_builder_outputs(self.builder, len(ids), _native.int64_array(ids),
                                                     training))

    def mask(self, index):
        """The Keras mask of input `index` as a node (ones when the input carries none)."""
        node = ctypes.c_int64()
        self._check(_lib.keras_layer_builder_mask(self.builder, index, ctypes.byref(node)))
        return self._tensor(node.value)

    def carried_masks(self, count):
        """Which of the `count` inputs carry a Keras mask, as the model being built knows it (a
        functional config read from a file records every mask a call taking one gets); None
        when it does not know (a model made in code, a Sequential)."""
        if not _lib.has("keras_layer_builder_input_has_mask"):
            return None
        known = []
        for index in range(count):
            carries = ctypes.c_int32()
            self._check(_lib.keras_layer_builder_input_has_mask(self.builder, index, ctypes.byref(carries)))
            if carries.value < 0:
                return None
            known.append(bool(carries.value))
        return known

    def masks_absent(self):
        """Whether this trace is of the call on inputs without masks (Keras passes None), which
        the library runs where no mask reaches the layer."""
        if not _lib.has("keras_layer_builder_masks_absent"):
            return False
        absent = ctypes.c_int32(0)
        self._check(_lib.keras_layer_builder_masks_absent(self.builder, ctypes.byref(absent)))
        return absent.value == 1

    def output_masks(self, layer, inputs, mask, count, training):
        """The layer's own `compute_mask(inputs, mask)`, traced: the masks of its `count`
        outputs (None: no mask; Keras's None for every output leaves them unset)."""
        result = layer.compute_mask(inputs, mask)
        if result is None:
            return
        given = list(result) if isinstance(result, (list, tuple)) else [result] * count
        if len(given) != count:
            raise ValueError(f"{type(layer).__name__}.compute_mask returned {len(given)} masks for "
                             f"{count} outputs")
        if all(m is None for m in given):
            return
        ids = [-1 if m is None else self.node_of(m) for m in given]
        self._check(_lib.keras_layer_builder_output_masks(self.builder, len(ids),
                                                          _native.int64_array(ids), training))

    def add_loss(self, value):
        """Keras `add_loss` in the traced call: the value's sum joins the training loss."""
        if not _lib.has("keras_layer_builder_loss"):
            raise _native.KerasError("add_loss: this libkeras.so has no keras_layer_builder_loss; "
                                     "rebuild it")
        self.losses.append((self.mode, value))

    def assign(self, position, value, add):
        """`weight.assign(value)` / `assign_add(value)` in the traced call: the library writes the
        value to the layer's weight `position` after each run (exactly for an int32 counter).
        The rest of the call reads the weight's new value, as Keras's call does after an
        assignment (keras.io's ComputeSum returns `self.total` after `assign_add`)."""
        new_value = self.weight(position) + value if add else value
        self._check(_lib.keras_layer_builder_assign(self.builder, position, self.node_of(value),
                                                    int(bool(add)), self.mode))
        self._weights[position] = self._tensor(self.node_of(new_value))

    def state(self, width):
        """A recurrent cell's next state at the start of a step, (batch, width)."""
        node = ctypes.c_int64()
        self._check(_lib.keras_layer_builder_state(self.builder, width, ctypes.byref(node)))
        return self._tensor(node.value)

    def initial_state(self, index, value):
        self._check(_lib.keras_layer_builder_initial_state(self.builder, index, self.node_of(value)))

    def state_output(self, index, value, training):
        self._check(_lib.keras_layer_builder_state_output(self.builder, index, self.node_of(value),
                                                          training))


def _takes_masks(layer):
    """Whether the built-in layer a Python subclass extends gets the masks of its inputs: Keras
    passes them to a `call` the subclass does not override, or to an override taking `mask`
    (which passes it on to `super().call`)."""
    import inspect
    from ..layers import _BuiltinLayer
    call = type(layer).call
    if call is _BuiltinLayer.call:
        return True
    try:
        return "mask" in inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False


# The keyword values a built-in layer's call takes inside a traced call, besides tensors.
_ATTENTION_KEYWORDS = ("use_causal_mask", "return_attention_scores")
_ATTENTION_LAYERS = ("MultiHeadAttention", "Attention", "AdditiveAttention", "GroupQueryAttention")


def _call_arguments(outer, name, layer, tensors, kwargs):
    """The library's arguments of a layer called inside a traced call (keras_layer_builder_
    layer_call's arguments_json, nodes still as tensors), from Keras's keyword arguments;
    `tensors` gets a recurrent layer's `initial_state` after its sequence. What the library
    cannot pass is refused, naming it."""
    arguments = {}
    states = kwargs.pop("initial_state", None)
    if states is not None:
        tensors += list(states) if isinstance(states, (list, tuple)) else [states]
    mask = kwargs.pop("mask", None)
    class_name = getattr(layer, "class_name", None)
    attention = class_name in _ATTENTION_LAYERS
    if attention:
        masks = [kwargs.pop(k, None) for k in ("query_mask", "value_mask", "key_mask")]
        if mask is not None:   # Keras's Attention: mask=[query_mask, value_mask]
            given = list(mask) if isinstance(mask, (list, tuple)) else [mask]
            masks = [g if g is not None else m for g, m in zip(given + [None] * 3, masks)]
        if any(m is not None for m in masks):
            arguments["masks"] = masks[:len(tensors)]
        if kwargs.get("attention_mask") is not None:
            if class_name not in ("MultiHeadAttention", "GroupQueryAttention"):
                raise Unsupported(f"{outer}.call calls {class_name} '{name}' with attention_mask: "
                                  f"only MultiHeadAttention takes one")
            arguments["attention_mask"] = kwargs.pop("attention_mask")
        kwargs.pop("attention_mask", None)
        keywords = {k: kwargs.pop(k) for k in _ATTENTION_KEYWORDS if k in kwargs}
        if any(not isinstance(v, (bool, np.bool_)) for v in keywords.values()):
            raise TypeError(f"{outer}.call calls layer '{name}' with {keywords}: "
                            f"{' and '.join(_ATTENTION_KEYWORDS)} are True or False")
        keywords = {k: bool(v) for k, v in keywords.items() if v}
        if keywords:
            arguments["kwargs"] = keywords
    elif mask is not None:
        given = list(mask) if isinstance(mask, (list, tuple)) else [mask]
        if len(given) > len(tensors):
            raise ValueError(f"{outer}.call calls layer '{name}' with {len(given)} masks for "
                             f"{len(tensors)} input(s)")
        arguments["masks"] = given
    extra = sorted(k for k, v in kwargs.items() if v is not None)
    if extra:
        raise Unsupported(f"{outer}.call calls layer '{name}' with {extra}: a layer called inside "
                          f"a traced call takes its tensors, `training`, `mask`, a recurrent "
                          f"layer's `initial_state` and the attention layers' masks, "
                          f"use_causal_mask and return_attention_scores")
    return arguments


def _called_entry(outer, name, layer, tensors):
    """The model config entry of a layer called inside a traced call, and the layers whose
    Python objects the library's copy is (a model's layers)."""
    from ..layers import Layer
    if isinstance(layer, Layer):
        return layer._layer_entry(), [layer]
    if hasattr(layer, "_model_config"):
        if layer._subclassed() and layer._functional is None:
            # A subclassed model (Keras: `__init__` + `call`) becomes its graph of layers for
            # the shapes it is called on here, as its first call on data makes it.
            shapes = [tuple(t.shape) for t in tensors]
            traced, _state.trace = _state.trace, None   # its layers are its own graph's nodes
            try:
                layer._trace(shapes[0] if len(shapes) == 1 else shapes)
            finally:
                _state.trace = traced
        return layer._model_config(), list(layer._layers)
    raise Unsupported(f"{outer}.call calls '{name}' ({type(layer).__name__}): a layer called "
                      f"inside a traced call is a Layer or a Model")


def _held_model_handle(model, tensors):
    """The library model of a model a traced call calls (a loaded model, a Sequential with or
    without its Input, a functional or subclassed model), made now where it has none. The
    traced layer then holds that very model (keras_layer_builder_model_call), as Keras's layer
    holds its attribute's model: training the outer model moves the held model's weights, and
    its trainable flags count. Where Keras builds it: a model whose input it knows when made (a
    Sequential with its Input, a functional model) was built then, its weights under its own
    paths (`seq/dense/kernel`), so its library model is made outside the layer's build (in a
    root name scope of the library); a Sequential without an Input
    is built for the shape it is called on and a subclassed model traced for it, as at Keras's
    first call, inside the layer's (`wrap/seq/dense/kernel`). None where the library cannot
    insert it (not a model, an older libkeras.so)."""
    if not hasattr(model, "_model_config") or not _lib.has("keras_layer_builder_model_call") or \
            not _lib.has("keras_name_scope_open_root"):
        return None
    if model._handle is not None:
        model._take_trainable_flags()   # as they are now (a Distiller's teacher, frozen since built)
        return model._handle
    from ..models import Sequential
    shapes = [tuple(t.shape) for t in tensors]
    if isinstance(model, Sequential) and not model._input_known():
        if len(shapes) != 1:
            raise ValueError(f"Sequential model '{model.name}' was called on {len(shapes)} "
                             f"inputs; a Sequential model takes one")
        model._input_batch_shape = shapes[0]
    elif model._functional is not None and not model._is_subclass_model() or \
            isinstance(model, Sequential):
        _outside_the_build(model._build_for_config)
        return model._handle
    traced, _state.trace = _state.trace, None   # its layers are its own graph's nodes
    try:
        model._ensure_handle(shapes[0] if len(shapes) == 1 else shapes)
    finally:
        _state.trace = traced
    return model._handle


def _outside_the_build(make):
    """`make()` outside the build of the layer being traced: in a root name scope of the library
    (keras_name_scope_open_root; Keras builds the model where it is made, in no layer's scope)
    and with none of the build's per-thread state (no trace active, no model's call being traced,
    no layer objects claimed by the outer model)."""
    from .. import _model_vars, _python_layers
    depth = ctypes.c_int32()
    _native.check(_lib.keras_name_scope_open_root(ctypes.byref(depth)))
    traced, _state.trace = _state.trace, None
    model_traced, _model_vars._state.model = getattr(_model_vars._state, "model", None), None
    try:
        with _python_layers.claiming([]):
            make()
    finally:
        _state.trace = traced
        _model_vars._state.model = model_traced
        _native.check(_lib.keras_name_scope_close(depth.value))


def _attribute_of(owner, layer):
    """(attribute, its position among the owner's attributes, index in a list or -1) of the
    attribute of `owner` that holds `layer`, as Keras tracks it."""
    from ..layers import _tracked_sublayers as tracked_sublayers
    # A traced compute_loss calls the model's layers (keras.io's Distiller: self.teacher(x)).
    holder = owner.__dict__.get("_sublayers_of")
    for source in (owner,) if holder is None else (owner, holder):
        for key, order, index, item in tracked_sublayers(source):
            if item is layer:
                return key, order, index
    raise Unsupported(f"{type(owner).__name__}.call calls layer "
                      f"'{getattr(layer, 'name', layer)}', which no attribute of the layer holds: "
                      f"create it in __init__ or build (self.<name> = ...), as Keras tracks it")


def calling_layer(layer, inputs, args, kwargs):
    """The output of `layer(inputs, *args, **kwargs)` called inside a traced call, or None
    outside one."""
    trace = active()
    if trace is None or trace.layer is layer:
        return None
    return trace.call_layer(layer, inputs, args, kwargs)


def is_symbolic(x):
    """True for what must go into the graph: a symbolic tensor, or a weight while tracing."""
    if isinstance(x, SymbolicTensor):
        return True
    if active() is None:
        return False
    from .._python_layers import Weight
    return isinstance(x, Weight)


def state_widths(layer):
    """A cell's `state_size` as a list of widths (Keras: an int, or a list of ints)."""
    size = layer.state_size
    sizes = list(size) if isinstance(size, (list, tuple)) else [size]
    if not sizes or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0
                            for s in sizes):
        raise ValueError(f"{type(layer).__name__}.state_size must be a positive int or a list of "
                         f"positive ints (one per state), got {size!r}")
    return [int(s) for s in sizes]


def trace_cell(layer, builder, takes_training):
    """Traces a recurrent cell's `call(inputs, states)` (Keras's cell contract: it returns
    `(output, new_states)`) into the graph of `builder`, as one step that RNN(cell) repeats. A
    cell has no numpy path: a call that is not traceable raises, naming the cell."""
    name = type(layer).__name__
    if not _lib.has("keras_layer_builder_state"):
        raise _native.KerasError(f"{name}: this libkeras.so cannot run recurrent cells written in "
                                 f"Python (no keras_layer_builder_state); rebuild it")
    widths = state_widths(layer)
    trace = Trace(builder, layer)
    previous = active()
    _state.trace = trace
    try:
        x = trace.reference = trace.input()
        states = [trace.state(w) for w in widths]
        modes = ((1, True), (0, False)) if takes_training else ((-1, None),)
        results = []
        for code, training in modes:
            kwargs = {"training": training} if takes_training else {}
            result = layer.call(x, list(states), **kwargs)
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise ValueError(f"{name}.call(inputs, states) must return (output, new_states), "
                                 f"got {type(result).__name__}")
            output, new_states = result
            new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if len(new_states) != len(widths):
                raise ValueError(f"{name}.call returned {len(new_states)} new state(s), but its "
                                 f"state_size {layer.state_size!r} has {len(widths)}")
            results.append((code, output, new_states))
        for code, output, new_states in results:
            trace.output(output, code)
            for i, s in enumerate(new_states):
                trace.state_output(i, s, code)
        initial = getattr(layer, "get_initial_state", None)
        if initial is not None:
            # Keras's RNN starts from cell.get_initial_state(batch_size) when given no
            # initial_state: traced for one row, the library repeats it for every row.
            values = initial(batch_size=1)
            values = list(values) if isinstance(values, (list, tuple)) else [values]
            if len(values) != len(widths):
                raise ValueError(f"{name}.get_initial_state returned {len(values)} state(s), but its "
                                 f"state_size {layer.state_size!r} has {len(widths)}")
            for i, v in enumerate(values):
                trace.initial_state(i, v)
    except NotTraceable as e:
        raise NotTraceable(f"{name}: a recurrent cell written in Python must compute its call "
                           f"with swiftkeras.ops (the library runs it as one step of its op "
                           f"graph): {e}") from None
    finally:
        _state.trace = previous


def trace_layer(layer, builder, takes_training, required=False):
    """Traces `layer.call` into the graph of `builder`; False (and no output set) when the call
    needs values (numpy code), so that the layer keeps its numpy forward/backward path. A call
    taking `mask` gets its inputs' masks as nodes; a `compute_mask` of the layer's own is traced
    into its outputs' masks; a call returning a tuple, list or dict of tensors has one output
    per tensor (`layer._output_structure` keeps their structure).
    `required`: a layer with no numpy path (a Python subclass of a built-in layer), whose
    untraceable call is an error naming why."""
    if not _lib.has("keras_layer_builder_op"):
        return False
    trace = Trace(builder, layer)
    trace.sizes_per_run = not required and getattr(layer, "_sizes_per_run", True) and \
        _lib.has("keras_layer_builder_reads_sizes")
    previous = active()
    _state.trace = trace
    given = []
    try:
        several = trace.input_count()
        if several > 1:   # the list Keras gives, each input its own node
            given = [trace.input(i) for i in range(several)]
            trace.reference = given[0]
        else:
            trace.reference = trace.input()
        from .._python_layers import _call_takes
        takes_mask = _call_takes(layer, "mask")
        masks = None
        # (A subclass of a built-in layer has the built-in's masks, computed by the library.)
        own_mask = layer._computes_own_mask() and not required
        if (takes_mask or own_mask) and _lib.has("keras_layer_builder_mask") and trace.masks_absent():
            # The trace the library runs where no mask reaches the layer: Keras passes None.
            masks = [None] * several if several > 1 else [None]
        elif (takes_mask or own_mask) and _lib.has("keras_layer_builder_mask"):
            # Keras's call gets None for an input without a mask. Which inputs carry one is
            # known from the layer's calls in Python, else for a layer read from a functional
            # config from its nodes; where neither says, every input's mask is a node, ones
            # where the input has none.
            shapes = [t.shape for t in (given if several > 1 else [trace.reference])]
            carried = layer.__dict__.get("_input_masks")
            if carried is None and takes_mask:
                carried = trace.carried_masks(len(shapes))
            masks = [trace.mask(i) if len(shape) >= 2 and (carried is None or (i < len(carried) and carried[i]))
                     else None for i, shape in enumerate(shapes)]
        modes = ((1, True), (0, False)) if takes_training else ((-1, None),)
        outputs = []
        for code, training in modes:
            trace.mode = code
            if several > 1:
                inputs = list(given)
            else:
                from .._packed_inputs import unpack
                inputs = unpack(layer, trace.reference)   # packed by Python (an eager call's model)
            from .._packed_inputs import call
            extra = {"training": training} if takes_training else {}
            if takes_mask and masks is not None:
                extra["mask"] = masks if several > 1 else masks[0]
            y = call(layer, inputs, **extra)
            outputs.append((code, inputs, y))
        structure = None
        for code, inputs, y in outputs:
            flat, structure = _flat_outputs(layer, y)
            trace.outputs(flat, code)
            if masks is not None and own_mask:
                trace.output_masks(layer, inputs, masks if several > 1 else masks[0], len(flat), code)
        for code, value in trace.losses:
            trace._check(_lib.keras_layer_builder_loss(trace.builder, trace.node_of(value), code))
        if trace.metric_updates:
            from .. import _traced_metrics
            _traced_metrics.emit(trace)
        layer._traced_adds_loss = bool(trace.losses)
        layer._output_structure = structure
        return True
    except ReadsSizes:
        return trace.per_run_shape()
    except TraceError:
        raise
    except Exception as e:  # noqa: BLE001 — the call is not traceable: numpy path
        from .._python_layers import _overrides
        if getattr(layer, "_trace_required", False):
            raise   # the binding's own graph layers: their error says what was wrong
        if required:
            raise TraceError(f"{type(layer).__name__} '{layer.name}' subclasses the built-in layer "
                             f"{layer.class_name}: its call runs in the library's op graph, so it "
                             f"must be written with super().call and swiftkeras.ops, but tracing "
                             f"failed: {e}") from e
        if trace.called_layers or _held_layers(layer):
            raise _untraceable(layer, trace, e) from e
        if isinstance(e, Unsupported) and not _overrides(layer, "backward"):
            raise
        shapes = [(None,) + tuple(t.shape[1:]) for t in given]
        if len(shapes) > 1 and any(d is None for shape in shapes for d in shape[1:]):
            # the numpy path takes several inputs packed into one array: sizes must be known
            raise TraceError(f"{type(layer).__name__} '{layer.name}': its call could not be "
                             f"traced into the library's graph ({type(e).__name__}: {e}), and "
                             f"a layer run on numpy takes its several inputs packed into one "
                             f"array, which needs every size past the batch known; got "
                             f"{', '.join(map(str, shapes))}") from e
        return False
    finally:
        _state.trace = previous


def _flat_outputs(layer, y):
    """The tensors a traced call returned, in Keras's order (a dict's by sorted key), and
    their structure: None for one tensor, ("tuple"|"list", n) or ("dict", keys)."""
    if isinstance(y, dict):
        keys = sorted(y)
        return [y[k] for k in keys], ("dict", keys)
    if isinstance(y, (list, tuple)):
        if not y:
            raise ValueError(f"{type(layer).__name__}.call returned an empty {type(y).__name__}")
        if any(isinstance(v, (list, tuple, dict)) for v in y):
            raise Unsupported(f"{type(layer).__name__}.call returned nested structures; a layer "
                              f"written in Python returns a tensor, or a flat tuple, list or dict "
                              f"of tensors")
        return list(y), ("tuple" if isinstance(y, tuple) else "list", len(y))
    return [y], None


def _held_layers(layer):
    """The names of the layers (and models) held in `layer`'s attributes, as Keras tracks them."""
    from ..layers import _tracked_sublayers as tracked_sublayers
    return [item.name for _, _, _, item in tracked_sublayers(layer)]


def _untraceable(layer, trace, e):
    """The error of a call that calls layers (or holds them) and could not be traced: such a
    layer has no numpy path (its layers live in the library only through the trace; computing
    it on numpy would give a wrong output shape, silently)."""
    names = trace.called_layers or _held_layers(layer)
    return TraceError(f"{type(layer).__name__} '{layer.name}': its call uses layers "
                      f"({', '.join(dict.fromkeys(names))}), so it must be traced into the "
                      f"library's graph (written with swiftkeras.ops), but tracing failed: {e}")
