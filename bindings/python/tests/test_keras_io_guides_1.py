"""keras.io developer guides as the test (part 1): the code cells of guides/sequential_model.py,
guides/functional_api.py, guides/training_with_built_in_methods.py and
guides/writing_your_own_callbacks.py (Keras 3 versions; only the import differs), run on
swiftkeras and on real Keras 3 and compared: summaries, parameter counts, output shapes, the
behaviour each guide demonstrates (pop/add, feature extraction, freezing, nested models, shared
layers, named multi-input/multi-output models, losses by list and dict with loss_weights,
class and sample weights, custom losses, schedules, callbacks' call order and logs), fits that
train, and `.keras` files loading both ways. MNIST/CIFAR-shaped data are random uint8 arrays of
the datasets' shapes, fewer rows. Cells skipped: plot_model (needs pydot, absent here for both
libraries), tf.data and PyTorch DataLoader cells, VGG19 (pretrained download), the TensorBoard
callback's log writing, the custom stateful Metric subclass (see test_custom_metric_subclass),
and the LogisticEndpoint / Python layers composing other layers (other helpers' scope).
"""
import math

import numpy as np
import pytest

from conftest import needs, CORE, real_keras, fresh_library, summary_lines

pytestmark = needs(*CORE)


def _libs():
    import swiftkeras
    return swiftkeras, real_keras()


def _same_weights(ours, ref, seed=0, scale=0.1):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(scale=scale, size=np.shape(w)).astype("float32") for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)


