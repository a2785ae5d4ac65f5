"""`keras.utils.model_to_dot` and `keras.utils.plot_model`, as Keras 3 draws a model: one box
per layer (an HTML table with its name, class, activation, shapes, dtype, trainable) and an
edge per connection, in Graphviz's DOT language. The graph comes from the library's model
config. `plot_model` writes a `.dot` file itself; other formats (PNG, SVG, PDF) go through
pydot and Graphviz as in Keras, with Keras's ImportError when either is missing."""

from __future__ import annotations

import ctypes
import json
import os
import sys

import numpy as np

from . import _lib, _native

try:
    import pydot
except ImportError:
    pydot = None

_NOT_BUILT = ("This model has not yet been built. Build the model first by calling `build()` "
              "or by calling the model on a batch of data.")
_NEED_PYDOT = "You must install pydot (`pip install pydot`) for {what} to work."
_NEED_GRAPHVIZ = ("You must install graphviz (see instructions at "
                  "https://graphviz.gitlab.io/download/) for `plot_model` to work.")


def check_pydot():
    """True when pydot is importable."""
    return pydot is not None


def check_graphviz():
    """True when pydot and Graphviz's `dot` program both work."""
    if pydot is None:
        return False
    try:
        pydot.Dot.create(pydot.Dot())
        return True
    except Exception:  # noqa: BLE001 — pydot.PydotException, or OSError for a missing `dot`
        return False


def _require_built(model):
    """Keras's error for a model without a graph yet (a subclassed model never called)."""
    if not model.built and (model._subclassed() or not model._input_known()):
        raise ValueError(_NOT_BUILT)


def _shapes(model):
    """Each layer's output shape (batch None) from one zero sample, for single-input models."""
    try:
        shape = model.input_shape
    except Exception:  # noqa: BLE001
        return {}
    if not isinstance(shape, tuple) or any(d is None for d in shape[1:]):
        return {}
    x = np.zeros((1,) + tuple(shape[1:]), np.float32)
    out = np.empty(1 << 20, np.float32)
    found = {}
    for info in model._layers_info():
        out_shape, ndim = (ctypes.c_int64 * 8)(), ctypes.c_int32()
        rc = _lib.keras_model_layer_output(
            model._handle, info["name"].encode(), x.ctypes.data_as(_lib.float_p), x.ndim,
            _native.int64_array(x.shape), out.ctypes.data_as(_lib.float_p), out.size, out_shape,
            ctypes.byref(ndim))
        if rc == 0:
            found[info["name"]] = (None,) + tuple(int(out_shape[i]) for i in range(1, ndim.value))
        else:
            _native.last_error()
            batch_shape = info["config"].get("batch_shape")
            if info["class_name"] == "InputLayer" and batch_shape:
                found[info["name"]] = tuple(batch_shape)
    return found


def _sources(value):
    """The layer names a node's arguments come from (keras_history of each tensor config)."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            return [value["config"]["keras_history"][0]]
        return [n for v in value.values() for n in _sources(v)]
    if isinstance(value, list):
        return [n for v in value for n in _sources(v)]
    return []


def _label(name, class_name, layer, shapes, inputs, opts):
    """Keras's make_layer_label: the same HTML table."""
    cols_max = int(opts["show_dtype"]) + int(opts["show_trainable"]) + 2 * opts["show_shapes"]
    colspan = max(1, cols_max)
    title = f"<b>{name}</b> ({class_name})" if opts["show_layer_names"] else f"<b>{class_name}</b>"
    table = ('<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
             f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">'
             f"{title}</font></td></tr>")
    activation = getattr(layer, "activation", None) if opts["show_layer_activations"] else None
    if activation is not None:
        act = getattr(activation, "name", None) or getattr(activation, "__name__", None) or \
            str(activation)
        table += (f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
                  f"Activation: <b>{act}</b></font></td></tr>")
    cols = []
    if opts["show_shapes"]:
        ins = [shapes.get(n) for n in inputs]
        in_shape = None if not ins or None in ins else (ins[0] if len(ins) == 1 else ins)
        fmt = (lambda s: "?" if s is None else f"{s}")
        if class_name != "InputLayer":
            cols.append(f'<td bgcolor="white"><font point-size="14">Input shape: '
                        f"<b>{fmt(in_shape)}</b></font></td>")
        cols.append(f'<td bgcolor="white"><font point-size="14">Output shape: '
                    f"<b>{fmt(shapes.get(name))}</b></font></td>")
    if opts["show_dtype"]:
        cols.append('<td bgcolor="white"><font point-size="14">Output dtype: '
                    "<b>float32</b></font></td>")
    if opts["show_trainable"] and layer is not None and layer.weights:
        cols.append('<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable'
                    '</b></font></td>' if layer.trainable else
                    '<td bgcolor="firebrick"><font point-size="14" color="white"><b>'
                    'Non-trainable</b></font></td>')
    if cols:
        table += f"<tr>{''.join(cols)}</tr>"
    return table + "</table>>"


