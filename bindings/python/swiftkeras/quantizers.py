"""Quantizers (Keras 3: `keras.quantizers`, keras/src/quantizers/quantizers.py): the numeric
helpers on arrays — abs-max int8 quantization, float8 scale and amax-history updates, a
quantize-dequantize round trip, int4 packing — and the Quantizer classes, as Keras computes
them (on numpy; Keras's JAX backend gives the same numbers).

`QuantizationConfig` and `Int8QuantizationConfig` are what `model.quantize(config=...)` takes
(Keras 3.15); the library computes Keras's default int8 scheme, so a config asking for other
quantizers is refused by `quantize`."""

import inspect

import numpy as np

from . import backend as _backend
from ._dtypes import as_keras_array
from ._objects import module_serialization, snake_case


class Quantizer:
    """Base of the quantizers: `quantizer(x)` returns `x` quantized (the base: `x` itself).
    Keras: `keras.Quantizer`, `keras.quantizers.Quantizer`."""

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")

    def _keras_config(self):
        """Keras's serialized form (`keras.quantizers.serialize`)."""
        cls = type(self)
        builtin = cls.__module__ == __name__
        return {"module": "keras.quantizers" if builtin else cls.__module__,
                "class_name": cls.__name__, "config": self.get_config(),
                "registered_name": None if builtin else
                getattr(cls, "_registered_name", None) or cls.__name__}


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8",
                     epsilon=_backend.epsilon(), to_numpy=False):
    """`(quantized, scale)`: `inputs` times `value_range[1]` over their largest magnitude along
    `axis` (plus `epsilon`), rounded and clipped to `value_range`, in `dtype`; `scale` keeps the
    reduced axes. Keras: `keras.quantizers.abs_max_quantize`."""
    inputs = as_keras_array(inputs)
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    scale = np.divide(value_range[1], np.add(np.max(np.abs(inputs), axis=axis, keepdims=True),
                                             epsilon))
    scale = scale.astype(inputs.dtype)
    outputs = np.clip(np.round(np.multiply(inputs, scale)), value_range[0], value_range[1])
    return outputs.astype(dtype), scale


