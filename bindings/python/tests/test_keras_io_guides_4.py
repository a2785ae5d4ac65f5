"""keras.io guides and examples as the test (part 4): the model code of
guides/intro_to_keras_for_engineers.py, guides/preprocessing_layers.py, and the examples
nlp/lstm_seq2seq.py, nlp/addition_rnn.py, vision/knowledge_distillation.py,
timeseries/timeseries_anomaly_detection.py, vision/image_classification_with_vision_transformer.py,
generative/dcgan_overriding_train_step.py and nlp/neural_machine_translation_with_transformer.py
(keras-team/keras-io, Keras 3 versions: `keras.ops` for `tf.*`), run cell by cell on swiftkeras
and on real Keras 3 (JAX backend) with only the import changed, on small synthetic data of the
examples' shapes: the same initial weights give the same outputs, losses and weights (rtol 1e-5
unless a test states a looser tolerance and why), and saved files load both ways.

Where a cell cannot be compared number for number, the test says why: Dropout and the random
augmentation layers draw from each library's own random stream, so a fit through them is
compared by its logs, files and the predictions (inference) of the same weights; TextVectorization,
StringLookup, IntegerLookup and Hashing need TensorFlow in Keras 3 (absent here), so those cells
are checked against the outputs the guide publishes (guides/md/preprocessing_layers.md).
Not run: tf.data and PyTorch DataLoader cells (arrays instead), the guide's ResNet50 fit on
augmented CIFAR (the ResNet50 family is test_applications'), plots, and the DCGAN's
`train_step`, which takes its gradients from tf.GradientTape (TensorFlow only: Keras's JAX
backend cannot run it either; here the step fails where it hands gradients over, naming the
two routes that train in the library).
"""
import numpy as np
import pytest

from conftest import needs, CORE, fresh_library, keras_draws_from_numpy, summary_lines
from test_keras_io_guides_3 import _libs, _same_weights, narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


def _close(a, b, rtol=1e-5, atol=1e-6, what=""):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, err_msg=what)


def _mnist(n, seed=0):
    """MNIST's shapes and dtypes (uint8 28x28 images, uint8 labels), n rows, scaled and given a
    channel axis as the examples do."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8).astype("float32") / 255
    return np.expand_dims(x, -1), rng.integers(0, 10, n).astype(np.uint8)


# -- guides/intro_to_keras_for_engineers.py ---------------------------------------------------

def intro_convnet(keras):
    num_classes = 10
    input_shape = (28, 28, 1)
    model = keras.Sequential(
        [
            keras.layers.Input(shape=input_shape),
            keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
            keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
    return model


def intro_compile(keras, model):
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(),
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )


def test_intro_guide_convnet_fits_checkpoints_saves_like_keras(tmp_path, narrow_terminal):
    """The guide's MNIST convnet: its summary, the same predictions and evaluation from the same
    weights, a fit with ModelCheckpoint (a file per epoch) and EarlyStopping on val_loss logging
    Keras's figures, and final_model.keras loaded by keras.saving.load_model in both libraries
    (Keras's file loaded here too)."""
    sk, keras = _libs()
    x_train, y_train = _mnist(24)
    x_test, y_test = _mnist(8, seed=1)
    with keras_draws_from_numpy():       # (Keras's draws: _same_weights replaces them)
        ref = intro_convnet(fresh_library(keras)[0])
    model = intro_convnet(fresh_library(sk)[0])
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref)
    for m, lib in ((model, sk), (ref, keras)):
        intro_compile(lib, m)
    _close(model.predict(x_test, verbose=0), ref.predict(x_test, verbose=0), what="predict")
    _close(model.evaluate(x_test, y_test, verbose=0), ref.evaluate(x_test, y_test, verbose=0),
           what="evaluate")
    (tmp_path / "checkpoints").mkdir()
    callbacks = [
        sk.callbacks.ModelCheckpoint(filepath=str(tmp_path / "checkpoints" / "model_at_epoch_{epoch}.keras")),
        sk.callbacks.EarlyStopping(monitor="val_loss", patience=2),
    ]
    history = model.fit(x_train, y_train, batch_size=16, epochs=2, validation_split=0.15,
                        callbacks=callbacks, verbose=0).history
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "model_at_epoch_1.keras", "model_at_epoch_2.keras"]
    # Keras's logs for this compile (Dropout draws differently in each library: no numbers)
    assert history.keys() == {"loss", "acc", "val_loss", "val_acc"}
    assert all(np.isfinite(v).all() for v in history.values())
    path = str(tmp_path / "final_model.keras")
    model.save(path)
    predictions = model.predict(x_test, verbose=0)
    for lib in (sk, keras):
        _close(lib.saving.load_model(path).predict(x_test, verbose=0), predictions,
               what=f"{lib.__name__} load")
    ref.set_weights(model.get_weights())
    ref.save(str(tmp_path / "keras_final.keras"))
    _close(sk.saving.load_model(str(tmp_path / "keras_final.keras")).predict(x_test, verbose=0),
           predictions, what="Keras's file here")


def intro_classes(keras):
    class MyDense(keras.layers.Layer):
        def __init__(self, units, activation=None, name=None):
            super().__init__(name=name)
            self.units = units
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            input_dim = input_shape[-1]
            self.w = self.add_weight(shape=(input_dim, self.units),
                                     initializer=keras.initializers.GlorotNormal(),
                                     name="kernel", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer=keras.initializers.Zeros(),
                                     name="bias", trainable=True)

        def call(self, inputs):
            x = keras.ops.matmul(inputs, self.w) + self.b
            return self.activation(x)

    class MyDropout(keras.layers.Layer):
        def __init__(self, rate, name=None):
            super().__init__(name=name)
            self.rate = rate
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)

    class MyModel(keras.Model):
        def __init__(self, num_classes):
            super().__init__()
            self.conv_base = keras.Sequential(
                [
                    keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
                    keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
                    keras.layers.MaxPooling2D(pool_size=(2, 2)),
                    keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
                    keras.layers.Conv2D(128, kernel_size=(3, 3), activation="relu"),
                    keras.layers.GlobalAveragePooling2D(),
                ]
            )
            self.dp = MyDropout(0.5)
            self.dense = MyDense(num_classes, activation="softmax")

        def call(self, x):
            x = self.conv_base(x)
            x = self.dp(x)
            return self.dense(x)

    return MyDense, MyDropout, MyModel


def test_intro_guide_custom_layers_like_keras():
    """MyDense (ops; built explicitly, then given weights) and MyDropout (keras.random.dropout
    with a SeedGenerator: active at every call, as the guide writes it) called on arrays."""
    sk, keras = _libs()
    features = np.random.default_rng(2).normal(size=(4, 6)).astype("float32")
    results = []
    for lib in (sk, keras):
        fresh_library(lib)
        MyDense, MyDropout, MyModel = intro_classes(lib)
        dense = MyDense(10, activation="softmax")
        dense.build(features.shape)
        dense.set_weights([np.full((6, 10), 0.1, "float32") * np.arange(10, dtype="float32"),
                           np.linspace(-1, 1, 10).astype("float32")])
        assert [w.path for w in dense.weights] == ["my_dense/kernel", "my_dense/bias"]
        results.append((np.asarray(dense(features)), len(dense.weights),
                        np.asarray(MyDropout(0.5)(np.ones((200, 10), "float32")))))
    (out, count, dropped), (ref_out, ref_count, ref_dropped) = results
    _close(out, ref_out, what="MyDense")
    assert count == ref_count == 2
    # keras.random.dropout: zeros or 1/(1 - rate), about half of each
    for d in (dropped, ref_dropped):
        assert set(np.unique(d)) == {0.0, 2.0} and 0.4 < (d == 0).mean() < 0.6


