"""keras.io examples as the test (a thirteenth set): each example's model code as the tutorial
writes it (Keras 3 versions, `keras.ops` where the example writes `tf.*`; only the import
differs), on small synthetic data of the example's shapes and dtypes, run on swiftkeras and on
real Keras 3 (JAX backend): the same summary and parameter count, the same predictions and fit
from the same weights (Keras's numbers for the fits are fixtures written by
scripts/make_keras_reference_fixtures.py: `_gnn_baseline_run`, `_fraud_run`). None of these
examples saves a model.

Sources (keras-team/keras-io):
examples/graph/gnn_citations.py
(https://keras.io/examples/graph/gnn_citations/: the baseline of five FFN blocks, each a
Sequential of BatchNormalization, Dropout and Dense with a function activation (`tf.nn.gelu`,
here `keras.activations.gelu`), joined by named Add skip connections, SparseCategoricalCrossentropy
from logits, SparseCategoricalAccuracy(name="acc"), EarlyStopping on val_acc with
restore_best_weights and validation_split, the softmax of its predictions on new instances; and
the GNNNodeClassifier, a Model subclass holding the graph (node features, edges, edge weights)
as arrays and applying its FFNs and GraphConvLayers to them in `call` before `ops.take` of the
input node indices (`ops.segment_sum` and `ops.take` where the example calls
tf.math.unsorted_segment_sum and tf.gather, `ops.normalize` for tf.nn.l2_normalize): a strict
xfail, see its reason; the Cora download and its networkx plot are a random graph here),
examples/timeseries/event_classification_for_payment_card_fraud_detection.py
(https://keras.io/examples/timeseries/event_classification_for_payment_card_fraud_detection/:
the feed-forward network over a list of named scalar Inputs, one per Temporian feature,
concatenated, fed a dict of columns keyed by those names; Accuracy and AUC metrics; its
Temporian features and tf.data resampling are random columns of those names here).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import numpy as np
import pytest

from conftest import needs, CORE, fresh_library, keras_draws_from_numpy, keras_reference
from test_keras_io_examples_3 import _both, _close, _drawn_weights, _same_weights
from test_keras_io_examples_8 import _same_summary
from test_keras_io_guides_3 import _libs, narrow_terminal  # noqa: F401 (a fixture)

pytestmark = needs(*CORE)


# -- examples/graph/gnn_citations.py -----------------------------------------------------------

def gnn_parts(keras, layers, ops):
    """(create_baseline_model, GNNNodeClassifier) as the example writes them."""
    def create_ffn(hidden_units, dropout_rate, name=None):
        fnn_layers = []
        for units in hidden_units:
            fnn_layers.append(layers.BatchNormalization())
            fnn_layers.append(layers.Dropout(dropout_rate))
            fnn_layers.append(layers.Dense(units, activation=keras.activations.gelu))
        return keras.Sequential(fnn_layers, name=name)

    def create_baseline_model(hidden_units, num_classes, num_features, dropout_rate=0.2):
        inputs = layers.Input(shape=(num_features,), name="input_features")
        x = create_ffn(hidden_units, dropout_rate, name="ffn_block1")(inputs)
        for block_idx in range(4):
            # Create an FFN block.
            x1 = create_ffn(hidden_units, dropout_rate, name=f"ffn_block{block_idx + 2}")(x)
            # Add skip connection.
            x = layers.Add(name=f"skip_connection{block_idx + 2}")([x, x1])
        # Compute logits.
        logits = layers.Dense(num_classes, name="logits")(x)
        # Create the model.
        return keras.Model(inputs=inputs, outputs=logits, name="baseline")

    class GraphConvLayer(layers.Layer):
        def __init__(self, hidden_units, dropout_rate=0.2, aggregation_type="mean",
                     combination_type="concat", normalize=False, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.aggregation_type = aggregation_type
            self.combination_type = combination_type
            self.normalize = normalize
            self.ffn_prepare = create_ffn(hidden_units, dropout_rate)
            self.update_fn = create_ffn(hidden_units, dropout_rate)

        def prepare(self, node_repesentations, weights=None):
            # node_repesentations shape is [num_edges, embedding_dim].
            messages = self.ffn_prepare(node_repesentations)
            if weights is not None:
                messages = messages * ops.expand_dims(weights, -1)
            return messages

        def aggregate(self, node_indices, neighbour_messages, node_repesentations):
            num_nodes = node_repesentations.shape[0]
            if self.aggregation_type == "sum":
                aggregated_message = ops.segment_sum(
                    neighbour_messages, node_indices, num_segments=num_nodes)
            elif self.aggregation_type == "max":
                aggregated_message = ops.segment_max(
                    neighbour_messages, node_indices, num_segments=num_nodes)
            else:
                raise ValueError(f"Invalid aggregation type: {self.aggregation_type}.")
            return aggregated_message

        def update(self, node_repesentations, aggregated_messages):
            if self.combination_type == "concat":
                h = ops.concatenate([node_repesentations, aggregated_messages], axis=1)
            elif self.combination_type == "add":
                h = node_repesentations + aggregated_messages
            else:
                raise ValueError(f"Invalid combination type: {self.combination_type}.")
            node_embeddings = self.update_fn(h)
            if self.normalize:
                node_embeddings = ops.normalize(node_embeddings, axis=-1)
            return node_embeddings

        def call(self, inputs):
            node_repesentations, edges, edge_weights = inputs
            node_indices, neighbour_indices = edges[0], edges[1]
            neighbour_repesentations = ops.take(node_repesentations, neighbour_indices, axis=0)
            neighbour_messages = self.prepare(neighbour_repesentations, edge_weights)
            aggregated_messages = self.aggregate(
                node_indices, neighbour_messages, node_repesentations)
            return self.update(node_repesentations, aggregated_messages)

    class GNNNodeClassifier(keras.Model):
        def __init__(self, graph_info, num_classes, hidden_units, aggregation_type="sum",
                     combination_type="concat", dropout_rate=0.2, normalize=True, *args,
                     **kwargs):
            super().__init__(*args, **kwargs)
            node_features, edges, edge_weights = graph_info
            self.node_features = node_features
            self.edges = edges
            self.edge_weights = edge_weights
            if self.edge_weights is None:
                self.edge_weights = ops.ones(shape=edges.shape[1])
            self.edge_weights = self.edge_weights / ops.sum(self.edge_weights)
            self.preprocess = create_ffn(hidden_units, dropout_rate, name="preprocess")
            self.conv1 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type,
                                        combination_type, normalize, name="graph_conv1")
            self.conv2 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type,
                                        combination_type, normalize, name="graph_conv2")
            self.postprocess = create_ffn(hidden_units, dropout_rate, name="postprocess")
            self.compute_logits = layers.Dense(units=num_classes, name="logits")

        def call(self, input_node_indices):
            x = self.preprocess(self.node_features)
            x1 = self.conv1((x, self.edges, self.edge_weights))
            x = x1 + x
            x2 = self.conv2((x, self.edges, self.edge_weights))
            x = x2 + x
            x = self.postprocess(x)
            node_embeddings = ops.take(x, input_node_indices, axis=0)
            return self.compute_logits(node_embeddings)

    return create_baseline_model, GNNNodeClassifier


def run_experiment(keras, model, x_train, y_train, num_epochs, batch_size, learning_rate=0.01):
    """The example's run_experiment (its 300 epochs, batch 256 and patience 50 smaller)."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_acc", patience=2, restore_best_weights=True)
    return model.fit(x=x_train, y=y_train, epochs=num_epochs, batch_size=batch_size,
                     validation_split=0.15, callbacks=[early_stopping], verbose=0, shuffle=False)


