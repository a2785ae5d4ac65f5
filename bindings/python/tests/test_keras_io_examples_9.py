"""keras.io examples as the test (a ninth set): each example's model code as the tutorial
writes it (Keras 3 versions, `keras.ops` where an older version wrote `tf.*`; only the import
differs), on small synthetic data of the example's shapes and dtypes, run on swiftkeras and on
real Keras 3 (JAX backend): the same summary and parameter count, the same predictions and fit
from the same weights, and `.keras` files loaded both ways. The library's gaps the examples
found are tested on their own first.

Sources (keras-team/keras-io):
examples/structured_data/tabtransformer.py
(https://keras.io/examples/structured_data/tabtransformer/: a dict of scalar Inputs, Embedding
of float category indices, `ops.stack` of symbolic tensors, a column Embedding of
`ops.arange`, nested Sequential MLPs made with `functools.partial(LayerNormalization)`, AdamW,
sample weights; its StringLookup runs in a tf.data map, left out: the indices are the data),
examples/vision/swin_transformers.py
(https://keras.io/examples/vision/swin_transformers/: window attention over `ops.reshape` /
`ops.transpose` window partitions, a relative position bias looked up with `ops.take` through
an integer `keras.Variable` made in `__init__`, the shifted windows' `ops.roll` and their
attention mask a non-trainable float `keras.Variable` made in `build`, PatchMerging's strided
slices; its patches come from `ops.image.extract_patches` in a tf.data map, here called on the
arrays before the model),
examples/keras_recipes/memory_efficient_embeddings.py
(https://keras.io/examples/keras_recipes/memory_efficient_embeddings/: the baseline's Sequential
embedding encoders and the quotient-remainder QREmbedding layer, `ops.floor_divide` and
`ops.mod` of the index; its StringLookup of ids runs in tf.data and its MDEmbedding looks blocks
up in a tf.lookup.StaticHashTable, TensorFlow only: the ids are the data, MDEmbedding left out),
examples/vision/token_learner.py (https://keras.io/examples/vision/token_learner/: the mini
ViT with augmentation layers inside the model, `activation=ops.gelu`, the TokenLearner's
Sequential of Conv2D, Reshape and Permute, `ops.mean`, SparseTopKCategoricalAccuracy, a
save_best_only weights checkpoint loaded back),
examples/audio/transformer_asr.py (https://keras.io/examples/audio/transformer_asr/: its
encoder and its LearningRateSchedule subclass; the whole Transformer is a subclassed Model
whose decoder tiles a causal mask by `ops.shape(target)[0]`, which Keras with JAX cannot trace
for fit (ops.tile of a traced size, as keras.io's miniature GPT), and whose train_step takes a
tf.GradientTape, TensorFlow only; here its eager call is refused, see the test's reason),
examples/timeseries/eeg_signal_classification.py
(https://keras.io/examples/timeseries/eeg_signal_classification/: strided Conv1D with
BatchNormalization, L2 regularizers, Adam(amsgrad=True), top-3 accuracy, AUC, Precision and
Recall, class weights, a legacy .h5 checkpoint and ReduceLROnPlateau).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import functools
import os

import numpy as np

from conftest import needs, CORE, fresh_library, keras_reference, summary_lines
from test_keras_io_examples_3 import (_both, _close, _drawn_weights, _fits_alike, _history_arrays,
                                      _loads_both_ways, _same_weights)
from test_keras_io_examples_8 import _same_summary
from test_keras_io_guides_3 import _libs, narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


# -- the library's gaps the examples found -----------------------------------------------------

def _stacked_outputs(keras, layers, ops):
    a, b = keras.Input((4,)), keras.Input((4,))
    stacked = ops.stack([layers.Dense(3)(a), layers.Dense(3)(b), layers.Dense(3)(a)], axis=1)
    model = keras.Model([a, b], layers.Dense(1)(layers.Flatten()(stacked)))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_stack_of_layer_outputs_is_one_keras_node(tmp_path, narrow_terminal):
    """`ops.stack` of several layer outputs in a functional graph is Keras's one Stack node (its
    summary row, its config entry, with the tensors as one list argument), not expand_dims and
    a Concatenate layer; it predicts, trains and saves like Keras's."""
    import json
    model, ref = _both(_stacked_outputs)
    _same_summary(model, ref)
    entries = [[e for e in json.loads(m.to_json())["config"]["layers"] if e["name"] == "stack"]
               for m in (model, ref)]
    assert entries[0] == entries[1] and entries[0][0]["class_name"] == "Stack"
    rng = np.random.default_rng(1)
    x = [rng.normal(size=(8, 4)).astype("float32") for _ in range(2)]
    y = rng.normal(size=(8, 1)).astype("float32")
    _same_weights(model, ref, seed=2)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="predictions")
    _fits_alike(model, ref, x, y, epochs=2, batch_size=4)
    _loads_both_ways(model, ref, x, tmp_path, None, None)


def _constant_and_reduction_nodes(keras, layers, ops):
    inputs = keras.Input((3, 4))
    column_embedding = layers.Embedding(input_dim=3, output_dim=4)
    x = inputs + column_embedding(ops.arange(start=0, stop=3, step=1))
    x = layers.Dense(4)(x)
    outputs = layers.Dense(1)(ops.mean(x, axis=1) + ops.sum(x, axis=1))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_array_constants_and_reductions_are_keras_nodes(tmp_path, narrow_terminal):
    """A layer output plus an array made when the graph is made (TabTransformer's column
    embedding of `ops.arange`: Keras computes it once, its Embedding no part of the model) is
    Keras's Add node with the array as a `__tensor__` argument, and `ops.mean` / `ops.sum` of a
    layer output are Keras's Mean and Sum nodes (keras.io's TokenLearner): the same summary,
    config entries, predictions and fit; each library loads the other's file."""
    import json
    model, ref = _both(_constant_and_reduction_nodes)
    _same_summary(model, ref)
    assert len(model.weights) == len(ref.weights) == 4   # the two Dense layers' only
    entries = [[e["class_name"] for e in json.loads(m.to_json())["config"]["layers"]]
               for m in (model, ref)]
    assert entries[0] == entries[1] == ["InputLayer", "Add", "Dense", "Mean", "Sum", "Add", "Dense"]
    constants = [[a for a in e["inbound_nodes"][0]["args"] if a.get("class_name") == "__tensor__"]
                 for m in (model, ref) for e in json.loads(m.to_json())["config"]["layers"][1:2]]
    assert constants[0][0]["config"]["dtype"] == constants[1][0]["config"]["dtype"] == "float32"
    assert np.shape(constants[0][0]["config"]["value"]) == (3, 4)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 3, 4)).astype("float32")
    y = rng.normal(size=(8, 1)).astype("float32")
    _same_weights(model, ref, seed=4)
    added = [np.asarray(c[0]["config"]["value"], "float32") for c in constants]
    # (each library's own draw of the column embedding: compare through the other's file)
    _loads_both_ways(model, ref, x, tmp_path, None, None)
    assert not np.array_equal(added[0], 0)
    _fits_alike(model, ref, x, y, epochs=2, batch_size=4, weights=False)