def test_intro_guide_subclassed_model_fits_like_keras():
    """MyModel: a Sequential conv base without an Input (built by its first symbolic call, as
    Keras builds it), MyDropout and MyDense in a subclassed model, compiled and fitted with
    validation_split; its weights list as Keras's."""
    sk, keras = _libs()
    x_train, y_train = _mnist(14)
    results = []
    for lib in (sk, keras):
        fresh_library(lib)
        MyModel = intro_classes(lib)[2]
        model = MyModel(num_classes=10)
        model.compile(loss=lib.losses.SparseCategoricalCrossentropy(),
                      optimizer=lib.optimizers.Adam(learning_rate=1e-3),
                      metrics=[lib.metrics.SparseCategoricalAccuracy(name="acc")])
        history = model.fit(x_train, y_train, batch_size=8, epochs=1, validation_split=0.15,
                            verbose=0).history
        results.append((history, [tuple(np.shape(w)) for w in model.get_weights()]))
    (history, shapes), (ref_history, ref_shapes) = results
    assert history.keys() == ref_history.keys() == {"loss", "acc", "val_loss", "val_acc"}
    assert all(np.isfinite(v).all() for v in history.values())
    assert shapes == ref_shapes


# -- guides/preprocessing_layers.py -----------------------------------------------------------

GREEK = [
    "ξεῖν᾽, ἦ τοι μὲν ὄνειροι ἀμήχανοι ἀκριτόμυθοι",
    "γίγνοντ᾽, οὐδέ τι πάντα τελείεται ἀνθρώποισι.",
    "δοιαὶ γάρ τε πύλαι ἀμενηνῶν εἰσὶν ὀνείρων:",
    "αἱ μὲν γὰρ κεράεσσι τετεύχαται, αἱ δ᾽ ἐλέφαντι:",
    "τῶν οἳ μέν κ᾽ ἔλθωσι διὰ πριστοῦ ἐλέφαντος,",
    "οἵ ῥ᾽ ἐλεφαίρονται, ἔπε᾽ ἀκράαντα φέροντες:",
    "οἱ δὲ διὰ ξεστῶν κεράων ἔλθωσι θύραζε,",
    "οἵ ῥ᾽ ἔτυμα κραίνουσι, βροτῶν ὅτε κέν τις ἴδηται.",
]
# The guide's published outputs (guides/md/preprocessing_layers.md): Keras 3 runs these layers
# only with TensorFlow installed.
GREEK_VECTORIZED = [[37, 12, 25, 5, 9, 20, 21, 0, 0], [51, 34, 27, 33, 29, 18, 0, 0, 0],
                    [49, 52, 30, 31, 19, 46, 10, 0, 0], [7, 5, 50, 43, 28, 7, 47, 17, 0],
                    [24, 35, 39, 40, 3, 6, 32, 16, 0], [4, 2, 15, 14, 22, 23, 0, 0, 0],
                    [36, 48, 6, 38, 42, 3, 45, 0, 0], [4, 2, 13, 41, 53, 8, 44, 26, 11]]
POEM = ["The Brain is wider than the Sky", "For put them side by side",
        "The one the other will contain", "With ease and You beside"]
BIGRAMS_MULTI_HOT = [1, 1] + [0] * 14 + [1, 1, 1] + [0] * 9 + [1] + [0] * 7 + [1, 1, 0, 0, 0]
BIGRAMS_TF_IDF = [5.461647, 1.6945957] + [0] * 14 + [1.0986123] * 3 + [0] * 9 + [1.0986123] + \
    [0] * 7 + [1.0986123] * 2 + [0] * 3


def test_preprocessing_guide_adapt_and_lookup_cells():
    """Normalization.adapt (numbers against real Keras), TextVectorization on the Greek lines,
    StringLookup from a vocabulary, StringLookup and IntegerLookup in one_hot mode after adapt,
    and Hashing into CategoryEncoding (against the guide's published outputs)."""
    sk, keras = _libs()
    data = np.array([[0.1, 0.2, 0.3], [0.8, 0.9, 1.0], [1.5, 1.6, 1.7]])
    normalized = []
    for lib in (sk, keras):
        layer = lib.layers.Normalization()
        layer.adapt(data)
        normalized.append(np.asarray(layer(data)))
    _close(normalized[0], normalized[1], what="Normalization")
    assert "%.2f %.2f" % (normalized[0].mean(), normalized[0].std()) in ("-0.00 1.00", "0.00 1.00")

    layers = sk.layers
    layer = layers.TextVectorization()
    layer.adapt(GREEK)
    np.testing.assert_array_equal(layer(GREEK), GREEK_VECTORIZED)

    layer = layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    np.testing.assert_array_equal(layer(np.array([["a", "c", "d"], ["d", "z", "b"]])),
                                  [[1, 3, 4], [4, 0, 2]])

    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(np.array([["a"], ["b"], ["c"], ["b"], ["c"], ["a"]]))
    np.testing.assert_array_equal(lookup(np.array([["a"], ["b"], ["c"], ["d"], ["e"], [""]])),
                                  [[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]] + [[1, 0, 0, 0]] * 3)

    lookup = layers.IntegerLookup(output_mode="one_hot")
    lookup.adapt(np.array([[10], [20], [20], [10], [30], [0]]))
    np.testing.assert_array_equal(lookup(np.array([[10], [10], [20], [50], [60], [0]])),
                                  [[0, 0, 1, 0, 0]] * 2 + [[0, 1, 0, 0, 0]] + [[1, 0, 0, 0, 0]] * 2
                                  + [[0, 0, 0, 0, 1]])

    data = np.random.default_rng(3).integers(0, 100000, size=(10000, 1))
    hasher = layers.Hashing(num_bins=64, salt=1337)
    encoder = layers.CategoryEncoding(num_tokens=64, output_mode="multi_hot")
    encoded_data = np.asarray(encoder(hasher(data)))
    assert encoded_data.shape == (10000, 64)
    assert (encoded_data.sum(axis=1) == 1).all() and (encoded_data.sum(axis=0) > 100).all()


def augmentation(keras, layers):
    return keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                             layers.RandomZoom(0.1)])


def test_preprocessing_guide_augmentation_and_normalized_classifier_like_keras():
    """The augmentation stage is the identity at inference and moves pixels in training (its
    draws are each library's); the CIFAR-shaped Normalization -> Dense softmax classifier adapts,
    fits (adam, sparse categorical crossentropy) and predicts as real Keras from the same
    weights."""
    sk, keras = _libs()
    rng = np.random.default_rng(4)
    images = rng.integers(0, 256, (4, 32, 32, 3)).astype("float32")
    for lib in (sk, keras):
        stage = augmentation(*fresh_library(lib)[:2])
        _close(stage.predict(images, verbose=0), images, what="inference")
        _close(stage(images, training=False), images, what="training=False")
        trained = np.asarray(stage(images, training=True))
        assert trained.shape == images.shape and not np.allclose(trained, images)

    x_train = rng.integers(0, 256, (64, 32, 32, 3), dtype=np.uint8).reshape((64, -1))
    y_train = rng.integers(0, 10, (64, 1), dtype=np.uint8)
    models = []
    for lib in (sk, keras):
        keras_, layers = fresh_library(lib)[:2]
        input_shape = x_train.shape[1:]
        classes = 10
        normalizer = layers.Normalization()
        normalizer.adapt(x_train)
        inputs = keras_.Input(shape=input_shape)
        x = normalizer(inputs)
        outputs = layers.Dense(classes, activation="softmax")(x)
        model = keras_.Model(inputs, outputs)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        models.append(model)
    model, ref = models
    _same_weights(model, ref, scale=0.02)   # the adapted mean and variance drawn too: reset them
    for m in (model, ref):
        m.layers[1].adapt(x_train)
    losses = model.fit(x_train, y_train, shuffle=False, verbose=0).history["loss"]
    ref_losses = ref.fit(x_train, y_train, shuffle=False, verbose=0).history["loss"]
    _close(losses, ref_losses, what="loss")
    for a, b in zip(model.get_weights()[3:], ref.get_weights()[3:]):   # the Dense layer's
        _close(a, b, rtol=1e-4, atol=1e-5, what="weights")
    # rtol 1e-4: Adam's steps over 3072-wide float32 dot products
    _close(model.predict(x_train[:8], verbose=0), ref.predict(x_train[:8], verbose=0), rtol=1e-4,
           what="predict")


