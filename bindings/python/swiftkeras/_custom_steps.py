"""Keras 3's customization points of a Model's steps, as a swiftkeras user can write them.

- `compute_loss(x, y, y_pred, sample_weight, training)` written with `swiftkeras.ops` is traced
  once per training mode into the library's graph: a layer after the model's first output takes
  the outputs, the targets and sample weights (more inputs the binding feeds) and the model's
  inputs, adds the returned loss with `add_loss`, and the library trains on it with its own
  autodiff (the compiled loss enters with weight 0). `x`, `y` and `y_pred` come structured as
  Keras passes them (an array, or a list/dict for several inputs or outputs), `sample_weight`
  is fit's (or its class_weight's) or None, and `super().compute_loss` gives the compiled
  loss(es) with their loss_weights. Whether sample weights are fed is fixed at trace time, as
  jax's trace is: a call that changes it traces again (weights and optimizer state kept).
  `fit`, `evaluate` and `test_on_batch` report it as the loss; compiled metrics are the
  library's. (A compiled loss written in Python with ops, without an override, is no part of
  this: it is a library loss of an op graph, keras_register_loss_graph, traced by
  `trace_compiled_loss`.)
- `test_step(data)` and `predict_step(data)` (Keras's TensorFlow/torch form) are called per batch
  from Python, on numpy: `self(x)`, `self.compute_loss`, `self.metrics` (the loss tracker and
  the compiled metrics, with `update_state`/`result`/`reset_state`), `self.compute_metrics`.
- `train_step(data)` (Keras's TensorFlow/torch form) is called per batch from Python by a fit
  loop written as Keras's (callbacks, validation, `steps_per_epoch`, `class_weight` as sample
  weights); `super().train_step(data)` is the library's training step on that batch
  (`keras_model_train_batch`: the step fit takes, its figures running through the epoch), so an
  override may change the batch before it and the logs after it. The guide's gradient-tape
  form, written with `swiftkeras.GradientTape` (a forward pass and `self.compute_loss` in the
  tape's block, `self.optimizer.apply(tape.gradient(loss, self.trainable_variables), ...)`),
  is that same library step on the batch, its metrics left to the override (_gradient_tape).
  Gradients cannot come from a backend (tf.GradientTape, jax.grad, backward): where an override
  applies them (`optimizer.apply_gradients`, `zero_grad`, Keras's JAX form
  `train_step(state, data)`), a clear error names the routes: swiftkeras's GradientTape,
  `super().train_step`, or a traced `compute_loss`. The
  library's built-in callbacks fire from that loop in the library (callbacks._LibraryCallbacks),
  and the loop ends as Keras's fit with use_ema's moving averages put into the weights.
"""

from __future__ import annotations

import ctypes
import inspect
import json
import math

import numpy as np

from . import _lib, _native
from .ops._functional import OpLayer

GRADIENTS_ROUTE = (
    "{what}: swiftkeras trains in its library, which computes the gradients and updates the "
    "weights itself; gradients from a backend (tf.GradientTape, jax.grad, loss.backward()) cannot "
    "reach it (the weights seen from Python are numpy copies). In a train_step override, use "
    "keras.GradientTape (swiftkeras's): `with keras.GradientTape() as tape: y_pred = self(x, "
    "training=True); loss = self.compute_loss(y=y, y_pred=y_pred)`, then `self.optimizer.apply("
    "tape.gradient(loss, self.trainable_variables), self.trainable_variables)`; or call "
    "super().train_step(data) for the training step (change the batch before it and the logs "
    "after it); or override compute_loss(self, x, y, y_pred, sample_weight=None, training=True) "
    "with swiftkeras.ops: it is traced into the library's graph and differentiated there.")


_MODEL_BASES = None


def _model_bases():
    """(Sequential, Model, ModelAPI, object): imported on first use (models imports this
    module), then kept: a function-level import runs importlib's Python on every call."""
    global _MODEL_BASES
    if _MODEL_BASES is None:
        from ._model_api import ModelAPI
        from .models import Model, Sequential
        _MODEL_BASES = (Sequential, Model, ModelAPI, object)
    return _MODEL_BASES


def overrides(model, method):
    """True when a class below swiftkeras's Model defines `method`."""
    bases = _model_bases()
    if type(model) is bases[0] or type(model) is bases[1]:   # no class of the user's (every fit asks)
        return False
    return any(method in vars(c) for c in type(model).__mro__ if c not in bases)


def metric_attributes(model):
    """The metric objects held in the model's attributes, in assignment order (Keras's
    `model.metrics` lists them after the loss tracker and the compiled metrics: a `compute_loss`
    override's `self.loss_tracker`)."""
    from .metrics import Metric
    return [v for k, v in vars(model).items() if isinstance(v, Metric) and not k.startswith("_")]


def _library_states(model):
    """The state of the compiled metrics the model's last fit or evaluate left in the library
    (keras_model_metric_variables), [] for a model not made yet."""
    from ._native import take_json
    if model is None or getattr(model, "_handle", None) is None:
        return []
    return take_json(_lib.keras_model_metric_variables, model._handle)


def _state_variables(entries):
    from .metrics import _StateVariable
    return [_StateVariable(e["name"], v["name"], np.asarray(
        [np.nan if x is None else x for x in v["value"]], np.float64).reshape(v["shape"]), v["dtype"])
        for e in entries for v in e["variables"]]


