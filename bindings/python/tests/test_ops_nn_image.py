"""keras.ops.nn's attention, transposed/separable convolutions, block rearrangements,
sparsemax, adaptive pools, unfold/fold and CTC, and keras.ops.image beyond resize. Each is
checked eagerly against keras.ops (jax): values, shape and dtype. Layers written with the
traceable ones (a small attention block with grouped-query heads, causal and explicit masks; the
window ops; the image ops) are traced into the library's op graph and train to the same weights
as real Keras 3, and the traced gradients match central differences. The ops that run on values
only (CTC decoding, the warps) are refused in a traced layer, naming the op; the traced CTC loss
is test_ops_traced_ctc_scatter.py's."""

import textwrap

import numpy as np
import pytest

from conftest import (CORE, assert_equals_keras_op, assert_sgd_step_matches_central_differences,
                      assert_traced_and_trains_like_keras, exec_layers, fit_from_drawn_weights, needs,
                      real_keras)

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import ops  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

RS = np.random.RandomState(11)
A = RS.normal(size=(2, 5, 6, 4)).astype(np.float32)
K = RS.normal(size=(3, 3, 2, 4)).astype(np.float32)          # conv_transpose: (k, k, out, in)
DK = RS.normal(size=(3, 3, 4, 2)).astype(np.float32)         # depthwise (k, k, in, multiplier)
PK = RS.normal(size=(1, 1, 8, 3)).astype(np.float32)         # pointwise
Q = RS.normal(size=(2, 4, 4, 3)).astype(np.float32)          # (batch, time, heads, depth)
KV = RS.normal(size=(2, 6, 2, 3)).astype(np.float32)         # two key/value heads: grouped
MASK = RS.uniform(size=(2, 1, 4, 6)) > 0.3
IMG = RS.uniform(size=(2, 7, 8, 3)).astype(np.float32)
VOL = RS.uniform(size=(1, 4, 4, 6, 2)).astype(np.float32)
AFFINE = np.array([[1.1, 0.2, -1.0, -0.1, 0.9, 0.5, 0, 0], [0.8, 0, 1.5, 0.1, 1.2, -0.5, 0, 0]], np.float32)
START = np.array([[[0, 0], [7, 0], [0, 6], [7, 6]], [[1, 0], [6, 1], [0, 5], [7, 6]]], np.float32)
END = np.array([[[1, 1], [6, 0], [0, 6], [6, 5]], [[0, 0], [7, 0], [0, 6], [7, 6]]], np.float32)
COORDS = RS.uniform(-3, 10, size=(2, 4, 5)).astype(np.float32)
LOGITS = RS.normal(size=(3, 9, 5)).astype(np.float32)
LABELS = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [4, 4, 4, 1]], np.int32)
LABEL_LENGTHS, LOGIT_LENGTHS = np.array([3, 2, 4], np.int32), np.array([9, 7, 9], np.int32)
BIAS = RS.normal(size=(2, 1, 4, 6)).astype(np.float32)


def _cf(x):
    return np.moveaxis(x, -1, 1)


