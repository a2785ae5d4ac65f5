"""Losses and metrics computed on numpy arrays (`keras.losses.binary_crossentropy(y, p)`,
`BinaryCrossentropy()(y, p)`, `metric.update_state(y, p); metric.result()`), by the library:
a one-layer identity model compiled with the loss or metric evaluates `y_pred` against
`y_true`, so the numbers are exactly those training reports."""

from __future__ import annotations

import json

import numpy as np

from ._native import as_float32
from ._objects import serialize

_probes: dict[tuple, object] = {}
# json.dumps(value, sort_keys=True), its encoder made once (every compute_loss on arrays of a
# train_step writes its loss's key).
_KEY = json.JSONEncoder(sort_keys=True)
# Metric functions that Keras 3 computes element by element (no mean over the last axis).
_ELEMENTWISE = ("binary_accuracy",)
# Losses with one value per sample whatever the rank of y_pred (CTC's (batch, time, classes)).
_PER_ROW = ("ctc", "CTC")


def _probe(loss, metric, feature_shape):
    """A compiled identity model taking `y_pred` rows of `feature_shape` (cached)."""
    key = (_KEY.encode(serialize(loss)),
           _KEY.encode(serialize(metric)) if metric is not None else None,
           tuple(feature_shape))
    model = _probes.get(key)
    if model is None:
        from .layers import Input, _layer_class
        from .models import Sequential
        model = Sequential([Input(batch_shape=(None,) + tuple(feature_shape)),
                            _layer_class("Identity")()])
        # As weighted_metrics: sample weights apply to them (to `metrics` they do not, in Keras).
        model.compile(optimizer="sgd", loss=loss,
                      weighted_metrics=None if metric is None else [metric])
        model._compile_library_metrics = []   # (the object's own state is its batches)
        if len(_probes) > 64:
            _probes.clear()
        _probes[key] = model
    return model


def _pair(y_true, y_pred, what, rows=True):
    yt = as_float32(y_true, f"{what}(y_true)")
    yp = as_float32(y_pred, f"{what}(y_pred)")
    if yp.ndim == 0:
        raise ValueError(f"{what}: y_pred must have at least one axis, got a scalar")
    if yp.ndim == 1 and rows:  # a batch of single values
        yp = yp[:, None]
        yt = yt.reshape(yp.shape[0], -1) if yt.size == yp.shape[0] else yt
    return yt, yp


def _over_whole_samples(loss, rank):
    """Dice and Tversky with an `axis` that holds every axis but the batch's: one value a sample."""
    if getattr(loss, "class_name", None) not in ("Dice", "Tversky"):
        return False
    axis = loss._config.get("axis")
    axes = axis if isinstance(axis, (list, tuple)) else () if axis is None else (axis,)
    return sorted(a % rank for a in axes) == list(range(1, rank))


def per_sample(loss, y_true, y_pred, what, metric=None):
    """What a Keras loss (or metric) function returns: one value per sample (per position for
    sequences: the shape of `y_pred` without its last axis; a scalar for a 1-D `y_pred`)."""
    yt, yp = _pair(y_true, y_pred, what, rows=False)
    if getattr(metric, "__name__", None) in _ELEMENTWISE and yt.shape == yp.shape:
        yt, yp = yt[..., None], yp[..., None]  # Keras 3 keeps the last axis for these
    if getattr(loss, "__name__", None) in _PER_ROW or getattr(loss, "class_name", None) in _PER_ROW \
            or _over_whole_samples(loss, yp.ndim):
        lead, flat_p, flat_t = yp.shape[:1], yp, yt
        rows = yp.shape[0]
    else:
        lead = yp.shape[:-1]
        rows = int(np.prod(lead)) if lead else 1
        flat_p = yp.reshape(rows, yp.shape[-1])
        flat_t = yt.reshape(rows, -1)
    model = _probe(loss, metric, flat_p.shape[1:])
    out = np.empty(rows, np.float32)
    for i in range(rows):
        results = model.evaluate(flat_p[i:i + 1], flat_t[i:i + 1], batch_size=1, verbose=0,
                                 return_dict=True)
        out[i] = results["loss"] if metric is None else \
            [v for k, v in results.items() if k != "loss"][-1]
    return out.reshape(lead)


