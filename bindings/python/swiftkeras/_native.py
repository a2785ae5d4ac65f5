"""Glue between the raw declarations in _lib and the Pythonic layer: status codes to
exceptions, library-owned strings, numpy arrays to keras_array without copies, and the
trampoline that carries an exception raised in Python code out of a C callback."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import threading
from ctypes import POINTER, byref, c_char_p, c_float, c_int64

import numpy as np

from . import _lib


class KerasError(Exception):
    """An error reported by the SwiftKeras library (the message is the library's)."""


# Status codes of include/keras.h (enum keras_status).
OK, INVALID_ARGUMENT, SHAPE, STATE, IO_ERROR, CALLBACK_FAILED, UNKNOWN_NAME, DATA, \
    BUFFER_TOO_SMALL, INTERNAL, INTERRUPTED, MEMORY = range(12)
_EXCEPTIONS = {INVALID_ARGUMENT: ValueError, SHAPE: ValueError, UNKNOWN_NAME: ValueError,
               INTERRUPTED: KeyboardInterrupt, MEMORY: MemoryError,
               DATA: ValueError, IO_ERROR: OSError}
# The kinds of an INVALID_ARGUMENT (enum keras_error_kind) that Keras raises as other exceptions:
# a value of the wrong type, an integer out of its range (a negative seed), a value Keras names as
# not implemented (an augmentation's interpolation="BILINEAR"), a value without the method Keras
# calls on it (Conv2D(padding=None)'s padding.lower()).
_KINDS = {1: TypeError, 2: OverflowError, 3: NotImplementedError, 4: AttributeError}


_pending = threading.local()


def stash_exception(exc: BaseException) -> None:
    """Keeps an exception raised inside a callback so that `check` re-raises it."""
    stack = getattr(_pending, "stack", None)
    if stack is None:
        stack = _pending.stack = []
    stack.append(exc)


def take_stashed() -> BaseException | None:
    stack = getattr(_pending, "stack", None)
    if not stack:
        return None
    exc = stack[0]
    stack.clear()
    return exc


def last_error() -> str:
    msg = _lib.keras_last_error()
    return in_python_terms(msg.decode("utf-8", "replace")) if msg else "unknown error"


# The library's advice to C callers names the C calls (Sources/KerasC/Advice.swift); from
# Python the user registers in Python.
_PYTHON_ADVICE = (r"decorate it with @keras.saving.register_keras_serializable() (it is then saved as "
                  r"'Custom>\1') or pass it in custom_objects={'\1': ...} or a "
                  r"keras.saving.custom_object_scope({'\1': ...})")
_C_ADVICE = [
    (re.compile(r"register it with keras_register_\w+\(\"([^\"]*)\", \.\.\.\) globally, or between "
                r"keras_scope_push\(\) and keras_scope_pop\(\)"), _PYTHON_ADVICE),
    (re.compile(r"'([^']*)' cannot be registered from C: only layers, losses, metrics, activations "
                r"and callbacks can \(keras_register_\*\)"), _PYTHON_ADVICE),
    (re.compile(r"register custom ones with keras_register_activation\(\"([^\"]*)\", \.\.\.\) globally, "
                r"or between keras_scope_push\(\) and keras_scope_pop\(\)"),
     r"register custom ones with @keras.saving.register_keras_serializable() or pass them in "
     r"custom_objects={'\1': ...} or a keras.saving.custom_object_scope"),
]


def in_python_terms(message: str) -> str:
    """The library's message with its C registration advice said the Python way."""
    for pattern, advice in _C_ADVICE:
        message = pattern.sub(advice, message)
    return message


def check(status: int) -> None:
    """Raises the Python exception for a non-zero status, with the library's message."""
    stashed = take_stashed()
    if status == OK and stashed is None:
        return
    if stashed is not None:
        raise stashed
    raise exception_class(status)(last_error())


def exception_class(status: int) -> type:
    """The Python exception of a non-zero status (an INVALID_ARGUMENT's or an UNKNOWN_NAME's by
    its kind, which the library sets with the message: read before any other call; a function
    a config names that could not be located is Keras's TypeError)."""
    if status in (INVALID_ARGUMENT, UNKNOWN_NAME):
        kind = _KINDS.get(_lib.keras_last_error_kind())
        if kind is not None:
            return kind
    return _EXCEPTIONS.get(status, KerasError)


@contextlib.contextmanager
def deferred_initial_values():
    """The models the library builds inside leave their initial weights undrawn until read
    (keras_model_defer_initial_values): for a build whose weights a load replaces next. On
    leaving, every weight still never assigned is drawn as it would have been."""
    check(_lib.keras_model_defer_initial_values(1))
    try:
        yield
    finally:
        check(_lib.keras_model_defer_initial_values(0))


def take_string(fn, *args) -> str:
    """Calls an entry point whose last argument is `char **out`, returns and frees the text."""
    out = c_char_p()
    check(fn(*args, byref(out)))
    raw = ctypes.cast(out, ctypes.c_void_p)
    try:
        return out.value.decode("utf-8") if out.value is not None else ""
    finally:
        if raw.value:
            _lib.keras_string_free(raw)


def take_json(fn, *args):
    return json.loads(take_string(fn, *args))


def take_layout_and_values(fn, handle, dtype, size_hint=0):
    """Calls an entry point of keras_model_history's form `(handle, char **layout_json, values,
    capacity, int64_t *count)`: its layout (parsed JSON) and its values (a numpy array of
    `dtype`), numbers that would cost more written and parsed as text. A buffer of `size_hint`
    values is tried first, then one of the count the library writes back."""
    values = np.empty(max(int(size_hint), 0), dtype)
    layout, count = c_char_p(), c_int64()
    status = fn(handle, byref(layout), values.ctypes.data, values.size, byref(count))
    if status == BUFFER_TOO_SMALL:
        values = np.empty(count.value, dtype)
        status = fn(handle, byref(layout), values.ctypes.data, values.size, byref(count))
    raw = ctypes.cast(layout, ctypes.c_void_p)
    try:
        check(status)
        return json.loads(layout.value), values[:count.value]
    finally:
        if raw.value:
            _lib.keras_string_free(raw)


def path_bytes(filepath) -> bytes:
    """A file path for C: `str`, `bytes` or `os.PathLike`, refusing an embedded NUL byte with
    the ValueError Python's `open` raises (C would cut the path short there)."""
    raw = os.fsencode(filepath if isinstance(filepath, (str, bytes, os.PathLike)) else str(filepath))
    if b"\0" in raw:
        raise ValueError("embedded null byte")
    return raw


def dumps(obj) -> bytes:
    return _ENCODER.encode(obj).encode("utf-8")


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"{o!r} (of type {type(o).__name__}) cannot be written into a Keras config")


