"""`model.export(path, format="onnx")`: the library writes the ONNX file itself (no TensorFlow).
For each covered layer family a small model with drawn weights is exported, checked by
`onnx.checker`, and run by onnxruntime at two batch sizes: its outputs equal our `predict` and
real Keras's on the same weights (1e-5; Keras's outputs of each case as
scripts/make_keras_reference_fixtures.py wrote them from `_keras_outputs`). Inputs carry Keras's
names and a dynamic batch dimension, outputs are `output_0`, ...; a model holding a layer with no
ONNX form is refused, naming the layer and its class, and leaves no file."""

import os

import numpy as np
import pytest

from conftest import CORE, exec_layers, keras_draws_from_numpy, keras_reference, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

pytestmark = needs(*CORE, "keras_model_export_onnx")

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "relu6", "exponential", "hard_sigmoid", "softplus",
               "selu", "elu", "leaky_relu", "softmax", "log_softmax", "softsign", "silu", "swish", "gelu",
               "mish", "hard_silu", "hard_swish", "celu", "hard_shrink", "soft_shrink", "squareplus",
               "hard_tanh", "log_sigmoid", "sparse_plus", "sparse_sigmoid", "tanh_shrink"]

# Each source defines `build()` with `keras` bound to one library, and `INPUTS`: per input, its
# shape without the batch dimension and its dtype.
CASES = {
    "dense_activations": f"""
INPUTS = [((6,), "float32")]
def build():
    x = keras.Input((6,), name="features")
    outs = [keras.layers.Dense(6, activation=a, name="d_" + a)(x) for a in {ACTIVATIONS!r}]
    return keras.Model(x, outs)
""",
    "conv1d_pooling": """
INPUTS = [((16, 3), "float32")]
def build():
    return keras.Sequential([
        keras.Input((16, 3)),
        keras.layers.Conv1D(4, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv1D(4, 2, dilation_rate=2, groups=2),
        keras.layers.Conv1D(5, 3, padding="causal", activation="tanh"),
        keras.layers.MaxPooling1D(2),
        keras.layers.AveragePooling1D(2, strides=1, padding="same"),
        keras.layers.GlobalMaxPooling1D(),
    ])
""",
    "conv2d_pooling": """
INPUTS = [((9, 7, 3), "float32")]
def build():
    x = keras.Input((9, 7, 3))
    y = keras.layers.Conv2D(4, 3, padding="same", activation="elu")(x)
    y = keras.layers.Conv2D(6, (2, 3), strides=(2, 1), groups=2)(y)
    y = keras.layers.Conv2D(4, 2, dilation_rate=(1, 2), padding="same")(y)
    a = keras.layers.MaxPooling2D(2, padding="same")(y)
    b = keras.layers.AveragePooling2D((2, 2), strides=(1, 2))(y)
    return keras.Model(x, [keras.layers.GlobalAveragePooling2D()(a),
                           keras.layers.GlobalMaxPooling2D(keepdims=True)(b), keras.layers.Flatten()(a)])
""",
    "channels_first": """
INPUTS = [((2, 6, 5), "float32")]
def build():
    return keras.Sequential([
        keras.Input((2, 6, 5)),
        keras.layers.Conv2D(3, 2, padding="same", data_format="channels_first", activation="relu"),
        keras.layers.AveragePooling2D(2, padding="same", data_format="channels_first"),
        keras.layers.Flatten(data_format="channels_first"),
        keras.layers.Dense(3, activation="softmax"),
    ])
""",
    "normalization": """
INPUTS = [((4, 6), "float32")]
def build():
    return keras.Sequential([
        keras.Input((4, 6)),
        keras.layers.BatchNormalization(),
        keras.layers.BatchNormalization(axis=1, center=False),
        keras.layers.LayerNormalization(),
        keras.layers.LayerNormalization(axis=[1, 2], scale=False),
        keras.layers.LayerNormalization(rms_scaling=True),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(3),
    ])
""",
    "reshaping_and_activation_layers": """
INPUTS = [((4, 6), "float32")]
def build():
    return keras.Sequential([
        keras.Input((4, 6)),
        keras.layers.Permute((2, 1)),
        keras.layers.Reshape((3, -1)),
        keras.layers.Activation("tanh"),
        keras.layers.ReLU(max_value=0.6, negative_slope=0.1, threshold=0.05),
        keras.layers.Flatten(),
        keras.layers.Dense(8),
        keras.layers.LeakyReLU(negative_slope=0.3),
        keras.layers.ELU(alpha=0.7),
        keras.layers.PReLU(),
        keras.layers.ReLU(),
        keras.layers.Reshape((2, 4)),
        keras.layers.Softmax(axis=1),
    ])
""",
    "merging_multi_io": """
INPUTS = [((5,), "float32"), ((5,), "float32"), ((5,), "float32")]
def build():
    a, b, c = keras.Input((5,), name="a"), keras.Input((5,), name="b"), keras.Input((5,), name="c")
    da = keras.layers.Dense(5, activation="relu")(a)
    outs = [keras.layers.Add()([da, b, c]), keras.layers.Subtract()([da, b]), keras.layers.Multiply()([a, b, c]),
            keras.layers.Average()([da, b]), keras.layers.Maximum()([a, b]), keras.layers.Minimum()([a, c]),
            keras.layers.Concatenate()([da, b, c])]
    return keras.Model([a, b, c], outs)
""",
    "embedding_preprocessing": """
INPUTS = [((6,), "int32"), ((3,), "float32")]
def build():
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    raw = keras.Input((3,), name="raw")
    e = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(10, 4)(tokens))
    r = keras.layers.Rescaling(0.5, offset=-0.25)(raw)
    r = keras.layers.Normalization(mean=[0.1, -0.2, 0.3], variance=[1.5, 0.5, 2.0])(r)
    r = keras.layers.Normalization(mean=0.2, variance=3.0, invert=True, axis=None)(r)
    return keras.Model([tokens, raw], keras.layers.Dense(2)(keras.layers.Concatenate()([e, r])))
""",
    "nested_sequential": """
INPUTS = [((4,), "float32")]
def build():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="gelu"), keras.layers.Dense(4)])
    x = keras.Input((4,))
    return keras.Model(x, keras.layers.Add()([inner(x), x]))
""",
    "recurrent": """
INPUTS = [((5, 3), "float32")]
def build():
    x = keras.Input((5, 3))
    outs = [
        keras.layers.LSTM(3, return_sequences=True, go_backwards=True)(x),
        keras.layers.GRU(4, return_sequences=True)(x),
        keras.layers.GRU(3, reset_after=False, go_backwards=True)(x),
        keras.layers.SimpleRNN(4, return_sequences=True, activation="relu")(x),
        keras.layers.SimpleRNN(3)(x),
    ]
    outs += keras.layers.LSTM(2, return_state=True)(x)
    return keras.Model(x, outs)
""",
    "attention": """
INPUTS = [((4, 6), "float32"), ((5, 3), "float32")]
def build():
    q, v = keras.Input((4, 6)), keras.Input((5, 3))
    cross, scores = keras.layers.MultiHeadAttention(2, 3, value_dim=2)(q, v, return_attention_scores=True)
    causal = keras.layers.MultiHeadAttention(3, 2, use_bias=False)(q, q, use_causal_mask=True)
    return keras.Model([q, v], [cross, scores, keras.layers.LayerNormalization()(keras.layers.Add()([causal, q]))])
""",
    "transposed_depthwise_separable_2d": """
INPUTS = [((6, 5, 3), "float32")]
def build():
    x = keras.Input((6, 5, 3))
    outs = [
        keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")(x),
        keras.layers.Conv2DTranspose(2, (2, 3), strides=(2, 1), output_padding=(1, 0))(x),
        keras.layers.Conv2DTranspose(3, 2, strides=3)(x),
        keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1)(x),
        keras.layers.Conv2DTranspose(2, 2, dilation_rate=2, padding="same")(x),
        keras.layers.DepthwiseConv2D(2, depth_multiplier=2, padding="same", activation="tanh")(x),
        keras.layers.DepthwiseConv2D((3, 2), strides=(2, 1), dilation_rate=1, use_bias=False)(x),
        keras.layers.SeparableConv2D(4, 3, strides=2, depth_multiplier=2, padding="same")(x),
        keras.layers.Conv2DTranspose(2, 2, strides=2, data_format="channels_first")(x),
        keras.layers.DepthwiseConv2D(2, data_format="channels_first")(x),
    ]
    return keras.Model(x, outs)
""",
    "transposed_depthwise_separable_1d": """
INPUTS = [((7, 3), "float32")]
def build():
    x = keras.Input((7, 3))
    return keras.Model(x, [
        keras.layers.Conv1DTranspose(2, 3, strides=2)(x),
        keras.layers.Conv1DTranspose(3, 4, strides=3, padding="same", output_padding=2)(x),
        keras.layers.DepthwiseConv1D(3, depth_multiplier=2, strides=2)(x),
        keras.layers.SeparableConv1D(4, 2, dilation_rate=2, padding="same", activation="relu")(x),
    ])
""",
    "conv3d_pooling_reshaping": """
INPUTS = [((4, 5, 4, 2), "float32")]
def build():
    return keras.Sequential([
        keras.Input((4, 5, 4, 2)),
        keras.layers.Conv3D(3, 2, padding="same", activation="relu"),
        keras.layers.ZeroPadding3D(((1, 0), (0, 1), (1, 1))),
        keras.layers.MaxPooling3D(2),
        keras.layers.Conv3DTranspose(2, 2, strides=2),
        keras.layers.Cropping3D(((1, 0), (0, 1), (1, 2))),
        keras.layers.UpSampling3D((1, 2, 1)),
        keras.layers.AveragePooling3D(2, padding="same"),
        keras.layers.GlobalAveragePooling3D(),
    ])
""",
    "cropping_padding_upsampling_repeat": """
INPUTS = [((6, 5, 2), "float32")]
def build():
    x = keras.Input((6, 5, 2))
    seq = keras.layers.Reshape((30, 2))(x)
    return keras.Model(x, [
        keras.layers.Cropping2D(((1, 2), (0, 1)))(x),
        keras.layers.ZeroPadding2D(((1, 0), (2, 1)))(x),
        keras.layers.UpSampling2D((2, 3))(x),
        keras.layers.UpSampling2D(2, interpolation="bilinear")(x),
        keras.layers.Cropping2D(((1, 1), (0, 1)), data_format="channels_first")(x),
        keras.layers.ZeroPadding2D(1, data_format="channels_first")(x),
        keras.layers.UpSampling2D(2, data_format="channels_first", interpolation="bilinear")(x),
        keras.layers.Cropping1D((2, 3))(seq),
        keras.layers.ZeroPadding1D(2)(seq),
        keras.layers.UpSampling1D(3)(seq),
        keras.layers.RepeatVector(3)(keras.layers.Flatten()(x)),
    ])
""",
    "sparsemax": """
INPUTS = [((5,), "float32")]
def build():
    x = keras.Input((5,))
    return keras.Model(x, [keras.layers.Dense(6, activation="sparsemax")(x), keras.layers.Activation("sparsemax")(x)])
""",
    "time_distributed": """
INPUTS = [((4, 6), "float32"), ((3, 5, 4, 2), "float32")]
def build():
    x, images = keras.Input((4, 6), name="x"), keras.Input((3, 5, 4, 2), name="images")
    conv = keras.layers.TimeDistributed(keras.layers.Conv2D(2, 2))(images)
    return keras.Model([x, images], [
        keras.layers.TimeDistributed(keras.layers.Dense(3, activation="relu"))(x),
        keras.layers.TimeDistributed(keras.layers.Flatten())(conv),
        keras.layers.TimeDistributed(keras.layers.Conv2D(3, 3, padding="same"))(images),
    ])
""",
    "bidirectional": """
INPUTS = [((5, 3), "float32")]
def build():
    x = keras.Input((5, 3))
    outs = [
        keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))(x),
        keras.layers.Bidirectional(keras.layers.GRU(2), merge_mode="sum")(x),
        keras.layers.Bidirectional(keras.layers.SimpleRNN(2, return_sequences=True), merge_mode="mul")(x),
        keras.layers.Bidirectional(keras.layers.GRU(2, return_sequences=True, reset_after=False), merge_mode="ave")(x),
    ]
    outs += keras.layers.Bidirectional(keras.layers.LSTM(2, return_state=True), merge_mode=None)(x)
    return keras.Model(x, outs)
""",
    # JAX's bicubic and Lanczos kernels (renormalized at the edges) as resampling matrices.
    "upsampling_interpolations": """
INPUTS = [((4, 3, 2), "float32")]
def build():
    x = keras.Input((4, 3, 2))
    return keras.Model(x, [
        keras.layers.UpSampling2D((2, 3), interpolation="bicubic")(x),
        keras.layers.UpSampling2D(2, interpolation="lanczos3")(x),
        keras.layers.UpSampling2D((3, 2), interpolation="lanczos5")(x),
        keras.layers.UpSampling2D((1, 2), interpolation="bicubic", data_format="channels_first")(x),
        keras.layers.UpSampling2D(2, interpolation="lanczos3", data_format="channels_first")(x),
    ])
""",
    # A masked text classifier, on left- and right-padded tokens: the mask passes through
    # Dropout, LayerNormalization, TimeDistributed(Dense), Dense and Add, masks the attention's
    # queries, values and keys, and the average pooling; GlobalMaxPooling1D and Conv1D drop it.
    # (Keras's MultiHeadAttention clears the masks of the tensors it is called on, so each
    # attention here reads its own Dense's outputs, which nothing else reads.)
    "masked_text_classifier": """
INPUTS = [((6,), "int32", "right_padded"), ((6,), "int32", "left_padded")]
def build():
    inputs, outs, sequences = [], [], []
    for name in ("right", "left"):
        tokens = keras.Input((6,), dtype="int32", name=name)
        inputs.append(tokens)
        e = keras.layers.Dropout(0.2)(keras.layers.Embedding(10, 4, mask_zero=True)(tokens))
        h = keras.layers.TimeDistributed(keras.layers.Dense(4, activation="relu"))(keras.layers.LayerNormalization()(e))
        q1, q2, v2, q3, v3, k3, s = [keras.layers.Dense(4)(h) for _ in range(7)]
        sequences.append(s)
        a = keras.layers.MultiHeadAttention(2, 3)(q1, q1)
        b, scores = keras.layers.MultiHeadAttention(2, 2, value_dim=3)(q2, v2, return_attention_scores=True)
        c = keras.layers.MultiHeadAttention(1, 2, dropout=0.3)(q3, v3, k3)
        r = keras.layers.Add()([h, a])
        pooled = keras.layers.GlobalAveragePooling1D()(r)
        outs += [a, b, scores, c, pooled, keras.layers.Dense(3, activation="softmax")(pooled),
                 keras.layers.GlobalMaxPooling1D()(r),
                 keras.layers.GlobalAveragePooling1D()(keras.layers.Conv1D(2, 2)(r))]
    outs += keras.layers.MultiHeadAttention(2, 2)(*sequences, return_attention_scores=True)
    return keras.Model(inputs, outs)
""",
    # Masking's mask and the merging layers' masks: Maximum, Minimum and Multiply read them,
    # Concatenate joins them (along the features and along the steps), Softmax takes a `mask=`.
    "masked_merging": """
INPUTS = [((5, 3), "float32", "left_padded"), ((5, 3), "float32", "right_padded"), ((5,), "int32", "left_padded")]
def build():
    x, y = keras.Input((5, 3), name="x"), keras.Input((5, 3), name="y")
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    mx, my = keras.layers.Masking()(x), keras.layers.Masking()(y)
    e = keras.layers.Embedding(10, 3, mask_zero=True)(tokens)
    dx = keras.layers.Dense(3)(mx)
    pool = keras.layers.GlobalAveragePooling1D
    return keras.Model([x, y, tokens], [
        keras.layers.Maximum()([dx, my]), keras.layers.Minimum()([mx, e, dx]), keras.layers.Multiply()([dx, my]),
        keras.layers.Multiply()([dx, y]), pool()(keras.layers.Maximum()([dx, y])),
        pool()(keras.layers.Add()([mx, e])), pool()(keras.layers.Average()([mx, my])),
        pool()(keras.layers.Concatenate()([dx, my])), pool()(keras.layers.Concatenate(axis=1)([dx, y])),
        pool()(keras.layers.Concatenate()([e, y])),
        keras.layers.MultiHeadAttention(2, 2)(keras.layers.Dense(3)(mx), keras.layers.Dense(3)(e)),
    ])
""",
    # Keras's dot-product and additive attention layers, with the queries' and values' masks.
    "attention_layers": """
INPUTS = [((5,), "int32", "left_padded"), ((4,), "int32", "right_padded")]
def build():
    a, b = keras.Input((5,), dtype="int32", name="a"), keras.Input((4,), dtype="int32", name="b")
    ea, eb = keras.layers.Embedding(10, 4, mask_zero=True)(a), keras.layers.Embedding(10, 4, mask_zero=True)(b)
    d = lambda t: keras.layers.Dense(4)(t)
    dot, scores = keras.layers.Attention(use_scale=True)([d(ea), d(eb)], return_attention_scores=True)
    concat = keras.layers.Attention(score_mode="concat", use_scale=True)([d(eb), d(ea), d(ea)])
    additive = keras.layers.AdditiveAttention()([d(ea), d(ea)], use_causal_mask=True)
    plain = keras.layers.Attention()([keras.layers.Dense(3)(d(ea)), keras.layers.Dense(3)(d(eb))])
    return keras.Model([a, b], [dot, scores, concat, additive, plain, keras.layers.GlobalAveragePooling1D()(dot)])
""",
    # An image classifier's augmentation (the identity at inference) and Resizing.
    "augmentation_resizing": """
INPUTS = [((6, 5, 3), "float32")]
def build():
    x = keras.Input((6, 5, 3))
    augment = keras.Sequential([
        keras.layers.RandomFlip(), keras.layers.RandomRotation(0.1), keras.layers.RandomZoom(0.2),
        keras.layers.RandomTranslation(0.1, 0.1), keras.layers.RandomContrast(0.2), keras.layers.RandomBrightness(0.2),
    ])
    return keras.Model(x, [
        keras.layers.Conv2D(2, 3)(augment(x)),
        keras.layers.Resizing(4, 7)(x),
        keras.layers.Resizing(9, 3, interpolation="nearest")(x),
        keras.layers.Resizing(3, 8, data_format="channels_first")(x),
    ])
""",
    # A `mask=` argument (Keras's config writes it): Softmax keeps the positions it marks.
    "softmax_mask_argument": """
INPUTS = [((4, 5), "float32"), ((1, 5), "float32", "binary")]
def build():
    x, m = keras.Input((4, 5), name="x"), keras.Input((1, 5), name="m")
    return keras.Model([x, m], keras.layers.Softmax()(keras.layers.Dense(5)(x), mask=m))
""",
    # Masks reach the recurrent layers as sequence lengths.
    "masked_recurrent": """
INPUTS = [((6,), "int32", "right_padded"), ((5, 3), "float32", "right_padded")]
def build():
    tokens, seq = keras.Input((6,), dtype="int32", name="tokens"), keras.Input((5, 3), name="seq")
    e = keras.layers.Dropout(0.2)(keras.layers.Embedding(10, 3, mask_zero=True)(tokens))
    outs = [
        keras.layers.LSTM(3)(e),
        keras.layers.GRU(2, return_sequences=True)(e),
        keras.layers.SimpleRNN(2, return_sequences=True, go_backwards=True)(e),
        keras.layers.Bidirectional(keras.layers.LSTM(2, return_sequences=True))(e),
    ]
    m = keras.layers.Masking()(seq)
    h = keras.layers.LSTM(3, return_sequences=True)(keras.layers.Dense(3)(m))
    outs += [m, keras.layers.GRU(2)(h), keras.layers.Bidirectional(keras.layers.GRU(2), merge_mode="sum")(m)]
    return keras.Model([tokens, seq], outs)
""",
    # Keras's batch_dot: one axis for both inputs or one each, ranks 2 and 3, with and without
    # normalize (the cosine similarity).
    "dot": """
INPUTS = [((4, 3), "float32"), ((5, 3), "float32"), ((3,), "float32")]
def build():
    a, b, v = keras.Input((4, 3), name="a"), keras.Input((5, 3), name="b"), keras.Input((3,), name="v")
    b4, w = keras.layers.Dense(4)(b), keras.layers.Dense(3)(v)
    return keras.Model([a, b, v], [
        keras.layers.Dot(axes=2)([a, b]),
        keras.layers.Dot(axes=-1, normalize=True)([a, b]),
        keras.layers.Dot(axes=(1, 2))([a, b4]),
        keras.layers.Dot(axes=(2, 1), normalize=True)([a, v]),
        keras.layers.Dot(axes=(1, 2))([v, a]),
        keras.layers.Dot(axes=1)([v, w]),
        keras.layers.Dot(axes=1, normalize=True)([v, w]),
    ])
""",
    # Resizing cropped to the target's aspect ratio first (a centred window), both interpolations
    # and data formats, the window narrower and wider than the image; antialiased (each
    # interpolation, reducing and enlarging); padded to the target's aspect ratio first
    # (fill_value, either axis, both data formats).
    "resizing_crop_pad_antialias": """
INPUTS = [((6, 9, 3), "float32")]
def build():
    x = keras.Input((6, 9, 3))
    return keras.Model(x, [
        keras.layers.Resizing(4, 4, crop_to_aspect_ratio=True)(x),
        keras.layers.Resizing(5, 3, crop_to_aspect_ratio=True, interpolation="nearest")(x),
        keras.layers.Resizing(2, 7, crop_to_aspect_ratio=True)(x),
        keras.layers.Resizing(8, 5, crop_to_aspect_ratio=True, data_format="channels_first")(x),
        keras.layers.Resizing(3, 7, crop_to_aspect_ratio=True, interpolation="nearest", data_format="channels_first")(x),
        keras.layers.Resizing(4, 3, antialias=True)(x),
        keras.layers.Resizing(3, 12, interpolation="bicubic", antialias=True)(x),
        keras.layers.Resizing(2, 4, interpolation="lanczos3", antialias=True, crop_to_aspect_ratio=True)(x),
        keras.layers.Resizing(6, 2, interpolation="lanczos5", antialias=True, data_format="channels_first")(x),
        keras.layers.Resizing(4, 4, interpolation="nearest", antialias=True)(x),
        keras.layers.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=0.5)(x),
        keras.layers.Resizing(2, 5, pad_to_aspect_ratio=True, antialias=True, interpolation="bicubic")(x),
        keras.layers.Resizing(5, 3, pad_to_aspect_ratio=True, fill_value=-1.0, data_format="channels_first")(x),
    ])
""",
    # ConvLSTM1D/2D/3D, unrolled over their known time steps.
    "conv_lstm": """
INPUTS = [((3, 5, 2), "float32"), ((3, 5, 4, 2), "float32"), ((2, 3, 4, 3, 1), "float32")]
def build():
    s1, s2 = keras.Input((3, 5, 2), name="s1"), keras.Input((3, 5, 4, 2), name="s2")
    s3 = keras.Input((2, 3, 4, 3, 1), name="s3")
    outs = [
        keras.layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True)(s1),
        keras.layers.ConvLSTM1D(3, 2, strides=2, go_backwards=True)(s1),
        keras.layers.ConvLSTM1D(2, 2, dilation_rate=2, use_bias=False, return_sequences=True, go_backwards=True)(s1),
        keras.layers.ConvLSTM2D(2, (2, 3), padding="same", return_sequences=True, go_backwards=True)(s2),
        keras.layers.ConvLSTM2D(3, 2, activation="relu", recurrent_activation="hard_sigmoid")(s2),
        keras.layers.ConvLSTM2D(2, 2, data_format="channels_first", return_sequences=True)(s2),
        keras.layers.ConvLSTM3D(2, 2, padding="same", return_sequences=True)(s3),
    ]
    outs += keras.layers.ConvLSTM2D(2, 3, padding="same", return_state=True)(s2)
    return keras.Model([s1, s2, s3], outs)
""",
    # Lambda layers over keras.ops, traced into the library's op graph.
    "lambda_over_ops": """
INPUTS = [((5,), "float32"), ((5,), "float32")]
def build():
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    h = keras.layers.Dense(5)(a)
    return keras.Model([a, b], [
        keras.layers.Lambda(lambda z: ops.tanh(z) * 2.0 - ops.square(z) / 3.0)(h),
        keras.layers.Lambda(lambda z: ops.maximum(z, 0.2) + ops.exp(-ops.abs(z)) * ops.sigmoid(z))(b),
        keras.layers.Lambda(lambda z: ops.softmax(z, axis=-1) + ops.relu(z) - ops.sqrt(ops.square(z) + 1.0))(h),
        keras.layers.Lambda(lambda z: ops.clip(z, -0.5, 0.5) + ops.cast(ops.greater(z, 0.1), "float32"))(h),
        keras.layers.Lambda(lambda z: ops.reshape(ops.transpose(ops.expand_dims(z, -1), (0, 2, 1)), (-1, 5))
                            - ops.mean(z, axis=-1, keepdims=True) + ops.max(z, axis=1, keepdims=True))(h),
        keras.layers.Lambda(lambda z: ops.sum(ops.reshape(z, (-1, 5, 1)) * 2.0, axis=(1, 2)))(b),
    ])
""",
}

