"""After `keras.utils.set_random_seed`, models built in Python start from Keras's initial
weights: each unseeded initializer and SeedGenerator takes its seed from Python's `random` when
Keras makes it (in the layer's constructor, in Keras's order), and the library draws with the
initializers' seeds at build, as Keras does on JAX. Compared with real Keras run here on a Dense
MLP with Dropout, a Conv2D + BatchNormalization net, an Embedding + LSTM, a SimpleRNN, a
subclassed model with a layer of its own (add_weight) and a user's `random` calls in between,
and on the layers Keras copies or draws for at build (Bidirectional's copies of the wrapped
layer, MultiHeadAttention's copies of its initializers, SpectralNormalization's `vector_u`);
the configs keep `seed: None`, as Keras's. A model loaded after set_random_seed draws as
Keras's load does: its Dropout masks in a later fit are Keras's.

Keras's numbers are Tests/KerasTests/Fixtures/random/keras_seed_build_like_jax.json, which
scripts/make_keras_reference_fixtures.py writes from this file's `_weights`, `_composites`,
`_fit_after_load` and `_distributions` run in real Keras with XLA's default flags; run it again
after changing them."""

import json
import os
import random
import tempfile
import zipfile

import numpy as np
import pytest

import swiftkeras as sk
from conftest import keras_reference


def _mlp(K):
    return K.Sequential([K.Input((6,)), K.layers.Dense(8, activation="relu"), K.layers.Dropout(0.2),
                         K.layers.Dense(5, kernel_initializer="he_normal"),
                         K.layers.Dense(3, kernel_initializer=K.initializers.LecunUniform())])


def _conv(K):
    return K.Sequential([K.Input((6, 6, 2)), K.layers.Conv2D(3, 3), K.layers.BatchNormalization(),
                         K.layers.Conv2D(2, 2, kernel_initializer="truncated_normal",
                                         bias_initializer="random_normal"),
                         K.layers.Flatten(), K.layers.Dense(2)])


def _recurrent(K):
    inputs = K.Input((4,), dtype="int32")
    x = K.layers.Embedding(12, 3)(inputs)
    x = K.layers.LSTM(3, return_sequences=True)(x)
    x = K.layers.SimpleRNN(2)(x)
    return K.Model(inputs, K.layers.Dense(1)(x))


def _subclassed(K):
    class Scale(K.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="random_uniform")

        def call(self, x):
            return x * self.w

    class Net(K.Model):
        def __init__(self):
            super().__init__()
            self.first = K.layers.Dense(4, activation="tanh")
            self.scale = Scale()
            self.last = K.layers.Dense(2, kernel_initializer="glorot_normal")

        def call(self, x):
            return self.last(self.scale(self.first(x)))

    model = Net()
    model(np.zeros((1, 3), np.float32))
    return model


def _weights(K):
    """Each model's initial weights after set_random_seed, with a user's `random` calls between."""
    out = {}
    for name, make in (("mlp", _mlp), ("conv", _conv), ("recurrent", _recurrent),
                       ("subclassed", _subclassed)):
        K.utils.set_random_seed(1234)
        random.random()   # the user's own draws move Python's `random` on, as in Keras
        model = make(K)
        out[name] = [np.asarray(w) for w in model.get_weights()]
        if name == "mlp":   # the Dropout's generator took its seed when made, between the Denses'
            out["dropout_generator"] = [np.asarray(model.layers[1].seed_generator.state.numpy())]
    K.utils.set_random_seed(7)
    a = K.layers.Dense(3)
    random.randint(0, 5)
    b = K.layers.Dense(3)
    out["interleaved"] = [np.asarray(w) for m in (K.Sequential([K.Input((2,)), a]), K.Sequential([K.Input((2,)), b]))
                          for w in m.get_weights()]
    K.utils.set_random_seed(11)   # Keras remakes the wrapped LSTM for each direction
    model = K.Sequential([K.Input((4, 3)), K.layers.Bidirectional(K.layers.LSTM(2)), K.layers.Dense(3)])
    out["bidirectional"] = [np.asarray(w) for w in model.get_weights()]
    K.utils.set_random_seed(3)
    out["standalone"] = [np.asarray(K.initializers.GlorotUniform()((3, 4))),
                         np.asarray(K.initializers.get("orthogonal")((4, 4)))]
    out["after"] = np.array([random.randint(0, 10 ** 6)])   # Python's `random` moved on as Keras's
    return out


