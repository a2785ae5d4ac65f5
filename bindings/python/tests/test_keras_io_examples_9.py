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
sample weights; its StringLookup runs in a tf.data map, left out: the indices are the data).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import functools

import numpy as np

from conftest import needs, CORE, summary_lines
from test_keras_io_examples_3 import _both, _close, _fits_alike, _loads_both_ways, _same_weights
from test_keras_io_guides_3 import narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


def _same_summary(model, ref):
    assert summary_lines(model) == summary_lines(ref)
    assert model.count_params() == ref.count_params()
    assert [tuple(v.shape) for v in model.weights] == [tuple(v.shape) for v in ref.weights]


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


def test_tabtransformer_like_keras(tmp_path, narrow_terminal):
    """TabTransformer on census-like rows: the summary of a dict-input model whose categorical
    columns are float indices into Embeddings, stacked with `ops.stack` and given a column
    Embedding of `ops.arange`; predictions from the same weights, a fit with the example's
    per-row weights (its dataset yields them), evaluate, and the files both ways."""
    rng = np.random.default_rng(0)
    x, y, weights = _tab_data(rng, 32)
    model, ref = _both(tabtransformer)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=1, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, what="predictions")
    _loads_both_ways(model, ref, x, tmp_path, None, None)

    model, ref = _both(tabtransformer, dropout_rate=0.0)
    _same_weights(model, ref, seed=2, scale=0.3)
    # (the fit logs: AdamW's normalized steps of the LayerNormalization betas' near-zero
    # gradients differ by up to a step, 1e-3, between float orders)
    history = _fits_alike(model, ref, x, y, sample_weight=weights, epochs=2, batch_size=8,
                          weights=False)
    assert history["loss"][-1] < history["loss"][0]
    _close(model.evaluate(x, y, sample_weight=weights, verbose=0),
           ref.evaluate(x, y, sample_weight=weights, verbose=0), rtol=5e-4, what="evaluate")
