"""Random numbers (Keras `keras.random`). On values they are Keras's on the JAX backend, bit for
bit: the library draws them with JAX's threefry2x32 from Keras's draw seed (`draw_seed`): an int
`seed` gives `[seed, 0]` (the same numbers for the same seed), a `SeedGenerator` its state
`[seed, counter]` (advancing at each draw), None the global SeedGenerator's (as in Keras: remade
by `keras.utils.set_random_seed`, never numpy's global state), `categorical`, `gamma`,
`binomial`, `beta`, `dropout` and `shuffle` included (JAX's algorithms, in the library).

Inside a `call` traced into the library's op graph, `normal`, `uniform`, `truncated_normal`,
`randint` and `dropout` become the graph's random ops, which draw new numbers at every training
or predict step as Keras's do under `jax.jit`: a `SeedGenerator` advances at every step, an int
seed gives the same numbers at every step, and `seed=None` is refused with Keras's message (an
unseeded draw would be frozen by the trace). A shape may hold None where `ops.shape` gave it
(the batch): it is then read at every step from the layer's input, axis by axis."""

from __future__ import annotations

import ctypes
import random as _python_random

import numpy as np

from ._objects import unique_name


class SeedGenerator:
    """A seed state that advances at each draw. Keras: `keras.random.SeedGenerator(seed)`;
    without a seed it takes one from Python's `random`, as Keras's `make_default_seed` (so
    `keras.utils.set_random_seed` fixes it).

    Its `state` is Keras's variable `<name>/seed_generator_state`: uint32 `[seed, counter]`, the
    counter moving on by one at each draw. Once a traced layer draws from it, the state lives
    in the library with the layer and moves on at each step's draws (as under `jax.jit`); it is
    one of the layer's `variables` and `non_trainable_variables`, not of its weights, and files
    do not save it (Keras 3 does not either)."""

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or unique_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = _python_random.randint(1, int(1e9))
        elif not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        self._value = np.array([int(seed) & 0xFFFFFFFF, 0], np.uint32)
        self._layer = None          # the traced layer whose library state this is, once bound
        self.state = SeedGeneratorState(self)

    def next(self, ordered=True):
        """This draw's seed `[seed, counter]`; the state moves on (Keras's `next`)."""
        value = self.state.numpy()
        if ordered:
            following = value + np.array([0, 1], np.uint32)
        else:   # Keras's near-unique sequence for the global generator (uint32 arithmetic, wrapping)
            following = ((value.astype(np.uint64) + 1) * 5387 % 2 ** 32 % 933199).astype(np.uint32)
        self.state.assign(following)
        return value

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SeedGeneratorState:
    """Keras's `seed_generator_state` variable of a SeedGenerator: uint32, shape (2,), not
    trainable; read from (and assigned in) the library once a traced layer draws from it."""

    dtype = "uint32"
    shape = (2,)
    ndim = 1
    trainable = False
    name = "seed_generator_state"
    aggregation = "none"

    def __init__(self, generator):
        self._generator = generator

    @property
    def path(self):
        return f"{self._generator.name}/seed_generator_state"

    def _native(self):
        """(model handle, generator index) of the library's state, or None while unbound."""
        layer = self._generator._layer
        model = layer._variable_model() if layer is not None else None
        handle = getattr(model, "_handle", None) if model is not None else None
        if handle is None:
            return None
        from . import _lib, _native
        import ctypes
        count = ctypes.c_int32()
        _native.check(_lib.keras_model_seed_generator_count(handle, ctypes.byref(count)))
        found = []
        library_name = self._generator.__dict__.get("_library_name", self._generator.name)
        for i in range(count.value):
            name, owner, _ = _native_generator(handle, i)
            if name == library_name:
                found.append((owner != layer.name, i))   # the layer's own first (names may repeat)
        return (handle, min(found)[1]) if found else None

    def numpy(self):
        native = self._native()
        if native is None:
            return self._generator._value.copy()
        return _native_generator(*native)[2]

    @property
    def value(self):
        return self.numpy()

    def assign(self, value):
        arr = np.asarray(value)
        if arr.shape != (2,):
            raise ValueError(f"The shape of the target variable and the shape of the target value in "
                             f"`variable.assign(value)` must match. variable.shape=(2,), Received: "
                             f"value.shape={arr.shape}. Target variable: {self!r}")
        arr = (arr.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32)
        native = self._native()
        if native is None:
            self._generator._value = arr
        else:
            from . import _lib, _native
            import ctypes
            _native.check(_lib.keras_model_set_seed_generator(
                native[0], native[1], arr.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32))))
        return self

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __repr__(self):
        return f"<Variable path={self.path}, shape=(2,), dtype=uint32, value={self.numpy()}>"


