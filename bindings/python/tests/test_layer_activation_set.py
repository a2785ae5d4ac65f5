"""`layer.activation = f` on a layer a model holds (keras.io's Grad-CAM removes its classifier's
softmax with `model.layers[-1].activation = None`): the library's layer takes the new
activation, in every model that holds it, and the fused inference and training plans made
before are not used again. Keras's predict from the same weights is the reference where Keras
applies the change (set before its first predict: Keras's traced predict function keeps the
activation it traced); after a first predict, our numbers are checked against the math."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

RS = np.random.RandomState(11)
X = RS.rand(6, 5).astype("float32")


def _classifier(k, functional):
    if functional:
        x = k.Input((5,))
        h = k.layers.Dense(4, activation="relu", name="hidden")(x)
        return k.Model(x, k.layers.Dense(3, activation="softmax", name="head")(h))
    return k.Sequential([k.Input((5,)), k.layers.Dense(4, activation="relu", name="hidden"),
                         k.layers.Dense(3, activation="softmax", name="head")])


def _logits(model, x):
    """The head's logits by hand, from the model's weights."""
    w1, b1, w2, b2 = model.get_weights()
    return np.maximum(x @ w1 + b1, 0) @ w2 + b2


@pytest.mark.parametrize("functional", [False, True])
def test_softmax_removed_before_predict_gives_keras_logits(functional):
    ours, ref = _classifier(sk, functional), _classifier(keras, functional)
    ours.set_weights(ref.get_weights())
    for m in (ours, ref):
        m.layers[-1].activation = None
    got, want = ours.predict(X, verbose=0), ref.predict(X, verbose=0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, _logits(ours, X), rtol=1e-5, atol=1e-6)
    assert ours.layers[-1].activation is None and ref.layers[-1].activation is None


@pytest.mark.parametrize("functional", [False, True])
def test_change_after_a_predict_applies_to_the_next(functional):
    """The first predict read the fused Dense plan with the softmax; the next one must not use
    it (one row and several rows take different plans)."""
    model = _classifier(sk, functional)
    before = model.predict(X, verbose=0)
    np.testing.assert_allclose(before.sum(axis=1), 1, rtol=1e-5)
    model.predict(X[:1], verbose=0)
    model.layers[-1].activation = None
    np.testing.assert_allclose(model.predict(X, verbose=0), _logits(model, X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(X[:1], verbose=0), _logits(model, X[:1]), rtol=1e-5, atol=1e-6)
    model.layers[-1].activation = "softmax"
    np.testing.assert_allclose(model.predict(X, verbose=0), before, rtol=1e-5, atol=1e-6)


def test_fit_after_the_change_trains_as_keras():
    """A compiled MLP fitted once (its fused training plan made with relu), its hidden layer
    then set to tanh and its weights reset: the next fit equals Keras's fit of a model whose
    hidden layer was set to tanh before any fit, from the same weights."""
    y = RS.rand(6, 3).astype("float32")
    ours, ref = _classifier(sk, False), _classifier(keras, False)
    start = ref.get_weights()
    for m in (ours, ref):
        m.layers[-1].activation = None
        m.compile(optimizer="sgd", loss="mse")
    ours.set_weights(start)
    ours.fit(X, y, epochs=2, batch_size=3, verbose=0, shuffle=False)
    for m in (ours, ref):
        m.layers[0].activation = keras.activations.tanh if m is ref else sk.activations.tanh
    ours.set_weights(start)
    got = ours.fit(X, y, epochs=3, batch_size=3, verbose=0, shuffle=False).history["loss"]
    want = ref.fit(X, y, epochs=3, batch_size=3, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_model_sharing_the_layer_sees_the_change():
    """Grad-CAM's grad model holds the classifier's layers: an activation set through either
    model is the other's too."""
    model = _classifier(sk, True)
    grad_model = sk.Model(model.inputs, [model.get_layer("hidden").output, model.output])
    grad_model.predict(X, verbose=0)
    model.layers[-1].activation = None
    np.testing.assert_allclose(grad_model.predict(X, verbose=0)[1], _logits(model, X), rtol=1e-5, atol=1e-6)


def test_a_layer_set_before_any_model_is_made_with_it():
    head = sk.layers.Dense(3, activation="softmax", name="head")
    head.activation = None
    x = sk.Input((5,))
    model = sk.Model(x, head(sk.layers.Dense(4, activation="relu", name="hidden")(x)))
    np.testing.assert_allclose(model.predict(X, verbose=0), _logits(model, X), rtol=1e-5, atol=1e-6)


def test_conv_activation_and_the_saved_file_in_keras(tmp_path):
    """A Conv2D's relu removed; the model saved afterwards holds the linear activation, and
    Keras's load of the file predicts our numbers."""
    images = RS.normal(size=(2, 6, 6, 2)).astype("float32")
    model = sk.Sequential([sk.Input((6, 6, 2)), sk.layers.Conv2D(3, 3, activation="relu", name="conv")])
    relu = model.predict(images, verbose=0)
    model.get_layer("conv").activation = None
    linear = model.predict(images, verbose=0)
    assert (linear < 0).any() and (relu >= 0).all()
    np.testing.assert_allclose(np.maximum(linear, 0), relu, rtol=1e-5, atol=1e-6)
    path = str(tmp_path / "conv.keras")
    model.save(path)
    np.testing.assert_allclose(keras.saving.load_model(path).predict(images, verbose=0), linear,
                               rtol=1e-5, atol=1e-5)


def test_recurrent_activation_is_not_settable_as_in_keras():
    for k in (sk, keras):
        layer = k.layers.LSTM(2)
        with pytest.raises(AttributeError, match="property 'activation' of 'LSTM' object has no setter"):
            layer.activation = None


def test_an_unknown_activation_is_refused_and_the_layer_keeps_its_own():
    model = _classifier(sk, True)
    before = model.predict(X, verbose=0)
    with pytest.raises(Exception, match="nonexistent"):
        model.layers[-1].activation = "nonexistent"
    np.testing.assert_allclose(model.predict(X, verbose=0), before, rtol=1e-6)
