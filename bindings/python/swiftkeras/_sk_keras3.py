"""Keras 3's scikit-learn wrappers (`keras.wrappers.SKLearnClassifier`, `SKLearnRegressor`,
`SKLearnTransformer`) over swiftkeras models, under the same names and parameters.

`model` is a compiled model (a fresh copy of it is trained at each fit) or a callable
`model(X, y, **model_kwargs)` returning a compiled model; `fit_kwargs` are Keras `model.fit`'s
arguments. Fits and predictions run on the library's estimator (keras_estimator_fit_arrays,
keras_estimator_predict_arrays), which takes the targets as these wrappers encode them (one-hot
for the classifier) and gives the model's outputs back, as Keras 3's `model.fit` and
`model.predict` do. As Keras 3's: `history_` is the History `model.fit` returns, y is one target
column (scikit-learn's `validate_data` without `multi_output`: a column vector is raveled with a
DataConversionWarning, several columns refused), `decision_function` is the model's outputs, and
`set_fit_request` (metadata routing enabled) records its requests on `score`, as Keras's does.
Unlike Keras 3 (whose `warm_start` is accepted but ignored), `warm_start=True` continues training
the fitted model (`history_` then holds every fit's epochs), `epoch_` counts the epochs trained
(Keras's reads `history_.get`, which its History lacks), clones keep `fit_kwargs`, and `fit`
leaves `fit_kwargs` as given (Keras's updates it with fit's keyword arguments)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from ._sk_base import (_EncodedPrediction, _fit_options, _LibraryEstimator,
                       _side_by_side)
from ._sk_utils import TargetReshaper, copy_model
from .models import History, Model, _shuffle_option, _verbosity

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

    def _more_tags(self):
        return {"non_deterministic": True}   # (Keras's, for scikit-learn < 1.6)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def set_fit_request(self, **kwargs):
        """Keras's: with metadata routing enabled, each `param=alias` requested (Keras records
        them on the `score` method); refused otherwise."""
        import sklearn
        from sklearn.utils.metadata_routing import MetadataRequest
        if not sklearn.get_config().get("enable_metadata_routing", False):
            raise RuntimeError("This method is only available when metadata routing is enabled. You "
                               "can enable it using sklearn.set_config(enable_metadata_routing=True).")
        self._metadata_request = MetadataRequest(owner=self.__class__.__name__)
        for param, alias in kwargs.items():
            self._metadata_request.score.add_request(param=param, alias=alias)
        return self

    def __sklearn_clone__(self):
        model = self.model if callable(self.model) and not isinstance(self.model, Model) \
            else copy_model(self.model)
        return type(self)(model=model, warm_start=self.warm_start,
                          model_kwargs=self.model_kwargs, fit_kwargs=self.fit_kwargs)

    @property
    def epoch_(self):
        """Epochs trained so far (0 before fit)."""
        history = getattr(self, "history_", None)
        return 0 if history is None else len(history.epoch)

    def _get_model(self, X, y):
        if isinstance(self.model, Model):
            return copy_model(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fits the model (continuing the fitted one with warm_start)."""
        warm = self.warm_start and hasattr(self, "model_")
        # (As Keras's: one target column; a column vector raveled with a DataConversionWarning.)
        X, y = validate_data(self, X, y, reset=not warm)
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
        model._ensure_handle(X[:int(fit_kwargs.get("batch_size") or 32)])   # (fit's first batch)
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
        history = model._record_history(history, initial_epoch, initial_epoch + epochs, verbose)
        old = self.__dict__.get("history_") if warm else None
        if old is not None:   # a warm start's History: every fit's epochs
            history = History(model, {"history": {k: list(old.history.get(k, [])) + list(v)
                                                  for k, v in history.history.items()},
                                      "epoch": list(old.epoch) + list(history.epoch),
                                      "params": history.params})
        self.model_ = model
        self._library_estimator = lib
        self.history_ = history
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
        """The model's outputs (one column per class), as Keras's."""
        return self._raw(X)

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """Keras 3's `keras.wrappers.SKLearnRegressor`."""

    def _more_tags(self):
        return {"poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """Keras 3's `keras.wrappers.SKLearnTransformer`: `transform` is the model's predictions."""

    def transform(self, X):
        """The model's predictions for X."""
        return self._raw(X)

    def _more_tags(self):
        return {"preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