@pytest.fixture()
def narrow_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def _mnist(n, flat=True, seed=0):
    """MNIST's shapes and dtypes (uint8 images 28x28, uint8 labels), n rows, preprocessed as
    the guides do."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, n).astype(np.uint8)
    x = x.reshape(n, 784).astype("float32") / 255 if flat else x
    return x, y


# -- guides/sequential_model.py ---------------------------------------------------------------

def sequential_cells(keras, layers, ops):
    out = {}
    model = keras.Sequential([layers.Dense(2, activation="relu", name="layer1"),
                              layers.Dense(3, activation="relu", name="layer2"),
                              layers.Dense(4, name="layer3")])
    x = ops.ones((3, 3))
    out["y"] = np.asarray(model(x)).shape
    layer1 = layers.Dense(2, activation="relu", name="layer1")
    layer2 = layers.Dense(3, activation="relu", name="layer2")
    layer3 = layers.Dense(4, name="layer3")
    out["y_layers"] = np.asarray(layer3(layer2(layer1(ops.ones((3, 3)))))).shape

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    model.pop()
    out["after_pop"] = len(model.layers)

    layer = layers.Dense(3)
    out["unbuilt_weights"] = len(layer.weights)
    layer(ops.ones((1, 4)))
    out["built_weights"] = [tuple(w.shape) for w in layer.weights]

    model = keras.Sequential([layers.Dense(2, activation="relu"), layers.Dense(3, activation="relu"),
                              layers.Dense(4)])
    model(ops.ones((1, 4)))
    out["weights_after_call"] = len(model.weights)

    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    out["summary_input"] = summary_lines(model)
    out["layers_without_input"] = [type(l).__name__ for l in model.layers]

    model = keras.Sequential()
    model.add(keras.Input(shape=(250, 250, 3)))
    model.add(layers.Conv2D(32, 5, strides=2, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    out["summary_debug_1"] = summary_lines(model)
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(3))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.Conv2D(32, 3, activation="relu"))
    model.add(layers.MaxPooling2D(2))
    out["summary_debug_2"] = summary_lines(model)
    model.add(layers.GlobalMaxPooling2D())
    model.add(layers.Dense(10))
    out["summary_debug_3"] = summary_lines(model)

    initial_model = keras.Sequential([keras.Input(shape=(250, 250, 3)),
                                      layers.Conv2D(32, 5, strides=2, activation="relu"),
                                      layers.Conv2D(32, 3, activation="relu"),
                                      layers.Conv2D(32, 3, activation="relu")])
    feature_extractor = keras.Model(inputs=initial_model.inputs,
                                    outputs=[layer.output for layer in initial_model.layers])
    out["features"] = [np.asarray(f).shape for f in feature_extractor(ops.ones((1, 250, 250, 3)))]

    initial_model = keras.Sequential([keras.Input(shape=(250, 250, 3)),
                                      layers.Conv2D(32, 5, strides=2, activation="relu"),
                                      layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
                                      layers.Conv2D(32, 3, activation="relu")])
    feature_extractor = keras.Model(inputs=initial_model.inputs,
                                    outputs=initial_model.get_layer(name="my_intermediate_layer").output)
    out["one_feature"] = np.asarray(feature_extractor(ops.ones((1, 250, 250, 3)))).shape
    return out


def test_sequential_model_guide_like_keras(narrow_terminal):
    ours, ref = (sequential_cells(*fresh_library(lib)) for lib in _libs())
    assert ours.keys() == ref.keys()
    for key in ours:
        assert ours[key] == ref[key], key


def _transfer_blueprints(keras, layers, x, y, tmp_path):
    """sequential_model.py's transfer learning blueprints: freeze all layers but the last after
    load_weights, then a frozen base model stacked under a new head (weights unchanged by fit,
    the frozen ones counted as non-trainable)."""
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                              layers.Dense(32, activation="relu"), layers.Dense(32, activation="relu"),
                              layers.Dense(10)])
    path = str(tmp_path / f"{keras.__name__}.weights.h5")
    model.save_weights(path)
    model.load_weights(path)
    for layer in model.layers[:-1]:
        layer.trainable = False
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    model.fit(x, y, verbose=0)
    frozen_1 = [bool(np.array_equal(a, b)) for a, b in zip(before, model.get_weights())]

    base_model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(16, activation="relu")],
                                  name="base")
    base_model.trainable = False
    model = keras.Sequential([base_model, layers.Dense(10)])
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    model.fit(x, y, verbose=0)
    frozen_2 = [bool(np.array_equal(a, b)) for a, b in zip(before, model.get_weights())]
    return frozen_1, frozen_2, len(model.trainable_weights), len(model.non_trainable_weights), \
        summary_lines(model)


def test_sequential_model_transfer_blueprints_freeze_like_keras(tmp_path, narrow_terminal):
    x, _ = _mnist(32)
    y = np.random.default_rng(1).random((32, 10)).astype("float32")
    ours, ref = (_transfer_blueprints(lib, lib.layers, x, y, tmp_path) for lib in
                 (fresh_library(l)[0] for l in _libs()))
    assert ours == ref
    assert ours[0] == [True] * 6 + [False] * 2 and ours[1] == [True, True, False, False]


# -- guides/functional_api.py -----------------------------------------------------------------

def mnist_model(keras, layers, ops):
    inputs = keras.Input(shape=(784,))
    img_inputs = keras.Input(shape=(32, 32, 3))
    dense = layers.Dense(64, activation="relu")
    x = dense(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
    return model, (tuple(inputs.shape), inputs.dtype, tuple(img_inputs.shape))


def test_functional_api_mnist_model_trains_saves_loads_like_keras(tmp_path, narrow_terminal):
    sk, keras = _libs()
    ref, ref_inputs = mnist_model(*fresh_library(keras))
    model, inputs = mnist_model(*fresh_library(sk))
    assert inputs == ref_inputs
    assert summary_lines(model) == summary_lines(ref)
    (x_train, y_train), (x_test, y_test) = _mnist(400), _mnist(100, seed=1)
    for m, lib in ((model, sk), (ref, keras)):
        m.compile(loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=lib.optimizers.RMSprop(), metrics=["accuracy"])
    _same_weights(model, ref)
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2,
                        shuffle=False, verbose=0)
    ref_history = ref.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2,
                          shuffle=False, verbose=0)
    assert history.history.keys() == ref_history.history.keys()
    for key in history.history:
        np.testing.assert_allclose(history.history[key], ref_history.history[key], rtol=2e-4)
    assert history.history["loss"][1] < history.history["loss"][0]
    test_scores = model.evaluate(x_test, y_test, verbose=0)
    np.testing.assert_allclose(test_scores, ref.evaluate(x_test, y_test, verbose=0), rtol=2e-4)

    path = str(tmp_path / "my_model.keras")
    model.save(path)
    predicted = model.predict(x_test, verbose=0)
    del model
    model = sk.models.load_model(path)
    np.testing.assert_array_equal(model.predict(x_test, verbose=0), predicted)
    in_keras = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(in_keras.predict(x_test, verbose=0)), predicted,
                               rtol=1e-4, atol=1e-5)
    # "the model's training config and optimizer" come back with it
    assert model.compiled and type(model.optimizer).__name__ == type(in_keras.optimizer).__name__
    np.testing.assert_allclose(float(model.optimizer.learning_rate),
                               float(np.asarray(in_keras.optimizer.learning_rate)), rtol=1e-6)
    assert model.get_compile_config()["metrics"] == ["accuracy"]


def _encoder_layers(keras, layers, input_name):
    """The guide's encoder graph (written twice in the guide): (its Input, its output)."""
    encoder_input = keras.Input(shape=(28, 28, 1), name=input_name)
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    return encoder_input, layers.GlobalMaxPooling2D()(x)


