"""Keras 3's customization points of a Model's steps, as a swiftkeras user can write them.

- `compute_loss(x, y, y_pred, sample_weight, training)` written with `swiftkeras.ops` is traced
  once into the library's graph: a layer at the end of the model takes `y_pred` and the targets
  (a second input the binding feeds), adds the returned loss with `add_loss`, and the library
  trains on it with its own autodiff (the compiled loss enters with weight 0). `fit`, `evaluate`
  and `test_on_batch` report it as the loss; compiled metrics are the library's.
- `test_step(data)` and `predict_step(data)` (Keras's TensorFlow/torch form) are called per batch
  from Python, on numpy: `self(x)`, `self.compute_loss`, `self.metrics` (the loss tracker and
  the compiled metrics, with `update_state`/`result`/`reset_state`), `self.compute_metrics`.
- `train_step` cannot run: its gradients come from a backend (GradientTape, jax.grad, backward).
  `fit` refuses it, naming the route above: a traced `compute_loss`.
"""

from __future__ import annotations

import math

import numpy as np

from .ops._functional import OpLayer

TRAIN_STEP_ROUTE = (
    "{cls}.train_step: swiftkeras runs fit's training steps in its library, which computes the "
    "gradients, so a train_step (whose gradients come from a backend's GradientTape, jax.grad or "
    "backward) cannot run. Override compute_loss(self, x, y, y_pred, sample_weight=None, "
    "training=True) with swiftkeras.ops instead: it is traced into the library's graph and "
    "differentiated there. test_step(data) and predict_step(data) overrides are called per batch.")


def overrides(model, method):
    """True when a class below swiftkeras's Model defines `method`."""
    from .models import Model, Sequential
    from ._model_api import ModelAPI
    return any(method in vars(c) for c in type(model).__mro__
               if c not in (Model, Sequential, ModelAPI, object))


class LossTracker:
    """Keras's `Mean(name="loss")` that `model.metrics` starts with: a weighted mean of values."""

    def __init__(self, name="loss"):
        self.name = name
        self.reset_state()

    def update_state(self, values, sample_weight=None):
        v = np.asarray(values, np.float64)
        w = np.broadcast_to(np.asarray(1.0 if sample_weight is None else sample_weight,
                                       np.float64), v.shape)
        self._total += float((v * w).sum())
        self._count += float(w.sum())

    def result(self):
        return np.float32(self._total / self._count if self._count else 0.0)

    def reset_state(self):
        self._total, self._count = 0.0, 0.0

    def __repr__(self):
        return f"<Mean name={self.name}>"


class CompileMetrics:
    """Keras's `CompileMetrics`: the compiled metrics over the batches they were updated with,
    computed by the library (an identity model compiled with the model's loss and metrics)."""

    name = "compile_metrics"

    def __init__(self, compile_config):
        self._config = compile_config
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        from ._native import as_float32
        self._batches.append((as_float32(y_true, "y_true"), as_float32(y_pred, "y_pred"),
                              None if sample_weight is None else as_float32(sample_weight, "sample_weight")))

    def result(self):
        if not self._batches or not (self._config.get("metrics") or self._config.get("weighted_metrics")):
            return {}
        yt = np.concatenate([b[0] for b in self._batches])
        yp = np.concatenate([b[1] for b in self._batches])
        weights = [b[2] for b in self._batches]
        sw = None if all(w is None for w in weights) else np.concatenate(
            [np.ones(len(b[1]), np.float32) if w is None else w.reshape(len(b[1]))
             for b, w in zip(self._batches, weights)])
        results = _identity_model(self._config, yp.shape[1:]).evaluate(
            yp, yt, batch_size=max(len(yp), 1), verbose=0, sample_weight=sw, return_dict=True)
        return {k: np.float32(v) for k, v in results.items() if k != "loss"}

    def reset_state(self):
        self._batches = []

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


def _traced_loss(loss, y, y_pred):
    """Keras's per-sample loss of `loss` averaged over the batch, with ops (symbolic tensors)."""
    from . import ops
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
    return ops.mean(per_sample)


