"""Initializers (Keras `keras.initializers`): class name + arguments for the library."""

from ._objects import KerasObject, make_class
from ._objects import module_serialization as _module_serialization


class Initializer(KerasObject):
    kind = "initializer"


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
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")

serialize, deserialize = _module_serialization("initializers", get)
