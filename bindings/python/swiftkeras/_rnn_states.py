"""Keras's stateful recurrent layers from Python: `layer.states`, `layer.reset_state()` (and its
alias `reset_states()`) and `layer.get_initial_state(batch_size)` on RNN, SimpleRNN, LSTM, GRU,
ConvLSTM1D/2D/3D and Bidirectional. The states live in the library model that holds the layer
(they carry from one predict, fit or evaluate batch to the next); these calls read and zero them
there (keras_model_layer_state, keras_model_reset_states)."""

import ctypes
from ctypes import byref, c_int32, c_int64

import numpy as np

from . import _lib, _native
from ._native import BUFFER_TOO_SMALL, check
from ._objects import unique_name

# The layer classes that get these attributes (Keras: RNN and its subclasses, Bidirectional).
LAYERS = frozenset({"RNN", "SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
                    "Bidirectional"})
_MAX_RANK = 8


def _handle(layer):
    """The library model holding the layer, or None while it belongs to none (Keras: not built,
    so a stateful layer has no state variables yet). The model that builds it is made here
    first (Layer._build_where_held), as Keras builds a layer with its model or first call."""
    layer._build_where_held()
    owner = layer.__dict__.get("_owner")
    return None if owner is None else owner._handle


def _located(layer):
    """(the library model holding `layer`, the layer's path in it): its name, or for a layer
    inside another (Bidirectional's `forward_layer`) the names from the model's layer down,
    as Keras's `layer.path` ("bidirectional/forward_lstm")."""
    names, top = [layer.name], layer
    while top.__dict__.get("_parent") is not None:
        top = top._parent
        names.append(top.name)
    return _handle(top), "/".join(reversed(names)).encode()


def states(self):
    """Keras's `layer.states`: the states the next call starts from, as numpy arrays (a list;
    Bidirectional: a tuple, the forward layer's then the backward layer's), or None when the
    layer is not stateful or not built yet."""
    handle, name = _located(self)
    if handle is None:
        return None
    count = c_int32(0)
    check(_lib.keras_model_layer_state_count(handle, name, byref(count)))
    if count.value == 0:
        return None
    values = []
    for i in range(count.value):
        shape, ndim = (c_int64 * _MAX_RANK)(), c_int32(0)
        rc = _lib.keras_model_layer_state(handle, name, i, None, 0, shape, _MAX_RANK, byref(ndim))
        if rc != BUFFER_TOO_SMALL:   # the shape comes back with it, to size the buffer
            check(rc)
        out = np.empty(tuple(shape[:ndim.value]), np.float32)
        check(_lib.keras_model_layer_state(handle, name, i, out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                           out.size, shape, _MAX_RANK, byref(ndim)))
        values.append(out)
    return tuple(values) if self.class_name == "Bidirectional" else values


def reset_state(self):
    """Keras's `layer.reset_state()`: zeroes a stateful layer's states; nothing for a layer that
    is not stateful or not built (Bidirectional that is not stateful: AttributeError, as Keras)."""
    if self.class_name == "Bidirectional" and not self.stateful:
        raise AttributeError("Layer must be stateful.")
    handle, name = _located(self)
    if handle is not None:
        check(_lib.keras_model_reset_states(handle, name))


def reset_states(self):
    """Keras's compatibility alias of `reset_state()`."""
    self.reset_state()


def get_initial_state(self, batch_size):
    """Keras's `layer.get_initial_state(batch_size)`: the zero states a call starts from, a list
    of numpy arrays (the cell's for RNN; ConvLSTM: (batch, *spatial, filters) twice, which needs
    the built layer's shapes)."""
    if self.class_name.startswith("ConvLSTM"):
        _handle(self)   # a Sequential with an Input is built at once, as in Keras
        built = self._built_input_shape()
        if built is None:   # Keras: the cell has no spatial_dims before it is built
            raise AttributeError(f"{self.class_name} '{self.name}'.get_initial_state: the layer must be "
                                 f"built first (its state shape follows from its input's)")
        shape = self.compute_output_shape(built)
        if isinstance(shape, list):   # with return_state: the output's, then the states'
            shape = shape[0]
        state = (batch_size,) + tuple(shape[2:] if self.return_sequences else shape[1:])
        return [np.zeros(state, np.float32), np.zeros(state, np.float32)]
    cell = self.cell
    cells = list(cell) if isinstance(cell, (list, tuple)) else [cell]
    initial = []
    for c in cells:
        fn = getattr(c, "get_initial_state", None)
        if fn is None:
            raise NotImplementedError(f"{self.class_name} '{self.name}'.get_initial_state: the cell "
                                      f"{type(c).__name__} has no get_initial_state")
        value = fn(batch_size=batch_size)
        initial.extend(value if isinstance(value, (list, tuple)) else [value])
    return initial


def state_size(self):
    """Keras's `RNN.state_size`: its cell's `state_size` as a list (ConvLSTM's cell declares -1,
    its states' shapes being computed from the input's)."""
    if self.class_name.startswith("ConvLSTM"):
        return [-1]
    cell = self.cell
    if isinstance(cell, (list, tuple)):   # RNN([cells]): Keras stacks them (StackedRNNCells)
        return [c.state_size for c in cell]
    size = cell.state_size
    return [size] if isinstance(size, int) else list(size)


