"""The parts of Keras 3's Model API that sit on top of fit/evaluate/predict: the *_on_batch
calls, weight lists, metrics, symbolic input/output, compile and build configs; and subclassed
models (`class M(keras.Model)` with `__init__` and `call`), whose `call` composing built-in
layers is traced once, at the first call or build, into a functional graph that the library
then runs like any functional model."""

from __future__ import annotations

import contextlib
import inspect
import json

import numpy as np

from . import _custom_steps, _model_vars, _scopes, _variables
from .layers import Input, KerasTensor, Layer, _check_weight_arguments
from .ops._functional import OpLayer

_MODEL_STATE = ("{what}: a model's weights are its layers' here (the library saves and trains "
                "them by layer); create the weight in a Layer's `build` with `add_weight`, and "
                "use that layer in the model")
_STEP_FUNCTIONS = ("Model.{what}: the library compiles and runs its steps itself (no backend "
                   "function is made in Python); call {use}, or override train_step/test_step/"
                   "predict_step")


def _noting_loss(compute_loss):
    """A `compute_loss` override that reports its value to an open GradientTape (the loss a
    train_step's `tape.gradient` takes), otherwise itself."""
    import functools

    @functools.wraps(compute_loss)
    def noted(self, *args, **kwargs):
        from . import _gradient_tape
        return _gradient_tape.note_loss(self, args, kwargs, compute_loss(self, *args, **kwargs))

    noted._notes_loss = True
    return noted


def _onnx_spec(spec):
    """One input of `export`'s `input_signature` (`keras.InputSpec`, a KerasTensor or an
    array: Keras's `make_input_spec`) as the library's JSON object."""
    shape = getattr(spec, "shape", None)
    if shape is None:
        raise ValueError(f"The `shape` and `dtype` must be provided. Received: x={spec}")
    dtype = getattr(spec, "dtype", None)
    dtype = None if dtype is None else str(getattr(dtype, "name", dtype))
    shape = [None if d is None else int(d) for d in shape]
    if isinstance(spec, (np.ndarray, KerasTensor)) and shape:
        shape[0] = None   # (Keras makes the batch dimension of a tensor's spec dynamic)
    name = None if isinstance(spec, np.ndarray) else getattr(spec, "name", None)
    return {"name": name or None, "shape": shape, "dtype": dtype}


