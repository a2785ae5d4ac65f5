"""keras.io examples as the test (an eleventh set): each example's model code as the tutorial
writes it (Keras 3 versions; only the import differs), on small synthetic data of the example's
shapes and dtypes, run on swiftkeras and on real Keras 3 (JAX backend): the same summary and
parameter count, the same predictions and fit from the same weights, and `.keras` files loaded
both ways.

Sources (keras-team/keras-io):
examples/keras_recipes/mixture_of_experts.py
(https://keras.io/examples/keras_recipes/mixture_of_experts/: DenseMoE and Conv2DMoE, the CIFAR
model of MoE layers between BatchNormalization and MaxPooling2D),
examples/keras_recipes/reproducibility_recipes.py
(https://keras.io/examples/keras_recipes/reproducibility_recipes/: seeded and unseeded
initializer draws after keras.utils.set_random_seed, and its Sequential convnet built by fit,
trained twice alike; its tf.data pipeline is numpy arrays here),
examples/structured_data/regression_boston_housing.py
(https://keras.io/examples/structured_data/regression_boston_housing/: a Sequential made with
`input_shape`, mae and mse metrics, EarlyStopping on val_loss with validation_split; matplotlib
plots left out).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import numpy as np
import pytest

from conftest import needs, CORE, fresh_library
from test_keras_io_examples_3 import _both, _close, _fits_alike, _loads_both_ways, _same_weights
from test_keras_io_examples_8 import _same_summary
from test_keras_io_guides_3 import narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


# -- examples/keras_recipes/mixture_of_experts.py ---------------------------------------------

def moe_classes(keras, layers, ops):
    """The example's DenseMoE and Conv2DMoE, as it writes them."""
    activations = keras.activations

    class DenseMoE(layers.Layer):
        def __init__(self, units, n_experts, expert_activation=None, gating_activation=None,
                     use_expert_bias=True, use_gating_bias=True, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.n_experts = n_experts
            self.expert_activation = activations.get(expert_activation)
            self.gating_activation = activations.get(gating_activation)
            self.use_expert_bias = use_expert_bias
            self.use_gating_bias = use_gating_bias

        def build(self, input_shape):
            input_dim = input_shape[-1]
            self.expert_kernel = self.add_weight(
                name="expert_kernel", shape=(input_dim, self.units, self.n_experts),
                initializer="glorot_uniform", trainable=True)
            if self.use_expert_bias:
                self.expert_bias = self.add_weight(
                    name="expert_bias", shape=(self.units, self.n_experts), initializer="zeros",
                    trainable=True)
            self.gating_kernel = self.add_weight(
                name="gating_kernel", shape=(input_dim, self.n_experts),
                initializer="glorot_uniform", trainable=True)
            if self.use_gating_bias:
                self.gating_bias = self.add_weight(
                    name="gating_bias", shape=(self.n_experts,), initializer="zeros",
                    trainable=True)
            super().build(input_shape)

        def call(self, inputs):
            expert_outputs = ops.tensordot(inputs, self.expert_kernel, axes=1)
            if self.use_expert_bias:
                expert_outputs = expert_outputs + self.expert_bias
            expert_outputs = self.expert_activation(expert_outputs)
            gating_outputs = ops.tensordot(inputs, self.gating_kernel, axes=1)
            if self.use_gating_bias:
                gating_outputs = gating_outputs + self.gating_bias
            gating_outputs = self.gating_activation(gating_outputs)
            gating_outputs = ops.expand_dims(gating_outputs, axis=1)
            output = ops.sum(expert_outputs * gating_outputs, axis=-1)
            return output

        def get_config(self):
            config = super().get_config()
            config.update({
                "units": self.units,
                "n_experts": self.n_experts,
                "expert_activation": activations.serialize(self.expert_activation),
                "gating_activation": activations.serialize(self.gating_activation),
                "use_expert_bias": self.use_expert_bias,
                "use_gating_bias": self.use_gating_bias,
            })
            return config

    class Conv2DMoE(layers.Layer):
        def __init__(self, filters, kernel_size, n_experts, strides=1, padding="valid",
                     expert_activation=None, gating_activation=None, use_expert_bias=True,
                     use_gating_bias=True, **kwargs):
            super().__init__(**kwargs)
            self.filters = filters
            self.kernel_size = (
                kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size))
            self.n_experts = n_experts
            self.strides = strides if isinstance(strides, tuple) else (strides, strides)
            self.padding = padding
            self.expert_activation = activations.get(expert_activation)
            self.gating_activation = activations.get(gating_activation)
            self.use_expert_bias = use_expert_bias
            self.use_gating_bias = use_gating_bias

        def build(self, input_shape):
            input_channels = input_shape[-1]
            self.expert_kernel = self.add_weight(
                name="expert_kernel",
                shape=(self.kernel_size[0], self.kernel_size[1], input_channels, self.filters,
                       self.n_experts),
                initializer="glorot_uniform", trainable=True)
            if self.use_expert_bias:
                self.expert_bias = self.add_weight(
                    name="expert_bias", shape=(self.filters, self.n_experts),
                    initializer="zeros", trainable=True)
            self.gating_kernel = self.add_weight(
                name="gating_kernel", shape=(1, 1, input_channels, self.n_experts),
                initializer="glorot_uniform", trainable=True)
            if self.use_gating_bias:
                self.gating_bias = self.add_weight(
                    name="gating_bias", shape=(self.n_experts,), initializer="zeros",
                    trainable=True)
            super().build(input_shape)

        def call(self, inputs):
            expert_kernel = ops.reshape(
                self.expert_kernel,
                (self.kernel_size[0], self.kernel_size[1], ops.shape(inputs)[-1],
                 self.filters * self.n_experts))
            expert_outputs = ops.conv(inputs, expert_kernel, strides=self.strides,
                                      padding=self.padding)
            output_shape = ops.shape(expert_outputs)
            expert_outputs = ops.reshape(
                expert_outputs,
                (output_shape[0], output_shape[1], output_shape[2], self.filters,
                 self.n_experts))
            if self.use_expert_bias:
                expert_outputs = expert_outputs + self.expert_bias
            expert_outputs = self.expert_activation(expert_outputs)
            gating_outputs = ops.conv(inputs, self.gating_kernel, strides=self.strides,
                                      padding=self.padding)
            if self.use_gating_bias:
                gating_outputs = gating_outputs + self.gating_bias
            gating_outputs = self.gating_activation(gating_outputs)
            gating_outputs = ops.expand_dims(gating_outputs, axis=-2)
            output = ops.sum(expert_outputs * gating_outputs, axis=-1)
            return output

        def get_config(self):
            config = super().get_config()
            config.update({
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "n_experts": self.n_experts,
                "strides": self.strides,
                "padding": self.padding,
                "expert_activation": activations.serialize(self.expert_activation),
                "gating_activation": activations.serialize(self.gating_activation),
                "use_expert_bias": self.use_expert_bias,
                "use_gating_bias": self.use_gating_bias,
            })
            return config

    return DenseMoE, Conv2DMoE


