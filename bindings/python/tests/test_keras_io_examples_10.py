"""keras.io examples as the test (a tenth set): each example's model code as the tutorial
writes it (Keras 3 versions, `keras.ops` where an older version wrote `tf.*`; only the import
differs), on small synthetic data of the example's shapes and dtypes, run on swiftkeras and on
real Keras 3 (JAX backend): the same summary and parameter count, the same predictions and fit
from the same weights, and `.keras` files loaded both ways.

Sources (keras-team/keras-io):
examples/timeseries/timeseries_weather_forecasting.py
(https://keras.io/examples/timeseries/timeseries_weather_forecasting/: its model is built and
saved in test_keras_io_examples.py; here its data pipeline and training: windows of a normalized
multivariate series made by `keras.preprocessing.timeseries_dataset_from_array` with a
sampling rate and targets shifted by the forecast horizon, LSTM(32) and Dense(1), EarlyStopping
and a save_best_only weights checkpoint on val_loss; Keras's own function returns a
tf.data.Dataset, and TensorFlow is not installed beside the reference Keras, so its windows are
checked against the same windows cut by numpy, which then feed Keras),
examples/vision/captcha_ocr.py
(https://keras.io/examples/vision/captcha_ocr/: the CNN-RNN OCR model, two named inputs (the
image and a float label of unknown length), Conv2D/MaxPooling2D, Reshape to time steps,
Bidirectional LSTMs, the CTCLayer endpoint adding the CTC loss with `add_loss`, compile with no
loss, the prediction model cut from `model.input[0]` to `get_layer("dense2").output`, and
greedy `ops.ctc_decode`; the example's `ctc_batch_cost` builds a tf.SparseTensor for
`tf.compat.v1.nn.ctc_loss`, TensorFlow only: its Keras 3 equivalent `ops.ctc_loss` is used, and
its CTCLayer casts `ops.shape` sizes to int64 tensors before `ops.ones(shape=(batch_len, 1))`,
which Keras with JAX cannot trace (a traced size in a shape): the sizes stay Python's; its
StringLookup of characters runs in tf.data: the labels are the indices it gives),
examples/vision/grad_cam.py (https://keras.io/examples/vision/grad_cam/: the classifier's last
layer's softmax removed by `model.layers[-1].activation = None` after it is built, and the grad model `keras.models.Model(model.input, [model.get_layer(last_conv_layer_name).output,
model.output])` of two outputs; its Xception with ImageNet weights is a small convnet ending in
a layer of the same name (the weights are a download, and Xception's 22 million parameters
would take minutes here), and its heatmap's gradient is taken by tf.GradientTape, TensorFlow
only: the grad model's two outputs are compared, the heatmap's pooling of them is not).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import numpy as np
import pytest

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


def _unknown_length_inputs(keras, layers, ops):
    class LengthScaled(layers.Layer):   # the CTC layer's shape: labels of any length beside y
        def call(self, labels, y):
            batch, length = ops.shape(labels)[0], ops.shape(labels)[1]
            counts = length * ops.ones(shape=(batch, 1), dtype="float32")
            return y * ops.expand_dims(ops.mean(labels, axis=-1, keepdims=True) / counts, -1)

    labels, x = keras.Input((None,), name="labels"), keras.Input((3, 4), name="x")
    y = layers.Dense(2)(x)
    model = keras.Model([labels, x], layers.Dense(1)(LengthScaled()(labels, y)))
    model.compile(optimizer="sgd", loss="mse")
    return model, LengthScaled


def test_a_traced_layer_takes_inputs_of_unknown_length(tmp_path, narrow_terminal):
    """A layer written with ops that takes, beside a tensor, one whose length past the batch is
    unknown (keras.io's OCR CTC layer and its labels): its call is traced reading each input by
    itself, so the length need not be known (a layer that gets its inputs packed, on numpy,
    still needs it: test_python_layers); the model runs on labels of different lengths, fits
    and loads both ways like Keras's."""
    (model, ours_class), (ref, ref_class) = _both(_unknown_length_inputs)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=18, scale=0.5)
    rng = np.random.default_rng(19)
    x = rng.normal(size=(8, 3, 4)).astype("float32")
    for length in (2, 5):
        labels = rng.normal(size=(8, length)).astype("float32")
        _close(model.predict([labels, x], verbose=0), ref.predict([labels, x], verbose=0),
               what=f"labels of length {length}")
    y = rng.normal(size=(8, 3, 1)).astype("float32")
    _fits_alike(model, ref, [labels, x], y, epochs=2, batch_size=4)
    _loads_both_ways(model, ref, [labels, x], tmp_path, {"LengthScaled": ours_class},
                     {"LengthScaled": ref_class})


# -- examples/vision/captcha_ocr.py ------------------------------------------------------------

CAPTCHA = dict(img_width=32, img_height=16, characters=list("2345bcdn"), max_length=5)


