"""`swiftkeras.ops` on the symbolic tensors of the functional API (a subclassed Model's `call`
traced into a graph of layers, or `Model(inputs, outputs)`): `x + self.dense(x)`,
`ops.mean(h, axis=1)`, `ops.concatenate([a, b])`.

One of the ops Keras writes as a node of a functional config (`x + 3.0`, `x * (1.0 / 6.0)`,
`ops.not_equal(x, 0)`: _KERAS_OPERATIONS) applied to one layer output and numbers is such a node
(an `OpLayer` written as Keras's operation, which the library runs natively and saves). Other
ops on one layer output (and on other ops' results on that same output) become one layer
written with ops (`OpLayer`, traced into the library's op graph when the model is built: native
steps, no weights; shared intermediate results are computed once). Ops combining two different
layer outputs become the library's merge layers (Add, Subtract, Multiply, Maximum, Minimum,
Concatenate); other combinations become one op layer over the outputs joined (each flattened,
concatenated: `joined_roots`). A subclassed model's own weights are such outputs while its call
is traced (_model_vars).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import _model_vars
from ..layers import KerasTensor, Layer
from .._objects import unique_name
from . import _int_dtypes
from ._trace import Unsupported

_OP_CLASSES = {"getitem": "GetItem"}   # Keras's Operation class names where not CamelCase
_MERGES = {"add": "Add", "subtract": "Subtract", "multiply": "Multiply", "maximum": "Maximum",
           "minimum": "Minimum"}


class OpLayer(Layer):
    """One op (or composition of ops) applied to one layer output inside a model's graph."""

    class_name = "OpLayer"
    _registered_name = "swiftkeras>OpLayer"
    _trace_required = True   # no numpy fallback: a refused op is an error at build
    _op_node = True          # not listed in model.layers (Keras lists layers, not ops)
    _unsaveable = True       # its function has no saved form: model.save refuses

    def __init__(self, function, **kwargs):
        super().__init__(**kwargs)
        self.function = function

    def call(self, inputs):
        return self.function(inputs)

    def _layer_entry(self):
        operation = self.__dict__.get("_keras_operation")
        if operation is None:
            return super()._layer_entry()
        return {"module": operation["module"], "class_name": operation["class_name"],
                "config": {"name": self.name, **operation["config"]},
                "registered_name": operation["class_name"]}


# The keras.ops Keras writes as nodes of a functional config (the tensor operators between a
# layer output and a number, `x + 3.0`; what its layers' `compute_mask` do on symbolic tensors,
# and a user's mask ops): the op's class, and which of its arguments its constructor takes (its
# config) rather than its call. Written so, one such op applied to one layer output and numbers
# is a node of Keras's form, which the library runs natively (OperationLayer) and saves.
_KERAS_OPERATIONS = {name: ("keras.src.ops.numpy", ctor) for name, ctor in {
    "add": (), "subtract": (), "multiply": (), "divide": (), "true_divide": (),
    "not_equal": (), "equal": (), "greater": (), "greater_equal": (), "less": (), "less_equal": (),
    "logical_and": (), "logical_or": (), "logical_not": (), "zeros_like": ("dtype",),
    "ones_like": ("dtype",), "any": ("axis", "keepdims"), "all": ("axis", "keepdims"),
    "expand_dims": ("axis",), "reshape": ("newshape",), "transpose": ("axes",),
    "mean": ("axis", "keepdims"), "sum": ("axis", "keepdims")}.items()}
# (keras.activations.swish(x) on a layer output is Keras's Silu node: keras.io's MobileViT)
_KERAS_OPERATIONS.update({name: ("keras.src.ops.nn", ctor) for name, ctor in {
    "relu": (), "sigmoid": (), "silu": (), "gelu": ("approximate",)}.items()})


_SHAPE_KEEPING = {"add", "subtract", "multiply", "divide", "true_divide", "not_equal", "equal",
                  "greater", "greater_equal", "less", "less_equal", "logical_not", "zeros_like",
                  "ones_like"}   # elementwise: on one tensor and numbers, the tensor's shape


