"""Constructor arguments of other Python types than Keras's defaults, as Keras 3 takes them
(scripts/sweep_constructor_types.py sweeps every catalogue class; this is a sample of it, run
against live Keras): a flag takes any value and Keras tests its truth (`use_bias=1`,
`return_sequences=np.int64(0)`, `keepdims=None`), keeping the value given in `get_config()`;
`data_format` is read lowercased; an activation given as None is linear; what Keras's constructor refuses is refused with its exception
type: TypeError, OverflowError (a seed outside uint32) or ValueError, as the library's error kind
says (keras_last_error_kind); a numpy number goes to the library's checks as one, refused where
Keras tests for a Python int (a single `strides`, a `seed`, Dense's `units`, UpSampling1D's
`size`, an image augmentation's `factor`, which takes a Python float: a numpy float64 is one);
a string, or a None given, where Keras's constructor compares or converts a number (a dropout
rate, Conv's `groups`, BatchNormalization's `momentum`) is its TypeError.

An augmentation's unknown `interpolation` or `fill_mode` (None and 1 included) is Keras's
NotImplementedError (KERAS_ERROR_KIND_NOT_IMPLEMENTED).

A pooling keeps any `padding` given (`"VALID"`, None, 1) and refuses one other than "valid" or
"same" when it computes, with Keras's ValueError.

A value Keras keeps until the layer is built or called (a string or None for
GroupNormalization's `epsilon`, MelSpectrogram's sizes; a None for a number Keras stores) is kept
in the config as given, and refused when the layer is built where Keras's layer fails; a numeric
string where Keras converts (`float(momentum)`) is that number.

A convolution's `padding` that is not a string is Keras's AttributeError (`padding.lower()`)."""
import importlib.util
import pathlib

import numpy as np
import pytest

from conftest import needs, real_keras

pytestmark = needs("keras_layer_validate_config")

_SCRIPT = pathlib.Path(__file__).resolve().parents[3] / "scripts" / "sweep_constructor_types.py"