def _decoder_layers(layers, x):
    """The guide's decoder graph on `x` (written twice in the guide): its output."""
    x = layers.Reshape((4, 4, 1))(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    return layers.Conv2DTranspose(1, 3, activation="relu")(x)


def encoder_decoder(keras, layers, ops):
    """The guide's two autoencoders: one graph of layers giving two models, then an encoder
    and a decoder model chained by calling them on an Input."""
    encoder_input, encoder_output = _encoder_layers(keras, layers, "img")
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    decoder_output = _decoder_layers(layers, encoder_output)
    shared_graph = keras.Model(encoder_input, decoder_output, name="autoencoder")
    summaries = summary_lines(encoder) + summary_lines(shared_graph)

    encoder_input, encoder_output = _encoder_layers(keras, layers, "original_img")
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    decoder_output = _decoder_layers(layers, decoder_input)
    decoder = keras.Model(decoder_input, decoder_output, name="decoder")
    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
    summaries += summary_lines(encoder) + summary_lines(decoder) + summary_lines(autoencoder)
    return summaries, encoder, decoder, autoencoder


def test_functional_api_nested_models_like_keras(tmp_path, narrow_terminal):
    """Models are callable like layers: the chained autoencoder has the encoder and decoder as
    layers, computes what they compute, trains them (the encoder model then predicts with the
    weights learned inside the autoencoder), and saves a file both libraries load."""
    sk, keras = _libs()
    ref_summaries, ref_enc, ref_dec, ref_ae = encoder_decoder(*fresh_library(keras))
    summaries, enc, dec, ae = encoder_decoder(*fresh_library(sk))
    assert summaries == ref_summaries
    assert [l.name for l in ae.layers] == [l.name for l in ref_ae.layers] == ["img", "encoder", "decoder"]
    assert ae.get_layer("encoder") is enc
    _same_weights(ae, ref_ae, scale=0.2)
    _same_weights(enc, ref_enc, scale=0.2)   # the same draw: the encoder's weights come first
    x = np.random.default_rng(2).random((8, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(ae.predict(x, verbose=0), np.asarray(ref_ae.predict(x, verbose=0)),
                               rtol=1e-4, atol=1e-5)
    for m, lib in ((ae, sk), (ref_ae, keras)):
        m.compile(lib.optimizers.SGD(0.05), "mse")
    losses = ae.fit(x, x, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    ref_losses = ref_ae.fit(x, x, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4)
    np.testing.assert_allclose(enc.predict(x, verbose=0), np.asarray(ref_enc.predict(x, verbose=0)),
                               rtol=1e-4, atol=1e-5)
    path = str(tmp_path / "autoencoder.keras")
    ae.save(path)
    predicted = ae.predict(x, verbose=0)
    loaded = sk.models.load_model(path)
    assert [l.name for l in loaded.layers] == ["img", "encoder", "decoder"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), predicted)
    np.testing.assert_allclose(loaded.get_layer("encoder").predict(x, verbose=0),
                               enc.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(keras.models.load_model(path).predict(x, verbose=0)),
                               predicted, rtol=1e-4, atol=1e-5)


def ensemble(keras, layers, ops):
    def get_model():
        inputs = keras.Input(shape=(128,))
        outputs = layers.Dense(1)(inputs)
        return keras.Model(inputs, outputs)
    model1 = get_model()
    model2 = get_model()
    model3 = get_model()
    inputs = keras.Input(shape=(128,))
    y1 = model1(inputs)
    y2 = model2(inputs)
    y3 = model3(inputs)
    outputs = layers.average([y1, y2, y3])
    return keras.Model(inputs=inputs, outputs=outputs), (model1, model2, model3)


def test_functional_api_ensemble_like_keras(narrow_terminal):
    sk, keras = _libs()
    ref, ref_members = ensemble(*fresh_library(keras))
    model, members = ensemble(*fresh_library(sk))
    assert summary_lines(model) == summary_lines(ref)
    for m, r in zip(members, ref_members):
        _same_weights(m, r, seed=len(r.name))
    x = np.random.default_rng(3).random((5, 128)).astype("float32")
    expected = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ref.predict(x, verbose=0)), expected, rtol=1e-4, atol=1e-5)


def ticket_model(keras, layers, ops):
    num_tags = 12
    num_words = 10000
    num_departments = 4
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 64)(title_input)
    body_features = layers.Embedding(num_words, 64)(body_input)
    title_features = layers.LSTM(128)(title_features)
    body_features = layers.LSTM(32)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    model = keras.Model(inputs=[title_input, body_input, tags_input],
                        outputs={"priority": priority_pred, "department": department_pred})
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=[keras.losses.BinaryCrossentropy(from_logits=True),
                        keras.losses.CategoricalCrossentropy(from_logits=True)],
                  loss_weights=[1.0, 0.2])
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                        "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    return model


