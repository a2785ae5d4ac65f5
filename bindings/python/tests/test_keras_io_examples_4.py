"""keras.io examples as the test (a fourth set): each example's model code as the tutorial
writes it (Keras 3 versions; only the import differs), on small synthetic data of the example's
shapes and dtypes, run on swiftkeras and on real Keras 3 (JAX backend): the same summary, the
same predictions and fit from the same weights, and `.keras` files loaded both ways.

Sources (keras-team/keras-io): examples/vision/super_resolution_sub_pixel.py (ESPCN and its
DepthToSpace layer of ops.reshape and ops.transpose over an input of unknown height and width),
examples/vision/involution.py (the Involution layer, with ops.image.extract_patches where the
example calls tf.image.extract_patches and keras.layers.Identity where it uses tf.identity),
examples/rl/actor_critic_cartpole.py (the shared actor-critic network; its GradientTape loop is
not run: the heads are fit on targets with the example's Huber loss). Sizes the examples take
from their data (image size, channels) are smaller here so each test runs in seconds.
"""
import numpy as np
import pytest

from conftest import needs, CORE, summary_lines
from test_keras_io_examples_3 import _both, _close, _fits_alike, _loads_both_ways, _same_weights
from test_keras_io_guides_3 import _libs, narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)

# Real Keras refuses to load a file holding a layer whose constructor takes no **kwargs (the
# examples' DepthToSpace and Involution): its config carries `name`, `trainable` and `dtype`.
KERAS_REFUSES = "could not be deserialized properly"


# -- examples/vision/super_resolution_sub_pixel.py --------------------------------------------

def depth_to_space_class(keras, layers, ops):
    class DepthToSpace(layers.Layer):
        def __init__(self, block_size):
            super().__init__()
            self.block_size = block_size

        def call(self, input):
            batch, height, width, depth = ops.shape(input)
            depth = depth // (self.block_size**2)

            x = ops.reshape(
                input, [batch, height, width, self.block_size, self.block_size, depth]
            )
            x = ops.transpose(x, [0, 1, 3, 2, 4, 5])
            x = ops.reshape(
                x, [batch, height * self.block_size, width * self.block_size, depth]
            )
            return x

    return DepthToSpace


def espcn_model(keras, layers, ops, upscale_factor=3, channels=1):
    DepthToSpace = depth_to_space_class(keras, layers, ops)

    def get_model(upscale_factor=3, channels=1):
        conv_args = {
            "activation": "relu",
            "kernel_initializer": "orthogonal",
            "padding": "same",
        }
        inputs = keras.Input(shape=(None, None, channels))
        x = layers.Conv2D(64, 5, **conv_args)(inputs)
        x = layers.Conv2D(64, 3, **conv_args)(x)
        x = layers.Conv2D(32, 3, **conv_args)(x)
        x = layers.Conv2D(channels * (upscale_factor**2), 3, **conv_args)(x)
        outputs = DepthToSpace(upscale_factor)(x)
        return keras.Model(inputs, outputs)

    model = get_model(upscale_factor=upscale_factor, channels=channels)
    loss_fn = keras.losses.MeanSquaredError()
    optimizer = keras.optimizers.Adam(learning_rate=0.001)
    model.compile(optimizer=optimizer, loss=loss_fn)
    return model, {"DepthToSpace": DepthToSpace}


def test_super_resolution_sub_pixel_espcn_like_keras(tmp_path, narrow_terminal):
    """ESPCN as the example writes it: an input of unknown height and width, and DepthToSpace
    unpacking `batch, height, width, depth = ops.shape(input)` to reshape by `height * 3`: the
    library refused the reshape (two unknown sizes) and ran the layer in numpy with output
    shape = input shape, so the model could neither predict nor train. The sizes now follow the
    input at each run: predictions at two image sizes, a fit and the files equal Keras's."""
    rng = np.random.default_rng(0)
    x = rng.random((8, 10, 10, 1)).astype("float32")     # example: 100x100 crops, upscale 3
    y = rng.random((8, 30, 30, 1)).astype("float32")
    (model, custom), (ref, ref_custom) = _both(espcn_model)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=1)
    for images in (x, rng.random((2, 7, 9, 1)).astype("float32")):
        predicted = model.predict(images, verbose=0)
        assert predicted.shape == (len(images), images.shape[1] * 3, images.shape[2] * 3, 1)
        _close(predicted, ref.predict(images, verbose=0), what=f"upscaled {images.shape}")
    _loads_both_ways(model, ref, x, tmp_path, custom, ref_custom, keras_refuses=KERAS_REFUSES)

    (model, _), (ref, _) = _both(espcn_model)
    _same_weights(model, ref, seed=2)
    history = _fits_alike(model, ref, x, y, batch_size=4, epochs=2)
    assert history["loss"][1] < history["loss"][0]


