"""keras.io examples as the test (a sixth set): each example's model code as the tutorial
writes it (Keras 3 versions; only the import differs), on small synthetic data of the example's
shapes and dtypes, run on swiftkeras and on real Keras 3 (JAX backend): the same summary, the
same predictions and fit from the same weights, and `.keras` files loaded both ways.

Sources (keras-team/keras-io):
examples/structured_data/classification_with_grn_and_vsn.py
(https://keras.io/examples/structured_data/classification_with_grn_and_vsn/: GatedLinearUnit,
GatedResidualNetwork and VariableSelection, a layer called on the model's dict of inputs that
holds its embeddings and projections in dicts by feature name, each layer with `build(self)`),
and examples/structured_data/deep_neural_decision_forests.py
(https://keras.io/examples/structured_data/deep_neural_decision_forests/, experiment 1: the
NeuralDecisionTree model, with its own `add_weight` in `__init__`, `ops.ones([batch_size, 1,
1])` of the batch size read with `ops.shape`, and `keras.activations.softmax` of its weight).
The census data the examples download are random features of the same dtypes (a few numeric
and categorical columns, small vocabularies); sizes (encoding size, depth) are smaller so each
test runs in seconds. Dropout draws from each library's own random stream, so the GRN/VSN fit
is compared on the same model with `dropout_rate=0`.
"""
import numpy as np
import pytest

from conftest import needs, CORE, summary_lines
from test_keras_io_examples_3 import _both, _close, _fits_alike, _loads_both_ways, _same_weights
from test_keras_io_guides_3 import narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)

KERAS_REFUSES = "unexpected keyword argument '(name|trainable)'"

# The examples' dataset metadata, for random data: two numeric and two categorical features.
NUMERIC_FEATURE_NAMES = ["age", "wage_per_hour"]
CATEGORICAL_FEATURES_WITH_VOCABULARY = {"education": ["a", "b", "c"],
                                        "race": ["w", "x", "y", "z", "v", "u", "t"]}
FEATURE_NAMES = NUMERIC_FEATURE_NAMES + list(CATEGORICAL_FEATURES_WITH_VOCABULARY)


def census_like(rows, seed=0, categorical_dtype="int64"):
    """Features of the examples' kinds (float32 numbers, integer category indices) and labels."""
    rng = np.random.default_rng(seed)
    x = {name: rng.normal(size=rows).astype("float32") for name in NUMERIC_FEATURE_NAMES}
    for name, vocabulary in CATEGORICAL_FEATURES_WITH_VOCABULARY.items():
        x[name] = rng.integers(0, len(vocabulary), rows).astype(categorical_dtype)
    return x, rng.integers(0, 2, rows)


# -- examples/structured_data/classification_with_grn_and_vsn.py -----------------------------

