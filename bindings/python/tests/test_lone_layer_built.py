"""A layer called on symbolic tensors outside any model is built by that call, as in Keras:
`d = Dense(3); d(keras.Input((4,)))` has `d.built`, `d.kernel`, weights to get and set, and so
does a layer called on another layer's output, a shared layer, a Python (subclassed) layer, a
layer of several inputs. A model made of such layers later computes with the weights set on
them before (Keras's model holds the layers' variables), and weights set through either are
the other's."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

RS = np.random.RandomState(5)


def _scaled(k):
    """A Python layer with a weight of its own (Keras's guide's Linear)."""
    class Scaled(k.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones", name="w")

        def call(self, x):
            return k.ops.matmul(x, self.w)
    return Scaled(name="scaled")


def _lone(k):
    layer = k.layers.Dense(3, name="lone")
    layer(k.Input((4,)))
    return layer


def _chained(k):
    second = k.layers.Dense(2, name="second")
    second(k.layers.Dense(3, name="first")(k.Input((4,))))
    return second


def _shared(k):
    layer = k.layers.Dense(5, name="shared")
    layer(k.Input((4,)))
    layer(k.Input((4,)))
    return layer


def _python(k):
    layer = _scaled(k)
    layer(k.Input((3,)))
    return layer


def _attention(k):
    layer = k.layers.MultiHeadAttention(2, 4, name="mha")
    q = k.Input((5, 8))
    layer(q, q)
    return layer


def _recurrent(k):
    layer = k.layers.LSTM(3, name="lstm")
    layer(k.Input((5, 2)))
    return layer


def _initial_state(k):
    """An LSTM called on its initial states (Keras's seq2seq decoder: an encoder's states)."""
    _, h, c = k.layers.LSTM(3, return_state=True, name="encoder")(k.Input((4, 2)))
    layer = k.layers.LSTM(3, return_sequences=True, name="decoder")
    layer(k.Input((5, 2)), initial_state=[h, c])
    return layer


def _initial_state_inputs(k):
    layer = k.layers.GRU(3, name="gru")
    layer(k.Input((5, 2)), initial_state=[k.Input((3,))])
    return layer


def _unknown_steps(cls, *args):
    def make(k):
        layer = getattr(k.layers, cls)(*args, name="unknown")
        layer(k.Input((None, 8)))
        return layer
    return make


CASES = {"lone": _lone, "chained": _chained, "shared": _shared, "python": _python,
         "attention": _attention, "recurrent": _recurrent, "initial_state": _initial_state,
         "initial_state_inputs": _initial_state_inputs, "unknown_lstm": _unknown_steps("LSTM", 4),
         "unknown_conv1d": _unknown_steps("Conv1D", 4, 3),
         "unknown_pooling": _unknown_steps("GlobalAveragePooling1D")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_built_with_weights_by_its_symbolic_call_as_keras(case):
    ref, ours = CASES[case](keras), CASES[case](sk)
    assert ours.built is ref.built is True
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    assert [v.path for v in ours.weights] == [v.path for v in ref.weights]
    weights = [RS.normal(size=w.shape).astype("float32") for w in ref.get_weights()]
    ours.set_weights(weights)
    for got, want in zip(ours.get_weights(), weights):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", ["initial_state", "unknown_lstm", "unknown_conv1d", "unknown_pooling"])
def test_output_shapes_of_a_lone_call_as_keras(case):
    """The first call's output (its KerasTensor) has Keras's shape, unknown sizes kept."""
    ref, ours = CASES[case](keras), CASES[case](sk)
    assert tuple(ours.output.shape) == tuple(ref.output.shape)


def test_lone_layer_kernel_as_keras():
    ref, ours = _lone(keras), _lone(sk)
    assert tuple(ours.kernel.shape) == tuple(ref.kernel.shape) == (4, 3)
    assert ours.count_params() == ref.count_params()


def _chain(k, first, second):
    inputs = k.Input((4,))
    return k.Model(inputs, second(first(inputs)))


def test_model_made_later_computes_with_the_weights_set_on_its_lone_layers():
    """Keras: `keras.Model(inputs, outputs)` of layers built and set alone holds their
    variables: its predictions are those weights', and weights set through the model's layers
    after are the lone layers' (the same objects)."""
    x = RS.normal(size=(6, 4)).astype("float32")
    first, second = sk.layers.Dense(3, name="first"), sk.layers.Dense(2, name="second")
    inputs = sk.Input((4,))
    outputs = second(first(inputs))
    w1 = [RS.normal(size=(4, 3)).astype("float32"), RS.normal(size=3).astype("float32")]
    w2 = [RS.normal(size=(3, 2)).astype("float32"), RS.normal(size=2).astype("float32")]
    first.set_weights(w1)
    second.set_weights(w2)
    model = sk.Model(inputs, outputs)
    np.testing.assert_allclose(model.predict(x, verbose=0), (x @ w1[0] + w1[1]) @ w2[0] + w2[1],
                               rtol=1e-5, atol=1e-5)
    w1[0] = 2 * w1[0]
    model.layers[1].set_weights(w1)
    np.testing.assert_array_equal(first.kernel.numpy(), w1[0])
    np.testing.assert_allclose(model.predict(x, verbose=0), (x @ w1[0] + w1[1]) @ w2[0] + w2[1],
                               rtol=1e-5, atol=1e-5)
    # Keras: the model's variables are the lone layers' (predict equal after set_weights)
    ref_first, ref_second = keras.layers.Dense(3, name="first"), keras.layers.Dense(2, name="second")
    ref_inputs = keras.Input((4,))
    ref_outputs = ref_second(ref_first(ref_inputs))
    ref_first.set_weights(w1)
    ref_second.set_weights(w2)
    ref_model = keras.Model(ref_inputs, ref_outputs)
    assert ref_model.layers[1].kernel is ref_first.kernel
    np.testing.assert_allclose(model.predict(x, verbose=0), ref_model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-5)


def test_python_layer_set_alone_then_in_a_model():
    x = RS.normal(size=(5, 3)).astype("float32")
    layer = _python(sk)
    w = RS.normal(size=(3, 2)).astype("float32")
    layer.set_weights([w])
    np.testing.assert_array_equal(layer.w.numpy(), w)
    inputs = sk.Input((3,))
    model = sk.Model(inputs, layer(inputs))
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ w, rtol=1e-5, atol=1e-5)


def test_attention_set_alone_then_in_a_model_as_keras():
    x = RS.normal(size=(2, 5, 8)).astype("float32")
    ours, ref = _attention(sk), _attention(keras)
    weights = [RS.normal(size=w.shape).astype("float32") for w in ref.get_weights()]
    ours.set_weights(weights)
    ref.set_weights(weights)
    models = []
    for k, layer in ((sk, ours), (keras, ref)):
        q = k.Input((5, 8))
        models.append(k.Model(q, layer(q, q)))
    np.testing.assert_allclose(models[0].predict(x, verbose=0), models[1].predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)
