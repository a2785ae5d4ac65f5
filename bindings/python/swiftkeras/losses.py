"""Losses (Keras `keras.losses`): the functions (`losses.mean_squared_error`) and classes
(`losses.MeanSquaredError()`) the library computes, referred to by Keras name and config.
A Python function `f(y_true, y_pred)` given as a loss is registered as a plugin."""

import numpy as np

from ._objects import KerasObject, make_class
from ._objects import module_serialization as _module_serialization


class LossFunction:
    """A built-in loss function, known to the library by its Keras name."""

    def __init__(self, name):
        self.__name__ = name

    def _keras_config(self):
        return self.__name__

    def __call__(self, y_true, y_pred, **kwargs):
        """The loss of each sample, computed by the library (numpy in, numpy out); on symbolic
        tensors (a call traced with ops) Keras's formula as ops, with the function's keyword
        arguments (`from_logits=`, `label_smoothing=`, `axis=`, `delta=`)."""
        from ._array_eval import per_sample
        from ._tensor_ops import TensorOperators
        if any(isinstance(v, TensorOperators) for v in (y_true, y_pred)):
            loss = globals()[_FUNCTION_CLASSES[self.__name__]](**kwargs)
            return _symbolic_per_sample(loss, y_true, y_pred)
        if kwargs or self.__name__ in ("dice", "tversky"):
            # The library's function of that name is its class with the given config (Dice's and
            # Tversky's reduce over the whole batch without an `axis`, as their classes do).
            loss = globals()[_FUNCTION_CLASSES[self.__name__]](**kwargs, reduction=None)
            return loss(y_true, y_pred)
        return per_sample(self, y_true, y_pred, f"losses.{self.__name__}")

    def __repr__(self):
        return f"<function {self.__name__}>"

    def __reduce__(self):
        return (get, (self.__name__,))

    def __eq__(self, other):
        return isinstance(other, LossFunction) and other.__name__ == self.__name__

    def __hash__(self):
        return hash(self.__name__)


class Loss(KerasObject):
    kind = "loss"

    @property
    def name(self):
        return self._config.get("name") or self._default_name()

    def get_config(self):
        """Keras's: a built-in loss's every argument (the library's); the base class's `name`
        and `reduction` for `Loss` itself and a loss written in Python (whose get_config adds
        its own arguments to these)."""
        if self._is_builtin():
            return super().get_config()
        return {"name": self.name, "reduction": self._config.get("reduction", "sum_over_batch_size")}

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Keras's `loss(y_true, y_pred, sample_weight=None)`: reduced as `reduction` says
        (the mean by default; per sample for `reduction=None` or "none")."""
        from ._array_eval import reduced_loss
        from ._tensor_ops import TensorOperators
        if any(isinstance(v, TensorOperators) for v in (y_true, y_pred, sample_weight)):
            return _symbolic_loss(self, y_true, y_pred, sample_weight)
        if self._config.get("reduction", "sum_over_batch_size") in (None, "none"):
            values = self._unreduced(y_true, y_pred)
            if sample_weight is None:
                return values
            # Keras's reduce_weighted_values without a reduction: each value times its weight
            weights = np.asarray(sample_weight, np.float32)
            if weights.ndim == values.ndim + 1 and weights.shape[-1] == 1:
                weights = weights[..., 0]
            while 0 < weights.ndim < values.ndim:
                weights = weights[..., None]
            return (values * weights).astype(np.float32)
        return reduced_loss(self, y_true, y_pred, sample_weight, self.name)

    def call(self, y_true, y_pred):
        """Keras's `loss.call(y_true, y_pred)`: the values before the reduction (one per
        sample; one for the whole batch for Dice and Tversky, which Keras computes over it)."""
        if not self._is_builtin():
            raise NotImplementedError
        return self._unreduced(y_true, y_pred)

    def _unreduced(self, y_true, y_pred):
        from ._array_eval import per_sample, reduced_loss
        config = {k: v for k, v in self._config.items() if k != "reduction"}
        if self.class_name in ("Dice", "Tversky") and config.get("axis") is None:
            return reduced_loss(type(self)(**config), y_true, y_pred, None, self.name)
        return per_sample(type(self)(**config), y_true, y_pred, self.name)


def _rank(x):
    import numpy as np
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def _same_rank(x1, x2):
    """Keras's squeeze_or_expand_to_same_rank: a last axis of 1 squeezed or added."""
    from . import ops
    r1, r2 = _rank(x1), _rank(x2)
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        return (x1, ops.expand_dims(x2, -1)) if r2 == 1 else (ops.squeeze(x1, -1), x2)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        return (ops.expand_dims(x1, -1), x2) if r1 == 1 else (x1, ops.squeeze(x2, -1))
    return x1, x2