def test_functional_api_multi_input_output_like_keras(narrow_terminal):
    """Named outputs (a dict), losses and loss weights by output name, and fit on dicts of
    arrays: the same epoch losses as Keras from the same weights; predict returns the dict."""
    sk, keras = _libs()
    ref = ticket_model(*fresh_library(keras))
    model = ticket_model(*fresh_library(sk))
    assert summary_lines(model) == summary_lines(ref)
    rng = np.random.default_rng(4)
    n = 64
    title_data = rng.integers(10000, size=(n, 10))
    body_data = rng.integers(10000, size=(n, 20))   # guide: 100 words
    tags_data = rng.integers(2, size=(n, 12)).astype("float32")
    priority_targets = rng.random(size=(n, 1))
    dept_targets = rng.integers(2, size=(n, 4))
    _same_weights(model, ref)
    data = ({"title": title_data, "body": body_data, "tags": tags_data},
            {"priority": priority_targets, "department": dept_targets})
    # each output's loss by its name, weighted 1.0 and 0.2 (evaluate: one compile of Keras's)
    results = model.evaluate(*data, batch_size=32, verbose=0, return_dict=True)
    ref_results = ref.evaluate(*data, batch_size=32, verbose=0, return_dict=True)
    assert sorted(results) == sorted(ref_results) == ["department_loss", "loss", "priority_loss"]
    for key in results:
        np.testing.assert_allclose(results[key], ref_results[key], rtol=1e-4, err_msg=key)
    np.testing.assert_allclose(results["loss"], results["priority_loss"] + 0.2 * results["department_loss"],
                               rtol=1e-5)
    predicted = model.predict([title_data, body_data, tags_data], verbose=0)
    ref_predicted = ref.predict([title_data, body_data, tags_data], verbose=0)
    assert sorted(predicted) == sorted(ref_predicted) == ["department", "priority"]
    for key in predicted:
        np.testing.assert_allclose(predicted[key], np.asarray(ref_predicted[key]), rtol=1e-3, atol=1e-4)
    losses = model.fit(*data, epochs=2, batch_size=32, verbose=0).history["loss"]
    assert all(math.isfinite(v) for v in losses) and losses[1] < losses[0], losses


def toy_resnet(keras, layers, ops):
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])
    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    model = keras.Model(inputs, outputs, name="toy_resnet")
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["acc"])
    return model


def test_functional_api_toy_resnet_like_keras(narrow_terminal):
    sk, keras = _libs()
    ref = toy_resnet(*fresh_library(keras))
    model = toy_resnet(*fresh_library(sk))
    assert summary_lines(model) == summary_lines(ref)
    rng = np.random.default_rng(5)
    x_train = rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8).astype("float32") / 255.0
    y_train = sk.utils.to_categorical(rng.integers(0, 10, (40, 1)).astype(np.uint8), 10)
    history = model.fit(x_train, y_train, batch_size=16, epochs=1, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert 0.5 * math.log(10) < history.history["loss"][0] < 2 * math.log(10)


def shared_embedding(keras, layers, ops):
    shared_embedding = layers.Embedding(1000, 128)
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    encoded_input_a = shared_embedding(text_input_a)
    encoded_input_b = shared_embedding(text_input_b)
    return keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b])