def copy_layer_generators(source, target, layer_name):
    """Sets the states of the library's seed generators of layer `layer_name` in model handle
    `target` to those of the same layer in `source` (in order): a layer called alone through a
    private model draws on from where its generators stand, as Keras's layer does."""
    import ctypes
    from . import _lib, _native

    def owned(handle):
        count = ctypes.c_int32()
        _native.check(_lib.keras_model_seed_generator_count(handle, ctypes.byref(count)))
        found = []
        for i in range(count.value):
            _, owner, state = _native_generator(handle, i)
            if owner == layer_name:
                found.append((i, state))
        return found
    for (_, state), (i, _) in zip(owned(source), owned(target)):
        _native.check(_lib.keras_model_set_seed_generator(
            target, i, state.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32))))


def _native_generator(handle, index):
    """(name, layer name, state) of the library's seed generator `index`."""
    import ctypes
    from . import _lib, _native
    name, layer = ctypes.c_char_p(), ctypes.c_char_p()
    state = (ctypes.c_uint32 * 2)()
    _native.check(_lib.keras_model_seed_generator(handle, index, ctypes.byref(name),
                                                  ctypes.byref(layer), state))
    texts = []
    for p in (name, layer):
        raw = ctypes.cast(p, ctypes.c_void_p)
        texts.append(p.value.decode("utf-8") if p.value else "")
        if raw.value:
            _lib.keras_string_free(raw)
    return texts[0], texts[1], np.array(state, np.uint32)


# Keras's built-in layers that make their SeedGenerator in their constructor, where it takes
# its automatic name (seed_generator, seed_generator_1, ...: the process's count of generators
# made so far, Python's and the layers'), with the argument that must be positive for it to
# exist (None: always made); the random augmentations (but RandAugment, AugMix and
# RandomColorJitter, which make layers of their own) make one too.
_MADE_IN_CONSTRUCTOR = {
    "Dropout": "rate", "SpatialDropout1D": "rate", "SpatialDropout2D": "rate",
    "SpatialDropout3D": "rate", "GaussianDropout": "rate", "AlphaDropout": "rate",
    "GaussianNoise": "stddev", "Attention": "dropout", "AdditiveAttention": "dropout",
    "LSTM": None, "GRU": None, "SimpleRNN": None, "LSTMCell": None, "GRUCell": None,
    "SimpleRNNCell": None, "ConvLSTM1D": None, "ConvLSTM2D": None, "ConvLSTM3D": None}
_AUGMENTATIONS_WITH_PARTS = frozenset({"RandAugment", "AugMix", "RandomColorJitter"})


def constructor_generator_names(class_name, config):
    """The names Keras gives the SeedGenerators a built-in layer `class_name` makes in its
    constructor with arguments `config`, taken now from the process's count (as Keras takes
    them when the layer is made); the library's generators of the layer are shown under them
    (`library_generators`)."""
    made_with_parts = _made_with_parts(class_name, config)
    if made_with_parts is not None:
        return [unique_name("seed_generator") for _ in range(made_with_parts)]
    if class_name == "Bidirectional":
        # Keras makes its forward layer (and its backward one, unless given) again from the
        # wrapped layer's config: each makes the wrapped layer's generators anew.
        wrapped = _generator_names(config.get("layer"))
        backward = config.get("backward_layer")
        again = [unique_name("seed_generator") for _ in wrapped]
        return again + ([unique_name("seed_generator") for _ in wrapped] if backward is None
                        else _generator_names(backward))
    if class_name == "RNN":   # Keras's RNN (StackedRNNCells) draws with its cells' generators
        cells = config.get("cell")
        return [n for cell in (cells if isinstance(cells, (list, tuple)) else [cells])
                for n in _generator_names(cell)]
    if class_name in _MADE_IN_CONSTRUCTOR:
        argument = _MADE_IN_CONSTRUCTOR[class_name]
        try:
            made = argument is None or float(config.get(argument) or 0) > 0
        except (TypeError, ValueError):   # the library refuses the value when it builds
            made = False
    else:
        made = class_name in _layers()._AUGMENTATIONS
    return [unique_name("seed_generator")] if made else []


