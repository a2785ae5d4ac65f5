"""Keras's "Customizing what happens in fit()" train_step in its gradient-tape form, written
with `swiftkeras.GradientTape`: the tape records the forward pass and compute_loss, and
`optimizer.apply` / `apply_gradients` of its gradients is the library's training step on that
batch. Checked against real Keras 3 (jax), whose default train step is that same step: the
weights after three epochs (1e-5) and History (the dict the train_step returns, flattened as
Keras's logs are); then the forms the tape refuses, each with a message naming what works; then
one forward pass per batch: BatchNormalization's moving statistics as Keras's, and the gradients
of the Dropout forward whose outputs the block saw (by hand, the library's draws being its own)."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_train_batch")

RS = np.random.RandomState(8)
X = RS.normal(size=(44, 5)).astype("float32")   # batches of 8: the last has 4 rows
Y = np.stack([X[:, 0] - X[:, 1] * X[:, 2], np.tanh(X[:, 3])], 1).astype("float32")


def _build(cls, lib):
    model = cls()
    model(X[:1])
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(scale=0.5, size=np.shape(w)).astype("float32")
                       for w in model.get_weights()])
    return model


def _net(lib, base, penalty=True):
    class Net(base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(6, activation="tanh", kernel_regularizer=lib.regularizers.L2(
                0.01) if penalty else None)
            self.out = lib.layers.Dense(2)

        def call(self, x, training=None):
            return self.out(self.hidden(x))
    return Net


def _guide_form(penalty=False):
    """The guide's first train_step (compiled loss and metrics), with swiftkeras's tape."""
    class Guide(_net(sk, sk.Model, penalty)):
        def train_step(self, data):
            x, y = data
            with sk.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            self.optimizer.apply(gradients, trainable_vars)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}
    return Guide


def _jax_guide_form():
    """The guide's JAX train_step (stateless_call, jax.value_and_grad, stateless_apply), run by
    real Keras: the reference for the same step."""
    import jax

    class JaxGuide(_net(keras, keras.Model, penalty=False)):   # (stateless_call drops penalties)
        def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y,
                                     training=False):
            y_pred, non_trainable_variables = self.stateless_call(
                trainable_variables, non_trainable_variables, x, training=training)
            loss = self.compute_loss(x, y, y_pred)
            return loss, (y_pred, non_trainable_variables)

        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y = data
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
                trainable_variables, non_trainable_variables, x, y, training=True)
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables)
            new_metrics_vars, logs = [], {}
            for metric in self.metrics:
                this = metrics_variables[len(new_metrics_vars):len(new_metrics_vars) + len(metric.variables)]
                if metric.name == "loss":
                    this = metric.stateless_update_state(this, loss)
                else:
                    this = metric.stateless_update_state(this, y, y_pred)
                logs[metric.name] = metric.stateless_result(this)
                new_metrics_vars += this
            return logs, (trainable_variables, non_trainable_variables, optimizer_variables,
                          new_metrics_vars)
    return JaxGuide


def _fit(model, lib, optimizer, **compile_kwargs):
    model.compile(optimizer=optimizer, loss="mse", **compile_kwargs)
    history = model.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    return ({k: [float(v) for v in vs] for k, vs in history.history.items()},
            [np.asarray(w) for w in model.get_weights()])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_guide_train_step_with_a_tape_trains_as_keras(optimizer):
    def opt(lib):
        return lib.optimizers.SGD(0.05, momentum=0.5) if optimizer == "sgd" else lib.optimizers.Adam(0.01)
    ours_h, ours_w = _fit(_build(_guide_form(), sk), sk, opt(sk), metrics=["mae"])
    ref_h, ref_w = _fit(_build(_jax_guide_form(), keras), keras, opt(keras), metrics=["mae"])
    assert sorted(ours_h) == sorted(ref_h) == ["loss", "mae"]
    for key in ref_h:
        np.testing.assert_allclose(ours_h[key], ref_h[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_weight_penalties_enter_the_tape_step_as_in_keras():
    """A kernel regularizer: compute_loss on arrays adds `model.losses` as Keras's does, and the
    library's step trains on the penalized loss: Keras's default step's weights (its loss
    figure weights batches by size, the guide's tracker does not: weights only)."""
    ours_h, ours_w = _fit(_build(_guide_form(penalty=True), sk), sk, sk.optimizers.SGD(0.05))
    _, ref_w = _fit(_build(_net(keras, keras.Model, penalty=True), keras), keras, keras.optimizers.SGD(0.05))
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert sorted(ours_h) == ["loss"]


