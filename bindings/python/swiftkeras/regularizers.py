"""Regularizers (Keras `keras.regularizers`): class name + arguments for the library."""

from ._objects import KerasObject, make_class
from ._objects import module_serialization as _module_serialization


class Regularizer(KerasObject):
    kind = "regularizer"


L1 = make_class(Regularizer, "L1", ("l1",), module=__name__)
L2 = make_class(Regularizer, "L2", ("l2",), module=__name__)
L1L2 = make_class(Regularizer, "L1L2", ("l1", "l2"), module=__name__)
OrthogonalRegularizer = make_class(Regularizer, "OrthogonalRegularizer", ("factor", "mode"),
                                   module=__name__)
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def get(identifier):
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        cls = globals().get(identifier)
        if not isinstance(cls, type):
            raise ValueError(f"Could not interpret regularizer identifier: {identifier}")
        return cls()
    if isinstance(identifier, dict):
        return globals()[identifier["class_name"]](**identifier.get("config", {}))
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")

serialize, deserialize = _module_serialization("regularizers", get)
