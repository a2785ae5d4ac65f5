"""Keras 3's Model API beyond fit/evaluate/predict, subclassed models, and losses and metrics
on numpy arrays, each compared with real Keras 3 (jax backend) on the same weights and data."""

import re

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = [needs(*CORE), pytest.mark.usefixtures("seeded")]

RS = np.random.RandomState(0)
X = RS.rand(8, 4).astype("float32")
Y = (X.sum(1, keepdims=True) > 2).astype("float32")


def _pair(lib):
    """The same Sequential in `lib` (swiftkeras or keras)."""
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="relu"),
                           lib.layers.BatchNormalization(), lib.layers.Dense(1, activation="sigmoid")])


def test_on_batch_calls_match_keras():
    ours, ref = _pair(sk), _pair(keras)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    for step in range(3):
        a = ours.train_on_batch(X[step:step + 5], Y[step:step + 5])
        b = ref.train_on_batch(X[step:step + 5], Y[step:step + 5])
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.test_on_batch(X, Y), ref.test_on_batch(X, Y), rtol=1e-4)
    d, e = ours.train_on_batch(X, Y, return_dict=True), ref.train_on_batch(X, Y, return_dict=True)
    assert list(d) == ["loss", "accuracy"] and sorted(d) == sorted(e)
    np.testing.assert_allclose([d[k] for k in e], list(e.values()), rtol=1e-4)
    np.testing.assert_allclose(ours.predict_on_batch(X), ref.predict_on_batch(X), rtol=1e-4, atol=1e-6)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-6)


def test_weight_lists_metrics_and_configs_match_keras():
    ours, ref = _pair(sk), _pair(keras)
    assert ours.metrics_names == ref.metrics_names == []
    for m in (ours, ref):
        m.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    assert ours.metrics_names == ref.metrics_names
    assert [m.name for m in ours.metrics] == [m.name for m in ref.metrics]
    assert [w.shape for w in ours.trainable_weights] == [tuple(w.shape) for w in ref.trainable_weights]
    assert [w.shape for w in ours.non_trainable_weights] == [tuple(w.shape) for w in ref.non_trainable_weights]
    assert len(ours.variables) == len(ref.variables) == 8
    assert ours.get_build_config() == ref.get_build_config() == {"input_shape": (None, 4)}
    ours_cc, ref_cc = ours.get_compile_config(), ref.get_compile_config()
    assert {k: ours_cc[k] for k in ("loss", "metrics", "loss_weights", "weighted_metrics")} == \
        {k: ref_cc[k] for k in ("loss", "metrics", "loss_weights", "weighted_metrics")}
    assert ours_cc["optimizer"]["class_name"] == ref_cc["optimizer"]["class_name"]
    other = _pair(sk)
    other.compile_from_config(ours_cc)
    assert other.get_compile_config()["loss"] == "binary_crossentropy"
    other.fit(X, Y, epochs=1, verbose=0)
    ours.reset_metrics()
    assert ours.losses == []


def test_functional_input_and_output():
    inp = sk.Input((4,), name="inp")
    out = sk.layers.Dense(2, name="d")(inp)
    m = sk.Model(inp, out)
    assert m.input is inp and m.output is out
    assert m.inputs == [inp] and m.outputs == [out]
    with pytest.raises(AttributeError, match="never been called"):
        sk.Sequential([sk.layers.Dense(1)]).input


