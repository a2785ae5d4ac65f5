"""keras.io examples as the test (a ninth set): each example's model code as the tutorial
writes it (Keras 3 versions, `keras.ops` where an older version wrote `tf.*`; only the import
differs), on small synthetic data of the example's shapes and dtypes, run on swiftkeras and on
real Keras 3 (JAX backend): the same summary and parameter count, the same predictions and fit
from the same weights, and `.keras` files loaded both ways. The library's gaps the examples
found are tested on their own first.
"""
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
