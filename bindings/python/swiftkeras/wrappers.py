"""scikit-learn estimators around swiftkeras models, with SciKeras's interface.

    def get_model(hidden=8, meta=None):
        return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                                 keras.layers.Dense(meta["n_classes_"], activation="softmax")])

    clf = KerasClassifier(model=get_model, loss="sparse_categorical_crossentropy",
                          optimizer="adam", optimizer__learning_rate=0.01, epochs=50, verbose=0)
    GridSearchCV(clf, {"model__hidden": [4, 8]}, cv=3).fit(X, y)

Parameters come from __init__ and nothing is computed there; everything learned ends in an
underscore (model_, classes_, n_features_in_, history_). Routed parameters follow SciKeras:
`model__x` goes to the model function, `optimizer__x` / `loss__x` to the optimizer / loss,
`fit__x` / `predict__x` / `compile__x` to those calls. Estimators pickle by value (model
config and weights), so joblib's process workers and Dask workers can run them.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import optimizers as _optimizers
from .models import Model

_ROUTES = ("model", "fit", "predict", "compile", "optimizer", "loss", "metrics", "callbacks")


class BaseWrapper(BaseEstimator):
    """Shared behaviour of KerasClassifier and KerasRegressor (SciKeras's BaseWrapper)."""

    def __init__(self, model=None, *, build_fn=None, warm_start=False, random_state=None,
                 optimizer="rmsprop", loss=None, metrics=None, batch_size=None,
                 validation_batch_size=None, verbose=1, callbacks=None, validation_split=0.0,
                 shuffle=True, run_eagerly=False, epochs=1, **kwargs):
        self.model = model
        self.build_fn = build_fn
        self.warm_start = warm_start
        self.random_state = random_state
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.batch_size = batch_size
        self.validation_batch_size = validation_batch_size
        self.verbose = verbose
        self.callbacks = callbacks
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.run_eagerly = run_eagerly
        self.epochs = epochs
        vars(self).update(kwargs)
        self._user_params = set(kwargs)

    # -- parameters ------------------------------------------------------------------------
    def get_params(self, deep=True):
        params = super().get_params(deep=False)
        for k in getattr(self, "_user_params", ()):
            params[k] = getattr(self, k)
        return params

    def set_params(self, **params):
        fixed = {}
        for k, v in params.items():
            if k.split("__", 1)[0] in _ROUTES and "__" in k or k in getattr(self, "_user_params", ()):
                setattr(self, k, v)
                self._user_params = set(getattr(self, "_user_params", ())) | {k}
            else:
                fixed[k] = v
        if fixed:
            super().set_params(**fixed)
        return self

    def _routed(self, prefix):
        params = self.get_params()
        out = {}
        for k, v in params.items():
            if k.startswith(prefix + "__"):
                out[k[len(prefix) + 2:]] = v
        return out

    # -- fitting ---------------------------------------------------------------------------
    def _model_function(self):
        fn = self.model if self.model is not None else self.build_fn
        if fn is None:
            raise ValueError("`model` must be a function returning a swiftkeras model, or a "
                             "model instance")
        return fn

    def _build_model(self, meta):
        fn = self._model_function()
        if isinstance(fn, Model):
            import pickle
            return pickle.loads(pickle.dumps(fn))  # a fresh copy per fit, as SciKeras clones
        params = self.get_params()
        sig = inspect.signature(fn)
        accepts_kwargs = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
        kwargs = {}
        for name in sig.parameters:
            if name == "meta":
                kwargs["meta"] = dict(meta)
            elif name == "compile_kwargs":
                kwargs["compile_kwargs"] = self._compile_kwargs()
            elif name in params and name not in ("model", "build_fn"):
                kwargs[name] = params[name]
        kwargs.update(self._routed("model"))
        if not accepts_kwargs:
            unknown = set(kwargs) - set(sig.parameters)
            if unknown:
                raise ValueError(f"model__{sorted(unknown)[0]} was given but the model function "
                                 f"{fn.__name__} does not take that argument")
        model = fn(**kwargs)
        if not isinstance(model, Model):
            raise TypeError(f"the model function must return a swiftkeras model, got "
                            f"{type(model).__name__}")
        return model

    def _compile_kwargs(self):
        optimizer = self.optimizer
        routed_opt = self._routed("optimizer")
        if isinstance(optimizer, str):
            optimizer = _optimizers.get(optimizer)
            if routed_opt:
                optimizer = type(optimizer)(**routed_opt)
        elif isinstance(optimizer, type):
            optimizer = optimizer(**routed_opt)
        loss = self.loss
        routed_loss = self._routed("loss")
        if isinstance(loss, type):
            loss = loss(**routed_loss)
        kwargs = {"optimizer": optimizer, "loss": loss, "metrics": self.metrics}
        kwargs.update(self._routed("compile"))
        return kwargs

    def _seed(self):
        if self.random_state is not None:
            from .utils import set_random_seed
            seed = self.random_state if isinstance(self.random_state, (int, np.integer)) \
                else int(self.random_state.randint(0, 2 ** 31 - 1))
            set_random_seed(int(seed))

    def fit(self, X, y, sample_weight=None, **kwargs):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             f"is None")
        warm = self.warm_start and hasattr(self, "model_")
        X, y = self._validate(X, y, reset=not warm)
        meta = self._fit_meta(y)
        y_enc = self._encode_target(y)
        if not warm:
            self._seed()
            model = self._build_model(meta)
            if not getattr(model, "_compile_config", None):
                ck = self._compile_kwargs()
                if ck["loss"] is None:
                    ck["loss"] = self._default_loss()
                model.compile(**ck)
            model._ensure_handle(np.asarray(X[:1], np.float32))
            self.model_ = model
        y_enc = self._adapt_target_to_model(y_enc)
        fit_kwargs = dict(batch_size=self.batch_size, epochs=self.epochs, verbose=self.verbose,
                          callbacks=self.callbacks, validation_split=self.validation_split,
                          shuffle=self.shuffle)
        fit_kwargs.update(self._routed("fit"))
        fit_kwargs.update(kwargs)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, np.float32)
            if sample_weight.size and not np.any(sample_weight):
                # SciKeras's check (scikit-learn's estimator checks ask for a ValueError).
                raise ValueError("No training samples had any weight; only zeros were passed in "
                                 "`sample_weight`. That means there's nothing to train on by "
                                 "definition, so training can not be completed.")
            fit_kwargs["sample_weight"] = sample_weight
        history = self.model_.fit(X, y_enc, **fit_kwargs)
        self.history_ = {k: list(v) for k, v in history.history.items()}
        return self

    def partial_fit(self, X, y, classes=None, **kwargs):
        saved = self.warm_start
        self.warm_start = True
        try:
            return self.fit(X, y, epochs=1, **kwargs)
        finally:
            self.warm_start = saved

    def _validate(self, X, y=None, reset=False):
        if y is None:
            return validate_data(self, X, reset=reset, dtype=[np.float32, np.float64],
                                 ensure_all_finite=True)
        X, y = validate_data(self, X, y, reset=reset, dtype=[np.float32, np.float64],
                             ensure_all_finite=True, multi_output=True, y_numeric=self._y_numeric)
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _predict_raw(self, X):
        check_is_fitted(self, "model_")
        X = self._validate(X)
        kwargs = {"batch_size": self.batch_size, "verbose": 0}
        kwargs.update(self._routed("predict"))
        return np.asarray(self.model_.predict(X, **kwargs))

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """A scikit-learn classifier training a swiftkeras model. SciKeras: `KerasClassifier`."""

    _y_numeric = False

    def _fit_meta(self, y):
        self.target_type_ = type_of_target(y, raise_unknown=True)
        if self.target_type_ not in ("binary", "multiclass"):
            raise ValueError(f"KerasClassifier supports binary and multiclass targets, got "
                             f"{self.target_type_}")
        self._encoder = LabelEncoder().fit(np.ravel(y))
        self.classes_ = self._encoder.classes_
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ < 2:
            raise ValueError(f"KerasClassifier needs at least 2 classes in y; got only one "
                             f"class: {self.classes_[0]!r}")
        self.n_outputs_expected_ = 1
        return {"n_features_in_": self.n_features_in_, "n_classes_": self.n_classes_,
                "classes_": self.classes_, "target_type_": self.target_type_,
                "n_outputs_expected_": 1}

    def _default_loss(self):
        return "sparse_categorical_crossentropy" if self.n_classes_ > 2 else "binary_crossentropy"

    def _encode_target(self, y):
        return self._encoder.transform(np.ravel(y)).astype(np.float32)

    def _adapt_target_to_model(self, y_idx):
        units = self.model_.output_shape[-1]
        loss = self.model_._compile_config.get("loss") if self.model_._compile_config else None
        if units == 1:
            return y_idx.reshape(-1, 1)
        if loss in ("categorical_crossentropy", "categorical_hinge", "kl_divergence") or (
                isinstance(loss, dict) and loss.get("class_name") == "CategoricalCrossentropy"):
            onehot = np.zeros((len(y_idx), units), np.float32)
            onehot[np.arange(len(y_idx)), y_idx.astype(np.int64)] = 1
            return onehot
        return y_idx

    def predict_proba(self, X):
        p = self._predict_raw(X)
        if p.ndim == 1 or p.shape[1] == 1:
            p = p.reshape(-1, 1)
            return np.hstack([1 - p, p])
        return p

    def predict(self, X):
        p = self._predict_raw(X)
        if p.ndim == 1 or p.shape[1] == 1:
            idx = (p.reshape(-1) > 0.5).astype(np.int64)
        else:
            idx = np.argmax(p, axis=1)
        return self.classes_[idx]

    def score(self, X, y, sample_weight=None):
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.non_deterministic = self.random_state is None
        return tags