EAGER = {
    # attention
    "attention": lambda o: o.dot_product_attention(Q, KV[:, :, :1].repeat(4, 2), KV[:, :, 1:].repeat(4, 2)),
    "attention_grouped": lambda o: o.nn.dot_product_attention(Q, KV, KV * 2),
    "attention_mask_bias": lambda o: o.dot_product_attention(Q, KV, KV, bias=BIAS,
                                                             mask=MASK, scale=0.3),
    "attention_causal": lambda o: o.dot_product_attention(Q, KV[:, :4], KV[:, :4], is_causal=True),
    # transposed and separable convolutions
    "conv_transpose": lambda o: o.conv_transpose(A, K),
    "conv_transpose_s2_same": lambda o: o.conv_transpose(A, K, strides=2, padding="same"),
    "conv_transpose_output_padding": lambda o: o.conv_transpose(A, K, strides=2, padding="same", output_padding=1),
    "conv_transpose_valid_s3": lambda o: o.conv_transpose(A, K, strides=3, output_padding=2),
    "conv_transpose_dilated": lambda o: o.conv_transpose(A, K, padding="same", dilation_rate=2),
    "conv_transpose_1d": lambda o: o.conv_transpose(A[0], K[0], strides=2, padding="same"),
    "conv_transpose_3d": lambda o: o.conv_transpose(VOL, K[:2, :2, :, :2].reshape(2, 2, 1, 2, 2)[..., :1, :],
                                                    strides=(1, 2, 1), padding="same"),
    "conv_transpose_channels_first": lambda o: o.conv_transpose(_cf(A), K, strides=2, data_format="channels_first"),
    "separable_conv": lambda o: o.separable_conv(A, DK, PK, padding="same"),
    "separable_conv_s2": lambda o: o.nn.separable_conv(A, DK, PK, strides=2, dilation_rate=1),
    # rearrangements, sparsemax, adaptive pools, unfold/fold
    "depth_to_space": lambda o: o.depth_to_space(A, 2),
    "depth_to_space_channels_first": lambda o: o.depth_to_space(_cf(A), 2, data_format="channels_first"),
    "depth_to_space_int": lambda o: o.depth_to_space(np.arange(64, dtype=np.int32).reshape(1, 2, 2, 16), 2),
    "space_to_depth": lambda o: o.space_to_depth(A[:, :4], 2),
    "space_to_depth_channels_first": lambda o: o.space_to_depth(_cf(A[:, :4]), 2, data_format="channels_first"),
    "sparsemax": lambda o: o.sparsemax(A),
    "sparsemax_axis1": lambda o: o.nn.sparsemax(A * 3, axis=1),
    "adaptive_average_pool": lambda o: o.adaptive_average_pool(A, (3, 4)),
    "adaptive_average_pool_1d": lambda o: o.adaptive_average_pool(A[0], 4),
    "adaptive_average_pool_channels_first": lambda o: o.adaptive_average_pool(_cf(A), (2, 4), data_format="channels_first"),
    "adaptive_max_pool": lambda o: o.adaptive_max_pool(A, (3, 4)),
    "adaptive_max_pool_3d": lambda o: o.nn.adaptive_max_pool(VOL, (3, 2, 4)),
    "unfold": lambda o: o.unfold(_cf(A), (2, 3), stride=(1, 2), padding=1),
    "unfold_dilated": lambda o: o.nn.unfold(_cf(A), 2, dilation=2),
    "fold": lambda o: o.fold(A.reshape(2, 8, 15)[:, :, :12], (5, 6), 2, stride=(1, 2)),
    "fold_padded": lambda o: o.fold(np.tile(A.reshape(2, 8, 15), 2)[..., :20], (4, 8), 2, padding=(1, 0),
                                      stride=(1, 2)),
    "moments_mean": lambda o: o.nn.moments(A, [1, 2])[0], "moments_var": lambda o: o.nn.moments(A, [0], keepdims=True)[1],
    # CTC (values only)
    "ctc_loss": lambda o: o.ctc_loss(LABELS, LOGITS, LABEL_LENGTHS, LOGIT_LENGTHS),
    "ctc_loss_mask_index": lambda o: o.nn.ctc_loss(np.where(LABELS == 4, 0, LABELS), LOGITS, LABEL_LENGTHS,
                                                   LOGIT_LENGTHS, mask_index=4),
    "ctc_greedy": lambda o: o.ctc_decode(LOGITS, LOGIT_LENGTHS)[0],
    "ctc_greedy_scores": lambda o: o.ctc_decode(LOGITS, LOGIT_LENGTHS)[1],
    "ctc_greedy_unmerged": lambda o: o.ctc_decode(LOGITS, LOGIT_LENGTHS, merge_repeated=False, mask_index=2)[0],
    "ctc_beam": lambda o: o.ctc_decode(LOGITS, LOGIT_LENGTHS, strategy="beam_search", beam_width=4, top_paths=2)[0],
    "ctc_beam_scores": lambda o: o.ctc_decode(LOGITS, LOGIT_LENGTHS, strategy="beam_search", beam_width=4,
                                              top_paths=2)[1],
    "ctc_beam_mask_index": lambda o: o.ctc_decode(LOGITS, LOGIT_LENGTHS, strategy="beam_search", beam_width=3,
                                                  top_paths=3, mask_index=3)[0],
    # image: colour
    "rgb_to_grayscale": lambda o: o.image.rgb_to_grayscale(IMG),
    "rgb_to_grayscale_channels_first": lambda o: o.image.rgb_to_grayscale(_cf(IMG), data_format="channels_first"),
    "rgb_to_grayscale_uint8": lambda o: o.image.rgb_to_grayscale((IMG * 255).astype(np.uint8)),
    "rgb_to_hsv": lambda o: o.image.rgb_to_hsv(IMG),
    "rgb_to_hsv_single_channels_first": lambda o: o.image.rgb_to_hsv(_cf(IMG)[0], data_format="channels_first"),
    "hsv_to_rgb": lambda o: o.image.hsv_to_rgb(IMG),
    # image: geometry
    "pad_images": lambda o: o.image.pad_images(IMG, 1, 2, target_height=10, target_width=12),
    "pad_images_single": lambda o: o.image.pad_images(IMG[0], top_padding=1, bottom_padding=0, left_padding=2,
                                                      right_padding=3),
    "pad_images_channels_first": lambda o: o.image.pad_images(_cf(IMG), 1, 2, 0, 1, data_format="channels_first"),
    "crop_images": lambda o: o.image.crop_images(IMG, 1, 2, target_height=4, target_width=5),
    "crop_images_edges": lambda o: o.image.crop_images(IMG, top_cropping=1, bottom_cropping=2, left_cropping=0,
                                                       right_cropping=3),
    "extract_patches": lambda o: o.image.extract_patches(IMG, (2, 3)),
    "extract_patches_same": lambda o: o.image.extract_patches(IMG, 3, strides=(2, 1), padding="same"),
    "extract_patches_dilated": lambda o: o.image.extract_patches(IMG[0], 2, strides=1, dilation_rate=2),
    "extract_patches_channels_first": lambda o: o.image.extract_patches(_cf(IMG), 2, data_format="channels_first"),
    "extract_patches_3d": lambda o: o.image.extract_patches_3d(VOL, (1, 2, 2)),
    "extract_patches_3d_strides": lambda o: o.image.extract_patches(VOL, (2, 2, 3), strides=(1, 2, 3)),
    "scale_and_translate": lambda o: o.image.scale_and_translate(IMG, (2, 10, 5, 3), np.array([1.4, 0.6], np.float32),
                                                                 np.array([0.5, -1.0], np.float32), (1, 2), "bilinear"),
    "scale_and_translate_cubic": lambda o: o.image.scale_and_translate(IMG, (2, 5, 9, 3), np.array([0.7, 1.2], np.float32),
                                                                       np.array([0.0, 1.0], np.float32), (1, 2), "cubic",
                                                                       antialias=False),
    "scale_and_translate_lanczos3": lambda o: o.image.scale_and_translate(IMG[0], (4, 8, 3), [0.5, 1.0], [0.2, 0.0],
                                                                          (0, 1), "lanczos3"),
    # image: filters (Keras 3.15.1's eager jax gaussian_blur reads data_format=None as channels
    # first, its symbolic path as the configured default: the format is given explicitly here)
    "gaussian_blur": lambda o: o.image.gaussian_blur(IMG, data_format="channels_last"),
    "gaussian_blur_sizes": lambda o: o.image.gaussian_blur(IMG[0], (5, 3), (2.0, 0.7), data_format="channels_last"),
    "gaussian_blur_channels_first": lambda o: o.image.gaussian_blur(_cf(IMG), (4, 4), data_format="channels_first"),
    "sobel_edges": lambda o: o.image.sobel_edges(IMG),
    "sobel_edges_channels_first": lambda o: o.image.sobel_edges(_cf(IMG), data_format="channels_first"),
    "ssim": lambda o: o.image.ssim(IMG, IMG * 0.8 + 0.1, filter_size=5),
    "ssim_single": lambda o: o.image.ssim(IMG[0], IMG[1], max_val=2.0, filter_size=3, filter_sigma=1.0),
    # image: warps (on values here; traced: test_traced_warps.py)
    "affine_transform": lambda o: o.image.affine_transform(IMG, AFFINE),
    "affine_transform_nearest_reflect": lambda o: o.image.affine_transform(IMG, AFFINE, interpolation="nearest",
                                                                           fill_mode="reflect"),
    "affine_transform_wrap": lambda o: o.image.affine_transform(IMG[0], AFFINE[0], fill_mode="wrap"),
    "affine_transform_mirror": lambda o: o.image.affine_transform(IMG, AFFINE, fill_mode="mirror", fill_value=0.5),
    "affine_transform_nearest_fill": lambda o: o.image.affine_transform(_cf(IMG), AFFINE, fill_mode="nearest",
                                                                        data_format="channels_first"),
    "perspective_transform": lambda o: o.image.perspective_transform(IMG, START, END),
    "perspective_transform_nearest": lambda o: o.image.perspective_transform(IMG[0], START[0], END[0],
                                                                             interpolation="nearest", fill_value=0.3),
    "map_coordinates": lambda o: o.image.map_coordinates(IMG[0, ..., 0], COORDS, 1),
    "map_coordinates_reflect": lambda o: o.image.map_coordinates(IMG[0, ..., 0], COORDS, 1, fill_mode="reflect"),
    "map_coordinates_nearest_mirror": lambda o: o.image.map_coordinates(IMG[0], COORDS[:, :3].reshape(3, 5, 2)[:, :, 0],
                                                                        0, fill_mode="mirror"),
    "map_coordinates_uint8": lambda o: o.image.map_coordinates((IMG[0, ..., 0] * 200).astype(np.uint8), COORDS, 1),
}


