"""Keras 3's scikit-learn wrappers (`keras.wrappers.SKLearnClassifier`, `SKLearnRegressor`,
`SKLearnTransformer`) over swiftkeras models, under the same names and parameters.

`model` is a compiled model (a fresh copy of it is trained at each fit) or a callable
`model(X, y, **model_kwargs)` returning a compiled model; `fit_kwargs` are Keras `model.fit`'s
arguments. Fits and predictions run on the library's estimator (keras_estimator_fit_arrays,
keras_estimator_predict_arrays), which takes the targets as these wrappers encode them (one-hot
for the classifier) and gives the model's outputs back, as Keras 3's `model.fit` and
`model.predict` do. Unlike Keras 3 (whose `warm_start` is accepted but ignored),
`warm_start=True` continues training the fitted model, and clones keep `fit_kwargs`."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._sk_base import (_EncodedPrediction, _fit_options, _LibraryEstimator,
                       _side_by_side)
from ._sk_utils import TargetReshaper, copy_model
from .models import Model, _shuffle_option, _verbosity

# Keras model.fit's arguments, as the library estimator takes them: its parameters (epochs
# counted from initial_epoch), Keras fit arguments of keras_estimator_fit_arrays
# (validation_data, class_weight, sample_weight, callbacks), or for datasets only.
_FIT_PARAMS = {"batch_size": "batch_size", "steps_per_epoch": "fit__steps_per_epoch",
               "validation_freq": "fit__validation_freq",
               "validation_batch_size": "fit__validation_batch_size"}
_FIT_ARGUMENTS = {"epochs", "verbose", "shuffle", "validation_split", "initial_epoch",
                  "validation_data", "class_weight", "sample_weight", "callbacks",
                  "validation_steps", *_FIT_PARAMS}


class SKLBase(BaseEstimator):
    """What Keras 3's three wrappers share. Keras: `keras.src.wrappers.SKLBase`."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        model = self.model if callable(self.model) and not isinstance(self.model, Model) \
            else copy_model(self.model)
        return type(self)(model=model, warm_start=self.warm_start,
                          model_kwargs=self.model_kwargs, fit_kwargs=self.fit_kwargs)

    @property
    def epoch_(self):
        """Epochs trained so far."""
        return len(getattr(self, "history_", {}).get("loss", []))

    def _get_model(self, X, y):
        if isinstance(self.model, Model):
            return copy_model(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fits the model (continuing the fitted one with warm_start)."""
        warm = self.warm_start and hasattr(self, "model_")
        X, y = validate_data(self, X, y, reset=not warm, multi_output=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # scikit-learn's DataConversionWarning, as Keras 3
        y = self._process_target(y, reset=not warm)
        model = self.model_ if warm else self._get_model(X, y)
        if not getattr(model, "_compile_config", None):
            raise RuntimeError("Given model needs to be compiled, and have a loss and an "
                               "optimizer.")
        fit_kwargs = dict(self.fit_kwargs or {})
        fit_kwargs.update(kwargs)
        unknown = sorted(set(fit_kwargs) - _FIT_ARGUMENTS)
        if unknown:
            raise TypeError(f"Invalid keyword argument(s) in `fit()`: {unknown}")
        X = np.asarray(X, np.float32)
        model._ensure_handle(X[:1])
        initial_epoch = int(fit_kwargs.get("initial_epoch") or 0)
        epochs = max(int(fit_kwargs.get("epochs", 1)) - initial_epoch, 0)
        verbose = _verbosity(fit_kwargs.get("verbose", "auto"), 1)
        params = {"epochs": epochs, "verbose": verbose, "target_encoder": "passthrough",
                  "shuffle": _shuffle_option(fit_kwargs.get("shuffle", True)),
                  "validation_split": float(fit_kwargs.get("validation_split") or 0.0),
                  "fit__initial_epoch": initial_epoch}
        for key, param in _FIT_PARAMS.items():
            value = fit_kwargs.get(key)
            params[param] = None if value is None else int(value)
        xs = model._arrays(X, "X", inputs=True)
        target, params["output_columns"] = _side_by_side(model, y)
        lib = self.__dict__.get("_library_estimator") if warm else None
        if lib is None or lib.model is not model:
            lib = _LibraryEstimator.around(model, self._kind, xs, {"warm_start": True})
        lib.set_params(params)
        history = lib.fit(xs, target, fit_kwargs.get("sample_weight"),
                          fit_kwargs.get("validation_data"),
                          _fit_options(False, fit_kwargs.get("class_weight")),
                          fit_kwargs.get("callbacks"))
        history = model._record_history(history, initial_epoch, initial_epoch + epochs,
                                        verbose).history
        self.model_ = model
        self._library_estimator = lib
        old = self.history_ if warm and hasattr(self, "history_") else {}
        self.history_ = {k: list(old.get(k, [])) + list(v) for k, v in history.items()}
        return self

    _kind = b"KerasRegressor"

    def _raw(self, X):
        """The model's outputs for X (Keras's model.predict(X, verbose=0)), through the library
        estimator (rebuilt around model_ after unpickling)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        xs = self.model_._arrays(np.asarray(X, np.float32), "X", inputs=True)
        lib = self.__dict__.get("_library_estimator")
        if lib is None or lib.model is not self.model_:
            lib = _LibraryEstimator.around(self.model_, self._kind, xs, {})
            self._library_estimator = lib
        raw = lib.predict("predict", xs, {"verbose": 0, "batch_size": 32})
        return np.asarray(_EncodedPrediction(self.model_, raw).outputs)

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("_library_estimator", None)  # a handle: the copy rebuilds its own
        return state

    def predict(self, X):
        """The model's predictions, decoded."""
        return self._reverse_process_target(self._raw(X))

    def _process_target(self, y, reset=False):
        type_of_target(y, raise_unknown=True)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return np.asarray(self._target_encoder.transform(y), np.float32)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """Keras 3's `keras.wrappers.SKLearnClassifier`: one-hot targets, classes_ from y."""

    _kind = b"KerasClassifier"

    def _process_target(self, y, reset=False):
        target_type = type_of_target(y, raise_unknown=True)
        if target_type not in ["binary", "multiclass"]:
            raise ValueError(f"Only binary and multiclass target types are supported. Target "
                             f"type: {target_type}")
        if reset:
            self._target_encoder = make_pipeline(
                TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y).astype(np.float32)

    def decision_function(self, X):
        """The model's outputs: one column per class, or for two classes (as scikit-learn
        defines it) one score per sample, positive for `classes_[1]`."""
        raw = self._raw(X)
        if raw.ndim == 2 and raw.shape[1] == 2:
            return raw[:, 1] - raw[:, 0]
        return raw

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """Keras 3's `keras.wrappers.SKLearnRegressor`."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """Keras 3's `keras.wrappers.SKLearnTransformer`: `transform` is the model's predictions."""

    def transform(self, X):
        """The model's predictions for X."""
        return self._raw(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
