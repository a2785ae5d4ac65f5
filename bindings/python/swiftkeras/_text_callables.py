"""TextVectorization with Python callables for `standardize` and `split`, which Keras accepts.

The library cannot call Python per string, so the callables run here, on the input strings,
before these cross the C ABI; the library's layer is told only what is left to do:
- a callable `standardize` gets, as in Keras on a non-TensorFlow backend, a numpy array of str
  of the input's shape and returns one of the same shape; the library then does no
  standardization.
- a callable `split` gets the strings with the last axis of size 1 squeezed out (Keras: "the
  callable will see ["string to split", ...]") after the standardization (built-in ones run here
  then, as the library would), and returns one list of tokens per string; the tokens cross
  joined by single spaces and the library splits them on whitespace (then makes ngrams), so a
  token may not be empty nor hold whitespace.
A model holding such a layer cannot be saved whole: the file could not carry the function (Keras
also needs it registered), and the library's layer never sees it.
"""

from __future__ import annotations

import re

import numpy as np

ARGS = ("standardize", "split")
_PUNCTUATION = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\''
_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_STRIP = {ord(c): None for c in _PUNCTUATION}
_WHITESPACE = re.compile(r"[ \t\n\v\f\r]")


def library_args(args: dict) -> tuple[dict, dict]:
    """(the arguments the library's layer gets, the callables kept here) for a
    TextVectorization's arguments."""
    callables = {k: args[k] for k in ARGS if callable(args.get(k))}
    if not callables:
        return args, {}
    lib = dict(args)
    lib["standardize"] = None
    if "split" in callables:
        lib["split"] = "whitespace"
        # A built-in standardization runs before the Python split, so here.
        callables.setdefault("builtin_standardize", args.get("standardize", "lower_and_strip_punctuation"))
    return lib, callables


def _builtin_standardize(mode, s: str) -> str:
    """The library's standardization (ASCII lowercasing, ASCII punctuation removed)."""
    if mode in ("lower", "lower_and_strip_punctuation"):
        s = s.translate(_LOWER)
    if mode in ("strip_punctuation", "lower_and_strip_punctuation"):
        s = s.translate(_STRIP)
    return s


def _as_str_array(data, who) -> np.ndarray:
    arr = np.asarray(data)
    if arr.dtype.kind == "S" or arr.dtype == object:
        arr = np.vectorize(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v, otypes=[object])(arr)
    if arr.size and not all(isinstance(v, str) for v in arr.reshape(-1)):
        raise TypeError(f"{who}: a Python standardize or split takes strings, got an array of "
                        f"dtype {np.asarray(data).dtype}")
    return arr.astype(str)


def apply(layer, data):
    """The strings `data` after the layer's Python callables, ready for the library's layer."""
    callables = layer._py_callables
    who = f"TextVectorization '{layer.name}'"
    arr = _as_str_array(data, who)
    if "standardize" in callables:
        out = np.asarray(callables["standardize"](arr))
        if out.shape != arr.shape:
            raise ValueError(f"{who}: standardize must return an array of its input's shape "
                             f"{arr.shape}, got shape {out.shape}")
        arr = _as_str_array(out, who)
    elif "builtin_standardize" in callables:
        arr = np.vectorize(lambda s: _builtin_standardize(callables["builtin_standardize"], s),
                           otypes=[str])(arr) if arr.size else arr
    if "split" not in callables:
        return arr
    shape = arr.shape
    if arr.ndim == 2 and shape[-1] == 1:
        flat = arr.reshape(-1)
    elif arr.ndim == 1:
        flat = arr
    else:
        raise ValueError(f"{who}: when tokenizing strings, the input rank must be 1 or the last "
                         f"shape dimension must be 1. Received: inputs.shape={shape}")
    rows = callables["split"](flat)
    if hasattr(rows, "to_list"):       # a tf.RaggedTensor
        rows = rows.to_list()
    rows = list(rows)
    if len(rows) != len(flat):
        raise ValueError(f"{who}: split must return one list of tokens per string ({len(flat)}), "
                         f"got {len(rows)}")
    joined = []
    for row in rows:
        tokens = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in np.asarray(row, dtype=object).reshape(-1)]
        bad = [t for t in tokens if not t or _WHITESPACE.search(t)]
        if bad:
            raise ValueError(f"{who}: split returned the token {bad[0]!r}; tokens cross to the "
                             f"library joined by spaces, so they must be non-empty and hold no "
                             f"whitespace")
        joined.append(" ".join(tokens))
    return np.array(joined, dtype=str).reshape(shape)


