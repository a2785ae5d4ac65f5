"""A `.keras` file of a functional or Sequential model that nests a subclassed model (Keras:
`keras.Model(x, head(Sub(name="sub")(x)))`, `Sub` registered with
`@keras.saving.register_keras_serializable` or passed in `custom_objects`). Keras's config names
the class of the nested model, which only the user's code defines: the model is made again as
Keras's `functional_from_config` makes it, in Python, each layer from its entry (the nested
model from its class, built for its build config) and each call of the config replayed on the
symbolic inputs; the library then reads the file's weights into it (the nested model's under
its attributes, Keras's layout)."""

from __future__ import annotations

import json
import zipfile


def load(path, compile):
    """The model of the `.keras` file at `path` when its config nests a subclassed model whose
    class is registered or in scope, else None (the library reads the file)."""
    config = _config(path)
    if config is None:
        return None
    kind, body = config.get("class_name"), config.get("config")
    if kind not in ("Functional", "Model", "Sequential") or not isinstance(body, dict):
        return None
    entries = body.get("layers")
    if not isinstance(entries, list) or not any(_subclass(e) is not None for e in entries):
        return None
    if kind == "Sequential":
        model = _sequential(body, entries)
    else:
        model = _functional(body, entries)
    model.load_weights(path)
    if compile and isinstance(config.get("compile_config"), dict):
        model.compile_from_config(config["compile_config"])
    return model


def _config(path):
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None   # the library reads (and reports on) the file
    return config if isinstance(config, dict) else None


def _subclass(entry):
    """The subclassed model class (a Model subclass of the user's) an entry names, or None."""
    from ._objects import custom_objects_in_scope
    from .models import Model, Sequential
    if not isinstance(entry, dict):
        return None
    found = custom_objects_in_scope()
    cls = found.get(entry.get("registered_name") or "") or found.get(entry.get("class_name") or "")
    if isinstance(cls, type) and issubclass(cls, Model) and cls not in (Model, Sequential):
        return cls
    return None


def _layer(entry):
    """The layer (or model) of a config entry; a nested subclassed model made by its class and
    built for its build config, as Keras's deserialization builds it."""
    from .saving import deserialize_keras_object, from_config
    from . import _scopes
    cls = _subclass(entry)
    if cls is None and str(entry.get("module") or "").startswith("keras.src.ops"):
        return _operation(entry)
    if cls is None:
        layer = deserialize_keras_object({k: entry.get(k) for k in
                                          ("module", "class_name", "config", "registered_name")})
        if isinstance(entry.get("build_config"), dict):
            # Keras builds it as it reads it, outside the model's name scope ("head/kernel"
            # in a loaded Sequential, not "outer/head/kernel"): the Sequential's config keeps
            # its build_config, which tells the library so
            _scopes.note_build_scope(layer)
            layer.__dict__["_read_build_config"] = entry["build_config"]
        return layer
    model = from_config(cls, entry)
    build = entry.get("build_config")
    if isinstance(build, dict) and build.get("input_shape") is not None:
        model.build_from_config(build)
    return model


def _operation(entry):
    """A Keras operation node (`keras.src.ops` entries: `ops.expand_dims(x, -1)` on an input, as
    keras.io's decision forests encode their numeric features): replayed as the `ops` call it
    stands for, its constructor arguments (config) as keywords, which makes the same node."""
    import re
    from . import ops
    from .ops._functional import _OP_CLASSES
    class_name = str(entry.get("class_name") or "")
    name = next((k for k, v in _OP_CLASSES.items() if v == class_name), None) or \
        re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()
    fn = getattr(ops, name, None)
    if fn is None:
        raise ValueError(f"the model's config has the operation {class_name}, which "
                         f"swiftkeras.ops does not have")
    config = {k: v for k, v in (entry.get("config") or {}).items() if k != "name"}
    return lambda *args, **kwargs: fn(*args, **kwargs, **config)


