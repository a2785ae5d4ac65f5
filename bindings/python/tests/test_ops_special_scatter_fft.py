"""swiftkeras.ops session 9, part A: special functions (erf, erfc, erfinv, i0), bitwise and
integer ops, segment reductions, scatters, FFTs, and the rest of Keras 3's numpy-like names
(`keras.ops.numpy` too). Each is checked eagerly against keras.ops (jax): values, shape and dtype;
layers written with the traceable ones train to the same weights as real Keras 3, their traced
gradients match central differences, and the ops a traced layer cannot run are refused naming
the op."""

import textwrap

import numpy as np
import pytest

from conftest import (CORE, assert_equals_keras_op, assert_sgd_step_matches_central_differences,
                      assert_traced_and_trains_like_keras, exec_layers, needs, real_keras)

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

RS = np.random.RandomState(11)
A = RS.normal(size=(3, 4, 6)).astype(np.float32)
M = RS.normal(size=(4, 4)).astype(np.float32)
I = np.array([[5, 3, -7], [12, 7, 0]], np.int32)
J = np.array([3, 2, 6], np.int32)
D = RS.normal(size=(6, 3)).astype(np.float32)
IDS = np.array([0, 0, 2, 1, 1, 0])
SIG = RS.normal(size=(2, 64)).astype(np.float32)
CPX = (A, A[::-1].copy())

