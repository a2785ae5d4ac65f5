"""Models (Keras `keras.models`): Sequential, the functional Model, load_model,
model_from_json.

A model is a Keras config that Python assembles from its layers (exactly what
`model.to_json()` prints) and a library handle made from it when the input shape is known.
compile, fit, evaluate, predict, summary, saving and weights all run in the library.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import math
import os
import sys
import weakref
from ctypes import byref, c_int32, c_int64

import numpy as np

from . import (_assets, _custom_steps, _datasets, _dtypes, _gradient_tape, _lib, _model_vars, _native, _plugins,
               _python_layers, _python_metrics, _text_callables, _traced_metrics, _variables, config,
               optimizers)
from . import _scopes, _shared_objects, _traced_regularizers
from ._file_utils import print_msg
from ._model_api import ModelAPI
from ._native import as_float32, check, dumps
from ._objects import init_arguments, serialize, snake_case, unique_name, unserializable_arguments
from ._cells import StatesCall
from .layers import (Input, KerasTensor, Layer, PositionalCall, _BuiltinLayer, _aug_mix_chosen_in_python,
                     _calls_on_arrays_in_model_trace, _layer_class,
                     _masked, _subclasses_builtin, _call_kwargs_of, _note_call_training, _note_model_call_mask,
                     _tracked_sublayers, _warn_unbuilt_state, _with_activation_keys)
from .ops._functional import operation_arguments
from .ops._trace import TraceError

_MAX_RANK = 8


def _route_library_output():
    """Progress bars, verbose callbacks' messages and summaries go through sys.stdout (pytest
    capture, Jupyter), animated where stdout redraws lines (a terminal, a notebook)."""
    if not _lib.has("keras_set_print_hook"):
        return

    @_lib.keras_print_fn
    def hook(_user, text):
        try:
            print_msg(text.decode("utf-8", "replace"), line_break=False)
        except KeyboardInterrupt as e:
            # Ctrl-C while printing: ctypes would drop it; the running call's check raises it.
            _native.stash_exception(e)
        except Exception:  # noqa: BLE001 — printing must never break training
            pass

    try:
        dynamic = sys.stdout.isatty() or "ipykernel" in sys.modules
    except (AttributeError, ValueError):
        dynamic = False
    _route_library_output.hook = hook
    _lib.keras_set_print_hook(hook, None, int(dynamic))


_route_library_output()


def _free(handle):
    if handle and _lib.has("keras_model_free"):
        _lib.keras_model_free(handle)


# Library models are freed when their Python model is collected, but no Python code runs inside
# the garbage collector for it: a KeyboardInterrupt raised there (a Ctrl-C landing while a
# finalizer ran, which the collector may do at any allocation, e.g. in a fit's setup) is printed
# and dropped by Python ("Exception ignored in"), and the fit then ran on. The collector only
# appends the dead model's weak reference (list.append, C code); the handles are freed in the
# next handle's setup, in ordinary code, where an interrupt propagates.
_owned: dict = {}          # weakref.ref(model) -> its library handle
_collected: list = []      # weak references whose model is gone
# Models whose optimizer was built (their first fit since compile) and whose trainable weights
# are not counted yet: counted before the library's flags or models change.
_uncounted_builds: "weakref.WeakSet" = weakref.WeakSet()


def _count_optimizer_builds():
    """Counts the trainable weights each optimizer was built on (Model._check_optimizer_variables)
    before the library's trainable flags or models change."""
    for model in list(_uncounted_builds):
        built = model.__dict__["optimizer"].__dict__.get("_built_for")
        if built is not None and built[1] is None and built[0][0] is not None and \
                built[0][0] == model._handle:
            model.optimizer._built_for = (built[0], model._trainable_weight_count())
    _uncounted_builds.clear()


def _own(model, handle):
    ref = weakref.ref(model, _collected.append)
    _owned[ref] = handle
    return ref


def _release(ref):
    """Frees the handle `ref` owns now (a model replacing its library model)."""
    _free(_owned.pop(ref, None))


def _free_collected():
    while _collected:
        _free(_owned.pop(_collected.pop(), None))


def _per_class(value):
    """A metric value from the library: a list (one per class, F1Score(average=None)) becomes
    the float32 array Keras reports; null (the library's JSON for NaN: a loss through a
    BatchNormalization of negative moving variance) is the NaN Keras reports."""
    if value is None:
        return float("nan")
    return np.asarray(value, dtype=np.float32) if isinstance(value, list) else value


def _plain_array(data):
    """Whether `data` is a numpy array of numbers (not strings, not a subclass) with a batch
    dimension: what a model with one input and one output takes as it is."""
    return type(data) is np.ndarray and data.dtype.kind in "biuf" and data.ndim > 0


def _flat_callbacks(callbacks):
    """The callbacks of a list or a CallbackList, nested CallbackLists flattened; a
    ProgbarLogger is left out (the library draws the bar as `verbose` says, as Keras's would)."""
    if not callbacks:
        return []
    from .callbacks import CallbackList, ProgbarLogger
    out = []
    for cb in callbacks:
        out.extend(cb if isinstance(cb, CallbackList) else [cb])
    return [cb for cb in out if not isinstance(cb, ProgbarLogger)]


class History:
    """What fit returns. Keras: `keras.callbacks.History` (history.history["loss"]).

    `read`: a model fit's figures stay in the library until `history` or `epoch` is first read
    (or the model's library History is about to change: ``Model._read_unread_history``). Turning
    a short fit's thousands of figures into Python floats right after the fit, with the
    interpreter's caches cold, cost a 300-epoch iris fit 3% of its time, and most callers (a
    search, a loop over models) never read them."""

    def __init__(self, model=None, data=None, read=None):
        data = data or {}
        self.model = model
        self.params = dict(data.get("params", {}))
        if read is None:
            self.epoch = list(data.get("epoch", []))
            self.history = {k: list(v) for k, v in data.get("history", {}).items()}
        else:
            self._read = read

    def __getattr__(self, name):
        # Reached only while `history` and `epoch` are unread (instance attributes once read).
        if name in ("history", "epoch") and self.__dict__.get("_read") is not None:
            self._materialize()
            return self.__dict__[name]
        raise AttributeError(f"'History' object has no attribute '{name}'")

    def _materialize(self):
        read = self.__dict__.pop("_read", None)
        if read is not None:
            history, epoch = read()
            self.__dict__.setdefault("history", history)
            self.__dict__.setdefault("epoch", epoch)

    def __getstate__(self):
        self._materialize()
        return self.__dict__

    def __repr__(self):
        return f"<swiftkeras.callbacks.History epochs={len(self.epoch)} keys={list(self.history)}>"