def compute_loss(model, y, y_pred, sample_weight):
    """Keras's default `compute_loss`: the compiled loss(es) weighted by `loss_weights`."""
    from .ops._trace import is_symbolic
    config = model._compile_config or {}
    loss = config.get("loss")
    if loss is None:
        raise ValueError(f"{model.name}.compute_loss: the model was compiled without a loss")
    if isinstance(loss, (list, dict)) or isinstance(y_pred, (list, tuple, dict)):
        raise NotImplementedError("compute_loss: the default loss of a model with several "
                                  "outputs is not available in a custom step here")
    if is_symbolic(y_pred) or is_symbolic(y):
        if sample_weight is not None:
            raise NotImplementedError("compute_loss: sample weights do not enter a traced "
                                      "compute_loss here")
        return _traced_loss(loss, y, y_pred)
    from ._array_eval import reduced_loss
    return reduced_loss(loss, y, y_pred, sample_weight, f"{model.name}.compute_loss")


# ---- the traced compute_loss inside the model's graph --------------------------------------

def with_compute_loss(model, inputs, outputs, target_shape=None):
    """The graph of `model` with its `compute_loss` traced in: the targets as one more input
    `(None, *target_shape)` (by default the shape of `y_pred`), and an op layer that takes
    `y_pred` and the targets, adds `compute_loss(...)` to the loss and returns `y_pred`.
    Returns (inputs, outputs)."""
    from . import ops
    from .layers import Input, KerasTensor
    from ._objects import unique_name
    from .ops._functional import _merge_layer
    if not isinstance(outputs, KerasTensor):
        raise NotImplementedError(f"{type(model).__name__}.compute_loss: a traced compute_loss "
                                  f"takes a model with one output")
    pred_shape = tuple(outputs.shape[1:])
    target_shape = pred_shape if target_shape is None else tuple(target_shape)
    if None in pred_shape or None in target_shape:
        raise NotImplementedError(f"{type(model).__name__}.compute_loss: a traced compute_loss "
                                  f"needs outputs and targets of known shapes, got {pred_shape} "
                                  f"and {target_shape}")
    k, t = math.prod(pred_shape), math.prod(target_shape)
    targets = Input(batch_shape=(None,) + target_shape, name=unique_name("compute_loss_targets"))

    def flat(tensor, shape, width):
        if len(shape) == 1:
            return tensor
        # Rank 1 (labels), 3 and above: rows of `width` values for the concatenation.
        layer = OpLayer(lambda s: ops.reshape(s, (-1, width)), name=unique_name("reshape"))
        layer._op_node = True
        return layer(tensor)

    joined = _merge_layer("Concatenate", axis=-1)([flat(outputs, pred_shape, k),
                                                    flat(targets, target_shape, t)])
    layer = _ComputeLoss(model, pred_shape, target_shape, name=unique_name("compute_loss"))
    return [*inputs, targets], layer(joined)


class _ComputeLoss(OpLayer):
    """`y_pred` with the model's `compute_loss(x, y, y_pred)` added to the loss (add_loss);
    traced for both training modes."""

    class_name = "ComputeLoss"
    _registered_name = "swiftkeras>ComputeLoss"

    def __init__(self, model, pred_shape, target_shape, **kwargs):
        super().__init__(None, **kwargs)
        self._model, self._pred_shape, self._target_shape = model, pred_shape, target_shape

    def call(self, inputs, training=None):
        from . import ops
        k = math.prod(self._pred_shape)
        y_pred = ops.reshape(inputs[:, :k], (-1,) + self._pred_shape)
        y = ops.reshape(inputs[:, k:], (-1,) + self._target_shape)
        if self._model._compile_config is None:
            # Built before compile: traced again once compile gives the model its loss.
            self._model._compute_loss_uncompiled = True
            return y_pred
        loss = self._model.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=None,
                                        training=bool(training))
        self.add_loss(loss)
        return y_pred


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
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return type(data)(_take(d, start, stop) for d in data)
    if isinstance(data, dict):
        return {k: _take(v, start, stop) for k, v in data.items()}
    return np.asarray(data)[start:stop]


def _pythonify(logs):
    out = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            out.update(_pythonify(value))
        else:
            value = np.asarray(value)
            out[key] = float(value) if value.ndim == 0 else value
    return out


def evaluate_by_steps(model, x, y, batch_size, sample_weight, return_dict):
    """Keras's evaluate with an overridden `test_step(data)`: one call per batch, on numpy."""
    model.reset_metrics()
    logs = {}
    for start, stop in _batches(_rows_of(x), batch_size):
        data = (_take(x, start, stop), _take(y, start, stop))
        if sample_weight is not None:
            data += (_take(sample_weight, start, stop),)
        logs = model.test_step(data)
    logs = _pythonify(logs)
    metric_logs = _pythonify(model.get_metrics_result())
    if set(logs) == set(metric_logs):
        logs = metric_logs
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