CORA = dict(num_nodes=30, num_features=12, num_classes=7, num_edges=60)


def cora_like(seed=0):
    """Binary word vectors, subjects and citation edges of Cora's kinds, fewer."""
    rng = np.random.default_rng(seed)
    features = (rng.random((CORA["num_nodes"], CORA["num_features"])) < 0.3).astype("float32")
    subjects = rng.integers(0, CORA["num_classes"], CORA["num_nodes"])
    edges = rng.integers(0, CORA["num_nodes"], (2, CORA["num_edges"]))
    return features, subjects, edges


def _gnn_baseline_run(lib, folder=None):
    """One library's run of the baseline classifier from drawn weights (dropout off): its
    predictions, the fit's history (stopped early, the best weights restored), the weights
    after it, evaluate, and the softmax of its logits on new binary instances drawn from the
    training words' frequencies. Real Keras's is a fixture written by
    scripts/make_keras_reference_fixtures.py (`gnn_baseline_fit`)."""
    x, y, _ = cora_like()
    create_baseline_model, _ = gnn_parts(*fresh_library(lib))
    model = create_baseline_model([8, 8], CORA["num_classes"], CORA["num_features"],
                                  dropout_rate=0.0)
    model.set_weights(_drawn_weights(model, seed=1))
    run = {"predict": [model.predict(x, verbose=0)]}
    history = run_experiment(lib, model, x, y, num_epochs=12, batch_size=8).history
    run.update({key: [np.asarray(values, np.float32)] for key, values in history.items()})
    run["trained"] = model.get_weights()
    run["evaluate"] = [np.asarray(model.evaluate(x, y, verbose=0), np.float32)]
    token_probability = x.mean(axis=0)
    rng = np.random.default_rng(5)
    new_instances = np.array([(rng.uniform(size=len(token_probability)) <= token_probability)
                              .astype(int) for _ in range(CORA["num_classes"])])
    logits = model.predict(new_instances, verbose=0)
    run["probabilities"] = [np.asarray(lib.activations.softmax(lib.ops.convert_to_tensor(logits)))]
    return run


