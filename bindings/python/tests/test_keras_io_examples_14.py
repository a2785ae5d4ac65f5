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
legacy Keras 2 layout, as the tf.keras the example was written for did, and Keras 3 reads it),
examples/vision/metric_learning.py
(https://keras.io/examples/vision/metric_learning/: the `keras.utils.Sequence` of anchor/positive
pairs, one of each class per batch, whose first batch is taken by `iter` (its
`self.num_batches = ...` collides with the read-only property of Keras 3.15.1's PyDataset, here
alike: the count is kept under another name), the EmbeddingModel, a functional Model subclass of
strided Conv2D, GlobalAveragePooling2D, Dense and UnitNormalization (`tf.nn.l2_normalize` in an
older version), its embeddings of the test images, their gram matrix and near neighbours; its
train_step, `compute_loss` for the deprecated `compiled_loss` and keras.GradientTape for
tf.GradientTape, differentiates the crossentropy of the einsum of two forward passes: a strict
xfail, see its reason; its plots and confusion matrix display are left out),
examples/keras_recipes/trainer_pattern.py
(https://keras.io/examples/keras_recipes/trainer_pattern/: MyTrainer, a Model subclass holding
a Sequential built by its call and a functional model built where it is made, its own Loss
object and metric listed by a `metrics` property, its test_step run by evaluate and its call by
predict; its train_step differentiates its Loss object's value by tf.GradientTape
(keras.GradientTape here): a strict xfail, see its reason),
examples/timeseries/eeg_bci_ssvepformer.py
(https://keras.io/examples/timeseries/eeg_bci_ssvepformer/: the SSVEPFormer's layers in Keras's
"cross-framework custom component" form (constructors without **kwargs) after
`keras.backend.set_image_data_format("channels_first")`: ComplexSpectrum of `ops.rfft`'s real
and imaginary parts, Conv1D layers along the frequencies, LayerNormalization, gelu, residual
sums, the MLP head, trained with SGD(momentum, weight_decay) and `jit_compile=True`; its
ChannelMLP calls a Reshape layer it makes in its call: the whole model is a strict xfail, see its
reason; the scipy filtering and the dataset's .mat files are random trials here),
examples/audio/stft.py
(https://keras.io/examples/audio/stft/: model1d, a non-trainable log STFTSpectrogram on clips of
any length before a VGG-like Conv1D stack with LayerNormalization, fit with validation data and
EarlyStopping(restore_best_weights) and evaluated, and model2d's three trainable
STFTSpectrograms (`expand_dims`, "same" padding) concatenated as an image's channels; its
MobileNet of ImageNet weights is a GlobalMaxPooling2D here, its fft_length 256 for 2048, its
ESC-50 clips random; Keras's numbers are a fixture written by
scripts/make_keras_reference_fixtures.py: `_stft_run`).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import numpy as np
import pytest

from conftest import needs, CORE, fresh_library, keras_reference
from test_keras_io_examples_3 import _both, _close, _fits_alike, _same_weights
from test_keras_io_examples_8 import _same_summary
from test_keras_io_guides_3 import _libs, narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


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


def test_a_functional_model_held_by_a_subclassed_one_keeps_its_weights_paths_as_keras():
    """A functional model is built where it is made (its layers by their symbolic calls): a
    subclassed model holding it (the trainer pattern's `self.model = model`, or one made in its
    `__init__`) lists its weights under their own paths, not under its name, as Keras does; a
    Sequential built by the holder's call is under the holder's name (the trainer pattern found
    the functional model's weights listed as "my_trainer/dense/kernel")."""
    def holders(keras, layers, ops):
        class Holder(keras.Model):
            def __init__(self, model=None):
                super().__init__()
                if model is None:
                    inputs = keras.Input(shape=(4,))
                    model = keras.Model(inputs, layers.Dense(3)(inputs))
                self.model = model

            def call(self, x):
                return self.model(x)
        inputs = keras.Input(shape=(4,))
        made = [Holder(keras.Model(inputs, layers.Dense(3)(layers.Dense(5)(inputs)))), Holder(),
                Holder(keras.Sequential([layers.Dense(2)]))]
        for holder in made:
            holder(np.ones((2, 4), "float32"))
        return [[v.path for v in holder.weights] for holder in made]
    ours, ref = _both(holders)
    assert ours == ref


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


# -- examples/vision/metric_learning.py --------------------------------------------------------

ML_CLASSES, ML_SIZE = 10, 16


def _ml_data(n=40, seed=7):
    """CIFAR-10's shapes, smaller: images in [0, 1] and their class, four of each."""
    rng = np.random.RandomState(seed)
    x = (rng.randint(0, 256, size=(n, ML_SIZE, ML_SIZE, 3)) / 255.0).astype("float32")
    return x, np.arange(n) % ML_CLASSES


def anchor_positive_pairs(keras, x_train, y_train, counts="n"):
    """The example's AnchorPositivePairs (`keras.utils.Sequence`), its batch count in the
    attribute `counts` (the example's `num_batches`), and its class-to-indices look-up."""
    import random
    from collections import defaultdict
    num_classes, height_width = ML_CLASSES, ML_SIZE
    class_idx_to_train_idxs = defaultdict(list)
    for y_train_idx, y in enumerate(y_train):
        class_idx_to_train_idxs[y].append(y_train_idx)

    class AnchorPositivePairs(keras.utils.Sequence):
        def __init__(self, num_batches):
            super().__init__()
            setattr(self, counts, num_batches)

        def __len__(self):
            return getattr(self, counts)

        def __getitem__(self, _idx):
            x = np.empty((2, num_classes, height_width, height_width, 3), dtype=np.float32)
            for class_idx in range(num_classes):
                examples_for_class = class_idx_to_train_idxs[class_idx]
                anchor_idx = random.choice(examples_for_class)
                positive_idx = random.choice(examples_for_class)
                while positive_idx == anchor_idx:
                    positive_idx = random.choice(examples_for_class)
                x[0, class_idx] = x_train[anchor_idx]
                x[1, class_idx] = x_train[positive_idx]
            return x
    return AnchorPositivePairs


def embedding_model(keras, layers, ops):
    """The example's EmbeddingModel (its train_step, `keras.GradientTape` for tf.GradientTape
    and `compute_loss` for the deprecated `compiled_loss`) on its convnet embedding."""
    num_classes, height_width = ML_CLASSES, ML_SIZE

    class EmbeddingModel(keras.Model):
        def train_step(self, data):
            # Note: Workaround for open issue, to be removed.
            if isinstance(data, tuple):
                data = data[0]
            anchors, positives = data[0], data[1]

            with keras.GradientTape() as tape:
                anchor_embeddings = self(anchors, training=True)
                positive_embeddings = self(positives, training=True)
                similarities = keras.ops.einsum(
                    "ae,pe->ap", anchor_embeddings, positive_embeddings
                )
                temperature = 0.2
                similarities /= temperature
                sparse_labels = keras.ops.arange(num_classes)
                loss = self.compute_loss(y=sparse_labels, y_pred=similarities)

            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
            return {m.name: m.result() for m in self.metrics}

    inputs = layers.Input(shape=(height_width, height_width, 3))
    x = layers.Conv2D(filters=32, kernel_size=3, strides=2, activation="relu")(inputs)
    x = layers.Conv2D(filters=64, kernel_size=3, strides=2, activation="relu")(x)
    x = layers.Conv2D(filters=128, kernel_size=3, strides=2, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    embeddings = layers.Dense(units=8, activation=None)(x)
    embeddings = layers.UnitNormalization()(embeddings)
    model = EmbeddingModel(inputs, embeddings)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def test_metric_learning_pairs_summary_and_neighbours_as_keras(narrow_terminal):  # noqa: F811
    """The example's Sequence of anchor/positive pairs (the first batch taken by `iter`), its
    embedding model's summary, and, from the same weights, the unit-length embeddings of the
    test images, their gram matrix and near neighbours as Keras's. The example's
    `self.num_batches = ...` collides with the Sequence's read-only `num_batches` property in
    Keras 3.15.1, and here alike."""
    sk, keras = _libs()
    x_train, y_train = _ml_data()
    errors = []
    for lib in (sk, keras):
        with pytest.raises(AttributeError) as err:
            anchor_positive_pairs(lib, x_train, y_train, counts="num_batches")(num_batches=1)
        errors.append(str(err.value))
    assert errors[0] == errors[1] and "num_batches" in errors[0]
    pairs = anchor_positive_pairs(sk, x_train, y_train)(num_batches=3)
    examples = next(iter(pairs))
    assert len(pairs) == 3 and examples.shape == (2, ML_CLASSES, ML_SIZE, ML_SIZE, 3)
    for class_idx in range(ML_CLASSES):   # two different images of the class
        found = [np.flatnonzero((x_train == examples[k, class_idx]).all(axis=(1, 2, 3)))
                 for k in (0, 1)]
        assert all(y_train[f[0]] == class_idx for f in found) and found[0][0] != found[1][0]
    ours, ref = _both(embedding_model)
    _same_summary(ours, ref)
    _same_weights(ours, ref, seed=3)
    x_test, _ = _ml_data(20, seed=8)
    embeddings = [m.predict(x_test, verbose=0) for m in (ours, ref)]
    _close(embeddings[0], embeddings[1], rtol=1e-4, atol=1e-6, what="embeddings")
    _close(np.linalg.norm(embeddings[0], axis=-1), np.ones(20), what="unit length")
    near_neighbours_per_example = 3
    neighbours = []
    for e in embeddings:
        gram_matrix = np.einsum("ae,be->ab", e, e)
        neighbours.append(np.argsort(gram_matrix.T)[:, -(near_neighbours_per_example + 1):])
    np.testing.assert_array_equal(neighbours[0], neighbours[1])


def _keras_pair_steps(ref, batches):
    """Keras's step of the example's train_step (its tf.GradientTape, TensorFlow only: the same
    loss of both forwards differentiated by jax) on each batch, with the model's optimizer."""
    import jax
    keras = _libs()[1]
    loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def loss_fn(trainable, non_trainable, anchors, positives):
        a, non_trainable = ref.stateless_call(trainable, non_trainable, anchors, training=True)
        p, non_trainable = ref.stateless_call(trainable, non_trainable, positives, training=True)
        similarities = keras.ops.einsum("ae,pe->ap", a, p) / 0.2
        return loss_object(keras.ops.arange(ML_CLASSES), similarities)
    losses = []
    for batch in batches:
        trainable = [v.value for v in ref.trainable_variables]
        non_trainable = [v.value for v in ref.non_trainable_variables]
        loss, grads = jax.value_and_grad(loss_fn)(trainable, non_trainable, batch[0], batch[1])
        ref.optimizer.apply(grads, ref.trainable_variables)
        losses.append(float(loss))
    return losses


@pytest.mark.xfail(strict=True, raises=NotImplementedError, reason=(
    "the example's train_step differentiates a loss of two forward passes of the model joined "
    "by ops (einsum of the anchors' and positives' embeddings): swiftkeras.GradientTape "
    "recognizes only compute_loss of the model's own single call in the block (the library's "
    "training step), and refuses this one at tape.gradient naming that form"))
def test_metric_learning_train_step_of_pairs_trains_as_keras():
    """fit of the Sequence of pairs through the example's train_step: the same weights as
    Keras's steps of that loss on the same batches."""
    sk, keras = _libs()
    x_train, y_train = _ml_data()
    ours, ref = _both(embedding_model)
    _same_weights(ours, ref, seed=4)
    seen = []

    class Recorded(anchor_positive_pairs(sk, x_train, y_train)):
        def __getitem__(self, idx):
            seen.append(super().__getitem__(idx))
            return seen[-1]
    ours.fit(Recorded(num_batches=2), epochs=1, verbose=0)
    _keras_pair_steps(ref, seen)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        _close(a, b, rtol=1e-4, atol=1e-5, what="trained")


# -- examples/keras_recipes/trainer_pattern.py -------------------------------------------------

def trainer_class(keras, steps=True):
    """The example's MyTrainer (keras.GradientTape for tf.GradientTape). `steps=False`: without
    its train_step and test_step, whose TensorFlow signature Keras with JAX cannot call (its
    steps take `(state, data)`)."""
    class MyTrainer(keras.Model):
        def __init__(self, model):
            super().__init__()
            self.model = model
            # Create loss and metrics here.
            self.loss_fn = keras.losses.SparseCategoricalCrossentropy()
            self.accuracy_metric = keras.metrics.SparseCategoricalAccuracy()

        @property
        def metrics(self):
            # List metrics here.
            return [self.accuracy_metric]

        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                y_pred = self.model(x, training=True)  # Forward pass
                # Compute loss value
                loss = self.loss_fn(y, y_pred)

            # Compute gradients
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)

            # Update weights
            self.optimizer.apply_gradients(zip(gradients, trainable_vars))

            # Update metrics
            for metric in self.metrics:
                metric.update_state(y, y_pred)

            # Return a dict mapping metric names to current value.
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y = data

            # Inference step
            y_pred = self.model(x, training=False)

            # Update metrics
            for metric in self.metrics:
                metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def call(self, x):
            # Equivalent to `call()` of the wrapped keras.Model
            x = self.model(x)
            return x
    if not steps:
        del MyTrainer.train_step, MyTrainer.test_step
    return MyTrainer


def trainers(keras, layers, ops, steps=True, rates=(0.2, 0.4)):
    """The example's two models (Dropout rates `rates`), each wrapped by MyTrainer."""
    # A model defined using Sequential API
    model_a = keras.models.Sequential(
        [
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(rates[0]),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )

    # A model defined using Functional API
    func_input = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Flatten()(func_input)
    x = keras.layers.Dense(512, activation="relu")(x)
    x = keras.layers.Dropout(rates[1])(x)
    func_output = keras.layers.Dense(10, activation="softmax")(x)

    model_b = keras.Model(func_input, func_output)
    cls = trainer_class(keras, steps)
    return cls(model_a), cls(model_b)


def _mnist(n, seed):
    """MNIST's shapes: uint8 images standardized as the example does (x / 255.0), labels."""
    rng = np.random.RandomState(seed)
    return rng.randint(0, 256, size=(n, 28, 28)) / 255.0, rng.randint(0, 10, size=n)


def test_trainers_predict_evaluate_and_list_weights_as_keras(narrow_terminal):  # noqa: F811
    """Each trainer's call is its model's: the same summary, weights (paths: the Sequential
    built by the trainer's call under its name, the functional model's as made) and, from the
    same weights, predictions as Keras's (the functional model's Input of shape (28, 28, 1)
    fed (28, 28) images, as the example does); evaluate runs the example's test_step with the
    trainer's own metric (its `metrics` property), whose result is Keras's accuracy of those
    predictions (Keras with JAX cannot call a test_step of TensorFlow's signature)."""
    sk, keras = _libs()
    x_test, y_test = _mnist(24, 1)
    ours, ref = trainers(*fresh_library(sk)), trainers(*fresh_library(keras), steps=False)
    for trainer, reference, optimizer in zip(ours, ref, ("SGD", "Adam")):
        for t, lib in ((trainer, sk), (reference, keras)):
            t.compile(optimizer=getattr(lib.optimizers, optimizer)())
            t(x_test[:2])
        _same_summary(trainer, reference)
        assert [v.path for v in trainer.weights] == [v.path for v in reference.weights]
        _same_weights(trainer, reference, seed=5)
        predicted = [t.predict(x_test, verbose=0) for t in (trainer, reference)]
        _close(predicted[0], predicted[1], rtol=1e-4, atol=1e-6, what="predict")
        accuracy = keras.metrics.SparseCategoricalAccuracy()
        accuracy.update_state(y_test, predicted[1])
        logs = trainer.evaluate(x_test, y_test, batch_size=8, return_dict=True, verbose=0)
        assert list(logs) == ["sparse_categorical_accuracy"] == trainer.metrics_names
        _close(logs["sparse_categorical_accuracy"], accuracy.result(), what="evaluate")


@pytest.mark.xfail(strict=True, raises=NotImplementedError, reason=(
    "the trainer's train_step differentiates the value of its own Loss object (self.loss_fn) "
    "of its wrapped model's call: swiftkeras.GradientTape recognizes only compute_loss of the "
    "model's own call (the library's training step on the compiled loss), and refuses this "
    "loss at tape.gradient naming that form"))
def test_trainers_fit_with_their_train_step_as_keras():
    """fit through the example's train_step (Dropout rate 0): the same weights as Keras's
    default step on the trainer's loss, and the trainer's accuracy metric in the logs."""
    x_train, y_train = _mnist(32, 2)
    x_test, y_test = _mnist(16, 3)
    sk, keras = _libs()
    ours = trainers(*fresh_library(sk), rates=(0.0, 0.0))
    ref = trainers(*fresh_library(keras), steps=False, rates=(0.0, 0.0))
    for trainer, reference, optimizer in zip(ours, ref, ("SGD", "Adam")):
        trainer.compile(optimizer=getattr(sk.optimizers, optimizer)())
        reference.compile(optimizer=getattr(keras.optimizers, optimizer)(),
                          loss=keras.losses.SparseCategoricalCrossentropy(),
                          metrics=[keras.metrics.SparseCategoricalAccuracy()])
        for t in (trainer, reference):
            t(x_train[:2])
        _same_weights(trainer, reference, seed=6)
        history = trainer.fit(x_train, y_train, epochs=2, batch_size=8, shuffle=False,
                              validation_data=(x_test, y_test), verbose=0).history
        expected = reference.fit(x_train, y_train, epochs=2, batch_size=8, shuffle=False,
                                 validation_data=(x_test, y_test), verbose=0).history
        for key in ("sparse_categorical_accuracy", "val_sparse_categorical_accuracy"):
            _close(history[key], expected[key], what=key)
        for a, b in zip(trainer.get_weights(), reference.get_weights()):
            _close(a, b, rtol=1e-4, atol=1e-5, what="trained")


# -- examples/timeseries/eeg_bci_ssvepformer.py ------------------------------------------------

def ssvepformer_classes(keras, layers):
    """The example's layers, as it writes them (constructors without **kwargs, Keras's
    "cross-framework custom component fashion")."""
    class ComplexSpectrum(keras.layers.Layer):
        def __init__(self, nfft=512, fft_start=8, fft_end=64):
            super().__init__()
            self.nfft = nfft
            self.fft_start = fft_start
            self.fft_end = fft_end

        def call(self, x):
            samples = x.shape[-1]
            x = keras.ops.rfft(x, fft_length=self.nfft)
            real = x[0] / samples
            imag = x[1] / samples
            real = real[:, :, self.fft_start : self.fft_end]
            imag = imag[:, :, self.fft_start : self.fft_end]
            x = keras.ops.concatenate((real, imag), axis=-1)
            return x

    class ChannelComb(keras.layers.Layer):
        def __init__(self, n_channels, drop_rate=0.5):
            super().__init__()
            self.conv = layers.Conv1D(
                2 * n_channels,
                1,
                padding="same",
                kernel_initializer=keras.initializers.RandomNormal(
                    mean=0.0, stddev=0.01, seed=None
                ),
            )
            self.normalization = layers.LayerNormalization()
            self.activation = layers.Activation(activation="gelu")
            self.drop = layers.Dropout(drop_rate)

        def call(self, x):
            x = self.conv(x)
            x = self.normalization(x)
            x = self.activation(x)
            x = self.drop(x)
            return x

    class ConvAttention(keras.layers.Layer):
        def __init__(self, n_channels, drop_rate=0.5):
            super().__init__()
            self.norm = layers.LayerNormalization()
            self.conv = layers.Conv1D(
                2 * n_channels,
                31,
                padding="same",
                kernel_initializer=keras.initializers.RandomNormal(
                    mean=0.0, stddev=0.01, seed=None
                ),
            )
            self.activation = layers.Activation(activation="gelu")
            self.drop = layers.Dropout(drop_rate)

        def call(self, x):
            input = x
            x = self.norm(x)
            x = self.conv(x)
            x = self.activation(x)
            x = self.drop(x)
            x = x + input
            return x

    class ChannelMLP(keras.layers.Layer):
        def __init__(self, n_features, drop_rate=0.5):
            super().__init__()
            self.norm = layers.LayerNormalization()
            self.mlp = layers.Dense(
                2 * n_features,
                kernel_initializer=keras.initializers.RandomNormal(
                    mean=0.0, stddev=0.01, seed=None
                ),
            )
            self.activation = layers.Activation(activation="gelu")
            self.drop = layers.Dropout(drop_rate)
            self.cat = layers.Concatenate(axis=1)

        def call(self, x):
            input = x
            channels = x.shape[1]  # x shape : NCF
            x = self.norm(x)
            output_channels = []
            for i in range(channels):
                c = self.mlp(x[:, :, i])
                c = layers.Reshape([1, -1])(c)
                output_channels.append(c)
            x = self.cat(output_channels)
            x = self.activation(x)
            x = self.drop(x)
            x = x + input
            return x

    class Encoder(keras.layers.Layer):
        def __init__(self, n_channels, n_features, drop_rate=0.5):
            super().__init__()
            self.attention1 = ConvAttention(n_channels, drop_rate=drop_rate)
            self.mlp1 = ChannelMLP(n_features, drop_rate=drop_rate)
            self.attention2 = ConvAttention(n_channels, drop_rate=drop_rate)
            self.mlp2 = ChannelMLP(n_features, drop_rate=drop_rate)

        def call(self, x):
            x = self.attention1(x)
            x = self.mlp1(x)
            x = self.attention2(x)
            x = self.mlp2(x)
            return x

    class MlpHead(keras.layers.Layer):
        def __init__(self, n_classes, drop_rate=0.5):
            super().__init__()
            self.flatten = layers.Flatten()
            self.drop = layers.Dropout(drop_rate)
            self.linear1 = layers.Dense(
                6 * n_classes,
                kernel_initializer=keras.initializers.RandomNormal(
                    mean=0.0, stddev=0.01, seed=None
                ),
            )
            self.norm = layers.LayerNormalization()
            self.activation = layers.Activation(activation="gelu")
            self.drop2 = layers.Dropout(drop_rate)
            self.linear2 = layers.Dense(
                n_classes,
                kernel_initializer=keras.initializers.RandomNormal(
                    mean=0.0, stddev=0.01, seed=None
                ),
            )

        def call(self, x):
            x = self.flatten(x)
            x = self.drop(x)
            x = self.linear1(x)
            x = self.norm(x)
            x = self.activation(x)
            x = self.drop2(x)
            x = self.linear2(x)
            return x
    return ComplexSpectrum, ChannelComb, ConvAttention, ChannelMLP, Encoder, MlpHead


# The example's sizes, smaller: 4 electrodes, 1 s at 64 Hz, a 0.5 Hz resolution (nfft 128) of
# the 8-16 Hz band (17 frequencies, real and imaginary parts), its 12 classes.
SSVEP = dict(input_shape=(4, 64), fs=64, resolution=0.5, fq_band=[8, 16], n_channels=4,
             n_classes=12)


def ssvepformer(keras, layers, ops, drop_rate=0.5, blocks=None, input_shape=None, fs=None,
                resolution=None, fq_band=None, n_channels=None, n_classes=None):
    """The example's `create_ssvepformer`. `blocks`: which of its blocks the Sequential holds
    (all: the example's model)."""
    ComplexSpectrum, ChannelComb, ConvAttention, _, Encoder, MlpHead = ssvepformer_classes(keras, layers)
    nfft = round(fs / resolution)
    fft_start = int(fq_band[0] / resolution)
    fft_end = int(fq_band[1] / resolution) + 1
    n_features = fft_end - fft_start
    made = {
        "spectrum": lambda: ComplexSpectrum(nfft, fft_start, fft_end),
        "comb": lambda: ChannelComb(n_channels=n_channels, drop_rate=drop_rate),
        "attention": lambda: ConvAttention(n_channels, drop_rate=drop_rate),
        "encoder": lambda: Encoder(n_channels=n_channels, n_features=n_features, drop_rate=drop_rate),
        "head": lambda: MlpHead(n_classes=n_classes, drop_rate=drop_rate),
        "softmax": lambda: layers.Activation(activation="softmax"),
    }
    blocks = blocks or ("spectrum", "comb", "encoder", "encoder", "head", "softmax")
    model = keras.Sequential([keras.Input(shape=input_shape)] + [made[b]() for b in blocks])
    return model


@pytest.fixture
def channels_first():
    """The example's `K.set_image_data_format("channels_first")`, in both libraries, for the
    test (the Conv1D layers then convolve along the frequencies, the electrodes their channels)."""
    sk, keras = _libs()
    kept = [lib.backend.image_data_format() for lib in (sk, keras)]
    for lib in (sk, keras):
        lib.backend.set_image_data_format("channels_first")
    yield
    for lib, value in zip((sk, keras), kept):
        lib.backend.set_image_data_format(value)


def _eeg(n, seed):
    """Filtered EEG trials (trials x channels x samples) and their labels 0..11."""
    rng = np.random.RandomState(seed)
    return rng.normal(scale=2.0, size=(n,) + SSVEP["input_shape"]).astype("float32"), \
        rng.randint(0, 12, size=n)


def test_ssvepformer_blocks_summary_predict_and_fit_as_keras(channels_first, narrow_terminal):  # noqa: F811
    """The example's blocks but its ChannelMLP (see the xfail below) in its Sequential, channels
    first: the complex spectrum of `ops.rfft` (its real and imaginary parts sliced to the band
    and concatenated), the electrode-combining Conv1D, the kernel-31 ConvAttention with its
    residual sum and the MLP head, with the example's SGD (momentum 0.9, weight decay 1e-3,
    `jit_compile=True`): the same summary, predictions (Dropout 0.5 at inference) and fit
    (Dropout 0) as Keras's from the same weights."""
    blocks = ("spectrum", "comb", "attention", "attention", "head", "softmax")
    x, y = _eeg(24, 0)
    x_val, y_val = _eeg(8, 1)
    ours, ref = _both(ssvepformer, blocks=blocks, **SSVEP)
    _same_summary(ours, ref)
    _same_weights(ours, ref, seed=7)
    _close(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, atol=1e-6,
           what="predict")
    ours, ref = _both(ssvepformer, drop_rate=0.0, blocks=blocks, **SSVEP)
    _same_weights(ours, ref, seed=8)
    for model, lib in zip((ours, ref), _libs()):
        sgd = lib.optimizers.SGD(learning_rate=0.01, momentum=0.9, weight_decay=0.001)
        model.compile(loss="sparse_categorical_crossentropy", optimizer=sgd, metrics=["accuracy"],
                      jit_compile=True)
    _fits_alike(ours, ref, x, y, epochs=2, batch_size=8, validation_data=(x_val, y_val))


@pytest.mark.xfail(strict=True, raises=ValueError, reason=(
    "the example's ChannelMLP.call makes a layer in its call (`layers.Reshape([1, -1])(c)` per "
    "electrode), which Keras does not track (it has no weights): the library traces a Python "
    "layer's call with the layers its attributes hold only, and refuses this one naming the "
    "attribute it wants (TraceError)"))
def test_ssvepformer_summary_and_predict_as_keras(channels_first, narrow_terminal):  # noqa: F811
    """The example's whole model (its two Encoders of ConvAttention and ChannelMLP blocks): the
    same summary and predictions as Keras's from the same weights."""
    x, _ = _eeg(8, 2)
    ours, ref = _both(ssvepformer, **SSVEP)
    _same_summary(ours, ref)
    _same_weights(ours, ref, seed=9)
    _close(ours.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, atol=1e-6,
           what="predict")


# -- examples/audio/stft.py --------------------------------------------------------------------

# The example's 16 kHz clips of 5 s, here 1.6 kHz of 2.5 s (its 40 ms frames every 15 ms: 64
# samples every 24, 164 frames), 5 classes of its 50; its layer widths divided by 8.
STFT = dict(sample_rate=1600, num_classes=5, samples=4000, width=1)


def stft_models(keras, layers, ops, dropout=0.5, fft_length=256):
    """The example's model1d (a non-trainable log STFTSpectrogram on clips of any length, a VGG-
    like Conv1D stack) and model2d's front end (three trainable STFTSpectrograms of 30, 40 and
    50 ms frames, `expand_dims`, "same" padding, concatenated as an image's channels), its
    MobileNet(include_top=False, pooling="max") of ImageNet weights a GlobalMaxPooling2D here."""
    SAMPLE_RATE, NUM_CLASSES, w = STFT["sample_rate"], STFT["num_classes"], STFT["width"]
    model1d = keras.Sequential(
        [
            layers.InputLayer((None, 1)),
            layers.STFTSpectrogram(
                mode="log",
                frame_length=SAMPLE_RATE * 40 // 1000,
                frame_step=SAMPLE_RATE * 15 // 1000,
                trainable=False,
            ),
            layers.Conv1D(8 * w, 64, activation="relu"),
            layers.Conv1D(16 * w, 16, activation="relu"),
            layers.LayerNormalization(),
            layers.MaxPooling1D(4),
            layers.Conv1D(16 * w, 8, activation="relu"),
            layers.Conv1D(32 * w, 8, activation="relu"),
            layers.Conv1D(64 * w, 4, activation="relu"),
            layers.LayerNormalization(),
            layers.Dropout(dropout),
            layers.GlobalMaxPooling1D(),
            layers.Dense(32 * w, activation="relu"),
            layers.Dense(32 * w, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(NUM_CLASSES, activation="softmax"),
        ],
        name="model_1d_non_trainble_stft",
    )
    input = layers.Input((None, 1))
    spectrograms = [
        layers.STFTSpectrogram(
            mode="log",
            frame_length=SAMPLE_RATE * frame_size // 1000,
            frame_step=SAMPLE_RATE * 15 // 1000,
            fft_length=fft_length,
            padding="same",
            expand_dims=True,
        )(input)
        for frame_size in [30, 40, 50]
    ]
    multi_spectrograms = layers.Concatenate(axis=-1)(spectrograms)
    output = layers.GlobalMaxPooling2D()(multi_spectrograms)
    output = layers.Dense(NUM_CLASSES, activation="softmax")(output)
    model2d = keras.Model(input, output, name="model_2d_trainble_stft")
    return model1d, model2d


def _clips(n, seed):
    rng = np.random.RandomState(seed)
    return rng.normal(scale=0.1, size=(n, STFT["samples"], 1)).astype("float32"), \
        rng.randint(0, STFT["num_classes"], size=n)


def _stft_run(lib, folder=None):
    """One library's run of the example from drawn weights (the spectrograms' DFT kernels as
    made, Dropout 0 for the fit): model1d's predictions, its fit with EarlyStopping(patience =
    epochs, restore_best_weights) on val_loss, the weights after it (their sums and sums of
    squares) and their predictions, evaluate; model2d's predictions. Real Keras's is a fixture written by scripts/make_keras_reference_fixtures.py
    (`stft_fit`: Keras compiles these convolutions for seconds)."""
    model1d, model2d = stft_models(*fresh_library(lib), dropout=0.0)
    rng = np.random.default_rng(11)
    for model in (model1d, model2d):
        model.set_weights([w if "kernel" in v.path.rsplit("/", 1)[-1] and "stft" in v.path
                           else rng.normal(scale=0.1, size=np.shape(w)).astype("float32")
                           for w, v in zip(model.get_weights(), model.weights)])
    x, y = _clips(16, 0)
    x_val, y_val = _clips(8, 1)
    run = {"predict": [model1d.predict(x[:4], verbose=0)],
           "predict2d": [model2d.predict(x[:4], verbose=0)]}
    model1d.compile(optimizer=lib.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
    EPOCHS = 3
    history = model1d.fit(
        x, y, batch_size=8, validation_data=(x_val, y_val), epochs=EPOCHS, verbose=0,
        callbacks=[lib.callbacks.EarlyStopping(monitor="val_loss", patience=EPOCHS,
                                               restore_best_weights=True)]).history
    run.update({key: [np.asarray(values, np.float32)] for key, values in history.items()})
    # (the trained weights by their sums and sums of squares, and what they predict: the
    # fixture stays small)
    run["trained"] = [np.array([np.sum(w), np.sum(np.square(w))], np.float32)
                      for w in model1d.get_weights()]
    run["predict_trained"] = [model1d.predict(x[:4], verbose=0)]
    run["evaluate"] = [np.asarray(model1d.evaluate(x_val, y_val, verbose=0), np.float32)]
    return run


def test_stft_models_summaries_and_model1d_fit_as_keras(narrow_terminal):  # noqa: F811
    """model1d's and model2d's summaries (the non-trainable STFTSpectrogram's weights counted as
    such) as Keras's; from the same weights, model1d's predictions on clips of the example's
    length, its fit with validation data and EarlyStopping restoring the best weights, evaluate,
    and model2d's predictions through its three trainable spectrograms (`_stft_run`; Keras's
    numbers a fixture)."""
    import swiftkeras
    ours_models, ref_models = _both(stft_models)
    for model, ref in zip(ours_models, ref_models):
        _same_summary(model, ref)
        assert len(model.trainable_weights) == len(ref.trainable_weights)
    ours, keras = _stft_run(swiftkeras), keras_reference("models", "keras_stft_fit.json")
    assert sorted(ours) == sorted(keras) == sorted(
        ["predict", "predict2d", "accuracy", "loss", "val_accuracy", "val_loss", "trained",
         "predict_trained", "evaluate"])
    for key in keras:
        for a, b in zip(ours[key], keras[key]):
            _close(a, b, rtol=1e-4, atol=2e-5, what=key)
