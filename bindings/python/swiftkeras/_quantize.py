"""`model.quantize(mode)` and `layer.quantize(mode)` (Keras 3: `Model.quantize`,
`Layer.quantize`): the library replaces the kernels of Dense, EinsumDense and Embedding by int8
weights with per-channel scales and quantizes their inputs at call time, as Keras's "int8"
mode does; or by packed int4 weights, weight-only, per channel or in blocks with zero points,
as Keras's "int4" mode does; or, for "gptq" (`config=GPTQConfig(...)`), by the GPTQ solve over
calibration data (`_gptq`); or, for "awq" (`config=AWQConfig(...)`), by AWQ's scaled 4-bit
rounding (`_awq`); or, for Dense and EinsumDense, adds the scales and amax histories of
Keras's "float8" training mode (inputs, kernel and output gradient fake-quantized to float8 with
delayed scaling). Keras's other modes are refused, naming the ones that work."""

import re
import warnings

from . import _lib, _native
from .dtype_policies import QUANTIZATION_MODES

SUPPORTED = ("int8", "int4", "float8")


def _resolve_mode(mode, config, layers=None):
    """Keras's `validate_and_resolve_config`: the mode from `mode` or `config`, checked, as the
    library names it (int4: `"int4/<block_size>"`, Keras's policy mode; 128 by default, -1 per
    channel)."""
    from .quantizers import QuantizationConfig
    if isinstance(config, str):
        mode, config = config, None
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                         f"Received: mode={mode}")
    if config is None:
        if mode is None:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    elif not isinstance(config, QuantizationConfig):
        raise ValueError(f"Argument `config` must be an instance of `QuantizationConfig`. "
                         f"Received: config={config} (of type {type(config)})")
    else:
        if mode is not None and config.mode != mode:
            raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
        mode = config.mode
        if layers is not None:   # (quantize_model checks the config once it knows its layers)
            config._check_supported(layers)
    if mode in ("gptq", "awq"):
        if config is None:
            raise ValueError("For GPTQ, you must pass a `GPTQConfig` object in the `config` argument."
                             if mode == "gptq" else
                             "For AWQ, you must pass an `AWQConfig` object in the `config` argument.")
        return config.dtype_policy_string()
    if mode not in SUPPORTED:
        # (Keras's own error first where Keras has one: gptq and awq need their config object)
        keras_says = {"gptq": "For GPTQ, you must pass a `GPTQConfig` object in the `config` argument. ",
                      "awq": "For AWQ, you must pass an `AWQConfig` object in the `config` argument. "}
        raise ValueError(f"{keras_says.get(mode, '') if config is None else ''}"
                         f"quantize: mode '{mode}' is not supported by swiftkeras; the supported "
                         f"modes are 'int8' and 'int4' (Dense, EinsumDense and Embedding) and "
                         f"'float8' (Dense and EinsumDense)")
    if mode == "int4":
        block_size = 128 if config is None else config.block_size
        return f"int4/{-1 if block_size is None else block_size}"
    return mode


def _run(model, mode, names):
    """Quantizes the layers of `model` named in `names` (all when None); returns the class
    names of the leaf layers left as they are."""
    handle = model._ensure_handle()
    listed = None if names is None else _native.dumps(list(names))
    skipped = _native.take_json(_lib.keras_model_quantize, handle, mode.encode(), listed)
    # The weights changed (dtype, trainable, new variables): read them again, here and in the
    # nested models (which hold the same library layers).
    _forget_layers(model)
    return skipped


def _forget_layers(model):
    model._layers_cache = None
    for layer in model.layers or []:
        inner = layer.__dict__.get("_model", layer)
        if getattr(inner, "_holds_layers", False) and inner is not model:
            _forget_layers(inner)


def _should_quantize(layer, filters):
    """Keras's `should_quantize_layer`."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(p, layer.name) for p in filters)
    if callable(filters):
        return filters(layer)
    return True


def _leaf_layers(model):
    for layer in model.layers or []:
        inner = getattr(layer, "_holds_layers", False)
        if inner:
            yield from _leaf_layers(layer)
        else:
            yield layer


def quantize_model(model, mode=None, config=None, filters=None, **kwargs):
    """Keras's `Model.quantize(mode=None, config=None, filters=None)`."""
    kwargs.pop("type_check", True)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments passed to {type(model).__name__}: {kwargs}")
    if filters is not None and not isinstance(filters, (str, list, tuple)) and not callable(filters):
        raise ValueError(f"The `filters` argument must be a regex string, a list of regex strings, "
                         f"or a callable. Received: {type(filters)}")
    mode = _resolve_mode(mode, config)
    if not model.built:
        try:   # (a Sequential given its Input is built when made, in Keras)
            model._ensure_handle()
        except Exception:
            pass
    if not model.built:
        raise ValueError(f"Cannot quantize a layer that isn't yet built. Model '{model.name}' "
                         f"(of type '{type(model).__name__}') is not built yet: build it (call "
                         f"it, or `build(input_shape)`) before `quantize`.")
    if config is not None and not isinstance(config, str):   # (its quantizers: against the layers they meet)
        config._check_supported([layer for layer in _leaf_layers(model) if _should_quantize(layer, filters)])
    if mode.startswith(("gptq/", "awq/")):
        return _quantize_calibrated(model, config, filters)
    names = None
    if filters is not None:
        names = [layer.name for layer in _leaf_layers(model) if _should_quantize(layer, filters)]
    skipped = _run(model, mode, names)
    from .models import Sequential
    if isinstance(model, Sequential) and filters is None and "InputLayer" not in skipped:
        skipped = ["InputLayer"] + skipped   # (Keras's Sequential holds its InputLayer as a layer)
    for layer in _leaf_layers(model):
        _remember(layer)
        _remember_projections(layer, mode)
    for class_name in skipped:
        warnings.warn(_skipped_message(class_name), stacklevel=2)


