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
magnitudes, fit with EarlyStopping and ModelCheckpoint on val_accuracy), and
examples/timeseries/timeseries_traffic_forecasting.py
(https://keras.io/examples/timeseries/timeseries_traffic_forecasting/: GraphConv and LSTMGC, the
graph convolution called on the nodes-first transpose of the batch; keras.ops.segment_sum and
keras.ops.take where the example calls tf.math.unsorted_segment_mean and tf.gather). The
datasets the examples download (a noisy spiral, FordA, speech recordings, PeMSD7 speeds and
distances) are random data of the same shapes, shorter; widths are smaller so each test runs in
seconds. And examples/keras_recipes/sklearn_metric_callbacks.py
(https://keras.io/examples/keras_recipes/sklearn_metric_callbacks/: a Callback computing
scikit-learn's jaccard_score of the model's predictions into a standalone keras.metrics.Mean;
its tf.summary writer records the values instead). Dropout draws from each
library's own random stream, so the fits through dropout are compared on the same model built
with rate 0 (the dropout model's predictions, inference, are compared as they are).
And examples/nlp/text_classification_with_switch_transformer.py
(https://keras.io/examples/nlp/text_classification_with_switch_transformer/: the Switch layer
reshapes its (batch, tokens, embed) input to a fixed number of rows, batch_size *
num_tokens_per_example, and back with the batch read by ops.shape; its Router adds a
load-balancing loss and, in training, noise drawn with keras.random.uniform).
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
    model built after the load still finds the function. That model's build makes the function
    anew (another closure of the same name), whose registration dropped the earlier one's ctypes
    thunk while the first model still called it: its next predict crashed the interpreter."""
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


# -- examples/timeseries/timeseries_traffic_forecasting.py -------------------------------------

class GraphInfo:
    def __init__(self, edges, num_nodes):
        self.edges = edges
        self.num_nodes = num_nodes


def compute_adjacency_matrix(route_distances, sigma2, epsilon):
    """Computes the adjacency matrix from distances matrix (the example's, as it writes it)."""
    num_routes = route_distances.shape[0]
    route_distances = route_distances / 10000.0
    w2, w_mask = (
        route_distances * route_distances,
        np.ones([num_routes, num_routes]) - np.identity(num_routes),
    )
    return (np.exp(-w2 / sigma2) >= epsilon) * w_mask


def traffic_forecasting_model(keras, layers, ops, graph, aggregation_type="mean", in_feat=1,
                              out_feat=4, lstm_units=8, input_sequence_length=12, forecast_horizon=3):
    class GraphConv(layers.Layer):
        def __init__(
            self,
            in_feat,
            out_feat,
            graph_info,
            aggregation_type="mean",
            combination_type="concat",
            activation=None,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.in_feat = in_feat
            self.out_feat = out_feat
            self.graph_info = graph_info
            self.aggregation_type = aggregation_type
            self.combination_type = combination_type
            self.weight = self.add_weight(
                initializer=keras.initializers.GlorotUniform(),
                shape=(in_feat, out_feat),
                dtype="float32",
                trainable=True,
            )
            self.activation = layers.Activation(activation)

        def aggregate(self, neighbour_representations):
            def unsorted_segment_mean(data, segment_ids, num_segments):
                # (tf.math.unsorted_segment_mean in the example: keras.ops has segment sums)
                total = ops.segment_sum(data, segment_ids, num_segments=num_segments)
                count = ops.segment_sum(ops.ones_like(data), segment_ids, num_segments=num_segments)
                return total / ops.maximum(count, 1)

            aggregation_func = {
                "sum": ops.segment_sum,
                "mean": unsorted_segment_mean,
                "max": ops.segment_max,
            }.get(self.aggregation_type)

            if aggregation_func:
                return aggregation_func(
                    neighbour_representations,
                    ops.convert_to_tensor(self.graph_info.edges[0]),
                    num_segments=self.graph_info.num_nodes,
                )

            raise ValueError(f"Invalid aggregation type: {self.aggregation_type}")

        def compute_nodes_representation(self, features):
            return ops.matmul(features, self.weight)

        def compute_aggregated_messages(self, features):
            neighbour_representations = ops.take(features, self.graph_info.edges[1], axis=0)
            aggregated_messages = self.aggregate(neighbour_representations)
            return ops.matmul(aggregated_messages, self.weight)

        def update(self, nodes_representation, aggregated_messages):
            if self.combination_type == "concat":
                h = ops.concatenate([nodes_representation, aggregated_messages], axis=-1)
            elif self.combination_type == "add":
                h = nodes_representation + aggregated_messages
            else:
                raise ValueError(f"Invalid combination type: {self.combination_type}.")

            return self.activation(h)

        def call(self, features):
            nodes_representation = self.compute_nodes_representation(features)
            aggregated_messages = self.compute_aggregated_messages(features)
            return self.update(nodes_representation, aggregated_messages)

    class LSTMGC(layers.Layer):
        """Layer comprising a convolution layer followed by LSTM and dense layers."""

        def __init__(
            self,
            in_feat,
            out_feat,
            lstm_units,
            input_seq_len,
            output_seq_len,
            graph_info,
            graph_conv_params=None,
            **kwargs,
        ):
            super().__init__(**kwargs)

            # graph conv layer
            if graph_conv_params is None:
                graph_conv_params = {
                    "aggregation_type": "mean",
                    "combination_type": "concat",
                    "activation": None,
                }
            self.graph_conv = GraphConv(in_feat, out_feat, graph_info, **graph_conv_params)

            self.lstm = layers.LSTM(lstm_units, activation="relu")
            self.dense = layers.Dense(output_seq_len)

            self.input_seq_len, self.output_seq_len = input_seq_len, output_seq_len

        def call(self, inputs):
            # convert shape to  (num_nodes, batch_size, input_seq_len, in_feat)
            inputs = ops.transpose(inputs, [2, 0, 1, 3])

            gcn_out = self.graph_conv(
                inputs
            )  # gcn_out has shape: (num_nodes, batch_size, input_seq_len, out_feat)
            shape = ops.shape(gcn_out)
            num_nodes, batch_size, input_seq_len, out_feat = (
                shape[0],
                shape[1],
                shape[2],
                shape[3],
            )

            # LSTM takes only 3D tensors as input
            gcn_out = ops.reshape(
                gcn_out, (batch_size * num_nodes, input_seq_len, out_feat)
            )
            lstm_out = self.lstm(
                gcn_out
            )  # lstm_out has shape: (batch_size * num_nodes, lstm_units)

            dense_output = self.dense(
                lstm_out
            )  # dense_output has shape: (batch_size * num_nodes, output_seq_len)
            output = ops.reshape(dense_output, (num_nodes, batch_size, self.output_seq_len))
            return ops.transpose(
                output, [1, 2, 0]
            )  # returns Tensor of shape (batch_size, output_seq_len, num_nodes)

    graph_conv_params = {
        "aggregation_type": aggregation_type,
        "combination_type": "concat",
        "activation": None,
    }
    st_gcn = LSTMGC(
        in_feat,
        out_feat,
        lstm_units,
        input_sequence_length,
        forecast_horizon,
        graph,
        graph_conv_params,
    )
    inputs = layers.Input((input_sequence_length, graph.num_nodes, in_feat))
    outputs = st_gcn(inputs)

    model = keras.models.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=0.0002),
        loss=keras.losses.MeanSquaredError(),
    )
    return model


def test_traffic_forecasting_graph_conv_lstm_like_keras():
    """LSTMGC transposes its input to (nodes, batch, time, features) and calls GraphConv on it:
    Keras builds GraphConv for that symbolic shape, the nodes known and the batch (second axis)
    unknown. The library built a layer called inside a traced call for an unknown first axis,
    so GraphConv's own trace ran on two nodes (its probe batch) and failed at
    `ops.take(features, edges[1], axis=0)` ("index 2 is out of bounds for an axis of size 2").
    It is now built for the axes the batch moves (read from the traced call's two probes, of
    different batch sizes): the same forecasts, a fit with EarlyStopping and the same trained
    weights as Keras's."""
    rng = np.random.default_rng(0)
    num_routes = 5   # (26 roads sampled from PeMSD7's 228 in the example)
    route_distances = rng.uniform(0, 6000, (num_routes, num_routes))
    route_distances = (route_distances + route_distances.T) / 2
    adjacency_matrix = compute_adjacency_matrix(route_distances, sigma2=0.1, epsilon=0.5)
    node_indices, neighbor_indices = np.where(adjacency_matrix == 1)
    graph = GraphInfo(
        edges=(node_indices.tolist(), neighbor_indices.tolist()),
        num_nodes=adjacency_matrix.shape[0],
    )
    assert 0 < len(graph.edges[0]) < num_routes * (num_routes - 1)   # a graph, not all or none
    # (batch, input_sequence_length, num_routes, 1) speeds and (batch, 1, num_routes) targets
    x = rng.normal(size=(12, 12, num_routes, 1)).astype("float32")
    y = rng.normal(size=(12, 1, num_routes)).astype("float32")
    model, ref = _both(traffic_forecasting_model, graph, forecast_horizon=1)
    # (GraphConv's own weight, made by add_weight in __init__ without a name, is Keras's
    # 'graph_conv/variable' and here 'lstmgc/graph_conv/kernel': the library names such a
    # weight, and paths it under its parent, as if it were made in build. Not fixed here.)
    assert [v.path for v in model.weights][1:] == [v.path for v in ref.weights][1:]
    assert [tuple(v.shape) for v in model.weights] == [tuple(v.shape) for v in ref.weights]
    _same_weights(model, ref, seed=5, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="forecasts")
    histories = [m.fit(x, y, epochs=2, batch_size=4, validation_data=(x[:4], y[:4]), verbose=0,
                       shuffle=False, callbacks=[lib.callbacks.EarlyStopping(patience=10)]).history
                 for m, lib in zip((model, ref), _libs())]
    assert sorted(histories[0]) == sorted(histories[1]) == ["loss", "val_loss"]
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=1e-4, what=key)
    for a, b, v in zip(model.get_weights(), ref.get_weights(), ref.weights):
        _close(a, b, rtol=1e-3, atol=2e-5, what=f"trained {v.path}")


