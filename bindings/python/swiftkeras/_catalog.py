"""The library's catalogue of layer classes and their constructor arguments
(`keras_catalog_json`), from which swiftkeras.layers makes its classes: a layer added to the
Swift library appears in Python with no Python change (DESIGN: one source of truth).
"""

from __future__ import annotations

import functools
import threading

from . import _lib, _native


@functools.lru_cache(maxsize=1)
def catalog() -> dict:
    """Built-in objects of the library (custom ones registered later are looked up by name)."""
    return _native.take_json(_lib.keras_catalog_json)


def builtin_objects(family: str, default=None):
    """The catalogue's built-in entries of one family (`"losses"`, `"metrics"`, ...), custom ones
    left out; `default` (empty) when the library cannot be loaded, so that importing the package
    still works and says what is missing when the library is first needed."""
    if _lib.load_error is not None or not _lib.has("keras_catalog_json"):
        return default if default is not None else {}
    entries = catalog().get(family, default if default is not None else {})
    if isinstance(entries, dict):
        return {k: e for k, e in entries.items() if not e.get("custom")}
    return entries


def is_builtin(family: str, name: str) -> bool:
    """`name in builtin_objects(family)` without copying the family (asked at each `get_config`
    of a metric or loss object: a train_step tracker's `result()`)."""
    if _lib.load_error is not None or not _lib.has("keras_catalog_json"):
        return False
    entries = catalog().get(family, {})
    if isinstance(entries, dict):
        entry = entries.get(name)
        return entry is not None and not entry.get("custom")
    return name in entries


def layer_names() -> list[str]:
    """The layer classes of `keras.layers`: the library's built-ins but for those Keras keeps
    in another module (an application's own, ConvNeXt's LayerScale: `layer_module`)."""
    return sorted(name for name, entry in catalog().get("layers", {}).items()
                  if not entry.get("custom") and entry.get("module") == "keras.layers")


def layer_module(class_name: str) -> str:
    """Keras's module of a library layer class: `keras.layers`, or the module of a class Keras
    does not export (`keras.src.applications.convnext` for LayerScale)."""
    return catalog().get("layers", {}).get(class_name, {}).get("module", "keras.layers")


@functools.lru_cache(maxsize=None)
def layer_signature(class_name: str) -> tuple[tuple[str, ...], dict, tuple[str, ...]] | None:
    """(argument names in Keras's order, defaults, required names) of a library layer, or None
    if the library has no such built-in layer: read once per class (every construction reads
    it); the defaults are shared, not to be changed."""
    entry = catalog().get("layers", {}).get(class_name)
    if entry is None or entry.get("custom"):
        return None
    args = [a for a in entry.get("args", []) if a.get("name") not in ("name", "trainable", "dtype")]
    names = tuple(a["name"] for a in args)
    defaults = {a["name"]: a.get("default") for a in args if "default" in a}
    required = tuple(a["name"] for a in args if a.get("required"))
    return names, defaults, required


def layer_unsaved(class_name: str) -> frozenset:
    """The constructor arguments of a library layer that its config leaves out (SimpleRNN's
    `seed`, as Keras's SimpleRNN.get_config does)."""
    entry = catalog().get("layers", {}).get(class_name) or {}
    return frozenset(a["name"] for a in entry.get("args", []) if a.get("saved") is False)


def layer_keyword_only(class_name: str) -> frozenset:
    """The arguments a library layer takes by keyword only: a family base's (the image layers'
    `bounding_box_format`), which Keras's subclasses take through `**kwargs`."""
    entry = catalog().get("layers", {}).get(class_name) or {}
    return frozenset(a["name"] for a in entry.get("args", []) if a.get("keyword_only"))


def layer_call_masks(class_name: str) -> str | None:
    """The masks Keras's call of a library layer takes: "mask", its one input's (the recurrent
    layers, BatchNormalization, Softmax, ...: Keras passes it and records it in the call's
    node); "attention", its query's, value's and key's (the attention layers); None, none."""
    return catalog().get("layers", {}).get(class_name, {}).get("call_masks")


def layer_supports_masking(class_name: str) -> bool | str:
    """Keras's `supports_masking` of a library layer class: True, False, or the name of the
    constructor argument whose value it is (Embedding's "mask_zero")."""
    return catalog().get("layers", {}).get(class_name, {}).get("supports_masking", False)


