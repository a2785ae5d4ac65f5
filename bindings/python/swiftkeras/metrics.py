"""Metrics (Keras `keras.metrics`): names ('accuracy', 'mae'), functions
(`metrics.binary_accuracy`) and classes (`metrics.AUC()`) the library computes. A Python
function `f(y_true, y_pred)` given as a metric is registered as a plugin; a `Metric` subclass
written in Python (add_variable, update_state, result, reset_state) runs its own methods, on
numpy arrays, once per batch of the library's fit and evaluate (_python_metrics)."""

import numpy as np

from ._array_eval import ArrayMetric
from ._objects import KerasObject, make_class
from ._objects import snake_case as _snake_case
from ._objects import module_serialization as _module_serialization
from .losses import LossFunction


class MetricFunction(LossFunction):
    """A built-in metric function, known to the library by its Keras name."""

    def __call__(self, y_true, y_pred):
        """The metric of each sample, computed by the library (numpy in, numpy out)."""
        from ._array_eval import per_sample
        return per_sample("mean_squared_error", y_true, y_pred, f"metrics.{self.__name__}", self)

    def __reduce__(self):
        return (MetricFunction, (self.__name__,))


class Metric:
    """Keras `keras.metrics.Metric`: the base of a stateful metric written in Python. Its state
    is variables made with `add_variable` (numpy values held here); `update_state`, `result` and
    `reset_state` run on numpy arrays, standalone or once per batch inside `fit`/`evaluate`."""
    kind = "metric"

    def __init__(self, dtype=None, name=None):
        from ._objects import snake_case, unique_name
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._dtype = np.dtype(getattr(dtype, "name", dtype) or "float32").name
        self._variables = []
        if getattr(type(self).update_state, "_traced_form", False):
            # Known to the library now, outside any model being made: a traced compute_loss
            # that updates it names its class while the library builds the model, where a
            # class registered would live only in that build's custom-object scope.
            from . import _lib, _python_metrics
            if _lib.has("keras_register_metric_class"):
                _python_metrics.register_class(type(self))

    @property
    def dtype(self):
        return self._dtype

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` "
                               "method. Go add it!")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("update_state")
        if own is not None and not cls.__module__.startswith(__package__ + ".") and \
                not getattr(own, "_traced_form", False):
            cls.update_state = _traced_update(own)

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A non-trainable state variable of the metric (Keras: `Metric.add_variable`)."""
        from ._variables import Variable
        self._check_super_called()
        variable = Variable(initializer if initializer is not None else "zeros", shape=shape,
                            dtype=dtype, trainable=False, aggregation=aggregation,
                            synchronization="on_read", name=name)
        variable.path = f"{self.name.replace('/', '>')}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Keras's alias of `add_variable`, kept for Keras 2 code."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        """Its own variables, then those of the metrics held in its attributes."""
        found = list(self.__dict__.get("_variables", []))
        for value in self.__dict__.values():
            if isinstance(value, Metric) and value is not self:
                found.extend(value.variables)
        return found

    def reset_state(self):
        """Sets every variable to zeros (Keras's default)."""
        for v in self.variables:
            v.assign(np.zeros(v.shape, v.dtype))

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # -- Keras's stateless forms: the state is given and returned, the metric keeps its own --

    def _check_metric_variables(self, metric_variables, expected=None):
        """Keras's check that the stateless forms are given one value per variable."""
        expected = len(self.variables) if expected is None else expected
        if len(metric_variables) != expected:
            raise ValueError(f"Argument `metric_variables` must be a list of tensors "
                             f"corresponding 1:1 to {type(self).__name__}().variables. Received "
                             f"list with length {len(metric_variables)}, but expected "
                             f"{expected} variables.")

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """Keras's `stateless_update_state(metric_variables, *args)`: the variables' values
        after `update_state(*args)` from `metric_variables`; the metric's own are unchanged."""
        from ._scopes import StatelessScope
        self._check_metric_variables(metric_variables)
        with StatelessScope(state_mapping=list(zip(self.variables, metric_variables))) as scope:
            self.update_state(*args, **kwargs)
        return _current_values(self.variables, scope)

    def stateless_result(self, metric_variables):
        """Keras's `stateless_result(metric_variables)`: `result()` with those values."""
        from ._scopes import StatelessScope
        self._check_metric_variables(metric_variables)
        with StatelessScope(state_mapping=list(zip(self.variables, metric_variables))):
            return self.result()

    def stateless_reset_state(self):
        """Keras's `stateless_reset_state()`: the variables' values after `reset_state()`."""
        from ._scopes import StatelessScope
        with StatelessScope() as scope:
            self.reset_state()
        return _current_values(self.variables, scope)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def _library_form(self):
        """The entry the library computes this metric from by itself, or None: a metric written
        in Python runs its own methods."""
        return None

    def _runs_in_python(self):
        return self._library_form() is None

    def _keras_config(self):
        """Its entry in a compile config, as Keras writes it."""
        form = self._library_form()
        if form is not None:
            return form
        from . import _python_metrics
        return _python_metrics.compile_entry(self)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _current_values(variables, scope):
    """Each variable's value at the end of `scope` (its own where the scope did not set it)."""
    out = []
    for v in variables:
        value = scope.get_current_value(v)
        out.append(v.numpy() if value is None else value)
    return out


def _traced_update(update_state):
    """A user's `update_state` that, called on symbolic tensors inside a traced call (a
    `compute_loss` override), records the metric into the traced graph as the library's metric
    of this Python class (as compile(metrics=[...]) lists it), updated by the library each step
    with the batch's arrays (this very method, on numpy); elsewhere the method itself."""
    import functools

    @functools.wraps(update_state)
    def update(self, *args, **kwargs):
        from . import _traced_metrics
        values = list(args) + [kwargs[k] for k in ("y_true", "y_pred") if k in kwargs]
        extra = set(kwargs) - {"y_true", "y_pred", "sample_weight"}
        if len(values) in (2, 3) and not extra and self._runs_in_python():
            weight = values[2] if len(values) == 3 else kwargs.get("sample_weight")
            if _traced_metrics.update_object(self, values[0], values[1], weight):
                return None
        return update_state(self, *args, **kwargs)

    update._traced_form = True
    return update


# The metrics whose update_state returns their confusion matrix, as Keras's `_IoUBase`.
_CONFUSION_MATRIX_METRICS = ("IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU")


class _LibraryMetric(ArrayMetric, KerasObject, Metric):
    """A metric class the library computes (its catalogue's), compiled into a model or used on
    numpy arrays (update_state, result, reset_state) with the library computing it."""
    kind = "metric"

    def _numbers_names(self) -> bool:
        return bool(_library_metrics().get(self.class_name, {}).get("auto_name"))

    def _required_arguments(self) -> tuple:
        return _required_of(_library_metrics().get(self.class_name, {}))

    @property
    def name(self):
        return self._config.get("name") or self._default_name()

    @property
    def dtype(self):
        return self._config.get("dtype") or "float32"

    @property
    def variables(self):
        """Keras's `metric.variables` (`total` and `count`, AUC's `true_positives`, ...): copies
        of the state the library keeps for the batches given so far; `assign` sets the state."""
        return [_StateVariable(self, name, values.reshape(shape), dtype)
                for name, shape, dtype, values in self._state()]

    def _state(self):
        """[(name, shape, dtype, values)] of the state now: a fit's (kept), or a state assigned
        (`_assigned_state`) plus the library's counts for the batches given since (every Keras
        metric's update adds to its variables), or the library's for the batches alone."""
        from ._array_eval import metric_variables
        batches = self.__dict__.get("_batches", [])
        kept = self.__dict__.get("_library_state")
        if kept is not None and not batches:
            return [(v["name"], tuple(v["shape"]), v["dtype"], np.asarray(
                [np.nan if x is None else x for x in v["value"]], np.float64)) for v in kept[0]]
        if self.__dict__.get("_traced_state") is not None or "_traced_result" in self.__dict__:
            raise NotImplementedError(
                f"{type(self).__name__} '{self.name}': the variables of a metric updated inside a "
                f"traced call live in the model's fit; read the model's metrics instead")
        fresh = metric_variables(self, batches)
        base = self.__dict__.get("_assigned_state")
        return fresh if base is None else _added(base, fresh)

    def _assign_variable(self, name, value):
        """`metric.variables[i].assign(value)`: the state with variable `name` set to `value`,
        the others as they are; `result()` computes from it in the library."""
        state = [(n, shape, dtype, np.asarray(value, np.float64).reshape(-1) if n == name else values)
                 for n, shape, dtype, values in self._state()]
        self.__dict__["_assigned_state"] = state
        self.__dict__["_batches"] = []
        self.__dict__.pop("_library_state", None)

    def _stateless_result(self, state):
        """The library's result for the metric whose variables hold `state`."""
        from . import _lib
        from ._native import dumps, take_json
        values = {name: [None if not np.isfinite(x) else float(x) for x in np.ravel(v)]
                  for name, _, _, v in state}
        out = take_json(_lib.keras_metric_stateless_result, dumps(self._library_form()), dumps(values))
        result = out["result"]
        if isinstance(result, list):
            return np.asarray([np.nan if x is None else x for x in result], np.float32)
        return np.float32(np.nan if result is None else result)

    def _given_state(self, metric_variables):
        """`metric_variables` (arrays or Variables, 1:1 to `variables`) as a state."""
        own = self._state()
        self._check_metric_variables(metric_variables, len(own))
        state = []
        for (name, shape, dtype, _), given in zip(own, metric_variables):
            value = np.asarray(given.numpy() if hasattr(given, "numpy") else given, np.float64)
            if value.size != int(np.prod(shape)):
                raise ValueError(f"{type(self).__name__} '{self.name}': variable {name} has shape "
                                 f"{tuple(shape)}, the value given has shape {value.shape}")
            state.append((name, shape, dtype, value.reshape(-1)))
        return state

    def stateless_update_state(self, metric_variables, y_true, y_pred, sample_weight=None):
        """Keras's: the variables after `update_state(y_true, y_pred, sample_weight)` from
        `metric_variables` (the library counts the batch); the metric's own are unchanged."""
        from ._array_eval import metric_variables as counted
        state = self._given_state(metric_variables)
        yt, yp = self._update_pair(y_true, y_pred, sample_weight, f"{self.name}.stateless_update_state")
        return [values.reshape(shape).astype(dtype) for _, shape, dtype, values in
                _added(state, counted(self, [(yt, yp, sample_weight)]))]

    def stateless_result(self, metric_variables):
        """Keras's: `result()` of the metric whose variables hold `metric_variables`."""
        return self._stateless_result(self._given_state(metric_variables))

    def stateless_reset_state(self):
        """Keras's: zeros of each variable's shape (made at the first update for F1Score's)."""
        return [np.zeros(shape, dtype) for _, shape, dtype, _ in self._state()]

    def _library_form(self):
        from ._objects import serialize
        return serialize(self)

    def _keep_library_state(self, variables, result):
        """The state a fit or evaluate of a model compiled with this object left (Keras updates
        the object itself): its variables and result until its next update_state or reset."""
        self.__dict__["_library_state"] = (variables, result)
        self.__dict__["_batches"] = []

    def update_state(self, y_true, y_pred, sample_weight=None):
        """On numpy: kept for the library to compute. On symbolic tensors (inside a traced
        `compute_loss`): recorded into the traced graph, computed by the library each step."""
        from . import _traced_metrics
        if _traced_metrics.update_wrapped(self, y_true, y_pred, sample_weight):
            return
        kept = self.__dict__.get("_library_state")
        if kept is not None and not self.__dict__.get("_batches"):
            # (a fit's state, added to as Keras's metric object adds to it)
            self.__dict__["_assigned_state"] = self._state()
        self.__dict__.pop("_library_state", None)
        ArrayMetric.update_state(self, y_true, y_pred, sample_weight)
        if self.class_name in _CONFUSION_MATRIX_METRICS:
            # Keras's IoU metrics return their updated confusion matrix (`total_cm.assign`'s
            # value, in the variable's dtype); the state so far is kept as assigned, so that
            # the next update computes its own batch only.
            state = self._state()
            self.__dict__["_assigned_state"] = state
            self.__dict__["_batches"] = []
            _, shape, dtype, values = state[0]
            return values.reshape(shape).astype(dtype)
        return None

    def result(self):
        if self.__dict__.get("_assigned_state") is not None:
            return self._stateless_result(self._state())
        kept = self.__dict__.get("_library_state")
        if kept is not None and not self.__dict__.get("_batches"):
            value = kept[1]() if callable(kept[1]) else kept[1]
            if value is not None:
                return np.asarray(value, np.float32)[()]
        if "_traced_result" in self.__dict__ and not self.__dict__.get("_batches"):
            return np.float32(self.__dict__["_traced_result"])
        traced = self.__dict__.get("_traced_state")
        if traced is not None and not self.__dict__.get("_batches"):
            total, count = traced
            return np.float32(total / count if count else 0.0)
        return ArrayMetric.result(self)

    def reset_state(self):
        self.__dict__.pop("_traced_state", None)
        self.__dict__.pop("_traced_result", None)
        self.__dict__.pop("_library_state", None)
        self.__dict__.pop("_assigned_state", None)
        ArrayMetric.reset_state(self)

    __repr__ = KerasObject.__repr__


def _state_variable_class():
    from ._variables import _FreeVariable

    class StateVariable(_FreeVariable):
        """A copy of one variable of a metric's state the library keeps (a built-in metric's,
        or a compiled metric's after fit): read-only here, as the state lives in the library."""

        def __init__(self, owner, name, value, dtype):
            owner_name = owner if isinstance(owner, str) else owner.name
            super().__init__(np.asarray(value).astype(dtype), dtype=dtype, trainable=False,
                             aggregation="sum", synchronization="on_read", name=name)
            self.path = f"{owner_name.replace('/', '>')}/{name}"
            self._owner = owner_name
            self._metric = None if isinstance(owner, str) else owner

        def assign(self, value):
            """Sets this variable of the metric's state (Keras: `variable.assign(value)`), so
            that the metric's `result()` and later updates start from it."""
            if self._metric is None:
                raise NotImplementedError(
                    f"{self.path}: the state of a compiled model's metric is kept by the model's "
                    f"library; assign the variables of a metric object instead")
            super().assign(value)   # (Keras's shape check, the value cast to the dtype)
            self._metric._assign_variable(self.name, self._value)
            return self

        def assign_add(self, value):
            return self.assign(self._value + np.asarray(value))

        def assign_sub(self, value):
            return self.assign(self._value - np.asarray(value))

    return StateVariable


def _StateVariable(owner, name, value, dtype):
    global _state_variable
    if _state_variable is None:
        _state_variable = _state_variable_class()
    return _state_variable(owner, name, value, dtype)


def _added(state, other):
    """The state `state` plus `other` (both [(name, shape, dtype, values)]), variable by
    variable: a Keras metric's update adds its batch's counts to its variables. A variable only
    one of them has (made at the first update: R2Score's, F1Score's) is taken as it is."""
    more = {name: values for name, _, _, values in other}
    out = [(name, shape, dtype, values + more[name] if name in more and more[name].size == values.size
            else values) for name, shape, dtype, values in state]
    names = {name for name, *_ in state}
    return out + [entry for entry in other if entry[0] not in names]


_state_variable = None


def _required_of(entry) -> tuple:
    """The arguments a catalogue entry marks required (Keras's required constructor arguments)."""
    return tuple(a["name"] for a in entry.get("args", []) if a.get("required"))


def _library_metrics():
    """{class name: catalogue entry} of the library's built-in metric classes."""
    from ._catalog import builtin_objects
    return builtin_objects("metrics")


# Classes and names as the library's catalogue lists them: the required arguments (IoU's
# num_classes, PrecisionAtRecall's recall) and TopK's k are positional, as in Keras.
_CLASSES = {}
_FUNCTIONS = []
for _cls, _entry in _library_metrics().items():
    _args = _entry.get("args", [])
    _p = _required_of(_entry) or tuple(
        a["name"] for a in _args[:1] if a["name"] == "k")
    _CLASSES[_cls] = _p
    globals()[_cls] = make_class(_LibraryMetric, _cls, _p, module=__name__)
    for _n in _entry.get("names", []):
        if _n != _cls and _n not in globals():
            globals()[_n] = MetricFunction(_n)
            _FUNCTIONS.append(_n)
# Every loss function is a metric function too (`metrics.binary_focal_crossentropy`, `metrics.huber`).
from . import losses as _losses  # noqa: E402
for _n in dir(_losses):
    if isinstance(getattr(_losses, _n), LossFunction) and _n not in globals():
        globals()[_n] = MetricFunction(getattr(_losses, _n).__name__)
        _FUNCTIONS.append(_n)
for _alias, _target in {"mse": "mean_squared_error", "mae": "mean_absolute_error", "acc": "accuracy",
                        "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error"}.items():
    if _target in globals():
        globals()[_alias] = globals()[_target]


def _reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype, xp=np):
    """Keras's `reduce_to_samplewise_values`: values weighted by `sample_weight` (ranks matched
    as Keras's losses match them), reduced to one value per sample. On numpy (`xp` numpy), or
    on symbolic tensors inside a traced call (`xp` swiftkeras.ops, `reduce_fn` its own)."""
    def tensor(v):
        from .ops._trace import is_symbolic
        return v if xp is not np and is_symbolic(v) else np.asarray(v, dtype=dtype)

    values = tensor(values)
    if sample_weight is not None:
        sample_weight = tensor(sample_weight)
        values_ndim, weight_ndim = len(values.shape), len(sample_weight.shape)
        if values_ndim == weight_ndim + 1 and values.shape[-1] == 1:
            if weight_ndim == 1:
                sample_weight = xp.expand_dims(sample_weight, -1)
            else:
                values = xp.squeeze(values, -1)
        elif weight_ndim == values_ndim + 1 and sample_weight.shape[-1] == 1:
            if values_ndim == 1:
                values = xp.expand_dims(values, -1)
            else:
                sample_weight = xp.squeeze(sample_weight, -1)
        weight_ndim, values_ndim = len(sample_weight.shape), len(values.shape)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        # Keras broadcasts the weights to the values (a traced batch has no size yet: times ones)
        sample_weight = np.broadcast_to(sample_weight, values.shape) if xp is np else \
            sample_weight * xp.ones_like(values)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if len(values.shape) > 1:
        values = reduce_fn(values, axis=tuple(range(1, len(values.shape))))
    return values, sample_weight


class Sum(Metric):
    """Keras `keras.metrics.Sum(name="sum", dtype=None)`: the running sum of the values."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None):
        from . import _traced_metrics
        if _traced_metrics.update_sum(self, values, sample_weight):
            return
        values, _ = _reduce_to_samplewise_values(values, sample_weight, np.sum, self.dtype)
        self.total.assign_add(np.sum(values))

    def reset_state(self):
        self.total.assign(0)

    def result(self):
        return self.total.numpy()

    def _library_form(self):
        return _builtin_entry(self, Sum)


class Mean(Metric):
    """Keras `keras.metrics.Mean(name="mean", dtype=None)`: the weighted running mean of the
    values."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None):
        from . import _traced_metrics
        if _traced_metrics.update_mean(self, values, sample_weight):
            return   # (a constant too, while a call is traced: a Distiller's student_loss of 0.0)
        if sample_weight is None and isinstance(values, (float, np.floating)):
            # a train_step's loss: one value, counted once, as below
            self.total.assign_add(np.asarray(values, dtype=self.dtype)[()])
            self.count.assign_add(np.asarray(1, self.dtype))
            return
        values, sample_weight = _reduce_to_samplewise_values(values, sample_weight, np.mean,
                                                             self.dtype)
        self.total.assign_add(np.sum(values))
        if sample_weight is not None:
            count = np.sum(sample_weight)
        else:
            count = values.shape[0] if values.ndim >= 1 else 1
        self.count.assign_add(np.asarray(count, self.dtype))

    def reset_state(self):
        self.total.assign(0)
        self.count.assign(0)

    def result(self):
        count = self.count.numpy()
        return np.zeros((), self.dtype) if count == 0 else self.total.numpy() / count

    def _library_form(self):
        return _builtin_entry(self, Mean)


def _builtin_entry(metric, cls):
    """The library's own form of a `Mean` or `Sum` (not of a subclass, whose methods run)."""
    if type(metric) is not cls:
        return None
    return {"module": "keras.metrics", "class_name": cls.__name__, "config": metric.get_config(),
            "registered_name": None}


class MeanMetricWrapper(Mean):
    """Keras `MeanMetricWrapper(fn, name=None, dtype=None, **kwargs)`: the mean over samples of
    `fn(y_true, y_pred, **kwargs)`. A built-in metric function without arguments, named as
    itself, stays the library's; any other function (numpy in, per-sample values out) runs
    here, once per batch."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        from .saving import serialize_keras_object
        return {**super().get_config(), "fn": serialize_keras_object(self._fn),
                **serialize_keras_object(self._fn_kwargs)}

    @classmethod
    def from_config(cls, config):
        if "fn" in config:
            from .saving import deserialize_keras_object
            config = {**config, "fn": deserialize_keras_object(config["fn"])}
        return cls(**config)

    def _library_form(self):
        fn = self._fn
        if type(self) is MeanMetricWrapper and isinstance(fn, LossFunction) and \
                not self._fn_kwargs and self.name == fn.__name__:
            return fn.__name__
        return None


# Keras's abbreviations that `get` takes besides the class names and their snake_case.
_ABBREVIATIONS = {a: cls for short, cls in {
    "bce": "BinaryCrossentropy", "mse": "MeanSquaredError", "mae": "MeanAbsoluteError",
    "mape": "MeanAbsolutePercentageError", "msle": "MeanSquaredLogarithmicError"}.items()
    for a in (short, short.upper())}


def _metric_class(name):
    """The metric class `name` denotes in Keras's `metrics.get`: a class name (`AUC`), its
    snake_case (`auc`, `categorical_crossentropy`) or an abbreviation (`mse`, `MSE`); None
    for any other name."""
    name = _ABBREVIATIONS.get(name, name)
    classes = {n: v for n, v in globals().items()
               if isinstance(v, type) and issubclass(v, Metric) and not n.startswith("_")}
    if name in classes:
        return classes[name]
    return next((c for n, c in classes.items() if _snake_case(n) == name), None)


def get(identifier):
    """Keras's `metrics.get`: a metric instance for a class name, its snake_case or an
    abbreviation (`"auc"` gives `AUC()`, `"mse"` gives `MeanSquaredError()`); a metric, a
    function or a config dict as given or made; anything else a ValueError."""
    if identifier is None:
        return None
    if isinstance(identifier, (Metric, LossFunction)):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _metric_class(identifier)
        if cls is not None:
            return cls()
    elif callable(identifier):
        return identifier() if isinstance(identifier, type) else identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier}")

serialize, deserialize = _module_serialization("metrics", get)
