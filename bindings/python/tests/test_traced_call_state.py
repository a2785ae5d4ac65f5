"""A layer written in Python whose traced `call` calls its sublayers in training mode
(`self.norm(x, training=True)`, `self.drop(x, training=True)`, as a Distiller's compute_loss calls
the student's feature extractor): tracing the call evaluates each sublayer call on probe values
to learn its shapes, which must move no state. BatchNormalization's moving statistics after
building, after a predict (one call) and after a fit are Keras's (jax). (The Dropout's seed
generator, a sublayer's inside a Python layer, is not among our model's variables yet.)"""

import numpy as np

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_layer_call")

X = np.random.RandomState(3).normal(size=(12, 4)).astype("float32")


def _layer_class(lib):
    class AlwaysTraining(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.norm = lib.layers.BatchNormalization(momentum=0.5)
            self.drop = lib.layers.Dropout(0.5, seed=11)

        def call(self, x):
            return self.drop(self.norm(x, training=True), training=True)
    return AlwaysTraining


def _states(lib):
    lib.backend.clear_session()
    model = lib.Sequential([lib.Input((4,)), _layer_class(lib)(name="always"), lib.layers.Dense(1)])
    model.compile(lib.optimizers.SGD(0.01), "mse")
    seen = []

    def state():
        values = {v.name: np.asarray(v.numpy()).copy() for v in model.non_trainable_variables}
        seen.append((values["moving_mean"], values["moving_variance"]))
    state()   # built
    model.predict(X[:4], verbose=0)   # one call in training mode: the statistics move once
    state()
    model.fit(X, X[:, :1], batch_size=4, epochs=1, shuffle=False, verbose=0)
    state()
    return seen


def test_probes_of_a_training_mode_call_move_no_state():
    ours, ref = _states(sk), _states(keras)
    assert len(ours) == len(ref) == 3
    for i, ((m, v), (rm, rv)) in enumerate(zip(ours, ref)):
        np.testing.assert_allclose(m, rm, rtol=1e-5, atol=1e-6, err_msg=f"moving_mean {i}")
        np.testing.assert_allclose(v, rv, rtol=1e-5, atol=1e-6, err_msg=f"moving_variance {i}")
    np.testing.assert_array_equal(ours[0][0], np.zeros(4, np.float32))   # building moved nothing