class LossTracker:
    """Keras's `Mean(name="loss")` that `model.metrics` starts with: a weighted mean of values."""

    def __init__(self, name="loss", model=None):
        import weakref
        self.name = name
        self._model = weakref.ref(model) if model is not None else (lambda: None)
        self.reset_state()

    @property
    def variables(self):
        """Keras's `total` and `count`: those a Python step gave it, else the library's fit's."""
        if self._count:
            from .metrics import _StateVariable
            return [_StateVariable(self.name, "total", self._total, "float32"),
                    _StateVariable(self.name, "count", self._count, "float32")]
        return _state_variables([e for e in _library_states(self._model())
                                 if e["loss_tracker"] and e["name"] == self.name][:1]) or \
            _state_variables([{"name": self.name, "variables": [
                {"name": n, "shape": [], "dtype": "float32", "value": [0.0]} for n in ("total", "count")]}])

    def _follow(self, value, rows, restart):
        """The library's running loss after a training step over `rows` more samples (weighted
        by rows, as Keras's train_step updates it)."""
        if restart:
            self.reset_state()
        self._shown = None
        self._count += float(rows)
        self._total = float(value) * self._count

    def _show_library_logs(self, logs):
        """The loss of the library's last fit or evaluate (`logs()`, read when first needed) is
        the result until this tracker is next updated or reset."""
        self.reset_state()
        self._shown = logs

    def update_state(self, values, sample_weight=None):
        self._shown = None
        if sample_weight is None and isinstance(values, (float, np.floating)):   # a step's loss
            self._total += float(values)
            self._count += 1.0
            return
        v = np.asarray(values, np.float64)
        w = np.broadcast_to(np.asarray(1.0 if sample_weight is None else sample_weight,
                                       np.float64), v.shape)
        self._total += float((v * w).sum())
        self._count += float(w.sum())

    def result(self):
        if self._shown is not None:
            value = self._shown().get(self.name)
            return np.float32(np.nan if value is None else value)
        return np.float32(self._total / self._count if self._count else 0.0)

    def reset_state(self):
        self._total, self._count, self._shown = 0.0, 0.0, None

    def __repr__(self):
        return f"<Mean name={self.name}>"


class CompileMetrics:
    """Keras's `CompileMetrics`: the compiled metrics over the batches they were updated with,
    computed by the library (an identity model compiled with the model's loss and metrics)."""

    name = "compile_metrics"

    def __init__(self, compile_config, model=None):
        import weakref
        self._config = compile_config
        self._model = weakref.ref(model) if model is not None else (lambda: None)
        self.reset_state()

    @property
    def variables(self):
        """Keras's variables of every compiled metric: after batches given here those of the
        library's metrics over them, else those the model's last fit or evaluate left."""
        if self._batches:
            self.result()
            yp = np.concatenate([b[1] for b in self._batches])
            entries = _library_states(self._probe(yp.shape[1:]))
        else:
            entries = _library_states(self._model())
        return _state_variables([e for e in entries if not e["loss_tracker"]])

    def _show_library_logs(self, logs):
        """The compiled metrics of the library's last fit or evaluate (`logs()` without the
        loss, read when first needed) are the result until the next update or reset."""
        self._batches, self._library, self._shown = [], None, logs

    def update_state(self, y_true, y_pred, sample_weight=None):
        from ._native import as_float32
        self._shown = None
        self._batches.append((as_float32(y_true, "y_true"), as_float32(y_pred, "y_pred"),
                              None if sample_weight is None else as_float32(sample_weight, "sample_weight")))

    def result(self):
        if self._library is not None:   # the running figures of the library's training steps
            return dict(self._library)
        if self._shown is not None:
            return {k: np.float32(v) if np.ndim(v) == 0 else np.asarray(v, np.float32)
                    for k, v in self._shown().items() if k != "loss"}
        if self._reset_names and not self._batches:   # reset after a call: fresh metrics' 0
            return {k: np.float32(0.0) for k in self._reset_names}
        if not self._batches or not (self._config.get("metrics") or self._config.get("weighted_metrics")):
            return {}
        yt = np.concatenate([b[0] for b in self._batches])
        yp = np.concatenate([b[1] for b in self._batches])
        weights = [b[2] for b in self._batches]
        sw = None if all(w is None for w in weights) else np.concatenate(
            [np.ones(len(b[1]), np.float32) if w is None else w.reshape(len(b[1]))
             for b, w in zip(self._batches, weights)])
        results = self._probe(yp.shape[1:]).evaluate(
            yp, yt, batch_size=max(len(yp), 1), verbose=0, sample_weight=sw, return_dict=True)
        return {k: np.float32(v) for k, v in results.items() if k != "loss"}

    def _probe(self, feature_shape):
        """The identity model compiled as the model is, for `y_pred` rows of `feature_shape`:
        found once per shape (_identity_model's key is the config's JSON, which each batch's
        `result()` wrote anew)."""
        probe = self.__dict__.get("_probe_made")
        if probe is None or probe[0] != tuple(feature_shape):
            probe = self._probe_made = (tuple(feature_shape), _identity_model(self._config, feature_shape))
        return probe[1]

    def reset_state(self):
        shown = self.__dict__.get("_shown")
        self._reset_names = [k for k in shown() if k != "loss"] if shown is not None else \
            list(self.__dict__.get("_library") or self.__dict__.get("_reset_names") or [])
        self._batches = []
        self._library = None
        self._shown = None

    def __repr__(self):
        return f"<CompileMetrics name={self.name}>"


_identities: dict = {}


def _identity_model(config, feature_shape):
    import json
    key = (json.dumps(config, sort_keys=True, default=str), tuple(feature_shape))
    model = _identities.get(key)
    if model is None:
        from .layers import Input, _layer_class
        from .models import Sequential
        model = Sequential([Input(batch_shape=(None,) + tuple(feature_shape)),
                            _layer_class("Identity")()])
        model.compile(optimizer="sgd", loss=config.get("loss"), metrics=config.get("metrics"),
                      weighted_metrics=config.get("weighted_metrics"))
        if len(_identities) > 16:
            _identities.clear()
        _identities[key] = model
    return model


# ---- compute_loss: the compiled loss, on numpy or traced with ops --------------------------

def _loss_name(loss):
    if isinstance(loss, dict):
        loss = loss.get("class_name", "")
    return {"MeanSquaredError": "mean_squared_error", "mse": "mean_squared_error",
            "MeanAbsoluteError": "mean_absolute_error", "mae": "mean_absolute_error",
            "BinaryCrossentropy": "binary_crossentropy",
            "CategoricalCrossentropy": "categorical_crossentropy",
            "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy"}.get(loss, loss)


def _python_loss_function(loss):
    """The Python function behind a compiled loss entry (a function's entry, or the name a
    Loss subclass's `call` is registered under: _plugins.serialize_loss), else None."""
    from . import _plugins
    return _plugins.function_of_entry("loss", loss)


def _compiled_losses(config):
    """The compiled loss entries of a compile config, one per output (or the one)."""
    loss = (config or {}).get("loss")
    if isinstance(loss, dict) and "class_name" not in loss:
        return list(loss.values())
    return list(loss) if isinstance(loss, (list, tuple)) else [loss]


