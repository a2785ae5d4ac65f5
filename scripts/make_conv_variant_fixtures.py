"""Writes the transposed, depthwise and separable convolution fixtures of
Tests/KerasTests/Fixtures/conv/ from real Keras 3 (JAX backend): each layer's get_config(),
weights, inputs and inference outputs, and small models with them saved by Keras as .keras and
.h5 with their predictions. (scripts/make_conv_fixtures.py writes the other conv fixtures.)

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_conv_variant_fixtures.py
"""
import os
import sys

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))
import keras  # noqa: E402
import make_layer_fixtures as base  # noqa: E402

base.OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "conv")
base.RNG = np.random.default_rng(20261202)
L = keras.layers
u = base.uniform


def cases():
    yield "conv2d_transpose_valid", L.Conv2DTranspose(3, 3), u(2, 4, 5, 2)
    yield "conv2d_transpose_same_strides_relu", L.Conv2DTranspose(4, (3, 2), strides=2, padding="same",
                                                                  activation="relu"), u(2, 3, 4, 2)
    yield "conv2d_transpose_output_padding", L.Conv2DTranspose(2, 3, strides=(2, 3), output_padding=(1, 2)), u(1, 3, 3, 3)
    yield "conv2d_transpose_same_output_padding_tanh", L.Conv2DTranspose(3, 4, strides=3, padding="same", output_padding=1,
                                                                         activation="tanh"), u(2, 3, 2, 2)
    yield "conv2d_transpose_dilation_channels_first", L.Conv2DTranspose(2, 3, dilation_rate=2, padding="same",
                                                                        data_format="channels_first",
                                                                        use_bias=False), u(2, 3, 4, 5)
    yield "conv2d_transpose_stride_over_kernel", L.Conv2DTranspose(2, 2, strides=3), u(1, 3, 2, 2)
    yield "conv1d_transpose_same_even", L.Conv1DTranspose(3, 4, strides=2, padding="same"), u(2, 5, 2)
    yield "conv1d_transpose_output_padding_sigmoid", L.Conv1DTranspose(2, 3, strides=3, output_padding=2,
                                                                       activation="sigmoid"), u(2, 4, 3)
    yield "conv1d_transpose_same_output_padding_zero", L.Conv1DTranspose(2, 3, strides=2, padding="same",
                                                                         output_padding=0), u(1, 5, 2)
    yield "conv3d_transpose_same", L.Conv3DTranspose(2, (2, 3, 2), strides=(1, 2, 2), padding="same"), u(1, 3, 2, 3, 2)
    yield "conv3d_transpose_channels_first", L.Conv3DTranspose(3, 2, strides=2, data_format="channels_first",
                                                               activation="relu"), u(1, 2, 2, 3, 2)
    yield "depthwise_conv2d_valid", L.DepthwiseConv2D(3), u(2, 5, 6, 3)
    yield "depthwise_conv2d_same_multiplier_relu", L.DepthwiseConv2D((3, 2), strides=2, padding="same", depth_multiplier=2,
                                                                     activation="relu"), u(2, 5, 6, 2)
    yield "depthwise_conv2d_dilation_channels_first", L.DepthwiseConv2D(2, dilation_rate=2, depth_multiplier=3,
                                                                        data_format="channels_first",
                                                                        use_bias=False), u(2, 2, 5, 5)
    yield "depthwise_conv1d_same", L.DepthwiseConv1D(3, strides=2, padding="same", depth_multiplier=2), u(2, 7, 3)
    yield "separable_conv2d_valid", L.SeparableConv2D(4, 3), u(2, 5, 6, 3)
    yield "separable_conv2d_same_strides_tanh", L.SeparableConv2D(5, (3, 2), strides=2, padding="same", depth_multiplier=2,
                                                                  activation="tanh"), u(2, 6, 5, 2)
    yield "separable_conv2d_dilation_channels_first", L.SeparableConv2D(3, 2, dilation_rate=2, data_format="channels_first",
                                                                        use_bias=False), u(2, 2, 5, 6)
    yield "separable_conv1d_same_relu", L.SeparableConv1D(4, 3, padding="same", depth_multiplier=3,
                                                          activation="relu"), u(2, 6, 2)
    yield "separable_conv1d_strides", L.SeparableConv1D(2, 2, strides=2), u(2, 7, 3)


