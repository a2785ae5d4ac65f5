"""keras.io examples as the test (a tenth set): each example's model code as the tutorial
writes it (Keras 3 versions, `keras.ops` where an older version wrote `tf.*`; only the import
differs), on small synthetic data of the example's shapes and dtypes, run on swiftkeras and on
real Keras 3 (JAX backend): the same summary and parameter count, the same predictions and fit
from the same weights, and `.keras` files loaded both ways.

Sources (keras-team/keras-io):
examples/timeseries/timeseries_weather_forecasting.py
(https://keras.io/examples/timeseries/timeseries_weather_forecasting/: windows of a normalized
multivariate series made by `keras.preprocessing.timeseries_dataset_from_array` with a
sampling rate and targets shifted by the forecast horizon, LSTM(32) and Dense(1), EarlyStopping
and a save_best_only weights checkpoint on val_loss; Keras's own function returns a
tf.data.Dataset, and TensorFlow is not installed beside the reference Keras, so its windows are
checked against the same windows cut by numpy, which then feed Keras),
examples/timeseries/timeseries_classification_from_scratch.py
(https://keras.io/examples/timeseries/timeseries_classification_from_scratch/: the fully
convolutional network, Conv1D, BatchNormalization and ReLU three times, GlobalAveragePooling1D,
a softmax Dense, `validation_split`, ModelCheckpoint of the best `.keras` model,
ReduceLROnPlateau and EarlyStopping, the best model loaded back),
examples/keras_recipes/antirectifier.py
(https://keras.io/examples/keras_recipes/antirectifier/: a layer whose call centres its input,
concatenates relu of both signs and multiplies by its kernel, its initializer serialized in its
config; RMSprop, SparseCategoricalCrossentropy(from_logits=True), validation_split),
examples/nlp/bidirectional_lstm_imdb.py
(https://keras.io/examples/nlp/bidirectional_lstm_imdb/: Input(shape=(None,), dtype="int32"),
Embedding, two Bidirectional LSTMs, a sigmoid Dense; padded integer reviews),
examples/keras_recipes/endpoint_layer_pattern.py
(https://keras.io/examples/keras_recipes/endpoint_layer_pattern/: a layer taking the targets and
sample weights as inputs that adds its loss with `add_loss`, a model compiled with no loss fit
on a dict of inputs, the inference model without targets given the trained weights, and the
subclassed LogReg that calls the endpoint with dict inputs; its `self.accuracy_metric.update_state`
inside `call` is left out: the example runs it on TensorFlow, and Keras with JAX cannot update a
metric inside its stateless training step ("'NoneType' object is not callable"),
examples/vision/captcha_ocr.py
(https://keras.io/examples/vision/captcha_ocr/: the CNN-RNN OCR model, two named inputs (the
image and a float label of unknown length), Conv2D/MaxPooling2D, Reshape to time steps,
Bidirectional LSTMs, the CTCLayer endpoint adding the CTC loss with `add_loss`, compile with no
loss, the prediction model cut from `model.input[0]` to `get_layer("dense2").output`, and
greedy `ops.ctc_decode`; the example's `ctc_batch_cost` builds a tf.SparseTensor for
`tf.compat.v1.nn.ctc_loss`, TensorFlow only: its Keras 3 equivalent `ops.ctc_loss` is used).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import numpy as np

from conftest import needs, CORE
from test_keras_io_examples_3 import _both, _close, _fits_alike, _loads_both_ways, _same_weights
from test_keras_io_examples_8 import _same_summary
from test_keras_io_guides_3 import narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


# -- examples/timeseries/timeseries_weather_forecasting.py -------------------------------------

WEATHER = dict(rows=300, features=7, past=36, future=6, step=6, batch_size=16)


def _weather_frames():
    """The example's normalized features, train and validation inputs and shifted targets."""
    rows, past, future = WEATHER["rows"], WEATHER["past"], WEATHER["future"]
    rng = np.random.default_rng(0)
    data = np.cumsum(rng.normal(size=(rows, WEATHER["features"])), axis=0)
    train_split = int(0.715 * rows)

    def normalize(data, train_split):
        data_mean = data[:train_split].mean(axis=0)
        data_std = data[:train_split].std(axis=0)
        return (data - data_mean) / data_std

    features = normalize(data, train_split)
    train_data, val_data = features[:train_split], features[train_split:]
    start = past + future
    end = start + train_split
    x_train, y_train = train_data[:, :7], features[start:end][:, [1]]
    x_end = len(val_data) - past - future
    label_start = train_split + past + future
    x_val, y_val = val_data[:x_end][:, :7], features[label_start:][:, [1]]
    return x_train, y_train, x_val, y_val


