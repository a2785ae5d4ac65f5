"""swiftkeras.ops beyond session 7's set: rounding and trigonometry, predicates and logical ops
(Keras's bool results), scans and sorting (cumsum, cumprod, prod, sort, argsort, top_k), pad, roll,
tril/triu, one_hot, the constant makers, ops.nn compositions (celu, glu, shrinks, squareplus...),
the window ops (conv, depthwise_conv, max_pool, average_pool) and ops.image.resize. Each is
checked eagerly against keras.ops (jax): values, shape and dtype; layers written with them are
traced into the library's op graph and train to the same weights as real Keras 3, and the traced
gradients match central differences."""

import textwrap

import numpy as np
import pytest

from conftest import (CORE, assert_equals_keras_op, assert_sgd_step_matches_central_differences,
                      assert_traced_and_trains_like_keras, exec_layers, needs, real_keras)

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

RS = np.random.RandomState(7)
A = RS.normal(size=(2, 5, 6, 3)).astype(np.float32)
V = RS.normal(size=(4, 7)).astype(np.float32)
K = RS.normal(size=(3, 3, 3, 4)).astype(np.float32)
SPECIAL = np.array([1.5, -2.5, 0.5, np.nan, np.inf, -np.inf, 0.0, 2.0], np.float32)
TIES = np.array([[3, 1, 3, 2, 1], [0, 0, 1, 0, 2]], np.float32)

