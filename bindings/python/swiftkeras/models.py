"""Models (Keras `keras.models`): Sequential, the functional Model, load_model,
model_from_json.

A model is a Keras config that Python assembles from its layers (exactly what
`model.to_json()` prints) and a library handle made from it when the input shape is known.
compile, fit, evaluate, predict, summary, saving and weights all run in the library.
"""

from __future__ import annotations

import ctypes
import json
import math
import sys
import weakref
from ctypes import byref, c_int32, c_int64

import numpy as np

from . import _lib, _native, _plugins
from ._native import as_float32, check, dumps, pack
from ._objects import serialize, unique_name
from .layers import KerasTensor, Layer, _BuiltinLayer, _layer_class

_MAX_RANK = 16


def _route_library_output():
    """Progress bars and summaries go through sys.stdout (pytest capture, Jupyter)."""
    if not _lib.has("keras_set_print_hook"):
        return

    @_lib.keras_print_fn
    def hook(_user, text):
        try:
            sys.stdout.write(text.decode("utf-8", "replace"))
            sys.stdout.flush()
        except BaseException:  # printing must never break training
            pass

    _route_library_output.hook = hook
    _lib.keras_set_print_hook(hook, None)


_route_library_output()


def _free(handle):
    if handle and _lib.has("keras_model_free"):
        _lib.keras_model_free(handle)


class History:
    """What fit returns. Keras: `keras.callbacks.History` (history.history["loss"])."""

    def __init__(self, model, data):
        self.model = model
        self.epoch = list(data.get("epoch", []))
        self.history = {k: list(v) for k, v in data.get("history", {}).items()}
        self.params = dict(data.get("params", {}))

    def __repr__(self):
        return f"<swiftkeras.callbacks.History epochs={len(self.epoch)} keys={list(self.history)}>"