@pytest.mark.parametrize("name", sorted(EAGER))
def test_eager_ops_equal_keras_ops(name):
    assert_equals_keras_op(EAGER[name](ops), EAGER[name](keras.ops), rtol=1e-5, atol=2e-5)


def test_elastic_transform_is_a_displacement_of_the_image():
    """Its noise is the library's, not jax's: checked by what does not depend on it. alpha = 0 moves
    nothing; the same seed gives the same image; the shape and dtype are Keras's."""
    still = ops.image.elastic_transform(IMG, alpha=0.0, sigma=2.0, seed=3)
    np.testing.assert_allclose(still, IMG, atol=1e-6)
    moved = [ops.image.elastic_transform(IMG, alpha=3.0, sigma=2.0, seed=3) for _ in range(2)]
    np.testing.assert_array_equal(moved[0], moved[1])
    assert not np.allclose(moved[0], IMG, atol=1e-3)
    ref = keras.ops.image.elastic_transform(IMG, alpha=3.0, sigma=2.0, seed=3)
    assert moved[0].shape == ref.shape and moved[0].dtype == np.dtype(keras.backend.standardize_dtype(ref.dtype))


# One source for both libraries: `keras` and `ops` are whichever the caller passes.
LAYERS = textwrap.dedent('''
    MASK = np.tril(np.ones((5, 5), bool))[::-1][None, None]      # (1, 1, T, S)
    BIAS = np.linspace(-0.5, 0.5, 25, dtype="float32").reshape(1, 1, 5, 5)


    class GroupedAttention(keras.layers.Layer):
        """Two query heads over one key/value head (grouped), causal and with an explicit mask
        and bias, on (N, 5, 4) sequences, into 6 features."""

        def build(self, input_shape):
            self.wq = self.add_weight(shape=(4, 6), initializer="glorot_uniform", name="wq")
            self.wk = self.add_weight(shape=(4, 3), initializer="glorot_uniform", name="wk")
            self.wv = self.add_weight(shape=(4, 3), initializer="glorot_uniform", name="wv")

        def call(self, x):
            q = ops.reshape(ops.matmul(x, self.wq), (-1, 5, 2, 3))
            k = ops.reshape(ops.matmul(x, self.wk), (-1, 5, 1, 3))
            v = ops.reshape(ops.matmul(x, self.wv), (-1, 5, 1, 3))
            causal = ops.dot_product_attention(q, k, v, is_causal=True)
            masked = ops.nn.dot_product_attention(q, k, v, bias=BIAS, mask=MASK, scale=0.7)
            return ops.mean(ops.reshape(causal + masked, (-1, 5, 6)), axis=1)


    class Windows(keras.layers.Layer):
        """conv_transpose, separable_conv, space_to_depth/depth_to_space, adaptive pools,
        unfold/fold and sparsemax on (N, 4, 4, 2)."""

        def build(self, input_shape):
            self.kt = self.add_weight(shape=(3, 3, 3, 2), initializer="glorot_uniform", name="kt")
            self.dk = self.add_weight(shape=(3, 3, 3, 1), initializer="glorot_uniform", name="dk")
            self.pk = self.add_weight(shape=(1, 1, 3, 4), initializer="glorot_uniform", name="pk")

        def call(self, x):
            t = ops.conv_transpose(x, self.kt, strides=2, padding="same")            # (N, 8, 8, 3)
            s = ops.separable_conv(ops.tanh(t), self.dk, self.pk, strides=2, padding="same")  # (N, 4, 4, 4)
            s = ops.depth_to_space(ops.space_to_depth(s, 2) * 0.5, 2)              # (N, 4, 4, 4)
            a = ops.adaptive_average_pool(s, (3, 3))                                # (N, 3, 3, 4)
            m = ops.adaptive_max_pool(t, (3, 2))                                    # (N, 3, 2, 3)
            cols = ops.unfold(ops.transpose(s, (0, 3, 1, 2)), 2)                    # (N, 16, 9)
            back = ops.fold(cols, (4, 4), 2)                                         # (N, 4, 4, 4)
            p = ops.sparsemax(ops.mean(s, axis=(1, 2)) * 3.0)                       # (N, 4)
            return ops.concatenate([ops.mean(a, axis=(1, 2)), ops.mean(m, axis=(1, 2)),
                                    ops.mean(back, axis=(2, 3)) * 0.1, p], axis=-1)


    class Images(keras.layers.Layer):
        """The traceable ops.image ops on (N, 6, 6, 3) images mixed by a 1x1 convolution."""

        def build(self, input_shape):
            self.w = self.add_weight(shape=(1, 1, 3, 3), initializer="glorot_uniform", name="w")

        def call(self, x):
            h = ops.sigmoid(ops.conv(x, self.w))
            gray = ops.image.rgb_to_grayscale(h)
            # Hue wraps at red (0 and 1 are one colour): scaled, it would jump there.
            rgb = ops.image.hsv_to_rgb(ops.image.rgb_to_hsv(h) * np.array([1.0, 0.9, 0.8], "float32"))
            padded = ops.image.pad_images(h, 1, 1, target_height=8, target_width=8)
            cropped = ops.image.crop_images(padded, 2, 2, target_height=5, target_width=5)
            patches = ops.image.extract_patches(cropped, 2)                         # (N, 2, 2, 12)
            blur = ops.image.gaussian_blur(h, data_format="channels_last")
            edges = ops.image.sobel_edges(h)                                        # (N, 6, 6, 3, 2)
            similar = ops.image.ssim(h, blur, filter_size=3)                        # (N,)
            scaled = ops.image.scale_and_translate(h, (ops.shape(h)[0], 4, 4, 3), np.array([0.7, 0.6]),
                                                   np.array([0.2, 0.0]), (1, 2), "bilinear")
            return ops.concatenate([ops.mean(gray, axis=(1, 2)), ops.mean(rgb, axis=(1, 2)),
                                    ops.mean(patches, axis=(1, 2)), ops.mean(edges, axis=(1, 2, 4)),
                                    ops.expand_dims(similar, -1), ops.mean(scaled, axis=(1, 2))], axis=-1)
''')

