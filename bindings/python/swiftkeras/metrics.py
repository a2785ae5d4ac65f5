"""Metrics (Keras `keras.metrics`): names ('accuracy', 'mae'), functions
(`metrics.binary_accuracy`) and classes (`metrics.AUC()`) the library computes. A Python
function `f(y_true, y_pred)` given as a metric is registered as a plugin."""

from ._objects import KerasObject, make_class
from .losses import LossFunction


class MetricFunction(LossFunction):
    """A built-in metric function, known to the library by its Keras name."""

    def __call__(self, y_true, y_pred):
        raise TypeError(f"metrics.{self.__name__} is computed by the library inside "
                        f"compile/fit/evaluate; pass it to model.compile(metrics=[...])")

    def __reduce__(self):
        return (MetricFunction, (self.__name__,))


class Metric(KerasObject):
    kind = "metric"


_FUNCTIONS = ["accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
              "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
              "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
              "mean_squared_logarithmic_error", "root_mean_squared_error", "hinge",
              "squared_hinge", "categorical_hinge", "log_cosh", "binary_crossentropy",
              "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
              "poisson", "cosine_similarity"]
for _n in _FUNCTIONS:
    globals()[_n] = MetricFunction(_n)
mse = globals()["mean_squared_error"]
mae = globals()["mean_absolute_error"]
mape = globals()["mean_absolute_percentage_error"]
msle = globals()["mean_squared_logarithmic_error"]
acc = globals()["accuracy"]

_CLASSES = {"Accuracy": (), "BinaryAccuracy": (), "CategoricalAccuracy": (),
            "SparseCategoricalAccuracy": (), "TopKCategoricalAccuracy": ("k",),
            "SparseTopKCategoricalAccuracy": ("k",), "MeanSquaredError": (),
            "MeanAbsoluteError": (), "MeanAbsolutePercentageError": (),
            "MeanSquaredLogarithmicError": (), "RootMeanSquaredError": (), "AUC": (),
            "Precision": (), "Recall": (), "TruePositives": (), "TrueNegatives": (),
            "FalsePositives": (), "FalseNegatives": (), "F1Score": (), "FBetaScore": (),
            "R2Score": (), "BinaryCrossentropy": (), "CategoricalCrossentropy": (),
            "SparseCategoricalCrossentropy": (), "Hinge": (), "SquaredHinge": (),
            "CategoricalHinge": (), "LogCoshError": (), "KLDivergence": (), "Poisson": (),
            "CosineSimilarity": ()}
for _n, _p in _CLASSES.items():
    globals()[_n] = make_class(Metric, _n, _p, module=__name__)


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