class Model(ModelAPI):
    """A functional model (`Model(inputs, outputs)`), or the base of Sequential.
    Keras: `keras.Model`."""

    compiled = False   # Keras's Trainer flag, set by compile()

    def __new__(cls, *args, **kwargs):
        model = super().__new__(cls)
        if cls not in (Model, Sequential):   # Keras's automatic config of a subclass
            model._init_kwargs = init_arguments(cls, args, kwargs)
            # (keras.io's GNN node classifier, given its graph's arrays: Keras refuses its config)
            model._init_unserializable = unserializable_arguments(cls, args, kwargs)
        return model

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        dtype = kwargs.pop("dtype", None)   # Keras's configs carry the float32 policy
        if dtype not in (None, "float32") and not (isinstance(dtype, dict) and
                                                    dtype.get("config", {}).get("name") == "float32"):
            raise ValueError(f"Model(dtype={dtype!r}): the library computes in float32")
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to Model: {kwargs}")
        self._name = name or unique_name(self._default_name())
        self.trainable = trainable
        self._handle = None
        self._handle_ref = None
        self._compile_config = None
        self._compile_extras = {}
        self._layers_cache = None
        self._stop_training = False
        self._layers: list[Layer] = []
        self._functional = None
        if isinstance(outputs, dict):
            # Keras 3's named outputs: in its flattening order (sorted keys); fit and evaluate
            # take targets, compile losses and metrics by these names, and predict returns them.
            self._output_keys = sorted(outputs)
            self._output_order = list(outputs)   # as given: the config writes them so
            outputs = [outputs[k] for k in self._output_keys]
        if isinstance(inputs, dict):
            # Keras 3's named inputs (FeatureSpace.get_inputs()): in its flattening order
            # (sorted keys); data is then given by the Inputs' names.
            inputs = [inputs[k] for k in sorted(inputs)]
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model needs both `inputs` and `outputs`.")
            inputs, outputs = _cut_at_inputs(inputs, outputs)
            self._functional = (inputs, outputs)
            self._layers = _graph_layers(inputs, outputs)
            for layer in self._layers:   # (Keras's are built when called: Layer._build_where_held)
                made_in = [ref for ref in layer.__dict__.get("_functional_in") or () if ref() is not None]
                layer.__dict__["_functional_in"] = made_in + [weakref.ref(self)]
            # Built where it is made (its layers were, by their symbolic calls): a model that
            # holds it later does not put its weights under its own name, as in Keras.
            self.__dict__["_built_where_made"] = True
            _scopes.note_build_scope(self)
        elif type(self) is Model:
            raise ValueError("Model(): pass `inputs` and `outputs`, or subclass Model and define "
                             "`call` (composing layers)")

    def _default_name(self):
        if type(self) is not Model and not isinstance(self, Sequential):
            return snake_case(type(self).__name__)  # a subclass is named after its class
        return "functional"

    @property
    def name(self):
        return self._name

    @property
    def trainable(self):
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value):
        """As in Keras, the flag is set on every layer the model holds too (a nested model's
        layers included): `base.trainable = True` after freezing unfreezes them all."""
        _variables.LayerBasics.trainable.fset(self, value)
        for layer in self.__dict__.get("_layers") or []:
            layer.trainable = value

    # -- config ----------------------------------------------------------------------------
    def _model_config(self) -> dict:
        inputs, outputs = self._functional
        ins = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        entries = []
        kept = _graph_nodes(outs, self._layers)
        for layer in self._layers:
            entry = layer._layer_entry()
            entry["name"] = layer.name
            nodes = []
            for node_index, call_inputs in enumerate(layer._inbound):
                if kept is not None and (id(layer), node_index) not in kept:
                    continue   # a call of the layer in another graph
                if isinstance(call_inputs, StatesCall):
                    nodes.append({"args": [call_inputs[0]._config(), [t._config() for t in call_inputs[1:]]],
                                  "kwargs": {}})
                    continue
                if isinstance(call_inputs, PositionalCall) and call_inputs.arguments is not None:
                    args, kwargs = call_inputs.arguments
                    nodes.append({"args": _node_values(args), "kwargs": _node_values(kwargs)})
                    continue
                if isinstance(call_inputs, PositionalCall):
                    nodes.append({"args": [t._config() for t in call_inputs], "kwargs": dict(call_inputs.kwargs)})
                    continue
                if isinstance(call_inputs, (list, tuple)):
                    arg = [t._config() for t in call_inputs]
                else:
                    arg = call_inputs._config()
                nodes.append({"args": [arg], "kwargs": {}})
            def graph_node(node):   # a call's index among this graph's calls of the layer
                return node if kept is None else kept.get((id(layer), node))
            for node, given in (layer.__dict__.get("_call_kwargs") or {}).items():
                node = graph_node(node)   # (`training=`, `mask=`: _note_call_kwarg)
                if node is not None and node < len(nodes):
                    nodes[node]["kwargs"].update(_node_values(given))
            # (its constants are those of its first call; the graph's first call, another one
            # when the graph was cut at new inputs (_cut_at_inputs), gives the tensors' places)
            graph_call = min(n for n in range(len(layer._inbound)) if graph_node(n) is not None) if nodes else 0
            tensors = _flat_tensors(layer._inbound[0]) if nodes else []
            operation = operation_arguments(layer, tensors, [t._config() for t in _flat_tensors(
                layer._inbound[graph_call])]) if nodes else None
            if operation is not None:   # its constants among its tensors, as Keras's
                nodes[0]["args"] = operation
            if isinstance(layer, _ModelLayer) and not isinstance(layer._model, Sequential):
                for node in nodes:   # Keras writes it for every call of a functional model
                    node["kwargs"].setdefault("mask", None)
            entry["inbound_nodes"] = nodes
            entries.append(entry)

        def ref(t, first_call=0):
            layer, node, tensor = t._keras_history
            node = node if kept is None else kept.get((id(layer), node), node)
            return [layer.name, node + first_call, tensor]

        def output_ref(t):
            # Keras numbers a nested functional model's calls from 1 in 'output_layers' (its
            # node 0 links its own inputs to its outputs), from 0 in the calls' arguments.
            layer = t._keras_history[0]
            return ref(t, 1 if isinstance(layer, _ModelLayer) and
                       not isinstance(layer._model, Sequential) else 0)

        if kept is not None:
            _renumber_nodes(entries, {(layer.name, node): index for layer in self._layers
                                      for node in range(len(layer._inbound))
                                      for index in [kept.get((id(layer), node))] if index is not None})
        config = {"name": self.name, "trainable": self.trainable, "layers": entries,
                  "input_layers": ref(ins[0]) if not isinstance(inputs, (list, tuple)) else [ref(t) for t in ins],
                  "output_layers": output_ref(outs[0]) if not isinstance(outputs, (list, tuple)) else
                  [output_ref(t) for t in outs]}
        keys = self.__dict__.get("_output_keys")
        if keys and len(keys) == len(outs):   # Keras's named outputs: an object, keys as given
            by_key = dict(zip(keys, outs))
            config["output_layers"] = {k: output_ref(by_key[k]) for k in self.__dict__.get("_output_order") or keys}
        attributes = _model_vars.subclass_attributes(self)
        if attributes:   # the library's weights files then have Keras's subclassed layout
            config["subclass_attributes"] = attributes
            entry = _keras_class_entry(self)
            if entry is not None:   # nested in another model, a .keras archive names its class
                config["keras_class"] = entry
        return {"class_name": "Functional", "config": config}

    def get_config(self):
        if self._is_subclass_model():
            return _model_vars.subclass_config(self)
        config = self._unchecked_config()
        # Keras's get_config fails where a regularizer's get_config does, or a layer's
        _traced_regularizers.refuse_unserializable(json.dumps(config))
        _refuse_unserializable_layers(self)
        return config

    def _unchecked_config(self):
        """get_config() of a model that is not subclassed, without refusing a regularizer whose
        get_config is not implemented (the library's model is made from it all the same)."""
        self._build_for_config()
        if self._handle is not None:
            return json.loads(self._library_json())["config"]
        return self._model_config()["config"]

    def _build_for_config(self):
        """Keras builds a model whose inputs are known when it is made, so its config (its
        nested models' layers included) is the built layers': LayerNormalization's axis [-1],
        each layer's build_config. The library model is made here when that config is asked."""
        if self._handle is None and (self._functional is not None or
                                     isinstance(self, Sequential) and self._input_known()):
            self._ensure_handle()

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The model `get_config()` described (Keras: `Model.from_config`,
        `Sequential.from_config`): a functional model when the config has `input_layers`, else a
        Sequential; a subclassed model is `cls(**config)`, as in Keras."""
        if cls not in (Model, Sequential):
            # A name its constructor does not take is set on the model made (Keras's automatic
            # get_config leaves it out); the other base arguments (trainable, dtype) go to the
            # constructor, which refuses them when it takes neither them nor **kwargs, as
            # Keras's `cls(**config)` does.
            from .layers import _takes
            base = {k: config[k] for k in ("name",) if k in config and not _takes(cls, k)}
            model = cls(**{k: v for k, v in config.items() if k not in base})
            if "name" in base:
                model._name = base["name"]
            return model
        class_name = "Functional" if "input_layers" in config else "Sequential"
        if cls is Sequential and class_name != "Sequential":
            raise ValueError("Sequential.from_config: the config describes a functional model "
                             "(it has `input_layers`); use keras.Model.from_config")
        return model_from_json({"class_name": class_name, "config": config}, custom_objects)

    def to_json(self, **kwargs):
        text = self._library_json(**kwargs)
        # Keras's to_json fails where a regularizer's get_config does, or a layer's
        _traced_regularizers.refuse_unserializable(text)
        _refuse_unserializable_layers(self)
        return text

    def _library_json(self, **kwargs):
        """to_json() without refusing a regularizer whose get_config is not implemented: the
        config the library holds, for the binding's own reading of it."""
        self._build_for_config()
        if self._handle is not None:
            return _native.take_string(_lib.keras_model_to_json, self._handle)
        return json.dumps(self._model_config(), **kwargs)

    # -- the library handle ----------------------------------------------------------------
    def _set_handle(self, handle, own_config=False):
        """Holds `handle` (freed with this model). `own_config`: the handle was made from this
        model's own config, so its layers are `self._layers`: they are attached now and their
        positions in the library's list read when first needed (reading the model back through
        keras_model_to_json costs as much as making it; a fit needs neither)."""
        self._read_unread_history()
        if handle:
            self._carry_weights_of_built_layers()
        if self._handle_ref is not None:
            if _uncounted_builds:
                _count_optimizer_builds()
            _release(self._handle_ref)
        self._handle = handle
        self._layers_cache = None
        self._handle_ref = _own(self, handle) if handle else None
        if handle:
            if own_config:
                for layer in self._layers:
                    layer._owner, layer._index, layer.built = self, None, True
            else:
                self._layers_info(claim=True)
            self._check_pending_shapes()
            for layer in self._layers:
                if isinstance(layer, _ModelLayer):   # its add/pop lets go of this library model
                    layer._model.__dict__.setdefault("_holders", weakref.WeakSet()).add(self)
                pending = getattr(layer, "_pending_weights", None)
                adopted = layer.__dict__.pop("_adopted_values", None)
                if pending:  # an adapted layer joining this model brings its state
                    layer.set_weights(pending)
                elif adopted and own_config:   # keras.Variable attributes: their values
                    weights, names = layer.get_weights(), [v.name for v in layer.weights]
                    for weight, value in adopted:   # get_weights lists the trainable ones first
                        weights[names.index(weight.name)] = value
                    layer.set_weights(weights)
                layer._pending_weights = None
            self._flags_taken_at = _variables.LayerBasics.trainable_flag_changes

    def _check_pending_shapes(self):
        """A layer whose kept weights (a model rebuilt after a nested Sequential's add or pop)
        no longer fit the inputs it is now given is refused, as Keras's built layer refuses
        them at the outer model's next call; this model keeps no library model meanwhile."""
        for layer in self._layers:
            pending = getattr(layer, "_pending_weights", None)
            if not pending:
                continue
            built = [tuple(np.shape(w)) for w in pending]
            now = [tuple(w["shape"]) for w in layer._weights_info()]
            if built != now:
                self._set_handle(None)
                for each in self._layers:
                    each._owner = None
                raise ValueError(
                    f"Layer '{layer.name}' of model '{self.name}' is incompatible with its inputs "
                    f"now: it was built with weights of shapes {built}, its inputs need {now} (a "
                    f"model it is called on added or removed layers?)")

    def _rebuild_keeping_weights(self):
        """Lets go of the library model after a change of its layers (Sequential.add, pop),
        keeping the layers' weights for the next one. The models holding this one as a layer
        let go of theirs too: as in Keras, they run its new layers from their next call, the
        weights of their own layers kept."""
        kept = {layer.name: layer.get_weights() for layer in self._layers
                if not isinstance(layer, _ModelLayer)}   # (a nested model's are its own)
        self._set_handle(None)
        for layer in self._layers:
            layer._owner = None
            layer._pending_weights = kept.get(layer.name)
        for holder in list(self.__dict__.get("_holders") or ()):
            if holder._handle is not None:
                holder._rebuild_keeping_weights()

    def _carry_weights_of_built_layers(self):
        """A layer another model (or its own first call) built that this model does not hold
        itself (_shared_layers: a layer written in Python) brings its weights into this model,
        as Keras's layers keep their variables wherever they are used. An operation node (a mask's
        `ops.not_equal`, another model's) is no layer of the model and brings nothing."""
        sharing = self.__dict__.get("_sharing") or ()
        for layer in self._layers:
            if getattr(layer, "_op_node", False):
                continue
            owner = layer.__dict__.get("_owner")
            if owner is not None and owner is not self and owner._handle is not None and \
                    not layer.__dict__.get("_pending_weights") and id(layer) not in sharing:
                layer._pending_weights = layer.get_weights() or None

    def _adapt_layer(self, layer, x):
        """Keras's `layer.adapt(x)` for a layer of this model, computed by the library; the
        adapted state also goes into the Python layer (config and weights) so that a model built
        from it later has it."""
        shape = (c_int64 * x.ndim)(*x.shape)
        check(_lib.keras_model_adapt(self._ensure_handle(), layer.name.encode(),
                                     x.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), x.ndim, shape))
        self._layers_cache = None
        config = self._layers_info()[layer._index]["config"]
        for key, value in config.items():
            if key in layer._known and key not in ("name", "trainable", "dtype"):
                layer._args[key] = value
        layer._pending_weights = layer.get_weights() or None

    def _ensure_handle(self, x=None):
        if self._handle is not None:
            return self._handle
        # While it is made, its layers (whose configs it reads) do not make it again
        # (Layer._build_where_held).
        making = self.__dict__.get("_building_for_layer")
        self._building_for_layer = True
        try:
            return self._make_handle(x)
        finally:
            self._building_for_layer = making

    def _make_handle(self, x):
        _free_collected()
        if _variables._parts_without_call(self) is not None:
            # keras.io's VAE and GANs: their train_step calls the parts; the model has no graph
            raise NotImplementedError(f"Model {type(self).__name__} does not have a `call()` "
                                      f"method implemented.")
        if self._subclassed():
            self._trace(x)
        elif self._functional is not None or isinstance(self, Sequential):
            self._trace_compute_loss()
        config = self._model_config_for(x)
        try:
            self._new_handle(config)
        except TraceError:
            # A Python layer whose call needs the batch size (a reshape to a fixed number of
            # rows) cannot be traced for any batch: traced for the batch of this first call,
            # as jax.jit traces Keras's call for the batches it is given.
            from ._model_api import _leading_dimension, with_static_batch
            static = with_static_batch(config, _leading_dimension(
                x, self.__dict__.pop("_first_batch_cap", None)) if x is not None else None)
            if static is None:
                raise
            self._new_handle(static)
        return self._handle

    def _new_handle(self, config):
        _plugins.register_scope_objects()
        out = ctypes.c_void_p()
        # While the library builds it, a Python layer's build reading its attributes must not
        # build the model again (Layer._build_where_held).
        self._building_for_layer = True
        nested = _nested_models_with_handles(self)
        shared = _shared_layers(self)
        if (nested or shared) and _uncounted_builds:   # (the new model sets the nested models' flags)
            _count_optimizer_builds()
        try:
            text = dumps(config)   # (once: a small model's config takes tens of us to write)
            with _python_layers.claiming(self._layers), _plugins.functions_by_module(text):
                if shared:   # other models' layers, held as they are (their variables)
                    models = nested + [m for m in dict.fromkeys(owner for _, owner, _ in shared)]
                    handles = (ctypes.c_void_p * len(models))(*[m._handle for m in models])
                    pairs = [[models.index(owner), layer.name] + ([True] if alone else [])
                             for layer, owner, alone in shared]
                    check(_lib.keras_model_from_json_sharing_layers(text, handles, len(models),
                                                                    dumps(pairs), byref(out)))
                elif nested:   # holding their library models, not copies
                    handles = (ctypes.c_void_p * len(nested))(*[m._handle for m in nested])
                    check(_lib.keras_model_from_json_sharing(text, handles, len(nested), byref(out)))
                else:
                    check(_lib.keras_model_from_json(text, byref(out)))
        finally:
            self._building_for_layer = False
        self._sharing = {id(layer) for layer, _, _ in shared}
        try:
            self._set_handle(out.value, own_config=True)
        finally:
            self._sharing = ()
        if self.__dict__.get("_first_batch"):   # (a Sequential built by its first batch)
            check(_lib.keras_sequential_record_first_batch(self._handle, self._first_batch))
            self._layers_cache = None
        self._adopt_nested_models()
        self._send_compile()

    def _adopt_nested_models(self):
        """The models nested in this one that had no library model yet (an unbuilt Sequential
        built by this model, or one not used on its own) take the one this model holds, so that
        they hold the same variables from now on, as Keras's nested models."""
        for layer in self._layers:
            if isinstance(layer, _ModelLayer) and layer._model._handle is None:
                layer._model._set_handle(_nested_model_handle(self, layer.name))
                layer._model._send_compile()   # compiled before it had a library model

    def _send_compile(self):
        config = self._compile_config
        if config is not None and getattr(self, "_compute_loss_graph", False):
            # The loss is compute_loss's (add_loss in the graph). The compiled one of each output
            # (for its per-output figures), or one finite for the library's targets (labels:
            # crossentropy from logits), weighs 0.
            count = self._io_count(False)
            given = config.get("loss")
            if isinstance(given, dict) and "class_name" not in given:
                given = [given.get(n) for n in self._compute_loss_output_names]
            given = list(given) if isinstance(given, (list, tuple)) and len(given) == count else [given] * count
            losses = [given[i] if given[i] is not None and self._library_target_is_own(i) and
                      _custom_steps._python_loss_function(given[i]) is None else
                      self._stand_in_loss(i) for i in range(count)]
            config = {**config, "loss": losses if len(losses) > 1 else losses[0],
                      "loss_weights": [0.0] * len(losses)}
            # Metrics by output name: the first output's figures come from the compute_loss
            # layer, which passes it through (the library matches dicts by output name).
            first, layer = self._compute_loss_output_names[0], self._compute_loss_layer_name
            for key in ("metrics", "weighted_metrics"):
                given = config.get(key)
                if isinstance(given, dict) and first in given:
                    config[key] = {layer if k == first else k: v for k, v in given.items()}
        given = (config or {}).get("loss")
        if self.__dict__.get("_output_keys") and isinstance(given, dict) and "class_name" not in given:
            # A model with named outputs trains no loss on those its loss dict leaves out.
            config = {**config, "loss": {**dict.fromkeys(self._output_layer_names()), **given}}
        # No loss (Keras's compile(optimizer)): the library trains on the add_loss terms; a
        # compute_loss override without a traced graph yet has none to send.
        if self._handle is not None and config is not None and (
                config.get("loss") is not None or not _custom_steps.overrides(self, "compute_loss")):
            text = dumps(config)
            with _python_metrics.claiming(self.__dict__.get("_compile_metric_objects", ())), \
                    _plugins.functions_by_module(text):
                check(_lib.keras_model_compile(self._handle, text))

    def _stand_in_loss(self, i):
        """The loss of weight 0 that output i of a traced compute_loss gets in the library: one
        finite for its targets, built in (a compiled loss written in Python has its figure
        computed in the trace, _custom_steps._record_output_loss): crossentropy from logits for labels of several classes, else the squared
        error (a target (n,) of an output (n, 1): Keras's ranks matched)."""
        if self._library_target_is_labels(i) and tuple(self._io_shape(False, i, 1)[-1:]) != (1,):
            return {"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": True}}
        return "mean_squared_error"

    def _library_target_is_own(self, i):
        """A traced compute_loss's output i gets the user's targets in the library (their
        shape is the output's, or labels of it)."""
        target = tuple(self._io_shape(True, self._io_count(True) + i, 1)[1:])
        return target == tuple(self._io_shape(False, i, 1)[1:]) or self._library_target_is_labels(i)

    def _library_target_is_labels(self, i):
        """A traced compute_loss's output i gets labels (its target lacks the class axis)."""
        target = tuple(self._io_shape(True, self._io_count(True) + i, 1)[1:])
        return target == tuple(self._io_shape(False, i, 1)[1:-1])

    def _model_config_for(self, x):
        return self._model_config()

    def _layers_info(self, claim=False):
        """model.layers as the library has them: name, class, config, and their weights
        (global index, path, shape), matched to layers by the layer names in the paths; read
        once per handle (and after calls that change them), when first needed."""
        if self._layers_cache is None:
            handle = self._ensure_handle()
            config = json.loads(_native.take_string(_lib.keras_model_to_json, handle))
            infos = []
            # (Keras lists layers, not the operations a functional config also holds.)
            entries = [e for e in config.get("config", {}).get("layers", [])
                       if not str(e.get("module") or "").startswith("keras.src.ops.")]
            for e in entries:
                c = e.get("config", {})
                infos.append({"name": e.get("name") or c.get("name"), "class_name": e["class_name"],
                              "registered_name": e.get("registered_name"), "config": c,
                              "weights": [], **({"module": e["module"]} if "module" in e else {})})
            by_name = {info["name"]: info for info in infos}
            for e, info in zip(entries, infos):
                for inner in _nested_layer_names(e):   # a nested model holds its layers' weights
                    by_name.setdefault(inner, info)
            count = c_int32()
            check(_lib.keras_model_weight_count(handle, byref(count)))
            # The layer listing each weight, as the library walks them (a Python layer lists
            # the models its traced call reuses, whose paths do not name it).
            owners = json.loads(_native.take_string(_lib.keras_model_weight_layers, handle)) \
                if _lib.has("keras_model_weight_layers") else None
            dtypes = json.loads(_native.take_string(_lib.keras_model_weight_dtypes, handle))
            # (each weight's library variable: one Variable object per id, _variables.variables)
            ids = json.loads(_native.take_string(_lib.keras_model_weight_ids, handle))
            for i in range(count.value):
                path, shape = _weight_info(handle, i)
                parts = path.split("/")
                owner = owners[i] if owners is not None and i < len(owners) else \
                    next((p for p in parts if p in by_name), None)
                if owner is None:
                    owner = parts[-2] if len(parts) > 1 else parts[0]
                info = by_name.get(owner)
                if info is None:
                    continue
                info["weights"].append({"index": i, "name": path, "shape": shape,
                                        "trainable": _weight_trainable(handle, i),
                                        "dtype": dtypes[i] if i < len(dtypes) else "float32",
                                        "id": ids[i]})
            if getattr(self, "_traced_subclass", False):
                # The library lists a model's layers in its graph's order; a subclassed model
                # lists them in the order it holds them (_in_tracked_order), as Keras does.
                place = {layer.name: k for k, layer in enumerate(self._layers)}
                infos.sort(key=lambda info: place.get(info["name"], len(place)))
            self._layers_cache = infos
            self._config_cache = config
            self._attach_layers(infos, claim)
        return self._layers_cache

    def _attach_layers(self, infos, claim):
        """Points the Python layers at their entries of `infos`, making Python layers for those
        the library alone has (a loaded model). Without `claim`, a layer that another model has
        taken since this handle was made stays with that model."""
        by_name = {layer.name: layer for layer in self._layers}
        for i, info in enumerate(infos):
            layer = by_name.get(info["name"])
            if layer is None and isinstance(self, Sequential) and info["class_name"] == "InputLayer":
                continue  # Sequential keeps its input as a shape, not as a layer
            if layer is None:
                layer = by_name[info["name"]] = _layer_from_info(info, self)
                # (its dtype policy read, its own object: Keras marks none as shared)
                _as_keras_layer(layer).__dict__["_policy_read"] = True
                self._layers.append(layer)
            elif not claim and layer._owner is not self:
                continue
            layer._owner, layer._index = self, i
            layer.built = True

    def _get_weight(self, info) -> np.ndarray:
        if info.get("dtype", "float32") != "float32":   # a counter: its exact values
            out = np.empty(tuple(info["shape"]), np.int32)
            check(_lib.keras_model_get_weight_int32(self._handle, info["index"],
                                                    out.ctypes.data_as(_lib.int32_p), out.size))
            held = np.dtype(_dtypes.held(info["dtype"]))
            # (uint32: the same 32 bits; int8, a quantized kernel: each value narrowed)
            return out.view(held) if held.itemsize == 4 else out.astype(held)
        out = np.empty(tuple(info["shape"]), np.float32)
        check(_lib.keras_model_get_weight(self._handle, info["index"],
                                          out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                          out.size))
        return out

    def _set_weight(self, info, value):
        if info.get("dtype", "float32") != "float32":
            return self._set_int32_weight(info, value)
        arr = as_float32(value, f"set_weights({info['name']})")
        if np.ndim(value) == 0 and arr.size == 1:   # a numpy or Python scalar: a scalar weight's
            arr = arr.reshape(())
        if tuple(arr.shape) != tuple(info["shape"]):
            raise ValueError(f"Layer weight shape {tuple(info['shape'])} not compatible with "
                             f"provided weight shape {arr.shape}")
        check(_lib.keras_model_set_weight(self._handle, info["index"],
                                          arr.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                          arr.size))

    def _set_int32_weight(self, info, value):
        """An integer weight's new values, cast to its dtype as Keras's assign casts them (int64's
        to int32, as Keras on jax holds them)."""
        given = np.asarray(value.numpy() if isinstance(value, _variables.Variable) else value)
        if given.dtype.kind not in "biuf":
            raise TypeError(f"set_weights({info['name']}): expected numbers for an int32 weight, "
                            f"got an array of {given.dtype}")
        if given.dtype.kind == "f" and not np.all(np.isfinite(given)):
            raise ValueError(f"set_weights({info['name']}): the values for an int32 weight "
                             f"contain NaN or infinity")
        typed = given.astype(_dtypes.held(info["dtype"]))
        arr = np.ascontiguousarray(typed).view(np.int32) if typed.dtype.itemsize == 4 else \
            np.ascontiguousarray(typed, np.int32)
        if np.ndim(value) == 0 and arr.size == 1:
            arr = arr.reshape(())
        if tuple(arr.shape) != tuple(info["shape"]):
            raise ValueError(f"Layer weight shape {tuple(info['shape'])} not compatible with "
                             f"provided weight shape {arr.shape}")
        check(_lib.keras_model_set_weight_int32(self._handle, info["index"],
                                                arr.ctypes.data_as(_lib.int32_p), arr.size))

    def _call_layer(self, index, x, training=False):
        """Keras's `layer(x)` on numpy: a one-layer model made from the layer's config and
        weights computes it (the library runs every layer; nothing is recomputed here). The
        call's losses become the layer's `losses`, as in Keras."""
        info = self._layers_info()[index]
        if getattr(self, "_single_layer", False) and not info["class_name"] == "InputLayer":
            return self(x, training=training)
        probe = Sequential(name=unique_name("layer_call"))
        probe._input_batch_shape = (None,) + tuple(x.shape[1:])
        registered = info.get("registered_name")   # a user class: 'package>Name', not its bare name
        layer = self._layer_object(info["name"])
        probe._entries_override = [{"module": None if registered else "keras.layers",
                                    "class_name": info["class_name"],
                                    "config": _with_activation_keys(info["config"], layer),
                                    "registered_name": registered}]
        probe._ensure_handle()
        weights = [self._get_weight(w) for w in info["weights"]]
        if weights:
            probe.set_weights(weights)
        if training:   # its dropout or noise draws on from the layer's generators, which move on
            from .random import copy_layer_generators
            copy_layer_generators(self._handle, probe._handle, info["name"])
            out = probe(x, training=training)
            copy_layer_generators(probe._handle, self._handle, info["name"])
            # The statistics a training call moves (BatchNormalization's) are the model's
            # variables, as the layer's variables are in Keras.
            for own, moved in zip(info["weights"], probe._all_weight_infos()):
                if not own.get("trainable", True):
                    self._set_weight(own, probe._get_weight(moved))
        else:
            out = probe(x, training=training)
        if layer is not None:
            layer._call_losses = [v for _, v in probe.__dict__.get("_call_loss_entries") or []]
        return out

    def _layer_output_shape(self, index, input_shape):
        x = np.zeros((1,) + tuple(1 if d is None else d for d in input_shape[1:]), np.float32)
        return (None,) + self._call_layer(index, x).shape[1:]

    def _symbolic_graph(self):
        """(inputs, outputs) of this functional model as KerasTensors: those it was made from,
        or for a model the library made from a config (a loaded one) its config's calls
        replayed on its layers once, when first asked for (_loaded_graph); None for a model
        without one (a Sequential, a subclassed model)."""
        if self._functional is not None:
            return self._functional
        if self._handle is None or isinstance(self, Sequential) or self._subclassed() or \
                self._is_subclass_model():
            return None
        graph = self.__dict__.get("_replayed_graph")
        if graph is None:
            from . import _loaded_graph
            self._layers_info()
            graph = self._replayed_graph = _loaded_graph.replay(self, self._config_cache.get("config") or {})
        return graph

    # -- layers and shapes -----------------------------------------------------------------
    @property
    def layers(self):
        if self.__dict__.get("_whole_call"):   # (the graph's one layer calls them)
            return list({id(item): item for key, _, _, item in _tracked_sublayers(self)
                         if key != "_layers"}.values())
        if self._handle is not None:
            infos = self._layers_info()
            by_name = {layer.name: layer for layer in self._layers}
            # Keras lists no InputLayer for Sequential and subclassed models.
            skip_inputs = isinstance(self, Sequential) or self._is_subclass_model()
            return [_as_keras_layer(by_name[i["name"]]) for i in infos if i["name"] in by_name
                    and not (skip_inputs and i.get("class_name") == "InputLayer")
                    and not getattr(by_name[i["name"]], "_op_node", False)]
        if self._subclassed():
            return self._tracked_layers()
        parts = _variables._parts_without_call(self)
        if parts is not None:
            return parts
        return [_as_keras_layer(layer) for layer in self._layers if not getattr(layer, "_op_node", False)]

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            if name is not None:
                raise ValueError("Provide only a layer name or a layer index, not both.")
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in layers]}.")

    def _input_shapes(self):
        self._layers_info()
        shapes = [tuple(info["config"].get("batch_shape") or ())
                  for info in self._layers_cache if info["class_name"] == "InputLayer"]
        return [tuple(None if d is None or d < 0 else d for d in s) for s in shapes]

    def _output_shape(self, batch=None, index=0):
        handle = self._ensure_handle()
        cached = getattr(self, "_output_dims", None)
        if cached is None or cached[0] != handle or cached[2] != index:
            buf = (c_int64 * _MAX_RANK)()
            rank = c_int32()
            if index == 0:
                check(_lib.keras_model_output_shape(handle, 0, buf, _MAX_RANK, byref(rank)))
            else:
                check(_lib.keras_model_io_shape(handle, 0, index, 0, buf, _MAX_RANK, byref(rank)))
            cached = self._output_dims = (handle, tuple(buf[k] for k in range(rank.value)), index)
        # The library writes the batch asked (0) first, or a first dimension the model fixes
        # while its inputs' batch is free (CenterCrop on one unbatched image: Keras's height).
        own = cached[1][:1]
        dims = (batch if own in ((), (0,)) else own[0],) + cached[1][1:]
        return tuple(None if (d is not None and d < 0) else d for d in dims)

    @property
    def input_shape(self):
        s = self._input_shapes()
        return s[0] if len(s) == 1 else s

    @property
    def output_shape(self):
        """Keras's: the output's shape, a list of them for a model of several outputs."""
        count = self._io_count(False)
        return self._output_shape() if count <= 1 else [self._output_shape(index=i) for i in range(count)]

    def _learning_rate(self):
        """The optimizer's current learning rate (a callback's
        `self.model.optimizer.learning_rate`)."""
        value = ctypes.c_double()
        check(_lib.keras_model_learning_rate(self._ensure_handle(), byref(value)))
        return value.value

    def _set_learning_rate(self, value):
        check(_lib.keras_model_set_learning_rate(self._ensure_handle(), float(value)))

    @property
    def stop_training(self):
        return self._stop_training

    @stop_training.setter
    def stop_training(self, value):
        self._stop_training = bool(value)
        if value and self._handle is not None:
            check(_lib.keras_model_stop_training(self._handle))

    # -- weights ---------------------------------------------------------------------------
    def __repr__(self):
        kind = "Functional" if self._functional is not None and type(self) is Model else type(self).__name__
        return f"<{kind} name={self.name}, built={not self._unbuilt()}>"

    def _unbuilt(self):
        """Whether the model can be built only with data: a Sequential without its input's
        shape, a subclassed model never called."""
        return self._handle is None and (self._subclassed() or not self._input_known() or
                                         _variables._parts_without_call(self) is not None)

    def _all_weight_infos(self):
        if self._unbuilt():
            return []   # Keras: a model not built yet has no weights (weights, get_weights)
        self._ensure_handle()
        holder = self.__dict__.get("_own_weights_layer")
        if holder is None:   # (each with its layer: a nested model's path names it, as Keras's)
            nested = {layer.name: layer.__dict__.get("_model", layer) for layer in self._layers}
            return [{**w, "outer_layer": info["name"]} for info in self._layers_info()
                    for w in _own_weights_first(nested.get(info["name"]), info["weights"])]
        # A subclassed model's own weights (add_weight) first, as Keras lists them, named
        # under the model as Keras names them.
        own, rest = [], []
        for info in self._layers_info():
            if info["name"] == holder.name:
                own += [{**w, "name": f"{self.name}/{w['name'].split('/')[-1]}"} for w in info["weights"]]
            else:
                rest += info["weights"]
        return own + rest

    def _variable_infos(self):
        """The weights' infos for `weights` and `trainable_weights`, with the `trainable` flags
        as they are in Python now, as Keras lists them (a layer of a nested model frozen after
        compile included)."""
        if self._unbuilt():
            return []
        self._ensure_handle()
        self._take_trainable_flags()
        return self._all_weight_infos()

    def get_weights(self):
        if _variables._parts_without_call(self) is not None:   # (its parts' weights, as Keras)
            return [v.numpy() for v in self.weights]
        memo = {}
        return [_variables.in_keras_dtype(self, w, self._get_weight(w), memo) for w in self._all_weight_infos()]

    def set_weights(self, weights):
        parts = _variables._parts_without_call(self) is not None   # (its parts' weights, as Keras)
        targets = self.weights if parts else self._all_weight_infos()
        if len(weights) != len(targets):
            raise ValueError(f"You called `set_weights(weights)` on model {self.name} with a "
                             f"weight list of length {len(weights)}, but the model was "
                             f"expecting {len(targets)} weights.")
        for target, w in zip(targets, weights):
            if parts:
                target.assign(w)
            else:
                self._set_weight(target, w)

    def count_params(self):
        if self._unbuilt():
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the "
                             f"layer isn't built. You can build it manually via: "
                             f"`layer.build(input_shape)`.")
        return int(sum(math.prod(w["shape"]) for w in self._all_weight_infos()))

    # -- compile ---------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True, **kwargs):
        """Keras `model.compile`. Keras 2 arguments without meaning here
        (`sample_weight_mode`, `target_tensors`) are accepted and ignored, as Keras 2 did when
        they had no effect."""
        unknown = set(kwargs) - {"sample_weight_mode", "target_tensors"}
        if unknown:
            raise TypeError(f"Invalid keyword argument(s) in `compile()`: {sorted(unknown)}")
        optimizer = optimizers.get(optimizer)
        loss, metrics, loss_weights, weighted_metrics = (
            self._by_output_layer(a) for a in (loss, metrics, loss_weights, weighted_metrics))
        config = {"optimizer": serialize(optimizer),
                  "loss": _plugins.serialize_loss(loss),
                  "metrics": _plugins.serialize_metrics(metrics),
                  "loss_weights": serialize(loss_weights),
                  "weighted_metrics": _plugins.serialize_metrics(weighted_metrics)}
        previous = self._compile_config if getattr(self, "compiled", False) else None
        if previous is not None:
            # Keras 3 keeps what an earlier compile gave when compiled again without it: the
            # loss (with its loss_weights), the metrics.
            if loss is None:
                config["loss"], config["loss_weights"] = previous["loss"], previous["loss_weights"]
                loss = self.loss
            if metrics is None and weighted_metrics is None:
                config["metrics"] = previous["metrics"]
                config["weighted_metrics"] = previous["weighted_metrics"]
        self._compile_config = config
        # Keras's first fit after compile peeks at a batch to build its compiled loss: a
        # shuffled one draws an order more (the library keeps its own flag; a train_step
        # override's Python loop reads this one).
        self.__dict__["_peeks_at_first_fit"] = True
        # The metric objects written in Python: the library updates these very objects.
        self._compile_metric_objects = _python_metrics.python_metrics_in([metrics, weighted_metrics])
        # The built-in metric objects given: after fit and evaluate they hold the state the
        # library's metrics of the same names were left with, as Keras's objects do.
        self._compile_library_metrics = _python_metrics.python_metrics_in(
            [metrics, weighted_metrics], in_python=False)
        self._compile_extras = {"run_eagerly": run_eagerly, "steps_per_execution": steps_per_execution,
                                "jit_compile": jit_compile}
        self.optimizer = optimizer
        if isinstance(optimizer, optimizers.Optimizer):   # its learning_rate reads the library's
            optimizer._compiled_into = weakref.ref(self)
        self.loss = loss
        self.compiled = True
        if getattr(self, "_compute_loss_uncompiled", False) and self._handle is not None:
            # compute_loss was traced (at build) before compile gave it a loss: trace it again.
            weights = self.get_weights()
            self._compute_loss_uncompiled = False
            self._new_handle(self._model_config())
            self.set_weights(weights)
            return
        self._take_trainable_flags()
        self._send_compile()

    def _take_trainable_flags(self):
        """Keras reads `layer.trainable` (and `model.trainable`) live: the flags changed in
        Python since the library last took them (freezing layers after load_weights, a predict
        or a fit; `base_model.trainable = False` on a nested model; one layer of a nested model)
        are set on the library's layers, which keep their weights (a nested model's are shared:
        the models holding it see the new flags too), before the model lists its weights, prints
        its summary, is compiled or trains; a callback changing them during fit sees them at once,
        and the next epoch checks them (_flags_changed_in_fit)."""
        changes = _variables.LayerBasics.trainable_flag_changes
        if self._handle is None or self.__dict__.get("_flags_taken_at") == changes:
            return
        if self._subclassed():
            # Its traced call calls the models its attributes hold as themselves (a Distiller's
            # frozen teacher): their flags are theirs to take.
            for held in _models_held_by(self):
                held._take_trainable_flags()
            self._flags_taken_at = changes
            return
        config = json.loads(self._library_json())
        if _take_trainable_flags(config, self):
            _count_optimizer_builds()
            check(_lib.keras_model_set_trainable(self._handle, dumps(config)))
        for held in _models_called_by_python_layers(self):   # (their own models: shared)
            held._take_trainable_flags()
        # (read again even when nothing changed here: another model holding the same nested
        # model may have set its flags)
        _forget_layers_info(self)
        self._flags_taken_at = changes

    def _flags_changed_in_fit(self):
        """At an epoch's start during fit: flags a callback changed (`layer.trainable = False` in
        on_epoch_end) are taken, and a fit whose number of trainable variables changed stops
        with Keras's error, as Keras's next epoch fails on the optimizer built at its start; the
        same number trains on."""
        if not self.__dict__.get("_fitting"):
            return
        self._take_trainable_flags()
        self._check_optimizer_variables()

    def _check_optimizer_variables(self):
        """Keras builds the optimizer on the model's trainable variables at the first fit after
        compile (so flags set between compile and fit count) and refuses to train another
        number of variables with it (flags changed or layers added since, without compiling
        again: jax's `stateless_apply` check); the same here, at the start of each fit."""
        optimizer = self.__dict__.get("optimizer")
        if not isinstance(optimizer, optimizers.Optimizer):
            return
        state = (self._handle, _variables.LayerBasics.trainable_flag_changes)
        built = optimizer.__dict__.get("_built_for")
        if built is None:   # counted only if the library's model changes (no crossing per fit)
            optimizer._built_for = (state, None)
            _uncounted_builds.add(self)
            return
        if built[0] == state:
            return
        count = self._trainable_weight_count()
        if built[1] is not None and built[1] != count:
            raise ValueError(
                f"Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to "
                f"the trainable variables list that the optimizer was built with. Received "
                f"len(trainable_variables) == {count} whereas the optimizer was built with "
                f"{built[1]} variables. (The optimizer was built at the first fit after compile; "
                f"trainable flags or layers changed since: call `compile()` again.)")
        optimizer._built_for = (state, count)

    def _trainable_weight_count(self):
        count = c_int32()
        check(_lib.keras_model_weight_count(self._handle, byref(count)))
        return sum(_weight_trainable(self._handle, i) for i in range(count.value))

    def _trainable_changes(self, config):
        """The `trainable` flags set here that differ from `config` (the library's model): the
        model's (None when unchanged) and its layers' by name."""
        model_flag = bool(self.trainable) \
            if config["config"].get("trainable", True) != bool(self.trainable) else None
        by_name = {layer.name: layer for layer in self._layers}
        layer_flags = {}
        for entry in config["config"].get("layers", []):
            c = entry.get("config") or {}
            layer = by_name.get(entry.get("name") or c.get("name"))
            if layer is not None and c.get("trainable", True) != bool(layer.trainable):
                layer_flags[layer.name] = bool(layer.trainable)
        return model_flag, layer_flags

    # -- data ------------------------------------------------------------------------------
    @staticmethod
    def _array(data, what):
        if isinstance(data, (list, tuple)) and len(data) == 1 and isinstance(data[0], np.ndarray):
            data = data[0]
        arr = as_float32(data, what)
        if arr.ndim == 0:
            raise ValueError(f"{what}: expected an array with a batch dimension, got a scalar")
        return arr

    def _io_names(self, which):
        """Names of the model's inputs ("input_layers") or outputs ("output_layers")."""
        if which == "output_layers" and getattr(self, "_compute_loss_graph", False):
            return list(self._compute_loss_output_names)   # the user's outputs
        if which == "output_layers" and self.__dict__.get("_output_keys"):
            return list(self._output_keys)
        config = json.loads(self._library_json()).get("config", {})
        refs = config.get(which) or []
        if refs and not isinstance(refs[0], list):
            refs = [refs]
        names = [r[0] for r in refs]
        if which == "input_layers" and getattr(self, "_compute_loss_graph", False):
            names = names[:len(names) - self._compute_loss_inputs.count]
        return names

    def _io_count(self, inputs):
        if isinstance(self, Sequential) or not _lib.has("keras_model_input_count"):
            return 1
        n = c_int32()
        fn = _lib.keras_model_input_count if inputs else _lib.keras_model_output_count
        check(fn(self._ensure_handle(), byref(n)))
        # The targets and sample weight inputs of a traced compute_loss are the binding's.
        if inputs and getattr(self, "_compute_loss_graph", False):
            return n.value - self._compute_loss_inputs.count
        return n.value

    _STRING_LAYERS = ("StringLookup", "Hashing", "TextVectorization", "HashedCrossing")

    def _check_strings(self, arrays, what):
        """Strings reach only a model with a string Input or a layer that takes strings; others
        refuse them as Keras does (a TypeError naming the argument)."""
        if not any(isinstance(a, _native.StringArray) for a in arrays):
            return arrays
        layers = json.loads(self._library_json()).get("config", {}).get("layers", [])
        if not any(l.get("class_name") in self._STRING_LAYERS or
                   (l.get("class_name") == "InputLayer" and l.get("config", {}).get("dtype") == "string")
                   for l in layers):
            raise TypeError(f"{what}: got strings, but model '{self.name}' has no string input "
                            f"(keras.Input(dtype='string')) nor a layer that takes strings")
        return arrays

    def _arrays(self, data, what, inputs):
        """One float32 array per model input (inputs=True) or output: an array, a list or tuple
        of arrays in model order, or a dict keyed by input/output names, as Keras takes them."""
        if data is None:
            raise ValueError(f"{what} is required")
        count = self._io_count(inputs)
        lossless = set() if inputs or count == 1 else self._lossless_outputs()
        if isinstance(data, dict):
            names = self._io_names("input_layers" if inputs else "output_layers")
            missing = [n for i, n in enumerate(names) if n not in data and i not in lossless]
            unknown = [k for k in data if k not in names]
            if missing or unknown:
                raise ValueError(f"{what}: the dict keys {sorted(data)} do not match the model's "
                                 f"{'inputs' if inputs else 'outputs'} {names}")
            data = [data.get(n) for n in names]
        if lossless:
            data = self._lossless_targets(data, lossless, count, what)
        if count > 1:
            if not isinstance(data, (list, tuple)) or len(data) != count:
                got = len(data) if isinstance(data, (list, tuple)) else 1
                raise ValueError(f"{what}: the model has {count} {'inputs' if inputs else 'outputs'}"
                                 f", so {what} must be a list of {count} arrays (got {got})")
            return self._check_strings([self._array(d, f"{what}[{i}]") for i, d in enumerate(data)], what)
        if isinstance(data, (list, tuple)) and len(data) > 1 and \
                all(isinstance(d, np.ndarray) and d.ndim >= 1 for d in data) and \
                data[0].shape[0] != len(data):
            raise ValueError(f"{what}: the model has one {'input' if inputs else 'output'}, got a "
                             f"list of {len(data)} arrays")
        return self._check_strings([self._array(data, what)], what)

    def _lossless_outputs(self):
        """The indices of the outputs compiled with no loss (Keras's `loss=[None, "mse"]`, a
        None value in a loss dict, or an output a dict-output model's loss dict leaves out)."""
        loss = (self._compile_config or {}).get("loss")
        if getattr(self, "_compute_loss_graph", False):
            return set()
        if isinstance(loss, dict) and "class_name" not in loss:
            return {i for i, n in enumerate(self._output_layer_names()) if loss.get(n) is None}
        if isinstance(loss, (list, tuple)) and len(loss) > 1:
            return {i for i, entry in enumerate(loss) if entry is None}
        return set()

    def _output_layer_names(self):
        """The library's name of each output, as compile arguments keyed by output are keyed
        once `_by_output_layer` has mapped them."""
        keys = self.__dict__.get("_output_keys")
        return list(self._by_output_layer(dict.fromkeys(keys))) if keys else \
            self._io_names("output_layers")

    def _output_has_metrics(self, i, count):
        names = self._output_layer_names()
        for key in ("metrics", "weighted_metrics"):
            given = (self._compile_config or {}).get(key)
            if isinstance(given, dict) and "class_name" not in given:
                given = given.get(names[i])
            elif isinstance(given, (list, tuple)) and len(given) == count and \
                    any(e is None or isinstance(e, (list, tuple)) for e in given):
                given = given[i]
            elif i > 0:
                given = None   # a flat list is the first output's (the library's reading)
            if given:
                return True
        return False

    def _lossless_targets(self, data, lossless, count, what):
        """The targets as one entry per output when some outputs have no loss: Keras reads no
        target for those, so theirs may be None, or left out (a list of the others' targets
        alone). An output without a loss and without metrics gets a placeholder the library
        never reads (a given one, whatever its shape or values, is ignored as in Keras)."""
        given = list(data) if isinstance(data, (list, tuple)) else [data]
        if len(given) == count - len(lossless) and len(given) != count:
            rest = iter(given)
            given = [None if i in lossless else next(rest) for i in range(count)]
        if len(given) != count:
            return data   # the count check names the mismatch
        rows = next((len(d) for d in given if d is not None and hasattr(d, "__len__")), None)
        names = self._io_names("output_layers")
        out = []
        for i, d in enumerate(given):
            if i in lossless and not self._output_has_metrics(i, count):
                if rows is None:
                    raise ValueError(f"{what}: every output's target is None; give the target of "
                                     f"at least one output (its rows count the samples)")
                d = np.zeros((rows, 1), np.float32)
            elif d is None:
                raise ValueError(f"{what}: the target of output '{names[i]}' is None, but "
                                 + ("its metrics need it" if i in lossless else "it has a loss"))
            out.append(d)
        return out

    def _sample_weight(self, sample_weight, what="sample_weight"):
        # The library checks that there is one weight per sample.
        return None if sample_weight is None else self._array(sample_weight, what)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, nb_epoch=None, **kwargs):
        """Keras `model.fit`; returns a History whose `.history` holds the epoch figures."""
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `fit()`: {sorted(kwargs)}")
        epochs, nb_epoch = config._capped_epochs(nb_epoch or epochs), None
        steps_per_epoch = config._capped_steps(steps_per_epoch)
        if not _datasets.is_dataset(x) and (validation_steps or config.max_steps_per_epoch()) \
                and (validation_data is not None or validation_split):
            x, y, sample_weight, validation_data = _limited_validation(
                x, y, sample_weight, validation_data, validation_split,
                config._capped_steps(validation_steps),
                validation_batch_size or batch_size or 32)
            validation_split = 0.0
        self._clear_call_losses()
        if _custom_steps.overrides(self, "train_step"):
            return _custom_steps.fit_by_steps(
                self, x, y, batch_size=batch_size, epochs=nb_epoch or epochs, verbose=verbose,
                callbacks=callbacks, validation_split=validation_split,
                validation_data=validation_data, shuffle=shuffle, class_weight=class_weight,
                sample_weight=sample_weight, initial_epoch=initial_epoch,
                steps_per_epoch=steps_per_epoch, validation_steps=validation_steps,
                validation_batch_size=validation_batch_size, validation_freq=validation_freq)
        if _datasets.is_dataset(x):
            if y is not None:
                raise ValueError("fit: `y` must not be given with a dataset or generator (its "
                                 "batches hold the targets)")
            return _datasets.fit(self, x, nb_epoch or epochs, steps_per_epoch, validation_data,
                                 callbacks, shuffle=shuffle, verbose=verbose, class_weight=class_weight,
                                 initial_epoch=initial_epoch, validation_steps=validation_steps,
                                 validation_freq=validation_freq)
        if x is None:
            raise ValueError("fit: x is required")
        if nb_epoch is not None:
            epochs = nb_epoch
        if class_weight and _custom_steps.overrides(self, "compute_loss"):
            # Keras turns class_weight into sample weights, which compute_loss receives.
            sample_weight = self._class_weight_as_sample_weight(y, class_weight, sample_weight)
            class_weight = None
        self._batch_of_first_call(batch_size)
        arrays_api, xs_list, ys_list, sw = self._training_arrays(x, y, sample_weight, "fit")
        n = len(xs_list[0])
        vxs, vys, vsw = [], [], None
        if y is None and (isinstance(validation_data, dict) or
                          isinstance(validation_data, (tuple, list)) and len(validation_data) == 1):
            # No targets (a model compiled without a loss): Keras's (x_val,) or x_val alone.
            validation_data = (validation_data if isinstance(validation_data, dict)
                               else validation_data[0], None)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                                 "(x_val, y_val, val_sample_weight)")
            validation_data = (_text_callables.model_inputs(self, validation_data[0]), *validation_data[1:])
            if len(validation_data) == 3 and validation_data[2] is not None and not arrays_api:
                raise NotImplementedError("validation_data with sample weights needs "
                                          "keras_model_fit_arrays, which this libkeras.so lacks")
            if arrays_api and not isinstance(self, Sequential):
                vxs = self._arrays(validation_data[0], "validation_data x", inputs=True)
            else:
                vxs = [self._array(validation_data[0], "validation_data x")]
            if validation_data[1] is None and y is None:
                vys = []
            else:
                vys = self._arrays(validation_data[1], "validation_data y", inputs=False) \
                    if arrays_api else [self._array(validation_data[1], "validation_data y")]
            if len(validation_data) == 3:
                vsw = self._sample_weight(validation_data[2], "validation_data sample_weight")
            if getattr(self, "_compute_loss_graph", False):
                # The graph was traced for fit's data: validation rows without sample weights
                # weigh 1 each when fit's have them.
                weights = vsw if vsw is not None or not self._compute_loss_inputs.weighted else \
                    np.ones(len(vys[0]), np.float32)
                vxs += self._compute_loss_targets(vys, weights, "fit validation_data")
        options = {"epochs": int(epochs), "verbose": _verbosity(verbose, 1),
                   "validation_split": float(validation_split), "shuffle": _shuffle_option(shuffle),
                   "initial_epoch": int(initial_epoch), "validation_freq": int(validation_freq)}
        if batch_size is not None:
            options["batch_size"] = int(batch_size)
        if steps_per_epoch is not None:
            options["steps_per_epoch"] = int(steps_per_epoch)
        if validation_batch_size is not None:
            options["validation_batch_size"] = int(validation_batch_size)
        if class_weight:
            options["class_weight"] = {str(int(k)): float(v) for k, v in class_weight.items()}
        # Ctrl-C stops a long fit at the next epoch's end (or batch's end, for long epochs): a
        # crossing into Python costs microseconds, so a fit estimated to be short (tiny models,
        # few samples) finishes and Python raises KeyboardInterrupt right after it.
        steps = steps_per_epoch or math.ceil(n * (1 - (0 if vxs else validation_split))
                                             / (batch_size or 32))
        probe = _plugins.PROBE_FIT_BATCHES if steps > 1000 else _plugins.PROBE_FIT_EPOCHS
        # Keras's `params` of the fit's callbacks and History: the steps of an epoch over the
        # training rows (validation_split holds out the last, floor(n * (1 - split)) kept).
        train_rows = n if vxs else int(math.floor(n * (1.0 - float(validation_split))))
        params = {"verbose": verbose, "epochs": int(epochs),
                  "steps": int(steps_per_epoch or math.ceil(train_rows / (batch_size or 32)))}
        if not _plugins.native_interrupt_available() and (int(epochs) - int(initial_epoch)) * \
                steps * (batch_size or 32) * max(self.count_params(), 1) < _LONG_FIT_WORK:
            probe = 0

        def native_fit(cbs, k):
            if arrays_api:
                px, py = _native.pack(xs_list), _native.pack(ys_list)
                pw = _native.pack([sw] if sw is not None else [])
                pvx, pvy = _native.pack(vxs), _native.pack(vys)
                pvw = _native.pack([vsw] if vsw is not None else [])
                check(_lib.keras_model_fit_arrays(
                    self._handle, px.pointer, px.count, py.pointer, py.count, pw.pointer,
                    pvx.pointer, pvx.count, pvy.pointer, pvy.count, pvw.pointer, dumps(options),
                    cbs, k, None))
            else:
                xs, ys = xs_list[0], ys_list[0]
                if vxs:
                    # validation_data as Keras defines it: held out after the training rows, which
                    # is what validation_split takes (the last rows, before shuffling).
                    nv = len(vxs[0])
                    xs, ys = np.concatenate([xs, vxs[0]]), np.concatenate([ys, vys[0]])
                    options["validation_split"] = (nv + 0.5) / (n + nv)
                check(_lib.keras_model_fit(self._handle, *_buffer(xs), *_buffer(ys), dumps(options),
                                           cbs, k, None))
        with _numpy_random_shared(shuffle):
            self._native_fit(callbacks, native_fit, probe, prints=options["verbose"] != 0, params=params)
        self._keep_metric_states()
        if self._epoch_log_updates or getattr(self, "_compute_loss_graph", False):
            return self._record_history(_last_history(self._handle, int(epochs) - int(initial_epoch)),
                                        initial_epoch, epochs, options["verbose"], params)
        # Read when first needed (History): the library keeps this History until the handle's
        # next fit or its replacement, before which _read_unread_history reads it.
        handle, count, first = self._handle, int(epochs) - int(initial_epoch), int(initial_epoch)

        def read():
            history = _per_class_columns(_last_history(handle, count))
            return history, list(range(first, first + len(next(iter(history.values()), []))))
        self.history = self._unread_history = History(self, {"params": params}, read)
        return self.history

    def _read_unread_history(self):
        """Reads the History of this model's last fit into Python before the library's changes
        (another fit of the handle, or the handle replaced)."""
        unread = self.__dict__.pop("_unread_history", None)
        if unread is not None:
            unread._materialize()

    def _native_fit(self, callbacks, call, probe, prints=True, params=None):
        """Runs `call(callback_array, count)`, a library fit of this model (keras_model_fit, or
        an estimator's fit of it), with the user's callbacks, as `fit` does; returns its result.
        `prints`: whether the fit may print (not verbose=0 with no callbacks: no flush after)."""
        self._read_unread_history()
        self._take_trainable_flags()
        self._check_optimizer_variables()
        self._stop_training = False
        self._epoch_log_updates = {}
        # A callback must not add or pop layers of the model it is fitting (Sequential.add
        # would replace the native model under the running fit).
        self._fitting = True
        try:
            with _aug_mix_chosen_in_python(self):
                result = self._run_with_callbacks(callbacks, call, probe, prints, params)
        finally:
            self._fitting = False
        return result

    def _keep_metric_states(self, results=None):
        """Gives the built-in metric objects compiled into the model the state the library's
        metrics of their names hold now (their variables; their result from `results`, else
        from the History's last epoch: its validation figure where it has one)."""
        if self._handle is None or self._compile_config is None:
            return
        model = weakref.ref(self)

        def last_logs():   # (the History is read when first needed)
            history = getattr(getattr(model(), "history", None), "history", None) or {}
            shown = {k[4:]: v for k, v in history.items() if k.startswith("val_")} or history
            return {k: v[-1] for k, v in shown.items() if v}

        def last_epoch(name):
            return lambda: last_logs().get(name)

        logs = (lambda: dict(results)) if results is not None else last_logs
        # `model.metrics` (the loss tracker, the compiled metrics) show the last call's figures
        # as Keras's do: fit's last epoch (its validation where it has one), evaluate's. (Those
        # two are the compiled objects unless `metrics` is the user's: the metrics tracked in
        # attributes are not of their classes, and their scan costs each evaluate of a loss.
        # The compiled objects not made yet show them when made: _custom_steps.compiled_metric_objects.)
        if _custom_steps.overrides(self, "metrics"):
            shown = self.metrics
        else:
            self._library_logs = (self._compile_config, logs)
            made = self.__dict__.get("_metric_objects")
            shown = made[1] if made is not None and made[0] is self._compile_config else ()
        for m in shown:
            if isinstance(m, (_custom_steps.LossTracker, _custom_steps.CompileMetrics)):
                m._show_library_logs(logs)
        objects = self.__dict__.get("_compile_library_metrics")
        if not objects:
            return
        entries = [e for e in _custom_steps._library_states(self) if not e["loss_tracker"]]
        for obj in objects:
            found = [e for e in entries if e["name"] == obj.name]
            if len(found) == 1:
                obj._keep_library_state(found[0]["variables"], last_epoch(obj.name)
                                        if results is None else results.get(obj.name))

    def _record_history(self, history, initial_epoch, epochs, verbose, params=None):
        """`self.history` (and the History returned by fit) from a library fit's figures, with
        what Python callbacks added to the epoch logs."""
        history = _per_class_columns(self._user_log_names(history))
        _merge_log_updates(history, self._epoch_log_updates, initial_epoch)
        self.history = History(self, {"history": history,
                                      "epoch": list(range(initial_epoch, initial_epoch + len(
                                          next(iter(history.values()), [])))),
                                      "params": params or {"epochs": int(epochs), "verbose": verbose}})
        return self.history

    def _user_log_names(self, logs):
        """The library's figures named as Keras names them: with a traced compute_loss, the first
        output's per-output figures carry its layer's name, not the compute_loss layer's, and
        each output's loss is reported only when compute_loss calls super() (Keras's compiled
        loss tracks them when it runs).

        Why this rename is done here and not in the library: the ComputeLoss layer is this
        binding's own construct (_custom_steps.with_compute_loss puts it in the graph it sends,
        as the model's first output, so that the traced compute_loss gets the targets); the
        library sees an ordinary functional model whose first output is that layer and names
        the figures after it, as it must for any model. Only the binding knows that the layer
        stands for the user's first output, so it names the figures back (here) and the
        metrics dict keys forward (_send_compile). Moving it into the library would need a
        way to name a model's outputs apart from their layers, for this one construct."""
        names = getattr(self, "_compute_loss_output_names", None)
        layer = getattr(self, "_compute_loss_layer_name", None)
        if not getattr(self, "_compute_loss_graph", False) or not names or not layer:
            return logs
        if self.__dict__.get("_traced_metric_objects"):   # updated in compute_loss
            _traced_metrics.sync(self)
            logs = _traced_metrics.log_names(self, logs)
        hidden = set() if getattr(self, "_compute_loss_uses_super", True) or len(names) == 1 else \
            {prefix + n + "_loss" for n in names for prefix in ("", "val_")}
        renamed = {}
        for key, value in logs.items():
            for prefix in ("", "val_"):
                if key.startswith(prefix + layer + "_"):
                    key = prefix + names[0] + key[len(prefix + layer):]
                    break
            if key not in hidden:
                renamed[key] = value
        return renamed

    def _class_weight_as_sample_weight(self, y, class_weight, sample_weight):
        """Keras's data adapter: class_weight becomes per-sample weights (one output only)."""
        if sample_weight is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        if isinstance(y, dict) or (isinstance(y, (list, tuple)) and len(y) > 1 and
                                   all(hasattr(v, "shape") and len(v.shape) >= 1 for v in y)):
            raise ValueError("`class_weight` is only supported for Models with a single output.")
        if isinstance(y, (list, tuple)) and len(y) == 1 and hasattr(y[0], "shape"):
            y = y[0]
        return _custom_steps.class_weight_to_sample_weight(y, class_weight)

    def _training_arrays(self, x, y, sample_weight, call):
        """The inputs, targets and sample weights of fit/evaluate as float32 arrays (lists for
        several inputs/outputs; the library checks them); and whether the library takes them
        as arrays (`keras_model_<call>_arrays`) or one x and one y."""
        plain = self.__dict__.get("_plain_training_arrays")
        if plain is not None and plain[0] is self._handle_ref and plain[1] == call and \
                _plain_array(x) and _plain_array(y):
            # (a model with one input and one output taking numbers, as the last call found it:
            # what the lines below make of its arrays, without looking again at each batch)
            return True, [self._array(x, "x")], [self._array(y, "y")], self._sample_weight(sample_weight)
        given = x
        x = _text_callables.model_inputs(self, x)
        arrays_api = _lib.has(f"keras_model_{call}_arrays")
        if not arrays_api and sample_weight is not None:
            raise NotImplementedError(f"{call}(sample_weight=...) needs keras_model_{call}_arrays, "
                                      "which this libkeras.so lacks")
        if isinstance(self, Sequential) or not arrays_api:
            xs_list = [self._array(x, "x")]
            self._ensure_handle(xs_list[0])
        else:
            if _custom_steps.overrides(self, "compute_loss") and y is not None:
                # The traced compute_loss's targets and sample weights, as this call has them.
                spec = _custom_steps.LossInputs.of(y, sample_weight is not None)
                if self._handle is None:
                    self._compute_loss_inputs = spec
                elif not getattr(self, "_compute_loss_graph", False) or \
                        spec.key() != self._compute_loss_inputs.key():
                    self._retrace_compute_loss(spec)
            self._ensure_handle(x)
            xs_list = self._arrays(x, "x", inputs=True)
        if y is None:   # a model compiled without a loss trains on its add_loss terms
            if not arrays_api:
                raise NotImplementedError(f"{call} without y needs keras_model_{call}_arrays, "
                                          f"which this libkeras.so lacks")
            ys_list = []
        else:
            ys_list = self._arrays(y, "y", inputs=False) if arrays_api else [self._array(y, "y")]
        sw = self._sample_weight(sample_weight)
        if getattr(self, "_compute_loss_graph", False):
            xs_list += self._compute_loss_targets(ys_list, sw, call)
            ys_list = [y if self._library_target_is_own(i)
                       else np.zeros((len(y),) + tuple(self._io_shape(False, i, 1)[1:]), np.float32)
                       for i, y in enumerate(ys_list)]
        elif arrays_api and x is given and _plain_array(x) and _plain_array(y) and \
                len(xs_list) == 1 and len(ys_list) == 1 and \
                not _custom_steps.overrides(self, "compute_loss"):
            # The next batches of this model (a fit's loop from Python) take the path above.
            self._plain_training_arrays = (self._handle_ref, call)
        return arrays_api, xs_list, ys_list, sw

    def _compute_loss_targets(self, ys_list, sw, call):
        """The targets (and sample weights) as the last inputs of a model whose compute_loss is
        traced in."""
        first = self._io_count(True)
        for i, y in enumerate(ys_list):
            expected = tuple(self._io_shape(True, first + i, 1)[1:])
            if tuple(y.shape[1:]) != expected:
                raise ValueError(f"{call}: {type(self).__name__}.compute_loss was traced for targets "
                                 f"of shape {(None,) + expected}, got {y.shape}; the first fit (or "
                                 f"evaluate) before any predict or build traces it with its targets")
        if self._compute_loss_inputs.weighted:
            if sw is None:
                raise ValueError(f"{call}: {type(self).__name__}.compute_loss was traced with "
                                 f"sample weights")
            return list(ys_list) + [sw.reshape(len(sw))]
        return list(ys_list)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Keras `model.evaluate`: the loss, or [loss, *metrics] in compile order. An overridden
        `test_step(data)` is called per batch, on numpy."""
        steps = config._capped_steps(steps)
        if steps and not _datasets.is_dataset(x):
            x, y, sample_weight = (_sliced(a, slice(steps * (batch_size or 32)))
                                   for a in (x, y, sample_weight))
        self._clear_call_losses()
        if _custom_steps.overrides(self, "test_step") and not _datasets.is_dataset(x):
            return _custom_steps.evaluate_by_steps(self, x, y, batch_size, sample_weight, return_dict,
                                                   callbacks)
        if _datasets.is_dataset(x):
            return _datasets.evaluate(self, x, steps, verbose=verbose, callbacks=callbacks,
                                      return_dict=return_dict)
        self._batch_of_first_call(batch_size)
        arrays_api, xs_list, ys_list, sw = self._training_arrays(x, y, sample_weight, "evaluate")
        verbosity = _verbosity(verbose, 1)
        options = _options_json(verbose=verbosity,
                                batch_size=None if batch_size is None else int(batch_size))
        long_call = dict(probe=_plugins.PROBE_TEST if len(xs_list[0]) > _LONG_CALL_ROWS else 0,
                         prints=verbosity != 0, params=_loop_params(verbose, len(xs_list[0]), batch_size))
        if arrays_api:
            px, py = _native.pack(xs_list), _native.pack(ys_list)
            pw = _native.pack([sw] if sw is not None else [])
            text = self._run_with_callbacks(callbacks, lambda cbs, k: _native.take_string(
                _lib.keras_model_evaluate_arrays, self._handle, px.pointer, px.count, py.pointer,
                py.count, pw.pointer, options, cbs, k), **long_call)
        else:
            xs, ys = xs_list[0], ys_list[0]
            text = self._run_with_callbacks(callbacks, lambda cbs, k: _native.take_string(
                _lib.keras_model_evaluate, self._handle, *_buffer(xs), *_buffer(ys),
                options, cbs, k), **long_call)
        results = {k: _per_class(v) for k, v in self._user_log_names(json.loads(text)).items()}
        self._keep_metric_states(results)
        if return_dict:   # by sorted name, as Keras's pythonify_logs gives them
            return dict(sorted(results.items()))
        values = _traced_metrics.in_order(self, results) if \
            self.__dict__.get("_traced_metric_objects") else list(results.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Keras `model.predict`: numpy outputs allocated here and filled by the library (a
        list for a model with several outputs). An overridden `predict_step(data)` is called
        per batch, on numpy."""
        steps = config._capped_steps(steps)
        if steps and not _datasets.is_dataset(x):
            x = _sliced(x, slice(steps * (batch_size or 32)))
        self._clear_call_losses()
        if _custom_steps.overrides(self, "predict_step") and not _datasets.is_dataset(x):
            return _custom_steps.predict_by_steps(self, x, batch_size)
        return self._predict(x, batch_size, verbose, steps, callbacks)

    def _predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        if _datasets.is_dataset(x):
            return _datasets.predict(self, x, steps, verbose=verbose, callbacks=callbacks)
        x = _text_callables.model_inputs(self, x)
        self._batch_of_first_call(batch_size)
        verbosity = _verbosity(verbose, 1)
        size = None if batch_size is None else int(batch_size)
        options = _options_json(verbose=verbosity, batch_size=size)
        if _lib.has("keras_model_predict_arrays") and not isinstance(self, Sequential):
            self._ensure_handle(x)
            xs_list = self._arrays(x, "x", inputs=True)
            n = len(xs_list[0])
            kept = None
            if getattr(self, "_compute_loss_graph", False):   # no targets: compute_loss unused
                first = len(xs_list)
                xs_list += [np.zeros((n,) + tuple(self._io_shape(True, first + i, n)[1:]), np.float32)
                            for i in range(self._compute_loss_inputs.count)]
                # Keras's predict runs no compute_loss: the state its calls in training mode move
                # (a Distiller's student features, BatchNormalization's statistics) is put back.
                kept = _gradient_tape.model_state(self)
            outs = [np.empty(shape, np.float32) for shape in self._output_shapes_for(xs_list)]
            descriptors = _output_descriptors(outs)
            px = _native.pack(xs_list)
            too_small = []

            def call(cbs, k, options=options):
                status = _lib.keras_model_predict_arrays(self._handle, px.pointer, px.count,
                                                         options, cbs, k, descriptors, len(outs))
                if status != _native.BUFFER_TOO_SMALL:
                    check(status)
                too_small.append(status == _native.BUFFER_TOO_SMALL)
            try:
                self._run_with_callbacks(callbacks, call,
                                         probe=_plugins.PROBE_PREDICT if n > _LONG_CALL_ROWS else 0,
                                         prints=verbosity != 0, params=_loop_params(verbose, n, batch_size))
                if too_small[-1]:
                    # An output whose first axis is not the batch (`ops.matmul(p, ops.transpose(q))`:
                    # (batch, batch)) is larger than the one sample's guess: again, in the shapes
                    # the library wrote.
                    outs = [np.empty(tuple(d.shape[k] for k in range(d.ndim)), np.float32)
                            for d in descriptors]
                    descriptors = _output_descriptors(outs)
                    call(None, 0, _options_json(verbose=0, batch_size=size))
            finally:
                _gradient_tape.put_back(kept)
            return self._structured_outputs(_as_written(outs, descriptors))
        xs = self._array(x, "x")
        self._ensure_handle(xs)
        self._check_strings([xs], "x")
        dims, ndim, too_small = (c_int64 * _MAX_RANK)(), c_int32(), [False]

        def run(out):
            def call(cbs, k):
                status = _lib.keras_model_predict(self._handle, *_buffer(xs), options, cbs, k,
                                                  out.ctypes.data, out.size, dims, byref(ndim))
                too_small[0] = status == _native.BUFFER_TOO_SMALL
                if not too_small[0]:
                    check(status)
            self._run_with_callbacks(callbacks, call, probe=_plugins.PROBE_PREDICT if len(xs) > _LONG_CALL_ROWS else 0,
                                     prints=verbosity != 0, params=_loop_params(verbose, len(xs), batch_size))
            return tuple(dims[i] for i in range(ndim.value))

        # The output's shape as the model declares it; a layer whose output length depends on
        # the data or on an adapted vocabulary (TextVectorization) tells the real one: retry.
        shape = self._output_shape(len(xs))
        out = np.empty(shape if None not in shape else (0,), np.float32)
        got = run(out)
        if too_small[0]:
            out = np.empty(got, np.float32)
            got = run(out)
        if got != out.shape:
            out = out.reshape(-1)[:int(np.prod(got))].reshape(got).copy()
        return out

    def _io_shape(self, inputs, index, batch):
        buf = (c_int64 * _MAX_RANK)()
        rank = c_int32()
        check(_lib.keras_model_io_shape(self._ensure_handle(), int(inputs), index, batch, buf,
                                        _MAX_RANK, byref(rank)))
        shape = tuple(buf[k] for k in range(rank.value))
        if any(d < 0 for d in shape):
            raise ValueError(f"predict: the model's output {index} has shape {shape} with an "
                             f"unknown dimension")
        return shape

    def _as_layer(self):
        """This model as a layer of another model's graph (one object per model, so that
        calling it twice shares it, as a layer called twice is shared)."""
        node = self.__dict__.get("_layer_view")
        if node is None:
            node = self._layer_view = _ModelLayer(self)
        return node

    def __call__(self, x, *args, training=None, mask=None):
        from .ops._trace import calling_layer
        _scopes.note_build_scope(self)
        self._refuse_positional_call_arguments(args)
        if mask is not None and not _lib.has("keras_model_call_with_masks"):
            raise NotImplementedError("model(x, mask=...) needs a library with "
                                      "keras_model_call_with_masks")
        called = calling_layer(self, x, (), {"training": training} if mask is None else
                               {"training": training, "mask": mask})
        if called is not None:   # inside a layer's traced call: a node of its graph
            return called
        _calls_on_arrays_in_model_trace(self, [x, mask])
        flat = x if isinstance(x, (list, tuple)) else [x]
        if flat and all(isinstance(t, KerasTensor) for t in flat):
            if isinstance(self, Sequential) and self._handle is None:
                # Keras builds a Sequential without an Input on its first symbolic call, for
                # that input's shape (its weights then exist: a ViT's augmentation stage).
                if self._input_batch_shape is None and isinstance(x, KerasTensor) and \
                        x.shape is not None:
                    self._input_batch_shape = tuple(x.shape)
                    self._input_from_call = True   # (its summary's batch: its caller's)
                if not self.__dict__.get("_build_names_taken"):
                    from .layers import _take_sequential_build_names
                    _take_sequential_build_names(self)
            if mask is not None:   # Keras: the nested model's inputs carry it (the node records it)
                _check_symbolic_call_masks(self, flat, mask)
                return self._as_layer()(x, training=training, mask=mask)
            return self._as_layer()(x, training=training)
        # Keras's training=None: the calls recorded with `training=` (`base(x, training=False)`)
        # keep it, which only the library's call does.
        recorded = training is None and self._records_training()
        training = bool(training)
        if isinstance(x, KerasTensor):
            raise TypeError(f"Model '{self.name}' called on a mix of symbolic tensors and arrays")
        if _lib.has("keras_model_call"):
            if self._handle is None:   # built (a subclassed model traced) from this x
                self._ensure_handle(_text_callables.model_inputs(self, x))
            targets = _gradient_tape.loss_targets(self) if training and not recorded and \
                mask is None else None
            if targets is not None:
                # A traced compute_loss fed the batch's targets: the block's call is the
                # training step's own forward, compute_loss's layer included (one forward).
                return self._record_loss_forward(x, *targets)
            if training and not recorded and mask is None and _gradient_tape.records_forward(self):
                # In a GradientTape's block: the training step's own forward pass, recorded
                # for the optimizer's apply to finish (one forward per batch).
                # (An output whose length depends on the data is predicted instead: step 0, a
                # step of its own then.)
                step = ctypes.c_int64()
                y_pred = self._call_collecting_losses(x, True, recorded_step=step)
                return _gradient_tape.note_call(self, x, y_pred, recorded=step.value or None)
            # In a GradientTape's block: the state the training step starts from.
            state = _gradient_tape.state_before_call(self)
            # A traced compute_loss is a layer of the graph fed the targets: a call is a predict.
            # In training mode (dropout, noise: their generators move on) the library's call.
            if mask is not None:   # Keras's model(x, mask=m): the inputs carry m into the graph
                return _gradient_tape.note_call(
                    self, x, self._call_collecting_losses(x, None if recorded else training, mask),
                    state)
            if not getattr(self, "_compute_loss_graph", False) and \
                    (training or recorded or self._adds_call_losses() or self._may_carry_masks()):
                return _gradient_tape.note_call(
                    self, x, self._call_collecting_losses(x, None if recorded else training), state)
        else:
            state = _gradient_tape.state_before_call(self)
        self._clear_call_losses()
        return _gradient_tape.note_call(self, x, self._predict(x, verbose=0), state)

    def _record_loss_forward(self, x, y, sample_weight):
        """In a GradientTape's block of fit's train_step, the call `self(x, training=True)` of a
        model whose compute_loss is traced in: the training step's forward with the batch's
        targets (and sample weights) fed to the compute_loss layer, recorded for optimizer.apply
        (keras_model_record_forward). The state before it is kept: a compute_loss given other
        targets than the batch's takes a step of its own from it (_gradient_tape._Step)."""
        _, xs_list, _, _ = self._training_arrays(x, y, sample_weight, "fit")
        self._take_trainable_flags()
        state = _gradient_tape.model_state(self)
        step = ctypes.c_int64()
        y_pred = self._call_collecting_losses(x, True, recorded_step=step, xs_list=xs_list)
        # model.losses as the block's call has them in Keras: without compute_loss's own value.
        name = getattr(self, "_compute_loss_layer_name", None)
        self._set_call_losses([(p, v) for p, v in self.__dict__.get("_call_loss_entries") or []
                               if p[:1] != (name,)])
        return _gradient_tape.note_call(self, x, y_pred, state=state, recorded=step.value or None,
                                        targets=(y, sample_weight))

    def _refuse_positional_call_arguments(self, args):
        """Keras passes `training` to `call` by keyword, so a second positional argument
        (other than None, which Python's binding leaves unset) is the TypeError Python raises
        for `call`'s signature: `training` given twice, or too many arguments; Sequential and
        subclassed models first refuse a positional value that is not a tensor (ValueError)."""
        if not args:
            return
        subclass = self._is_subclass_model()
        if subclass or isinstance(self, Sequential):
            # Keras's Layer.__call__ check (a functional model's call allows any argument).
            for arg in args:
                if arg is not None and not hasattr(arg, "shape"):
                    raise ValueError(f"Only input tensors may be passed as positional arguments. "
                                     f"The following argument value should be passed as a "
                                     f"keyword argument: {arg} (of type {type(arg)})")
        if subclass:
            import inspect
            call = type(self).call
            params = [p for p in inspect.signature(call).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            if len(params) < len(args) + 2:
                raise TypeError("too many positional arguments")   # Keras's (inspect's) message
        if len(args) == 1 and args[0] is None:
            return
        if subclass:
            if "training" not in [p.name for p in params[:len(args) + 2]]:
                raise TypeError(f"{type(self).__name__}: call arguments after the inputs are "
                                f"taken by keyword only here; got {len(args)} positional")
            qualname = call.__qualname__
        else:
            qualname = f"{'Sequential' if isinstance(self, Sequential) else 'Functional'}.call"
        raise TypeError(f"{qualname}() got multiple values for argument 'training'")

    def _records_training(self):
        """Whether a layer call in this model's graph (or a nested model's) was given `training=`
        (its node's kwargs), read once per library model."""
        if self._handle is None and self._functional is None and \
                not (isinstance(self, Sequential) and self._input_known()):
            return False
        handle = self._ensure_handle()
        cached = self.__dict__.get("_records_training_of")
        if cached is None or cached[0] != handle:
            def found(node):
                if isinstance(node, dict):
                    kwargs = node.get("kwargs")
                    if isinstance(kwargs, dict) and kwargs.get("training") is not None:
                        return True
                    return any(found(v) for v in node.values())
                return isinstance(node, list) and any(found(v) for v in node)
            cached = self._records_training_of = (handle, found(json.loads(self._library_json())))
        return cached[1]

    def _adds_call_losses(self):
        """Whether a call can add losses (Keras `model.losses` after `model(x)`): some layer has
        an activity regularizer, or is written in Python (its traced call may `add_loss`)."""
        def found(node):
            if isinstance(node, dict):
                if node.get("activity_regularizer") is not None or node.get("registered_name"):
                    return True
                return any(found(v) for v in node.values())
            return isinstance(node, list) and any(found(v) for v in node)
        if any(found(i["config"]) for i in self._layers_info()):
            return True
        return any(not isinstance(layer, _BuiltinLayer) or found(layer.get_config())
                   for layer in self._layers)

    def _layer_object(self, name):
        return next((layer for layer in self._layers if layer.name == name), None)

    def _call_collecting_losses(self, x, training, input_masks=None, recorded_step=None,
                                xs_list=None):
        """Keras `model(x, training=..., mask=...)`: one forward pass of the library over all
        of x (keras_model_call), keeping the call's activity penalties and `add_loss` values
        for `model.losses` and each layer's `losses`; `input_masks` (one per input, or None
        for one) go into the graph with the inputs (keras_model_call_with_masks).
        `recorded_step` (a c_int64): the forward of a training step, recorded for
        keras_model_train_recorded (keras_model_record_forward), its id written there.
        `xs_list`: the arrays the library is fed, when made already (_training_arrays's: the
        inputs, then a traced compute_loss's targets)."""
        if xs_list is None:
            x = _text_callables.model_inputs(self, x)
            self._ensure_handle(x)
            xs_list = self._arrays(x, "x", inputs=True)
        n = len(xs_list[0])
        if input_masks is not None:
            given = list(input_masks) if isinstance(input_masks, (list, tuple)) else [input_masks]
            if len(given) != len(xs_list):
                raise ValueError(f"Model '{self.name}' takes {len(xs_list)} input(s) but "
                                 f"{len(given)} mask(s) were given")
            input_masks = _native.pack([None if m is None else
                                        np.ascontiguousarray(np.asarray(m), dtype=np.float32)
                                        for m in given])
        try:
            outs = [np.empty(self._io_shape(False, i, n), np.float32) for i in range(self._io_count(False))]
        except ValueError:   # an output whose length depends on the data: predict sizes it
            if not self._may_carry_masks():
                self._clear_call_losses()
                return self._predict(x, verbose=0)
            outs = [np.empty(shape, np.float32) for shape in self._output_shapes_for(xs_list)]
        descriptors = _output_descriptors(outs)
        px = _native.pack(xs_list)
        mode = -1 if training is None else int(bool(training))
        if input_masks is not None or (self._may_carry_masks() and _lib.has("keras_model_call_masked")):
            # Keras sets the mask each output carries as its `_keras_mask`.
            buffers = [np.empty(max(o.size, 1), np.float32) for o in outs]
            mask_descriptors = _output_descriptors(buffers)
            present = (ctypes.c_int32 * len(outs))()
            if recorded_step is not None:
                text = _native.take_string(_lib.keras_model_record_forward, self._handle,
                                           px.pointer, px.count, descriptors, len(outs),
                                           mask_descriptors, present, byref(recorded_step))
            elif input_masks is not None:
                text = _native.take_string(_lib.keras_model_call_with_masks, self._handle,
                                           px.pointer, input_masks.pointer, px.count, mode,
                                           descriptors, len(outs), mask_descriptors, present)
            else:
                text = _native.take_string(_lib.keras_model_call_masked, self._handle, px.pointer,
                                           px.count, mode, descriptors, len(outs), mask_descriptors,
                                           present)
            outs = [_masked(o, _written(b, d).astype(bool)) if carried else o
                    for o, b, d, carried in zip(_as_written(outs, descriptors), buffers,
                                                mask_descriptors, present)]
        elif recorded_step is not None:
            text = _native.take_string(_lib.keras_model_record_forward, self._handle, px.pointer,
                                       px.count, descriptors, len(outs), None, None,
                                       byref(recorded_step))
        else:
            text = _native.take_string(_lib.keras_model_call, self._handle, px.pointer, px.count,
                                       mode, descriptors, len(outs))
        self._set_call_losses([(tuple(e["layer"]), e["value"]) for e in json.loads(text)])
        return self._structured_outputs(_as_written(outs, descriptors))

    def _may_carry_masks(self):
        """Whether `model(x)`'s outputs may carry Keras masks: a layer of the model, at any depth,
        starts one (Embedding(mask_zero=True), Masking, a layer written in Python, a call given
        `mask=`). Known once per handle."""
        known = self.__dict__.get("_masks_known")
        if known is not None and known[0] == self._handle:
            return known[1]
        def found(node):
            if isinstance(node, dict):
                if node.get("mask_zero") is True or node.get("class_name") == "Masking" or \
                        node.get("registered_name") or node.get("mask") is not None:
                    return True
                return any(found(v) for v in node.values())
            return isinstance(node, list) and any(found(v) for v in node)
        config = json.loads(_native.take_string(_lib.keras_model_to_json, self._ensure_handle()))
        result = found(config.get("config", {}).get("layers", []))
        self.__dict__["_masks_known"] = (self._handle, result)
        return result

    def _output_shapes_for(self, xs_list):
        """The shapes of the outputs for these inputs: the model's, or where an output has a
        length set by the data (`Input(shape=(None,))` through Embedding), the one the library
        computes for the first sample, with every sample's batch."""
        n = len(xs_list[0])
        try:
            return [self._io_shape(False, i, n) for i in range(self._io_count(False))]
        except ValueError:
            pass
        count = self._io_count(False)
        descriptors = (_lib.keras_output * count)()   # no room: the library writes the shapes
        px = _native.pack([x[:1] for x in xs_list])
        status = _lib.keras_model_predict_arrays(self._handle, px.pointer, px.count,
                                                 _options_json(verbose=0), None, 0,
                                                 descriptors, count)
        if status not in (0, _native.BUFFER_TOO_SMALL):
            check(status)
        return [(n,) + tuple(d.shape[k] for k in range(1, d.ndim)) for d in descriptors]

    def _structured_outputs(self, outs):
        """The outputs as the model was made with them: a dict for named outputs, else the one
        array or the list."""
        keys = self.__dict__.get("_output_keys")
        outs = _in_output_dtypes(self._functional, outs)
        if keys:
            return dict(zip(keys, outs))
        return outs[0] if len(outs) == 1 else outs

    def _by_output_layer(self, spec):
        """A compile argument keyed by the model's output names (named outputs' keys) keyed by
        the library's output layer names."""
        keys = self.__dict__.get("_output_keys")
        if not keys or not isinstance(spec, dict) or self._functional is None:
            return spec
        layers = [t._keras_history[0].name for t in self._functional[1]]
        return {layers[keys.index(k)] if k in keys else k: v for k, v in spec.items()}

    def _set_call_losses(self, entries):
        self._call_loss_entries = entries
        for layer in self._layers:
            layer._call_losses = [v for path, v in entries if path[:1] == (layer.name,)]
            if isinstance(layer, _ModelLayer):   # a nested model's `losses` are its layers', as Keras's
                layer._model._set_call_losses([(path[1:], v) for path, v in entries
                                               if path[:1] == (layer.name,)])

    def _clear_call_losses(self):
        """Keras clears the losses of the last call (the model's, or a layer's alone) when a
        step or a new call runs."""
        if self.__dict__.get("_call_loss_entries") or \
                any(layer.__dict__.get("_call_losses") or
                    (isinstance(layer, _ModelLayer) and layer._model.__dict__.get("_call_loss_entries"))
                    for layer in self._layers):
            self._set_call_losses([])

    def _weight_losses(self):
        """The weight regularization penalties at the current weights: (layer path, value).
        A model built before its first call (its input known) has them, as Keras's."""
        if self._unbuilt() or not _lib.has("keras_model_weight_losses"):
            return []
        text = _native.take_string(_lib.keras_model_weight_losses, self._ensure_handle())
        return [(tuple(e["layer"]), e["value"]) for e in json.loads(text)]

    def _run_with_callbacks(self, callbacks, call, probe=0, prints=True, params=None):
        """Runs a loop with the user's callbacks: built-in ones are made by the library from
        their configs, Python ones call back through trampolines; an exception raised in any
        of them is re-raised here, with its traceback, once the loop has stopped.
        `probe`: the events at which a pending Ctrl-C stops the loop cleanly (0: none; the call
        then finishes and Python raises KeyboardInterrupt after it, as for any C call).
        `params`: Keras's `callback.params` of the loop (verbose, epochs, steps)."""
        callbacks = _flat_callbacks(callbacks)
        for cb in callbacks if params is not None else ():
            if hasattr(cb, "set_params"):
                cb.set_params(dict(params))
        native_interrupt = probe and _plugins.native_interrupt_available()
        if native_interrupt:
            probe = 0   # SIGINT goes straight to keras_interrupt: no probe crossing at all
        if not callbacks and not probe:
            _native.take_stashed()
            try:
                if native_interrupt:
                    return _plugins.call_with_native_interrupt(call, None, 0)
                return call(None, 0)
            finally:
                if prints:
                    _flush_library_output()
        handles, keep, builtin = [], [], []
        try:
            for cb in callbacks or []:
                h = ctypes.c_void_p()
                if getattr(cb, "_next_rate", None) is not None and \
                        not _lib.has("keras_model_set_learning_rate"):
                    if not _lib.has("keras_callback_lr_scheduler_new"):
                        raise NotImplementedError(
                            "LearningRateScheduler needs keras_model_set_learning_rate or "
                            "keras_callback_lr_scheduler_new, which this libkeras.so lacks "
                            "(bindings/python/ABI_REQUESTS.md item 4)")
                    cb.set_model(self)
                    handle, thunk = _plugins.native_lr_scheduler(cb)
                    keep.append(thunk)
                    handles.append(handle)
                    continue
                if isinstance(cb, _plugins.PythonCallback):
                    cb.set_model(self)
                    tramp, events = _plugins.callback_trampoline(cb, self)
                    keep.append(tramp)
                    check(_plugins.new_callback(type(cb).__name__, tramp, events, byref(h)))
                else:
                    config = serialize(cb)
                    if not isinstance(config, dict) or "class_name" not in config:
                        raise TypeError(f"callbacks: {cb!r} is not a Keras callback")
                    if hasattr(type(cb), "set_model"):
                        cb.set_model(self)   # a built-in callback's `model`, as Keras's fit sets it
                    check(_lib.keras_callback_from_config(config["class_name"].encode(),
                                                          dumps(config.get("config", {})),
                                                          byref(h)))
                    if self.__dict__.get("_fitting") and hasattr(type(cb), "_follow_fit"):
                        builtin.append((cb, h.value))
                        cb._follow_fit(h.value)   # its attributes read live during the fit
                handles.append(h.value)
            every = handles + ([_plugins.interrupt_callback(probe)] if probe else [])
            array = (ctypes.c_void_p * max(len(every), 1))(*every)
            _native.take_stashed()
            if native_interrupt:
                return _plugins.call_with_native_interrupt(call, array, len(every))
            if not probe:
                return call(array, len(every))
            with _plugins.interrupt_guard():
                return call(array, len(every))
        finally:
            for cb, h in builtin:
                cb._end_fit(h, self)   # Keras's attributes after fit (stopped_epoch, best, ...)
            for h in handles:
                _lib.keras_callback_free(h)
            del keep
            _flush_library_output()

    # -- text ------------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Keras 3 `model.summary()`: the table the library renders. With `print_fn`, it is
        called once with the whole text, as Keras 3 does."""
        unbuilt = self._handle is None and not self._input_known()
        parts = _variables._parts_without_call(self)
        if parts is not None:
            built = [_built_part(part) for part in parts]
            if any(built) and not all(built) or any(b is None for b in built):
                raise NotImplementedError(
                    f"summary of model '{self.name}' (a {type(self).__name__} without `call`, "
                    f"listed by its parts): printed where its parts are all built models or all "
                    f"not built; {', '.join(p.name for p, b in zip(parts, built) if not b)} "
                    f"{'is' if sum(not b for b in built) == 1 else 'are'} not built or a built "
                    f"layer that is not a model")
        # (a subclassed model not built yet: its layers as unbuilt, below, as Keras prints it;
        # so too the parts of a model without `call`, none built)
        unbuilt_subclass = self._handle is None and (
            self._subclassed() and (not self.built or "_default_build_shape" in self.__dict__) or
            parts is not None and not any(built))
        if unbuilt and not unbuilt_subclass and not (isinstance(self, Sequential) and self._layers):
            raise ValueError("This model has not yet been built. Build the model first by "
                             "calling `build()` or by calling the model on a batch of data.")
        options = {}
        if line_length is not None:
            if not isinstance(line_length, int) or line_length <= 0:
                raise ValueError(f"line_length must be a positive integer, got {line_length!r}")
            options["line_length"] = line_length
        if positions is not None:
            positions = [float(p) for p in positions]
            if any(b <= a for a, b in zip(positions, positions[1:])) or positions[0] <= 0:
                raise ValueError(f"positions must be increasing and positive, got {positions}")
            options["positions"] = positions
        if show_trainable:
            options["show_trainable"] = True
        if expand_nested:
            options["expand_nested"] = True
        if layer_range is not None:
            if len(layer_range) != 2:
                raise ValueError(f"layer_range must be a list or tuple of 2 strings, got "
                                 f"{layer_range!r}")
            options["layer_range"] = list(layer_range)
        if unbuilt and not unbuilt_subclass:
            # a Sequential without an input: Keras's "?" shapes and "0 (unbuilt)"
            text = _with_unbuilt_model(self._model_config(), lambda h: _summary_text(h, options))
        elif unbuilt_subclass:
            # a subclassed model not built, or given Keras's default build() (no weights yet): its layers
            # (a Sequential or a subclassed model among them, with theirs), each "?" and
            # "0 (unbuilt)", as Keras prints them
            types = {}
            layers = _unbuilt_entries(self, "", types)
            if types:
                options["layer_types"] = types
            text = _with_unbuilt_model({"class_name": "Sequential",
                                        "config": {"name": self.name, "layers": layers}},
                                       lambda h: _summary_text(h, options))
        elif parts:
            # A Model subclass without `call` (keras.io's VAE): Keras lists its parts, each with
            # its `output_shape`; the library prints them as the layers of a model of the parts
            # side by side, holding the parts' own library models.
            names = [part.name for part in parts]
            options.update(subclass_layers=names, graph_shape_layers=names)
            _add_nested_options(options, self, expand_nested)
            text = _with_parts_model(self, parts, lambda h: _summary_text(h, options))
        else:
            handle = self._ensure_handle()
            self._take_trainable_flags()   # Keras counts the current flags
            if self._is_subclass_model():
                # Keras lists a subclassed model's layers, each with the batch it was built with.
                options["subclass_layers"] = [layer.name for layer in self.layers]
                # Keras prints "?" for a custom layer that cannot compute its output shape.
                unknown = [layer.name for layer in self.layers if isinstance(layer, Layer)
                           and not isinstance(layer, (_BuiltinLayer, _ModelLayer, Model))
                           and type(layer).compute_output_shape is Layer.compute_output_shape]
                if unknown:
                    options["unknown_shape_layers"] = unknown
                if self.__dict__.get("_built_batch") is not None:
                    options["batch_size"] = int(self._built_batch)
            _add_nested_options(options, self, expand_nested)
            text = _summary_text(handle, options)
        _flush_library_output()
        if print_fn is not None:
            print_fn(text)
        else:
            print_msg(text, line_break=not text.endswith("\n"))

    def _input_known(self):
        return True

    def build(self, input_shape=None):
        """Keras `model.build(input_shape)`. A subclassed model without a `build` of its own
        gets Keras's default one: marked built, with no weights (its layers are built by its
        first call), with Keras's warning when it holds layers not built."""
        if self._handle is None and self._subclassed() and type(self).build is Model.build:
            _scopes.note_build_scope(self)
            _warn_unbuilt_state(self)
            self._default_build_shape = None if input_shape is None else tuple(input_shape)
            return
        self._build_with_weights(input_shape)

    def _build_in_full(self, input_shape):
        """Builds the model with its weights for `input_shape`, as Keras's Sequential.build and
        build_from_config do (running a call where the model has no `build` of its own)."""
        (self._build_with_weights if type(self).build is Model.build else self.build)(input_shape)

    def _build_with_weights(self, input_shape=None):
        _scopes.note_build_scope(self)
        if self._subclassed() and type(self).build is not Model.build:
            if self.__dict__.get("_in_user_build"):
                return   # the user's build's super().build(), while the first call traces
            self._user_build_done = True
        if self._handle is None and self._subclassed():
            self._ensure_handle(None if input_shape is None else list(input_shape))
        if isinstance(self, Sequential) and self._handle is None and input_shape is not None and \
                self._input_batch_shape is None:
            # Keras's Sequential.build makes its Input of this shape, unknown steps kept unknown
            # (the array below stands for None with 1)
            self._input_batch_shape = tuple(input_shape)
        self._ensure_handle(None if input_shape is None else
                            np.empty((1,) + tuple(1 if d is None else d for d in tuple(input_shape)[1:]),
                                     np.float32))
        self._layers_cache = None
        self._layers_info()   # its layers are built with it (Keras: `layer.built`, `layer.kernel`)

    @property
    def built(self):
        """Keras's: a functional model, and a Sequential that knows its input, are built when
        made; a subclassed one by its first call or `build`."""
        return self._handle is not None or "_default_build_shape" in self.__dict__ or not self._unbuilt()

    # -- saving ----------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, **kwargs):
        if _model_vars.registered_subclass(self) and str(os.fsdecode(_native.path_bytes(filepath))).endswith(".keras"):
            # Keras's form for a registered subclass: its class rebuilds it (ops and all).
            self._refuse_lambdas(ops_allowed=True)
            return _model_vars.save_subclass(self, filepath, overwrite)
        if self._is_subclass_model():
            self.get_config()   # Keras fails so where the automatic config cannot hold an argument
        self._refuse_lambdas()
        self.to_json()   # Keras fails so where a regularizer's get_config does
        _assets.check_own_variables(self)
        handle, path = self._ensure_handle(), _native.path_bytes(filepath)
        if path.lower().endswith((b".h5", b".hdf5", b".json")):
            check(_lib.keras_model_save(handle, path, int(bool(overwrite))))
        else:   # (the archive's config.json with Keras's shared-object marks, written by the library)
            check(_lib.keras_model_save_config(handle, path, int(bool(overwrite)),
                                               _shared_objects.archive_config(self, handle).encode()))
        _assets.save(self, path)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        check(_lib.keras_model_save_weights(self._ensure_handle(), _native.path_bytes(filepath),
                                            int(bool(overwrite))))

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Keras 3 `model.load_weights`: `.weights.h5`, `.keras` or legacy `.h5`; the legacy
        `by_name=True` only for legacy `.h5` files, as in Keras 3."""
        path = os.fsdecode(_native.path_bytes(filepath))
        by_name = kwargs.pop("by_name", None)
        kwargs.pop("objects_to_skip", None)
        if kwargs:
            raise ValueError(f"Invalid keyword arguments: {kwargs}")
        if by_name is not None and not (path.endswith(".h5") or path.endswith(".hdf5")) or \
                by_name is not None and path.endswith(".weights.h5"):
            raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. "
                             f"Received: {filepath}")
        if self._handle is not None:
            self._load_weights_file(self._handle, path, by_name, skip_mismatch)
        else:   # built only to take the file's weights: none of those is drawn first
            with _native.deferred_initial_values():
                self._load_weights_file(self._ensure_handle(), path, by_name, skip_mismatch)
        self._layers_cache = None

    @staticmethod
    def _load_weights_file(handle, path, by_name, skip_mismatch):
        if by_name or skip_mismatch:
            if not _lib.has("keras_model_load_weights_ex"):
                raise NotImplementedError(
                    "load_weights(by_name=True / skip_mismatch=True) needs "
                    "keras_model_load_weights_ex, which this libkeras.so lacks")
            check(_lib.keras_model_load_weights_ex(handle, os.fsencode(path), int(bool(by_name)),
                                                   int(bool(skip_mismatch))))
        else:
            check(_lib.keras_model_load_weights(handle, os.fsencode(path)))

    # -- pickling (by value: config, weights, compile config, optimizer state) ---------------
    def __getstate__(self):
        if self._handle is not None and self._is_subclass_model():
            # A subclassed model is made again from its class (its call's ops and own weights
            # have no JSON form), as Keras's pickling does through its .keras file.
            state = {"subclass_config": self.get_config(), "build_config": self.get_build_config(),
                     "compile": self._compile_config, "weights": self.get_weights(), "built": True}
            if self._compile_config is not None:
                state["weights_h5"] = _weights_file_bytes(self)
            return state
        state = {"json": _model_vars.with_subclass_attributes(self, self.to_json()),
                 "compile": self._compile_config,
                 "built": self._handle is not None}
        if self._handle is not None:
            state["weights"] = self.get_weights()
            if self._compile_config is not None:
                # The optimizer's variables too (a .weights.h5 holds them), so that a copy
                # trains on as the original would, as Keras's own pickling (a .keras file) does.
                state["weights_h5"] = _weights_file_bytes(self)
        return state

    def __setstate__(self, state):
        if "subclass_config" in state:
            config = dict(state["subclass_config"])
            self._init_kwargs = {k: v for k, v in config.items() if k not in ("name", "trainable")}
            self.__init__(**config)
            self.build_from_config(state["build_config"])
            self.set_weights(state["weights"])
            if state["compile"] is not None:
                self._compile_config = state["compile"]
                self._send_compile()
            if state.get("weights_h5"):
                _load_weights_file_bytes(self, state["weights_h5"])
            return
        if not state["built"]:
            raise ValueError("an unbuilt swiftkeras model cannot be unpickled")
        # (its initial weights are not drawn: the pickled ones replace them; the Python layer
        # classes this process used, known by their module while the copy is read, as a
        # subclassed model is made again from its class)
        with _native.deferred_initial_values(), _plugins.functions_by_module(state["json"]):
            other = model_from_json(state["json"])
            self.__dict__.update(other.__dict__)
            _owned.pop(other._handle_ref, None)   # the handle is this model's now
            other._handle_ref = None
            self._handle_ref = _own(self, self._handle)
            for layer in self._layers:
                layer._owner = self
            if state.get("weights"):
                self.set_weights(state["weights"])
        if state["compile"] is not None:
            self._compile_config = state["compile"]
            text = dumps(state["compile"])
            with _plugins.functions_by_module(text):
                check(_lib.keras_model_compile(self._handle, text))
        if state.get("weights_h5"):
            _load_weights_file_bytes(self, state["weights_h5"])


def _entry_as_read(layer):
    """A Sequential's config entry of `layer`, with the `build_config` it was read with from a
    file's config (which tells the library it was built as read, outside the model's scope)."""
    entry = layer._layer_entry()
    read = layer.__dict__.get("_read_build_config")
    return entry if read is None else {**entry, "build_config": read}


class Sequential(Model):
    """A linear stack of layers. Keras: `keras.Sequential`."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._input_batch_shape = None
        self._input_name = None
        for layer in layers or []:
            self.add(layer)

    def _default_name(self):
        return "sequential"

    def add(self, layer):
        if isinstance(layer, KerasTensor):
            input_layer = layer._keras_history[0]
            self._input_batch_shape = tuple(input_layer._args.get("batch_shape"))
            self._input_name = input_layer.name
            self._input_tensor = layer
            return
        self._refuse_while_fitting("add a layer", layer)
        if isinstance(layer, Model):   # Keras: a model is added as a layer (nested)
            model, layer = layer, layer._as_layer()
            if self._input_known() and model._unbuilt():
                self._build_held_model(model, len(self._layers))
            if not self._layers and model._input_known() and not model._unbuilt():
                layer._batch_input_shape = tuple(model.input_shape)
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Received: "
                            f"layer={layer} of type {type(layer)}.")
        if self._handle is not None:
            self._rebuild_keeping_weights()
        if getattr(layer, "class_name", None) == "InputLayer":
            args = layer._args
            shape = args.get("batch_shape") or (args.get("batch_size"),) + tuple(args.get("shape") or ())
            self._input_batch_shape = tuple(shape)
            self._input_name = layer.name
            return
        if not self._layers and layer._batch_input_shape is not None:
            self._input_batch_shape = layer._batch_input_shape
        self._layers.append(layer)
        layer._sequential = self   # the model whose Input its `layer.input` comes from
        if self._input_known():   # Keras builds it now, in the open name scope
            if "_name_scope_path" not in self.__dict__:
                self.__dict__["_built_where_made"] = True   # (not by a model's call)
            _scopes.note_build_scope(self)
            if isinstance(layer, _BuiltinLayer):   # (what its build draws, drawn now as in Keras)
                from .layers import _take_build_seeds
                _take_build_seeds(layer)

    def _refuse_while_fitting(self, what, layer=None):
        if getattr(self, "_fitting", False):
            if layer is not None:
                what = f"{what} ('{getattr(layer, 'name', layer)}')"
            raise _native.KerasError(f"Sequential '{self.name}': cannot {what} while the model is being fit "
                             "(from a callback?); change the model before or after fit")

    def pop(self):
        self._refuse_while_fitting("remove a layer")
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        if self._handle is not None:
            self._rebuild_keeping_weights()
        return self._layers.pop()

    def _adopt(self, layer, batch_shape, alone=False):
        """Holds `layer` alone, built for `batch_shape`. `alone`: adapted or called on arrays,
        where Keras builds a layer outside any model (its variables under no model's name
        scope, so their paths stay "normalization/mean" in any model after; a Sequential with
        a known input builds its layers when they are added, in its scope). An explicit
        `build()` may run inside a subclassed model's build, in its scope: not marked."""
        self._input_batch_shape = tuple(batch_shape)
        self._layers.append(layer)
        self._single_layer = True
        held = layer.__dict__.get("_sequential")
        if alone and (held is None or not held._input_known()):
            layer.__dict__["_built_alone"] = True
        self._ensure_handle()

    def _input_known(self):
        return self._input_batch_shape is not None

    def _model_config_for(self, x):
        if self._input_batch_shape is None:
            if x is None:
                raise ValueError("This model has not yet been built. Build the model first by "
                                 "calling `build()` or by calling the model on a batch of data.")
            self._input_batch_shape = (None,) + tuple(x.shape[1:])
            # Keras keeps the size of the first batch that builds it (fit's, at most its
            # batch_size): the library records it once it holds the model (_new_handle), whose
            # layers are built for any batch
            from ._model_api import _leading_dimension
            self._first_batch = _leading_dimension(x, self.__dict__.get("_first_batch_cap"))
        for index, layer in enumerate(self._layers):   # (built, call or fit: its input known now)
            model = layer.__dict__.get("_model") if isinstance(layer, _ModelLayer) else None
            if model is not None and model._unbuilt():
                self._build_held_model(model, index)
        return self._model_config()

    def _build_held_model(self, model, index):
        """Keras builds each layer of a Sequential whose input is known (as it is added, or
        when the Sequential is built or called), in the Sequential's name scope, for the output
        shape of the layers before it: a subclassed model never called is traced there, at any
        place in the stack (`outer/sub/s1/kernel`)."""
        if index == 0:
            shape = self._input_batch_shape
        else:
            before = self._layers[:index]
            shape = _built_output_shape(
                {"class_name": "Sequential", "config": {"name": "shape_probe", "layers": [
                    {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                     "config": {"batch_shape": list(self._input_batch_shape), "dtype": "float32",
                                "sparse": False, "name": "shape_probe_input"}}] +
                    [_entry_as_read(layer) for layer in before]}},
                before)
        with _scopes.name_scope(self.name, caller=self):
            _scopes.note_build_scope(model)
            _scopes.note_build_scope(model._as_layer())
            model._build_in_full(shape)

    def _model_config(self):
        entries = []
        if self._input_batch_shape is not None:
            entries.append({"module": "keras.layers", "class_name": "InputLayer",
                            "config": {"batch_shape": list(self._input_batch_shape),
                                       "dtype": "float32", "sparse": False,
                                       "name": self._input_name or "input_layer"},
                            "registered_name": None})
        override = getattr(self, "_entries_override", None)
        entries += override if override is not None else [_entry_as_read(layer) for layer in self._layers]
        config = {"name": self.name, "trainable": self.trainable, "layers": entries}
        if self._input_batch_shape is not None:
            config["build_input_shape"] = list(self._input_batch_shape)
        return {"class_name": "Sequential", "config": config}

    def _set_handle(self, handle, own_config=False):
        super()._set_handle(handle, own_config)
        if handle:
            for layer in self._layers:
                pending = getattr(layer, "_pending_weights", None)
                if pending:
                    layer.set_weights(pending)
                layer._pending_weights = None

    @property
    def input_shape(self):
        if self._handle is None and self._input_batch_shape is not None:
            return tuple(self._input_batch_shape)
        return super().input_shape

    @property
    def inputs(self):
        """Keras 3's `Sequential.inputs`: `[keras.Input]` once the input shape is known (the
        layers are then called on it once, as Keras builds its graph). `model.input` and
        `model.output` raise "never been called" in Keras 3 for a Sequential that was not
        itself called on a tensor, and here too."""
        return [self._symbolic_chain("inputs")[0]]

    @property
    def outputs(self):
        """Keras 3's `Sequential.outputs`: `[the last layer's output]`, with its shape."""
        return [self._symbolic_chain("outputs")[1]]

    def _symbolic_chain(self, what):
        if self._functional is not None:
            inputs, outputs = self._functional
            return inputs, outputs
        batch_shape, input_name = self._input_batch_shape, self._input_name
        if batch_shape is None and self._handle is not None:   # a loaded model: its InputLayer's
            entry = next((info["config"] for info in self._layers_info()
                          if info["class_name"] == "InputLayer"), None)
            if entry is not None and entry.get("batch_shape") is not None:
                batch_shape, input_name = tuple(entry["batch_shape"]), entry.get("name")
        if batch_shape is None or not self._layers:
            raise AttributeError(f"Sequential model '{self.name}' has no defined {what} yet.")
        if batch_shape[0] is None and self.__dict__.get("_first_batch") and self._handle is not None:
            batch_shape = (self._first_batch,) + tuple(batch_shape[1:])   # (as the library recorded it)
        key = (tuple(batch_shape), tuple(id(layer) for layer in self._layers))
        cached = getattr(self, "_symbolic_io", None)
        if cached is None or cached[0] != key:
            from .layers import Input
            x = getattr(self, "_input_tensor", None)
            if x is None or tuple(x._shape) != tuple(batch_shape):
                x = Input(batch_shape=tuple(batch_shape), name=input_name)
            y = x
            for layer in self._layers:
                y = layer(y)
            cached = self._symbolic_io = (key, (x, y))
        return cached[1]


