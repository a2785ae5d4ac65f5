"""`swiftkeras.GradientTape`: the gradient tape of Keras's "Customizing what happens in fit()"
train_step, for a model trained by the library.

    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(gradients, self.trainable_variables)
        for metric in self.metrics: ...
        return {m.name: m.result() for m in self.metrics}

The weights live in the library, which computes gradients with its own autodiff: Python holds
no differentiable values. So the tape records what its block did, the model's call on `x` and
the `compute_loss` whose value the loss is, and `gradient` returns the gradients of that loss as
a stand-in (one per variable) that `optimizer.apply` / `apply_gradients` turn into the library's
training step on that batch (keras_model_train_batch: forward pass, the model's loss, traced
`compute_loss` override included, with its penalties, gradients, the optimizer's update). The
Python metrics the step updates are left to the train_step, which updates them itself.

What the step cannot be: a loss that is not `compute_loss`'s value (changed after it, or
computed without it: its gradients would be of another function), gradients of other variables
than the model's trainable ones, or gradients changed before they are applied (clipped,
scaled): each fails naming what works. tf.GradientTape, jax.grad and torch's backward() compute
gradients of Python values the library never sees, and are refused where they reach the
optimizer (GRADIENTS_ROUTE).

One forward pass, as Keras's: the step's forward is the block's. The model's call in the block
runs in the library (its outputs are the block's `y_pred`) and moves the model's state on as any
call does: Dropout's and the noise layers' seed generators, BatchNormalization's moving
statistics. The training step that `optimizer.apply` takes starts from the state the call found
(put back first: `non_trainable_variables`, seed generator states included), so it draws the
same numbers and normalizes by the same batch statistics: its forward is the block's forward
again, the gradients are those of the forward whose outputs the block saw, and the state moves on
once per batch, as Keras's one forward moves it.
"""

from __future__ import annotations

import threading

_active = threading.local()


def _tapes():
    stack = getattr(_active, "stack", None)
    if stack is None:
        stack = _active.stack = []
    return stack


def model_state(model):
    """The state a call of the library's model moves (each of its `non_trainable_variables`
    with a copy of its value: moving statistics, seed generator states); None without a library
    model."""
    if getattr(model, "_handle", None) is None:
        return None
    import numpy as np
    return [(v, np.array(v.numpy(), copy=True)) for v in model.non_trainable_variables]


def put_back(state):
    """Assigns the values `model_state` kept."""
    for variable, value in state or ():
        variable.assign(value)


def state_before_call(model):
    """Inside a tape's block, the model's state before a call on arrays (`model_state`), for
    the training step to start from; None outside a block (nothing is kept)."""
    return model_state(model) if _tapes() else None


def note_call(model, x, y_pred, state=None):
    """A model called on arrays inside a tape's block (`y_pred = self(x, training=True)`), with
    its state before the call (`state_before_call`)."""
    for tape in _tapes():
        tape._calls.append((model, x, y_pred, state))
    return y_pred


def note_loss(model, args, kwargs, loss):
    """A `compute_loss` run inside a tape's block, with its arguments and value."""
    stack = _tapes()
    if stack:
        names = ("x", "y", "y_pred", "sample_weight")
        given = dict(zip(names, args))
        given.update({k: v for k, v in kwargs.items() if k in names})
        for tape in stack:
            tape._losses.append((model, given, loss))
    return loss