def _keras_operation(fn, args, kwargs):
    """Keras's node form of `fn(*args, **kwargs)` when it is one of _KERAS_OPERATIONS applied
    to one layer output itself (not another op's result, nor a model's own weights; as one or
    several of its arguments) and numbers; else None. Its `args` are the call's, the tensor in its place (either order, as
    Keras writes `x - 1` and `1 - x`)."""
    import inspect
    known = _KERAS_OPERATIONS.get(fn.__name__)
    if known is None:
        return None
    module, ctor = known
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError:
        return None
    bound.apply_defaults()
    values = [(k, v.item() if isinstance(v, np.generic) else v) for k, v in bound.arguments.items()]
    call = [v for k, v in values if k not in ctor]
    tensors = [v for v in call if isinstance(v, KerasTensor)]
    # (one tensor, or one tensor several times: `x + x` is Keras's Add of x and x)
    if not tensors or any(t is not tensors[0] for t in tensors) or \
            getattr(tensors[0], "_op_source", None) is not None or \
            getattr(tensors[0], "_holds_model_weights", False):
        return None
    if any(not isinstance(v, (KerasTensor, bool, int, float)) and v is not None and
           not _constant_array(v) for v in call):
        return None
    if fn.__name__ in _REDUCTIONS and not _keeps_batch(bound.arguments.get("axis"), tensors[0]):
        return None   # (a reduction over the batch: the op layer's form, as before)
    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in values if k in ctor}
    return {"module": module, "class_name": "".join(w.capitalize() for w in fn.__name__.split("_")),
            "config": config, "args": call}


_REDUCTIONS = {"mean", "sum"}   # Keras nodes only where they keep the batch axis


def _keeps_batch(axis, tensor):
    """Whether a reduction over `axis` of `tensor` keeps its batch axis (a Keras node of the
    graph: keras.io's TokenLearner's `ops.mean(x, axis=2)`); not over all axes (None) or axis 0."""
    if axis is None or tensor.shape is None:
        return False
    axes = axis if isinstance(axis, (list, tuple)) else [axis]
    return all(isinstance(a, int) and a % len(tensor.shape) != 0 for a in axes)


def _constant_array(value):
    """Whether `value` is an array Keras writes among an operation node's arguments, as its
    `__tensor__` entry (`x + embedding(ops.arange(n))`: the array computed when the graph is
    made; keras.io's TabTransformer adds its column embeddings so)."""
    return isinstance(value, np.ndarray) and value.dtype.kind in "biuf"


def operation_node(name, *args, **config):
    """Keras's operation node `name(*args, **config)` (module `keras.src.ops.numpy`, `config` its
    constructor's arguments) over layer outputs and the results of such nodes, as a merge
    layer's `compute_mask` makes them: `logical_or(a_mask, b_mask)`, `concatenate([...], axis)`.
    Over one of them it is `ops.<name>`; over several, one node taking them all (the library's
    OperationLayer), which `ops.<name>` would instead make a merge or joined op layer of."""
    from .. import ops
    tensors = _tensors(args)
    if len({id(_root(t)) for t in tensors}) <= 1:
        return getattr(ops, name)(*args, **config)
    if any(getattr(t, "_op_source", None) is not None for t in tensors):
        raise Unsupported(f"ops.{name} over several results of ops on layer outputs")
    layer = operation_layer(unique_name(name), "keras.src.ops.numpy",
                            "".join(w.capitalize() for w in name.split("_")), config, list(args))
    layer._inbound.append(tensors)   # (a node of several tensors, as Layer.__call__ makes one)
    out = KerasTensor(None, layer, 0, 0, dtype=_int_dtypes.symbolic(getattr(ops, name), args, config))
    layer.__dict__.setdefault("_outbound", []).append(out)
    return out


def operation_layer(name, module, class_name, config, args):
    """The op layer of Keras's operation node `class_name` (of `module`: `keras.src.ops.numpy`)
    with constructor arguments `config`, called on `args` (tensors and constants, as Keras
    writes them); the library runs it natively (OperationLayer) and saves it. Made by a merge
    layer's mask ops here, and for each operation node of a loaded config (_loaded_graph)."""
    layer = OpLayer(None, name=name)
    layer._op_class = class_name
    layer._keras_operation = {"module": module, "class_name": class_name, "config": config,
                              "args": args}
    layer._unsaveable = False
    return layer


