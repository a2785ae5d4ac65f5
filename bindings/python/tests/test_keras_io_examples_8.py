"""keras.io examples as the test (an eighth set): each example's model code as the tutorial
writes it (Keras 3 versions; only the import differs), on small synthetic data of the example's
shapes and dtypes, run on swiftkeras and on real Keras 3 (JAX backend): the same summary and
parameter count, the same predictions and fit from the same weights (the loss falls), the
callbacks' files, and `.keras` files loaded both ways.

Sources (keras-team/keras-io):
examples/timeseries/timeseries_classification_transformer.py
(https://keras.io/examples/timeseries/timeseries_classification_transformer/: encoder blocks of
MultiHeadAttention and kernel-size-1 Conv1D joined with `x + inputs` on symbolic tensors,
GlobalAveragePooling1D, EarlyStopping(restore_best_weights)),
examples/vision/3D_image_classification.py
(https://keras.io/examples/vision/3D_image_classification/: Conv3D, MaxPool3D and
BatchNormalization on CT volumes, Adam on an ExponentialDecay schedule, the "acc" metric,
ModelCheckpoint(save_best_only) and EarlyStopping on val_acc; its scipy rotations and blur in a
tf.data map are left out), examples/vision/image_classification_from_scratch.py
(https://keras.io/examples/vision/image_classification_from_scratch/: the small Xception of
Rescaling, SeparableConv2D, residual `layers.add` of strided 1x1 Conv2D projections,
ModelCheckpoint("save_at_{epoch}.keras"); its augmentation runs in a tf.data map, left out),
examples/vision/convmixer.py (https://keras.io/examples/vision/convmixer/: depthwise mixing as
Conv2D(groups=filters), gelu, GlobalAvgPool2D, AdamW, a save_weights_only checkpoint loaded
back, the example's look-up of the layers whose config says kernel_size == (5, 5); its
RandomCrop/RandomFlip tf.data map left out), examples/vision/autoencoder.py
(https://keras.io/examples/vision/autoencoder/: the denoising convolutional autoencoder,
Conv2DTranspose(strides=2) decoder, fit on noisy inputs against clean targets),
examples/vision/video_classification.py
(https://keras.io/examples/vision/video_classification/: the sequence model, GRU called with an
explicit boolean `mask=` Input over padded frame features; the InceptionV3 feature extractor and
OpenCV frame reading are left out: the frame features are random of its shape), and
examples/nlp/text_classification_from_scratch.py
(https://keras.io/examples/nlp/text_classification_from_scratch/: Embedding, Conv1D with
strides 3 over an input of unknown length, GlobalMaxPooling1D; its TextVectorization needs
TensorFlow in real Keras, so the end-to-end string model runs here only and is checked against
the integer model on the vocabulary's indices), and examples/generative/ddim.py
(https://keras.io/examples/generative/ddim/: the residual U-Net with a Lambda of a registered
sinusoidal_embedding function, its EMA twin from clone_model; the DiffusionModel's train_step
takes a tf.GradientTape, TensorFlow only, so the network is fit directly on noisy images and
their noises). The datasets the examples download are random
data of the same shapes, fewer and smaller; widths are smaller so each test runs in seconds.
Dropout draws from each library's own random stream, so fits are compared on the same model
built with rate 0 (the dropout model's predictions, inference, are compared as they are).
"""
import json
import os

import numpy as np
import pytest

from conftest import needs, CORE, summary_lines
from test_keras_io_examples_3 import _both, _close, _fits_alike, _loads_both_ways, _same_weights
from test_keras_io_guides_3 import _libs, narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


def _same_summary(model, ref):
    assert summary_lines(model) == summary_lines(ref)
    assert model.count_params() == ref.count_params()
    assert [tuple(v.shape) for v in model.weights] == [tuple(v.shape) for v in ref.weights]


# -- examples/timeseries/timeseries_classification_transformer.py ------------------------------

def transformer_classifier(keras, layers, ops, input_shape, n_classes, head_size, num_heads,
                           ff_dim, num_transformer_blocks, mlp_units, dropout=0, mlp_dropout=0):
    def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
        # Attention and Normalization
        x = layers.MultiHeadAttention(
            key_dim=head_size, num_heads=num_heads, dropout=dropout
        )(inputs, inputs)
        x = layers.Dropout(dropout)(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
        res = x + inputs

        # Feed Forward Part
        x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
        x = layers.Dropout(dropout)(x)
        x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
        return x + res

    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)

    x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-4),
        metrics=["sparse_categorical_accuracy"],
    )
    return model