_LAYERS = None


def _layers():
    """The layers module, which imports this one: imported at its first use, then kept (a
    function's `from .layers import` runs importlib's Python at every call, and every layer
    made asks constructor_generator_names)."""
    global _LAYERS
    if _LAYERS is None:
        from . import layers
        _LAYERS = layers
    return _LAYERS


def _generator_names(layer):
    """The generator names a built-in layer took when it was made (none for another object)."""
    names = getattr(layer, "__dict__", {}).get("_generator_names")
    return list(names) if isinstance(names, list) else []


def _made_with_parts(class_name, config):
    """How many generators RandAugment, AugMix and RandomColorJitter make in their constructor
    (their own, then one per augmentation they make that draws, as Keras makes them); None
    for another class."""
    if class_name == "RandomColorJitter":
        factors = ("brightness_factor", "contrast_factor", "saturation_factor", "hue_factor")
        return 1 + sum(config.get(f) is not None for f in factors)
    if class_name not in _AUGMENTATIONS_WITH_PARTS:
        return None
    from .layers import _AUGMENT_ORDER, _AUGMENT_PARTS, _AUGMENTATIONS, _AUGMIX_COLOR_PARTS
    parts = [p for p in _AUGMENT_ORDER[class_name] if class_name == "RandAugment" or
             config.get("all_ops", True) or p not in _AUGMIX_COLOR_PARTS]
    return 1 + sum(_AUGMENT_PARTS[p] in _AUGMENTATIONS for p in parts)


def library_generators(layer):
    """The SeedGenerators the library holds for a built-in layer of a model (Dropout's,
    GaussianNoise's, ... `seed_generator`), bound to their library states."""
    from .layers import _BuiltinLayer
    model = layer._variable_model() if isinstance(layer, _BuiltinLayer) else None
    handle = getattr(model, "_handle", None) if model is not None else None
    if handle is None:
        return []
    import ctypes
    from . import _lib, _native
    count = ctypes.c_int32()
    _native.check(_lib.keras_model_seed_generator_count(handle, ctypes.byref(count)))
    known = layer.__dict__.setdefault("_library_generators", {})
    found = []
    entries = [_native_generator(handle, i) for i in range(count.value)]
    own = [e for e in entries if e[1] == layer.name] or _held_in_python_layer(layer, entries)
    # Shown under the names Keras gives them when the layer is made, where those match.
    names = layer.__dict__.get("_generator_names") or []
    for k, (name, owner, state) in enumerate(own):
        generator = known.get(name)
        if generator is None:
            generator = known[name] = SeedGenerator(
                int(state[0]), name=names[k] if len(names) == len(own) else name)
            generator._library_name = name
            generator._layer = layer
        found.append(generator)
    return found


def _held_in_python_layer(layer, entries):
    """The library's generators of a built-in layer held (at any depth) by a layer written in
    Python, which the library lists under that Python layer's outermost one (the graph's layer):
    those not of a SeedGenerator the Python layers hold, paired in order with the built-in layers
    that draw (a `seed` argument), as the trace met them (Keras: a Dropout in a block)."""
    from ._variables import _python_sublayers
    from . import _catalog
    from .layers import _BuiltinLayer
    top, parent = None, layer.__dict__.get("_parent")
    while parent is not None:
        top, parent = parent, parent.__dict__.get("_parent")
    if top is None or isinstance(top, _BuiltinLayer):
        return []
    drawing, python_names, seen = [], set(), set()

    def walk(held, depth):
        if id(held) in seen or depth > 16:
            return
        seen.add(id(held))
        if isinstance(held, _BuiltinLayer):
            if "seed" in _catalog.layer_signature(held.class_name)[1]:
                drawing.append(held)
            return
        python_names.update(g.name for g in seed_generators(held))
        for sub in _python_sublayers(held):
            walk(sub, depth + 1)
    walk(top, 0)
    theirs = [e for e in entries if e[1] == top.name and e[0] not in python_names]
    if len(theirs) != len(drawing) or not any(layer is d for d in drawing):
        return []   # not paired one to one: none claimed
    return [theirs[next(i for i, d in enumerate(drawing) if d is layer)]]