_libc = ctypes.CDLL(None)


def _flush_library_output():
    """The library prints with C stdio, which buffers when stdout is a file or a pipe: flush
    it so that its progress bar and Python's prints come out in order."""
    _libc.fflush(None)
    sys.stdout.flush()


def _shuffle_option(shuffle):
    """fit's `shuffle` as the library takes it: "batch" (Keras's: the rows shuffled within each
    batch), else true or false."""
    return "batch" if isinstance(shuffle, str) and shuffle == "batch" else bool(shuffle)


@contextlib.contextmanager
def _numpy_random_shared(shuffle):
    """A shuffled fit's orders drawn from numpy's global generator, as Keras's array adapter
    draws them (`np.random.permutation`): its state handed to the library's copy before the fit
    and the copy's taken back after, so that np.random goes on as after Keras's fit. The state
    (MT19937's 624 key words and position) is read and written where numpy keeps it (its
    `ctypes.state_address`): np.random.get_state and set_state cost 90 us a fit, a short fit's
    one percent."""
    generator = np.random.mtrand._rand._bit_generator \
        if shuffle and _lib.has("keras_set_numpy_random_state") else None
    if type(generator) is not np.random.MT19937:
        yield
        return
    address = generator.ctypes.state_address   # numpy's struct: uint32_t key[624]; int pos;
    key = (ctypes.c_uint32 * 624).from_address(address)
    position = c_int32.from_address(address + ctypes.sizeof(key))
    check(_lib.keras_set_numpy_random_state(key, position.value))
    try:
        yield
    finally:
        _lib.keras_get_numpy_random_state(key, byref(position))


