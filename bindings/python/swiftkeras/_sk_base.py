"""BaseWrapper: what SciKeras-style KerasClassifier and KerasRegressor share (see wrappers)."""

from __future__ import annotations

import ctypes
import inspect
import json
import weakref
from collections import defaultdict

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import (_check_sample_weight, check_array, column_or_1d,
                                      validate_data)

from . import callbacks as _callbacks
from . import optimizers as _optimizers
from ._sk_utils import (UnbuiltSequential, copy_model, exact_label_text, route_params,
                        unflatten_params)
from .models import Model, _numpy_random_shared, _shuffle_option

_ROUTES = ("model", "fit", "predict", "compile", "optimizer", "loss", "metrics", "callbacks",
           "score")
_CALLBACK_TYPES = (_callbacks.Callback, _callbacks.BuiltinCallback)


class BaseWrapper(BaseEstimator):
    """Shared behaviour of KerasClassifier and KerasRegressor (SciKeras's BaseWrapper)."""

    _fit_kwargs = {"batch_size", "epochs", "verbose", "validation_split", "shuffle",
                   "class_weight", "sample_weight", "initial_epoch", "validation_steps",
                   "validation_batch_size", "validation_freq", "steps_per_epoch"}
    _predict_kwargs = {"batch_size", "verbose", "steps"}
    _compile_kwargs = {"optimizer", "loss", "metrics", "loss_weights", "weighted_metrics",
                       "run_eagerly"}

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
        self._kwargs = dict(kwargs)

    # -- parameters ------------------------------------------------------------------------
    @classmethod
    def _get_param_names(cls):
        """scikit-learn's, read once per class: it inspects `__init__`'s signature on every
        get_params, which clone, set_params and the search call dozens of times per fit."""
        names = cls.__dict__.get("_param_names")
        if names is None:
            names = tuple(super()._get_param_names())
            cls._param_names = names
        return list(names)

    def __getattr__(self, name):
        kwargs = self.__dict__.get("_kwargs")
        if kwargs is not None and name in kwargs:
            return kwargs[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    @property
    def __name__(self):
        return type(self).__name__

    @property
    def _user_params(self):
        return set(self.__dict__.get("_kwargs", ()))

    def get_params(self, deep=True):
        params = super().get_params(deep=False)
        params.update(self.__dict__.get("_kwargs", {}))
        return params

    def set_params(self, **params):
        for key, value in params.items():
            if key in self._user_params or any(key.startswith(p + "__") for p in _ROUTES):
                self._kwargs[key] = value
                continue
            try:
                super().set_params(**{key: value})
            except ValueError:
                raise ValueError(
                    f"Invalid parameter {key} for estimator {self.__name__}.\nThis issue can "
                    f"likely be resolved by setting this parameter in the {self.__name__} "
                    f"constructor:\n`{self.__name__}({key}={value})`\nCheck the list of "
                    f"available parameters with `estimator.get_params().keys()`") from None
        return self

    def _routed(self, prefix):
        return route_params(self.get_params(), prefix, set())

    # -- hooks a subclass overrides ------------------------------------------------------------
    @property
    def target_encoder(self):
        """The transformer for y; its `get_metadata()` becomes attributes and `meta`."""
        return FunctionTransformer()

    @property
    def feature_encoder(self):
        """The transformer for X; its `get_metadata()` becomes attributes and `meta`."""
        return FunctionTransformer()

    @staticmethod
    def scorer(y_true, y_pred, **kwargs):
        raise NotImplementedError("Scoring is not implemented on BaseWrapper.")

    @property
    def current_epoch(self):
        """Epochs trained since the model was built."""
        return len(self.history_["loss"]) if hasattr(self, "history_") else 0

    @property
    def initialized_(self):
        return hasattr(self, "model_")

    # -- building ------------------------------------------------------------------------------
    def _model_function(self):
        model = self.model if self.model is not None else self.build_fn
        if model is None:
            if not hasattr(self, "_keras_build_fn"):
                raise ValueError("If not using the ``build_fn`` param, you must implement "
                                 "``_keras_build_fn``")
            return self._keras_build_fn
        if isinstance(model, Model):
            return model
        if not callable(model):
            raise TypeError("``model`` must be a callable, a Keras Model instance or None")
        if hasattr(self, "_keras_build_fn"):
            raise ValueError("This class cannot implement ``_keras_build_fn`` if using the "
                             "`model` parameter")
        return model

    def _get_metadata(self):
        return {k: v for k, v in self.__dict__.items()
                if len(k) > 1 and k[-1] == "_" and k[-2] != "_" and k[0] != "_"}

    def _build_keras_model(self):
        fn = self._model_function()
        if isinstance(fn, Model):
            return copy_model(fn)  # a fresh copy per fit, as SciKeras clones
        params = self.get_params()
        sig = inspect.signature(fn).parameters
        var_kw = any(p.kind == p.VAR_KEYWORD for p in sig.values())
        kwargs = route_params(params, "model", self._user_params, strict=True)
        kwargs = {k: v for k, v in kwargs.items() if not any(k.startswith(r + "__") for r in _ROUTES)}
        for name in sig:
            if name in params and name not in ("model", "build_fn") and name not in kwargs:
                kwargs[name] = params[name]
        if "meta" in sig or var_kw:
            kwargs["meta"] = self._get_metadata()
        if "compile_kwargs" in sig or var_kw:
            kwargs["compile_kwargs"] = self._get_compile_kwargs()
        if "params" in sig or var_kw:
            kwargs["params"] = params
        unknown = set(kwargs) - set(sig)
        if unknown and not var_kw:
            raise ValueError(f"model__{sorted(unknown)[0]} was given but the model function "
                             f"{getattr(fn, '__name__', fn)} does not take that argument")
        model = fn(**kwargs)
        if not isinstance(model, Model):
            raise TypeError(f"the model function must return a swiftkeras model, got "
                            f"{type(model).__name__}")
        return model

    def _get_compile_kwargs(self):
        params = self.get_params()
        kw = route_params(params, "compile", self._compile_kwargs)
        optimizer = kw.get("optimizer")
        if isinstance(optimizer, str):
            optimizer = type(_optimizers.get(optimizer))
        kw["optimizer"] = unflatten_params(optimizer, route_params(params, "optimizer", set(), True))
        loss = kw.get("loss")
        kw["loss"] = unflatten_params(loss, route_params(params, "loss", set()))
        metrics = unflatten_params(kw.get("metrics"), route_params(params, "metrics", set()))
        if metrics is not None and not isinstance(metrics, (dict, list)):
            metrics = [metrics]
        kw["metrics"] = metrics
        kw.pop("run_eagerly", None)
        return kw

    def _compile_kwargs_for_fit(self, y):
        kw = self._get_compile_kwargs()
        if kw["loss"] is None:
            kw["loss"] = self._default_loss(y)
        return kw

    def _default_loss(self, y):
        raise ValueError("You must provide a loss or a compiled model")

    def _ensure_compiled_model(self, X, y):
        if not getattr(self.model_, "_compile_config", None):
            self.model_.compile(**self._compile_kwargs_for_fit(y))
        batch = self.batch_size if self.batch_size not in (None, -1) else 32 if self.batch_size is None else None
        self.model_._ensure_handle(_first_rows(X, batch))

    def _seed(self):
        seed = self.random_state
        if isinstance(seed, np.random.RandomState):
            r = np.random.RandomState()
            r.set_state(seed.get_state())
            seed = int(r.randint(low=1, high=2 ** 31 - 1))
        self._random_state = seed
        if seed is not None:
            from .utils import set_random_seed
            set_random_seed(int(seed))

    def _callbacks_for(self, destination):
        params = self.get_params()
        if params.get(destination) is None:
            return []
        cbs = unflatten_params(params[destination], route_params(params, destination, set()))
        if isinstance(cbs, dict):
            cbs = list(cbs.values())
        elif isinstance(cbs, _CALLBACK_TYPES):
            cbs = [cbs]
        flat = [c for cb in (cbs if isinstance(cbs, (list, tuple)) else [None])
                for c in (cb if isinstance(cb, list) else [cb])]
        if not all(isinstance(c, _CALLBACK_TYPES) for c in flat):
            raise TypeError("If specified, ``callbacks`` must be one of:\n - A dict of string "
                            "keys with callbacks or lists of callbacks as values\n - A list of "
                            "callbacks or lists of callbacks\n - A single callback\nWhere each "
                            "callback can be a instance of `keras.callbacks.Callback` or a "
                            "sublass of it to be compiled by SciKeras")
        return flat

    # -- data --------------------------------------------------------------------------------
    _y_numeric = False

    def _validate_data(self, X=None, y=None, reset=False):
        if X is not None:
            common = dict(reset=reset, dtype="numeric", allow_nd=True, ensure_all_finite=True)
            if y is not None:
                X, y = validate_data(self, X, y, multi_output=True, y_numeric=self._y_numeric,
                                     **common)
            else:
                X = validate_data(self, X, **common)
            if reset:
                self.X_dtype_, self.X_shape_ = X.dtype, X.shape
            elif X.shape[1:] != self.X_shape_[1:]:
                raise ValueError(f"X has shape {X.shape[1:]}, but this {self.__name__} is "
                                 f"expecting X of shape {self.X_shape_[1:]}")
        if y is not None:
            y = check_array(y, ensure_2d=False, allow_nd=False, ensure_all_finite=False,
                            dtype=np.float32 if self._y_numeric and np.asarray(y).dtype.kind
                            in "OUS" else None)
            if y.ndim == 2 and y.shape[1] == 1:
                y = column_or_1d(y, warn=True)  # scikit-learn's DataConversionWarning
            if reset:
                self.target_type_ = self._type_of_target(y)
                self.y_dtype_, self.y_ndim_ = y.dtype, y.ndim
            elif getattr(self, "y_ndim_", y.ndim) != y.ndim:
                raise ValueError(f"y has {y.ndim} dimensions, but this {self.__name__} is "
                                 f"expecting {self.y_ndim_} dimensions in y.")
        return X, y

    def _type_of_target(self, y):
        from sklearn.utils.multiclass import type_of_target
        return type_of_target(y)

    @staticmethod
    def _validate_sample_weight(X, y, sample_weight):
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float32)
        if np.all(sample_weight == 0):
            raise ValueError("No training samples had any weight; only zeros were passed in "
                             "sample_weight. That means there's nothing to train on by "
                             "definition, so training can not be completed.")
        keep = sample_weight != 0
        return X[keep, ...], y[keep, ...], sample_weight[keep, ...]

    # -- fitting -----------------------------------------------------------------------------
    def _initialize(self, X, y=None):
        self._seed()
        self.__dict__.pop("_library_estimator", None)
        X, y = self._validate_data(X, y, reset=True)
        self.target_encoder_ = self.target_encoder.fit(y)
        vars(self).update(getattr(self.target_encoder_, "get_metadata", dict)())
        self.feature_encoder_ = self.feature_encoder.fit(X)
        vars(self).update(getattr(self.feature_encoder_, "get_metadata", dict)())
        self.model_ = self._build_keras_model()
        return X, y

    def initialize(self, X, y=None):
        """Builds (and compiles) the model without training it, for prediction with a
        pretrained model. SciKeras: `initialize`."""
        X, y = self._initialize(X, y)
        self._ensure_compiled_model(self.feature_encoder_.transform(X), y)
        return self

    def _take_fitted_model(self, X, y, model, metadata):
        """This estimator as `fit(X, y)` leaves it, from a model the library already trained
        on (X, y) with these parameters (a native search's refit, keras_estimator_model) and
        the metadata of the estimator that trained it (keras_estimator_metadata):
        initialize's attributes and model, then `model`'s weights, optimizer state
        (keras_model_copy_optimizer_state) and history, so that it trains on as the refit's own
        estimator would. Predictions, scores and further training then go through a library
        estimator rebuilt from the metadata (keras_estimator_restore), as after a fit."""
        from . import _lib, _native
        self.initialize(X, y)
        self.model_.set_weights(model.get_weights())
        _native.check(_lib.keras_model_copy_optimizer_state(self.model_._handle, model._handle))
        self.history_ = defaultdict(list, {k: list(v) for k, v in metadata["history_"].items()})
        if not self._user_target_encoder() and self._estimator_target(y) is not None:
            self._library_estimator = _LibraryEstimator.restore(
                self, self._library_metadata(metadata, y), self._library_params({}))
        return self

    def fit(self, X, y, sample_weight=None, **kwargs):
        """Builds a new model (unless warm_start) and trains it on (X, y)."""
        kwargs["epochs"] = kwargs.get("epochs", self._kwargs.get("fit__epochs", self.epochs))
        kwargs["initial_epoch"] = kwargs.get("initial_epoch", 0)
        self._fit(X, y, sample_weight, warm_start=self.warm_start, **kwargs)
        return self

    def partial_fit(self, X, y, sample_weight=None, **kwargs):
        """One epoch from where training stopped, extending history_."""
        for name in ("epochs", "initial_epoch"):
            if name in kwargs:
                raise TypeError(f"Invalid argument `{name}` to `partial_fit`: `partial_fit` "
                                f"always trains for 1 epoch from the current epoch")
        self._fit(X, y, sample_weight, warm_start=True, epochs=1,
                  initial_epoch=self.current_epoch, partial=True, **kwargs)
        return self

    def _fit(self, X, y, sample_weight, warm_start, epochs, initial_epoch, partial=False,
             **kwargs):
        if y is None:
            raise ValueError(f"{self.__name__} requires y to be passed, but the target y is None")
        fresh = not ((self.warm_start or warm_start) and self.initialized_)
        if fresh:
            X, y = self._initialize(X, y)
        else:
            X, y = self._validate_data(X, y)
        if sample_weight is not None:
            X, y, sample_weight = self._validate_sample_weight(X, y, sample_weight)
        X = self.feature_encoder_.transform(X)
        self._ensure_compiled_model(X, y)
        self._fit_library_estimator(X, y, sample_weight, epochs, initial_epoch, kwargs, fresh,
                                    partial, warm_start)

    # Keras model.fit's arguments that the library estimator takes: as its parameters (the
    # fit__ ones), as Keras fit arguments of keras_estimator_fit_arrays (validation_data,
    # class_weight), or that apply to datasets only (validation_steps, as in model.fit: X here
    # is arrays). sample_weight is fit's own argument: a routed fit__sample_weight gives way to
    # it, as in SciKeras.
    _ESTIMATOR_FIT_ARGS = {"batch_size", "epochs", "verbose", "validation_split", "shuffle",
                           "validation_steps", "initial_epoch", "steps_per_epoch",
                           "validation_freq", "validation_batch_size", "validation_data",
                           "class_weight", "sample_weight", "callbacks"}

    def _estimator_target(self, y):
        """y as the library's estimator takes it (keras_estimator_from_model), or None when
        the library takes this target as the Python target encoder encodes it."""
        return None

    def _user_target_encoder(self):
        """Whether a subclass overrides target_encoder (SciKeras's hook)."""
        return type(self).target_encoder is not _stock(type(self), "target_encoder")

    def _fit_library_estimator(self, X, y, sample_weight, epochs, initial_epoch, kwargs, fresh,
                               partial, warm_start):
        """Trains model_ through the library's estimator (keras_estimator_fit_arrays), every
        fit case: X as one array per model input (after the feature encoder), the routed fit
        arguments (_ESTIMATOR_FIT_ARGS; validation_data and class_weight as Keras's fit takes
        them), the callbacks, Ctrl-C at an epoch's end.
        The targets: the stock target encoder's work is the library's (it analyses and encodes
        y) for a freshly built model_; otherwise (a user's `target_encoder`, a target the
        library cannot take as labels, a model_ that no library estimator trained from its
        start) the Python target encoder encodes y and the library takes the targets as
        encoded (its target_encoder "passthrough"; several outputs side by side with
        output_columns), and predictions go back through the encoder's inverse_transform.
        A freshly built model_ gets a new estimator (keras_estimator_from_model: it trains
        model_ in place and keeps history_); a warm-started fit or a partial_fit continues
        with the estimator that trained model_ (or one rebuilt around it,
        keras_estimator_restore). Epochs are numbered from initial_epoch (fit__initial_epoch),
        and history_ is extended as SciKeras extends it."""
        from .models import _verbosity
        args = route_params(self.get_params(), "fit", self._fit_kwargs)
        args.update(kwargs, epochs=epochs)
        unknown = sorted(k for k, v in args.items() if k not in self._ESTIMATOR_FIT_ARGS and
                         v is not None)
        if unknown:
            raise TypeError(f"Invalid keyword argument(s) in `fit()`: {unknown}")
        callbacks = self._callbacks_for("callbacks") + self._callbacks_for("fit__callbacks")
        xs = self._input_arrays(X)
        _whole_batch(args, len(xs[0]), ("batch_size", "validation_batch_size"))
        verbose = _verbosity(args.get("verbose", 1), 1)
        lib = None if fresh else self.__dict__.get("_library_estimator")
        if lib is not None and lib.model is not self.model_:
            lib = None
        target = None if self._user_target_encoder() or (not fresh and lib is None) or \
            (lib is not None and lib.passthrough) or self.model_._io_count(False) != 1 else \
            self._estimator_target(y)
        labels = isinstance(target, list)  # text labels, as keras_estimator_fit_labels takes them
        classes = None
        if target is not None and partial and fresh and is_classifier(self) and np.ndim(y) == 1:
            classes = [exact_label_text(c) for c in self.classes_] if labels else \
                self._exact_float32(self.classes_)
            if classes is None:
                target = None  # classes float32 cannot hold: the encoder's categories decide
        if lib is not None and not lib.passthrough and (target is None or lib.labels != labels):
            lib = None  # y changed kind since: an estimator of encoded targets takes over model_
        passthrough, columns = target is None, None
        if passthrough:
            target, columns = self._encoded_target(y)
        params = self._library_params(args)
        params.update(epochs=int(args["epochs"]), verbose=verbose, warm_start=not fresh,
                      shuffle=_shuffle_option(args.get("shuffle", True)),
                      validation_split=float(args.get("validation_split") or 0.0),
                      batch_size=params.get("batch_size"),
                      target_encoder="passthrough" if passthrough else None,
                      output_columns=columns, fit__initial_epoch=int(initial_epoch))
        if is_classifier(self):
            numeric = labels and np.asarray(y).dtype.kind in "biuf"
            params["label_order"] = "numeric" if numeric else None
        for key in ("steps_per_epoch", "validation_freq", "validation_batch_size"):
            params["fit__" + key] = None if args.get(key) is None else int(args[key])
        if fresh:
            lib = _LibraryEstimator.new(self.model_, _estimator_kind(self), params, labels)
        elif lib is None:
            lib = _LibraryEstimator.around(self.model_, _estimator_kind(self), xs, params)
        else:
            lib.set_params(params)
        options = _fit_options(partial, args.get("class_weight"))
        if classes is not None:
            options["classes"] = classes if labels else [float(c) for c in classes]
        history = lib.fit(xs, target, sample_weight, args.get("validation_data"), options,
                          callbacks)
        history = self.model_._record_history(history, initial_epoch,
                                              initial_epoch + params["epochs"], verbose)
        # SciKeras: a new history_ unless the fit continues (warm start or partial_fit) from a
        # non-zero initial epoch.
        if not warm_start or not hasattr(self, "history_") or initial_epoch == 0:
            self.history_ = defaultdict(list)
        for key, values in history.history.items():
            self.history_[key] += list(values)
        # predict, predict_proba and score decode through the same estimator.
        self._library_estimator = lib

    def _input_arrays(self, X):
        """X (after the feature encoder: an array, or a list or dict of them for a model with
        several inputs) as one float32 array per model input."""
        from . import _native
        xs = self.model_._arrays(X, "X", inputs=True)
        if any(isinstance(a, _native.StringArray) for a in xs):
            raise TypeError("X: the feature encoder gave strings; the estimator takes numbers "
                            "(encode text in the model, with TextVectorization or StringLookup, "
                            "from numeric ids)")
        return xs

    def _encoded_target(self, y):
        """y encoded by target_encoder_, as the library's "passthrough" target: one float32
        array for a single-output model, else the outputs' targets side by side (in the
        model's output order, each as rows) and the columns of each (output_columns)."""
        encoded = self._adapt_target_to_model(self.target_encoder_.transform(y))
        self._check_model_compatibility(encoded)
        return _side_by_side(self.model_, encoded)

    def _library_params(self, args):
        """The library estimator's parameters that decide its target encoding and batches:
        the compiled loss (by name) and the fit's batch_size."""
        from ._sk_utils import loss_name
        params = {}
        loss = loss_name((self.model_._compile_config or {}).get("loss"))
        if isinstance(loss, str):
            params["loss"] = loss
        if args.get("batch_size") is not None:
            params["batch_size"] = int(args["batch_size"])
        return params

    def _adapt_target_to_model(self, y):
        return y

    def _check_model_compatibility(self, y):
        expected = getattr(self, "n_outputs_expected_", None)
        if expected and expected != self.model_._io_count(False):
            raise ValueError(f"Detected a Keras model input of size {expected}, but "
                             f"{self.model_} has {self.model_._io_count(False)} outputs")

    # -- predicting --------------------------------------------------------------------------
    def _predict_args(self, kwargs):
        args = route_params(self.get_params(), "predict", self._predict_kwargs, strict=True)
        args["verbose"] = 0 if args.get("verbose", 0) in (0, None) else args["verbose"]
        args.update(kwargs)
        return args

    def _library_call(self, X, kwargs):
        """What a prediction of X takes: the library estimator of model_ (the one that trained
        it, or one rebuilt around it that takes the targets as encoded), X as one array per
        model input, and the call's own options and callbacks (predict__batch_size,
        predict__verbose, predict__callbacks or predict's arguments; `steps` applies to
        datasets only, as in model.predict)."""
        from .models import _verbosity
        if not self.initialized_:
            raise NotFittedError("Estimator needs to be fit before `predict` can be called")
        X, _ = self._validate_data(X)
        xs = self._input_arrays(self.feature_encoder_.transform(X))
        args = self._predict_args(kwargs)
        batch = args.get("batch_size")
        options = {"verbose": _verbosity(args.get("verbose", 0), 1),
                   "batch_size": None if batch is None else int(batch)}
        lib = self.__dict__.get("_library_estimator")
        if lib is None or lib.model is not self.model_:
            lib = _LibraryEstimator.around(self.model_, _estimator_kind(self), xs,
                                           self._library_params({}))
            self._library_estimator = lib
        return lib, xs, options, args.get("callbacks")

    def _library_predict(self, method, X, kwargs):
        """`method` ("predict" / "predict_proba") of X through the library estimator
        (keras_estimator_predict_arrays); a passthrough estimator's raw outputs as an
        _EncodedPrediction for the target encoder to decode."""
        lib, xs, options, callbacks = self._library_call(X, kwargs)
        pred = lib.predict(method, xs, options, callbacks)
        if lib.passthrough:  # the model's raw outputs, for the target encoder
            return _EncodedPrediction(self.model_, pred)
        return pred

    def predict(self, X, **kwargs):
        """Predictions decoded by the library estimator that encoded the targets, or by the
        target encoder when the library took them encoded."""
        pred = self._library_predict("predict", X, kwargs)
        if isinstance(pred, _EncodedPrediction):
            return self.target_encoder_.inverse_transform(pred.outputs)
        return self._from_library_prediction(pred)

    def _from_library_prediction(self, pred):
        """keras_estimator_predict's float32 output in the target's dtype and shape."""
        return pred.reshape(-1, *self.target_encoder_._y_shape[1:])

    def score(self, X, y, sample_weight=None):
        _, y = self._validate_data(None, y)
        if sample_weight is not None:
            X, y, sample_weight = self._validate_sample_weight(np.asarray(X), y, sample_weight)
        score_args = route_params(self.get_params(), "score", set())
        lib = self.__dict__.get("_library_estimator")
        stock = getattr(_stock(type(self), "scorer"), "__func__", None)
        target = None if lib is None or lib.model is not self.__dict__.get("model_") or \
            lib.passthrough or score_args or type(self).scorer is not stock else \
            self._exact_float32(y)
        if target is not None:
            lib, xs, options, callbacks = self._library_call(X, {})
            return lib.score(xs, target, sample_weight, options, callbacks)
        return self.scorer(y, self.predict(X), sample_weight=sample_weight, **score_args)

    @staticmethod
    def _exact_float32(y):
        """y as float32 when that loses nothing (the library's targets are float32), else None."""
        y = np.asarray(y)
        if y.dtype.kind not in "biuf":
            return None
        target = np.ascontiguousarray(y, np.float32)
        return target if np.array_equal(target, y) else None

    def __getstate__(self):
        state = dict(super().__getstate__())  # object's is the instance's own dict
        lib = state.pop("_library_estimator", None)  # a handle: the copy restores its own
        if lib is not None and lib.model is state.get("model_"):
            state["_library_state"] = lib.state()
        model = state.get("model")
        if isinstance(model, Model) and model._handle is None and \
                getattr(model, "_input_batch_shape", True) is None:
            state["model"] = UnbuiltSequential(model)
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model"), UnbuiltSequential):
            state = dict(state, model=state["model"].build())
        state = dict(state)
        saved = state.pop("_library_state", None)
        super().__setstate__(state)
        if saved is not None:  # the fitted library estimator, around the unpickled model_
            self._library_estimator = _LibraryEstimator.restore(self, *saved)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        tags.input_tags.three_d_array = True
        return tags


