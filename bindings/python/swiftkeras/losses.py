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
