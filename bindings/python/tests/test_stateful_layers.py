"""Stateful recurrent layers from Python, against real Keras 3 (JAX) with the same weights:
consecutive predicts carry the states, `layer.states` holds Keras's values, `reset_states()`
zeroes them, `get_initial_state(batch_size)`, and Keras's behaviour for layers that are not
stateful or not built.

The reference is Keras's eager call `model(x)`, which carries the states from one call to the
next. Keras 3.15's JAX predict and fit do not (the state variables are untracked, so their
stateless, compiled steps drop the updates; the TensorFlow and torch backends carry them, as
Keras documents `stateful=True`); here predict and fit carry them too."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

import swiftkeras as sk

STATES = ("keras_model_reset_states", "keras_model_layer_state_count", "keras_model_layer_state")
BATCH, STEPS, FEATURES = 4, 5, 3


def batches(n=3):
    rng = np.random.default_rng(7)
    return [rng.uniform(-1, 1, size=(BATCH, STEPS, FEATURES)).astype("float32") for _ in range(n)]


def pair(keras, make_layer):
    """The same stateful model in Keras and here, ours holding Keras's drawn weights."""
    def build(lib):
        return lib.Sequential([lib.Input(batch_shape=(BATCH, STEPS, FEATURES)), make_layer(lib),
                               lib.layers.Dense(2)])
    ref = build(keras)
    ours = build(sk)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    return ours, ref


def assert_states_equal(ours, ref):
    assert (ours is None) == (ref is None)
    if ref is None:
        return
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


LAYERS = {
    "LSTM": lambda lib: lib.layers.LSTM(4, stateful=True, name="rec"),
    "GRU": lambda lib: lib.layers.GRU(4, stateful=True, name="rec"),
    "SimpleRNN": lambda lib: lib.layers.SimpleRNN(4, stateful=True, name="rec"),
}


@needs(*CORE, *STATES)
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_stateful_predicts_carry_and_reset_like_keras(kind):
    keras = real_keras()
    ours, ref = pair(keras, LAYERS[kind])
    mine, theirs = ours.get_layer("rec"), ref.get_layer("rec")
    # Built with a fixed batch size: zero states before any call, as Keras creates them.
    assert_states_equal(mine.states, theirs.states)
    assert all(np.all(s == 0) for s in mine.states)
    x1, x2, x3 = batches()
    for x in (x1, x2, x3):   # each predict starts from the states the previous one ended with
        np.testing.assert_allclose(ours.predict(x, batch_size=BATCH, verbose=0), np.asarray(ref(x)), atol=1e-5)
        assert_states_equal(mine.states, theirs.states)
    assert not np.allclose(mine.states[0], 0)
    mine.reset_states()
    theirs.reset_states()
    assert_states_equal(mine.states, theirs.states)
    assert all(np.all(s == 0) for s in mine.states)
    np.testing.assert_allclose(ours.predict(x2, batch_size=BATCH, verbose=0), np.asarray(ref(x2)), atol=1e-5)
    assert_states_equal(mine.states, theirs.states)
    # One predict over two batches carries from the first to the second (8 samples, batch 4).
    mine.reset_state()
    theirs.reset_state()
    expected = np.concatenate([np.asarray(ref(x1)), np.asarray(ref(x3))])
    np.testing.assert_allclose(ours.predict(np.concatenate([x1, x3]), batch_size=BATCH, verbose=0), expected,
                               atol=1e-5)
    assert_states_equal(mine.states, theirs.states)


@needs(*CORE, *STATES)
def test_stateful_bidirectional_states_and_reset_like_keras():
    keras = real_keras()
    ours, ref = pair(keras, lambda lib: lib.layers.Bidirectional(lib.layers.LSTM(3, stateful=True), name="rec"))
    mine, theirs = ours.get_layer("rec"), ref.get_layer("rec")
    for x in batches(2):
        np.testing.assert_allclose(ours.predict(x, batch_size=BATCH, verbose=0), np.asarray(ref(x)), atol=1e-5)
    assert isinstance(mine.states, tuple) and len(mine.states) == 4
    assert_states_equal(mine.states, theirs.states)
    mine.reset_states()
    theirs.reset_states()
    assert_states_equal(mine.states, theirs.states)