def reduced_loss(loss, y_true, y_pred, sample_weight, what):
    """What a Keras loss object returns with its reduction ("sum_over_batch_size": the mean)."""
    yt, yp = _pair(y_true, y_pred, what)
    model = _probe(loss, None, yp.shape[1:])
    value = model.evaluate(yp, yt, batch_size=max(len(yp), 1), verbose=0,
                           sample_weight=sample_weight)
    return np.float32(value)


def metric_result(metric, batches):
    """A metric's value over every (y_true, y_pred, sample_weight) batch it was updated with."""
    if not batches:
        return np.float32(0.0)
    values = [v for k, v in _evaluated(metric, batches)[1].items() if k != "loss"]
    return np.asarray(values[-1], dtype=np.float32)[()] if values else np.float32(0.0)


def metric_variables(metric, batches):
    """Keras's `metric.variables` after those batches: [(name, shape, dtype, values)] of the
    library's metric (keras_model_metric_variables), or of a fresh one (keras_metric_variables)."""
    from . import _lib
    from ._native import dumps, take_json
    if not batches:
        entries = take_json(_lib.keras_metric_variables, dumps(serialize(metric)))
    else:
        model = _evaluated(metric, batches)[0]
        entries = take_json(_lib.keras_model_metric_variables, model._ensure_handle())[-1]["variables"]
    return [(e["name"], tuple(e["shape"]), e["dtype"],
             np.asarray([np.nan if v is None else v for v in e["value"]], np.float64))
            for e in entries]


def _evaluated(metric, batches):
    """The probe model evaluated on every batch (one batch of them all): (model, results)."""
    yt = np.concatenate([b[0] for b in batches])
    yp = np.concatenate([b[1] for b in batches])
    weights = [b[2] for b in batches]
    sw = None
    if any(w is not None for w in weights):
        sw = np.concatenate([np.ones(len(b[1]), np.float32) if w is None else
                             as_float32(w, "sample_weight").reshape(len(b[1]))
                             for b, w in zip(batches, weights)])
    # (the probe's loss is not reported: one that takes these labels, class ids for a sparse
    # metric's `SparseCategoricalAccuracy().update_state([0, 2], probabilities)`)
    sparse = yt.ndim < yp.ndim or (yt.shape[-1:] == (1,) and yp.shape[-1] > 1)
    model = _probe("sparse_categorical_crossentropy" if sparse else "mean_squared_error", metric,
                   yp.shape[1:])
    return model, model.evaluate(yp, yt, batch_size=max(len(yp), 1), verbose=0, sample_weight=sw,
                                 return_dict=True)


class ArrayMetric:
    """Keras's stateful metric API on numpy: update_state, result, reset_state, __call__."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        yt, yp = self._update_pair(y_true, y_pred, sample_weight, f"{self.name}.update_state")
        self.__dict__.setdefault("_batches", []).append((yt, yp, sample_weight))

    def _update_pair(self, y_true, y_pred, sample_weight, what):
        """The batch as the library counts it. A metric with `top_k` keeps the k highest
        predictions along the last axis, as Keras's: a 1-D batch of predictions is one row."""
        config = self.__dict__.get("_config") or {}
        if config.get("top_k") is not None and np.ndim(y_pred) == 1:
            if sample_weight is not None:
                raise ValueError(f"{what}: sample_weight with top_k on 1-D predictions is not "
                                 f"supported; give predictions of shape (batch, classes)")
            yt, yp = _pair(y_true, y_pred, what, rows=False)
            return yt.reshape(1, -1), yp.reshape(1, -1)
        return _pair(y_true, y_pred, what)

    def result(self):
        return metric_result(self, self.__dict__.get("_batches", []))

    def reset_state(self):
        self.__dict__["_batches"] = []

    def reset_states(self):
        self.reset_state()

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()
