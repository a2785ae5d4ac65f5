"""`get_config()` of every class in `swiftkeras.layers` that real Keras 3 also has, against
Keras's, key for key (in Keras's order) and value for value: with Keras's defaults (and the
arguments a class cannot be made without), and with non-default arguments (initializer,
regularizer and constraint objects, whose float32 values Keras keeps: `L1(0.01)` is written
`0.009999999776482582`, nested layers, dtype policies). Keras runs in the test process (the
whole sweep takes seconds). A model holding such layers writes Keras's config into its `.keras`
file, and a file Keras wrote loads here with the same layer configs."""

import inspect
import json
import zipfile

import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

_CONV = dict(filters=4, kernel_size=3)
_POOL = dict(pool_size=2)

# The arguments a class cannot be made without (Keras's required ones); a function of the
# module (keras or swiftkeras) where they are layers themselves. Nested layers are named, as
# Keras's and our automatic names count separately.
REQUIRED = {
    "Activation": dict(activation="relu"),
    **{f"Adaptive{k}Pooling{d}D": dict(output_size=2) for k in ("Average", "Max") for d in (1, 2, 3)},
    **{c: dict(rate=0.3) for c in ("AlphaDropout", "Dropout", "GaussianDropout", "SpatialDropout1D",
                                   "SpatialDropout2D", "SpatialDropout3D")},
    "GaussianNoise": dict(stddev=0.2),
    **{f"{k}Pooling{d}D": _POOL for k in ("Average", "Max") for d in (1, 2, 3)},
    **{f"{k}Pool{d}D": _POOL for k in ("Avg", "Max") for d in (1, 2, 3)},
    "Bidirectional": lambda m: dict(layer=m.layers.LSTM(3, name="inner")),
    "TimeDistributed": lambda m: dict(layer=m.layers.Dense(3, name="inner")),
    "SpectralNormalization": lambda m: dict(layer=m.layers.Dense(3, name="inner")),
    "RNN": lambda m: dict(cell=m.layers.LSTMCell(3, name="inner")),
    "StackedRNNCells": lambda m: dict(cells=[m.layers.LSTMCell(3, name="c0"), m.layers.GRUCell(2, name="c1")]),
    "Pipeline": lambda m: dict(layers=[m.layers.Rescaling(0.5, name="inner")]),
    "CategoryEncoding": dict(num_tokens=5),
    "CenterCrop": dict(height=4, width=5), "RandomCrop": dict(height=4, width=5, seed=3),
    "Resizing": dict(height=4, width=5),
    **{f"Conv{d}D": _CONV for d in (1, 2, 3)}, **{f"Conv{d}DTranspose": _CONV for d in (1, 2, 3)},
    **{f"Convolution{d}D": _CONV for d in (1, 2, 3)},
    **{f"Convolution{d}DTranspose": _CONV for d in (1, 2, 3)},
    **{f"ConvLSTM{d}D": _CONV for d in (1, 2, 3)},
    **{f"SeparableConv{d}D": _CONV for d in (1, 2)}, **{f"SeparableConvolution{d}D": _CONV for d in (1, 2)},
    "DepthwiseConv1D": dict(kernel_size=3), "DepthwiseConv2D": dict(kernel_size=3),
    "Dense": dict(units=4), "Discretization": dict(num_bins=4), "Dot": dict(axes=1),
    "EinsumDense": dict(equation="ab,bc->ac", output_shape=4),
    "Embedding": dict(input_dim=10, output_dim=3), "ReversibleEmbedding": dict(input_dim=10, output_dim=3),
    **{c: dict(units=3) for c in ("GRU", "GRUCell", "LSTM", "LSTMCell", "SimpleRNN", "SimpleRNNCell")},
    "GroupQueryAttention": dict(head_dim=4, num_query_heads=4, num_key_value_heads=2),
    "MultiHeadAttention": dict(num_heads=2, key_dim=3),
    "InputLayer": dict(shape=(3,)), "InputSpec": dict(ndim=3, axes={-1: 4}),
    "MaxNumBoundingBoxes": dict(max_number=3),
    "Permute": dict(dims=(2, 1)), "RepeatVector": dict(n=3), "Reshape": dict(target_shape=(2, 3)),
    "Rescaling": dict(scale=0.5),
    **{f"Random{k}": dict(factor=0.2) for k in ("Brightness", "ColorDegeneration", "Contrast", "Hue",
                                                 "Rotation", "Saturation", "Sharpness")},
    "RandomPosterization": dict(factor=4),
    "RandomTranslation": dict(height_factor=0.2, width_factor=0.3), "RandomZoom": dict(height_factor=0.2),
}