class KerasRegressor(RegressorMixin, BaseWrapper):
    """A scikit-learn regressor training a swiftkeras model. SciKeras: `KerasRegressor`."""

    _y_numeric = True

    def _fit_meta(self, y):
        y = np.asarray(y)
        self.n_outputs_expected_ = 1 if y.ndim == 1 else y.shape[1]
        self.target_type_ = type_of_target(y)
        return {"n_features_in_": self.n_features_in_,
                "n_outputs_expected_": self.n_outputs_expected_, "target_type_": self.target_type_}

    def _default_loss(self):
        return "mean_squared_error"

    def _encode_target(self, y):
        y = np.asarray(y, np.float32)
        self._y_was_1d = y.ndim == 1
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _adapt_target_to_model(self, y):
        return y

    def predict(self, X):
        p = self._predict_raw(X)
        return p.reshape(-1) if getattr(self, "_y_was_1d", True) and p.ndim == 2 and p.shape[1] == 1 else p

    def score(self, X, y, sample_weight=None):
        return r2_score(y, self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        # As SciKeras: a few epochs of a small network need not reach the score bar that
        # check_regressors_train sets for scikit-learn's own regressors.
        tags.regressor_tags.poor_score = True
        return tags


__all__ = ["KerasClassifier", "KerasRegressor", "BaseWrapper"]
