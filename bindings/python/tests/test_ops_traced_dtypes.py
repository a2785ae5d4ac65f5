"""Integer and bool tensors of a model's graph and of a traced layer's call, as Keras's: the dtype
they report (`ops.argmax` int32, `ops.isnan` and comparisons bool; the dtypes of every op of the
sweep are test_ops_unknown_axes.py's), `ops.cast` to integers (truncated) and bool, what a functional model returns for them (Keras's dtype
and numbers, from its eager ops on the same arrays), and their use as indices and masks inside
a traced call; a fit through argmax-selected values moves the weights by the loss's
finite-difference gradient. The library's graph holds them as float32 whole numbers and 0/1;
a functional model's int32 and bool outputs come back in their dtype."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras

OUTPUTS = {
    "argmax": lambda o, x: o.argmax(x, axis=-1),
    "argmax_flat_keepdims": lambda o, x: o.argmax(x, keepdims=True),
    "argmin_keepdims": lambda o, x: o.argmin(x, axis=1, keepdims=True),
    "argsort": lambda o, x: o.argsort(x, axis=1),
    "top_k_indices": lambda o, x: o.top_k(x, 2)[1],
    "count_nonzero": lambda o, x: o.count_nonzero(o.greater(x, 0.0), axis=-1),
    "greater": lambda o, x: o.greater(x, 0.1),
    "isnan_of_log": lambda o, x: o.isnan(o.log(x)),
    "logical_and": lambda o, x: o.logical_and(o.less(x, 1.0), o.greater(x, -1.0)),
    "sum_of_bools": lambda o, x: o.sum(o.greater(x, 0.0), axis=1),
    "cast_bool_to_float": lambda o, x: o.cast(o.isfinite(o.log(x)), "float32"),
    "cast_to_int_truncates": lambda o, x: o.cast(x * 3.0, "int32") * 2,
    "cast_to_bool": lambda o, x: o.cast(o.round(x), "bool"),
    "convert_to_tensor": lambda o, x: o.convert_to_tensor(o.argmax(x, axis=1), "float32"),
    "where_isnan": lambda o, x: o.where(o.isnan(o.log(x)), 0.0, x),
}


def _x():
    return np.random.default_rng(0).normal(size=(3, 2, 4)).astype(np.float32)


@pytest.mark.parametrize("case", sorted(OUTPUTS))
def test_functional_outputs_in_keras_dtypes(case):
    """`Model(x, op(x))`: the output tensor's dtype and predict's array (dtype, numbers) as
    Keras's op on the same arrays."""
    keras = real_keras()
    call, x = OUTPUTS[case], _x()
    want = np.asarray(call(keras.ops, keras.ops.convert_to_tensor(x)))
    inputs = sk.Input((2, 4))
    out = call(sk.ops, inputs)
    assert out.dtype == want.dtype.name
    got = sk.Model(inputs, out).predict(x, verbose=0)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


class _Selected(sk.layers.Layer):
    """Keras-style layer whose call picks each row's largest entry by its argmax (int32
    indices into take_along_axis) and zeroes the NaN of a log by an isnan mask."""

    def call(self, x):
        index = sk.ops.argmax(x, axis=-1)
        mask = sk.ops.isnan(sk.ops.log(x))
        assert (index.dtype, mask.dtype) == ("int32", "bool")
        picked = sk.ops.take_along_axis(x, sk.ops.expand_dims(index, -1), axis=-1)
        return picked + sk.ops.sum(sk.ops.cast(mask, "float32"), axis=-1, keepdims=True)


def test_traced_call_uses_indices_and_masks():
    x = _x().reshape(6, 4)
    inputs = sk.Input((4,))
    got = sk.Model(inputs, _Selected()(inputs)).predict(x, verbose=0)
    want = np.max(x, axis=-1, keepdims=True) + np.sum(x < 0, axis=-1, keepdims=True)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_fit_through_argmax_selected_values_follows_the_gradient():
    """Dense(4) then each row's entry at its argmax: one SGD step of the mean squared error
    moves the kernel by the finite-difference gradient of the same loss (the indices carry
    none)."""
    rng = np.random.default_rng(2)
    xs, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1)).astype(np.float32)
    inputs = sk.Input((3,))
    h = sk.layers.Dense(4, use_bias=False)(inputs)
    out = sk.ops.take_along_axis(h, sk.ops.expand_dims(sk.ops.argmax(h, axis=-1), -1), axis=-1)
    model = sk.Model(inputs, out)
    lr = 0.1
    model.compile(optimizer=sk.optimizers.SGD(learning_rate=lr), loss="mse")
    kernel = model.get_weights()[0].astype(np.float64)

    def loss(k):
        return np.mean((np.max(xs @ k, axis=-1, keepdims=True) - y) ** 2)
    eps = 1e-6
    grad = np.zeros_like(kernel)
    for i in np.ndindex(kernel.shape):
        e = np.zeros_like(kernel)
        e[i] = eps
        grad[i] = (loss(kernel + e) - loss(kernel - e)) / (2 * eps)
    assert np.abs(grad).max() > 1e-3
    model.fit(xs.astype(np.float32), y, batch_size=5, epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0], kernel - lr * grad, rtol=1e-4, atol=1e-5)