def python_loss_values(fn, y, y_pred):
    """What a compiled loss written in Python gives on symbolic tensors, Keras's way, with its
    reduction and name: a function goes through LossFunctionWrapper (y_true and y_pred brought to
    the same rank first, reduced "sum_over_batch_size"); a Loss subclass's `call` gets them as
    they are and is reduced as the object's own `reduction` says (none: as Keras's CompileLoss,
    "sum_over_batch_size")."""
    from .losses import _same_rank
    loss = getattr(fn, "_loss_object", None)
    if loss is None:
        values = fn(*_same_rank(y, y_pred))
        reduction, what = "sum_over_batch_size", getattr(fn, "__name__", "loss")
    else:
        values = fn(y, y_pred)
        reduction, what = loss._config.get("reduction", "sum_over_batch_size"), loss.name
    if reduction in (None, "none"):
        reduction = "sum_over_batch_size"   # Keras's CompileLoss reduces what the loss did not
    from .ops._trace import is_symbolic
    if not is_symbolic(values):
        raise TypeError(f"{what} returned {type(values).__name__}, not a tensor of the trace")
    return values, reduction, what


def traced_python_loss(fn, y, y_pred, sample_weight):
    """Keras's compiled form of a loss written in Python, on symbolic tensors (inside a traced
    compute_loss that calls super().compute_loss): python_loss_values reduced with the sample
    weights. A scalar result is used as it is (times the sample weights' mean)."""
    from .losses import _reduce_symbolic
    values, reduction, what = python_loss_values(fn, y, y_pred)
    return _reduce_symbolic(values, sample_weight, reduction, what)


def trace_compiled_loss(fn, builder):
    """keras_register_loss_graph's trace of a compiled loss written in Python: its values on the
    graph's y_true and y_pred (inputs 0 and 1) become the graph's output, reduced by the library.
    A loss that needs values (numpy on its inputs) or an op the tracer lacks sets no output: the
    library then computes it with the numpy callback, as before, for those shapes."""
    from .ops import _trace
    trace = _trace.Trace(builder, None)
    previous = _trace.active()
    _trace._state.trace = trace
    try:
        y_true, y_pred = trace.input(0), trace.input(1)
        try:
            values, _, _ = python_loss_values(fn, y_true, y_pred)
            node = trace.node_of(values)
        except Exception:  # noqa: BLE001 — not traceable: the numpy path
            return
        trace._check(_lib.keras_layer_builder_output(builder, node, -1))
    finally:
        _trace._state.trace = previous


def _traced_loss(loss, y, y_pred, sample_weight):
    """Keras's loss `loss` reduced as its Loss objects reduce ("sum_over_batch_size": the
    per-sample losses times the sample weights, averaged), with ops (symbolic tensors)."""
    from . import ops
    fn = _python_loss_function(loss)
    if fn is not None:
        return traced_python_loss(fn, y, y_pred, sample_weight)
    name = _loss_name(loss)
    config = loss.get("config", {}) if isinstance(loss, dict) else {}
    logits = bool(config.get("from_logits", False))
    if name == "mean_squared_error":
        per_sample = ops.mean(ops.square(y_pred - y), axis=-1)
    elif name == "mean_absolute_error":
        per_sample = ops.mean(ops.abs(y_pred - y), axis=-1)
    elif name == "binary_crossentropy":
        per_sample = ops.mean(ops.binary_crossentropy(y, y_pred, from_logits=logits), axis=-1)
    elif name == "categorical_crossentropy":
        per_sample = ops.categorical_crossentropy(y, y_pred, from_logits=logits)
    elif name == "sparse_categorical_crossentropy":
        per_sample = ops.sparse_categorical_crossentropy(y, y_pred, from_logits=logits)
    else:
        raise NotImplementedError(
            f"compute_loss: the compiled loss {loss!r} has no traced form here (mse, mae and the "
            f"three crossentropies have); compute the loss with swiftkeras.ops in your "
            f"compute_loss instead of calling super().compute_loss")
    if sample_weight is not None:
        weight = sample_weight
        for _ in range(len(per_sample.shape) - 1):   # Keras: expanded to the losses' rank
            weight = ops.expand_dims(weight, -1)
        per_sample = per_sample * weight
    return ops.mean(per_sample)


def _per_output(value, names, what):
    """A compile argument given per output (a list in output order, a dict by output name, or
    one value for all) as a list in output order."""
    if isinstance(value, dict) and "class_name" not in value:   # not one serialized loss
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compute_loss: {what} names {unknown}, which are not outputs of the "
                             f"model ({names})")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"compute_loss: {what} has {len(value)} entries for {len(names)} outputs")
        return list(value)
    return [value] * len(names)


def compute_loss(model, y, y_pred, sample_weight):
    """Keras's default `compute_loss`: the compiled loss(es) weighted by `loss_weights`, plus the
    model's added losses and weight penalties (which the library adds to every traced step
    itself, so the traced form returns the compiled part)."""
    from .ops._trace import is_symbolic
    config = model._compile_config or {}
    loss = config.get("loss")
    flat_pred = list(y_pred.values()) if isinstance(y_pred, dict) else \
        list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]
    traced = any(is_symbolic(t) for t in flat_pred) or is_symbolic(y)
    if traced:
        model._compute_loss_super_called = True
    if loss is None:
        if traced:   # Keras (jax): no compiled loss adds nothing
            from . import ops
            return ops.multiply(ops.sum(flat_pred[0]), 0.0)
        raise ValueError(f"{model.name}.compute_loss: the model was compiled without a loss")
    if not traced:
        if isinstance(loss, list) or (isinstance(loss, dict) and "class_name" not in loss) \
                or len(flat_pred) != 1:
            raise NotImplementedError("compute_loss: the default loss of a model with several "
                                      "outputs is not available on values here (it is in a traced "
                                      "compute_loss)")
        from ._array_eval import reduced_loss
        total = reduced_loss(loss, y, y_pred, sample_weight, f"{model.name}.compute_loss")
        # Keras adds `model.losses` (the last call's added losses, the weight penalties).
        extra = model.losses
        return np.float32(total + np.sum(extra, dtype=np.float32)) if extra else total
    names = list(y_pred) if isinstance(y_pred, dict) else \
        getattr(model, "_compute_loss_output_names", None) or [f"output_{i}" for i in range(len(flat_pred))]
    flat_y = [y[n] for n in names] if isinstance(y, dict) else \
        list(y) if isinstance(y, (list, tuple)) and len(flat_pred) > 1 else [y]
    losses = _per_output(loss, names, "loss")
    weights = _per_output(config.get("loss_weights"), names, "loss_weights")
    total = None
    for index, (target, pred, each, weight) in enumerate(zip(flat_y, flat_pred, losses, weights)):
        if each is None:
            continue
        term = _traced_loss(each, target, pred, sample_weight)
        if len(flat_pred) > 1 and _python_loss_function(each) is not None:
            _record_output_loss(model, index, names, pred, term)
        if weight is not None and float(weight) != 1.0:
            term = term * float(weight)
        total = term if total is None else total + term
    if total is None:   # every output's loss is None
        from . import ops
        return ops.multiply(ops.sum(flat_pred[0]), 0.0)
    return total