def test_functional_api_shared_layer_like_keras(narrow_terminal):
    """One Embedding for two variable-length inputs: one row in the summary listing both
    calls, one set of weights, and outputs as long as each input."""
    sk, keras = _libs()
    ref = shared_embedding(*fresh_library(keras))
    model = shared_embedding(*fresh_library(sk))
    assert summary_lines(model) == summary_lines(ref)
    assert len(model.weights) == len(ref.weights) == 1
    _same_weights(model, ref)
    a, b = np.array([[1, 2, 3]]), np.array([[4, 5, 6, 7, 999]])
    out, ref_out = model.predict([a, b], verbose=0), ref.predict([a, b], verbose=0)
    assert [o.shape for o in out] == [(1, 3, 128), (1, 5, 128)]
    for o, r in zip(out, ref_out):
        np.testing.assert_allclose(o, np.asarray(r), rtol=1e-6)


def custom_dense_from_config(keras, layers, ops):
    class CustomDense(layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {"units": self.units}

    inputs = keras.Input((4,))
    outputs = CustomDense(10)(inputs)
    model = keras.Model(inputs, outputs)
    config = model.get_config()
    new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    return model, new_model


def test_functional_api_custom_layer_get_config_from_config():
    """The guide's CustomDense, whose get_config has only `units` (no name): Model.from_config
    makes the model again, with a CustomDense of 10 units computing x @ w + b."""
    sk, keras = _libs()
    _, ref_new = custom_dense_from_config(*fresh_library(keras))
    model, new_model = custom_dense_from_config(*fresh_library(sk))
    assert new_model.count_params() == ref_new.count_params() == 50
    layer = new_model.layers[-1]
    assert type(layer).__name__ == "CustomDense" and layer.units == 10
    w, b = layer.get_weights()
    x = np.random.default_rng(6).random((3, 4)).astype("float32")
    np.testing.assert_allclose(new_model.predict(x, verbose=0), x @ w + b, rtol=1e-5, atol=1e-6)


# -- guides/training_with_built_in_methods.py -------------------------------------------------

def get_uncompiled_model(keras, layers):
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model(keras, layers):
    model = get_uncompiled_model(keras, layers)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


def _training_runs(keras, layers, ops, x_train, y_train, x_val, y_val, reference):
    """The guide's fits, each from drawn weights (the same draw for the same run name), in
    fixed batches: name -> history (or figure). Real Keras (`reference`) runs those compared
    with it; the others are checked against runs here that must equal them (each Keras fit
    of a new model costs a compile)."""
    runs = {}

    def fit(name, model, *args, **kwargs):
        _same_weights(model, model, seed=sum(map(ord, name.split("=")[0])))
        kwargs.setdefault("verbose", 0)
        kwargs.setdefault("shuffle", False)
        runs[name] = model.fit(*args, **kwargs).history
        return model

    model = get_uncompiled_model(keras, layers)
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    fit("first_end_to_end", model, x_train, y_train, batch_size=64, epochs=2,
        validation_data=(x_val, y_val))
    runs["evaluate"] = model.evaluate(x_val, y_val, batch_size=128, verbose=0)
    runs["predict_shape"] = model.predict(x_val[:3], verbose=0).shape

    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    y_train_one_hot = np.asarray(ops.one_hot(y_train, num_classes=10))
    if not reference:   # the same as the built-in mean squared error
        for loss in (custom_mean_squared_error, "mean_squared_error"):
            model = get_uncompiled_model(keras, layers)
            model.compile(optimizer=keras.optimizers.Adam(), loss=loss)
            fit(f"mse={loss}", model, x_train, y_train_one_hot, batch_size=64, epochs=1)

    class CustomMSE(keras.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

    model = get_uncompiled_model(keras, layers)
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())
    fit("custom_loss_class", model, x_train, y_train_one_hot, batch_size=64, epochs=1)
    runs["custom_loss_called"] = float(CustomMSE()(y_train_one_hot[:5], np.full((5, 10), 0.25, "float32")))


    class_weight = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 5: 2.0, 6: 1.0, 7: 1.0, 8: 1.0, 9: 1.0}
    model = get_compiled_model(keras, layers)
    fit("class_weight", model, x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1)
    if not reference:   # the same as the class weights
        sample_weight = np.ones(shape=(len(y_train),))
        sample_weight[y_train == 5] = 2.0
        model = get_compiled_model(keras, layers)
        fit("class_weight=sample_weight", model, x_train, y_train, sample_weight=sample_weight,
            batch_size=64, epochs=1)

    lr_schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=2, decay_rate=0.5,
                                                              staircase=True)   # guide: 100000 steps
    model = get_uncompiled_model(keras, layers)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=lr_schedule),
                  loss="sparse_categorical_crossentropy")
    fit("schedule", model, x_train, y_train, batch_size=64, epochs=2)
    return runs


