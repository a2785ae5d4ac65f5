"""Keras 3's `layer.input_spec` of the built-in layers: the InputSpec Keras sets in a layer's
constructor (a fixed rank, or a minimal one) and, for some, in its build (the channel or
feature axis's size, the input's rank). The library checks its inputs itself, with its own
messages; these objects say what Keras's say, for code that reads them."""

from __future__ import annotations

_RANKED = {"1D": 1, "2D": 2, "3D": 3}

# Classes whose spec is `InputSpec(ndim=n)` before and after the build: n by class, or by
# its spatial rank (the class name's "1D/2D/3D") plus this offset.
_FIXED = {"Bidirectional": 3, "GRU": 3, "LSTM": 3, "RepeatVector": 2, "STFTSpectrogram": 3}
_FIXED_BY_RANK = {"AveragePooling": 2, "MaxPooling": 2, "GlobalAveragePooling": 2,
                  "GlobalMaxPooling": 2, "Cropping": 2, "UpSampling": 2, "ZeroPadding": 2,
                  "SpatialDropout": 2, "ConvLSTM": 3}
# `InputSpec(min_ndim=rank + 2)`, with `axes={channel axis: channels}` once built.
_CONVOLUTIONS = ("Conv", "DepthwiseConv", "SeparableConv")   # transposed ones too


def _spatial(name):
    """(base name, spatial rank) of `name`: Conv2D -> (Conv, 2), Conv2DTranspose -> (Conv, 2)."""
    if name.endswith("Transpose"):
        name = name[:-len("Transpose")]
    for suffix, rank in _RANKED.items():
        if name.endswith(suffix):
            return name[:-2], rank
    return name, None


def input_spec(layer):
    """Keras's `input_spec` of built-in `layer` (None where Keras has none)."""
    from .layers import InputSpec
    name = layer._class_name()
    args = layer.__dict__.get("_args") or {}
    base, rank = _spatial(name)
    if name in _FIXED:
        return InputSpec(ndim=_FIXED[name])
    if name == "SimpleRNN":
        return [InputSpec(ndim=3)]
    if rank is not None and base in _FIXED_BY_RANK:
        return InputSpec(ndim=rank + _FIXED_BY_RANK[base])
    if name == "Permute":
        return InputSpec(ndim=len(args.get("dims") or ()) + 1)
    if name == "Flatten":
        return InputSpec(min_ndim=1)
    shape = _built_shape(layer)
    if name == "Dense":
        return InputSpec(min_ndim=2, axes={-1: shape[-1]} if shape else None)
    if rank is not None and base in _CONVOLUTIONS:
        if not shape:
            return InputSpec(min_ndim=rank + 2)
        axis = 1 if args.get("data_format") == "channels_first" else -1
        return InputSpec(min_ndim=rank + 2, axes={axis: shape[axis]})
    if not shape:
        return None
    if name in ("BatchNormalization", "GroupNormalization"):
        axis = args.get("axis", -1)
        return InputSpec(ndim=len(shape), axes={axis: shape[axis]})
    if name == "EinsumDense":
        return InputSpec(ndim=len(shape))
    if name == "SpectralNormalization":
        return InputSpec(min_ndim=1, axes={-1: shape[-1]})
    if name == "PReLU":
        shared = args.get("shared_axes") or ()
        shared = [shared] if isinstance(shared, int) else list(shared)
        axes = {i: shape[i] for i in range(1, len(shape)) if i not in shared} if shared else None
        return InputSpec(ndim=len(shape), axes=axes)
    return None


def _built_shape(layer):
    """The input shape the layer was built for, or None before its build (or with several
    inputs)."""
    owner = layer.__dict__.get("_owner")
    if owner is None or owner.__dict__.get("_handle") is None:
        return None
    try:
        shape = layer.input.shape
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None   # several inputs (a list has no shape), or no symbolic call
    return tuple(shape) if shape is not None else None