def _explicit_mask_layers(keras, layers, ops, shifted):
    class Scores(layers.Layer):   # Swin's WindowAttention, reduced: its call takes `mask=`
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.qk = layers.Dense(4)

        def call(self, x, mask=None):
            attn = self.qk(x) @ ops.transpose(x, (0, 2, 1))
            if mask is not None:
                windows = mask.shape[0]
                attn = ops.reshape(attn, (-1, windows, 4, 4)) + ops.expand_dims(mask, axis=0)
                attn = ops.reshape(attn, (-1, 4, 4))
            return keras.activations.softmax(attn, axis=-1) @ x

    class Block(layers.Layer):
        def __init__(self, shifted, **kwargs):
            super().__init__(**kwargs)
            self.shifted = shifted
            self.scores = Scores()
            if self.shifted:
                mask = np.where(np.arange(16).reshape(1, 4, 4) % 3 == 0, -100.0, 0.0)
                self.attn_mask = keras.Variable(initializer=mask.astype("float32"),
                                                shape=mask.shape, trainable=False)
            else:
                self.attn_mask = None

        def call(self, x):
            return self.scores(x, mask=self.attn_mask)

    inputs = keras.Input((4, 4))
    model = keras.Model(inputs, layers.Dense(1)(layers.Flatten()(Block(shifted)(inputs))))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_explicit_mask_argument_of_a_layer_called_in_a_traced_call_like_keras():
    """A layer written in Python whose call takes `mask=`, called inside another layer's call:
    Keras's call gets None where the caller gives none (not a mask of ones), and whatever
    tensor the caller gives otherwise, of any shape (keras.io's Swin Transformer gives its
    WindowAttention the windows' (windows, N, N) attention mask): the same predictions and fit
    from the same weights as Keras's. (One window per sample: a layer called in a traced call
    is traced on inputs of 2 and 3 samples, which a reshape grouping them by more windows
    cannot split; left. The mask is made in `__init__`: a keras.Variable made in a Python
    layer's `build` is adopted twice, see test_swin_transformer_like_keras.)"""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(6, 4, 4)).astype("float32")
    y = rng.normal(size=(6, 1)).astype("float32")
    for shifted in (False, True):
        model, ref = _both(_explicit_mask_layers, shifted)
        _same_weights(model, ref, seed=6, scale=0.5)
        _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4,
               what=f"predictions (shifted={shifted})")
        _fits_alike(model, ref, x, y, epochs=2, batch_size=3)


# -- examples/structured_data/tabtransformer.py ------------------------------------------------

TAB_NUMERIC = ["age", "education_num", "hours_per_week"]
TAB_VOCABULARY = {"workclass": ["Private", "State-gov", "Self-emp", "Federal-gov"],
                  "education": ["Bachelors", "HS-grad", "Masters", "Doctorate", "Some-college"],
                  "sex": ["Male", "Female"]}


def tabtransformer(keras, layers, ops, embedding_dims=8, num_heads=2, num_transformer_blocks=2,
                   mlp_hidden_units_factors=(2, 1), dropout_rate=0.2,
                   use_column_embedding=True):
    NUMERIC_FEATURE_NAMES = TAB_NUMERIC
    CATEGORICAL_FEATURES_WITH_VOCABULARY = TAB_VOCABULARY
    CATEGORICAL_FEATURE_NAMES = list(CATEGORICAL_FEATURES_WITH_VOCABULARY.keys())
    FEATURE_NAMES = NUMERIC_FEATURE_NAMES + CATEGORICAL_FEATURE_NAMES

    def create_model_inputs():
        inputs = {}
        for feature_name in FEATURE_NAMES:
            if feature_name in NUMERIC_FEATURE_NAMES:
                inputs[feature_name] = layers.Input(
                    name=feature_name, shape=(), dtype="float32"
                )
            else:
                inputs[feature_name] = layers.Input(
                    name=feature_name, shape=(), dtype="float32"
                )
        return inputs

    def encode_inputs(inputs, embedding_dims):
        encoded_categorical_feature_list = []
        numerical_feature_list = []

        for feature_name in inputs:
            if feature_name in CATEGORICAL_FEATURE_NAMES:
                vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
                # Create an embedding layer with the specified dimensions.
                embedding = layers.Embedding(
                    input_dim=len(vocabulary), output_dim=embedding_dims
                )

                # Convert the index values to embedding representations.
                encoded_categorical_feature = embedding(inputs[feature_name])
                encoded_categorical_feature_list.append(encoded_categorical_feature)

            else:
                # Use the numerical features as-is.
                numerical_feature = ops.expand_dims(inputs[feature_name], -1)
                numerical_feature_list.append(numerical_feature)

        return encoded_categorical_feature_list, numerical_feature_list

    def create_mlp(hidden_units, dropout_rate, activation, normalization_layer, name=None):
        mlp_layers = []
        for units in hidden_units:
            mlp_layers.append(normalization_layer()),
            mlp_layers.append(layers.Dense(units, activation=activation))
            mlp_layers.append(layers.Dropout(dropout_rate))

        return keras.Sequential(mlp_layers, name=name)

    def create_tabtransformer_classifier(
        num_transformer_blocks,
        num_heads,
        embedding_dims,
        mlp_hidden_units_factors,
        dropout_rate,
        use_column_embedding=False,
    ):
        # Create model inputs.
        inputs = create_model_inputs()
        # encode features.
        encoded_categorical_feature_list, numerical_feature_list = encode_inputs(
            inputs, embedding_dims
        )
        # Stack categorical feature embeddings for the Tansformer.
        encoded_categorical_features = ops.stack(encoded_categorical_feature_list, axis=1)
        # Concatenate numerical features.
        numerical_features = layers.concatenate(numerical_feature_list)

        # Add column embedding to categorical feature embeddings.
        if use_column_embedding:
            num_columns = encoded_categorical_features.shape[1]
            column_embedding = layers.Embedding(
                input_dim=num_columns, output_dim=embedding_dims
            )
            column_indices = ops.arange(start=0, stop=num_columns, step=1)
            encoded_categorical_features = encoded_categorical_features + column_embedding(
                column_indices
            )

        # Create multiple layers of the Transformer block.
        for block_idx in range(num_transformer_blocks):
            # Create a multi-head attention layer.
            attention_output = layers.MultiHeadAttention(
                num_heads=num_heads,
                key_dim=embedding_dims,
                dropout=dropout_rate,
                name=f"multihead_attention_{block_idx}",
            )(encoded_categorical_features, encoded_categorical_features)
            # Skip connection 1.
            x = layers.Add(name=f"skip_connection1_{block_idx}")(
                [attention_output, encoded_categorical_features]
            )
            # Layer normalization 1.
            x = layers.LayerNormalization(name=f"layer_norm1_{block_idx}", epsilon=1e-6)(x)
            # Feedforward.
            feedforward_output = create_mlp(
                hidden_units=[embedding_dims],
                dropout_rate=dropout_rate,
                activation=keras.activations.gelu,
                normalization_layer=functools.partial(
                    layers.LayerNormalization, epsilon=1e-6
                ),  # using partial to provide keyword arguments before initialization
                name=f"feedforward_{block_idx}",
            )(x)
            # Skip connection 2.
            x = layers.Add(name=f"skip_connection2_{block_idx}")([feedforward_output, x])
            # Layer normalization 2.
            encoded_categorical_features = layers.LayerNormalization(
                name=f"layer_norm2_{block_idx}", epsilon=1e-6
            )(x)

        # Flatten the "contextualized" embeddings of the categorical features.
        categorical_features = layers.Flatten()(encoded_categorical_features)
        # Apply layer normalization to the numerical features.
        numerical_features = layers.LayerNormalization(epsilon=1e-6)(numerical_features)
        # Prepare the input for the final MLP block.
        features = layers.concatenate([categorical_features, numerical_features])

        # Compute MLP hidden_units.
        mlp_hidden_units = [
            factor * features.shape[-1] for factor in mlp_hidden_units_factors
        ]
        # Create final MLP.
        features = create_mlp(
            hidden_units=mlp_hidden_units,
            dropout_rate=dropout_rate,
            activation=keras.activations.selu,
            normalization_layer=layers.BatchNormalization,
            name="MLP",
        )(features)

        # Add a sigmoid as a binary classifer.
        outputs = layers.Dense(units=1, activation="sigmoid", name="sigmoid")(features)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    model = create_tabtransformer_classifier(
        num_transformer_blocks=num_transformer_blocks,
        num_heads=num_heads,
        embedding_dims=embedding_dims,
        mlp_hidden_units_factors=list(mlp_hidden_units_factors),
        dropout_rate=dropout_rate,
        use_column_embedding=use_column_embedding,
    )
    optimizer = keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.0001)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    return model