# Keras classes whose default config cannot be compared here: those Keras makes only with
# TensorFlow installed, and bases with no config of their own (Layer's, Wrapper's) or a Python
# function (Lambda).
NOT_COMPARED = {"HashedCrossing", "Hashing", "IntegerLookup", "StringLookup", "TextVectorization",
                "Layer", "Wrapper", "Lambda"}

CLASSES = sorted(n for n in dir(keras.layers)
                 if inspect.isclass(getattr(keras.layers, n)) and hasattr(sk.layers, n)
                 and n not in NOT_COMPARED)

# Non-default arguments: objects as arguments (initializers, regularizers, constraints, whose
# float32 values Keras keeps), numbers of several kinds, tuples, data formats, nested configs.
_REG = lambda m: dict(  # noqa: E731
    kernel_initializer=m.initializers.HeNormal(seed=3), bias_initializer=m.initializers.Constant(0.2),
    kernel_regularizer=m.regularizers.L1(0.01), bias_regularizer=m.regularizers.L1L2(l1=0.01),
    activity_regularizer=m.regularizers.L2(0.3), kernel_constraint=m.constraints.MaxNorm(2.5),
    bias_constraint=m.constraints.MinMaxNorm(0.1, 0.7, rate=0.3))
WITH_ARGUMENTS = {
    "Dense": lambda m: dict(units=4, activation="relu", use_bias=True, **_REG(m)),
    "Dense-orthogonal": lambda m: dict(units=4, kernel_regularizer=m.regularizers.OrthogonalRegularizer(0.02),
                                       kernel_constraint=m.constraints.UnitNorm(axis=1),
                                       bias_constraint=m.constraints.NonNeg()),
    "Dense-strings": dict(units=4, kernel_regularizer="l1", bias_regularizer="l2", kernel_constraint="non_neg",
                          kernel_initializer="he_uniform"),
    "EinsumDense": lambda m: dict(equation="abc,cd->abd", output_shape=(None, 5), bias_axes="d",
                                  kernel_regularizer=m.regularizers.L1(0.003)),
    "Conv2D": lambda m: dict(filters=8, kernel_size=(3, 2), strides=2, padding="same", data_format="channels_first",
                             dilation_rate=1, groups=2, activation="tanh", **_REG(m)),
    "Conv1DTranspose": dict(filters=3, kernel_size=4, strides=2, padding="same", output_padding=1),
    "SeparableConv2D": lambda m: dict(filters=4, kernel_size=3, depth_multiplier=2,
                                      depthwise_regularizer=m.regularizers.L1(0.05),
                                      pointwise_constraint=m.constraints.MaxNorm(3)),
    "DepthwiseConv2D": lambda m: dict(kernel_size=3, depth_multiplier=3,
                                      depthwise_regularizer=m.regularizers.L1L2(0.01, 0.02)),
    "LSTM": lambda m: dict(units=5, return_sequences=True, go_backwards=True, dropout=0.25,
                           recurrent_dropout=0.1, unit_forget_bias=False, seed=7,
                           recurrent_regularizer=m.regularizers.L1(0.02),
                           recurrent_constraint=m.constraints.MaxNorm(2.0)),
    "GRU": dict(units=5, reset_after=False, return_state=True, recurrent_activation="hard_sigmoid"),
    "SimpleRNN": dict(units=2, activation="relu", unroll=True),
    "Bidirectional": lambda m: dict(layer=m.layers.GRU(4, return_sequences=True, name="fwd"),
                                    merge_mode="sum"),
    "Bidirectional-regularized": lambda m: dict(layer=m.layers.LSTM(
        3, kernel_regularizer=m.regularizers.L1(0.01), name="fwd")),
    "TimeDistributed": lambda m: dict(layer=m.layers.Dense(3, kernel_regularizer=m.regularizers.L1(0.01),
                                                           name="inner")),
    "RNN": lambda m: dict(cell=m.layers.GRUCell(3, recurrent_regularizer=m.regularizers.OrthogonalRegularizer(0.01),
                                                name="inner"), return_sequences=True),
    "Dense-untrainable": dict(units=3, trainable=False),
    "Embedding": lambda m: dict(input_dim=20, output_dim=4, mask_zero=True,
                                embeddings_regularizer=m.regularizers.L1(0.01),
                                embeddings_constraint=m.constraints.UnitNorm()),
    "BatchNormalization": lambda m: dict(axis=1, momentum=0.9, epsilon=1e-4, center=False,
                                         gamma_regularizer=m.regularizers.L1(0.01),
                                         beta_constraint=m.constraints.NonNeg()),
    "LayerNormalization": dict(axis=-1, epsilon=1e-5, rms_scaling=True),
    "GroupNormalization": dict(groups=2, epsilon=1e-4),
    "MultiHeadAttention": lambda m: dict(num_heads=3, key_dim=4, value_dim=5, dropout=0.1, use_bias=False,
                                         output_shape=6, attention_axes=(1,),
                                         kernel_regularizer=m.regularizers.L1(0.01)),
    "Dropout": dict(rate=0.5, noise_shape=(None, 1), seed=4),
    "LeakyReLU": dict(negative_slope=0.2),
    "PReLU": lambda m: dict(alpha_regularizer=m.regularizers.L1(0.01), shared_axes=(1,)),
    "MaxPooling2D": dict(pool_size=(3, 2), strides=1, padding="same", data_format="channels_first"),
    "Reshape": dict(target_shape=(-1, 2)),
    "ZeroPadding2D": dict(padding=((1, 2), (3, 4))),
    "Cropping1D": dict(cropping=(2, 1)),
    "RandomFlip": dict(mode="horizontal", seed=5),
    "Normalization": dict(axis=(1, 2), mean=0.5, variance=2.0),
    "Rescaling": dict(scale=1 / 255, offset=-1),
    "ActivityRegularization": dict(l1=0.01, l2=0.02),
    "UnitNormalization": dict(axis=(1, 2)),
}