def test_timeseries_transformer_classification_like_keras(tmp_path, narrow_terminal):
    """The FordA transformer: `x + inputs` on the functional graph's tensors, MHA with
    dropout, Conv1D(kernel_size=1) feed-forward reading `inputs.shape[-1]`; the summary,
    predictions of the dropout model, a fit with validation_split and
    EarlyStopping(restore_best_weights) from the same weights, and the files both ways."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 16, 1)).astype("float32")
    y = rng.integers(0, 2, 40)
    sizes = dict(input_shape=x.shape[1:], n_classes=2, head_size=8, num_heads=2, ff_dim=4,
                 num_transformer_blocks=2, mlp_units=[16])
    model, ref = _both(transformer_classifier, mlp_dropout=0.4, dropout=0.25, **sizes)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=1, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, what="predictions")
    _loads_both_ways(model, ref, x, tmp_path, None, None)

    model, ref = _both(transformer_classifier, **sizes)
    _same_weights(model, ref, seed=2, scale=0.3)
    for m in (model, ref):
        m.optimizer.learning_rate = 1e-2
    callbacks = [[lib.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]
                 for lib in _libs()]
    histories = [m.fit(x, y, validation_split=0.2, epochs=2, batch_size=8, verbose=0,
                       shuffle=False, callbacks=cb).history
                 for m, cb in zip((model, ref), callbacks)]
    assert sorted(histories[0]) == sorted(histories[1])
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=1e-4, atol=1e-6, what=key)
    assert histories[0]["loss"][-1] < histories[0]["loss"][0]
    _close(model.evaluate(x, y, verbose=0), ref.evaluate(x, y, verbose=0), rtol=1e-4,
           what="evaluate")


# -- examples/vision/3D_image_classification.py ------------------------------------------------

def cnn_3d(keras, layers, ops, img_size, widths=(16, 32, 64, 128), units=256, rate=0.3):
    def get_model(img_size, num_classes):
        # build a 3D convolutional neural network model
        inputs = keras.Input(img_size)

        x = layers.Conv3D(filters=widths[0], kernel_size=3, activation="relu")(inputs)
        x = layers.MaxPool3D(pool_size=2)(x)
        x = layers.BatchNormalization()(x)

        x = layers.Conv3D(filters=widths[1], kernel_size=3, activation="relu")(x)
        x = layers.MaxPool3D(pool_size=2)(x)
        x = layers.BatchNormalization()(x)

        x = layers.Conv3D(filters=widths[2], kernel_size=3, activation="relu")(x)
        x = layers.MaxPool3D(pool_size=2)(x)
        x = layers.BatchNormalization()(x)

        x = layers.Conv3D(filters=widths[3], kernel_size=3, activation="relu")(x)
        x = layers.MaxPool3D(pool_size=2)(x)
        x = layers.BatchNormalization()(x)

        x = layers.GlobalAveragePooling3D()(x)
        x = layers.Dense(units=units, activation="relu")(x)
        x = layers.Dropout(rate)(x)

        outputs = layers.Dense(units=1, activation="sigmoid")(x)

        # define the model
        model = keras.Model(inputs, outputs, name="3dcnn")
        return model

    model = get_model(img_size, 2)
    initial_learning_rate = 0.0001
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=lr_schedule),
        metrics=["acc"],
    )
    return model


def test_3d_image_classification_like_keras(tmp_path, narrow_terminal):
    """The CT-scan 3D CNN on volumes of 46^3 voxels (the example's 128^3, resized, smaller):
    Conv3D, MaxPool3D, BatchNormalization and GlobalAveragePooling3D; Adam on an
    ExponentialDecay schedule; the "acc" metric under its own name; a fit with
    ModelCheckpoint(save_best_only) and EarlyStopping(monitor="val_acc"), the best file loaded
    back; predictions and files both ways."""
    rng = np.random.default_rng(3)
    size = (46, 46, 46, 1)
    x = rng.uniform(0, 1, (6, *size)).astype("float32")
    y = np.array([1, 0, 1, 0, 1, 0])
    sizes = dict(img_size=size, widths=(4, 4, 6, 8), units=8)
    model, ref = _both(cnn_3d, **sizes)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=4, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, what="predictions")
    _loads_both_ways(model, ref, x, tmp_path, None, None)

    model, ref = _both(cnn_3d, rate=0.0, **sizes)
    _same_weights(model, ref, seed=5, scale=0.3)
    histories = []
    for m, lib, name in zip((model, ref), _libs(), ("ours", "keras")):
        path = str(tmp_path / f"3d_image_classification_{name}.keras")
        callbacks = [lib.callbacks.ModelCheckpoint(path, save_best_only=True),
                     lib.callbacks.EarlyStopping(monitor="val_acc", patience=10)]
        histories.append(m.fit(x[:4], y[:4], validation_data=(x[4:], y[4:]), epochs=2,
                               batch_size=2, verbose=0, shuffle=False,
                               callbacks=callbacks).history)
        best = lib.models.load_model(path)
        best_at = int(np.argmin(histories[-1]["val_loss"]))
        _close(best.evaluate(x[4:], y[4:], verbose=0)[0], histories[-1]["val_loss"][best_at],
               rtol=1e-5, what=f"{name} best checkpoint")
    assert sorted(histories[0]) == sorted(histories[1]) == [
        "acc", "loss", "val_acc", "val_loss"]
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=2e-4, atol=1e-6, what=key)
    assert histories[0]["loss"][-1] < histories[0]["loss"][0]


# -- examples/vision/image_classification_from_scratch.py --------------------------------------

def small_xception(keras, layers, ops, input_shape, num_classes, stem=(32, 64),
                   sizes=(128, 256, 512, 728), top=1024, rate=0.5):
    def make_model(input_shape, num_classes):
        inputs = keras.Input(shape=input_shape)

        # Entry block
        x = layers.Rescaling(1.0 / 255)(inputs)
        x = layers.Conv2D(stem[0], 3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)

        x = layers.Conv2D(stem[1], 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)

        previous_block_activation = x  # Set aside residual

        for size in sizes:
            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(size, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)

            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(size, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)

            x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

            # Project residual
            residual = layers.Conv2D(size, 1, strides=2, padding="same")(
                previous_block_activation
            )
            x = layers.add([x, residual])  # Add back residual
            previous_block_activation = x  # Set aside next residual

        x = layers.SeparableConv2D(top, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)

        x = layers.GlobalAveragePooling2D()(x)
        if num_classes == 2:
            activation = "sigmoid"
            units = 1
        else:
            activation = "softmax"
            units = num_classes

        x = layers.Dropout(rate)(x)
        outputs = layers.Dense(units, activation=activation)(x)
        return keras.Model(inputs, outputs)

    model = make_model(input_shape, num_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_image_classification_from_scratch_like_keras(tmp_path, narrow_terminal):
    """The cats-vs-dogs small Xception on 16x16 images (the example's 180x180, smaller, and
    narrower): Rescaling, SeparableConv2D, MaxPooling2D(3, strides=2, padding="same") beside
    strided 1x1 projections joined by layers.add; the summary, predictions, a fit writing
    ModelCheckpoint("save_at_{epoch}.keras") each epoch, the files loaded both ways."""
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 255, (12, 16, 16, 3)).astype("float32")
    y = rng.integers(0, 2, 12)
    sizes = dict(input_shape=(16, 16, 3), num_classes=2, stem=(4, 8), sizes=(8, 12, 16, 20),
                 top=24)
    model, ref = _both(small_xception, **sizes)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=7, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, what="predictions")
    _loads_both_ways(model, ref, x, tmp_path, None, None)

    model, ref = _both(small_xception, rate=0.0, **sizes)
    _same_weights(model, ref, seed=8, scale=0.3)
    histories = []
    for m, lib, name in zip((model, ref), _libs(), ("ours", "keras")):
        folder = tmp_path / name
        folder.mkdir()
        callbacks = [lib.callbacks.ModelCheckpoint(str(folder / "save_at_{epoch}.keras"))]
        histories.append(m.fit(x, y, epochs=2, batch_size=4, verbose=0, shuffle=False,
                               callbacks=callbacks).history)
        assert sorted(os.listdir(folder)) == ["save_at_1.keras", "save_at_2.keras"]
        last = lib.models.load_model(str(folder / "save_at_2.keras"))
        _close(last.predict(x, verbose=0), m.predict(x, verbose=0), what=f"{name} last file")
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=2e-4, atol=1e-6, what=key)
    assert histories[0]["loss"][-1] < histories[0]["loss"][0]


# -- examples/vision/convmixer.py --------------------------------------------------------------

def conv_mixer(keras, layers, ops, image_size=32, filters=256, depth=8, kernel_size=5,
               patch_size=2, num_classes=10):
    def activation_block(x):
        x = layers.Activation("gelu")(x)
        return layers.BatchNormalization()(x)

    def conv_stem(x, filters: int, patch_size: int):
        x = layers.Conv2D(filters, kernel_size=patch_size, strides=patch_size)(x)
        return activation_block(x)

    def conv_mixer_block(x, filters: int, kernel_size: int):
        # Depthwise convolution.
        x0 = x
        x = layers.Conv2D(filters, kernel_size=kernel_size, groups=filters, padding="same")(x)
        x = layers.Add()([activation_block(x), x0])  # Residual.

        # Pointwise convolution.
        x = layers.Conv2D(filters, kernel_size=1)(x)
        x = activation_block(x)

        return x

    inputs = keras.Input((image_size, image_size, 3))
    x = layers.Rescaling(scale=1.0 / 255)(inputs)

    # Extract patch embeddings.
    x = conv_stem(x, filters, patch_size)

    # ConvMixer blocks.
    for _ in range(depth):
        x = conv_mixer_block(x, filters, kernel_size)

    # Classification block.
    x = layers.GlobalAvgPool2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)

    model = keras.Model(inputs, outputs)
    optimizer = keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.0001)
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_convmixer_like_keras(tmp_path, narrow_terminal):
    """ConvMixer-16/2 on 16x16 images (the example's 256/8 on CIFAR-10's 32x32): the patch
    stem, Conv2D(groups=filters) depthwise mixing, gelu and BatchNormalization, AdamW; a fit
    with ModelCheckpoint(monitor="val_accuracy", save_best_only, save_weights_only) whose
    weights file is loaded back before evaluate, and the example's search for the layers
    whose config says kernel_size == (5, 5)."""
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 255, (20, 16, 16, 3)).astype("float32")
    y = rng.integers(0, 10, 20)
    sizes = dict(image_size=16, filters=8, depth=2, kernel_size=5, patch_size=2)
    model, ref = _both(conv_mixer, **sizes)
    _same_summary(model, ref)
    found = [[i for i, layer in enumerate(m.layers) if isinstance(layer, lib.layers.Conv2D)
              and layer.get_config()["kernel_size"] == (5, 5)]
             for m, lib in zip((model, ref), _libs())]
    assert found[0] == found[1] and len(found[0]) == 2
    _same_weights(model, ref, seed=10, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, what="predictions")
    histories, evaluated = [], []
    for m, lib, name in zip((model, ref), _libs(), ("ours", "keras")):
        checkpoint_filepath = str(tmp_path / f"checkpoint_{name}.weights.h5")
        checkpoint_callback = lib.callbacks.ModelCheckpoint(
            checkpoint_filepath, monitor="val_accuracy", save_best_only=True,
            save_weights_only=True)
        histories.append(m.fit(x[:16], y[:16], validation_data=(x[16:], y[16:]), epochs=2,
                               batch_size=4, verbose=0, shuffle=False,
                               callbacks=[checkpoint_callback]).history)
        m.load_weights(checkpoint_filepath)
        evaluated.append(m.evaluate(x[16:], y[16:], verbose=0))
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=2e-4, atol=1e-6, what=key)
    _close(evaluated[0], evaluated[1], rtol=2e-4, what="evaluate of the best weights")
    assert histories[0]["loss"][-1] < histories[0]["loss"][0]
    _loads_both_ways(model, ref, x, tmp_path, None, None)


# -- examples/vision/autoencoder.py ------------------------------------------------------------

def denoising_autoencoder(keras, layers, ops, side=28, width=32):
    input = layers.Input(shape=(side, side, 1))

    # Encoder
    x = layers.Conv2D(width, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(width, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)

    # Decoder
    x = layers.Conv2DTranspose(width, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(width, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

    # Autoencoder
    autoencoder = keras.Model(input, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    return autoencoder


def test_denoising_autoencoder_like_keras(tmp_path, narrow_terminal):
    """MNIST-shaped (28x28x1) images and the example's noise (0.4 * normal, clipped to
    [0, 1]): the autoencoder fit on its own images with validation_data, then on the noisy
    images against the clean ones; the same logs and weights, and the files both ways."""
    rng = np.random.default_rng(11)
    array = rng.uniform(0, 1, (16, 28, 28, 1)).astype("float32")
    noisy_array = np.clip(array + 0.4 * rng.normal(size=array.shape), 0.0, 1.0).astype("float32")
    model, ref = _both(denoising_autoencoder, width=6)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=12, scale=0.3)
    _fits_alike(model, ref, array[:12], array[:12], epochs=2, batch_size=4,
                validation_data=(array[12:], array[12:]))
    history = _fits_alike(model, ref, noisy_array[:12], array[:12], epochs=2, batch_size=4,
                          validation_data=(noisy_array[12:], array[12:]))
    assert history["loss"][-1] < history["loss"][0]
    _loads_both_ways(model, ref, noisy_array, tmp_path, None, None)


# -- examples/vision/video_classification.py ---------------------------------------------------

def video_sequence_model(keras, layers, ops, max_seq_length, num_features, n_classes, rate=0.4):
    frame_features_input = keras.Input((max_seq_length, num_features))
    mask_input = keras.Input((max_seq_length,), dtype="bool")

    # Refer to the following tutorial to understand the significance of using `mask`:
    # https://keras.io/api/layers/recurrent_layers/gru/
    x = keras.layers.GRU(16, return_sequences=True)(frame_features_input, mask=mask_input)
    x = keras.layers.GRU(8)(x)
    x = keras.layers.Dropout(rate)(x)
    x = keras.layers.Dense(8, activation="relu")(x)
    output = keras.layers.Dense(n_classes, activation="softmax")(x)

    rnn_model = keras.Model([frame_features_input, mask_input], output)

    rnn_model.compile(
        loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"]
    )
    return rnn_model


def padded_frames(rng, videos, max_seq_length, num_features):
    """The example's prepare_all_videos: each video's frame features, zero past its length,
    and the boolean mask of its real frames."""
    features = np.zeros((videos, max_seq_length, num_features), dtype="float32")
    masks = np.zeros((videos, max_seq_length), dtype="bool")
    for i, length in enumerate(rng.integers(2, max_seq_length + 1, videos)):
        features[i, :length] = rng.normal(size=(length, num_features))
        masks[i, :length] = True
    return features, masks


def test_video_classification_sequence_model_like_keras(tmp_path, narrow_terminal):
    """The CNN-RNN video classifier's sequence model: GRU called with `mask=` a boolean Input
    (videos shorter than MAX_SEQ_LENGTH padded with zeros), a second GRU, Dropout. The given
    mask was not passed on to the second GRU's symbolic input (its node was written with
    mask None), the first GRU's node got a `training` Keras does not write, and the summary's
    "Connected to" left the mask out; now the summary and the nodes are Keras's, the
    padded frames change nothing, a fit with validation_split and a save_best_only
    save_weights_only checkpoint loaded back, and the files both ways."""
    rng = np.random.default_rng(13)
    features, masks = padded_frames(rng, 20, 6, 12)
    labels = rng.integers(0, 5, 20)
    sizes = dict(max_seq_length=6, num_features=12, n_classes=5)
    model, ref = _both(video_sequence_model, **sizes)
    _same_summary(model, ref)
    # Keras's nodes: the first GRU's the mask given (and no `training`: a call given keywords
    # records them as given), the second's the mask the first passes on.
    nodes = [[layer["inbound_nodes"] for layer in json.loads(m.to_json())["config"]["layers"]]
             for m in (model, ref)]
    assert nodes[0] == nodes[1]
    _same_weights(model, ref, seed=14, scale=0.3)
    predicted = model.predict([features, masks], verbose=0)
    _close(predicted, ref.predict([features, masks], verbose=0), rtol=1e-4, what="predictions")
    garbage = np.where(masks[..., None], features, 7.0).astype("float32")
    _close(model.predict([garbage, masks], verbose=0), predicted, rtol=1e-5,
           what="masked frames ignored")
    _loads_both_ways(model, ref, [features, masks], tmp_path, None, None)

    model, ref = _both(video_sequence_model, rate=0.0, **sizes)
    _same_weights(model, ref, seed=15, scale=0.3)
    histories = []
    for m, lib, name in zip((model, ref), _libs(), ("ours", "keras")):
        filepath = str(tmp_path / f"video_classifier_{name}.weights.h5")
        checkpoint = lib.callbacks.ModelCheckpoint(
            filepath, save_weights_only=True, save_best_only=True, verbose=0)
        histories.append(m.fit([features, masks], labels, validation_split=0.3, epochs=2,
                               batch_size=4, verbose=0, shuffle=False,
                               callbacks=[checkpoint]).history)
        m.load_weights(filepath)
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=2e-4, atol=1e-6, what=key)
    assert histories[0]["loss"][-1] < histories[0]["loss"][0]
    _close(model.evaluate([features, masks], labels, verbose=0),
           ref.evaluate([features, masks], labels, verbose=0), rtol=2e-4,
           what="evaluate of the best weights")


# -- examples/nlp/text_classification_from_scratch.py ------------------------------------------

def text_cnn(keras, layers, ops, max_features=20000, embedding_dim=128, width=128, dense=128,
             rate=0.5):
    # A integer input for vocab indices.
    inputs = keras.Input(shape=(None,), dtype="int64")

    # Next, we add a layer to map those vocab indices into a space of dimensionality
    # 'embedding_dim'.
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(rate)(x)

    # Conv1D + global max pooling
    x = layers.Conv1D(width, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(width, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)

    # We add a vanilla hidden layer:
    x = layers.Dense(dense, activation="relu")(x)
    x = layers.Dropout(rate)(x)

    # We project onto a single unit output layer, and squash it with a sigmoid:
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)

    model = keras.Model(inputs, predictions)

    # Compile the model with binary crossentropy loss and an adam optimizer.
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def test_text_classification_from_scratch_like_keras(tmp_path, narrow_terminal):
    """The IMDB convnet on token indices of any length (Input(shape=(None,), "int64")):
    Embedding, Conv1D(7, strides=3, padding="valid") twice, GlobalMaxPooling1D; the summary,
    predictions on two sequence lengths, a fit with validation_data, the files both ways;
    then the example's end-to-end model, a string Input through TextVectorization into the
    trained model, predicting what the model predicts on the vocabulary's indices."""
    rng = np.random.default_rng(16)
    sizes = dict(max_features=50, embedding_dim=8, width=8, dense=8)
    x = rng.integers(0, 50, (16, 40))
    y = rng.integers(0, 2, 16)
    model, ref = _both(text_cnn, **sizes)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=17, scale=0.3)
    for length in (40, 25):
        _close(model.predict(x[:, :length], verbose=0), ref.predict(x[:, :length], verbose=0),
               rtol=1e-4, what=f"predictions of length {length}")
    _loads_both_ways(model, ref, x, tmp_path, None, None)

    model, ref = _both(text_cnn, rate=0.0, **sizes)
    _same_weights(model, ref, seed=18, scale=0.3)
    history = _fits_alike(model, ref, x[:12], y[:12], epochs=2, batch_size=4,
                          validation_data=(x[12:], y[12:]))
    assert history["loss"][-1] < history["loss"][0]

    # The end-to-end model (ours only: real Keras's TextVectorization needs TensorFlow).
    keras = _libs()[0]
    words = [f"w{i}" for i in range(30)]
    texts = np.array([" ".join(rng.choice(words, 30)) for _ in range(6)])
    vectorize_layer = keras.layers.TextVectorization(
        max_tokens=50, output_mode="int", output_sequence_length=40)
    vectorize_layer.adapt(texts)
    vocabulary = vectorize_layer.get_vocabulary()
    indices = np.array([[vocabulary.index(w) for w in t.split()] + [0] * 10 for t in texts])
    inputs = keras.Input(shape=(1,), dtype="string")
    indices_out = vectorize_layer(inputs)
    outputs = model(indices_out)
    end_to_end_model = keras.Model(inputs, outputs)
    end_to_end_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    _close(end_to_end_model.predict(texts[:, None], verbose=0), model.predict(indices, verbose=0),
           rtol=1e-5, what="end-to-end model")
    loss, accuracy = end_to_end_model.evaluate(texts[:, None], y[:6], verbose=0)
    _close([loss, accuracy], model.evaluate(indices, y[:6], verbose=0), rtol=1e-5,
           what="end-to-end evaluate")


