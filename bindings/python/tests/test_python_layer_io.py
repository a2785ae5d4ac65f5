"""Python layers' inputs and outputs as Keras allows them, each against real Keras 3 from the
same weights and data:

- a layer returning several tensors (keras.io's masking guide's TemporalSplit, `a, b =
  TemporalSplit()(x)`; a layer of weights returning a dict, a model's two outputs, trained and
  saved), with the masks its `compute_mask` gives;
- the `mask` of `call(self, inputs, mask=None)` (the masking guide's TemporalSoftmax after
  `Embedding(mask_zero=True)`);
- built-in layers called with Keras's keyword arguments inside a traced call
  (`MultiHeadAttention(...)(q, v, attention_mask=m, use_causal_mask=True,
  return_attention_scores=True)`, `LSTM(...)(x, initial_state=[h, c], mask=m)`);
- a layer called on arrays with several arguments (`Add2()(a, b)`, keyword tensors).

Source: keras-team/keras-io guides/understanding_masking_and_padding.py.
"""
import numpy as np
import pytest

from conftest import needs, CORE, real_keras
from layer_probes import probe_layer

pytestmark = needs(*CORE, "keras_layer_builder_layer_call", "keras_layer_builder_outputs",
                   "keras_layer_builder_mask", "keras_layer_builder_output_masks")


def libraries():
    import swiftkeras
    return swiftkeras, real_keras()


def fresh(lib):
    lib.backend.clear_session()
    lib.utils.set_random_seed(0)
    return lib, lib.layers, lib.ops


def same_weights(ours, ref):
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])


def assert_weights_equal(ours, ref, rtol=1e-5, atol=1e-6):
    a, b = ours.get_weights(), ref.get_weights()
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, np.asarray(y), rtol=rtol, atol=atol)


# -- 1. several outputs -------------------------------------------------------------------

def temporal_split(keras, ops):
    """The masking guide's TemporalSplit (keras.ops in place of tf)."""
    class TemporalSplit(keras.layers.Layer):
        """Split the input tensor into 2 tensors along the time dimension."""

        def call(self, inputs):
            return ops.split(inputs, 2, axis=1)

        def compute_mask(self, inputs, mask=None):
            if mask is None:
                return None
            return ops.split(mask, 2, axis=1)
    return TemporalSplit


PADDED = np.array([[711, 632, 71, 0, 0, 0], [73, 8, 3215, 55, 927, 0], [83, 91, 1, 645, 1253, 927]])


def test_temporal_split_eagerly_with_masks_like_keras():
    """The guide's cell: `first_half, second_half = TemporalSplit()(masked_embedding)` and their
    `_keras_mask`."""
    import swiftkeras
    results, weights = [], None
    for lib in (real_keras(), swiftkeras):   # Keras first: its embedding's weights are used
        keras, layers, ops = fresh(lib)
        embedding = layers.Embedding(input_dim=5000, output_dim=4, mask_zero=True)
        embedding(PADDED[:1])
        if weights is None:
            weights = [np.asarray(w) for w in embedding.get_weights()]
        else:
            embedding.set_weights(weights)
        halves = temporal_split(keras, ops)()(embedding(PADDED))
        assert isinstance(halves, (list, tuple)) and len(halves) == 2
        results.append([(np.asarray(h), np.asarray(h._keras_mask)) for h in halves])
    ref, ours = results
    for (value, mask), (want, want_mask) in zip(ours, ref):
        assert value.shape == want.shape == (3, 3, 4)
        np.testing.assert_allclose(value, want, rtol=1e-6)
        np.testing.assert_array_equal(mask, want_mask)


