"""A model nested in a Sequential or functional model gets the outer model's mask, as Keras 3's
model call does (`Functional.call(inputs, training, mask)` sets it on the inputs, and every
layer inside gets it): a layer written in Python inside (traced giving None when its model,
built first, knew of no mask) and the built-in recurrent layers inside see it; the functional
node of the nested model records the mask as Keras's does; compared with real Keras 3 (jax),
in predict, evaluate and fit, and through .keras files written by either library."""

import json

import numpy as np
import pytest

from conftest import CORE, exec_layers, needs, real_keras
from layer_probes import mask_marker

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_input_has_mask")

REF, OURS = ({"NestedMaskProbe": mask_marker(lib, "NestedMaskProbe", "NestedMasks")} for lib in (keras, sk))
TOKENS = np.array([[1, 2, 0, 0], [3, 0, 0, 0], [4, 4, 1, 0]], np.int32)
TARGETS = np.array([[1.0], [0.0], [1.0]], np.float32)


def _model(lib, ns, case):
    layers = lib.layers
    probe = ns["NestedMaskProbe"]
    tokens = lambda: lib.Input((4,), dtype="int32")  # noqa: E731
    embed = lambda: layers.Embedding(5, 2, mask_zero=True, embeddings_initializer="ones")  # noqa: E731

    def functional(inner):
        x = tokens()
        return lib.Model(x, inner(embed()(x)))
    return {
        "sequential_in_sequential": lambda: lib.Sequential([tokens(), embed(), lib.Sequential([probe()])]),
        "built_sequential_in_sequential": lambda: lib.Sequential(
            [tokens(), embed(), lib.Sequential([lib.Input((4, 2)), probe()])]),
        "through_dense": lambda: lib.Sequential(
            [tokens(), embed(), lib.Sequential([lib.Input((4, 2)), layers.Dense(2, kernel_initializer="ones"), probe()])]),
        "sequential_in_functional": lambda: functional(lib.Sequential([probe()])),
        "built_sequential_in_functional": lambda: functional(lib.Sequential([lib.Input((4, 2)), probe()])),
        "functional_in_sequential": lambda: lib.Sequential(
            [tokens(), embed(), (lambda i: lib.Model(i, probe()(i)))(lib.Input((4, 2)))]),
        "built_at_first_call": lambda: lib.Sequential([embed(), lib.Sequential([probe()])]),
    }[case]()


CASES = ["sequential_in_sequential", "built_sequential_in_sequential", "through_dense", "sequential_in_functional",
         "built_sequential_in_functional", "functional_in_sequential", "built_at_first_call"]


@pytest.mark.parametrize("case", CASES)
def test_python_layer_in_a_nested_model_gets_the_outer_mask_like_keras(case, tmp_path):
    ours, ref = _model(sk, OURS, case), _model(keras, REF, case)
    want = np.asarray(ref.predict(TOKENS, verbose=0))
    assert want.max() < 5   # (Keras's probe saw the mask)
    np.testing.assert_allclose(ours.predict(TOKENS, verbose=0), want, atol=1e-6)
    ref.save(tmp_path / "theirs.keras")
    ours.save(tmp_path / "ours.keras")
    for path in ("theirs.keras", "ours.keras"):
        loaded = sk.saving.load_model(tmp_path / path)
        np.testing.assert_allclose(loaded.predict(TOKENS, verbose=0), want, atol=1e-6, err_msg=path)
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "ours.keras").predict(TOKENS, verbose=0), want,
                               atol=1e-6)


VALUES = np.arange(24, dtype=np.float32).reshape(3, 4, 2) / 10


@pytest.mark.parametrize("case", CASES)
def test_a_nested_model_used_on_its_own_gives_its_python_layer_none_like_keras(case):
    """The nested model called or predicting on its own, no mask given: Keras's call of the
    layer inside gets mask=None (the probe adds 10), not ones; the outer model still passes the
    mask after that."""
    ours, ref = _model(sk, OURS, case), _model(keras, REF, case)
    for outer in (ours, ref):
        outer.predict(TOKENS, verbose=0)
    inner, inner_ref = ours.layers[-1], ref.layers[-1]
    want = np.asarray(inner_ref.predict(VALUES, verbose=0))
    assert want.min() >= 10   # (Keras's probe saw None: it added 10)
    np.testing.assert_allclose(inner.predict(VALUES, verbose=0), want, atol=1e-6)
    np.testing.assert_allclose(np.asarray(inner(VALUES)), np.asarray(inner_ref(VALUES)), atol=1e-6)
    np.testing.assert_allclose(ours.predict(TOKENS, verbose=0), ref.predict(TOKENS, verbose=0), atol=1e-6)


