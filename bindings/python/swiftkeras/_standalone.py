"""Keras objects used on their own, as keras.io shows them: `GlorotUniform(seed=1)((2, 3))`,
`MaxNorm(1.0)(w)`, `ExponentialDecay(0.1, 10, 0.9)(5)`, and `optimizer.apply(grads, variables)`
over `keras.Variable`s that belong to no model. Each computes in the library (keras.h, "Keras
objects used on their own"), so the numbers are those training uses."""

from __future__ import annotations

import ctypes
import random as _python_random

import numpy as np

from . import _lib
from ._native import as_float32, check, dumps, pack, take_layout_and_values


def _shape(shape, what):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        dims = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: `shape` must be a tuple of integers, got {shape!r}") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"{what}: negative dimension in shape={dims}")
    return dims


def _dtype(dtype):
    from ._dtypes import standardize_dtype
    return np.dtype(standardize_dtype(dtype or "float32"))


# ---- initializers ------------------------------------------------------------------------

def _draw_seed(initializer):
    """The seed this call draws with: the int given (every call the same values, as Keras), a
    SeedGenerator's next state (each call its own), or for an unseeded initializer the seed it
    took from Python's `random` when made (Keras's `make_default_seed`: the same values at each
    call of one instance, `keras.utils.set_random_seed` fixes it)."""
    from .random import SeedGenerator
    seed = initializer._config.get("seed")
    if isinstance(seed, SeedGenerator):
        state = seed.next()
        return (int(state[0]) * 1000003 + int(state[1])) % (2 ** 31)
    if seed is None:
        seed = initializer.__dict__.get("_default_seed")
        if seed is None:
            seed = initializer.__dict__["_default_seed"] = _python_random.randint(1, int(1e9))
    return int(seed)


def initializer_call(initializer, shape, dtype=None):
    """Keras's `initializer(shape, dtype=None)`: a new array drawn by the library."""
    name = type(initializer).__name__
    dims = _shape(shape, name)
    if initializer.class_name == "Identity" and len(dims) != 2:
        raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. "
                         f"Received: shape={tuple(shape)} of rank {len(dims)}.")
    if initializer.class_name == "Orthogonal" and len(dims) < 2:
        raise ValueError(f"The tensor to initialize must be at least two-dimensional. "
                         f"Received: shape={tuple(shape)} of rank {len(dims)}.")
    config = {k: v for k, v in initializer._config.items() if k != "seed"}
    from ._default_seeds import made_without_drawing
    with made_without_drawing():
        plain = type(initializer)(**config)._given_arguments()   # (Constant's array value in its form)
    if "seed" in initializer._positional:
        plain["seed"] = _draw_seed(initializer)
    plain.pop("name", None)
    out = np.empty(dims, np.float32)
    shape_c = (ctypes.c_int64 * max(len(dims), 1))(*dims)
    check(_lib.keras_initializer_draw(dumps({"class_name": initializer.class_name, "config": plain}),
                                      len(dims), shape_c,
                                      out.ctypes.data_as(_lib.float_p), out.size))
    return out.astype(_dtype(dtype), copy=False)


# ---- constraints -------------------------------------------------------------------------

def constraint_call(constraint, w):
    """Keras's `constraint(w)`: the projected weight (a new array; `w` is unchanged)."""
    value = np.asarray(w.numpy() if hasattr(w, "numpy") else w)
    out = np.array(value, np.float32, order="C", copy=True)
    dims = out.shape
    shape_c = (ctypes.c_int64 * max(len(dims), 1))(*dims)
    from ._objects import serialize
    check(_lib.keras_constraint_apply(dumps(serialize(constraint)), len(dims), shape_c,
                                      out.ctypes.data_as(_lib.float_p)))
    return out


# ---- schedules ---------------------------------------------------------------------------

def schedule_call(schedule, step):
    """Keras's `schedule(step)`: the float32 rate at `step` (an int, an array, a Variable such
    as `optimizer.iterations`)."""
    from ._objects import serialize
    value = np.asarray(step.numpy() if hasattr(step, "numpy") else step, np.float64)
    if value.size != 1:
        raise ValueError(f"{type(schedule).__name__}: `step` must be a scalar, got shape {value.shape}")
    rate = ctypes.c_double()
    check(_lib.keras_schedule_value(dumps(serialize(schedule)), float(value.reshape(())),
                                    ctypes.byref(rate)))
    return np.float32(rate.value)


# ---- optimizers over variables of no model -----------------------------------------------

