"""The library's catalogue of layer classes and their constructor arguments
(`keras_catalog_json`), from which swiftkeras.layers makes its classes: a layer added to the
Swift library appears in Python with no Python change.

A library built before the catalogue entry point existed gives no argument lists; then each
layer class takes keyword arguments plus the positional ones Keras users write for the layers
the library had at that time (the table below), and the library validates every argument.
"""

from __future__ import annotations

import functools

from . import _lib, _native

_POSITIONAL_BEFORE_CATALOGUE = {
    "Dense": ("units", "activation"), "Activation": ("activation",), "Dropout": ("rate",),
    "Flatten": ("data_format",), "Reshape": ("target_shape",), "Permute": ("dims",),
    "RepeatVector": ("n",), "Rescaling": ("scale", "offset"), "Lambda": ("function",),
    "ActivityRegularization": ("l1", "l2"), "Concatenate": ("axis",),
    "InputLayer": ("shape", "batch_size"),
}


@functools.lru_cache(maxsize=1)
def catalog() -> dict | None:
    if not _lib.has("keras_catalog_json"):
        return None
    return _native.take_json(_lib.keras_catalog_json)


def layer_names() -> list[str] | None:
    c = catalog()
    if c is None:
        return None
    return sorted(name for name, entry in c.get("layers", {}).items() if not entry.get("custom"))


def layer_signature(class_name: str) -> tuple[tuple[str, ...], dict, tuple[str, ...]] | None:
    """(argument names in Keras's order, defaults, required names) of a library layer, or None
    if the library has no such built-in layer."""
    c = catalog()
    if c is None:
        if class_name in _POSITIONAL_BEFORE_CATALOGUE:
            return _POSITIONAL_BEFORE_CATALOGUE[class_name], {}, ()
        return None
    entry = c.get("layers", {}).get(class_name)
    if entry is None or entry.get("custom"):
        return None
    args = [a for a in entry.get("args", []) if a.get("name") not in ("name", "trainable", "dtype")]
    names = tuple(a["name"] for a in args)
    defaults = {a["name"]: a.get("default") for a in args if "default" in a}
    required = tuple(a["name"] for a in args if a.get("required"))
    return names, defaults, required


def library_has_catalogue() -> bool:
    return catalog() is not None