EAGER = {
    # special functions
    "erf": lambda o: o.erf(A), "erfc": lambda o: o.erfc(A), "erfinv": lambda o: o.erfinv(np.tanh(A)),
    "erfinv_edges": lambda o: o.erfinv(np.array([1, -1, 0.999999], np.float32)),
    "i0": lambda o: o.i0(A * 3), "i0_int": lambda o: o.i0(J), "angle": lambda o: o.angle(A),
    "angle_complex": lambda o: o.angle(A + 1j * A[::-1]), "nextafter": lambda o: o.nextafter(A, 0.0),
    # bitwise and integer ops
    "bitwise_and": lambda o: o.bitwise_and(I, J), "bitwise_or": lambda o: o.bitwise_or(I, J),
    "bitwise_xor": lambda o: o.bitwise_xor(I, 6), "bitwise_not": lambda o: o.bitwise_not(I),
    "bitwise_invert_bool": lambda o: o.bitwise_invert(I > 4),
    "bitwise_and_bool": lambda o: o.bitwise_and(I > 0, I < 6),
    "left_shift": lambda o: o.left_shift(I, J), "right_shift": lambda o: o.right_shift(I, 1),
    "bitwise_left_shift_u8": lambda o: o.bitwise_left_shift(J.astype(np.uint8), 2),
    "bitwise_right_shift": lambda o: o.bitwise_right_shift(I, J),
    "bitwise_and_int64": lambda o: o.bitwise_and(I.astype(np.int64), 3),
    "bitwise_or_int8_int16": lambda o: o.bitwise_or(I.astype(np.int8), J.astype(np.int16)),
    "gcd": lambda o: o.gcd(I, J), "lcm": lambda o: o.lcm(I, J),
    # segments and scatters
    "segment_sum": lambda o: o.segment_sum(D, IDS, num_segments=4),
    "segment_sum_int": lambda o: o.segment_sum(I.T.copy(), np.array([1, 0, 1]), num_segments=2),
    "segment_sum_dropped": lambda o: o.segment_sum(D, np.array([0, 0, 5, -1, 1, 0]), num_segments=3),
    "segment_max": lambda o: o.segment_max(D, IDS, num_segments=4),
    "segment_max_int": lambda o: o.segment_max(I.T.copy(), np.array([1, 1, 1]), num_segments=2),
    "segment_min": lambda o: o.segment_min(D, IDS, num_segments=4),
    "segment_prod": lambda o: o.segment_prod(D, IDS, num_segments=4),
    "scatter": lambda o: o.scatter(np.array([[0, 1], [0, 1], [2, 0]]), np.array([1., 2., 3.], np.float32), (3, 2)),
    "scatter_rows": lambda o: o.scatter(np.array([[2], [0]]), D[:2], (4, 3)),
    "scatter_int": lambda o: o.scatter(np.array([[1], [3]]), np.array([4, 5], np.int32), (5,)),
    "scatter_update": lambda o: o.scatter_update(M, np.array([[0, 1], [2, 0], [0, 1]]), np.array([9., 8., 7.], np.float32)),
    "scatter_update_point": lambda o: o.scatter_update(M, np.array([2, 3]), np.float32(4.0)),
    "scatter_point": lambda o: o.scatter(np.array([1, 0]), np.float32(2.0), (2, 2)),
    "scatter_update_rows": lambda o: o.scatter_update(M, np.array([[3], [1]]), np.ones((2, 4), np.float32)),
    "scatter_update_add": lambda o: o.scatter_update(M, np.array([[0, 1], [0, 1]]), np.array([1., 2.], np.float32), reduction="add"),
    "scatter_update_max": lambda o: o.scatter_update(M, np.array([[0, 1], [2, 2]]), np.array([5., -5.], np.float32), reduction="max"),
    "scatter_update_mul": lambda o: o.scatter_update(M, np.array([[0, 1], [0, 1]]), np.array([2., 3.], np.float32), reduction="mul"),
    "slice_update": lambda o: o.slice_update(A, (1, 2, 3), np.ones((2, 2, 2), np.float32)),
    "slice_update_clamped": lambda o: o.slice_update(M, (3, 1), np.full((2, 2), 5.0, np.float32)),
    # Fourier transforms
    "fft_re": lambda o: o.fft(CPX)[0], "fft_im": lambda o: o.fft(CPX)[1],
    "fft2_re": lambda o: o.fft2(CPX)[0], "fft2_im": lambda o: o.fft2(CPX)[1],
    "ifft2_re": lambda o: o.ifft2(CPX)[0], "ifft2_im": lambda o: o.ifft2(CPX)[1],
    "rfft_re": lambda o: o.rfft(A)[0], "rfft_im": lambda o: o.rfft(A)[1],
    "rfft_length": lambda o: o.rfft(A, fft_length=9)[1], "rfft_short": lambda o: o.rfft(A, fft_length=4)[0],
    "irfft": lambda o: o.irfft(CPX), "irfft_odd": lambda o: o.irfft(CPX, fft_length=9),
    "stft_re": lambda o: o.stft(SIG, 16, 8, 32)[0], "stft_im": lambda o: o.stft(SIG, 16, 8, 32)[1],
    "stft_hamming": lambda o: o.stft(SIG, 20, 5, 32, window="hamming", center=False)[1],
    "stft_none": lambda o: o.stft(SIG, 16, 4, 16, window=None)[0],
    "istft": lambda o: o.istft(o.stft(SIG, 16, 8, 32), 16, 8, 32),
    "istft_length": lambda o: o.istft(o.stft(SIG, 20, 5, 32, window="hamming", center=False), 20, 5, 32,
                                      length=50, window="hamming", center=False),
    "istft_none": lambda o: o.istft(o.stft(SIG, 16, 4, 16, window=None), 16, 4, 16, window=None),
    "extract_sequences": lambda o: o.extract_sequences(SIG, 10, 7),
    # the rest
    "argpartition": lambda o: o.argpartition(A, 2), "argpartition_axis0": lambda o: o.argpartition(A, 1, axis=0),
    "argpartition_ties": lambda o: o.argpartition(np.array([6, 8, 4, 3, 1, 9, 7, 5, 2, 3]), 4),
    "array_int": lambda o: o.array([[1, 2]]), "array_float": lambda o: o.array([1.5, 2.0]),
    "array_dtype": lambda o: o.array([1, 2], dtype="float16"),
    "cdist": lambda o: o.cdist(A, A[:, :2]), "cdist_2d": lambda o: o.cdist(M, D[:, :1].T.repeat(4, 0)[:, :4]),
    "corrcoef": lambda o: o.corrcoef(M), "corrcoef_int": lambda o: o.corrcoef(I),
    "correlate": lambda o: o.correlate(A[0, 0], A[1, 1, :3]),
    "correlate_same": lambda o: o.correlate(A[0, 0], A[1, 1, :4], mode="same"),
    "correlate_full": lambda o: o.correlate(A[0, 0], A[1, 1, :3], mode="full"),
    "correlate_swapped": lambda o: o.correlate(A[1, 1, :3], A[0, 0]),
    "diagflat": lambda o: o.diagflat(M[:2, :2], k=1), "diagflat_int": lambda o: o.diagflat(J, k=-2),
    "histogram_counts": lambda o: o.histogram(A.ravel(), bins=5)[0],
    "histogram_edges": lambda o: o.histogram(A.ravel(), bins=5)[1],
    "histogram_range": lambda o: o.histogram(A.ravel(), bins=4, range=(-1, 1))[0],
    "rearrange": lambda o: o.rearrange(A, "a b c -> c a b"),
    "rearrange_groups": lambda o: o.rearrange(A, "a b (c d) -> (a c) b d", d=2),
    "unique": lambda o: o.unique(I), "unique_index": lambda o: o.unique(I, return_index=True)[1],
    "unique_inverse": lambda o: o.unique(I, return_inverse=True)[1],
    "unique_counts": lambda o: o.unique(np.array([3, 1, 3, 2]), return_counts=True)[1],
    "unique_size": lambda o: o.unique(np.array([3, 1, 3, 2]), size=5, fill_value=-1),
    "unique_size_default": lambda o: o.unique(np.array([3, 1, 3, 2]), size=5),
    "unique_axis": lambda o: o.unique(np.array([[1, 0], [1, 0], [0, 1]], np.float32), axis=0),
    "vectorize": lambda o: o.vectorize(lambda a, b: a * 2 + b)(A, 1.0),
    "view": lambda o: o.view(A, "int32"), "view_int16": lambda o: o.view(J, "int16"),
    "view_as_real": lambda o: o.view_as_real(A[0] + 1j * A[1]),
    "view_as_complex": lambda o: o.view_as_complex(A[..., :2]),
    "polar": lambda o: o.polar(A, A[::-1]),
    "custom_gradient": lambda o: o.custom_gradient(lambda x: (o.exp(x), lambda g: g))(A),
    # linalg
    "lu_factor": lambda o: o.lu_factor(M)[0], "lu_factor_pivots": lambda o: o.lu_factor(M)[1],
    "lu_factor_batch": lambda o: o.linalg.lu_factor(A[:, :, :4])[0],
    "eig_values": lambda o: np.sort_complex(o.eig(M)[0]),
}


