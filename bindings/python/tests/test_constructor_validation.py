"""Layer constructors check their arguments when the layer is made, as Keras's `__init__` does:
the library makes the layer from them without building it (keras_layer_validate_config: the
checks of the layer's Swift declaration), and the exception is Keras's (TypeError or ValueError).
Each case is run in real Keras 3 too: both raise at construction with the same exception type,
or both take the arguments there (Keras checks some only when the layer is built)."""

import inspect
import itertools

import numpy as np
import pytest

from conftest import needs, real_keras

import swiftkeras as keras
from swiftkeras import _catalog, layers

pytestmark = needs("keras_layer_validate_config")

# (class, positional arguments, keyword arguments, the argument the message names)
REFUSED = [
    # core
    ("Dense", (-1,), {}, "units"),
    ("Dense", (0,), {}, "units"),
    ("Dense", ("4",), {}, "units"),
    ("Dense", (4.5,), {}, "units"),
    ("Dense", (None,), {}, "units"),
    ("Dense", (4,), {"activation": "nope"}, "activation"),
    ("Dense", (4,), {"kernel_initializer": "nope"}, "initializer"),
    ("Dense", (4,), {"kernel_regularizer": "nope"}, "regularizer"),
    ("Dense", (4,), {"foo": 1}, "foo"),
    ("Dense", (4, "relu", True, "glorot_uniform", "zeros", None, None, None, None, None, None, None, None, 1), {},
     "positional"),
    ("Embedding", (0, 4), {}, "input_dim"),
    ("Embedding", (10, 0), {}, "output_dim"),
    ("Activation", ("nope",), {}, "nope"),
    ("RepeatVector", (0,), {}, "n"),
    ("RepeatVector", ("a",), {}, "n"),
    ("EinsumDense", (), {"output_shape": 4}, "equation"),
    # regularization
    ("Dropout", (1.5,), {}, "rate"),
    ("Dropout", (-0.1,), {}, "rate"),
    ("Dropout", ("a",), {}, "rate"),
    ("GaussianNoise", (-1.0,), {}, "stddev"),
    ("GaussianNoise", ("a",), {}, "stddev"),
    ("GaussianDropout", (1.5,), {}, "rate"),
    ("SpatialDropout2D", (1.5,), {}, "rate"),
    ("AlphaDropout", (1.5,), {}, "rate"),
    ("ActivityRegularization", (-1.0,), {}, "l1"),
    # convolution
    ("Conv2D", (8, 3), {"padding": "sam"}, "padding"),
    ("Conv2D", (0, 3), {}, "filters"),
    ("Conv2D", (8, 0), {}, "kernel_size"),
    ("Conv2D", (8, (3, 3, 3)), {}, "kernel_size"),
    ("Conv2D", (8, 3), {"strides": 0}, "strides"),
    ("Conv2D", (8, 3), {"data_format": "nchw"}, "data_format"),
    ("Conv2D", (8, 3), {"groups": 3}, "groups"),
    ("Conv2D", (8, 3), {"strides": 2, "dilation_rate": 2}, "dilation_rate"),
    ("Conv2D", (8, 3), {"activation": "nope"}, "activation"),
    ("Conv1D", (8, 3), {"padding": "full"}, "padding"),
    ("Conv2DTranspose", (8, 3), {"padding": "causal"}, "padding"),
    ("DepthwiseConv2D", (3,), {"depth_multiplier": 0}, "depth_multiplier"),
    ("SeparableConv2D", (8, 3), {"depth_multiplier": -1}, "depth_multiplier"),
    # pooling
    ("MaxPooling2D", (), {"pool_size": 0}, "pool_size"),
    ("GlobalAveragePooling2D", (), {"data_format": "x"}, "data_format"),
    ("AveragePooling1D", (), {"strides": 2}, "pool_size"),
    # recurrent
    ("LSTM", (0,), {}, "units"),
    ("LSTM", (-3,), {}, "units"),
    ("LSTMCell", (0,), {}, "units"),
    ("SimpleRNN", (4,), {"activation": "nope"}, "activation"),
    ("Bidirectional", (3,), {}, "layer"),
    ("TimeDistributed", ("x",), {}, "layer"),
    # normalization
    ("BatchNormalization", (), {"axis": "a"}, "axis"),
    ("BatchNormalization", (), {"momentum": "x"}, "momentum"),
    ("GroupNormalization", (), {"groups": 0}, "groups"),
    ("UnitNormalization", (), {"axis": "x"}, "axis"),
    # attention
    ("MultiHeadAttention", (0, 4), {}, "num_heads"),
    ("MultiHeadAttention", (2, 0), {}, "key_dim"),
    ("Attention", (), {"score_mode": "nope"}, "score_mode"),
    ("GroupQueryAttention", (8, 4, 3), {}, "num_key_value_heads"),
    # merging, reshaping, activations
    ("Dot", ("x",), {}, "axes"),
    ("Reshape", ((-1, -1),), {}, "target_shape"),
    ("Permute", ((1, 1),), {}, "dims"),
    ("Permute", ((0, 1),), {}, "dims"),
    ("Flatten", (), {"data_format": "x"}, "data_format"),
    ("ZeroPadding2D", ((1, 2, 3),), {}, "padding"),
    ("Cropping2D", ((1, 2, 3),), {}, "cropping"),
    ("UpSampling2D", (0,), {}, "size"),
    ("LeakyReLU", (), {"negative_slope": -1}, "negative_slope"),
    ("ReLU", (), {"max_value": -1}, "max_value"),
    # preprocessing and image augmentation
    ("Discretization", (), {}, "num_bins"),
    ("CategoryEncoding", (0,), {}, "num_tokens"),
    ("MaxNumBoundingBoxes", (4, 0, "xyxy"), {}, "positional"),
    ("RandomRotation", (2.0,), {}, "factor"),
    ("RandomZoom", (-2.0,), {}, "height_factor"),
    ("RandomContrast", (-0.5,), {}, "factor"),
    ("RandomBrightness", (2.0,), {}, "factor"),
]