def _tab_data(rng, n):
    x = {name: rng.normal(size=n).astype("float32") for name in TAB_NUMERIC}
    x.update({name: rng.integers(0, len(vocabulary), n).astype("float32")
              for name, vocabulary in TAB_VOCABULARY.items()})
    return x, rng.integers(0, 2, n).astype("float32"), rng.uniform(0.5, 2.0, n).astype("float32")


def _tab_fit_run(lib, folder):
    """One library's fit of test_tabtransformer_like_keras (dropout off, weights drawn, the
    example's per-row weights): its history and evaluate. Real Keras's is a fixture written by
    scripts/make_keras_reference_fixtures.py (its compilations of the fit were half the test's
    time)."""
    x, y, weights = _tab_data(np.random.default_rng(0), 32)
    model = tabtransformer(*fresh_library(lib), dropout_rate=0.0)
    model.set_weights(_drawn_weights(model, seed=2, scale=0.3))
    found = _history_arrays(model.fit(x, y, sample_weight=weights, epochs=2, batch_size=8, verbose=0,
                                      shuffle=False).history)
    found["evaluate"] = [np.asarray(model.evaluate(x, y, sample_weight=weights, verbose=0), "float64")]
    return found


def test_tabtransformer_like_keras(tmp_path, narrow_terminal):
    """TabTransformer on census-like rows: the summary of a dict-input model whose categorical
    columns are float indices into Embeddings, stacked with `ops.stack` and given a column
    Embedding of `ops.arange`; predictions from the same weights, a fit with the example's
    per-row weights (its dataset yields them), evaluate (Keras's: `_tab_fit_run`'s fixture),
    and the files both ways."""
    rng = np.random.default_rng(0)
    x, y, weights = _tab_data(rng, 32)
    model, ref = _both(tabtransformer)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=1, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, what="predictions")
    _loads_both_ways(model, ref, x, tmp_path, None, None)

    import swiftkeras
    ours = _tab_fit_run(swiftkeras, tmp_path)
    keras = keras_reference("models", "keras_tabtransformer_fit.json")
    assert sorted(ours) == sorted(keras)
    # (the fit logs: AdamW's normalized steps of the LayerNormalization betas' near-zero
    # gradients differ by up to a step, 1e-3, between float orders)
    for key in keras:
        _close(ours[key], keras[key], rtol=5e-4 if key == "evaluate" else 1e-4, atol=1e-6, what=key)
    assert ours["loss"][0][-1] < ours["loss"][0][0]


# -- examples/vision/swin_transformers.py ------------------------------------------------------

