"""What the scikit-learn wrappers share: SciKeras's parameter routing (`route_params`,
`unflatten_params`) and its target encoders (`ClassifierLabelEncoder`, `RegressorTargetEncoder`),
with SciKeras 0.13's names, metadata and errors."""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder
from sklearn.utils.multiclass import type_of_target

_FLOATX = np.dtype(np.float32)
_CATEGORICAL = ("categorical_crossentropy", "cce", "CategoricalCrossentropy")


def route_params(params, destination, pass_filter, strict=False):
    """The parameters for `destination`: `destination__x` as `x` (not `destination__x__y` when
    `strict`), and unrouted keys that are in `pass_filter` (all when it is None)."""
    res = {k: v for k, v in params.items()
           if "__" not in k and (pass_filter is None or k in pass_filter)}
    prefix = destination + "__"
    for key, val in params.items():
        if key.startswith(prefix):
            rest = key[len(prefix):]
            if not (strict and "__" in rest):
                res[rest] = val
    return res


def unflatten_params(items, params, base_params=None):
    """Classes in `items` (a class, or lists / dicts of them) instantiated with the routed
    `params` (`callbacks__patience`, `callbacks__0__patience`, `callbacks__es__patience`)."""
    own = {p: v for p, v in params.items() if "__" not in p}
    if inspect.isclass(items):
        kwargs = {**(base_params or {}), **own}
        kwargs = {p: unflatten_params(v, route_params(params, p, set())) for p, v in kwargs.items()}
        args = sorted((int(k), v) for k, v in kwargs.items() if k[:1].isdigit())
        return items(*(v for _, v in args), **{k: v for k, v in kwargs.items() if not k[:1].isdigit()})
    if isinstance(items, (list, tuple)):
        return type(items)(unflatten_params(item, route_params(params, str(i), set()), own)
                           for i, item in enumerate(items))
    if isinstance(items, dict):
        return {k: unflatten_params(item, route_params(params, str(k), set()), own)
                for k, item in items.items()}
    return items


def is_categorical_crossentropy(loss):
    """Whether `loss` (a name, class, instance or function) is categorical cross-entropy, the
    loss for which SciKeras one-hot encodes the target."""
    if isinstance(loss, str):
        return loss in _CATEGORICAL
    if isinstance(loss, dict):
        return loss.get("class_name") == "CategoricalCrossentropy"
    name = getattr(loss, "__name__", None) or type(loss).__name__
    if inspect.isclass(loss):
        name = loss.__name__
    return name in _CATEGORICAL or getattr(loss, "class_name", None) == "CategoricalCrossentropy"


class TargetReshaper(BaseEstimator, TransformerMixin):
    """1-D targets as one column and back. SciKeras: `scikeras.utils.transformers.TargetReshaper`."""

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        if not hasattr(self, "ndim_"):
            raise NotFittedError(f"This {type(self).__name__} is not initialized. You must call "
                                 f"``fit`` before using ``inverse_transform``.")
        return np.squeeze(y, axis=1) if self.ndim_ == 1 and y.ndim == 2 else y


