"""keras.Function, keras.Operation and keras.export against real Keras (JAX backend)."""

import re

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras


def _function_record(keras):
    x, y = keras.Input((3,)), keras.Input((3,))
    dense = keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    z = keras.ops.add(x, dense(y) @ np.full((2, 3), 0.5, "float32"))
    fn = keras.Function([x, y], [z, keras.ops.tanh(z)], name="fn")
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    outputs = [np.asarray(o) for o in fn([a, b])]
    return (fn.name, [t.shape for t in fn.inputs], [t.shape for t in fn.outputs],
            fn.compute_output_shape([(5, 3), (5, 3)]), isinstance(fn, keras.Operation)), outputs


def test_function_computes_its_graph_as_keras():
    ours, our_outputs = _function_record(sk)
    theirs, their_outputs = _function_record(real_keras())
    assert ours == theirs
    for a, b in zip(our_outputs, their_outputs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    assert ours[-1]


def test_function_in_a_larger_graph():
    x = sk.Input((3,))
    fn = sk.Function(x, sk.layers.Dense(2, kernel_initializer="ones")(x))
    outer_in = sk.Input((3,))
    model = sk.Model(outer_in, fn(outer_in) * 2.0)
    np.testing.assert_allclose(model.predict(np.ones((1, 3), "float32"), verbose=0), [[6.0, 6.0]])


def _kind(name):   # (the automatic names' numbers count each process's earlier objects)
    return re.sub(r"_\d+$", "", name)


def _direct_tensors_record(keras):
    """Functions over tensors made directly (`keras.KerasTensor(shape=...)`, no keras.Input):
    ops, a layer, two inputs, dict and list structures, and one inside a model."""
    ops = keras.ops
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")
    x = keras.KerasTensor(shape=(None, 3))
    one = keras.Function(inputs=x, outputs=ops.add(x, 1.0))
    h = ops.tanh(ops.multiply(x, 2.0))
    chain = keras.Function(x, ops.mean(ops.exp(h) - x, axis=-1))
    dense = keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
    layered = keras.Function(x, ops.relu(dense(x) - 1.0))
    p, q = keras.KerasTensor(shape=(None, 3)), keras.KerasTensor(shape=(None, 3))
    two = keras.Function([p, q], ops.add(p, q) * ops.sigmoid(q))
    named = keras.Function({"p": p, "q": q}, {"s": ops.subtract(p, q), "m": [ops.maximum(p, q)]})
    listed = keras.Function([p, q], [ops.sum(p * q, axis=-1), ops.concatenate([p, q], axis=-1)])
    outer = keras.Input((3,))
    model = keras.Model(outer, layered(outer) * 2.0)
    values = [one(a), chain(a), layered(a), two([a, b]), named({"q": b, "p": a}), listed([a, b]),
              model.predict(a, verbose=0)]
    names = ([t is x for t in one.inputs], [t.name.startswith("keras_tensor") for t in two.inputs],
             [_kind(op.name) for op in one.operations + layered.operations])
    return names, keras.tree.map_structure(np.asarray, values)


def test_function_over_tensors_made_directly_computes_as_keras():
    ours, our_values = _direct_tensors_record(sk)
    theirs, their_values = _direct_tensors_record(real_keras())
    assert ours == theirs
    sk.tree.assert_same_structure(our_values, their_values)
    for a, b in zip(sk.tree.flatten(our_values), sk.tree.flatten(their_values)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_function_refuses_another_input_structure_as_keras():
    for keras in (sk, real_keras()):
        p, q = keras.KerasTensor(shape=(None, 3)), keras.KerasTensor(shape=(None, 3))
        fn = keras.Function({"p": p, "q": q}, keras.ops.add(p, q))
        with pytest.raises(ValueError, match="invalid input structure"):
            fn([np.ones((1, 3), "float32")] * 2)


def test_layers_models_and_subclasses_are_operations_as_in_keras():
    for keras in (sk, real_keras()):
        class Double(keras.Operation):
            def call(self, a):
                return a * 2

        double = Double()
        assert double.name.startswith("double")
        np.testing.assert_allclose(np.asarray(double(np.ones(2))), [2.0, 2.0])
        assert isinstance(keras.layers.Dense(2), keras.Operation)
        assert isinstance(keras.Sequential(), keras.Operation)


def test_function_and_operation_errors_match_keras():
    for keras in (sk, real_keras()):
        z = keras.Input((2,))
        with pytest.raises(ValueError, match="`inputs` argument cannot be empty"):
            keras.Function([], z)
        with pytest.raises(ValueError, match="cannot contain character `/`"):
            keras.Operation(name="a/b")
        with pytest.raises(NotImplementedError):
            keras.Operation()(np.ones(1))


def test_export_archive_is_refused_with_the_way_that_works():
    assert sorted(n for n in dir(sk.export) if not n.startswith("_")) == \
        sorted(n for n in dir(real_keras().export) if not n.startswith("_"))
    with pytest.raises(NotImplementedError, match="model.save\\('model.keras'\\)"):
        sk.export.ExportArchive()
