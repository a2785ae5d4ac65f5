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
(`self(x, training=True)`, the model compiled) is the training step's own forward pass, run by
the library on a tape and kept there (keras_model_record_forward): its outputs are the block's
`y_pred`, and `optimizer.apply` finishes that step (keras_model_train_recorded): the loss of
those outputs, its gradients through that same forward, the update. Dropout's and the noise
layers' generators and BatchNormalization's moving statistics move once, and the gradients are
those of the forward whose outputs the block saw. A traced `compute_loss` (a layer of the
model's graph fed the targets) is recorded with the forward when the model is fit's, its
train_step given the batch (`fit_batch`): the batch's targets and sample weights are fed to it,
and `optimizer.apply` finishes that step if the block's compute_loss was given those same
targets and sample weights (else it takes a step of its own, as for any call not recorded). A
call the library cannot record (masks given to the call; `training=None`) runs as any call, keeping the state it found (`non_trainable_variables`,
seed generator states included), and the training step that `optimizer.apply` takes starts
from that state (put back first), so that its forward repeats the block's.
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


class fit_batch:
    """While fit's loop runs `model.train_step(batch)`: the batch, whose targets a traced
    compute_loss's forward is fed in a tape's block (`loss_targets`)."""

    def __init__(self, model, batch):
        self.entry = (model, batch)

    def __enter__(self):
        stack = getattr(_active, "batches", None)
        if stack is None:
            stack = _active.batches = []
        stack.append(self.entry)
        return self

    def __exit__(self, *exc):
        _active.batches.pop()
        return False


def loss_targets(model):
    """Inside a tape's block of fit's train_step, for that model whose `compute_loss` is traced
    (overridden, compiled) and a library that records forwards: (y, sample_weight) of the batch
    fit gave train_step, for the training call to feed compute_loss's layer; else None."""
    batches = getattr(_active, "batches", None)
    if not batches or not _tapes() or batches[-1][0] is not model or model._handle is None or \
            model.__dict__.get("_compile_config") is None:
        return None
    from . import _custom_steps, _lib
    if not _lib.has("keras_model_record_forward") or \
            not _custom_steps.overrides(model, "compute_loss") or \
            model.__dict__.get("_tape_targets_differ"):
        return None
    _, y, sample_weight = _custom_steps.unpack_x_y_sample_weight(batches[-1][1])
    return None if y is None else (y, sample_weight)


def _same(a, b):
    """Whether two targets (arrays, or lists / dicts of them) hold the same values."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and \
            all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(p, q) for p, q in zip(a, b))
    import numpy as np
    try:
        return np.array_equal(np.asarray(a), np.asarray(b))
    except Exception:  # noqa: BLE001 — not arrays: not the batch's targets
        return False


def records_forward(model):
    """Whether the model's training call is, inside a tape's block, the training step's own
    forward pass (kept by the library for `optimizer.apply` to finish): a compiled model whose
    loss is the library's (not a traced compute_loss, whose forward takes the targets). Its
    trainable flags are taken first (the step trains those)."""
    if not _tapes() or model.__dict__.get("_compile_config") is None:
        return False
    from . import _custom_steps, _lib
    if not _lib.has("keras_model_record_forward") or getattr(model, "_compute_loss_graph", False) \
            or _custom_steps.overrides(model, "compute_loss"):
        return False
    if model._handle is None:
        return False
    model._take_trainable_flags()
    return True


def note_call(model, x, y_pred, state=None, recorded=None, targets=None):
    """A model called on arrays inside a tape's block (`y_pred = self(x, training=True)`), with
    its state before the call (`state_before_call`), or the id of the forward pass the library
    recorded for the step (`recorded`: keras_model_record_forward's); `targets`: the (y,
    sample_weight) a traced compute_loss was fed in that forward, with the state before it."""
    for tape in _tapes():
        tape._calls.append((model, x, y_pred, state if not recorded else
                            _Recorded(recorded, targets, state if targets else None)))
    return y_pred


class _Recorded:
    """The id of a training forward pass the library keeps for its step; for a traced
    compute_loss, the targets it was fed and the state before it."""

    def __init__(self, step_id, targets=None, state=None):
        self.step_id = step_id
        self.targets, self.state = targets, state


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

    def take(self):
        """The library's training step on the recorded batch: the one the block's forward began
        (its id in `state`), or, for a call not recorded, a step from the state that call found
        (put back first: the step's forward repeats that call, the same draws and batch
        statistics, and moves the state on once)."""
        from ._custom_steps import library_train_step
        if isinstance(self.state, _Recorded) and self.state.targets is not None and \
                not (_same(self.y, self.state.targets[0]) and
                     _same(self.sample_weight, self.state.targets[1])):
            # compute_loss was given other targets than those its forward was fed: a step of
            # its own, from the state before that forward (and the model's next calls in a
            # block are not recorded so: its train_step changes the targets).
            self.model._tape_targets_differ = True
            self.state = self.state.state
        if isinstance(self.state, _Recorded):
            library_train_step(self.model, self.x, self.y, self.sample_weight,
                               follow_metrics=False, recorded=self.state.step_id)
            return
        put_back(self.state)
        library_train_step(self.model, self.x, self.y, self.sample_weight, follow_metrics=False)


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
    step.take()
    return True
