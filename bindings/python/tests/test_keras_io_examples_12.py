"""keras.io examples as the test (a twelfth set): each example's model code as the tutorial
writes it (Keras 3 versions, `keras.ops` where the example writes `tf.*`; only the import
differs), on small synthetic data of the example's shapes and dtypes, run on swiftkeras and on
real Keras 3 (JAX backend): the same summary and parameter count, the same predictions and fit
from the same weights, and `.keras` files loaded both ways where the example saves or the test
runs Keras live (Keras's fits of the recurrent CTC models are fixtures written by
scripts/make_keras_reference_fixtures.py: `_asr_run`, `_handwriting_run`).

Sources (keras-team/keras-io):
examples/audio/ctc_asr.py
(https://keras.io/examples/audio/ctc_asr/: the DeepSpeech2-like model on spectrograms of any
length, Reshape to a 2D image, strided Conv2D with BatchNormalization and ReLU, Reshape back to
time steps by `x.shape`, Bidirectional GRU(reset_after=True) layers, compiled with the
example's CTCLoss function, which builds the label and input lengths from `ops.shape` of
`y_true` and `y_pred` times `ops.ones`: traced as a loss function with both lengths unknown;
`keras.backend.ctc_batch_cost` is TensorFlow only, so its Keras 3 equivalent, `ops.ctc_loss` on
the log-probabilities with the last class the blank, is used; the spectrograms tf.signal.stft
makes from LJSpeech are random magnitudes here),
examples/vision/handwriting_recognition.py
(https://keras.io/examples/vision/handwriting_recognition/: the CNN-RNN recognizer with the
CTCLayer endpoint over a label Input of `shape=(None,)`, labels padded with the example's
padding token 99, which Keras's `ops.ctc_loss` takes as a label of no class (log-probability 0,
as jax's one-hot), the prediction model cut at `dense2` and greedy `ops.ctc_decode`; its
distortion-free resize runs in tf.data: the images are random of the resized shape),
examples/rl/ddpg_pendulum.py
(https://keras.io/examples/rl/ddpg_pendulum/: the actor, its tanh output scaled by the bound
with a RandomUniform(-0.003, 0.003) last kernel, the two-input critic joined by Concatenate,
the target networks given the models' weights, and `update_target`'s `a.assign(b * tau + a *
(1 - tau))` over `model.variables`; the example's networks hold BatchNormalization in an older
version, not in its Keras 3 one; its updates take tf.GradientTape: the critic's is run as the
same mse on its Q-targets by train_on_batch, the actor's is not; the gym Pendulum is random
transitions of its shapes),
examples/nlp/multi_label_classification.py
(https://keras.io/examples/nlp/multi_label_classification/: the shallow MLP of sigmoid outputs
on TF-IDF features, binary_crossentropy with binary_accuracy, validation and evaluation; its
TextVectorization and StringLookup(output_mode="multi_hot") need TensorFlow in Keras 3: the
features and multi-hot labels are the data).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import numpy as np
import pytest

from conftest import needs, CORE, keras_reference
from test_keras_io_examples_3 import _both, _close, _drawn_weights, _fits_alike, _loads_both_ways, _same_weights
from test_keras_io_examples_8 import _same_summary
from test_keras_io_guides_3 import narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


def ctc_batch_cost(keras, ops):
    """`keras.backend.ctc_batch_cost` (TensorFlow only) in Keras 3: the CTC loss of softmax
    outputs, its blank their last class, as a (batch, 1) column."""
    def ctc_batch_cost(y_true, y_pred, input_length, label_length):
        label_length = ops.cast(ops.squeeze(label_length, axis=-1), dtype="int32")
        input_length = ops.cast(ops.squeeze(input_length, axis=-1), dtype="int32")
        y_pred = ops.log(y_pred + keras.backend.epsilon())
        return ops.expand_dims(
            ops.ctc_loss(ops.cast(y_true, "int32"), y_pred, label_length, input_length,
                         mask_index=ops.shape(y_pred)[-1] - 1),
            1,
        )
    return ctc_batch_cost


# -- examples/audio/ctc_asr.py -----------------------------------------------------------------

ASR = dict(input_dim=17, vocabulary=6, rnn_units=8, filters=4)


def asr_model(keras, layers, ops, dropout=0.5):
    ctc_loss = ctc_batch_cost(keras, ops)

    def CTCLoss(y_true, y_pred):
        # Compute the training-time loss value
        batch_len = ops.shape(y_true)[0]
        input_length = ops.shape(y_pred)[1]
        label_length = ops.shape(y_true)[1]

        input_length = input_length * ops.ones(shape=(batch_len, 1), dtype="int64")
        label_length = label_length * ops.ones(shape=(batch_len, 1), dtype="int64")

        loss = ctc_loss(y_true, y_pred, input_length, label_length)
        return loss

    def build_model(input_dim, output_dim, rnn_layers=5, rnn_units=128):
        """Model similar to DeepSpeech2."""
        # Model's input
        input_spectrogram = layers.Input((None, input_dim), name="input")
        # Expand the dimension to use 2D CNN.
        x = layers.Reshape((-1, input_dim, 1), name="expand_dim")(input_spectrogram)
        # Convolution layer 1
        x = layers.Conv2D(
            filters=ASR["filters"],
            kernel_size=[11, 41],
            strides=[2, 2],
            padding="same",
            use_bias=False,
            name="conv_1",
        )(x)
        x = layers.BatchNormalization(name="conv_1_bn")(x)
        x = layers.ReLU(name="conv_1_relu")(x)
        # Convolution layer 2
        x = layers.Conv2D(
            filters=ASR["filters"],
            kernel_size=[11, 21],
            strides=[1, 2],
            padding="same",
            use_bias=False,
            name="conv_2",
        )(x)
        x = layers.BatchNormalization(name="conv_2_bn")(x)
        x = layers.ReLU(name="conv_2_relu")(x)
        # Reshape the resulted volume to feed the RNNs layers
        x = layers.Reshape((-1, x.shape[-2] * x.shape[-1]))(x)
        # RNN layers
        for i in range(1, rnn_layers + 1):
            recurrent = layers.GRU(
                units=rnn_units,
                activation="tanh",
                recurrent_activation="sigmoid",
                use_bias=True,
                return_sequences=True,
                reset_after=True,
                name=f"gru_{i}",
            )
            x = layers.Bidirectional(
                recurrent, name=f"bidirectional_{i}", merge_mode="concat"
            )(x)
            if i < rnn_layers:
                x = layers.Dropout(rate=dropout)(x)
        # Dense layer
        x = layers.Dense(units=rnn_units * 2, name="dense_1")(x)
        x = layers.ReLU(name="dense_1_relu")(x)
        x = layers.Dropout(rate=dropout)(x)
        # Classification layer
        output = layers.Dense(units=output_dim + 1, activation="softmax")(x)
        # Model
        model = keras.Model(input_spectrogram, output, name="DeepSpeech_2")
        # Optimizer
        opt = keras.optimizers.Adam(learning_rate=1e-4)
        # Compile the model and return
        model.compile(optimizer=opt, loss=CTCLoss)
        return model

    return build_model(input_dim=ASR["input_dim"], output_dim=ASR["vocabulary"], rnn_layers=2,
                       rnn_units=ASR["rnn_units"])


def _spectrograms(seed, count, frames, labels):
    """|stft| magnitudes of `frames` frames and transcripts of `labels` characters as
    char_to_num's indices (1 onwards; 0 is its out-of-vocabulary index)."""
    rng = np.random.default_rng(seed)
    x = np.abs(rng.normal(size=(count, frames, ASR["input_dim"]))).astype("float32")
    y = rng.integers(1, ASR["vocabulary"], size=(count, labels)).astype("float32")
    return x, y