def state_count(layer):
    """How many state tensors the recurrent `layer` carries (RNN: each of its cells' states)."""
    from .layers import _RNN_STATE_COUNT
    known = _RNN_STATE_COUNT.get(layer.class_name)
    if known is not None:
        return known
    sizes = state_size(layer)
    if isinstance(layer.cell, (list, tuple)):   # RNN([cells]): each cell's states in turn
        return sum(len(size) if isinstance(size, (list, tuple)) else 1 for size in sizes)
    return len(sizes)


def output_count(layer):
    """How many tensors a call of the built-in `layer` returns: 1, or for a recurrent layer with
    `return_state` the output then each state (Keras's `output, *states`; Bidirectional: the
    forward layer's states, then the backward layer's). A Bidirectional with merge_mode=None
    returns its forward and backward outputs, each a tensor."""
    if layer.class_name not in LAYERS:
        return 1
    if layer.class_name == "Bidirectional":
        outputs = 2 if layer.merge_mode is None else 1
        return outputs + (2 * (output_count(layer.forward_layer) - 1) if layer.return_state else 0)
    return 1 + state_count(layer) if layer.return_state else 1


def call(layer, inputs, kwargs):
    """A built-in recurrent layer called with `initial_state`, or on arrays returning several
    tensors (`return_state`). On symbolic tensors: one node of the graph whose `initial_state`
    keyword holds the states (as Keras saves the call), an output per returned tensor. On
    arrays: a private functional model `[sequences, states...] -> outputs` holding the layer
    and its weights computes it (a tuple with `return_state`, as Keras's)."""
    from .layers import KerasTensor, PositionalCall
    if isinstance(inputs, (list, tuple)):
        raise ValueError(f"{layer.class_name} '{layer.name}' takes one tensor of sequences (its "
                         f"states as initial_state=), got a {type(inputs).__name__} of "
                         f"{len(inputs)}: nested inputs (keras.io's NestedCell) are not "
                         f"supported (Keras 3's RNN cannot build its cell for them either)")
    given = kwargs.get("initial_state")
    states = [] if given is None else list(given) if isinstance(given, (list, tuple)) else [given]
    others = sorted(k for k, v in kwargs.items() if k not in ("initial_state", "training") and v is not None)
    if others:
        raise NotImplementedError(f"{layer.class_name} '{layer.name}' called with "
                                  f"{', '.join(k + '=' for k in others)} besides its sequences "
                                  f"and initial_state: not supported here")
    symbolic = [isinstance(t, KerasTensor) for t in [inputs, *states]]
    if any(symbolic):
        if not all(symbolic):
            raise ValueError(f"{layer.class_name} '{layer.name}': the sequences and initial_state "
                             f"must all be symbolic tensors (keras.Input, layer outputs) or all arrays")
        call = PositionalCall([inputs, *states])
        call.arguments = ([inputs], {"initial_state": states})
        return layer(call)
    arrays = [_native.as_float32(inputs, f"{layer.name}(inputs)")] + \
        [_native.as_float32(s, f"{layer.name}(initial_state[{i}])") for i, s in enumerate(states)]
    model = private_model(layer, [a.shape[1:] for a in arrays],
                          lambda ins: layer(ins[0], initial_state=ins[1:] or None))
    out = model(arrays if len(arrays) > 1 else arrays[0], training=bool(kwargs.get("training")))
    return tuple(out) if isinstance(out, list) else out


def private_model(layer, shapes, connect, key=None):
    """The private functional model that holds `layer` for eager calls taking inputs of these
    sample `shapes`: `connect(inputs)` calls the layer on its Inputs. Made on the first call
    (or when the shapes change, or `key` when given: what else the call depends on), keeping
    the layer's weights; the layer's functional calls elsewhere stay as they are."""
    from .layers import Input
    from .models import Model
    shapes = tuple(tuple(s) for s in shapes)
    key = shapes if key is None else key
    owner = layer.__dict__.get("_owner")
    if owner is not None and owner._handle is not None and owner.__dict__.get("_private_shapes") == key:
        return owner
    if owner is not None and owner._handle is not None:
        layer._pending_weights = layer.get_weights() or None
        layer._owner = None
    kept, layer._inbound = layer._inbound, []
    try:
        ins = [Input(shape=s) for s in shapes]
        out = connect(ins)
        model = Model(ins if len(ins) > 1 else ins[0], list(out) if isinstance(out, tuple) else out,
                      name=unique_name("layer_call"))
        model._private_shapes = key
        model._ensure_handle()
    finally:
        layer._inbound = kept
    return model


def attributes(class_name):
    """The attributes a recurrent layer class gets besides the catalogue's."""
    attrs = {"states": property(states), "reset_state": reset_state, "reset_states": reset_states}
    if class_name != "Bidirectional":   # Keras's Bidirectional has no get_initial_state, state_size
        attrs["get_initial_state"] = get_initial_state
        attrs["state_size"] = property(state_size)
    return attrs
