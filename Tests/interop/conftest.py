"""What the interop tests share: where the Swift export tests wrote their files, and loading one of
those models in real Keras 3 the three ways a Keras user can (.keras, .h5, JSON + .weights.h5)."""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))

#: The ways `load_swift_model` reads a model.
LOAD_WAYS = ["keras", "h5", "json"]


def read_expected(name):
    """The `<name>.expected.json` the Swift test wrote beside the model: its inputs and outputs."""
    with open(os.path.join(OUT, f"{name}.expected.json")) as f:
        return json.load(f)


def load_swift_model(name, how, **kwargs):
    """The model `<name>` written by Swift, loaded by real Keras from a clear session: `how` is
    "keras" or "h5" (`load_model`, given `kwargs`) or "json" (`model_from_json` + `load_weights`)."""
    keras.backend.clear_session()
    if how == "json":
        with open(os.path.join(OUT, f"{name}.json")) as f:
            model = keras.models.model_from_json(f.read())
        model.load_weights(os.path.join(OUT, f"{name}.weights.h5"))
        return model
    return keras.models.load_model(os.path.join(OUT, f"{name}.{how}"), **kwargs)
