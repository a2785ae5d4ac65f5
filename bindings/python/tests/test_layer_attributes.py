"""Keras 3's Layer and Model attributes, class by class over the library's catalogue: the same
layer built in real Keras 3 (jax backend) and here has the same public attributes, the same
constructor-argument values (initializers, regularizers, constraints and activations as their
objects), the same weights as Variables (name, path, shape, dtype, trainable; `kernel`, `gamma`,
`embeddings`, `cell.kernel` ...), and assigning through them changes predictions as in Keras."""

import re

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import _catalog  # noqa: E402

pytestmark = [needs(CORE), pytest.mark.usefixtures("seeded")] if False else [needs(*CORE)]

IMG, SEQ, VOL, VEC = (8, 8, 3), (6, 4), (6, 6, 6, 2), (4,)
TWO = [VEC, VEC]
# Each catalogue class: (its arguments, a function of the module giving them, or its input
# shape(s) without the batch axis). Aliases (Convolution2D, MaxPool2D, ...) are the same classes.
CASES = {
    "Activation": ({"activation": "relu"}, VEC), "ActivityRegularization": ({"l1": 0.01}, VEC),
    "Add": ({}, TWO), "AdditiveAttention": ({}, [SEQ, SEQ]), "AlphaDropout": ({"rate": 0.2}, VEC),
    "Attention": ({}, [SEQ, SEQ]), "Average": ({}, TWO), "AveragePooling1D": ({"pool_size": 2}, SEQ),
    "AveragePooling2D": ({"pool_size": 2}, IMG), "AveragePooling3D": ({"pool_size": 2}, VOL),
    "BatchNormalization": ({}, VEC),
    "Bidirectional": (lambda K: {"layer": K.layers.LSTM(3, name="inner")}, SEQ),
    "CategoryEncoding": ({"num_tokens": 5, "output_mode": "multi_hot"}, (3,)),
    "CenterCrop": ({"height": 4, "width": 4}, IMG), "Concatenate": ({}, TWO),
    "Conv1D": ({"filters": 2, "kernel_size": 3}, SEQ), "Conv1DTranspose": ({"filters": 2, "kernel_size": 3}, SEQ),
    "Conv2D": ({"filters": 2, "kernel_size": 3}, IMG), "Conv2DTranspose": ({"filters": 2, "kernel_size": 3}, IMG),
    "Conv3D": ({"filters": 2, "kernel_size": 3}, VOL), "Conv3DTranspose": ({"filters": 2, "kernel_size": 3}, VOL),
    "ConvLSTM1D": ({"filters": 2, "kernel_size": 3}, (3, 6, 2)),
    "ConvLSTM2D": ({"filters": 2, "kernel_size": 3}, (3, 6, 6, 2)),
    "ConvLSTM3D": ({"filters": 2, "kernel_size": 3}, (2, 4, 4, 4, 2)),
    "Cropping1D": ({"cropping": 1}, SEQ), "Cropping2D": ({"cropping": 1}, IMG), "Cropping3D": ({"cropping": 1}, VOL),
    "Dense": ({"units": 3}, VEC), "DepthwiseConv1D": ({"kernel_size": 3}, SEQ),
    "DepthwiseConv2D": ({"kernel_size": 3}, IMG), "Discretization": ({"bin_boundaries": [0.0, 1.0]}, VEC),
    "Dot": ({"axes": 1}, TWO), "Dropout": ({"rate": 0.3}, VEC), "ELU": ({}, VEC),
    "EinsumDense": ({"equation": "ab,bc->ac", "output_shape": 3, "bias_axes": "c"}, VEC),
    "Embedding": ({"input_dim": 10, "output_dim": 3}, (5,)), "Flatten": ({}, IMG), "GRU": ({"units": 3}, SEQ),
    "GRUCell": ({"units": 3}, None), "GaussianDropout": ({"rate": 0.2}, VEC),
    "GaussianNoise": ({"stddev": 0.1}, VEC), "GlobalAveragePooling1D": ({}, SEQ),
    "GlobalAveragePooling2D": ({}, IMG), "GlobalAveragePooling3D": ({}, VOL), "GlobalMaxPooling1D": ({}, SEQ),
    "GlobalMaxPooling2D": ({}, IMG), "GlobalMaxPooling3D": ({}, VOL), "GroupNormalization": ({"groups": 2}, (4,)),
    "Hashing": ({"num_bins": 4}, None), "Identity": ({}, VEC), "IntegerLookup": ({"vocabulary": [1, 2, 3]}, None),
    "LSTM": ({"units": 3}, SEQ), "LSTMCell": ({"units": 3}, None), "LayerNormalization": ({}, VEC),
    "LeakyReLU": ({}, VEC), "Masking": ({}, SEQ), "MaxPooling1D": ({}, SEQ), "MaxPooling2D": ({}, IMG),
    "MaxPooling3D": ({}, VOL), "Maximum": ({}, TWO), "Minimum": ({}, TWO),
    "MultiHeadAttention": ({"num_heads": 2, "key_dim": 2}, [SEQ, SEQ]), "Multiply": ({}, TWO),
    "Normalization": ({"mean": 0.0, "variance": 1.0}, VEC), "PReLU": ({}, VEC), "Permute": ({"dims": (2, 1)}, SEQ),
    "RMSNormalization": ({}, VEC), "RNN": (lambda K: {"cell": K.layers.SimpleRNNCell(3, name="step")}, SEQ),
    "RandomBrightness": ({"factor": 0.1}, IMG), "RandomContrast": ({"factor": 0.1}, IMG),
    "RandomCrop": ({"height": 4, "width": 4}, IMG), "RandomFlip": ({}, IMG), "RandomRotation": ({"factor": 0.1}, IMG),
    "RandomTranslation": ({"height_factor": 0.1, "width_factor": 0.1}, IMG),
    "RandomZoom": ({"height_factor": 0.1}, IMG), "ReLU": ({}, VEC), "RepeatVector": ({"n": 2}, VEC),
    "Rescaling": ({"scale": 0.5}, VEC), "Reshape": ({"target_shape": (2, 2)}, VEC),
    "Resizing": ({"height": 4, "width": 4}, IMG), "SeparableConv1D": ({"filters": 2, "kernel_size": 3}, SEQ),
    "SeparableConv2D": ({"filters": 2, "kernel_size": 3}, IMG), "SimpleRNN": ({"units": 3}, SEQ),
    "SimpleRNNCell": ({"units": 3}, None),
    "StackedRNNCells": (lambda K: {"cells": [K.layers.SimpleRNNCell(3, name="a"), K.layers.SimpleRNNCell(2, name="b")]},
                        None),
    "Softmax": ({}, VEC), "SpatialDropout1D": ({"rate": 0.2}, SEQ), "SpatialDropout2D": ({"rate": 0.2}, IMG),
    "SpatialDropout3D": ({"rate": 0.2}, VOL), "StringLookup": ({"vocabulary": ["a", "b"]}, None),
    "Subtract": ({}, TWO), "TextVectorization": ({"max_tokens": 10}, None),
    "TimeDistributed": (lambda K: {"layer": K.layers.Dense(2, name="inner")}, SEQ), "UnitNormalization": ({}, VEC),
    "UpSampling1D": ({}, SEQ), "UpSampling2D": ({}, IMG), "UpSampling3D": ({}, VOL),
    "ZeroPadding1D": ({}, SEQ), "ZeroPadding2D": ({}, IMG), "ZeroPadding3D": ({}, VOL),
    "STFTSpectrogram": ({"frame_length": 16}, (64, 2)), "MelSpectrogram": ({"fft_length": 64}, (256,)),
    "HashedCrossing": ({"num_bins": 4}, None),
    "RandomShear": ({"x_factor": 0.1}, IMG), "RandomGaussianBlur": ({}, IMG), "RandomErasing": ({}, IMG),
    "MixUp": ({}, IMG), "CutMix": ({}, IMG), "RandomPerspective": ({}, IMG), "MaxNumBoundingBoxes": ({"max_number": 3}, IMG),
    "Pipeline": (lambda K: {"layers": [K.layers.Rescaling(0.5, name="inner")]}, IMG),
    "RandomElasticTransform": ({}, IMG),
}
# Keras's colour augmentations.
CASES.update({
    # Equalization unbuilt: Keras's compute_output_spec returns its input, which its functional
    # graph refuses as a cycle.
    "AutoContrast": ({}, IMG), "Equalization": ({}, None), "Solarization": ({"threshold_factor": 0.5}, IMG),
    "RandomInvert": ({}, IMG), "RandomGrayscale": ({}, IMG), "RandomPosterization": ({"factor": 4}, IMG),
    "RandomColorDegeneration": ({"factor": 0.5}, IMG), "RandomHue": ({"factor": 0.5}, IMG),
    "RandomSaturation": ({"factor": 0.5}, IMG), "RandomSharpness": ({"factor": 0.5}, IMG),
    "ContrastLimitedAdaptiveHistogramEqualization": ({"tile_grid_size": (2, 2)}, IMG),
    "RandomColorJitter": ({"brightness_factor": 0.2, "hue_factor": 0.3}, IMG),
})
# Catalogue entries that are not layer classes of their own here: InputLayer (made by Input),
# Lambda (a Python function), ThresholdedReLU (gone from Keras 3).
NOT_COMPARED = {"InputLayer", "Lambda", "ThresholdedReLU"}
# Keras 3.15's adaptive poolings, GroupQueryAttention and ReversibleEmbedding.
CASES.update({f"Adaptive{kind}Pooling{r}D": ({"output_size": 2}, shape) for kind in ("Average", "Max")
              for r, shape in ((1, SEQ), (2, IMG), (3, VOL))})
