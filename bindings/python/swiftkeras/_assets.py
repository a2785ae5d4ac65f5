"""Keras's `save_assets` / `load_assets` of layers written in Python, in a `.keras` file: what a
layer writes into its folder goes into the archive under `assets/layers/<layer name>/` (Keras
3's layout), and is given back to `load_assets` when the model is loaded (after its weights, as
Keras orders it). The library writes and reads the rest of the archive, the weights included:
a `save_own_variables` storing other values is refused (check_own_variables)."""

from __future__ import annotations

import os
import tempfile
import zipfile


def _with_assets(model, method):
    from .layers import Layer, _BuiltinLayer, _subclasses_builtin
    return [layer for layer in model.layers
            if (not isinstance(layer, _BuiltinLayer) or _subclasses_builtin(layer))
            and callable(getattr(type(layer), method, None))
            and getattr(type(layer), method) is not getattr(Layer, method, None)]


def _folder(layer):
    return f"assets/layers/{layer.name}/"


def check_own_variables(model):
    """A Python layer whose `save_own_variables` stores more than its weights is refused
    before saving: the library writes each layer's weights into the file itself, and would
    leave the other values out without a word."""
    for layer in _with_assets(model, "save_own_variables"):
        store = {}
        layer.save_own_variables(store)
        extra = sorted(set(store) - {str(i) for i in range(len(layer.weights))})
        if extra:
            raise NotImplementedError(
                f"{type(layer).__name__}.save_own_variables stores {extra} besides the layer's "
                f"weights: the library writes a layer's weights into the file itself and cannot "
                f"add other values; keep them as weights (self.add_weight(..., trainable=False)) "
                f"to save them")


def save(model, filepath):
    """Adds the assets of the model's Python layers to the `.keras` archive just written."""
    path = os.fsdecode(filepath)
    layers = _with_assets(model, "save_assets")
    if not layers or not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        for layer in layers:
            with tempfile.TemporaryDirectory() as folder:
                layer.save_assets(folder)
                for root, _, files in os.walk(folder):
                    for name in sorted(files):
                        full = os.path.join(root, name)
                        archive.write(full, _folder(layer) + os.path.relpath(full, folder).replace(os.sep, "/"))


def load(model, filepath):
    """Gives each Python layer of a model loaded from a `.keras` archive its assets folder."""
    path = os.fsdecode(filepath)
    layers = _with_assets(model, "load_assets")
    if not layers or not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        for layer in layers:
            prefix = _folder(layer)
            with tempfile.TemporaryDirectory() as folder:
                for name in names:
                    if name.startswith(prefix) and not name.endswith("/"):
                        target = os.path.join(folder, *name[len(prefix):].split("/"))
                        if os.path.commonpath([folder, os.path.abspath(target)]) != folder:
                            raise ValueError(f"{path}: the asset '{name}' lies outside its layer's folder")
                        os.makedirs(os.path.dirname(target), exist_ok=True)
                        with archive.open(name) as src, open(target, "wb") as dst:
                            dst.write(src.read())
                layer.load_assets(folder)
