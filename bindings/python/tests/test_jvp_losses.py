"""Issue 16: `ops.jvp` / `ops.linalg.jvp` from the library's own autodiff (a function traced
into a standalone op graph, keras_graph_jvp) against real Keras 3's `ops.jvp` on JAX and central
differences; `ops.custom_gradient` in a traced layer (its gradient function, written with ops,
is the backward of a graph node: keras_layer_builder_custom_gradient) against real Keras's fit
and central differences; and Keras 3's `model.losses` / `layer.losses` (the last call's activity penalties
and add_loss values, then the weight penalties) against real Keras on the same weights."""

import numpy as np
import pytest

from conftest import CORE, assert_sgd_step_matches_central_differences, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE)

RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 4)).astype(np.float32)
B = RNG.normal(size=(4, 2)).astype(np.float32)
TA = RNG.normal(size=(3, 4)).astype(np.float32)
TB = RNG.normal(size=(4, 2)).astype(np.float32)


def _mlp(o):
    def f(x, w):
        return o.tanh(o.matmul(x, w)) * 2.0 + o.mean(o.square(x), axis=-1, keepdims=True)
    return f


def _pytree(o):
    def f(params, x):
        h = o.relu(o.matmul(x, params["w"]) + params["b"])
        return {"out": o.sum(o.sigmoid(h), axis=0), "scale": o.exp(params["b"])}, o.max(h)
    return f


def _leaves(tree):
    if isinstance(tree, dict):
        return [v for k in sorted(tree) for v in _leaves(tree[k])]
    if isinstance(tree, (list, tuple)):
        return [v for t in tree for v in _leaves(t)]
    return [tree]


def _shape_of(tree):
    if isinstance(tree, dict):
        return ("dict", tuple((k, _shape_of(tree[k])) for k in sorted(tree)))
    if isinstance(tree, (list, tuple)):
        return (type(tree).__name__, tuple(_shape_of(t) for t in tree))
    return "leaf"


def _assert_tree_close(ours, ref, tol=1e-5):
    assert _shape_of(ours) == _shape_of(ref)
    lo, lr = _leaves(ours), _leaves(ref)
    assert len(lo) == len(lr)
    for a, b in zip(lo, lr):
        b = np.asarray(b)
        assert np.asarray(a).shape == b.shape
        assert np.asarray(a).dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_jvp_is_exported_where_keras_exports_it():
    assert sk.ops.jvp is sk.ops.linalg.jvp
    assert "jvp" in dir(keras.ops) and "jvp" in dir(keras.ops.linalg)
    missing = {n for n in dir(keras.ops) if not n.startswith("_")} - set(dir(sk.ops))
    assert missing == set()


def test_jvp_of_sin_as_keras_docstring():
    p, t = ops.jvp(ops.sin, (0.1,), (0.2,))
    rp, rt = keras.ops.jvp(keras.ops.sin, (keras.ops.convert_to_tensor(0.1),),
                           (keras.ops.convert_to_tensor(0.2),))
    np.testing.assert_allclose([p, t], [float(rp), float(rt)], rtol=1e-6)
    assert np.asarray(t).dtype == np.float32 and np.ndim(t) == 0


def test_jvp_two_arguments_against_keras_and_central_differences():
    p, t = ops.jvp(_mlp(ops), (A, B), (TA, TB))
    rp, rt = keras.ops.jvp(_mlp(keras.ops), (A, B), (TA, TB))
    _assert_tree_close((p, t), (np.asarray(rp), np.asarray(rt)))
    # Central differences in float64 on the same function written in numpy.
    def f64(x, w):
        return np.tanh(x @ w) * 2.0 + np.mean(x * x, axis=-1, keepdims=True)
    h = 1e-4
    a, b, ta, tb = (v.astype(np.float64) for v in (A, B, TA, TB))
    fd = (f64(a + h * ta, b + h * tb) - f64(a - h * ta, b - h * tb)) / (2 * h)
    np.testing.assert_allclose(t, fd, rtol=1e-4, atol=1e-5)