def swin_transformer(keras, layers, ops, input_shape=(4, 4, 3), num_classes=10, patch_size=(2, 2),
                     dropout_rate=0.03, num_heads=4, embed_dim=16, num_mlp=32, qkv_bias=True,
                     window_size=2, shift_size=1, label_smoothing=0.1):
    num_patch_x = input_shape[0] // patch_size[0]
    num_patch_y = input_shape[1] // patch_size[1]
    learning_rate = 1e-3
    weight_decay = 0.0001

    def window_partition(x, window_size):
        _, height, width, channels = x.shape
        patch_num_y = height // window_size
        patch_num_x = width // window_size
        x = ops.reshape(
            x,
            (
                -1,
                patch_num_y,
                window_size,
                patch_num_x,
                window_size,
                channels,
            ),
        )
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        windows = ops.reshape(x, (-1, window_size, window_size, channels))
        return windows

    def window_reverse(windows, window_size, height, width, channels):
        patch_num_y = height // window_size
        patch_num_x = width // window_size
        x = ops.reshape(
            windows,
            (
                -1,
                patch_num_y,
                patch_num_x,
                window_size,
                window_size,
                channels,
            ),
        )
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        x = ops.reshape(x, (-1, height, width, channels))
        return x

    class WindowAttention(layers.Layer):
        def __init__(
            self,
            dim,
            window_size,
            num_heads,
            qkv_bias=True,
            dropout_rate=0.0,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.dim = dim
            self.window_size = window_size
            self.num_heads = num_heads
            self.scale = (dim // num_heads) ** -0.5
            self.qkv = layers.Dense(dim * 3, use_bias=qkv_bias)
            self.dropout = layers.Dropout(dropout_rate)
            self.proj = layers.Dense(dim)

            num_window_elements = (2 * self.window_size[0] - 1) * (
                2 * self.window_size[1] - 1
            )
            self.relative_position_bias_table = self.add_weight(
                shape=(num_window_elements, self.num_heads),
                initializer=keras.initializers.Zeros(),
                trainable=True,
            )
            coords_h = np.arange(self.window_size[0])
            coords_w = np.arange(self.window_size[1])
            coords_matrix = np.meshgrid(coords_h, coords_w, indexing="ij")
            coords = np.stack(coords_matrix)
            coords_flatten = coords.reshape(2, -1)
            relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
            relative_coords = relative_coords.transpose([1, 2, 0])
            relative_coords[:, :, 0] += self.window_size[0] - 1
            relative_coords[:, :, 1] += self.window_size[1] - 1
            relative_coords[:, :, 0] *= 2 * self.window_size[1] - 1
            relative_position_index = relative_coords.sum(-1)

            self.relative_position_index = keras.Variable(
                initializer=relative_position_index,
                shape=relative_position_index.shape,
                dtype="int",
                trainable=False,
            )

        def call(self, x, mask=None):
            _, size, channels = x.shape
            head_dim = channels // self.num_heads
            x_qkv = self.qkv(x)
            x_qkv = ops.reshape(x_qkv, (-1, size, 3, self.num_heads, head_dim))
            x_qkv = ops.transpose(x_qkv, (2, 0, 3, 1, 4))
            q, k, v = x_qkv[0], x_qkv[1], x_qkv[2]
            q = q * self.scale
            k = ops.transpose(k, (0, 1, 3, 2))
            attn = q @ k

            num_window_elements = self.window_size[0] * self.window_size[1]
            relative_position_index_flat = ops.reshape(self.relative_position_index, (-1,))
            relative_position_bias = ops.take(
                self.relative_position_bias_table,
                relative_position_index_flat,
                axis=0,
            )
            relative_position_bias = ops.reshape(
                relative_position_bias,
                (num_window_elements, num_window_elements, -1),
            )
            relative_position_bias = ops.transpose(relative_position_bias, (2, 0, 1))
            attn = attn + ops.expand_dims(relative_position_bias, axis=0)

            if mask is not None:
                nW = mask.shape[0]
                mask_float = ops.cast(
                    ops.expand_dims(ops.expand_dims(mask, axis=1), axis=0),
                    "float32",
                )
                attn = ops.reshape(attn, (-1, nW, self.num_heads, size, size)) + mask_float
                attn = ops.reshape(attn, (-1, self.num_heads, size, size))
                attn = keras.activations.softmax(attn, axis=-1)
            else:
                attn = keras.activations.softmax(attn, axis=-1)
            attn = self.dropout(attn)

            x_qkv = attn @ v
            x_qkv = ops.transpose(x_qkv, (0, 2, 1, 3))
            x_qkv = ops.reshape(x_qkv, (-1, size, channels))
            x_qkv = self.proj(x_qkv)
            x_qkv = self.dropout(x_qkv)
            return x_qkv

    class SwinTransformer(layers.Layer):
        def __init__(
            self,
            dim,
            num_patch,
            num_heads,
            window_size=7,
            shift_size=0,
            num_mlp=1024,
            qkv_bias=True,
            dropout_rate=0.0,
            **kwargs,
        ):
            super().__init__(**kwargs)

            self.dim = dim  # number of input dimensions
            self.num_patch = num_patch  # number of embedded patches
            self.num_heads = num_heads  # number of attention heads
            self.window_size = window_size  # size of window
            self.shift_size = shift_size  # size of window shift
            self.num_mlp = num_mlp  # number of MLP nodes

            self.norm1 = layers.LayerNormalization(epsilon=1e-5)
            self.attn = WindowAttention(
                dim,
                window_size=(self.window_size, self.window_size),
                num_heads=num_heads,
                qkv_bias=qkv_bias,
                dropout_rate=dropout_rate,
            )
            self.drop_path = layers.Dropout(dropout_rate)
            self.norm2 = layers.LayerNormalization(epsilon=1e-5)

            self.mlp = keras.Sequential(
                [
                    layers.Dense(num_mlp),
                    layers.Activation(keras.activations.gelu),
                    layers.Dropout(dropout_rate),
                    layers.Dense(dim),
                    layers.Dropout(dropout_rate),
                ]
            )

            if min(self.num_patch) < self.window_size:
                self.shift_size = 0
                self.window_size = min(self.num_patch)

        def build(self, input_shape):
            if self.shift_size == 0:
                self.attn_mask = None
            else:
                height, width = self.num_patch
                h_slices = (
                    slice(0, -self.window_size),
                    slice(-self.window_size, -self.shift_size),
                    slice(-self.shift_size, None),
                )
                w_slices = (
                    slice(0, -self.window_size),
                    slice(-self.window_size, -self.shift_size),
                    slice(-self.shift_size, None),
                )
                mask_array = np.zeros((1, height, width, 1))
                count = 0
                for h in h_slices:
                    for w in w_slices:
                        mask_array[:, h, w, :] = count
                        count += 1
                mask_array = ops.convert_to_tensor(mask_array)

                # mask array to windows
                mask_windows = window_partition(mask_array, self.window_size)
                mask_windows = ops.reshape(
                    mask_windows, [-1, self.window_size * self.window_size]
                )
                attn_mask = ops.expand_dims(mask_windows, axis=1) - ops.expand_dims(
                    mask_windows, axis=2
                )
                attn_mask = ops.where(attn_mask != 0, -100.0, attn_mask)
                attn_mask = ops.where(attn_mask == 0, 0.0, attn_mask)
                self.attn_mask = keras.Variable(
                    initializer=attn_mask,
                    shape=attn_mask.shape,
                    dtype=attn_mask.dtype,
                    trainable=False,
                )

        def call(self, x, training=False):
            height, width = self.num_patch
            _, num_patches_before, channels = x.shape
            x_skip = x
            x = self.norm1(x)
            x = ops.reshape(x, (-1, height, width, channels))
            if self.shift_size > 0:
                shifted_x = ops.roll(
                    x, shift=[-self.shift_size, -self.shift_size], axis=[1, 2]
                )
            else:
                shifted_x = x

            x_windows = window_partition(shifted_x, self.window_size)
            x_windows = ops.reshape(
                x_windows, (-1, self.window_size * self.window_size, channels)
            )
            attn_windows = self.attn(x_windows, mask=self.attn_mask)

            attn_windows = ops.reshape(
                attn_windows,
                (-1, self.window_size, self.window_size, channels),
            )
            shifted_x = window_reverse(
                attn_windows, self.window_size, height, width, channels
            )
            if self.shift_size > 0:
                x = ops.roll(
                    shifted_x, shift=[self.shift_size, self.shift_size], axis=[1, 2]
                )
            else:
                x = shifted_x

            x = ops.reshape(x, (-1, height * width, channels))
            x = self.drop_path(x, training=training)
            x = x_skip + x
            x_skip = x
            x = self.norm2(x)
            x = self.mlp(x)
            x = self.drop_path(x)
            x = x_skip + x
            return x

    class PatchEmbedding(layers.Layer):
        def __init__(self, num_patch, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.num_patch = num_patch
            self.proj = layers.Dense(embed_dim)
            self.pos_embed = layers.Embedding(input_dim=num_patch, output_dim=embed_dim)

        def call(self, patch):
            pos = ops.arange(start=0, stop=self.num_patch)
            return self.proj(patch) + self.pos_embed(pos)

    class PatchMerging(keras.layers.Layer):
        def __init__(self, num_patch, embed_dim):
            super().__init__()
            self.num_patch = num_patch
            self.embed_dim = embed_dim
            self.linear_trans = layers.Dense(2 * embed_dim, use_bias=False)

        def call(self, x):
            height, width = self.num_patch
            _, _, C = x.shape
            x = ops.reshape(x, (-1, height, width, C))
            x0 = x[:, 0::2, 0::2, :]
            x1 = x[:, 1::2, 0::2, :]
            x2 = x[:, 0::2, 1::2, :]
            x3 = x[:, 1::2, 1::2, :]
            x = ops.concatenate((x0, x1, x2, x3), axis=-1)
            x = ops.reshape(x, (-1, (height // 2) * (width // 2), 4 * C))
            return self.linear_trans(x)

    input = layers.Input(shape=(num_patch_x * num_patch_y,
                                patch_size[0] * patch_size[1] * input_shape[2]))
    x = PatchEmbedding(num_patch_x * num_patch_y, embed_dim)(input)
    x = SwinTransformer(
        dim=embed_dim,
        num_patch=(num_patch_x, num_patch_y),
        num_heads=num_heads,
        window_size=window_size,
        shift_size=0,
        num_mlp=num_mlp,
        qkv_bias=qkv_bias,
        dropout_rate=dropout_rate,
    )(x)
    x = SwinTransformer(
        dim=embed_dim,
        num_patch=(num_patch_x, num_patch_y),
        num_heads=num_heads,
        window_size=window_size,
        shift_size=shift_size,
        num_mlp=num_mlp,
        qkv_bias=qkv_bias,
        dropout_rate=dropout_rate,
    )(x)
    x = PatchMerging((num_patch_x, num_patch_y), embed_dim=embed_dim)(x)
    x = layers.GlobalAveragePooling1D()(x)
    output = layers.Dense(num_classes, activation="softmax")(x)

    model = keras.Model(input, output)
    model.compile(
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        optimizer=keras.optimizers.AdamW(
            learning_rate=learning_rate, weight_decay=weight_decay
        ),
        metrics=[
            keras.metrics.CategoricalAccuracy(name="accuracy"),
            keras.metrics.TopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )
    return model


def swin_patches(ops, images, patch_size=2):
    """The example's patch_extract, run in its tf.data map."""
    batch_size = ops.shape(images)[0]
    patches = ops.image.extract_patches(
        images=images,
        size=(patch_size, patch_size),
        strides=(patch_size, patch_size),
        dilation_rate=1,
        padding="valid",
    )
    patch_dim = patches.shape[-1]
    patch_num = patches.shape[1]
    return ops.reshape(patches, (batch_size, patch_num * patch_num, patch_dim))


def test_swin_transformer_like_keras(tmp_path, narrow_terminal):
    """Swin Transformer on 4x4 images in 2x2 patches, one 2x2 window (the example's 32x32 images
    make 256 patches in 64 windows; a layer called inside a traced call, WindowAttention, is
    traced on inputs of 2 and 3 windows, which its reshape to (-1, windows, ...) cannot split
    for more than one window per image: left): the example's patch_extract
    (`ops.image.extract_patches`) gives the same patches; its regular block and its shifted
    block, whose WindowAttention gets the windows' attention mask as `mask=` (a (windows, N, N)
    float Variable, not a mask of its input: Keras's call takes whatever `mask=` is given, and
    None where the block gives none); the summary, predictions from the same weights, a fit with
    label smoothing and top-5 accuracy, and the files both ways."""
    sk, keras = _libs()
    rng = np.random.default_rng(4)
    images = rng.uniform(size=(12, 4, 4, 3)).astype("float32")
    patches = [np.asarray(swin_patches(lib.ops, images)) for lib in (sk, keras)]
    _close(patches[0], patches[1], what="patches")
    x = patches[1]
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, len(x))]
    model, ref = _both(swin_transformer)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=5, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, what="predictions")

    model, ref = _both(swin_transformer, dropout_rate=0.0)
    _same_weights(model, ref, seed=6, scale=0.3)
    history = _fits_alike(model, ref, x, y, epochs=2, batch_size=4, weights=False)
    assert history["loss"][-1] < history["loss"][0]
    # (AdamW's steps on an entry of a relative position bias table whose gradient is near zero
    # amplify float32 rounding: 2e-4 apart after 8 steps; with SGD every weight agrees to 3e-7)
    for a, b, v in zip(model.get_weights(), ref.get_weights(), ref.weights):
        _close(a, b, rtol=1e-3, atol=5e-4, what=f"trained {v.path}")


# -- examples/keras_recipes/memory_efficient_embeddings.py -------------------------------------

def memory_efficient_recommender(keras, layers, ops, num_users=2500, num_movies=40,
                                 base_embedding_dim=8, baseline=False):
    user_embedding_num_buckets = num_users // 50

    class QREmbedding(keras.layers.Layer):
        def __init__(self, vocabulary_size, embedding_dim, num_buckets, name=None):
            super().__init__(name=name)
            self.num_buckets = num_buckets
            self.q_embeddings = layers.Embedding(
                num_buckets,
                embedding_dim,
            )
            self.r_embeddings = layers.Embedding(
                num_buckets,
                embedding_dim,
            )

        def call(self, embedding_index):
            # Get the quotient index.
            quotient_index = ops.floor_divide(embedding_index, self.num_buckets)
            # Get the reminder index.
            remainder_index = ops.mod(embedding_index, self.num_buckets)
            # Lookup the quotient_embedding using the quotient_index.
            quotient_embedding = self.q_embeddings(quotient_index)
            # Lookup the remainder_embedding using the remainder_index.
            remainder_embedding = self.r_embeddings(remainder_index)
            # Use multiplication as a combiner operation
            return quotient_embedding * remainder_embedding

    def embedding_encoder(vocabulary_size, embedding_dim, name=None):
        return keras.Sequential(
            [layers.Embedding(input_dim=vocabulary_size, output_dim=embedding_dim)],
            name=f"{name}_embedding" if name else None,
        )

    # Receive the user as an input.
    user_input = layers.Input(name="user_id", shape=(), dtype="int32")
    # Get user embedding.
    if baseline:
        user_embedding = embedding_encoder(num_users, base_embedding_dim, name="user")(
            user_input)
    else:
        user_embedding = QREmbedding(
            vocabulary_size=num_users,
            embedding_dim=base_embedding_dim,
            num_buckets=user_embedding_num_buckets,
            name="user_embedding",
        )(user_input)

    # Receive the movie as an input.
    movie_input = layers.Input(name="movie_id", shape=(), dtype="int32")
    # Get embedding.
    movie_embedding = embedding_encoder(
        vocabulary_size=num_movies, embedding_dim=base_embedding_dim, name="movie"
    )(movie_input)

    # Compute dot product similarity between user and movie embeddings.
    logits = layers.Dot(axes=1, name="dot_similarity")(
        [user_embedding, movie_embedding]
    )
    # Convert to rating scale.
    prediction = keras.activations.sigmoid(logits) * 5
    # Create the model.
    model = keras.Model(
        inputs=[user_input, movie_input], outputs=prediction, name="baseline_model"
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.001),
        loss=keras.losses.MeanSquaredError(),
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )
    return model


def test_memory_efficient_embeddings_like_keras(tmp_path, narrow_terminal):
    """The quotient-remainder embedding of users (`ops.floor_divide` and `ops.mod` of the index
    by 50 buckets, two Embeddings multiplied) beside the baseline's full embedding: the same
    summaries (the QR model's 5x fewer parameters), predictions, fits and files both ways. The
    example's StringLookup of user and movie ids runs in its tf.data pipeline (Keras's string
    tensors are TensorFlow's): the indices are the data; its MDEmbedding's block look-up is a
    tf.lookup.StaticHashTable, TensorFlow only, left out."""
    rng = np.random.default_rng(7)
    x = [rng.integers(0, 2500, 48).astype("int32"), rng.integers(0, 40, 48).astype("int32")]
    y = rng.uniform(0, 5, 48).astype("float32")
    counts = []
    for baseline in (True, False):
        model, ref = _both(memory_efficient_recommender, baseline=baseline)
        _same_summary(model, ref)
        counts.append(model.count_params())
        _same_weights(model, ref, seed=8, scale=0.5)
        _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-5,
               what="predictions")
        history = _fits_alike(model, ref, x, y, epochs=3, batch_size=16,
                              validation_data=(x, y))
        assert history["loss"][-1] < history["loss"][0]
        if baseline:
            _loads_both_ways(model, ref, x, tmp_path, None, None)
        else:   # (the example's QREmbedding takes no **kwargs: Keras cannot load it back)
            custom = [{"QREmbedding": type(m.get_layer("user_embedding"))} for m in (model, ref)]
            _loads_both_ways(model, ref, x, tmp_path, *custom,
                             keras_refuses="unexpected keyword argument 'trainable'")
    assert counts[0] > 5 * counts[1]


# -- examples/vision/token_learner.py ----------------------------------------------------------

def vit_token_learner(keras, layers, ops, INPUT_SHAPE=(32, 32, 3), IMAGE_SIZE=48, PATCH_SIZE=6,
                      PROJECTION_DIM=8, NUM_HEADS=2, NUM_LAYERS=2, NUM_TOKENS=4, NUM_CLASSES=10,
                      LAYER_NORM_EPS=1e-6, rate=0.1, use_token_learner=True):
    import math
    NUM_PATCHES = (IMAGE_SIZE // PATCH_SIZE) ** 2
    MLP_UNITS = [
        PROJECTION_DIM * 2,
        PROJECTION_DIM,
    ]
    data_augmentation = keras.Sequential(
        [
            layers.Rescaling(1 / 255.0),
            layers.Resizing(INPUT_SHAPE[0] + 20, INPUT_SHAPE[0] + 20),
            layers.RandomCrop(IMAGE_SIZE, IMAGE_SIZE),
            layers.RandomFlip("horizontal"),
        ],
        name="data_augmentation",
    )

    class PatchEncoder(layers.Layer):
        def __init__(self, num_patches, projection_dim):
            super().__init__()
            self.num_patches = num_patches
            self.position_embedding = layers.Embedding(
                input_dim=num_patches, output_dim=projection_dim
            )

        def call(self, patch):
            positions = ops.expand_dims(
                ops.arange(start=0, stop=self.num_patches, step=1), axis=0
            )
            encoded = patch + self.position_embedding(positions)
            return encoded

        def get_config(self):
            config = super().get_config()
            config.update({"num_patches": self.num_patches})
            return config

    def mlp(x, dropout_rate, hidden_units):
        # Iterate over the hidden units and
        # add Dense => Dropout.
        for units in hidden_units:
            x = layers.Dense(units, activation=ops.gelu)(x)
            x = layers.Dropout(dropout_rate)(x)
        return x

    def token_learner(inputs, number_of_tokens=NUM_TOKENS):
        # Layer normalize the inputs.
        x = layers.LayerNormalization(epsilon=LAYER_NORM_EPS)(inputs)  # (B, H, W, C)

        # Applying Conv2D => Reshape => Permute
        # The reshape and permute is done to help with the next steps of
        # multiplication and Global Average Pooling.
        attention_maps = keras.Sequential(
            [
                # 3 layers of conv with gelu activation as suggested
                # in the paper.
                layers.Conv2D(
                    filters=number_of_tokens,
                    kernel_size=(3, 3),
                    activation=ops.gelu,
                    padding="same",
                    use_bias=False,
                ),
                layers.Conv2D(
                    filters=number_of_tokens,
                    kernel_size=(3, 3),
                    activation=ops.gelu,
                    padding="same",
                    use_bias=False,
                ),
                layers.Conv2D(
                    filters=number_of_tokens,
                    kernel_size=(3, 3),
                    activation=ops.gelu,
                    padding="same",
                    use_bias=False,
                ),
                # This conv layer will generate the attention maps
                layers.Conv2D(
                    filters=number_of_tokens,
                    kernel_size=(3, 3),
                    activation="sigmoid",  # Note sigmoid for [0, 1] output
                    padding="same",
                    use_bias=False,
                ),
                # Reshape and Permute
                layers.Reshape((-1, number_of_tokens)),  # (B, H*W, num_of_tokens)
                layers.Permute((2, 1)),
            ]
        )(
            x
        )  # (B, num_of_tokens, H*W)

        # Reshape the input to align it with the output of the conv block.
        num_filters = inputs.shape[-1]
        inputs = layers.Reshape((1, -1, num_filters))(inputs)  # inputs == (B, 1, H*W, C)

        # Element-Wise multiplication of the attention maps and the inputs
        attended_inputs = (
            ops.expand_dims(attention_maps, axis=-1) * inputs
        )  # (B, num_tokens, H*W, C)

        # Global average pooling the element wise multiplication result.
        outputs = ops.mean(attended_inputs, axis=2)  # (B, num_tokens, C)
        return outputs

    def transformer(encoded_patches):
        # Layer normalization 1.
        x1 = layers.LayerNormalization(epsilon=LAYER_NORM_EPS)(encoded_patches)

        # Multi Head Self Attention layer 1.
        attention_output = layers.MultiHeadAttention(
            num_heads=NUM_HEADS, key_dim=PROJECTION_DIM, dropout=rate
        )(x1, x1)

        # Skip connection 1.
        x2 = layers.Add()([attention_output, encoded_patches])

        # Layer normalization 2.
        x3 = layers.LayerNormalization(epsilon=LAYER_NORM_EPS)(x2)

        # MLP layer 1.
        x4 = mlp(x3, hidden_units=MLP_UNITS, dropout_rate=rate)

        # Skip connection 2.
        encoded_patches = layers.Add()([x4, x2])
        return encoded_patches

    def create_vit_classifier(use_token_learner=True, token_learner_units=NUM_TOKENS):
        inputs = layers.Input(shape=INPUT_SHAPE)  # (B, H, W, C)

        # Augment data.
        augmented = data_augmentation(inputs)

        # Create patches and project the pathces.
        projected_patches = layers.Conv2D(
            filters=PROJECTION_DIM,
            kernel_size=(PATCH_SIZE, PATCH_SIZE),
            strides=(PATCH_SIZE, PATCH_SIZE),
            padding="VALID",
        )(augmented)
        _, h, w, c = projected_patches.shape
        projected_patches = layers.Reshape((h * w, c))(
            projected_patches
        )  # (B, number_patches, projection_dim)

        # Add positional embeddings to the projected patches.
        encoded_patches = PatchEncoder(
            num_patches=NUM_PATCHES, projection_dim=PROJECTION_DIM
        )(
            projected_patches
        )  # (B, number_patches, projection_dim)
        encoded_patches = layers.Dropout(rate)(encoded_patches)

        # Iterate over the number of layers and stack up blocks of
        # Transformer.
        for i in range(NUM_LAYERS):
            # Add a Transformer block.
            encoded_patches = transformer(encoded_patches)

            # Add TokenLearner layer in the middle of the
            # architecture. The paper suggests that anywhere
            # between 1/2 or 3/4 will work well.
            if use_token_learner and i == NUM_LAYERS // 2:
                _, hh, c = encoded_patches.shape
                h = int(math.sqrt(hh))
                encoded_patches = layers.Reshape((h, h, c))(
                    encoded_patches
                )  # (B, h, h, projection_dim)
                encoded_patches = token_learner(
                    encoded_patches, token_learner_units
                )  # (B, num_tokens, c)

        # Layer normalization and Global average pooling.
        representation = layers.LayerNormalization(epsilon=LAYER_NORM_EPS)(encoded_patches)
        representation = layers.GlobalAvgPool1D()(representation)

        # Classify outputs.
        outputs = layers.Dense(NUM_CLASSES, activation="softmax")(representation)

        # Create the Keras model.
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    model = create_vit_classifier(use_token_learner)
    optimizer = keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4)
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )
    return model


def _token_learner_run(lib, folder):
    """One library's side of test_token_learner_vit_like_keras: the summary, parameter count and
    weight shapes, the predictions from drawn weights, and the top-5 accuracy after a fit with a
    best-weights checkpoint loaded back. Real Keras's side is a fixture written by
    scripts/make_keras_reference_fixtures.py: Keras's RandomCrop does not support jit, so
    Keras fits and predicts this model eagerly, one XLA compilation per operation and shape
    (about 680, three quarters of the test's 38 s)."""
    rng = np.random.default_rng(9)
    x = rng.uniform(0, 255, (8, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, 8)
    model = vit_token_learner(*fresh_library(lib))
    found = {"summary": [np.array(summary_lines(model))], "params": [np.int64(model.count_params())],
             "shapes": [np.array(v.shape, np.int64) for v in model.weights]}
    model.set_weights(_drawn_weights(model, seed=10, scale=0.3))
    found["predictions"] = [model.predict(x, verbose=0)]
    path = os.path.join(folder, "best.weights.h5")
    checkpoint = lib.callbacks.ModelCheckpoint(path, monitor="val_accuracy",
                                               save_best_only=True, save_weights_only=True)
    model.fit(x[:6], y[:6], validation_data=(x[6:], y[6:]), epochs=1, batch_size=3, verbose=0,
              callbacks=[checkpoint])
    model.load_weights(path)
    found["top-5 accuracy after training"] = [np.float64(model.evaluate(x, y, verbose=0)[2])]
    return found


def test_token_learner_vit_like_keras(tmp_path, narrow_terminal):
    """The mini ViT with TokenLearner on CIFAR-sized images (2 Transformer blocks, the token
    learner after the second, and width 8; the example's 4 blocks of width 128 make Keras's
    compilation a minute of CPU): augmentation layers inside the
    model (Rescaling, Resizing to 52, RandomCrop to 48, RandomFlip: at inference Keras's
    RandomCrop leaves the 52x52 image as it is, and 52 // 6 patches per side are 48 // 6), a
    function as activation (`activation=ops.gelu`), the token learner's Sequential ending in
    Reshape((-1, tokens)) and Permute, `ops.mean` over tokens; the summary, predictions, a fit
    with top-5 accuracy and a best-weights checkpoint loaded back, as real Keras's
    (`_token_learner_run`'s fixture)."""
    import swiftkeras
    ours = _token_learner_run(swiftkeras, tmp_path)
    keras = keras_reference("models", "keras_token_learner_vit.json")
    assert list(ours) == list(keras)
    assert ours["summary"][0].tolist() == keras["summary"][0].tolist()
    for name in ("params", "shapes"):
        assert [a.tolist() for a in ours[name]] == [a.tolist() for a in keras[name]], name
    _close(ours["predictions"], keras["predictions"], rtol=1e-4, what="predictions")
    _close(ours["top-5 accuracy after training"], keras["top-5 accuracy after training"],
           what="top-5 accuracy after training")


# -- examples/audio/transformer_asr.py ---------------------------------------------------------

def asr_custom_schedule(keras, layers, ops):
    class CustomSchedule(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(
            self,
            init_lr=0.00001,
            lr_after_warmup=0.001,
            final_lr=0.00001,
            warmup_epochs=15,
            decay_epochs=85,
            steps_per_epoch=203,
        ):
            super().__init__()
            self.init_lr = init_lr
            self.lr_after_warmup = lr_after_warmup
            self.final_lr = final_lr
            self.warmup_epochs = warmup_epochs
            self.decay_epochs = decay_epochs
            self.steps_per_epoch = steps_per_epoch

        def calculate_lr(self, epoch):
            """linear warm up - linear decay"""
            warmup_lr = (
                self.init_lr
                + ((self.lr_after_warmup - self.init_lr) / (self.warmup_epochs - 1)) * epoch
            )
            decay_lr = ops.maximum(
                self.final_lr,
                self.lr_after_warmup
                - (epoch - self.warmup_epochs)
                * (self.lr_after_warmup - self.final_lr)
                / self.decay_epochs,
            )
            return ops.minimum(warmup_lr, decay_lr)

        def __call__(self, step):
            epoch = step // self.steps_per_epoch
            epoch = ops.cast(epoch, "float32")
            return self.calculate_lr(epoch)

    return CustomSchedule


def transformer_asr(keras, layers, ops, num_hid=8, num_head=2, num_feed_forward=16,
                    target_maxlen=6, num_layers_enc=2, num_layers_dec=1, num_classes=34,
                    steps_per_epoch=2):
    class TokenEmbedding(layers.Layer):
        def __init__(self, num_vocab=1000, maxlen=100, num_hid=64):
            super().__init__()
            self.emb = keras.layers.Embedding(num_vocab, num_hid)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=num_hid)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            x = self.emb(x)
            positions = ops.arange(start=0, stop=maxlen, step=1)
            positions = self.pos_emb(positions)
            return x + positions

    class SpeechFeatureEmbedding(layers.Layer):
        def __init__(self, num_hid=64, maxlen=100):
            super().__init__()
            self.conv1 = keras.layers.Conv1D(
                num_hid, 11, strides=2, padding="same", activation="relu"
            )
            self.conv2 = keras.layers.Conv1D(
                num_hid, 11, strides=2, padding="same", activation="relu"
            )
            self.conv3 = keras.layers.Conv1D(
                num_hid, 11, strides=2, padding="same", activation="relu"
            )

        def call(self, x):
            x = self.conv1(x)
            x = self.conv2(x)
            return self.conv3(x)

    class TransformerEncoder(layers.Layer):
        def __init__(self, embed_dim, num_heads, feed_forward_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential(
                [
                    layers.Dense(feed_forward_dim, activation="relu"),
                    layers.Dense(embed_dim),
                ]
            )
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs, training=False):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output, training=training)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output, training=training)
            return self.layernorm2(out1 + ffn_output)

    class TransformerDecoder(layers.Layer):
        def __init__(self, embed_dim, num_heads, feed_forward_dim, dropout_rate=0.1):
            super().__init__()
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm3 = layers.LayerNormalization(epsilon=1e-6)
            self.self_att = layers.MultiHeadAttention(
                num_heads=num_heads, key_dim=embed_dim
            )
            self.enc_att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.self_dropout = layers.Dropout(0.5)
            self.enc_dropout = layers.Dropout(0.1)
            self.ffn_dropout = layers.Dropout(0.1)
            self.ffn = keras.Sequential(
                [
                    layers.Dense(feed_forward_dim, activation="relu"),
                    layers.Dense(embed_dim),
                ]
            )

        def causal_attention_mask(self, batch_size, n_dest, n_src, dtype):
            """Masks the upper half of the dot product matrix in self attention.

            This prevents flow of information from future tokens to current token.
            1's in the lower triangle, counting from the lower right corner.
            """
            i = ops.arange(n_dest)[:, None]
            j = ops.arange(n_src)
            m = i >= j - n_src + n_dest
            mask = ops.cast(m, dtype)
            mask = ops.reshape(mask, [1, n_dest, n_src])
            mult = ops.concatenate(
                [ops.expand_dims(batch_size, -1), ops.convert_to_tensor([1, 1])], 0
            )
            return ops.tile(mask, mult)

        def call(self, enc_out, target):
            input_shape = ops.shape(target)
            batch_size = input_shape[0]
            seq_len = input_shape[1]
            causal_mask = self.causal_attention_mask(batch_size, seq_len, seq_len, "bool")
            target_att = self.self_att(target, target, attention_mask=causal_mask)
            target_norm = self.layernorm1(target + self.self_dropout(target_att))
            enc_out = self.enc_att(target_norm, enc_out)
            enc_out_norm = self.layernorm2(self.enc_dropout(enc_out) + target_norm)
            ffn_out = self.ffn(enc_out_norm)
            ffn_out_norm = self.layernorm3(enc_out_norm + self.ffn_dropout(ffn_out))
            return ffn_out_norm

    class Transformer(keras.Model):
        def __init__(
            self,
            num_hid=64,
            num_head=2,
            num_feed_forward=128,
            source_maxlen=100,
            target_maxlen=100,
            num_layers_enc=4,
            num_layers_dec=1,
            num_classes=10,
        ):
            super().__init__()
            self.loss_metric = keras.metrics.Mean(name="loss")
            self.num_layers_enc = num_layers_enc
            self.num_layers_dec = num_layers_dec
            self.target_maxlen = target_maxlen
            self.num_classes = num_classes

            self.enc_input = SpeechFeatureEmbedding(num_hid=num_hid, maxlen=source_maxlen)
            self.dec_input = TokenEmbedding(
                num_vocab=num_classes, maxlen=target_maxlen, num_hid=num_hid
            )

            self.encoder = keras.Sequential(
                [self.enc_input]
                + [
                    TransformerEncoder(num_hid, num_head, num_feed_forward)
                    for _ in range(num_layers_enc)
                ]
            )

            for i in range(num_layers_dec):
                setattr(
                    self,
                    f"dec_layer_{i}",
                    TransformerDecoder(num_hid, num_head, num_feed_forward),
                )

            self.classifier = layers.Dense(num_classes)

        def decode(self, enc_out, target):
            y = self.dec_input(target)
            for i in range(self.num_layers_dec):
                y = getattr(self, f"dec_layer_{i}")(enc_out, y)
            return y

        def call(self, inputs):
            source = inputs[0]
            target = inputs[1]
            x = self.encoder(source)
            y = self.decode(x, target)
            return self.classifier(y)

        def generate(self, source, target_start_token_idx):
            """Performs inference over one batch of inputs using greedy decoding."""
            bs = ops.shape(source)[0]
            enc = self.encoder(source)
            dec_input = ops.ones((bs, 1), dtype="int32") * target_start_token_idx
            dec_logits = []
            for i in range(self.target_maxlen - 1):
                dec_out = self.decode(enc, dec_input)
                logits = self.classifier(dec_out)
                logits = ops.argmax(logits, axis=-1)
                last_logit = ops.expand_dims(logits[:, -1], axis=-1)
                dec_logits.append(last_logit)
                dec_input = ops.concatenate([dec_input, last_logit], axis=-1)
            return dec_input

    CustomSchedule = asr_custom_schedule(keras, layers, ops)

    model = Transformer(
        num_hid=num_hid,
        num_head=num_head,
        num_feed_forward=num_feed_forward,
        target_maxlen=target_maxlen,
        num_layers_enc=num_layers_enc,
        num_layers_dec=num_layers_dec,
        num_classes=num_classes,
    )
    loss_fn = keras.losses.CategoricalCrossentropy(
        from_logits=True,
        label_smoothing=0.1,
    )

    learning_rate = CustomSchedule(
        init_lr=0.00001,
        lr_after_warmup=0.001,
        final_lr=0.00001,
        warmup_epochs=15,
        decay_epochs=85,
        steps_per_epoch=steps_per_epoch,
    )
    optimizer = keras.optimizers.Adam(learning_rate)
    model.compile(optimizer=optimizer, loss=loss_fn)
    return model