class _Block:
    """keras.io's transformer block: a layer written in Python holding a MultiHeadAttention
    (built, drawing, at the block's first call), a Sequential and a Dropout."""

    @staticmethod
    def make(K):
        class Block(K.layers.Layer):
            def __init__(self):
                super().__init__()
                self.att = K.layers.MultiHeadAttention(2, 4)
                self.ffn = K.Sequential([K.layers.Dense(8, activation="relu"), K.layers.Dense(6)])
                self.norm = K.layers.LayerNormalization()
                self.drop = K.layers.Dropout(0.1)

            def call(self, x):
                return self.norm(x + self.ffn(self.drop(self.att(x, x))))
        return Block()


def _composites(K):
    """Initial weights of models whose layers Keras copies or draws for at build: Bidirectional
    (GRU and SimpleRNN with dropout, a backward layer given), MultiHeadAttention (a Dense made
    between it and its call; dropout, gate and a random bias), GroupQueryAttention, a
    transformer block, ConvLSTM2D, RNN over cells, TimeDistributed and SpectralNormalization;
    each with the next number of Python's `random` after it."""
    def attention():
        inputs = K.Input((5, 6))
        x = K.layers.Dense(6)(inputs)
        attend, last = K.layers.MultiHeadAttention(2, 3), K.layers.Dense(4)
        return K.Model(inputs, last(attend(x, x)))

    def attention_with_everything():
        inputs = K.Input((5, 6))
        x = K.layers.MultiHeadAttention(2, 3, dropout=0.1, bias_initializer="random_normal",
                                        use_gate=True)(inputs, inputs)
        return K.Model(inputs, K.layers.Dense(2)(x))

    def grouped():
        inputs = K.Input((5, 8))
        x = K.layers.GroupQueryAttention(4, 4, 2, dropout=0.2)(inputs, inputs)
        return K.Model(inputs, K.layers.Dense(2)(x))

    def block():
        inputs = K.Input((5, 6))
        x = K.layers.GlobalAveragePooling1D()(_Block.make(K)(inputs))
        return K.Model(inputs, K.layers.Dense(2)(x))

    L = K.layers
    makers = {
        "attention": attention, "attention_with_everything": attention_with_everything,
        "grouped_query_attention": grouped, "transformer_block": block,
        "bidirectional_gru_simple_rnn": lambda: K.Sequential([
            K.Input((4, 3)), L.Bidirectional(L.GRU(2, return_sequences=True)),
            L.Bidirectional(L.SimpleRNN(2, dropout=0.1)), L.Dense(3)]),
        "bidirectional_backward_given": lambda: K.Sequential([
            K.Input((4, 3)), L.Bidirectional(L.LSTM(2, kernel_initializer=K.initializers.HeNormal()),
                                             backward_layer=L.GRU(2, go_backwards=True)), L.Dense(3)]),
        "conv_lstm": lambda: K.Sequential([K.Input((2, 5, 5, 2)), L.ConvLSTM2D(2, 3), L.Flatten(), L.Dense(3)]),
        "rnn_cells": lambda: K.Sequential([K.Input((4, 3)), L.RNN([L.LSTMCell(2), L.GRUCell(3)]), L.Dense(3)]),
        "time_distributed": lambda: K.Sequential([K.Input((4, 3)), L.TimeDistributed(L.Dense(2)), L.Dense(3)]),
        "spectral_normalization": lambda: K.Sequential([
            K.Input((4,)), L.SpectralNormalization(L.Dense(3)), L.Dense(2)]),
    }
    out = {}
    for name, make in makers.items():
        K.utils.set_random_seed(21)
        random.random()
        model = make()
        out[name] = [np.asarray(w) for w in model.get_weights()] + [np.array([random.randint(0, 10 ** 6)])]
    return out