# Keras 3.15's RandAugment, AugMix and SpectralNormalization.
CASES.update({"RandAugment": ({"factor": 0.3}, IMG), "AugMix": ({"factor": 0.3}, IMG),
              "SpectralNormalization": (lambda K: {"layer": K.layers.Dense(2, name="inner")}, VEC)})
CASES.update({"GroupQueryAttention": ({"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1}, [SEQ, SEQ]),
              "ReversibleEmbedding": ({"input_dim": 10, "output_dim": 3}, (5,))})
NOT_COMPARED |= {"GroupedQueryAttention"}   # (the library's name for Keras's legacy .h5 entries)
# Keras 3 backend internals with no meaning here, absent on purpose (see the report of the
# binding's Layer API): quantization, LoRA, rematerialization, jax's call signature cache, the
# variable serialization spec of the orbax checkpoints.
INTERNAL = {"call_signature_parameters", "quantization_mode", "quantization_config", "quantized_build",
            "quantized_call", "rematerialized_call", "supports_jit", "variable_serialization_spec",
            "lora_alpha", "lora_enabled", "lora_rank", "get_quantization_layer_structure",
            # each class's implementation helpers in Keras (its own jax code, random generators,
            # the image-augmentation pipeline's per-tensor transforms, EinsumDense's GPTQ form)
            "rank", "convolution_op", "pool_mode", "seed_generator", "generator", "backend",
            "convert_weight", "noise_shape", "inner_loop", "single_state", "use_cudnn", "implementation",
            "get_dropout_mask", "get_recurrent_dropout_mask", "reset_dropout_mask",
            "reset_recurrent_dropout_mask", "transform_single_image", "transform_single_bounding_box",
            "transform_single_label", "transform_single_segmentation_mask", "transform_bounding_boxes",
            "transform_segmentation_masks", "transform_images", "transform_labels", "bounding_box_format",
            "get_random_transformation", "get_transformed_x_y", "get_shifted_bbox", "get_clipped_bbox",
            "height_lower", "height_upper", "width_lower", "width_upper", "height_axis", "width_axis",
            "gptq_unpacked_column_size", "partial_output_shape", "concat_score_weight", "score_mode",
            "scale", "finalize_state", "update_state", "summary", "output_dtype", "output_size", "factor:RandomCrop",
            # the base image layer's factor (-0.0, 0.0) that Keras sets on the layers taking none
            "factor:Equalization", "factor:ContrastLimitedAdaptiveHistogramEqualization",
            "factor:RandomColorJitter",
            "channel_axis", "get_elastic_transform_params", "factor:MixUp", "factor:MaxNumBoundingBoxes"}
# Not here yet (listed in the report, a gap to close, not a decision): the state API of stateful
# RNNs (the C ABI has no call to read or reset a recurrent layer's states).
NOT_YET = {"states", "reset_state", "reset_states", "get_initial_state",
           # MelSpectrogram's filter-bank helper (the library computes it; no ABI call reads it)
           "linear_to_mel_weight_matrix:MelSpectrogram",
           # SpectralNormalization's power iteration without assigning (the library runs it in
           # its training call; no ABI call returns its result)
           "normalized_weights:SpectralNormalization"}


def _class(name):
    return type(getattr(keras.layers, name)).__name__ and getattr(keras.layers, name)


def _make(lib, name):
    """The layer, named: the automatic names (dense_3) count the layers made before in the
    process, which differ between the libraries when other tests ran first."""
    args, shapes = CASES[name]
    args = args(lib) if callable(args) else dict(args)
    return getattr(lib.layers, name)(name=f"probe_{name.lower()}", **args), shapes


def _build(lib, name):
    """The layer built inside a functional model of `lib` (Keras builds it on the call)."""
    layer, shapes = _make(lib, name)
    if shapes is None:
        return layer, None
    many = isinstance(shapes, list)
    inputs = [lib.Input(s, name=f"in_{i}") for i, s in enumerate(shapes)] if many else lib.Input(shapes, name="in")
    outputs = layer(*inputs) if name in ("MultiHeadAttention", "GroupQueryAttention") else layer(inputs)   # (query, value)
    model = lib.Model(inputs, outputs, name="probe")
    if lib is sk and many:   # built by a first call, as Keras builds it on the symbolic call
        model.predict([np.zeros((1,) + s, np.float32) for s in shapes], verbose=0)
    elif lib is sk:
        model.build((None,) + shapes)
    return layer, model


def _public(obj):
    return {n for n in dir(obj) if not n.startswith("_")}


def _value(v):
    """A comparable form of an attribute value of either library."""
    if hasattr(v, "weights") and hasattr(v, "get_config"):   # a layer given as an argument
        return ("layer", type(v).__name__, v.name, v.built)
    if hasattr(v, "get_config") and not isinstance(v, type) and hasattr(v, "__class__") and \
            not hasattr(v, "weights"):
        config = {k: _value(x) for k, x in v.get_config().items()}
        return (type(v).__name__, config)
    if callable(v) and hasattr(v, "__name__"):
        return ("function", v.__name__)
    if isinstance(v, (list, tuple)):
        return tuple(_value(x) for x in v)
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    if isinstance(v, np.ndarray) or type(v).__module__.startswith("jax"):
        return tuple(np.asarray(v).ravel().tolist())
    return v


def test_every_catalogue_class_has_a_case():
    names = [n for n in _catalog.layer_names() if n not in NOT_COMPARED]
    aliases = {n for n in names if getattr(keras.layers, n).__name__ != n}
    assert sorted(set(names) - aliases - set(CASES)) == []


def test_aliases_are_the_class_they_name_as_in_keras():
    """keras.io's convmixer writes `layers.GlobalAvgPool2D()`: in Keras the alias is the class
    (the layer is named global_average_pooling2d and saved as GlobalAveragePooling2D)."""
    aliases = {n: getattr(keras.layers, n).__name__ for n in _catalog.layer_names()
               if hasattr(keras.layers, n) and getattr(keras.layers, n).__name__ != n}
    assert aliases, "Keras's aliases (MaxPool2D, Convolution2D, ...) are in the catalogue"
    assert {n: getattr(sk.layers, n).__name__ for n in aliases} == aliases
    assert all(getattr(sk.layers, n) is getattr(sk.layers, c) for n, c in aliases.items())
    pooled = sk.layers.GlobalAvgPool2D()
    assert pooled.name.startswith("global_average_pooling2d")
    assert sk.saving.serialize_keras_object(pooled)["class_name"] == "GlobalAveragePooling2D"


COMPARED = sorted(CASES)


@pytest.mark.parametrize("name", COMPARED)
def test_layer_attributes_match_keras(name):
    try:
        ref, ref_model = _build(keras, name)
    except (ImportError, ValueError) as e:   # Keras's TensorFlow-only layers (Hashing, lookups)
        if "TensorFlow" in str(e) or "tensorflow" in str(e):
            pytest.skip(f"Keras's {name} needs TensorFlow: {e}")
        raise
    ours, model = _build(sk, name)
    # The public attributes a Keras user reaches exist here, and those Keras lacks are absent.
    wanted = {n for n in _public(ref) if n not in INTERNAL and f"{n}:{name}" not in INTERNAL and _has(ref, n)}
    missing = sorted(n for n in wanted if not _has(ours, n) and n not in NOT_YET
                     and f"{n}:{name}" not in NOT_YET)
    assert missing == [], f"{name}: missing {missing}"
    for key in ("state_size", "output_size"):   # recurrent cells and layers: Keras's values
        if _has(ref, key):
            assert _value(getattr(ours, key)) == _value(getattr(ref, key)), f"{name}.{key}"
    # Constructor arguments (the config's keys) as Keras keeps them.
    for key in ref.get_config():
        if key in ("name", "dtype", "trainable", "seed") or not _has(ref, key) or key in INTERNAL \
                or key in NOT_YET:
            continue
        a, b = _value(getattr(ref, key)), _value(getattr(ours, key))
        assert a == b, f"{name}.{key}: keras {a!r}, ours {b!r}"
    # (supports_masking: test_masking_support.py, for every class of the catalogue)
    assert _spec(ours.input_spec) == _spec(ref.input_spec), name   # once built
    fresh, fresh_ref = _make(sk, name)[0], _make(keras, name)[0]
    assert _spec(fresh.input_spec) == _spec(fresh_ref.input_spec), name   # before the build
    assert fresh.built == fresh_ref.built, name   # before any call
    for key in fresh_ref.get_config():   # the arguments before the build, as Keras keeps them
        if key in ("name", "dtype", "trainable", "seed", "factor") or not _has(fresh_ref, key) \
                or key in INTERNAL or key in NOT_YET:   # factor: the library's, once built (above)
            continue
        a, b = _value(getattr(fresh_ref, key)), _value(getattr(fresh, key))
        assert a == b, f"{name}.{key} before the build: keras {a!r}, ours {b!r}"
    for attr in ("kernel", "embeddings"):   # a weight before the build: Keras's message
        if not _has(fresh_ref, attr) and attr in dir(fresh_ref):
            with pytest.raises(AttributeError) as ref_error:
                getattr(fresh_ref, attr)
            with pytest.raises(AttributeError) as our_error:
                getattr(fresh, attr)
            assert str(our_error.value) == str(ref_error.value), name
    assert ours.dtype == ref.dtype and ours.compute_dtype == ref.compute_dtype
    assert repr(ours.dtype_policy) == repr(ref.dtype_policy)
    if ref_model is None:
        return
    # Weights: Variables with Keras's names, paths, shapes, dtype and trainable flags.
    got = [(v.name, v.path, tuple(v.shape), v.dtype, v.trainable) for v in ours.weights]
    want = [(v.name, v.path, tuple(v.shape), v.dtype, v.trainable) for v in ref.weights]
    assert got == want, name
    assert [v.path for v in ours.trainable_variables] == [v.path for v in ref.trainable_variables]
    # Dropout and noise layers, recurrent layers (a generator per cell) and the random image
    # augmentations also list their seed generator's state, named by a process-wide count
    # ("seed_generator_7").
    def generic(path):
        return re.sub(r"^seed_generator_\d+/", "seed_generator/", path)
    listed = [generic(v.path) for v in ref.non_trainable_variables]
    assert [generic(v.path) for v in ours.non_trainable_variables] == listed
    # Every weight attribute (dense.kernel, bn.moving_mean, lstm.cell.kernel ...) is one of them.
    for attr in _weight_attributes(ref):
        a, b = _dotted(ref, attr), _dotted(ours, attr)
        assert (b.path, b.shape) == (a.path, tuple(a.shape)), f"{name}.{attr}"
    assert ours.path == ref.path and ours.built == ref.built, name
    assert ours.get_build_config() == ref.get_build_config(), name
    # Its symbolic input and output, with Keras's shapes.
    shapes = lambda t: [tuple(x.shape) for x in t] if isinstance(t, (list, tuple)) else tuple(t.shape)  # noqa: E731
    assert shapes(ours.input) == shapes(ref.input) and shapes(ours.output) == shapes(ref.output), name
    assert ours.input_dtype == ref.input_dtype and ours.metrics == ref.metrics == []


def _spec(spec):
    """An InputSpec (or a list of them) of either library as its fields and repr."""
    if isinstance(spec, (list, tuple)):
        return [_spec(s) for s in spec]
    if spec is None:
        return None
    return (type(spec).__name__, repr(spec), spec.ndim, spec.min_ndim, spec.max_ndim, spec.axes,
            spec.shape, spec.dtype, spec.allow_last_axis_squeeze, spec.name, spec.optional)


def test_input_spec_constructor_and_repr_are_keras():
    for kwargs in ({"ndim": 3}, {"min_ndim": 2, "axes": {-1: 4}}, {"shape": (None, 5), "dtype": "float32"},
                   {"max_ndim": 4, "axes": {"1": 2}}):
        assert _spec(sk.InputSpec(**kwargs)) == _spec(keras.InputSpec(**kwargs)), kwargs
        assert _spec(sk.layers.InputSpec(**kwargs)) == _spec(keras.layers.InputSpec(**kwargs)), kwargs
    for bad in ({"axes": {"x": 1}}, {"ndim": 2, "axes": {3: 1}}):
        with pytest.raises((TypeError, ValueError)) as ours:
            sk.InputSpec(**bad)
        with pytest.raises((TypeError, ValueError)) as ref:
            keras.InputSpec(**bad)
        assert (type(ours.value), str(ours.value)) == (type(ref.value), str(ref.value))


def test_input_spec_follows_the_layer_arguments_as_keras():
    cases = [("Conv2D", {"filters": 2, "kernel_size": 3, "data_format": "channels_first"}, (3, 8, 8)),
             ("PReLU", {"shared_axes": [1]}, (5, 4)), ("BatchNormalization", {"axis": 1}, (3, 4)),
             ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4)), ("Dense", {"units": 2}, (5, 7))]
    for name, args, shape in cases:
        specs = []
        for lib in (sk, keras):
            layer = getattr(lib.layers, name)(**args)
            before = _spec(layer.input_spec)
            i = lib.Input(shape)
            model = lib.Model(i, layer(i))
            if lib is sk:
                model.build((None,) + shape)
            specs.append((before, _spec(layer.input_spec)))
        assert specs[0] == specs[1], name