def test_transformer_asr_encoder_and_schedule_like_keras(narrow_terminal):
    """The speech Transformer's parts that run alike: its encoder (a Sequential of the strided
    Conv1D SpeechFeatureEmbedding and TransformerEncoder layers holding MultiHeadAttention and
    a Sequential feed-forward) predicting from the same weights on spectrogram frames, and its
    CustomSchedule (a LearningRateSchedule subclass of ops.maximum / ops.minimum over
    `step // steps_per_epoch`) giving the same rates, and the same rate after a fit with
    Adam(CustomSchedule(...)) (its `__call__` traced into the library's graph of the step).
    Left: the whole model's eager call is refused while
    its TransformerDecoder is traced (the causal mask tiled by the target's batch size fixes
    that input's batch, not the encoder output's)."""
    sk, keras = _libs()
    rng = np.random.default_rng(14)
    source = rng.normal(size=(4, 48, 129)).astype("float32")
    models = _both(transformer_asr)
    encoders = [m.encoder for m in models]
    for e in encoders:
        e.build((None, 48, 129))
    shapes = [[tuple(v.shape) for v in e.weights] for e in encoders]
    assert shapes[0] == shapes[1]
    _same_weights(encoders[0], encoders[1], seed=15, scale=0.3)
    _close(encoders[0].predict(source, verbose=0), encoders[1].predict(source, verbose=0),
           rtol=1e-4, what="encoder")

    rates = []
    for lib in (sk, keras):
        learning_rate = asr_custom_schedule(*fresh_library(lib))(
            init_lr=0.00001, lr_after_warmup=0.001, final_lr=0.00001, warmup_epochs=15,
            decay_epochs=85, steps_per_epoch=2)
        rates.append([float(np.asarray(learning_rate(step)))
                      for step in (0, 1, 2, 3, 29, 30, 31, 200, 400)])
    _close(rates[0], rates[1], what="CustomSchedule")
    assert rates[0][0] == np.float32(1e-5) and rates[0][2] > rates[0][0]
    after = []
    for lib in (sk, keras):
        lib, layers, ops = fresh_library(lib)
        schedule = asr_custom_schedule(lib, layers, ops)(
            init_lr=0.00001, lr_after_warmup=0.001, final_lr=0.00001, warmup_epochs=3,
            decay_epochs=5, steps_per_epoch=2)
        model = lib.Sequential([lib.Input((3,)), layers.Dense(1)])
        model.compile(optimizer=lib.optimizers.Adam(schedule), loss="mse")
        model.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), batch_size=4, epochs=3,
                  verbose=0)
        after.append(float(np.asarray(model.optimizer.learning_rate)))
    _close(after[0], after[1], what="the compiled CustomSchedule's rate after 6 steps")


