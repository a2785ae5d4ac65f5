"""Keras's recurrent cells called on one step: `out, states = cell(inputs, states)`, on numpy
arrays (the library computes the step in a private functional model holding the cell) or on
symbolic tensors inside a functional model. Keras: `SimpleRNNCell`, `LSTMCell`, `GRUCell`."""

import numpy as np

from . import _native
from ._objects import unique_name

# Each cell class and how many state tensors its call takes and returns.
STATE_COUNTS = {"SimpleRNNCell": 1, "GRUCell": 1, "LSTMCell": 2}


class StatesCall(tuple):
    """The tensors of a functional `cell(inputs, states)` call, inputs first: the node's
    arguments are `[inputs, [states...]]`, as Keras writes them."""


def _states_list(cell, states):
    """(the states as a list, whether they came as a list or tuple)."""
    count = STATE_COUNTS[cell.class_name]
    nested = isinstance(states, (list, tuple))
    flat = list(states) if nested else [states]
    if states is None or len(flat) != count or (count > 1 and not nested):
        raise ValueError(f"{cell.class_name} '{cell.name}': call it as cell(inputs, states) with states "
                         f"a list of {count} tensor(s) of shape (batch, {cell._args.get('units')}), "
                         f"got states={_describe(states)}")
    return flat, nested


def _describe(states):
    if isinstance(states, (list, tuple)):
        return "[" + ", ".join(_describe(s) for s in states) + "]"
    shape = getattr(states, "shape", None)
    return f"<{type(states).__name__} shape={tuple(shape)}>" if shape is not None else repr(states)


def call(self, inputs, states=None, training=False, **kwargs):
    """`cell(inputs, states)`: `(output, new_states)`, the new states a list when `states` is one
    (GRUCell and SimpleRNNCell also take and return a bare state tensor, as Keras)."""
    from .layers import KerasTensor
    if kwargs:
        raise TypeError(f"{self.class_name}.call() got unexpected keyword arguments {sorted(kwargs)}")
    flat, nested = _states_list(self, states)
    symbolic = [isinstance(t, KerasTensor) for t in [inputs, *flat]]
    if any(symbolic):
        if not all(symbolic):
            raise ValueError(f"{self.class_name} '{self.name}': inputs and states must all be symbolic "
                             f"tensors (keras.Input, layer outputs) or all arrays")
        node = len(self._inbound)
        self._inbound.append(StatesCall([inputs, *flat]))
        batch = inputs._shape[0] if inputs._shape else None
        width = (batch, self._args.get("units"))
        outs = [KerasTensor(width, self, node, i) for i in range(1 + len(flat))]
        return outs[0], (outs[1:] if nested else outs[1])
    x = _native.as_float32(inputs, f"{self.name}(inputs)")
    arrays = [_native.as_float32(s, f"{self.name}(states[{i}])") for i, s in enumerate(flat)]
    if x.ndim != 2 or any(s.ndim != 2 or s.shape[0] != x.shape[0] for s in arrays):
        raise ValueError(f"{self.class_name} '{self.name}': inputs must be (batch, features) and each state "
                         f"(batch, {self._args.get('units')}); got inputs {x.shape} and states "
                         f"{[s.shape for s in arrays]}")
    results = _step_model(self, x, arrays).predict([x, *arrays], verbose=0)
    return results[0], (list(results[1:]) if nested else results[1])


def _step_model(cell, x, states):
    """The private functional model `[inputs, states...] -> [output, new states...]` that holds
    `cell` for eager calls."""
    from ._rnn_states import private_model

    def connect(ins):
        out, new = call(cell, ins[0], ins[1:])
        return (out, *new)
    return private_model(cell, (x.shape[1:], *(s.shape[1:] for s in states)), connect)


def state_size(self):
    """Keras's `cell.state_size`: `[units, units]` for LSTMCell, `units` for the others."""
    units = self._args.get("units")
    return [units, units] if STATE_COUNTS[self.class_name] == 2 else units


def output_size(self):
    """Keras's `cell.output_size`: `units`."""
    return self._args.get("units")


def get_initial_state(self, batch_size=None):
    """Keras's `cell.get_initial_state(batch_size)`: a list of zero states."""
    units = self._args.get("units")
    return [np.zeros((batch_size, units), np.float32) for _ in range(STATE_COUNTS[self.class_name])]


def attributes():
    """The attributes a cell class gets besides the catalogue's."""
    return {"__call__": call, "state_size": property(state_size), "output_size": property(output_size),
            "get_initial_state": get_initial_state}


def stacked_state_size(self):
    """Keras's `StackedRNNCells.state_size`: each cell's `state_size`, in order."""
    return [c.state_size for c in self.cells]


def stacked_output_size(self):
    """Keras's `StackedRNNCells.output_size`: the last cell's output size (its `output_size`,
    else its first state's size)."""
    last = self.cells[-1]
    if getattr(last, "output_size", None) is not None:
        return last.output_size
    size = last.state_size
    return size[0] if isinstance(size, (list, tuple)) else size


def stacked_attributes():
    """The attributes StackedRNNCells gets besides the catalogue's."""
    return {"state_size": property(stacked_state_size), "output_size": property(stacked_output_size)}