def _has(obj, name):
    try:
        getattr(obj, name)
        return True
    except Exception:  # noqa: BLE001 — Keras's properties raise more than AttributeError
        return False


def _dotted(obj, path):
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _weight_attributes(layer):
    """Keras's attributes of `layer` (and of its `cell`, `layer`, `forward_layer`) that are
    Variables."""
    found = []
    for prefix, obj in [("", layer)] + [(p + ".", getattr(layer, p)) for p in (
            "cell", "layer", "forward_layer", "backward_layer", "query_dense", "key_dense", "value_dense", "output_dense")
                                       if _has(layer, p) and hasattr(getattr(layer, p), "weights")]:
        for n in sorted(_public(obj) - INTERNAL):
            if n in ("weights", "variables", "trainable_weights", "non_trainable_weights",
                     "trainable_variables", "non_trainable_variables"):
                continue
            try:
                v = getattr(obj, n)
            except Exception:  # noqa: BLE001
                continue
            if isinstance(v, keras.Variable):
                found.append(prefix + n)
    return found


def test_assigning_through_weight_attributes_changes_predictions_as_keras():
    x = np.random.RandomState(1).rand(5, 4).astype("float32")
    models = {}
    for lib in (sk, keras):
        m = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, name="d"),
                            lib.layers.BatchNormalization(name="bn")], name="s")
        models[lib] = m
    ours, ref = models[sk], models[keras]
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    rs = np.random.RandomState(2)
    kernel, gamma, mean = rs.rand(4, 3), rs.rand(3) + 0.5, rs.rand(3)
    for m in (ours, ref):
        d, bn = m.get_layer("d"), m.get_layer("bn")
        d.kernel.assign(kernel)
        bn.gamma.assign(gamma)
        bn.moving_mean.assign(mean)
        d.bias.assign_add(np.ones(3))
        m.weights[-1].assign(np.full(3, 2.0))   # moving_variance, through model.weights
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ours.get_layer("d").kernel), kernel, rtol=1e-6)
    assert ours.get_layer("d").kernel.numpy().dtype == np.float32
    with pytest.raises(ValueError, match="must match"):
        ours.get_layer("d").kernel.assign(np.zeros((3, 3)))
    # Variables work with numpy as Keras's do.
    k = ours.get_layer("d").kernel
    np.testing.assert_allclose(k + 1, kernel + 1, rtol=1e-6)
    np.testing.assert_allclose(x @ k, x @ kernel, rtol=1e-5)
    assert len(k) == 4 and k.ndim == 2 and k[0].shape == (3,)


