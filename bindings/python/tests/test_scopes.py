"""Keras 3's top-level scopes against real Keras (JAX backend): keras.name_scope (the paths of
variables and of layers built inside), keras.device, keras.StatelessScope, keras.SymbolicScope,
keras.RematScope and keras.remat. Each scenario runs on both libraries and must give the same
record."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras


def _both(scenario):
    ours = scenario(sk)
    theirs = scenario(real_keras())
    assert ours == theirs
    return ours


def _outcome(call):
    """What a call gives: its value, or the exception's type and message."""
    try:
        return ("ok", call())
    except Exception as e:  # noqa: BLE001 — the record compares both libraries' errors
        return (type(e).__name__, str(e))


def test_top_level_names_are_keras():
    for name in ("name_scope", "device", "StatelessScope", "SymbolicScope", "RematScope", "remat"):
        assert hasattr(sk, name) and name in sk.__all__ and hasattr(real_keras(), name)


def test_name_scope_puts_variables_and_layers_built_inside_under_it():
    def scenario(keras):
        keras.utils.clear_session()
        out = []
        with keras.name_scope("outer"):
            dense = keras.layers.Dense(2)
            dense.build((None, 3))
            out.append(("built", dense.kernel.path, dense.name, dense.path))
            out.append(("variable", keras.Variable(np.ones(2)).path))
            with keras.name_scope("inner"):
                out.append(("nested", keras.Variable(np.ones(2), name="w").path))
            x = keras.Input((3,))
            y = keras.layers.Dense(4)(x)
            made_inside = keras.layers.Dense(2)
        model = keras.Model(x, y)
        out.append(("functional", [w.path for w in model.weights], model.layers[1].path))
        made_inside(np.ones((1, 3)))   # built outside the scope: no prefix
        out.append(("built outside", made_inside.kernel.path))

        class Custom(keras.layers.Layer):
            def build(self, shape):
                with keras.name_scope("ignored"):   # Keras's own layer scope replaces it
                    self.w = self.add_weight(shape=(2,), name="w")
                self.b = self.add_weight(shape=(2,), name="b")

            def call(self, x):
                return x + self.w

        plain = Custom()
        plain(np.ones((1, 2)))
        out.append(("custom", [w.path for w in plain.weights], plain.path))
        with keras.name_scope("top"):
            custom = Custom()
            custom(np.ones((1, 2)))
            out.append(("custom in scope", [w.path for w in custom.weights], custom.path,
                        custom.w.path))
            seq = keras.Sequential([keras.layers.Dense(2)])
            seq(np.ones((1, 2)))
            out.append(("sequential", [w.path for w in seq.weights],
                        [w.path for w in seq.layers[0].weights]))
            eager = keras.layers.Dense(3)
            eager(np.ones((1, 2)))
            out.append(("eager", eager.kernel.path, eager.path))
            with_input = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
            out.append(("sequential with input", [w.path for w in with_input.weights]))
            unbuilt = keras.Sequential([keras.layers.Dense(2)])

            class Sub(keras.Model):
                def __init__(self):
                    super().__init__()
                    self.inner = keras.layers.Dense(2)

                def call(self, x):
                    return self.inner(x)
            sub = Sub()
            sub(np.ones((1, 2)))
            out.append(("subclassed", [w.path for w in sub.weights]))
        unbuilt.build((None, 3))   # built outside: no prefix
        out.append(("sequential built outside", [w.path for w in unbuilt.weights]))
        return out
    record = _both(scenario)
    assert record[0] == ("built", "outer/dense/kernel", "dense", "outer/dense")


def test_name_scope_arguments_and_errors_match_keras():
    def scenario(keras):
        out = [_outcome(lambda: keras.name_scope("a/b")), _outcome(lambda: keras.name_scope(3))]
        scope = keras.name_scope("q")
        out.append((scope.name, scope.caller, scope.deduplicate, scope.override_parent))
        owner = object()
        with keras.name_scope("same", caller=owner):
            with keras.name_scope("same", caller=owner):   # deduplicated: entered once
                out.append(keras.Variable(np.ones(1), name="v").path)
            with keras.name_scope("x", override_parent="root/branch"):
                out.append(keras.Variable(np.ones(1), name="v").path)
        out.append(keras.Variable(np.ones(1), name="after").path)
        return out
    record = _both(scenario)
    assert record[-3:] == ["same/v", "root/branch/x/v", "after"]


def test_device_accepts_the_cpu_and_refuses_devices_it_lacks_as_keras_on_cpu():
    def scenario(keras):
        out = []
        for name in ("cpu", "cpu:0", "CPU:0", "gpu", "gpu:1", "cpu:1", None, 3):
            def enter():
                with keras.device(name) as entered:
                    return entered
            out.append(_outcome(enter))
        return out
    record = _both(scenario)
    assert record[0] == ("ok", None) and record[3][0] == "RuntimeError"


def test_model_under_device_cpu_predicts_as_without():
    x = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    model = sk.Sequential([sk.Input((3,)), sk.layers.Dense(2)])
    with sk.device("cpu:0"):
        inside = model.predict(x, verbose=0)
    np.testing.assert_array_equal(inside, model.predict(x, verbose=0))