def _buffer(arr):
    """(data, ndim, shape) of a float32 C-contiguous array: the ABI reads it in place."""
    return arr.ctypes.data, arr.ndim, (c_int64 * max(arr.ndim, 1))(*arr.shape)


def _last_history(handle, epochs):
    """The History of the model's last fit, {"loss": [...], ...} in Keras's order, read as
    numbers (keras_model_history): writing and parsing them as JSON text cost a short fit of
    many epochs more than the rest of its Python side. A per-class metric: a list per epoch."""
    columns, values = _native.take_layout_and_values(_lib.keras_model_history, handle, np.float64,
                                                     min(max(epochs, 1), 4096) * 8)
    history, at = {}, 0
    for key, n, width in columns:
        block = values[at:at + n * width]
        history[key] = block.tolist() if width == 1 else block.reshape(n, width).tolist()
        at += n * width
    return history


def _weight_trainable(handle, index):
    if not _lib.has("keras_model_weight_trainable"):
        return True
    flag = c_int32()
    check(_lib.keras_model_weight_trainable(handle, index, byref(flag)))
    return bool(flag.value)


def _weight_info(handle, index):
    name = ctypes.c_char_p()
    shape = (c_int64 * _MAX_RANK)()
    rank = c_int32()
    check(_lib.keras_model_weight_info(handle, index, byref(name), shape, _MAX_RANK, byref(rank)))
    raw = ctypes.cast(name, ctypes.c_void_p)
    try:
        path = name.value.decode("utf-8") if name.value else f"weight_{index}"
    finally:
        if raw.value:
            _lib.keras_string_free(raw)
    return path, tuple(shape[i] for i in range(rank.value))