def test_recurrent_cell_weights_assign_as_keras():
    x = np.random.RandomState(3).rand(2, 6, 4).astype("float32")
    models = {lib: lib.Sequential([lib.Input((6, 4)), lib.layers.LSTM(3, name="r")], name="s") for lib in (sk, keras)}
    ours, ref = models[sk], models[keras]
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    rk = np.random.RandomState(4).rand(3, 12) * 0.1
    for m in (ours, ref):
        m.get_layer("r").cell.recurrent_kernel.assign(rk)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    both = {lib: lib.Sequential([lib.Input((6, 4)), lib.layers.Bidirectional(lib.layers.LSTM(2, name="r"), name="b")],
                                name="s") for lib in (sk, keras)}
    ours, ref = both[sk], both[keras]
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    for m in (ours, ref):
        bidi = m.get_layer("b")
        bidi.backward_layer.cell.kernel.assign(np.full((4, 8), 0.1, np.float32))
    for path in ("forward_layer.cell.kernel", "backward_layer.cell.bias"):
        assert _dotted(ours.get_layer("b"), path).path == _dotted(ref.get_layer("b"), path).path
    assert ours.get_layer("b").backward_layer.go_backwards is True
    free = {lib: lib.Sequential([lib.Input((None, 4)), lib.layers.GRU(2)]) for lib in (sk, keras)}   # any length
    assert free[sk].layers[0].cell.kernel.shape == tuple(free[keras].layers[0].cell.kernel.shape) == (4, 6)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_model_attributes_match_keras():
    def functional(lib):
        i = lib.Input((4,), name="x")
        return lib.Model(i, lib.layers.Dense(2, name="out")(lib.layers.Dense(3, name="h")(i)), name="f")

    ours, ref = functional(sk), functional(keras)
    ours.build((None, 4))
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.1), "mse")
    assert ours.output_names == ref.output_names == ["out"]
    assert [op.name for op in ours.operations] == [op.name for op in ref.operations]
    assert [(s.shape, s.ndim) for s in ours.input_spec] == [(s.shape, s.ndim) for s in ref.input_spec]
    assert ours.compute_output_shape((None, 4)) == ref.compute_output_shape((None, 4))
    assert ours.compute_output_spec(keras.KerasTensor((None, 4))).shape == (None, 2)
    for attr in ("dtype", "compute_dtype", "variable_dtype", "input_dtype", "path", "supports_masking",
                 "steps_per_execution", "autocast"):
        assert getattr(ours, attr) == getattr(ref, attr), attr
    assert repr(ours.dtype_policy) == repr(ref.dtype_policy)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    x = np.random.RandomState(5).rand(3, 4).astype("float32")
    np.testing.assert_allclose(ours.call(x), np.asarray(ref.call(x)), rtol=1e-5, atol=1e-6)
    tree, ref_tree = ours.get_state_tree(), ref.get_state_tree()
    assert sorted(tree["trainable_variables"]) == sorted(ref_tree["trainable_variables"])
    np.testing.assert_allclose(tree["trainable_variables"]["h"]["kernel"],
                               np.asarray(ref_tree["trainable_variables"]["h"]["kernel"]))
    tree["trainable_variables"]["h"]["kernel"] = np.zeros((4, 3), np.float32)
    ours.set_state_tree(tree)
    assert not np.any(ours.get_layer("h").get_weights()[0])
    store = {}
    ours.get_layer("out").save_own_variables(store)
    ref_store = {}
    ref.get_layer("out").save_own_variables(ref_store)
    assert sorted(store) == sorted(ref_store) == ["0", "1"]
    ours.get_layer("out").load_own_variables({"0": np.ones((3, 2)), "1": np.ones(2)})
    assert np.all(ours.get_layer("out").get_weights()[0] == 1)
    with pytest.raises(ValueError, match="expected 2 variables"):
        ours.get_layer("out").load_own_variables({"0": np.ones((3, 2))})
    seq = {lib: lib.Sequential([lib.Input((4,)), lib.layers.Dense(2, name="d")], name="s") for lib in (sk, keras)}
    for lib, m in seq.items():   # built when made, as Keras builds it: its weights exist at once
        assert m.layers[0].kernel.shape == (4, 2) and m.layers[0].built
    seq = {lib: lib.Sequential([lib.Input((4,)), lib.layers.Dense(2, name="d")], name="s") for lib in (sk, keras)}
    for lib, m in seq.items():
        assert not hasattr(m, "output_names") and not hasattr(m, "operations") and m.input_spec is None
        assert m.layers[0].input.shape == (None, 4) and m.layers[0].output.shape == (None, 2)
        assert m.layers[0].path == m.name + "/" + m.layers[0].name


