"""Regularizers (Keras `keras.regularizers`): class name + arguments for the library."""

from ._objects import KerasObject, make_class
from ._objects import module_serialization as _module_serialization


class Regularizer(KerasObject):
    kind = "regularizer"

    def _given_arguments(self):
        if type(self).__module__.split(".")[0] != __name__.split(".")[0]:
            # keras.io's PointNet (OrthogonalRegularizer as an activity_regularizer) is one.
            raise NotImplementedError(
                f"{type(self).__name__}: a regularizer written in Python (a subclass of "
                f"keras.regularizers.Regularizer) cannot be given to a layer in swiftkeras yet: "
                f"the library computes penalties natively and cannot run its __call__. Use "
                f"keras.regularizers.L1, L2, L1L2 or OrthogonalRegularizer, or add the penalty "
                f"with self.add_loss in the call of a layer written in Python")
        return super()._given_arguments()


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
