"""swiftkeras.ops, second and third batches of session 8: quantiles and NaN-ignoring
reductions, array helpers (rot90, tensordot, kron, select, diff, array_split, diagonal/trace,
digitize/searchsorted, associative_scan...), NaN/inf cleaning, arctan2/fmod/fmax, and ops.nn's
normalizations, crossentropies and multi_hot. Each checked eagerly against keras.ops (jax):
values, shape and dtype; a layer using several of them traced trains to real Keras's weights."""

import textwrap

import numpy as np
import pytest

from conftest import CORE, assert_equals_keras_op, assert_ops_layer_trains_like_keras, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

RS = np.random.RandomState(11)
A = RS.normal(size=(3, 4, 5)).astype(np.float32)
M = RS.normal(size=(4, 6)).astype(np.float32)
N = A.copy()
N[0, 1, 2] = N[2, 3, 0] = N[1, 0, 4] = np.nan
SPECIAL = np.array([1.5, -0.0, 0.0, np.nan, np.inf, -np.inf, -2.0], np.float32)
P = np.abs(M) + 0.1
T = np.eye(6, dtype=np.float32)[[0, 3, 5, 1]]

EAGER = {
    "fabs": lambda o: o.fabs(A), "cbrt": lambda o: o.cbrt(A * 4),
    "logaddexp2": lambda o: o.logaddexp2(A, A * 3), "sinc": lambda o: o.sinc(o.round(A)),
    "divide_no_nan": lambda o: o.divide_no_nan(A, o.round(A)), "signbit": lambda o: o.signbit(SPECIAL),
    "isposinf": lambda o: o.isposinf(SPECIAL), "isneginf": lambda o: o.isneginf(SPECIAL),
    "nan_to_num": lambda o: o.nan_to_num(SPECIAL), "nan_to_num_values": lambda o: o.nan_to_num(SPECIAL, 1.0, 9.0, -9.0),
    "ptp": lambda o: o.ptp(A, axis=1), "allclose": lambda o: o.allclose(A, A + 1e-7),
    "fliplr": lambda o: o.fliplr(M), "flipud": lambda o: o.flipud(A),
    "rot90": lambda o: o.rot90(M), "rot90_k3": lambda o: o.rot90(A, 3, axes=(1, 2)),
    "rot90_k2": lambda o: o.rot90(A, 2), "dstack": lambda o: o.dstack([M, M * 2]),
    "hsplit": lambda o: o.hsplit(M, 3)[1], "vsplit": lambda o: o.vsplit(M, [1])[1],
    "dsplit": lambda o: o.dsplit(A, [2])[0], "array_split": lambda o: o.array_split(M, 4, axis=1)[3],
    "append": lambda o: o.append(M, M), "append_axis": lambda o: o.append(M, M[:1], axis=0),
    "diff": lambda o: o.diff(A), "diff_2": lambda o: o.diff(A, n=2, axis=1),
    "tensordot": lambda o: o.tensordot(A, M[:, :5].T, axes=1), "tensordot_axes": lambda o: o.tensordot(A, A, axes=([1, 2], [1, 2])),
    "inner": lambda o: o.inner(A, M[:, :5]), "vdot": lambda o: o.vdot(M, M),
    "kron": lambda o: o.kron(M[:2, :3], M[2:, :2]), "select": lambda o: o.select([A > 1, A < -1], [A, -A], 0.5),
    "slice": lambda o: o.slice(A, (1, 0, 2), (2, 3, 2)), "empty_like_shape": lambda o: o.empty_like(A) * 0,
    "copy": lambda o: o.copy(A), "real": lambda o: o.real(A), "imag": lambda o: o.imag(A),
    "conj": lambda o: o.conj(A), "isreal": lambda o: o.isreal(A),
    "quantile": lambda o: o.quantile(A, [0.1, 0.5, 0.75], axis=1), "quantile_flat": lambda o: o.quantile(A, 0.3),
    "percentile": lambda o: o.percentile(A, 40, axis=-1, keepdims=True), "median": lambda o: o.median(A, axis=0),
    "nansum": lambda o: o.nansum(N, axis=1), "nanmean": lambda o: o.nanmean(N, axis=(0, 2)),
    "nanmax": lambda o: o.nanmax(N, axis=2), "nanmin": lambda o: o.nanmin(N), "nanprod": lambda o: o.nanprod(N, axis=1),
    "nanvar": lambda o: o.nanvar(N, axis=1), "nanstd": lambda o: o.nanstd(N, axis=-1, keepdims=True),
    "nancumsum": lambda o: o.nancumsum(N, axis=1), "nancumprod": lambda o: o.nancumprod(N, axis=2),
    "nanargmax": lambda o: o.nanargmax(N, axis=1), "nanargmin": lambda o: o.nanargmin(N, axis=2),
    "nanquantile": lambda o: o.nanquantile(N, 0.25, axis=1), "nanpercentile": lambda o: o.nanpercentile(N, 60, axis=2),
    "nanmedian": lambda o: o.nanmedian(N, axis=0),
    "logspace": lambda o: o.logspace(0, 2, 5), "geomspace": lambda o: o.geomspace(1, 100, 4),
    "normalize": lambda o: o.nn.normalize(A), "normalize_l1": lambda o: o.nn.normalize(A, axis=1, order=1),
    "rms_normalization": lambda o: o.nn.rms_normalization(A, scale=np.arange(5, dtype=np.float32)),
    "layer_normalization": lambda o: o.nn.layer_normalization(A, gamma=M[0, :5], beta=M[1, :5]),
    "layer_normalization_axes": lambda o: o.nn.layer_normalization(A, axis=(1, 2)),
    "layer_normalization_rms": lambda o: o.nn.layer_normalization(A, gamma=M[0, :5], rms_scaling=True),
    "batch_normalization": lambda o: o.nn.batch_normalization(A, M[0, :4], P[1, :4], axis=1, offset=M[2, :4], scale=M[3, :4]),
    "binary_crossentropy": lambda o: o.nn.binary_crossentropy((M > 0).astype(np.float32), 1 / (1 + np.exp(-M))),
    "binary_crossentropy_logits": lambda o: o.nn.binary_crossentropy((M > 0).astype(np.float32), M, from_logits=True),
    "categorical_crossentropy": lambda o: o.nn.categorical_crossentropy(T, P),
    "categorical_crossentropy_logits": lambda o: o.nn.categorical_crossentropy(T, M, from_logits=True),
    "sparse_categorical_crossentropy": lambda o: o.nn.sparse_categorical_crossentropy(np.array([0, 3, 5, 1]), P),
    "sparse_categorical_crossentropy_logits": lambda o: o.nn.sparse_categorical_crossentropy(
        np.array([[0], [3], [5], [1]]), M, from_logits=True),
    "multi_hot": lambda o: o.nn.multi_hot(np.array([[0, 2, 2], [1, 4, 0]]), 5),
    "psnr": lambda o: o.nn.psnr(P, P + 0.01 * M, 2.0), "sparse_sigmoid": lambda o: o.nn.sparse_sigmoid(A * 2),
    # third batch
    "arctan2": lambda o: o.arctan2(A, A[::-1]), "arctan2_axis": lambda o: o.arctan2(
        np.array([0, 0, 1, -1, 0], np.float32), np.array([1, -1, 0, 0, 0], np.float32)),
    "fmax": lambda o: o.fmax(N, A * 0.5), "fmin": lambda o: o.fmin(A * 0.5, N),
    "fmod": lambda o: o.fmod(A, 0.7), "fmod_negative": lambda o: o.fmod(A, -0.3),
    "ldexp": lambda o: o.ldexp(A, np.array([1, -2, 3, 0, 2], np.int32)),
    "isin": lambda o: o.isin(np.arange(10), np.array([2, 5, 7])),
    "diagonal": lambda o: o.diagonal(A), "diagonal_offset": lambda o: o.diagonal(A, 1, 1, 2),
    "diagonal_negative": lambda o: o.diagonal(A, -2, 2, 1), "trace": lambda o: o.trace(A, axis1=1, axis2=2),
    "diag_matrix": lambda o: o.diag(M, 1), "diag_vector": lambda o: o.diag(M[0], -1),
    "in_top_k": lambda o: o.in_top_k(np.array([0, 3, 5, 1]), M, 2),
    "switch": lambda o: o.switch(1, [lambda v: v * 2, lambda v: v - 1], A),
    "get_item": lambda o: o.get_item(A, (slice(None), 1)),
    "saturate_cast": lambda o: o.saturate_cast(A * 200, "int8"),
    "digitize": lambda o: o.digitize(A, [-1.0, 0.0, 0.5]),
    "searchsorted": lambda o: o.searchsorted(np.array([-1.0, 0.0, 0.5, 2.0], np.float32), M.reshape(-1)),
    "searchsorted_right": lambda o: o.searchsorted(np.array([0.0, 1.0, 1.0, 2.0], np.float32),
                                                   np.array([1.0, 0.5, 2.0], np.float32), side="right"),
    "vander": lambda o: o.vander(M[0], 4), "vander_increasing": lambda o: o.vander(M[1], increasing=True),
    "trapezoid": lambda o: o.trapezoid(A), "trapezoid_x": lambda o: o.trapezoid(M, x=np.cumsum(P[0]), axis=1),
    "cross": lambda o: o.cross(A[..., :3], A[..., 2:]),
    "map": lambda o: o.map(lambda v: v * 2 + 1, A), "vectorized_map": lambda o: o.vectorized_map(lambda v: v.sum(0), M),
    "associative_scan": lambda o: o.associative_scan(lambda a, b: a + b, A, axis=1),
    "associative_scan_reverse": lambda o: o.associative_scan(lambda a, b: a * b, M, reverse=True, axis=1),
    "unravel_index": lambda o: o.unravel_index(np.array([3, 10, 17]), (3, 6))[1],
    "nonzero": lambda o: o.nonzero(o.round(A))[2],
    "bincount": lambda o: o.bincount(np.array([0, 2, 2, 5]), minlength=7),
    "bincount_weights": lambda o: o.bincount(np.array([0, 2, 2, 5]), weights=np.array([1.0, 2.0, 0.5, 3.0], np.float32)),
    "hamming": lambda o: o.hamming(7), "hanning": lambda o: o.hanning(6), "bartlett": lambda o: o.bartlett(5),
    "blackman": lambda o: o.blackman(8), "kaiser": lambda o: o.kaiser(6, 3.0),
    "isreal_complex": lambda o: o.isreal(np.array([1 + 1j, 1 + 0j, 4.5, 2j], np.complex64)),
    "average_weights_of_axis": lambda o: o.average(M, axis=0, weights=np.arange(1, 5, dtype=np.float32)),
}