def _input(entry):
    from .layers import Input
    c = entry.get("config") or {}
    dtype = c.get("dtype")
    if isinstance(dtype, dict):   # a serialized dtype policy
        dtype = (dtype.get("config") or {}).get("name")
    return Input(batch_shape=tuple(c.get("batch_shape") or ()), dtype=dtype,
                 name=c.get("name") or entry.get("name"))


def _sequential(body, entries):
    from .models import Sequential
    layers = [_input(e) if e.get("class_name") == "InputLayer" else _layer(e) for e in entries]
    return Sequential(layers, name=body.get("name"), trainable=body.get("trainable", True))


def _functional(body, entries):
    """Keras's functional_from_config: each layer made once, then its calls replayed in the
    config's order as their inputs exist."""
    from ._loaded_graph import functional_names
    from .models import Model
    layers, produced = {}, {}
    for entry in entries:
        name = entry.get("name") or (entry.get("config") or {}).get("name")
        if entry.get("class_name") == "InputLayer" and not entry.get("inbound_nodes"):
            produced[(name, 0)] = [_input(entry)]
        else:
            layers[name] = (_layer(entry), entry)
    pending = [(name, i, node) for name, (_, entry) in layers.items()
               for i, node in enumerate(entry.get("inbound_nodes") or [])]
    while pending:
        waiting = []
        for name, index, node in pending:
            if not all(h in produced for h in _histories(node)) or \
                    (index and (name, index - 1) not in produced):
                waiting.append((name, index, node))
                continue
            args = _substitute(node.get("args") or [], produced)
            kwargs = _substitute(node.get("kwargs") or {}, produced)
            out = layers[name][0](*args, **kwargs)
            produced[(name, index)] = list(out) if isinstance(out, (list, tuple)) else [out]
        if len(waiting) == len(pending):
            missing = sorted({h[0] for _, _, node in waiting for h in _histories(node) if h not in produced})
            raise ValueError(f"The config of model '{body.get('name')}' calls layers on the "
                             f"outputs of {missing}, which none of its layers makes")
        pending = waiting
    functional = functional_names(entries)
    return Model(_ends(body.get("input_layers"), produced, functional),
                 _ends(body.get("output_layers"), produced, functional),
                 name=body.get("name"), trainable=body.get("trainable", True))


def _is_history(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _histories(value):
    """(layer, node) of every tensor a call's arguments reference."""
    if _is_history(value):
        layer, node, _ = (value.get("config") or {}).get("keras_history") or (None, 0, 0)
        return [(layer, node)]
    if isinstance(value, dict):
        return [h for v in value.values() for h in _histories(v)]
    if isinstance(value, (list, tuple)):
        return [h for v in value for h in _histories(v)]
    return []


def _substitute(value, produced):
    """A call's arguments with each referenced tensor in place of its reference."""
    if _is_history(value):
        layer, node, tensor = (value.get("config") or {}).get("keras_history") or (None, 0, 0)
        outputs = produced[(layer, node)]
        if not isinstance(tensor, int) or not 0 <= tensor < len(outputs):
            raise ValueError(f"the model's config names output {tensor} of layer '{layer}', which "
                             f"gives {len(outputs)}")
        return outputs[tensor]
    if isinstance(value, dict):
        return {k: _substitute(v, produced) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, produced) for v in value]
    return value


def _ends(refs, produced, functional):
    """The tensors of `input_layers` / `output_layers`: one [name, node, tensor], a list of
    them, or Keras's named outputs (a dict); `functional`: the config's nested functional
    models (_loaded_graph.functional_names)."""
    if isinstance(refs, dict):
        return {k: _ends(v, produced, functional) for k, v in refs.items()}
    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str) and \
            isinstance(refs[1], int):
        from ._loaded_graph import output_call
        layer, node, tensor = refs
        node = output_call(functional, layer, node)
        if (layer, node) not in produced:
            raise ValueError(f"the model's config names the output of layer '{layer}', which no "
                             f"layer of it makes")
        return produced[(layer, node)][tensor]
    if isinstance(refs, list):
        return [_ends(r, produced, functional) for r in refs]
    raise ValueError(f"the model's config has no input or output layers ({refs!r})")
