"""What swiftkeras.model_selection can hand to the library: a plain swiftkeras KerasClassifier /
KerasRegressor, or a scikit-learn Pipeline of transformers with library counterparts ending in
one (keras_pipeline_new). Anything else, and why, is told by `why_not_native`."""

from __future__ import annotations

import json

import numpy as np
from sklearn.base import is_classifier

from . import _lib
from ._native import dumps

SCORINGS = {"accuracy", "r2", "neg_mean_squared_error", "neg_mean_absolute_error"}

# scikit-learn transformers the library has, with the parameters it takes ("copy" changes no
# result and is left out).
TRANSFORMERS = {"StandardScaler": ("with_mean", "with_std"),
                "MinMaxScaler": ("feature_range", "clip")}
# Estimator parameters (after the step prefix) that the library's fits do not take from Python.
_PYTHON_ONLY = ("callbacks", "fit__", "compile__", "metrics", "loss__", "predict__")


class Plan:
    """What the library runs: `keras`, the plain swiftkeras estimator; `steps`, the transformer
    steps of keras_pipeline_new before it (None without a Pipeline); `prefix`, what the
    estimator's parameters carry in grids ("" or "<last step's name>__")."""

    def __init__(self, keras, steps=None, prefix=""):
        self.keras = keras
        self.steps = steps
        self.prefix = prefix

    @property
    def model_prefix(self):
        """The grid keys that go to the model function."""
        return self.prefix + "model__"

    @property
    def final_name(self):
        return self.prefix[:-2]


def plan(estimator):
    """The Plan for `estimator`, or a sentence saying why the library cannot fit it itself."""
    from sklearn.pipeline import Pipeline
    from ._sk_estimators import KerasClassifier, KerasRegressor
    plain = (KerasClassifier, KerasRegressor)
    if type(estimator) in plain:
        return Plan(estimator)
    if type(estimator) is not Pipeline:
        return (f"a {type(estimator).__name__} is not a plain swiftkeras KerasClassifier / "
                f"KerasRegressor or a Pipeline ending in one (subclasses with their own hooks "
                f"and other estimators are fitted by scikit-learn)")
    if not _lib.has("keras_pipeline_new"):
        return "this libkeras.so has no keras_pipeline_new"
    if getattr(estimator, "transform_input", None) is not None:
        return "the Pipeline routes fit parameters to transformers (transform_input)"
    name, final = estimator.steps[-1]
    if type(final) not in plain:
        return (f"the Pipeline's last step {name!r} is a {type(final).__name__}, not a plain "
                f"swiftkeras KerasClassifier / KerasRegressor")
    steps = []
    for step_name, step in estimator.steps[:-1]:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        cls = type(step).__name__
        if cls not in TRANSFORMERS or not type(step).__module__.startswith("sklearn."):
            return (f"the Pipeline step {step_name!r} ({cls}) has no library counterpart "
                    f"(library transformers: {', '.join(sorted(TRANSFORMERS))})")
        params = {k: v for k, v in step.get_params(deep=False).items() if k in TRANSFORMERS[cls]}
        steps.append({"name": step_name, "class": cls, "params": json.loads(dumps(params))})
    return Plan(final, steps, name + "__")


def why_not_native(estimator, X, y, fit_params, keys=(), values=()):
    """Why the library cannot fit `estimator` on (X, y) with the parameter `keys` set to
    `values` (None when it can): the Plan's estimator on numeric X (2-D, or N-D without
    transformers), no fit parameters, named loss and optimizer, a binary / multiclass target
    for classifiers. Returns (Plan or None, reason or None)."""
    p = plan(estimator)
    if isinstance(p, str):
        return None, p
    if not _lib.has("keras_grid_search_new"):
        return None, "this libkeras.so has no keras_grid_search_new"
    if fit_params:
        return None, f"fit parameters {sorted(fit_params)} are not passed to native fits"
    X = np.asarray(X)
    nd_ok = _lib.has("keras_pipeline_new") and not p.steps
    if X.dtype.kind not in "biuf" or X.ndim < 2 or (X.ndim > 2 and not nd_ok):
        return None, (f"X of {X.ndim} dimensions and dtype {X.dtype} (the library searches "
                      f"numbers, 2-D{' or N-D' if nd_ok else ''})")
    est = p.keras
    params = est.get_params()
    if any(k.startswith(_PYTHON_ONLY) and v is not None for k, v in params.items()):
        return None, "callbacks, metrics or fit / compile / predict parameters are set"
    if getattr(est, "class_weight", None) is not None:
        return None, "class_weight is set"
    if not isinstance(est.loss, (str, type(None))) or \
            not isinstance(est.optimizer, str) or \
            not isinstance(est.random_state, (int, np.integer, type(None))):
        return None, "loss, optimizer or random_state is an object, not a name or an int"
    reason = _keys_reason(p, keys) or _values_reason(values)
    if reason:
        return None, reason
    from sklearn.utils.multiclass import type_of_target
    kind = type_of_target(y)
    if kind not in (("binary", "multiclass") if is_classifier(est) else ("continuous", "binary",
                                                                          "multiclass")):
        return None, f"a {kind} target"
    return p, None


def _keys_reason(p, keys):
    """Why a searched parameter cannot be set on the library's estimator (None when all can)."""
    transformers = {s["name"]: s["class"] for s in p.steps or ()}
    for key in keys:
        if key.startswith(p.prefix):
            inner = key[len(p.prefix):]
            if inner.startswith(_PYTHON_ONLY) or inner == "class_weight":
                return f"the searched parameter {key!r} is not passed to native fits"
            continue
        step, _, param = key.partition("__")
        if step in transformers and param in TRANSFORMERS[transformers[step]]:
            continue
        return f"the searched parameter {key!r} has no library counterpart"
    return None


def _values_reason(values):
    for v in values:
        try:
            dumps(v)
        except (TypeError, ValueError):
            return f"a searched value ({type(v).__name__}) is an object, not a JSON value"
    return None