def _sweep():
    spec = importlib.util.spec_from_file_location("sweep_constructor_types", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# (class, base arguments, the argument, its value)
SAMPLE = [
    ("Dense", {"units": 3}, "use_bias", 1),
    ("Dense", {"units": 3}, "use_bias", 0),
    ("Dense", {"units": 3}, "use_bias", np.int64(0)),
    ("Dense", {"units": 3}, "use_bias", None),
    ("Dense", {"units": 3}, "use_bias", "x"),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "use_bias", 0),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "data_format", "CHANNELS_LAST"),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "data_format", "not_a_format"),
    ("LSTM", {"units": 3}, "return_sequences", 1),
    ("LSTM", {"units": 3}, "go_backwards", np.bool_(True)),
    ("GRU", {"units": 3}, "reset_after", 0),
    ("SimpleRNN", {"units": 3}, "return_state", 2),
    ("GlobalAveragePooling1D", {}, "keepdims", 1),
    ("GlobalMaxPooling2D", {}, "keepdims", None),
    ("LayerNormalization", {}, "center", 0),
    ("BatchNormalization", {}, "scale", np.int64(1)),
    ("BatchNormalization", {}, "synchronized", 1),
    ("Embedding", {"input_dim": 5, "output_dim": 2}, "mask_zero", 1),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2}, "use_bias", 0),
    ("MaxPooling2D", {}, "data_format", "Channels_First"),
    ("LSTM", {"units": 3}, "activation", None),
    ("GRU", {"units": 3}, "recurrent_activation", None),
    ("Conv1D", {"filters": 2, "kernel_size": 3}, "activation", None),
    # a seed is kept as a uint32 where the layer draws: OverflowError outside it, ValueError for
    # a float or a numpy integer (Keras tests for a Python int); taken as it is where the layer
    # draws nothing (no generator at rate 0)
    ("Dropout", {"rate": 0.5}, "seed", -3),
    ("LSTM", {"units": 3}, "seed", 2 ** 32),
    ("RandomFlip", {}, "seed", 2 ** 32 - 1),
    ("GaussianNoise", {"stddev": 0.1}, "seed", 5.0),
    ("SpatialDropout1D", {"rate": 0.5}, "seed", np.int64(5)),
    ("Dropout", {"rate": 0.0}, "seed", -3),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2}, "seed", -3),
    # a single value for an integer tuple must be a Python int (Keras's standardize_tuple):
    # a numpy integer, a float or None is a ValueError; a string of as many digits as the tuple
    # has entries passes tuple() and fails the comparison with 0 (TypeError)
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "strides", np.int64(1)),
    ("Conv1D", {"filters": 2, "kernel_size": 3}, "dilation_rate", np.int32(1)),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "strides", 1.0),
    ("Conv3D", {"filters": 2, "kernel_size": 3}, "dilation_rate", None),
    ("MaxPooling1D", {}, "pool_size", np.int64(2)),
    ("UpSampling2D", {}, "size", 2.0),
    ("Conv1D", {"filters": 2, "kernel_size": 3}, "strides", "1"),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "strides", "1"),
    # numpy numbers where Keras compares or converts them: taken
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "groups", np.int64(1)),
    ("BatchNormalization", {}, "momentum", np.float32(0.5)),
    ("LSTM", {"units": 3}, "dropout", np.float64(0.25)),
    ("Concatenate", {}, "axis", np.int64(-1)),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "padding", "VALID"),
    # a string where Keras's constructor compares or converts a number: its TypeError
    ("LSTM", {"units": 3}, "dropout", "0.0"),
    ("SimpleRNNCell", {"units": 3}, "recurrent_dropout", "0.0"),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "groups", "1"),
    ("DepthwiseConv1D", {"kernel_size": 3}, "depth_multiplier", "1"),
    ("ReLU", {}, "negative_slope", "0.0"),
    ("LeakyReLU", {}, "negative_slope", "0.3"),
    ("MelSpectrogram", {}, "sampling_rate", "16000"),
    ("RandomGrayscale", {}, "factor", "0.5"),
    ("Attention", {}, "dropout", "0.0"),
    # None where Keras's constructor compares or converts a number: its TypeError (where it
    # keeps a None given, as MultiHeadAttention's dropout, it is still taken)
    ("GRU", {"units": 3}, "dropout", None),
    ("LSTMCell", {"units": 3}, "recurrent_dropout", None),
    ("Conv1D", {"filters": 2, "kernel_size": 3}, "groups", None),
    ("BatchNormalization", {}, "momentum", None),
    ("BatchNormalization", {}, "axis", None),
    ("AdditiveAttention", {}, "dropout", None),
    ("STFTSpectrogram", {}, "frame_length", None),
    ("MaxNumBoundingBoxes", {"max_number": 2}, "fill_value", None),
    ("LayerNormalization", {}, "axis", None),
    ("UnitNormalization", {}, "axis", None),
    # a Python int or float only where Keras tests isinstance(value, int) (or (int, float)):
    # a numpy number (but a float64, which is a float), a float for an int, or None is refused
    ("Dense", {}, "units", np.int32(4)),
    ("Dense", {}, "units", 4.0),
    ("GroupNormalization", {}, "groups", np.int64(32)),
    ("GroupNormalization", {}, "groups", "32"),
    ("UpSampling1D", {}, "size", np.int64(2)),
    ("UpSampling1D", {}, "size", 2.0),
    ("LayerNormalization", {}, "axis", np.int64(-1)),
    ("UnitNormalization", {}, "axis", np.int32(-1)),
    ("RandomInvert", {}, "factor", np.float32(1.0)),
    ("CutMix", {}, "factor", np.int64(1)),
    ("AugMix", {}, "factor", np.float64(0.3)),
    ("AugMix", {}, "factor", None),
    ("RandomShear", {}, "x_factor", np.float32(0.0)),
    ("Solarization", {}, "threshold_factor", None),
    ("RandomElasticTransform", {}, "scale", np.int64(1)),
    ("RandomGaussianBlur", {}, "sigma", np.float32(1.0)),
    ("RandomGaussianBlur", {}, "kernel_size", np.int64(3)),
    ("RandomColorJitter", {}, "brightness_factor", None),
    ("RandomZoom", {"height_factor": 0.2}, "width_factor", None),
    # a pooling's padding is kept as given (refused when the layer computes)
    ("MaxPooling2D", {}, "padding", "VALID"),
    ("AveragePooling1D", {"pool_size": 2}, "padding", "not_a_value"),
    ("MaxPool3D", {}, "padding", None),
    ("AvgPool2D", {"pool_size": 2}, "padding", 1),
    ("MaxPooling1D", {}, "padding", "causal"),
    ("MaxPooling1D", {}, "padding", "same"),
    # an augmentation's unknown interpolation or fill_mode: Keras's NotImplementedError
    ("RandomRotation", {"factor": 0.2}, "interpolation", "BILINEAR"),
    ("RandomRotation", {"factor": 0.2}, "fill_mode", None),
    ("RandomShear", {}, "fill_mode", 1),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2}, "interpolation", "cubic"),
    ("RandomZoom", {"height_factor": 0.2}, "fill_mode", "REFLECT"),
    ("RandomPerspective", {}, "interpolation", None),
    ("RandomElasticTransform", {}, "fill_mode", "not_a_value"),
    ("RandomElasticTransform", {}, "interpolation", 1),
    ("AugMix", {}, "interpolation", "not_a_value"),
    ("RandAugment", {}, "interpolation", None),
    ("RandomRotation", {"factor": 0.2}, "fill_mode", "wrap"),
    # kept as given until the layer is built (a None for a number Keras stores is kept)
    ("GroupNormalization", {}, "epsilon", "0.001"),
    ("GroupNormalization", {}, "axis", None),
    ("RMSNormalization", {}, "axis", "-1"),
    ("MelSpectrogram", {}, "num_mel_bins", "128"),
    ("MelSpectrogram", {}, "min_freq", None),
    ("Equalization", {}, "bins", None),
    ("MixUp", {}, "alpha", "0.2"),
    ("AugMix", {}, "chain_depth", None),
    ("RandAugment", {}, "num_ops", "2"),
    ("GroupQueryAttention", {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 2}, "dropout", None),
    ("MultiHeadAttention", {"num_heads": 2, "key_dim": 2}, "dropout", "0.0"),
    ("Masking", {}, "mask_value", "0.0"),
    ("Concatenate", {}, "axis", None),
    ("Resizing", {"height": 4, "width": 4}, "interpolation", "not_a_value"),
    ("UpSampling2D", {}, "interpolation", "not_a_value"),
    ("LayerNormalization", {}, "epsilon", None),
    ("RandomRotation", {"factor": 0.2}, "fill_value", None),
    ("DepthwiseConv2D", {"kernel_size": 3}, "depth_multiplier", None),
    # Keras converts a numeric string (int(axis), float(momentum))
    ("BatchNormalization", {}, "axis", "-1"),
    ("BatchNormalization", {}, "momentum", "0.5"),
    # a convolution's padding.lower(): AttributeError for a value that is not a string
    ("Conv2D", {"filters": 2, "kernel_size": 3}, "padding", None),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 3}, "padding", 1),
    ("SeparableConv2D", {"filters": 2, "kernel_size": 3}, "padding", None),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 3}, "padding", 1),
    ("UpSampling2D", {}, "interpolation", None),
]