def test_own_trackers_apply_gradients_and_a_traced_compute_loss():
    """The guide's second form (its own trackers, `metrics` overridden, no compiled metrics)
    with apply_gradients(zip(...)) and a compute_loss override (ops: traced, the library's
    step trains on it), against Keras's default step on that compute_loss."""
    def loss_override(lib):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            return lib.ops.mean(lib.ops.abs(y - y_pred)) + 0.5 * lib.ops.mean(lib.ops.square(y - y_pred))
        return compute_loss

    class Tracked(_net(sk, sk.Model, penalty=False)):
        compute_loss = loss_override(sk)

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.loss_tracker = sk.metrics.Mean(name="loss")
            self.mae_metric = sk.metrics.MeanAbsoluteError(name="mae")

        def train_step(self, data):
            x, y = data
            with sk.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    class Reference(_net(keras, keras.Model, penalty=False)):
        compute_loss = loss_override(keras)

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = loss_override(keras)(self, x, y, y_pred, sample_weight, training)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return loss

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    ours_h, ours_w = _fit(_build(Tracked, sk), sk, sk.optimizers.SGD(0.05))
    ref_h, ref_w = _fit(_build(Reference, keras), keras, keras.optimizers.SGD(0.05))
    assert sorted(ours_h) == sorted(ref_h) == ["loss", "mae"]
    for key in ref_h:
        np.testing.assert_allclose(ours_h[key], ref_h[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def _refused(step, match):
    class Refused(_net(sk, sk.Model)):
        train_step = step

    model = _build(Refused, sk)
    model.compile(optimizer="sgd", loss="mse")
    before = [np.asarray(w) for w in model.get_weights()]
    with pytest.raises(NotImplementedError, match=match):
        model.fit(X, Y, epochs=1, batch_size=8, verbose=0)
    for a, b in zip(model.get_weights(), before):   # nothing trained
        np.testing.assert_array_equal(a, b)


def test_a_loss_changed_after_compute_loss_is_refused():
    def step(self, data):
        x, y = data
        with sk.GradientTape() as tape:
            loss = self.compute_loss(y=y, y_pred=self(x, training=True)) * 2.0
        self.optimizer.apply(tape.gradient(loss, self.trainable_variables), self.trainable_variables)
        return {}
    _refused(step, "the loss must be the value returned by self.compute_loss")


def test_gradients_changed_before_apply_are_refused():
    def step(self, data):
        x, y = data
        with sk.GradientTape() as tape:
            loss = self.compute_loss(y=y, y_pred=self(x, training=True))
        grads = [g * 0.5 for g in tape.gradient(loss, self.trainable_variables)]
        self.optimizer.apply(grads, self.trainable_variables)
        return {}
    _refused(step, "cannot be changed")


def test_gradients_from_python_name_the_tape_route():
    def step(self, data):
        grads = [np.zeros(np.shape(v), "float32") for v in self.trainable_variables]
        self.optimizer.apply(grads, self.trainable_variables)
        return {}
    _refused(step, "keras.GradientTape")


# ---- one forward pass per batch, as Keras's ---------------------------------------------------

def _normalized(lib, base, dropout=None):
    """A net with BatchNormalization (moving statistics move at each training forward) and,
    given a seed, a Dropout after it."""
    class Normalized(base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(6, activation="tanh")
            self.norm = lib.layers.BatchNormalization(momentum=0.8)
            self.drop = lib.layers.Dropout(0.3, seed=dropout) if dropout is not None else None
            self.out = lib.layers.Dense(2)

        def call(self, x, training=None):
            h = self.norm(self.hidden(x), training=training)
            if self.drop is not None:
                h = self.drop(h, training=training)
            return self.out(h)
    return Normalized


def _tape_step(self, data):
    x, y = data
    with sk.GradientTape() as tape:
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
    self.optimizer.apply(tape.gradient(loss, self.trainable_variables), self.trainable_variables)
    for metric in self.metrics:
        if metric.name == "loss":
            metric.update_state(loss)
        else:
            metric.update_state(y, y_pred)
    return {m.name: m.result() for m in self.metrics}


def _with_positive_variances(model):
    """The random weights of _build, moving variances made positive."""
    model.set_weights([np.abs(w) + 0.5 if "variance" in v.path else w
                       for v, w in zip(model.weights, model.get_weights())])
    return model


def _absolute_loss(lib):
    """A compute_loss override written with ops (traced into the library's graph here)."""
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return lib.ops.mean(lib.ops.abs(y - y_pred)) + 0.5 * lib.ops.mean(lib.ops.square(y - y_pred))
    return compute_loss


@pytest.mark.parametrize("override", [False, True], ids=["compiled_loss", "traced_compute_loss"])
def test_batch_normalization_moves_once_per_batch_as_in_keras(override):
    """The block's forward is the step's: BatchNormalization's moving statistics move once per
    batch (they moved twice when the step ran a forward of its own after the block's), the
    weights and History as Keras's JAX guide step (stateless_call, value_and_grad). With a
    traced compute_loss too: the block's y_pred is the training forward's (the metric of the
    step reads it), its loss that compute_loss."""
    extra = ({"compute_loss": _absolute_loss(sk)}, {"compute_loss": _absolute_loss(keras)}) \
        if override else ({}, {})
    ours_cls = type("TapeNormalized", (_normalized(sk, sk.Model),),
                    {"train_step": _tape_step, **extra[0]})
    ref_cls = type("JaxNormalized", (_normalized(keras, keras.Model),),
                   {**{k: v for k, v in vars(_jax_guide_form()).items()
                       if k in ("compute_loss_and_updates", "train_step")}, **extra[1]})
    ours = _with_positive_variances(_build(ours_cls, sk))
    ref = _with_positive_variances(_build(ref_cls, keras))
    ours_h, ours_w = _fit(ours, sk, sk.optimizers.SGD(0.05), metrics=["mae"])
    ref_h, ref_w = _fit(ref, keras, keras.optimizers.SGD(0.05), metrics=["mae"])
    assert sorted(ours_h) == sorted(ref_h) == ["loss", "mae"]
    for key in ref_h:
        np.testing.assert_allclose(ours_h[key], ref_h[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert [v.name for v in ours.weights] == [v.name for v in ref.weights]   # moving_mean, ...
    for v, a, b in zip(ours.weights, ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=v.path)


def test_the_gradients_are_those_of_the_forward_the_block_saw():
    """Dropout draws in the block's forward; the step's gradients are of that forward (the
    same mask), checked by hand: y_pred = dropout(x @ W) with SGD on the mean squared error
    gives W - lr * x^T (2 (y_pred - y) / size * mask / (1 - rate)), the mask read off y_pred.
    The seed generator moves on one draw per batch, as Keras's (its state after the same fit)."""
    rate, lr = 0.5, 0.1

    def make(lib):
        class Dropped(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = lib.layers.Dense(4, use_bias=False)
                self.drop = lib.layers.Dropout(rate, seed=7)

            def call(self, x, training=None):
                return self.drop(self.dense(x), training=training)
        return Dropped

    seen = []

    def step(self, data):
        x, y = data
        kernel = np.asarray(self.get_weights()[0]).copy()
        with sk.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        self.optimizer.apply(tape.gradient(loss, self.trainable_variables), self.trainable_variables)
        seen.append((np.asarray(x), np.asarray(y), np.asarray(y_pred), kernel,
                     np.asarray(self.get_weights()[0]).copy()))
        return {}

    ours = type("TapeDropped", (make(sk),), {"train_step": step})()
    ours(X[:1])
    y4 = np.concatenate([Y, Y], axis=1)
    ours.compile(optimizer=sk.optimizers.SGD(lr), loss="mse")
    ours.fit(X, y4, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert len(seen) == 12
    for x, y, y_pred, before, after in seen:
        mask = (y_pred != 0).astype(np.float64)
        assert 0 < mask.mean() < 1
        np.testing.assert_allclose(y_pred, mask * (x @ before) / (1 - rate), rtol=1e-5, atol=1e-6)
        grad = x.T @ (2.0 * (y_pred - y) / y_pred.size * mask / (1 - rate))
        np.testing.assert_allclose(after, before - lr * grad, rtol=1e-5, atol=1e-6)
    ref = make(keras)()
    ref(X[:1])
    ref.compile(optimizer="sgd", loss="mse")
    ref.fit(X, y4, epochs=2, batch_size=8, shuffle=False, verbose=0)

    def state(model):
        return [np.asarray(v.numpy()).tolist() for v in model.non_trainable_variables
                if v.path.endswith("seed_generator_state")]
    assert state(ours) == state(ref) == [[7, 12]]


def test_one_forward_pass_per_batch():
    """The block's call is the step's forward (keras_model_record_forward), which
    optimizer.apply finishes (keras_model_train_recorded): a layer computed in Python (numpy
    call and backward) runs once per batch, and the weights are those of the library's own
    fit from the same weights (its step: one forward, the loss, the gradients of that forward)."""
    if not sk._lib.has("keras_model_record_forward"):
        pytest.skip("libkeras.so lacks keras_model_record_forward")
    calls = []
    ours, plain = _counted_model(_tape_step, calls), _counted_model(None, calls)
    _assert_one_forward_per_batch(ours, plain, calls)


def _assert_one_forward_per_batch(ours, plain, calls):
    """Two epochs of `ours` (a tape step) call the counted Python layer once per batch, and end
    at the weights of `plain`'s library fit from the same weights."""
    del calls[:]
    ours.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert calls == [8] * 5 + [4] + [8] * 5 + [4]
    plain.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _counted_model(step, calls, compute_loss=None):
    """Dense, a layer computed in Python (numpy call and backward, counting its calls), Dense;
    the same weights every time."""
    class Scale(sk.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, inputs):
            calls.append(len(inputs))
            return inputs * self.scale

        def backward(self, inputs, weights, grad_output):
            return grad_output * weights[0], [np.sum(grad_output * inputs, axis=0)]

    inputs = sk.Input((5,))
    h = Scale()(sk.layers.Dense(4, activation="tanh")(inputs))
    methods = ({"train_step": step} if step else {}) | \
        ({"compute_loss": compute_loss} if compute_loss else {})
    model = type("Counted", (sk.Model,), methods)(inputs, sk.layers.Dense(2)(h))
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(scale=0.5, size=np.shape(w)).astype("float32")
                       for w in model.get_weights()])
    model.compile(optimizer=sk.optimizers.SGD(0.05), loss="mse")
    return model


def test_one_forward_pass_per_batch_with_a_traced_compute_loss():
    """A traced compute_loss (a layer of the graph fed the targets) is recorded with the block's
    forward, fed the batch's targets: one forward per batch (it ran a predict for the block's
    call, then the step's own forward), the weights those of the library's fit (Keras's default
    step on that compute_loss). A compute_loss given other targets (y * 2) than the batch's takes
    a step of its own on them: the weights of a fit on those targets."""
    if not sk._lib.has("keras_model_record_forward"):
        pytest.skip("libkeras.so lacks keras_model_record_forward")
    calls = []
    loss = _absolute_loss(sk)

    def doubled(self, data):
        x, y = data
        with sk.GradientTape() as tape:
            y_pred = self(x, training=True)
            value = self.compute_loss(x, y * 2.0, y_pred)
        self.optimizer.apply(tape.gradient(value, self.trainable_variables), self.trainable_variables)
        return {}

    ours, plain = _counted_model(_tape_step, calls, loss), _counted_model(None, calls, loss)
    _assert_one_forward_per_batch(ours, plain, calls)
    ours, plain = _counted_model(doubled, calls, loss), _counted_model(None, calls, loss)
    ours.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    plain.fit(X, Y * 2.0, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_optimizer_apply_returns_none_as_keras():
    """Keras's `optimizer.apply` returns None (its `apply_gradients` the iteration count): in a
    tape's train_step and on variables of no model."""
    ref = keras.optimizers.SGD(0.1).apply([np.ones(2, "float32")], [keras.Variable(np.ones(2, "float32"))])
    returned = []

    class Step(_net(sk, sk.Model, penalty=False)):
        def train_step(self, data):
            x, y = data
            with sk.GradientTape() as tape:
                loss = self.compute_loss(y=y, y_pred=self(x, training=True))
            returned.append(self.optimizer.apply(tape.gradient(loss, self.trainable_variables),
                                                 self.trainable_variables))
            return {"loss": loss}

    model = _build(Step, sk)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X[:16], Y[:16], epochs=1, batch_size=8, verbose=0)
    free = sk.optimizers.SGD(0.1).apply([np.ones(2, "float32")], [sk.Variable(np.ones(2, "float32"))])
    assert ref is None and returned == [ref, ref] and free is ref