def test_jvp_pytrees_and_has_aux_as_keras():
    params = {"w": B, "b": RNG.normal(size=(2,)).astype(np.float32)}
    tangents = {"w": TB, "b": RNG.normal(size=(2,)).astype(np.float32)}
    x, tx = A, np.zeros_like(A)
    ours = ops.jvp(_pytree(ops), (params, x), (tangents, tx), has_aux=True)
    ref = keras.ops.jvp(_pytree(keras.ops), (params, x), (tangents, tx), has_aux=True)
    assert len(ours) == 3
    _assert_tree_close(ours[0], ref[0])
    _assert_tree_close(ours[1], ref[1])
    np.testing.assert_allclose(ours[2], np.asarray(ref[2]), rtol=1e-6)
    # A list of primals and a tuple-valued function keep their structure.
    f = lambda xs: (ops.sum(xs[0] * xs[1]), [xs[0] - xs[1]])  # noqa: E731
    g = lambda xs: (keras.ops.sum(xs[0] * xs[1]), [xs[0] - xs[1]])  # noqa: E731
    ours = ops.jvp(f, ([A[0], A[1]],), ([TA[0], TA[1]],))
    ref = keras.ops.jvp(g, ([A[0], A[1]],), ([TA[0], TA[1]],))
    assert isinstance(ours[1], tuple) and isinstance(ours[1][1], list)
    _assert_tree_close(ours, ref)


def test_jvp_of_a_constant_output_and_a_zero_tangent():
    p, t = ops.jvp(lambda x: ops.ones((2,)) * 3.0, (A,), (TA,))
    np.testing.assert_array_equal(p, [3.0, 3.0])
    np.testing.assert_array_equal(t, [0.0, 0.0])
    p, t = ops.jvp(lambda x: ops.sum(ops.exp(x)), (A,), (np.zeros_like(A),))
    assert t == 0.0
    np.testing.assert_allclose(p, np.exp(A.astype(np.float64)).sum(), rtol=1e-6)


def test_jvp_refusals_name_why():
    with pytest.raises(TypeError, match="needs the values of a symbolic tensor"):
        ops.jvp(lambda x: np.sin(np.asarray(x)), (A,), (TA,))
    with pytest.raises(TypeError, match="traceable"):
        ops.jvp(lambda x: x if float(ops.sum(x)) > 0 else -x, (A,), (TA,))
    with pytest.raises(TypeError, match="dtype int"):
        ops.jvp(lambda x: x * 2, (np.arange(3),), (np.ones(3),))
    with pytest.raises(TypeError, match="same structure"):
        ops.jvp(lambda x: x, ((A, A),), (TA,))
    with pytest.raises(TypeError, match="tuple or list"):
        ops.jvp(lambda x: x, A, TA)
    with pytest.raises(ValueError, match="shape"):
        ops.jvp(lambda x: x, (A,), (TB,))
    with pytest.raises(NotImplementedError, match="not traceable"):
        ops.jvp(lambda x: ops.unique(x), (A,), (TA,))


# ---- model.losses / layer.losses ---------------------------------------------------------

ADD_LOSS = '''
class HalfSum(keras.layers.Layer):
    """Doubles its input and adds half its sum to the losses (Keras add_loss)."""

    def call(self, x):
        self.add_loss(ops.sum(x) * 0.5)
        return x * 2.0
'''