def seed_generators(layer):
    """The SeedGenerators a layer holds as attributes (directly or in lists), in the order they
    were set: Keras's tracked `_seed_generators`."""
    found = library_generators(layer)
    for value in vars(layer).values():
        for item in (value if isinstance(value, (list, tuple)) else (value,)):
            if isinstance(item, SeedGenerator) and not any(item is f for f in found):
                found.append(item)
    return found


_global_generator = None


def global_seed_generator():
    """The SeedGenerator behind draws with `seed=None` (Keras's `global_seed_generator`)."""
    global _global_generator
    if _global_generator is None:
        _global_generator = SeedGenerator(name="global_seed_generator")
    return _global_generator


def _reset_global_seed_generator():
    """Called by `keras.utils.set_random_seed`: the next unseeded draw starts a new generator."""
    global _global_generator
    _global_generator = None


def _draw_seed(seed):
    """Keras's `draw_seed`: the uint32 pair `[seed, counter]` a draw is keyed by (a SeedGenerator's
    state, which moves on; `[seed, 0]` for an int; the global generator's for None)."""
    if seed is None:
        return global_seed_generator().next(ordered=False)
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.array([int(seed) & 0xFFFFFFFF, 0], np.uint32)
    raise ValueError(f"Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
                     f"Received: seed={seed!r} (of type {type(seed)})")


def _library_draw(distribution, shape, seed, a, b, dtype=np.float32):
    """`distribution`'s numbers of `shape`, drawn by the library as Keras draws them on JAX."""
    from . import _lib, _native
    shape = tuple(int(d) for d in _dims(shape))
    if any(d < 0 for d in shape):
        raise ValueError(f"Cannot draw random numbers of negative shape {shape}")
    key = _draw_seed(seed)
    out = np.empty(shape, dtype)
    _native.check(_lib.keras_random_draw(distribution.encode(), int(key[0]), int(key[1]), out.size,
                                         float(a), float(b), out.ctypes.data_as(ctypes.c_void_p)))
    return out


def _dtype(dtype):
    return np.dtype(dtype or "float32")


# Keras 3's message (keras/src/random/seed_generator.py) for seed=None under jax tracing.
UNSEEDED_IN_TRACE = (
    "[JAX RNG] When tracing a JAX function, you should only use seeded random ops, e.g. you "
    "should create a `SeedGenerator` instance, attach it to your layer/model, and pass the "
    "instance as the `seed` argument when calling random ops. Unseeded random ops would get "
    "incorrectly traced by JAX and would become constant after tracing. Example:\n\n```\n"
    "# Make sure to set the seed generator as a layer attribute\n"
    "self.seed_generator = keras.random.SeedGenerator(seed=1337)\n...\n"
    "out = keras.random.normal(shape=(1,), seed=self.seed_generator)\n```")


def _traced(name, shape=None, tensor=None):
    """The trace a draw goes into (the active one), or None for a draw on values."""
    from .ops._trace import NotTraceable, active, is_symbolic
    trace = active()
    if trace is None and is_symbolic(tensor):
        raise NotTraceable(f"keras.random.{name}: a symbolic tensor outside the trace of its layer")
    if trace is None and shape is not None and any(d is None for d in _dims(shape)):
        raise ValueError(f"keras.random.{name}: shape {tuple(_dims(shape))} has an unknown (None) "
                         f"dimension; on values every dimension is needed. Draw inside a layer's "
                         f"call (as the VAE tutorial's Sampling layer does), where the batch is "
                         f"read at every step")
    return trace


def _dims(shape):
    from .ops import _bare_as_none   # (a size ops.shape read where unknown: None, as before)
    return tuple(_bare_as_none(d) for d in shape) if isinstance(shape, (tuple, list)) else (shape,)