def _symbolic_per_sample(loss, y_true, y_pred):
    """Keras's loss function of `loss`'s class on symbolic tensors (a call traced with ops)."""
    from . import ops
    c = loss._config
    name = loss.class_name
    if name == "CTC":   # Keras's ctc: the non-blank labels, every time step
        return ops.ctc_loss(y_true, y_pred, ops.sum(ops.not_equal(y_true, 0.0), axis=-1),
                            ops.sum(ops.ones_like(y_pred[:, :, 0]), axis=-1))
    y_true, y_pred = _same_rank(y_true, y_pred)
    smoothing = float(c.get("label_smoothing", 0.0) or 0.0)
    axis = c.get("axis", -1)
    if name == "BinaryCrossentropy":
        if smoothing:
            y_true = y_true * (1.0 - smoothing) + 0.5 * smoothing
        return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=bool(c.get("from_logits"))), axis=axis)
    if name == "CategoricalCrossentropy":
        if smoothing:
            y_true = y_true * (1.0 - smoothing) + smoothing / y_pred.shape[-1]
        return ops.categorical_crossentropy(y_true, y_pred, from_logits=bool(c.get("from_logits")), axis=axis)
    if name == "SparseCategoricalCrossentropy":
        return ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=bool(c.get("from_logits")))
    if name == "MeanSquaredError":
        return ops.mean(ops.square(y_pred - y_true), axis=-1)
    if name == "MeanAbsoluteError":
        return ops.mean(ops.abs(y_pred - y_true), axis=-1)
    formula = _SYMBOLIC_FORMULAS.get(name)
    if formula is None:
        raise NotImplementedError(f"{name} called on symbolic tensors (in a call traced with ops): "
                                  f"those that are: BinaryCrossentropy, CategoricalCrossentropy, "
                                  f"SparseCategoricalCrossentropy, MeanSquaredError, "
                                  f"MeanAbsoluteError, CTC, {', '.join(sorted(_SYMBOLIC_FORMULAS))}")
    return formula(ops, c, y_true, y_pred)


_EPSILON = 1e-7   # Keras's backend.epsilon()


def _hinge_labels(ops, y_true):
    """Keras's convert_binary_labels_to_hinge: 0/1 labels become -1/1; others are kept."""
    binary = ops.all(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)))
    return ops.where(binary, 2.0 * y_true - 1.0, y_true)


def _huber(ops, c, y_true, y_pred):
    delta = float(c.get("delta", 1.0))
    error = y_pred - y_true
    abs_error = ops.abs(error)
    return ops.mean(ops.where(abs_error <= delta, 0.5 * ops.square(error),
                              delta * abs_error - 0.5 * delta * delta), axis=-1)