def _stock(cls, name):
    """The `name` property of the first swiftkeras wrapper class in cls's method order (what a
    subclass that does not override it inherits)."""
    for base in cls.__mro__:
        if base.__module__ in (__name__, "swiftkeras._sk_estimators", "swiftkeras.wrappers") \
                and name in vars(base):
            return vars(base)[name]
    return None


class _LibraryEstimator:
    """A keras_estimator_from_model (or _restore) handle, freed with this object, the model it
    trains and the parameters it was last given."""

    def __init__(self, handle, model, params, labels):
        from . import _lib
        self.handle = handle
        self.model = model
        self.params = dict(params)
        self.labels = labels  # fitted on text labels (keras_estimator_fit_arrays' labels_json)
        # fitted on targets the Python target encoder encoded (target_encoder "passthrough")
        self.passthrough = self.params.get("target_encoder") == "passthrough"
        self.counts = {}  # history entries per key since this estimator took model
        self._units = None  # (model handle, output values per sample), see units()
        self._finalizer = weakref.finalize(self, _lib.keras_estimator_free, handle)

    @classmethod
    def new(cls, model, kind, params, labels):
        """A library estimator of `kind` that trains `model` (keras_estimator_from_model)."""
        from . import _lib, _native
        h = ctypes.c_void_p()
        _native.check(_lib.keras_estimator_from_model(kind, model._handle, _native.dumps(params),
                                                      ctypes.byref(h)))
        return cls(h.value, model, params, labels)

    @classmethod
    def restore(cls, est, metadata, params):
        """The fitted library estimator around est.model_ that keras_estimator_metadata's
        `metadata` describes (keras_estimator_restore), with `params`."""
        return cls._restored(est.model_, _estimator_kind(est), metadata, params)

    @classmethod
    def _restored(cls, model, kind, metadata, params):
        from . import _lib, _native
        h = ctypes.c_void_p()
        _native.check(_lib.keras_estimator_restore(kind, model._handle, _native.dumps(params),
                                                   _native.dumps(metadata), ctypes.byref(h)))
        lib = cls(h.value, model, params, metadata.get("classes_kind") == "strings")
        lib.counts = {k: len(v) for k, v in metadata["history_"].items()}
        return lib

    @classmethod
    def around(cls, model, kind, xs, params):
        """A library estimator of `kind` around `model` as it is (trained or not by another
        library estimator: after initialize, an unpickled Keras 3 wrapper, a target that changed
        kind), taking its targets as the Python target encoder encodes them (target_encoder
        "passthrough"): keras_estimator_restore of the metadata such a fit leaves (xs's sample
        shape, the model's output units, no classes, no history)."""
        units = sum(int(np.prod(model._io_shape(False, i, 1)[1:]))
                    for i in range(model._io_count(False)))
        shape = [int(d) for d in xs[0].shape[1:]]
        classifier = kind == b"KerasClassifier"
        metadata = {"n_features_in_": shape[0] if shape else 0,
                    "n_classes_": 0 if classifier else None, "classes_": None,
                    "classes_kind": None, "n_outputs_": units, "n_outputs_expected_": 1,
                    "output_units": units,
                    "target_type_": "multiclass" if classifier else "continuous",
                    "target_encoding": "identity", "y_ndim_": 2, "sample_shape": shape,
                    "output_activation": "linear", "default_loss": "", "history_": {}}
        return cls._restored(model, kind, metadata, dict(params, target_encoder="passthrough",
                                                         warm_start=True))

    def fit(self, xs, target, sample_weight, validation_data, options, callbacks):
        """keras_estimator_fit_arrays of xs (one array per model input) and target (an array,
        or a list of text labels) with Keras fit's sample_weight and validation_data, the
        `options` (_fit_options) and the callbacks, Ctrl-C stopping it at an epoch's end.
        Returns this fit's figures per key: the tail of the estimator's history since it took
        the model (validation keys have fewer entries with validation_freq > 1)."""
        from . import _lib, _native, _plugins
        labels = isinstance(target, list)
        sw = [] if sample_weight is None else \
            [np.ascontiguousarray(sample_weight, np.float32).reshape(-1)]
        px, pw = _native.pack(xs), _native.pack(sw)
        py = _native.pack([] if labels else [target])
        text = _native.dumps(target) if labels else None
        vx, vy, vw = _validation_packs(self.model, validation_data)
        fit = lambda cbs, k: _native.check(_lib.keras_estimator_fit_arrays(
            self.handle, px.pointer, px.count, py.pointer, text, pw.pointer, vx.pointer, vx.count,
            vy.pointer, vy.count, vw.pointer, _native.dumps(options), cbs, k))
        probe = _plugins.PROBE_FIT_EPOCHS if _plugins.native_interrupt_available() else 0
        # (a shuffled fit draws its orders from numpy's global generator, as model.fit's and
        # the fit of Keras's wrappers: np.random then goes on as after Keras's)
        with _numpy_random_shared(self.params.get("shuffle", True)):
            self.model._native_fit(callbacks, fit, probe)
        history = _native.take_json(_lib.keras_estimator_metadata, self.handle)["history_"]
        seen, self.counts = self.counts, {k: len(v) for k, v in history.items()}
        # JSON writes a non-finite figure as null; Keras's History (and model.fit's here) holds
        # the float.
        return {k: [np.nan if e is None else e for e in v[seen.get(k, 0):]] for k, v in history.items()}

    def state(self):
        """What restore takes to rebuild this estimator elsewhere (pickling)."""
        from . import _lib, _native
        return _native.take_json(_lib.keras_estimator_metadata, self.handle), self.params

    def set_params(self, params):
        from . import _lib, _native
        changed = {k: v for k, v in params.items() if self.params.get(k, None) != v}
        if changed:
            _native.check(_lib.keras_estimator_set_params(self.handle, _native.dumps(changed)))
            self.params.update(changed)

    def _run(self, call, rows, options, callbacks):
        """call(cbs, k) (a checked predict or score of `rows` samples, with the callbacks) with
        a verbose predict's progress bar printed as model.predict prints it; as model.predict's,
        a long one (more than _LONG_CALL_ROWS) stops after the current batch on SIGINT
        (KeyboardInterrupt), a short one raises it once done."""
        from . import _plugins
        from .models import _LONG_CALL_ROWS
        probe = _plugins.PROBE_PREDICT if _plugins.native_interrupt_available() and \
            rows > _LONG_CALL_ROWS else 0
        self.model._run_with_callbacks(callbacks, call, probe,
                                       prints=options.get("verbose", 0) != 0)

    def predict(self, method, xs, options, callbacks=None):
        """`method` ("predict" / "predict_proba") of xs (one array per model input) with the
        call's options, shaped as the library gives it; an estimator fitted on text labels
        predicts them as an object array of strings."""
        from . import _lib, _native
        px, n = _native.pack(xs), len(xs[0])
        out = np.empty(n * max(self.units(), 2), np.float32)
        output = _lib.keras_output()
        output.data = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        output.capacity = out.size
        text = ctypes.c_char_p()
        self._run(lambda cbs, k: _native.check(_lib.keras_estimator_predict_arrays(
            self.handle, method.encode(), px.pointer, px.count, _native.dumps(options), cbs, k,
            ctypes.byref(output), ctypes.byref(text))), n, options, callbacks)
        if text.value is not None:
            raw = ctypes.cast(text, ctypes.c_void_p)
            try:
                return np.array(json.loads(text.value.decode("utf-8")), dtype=object)
            finally:
                _lib.keras_string_free(raw)
        shape = tuple(output.shape[i] for i in range(output.ndim))
        return out[:int(np.prod(shape))].reshape(shape)

    def units(self):
        """The model's output values per sample (all outputs), asked of the library once per
        model handle."""
        handle = self.model._handle
        if self._units is None or self._units[0] != handle:
            count = sum(int(np.prod([d or 1 for d in self.model._io_shape(False, i, 1)[1:]]))
                        for i in range(self.model._io_count(False)))
            self._units = (handle, count)
        return self._units[1]

    def score(self, xs, y, sample_weight, options, callbacks=None):
        from . import _lib, _native
        score = ctypes.c_double()
        sw = [] if sample_weight is None else \
            [np.ascontiguousarray(sample_weight, np.float32).reshape(-1)]
        px, py, pw = _native.pack(xs), _native.pack([y]), _native.pack(sw)
        self._run(lambda cbs, k: _native.check(_lib.keras_estimator_score_arrays(
            self.handle, px.pointer, px.count, py.pointer, pw.pointer, _native.dumps(options),
            cbs, k, ctypes.byref(score))), len(xs[0]), options, callbacks)
        return float(score.value)