def text_models(keras, layers, vocabulary_size):
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(input_dim=vocabulary_size, output_dim=16)(inputs)
    x = layers.GRU(8)(x)
    outputs = layers.Dense(1)(x)
    int_model = keras.Model(inputs, outputs)
    return int_model


def bag_model(keras, layers, vocabulary_size):
    inputs = keras.Input(shape=(vocabulary_size,))
    outputs = layers.Dense(1)(inputs)
    return keras.Model(inputs, outputs)


def test_preprocessing_guide_text_models_like_keras(tmp_path):
    """The three text recipes: TextVectorization in int, multi_hot (bigrams) and tf-idf modes
    adapted on the poem give the guide's published encodings; the models on them (Embedding ->
    GRU -> Dense, and Dense on the bag of bigrams) fit (rmsprop, mse) as real Keras's do on the
    same encoded arrays from the same weights; the end-to-end models taking strings predict
    what the trained models predict on the encoded test string, and save and load here."""
    sk, keras = _libs()
    labels = np.array([1, 0])
    train_texts = ["The Brain is deeper than the sea", "for if they are held Blue to Blue"]
    test_text = ["The one the other will absorb"]
    for mode, build, published in (("int", text_models, [[2, 19, 14, 1, 9, 2, 1]]),
                                   ("multi_hot", bag_model, [BIGRAMS_MULTI_HOT]),
                                   ("tf_idf", bag_model, [BIGRAMS_TF_IDF])):
        keras_, layers = fresh_library(sk)[:2]
        kwargs = {} if mode == "int" else {"ngrams": 2}
        text_vectorizer = layers.TextVectorization(output_mode=mode, **kwargs)
        text_vectorizer.adapt(POEM)
        _close(text_vectorizer(["The Brain is deeper than the sea"]), published, what=mode)
        model = build(keras_, layers, text_vectorizer.vocabulary_size())
        with keras_draws_from_numpy():
            ref = build(*fresh_library(keras)[:2], text_vectorizer.vocabulary_size())
        _same_weights(model, ref, seed=5, scale=0.3)
        encoded = np.asarray(text_vectorizer(train_texts))
        for m in (model, ref):
            m.compile(optimizer="rmsprop", loss="mse")
        losses = model.fit(encoded, labels, batch_size=2, verbose=0).history["loss"]
        ref_losses = ref.fit(encoded, labels, batch_size=2, verbose=0).history["loss"]
        _close(losses, ref_losses, what=f"{mode} loss")

        encoded_test = np.asarray(text_vectorizer(test_text))
        inputs = keras_.Input(shape=(1,), dtype="string")
        x = text_vectorizer(inputs)
        outputs = model(x)
        end_to_end_model = keras_.Model(inputs, outputs)
        test_output = end_to_end_model(np.array(test_text))
        _close(test_output, ref.predict(encoded_test, verbose=0), rtol=1e-5,
               what=f"{mode} end to end")
        path = str(tmp_path / f"{mode}.keras")
        end_to_end_model.save(path)
        _close(sk.models.load_model(path)(np.array(test_text)), test_output, what=f"{mode} loaded")


# -- examples/nlp/lstm_seq2seq.py -------------------------------------------------------------

def seq2seq_model(keras, num_encoder_tokens, num_decoder_tokens, latent_dim):
    encoder_inputs = keras.Input(shape=(None, num_encoder_tokens))
    encoder = keras.layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, num_decoder_tokens))
    decoder_lstm = keras.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = keras.layers.Dense(num_decoder_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    return keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)


def sampling_models(keras, model, latent_dim):
    """The example's inference models, made from the loaded model's layers."""
    encoder_inputs = model.input[0]  # input_1
    encoder_outputs, state_h_enc, state_c_enc = model.layers[2].output  # lstm_1
    encoder_states = [state_h_enc, state_c_enc]
    encoder_model = keras.Model(encoder_inputs, encoder_states)

    decoder_inputs = model.input[1]  # input_2
    decoder_state_input_h = keras.Input(shape=(latent_dim,))
    decoder_state_input_c = keras.Input(shape=(latent_dim,))
    decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
    decoder_lstm = model.layers[3]
    decoder_outputs, state_h_dec, state_c_dec = decoder_lstm(
        decoder_inputs, initial_state=decoder_states_inputs)
    decoder_states = [state_h_dec, state_c_dec]
    decoder_dense = model.layers[4]
    decoder_outputs = decoder_dense(decoder_outputs)
    decoder_model = keras.Model([decoder_inputs] + decoder_states_inputs,
                                [decoder_outputs] + decoder_states)
    return encoder_model, decoder_model


def decode_sequence(encoder_model, decoder_model, input_seq, num_decoder_tokens, start, limit):
    """The example's greedy decoding loop, returning the token indices."""
    states_value = encoder_model.predict(input_seq, verbose=0)
    target_seq = np.zeros((1, 1, num_decoder_tokens))
    target_seq[0, 0, start] = 1.0
    decoded = []
    while len(decoded) <= limit:
        output_tokens, h, c = decoder_model.predict([target_seq] + list(states_value), verbose=0)
        sampled_token_index = int(np.argmax(output_tokens[0, -1, :]))
        decoded.append(sampled_token_index)
        target_seq = np.zeros((1, 1, num_decoder_tokens))
        target_seq[0, 0, sampled_token_index] = 1.0
        states_value = [h, c]
    return decoded


def _one_hot_sequences(rng, n, length, tokens):
    ids = rng.integers(0, tokens, (n, length))
    return np.eye(tokens, dtype="float32")[ids]