# The same recurrent models on left-padded sequences (Keras's pad_sequences pads before): each
# row's unmasked steps are moved to its start for ONNX's sequence lengths, and the outputs back.
CASES["masked_recurrent_left_padded"] = CASES["masked_recurrent"].replace('"right_padded"', '"left_padded"')


def _drawn_weights(model, seed):
    """Normal weights (variances positive) for every weight, in Keras's order."""
    rng = np.random.default_rng(seed)
    out = []
    for w in model.weights:
        shape = tuple(w.shape)
        path = getattr(w, "path", None) or getattr(w, "name", "")
        if "variance" in path:
            out.append(rng.uniform(0.5, 1.5, size=shape).astype("float32"))
        else:
            out.append(rng.normal(scale=0.5, size=shape).astype("float32"))
    return out


def _inputs(spec, batch, seed):
    """Per input spec `(shape, dtype)` or `(shape, dtype, "right_padded" | "left_padded" |
    "binary")`: drawn values; a padded input has each row's steps after (right) or before
    (left) a drawn length (at least 1) all 0; a binary one is drawn 0 or 1."""
    rng = np.random.default_rng(seed)
    out = []
    for shape, dtype, *how in spec:
        if dtype.startswith("int"):
            x = rng.integers(1 if how else 0, 10, size=(batch,) + shape).astype(dtype)
        else:
            x = rng.normal(size=(batch,) + shape).astype(dtype)
        if how == ["binary"]:
            x = rng.integers(0, 2, size=(batch,) + shape).astype(dtype)
        elif how:
            for row, length in zip(x, rng.integers(1, shape[0] + 1, size=batch)):
                if how[0] == "left_padded":
                    row[:shape[0] - length] = 0
                else:
                    row[length:] = 0
        out.append(x)
    return out


