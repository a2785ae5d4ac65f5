"""keras.io examples as the test (a fifth set): each example's model code as the tutorial
writes it (Keras 3 versions; only the import differs), on small synthetic data of the example's
shapes and dtypes, run on swiftkeras and on real Keras 3 (JAX backend): the same summary, the
same predictions and fit from the same weights, and `.keras` files loaded both ways.

Sources (keras-team/keras-io): examples/generative/pixelcnn.py (PixelConvLayer: a Conv2D built
in the layer's `build`, its kernel masked by `self.conv.kernel.assign(self.conv.kernel *
self.mask)` in `call`), examples/vision/attention_mil_classification.py (MILAttentionLayer: a
list of inputs, a list of outputs, regularized weights; fit with class weights),
examples/vision/eanet.py (PatchExtract reshaping by the batch size it reads with ops.shape,
external attention written with ops on layer outputs), examples/vision/mobilevit.py
(`keras.activations.swish` on layer outputs, inverted residual and MobileViT blocks). Sizes the
examples take from their data (image size, filters, widths) are smaller here so each test runs
in seconds.
"""
import numpy as np

from conftest import needs, CORE, summary_lines
from test_keras_io_examples_3 import _both, _close, _fits_alike, _loads_both_ways, _same_weights
from test_keras_io_guides_3 import _libs, narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


# -- examples/generative/pixelcnn.py ----------------------------------------------------------