def test_training_guide_losses_weights_schedules_like_keras():
    """The same figures as Keras from the same weights: validation_data, evaluate and predict,
    a Loss subclass with `call`, class_weight (class 5 counted twice), an ExponentialDecay
    learning rate schedule; a loss function written with ops trains as the built-in mean
    squared error, and sample weights of 2 for class 5 as that class weight."""
    sk, keras = _libs()
    x, y = _mnist(240)
    y = y.astype("float32")
    x_train, y_train, x_val, y_val = x[:-40], y[:-40], x[-40:], y[-40:]
    ours, ref = (_training_runs(*fresh_library(lib), x_train, y_train, x_val, y_val, lib is keras)
                 for lib in (sk, keras))
    (function, builtin), weighted = [ours.pop(k) for k in list(ours) if k.startswith("mse=")], \
        ours.pop("class_weight=sample_weight")
    np.testing.assert_allclose(function["loss"], builtin["loss"], rtol=1e-5)
    np.testing.assert_allclose(weighted["loss"], ours["class_weight"]["loss"], rtol=1e-5)
    assert ours.keys() == ref.keys()
    for name in ours:
        if isinstance(ours[name], dict):
            assert ours[name].keys() == ref[name].keys(), name
            for key in ours[name]:
                np.testing.assert_allclose(ours[name][key], ref[name][key], rtol=1e-3, err_msg=name)
        elif name == "predict_shape":
            assert ours[name] == ref[name]
        else:
            np.testing.assert_allclose(ours[name], ref[name], rtol=1e-4, err_msg=name)


def score_class_model(keras, layers, ops):
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")
    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)
    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    return keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])


