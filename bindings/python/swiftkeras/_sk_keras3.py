"""Keras 3's scikit-learn wrappers (`keras.wrappers.SKLearnClassifier`, `SKLearnRegressor`,
`SKLearnTransformer`) over swiftkeras models, under the same names and parameters.

`model` is a compiled model (a fresh copy of it is trained at each fit) or a callable
`model(X, y, **model_kwargs)` returning a compiled model; `fit_kwargs` go to `model.fit`.
Unlike Keras 3 (whose `warm_start` is accepted but ignored), `warm_start=True` continues
training the fitted model, and clones keep `fit_kwargs`."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._sk_utils import TargetReshaper, copy_model
from .models import Model


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
        history = model.fit(np.asarray(X, np.float32), y, **fit_kwargs).history
        self.model_ = model
        old = self.history_ if warm and hasattr(self, "history_") else {}
        self.history_ = {k: list(old.get(k, [])) + list(v) for k, v in history.items()}
        return self

    def _raw(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(np.asarray(X, np.float32), verbose=0))

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