def test_temporal_split_in_a_model_like_keras():
    """`a, b = TemporalSplit()(x)` on symbolic tensors: two outputs of one node, whose masks
    reach an LSTM after each half as Keras's; predictions and the saved config's nodes."""
    models, splits = [], []
    for lib in libraries():
        keras, layers, ops = fresh(lib)
        inputs = keras.Input((6,))
        x = layers.Embedding(5000, 4, mask_zero=True)(inputs)
        a, b = temporal_split(keras, ops)(name="halves")(x)
        splits.append((a, b))
        out_a = layers.LSTM(3, name="lstm_a")(a)
        out_b = layers.LSTM(3, name="lstm_b")(b)
        models.append(keras.Model(inputs, [out_a, out_b]))
    ours, ref = models
    (a, b), (ra, rb) = splits
    assert tuple(a.shape) == tuple(ra.shape) == (None, 3, 4)
    assert tuple(b.shape) == tuple(rb.shape)
    same_weights(ours, ref)
    for got, want in zip(ours.predict(PADDED, verbose=0), ref.predict(PADDED, verbose=0)):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
    def nodes(model):   # Keras also writes the ops of compute_mask as nodes of the graph
        config = model.get_config()
        return {e["name"]: [[t["config"]["keras_history"] for t in _tensors(n)][:1] for n in e["inbound_nodes"]]
                for e in config["layers"] if e["name"] in ("halves", "lstm_a", "lstm_b")}, config["output_layers"]
    assert nodes(ours) == nodes(ref)
    assert nodes(ours)[0]["lstm_b"] == [[["halves", 0, 1]]]


def _tensors(node):
    found = []

    def walk(v):
        if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
            found.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
    walk(node.get("args", []))
    walk(node.get("kwargs", {}))
    return found


def two_heads(keras, ops):
    class TwoHeads(keras.layers.Layer):
        """A layer of weights returning a dict of two tensors computed with ops."""

        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
            self.v = self.add_weight(shape=(input_shape[-1], 1), initializer="glorot_uniform", name="v")

        def call(self, inputs):
            return {"scores": ops.tanh(ops.matmul(inputs, self.w)),
                    "gate": ops.sigmoid(ops.matmul(inputs, self.v))}

        def get_config(self):
            return {**super().get_config(), "units": self.units}
    return TwoHeads


def test_layer_returning_a_dict_trains_and_saves_like_keras(tmp_path):
    import swiftkeras
    keras_ref = real_keras()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 5)).astype("float32")
    y1 = rng.normal(size=(16, 3)).astype("float32")
    y2 = rng.integers(0, 2, (16, 1)).astype("float32")
    models, classes = [], []
    for lib in (swiftkeras, keras_ref):
        keras, layers, ops = fresh(lib)
        cls = lib.saving.register_keras_serializable(package="pyio")(two_heads(keras, ops))
        classes.append(cls)
        inputs = keras.Input((5,))
        heads = cls(name="heads")(inputs)
        assert sorted(heads) == ["gate", "scores"]
        model = keras.Model(inputs, [layers.Dense(3, name="d")(heads["scores"]), heads["gate"]])
        model.compile(keras.optimizers.SGD(0.1), ["mse", "binary_crossentropy"])
        models.append(model)
    ours, ref = models
    same_weights(ours, ref)
    for got, want in zip(ours.predict(x, verbose=0), ref.predict(x, verbose=0)):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
    ha = ours.fit(x, [y1, y2], epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    hb = ref.fit(x, [y1, y2], epochs=3, batch_size=8, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ha, hb, rtol=1e-5)
    assert_weights_equal(ours, ref)
    # saved both ways
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    back_ref = keras_ref.saving.load_model(tmp_path / "ours.keras")
    back_ours = swiftkeras.saving.load_model(tmp_path / "ref.keras")
    for model in (back_ref, back_ours):
        for got, want in zip(model.predict(x, verbose=0), ref.predict(x, verbose=0)):
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)


# -- 2. mask into call --------------------------------------------------------------------

