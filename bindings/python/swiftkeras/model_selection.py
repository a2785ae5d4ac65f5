"""Native model selection: scikit-learn's GridSearchCV / RandomizedSearchCV interface, with
the candidate x fold fits run by the library on its worker threads in this process.

Python decides what scikit-learn decides (the candidates from the parameter grid, the folds
from scikit-learn's splitter, the models from the estimator's model function), so the splits
and cv_results_ are those of `sklearn.model_selection.GridSearchCV`; only the training and
scoring run natively: keras_grid_search_new, one search per combination of model__ parameters
(the model function is Python code), and keras_cross_validate for cross_validate. A scikit-learn
Pipeline of StandardScaler / MinMaxScaler steps ending in a swiftkeras estimator runs natively
too (keras_pipeline_new: the scalers are fitted inside each fold), with `step__param` grids;
what the library cannot run (see _search_plan) runs in scikit-learn, after a UserWarning.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.model_selection import ParameterGrid, ParameterSampler, check_cv
from sklearn.utils.validation import check_is_fitted
from scipy.stats import rankdata

from . import _lib, _native, _plugins
from ._native import as_float32, dumps
from ._search_plan import SCORINGS as _SCORINGS
from ._search_plan import plan as _plan
from ._search_plan import why_not_native


class _NativeEstimator:
    """A library estimator (keras_estimator_new) equal to a swiftkeras KerasClassifier /
    KerasRegressor: the model its model function builds, its compile and fit parameters, and
    the data encoded as its fit would encode it; with `steps`, a Pipeline of those transformer
    steps ending in it, named `final_name` (keras_pipeline_new). A context manager freeing the
    handle."""

    def __init__(self, est, X, y, model_json=None, steps=None, final_name=None):
        classifier = is_classifier(est)
        Xv, yv = est._initialize(X, y)
        y_enc = est.target_encoder_.transform(yv)
        Xv = est.feature_encoder_.transform(Xv)
        est._ensure_compiled_model(Xv, yv)
        if model_json is None:
            seeded = isinstance(est.random_state, (int, np.integer))
            model_json = _seeded_model_json(est.model_) if seeded else est.model_._library_json()
        ck = est._get_compile_kwargs()
        loss = ck["loss"] if ck["loss"] is not None else est._default_loss(yv)
        optimizer = ck["optimizer"]
        params = {"epochs": est.epochs, "batch_size": est.batch_size, "verbose": 0,
                  "optimizer": optimizer.class_name.lower() if hasattr(optimizer, "class_name")
                  else optimizer,
                  "loss": loss if isinstance(loss, str) else None,
                  "validation_split": est.validation_split,
                  "random_state": est.random_state
                  if isinstance(est.random_state, (int, np.integer)) else None}
        params.update({f"optimizer__{k}": v for k, v in est._routed("optimizer").items()})
        self.params = {k: v for k, v in params.items() if v is not None}
        self.kind = "KerasClassifier" if classifier else "KerasRegressor"
        self.model_json = model_json
        self.x = as_float32(Xv, "X")
        self.y = as_float32(np.ravel(y_enc) if classifier else np.asarray(yv, np.float32), "y")
        self.steps, self.final_name = steps, final_name
        self.handle = None
        self.grid = b""   # a search's grid (JSON), whose model configs it makes models of

    def __enter__(self):
        # The Python layer classes its model config (and a search's grid of configs: `grid`)
        # names are known to the library while it holds the estimator: every fit, on the
        # library's worker threads, makes the model from such a config
        # (_plugins.functions_by_module).
        self._reading = contextlib.ExitStack()
        self._reading.enter_context(_plugins.functions_by_module(self.model_json.encode() + self.grid))
        h = ctypes.c_void_p()
        try:
            _native.check(_lib.keras_estimator_new(self.kind.encode(), self.model_json.encode(),
                                                   dumps(self.params), ctypes.byref(h)))
            if self.steps is not None:
                pipe = ctypes.c_void_p()
                try:
                    _native.check(_lib.keras_pipeline_new(dumps(self.steps), h.value,
                                                          self.final_name.encode(), ctypes.byref(pipe)))
                finally:
                    _lib.keras_estimator_free(h.value)
                h = pipe
        except BaseException:
            self._reading.close()
            raise
        self.handle = h.value
        return self

    def __exit__(self, *exc):
        _lib.keras_estimator_free(self.handle)
        self.handle = None
        self._reading.close()


def _seeded_model_json(model):
    """The model's config for the library's fits, with the seeds its unseeded initializers and
    generators took from Python's `random` when it was made (after the estimator's
    `set_random_seed(random_state)`, as each fit of scikit-learn's own search makes it): every
    fit of the native search starts from the weights that fit would (for an int random_state;
    without one, each library fit draws its own). The library's own config where the binding
    keeps none (a model read back from the library)."""
    try:
        return json.dumps(model._model_config())
    except (AttributeError, TypeError, ValueError, NotImplementedError):
        return model._library_json()


def _native_estimator(estimator, X, y, model_json=None):
    """The _NativeEstimator for a swiftkeras estimator or a Pipeline ending in one (a Plan)."""
    p = _plan(estimator)
    return _NativeEstimator(p.keras, X, y, model_json, p.steps, p.final_name or None)


class _NativeSearch(MetaEstimatorMixin, BaseEstimator):
    def _candidates(self):
        raise NotImplementedError

    def fit(self, X, y, **fit_params):
        """The search through keras_grid_search_new, which varies the estimator's own
        parameters (epochs, batch_size, optimizer, optimizer__learning_rate, ...) over one model
        config. The estimator's model function (Python) builds one model per combination of
        model__ parameters; the library searches over all of them at once, its model being a
        template whose whole config is a parameter (one native search per model where the
        library predates templates). cv_results_ lists the candidates in scikit-learn's order."""
        params_list = [dict(p) for p in self._candidates()]
        if not params_list:
            raise ValueError("the parameter grid has no candidates")
        plan, reason = why_not_native(self.estimator, X, y, fit_params,
                                      sorted({k for p in params_list for k in p}),
                                      [v for p in params_list for v in p.values()])
        if reason is None and self.scoring is not None and self.scoring not in _SCORINGS:
            reason = (f"scoring={self.scoring!r} is not one of the library's scorers "
                      f"{sorted(_SCORINGS)}")
        if reason is None and self.return_train_score:
            reason = "return_train_score=True"
        if reason is not None:
            return self._fit_with_sklearn(reason, X, y, **fit_params)
        self.native_ = True
        classifier = is_classifier(self.estimator)
        X = np.asarray(X)
        y = np.asarray(y)
        splits = _splits(self.cv, X, y, classifier)
        n_splits = splits if isinstance(splits, int) else len(splits)
        mp = plan.model_prefix   # the keys for the model function: model__ or <step>__model__
        groups: dict[str, list[int]] = {}
        for i, p in enumerate(params_list):
            key = json.dumps({k: _plain(v) for k, v in p.items() if k.startswith(mp)},
                             sort_keys=True)
            groups.setdefault(key, []).append(i)
        # The refit runs in the library's search too (on a worker, while the others finish the
        # fits) when one native search covers every candidate: its model becomes the best
        # estimator's, instead of a second training in Python after the search. The search then
        # takes the candidates one grid each in scikit-learn's order, so that it breaks ties
        # between equal scores as scikit-learn does.
        refit_natively = self.refit is True and plan.steps is None and \
            _lib.has("keras_estimator_model") and _lib.has("keras_search_best_estimator") and \
            (len(groups) == 1 or _lib.has("keras_randomized_search_new"))
        jobs = []   # (grid, indices of the candidates it scores, their model__ parameters)
        for indices in groups.values():
            model_params = {k: v for k, v in params_list[indices[0]].items() if k.startswith(mp)}
            rest = [_rest_params(params_list[i], mp) for i in indices]
            jobs += [(grid, members, model_params) for grid, members
                     in _as_grids(rest, indices, plan.prefix, one_each=refit_natively)]
        if refit_natively:
            jobs.sort(key=lambda job: job[1][0])
        if len(groups) > 1 and _lib.has("keras_randomized_search_new"):
            # One native search for every model: the estimator's model is a template whose
            # whole config is the parameter model__<_CONFIG>, one config per model__ combination.
            # The first model's library estimator (the data as encoded, the fit parameters) runs
            # the search with the template in place of its model: the model__ parameters change
            # only the model, so a third encoding of the data would give the same estimator.
            configs, first = {}, None
            grids, wanted = [], {}
            for grid, members, model_params in jobs:
                key = json.dumps(_plain_params(model_params), sort_keys=True)
                if key not in configs:
                    native = self._model_native(X, y, model_params)
                    configs[key] = json.loads(native.model_json)
                    first = first or native
                grids.append(dict(grid, **{mp + _CONFIG: [configs[key]]}))
                for i in members:
                    wanted[i] = dict(_rest_params(params_list[i], mp), **{mp + _CONFIG: configs[key]})
            first.model_json = json.dumps({"$param": _CONFIG})
            searches = [(self._native_search(X, y, {}, grids, splits, native=first,
                                             refit=refit_natively), wanted)]
        elif refit_natively:   # one model for every candidate
            searches = [(self._native_search(X, y, jobs[0][2], [grid for grid, _, _ in jobs],
                                             splits, refit=True),
                         {i: _rest_params(p, mp) for i, p in enumerate(params_list)})]
        else:
            searches = [(self._native_search(X, y, model_params, grid, splits),
                         {i: _rest_params(params_list[i], mp) for i in members})
                        for grid, members, model_params in jobs]
        refitted = searches[0][0].pop("refitted", None)
        scores = [None] * len(params_list)
        fit_times = [None] * len(params_list)
        score_times = [None] * len(params_list)
        ours = {}   # the library's candidate index -> this search's (one native search)
        for result, wanted in searches:
            cv_results = result["cv_results"]
            found = cv_results["params"]
            for i, params in wanted.items():
                j = next(k for k, f in enumerate(found) if _same_params(f, params))
                ours[j] = i
                scores[i] = [_nan(cv_results[f"split{k}_test_score"][j]) for k in range(n_splits)]
                fit_times[i] = [_nan(cv_results.get("mean_fit_time", [0.0] * (j + 1))[j])] * n_splits
                score_times[i] = [_nan(cv_results.get("mean_score_time", [0.0] * (j + 1))[j])] * n_splits
        result = {"scores": scores, "fit_times": fit_times, "score_times": score_times}
        # When each fit ran and on which worker (keras_search_results's "schedule"; candidates
        # as in cv_results_, split None for the refit, worker None for the calling thread).
        self.schedule_ = [dict(e, candidate=ours.get(e["candidate"], e["candidate"]))
                          for e in searches[0][0].get("schedule", [])] if len(searches) == 1 else None
        self.cv_results_ = self._results(params_list, result, n_splits)
        self.best_index_ = int(np.argmin(self.cv_results_["rank_test_score"]))
        self.best_params_ = params_list[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.n_splits_ = n_splits
        self.scorer_ = self.scoring or ("accuracy" if classifier else "r2")
        self.multimetric_ = False
        if refitted is not None and not _same_params(searches[0][0]["best_params"],
                                                     searches[0][1][self.best_index_]):
            refitted = None   # the library broke a tie between equal scores the other way
        if self.refit:
            best = clone(self.estimator).set_params(**self.best_params_)
            if refitted is not None:
                model, metadata, self.refit_time_ = refitted
                self.best_estimator_ = best._take_fitted_model(X, y, model, metadata)
            else:
                start = time.perf_counter()
                self.best_estimator_ = best.fit(X, y, **fit_params)
                self.refit_time_ = time.perf_counter() - start
        if classifier:
            self.classes_ = np.unique(y)
        return self

    def _fit_with_sklearn(self, reason, X, y, **fit_params):
        """scikit-learn's own search (joblib workers) with this search's parameters, its
        results copied here; `native_` is False and `fallback_reason_` says why."""
        import sklearn.model_selection as skms
        warnings.warn(f"swiftkeras.model_selection.{type(self).__name__}: {reason}; running "
                      f"sklearn.model_selection.{type(self).__name__} instead", UserWarning,
                      stacklevel=3)
        search = getattr(skms, type(self).__name__)(**self.get_params(deep=False))
        search.fit(X, y, **fit_params)
        vars(self).update({k: v for k, v in vars(search).items()
                           if k.endswith("_") and not k.startswith("_")})
        self.native_, self.fallback_reason_ = False, reason
        return self

    def _native_search(self, X, y, model_params, grid, splits, native=None, refit=False):
        """One keras_grid_search_new run: the estimator with `model_params` set (or `native`,
        a _NativeEstimator already made, e.g. with a template as its model), over `grid` (a
        grid or a list of grids). Returns keras_search_results; with `refit`, its "refitted"
        entry holds the best candidate's model refitted on all of X (keras_estimator_model),
        its estimator's metadata (keras_estimator_metadata) and the refit time."""
        if native is None:
            native = _native_estimator(clone(self.estimator).set_params(**model_params), X, y)
        options = {"cv": splits, "n_jobs": int(self.n_jobs or 1), "refit": bool(refit),
                   "verbose": 0}
        if self.scoring is not None:
            options["scoring"] = self.scoring
        search_h = ctypes.c_void_p()
        native.grid = dumps(grid)
        with native:
            try:
                _native.check(_lib.keras_grid_search_new(native.handle, dumps(grid),
                                                         dumps(options), ctypes.byref(search_h)))
                _native.check(_lib.keras_search_fit(search_h, *_buf(native.x), *_buf(native.y)))
                results = _native.take_json(_lib.keras_search_results, search_h)
                if refit:
                    results["refitted"] = _refitted_model(search_h, results)
                return results
            finally:
                _lib.keras_search_free(search_h)

    def _model_native(self, X, y, model_params):
        """The _NativeEstimator of the estimator with `model_params`: its model_json is the
        model config the estimator's model function builds for them."""
        return _native_estimator(clone(self.estimator).set_params(**model_params), X, y)

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


def _splits(cv, X, y, classifier):
    """What the library's "cv" option gets: scikit-learn's own splits (so that the folds are
    scikit-learn's, whatever the splitter), or a number of folds for a library that predates
    explicit splits (then only cv=<int> and unshuffled (Stratified)KFold are accepted)."""
    if _lib.has("keras_randomized_search_new"):   # the header that takes explicit splits
        splitter = check_cv(cv, y, classifier=classifier)
        return [{"train": train.tolist(), "test": test.tolist()}
                for train, test in splitter.split(X, y)]
    if cv is None:
        return 5
    if isinstance(cv, (int, np.integer)):
        return int(cv)
    if type(cv).__name__ == ("StratifiedKFold" if classifier else "KFold") and \
            not getattr(cv, "shuffle", False):
        return cv.get_n_splits()
    raise ValueError(f"cv={cv!r}: this libkeras.so splits like scikit-learn's cv=<int> "
                     f"(StratifiedKFold for classifiers, KFold for regressors, no shuffling); "
                     f"use sklearn.model_selection for other splitters")


# The template parameter holding a whole model config (keras_estimator_new's "$param").
_CONFIG = "swiftkeras_model_config"


def _refitted_model(search_h, results):
    """The search's refitted best estimator as (its model, its metadata with history_, the
    refit's seconds)."""
    from .models import _from_handle
    best_h, model_h = ctypes.c_void_p(), ctypes.c_void_p()
    _native.check(_lib.keras_search_best_estimator(search_h, ctypes.byref(best_h)))
    try:
        metadata = _native.take_json(_lib.keras_estimator_metadata, best_h)
        _native.check(_lib.keras_estimator_model(best_h, ctypes.byref(model_h)))
    finally:
        _lib.keras_estimator_free(best_h)
    return _from_handle(model_h.value), metadata, results.get("refit_time")


def _rest_params(params, model_prefix="model__"):
    return {k: v for k, v in params.items() if not k.startswith(model_prefix)}


def _plain(v):
    """A parameter value as JSON sees it (grids hold numpy scalars, tuples, ...)."""
    return json.loads(dumps(v))


def _plain_params(p):
    return {k: _plain(v) for k, v in p.items()}


def _same(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
            not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    return a == b


def _same_params(found, wanted):
    """Whether the library's parameters `found` hold every one of `wanted`. Values equal as
    they are (a template's whole model config, already plain JSON) skip the JSON round trip."""
    found = found or {}
    for k, v in wanted.items():
        f = found.get(k)
        try:
            if type(f) is type(v) and f == v:
                continue
        except ValueError:   # arrays: no truth value
            pass
        if not _same(_plain(f), _plain(v)):
            return False
    return True


def _nan(v):
    return float("nan") if v is None else float(v)


def _as_grids(candidates, indices, prefix="", one_each=False):
    """Candidates sharing a model, as few native grids as possible: one grid when they are the
    full product of their values (a grid search), else (or with `one_each`) one grid per
    candidate (a randomized search). Yields (grid, indices of the candidates it scores).
    `prefix` leads the estimator's own keys (a Pipeline's last step)."""
    keys = sorted({k for c in candidates for k in c})
    quiet = {prefix + "verbose": [0]}   # the grid of a candidate without other parameters
    if not keys and not one_each:
        yield quiet, list(indices)
        return
    values = {k: [] for k in keys}
    for c in candidates:
        for k in keys:
            v = _plain(c.get(k))
            if v not in values[k]:
                values[k].append(v)
    product = 1
    for v in values.values():
        product *= len(v)
    complete = all(set(c) == set(keys) for c in candidates)
    distinct = {json.dumps(_plain_params(c), sort_keys=True) for c in candidates}
    if complete and product == len(distinct) == len(candidates) and not one_each:
        yield values, list(indices)
        return
    for c, i in zip(candidates, indices):
        yield ({k: [_plain(v)] for k, v in c.items()} if c else quiet), [i]


def cross_validate(estimator, X, y, *, scoring=None, cv=None, n_jobs=None,
                   return_train_score=False):
    """scikit-learn's `cross_validate` for a swiftkeras KerasClassifier / KerasRegressor (or a
    Pipeline of library transformers ending in one), the fits run by the library on n_jobs
    threads (`keras_cross_validate`); the folds are scikit-learn's. Returns {"fit_time",
    "score_time", "test_score"[, "train_score"]} (one "test_<name>" per scorer when scoring is
    a list) as numpy arrays. What the library cannot fit runs scikit-learn's cross_validate,
    after a UserWarning naming the reason."""
    _, reason = why_not_native(estimator, X, y, {})
    if reason is None and not _lib.has("keras_randomized_search_new"):
        reason = "this libkeras.so has no keras_cross_validate taking explicit splits"
    if reason is not None:
        import sklearn.model_selection as skms
        warnings.warn(f"swiftkeras.model_selection.cross_validate: {reason}; running "
                      f"sklearn.model_selection.cross_validate instead", UserWarning, stacklevel=2)
        result = skms.cross_validate(estimator, X, y, scoring=scoring, cv=cv, n_jobs=n_jobs,
                                     return_train_score=return_train_score)
        return {k: np.asarray(v, dtype=float) for k, v in result.items()}
    X, y = np.asarray(X), np.asarray(y)
    options = {"cv": _splits(cv, X, y, is_classifier(estimator)), "n_jobs": int(n_jobs or 1),
               "return_train_score": bool(return_train_score)}
    if scoring is not None:
        options["scoring"] = scoring
    with _native_estimator(clone(estimator), X, y) as native:
        result = _native.take_json(_lib.keras_cross_validate, native.handle, *_buf(native.x),
                                   *_buf(native.y), dumps(options))
    return {k: np.asarray([np.nan if v is None else v for v in values], dtype=float)
            for k, values in result.items()}


def cross_val_score(estimator, X, y, *, scoring=None, cv=None, n_jobs=None):
    """scikit-learn's `cross_val_score`, natively (see cross_validate)."""
    return cross_validate(estimator, X, y, scoring=scoring, cv=cv, n_jobs=n_jobs)["test_score"]


def _buf(arr):
    return (arr.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), arr.ndim,
            _native.int64_array(arr.shape))


__all__ = ["GridSearchCV", "RandomizedSearchCV", "cross_validate", "cross_val_score"]