# -- examples/keras_recipes/sklearn_metric_callbacks.py ----------------------------------------

def jaccard_score_fit(keras, layers, ops, x_train, y_train, x_test, y_test, weights):
    """The example's JaccardScoreCallback and model, fit; (what the callback wrote, the History).
    Its `_write_metric` wrote with tf.summary (TensorFlow only): here it records what it would
    write; `result().numpy()` (a TensorFlow tensor's method: Keras's JAX arrays lack it too) is
    keras.ops.convert_to_numpy."""
    from sklearn.metrics import jaccard_score
    written = []

    class JaccardScoreCallback(keras.callbacks.Callback):
        """Computes the Jaccard score and logs the results to TensorBoard."""

        def __init__(self, name, x_test, y_test, log_dir):
            self.x_test = x_test
            self.y_test = y_test
            self.keras_metric = keras.metrics.Mean("jaccard_score")
            self.epoch = 0

        def on_epoch_end(self, batch, logs=None):
            self.epoch += 1
            self.keras_metric.reset_state()
            predictions = self.model.predict(self.x_test, verbose=0)
            jaccard_value = jaccard_score(
                np.argmax(predictions, axis=-1), self.y_test, average=None
            )
            self.keras_metric.update_state(jaccard_value)
            self._write_metric(
                self.keras_metric.name,
                keras.ops.convert_to_numpy(self.keras_metric.result()).astype(float),
            )

        def _write_metric(self, name, value):
            written.append((name, self.epoch, float(value)))

    num_classes = 3
    input_shape = (10, 10, 1)   # (MNIST's 28 x 28 in the example)
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(4, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.0),   # (0.5 in the example: each library draws its own masks)
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.set_weights(weights)
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    callbacks = [
        JaccardScoreCallback(model.name, x_test, np.argmax(y_test, axis=-1), "logs")
    ]
    history = model.fit(x_train, y_train, batch_size=8, epochs=3, validation_split=0.1,
                        callbacks=callbacks, verbose=0, shuffle=False)
    return written, history.history