def _as_list(y):
    return [np.asarray(v) for v in (y if isinstance(y, (list, tuple)) else [y])]


def _batches(spec, i):
    """Case `i`'s inputs at batch sizes 1 and 4."""
    return [_inputs(spec, batch, 100 + i) for batch in (1, 4)]


def _keras_outputs(keras):
    """Per case: real Keras's outputs on `_drawn_weights` for both batches stacked (one XLA
    compilation; each row's outputs are its own). Keras's models draw their initial weights
    from numpy (conftest.keras_draws_from_numpy): they are replaced."""
    import jax
    found = {}
    for i, (case, source) in enumerate(CASES.items()):
        scope = exec_layers(source, keras)
        with keras_draws_from_numpy(i):
            ref = scope["build"]()
        ref.set_weights(_drawn_weights(ref, i))
        call = jax.jit(lambda *xs, ref=ref: ref(list(xs) if len(xs) > 1 else xs[0], training=False))
        found[case] = _as_list(call(*[np.concatenate(parts) for parts in zip(*_batches(scope["INPUTS"], i))]))
    return found


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Per case: the exported file's session, and our and Keras's outputs at two batch sizes.
    Our weights are `_drawn_weights` in our order, Keras's in its (the same list where the
    weights are the same: a difference shows in the outputs). Keras's outputs were written by
    scripts/make_keras_reference_fixtures.py (its jit compilations of 31 models were most of
    this fixture's time)."""
    folder = tmp_path_factory.mktemp("onnx")
    keras_outputs = keras_reference("onnx", "keras_onnx_outputs.json")
    results = {}
    for i, (case, source) in enumerate(CASES.items()):
        scope = exec_layers(source, sk)
        ours = scope["build"]()
        ours.set_weights(_drawn_weights(ours, i))
        path = str(folder / f"{case}.onnx")
        ours.export(path, format="onnx", verbose=False)
        runs = []
        for b, xs in enumerate(_batches(scope["INPUTS"], i)):
            rows = slice(0, 1) if b == 0 else slice(1, None)
            feed = xs if len(xs) > 1 else xs[0]
            runs.append((xs, _as_list(ours.predict(feed, verbose=0)), [r[rows] for r in keras_outputs[case]]))
        results[case] = (path, ours, runs)
    return results


@pytest.mark.parametrize("case", list(CASES))
def test_onnx_runtime_matches_ours_and_keras(exported, case):
    path, ours, runs = exported[case]
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert names == [t.name for t in ours.inputs]
    assert [o.name for o in session.get_outputs()] == [f"output_{k}" for k in range(len(ours.outputs))]
    for xs, want_ours, want_keras in runs:
        got = session.run(None, dict(zip(names, xs)))
        assert len(got) == len(want_ours) == len(want_keras)
        for k, (g, o, r) in enumerate(zip(got, want_ours, want_keras)):
            assert g.shape == o.shape == r.shape, (k, g.shape, o.shape, r.shape)
            np.testing.assert_allclose(g, o, rtol=1e-5, atol=1e-5, err_msg=f"{case} output {k} vs ours")
            np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-5, err_msg=f"{case} output {k} vs Keras")