def _asr_run(lib, folder=None):
    """One library's run of the speech recognizer from drawn weights (dropout off): its softmax
    outputs on spectrograms of two lengths, the CTC loss evaluated, the fit's history with
    validation and the greedy decoding of the fitted model's predictions. Real Keras's is a
    fixture written by scripts/make_keras_reference_fixtures.py (Keras compiles the GRUs' fit
    for a minute of CPU)."""
    from conftest import fresh_library
    model = asr_model(*fresh_library(lib), dropout=0.0)
    model.set_weights(_drawn_weights(model, seed=21, scale=0.3))
    run = {f"predict_{frames}": [model.predict(_spectrograms(22, 4, frames, 3)[0], verbose=0)]
           for frames in (12, 20)}
    x, y = _spectrograms(23, 16, 16, 3)
    valid = _spectrograms(24, 8, 16, 3)
    run["evaluate"] = [np.float32(model.evaluate(x, y, verbose=0))]
    history = model.fit(x, y, epochs=2, batch_size=8, validation_data=valid, shuffle=False,
                        verbose=0).history
    run.update({key: [np.asarray(values, np.float32)] for key, values in history.items()})
    preds = model.predict(valid[0], verbose=0)
    input_len = np.ones(preds.shape[0]) * preds.shape[1]
    # (keras.backend.ctc_decode's blank is the last class: mask_index=None)
    run["decoded"] = [np.asarray(lib.ops.ctc_decode(preds, sequence_lengths=input_len,
                                                    strategy="greedy", mask_index=None)[0][0])]
    return run