def test_gnn_citations_baseline_trains_like_keras(narrow_terminal):
    """The baseline classifier: Keras's summary (nested Sequential blocks and their skip
    connections); from the same weights, Keras's predictions, a fit with validation_split
    stopped by EarlyStopping on val_acc with the best weights restored, evaluate, and class
    probabilities (`_gnn_baseline_run`; Keras's numbers a fixture)."""
    import swiftkeras
    with keras_draws_from_numpy():   # (only the summaries compare: no weights)
        model, ref = _both(lambda keras, layers, ops: gnn_parts(keras, layers, ops)[0](
            [8, 8], CORA["num_classes"], CORA["num_features"], dropout_rate=0.0))
    _same_summary(model, ref)
    ours, keras = _gnn_baseline_run(swiftkeras), keras_reference("models", "keras_gnn_baseline_fit.json")
    assert sorted(ours) == sorted(keras) == sorted(
        ["predict", "acc", "loss", "val_acc", "val_loss", "trained", "evaluate", "probabilities"])
    assert len(ours["loss"][0]) == len(keras["loss"][0]) < 12   # (stopped early)
    for key in keras:
        for a, b in zip(ours[key], keras[key]):
            _close(a, b, rtol=1e-4, atol=2e-5, what=key)
    _close(np.sum(ours["probabilities"][0], axis=-1), np.ones(CORA["num_classes"]), what="sum to 1")


@pytest.mark.xfail(strict=True, raises=ValueError, reason=(
    "the GNNNodeClassifier's call applies its FFNs and GraphConvLayers to the graph it holds as "
    "arrays (node features, edges), not to its inputs, and only at the end takes the input node "
    "indices' rows: a subclassed model's call is traced here from its inputs into the library's "
    "graph, so layers called on constant arrays run eagerly at trace time (here GraphConvLayer's "
    "eager call packs its three inputs, of different leading sizes, and numpy refuses); the "
    "library's graph has no constant tensors that layers with weights can take, and the "
    "example's node axis (all nodes) differs from its batch axis (the indices)"))