def test_lstm_seq2seq_trains_saves_and_decodes_like_keras(tmp_path):
    """The character-level encoder-decoder (the decoder starts from the encoder's states),
    trained with rmsprop from the same weights (losses and weights: rtol 1e-4, an LSTM's
    float32 sums over steps), saved as s2s_model.keras and loaded both ways; the sampling models
    made from the trained model's layers (`model.input`, `layers[2].output`, the decoder LSTM
    called anew with state inputs) decode the same tokens, with the same states, as Keras's."""
    sk, keras = _libs()
    num_encoder_tokens, num_decoder_tokens, latent_dim = 12, 14, 32
    rng = np.random.default_rng(6)
    encoder_input_data = _one_hot_sequences(rng, 24, 9, num_encoder_tokens)
    decoder_input_data = _one_hot_sequences(rng, 24, 11, num_decoder_tokens)
    decoder_target_data = np.concatenate([decoder_input_data[:, 1:], decoder_input_data[:, :1]], 1)
    with keras_draws_from_numpy():
        ref = seq2seq_model(fresh_library(keras)[0], num_encoder_tokens, num_decoder_tokens, latent_dim)
    model = seq2seq_model(fresh_library(sk)[0], num_encoder_tokens, num_decoder_tokens, latent_dim)
    _same_weights(model, ref, seed=7, scale=0.3)
    histories = []
    for m in (model, ref):
        m.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
        histories.append(m.fit([encoder_input_data, decoder_input_data], decoder_target_data,
                               batch_size=8, epochs=2, validation_split=0.2, shuffle=False,
                               verbose=0).history)
    for key in histories[1]:
        _close(histories[0][key], histories[1][key], rtol=1e-4, what=key)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        _close(a, b, rtol=1e-4, atol=1e-5, what="weights")
    model.save(str(tmp_path / "s2s_model.keras"))
    ref.save(str(tmp_path / "s2s_model_keras.keras"))
    x = [encoder_input_data[:4], decoder_input_data[:4]]
    predicted = model.predict(x, verbose=0)
    for lib, file in ((sk, "s2s_model.keras"), (keras, "s2s_model.keras"),
                      (sk, "s2s_model_keras.keras")):
        _close(lib.models.load_model(str(tmp_path / file)).predict(x, verbose=0), predicted,
               rtol=1e-4, atol=1e-5, what=f"{lib.__name__} loads {file}")
    decoded = []
    for lib, m in ((sk, model), (keras, ref)):
        encoder_model, decoder_model = sampling_models(lib, m, latent_dim)
        states = encoder_model.predict(encoder_input_data[:2], verbose=0)
        decoded.append((np.asarray(states[0]), np.asarray(states[1]), [
            decode_sequence(encoder_model, decoder_model, encoder_input_data[i:i + 1],
                            num_decoder_tokens, start=0, limit=6) for i in range(2)]))
    _close(decoded[0][0], decoded[1][0], rtol=1e-4, atol=1e-5, what="state_h")
    _close(decoded[0][1], decoded[1][1], rtol=1e-4, atol=1e-5, what="state_c")
    assert decoded[0][2] == decoded[1][2]


def test_lstm_seq2seq_sampling_models_from_loaded_model(tmp_path):
    """The example's second half as written: the sampling models made from the model loaded
    from s2s_model.keras (`model.input`, `model.layers[2].output`) compute what those made from
    Keras's load of the same file compute, and decode the same tokens."""
    sk, keras = _libs()
    model = seq2seq_model(fresh_library(sk)[0], 5, 6, 4)
    rng = np.random.default_rng(11)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    model.save(str(tmp_path / "s2s_model.keras"))
    x = _one_hot_sequences(rng, 2, 7, 5)
    results = []
    for lib in (sk, keras):
        loaded = lib.models.load_model(str(tmp_path / "s2s_model.keras"))
        # (the state Inputs sampling_models makes would otherwise take the file's input names
        # in a fresh Keras session, which Keras refuses: two made first keep them apart)
        lib.Input((1,)), lib.Input((1,))
        encoder_model, decoder_model = sampling_models(lib, loaded, 4)
        assert len(decoder_model.outputs) == 3
        states = encoder_model.predict(x, verbose=0)
        results.append(([np.asarray(s) for s in states],
                        [decode_sequence(encoder_model, decoder_model, x[i:i + 1], 6, start=0, limit=5)
                         for i in range(2)]))
    for a, b in zip(results[0][0], results[1][0]):
        _close(a, b, rtol=1e-5, atol=1e-5, what="encoder states")
    assert results[0][1] == results[1][1]


# -- examples/nlp/addition_rnn.py -------------------------------------------------------------

class CharacterTable:
    """The example's one-hot encoder of characters."""

    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.char_indices = dict((c, i) for i, c in enumerate(self.chars))
        self.indices_char = dict((i, c) for i, c in enumerate(self.chars))

    def encode(self, C, num_rows):
        x = np.zeros((num_rows, len(self.chars)))
        for i, c in enumerate(C):
            x[i, self.char_indices[c]] = 1
        return x

    def decode(self, x, calc_argmax=True):
        if calc_argmax:
            x = x.argmax(axis=-1)
        return "".join(self.indices_char[x] for x in x)


def addition_data(training_size, digits, seed):
    """The example's questions ("345+678" reversed, padded) and answers, as bool one-hot arrays."""
    rng = np.random.default_rng(seed)
    maxlen = digits + 1 + digits
    chars = "0123456789+ "
    ctable = CharacterTable(chars)
    questions, expected, seen = [], [], set()
    while len(questions) < training_size:
        def f():
            return int("".join(rng.choice(list("0123456789"))
                               for i in range(rng.integers(1, digits + 1))))
        a, b = f(), f()
        key = tuple(sorted((a, b)))
        if key in seen:
            continue
        seen.add(key)
        q = "{}+{}".format(a, b)
        query = q + " " * (maxlen - len(q))
        ans = str(a + b)
        ans += " " * (digits + 1 - len(ans))
        questions.append(query[::-1])
        expected.append(ans)
    x = np.zeros((len(questions), maxlen, len(chars)), dtype=bool)
    y = np.zeros((len(questions), digits + 1, len(chars)), dtype=bool)
    for i, sentence in enumerate(questions):
        x[i] = ctable.encode(sentence, maxlen)
    for i, sentence in enumerate(expected):
        y[i] = ctable.encode(sentence, digits + 1)
    return x, y, ctable


def addition_model(keras, layers, maxlen, chars, digits):
    num_layers = 1
    model = keras.Sequential()
    model.add(layers.LSTM(128, input_shape=(maxlen, len(chars))))
    model.add(layers.RepeatVector(digits + 1))
    for _ in range(num_layers):
        model.add(layers.LSTM(128, return_sequences=True))
    model.add(layers.Dense(len(chars), activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def test_addition_rnn_trains_on_bool_arrays_like_keras(narrow_terminal):
    """The encoder LSTM -> RepeatVector -> decoder LSTM -> softmax model, on the example's bool
    one-hot arrays: the same summary, epochs of fit with validation data from the same weights
    (losses, accuracies and weights: rtol 1e-4, Adam on LSTM sums), and the decoded guesses."""
    sk, keras = _libs()
    digits, chars = 3, "0123456789+ "
    maxlen = digits + 1 + digits
    x, y, ctable = addition_data(96, digits, seed=8)
    split_at = len(x) - len(x) // 10
    (x_train, x_val), (y_train, y_val) = (x[:split_at], x[split_at:]), (y[:split_at], y[split_at:])
    with keras_draws_from_numpy():
        ref = addition_model(*fresh_library(keras)[:2], maxlen, chars, digits)
    model = addition_model(*fresh_library(sk)[:2], maxlen, chars, digits)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=9, scale=0.1)
    histories = [[], []]
    for epoch in range(1, 3):
        for m, h in ((model, histories[0]), (ref, histories[1])):
            h.append(m.fit(x_train, y_train, batch_size=32, epochs=1, validation_data=(x_val, y_val),
                           shuffle=False, verbose=0).history)
    for ours, theirs in zip(*histories):
        for key in theirs:
            _close(ours[key], theirs[key], rtol=1e-4, what=key)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        _close(a, b, rtol=1e-4, atol=1e-5, what="weights")
    rowx = x_val[np.array([0, 1, 2])]
    guesses = [[ctable.decode(p, calc_argmax=False) for p in np.argmax(m.predict(rowx, verbose=0), axis=-1)]
               for m in (model, ref)]
    assert guesses[0] == guesses[1]


# -- examples/vision/knowledge_distillation.py ------------------------------------------------

def distiller_class(keras, ops):
    class Distiller(keras.Model):
        def __init__(self, student, teacher):
            super().__init__()
            self.teacher = teacher
            self.student = student

        def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn, alpha=0.1,
                    temperature=3):
            super().compile(optimizer=optimizer, metrics=metrics)
            self.student_loss_fn = student_loss_fn
            self.distillation_loss_fn = distillation_loss_fn
            self.alpha = alpha
            self.temperature = temperature

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
            teacher_pred = self.teacher(x, training=False)
            student_loss = self.student_loss_fn(y, y_pred)
            distillation_loss = self.distillation_loss_fn(
                ops.softmax(teacher_pred / self.temperature, axis=1),
                ops.softmax(y_pred / self.temperature, axis=1),
            ) * (self.temperature**2)
            loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss
            return loss

        def call(self, x):
            return self.student(x)

    return Distiller