def _arguments(table, key, module):
    args = table.get(key, {})
    return args(module) if callable(args) else dict(args)


def _plain(value):
    """JSON's view of a config (tuples are lists), as a file holds it."""
    return json.loads(json.dumps(value))


def _assert_configs_equal(ours, theirs, what):
    ours, theirs = _plain(ours), _plain(theirs)
    differing = {k: (ours.get(k, "<absent>"), theirs.get(k, "<absent>"))
                 for k in list(theirs) + [k for k in ours if k not in theirs]
                 if ours.get(k, "<absent>") != theirs.get(k, "<absent>")}
    assert not differing, f"{what}: (ours, Keras's) differ: {differing}"
    assert list(ours) == list(theirs), f"{what}: keys in another order than Keras's"


def test_the_sweep_covers_the_layers():
    assert len(CLASSES) > 140, CLASSES


@pytest.mark.parametrize("class_name", CLASSES)
def test_default_config_is_keras(class_name):
    def make(module):
        named = {} if class_name == "InputSpec" else {"name": "probe"}
        return getattr(module.layers, class_name)(**named, **_arguments(REQUIRED, class_name, module))
    _assert_configs_equal(make(sk).get_config(), make(keras).get_config(), class_name)


@pytest.mark.parametrize("case", sorted(WITH_ARGUMENTS))
def test_config_with_arguments_is_keras(case):
    class_name = case.split("-")[0]

    def make(module):
        return getattr(module.layers, class_name)(name="probe", **_arguments(WITH_ARGUMENTS, case, module))
    _assert_configs_equal(make(sk).get_config(), make(keras).get_config(), case)