def operation_arguments(layer, tensors, refs):
    """The arguments of an operation node's call (`_keras_operation`: its constants among its
    tensors, `x + 3.0`, `not_equal(x, 0)`, `concatenate([a, b])`) with each of `tensors` (its
    inputs) as the matching entry of `refs`, as Keras writes them; None for other layers."""
    operation = layer.__dict__.get("_keras_operation")
    if operation is None:
        return None
    by_id = {id(t): r for t, r in zip(tensors, refs)}

    def one(a):
        if isinstance(a, KerasTensor):
            return by_id[id(a)] if id(a) in by_id else a._config()
        if _constant_array(a):
            return {"class_name": "__tensor__", "config": {"value": a.tolist(), "dtype": str(a.dtype)}}
        return [one(v) for v in a] if isinstance(a, (list, tuple)) else a
    return [one(a) for a in operation["args"]]


def _tensors(args):
    """The distinct KerasTensors among the arguments (top level, or inside a list/tuple), and
    those whose sizes a shape among them reads (`ops.ones([batch_size, 1, 1])`, batch_size read
    with ops.shape from a layer output: ``_Dim``)."""
    found = []

    def note(t):
        if isinstance(t, KerasTensor) and all(t is not f for f in found):
            found.append(t)
    for a in args:
        for t in (a if isinstance(a, (list, tuple)) else [a]):
            for d in _read_sizes_in(t):
                note(d.source)
            note(t)
    return found


def _read_sizes_in(value):
    """The sizes read with ops.shape from layer outputs in `value` (and in their arithmetic, or
    as a slice's bounds: `x[:, :n // 2]`)."""
    from . import _Dim
    if isinstance(value, slice):
        return [d for b in (value.start, value.stop, value.step) for d in _read_sizes_in(b)]
    if not isinstance(value, _Dim):
        return []
    found = [value] if isinstance(value.source, KerasTensor) else []
    for _, k in value.steps:
        found += _read_sizes_in(k)
    return found


def _traced_size(d, s, value_of):
    """A size read from a layer output (or a slice bound such a size), read instead from that
    output's value in the trace."""
    from . import _Dim
    if isinstance(d, slice):
        return slice(*(_traced_size(b, s, value_of) for b in (d.start, d.stop, d.step)))
    if not isinstance(d, _Dim):
        return d
    source = value_of(d.source, s) if isinstance(d.source, KerasTensor) else d.source
    return _Dim(source, d.axis, tuple((step, _traced_size(k, s, value_of)) for step, k in d.steps))


def _root(t):
    """The layer output an op-graph layer's output derives from, or `t` itself."""
    source = getattr(t, "_op_source", None)
    return source[0] if source else t


def _value_of(t, s):
    """`t` computed from the symbolic root `s` of the trace, once per trace of a layer."""
    source = getattr(t, "_op_source", None)
    if source is None:
        return s
    memo = s.__dict__.setdefault("_op_memo", {})
    if id(t) not in memo:
        memo[id(t)] = source[1](s)
    return memo[id(t)]


def _substitute(args, s, value_of=_value_of):
    """`args` with each KerasTensor (at the top level or in a list) as `value_of(t, s)`."""
    def one(a):
        if isinstance(a, KerasTensor):
            return value_of(a, s)
        if isinstance(a, (list, tuple)):
            return type(a)(value_of(t, s) if isinstance(t, KerasTensor) else
                           _traced_size(t, s, value_of) for t in a)
        return _traced_size(a, s, value_of)
    return [one(a) for a in args]


def _merge_layer(class_name, **kwargs):
    """A merge layer standing for an op: like an OpLayer, not listed in model.layers."""
    from .. import layers
    layer = getattr(layers, class_name)(**kwargs)
    layer._op_node = True
    return layer


def _merge(name, args, kwargs, tensors):
    from .. import ops
    first = args[0] if args else None
    if name in _MERGES and len(args) == 2 and all(isinstance(a, KerasTensor) for a in args):
        return _merge_layer(_MERGES[name])(list(args))
    if name == "divide" and len(args) == 2 and all(isinstance(a, KerasTensor) for a in args):
        return _merge_layer("Multiply")([args[0], ops.reciprocal(args[1])])
    if name in ("concatenate", "stack") and isinstance(first, (list, tuple)) and \
            all(isinstance(t, KerasTensor) for t in first):
        axis = kwargs.get("axis", args[1] if len(args) > 1 else 0)
        if name == "stack" and not any(getattr(t, "_op_source", None) is not None for t in first):
            # Keras's one Stack node over the layer outputs (keras.io's TabTransformer stacks
            # its columns' embeddings): its summary row and config entry.
            return operation_node("stack", list(first), axis=axis)
        parts = list(first) if name == "concatenate" else [ops.expand_dims(t, axis) for t in first]
        return _merge_layer("Concatenate", axis=axis)(parts)
    return None