def test_inputs_have_keras_names_and_a_dynamic_batch(exported):
    model = onnx.load(exported["merging_multi_io"][0])
    inputs = [(i.name, [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]) for i in model.graph.input]
    assert inputs == [("a", ["batch", 5]), ("b", ["batch", 5]), ("c", ["batch", 5])]
    assert model.opset_import[0].version == 17
    types = {i.name: i.type.tensor_type.elem_type for i in onnx.load(exported["embedding_preprocessing"][0]).graph.input}
    assert types == {"tokens": onnx.TensorProto.INT32, "raw": onnx.TensorProto.FLOAT}


@pytest.mark.parametrize("opset", [13, 18, 21])
def test_opset_version_is_written_and_runs(exported, tmp_path, opset):
    _, ours, runs = exported["normalization"]
    path = str(tmp_path / "m.onnx")
    ours.export(path, format="onnx", opset_version=opset, verbose=False)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == opset
    xs, want, _ = runs[1]
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: xs[0]})
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)


def test_input_signature_names_the_inputs(tmp_path):
    model = sk.Sequential([sk.Input((3,)), sk.layers.Dense(2)])
    path = str(tmp_path / "m.onnx")
    model.export(path, format="onnx", verbose=False,
                 input_signature=[sk.InputSpec(shape=(None, 3), dtype="float32", name="x")])
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x"]
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(session.run(None, {"x": x})[0], model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_verbose_prints_the_path(tmp_path, capsys):
    model = sk.Sequential([sk.Input((3,)), sk.layers.Dense(2)])
    path = str(tmp_path / "m.onnx")
    model.export(path, format="onnx")
    assert capsys.readouterr().out.strip() == f"Saved artifact at '{path}'."


def test_a_layer_without_onnx_form_is_refused_and_no_file_is_left(tmp_path):
    x = sk.Input((4, 3))
    y = sk.layers.UnitNormalization(name="unit")(x)
    model = sk.Model(x, sk.layers.Dense(1)(y))
    path = tmp_path / "m.onnx"
    with pytest.raises(Exception, match="layer 'unit' of class UnitNormalization"):
        model.export(str(path), format="onnx", verbose=False)
    assert not path.exists() and os.listdir(tmp_path) == []
    custom = sk.Sequential([sk.Input((3,)), sk.layers.Dense(2, activation="hard_silu", name="d"),
                            sk.layers.Dense(2, activation=lambda z: z, name="custom")])
    with pytest.raises(Exception, match="layer 'custom' of class Dense.*activation"):
        custom.export(str(path), format="onnx", verbose=False)
    assert os.listdir(tmp_path) == []


def test_layers_the_export_cannot_write_are_refused(tmp_path):
    """A ConvLSTM over an unknown number of steps (its steps are unrolled), a Lambda over numpy
    (no op graph), and a traced op with no ONNX form: each refused naming the layer."""
    path = tmp_path / "m.onnx"
    frames = sk.Sequential([sk.Input((None, 5, 2)), sk.layers.ConvLSTM1D(2, 3, name="frames")])
    with pytest.raises(Exception, match="layer 'frames' of class ConvLSTM1D.*known number of time steps"):
        frames.export(str(path), format="onnx", verbose=False)
    numpy_lambda = sk.Sequential([sk.Input((4,)), sk.layers.Lambda(lambda z: np.sort(np.asarray(z), axis=-1), name="sorted")])
    with pytest.raises(Exception, match="layer 'sorted' of class Lambda"):
        numpy_lambda.export(str(path), format="onnx", verbose=False)
    ranked = sk.Sequential([sk.Input((4,)), sk.layers.Lambda(lambda z: sk.ops.argmax(z, axis=-1), name="ranked")])
    with pytest.raises(Exception, match="layer 'ranked' of class Lambda.*traced op 'argmax'"):
        ranked.export(str(path), format="onnx", verbose=False)
    assert os.listdir(tmp_path) == []


def test_stateful_recurrent_layers_are_not_exported(tmp_path):
    """A stateful recurrent layer is refused (an ONNX graph keeps no state between runs)."""
    path = tmp_path / "m.onnx"
    stateful = sk.Sequential([sk.Input((5, 3), batch_size=2), sk.layers.LSTM(2, stateful=True, name="s")])
    with pytest.raises(Exception, match="layer 's' of class LSTM.*stateful=True"):
        stateful.export(str(path), format="onnx", verbose=False)
    assert os.listdir(tmp_path) == []


def test_other_formats_and_opsets_are_refused(tmp_path):
    model = sk.Sequential([sk.Input((3,)), sk.layers.Dense(2)])
    with pytest.raises(NotImplementedError, match="tf_saved_model"):
        model.export(str(tmp_path / "m"), verbose=False)
    with pytest.raises(Exception, match="opset_version 9 is not supported"):
        model.export(str(tmp_path / "m.onnx"), format="onnx", opset_version=9, verbose=False)
    with pytest.raises(ValueError, match="has not yet been built"):
        sk.Sequential([sk.layers.Dense(2)]).export(str(tmp_path / "m.onnx"), format="onnx")


def test_glu_matches_keras(tmp_path):
    """glu halves the last axis (Keras's symbolic shape keeps it: (None, 6) for 3 columns)."""
    ours = sk.Sequential([sk.Input((4,)), sk.layers.Dense(6, activation="glu")])
    ref = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="glu")])
    weights = _drawn_weights(ref, 7)
    ours.set_weights(weights)
    ref.set_weights(weights)
    path = str(tmp_path / "glu.onnx")
    ours.export(path, format="onnx", verbose=False)
    x = _inputs([((4,), "float32")], 3, 8)[0]
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(got, np.asarray(ref(x)), rtol=1e-5, atol=1e-5)