def layer_computes_mask(class_name: str) -> bool:
    """Whether Keras's class of a library layer has a `compute_mask` of its own (its output's
    mask is what that computes, not the input's passed on): the catalogue's "computes_mask"."""
    return bool(catalog().get("layers", {}).get(class_name, {}).get("computes_mask"))


def layer_class_name(name: str) -> str:
    """The class a layer name denotes: an alias's (`GlobalAvgPool2D` is Keras's
    `GlobalAveragePooling2D`), else the name itself."""
    return catalog().get("layers", {}).get(name, {}).get("class_name", name)


def layer_adaptable(class_name: str) -> bool:
    """Whether a library layer class has Keras's `adapt` (preprocessing layers)."""
    return bool(catalog().get("layers", {}).get(class_name, {}).get("adapt"))


def check_layer_arguments(layer) -> None:
    """Keras's checks of a built-in layer's constructor arguments, made when the layer is: the
    library makes the layer from them without building it (keras_layer_validate_config: the
    checks of its declaration, the one place they are written), and the exception Keras's
    constructor raises is raised here (by the error's kind: TypeError, OverflowError, else
    ValueError) with the library's message. A config naming an object registered from Python (a
    custom initializer, a cell) or holding a Python function (TextVectorization's `standardize`)
    is checked when the library first holds the layer, which registers those; so is one holding
    a value no Keras config can (the TypeError or ValueError of serialize and dumps, raised where
    Keras's get_config would). A numpy number given goes as one (_native.numpy_scalar_marked),
    for the checks where Keras's differ from a Python number's. Arguments found good are
    remembered (without the layer's name, which the check does not read), so that the
    thousandth Dense(64) made alike costs no library call."""
    key = _plain_arguments_key(layer)
    if key is not None and key in _checked:
        return
    if any(callable(v) and not hasattr(v, "get_config") for k, v in layer._args.items()
           if not k.endswith("activation")):   # (activations are registered with their config)
        return
    if any(hasattr(v, "_is_builtin") and not v._is_builtin() for v in layer._args.values()):
        return   # a Python subclass's object (a custom constraint), registered when first held
    try:
        entry = layer._base_entry()
        config = {k: _native.numpy_scalar_marked(layer._args.get(k), v)
                  for k, v in entry["config"].items() if k != "name"}
        text = _native.dumps({**entry, "config": config,
                              **({"from_config": True} if getattr(_reading, "config", False) else {})})
    except (TypeError, ValueError):
        return
    if text in _checked:
        if key is not None and len(_checked) < 4096:
            _checked.add(key)
        return
    if b'"registered_name": "' in text:
        return
    from ._plugins import functions_by_module
    with functions_by_module(text):
        status = _lib.keras_layer_validate_config(text, None)
    stashed = _native.take_stashed()
    if stashed is not None:
        raise stashed
    if status != _native.OK:
        message = _native.last_error().removeprefix("keras_layer_validate_config: ")
        raise _native.exception_class(status)(message)
    if len(_checked) < 4096:
        _checked.add(text)
        if key is not None:
            _checked.add(key)


def _plain_arguments_key(layer):
    """What a built-in layer's check text is made from where every argument is a plain
    number, string, bool or None (Dense(8), Activation("relu")): its class, the base
    arguments, each argument with its type (1, 1.0 and True are three values; a float by its
    repr: -0.0 is not 0.0), whether a config is read; None for other arguments, whose text
    check_layer_arguments writes to know them."""
    if not type(layer).__module__.startswith("swiftkeras"):
        return None   # (a Python subclass of a built-in class)
    items = []
    for k, v in layer._args.items():
        kind = type(v)
        if kind not in _PLAIN:
            return None
        items.append((k, kind, repr(v) if kind is float else v))
    return (type(layer), layer.trainable, layer.__dict__.get("_dtype"),
            getattr(_reading, "config", False), tuple(items))


_PLAIN = frozenset({str, int, float, bool, type(None)})

# The entries (JSON text, without names) keras_layer_validate_config took, and the keys
# (_plain_arguments_key) of the plain arguments that made them.
_checked: set = set()
_reading = threading.local()


class reading_config:
    """While a layer is made from a config (Keras's `from_config`): its arguments are checked
    as a config's, which skips the few checks Keras's constructor alone makes (keras.h,
    keras_layer_validate_config's "from_config")."""

    def __enter__(self):
        self.previous = getattr(_reading, "config", False)
        _reading.config = True

    def __exit__(self, *exc):
        _reading.config = self.previous