class Model:
    """A functional model (`Model(inputs, outputs)`), or the base of Sequential.
    Keras: `keras.Model`."""

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to Model: {kwargs}")
        self._name = name or unique_name(self._default_name())
        self.trainable = trainable
        self._handle = None
        self._handle_finalizer = None
        self._compile_config = None
        self._layers_cache = None
        self._stop_training = False
        self._layers: list[Layer] = []
        self._functional = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model needs both `inputs` and `outputs`.")
            self._functional = (inputs, outputs)
            self._layers = _graph_layers(inputs, outputs)
        elif type(self) is Model:
            raise ValueError("Model(): pass `inputs` and `outputs` (subclassed models are not "
                             "supported by swiftkeras; write a Sequential or functional model)")

    def _default_name(self):
        return "functional"

    @property
    def name(self):
        return self._name

    # -- config ----------------------------------------------------------------------------
    def _model_config(self) -> dict:
        inputs, outputs = self._functional
        ins = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        entries = []
        for layer in self._layers:
            entry = layer._layer_entry()
            entry["name"] = layer.name
            nodes = []
            for call_inputs in layer._inbound:
                if isinstance(call_inputs, (list, tuple)):
                    arg = [t._config() for t in call_inputs]
                else:
                    arg = call_inputs._config()
                nodes.append({"args": [arg], "kwargs": {}})
            entry["inbound_nodes"] = nodes
            entries.append(entry)

        def ref(t):
            layer, node, tensor = t._keras_history
            return [layer.name, node, tensor]

        return {"class_name": "Functional",
                "config": {"name": self.name, "trainable": self.trainable, "layers": entries,
                           "input_layers": ref(ins[0]) if not isinstance(inputs, (list, tuple)) else [ref(t) for t in ins],
                           "output_layers": ref(outs[0]) if not isinstance(outputs, (list, tuple)) else [ref(t) for t in outs]}}

    def get_config(self):
        if self._handle is not None:
            return json.loads(self.to_json())["config"]
        return self._model_config()["config"]

    def to_json(self, **kwargs):
        if self._handle is not None:
            return _native.take_string(_lib.keras_model_to_json, self._handle)
        return json.dumps(self._model_config(), **kwargs)

    # -- the library handle ----------------------------------------------------------------
    def _set_handle(self, handle):
        if self._handle_finalizer is not None:
            self._handle_finalizer()
        self._handle = handle
        self._layers_cache = None
        self._handle_finalizer = weakref.finalize(self, _free, handle) if handle else None
        if handle:
            self._attach_layers()

    def _ensure_handle(self, x=None):
        if self._handle is not None:
            return self._handle
        config = self._model_config_for(x)
        _plugins.register_scope_objects()
        out = ctypes.c_void_p()
        check(_lib.keras_model_from_json(dumps(config), byref(out)))
        self._set_handle(out.value)
        if self._compile_config is not None:
            check(_lib.keras_model_compile(self._handle, dumps(self._compile_config)))
        return self._handle

    def _model_config_for(self, x):
        return self._model_config()

    def _layers_info(self):
        if self._layers_cache is None:
            self._layers_cache = _native.take_json(_lib.keras_model_layers_json, self._ensure_handle())
        return self._layers_cache

    def _attach_layers(self):
        infos = self._layers_info()
        index = {info["name"]: i for i, info in enumerate(infos)}
        by_name = {layer.name: layer for layer in self._layers}
        for name, i in index.items():
            layer = by_name.get(name)
            if layer is None:
                layer = _layer_from_info(infos[i])
                self._layers.append(layer)
            layer._owner, layer._index = self, i
            layer.built = True

    def _get_weight(self, info) -> np.ndarray:
        out = np.empty(tuple(info["shape"]), np.float32)
        check(_lib.keras_model_get_weight(self._handle, info["index"],
                                          out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                          out.size))
        return out

    def _set_weight(self, info, value):
        arr = as_float32(value, f"set_weights({info['name']})")
        if tuple(arr.shape) != tuple(info["shape"]):
            raise ValueError(f"Layer weight shape {tuple(info['shape'])} not compatible with "
                             f"provided weight shape {arr.shape}")
        check(_lib.keras_model_set_weight(self._handle, info["index"],
                                          arr.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                          arr.size))

    def _call_layer(self, index, x):
        in_shape = _native.int64_array(x.shape)
        out_shape = (c_int64 * _MAX_RANK)()
        rank = c_int32()
        check(_lib.keras_model_layer_output_shape(self._handle, index, in_shape, x.ndim,
                                                  out_shape, _MAX_RANK, byref(rank)))
        out = np.empty(tuple(out_shape[i] for i in range(rank.value)), np.float32)
        xs, ys = pack([x]), pack([out])
        check(_lib.keras_model_layer_call(self._handle, index, xs.pointer, ys.pointer))
        return out

    def _layer_output_shape(self, index, input_shape):
        dims = [-1 if d is None else d for d in input_shape]
        out_shape = (c_int64 * _MAX_RANK)()
        rank = c_int32()
        check(_lib.keras_model_layer_output_shape(self._handle, index, _native.int64_array(dims),
                                                  len(dims), out_shape, _MAX_RANK, byref(rank)))
        return tuple(None if out_shape[i] < 0 else out_shape[i] for i in range(rank.value))

    # -- layers and shapes -----------------------------------------------------------------
    @property
    def layers(self):
        if self._handle is not None:
            infos = self._layers_info()
            by_name = {layer.name: layer for layer in self._layers}
            skip_inputs = isinstance(self, Sequential)
            return [by_name[i["name"]] for i in infos if i["name"] in by_name
                    and not (skip_inputs and i.get("class_name") == "InputLayer")]
        return list(self._layers)

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

    def _io_shapes(self, which):
        handle = self._ensure_handle()
        count = c_int32()
        check(getattr(_lib, f"keras_model_{which}_count")(handle, byref(count)))
        shapes = []
        for i in range(count.value):
            buf = (c_int64 * _MAX_RANK)()
            rank = c_int32()
            check(getattr(_lib, f"keras_model_{which}_shape")(handle, i, buf, _MAX_RANK, byref(rank)))
            shapes.append(tuple(None if buf[k] < 0 else buf[k] for k in range(rank.value)))
        return shapes

    @property
    def input_shape(self):
        s = self._io_shapes("input")
        return s[0] if len(s) == 1 else s

    @property
    def output_shape(self):
        s = self._io_shapes("output")
        return s[0] if len(s) == 1 else s

    @property
    def stop_training(self):
        return self._stop_training

    @stop_training.setter
    def stop_training(self, value):
        self._stop_training = bool(value)
        if self._handle is not None and _lib.has("keras_model_set_stop_training"):
            check(_lib.keras_model_set_stop_training(self._handle, int(bool(value))))

    # -- weights ---------------------------------------------------------------------------
    def _all_weight_infos(self):
        self._ensure_handle()
        return [w for info in self._layers_info() for w in info["weights"]]

    @property
    def weights(self):
        return [self._get_weight(w) for w in self._all_weight_infos()]

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        infos = self._all_weight_infos()
        if len(weights) != len(infos):
            raise ValueError(f"You called `set_weights(weights)` on model {self.name} with a "
                             f"weight list of length {len(weights)}, but the model was "
                             f"expecting {len(infos)} weights.")
        for info, w in zip(infos, weights):
            self._set_weight(info, w)

    def count_params(self):
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
        from . import optimizers
        config = {"optimizer": serialize(optimizers.get(optimizer)),
                  "loss": _plugins.serialize_loss(loss),
                  "metrics": _plugins.serialize_metrics(metrics),
                  "loss_weights": serialize(loss_weights),
                  "weighted_metrics": _plugins.serialize_metrics(weighted_metrics)}
        self._compile_config = config
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.compiled = True
        if self._handle is not None:
            check(_lib.keras_model_compile(self._handle, dumps(config)))

    # -- data ------------------------------------------------------------------------------
    @staticmethod
    def _arrays(data, what):
        if data is None:
            return []
        if isinstance(data, dict):
            data = list(data.values())
        if isinstance(data, (list, tuple)) and data and isinstance(data[0], np.ndarray):
            return [as_float32(d, f"{what}[{i}]") for i, d in enumerate(data)]
        return [as_float32(data, what)]

    def _fit_options(self, **options):
        return {k: v for k, v in options.items() if v is not None}

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, nb_epoch=None, **kwargs):
        """Keras `model.fit`; returns a History whose `.history` holds the epoch figures."""
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `fit()`: {sorted(kwargs)}")
        if nb_epoch is not None:
            epochs = nb_epoch
        xs, ys = self._arrays(x, "x"), self._arrays(y, "y")
        if not xs:
            raise ValueError("fit: x is required")
        self._ensure_handle(xs[0])
        sw = as_float32(sample_weight, "sample_weight") if sample_weight is not None else None
        vx = vy = []
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                                 "(x_val, y_val, val_sample_weight)")
            vx = self._arrays(validation_data[0], "validation_data x")
            vy = self._arrays(validation_data[1], "validation_data y")
        options = self._fit_options(
            batch_size=batch_size, epochs=int(epochs), verbose=_verbosity(verbose, 1),
            validation_split=float(validation_split), shuffle=bool(shuffle),
            class_weight={str(k): float(v) for k, v in class_weight.items()} if class_weight else None,
            initial_epoch=int(initial_epoch), steps_per_epoch=steps_per_epoch,
            validation_freq=validation_freq)
        self._stop_training = False
        data = self._run_with_callbacks(
            "fit", callbacks, options,
            lambda cbs, n, opts: _native.take_json(
                _lib.keras_model_fit, self._handle, _p(xs), len(xs), _p(ys), len(ys),
                _p([sw]) if sw is not None else None, _p(vx), len(vx), _p(vy), len(vy),
                dumps(opts), cbs, n))
        self.history = History(self, data)
        for cb in _python_callbacks(callbacks):
            if hasattr(cb, "_set_history"):
                cb._set_history(self.history)
        return self.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Keras `model.evaluate`: the loss, or [loss, *metrics] in compile order."""
        xs, ys = self._arrays(x, "x"), self._arrays(y, "y")
        self._ensure_handle(xs[0] if xs else None)
        sw = as_float32(sample_weight, "sample_weight") if sample_weight is not None else None
        options = self._fit_options(batch_size=batch_size, verbose=_verbosity(verbose, 1),
                                    steps=steps)
        data = self._run_with_callbacks(
            "evaluate", callbacks, options,
            lambda cbs, n, opts: _native.take_json(
                _lib.keras_model_evaluate, self._handle, _p(xs), len(xs), _p(ys), len(ys),
                _p([sw]) if sw is not None else None, dumps(opts), cbs, n))
        names, values = data["names"], data["values"]
        if return_dict:
            return dict(zip(names, values))
        return values[0] if len(values) == 1 else list(values)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, **kwargs):
        """Keras `model.predict`: numpy outputs allocated here and filled by the library."""
        xs = self._arrays(x, "x")
        if not xs:
            raise ValueError("predict: x is required")
        self._ensure_handle(xs[0])
        n = xs[0].shape[0] if xs[0].ndim else 1
        outs = [np.empty((n,) + tuple(s[1:]), np.float32) for s in self._io_shapes("output")]
        if any(d is None for o in self._io_shapes("output") for d in o[1:]):
            raise ValueError("predict: the model's output shape is not fully known")
        options = self._fit_options(batch_size=batch_size, verbose=_verbosity(verbose, 1))
        packed = pack(outs)
        self._run_with_callbacks(
            "predict", callbacks, options,
            lambda cbs, k, opts: check(_lib.keras_model_predict(
                self._handle, _p(xs), len(xs), dumps(opts), cbs, k, packed.pointer, len(outs))))
        return outs[0] if len(outs) == 1 else outs

    def __call__(self, x, training=False):
        if isinstance(x, KerasTensor):
            raise NotImplementedError("Calling a model on a symbolic tensor (nesting models) "
                                      "is not supported by swiftkeras yet")
        return self.predict(x, verbose=0)

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=len(x), verbose=0)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        xs, ys = self._arrays(x, "x"), self._arrays(y, "y")
        self._ensure_handle(xs[0])
        data = _native.take_json(_lib.keras_model_train_on_batch, self._handle, _p(xs), len(xs),
                                 _p(ys), len(ys))
        if return_dict:
            return dict(zip(data["names"], data["values"]))
        return data["values"][0] if len(data["values"]) == 1 else data["values"]

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        return self.evaluate(x, y, batch_size=len(x), verbose=0, sample_weight=sample_weight,
                             return_dict=return_dict)

    def _run_with_callbacks(self, loop, callbacks, options, call):
        """Runs a loop with the user's callbacks: built-in ones travel as configs, Python ones
        as trampolines; an exception in any of them is re-raised here after the loop stops."""
        callbacks = list(callbacks or [])
        entries, tramps = [], []
        for cb in callbacks:
            if isinstance(cb, _plugins.PythonCallback):
                cb.set_model(self)
                entries.append({"class_name": "ExternalCallback", "config": {"index": len(tramps)}})
                tramps.append(_plugins.callback_trampoline(cb, self))
            else:
                entries.append(serialize(cb))
        # Lets Python handle Ctrl-C between epochs: the handler runs inside this callback,
        # its KeyboardInterrupt stops the loop and is re-raised below.
        entries.append({"class_name": "ExternalCallback", "config": {"index": len(tramps)}})
        tramps.append(_plugins.interrupt_trampoline())
        options = dict(options, callbacks=entries)
        structs = (_lib.keras_callback * len(tramps))()
        for i, t in enumerate(tramps):
            structs[i] = t.struct
        _native.take_stashed()
        try:
            return call(structs, len(tramps), options)
        finally:
            del tramps

    # -- text ------------------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        if self._handle is None and not self._input_known():
            raise ValueError("This model has not yet been built. Build the model first by "
                             "calling `build()` or by calling the model on a batch of data.")
        text = _native.take_string(_lib.keras_model_summary, self._ensure_handle(),
                                   int(line_length or 0))
        if print_fn is not None:
            for line in text.rstrip("\n").split("\n"):
                print_fn(line)
        else:
            print(text, end="" if text.endswith("\n") else "\n")

    def _input_known(self):
        return True

    def build(self, input_shape=None):
        self._ensure_handle(None if input_shape is None else
                            np.empty((1,) + tuple(input_shape)[1:], np.float32))

    @property
    def built(self):
        return self._handle is not None

    # -- saving ----------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, **kwargs):
        check(_lib.keras_model_save(self._ensure_handle(), str(filepath).encode()))

    def save_weights(self, filepath, overwrite=True, **kwargs):
        check(_lib.keras_model_save_weights(self._ensure_handle(), str(filepath).encode()))

    def load_weights(self, filepath, skip_mismatch=False, by_name=False, **kwargs):
        check(_lib.keras_model_load_weights(self._ensure_handle(), str(filepath).encode(),
                                            int(by_name), int(skip_mismatch)))

    # -- pickling (by value: config, weights, compile config) ------------------------------
    def __getstate__(self):
        state = {"json": self.to_json(), "compile": self._compile_config,
                 "built": self._handle is not None}
        if self._handle is not None:
            state["weights"] = self.get_weights()
        return state

    def __setstate__(self, state):
        other = model_from_json(state["json"]) if state["built"] else None
        if other is None:
            raise ValueError("an unbuilt swiftkeras model cannot be unpickled")
        self.__dict__.update(other.__dict__)
        other._handle_finalizer.detach()
        self._handle_finalizer = weakref.finalize(self, _free, self._handle)
        for layer in self._layers:
            layer._owner = self
        if state.get("weights"):
            self.set_weights(state["weights"])
        if state["compile"] is not None:
            self._compile_config = state["compile"]
            check(_lib.keras_model_compile(self._handle, dumps(state["compile"])))


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
            return
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

    def pop(self):
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        if self._handle is not None:
            self._rebuild_keeping_weights()
        return self._layers.pop()

    def _rebuild_keeping_weights(self):
        kept = {layer.name: layer.get_weights() for layer in self._layers}
        self._set_handle(None)
        for layer in self._layers:
            layer._owner = None
            layer._pending_weights = kept.get(layer.name)

    def _adopt(self, layer, batch_shape):
        self._input_batch_shape = tuple(batch_shape)
        self._layers.append(layer)
        self._ensure_handle()

    def _input_known(self):
        return self._input_batch_shape is not None

    def _model_config_for(self, x):
        if self._input_batch_shape is None:
            if x is None:
                raise ValueError("This model has not yet been built. Build the model first by "
                                 "calling `build()` or by calling the model on a batch of data.")
            self._input_batch_shape = (None,) + tuple(x.shape[1:])
        return self._model_config()

    def _model_config(self):
        entries = []
        if self._input_batch_shape is not None:
            entries.append({"module": "keras.layers", "class_name": "InputLayer",
                            "config": {"batch_shape": list(self._input_batch_shape),
                                       "dtype": "float32", "sparse": False,
                                       "name": self._input_name or "input_layer"},
                            "registered_name": None})
        entries += [layer._layer_entry() for layer in self._layers]
        config = {"name": self.name, "trainable": self.trainable, "layers": entries}
        if self._input_batch_shape is not None:
            config["build_input_shape"] = list(self._input_batch_shape)
        return {"class_name": "Sequential", "config": config}

    def _set_handle(self, handle):
        super()._set_handle(handle)
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


def _p(arrays):
    """keras_array descriptors of float32 arrays, kept alive by the returned object."""
    if not arrays:
        return None
    packed = pack(arrays)
    _p.keep = packed  # alive for the duration of the ctypes call that reads it
    return packed.structs


def _verbosity(verbose, auto):
    if verbose == "auto":
        return auto
    if isinstance(verbose, bool):
        return int(verbose)
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def _python_callbacks(callbacks):
    return [cb for cb in callbacks or [] if isinstance(cb, _plugins.PythonCallback)]


def _graph_layers(inputs, outputs):
    """Layers reachable from the outputs, inputs first, each after the layers it reads."""
    outs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    order, seen = [], set()

    def visit(layer):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        for call_inputs in layer._inbound:
            for t in (call_inputs if isinstance(call_inputs, (list, tuple)) else [call_inputs]):
                visit(t._keras_history[0])
        order.append(layer)

    for t in outs:
        if not isinstance(t, KerasTensor):
            raise TypeError(f"Model outputs must be symbolic tensors (from keras.Input and "
                            f"layer calls), got {type(t).__name__}")
        visit(t._keras_history[0])
    return order


def _layer_from_info(info):
    """A Python layer object for a layer the library made (a loaded model)."""
    from . import _plugins as plugins
    class_name = info["class_name"]
    config = dict(info.get("config", {}))
    custom = plugins.python_layer_class(class_name)
    if custom is not None:
        layer = custom.from_config(config)
        return layer
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
    return layer


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
        model._handle_finalizer = None
        model._compile_config = None
        model._layers_cache = None
        model._stop_training = False
        model._layers = []
        model._functional = None
    model._set_handle(handle)
    return model


def model_from_json(json_string, custom_objects=None):
    """A model from the text of `model.to_json()`. Keras: `keras.models.model_from_json`."""
    from .utils import CustomObjectScope
    with CustomObjectScope(custom_objects or {}):
        _plugins.register_scope_objects()
        out = ctypes.c_void_p()
        text = json_string if isinstance(json_string, str) else json.dumps(json_string)
        check(_lib.keras_model_from_json(text.encode("utf-8"), byref(out)))
        return _from_handle(out.value)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """A model from a `.keras` or `.h5` file. Keras: `keras.models.load_model`."""
    from .utils import CustomObjectScope
    with CustomObjectScope(custom_objects or {}):
        _plugins.register_scope_objects()
        out = ctypes.c_void_p()
        check(_lib.keras_model_load(str(filepath).encode(), int(bool(compile)), byref(out)))
        return _from_handle(out.value)


def clone_model(model):
    clone = model_from_json(model.to_json())
    return clone


__all__ = ["Model", "Sequential", "load_model", "model_from_json", "clone_model", "History"]