# Arguments Keras's constructor takes as given (it checks them, if at all, when the layer is
# built or called): the library's build refuses them, the constructor does not.
TAKEN = [
    ("MaxPooling2D", (), {"padding": "sam"}),
    ("Resizing", (0, 4), {}),
    ("Resizing", (4, 4), {"interpolation": "nope"}),
    ("CenterCrop", (-1, 4), {}),
    ("RandomCrop", (0, 4), {}),
    ("RandomFlip", ("diagonal",), {}),
    ("Rescaling", ("a",), {}),
    ("Normalization", (), {"axis": "x"}),
    ("Softmax", (), {"axis": "x"}),
    ("ELU", (), {"alpha": "x"}),
    ("UpSampling2D", (2,), {"interpolation": "nope"}),
    ("Concatenate", (), {"axis": "x"}),
    ("Masking", (), {"mask_value": "x"}),
    ("ConvLSTM2D", (0, 3), {}),
    ("MultiHeadAttention", (2, 4), {"dropout": 2.0}),
    ("GRU", (4,), {"dropout": 1.5}),
    ("LSTM", (4,), {"recurrent_dropout": -1}),
    ("LayerNormalization", (), {"epsilon": -1}),
    ("EinsumDense", ("ab,bc", 4), {}),
]


def _outcome(module, name, args, kwargs):
    try:
        getattr(module, name)(*args, **kwargs)
    except Exception as e:   # noqa: BLE001 (the exception is what is compared)
        return type(e), str(e)
    return None, ""


@pytest.mark.parametrize("name,args,kwargs,argument", REFUSED, ids=[f"{c[0]}{c[1]}{c[2]}" for c in REFUSED])
def test_constructor_refuses_bad_arguments_as_keras(name, args, kwargs, argument):
    K = real_keras()
    expected, keras_message = _outcome(K.layers, name, args, kwargs)
    assert expected is not None, f"Keras takes {name}{args}{kwargs}"
    got, message = _outcome(layers, name, args, kwargs)
    assert got is expected, f"{name}{args}{kwargs}: ours {got} ({message}), Keras {expected} ({keras_message})"
    if argument != "positional":   # (Python's own message for too many arguments)
        assert argument in message, message
        assert name in message or name.lower().removesuffix("2d") in message.lower(), message


