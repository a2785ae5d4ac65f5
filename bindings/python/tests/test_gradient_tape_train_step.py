"""Keras's "Customizing what happens in fit()" train_step in its gradient-tape form, written
with `swiftkeras.GradientTape`: the tape records the forward pass and compute_loss, and
`optimizer.apply` / `apply_gradients` of its gradients is the library's training step on that
batch. Checked against real Keras 3 (jax), whose default train step is that same step: the
weights after three epochs (1e-5) and History (the dict the train_step returns, flattened as
Keras's logs are); then the forms the tape refuses, each with a message naming what works."""

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
