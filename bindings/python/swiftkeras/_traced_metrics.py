"""Metrics updated inside a traced call, as Keras 3 lets a `compute_loss` override (or a layer's
`call`) write `self.loss_tracker.update_state(loss)` or `self.mae.update_state(y, y_pred)`.

While the call is traced, such an update on symbolic tensors reduces to what the metric adds to
its state, two scalars with ops: the `total` and the `count` (Keras's `Mean`: a scalar value
counts 1, a batch of values their number or their sample weights' sum; `Sum` has no count; a
mean-of-values metric such as `MeanAbsoluteError` the mean of its function's per-sample values).
They go into the graph (keras_layer_builder_metric): every step of fit, evaluate and the batch
calls computes them natively and the library keeps the running figure, reset where Keras resets
`model.metrics`, and logs it under the metric's name (replacing a compiled figure of that name,
as a later metric replaces an earlier one in Keras's logs). After each call from Python the
metric objects take the library's state (`sync`), so `metric.result()` reads what Keras's would.

A library metric whose update is not a mean of values (AUC, Precision, Recall, the
confusion-matrix metrics, ...) is recorded as itself with the nodes of y_true, y_pred and the
sample weights (keras_layer_builder_metric_object): the library's own metric object, made from
its config as compile(metrics=[...]) makes it, is updated with their values every step and
logs its result. A `Metric` subclass written in Python is recorded the same way as the
library's form of its class (the one compile(metrics=[...]) makes, _python_metrics): the
library calls the object's own update_state, result and reset_state on each batch's arrays.
"""

from __future__ import annotations

import json

import numpy as np

from . import _lib, _native


def _active(*values):
    """The trace of a layer's call running now, else None. Any update made while a call is
    traced is recorded, of constants too (a Distiller's `student_loss` of 0.0 without a student
    loss): the trace runs once, the step it stands for at every batch."""
    from .ops._trace import active
    trace = active()
    if trace is None or trace.layer is None:
        return None
    return trace


def _owner(trace, metric):
    """The model (or layer) traced, whose metric `metric` is; None where the update is lost."""
    from ._custom_steps import overrides
    owner = getattr(trace.layer, "_model", None) or trace.layer
    if hasattr(owner, "_compile_config") and overrides(owner, "metrics") and \
            not any(m is metric for m in owner.metrics):
        # Keras's jax step carries only `model.metrics`' variables: an update of another
        # metric is lost, and it is in no log.
        return None
    return owner


def _record(trace, metric, total, count):
    """Adds the metric's update (two scalar tensors; count None: a sum) to the trace, emitted
    with the trace's outputs (ops._trace.trace_layer), and remembers the metric object on the
    model (or layer) traced, for `sync`."""
    from . import ops
    owner = _owner(trace, metric)
    if owner is None:
        return
    total = ops.sum(total)
    count = None if count is None else ops.sum(count)
    trace.metric_updates.append((trace.mode, metric.name, total, count))
    _remember(owner, metric)


def _record_object(trace, metric, y_true, y_pred, sample_weight):
    """Adds the update of a library metric (its config and the tensors it reads) to the trace."""
    from . import ops
    owner = _owner(trace, metric)
    if owner is None:
        return
    entry = json.dumps(metric._keras_config())
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight)
    trace.metric_updates.append((trace.mode, metric.name, (metric, entry, y_true, y_pred, sample_weight),
                                 "object"))
    _remember(owner, metric)


def _remember(owner, metric):
    known = owner.__dict__.setdefault("_traced_metric_objects", [])
    if not any(m is metric for m in known):
        known.append(metric)


def update_mean(metric, values, sample_weight=None):
    """Keras's `Mean.update_state` on symbolic tensors, recorded into the trace; False when
    nothing is symbolic (the numpy update runs)."""
    trace = _active(values, sample_weight)
    if trace is None:
        return False
    from . import ops
    from .metrics import _reduce_to_samplewise_values
    values, sample_weight = _reduce_to_samplewise_values(values, sample_weight, ops.mean,
                                                         metric.dtype, xp=ops)
    if sample_weight is not None:
        count = sample_weight
    elif len(values.shape) >= 1:
        count = ops.ones_like(values)   # the batch's size, unknown while tracing
    else:
        count = 1.0
    _record(trace, metric, values, count)
    return True


def update_object(metric, y_true, y_pred, sample_weight=None):
    """A Python `Metric` subclass's `update_state` on symbolic tensors, recorded into the trace
    as the library's metric of its class (updated with the batch's arrays each step, by this
    object's own methods); False when nothing is traced."""
    trace = _active(y_true, y_pred, sample_weight)
    if trace is None:
        return False
    _record_object(trace, metric, y_true, y_pred, sample_weight)
    return True


def update_sum(metric, values, sample_weight=None):
    """Keras's `Sum.update_state` on symbolic tensors, recorded into the trace."""
    trace = _active(values, sample_weight)
    if trace is None:
        return False
    from . import ops
    from .metrics import _reduce_to_samplewise_values
    values, _ = _reduce_to_samplewise_values(values, sample_weight, ops.sum, metric.dtype, xp=ops)
    _record(trace, metric, values, None)
    return True


# The library's metric classes that are Keras `MeanMetricWrapper`s of the loss function of a
# loss class (the metric's name, unless given here), whose symbolic form losses.py has.
_WRAPPED = {"MeanSquaredError": None, "MeanAbsoluteError": None, "BinaryCrossentropy": None,
            "CategoricalCrossentropy": None, "SparseCategoricalCrossentropy": None,
            "MeanAbsolutePercentageError": None, "MeanSquaredLogarithmicError": None,
            "KLDivergence": None, "Poisson": None, "Hinge": None, "SquaredHinge": None,
            "CategoricalHinge": None, "LogCoshError": "LogCosh"}