def test_refused_backend_methods_name_what_to_use():
    m = sk.Sequential([sk.Input((4,)), sk.layers.Dense(2)])
    m.build((None, 4))
    for call, words in [(m.make_train_function, "fit"), (m.make_predict_function, "predict"),
                        (lambda: m.export("x"), "model.save"),
                        (lambda: m.add_weight((2,)), "add_weight"),
                        (lambda: m.add_loss(1.0), "compute_loss"),
                        (lambda: m.layers[0].enable_lora(2), "trainable")]:
        with pytest.raises(NotImplementedError, match=words):
            call()
    with pytest.raises(NotImplementedError, match="deprecated"):   # Keras's own refusal
        m.layers[0].add_metric(1.0)
    with pytest.raises(NotImplementedError, match="deprecated"):
        keras.layers.Dense(2).add_metric(1.0)


# Model names of Keras 3's jax backend with no meaning here, absent on purpose: the jax state
# sync and stateless training entry points, the compiled step functions Keras keeps as
# attributes (the library compiles and runs its own; make_*_function are refused naming fit,
# evaluate and predict), quantization and rematerialization internals.
MODEL_INTERNAL = {"call_signature_parameters", "compute_loss_and_updates", "get_quantization_layer_structure",
                  "jax_state_sync", "quantization_mode", "quantized_build", "quantized_call",
                  "rematerialized_call", "stateless_compute_loss", "supports_jit", "predict_function",
                  "test_function", "train_function"}