def _numpy_windows(data, targets, sequence_length, sampling_rate):
    """What timeseries_dataset_from_array yields, unbatched: every window of `sequence_length`
    rows `sampling_rate` apart that fits, with the target of its first row."""
    span = (sequence_length - 1) * sampling_rate + 1
    count = min(len(data) - span + 1, len(targets))
    x = np.stack([data[i:i + span:sampling_rate] for i in range(count)])
    return x, targets[:count]


def weather_model(keras, layers, ops, input_shape):
    inputs = keras.layers.Input(shape=input_shape)
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    return model


def test_weather_forecasting_lstm_on_timeseries_windows(tmp_path, narrow_terminal):
    """keras.io's weather forecaster: the windows `timeseries_dataset_from_array` cuts (with
    `sampling_rate` and the targets shifted by past + future) are numpy's, batch by batch; the
    LSTM model has Keras's summary, predictions and fit from the same weights on them, its
    EarlyStopping and save_best_only weights checkpoint on val_loss keep what Keras keeps, and
    each library loads the other's `.keras` file."""
    import swiftkeras
    x_train, y_train, x_val, y_val = _weather_frames()
    step, batch_size = WEATHER["step"], WEATHER["batch_size"]
    sequence_length = int(WEATHER["past"] / step)
    dataset_train = swiftkeras.preprocessing.timeseries_dataset_from_array(
        x_train, y_train, sequence_length=sequence_length, sampling_rate=step,
        batch_size=batch_size)
    dataset_val = swiftkeras.preprocessing.timeseries_dataset_from_array(
        x_val, y_val, sequence_length=sequence_length, sampling_rate=step, batch_size=batch_size)
    windows = _numpy_windows(x_train, y_train, sequence_length, step)
    batches = list(dataset_train)
    assert len(batches) == -(-len(windows[0]) // batch_size)
    _close(np.concatenate([b[0] for b in batches]), windows[0], what="windows")
    _close(np.concatenate([b[1] for b in batches]), windows[1], what="targets")
    for batch in dataset_train.take(1):
        inputs, targets = batch
    assert tuple(inputs.shape) == (batch_size, sequence_length, 7)
    assert tuple(targets.shape) == (batch_size, 1)

    model, ref = _both(weather_model, (inputs.shape[1], inputs.shape[2]))
    _same_summary(model, ref)
    _same_weights(model, ref, seed=1, scale=0.2)
    x = windows[0].astype("float32")
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="predictions")
    val = [a.astype("float32") for a in _numpy_windows(x_val, y_val, sequence_length, step)]
    histories = []
    for m, lib, (train, validation) in ((model, swiftkeras, (dataset_train, dataset_val)),
                                       (ref, None, ((x, windows[1].astype("float32")), val))):
        lib = lib or __import__("keras")
        path_checkpoint = str(tmp_path / f"{len(histories)}.weights.h5")
        es_callback = lib.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=1)
        modelckpt_callback = lib.callbacks.ModelCheckpoint(
            monitor="val_loss", filepath=path_checkpoint, verbose=0, save_weights_only=True,
            save_best_only=True)
        fit = dict(x=train) if lib is swiftkeras else dict(x=train[0], y=train[1],
                                                            batch_size=batch_size)
        histories.append(m.fit(**fit, epochs=4, validation_data=validation, shuffle=False,
                               callbacks=[es_callback, modelckpt_callback], verbose=0).history)
        m.load_weights(path_checkpoint)
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=1e-4, what=key)
    _close(model.predict(val[0], verbose=0), ref.predict(val[0], verbose=0), rtol=1e-4,
           atol=1e-5, what="best checkpoint's predictions")
    _loads_both_ways(model, ref, x[:8], tmp_path, None, None)