def update_wrapped(metric, y_true, y_pred, sample_weight=None):
    """Keras's `MeanMetricWrapper.update_state` (the mean of a function's per-sample values) on
    symbolic tensors, for the library's metric classes that wrap a loss function; the others
    (AUC, Precision, ...) are recorded as the library's metric object (`_record_object`)."""
    trace = _active(y_true, y_pred, sample_weight)
    if trace is None:
        return False
    name = getattr(metric, "class_name", type(metric).__name__)
    if name not in _WRAPPED:
        _record_object(trace, metric, y_true, y_pred, sample_weight)
        return True
    from . import losses
    config = {k: v for k, v in (getattr(metric, "_config", {}) or {}).items()
              if k not in ("name", "dtype")}
    loss = getattr(losses, _WRAPPED[name] or name)(**config)
    values = losses._symbolic_per_sample(loss, y_true, y_pred)
    return update_mean(metric, values, sample_weight)


def emit(trace):
    """Sends the trace's metric updates to the library (after its outputs are set)."""
    for code, name, total, count in trace.metric_updates:
        if isinstance(count, str):
            from ._python_metrics import claiming
            metric, entry, y_true, y_pred, sample_weight = total
            with claiming([metric] if metric._runs_in_python() else []):
                # a Python metric: the library's instance is the user's object, as in compile
                trace._check(_lib.keras_layer_builder_metric_object(
                    trace.builder, name.encode(), entry.encode(), trace.node_of(y_true),
                    trace.node_of(y_pred),
                    -1 if sample_weight is None else trace.node_of(sample_weight), code))
            continue
        trace._check(_lib.keras_layer_builder_metric(
            trace.builder, name.encode(), trace.node_of(total),
            -1 if count is None else trace.node_of(count), code))


def sync(model):
    """Puts the library's running figures into the model's traced metric objects (their state
    after the last step, as Keras's metric variables hold it). Only `model.metrics`' objects:
    Keras's jax step carries the variables of those (an overridden `metrics` that leaves one out
    leaves it untouched)."""
    known = model.__dict__.get("_traced_metric_objects")
    if not known or model._handle is None:
        return
    listed = model.metrics
    known = [m for m in known if any(m is other for other in listed)]
    states = {s["name"]: s for s in json.loads(_native.take_string(_lib.keras_model_traced_metrics,
                                                                    model._handle))}
    for metric in known:
        state = states.get(metric.name)
        if state is None:
            continue
        if "result" in state:
            if metric._runs_in_python():
                continue   # the library updated this very object
            metric.__dict__["_batches"] = []
            metric.__dict__["_traced_result"] = np.nan if state["result"] is None else float(state["result"])
            continue
        total = np.nan if state["total"] is None else float(state["total"])
        count = state["count"]
        if hasattr(metric, "_traced_state") or not hasattr(metric, "total"):
            metric.__dict__["_batches"] = []
            metric.__dict__["_traced_state"] = (total, float(count or 0.0))
            continue
        metric.total.assign(np.asarray(total, metric.total.dtype))
        if count is not None and hasattr(metric, "count"):
            metric.count.assign(np.asarray(count, metric.count.dtype))


def log_names(model, logs):
    """The library's figures as Keras logs them when the model overrides `metrics` (Keras's logs
    are `model.metrics`' results): only those metrics' names (and their `val_` forms), a
    metric listed but never updated with its own result. `logs` maps names to values or to
    lists of values (a History). In Keras's order: the names sorted (its `pythonify_logs`), the
    `val_` ones after the others."""
    from ._custom_steps import CompileMetrics, LossTracker, overrides
    if not overrides(model, "metrics"):
        return logs
    listed = model.metrics
    if any(isinstance(m, CompileMetrics) for m in listed):
        return logs
    names = [m.name for m in listed]
    kept = {}
    for prefix in ("", "val_"):
        if prefix and not any(k.startswith(prefix) for k in logs):
            continue
        for metric, name in sorted(zip(listed, names), key=lambda pair: pair[1]):
            key = prefix + name
            if key in logs:
                kept[key] = logs[key]
            elif not isinstance(metric, LossTracker):
                value = float(np.asarray(metric.result()))
                epochs = next((len(v) for v in logs.values() if isinstance(v, list)), None)
                kept[key] = value if epochs is None else [value] * epochs
    return kept


def in_order(model, results):
    """`evaluate`'s list as Keras's `_flatten_metrics_in_order` makes it from the results dict:
    the value of each of `model.metrics` by name (a name listed twice, the compiled loss
    tracker's "loss" and a traced tracker's, gives its value twice, as in Keras), the compiled
    metrics' names for `compile_metrics`, then the other keys sorted."""
    from ._custom_steps import CompileMetrics
    traced = {m.name for m in model.__dict__.get("_traced_metric_objects", [])}
    names = []
    for metric in model.metrics:
        if isinstance(metric, CompileMetrics):
            names += _compiled_names(model, results, traced)
        else:
            names.append(metric.name)
    values = [results[n] for n in names if n in results]
    values += [results[k] for k in sorted(results) if k not in names]
    return values


def _compiled_names(model, results, traced):
    """The names the compiled metrics log under: the names given to compile (a list for one
    output), else the results' keys that are neither the loss nor a traced metric's."""
    entries = (model._compile_config or {}).get("metrics")
    if isinstance(entries, (list, tuple)) and all(isinstance(e, str) for e in entries):
        return list(entries)
    return [k for k in results if k != "loss" and not k.endswith("_loss") and k not in traced]