def _record_output_loss(model, index, names, pred, term):
    """The figure `<output>_loss` of output `index` whose compiled loss is written in Python, as
    Keras's CompileLoss tracks it (the unweighted loss, a mean over batches weighted by their
    rows), computed in the trace: the library's own figure of that name comes from the stand-in
    loss of weight 0 (_send_compile), which this one replaces (the first output's figure carries
    the compute_loss layer's name there, renamed back by models._user_log_names)."""
    from . import ops
    from .ops._trace import active
    trace = active()
    if trace is None or trace.layer is None:
        return
    name = (model._compute_loss_layer_name if index == 0 else names[index]) + "_loss"
    width = math.prod(pred.shape[1:]) if len(pred.shape) > 1 else 1
    rows = ops.sum(ops.mean(ops.ones_like(ops.reshape(pred, (-1, width))), axis=-1))
    trace.metric_updates.append((trace.mode, name, term * rows, rows))


# ---- the traced compute_loss inside the model's graph --------------------------------------

class LossInputs:
    """What a traced `compute_loss` receives besides `y_pred`, and how the binding feeds it: one
    input per target (in output order, each with its shape without the batch axis), then the
    sample weights when they are fed (fit's sample_weight, or its class_weight as Keras turns it
    into sample weights). `y_kind` is how Keras passes `y`: "array", "list" or "dict" (keyed by
    output names; the shapes are then a dict until the output names are known)."""

    def __init__(self, shapes, y_kind, weighted):
        self.shapes = {k: tuple(v) for k, v in shapes.items()} if isinstance(shapes, dict) \
            else [tuple(v) for v in shapes]
        self.y_kind, self.weighted = y_kind, bool(weighted)

    @property
    def count(self):
        return len(self.shapes) + int(self.weighted)

    def key(self):
        return (self.y_kind, repr(self.shapes), self.weighted)

    def ordered(self, output_names):
        """The target shapes in output order."""
        if not isinstance(self.shapes, dict):
            return self.shapes
        missing = [n for n in output_names if n not in self.shapes]
        if missing or len(self.shapes) != len(output_names):
            raise ValueError(f"y: the dict keys {sorted(self.shapes)} do not match the model's "
                             f"outputs {output_names}")
        return [self.shapes[n] for n in output_names]

    @classmethod
    def of(cls, y, weighted):
        if isinstance(y, dict):
            return cls({k: np.shape(v)[1:] for k, v in y.items()}, "dict", weighted)
        if isinstance(y, (list, tuple)) and y and all(hasattr(v, "shape") and len(v.shape) >= 1
                                                      for v in y):
            if len(y) == 1:
                return cls([np.shape(y[0])[1:]], "array", weighted)
            return cls([np.shape(v)[1:] for v in y], "list", weighted)
        return cls([np.shape(y)[1:]], "array", weighted)


def class_weight_to_sample_weight(y, class_weight):
    """Keras's `class_weight_to_sample_weights`: each row's weight is its class's (the argmax of
    one-hot rows, else the rounded label), 1 for classes not listed."""
    y = np.asarray(y)
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else np.squeeze(y, axis=-1)
    labels = np.round(y).astype(np.int32)
    return np.asarray([class_weight.get(int(c), 1.0) for c in labels], np.float32)


def call_compute_loss(model, x, y, y_pred, sample_weight, training):
    """Keras's `Trainer._compute_loss`: `training` goes only to a compute_loss that takes it
    (keras.io's knowledge distillation writes `compute_loss(self, x, y, y_pred, sample_weight,
    allow_empty)`)."""
    if "training" in inspect.signature(model.compute_loss).parameters:
        return model.compute_loss(x, y, y_pred, sample_weight, training=training)
    return model.compute_loss(x, y, y_pred, sample_weight)


def with_compute_loss(model, inputs, outputs, spec, x_keys=None):
    """The graph of `model` with its `compute_loss` traced in: the targets and, when `spec` says
    so, the sample weights as more inputs, and an op layer taking the outputs, the targets, the
    sample weights and the model's inputs (joined into rows) that adds `compute_loss(...)` to
    the loss and passes the first output through. Returns (inputs, outputs)."""
    from . import ops
    from .layers import Input, KerasTensor
    from ._objects import unique_name
    from .ops._functional import _merge_layer
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    if not outs or not all(isinstance(t, KerasTensor) for t in outs):
        raise NotImplementedError(f"{type(model).__name__}.compute_loss: a traced compute_loss "
                                  f"takes a model whose outputs are layer outputs")
    model._compute_loss_output_names = [t.name for t in outs]
    target_shapes = spec.ordered(model._compute_loss_output_names)
    if len(target_shapes) != len(outs):
        raise ValueError(f"{type(model).__name__}.compute_loss: the model has {len(outs)} outputs "
                         f"but y has {len(target_shapes)} targets")
    pred_shapes = [tuple(t.shape[1:]) for t in outs]
    x_shapes = [tuple(t.shape[1:]) for t in inputs]
    for what, shapes in (("outputs", pred_shapes), ("targets", target_shapes), ("inputs", x_shapes)):
        if any(None in shape for shape in shapes):
            raise NotImplementedError(f"{type(model).__name__}.compute_loss: a traced compute_loss "
                                      f"needs {what} of known shapes, got {shapes}")
    targets = [Input(batch_shape=(None,) + shape, name=unique_name("compute_loss_targets"))
               for shape in target_shapes]
    extra = list(targets)
    if spec.weighted:
        extra.append(Input(batch_shape=(None,), name=unique_name("compute_loss_sample_weight")))

    def flat(tensor, shape):
        width = math.prod(shape)
        if len(shape) == 1:
            return tensor
        # Rank 1 (labels, sample weights), 3 and above: rows of `width` values.
        layer = OpLayer(lambda s: ops.reshape(s, (-1, width)), name=unique_name("reshape"))
        layer._op_node = True
        return layer(tensor)

    parts = [(t, shape) for t, shape in zip(outs, pred_shapes)] + \
        [(t, shape) for t, shape in zip(targets, target_shapes)] + \
        ([(extra[-1], ())] if spec.weighted else []) + list(zip(inputs, x_shapes))
    joined = _merge_layer("Concatenate", axis=-1)([flat(t, shape) for t, shape in parts])
    layer = _ComputeLoss(model, pred_shapes, target_shapes, spec, x_shapes, x_keys,
                         [t.name for t in outs], name=unique_name("compute_loss"))
    model._compute_loss_layer_name = layer.name
    new_outputs = [layer(joined)] + outs[1:]
    return [*inputs, *extra], new_outputs if isinstance(outputs, (list, tuple)) else new_outputs[0]