EAGER = {
    # elementwise
    "floor": lambda o: o.floor(A * 3), "ceil": lambda o: o.ceil(A * 3),
    "trunc": lambda o: o.trunc(A * 3), "round": lambda o: o.round(SPECIAL),
    "round_decimals": lambda o: o.round(A, 2), "tan": lambda o: o.tan(A),
    "arcsin": lambda o: o.arcsin(A / 3), "arccos": lambda o: o.arccos(A / 3),
    "arctan": lambda o: o.arctan(A), "sinh": lambda o: o.sinh(A), "cosh": lambda o: o.cosh(A),
    "arcsinh": lambda o: o.arcsinh(A), "arccosh": lambda o: o.arccosh(1 + A * A),
    "arctanh": lambda o: o.arctanh(A / 3), "log2": lambda o: o.log2(1 + A * A),
    "log10": lambda o: o.log10(1 + A * A), "exp2": lambda o: o.exp2(A),
    "deg2rad": lambda o: o.deg2rad(A), "rad2deg": lambda o: o.rad2deg(A),
    "hypot": lambda o: o.hypot(A, 2 * A + 1), "logaddexp": lambda o: o.logaddexp(A, 50 * A),
    "floor_divide": lambda o: o.floor_divide(A, 0.3), "mod": lambda o: o.mod(A, 0.7),
    "mod_negative": lambda o: o.mod(A, -0.7), "heaviside": lambda o: o.heaviside(o.round(A), 0.5),
    # predicates
    "isnan": lambda o: o.isnan(SPECIAL), "isinf": lambda o: o.isinf(SPECIAL),
    "isfinite": lambda o: o.isfinite(SPECIAL), "logical_not": lambda o: o.logical_not(o.round(A)),
    "logical_and": lambda o: o.logical_and(A > 0, o.round(A)),
    "logical_or": lambda o: o.logical_or(A > 1, A < -1),
    "logical_xor": lambda o: o.logical_xor(A > 0, A > 0.5),
    "any": lambda o: o.any(A > 1.5, axis=1), "all": lambda o: o.all(A > -2, axis=(1, 2)),
    "any_all": lambda o: o.any(A > 10), "count_nonzero": lambda o: o.count_nonzero(o.round(A), axis=2),
    "isclose": lambda o: o.isclose(A, A + 1e-6 * (A > 0)),
    # scans, products, sorting
    "cumsum": lambda o: o.cumsum(A, axis=2), "cumsum_flat": lambda o: o.cumsum(V),
    "cumsum_int": lambda o: o.cumsum(np.arange(6)), "cumprod": lambda o: o.cumprod(V, axis=1),
    "prod": lambda o: o.prod(A, axis=(1, 3)), "prod_keepdims": lambda o: o.prod(V, axis=0, keepdims=True),
    "argmin": lambda o: o.argmin(A, axis=1), "argmax": lambda o: o.argmax(A, axis=-1),
    "sort": lambda o: o.sort(A, axis=1), "argsort": lambda o: o.argsort(A, axis=-1),
    "argsort_ties": lambda o: o.argsort(TIES), "top_k": lambda o: o.top_k(V, 3)[0],
    "top_k_indices": lambda o: o.top_k(V, 3)[1], "top_k_ties": lambda o: o.top_k(TIES, 3)[1],
    # shapes
    "pad": lambda o: o.pad(A, [(0, 0), (1, 2), (2, 0), (0, 1)]),
    "pad_value": lambda o: o.pad(V, 2, constant_values=1.5),
    "pad_reflect": lambda o: o.pad(V, [(1, 2), (3, 1)], mode="reflect"),
    "pad_symmetric": lambda o: o.pad(V, [(1, 2), (3, 1)], mode="symmetric"),
    "pad_edge": lambda o: o.pad(V, [(0, 2), (3, 1)], mode="edge"),
    "pad_wrap": lambda o: o.pad(V, [(0, 2), (3, 1)], mode="wrap"),
    "roll": lambda o: o.roll(A, 2, axis=2), "roll_flat": lambda o: o.roll(V, -3),
    "roll_axes": lambda o: o.roll(A, (1, -2), axis=(1, 2)),
    "tril": lambda o: o.tril(V, -1), "triu": lambda o: o.triu(A, 1),
    "one_hot": lambda o: o.one_hot(np.array([[0, 2, 1], [3, -1, 5]]), 4),
    "one_hot_axis0": lambda o: o.one_hot(np.array([[0, 2], [1, 3]]), 4, axis=0),
    "nn_one_hot": lambda o: o.nn.one_hot(np.array([1, 0, 2]), 3),
    "ravel": lambda o: o.ravel(A), "broadcast_to": lambda o: o.broadcast_to(V[0], (3, 7)),
    "unstack": lambda o: o.unstack(V, axis=1)[3], "outer": lambda o: o.outer(V[0], V[1]),
    "vstack": lambda o: o.vstack([V, V[0]]), "hstack": lambda o: o.hstack([V, V]),
    "average": lambda o: o.average(V, axis=1, weights=np.arange(1, 8, dtype=np.float32)),
    # constants
    "linspace": lambda o: o.linspace(-1, 3, 9), "linspace_open": lambda o: o.linspace(0, 1, 4, endpoint=False),
    "tri": lambda o: o.tri(3, 5, 1), "identity": lambda o: o.identity(4),
    "meshgrid": lambda o: o.meshgrid(np.arange(3), np.arange(4))[1],
    # nn compositions
    "hard_tanh": lambda o: o.nn.hard_tanh(2 * A), "celu": lambda o: o.nn.celu(A, 0.5),
    "glu": lambda o: o.nn.glu(V[:, :6]), "tanh_shrink": lambda o: o.nn.tanh_shrink(A),
    "soft_shrink": lambda o: o.nn.soft_shrink(A), "hard_shrink": lambda o: o.nn.hard_shrink(A, 0.7),
    "squareplus": lambda o: o.nn.squareplus(A, 2), "sparse_plus": lambda o: o.nn.sparse_plus(2 * A),
    "threshold": lambda o: o.nn.threshold(A, 0.3, -1.0),
    # windows (strides given: Keras 3.15's jax pooling fails with the default strides=None)
    "conv_same_s2": lambda o: o.conv(A, K, strides=2, padding="same"),
    "conv_dilated": lambda o: o.conv(A, K[:2, :2], dilation_rate=2),
    "conv_groups": lambda o: o.conv(np.concatenate([A, A * 2], -1), K[..., :2]),
    "conv1d": lambda o: o.conv(V[None, :, :, None].repeat(2, -1)[0], K[0, :, :2], padding="same"),
    "depthwise_conv": lambda o: o.depthwise_conv(A, K[..., :2], padding="same"),
    "max_pool": lambda o: o.max_pool(A, (2, 2), strides=(2, 2), padding="same"),
    "max_pool_strides": lambda o: o.max_pool(A, (3, 2), strides=(1, 2)),
    "average_pool": lambda o: o.average_pool(A, (2, 3), strides=(1, 1), padding="same"),
    "average_pool_valid": lambda o: o.average_pool(A, (2, 2), strides=(2, 1)),
    "conv_channels_first": lambda o: o.conv(np.moveaxis(A, -1, 1), K, padding="same",
                                            data_format="channels_first"),
    # image
    "resize_up": lambda o: o.image.resize(A, (7, 9)), "resize_down": lambda o: o.image.resize(A, (3, 4)),
    "resize_antialias": lambda o: o.image.resize(A, (3, 2), antialias=True),
    "resize_nearest": lambda o: o.image.resize(A, (8, 5), interpolation="nearest"),
    "resize_bicubic": lambda o: o.image.resize(A, (8, 5), interpolation="bicubic"),
    "resize_lanczos3": lambda o: o.image.resize(A[0], (4, 9), interpolation="lanczos3"),
    "resize_crop": lambda o: o.image.resize(A, (4, 4), crop_to_aspect_ratio=True),
    "resize_channels_first": lambda o: o.image.resize(np.moveaxis(A, -1, 1), (4, 7),
                                                      data_format="channels_first"),
}