def test_ctc_asr_deepspeech2_with_a_ctc_loss_function(narrow_terminal):
    """keras.io's speech recognizer: Keras's summary; from the same weights the same softmax
    outputs on spectrograms of two lengths; the CTC loss function compiled as the model's loss
    (label and input lengths from `ops.shape` of tensors whose time steps and label count are
    unknown until a batch comes) evaluates and fits as Keras's, and the fitted model's greedy
    decoding is Keras's (`_asr_run`; Keras's numbers a fixture)."""
    import swiftkeras
    model, ref = _both(asr_model, dropout=0.0)
    _same_summary(model, ref)
    ours, keras = _asr_run(swiftkeras), keras_reference("models", "keras_ctc_asr_fit.json")
    assert sorted(ours) == sorted(keras)
    for key in keras:
        if key == "decoded":
            np.testing.assert_array_equal(ours[key][0], keras[key][0])
        else:
            _close(ours[key], keras[key], rtol=1e-4, atol=1e-6, what=key)
    assert ours["loss"][0][-1] < ours["loss"][0][0]


# -- examples/vision/handwriting_recognition.py ------------------------------------------------

HANDWRITING = dict(image_width=32, image_height=8, characters=list("abcdef"), max_len=5,
                   padding_token=99)


def handwriting_model(keras, layers, ops, dropout=0.2, lstm_dropout=0.25):
    image_width, image_height = HANDWRITING["image_width"], HANDWRITING["image_height"]
    vocabulary = ["[UNK]"] + HANDWRITING["characters"]   # char_to_num.get_vocabulary()

    class CTCLayer(keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = ctc_batch_cost(keras, ops)

        def call(self, y_true, y_pred):
            # (the example casts these sizes to int64 tensors; Keras with JAX cannot make the
            # shape of ops.ones from traced sizes, so they stay Python's where they are known)
            batch_len = ops.shape(y_true)[0]
            input_length = ops.shape(y_pred)[1]
            label_length = ops.shape(y_true)[1]

            input_length = input_length * ops.ones(shape=(batch_len, 1), dtype="int64")
            label_length = label_length * ops.ones(shape=(batch_len, 1), dtype="int64")
            loss = self.loss_fn(y_true, y_pred, input_length, label_length)
            self.add_loss(loss)

            # At test time, just return the computed predictions.
            return y_pred

    def build_model():
        # Inputs to the model
        input_img = keras.Input(shape=(image_width, image_height, 1), name="image")
        labels = keras.layers.Input(name="label", shape=(None,))

        # First conv block.
        x = keras.layers.Conv2D(
            4,
            (3, 3),
            activation="relu",
            kernel_initializer="he_normal",
            padding="same",
            name="Conv1",
        )(input_img)
        x = keras.layers.MaxPooling2D((2, 2), name="pool1")(x)

        # Second conv block.
        x = keras.layers.Conv2D(
            8,
            (3, 3),
            activation="relu",
            kernel_initializer="he_normal",
            padding="same",
            name="Conv2",
        )(x)
        x = keras.layers.MaxPooling2D((2, 2), name="pool2")(x)

        # We have used two max pool with pool size and strides 2.
        # Hence, downsampled feature maps are 4x smaller. The number of
        # filters in the last layer is 8. Reshape accordingly before
        # passing the output to the RNN part of the model.
        new_shape = ((image_width // 4), (image_height // 4) * 8)
        x = keras.layers.Reshape(target_shape=new_shape, name="reshape")(x)
        x = keras.layers.Dense(8, activation="relu", name="dense1")(x)
        x = keras.layers.Dropout(dropout)(x)

        # RNNs.
        x = keras.layers.Bidirectional(
            keras.layers.LSTM(8, return_sequences=True, dropout=lstm_dropout)
        )(x)
        x = keras.layers.Bidirectional(
            keras.layers.LSTM(6, return_sequences=True, dropout=lstm_dropout)
        )(x)

        # +2 is to account for the two special tokens introduced by the CTC loss.
        # The recommendation comes here: https://git.io/J0eXP.
        x = keras.layers.Dense(
            len(vocabulary) + 2, activation="softmax", name="dense2"
        )(x)

        # Add CTC layer for calculating CTC loss at each step.
        output = CTCLayer(name="ctc_loss")(labels, x)

        # Define the model.
        model = keras.models.Model(
            inputs=[input_img, labels], outputs=output, name="handwriting_recognizer"
        )
        # Optimizer.
        opt = keras.optimizers.Adam()
        # Compile the model and return.
        model.compile(optimizer=opt)
        return model

    return build_model(), CTCLayer


def _handwriting_batches(count, seed, max_len=HANDWRITING["max_len"]):
    """{"image", "label"} as the example's tf.data map makes them: resized grayscale images in
    [0, 1], transposed and flipped so that time runs along the width, and each word's characters
    as char_to_num's indices padded to `max_len` with the padding token."""
    rng = np.random.default_rng(seed)
    images = rng.random((count, HANDWRITING["image_width"], HANDWRITING["image_height"], 1))
    labels = np.full((count, max_len), HANDWRITING["padding_token"], "float32")
    for row, length in zip(labels, rng.integers(1, max_len + 1, size=count)):
        row[:length] = rng.integers(1, len(HANDWRITING["characters"]) + 1, size=length)
    return {"image": images.astype("float32"), "label": labels}


def _handwriting_run(lib, folder=None):
    """One library's run of the handwriting recognizer from drawn weights (dropout off): the
    CTC loss its endpoint layer adds for padded labels of two lengths, the fit's history with
    validation, and the prediction model's outputs and greedy decoding. Real Keras's is a
    fixture written by scripts/make_keras_reference_fixtures.py (Keras compiles the LSTMs' fit
    for most of a minute of CPU)."""
    from conftest import fresh_library
    model = handwriting_model(*fresh_library(lib), dropout=0.0, lstm_dropout=0.0)[0]
    model.set_weights(_drawn_weights(model, seed=31, scale=0.3))
    run = {f"evaluate_{max_len}": [np.float32(model.evaluate(
        _handwriting_batches(8, seed=32, max_len=max_len), verbose=0))]
        for max_len in (3, HANDWRITING["max_len"])}
    train, valid = _handwriting_batches(16, seed=33), _handwriting_batches(8, seed=34)
    history = model.fit(train, validation_data=valid, epochs=2, batch_size=8, shuffle=False,
                        verbose=0).history
    run.update({key: [np.asarray(values, np.float32)] for key, values in history.items()})
    # (the example's `get_layer(name="image").input`: an InputLayer's input is [] in Keras 3,
    # and Model refuses no inputs; its output is the image Input)
    prediction_model = lib.models.Model(
        model.get_layer(name="image").output, model.get_layer(name="dense2").output
    )
    preds = prediction_model.predict(valid["image"], verbose=0)
    input_len = np.ones(preds.shape[0]) * preds.shape[1]
    run["predictions"] = [preds]
    run["decoded"] = [np.asarray(lib.ops.ctc_decode(preds, sequence_lengths=input_len,
                                                    strategy="greedy")[0][0])[:, :HANDWRITING["max_len"]]]
    return run


def test_handwriting_recognizer_with_labels_of_unknown_length(narrow_terminal):
    """keras.io's handwriting recognizer: Keras's summary, and its prediction model's; from the
    same weights the CTC loss its endpoint layer adds over a label Input of unknown length
    (padded words, the padding token a label of no class) is Keras's for labels of two
    lengths, and so are the fit, the prediction model's outputs and their greedy decoding
    (`_handwriting_run`; Keras's numbers a fixture)."""
    import keras
    import swiftkeras
    (model, _), (ref, _) = _both(handwriting_model, dropout=0.0, lstm_dropout=0.0)
    _same_summary(model, ref)
    _same_summary(*[lib.models.Model(m.get_layer(name="image").output, m.get_layer(name="dense2").output)
                    for m, lib in ((model, swiftkeras), (ref, keras))])
    ours, keras = _handwriting_run(swiftkeras), keras_reference("models", "keras_handwriting_fit.json")
    assert sorted(ours) == sorted(keras)
    for key in keras:
        if key == "decoded":
            np.testing.assert_array_equal(ours[key][0], keras[key][0])
        else:
            _close(ours[key], keras[key], rtol=2e-4, atol=1e-5, what=key)


# -- examples/nlp/multi_label_classification.py ------------------------------------------------

MULTI_LABEL = dict(features=40, terms=6)


def multi_label_model(keras, layers, ops):
    def make_model():
        shallow_mlp_model = keras.Sequential(
            [
                layers.Dense(32, activation="relu"),
                layers.Dense(16, activation="relu"),
                layers.Dense(MULTI_LABEL["terms"], activation="sigmoid"),
            ]  # More on why "sigmoid" has been used here in a moment.
        )
        return shallow_mlp_model

    shallow_mlp_model = make_model()
    shallow_mlp_model.compile(
        loss="binary_crossentropy", optimizer="adam", metrics=["binary_accuracy"]
    )
    return shallow_mlp_model


def _abstracts(seed, count):
    """TF-IDF rows (non-negative, mostly zero) and multi-hot subject terms (at least one)."""
    rng = np.random.default_rng(seed)
    x = rng.exponential(size=(count, MULTI_LABEL["features"])) * (rng.random((count, MULTI_LABEL["features"])) < 0.3)
    y = (rng.random((count, MULTI_LABEL["terms"])) < 0.3).astype("float32")
    y[np.arange(count), rng.integers(0, MULTI_LABEL["terms"], size=count)] = 1.0
    return x.astype("float32"), y


def test_multi_label_shallow_mlp_with_binary_accuracy(tmp_path, narrow_terminal):
    """keras.io's multi-label classifier: the Sequential made without an Input, built for the
    TF-IDF rows (Keras's summary); from the same weights, the fit with validation logs Keras's
    loss and binary_accuracy, evaluate gives Keras's numbers, and each library loads the
    other's `.keras` file."""
    model, ref = _both(multi_label_model)
    train, valid, test = _abstracts(41, 32), _abstracts(42, 16), _abstracts(43, 16)
    for m in (model, ref):
        m.build((None, MULTI_LABEL["features"]))
    _same_summary(model, ref)
    _same_weights(model, ref, seed=44, scale=0.3)
    _fits_alike(model, ref, *train, epochs=3, batch_size=8, validation_data=valid)
    _close(model.evaluate(*test, verbose=0), ref.evaluate(*test, verbose=0), rtol=1e-5,
           what="evaluate")
    _loads_both_ways(model, ref, test[0], tmp_path, None, None)


# -- examples/rl/ddpg_pendulum.py ---------------------------------------------------------------

DDPG = dict(num_states=3, num_actions=1, upper_bound=2.0, width=16, gamma=0.99, tau=0.005,
            critic_lr=0.002)


def ddpg_networks(keras, layers, ops, width=DDPG["width"]):
    num_states, num_actions, upper_bound = DDPG["num_states"], DDPG["num_actions"], DDPG["upper_bound"]

    def get_actor():
        # Initialize weights between -3e-3 and 3-e3
        last_init = keras.initializers.RandomUniform(minval=-0.003, maxval=0.003)

        inputs = layers.Input(shape=(num_states,))
        out = layers.Dense(width, activation="relu")(inputs)
        out = layers.Dense(width, activation="relu")(out)
        outputs = layers.Dense(1, activation="tanh", kernel_initializer=last_init)(out)

        # Our upper bound is 2.0 for Pendulum.
        outputs = outputs * upper_bound
        model = keras.Model(inputs, outputs)
        return model

    def get_critic():
        # State as input
        state_input = layers.Input(shape=(num_states,))
        state_out = layers.Dense(16, activation="relu")(state_input)
        state_out = layers.Dense(32, activation="relu")(state_out)

        # Action as input
        action_input = layers.Input(shape=(num_actions,))
        action_out = layers.Dense(32, activation="relu")(action_input)

        # Both are passed through separate layer before concatenating
        concat = layers.Concatenate()([state_out, action_out])

        out = layers.Dense(width, activation="relu")(concat)
        out = layers.Dense(width, activation="relu")(out)
        outputs = layers.Dense(1)(out)

        # Outputs single value for give state-action
        model = keras.Model([state_input, action_input], outputs)

        return model

    actor_model = get_actor()
    critic_model = get_critic()

    target_actor = get_actor()
    target_critic = get_critic()

    # Making the weights equal initially
    target_actor.set_weights(actor_model.get_weights())
    target_critic.set_weights(critic_model.get_weights())
    return actor_model, critic_model, target_actor, target_critic


def _transitions(seed, count):
    """(s, a, r, s') as the example's Buffer samples them: pendulum states (cos, sin, speed),
    actions within the bounds, rewards."""
    rng = np.random.default_rng(seed)
    angle, next_angle = rng.uniform(-np.pi, np.pi, size=(2, count))
    speed = rng.uniform(-8, 8, size=(2, count))
    states = np.stack([np.cos(angle), np.sin(angle), speed[0]], -1).astype("float32")
    next_states = np.stack([np.cos(next_angle), np.sin(next_angle), speed[1]], -1).astype("float32")
    actions = rng.uniform(-DDPG["upper_bound"], DDPG["upper_bound"], size=(count, 1)).astype("float32")
    rewards = -rng.uniform(0, 16, size=(count, 1)).astype("float32")
    return states, actions, rewards, next_states


def _ddpg_run(lib, networks, folder):
    """The example's networks from the same weights: the policy's actions and the critic's
    values, the critic's update on its Q-targets (the mse the example's GradientTape takes, by
    train_on_batch), `update_target`'s soft updates of the target networks' variables, and the
    saved weights files."""
    actor_model, critic_model, target_actor, target_critic = networks
    tau, gamma = DDPG["tau"], DDPG["gamma"]

    # This update target parameters slowly
    # Based on rate `tau`, which is much less than one.
    def update_target(target_weights, weights, tau):
        for (a, b) in zip(target_weights, weights):
            a.assign(b * tau + a * (1 - tau))

    # Convert to tensors
    state_batch, action_batch, reward_batch, next_state_batch = [
        lib.ops.convert_to_tensor(batch) for batch in _transitions(51, 16)]
    run = {"actions": [np.asarray(lib.ops.squeeze(actor_model(state_batch[:1])))],
           "values": [np.asarray(critic_model([state_batch, action_batch]))]}
    critic_model.compile(optimizer=lib.optimizers.Adam(DDPG["critic_lr"]), loss="mse")
    losses = []
    for _ in range(3):
        target_actions = target_actor(next_state_batch)
        y = reward_batch + gamma * np.asarray(target_critic([next_state_batch, target_actions]))
        losses.append(critic_model.train_on_batch([state_batch, action_batch], y))
        update_target(target_actor.variables, actor_model.variables, tau)
        update_target(target_critic.variables, critic_model.variables, tau)
    run["losses"] = [np.asarray(losses, np.float32)]
    run["target_critic"] = target_critic.get_weights()
    # Save the weights
    critic_model.save_weights(f"{folder}/pendulum_critic.weights.h5")
    target_critic.save_weights(f"{folder}/pendulum_target_critic.weights.h5")
    return run


def test_ddpg_actor_critic_networks_and_soft_target_updates(tmp_path, narrow_terminal):
    """keras.io's DDPG networks (widths smaller): the actor's scaled tanh output with its
    RandomUniform(-0.003, 0.003) last kernel and the two-input critic have Keras's summaries;
    from the same weights the policy's actions and the critic's values are Keras's, the
    critic's updates on its Q-targets (train_on_batch) and `update_target`'s
    `a.assign(b * tau + a * (1 - tau))` over the models' `variables` leave Keras's weights,
    and each library loads the other's `.weights.h5` files."""
    import keras
    import swiftkeras
    ours, ref = _both(ddpg_networks)
    for a, b in zip(ours, ref):
        _same_summary(a, b)
    last_kernel = ours[0].get_weights()[-2]   # the actor's last Dense, drawn in (-0.003, 0.003)
    assert np.all(np.abs(last_kernel) <= 0.003) and np.std(last_kernel) > 0
    for a, b, seed in zip(ours[:2], ref[:2], (52, 53)):
        _same_weights(a, b, seed=seed, scale=0.3)
    for nets in (ours, ref):
        for target, model in zip(nets[2:], nets[:2]):
            target.set_weights(model.get_weights())
    runs = []
    for lib, nets, name in ((swiftkeras, ours, "ours"), (keras, ref, "keras")):
        (tmp_path / name).mkdir()
        runs.append(_ddpg_run(lib, nets, tmp_path / name))
    for key in runs[1]:
        for a, b in zip(runs[0][key], runs[1][key]):
            _close(a, b, rtol=1e-4, atol=1e-6, what=key)
    for name, index in (("pendulum_critic", 1), ("pendulum_target_critic", 3)):
        in_keras = keras.models.clone_model(ref[index])
        in_keras.load_weights(str(tmp_path / "ours" / f"{name}.weights.h5"))
        here = swiftkeras.models.clone_model(ours[index])
        here.load_weights(str(tmp_path / "keras" / f"{name}.weights.h5"))
        for a, b, c, d in zip(in_keras.get_weights(), ours[index].get_weights(),
                              here.get_weights(), ref[index].get_weights()):
            _close(a, b, what=f"our {name} read by Keras")
            _close(c, d, what=f"Keras's {name} read here")


def test_a_sequential_built_by_its_first_fit_batch_records_the_batch_size_as_keras(narrow_terminal):
    """A Sequential made without an Input and built by its first batch (the example's fit) keeps
    that batch's size, as Keras's: its InputLayer's batch_shape, so the summary shows (8, 32)."""
    model, ref = _both(multi_label_model)
    x, y = _abstracts(41, 16)
    for m in (model, ref):
        m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    _same_summary(model, ref)


def test_a_file_keras_saved_after_a_first_fit_batch_takes_any_batch_size(tmp_path):
    """Keras's file of that Sequential (its `batch_shape` [8, 40]: the first fit batch's size)
    predicts, evaluates and fits on any batch size here as in Keras, whose models check the
    input's shape past the batch only (Functional.input_spec); a wrong feature size is still
    refused, naming the shape it expects."""
    import keras
    import swiftkeras
    ref = multi_label_model(keras, keras.layers, keras.ops)
    x, y = _abstracts(42, 19)
    ref.fit(x, y, epochs=1, batch_size=8, verbose=0)
    ref.save(tmp_path / "shallow.keras")
    ref.save(tmp_path / "shallow.h5")
    for name in ("shallow.keras", "shallow.h5"):
        model = swiftkeras.models.load_model(tmp_path / name)
        assert model.get_config()["layers"][0]["config"]["batch_shape"] == [8, MULTI_LABEL["features"]]
        for rows in (3, 8, 19):
            _close(model.predict(x[:rows], verbose=0), ref.predict(x[:rows], verbose=0),
                   what=f"{name}: {rows} rows")
        _close(np.asarray(model(x[:5])), np.asarray(ref(x[:5])), what=f"{name}: a call on 5 rows")
        _close(np.asarray(model.evaluate(x, y, batch_size=5, verbose=0)),
               np.asarray(ref.evaluate(x, y, batch_size=5, verbose=0)), rtol=1e-5, what=f"{name}: evaluate")
        model.fit(x, y, epochs=1, batch_size=5, verbose=0)   # 5, 5, 5, 4
        with pytest.raises(ValueError, match=rf"expects shape \(None, {MULTI_LABEL['features']}\), "
                                             r"got data of shape \[3, 7\]"):
            model.predict(np.ones((3, 7), np.float32), verbose=0)