class _ComputeLoss(OpLayer):
    """The model's first output, with `compute_loss(x, y, y_pred, sample_weight, training)`
    added to the loss (add_loss); traced for both training modes."""

    class_name = "ComputeLoss"
    _registered_name = "swiftkeras>ComputeLoss"
    # One trace with the batch unknown (the compute_loss its tests and users see), never one per
    # run shape (ops/_trace.py ReadsSizes)
    _sizes_per_run = False

    def __init__(self, model, pred_shapes, target_shapes, spec, x_shapes, x_keys, output_names,
                 **kwargs):
        super().__init__(None, **kwargs)
        self._model, self._pred_shapes, self._spec = model, pred_shapes, spec
        self._target_shapes = target_shapes
        self._x_shapes, self._x_keys, self._output_names = x_shapes, x_keys, output_names
        self._sublayers_of = model   # the layers its compute_loss may call (ops._trace._attribute_of)

    def _split(self, inputs):
        from . import ops
        shapes = self._pred_shapes + self._target_shapes + ([()] if self._spec.weighted else []) + \
            self._x_shapes
        pieces, at = [], 0
        for shape in shapes:
            width = max(math.prod(shape), 1)
            piece = inputs[:, at:at + width]
            pieces.append(ops.reshape(piece, (-1,) + shape) if shape else ops.reshape(piece, (-1,)))
            at += width
        n, t = len(self._pred_shapes), len(self._target_shapes)
        preds, ys = pieces[:n], pieces[n:n + t]
        weight = pieces[n + t] if self._spec.weighted else None
        at = n + t + int(self._spec.weighted)
        xs = pieces[at:at + len(self._x_shapes)]
        return preds, ys, weight, xs

    def call(self, inputs, training=None):
        preds, ys, weight, xs = self._split(inputs)
        model = self._model
        if model._compile_config is None:
            # Built before compile: traced again once compile gives the model its loss.
            model._compute_loss_uncompiled = True
            return preds[0]
        names = self._output_names
        y_pred = preds[0] if len(preds) == 1 else preds
        y = {"array": lambda: ys[0], "list": lambda: ys,
             "dict": lambda: dict(zip(names, ys))}[self._spec.y_kind]()
        x = dict(zip(self._x_keys, xs)) if self._x_keys else xs[0] if len(xs) == 1 else xs
        model._compute_loss_super_called = False
        loss = call_compute_loss(model, x, y, y_pred, weight, bool(training))
        if loss is None:
            raise ValueError(f"{type(model).__name__}.compute_loss returned None; it must return "
                             f"the loss (a scalar)")
        if not model._compute_loss_super_called and _penalized_layers(model):
            raise NotImplementedError(
                f"{type(model).__name__}.compute_loss does not call super().compute_loss, so in "
                f"Keras the weight penalties and added losses of "
                f"{', '.join(_penalized_layers(model))} do not enter the loss; the library adds "
                f"them to every step. Call super().compute_loss(x, y, y_pred, sample_weight) in "
                f"the override (it brings the compiled loss and the penalties), or drop the "
                f"regularizers and add_loss calls")
        if training:   # Keras reports each output's loss only when the compiled loss ran
            model._compute_loss_uses_super = model._compute_loss_super_called
        self.add_loss(loss)
        return preds[0]


_PENALTIES = ("kernel_regularizer", "bias_regularizer", "activity_regularizer",
              "recurrent_regularizer", "depthwise_regularizer", "pointwise_regularizer",
              "embeddings_regularizer", "beta_regularizer", "gamma_regularizer")


def _penalized_layers(model):
    """The names of the model's layers with a weight or activity penalty, or whose traced call
    adds a loss (add_loss)."""
    found = []
    for layer in model._layers:
        config = getattr(layer, "_args", None) or {}
        if layer is not model and (any(config.get(key) for key in _PENALTIES) or
                                   getattr(layer, "_traced_adds_loss", False)):
            found.append(layer.name)
    return found


# ---- test_step / predict_step called per batch ---------------------------------------------

def _batches(n, batch_size):
    size = int(batch_size or 32)
    if size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    return [(i, min(i + size, n)) for i in range(0, n, size)]


def _rows_of(data):
    first = data[0] if isinstance(data, (list, tuple)) else data
    return len(first)


def _take(data, start, stop):
    return _rows_at(data, slice(start, stop))


def _rows_at(data, rows):
    """The rows `rows` (a slice or an index array) of every array in `data`, its structure kept."""
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return type(data)(_rows_at(d, rows) for d in data)
    if isinstance(data, dict):
        return {k: _rows_at(v, rows) for k, v in data.items()}
    return np.asarray(data)[rows]


def _pythonify(logs):
    """Keras's `pythonify_logs`: the logs by sorted name, nested dicts flattened, values as
    Python floats (arrays kept)."""
    out = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            out.update(_pythonify(value))
        else:
            value = np.asarray(np.nan if value is None else value)
            out[key] = float(value) if value.ndim == 0 else value
    return out