def _seed_attrs(seed, what):
    """The random op's seed: a SeedGenerator's next seed, advancing at every step; an int,
    the same numbers at every step; None refused as Keras refuses it under tracing."""
    from .ops._trace import TraceError
    if seed is None:
        raise TraceError(UNSEEDED_IN_TRACE)
    if isinstance(seed, SeedGenerator):
        # A layer's op draws from the layer's copy of the generator's state, starting where
        # the generator stands in Python (a rebuilt layer's library copy carries on by
        # itself); the trace does not move it on (as Keras's symbolic build does not). A
        # standalone graph (an eager op evaluated in the library) draws at the current state.
        from .ops._trace import active
        layer = getattr(active(), "layer", None)
        if layer is not None:
            seed._layer = layer
        state = seed._value if layer is not None else seed.state.numpy()
        return {"seed_generator": seed.name, "seed": int(state[0]), "counter": int(state[1])}
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return {"seed": int(seed) & 0xFFFFFFFF, "advance": False}
    raise ValueError(f"Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
                     f"Received: seed={seed!r} (of type {type(seed)})")


def _draw(trace, op, shape, seed, **attrs):
    """Op `op` of the trace, of `shape` (None entries read from the layer's input at every step)."""
    from .ops._trace import Unsupported
    dims = []
    for d in _dims(shape):
        if d is not None and not isinstance(d, (int, np.integer)):
            raise Unsupported(f"keras.random.{op[len('random_'):]} in a traced call: shape {shape!r} "
                              f"must hold integers, or None where ops.shape gave the batch")
        dims.append(-1 if d is None else int(d))
    inputs = []
    if -1 in dims:
        reference = getattr(trace, "reference", None)
        known = reference.shape if reference is not None else ()
        if any(d == -1 and (j >= len(known) or known[j] is not None) for j, d in enumerate(dims)):
            raise Unsupported(f"keras.random.{op[len('random_'):]}: the unknown (None) dimensions of "
                              f"shape {tuple(shape)} are read at every step from the same axes of the "
                              f"layer's input, of shape {tuple(known)}, where they must be unknown too "
                              f"(the batch)")
        inputs = [reference]
    return trace.op(op, inputs, {"shape": dims, **_seed_attrs(seed, op), **attrs})


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    trace = _traced("normal", shape)
    if trace is not None:
        return _draw(trace, "random_normal", shape, seed, mean=float(mean), stddev=float(stddev))
    return _library_draw("normal", shape, seed, mean, stddev).astype(_dtype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    trace = _traced("uniform", shape)
    if trace is not None:
        return _draw(trace, "random_uniform", shape, seed, minval=float(minval), maxval=float(maxval))
    return _library_draw("uniform", shape, seed, minval, maxval).astype(_dtype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values redrawn until within two standard deviations of the mean, as Keras."""
    trace = _traced("truncated_normal", shape)
    if trace is not None:
        return _draw(trace, "random_truncated_normal", shape, seed, mean=float(mean), stddev=float(stddev))
    return _library_draw("truncated_normal", shape, seed, mean, stddev).astype(_dtype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    trace = _traced("randint", shape)
    if trace is not None:   # whole numbers, as float32 (a traced layer computes in float32)
        return _draw(trace, "random_randint", shape, seed, minval=int(minval), maxval=int(maxval))
    return _library_draw("randint", shape, seed, int(minval), int(maxval), np.int32).astype(dtype)


def _not_traced(name, *tensors):
    from .ops._trace import Unsupported, active, is_symbolic
    if active() is not None or any(is_symbolic(t) for t in tensors):
        raise Unsupported(f"keras.random.{name} is not traceable into the library's op graph (its "
                          f"traced random ops are normal, uniform, truncated_normal, randint and "
                          f"dropout); call it on values")


def categorical(logits, num_samples, dtype="int32", seed=None):
    """For each row of logits, `num_samples` class indices drawn from softmax(logits) (Keras on
    JAX: `jax.random.categorical`, the Gumbel-max trick), drawn by the library."""
    _not_traced("categorical", logits)
    from . import _lib, _native
    logits = np.ascontiguousarray(np.asarray(logits), np.float32)
    if logits.ndim != 2:
        raise ValueError(f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
                         f"Received: logits={logits}")
    key = _draw_seed(seed)
    out = np.empty((logits.shape[0], int(num_samples)), np.int32)
    _native.check(_lib.keras_random_categorical(
        int(key[0]), int(key[1]), logits.ctypes.data_as(_lib.float_p), logits.shape[0],
        logits.shape[1], int(num_samples), out.ctypes.data_as(_lib.int32_p)))
    return out.astype(dtype)


def _library_sample(distribution, shape, seed, a, b=None):
    """`distribution`'s float32 values of `shape` (gamma, beta, binomial), its parameters
    broadcast to it, drawn by the library as JAX draws them."""
    from . import _lib, _native
    shape = tuple(int(d) for d in _dims(shape))
    if any(d < 0 for d in shape):
        raise ValueError(f"Cannot draw random numbers of negative shape {shape}")
    params = [np.ascontiguousarray(np.broadcast_to(np.asarray(p, np.float32), shape)) for p in
              ((a,) if b is None else (a, b))]
    key = _draw_seed(seed)
    out = np.empty(shape, np.float32)
    pointers = [p.ctypes.data_as(_lib.float_p) for p in params] + [None]
    _native.check(_lib.keras_random_sample(distribution.encode(), int(key[0]), int(key[1]), out.size,
                                           pointers[0], pointers[1], out.ctypes.data_as(_lib.float_p)))
    return out


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeros a `rate` fraction of the inputs and scales the rest by 1 / (1 - rate). On a layer
    output in a model's call, an op-graph layer of the model (as other ops on one output)."""
    from .layers import KerasTensor
    if isinstance(inputs, KerasTensor):
        from .ops._functional import dispatching
        return dispatching(dropout)(inputs, rate, noise_shape=noise_shape, seed=seed)
    trace = _traced("dropout", tensor=inputs)
    if trace is not None:
        from . import ops
        if not 0 <= float(rate) <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float value "
                             f"between 0 and 1. Received: rate={rate}")
        if float(rate) == 1.0:
            return ops.zeros_like(inputs)
        if float(rate) == 0.0:
            return inputs
        attrs = {"rate": float(rate), **_seed_attrs(seed, "dropout")}
        if noise_shape is not None:
            attrs["noise_shape"] = [None if d is None else int(d) for d in noise_shape]
        return trace.op("dropout", [inputs], attrs)
    x = np.asarray(inputs)
    if float(rate) == 1.0:
        return np.zeros_like(x)
    if float(rate) == 0.0:
        return x
    keep_prob = 1.0 - float(rate)
    shape = x.shape if noise_shape is None else tuple(
        x.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
    keep = _library_draw("bernoulli", shape, seed, keep_prob, 0.0, np.bool_)
    return np.where(np.broadcast_to(keep, x.shape), x / np.float32(keep_prob), 0).astype(x.dtype)


def shuffle(x, axis=0, seed=None):
    _not_traced("shuffle", x)
    """Each line along `axis` in its own random order (Keras on JAX: `permutation(independent=True)`)."""
    from . import _lib, _native
    x = np.asarray(x)
    if x.ndim == 0:
        raise ValueError("keras.random.shuffle: x must have at least one dimension")
    axis = axis % x.ndim
    outer, n = int(np.prod(x.shape[:axis], dtype=np.int64)), x.shape[axis]
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    key = _draw_seed(seed)
    order = np.empty(x.shape, np.int64)
    _native.check(_lib.keras_random_permutation(int(key[0]), int(key[1]), outer, n, inner,
                                                order.ctypes.data_as(ctypes.POINTER(ctypes.c_int64))))
    return np.take_along_axis(x, order, axis=axis)


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma(alpha) values (Keras on JAX: `jax.random.gamma`, Marsaglia and Tsang's method)."""
    _not_traced("gamma", alpha)
    return _library_sample("gamma", shape, seed, alpha).astype(_dtype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial(counts, probabilities) values (Keras on JAX: `jax.random.binomial`)."""
    _not_traced("binomial", counts, probabilities)
    return _library_sample("binomial", shape, seed, counts, probabilities).astype(_dtype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):  # noqa: A002 (Keras's argument name)
    """Beta(alpha, beta) values (Keras on JAX: `jax.random.beta`, from two log-gamma draws)."""
    _not_traced("beta", alpha, beta)
    return _library_sample("beta", shape, seed, alpha, beta).astype(_dtype(dtype))


__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "categorical",
           "dropout", "shuffle", "gamma", "binomial", "beta"]