def _node_kwargs(model):
    """Each entry's class and its nodes' kwargs (mask tensors by the class of their layer)."""
    config = json.loads(json.dumps(model.get_config()))
    classes = {e["name"]: e["class_name"] for e in config["layers"]}

    def named(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return classes[value["config"]["keras_history"][0]]
        if isinstance(value, list):
            return [named(v) for v in value]
        return value
    return [(e["class_name"], [{k: named(v) for k, v in (n.get("kwargs") or {}).items()} for n in e["inbound_nodes"]])
            for e in config["layers"]]


def test_the_nested_models_node_records_its_mask_as_keras():
    for case in ("sequential_in_functional", "built_sequential_in_functional"):
        assert _node_kwargs(_model(sk, OURS, case)) == _node_kwargs(_model(keras, REF, case)), case
    for lib in (sk, keras):   # no mask: Keras writes None
        x = lib.Input((4,))
        assert _node_kwargs(lib.Model(x, lib.Sequential([lib.layers.Dense(2)])(x)))[-1] == ("Sequential", [{"mask": None}])


def _recurrent(lib, nested, mask_zero=True):
    layers = lib.layers
    ones = dict(kernel_initializer="ones", recurrent_initializer="zeros")
    inner = [layers.Dropout(0.0), layers.LSTM(3, return_sequences=True, **ones)]
    embed = layers.Embedding(5, 2, mask_zero=mask_zero, embeddings_initializer="ones")
    stack = [lib.Input((4,), dtype="int32"), embed] + ([lib.Sequential(inner)] if nested else inner)
    # (the GRU after the nested model gets the mask its LSTM's output carries)
    model = lib.Sequential(stack + [layers.GRU(2, **ones), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    return model


def test_recurrent_layers_in_a_nested_sequential_train_as_keras():
    results = []
    for lib in (sk, keras):
        model = _recurrent(lib, nested=True)
        results.append((model.predict(TOKENS, verbose=0), model.evaluate(TOKENS, TARGETS, verbose=0),
                        model.fit(TOKENS, TARGETS, epochs=3, batch_size=3, verbose=0).history["loss"]))
    (p, e, h), (p_ref, e_ref, h_ref) = results
    np.testing.assert_allclose(p, p_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e, e_ref, rtol=1e-5)
    np.testing.assert_allclose(h, h_ref, rtol=1e-4)
    # (the mask matters: without it Keras predicts otherwise)
    assert not np.allclose(_recurrent(keras, nested=True, mask_zero=False).predict(TOKENS, verbose=0), p_ref, atol=1e-3)


WEIGHTED = '''
class NestedWeightedProbe(keras.layers.Layer):
    def build(self, shape):
        self.w = self.add_weight(name="w", shape=(shape[-1], 3), initializer="glorot_uniform")

    def call(self, x, mask=None):
        y = keras.ops.matmul(x, self.w)
        if mask is None:
            return y[:, 0] + 10.0
        m = keras.ops.expand_dims(keras.ops.cast(mask, y.dtype), -1)
        return keras.ops.sum(y * m, axis=1) / keras.ops.maximum(keras.ops.sum(m, axis=1), 1.0)

    def compute_output_shape(self, shape):
        return (shape[0], 3)
'''
WREF, WOURS = exec_layers(WEIGHTED, keras), exec_layers(WEIGHTED, sk)


def test_a_python_layer_traced_again_keeps_and_trains_its_weights_as_keras():
    """The nested model was built (and its weights set) before the outer model passed it a
    mask: its layer traced again with the mask keeps the weights it had, and fit moves them as
    Keras's does."""
    tokens = np.array([[1, 2, 0, 0], [3, 0, 0, 0], [4, 4, 1, 0]], np.int32)
    targets = np.eye(3, dtype="float32")
    results = []
    for lib, ns in ((sk, WOURS), (keras, WREF)):
        inner = lib.Sequential([lib.Input((4, 2)), ns["NestedWeightedProbe"]()])
        inner.set_weights([np.linspace(-0.4, 1.1, 6, dtype="float32").reshape(2, 3)])
        model = lib.Sequential([lib.Input((4,), dtype="int32"),
                                lib.layers.Embedding(5, 2, mask_zero=True, embeddings_initializer="ones"), inner,
                                lib.layers.Dense(3, kernel_initializer="ones")])
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        results.append((model.predict(tokens, verbose=0), model.fit(tokens, targets, epochs=3, verbose=0).history["loss"],
                        inner.get_weights()[0], inner.predict(VALUES, verbose=0)))
    (p, h, w, alone), (p_ref, h_ref, w_ref, alone_ref) = results
    assert np.abs(p_ref).max() > 0.1
    np.testing.assert_allclose(p, p_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, h_ref, rtol=1e-5)
    np.testing.assert_allclose(w, w_ref, rtol=1e-5, atol=1e-6)
    # On its own (no mask: Keras's None), the inner model runs its call without the mask on the
    # trained weights.
    assert alone_ref.min() > 5
    np.testing.assert_allclose(alone, alone_ref, rtol=1e-5, atol=1e-5)