def save_model(name, model, x):
    """Gives `model` random weights, trains it one step, saves it as .keras and .h5 with predictions."""
    base.set_random_weights(model.layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    n = x.shape[0]
    classes = model.output_shape[-1]
    model.fit(x, base.RNG.integers(0, classes, size=n).astype("float32"), epochs=1, verbose=0)
    model.save(os.path.join(base.OUT, name + ".keras"))
    model.save(os.path.join(base.OUT, name + ".h5"))
    base.write(name, {"inputs": [base.array(x)], "outputs": [base.array(model.predict(x, verbose=0))]})


def keras_models():
    save_model("keras_conv_variants_2d", keras.Sequential([
        keras.Input((6, 6, 2)),
        L.SeparableConv2D(4, 3, padding="same", depth_multiplier=2, activation="relu", name="separable"),
        L.DepthwiseConv2D(3, depth_multiplier=2, name="depthwise"),
        L.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1, activation="relu", name="transpose"),
        L.GlobalAveragePooling2D(name="pool"),
        L.Dense(3, activation="softmax", name="out"),
    ], name="keras_conv_variants_2d"), u(5, 6, 6, 2, low=0, high=1))
    save_model("keras_conv_variants_1d", keras.Sequential([
        keras.Input((8, 3)),
        L.SeparableConv1D(4, 3, name="separable"),
        L.DepthwiseConv1D(2, strides=2, name="depthwise"),
        L.Conv1DTranspose(2, 3, strides=2, name="transpose"),
        L.Flatten(name="flatten"),
        L.Dense(2, activation="softmax", name="out"),
    ], name="keras_conv_variants_1d"), u(4, 8, 3, low=0, high=1))
    save_model("keras_conv_variants_3d", keras.Sequential([
        keras.Input((2, 3, 2, 2)),
        L.Conv3DTranspose(2, 2, strides=2, padding="same", name="transpose"),
        L.GlobalMaxPooling3D(name="pool"),
        L.Dense(2, activation="softmax", name="out"),
    ], name="keras_conv_variants_3d"), u(3, 2, 3, 2, 2, low=0, high=1))


def transpose_grid():
    """keras.ops.conv_transpose over a grid of 1D lengths, kernels, strides, dilations, paddings
    and output paddings: the output shapes and values Keras computes."""
    rows = []
    for n in (1, 2, 5):
        for k in (1, 2, 3, 4):
            for s, d in ((1, 1), (2, 1), (3, 1), (1, 2), (1, 3)):
                for padding in ("valid", "same"):
                    for op in [None] + list(range(s)):
                        x, kernel = u(1, n, 2), u(k, 2, 2)
                        shape = keras.ops.conv_transpose(keras.KerasTensor((1, n, 2)), kernel, s, padding, op,
                                                         dilation_rate=d).shape
                        if shape[1] <= 0:
                            continue
                        y = keras.ops.conv_transpose(x, kernel, s, padding, op, dilation_rate=d)
                        rows.append({"n": n, "k": k, "s": s, "d": d, "padding": padding, "output_padding": op,
                                     "x": base.array(x), "kernel": base.array(kernel), "y": base.array(y)})
    base.write("conv_transpose_grid", {"cases": rows})


def main():
    os.makedirs(base.OUT, exist_ok=True)
    for name, layer, x in cases():
        layer.name = name
        base.layer_case(name, layer, x)
    keras_models()
    transpose_grid()


if __name__ == "__main__":
    main()