def grn_vsn_model(keras, layers, ops, encoding_size=4, dropout_rate=0.15):
    def create_model_inputs():
        inputs = {}
        for feature_name in FEATURE_NAMES:
            if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                # Make them int64, they are Categorical (whole units)
                inputs[feature_name] = layers.Input(
                    name=feature_name, shape=(), dtype="int64"
                )
            else:
                # Make them float32, they are Real numbers
                inputs[feature_name] = layers.Input(
                    name=feature_name, shape=(), dtype="float32"
                )
        return inputs

    class GatedLinearUnit(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.linear = layers.Dense(units)
            self.sigmoid = layers.Dense(units, activation="sigmoid")

        def call(self, inputs):
            return self.linear(inputs) * self.sigmoid(inputs)

        # Remove build warnings
        def build(self):
            self.built = True

    class GatedResidualNetwork(layers.Layer):
        def __init__(self, units, dropout_rate):
            super().__init__()
            self.units = units
            self.elu_dense = layers.Dense(units, activation="elu")
            self.linear_dense = layers.Dense(units)
            self.dropout = layers.Dropout(dropout_rate)
            self.gated_linear_unit = GatedLinearUnit(units)
            self.layer_norm = layers.LayerNormalization()
            self.project = layers.Dense(units)

        def call(self, inputs):
            x = self.elu_dense(inputs)
            x = self.linear_dense(x)
            x = self.dropout(x)
            if inputs.shape[-1] != self.units:
                inputs = self.project(inputs)
            x = inputs + self.gated_linear_unit(x)
            x = self.layer_norm(x)
            return x

        # Remove build warnings
        def build(self):
            self.built = True

    class VariableSelection(layers.Layer):
        def __init__(self, num_features, units, dropout_rate):
            super().__init__()
            self.units = units
            # Create an embedding layers with the specified dimensions
            self.embeddings = dict()
            for input_ in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[input_]
                embedding_encoder = layers.Embedding(
                    input_dim=len(vocabulary), output_dim=self.units, name=input_
                )
                self.embeddings[input_] = embedding_encoder

            # Projection layers for numeric features
            self.proj_layer = dict()
            for input_ in NUMERIC_FEATURE_NAMES:
                proj_layer = layers.Dense(units=self.units)
                self.proj_layer[input_] = proj_layer

            self.grns = list()
            # Create a GRN for each feature independently
            for idx in range(num_features):
                grn = GatedResidualNetwork(units, dropout_rate)
                self.grns.append(grn)
            # Create a GRN for the concatenation of all the features
            self.grn_concat = GatedResidualNetwork(units, dropout_rate)
            self.softmax = layers.Dense(units=num_features, activation="softmax")

        def call(self, inputs):
            concat_inputs = []
            for input_ in inputs:
                if input_ in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                    max_index = self.embeddings[input_].input_dim - 1  # Clamp the indices
                    # torch had some index errors during embedding hence the clip function
                    embedded_feature = self.embeddings[input_](
                        keras.ops.clip(inputs[input_], 0, max_index)
                    )
                    concat_inputs.append(embedded_feature)
                else:
                    # Project the numeric feature to encoding_size using linear transformation.
                    proj_feature = keras.ops.expand_dims(inputs[input_], -1)
                    proj_feature = self.proj_layer[input_](proj_feature)
                    concat_inputs.append(proj_feature)

            v = layers.concatenate(concat_inputs)
            v = self.grn_concat(v)
            v = keras.ops.expand_dims(self.softmax(v), axis=-1)
            x = []
            for idx, input in enumerate(concat_inputs):
                x.append(self.grns[idx](input))
            x = keras.ops.stack(x, axis=1)
            return keras.ops.squeeze(
                keras.ops.matmul(keras.ops.transpose(v, axes=[0, 2, 1]), x), axis=1
            )

        # to remove the build warnings
        def build(self):
            self.built = True

    def create_model(encoding_size):
        inputs = create_model_inputs()
        num_features = len(inputs)
        features = VariableSelection(num_features, encoding_size, dropout_rate)(inputs)
        outputs = layers.Dense(units=1, activation="sigmoid")(features)
        # Functional model
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    model = create_model(encoding_size)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    return model, {"VariableSelection": VariableSelection,
                   "GatedResidualNetwork": GatedResidualNetwork,
                   "GatedLinearUnit": GatedLinearUnit}


def test_grn_vsn_on_a_dict_of_inputs_like_keras(tmp_path, narrow_terminal):
    """VariableSelection is called on the model's dict of inputs and reads them by feature name
    (`inputs[input_]`): the library refused the call ("could not make a numeric array of it"),
    and a traced call got its inputs as a list. Its node now keeps the dict as Keras writes it
    (the library gives it back to the call, as it does a call of several arguments), the layers
    it holds in dicts are tracked as Keras tracks them, and `build(self)` (no input shape) is
    called as Keras calls it: the summary, weight paths, predictions, a fit (without dropout:
    each library draws its own masks) and files equal Keras's."""
    x, y = census_like(32)
    (model, custom), (ref, ref_custom) = _both(grn_vsn_model)
    assert summary_lines(model) == summary_lines(ref)
    assert [v.path for v in model.weights] == [v.path for v in ref.weights]
    _same_weights(model, ref, seed=1, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="probabilities")
    _loads_both_ways(model, ref, x, tmp_path, custom, ref_custom, keras_refuses=KERAS_REFUSES)

    (model, _), (ref, _) = _both(grn_vsn_model, dropout_rate=0.0)
    _same_weights(model, ref, seed=2, scale=0.3)
    _fits_alike(model, ref, x, y, batch_size=8, epochs=2)


# -- examples/structured_data/deep_neural_decision_forests.py ---------------------------------

def decision_tree_model(keras, layers, ops, depth=3, num_classes=2):
    import math
    np.random.seed(0)   # the tree's feature mask (np.random.choice), the same in both libraries

    def create_model_inputs():
        inputs = {}
        for feature_name in FEATURE_NAMES:
            if feature_name in NUMERIC_FEATURE_NAMES:
                inputs[feature_name] = layers.Input(
                    name=feature_name, shape=(), dtype="float32"
                )
            else:
                inputs[feature_name] = layers.Input(
                    name=feature_name, shape=(), dtype="int32"
                )
        return inputs

    def encode_inputs(inputs):
        encoded_features = []
        for feature_name in inputs:
            if feature_name in CATEGORICAL_FEATURES_WITH_VOCABULARY:
                vocabulary = CATEGORICAL_FEATURES_WITH_VOCABULARY[feature_name]
                value_index = inputs[feature_name]
                # (the example's `lookup.vocabulary_size()`: its StringLookup's, the vocabulary's)
                embedding_dims = int(math.sqrt(len(vocabulary)))
                # Create an embedding layer with the specified dimensions.
                embedding = layers.Embedding(
                    input_dim=len(vocabulary), output_dim=embedding_dims
                )
                # Convert the index values to embedding representations.
                encoded_feature = embedding(value_index)
            else:
                # Use the numerical features as-is.
                encoded_feature = inputs[feature_name]
                if inputs[feature_name].shape[-1] is None:
                    encoded_feature = keras.ops.expand_dims(encoded_feature, -1)

            encoded_features.append(encoded_feature)

        encoded_features = layers.concatenate(encoded_features)
        return encoded_features

    class NeuralDecisionTree(keras.Model):
        def __init__(self, depth, num_features, used_features_rate, num_classes):
            super().__init__()
            self.depth = depth
            self.num_leaves = 2**depth
            self.num_classes = num_classes

            # Create a mask for the randomly selected features.
            num_used_features = int(num_features * used_features_rate)
            one_hot = np.eye(num_features)
            sampled_feature_indices = np.random.choice(
                np.arange(num_features), num_used_features, replace=False
            )
            self.used_features_mask = ops.convert_to_tensor(
                one_hot[sampled_feature_indices], dtype="float32"
            )

            # Initialize the weights of the classes in leaves.
            self.pi = self.add_weight(
                initializer="random_normal",
                shape=[self.num_leaves, self.num_classes],
                dtype="float32",
                trainable=True,
            )

            # Initialize the stochastic routing layer.
            self.decision_fn = layers.Dense(
                units=self.num_leaves, activation="sigmoid", name="decision"
            )

        def call(self, features):
            batch_size = ops.shape(features)[0]

            # Apply the feature mask to the input features.
            features = ops.matmul(
                features, ops.transpose(self.used_features_mask)
            )  # [batch_size, num_used_features]
            # Compute the routing probabilities.
            decisions = ops.expand_dims(
                self.decision_fn(features), axis=2
            )  # [batch_size, num_leaves, 1]
            # Concatenate the routing probabilities with their complements.
            decisions = layers.concatenate(
                [decisions, 1 - decisions], axis=2
            )  # [batch_size, num_leaves, 2]

            mu = ops.ones([batch_size, 1, 1])

            begin_idx = 1
            end_idx = 2
            # Traverse the tree in breadth-first order.
            for level in range(self.depth):
                mu = ops.reshape(mu, [batch_size, -1, 1])  # [batch_size, 2 ** level, 1]
                mu = ops.tile(mu, (1, 1, 2))  # [batch_size, 2 ** level, 2]
                level_decisions = decisions[
                    :, begin_idx:end_idx, :
                ]  # [batch_size, 2 ** level, 2]
                mu = mu * level_decisions  # [batch_size, 2**level, 2]
                begin_idx = end_idx
                end_idx = begin_idx + 2 ** (level + 1)

            mu = ops.reshape(mu, [batch_size, self.num_leaves])  # [batch_size, num_leaves]
            probabilities = keras.activations.softmax(self.pi)  # [num_leaves, num_classes]
            outputs = ops.matmul(mu, probabilities)  # [batch_size, num_classes]
            return outputs

    def create_tree_model():
        inputs = create_model_inputs()
        features = encode_inputs(inputs)
        features = layers.BatchNormalization()(features)
        num_features = features.shape[1]

        tree = NeuralDecisionTree(depth, num_features, 1.0, num_classes)

        outputs = tree(features)
        model = keras.Model(inputs=inputs, outputs=outputs)
        return model

    model = create_tree_model()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    return model, {"NeuralDecisionTree": NeuralDecisionTree}


def test_neural_decision_tree_like_keras(tmp_path, narrow_terminal):
    """The decision tree, a subclassed model called on the encoded features: its call makes
    `ops.ones([batch_size, 1, 1])` and reshapes by `batch_size`, read with `ops.shape` from a
    layer output (the library refused: "the shape (None, 1, 1) has an unknown size"), and takes
    `keras.activations.softmax` of its own weight (the library asked the unbuilt weight for a
    value). The batch size is now read from the tensor where the graph runs, the activation is
    the op, and the tree's own weight is listed first under the tree's path (it was last, under
    a hidden layer's): summary, weights, predictions and a fit equal Keras's. Keras 3.15.1 cannot
    save this model (a subclassed Model gets no automatic config: `Model.__new__` passes
    Operation no arguments, so get_config raises NotImplementedError); the library writes its
    file, whose config holds Keras's base arguments (trainable, dtype), which the tree's
    constructor does not take: loading it is Keras's TypeError, as Keras's `cls(**config)` is
    for any such model (keras.io's ModelWithCustomCompile, test_keras_io_guides_2)."""
    import swiftkeras
    x, y = census_like(32, categorical_dtype="int32")
    (model, custom), (ref, _) = _both(decision_tree_model)
    assert summary_lines(model) == summary_lines(ref)
    assert [v.path for v in model.weights] == [v.path for v in ref.weights]
    _same_weights(model, ref, seed=1, scale=0.3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="probabilities")
    _fits_alike(model, ref, x, y, batch_size=8, epochs=2)
    with pytest.raises(NotImplementedError, match="must override `get_config\\(\\)`"):
        ref.save(str(tmp_path / "keras.keras"))
    model.save(str(tmp_path / "ours.keras"))
    with pytest.raises(TypeError, match="could not be deserialized properly"):
        swiftkeras.models.load_model(str(tmp_path / "ours.keras"), custom_objects=custom)
