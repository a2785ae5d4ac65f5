"""keras.io examples as the test (a thirteenth set): each example's model code as the tutorial
writes it (Keras 3 versions, `keras.ops` where the example writes `tf.*`; only the import
differs), on small synthetic data of the example's shapes and dtypes, run on swiftkeras and on
real Keras 3 (JAX backend): the same summary and parameter count, the same predictions and fit
from the same weights (Keras's numbers for the fits are fixtures written by
scripts/make_keras_reference_fixtures.py: `_gnn_baseline_run`, `_gnn_classifier_run`,
`_table_lookup_run`, `_fraud_run`), and `.keras`
files loaded both ways where the example saves (the two feature-engineering examples).

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
tf.math.unsorted_segment_sum and tf.gather, `ops.normalize` for tf.nn.l2_normalize): its whole
call is one layer of the library's op graph, the arrays its constants (and so a smaller model of
that kind whose call takes `training`); the Cora download and its networkx plot are a random
graph here),
examples/timeseries/event_classification_for_payment_card_fraud_detection.py
(https://keras.io/examples/timeseries/event_classification_for_payment_card_fraud_detection/:
the feed-forward network over a list of named scalar Inputs, one per Temporian feature,
concatenated, fed a dict of columns keyed by those names; Accuracy and AUC metrics; its
Temporian features and tf.data resampling are random columns of those names here),
examples/generative/vae.py
(https://keras.io/examples/generative/vae/: the VAE, a Model subclass that defines no `call`,
its encoder (whose Sampling layer draws from a SeedGenerator) and decoder held as attributes,
its three Mean trackers returned by a `metrics` property: its weights, variables, layers,
metrics_names, set_weights and summary are Keras's, its parts' (the encoder and decoder of
test_keras_io_examples.py); its train_step, whose loss is computed from the parts' outputs
outside `compute_loss` and differentiated by tf.GradientTape (keras.GradientTape here), is a
strict xfail, see its reason),
examples/structured_data/feature_engineering_with_custom_layer.py
(https://keras.io/examples/structured_data/feature_engineering_with_custom_layer/: the
FeatureLayer engineering features from a dict of thirteen Inputs inside its call, with
comparisons (`inputs["sex"] == 1`), logical_and, casts, a ratio and a product joined by
`keras.layers.concatenate`, BatchNormalization and a sigmoid Dense, BinaryAccuracy and AUC, the
model saved and loaded and evaluated as `dict(zip(metrics_names, evaluate(...)))`; its
`thal` column of strings is a float code here (Keras with JAX holds no string tensors), its
tf.data CSV reader random rows of the heart data's ranges, its plot_model left out). The
elementwise `==` it found missing in a traced call is tested on its own first. And its sibling
examples/structured_data/feature_engineering_with_lambda.py
(https://keras.io/examples/structured_data/feature_engineering_with_lambda/: the same
features made by Lambda layers of named functions on one input or a tuple of two, named
concatenations, the input-layer graph whose outputs are its dict of Inputs, the feature graphs
and the model; its file loads with the functions as custom objects).
The datasets the examples download are random data of the same shapes, fewer and smaller;
widths are smaller so each test runs in seconds. Dropout draws from each library's own random
stream, so fits are compared on the same model built with rate 0.
"""
import numpy as np
import pytest

from conftest import needs, CORE, fresh_library, keras_draws_from_numpy, keras_reference, summary_lines
from test_keras_io_examples_3 import (_both, _close, _drawn_weights, _fits_alike, _loads_both_ways,
                                      _same_weights)
from test_keras_io_examples import vae as keras_io_vae
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


def gnn_classifier(lib):
    """The example's GNNNodeClassifier of the Cora-like graph (dropout off), built by its first
    call on three node indices, as the example calls it."""
    keras, layers, ops = fresh_library(lib)
    _, GNNNodeClassifier = gnn_parts(keras, layers, ops)
    features, _, edges = cora_like()
    graph_info = (features, edges, ops.ones(shape=edges.shape[1]))
    model = GNNNodeClassifier(graph_info=graph_info, num_classes=CORA["num_classes"],
                              hidden_units=[8, 8], dropout_rate=0.0, name="gnn_model")
    assert tuple(model(np.array([1, 10, 20])).shape) == (3, CORA["num_classes"])
    return model


