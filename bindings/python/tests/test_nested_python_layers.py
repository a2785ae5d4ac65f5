"""Python layers whose `call` calls other layers (built-in ones, a Sequential, layers written in
Python), traced once into the library's op graph with those layers as their sublayers: trained
natively against real Keras 3 from the same weights, their weights listed and saved in Keras's
nested layout, `training` reaching the inner layers, and a call that cannot be traced refused
with the layer named.

Sources: keras-team/keras-io examples/nlp/text_classification_with_transformer.py (the
TransformerBlock and TokenAndPositionEmbedding layers), guides/
making_new_layers_and_models_via_subclassing.py (Linear in MLPBlock, an add_loss layer inside
another).
"""
import zipfile

import numpy as np
import pytest

from conftest import needs, CORE, real_keras
from test_keras_io_examples import transformer_tutorial_layers

pytestmark = needs(*CORE, "keras_layer_builder_layer")


def transformer_classes(keras, layers, ops):
    """The tutorial's layers (test_keras_io_examples), taking Keras's base layer arguments as
    Keras's guide says a layer must for its file to load back (the tutorial's take none)."""
    Block, Embed = transformer_tutorial_layers(keras, layers, ops)

    class TransformerBlock(Block):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
            super().__init__(embed_dim, num_heads, ff_dim, rate)

    class TokenAndPositionEmbedding(Embed):
        def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
            super().__init__(maxlen, vocab_size, embed_dim)

    return TransformerBlock, TokenAndPositionEmbedding


def transformer_model(lib, rate=0.0, vocab=30, maxlen=6, dim=8):
    lib.backend.clear_session()   # automatic names (the ffn's dense_N) from the same start
    Block, Embed = transformer_classes(lib, lib.layers, lib.ops)
    inputs = lib.layers.Input(shape=(maxlen,))
    x = Embed(maxlen, vocab, dim)(inputs)
    x = Block(dim, 2, dim, rate)(x)
    x = lib.layers.GlobalAveragePooling1D()(x)
    outputs = lib.layers.Dense(2, activation="softmax")(x)
    return lib.Model(inputs, outputs), {"TransformerBlock": Block, "TokenAndPositionEmbedding": Embed}


def _data(vocab=30, maxlen=6, n=16):
    rng = np.random.default_rng(3)
    return rng.integers(0, vocab, (n, maxlen)), rng.integers(0, 2, n)


def _counting(call, calls):
    def counted(self, inputs):
        calls.append(type(self).__name__)
        return call(self, inputs)
    return counted


def test_transformer_block_trains_to_keras_weights_natively(monkeypatch):
    import swiftkeras as sk
    from swiftkeras import _python_layers
    keras = real_keras()
    keras.utils.set_random_seed(1)   # Keras's starting weights fixed: from some, 3 epochs raise the loss
    ref, _ = transformer_model(keras)
    ours, custom = transformer_model(sk)
    x, y = _data()
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    calls = []   # the layers' Python `call` during fit: traced once, never run per step
    for cls in custom.values():
        monkeypatch.setattr(cls, "call", _counting(cls.call, calls))
    ha = ours.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    hb = ref.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ha, hb, rtol=1e-4)   # float32 sums in another order
    assert ha[-1] < ha[0]
    assert calls == []   # traced when the model was built (set_weights), not run per step
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)
    # Traced once: no Python forward or backward per step.
    custom = [l for l in ours.layers if type(l).__name__ in ("TransformerBlock", "TokenAndPositionEmbedding")]
    traced = [i.traced for i in _python_layers._instances.values() if any(i.layer is l for l in custom)]
    assert len(traced) >= 2 and all(traced)


def test_nested_weights_saved_in_keras_layout_and_read_by_keras(tmp_path):
    import swiftkeras as sk
    keras = real_keras()
    ours, custom = transformer_model(sk)
    x, _ = _data()
    path = str(tmp_path / "t.keras")
    ours.save(path)
    with zipfile.ZipFile(path) as z:
        z.extract("model.weights.h5", tmp_path)
    import h5py
    groups = []
    with h5py.File(tmp_path / "model.weights.h5") as f:
        f.visit(lambda name: groups.append(name) if name.endswith("/vars") and len(f[name]) else None)
    ref, ref_custom = transformer_model(keras)
    ref_path = str(tmp_path / "ref.keras")
    ref.save(ref_path)
    with zipfile.ZipFile(ref_path) as z:
        z.extract("model.weights.h5", tmp_path / "ref")
    ref_groups = []
    with h5py.File(tmp_path / "ref" / "model.weights.h5") as f:
        f.visit(lambda name: ref_groups.append(name) if name.endswith("/vars") and len(f[name]) else None)
    assert sorted(groups) == sorted(ref_groups)
    assert "layers/transformer_block/ffn/layers/dense/vars" in groups

    predicted = ours.predict(x, verbose=0)
    np.testing.assert_array_equal(sk.models.load_model(path, custom_objects=custom).predict(x, verbose=0),
                                  predicted)
    in_keras = keras.models.load_model(path, custom_objects=ref_custom)
    np.testing.assert_allclose(np.asarray(in_keras.predict(x, verbose=0)), predicted, rtol=1e-5, atol=1e-5)
    # A file Keras wrote loads here, predicting as Keras does.
    from_keras = sk.models.load_model(ref_path, custom_objects=custom)
    np.testing.assert_allclose(from_keras.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-5)


