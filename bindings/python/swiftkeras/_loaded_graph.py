"""The symbolic graph of a functional model the library made from a config (`load_model`,
`model_from_json`, `Model.from_config`, keras.applications): Keras re-runs the config's layer
calls on KerasTensors when it deserializes a model, so that `model.input`, `model.output` and
every `layer.input` / `layer.output` exist and feature extraction works
(`keras.Model(model.input, model.get_layer("x").output)`). Here the library's own config of the
model is replayed onto its Python layers, once, when first asked for: each call becomes a node
of the layer (`layer._inbound`) with its output tensors, written back exactly as it was read when
a new model is made from them. Loading costs nothing more.
"""

from __future__ import annotations

from ctypes import byref, c_int32, c_int64

from . import _lib, _rnn_states
from .layers import KerasTensor, PositionalCall, _BuiltinLayer, _tensors_in, _note_call_kwarg

_MAX_RANK = 8


def replay(model, config):
    """(inputs, outputs) of the functional `config` (the library's, of `model`) as KerasTensors
    on `model`'s layers, each layer's calls recorded on it in the config's order."""
    by_name = {layer.name: layer for layer in model._layers}
    entries = config.get("layers") or []
    layers, shapes, counts = [], {}, {}
    for entry in entries:
        name = entry.get("name") or (entry.get("config") or {}).get("name")
        layer = by_name.get(name)
        if layer is None:   # an operation node: not among the model's layers
            layer = by_name[name] = _operation(entry, name)
        layers.append((layer, entry))
        for node in entry.get("inbound_nodes") or []:
            for history, shape, dtype in _references(node):
                shapes.setdefault(tuple(history), (shape, dtype))
                key = (history[0], history[1])
                counts[key] = max(counts.get(key, 1), history[2] + 1)
    for history in _histories(config.get("output_layers")):
        key = (history[0], history[1])
        counts[key] = max(counts.get(key, 1), history[2] + 1)

    produced = {}   # (layer name, node index) -> its output tensors
    for layer, entry in layers:
        if entry.get("class_name") == "InputLayer" and not entry.get("inbound_nodes"):
            c = entry.get("config") or {}
            shape = tuple(c.get("batch_shape") or ())
            tensor = KerasTensor(shape, layer, 0, 0, c.get("dtype") or "float32")
            if isinstance(tensor.dtype, dict):   # a serialized dtype policy
                tensor.dtype = (tensor.dtype.get("config") or {}).get("name", "float32")
            layer._input_tensor = tensor
            layer.__dict__.setdefault("_outbound", []).append(tensor)
            produced[(layer.name, 0)] = [tensor]
    pending = [(layer, entry, i, node) for layer, entry in layers
               for i, node in enumerate(entry.get("inbound_nodes") or [])]
    while pending:   # a call runs once its inputs exist, as Keras's from_config
        waiting = []
        for layer, entry, index, node in pending:
            if any((h[0], h[1]) not in produced for h, _, _ in _references(node)) or \
                    (index and (layer.name, index - 1) not in produced):
                waiting.append((layer, entry, index, node))
                continue
            produced[(layer.name, index)] = _record_call(layer, index, node, produced, shapes,
                                                         _output_count(layer, counts.get((layer.name, index), 1)))
        if len(waiting) == len(pending):
            raise ValueError(f"Model '{model.name}': its config's layer calls reference calls that "
                             f"never happen (a cycle or a missing layer)")
        pending = waiting

    functional = functional_names(entries)

    def tensors(structure):
        if _is_history(structure):
            layer, node, index = structure
            outs = produced.get((layer, output_call(functional, layer, node)))
            if outs is None or index >= len(outs):
                raise ValueError(f"Model '{model.name}': its config names output {index} of call "
                                 f"{node} of '{layer}', which it does not have")
            return outs[index]
        if isinstance(structure, dict):   # named outputs: flattened by sorted keys, as Keras
            return [tensors(structure[k]) for k in sorted(structure)]
        return [tensors(s) for s in structure or []]

    inputs, outputs = tensors(config.get("input_layers")), tensors(config.get("output_layers"))
    _output_shapes(model, outputs)
    return inputs, outputs


def functional_names(entries):
    """The names of a config's nested functional models: Keras numbers their calls from 1 in
    'output_layers' (a functional model's node 0 links its own inputs to its outputs)."""
    return {e.get("name") or (e.get("config") or {}).get("name") for e in entries
            if e.get("class_name") == "Functional"}


def output_call(functional, layer, node):
    """The call of `layer` that an 'output_layers' entry's `node` names (`functional`: the
    config's functional_names); the library's older files wrote 0 for the first call."""
    return node - 1 if layer in functional and node > 0 else node