def distillation_models(keras, layers):
    teacher = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(256, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(512, (3, 3), strides=(2, 2), padding="same"),
            layers.Flatten(),
            layers.Dense(10),
        ],
        name="teacher",
    )
    student = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(32, (3, 3), strides=(2, 2), padding="same"),
            layers.Flatten(),
            layers.Dense(10),
        ],
        name="student",
    )
    student_scratch = keras.models.clone_model(student)
    return teacher, student, student_scratch


def test_knowledge_distillation_teacher_and_student_like_keras(narrow_terminal):
    """The teacher trained as usual and the student trained from scratch (clone_model): the
    same summaries, losses, metrics, evaluations and weights as Keras's from the same weights
    (rtol 1e-4: Adam over convolution sums)."""
    sk, keras = _libs()
    x_train, y_train = _mnist(16, seed=3)
    x_test, y_test = _mnist(8, seed=4)
    runs = []
    for lib in (keras, sk):
        keras_, layers, ops = fresh_library(lib)
        with keras_draws_from_numpy():       # (Keras's draws, which the library's models are given)
            teacher, student, student_scratch = distillation_models(keras_, layers)
        if runs:   # the weights Keras drew
            for m, w in zip((teacher, student_scratch), runs[0]["start"]):
                m.set_weights(w)
        run = {"start": [[np.asarray(w) for w in m.get_weights()] for m in (teacher, student_scratch)],
               "summary": [summary_lines(m) for m in (teacher, student, student_scratch)]}
        for key, m in (("teacher", teacher), ("scratch", student_scratch)):
            m.compile(optimizer=keras_.optimizers.Adam(),
                      loss=keras_.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[keras_.metrics.SparseCategoricalAccuracy()])
            run[key] = m.fit(x_train, y_train, epochs=1, batch_size=8, shuffle=False, verbose=0).history
            run[key + "_eval"] = m.evaluate(x_test, y_test, verbose=0)
            run[key + "_weights"] = [np.asarray(w) for w in m.get_weights()]
        runs.append(run)
    ref, ours = runs
    assert ours["summary"] == ref["summary"]
    for key in ("teacher", "scratch"):
        assert ours[key].keys() == ref[key].keys(), key
        for name in ref[key]:
            _close(ours[key][name], ref[key][name], rtol=1e-4, what=f"{key} {name}")
        _close(ours[key + "_eval"], ref[key + "_eval"], rtol=1e-4, what=key)
        for a, b in zip(ours[key + "_weights"], ref[key + "_weights"]):
            _close(a, b, rtol=1e-4, atol=1e-5, what=f"{key} weights")


def test_knowledge_distillation_distiller_loss():
    """The Distiller (a subclassed Model overriding compile and compute_loss: the student's
    loss and the temperature-softened KL divergence to the teacher, times T**2) evaluates to
    the example's formula computed in numpy from the teacher's and the student's predictions
    (Keras 3 gives that number, 1e-6)."""
    sk = _libs()[0]
    x, y = _mnist(16, seed=3)
    keras_, layers, ops = fresh_library(sk)
    teacher, student, _ = distillation_models(keras_, layers)
    distiller = distiller_class(keras_, ops)(student=student, teacher=teacher)
    distiller.compile(optimizer=keras_.optimizers.Adam(),
                      metrics=[keras_.metrics.SparseCategoricalAccuracy()],
                      student_loss_fn=keras_.losses.SparseCategoricalCrossentropy(from_logits=True),
                      distillation_loss_fn=keras_.losses.KLDivergence(), alpha=0.1, temperature=10)

    def softmax(z):
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    teacher_pred = teacher.predict(x, verbose=0)
    y_pred = student.predict(x, verbose=0)
    student_loss = -np.log(softmax(y_pred)[np.arange(len(y)), y]).mean()
    soft_t, soft_s = (np.clip(softmax(p / 10), 1e-7, 1) for p in (teacher_pred, y_pred))
    distillation_loss = (soft_t * np.log(soft_t / soft_s)).sum(1).mean() * 10 ** 2
    expected = 0.1 * student_loss + 0.9 * distillation_loss
    _close(distiller.evaluate(x, y, batch_size=16, verbose=0)[0], expected, rtol=1e-5)


@pytest.mark.parametrize("teacher_used_first", [True, False])
def test_knowledge_distillation_distiller_trains_the_live_teacher_like_keras(teacher_used_first):
    """The Distiller's traced compute_loss calls the teacher itself, not a copy: from the same
    weights, a distillation fit gives Keras's losses, and the student's and the teacher's
    weights after it are Keras's (Keras's distiller trains the teacher's variables too, since
    the example does not freeze it), read through `teacher` and `student` (rtol 1e-4: Adam over
    convolution sums). `teacher_used_first`: the teacher predicted before (a library model of
    its own), or first built by the distiller."""
    sk, keras = _libs()
    x, y = _mnist(16, seed=5)
    runs = []
    for lib in (keras, sk):
        keras_, layers, ops = fresh_library(lib)
        teacher, student, _ = distillation_models(keras_, layers)
        if runs:
            for m, w in zip((teacher, student), runs[0]["start"]):
                m.set_weights(w)
        run = {"start": [[np.asarray(w) for w in m.get_weights()] for m in (teacher, student)]}
        if teacher_used_first:
            run["teacher_pred"] = np.asarray(teacher.predict(x, verbose=0))
        distiller = distiller_class(keras_, ops)(student=student, teacher=teacher)
        distiller.compile(optimizer=keras_.optimizers.Adam(),
                          metrics=[keras_.metrics.SparseCategoricalAccuracy()],
                          student_loss_fn=keras_.losses.SparseCategoricalCrossentropy(from_logits=True),
                          distillation_loss_fn=keras_.losses.KLDivergence(), alpha=0.1,
                          temperature=10)
        run["history"] = distiller.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0).history
        run["teacher"] = [np.asarray(w) for w in teacher.get_weights()]
        run["student"] = [np.asarray(w) for w in student.get_weights()]
        run["after"] = np.asarray(teacher.predict(x, verbose=0))
        runs.append(run)
    ref, ours = runs
    if teacher_used_first:
        _close(ours["teacher_pred"], ref["teacher_pred"], rtol=1e-4, atol=1e-5, what="teacher")
    _close(ours["history"]["loss"], ref["history"]["loss"], rtol=1e-4, what="distillation loss")
    assert not np.allclose(ref["teacher"][0], ref["start"][0][0])   # Keras trained it
    for key in ("teacher", "student"):
        for a, b in zip(ours[key], ref[key]):
            _close(a, b, rtol=1e-4, atol=1e-5, what=f"{key} weights")
    _close(ours["after"], ref["after"], rtol=1e-4, atol=1e-5, what="teacher after")