# -- examples/timeseries/eeg_signal_classification.py ------------------------------------------

def eeg_conv_model(keras, layers, ops, num_classes=5, filters=(32, 64, 128, 256, 512, 1024),
                   units=(4096, 2048, 1024, 128), rate=0.2):
    def create_model():
        input_layer = keras.Input(shape=(512, 1))

        x = layers.Conv1D(
            filters=filters[0], kernel_size=3, strides=2, activation="relu", padding="same"
        )(input_layer)
        x = layers.BatchNormalization()(x)

        x = layers.Conv1D(
            filters=filters[1], kernel_size=3, strides=2, activation="relu", padding="same"
        )(x)
        x = layers.BatchNormalization()(x)

        x = layers.Conv1D(
            filters=filters[2], kernel_size=5, strides=2, activation="relu", padding="same"
        )(x)
        x = layers.BatchNormalization()(x)

        x = layers.Conv1D(
            filters=filters[3], kernel_size=5, strides=2, activation="relu", padding="same"
        )(x)
        x = layers.BatchNormalization()(x)

        x = layers.Conv1D(
            filters=filters[4], kernel_size=7, strides=2, activation="relu", padding="same"
        )(x)
        x = layers.BatchNormalization()(x)

        x = layers.Conv1D(
            filters=filters[5], kernel_size=7, strides=2, activation="relu", padding="same"
        )(x)
        x = layers.BatchNormalization()(x)

        x = layers.Dropout(rate)(x)

        x = layers.Flatten()(x)

        x = layers.Dense(units[0], activation="relu")(x)
        x = layers.Dropout(rate)(x)

        x = layers.Dense(
            units[1], activation="relu", kernel_regularizer=keras.regularizers.L2()
        )(x)
        x = layers.Dropout(rate)(x)

        x = layers.Dense(
            units[2], activation="relu", kernel_regularizer=keras.regularizers.L2()
        )(x)
        x = layers.Dropout(rate)(x)
        x = layers.Dense(
            units[3], activation="relu", kernel_regularizer=keras.regularizers.L2()
        )(x)
        output_layer = layers.Dense(num_classes, activation="softmax")(x)

        return keras.Model(inputs=input_layer, outputs=output_layer)

    conv_model = create_model()
    optimizer = keras.optimizers.Adam(amsgrad=True, learning_rate=0.001)
    loss = keras.losses.CategoricalCrossentropy()
    conv_model.compile(
        optimizer=optimizer,
        loss=loss,
        metrics=[
            keras.metrics.TopKCategoricalAccuracy(k=3),
            keras.metrics.AUC(),
            keras.metrics.Precision(),
            keras.metrics.Recall(),
        ],
    )
    return conv_model


