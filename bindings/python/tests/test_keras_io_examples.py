"""keras.io examples as the test: each example's model-building, compile and fit code as the
tutorial writes it (Keras 3 versions; only the import differs), on small synthetic data of the
tutorial's shapes and dtypes, run on swiftkeras and compared with real Keras 3: the summary text,
parameter counts, a fit whose loss is finite and starts at chance level, `.keras` save and load
here with the same predictions, and the same file loaded by real Keras predicting the same.

Sources: keras-team/keras-io examples/vision/mnist_convnet.py, vision/autoencoder.py,
vision/image_classification_from_scratch.py (make_model), vision/convmixer.py,
nlp/text_classification_from_scratch.py (model part),
nlp/text_classification_with_transformer.py (custom layers calling built-in layers), timeseries/
timeseries_classification_from_scratch.py, timeseries/timeseries_classification_transformer.py,
timeseries/timeseries_weather_forecasting.py,
nlp/bidirectional_lstm_imdb.py, keras_recipes/antirectifier.py, generative/vae.py (encoder and
decoder; its train_step uses tf.GradientTape). Sizes the tutorials set by data (image size,
convmixer width/depth, sequence length) are smaller here so the file runs in seconds.
"""
import math

import numpy as np
import pytest

from conftest import needs, CORE, keras_draws_from_numpy, real_keras, summary_lines

pytestmark = needs(*CORE)


def mnist_convnet(keras, layers, ops):
    num_classes = 10
    input_shape = (28, 28, 1)
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1)).astype("float32")
    y = keras.utils.to_categorical(rng.integers(0, 10, 64), num_classes)
    return model, x, y, dict(batch_size=32, validation_split=0.1)


def autoencoder(keras, layers, ops):
    Model = keras.Model
    input = layers.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = Model(input, x)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    rng = np.random.default_rng(1)
    x = rng.random((32, 28, 28, 1)).astype("float32")
    return autoencoder, x, x, dict(batch_size=16, shuffle=True, validation_data=(x[:8], x[:8]))


def image_classification_from_scratch(keras, layers, ops):
    def make_model(input_shape, num_classes):
        inputs = keras.Input(shape=input_shape)
        x = layers.Rescaling(1.0 / 255)(inputs)
        x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        previous_block_activation = x
        for size in [256, 512, 728]:
            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(size, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(size, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
            x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
            residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
            x = layers.add([x, residual])
            previous_block_activation = x
        x = layers.SeparableConv2D(1024, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.GlobalAveragePooling2D()(x)
        if num_classes == 2:
            units = 1
        else:
            units = num_classes
        x = layers.Dropout(0.25)(x)
        outputs = layers.Dense(units, activation=None)(x)
        return keras.Model(inputs, outputs)
    image_size = (32, 32)  # example: (180, 180)
    model = make_model(input_shape=image_size + (3,), num_classes=2)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-4),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    )
    rng = np.random.default_rng(2)
    x = (rng.random((16, 32, 32, 3)) * 255).astype("float32")
    y = rng.integers(0, 2, (16, 1)).astype("float32")
    return model, x, y, dict(batch_size=8)


def convmixer(keras, layers, ops):
    def activation_block(x):
        x = layers.Activation("gelu")(x)
        return layers.BatchNormalization()(x)
    def conv_stem(x, filters: int, patch_size: int):
        x = layers.Conv2D(filters, kernel_size=patch_size, strides=patch_size)(x)
        return activation_block(x)
    def conv_mixer_block(x, filters: int, kernel_size: int):
        x0 = x
        x = layers.DepthwiseConv2D(kernel_size=kernel_size, padding="same")(x)
        x = layers.Add()([activation_block(x), x0])
        x = layers.Conv2D(filters, kernel_size=1)(x)
        x = activation_block(x)
        return x
    def get_conv_mixer_256_8(image_size=32, filters=256, depth=8, kernel_size=5, patch_size=2, num_classes=10):
        inputs = keras.Input((image_size, image_size, 3))
        x = layers.Rescaling(scale=1.0 / 255)(inputs)
        x = conv_stem(x, filters, patch_size)
        for _ in range(depth):
            x = conv_mixer_block(x, filters, kernel_size)
        x = layers.GlobalAvgPool2D()(x)
        outputs = layers.Dense(num_classes, activation="softmax")(x)
        return keras.Model(inputs, outputs)
    learning_rate = 0.001
    weight_decay = 0.0001
    model = get_conv_mixer_256_8(filters=64, depth=2)  # example: filters=256, depth=8
    optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(3)
    x = (rng.random((16, 32, 32, 3)) * 255).astype("float32")
    y = rng.integers(0, 10, 16)
    return model, x, y, dict(batch_size=8)


def text_classification_from_scratch(keras, layers, ops):
    max_features = 20000
    embedding_dim = 128
    sequence_length = 500
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.Conv1D(128, 7, padding="valid", activation="relu", strides=3)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model = keras.Model(inputs, predictions)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    rng = np.random.default_rng(4)
    x = rng.integers(0, max_features, (32, sequence_length)).astype("int64")
    y = rng.integers(0, 2, (32, 1)).astype("float32")
    return model, x, y, dict(batch_size=16)


def transformer_tutorial_layers(keras, layers, ops):
    """The tutorial's two layers written in Python, whose `call` calls built-in layers."""
    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim),]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output)
            return self.layernorm2(out1 + ffn_output)

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

    return TransformerBlock, TokenAndPositionEmbedding


