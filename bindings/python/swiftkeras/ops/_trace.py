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
import threading

import numpy as np

from .. import _lib, _native
from .._tensor_ops import TensorOperators

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


class SymbolicTensor(TensorOperators):
    """A tensor of the op graph being traced: it has a shape and a dtype, no values. Keras:
    `KerasTensor` as `call` sees it under tracing."""

    def __init__(self, trace, node, shape):
        self._trace, self._node = trace, node
        self.shape = shape
        self.dtype = "float32"

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor shape={self.shape}, dtype=float32>"

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

    def _check(self, rc):
        if rc != 0:
            raise _native._EXCEPTIONS.get(rc, _native.KerasError)(_native.last_error())

    def _tensor(self, node):
        ndim = ctypes.c_int32()
        shape = (ctypes.c_int64 * 8)()
        self._check(_lib.keras_layer_builder_shape(self.builder, node, ctypes.byref(ndim), shape))
        return SymbolicTensor(self, node, tuple(None if shape[i] < 0 else int(shape[i])
                                                for i in range(ndim.value)))

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
        the layers held in its attributes): one node of the graph, the layer (a built-in one, a
        Sequential or functional model, a layer written in Python) made and built by the
        library as a sublayer of the traced layer, under the attribute that holds it."""
        outer = type(self.layer).__name__
        name = getattr(layer, "name", type(layer).__name__)
        self.called_layers.append(name)
        kwargs = dict(kwargs)
        training = kwargs.pop("training", None)
        tensors = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        tensors += list(args)   # MultiHeadAttention(query, value, key)
        tensors += [kwargs.pop(k) for k in ("value", "key") if kwargs.get(k) is not None]
        extra = sorted(k for k, v in kwargs.items() if v is not None)
        if extra:
            raise Unsupported(f"{outer}.call calls layer '{name}' with {extra}: a layer called "
                              f"inside a traced call takes tensors and `training` only")
        attribute, order, index = _attribute_of(self.layer, layer)
        from .. import _python_layers
        from ..layers import Layer
        if isinstance(layer, Layer):
            entry, claimed = layer._layer_entry(), [layer]
        elif hasattr(layer, "_model_config") and not layer._is_subclass_model():
            entry, claimed = layer._model_config(), list(layer._layers)
        else:
            raise Unsupported(f"{outer}.call calls '{name}' ({type(layer).__name__}): a layer "
                              f"called inside a traced call is a Layer, a Sequential or a "
                              f"functional Model")
        for held in _python_layers._python_layers_in(claimed):
            # Known to the library for this read of the model's config, whenever it was
            # registered before (a registration during a read lasts for that read).
            _python_layers.register_layer_class(type(held), again=True)
        ids = [self.node_of(t) for t in tensors]
        code = -1 if training is None else int(bool(training))
        node = ctypes.c_int64()
        with _python_layers.claiming(claimed):   # its Python layers are the user's objects
            self._check(_lib.keras_layer_builder_layer(
                self.builder, attribute.encode(), order, index,
                json.dumps(entry, default=_native._json_default).encode(), len(ids),
                _native.int64_array(ids), code, ctypes.byref(node)))
        if isinstance(layer, Layer):
            layer._parent = self.layer   # its weights are read from the layer holding it
        return self._tensor(node.value)

    def base_call(self, inputs, training, kwargs):
        """`super().call(inputs)` in the traced call of a Python subclass of a built-in layer:
        a call of the built-in layer its build made (keras_layer_builder_base_call). `training`
        as given (Keras's default, False, when not), fixed in this trace."""
        name = type(self.layer).__name__
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

    def add_loss(self, value):
        """Keras `add_loss` in the traced call: the value's sum joins the training loss."""
        if not _lib.has("keras_layer_builder_loss"):
            raise _native.KerasError("add_loss: this libkeras.so has no keras_layer_builder_loss; "
                                     "rebuild it")
        self.losses.append((self.mode, value))

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


def _attribute_of(owner, layer):
    """(attribute, its position among the owner's attributes, index in a list or -1) of the
    attribute of `owner` that holds `layer`, as Keras tracks it."""
    from ..layers import _tracked_sublayers as tracked_sublayers
    for key, order, index, item in tracked_sublayers(owner):
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
    needs values (numpy code), so that the layer keeps its numpy forward/backward path.
    `required`: a layer with no numpy path (a Python subclass of a built-in layer), whose
    untraceable call is an error naming why."""
    if not _lib.has("keras_layer_builder_op"):
        return False
    trace = Trace(builder, layer)
    previous = active()
    _state.trace = trace
    try:
        several = trace.input_count()
        if several > 1:   # the list Keras gives, each input its own node
            given = [trace.input(i) for i in range(several)]
            trace.reference = given[0]
        else:
            trace.reference = trace.input()
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
            y = call(layer, inputs, training=training) if takes_training else call(layer, inputs)
            outputs.append((code, y))
        for code, y in outputs:
            trace.output(y, code)
        for code, value in trace.losses:
            trace._check(_lib.keras_layer_builder_loss(trace.builder, trace.node_of(value), code))
        layer._traced_adds_loss = bool(trace.losses)
        return True
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
        return False
    finally:
        _state.trace = previous


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