def _multi_output_compiles(keras):
    """The guide's compile calls for the two-output model: losses and metrics by list, then by
    dict with loss_weights (the dict without loss_weights differs only by those)."""
    metrics = [[keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
               [keras.metrics.CategoricalAccuracy()]]
    named = {"score_output": keras.losses.MeanSquaredError(),
             "class_output": keras.losses.CategoricalCrossentropy()}
    named_metrics = {"score_output": metrics[0], "class_output": metrics[1]}
    return {   # the guide's first compile (a list of losses, no metrics) is in list_metrics
        "list_metrics": dict(loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
                             metrics=metrics),
        "loss_weights": dict(loss=named, metrics=named_metrics,
                             loss_weights={"score_output": 2.0, "class_output": 1.0}),
    }   # not here: loss=[None, ...] and a loss dict naming some outputs (no loss for the others)


def test_training_guide_multi_output_losses_like_keras(narrow_terminal):
    sk, keras = _libs()
    rng = np.random.default_rng(7)
    img_data = rng.random((32, 32, 32, 3))
    ts_data = rng.random((32, 20, 10))
    score_targets = rng.random((32, 1))
    class_targets = rng.random((32, 5))
    ref = score_class_model(*fresh_library(keras))
    model = score_class_model(*fresh_library(sk))
    assert summary_lines(model) == summary_lines(ref)
    for name, ours_args in _multi_output_compiles(sk).items():
        ref_args = _multi_output_compiles(keras)[name]
        _same_weights(model, ref, seed=3)
        model.compile(optimizer=sk.optimizers.RMSprop(1e-3), **ours_args)
        ref.compile(optimizer=keras.optimizers.RMSprop(1e-3), **ref_args)
        data = ([img_data, ts_data], [score_targets, class_targets]) if name.startswith("list") else \
            ({"img_input": img_data, "ts_input": ts_data},
             {"score_output": score_targets, "class_output": class_targets})
        history = model.fit(*data, batch_size=32, epochs=1, shuffle=False, verbose=0).history
        ref_history = ref.fit(*data, batch_size=32, epochs=1, shuffle=False, verbose=0).history
        assert sorted(history) == sorted(ref_history), name
        for key in history:
            np.testing.assert_allclose(history[key], ref_history[key], rtol=1e-3, err_msg=f"{name} {key}")


def _callbacks_runs(keras, layers, ops, x_train, y_train, tmp_path):
    runs = {}
    model = get_compiled_model(keras, layers)
    _same_weights(model, model, seed=8)
    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=0)]
    history = model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks,
                        validation_split=0.2, shuffle=False, verbose=0)
    runs["early_stopping_epochs"] = len(history.history["loss"])

    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    loss_history = LossHistory()
    model.fit(x_train, y_train, epochs=1, batch_size=64, callbacks=[loss_history], verbose=0)
    runs["per_batch_losses"] = len(loss_history.per_batch_losses)

    model = get_compiled_model(keras, layers)
    directory = tmp_path / keras.__name__
    directory.mkdir()
    callbacks = [keras.callbacks.ModelCheckpoint(filepath=str(directory / "mymodel_{epoch}.keras"),
                                                 save_best_only=True, monitor="val_loss", verbose=0)]
    model.fit(x_train, y_train, epochs=2, batch_size=64, callbacks=callbacks, validation_split=0.2,
              verbose=0)
    runs["checkpoint_files"] = sorted(p.name for p in directory.iterdir())[:1]
    restored = keras.models.load_model(str(directory / "mymodel_1.keras"))
    runs["restored_compiled"] = restored.compiled if hasattr(restored, "compiled") else True
    return runs


def test_training_guide_callbacks_and_checkpoints_like_keras(tmp_path):
    sk, keras = _libs()
    x, y = _mnist(200, seed=3)
    ours, ref = (_callbacks_runs(*fresh_library(lib), x, y, tmp_path) for lib in (sk, keras))
    assert ours == ref
    assert ours["per_batch_losses"] == math.ceil(200 / 64)


# -- guides/writing_your_own_callbacks.py -----------------------------------------------------

