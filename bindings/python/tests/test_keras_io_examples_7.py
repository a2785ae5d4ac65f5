"""keras.io examples as the test (a seventh set): each example's model code as the tutorial
writes it (Keras 3 versions; only the import differs), on small synthetic data of the example's
shapes and dtypes, run on swiftkeras and on real Keras 3 (JAX backend): the same summary, the
same predictions and fit from the same weights, the callbacks' files, and `.keras` files
loaded both ways.

Sources (keras-team/keras-io):
examples/keras_recipes/approximating_non_function_mappings.py
(https://keras.io/examples/keras_recipes/approximating_non_function_mappings/: the mixture
density network, MixtureDensityOutput holding three Dense layers, one with a Python activation
function (elu_plus_one_plus_epsilon), and overriding `trainable_weights`; fit with EarlyStopping
and ReduceLROnPlateau. Its loss builds a tensorflow_probability Mixture, TensorFlow only: here
the same negative log-likelihood of a Gaussian mixture is written with keras.ops),
examples/timeseries/lstm_vs_cnn_timeseries_classification.py
(https://keras.io/examples/timeseries/lstm_vs_cnn_timeseries_classification/: its LSTM and 1D
CNN models, trained with ModelCheckpoint(save_best_only) and EarlyStopping(restore_best_weights),
the best file loaded back and evaluated), and examples/audio/speaker_recognition_using_cnn.py
(https://keras.io/examples/audio/speaker_recognition_using_cnn/: the residual 1D convnet on FFT
magnitudes, fit with EarlyStopping and ModelCheckpoint on val_accuracy). The datasets the
examples download (a noisy spiral, FordA, speech recordings) are random data of the same
shapes, shorter; widths are smaller so each test runs in seconds. Dropout draws from each
library's own random stream, so the fits through dropout are compared on the same model built
with rate 0 (the dropout model's predictions, inference, are compared as they are).
"""
import os

import numpy as np
import pytest

from conftest import needs, CORE, fresh_library, summary_lines
from test_keras_io_examples_3 import _both, _close, _loads_both_ways, _same_weights
from test_keras_io_guides_3 import _libs, narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


# -- examples/keras_recipes/approximating_non_function_mappings.py -----------------------------

N_HIDDEN, OUTPUT_DIMS, N_MIXES = 16, 1, 4


def mixture_density_network(keras_core, layers, ops):
    def elu_plus_one_plus_epsilon(x):
        return keras_core.activations.elu(x) + 1 + keras_core.backend.epsilon()

    class MixtureDensityOutput(layers.Layer):
        def __init__(self, output_dimension, num_mixtures, **kwargs):
            super().__init__(**kwargs)
            self.output_dim = output_dimension
            self.num_mix = num_mixtures
            self.mdn_mus = layers.Dense(
                self.num_mix * self.output_dim, name="mdn_mus"
            )  # mix*output vals, no activation
            self.mdn_sigmas = layers.Dense(
                self.num_mix * self.output_dim,
                activation=elu_plus_one_plus_epsilon,
                name="mdn_sigmas",
            )  # mix*output vals exp activation
            self.mdn_pi = layers.Dense(self.num_mix, name="mdn_pi")  # mix vals, logits

        def build(self, input_shape):
            self.mdn_mus.build(input_shape)
            self.mdn_sigmas.build(input_shape)
            self.mdn_pi.build(input_shape)
            super().build(input_shape)

        @property
        def trainable_weights(self):
            return (
                self.mdn_mus.trainable_weights
                + self.mdn_sigmas.trainable_weights
                + self.mdn_pi.trainable_weights
            )

        @property
        def non_trainable_weights(self):
            return (
                self.mdn_mus.non_trainable_weights
                + self.mdn_sigmas.non_trainable_weights
                + self.mdn_pi.non_trainable_weights
            )

        def call(self, x, mask=None):
            return layers.concatenate(
                [self.mdn_mus(x), self.mdn_sigmas(x), self.mdn_pi(x)], name="mdn_outputs"
            )

    mdn_network = keras_core.Sequential(
        [
            layers.Dense(N_HIDDEN, activation="relu"),
            layers.Dense(N_HIDDEN, activation="relu"),
            MixtureDensityOutput(OUTPUT_DIMS, N_MIXES),
        ]
    )

    def get_mixture_loss_func(output_dim, num_mixes):
        def mdn_loss_func(y_true, y_pred):
            # Reshape inputs in case this is used in a TimeDistributed layer
            y_pred = ops.reshape(y_pred, [-1, (2 * num_mixes * output_dim) + num_mixes])
            y_true = ops.reshape(y_true, [-1, output_dim])
            # Split the inputs into parameters
            out_mu, out_sigma, out_pi = ops.split(
                y_pred, [num_mixes * output_dim, 2 * num_mixes * output_dim], axis=-1
            )
            # (the example's tfd.Mixture of tfd.MultivariateNormalDiag: its log_prob)
            mus = ops.reshape(out_mu, [-1, num_mixes, output_dim])
            sigs = ops.reshape(out_sigma, [-1, num_mixes, output_dim])
            z = (ops.expand_dims(y_true, 1) - mus) / sigs
            log_normal = ops.sum(-0.5 * ops.square(z) - ops.log(sigs) - 0.5 * np.log(2 * np.pi), axis=-1)
            log_prob = ops.logsumexp(ops.log_softmax(out_pi, axis=-1) + log_normal, axis=-1)
            return ops.mean(-log_prob)

        return mdn_loss_func

    loss = get_mixture_loss_func(OUTPUT_DIMS, N_MIXES)
    mdn_network.compile(loss=loss, optimizer="adam")
    return mdn_network, {"MixtureDensityOutput": MixtureDensityOutput,
                         "elu_plus_one_plus_epsilon": elu_plus_one_plus_epsilon,
                         "mdn_loss_func": loss}


