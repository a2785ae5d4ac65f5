"""`keras.layers.Lambda` with any Python callable, as a layer written in Python.

A function that `swiftkeras.ops` can trace (ops and operators on its input) becomes the
library's own op graph at build time: native steps and exact gradients. Any other function
runs on numpy arrays; its gradient, for training through the layer, is the
vector-Jacobian product by central differences in float64, one feature at a time over the
whole batch (the function must treat samples independently, as Keras's Lambda layers do):
exact for linear functions, to about 1e-7 for smooth ones. Models holding a Lambda save only
when its function is a named function (`def`), which loading finds by name, registered with
`keras.saving.register_keras_serializable` or passed in `custom_objects`; a Python `lambda`
is refused at saving, with Keras's reason.
"""

from __future__ import annotations

import numpy as np

from .layers import Layer

LAMBDA_MESSAGE = ("The model cannot be saved: {what} is a Python lambda. Keras would write its "
                  "bytecode and refuse to load it (\"Requested the deserialization of a Python "
                  "lambda. This carries a potential risk of arbitrary code execution and thus it "
                  "is disallowed by default.\"); swiftkeras refuses when saving. Use a named "
                  "function (def) registered with keras.saving.register_keras_serializable.")


def is_lambda(fn) -> bool:
    return getattr(fn, "__name__", None) == "<lambda>"


class Lambda(Layer):
    """Wraps a Python function as a layer. Keras: `keras.layers.Lambda(function,
    output_shape=None, mask=None, arguments=None)`."""

    class_name = "Lambda"
    # A function written with swiftkeras.ops (or operators) is traced into the library's op
    # graph, with exact gradients; only one that needs values falls back to `backward`.
    _trace_first = True
    _registered_name = "swiftkeras>Lambda"

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        base = {k: kwargs.pop(k) for k in ("trainable", "name", "dtype") if k in kwargs}
        super().__init__(**base, **kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, got {function!r}")
        if mask is not None:
            raise NotImplementedError("Lambda(mask=...): masks are not supported by swiftkeras")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape_arg = None if output_shape is None else tuple(output_shape)

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape_arg is not None:
            return (input_shape[0],) + self._output_shape_arg
        probe = np.zeros((1,) + tuple(1 if d is None else d for d in input_shape[1:]), np.float32)
        out = np.asarray(self.call(probe))
        return (input_shape[0],) + out.shape[1:]

    def backward(self, inputs, weights, grad_output):
        x = np.asarray(inputs, np.float64)
        rows = x.shape[0]
        flat = x.reshape(rows, -1)
        dy = np.asarray(grad_output, np.float64).reshape(rows, -1)
        grad = np.empty_like(flat)
        for j in range(flat.shape[1]):
            step = 1e-4 * (1.0 + np.abs(flat[:, j]))
            plus, minus = flat.copy(), flat.copy()
            plus[:, j] += step
            minus[:, j] -= step
            up = np.asarray(self.call(plus.reshape(x.shape)), np.float64).reshape(rows, -1)
            down = np.asarray(self.call(minus.reshape(x.shape)), np.float64).reshape(rows, -1)
            grad[:, j] = ((up - down) * dy).sum(axis=1) / (2 * step)
        return grad.reshape(x.shape).astype(np.float32)

    def get_config(self):
        from ._plugins import name_of_function
        config = super().get_config()
        config.update({"function": name_of_function(self.function),
                       "output_shape": None if self._output_shape_arg is None
                       else list(self._output_shape_arg),
                       "arguments": self.arguments})
        return config

    @classmethod
    def from_config(cls, config):
        from ._objects import custom_objects_in_scope
        config = dict(config)
        name = config.pop("function")
        function = custom_objects_in_scope().get(name) if isinstance(name, str) else None
        if function is None:
            raise ValueError(f"Lambda '{config.get('name')}': the function '{name}' is unknown. "
                             f"Register it with keras.saving.register_keras_serializable or pass "
                             f"it in custom_objects.")
        return cls(function, **config)
