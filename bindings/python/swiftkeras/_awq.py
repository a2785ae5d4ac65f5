"""`model.quantize("awq", config=AWQConfig(...))` (Keras 3: `keras.src.quantizers.awq_core` and
`awq`): each Dense and EinsumDense layer of the structure's blocks gets per-input-channel scales from a grid
search over its calibration activations' magnitudes, is multiplied by them and rounded to 4
bits in groups with zero points; the library then holds the layer as Keras's AWQ Dense or
EinsumDense (GPTQ's transposed uint8 kernel packed at 4 bits, scale, zero point and group index per unit and
group, and `awq_scales`, by which the layer divides its dequantized kernel; `AWQDTypePolicy`
"awq/4/<group_size>").

The blocks, the calibration windows, the quantization parameters and the assignment to the
library's layers are GPTQ's (`_gptq`); the search and rounding are a few float32 numpy
operations in the order Keras's own float32 code takes them."""

import numpy as np

from . import _gptq

_F32 = np.float32
_BITS = 4


def _quantize(weights, group_size, in_features):
    """Keras's `compute_quantization_parameters` (4 bits, asymmetric, per channel, in groups)
    and `quantize_with_sz_map` of `weights` (`[out, in]`): the integers, scale, zero point and
    each input column's group."""
    scale, zero, maxq = _gptq.compute_quantization_parameters(weights, bits=_BITS, symmetric=False,
                                                              per_channel=True, group_size=group_size)
    groups = np.zeros(in_features, dtype=np.int64) if group_size == -1 else \
        np.arange(in_features) // group_size
    quantized = _gptq._quantize_column(weights, scale[:, groups], zero[:, groups], maxq)
    return quantized, scale, zero, groups


def awq_search_optimal_scales(weights, activation_magnitudes, *, num_grid_points=20, group_size=-1):
    """Keras's `awq.awq_search_optimal_scales`: for each ratio `i / num_grid_points` (i = 0 ...
    num_grid_points), scales `x_max ** ratio` (at least 1e-4) normalized by the square root of
    their largest times their smallest; the weights (`[out, in]`) multiplied by them, rounded,
    divided back; the scales whose error weighted by `x_max²` has the smallest mean (the first
    of equal ones)."""
    weights = np.asarray(weights, dtype=_F32)
    in_features = weights.shape[1]
    x_max = np.asarray(activation_magnitudes, dtype=_F32)
    x_max = np.where(x_max < _F32(1e-8), _F32(1), x_max).astype(_F32)
    weight = np.square(x_max)
    best_loss, best_scales = None, np.ones(in_features, dtype=_F32)
    for i in range(num_grid_points + 1):
        ratio = i / num_grid_points
        scales = np.ones_like(x_max) if ratio == 0 else np.power(x_max, _F32(ratio)).astype(_F32)
        scales = np.maximum(scales, _F32(1e-4))
        scale_mean = np.maximum(np.sqrt(scales.max() * scales.min(), dtype=_F32), _F32(1e-8))
        scales = _gptq._divide_by_scalar(scales, scale_mean)
        scaled = (weights * scales).astype(_F32)
        quantized, scale, zero, groups = _quantize(scaled, group_size, in_features)
        dequantized = (quantized - zero[:, groups].astype(_F32)) * scale[:, groups]
        reconstructed = (dequantized / scales).astype(_F32)
        loss = np.mean(np.square(weights - reconstructed) * weight, dtype=_F32)
        if best_loss is None or loss < best_loss:
            best_loss, best_scales = loss, scales
    return best_scales


def awq_quantize_matrix(weights_transpose, activation_magnitudes, *, num_grid_points=20, group_size=-1):
    """Keras's `awq.awq_quantize_matrix`: the searched scales, then the scaled weights
    (`[out, in]`) rounded. Returns the integers (`[out, in]`), scale and zero point
    (`[out, groups]`), the AWQ scales (`[in]`) and g_idx (each column's group, as floats)."""
    weights = np.asarray(weights_transpose, dtype=_F32)
    awq_scales = awq_search_optimal_scales(weights, activation_magnitudes, num_grid_points=num_grid_points,
                                           group_size=group_size)
    quantized, scale, zero, groups = _quantize((weights * awq_scales).astype(_F32), group_size, weights.shape[1])
    return quantized, scale, zero, awq_scales, groups.astype(_F32)


def awq_quantize(model, config, structure, filters=None):
    """Keras's `awq_core.awq_quantize` + `apply_awq_layerwise` as Keras 3.15 computes them: the
    calibration windows made (`get_dataloader`, with its errors), then each block's Dense
    and EinsumDense layers quantized, block by block.

    Keras collects each layer's input magnitudes by replacing the layer's `call`; but a layer
    in "awq" mode is called through `quantized_call` (`Operation.__call__`), so the capture
    never runs (the same as GPTQ's, `_gptq.gptq_quantize`): every magnitude Keras searches with
    is 0, taken as 1, so every ratio's scales are 1, the first (ratio 0) is kept, `awq_scales`
    are all 1 and the result is the plain group-wise 4-bit rounding of the kernel, whatever the
    calibration data. The library searches with the same magnitudes, so that its integers,
    scales, zero points and AWQ scales are Keras's."""
    for layer in _gptq.calibration_layers(model, config, structure, filters):
        kernel = _gptq.flat_kernel(layer)
        magnitudes = np.zeros(kernel.shape[0], dtype=_F32)
        quantized, scale, zero, awq_scales, g_idx = awq_quantize_matrix(
            kernel.T, magnitudes, num_grid_points=config.num_grid_points, group_size=config.group_size)
        _gptq.assign(model, layer, config, {"kernel": quantized, "kernel_scale": scale, "kernel_zero": zero,
                                            "awq_scales": awq_scales, "g_idx": g_idx})