def text_classification_with_transformer(keras, layers, ops):
    TransformerBlock, TokenAndPositionEmbedding = transformer_tutorial_layers(keras, layers, ops)
    vocab_size = 20000
    maxlen = 200
    embed_dim = 32
    num_heads = 2
    ff_dim = 32
    inputs = layers.Input(shape=(maxlen,))
    embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(5)
    x = rng.integers(0, vocab_size, (32, maxlen))
    y = rng.integers(0, 2, 32)
    return model, x, y, dict(batch_size=16, validation_data=(x[:8], y[:8]))


def timeseries_classification_from_scratch(keras, layers, ops):
    num_classes = 2
    def make_model(input_shape):
        input_layer = keras.layers.Input(input_shape)
        conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
        conv1 = keras.layers.BatchNormalization()(conv1)
        conv1 = keras.layers.ReLU()(conv1)
        conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
        conv2 = keras.layers.BatchNormalization()(conv2)
        conv2 = keras.layers.ReLU()(conv2)
        conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
        conv3 = keras.layers.BatchNormalization()(conv3)
        conv3 = keras.layers.ReLU()(conv3)
        gap = keras.layers.GlobalAveragePooling1D()(conv3)
        output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)
        return keras.models.Model(inputs=input_layer, outputs=output_layer)
    rng = np.random.default_rng(6)
    x_train = rng.standard_normal((32, 500, 1)).astype("float32")
    y_train = rng.integers(0, 2, 32)
    model = make_model(input_shape=x_train.shape[1:])
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            "best_model.keras", save_best_only=True, monitor="val_loss"
        ),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
    ]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model, x_train, y_train, dict(batch_size=16, callbacks=callbacks, validation_split=0.2)


def timeseries_weather_forecasting(keras, layers, ops):
    learning_rate = 0.001
    rng = np.random.default_rng(7)
    x = rng.standard_normal((32, 120, 7)).astype("float32")
    y = rng.standard_normal((32, 1)).astype("float32")
    inputs = keras.layers.Input(shape=(x.shape[1], x.shape[2]))
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    path_checkpoint = "model_checkpoint.weights.h5"
    es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
    modelckpt_callback = keras.callbacks.ModelCheckpoint(
        monitor="val_loss",
        filepath=path_checkpoint,
        verbose=1,
        save_weights_only=True,
        save_best_only=True,
    )
    return model, x, y, dict(batch_size=16, validation_data=(x[:8], y[:8]),
                             callbacks=[es_callback, modelckpt_callback])