@pytest.mark.parametrize("name", sorted(EAGER))
def test_eager_ops_equal_keras_ops(name):
    assert_equals_keras_op(EAGER[name](ops), EAGER[name](keras.ops), rtol=1e-5, atol=2e-6)


# One source for both libraries: `keras` and `ops` are whichever the caller passes.
LAYERS = textwrap.dedent('''
    class Scans(keras.layers.Layer):
        """cumsum, cumprod, sort, top_k, pad, roll, tril, one_hot and elementwise math, on a
        (N, 6) input and a (6, 6) weight, into 5 features."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(6, 6), initializer="glorot_uniform", name="w")

        def call(self, x):
            h = ops.matmul(x, ops.tril(self.w, 1))                       # (N, 6)
            c = ops.cumsum(h, axis=-1) * 0.3 + ops.cumprod(ops.tanh(h), axis=1)
            s = ops.sort(h, axis=-1)
            values, _ = ops.top_k(h, 2)
            p = ops.pad(values, [(0, 0), (1, 2)], mode="symmetric")       # (N, 5)
            r = ops.roll(c, 2, axis=1)[:, :5] + p
            hot = ops.one_hot(ops.argmax(h, axis=-1), 6)                  # (N, 6)
            m = ops.sum(hot * s, axis=-1, keepdims=True)
            e = ops.arctan(r) + ops.logaddexp(r, m) * 0.5 + ops.tan(ops.tanh(r))
            e = e + ops.floor(r) * 0.1 + ops.nn.celu(r, 0.7) + ops.nn.squareplus(r)
            gate = ops.cast(ops.logical_and(r > -1.0, ops.isfinite(r)), "float32")
            return ops.where(ops.any(ops.isnan(e), axis=-1, keepdims=True), 0.0, e * gate + r) * 0.1


    class Elementwise(keras.layers.Layer):
        """Every new elementwise op the graph runs natively or by composition, each on a
        domain where it is smooth, on (N, 4) @ (4, 4). (Not hypot: next to arcsin(t), jax's
        own gradient of jnp.hypot(h, t + 2) is off its central differences by 0.07 in Keras
        3.15.1; the library's matches them, see test_hypot_gradient_matches_central_differences.)"""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(4, 4), initializer="glorot_uniform", name="w")

        def call(self, x):
            h = ops.matmul(x, self.w) * 0.5
            t = ops.tanh(h) * 0.9
            terms = [ops.arcsin(t), ops.arccos(t), ops.arctan(h), ops.arctanh(t), ops.sinh(h),
                     ops.cosh(h), ops.arcsinh(h), ops.arccosh(1.5 + ops.square(h)), ops.tan(t),
                     ops.log2(1 + ops.square(h)), ops.log10(2 + h), ops.exp2(t),
                     ops.deg2rad(h), ops.rad2deg(t) * 0.01, ops.logaddexp(h, t)]
            return ops.concatenate([ops.mean(ops.stack(terms, axis=-1), axis=-1), h], axis=-1)


    class Rounding(keras.layers.Layer):
        """Piecewise-constant ops (zero gradient): traced forward values only."""

        def call(self, x):
            y = x * 3
            return ops.concatenate([ops.floor(y), ops.ceil(y), ops.trunc(y), ops.round(y),
                                    ops.round(x, 1), ops.mod(y, 0.7), ops.floor_divide(y, 0.7),
                                    ops.sign(y), ops.cast(ops.isnan(ops.log(x)), "float32")], axis=-1)


    class Windows(keras.layers.Layer):
        """conv, depthwise_conv, max_pool, average_pool and image.resize on (N, 6, 6, 2)."""

        def build(self, input_shape):
            self.k = self.add_weight(shape=(3, 3, 2, 3), initializer="glorot_uniform", name="k")
            self.d = self.add_weight(shape=(2, 2, 3, 1), initializer="glorot_uniform", name="d")

        def call(self, x):
            y = ops.nn.relu(ops.conv(x, self.k, padding="same"))          # (N, 6, 6, 3)
            y = ops.depthwise_conv(y, self.d, strides=1, padding="valid")  # (N, 5, 5, 3)
            a = ops.max_pool(y, (2, 2), strides=(1, 1), padding="same")    # (N, 5, 5, 3)
            b = ops.average_pool(y, (3, 3), strides=(2, 2), padding="same")  # (N, 3, 3, 3)
            b = ops.image.resize(b, (5, 5))
            return ops.mean(a + b, axis=(1, 2))                            # (N, 3)
''')