class ModelAPI(_variables.LayerBasics):
    """Mixed into `Model`: Keras 3 methods and properties built from the library's calls."""

    _holds_layers = True

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Keras `model.quantize(mode)`: the kernels of its Dense, EinsumDense and Embedding
        layers become int8 with per-channel scales (not trainable; the biases stay float and
        trainable), their inputs quantized per row at call time, as Keras computes them.
        `filters` (a regex, a list of them or a callable) picks the layers; a leaf layer that
        cannot be quantized is left as it is, with Keras's warning."""
        from ._quantize import quantize_model
        quantize_model(self, mode, config=config, filters=filters, **kwargs)

    # -- single batches --------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Keras `model.train_on_batch`: one optimizer step on this batch; returns the batch's
        loss (and metrics), computed before the step, as Keras does."""
        rows = _rows(x)
        history = self.fit(x, y, batch_size=max(rows, 1), epochs=1, verbose=0, shuffle=False,
                           sample_weight=sample_weight, class_weight=class_weight)
        logs = {k: v[-1] for k, v in history.history.items() if v}
        if "loss" in logs:  # Keras's order: the loss, then the metrics
            logs = {"loss": logs.pop("loss"), **logs}
        if return_dict:
            return logs
        if self.__dict__.get("_traced_metric_objects"):   # Keras's _flatten_metrics_in_order
            from . import _traced_metrics
            values = _traced_metrics.in_order(self, logs)
        else:
            values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Keras `model.test_on_batch`: loss and metrics on this batch."""
        return self.evaluate(x, y, batch_size=max(_rows(x), 1), verbose=0,
                             sample_weight=sample_weight, return_dict=return_dict)

    def predict_on_batch(self, x):
        """Keras `model.predict_on_batch`: the outputs for this batch."""
        return self.predict(x, batch_size=max(_rows(x), 1), verbose=0)

    # -- weights (Keras's Variable objects, swiftkeras._variables) -------------------------
    def _variable_infos(self):
        return self._all_weight_infos()

    def _variable_model(self):
        return self

    def save_own_variables(self, store):
        """Keras `save_own_variables`: a model's own variables (its layers keep theirs): none."""

    def load_own_variables(self, store):
        if len(store.keys()):
            raise ValueError(f"Layer '{self.name}' expected 0 variables, but received "
                             f"{len(store.keys())} variables during loading. Expected: []")

    def get_state_tree(self, value_format="backend_tensor"):
        """Keras `get_state_tree`: the trainable and non-trainable variables (the seed
        generators' states among them, as Keras) as nested dicts by path, numpy arrays (the
        optimizer's and the metrics' variables stay in the library: `save_weights` writes
        them)."""
        if value_format not in ("backend_tensor", "numpy_array"):
            raise ValueError(f"Invalid `value_format` argument. Expected one of {{'numpy_array', "
                             f"'backend_tensor'}}. Received: value_format={value_format}")
        tree = {"trainable_variables": {}, "non_trainable_variables": {}}
        for key, variables in self._state_tree_variables():
            for v in variables:
                node = tree[key]
                *parents, leaf = v.path.split("/")
                for p in parents:
                    node = node.setdefault(p, {})
                node[leaf] = v.numpy()
        return {k: t for k, t in tree.items() if t}

    def _state_tree_variables(self):
        return (("trainable_variables", self.trainable_variables),
                ("non_trainable_variables", self.non_trainable_variables))

    def set_state_tree(self, state_tree):
        """Keras `set_state_tree`: sets the variables from `get_state_tree()`'s dict."""
        unknown = set(state_tree) - {"trainable_variables", "non_trainable_variables"}
        if unknown:
            raise NotImplementedError(f"{type(self).__name__}.set_state_tree: {sorted(unknown)} "
                                      f"live in the library (load them with load_weights)")
        for key, variables in self._state_tree_variables():
            for v in variables:
                node = state_tree.get(key)
                for p in v.path.split("/"):
                    node = node.get(p) if isinstance(node, dict) else None
                if node is not None:
                    v.assign(node)

    # -- Keras's Layer attributes on a model -------------------------------------------------
    dtype = "float32"
    autocast = True
    supports_masking = False
    activity_regularizer = None

    @property
    def path(self):
        return self.name

    @property
    def steps_per_execution(self):
        return self._compile_extras.get("steps_per_execution", 1)

    @property
    def metrics_variables(self):
        """Keras 3: the variables of `model.metrics` (the loss tracker's, the compiled metrics',
        then those of metrics it tracks), copies of the state the library's last fit or
        evaluate left."""
        return [v for m in self.metrics for v in getattr(m, "variables", [])]

    @property
    def input_spec(self):
        """Keras's functional `input_spec`: one InputSpec per input (shape and rank); None for
        Sequential and subclassed models, as Keras."""
        from .layers import InputSpec
        if self._functional is None or getattr(self, "_traced_subclass", False) or \
                type(self).__name__ == "Sequential":
            return None
        specs = [InputSpec(shape=t.shape, ndim=len(t.shape)) for t in self.inputs]
        return specs

    def call(self, inputs, training=None, mask=None):
        """Keras `Model.call` of a functional or Sequential model: its outputs for `inputs`."""
        return self(inputs, training=bool(training))

    def symbolic_call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}.symbolic_call: calling a model on "
                                  f"symbolic tensors (nesting models) is not supported here")

    def compute_output_shape(self, input_shape):
        """Keras `compute_output_shape`: the output shape(s) for `input_shape`, None for the
        batch (the library runs the model once on zeros of that shape)."""
        shapes = [input_shape] if not (input_shape and isinstance(input_shape[0], (tuple, list))) \
            else list(input_shape)
        xs = [np.zeros((1,) + tuple(1 if d is None else d for d in s[1:]), np.float32) for s in shapes]
        out = self(xs[0] if len(xs) == 1 else xs)
        outs = out if isinstance(out, (list, tuple)) else [out]
        result = [(shapes[0][0],) + tuple(np.shape(o))[1:] for o in outs]
        return result[0] if len(result) == 1 else result

    def compute_output_spec(self, inputs, training=None, mask=None):
        shape = inputs.shape if hasattr(inputs, "shape") else inputs
        shapes = self.compute_output_shape(tuple(shape))
        if isinstance(shapes, list):
            return [KerasTensor(s, None) for s in shapes]
        return KerasTensor(shapes, None)

    def add_weight(self, shape=None, initializer="glorot_uniform", dtype=None, trainable=True,
                   name=None, regularizer=None, constraint=None, **kwargs):
        """Keras `add_weight` on a subclassed model (in `__init__` or `build`): a weight of the
        model itself, trained, saved and loaded by the library (see _model_vars)."""
        what = f"{type(self).__name__}.add_weight"
        if not self._is_subclass_model():
            raise NotImplementedError(_MODEL_STATE.format(what=what))
        dtype = _check_weight_arguments(what, "a model's own weights", dtype, kwargs,
                                        integers=True)
        return _model_vars.add_weight(self, shape, initializer, trainable, name, what,
                                      regularizer=regularizer, constraint=constraint, dtype=dtype)

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Keras `add_variable`: `add_weight` with Keras's other argument order."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, regularizer=regularizer,
                               constraint=constraint, name=name)

    def add_loss(self, loss):
        """Keras `add_loss` in a subclassed model's `call`: each value (computed with ops from
        the layers' outputs and the model's weights) is summed into the loss of every step."""
        if _model_vars.tracing() is not self:
            raise NotImplementedError(
                f"{type(self).__name__}.add_loss: the library adds losses traced from a `call`: "
                f"call `self.add_loss(...)` in the `call` of a subclassed Model or of a Layer "
                f"written with keras.ops, or override `compute_loss` on the model")
        for value in (loss if isinstance(loss, (list, tuple)) else [loss]):
            value = _model_vars.as_tensors((value,))[0]
            if not isinstance(value, KerasTensor):
                raise TypeError(f"{type(self).__name__}.add_loss: the value must be computed "
                                f"with keras.ops from the call's tensors or the model's "
                                f"weights, got {type(value).__name__}")
            self._model_trace.losses.append(value)

    def _model_variables_layer(self):
        """The hidden layer holding this model's own weights (made once, at the first trace)."""
        layer = self.__dict__.get("_own_weights_layer")
        if layer is None:
            from ._objects import unique_name
            specs = self._own_weight_specs
            layer = _model_vars.ModelVariables([specs[i] for i in _model_vars.keras_order(specs)],
                                               name=unique_name("model_variables"))
            self._own_weights_layer = layer
        return layer

    def make_train_function(self, force=False):
        raise NotImplementedError(_STEP_FUNCTIONS.format(what="make_train_function", use="fit or train_on_batch"))

    def make_test_function(self, force=False):
        raise NotImplementedError(_STEP_FUNCTIONS.format(what="make_test_function", use="evaluate or test_on_batch"))

    def make_predict_function(self, force=False):
        raise NotImplementedError(_STEP_FUNCTIONS.format(what="make_predict_function", use="predict or predict_on_batch"))

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Keras `model.export(filepath, format="onnx", input_signature=None, opset_version=None)`:
        the model's inference graph as an ONNX file, written by the library (no TensorFlow).
        Inputs are named as Keras names them (the `Input` names, or the specs'), with a
        dynamic batch dimension; outputs are `output_0`, `output_1`, ..."""
        if format != "onnx":
            raise NotImplementedError(f"{type(self).__name__}.export(format={format!r}): there is no "
                                      f"TensorFlow here to write a SavedModel; `format='onnx'` is "
                                      f"written here, or save the model with "
                                      f"`model.save('model.keras')` (Keras's format, which Keras "
                                      f"loads) and export it from Keras")
        import json
        import os

        from . import _lib, _native
        opset_version = kwargs.pop("opset_version", None)
        signature = None
        if input_signature is not None:
            specs = list(input_signature) if isinstance(input_signature, (list, tuple)) else [input_signature]
            if len(specs) == 1 and isinstance(specs[0], (list, tuple)) and not all(
                    isinstance(d, (int, type(None))) for d in specs[0]):
                specs = list(specs[0])   # Keras's [[spec, ...]] for a functional model's inputs
            signature = json.dumps([_onnx_spec(spec) for spec in specs])
        if opset_version is not None and (isinstance(opset_version, bool) or not isinstance(opset_version, int)):
            raise TypeError(f"opset_version must be an integer, got {opset_version!r}")
        _native.check(_lib.keras_model_export_onnx(
            self._ensure_handle(), _native.path_bytes(filepath), int(opset_version or 0),
            signature.encode() if signature is not None else None))
        if verbose is None or verbose:
            print(f"Saved artifact at '{os.fsdecode(filepath)}'.")

    # -- metrics ---------------------------------------------------------------------------
    @property
    def metrics(self):
        """Keras 3: the loss tracker and the compiled metrics once compiled, else []. They are
        what a `test_step` written in Python updates; fit and evaluate keep theirs in the library."""
        return list(_custom_steps.compiled_metric_objects(self)) + \
            _custom_steps.metric_attributes(self)   # Keras: then the metrics it tracks

    @property
    def metrics_names(self):
        """Keras's: the names of `metrics` (a `metrics` property of the user's included)."""
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Keras `model.reset_metrics()`: resets `model.metrics` (fit and evaluate start theirs,
        in the library, from zero at every call; the next `super().train_step` starts the
        library's running figures again)."""
        for m in self.metrics:
            m.reset_state()
        self._train_metrics_fresh = True

    def get_metrics_result(self):
        """Keras `get_metrics_result()`: each metric's result, the compiled ones by name."""
        logs = {}
        for m in self.metrics:
            result = m.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[m.name] = result
        return logs

    # -- custom steps (Keras 3's customization points; see _custom_steps) -------------------
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("compute_loss")
        if own is not None and not getattr(own, "_notes_loss", False):
            cls.compute_loss = _noting_loss(own)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Keras `compute_loss`: the compiled loss of `y_pred` against `y` (and, in training,
        the model's added losses and penalties). Overridden with `swiftkeras.ops`, it is traced
        into the library's graph and trained on (see _custom_steps)."""
        from . import _gradient_tape
        return _gradient_tape.note_loss(self, (x, y, y_pred, sample_weight), {},
                                        _custom_steps.compute_loss(self, y, y_pred, sample_weight))

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Keras `compute_metrics`: updates the compiled metrics, returns every metric's result."""
        for m in self.metrics:
            if isinstance(m, _custom_steps.CompileMetrics):
                m.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data):
        """Keras's default train step (what an override calling `super().train_step(data)` gets):
        the library's training step on this batch, the one fit takes (forward pass, loss with
        penalties, gradients, optimizer update), with the loss and compiled metrics running on
        through the epoch in `self.metrics`; returns their figures, as Keras's logs."""
        x, y, sample_weight = _custom_steps.unpack_x_y_sample_weight(data)
        return _custom_steps.library_train_step(self, x, y, sample_weight)

    def zero_grad(self, set_to_none=True):
        """Keras's torch form of train_step starts with `self.zero_grad()`: its gradients would
        come from torch, so it fails here, naming what works instead."""
        raise NotImplementedError(_custom_steps.GRADIENTS_ROUTE.format(
            what=f"{type(self).__name__}.zero_grad() (a torch train_step's gradients)"))

    def test_step(self, data):
        """Keras's default test step, on numpy (what an override calling super() gets)."""
        x, y, sample_weight = _custom_steps.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = _custom_steps.call_compute_loss(self, x, y, y_pred, sample_weight, False)
        self.metrics[0].update_state(loss, sample_weight=_rows(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """Keras's default predict step, on numpy."""
        x, _, _ = _custom_steps.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    @property
    def losses(self):
        """Keras 3 `model.losses`: each layer's activity penalties and `add_loss` values of its
        last call, in the model's layer order (a call `model(x)` sets every layer's, a layer
        called alone replaces its own; fit, evaluate and predict clear them, as Keras's steps
        do), then the weight regularization penalties at the current weights, in
        `trainable_weights` order; float32 scalars. The library computes them all
        (keras_model_call, keras_model_weight_losses)."""
        entries = list(self.__dict__.get("_call_loss_entries") or [])
        names = [info["name"] for info in self._layers_info()] if self._handle is not None \
            else [layer.name for layer in self._layers]
        own = self.__dict__.get("_model_losses_layer_name")
        if own in names:   # a subclassed model's own add_loss values first, as Keras lists them
            names = [own] + [n for n in names if n != own]
        by_name = {layer.name: layer for layer in self._layers}
        values = [v for path, v in entries if path[:1] not in {(n,) for n in names}]
        for name in names:
            layer = by_name.get(name)
            if layer is not None:
                values += list(layer.__dict__.get("_call_losses") or [])
            else:
                values += [v for path, v in entries if path[:1] == (name,)]
        return [np.float32(v) for v in values + [v for _, v in self._weight_losses()]]

    # -- execution flags -------------------------------------------------------------------
    @property
    def run_eagerly(self):
        """Keras `model.run_eagerly` (also `compile(run_eagerly=...)`): accepted and kept. Here
        every step runs natively in the library either way: layers written with `keras.ops`
        are traced once and never re-entered, and layers written on numpy are called on numpy
        values every step (what Keras's eager mode gives for debugging)."""
        return bool(self._compile_extras.get("run_eagerly", False))

    @run_eagerly.setter
    def run_eagerly(self, value):
        self._compile_extras = {**self._compile_extras, "run_eagerly": bool(value)}

    @property
    def jit_compile(self):
        """Keras `model.jit_compile`: "auto" resolves to True, as on Keras's JAX backend (the
        library's steps are always compiled code); False once set so, which changes nothing."""
        value = self._compile_extras.get("jit_compile", "auto")
        return True if value == "auto" else bool(value)

    @jit_compile.setter
    def jit_compile(self, value):
        self._compile_extras = {**self._compile_extras, "jit_compile": value}

    # -- symbolic input and output ---------------------------------------------------------
    @property
    def input(self):
        """The model's symbolic input(s) (Keras: `model.input`)."""
        inputs, _ = self._symbolic("input")
        return inputs

    @property
    def output(self):
        """The model's symbolic output(s) (Keras: `model.output`)."""
        _, outputs = self._symbolic("output")
        keys = self.__dict__.get("_output_keys")
        if keys and isinstance(outputs, (list, tuple)) and len(outputs) == len(keys):
            # Keras's named outputs: the dict, in the order the model was made with (or its
            # config writes); `outputs` is it flattened, by sorted keys.
            by_key = dict(zip(keys, outputs))
            return {k: by_key[k] for k in self.__dict__.get("_output_order") or keys}
        return outputs

    @property
    def inputs(self):
        inputs = self.input
        return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]

    @property
    def outputs(self):
        outputs = self.output
        if isinstance(outputs, dict):
            return [outputs[k] for k in sorted(outputs)]
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]

    @property
    def output_names(self):
        """Keras's functional `output_names`: the names of the layers giving the outputs (a
        Sequential or subclassed model has none, as in Keras)."""
        return [t._keras_history[0].name for t in self._functional_only("output_names")[1]]

    @property
    def operations(self):
        """Keras's functional `operations`: its layers, InputLayers included, in graph order."""
        self._functional_only("operations")
        return list(self._layers)

    def _functional_only(self, what):
        graph = self._symbolic_graph()
        if graph is None or type(self).__name__ == "Sequential" or \
                getattr(self, "_traced_subclass", False):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{what}'")
        inputs, outputs = graph
        return (list(inputs) if isinstance(inputs, (list, tuple)) else [inputs],
                list(outputs) if isinstance(outputs, (list, tuple)) else [outputs])

    def _symbolic(self, what):
        # A subclassed model's traced graph is the library's, not symbolic tensors of the user's:
        # Keras 3 has none for a subclassed model called on arrays.
        graph = self._symbolic_graph()
        if graph is not None and not getattr(self, "_traced_subclass", False):
            return graph
        raise AttributeError(f"The layer {self.name} has never been called and thus has no "
                             f"defined {what}.")

    # -- configs ---------------------------------------------------------------------------
    def get_compile_config(self):
        """The arguments `compile` received, serialized as Keras serializes them (Keras:
        `get_compile_config`; a built-in object's config is Keras's, which for Huber leaves
        `delta` out, as the saved file's)."""
        if self._compile_config is None:
            return None
        from ._objects import keras_form
        config = keras_form(dict(self._compile_config))
        config.update(self._compile_extras)
        if config.get("jit_compile") == "auto":   # Keras resolves it at compile (the file's too)
            config["jit_compile"] = not config.get("run_eagerly")
        # in Keras's order (its compile's SerializableDict), any other key after them
        order = {k: i for i, k in enumerate(("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics",
                                             "run_eagerly", "steps_per_execution", "jit_compile"))}
        return dict(sorted(config.items(), key=lambda kv: order.get(kv[0], len(order))))

    def compile_from_config(self, config):
        """Compiles the model from `get_compile_config()`'s dict (Keras: `compile_from_config`)."""
        from . import optimizers
        config = dict(config)
        optimizer = config.pop("optimizer", "rmsprop")
        if isinstance(optimizer, dict):
            optimizer = optimizers.deserialize(optimizer)
        self.compile(optimizer=optimizer, **config)

    def get_build_config(self):
        """Keras `get_build_config`: the input shape the model was built with."""
        if not self.built:
            return None
        if self._handle is None and "_default_build_shape" in self.__dict__:   # Keras's default build
            return {"input_shape": self.__dict__.get("_default_build_shape")}
        shapes = self._input_shapes()
        batch = self.__dict__.get("_built_batch") if self._is_subclass_model() else None
        if batch is not None:   # Keras records the shape of a subclassed model's first call
            shapes = [(batch,) + tuple(s)[1:] if s and s[0] is None else s for s in shapes]
        return {"input_shape": shapes[0] if len(shapes) == 1 else shapes}

    def build_from_config(self, config):
        """Builds the model from `get_build_config()`'s dict. A subclassed model without a
        `build` of its own is built as Keras builds it here (`_build_by_run_for_single_pos_arg`):
        its call run on the shape outside its name scope, so its layers' weights are not under
        its name (`s1/kernel`, where a call gives `sub/s1/kernel`)."""
        from .models import Model
        if config and config.get("input_shape") is not None:
            if self._handle is None and self._subclassed() and type(self).build is Model.build:
                self.__dict__["_built_unscoped"] = True
            self._build_in_full(config["input_shape"])

    def _refuse_lambdas(self, ops_allowed=False):
        """Saving a model that holds a Python lambda (a Lambda layer's function, a loss or
        metric) is refused, with Keras's reason: a file cannot carry it safely. `ops_allowed`:
        the ops of a registered subclass's call need no saved form (its class rebuilds them)."""
        from ._lambda_layer import LAMBDA_MESSAGE, Lambda, is_lambda
        from ._text_callables import refuse_saving
        refuse_saving(self)
        for layer in self._layers:
            if isinstance(layer, Lambda) and is_lambda(layer.function):
                raise ValueError(LAMBDA_MESSAGE.format(what=f"the function of Lambda layer "
                                                            f"'{layer.name}'"))
        ops = [layer.name for layer in self._layers if getattr(layer, "_unsaveable", False)
               and not ops_allowed]
        if ops:
            raise ValueError(f"The model '{self.name}' cannot be saved whole: swiftkeras.ops "
                             f"applied to layer outputs in its call ({', '.join(ops)}) have no "
                             f"saved form here. Save its weights (model.save_weights) and "
                             f"rebuild the model from its class to load them.")
        text = repr(self._compile_config or {})
        if "'<lambda>" in text:
            raise ValueError(LAMBDA_MESSAGE.format(what="a loss or metric given to compile()"))

    # -- subclassed models -----------------------------------------------------------------
    def _batch_of_first_call(self, batch_size):
        """fit/evaluate/predict on an unbuilt subclassed model: its layers are built with the
        first batch (`batch_size` rows, 32 by default), as Keras's summary shows them."""
        if self.__dict__.get("_handle") is None and self._subclassed():
            self._batch_cap = int(batch_size or 32)
        elif self.__dict__.get("_handle") is None:
            self._first_batch_cap = int(batch_size or 32)   # (_ensure_handle's static batch)

    def _subclassed(self):
        """A `keras.Model` subclass that defines `call` and was not given inputs/outputs."""
        return self._functional is None and _custom_steps.overrides(self, "call")

    def _is_subclass_model(self):
        """A subclassed model, before or after its call was traced into a graph of layers."""
        return getattr(self, "_traced_subclass", False) or self._subclassed()

    def _trace(self, x):
        """Runs `call` once on symbolic inputs shaped like `x` (an array, a list or dict of
        arrays, or a batch shape); the layers it composes become this model's graph."""
        if x is None:
            raise ValueError(f"This model ('{self.name}') has not yet been built. Build the model "
                             f"first by calling `build()` or by calling the model on a batch of "
                             f"data.")
        # (named without taking Keras's "input_layer" names: Keras makes no Input for the
        # call of a subclassed model, so a later `keras.Input()` is named as in Keras)
        if isinstance(x, dict):
            inputs = {k: _symbolic_like(v, k) for k, v in x.items()}
        elif isinstance(x, (list, tuple)) and x and not _is_shape(x):
            inputs = [_symbolic_like(v, f"{self.name}_input_{i}") for i, v in enumerate(x)]
        else:
            inputs = _symbolic_like(x, f"{self.name}_input")
        graph_inputs = list(inputs.values()) if isinstance(inputs, dict) else inputs
        graph_inputs = graph_inputs if isinstance(graph_inputs, list) else [graph_inputs]
        self._built_batch = _leading_dimension(x, self.__dict__.pop("_batch_cap", None))
        self._call_user_build(x)
        # Keras calls it in its name scope (unless built from its build config): a model its
        # call builds lists its weights under it (`outer/seq/dense/kernel`)
        scope = contextlib.nullcontext() if self.__dict__.get("_built_unscoped") else \
            _scopes.name_scope(self.name, caller=self)
        with scope, _model_vars.ModelTrace(self, graph_inputs) as trace:
            try:
                outputs = self.call(inputs, training=False) if _call_takes_training(self.call) \
                    else self.call(inputs)
            except _model_vars.CallsOnArrays:
                # Its call applies layers to arrays it holds (keras.io's GNN node classifier:
                # the graph's node features): the whole call is one layer traced into the
                # library's op graph, those arrays its constants.
                outputs = _WholeCall(self, inputs, name=self.name)(
                    graph_inputs if len(graph_inputs) > 1 else graph_inputs[0])
                self._whole_call = True
            if isinstance(outputs, _model_vars.ModelWeight):
                outputs = trace.view(outputs)
            flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            if flat and all(isinstance(t, KerasTensor) for t in flat):
                outputs = _model_vars.attach_losses(trace, outputs)
        flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        if not flat or not all(isinstance(t, KerasTensor) for t in flat):
            raise TypeError(f"{type(self).__name__}.call must compose swiftkeras layers (layers "
                            f"called on its inputs); it returned {type(outputs).__name__}, so "
                            f"the model cannot be traced into a graph the library runs")
        from .models import _graph_layers
        graph_inputs = list(inputs.values()) if isinstance(inputs, dict) else inputs
        self._trace_input_keys = list(inputs) if isinstance(inputs, dict) else None
        self._functional = (graph_inputs, outputs)
        self._traced_subclass = True
        self._layers = self._in_tracked_order(_graph_layers(graph_inputs, outputs))
        for layer in self._layers:   # (their weights exist once this model has its handle)
            layer.__dict__.setdefault("_traced_in", self)
        self._trace_compute_loss()

    def _call_user_build(self, x):
        """Keras builds a subclassed model before its first call: a `build` of the user's
        (which may `add_weight`) runs once, before `call` is traced."""
        from .models import Model
        if type(self).build is Model.build or self.__dict__.get("_user_build_done"):
            return
        if isinstance(x, dict):
            shape = {k: _batch_shape(v) for k, v in x.items()}
        elif isinstance(x, (list, tuple)) and x and not _is_shape(x):
            shape = [_batch_shape(v) for v in x]
        else:
            shape = _batch_shape(x)
        self._in_user_build = True
        try:
            self.build(shape)
        finally:
            self._in_user_build = False
        self._user_build_done = True

    def _trace_compute_loss(self):
        """A `compute_loss` override joins the graph (once per LossInputs): see _custom_steps."""
        if getattr(self, "_compute_loss_graph", False) or not _custom_steps.overrides(self, "compute_loss"):
            return   # (before the import: every fit of a new model asks)
        from .models import Sequential, _graph_layers
        if isinstance(self, Sequential):
            raise NotImplementedError(f"{type(self).__name__}.compute_loss: overrides are traced for "
                                      f"keras.Model subclasses (with call, or built from inputs and "
                                      f"outputs), not for Sequential subclasses")
        spec = getattr(self, "_compute_loss_inputs", None)
        if spec is None:   # built before any fit: traced in by the first fit or evaluate
            return
        inputs, outputs = self._functional
        self._compute_loss_base = (inputs, outputs)
        inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        inputs, outputs = _custom_steps.with_compute_loss(self, inputs, outputs, spec,
                                                          getattr(self, "_trace_input_keys", None))
        self._functional = (inputs, outputs)
        self._layers = self._in_tracked_order(_graph_layers(inputs, outputs))
        self._compute_loss_graph = True

    def _retrace_compute_loss(self, spec):
        """The compute_loss graph traced (again) for these LossInputs: at the first fit or
        evaluate of a model built before, or when sample weights come or go or the targets
        change shape, keeping the weights and the optimizer's state (jax traces again when its
        inputs change; the variables, and so Adam's moments, stay)."""
        from . import _lib
        from .models import _free, _graph_layers, _owned
        # By path: a model built before (a predict's graph, without the compute_loss layer and
        # what it calls: a Distiller's teacher) may hold fewer weights than the traced one.
        weights = dict(zip([v.path for v in self.weights], self.get_weights())) \
            if self._handle is not None else None
        config = self._compile_config
        # The library compiled the old model when it had the compute_loss graph or a loss.
        compiled = config is not None and (getattr(self, "_compute_loss_graph", False) or
                                           config.get("loss") is not None)
        if getattr(self, "_compute_loss_graph", False):
            inputs, outputs = self._compute_loss_base
            self._functional = (inputs, outputs)
            self._layers = self._in_tracked_order(_graph_layers(inputs, outputs))
            self._compute_loss_graph = False
        self._compute_loss_inputs = spec
        self._trace_compute_loss()
        if weights is None:
            return
        # The old library model lives until the new one has its weights and optimizer state
        # (taken out of the owned handles first: weak references to one model compare equal).
        old = _owned.pop(self._handle_ref, None) if self._handle_ref is not None else None
        self._handle_ref = None
        try:
            self._new_handle(self._model_config())
            # The weights the old graph lacked keep their values (a nested model's, shared).
            self.set_weights([weights[v.path] if v.path in weights else v.numpy()
                              for v in self.weights])
            if compiled and _lib.has("keras_model_copy_optimizer_state"):
                from ._native import check
                check(_lib.keras_model_copy_optimizer_state(self._handle, old))
        finally:
            _free(old)

    def _in_tracked_order(self, graph_layers):
        """A traced subclassed model's graph layers with those it holds as attributes in the
        order it assigned them, as Keras lists a subclassed model's layers and weights (the
        graph's order follows the calls: `self.user_bias` called before `self.movie_embedding`
        but assigned after); the other layers (inputs, operations) keep their places. A model
        made from inputs and outputs keeps the graph's order, as Keras's functional models."""
        if not getattr(self, "_traced_subclass", False):
            return graph_layers
        tracked = [layer for layer in self._tracked_layers() if any(layer is g for g in graph_layers)]
        slots = iter(tracked)
        return [next(slots) if any(g is t for t in tracked) else g for g in graph_layers]

    def _tracked_layers(self):
        """Before tracing: the layers a subclassed model holds as attributes, as Keras tracks."""
        found = []
        for key, value in vars(self).items():
            if key == "_layers":   # the graph's layers once traced, not attributes of the user's
                continue
            items = value if isinstance(value, (list, tuple)) else [value]
            found += [v for v in items if isinstance(v, Layer) and v not in found]
        return found