@pytest.mark.parametrize("name", sorted(EAGER))
def test_eager_ops_equal_keras_ops(name):
    ours, ref = EAGER[name](ops), EAGER[name](keras.ops)
    if np.iscomplexobj(np.asarray(ref)):
        assert np.asarray(ours).dtype == np.asarray(ref).dtype and np.shape(ours) == np.shape(ref)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(ref), rtol=2e-5, atol=2e-5)
        return
    assert_equals_keras_op(ours, ref, rtol=2e-5, atol=2e-5)


def test_eig_vectors_diagonalize_like_keras():
    """Eigenvectors are determined up to a phase: both libraries' satisfy M v = v w."""
    for lib in (ops, keras.ops):
        w, v = (np.asarray(t) for t in lib.eig(M))
        assert w.dtype == v.dtype == np.complex64
        np.testing.assert_allclose(M @ v, v * w, atol=1e-4)


def test_ops_numpy_and_linalg_have_keras_names():
    names = [n for n in dir(keras.ops.numpy) if not n.startswith("_")]
    assert len(names) == 220
    assert all(getattr(ops.numpy, n) is getattr(ops, n) for n in names)
    assert set(n for n in dir(keras.ops.linalg) if not n.startswith("_")) - set(dir(ops.linalg)) == set()
    assert ops.dtype(A) == keras.ops.dtype(A) == "float32" and ops.dtype(I) == "int32"
    assert ops.is_tensor(A) and not ops.is_tensor([1.0])


def test_eager_refusals_name_the_problem():
    with pytest.raises(TypeError, match=r"ops.bitwise_and does not accept dtype float32"):
        ops.bitwise_and(A, 3)
    with pytest.raises(ValueError, match="Input tensor must be 1-dimensional"):
        ops.histogram(A)
    with pytest.raises(ValueError, match="Unsupported reduction"):
        ops.scatter_update(M, [[0, 0]], [1.0], reduction="mean")
    with pytest.raises(ValueError, match="tuple of two tensors"):
        ops.fft(A)