class OptimizerHandle:
    """The library's optimizer behind a Python optimizer applied to `keras.Variable`s of no
    model: it keeps each variable's slots (momentums, ...) and the step count."""

    def __init__(self, optimizer):
        from ._objects import serialize
        handle = ctypes.c_void_p()
        check(_lib.keras_optimizer_new(dumps(serialize(optimizer)), ctypes.byref(handle)))
        self.pointer = handle
        self._int_placeholders = getattr(optimizer, "class_name", None) == "Adafactor"
        self._free = _lib.keras_optimizer_free

    def __del__(self):
        pointer = getattr(self, "pointer", None)
        if pointer is not None and pointer.value:
            self._free(pointer)
            self.pointer = None

    def apply(self, grads, variables):
        """One step: `variables` (each a Python-held keras.Variable) take their new values."""
        values = [np.ascontiguousarray(v.numpy(), np.float32) for v in variables]
        values = [a.reshape(1) if a.ndim == 0 else a for a in values]
        if grads is not None:
            grads = [as_float32(g, "gradient").reshape(a.shape) if np.size(g) == a.size
                     else as_float32(g, "gradient") for g, a in zip(grads, values)]
        keys = (ctypes.c_int64 * max(len(variables), 1))(*[_key(v) for v in variables])
        value_pack = pack(values)
        grad_pack = pack(grads) if grads is not None else None
        updated = (_lib.float_p * max(len(values), 1))(*[a.ctypes.data_as(_lib.float_p) for a in values])
        check(_lib.keras_optimizer_apply(self.pointer, keys, dumps([v.path for v in variables]),
                                         value_pack.pointer,
                                         None if grad_pack is None else grad_pack.pointer,
                                         len(variables), updated if grads is not None else None))
        if grads is not None:
            for v, a in zip(variables, values):
                v.assign(a.reshape(v.shape))

    def state(self):
        iterations, rate = ctypes.c_int64(), ctypes.c_double()
        check(_lib.keras_optimizer_state(self.pointer, ctypes.byref(iterations), ctypes.byref(rate)))
        return iterations.value, rate.value

    def set_learning_rate(self, value):
        check(_lib.keras_optimizer_set_learning_rate(self.pointer, float(value)))

    def set_iterations(self, value):
        check(_lib.keras_optimizer_set_iterations(self.pointer, int(value)))

    def exclude(self, variables, names):
        keys = (ctypes.c_int64 * max(len(variables), 1))(*[_key(v) for v in variables])
        check(_lib.keras_optimizer_exclude_from_weight_decay(self.pointer, keys, len(variables),
                                                             dumps(list(names))))

    def set_variables(self, values, layout=None):
        """Every optimizer variable from `values` (arrays in `variables()`'s order), checked
        against `layout` (``layout()``'s, when the caller keeps it) or the optimizer's own."""
        layout = self.layout() if layout is None else layout
        check(_lib.keras_optimizer_set_variables(self.pointer, values_json(layout, values)))

    def layout(self):
        """(path, shape, dtype) of each optimizer variable as the library holds it, in
        `variables()`'s order."""
        return [(entry["path"], tuple(entry["shape"]), entry["dtype"]) for entry in self._listed()[0]]

    def variables(self):
        """Keras's `optimizer.variables`: (path, value) pairs in Keras's order."""
        layout, values = self._listed()
        return [(entry["path"], entry_value(entry, self._int_placeholders, values)) for entry in layout]

    def _listed(self):
        """The library's layout of the variables and their float32 values in one buffer
        (keras_optimizer_variables), of the size the last call needed."""
        layout, values = take_layout_and_values(_lib.keras_optimizer_variables, self.pointer, np.float32,
                                                self.__dict__.get("_values_size", 0))
        self._values_size = values.size
        return layout, values


def values_json(layout, values):
    """keras_optimizer_set_variables's (and keras_model_set_optimizer_variables's) JSON of
    `values` (arrays in `layout`'s order of (path, shape, dtype)), checked against it."""
    if len(values) != len(layout):
        raise ValueError(f"The optimizer has {len(layout)} variables, {len(values)} weights "
                         f"were given")
    out = []
    for (path, shape, dtype), value in zip(layout, values):
        value = np.asarray(value)
        if tuple(value.shape) != tuple(shape):
            raise ValueError(f"Optimizer variable {path} has shape {tuple(shape)} not compatible "
                             f"with provided weight shape {value.shape}.")
        out.append({"shape": list(shape), "dtype": dtype,
                    "value": int(value) if dtype == "int32" else
                    value.astype(np.float64).ravel().tolist()})
    return dumps(out)


def entry_value(entry, int_placeholders, values=None):
    """The value of an optimizer variable as keras.h lists it (keras_optimizer_variables,
    keras_model_optimizer_variables): an array of its shape and dtype, from the entry's "value"
    (the int32 step count) or, where it gives an "offset", from `values` (the call's buffer);
    `int_placeholders`: Adafactor's placeholders of a variable of rank < 2 (a path with no
    optimizer prefix, a scalar) are Keras's `Variable(0)`, int32."""
    dtype = entry["dtype"]
    if int_placeholders and "/" not in entry["path"] and not entry["shape"]:
        dtype = "int32"
    if "offset" in entry:
        start = entry["offset"]
        value = values[start:start + int(np.prod(entry["shape"], dtype=np.int64))]
    else:
        value = entry["value"]
    return np.asarray(value, dtype).reshape(entry["shape"])


_keys = iter(range(1, 2 ** 62))


def _key(variable):
    """The variable's key for the library: one per variable, never reused."""
    key = variable.__dict__.get("_optimizer_key")
    if key is None:
        key = variable.__dict__["_optimizer_key"] = next(_keys)
    return key
