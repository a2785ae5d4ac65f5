"""keras.io examples as the test (a fourteenth set): each example's model code as the tutorial
writes it (Keras 3 versions, `keras.ops` / `keras.random` where the example writes `tf.*`; only
the import differs), on small synthetic data of the example's shapes and dtypes, run on
swiftkeras and on real Keras 3 (JAX backend): the same summary and parameter count, the same
predictions and fit from the same weights, and weights files read both ways where the example
saves them. The library's gaps the examples found are tested on their own first.

Sources (keras-team/keras-io):
examples/vision/mixup.py
(https://keras.io/examples/vision/mixup/: the shallow convnet made by `get_training_model()`
with `input_shape=` on its first layer, its initial weights saved by `save_weights` and loaded
into a second model, trained on mixed-up batches with soft labels (categorical_crossentropy,
Adam, accuracy) with validation data, and evaluated; the mixing runs in a tf.data map of two
zipped datasets with lambdas from the ratio of two `tf.random.gamma` draws: here the same
function with `keras.random.gamma` and `keras.ops` on numpy batches. Keras 3 writes weights only
to a `.weights.h5` name and refuses the example's "initial_weights.h5"; here that name writes the
legacy Keras 2 layout, as the tf.keras the example was written for did, and Keras 3 reads it).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import numpy as np
import pytest

from conftest import needs, CORE
from test_keras_io_examples_3 import _both, _close, _fits_alike, _same_weights
from test_keras_io_examples_8 import _same_summary
from test_keras_io_guides_3 import _libs, narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


# -- examples/vision/mixup.py ------------------------------------------------------------------

def mixup_model(keras, layers, ops, dropout=0.2):
    """The example's `get_training_model()` (its Dropout rate a parameter)."""
    model = keras.Sequential(
        [
            layers.Conv2D(16, (5, 5), activation="relu", input_shape=(28, 28, 1)),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(32, (5, 5), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(dropout),
            layers.GlobalAvgPool2D(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    return model


def mix_up_function(keras, ops):
    """The example's `sample_beta_distribution` and `mix_up`, `keras.random` / `keras.ops` for
    `tf.random` / `tf`."""
    def sample_beta_distribution(size, concentration_0=0.2, concentration_1=0.2):
        gamma_1_sample = keras.random.gamma(shape=[size], alpha=concentration_1)
        gamma_2_sample = keras.random.gamma(shape=[size], alpha=concentration_0)
        return gamma_1_sample / (gamma_1_sample + gamma_2_sample)

    def mix_up(ds_one, ds_two, alpha=0.2, lam=None):
        images_one, labels_one = ds_one
        images_two, labels_two = ds_two
        batch_size = ops.shape(images_one)[0]
        l = sample_beta_distribution(batch_size, alpha, alpha) if lam is None else lam  # noqa: E741
        x_l = ops.reshape(l, (batch_size, 1, 1, 1))
        y_l = ops.reshape(l, (batch_size, 1))
        images = images_one * x_l + images_two * (1 - x_l)
        labels = labels_one * y_l + labels_two * (1 - y_l)
        return (images, labels)
    return sample_beta_distribution, mix_up


def _mixup_data(n=48, seed=3):
    rng = np.random.RandomState(seed)
    x = (rng.randint(0, 256, size=(n, 28, 28)).astype("float32") / 255.0).reshape(-1, 28, 28, 1)
    y = np.eye(10, dtype="float32")[rng.randint(0, 10, size=n)]   # tf.one_hot(y, 10)
    return x, y


def test_mixup_batches_and_beta_draws_as_keras():
    """mix_up of two batches on the same lambdas is Keras's; the lambdas drawn (the ratio of
    two gamma draws, each library's own stream) lie in [0, 1], one per row, and mix each image
    and label by the same weight."""
    sk, keras = _libs()
    x, y = _mixup_data(16)
    one, two = (x[:8], y[:8]), (x[8:], y[8:])
    lam = np.random.RandomState(5).rand(8).astype("float32")
    mixed = [mix_up_function(lib, lib.ops)[1](one, two, lam=lam) for lib in (sk, keras)]
    for ours, ref in zip(*mixed):
        _close(ours, ref, what="mixed")
    sk.utils.set_random_seed(0)
    beta, mix_up = mix_up_function(sk, sk.ops)
    draws = np.asarray(beta(500))
    assert draws.shape == (500,) and draws.min() >= 0.0 and draws.max() <= 1.0
    # Beta(0.2, 0.2): mean 1/2, variance ab / ((a + b)^2 (a + b + 1)) = 0.1786
    assert abs(draws.mean() - 0.5) < 0.05 and abs(draws.var() - 0.25 / 1.4) < 0.03
    images, labels = mix_up(one, two)
    weight = np.asarray(labels)[np.arange(8), np.argmax(y[:8], 1)]   # where one's label is hot
    same = np.argmax(y[:8], 1) == np.argmax(y[8:], 1)
    expected = np.where(same[:, None, None, None], images,
                        x[:8] * weight[:, None, None, None] + x[8:] * (1 - weight[:, None, None, None]))
    _close(images, expected, rtol=1e-5, atol=1e-6, what="images mixed by their labels' weight")


def test_mixup_model_summary_and_initial_weights_files_as_keras(tmp_path, narrow_terminal):  # noqa: F811
    """get_training_model()'s summary is Keras's; its initial weights saved by one library load
    into a second model of the other, predicting alike; the example's ".h5" name writes the legacy
    layout here (Keras 3 refuses to write it, and reads ours)."""
    ours, ref = _both(mixup_model)
    _same_summary(ours, ref)
    _same_weights(ours, ref, seed=1)
    x, _ = _mixup_data(8)
    for model, other in ((ours, ref), (ref, ours)):
        path = str(tmp_path / f"{type(model).__module__.split('.')[0]}_initial_weights.weights.h5")
        model.save_weights(path)
        fresh = _both(mixup_model)[0 if other is ours else 1]
        fresh.load_weights(path)
        _close(fresh.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-4, atol=1e-6,
               what=f"{path} loaded")
    # The example's own name: Keras 3 writes weights only to `.weights.h5`; here, as in the
    # tf.keras the example was written for, a plain `.h5` is the legacy Keras 2 layout, which
    # Keras 3 reads.
    legacy = str(tmp_path / "initial_weights.h5")
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        ref.save_weights(legacy)
    ours.save_weights(legacy)
    fresh = _both(mixup_model)[1]
    fresh.load_weights(legacy)
    _close(fresh.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-4, atol=1e-6,
           what="the legacy .h5 loaded by Keras")


def test_mixup_fit_on_mixed_batches_and_evaluate_as_keras():
    """The example's training on mixed-up batches (soft labels) with validation data: the same
    fit logs and trained weights as Keras from the same weights (Dropout rate 0), and the same
    test accuracy from evaluate."""
    x, y = _mixup_data(64)
    (x_val, y_val), (x_test, y_test) = _mixup_data(16, seed=4), _mixup_data(16, seed=5)
    lam = np.random.RandomState(6).beta(0.2, 0.2, size=48).astype("float32")
    _, mix_up = mix_up_function(*_libs()[1:], _libs()[1].ops)
    x_mixed, y_mixed = (np.asarray(t) for t in mix_up((x[:48], y[:48]), (x[16:], y[16:]), lam=lam))
    ours, ref = _both(mixup_model, dropout=0.0)
    _same_weights(ours, ref, seed=2)
    for model in (ours, ref):
        model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    _fits_alike(ours, ref, x_mixed, y_mixed, epochs=2, batch_size=16,
                validation_data=(x_val, y_val))
    evaluated = [m.evaluate(x_test, y_test, verbose=0) for m in (ours, ref)]
    _close(evaluated[0], evaluated[1], rtol=1e-4, what="evaluate: loss, accuracy")


# -- gaps the examples found ------------------------------------------------------------------

def test_compute_loss_on_arrays_with_a_loss_object_compiled_as_keras():
    """`compute_loss(y=..., y_pred=...)` on arrays of a model compiled with a Loss object (one
    serialized loss, not a loss per output, which the metric-learning example's train_step
    found refused as "several outputs"): the compiled loss's value, as Keras's."""
    def model(keras, layers, ops):
        inputs = keras.Input((4,))
        built = keras.Model(inputs, layers.Dense(3)(inputs))
        built.compile(optimizer="adam",
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return built
    sk, keras = _libs()
    ours, ref = _both(model)
    similarities = np.random.RandomState(0).normal(size=(6, 6)).astype("float32") / 0.2
    values = [m.compute_loss(y=lib.ops.arange(6), y_pred=similarities)
              for m, lib in ((ours, sk), (ref, keras))]
    _close(values[0], values[1], what="compute_loss")