def _models(lib):
    x, y = np.zeros((8, 4), np.float32), np.zeros((8, 3), np.float32)
    i = lib.Input((4,))
    functional = lib.Model(i, lib.layers.Dense(3)(lib.layers.Dense(8)(i)))
    sequential = lib.Sequential([lib.Input((4,)), lib.layers.Dense(8), lib.layers.Dense(3)])

    class TwoDense(lib.Model):
        def __init__(self):
            super().__init__()
            self.a, self.b = lib.layers.Dense(8), lib.layers.Dense(3)

        def call(self, z):
            return self.b(self.a(z))

    subclassed = TwoDense()
    for m in (functional, sequential, subclassed):
        m.compile(optimizer="adam", loss="mse")
        m.fit(x, y, verbose=0)
    return {"functional": functional, "sequential": sequential, "subclassed": subclassed}


def test_model_names_exist_where_keras_has_them():
    ours, ref = _models(sk), _models(keras)
    for kind, r in ref.items():
        differ = [(n, _has(r, n), _has(ours[kind], n)) for n in sorted(_public(r) - MODEL_INTERNAL)
                  if _has(r, n) != _has(ours[kind], n)]
        assert differ == [], f"{kind} model: (name, keras, ours) {differ}"


def test_python_layer_weights_are_variables_as_in_keras():
    source = """
class Scale(keras.layers.Layer):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="kernel")
        self.offset = self.add_weight(shape=(1,), initializer="zeros", trainable=False, name="offset")

    def call(self, x):
        return x * self.kernel + self.offset
"""
    from conftest import exec_layers
    x = np.random.RandomState(6).rand(3, 4).astype("float32")
    models = {}
    for lib in (sk, keras):
        layer = exec_layers(source, lib)["Scale"](name="scale")
        models[lib] = lib.Sequential([lib.Input((4,)), layer], name="s")
        models[lib].predict(x, verbose=0)
    ours, ref = (models[lib].layers[0] for lib in (sk, keras))
    assert [(v.name, v.path, tuple(v.shape), v.trainable) for v in ours.weights] == \
        [(v.name, v.path, tuple(v.shape), v.trainable) for v in ref.weights]
    assert [v.path for v in ours.non_trainable_weights] == [v.path for v in ref.non_trainable_weights]
    for layer in (ours, ref):
        layer.kernel.assign(np.array([1.0, 2.0, 3.0, 4.0], np.float32))
        layer.weights[1].assign(np.array([0.5], np.float32))
    np.testing.assert_allclose(models[sk].predict(x, verbose=0), np.asarray(models[keras].predict(x, verbose=0)),
                               rtol=1e-6)
    assert ours.path == ref.path