def _layers(lib):
    return exec_layers(LAYERS, lib)


def _scans_model(lib):
    return lib.Sequential([lib.Input((6,)), _layers(lib)["Scans"](), lib.layers.Dense(2)])


def _elementwise_model(lib):
    return lib.Sequential([lib.Input((4,)), _layers(lib)["Elementwise"](), lib.layers.Dense(2)])


def _windows_model(lib):
    return lib.Sequential([lib.Input((6, 6, 2)), _layers(lib)["Windows"](), lib.layers.Dense(2)])


def _data(kind):
    rng = np.random.default_rng(5)
    if kind == "windows":
        x = rng.normal(size=(16, 6, 6, 2)).astype(np.float32)
        return x, np.stack([x[:, :3].mean((1, 2, 3)), x[..., 1].max((1, 2))], 1).astype(np.float32)
    x = rng.normal(size=(24, 4 if kind == "elementwise" else 6)).astype(np.float32)
    return x, np.stack([x[:, 0] * x[:, 1], np.cos(x[:, 2])], 1).astype(np.float32)


def _trained(lib, build, kind):
    x, y = _data(kind)
    model = build(lib)
    rng = np.random.default_rng(9)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    return model, history.history["loss"], x


BUILDS = {"scans": _scans_model, "elementwise": _elementwise_model, "windows": _windows_model}


@pytest.mark.parametrize("kind", sorted(BUILDS))
def test_layers_written_with_new_ops_train_to_keras_weights(kind):
    ours, ours_loss, x = _trained(sk, BUILDS[kind], kind)
    ref, ref_loss, _ = _trained(keras, BUILDS[kind], kind)
    assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss)


@pytest.mark.parametrize("kind", sorted(BUILDS))
def test_traced_gradients_match_central_differences(kind):
    x, y = _data(kind)
    assert_sgd_step_matches_central_differences(BUILDS[kind](sk), x, y,
                                                range(2 if kind == "windows" else 1), samples=5)


def test_traced_rounding_equals_keras():
    x = np.random.default_rng(3).normal(size=(32, 5)).astype(np.float32)
    x[0, :2] = [0.5 / 3, 2.5 / 3]   # halves: to even
    got = [lib.Sequential([lib.Input((5,)), _layers(lib)["Rounding"]()]).predict(x, verbose=0)
           for lib in (sk, keras)]
    np.testing.assert_allclose(got[0], np.asarray(got[1]), rtol=1e-6, atol=1e-6)


def test_hypot_gradient_matches_central_differences():
    class Hypot(sk.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(4, 4), initializer="glorot_uniform", name="w")

        def call(self, x):
            h = ops.matmul(x, self.w) * 0.5
            t = ops.tanh(h) * 0.9
            return ops.arcsin(t) + ops.hypot(h, t + 2)

    x, y = _data("elementwise")
    model = sk.Sequential([sk.Input((4,)), Hypot(), sk.layers.Dense(2)])
    rng = np.random.default_rng(9)
    start = [rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.compile(optimizer=sk.optimizers.SGD(learning_rate=1.0), loss="mse")
    model.set_weights(start)
    model.train_on_batch(x, y)
    analytic = (start[0] - model.get_weights()[0]).reshape(-1)
    for j in range(16):
        losses = []
        for sign in (1, -1):
            trial = [w.copy() for w in start]
            trial[0].reshape(-1)[j] += sign * 1e-2
            model.set_weights(trial)
            losses.append(float(model.evaluate(x, y, batch_size=len(x), verbose=0)))
        numeric = (losses[0] - losses[1]) / 2e-2
        assert abs(analytic[j] - numeric) <= 1e-3 + 1e-2 * abs(numeric), (j, analytic[j], numeric)


def test_traced_refusals_are_clear():
    """Modes the graph cannot express are refused at build, naming the op (cumsum, cumprod,
    sort, roll, quantiles and the like run along the batch: test_ops_unknown_axes.py,
    test_ops_unknown_sizes_traced.py)."""
    cases = {
        "pad_mode": (lambda x: ops.pad(x, 1, mode="mean"), r"ops.pad\(mode='mean'\)"),
    }
    for name, (fn, message) in cases.items():
        class Refused(sk.layers.Layer):
            def call(self, x, fn=fn):
                return fn(x)

        model = sk.Sequential([sk.Input((4,)), Refused(), sk.layers.Dense(1)])
        with pytest.raises(NotImplementedError, match=message):
            model.compile(optimizer="sgd", loss="mse")
            model.fit(np.ones((4, 4), np.float32), np.ones((4, 1), np.float32), verbose=0)