def _gnn_classifier_run(lib, folder=None):
    """One library's run of the GNN node classifier from drawn weights: its predictions for
    every node, the example's fit on node indices (validation_split, EarlyStopping), the
    weights after it and evaluate. Real Keras's is a fixture written by
    scripts/make_keras_reference_fixtures.py (`gnn_classifier_fit`)."""
    _, subjects, _ = cora_like()
    model = gnn_classifier(lib)
    model.set_weights(_drawn_weights(model, seed=2))
    node_ids = np.arange(CORA["num_nodes"])
    run = {"predict": [model.predict(node_ids, verbose=0)]}
    history = run_experiment(lib, model, node_ids, subjects, num_epochs=4, batch_size=8).history
    run.update({key: [np.asarray(values, np.float32)] for key, values in history.items()})
    run["trained"] = model.get_weights()
    run["evaluate"] = [np.asarray(model.evaluate(node_ids, subjects, verbose=0), np.float32)]
    return run


def test_gnn_citations_node_classifier_like_keras(narrow_terminal, tmp_path):
    """The GNNNodeClassifier applies its FFNs and GraphConvLayers to the graph it holds as
    arrays (all 30 nodes), not to its inputs, and takes the input node indices' rows at the
    end: its whole call is one layer of the library's op graph, those arrays its constants, so
    the batch (the indices) and the node axis differ. Keras's summary (the shapes its layers
    were built with by the first call: the node axis, and the three indices for the logits),
    weights and paths; from the same weights, Keras's predictions, fit (on JAX, whose fit calls
    a model whose call takes no `training` without one: BatchNormalization keeps its moving
    statistics) and evaluate (`_gnn_classifier_run`; Keras's numbers a fixture). Its graph's
    arrays are constructor arguments Keras's automatic config cannot hold: get_config and
    save refuse as Keras's do."""
    import swiftkeras
    sk, keras = _libs()
    model, ref = gnn_classifier(sk), gnn_classifier(keras)
    _same_summary(model, ref)
    assert [v.path for v in model.weights] == [v.path for v in ref.weights]
    assert [layer.name for layer in model.layers] == [layer.name for layer in ref.layers] == \
        ["preprocess", "graph_conv1", "graph_conv2", "postprocess", "logits"]
    refused = "Object GNNNodeClassifier was created by passing\nnon-serializable argument values"
    for m in (model, ref):
        with pytest.raises(NotImplementedError, match=refused):
            m.get_config()
        with pytest.raises(NotImplementedError, match=refused):
            m.save(tmp_path / "gnn.keras")
    ours, keras = _gnn_classifier_run(swiftkeras), keras_reference("models", "keras_gnn_classifier_fit.json")
    assert sorted(ours) == sorted(keras) == sorted(
        ["predict", "acc", "loss", "val_acc", "val_loss", "trained", "evaluate"])
    for key in keras:
        for a, b in zip(ours[key], keras[key]):
            _close(a, b, rtol=1e-4, atol=2e-5, what=key)


def table_lookup_model(keras, layers, ops):
    """A Model subclass whose call applies its layers to a table it holds (six rows) in the
    training mode it is given, and returns the rows of the input indices."""
    class TableLookup(keras.Model):
        def __init__(self, table, **kwargs):
            super().__init__(**kwargs)
            self.table = table
            self.norm = layers.BatchNormalization()
            self.dense = layers.Dense(3, activation="tanh")

        def call(self, indices, training=False):
            rows = self.dense(self.norm(self.table, training=training))
            return ops.take(rows, ops.cast(indices, "int32"), axis=0)

    table = np.random.default_rng(3).normal(size=(6, 4)).astype("float32")
    return TableLookup(table, name="lookup")