def joined_roots(tensors):
    """The layer outputs that `tensors` derive from, joined into one KerasTensor (each flattened
    to (batch, size), concatenated on the last axis), and `value_of(t, s)`: any of `tensors`
    (or of the tensors derived from the same roots) computed from the joined tensor's symbolic
    value `s` in a trace. Several layer outputs then feed one op layer, as one input."""
    from .. import ops
    roots = []   # layer outputs; an earlier join counts as the outputs it joined

    def note(r):
        computed = _computed_from(r)
        if computed is not None:   # (an operation node that moves the batch: its input instead)
            note(computed[0])
        elif all(r is not known for known in roots):
            roots.append(r)
    for t in tensors:
        for r in getattr(_root(t), "_joined_from", None) or [_root(t)]:
            note(r)
    shapes = []
    for r in roots:
        shape = r.shape
        if shape is None or any(d is None for d in shape[1:]):
            raise Unsupported(f"ops on several layer outputs in a model's call: the shape of "
                              f"{r!r} is not known past the batch, so it cannot be joined with the "
                              f"others; compute this inside a layer written with ops")
        shapes.append(tuple(shape))

    def flat(r, shape):
        if len(shape) == 2:
            return r
        width = math.prod(shape[1:])
        layer = OpLayer(lambda s: ops.reshape(s, (-1, width)), name=unique_name("reshape"))
        layer._op_node = True
        return layer(r)
    if len(roots) > 1:
        joined = _merge_layer("Concatenate", axis=-1)([flat(r, shape) for r, shape in zip(roots, shapes)])
        joined._joined_from = roots
        joined._holds_model_weights = any(getattr(r, "_holds_model_weights", False) for r in roots)
    else:
        joined = flat(roots[0], shapes[0])

    def pieces(s):
        memo = s.__dict__.setdefault("_op_memo", {})
        key = ("pieces", id(joined))
        if key not in memo:
            found, at = {}, 0
            for r, shape in zip(roots, shapes):
                width = math.prod(shape[1:])
                piece = s[:, at:at + width]
                found[id(r)] = ops.reshape(piece, (-1,) + shape[1:]) if len(shape) != 2 else piece
                at += width
            memo[key] = found
        return memo[key]

    def root_value(root, s):
        found = pieces(s)
        if id(root) in found:
            return found[id(root)]
        memo = s.__dict__["_op_memo"]
        key = ("rejoined", id(root))
        if key not in memo:
            computed = _computed_from(root)
            if computed is not None:   # an operation node looked through: its op on its input
                memo[key] = computed[1](root_value(computed[0], s))
            else:
                # An earlier join of some of these outputs: its value, from their pieces (in the
                # op layer's graph, not one more Concatenate layer in the model).
                widths = {id(r): math.prod(shape[1:]) for r, shape in zip(roots, shapes)}
                memo[key] = ops.concatenate([ops.reshape(found[id(r)], (-1, widths[id(r)]))
                                             for r in root._joined_from], axis=-1)
        return memo[key]

    def value_of(t, s):
        return _value_of(t, root_value(_root(t), s))
    return joined, value_of


def _computed_from(r):
    """(its input, its op) for an operation node `r` (Keras's node form of one op on one layer
    output: `ops.transpose(q)`) whose result cannot be joined with others, its first axis not the
    batch or its other sizes unknown (Keras's `(3, None)`); None otherwise. A join takes its
    input and computes the op inside."""
    computed = r.__dict__.get("_node_source")
    if computed is None:
        return None
    shape = r.shape
    return computed if shape is None or shape[0] is not None or None in shape[1:] else None