def temporal_softmax(keras, ops):
    """The masking guide's TemporalSoftmax (keras.ops in place of tf)."""
    class TemporalSoftmax(keras.layers.Layer):
        def call(self, inputs, mask=None):
            broadcast_float_mask = ops.expand_dims(ops.cast(mask, "float32"), -1)
            inputs_exp = ops.exp(inputs) * broadcast_float_mask
            inputs_sum = ops.sum(inputs * broadcast_float_mask, axis=1, keepdims=True)
            return inputs_exp / inputs_sum
    return TemporalSoftmax


def test_mask_reaches_call_like_keras():
    """The guide's model: Embedding(mask_zero=True) -> Dense(1) -> TemporalSoftmax, whose call
    gets the embedding's mask; predictions and a few SGD steps from Keras's weights."""
    models = []
    for lib in libraries():
        keras, layers, ops = fresh(lib)
        inputs = keras.Input(shape=(None,), dtype="int32")
        x = layers.Embedding(input_dim=10, output_dim=4, mask_zero=True)(inputs)
        x = layers.Dense(1)(x)
        outputs = temporal_softmax(keras, ops)()(x)
        model = keras.Model(inputs, outputs)
        model.compile(keras.optimizers.SGD(0.05), "mse")
        models.append(model)
    ours, ref = models
    same_weights(ours, ref)
    rng = np.random.default_rng(1)
    x = rng.integers(1, 10, size=(8, 7))
    x[:, 5:] = 0
    x[2, 3:] = 0
    y = rng.random((8, 7, 1)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)), rtol=1e-5, atol=1e-6)
    ha = ours.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    hb = ref.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ha, hb, rtol=1e-5)
    assert_weights_equal(ours, ref)


# -- 3. built-in layers called with keyword arguments in a traced call ---------------------