@needs(*CORE, *STATES)
def test_bidirectional_inner_layers_states_and_reset_like_keras():
    """`bi.forward_layer.states` / `backward_layer.states` are each direction's states (the
    library reaches them by their path, "rec/forward_lstm"), and resetting one direction zeroes
    only its states; the next call starts from there, as Keras's eager call does."""
    keras = real_keras()
    ours, ref = pair(keras, lambda lib: lib.layers.Bidirectional(lib.layers.LSTM(3, stateful=True, name="lstm"), name="rec"))
    mine, theirs = ours.get_layer("rec"), ref.get_layer("rec")
    assert [mine.forward_layer.path.split("/")[1:], theirs.forward_layer.path.split("/")[1:]] == [["rec", "forward_lstm"]] * 2
    for which in ("forward_layer", "backward_layer"):   # zeros before any call, as Keras's
        assert_states_equal(getattr(mine, which).states, getattr(theirs, which).states)
    x1, x2, x3 = batches()
    for x in (x1, x2):
        np.testing.assert_allclose(ours.predict(x, batch_size=BATCH, verbose=0), np.asarray(ref(x)), atol=1e-5)
    for which in ("forward_layer", "backward_layer"):
        got, want = getattr(mine, which).states, getattr(theirs, which).states
        assert isinstance(got, list) and len(got) == 2 and not np.allclose(got[0], 0)
        assert_states_equal(got, want)
    mine.forward_layer.reset_state()
    theirs.forward_layer.reset_state()
    assert all(np.all(s == 0) for s in mine.forward_layer.states)
    assert not np.allclose(mine.backward_layer.states[0], 0)
    assert_states_equal(mine.states, theirs.states)
    np.testing.assert_allclose(ours.predict(x3, batch_size=BATCH, verbose=0), np.asarray(ref(x3)), atol=1e-5)
    assert_states_equal(mine.states, theirs.states)
    mine.backward_layer.reset_states()
    theirs.backward_layer.reset_states()
    assert_states_equal(mine.backward_layer.states, theirs.backward_layer.states)


@needs(*CORE, *STATES)
def test_fit_carries_the_states_like_keras():
    """fit over two batches (learning rate 0: the weights stay Keras's) ends with the states of
    the two batches run one after the other from zeros."""
    keras = real_keras()
    ours, ref = pair(keras, LAYERS["GRU"])
    x1, x2 = batches(2)
    ours.compile(optimizer=sk.optimizers.SGD(learning_rate=0.0), loss="mse")
    ours.fit(np.concatenate([x1, x2]), np.zeros((2 * BATCH, 2), "float32"), batch_size=BATCH, epochs=1,
             shuffle=False, verbose=0)
    ref(x1)
    ref(x2)
    assert_states_equal(ours.get_layer("rec").states, ref.get_layer("rec").states)
    np.testing.assert_allclose(ours.predict(x1, batch_size=BATCH, verbose=0), np.asarray(ref(x1)), atol=1e-5)


@needs(*CORE, *STATES)
def test_get_initial_state_like_keras():
    keras = real_keras()
    for kind in ("LSTM", "GRU", "SimpleRNN"):
        ours, ref = pair(keras, LAYERS[kind])
        assert_states_equal(ours.get_layer("rec").get_initial_state(6), ref.get_layer("rec").get_initial_state(6))
    rnn = sk.layers.RNN(sk.layers.LSTMCell(3))
    assert [s.shape for s in rnn.get_initial_state(2)] == [(2, 3), (2, 3)]

    def conv(lib):
        return lib.Sequential([lib.Input(batch_shape=(2, 3, 6, 6, 1)),
                               lib.layers.ConvLSTM2D(2, 3, stateful=True, name="rec")])
    mine, theirs = conv(sk).get_layer("rec"), conv(keras).get_layer("rec")
    assert_states_equal(mine.get_initial_state(5), theirs.get_initial_state(5))
    assert_states_equal(mine.states, theirs.states)


@needs(*CORE, *STATES)
def test_layers_not_stateful_or_not_built_as_keras():
    keras = real_keras()
    for lib in (sk, keras):
        plain = lib.Sequential([lib.Input(shape=(STEPS, FEATURES)), lib.layers.LSTM(2, name="rec")])
        plain.predict(batches(1)[0], verbose=0)
        layer = plain.get_layer("rec")
        assert layer.states is None
        layer.reset_states()   # nothing to reset: no error in Keras
        assert lib.layers.GRU(2, stateful=True).states is None   # not built: no states yet
        bi = lib.layers.Bidirectional(lib.layers.LSTM(2))
        with pytest.raises(AttributeError, match="Layer must be stateful."):
            bi.reset_states()
        assert bi.states is None
    with pytest.raises(AttributeError):   # Keras: the cell has no spatial_dims yet
        keras.layers.ConvLSTM2D(2, 3).get_initial_state(2)
    with pytest.raises(AttributeError, match="must be built first"):
        sk.layers.ConvLSTM2D(2, 3).get_initial_state(2)


@needs(*CORE, *STATES)
def test_stateful_conv_lstm_carries_and_resets_like_keras():
    keras = real_keras()

    def build(lib):
        return lib.Sequential([lib.Input(batch_shape=(2, 3, 7, 2)),
                               lib.layers.ConvLSTM1D(3, 3, stateful=True, name="rec")])
    ref = build(keras)
    ours = build(sk)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    rng = np.random.default_rng(5)
    xs = [rng.uniform(-1, 1, size=(2, 3, 7, 2)).astype("float32") for _ in range(2)]
    for x in xs:
        np.testing.assert_allclose(ours.predict(x, batch_size=2, verbose=0), np.asarray(ref(x)), atol=1e-5)
        assert_states_equal(ours.get_layer("rec").states, ref.get_layer("rec").states)
    ours.get_layer("rec").reset_states()
    ref.get_layer("rec").reset_states()
    assert_states_equal(ours.get_layer("rec").states, ref.get_layer("rec").states)
    np.testing.assert_allclose(ours.predict(xs[1], batch_size=2, verbose=0), np.asarray(ref(xs[1])), atol=1e-5)