REFUSED = {
    "append_ranks": lambda o: o.append(M, M[0], axis=0),
    "concatenate_ranks": lambda o: o.concatenate([A, M], axis=0),
    "average_no_axis": lambda o: o.average(M, weights=M[0]),
    "average_wrong_length": lambda o: o.average(M, axis=1, weights=M[:, 0]),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_match_keras(name):
    """Keras's error type and message (its docstring examples show them)."""
    with pytest.raises(Exception) as want:
        REFUSED[name](keras.ops)
    with pytest.raises(type(want.value)) as got:
        REFUSED[name](ops)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("name", sorted(EAGER))
def test_eager_ops_equal_keras_ops(name):
    assert_equals_keras_op(EAGER[name](ops), EAGER[name](keras.ops), rtol=2e-5, atol=2e-6)


LAYERS = textwrap.dedent('''
    class Statistics(keras.layers.Layer):
        """Quantiles, NaN-ignoring reductions, normalizations and crossentropy on a (N, 6)
        input and a (6, 6) weight, into 6 features."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(6, 6), initializer="glorot_uniform", name="w")
            self.g = self.add_weight(shape=(6,), initializer="ones", name="g")

        def call(self, x):
            h = ops.matmul(x, self.w)                                              # (N, 6)
            q = ops.quantile(h, [0.25, 0.5], axis=-1)                              # (2, N)
            med = ops.median(h, axis=-1, keepdims=True)                            # (N, 1)
            clean = ops.nan_to_num(ops.where(h > 2.5, np.nan, h))
            n = ops.nanmean(ops.where(h > 1.5, np.nan, h), axis=-1, keepdims=True)
            ln = ops.nn.layer_normalization(h, gamma=self.g)
            rms = ops.nn.rms_normalization(h, scale=self.g)
            nz = ops.nn.normalize(h)
            p = ops.nn.softmax(h)
            ce = ops.nn.categorical_crossentropy(ops.one_hot(ops.argmax(x, axis=-1), 6), p)
            sel = ops.select([h > 1.0, h < -1.0], [h * 0.5, h * 0.25], 0.0)
            d = ops.pad(ops.diff(h, axis=-1), [(0, 0), (0, 1)])
            d = d + ops.fmod(h, 0.9) * 0.1 + ops.arctan2(h, self.g + 1.5) * 0.1
            d = d + ops.trace(ops.einsum("ni,nj->nij", h, h), axis1=1, axis2=2)[:, None] * 0.01
            d = d + ops.cast(ops.in_top_k(ops.argmax(x, axis=-1), h, 2), "float32")[:, None] * 0.1
            d = d + ops.associative_scan(lambda a, b: a + b, h, axis=1) * 0.05
            total = (ln + rms * 0.5 + nz + sel + d * 0.1 + clean * 0.1 + ops.tensordot(h, self.g, axes=1)[:, None] * 0.01)
            return total + ops.transpose(q)[:, :1] * 0.1 + med * 0.1 + n * 0.1 + ce[:, None] * 0.1
''')


def test_a_layer_written_with_them_trains_to_keras_weights():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(24, 6)).astype(np.float32)
    y = np.stack([x[:, 0] * x[:, 1], np.cos(x[:, 2])], 1).astype(np.float32)
    assert_ops_layer_trains_like_keras(sk, keras, LAYERS, "Statistics", x, y, init_seed=9, learning_rate=0.02)