def moe_model(keras, layers, ops, dropout=0.5):
    """The example's create_moe_model, narrower (8x8 images, fewer filters and units)."""
    DenseMoE, Conv2DMoE = moe_classes(keras, layers, ops)
    inputs = keras.Input(shape=(8, 8, 3))
    x = Conv2DMoE(4, 3, n_experts=3, padding="same", expert_activation="relu",
                  gating_activation="softmax")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D(2)(x)
    x = Conv2DMoE(6, 3, n_experts=2, padding="same", expert_activation="relu",
                  gating_activation="softmax")(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = DenseMoE(12, n_experts=4, expert_activation="relu", gating_activation="softmax")(x)
    x = layers.Dropout(dropout)(x)
    x = DenseMoE(8, n_experts=2, expert_activation="relu", gating_activation="softmax")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="moe_model")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, {"DenseMoE": DenseMoE, "Conv2DMoE": Conv2DMoE}


def test_mixture_of_experts_dense_and_conv2d_moe(tmp_path, narrow_terminal):
    """keras.io's standalone MoE layers: DenseMoE (ops.tensordot of a rank-3 expert kernel,
    softmax gating broadcast by ops.expand_dims) and Conv2DMoE (ops.conv with the expert kernel
    reshaped by the input's traced channel count, its output reshaped by ops.shape of a traced
    batch): Keras's summary, predictions, a fit with validation_split from the same weights,
    and `.keras` files loaded both ways with the two classes as custom objects."""
    (model, ours_custom), (ref, ref_custom) = _both(moe_model, dropout=0.0)
    _same_summary(model, ref)
    assert [v.path for v in model.weights] == [v.path for v in ref.weights]
    _same_weights(model, ref, seed=3, scale=0.3)
    rng = np.random.default_rng(0)
    x = rng.random((40, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 10, size=(40, 1))
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="predictions")
    _fits_alike(model, ref, x, y, epochs=2, batch_size=16, validation_split=0.2)
    _refuse_both_ways(model, ref, tmp_path, ours_custom, ref_custom)
    _weights_files_both_ways(model, ref, x[:8], tmp_path)
    _close(model.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-4,
           what="evaluate")