def _rows(x):
    if isinstance(x, dict):
        x = next(iter(x.values()), [])
    if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape") and len(x[0].shape) > 0:
        x = x[0]
    return len(x)


def with_static_batch(config, batch):
    """`config` (a model's) with `batch` as the batch size of its inputs whose batch is None,
    or None where it has none such or `batch` is unknown: the model as jax.jit traces it for the
    batches it is given, where a layer's call needs the batch size (a reshape to a fixed number
    of rows, keras.io's Switch Transformer)."""
    if not batch:
        return None
    config = json.loads(json.dumps(config))
    changed = False
    for entry in (config.get("config") or {}).get("layers") or []:
        inner = entry.get("config") or {}
        shape = inner.get("batch_shape")
        if entry.get("class_name") == "InputLayer" and isinstance(shape, list) and shape and \
                shape[0] is None:
            shape[0] = int(batch)
            changed = True
    return config if changed else None


def _leading_dimension(x, cap=None):
    """The batch dimension of what a subclassed model is first traced on (an array, a list or
    dict of arrays, or a batch shape), at most `cap` (fit's batch size); None when unknown."""
    if isinstance(x, dict):
        x = next(iter(x.values()), None)
    elif isinstance(x, (list, tuple)) and x and not _is_shape(x):
        x = x[0]
    if isinstance(x, (list, tuple)) and _is_shape(x):
        n = x[0] if x else None
    else:
        shape = getattr(x, "shape", None)
        n = shape[0] if shape else None
    if n is None:
        return None
    return int(n) if cap is None else min(int(n), cap)