def _operation(entry, name):
    """A Keras operation node of a loaded config (`keras.src.ops` entries: `x + 3.0`, the ops of
    a layer's `compute_mask`), which Keras lists in `operations`, not in `layers`: the op layer
    keras.ops calls make (OpLayer with its `_keras_operation`), its entry as the config has it
    and its arguments those of its call (`_record_call`)."""
    from .ops._functional import operation_layer
    config = {k: v for k, v in (entry.get("config") or {}).items() if k != "name"}
    layer = operation_layer(name, entry.get("module"), entry.get("class_name"), config, None)
    layer.built = True
    return layer


def _output_count(layer, referenced):
    """How many tensors a call of `layer` returns: at least as many as the config uses, and a
    recurrent layer's states or a nested model's outputs even when unused."""
    from .models import _ModelLayer
    if isinstance(layer, _ModelLayer):
        try:
            return max(referenced, len(layer._model.outputs))
        except AttributeError:   # (a nested Sequential without an input shape: one output)
            return referenced
    if isinstance(layer, _BuiltinLayer) and not getattr(layer, "_op_node", False):
        try:
            return max(referenced, _rnn_states.output_count(layer))
        except AttributeError:   # (a config without `return_state`: the calls' own count)
            return referenced
    return referenced


def _record_call(layer, index, node, produced, shapes, count):
    """Call `index` of `layer` as the config's `node` gives it, on the tensors made so far: its
    inputs kept as a Python-built call keeps them (one tensor, a list of them, or for any other
    form its arguments as written), and its output tensors."""
    args = _substitute(node.get("args") or [], produced)
    kwargs = dict(_substitute(node.get("kwargs") or {}, produced))
    recorded = {k: kwargs.pop(k) for k in ("training", "mask") if k in kwargs}
    if not kwargs and len(args) == 1 and _tensors_only(args[0]):
        call = args[0]
    else:
        call = PositionalCall(_tensors_in(args) + _tensors_in(list(kwargs.values())))
        call.arguments = (args, kwargs)
    layer._inbound.append(call)
    operation = layer.__dict__.get("_keras_operation")
    if operation is not None:   # an operation node: its arguments, constants in place
        operation["args"] = args
    for key, value in recorded.items():   # (written back as read: Keras's `mask: None` too)
        _note_call_kwarg(layer, index, key, bool(value) if key == "training" and value is not None else value)
    outs = []
    for i in range(count):
        shape, dtype = shapes.get((layer.name, index, i), (None, "float32"))
        outs.append(KerasTensor(shape, layer, index, i, dtype or "float32"))
    layer.__dict__.setdefault("_outbound", []).extend(outs)
    return outs


def _substitute(value, produced):
    """The node's arguments with each `__keras_tensor__` as the tensor made for it."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            layer, node, index = (value.get("config") or {}).get("keras_history")
            return produced[(layer, node)][index]
        return {k: _substitute(v, produced) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, produced) for v in value]
    return value


def _tensors_only(value):
    if isinstance(value, KerasTensor):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, KerasTensor) for v in value)


def _references(node):
    """(keras_history, shape, dtype) of each tensor a config node reads."""
    found = []

    def visit(value):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                c = value.get("config") or {}
                shape = c.get("shape")
                found.append((list(c.get("keras_history")), tuple(shape) if shape is not None else None,
                              c.get("dtype")))
                return
            for v in value.values():
                visit(v)
        elif isinstance(value, list):
            for v in value:
                visit(v)

    visit(node)
    return found


def _is_history(value):
    return isinstance(value, (list, tuple)) and len(value) >= 3 and isinstance(value[0], str) and \
        isinstance(value[1], int) and isinstance(value[2], int)


def _histories(structure):
    if _is_history(structure):
        return [list(structure[:3])]
    if isinstance(structure, dict):   # named outputs
        structure = list(structure.values())
    return [h for s in structure or [] for h in _histories(s)]


def _output_shapes(model, outputs):
    """The model outputs' shapes, as the library built them (no call of the config reads them)."""
    flat = outputs if isinstance(outputs, list) else [outputs]
    for i, tensor in enumerate(flat):
        if tensor._shape is not None:
            continue
        buf = (c_int64 * _MAX_RANK)()
        rank = c_int32()
        if _lib.keras_model_io_shape(model._handle, 0, i, 1, buf, _MAX_RANK, byref(rank)) == 0:
            tensor._shape = (None,) + tuple(None if buf[k] < 0 else int(buf[k]) for k in range(1, rank.value))