class _EncodedPrediction:
    """A passthrough estimator's raw prediction (keras_estimator_predict: each sample's outputs
    side by side) as model_.predict gives it: one array, or a list per output."""

    def __init__(self, model, joined):
        n, count = len(joined), model._io_count(False)
        shapes = [model._io_shape(False, i, n) for i in range(count)]
        flat, parts, start = joined.reshape(n, -1), [], 0
        for shape in shapes:
            width = int(np.prod(shape[1:]))
            parts.append(flat[:, start:start + width].reshape(shape))
            start += width
        self.outputs = parts[0] if count == 1 else parts


def _estimator_kind(est):
    return b"KerasClassifier" if is_classifier(est) else b"KerasRegressor"


def _whole_batch(args, rows, keys):
    """SciKeras's batch_size=-1: the whole set in one batch."""
    for key in keys:
        if args.get(key) == -1:
            args[key] = rows


def _first_rows(X, rows):
    """The first batch of X (`rows` rows, all where None; of its first array, for a list or dict
    of arrays), for building a model from its input as the fit's first batch does (a Sequential
    made without an input keeps its size, as Keras's)."""
    if isinstance(X, dict):
        X = next(iter(X.values()))
    elif isinstance(X, (list, tuple)):
        X = X[0]
    return np.asarray(X[:rows], np.float32)


