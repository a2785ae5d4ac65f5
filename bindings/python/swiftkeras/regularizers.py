"""Regularizers (Keras `keras.regularizers`): class name + arguments for the library."""

from ._objects import KerasObject, make_class
from ._objects import module_serialization as _module_serialization


class Regularizer(KerasObject):
    """Keras `keras.regularizers.Regularizer`. A subclass written in Python whose `__call__`
    uses `keras.ops` is traced into the library's op graph and runs natively
    (_traced_regularizers)."""
    kind = "regularizer"

    def __call__(self, x):
        """Keras's base penalty: 0.0."""
        return 0.0

    def get_config(self):
        from . import _traced_regularizers
        if _traced_regularizers.is_traced(self):
            raise NotImplementedError(f"{self} does not implement get_config()")
        return super().get_config()

    # A subclass written in Python is a plain object as in Keras (its __init__ need not call
    # super's): compared by identity, shown as Python shows objects.
    def __eq__(self, other):
        from . import _traced_regularizers
        return self is other if _traced_regularizers.is_traced(self) else super().__eq__(other)

    def __hash__(self):
        from . import _traced_regularizers
        return object.__hash__(self) if _traced_regularizers.is_traced(self) else super().__hash__()

    def __repr__(self):
        from . import _traced_regularizers
        return object.__repr__(self) if _traced_regularizers.is_traced(self) else super().__repr__()

    def _custom_entry(self):
        from . import _traced_regularizers
        return _traced_regularizers.entry(self) if _traced_regularizers.is_traced(self) else None


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