def _fit_after_load(K):
    """A model with Dropout fit, saved, loaded after another set_random_seed and fit again:
    Keras's load draws its layers' seeds anew (files keep no generator state), so the second
    fit's masks depend on them; with the next number of Python's `random` after the load."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 6)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")
    K.utils.set_random_seed(1)
    inputs = K.Input((6,))
    h = K.layers.Dropout(0.3)(K.layers.Dense(8, activation="relu")(inputs))
    h = K.layers.Bidirectional(K.layers.GRU(2, dropout=0.2))(K.layers.Reshape((2, 4))(h))
    model = K.Model(inputs, K.layers.Dense(2)(K.layers.Dropout(0.5)(h)))
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "m.keras")
        model.save(path)
        K.utils.set_random_seed(5)
        again = K.saving.load_model(path)
        after = np.array([random.randint(0, 10 ** 6)])
        K.utils.set_random_seed(5)
        again = K.saving.load_model(path)
    again.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    return {"fit_after_load": [np.asarray(w) for w in again.get_weights()],
            "random_after_load": [after]}


def _distributions(K):
    """keras.random's categorical, gamma, beta and binomial on several seeds and shapes."""
    out = {}
    logits = np.array([[0.1, 1.0, -0.5, 2.0], [3.0, 0.0, 0.0, -1.0], [0, 0, 0, 0]], np.float32)
    for s in (1, 42):
        out[f"categorical/{s}"] = K.random.categorical(logits, 9, seed=s)
        out[f"gamma/{s}"] = K.random.gamma((30,), 2.5, seed=s)
        out[f"gamma_below_one/{s}"] = K.random.gamma((3, 10), 0.3, seed=s)
        out[f"beta/{s}"] = K.random.beta((30,), 0.7, 2.0, seed=s)
        out[f"binomial/{s}"] = K.random.binomial((30,), 5.0, 0.3, seed=s)      # inversion
        out[f"binomial_btrs/{s}"] = K.random.binomial((20,), 200.0, 0.7, seed=s)
        out[f"binomial_broadcast/{s}"] = K.random.binomial(
            (2, 3), np.array([3.0, 50.0, 1000.0], np.float32), np.array([[0.1], [0.9]], np.float32), seed=s)
    g = K.random.SeedGenerator(3)
    out["sequence"] = np.concatenate([np.ravel(K.random.categorical(logits, 2, seed=g)),
                                      np.ravel(K.random.binomial((4,), 8.0, 0.5, seed=g))])
    return {k: [np.asarray(v)] for k, v in out.items()}


@pytest.fixture(scope="module")
def keras_numbers():
    return keras_reference("random", "keras_seed_build_like_jax.json")


@pytest.fixture(scope="module")
def our_weights():
    return {**_weights(sk), **_composites(sk)}


def _assert_close(name, ours, expected, atol):
    assert [w.shape for w in ours] == [w.shape for w in expected], name
    for i, (a, b) in enumerate(zip(ours, expected)):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol, err_msg=f"{name} weight {i}")


@pytest.mark.parametrize("name", [
    "mlp", "dropout_generator", "conv", "recurrent", "subclassed", "interleaved", "bidirectional",
    "standalone", "after", "attention", "attention_with_everything", "grouped_query_attention",
    "transformer_block", "bidirectional_gru_simple_rnn", "bidirectional_backward_given", "conv_lstm",
    "rnn_cells", "time_distributed", "spectral_normalization"])
def test_initial_weights_are_kerass_after_set_random_seed(name, keras_numbers, our_weights):
    # Orthogonal's QR rounds differently (the LSTM's recurrent kernel, the standalone one)
    _assert_close(name, our_weights[name], keras_numbers[name], 2e-6)


def test_fit_after_load_model_is_kerass(keras_numbers):
    ours = _fit_after_load(sk)
    np.testing.assert_array_equal(ours["random_after_load"][0], keras_numbers["random_after_load"][0])
    # (one epoch of SGD on float32 sums in another order)
    _assert_close("fit_after_load", ours["fit_after_load"], keras_numbers["fit_after_load"], 1e-6)


def test_unseeded_configs_keep_seed_none_as_keras(tmp_path):
    sk.utils.set_random_seed(5)
    model = _mlp(sk)
    dense = model.layers[0]
    assert dense.get_config()["kernel_initializer"]["config"]["seed"] is None
    assert dense.kernel_initializer.get_config()["seed"] is None
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        text = z.read("config.json").decode()
    for private in ("_default_seed", "_generator_seeds", "_build_seeds"):
        assert private not in text and private not in json.dumps(model.get_config())
        assert private not in json.dumps(model.layers[1].get_config())
    assert json.loads(text)["config"]["layers"][1]["config"]["kernel_initializer"]["config"]["seed"] is None
    # A loaded model keeps the weights saved (its initializers' draws are overwritten).
    again = sk.saving.load_model(path)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_distributions_are_jaxs(keras_numbers):
    ours = _distributions(sk)
    for name, [value] in ours.items():
        expected = keras_numbers[name][0]
        assert value.dtype == expected.dtype and value.shape == expected.shape, name
        if name.startswith("beta"):
            # the same log-gamma draws; the exponentials after them a few ulp away from XLA's
            # (at most 8 measured)
            np.testing.assert_allclose(value, expected, rtol=1e-6, atol=0, err_msg=name)
        else:
            np.testing.assert_array_equal(value, expected, err_msg=name)


def test_distribution_arguments_are_checked_as_keras():
    with pytest.raises(ValueError, match="2-D"):
        sk.random.categorical(np.zeros((3,), np.float32), 2, seed=1)
    with pytest.raises(ValueError, match="negative"):
        sk.random.gamma((2, -1), 1.0, seed=1)
    assert sk.random.binomial((0,), 3.0, 0.5, seed=1).shape == (0,)