def _fit_options(partial, class_weight):
    """keras_estimator_fit_arrays's options: a partial fit or not, Keras fit's class_weight."""
    options = {"partial": bool(partial)}
    if class_weight:
        options["class_weight"] = {str(int(k)): float(v) for k, v in class_weight.items()}
    return options


def _validation_packs(model, data):
    """Keras fit's validation_data (x_val, y_val[, val_sample_weight]) as the library's
    validation arrays: inputs and targets as the model takes them (not encoded: SciKeras hands
    fit__validation_data to model.fit)."""
    from . import _native
    if data is None:
        return _native.pack([]), _native.pack([]), _native.pack([])
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        raise ValueError("validation_data must be a tuple (x_val, y_val) or "
                         "(x_val, y_val, val_sample_weight)")
    vxs = model._arrays(data[0], "validation_data x", inputs=True)
    vys = model._arrays(data[1], "validation_data y", inputs=False)
    vsw = [] if len(data) == 2 or data[2] is None else \
        [np.ascontiguousarray(data[2], np.float32).reshape(-1)]
    return _native.pack(vxs), _native.pack(vys), _native.pack(vsw)


def _side_by_side(model, encoded):
    """Encoded targets as the library's "passthrough" target: one float32 array for a
    single-output model, else the outputs' targets side by side (in the model's output order,
    each as rows) and the columns of each (output_columns)."""
    parts = model._arrays(encoded, "y", inputs=False)
    if len(parts) == 1:
        return np.ascontiguousarray(parts[0], np.float32), None
    rows = [np.ascontiguousarray(p, np.float32).reshape(len(p), -1) for p in parts]
    return np.ascontiguousarray(np.concatenate(rows, axis=1)), [r.shape[1] for r in rows]