def _callback_classes(keras):
    events = []

    class CustomCallback(keras.callbacks.Callback):
        """The guide's CustomCallback: every hook prints what it is and its logs' keys (its
        fourteen methods are made from this table, the guide's texts)."""

    def hook(text, indexed):
        def method(self, *args, logs=None):
            index, rest = (args[0], args[1:]) if indexed else (None, args)
            logs = rest[0] if rest else logs
            events.append((text.format(index), sorted(logs.keys())))
        return method

    for name, text in {"on_train_begin": "Starting training", "on_train_end": "Stop training",
                       "on_epoch_begin": "Start epoch {}", "on_epoch_end": "End epoch {}",
                       "on_test_begin": "Start testing", "on_test_end": "Stop testing",
                       "on_predict_begin": "Start predicting", "on_predict_end": "Stop predicting",
                       "on_train_batch_begin": "...Training: start of batch {}",
                       "on_train_batch_end": "...Training: end of batch {}",
                       "on_test_batch_begin": "...Evaluating: start of batch {}",
                       "on_test_batch_end": "...Evaluating: end of batch {}",
                       "on_predict_batch_begin": "...Predicting: start of batch {}",
                       "on_predict_batch_end": "...Predicting: end of batch {}"}.items():
        setattr(CustomCallback, name, hook(text, "{}" in text))

    class LossAndErrorPrintingCallback(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            events.append(("train batch", batch, logs["loss"]))

        def on_test_batch_end(self, batch, logs=None):
            events.append(("test batch", batch, logs["loss"]))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch", epoch, logs["loss"], logs["mean_absolute_error"]))

    class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
        def __init__(self, patience=0):
            super().__init__()
            self.patience = patience
            self.best_weights = None

        def on_train_begin(self, logs=None):
            self.wait = 0
            self.stopped_epoch = 0
            self.best = np.inf

        def on_epoch_end(self, epoch, logs=None):
            current = logs.get("loss")
            if np.less(current, self.best):
                self.best = current
                self.wait = 0
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = epoch
                    self.model.stop_training = True
                    self.model.set_weights(self.best_weights)

        def on_train_end(self, logs=None):
            if self.stopped_epoch > 0:
                events.append(("early stopping", self.stopped_epoch + 1))

    class CustomLearningRateScheduler(keras.callbacks.Callback):
        def __init__(self, schedule):
            super().__init__()
            self.schedule = schedule

        def on_epoch_begin(self, epoch, logs=None):
            if not hasattr(self.model.optimizer, "learning_rate"):
                raise ValueError('Optimizer must have a "learning_rate" attribute.')
            lr = self.model.optimizer.learning_rate
            scheduled_lr = self.schedule(epoch, lr)
            self.model.optimizer.learning_rate = scheduled_lr
            events.append(("lr", epoch, float(np.array(scheduled_lr))))

    return events, CustomCallback, LossAndErrorPrintingCallback, EarlyStoppingAtMinLoss, \
        CustomLearningRateScheduler


LR_SCHEDULE = [(3, 0.05), (6, 0.01), (9, 0.005), (12, 0.001)]


def lr_schedule(epoch, lr):
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


def _callbacks_guide(keras, x_train, y_train, x_test, y_test):
    events, CustomCallback, LossAndErrorPrintingCallback, EarlyStoppingAtMinLoss, \
        CustomLearningRateScheduler = _callback_classes(keras)

    def get_model():
        model = keras.Sequential()
        model.add(keras.layers.Dense(1))
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
                      loss="mean_squared_error", metrics=["mean_absolute_error"])
        model.build((None, 784))
        rng = np.random.default_rng(9)
        model.set_weights([rng.normal(scale=0.05, size=w.shape).astype("float32")
                           for w in model.get_weights()])
        return model

    model = get_model()
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5,
              shuffle=False, callbacks=[CustomCallback()])
    model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[CustomCallback()])
    model.predict(x_test, batch_size=128, verbose=0, callbacks=[CustomCallback()])
    model = get_model()
    model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0, shuffle=False,
              callbacks=[LossAndErrorPrintingCallback()])
    model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[LossAndErrorPrintingCallback()])
    model = get_model()
    model.fit(x_train, y_train, batch_size=64, epochs=30, verbose=0, shuffle=False,
              callbacks=[LossAndErrorPrintingCallback(), EarlyStoppingAtMinLoss()])
    model = get_model()
    model.fit(x_train, y_train, batch_size=64, epochs=15, verbose=0, shuffle=False,
              callbacks=[LossAndErrorPrintingCallback(), CustomLearningRateScheduler(lr_schedule)])
    return events


def test_writing_your_own_callbacks_guide_like_keras():
    """Every hook in Keras's order with Keras's logs keys, the running losses and MAE, early
    stopping at the minimum loss (restoring the best weights) and a learning rate changed by a
    callback between epochs: the same events and figures as Keras from the same weights."""
    sk, keras = _libs()
    x, y = _mnist(384)   # guide: 1000 rows
    x_test, y_test = _mnist(256, seed=1)
    y, y_test = y.astype("float32"), y_test.astype("float32")
    ours = _callbacks_guide(fresh_library(sk)[0], x, y, x_test, y_test)
    ref = _callbacks_guide(fresh_library(keras)[0], x, y, x_test, y_test)
    # Keras's predict batch logs carry the batch's outputs, as ours do.
    outputs = [e for e in ours if e[0].startswith("...Predicting: end") and e[1] == ["outputs"]]
    ours_hooks = [e for e in ours if isinstance(e[1], list)]
    ref_hooks = [e for e in ref if isinstance(e[1], list)]
    assert ours_hooks == ref_hooks
    assert len(outputs) == math.ceil(256 / 128)
    ours_figures = [e for e in ours if not isinstance(e[1], list)]
    ref_figures = [e for e in ref if not isinstance(e[1], list)]
    assert [e[:2] for e in ours_figures] == [e[:2] for e in ref_figures]
    for a, b in zip(ours_figures, ref_figures):
        np.testing.assert_allclose(a[2:], b[2:], rtol=2e-3, err_msg=str(a[:2]))
    assert ("lr", 3, 0.05) in ours and ("lr", 12, 0.001) in ours