@pytest.mark.parametrize("cls,base,name,value", SAMPLE,
                         ids=[f"{c}-{n}={v!r}" for c, _, n, v in SAMPLE])
def test_constructor_takes_what_keras_takes(cls, base, name, value):
    """Made with the value, each library raises the same exception type or neither does, and
    the config keeps what Keras's keeps."""
    import swiftkeras
    keras = real_keras()
    sweep = _sweep()
    ours = sweep.build(swiftkeras, cls, base, {name: value})
    ref = sweep.build(keras, cls, base, {name: value})
    assert ours[0] == ref[0], (ours, ref)
    if ref[0] == "ok":
        assert sweep.same(ours[1][name], ref[1][name]), (ours[1][name], ref[1][name])
        assert type(ours[1][name]) is type(ref[1][name]) or isinstance(value, np.generic)


@pytest.mark.parametrize("value", [1, 0, None, "x", np.int64(0)])
def test_flags_behave_by_their_truth(value):
    """A flag given as another value behaves as Keras's: Dense's bias and LSTM's sequences by
    the value's truth, and the layer made again from its config (ours and Keras's) alike."""
    import swiftkeras
    keras = real_keras()
    x = np.random.default_rng(0).random((2, 4, 3)).astype("float32")
    results = []
    for lib in (swiftkeras, keras):
        dense = lib.layers.Dense(2, use_bias=value)
        dense.build((None, 3))
        lstm = lib.layers.LSTM(2, return_sequences=value)
        out = lstm(x)
        again = lib.layers.Dense.from_config(dense.get_config())
        again.build((None, 3))
        results.append((len(dense.weights), tuple(out.shape), len(again.weights)))
    assert results[0] == results[1]


