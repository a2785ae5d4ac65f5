"""Initializers (Keras `keras.initializers`): class name + arguments for the library."""

import numpy as np

from ._dtypes import standardize_dtype as _standardize_dtype
from ._objects import KerasObject, make_class
from ._objects import module_serialization as _module_serialization


class Initializer(KerasObject):
    kind = "initializer"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ._default_seeds import RANDOM_INITIALIZERS, seed_for_new_initializer
        if self.class_name in RANDOM_INITIALIZERS and self._config.get("seed") is None:
            # Keras's RandomInitializer takes its seed now (make_default_seed), drawn with at
            # each call and at a layer's build; its config keeps `seed: None`.
            seed = seed_for_new_initializer()
            if seed is not None:
                self._default_seed = seed

    def __call__(self, shape, dtype=None):
        """Keras's `initializer(shape, dtype=None)`: a new array of `shape` drawn by the library
        (a seeded initializer gives the same values at each call, as Keras's; an unseeded one
        draws with the seed it took from Python's `random` when made, as Keras's)."""
        if not self._is_builtin():
            raise NotImplementedError("Initializer subclasses must implement the `__call__()` "
                                      "method.")
        from ._standalone import initializer_call
        return initializer_call(self, shape, dtype)

    def clone(self):
        """Keras's `initializer.clone()`: a new instance of the same config."""
        return type(self).from_config(self.get_config())


_CLASSES = {
    "Zeros": (), "Ones": (), "Constant": ("value",), "Identity": ("gain",),
    "RandomNormal": ("mean", "stddev", "seed"), "RandomUniform": ("minval", "maxval", "seed"),
    "TruncatedNormal": ("mean", "stddev", "seed"),
    "VarianceScaling": ("scale", "mode", "distribution", "seed"), "Orthogonal": ("gain", "seed"),
    "GlorotUniform": ("seed",), "GlorotNormal": ("seed",), "HeUniform": ("seed",),
    "HeNormal": ("seed",), "LecunUniform": ("seed",), "LecunNormal": ("seed",),
    "STFT": ("side", "window", "scaling", "periodic"),
}
for _n, _p in _CLASSES.items():
    globals()[_n] = make_class(Initializer, _n, _p, module=__name__)

# Keras's VarianceScaling subclasses fix these arguments (their attributes, not in their config).
for _n, (_scale, _mode, _distribution) in {
        "GlorotUniform": (1.0, "fan_avg", "uniform"), "GlorotNormal": (1.0, "fan_avg", "truncated_normal"),
        "HeUniform": (2.0, "fan_in", "uniform"), "HeNormal": (2.0, "fan_in", "truncated_normal"),
        "LecunUniform": (1.0, "fan_in", "uniform"),
        "LecunNormal": (1.0, "fan_in", "truncated_normal")}.items():
    globals()[_n].scale, globals()[_n].mode, globals()[_n].distribution = _scale, _mode, _distribution


def _constant_value_config(self):
    """Constant's arguments as Keras writes them: a numpy array value as Keras's
    `{"class_name": "__numpy__", "config": {"value": [...], "dtype": ...}}` (the library
    broadcasts it to the weight's shape, as Keras does)."""
    import numpy as np
    value = self._config.get("value")
    given = KerasObject._given_arguments(self)
    if isinstance(value, np.ndarray):
        given["value"] = {"class_name": "__numpy__",
                          "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    return given


def _constant_from_config(cls, config):
    """Keras's `Constant.from_config`: an array value (its `__numpy__` form) is an array."""
    import numpy as np
    value = config.get("value")
    if isinstance(value, dict) and value.get("class_name") == "__numpy__":
        inner = value.get("config") or {}
        value = np.array(inner.get("value"), dtype=inner.get("dtype") or "float32")
    return cls(**{**config, "value": value})


Constant._given_arguments = _constant_value_config  # noqa: F821 — made above
Constant.from_config = classmethod(_constant_from_config)  # noqa: F821

# Keras's lower-case aliases name the same classes.
_ALIASES = {"zeros": "Zeros", "ones": "Ones", "constant": "Constant", "identity": "Identity",
            "random_normal": "RandomNormal", "random_uniform": "RandomUniform",
            "truncated_normal": "TruncatedNormal", "variance_scaling": "VarianceScaling",
            "orthogonal": "Orthogonal", "glorot_uniform": "GlorotUniform",
            "glorot_normal": "GlorotNormal", "he_uniform": "HeUniform", "he_normal": "HeNormal",
            "lecun_uniform": "LecunUniform", "lecun_normal": "LecunNormal",
            "IdentityInitializer": "Identity", "OrthogonalInitializer": "Orthogonal",
            "stft": "STFT", "STFTInitializer": "STFT"}
for _a, _n in _ALIASES.items():
    globals()[_a] = globals()[_n]
# Names only initializers.get knows (Keras's compatibility names, e.g. the RNN guide's "uniform").
_GET_ALIASES = {**_ALIASES, "uniform": "RandomUniform", "normal": "RandomNormal", "one": "Ones",
                "zero": "Zeros"}


def get(identifier):
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = globals().get(_GET_ALIASES.get(identifier, identifier))
        if cls is None:
            raise ValueError(f"Could not interpret initializer identifier: {identifier}")
        return cls()
    if isinstance(identifier, dict):
        return globals()[identifier["class_name"]](**identifier.get("config", {}))
    if isinstance(identifier, (np.generic, np.ndarray)):
        return _tensor_initializer(identifier)
    if callable(identifier):
        return identifier() if isinstance(identifier, type) else identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


def _tensor_initializer(tensor):
    """Keras's initializer of a tensor given as one: its values, for its own shape only."""
    def initialize_fn(shape, dtype=None):
        if tuple(shape) != tuple(tensor.shape):
            raise ValueError(f"Expected `shape` to be {tensor.shape} for direct tensor as initializer. "
                             f"Received shape={shape}")
        return np.asarray(tensor, _standardize_dtype(dtype))
    return initialize_fn

serialize, deserialize = _module_serialization("initializers", get)
