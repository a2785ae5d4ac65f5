"""`keras.ops` on symbolic tensors with unknown sizes (None: the batch, or any axis) give real
Keras's shapes and dtypes (its `compute_output_spec`, run live: `keras.ops.X(keras.KerasTensor(
shape))`), also where an op moves the batch off the first axis (`ops.transpose` of `(None, 3)` is
`(3, None)`) or combines it with another (`ops.matmul(p, ops.transpose(q))` is `(None, None)`);
and the functional models made of them build, predict Keras's numbers from the same inputs, and
train where differentiable."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import central_difference_gradient, real_keras

N = None
# name: (the op on (ops, *inputs), the inputs' shapes, None where unknown)
CASES = {
    "transpose": (lambda o, x: o.transpose(x), [(N, 3)]),
    "transpose_axes": (lambda o, x: o.transpose(x, (2, 0, 1)), [(N, 3, 4)]),
    "transpose_known_batch": (lambda o, x: o.transpose(x), [(2, N, 4)]),
    "swapaxes_batch": (lambda o, x: o.swapaxes(x, 0, 1), [(N, 3, 4)]),
    "swapaxes_features": (lambda o, x: o.swapaxes(x, 1, 2), [(N, 3, 4)]),
    "moveaxis": (lambda o, x: o.moveaxis(x, 0, -1), [(N, 3, 4)]),
    "reshape_flat": (lambda o, x: o.reshape(x, (-1,)), [(N, 3)]),
    "reshape_batch_last": (lambda o, x: o.reshape(x, (3, -1)), [(N, 3)]),
    "reshape_pairs": (lambda o, x: o.reshape(x, (-1, 2)), [(N, 4)]),
    "ravel": (lambda o, x: o.ravel(x), [(N, 3)]),
    "expand_dims_first": (lambda o, x: o.expand_dims(x, 0), [(N, 3)]),
    "expand_dims": (lambda o, x: o.expand_dims(x, 1), [(N, 3)]),
    "squeeze": (lambda o, x: o.squeeze(x, 1), [(N, 1, 3)]),
    "squeeze_first": (lambda o, x: o.squeeze(x, 0), [(1, N, 3)]),
    "matmul_transposed": (lambda o, x, y: o.matmul(x, o.transpose(y)), [(N, 3), (N, 3)]),
    "matmul_gram": (lambda o, x: o.matmul(o.transpose(x), x), [(N, 3)]),
    "matmul_outer_batch": (lambda o, x: o.matmul(x, o.transpose(x)), [(N, 3)]),
    "dot_over_batch": (lambda o, x: o.dot(o.transpose(x), x), [(N, 3)]),
    "einsum_pairs": (lambda o, x, y: o.einsum("ij,kj->ik", x, y), [(N, 3), (N, 3)]),
    "einsum_reversed": (lambda o, x: o.einsum("bij->jib", x), [(N, 3, 4)]),
    "tensordot_over_batch": (lambda o, x, y: o.tensordot(x, y, axes=[[0], [0]]), [(N, 3), (N, 4)]),
    "concatenate_batch": (lambda o, x, y: o.concatenate([x, y], axis=0), [(N, 3), (N, 3)]),
    "concatenate": (lambda o, x, y: o.concatenate([x, y], axis=1), [(N, 3), (N, 2)]),
    "stack_first": (lambda o, x, y: o.stack([x, y], axis=0), [(N, 3), (N, 3)]),
    "stack": (lambda o, x, y: o.stack([x, y], axis=1), [(N, 3), (N, 3)]),
    "stack_last": (lambda o, x, y: o.stack([x, y], axis=-1), [(N, 3), (N, 3)]),
    "vstack": (lambda o, x, y: o.vstack([x, y]), [(N, 3), (N, 3)]),
    "hstack": (lambda o, x, y: o.hstack([x, y]), [(N, 3), (N, 2)]),
    "repeat_batch": (lambda o, x: o.repeat(x, 2, axis=0), [(N, 3)]),
    "repeat": (lambda o, x: o.repeat(x, 2, axis=1), [(N, 3)]),
    "tile_batch": (lambda o, x: o.tile(x, (2, 1)), [(N, 3)]),
    "tile": (lambda o, x: o.tile(x, (1, 2)), [(N, 3)]),
    "broadcast_to": (lambda o, x: o.broadcast_to(o.transpose(x), (2, 3, 4)), [(4, 3)]),
    "outer": (lambda o, x, y: o.outer(x, y), [(N, 3), (N, 2)]),
    "outer_vectors": (lambda o, x: o.outer(x, x), [(N,)]),
    "sum_over_batch": (lambda o, x: o.sum(x, axis=0), [(N, 3)]),
    "max_over_batch": (lambda o, x: o.max(x, axis=0, keepdims=True), [(N, 3)]),
    "var_over_batch": (lambda o, x: o.var(x, axis=0), [(N, 3)]),
    "flip_batch": (lambda o, x: o.flip(x, axis=0), [(N, 3)]),
    "take_rows": (lambda o, x: o.take(x, [0, 1], axis=0), [(N, 3)]),
    "item_of_transposed": (lambda o, x: o.transpose(x)[0], [(N, 3)]),
    "add_to_transposed": (lambda o, x: o.transpose(x) + 1.0, [(N, 3)]),
    "softmax_over_batch": (lambda o, x: o.softmax(x, axis=0), [(N, 3)]),
    "greater_transposed": (lambda o, x: o.greater(o.transpose(x), 0.0), [(N, 3)]),
}


def _symbolic(ops, inputs, case):
    return CASES[case][0](ops, *inputs)


@pytest.mark.parametrize("case", sorted(CASES))
def test_symbolic_shape_and_dtype_are_keras(case):
    keras = real_keras()
    shapes = CASES[case][1]
    ref = _symbolic(keras.ops, [keras.KerasTensor(s) for s in shapes], case)
    got = _symbolic(sk.ops, [sk.Input(batch_shape=s) for s in shapes], case)
    assert (got.shape, got.dtype) == (tuple(ref.shape), ref.dtype)


def _inputs_of(shapes, batch, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=[batch if d is None else d for d in s]).astype(np.float32) for s in shapes]


# The cases whose batch is free, as models: each predicts Keras's numbers for the same inputs.
MODELS = sorted(c for c, (_, shapes) in CASES.items() if all(s[0] is None for s in shapes))


@pytest.mark.parametrize("case", MODELS)
def test_models_of_them_predict_as_keras(case):
    keras = real_keras()
    shapes = CASES[case][1]
    xs = _inputs_of(shapes, 4, seed=len(case))
    ins = [keras.Input(batch_shape=s) for s in shapes]
    ref = keras.Model(ins, _symbolic(keras.ops, ins, case)).predict(xs, verbose=0)
    ours = [sk.Input(batch_shape=s) for s in shapes]
    model = sk.Model(ours, _symbolic(sk.ops, ours, case))
    got = model.predict(xs, verbose=0)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, np.asarray(ref, np.float32), rtol=1e-5, atol=1e-6)


def test_a_layer_between_ops_that_move_the_batch_trains_by_its_gradient():
    """`swapaxes(Dense(2)(swapaxes(x, 0, 1)), 0, 1)` (the Dense on `(3, None, 4)`) with
    `matmul(x, transpose(x))` summed beside it: one SGD step of the mean squared error moves the
    kernel and bias by the loss's finite-difference gradient."""
    x = sk.Input((3, 4))
    dense = sk.layers.Dense(2, kernel_initializer="glorot_uniform")
    moved = sk.ops.swapaxes(dense(sk.ops.swapaxes(x, 0, 1)), 0, 1)
    flat = sk.ops.reshape(x, (-1, 12))
    pairs = sk.ops.sum(sk.ops.matmul(flat, sk.ops.transpose(flat)), axis=1)
    out = moved + sk.ops.reshape(pairs, (-1, 1, 1)) * 0.01
    assert moved.shape == (None, 3, 2) and out.shape == (None, 3, 2)
    model = sk.Model(x, out)
    xs = _inputs_of([(N, 3, 4)], 5, seed=2)[0]
    y = _inputs_of([(N, 3, 2)], 5, seed=3)[0]
    lr = 0.1
    model.compile(optimizer=sk.optimizers.SGD(learning_rate=lr), loss="mse")
    kernel, bias = (w.astype(np.float64) for w in model.get_weights())
    f = xs.reshape(5, 12).astype(np.float64)
    extra = ((f @ f.T).sum(axis=1) * 0.01).reshape(5, 1, 1)

    def loss(k, b):
        return np.mean((xs.astype(np.float64) @ k + b + extra - y) ** 2)
    gk = central_difference_gradient(lambda k: loss(k, bias), kernel, eps=1e-4)
    gb = central_difference_gradient(lambda b: loss(kernel, b), bias, eps=1e-4)
    np.testing.assert_allclose(model.predict(xs, verbose=0), xs @ kernel + bias + extra, rtol=1e-4, atol=1e-4)
    model.fit(xs, y, batch_size=5, epochs=1, shuffle=False, verbose=0)
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - lr * gk, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(new_bias, bias - lr * gb, rtol=1e-4, atol=1e-5)
