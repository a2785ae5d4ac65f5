"""Layers written in Python that take several inputs (`Sampling()([z_mean, z_log_var])`, as in
Keras's VAE tutorial). In a model such a layer is one node of the library's graph with all its
inputs, saved as Keras saves it (its `inbound_nodes` args hold the list of tensors). A call
traced with `ops` reads each input as its own node (keras_layer_builder_input_at); the numpy
`call`/`backward` path gets them from the library packed into one array (each flattened to
(batch, size) and concatenated, include/keras.h), and `build`, `call`, `backward` and
`compute_output_shape` see them unpacked again, as the list Keras gives them. The shapes come
from the library when it builds the layer (keras_layer_builder_input_count); a traced call's
inputs may have dimensions past the batch unknown (None here), the numpy path's may not (the
library refuses them when it builds the layer, naming it).

A layer called eagerly on several numpy arrays runs in a private one-layer model that takes
them packed here; such a layer's library config carries the shapes (`swiftkeras_packed_inputs`,
as files saved before the library took several inputs do).
"""

from __future__ import annotations

import ctypes
import math

import numpy as np

CONFIG_KEY = "swiftkeras_packed_inputs"


def shapes(layer):
    """The input shapes (batch None) a layer unpacks, or None for a layer of one input."""
    return layer.__dict__.get("_packed_inputs")


def _sizes(packed):
    return [math.prod(s[1:]) for s in packed]


def _remember(layer, given):
    known = shapes(layer)
    if known is not None and known != given:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' was called on inputs of shapes "
                         f"{known}, now {given}: a layer written in Python keeps one set of input "
                         f"shapes")
    layer._packed_inputs = given


def pack_values(layer, arrays):
    """An eager call's packed array (and the layer's shapes remembered, for its private model)."""
    values = [np.asarray(a, np.float32) for a in arrays]
    _remember(layer, [(None,) + v.shape[1:] for v in values])
    layer._packed_in_python = True
    return np.concatenate([v.reshape(len(v), -1) for v in values], axis=1)


def built_with(layer, builder):
    """Called in the library's build: the layer's input shapes when the library gives it
    several inputs (None for one), remembered for the numpy path's unpacking."""
    from . import _lib, _native
    if not _lib.has("keras_layer_builder_input_count"):
        return shapes(layer) if layer.__dict__.get("_packed_in_python") else None
    count = ctypes.c_int32()
    _native.check(_lib.keras_layer_builder_input_count(builder, ctypes.byref(count)))
    _read_call_arguments(layer, builder)
    if count.value < 2:
        if not layer.__dict__.get("_packed_in_python"):
            layer._packed_inputs = None
        return None
    found = []
    for i in range(count.value):
        node, ndim = ctypes.c_int64(), ctypes.c_int32()
        dims = (ctypes.c_int64 * 8)()
        _native.check(_lib.keras_layer_builder_input_at(builder, i, ctypes.byref(node)))
        _native.check(_lib.keras_layer_builder_shape(builder, node.value, ctypes.byref(ndim), dims))
        found.append((None,) + tuple(None if dims[k] < 0 else int(dims[k]) for k in range(1, ndim.value)))
    layer._packed_inputs = found
    layer._packed_in_python = False
    return found


def _read_call_arguments(layer, builder):
    """The layer's call arguments from the library (keras_layer_builder_call_arguments), when
    its functional call passes the tensors as several arguments; else None."""
    from . import _lib, _native
    arguments = None
    if _lib.has("keras_layer_builder_call_arguments"):
        arguments = _native.take_json(_lib.keras_layer_builder_call_arguments, builder)
    layer._call_arguments = arguments