def test_gnn_citations_node_classifier_like_keras():
    sk, keras = _libs()
    features, subjects, edges = cora_like()
    models = []
    for lib in (sk, keras):
        keras_, layers, ops = fresh_library(lib)
        _, GNNNodeClassifier = gnn_parts(keras_, layers, ops)
        graph_info = (features, edges, ops.ones(shape=edges.shape[1]))
        gnn_model = GNNNodeClassifier(graph_info=graph_info, num_classes=CORA["num_classes"],
                                      hidden_units=[8, 8], dropout_rate=0.0, name="gnn_model")
        assert tuple(gnn_model(np.array([1, 10, 20])).shape) == (3, CORA["num_classes"])
        models.append(gnn_model)
    model, ref = models
    _same_summary(model, ref)
    _same_weights(model, ref, seed=2)
    node_ids = np.arange(CORA["num_nodes"])
    _close(model.predict(node_ids, verbose=0), ref.predict(node_ids, verbose=0),
           what="predictions")


# -- examples/timeseries/event_classification_for_payment_card_fraud_detection.py ----------------

def fraud_feature_names():
    """The lower-case feature names the example's Temporian pipeline makes, in its order."""
    names = []
    for n in [7, 14, 28]:
        names += [f"sum_transactions_{n}_days", f"count_transactions_{n}_days"]
    for n in [7, 14, 28]:
        names += [f"count_fraud_transactions_{n}_days", f"rate_fraud_transactions_{n}_days"]
    return names + ["calendar_hour", "calendar_day_of_week"]


def fraud_model(keras, layers, ops, input_feature_names):
    inputs = [keras.Input(shape=(1,), name=name) for name in input_feature_names]
    x = keras.layers.concatenate(inputs)
    x = keras.layers.Dense(32, activation="sigmoid")(x)
    x = keras.layers.Dense(16, activation="sigmoid")(x)
    x = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=inputs, outputs=x)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.Accuracy(), keras.metrics.AUC()],
    )
    return model


def _fraud_run(lib, folder=None):
    """One library's run of the fraud classifier from drawn weights, fed dicts of (batch,)
    columns keyed by its Inputs' names (as the example's tf.data maps make them, here in
    another order than the Inputs'): its predictions, the fit's history with validation data
    and evaluate's dict. Real Keras's is a fixture written by
    scripts/make_keras_reference_fixtures.py (`fraud_detection_fit`)."""
    names = fraud_feature_names()
    rng = np.random.default_rng(0)

    def features(n):
        return {k: rng.normal(size=(n,)).astype("float32") for k in reversed(names)}
    x_train, y_train = features(64), (rng.random(64) < 0.2).astype("int32")
    x_valid, y_valid = features(32), (rng.random(32) < 0.2).astype("int32")
    model = fraud_model(*fresh_library(lib), names)
    model.set_weights(_drawn_weights(model, seed=2, scale=0.3))
    run = {"predict": [model.predict(x_valid, verbose=0)]}
    history = model.fit(x_train, y_train, batch_size=32, epochs=2, shuffle=False, verbose=0,
                        validation_data=(x_valid, y_valid)).history
    run.update({key: [np.asarray(values, np.float32)] for key, values in history.items()})
    evaluated = model.evaluate(x_valid, y_valid, verbose=0, return_dict=True)
    run.update({f"evaluate_{k}": [np.float32(v)] for k, v in evaluated.items()})
    return run


def test_fraud_detection_network_on_named_feature_columns(narrow_terminal):
    """The feed-forward network over one named Input per feature: Keras's summary; fed dicts
    of columns keyed by the Inputs' names, from the same weights, Keras's predictions, fit logs
    with validation data (Accuracy, exact equality of the probabilities with the 0/1 labels,
    stays 0 as in Keras; AUC) and evaluate (`_fraud_run`; Keras's numbers a fixture)."""
    import swiftkeras
    with keras_draws_from_numpy():   # (only the summaries compare: no weights)
        model, ref = _both(fraud_model, fraud_feature_names())
    _same_summary(model, ref)
    ours, keras = _fraud_run(swiftkeras), keras_reference("models", "keras_fraud_detection_fit.json")
    assert sorted(ours) == sorted(keras) == sorted(
        ["predict", "accuracy", "auc", "loss", "val_accuracy", "val_auc", "val_loss",
         "evaluate_accuracy", "evaluate_auc", "evaluate_loss"])
    for key in keras:
        _close(ours[key], keras[key], rtol=1e-4, what=key)