def noisy_spiral(n, seed=0, jitter_std=0.2, revolutions=2):
    """The example's create_noisy_spiral (its x and y columns), from a seeded generator."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi * revolutions, [n])
    result = np.stack([angle * np.cos(angle), angle * np.sin(angle)], axis=1)
    result = result + rng.normal(scale=jitter_std, size=[n, 2])
    result = 5 * (result - np.min(result)) / (np.max(result) - np.min(result))
    return result[:, 0:1].astype("float32"), result[:, 1:].astype("float32")


def test_mixture_density_network_like_keras(tmp_path):
    """MixtureDensityOutput's `mdn_sigmas` Dense takes the Python function
    elu_plus_one_plus_epsilon as its activation. The binding registers it with the library as
    the layer is built, inside the library's reading of the model's config; that registration
    went into the scope the library enters while it reads a config and vanished with it, so a
    second model naming the function, or the saved file loaded back, failed with "Unknown
    activation 'elu_plus_one_plus_epsilon'". Now registrations reach only scopes the caller
    entered (keras_scope_push): the weights, predictions, a fit with validation_split,
    EarlyStopping and ReduceLROnPlateau (its learning_rate log), and files equal Keras's, and a
    model built after the load still finds the function."""
    x, y = noisy_spiral(48)
    (model, custom), (ref, ref_custom) = _both(mixture_density_network)
    for m in (model, ref):
        m.build((None, 1))
    assert [v.path for v in model.weights] == [v.path for v in ref.weights]
    assert len(model.layers[-1].trainable_weights) == len(ref.layers[-1].trainable_weights) == 6
    _same_weights(model, ref, seed=3, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="mixture parameters")

    def callbacks(lib):
        return [lib.callbacks.EarlyStopping(monitor="loss", patience=10, restore_best_weights=True),
                lib.callbacks.ReduceLROnPlateau(monitor="loss", patience=5)]

    histories = [m.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                       shuffle=False, callbacks=callbacks(lib)).history
                 for m, lib in zip((model, ref), _libs())]
    assert sorted(histories[0]) == sorted(histories[1]) == ["learning_rate", "loss", "val_loss"]
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=1e-4, what=key)
    for a, b, v in zip(model.get_weights(), ref.get_weights(), ref.weights):
        _close(a, b, rtol=1e-3, atol=2e-5, what=f"trained {v.path}")
    _loads_both_ways(model, ref, x, tmp_path, custom, ref_custom)

    # The function stays known after the reads above: a new model names it again.
    again, _ = mixture_density_network(*fresh_library(_libs()[0]))
    again.build((None, 1))
    again.set_weights(model.get_weights())
    _close(again.predict(x, verbose=0), model.predict(x, verbose=0), what="a second model")


# -- examples/timeseries/lstm_vs_cnn_timeseries_classification.py ------------------------------

def build_lstm_model(keras, layers, ops, input_shape, num_classes, rate=0.3):
    """Build an LSTM-based model for timeseries classification."""
    model = keras.Sequential([
        layers.Input(shape=input_shape),
        layers.LSTM(8, return_sequences=True, dropout=rate, recurrent_dropout=rate),
        layers.LSTM(4, dropout=rate, recurrent_dropout=rate),
        layers.Dense(16, activation="relu"),
        layers.Dense(num_classes, activation="softmax")
    ])
    return model


def build_cnn_model(keras, layers, ops, input_shape, num_classes, rate=0.3):
    """Build a 1D CNN-based model for timeseries classification."""
    model = keras.Sequential([
        layers.Input(shape=input_shape),
        layers.Conv1D(filters=8, kernel_size=7, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling1D(pool_size=2),
        layers.Dropout(rate),
        layers.Conv1D(filters=12, kernel_size=5, padding="same", activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling1D(pool_size=2),
        layers.Dropout(rate),
        layers.GlobalAveragePooling1D(),
        layers.Dense(16, activation="relu"),
        layers.Dense(num_classes, activation="softmax")
    ])
    return model


def train_model(keras, model, model_name, x_train, y_train, x_test, y_test, folder,
                epochs=3, batch_size=8):
    """Train and evaluate a model, return history and test metrics."""
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"]
    )
    history = model.fit(
        x_train,
        y_train,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=0.2,
        callbacks=[
            keras.callbacks.ModelCheckpoint(
                os.path.join(folder, f"best_{model_name}_model.keras"),
                save_best_only=True,
                monitor="val_loss"
            ),
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=20,
                restore_best_weights=True
            )
        ],
        verbose=0,
        shuffle=False,   # (the example shuffles once, with numpy, before)
    )
    # Load best model for evaluation
    best_model = keras.models.load_model(os.path.join(folder, f"best_{model_name}_model.keras"))
    test_loss, test_acc = best_model.evaluate(x_test, y_test, verbose=0)
    return history, test_acc, test_loss


def forda_like(rows, timesteps=16, seed=0):
    """FordA's shapes: univariate float32 series as (rows, timesteps, 1), labels {0, 1}."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(rows, timesteps, 1)).astype("float32"), rng.integers(0, 2, rows)