def test_dataset_take_keeps_the_first_elements():
    """`dataset.take(count)` (the examples' `for batch in dataset.take(1)`) is tf.data's: the
    first `count` batches, all of them for -1 or a count past the end; a count that is not an
    integer >= -1 is refused naming it."""
    import swiftkeras
    import pytest
    x = np.arange(40, dtype="float32").reshape(20, 2)
    dataset = swiftkeras.utils.timeseries_dataset_from_array(x, np.arange(20), sequence_length=3,
                                                            batch_size=4)
    batches = list(dataset)
    assert len(batches) == 5
    taken = list(dataset.take(2))
    assert len(taken) == 2
    for (a, b), (c, d) in zip(taken, batches):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    assert len(list(dataset.take(-1))) == len(list(dataset.take(9))) == 5
    assert list(dataset.take(0)) == []
    assert len(list(dataset.unbatch().take(3))) == 3
    for bad in (-2, 1.5, "1", True):
        with pytest.raises(ValueError, match="take: count must be an integer >= -1"):
            dataset.take(bad)


# -- examples/timeseries/timeseries_classification_from_scratch.py -----------------------------

def fcn_classifier(keras, layers, ops, input_shape, num_classes, filters):
    def make_model(input_shape):
        input_layer = keras.layers.Input(input_shape)

        conv1 = keras.layers.Conv1D(filters=filters, kernel_size=3, padding="same")(input_layer)
        conv1 = keras.layers.BatchNormalization()(conv1)
        conv1 = keras.layers.ReLU()(conv1)

        conv2 = keras.layers.Conv1D(filters=filters, kernel_size=3, padding="same")(conv1)
        conv2 = keras.layers.BatchNormalization()(conv2)
        conv2 = keras.layers.ReLU()(conv2)

        conv3 = keras.layers.Conv1D(filters=filters, kernel_size=3, padding="same")(conv2)
        conv3 = keras.layers.BatchNormalization()(conv3)
        conv3 = keras.layers.ReLU()(conv3)

        gap = keras.layers.GlobalAveragePooling1D()(conv3)

        output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

        return keras.models.Model(inputs=input_layer, outputs=output_layer)

    model = make_model(input_shape=input_shape)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_timeseries_classification_fcn_with_its_callbacks(tmp_path, narrow_terminal):
    """keras.io's FCN time-series classifier: Keras's summary, predictions and fit from the same
    weights with `validation_split` and the example's three callbacks on val_loss (the best model
    checkpointed as `.keras`, the learning rate halved on a plateau, early stopping), the best
    model loaded back predicting alike, and each library loading the other's file."""
    import keras
    import swiftkeras
    rng = np.random.default_rng(5)
    x_train = rng.normal(size=(40, 24)).astype("float32")
    y_train = rng.choice([-1, 1], size=40)
    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    num_classes = len(np.unique(y_train))
    y_train[y_train == -1] = 0
    model, ref = _both(fcn_classifier, x_train.shape[1:], num_classes, filters=8)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=6, scale=0.3)
    _close(model.predict(x_train, verbose=0), ref.predict(x_train, verbose=0), what="predictions")
    histories, best = [], []
    for m, lib in ((model, swiftkeras), (ref, keras)):
        path = str(tmp_path / f"best_model_{lib.__name__}.keras")
        callbacks = [
            lib.callbacks.ModelCheckpoint(path, save_best_only=True, monitor="val_loss"),
            lib.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1,
                                            min_lr=0.0001),
            lib.callbacks.EarlyStopping(monitor="val_loss", patience=3, verbose=0),
        ]
        histories.append(m.fit(x_train, y_train, batch_size=8, epochs=6, callbacks=callbacks,
                               validation_split=0.2, verbose=0, shuffle=False).history)
        best.append(lib.models.load_model(path))
    assert sorted(histories[0]) == sorted(histories[1])
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=2e-4, atol=1e-6, what=key)
    _close(best[0].predict(x_train, verbose=0), best[1].predict(x_train, verbose=0), rtol=1e-4,
           atol=1e-5, what="best models' predictions")
    _loads_both_ways(model, ref, x_train[:8], tmp_path, None, None)


# -- examples/keras_recipes/antirectifier.py ---------------------------------------------------

