"""The seeds Keras takes from Python's `random` when it makes an unseeded object that draws.

Keras 3 takes an unseeded initializer's seed (`RandomInitializer.__init__`) and an unseeded
SeedGenerator's (`SeedGenerator.__init__`) from `random.randint(1, 10**9)` (its
`make_default_seed`) at construction, and draws with it at build: after
`keras.utils.set_random_seed(s)` a model's initial weights depend on the order in which its
layers, their initializers and their generators were made. The binding draws the same numbers
at the same moments (a user's own `random` calls interleave as in Keras) and hands them to the
library, an initializer's under its config's private key `_default_seed`, a layer's generators'
under the layer config's `_generator_seeds`, which the library draws with and never writes back
(Keras writes `"seed": null`)."""

from __future__ import annotations

import contextlib
import random as _python_random
import threading

from . import _catalog

#: Keras's initializers that draw (subclasses of its `RandomInitializer`), by class name.
RANDOM_INITIALIZERS = frozenset({
    "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "Orthogonal",
    "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal"})

#: The config key the library reads an unseeded initializer's seed from (never written back).
KEY = "_default_seed"

# Keras's layers whose constructor makes its SeedGenerator before its initializers
# (SimpleRNNCell and ConvLSTMCell; LSTMCell and GRUCell make theirs after).
_GENERATOR_FIRST = frozenset({"SimpleRNN", "SimpleRNNCell", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"})


_quiet = threading.local()


@contextlib.contextmanager
def made_without_drawing(seed=None):
    """Initializers made inside take no seed from Python's `random` (the binding's own copies of
    an object Keras made once: a layer's `kernel_initializer` attribute, a standalone call's
    plain config); they carry `seed` instead, where given."""
    depth = getattr(_quiet, "depth", 0)
    _quiet.depth, saved = depth + 1, getattr(_quiet, "seed", None)
    _quiet.seed = seed
    try:
        yield
    finally:
        _quiet.depth, _quiet.seed = depth, saved


@contextlib.contextmanager
def drawing_nothing():
    """Python's `random` left as before the block: a view the binding makes of a layer Keras
    made once (a Bidirectional's `forward_layer`) takes no seeds."""
    state = _python_random.getstate()
    try:
        yield
    finally:
        _python_random.setstate(state)


def seed_for_new_initializer():
    """The seed an unseeded initializer being made takes: Python's next `randint(1, 10**9)`, or
    inside `made_without_drawing` the seed given there (None: none)."""
    if getattr(_quiet, "depth", 0):
        return _quiet.seed
    return make_default_seed()


def make_default_seed() -> int:
    """Keras's `make_default_seed()`: Python's `random.randint(1, 10**9)`."""
    return _python_random.randint(1, int(1e9))


_INITIALIZERS = None


def _initializers():
    """The initializers module: imported at its first use, then kept (a function's `from
    .initializers import` runs importlib's Python at every call, and every layer made with an
    initializer argument asks initializer_seed and _class_name)."""
    global _INITIALIZERS
    if _INITIALIZERS is None:
        from . import initializers
        _INITIALIZERS = initializers
    return _INITIALIZERS


def _class_name(identifier):
    """The initializer class an argument value names (a string, a config dict), or None."""
    aliases = _initializers()._GET_ALIASES
    if isinstance(identifier, str):
        return aliases.get(identifier, identifier)
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        return aliases.get(name, name) if isinstance(name, str) else None
    return None


def copy_seed(value):
    """The seed Keras's copy of an initializer argument made from its config
    (`cls.from_config(initializer.get_config())`, a clone) draws when unseeded, else None."""
    from .initializers import Initializer
    if isinstance(value, Initializer):
        if value.class_name not in RANDOM_INITIALIZERS or value.get_config().get("seed") is not None:
            return None
        return make_default_seed()
    return initializer_seed(value)


def initializer_seed(value):
    """The seed an initializer argument draws with when unseeded, taken as Keras's
    `initializers.get(value)` takes it in a layer's constructor: an initializer object's own
    (drawn when it was made), a new one for a name or a config of a class that draws, else None."""
    if isinstance(value, _initializers().Initializer):
        return value.__dict__.get("_default_seed")
    name = _class_name(value)
    if name not in RANDOM_INITIALIZERS:
        return None
    if isinstance(value, dict) and (value.get("config") or {}).get("seed") is not None:
        return None
    return make_default_seed()


def layer_construction_seeds(class_name, config, defaults, argument_names, make_generator_names):
    """Draws, in the order Keras's constructor of built-in layer `class_name` does, the seeds of
    its unseeded initializers (given in `config` or the catalogue's `defaults`) and generators
    (`make_generator_names()` names those it makes, taking their automatic names); returns
    ({initializer argument: seed}, generator names, generator seeds)."""
    seeds, names, generator_seeds = {}, [], []

    def initializers():
        for k in argument_names:
            if k.endswith("initializer"):
                seed = initializer_seed(config[k] if k in config else defaults.get(k))
                if seed is not None:
                    seeds[k] = seed

    def generators():
        names.extend(make_generator_names())
        if config.get("seed") is None:
            # Keras's RandomCrop draws the seed it writes (`make_default_seed()`) before its
            # generator's; the library takes both, in that order.
            written = 1 if class_name == "RandomCrop" else 0
            generator_seeds.extend(make_default_seed() for _ in range(written + len(names)))

    if class_name == "Bidirectional":   # (its copies' seeds: wrapped_copy_seeds)
        names.extend(make_generator_names())
    elif class_name == "RNN":   # its cells took theirs when made
        names.extend(make_generator_names())
        initializers()
    elif class_name in _GENERATOR_FIRST:
        generators()
        initializers()
    else:
        initializers()
        generators()
    return seeds, names, generator_seeds


def wrapped_copy_seeds(config):
    """Draws the seeds of the copies Keras's Bidirectional makes of its wrapped built-in layer
    from its config in its constructor, the forward one and the backward one unless given
    (each copy's initializers, objects given included, and generators take seeds anew, as when
    the layer was made); returns [(initializer seeds, generator seeds)] for each copy."""
    wrapped = config.get("layer")
    args = getattr(wrapped, "__dict__", {}).get("_args")
    if args is None:
        return []
    from .initializers import Initializer
    from ._objects import serialize
    # (an initializer object given comes back from its config: unseeded, it draws again)
    args = {k: serialize(v) if isinstance(v, Initializer) else v for k, v in args.items()}
    signature = _catalog.layer_signature(wrapped.class_name) or ((), {}, ())
    copies = []
    for _ in range(1 if config.get("backward_layer") is not None else 2):
        seeds, _, drawn = layer_construction_seeds(
            wrapped.class_name, args, signature[1], signature[0],
            lambda: list(wrapped.__dict__.get("_generator_names") or []))
        copies.append((seeds, drawn))
    return copies


def with_wrapped_copies(config, wrapped, copies):
    """Bidirectional's config for the library with the copies of `wrapped` that Keras makes,
    each with the seeds it took (`copies`, from ``wrapped_copy_seeds``): the forward one as
    `layer` and the backward one, unless given, as `backward_layer` (as Keras's config writes
    them)."""
    if not copies:
        return config

    def copy(seeds, prefix, go_backwards=None):
        inner = dict(wrapped._given_config(seeds))
        name = wrapped.name
        inner["name"] = prefix + (name[len(prefix):] if name.startswith(prefix) else name)
        if go_backwards is not None:
            inner["go_backwards"] = go_backwards
        return {"module": "keras.layers", "class_name": wrapped.class_name, "config": inner,
                "registered_name": None}

    config = {**config, "layer": copy(copies[0], "forward_")}
    if len(copies) > 1:
        config["backward_layer"] = copy(copies[1], "backward_", not wrapped.go_backwards)
    return config


#: The layers whose build in Keras makes objects that draw: MultiHeadAttention's and
#: GroupQueryAttention's copies of their initializers for each projection (and their Dropout's
#: generator), SpectralNormalization's `vector_u` initializer.
DRAWS_AT_BUILD = frozenset({"MultiHeadAttention", "GroupQueryAttention", "SpectralNormalization"})


def build_seeds(class_name, config, defaults):
    """Draws, in Keras's order, the seeds built-in layer `class_name` (made with `config`, the
    catalogue's `defaults` for the rest) takes from Python's `random` when it is built."""
    return _build_draws(class_name, config, defaults)[0]


def _build_draws(class_name, config, defaults):
    """``build_seeds`` and, of them, those of the generators the build makes."""
    if class_name == "SpectralNormalization":
        return [make_default_seed()], []   # (TruncatedNormal(stddev=0.02), unseeded)
    if class_name not in DRAWS_AT_BUILD:
        return [], []

    def value(k):
        return config[k] if k in config else defaults.get(k)

    def copies():   # `_get_common_kwargs_for_sublayer`: the kernel's, then the bias's (even unused)
        found = (copy_seed(value("kernel_initializer")), copy_seed(value("bias_initializer")))
        return [s for s in found if s is not None]

    seeds = []
    for _ in range(3 + bool(value("use_gate"))):   # query, key, [gate,] value
        seeds.extend(copies())
    try:
        dropout = float(value("dropout") or 0)
    except (TypeError, ValueError):   # the library refuses the value when it builds
        dropout = 0
    generators = []
    if dropout > 0 and value("seed") is None:   # its Dropout's SeedGenerator, before the output
        generators.append(make_default_seed())
    return seeds + generators + copies(), generators


def take_load_seeds(model, entry):
    """Draws from Python's `random` what Keras's `load_model` of the file's model `entry` draws
    (each unseeded initializer and generator that deserializing its layers makes, in Keras's
    order, and what their builds make) and gives the library's generators of the loaded
    `model` the seeds Keras's take (states `[seed, 0]`: files keep no generator state); the
    initializers' draws are overwritten by the weights loaded. Where the library holds another
    number of generators than counted (a layer written in Python), none is given a seed."""
    if not isinstance(entry, dict):
        return
    seeds = _layer_draws(entry, [])
    import ctypes
    import numpy as np
    from . import _lib, _native
    handle = getattr(model, "_handle", None)
    if handle is None or not seeds:
        return
    count = ctypes.c_int32()
    _native.check(_lib.keras_model_seed_generator_count(handle, ctypes.byref(count)))
    if count.value != len(seeds):
        return
    for i, seed in enumerate(seeds):
        state = np.array([seed, 0], np.uint32)
        _native.check(_lib.keras_model_set_seed_generator(
            handle, i, state.ctypes.data_as(ctypes.POINTER(ctypes.c_uint32))))


_MODELS = frozenset({"Sequential", "Functional", "Model"})


def _layer_draws(entry, pending):
    """Draws what Keras's deserialization of the layer or model `entry` draws; returns the
    seeds of its generators in the library's order (a list the builds in `pending`, run by the
    model holding it, add to)."""
    if not isinstance(entry, dict):
        return []
    class_name = entry.get("class_name")
    config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    if class_name in _MODELS:
        built, per_layer = [], []
        for layer in config.get("layers") or []:
            per_layer.append(_layer_draws(layer, built))
            # Keras's deserialization builds a layer from its build_config as soon as it is
            # made; a Sequential builds each as it is added
            if class_name == "Sequential" or isinstance(layer, dict) and layer.get("build_config"):
                _run_builds(built)
        _run_builds(built)   # the rest of a functional model's once all are made
        return [seed for own in per_layer for seed in own]
    if class_name == "Bidirectional":
        # from_config makes the wrapped layer and the backward one given, then the wrapper
        # copies the wrapped layer (the forward one)
        _layer_draws(config.get("layer"), [])
        backward = _layer_draws(config.get("backward_layer"), pending) if config.get("backward_layer") else None
        forward = _layer_draws(config.get("layer"), pending)
        if backward is None:
            backward = _layer_draws(config.get("layer"), pending)
        return forward + backward
    if class_name == "RNN":
        cell = config.get("cell")
        cells = (cell.get("config") or {}).get("cells") if isinstance(cell, dict) and \
            cell.get("class_name") == "StackedRNNCells" else [cell]
        return [seed for c in cells or [] for seed in _layer_draws(c, pending)]
    own = []
    if isinstance(config.get("layer"), dict):   # a wrapper (TimeDistributed, SpectralNormalization)
        own.extend(_layer_draws(config["layer"], pending))
    signature = _catalog.layer_signature(class_name) if isinstance(class_name, str) else None
    if signature is None:
        return own
    from .random import constructor_generator_names
    names, defaults, _ = signature
    _, _, generators = layer_construction_seeds(class_name, config, defaults, names,
                                                lambda: constructor_generator_names(class_name, config))
    own.extend(generators)
    if class_name in DRAWS_AT_BUILD:
        pending.append((own, class_name, config, defaults))
    return own


def _run_builds(pending):
    """Draws what the builds in `pending` draw, adding their generators' seeds to their layers'."""
    while pending:
        own, class_name, config, defaults = pending.pop(0)
        own.extend(_build_draws(class_name, config, defaults)[1])


#: The layer config key the library takes the seeds of what a layer's build makes from, in
#: order (never written back).
BUILD_KEY = "_build_seeds"

#: The layer config key the library's generators of a layer take their seeds from, in order
#: (never written back).
GENERATOR_KEY = "_generator_seeds"


def with_generator_seeds(config, seeds, built=None):
    """`config` (a layer's, for the library) with the seeds its unseeded generators took, and
    those its build took (`built`)."""
    if seeds:
        config = {**config, GENERATOR_KEY: list(seeds)}
    return {**config, BUILD_KEY: list(built)} if built else config


def with_initializer_seeds(config, seeds, defaults, serialize):
    """`config` (a layer's, for the library) with each unseeded initializer argument in `seeds`
    (given, or the catalogue's `defaults`) as its serialized entry carrying the seed under `KEY`
    (making no initializer: that would draw)."""
    if not seeds:
        return config
    config = dict(config)
    for k, seed in seeds.items():
        value = config[k] if k in config else defaults.get(k)
        if isinstance(value, _initializers().Initializer):
            value = serialize(value)
        if isinstance(value, str):
            value = {"module": "keras.initializers", "class_name": _class_name(value), "config": {},
                     "registered_name": None}
        if not _builtin_entry(value):
            continue
        inner = dict(value.get("config") or {})
        if inner.get("seed") is None:
            inner[KEY] = seed
        config[k] = {**value, "config": inner}
    return config


def serialized_with_seed(initializer, serialize):
    """An initializer object's serialized entry for the library, carrying its default seed (an
    unseeded one's, taken when it was made) under `KEY`."""
    entry = serialize(initializer)
    seed = getattr(initializer, "__dict__", {}).get("_default_seed")
    if seed is None or not _builtin_entry(entry) or (entry.get("config") or {}).get("seed") is not None:
        return entry
    return {**entry, "config": {**(entry.get("config") or {}), KEY: seed}}


def _builtin_entry(entry):
    """Whether `entry` is a serialized built-in initializer (a class written in Python gets its
    own config back in its `from_config`, without the library's private key)."""
    return (isinstance(entry, dict) and entry.get("class_name") in RANDOM_INITIALIZERS
            and entry.get("registered_name") is None
            and entry.get("module") in (None, "keras.initializers"))
