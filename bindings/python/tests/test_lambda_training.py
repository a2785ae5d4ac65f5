"""`layers.Lambda` passes `training` to a function that names it, as Keras 3's
(keras/src/layers/core/lambda_layer.py `_fn_expects_training_arg`, from
`inspect.getfullargspec(function).args`): the function's training branch runs in fit, its
inference branch in evaluate and predict, and a direct call passes the flag given. Side by side
with real Keras (jax)."""

import numpy as np

from conftest import real_keras

import swiftkeras as sk


def tripled_in_training(x, training=None):
    return x * 3.0 if training else x


def _figures(lib):
    """fit's loss (SGD at rate 0: the weights stay), evaluate's and predict's, and a direct
    call of the layer with and without training=True."""
    inputs = lib.Input((2,))
    dense = lib.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")
    model = lib.Model(inputs, dense(lib.layers.Lambda(tripled_in_training)(inputs)))
    model.compile(optimizer=lib.optimizers.SGD(0.0), loss="mse")
    x, y = np.array([[1, 2], [3, 4]], "float32"), np.zeros((2, 1), "float32")
    fitted = model.fit(x, y, epochs=1, batch_size=2, verbose=0).history["loss"][0]
    layer = lib.layers.Lambda(tripled_in_training)
    return (fitted, model.evaluate(x, y, verbose=0), model.predict(x, verbose=0),
            np.asarray(layer(x, training=True)), np.asarray(layer(x)))


def test_a_lambda_function_taking_training_gets_the_flag():
    ours, theirs = _figures(sk), _figures(real_keras())
    assert ours[0] == theirs[0] == 261.0   # ((3 + 6)^2 + (9 + 12)^2) / 2: the training branch
    assert ours[1] == theirs[1] == 29.0    # ((1 + 2)^2 + (3 + 4)^2) / 2: inference
    for mine, want in zip(ours[2:], theirs[2:]):
        np.testing.assert_allclose(mine, want, rtol=1e-6)