class ClassifierLabelEncoder(BaseEstimator, TransformerMixin):
    """Classes as ordinal numbers (one-hot for categorical cross-entropy), multi-label and
    one-hot targets as given; predictions decoded back. SciKeras's `ClassifierLabelEncoder`."""

    def __init__(self, loss=None, categories="auto"):
        self.loss = loss
        self.categories = categories

    def _type_of_target(self, y):
        target_type = type_of_target(y)
        if target_type == "binary" and self.categories != "auto":
            target_type = type_of_target(self.categories[0])
        return target_type

    def fit(self, y):
        target_type = self._type_of_target(y)
        self._y_shape = y.shape
        ordinal = make_pipeline(TargetReshaper(), OrdinalEncoder(dtype=_FLOATX, categories=self.categories))
        encoders = {"binary": ordinal, "multiclass": ordinal,
                    "multiclass-multioutput": FunctionTransformer(),
                    "multilabel-indicator": FunctionTransformer()}
        if is_categorical_crossentropy(self.loss):
            encoders["multiclass"] = make_pipeline(
                TargetReshaper(), OneHotEncoder(sparse_output=False, dtype=_FLOATX,
                                                categories=self.categories))
        if target_type not in encoders:
            raise ValueError(f"Unknown label type: {target_type}.\n\nTo implement support, "
                             "subclass KerasClassifier and override ``target_encoder`` with a "
                             "transformer that supports this label type.")
        self._final_encoder = encoders[target_type].fit(y)
        if target_type == "multilabel-indicator" and y.min() == 0 and (y.sum(axis=1) == 1).all():
            target_type = "multiclass-onehot"
        self.n_outputs_ = 1
        self.n_outputs_expected_ = 1
        self._y_dtype = y.dtype
        self._target_type = target_type
        if target_type in ("binary", "multiclass"):
            self.classes_ = self._final_encoder[1].categories_[0]
            self.n_classes_ = self.classes_.size
        elif target_type in ("multiclass-onehot", "multilabel-indicator"):
            self.classes_ = np.arange(0, y.shape[1])
            self.n_classes_ = y.shape[1]
        else:
            self.classes_ = None
            self.n_classes_ = None
        return self

    def transform(self, y):
        return self._final_encoder.transform(y)

    def inverse_transform(self, y, return_proba=False):
        kind = self._target_type
        if kind == "binary":
            if y.ndim == 1 or (y.shape[1] == 1 and self.n_classes_ == 2):
                y = np.column_stack([1 - y, y])
            pred = self._final_encoder.inverse_transform(np.argmax(y, axis=1).reshape(-1, 1))
        elif kind in ("multiclass", "multiclass-onehot"):
            idx = np.argmax(y, axis=-1)
            if kind == "multiclass" and not is_categorical_crossentropy(self.loss):
                pred = idx.reshape(-1, 1)
            else:
                pred = np.zeros(y.shape, dtype=int)
                pred[np.arange(len(idx)), idx] = 1
            if kind == "multiclass":
                pred = self._final_encoder.inverse_transform(pred)
        elif kind == "multilabel-indicator":
            pred = np.around(y).astype(int, copy=False)
        elif not return_proba:
            raise NotImplementedError("Class-predictions are not clearly defined for "
                                      "'multiclass-multioutput' target types.\n\nTo implement "
                                      "support, subclass KerasClassifier and override "
                                      "``target_encoder`` with a transformer that supports this "
                                      "label type.")
        if return_proba:
            return np.squeeze(y)
        return pred.reshape(-1, *self._y_shape[1:])

    def get_metadata(self):
        return {"classes_": self.classes_, "n_classes_": self.n_classes_,
                "n_outputs_": self.n_outputs_, "n_outputs_expected_": self.n_outputs_expected_}


class RegressorTargetEncoder(BaseEstimator, TransformerMixin):
    """Checks the number of outputs and restores the target's shape. SciKeras's
    `RegressorTargetEncoder`."""

    def fit(self, y):
        self._y_dtype = y.dtype
        self._y_shape = y.shape
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.n_outputs_expected_ = 1
        return self

    def transform(self, y):
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if n_outputs != self.n_outputs_:
            raise ValueError(f"Detected ``y`` to have {n_outputs} outputs with ``y.shape = "
                             f"{y.shape}`` but this {type(self).__name__} has {self.n_outputs_} "
                             f"outputs.")
        return y

    def inverse_transform(self, y):
        return y.reshape(-1, *self._y_shape[1:])

    def get_metadata(self):
        return {"n_outputs_": self.n_outputs_, "n_outputs_expected_": self.n_outputs_expected_}


__all__ = ["ClassifierLabelEncoder", "RegressorTargetEncoder", "TargetReshaper", "route_params",
           "unflatten_params"]


class UnbuiltSequential:
    """A Sequential model without an input shape (no library model yet), by value: its layers'
    configs and its compile config. `build()` makes a new one."""

    def __init__(self, model):
        self.name = model.name
        self.layers = [layer._layer_entry() for layer in model._layers]
        self.compile = model._compile_config

    def build(self):
        from .layers import _layer_class
        from .models import Sequential
        layers = []
        for entry in self.layers:
            cls = _layer_class(entry["class_name"])
            if cls is None:
                raise TypeError(f"cannot copy the unbuilt model {self.name!r}: its layer "
                                f"{entry['class_name']} is not a library layer; give the "
                                f"model an Input or build it first")
            layers.append(cls.from_config(dict(entry["config"])))
        model = Sequential(layers, name=self.name)
        if self.compile is not None:
            model._compile_config = self.compile
            model.compiled = True
        return model


def copy_model(model):
    """A copy of a swiftkeras model with its config, weights and compile config; an unbuilt
    Sequential stays unbuilt."""
    import pickle
    from .models import Sequential
    if model._handle is None:
        if isinstance(model, Sequential) and model._input_batch_shape is None:
            return UnbuiltSequential(model).build()
        model._ensure_handle()
    return pickle.loads(pickle.dumps(model))