def keyword_layers(keras, layers, ops):
    class CausalAttention(keras.layers.Layer):
        """MultiHeadAttention with an explicit mask, the causal one and the scores."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.att = layers.MultiHeadAttention(num_heads=2, key_dim=3)
            self.dense = layers.Dense(4)

        def call(self, inputs):
            steps = inputs.shape[1]
            keep = ops.cast(ops.greater(ops.sum(ops.abs(inputs), axis=-1), 0.5), "float32")
            attention_mask = ops.expand_dims(keep, 1) * ops.ones((1, steps, 1))
            out, scores = self.att(inputs, inputs, attention_mask=attention_mask,
                                   use_causal_mask=True, return_attention_scores=True)
            return self.dense(out) + ops.mean(scores, axis=(1, 3))[..., None]

    class Seeded(keras.layers.Layer):
        """An LSTM started from states computed from the input, with a mask of its own."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.h = layers.Dense(3)
            self.c = layers.Dense(3)
            # (return_sequences=False: Keras would also carry the LSTM's output mask out of
            # this layer's call on the tensor object, masking the loss; here it stays inside)
            self.lstm = layers.LSTM(3)

        def call(self, inputs):
            first = inputs[:, 0, :]
            mask = ops.greater(ops.sum(ops.abs(inputs), axis=-1), 0.5)
            return self.lstm(inputs, initial_state=[self.h(first), self.c(first)], mask=mask)

    class MaskedMean(keras.layers.Layer):
        """`layer(x, mask=m)` on a layer that reads its mask."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(3)
            self.pool = layers.GlobalAveragePooling1D()

        def call(self, inputs):
            mask = ops.greater(ops.sum(ops.abs(inputs), axis=-1), 0.5)
            return self.pool(self.dense(inputs), mask=mask)
    return CausalAttention, Seeded, MaskedMean


@pytest.mark.parametrize("which", [0, 1, 2])
def test_keyword_calls_inside_a_traced_call_train_like_keras(which):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 5, 4)).astype("float32")
    x[:3, 3:] = 0   # masked steps
    y = rng.normal(size=(8, 5, 4) if which == 0 else (8, 3)).astype("float32")   # 1, 2: (batch, 3)
    models = []
    for lib in libraries():
        keras, layers, ops = fresh(lib)
        cls = keyword_layers(keras, layers, ops)[which]
        inputs = keras.Input((5, 4))
        model = keras.Model(inputs, cls()(inputs))
        model.compile(keras.optimizers.SGD(0.1), "mse")
        models.append(model)
    ours, ref = models
    same_weights(ours, ref)
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)), rtol=1e-5, atol=1e-6)
    ha = ours.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0).history["loss"]
    hb = ref.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ha, hb, rtol=1e-5)
    assert_weights_equal(ours, ref)


def test_unknown_keyword_inside_a_traced_call_is_refused():
    import swiftkeras as keras
    from swiftkeras import layers

    class Odd(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = layers.Dense(2)

        def call(self, inputs):
            return self.d(inputs, bogus=True)

    inputs = keras.Input((3,))
    with pytest.raises(Exception, match="bogus"):
        keras.Model(inputs, Odd()(inputs)).predict(np.ones((1, 3)), verbose=0)


# -- 4. a subclassed model called inside a traced call ----------------------------------

def nested_subclasses(lib):
    layers, ops = lib.layers, lib.ops

    class Inner(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = layers.Dense(4, activation="relu")
            self.d2 = layers.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

    class Wrap(layers.Layer):
        """A traced layer calling a subclassed model it holds."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Inner()

        def call(self, x):
            return ops.tanh(self.inner(x))

    class Outer(lib.Model):
        """A subclassed model calling another."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Inner()
            self.head = layers.Dense(1)

        def call(self, x):
            return self.head(self.inner(x))
    return Wrap, Outer


@pytest.mark.parametrize("which", ["layer", "model"])
def test_subclassed_model_inside_a_call_trains_and_saves_like_keras(which, tmp_path):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 3)).astype("float32")
    y = rng.normal(size=(6, 2 if which == "layer" else 1)).astype("float32")
    models = []
    for lib in libraries():
        fresh(lib)
        Wrap, Outer = nested_subclasses(lib)
        if which == "layer":
            inputs = lib.Input((3,))
            model = lib.Model(inputs, Wrap()(inputs))
        else:
            model = Outer()
            model(np.zeros((1, 3), "float32"))
        model.compile(lib.optimizers.SGD(0.1), "mse")
        models.append(model)
    ours, ref = models
    assert [w.path for w in ours.weights] == [w.path for w in ref.weights]
    same_weights(ours, ref)
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)), rtol=1e-5, atol=1e-6)
    ha = ours.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history["loss"]
    hb = ref.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(ha, hb, rtol=1e-5)
    assert_weights_equal(ours, ref)
    # weights files both ways (Keras's layout: the inner model under its attribute)
    ours.save_weights(tmp_path / "ours.weights.h5")
    ref.save_weights(tmp_path / "ref.weights.h5")
    before = [np.asarray(w) for w in ref.get_weights()]
    ref.load_weights(tmp_path / "ours.weights.h5")
    ours.load_weights(tmp_path / "ref.weights.h5")
    assert_weights_equal(ours, ref)
    for a, b in zip(before, ref.get_weights()):   # ours trained to Keras's (float32 sums aside)
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)


# -- 5. called on arrays with several arguments -------------------------------------------

def test_several_arrays_eagerly_like_keras():
    a = np.arange(6, dtype="float32").reshape(2, 3)
    b = np.ones((2, 3), "float32")
    results = []
    for lib in libraries():
        keras, layers, ops = fresh(lib)

        class Add2(keras.layers.Layer):
            def call(self, a, b):
                return a + b

        class Scaled(keras.layers.Layer):
            def build(self, input_shape):
                self.k = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="k")

            def call(self, x, other=None, factor=2.0):
                return x * self.k + other * factor

        scaled = Scaled()
        results.append((Add2()(a, b), scaled(a, other=b), scaled(a, other=b, factor=3.0)))
    for got, want in zip(*results):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


def test_layer_of_a_model_called_on_several_arrays_keeps_the_models_weights():
    """A layer of a model called eagerly with several arguments computes with the model's
    current weights and stays the model's (Keras's layer is one object with one set of weights)."""
    import swiftkeras as keras
    from swiftkeras import layers

    class Scaled(layers.Layer):
        def build(self, input_shape):
            self.k = self.add_weight(shape=(input_shape[-1],), initializer="random_normal", name="k")

        def call(self, x, other=None):
            return x * self.k + other

    a, b = keras.Input((3,)), keras.Input((3,))
    scaled = Scaled()
    model = keras.Model([a, b], scaled(a, other=b))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x1 = np.random.default_rng(5).normal(size=(4, 3)).astype("float32")
    x2 = np.ones((4, 3), "float32")
    model.fit([x1, x2], np.full((4, 3), 3.0, "float32"), epochs=3, verbose=0)
    np.testing.assert_allclose(np.asarray(scaled(x1, other=x2)), model.predict([x1, x2], verbose=0), rtol=1e-6)
    model.fit([x1, x2], np.full((4, 3), 3.0, "float32"), epochs=3, verbose=0)
    assert scaled._owner is model
    np.testing.assert_allclose(np.asarray(scaled(x1, other=x2)), model.predict([x1, x2], verbose=0), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(scaled(x1, other=x2)), x1 * model.get_weights()[0] + x2, rtol=1e-6)


def test_same_class_name_in_two_packages_loads_each_as_keras(tmp_path):
    """Two user classes of one name, registered under different packages, stay two classes: a
    file naming 'PkgA>Tagged' loads PkgA's class although PkgB's was registered after it (Keras's
    registry is keyed by 'package>Name'; here a bare-name key once made the later class win)."""
    from conftest import exec_layers
    source = '''
@keras.saving.register_keras_serializable(package="PkgA")
class Tagged(keras.layers.Layer):
    def __init__(self, scale=2.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, x):
        return x * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}

A = Tagged


@keras.saving.register_keras_serializable(package="PkgB")
class Tagged(keras.layers.Layer):
    def __init__(self, shift=1.0, **kwargs):
        super().__init__(**kwargs)
        self.shift = shift

    def call(self, x):
        return x + self.shift

    def get_config(self):
        return {**super().get_config(), "shift": self.shift}

B = Tagged
'''
    x = np.arange(6, dtype="float32").reshape(2, 3)
    results = []
    for lib in libraries():
        ns = exec_layers(source, lib)
        inp = lib.Input((3,))
        model = lib.Model(inp, ns["B"](shift=0.5, name="b")(ns["A"](scale=3.0, name="a")(inp)))
        path = tmp_path / f"{lib.__name__}.keras"
        model.save(path)
        loaded = lib.saving.load_model(path)
        assert type(loaded.get_layer("a")) is ns["A"] and type(loaded.get_layer("b")) is ns["B"]
        assert loaded.get_layer("a").scale == 3.0 and loaded.get_layer("b").shift == 0.5
        results.append(np.asarray(loaded.predict(x, verbose=0)))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    np.testing.assert_allclose(results[0], x * 3.0 + 0.5, rtol=1e-6)


def test_same_class_name_in_two_packages_called_eagerly_as_keras():
    """A layer called on arrays after a masked call (a one-layer model made again from its
    entry) stays its own package's class when another package has a class of the same name
    (the entry named only the bare class then: "Unknown layer class 'Probe'")."""
    x = np.random.default_rng(7).normal(size=(2, 4, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    results = []
    for lib in libraries():
        first = probe_layer(lib, name="Probe", package="EagerFirst")
        probe_layer(lib, name="Probe", package="EagerSecond")
        probe = first()
        probe(x)
        probe.set_weights([np.array([0.5, -1.0, 2.0], "float32")])
        results.append([np.asarray(probe(x, mask=mask)), np.asarray(probe(x))])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-6)