def _metrics_result_or_logs(model, logs):
    """Keras's `_get_metrics_result_or_logs`: `model.metrics`'s results when their names are the
    step's logs' (the step updated them), else the last step's logs as returned."""
    logs = _pythonify(logs)
    metric_logs = _pythonify(model.get_metrics_result())
    return metric_logs if set(logs) == set(metric_logs) else logs


def evaluate_by_steps(model, x, y, batch_size, sample_weight, return_dict, callbacks=None):
    """Keras's evaluate with an overridden `test_step(data)`: one call per batch, on numpy, the
    Python callbacks' test hooks called as Keras calls them (a CallbackList given, fit's for its
    validation, keeps its params; a list gets evaluate's)."""
    from ._plugins import PythonCallback
    from .callbacks import CallbackList
    from .models import _flat_callbacks
    batches = _batches(_rows_of(x), batch_size)
    if not isinstance(callbacks, CallbackList):
        callbacks = CallbackList([c for c in _flat_callbacks(callbacks) or []
                                  if isinstance(c, PythonCallback)], model=model, verbose=0,
                                 epochs=1, steps=len(batches))
    callbacks.on_test_begin()
    model.reset_metrics()
    logs = {}
    for step, (start, stop) in enumerate(batches):
        callbacks.on_test_batch_begin(step)
        data = (_take(x, start, stop), _take(y, start, stop))
        if sample_weight is not None:
            data += (_take(sample_weight, start, stop),)
        logs = model.test_step(data)
        callbacks.on_test_batch_end(step, _pythonify(logs))
    logs = _metrics_result_or_logs(model, logs)
    callbacks.on_test_end(logs)
    if return_dict:
        return logs
    names = []
    for m in model.metrics:
        names += list(m.result()) if isinstance(m, CompileMetrics) else [m.name]
    values = [logs[n] for n in names if n in logs] + [logs[k] for k in sorted(logs) if k not in names]
    return values[0] if len(values) == 1 else values


def predict_by_steps(model, x, batch_size):
    """Keras's predict with an overridden `predict_step(data)`: one call per batch (data is the
    batch of x, as Keras's TensorFlow and torch backends pass it); outputs joined by rows."""
    parts = [model.predict_step(_take(x, start, stop)) for start, stop in _batches(_rows_of(x), batch_size)]
    if parts and isinstance(parts[0], (list, tuple)):
        return [np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(len(parts[0]))]
    if parts and isinstance(parts[0], dict):
        return {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}
    return np.concatenate([np.asarray(p) for p in parts])


# ---- train_step called per batch, super().train_step taken by the library ----------------

def library_train_step(model, x, y, sample_weight, follow_metrics=True, recorded=None):
    """Keras's default train step: the library's training step on this batch (forward pass,
    loss with penalties and added losses, gradients, optimizer update: fit's step), its loss and
    compiled metrics running on through the epoch as Keras's `model.metrics` do (reset by
    `reset_metrics()`, which fit calls at each epoch's start). `model.metrics` follow the
    library's figures; returns them (Keras: `compute_metrics`'s result). follow_metrics False
    (a GradientTape step, whose train_step updates the metrics itself): they are left as they are.
    `recorded`: the id of the training forward pass the library recorded on x (a GradientTape
    block's call: keras_model_record_forward), which the step finishes instead of running its
    own (keras_model_train_recorded)."""
    if not _lib.has("keras_model_train_batch"):
        raise NotImplementedError(f"{type(model).__name__}.train_step: super().train_step needs "
                                  f"keras_model_train_batch, which this libkeras.so lacks")
    _, xs_list, ys_list, sw = model._training_arrays(x, y, sample_weight, "fit")
    model._take_trainable_flags()
    model._check_optimizer_variables()
    restart = model.__dict__.get("_train_metrics_fresh", True)
    weights = [sw] if sw is not None else []
    if recorded is not None:
        py, pw = _native.pack(ys_list), _native.pack(weights)
        figures = json.loads(_native.take_string(_lib.keras_model_train_recorded, model._handle,
                                                 int(recorded), py.pointer, py.count, pw.pointer,
                                                 int(bool(restart))))
    else:
        figures = _StepFigures.of(model).step(model._handle, xs_list, ys_list, weights, restart)
    model._train_metrics_fresh = False
    logs = {k: np.asarray(v, np.float32) if isinstance(v, list) else np.float32(np.nan if v is None else v)
            for k, v in model._user_log_names(figures).items()}
    for m in compiled_metric_objects(model) if follow_metrics else ():
        if isinstance(m, LossTracker):
            m._follow(logs.get("loss", np.nan), len(xs_list[0]), restart)
        else:
            m._library = {k: v for k, v in logs.items() if k != "loss"}
    return logs


class _StepFigures:
    """A model's training step on one batch with its figures read as numbers
    (keras_model_train_batch_values), for fit's loop from Python (a PyDataset's batches): no
    JSON per batch. The figures' names and widths are the same from batch to batch of one
    compile: the first step of a compile takes keras_model_train_batch, whose logs name them."""

    def __init__(self, config):
        self.config, self.layout, self.values = config, None, None
        # The descriptors of the last batch's arrays, pointed at the next batch's (ArrayPack.holding)
        self.x = self.y = self.weights = _native.pack([])

    @staticmethod
    def of(model):
        cached = model.__dict__.get("_step_figures")
        if cached is None or cached.config is not model._compile_config:
            cached = model._step_figures = _StepFigures(model._compile_config)
        return cached

    def step(self, handle, xs, ys, weights, restart):
        """The library's figures after the step on these arrays (inputs, targets, and the sample
        weights or none), as keras_model_train_batch's logs: a name to a number, or to a list (a
        metric reported per class)."""
        px = self.x = self.x.holding(xs)
        py = self.y = self.y.holding(ys)
        pw = self.weights = self.weights.holding(weights)
        if self.layout is None:
            figures = json.loads(_native.take_string(
                _lib.keras_model_train_batch, handle, px.pointer, px.count,
                py.pointer, py.count, pw.pointer, int(bool(restart))))
            self.layout = [(k, len(v) if isinstance(v, list) else 0) for k, v in figures.items()]
            self.values = (ctypes.c_double * max(1, sum(max(w, 1) for _, w in self.layout)))()
            self.count = ctypes.c_int64()
            return figures
        _native.check(_lib.keras_model_train_batch_values(
            handle, px.pointer, px.count, py.pointer, py.count, pw.pointer,
            int(bool(restart)), None, self.values, len(self.values), ctypes.byref(self.count)))
        values, figures, at = self.values, {}, 0
        if self.count.value != len(values):   # (not after the first step of a compile)
            self.layout = None
            raise _native.KerasError(f"train_step: the library gave {self.count.value} figures after "
                                     f"a step where the first step of this compile gave {len(values)}")
        for name, width in self.layout:
            if width:
                figures[name] = values[at:at + width]
                at += width
            else:
                figures[name] = values[at]
                at += 1
        return figures