def _table_lookup_run(lib, folder=None):
    """One library's run of `table_lookup_model` from drawn weights: predictions, a 2-epoch fit
    (SGD, mse) and the weights after it (BatchNormalization's moving statistics among them).
    Real Keras's is a fixture written by scripts/make_keras_reference_fixtures.py
    (`held_array_fit`)."""
    indices = np.array([0, 5, 2, 2, 1, 3, 4, 0])
    y = np.random.default_rng(4).normal(size=(8, 3)).astype("float32")
    model = table_lookup_model(*fresh_library(lib))
    model(indices[:2])
    model.set_weights(_drawn_weights(model, seed=5, scale=0.5))
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    run = {"drawn": model.get_weights(), "predict": [model.predict(indices, verbose=0)]}
    run["loss"] = [np.asarray(model.fit(indices, y, epochs=2, batch_size=4, shuffle=False,
                                        verbose=0).history["loss"], np.float32)]
    run["trained"] = model.get_weights()
    run["predict_after"] = [model.predict(indices, verbose=0)]
    return run


def test_model_call_on_held_array_trains_in_the_mode_given():
    """A call taking `training`, given it by fit: the layers it applies to the array it holds
    train in that mode (BatchNormalization's batch statistics over the six rows, its moving
    statistics moved), as in Keras: Keras's predictions, losses and trained weights
    (`_table_lookup_run`; Keras's numbers a fixture)."""
    import swiftkeras
    ours, keras = _table_lookup_run(swiftkeras), keras_reference("models", "keras_held_array_fit.json")
    assert sorted(ours) == sorted(keras)
    for key in keras:
        for a, b in zip(ours[key], keras[key]):
            _close(a, b, rtol=1e-4, atol=2e-5, what=key)
    moving_mean = 2   # (gamma, beta, moving_mean, moving_variance, kernel, bias)
    assert not np.allclose(ours["trained"][moving_mean], ours["drawn"][moving_mean], atol=1e-3)


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


# -- examples/generative/vae.py ----------------------------------------------------------------

