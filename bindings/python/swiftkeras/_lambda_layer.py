"""`keras.layers.Lambda` with any Python callable, as a layer written in Python.

A function that `swiftkeras.ops` can trace (ops and operators on its input) becomes the
library's own op graph at build time: native steps and exact gradients. Any other function
runs on numpy arrays; its gradient, for training through the layer, is the
vector-Jacobian product by central differences in float64, one feature at a time over the
whole batch (the function must treat samples independently, as Keras's Lambda layers do):
exact for linear functions, to about 1e-7 for smooth ones. Models holding a Lambda save only
when its function is a named function (`def`), which loading finds by name, registered with
`keras.saving.register_keras_serializable` or passed in `custom_objects`; a Python `lambda`
is refused at saving, with Keras's reason. Its entry is Keras's (class Lambda of keras.layers,
the function as Keras serializes one), so files cross both ways; the class is registered with
the library as "Lambda", reading Keras's entries too (``register``).
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
    # Registered as Keras's class name: the library writes Keras's entry (module keras.layers,
    # no registered name) and reads Keras's Lambda entries with this class.
    _registered_name = "Lambda"

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        base = {k: kwargs.pop(k) for k in ("trainable", "name", "dtype") if k in kwargs}
        super().__init__(**base, **kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape_arg = None if output_shape is None else tuple(output_shape)
        # Keras's: the output's mask is `mask`'s (a callable's result or the constant), and
        # none without it: the input's mask stops here (supports_masking False).
        self.mask = mask
        self.supports_masking = mask is not None
        # Keras's: the input's mask and the training flag go to a function that names them
        # (_python_layers._call_signature reads the instance's flag: Lambda's own call takes
        # `training` only where its function does).
        names = _argument_names(function)
        self._fn_expects_mask_arg = "mask" in names
        self._fn_expects_training_arg = "training" in names

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        """Keras's: `mask(inputs, mask)` for a callable `mask`, else `mask` itself (None
        without one)."""
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

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
        from .saving import serialize_keras_object
        config = super().get_config()
        # Keras's: the function's entry ('package>name' when registered), output_shape only
        # when given.
        config["function"] = serialize_keras_object(self.function)
        if self._output_shape_arg is not None:
            config["output_shape"] = list(self._output_shape_arg)
        if self.mask is not None:   # (Keras's entry: a function's, or the constant's)
            config["mask"] = serialize_keras_object(self.mask)
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config):
        from ._objects import custom_objects_in_scope
        from .saving import deserialize_keras_object
        config = dict(config)
        entry = config.pop("function")
        label = f"Lambda '{config.get('name')}'"
        if isinstance(entry, dict) and entry.get("class_name") == "__lambda__":
            raise ValueError(f"{label}: its function is a Python lambda, saved as bytecode. Keras "
                             f"refuses it in safe mode (\"Requested the deserialization of a "
                             f"`Lambda` layer whose `function` is a Python lambda\"); swiftkeras "
                             f"does not load bytecode. Rewrite it as a named function (def) "
                             f"registered with keras.saving.register_keras_serializable.")
        name = entry.get("config") if isinstance(entry, dict) else entry
        try:   # (a name alone: files written here before Keras's entry)
            function = custom_objects_in_scope().get(entry) if isinstance(entry, str) else \
                deserialize_keras_object(entry)
        except ValueError:
            function = None
        if not callable(function):
            raise ValueError(f"{label}: the function '{name}' is unknown. Register it with "
                             f"keras.saving.register_keras_serializable or pass it in "
                             f"custom_objects.")
        return cls(function, **config)


def _argument_names(function):
    """The names of `function`'s positional-or-keyword parameters, which Keras's Lambda looks for
    `mask` and `training` in (`inspect.getfullargspec(function).args`)."""
    import inspect
    try:
        return inspect.getfullargspec(function).args
    except TypeError:
        return []


def register():
    """Makes the library read every Lambda entry (Keras's, and this binding's older ones,
    'swiftkeras>Lambda') with this class, before it reads a config."""
    from ._python_layers import register_layer_class
    register_layer_class(Lambda)
    register_layer_class(Lambda, "swiftkeras>Lambda")
