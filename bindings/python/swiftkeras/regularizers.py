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
        base = _traced_regularizers.builtin_base(type(self))
        if base is not None:   # a Python subclass of L2: L2's config, every factor included
            from ._objects import builtin_config
            given = self._given_arguments()
            return builtin_config(self.kind, base.class_name, given) or given
        if _traced_regularizers.is_traced(self):
            raise NotImplementedError(f"{self} does not implement get_config()")
        return super().get_config()

    def __getattr__(self, name):
        # `self.l2` of a Python subclass of L2: given, else Keras's default
        from . import _traced_regularizers
        if not name.startswith("_") and _traced_regularizers.builtin_base(type(self)) is not None:
            config = Regularizer.get_config(self)   # (not an override, which may read it)
            if name in config:
                return config[name]
        return super().__getattr__(name)

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


# Keras's penalties written with keras.ops: what `L2(0.1)(x)` gives, and what a Python subclass
# that keeps or extends its base's `__call__` (`super().__call__(x)`) is traced from.
def _l1_call(self, x):
    from . import ops
    return ops.cast(self.l1, dtype=x.dtype) * ops.sum(ops.absolute(x))


def _l2_call(self, x):
    from . import ops
    return ops.cast(self.l2, dtype=x.dtype) * ops.sum(ops.square(x))


def _l1l2_call(self, x):
    from . import ops
    regularization = ops.convert_to_tensor(0.0, dtype=x.dtype)
    if self.l1 != 0.0:
        regularization += ops.cast(self.l1, dtype=x.dtype) * ops.sum(ops.absolute(x))
    if self.l2 != 0.0:
        regularization += ops.cast(self.l2, dtype=x.dtype) * ops.sum(ops.square(x))
    return regularization


def _orthogonal_call(self, x):
    from . import ops
    if len(x.shape) != 2:
        raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: "
                         f"inputs.shape={x.shape}")
    if self.mode == "rows":
        x = ops.nn.normalize(x, axis=1)
        product, size = ops.matmul(x, ops.transpose(x)), x.shape[0]
    else:
        x = ops.nn.normalize(x, axis=0)
        product, size = ops.matmul(ops.transpose(x), x), x.shape[1]
    product_no_diagonal = product * (1.0 - ops.eye(size, dtype=x.dtype))
    num_pairs = size * (size - 1.0) / 2.0
    return self.factor * 0.5 * ops.sum(ops.absolute(product_no_diagonal)) / num_pairs


L1.__call__, L2.__call__, L1L2.__call__ = _l1_call, _l2_call, _l1l2_call
OrthogonalRegularizer = make_class(Regularizer, "OrthogonalRegularizer", ("factor", "mode"),
                                   module=__name__)
OrthogonalRegularizer.__call__ = _orthogonal_call
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
        if identifier.get("class_name") in ("function", "__lambda__"):   # a function regularizer
            from . import _traced_regularizers
            return _traced_regularizers.function_of(identifier)
        cls = globals().get(identifier.get("class_name"))
        if isinstance(cls, type) and issubclass(cls, Regularizer) and not identifier.get("registered_name"):
            return cls(**identifier.get("config", {}))
        return deserialize(identifier)   # a class written in Python, by its registered name
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()   # (Keras makes a class given so)
    if callable(identifier):
        return identifier   # a function (`lambda w: ...`), called as Keras calls it
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")

serialize, deserialize = _module_serialization("regularizers", get)


def _library_form(value):
    """A regularizer argument as the library's config holds it: a function's Keras entry (made
    known to the library, _traced_regularizers), else the object's config form."""
    from . import _traced_regularizers
    from ._objects import serialize as config_form
    if _traced_regularizers.is_function(value):
        return _traced_regularizers.function_entry(value)
    return config_form(value)