def _skipped_message(entry):
    """Keras's warning for a layer `quantize` left as it was: the library gives a class name
    (no `quantize` method) or Keras's own message (a mode the class has no form of)."""
    if " " in entry:
        return entry
    return f"Layer {entry} does not have a `quantize` method implemented."


def _quantize_calibrated(model, config, filters):
    """Keras's `Model.quantize` in "gptq" or "awq" mode: the structure from the config or from
    `model.get_quantization_layer_structure(mode)`, then the calibration (`_gptq`, `_awq`). The
    Dense layers of the sequential blocks become GPTQ (AWQ) layers; the other layers stay as
    they are (Keras also gives its other Dense layers GPTQ / AWQ weights that it never
    calibrates)."""
    from . import _awq, _gptq
    structure = config.quantization_layer_structure
    if structure is None:
        hook = getattr(model, "get_quantization_layer_structure", None)
        structure = hook(config.mode) if callable(hook) else None
    if structure is None:
        raise ValueError(f"For mode='{config.mode}', a valid quantization structure must be provided either via "
                         "`config.quantization_layer_structure` or by overriding "
                         "`model.get_quantization_layer_structure(mode)`. The structure should be a "
                         "dictionary with keys 'pre_block_layers' and 'sequential_blocks'.")
    (_gptq.gptq_quantize if config.mode == "gptq" else _awq.awq_quantize)(model, config, structure, filters)
    for layer in _leaf_layers(model):
        _remember(layer)


def quantize_layer(layer, mode=None, config=None, type_check=True):
    """Keras's `Layer.quantize(mode, config=None)` on one layer of a built model."""
    mode = _resolve_mode(mode, config, [layer])
    if mode.startswith(("gptq/", "awq/")):
        name, cls = ("gptq", "GPTQConfig") if mode.startswith("gptq/") else ("awq", "AWQConfig")
        raise ValueError(f"quantize: swiftkeras quantizes '{name}' through `model.quantize(\"{name}\", "
                         f"config={cls}(...))`, which calibrates the layers of the model's blocks; "
                         f"layer '{layer.name}' cannot be quantized alone")
    model = layer._variable_model()
    if model is None and hasattr(layer, "_build_where_held"):
        layer._build_where_held()   # (Keras builds `Sequential([Input, ...])` when made)
        model = layer._variable_model()
    if model is None or model._handle is None:
        raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer '{layer.name}' "
                         f"(of type '{type(layer).__name__}') is not built yet.")
    skipped = _run(model, mode, [layer.name])
    if skipped:
        raise NotImplementedError(_skipped_message(skipped[0]) if " " in skipped[0] else
                                  f"Layer {type(layer).__name__} does not have a `quantize` "
                                  f"method implemented.")
    _remember(layer)


def _remember(layer):
    """Marks a quantized layer in its Python config (its dtype policy), so that the library's
    model made again from the Python layers (after `Sequential.add`) builds it quantized; its
    weights are carried over as for any layer."""
    policy = quantized_policy(layer)
    if policy is not None:
        from .dtype_policies import serialize
        layer.__dict__["_quantized_dtype"] = serialize(policy)


def _remember_projections(layer, mode):
    """An attention layer's projections (MultiHeadAttention's `query_dense`, ...,
    GroupedQueryAttention's `_query_dense`, ...) are views of its weights with no library config
    of their own: one quantized now keeps the policy of `mode` ("int8", "int4/<block_size>",
    "float8"), which its weights alone do not tell (int4's are int8 too)."""
    from .dtype_policies import Int4DTypePolicy, QuantizedDTypePolicy, QuantizedFloat8DTypePolicy, serialize
    from .layers import _INNER_LAYERS
    for attribute in _INNER_LAYERS.get(getattr(layer, "class_name", None), {}):
        view = getattr(layer, attribute)
        if view.__dict__.get("_quantized_dtype") is None and quantized_policy(view) is not None:
            source = getattr(layer, "dtype", None) or "float32"
            cls = Int4DTypePolicy if mode.startswith("int4") else \
                QuantizedFloat8DTypePolicy if mode == "float8" else QuantizedDTypePolicy
            view.__dict__["_quantized_dtype"] = serialize(cls(mode, source))