def numpy_scalar_marked(given, value):
    """`value` (an argument's config form), or Keras's form for a numpy value where `given` is
    a numpy integer or float (`{"class_name": "__numpy__", "config": {"value": 3, "dtype":
    "int64"}}`): for the library's checks of a constructor's arguments, which take it as its
    number except where Keras's tests for a Python int refuse it (a single `strides`, a
    `seed`). Other values, numpy booleans included, go as they are."""
    if isinstance(given, (np.integer, np.floating)):
        return {"class_name": "__numpy__", "config": {"value": given.item(), "dtype": given.dtype.name}}
    return value


# json.dumps(obj, allow_nan=False, default=_json_default), its encoder made once (json.dumps
# makes one per call when given options; every fit sends two or three configs). Stateless.
_ENCODER = json.JSONEncoder(allow_nan=False, default=_json_default)


# ---- arrays ------------------------------------------------------------------------------

def as_float32(x, what: str) -> np.ndarray:
    """float32, C-contiguous, at least 1-D; the same object when it already is (zero copy).

    Converts what Keras converts (ints, bools, float64, nested lists); rejects the rest with
    a TypeError naming the argument.
    """
    if isinstance(x, np.ndarray):
        if x.dtype == np.float32 and x.flags.c_contiguous:
            return x
        if x.dtype.kind in "biuf":   # numbers (not complex) or bools: the checks below pass them
            return np.ascontiguousarray(x, dtype=np.float32)
    try:
        arr = np.asarray(x)
    except Exception as e:  # ragged lists and the like
        raise ValueError(f"{what}: could not make an array of it: {e}") from None
    if arr.dtype.kind in "US" or (arr.dtype == object and arr.size
                                  and all(isinstance(v, (str, bytes)) for v in arr.reshape(-1))):
        return encode_strings(arr)
    if arr.dtype == object:
        raise ValueError(f"{what}: could not make a numeric array of it (ragged or mixed "
                         f"values, dtype=object)")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{what}: expected numbers, got an array of dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{what}: complex values cannot be converted to float32")
    return np.ascontiguousarray(arr, dtype=np.float32)