@pytest.mark.parametrize("name,args,kwargs", TAKEN, ids=[f"{c[0]}{c[1]}{c[2]}" for c in TAKEN])
def test_constructor_takes_what_keras_checks_later(name, args, kwargs):
    K = real_keras()
    assert _outcome(K.layers, name, args, kwargs)[0] is None
    assert _outcome(layers, name, args, kwargs) == (None, "")


def test_later_checks_still_refuse_at_build():
    """An argument the constructor takes as Keras's does is still refused when the layer is
    built, naming it."""
    layer = layers.Resizing(0, 4)
    with pytest.raises(ValueError, match="height and width must be positive"):
        layer(np.zeros((1, 8, 8, 3), np.float32))


def test_type_error_where_keras_raises_one():
    with pytest.raises(TypeError, match="RepeatVector.*'n' must be an integer"):
        layers.RepeatVector("a")
    with pytest.raises(ValueError, match="Received an invalid value for `units`, expected a positive integer. "
                                         "Received: units=-1"):
        layers.Dense(-1)


def test_checking_draws_no_seed_and_takes_no_name():
    """Constructions checked by the library leave its generators and names as they were: the
    weights drawn after a seed, and the automatic names, are Keras's."""
    K = real_keras()

    def made(lib):
        lib.utils.set_random_seed(7)
        first = lib.layers.Dense(3)
        drop = lib.layers.Dropout(0.5)
        with pytest.raises(ValueError):
            lib.layers.Dense(-1)
        gru = lib.layers.GRU(2, dropout=0.1)
        model = lib.Sequential([lib.Input((5, 4)), first, drop, gru])
        return [w.numpy() if hasattr(w, "numpy") else np.asarray(w) for w in model.get_weights()], \
            [first.name, gru.name]

    ours, ours_names = made(keras)
    ref, ref_names = made(K)
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert ours_names[1].startswith("gru") and ref_names[1].startswith("gru")


def test_positional_arguments_are_keras_ones():
    """Every catalogue layer takes positionally at most the arguments Keras's constructor names,
    in Keras's order (the rest by keyword, as Keras's **kwargs)."""
    K = real_keras()
    wrong = []
    for name in _catalog.layer_names():
        theirs = getattr(K.layers, name, None)
        if theirs is None or not isinstance(theirs, type):
            continue
        params = list(inspect.signature(theirs.__init__).parameters.values())[1:]
        keras_positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        cls = getattr(layers, name)
        if not hasattr(cls, "_positional"):   # (a layer written in Python: Lambda)
            continue
        ours = list(cls._positional)
        # Keras's, up to the first the library's class lacks (Dense's lora_rank): ours begin so,
        # and any after them are Keras's too, in its order.
        prefix = list(itertools.takewhile(lambda n: n in cls._known, keras_positional))
        later = ours[len(prefix):]
        if ours[:len(prefix)] != prefix or any(n not in keras_positional for n in later) or \
                [keras_positional.index(n) for n in later] != sorted(keras_positional.index(n) for n in later):
            wrong.append((name, ours, keras_positional))
    assert not wrong, "\n".join(map(str, wrong))


def test_discretization_refuses_both_bin_arguments_but_its_config_takes_them_as_keras():
    """Keras's constructor refuses `num_bins` with `bin_boundaries`; its from_config takes both
    (an adapted layer's config has them) and keeps the boundaries."""
    K = real_keras()
    both = {"num_bins": 3, "bin_boundaries": [0.0, 1.0]}
    with pytest.raises(ValueError) as ref:
        K.layers.Discretization(**both)
    with pytest.raises(ValueError) as ours:
        layers.Discretization(**both)
    assert str(ours.value) == str(ref.value)
    config = {**K.layers.Discretization(num_bins=3, name="bins").get_config(), **both}
    made, ref_made = layers.Discretization.from_config(config), K.layers.Discretization.from_config(config)
    assert made.get_config()["bin_boundaries"] == ref_made.get_config()["bin_boundaries"] == [0.0, 1.0]
    x = np.array([[-1.0, 0.5, 2.0]], np.float32)
    np.testing.assert_array_equal(np.asarray(made(x)), np.asarray(ref_made(x)))