# One source for both libraries: `keras` and `ops` are whichever the caller passes.
LAYERS = textwrap.dedent('''
    class Special(keras.layers.Layer):
        """erf, erfc, erfinv, i0, angle, cdist, corrcoef, diagflat, rearrange, correlate."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 4), initializer="glorot_uniform", name="w")

        def call(self, x):
            h = ops.matmul(x, self.w)                                            # (N, 4)
            s = ops.erf(h) + 0.5 * ops.erfc(h * 0.5) + 0.3 * ops.erfinv(ops.tanh(h) * 0.8)
            s = s + 0.1 * ops.i0(h) + ops.angle(h) * 0.01
            d = ops.cdist(h, self.w[:3])                                         # (N, 3)
            c = ops.corrcoef(ops.transpose(self.w))                              # (4, 4)
            e = ops.matmul(s, c + ops.diagflat(self.w[0], k=0))                  # (N, 4)
            r = ops.rearrange(ops.reshape(e, (-1, 2, 2)), "b h w -> b (w h)")    # (N, 4)
            k = ops.correlate(self.w[:, 0], self.w[:2, 1], mode="same")          # (d,)
            return ops.concatenate([r, d * 0.3, ops.sum(k) + 0.0 * d[:, :1]], axis=-1)


    class Scatters(keras.layers.Layer):
        """segment_* over the features, scatter / scatter_update / slice_update into weights."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 6), initializer="glorot_uniform", name="w")
            self.v = self.add_weight(shape=(3, 2), initializer="glorot_uniform", name="v")

        def call(self, x):
            h = ops.tanh(ops.matmul(x, self.w))                                  # (N, 6)
            ids = np.array([0, 0, 2, 1, 1, 0])
            t = ops.transpose(h)                                                 # (6, N)
            seg = ops.segment_sum(t, ids, num_segments=3) + ops.segment_max(t, ids, num_segments=3)
            seg = seg + ops.segment_min(t, ids, num_segments=3) * 0.5
            v = self.v * 1.0                                                     # a tensor (jax: not a Variable)
            placed = ops.scatter(np.array([[0, 1], [2, 0], [0, 1]]), v[:, 0], (3, 2))
            upd = ops.scatter_update(v, np.array([[1], [0]]), v[:2] * 3.0)
            added = ops.scatter_update(v, np.array([[2, 1]]), v[:1, 0], reduction="add")
            sl = ops.slice_update(v, (1, 0), v[:2] * -2.0)
            mix = ops.matmul(ops.transpose(seg), placed + upd + added + sl)      # (N, 2)
            rows = ops.slice_update(h, (0, 2), h[:, :2] * 0.5)                   # (N, 6)
            return ops.concatenate([mix, rows], axis=-1)


    class Products(keras.layers.Layer):
        """segment_prod (jax has no gradient for it: compared on predictions only)."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 6), initializer="glorot_uniform", name="w")

        def call(self, x):
            t = ops.transpose(ops.tanh(ops.matmul(x, self.w)))                  # (6, N)
            p = ops.segment_prod(t + 1.5, np.array([0, 0, 2, 1, 1, 0]), num_segments=4)
            return ops.transpose(p)                                              # (N, 4)


    class Spectra(keras.layers.Layer):
        """fft, fft2, ifft2, rfft, irfft, stft, istft, extract_sequences of a projected signal."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 16), initializer="glorot_uniform", name="w")

        def call(self, x):
            h = ops.matmul(x, self.w)                                            # (N, 16)
            re, im = ops.rfft(h)                                                 # (N, 9)
            back = ops.irfft((re * 0.5, im), fft_length=16)                      # (N, 16)
            fr, fi = ops.fft((h[:, :8], h[:, 8:]))                               # (N, 8)
            g = ops.reshape(h, (-1, 4, 4))
            f2r, f2i = ops.fft2((g, g * 0.5))
            i2r, i2i = ops.ifft2((f2r, f2i * 0.3))
            sr, si = ops.stft(h, 8, 4, 8)                                        # (N, 5, 5)
            frames = ops.extract_sequences(h, 6, 5)                              # (N, 3, 6)
            back2 = ops.istft((sr, si * 0.5), 8, 4, 8)                           # (N, 16)
            back3 = ops.istft((sr, si), 6, 2, 8, length=10, window="hamming", center=False)
            mag = ops.sqrt(sr * sr + si * si + 1e-3)
            return ops.concatenate([back[:, :4], fr[:, :2] * 0.1, fi[:, 1:3] * 0.1,
                                    ops.reshape(i2r + i2i, (-1, 16))[:, :3],
                                    ops.mean(mag, axis=-1) * 0.2, ops.sum(frames, axis=-1),
                                    back2[:, 5:8], back3[:, ::3] * 0.1], axis=-1)
''')

BUILDS = {"special": ("Special", 5), "scatters": ("Scatters", 4), "spectra": ("Spectra", 4),
          "products": ("Products", 4)}
TRAINED = ["special", "scatters", "spectra"]   # jax has no gradient of segment_prod


def _model(lib, kind):
    name, width = BUILDS[kind]
    return lib.Sequential([lib.Input((width,)), exec_layers(LAYERS, lib)[name](), lib.layers.Dense(2)])


