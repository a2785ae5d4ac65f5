"""The weights of a layer held by a traced layer, read and assigned in its traced call (keras.io's
PixelCNN: `self.conv.kernel.assign(self.conv.kernel * self.mask)` then `self.conv(inputs)`, the
Conv2D built in the layer's `build`).

A read is a node of the graph reading the held layer's weight at each run (its gradient reaches
the weight). An assignment changes what the rest of the call reads, as Keras's traced call does:
the held layer, called after it, computes with the assigned value. Keras with JAX runs `fit` and
`predict` statelessly and keeps no assignment to a trainable variable, so none is written to the
weight: training moves it by the gradient through the assigned value (PixelCNN's masked kernel
keeps its masked-out entries as they were, as in Keras).
"""

from __future__ import annotations

import ctypes
import json

import numpy as np

from .. import _lib, _native
from ._trace import SymbolicTensor, Unsupported, _attribute_of, _called_entry, active


class HeldWeight(SymbolicTensor):
    """`self.conv.kernel` in a traced call: the held layer's weight (or the value assigned to
    it so far in this call) as a symbolic tensor that can be assigned."""

    def __init__(self, trace, node, shape, layer, name):
        super().__init__(trace, node, shape)
        self._layer, self._name = layer, name

    @property
    def name(self):
        return self._name

    def assign(self, value):
        trace = self._trace
        shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
        if shape != tuple(self.shape):
            raise ValueError(f"The shape of the target variable and the shape of the target value "
                             f"in `variable.assign(value)` must match. variable.shape={self.shape}, "
                             f"Received: value.shape={shape}. Target variable: {self._name}")
        if not _trainable(self._layer, self._name):
            raise Unsupported(f"{type(trace.layer).__name__}.call assigns to the non-trainable "
                              f"weight '{self._name}' of layer '{self._layer.name}': a traced call "
                              f"assigns to a held layer's trainable weights only")
        assigned = HeldWeight(trace, trace.node_of(value), self.shape, self._layer, self._name)
        trace.held[(id(self._layer), self._name)] = assigned
        trace.assigned_layers.add(id(self._layer))
        return assigned

    def assign_add(self, value):
        return self.assign(self + value)

    def assign_sub(self, value):
        return self.assign(self - value)


def _trainable(layer, name):
    return any(v.name == name and v.trainable for v in layer.weights)


def held_weight(layer, item):
    """`layer.<item>` read inside the traced call of the layer holding `layer` (a built-in layer
    in one of its attributes, built by its `build`): the weight as a HeldWeight; None where this
    is no such read."""
    trace = active()
    if trace is None or trace.layer is layer or not layer.__dict__.get("built"):
        return None
    try:
        names = [v.name for v in layer.weights]
    except Exception:  # noqa: BLE001 — no weights to read: the attribute is looked up as before
        return None
    if item not in names:
        return None
    held = trace.held.get((id(layer), item))
    if held is not None:
        return held
    outer = type(trace.layer).__name__
    try:
        attribute, order, index = _attribute_of(trace.layer, layer)
    except Unsupported:
        return None   # not the traced layer's: read as any weight
    shape = layer._built_input_shape()
    if shape is None:
        raise Unsupported(f"{outer}.call reads '{item}' of layer '{layer.name}', which was not built "
                          f"for an input shape: build it in {outer}.build "
                          f"(self.{attribute}.build(input_shape)) or call it first")
    entry, _ = _called_entry(outer, layer.name, layer, [])
    dims = [-1 if d is None else int(d) for d in shape]
    node = ctypes.c_int64()
    trace._check(_lib.keras_layer_builder_layer_weight(
        trace.builder, attribute.encode(), order, index,
        json.dumps(entry, default=_native._json_default).encode(), len(dims),
        _native.int64_array(dims), item.encode(), ctypes.byref(node)))
    layer._parent = trace.layer   # its weights are read from the layer holding it
    t = trace._tensor(node.value)
    held = trace.held[(id(layer), item)] = HeldWeight(trace, t._node, t.shape, layer, item)
    return held


def call_with_assigned(trace, layer, inputs, args, kwargs):
    """`layer(inputs)` in the traced call after the call assigned to its weights: Keras's
    `Conv.call` (convolution, bias, activation) on the assigned values, through ops."""
    from ..layers import _CONV
    name = getattr(layer, "name", type(layer).__name__)
    outer = type(trace.layer).__name__
    extra = sorted(k for k, v in kwargs.items() if v is not None and k != "training")
    if getattr(layer, "class_name", None) not in _CONV or args or extra or \
            isinstance(inputs, (list, tuple)):
        raise Unsupported(f"{outer}.call assigns to the weights of layer '{name}' and then calls "
                          f"it{' with ' + str(extra) if extra else ''}: a layer called on weights "
                          f"its caller assigned is a convolution called on one tensor")
    trace.called_layers.append(name)
    return layer._conv_call(inputs)