def soft_target_model(keras, layers, ops):
    """The Distiller's pattern without a second model: compute_loss in Keras 3's signature
    without `training` (keras.io writes `allow_empty` in its place) calling a layer the model
    holds."""
    class SoftTargets(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(3)
            self.soften = layers.Softmax()

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
            return ops.mean(ops.square(self.soften(y_pred / 2.0) - y))

        def call(self, x):
            return self.dense(x)

    return SoftTargets()


def test_compute_loss_without_training_argument_calling_held_layer_like_keras():
    sk, keras = _libs()
    rng = np.random.default_rng(10)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    results = []
    for lib in (sk, keras):
        model = soft_target_model(*fresh_library(lib))
        model(x[:2])
        model.set_weights([np.linspace(-1, 1, 12).reshape(4, 3).astype("float32"),
                           np.array([0.1, 0.0, -0.1], "float32")])
        model.compile(optimizer=lib.optimizers.SGD(0.5))
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history
        results.append((history["loss"], model.evaluate(x, y, verbose=0),
                        [np.asarray(w) for w in model.get_weights()]))
    (losses, evaluated, weights), (ref_losses, ref_evaluated, ref_weights) = results
    _close(losses, ref_losses, what="loss")
    _close(evaluated, ref_evaluated, what="evaluate")
    for a, b in zip(weights, ref_weights):
        _close(a, b, what="weights")


# -- examples/timeseries/timeseries_anomaly_detection.py --------------------------------------

def anomaly_model(keras, layers, x_train):
    model = keras.Sequential(
        [
            layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
            layers.Conv1D(filters=32, kernel_size=7, padding="same", strides=2, activation="relu"),
            layers.Dropout(rate=0.2),
            layers.Conv1D(filters=16, kernel_size=7, padding="same", strides=2, activation="relu"),
            layers.Conv1DTranspose(filters=16, kernel_size=7, padding="same", strides=2,
                                   activation="relu"),
            layers.Dropout(rate=0.2),
            layers.Conv1DTranspose(filters=32, kernel_size=7, padding="same", strides=2,
                                   activation="relu"),
            layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    return model


def create_sequences(values, time_steps):
    output = []
    for i in range(len(values) - time_steps + 1):
        output.append(values[i: (i + time_steps)])
    return np.stack(output)


def test_timeseries_anomaly_autoencoder_like_keras(narrow_terminal):
    """The Conv1D / Conv1DTranspose reconstruction autoencoder on 288-step windows of a
    normalized daily-cycle series: the same summary, reconstructions (predict) and evaluation
    from the same weights; the fit with EarlyStopping on val_loss logs as Keras's (its Dropout
    draws are each library's: losses compared loosely); the MAE threshold flags the window with
    a jump in both."""
    sk, keras = _libs()
    time_steps = 288
    t = np.arange(time_steps + 40)
    rng = np.random.default_rng(11)
    series = (np.sin(2 * np.pi * t / time_steps) + 0.05 * rng.normal(size=t.size)).astype("float32")
    values = ((series - series.mean()) / series.std())[:, None]
    x_train = create_sequences(values, time_steps)
    test_values = values.copy()
    test_values[300:310] += 4.0   # the jump
    x_test = create_sequences(test_values, time_steps)
    with keras_draws_from_numpy():
        ref = anomaly_model(*fresh_library(keras)[:2], x_train)
    model = anomaly_model(*fresh_library(sk)[:2], x_train)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=12, scale=0.2)
    _close(model.predict(x_train, verbose=0), ref.predict(x_train, verbose=0), rtol=1e-4,
           atol=1e-5, what="reconstruction")
    _close(model.evaluate(x_test, x_test, verbose=0), ref.evaluate(x_test, x_test, verbose=0),
           rtol=1e-5, what="evaluate")
    histories = []
    for m, lib in ((model, sk), (ref, keras)):
        histories.append(m.fit(x_train, x_train, epochs=3, batch_size=16, validation_split=0.1,
                               callbacks=[lib.callbacks.EarlyStopping(monitor="val_loss", patience=5,
                                                                      mode="min")],
                               verbose=0).history)
    assert histories[0].keys() == histories[1].keys() == {"loss", "val_loss"}
    _close(histories[0]["loss"], histories[1]["loss"], rtol=0.3, what="loss")
    flagged = []
    for m in (model, ref):
        m.set_weights(model.get_weights())
        x_train_pred = m.predict(x_train, verbose=0)
        threshold = np.max(np.mean(np.abs(x_train_pred - x_train), axis=1))
        test_mae_loss = np.mean(np.abs(m.predict(x_test, verbose=0) - x_test), axis=1).reshape((-1))
        flagged.append(np.where(test_mae_loss > threshold)[0].tolist())
    assert flagged[0] == flagged[1] and flagged[0]


# -- examples/vision/image_classification_with_vision_transformer.py --------------------------

# The example's hyperparameters, smaller (it sets them as its knobs): 12x12 images in 6x6
# patches, two transformer blocks of two heads.
VIT = dict(num_classes=10, input_shape=(8, 8, 3), image_size=12, patch_size=6, projection_dim=8,
           num_heads=2, transformer_layers=2, mlp_head_units=[16, 8])


def vit_classes(keras, layers, ops):
    class Patches(layers.Layer):
        def __init__(self, patch_size):
            super().__init__()
            self.patch_size = patch_size

        def call(self, images):
            input_shape = ops.shape(images)
            batch_size = input_shape[0]
            height = input_shape[1]
            width = input_shape[2]
            channels = input_shape[3]
            num_patches_h = height // self.patch_size
            num_patches_w = width // self.patch_size
            patches = keras.ops.image.extract_patches(images, size=self.patch_size)
            patches = ops.reshape(
                patches,
                (batch_size, num_patches_h * num_patches_w,
                 self.patch_size * self.patch_size * channels),
            )
            return patches

        def get_config(self):
            config = super().get_config()
            config.update({"patch_size": self.patch_size})
            return config

    class PatchEncoder(layers.Layer):
        def __init__(self, num_patches, projection_dim):
            super().__init__()
            self.num_patches = num_patches
            self.projection = layers.Dense(units=projection_dim)
            self.position_embedding = layers.Embedding(input_dim=num_patches, output_dim=projection_dim)

        def call(self, patch):
            positions = ops.expand_dims(ops.arange(start=0, stop=self.num_patches, step=1), axis=0)
            projected_patches = self.projection(patch)
            encoded = projected_patches + self.position_embedding(positions)
            return encoded

        def get_config(self):
            config = super().get_config()
            config.update({"num_patches": self.num_patches})
            return config

    return Patches, PatchEncoder


def vit_classifier(keras, layers, ops, x_train, num_classes, input_shape, image_size, patch_size,
                   projection_dim, num_heads, transformer_layers, mlp_head_units):
    num_patches = (image_size // patch_size) ** 2
    hidden_dim = projection_dim * num_heads
    transformer_units = [hidden_dim * 2, hidden_dim]
    data_augmentation = keras.Sequential(
        [
            layers.Normalization(),
            layers.Resizing(image_size, image_size),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(factor=0.02),
            layers.RandomZoom(height_factor=0.2, width_factor=0.2),
        ],
        name="data_augmentation",
    )
    data_augmentation.layers[0].adapt(x_train)

    def mlp(x, hidden_units, dropout_rate):
        for units in hidden_units:
            x = layers.Dense(units, activation=keras.activations.gelu)(x)
            x = layers.Dropout(dropout_rate)(x)
        return x

    Patches, PatchEncoder = vit_classes(keras, layers, ops)
    inputs = keras.Input(shape=input_shape)
    augmented = data_augmentation(inputs)
    patches = Patches(patch_size)(augmented)
    encoded_patches = PatchEncoder(num_patches, hidden_dim)(patches)
    for _ in range(transformer_layers):
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
        attention_output = layers.MultiHeadAttention(num_heads=num_heads, key_dim=projection_dim,
                                                     dropout=0.1)(x1, x1)
        x2 = layers.Add()([attention_output, encoded_patches])
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mlp(x3, hidden_units=transformer_units, dropout_rate=0.1)
        encoded_patches = layers.Add()([x3, x2])
    representation = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
    representation = layers.Flatten()(representation)
    representation = layers.Dropout(0.5)(representation)
    features = mlp(representation, hidden_units=mlp_head_units, dropout_rate=0.5)
    logits = layers.Dense(num_classes)(features)
    return keras.Model(inputs=inputs, outputs=logits)


def test_vision_transformer_patches_and_classifier_like_keras(tmp_path, narrow_terminal):
    """Patches (ops.image.extract_patches, reshaped with ops.shape's batch size) on a resized
    image gives Keras's patches; the ViT classifier (augmentation stage with an adapted
    Normalization, Patches, PatchEncoder with its Dense and position Embedding, MultiHeadAttention
    blocks, MLP head) has Keras's summary and, from the same weights, Keras's logits (rtol 1e-4:
    attention and GELU over float32 sums); run_experiment's AdamW fit with the best-val_accuracy
    weights checkpoint writes the .weights.h5 file, which loads into Keras's classifier with the
    same evaluation (accuracy and top-5)."""
    sk, keras = _libs()
    rng = np.random.default_rng(13)
    x_train = rng.integers(0, 256, (32,) + VIT["input_shape"]).astype("float32")
    y_train = rng.integers(0, VIT["num_classes"], (32, 1))
    x_test, y_test = x_train[:16], y_train[:16]
    image = x_train[3]
    patches = []
    for lib in (sk, keras):
        keras_, layers, ops = fresh_library(lib)
        Patches = vit_classes(keras_, layers, ops)[0]
        resized_image = ops.image.resize(ops.convert_to_tensor([image], dtype="float32"),
                                         size=(VIT["image_size"], VIT["image_size"]))
        patches.append(np.asarray(Patches(VIT["patch_size"])(resized_image)))
    assert patches[0].shape == (1, 4, 108)
    _close(patches[0], patches[1], rtol=1e-5, atol=1e-4, what="patches")

    with keras_draws_from_numpy():
        ref = vit_classifier(*fresh_library(keras), x_train, **VIT)
    model = vit_classifier(*fresh_library(sk), x_train, **VIT)
    assert summary_lines(model) == summary_lines(ref)
    adapted = [[np.asarray(w) for w in m.get_weights()[:3]] for m in (model, ref)]
    _same_weights(model, ref, seed=14, scale=0.2)
    for m, kept in zip((model, ref), adapted):   # the adapted mean, variance and count
        m.set_weights(kept + [np.asarray(w) for w in m.get_weights()[3:]])
    _close(model.predict(x_test, verbose=0), ref.predict(x_test, verbose=0), rtol=1e-4, atol=1e-5,
           what="logits")

    def run_experiment(keras, model, checkpoint_filepath):
        optimizer = keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.0001)
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                     keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy")],
        )
        checkpoint_callback = keras.callbacks.ModelCheckpoint(
            checkpoint_filepath, monitor="val_accuracy", save_best_only=True, save_weights_only=True)
        history = model.fit(x=x_train, y=y_train, batch_size=16, epochs=1, validation_split=0.1,
                            callbacks=[checkpoint_callback], verbose=0)
        model.load_weights(checkpoint_filepath)
        return history.history, model.evaluate(x_test, y_test, verbose=0)

    checkpoint = str(tmp_path / "checkpoint.weights.h5")
    history, evaluated = run_experiment(sk, model, checkpoint)
    assert history.keys() == {"loss", "accuracy", "top-5-accuracy", "val_loss", "val_accuracy",
                              "val_top-5-accuracy"}   # Keras's logs for this compile
    assert np.isfinite(history["loss"]).all()
    ref.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                         keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy")])
    ref.load_weights(checkpoint)
    _close(ref.evaluate(x_test, y_test, verbose=0), evaluated, rtol=1e-4, what="evaluate")


# -- examples/generative/dcgan_overriding_train_step.py ---------------------------------------

LATENT_DIM = 128


def gan_parts(keras, layers):
    discriminator = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.GlobalMaxPooling2D(),
            layers.Dense(1),
        ],
        name="discriminator",
    )
    generator = keras.Sequential(
        [
            keras.Input(shape=(LATENT_DIM,)),
            layers.Dense(7 * 7 * 128),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Reshape((7, 7, 128)),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2DTranspose(128, (4, 4), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
        ],
        name="generator",
    )
    return discriminator, generator


def gan_class(keras, ops):
    """The example's GAN with its train_step; the gradients come from a stand-in for
    tf.GradientTape (TensorFlow is not installed here, and Keras's JAX backend cannot run a
    GradientTape step either)."""
    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim
            self.seed_generator = keras.random.SeedGenerator(1337)

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile()
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn
            self.d_loss_metric = keras.metrics.Mean(name="d_loss")
            self.g_loss_metric = keras.metrics.Mean(name="g_loss")

        @property
        def metrics(self):
            return [self.d_loss_metric, self.g_loss_metric]

        def train_step(self, real_images):
            batch_size = ops.shape(real_images)[0]
            random_latent_vectors = keras.random.normal(shape=(batch_size, self.latent_dim),
                                                        seed=self.seed_generator)
            generated_images = self.generator(random_latent_vectors)
            combined_images = ops.concatenate([generated_images, real_images], axis=0)
            labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)
            predictions = self.discriminator(combined_images)
            d_loss = self.loss_fn(labels, predictions)
            grads = [np.zeros(np.shape(w), "float32") for w in self.discriminator.trainable_weights]
            self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
            return {"d_loss": d_loss}

    return GAN