def test_normalization_statistics_as_keras():
    x = np.random.RandomState(7).rand(10, 3, 4).astype("float32")
    got = {}
    for lib in (sk, keras):
        given = lib.layers.Normalization(mean=[1.0, 2.0, 3.0, 4.0], variance=[2.0, 2.0, 2.0, 2.0])
        before = given.mean
        given.build((None, 3, 4)) if lib is keras else given(x)
        adapted = lib.layers.Normalization()
        adapted.adapt(x)
        got[lib] = (before, given.input_mean, np.asarray(given.mean), np.asarray(given.variance),
                    np.asarray(adapted.mean), np.asarray(adapted.variance))
    ours, ref = got[sk], got[keras]
    assert ours[0] is None and ref[0] is None and ours[1] == ref[1]
    for a, b in zip(ours[2:], ref[2:]):
        assert a.shape == b.shape == (1, 1, 4)
        np.testing.assert_allclose(a, b, rtol=1e-5)


@pytest.mark.parametrize("case", ["lstm_cell", "stacked", "cell_list", "conv_lstm"])
def test_recurrent_state_size_matches_keras(case):
    """`state_size` of RNN over each kind of cell (and the cells' `output_size`), as Keras's."""
    def make(lib):
        L = lib.layers
        if case == "lstm_cell":
            return L.RNN(L.LSTMCell(4))
        if case == "stacked":
            return L.RNN(L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)]))
        if case == "cell_list":
            return L.RNN([L.SimpleRNNCell(5), L.LSTMCell(2)])
        return L.ConvLSTM2D(2, 3)
    ours, ref = make(sk), make(keras)
    assert _value(ours.state_size) == _value(ref.state_size)
    if case == "stacked":
        assert ours.cell.output_size == ref.cell.output_size
        assert _value(ours.cell.state_size) == _value(ref.cell.state_size)