@pytest.mark.parametrize("build", [build_lstm_model, build_cnn_model], ids=["lstm", "cnn"])
def test_lstm_vs_cnn_timeseries_classification_like_keras(build, tmp_path, narrow_terminal):
    """Both models of the example: with its dropout the same predictions (inference) from the
    same weights; built with rate 0, the same fit logs through ModelCheckpoint(save_best_only)
    and EarlyStopping(restore_best_weights), and the best file each library wrote, loaded back,
    evaluates to the same loss and accuracy."""
    x_train, y_train = forda_like(40)
    x_test, y_test = forda_like(10, seed=1)
    model, ref = _both(build, x_train.shape[1:], 2)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=1, scale=0.3)
    _close(model.predict(x_test, verbose=0), ref.predict(x_test, verbose=0), what="with dropout")

    model, ref = _both(build, x_train.shape[1:], 2, rate=0.0)
    _same_weights(model, ref, seed=2, scale=0.3)
    runs = []
    for lib, m in zip(_libs(), (model, ref)):
        folder = tmp_path / lib.__name__
        folder.mkdir()
        runs.append(train_model(lib, m, build.__name__, x_train, y_train, x_test, y_test, str(folder)))
    (history, acc, loss), (ref_history, ref_acc, ref_loss) = runs
    assert sorted(history.history) == sorted(ref_history.history)
    for key in ref_history.history:
        _close(history.history[key], ref_history.history[key], rtol=1e-4, what=key)
    _close([acc, loss], [ref_acc, ref_loss], rtol=1e-4, what="the best model's evaluation")