EEG_SIZES = dict(filters=(4, 4, 8, 8, 8, 8), units=(32, 16, 16, 8))


def _eeg_data():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(20, 512, 1)).astype("float32")
    labels = rng.integers(0, 5, 20)
    return x, labels, np.eye(5, dtype="float32")[labels]


def _eeg_fit_run(lib, folder):
    """One library's fit of test_eeg_signal_classification_like_keras (dropout off, weights
    drawn): its history, after its legacy best_model.h5 checkpoint has been checked to predict
    as the model. Real Keras's is a fixture written by scripts/make_keras_reference_fixtures.py
    (its compilations of the fit with AUC, Precision and Recall, and of the checkpoint's
    predictions, were most of the test's time)."""
    x, labels, y = _eeg_data()
    model = eeg_conv_model(*fresh_library(lib), rate=0.0, **EEG_SIZES)
    model.set_weights(_drawn_weights(model, seed=13, scale=0.3))
    total = len(labels)
    weight_dict = {int(k): 1 - v / total for k, v in zip(*np.unique(labels, return_counts=True))}
    path = os.path.join(folder, "best_model.h5")
    callbacks = [lib.callbacks.ModelCheckpoint(path, save_best_only=True, monitor="loss"),
                 lib.callbacks.ReduceLROnPlateau(monitor="val_top_k_categorical_accuracy",
                                                 factor=0.2, patience=2, min_lr=0.000001)]
    history = model.fit(x[:16], y[:16], validation_data=(x[16:], y[16:]), epochs=3, batch_size=8,
                        verbose=0, shuffle=False, callbacks=callbacks, class_weight=weight_dict).history
    best = lib.models.load_model(path)
    _close(best.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-4,
           what=f"{lib.__name__} best_model.h5 after a falling loss")
    return _history_arrays(history)


def test_eeg_signal_classification_like_keras(tmp_path, narrow_terminal):
    """The EEG Conv1D classifier (widths smaller): strided Conv1D and BatchNormalization,
    Dense layers with L2() regularizers, Adam(amsgrad=True), TopKCategoricalAccuracy(k=3), AUC,
    Precision and Recall, the example's class weights (1 - share of the class), a legacy
    "best_model.h5" checkpoint on the loss and ReduceLROnPlateau on val top-3 accuracy; the
    summary, predictions, the same fit logs from the same weights (Keras's: `_eeg_fit_run`'s
    fixture), and the files both ways."""
    x, _, _ = _eeg_data()
    model, ref = _both(eeg_conv_model, **EEG_SIZES)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=12, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, what="predictions")
    _loads_both_ways(model, ref, x, tmp_path, None, None)

    import swiftkeras
    ours = _eeg_fit_run(swiftkeras, tmp_path)
    keras = keras_reference("models", "keras_eeg_fit.json")
    assert sorted(ours) == sorted(keras)
    for key in keras:
        _close(ours[key], keras[key], rtol=2e-4, atol=1e-6, what=key)
    assert ours["loss"][0][-1] < ours["loss"][0][0]