def compiled_metric_objects(model):
    """The loss tracker and the compiled metrics that `model.metrics` starts with once compiled
    (none before), made once per compile: the objects the library's figures feed at each batch
    of a fit from Python, found without `model.metrics`'s scan of the model's attributes for
    the metrics it tracks (a tenth of the binding's time per batch). Made when first asked for,
    they show the figures of the library's last fit or evaluate since this compile, as they
    would had they been made before it (Model._keep_metric_states)."""
    config = model._compile_config
    if config is None:
        return ()
    cached = model.__dict__.get("_metric_objects")
    if cached is None or cached[0] is not config:
        objects = [LossTracker(model=model)]
        if config.get("metrics") or config.get("weighted_metrics"):   # (Keras's CompileMetrics)
            objects.append(CompileMetrics(config, model=model))
        cached = model._metric_objects = (config, tuple(objects))
        shown = model.__dict__.get("_library_logs")
        if shown is not None and shown[0] is config:
            for m in objects:
                m._show_library_logs(shown[1])
    return cached[1]


class _ArrayBatches:
    """The batches of array data for a Python fit loop, as the library's EpochIterator (Keras 3's
    over arrays) makes them: a new permutation per pass when shuffling (with shuffle="batch",
    one of each batch's rows as it is taken); with `steps_per_epoch`
    the position carries over from one epoch to the next and an epoch ends early, with Keras's
    warning, when the data run out."""

    def __init__(self, data, rows, batch_size, shuffle, steps_per_epoch):
        self.data, self.rows = data, rows
        self.size = int(batch_size or 32)
        if self.size <= 0:
            raise ValueError(f"fit: batch_size must be positive, got {batch_size}")
        from .models import _shuffle_option
        self.shuffle, self.steps_per_epoch = _shuffle_option(shuffle), steps_per_epoch
        self.order, self.cursor = np.arange(rows), rows

    @property
    def num_batches(self):
        return self.steps_per_epoch or math.ceil(self.rows / self.size)

    def peek(self):
        """Draws what Keras's first fit after compile draws to peek at a batch (its symbolic
        build): a shuffled pass's order, or with shuffle="batch" the first batch's."""
        if self.shuffle == "batch":
            np.random.permutation(min(self.size, self.rows))
        elif self.shuffle:
            np.random.permutation(self.rows)

    def epoch(self):
        for step in range(self.num_batches):
            if self.steps_per_epoch is not None and step > 0 and self.cursor >= self.rows:
                import warnings
                warnings.warn("Your input ran out of data; interrupting training. Make sure that "
                              "your dataset or generator can generate at least `steps_per_epoch "
                              "* epochs` batches. You may need to use the `.repeat()` function "
                              "when building your dataset.", stacklevel=3)
                return
            if self.cursor >= self.rows or (self.steps_per_epoch is None and step == 0):
                self.order = np.random.permutation(self.rows) if self.shuffle is True else np.arange(self.rows)
                self.cursor = 0
            end = min(self.cursor + self.size, self.rows)
            if self.shuffle == "batch":
                rows = np.random.permutation(end - self.cursor) + self.cursor
            else:
                rows = self.order[self.cursor:end] if self.shuffle else slice(self.cursor, end)
            self.cursor = end
            yield step, _rows_at(self.data, rows)


class _DatasetBatches:
    """The batches of a PyDataset, dataset or generator, one epoch at a time (as given: Keras
    hands them to train_step as they come), class weights added as sample weights."""

    def __init__(self, data, steps_per_epoch, class_weight, shuffle=False):
        from . import _datasets
        self.data, self.steps_per_epoch, self.class_weight = data, steps_per_epoch, class_weight
        self.num_batches = steps_per_epoch or (len(data) if hasattr(data, "__len__") else None)
        # A PyDataset's batches in a new order each epoch, drawn with Python's `random` as
        # Keras's adapter draws them (it draws one order first, to peek at a batch's specs).
        self.shuffle = _datasets.shuffles_batches(data, shuffle)
        self.dataset = isinstance(data, _datasets.PyDataset)
        if self.dataset:   # (Keras's EpochIterator.reset, before the first epoch)
            data.on_epoch_end()

    def epoch(self):
        from . import _datasets
        if self.dataset:
            self.data.on_epoch_begin()
        batches = _datasets._take(self.data, self.steps_per_epoch, self.shuffle)
        for step, batch in enumerate(batches):
            if self.class_weight:
                x, y, sw = unpack_x_y_sample_weight(batch)
                if sw is not None:
                    raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
                batch = (x, y, class_weight_to_sample_weight(y, self.class_weight))
            yield step, batch
        if self.dataset:
            self.data.on_epoch_end()