def antirectifier_model(keras, layers, ops, width, num_classes, dropout=0.5):
    class Antirectifier(layers.Layer):
        def __init__(self, initializer="he_normal", **kwargs):
            super().__init__(**kwargs)
            self.initializer = keras.initializers.get(initializer)

        def build(self, input_shape):
            output_dim = input_shape[-1]
            self.kernel = self.add_weight(
                shape=(output_dim * 2, output_dim),
                initializer=self.initializer,
                name="kernel",
                trainable=True,
            )

        def call(self, inputs):
            inputs -= ops.mean(inputs, axis=-1, keepdims=True)
            pos = ops.relu(inputs)
            neg = ops.relu(-inputs)
            concatenated = ops.concatenate([pos, neg], axis=-1)
            mixed = ops.matmul(concatenated, self.kernel)
            return mixed

        def get_config(self):
            # Implement get_config to enable serialization. This is optional.
            base_config = super().get_config()
            config = {"initializer": keras.initializers.serialize(self.initializer)}
            return dict(list(base_config.items()) + list(config.items()))

    model = keras.Sequential(
        [
            keras.Input(shape=(width,)),
            layers.Dense(16),
            Antirectifier(),
            layers.Dense(16),
            Antirectifier(),
            layers.Dropout(dropout),
            layers.Dense(num_classes),
        ]
    )
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model, Antirectifier


def test_antirectifier_layer_trains_and_saves_like_keras(tmp_path, narrow_terminal):
    """keras.io's Antirectifier (in-place centring, relu of both signs concatenated, a matmul
    with its kernel; he_normal serialized in its config) in the example's Sequential model:
    Keras's summary, config entry, predictions, RMSprop fit with validation_split and evaluate
    from the same weights, and each library loading the other's `.keras` file."""
    (model, ours_class), (ref, ref_class) = _both(antirectifier_model, 20, 10, dropout=0.0)
    _same_summary(model, ref)
    configs = [m.layers[1].get_config() for m in (model, ref)]
    assert configs[0] == configs[1]
    assert configs[0]["initializer"]["class_name"] == "HeNormal"
    rng = np.random.default_rng(7)
    x_train = rng.random((48, 20)).astype("float32")
    y_train = rng.integers(0, 10, size=48)
    _same_weights(model, ref, seed=8, scale=0.3)
    _close(model.predict(x_train, verbose=0), ref.predict(x_train, verbose=0), what="predictions")
    _fits_alike(model, ref, x_train, y_train, batch_size=16, epochs=2, validation_split=0.15)
    _close(model.evaluate(x_train, y_train, verbose=0), ref.evaluate(x_train, y_train, verbose=0),
           rtol=1e-4, what="evaluate")
    _loads_both_ways(model, ref, x_train[:8], tmp_path, {"Antirectifier": ours_class},
                     {"Antirectifier": ref_class})


# -- examples/nlp/bidirectional_lstm_imdb.py ---------------------------------------------------

def bidirectional_imdb_model(keras, layers, ops, max_features, embedding_dim, units):
    # Input for variable-length sequences of integers
    inputs = keras.Input(shape=(None,), dtype="int32")
    # Embed each integer in a 128-dimensional vector
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    # Add 2 bidirectional LSTMs
    x = layers.Bidirectional(layers.LSTM(units, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(units))(x)
    # Add a classifier
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_bidirectional_lstm_imdb(tmp_path, narrow_terminal):
    """keras.io's bidirectional LSTM on IMDB: reviews of different lengths padded by
    `keras.utils.pad_sequences(maxlen=...)` as Keras pads them (pre-padding, pre-truncating),
    the variable-length int32 Input, Embedding and two Bidirectional LSTMs with Keras's summary,
    predictions and fit from the same weights, and `.keras` both ways."""
    import keras
    import swiftkeras
    max_features, maxlen = 50, 12
    rng = np.random.default_rng(9)
    reviews = [list(rng.integers(1, max_features, size=rng.integers(3, 20))) for _ in range(32)]
    y_train = rng.integers(0, 2, size=32)
    padded = [lib.utils.pad_sequences(reviews, maxlen=maxlen) for lib in (swiftkeras, keras)]
    np.testing.assert_array_equal(padded[0], padded[1])
    assert padded[0].dtype == padded[1].dtype
    x_train = padded[1]
    model, ref = _both(bidirectional_imdb_model, max_features, 8, 6)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=10, scale=0.3)
    _close(model.predict(x_train, verbose=0), ref.predict(x_train, verbose=0), what="predictions")
    _fits_alike(model, ref, x_train, y_train, batch_size=16, epochs=2,
                validation_data=(x_train[:8], y_train[:8]))
    _loads_both_ways(model, ref, x_train[:8], tmp_path, None, None)


# -- examples/keras_recipes/endpoint_layer_pattern.py ------------------------------------------