# evaluate/predict on more rows than this can be stopped with Ctrl-C while they run, and fits
# of more than this much work (samples x epochs x parameters: ~0.1 s and up).
_LONG_CALL_ROWS = 1 << 16
_LONG_FIT_WORK = 10 ** 8
_options_cache: dict[tuple, bytes] = {}


def _options_json(**options):
    """The options JSON of a call (cached: predict_on_batch in a loop sends the same ones)."""
    key = tuple(sorted(options.items()))
    text = _options_cache.get(key)
    if text is None:
        text = dumps({k: v for k, v in options.items() if v is not None})
        if len(_options_cache) < 256:
            _options_cache[key] = text
    return text


def _per_class_columns(history):
    """A per-class metric's epochs become arrays; no Python call per epoch otherwise (the Python
    work of fit must not grow with the epochs)."""
    return {k: [np.asarray(v, np.float32) for v in values] if values and isinstance(values[0], list)
            else values for k, values in history.items()}


def _merge_log_updates(history, updates, initial_epoch):
    """Entries Python callbacks added to the epoch logs (LearningRateScheduler's learning_rate),
    into the History as Keras's History callback would have recorded them."""
    epochs = len(next(iter(history.values()), []))
    for epoch in sorted(updates):
        for key, value in updates[epoch].items():
            if isinstance(value, (int, float, np.floating, np.integer)):
                column = history.setdefault(key, [None] * epochs)
                position = epoch - initial_epoch
                if 0 <= position < len(column):
                    column[position] = float(value)