def _refuse_stateless_form(model):
    """Keras's JAX form `train_step(self, state, data)` returns new variable values computed
    with jax.grad: refused before any step, naming the routes."""
    import inspect
    try:
        params = [p for p in inspect.signature(model.train_step).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    except (TypeError, ValueError):
        return
    if len(params) >= 2:
        raise NotImplementedError(GRADIENTS_ROUTE.format(
            what=f"{type(model).__name__}.train_step(state, data) is Keras's JAX form, which "
                 f"computes new weights with jax.grad from the state it is given"))


def fit_by_steps(model, x, y, *, batch_size, epochs, verbose, callbacks, validation_split,
                 validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                 steps_per_epoch, validation_steps, validation_batch_size, validation_freq):
    """Keras's fit (its TensorFlow/torch loop) with an overridden `train_step(data)`: one call per
    batch from Python, Python callbacks called as Keras calls them, `validation_data` (or
    `validation_split`'s last rows) evaluated at the end of each epoch (`validation_freq`),
    `History` returned. Ctrl-C raises KeyboardInterrupt between steps, the weights those of the
    last finished step."""
    from . import _datasets, _gradient_tape, _text_callables
    from ._plugins import PythonCallback
    from .callbacks import CallbackList, ProgbarLogger, _LibraryCallbacks, _RecordingHistory, \
        library_callbacks
    from .models import History, _flat_callbacks, _verbosity
    _refuse_stateless_form(model)
    peeks = model.__dict__.pop("_peeks_at_first_fit", False)
    user = _flat_callbacks(callbacks) or []
    if any(not isinstance(c, PythonCallback) for c in user) and \
            not _lib.has("keras_model_callbacks_begin"):
        raise NotImplementedError("fit: the library's callbacks in a train_step override's loop need "
                                  "keras_model_callbacks_begin, which this libkeras.so lacks")
    if _datasets.is_dataset(x):
        if validation_split:
            raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays, "
                             "not for datasets or generators")
        batches = _DatasetBatches(x, steps_per_epoch, class_weight, shuffle)
    else:
        if x is None:
            raise ValueError("fit: x is required")
        x = _text_callables.model_inputs(model, x)
        if class_weight:
            sample_weight = model._class_weight_as_sample_weight(y, class_weight, sample_weight)
        rows = _rows_of(list(x.values()) if isinstance(x, dict) else x)
        if validation_split and validation_data is None:
            if not 0 < validation_split < 1:
                raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
            split = int(math.floor(rows * (1.0 - validation_split)))   # Keras: the last rows
            if split <= 0 or split >= rows:
                raise ValueError(f"fit: validation_split={validation_split} leaves no samples for "
                                 f"training or validation ({rows} samples)")
            validation_data = (_take(x, split, rows), _take(y, split, rows)) +                 ((_take(sample_weight, split, rows),) if sample_weight is not None else ())
            x, y, sample_weight = _take(x, 0, split), _take(y, 0, split), _take(sample_weight, 0, split)
            rows = split
        data = (x, y) if sample_weight is None else (x, y, sample_weight)
        if y is None and sample_weight is None:
            # Keras's pack_x_y_sample_weight: without targets the batch is x itself (a GAN's
            # train_step(real_images)), a tuple (x,) when x is a list of inputs.
            data = (x,) if isinstance(x, (list, tuple)) else x
        batches = _ArrayBatches(data, rows, batch_size, shuffle, steps_per_epoch)
        if peeks:
            batches.peek()
    if validation_data is not None and not _datasets.is_dataset(validation_data) and             (not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3)):
        raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                         "(x_val, y_val, val_sample_weight)")
    if model._handle is None and overrides(model, "call"):
        # Keras builds the model before the first step (a GAN with no call of its own has
        # nothing to build: its train_step calls its parts)
        first = _datasets._take(x, 1)[0] if isinstance(x, _datasets.PyDataset) else \
            None if _datasets.is_dataset(x) else (_take(x, 0, 1), None)
        if first is not None:
            model._ensure_handle(_text_callables.model_inputs(model, unpack_x_y_sample_weight(first)[0]))
    verbose = _verbosity(verbose, 1)
    history = _RecordingHistory()
    params = {"verbose": verbose, "epochs": int(epochs), "steps": batches.num_batches}
    # The library's callbacks fire in the library, in their place among the user's.
    user = library_callbacks(user, model, params)
    cbs = CallbackList(user + ([ProgbarLogger()] if verbose else []) + [history], model=model,
                       **params)
    model._stop_training = False
    model._fitting = True
    model._resume_epoch = None
    try:
        cbs.on_train_begin()
        # Keras: `initial_epoch = self._initial_epoch or initial_epoch` (BackupAndRestore's).
        start = model.__dict__.pop("_resume_epoch", None) or int(initial_epoch)
        logs, training_logs = {}, None
        # Per batch, only what is read: the batch hooks of callbacks that have them (Keras's
        # logs made for them), the batch noted for a GradientTape in an overridden train_step.
        begins, ends = cbs._calls("on_train_batch_begin"), cbs._calls("on_train_batch_end")
        noted = overrides(model, "train_step")
        for epoch in range(start, int(epochs)):
            model.reset_metrics()
            cbs.on_epoch_begin(epoch)
            for step, batch in batches.epoch():
                if begins:
                    cbs.on_train_batch_begin(step)
                if noted:
                    with _gradient_tape.fit_batch(model, batch):
                        logs = model.train_step(batch)
                else:
                    logs = model.train_step(batch)
                if ends:
                    logs = _pythonify(logs)
                    cbs.on_train_batch_end(step, logs)
                if model.stop_training:
                    break
            epoch_logs = dict(_metrics_result_or_logs(model, logs))
            if validation_data is not None and (epoch + 1) % int(validation_freq) == 0:
                if _datasets.is_dataset(validation_data):
                    val = model.evaluate(validation_data, steps=validation_steps, verbose=0,
                                         callbacks=user or None, return_dict=True)
                else:
                    vx, vy, vsw = (tuple(validation_data) + (None,))[:3]
                    # An overridden test_step: Keras's evaluate hands fit's callback list the
                    # test hooks, its params kept.
                    val = model.evaluate(vx, vy, sample_weight=vsw, verbose=0, return_dict=True,
                                         batch_size=validation_batch_size or batch_size,
                                         callbacks=CallbackList([c for c in user if isinstance(
                                             c, PythonCallback)], model=model)
                                         if overrides(model, "test_step") else user or None)
                epoch_logs.update({"val_" + k: v for k, v in _pythonify(val).items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if model.stop_training:
                break
        if int(epochs) > 0 and model._handle is not None and \
                _lib.has("keras_model_finalize_variable_values"):
            # Keras's fit: with use_ema the weights become their moving averages.
            from ._native import check
            check(_lib.keras_model_finalize_variable_values(model._handle))
        cbs.on_train_end(training_logs)
    finally:
        model._fitting = False
        model.__dict__.pop("_resume_epoch", None)
        for c in user:
            if isinstance(c, _LibraryCallbacks):
                c.close()
    model.history = History(model, {"history": history.history, "epoch": history.epoch,
                                    "params": {"epochs": int(epochs), "verbose": verbose,
                                               "steps": batches.num_batches}})
    return model.history


def unpack_x_y_sample_weight(data):
    """Keras `keras.utils.unpack_x_y_sample_weight`: (x, y, sample_weight) from a step's data."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data}")