# -- examples/generative/ddim.py ---------------------------------------------------------------

# The example's embedding_max_frequency is 1000.0: sines of up to 2 pi 1000 radians, where
# ops.linspace's last bit (JAX computes start * (1 - t) + stop * t in float32; numpy, and the
# library, in float64) moves the embedding by 1e-3. A smaller top frequency keeps the
# comparison to float32's precision.
EMBEDDING_DIMS, EMBEDDING_MAX_FREQUENCY = 32, 10.0


def residual_unet(keras, layers, ops, image_size, widths, block_depth):
    import math

    @keras.saving.register_keras_serializable()
    def sinusoidal_embedding(x):
        embedding_min_frequency = 1.0
        frequencies = ops.exp(
            ops.linspace(
                ops.log(embedding_min_frequency),
                ops.log(EMBEDDING_MAX_FREQUENCY),
                EMBEDDING_DIMS // 2,
            )
        )
        angular_speeds = ops.cast(2.0 * math.pi * frequencies, "float32")
        embeddings = ops.concatenate(
            [ops.sin(angular_speeds * x), ops.cos(angular_speeds * x)], axis=3
        )
        return embeddings

    def ResidualBlock(width):
        def apply(x):
            input_width = x.shape[3]
            if input_width == width:
                residual = x
            else:
                residual = layers.Conv2D(width, kernel_size=1)(x)
            x = layers.BatchNormalization(center=False, scale=False)(x)
            x = layers.Conv2D(width, kernel_size=3, padding="same", activation="swish")(x)
            x = layers.Conv2D(width, kernel_size=3, padding="same")(x)
            x = layers.Add()([x, residual])
            return x

        return apply

    def DownBlock(width, block_depth):
        def apply(x):
            x, skips = x
            for _ in range(block_depth):
                x = ResidualBlock(width)(x)
                skips.append(x)
            x = layers.AveragePooling2D(pool_size=2)(x)
            return x

        return apply

    def UpBlock(width, block_depth):
        def apply(x):
            x, skips = x
            x = layers.UpSampling2D(size=2, interpolation="bilinear")(x)
            for _ in range(block_depth):
                x = layers.Concatenate()([x, skips.pop()])
                x = ResidualBlock(width)(x)
            return x

        return apply

    noisy_images = keras.Input(shape=(image_size, image_size, 3))
    noise_variances = keras.Input(shape=(1, 1, 1))

    e = layers.Lambda(sinusoidal_embedding, output_shape=(1, 1, 32))(noise_variances)
    e = layers.UpSampling2D(size=image_size, interpolation="nearest")(e)

    x = layers.Conv2D(widths[0], kernel_size=1)(noisy_images)
    x = layers.Concatenate()([x, e])

    skips = []
    for width in widths[:-1]:
        x = DownBlock(width, block_depth)([x, skips])

    for _ in range(block_depth):
        x = ResidualBlock(widths[-1])(x)

    for width in reversed(widths[:-1]):
        x = UpBlock(width, block_depth)([x, skips])

    x = layers.Conv2D(3, kernel_size=1, kernel_initializer="zeros")(x)

    network = keras.Model([noisy_images, noise_variances], x, name="residual_unet")
    return network, {"sinusoidal_embedding": sinusoidal_embedding}