def _is_group(data):
    """Whether `data` holds several inputs' arrays (a dict, or a list or tuple of arrays)."""
    return isinstance(data, dict) or isinstance(data, (list, tuple)) and bool(data) and \
        all(v is None or hasattr(v, "shape") or isinstance(v, dict) for v in data)


def _sliced(data, rows):
    """`data[rows]` for an array, and for each array in a list, tuple or dict of them."""
    if data is None:
        return None
    if isinstance(data, dict):
        return {k: _sliced(v, rows) for k, v in data.items()}
    if _is_group(data):
        return type(data)(_sliced(v, rows) for v in data)
    return (data if hasattr(data, "shape") else np.asarray(data))[rows]


def _limited_validation(x, y, sample_weight, validation_data, validation_split, steps, batch):
    """(x, y, sample_weight, validation_data) with the validation samples cut to `steps`
    batches, as Keras's validation loop stops after `validation_steps` (or the
    max_steps_per_epoch cap): a validation split is made here, from the last samples before
    shuffling, as Keras splits."""
    if validation_data is None:
        first = x
        while _is_group(first):
            first = next(iter(first.values())) if isinstance(first, dict) else first[0]
        split_at = int(math.floor(len(first) * (1.0 - validation_split)))
        tail = slice(split_at, None)
        validation_data = (_sliced(x, tail), _sliced(y, tail)) if sample_weight is None else \
            (_sliced(x, tail), _sliced(y, tail), _sliced(sample_weight, tail))
        x, y, sample_weight = (_sliced(a, slice(split_at)) for a in (x, y, sample_weight))
    if steps:
        validation_data = tuple(_sliced(a, slice(steps * batch)) for a in validation_data)
    return x, y, sample_weight, validation_data


def _verbosity(verbose, auto):
    if verbose == "auto":
        return auto
    if isinstance(verbose, bool):
        return int(verbose)
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def _graph_inputs(t):
    """The keras.Input tensors a symbolic tensor derives from, in the order first reached."""
    found, seen = [], set()

    def visit(tensor):
        layer, node, _ = tensor._keras_history
        if id(layer) in seen:
            return
        seen.add(id(layer))
        if getattr(layer, "class_name", None) == "InputLayer":
            found.append(layer._input_tensor)
            return
        call_inputs = layer._inbound[node] if node < len(layer._inbound) else []
        for u in (call_inputs if isinstance(call_inputs, (list, tuple)) else [call_inputs]):
            if isinstance(u, KerasTensor):
                visit(u)
        for u in _flat_tensors(_call_kwargs_of(layer, node)):   # (`value_mask=m`, `mask=m`)
            visit(u)

    visit(t)
    return found


def _built_output_shape(config, layers):
    """The output shape of the model `config` describes, built by the library and freed, as the
    library infers it (None where unknown: the batch, where the output's first axis is the batch;
    Keras's `(3, None)` for `ops.transpose` of a `(None, 3)` tensor); raises the library's error
    when it cannot be built."""
    handle = ctypes.c_void_p()
    try:
        _plugins.register_scope_objects()
        with _python_layers.claiming(layers), _plugins.functions_by_module(dumps(config)):
            check(_lib.keras_model_from_json(dumps(config), byref(handle)))
        buf = (c_int64 * _MAX_RANK)()
        rank = c_int32()
        check(_lib.keras_model_output_shape(handle, -1, buf, _MAX_RANK, byref(rank)))
        return tuple(None if buf[k] < 0 else int(buf[k]) for k in range(rank.value))
    finally:
        if handle.value and _lib.has("keras_model_free"):
            _lib.keras_model_free(handle.value)


def _loop_params(verbose, rows, batch_size):
    """Keras's `params` of an evaluate or predict loop's callbacks over `rows` rows."""
    return {"verbose": verbose, "epochs": 1, "steps": int(math.ceil(rows / (batch_size or 32)))}


def _node_values(value):
    """A call's arguments as a node of a functional config: each KerasTensor as Keras writes it."""
    if isinstance(value, KerasTensor):
        return value._config()
    if isinstance(value, dict):
        return {k: _node_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_node_values(v) for v in value]
    if isinstance(value, np.generic):   # a numpy scalar, as Keras writes it
        return value.item()
    return value


def _symbolic_shape(t):
    """The shape of symbolic tensor `t` (None for unknown dimensions) as the library builds it;
    None when it cannot be built (a graph the library refuses shows its error when the real
    model is built). A layer called on tensors of known shapes is built alone for their shapes
    (each tensor's shape is kept once known, so a graph read tensor by tensor builds each layer
    once); other calls (several positional tensors, states) build the model from the graph's
    inputs to `t`."""
    try:
        layer, node, index = t._keras_history
        call = layer._inbound[node] if node < len(layer._inbound) else None
        if call is not None and not isinstance(call, (PositionalCall, StatesCall)):
            flat = list(call) if isinstance(call, (list, tuple)) else [call]
            if all(isinstance(u, KerasTensor) for u in flat):
                shapes = [u.shape for u in flat]
                if all(s is not None for s in shapes):
                    return _single_layer_shape(layer, flat, shapes, index, isinstance(call, (list, tuple)))
        inputs = _graph_inputs(t)
        if not inputs:
            return None
        probe = Model(inputs if len(inputs) > 1 else inputs[0], t, name="shape_probe")
        probe._shape_probe = True   # (not a model its layers are built in)
        return _built_output_shape(probe._model_config(), probe._layers)
    except (Exception, RecursionError):  # noqa: BLE001 — no shape is Keras's None, not an error
        return None


