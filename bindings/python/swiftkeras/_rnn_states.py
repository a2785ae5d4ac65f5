"""Keras's stateful recurrent layers from Python: `layer.states`, `layer.reset_state()` (and its
alias `reset_states()`) and `layer.get_initial_state(batch_size)` on RNN, SimpleRNN, LSTM, GRU,
ConvLSTM1D/2D/3D and Bidirectional. The states live in the library model that holds the layer
(they carry from one predict, fit or evaluate batch to the next); these calls read and zero them
there (keras_model_layer_state, keras_model_reset_states)."""

import ctypes
from ctypes import byref, c_int32, c_int64

import numpy as np

from . import _lib
from ._native import BUFFER_TOO_SMALL, check

# The layer classes that get these attributes (Keras: RNN and its subclasses, Bidirectional).
LAYERS = frozenset({"RNN", "SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
                    "Bidirectional"})
_MAX_RANK = 8


def _handle(layer):
    """The library model holding the layer, or None while it belongs to none (Keras: not built,
    so a stateful layer has no state variables yet). A Sequential with an Input is built here
    first, as Keras builds it when it is made."""
    if layer.__dict__.get("_owner") is None:
        layer._build_with_sequential()
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


def attributes(class_name):
    """The attributes a recurrent layer class gets besides the catalogue's."""
    attrs = {"states": property(states), "reset_state": reset_state, "reset_states": reset_states}
    if class_name != "Bidirectional":   # Keras's Bidirectional has no get_initial_state, state_size
        attrs["get_initial_state"] = get_initial_state
        attrs["state_size"] = property(state_size)
    return attrs
