"""SciKeras 0.13's KerasClassifier and KerasRegressor over swiftkeras models (see wrappers)."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.class_weight import compute_sample_weight

from ._sk_utils import (ClassifierLabelEncoder, RegressorTargetEncoder, describe_target,
                        exact_label_text, integer_label_texts)
from ._sk_base import BaseWrapper, _EncodedPrediction


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

    def _describe(self, y, loss=None, **kwargs):
        """The library's decisions for y (keras_estimator_describe); classes given to
        partial_fit count as seen."""
        y = np.asarray(y)
        if getattr(self, "classes_", None) is not None and y.ndim == 1:
            y = np.concatenate([np.asarray(self.classes_), y])
        return describe_target("KerasClassifier", y, loss=loss or self.loss, **kwargs)

    def _type_of_target(self, y):
        return self._describe(y)["target_type_"]

    @staticmethod
    def scorer(y_true, y_pred, **kwargs):
        return accuracy_score(y_true, y_pred, **kwargs)

    # SciKeras's class lists BaseWrapper first: its score (the scorer, score__ arguments).
    score = BaseWrapper.score

    @property
    def target_encoder(self):
        categories = "auto" if getattr(self, "classes_", None) is None else [self.classes_]
        return ClassifierLabelEncoder(loss=self.loss, categories=categories)

    def _default_loss(self, y):
        units = self.model_.output_shape[-1] if self.model_._io_count(False) == 1 else 0
        return self._describe(y, output_units=units or 0)["default_loss"]

    def _adapt_target_to_model(self, y):
        """Ordinal classes one-hot when the model was compiled (by its model function) with a
        loss that the library one-hot encodes for while `loss` did not say so."""
        config = self.model_._compile_config or {}
        if isinstance(y, np.ndarray) and y.ndim == 2 and y.shape[1] == 1 and \
                self.target_type_ == "multiclass" and config.get("loss") is not None and \
                describe_target("KerasClassifier", y[:, 0],
                                loss=config["loss"])["target_encoding"] == "onehot":
            onehot = np.zeros((len(y), int(self.n_classes_)), np.float32)
            onehot[np.arange(len(y)), y[:, 0].astype(np.int64)] = 1
            return onehot
        return y

    def _estimator_target(self, y):
        """The labels as the library's estimator takes them, which it encodes as
        target_encoder_ would: binary and multiclass labels as float32 numbers (when exact) or
        as a list of strings (text labels, keys as keras_estimator_describe's; integer labels
        that float32 cannot hold, as their exact decimal text, which the library orders by
        value), one-hot and multi-label rows; None for the rest (multi-output), which the
        library takes as the Python encoder encodes it."""
        y = np.asarray(y)
        kind = self.target_encoder_._target_type
        if kind in ("binary", "multiclass") and y.ndim == 1 and (y.dtype.kind in "US" or (
                y.dtype.kind == "O" and all(isinstance(v, str) for v in y))):
            return [str(v) for v in y]
        if y.dtype.kind not in "biuf":
            return None
        if kind in ("binary", "multiclass") and y.ndim == 1:
            labels = np.ascontiguousarray(y, np.float32)
            if np.array_equal(labels, y):
                return labels
            return integer_label_texts(y)
        if kind in ("multiclass-onehot", "multilabel-indicator") and y.ndim == 2:
            return np.ascontiguousarray(y, np.float32)
        return None

    def _library_metadata(self, metadata, y):
        """A native search's metadata (its estimator trained on y's class codes) with y's own
        classes, as a fit on y has them: code i stands for the i-th sorted class in both."""
        if metadata.get("classes_kind") is None:
            return metadata
        info = self._describe(y)
        kind = "strings" if isinstance(self._estimator_target(y), list) else "numbers"
        return dict(metadata, classes_=info["classes_"], n_classes_=info["n_classes_"],
                    classes_kind=kind)

    def _weighted(self, y, sample_weight):
        """sample_weight times the library's class weights (scikit-learn's per-column product
        for multi-output targets)."""
        if self.class_weight is None:
            return sample_weight
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim == 1:
            info = describe_target("KerasClassifier", y, class_weight=self.class_weight)
            if info["class_weight"] is None:
                return sample_weight
            classes = y[info["class_first_index"]]
            weights = np.asarray(info["class_weight"], np.float32)[np.searchsorted(classes, y)]
        else:
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

    def _from_library_prediction(self, pred):
        """Label matrices (one-hot, multi-label) as integers, labels in classes_'s dtype (the
        library's float32 labels are exact: the fit took them only then)."""
        if pred.ndim == 2:
            return pred.astype(int)
        # The encoder's classes: a warm-started fit leaves classes_ None, as SciKeras's does.
        classes = self.target_encoder_.classes_
        if pred.dtype == object:  # text labels: the classes they name
            lookup = {exact_label_text(c): c for c in classes}
            pred = np.array([lookup[p] for p in pred], dtype=object)
        return pred.astype(classes.dtype).reshape(-1, *self.target_encoder_._y_shape[1:])

    def predict_proba(self, X, **kwargs):
        """Class probabilities; two columns for a single sigmoid unit, as scikit-learn has."""
        proba = self._library_predict("predict_proba", X, kwargs)
        if isinstance(proba, _EncodedPrediction):
            return self.target_encoder_.inverse_transform(proba.outputs, return_proba=True)
        return np.squeeze(proba)  # as SciKeras's ClassifierLabelEncoder

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

    score = BaseWrapper.score

    @property
    def target_encoder(self):
        return RegressorTargetEncoder()

    def _default_loss(self, y):
        return describe_target("KerasRegressor", y)["default_loss"]

    def _adapt_target_to_model(self, y):
        return y.reshape(-1, 1) if isinstance(y, np.ndarray) and y.ndim == 1 else y

    def _estimator_target(self, y):
        """The target values for the library's estimator (1-D or 2-D numbers)."""
        y = np.asarray(y)
        return np.ascontiguousarray(y, np.float32) if y.ndim in (1, 2) and \
            y.dtype.kind in "biuf" else None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # As SciKeras: a few epochs of a small network need not reach the score bar that
        # check_regressors_train sets for scikit-learn's own regressors.
        tags.regressor_tags.poor_score = True
        return tags
