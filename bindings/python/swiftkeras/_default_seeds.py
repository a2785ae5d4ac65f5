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
# (SimpleRNNCell; LSTMCell and GRUCell make theirs after).
_GENERATOR_FIRST = frozenset({"SimpleRNN", "SimpleRNNCell"})


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


def seed_for_new_initializer():
    """The seed an unseeded initializer being made takes: Python's next `randint(1, 10**9)`, or
    inside `made_without_drawing` the seed given there (None: none)."""
    if getattr(_quiet, "depth", 0):
        return _quiet.seed
    return make_default_seed()


def make_default_seed() -> int:
    """Keras's `make_default_seed()`: Python's `random.randint(1, 10**9)`."""
    return _python_random.randint(1, int(1e9))


def _class_name(identifier):
    """The initializer class an argument value names (a string, a config dict), or None."""
    from .initializers import _GET_ALIASES
    if isinstance(identifier, str):
        return _GET_ALIASES.get(identifier, identifier)
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        return _GET_ALIASES.get(name, name) if isinstance(name, str) else None
    return None


def initializer_seed(value):
    """The seed an initializer argument draws with when unseeded, taken as Keras's
    `initializers.get(value)` takes it in a layer's constructor: an initializer object's own
    (drawn when it was made), a new one for a name or a config of a class that draws, else None."""
    from .initializers import Initializer
    if isinstance(value, Initializer):
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

    if class_name == "Bidirectional":
        # Keras makes the wrapped layer again from its config for each direction (the backward
        # one unless given): each copy's initializers and generators take seeds anew.
        names.extend(make_generator_names())
        for _ in ("layer",) + (("backward_layer",) if config.get("backward_layer") is None else ()):
            wrapped = config.get("layer")
            args = getattr(wrapped, "__dict__", {}).get("_args")
            if args is None:
                continue
            signature = _catalog.layer_signature(wrapped.class_name) or ((), {}, ())
            _, _, drawn = layer_construction_seeds(
                wrapped.class_name, args, signature[1], signature[0],
                lambda: list(wrapped.__dict__.get("_generator_names") or []))
            generator_seeds.extend(drawn)
    elif class_name in _GENERATOR_FIRST:
        generators()
        initializers()
    else:
        initializers()
        generators()
    return seeds, names, generator_seeds


#: The layer config key the library's generators of a layer take their seeds from, in order
#: (never written back).
GENERATOR_KEY = "_generator_seeds"


def with_generator_seeds(config, seeds):
    """`config` (a layer's, for the library) with the seeds its unseeded generators took."""
    return {**config, GENERATOR_KEY: list(seeds)} if seeds else config


def with_initializer_seeds(config, seeds, defaults, serialize):
    """`config` (a layer's, for the library) with each unseeded initializer argument in `seeds`
    (given, or the catalogue's `defaults`) as its serialized entry carrying the seed under `KEY`
    (making no initializer: that would draw)."""
    if not seeds:
        return config
    from .initializers import Initializer
    config = dict(config)
    for k, seed in seeds.items():
        value = config[k] if k in config else defaults.get(k)
        if isinstance(value, Initializer):
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