def test_dcgan_parts_like_keras_and_gradient_tape_step_refused_clearly(narrow_terminal):
    """The discriminator and generator: Keras's summaries, and from the same weights the same
    generated images and scores. The GAN's train_step hands gradients of its own to
    `optimizer.apply_gradients` (the example takes them from tf.GradientTape, TensorFlow only):
    here the step fails there, naming the routes that train in the library."""
    sk, keras = _libs()
    with keras_draws_from_numpy():
        ref_parts = gan_parts(*fresh_library(keras)[:2])
    parts = gan_parts(*fresh_library(sk)[:2])
    latent = np.random.default_rng(15).normal(size=(4, LATENT_DIM)).astype("float32")
    for model, ref, seed in zip(parts, ref_parts, (16, 17)):
        assert summary_lines(model) == summary_lines(ref)
        _same_weights(model, ref, seed=seed, scale=0.05)
    images = [m[1].predict(latent, verbose=0) for m in (parts, ref_parts)]
    _close(images[0], images[1], rtol=1e-4, atol=1e-6, what="generated")
    _close(parts[0].predict(images[0], verbose=0), ref_parts[0].predict(images[0], verbose=0),
           rtol=1e-4, atol=1e-6, what="scores")
    sk_, layers, ops = fresh_library(sk)
    gan = gan_class(sk_, ops)(discriminator=parts[0], generator=parts[1], latent_dim=LATENT_DIM)
    gan.compile(d_optimizer=sk.optimizers.Adam(learning_rate=0.0003),
                g_optimizer=sk.optimizers.Adam(learning_rate=0.0003),
                loss_fn=sk.losses.BinaryCrossentropy(from_logits=True))
    with pytest.raises(NotImplementedError, match="super\\(\\).train_step.*compute_loss"):
        gan.fit(_mnist(8)[0], epochs=1, batch_size=4, verbose=0)