def test_negative_seed_refused_as_keras_refuses():
    """Keras's SeedGenerator keeps a seed as numpy's uint32: a negative one is numpy's
    OverflowError (the library's KERAS_ERROR_KIND_OVERFLOW), with numpy's message."""
    import swiftkeras
    keras = real_keras()
    with pytest.raises(OverflowError) as ref:
        keras.layers.Dropout(0.5, seed=-3)
    with pytest.raises(OverflowError) as ours:
        swiftkeras.layers.Dropout(0.5, seed=-3)
    assert str(ref.value) in str(ours.value)


def test_numpy_integer_kept_where_keras_takes_it():
    """A numpy integer inside a tuple Keras takes (kernel_size=(np.int64(3), 3)); the layer
    made from it is the one made from Python ints."""
    import swiftkeras
    keras = real_keras()
    x = np.ones((1, 5, 5, 1), "float32")
    shapes = [tuple(lib.layers.Conv2D(2, (np.int64(3), 3), strides=(np.int32(2), 1))(x).shape)
              for lib in (swiftkeras, keras)]
    assert shapes[0] == shapes[1] == (1, 2, 3, 2)


@pytest.mark.parametrize("padding", ["VALID", "not_a_value", None, 1, "causal"])
def test_pooling_padding_refused_when_the_layer_computes(padding):
    """A pooling made with a padding other than "valid" or "same" is refused, with Keras's
    ValueError and message, when its output shape is computed, as Keras's `compute_output_shape`
    refuses it; its config (and a layer made from that) keeps the value."""
    import swiftkeras
    keras = real_keras()
    messages = []
    for lib in (swiftkeras, keras):
        layer = lib.layers.MaxPooling2D(padding=padding)
        again = lib.layers.MaxPooling2D.from_config(layer.get_config())
        assert again.get_config()["padding"] == padding
        with pytest.raises(ValueError) as refused:
            again.compute_output_shape((1, 4, 4, 3))
        messages.append(str(refused.value))
    expected = f"Argument `padding` must be either 'valid' or 'same'. Received: padding={padding}"
    assert expected in messages[1] and expected in messages[0], messages


def test_unknown_interpolation_message_is_keras_s():
    """The NotImplementedError of an augmentation's unknown interpolation says what Keras's
    says, naming the value as Python shows it."""
    import swiftkeras
    keras = real_keras()
    messages = []
    for lib in (swiftkeras, keras):
        with pytest.raises(NotImplementedError) as refused:
            lib.layers.RandomRotation(0.2, interpolation=None)
        messages.append(str(refused.value))
    assert messages[1] in messages[0], messages


@pytest.mark.parametrize("cls,base,name,value,exception", [
    ("Equalization", {}, "bins", "256", TypeError),
    ("GroupNormalization", {"groups": 2}, "epsilon", None, TypeError),
    ("MixUp", {}, "alpha", "0.2", TypeError),
    ("Resizing", {"height": 2, "width": 2}, "interpolation", "not_a_value", ValueError),
])
def test_kept_value_refused_when_the_layer_runs(cls, base, name, value, exception):
    """A value Keras's constructor keeps and its layer cannot use is refused, with Keras's
    exception type, by the time the layer is called on data (Keras: when it computes)."""
    import swiftkeras
    keras = real_keras()
    x = np.random.default_rng(0).random((2, 4, 4, 4)).astype("float32")
    for lib in (swiftkeras, keras):
        layer = getattr(lib.layers, cls)(**base, **{name: value})
        with pytest.raises(exception):
            layer(x, training=True)