def bidirectional_lstm_imdb(keras, layers, ops):
    max_features = 20000
    maxlen = 200
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(max_features, 128)(inputs)
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(8)
    seqs = [list(rng.integers(1, max_features, rng.integers(5, 60))) for _ in range(16)]
    x_train = keras.utils.pad_sequences(seqs, maxlen=maxlen)
    y = rng.integers(0, 2, 16).astype("float32")
    return model, x_train[:, -40:], y, dict(batch_size=8)


def antirectifier(keras, layers, ops):
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
            base_config = super().get_config()
            config = {"initializer": keras.initializers.serialize(self.initializer)}
            return dict(list(base_config.items()) + list(config.items()))

    model = keras.Sequential(
        [
            keras.Input(shape=(784,)),
            layers.Dense(256),
            Antirectifier(),
            layers.Dense(256),
            Antirectifier(),
            layers.Dropout(0.5),
            layers.Dense(10),
        ]
    )
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    rng = np.random.default_rng(9)
    x = rng.random((64, 784)).astype("float32")
    y = rng.integers(0, 10, 64)
    return model, x, y, dict(batch_size=32, validation_split=0.15)


def vae(keras, layers, ops):
    class Sampling(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch = ops.shape(z_mean)[0]
            dim = ops.shape(z_mean)[1]
            epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    latent_dim = 2
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)
    decoder_outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")
    # the example's VAE.train_step uses tf.GradientTape; the decoder trains here as an autoencoder-style check
    decoder.compile(optimizer=keras.optimizers.Adam(), loss="binary_crossentropy")
    rng = np.random.default_rng(11)
    z = rng.standard_normal((32, 2)).astype("float32")
    imgs = rng.random((32, 28, 28, 1)).astype("float32")
    return decoder, z, imgs, dict(batch_size=16, extra={"encoder": encoder})


def timeseries_classification_transformer(keras, layers, ops):
    n_classes = 2
    def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
        x = layers.MultiHeadAttention(
            key_dim=head_size, num_heads=num_heads, dropout=dropout
        )(inputs, inputs)
        x = layers.Dropout(dropout)(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
        res = x + inputs
        x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
        x = layers.Dropout(dropout)(x)
        x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
        x = layers.LayerNormalization(epsilon=1e-6)(x)
        return x + res

    def build_model(input_shape, head_size, num_heads, ff_dim, num_transformer_blocks,
                    mlp_units, dropout=0, mlp_dropout=0):
        inputs = keras.Input(shape=input_shape)
        x = inputs
        for _ in range(num_transformer_blocks):
            x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)
        x = layers.GlobalAveragePooling1D(data_format="channels_last")(x)
        for dim in mlp_units:
            x = layers.Dense(dim, activation="relu")(x)
            x = layers.Dropout(mlp_dropout)(x)
        outputs = layers.Dense(n_classes, activation="softmax")(x)
        return keras.Model(inputs, outputs)

    rng = np.random.default_rng(12)
    x_train = rng.standard_normal((16, 50, 1)).astype("float32")  # example: 500 steps
    y_train = rng.integers(0, 2, 16)
    input_shape = x_train.shape[1:]
    model = build_model(input_shape, head_size=256, num_heads=4, ff_dim=4,
                        num_transformer_blocks=4, mlp_units=[128], mlp_dropout=0.4, dropout=0.25)
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=1e-4),
                  metrics=["sparse_categorical_accuracy"])
    callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]
    return model, x_train, y_train, dict(validation_split=0.2, batch_size=8, callbacks=callbacks)


# example name -> (the loss an untrained model starts near: chance level, or None when the
# example's initial logits make it arbitrary; whether two epochs lower the loss)
EXAMPLES = {
    "mnist_convnet": (math.log(10), True),
    "autoencoder": (math.log(2), True),
    "image_classification_from_scratch": (math.log(2), True),
    "convmixer": (math.log(10), True),
    "text_classification_from_scratch": (math.log(2), True),
    "text_classification_with_transformer": (math.log(2), True),
    "timeseries_classification_from_scratch": (math.log(2), True),
    "timeseries_classification_transformer": (math.log(2), False),   # Adam(1e-4): flat
    "timeseries_weather_forecasting": (1.0, True),     # mse on unit-variance targets
    "bidirectional_lstm_imdb": (math.log(2), True),
    "antirectifier": (None, False),                    # RMSprop on unscaled logits
    "vae": (math.log(2), True),
}