def pixel_cnn_model(keras, layers, ops, input_shape=(8, 8, 1), filters=8, n_residual_blocks=1):
    class PixelConvLayer(layers.Layer):
        def __init__(self, mask_type, **kwargs):
            super().__init__()
            self.mask_type = mask_type
            self.conv = layers.Conv2D(**kwargs)

        def build(self, input_shape):
            # Build the conv2d layer to initialize kernel variables
            self.conv.build(input_shape)
            # Use the initialized kernel to create the mask
            kernel_shape = ops.shape(self.conv.kernel)
            self.mask = np.zeros(shape=kernel_shape)
            self.mask[: kernel_shape[0] // 2, ...] = 1.0
            self.mask[kernel_shape[0] // 2, : kernel_shape[1] // 2, ...] = 1.0
            if self.mask_type == "B":
                self.mask[kernel_shape[0] // 2, kernel_shape[1] // 2, ...] = 1.0

        def call(self, inputs):
            self.conv.kernel.assign(self.conv.kernel * self.mask)
            return self.conv(inputs)

    class ResidualBlock(keras.layers.Layer):
        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.conv1 = keras.layers.Conv2D(
                filters=filters, kernel_size=1, activation="relu"
            )
            self.pixel_conv = PixelConvLayer(
                mask_type="B",
                filters=filters // 2,
                kernel_size=3,
                activation="relu",
                padding="same",
            )
            self.conv2 = keras.layers.Conv2D(
                filters=filters, kernel_size=1, activation="relu"
            )

        def call(self, inputs):
            x = self.conv1(inputs)
            x = self.pixel_conv(x)
            x = self.conv2(x)
            return keras.layers.add([inputs, x])

    inputs = keras.Input(shape=input_shape)
    x = PixelConvLayer(
        mask_type="A", filters=filters, kernel_size=7, padding="same", activation="relu"
    )(inputs)

    for _ in range(n_residual_blocks):
        x = ResidualBlock(filters=filters)(x)

    for _ in range(2):
        x = PixelConvLayer(
            mask_type="B",
            filters=filters,
            kernel_size=1,
            strides=1,
            activation="relu",
            padding="valid",
        )(x)

    out = keras.layers.Conv2D(
        filters=1, kernel_size=1, strides=1, activation="sigmoid", padding="valid"
    )(x)

    pixel_cnn = keras.Model(inputs, out)
    adam = keras.optimizers.Adam(learning_rate=0.0005)   # example: 0.0001
    pixel_cnn.compile(optimizer=adam, loss="binary_crossentropy")
    return pixel_cnn, {"PixelConvLayer": PixelConvLayer, "ResidualBlock": ResidualBlock}


def test_pixel_cnn_masked_convolutions_like_keras(tmp_path, narrow_terminal):
    """PixelCNN as the example writes it: the Conv2D each PixelConvLayer builds in `build` is
    read (`self.conv.kernel`), masked and assigned in `call`, then called. The library ran the
    convolution on the unmasked kernel (the assignment went to a copy of the layer), so a pixel
    saw the pixels after it. The call now computes with the masked kernel, and, as Keras with
    JAX (whose fit and predict keep no assignment to a trainable variable), the gradient reaches
    the kernel through the mask: the predictions, a fit and its weights (the masked-out entries
    as they were) equal Keras's, and the files load both ways."""
    rng = np.random.default_rng(0)
    data = (rng.random((16, 8, 8, 1)) > 0.6).astype("float32")   # example: binarized MNIST
    (model, custom), (ref, ref_custom) = _both(pixel_cnn_model)
    assert summary_lines(model) == summary_lines(ref)
    assert [v.path for v in model.weights] == [v.path for v in ref.weights]
    _same_weights(model, ref, seed=1, scale=0.3)
    before = model.get_weights()
    _close(model.predict(data, verbose=0), ref.predict(data, verbose=0), what="probabilities")
    # The first layer's mask "A": its output at a pixel reads no pixel at or after it.
    probe = data[:1].copy()
    probe[0, 5:, :, 0] = 1 - probe[0, 5:, :, 0]
    changed = np.abs(model.predict(probe, verbose=0) - model.predict(data[:1], verbose=0))[0, :, :, 0]
    assert changed[:5].max() < 1e-6 and changed[5:].max() > 1e-3
    _fits_alike(model, ref, data, data, batch_size=8, epochs=2)
    for a, b, w0, v in zip(model.get_weights(), ref.get_weights(), before, ref.weights):
        _close(a, b, rtol=0, atol=1e-5, what=f"trained {v.path}")
    kernel, mask = model.get_weights()[0], np.zeros((7, 7, 1, 8), bool)
    mask[:3], mask[3, :3] = True, True
    np.testing.assert_array_equal(kernel[~mask], before[0][~mask])   # masked out: not trained
    assert not np.allclose(kernel[mask], before[0][mask])
    _loads_both_ways(model, ref, data[:4], tmp_path, custom, ref_custom)


def test_functional_merge_inside_traced_call_like_keras():
    """`keras.layers.add([inputs, x])` (and the other functional merges) inside a traced call
    makes a layer that no attribute holds, anew at each call, as Keras does: the library refused
    the call ("which no attribute of the layer holds"). It is now the merge's ops: outputs and a
    fit through each equal Keras's."""
    def build(keras, layers, ops):
        class Merges(layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = layers.Dense(3)

            def call(self, inputs):
                x = self.dense(inputs)
                return layers.concatenate([
                    layers.add([inputs, x]), layers.subtract([inputs, x]),
                    layers.multiply([inputs, x, x]), layers.average([inputs, x]),
                    layers.maximum([inputs, x]), layers.minimum([inputs, x])], axis=-1)

            def compute_output_shape(self, input_shape):
                return input_shape[:-1] + (6 * input_shape[-1],)

        inputs = keras.Input(shape=(3,))
        model = keras.Model(inputs, layers.Dense(2)(Merges()(inputs)))
        model.compile(optimizer="sgd", loss="mse")
        return model

    model, ref = _both(build)
    _same_weights(model, ref, seed=7, scale=0.5)
    rng = np.random.default_rng(8)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="merged")
    _fits_alike(model, ref, x, y, batch_size=4, epochs=2)


def test_assigned_held_weights_refused_where_keras_differs():
    """What a traced call cannot do with a held layer's weights is refused when the model is
    built, naming the layer: assigning to a weight of a layer other than a convolution and then
    calling it, and assigning to a non-trainable weight (Keras keeps that assignment)."""
    import pytest
    import swiftkeras as keras
    from swiftkeras import layers

    class MaskedDense(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def build(self, input_shape):
            self.dense.build(input_shape)

        def call(self, inputs):
            self.dense.kernel.assign(self.dense.kernel * 0.5)
            return self.dense(inputs)

    class NormShift(layers.Layer):
        def __init__(self):
            super().__init__()
            self.norm = layers.BatchNormalization()

        def build(self, input_shape):
            self.norm.build(input_shape)

        def call(self, inputs):
            self.norm.moving_mean.assign(self.norm.moving_mean + 1.0)
            return self.norm(inputs)

    for layer, message in ((MaskedDense(), "assigns to the weights of layer 'dense.*convolution"),
                           (NormShift(), "non-trainable weight 'moving_mean'")):
        with pytest.raises(ValueError, match=message):   # (the trace's error names it)
            inputs = keras.Input(shape=(3,))
            model = keras.Model(inputs, layer(inputs))
            model.predict(np.ones((2, 3), "float32"), verbose=0)


# -- examples/vision/attention_mil_classification.py ------------------------------------------

def mil_attention_class(keras, layers, ops):
    class MILAttentionLayer(layers.Layer):
        """Implementation of the attention-based Deep MIL layer."""

        def __init__(
            self,
            weight_params_dim,
            kernel_initializer="glorot_uniform",
            kernel_regularizer=None,
            use_gated=False,
            **kwargs,
        ):
            super().__init__(**kwargs)

            self.weight_params_dim = weight_params_dim
            self.use_gated = use_gated

            self.kernel_initializer = keras.initializers.get(kernel_initializer)
            self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

            self.v_init = self.kernel_initializer
            self.w_init = self.kernel_initializer
            self.u_init = self.kernel_initializer

            self.v_regularizer = self.kernel_regularizer
            self.w_regularizer = self.kernel_regularizer
            self.u_regularizer = self.kernel_regularizer

        def build(self, input_shape):
            # Input shape.
            # List of 2D tensors with shape: (batch_size, input_dim).
            input_dim = input_shape[0][1]

            self.v_weight_params = self.add_weight(
                shape=(input_dim, self.weight_params_dim),
                initializer=self.v_init,
                name="v",
                regularizer=self.v_regularizer,
                trainable=True,
            )

            self.w_weight_params = self.add_weight(
                shape=(self.weight_params_dim, 1),
                initializer=self.w_init,
                name="w",
                regularizer=self.w_regularizer,
                trainable=True,
            )

            if self.use_gated:
                self.u_weight_params = self.add_weight(
                    shape=(input_dim, self.weight_params_dim),
                    initializer=self.u_init,
                    name="u",
                    regularizer=self.u_regularizer,
                    trainable=True,
                )
            else:
                self.u_weight_params = None

            self.input_built = True

        def call(self, inputs):
            # Assigning variables from the number of inputs.
            instances = [self.compute_attention_scores(instance) for instance in inputs]

            # Stack instances into a single tensor.
            instances = ops.stack(instances)

            # Apply softmax over instances such that the output summation is equal to 1.
            alpha = ops.softmax(instances, axis=0)

            # Split to recreate the same array of tensors we had as inputs.
            return [alpha[i] for i in range(alpha.shape[0])]

        def compute_attention_scores(self, instance):
            # Reserve in-case "gated mechanism" used.
            original_instance = instance

            # tanh(v*h_k^T)
            instance = ops.tanh(ops.tensordot(instance, self.v_weight_params, axes=1))

            # for learning non-linear relations efficiently.
            if self.use_gated:
                instance = instance * ops.sigmoid(
                    ops.tensordot(original_instance, self.u_weight_params, axes=1)
                )

            # w^T*(tanh(v*h_k^T)) / w^T*(tanh(v*h_k^T)*sigmoid(u*h_k^T))
            return ops.tensordot(instance, self.w_weight_params, axes=1)

    return MILAttentionLayer


BAG_SIZE = 3    # example: 3


def mil_model(keras, layers, ops, instance_shape=(6, 6)):   # example: MNIST's (28, 28)
    MILAttentionLayer = mil_attention_class(keras, layers, ops)

    def create_model(instance_shape):
        # Extract features from inputs.
        inputs, embeddings = [], []
        shared_dense_layer_1 = layers.Dense(16, activation="relu")   # example: 128
        shared_dense_layer_2 = layers.Dense(8, activation="relu")    # example: 64
        for _ in range(BAG_SIZE):
            inp = layers.Input(instance_shape)
            flatten = layers.Flatten()(inp)
            dense_1 = shared_dense_layer_1(flatten)
            dense_2 = shared_dense_layer_2(dense_1)
            inputs.append(inp)
            embeddings.append(dense_2)

        # Invoke the attention layer.
        alpha = MILAttentionLayer(
            weight_params_dim=12,   # example: 256
            kernel_regularizer=keras.regularizers.L2(0.01),
            use_gated=True,
            name="alpha",
        )(embeddings)

        # Multiply attention weights with the input layers.
        multiply_layers = [
            layers.multiply([alpha[i], embeddings[i]]) for i in range(len(alpha))
        ]

        # Concatenate layers.
        concat = layers.concatenate(multiply_layers, axis=1)

        # Classification output node.
        output = layers.Dense(2, activation="softmax")(concat)

        return keras.Model(inputs, output)

    model = create_model(instance_shape)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model, {"MILAttentionLayer": MILAttentionLayer}


def compute_class_weights(labels):
    # Count number of positive and negative bags.
    negative_count = len(np.where(labels == 0)[0])
    positive_count = len(np.where(labels == 1)[0])
    total_count = negative_count + positive_count

    # Build class weight dictionary.
    return {
        0: (1 / negative_count) * (total_count / 2),
        1: (1 / positive_count) * (total_count / 2),
    }


def test_attention_mil_classification_like_keras(narrow_terminal):
    """The MIL attention model: a Python layer called on a list of BAG_SIZE tensors, returning a
    list of BAG_SIZE tensors (rows of a softmax over the stacked scores), its weights under an
    L2 regularizer; fit with the example's class weights at batch size 1. The summary, the
    attention weights of the example's intermediate model (`layer.output` of a Python layer
    returning a list was its first tensor only) and a fit equal Keras's. (Keras cannot save the
    model: its layer's constructor takes a regularizer object, so it has no automatic config.)"""
    rng = np.random.default_rng(9)
    data = [rng.random((6, 6, 6)).astype("float32") for _ in range(BAG_SIZE)]
    labels = np.array([0, 1, 0, 0, 1, 0])
    (model, custom), (ref, ref_custom) = _both(mil_model)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=10, scale=0.3)
    _close(model.predict(data, verbose=0), ref.predict(data, verbose=0), what="class probabilities")
    alphas = []
    for m, lib in ((model, _libs()[0]), (ref, _libs()[1])):
        intermediate_model = lib.Model(m.input, m.get_layer("alpha").output)
        alphas.append(np.squeeze(np.swapaxes(intermediate_model.predict(data, verbose=0), 1, 0)))
    _close(alphas[0], alphas[1], what="attention weights")
    _close(alphas[0].sum(axis=1), np.ones(6), what="attention sums")
    _fits_alike(model, ref, data, labels, batch_size=1, epochs=1,
                class_weight=compute_class_weights(labels))


# -- examples/vision/eanet.py -----------------------------------------------------------------

def eanet_model(keras, layers, ops, input_shape=(8, 8, 3), patch_size=2, embedding_dim=8,
                num_classes=5):   # example: CIFAR-100's (32, 32, 3), 64
    num_patches = (input_shape[0] // patch_size) ** 2
    mlp_dim, num_heads, dim_coefficient = 16, 2, 4   # example: 64, 4, 4

    class PatchExtract(layers.Layer):
        def __init__(self, patch_size, **kwargs):
            super().__init__(**kwargs)
            self.patch_size = patch_size

        def call(self, x):
            B, C = ops.shape(x)[0], ops.shape(x)[-1]
            x = ops.image.extract_patches(x, self.patch_size)
            x = ops.reshape(x, (B, -1, self.patch_size * self.patch_size * C))
            return x

    class PatchEmbedding(layers.Layer):
        def __init__(self, num_patch, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.num_patch = num_patch
            self.proj = layers.Dense(embed_dim)
            self.pos_embed = layers.Embedding(input_dim=num_patch, output_dim=embed_dim)

        def call(self, patch):
            pos = ops.arange(start=0, stop=self.num_patch, step=1)
            return self.proj(patch) + self.pos_embed(pos)

    def external_attention(
        x, dim, num_heads, dim_coefficient=4, attention_dropout=0, projection_dropout=0
    ):
        _, num_patch, channel = x.shape
        assert dim % num_heads == 0
        num_heads = num_heads * dim_coefficient

        x = layers.Dense(dim * dim_coefficient)(x)
        # create tensor [batch_size, num_patches, num_heads, dim*dim_coefficient//num_heads]
        x = ops.reshape(x, (-1, num_patch, num_heads, dim * dim_coefficient // num_heads))
        x = ops.transpose(x, axes=[0, 2, 1, 3])
        # a linear layer M_k
        attn = layers.Dense(dim // dim_coefficient)(x)
        # normalize attention map
        attn = layers.Softmax(axis=2)(attn)
        # dobule-normalization
        attn = layers.Lambda(
            lambda attn: ops.divide(
                attn,
                ops.convert_to_tensor(1e-9) + ops.sum(attn, axis=-1, keepdims=True),
            )
        )(attn)
        attn = layers.Dropout(attention_dropout)(attn)
        # a linear layer M_v
        x = layers.Dense(dim * dim_coefficient // num_heads)(attn)
        x = ops.transpose(x, axes=[0, 2, 1, 3])
        x = ops.reshape(x, [-1, num_patch, dim * dim_coefficient])
        # a linear layer to project original dim
        x = layers.Dense(dim)(x)
        x = layers.Dropout(projection_dropout)(x)
        return x

    def mlp(x, embedding_dim, mlp_dim, drop_rate=0.2):
        x = layers.Dense(mlp_dim, activation=ops.gelu)(x)
        x = layers.Dropout(drop_rate)(x)
        x = layers.Dense(embedding_dim)(x)
        x = layers.Dropout(drop_rate)(x)
        return x

    def transformer_encoder(x, embedding_dim, mlp_dim, num_heads, dim_coefficient,
                            attention_dropout, projection_dropout):
        residual_1 = x
        x = layers.LayerNormalization(epsilon=1e-5)(x)
        x = external_attention(x, embedding_dim, num_heads, dim_coefficient,
                               attention_dropout, projection_dropout)
        x = layers.add([x, residual_1])
        residual_2 = x
        x = layers.LayerNormalization(epsilon=1e-5)(x)
        x = mlp(x, embedding_dim, mlp_dim, drop_rate=0.0)   # example: 0.2 (dropout: not compared)
        x = layers.add([x, residual_2])
        return x

    # (the example's data augmentation first: random layers, not compared)
    inputs = layers.Input(shape=input_shape)
    x = PatchExtract(patch_size)(inputs)
    x = PatchEmbedding(num_patches, embedding_dim)(x)
    x = transformer_encoder(x, embedding_dim, mlp_dim, num_heads, dim_coefficient, 0.0, 0.0)
    x = layers.GlobalAvgPool1D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        optimizer=keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.0001),
        metrics=[
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.TopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )
    return model


def test_eanet_external_attention_like_keras(narrow_terminal):
    """EANet: PatchExtract reshapes by `B = ops.shape(x)[0]` and a -1 (Keras traces with the
    batch size known); the library refused two unknown sizes, ran the layer in numpy with the
    input's shape as its output's, and the next layer failed to build. The batch is now read
    from the input at each run. The attention's ops.reshape and ops.transpose on layer outputs
    are nodes of their own, as Keras's summary lists them (they were one op layer). The summary,
    predictions and a fit (AdamW, label smoothing, top-5 accuracy) equal Keras's."""
    from swiftkeras import _python_layers
    rng = np.random.default_rng(14)
    x = rng.random((8, 8, 8, 3)).astype("float32")
    y = np.eye(5, dtype="float32")[rng.integers(0, 5, 8)]
    model, ref = _both(eanet_model)
    assert summary_lines(model) == summary_lines(ref)
    traced = {type(i.layer).__name__: i.traced for i in _python_layers._instances.values()}
    assert traced.get("PatchExtract") is True
    _same_weights(model, ref, seed=15, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="class probabilities")
    _fits_alike(model, ref, x, y, batch_size=4, epochs=2)


# -- examples/vision/mobilevit.py -------------------------------------------------------------

def mobilevit_model(keras, layers, ops, image_size=16, num_classes=5, dropout=0.0):
    # example: 256x256 images, patch_size 4, expansion_factor 2, widths 16..144, dropout 0.1
    # (here 0: its draws are the libraries' own)
    backend = keras.backend
    patch_size, expansion_factor = 4, 2

    def conv_block(x, filters=16, kernel_size=3, strides=2):
        conv_layer = layers.Conv2D(
            filters,
            kernel_size,
            strides=strides,
            activation=keras.activations.swish,
            padding="same",
        )
        return conv_layer(x)

    def correct_pad(inputs, kernel_size):
        img_dim = 2 if backend.image_data_format() == "channels_first" else 1
        input_size = inputs.shape[img_dim : (img_dim + 2)]
        if isinstance(kernel_size, int):
            kernel_size = (kernel_size, kernel_size)
        if input_size[0] is None:
            adjust = (1, 1)
        else:
            adjust = (1 - input_size[0] % 2, 1 - input_size[1] % 2)
        correct = (kernel_size[0] // 2, kernel_size[1] // 2)
        return (
            (correct[0] - adjust[0], correct[0]),
            (correct[1] - adjust[1], correct[1]),
        )

    def inverted_residual_block(x, expanded_channels, output_channels, strides=1):
        m = layers.Conv2D(expanded_channels, 1, padding="same", use_bias=False)(x)
        m = layers.BatchNormalization()(m)
        m = keras.activations.swish(m)

        if strides == 2:
            m = layers.ZeroPadding2D(padding=correct_pad(m, 3))(m)
        m = layers.DepthwiseConv2D(
            3, strides=strides, padding="same" if strides == 1 else "valid", use_bias=False
        )(m)
        m = layers.BatchNormalization()(m)
        m = keras.activations.swish(m)

        m = layers.Conv2D(output_channels, 1, padding="same", use_bias=False)(m)
        m = layers.BatchNormalization()(m)

        if keras.ops.equal(x.shape[-1], output_channels) and strides == 1:
            return layers.Add()([m, x])
        return m

    def mlp(x, hidden_units, dropout_rate):
        for units in hidden_units:
            x = layers.Dense(units, activation=keras.activations.swish)(x)
            x = layers.Dropout(dropout_rate)(x)
        return x

    def transformer_block(x, transformer_layers, projection_dim, num_heads=2):
        for _ in range(transformer_layers):
            # Layer normalization 1.
            x1 = layers.LayerNormalization(epsilon=1e-6)(x)
            # Create a multi-head attention layer.
            attention_output = layers.MultiHeadAttention(
                num_heads=num_heads, key_dim=projection_dim, dropout=dropout
            )(x1, x1)
            # Skip connection 1.
            x2 = layers.Add()([attention_output, x])
            # Layer normalization 2.
            x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
            # MLP.
            x3 = mlp(x3, hidden_units=[x.shape[-1] * 2, x.shape[-1]], dropout_rate=dropout)
            # Skip connection 2.
            x = layers.Add()([x3, x2])

        return x

    def mobilevit_block(x, num_blocks, projection_dim, strides=1):
        # Local projection with convolutions.
        local_features = conv_block(x, filters=projection_dim, strides=strides)
        local_features = conv_block(
            local_features, filters=projection_dim, kernel_size=1, strides=strides
        )

        # Unfold into patches and then pass through Transformers.
        num_patches = int((local_features.shape[1] * local_features.shape[2]) / patch_size)
        non_overlapping_patches = layers.Reshape((patch_size, num_patches, projection_dim))(
            local_features
        )
        global_features = transformer_block(non_overlapping_patches, num_blocks, projection_dim)

        # Fold into conv-like feature-maps.
        folded_feature_map = layers.Reshape((*local_features.shape[1:-1], projection_dim))(
            global_features
        )

        # Apply point-wise conv -> concatenate with the input features.
        folded_feature_map = conv_block(
            folded_feature_map, filters=x.shape[-1], kernel_size=1, strides=strides
        )
        local_global_features = layers.Concatenate(axis=-1)([x, folded_feature_map])

        # Fuse the local and global features using a convoluion layer.
        local_global_features = conv_block(
            local_global_features, filters=projection_dim, strides=strides
        )

        return local_global_features

    def create_mobilevit(num_classes=5):
        inputs = keras.Input((image_size, image_size, 3))
        x = layers.Rescaling(scale=1.0 / 255)(inputs)

        # Initial conv-stem -> MV2 block.
        x = conv_block(x, filters=4)
        x = inverted_residual_block(x, expanded_channels=4 * expansion_factor, output_channels=4)

        # Downsampling with MV2 block.
        x = inverted_residual_block(
            x, expanded_channels=4 * expansion_factor, output_channels=8, strides=2
        )
        x = inverted_residual_block(x, expanded_channels=8 * expansion_factor, output_channels=8)

        # First MV2 -> MobileViT block.
        x = mobilevit_block(x, num_blocks=1, projection_dim=8)

        x = conv_block(x, filters=8, kernel_size=1, strides=1)

        # Classification head.
        x = layers.GlobalAvgPool2D()(x)
        outputs = layers.Dense(num_classes, activation="softmax")(x)

        return keras.Model(inputs, outputs)

    model = create_mobilevit(num_classes=num_classes)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.002),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["accuracy"],
    )
    return model


def test_mobilevit_swish_on_layer_outputs_like_keras(tmp_path, narrow_terminal):
    """MobileViT applies `keras.activations.swish` to layer outputs: Keras writes each as an
    operation node (`Silu`), which the library had no saved form of, so `model.save` refused the
    model. They are now Keras's nodes: the summary, predictions and the files both ways equal
    Keras's."""
    rng = np.random.default_rng(16)
    x = (rng.random((4, 16, 16, 3)) * 255).astype("float32")
    model, ref = _both(mobilevit_model)
    assert summary_lines(model) == summary_lines(ref)
    _same_weights(model, ref, seed=17, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="class probabilities")
    _loads_both_ways(model, ref, x, tmp_path, {}, {})
