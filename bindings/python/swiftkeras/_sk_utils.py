"""What the scikit-learn wrappers share: SciKeras's parameter routing (`route_params`,
`unflatten_params`) and its target encoders (`ClassifierLabelEncoder`, `RegressorTargetEncoder`),
with SciKeras 0.13's names, metadata and errors."""

from __future__ import annotations

import ctypes
import inspect
import json

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder
from sklearn.utils.multiclass import type_of_target

_FLOATX = np.dtype(np.float32)


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


def loss_name(loss):
    """The name the library knows `loss` by (a name, a class, an instance, a function or a
    serialized config), or None (no loss, several losses)."""
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, dict):
        return loss.get("class_name")
    if isinstance(loss, (list, tuple)):
        return None
    if inspect.isclass(loss) or inspect.isfunction(loss):
        return loss.__name__
    return getattr(loss, "class_name", None) or type(loss).__name__


def _label_key(value):
    """A class label as the library keys it: integers (and integral floats) as their exact
    decimal text, other numbers as float32 reprs, anything else as text."""
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (float, np.number)):
        return repr(float(np.float32(value)))
    return str(value)


def exact_label_text(value):
    """A label as the text the library's estimator was given and predicts: integers exactly
    (see integer_label_texts), anything else as str()."""
    if isinstance(value, (int, np.integer, float, np.floating)) and \
            not isinstance(value, (bool, np.bool_)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def integer_label_texts(y):
    """Integer labels (any size; integral floats too) as their exact decimal text, for the
    library to encode without float32's loss (its label_order "numeric" sorts them by value);
    None when y holds a non-integral number."""
    y = np.asarray(y)
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        return None
    return [exact_label_text(v) for v in y.tolist()]


def describe_target(kind, y, x_shape=None, loss=None, class_weight=None, output_units=0):
    """The library's decisions for a target before any model exists (keras_estimator_describe):
    SciKeras's meta keys, the target type, the classes (as indices of their first samples), the
    target encoding, the default loss for a model of `output_units` units, the class weights."""
    from . import _lib, _native
    y = np.asarray(y)
    params = {}
    if loss_name(loss) is not None:
        params["loss"] = loss_name(loss)
    if isinstance(class_weight, dict):
        params["class_weight"] = {_label_key(k): float(v) for k, v in class_weight.items()}
    elif class_weight is not None:
        params["class_weight"] = class_weight
    shape = tuple(x_shape) if x_shape is not None else (len(y), 1)
    numeric = y.dtype.kind in "biuf" or (y.dtype.kind == "O" and all(
        isinstance(v, (int, float, np.number)) for v in y.ravel()))
    texts = None
    if numeric and kind == "KerasClassifier" and y.ndim == 1 and y.dtype.kind in "iuf" and \
            not np.array_equal(np.asarray(y, np.float32), y):
        texts = integer_label_texts(y)  # labels float32 cannot hold: exactly, as text
        if texts is not None:
            params["label_order"] = "numeric"
    if texts is not None:
        ybuf = (None, 0, None, json.dumps(texts).encode())
    elif numeric:
        data = np.ascontiguousarray(y, np.float32)
        ybuf = (data.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), data.ndim,
                _native.int64_array(data.shape), None)
    elif y.ndim == 1:
        ybuf = (None, 0, None, json.dumps([str(v) for v in y]).encode())
    else:
        raise ValueError(f"Unknown label type: {type_of_target(y)}. Only one column of text "
                         f"labels is supported.")
    return _native.take_json(_lib.keras_estimator_describe, kind.encode(),
                             json.dumps(params).encode(), len(shape), _native.int64_array(shape),
                             *ybuf, int(output_units))


def _argmax_rows(y):
    return np.argmax(y, axis=1)


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
    one-hot targets as given; predictions decoded back. SciKeras's `ClassifierLabelEncoder`.
    The target type, classes and encoding are the library's (keras_estimator_describe)."""

    def __init__(self, loss=None, categories="auto"):
        self.loss = loss
        self.categories = categories

    def fit(self, y):
        y = np.asarray(y)
        seen = y  # with fixed categories (partial_fit's classes), those count as seen
        if self.categories != "auto" and y.ndim == 1:
            seen = np.concatenate([np.asarray(self.categories[0]), y])
        info = describe_target("KerasClassifier", seen, loss=self.loss)
        self._y_shape = y.shape
        self._y_dtype = y.dtype
        self._target_type = info["encoder_target_type"]
        self._encoding = info["target_encoding"]
        self.n_outputs_ = info["n_outputs_"]
        self.n_outputs_expected_ = info["n_outputs_expected_"]
        self.n_classes_ = info["n_classes_"]
        if info["class_first_index"] is not None:
            self.classes_ = seen[info["class_first_index"]]
        elif self.n_classes_ is not None:
            self.classes_ = np.arange(0, self.n_classes_)
        else:
            self.classes_ = None
        categories = None if self.classes_ is None else [self.classes_]
        self._final_encoder = {
            "ordinal": lambda: make_pipeline(TargetReshaper(), OrdinalEncoder(
                dtype=_FLOATX, categories=categories)),
            "onehot": lambda: make_pipeline(TargetReshaper(), OneHotEncoder(
                sparse_output=False, dtype=_FLOATX, categories=categories)),
            "argmax": lambda: FunctionTransformer(_argmax_rows),
            "identity": FunctionTransformer,
        }[self._encoding]().fit(y)
        return self

    def transform(self, y):
        return self._final_encoder.transform(y)

    def inverse_transform(self, y, return_proba=False):
        kind = self._target_type
        if kind == "binary" and (y.ndim == 1 or (y.shape[1] == 1 and self.n_classes_ == 2)):
            y = np.column_stack([1 - y, y])
        if return_proba:
            return np.squeeze(y)
        if kind == "multiclass-multioutput":
            raise NotImplementedError("Class-predictions are not clearly defined for "
                                      "'multiclass-multioutput' target types.\n\nTo implement "
                                      "support, subclass KerasClassifier and override "
                                      "``target_encoder`` with a transformer that supports this "
                                      "label type.")
        if kind == "multilabel-indicator":
            pred = np.around(y).astype(int, copy=False)
        elif self._encoding == "ordinal":
            pred = self._final_encoder.inverse_transform(np.argmax(y, axis=-1).reshape(-1, 1))
        else:
            idx = np.argmax(y, axis=-1)
            pred = np.zeros(y.shape, dtype=int)
            pred[np.arange(len(idx)), idx] = 1
            if self._encoding == "onehot":
                pred = self._final_encoder.inverse_transform(pred)
        if self._encoding in ("ordinal", "onehot"):  # given categories decode as objects
            pred = pred.astype(self.classes_.dtype, copy=False)
        return pred.reshape(-1, *self._y_shape[1:])

    def get_metadata(self):
        return {"classes_": self.classes_, "n_classes_": self.n_classes_,
                "n_outputs_": self.n_outputs_, "n_outputs_expected_": self.n_outputs_expected_}


class RegressorTargetEncoder(BaseEstimator, TransformerMixin):
    """Checks the number of outputs and restores the target's shape. SciKeras's
    `RegressorTargetEncoder`."""

    def fit(self, y):
        info = describe_target("KerasRegressor", y)
        self._y_dtype = y.dtype
        self._y_shape = y.shape
        self.n_outputs_ = info["n_outputs_"]
        self.n_outputs_expected_ = info["n_outputs_expected_"]
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


__all__ = ["ClassifierLabelEncoder", "RegressorTargetEncoder", "TargetReshaper", "describe_target",
           "loss_name", "route_params", "unflatten_params"]


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