# -- examples/nlp/neural_machine_translation_with_transformer.py ------------------------------

def translation_classes(keras, layers, ops):
    class TransformerEncoder(layers.Layer):
        def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.dense_dim = dense_dim
            self.num_heads = num_heads
            self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential([layers.Dense(dense_dim, activation="relu"),
                                                layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is not None:
                padding_mask = ops.cast(mask[:, None, :], dtype="int32")
            else:
                padding_mask = None
            attention_output = self.attention(query=inputs, value=inputs, key=inputs,
                                              attention_mask=padding_mask)
            proj_input = self.layernorm_1(inputs + attention_output)
            proj_output = self.dense_proj(proj_input)
            return self.layernorm_2(proj_input + proj_output)

        def get_config(self):
            config = super().get_config()
            config.update({"embed_dim": self.embed_dim, "dense_dim": self.dense_dim,
                           "num_heads": self.num_heads})
            return config

    class PositionalEmbedding(layers.Layer):
        def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_embeddings = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.position_embeddings = layers.Embedding(input_dim=sequence_length, output_dim=embed_dim)
            self.sequence_length = sequence_length
            self.vocab_size = vocab_size
            self.embed_dim = embed_dim

        def call(self, inputs):
            length = ops.shape(inputs)[-1]
            positions = ops.arange(0, length, 1)
            embedded_tokens = self.token_embeddings(inputs)
            embedded_positions = self.position_embeddings(positions)
            return embedded_tokens + embedded_positions

        def compute_mask(self, inputs, mask=None):
            if mask is None:
                return None
            else:
                return ops.not_equal(inputs, 0)

        def get_config(self):
            config = super().get_config()
            config.update({"sequence_length": self.sequence_length, "vocab_size": self.vocab_size,
                           "embed_dim": self.embed_dim})
            return config

    class TransformerDecoder(layers.Layer):
        def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim = embed_dim
            self.latent_dim = latent_dim
            self.num_heads = num_heads
            self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential([layers.Dense(latent_dim, activation="relu"),
                                                layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.layernorm_3 = layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, encoder_outputs, mask=None):
            causal_mask = self.get_causal_attention_mask(inputs)
            if mask is not None:
                padding_mask = ops.cast(mask[:, None, :], dtype="int32")
                padding_mask = ops.minimum(padding_mask, causal_mask)
            else:
                padding_mask = None
            attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs,
                                                  attention_mask=causal_mask)
            out_1 = self.layernorm_1(inputs + attention_output_1)
            attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs,
                                                  key=encoder_outputs, attention_mask=padding_mask)
            out_2 = self.layernorm_2(out_1 + attention_output_2)
            proj_output = self.dense_proj(out_2)
            return self.layernorm_3(out_2 + proj_output)

        def get_causal_attention_mask(self, inputs):
            input_shape = ops.shape(inputs)
            batch_size, sequence_length = input_shape[0], input_shape[1]
            i = ops.arange(sequence_length)[:, None]
            j = ops.arange(sequence_length)
            mask = ops.cast(i >= j, dtype="int32")
            mask = ops.reshape(mask, (1, input_shape[1], input_shape[1]))
            mult = ops.concatenate([ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])],
                                   axis=0)
            return ops.tile(mask, mult)

        def get_config(self):
            config = super().get_config()
            config.update({"embed_dim": self.embed_dim, "latent_dim": self.latent_dim,
                           "num_heads": self.num_heads})
            return config

    return TransformerEncoder, PositionalEmbedding, TransformerDecoder


def translation_encoder(keras, layers, ops, sequence_length=6, vocab_size=40, embed_dim=8,
                        latent_dim=16, num_heads=2, steps=None):
    TransformerEncoder, PositionalEmbedding, _ = translation_classes(keras, layers, ops)
    encoder_inputs = keras.Input(shape=(steps,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(embed_dim, latent_dim, num_heads)(x)
    return keras.Model(encoder_inputs, encoder_outputs)


def translation_decoder(keras, layers, ops, sequence_length=6, vocab_size=40, embed_dim=8,
                        latent_dim=16, num_heads=2):
    _, PositionalEmbedding, TransformerDecoder = translation_classes(keras, layers, ops)
    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    encoded_seq_inputs = keras.Input(shape=(None, embed_dim), name="decoder_state_inputs")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(decoder_inputs)
    x = TransformerDecoder(embed_dim, latent_dim, num_heads)(x, encoded_seq_inputs)
    x = layers.Dropout(0.5)(x)
    decoder_outputs = layers.Dense(vocab_size, activation="softmax")(x)
    return keras.Model([decoder_inputs, encoded_seq_inputs], decoder_outputs)


def test_translation_transformer_encoder_like_keras_decoder_fails_in_both(tmp_path, narrow_terminal):
    """The encoder (PositionalEmbedding with its compute_mask, TransformerEncoder passing the
    mask to MultiHeadAttention): Keras's summary, and from the same weights Keras's encodings
    (rtol 1e-4: attention over float32 sums); a fit as a regressor logs as Keras's; the file
    loads here with the same encodings. The Keras 3 example's compute_mask returns None for an
    input without a mask, so no padding mask reaches the attention in either library. Its
    Input(shape=(None,)) is given the sequence length here (6): a call written with ops is
    traced once into the library's graph, with `ops.shape(inputs)[-1]` fixed then (as under
    jax.jit), so an unknown length fails at that trace, clearly (a TraceError naming the
    layer), where Keras traces again for each length. The
    decoder cannot be built as written in Keras 3.15.1 with JAX (its causal mask tiles by the
    traced batch size: jnp.tile wants static repetitions) nor here (its PositionalEmbedding, as
    the encoder's, slices by a sequence length unknown when it is traced), each failing clearly."""
    sk, keras = _libs()
    rng = np.random.default_rng(18)
    eng = rng.integers(1, 40, (16, 6))
    with pytest.raises(sk.ops._trace.TraceError, match="PositionalEmbedding"):
        translation_encoder(*fresh_library(sk)).summary()
    with keras_draws_from_numpy():
        ref = translation_encoder(*fresh_library(keras), steps=6)
    model = translation_encoder(*fresh_library(sk), steps=6)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=19, scale=0.2)
    _close(model.predict(eng, verbose=0), ref.predict(eng, verbose=0), rtol=1e-4, atol=1e-5,
           what="encodings")
    target = rng.normal(size=(16, 6, 8)).astype("float32")
    histories = []
    for m in (model, ref):
        m.compile("rmsprop", loss="mse")
        histories.append(m.fit(eng, target, batch_size=8, epochs=2, shuffle=False, verbose=0).history)
    _close(histories[0]["loss"], histories[1]["loss"], rtol=1e-4, what="loss")
    path = str(tmp_path / "encoder.keras")
    model.save(path)
    classes = translation_classes(*fresh_library(sk))
    loaded = sk.models.load_model(path, custom_objects={c.__name__: c for c in classes})
    _close(loaded.predict(eng, verbose=0), model.predict(eng, verbose=0), rtol=1e-5, atol=1e-6,
           what="loaded")
    with pytest.raises(TypeError, match="tile"):
        translation_decoder(*fresh_library(keras))
    with pytest.raises(sk.ops._trace.TraceError, match="PositionalEmbedding"):
        translation_decoder(*fresh_library(sk)).summary()