SHAPES = {"GroupedAttention": (5, 4), "Windows": (4, 4, 2), "Images": (6, 6, 3)}
TRACED_WEIGHTS = {"GroupedAttention": 3, "Windows": 3, "Images": 1}


def _model(lib, kind):
    return lib.Sequential([lib.Input(SHAPES[kind]), exec_layers(LAYERS, lib)[kind](), lib.layers.Dense(2)])


def _data(kind):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16,) + SHAPES[kind]).astype(np.float32)
    flat = x.reshape(16, -1)
    return x, np.stack([flat[:, 0] * flat[:, 1], np.cos(flat[:, 2])], 1).astype(np.float32)


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_layers_written_with_the_ops_train_to_keras_weights(kind):
    x, y = _data(kind)
    ours, ours_loss = fit_from_drawn_weights(sk, _model(sk, kind), x, y)
    ref, ref_loss = fit_from_drawn_weights(keras, _model(keras, kind), x, y)
    assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss)


@pytest.mark.parametrize("kind", sorted(SHAPES))
def test_traced_gradients_match_central_differences(kind):
    x, y = _data(kind)
    assert_sgd_step_matches_central_differences(_model(sk, kind), x, y, range(TRACED_WEIGHTS[kind]), samples=5)


REFUSED = {
    "ctc_decode": lambda x: ops.ctc_decode(x, np.array([3]))[1],
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_values_only_ops_are_refused_in_a_traced_layer(name):
    class Refused(sk.layers.Layer):
        def call(self, x, fn=REFUSED[name]):
            return fn(x)

    model = sk.Sequential([sk.Input((3, 4, 3)), Refused(), sk.layers.Flatten(), sk.layers.Dense(1)])
    with pytest.raises(NotImplementedError, match=rf"ops\..*{name} is not traceable here"):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(np.ones((4, 3, 4, 3), np.float32), np.ones((4, 1), np.float32), verbose=0)


@pytest.mark.parametrize("module", ["nn", "image"])
def test_every_keras_name_of_the_namespace_exists(module):
    keras_names = {n for n in dir(getattr(keras.ops, module)) if not n.startswith("_")}
    ours = getattr(ops, module)
    assert sorted(n for n in keras_names if not hasattr(ours, n)) == []
    if module == "nn":   # Keras exports one function as ops.polar and ops.nn.polar
        assert_equals_keras_op(ops.nn.polar(A, A[::-1]), keras.ops.nn.polar(A, A[::-1]), 1e-6, 1e-6)