def captcha_model(keras, layers, ops, dropout=0.2, lstm_dropout=0.25, label_length=None):
    img_width, img_height = CAPTCHA["img_width"], CAPTCHA["img_height"]
    vocabulary_size = len(CAPTCHA["characters"]) + 1   # char_to_num.get_vocabulary(): [UNK] first

    def ctc_batch_cost(y_true, y_pred, input_length, label_length):
        label_length = ops.cast(ops.squeeze(label_length, axis=-1), dtype="int32")
        input_length = ops.cast(ops.squeeze(input_length, axis=-1), dtype="int32")
        # tf.compat.v1.nn.ctc_loss of the log-probabilities, its blank the last class
        y_pred = ops.log(y_pred + keras.backend.epsilon())
        return ops.expand_dims(
            ops.ctc_loss(ops.cast(y_true, "int32"), y_pred, label_length, input_length,
                         mask_index=vocabulary_size),
            1,
        )

    class CTCLayer(layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = ctc_batch_cost

        def call(self, y_true, y_pred):
            # Compute the training-time loss value and add it
            # to the layer using `self.add_loss()`.
            # (the example casts these sizes to int64 tensors: JAX then traces them, and a
            # traced size cannot make the shape of ops.ones; Python ints can)
            batch_len = ops.shape(y_true)[0]
            input_length = ops.shape(y_pred)[1]
            label_length = ops.shape(y_true)[1]

            input_length = input_length * ops.ones(shape=(batch_len, 1), dtype="int64")
            label_length = label_length * ops.ones(shape=(batch_len, 1), dtype="int64")

            loss = self.loss_fn(y_true, y_pred, input_length, label_length)
            self.add_loss(loss)

            # At test time, just return the computed predictions
            return y_pred

    # Inputs to the model
    input_img = layers.Input(shape=(img_width, img_height, 1), name="image", dtype="float32")
    labels = layers.Input(name="label", shape=(label_length,), dtype="float32")

    # First conv block
    x = layers.Conv2D(4, (3, 3), activation="relu", kernel_initializer="he_normal",
                      padding="same", name="Conv1")(input_img)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)

    # Second conv block
    x = layers.Conv2D(8, (3, 3), activation="relu", kernel_initializer="he_normal",
                      padding="same", name="Conv2")(x)
    x = layers.MaxPooling2D((2, 2), name="pool2")(x)

    # We have used two max pool with pool size and strides 2.
    # Hence, downsampled feature maps are 4x smaller. The number of
    # filters in the last layer is 8. Reshape accordingly before
    # passing the output to the RNN part of the model
    new_shape = ((img_width // 4), (img_height // 4) * 8)
    x = layers.Reshape(target_shape=new_shape, name="reshape")(x)
    x = layers.Dense(8, activation="relu", name="dense1")(x)
    x = layers.Dropout(dropout)(x)

    # RNNs
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True, dropout=lstm_dropout))(x)
    x = layers.Bidirectional(layers.LSTM(6, return_sequences=True, dropout=lstm_dropout))(x)

    # Output layer
    x = layers.Dense(vocabulary_size + 1, activation="softmax", name="dense2")(x)

    # Add CTC layer for calculating CTC loss at each step
    output = CTCLayer(name="ctc_loss")(labels, x)

    # Define the model
    model = keras.models.Model(inputs=[input_img, labels], outputs=output, name="ocr_model_v1")
    # Optimizer
    opt = keras.optimizers.Adam()
    # Compile the model and return
    model.compile(optimizer=opt)
    return model, CTCLayer


def _captcha_batches(count, seed):
    """{"image", "label"} as the example's tf.data map makes them: grayscale images in [0, 1]
    transposed so that time runs along the width, and each captcha's characters as their
    StringLookup indices (1 onwards, 0 being [UNK])."""
    rng = np.random.default_rng(seed)
    images = rng.random((count, CAPTCHA["img_height"], CAPTCHA["img_width"], 1)).astype("float32")
    images = np.transpose(images, (0, 2, 1, 3))
    characters = CAPTCHA["characters"]
    texts = ["".join(rng.choice(characters, size=CAPTCHA["max_length"])) for _ in range(count)]
    labels = np.array([[characters.index(c) + 1 for c in text] for text in texts], "float32")
    return {"image": images, "label": labels}