def test_evaluate_reports_nan_like_keras():
    """A loss and metric that are NaN (the CNN above from weights whose BatchNormalization
    moving variances are negative): Keras's evaluate reports nan; the library's results JSON
    writes null there, which evaluate gave back as None."""
    results = []
    for lib in _libs():
        model = lib.Sequential([lib.Input((2,)), lib.layers.BatchNormalization(), lib.layers.Dense(1)])
        model.compile("adam", "mse", metrics=["mae"])
        weights = model.get_weights()
        weights[3] = -np.ones(2, "float32")   # moving_variance
        model.set_weights(weights)
        x = np.ones((4, 2), "float32")
        results.append((model.evaluate(x, np.ones(4), verbose=0),
                        model.evaluate(x, np.ones(4), verbose=0, return_dict=True)))
    (values, logs), (ref_values, ref_logs) = results
    assert np.isnan(values).all() and np.isnan(ref_values).all()
    assert sorted(logs) == sorted(ref_logs) == ["loss", "mae"]
    assert all(isinstance(v, float) and np.isnan(v) for v in logs.values())


# -- examples/audio/speaker_recognition_using_cnn.py -------------------------------------------

def speaker_recognition_model(keras, layers, ops, input_shape, num_classes):
    def residual_block(x, filters, conv_num=3, activation="relu"):
        # Shortcut
        s = keras.layers.Conv1D(filters, 1, padding="same")(x)
        for i in range(conv_num - 1):
            x = keras.layers.Conv1D(filters, 3, padding="same")(x)
            x = keras.layers.Activation(activation)(x)
        x = keras.layers.Conv1D(filters, 3, padding="same")(x)
        x = keras.layers.Add()([x, s])
        x = keras.layers.Activation(activation)(x)
        return keras.layers.MaxPool1D(pool_size=2, strides=2)(x)

    def build_model(input_shape, num_classes):
        inputs = keras.layers.Input(shape=input_shape, name="input")

        x = residual_block(inputs, 4, 2)
        x = residual_block(x, 4, 2)
        x = residual_block(x, 8, 3)
        x = residual_block(x, 8, 3)
        x = residual_block(x, 8, 3)

        x = keras.layers.AveragePooling1D(pool_size=3, strides=3)(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(16, activation="relu")(x)
        x = keras.layers.Dense(8, activation="relu")(x)

        outputs = keras.layers.Dense(num_classes, activation="softmax", name="output")(x)

        return keras.models.Model(inputs=inputs, outputs=outputs)

    model = build_model(input_shape, num_classes)
    # Compile the model using Adam's default learning rate
    model.compile(
        optimizer="Adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def test_speaker_recognition_cnn_like_keras(tmp_path, narrow_terminal):
    """The residual 1D convnet on the magnitudes of the first half of each recording's FFT (the
    example's audio_to_fft, numpy's FFT here): the same summary, predictions, a fit with
    EarlyStopping(restore_best_weights) and ModelCheckpoint(monitor="val_accuracy",
    save_best_only=True), its evaluation, and the checkpoint file loaded both ways."""
    rng = np.random.default_rng(0)
    sampling_rate = 256   # (16000 in the example: one second of speech)
    audio = rng.normal(size=(24, sampling_rate)).astype("float32")
    x = np.abs(np.fft.fft(audio)[:, : sampling_rate // 2])[..., None].astype("float32")
    y = rng.integers(0, 5, 24)
    model, ref = _both(speaker_recognition_model, (sampling_rate // 2, 1), 5)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=4, scale=0.2)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="speaker probabilities")
    histories = []
    for lib, m in zip(_libs(), (model, ref)):
        path = str(tmp_path / f"{lib.__name__}.keras")
        earlystopping_cb = lib.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
        mdlcheckpoint_cb = lib.callbacks.ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True)
        histories.append(m.fit(x[:16], y[:16], epochs=3, batch_size=8, validation_data=(x[16:], y[16:]),
                               callbacks=[earlystopping_cb, mdlcheckpoint_cb], verbose=0, shuffle=False).history)
    assert sorted(histories[0]) == sorted(histories[1])
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=1e-4, what=key)
    _close(model.evaluate(x[16:], y[16:], verbose=0), ref.evaluate(x[16:], y[16:], verbose=0),
           rtol=1e-4, what="evaluate")
    import swiftkeras
    keras = _libs()[1]
    ours_file, keras_file = (str(tmp_path / f"{lib.__name__}.keras") for lib in _libs())
    _close(keras.models.load_model(ours_file).predict(x, verbose=0),
           swiftkeras.models.load_model(keras_file).predict(x, verbose=0), rtol=1e-4, atol=1e-5,
           what="each library's checkpoint loaded by the other")