def _data(kind):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(24, BUILDS[kind][1])).astype(np.float32)
    return x, np.stack([x[:, 0] * x[:, 1], np.cos(x[:, 2])], 1).astype(np.float32)


def _trained(lib, kind):
    x, y = _data(kind)
    model = _model(lib, kind)
    rng = np.random.default_rng(9)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.02), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    return model, history.history["loss"], x


@pytest.mark.parametrize("kind", TRAINED)
def test_layers_written_with_the_new_ops_train_to_keras_weights(kind):
    ours, ours_loss, x = _trained(sk, kind)
    ref, ref_loss, _ = _trained(keras, kind)
    assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss)


def test_traced_segment_prod_predicts_like_keras():
    x, _ = _data("products")
    models = [_model(lib, "products") for lib in (sk, keras)]
    start = [np.random.default_rng(4).normal(scale=0.5, size=w.shape).astype(np.float32)
             for w in models[0].get_weights()]
    for m in models:
        m.set_weights(start)
    ours, ref = (np.asarray(m.predict(x, verbose=0)) for m in models)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kind", sorted(BUILDS))
def test_traced_gradients_match_central_differences(kind):
    x, y = _data(kind)
    # The traced layer's weights come first in the model's.
    assert_sgd_step_matches_central_differences(_model(sk, kind), x, y,
                                                range(2 if kind == "scatters" else 1), samples=5)


REFUSED = {
    "unique": (lambda x: ops.unique(x), r"ops.unique is not traceable here: the number of unique"),
    "histogram": (lambda x: ops.histogram(x), r"ops.histogram is not traceable here"),
    "argpartition": (lambda x: ops.argpartition(x, 1), r"ops.argpartition is not traceable here"),
    "istft": (lambda x: ops.istft((x, x), 4, 2, 4), r"ops.istft is not traceable here: the frames axis"),
    "view": (lambda x: ops.view(x, "int32"), r"ops.view is not traceable here"),
    "polar": (lambda x: ops.polar(x, x), r"ops.polar is not traceable here: .*complex"),
    "segment_ids": (lambda x: ops.segment_sum(x, x[0]), r"ops.segment_sum is not traceable here: without num_segments"),
    "scatter_indices": (lambda x: ops.scatter(x, x[0], (4,)), r"ops.scatter is not traceable here: its indices must be values"),
    "scatter_batch_axis": (lambda x: ops.scatter_update(x, [[0, 0]], x[0, :1], reduction="max"),
                           r"ops.scatter_update is not traceable here: the indexed axes"),
    # Keyword arguments and several outputs are traced (test_jvp_losses.py); outputs that neither
    # all share the batch axis nor all have a known shape are not.
    "custom_gradient_outputs": (
        lambda x: ops.custom_gradient(lambda t: ((t, ops.sum(t)), lambda g: g[0]))(t=x)[0],
        r"ops.custom_gradient is not traceable here: .*shapes \[\(None, 4\), \(\)\]"),
    "vectorize": (lambda x: ops.vectorize(lambda t: t)(x), r"ops.vectorize is not traceable here"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_traced_refusals_are_clear(name):
    fn, message = REFUSED[name]

    class Refused(sk.layers.Layer):
        def call(self, x):
            return fn(x)

    model = sk.Sequential([sk.Input((4,)), Refused(), sk.layers.Dense(1)])
    with pytest.raises(NotImplementedError, match=message):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((4, 4), np.float32), np.ones((4, 1), np.float32), verbose=0)


def _functional_pairs(lib):
    """A functional model whose graph applies multi-output ops (rfft, fft, top_k, split, unstack)
    to layer outputs."""
    o = lib.ops
    inp = lib.Input((4,))
    h = lib.layers.Dense(8)(inp)
    re, im = o.rfft(o.erf(h))
    fr, fi = o.fft((h, o.tanh(h)))
    values, _ = o.top_k(h, 3)
    first, second = o.split(h, 2, axis=-1)
    columns = o.unstack(h, axis=-1)
    merged = o.concatenate([re, im, fr[:, :2], fi[:, 2:4], values, first * second,
                            o.stack(columns[5:7], axis=-1)], axis=-1)
    return lib.Model(inp, lib.layers.Dense(2)(merged))


def test_multi_output_ops_on_layer_outputs_train_like_keras():
    x, y = _data("spectra")
    results = []
    for lib in (sk, keras):
        model = _functional_pairs(lib)
        rng = np.random.default_rng(9)
        model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()])
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=0.02), loss="mse")
        results.append((model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"],
                        model.get_weights()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)