class GradientTape:
    """Records a training step's forward pass and loss (Keras's TensorFlow `tf.GradientTape`
    form of train_step); see the module's description. `persistent` and `watch_accessed_variables`
    are accepted for TensorFlow code and change nothing."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self._calls, self._losses = [], []

    def __enter__(self):
        _tapes().append(self)
        return self

    def __exit__(self, *exc):
        stack = _tapes()
        if self in stack:
            stack.remove(self)
        return False

    def watch(self, tensor):
        """TensorFlow's: the model's variables are watched already; nothing else can be."""

    def gradient(self, target, sources):
        """The gradients of `target` (the value `compute_loss` returned in the block) with respect
        to `sources` (the model's trainable variables), to give to `optimizer.apply`."""
        entry = next(((m, g, l) for m, g, l in reversed(self._losses) if l is target), None)
        if entry is None:
            raise NotImplementedError(
                "GradientTape.gradient(loss, ...): the loss must be the value returned by "
                "self.compute_loss(...) inside the tape's block, unchanged: swiftkeras trains in "
                "its library, which differentiates the model's compute_loss itself (override "
                "compute_loss with swiftkeras.ops to change the loss); it cannot differentiate a "
                "value computed in Python")
        model, given, _ = entry
        y_pred = given.get("y_pred")
        call = next(((m, x, s) for m, x, p, s in reversed(self._calls) if p is y_pred and m is model),
                    None)
        if call is None:
            raise NotImplementedError(
                "GradientTape.gradient: compute_loss was not given the output of the model's own "
                "call in the tape's block (y_pred = self(x, training=True)); the library's "
                "training step runs that forward pass itself")
        variables = list(sources)
        expected = list(model.trainable_variables)
        if [v.path for v in variables] != [v.path for v in expected]:
            raise NotImplementedError(
                "GradientTape.gradient: gradients are taken with respect to the model's "
                "trainable variables only (self.trainable_variables), as the library's training "
                "step takes them")
        step = _Step(model, call[1], given.get("y"), given.get("sample_weight"), call[2])
        return [_Gradient(step, v) for v in variables]


class _Step:
    """One training step the tape recorded, taken once by the optimizer from the state the
    block's call found (`state`: None when the call kept none)."""

    def __init__(self, model, x, y, sample_weight, state=None):
        self.model, self.x, self.y, self.sample_weight = model, x, y, sample_weight
        self.state = state
        self.taken = False

    def restore_state(self):
        """The model's state as the block's call found it: the step's forward repeats that call
        (the same draws, the same batch statistics) and moves the state on once."""
        put_back(self.state)


class _Gradient:
    """The gradient of a recorded step's loss for one variable, computed by the library when
    the optimizer applies it."""

    def __init__(self, step, variable):
        self._step, self._variable = step, variable

    def _refuse(self, *args, **kwargs):
        raise NotImplementedError(
            "a GradientTape gradient is computed by the library when optimizer.apply takes it; "
            "it has no value in Python and cannot be changed (clipped, scaled) first: use the "
            "optimizer's clipnorm/clipvalue/global_clipnorm arguments instead")

    __array__ = __add__ = __radd__ = __mul__ = __rmul__ = __sub__ = __truediv__ = _refuse
    numpy = _refuse

    def __repr__(self):
        return f"<GradientTape gradient of {self._variable.path}>"


def apply(optimizer, grads, variables):
    """`optimizer.apply(grads, variables)` for gradients from a GradientTape: the library's
    training step on the recorded batch; False when `grads` are not a tape's."""
    grads = list(grads)
    if not grads or not all(isinstance(g, _Gradient) for g in grads):
        if any(isinstance(g, _Gradient) for g in grads):
            raise NotImplementedError("optimizer.apply: GradientTape gradients mixed with others")
        return False
    step = grads[0]._step
    if any(g._step is not step for g in grads):
        raise NotImplementedError("optimizer.apply: gradients of several GradientTape steps at once")
    model = step.model
    if optimizer is not model.optimizer:
        raise NotImplementedError("optimizer.apply: GradientTape gradients are applied by the "
                                  "model's own optimizer (self.optimizer), the one compile set")
    if variables is not None:
        paths = [v.path for v in variables]
        if paths != [g._variable.path for g in grads]:
            raise NotImplementedError("optimizer.apply: the variables must be those the gradients "
                                      "were taken for (self.trainable_variables)")
    if step.taken:
        raise NotImplementedError("optimizer.apply: these GradientTape gradients were applied "
                                  "already")
    step.taken = True
    step.restore_state()
    from ._custom_steps import library_train_step
    library_train_step(model, step.x, step.y, step.sample_weight, follow_metrics=False)
    return True