def test_stateless_scope_records_updates_and_restores_variables_as_keras():
    def scenario(keras):
        out = []
        v = keras.Variable(np.zeros(2, "float32"))
        dense = keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros")
        dense.build((None, 2))
        x = np.array([[1.0, 2.0]], "float32")
        with keras.StatelessScope([(dense.kernel, np.full((2, 2), 3.0))]) as scope:
            v.assign(np.ones(2))
            v.assign_add(np.ones(2))
            out.append(("inside", v.numpy().tolist()))
            out.append(("mapped call", np.asarray(dense(x)).tolist()))
            dense.bias.assign([5.0, 6.0])
            out.append(("assigned call", np.asarray(dense(x)).tolist(),
                        np.asarray(dense.kernel.value).tolist()))
            with keras.StatelessScope() as inner:
                v.assign([9.0, 9.0])
                out.append(("nested", v.numpy().tolist()))
            out.append(("after nested", v.numpy().tolist(),
                        np.asarray(inner.get_current_value(v)).tolist()))
        out.append(("restored", v.numpy().tolist(), dense.kernel.numpy().tolist(),
                    dense.bias.numpy().tolist(), np.asarray(dense(x)).tolist()))
        out.append(("recorded", np.asarray(scope.get_current_value(v)).tolist(),
                    np.asarray(scope.get_current_value(dense.kernel)).tolist(),
                    np.asarray(scope.get_current_value(dense.bias)).tolist(),
                    scope.get_current_value(keras.Variable(np.ones(1)))))
        out.append((scope.losses, scope.collect_losses, scope.initialize_variables))
        out.append(_outcome(lambda: keras.StatelessScope([(np.ones(2), 1)])))
        out.append(_outcome(lambda: keras.StatelessScope([(v, np.ones(3))])))
        return out
    record = _both(scenario)
    assert record[-5][0] == "restored" and record[-5][1] == [0.0, 0.0]


def test_stateless_scope_around_a_python_layer_weight():
    class Scale(sk.layers.Layer):
        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w

    layer = Scale()
    x = np.array([[1.0, 2.0]], "float32")
    layer(x)
    with sk.StatelessScope([(layer.w, np.array([2.0, 3.0]))]) as scope:
        np.testing.assert_allclose(np.asarray(layer(x)), [[2.0, 6.0]])
        layer.w.assign_add(np.ones(2))
        np.testing.assert_allclose(np.asarray(layer(x)), [[3.0, 8.0]])
    np.testing.assert_allclose(np.asarray(layer(x)), [[1.0, 2.0]])
    np.testing.assert_allclose(scope.get_current_value(layer.weights[0]), [3.0, 4.0])


def test_symbolic_scope_is_a_scope_as_in_keras():
    def scenario(keras):
        with keras.SymbolicScope() as scope:
            inside = type(scope).__name__
        return inside
    assert _both(scenario) == "SymbolicScope"
    from swiftkeras import _scopes
    with sk.SymbolicScope():
        assert _scopes.in_symbolic_scope()
    assert not _scopes.in_symbolic_scope()


def test_remat_scope_validates_like_keras_and_keeps_the_numbers():
    def scenario(keras):
        out = [_outcome(lambda: keras.RematScope(mode="bogus"))]
        for kwargs in ({}, {"mode": "larger_than", "output_size_threshold": 10},
                       {"mode": "list_of_layers", "layer_names": ["d"]}, {"mode": None}):
            scope = keras.RematScope(**kwargs)
            out.append((scope.mode, scope.output_size_threshold, scope.layer_names))
        return out
    _both(scenario)
    from swiftkeras import _scopes
    with sk.RematScope(mode="activations"):
        with sk.RematScope(mode=None):
            assert _scopes.get_current_remat_mode() is None
        assert _scopes.get_current_remat_mode().mode == "activations"
    assert _scopes.get_current_remat_mode() is None


def test_remat_in_a_layer_trains_as_keras():
    """Keras's own remat example: a layer whose call goes through keras.remat, in a model
    trained one epoch; the same weights give the same predictions and trained weights."""
    def scenario(keras):
        class Remat(keras.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.f = keras.remat(self.intermediate)

            def intermediate(self, x):
                for _ in range(2):
                    x = x + x * 0.1
                return keras.ops.tanh(x)

            def call(self, inputs):
                return self.f(inputs)

        rng = np.random.default_rng(3)
        x = rng.normal(size=(16, 4)).astype("float32")
        y = rng.normal(size=(16, 1)).astype("float32")
        with keras.RematScope(mode="full"):
            inputs = keras.Input((4,))
            h = keras.layers.Dense(4, activation="relu")(inputs)
            h = Remat()(h)
            model = keras.Model(inputs, keras.layers.Dense(1)(h))
        weights = [rng.normal(size=w.shape).astype("float32") * 0.5 for w in model.get_weights()]
        model.set_weights(weights)
        before = model.predict(x, verbose=0)
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
        return before, model.get_weights()
    ours, theirs = scenario(sk), scenario(real_keras())
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert sk.remat(abs)(-2) == 2