def _feeds(model):
    """(input position, layer) for each TextVectorization with Python callables in `model`;
    such a layer must take a model input directly (its strings are changed here)."""
    # From the instance's dict: a layer without the attribute would raise and catch an
    # AttributeError in Layer.__getattr__ for every layer of every fit.
    layers = [l for l in model._layers if l.__dict__.get("_py_callables")]
    if not layers:
        return []
    functional = getattr(model, "_functional", None)
    if functional is None:   # Sequential: the first layer after the input
        first = next(l for l in model._layers if l._class_name() != "InputLayer")
        if layers != [first]:
            raise NotImplementedError(f"TextVectorization '{layers[-1].name}': a Python standardize "
                                      f"or split runs before the strings reach the library, so "
                                      f"the layer must be the model's first")
        return [(0, first)]
    ins = functional[0] if isinstance(functional[0], (list, tuple)) else [functional[0]]
    out = []
    for layer in layers:
        src = layer._inbound[0] if len(layer._inbound) == 1 else None
        index = next((i for i, t in enumerate(ins) if t is src), None)
        if index is None:
            raise NotImplementedError(f"TextVectorization '{layer.name}': a Python standardize or "
                                      f"split runs before the strings reach the library, so the "
                                      f"layer must be called once, on a model input")
        out.append((index, layer))
    return out


def model_inputs(model, x):
    """`x` (an array, a list of arrays or a dict by input name) with the strings of every input
    that feeds a TextVectorization with Python callables passed through them."""
    # A layer's private one-layer model: Layer._call_eagerly has applied them already.
    feeds = _feeds(model) if x is not None and not getattr(model, "_single_layer", False) else []
    if not feeds:
        return x
    functional = getattr(model, "_functional", None)
    ins = [] if functional is None else \
        (functional[0] if isinstance(functional[0], (list, tuple)) else [functional[0]])
    if isinstance(x, dict):
        x = dict(x)
        for index, layer in feeds:
            key = ins[index].name if ins else next(iter(x))
            if key in x:
                x[key] = apply(layer, x[key])
        return x
    if isinstance(x, (list, tuple)) and len(ins) > 1:
        x = list(x)
        for index, layer in feeds:
            if index < len(x):
                x[index] = apply(layer, x[index])
        return x
    return apply(feeds[0][1], x)


def refuse_saving(model):
    """Saving a model with such a layer is refused, naming the layer and the argument."""
    for layer in model._layers:
        for arg in ARGS:
            if arg in (getattr(layer, "_py_callables", None) or {}):
                raise ValueError(f"Cannot save model '{model.name}': TextVectorization "
                                 f"'{layer.name}' has a Python function as {arg}, which the file "
                                 f"cannot carry (Keras too needs it registered to load it). Save "
                                 f"the weights (model.save_weights) and rebuild the layer.")


def _init(self, *args, **kwargs):
    from .layers import _BuiltinLayer
    _BuiltinLayer.__init__(self, *args, **kwargs)
    self._args, self._py_callables = library_args(self._args)


def _get_config(self):
    """Keras's `get_config`: the callables as given (a file cannot carry them)."""
    from .layers import _BuiltinLayer
    config = _BuiltinLayer.get_config(self)
    # (a layer a loaded model made has no callables of the user's)
    config.update({k: v for k, v in (self.__dict__.get("_py_callables") or {}).items() if k in ARGS})
    return config


def _library_config(self):
    from .layers import _BuiltinLayer
    return _BuiltinLayer._given_config(self)


def _call_eagerly(self, x, training=False):
    from .layers import Layer
    return Layer._call_eagerly(self, apply(self, x) if self.__dict__.get("_py_callables") else x,
                               training)


def _adapt(self, data, batch_size=None, steps=None):
    """The callables run on the data, or on each batch as Keras runs them when `data` is an
    iterable of batches (a generator, a PyDataset)."""
    from .layers import _adapt, _adapt_batches
    if self._py_callables:
        batches = _adapt_batches(data, steps, f"{self.name}.adapt(data)", each=lambda b: apply(self, b))
        data = apply(self, batches) if batches is data else batches
    return _adapt(self, data, batch_size, steps)


def layer_methods() -> dict:
    """The methods of the Python class TextVectorization that handle the callables."""
    return {"__init__": _init, "get_config": _get_config, "_library_config": _library_config,
            "_call_eagerly": _call_eagerly, "adapt": _adapt}