# Keras's loss functions (keras/src/losses/losses.py), written with ops, by class name; y_true
# and y_pred already of one rank.
_SYMBOLIC_FORMULAS = {
    "Hinge": lambda ops, c, t, p: ops.mean(ops.maximum(1.0 - _hinge_labels(ops, t) * p, 0.0), axis=-1),
    "SquaredHinge": lambda ops, c, t, p: ops.mean(
        ops.square(ops.maximum(1.0 - _hinge_labels(ops, t) * p, 0.0)), axis=-1),
    "CategoricalHinge": lambda ops, c, t, p: ops.maximum(
        ops.max((1.0 - t) * p, axis=-1) - ops.sum(t * p, axis=-1) + 1.0, 0.0),
    "MeanAbsolutePercentageError": lambda ops, c, t, p: 100.0 * ops.mean(
        ops.abs((t - p) / ops.maximum(ops.abs(t), _EPSILON)), axis=-1),
    "MeanSquaredLogarithmicError": lambda ops, c, t, p: ops.mean(ops.square(
        ops.log(ops.maximum(p, _EPSILON) + 1.0) - ops.log(ops.maximum(t, _EPSILON) + 1.0)), axis=-1),
    "CosineSimilarity": lambda ops, c, t, p: -ops.sum(
        ops.normalize(t, axis=c.get("axis", -1)) * ops.normalize(p, axis=c.get("axis", -1)),
        axis=c.get("axis", -1)),
    "Huber": _huber,
    "LogCosh": lambda ops, c, t, p: ops.mean(
        (p - t) + ops.softplus((p - t) * -2.0) - float(np.log(2.0)), axis=-1),
    "KLDivergence": lambda ops, c, t, p: ops.sum(
        ops.clip(t, _EPSILON, 1.0) * ops.log(ops.clip(t, _EPSILON, 1.0) / ops.clip(p, _EPSILON, 1.0)),
        axis=-1),
    "Poisson": lambda ops, c, t, p: ops.mean(p - t * ops.log(p + _EPSILON), axis=-1),
}


def _symbolic_loss(loss, y_true, y_pred, sample_weight):
    """Keras's Loss.__call__ on symbolic tensors: the per-sample losses times the sample weights
    (a last axis of 1 matched), reduced as `reduction` says ("sum_over_batch_size": the sum over
    the number of values)."""
    values = _symbolic_per_sample(loss, y_true, y_pred)
    return _reduce_symbolic(values, sample_weight, loss._config.get("reduction", "sum_over_batch_size"),
                            loss.class_name)


def _reduce_symbolic(values, sample_weight, reduction, what):
    """Keras's reduce_weighted_values on symbolic tensors: `values` times the sample weights (a
    last axis of 1 matched), then reduced as `reduction` says; a scalar is left as it is."""
    from . import ops
    if sample_weight is not None:
        values, sample_weight = _same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction in (None, "none") or _rank(values) == 0:
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return total / ops.sum(sample_weight)
    if reduction not in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        raise ValueError(f"{what}: unknown reduction {reduction!r}")
    return ops.mean(values)   # the sum over the number of values


def _library_losses():
    """{class name: catalogue entry} of the library's built-in losses."""
    from ._catalog import builtin_objects
    return builtin_objects("losses")


def _function_names(entry, class_name):
    """The function names of a loss class, its canonical one (Keras's snake_case) first."""
    from ._objects import snake_case
    names = list(entry.get("names", []))
    canonical = snake_case(class_name)
    return ([canonical] if canonical in names else []) + [n for n in names if n != canonical]


# Classes and function names (with Keras's and Keras 2's aliases: `mse`, `logcosh`) as the
# library's catalogue lists them; an alias is the same object as the canonical function.
_CLASSES = []
_FUNCTIONS = []
_FUNCTION_CLASSES = {}   # function name (aliases too) -> its class's name
for _cls, _entry in _library_losses().items():
    _args = tuple(a["name"] for a in _entry.get("args", []))
    globals()[_cls] = make_class(Loss, _cls, _args, module=__name__)
    _CLASSES.append(_cls)
    _names = _function_names(_entry, _cls)
    if _names:
        _fn = LossFunction(_names[0])
        _FUNCTIONS.append(_names[0])
        for _n in _names:
            globals()[_n] = _fn
            _FUNCTION_CLASSES[_n] = _cls


def get(identifier):
    if identifier is None or isinstance(identifier, (Loss, LossFunction)):
        return identifier
    if isinstance(identifier, str):
        obj = globals().get(identifier)
        if isinstance(obj, LossFunction):
            return obj
        if isinstance(obj, type) and issubclass(obj, Loss):
            return obj()
        return LossFunction(identifier)  # the library reports unknown names
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")

serialize, deserialize = _module_serialization("losses", get)
