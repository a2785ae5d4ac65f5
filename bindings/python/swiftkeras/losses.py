"""Losses (Keras `keras.losses`): the functions (`losses.mean_squared_error`) and classes
(`losses.MeanSquaredError()`) the library computes, referred to by Keras name and config.
A Python function `f(y_true, y_pred)` given as a loss is registered as a plugin."""

from ._objects import KerasObject, make_class


class LossFunction:
    """A built-in loss function, known to the library by its Keras name."""

    def __init__(self, name):
        self.__name__ = name

    def _keras_config(self):
        return self.__name__

    def __call__(self, y_true, y_pred):
        raise TypeError(f"losses.{self.__name__} is computed by the library inside "
                        f"compile/fit/evaluate; pass it to model.compile(loss=...)")

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


_FUNCTIONS = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
              "mean_squared_logarithmic_error", "squared_hinge", "hinge", "categorical_hinge",
              "log_cosh", "huber", "categorical_crossentropy", "sparse_categorical_crossentropy",
              "binary_crossentropy", "binary_focal_crossentropy", "kl_divergence", "poisson",
              "cosine_similarity"]
for _n in _FUNCTIONS:
    globals()[_n] = LossFunction(_n)
# Keras 2 and short aliases.
mse = MSE = globals()["mean_squared_error"]
mae = MAE = globals()["mean_absolute_error"]
mape = MAPE = globals()["mean_absolute_percentage_error"]
msle = MSLE = globals()["mean_squared_logarithmic_error"]
logcosh = globals()["log_cosh"]
kld = KLD = kullback_leibler_divergence = globals()["kl_divergence"]
cosine_proximity = globals()["cosine_similarity"]

_CLASSES = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
            "MeanSquaredLogarithmicError", "SquaredHinge", "Hinge", "CategoricalHinge", "LogCosh",
            "Huber", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
            "BinaryCrossentropy", "BinaryFocalCrossentropy", "KLDivergence", "Poisson",
            "CosineSimilarity"]
for _n in _CLASSES:
    globals()[_n] = make_class(Loss, _n, module=__name__)


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