def _refuse_both_ways(model, ref, tmp_path, ours_custom, ref_custom):
    """Neither library loads either `.keras` file: the example's Conv2DMoE keeps its
    `kernel_size` only when given a tuple, and reads back the config's list [3, 3] as a pair of
    lists, a weight shape Keras's standardize_shape refuses (ValueError); ours refuses it alike."""
    import swiftkeras
    keras = __import__("keras")
    paths = [str(tmp_path / "ours.keras"), str(tmp_path / "keras.keras")]
    model.save(paths[0])
    ref.save(paths[1])
    refusal = r"Cannot convert '\(\[3, 3\], \[3, 3\], 3, 4, 3\)' to a shape. Found invalid dimension '\[3, 3\]'"
    for lib, custom in ((swiftkeras, ours_custom), (keras, ref_custom)):
        for path in paths:
            with pytest.raises(ValueError, match=refusal):
                lib.models.load_model(path, custom_objects=custom)


def _weights_files_both_ways(model, ref, x, tmp_path):
    """Each library's `.weights.h5` loads into the other's model, predicting alike."""
    paths = [str(tmp_path / "ours.weights.h5"), str(tmp_path / "keras.weights.h5")]
    model.save_weights(paths[0])
    ref.save_weights(paths[1])
    expected = [np.asarray(model.predict(x, verbose=0)), np.asarray(ref.predict(x, verbose=0))]
    model.load_weights(paths[1])
    ref.load_weights(paths[0])
    _close(model.predict(x, verbose=0), expected[1], rtol=1e-4, atol=1e-5, what="Keras's weights here")
    _close(ref.predict(x, verbose=0), expected[0], rtol=1e-4, atol=1e-5, what="ours in Keras")


# -- examples/keras_recipes/reproducibility_recipes.py ----------------------------------------

INITIALIZERS = ["RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
                "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal",
                "LecunUniform", "Orthogonal"]


def seeded_draws(keras, layers, ops):
    """The example's initializer draws after `keras.utils.set_random_seed(812)`: each class
    called twice with seed=42, two GlorotNormal(seed=42) objects, two unseeded ones."""
    keras.utils.set_random_seed(812)
    initializers = keras.initializers
    initializers_list = [getattr(initializers, name) for name in INITIALIZERS]
    results = []
    for initializer in initializers_list:
        for iteration in range(2):
            # (the example's float() of a (1, 1) array: real Keras on JAX refuses it, below)
            results.append(np.asarray(initializer(seed=42)(shape=(1, 1))))
    input_dim, neurons = 3, 5
    glorot_normal_1 = keras.initializers.GlorotNormal(seed=42)
    glorot_normal_2 = keras.initializers.GlorotNormal(seed=42)
    result_1 = glorot_normal_1(shape=(input_dim, neurons))
    result_2 = glorot_normal_2(shape=(input_dim, neurons))
    glorot_normal_3 = keras.initializers.GlorotNormal()
    glorot_normal_4 = keras.initializers.GlorotNormal()
    result_3 = glorot_normal_3(shape=(input_dim, neurons))
    result_4 = glorot_normal_4(shape=(input_dim, neurons))
    return results, [np.asarray(r) for r in (result_1, result_2, result_3, result_4)]