def _is_shape(x):
    return all(d is None or isinstance(d, (int, np.integer)) for d in x)


def _batch_shape(x):
    if isinstance(x, (list, tuple)) and _is_shape(x):
        return (None,) + tuple(x)[1:]
    return (None,) + tuple(np.shape(x))[1:]


def _symbolic_like(x, name=None):
    if isinstance(x, (list, tuple)) and _is_shape(x):
        shape = tuple(x)
    else:
        shape = (None,) + tuple(np.shape(x))[1:]
    return Input(batch_shape=(None,) + tuple(shape[1:]), name=name)


class _WholeCall(OpLayer):
    """A subclassed model's whole call as one layer of its graph, traced into the library's op
    graph: the layers it calls are the model's (ops._trace._attribute_of), the arrays it holds
    constants of that graph (Keras runs the call, those layers included, in every step, and
    differentiates through them)."""

    class_name = "WholeCall"
    _registered_name = "swiftkeras>WholeCall"

    def __init__(self, model, inputs, **kwargs):
        super().__init__(None, **kwargs)
        self._model, self._sublayers_of = model, model
        self._keys = list(inputs) if isinstance(inputs, dict) else None
        self._listed = isinstance(inputs, (list, tuple))

    def call(self, inputs, training=None):
        model = self._model
        if self._keys is not None:
            inputs = dict(zip(self._keys, inputs))
        elif self._listed and not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        if _call_takes_training(model.call):
            return model.call(inputs, training=bool(training))
        # Keras (on JAX) calls a model whose call takes no `training` without one in fit as
        # well: the layers it calls run in inference mode (BatchNormalization's moving
        # statistics, kept; no dropout).
        from .ops._trace import active
        active().default_training = False
        return model.call(inputs)


def _call_takes_training(call):
    try:
        params = inspect.signature(call).parameters
    except (TypeError, ValueError):
        return False
    return "training" in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
