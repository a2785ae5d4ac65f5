"""Writes Tests/KerasTests/Fixtures/layers/catalogue.json: real Keras's constructor arguments of
each layer and callback class the library has (order, required, defaults) and the get_config() of a
layer built from its required arguments only, which the catalogue test (CatalogueTests) compares
with Catalogue.json. Run with real Keras 3: KERAS_BACKEND=jax python scripts/make_catalogue_fixtures.py
"""

import inspect
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "layers")

# Required arguments with values that build an instance (the same ones LayerCatalogue.swift uses).
LAYERS = {
    "InputLayer": {"shape": (1,)}, "Dense": {"units": 1}, "Activation": {"activation": "linear"},
    "ActivityRegularization": {}, "Dropout": {"rate": 0.5}, "Flatten": {}, "Permute": {"dims": (1,)},
    "RepeatVector": {"n": 1}, "Rescaling": {"scale": 1.0}, "Reshape": {"target_shape": (1,)},
    "Concatenate": {}, "ReLU": {}, "LeakyReLU": {}, "ELU": {}, "Softmax": {}, "PReLU": {},
    "Lambda": None,
}
INITIALIZERS = ["Constant", "RandomUniform", "RandomNormal", "TruncatedNormal", "GlorotUniform", "GlorotNormal",
                "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "VarianceScaling", "Orthogonal"]
CALLBACKS = ["EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint", "CSVLogger", "TerminateOnNaN"]


def plain(v):
    if isinstance(v, tuple):
        return [plain(x) for x in v]
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return repr(v)


def signature_args(cls, skip=("self", "name", "dtype", "trainable")):
    out = []
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name in skip or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        out.append({"name": p.name, "required": True} if p.default is p.empty
                   else {"name": p.name, "default": plain(p.default)})
    return out


def main():
    layers = {}
    for name, required in LAYERS.items():
        cls = getattr(keras.layers, name)
        entry = {"args": signature_args(cls)}
        if required is not None:
            config = cls(**required).get_config()
            entry["config"] = {k: plain(v) for k, v in config.items() if k not in ("name", "trainable", "dtype")}
        layers[name] = entry
    callbacks = {c: {"args": signature_args(getattr(keras.callbacks, c))} for c in CALLBACKS}
    initializers = {c: {"args": signature_args(getattr(keras.initializers, c))} for c in INITIALIZERS}
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "catalogue.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "layers": layers, "callbacks": callbacks,
                   "initializers": initializers}, f, indent=1)
    print(f"wrote {len(layers)} layers and {len(callbacks)} callbacks to {OUT}/catalogue.json")


if __name__ == "__main__":
    main()