def test_input_layer_config_and_source_inputs_are_keras():
    """An InputLayer's get_config is Keras's (shape, dtype, name; no `trainable`) before and
    after a model holds it, and get_source_inputs walks back to the inputs as Keras does."""
    import swiftkeras
    keras = real_keras()
    configs, sources = [], []
    for lib in (swiftkeras, keras):
        lib.backend.clear_session()
        a = lib.Input((3,), dtype="int32", name="a", batch_size=4)
        b = lib.Input((3,), name="b")
        unbuilt = a._keras_history[0].get_config()
        out = lib.layers.Dense(2)(lib.layers.Concatenate()([lib.ops.cast(a, "float32"), b]))
        model = lib.Model([a, b], out)
        configs.append((unbuilt, model.get_layer("a").get_config(),
                        model.get_layer("b").get_config()))
        sources.append([t.name for t in lib.utils.get_source_inputs(out)])
    assert configs[0] == configs[1]
    assert sources[0] == sources[1] == ["a", "b"]


@pytest.mark.parametrize("mask_zero", [False, True])
def test_embedding_supports_masking_is_its_mask_zero(mask_zero):
    """Keras's Embedding sets `supports_masking` to its `mask_zero` (the one built-in layer whose
    value depends on an argument)."""
    made = [lib.layers.Embedding(10, 3, mask_zero=mask_zero) for lib in (keras, sk)]
    assert made[1].supports_masking == made[0].supports_masking == mask_zero