def _build(lib, name):
    """The example's model on `lib` (swiftkeras or real Keras) from fresh layer names."""
    lib.backend.clear_session()
    lib.utils.set_random_seed(0)
    model, x, y, fit_kwargs = globals()[name](lib, lib.layers, lib.ops)
    extra = fit_kwargs.pop("extra", {})
    return model, x, y, fit_kwargs, extra


@pytest.fixture()
def narrow_terminal(monkeypatch):
    """Both libraries size the summary from the terminal (COLUMNS): 80 columns, where long
    layer names no longer fit their column."""
    monkeypatch.setenv("COLUMNS", "80")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_keras_io_example_builds_trains_saves_like_keras(name, tmp_path, narrow_terminal,
                                                         monkeypatch):
    import swiftkeras
    monkeypatch.chdir(tmp_path)   # the examples' checkpoints write to the working directory
    keras = real_keras()
    # (Keras's weights are never compared: its draws and the files' loads take numpy's)
    with keras_draws_from_numpy():
        ref, _, _, _, ref_extra = _build(keras, name)
    ref_summary = summary_lines(ref) + [s for m in ref_extra.values() for s in summary_lines(m)]

    model, x, y, fit_kwargs, extra = _build(swiftkeras, name)
    assert summary_lines(model) + [s for m in extra.values() for s in summary_lines(m)] == ref_summary
    assert model.count_params() == ref.count_params()

    losses = model.fit(x, y, epochs=2, verbose=0, **fit_kwargs).history["loss"]
    assert all(math.isfinite(v) for v in losses), losses
    chance, decreases = EXAMPLES[name]
    if chance is not None:
        assert 0.7 * chance < losses[0] < 1.4 * chance, losses
    if decreases:
        assert losses[1] < losses[0], losses

    custom_ours = {type(l).__name__: type(l) for l in model.layers
                   if not type(l).__module__.startswith("swiftkeras")}
    custom_ref = {type(l).__name__: type(l) for l in ref.layers
                  if not type(l).__module__.startswith("keras")}
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    predicted = model.predict(x, verbose=0)
    reloaded = swiftkeras.models.load_model(path, custom_objects=custom_ours)
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), predicted)
    if name == "timeseries_classification_from_scratch":   # the example reloads its best epoch
        best = swiftkeras.models.load_model("best_model.keras")
        assert best.count_params() == model.count_params()
    if name == "timeseries_weather_forecasting":   # and this one its best weights
        model.load_weights("model_checkpoint.weights.h5")
    if custom_ref and not _keras_reloads_own_file(ref, custom_ref, str(tmp_path / f"{name}_keras.keras")):
        # Keras cannot load the file it writes for this example (its layers' constructors take
        # no **kwargs, and Keras's config has `trainable`): ours fails there the same way (its
        # config also has the layer's `name`, which the library's config always carries).
        with pytest.raises(TypeError, match="unexpected keyword argument '(trainable|name)'"), \
                keras_draws_from_numpy():
            keras.models.load_model(path, custom_objects=custom_ref)
        return
    with keras_draws_from_numpy():      # the file's weights replace the drawn ones
        in_keras = keras.models.load_model(path, custom_objects=custom_ref)
    np.testing.assert_allclose(np.asarray(in_keras.predict(x, verbose=0)), predicted,
                               rtol=1e-4, atol=1e-5)


def _keras_reloads_own_file(ref, custom_ref, path):
    """Whether real Keras loads back the `.keras` file it writes of `ref`."""
    keras = real_keras()
    ref.save(path)
    try:
        with keras_draws_from_numpy():
            keras.models.load_model(path, custom_objects=custom_ref)
    except TypeError:
        return False
    return True