def test_sklearn_metric_callback_like_keras():
    """A Callback subclass whose __init__ does not call Callback's, calling `self.model.predict`
    at each epoch's end, a scikit-learn metric of the predictions averaged by a standalone
    keras.metrics.Mean (reset_state, update_state of an array, result): the same scores at each
    epoch, and the same fit logs, as in Keras."""
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (40, 10, 10, 1)).astype("float32") / 255
    x_test = rng.integers(0, 256, (20, 10, 10, 1)).astype("float32") / 255
    y_train = np.eye(3, dtype="float32")[rng.integers(0, 3, 40)]
    y_test = np.eye(3, dtype="float32")[rng.integers(0, 3, 20)]
    shapes = [(3, 3, 1, 4), (4,), (3, 3, 4, 8), (8,), (8, 3), (3,)]
    weights = [rng.normal(scale=0.3, size=s).astype("float32") for s in shapes]
    (written, history), (ref_written, ref_history) = _both(jaccard_score_fit, x_train, y_train,
                                                           x_test, y_test, weights)
    assert [w[:2] for w in written] == [w[:2] for w in ref_written] == [("jaccard_score", e) for e in (1, 2, 3)]
    _close([w[2] for w in written], [w[2] for w in ref_written], what="jaccard scores")
    assert sorted(history) == sorted(ref_history)
    for key in ref_history:
        _close(history[key], ref_history[key], rtol=1e-4, what=key)