def test_traced_cumsum_and_triangles_run_in_onnx(tmp_path):
    """A traced call's cumsum (along an axis, and flattened) and triu/tril are ONNX's CumSum and
    (opset 14 on) Trilu: onnxruntime gives our predict and numpy's numbers at two batch sizes;
    at opset 13 the export refuses triu, naming it."""
    ops = sk.ops
    x = sk.Input((3, 3))
    y = sk.layers.Lambda(lambda z: ops.cumsum(z, axis=1) + ops.triu(z, 1) - ops.tril(z, -1)
                         + ops.reshape(ops.cumsum(z), (-1, 3, 3)) * 0.1, name="scans")(x)
    model = sk.Model(x, y)
    path = str(tmp_path / "scans.onnx")
    model.export(path, format="onnx", verbose=False)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in (1, 4):
        xs = np.random.default_rng(batch).normal(size=(batch, 3, 3)).astype(np.float32)
        want = (np.cumsum(xs, 1) + np.triu(xs, 1) - np.tril(xs, -1) + np.cumsum(xs).reshape(-1, 3, 3) * 0.1)
        got = session.run(None, {session.get_inputs()[0].name: xs})[0]
        np.testing.assert_allclose(got, model.predict(xs, verbose=0), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    with pytest.raises(Exception, match="traced op 'triu' has no ONNX form"):
        model.export(str(tmp_path / "old.onnx"), format="onnx", opset_version=13, verbose=False)


def test_traced_sort_and_roll_run_in_onnx(tmp_path):
    """A traced call's sort (TopK of the axis's size, smallest first; flattened for axis=None)
    and roll (slices at the shift modulo the axis's size, read as the graph runs: along the batch
    too, and flattened) run in onnxruntime with our predict's and numpy's numbers at two batch
    sizes."""
    ops = sk.ops
    x = sk.Input((3, 4))
    y = sk.layers.Lambda(lambda z: ops.sort(z, axis=1) + ops.sort(z, axis=0) * 0.5
                         + ops.roll(z, (1, -5), axis=(0, 2)) - ops.roll(z, 7) * 0.25
                         + ops.reshape(ops.sort(z, axis=None), (-1, 3, 4)) * 0.1, name="moves")(x)
    model = sk.Model(x, y)
    path = str(tmp_path / "moves.onnx")
    model.export(path, format="onnx", verbose=False)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        xs = np.random.default_rng(batch).normal(size=(batch, 3, 4)).astype(np.float32)
        want = (np.sort(xs, 1) + np.sort(xs, 0) * 0.5 + np.roll(xs, (1, -5), axis=(0, 2))
                - np.roll(xs, 7) * 0.25 + np.sort(xs, axis=None).reshape(-1, 3, 4) * 0.1)
        got = session.run(None, {session.get_inputs()[0].name: xs})[0]
        np.testing.assert_allclose(got, model.predict(xs, verbose=0, batch_size=batch), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_traced_kron_runs_in_onnx(tmp_path):
    """A traced call's kron, of the input with itself (the batch multiplies: batch**2 rows) and
    with a constant of lower rank (padded with leading axes), runs in onnxruntime with our
    predict's and numpy's numbers at two batch sizes."""
    ops = sk.ops
    c = np.array([1.0, -2.0], np.float32)
    x = sk.Input((2, 3))
    model = sk.Model(x, [sk.layers.Lambda(lambda z: ops.kron(z, z), name="square")(x),
                         sk.layers.Lambda(lambda z: ops.kron(z, c), name="by_vector")(x)])
    path = str(tmp_path / "kron.onnx")
    model.export(path, format="onnx", verbose=False)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        xs = np.random.default_rng(batch).normal(size=(batch, 2, 3)).astype(np.float32)
        got = session.run(None, {session.get_inputs()[0].name: xs})
        ours = model.predict(xs, verbose=0, batch_size=batch)
        for g, o, want in zip(got, ours, [np.kron(xs, xs), np.kron(xs, c)]):
            np.testing.assert_allclose(g, o, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-5)
