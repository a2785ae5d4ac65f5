"""SciKeras 0.13's KerasClassifier and KerasRegressor over swiftkeras models (see wrappers)."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target

from ._sk_utils import ClassifierLabelEncoder, RegressorTargetEncoder, is_categorical_crossentropy
from ._sk_base import BaseWrapper


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """A scikit-learn classifier training a swiftkeras model. SciKeras: `KerasClassifier`.

    Binary, multiclass, one-hot, multi-label and (with a custom `target_encoder`) multi-output
    targets; `class_weight` ("balanced" or a dict) multiplies the sample weights."""

    _fit_kwargs = BaseWrapper._fit_kwargs - {"class_weight"}

    def __init__(self, model=None, *, build_fn=None, warm_start=False, random_state=None,
                 optimizer="rmsprop", loss=None, metrics=None, batch_size=None,
                 validation_batch_size=None, verbose=1, callbacks=None, validation_split=0.0,
                 shuffle=True, run_eagerly=False, epochs=1, class_weight=None, **kwargs):
        super().__init__(model=model, build_fn=build_fn, warm_start=warm_start,
                         random_state=random_state, optimizer=optimizer, loss=loss,
                         metrics=metrics, batch_size=batch_size,
                         validation_batch_size=validation_batch_size, verbose=verbose,
                         callbacks=callbacks, validation_split=validation_split,
                         shuffle=shuffle, run_eagerly=run_eagerly, epochs=epochs, **kwargs)
        self.class_weight = class_weight

    def _type_of_target(self, y):
        target_type = type_of_target(y)
        if target_type == "binary" and getattr(self, "classes_", None) is not None:
            target_type = type_of_target(self.classes_)
        return target_type

    @staticmethod
    def scorer(y_true, y_pred, **kwargs):
        return accuracy_score(y_true, y_pred, **kwargs)

    @property
    def target_encoder(self):
        categories = "auto" if getattr(self, "classes_", None) is None else [self.classes_]
        return ClassifierLabelEncoder(loss=self.loss, categories=categories)

    def _default_loss(self):
        kind = getattr(self.target_encoder_, "_target_type", self.target_type_)
        if kind in ("multilabel-indicator", "multiclass-multioutput"):
            return "binary_crossentropy"
        if kind == "multiclass-onehot":
            return "categorical_crossentropy"
        units = self.model_.output_shape[-1] if self.model_._io_count(False) == 1 else None
        return "binary_crossentropy" if units == 1 else "sparse_categorical_crossentropy"

    def _adapt_target_to_model(self, y):
        """Ordinal classes one-hot when the model was compiled (by its model function) with
        categorical cross-entropy while `loss` did not say so."""
        config = self.model_._compile_config or {}
        if isinstance(y, np.ndarray) and y.ndim == 2 and y.shape[1] == 1 and \
                self.target_type_ == "multiclass" and is_categorical_crossentropy(config.get("loss")):
            onehot = np.zeros((len(y), int(self.n_classes_)), np.float32)
            onehot[np.arange(len(y)), y[:, 0].astype(np.int64)] = 1
            return onehot
        return y

    def _weighted(self, y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        weights = compute_sample_weight(class_weight=self.class_weight, y=y)
        return weights if sample_weight is None else np.asarray(sample_weight) * weights

    def initialize(self, X, y):
        self.classes_ = None
        return super().initialize(X, y)

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Builds a new model (unless warm_start) and trains it; classes_ are those of y."""
        self.classes_ = None
        return super().fit(X, y, sample_weight=self._weighted(y, sample_weight), **kwargs)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """One epoch from where training stopped. `classes` (needed on the first call when y
        lacks some) fixes classes_ for every call."""
        self.classes_ = classes if classes is not None else getattr(self, "classes_", None)
        return super().partial_fit(X, y, sample_weight=self._weighted(y, sample_weight), **kwargs)

    def predict_proba(self, X, **kwargs):
        """Class probabilities; two columns for a single sigmoid unit, as scikit-learn has."""
        raw = self._predict_raw(X, **kwargs)
        return self.target_encoder_.inverse_transform(raw, return_proba=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class KerasRegressor(RegressorMixin, BaseWrapper):
    """A scikit-learn regressor training a swiftkeras model. SciKeras: `KerasRegressor`."""

    _y_numeric = True

    @staticmethod
    def scorer(y_true, y_pred, **kwargs):
        return r2_score(y_true, y_pred, **kwargs)

    @property
    def target_encoder(self):
        return RegressorTargetEncoder()

    def _default_loss(self):
        return "mean_squared_error"

    def _adapt_target_to_model(self, y):
        return y.reshape(-1, 1) if isinstance(y, np.ndarray) and y.ndim == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # As SciKeras: a few epochs of a small network need not reach the score bar that
        # check_regressors_train sets for scikit-learn's own regressors.
        tags.regressor_tags.poor_score = True
        return tags