def _dot_text(model, rankdir, dpi, splines, opts):
    """The model graph in DOT, laid out as Keras's model_to_dot."""
    lines = ["digraph G {", f"rankdir={rankdir};", "concentrate=True;", f"dpi={dpi};",
             f"splines={splines};", "node [shape=record];"]

    def node(key, label):
        lines.append(f"{key} [label={label}, fontname=Helvetica, border=0, margin=0];")

    if model._is_subclass_model():  # Keras draws a subclassed model as one box
        node(str(id(model)), _label(model.name, type(model).__name__, None, {}, [], opts))
        return "\n".join(lines + ["}", ""])
    config = json.loads(model._library_json())["config"]
    entries = config.get("layers", [])
    objects = {layer.name: layer for layer in model._layers}
    shapes = _shapes(model) if opts["show_shapes"] else {}
    ids = {e["config"].get("name", e.get("name")): str(10_000 + i) for i, e in enumerate(entries)}
    from .models import Sequential
    sequential = isinstance(model, Sequential)
    edges, previous = [], None
    for e in entries:
        name = e["config"].get("name", e.get("name"))
        layer = objects.get(name)
        class_name = getattr(layer, "_op_class", None) or e["class_name"]
        inputs = _sources(e.get("inbound_nodes", [])) if not sequential else \
            ([previous] if previous else [])
        if sequential and class_name == "InputLayer":
            continue
        node(ids[name], _label(name, class_name, layer, shapes, inputs, opts))
        for src in dict.fromkeys(inputs):
            if src in ids and src != name:
                edges.append(f"{ids[src]} -> {ids[name]}  [penwidth=2];")
        previous = name
    return "\n".join(lines + edges + ["}", ""])


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Keras `keras.utils.model_to_dot`: a `pydot.Dot` of the model (needs pydot)."""
    _require_built(model)
    if pydot is None:
        raise ImportError(_NEED_PYDOT.format(what="model_to_dot"))
    text = _text(model, show_shapes, show_dtype, show_layer_names, rankdir, dpi,
                 show_layer_activations, show_trainable, splines, kwargs)
    return pydot.graph_from_dot_data(text)[0]


def _text(model, show_shapes, show_dtype, show_layer_names, rankdir, dpi,
          show_layer_activations, show_trainable, splines, kwargs):
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    opts = {"show_layer_names": show_layer_names, "show_layer_activations": show_layer_activations,
            "show_dtype": show_dtype, "show_shapes": show_shapes, "show_trainable": show_trainable}
    return _dot_text(model, rankdir, dpi, splines, opts)


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Keras `keras.utils.plot_model`: writes the model graph to `to_file` (`.dot` directly;
    PNG, SVG, PDF and others through pydot and Graphviz)."""
    _require_built(model)
    to_file = str(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    if extension != "dot":
        for ok, message in ((check_pydot, _NEED_PYDOT.format(what="`plot_model`")),
                            (check_graphviz, _NEED_GRAPHVIZ)):
            if not ok():
                if "IPython.core.magics.namespace" in sys.modules:
                    print(message)
                    return None
                raise ImportError(message)
    text = _text(model, show_shapes, show_dtype, show_layer_names, rankdir, dpi,
                 show_layer_activations, show_trainable, splines, kwargs)
    if extension == "dot":
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        pydot.graph_from_dot_data(text)[0].write(to_file, format=extension)
    if extension in ("png", "jpg", "jpeg", "gif", "webp"):  # what IPython's Image shows
        try:
            from IPython import display
            return display.Image(filename=to_file)
        except ImportError:
            pass
    return None