def abs_max_quantize_grouped_with_zero_point(inputs, block_size, value_range=(-8, 7), dtype="int8",
                                             epsilon=_backend.epsilon(), to_numpy=False):
    """`(quantized, scale, zero_point)` of a 2-D `inputs` (`(input_dim, output_dim)`) quantized
    asymmetrically in groups of `block_size` rows (the last group zero-padded): each group and
    column gets a scale and an int8 zero point (`(n_groups, output_dim)`), and `quantized` is
    `round(inputs / scale) + zero_point` clipped to `value_range`, in `dtype`. With `to_numpy`,
    Keras's numpy path (no widening of a group whose values are all equal). Keras:
    `keras.quantizers.abs_max_quantize_grouped_with_zero_point`."""
    from ._gptq import compute_quantization_parameters
    inputs = as_keras_array(inputs)
    if inputs.ndim != 2:
        raise ValueError(f"abs_max_quantize_grouped_with_zero_point: inputs must be 2-D "
                         f"(input_dim, output_dim), got shape {inputs.shape}")
    input_dim, output_dim = inputs.shape
    qmin, qmax = value_range
    n_groups = -(-input_dim // block_size)
    padded = np.pad(inputs, [[0, n_groups * block_size - input_dim], [0, 0]])
    grouped = padded.reshape(n_groups, block_size, output_dim)
    if to_numpy:
        lo, hi = grouped.min(axis=1), grouped.max(axis=1)
        scale = np.divide(np.subtract(hi, lo) + epsilon, qmax - qmin)
        zero_point = np.clip(np.round(np.divide(-lo, scale)) + qmin, qmin, qmax).astype(np.int8)
    else:
        bits = int(np.log2(qmax - qmin + 1))
        scale, zero_point, _ = compute_quantization_parameters(
            np.ascontiguousarray(inputs.T, np.float32), bits=bits, per_channel=True,
            group_size=block_size, epsilon=epsilon, signed=True)
        scale, zero_point = scale.T, zero_point.T
    scale = scale.astype(inputs.dtype)
    outputs = np.round(np.divide(grouped, scale[:, None, :])) + zero_point[:, None, :]
    outputs = np.clip(outputs, qmin, qmax).astype(dtype).reshape(-1, output_dim)[:input_dim]
    return outputs, scale, zero_point


class AbsMaxQuantizer(Quantizer):
    """Abs-max quantization (`abs_max_quantize`) along `axis` (given here or at the call;
    default -1). Keras: `keras.quantizers.AbsMaxQuantizer`."""

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=_backend.epsilon(),
                 output_dtype="int8"):
        Quantizer.__init__(self, output_dtype=output_dtype)
        self.axis = None if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = value_range
        self.epsilon = epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(f"Quantizer with output_dtype='int8' requires value_range to be "
                             f"within the interval [-128, 127]. Received: "
                             f"value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        axis = self.axis if axis is None else axis
        return abs_max_quantize(x, -1 if axis is None else axis, self.value_range,
                                self.output_dtype, self.epsilon, to_numpy)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon,
                  "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """The new float8 scale from the history's `amax` (the old `scale` where amax is zero or
    not finite). Keras: `keras.quantizers.compute_float8_scale`."""
    amax, scale = as_keras_array(amax), as_keras_array(scale)
    old = np.reciprocal(scale)
    with np.errstate(divide="ignore", invalid="ignore"):   # replaced below, as in Keras
        sf = np.divide(np.divide(dtype_max, amax), 2 ** margin)
    sf = np.where(amax > 0.0, sf, old)
    sf = np.where(np.isfinite(amax), sf, old)
    return np.reciprocal(sf)


def compute_float8_amax_history(x, amax_history):
    """`amax_history` rolled one step, with the largest magnitude of `x` first. Keras:
    `keras.quantizers.compute_float8_amax_history`."""
    amax_history = as_keras_array(amax_history)
    history = np.roll(amax_history, shift=-1)
    history[0] = np.max(np.abs(as_keras_array(x))).astype(amax_history.dtype)
    return history


def quantize_and_dequantize(inputs, scale, quantized_dtype, compute_dtype):
    """`inputs` over `scale`, clipped to and cast to `quantized_dtype` (a float8 type), then back
    to `compute_dtype` times `scale`: the values a float8 layer computes with. Keras:
    `keras.quantizers.quantize_and_dequantize`."""
    try:
        import ml_dtypes
    except ImportError as e:
        raise ImportError("quantize_and_dequantize needs the `ml_dtypes` package (float8 "
                          "types): pip install ml_dtypes") from e
    compute = np.dtype(compute_dtype)
    top = compute.type(float(ml_dtypes.finfo(quantized_dtype).max))
    scale = as_keras_array(scale).astype(compute)
    x = np.clip(np.divide(as_keras_array(inputs), scale), -top, top)
    x = x.astype(getattr(ml_dtypes, quantized_dtype) if isinstance(quantized_dtype, str)
                 else quantized_dtype)
    return np.multiply(x.astype(compute), scale)


def _adjust_and_nudge(min_range, max_range, num_bits, narrow_range):
    """The quantization range nudged so that zero is exactly representable: (nudged min,
    nudged max, scale, 1 / scale), as Keras computes them."""
    dtype = np.result_type(min_range.dtype, np.float32)
    min_range, max_range = min_range.astype(dtype), max_range.astype(dtype)
    quant_max = (1 << num_bits) - 1
    quant_min = 0 if not narrow_range else 1
    diff_range = max_range - min_range
    scale = np.divide(diff_range, quant_max - quant_min)
    inv_scale = np.divide(quant_max - quant_min, diff_range)
    zero_point = np.round(np.clip(quant_min - np.divide(min_range, scale), quant_min, quant_max))
    return (np.multiply(quant_min - zero_point, scale), np.multiply(quant_max - zero_point, scale),
            scale, inv_scale)


def fake_quant_with_min_max_vars(inputs, min_vals, max_vals, num_bits=8, narrow_range=False,
                                 axis=None):
    """`inputs` clamped to [`min_vals`, `max_vals`] (per tensor, or per channel of `axis`),
    quantized to `num_bits` levels and dequantized back: the values quantization-aware training
    sees. Keras: `keras.quantizers.fake_quant_with_min_max_vars`, on arrays (its gradient,
    which trains the range, belongs to a backend with autodiff in Python)."""
    from .ops import is_symbolic
    if is_symbolic(inputs):
        raise NotImplementedError("fake_quant_with_min_max_vars computes on arrays here; the "
                                  "library's layers have no fake-quantization op to trace")
    inputs = as_keras_array(inputs)
    min_vals, max_vals = as_keras_array(min_vals), as_keras_array(max_vals)
    nudged_min, nudged_max, scale, inv_scale = _adjust_and_nudge(min_vals, max_vals,
                                                                 int(num_bits), narrow_range)
    quant_zero = np.floor(np.add(np.multiply(-nudged_min, inv_scale), 0.5))
    shifted = np.clip(inputs.astype(nudged_min.dtype), nudged_min, nudged_max) - nudged_min
    result = np.multiply(np.floor(np.add(np.subtract(np.multiply(shifted, inv_scale), quant_zero),
                                         0.5)), scale)
    return result.astype(inputs.dtype)


def _check_nibble_dtype(dtype):
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")


def pack_int4(arr, axis=0, dtype="int8"):
    """`(packed, packed_shape, orig_len)`: int4 values ([-8, 7], in an int8 array) packed two to
    a byte along `axis` (the first of each pair in the low nibble; an odd length padded with
    0). Keras: `keras.quantizers.pack_int4`."""
    _check_nibble_dtype(dtype)
    arr = np.asarray(arr)
    if _backend.standardize_dtype(arr.dtype) != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got "
                        f"{_backend.standardize_dtype(arr.dtype)}.")
    np_dtype = np.dtype(dtype)
    axis = axis + arr.ndim if axis < 0 else axis
    rows = np.moveaxis(arr, axis, 0)
    n = rows.shape[0]
    if n % 2 == 1:
        rows = np.concatenate([rows, np.zeros((1,) + rows.shape[1:], rows.dtype)], axis=0)
    mask = np.array(0x0F, dtype=np_dtype)
    low = np.bitwise_and(rows[::2].astype(np_dtype), mask)
    high = np.bitwise_and(rows[1::2].astype(np_dtype), mask)
    packed = np.bitwise_or(low, np.left_shift(high, np.array(4, dtype=np_dtype))).astype(np_dtype)
    packed = np.moveaxis(packed, 0, axis)
    return packed, tuple(packed.shape), n


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """The int4 values `pack_int4` packed along `axis`, `orig_len` of them, as `dtype` (int8:
    signed, [-8, 7]). Keras: `keras.quantizers.unpack_int4`."""
    _check_nibble_dtype(dtype)
    packed = np.asarray(packed)
    if _backend.standardize_dtype(packed.dtype) not in ("int8", "uint8"):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {packed.dtype}")
    axis = axis + packed.ndim if axis < 0 else axis
    rows = np.moveaxis(packed, axis, 0)
    mask = np.array(0x0F, dtype=packed.dtype)
    low = np.bitwise_and(rows, mask)
    high = np.bitwise_and(np.right_shift(rows, np.array(4, packed.dtype)), mask)
    if dtype == "int8":   # nibbles [0, 15] to signed [-8, 7]: (x ^ 8) - 8
        eight = np.array(8, packed.dtype)
        low, high = np.bitwise_xor(low, eight) - eight, np.bitwise_xor(high, eight) - eight
    stacked = np.stack([low.astype(dtype), high.astype(dtype)], axis=1)
    unpacked = stacked.reshape((-1,) + rows.shape[1:])[:orig_len]
    return np.moveaxis(unpacked, 0, axis)


class QuantizationConfig:
    """Base of the quantization configs `quantize(config=...)` takes: the quantizers of the
    weights and of the inputs (None: the layer's default). Keras:
    `keras.quantizers.QuantizationConfig`."""

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError("Subclasses must implement this property. Do not instantiate "
                                  "QuantizationConfig directly.")

    def get_config(self):
        return {"weight_quantizer": serialize(self.weight_quantizer),
                "activation_quantizer": serialize(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=deserialize(config.get("weight_quantizer")),
                   activation_quantizer=deserialize(config.get("activation_quantizer")))

    def _keras_config(self):
        return {"module": "keras.quantizers", "class_name": type(self).__name__,
                "config": self.get_config(), "registered_name": None}

    def _check_supported(self, layers=()):
        """The library computes Keras's default int8 scheme: abs-max over (-127, 127), per
        output channel for the weights (the layer's own axis), per row for the inputs; and
        Keras's default int4 one: weight-only (see Int4QuantizationConfig). A weight quantizer
        equal to the default of each of `layers` (those quantize meets) is that scheme."""
        w, a = self.weight_quantizer, self.activation_quantizer
        if self.mode == "int4":
            for key, q in (("weight_quantizer", w), ("activation_quantizer", a)):
                if q is not None:
                    raise ValueError(f"quantize: int4 with a custom {key} ({q!r}) is not supported "
                                     f"by swiftkeras; pass {key}=None (Keras's default "
                                     f"Int4QuantizationConfig: weight-only, the layer's own "
                                     f"quantizer)")
            return
        if w is not None and not _default_int8_weight_quantizer(w, layers):
            raise ValueError(f"quantize: a custom weight_quantizer ({w!r}) is not supported by "
                             f"swiftkeras; pass weight_quantizer=None (each layer's default "
                             f"abs-max quantizer, as Keras's Int8QuantizationConfig())")
        if not (isinstance(a, AbsMaxQuantizer) and tuple(a.value_range) == (-127, 127)
                and a.epsilon == _backend.epsilon() and a.axis in (None, (-1,))):
            raise ValueError(f"quantize: activation_quantizer must be Keras's default "
                             f"AbsMaxQuantizer() (value_range=(-127, 127), per row) in swiftkeras; "
                             f"got {a!r}")


# The axis of the int8 weight quantizer a layer class uses when the config gives none (Keras's
# `weight_quantizer_or_default(config, AbsMaxQuantizer(axis=...))`: a kernel per output column,
# an embedding per row); EinsumDense's depends on its equation and is not here.
_DEFAULT_INT8_WEIGHT_AXIS = {"Dense": (0,), "Embedding": (-1,)}


def _default_int8_weight_quantizer(quantizer, layers):
    """Whether `quantizer` is the default int8 weight quantizer of each layer with weights among
    `layers` (a Sequential of Dense layers given `AbsMaxQuantizer(axis=0)`)."""
    kinds = {type(layer).__name__ for layer in layers if layer.weights}
    return (type(quantizer) is AbsMaxQuantizer and tuple(quantizer.value_range) == (-127, 127)
            and quantizer.epsilon == _backend.epsilon() and quantizer.output_dtype == "int8"
            and bool(kinds) and all(_DEFAULT_INT8_WEIGHT_AXIS.get(k) == quantizer.axis for k in kinds))


class Int8QuantizationConfig(QuantizationConfig):
    """The int8 config: `activation_quantizer` "default" is `AbsMaxQuantizer()` (inputs
    quantized per row). Keras: `keras.quantizers.Int8QuantizationConfig`."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if self.weight_quantizer is not None and self.weight_quantizer.output_dtype != "int8":
            raise ValueError(f"Int8QuantizationConfig requires a weight_quantizer with "
                             f"output_dtype='int8'. Received: "
                             f"output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """The int4 config (weight-only: `activation_quantizer` "default" is None): `block_size`
    128 (Keras's default) quantizes the kernel in groups of that many input rows, each with a
    scale and a zero point; None or -1, one scale per output channel. Keras:
    `keras.quantizers.Int4QuantizationConfig`."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(f"block_size must be None, -1, or a positive integer. "
                             f"Received: block_size={block_size}")
        self.block_size = block_size
        if (block_size is not None and block_size > 0
                and (self.weight_quantizer is not None or self.activation_quantizer is not None)):
            raise ValueError(f"Int4 sub-channel quantization (block_size > 0) does not support custom "
                             f"quantizers. Either set block_size to None or -1 for per-channel "
                             f"quantization, or remove the custom quantizer arguments. Received: "
                             f"block_size={block_size}")
        if self.weight_quantizer is not None:
            if tuple(self.weight_quantizer.value_range) != (-8, 7):
                raise ValueError(f"Int4QuantizationConfig requires a weight_quantizer with "
                                 f"value_range=(-8, 7). Received: "
                                 f"value_range={self.weight_quantizer.value_range}")
            if self.weight_quantizer.output_dtype != "int8":
                raise ValueError(f"Int4QuantizationConfig requires a weight_quantizer with "
                                 f"output_dtype='int8'. Received: "
                                 f"output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        config = super().get_config()
        config["block_size"] = self.block_size
        return config

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=deserialize(config.get("weight_quantizer")),
                   activation_quantizer=deserialize(config.get("activation_quantizer")),
                   block_size=config.get("block_size", None))


class GPTQConfig(QuantizationConfig):
    """The GPTQ config (`model.quantize("gptq", config=GPTQConfig(...))`): the calibration
    `dataset` (strings, which `tokenizer` turns into token ids, or arrays of token ids) and the
    solve's settings; Keras's arguments, defaults and errors. `get_config` leaves out the
    dataset and tokenizer, as Keras's does. Keras: `keras.quantizers.GPTQConfig`."""

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128, per_channel=True,
                 sequence_length=512, hessian_damping=0.01, group_size=128, symmetric=False,
                 activation_order=False, quantization_layer_structure=None):
        super().__init__()
        if weight_bits not in [2, 3, 4, 8]:
            raise ValueError(f"Unsupported weight_bits {weight_bits}. Supported values are 2, 3, 4, and 8.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        if hessian_damping < 0 or hessian_damping > 1:
            raise ValueError("hessian_damping must be between 0 and 1.")
        if group_size < -1 or group_size == 0:
            raise ValueError(f"Invalid group_size. Supported values are -1 (whole-tensor) or a "
                             f"positive integer, but got {group_size}.")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.num_samples = num_samples
        self.per_channel = per_channel
        self.sequence_length = sequence_length
        self.hessian_damping = hessian_damping
        self.weight_bits = weight_bits
        self.group_size = group_size
        self.symmetric = symmetric
        self.activation_order = activation_order
        self.quantization_layer_structure = quantization_layer_structure

    def get_config(self):
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "per_channel": self.per_channel,
                "sequence_length": self.sequence_length, "hessian_damping": self.hessian_damping,
                "group_size": self.group_size, "symmetric": self.symmetric,
                "activation_order": self.activation_order,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def mode(self):
        return "gptq"

    def dtype_policy_string(self):
        """The layers' dtype policy mode, `"gptq/<weight_bits>/<group_size>"`."""
        return f"gptq/{self.weight_bits}/{self.group_size}"

    def _check_supported(self, layers=()):
        """Any GPTQConfig Keras takes is computed (the GPTQ solve in `_gptq`)."""


class AWQConfig(QuantizationConfig):
    """The AWQ config (`model.quantize("awq", config=AWQConfig(...))`): the calibration
    `dataset` (strings, which `tokenizer` turns into token ids, or arrays of token ids) and the
    search's settings (4-bit weights only, groups of `group_size` input rows, `num_grid_points`
    scale ratios); Keras's arguments, defaults and errors. `get_config` leaves out the dataset
    and tokenizer, as Keras's does. Keras: `keras.quantizers.AWQConfig`."""

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128, sequence_length=512,
                 group_size=128, num_grid_points=20, quantization_layer_structure=None):
        super().__init__()
        if weight_bits != 4:
            raise ValueError(f"AWQ only supports 4-bit quantization. Received weight_bits={weight_bits}.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        if group_size < -1 or group_size == 0:
            raise ValueError(f"Invalid group_size. Supported values are -1 (per-channel) or a positive "
                             f"integer, but got {group_size}.")
        if num_grid_points <= 0:
            raise ValueError("num_grid_points must be a positive integer.")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.sequence_length = sequence_length
        self.group_size = group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "awq"

    def dtype_policy_string(self):
        """The layers' dtype policy mode, `"awq/<weight_bits>/<group_size>"`."""
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "sequence_length": self.sequence_length,
                "group_size": self.group_size, "num_grid_points": self.num_grid_points,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _check_supported(self, layers=()):
        """Any AWQConfig Keras takes is computed (the AWQ search in `_awq`)."""


class Float8QuantizationConfig(QuantizationConfig):
    """The float8 training config (`quantize(config=Float8QuantizationConfig())`): no options,
    no custom quantizers. Keras: `keras.quantizers.Float8QuantizationConfig`."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()

    def _check_supported(self, layers=()):
        pass


ALL_OBJECTS = (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig, Int4QuantizationConfig,
               GPTQConfig, AWQConfig, Float8QuantizationConfig)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({snake_case(cls.__name__): cls for cls in ALL_OBJECTS})


def get(identifier, **kwargs):
    """A quantizer from a name, a config dict or a quantizer. Keras: `keras.quantizers.get`."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier
    if callable(obj):
        return obj(kwargs) if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")


serialize = module_serialization("quantizers", get)[0]


def deserialize(config, custom_objects=None):
    """The quantizer a config describes. Keras: `keras.quantizers.deserialize`."""
    from .saving import deserialize_keras_object
    if isinstance(config, str):
        return get(config)
    return deserialize_keras_object(config, custom_objects={**ALL_OBJECTS_DICT,
                                                            **(custom_objects or {})})

__all__ = ["AWQConfig", "AbsMaxQuantizer", "Float8QuantizationConfig", "GPTQConfig", "Int4QuantizationConfig", "Int8QuantizationConfig", "QuantizationConfig", "Quantizer", "abs_max_quantize", "compute_float8_amax_history",
           "compute_float8_scale", "deserialize", "fake_quant_with_min_max_vars", "get", "pack_int4", "quantize_and_dequantize",
           "serialize", "unpack_int4"]