def _single_layer_shape(layer, tensors, shapes, index, as_list):
    """Output `index` of `layer` called on fresh inputs of `shapes` (the layer's own inbound
    nodes are left as they are)."""
    entries, refs = [], []
    for i, (u, shape) in enumerate(zip(tensors, shapes)):
        name = f"shape_probe_input_{i}"
        entries.append({"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                        "name": name, "inbound_nodes": [],
                        "config": {"batch_shape": list(shape),   # (a mask's booleans are 0/1 here)
                                   "dtype": "float32" if u.dtype == "bool" else u.dtype,
                                   "sparse": False, "name": name}})
        refs.append({"class_name": "__keras_tensor__",
                     "config": {"shape": list(shape), "dtype": u.dtype, "keras_history": [name, 0, 0]}})
    entry = layer._layer_entry()
    entry["name"] = layer.name
    entry["inbound_nodes"] = [{"args": [refs if as_list else refs[0]], "kwargs": {}}]
    operation = operation_arguments(layer, tensors, refs)
    if operation is not None:   # its constants among its tensors (`not_equal(x, 0)`)
        entry["inbound_nodes"][0]["args"] = operation
    entries.append(entry)
    config = {"class_name": "Functional", "config": {
        "name": "shape_probe", "trainable": True, "layers": entries,
        "input_layers": [[e["name"], 0, 0] for e in entries[:-1]] if as_list else [entries[0]["name"], 0, 0],
        "output_layers": [layer.name, 0, index]}}
    return _built_output_shape(config, [layer])


def _probe_output_shape(layer, input_shape, entry=None):
    """A built-in layer's output shape for `input_shape`, from a one-layer model of its config
    (`entry`, by default its own; the layer object itself is not built)."""
    config = {"class_name": "Sequential", "config": {"name": "shape_probe", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
         "config": {"batch_shape": list(input_shape), "dtype": "float32", "sparse": False,
                    "name": "shape_probe_input"}},
        entry or layer._layer_entry()]}}
    return _built_output_shape(config, [layer])


class _ModelLayer(Layer):
    """A model called on symbolic tensors (Keras: models are callable like layers,
    `decoder(encoder(img))`, `Sequential([base_model, Dense(10)])`): one layer of the calling
    model's graph, written into its config as the nested model (Keras's "Functional" or
    "Sequential" entry). The library's outer model holds the nested model's own library model
    (keras_model_from_json_sharing), so both hold the same variables, as in Keras: the encoder
    trained inside an autoencoder predicts with what it learned, and a base model shared by two
    models sees either one's training. Other attributes are the nested model's."""

    def __init__(self, model):
        self.__dict__["_model"] = model
        self._init_base(model.trainable, model.name, None, {})
        self.__dict__["_made"] = True
        self.built = True

    @property
    def trainable(self):
        return self._model.trainable

    @trainable.setter
    def trainable(self, value):
        # (not while made: the model's setter sets every layer's flag, and a layer frozen
        # before the model was nested stays frozen, as in Keras)
        if self.__dict__.get("_made"):
            self._model.trainable = value

    @property
    def name(self):
        return self._model.name

    @property
    def _name(self):
        return self._model.name

    @_name.setter
    def _name(self, value):
        pass   # the nested model's name is the layer's

    def _class_name(self):
        return "Sequential" if isinstance(self._model, Sequential) else "Functional"

    def __call__(self, inputs, *args, **kwargs):
        if self._model._subclassed() and self._model._functional is None:
            # A subclassed model called inside another's call (or a functional model) becomes
            # its graph of layers for these inputs' shapes, as its first call on data makes it.
            flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
            shapes = [tuple(t.shape) for t in flat]
            self._model._trace(shapes if isinstance(inputs, (list, tuple)) else shapes[0])
        node = len(self._inbound)
        self._inbound.append(inputs)
        _note_call_training(self, node, kwargs)
        _note_model_call_mask(self, node, inputs, kwargs.get("mask"))
        graph = self._model._symbolic_graph()
        count = len(graph[1]) if graph is not None and isinstance(graph[1], (list, tuple)) else None
        outs = [KerasTensor(None, self, node, i) for i in range(count or 1)]
        self.__dict__.setdefault("_outbound", []).extend(outs)
        return outs if count is not None else outs[0]

    @property
    def _pending_weights(self):
        """None: the nested model's weights are shared, never copied in."""
        return None

    @_pending_weights.setter
    def _pending_weights(self, value):
        pass

    def _layer_entry(self):
        model = self._model
        # (a nested model without a library model yet is built with the model holding it)
        config = model._model_config()["config"] if model._is_subclass_model() or \
            model._handle is None else model._unchecked_config()
        entry = {"module": "keras", "class_name": self._class_name(), "config": config,
                 "registered_name": None}
        # The flags set in Python (the model's and its layers'): an outer model made with the
        # nested one sets them on it, as Keras's compile of the outer model reads them.
        _take_trainable_flags(entry, model)
        return entry

    def __getattr__(self, item):
        if item.startswith("_"):
            raise AttributeError(item)
        return getattr(self._model, item)


def _as_keras_layer(layer):
    """What Keras lists in `model.layers` for one of this model's layers: a nested model is
    the model itself."""
    return layer._model if isinstance(layer, _ModelLayer) else layer


def _nested_layer_names(entry):
    """The names of the layers inside a nested model's config entry (all depths)."""
    if entry.get("class_name") not in ("Functional", "Sequential", "Model"):
        return []
    names = []
    for inner in (entry.get("config") or {}).get("layers", []):
        c = inner.get("config") or {}
        names.append(inner.get("name") or c.get("name"))
        names += _nested_layer_names(inner)
    return names


def _own_weights_first(model, weights):
    """A nested subclassed model's weights as Keras lists them in the outer model: its own
    (add_weight: keras.io's decision trees' `pi`) first, under the model's path
    (`neural_decision_tree/variable`), then its layers'."""
    holder = model.__dict__.get("_own_weights_layer") if isinstance(model, Model) else None
    if holder is None or not weights:
        return weights
    prefix = f"{holder.name}/"
    own = [{**w, "name": f"{model.name}/{w['name'][len(prefix):]}"}
           for w in weights if w["name"].startswith(prefix)]
    return own + [w for w in weights if not w["name"].startswith(prefix)]


def _nested_models_with_handles(model):
    """The models nested in `model` (its layers that are models), and those a layer written in
    Python may call in its traced call (the models its attributes hold, or its model's for a
    traced compute_loss: keras.io's Distiller calls `self.teacher(x)`), that hold a library
    model, once each: the library's `model` is made holding these very models (the library
    reuses them by name where the config, or a traced call, has them). The traced layer lists a
    reused model's weights (keras_model_weight_layers), under the model's own paths, as Keras's
    `Wrap()` holding `self.inner = Sequential([Input(...), ...])` lists `sequential/dense/kernel`.
    A subclassed model a Python layer holds is left out: Keras builds it in the layer's call,
    under the layer's path, as the traced copy is."""
    from .layers import _tracked_sublayers
    found = {}
    for layer in model._layers:
        if isinstance(layer, _ModelLayer) and layer._model._handle is not None:
            found.setdefault(id(layer._model), layer._model)
        elif not isinstance(layer, (_BuiltinLayer, _ModelLayer)):
            holder = layer.__dict__.get("_sublayers_of")
            for source in (layer,) if holder is None else (layer, holder):
                for _, _, _, item in _tracked_sublayers(source):
                    if not isinstance(item, Model) or item is model:
                        continue
                    if source is layer and item._is_subclass_model():
                        # Keras builds it in the layer's call, its weights under the layer's
                        # path (`wrap/inner/dense/kernel`): traced as the layer's copy.
                        continue
                    item._build_for_config()   # (built as Keras's is, when its input is known)
                    if item._handle is not None:
                        found.setdefault(id(item), item)
    return list(found.values())


def _models_called_by_python_layers(model):
    """The models with a library model that the layers written in Python of `model` hold in
    their attributes: those their traced calls call are the outer model's nested models
    themselves (keras_layer_builder_model_call), whose flags they take on their own handles."""
    found = {}
    for layer in model._layers:
        if isinstance(layer, (_BuiltinLayer, _ModelLayer)):
            continue
        for item in _models_held_by(layer):
            if item is not model:
                found.setdefault(id(item), item)
    return list(found.values())


def _models_held_by(owner):
    """The models with a library model that `owner`'s attributes hold (Keras's tracked layers)."""
    from .layers import _tracked_sublayers
    return [item for _, _, _, item in _tracked_sublayers(owner)
            if isinstance(item, Model) and item is not owner and item._handle is not None]


def _shared_layers(model):
    """[(layer, owner, alone)]: the built-in layers of `model` whose variables another model's
    library model holds: the new library model holds those layers themselves, as Keras's models
    share their layers' variables. The owner is a model of the user's (a loaded model's layers
    in `keras.Model(base.input, base.get_layer("x").output)`, `Sequential(base.layers[:-1])`)
    or, `alone`, a private model of the layer's first call, adapt or build (Keras builds such a
    layer outside any model; `d = Dense(3); y = d(keras.Input((4,)))`): its call is then none of
    the layer's nodes in the new model, and its name leaves the weights' paths. A layer written
    in Python, an operation node and an Input are made anew (their state, if any, is copied)."""
    if not _lib.has("keras_model_from_json_sharing_layers"):
        return []
    shared = []
    for layer in model._layers:
        owner = layer.__dict__.get("_owner")
        if owner is None or owner is model or getattr(owner, "_handle", None) is None or \
                not isinstance(layer, _BuiltinLayer) or isinstance(layer, _ModelLayer) or \
                _subclasses_builtin(layer) or getattr(layer, "_op_node", False) or \
                layer.class_name == "InputLayer" or layer.__dict__.get("_pending_weights"):
            continue
        alone = bool(getattr(owner, "_single_layer", False) or getattr(owner, "_private_call", False))
        shared.append((layer, owner, alone))
    return shared


def _refuse_unserializable_layers(model):
    """Keras's NotImplementedError where a layer of `model` (or of a model nested in it) cannot
    give its config: its class has no get_config and was given an object (Layer.
    _refuse_unserializable_init); the library's model, made without that value, never asks."""
    for layer in model.__dict__.get("_layers") or []:
        if isinstance(layer, _ModelLayer):
            _refuse_unserializable_layers(layer._model)
        else:
            layer._refuse_unserializable_init()


def _nested_model_handle(model, name):
    """A new library handle on the model that is layer `name` of `model`'s library model."""
    out = ctypes.c_void_p()
    check(_lib.keras_model_nested_model(model._handle, name.encode(), byref(out)))
    return out.value


def _forget_layers_info(model):
    """Drops what `model` and the models nested in it read from the library about their layers
    (weights' trainable flags), to be read again when next needed."""
    model._layers_cache = None
    for layer in model.__dict__.get("_layers") or []:
        if isinstance(layer, _ModelLayer):
            _forget_layers_info(layer._model)


def _is_input_tensor(t):
    return getattr(t._keras_history[0], "class_name", None) == "InputLayer"


def _cut_at_inputs(inputs, outputs):
    """Keras's `clone_graph_nodes`: a model whose inputs include tensors that layers made (the
    structured-data tutorial's `Model(inputs=feature_space.get_encoded_features(), ...)`)
    starts from a new keras.Input of each such tensor's shape and dtype, and the layers between
    them and the outputs are called again from there (the same layers, so the same weights as
    the graph they came from). Inputs that are keras.Input tensors are kept."""
    flat_inputs = _flat_tensors(inputs)
    if all(_is_input_tensor(t) for t in flat_inputs):
        return inputs, outputs
    made, calls = {}, {}
    for t in flat_inputs:
        if not _is_input_tensor(t):
            made[id(t)] = Input(batch_shape=t.shape, dtype=t.dtype, name=f"{t.name}CLONE")

    def rebuild(value):
        if isinstance(value, (list, tuple)) and not isinstance(value, (PositionalCall, StatesCall)):
            return type(value)(rebuild(v) for v in value)
        if isinstance(value, dict):
            return {k: rebuild(v) for k, v in value.items()}
        if not isinstance(value, KerasTensor):
            return value
        if id(value) in made:
            return made[id(value)]
        layer, node, index = value._keras_history
        if layer is None or _is_input_tensor(value) or node >= len(layer._inbound):
            return value
        key = (id(layer), node)
        if key not in calls:
            call = layer._inbound[node]
            if isinstance(call, (PositionalCall, StatesCall)):
                if any(id(t) in made or not _is_input_tensor(t) for t in _flat_tensors(call)):
                    raise NotImplementedError(
                        f"Model(inputs=...): the layer '{layer.name}' between an input that a "
                        f"layer made and the outputs takes several positional tensors; start the "
                        f"model from keras.Input tensors instead")
                calls[key] = None
            else:
                new_call = rebuild(call)
                kwargs = rebuild(dict(_call_kwargs_of(layer, node)))
                unchanged = all(a is b for a, b in zip(_flat_tensors(new_call) + _flat_tensors(kwargs),
                                                        _flat_tensors(call) + _flat_tensors(
                                                            _call_kwargs_of(layer, node))))
                calls[key] = None if unchanged else layer(new_call, **kwargs)
        out = calls[key]
        if out is None:
            return value
        return (list(out) if isinstance(out, (list, tuple)) else [out])[index]

    return rebuild(inputs), rebuild(outputs)


def _graph_layers(inputs, outputs):
    """The layers of the graph from `inputs` to `outputs` in Keras's order (its `map_graph`,
    which `model.layers`, the summary and the weights list follow): by depth from the outputs,
    deepest (the inputs) first, and at equal depth in the order a depth-first walk from the
    outputs first meets them."""
    outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    for t in outs:
        if not isinstance(t, KerasTensor):
            raise TypeError(f"Model outputs must be symbolic tensors (from keras.Input and "
                            f"layer calls), got {type(t).__name__}")
    given = {id(t) for t in _flat_tensors(inputs)}
    finished, in_progress, order, first_seen = set(), set(), [], {}

    def parents(node):
        layer, index = node
        calls = layer._inbound
        if not calls or index >= len(calls):
            return []
        given = _call_kwargs_of(layer, index)   # tensors by keyword: `layer(x, mask=m)`
        return [t._keras_history for t in _flat_tensors(calls[index]) + _flat_tensors(given)]

    def walk(history):
        layer, index = history[0], history[1]
        node = (layer, index)
        key = (id(layer), index)
        if key in finished:
            return
        if key in in_progress:
            raise ValueError(f"The layer '{layer.name}' is part of a cycle.")
        first_seen.setdefault(id(layer), len(first_seen))
        in_progress.add(key)
        for parent in parents(node):
            if id(parent) in given_histories:
                parent_layer = parent[0]
                if parent_layer._inbound:   # a model input that is another layer's output
                    continue
            walk(parent)
        in_progress.discard(key)
        finished.add(key)
        order.append(node)

    given_histories = {id(t._keras_history) for t in _flat_tensors(inputs)} if given else set()
    for t in outs:
        walk(t._keras_history)
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(order):
        layer, index = node
        depth = max(node_depth.setdefault((id(layer), index), 0), layer_depth.get(id(layer), 0))
        layer_depth[id(layer)] = node_depth[(id(layer), index)] = depth
        layers[id(layer)] = layer
        for parent in parents(node):
            key = (id(parent[0]), parent[1])
            node_depth[key] = max(depth + 1, node_depth.get(key, 0))
    for t in _flat_tensors(inputs):   # an input no output depends on is still the model's
        layer = t._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)], layers[id(layer)] = 0, layer
            first_seen[id(layer)] = -1
    return sorted(layers.values(), key=lambda l: (-layer_depth[id(l)], first_seen[id(l)]))


def _flat_tensors(structure):
    """The symbolic tensors in a layer call's inputs (a tensor, or lists and tuples of them)."""
    if isinstance(structure, KerasTensor):
        return [structure]
    if isinstance(structure, dict):
        structure = list(structure.values())
    if isinstance(structure, (list, tuple)):
        return [t for s in structure for t in _flat_tensors(s)]
    return []


def _layer_from_info(info, owner):
    """A Python layer object for a layer the library made in `owner` (a loaded model)."""
    from . import _python_layers as plugins
    class_name = info["class_name"]
    config = dict(info.get("config", {}))
    if class_name in ("Functional", "Sequential", "Model"):   # a nested model: a model here too,
        # on the library model `owner` holds (the same variables)
        # (a wrapper's model is named in its config: TimeDistributed(Sequential([...])))
        name = info.get("name") or config.get("name")
        return _from_handle(_nested_model_handle(owner, name))._as_layer()
    # (a user's class by the name it is registered under, 'package>Name': two packages may
    # each have a class of the same name)
    made = plugins.instance_for_entry(config.get("name"), class_name, info["module"]) \
        if "module" in info else None
    if made is not None:
        return made
    custom = plugins.python_layer_class(class_name, info.get("registered_name"), info.get("module"),
                                        "module" in info)
    if custom is not None:
        return plugins.instance_named(config.get("name"), custom) or _custom_layer(custom, config)
    cls = _layer_class(class_name)
    if cls is None:
        cls = type(class_name, (_BuiltinLayer,), {"class_name": class_name})
    name = config.pop("name", None)
    trainable = config.pop("trainable", True)
    config.pop("dtype", None)
    layer = cls.__new__(cls)
    layer._init_base(trainable, name, None, {})
    layer._args = config
    layer.built = True
    for key in ("layer", "backward_layer"):   # a wrapper's layers: layers too, whose weights
        entry = config.get(key)                # are the wrapper's under their names
        if isinstance(entry, dict) and "class_name" in entry:
            inner = config[key] = _layer_from_info(
                {"class_name": entry["class_name"], "config": entry.get("config") or {}}, owner)
            inner._parent = layer
    return layer


def _custom_layer(cls, config):
    """A Python layer from the config the library holds for it: its `from_config`. The library
    adds the layer's name (and trainable flag) to a config its class's `get_config` may leave
    out (`return {"units": self.units}`, the functional API guide's CustomDense); where the
    class takes no such arguments, they are set on the layer made without them."""
    import inspect
    from .layers import Layer
    base = {k: config[k] for k in ("name", "trainable", "dtype") if k in config}
    if base and getattr(cls.from_config, "__func__", None) is Layer.from_config.__func__:
        parameters = inspect.signature(cls.__init__).parameters.values()
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            accepted = {p.name for p in parameters}
            layer = cls(**{k: v for k, v in config.items() if k not in base or k in accepted})
            if "name" in base and "name" not in accepted:
                layer._name = base["name"]
            if "trainable" in base and "trainable" not in accepted:
                layer.trainable = base["trainable"]
            return layer
    return cls.from_config(config)


def _take_trainable_flags(config, model):
    """Writes `model`'s and its layers' current `trainable` flags into the model's config
    (a nested model's entry from its own layers); returns whether any flag changed."""
    model_flag, layer_flags = model._trainable_changes(config)
    changed = model_flag is not None or bool(layer_flags)
    config["config"]["trainable"] = bool(model.trainable)
    by_name = {layer.name: layer for layer in model._layers}
    for entry in config["config"].get("layers", []):
        c = entry.get("config") or {}
        name = entry.get("name") or c.get("name")
        if name in layer_flags:
            c["trainable"] = layer_flags[name]
        if isinstance(by_name.get(name), _ModelLayer) and "layers" in c:
            changed = _take_trainable_flags(entry, by_name[name]._model) or changed
    return changed


def _weights_file_bytes(model):
    """model.save_weights's .weights.h5 (weights and optimizer variables) as bytes."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.weights.h5")
        model.save_weights(path)
        with open(path, "rb") as f:
            return f.read()


def _load_weights_file_bytes(model, data):
    """model.load_weights of .weights.h5 bytes (_weights_file_bytes)."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.weights.h5")
        with open(path, "wb") as f:
            f.write(data)
        model.load_weights(path)


def _summary_text(handle, options):
    """The library's summary table of the model `handle` with summary()'s `options`."""
    if options and not _lib.has("keras_model_summary_ex"):
        raise _native.KerasError(f"summary({', '.join(sorted(options))}=...): this libkeras.so "
                                 "has no keras_model_summary_ex; rebuild the library")
    if options:
        return _native.take_string(_lib.keras_model_summary_ex, handle, dumps(options))
    return _native.take_string(_lib.keras_model_summary, handle)


def _add_nested_options(options, model, expand):
    """`options` of summary() with those of the models `model` holds (_NestedSummary)."""
    for key, value in _NestedSummary(model, expand).options().items():
        options[key] = options.get(key, []) + value if isinstance(value, list) else value