def dispatching(fn):
    """Wraps a public op so that layer outputs (KerasTensors) become layers of the graph."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if args and _model_vars.tracing() is not None:   # a subclassed model's own weights
            args = _model_vars.as_tensors(args)
        tensors = _tensors(args) if args else []
        if not tensors:
            return _traced_dtypes(fn(*args, **kwargs), fn, args, kwargs)
        roots = []
        for t in tensors:
            if all(_root(t) is not r for r in roots):
                roots.append(_root(t))
        if len(roots) > 1:
            # A model's own weight (no batch axis) is never a merge layer's input.
            weights = any(getattr(r, "_holds_model_weights", False) for r in roots)
            merged = None if weights else _merge(fn.__name__, args, kwargs, tensors)
            if merged is not None:
                return merged
            # Other ops on several layer outputs: one op-graph layer over all of them, joined.
            root, value_of = joined_roots(tensors)

            def compose(s):
                return fn(*_substitute(args, s, value_of), **kwargs)
        else:
            # Ops on one layer output (directly or through other ops on it) are one op-graph layer.
            root = roots[0]

            def compose(s):
                return fn(*_substitute(args, s), **kwargs)
        count = _result_count(fn.__name__, args, kwargs)
        if count is not None:
            # A tuple or list result: one op-graph layer per element, the op computed once per
            # trace (memoized on the trace's root tensor).
            def element(i):
                def part(s):
                    memo = s.__dict__.setdefault("_op_memo", {})
                    if id(compose) not in memo:
                        memo[id(compose)] = compose(s)
                    return memo[id(compose)][i]
                out = _op_layer(fn.__name__, part, root)
                out.dtype = _int_dtypes.symbolic(fn, args, kwargs, i)
                return out
            parts = [element(i) for i in range(count)]
            return tuple(parts) if fn.__name__ in _PAIRS else parts
        out = _op_layer(fn.__name__, compose, root)
        out.dtype = _int_dtypes.symbolic(fn, args, kwargs)
        operation = _keras_operation(fn, args, kwargs) if len(roots) == 1 else None
        if operation is not None:   # a node of its own, as Keras's: ops on it are new nodes
            layer = out._keras_history[0]
            layer._keras_operation = operation
            layer._unsaveable = False
            out._node_source = out._op_source   # (for joins that cannot take it: _computed_from)
            out._op_source = None
            if fn.__name__ in _SHAPE_KEEPING and root._shape is not None and \
                    not any(_constant_array(v) for v in operation["args"]):
                out._shape = root._shape
        return out
    return op


def _traced_dtypes(out, fn, args, kwargs):
    """`out`, the result of `fn` on a traced layer's symbolic tensors (or on arrays), with
    Keras's dtype on each symbolic tensor it made (ops._int_dtypes.symbolic)."""
    from ._trace import SymbolicTensor
    if not any(isinstance(a, SymbolicTensor) for a in args):
        return out
    parts = out if isinstance(out, (tuple, list)) else [out]
    for i, t in enumerate(parts):
        if isinstance(t, SymbolicTensor) and all(t is not a for a in args):
            t.dtype = _int_dtypes.symbolic(fn, args, kwargs, i if parts is out else None)
    return out


# Ops whose result is a pair of tensors: complex (real, imag) results, (values, indices), moments.
_PAIRS = {"fft", "fft2", "ifft2", "rfft", "stft", "top_k", "moments"}
_SPLITS = {"split", "array_split", "hsplit", "vsplit", "dsplit"}


def _result_count(name, args, kwargs):
    """How many tensors op `name` returns for these arguments; None for a single tensor."""
    if name in _PAIRS:
        return 2
    if name in _SPLITS:
        sections = kwargs.get("indices_or_sections", args[1] if len(args) > 1 else None)
        if isinstance(sections, (int,)) and not isinstance(sections, bool):
            return sections
        return len(sections) + 1 if isinstance(sections, (list, tuple)) else None
    if name == "unstack":
        num = kwargs.get("num", args[1] if len(args) > 1 else None)
        if num is None:
            axis = kwargs.get("axis", args[2] if len(args) > 2 else 0)
            shape = args[0].shape if isinstance(args[0], KerasTensor) else None
            num = shape[axis] if shape is not None else None
            if num is None:
                raise Unsupported("ops.unstack on a layer output of unknown size along its axis: "
                                  "give num")
        return int(num)
    return None


def _op_layer(name, compose, root):
    layer = OpLayer(compose, name=unique_name(name))
    layer._op_class = _OP_CLASSES.get(name) or "".join(w.capitalize() for w in name.split("_"))
    out = layer(root)
    out._op_source = (root, compose)
    return out