def test_captcha_ocr_with_a_ctc_endpoint_layer(tmp_path, narrow_terminal):
    """keras.io's captcha OCR model: Keras's summary; from the same weights the CTC loss its
    endpoint layer adds (through `ops.shape` of the label Input, whose batch and length are
    unknown when the model is made), the fit on the dict of image and label with
    EarlyStopping(restore_best_weights=True), the prediction model cut from `model.input[0]` to
    `dense2`'s output and its greedy `ops.ctc_decode` are Keras's, and each library loads the
    other's `.keras` file (Keras refuses both: the layer's constructor takes only `name`).
    The label Input is the example's `shape=(None,)`: the traced `ops.ctc_loss` reads the
    label count its CTCLayer computes as the batch comes; a label Input of the captchas' fixed
    length gives the same loss."""
    import keras
    import swiftkeras
    (model, ours_class), (ref, ref_class) = _both(captcha_model, dropout=0.0, lstm_dropout=0.0)
    fixed = captcha_model(swiftkeras, swiftkeras.layers, swiftkeras.ops, dropout=0.0,
                          lstm_dropout=0.0, label_length=CAPTCHA["max_length"])[0]
    _same_summary(model, ref)
    train, valid = _captcha_batches(16, seed=15), _captcha_batches(8, seed=16)
    _same_weights(model, ref, seed=17, scale=0.3)
    _close(model.evaluate(train, verbose=0), ref.evaluate(train, verbose=0), rtol=1e-4,
           what="CTC loss")
    fixed.set_weights(model.get_weights())
    _close(fixed.evaluate(train, verbose=0), ref.evaluate(train, verbose=0), rtol=1e-4,
           what="CTC loss, labels of a fixed length")
    histories = []
    for m, lib in ((model, swiftkeras), (ref, keras)):
        early_stopping = lib.callbacks.EarlyStopping(monitor="val_loss", patience=1,
                                                     restore_best_weights=True)
        histories.append(m.fit(train, validation_data=valid, epochs=2, batch_size=8,
                               callbacks=[early_stopping], shuffle=False, verbose=0).history)
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=2e-4, what=key)
    prediction_models = [lib.models.Model(m.input[0], m.get_layer(name="dense2").output)
                         for m, lib in ((model, swiftkeras), (ref, keras))]
    _same_summary(*prediction_models)
    preds = [p.predict(valid["image"], verbose=0) for p in prediction_models]
    _close(preds[0], preds[1], rtol=1e-4, atol=1e-5, what="prediction model")
    input_len = np.ones(preds[1].shape[0]) * preds[1].shape[1]
    decoded = [np.asarray(lib.ops.ctc_decode(preds[1], sequence_lengths=input_len,
                                             strategy="greedy")[0][0])
               for lib in (swiftkeras, keras)]
    np.testing.assert_array_equal(decoded[0], decoded[1])
    _loads_both_ways(model, ref, valid, tmp_path, {"CTCLayer": ours_class},
                     {"CTCLayer": ref_class}, keras_refuses="trainable")


# -- examples/vision/grad_cam.py ---------------------------------------------------------------

def grad_cam_classifier(keras, layers, ops, num_classes=10):
    """A small stand-in for the example's Xception: separable convolutions ending in the layer
    the example names, pooled into a softmax classifier (Xception's top)."""
    inputs = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 3, strides=2, use_bias=False, name="block1_conv1")(inputs)
    x = layers.BatchNormalization(name="block1_conv1_bn")(x)
    x = layers.Activation("relu", name="block1_conv1_act")(x)
    x = layers.SeparableConv2D(12, 3, padding="same", use_bias=False, name="block14_sepconv2")(x)
    x = layers.BatchNormalization(name="block14_sepconv2_bn")(x)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="xception")


def test_grad_cam_model_of_two_outputs(tmp_path, narrow_terminal):
    """keras.io's Grad-CAM grad model: of the last convolution's activations and the model's
    output, its summary and two outputs Keras's from the same weights; the classifier loads both
    ways."""
    import keras
    import swiftkeras
    model, ref = _both(grad_cam_classifier)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=20, scale=0.3)
    img_array = np.random.default_rng(21).random((2, 16, 16, 3)).astype("float32")
    last_conv_layer_name = "block14_sepconv2_act"
    grad_models = [lib.models.Model(m.input, [m.get_layer(last_conv_layer_name).output, m.output])
                   for m, lib in ((model, swiftkeras), (ref, keras))]
    _same_summary(*grad_models)
    outputs = [g.predict(img_array, verbose=0) for g in grad_models]
    assert [np.shape(o) for o in outputs[0]] == [np.shape(o) for o in outputs[1]] == \
        [(2, 7, 7, 12), (2, 10)]
    for a, b, what in zip(outputs[0], outputs[1], ("last conv layer output", "preds")):
        _close(a, b, rtol=1e-4, atol=1e-5, what=what)
    _loads_both_ways(model, ref, img_array, tmp_path, None, None)


def test_grad_cam_removes_the_softmax_by_assigning_the_activation(narrow_terminal):
    """The example's `model.layers[-1].activation = None` on the built classifier: Keras's
    predict then gives the logits."""
    model, ref = _both(grad_cam_classifier)
    _same_weights(model, ref, seed=20, scale=0.3)
    img_array = np.random.default_rng(21).random((2, 16, 16, 3)).astype("float32")
    for m in (model, ref):
        # Remove last layer's softmax
        m.layers[-1].activation = None
    _close(model.predict(img_array, verbose=0), ref.predict(img_array, verbose=0), rtol=1e-4,
           atol=1e-5, what="logits")