def reproducible_model(keras, layers, ops, rate=0.2):
    """The example's train_model network (no input shape: built by fit), compiled as it is."""
    model = keras.Sequential([
        layers.Conv2D(4, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(rate),
        layers.Conv2D(4, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Dropout(rate),
        layers.Conv2D(4, (3, 3), activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(8, activation="relu"),
        layers.Dropout(rate),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    return model


def test_reproducibility_recipes_seeded_initializers_and_fits(narrow_terminal):
    """keras.io's reproducibility recipe: after set_random_seed(812) every initializer with
    seed=42 draws Keras's number, twice alike; two seeded GlorotNormal objects draw alike and two
    unseeded ones differ, each as Keras's draws; float() of a (1, 1) draw is refused (TypeError)
    as Keras on JAX refuses it. The train_model network built by its first fit: a second run
    from set_random_seed(812) repeats the history exactly (dropout included), and with rate 0
    it fits as Keras's from the same weights, with Keras's summary."""
    import swiftkeras
    keras = __import__("keras")
    ours, ref = _both(seeded_draws)
    _close(np.concatenate([r.ravel() for r in ours[0]]),
           np.concatenate([r.ravel() for r in ref[0]]), what="seeded draws")
    for a, b, what in zip(ours[1], ref[1], ("seeded 1", "seeded 2", "unseeded 3", "unseeded 4")):
        _close(a, b, what=what)
    assert np.allclose(ours[1][0], ours[1][1]) and not np.allclose(ours[1][2], ours[1][3])
    for lib in (swiftkeras, keras):
        with pytest.raises(TypeError):
            float(lib.initializers.RandomNormal(seed=42)(shape=(1, 1)))

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(48, 20, 20)).astype("uint8")
    labels = rng.integers(0, 10, size=(48,))
    x = np.expand_dims(images.astype("float32") / 255.0, -1)
    histories = []
    for _ in range(2):
        model = reproducible_model(*fresh_library(swiftkeras))
        histories.append(model.fit(x, labels, epochs=2, batch_size=16, shuffle=True,
                                   validation_data=(x[:16], labels[:16]), verbose=0).history)
    assert histories[0] == histories[1]

    model, ref = _both(reproducible_model, rate=0.0)
    for m in (model, ref):
        m.build((None, 20, 20, 1))
    _same_summary(model, ref)
    _same_weights(model, ref, seed=5, scale=0.3)
    _fits_alike(model, ref, x, labels, epochs=2, batch_size=16, validation_data=(x[:16], labels[:16]))


# -- examples/structured_data/regression_boston_housing.py ------------------------------------

def boston_model(keras, layers, ops, features=13):
    """The example's build_model (input_shape on the first Dense, as it writes it)."""
    model = keras.Sequential(
        [
            # input_shape is number of features
            layers.Dense(32, activation="relu", input_shape=[features]),
            layers.Dense(32, activation="relu"),
            layers.Dense(1),
        ]
    )
    model.compile(loss="mse", optimizer="adam", metrics=["mae", "mse"])
    return model


def test_regression_boston_housing_with_early_stopping(tmp_path, narrow_terminal):
    """keras.io's Boston housing regression: the Sequential made with `input_shape` has Keras's
    summary; from the same weights, a fit with validation_split and EarlyStopping on val_loss
    stops where Keras's stops with the same loss, mae and mse logs; evaluate's (loss, mae, mse)
    and the flattened predictions are Keras's; each library loads the other's `.keras` file."""
    rng = np.random.default_rng(42)
    x_all = rng.gamma(2.0, 2.0, size=(72, 13)).astype("float32")
    y_all = rng.normal(size=72).astype("float32")   # (noise: the fit overfits soon and stops)
    split = int(0.7 * len(x_all))
    x_train, y_train, x_test, y_test = x_all[:split], y_all[:split], x_all[split:], y_all[split:]
    model, ref = _both(boston_model, x_train.shape[1])
    _same_summary(model, ref)
    _same_weights(model, ref, seed=7, scale=0.2)
    histories = []
    for m in (model, ref):
        keras = __import__("swiftkeras" if m is model else "keras")
        early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)
        histories.append(m.fit(x_train, y_train, batch_size=32, epochs=12, verbose=0,
                               validation_split=0.3, callbacks=[early_stop],
                               shuffle=False).history)
    assert sorted(histories[0]) == sorted(histories[1]) == sorted(
        ["loss", "mae", "mse", "val_loss", "val_mae", "val_mse"])
    assert len(histories[0]["loss"]) == len(histories[1]["loss"]) < 12
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=1e-4, what=key)
    evaluated = [m.evaluate(x_test, y_test, verbose=0) for m in (model, ref)]
    assert len(evaluated[0]) == 3
    _close(evaluated[0], evaluated[1], rtol=1e-4, what="loss, mae, mse")
    prediction = model.predict(x_test).flatten()
    assert prediction.shape == (len(x_test),)
    _close(prediction, ref.predict(x_test, verbose=0).flatten(), rtol=1e-4, atol=5e-5,
           what="predictions")
    _loads_both_ways(model, ref, x_test, tmp_path, None, None)
