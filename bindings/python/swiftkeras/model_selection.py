"""Native model selection: scikit-learn's GridSearchCV / RandomizedSearchCV interface, with
the candidate x fold fits run by the library on its worker threads in this process.

Python decides what scikit-learn decides (the candidates from the parameter grid, the folds
from scikit-learn's splitter, the models from the estimator's model function), so the splits
and cv_results_ are those of `sklearn.model_selection.GridSearchCV`; only the training and
scoring run natively (`keras_cross_validate`).
"""

from __future__ import annotations

import ctypes
import json

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import ParameterGrid, ParameterSampler, check_cv
from sklearn.utils.validation import check_is_fitted
from scipy.stats import rankdata

from . import _lib, _native
from ._native import as_float32, dumps

_SCORINGS = {"accuracy", "r2", "neg_mean_squared_error", "neg_mean_absolute_error"}


class _NativeSearch(MetaEstimatorMixin, BaseEstimator):
    def _candidates(self):
        raise NotImplementedError

    def fit(self, X, y, **fit_params):
        if not _lib.has("keras_cross_validate") and _lib.has("keras_grid_search_new") and \
                isinstance(self, GridSearchCV):
            return self._fit_with_search_api(X, y, **fit_params)
        estimator = self.estimator
        classifier = is_classifier(estimator)
        scoring = self.scoring or ("accuracy" if classifier else "r2")
        if scoring not in _SCORINGS:
            raise ValueError(f"scoring={scoring!r}: the native search scores with one of "
                             f"{sorted(_SCORINGS)}; use sklearn.model_selection for others")
        cv = check_cv(self.cv, y, classifier=classifier)
        X = np.asarray(X)
        y = np.asarray(y)
        folds = [{"train": tr.tolist(), "test": te.tolist()} for tr, te in cv.split(X, y)]
        params_list = list(self._candidates())
        candidates, y_train, y_score = [], None, None
        for params in params_list:
            est = clone(estimator).set_params(**params)
            Xv, yv = est._validate(X, y, reset=True)
            meta = est._fit_meta(yv)
            y_idx = est._encode_target(yv)
            est._seed()
            model = est._build_model(meta)
            ck = est._compile_kwargs()
            if not getattr(model, "_compile_config", None):
                if ck["loss"] is None:
                    ck["loss"] = est._default_loss()
                model.compile(**ck)
            model._ensure_handle(as_float32(Xv, "X"))
            est.model_ = model
            y_enc = est._adapt_target_to_model(y_idx)
            if y_train is None:
                y_train, y_score = y_enc, y_idx
            elif y_enc.shape != y_train.shape:
                raise ValueError("the native search needs every candidate to train on the same "
                                 "target encoding; use sklearn.model_selection.GridSearchCV")
            fit = {"batch_size": est.batch_size, "epochs": est.epochs, "verbose": 0,
                   "shuffle": est.shuffle, "validation_split": est.validation_split}
            fit.update(est._routed("fit"))
            seed = est.random_state if isinstance(est.random_state, (int, np.integer)) else None
            candidates.append({"model": json.loads(model.to_json()),
                               "compile": model._compile_config,
                               "fit": {k: v for k, v in fit.items() if v is not None},
                               "seed": seed})
        spec = {"kind": "classifier" if classifier else "regressor", "candidates": candidates,
                "folds": folds, "scoring": scoring, "n_jobs": int(self.n_jobs or 1)}
        xs = _native.pack([as_float32(X, "X")])
        ys = _native.pack([as_float32(y_train, "y")])
        ss = _native.pack([as_float32(y_score, "y")])
        result = _native.take_json(_lib.keras_cross_validate, dumps(spec), xs.pointer,
                                   ys.pointer, ss.pointer)
        self.cv_results_ = self._results(params_list, result, len(folds))
        self.best_index_ = int(np.argmin(self.cv_results_["rank_test_score"]))
        self.best_params_ = params_list[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.n_splits_ = len(folds)
        self.scorer_ = scoring
        if self.refit:
            self.best_estimator_ = clone(estimator).set_params(**self.best_params_).fit(X, y, **fit_params)
        if classifier:
            self.classes_ = np.unique(y)
        self.multimetric_ = False
        return self

    def _fit_with_search_api(self, X, y, **fit_params):
        """GridSearchCV through keras_grid_search_new: one model config, grids over the
        estimator's own parameters (epochs, batch_size, optimizer__learning_rate, ...)."""
        grid = self.param_grid
        if not isinstance(grid, dict) or any(k.startswith("model__") for k in grid):
            raise ValueError("the library's grid search takes one model config: grid over the "
                             "estimator's parameters (epochs, optimizer__learning_rate, ...) "
                             "here, or use sklearn.model_selection.GridSearchCV for model__ "
                             "parameters (ABI_REQUESTS.md item 6)")
        if self.cv is not None and not isinstance(self.cv, (int, np.integer)):
            raise ValueError("the library's grid search takes cv as a number of folds")
        est = clone(self.estimator)
        classifier = is_classifier(est)
        Xv, yv = est._validate(np.asarray(X), np.asarray(y), reset=True)
        meta = est._fit_meta(yv)
        y_enc = est._encode_target(yv)
        model = est._build_model(meta)
        model._ensure_handle(as_float32(Xv[:1], "X"))
        ck = est._compile_kwargs()
        loss = ck["loss"] if ck["loss"] is not None else est._default_loss()
        params = {"epochs": est.epochs, "batch_size": est.batch_size, "verbose": 0,
                  "optimizer": ck["optimizer"].class_name.lower() if hasattr(ck["optimizer"], "class_name") else ck["optimizer"],
                  "loss": loss if isinstance(loss, str) else None,
                  "validation_split": est.validation_split,
                  "random_state": est.random_state if isinstance(est.random_state, (int, np.integer)) else None}
        params.update({f"optimizer__{k}": v for k, v in est._routed("optimizer").items()})
        params = {k: v for k, v in params.items() if v is not None}
        options = {"cv": int(self.cv or 5), "n_jobs": int(self.n_jobs or 1), "refit": False,
                   "verbose": 0}
        if self.scoring is not None:
            options["scoring"] = self.scoring
        kind = "KerasClassifier" if classifier else "KerasRegressor"
        xs = as_float32(Xv, "X")
        ys = as_float32(y_enc if classifier else np.asarray(yv, np.float32), "y")
        est_h, search_h = ctypes.c_void_p(), ctypes.c_void_p()
        try:
            _native.check(_lib.keras_estimator_new(kind.encode(), model.to_json().encode(),
                                                   dumps(params), ctypes.byref(est_h)))
            _native.check(_lib.keras_grid_search_new(est_h, dumps(grid), dumps(options),
                                                     ctypes.byref(search_h)))
            _native.check(_lib.keras_search_fit(search_h, *_buf(xs), *_buf(ys)))
            result = _native.take_json(_lib.keras_search_results, search_h)
        finally:
            _lib.keras_search_free(search_h)
            _lib.keras_estimator_free(est_h)
        cv = {k: (v if k == "params" else np.asarray(v)) for k, v in result["cv_results"].items()}
        self.cv_results_ = cv
        self.best_index_ = int(result["best_index"])
        self.best_params_ = dict(result["best_params"])
        self.best_score_ = float(result["best_score"])
        self.n_splits_ = int(result.get("n_splits", options["cv"]))
        self.scorer_ = self.scoring or ("accuracy" if classifier else "r2")
        self.multimetric_ = False
        if self.refit:
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_).fit(X, y, **fit_params)
        if classifier:
            self.classes_ = np.unique(y)
        return self

    @staticmethod
    def _results(params_list, result, n_folds):
        scores = np.asarray(result["scores"], dtype=float)
        fit_times = np.asarray(result.get("fit_times", np.zeros_like(scores)), dtype=float)
        score_times = np.asarray(result.get("score_times", np.zeros_like(scores)), dtype=float)
        out = {"mean_fit_time": fit_times.mean(1), "std_fit_time": fit_times.std(1),
               "mean_score_time": score_times.mean(1), "std_score_time": score_times.std(1)}
        names = sorted({k for p in params_list for k in p})
        for name in names:
            col = np.ma.MaskedArray(np.empty(len(params_list), dtype=object),
                                    mask=[name not in p for p in params_list])
            for i, p in enumerate(params_list):
                if name in p:
                    col[i] = p[name]
            out[f"param_{name}"] = col
        out["params"] = params_list
        for k in range(n_folds):
            out[f"split{k}_test_score"] = scores[:, k]
        mean = scores.mean(1)
        out["mean_test_score"] = mean
        out["std_test_score"] = scores.std(1)
        filled = np.where(np.isnan(mean), -np.inf, mean)
        out["rank_test_score"] = rankdata(-filled, method="min").astype(np.int32)
        return out

    def predict(self, X):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)

    def predict_proba(self, X):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    def score(self, X, y):
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.score(X, y)


class GridSearchCV(_NativeSearch):
    """scikit-learn's GridSearchCV interface; fits run natively in threads of this process."""

    def __init__(self, estimator, param_grid, *, scoring=None, n_jobs=None, refit=True, cv=None,
                 verbose=0, pre_dispatch="2*n_jobs", error_score=np.nan,
                 return_train_score=False):
        self.estimator = estimator
        self.param_grid = param_grid
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.error_score = error_score
        self.return_train_score = return_train_score

    def _candidates(self):
        return ParameterGrid(self.param_grid)


class RandomizedSearchCV(_NativeSearch):
    """scikit-learn's RandomizedSearchCV interface; fits run natively in threads."""

    def __init__(self, estimator, param_distributions, *, n_iter=10, scoring=None, n_jobs=None,
                 refit=True, cv=None, verbose=0, pre_dispatch="2*n_jobs", random_state=None,
                 error_score=np.nan, return_train_score=False):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score

    def _candidates(self):
        return ParameterSampler(self.param_distributions, self.n_iter,
                                random_state=self.random_state)


def _buf(arr):
    return (arr.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), arr.ndim,
            _native.int64_array(arr.shape))


__all__ = ["GridSearchCV", "RandomizedSearchCV"]