# -- examples/nlp/text_classification_with_switch_transformer.py -------------------------------

SWITCH_SIZES = dict(vocab_size=50, num_tokens_per_example=8, embed_dim=8, num_heads=2, ff_dim=8,
                    num_experts=4, batch_size=4)


def switch_transformer_classifier(keras, layers, ops, vocab_size, num_tokens_per_example,
                                  embed_dim, num_heads, ff_dim, num_experts, batch_size,
                                  dropout_rate=0.25, router_noise=True):
    """The example's classifier as it writes it, but for the Router's noise: Keras with JAX
    refuses an unseeded keras.random.uniform in a traced call (this library too, with Keras's
    message), so it draws with a SeedGenerator, and `router_noise=False` leaves it out (each
    library draws its own numbers)."""
    num_tokens_per_batch = batch_size * num_tokens_per_example

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            x = self.token_emb(x)
            return x + positions

    def create_feedforward_network(ff_dim, embed_dim, name=None):
        return keras.Sequential(
            [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)], name=name
        )

    def load_balanced_loss(router_probs, expert_mask):
        num_experts = ops.shape(expert_mask)[-1]
        density = ops.mean(expert_mask, axis=0)
        density_proxy = ops.mean(router_probs, axis=0)
        loss = ops.mean(density_proxy * density) * ops.cast((num_experts**2), "float32")
        return loss

    class Router(layers.Layer):
        def __init__(self, num_experts, expert_capacity):
            self.num_experts = num_experts
            self.route = layers.Dense(units=num_experts)
            self.expert_capacity = expert_capacity
            super().__init__()
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs, training=False):
            router_logits = self.route(inputs)
            if training and router_noise:
                router_logits += keras.random.uniform(
                    shape=router_logits.shape, minval=0.9, maxval=1.1, seed=self.seed_generator
                )
            router_probs = keras.activations.softmax(router_logits, axis=-1)
            expert_gate, expert_index = ops.top_k(router_probs, k=1)
            expert_mask = ops.one_hot(expert_index, self.num_experts)
            aux_loss = load_balanced_loss(router_probs, expert_mask)
            self.add_loss(aux_loss)
            position_in_expert = ops.cast(
                ops.cumsum(expert_mask, axis=0) * expert_mask, "int32"
            )
            expert_mask *= ops.cast(
                ops.less(ops.cast(position_in_expert, "int32"), self.expert_capacity),
                "float32",
            )
            expert_mask_flat = ops.sum(expert_mask, axis=-1)
            expert_gate *= expert_mask_flat
            combined_tensor = ops.expand_dims(
                expert_gate
                * expert_mask_flat
                * ops.squeeze(ops.one_hot(expert_index, self.num_experts), 1),
                -1,
            ) * ops.squeeze(ops.one_hot(position_in_expert, self.expert_capacity), 1)
            dispatch_tensor = ops.cast(combined_tensor, "float32")
            return dispatch_tensor, combined_tensor

    class Switch(layers.Layer):
        def __init__(
            self, num_experts, embed_dim, ff_dim, num_tokens_per_batch, capacity_factor=1
        ):
            self.num_experts = num_experts
            self.embed_dim = embed_dim
            self.experts = [
                create_feedforward_network(ff_dim, embed_dim) for _ in range(num_experts)
            ]
            self.expert_capacity = num_tokens_per_batch // self.num_experts
            self.router = Router(self.num_experts, self.expert_capacity)
            super().__init__()

        def call(self, inputs):
            batch_size = ops.shape(inputs)[0]
            num_tokens_per_example = ops.shape(inputs)[1]
            inputs = ops.reshape(inputs, [num_tokens_per_batch, self.embed_dim])
            dispatch_tensor, combine_tensor = self.router(inputs)
            expert_inputs = ops.einsum("ab,acd->cdb", inputs, dispatch_tensor)
            expert_inputs = ops.reshape(
                expert_inputs, [self.num_experts, self.expert_capacity, self.embed_dim]
            )
            expert_input_list = ops.unstack(expert_inputs, axis=0)
            expert_output_list = [
                self.experts[idx](expert_input)
                for idx, expert_input in enumerate(expert_input_list)
            ]
            expert_outputs = ops.stack(expert_output_list, axis=1)
            expert_outputs_combined = ops.einsum(
                "abc,xba->xc", expert_outputs, combine_tensor
            )
            outputs = ops.reshape(
                expert_outputs_combined,
                [batch_size, num_tokens_per_example, self.embed_dim],
            )
            return outputs

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ffn, dropout_rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = ffn
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(dropout_rate)
            self.dropout2 = layers.Dropout(dropout_rate)

        def call(self, inputs, training=False):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output, training=training)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output, training=training)
            return self.layernorm2(out1 + ffn_output)

    switch = Switch(num_experts, embed_dim, ff_dim, num_tokens_per_batch)
    transformer_block = TransformerBlock(
        embed_dim // num_heads, num_heads, switch, dropout_rate=0.1 if dropout_rate else 0.0)
    inputs = layers.Input(shape=(num_tokens_per_example,))
    embedding_layer = TokenAndPositionEmbedding(num_tokens_per_example, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(dropout_rate)(x)
    x = layers.Dense(ff_dim, activation="relu")(x)
    x = layers.Dropout(dropout_rate)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    classifier = keras.Model(inputs=inputs, outputs=outputs)
    classifier.compile(
        optimizer=keras.optimizers.Adam(0.001),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return classifier


def test_switch_transformer_like_keras():
    """The Switch layer reshapes its input to batch_size * num_tokens_per_example rows: under
    jax.jit Keras traces it for the batches fit and predict give (all of the example's batch
    size). The library traced a Python layer once for any batch (two probe batches, 2 and 3
    rows), so the reshape failed and the model could not be built; a model whose layer cannot be
    traced for any batch is now built for the batch of its first call. The same predictions and
    evaluation (the Router's load-balancing loss included) as Keras from the same weights, the
    same fit without the random parts, and the example as written trains an epoch."""
    sizes = SWITCH_SIZES
    rng = np.random.default_rng(0)
    x = rng.integers(0, sizes["vocab_size"], (16, sizes["num_tokens_per_example"]))
    y = rng.integers(0, 2, (16,))
    batch = sizes["batch_size"]
    model, ref = _both(switch_transformer_classifier, **sizes)
    ref.predict(x[:batch], batch_size=batch, verbose=0)   # (Keras's weights are made by then)
    model.predict(x[:batch], batch_size=batch, verbose=0)
    assert [tuple(v.shape) for v in model.weights] == [tuple(v.shape) for v in ref.weights]
    _same_weights(model, ref, seed=3, scale=0.3)
    _close(model.predict(x, batch_size=batch, verbose=0), ref.predict(x, batch_size=batch, verbose=0),
           what="predictions")
    _close(model.evaluate(x, y, batch_size=batch, verbose=0),
           ref.evaluate(x, y, batch_size=batch, verbose=0), rtol=1e-5, what="evaluate")
    history = model.fit(x, y, batch_size=batch, epochs=1, verbose=0).history
    assert sorted(history) == ["accuracy", "loss"] and np.isfinite(history["loss"][0])

    model, ref = _both(switch_transformer_classifier, **sizes, dropout_rate=0.0, router_noise=False)
    model.predict(x[:batch], batch_size=batch, verbose=0)
    ref.predict(x[:batch], batch_size=batch, verbose=0)
    _same_weights(model, ref, seed=4, scale=0.3)
    histories = [m.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False).history
                 for m in (model, ref)]
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=1e-4, what=key)
    for a, b, v in zip(model.get_weights(), ref.get_weights(), ref.weights):
        _close(a, b, rtol=1e-3, atol=2e-5, what=f"trained {v.path}")
