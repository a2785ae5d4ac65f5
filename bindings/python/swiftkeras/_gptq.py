"""`model.quantize("gptq", config=GPTQConfig(...))` (Keras 3: `keras.src.quantizers.gptq_core`
and `gptq`): each Dense and EinsumDense layer of the structure's blocks (Keras's
`find_layers_in_block`: a block is one layer, a Sequential or a functional model) quantized
column by column with the GPTQ error correction over its input Hessian (see `gptq_quantize` for
the Hessian Keras 3.15 solves with); the library then holds the layer as Keras's GPTQ Dense or
EinsumDense (transposed uint8 kernel, flattened to `[rows, cols]` and packed at 4 bits, scale,
zero point and group index per unit and group, `GPTQDTypePolicy` "gptq/<bits>/<group_size>").

It runs here because its inputs are Python objects (the dataset, the tokenizer, the layers the
structure names); the solve is a few float32 numpy operations per layer, in the order Keras's
own float32 code takes them, so that the integers are Keras's."""

import math

import numpy as np

from . import _quantize

_F32 = np.float32


def get_dataloader(tokenizer, sequence_length, dataset, num_samples=128, *, strategy="strided",
                   seed=42, stride=None, eos_id=None):
    """Keras's `gptq_core.get_dataloader`: `num_samples` windows of `sequence_length` token ids
    from the dataset's tokens (strings tokenized by `tokenizer.tokenize`, or arrays of ids),
    repeated when too short; `(num_samples, 1, sequence_length)` int32."""
    if not hasattr(dataset, "__iter__") or isinstance(dataset, (str, bytes)):
        raise TypeError(f"The `dataset` argument must be an iterable (e.g., a list of strings, a "
                        f"generator, or a NumPy array). Got type: {type(dataset).__name__}. Please "
                        f"pass the loaded dataset directly.")
    dataset_list = list(dataset)
    if not dataset_list:
        raise ValueError("Provided dataset is empty.")
    pieces = []
    if isinstance(dataset_list[0], str):
        for i, s in enumerate(dataset_list):
            pieces.append(np.asarray(tokenizer.tokenize(s)).reshape(-1))
            if eos_id is not None and i < len(dataset_list) - 1:
                pieces.append(np.array([eos_id], dtype=np.int32))
    else:
        for s in dataset_list:
            s = s.numpy() if hasattr(s, "numpy") else s
            pieces.append(np.asarray(s).reshape(-1).astype(np.int32, copy=False))
    all_tokens = np.concatenate(pieces, axis=0).astype(np.int32, copy=False)
    required_tokens = num_samples * sequence_length
    if all_tokens.size < required_tokens:
        all_tokens = np.tile(all_tokens, math.ceil(required_tokens / max(1, all_tokens.size)))
    max_start = all_tokens.size - sequence_length
    if max_start < 0:
        raise ValueError(f"Not enough tokens to form one sample of length {sequence_length} "
                         f"(have {all_tokens.size}).")
    if strategy == "random":
        starts = np.random.default_rng(seed).integers(0, max_start + 1, size=num_samples, dtype=np.int64)
    elif strategy == "linspace":
        starts = np.linspace(0, max_start, num_samples, dtype=np.int64)
    elif strategy == "strided":
        if stride is None:
            stride = max(1, (max_start + 1) // num_samples)
        # (Keras's offset: Python's hash of a tuple with a string, which PYTHONHASHSEED sets)
        offset = (abs(hash(("gptq-calib", seed))) % (max_start + 1)) if max_start > 0 else 0
        starts = (offset + np.arange(num_samples, dtype=np.int64) * stride) % (max_start + 1)
    else:
        raise ValueError(f"Unknown strategy: {strategy}")
    windows = np.lib.stride_tricks.sliding_window_view(all_tokens, sequence_length)
    return windows[starts].astype(np.int32)[:, None, :]


def _divide_by_scalar(x, scalar):
    """`x / scalar` in float32 as Keras's jax backend computes it on the CPU: XLA multiplies by
    the scalar's reciprocal, except for a one-element `x` (where it divides)."""
    x = np.asarray(x, dtype=_F32)
    return (x / _F32(scalar) if x.size == 1 else x * (_F32(1) / _F32(scalar))).astype(_F32)


def compute_quantization_parameters(x, *, bits, symmetric=False, per_channel=False, group_size=-1,
                                    epsilon=0.0, signed=False):
    """Keras's `quantizers.compute_quantization_parameters` of `x` (`[out, in]`, float32):
    the scale (`[out, groups]`, its range widened by `epsilon`), the zero point (uint8, or
    int8 in the `signed` range [-2^(bits-1), 2^(bits-1) - 1]) and `maxq` (2^bits - 1)."""
    out_features, in_features = x.shape
    n_groups = (in_features + group_size - 1) // group_size if per_channel and group_size > 0 else 1
    if n_groups > 1:
        pad = (-in_features) % group_size
        if pad:
            x = np.pad(x, [[0, 0], [0, pad]])
        grouped = x.reshape(out_features, n_groups, group_size)
        lo, hi = grouped.min(axis=2), grouped.max(axis=2)
    else:
        flat = x.reshape(out_features, -1) if per_channel else x.reshape(1, -1)
        lo, hi = flat.min(axis=1), flat.max(axis=1)
    if symmetric:
        max_abs = np.maximum(np.abs(lo), hi)
        lo = np.where(lo < 0, -max_abs, lo)
        hi = max_abs
    same = lo == hi
    lo = np.where(same, lo - _F32(1), lo).astype(_F32)
    hi = np.where(same, hi + _F32(1), hi).astype(_F32)
    maxq = _F32(2 ** bits - 1)
    spread = hi - lo if epsilon <= 0 else (hi - lo + _F32(epsilon)).astype(_F32)
    scale = _divide_by_scalar(spread, maxq)
    scale = np.where(scale <= 0, _F32(1e-8), scale).astype(_F32)
    qmin = -(2 ** (bits - 1)) if signed else 0
    if symmetric:
        zero = np.full_like(scale, (maxq + 1) / 2 + qmin)
    else:
        zero = np.round(-lo / scale) + _F32(qmin)
    if signed:
        zero = np.clip(zero, qmin, 2 ** (bits - 1) - 1)
    if n_groups == 1:
        scale, zero = scale.reshape(-1, 1), zero.reshape(-1, 1)
        if not per_channel:
            scale, zero = np.tile(scale, (out_features, 1)), np.tile(zero, (out_features, 1))
    return scale, zero.astype(np.int8) if signed else _to_uint8(zero), maxq


def _to_uint8(values):
    """A float array cast to uint8 as XLA casts it on the CPU (out-of-range values saturate)."""
    return np.clip(np.nan_to_num(values), 0, 255).astype(np.uint8)


def _quantize_column(w, scale, zero, maxq):
    """Keras's `quantize_with_zero_point`: `clip(round(w / scale + zero), 0, maxq)`."""
    safe = np.where(scale == 0, _F32(1e-8), scale)
    return np.clip(np.round(w / safe + zero.astype(_F32)), 0, maxq).astype(_F32)


def gptq_quantize_matrix(weights_transpose, inv_hessian, *, blocksize=128, group_size=-1,
                         activation_order=False, order_metric=None, find_params, overwrite=False):
    """Keras's `gptq.gptq_quantize_matrix`: `weights_transpose` (`[out, in]`) quantized column
    by column in blocks, each column's error `(w - q) / invH[j, j]` taken off the columns after
    it (within the block, then the block's errors from the later blocks); with
    `activation_order`, the columns in decreasing `order_metric` (Keras's stable order).
    Returns the integers (`[out, in]`, uint8: at most 8 bits), the scale and zero point
    (`[out, groups]`) and g_idx. (`w` is the one copy of the weights it changes, in place: the
    caller's own float32 array when `overwrite`; the inverse Hessian is only read.)"""
    w = np.asarray(weights_transpose, dtype=_F32) if overwrite else np.array(weights_transpose, dtype=_F32)
    del weights_transpose
    inv_h = np.asarray(inv_hessian, dtype=_F32)
    in_features = w.shape[1]
    perm = inv_perm = None
    if activation_order:
        metric = np.where(np.isfinite(order_metric), order_metric, 0).astype(_F32)
        jitter = (np.arange(in_features, dtype=_F32) / _F32(in_features)) * _F32(1e-12)
        perm = np.argsort(-(metric + jitter).astype(_F32), kind="stable")
        inv_perm = np.argsort(perm, kind="stable")
        w = w[:, perm]
        inv_h = inv_h[perm][:, perm]
    quantized = np.zeros(w.shape, dtype=np.uint8)
    scales, zeros = [], []
    group = in_features if group_size == -1 else group_size
    for block_start in range(0, in_features, blocksize):
        block_end = min(block_start + blocksize, in_features)
        block = w[:, block_start:block_end].copy()
        block_error = np.zeros_like(block)
        block_inv = inv_h[block_start:block_end, block_start:block_end]
        cached_start, params = -1, None
        for j in range(block_end - block_start):
            col = block_start + j
            if group != in_features:
                start = (col // group) * group
                if start != cached_start:
                    params = find_params(w[:, start:min(start + group, in_features)])
                    scales.append(params[0])
                    zeros.append(params[1])
                    cached_start = start
            elif params is None:
                params = find_params(w)
                scales.append(params[0])
                zeros.append(params[1])
            scale, zero, maxq = params
            column = block[:, j]
            q = _quantize_column(column[:, None], scale, zero, maxq)
            quantized[:, col] = q[:, 0].astype(np.uint8)
            dequantized = (scale * (q - zero.astype(_F32)))[:, 0]
            err = _divide_by_scalar(column - dequantized, block_inv[j, j])
            block_error[:, j] = err
            if j < block.shape[1] - 1:
                block[:, j + 1:] -= err[:, None] * block_inv[j, j + 1:][None, :]
        if block_end < in_features:
            w[:, block_end:] -= block_error @ inv_h[block_start:block_end, block_end:]
    g_idx = _divide_by_scalar(np.arange(in_features), group)
    if activation_order:
        g_idx = g_idx[inv_perm]
        quantized = quantized[:, inv_perm]
    return quantized, np.concatenate(scales, axis=1), np.concatenate(zeros, axis=1), g_idx.astype(_F32)


def solve_layer(kernel, hessian, config, blocksize=128):
    """Keras's `GPTQ.quantize_and_correct_layer` for a Dense kernel (`[input_dim, units]`) and
    its input Hessian: the Hessian's dead diagonal set to 1, damped by `hessian_damping` × its
    mean diagonal, inverted, then the GPTQ solve. Returns the integers (`[units, input_dim]`),
    scale, zero point and g_idx. Both arrays are given up: a float32 Hessian is overwritten
    (each is let go as soon as it is used, so that few whole-kernel copies live at once); None
    is the zero Hessian Keras 3.15 solves with (see `gptq_quantize`)."""
    if hessian is None:
        hessian = np.zeros((kernel.shape[0], kernel.shape[0]), dtype=_F32)
    diag = np.diagonal(hessian).copy()
    dead = diag == 0
    diag = np.where(dead, _F32(1), diag).astype(_F32)
    diag = (diag + _F32(config.hessian_damping) * diag.mean(dtype=_F32)).astype(_F32)
    # (Keras adds the dead diagonal's 1s, then swaps the diagonal for the damped one: the
    # off-diagonal as it was, the diagonal `diag`, which orders the columns; written in place)
    hessian = np.asarray(hessian, dtype=_F32)
    np.fill_diagonal(hessian, diag)
    if np.all(diag > 0) and np.count_nonzero(hessian) == diag.size:
        # (a diagonal Hessian, as Keras 3.15's always is: its inverse is 1 / diag on the
        # diagonal, what the LU solve gives bit for bit, without its whole-matrix workspaces:
        # 64 MiB here where np.linalg.inv peaked at 0.5 GiB for a 4096-row kernel)
        inverse = np.diag(_F32(1) / diag)
    else:
        inverse = np.linalg.inv(hessian).astype(_F32, copy=False)
    del hessian
    weights = np.array(np.asarray(kernel, dtype=_F32).T)   # (the copy the solve changes)
    del kernel

    def find_params(x):
        return compute_quantization_parameters(x, bits=config.weight_bits, symmetric=config.symmetric,
                                               per_channel=config.per_channel, group_size=config.group_size)
    return gptq_quantize_matrix(weights, inverse, blocksize=blocksize, group_size=config.group_size,
                                activation_order=config.activation_order, order_metric=diag,
                                find_params=find_params, overwrite=True)


def _find_layers_in_block(block):
    """Keras's `find_layers_in_block`: the leaf layers of the block (the block itself when it is
    one layer; the layers of a Sequential or a functional model used as a block, at any depth)
    that are Dense or EinsumDense."""
    from .layers import Dense, EinsumDense
    if getattr(block, "_holds_layers", False):
        return [found for layer in block.layers or [] for found in _find_layers_in_block(layer)]
    from ._variables import _python_sublayers
    if _python_sublayers(block):
        raise ValueError(f"the layer '{block.name}' ({type(block).__name__}) is a layer written in Python "
                         f"holding layers: swiftkeras quantizes the layers of a block that is one layer, "
                         f"a Sequential or a functional model (write the block as a functional model)")
    if type(block).__name__ in _ATTENTION_PROJECTIONS:
        return [getattr(block, name) for name in _ATTENTION_PROJECTIONS[type(block).__name__]]
    if type(block).__name__ in _HOLDING_DENSE:
        raise ValueError(f"the layer '{block.name}' is a {type(block).__name__}, whose own Dense or "
                         f"EinsumDense layers Keras quantizes too: not supported by swiftkeras (Keras's "
                         f"TimeDistributed calls its layer's float `call`, never its quantized one, on the "
                         f"stored integers)")
    return [block] if isinstance(block, (Dense, EinsumDense)) else []


# The attention layers' EinsumDense projections (MultiHeadAttention's attributes,
# GroupedQueryAttention's private ones), in the order Keras's `find_layers_in_block` finds them.
_ATTENTION_PROJECTIONS = {
    "MultiHeadAttention": ("output_dense", "value_dense", "key_dense", "query_dense"),
    "GroupedQueryAttention": ("_output_dense", "_value_dense", "_key_dense", "_query_dense")}
# The other built-in layers that hold Dense or EinsumDense layers of their own (Keras's
# `find_layers_in_block` finds those).
_HOLDING_DENSE = ("TimeDistributed",)


def _leaf_names(model):
    """The names of the model's leaf layers as the library's quantize finds them by name: a
    MultiHeadAttention's or GroupedQueryAttention's projections by their own."""
    for layer in _quantize._leaf_layers(model):
        if type(layer).__name__ in _ATTENTION_PROJECTIONS:
            yield from (getattr(layer, name).name for name in _ATTENTION_PROJECTIONS[type(layer).__name__])
        else:
            yield layer.name


def block_layers(model, blocks, mode, filters=None):
    """The layers of `blocks` (the structure's `sequential_blocks`) that `mode` ("gptq",
    "awq") quantizes: each block's Dense and EinsumDense layers (Keras's
    `find_layers_in_block`) that `filters` keeps, all checked before any is changed (an
    EinsumDense's kernel of 2 or 3 axes, as Keras's `GPTQ` / `AWQ` take; a layer that is not
    one of `model`'s is refused)."""
    found, members, names = [], list(_quantize._leaf_layers(model)), None
    for block in blocks:
        try:
            layers = _find_layers_in_block(block)
        except ValueError as e:
            raise ValueError(f"{mode}: in block '{block.name}', {e}") from None
        for layer in layers:
            if not _quantize._should_quantize(layer, filters):
                continue
            holder = layer.__dict__.get("_parent") or layer   # (an attention layer's projection: its layer)
            if all(holder is not member for member in members):
                raise ValueError(f"{mode}: the layer '{layer.name}' of block '{block.name}' is not a layer of "
                                 f"model '{model.name}'")
            if holder is not layer:
                names = list(_leaf_names(model)) if names is None else names
                if names.count(layer.name) > 1:
                    raise ValueError(f"{mode}: the projection '{layer.name}' of {type(holder).__name__} '{holder.name}' "
                                     f"shares its name with another layer of model '{model.name}': swiftkeras "
                                     f"quantizes a projection by its name (one attention layer a model)")
            if len(layer.kernel.shape) not in (2, 3):
                raise TypeError(f"Unsupported layer type for {mode.upper()}: EinsumDense '{layer.name}' with a "
                                f"kernel of shape {tuple(layer.kernel.shape)} (2 or 3 axes)")
            if all(layer is not seen for seen in found):
                found.append(layer)
    return found


def flat_kernel(layer):
    """The layer's float kernel as Keras's `GPTQ` / `AWQ` take it, `[rows, cols]`: a 2-D
    kernel as it is; a 3-D EinsumDense kernel reshaped by its largest axis (first: `[in,
    heads, head_dim]` to `[in, heads * head_dim]`; else `[heads, head_dim, out]` to `[heads *
    head_dim, out]`), as the library's GPTQ / AWQ EinsumDense reads it back."""
    kernel = np.asarray(layer.kernel.numpy(), dtype=_F32)
    if kernel.ndim == 3:
        shape = list(kernel.shape)
        at = shape.index(max(shape))
        kernel = kernel.reshape((shape[0], -1) if at == 0 else (-1, shape[2]))
    return kernel


def assign(model, layer, config, values):
    """The library's GPTQ or AWQ form of `layer` (made by its quantize in the config's mode),
    given the solve's values by weight name (the integers `[units, input_dim]` under "kernel",
    packed here at 4 bits)."""
    from .quantizers import pack_int4
    values = dict(values)
    kernel = values["kernel"].astype(np.uint8)
    values["kernel"] = pack_int4(kernel, axis=0, dtype="uint8")[0] if config.weight_bits == 4 else kernel
    if _quantize._run(model, config.dtype_policy_string(), [layer.name]):
        raise ValueError(f"{config.mode}: layer '{layer.name}' ({type(layer).__name__}) cannot be quantized by "
                         f"swiftkeras (Dense and EinsumDense layers only)")
    # (the policy the layer's Python config carries: a layer of a nested block has no config of
    # its own in the library's model list)
    from .dtype_policies import AWQDTypePolicy, GPTQDTypePolicy, serialize
    policy = (GPTQDTypePolicy if config.mode == "gptq" else AWQDTypePolicy)(config.dtype_policy_string(), "float32")
    layer.__dict__["_quantized_dtype"] = serialize(policy)
    by_name = {v.path.split("/")[-1]: v for v in layer.weights}
    if "zero_point" in by_name:   # (EinsumDense's name)
        by_name["kernel_zero"] = by_name["zero_point"]
    if "kernel_zero" not in by_name:
        raise ValueError(f"{config.mode}: the block layer '{layer.name}' is not a layer of model '{model.name}'")
    for name, value in values.items():
        by_name[name].assign(value)


# Keras's wording of the two modes' errors (`gptq_core.gptq_quantize`, `awq_core.awq_quantize`).
_NO_DATASET = {"gptq": "GPTQ quantization requires a dataset and a tokenizer. Please provide them in the `GPTQConfig`.",
               "awq": "AWQ quantization requires a dataset and tokenizer. Please provide them in the AWQConfig."}
_NO_BLOCKS = {"gptq": "No sequential blocks found in the provided structure to quantize.",
              "awq": "No sequential blocks found in the structure to quantize."}


def calibration_layers(model, config, structure, filters=None):
    """What Keras's `gptq_quantize` and `awq_quantize` check before they change a layer, with
    each mode's errors (a dataset and a tokenizer, a structure, the calibration windows made by
    `get_dataloader`, sequential blocks), then the blocks' layers that the config's mode
    quantizes (`block_layers`)."""
    mode = config.mode
    if config.dataset is None or config.tokenizer is None:
        raise ValueError(_NO_DATASET[mode])
    if structure is None:
        raise ValueError(f"For '{mode}' mode, a valid quantization structure must be provided either via "
                         "`config.quantization_layer_structure` or by overriding "
                         "`model.get_quantization_layer_structure(mode)`. The structure should be a "
                         "dictionary with keys 'pre_block_layers' and 'sequential_blocks'.")
    get_dataloader(config.tokenizer, config.sequence_length, config.dataset, num_samples=config.num_samples)
    blocks = structure.get("sequential_blocks", [])
    if not blocks:
        raise ValueError(_NO_BLOCKS[mode])
    return block_layers(model, blocks, mode, filters)


def gptq_quantize(model, config, structure, filters=None):
    """Keras's `gptq_core.gptq_quantize` + `apply_gptq_layerwise` as Keras 3.15 computes them:
    the calibration windows made (`get_dataloader`, with its errors), then each block's Dense
    layers solved, block by block.

    Keras captures each layer's inputs by replacing the layer's `call`; but a layer in "gptq"
    mode is called through `quantized_call` (`Operation.__call__`), so the capture never runs
    and every Hessian Keras solves with is the zero matrix: its dead diagonal set to 1 and
    damped, the solve is the group-wise rounding of the kernel with no error to propagate, and
    the calibration data change nothing. The library solves with the same Hessian, so that its
    integers, scales and zero points are Keras's."""
    for layer in calibration_layers(model, config, structure, filters):
        quantized, scale, zero, g_idx = solve_layer(flat_kernel(layer), None, config)
        assign(model, layer, config, {"kernel": quantized, "kernel_scale": scale, "kernel_zero": zero,
                                      "g_idx": g_idx})