def _base_layer_classes(module):
    """The base Layer and subclasses of it as users write them: without a constructor, with one
    taking `**kw` (Keras's automatic config then has no `name`), with one taking `**kwargs`,
    and with a get_config of their own calling the base one."""
    class NoInit(module.layers.Layer):
        def call(self, x):
            return x

    class OwnInit(module.layers.Layer):
        def __init__(self, units=3, **kw):
            super().__init__(**kw)
            self.units = units

    class OwnInitKwargs(module.layers.Layer):
        def __init__(self, units=3, rate=0.5, **kwargs):
            super().__init__(**kwargs)
            self.units, self.rate = units, rate

    class OwnConfig(module.layers.Layer):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return {"Layer": module.layers.Layer, "NoInit": NoInit, "OwnInit": OwnInit,
            "OwnInitKwargs": OwnInitKwargs, "OwnConfig": OwnConfig}


BASE_LAYER_CASES = {**{name: {} for name in ("Layer", "NoInit", "OwnInit", "OwnInitKwargs", "OwnConfig")},
                    "Layer-args": dict(trainable=False, autocast=False),
                    "NoInit-args": dict(trainable=False, autocast=False),
                    "OwnInit-args": dict(units=5, autocast=False, trainable=False),
                    "OwnInitKwargs-args": dict(rate=0.25, autocast=False, trainable=False),
                    "OwnConfig-args": dict(units=5, autocast=False)}


@pytest.mark.parametrize("case", sorted(BASE_LAYER_CASES))
def test_base_layer_and_subclass_configs_are_keras(case):
    """Keras's base Layer config (its automatic one: name, activity_regularizer, trainable,
    dtype, autocast) and a subclass's: the constructor's arguments where it has no get_config,
    the base keys only (no activity_regularizer, no autocast) where its own calls the base's."""
    def make(module):
        return _base_layer_classes(module)[case.split("-")[0]](name="probe", **BASE_LAYER_CASES[case])
    _assert_configs_equal(make(sk).get_config(), make(keras).get_config(), case)


def _without_shared_ids(value):
    """A config without Keras's `shared_object_id` marks: Keras's saving marks an object it
    serializes twice in one file (an activity regularizer, which a layer's config holds twice),
    which its loading shares again; this library writes and reads each copy."""
    if isinstance(value, dict):
        return {k: _without_shared_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_without_shared_ids(v) for v in value]
    return value


def _layer_configs(path):
    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    return {e["config"]["name"]: _without_shared_ids(e["config"]) for e in config["config"]["layers"]}


def _model(module):
    return module.Sequential([
        module.Input((6, 3), name="x"),   # named: the automatic name counts per process
        module.layers.Conv1D(4, 2, name="conv", **_REG(module)),
        module.layers.LSTM(3, name="lstm", recurrent_regularizer=module.regularizers.L1(0.02),
                           kernel_regularizer=module.regularizers.OrthogonalRegularizer(0.01)),
        module.layers.Dense(2, name="dense", **_REG(module)),
    ], name="regularized")


def test_saved_layer_configs_are_keras_and_load_both_ways(tmp_path):
    ours_path, theirs_path = tmp_path / "ours.keras", tmp_path / "theirs.keras"
    _model(sk).save(ours_path)
    _model(keras).save(theirs_path)
    ours, theirs = _layer_configs(ours_path), _layer_configs(theirs_path)
    assert ours["dense"]["kernel_regularizer"]["config"] == {"l1": 0.009999999776482582}
    for name in theirs:
        _assert_configs_equal(ours[name], theirs[name], f"saved {name}")
    # Keras's file loads here with Keras's configs; ours loads in Keras with the same.
    loaded = sk.models.load_model(theirs_path)
    for name in ("conv", "lstm", "dense"):
        _assert_configs_equal(loaded.get_layer(name).get_config(), theirs[name], f"loaded {name}")
    back = keras.models.load_model(ours_path)
    for name in ("conv", "lstm", "dense"):
        _assert_configs_equal(back.get_layer(name).get_config(), theirs[name], f"Keras loading ours: {name}")
