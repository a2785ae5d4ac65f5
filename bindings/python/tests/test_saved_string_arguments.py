"""Layer arguments given as strings (`Dense(4, activity_regularizer="l2")`, `kernel_constraint=
"non_neg"`, `bias_initializer="ones"`) survive saving (issue 16 point 2): for every layer class
with regularizer, constraint or initializer arguments, each such argument is given as a string
and the model saved as `.keras` and `.h5`; real Keras loads our files to the configs it gives
the same layers, we load Keras's files to the same configs, and our own files load back to them."""

import re

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_save")

# (class, positional arguments, input shape) of the layers whose constructors take
# regularizers, constraints or initializers.
LAYERS = [
    ("Dense", (4,), (3,)),
    ("EinsumDense", ("ab,bc->ac", 4), (3,)),
    ("Embedding", (10, 4), (5,)),
    ("Conv1D", (2, 3), (8, 2)),
    ("Conv2D", (2, 3), (6, 6, 2)),
    ("Conv3D", (2, 2), (4, 4, 4, 1)),
    ("Conv1DTranspose", (2, 3), (8, 2)),
    ("Conv2DTranspose", (2, 3), (6, 6, 2)),
    ("DepthwiseConv1D", (3,), (8, 2)),
    ("DepthwiseConv2D", (3,), (6, 6, 2)),
    ("SeparableConv1D", (2, 3), (8, 2)),
    ("SeparableConv2D", (2, 3), (6, 6, 2)),
    ("SimpleRNN", (3,), (4, 2)),
    ("LSTM", (3,), (4, 2)),
    ("GRU", (3,), (4, 2)),
    ("ConvLSTM1D", (2, 3), (3, 6, 2)),
    ("BatchNormalization", (), (3,)),
    ("LayerNormalization", (), (3,)),
    ("GroupNormalization", (2,), (4,)),
    ("PReLU", (), (3,)),
]

STRINGS = {"regularizer": ["l1", "l2"],
           "constraint": ["non_neg", "unit_norm", "max_norm"],
           "initializer": ["ones", "he_normal", "glorot_normal", "zeros"]}
KIND = re.compile(r"(?:^|_)(regularizer|constraint|initializer)$")


def _string_arguments(cls_name):
    """Every regularizer, constraint and initializer argument of the Keras class, as a string."""
    import inspect
    params = inspect.signature(getattr(keras.layers, cls_name).__init__).parameters
    if "activity_regularizer" not in params:
        params = {**params, "activity_regularizer": None}   # Layer's own, through **kwargs
    out, seen = {"activity_regularizer": "l2"}, {}
    for name in params:
        match = KIND.search(name)
        if name == "activity_regularizer":
            continue
        if match:
            kind = match.group(1)
            choices = STRINGS[kind]
            out[name] = choices[seen.get(kind, 0) % len(choices)]
            seen[kind] = seen.get(kind, 0) + 1
    return out


def _model(lib, cls_name, args, shape, kwargs):
    inp = lib.Input(shape)
    layer = getattr(lib.layers, cls_name)(*args, name="swept", **kwargs)
    return lib.Model(inp, layer(inp))


def _config(model):
    config = model.get_layer("swept").get_config()
    return {k: v for k, v in config.items() if KIND.search(k)}


@pytest.mark.parametrize("cls_name,args,shape", LAYERS, ids=[c for c, _, _ in LAYERS])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_string_arguments_survive_saving_both_ways(cls_name, args, shape, suffix, tmp_path):
    kwargs = _string_arguments(cls_name)
    assert kwargs["activity_regularizer"] == "l2" and len(kwargs) >= 2   # the sweep is not empty
    ref = _model(keras, cls_name, args, shape, kwargs)
    expected = _config(ref)   # (Keras's SimpleRNN leaves its activity regularizer out)
    assert cls_name == "SimpleRNN" or expected["activity_regularizer"] is not None

    ours = _model(sk, cls_name, args, shape, kwargs)
    ours.save(tmp_path / f"ours{suffix}")
    loaded_by_keras = keras.saving.load_model(tmp_path / f"ours{suffix}", compile=False)
    assert _config(loaded_by_keras) == expected
    loaded_by_us = sk.saving.load_model(tmp_path / f"ours{suffix}", compile=False)
    loaded_by_us.save(tmp_path / f"again{suffix}")
    assert _config(keras.saving.load_model(tmp_path / f"again{suffix}", compile=False)) == expected

    ref.save(tmp_path / f"keras{suffix}")
    from_keras = sk.saving.load_model(tmp_path / f"keras{suffix}", compile=False)
    from_keras.save(tmp_path / f"keras_again{suffix}")
    assert _config(keras.saving.load_model(tmp_path / f"keras_again{suffix}", compile=False)) == expected
    x = np.random.default_rng(0).uniform(0, 3, size=(2,) + shape).astype("float32")
    if cls_name == "Embedding":
        x = np.floor(x)
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), ref.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-5)
