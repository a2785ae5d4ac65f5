"""Writes Tests/KerasTests/Fixtures/conv/*.json from real Keras 3 (JAX backend): convolution
and pooling layers with their get_config(), weights, inputs and inference outputs.

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_conv_fixtures.py
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))
import keras  # noqa: E402
import make_layer_fixtures as base  # noqa: E402

base.OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "conv")
L = keras.layers
u = base.uniform


def cases():
    yield "conv2d_valid", L.Conv2D(4, 3, name="conv2d_valid"), u(2, 6, 7, 3)
    yield "conv2d_same_strides_relu", L.Conv2D(5, (3, 2), strides=2, padding="same", activation="relu",
                                                name="conv2d_same_strides_relu"), u(2, 7, 6, 2)
    yield "conv2d_dilation_tanh", L.Conv2D(3, 3, dilation_rate=2, padding="same", activation="tanh",
                                           name="conv2d_dilation_tanh"), u(2, 7, 8, 2)
    yield "conv2d_groups_nobias", L.Conv2D(6, 3, groups=3, use_bias=False, name="conv2d_groups_nobias"), u(2, 5, 5, 6)
    yield "conv2d_channels_first", L.Conv2D(4, 3, padding="same", data_format="channels_first",
                                            name="conv2d_channels_first"), u(2, 3, 5, 6)
    yield "conv2d_softmax", L.Conv2D(3, 2, activation="softmax", name="conv2d_softmax"), u(2, 4, 4, 2)
    yield "conv1d_causal", L.Conv1D(3, 3, padding="causal", dilation_rate=2, name="conv1d_causal"), u(2, 9, 2)
    yield "conv1d_same_strides", L.Conv1D(4, 4, strides=3, padding="same", activation="sigmoid",
                                          name="conv1d_same_strides"), u(3, 10, 3)
    yield "conv3d_same", L.Conv3D(2, (2, 3, 2), strides=(1, 2, 1), padding="same", name="conv3d_same"), u(2, 4, 5, 3, 2)
    yield "conv3d_channels_first", L.Conv3D(3, 2, data_format="channels_first", name="conv3d_channels_first"), u(1, 2, 3, 4, 3)
    yield "maxpool2d_valid", L.MaxPooling2D(name="maxpool2d_valid"), u(2, 5, 6, 3)
    yield "maxpool2d_same_strides", L.MaxPooling2D(3, strides=2, padding="same", name="maxpool2d_same_strides"), u(2, 6, 7, 2)
    yield "maxpool2d_channels_first", L.MaxPooling2D((2, 3), data_format="channels_first",
                                                     name="maxpool2d_channels_first"), u(2, 3, 4, 6)
    yield "avgpool2d_same", L.AveragePooling2D(3, strides=2, padding="same", name="avgpool2d_same"), u(2, 6, 7, 2)
    yield "avgpool2d_valid_strides", L.AveragePooling2D((2, 3), strides=(1, 2), name="avgpool2d_valid_strides"), u(2, 5, 7, 3)
    yield "maxpool1d_same", L.MaxPooling1D(3, strides=2, padding="same", name="maxpool1d_same"), u(2, 7, 3)
    yield "avgpool1d_valid", L.AveragePooling1D(2, name="avgpool1d_valid"), u(2, 7, 3)
    yield "maxpool3d_valid", L.MaxPooling3D(name="maxpool3d_valid"), u(2, 4, 5, 4, 2)
    yield "avgpool3d_same", L.AveragePooling3D(2, padding="same", name="avgpool3d_same"), u(1, 3, 5, 4, 2)
    yield "global_max2d", L.GlobalMaxPooling2D(name="global_max2d"), u(2, 4, 5, 3)
    yield "global_avg2d_keepdims", L.GlobalAveragePooling2D(keepdims=True, name="global_avg2d_keepdims"), u(2, 4, 5, 3)
    yield "global_avg2d_channels_first", L.GlobalAveragePooling2D(data_format="channels_first",
                                                                  name="global_avg2d_channels_first"), u(2, 3, 4, 5)
    yield "global_max1d_keepdims", L.GlobalMaxPooling1D(keepdims=True, name="global_max1d_keepdims"), u(2, 6, 3)
    yield "global_avg1d", L.GlobalAveragePooling1D(name="global_avg1d"), u(2, 6, 3)
    yield "global_max3d", L.GlobalMaxPooling3D(name="global_max3d"), u(2, 3, 4, 2, 3)
    yield "global_avg3d_channels_first", L.GlobalAveragePooling3D(data_format="channels_first",
                                                                  name="global_avg3d_channels_first"), u(2, 3, 2, 4, 2)


def main():
    os.makedirs(base.OUT, exist_ok=True)
    for name, layer, x in cases():
        base.layer_case(name, layer, x)


def keras_cnn():
    """A small CNN saved by Keras as .keras and .h5, with inputs and its predictions."""
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        L.Conv2D(4, 3, activation="relu", name="conv"),
        L.MaxPooling2D(2, name="pool"),
        L.Flatten(name="flatten"),
        L.Dense(3, activation="softmax", name="out"),
    ], name="keras_cnn")
    base.set_random_weights(model.layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = u(5, 8, 8, 1, low=0, high=1)
    model.fit(x, (base.RNG.integers(0, 3, size=5)).astype("float32"), epochs=1, verbose=0)
    model.save(os.path.join(base.OUT, "keras_cnn.keras"))
    model.save(os.path.join(base.OUT, "keras_cnn.h5"))
    base.write("keras_cnn", {"inputs": [base.array(x)], "outputs": [base.array(model.predict(x, verbose=0))]})


if __name__ == "__main__":
    main()
    keras_cnn()