class _NestedSummary:
    """What Keras's summary prints for the models `model` holds (at all depths with
    `expand_nested`) where the library holds them otherwise, as the summary options the
    library takes (NestedSummary in Swift), each keyed by the row's path (layer names joined
    by "/"): a subclassed model's class (the library holds its traced graph, "Functional");
    "?" for a subclassed model called inside another's call (Keras: no node, no build shapes);
    the batch the layers under a nested model were built with (a subclassed model called on
    data builds the layers its call reaches with that batch, a Sequential without an Input
    with its caller's); the graph's shapes for a model that has its own Input."""

    def __init__(self, model, expand):
        self.types, self.unknown, self.batches, self.graph = {}, [], {}, []
        self.expand = expand
        batch = model.__dict__.get("_built_batch") if model._is_subclass_model() else None
        self._walk(model, "", batch)

    def _walk(self, container, prefix, batch):
        """`batch`: the batch of the tensors `container`'s layers were called on (None: a
        graph's)."""
        subclass = container._is_subclass_model()
        for layer in container.layers:
            if not isinstance(layer, Model):
                continue
            path = prefix + layer.name
            if type(layer) not in (Model, Sequential):
                self.types[path] = type(layer).__name__
            if subclass and layer._is_subclass_model():
                self.unknown.append(path)
            if isinstance(layer, Sequential):
                inner = batch if layer.__dict__.get("_input_from_call") else None
            else:
                inner = batch if layer._is_subclass_model() else None
            if subclass and batch is not None and inner is None:
                self.graph.append(path)
            if inner is not None:
                self.batches[path] = int(inner)
            if self.expand:
                self._walk(layer, path + "/", inner)

    def options(self):
        found = {"layer_types": self.types, "unknown_shape_layers": self.unknown,
                 "nested_batch_sizes": self.batches, "graph_shape_layers": self.graph}
        return {key: value for key, value in found.items() if value}


def _unbuilt_entries(model, prefix, types):
    """The entries of an unbuilt Sequential standing for the layers a subclassed model given
    Keras's default build() holds (for its summary: each "?" and "0 (unbuilt)"), a subclassed
    model among them as a Sequential of its own layers, named in `types` by its class."""
    entries = []
    for _, _, _, item in _tracked_sublayers(model):
        if isinstance(item, Sequential):
            entries.append(item._model_config())
        elif isinstance(item, Model):
            types[prefix + item.name] = type(item).__name__
            entries.append({"class_name": "Sequential", "config": {
                "name": item.name, "layers": _unbuilt_entries(item, prefix + item.name + "/", types)}})
        else:
            entries.append(item._layer_entry())
    return entries


def _with_unbuilt_model(config, use):
    """`use(handle)` of a library model made (unbuilt, without an input) from `config`, freed
    afterwards."""
    out = ctypes.c_void_p()
    with _plugins.functions_by_module(dumps(config)):
        check(_lib.keras_model_from_json(dumps(config), byref(out)))
    try:
        return use(out.value)
    finally:
        _lib.keras_model_free(out.value)


def _with_parts_model(model, parts, use):
    """`use(handle)` of a library model named as `model` whose layers are the built models
    `parts` (each called on Inputs of its own, side by side; the parts' own library models,
    keras_model_from_json_sharing), freed afterwards: the summary of a Model subclass without
    `call`, which has no graph of its own."""
    entries, inputs, outputs = [], [], []
    for part in parts:
        part._build_for_config()
        entry = _ModelLayer(part)._layer_entry()
        config = entry["config"]
        refs = []
        for k, spec in enumerate(_input_layer_configs(config)):
            name = f"{part.name}_input_{k}"
            entries.append({"module": "keras.layers", "class_name": "InputLayer", "name": name,
                            "config": {**spec, "name": name}, "registered_name": None,
                            "inbound_nodes": []})
            inputs.append([name, 0, 0])
            refs.append({"class_name": "__keras_tensor__", "config": {
                "shape": spec["batch_shape"], "dtype": spec.get("dtype", "float32"),
                "keras_history": [name, 0, 0]}})
        entries.append({**entry, "name": part.name,
                        "inbound_nodes": [{"args": [refs if len(refs) > 1 else refs[0]], "kwargs": {}}]})
        outputs += [[part.name, 0, i] for i in range(_output_count(config))]
    text = dumps({"class_name": "Functional", "config": {
        "name": model.name, "trainable": model.trainable, "layers": entries,
        "input_layers": inputs, "output_layers": outputs}})
    handles = (ctypes.c_void_p * len(parts))(*[part._handle for part in parts])
    out = ctypes.c_void_p()
    with _plugins.functions_by_module(text):
        check(_lib.keras_model_from_json_sharing(text, handles, len(parts), byref(out)))
    try:
        return use(out.value)
    finally:
        _lib.keras_model_free(out.value)


def _built_part(part):
    """True for a part of a Model subclass without `call` that is a model with its graph (Keras
    prints its output shape), False for a part not built yet, None for a built layer that is not
    a model (Keras prints its build shapes, which the library does not keep)."""
    if not isinstance(part, Model):
        return None if part.built else False
    if part._handle is not None:
        return True
    if isinstance(part, Sequential):
        return part._input_known()
    return part._functional is not None and not part._is_subclass_model()


def _input_layer_configs(config):
    """The InputLayer configs of a model's library config in its inputs' order (a Sequential's:
    its first entry)."""
    found = {e["config"]["name"]: e["config"] for e in config["layers"] if e["class_name"] == "InputLayer"}
    refs = config.get("input_layers")
    if refs is None:
        return list(found.values())[:1]
    return [found[r[0]] for r in ([refs] if isinstance(refs[0], str) else refs)]


def _output_count(config):
    """How many outputs a model of this library config has (a Sequential: one)."""
    refs = config.get("output_layers")
    return 1 if refs is None or isinstance(refs[0], str) else len(refs)


def _unbuilt_layer_config(entry):
    """A built-in layer's full Keras config (every argument, defaults included) from its entry:
    the library makes an unbuilt model of it alone and writes it back."""
    config = {"class_name": "Sequential", "config": {"name": "config_probe", "layers": [entry]}}
    written = json.loads(_with_unbuilt_model(
        config, lambda handle: _native.take_string(_lib.keras_model_to_json, handle)))
    return next(e["config"] for e in written["config"]["layers"] if e["class_name"] != "InputLayer")


def _as_written(outs, descriptors):
    """Each output buffer in the shape the library wrote: a layer may give fewer values than
    its declared output shape (Keras's `Dense(6, activation="glu")` says `(None, 6)` and gives 3
    columns), and the buffer sized by the declared shape then holds the real output first."""
    return [o if tuple(o.shape) == tuple(d.shape[k] for k in range(d.ndim)) else _written(o.reshape(-1), d)
            for o, d in zip(outs, descriptors)]


def _in_output_dtypes(functional, outs):
    """A functional model's outputs (the library's float32 values) in the integer or bool dtype
    its output tensors report (`ops.argmax`'s int32, `ops.isnan`'s bool), as Keras returns them."""
    tensors = [] if functional is None else functional[1] if isinstance(functional[1], (list, tuple)) \
        else [functional[1]]
    if len(tensors) != len(outs):
        return outs
    return [o.astype(t.dtype) if t.dtype in ("int32", "bool") and
            isinstance(o, np.ndarray) else o for o, t in zip(outs, tensors)]


def _output_descriptors(arrays):
    """keras_output descriptors of float32 buffers (the library writes into them)."""
    descriptors = (_lib.keras_output * len(arrays))()
    for d, a in zip(descriptors, arrays):
        d.data = a.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        d.capacity = a.size
    return descriptors


def _check_symbolic_call_masks(model, inputs, mask):
    """`model(inputs, mask=mask)` on symbolic tensors: one mask per input (None: none), each a
    symbolic tensor of the input's shape without its features axis (or the input's shape), as
    the call on arrays checks."""
    masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
    if len(masks) != len(inputs):
        raise ValueError(f"Model '{model.name}': {len(masks)} mask(s) given for {len(inputs)} input(s)")
    for i, (t, m) in enumerate(zip(inputs, masks)):
        if m is None:
            continue
        if not isinstance(m, KerasTensor) or m._keras_history[0] is None:
            raise TypeError(f"Model '{model.name}' called on symbolic tensors: the mask of input {i} "
                            f"must be a symbolic tensor (a keras.Input or a layer's output), got "
                            f"{type(m).__name__}")
        fits = lambda want: len(m.shape) == len(want) and all(  # noqa: E731
            a is None or b is None or a == b for a, b in zip(m.shape, want))
        if not (fits(tuple(t.shape)[:-1]) or fits(tuple(t.shape))):
            raise ValueError(f"Model '{model.name}': the mask of input {i} has shape {tuple(m.shape)}, "
                             f"which does not fit the input's shape {tuple(t.shape)} (a mask is the "
                             f"input's shape without its last axis)")


def _written(buffer, descriptor):
    """What the library wrote into `buffer`, in the shape its descriptor says."""
    shape = tuple(descriptor.shape[k] for k in range(descriptor.ndim))
    return buffer[:int(np.prod(shape, dtype=np.int64))].reshape(shape)


def _graph_nodes(outputs, layers):
    """{(id(layer), node index): its index in this graph} for the calls that make the graph
    ending at `outputs`, when a layer of it was also called outside it (keras.io's seq2seq
    sampling models call the trained decoder LSTM anew): Keras writes only the graph's own
    calls, renumbered from 0. None when every call of every layer is the graph's."""
    reached, stack = set(), _keras_tensors(list(outputs))
    while stack:
        layer, node, _ = stack.pop()._keras_history
        if (id(layer), node) in reached:
            continue
        reached.add((id(layer), node))
        if node < len(layer._inbound):   # (an Input's tensor has no call)
            stack.extend(_keras_tensors(layer._inbound[node]))
        # (a call's tensors by keyword, `mask=`: the ops that made them are calls of the graph too)
        stack.extend(_keras_tensors(_call_kwargs_of(layer, node)))
    if all((id(layer), node) in reached for layer in layers for node in range(len(layer._inbound))):
        return None
    by_layer = {}
    for layer_id, node in reached:
        by_layer.setdefault(layer_id, []).append(node)
    return {(layer_id, node): i for layer_id, nodes in by_layer.items()
            for i, node in enumerate(sorted(nodes))}


def _keras_tensors(value):
    if isinstance(value, KerasTensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _keras_tensors(item)]
    arguments = getattr(value, "arguments", None)
    return _keras_tensors(list(arguments)) if arguments is not None else []


def _renumber_nodes(value, index):
    """The config's tensor references ({"keras_history": [layer, node, tensor]}) with the
    graph's node numbers."""
    if isinstance(value, dict):
        history = value.get("keras_history")
        if isinstance(history, list) and len(history) == 3 and (history[0], history[1]) in index:
            value["keras_history"] = [history[0], index[(history[0], history[1])], history[2]]
        for item in value.values():
            _renumber_nodes(item, index)
    elif isinstance(value, list):
        for item in value:
            _renumber_nodes(item, index)


def _keras_class_entry(model):
    """Keras's entry of a subclassed model's class (its registered name, or its own for a class
    given in custom_objects, and its get_config), as a `.keras` archive of a model nesting it
    names it; None where its config has no JSON form (Keras could not save it either: the
    archive then holds its functional form)."""
    cls = type(model)
    try:
        entry = {"module": _model_vars.class_module(cls), "class_name": cls.__name__,
                 "config": serialize(model.get_config()),
                 "registered_name": _model_vars.registered_subclass(model) or cls.__name__}
        dumps(entry)
    except (NotImplementedError, TypeError, ValueError):
        return None
    return entry


def _from_handle(handle):
    config = json.loads(_native.take_string(_lib.keras_model_to_json, handle))
    if config.get("class_name") == "Sequential":
        model = Sequential.__new__(Sequential)
        Model.__init__(model, name=config.get("config", {}).get("name"))
        model._input_batch_shape = None
        model._input_name = None
    else:
        model = Model.__new__(Model)
        model._name = config.get("config", {}).get("name") or unique_name("functional")
        model.trainable = True
        model._handle = None
        model._handle_ref = None
        model._compile_config = None
        model._compile_extras = {}
        model._layers_cache = None
        model._stop_training = False
        model._layers = []
        model._functional = None
    model.trainable = config.get("config", {}).get("trainable", True)
    named = config.get("config", {}).get("output_layers")
    if isinstance(named, dict) and named:   # Keras's named outputs (a dict)
        model._output_keys, model._output_order = sorted(named), list(named)
    model._set_handle(handle)
    return model


def model_from_json(json_string, custom_objects=None):
    """A model from the text of `model.to_json()`. Keras: `keras.models.model_from_json`."""
    from .utils import CustomObjectScope
    with CustomObjectScope(custom_objects or {}):
        _free_collected()
        _plugins.register_scope_objects()
        out = ctypes.c_void_p()
        text = json_string if isinstance(json_string, str) else json.dumps(json_string)
        check(_lib.keras_model_from_json(text.encode("utf-8"), byref(out)))
        return _from_handle(out.value)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model from a `.keras` or `.h5` file. Keras: `keras.models.load_model`."""
    from .utils import CustomObjectScope
    _traced_regularizers.register_functions()   # (global, not in the scope below)
    saved = _saved_config(os.fsdecode(_native.path_bytes(filepath)))
    with CustomObjectScope(custom_objects or {}):
        _free_collected()
        _plugins.register_scope_objects()
        # a function regularizer: found as Keras finds it, or Keras's TypeError
        _traced_regularizers.resolve_saved_functions(saved)
        subclassed = _model_vars.load_subclass(os.fsdecode(_native.path_bytes(filepath)), compile)
        if subclassed is not None:
            return subclassed
        from . import _subclass_nesting
        nesting = _subclass_nesting.load(os.fsdecode(_native.path_bytes(filepath)), compile)
        if nesting is not None:   # Keras's file nesting a subclassed model: its class rebuilds it
            return nesting
        from ._feature_space import load_saved
        feature_space = load_saved(saved)
        if feature_space is not None:   # FeatureSpace.save's file
            return feature_space
        out = ctypes.c_void_p()
        check(_lib.keras_model_load(_native.path_bytes(filepath), int(bool(compile)), byref(out)))
        model = _from_handle(out.value)
        model.__dict__["_policy_read"] = True
        from ._default_seeds import take_load_seeds
        take_load_seeds(model, saved)
        _take_custom_regularizers(model)
        _assets.load(model, _native.path_bytes(filepath))
        _warn_policies_not_kept(os.fsdecode(_native.path_bytes(filepath)), saved)
        if compile:
            _take_saved_compile(model, os.fsdecode(_native.path_bytes(filepath)), saved)
        _compile_nested(model, saved)
        return model


def _compile_nested(model, entry):
    """Keras compiles each nested model whose entry in the file has a compile config as it
    loads it (deserialize_keras_object's `compile_from_config`, load_model's `compile=False`
    or not): `outer.layers[0].optimizer`, `.compiled`, its own fit."""
    body = entry.get("config") if isinstance(entry, dict) else None
    entries = body.get("layers") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return
    by_name = {e["config"].get("name"): e for e in entries
               if isinstance(e, dict) and isinstance(e.get("config"), dict)}
    for layer in model.__dict__.get("_layers") or []:
        nested = by_name.get(layer.name) if isinstance(layer, _ModelLayer) else None
        if nested is None:
            continue
        if isinstance(nested.get("compile_config"), dict) and nested["compile_config"]:
            layer._model.compile_from_config(nested["compile_config"])
        _compile_nested(layer._model, nested)


def _take_custom_regularizers(model):
    """The layers of a loaded model keep each regularizer of a class written in Python (its
    config in the file names it) as the object made while load_model's custom_objects are in
    scope: Keras's `layer.kernel_regularizer` is that object, found later without them. A class
    neither registered nor in custom_objects is Keras's TypeError (the library may know it from
    a model saved in this process)."""
    from . import regularizers, saving
    for layer in model.__dict__.get("_layers") or []:
        if isinstance(layer, _ModelLayer):
            _take_custom_regularizers(layer._model)
            continue
        args = layer.__dict__.get("_args") or {}
        for key, value in list(args.items()):
            if key.endswith("regularizer") and isinstance(value, dict) and value.get("registered_name"):
                try:
                    args[key] = regularizers.get(value)
                except (ValueError, TypeError) as e:   # (TypeError: a class not located)
                    name = value.get("class_name")
                    raise saving.not_deserialized(
                        type(model), layer.get_config(),
                        f"Cannot deserialize object of type `{name}`. If `{name}` is a custom "
                        f"class, please register it using the "
                        f"`@keras.saving.register_keras_serializable()` decorator.") from e


def _legacy_compile_config(path):
    """The compile config Keras's legacy `.h5` loader gives the loaded model: the file's
    `training_config` made into compile's arguments as `compile_args_from_training_config` makes
    them (each loss and metric deserialized, but the metric names accuracy, acc, crossentropy and
    ce), then serialized as `compile` serializes them. None for a file without one."""
    from . import losses, metrics as metrics_module
    training = json.loads(_native.take_string(_lib.keras_legacy_h5_training_config,
                                              _native.path_bytes(path)))
    if not isinstance(training, dict) or not isinstance(training.get("optimizer_config"), dict):
        return None

    def nested(deserialize_one, config):   # Keras's _deserialize_nested_config
        if config is None:
            return None
        if isinstance(config, str) or isinstance(config, dict) and "class_name" in config:
            return deserialize_one(config)
        if isinstance(config, dict):
            return {k: nested(deserialize_one, v) for k, v in config.items()}
        return [nested(deserialize_one, v) for v in config]

    def loss(config):   # a loss function named (Keras's `huber`) is written as compile writes one
        found = losses.deserialize(config)
        if isinstance(found, losses.LossFunction):
            return {"module": "builtins", "class_name": "function", "config": found.__name__,
                    "registered_name": "function"}
        return _plugins.serialize_loss(found)

    def metric(config):
        return config if config in ("accuracy", "acc", "crossentropy", "ce") else \
            _plugins.serialize_metrics(metrics_module.deserialize(config))

    return {"optimizer": serialize(optimizers.deserialize(training["optimizer_config"])),
            "loss": nested(loss, training.get("loss")),
            "metrics": nested(metric, training.get("metrics")),
            "loss_weights": serialize(training.get("loss_weights")),
            "weighted_metrics": nested(metric, training.get("weighted_metrics"))}


def _saved_config(path):
    """The model config in a `.keras` file's config.json, None for other files."""
    import zipfile
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as archive:
        try:
            config = json.loads(archive.read("config.json"))
        except (KeyError, ValueError):
            return None
    return config if isinstance(config, dict) else None


def _warn_policies_not_kept(path, config):
    """Warns which layers of a `.keras` file (its model `config`) were saved under a float dtype
    policy other than float32 (mixed_float16, bfloat16, ...): they loaded, and compute in float32."""
    from .dtype_policies import saved_policies_not_kept
    found = saved_policies_not_kept(config)
    if found:
        import warnings
        listed = ", ".join(f"'{layer}' ({policy})" for layer, policy in found)
        warnings.warn(f"{path}: layers saved with dtype policies swiftkeras cannot honour were "
                      f"loaded to compute in float32 (the library computes in float32 only): "
                      f"{listed}", stacklevel=3)


def _take_saved_compile(model, path, config):
    """A `.keras` file's compile config (in its model `config`; a legacy `.h5` file's:
    `_legacy_compile_config`) on
    the loaded model's Python side, as Keras's loaded model has it (`model.optimizer` with its learning rate, `model.loss`, `compiled`,
    `get_compile_config()`); the library compiled the model from the same file, with the
    optimizer's saved state, so nothing is compiled again."""
    saved = (config or {}).get("compile_config") or _legacy_compile_config(path)
    if not isinstance(saved, dict) or not isinstance(saved.get("optimizer"), dict):
        return
    optimizer = optimizers.deserialize(saved["optimizer"])
    model._compile_config = {k: saved.get(k) for k in
                             ("optimizer", "loss", "metrics", "loss_weights", "weighted_metrics")}
    model._compile_extras = {key: saved.get(key, default) for key, default in
                             (("run_eagerly", False), ("steps_per_execution", 1), ("jit_compile", "auto"))}
    model.optimizer = optimizer
    optimizer._compiled_into = weakref.ref(model)
    model.loss = _saved_loss(saved.get("loss"))
    model.compiled = True
    # Keras's compile_from_config builds the optimizer on the loaded model's trainable variables:
    # a flag changed before the next fit is refused there, as after a first fit.
    model._check_optimizer_variables()


def _saved_loss(loss):
    """`model.loss` of a loaded model, as Keras gives it: a loss saved as a function entry
    is the function (registered, or in a custom object scope); anything else as saved."""
    if isinstance(loss, dict) and loss.get("class_name") == "function":
        from .saving import deserialize_keras_object
        try:
            return deserialize_keras_object(loss)
        except (TypeError, ValueError):
            return loss
    return loss


def save_model(model, filepath, overwrite=True, **kwargs):
    """Keras `keras.models.save_model` / `keras.saving.save_model(model, filepath)`: the same
    as `model.save(filepath)`."""
    model.save(filepath, overwrite=overwrite, **kwargs)


def clone_model(model):
    """Keras's `keras.models.clone_model`: the model made again from its config, each layer by
    its own class (Keras calls `layer.__class__.from_config`), so a Python class used but not
    registered needs no custom_objects here, as it needs none in Keras."""
    text = model.to_json()
    with _plugins.functions_by_module(text):
        return model_from_json(text)


__all__ = ["Model", "Sequential", "load_model", "model_from_json", "clone_model", "History",
           "save_model"]