def logistic_endpoint_class(keras, layers, ops):
    class LogisticEndpoint(keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

        def call(self, logits, targets=None, sample_weight=None):
            if targets is not None:
                # Compute the training-time loss value and add it
                # to the layer using `self.add_loss()`.
                loss = self.loss_fn(targets, logits, sample_weight)
                self.add_loss(loss)

            # Return the inference-time prediction tensor (for `.predict()`).
            return ops.softmax(logits)

    return LogisticEndpoint


def endpoint_models(keras, layers, ops, width):
    LogisticEndpoint = logistic_endpoint_class(keras, layers, ops)
    inputs = keras.Input((width,), name="inputs")
    logits = keras.layers.Dense(1)(inputs)
    targets = keras.Input((1,), name="targets")
    sample_weight = keras.Input((1,), name="sample_weight")
    preds = LogisticEndpoint()(logits, targets, sample_weight)
    model = keras.Model([inputs, targets, sample_weight], preds)
    model.compile(keras.optimizers.Adam(1e-3))

    inputs = keras.Input((width,), name="inputs")
    logits = keras.layers.Dense(1)(inputs)
    preds = LogisticEndpoint()(logits, targets=None, sample_weight=None)
    inference_model = keras.Model(inputs, preds)
    return model, inference_model


def log_reg_model(keras, layers, ops):
    LogisticEndpoint = logistic_endpoint_class(keras, layers, ops)

    class LogReg(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.logistic_endpoint = LogisticEndpoint()

        def call(self, inputs):
            # Note that all inputs should be in the first argument
            # since we want to be able to call `model.fit(inputs)`.
            logits = self.dense(inputs["inputs"])
            preds = self.logistic_endpoint(
                logits=logits,
                targets=inputs["targets"],
                sample_weight=inputs["sample_weight"],
            )
            return preds

    model = LogReg()
    model.compile(keras.optimizers.Adam(1e-3))
    return model


def _endpoint_data(width, seed):
    rng = np.random.default_rng(seed)
    return {
        "inputs": rng.random((48, width)).astype("float32"),
        "targets": rng.random((48, 1)).astype("float32"),
        "sample_weight": rng.random((48, 1)).astype("float32"),
    }


def test_endpoint_layer_adds_the_loss_of_targets_and_sample_weights(tmp_path, narrow_terminal):
    """keras.io's endpoint layer pattern: a layer given the targets and sample weights as model
    inputs adds its weighted BinaryCrossentropy with `add_loss`; the model compiled with no loss
    fits on the example's dict of inputs with Keras's losses, evaluates alike, and its trained
    weights set on the inference model (no targets) predict as Keras's. The layer's constructor
    takes only `name` (as in the example), so Keras refuses to load either library's `.keras`
    file of it (TypeError: `trainable` unexpected); this library loads both."""
    width = 12
    (model, inference), (ref, ref_inference) = _both(endpoint_models, width)
    _same_summary(model, ref)
    _same_summary(inference, ref_inference)
    data = _endpoint_data(width, seed=11)
    _same_weights(model, ref, seed=12, scale=0.3)
    _close(model.evaluate(data, verbose=0), ref.evaluate(data, verbose=0), rtol=1e-5,
           what="evaluate (the added loss)")
    _fits_alike(model, ref, data, None, batch_size=16, epochs=2)
    for m, i in ((model, inference), (ref, ref_inference)):
        i.set_weights(m.get_weights())
    x = data["inputs"]
    _close(inference.predict(x, verbose=0), ref_inference.predict(x, verbose=0),
           what="inference model")
    ours_class, ref_class = (type(m.layers[-1]) for m in (model, ref))
    _loads_both_ways(model, ref, data, tmp_path, {"LogisticEndpoint": ours_class},
                     {"LogisticEndpoint": ref_class}, keras_refuses="trainable")


def test_endpoint_layer_in_a_subclassed_model(narrow_terminal):
    """The example's subclassed LogReg: the endpoint called with keyword tensors from a dict of
    inputs; from the same weights it fits with Keras's losses and predicts alike."""
    data = _endpoint_data(12, seed=13)
    model, ref = _both(log_reg_model)
    first = {k: v[:4] for k, v in data.items()}
    for m in (model, ref):
        m(first)
    _same_weights(model, ref, seed=14, scale=0.3)
    _close(model.predict(data, verbose=0), ref.predict(data, verbose=0), what="predictions")
    _fits_alike(model, ref, data, None, batch_size=16, epochs=2)