def test_ddim_residual_unet_like_keras(tmp_path, narrow_terminal):
    """The denoising diffusion implicit model's residual U-Net on 8x8 images (the example's
    64x64, widths [32, 64, 96, 128] and block depth 2, smaller): the noise variance's
    sinusoidal embedding in a Lambda of a registered function written with ops,
    UpSampling2D to the image size ("nearest") and by 2 ("bilinear"), AveragePooling2D,
    BatchNormalization(center=False, scale=False), swish, a zeros-initialized last kernel;
    its EMA twin from keras.models.clone_model updated by Variable.assign as the example's
    train_step does. The train_step itself takes a tf.GradientTape (TensorFlow only): the
    network is fit here on its noisy images and noises directly, with AdamW and
    keras.losses.mean_absolute_error as the example compiles it, and the example's
    diffusion_schedule and denoise run on the predictions."""
    rng = np.random.default_rng(19)
    images = rng.normal(size=(8, 8, 8, 3)).astype("float32")
    noises = rng.normal(size=images.shape).astype("float32")
    diffusion_times = rng.uniform(0, 1, (8, 1, 1, 1)).astype("float32")
    min_signal_rate, max_signal_rate, ema = 0.02, 0.95, 0.999

    def diffusion_schedule(ops, diffusion_times):
        start_angle = ops.cast(ops.arccos(max_signal_rate), "float32")
        end_angle = ops.cast(ops.arccos(min_signal_rate), "float32")
        diffusion_angles = start_angle + diffusion_times * (end_angle - start_angle)
        return ops.sin(diffusion_angles), ops.cos(diffusion_angles)

    sizes = dict(image_size=8, widths=[4, 8], block_depth=1)
    (network, custom), (ref, ref_custom) = _both(residual_unet, **sizes)
    _same_summary(network, ref)
    _same_weights(network, ref, seed=20, scale=0.3)
    noisy, pred_noises, pred_images = [], [], []
    for m, lib in zip((network, ref), _libs()):
        noise_rates, signal_rates = diffusion_schedule(lib.ops, diffusion_times)
        noisy_images = np.asarray(signal_rates) * images + np.asarray(noise_rates) * noises
        noisy.append([noisy_images.astype("float32"), np.asarray(noise_rates, "float32") ** 2])
        pred_noises.append(m.predict(noisy[-1], verbose=0))
        pred_images.append((noisy_images - np.asarray(noise_rates) * pred_noises[-1])
                           / np.asarray(signal_rates))
    _close(noisy[0][0], noisy[1][0], rtol=1e-5, atol=1e-6, what="noisy images")
    # (outputs up to ~25 with entries near 0 from sums of such: float32's error is of the scale;
    # the images divide by signal rates down to 0.02 after a cancellation)
    _close(pred_noises[0], pred_noises[1], rtol=1e-4, atol=2e-5 * np.abs(pred_noises[1]).max(),
           what="predicted noises")
    _close(pred_images[0], pred_images[1], rtol=1e-4, atol=1e-5 * np.abs(pred_images[1]).max(),
           what="denoised images")
    # The files both ways: the Lambda's entry names the registered function as Keras's does
    # ("Custom>sinusoidal_embedding"; each library reads the other's). Compared to the scale of
    # the outputs, as above.
    import swiftkeras
    keras = _libs()[1]
    ours_path, ref_path = str(tmp_path / "ours.keras"), str(tmp_path / "keras.keras")
    network.save(ours_path)
    ref.save(ref_path)
    scale = np.abs(pred_noises[1]).max()
    for loaded, expected in ((swiftkeras.models.load_model(ours_path, custom_objects=custom),
                              pred_noises[0]),
                             (keras.models.load_model(ours_path, custom_objects=ref_custom),
                              pred_noises[0]),
                             (swiftkeras.models.load_model(ref_path, custom_objects=custom),
                              pred_noises[1])):
        _close(loaded.predict(noisy[1], verbose=0), expected, rtol=1e-4, atol=2e-5 * scale,
               what=f"{type(loaded).__module__} loading a file")

    emas = []
    for m, lib in zip((network, ref), _libs()):
        ema_network = lib.models.clone_model(m)
        ema_network.set_weights(m.get_weights())
        m.compile(optimizer=lib.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4),
                  loss=lib.losses.mean_absolute_error)
        emas.append(ema_network)
    # (the logs; Adam's steps on gradients near 0 move the weights by the embedding's last bits)
    history = _fits_alike(network, ref, noisy[1], noises, epochs=2, batch_size=4, weights=False)
    assert history["loss"][-1] < history["loss"][0]
    for m, ema_network in zip((network, ref), emas):
        for weight, ema_weight in zip(m.weights, ema_network.weights):
            ema_weight.assign(ema * ema_weight + (1 - ema) * weight)
    _close(emas[0].predict(noisy[1], verbose=0), emas[1].predict(noisy[1], verbose=0),
           rtol=1e-4, atol=2e-5 * scale, what="the EMA network")