def _subclass(lib):
    """The same subclassed model for `lib` (swiftkeras or keras)."""

    class Sub(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(5, activation="tanh")
            self.head = lib.layers.Dense(1)

        def call(self, inputs, training=False):
            return self.head(self.hidden(inputs))

    return Sub


_Sub, _RefSub = _subclass(sk), _subclass(keras)


def test_subclassed_model_trains_like_keras():
    ours, ref = _Sub(), _RefSub()
    # (its automatic name counts per process, as Keras's: "sub", or "sub_1" after another Sub)
    assert re.fullmatch(r"sub(_\d+)?", ours.name) and len(ours.layers) == 2 and not ours.built
    ref(X[:1])  # Keras builds a subclassed model's layers at its first call
    ours(X[:1])   # (its build() alone, without one of the class's own, makes no weights)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.1), "mse", metrics=["mae"])
    ha = ours.fit(X, Y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    hb = ref.fit(X, Y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(ours.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-4, atol=1e-6)


def test_subclassed_model_builds_at_first_fit_and_refuses_non_layer_outputs():
    m = _Sub()
    m.compile("adam", "mse")
    m.fit(X, Y, epochs=1, verbose=0)
    assert m.built and m.predict(X, verbose=0).shape == (8, 1)

    class Bad(sk.Model):
        def call(self, inputs):
            return 3.0

    with pytest.raises(TypeError, match="must compose swiftkeras layers"):
        Bad()(X[:1])
    # An unbuilt subclassed model prints its layers as unbuilt, as Keras 3.15's summary does
    # (test_subclass_summary_nested.py compares the text with Keras's).
    lines = []
    _Sub().summary(print_fn=lines.append)
    assert "(unbuilt)" in "\n".join(lines)


def test_losses_on_arrays_match_keras():
    y = (RS.rand(6, 3) > .5).astype("float32")
    p = (RS.rand(6, 3) * 0.9 + 0.05).astype("float32")
    for name in ("binary_crossentropy", "mean_squared_error", "mean_absolute_error", "huber"):
        np.testing.assert_allclose(getattr(sk.losses, name)(y, p),
                                   np.asarray(getattr(keras.losses, name)(y, p)), rtol=1e-4)
    np.testing.assert_allclose(sk.losses.mean_squared_error(y[:, 0], p[:, 0]),
                               keras.losses.mean_squared_error(y[:, 0], p[:, 0]), rtol=1e-4)
    sw = np.array([1, 0, 2, 1, 1, 0.5], "float32")
    np.testing.assert_allclose(sk.losses.BinaryCrossentropy()(y, p, sample_weight=sw),
                               keras.losses.BinaryCrossentropy()(y, p, sample_weight=sw), rtol=1e-4)
    np.testing.assert_allclose(sk.losses.MeanSquaredError(reduction=None)(y, p),
                               keras.losses.MeanSquaredError(reduction=None)(y, p), rtol=1e-4)
    assert sk.losses.BinaryCrossentropy().name == keras.losses.BinaryCrossentropy().name
    np.testing.assert_allclose(sk.metrics.binary_accuracy(y, p), keras.metrics.binary_accuracy(y, p))
    np.testing.assert_allclose(sk.metrics.categorical_accuracy(y, p), keras.metrics.categorical_accuracy(y, p))


@pytest.mark.parametrize("cls", ["BinaryAccuracy", "AUC", "Precision", "Recall"])
def test_metric_objects_match_keras(cls):
    # Auto-names count per process: start both libraries' counts afresh, as other files in this
    # worker may have made metrics in one library only.
    sk.backend.clear_session()
    keras.backend.clear_session()
    y = (RS.rand(6, 3) > .5).astype("float32")
    p = (RS.rand(6, 3) * 0.9 + 0.05).astype("float32")
    ours, ref = getattr(sk.metrics, cls)(), getattr(keras.metrics, cls)()
    assert ours.name == ref.name
    assert float(ours.result()) == float(ref.result()) == 0.0
    for m in (ours, ref):
        m.update_state(y[:3], p[:3])
        m.update_state(y[3:], p[3:], sample_weight=np.array([0, 1, 2.0]))
    np.testing.assert_allclose(ours.result(), float(ref.result()), rtol=1e-4)
    ours.reset_state()
    assert float(ours.result()) == 0.0
    np.testing.assert_allclose(ours(y, p), float(getattr(keras.metrics, cls)()(y, p)), rtol=1e-4)


def test_from_config_rebuilds_as_keras_does():
    """`Sequential.from_config` / `Model.from_config` on `get_config()`, with Keras's weights set
    on both: the same predictions as real Keras's rebuilt models."""
    inp = sk.Input((4,))
    functional = sk.Model(inp, sk.layers.Dense(2, activation="tanh")(sk.layers.Dense(3)(inp)))
    k_in = keras.Input((4,))
    k_functional = keras.Model(k_in, keras.layers.Dense(2, activation="tanh")(keras.layers.Dense(3)(k_in)))
    for ours, ref, cls, k_cls in ((_pair(sk), _pair(keras), sk.Sequential, keras.Sequential),
                                  (functional, k_functional, sk.Model, keras.Model)):
        again, k_again = cls.from_config(ours.get_config()), k_cls.from_config(ref.get_config())
        assert type(again) is type(ours)
        assert [type(layer).__name__ for layer in again.layers] == [type(layer).__name__ for layer in ours.layers]
        again.set_weights([np.asarray(w) for w in k_again.get_weights()])
        np.testing.assert_allclose(again.predict(X, verbose=0), np.asarray(k_again.predict(X, verbose=0)), atol=1e-6)
    with pytest.raises(ValueError, match="functional model"):
        sk.Sequential.from_config(functional.get_config())


def test_from_config_of_a_subclassed_model_calls_its_constructor():
    class Wide(sk.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = sk.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    again = Wide.from_config({"units": 5})
    assert isinstance(again, Wide) and again.units == 5


def test_a_model_whose_input_a_layer_made_starts_from_a_clone_of_it_as_keras():
    """Keras's clone_graph_nodes: `Model(inputs=<a layer's output>, ...)` starts from a new
    Input ('<tensor name>CLONE') of that tensor's shape and calls the same layers again, so it
    shares their weights with the graph it was cut from; its summary lists the layers after
    the cut only."""
    keras = real_keras()
    models = []
    for lib in (sk, keras):
        a, b = lib.Input((3,)), lib.Input((2,))
        enc = lib.layers.Concatenate()([a, b])
        x = lib.layers.Dense(4, activation="relu", name="hidden")(enc)
        out = lib.layers.Dense(1, name="out")(lib.layers.Dropout(0.5, name="drop")(x))
        cut, full = lib.Model(enc, out), lib.Model([a, b], out)
        models.append((cut, full, enc.name))
    (cut, full, name), (ref_cut, _, ref_name) = models
    assert [l.name for l in cut.layers][0] == f"{name}CLONE"
    assert [type(l).__name__ for l in cut.layers][1:] == [type(l).__name__ for l in ref_cut.layers][1:]
    assert [l.name for l in cut.layers][1:] == [l.name for l in ref_cut.layers][1:]
    assert tuple(cut.inputs[0].shape) == tuple(ref_cut.inputs[0].shape) == (None, 5)
    rs = np.random.RandomState(0)
    ref_cut.set_weights([rs.rand(*w.shape).astype("float32") for w in ref_cut.get_weights()])
    cut.set_weights([np.asarray(w) for w in ref_cut.get_weights()])
    x = rs.rand(4, 5).astype("float32")
    np.testing.assert_allclose(cut.predict(x, verbose=0), ref_cut.predict(x, verbose=0), rtol=1e-6)
    # The same layers: training the cut model changes the full one.
    cut.compile("sgd", "mse")
    cut.fit(x, np.ones((4, 1), "float32"), epochs=2, verbose=0)
    np.testing.assert_allclose(full.predict([x[:, :3], x[:, 3:]], verbose=0),
                               cut.predict(x, verbose=0), rtol=1e-6)


def test_unbuilt_models_have_no_weights_as_in_keras():
    """A Sequential without its input's shape and a subclassed model never called list no
    weights (Keras: []), count_params refuses with Keras's message, and once built they have
    them."""
    for lib in (sk, keras):
        class Sub(lib.Model):
            def __init__(self):
                super().__init__()
                self.d = lib.layers.Dense(2)

            def call(self, x):
                return self.d(x)

        for model in (lib.Sequential([lib.layers.Dense(2)]), Sub()):
            for attribute in ("weights", "trainable_weights", "non_trainable_weights", "variables",
                              "trainable_variables", "non_trainable_variables"):
                assert getattr(model, attribute) == [], (lib.__name__, attribute)
            assert model.get_weights() == []
            with pytest.raises(ValueError, match="isn't built"):
                model.count_params()
            model.predict(np.ones((2, 3), "float32"), verbose=0)
            assert len(model.weights) == len(model.get_weights()) == 2 and model.count_params() == 8
