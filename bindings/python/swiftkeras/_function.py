"""Keras 3's `keras.Operation` (the base of layers and ops) and `keras.Function` (a graph of
operations from symbolic inputs to outputs, callable on arrays), keras/src/ops/operation.py
and function.py. A Function's graph is the one a functional model of the same tensors holds, so
the library computes it."""

import abc

from ._objects import snake_case, unique_name


def _check_name(name):
    if not isinstance(name, str) or "/" in name:
        raise ValueError(f"Argument `name` must be a string and cannot contain character `/`. "
                         f"Received: name={name} (of type {type(name)})")


def _symbolic(values):
    from . import tree
    from .layers import KerasTensor
    return any(isinstance(v, KerasTensor) for v in tree.flatten(values))


class Operation(metaclass=abc.ABCMeta):
    """Base of Keras's layers and ops: `op(*args)` runs `call` on arrays. Keras:
    `keras.Operation`. Every swiftkeras Layer and Model is one. A subclass written in Python
    runs on arrays; in a functional graph, write it as a Layer whose `call` composes
    `keras.ops` (the library traces that into the model)."""

    def __init__(self, name=None):
        name = unique_name(snake_case(type(self).__name__)) if name is None else name
        _check_name(name)
        self.name = name

    def __call__(self, *args, **kwargs):
        if _symbolic((args, kwargs)):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} (a keras.Operation written in Python) was called on "
            f"symbolic tensors: swiftkeras's functional graphs are the library's layers; write "
            f"the operation as a keras.layers.Layer whose call composes keras.ops")

    def call(self, *args, **kwargs):
        raise NotImplementedError

    def compute_output_spec(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__}.compute_output_spec is not defined")

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Operation name={self.name}>"


def _one_or_list(flat):
    return flat[0] if len(flat) == 1 else list(flat)


def _register_builtin_operations():
    from ._model_api import ModelAPI
    from .layers import Layer
    Operation.register(Layer)
    Operation.register(ModelAPI)


class Function(Operation):
    """The computation from symbolic `inputs` (keras.Input tensors) to `outputs` built on them,
    callable on arrays (or on symbolic tensors, as a node of a larger graph). Keras:
    `keras.Function(inputs, outputs, name=None)`; `inputs` and `outputs` list them flat,
    `operations` the layers in the order the graph runs them."""

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name)
        from . import tree
        from .models import Model
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self._inputs, self._outputs = tree.flatten(inputs), tree.flatten(outputs)
        if not self._inputs:
            raise ValueError(f"`inputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                             f"outputs={outputs}")
        if not self._outputs:
            raise ValueError(f"`outputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                             f"outputs={outputs}")
        # (over its flat lists: a call matches arrays to inputs by the Function's structure, as
        # Keras's, not by input names; tensors made directly, `keras.KerasTensor(shape=...)`,
        # start the graph from inputs of their own (models._cut_at_inputs) that only it sees)
        self._graph = Model(_one_or_list(self._inputs), _one_or_list(self._outputs), name=self.name)
        graph_inputs = self._graph._functional[0]
        self._stand_ins = {id(t._keras_history[0]) for t, given in zip(
            graph_inputs if isinstance(graph_inputs, list) else [graph_inputs], self._inputs)
            if t is not given}

    @property
    def operations(self):
        """The layers and ops of the graph (Keras lists both), in the order it runs them."""
        from .models import _as_keras_layer
        return [_as_keras_layer(layer) for layer in self._graph._layers if id(layer) not in self._stand_ins]

    @property
    def inputs(self):
        return self._inputs

    @property
    def outputs(self):
        return self._outputs

    def __call__(self, inputs):
        return self.call(inputs)

    def call(self, inputs):
        """The outputs for `inputs` (arrays: computed; symbolic tensors: a node on them)."""
        from . import tree
        try:
            tree.assert_same_structure(inputs, self._inputs_struct)
        except ValueError:
            raise ValueError(f"Function was called with an invalid input structure. Expected "
                             f"input structure: {self._inputs_struct}\nReceived input structure: "
                             f"{inputs}") from None
        outputs = self._graph(_one_or_list(tree.flatten(inputs)))
        return tree.pack_sequence_as(self._outputs_struct, outputs if len(self._outputs) > 1 else [outputs])

    def compute_output_shape(self, input_shape):
        return self._graph.compute_output_shape(input_shape)

    def __repr__(self):
        return f"<Function name={self.name}>"