def _is_tensor_entry(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _substitute(template, values, top=True):
    """`template` (a node's args or kwargs) with its tensor entries replaced in order by
    `values` (an iterator): the kwargs in their order, a dict given as an argument by its
    sorted keys (Keras's flattening of a call's arguments), the dict keeping its own order."""
    if _is_tensor_entry(template):
        return next(values)
    if isinstance(template, list):
        return [_substitute(v, values, False) for v in template]
    if isinstance(template, dict):
        given = {k: _substitute(template[k], values, False) for k in (template if top else sorted(template))}
        return {k: given[k] for k in template}
    return template


def bind(layer, inputs):
    """(args, kwargs) of the layer's call from its inputs in order (a list, or one input): as
    Keras passes them when the call had several arguments, else ([inputs], {})."""
    arguments = layer.__dict__.get("_call_arguments")
    if not arguments:
        return [inputs], {}
    values = iter(inputs if isinstance(inputs, (list, tuple)) else [inputs])
    return _substitute(arguments["args"], values), _substitute(arguments.get("kwargs") or {}, values)


def call(layer, inputs, **extra):
    """layer.call with the inputs as Keras passes them (`extra`: training)."""
    args, kwargs = bind(layer, inputs)
    # The mode the library runs (`training`) replaces the call's recorded one, as Keras's
    # Functional passes its own training flag to each layer whose call takes one (keras.io's
    # NER model: TransformerBlock.call(inputs, training=False) called inside the model's call).
    kwargs = {k: v for k, v in kwargs.items() if k not in extra}
    return layer.call(*args, **kwargs, **extra)


def shape_call(layer, fn, shape):
    """`fn` (build, compute_output_shape) given the input shapes as Keras gives them: for a call
    of several arguments, one parameter takes the first argument's shape, several take the
    shapes of the call arguments they name (`targets_shape`); else the (unpacked) shape. A
    `build(self)` of no arguments (keras.io's GRN/VSN layers) is called with none, as Keras does."""
    import inspect
    names = [n for n, p in inspect.signature(fn).parameters.items()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY, p.KEYWORD_ONLY)]
    if not names:
        return fn()
    arguments = layer.__dict__.get("_call_arguments")
    if not arguments:
        return fn(unpack_shape(layer, shape))
    packed = shapes(layer)
    given = [(shape[0],) + tuple(s[1:]) for s in packed] if packed is not None else [shape]
    args, kwargs = bind(layer, given)
    try:
        bound = inspect.signature(layer.call).bind_partial(*args, **kwargs).arguments
    except TypeError:
        bound = dict(kwargs)
    shapes_dict = {f"{k}_shape": v for k, v in bound.items()
                   if k not in ("mask", "args", "kwargs") and _holds_shape(v)}
    if len(names) == 1:
        return fn(next(iter(shapes_dict.values()), None))
    missing = [n for n in names if n not in shapes_dict]
    if missing:
        raise ValueError(f"{type(layer).__name__}.{fn.__name__}: its arguments {missing} name no "
                         f"tensor argument of call (expected {sorted(shapes_dict)})")
    return fn(**{n: shapes_dict[n] for n in names})


def _holds_shape(value):
    if isinstance(value, tuple):
        return True
    return isinstance(value, (list, dict)) and any(
        _holds_shape(v) for v in (value.values() if isinstance(value, dict) else value))


def unpack(layer, x):
    """The list of inputs a layer's call sees, from its packed input (symbolic or numpy)."""
    packed = shapes(layer)
    if packed is None:
        return x
    from . import ops
    parts, start = [], 0
    for s, n in zip(packed, _sizes(packed)):
        part = x[:, start:start + n]
        parts.append(part if len(s) == 2 else ops.reshape(part, (-1,) + tuple(s[1:])))
        start += n
    return parts


def unpack_shape(layer, shape):
    """The input shape(s) `build` and `compute_output_shape` see."""
    packed = shapes(layer)
    if packed is None:
        return shape
    return [(shape[0],) + tuple(s[1:]) for s in packed]


def pack_gradient(layer, dx):
    """A backward's list of input gradients as one packed array."""
    if shapes(layer) is None or not isinstance(dx, (list, tuple)):
        return dx
    return np.concatenate([np.asarray(g, np.float32).reshape(len(g), -1) for g in dx], axis=1)


def with_config(layer, config):
    """The layer's config, with its packed shapes when Python packs its inputs (an eager call's
    private model, a model loaded from a file that packed them)."""
    packed = shapes(layer)
    if packed is None or not layer.__dict__.get("_packed_in_python"):
        return config
    return {**config, CONFIG_KEY: [list(s) for s in packed]}


def from_config(config):
    """(the config without the packed shapes, the shapes or None)."""
    if CONFIG_KEY not in config:
        return config, None
    config = dict(config)
    return config, [tuple(s) for s in config.pop(CONFIG_KEY)]