def test_traced_reshape_sizes_read_at_run_time_like_keras():
    """Sizes of unknown dimensions read with ops.shape one by one size a traced ops.reshape
    after integer arithmetic (*, //, +, -, and products of such sizes), read from the tensors
    each run: predictions at two shapes and a fit through the layer (the library's op graph)
    equal Keras's."""
    from swiftkeras import _python_layers

    def build(keras, layers, ops):
        class Fold(layers.Layer):
            def call(self, x):
                b, h, w, c = ops.shape(x)
                y = ops.transpose(ops.reshape(x, [b, h * w, c]), [0, 2, 1])
                y = ops.reshape(y, [b, c, (h * w) // w, w + 1 - 1])   # (b, c, h, w) of x's sizes
                return ops.transpose(y, [0, 2, 3, 1])

        inputs = keras.Input(shape=(None, None, 2))
        folded = Fold()(layers.Dense(2)(inputs))   # trained through the folds
        model = keras.Model(inputs, layers.Dense(3)(folded))
        model.compile(optimizer="sgd", loss="mse")
        return model

    model, ref = _both(build)
    _same_weights(model, ref, seed=3)
    rng = np.random.default_rng(4)
    for shape in ((3, 4, 5, 2), (2, 6, 1, 2)):
        x = rng.normal(size=shape).astype("float32")
        predicted = model.predict(x, verbose=0)
        assert predicted.shape == shape[:3] + (3,)
        _close(predicted, ref.predict(x, verbose=0), what=f"folded {shape}")
    traced = {type(i.layer).__name__: i.traced for i in _python_layers._instances.values()}
    assert traced.get("Fold") is True
    x = rng.normal(size=(4, 3, 4, 2)).astype("float32")
    y = rng.normal(size=(4, 3, 4, 3)).astype("float32")
    _fits_alike(model, ref, x, y, batch_size=2, epochs=2)


def test_unknown_sizes_read_one_by_one_still_size_draws_and_slices():
    """A size read with ops.shape where unknown and used as read (no arithmetic) is what it
    was before reshapes could read it: None to keras.random draws (read from the input's same
    axis at every step) and to slices, so a layer drawing noise of `(b, t, c)` over an input of
    unknown length stays the library's op graph, and its draws are standard normal."""
    import swiftkeras as keras
    from swiftkeras import _python_layers
    ops = keras.ops

    class Noise(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1)

        def call(self, x):
            b, t, c = ops.shape(x)
            whole = keras.random.normal(ops.shape(x), seed=self.seed_generator)
            parts = keras.random.normal((b, t, c), seed=self.seed_generator)
            return ops.concatenate([whole, parts, x[:, :t] * 0.0], axis=-1)

    inputs = keras.Input((None, 4))
    model = keras.Model(inputs, Noise()(inputs))
    drawn = model.predict(np.ones((64, 50, 4), "float32"), verbose=0)
    assert drawn.shape == (64, 50, 12)
    assert [i.traced for i in _python_layers._instances.values() if type(i.layer) is Noise] == [True]
    noise = drawn[..., :8]
    assert abs(noise.mean()) < 0.05 and abs(noise.std() - 1) < 0.05
    assert not np.allclose(noise[..., :4], noise[..., 4:])
    np.testing.assert_array_equal(drawn[..., 8:], 0.0)


# -- examples/vision/involution.py ------------------------------------------------------------

def involution_class(keras, layers, ops):
    class Involution(keras.layers.Layer):
        def __init__(self, channel, group_number, kernel_size, stride, reduction_ratio, name):
            super().__init__(name=name)

            # Initialize the parameters.
            self.channel = channel
            self.group_number = group_number
            self.kernel_size = kernel_size
            self.stride = stride
            self.reduction_ratio = reduction_ratio

        def build(self, input_shape):
            # Get the shape of the input.
            (_, height, width, num_channels) = input_shape

            # Scale the height and width with respect to the strides.
            height = height // self.stride
            width = width // self.stride

            # Define a layer that average pools the input tensor
            # if stride is more than 1.
            self.stride_layer = (
                keras.layers.AveragePooling2D(
                    pool_size=self.stride, strides=self.stride, padding="same"
                )
                if self.stride > 1
                else keras.layers.Identity()   # example: tf.identity
            )
            # Define the kernel generation layer.
            self.kernel_gen = keras.Sequential(
                [
                    keras.layers.Conv2D(
                        filters=self.channel // self.reduction_ratio, kernel_size=1
                    ),
                    keras.layers.BatchNormalization(),
                    keras.layers.ReLU(),
                    keras.layers.Conv2D(
                        filters=self.kernel_size * self.kernel_size * self.group_number,
                        kernel_size=1,
                    ),
                ]
            )
            # Define reshape layers
            self.kernel_reshape = keras.layers.Reshape(
                target_shape=(
                    height,
                    width,
                    self.kernel_size * self.kernel_size,
                    1,
                    self.group_number,
                )
            )
            self.input_patches_reshape = keras.layers.Reshape(
                target_shape=(
                    height,
                    width,
                    self.kernel_size * self.kernel_size,
                    num_channels // self.group_number,
                    self.group_number,
                )
            )
            self.output_reshape = keras.layers.Reshape(
                target_shape=(height, width, num_channels)
            )

        def call(self, x):
            # Generate the kernel with respect to the input tensor.
            # B, H, W, K*K*G
            kernel_input = self.stride_layer(x)
            kernel = self.kernel_gen(kernel_input)

            # reshape the kerenl
            # B, H, W, K*K, 1, G
            kernel = self.kernel_reshape(kernel)

            # Extract input patches.
            # B, H, W, K*K*C   (example: tf.image.extract_patches, padding "SAME")
            input_patches = keras.ops.image.extract_patches(
                x, size=self.kernel_size, strides=self.stride, padding="same"
            )

            # Reshape the input patches to align with later operations.
            # B, H, W, K*K, C//G, G
            input_patches = self.input_patches_reshape(input_patches)

            # Compute the multiply-add operation of kernels and patches.
            # B, H, W, K*K, C//G, G
            output = keras.ops.multiply(kernel, input_patches)
            # B, H, W, C//G, G
            output = keras.ops.sum(output, axis=3)

            # Reshape the output kernel.
            # B, H, W, C
            output = self.output_reshape(output)

            # Return the output tensor and the kernel.
            return output, kernel

    return Involution


def involution_model(keras, layers, ops):
    Involution = involution_class(keras, layers, ops)
    inputs = keras.Input(shape=(16, 16, 3))     # example: CIFAR-10's 32x32
    x, _ = Involution(
        channel=3, group_number=1, kernel_size=3, stride=1, reduction_ratio=2, name="inv_1"
    )(inputs)
    x = keras.layers.ReLU()(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x, _ = Involution(
        channel=3, group_number=1, kernel_size=3, stride=1, reduction_ratio=2, name="inv_2"
    )(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.MaxPooling2D((2, 2))(x)
    x, _ = Involution(
        channel=3, group_number=1, kernel_size=3, stride=1, reduction_ratio=2, name="inv_3"
    )(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(10)(x)

    inv_model = keras.Model(inputs=[inputs], outputs=[outputs], name="inv_model")
    inv_model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return inv_model, {"Involution": Involution}


def test_involution_like_keras(tmp_path, narrow_terminal):
    """The involution network: a Python layer building a Sequential kernel generator (with
    BatchNormalization) and Reshape layers of rank 5 in `build`, returning two tensors (output
    and kernel), patches by ops.image.extract_patches: the summary, predictions, a fit with
    BatchNormalization training and the files, as in Keras."""
    rng = np.random.default_rng(5)
    x = rng.random((16, 16, 16, 3)).astype("float32")
    y = rng.integers(0, 10, (16, 1))
    (model, custom), (ref, ref_custom) = _both(involution_model)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=6)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="logits")
    _loads_both_ways(model, ref, x, tmp_path, custom, ref_custom, keras_refuses=KERAS_REFUSES)
    _fits_alike(model, ref, x, y, batch_size=8, epochs=2)


# -- examples/rl/actor_critic_cartpole.py -----------------------------------------------------

def actor_critic_model(keras, layers, ops):
    num_inputs = 4
    num_actions = 2
    num_hidden = 128

    inputs = layers.Input(shape=(num_inputs,))
    common = layers.Dense(num_hidden, activation="relu")(inputs)
    action = layers.Dense(num_actions, activation="softmax")(common)
    critic = layers.Dense(1)(common)

    model = keras.Model(inputs=inputs, outputs=[action, critic])
    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    huber_loss = keras.losses.Huber()
    model.compile(optimizer=optimizer, loss=["categorical_crossentropy", huber_loss])
    return model


def test_actor_critic_network_like_keras(tmp_path, narrow_terminal):
    """The shared-trunk actor-critic network (softmax policy and value heads): the summary,
    both heads' predictions for a batch of states, a two-loss fit (the example's Huber on the
    critic) and the .keras files both ways, as in Keras."""
    keras = _libs()[1]
    import swiftkeras
    rng = np.random.default_rng(7)
    states = rng.normal(size=(8, 4)).astype("float32")
    actions = np.eye(2, dtype="float32")[rng.integers(0, 2, 8)]
    returns = rng.normal(size=(8, 1)).astype("float32")
    model, ref = _both(actor_critic_model)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=8)
    for ours, theirs in zip(model.predict(states, verbose=0), ref.predict(states, verbose=0)):
        _close(ours, theirs, what="action probabilities and critic value")
    _fits_alike(model, ref, states, [actions, returns], batch_size=4, epochs=2)
    model.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "keras.keras")
    for loaded, source in ((keras.models.load_model(tmp_path / "ours.keras"), model),
                           (swiftkeras.models.load_model(tmp_path / "keras.keras"), ref)):
        for ours, theirs in zip(loaded.predict(states, verbose=0), source.predict(states, verbose=0)):
            _close(ours, theirs, rtol=1e-4, atol=1e-5, what="loaded")