def guide_classes(keras, ops):
    class Linear(keras.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    class MLPBlock(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(32)
            self.linear_2 = Linear(32)
            self.linear_3 = Linear(1)

        def call(self, inputs):
            x = self.linear_1(inputs)
            x = keras.activations.relu(x)
            x = self.linear_2(x)
            x = keras.activations.relu(x)
            return self.linear_3(x)

    class ActivityRegularizationLayer(keras.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(inputs))
            return inputs

    class OuterLayer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    return MLPBlock, OuterLayer


def test_python_layers_inside_a_python_layer_list_their_weights_as_keras():
    import swiftkeras as sk
    keras = real_keras()
    MLPBlock, _ = guide_classes(sk, sk.ops)
    RefBlock, _ = guide_classes(keras, keras.ops)
    mlp, ref = MLPBlock(), RefBlock()
    x = np.ones((3, 64), np.float32)
    y = mlp(x)
    ref(x)
    assert np.shape(y) == (3, 1)
    assert len(mlp.weights) == len(ref.weights) == 6
    assert len(mlp.trainable_weights) == 6 and len(mlp.non_trainable_weights) == 0
    assert [tuple(w.shape) for w in mlp.weights] == [tuple(w.shape) for w in ref.weights]
    mlp.set_weights([np.asarray(w) for w in ref.get_weights()])
    np.testing.assert_allclose(mlp(x), np.asarray(ref(x)), rtol=1e-5, atol=1e-6)


def test_mlp_block_in_a_model_trains_like_keras(tmp_path):
    import swiftkeras as sk
    keras = real_keras()
    models = []
    for lib in (sk, keras):
        MLPBlock, _ = guide_classes(lib, lib.ops)
        inputs = lib.layers.Input(shape=(5,))
        models.append(lib.Model(inputs, MLPBlock()(inputs)))
    ours, ref = models
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 5)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.01), "mse")
    ha = ours.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    hb = ref.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ha, hb, rtol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    # The inner layers' weights, and the model saved and loaded here (twice: the inner class
    # stays known to the library after a first read of a config).
    np.testing.assert_allclose(ours.layers[1].linear_3.get_weights()[0],
                               np.asarray(ref.layers[1].linear_3.get_weights()[0]), rtol=1e-5, atol=1e-6)
    path = str(tmp_path / "mlp.keras")
    ours.save(path)
    for _ in range(2):
        loaded = sk.models.load_model(path, custom_objects={"MLPBlock": type(ours.layers[1])})
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), ours.predict(x, verbose=0))
        np.testing.assert_array_equal(loaded.layers[1].linear_2.b.numpy(), ours.layers[1].linear_2.b.numpy())


def test_add_loss_of_a_layer_inside_a_layer():
    import swiftkeras as sk
    _, OuterLayer = guide_classes(sk, sk.ops)
    layer = OuterLayer()
    assert len(layer.losses) == 0
    layer(np.full((1, 1), 3.0, np.float32))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(layer.losses[0], 0.03, rtol=1e-6)


def test_training_reaches_inner_dropout_and_batch_normalization():
    import swiftkeras as sk
    keras = real_keras()
    models = []
    for lib in (sk, keras):
        class Block(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.norm = lib.layers.BatchNormalization()
                self.drop = lib.layers.Dropout(0.999)

            def call(self, inputs, training=None):
                return self.drop(self.norm(inputs, training=training), training=training)

        inputs = lib.layers.Input(shape=(4,))
        models.append(lib.Model(inputs, Block()(inputs)))
    ours, ref = models
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in ref.weights]
    assert len(ours.non_trainable_weights) == len(ref.non_trainable_weights) == 2
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    x = np.random.default_rng(2).normal(3.0, 2.0, size=(64, 4)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-5)
    trained = np.asarray(ours(x, training=True))
    assert np.mean(trained == 0) > 0.9   # the inner Dropout ran in training mode


@pytest.mark.parametrize("numpy_first", [False, True])
def test_a_layer_using_layers_that_cannot_be_traced_is_named(numpy_first):
    import swiftkeras as sk

    class Numpyish(sk.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = sk.layers.Dense(3)

        def call(self, inputs):
            if numpy_first:   # fails before calling its layer
                return self.dense(np.tanh(np.asarray(inputs)))
            return np.tanh(np.asarray(self.dense(inputs)))

    inputs = sk.layers.Input(shape=(4,))
    with pytest.raises(ValueError, match=r"Numpyish 'numpyish.*uses layers \(dense.*numpy"):
        model = sk.Model(inputs, sk.layers.Dense(2)(Numpyish()(inputs)))
        model.predict(np.zeros((2, 4), np.float32), verbose=0)


def test_a_frozen_python_layer_freezes_the_layers_it_calls():
    import swiftkeras as sk
    keras = real_keras()
    x, y = _data()
    counts = []
    for lib in (sk, keras):
        model, _ = transformer_model(lib)
        model.layers[2].trainable = False   # the TransformerBlock, before the model is built
        model.compile(lib.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        before = [np.array(w) for w in model.layers[2].get_weights()]
        model.fit(x, y, epochs=1, verbose=0)
        for a, b in zip(model.layers[2].get_weights(), before):
            np.testing.assert_array_equal(np.asarray(a), b)
        counts.append((len(model.trainable_weights), len(model.layers[2].non_trainable_weights)))
    assert counts[0] == counts[1] == (4, 16)