def _library_dtype(layer):
    """The dtype policy the library's config of `layer` carries (None where the layer is not a
    top-level layer of a model with a handle)."""
    owner = layer.__dict__.get("_owner")
    if layer.__dict__.get("_parent") is not None or owner is None or getattr(owner, "_handle", None) is None:
        return None
    try:
        return owner._layers_info()[layer._index]["config"].get("dtype")
    except (IndexError, KeyError, TypeError, AttributeError):
        return None


def quantized_policy(layer):
    """The quantized dtype policy of a layer whose kernel is int8 (quantized): the library's
    (`int8_from_float32`, `int4/128_from_float32`); None for a float layer or a model."""
    if getattr(layer, "_holds_layers", False):
        return None
    try:
        infos = layer._variable_infos()
    except Exception:   # an unbuilt layer: float
        return None
    float8 = any(str(w.get("name", "")).endswith("inputs_amax_history") for w in infos)
    if not float8 and not any(w.get("dtype") in ("int8", "uint8") for w in infos):
        return None
    from .dtype_policies import QUANTIZED_POLICY_CLASSES, QuantizedDTypePolicy, QuantizedFloat8DTypePolicy, deserialize
    dtype = _library_dtype(layer)
    if isinstance(dtype, dict) and dtype.get("class_name") in QUANTIZED_POLICY_CLASSES:
        return deserialize(dtype)
    saved = layer.__dict__.get("_quantized_dtype")
    if saved is not None:
        return deserialize(saved)
    source = getattr(layer, "dtype", None) or "float32"
    return QuantizedFloat8DTypePolicy("float8", source) if float8 else QuantizedDTypePolicy("int8", source)


def quantization_mode(layer):
    """"int8", "int4", "gptq", "awq" or "float8" when the layer is quantized, else None (and None for a
    model)."""
    policy = quantized_policy(layer)
    return None if policy is None else policy.quantization_mode


def keras_kernel(layer, item, variable):
    """What Keras's `kernel` property (Dense, EinsumDense) or `embeddings` (Embedding) returns
    for a layer whose stored values are packed: int4 unpacked to int8 in the float weight's
    shape; GPTQ at 4 bits and AWQ unpacked to their uint8 `[units, input_dim]` (an EinsumDense's
    flattened columns and rows), as arrays; any other layer's the variable itself (GPTQ at 2, 3
    or 8 bits: its uint8 variable, as Keras)."""
    if (item, layer.class_name) not in (("kernel", "Dense"), ("kernel", "EinsumDense"), ("embeddings", "Embedding")):
        return variable
    policy = quantized_policy(layer)
    mode = None if policy is None else policy.quantization_mode
    from .quantizers import unpack_int4
    import numpy as np
    packed = np.asarray(variable.numpy())
    if mode == "int4":
        if layer.class_name != "EinsumDense":
            return unpack_int4(packed, layer.units if item == "kernel" else layer.output_dim, axis=-1)
        shape = _einsum_kernel_shape(layer, packed.shape[0])
        columns = int(np.prod(shape)) // packed.shape[0]
        return unpack_int4(packed, columns, axis=-1).reshape(shape)
    if mode == "awq" or (mode == "gptq" and policy.weight_bits == 4):
        columns = np.asarray(layer.kernel_scale.numpy()).shape[0]   # (`[units, groups]`)
        return unpack_int4(packed, columns, axis=0, dtype="uint8")
    return variable


def _einsum_kernel_shape(layer, rows):
    """An EinsumDense's float kernel shape (Keras's `original_kernel_shape`): each letter of the
    kernel's spec sized by the output shape (the specs' letters aligned to the right, past an
    ellipsis) or, for a contracted one, by `rows` (the flattened kernel's, when it is the only
    one) or the layer's input shape."""
    operands, outputs = layer.equation.split("->")
    inputs, kernel = operands.split(",")
    output_shape = layer.get_config()["output_shape"]
    output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
    sizes = dict(zip(reversed(outputs.replace("...", "")), reversed(output_shape)))
    contracted = [letter for letter in kernel if letter not in sizes]
    if len(contracted) == 1:
        sizes[contracted[0]] = rows
    elif contracted:
        try:
            input_shape = layer.input.shape
        except AttributeError:   # (a layer built on its own: the library's model around it)
            input_shape = layer.__dict__["_owner"].inputs[0].shape
        sizes.update(zip(reversed(inputs.replace("...", "")), reversed(tuple(input_shape))))
    return tuple(sizes[letter] for letter in kernel)