def _regularized(lib):
    scope = {"keras": lib, "ops": lib.ops}
    exec(ADD_LOSS, scope)  # noqa: S102 — the test's own source
    inp = lib.Input((3,))
    d = lib.layers.Dense(2, kernel_regularizer=lib.regularizers.L2(0.1),
                         bias_regularizer=lib.regularizers.L1(0.2),
                         activity_regularizer=lib.regularizers.L1(0.01), name="d")
    h = scope["HalfSum"](name="half")(d(inp))
    out = lib.layers.Dense(1, kernel_regularizer="l1", name="o")(h)
    model = lib.Model(inp, out)
    init = np.random.default_rng(5)
    model.set_weights([init.normal(scale=0.7, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def _floats(values):
    return [float(v) for v in values]


def test_model_and_layer_losses_as_keras():
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10 - 0.4
    y = np.ones((4, 1), np.float32)
    seen = {}
    for name, lib in (("ours", sk), ("keras", keras)):
        m = _regularized(lib)
        log = {"before": _floats(m.losses)}
        out = m(x)
        log["out"] = np.asarray(out)
        log["after_call"] = _floats(m.losses)
        log["layers"] = [_floats(m.get_layer(n).losses) for n in ("d", "half", "o")]
        m(x, training=True)
        log["after_training_call"] = _floats(m.losses)
        m.compile(optimizer="sgd", loss="mse")
        m.fit(x, y, epochs=1, verbose=0)
        log["after_fit"] = _floats(m.losses)
        m(x)
        m.predict(x, verbose=0)
        log["after_predict"] = _floats(m.losses)
        seen[name] = log
    ours, ref = seen["ours"], seen["keras"]
    assert len(ref["after_call"]) == 5 and len(ref["before"]) == 3   # the test can fail
    np.testing.assert_allclose(ours["out"], ref["out"], rtol=1e-5, atol=1e-6)
    for key in ("before", "after_call", "after_training_call", "after_fit", "after_predict"):
        assert len(ours[key]) == len(ref[key]), key
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours["layers"], ref["layers"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert all(isinstance(v, np.float32) for v in _regularized(sk).losses)


def test_a_layer_called_alone_after_the_model_updates_the_models_losses():
    x = np.arange(12, dtype=np.float32).reshape(4, 3) / 10 - 0.4
    other = np.array([[1.0, -2.0, 0.5]], np.float32)
    seen = {}
    for name, lib in (("ours", sk), ("keras", keras)):
        m = _regularized(lib)
        m(x)
        log = {"after_call": _floats(m.losses)}
        m.get_layer("d")(other)              # d's activity penalty is now other's
        log["after_d_alone"] = _floats(m.losses)
        log["d"] = _floats(m.get_layer("d").losses)
        m.get_layer("o")(np.ones((2, 2), np.float32))   # o adds no call loss: the list stays
        log["after_o_alone"] = _floats(m.losses)
        m.predict(x, verbose=0)              # a step clears every layer's call losses
        log["after_predict"] = _floats(m.losses)
        m.get_layer("d")(other)
        log["d_alone_after_predict"] = _floats(m.losses)
        seen[name] = log
    ours, ref = seen["ours"], seen["keras"]
    assert ref["after_d_alone"] != ref["after_call"]   # the test can fail
    for key in ref:
        assert len(ours[key]) == len(ref[key]), key
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_a_layer_called_alone_lists_its_activity_penalty():
    x = np.array([[1.0, -2.0], [0.5, 0.25]], np.float32)
    values = []
    for lib in (sk, keras):
        d = lib.layers.Dense(3, kernel_initializer="ones", activity_regularizer="l2",
                             kernel_regularizer=lib.regularizers.L1(0.5))
        assert list(d.losses) == []
        d(x)
        values.append(_floats(d.losses))
    assert len(values[1]) == 2
    np.testing.assert_allclose(values[0], values[1], rtol=1e-6)


# ---- ops.custom_gradient traced ----------------------------------------------------------

CUSTOM = '''
@ops.custom_gradient
def scaled_tanh(z):
    t = ops.tanh(z)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return upstream * (1.0 - ops.square(t)) * SCALE

    return t, grad


class CustomDense(keras.layers.Layer):
    """A dense whose tanh has a custom gradient: SCALE times the true one."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(3,), initializer="zeros", name="b")

    def call(self, x):
        return scaled_tanh(ops.matmul(x, self.w) + self.b)
'''


def _custom_model(lib, scale):
    scope = {"keras": lib, "ops": lib.ops, "SCALE": scale}
    exec(CUSTOM, scope)  # noqa: S102 — the test's own source
    return lib.Sequential([lib.Input((4,)), scope["CustomDense"](), lib.layers.Dense(1)])


def _fit(lib, scale, x, y, make=None, seed=3):
    model = (make or _custom_model)(lib, scale)
    init = np.random.default_rng(seed)
    model.set_weights([init.normal(scale=0.5, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    return history.history["loss"], [np.asarray(w) for w in model.get_weights()]


def test_traced_custom_gradient_trains_to_keras_weights():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = (np.sin(x[:, :1]) - x[:, 1:2] * 0.5).astype(np.float32)
    ours_loss, ours_w = _fit(sk, 0.25, x, y)
    ref_loss, ref_w = _fit(keras, 0.25, x, y)
    np.testing.assert_allclose(ours_loss, ref_loss, rtol=1e-5, atol=1e-6)
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # The custom gradient is the one used: with the true one the weights differ.
    _, true_w = _fit(sk, 1.0, x, y)
    assert not np.allclose(true_w[0], ours_w[0], atol=1e-3)


def test_traced_custom_gradient_equal_to_the_true_one_matches_central_differences():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 4)).astype(np.float32)
    y = rng.normal(size=(6, 1)).astype(np.float32)
    assert_sgd_step_matches_central_differences(_custom_model(sk, 1.0), x, y, [0, 1], samples=3)


def test_custom_gradient_inside_jvp_uses_the_gradient_function():
    # ops.jvp differentiates by reverse mode, so a custom gradient shapes its tangents: with
    # SCALE 1 they are tanh's true ones (as jax's jvp gives), with 0.25 a quarter of them.
    z, tz = A[0], TA[0]
    for scale in (1.0, 0.25):
        scope = {"keras": sk, "ops": ops, "SCALE": scale}
        exec(CUSTOM, scope)  # noqa: S102 — the test's own source
        p, t = ops.jvp(scope["scaled_tanh"], (z,), (tz,))
        np.testing.assert_allclose(p, np.tanh(z), rtol=1e-6)
        np.testing.assert_allclose(t, scale * (1 - np.tanh(z) ** 2) * tz, rtol=1e-5, atol=1e-7)


# ---- custom_gradient of several outputs, tensors as keyword arguments --------------------

TWO_OUTPUTS = '''
@ops.custom_gradient
def tanh_and_sine(z, w):
    h = ops.matmul(z, w)
    t, s = ops.tanh(h), ops.sin(h)

    def grad(upstreams):            # jax's form: the outputs' upstream gradients as one tuple
        dt, ds = upstreams
        dh = (dt * (1.0 - ops.square(t)) + ds * ops.cos(h)) * SCALE
        return ops.matmul(dh, ops.transpose(w)), ops.matmul(ops.transpose(z), dh)

    def grad_each(dt, ds):          # TensorFlow's form: one argument per output
        return grad((dt, ds))

    return (t, s), (grad_each if EACH else grad)


class TwoOut(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="glorot_uniform", name="w")

    def call(self, x):
        # A tensor as a keyword argument where the library runs it: Keras's JAX backend refuses
        # that (jax.custom_gradient's wrapper takes *args, **kwargs, so custom_vjp cannot bind
        # them to positions), so Keras runs the same call positionally.
        t, s = tanh_and_sine(x, w=self.w) if KEYWORD else tanh_and_sine(x, self.w)
        return ops.concatenate([t, s * 0.5], axis=-1)
'''


def _two_output_model(lib, scale, each=False):
    scope = {"keras": lib, "ops": lib.ops, "SCALE": scale, "EACH": each, "KEYWORD": lib is sk}
    exec(TWO_OUTPUTS, scope)  # noqa: S102 — the test's own source
    return lib.Sequential([lib.Input((4,)), scope["TwoOut"](), lib.layers.Dense(1)])


def _fit_two(lib, scale, x, y, each=False):
    return _fit(lib, scale, x, y, lambda lib, scale: _two_output_model(lib, scale, each), seed=8)


def test_custom_gradient_of_two_outputs_with_keyword_tensors_trains_as_keras():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    y = (np.cos(x[:, :1]) + x[:, 2:3] * 0.3).astype(np.float32)
    ours_loss, ours_w = _fit_two(sk, 0.5, x, y)
    ref_loss, ref_w = _fit_two(keras, 0.5, x, y)
    np.testing.assert_allclose(ours_loss, ref_loss, rtol=1e-5, atol=1e-6)
    for a, b in zip(ours_w, ref_w):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    _, each_w = _fit_two(sk, 0.5, x, y, each=True)   # TensorFlow's form, the same steps
    for a, b in zip(each_w, ours_w):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    _, true_w = _fit_two(sk, 1.0, x, y)               # the custom gradient is the one used
    assert not np.allclose(true_w[0], ours_w[0], atol=1e-3)


def test_custom_gradient_of_two_outputs_equal_to_the_true_one_matches_central_differences():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 4)).astype(np.float32)
    y = rng.normal(size=(6, 1)).astype(np.float32)
    assert_sgd_step_matches_central_differences(_two_output_model(sk, 1.0), x, y, [0, 1], samples=3)
