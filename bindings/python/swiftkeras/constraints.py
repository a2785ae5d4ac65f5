"""Weight constraints (Keras `keras.constraints`): class name + arguments for the library."""

from ._objects import KerasObject, make_class
from ._objects import module_serialization as _module_serialization


class Constraint(KerasObject):
    kind = "constraint"

    def __call__(self, w):
        """Keras's `constraint(w)`: the weight projected as the library projects it after each
        optimizer step (a new array); the base class returns `w` unchanged, as Keras's."""
        if not self._is_builtin():
            return w
        from ._standalone import constraint_call
        return constraint_call(self, w)


MaxNorm = make_class(Constraint, "MaxNorm", ("max_value", "axis"), module=__name__)
MinMaxNorm = make_class(Constraint, "MinMaxNorm", ("min_value", "max_value", "rate", "axis"),
                        module=__name__)
NonNeg = make_class(Constraint, "NonNeg", (), module=__name__)
UnitNorm = make_class(Constraint, "UnitNorm", ("axis",), module=__name__)
max_norm, min_max_norm, non_neg, unit_norm = MaxNorm, MinMaxNorm, NonNeg, UnitNorm


def get(identifier):
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str):
        cls = globals().get(identifier)
        if not isinstance(cls, type):
            raise ValueError(f"Could not interpret constraint identifier: {identifier}")
        return cls()
    if isinstance(identifier, dict):
        return globals()[identifier["class_name"]](**identifier.get("config", {}))
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")

serialize, deserialize = _module_serialization("constraints", get)
