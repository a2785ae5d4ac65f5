"""Metrics (Keras `keras.metrics`): names ('accuracy', 'mae'), functions
(`metrics.binary_accuracy`) and classes (`metrics.AUC()`) the library computes. A Python
function `f(y_true, y_pred)` given as a metric is registered as a plugin."""

from ._array_eval import ArrayMetric
from ._objects import KerasObject, make_class
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


class Metric(ArrayMetric, KerasObject):
    """A metric object: compiled into a model, or used on numpy arrays (update_state, result,
    reset_state) with the library computing it."""
    kind = "metric"

    @property
    def name(self):
        from ._objects import snake_case
        return self._config.get("name") or snake_case(self.class_name)


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
    _p = tuple(a["name"] for a in _args if a.get("required")) or tuple(
        a["name"] for a in _args[:1] if a["name"] == "k")
    _CLASSES[_cls] = _p
    globals()[_cls] = make_class(Metric, _cls, _p, module=__name__)
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


def MeanMetricWrapper(fn, name=None, dtype=None, **kwargs):  # noqa: N802 (Keras's class name)
    """Keras `MeanMetricWrapper(fn, name=None, dtype=None, **kwargs)`: the mean over samples of
    `fn(y_true, y_pred, **kwargs)`. A built-in metric function without arguments stays the
    library's; any other function (numpy in, per-sample values out) becomes a plugin metric
    named `name`."""
    if isinstance(fn, LossFunction) and not kwargs and name in (None, fn.__name__):
        return MetricFunction(fn.__name__)
    if isinstance(fn, LossFunction):
        raise ValueError(f"MeanMetricWrapper: the built-in {fn.__name__} cannot take a new name or "
                         f"arguments ({kwargs}); pass a metric class with its arguments instead")

    def wrapped(y_true, y_pred):
        return fn(y_true, y_pred, **kwargs)

    wrapped.__name__ = name or getattr(fn, "__name__", "mean_metric_wrapper")
    return wrapped


def get(identifier):
    if isinstance(identifier, (Metric, LossFunction)):
        return identifier
    if isinstance(identifier, str):
        obj = globals().get(identifier)
        if isinstance(obj, LossFunction):
            return obj
        if isinstance(obj, type) and issubclass(obj, Metric):
            return obj()
        return MetricFunction(identifier)  # the library reports unknown names
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")

serialize, deserialize = _module_serialization("metrics", get)