class StringArray(np.ndarray):
    """float32 values made from strings by encode_strings (a view; tells models apart from
    numeric data so that a model without string inputs rejects them)."""


def encode_strings(arr: np.ndarray) -> np.ndarray:
    """A string array (str, bytes as UTF-8) as the float32 values the library reads as strings
    (Keras: a tf.string tensor; see keras_strings_encode)."""
    raw = [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in arr.reshape(-1)]
    out = np.empty(arr.shape, dtype=np.float32)
    if raw:
        ptrs = (c_char_p * len(raw))(*raw)
        check(_lib.keras_strings_encode(ptrs, len(raw), out.ctypes.data_as(POINTER(c_float))))
    return out.view(StringArray)


def decode_strings(values) -> np.ndarray:
    """The strings of float32 values made by encode_strings (None at numbers), as an object array
    of values' shape (e.g. the output of StringLookup(invert=True))."""
    arr = np.ascontiguousarray(values, dtype=np.float32)
    text = take_string(_lib.keras_strings_decode, arr.ctypes.data_as(POINTER(c_float)), arr.size)
    return np.array(json.loads(text), dtype=object).reshape(arr.shape)




def address(array: np.ndarray) -> int:
    """The address of a C-contiguous array's data. (Through the buffer protocol, a third of the
    time `__array_interface__` takes, which a read-only or empty array still needs.)"""
    try:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    except (TypeError, ValueError, BufferError):
        return array.__array_interface__["data"][0]


class ArrayPack:
    """float32 arrays and their keras_array descriptors, kept alive for one call (the library
    reads the arrays in place)."""

    def __init__(self, arrays: list[np.ndarray]):
        self.arrays = arrays
        self.count = n = len(arrays)
        # Each descriptor keeps its shape array alive (ctypes keeps what a pointer field was
        # given, and the struct array keeps its elements' references).
        # (None: an entry with no data, where the library takes one as absent: a mask)
        self.structs = (_lib.keras_array * (n or 1))(*[
            _lib.keras_array(None, 0, None) if a is None else
            _lib.keras_array(address(a), a.ndim,
                             (c_int64 * (a.ndim or 1))(*a.shape))
            for a in arrays])

    @property
    def pointer(self):
        return self.structs if self.count else None

    def holding(self, arrays: list[np.ndarray]) -> "ArrayPack":
        """A pack of `arrays`: this one, its descriptors pointed at them, when it holds as many
        (a shape array made again only where a shape changed), else a new one. For a loop that
        hands the library one batch after another: making the descriptors is most of a pack's
        cost, and a batch has the shapes of the one before. (This pack is not to be used again
        when another is returned.)"""
        if len(arrays) != self.count or not self.count:
            return pack(arrays)
        for struct, new, old in zip(self.structs, arrays, self.arrays):
            if new is None or old is None:   # (an absent entry: a pack of its own)
                return pack(arrays)
            struct.data = address(new)
            if new.shape != old.shape:
                struct.ndim = new.ndim
                struct.shape = (c_int64 * (new.ndim or 1))(*new.shape)   # (kept by the structs)
        self.arrays = arrays
        return self


def pack(arrays) -> ArrayPack:
    arrays = list(arrays)
    return ArrayPack(arrays) if arrays else _NO_ARRAYS


_NO_ARRAYS = ArrayPack([])   # what a fit without sample weights or validation data passes


def int64_array(values):
    values = list(values)
    return (c_int64 * max(len(values), 1))(*values)