def vae_parts(keras, layers, ops):
    """The example's VAE of its encoder (with the Sampling layer) and decoder, as
    test_keras_io_examples.py builds them."""
    decoder, _, _, fit = keras_io_vae(keras, layers, ops)
    encoder = fit["extra"]["encoder"]

    class VAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
            self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [
                self.total_loss_tracker,
                self.reconstruction_loss_tracker,
                self.kl_loss_tracker,
            ]

        def train_step(self, data):
            with keras.GradientTape() as tape:
                z_mean, z_log_var, z = self.encoder(data)
                reconstruction = self.decoder(z)
                reconstruction_loss = ops.mean(
                    ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2)))
                kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
                kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
                total_loss = reconstruction_loss + kl_loss
            grads = tape.gradient(total_loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.total_loss_tracker.update_state(total_loss)
            self.reconstruction_loss_tracker.update_state(reconstruction_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return {
                "loss": self.total_loss_tracker.result(),
                "reconstruction_loss": self.reconstruction_loss_tracker.result(),
                "kl_loss": self.kl_loss_tracker.result(),
            }

    return VAE(encoder, decoder)


def _model_without_call_facts(vae):
    """What Keras reports of a Model subclass without `call` that holds built parts."""
    facts = {"paths": [v.path for v in vae.weights],
             "trainable": [v.path for v in vae.trainable_weights],
             "non_trainable": [v.path for v in vae.non_trainable_weights],
             "variables": len(vae.variables), "non_trainable_variables": len(vae.non_trainable_variables),
             "layers": [layer.name for layer in vae.layers], "built": vae.built,
             "shapes": [np.shape(w) for w in vae.get_weights()],
             "same objects": vae.trainable_weights[0] is vae.encoder.weights[0] and
             vae.weights[-1] is vae.decoder.weights[-1]}
    with pytest.raises(ValueError, match="You tried to call `count_params` on layer 'vae', but "
                       "the layer isn't built"):
        vae.count_params()
    return facts


def test_vae_model_without_call_holds_its_parts_weights():
    """The VAE defines no `call`: as in Keras, its weights, trainable and non-trainable weights
    and variables (the Sampling layer's seed state) are its encoder's and decoder's, the same
    objects; its layers are the two parts; it is not built (count_params says so); its
    `metrics` property gives `metrics_names`; set_weights writes into the parts (the encoder's
    z_mean and z_log_var and the decoder's images then Keras's); a frozen encoder's weights
    count as non-trainable."""
    sk, keras = _libs()
    with keras_draws_from_numpy():   # (the weights are set below)
        vae, ref = _both(vae_parts)
    assert _model_without_call_facts(vae) == _model_without_call_facts(ref)
    for m, lib in ((vae, sk), (ref, keras)):
        m.compile(optimizer=lib.optimizers.Adam())
    assert vae.metrics_names == ref.metrics_names == ["total_loss", "reconstruction_loss", "kl_loss"]
    weights = _drawn_weights(ref, seed=4, scale=0.3)
    vae.set_weights(weights)
    ref.set_weights(weights)
    rng = np.random.default_rng(0)
    images = rng.random((6, 28, 28, 1)).astype("float32")
    ours, theirs = vae.encoder.predict(images, verbose=0), ref.encoder.predict(images, verbose=0)
    for name, a, b in zip(("z_mean", "z_log_var"), ours, theirs):
        _close(a, b, what=name)
    latent = rng.normal(size=(6, 2)).astype("float32")
    _close(vae.decoder.predict(latent, verbose=0), ref.decoder.predict(latent, verbose=0),
           what="decoded images")
    with pytest.raises(ValueError, match="weight list of length 3, but the model was expecting 18 weights"):
        vae.set_weights(weights[:3])
    for m in (vae, ref):
        m.encoder.trainable = False
    assert [len(m.trainable_weights) for m in (vae, ref)] == [8, 8]   # (the decoder's)
    assert [v.path for v in vae.non_trainable_weights] == [v.path for v in ref.non_trainable_weights]
    with pytest.raises(NotImplementedError, match="Model VAE does not have a `call\\(\\)` method"):
        vae.predict(images, verbose=0)


def test_vae_summary_like_keras(narrow_terminal):
    """Keras summarizes a Model subclass without `call` by its parts: each built part with its
    output shape (the encoder's three outputs as one tuple of shapes) and parameters."""
    with keras_draws_from_numpy():
        vae, ref = _both(vae_parts)
    assert summary_lines(vae) == summary_lines(ref)
    assert "│ ((None, 2), (None, 2)," in "\n".join(summary_lines(vae))   # (one tuple)


def parts_without_call(keras, layers, ops, built):
    """A Model subclass without `call` holding a Sequential and a Dense, built or not."""
    class Pair(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            head = [keras.Input((3,))] if built else []
            self.gen = keras.Sequential(head + [layers.Dense(4), layers.Dense(2)], name="gen")
            self.disc = layers.Dense(1, name="disc")
    return Pair(name="pair")


def test_summary_of_model_without_call_whose_parts_are_not_built(narrow_terminal):
    """Parts not built print as Keras prints them ("?", "0 (unbuilt)"); a built layer that is
    not a model beside a built model (Keras prints its build shapes) is refused, naming it."""
    model, ref = _both(parts_without_call, built=False)
    assert summary_lines(model) == summary_lines(ref)
    assert "0 (unbuilt)" in "\n".join(summary_lines(model))
    model = parts_without_call(*fresh_library(_libs()[0]), built=True)
    model.disc.build((None, 3))
    with pytest.raises(NotImplementedError, match="'pair'.*disc is not built or a built layer"):
        model.summary()


@pytest.mark.xfail(strict=True, raises=NotImplementedError, reason=(
    "the example's train_step computes its loss from the parts' outputs in Python (the "
    "reconstruction and KL terms) and differentiates it with tf.GradientTape (TensorFlow only; "
    "keras.GradientTape here): the library differentiates only a model's compute_loss, traced "
    "into its graph, and a model without `call` has no graph (Keras's JAX backend cannot run "
    "this step either)"))
def test_vae_train_step_trains():
    sk, _ = _libs()
    vae = vae_parts(*fresh_library(sk))
    vae.compile(optimizer=sk.optimizers.Adam())
    images = np.random.default_rng(1).random((16, 28, 28, 1)).astype("float32")
    history = vae.fit(images, epochs=2, batch_size=8, verbose=0).history
    assert sorted(history) == ["kl_loss", "loss", "reconstruction_loss"]
    assert np.all(np.isfinite(history["loss"])) and history["loss"][1] < history["loss"][0]


# -- examples/structured_data/feature_engineering_with_custom_layer.py -------------------------

def comparisons_layer_model(keras, layers, ops):
    """A layer written in Python comparing and combining its inputs with Python's operators
    (`== != & | ^ ~`), as Keras traces it with jax's tracers (elementwise)."""
    class Compare(layers.Layer):
        def call(self, inputs):
            a, b = inputs
            found = [a == 1, a != b, (a > 0) & (b < 1), (a > 1) | (b == 0), (a > 0) ^ (b > 0),
                     ~(a == b)]
            return ops.concatenate([ops.cast(f, "float32") for f in found], axis=-1)
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    return keras.Model([a, b], Compare()([a, b]))


def test_python_operators_compare_elementwise_in_a_traced_layer():
    """Keras traces a layer's call with jax's tracers, whose `==` and `!=` compare elementwise
    and whose `& | ^ ~` are logical ops; a traced call here took `==` for identity (a constant
    False, silently)."""
    model, ref = _both(comparisons_layer_model)
    rng = np.random.default_rng(3)
    a = rng.integers(-1, 3, (16, 2)).astype("float32")
    b = rng.integers(-1, 3, (16, 2)).astype("float32")
    ours = model.predict([a, b], verbose=0)
    _close(ours, ref.predict([a, b], verbose=0), what="comparisons")
    _close(ours[:, :2], (a == 1).astype("float32"), what="a == 1")
    _close(ours[:, 10:], (a != b).astype("float32"), what="~(a == b)")


HEART_BINARY = ["sex", "fbs", "exang"]
HEART_NUMERIC = ["trestbps", "chol", "thalach", "oldpeak", "slope", "cp", "restecg", "ca"]
#: The example's dtype_mapper's columns (all float32 here: its `thal` strings are a float code,
#: 1 fixed, 2 reversible, 3 normal; Keras with JAX holds no string tensors).
HEART_COLUMNS = ["age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang",
                 "oldpeak", "slope", "ca", "thal"]


def create_inputs(keras, data_type_mapper):
    """The two heart examples' create_inputs (Keras inputs for each feature)."""
    return {
        feature: keras.Input(shape=(1,), name=feature, dtype=dtype)
        for feature, dtype in data_type_mapper.items()
    }


def logistic_regression(keras, feature_layer_inputs, feature_layer):
    """The two heart examples' model over their features, compiled as they compile it."""
    x = keras.layers.BatchNormalization(name="batch_norm")(feature_layer)
    output = keras.layers.Dense(1, activation="sigmoid", name="target")(x)
    model = keras.Model(inputs=feature_layer_inputs, outputs=output)
    model.compile(
        loss=keras.losses.BinaryCrossentropy(),
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        metrics=[
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.AUC(name="auc"),
        ],
    )
    return model


def heart_model(keras, layers, ops):
    """The example's model (its `tf.*` as keras.ops, `thal` a float code) and its custom
    objects."""
    feature_layer_inputs = create_inputs(keras, {feature: "float32" for feature in HEART_COLUMNS})

    class FeatureLayer(keras.layers.Layer):
        """Custom Layer for Feature engineering steps"""

        def __init__(self, *args, **kwargs):
            super(FeatureLayer, self).__init__(*args, **kwargs)

        def call(self, inputs):
            age_and_gender = ops.cast(
                ops.logical_and(inputs["age"] > 50, inputs["sex"] == 1), dtype="float32")
            thal_fixed_category = ops.cast(inputs["thal"] == 1, dtype="float32")
            thal_reversible_category = ops.cast(inputs["thal"] == 2, dtype="float32")
            thal_normal_category = ops.cast(inputs["thal"] == 3, dtype="float32")
            trest_chol_ratio = inputs["trestbps"] / inputs["chol"]
            trest_cross_thalach = inputs["trestbps"] * inputs["thalach"]
            # concat all newly created features into one layer
            feature_list = [
                thal_fixed_category,
                thal_reversible_category,
                thal_normal_category,
                age_and_gender,
                trest_chol_ratio,
                trest_cross_thalach,
            ]
            engineered_feature_layer = keras.layers.concatenate(feature_list)
            numeric_feature_layer = keras.layers.concatenate(
                [inputs[feature] for feature in HEART_NUMERIC])
            binary_feature_layer = keras.layers.concatenate(
                [inputs[feature] for feature in HEART_BINARY])
            # Add the rest of features into final feature layer
            feature_layer = keras.layers.concatenate(
                [engineered_feature_layer, numeric_feature_layer, binary_feature_layer])
            return feature_layer

    # setup model, this is basically Logistic regression
    feature_layer = FeatureLayer(name="feature_layer")(feature_layer_inputs)
    model = logistic_regression(keras, feature_layer_inputs, feature_layer)
    return model, {"FeatureLayer": FeatureLayer}


def heart_like(n=48, seed=0):
    """Rows of the heart disease CSV's columns and ranges, as (n, 1) float columns."""
    rng = np.random.default_rng(seed)
    ranges = {"age": (29, 78), "sex": (0, 2), "cp": (0, 5), "trestbps": (94, 200),
              "chol": (126, 564), "fbs": (0, 2), "restecg": (0, 3), "thalach": (71, 202),
              "exang": (0, 2), "slope": (1, 4), "ca": (0, 4), "thal": (0, 4)}
    columns = {k: rng.integers(lo, hi, n) for k, (lo, hi) in ranges.items()}
    columns["oldpeak"] = rng.random(n) * 6
    x = {k: v.astype("float32").reshape(-1, 1) for k, v in columns.items()}
    return x, rng.integers(0, 2, n).astype("float32")


def test_feature_engineering_layer_on_a_dict_of_inputs(tmp_path, narrow_terminal):
    """The FeatureLayer engineers features from the model's dict of thirteen Inputs inside its
    call (comparisons and logical_and cast to floats, a ratio, a product, and
    `keras.layers.concatenate` of tensors in the call): Keras's summary (17 features); from
    the same weights, Keras's predictions and fit; the saved model loaded both ways (the
    FeatureLayer a custom object), and the loaded model's `dict(zip(metrics_names,
    evaluate(...)))` as the example prints it, with Keras's names."""
    x, y = heart_like()
    with keras_draws_from_numpy():   # (the weights are set below)
        (model, ours_custom), (ref, ref_custom) = _both(heart_model)
    _same_summary(model, ref)
    _same_weights(model, ref, seed=3)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="predictions")
    _fits_alike(model, ref, x, y, batch_size=16, epochs=2)
    _loads_both_ways(model, ref, x, tmp_path, ours_custom, ref_custom)
    loaded_model = _libs()[0].models.load_model(str(tmp_path / "ours.keras"),
                                                custom_objects=ours_custom)
    printed = dict(zip(loaded_model.metrics_names, loaded_model.evaluate(x, y, verbose=0)))
    # (Keras's names for a loaded compiled model; zip keeps evaluate's loss and accuracy)
    assert list(printed) == ["loss", "compile_metrics"]
    _close(list(printed.values()), model.evaluate(x, y, verbose=0)[:2], what="printed")


# -- examples/structured_data/feature_engineering_with_lambda.py --------------------------------

def lambda_feature_models(keras, layers, ops):
    """The example's models (its `tf.*` as keras.ops, `thal` a float code): the complete model,
    the input-layer graph (a dict of Inputs in, the same dict out), the Lambda feature graph
    and the full feature graph; and the Lambda layers' functions by name (custom objects)."""
    feature_layer_inputs = create_inputs(keras, {feature: "float32" for feature in HEART_COLUMNS})
    input_layer_graph = keras.Model(inputs=feature_layer_inputs, outputs=feature_layer_inputs)

    def ratio(x):
        """compute the ratio between two numeric features"""
        return x[0] / x[1]

    def cross_feature(x):
        """compute the crossing of two features"""
        return ops.cast(x[0] * x[1], dtype="float32")

    def age_and_gender(x):
        """check if age gt 50 and if gender is male"""
        return ops.cast(ops.logical_and(x[0] > 50, x[1] == 1), dtype="float32")

    def is_fixed(x):
        """encode categoric feature if value is equal to fixed"""
        return ops.cast(x == 1, dtype="float32")

    def is_reversible(x):
        """encode categoric feature if value is equal to fixed"""
        return ops.cast(x == 2, dtype="float32")

    def is_normal(x):
        """encode categoric feature if value is equal to fixed"""
        return ops.cast(x == 3, dtype="float32")

    functions = {f.__name__: f for f in (ratio, cross_feature, age_and_gender, is_fixed,
                                         is_reversible, is_normal)}
    is_fixed = keras.layers.Lambda(is_fixed, name="is_fixed")(feature_layer_inputs["thal"])
    is_normal = keras.layers.Lambda(is_normal, name="is_normal")(feature_layer_inputs["thal"])
    is_reversible = keras.layers.Lambda(is_reversible, name="is_reversible")(
        feature_layer_inputs["thal"])
    age_and_gender = keras.layers.Lambda(age_and_gender, name="age_and_gender")(
        (feature_layer_inputs["age"], feature_layer_inputs["sex"]))
    trest_chol_ratio = keras.layers.Lambda(ratio, name="trest_chol_ratio")(
        (feature_layer_inputs["trestbps"], feature_layer_inputs["chol"]))
    trest_cross_thalach = keras.layers.Lambda(cross_feature, name="trest_cross_thalach")(
        (feature_layer_inputs["trestbps"], feature_layer_inputs["thalach"]))
    # concat all newly created features into one layer
    feature_list = [is_fixed, is_normal, is_reversible, age_and_gender, trest_chol_ratio,
                    trest_cross_thalach]
    lambda_feature_layer = keras.layers.concatenate(feature_list, name="lambda_feature_layer")
    feature_graph = keras.Model(inputs=feature_layer_inputs, outputs=lambda_feature_layer)
    numeric_feature_layer = keras.layers.concatenate(
        [feature_layer_inputs[feature] for feature in HEART_NUMERIC], name="numeric_feature_layer")
    binary_feature_layer = keras.layers.concatenate(
        [feature_layer_inputs[feature] for feature in HEART_BINARY], name="binary_feature_layer")
    # Add the rest of features
    feature_layer = keras.layers.concatenate(
        [lambda_feature_layer, numeric_feature_layer, binary_feature_layer], name="feature_layer")
    full_feature_graph = keras.Model(inputs=feature_layer_inputs, outputs=feature_layer)
    # setup model, this is basically Logistic regression
    model = logistic_regression(keras, feature_layer_inputs, feature_layer)
    return (model, input_layer_graph, feature_graph, full_feature_graph), functions


def test_feature_engineering_with_lambda_layers(tmp_path, narrow_terminal):
    """The Lambda layers of named functions (one input, or a tuple of two) comparing and
    combining the heart columns, named concatenations, and the four models the example
    builds: Keras's summaries; the input-layer graph returns the dict of columns it is given;
    the model's predictions (through every engineered feature) and fit are Keras's from the
    same weights; its `.keras` file, refused by both libraries without the functions (not
    registered), loads both ways with them as custom objects."""
    x, y = heart_like(seed=1)
    with keras_draws_from_numpy():   # (the weights are set below)
        (models, ours_custom), (refs, ref_custom) = _both(lambda_feature_models)
    for ours, theirs in zip(models, refs):
        _same_summary(ours, theirs)
    (model, input_graph, _, _), (ref, _, _, _) = models, refs
    columns = input_graph.predict(x, verbose=0)
    assert sorted(columns) == sorted(x)
    for key in x:
        _close(columns[key], x[key], what=key)
    _same_weights(model, ref, seed=5)
    _close(model.predict(x, verbose=0), ref.predict(x, verbose=0), what="predictions")
    _fits_alike(model, ref, x, y, batch_size=16, epochs=2)
    ours_path = str(tmp_path / "unregistered.keras")
    model.save(ours_path)
    with pytest.raises(TypeError, match="Could not locate function 'is_fixed'"):
        _libs()[0].models.load_model(ours_path)
    with pytest.raises(TypeError, match="could not be deserialized"):
        _libs()[1].models.load_model(ours_path)
    _loads_both_ways(model, ref, x, tmp_path, ours_custom, ref_custom)
