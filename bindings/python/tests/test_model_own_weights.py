"""A subclassed Model's own weights and losses, as the Keras guides write them: `self.add_weight`
in `__init__` and in `build` (trainable, non-trainable, a scalar), `self.add_loss` in `call`
(an activity penalty on a layer's output, a penalty on the model's own weight). The model lists
its weights and losses in Keras's order with Keras's names, trains to Keras 3's weights from the
same initial weights and data, and its `.weights.h5` and `.keras` files load here and in Keras."""

import numpy as np
import pytest

from conftest import CORE, assert_fits_like_keras, exec_layers, needs, real_keras, same_drawn_weights

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op", "keras_layer_builder_loss")

SOURCE = """
@keras.saving.register_keras_serializable(package="own_weights_test")
class Scaled(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, activation="tanh", name="dense")
        self.scale = self.add_weight(shape=(units,), initializer="ones", name="scale")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def build(self, input_shape):
        self.dense.build(input_shape)   # so that Keras's build_from_config builds it too
        self.offset = self.add_weight(shape=(self.units,), initializer="zeros", name="offset")
        super().build(input_shape)

    def call(self, x):
        h = self.dense(x) * self.scale + self.offset
        self.add_loss(0.01 * ops.sum(ops.square(h)))            # activity regularization
        self.add_loss(0.1 * ops.sum(ops.abs(self.scale - 1.0)))  # a penalty on its own weight
        return h + self.count
"""

RS = np.random.RandomState(7)
X = RS.normal(size=(24, 4)).astype("float32")
Y = RS.normal(size=(24, 3)).astype("float32")


def _pair():
    ours = exec_layers(SOURCE, sk)["Scaled"](name="scaled")
    ref = exec_layers(SOURCE, keras)["Scaled"](name="scaled")
    ref(X[:1])
    ours.build((None, 4))
    return same_drawn_weights(ours, ref, 5)


def _listing(variables):
    return [(v.name, v.path, tuple(v.shape), v.trainable) for v in variables]


def test_own_weights_and_losses_list_and_train_as_keras():
    ours, ref = _pair()
    assert _listing(ours.weights) == _listing(ref.weights)
    assert [v.path for v in ours.trainable_weights] == [v.path for v in ref.trainable_weights]
    assert [v.path for v in ours.non_trainable_weights] == [v.path for v in ref.non_trainable_weights]
    assert [layer.name for layer in ours.layers] == [layer.name for layer in ref.layers] == ["dense"]
    assert ours.scale.path == ref.scale.path == "scaled/scale" and ours.count.shape == ()
    # The ops over the dense output and the own weights join them once (each later op reads the
    # same join), not in one more Concatenate layer per op.
    assert [type(layer).__name__ for layer in ours._layers].count("Concatenate") == 1
    np.testing.assert_allclose(ours.scale.numpy(), np.asarray(ref.scale), rtol=1e-6)
    np.testing.assert_allclose(ours(X), np.asarray(ref(X)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.losses, [np.asarray(v) for v in ref.losses], rtol=1e-5)
    assert len(ours.losses) == 2
    assert_fits_like_keras(ours, ref, X, Y, rtol=1e-5)
    np.testing.assert_allclose(ours.evaluate(X, Y, verbose=0), ref.evaluate(X, Y, verbose=0), rtol=1e-5)
    ours.scale.assign(np.full(3, 2.0, np.float32))   # assigning through the model's Variable
    ref.scale.assign(np.full(3, 2.0, np.float32))
    np.testing.assert_allclose(ours.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_weights_file_round_trips_and_loads_in_keras(tmp_path):
    ours, ref = _pair()
    ours.count.assign(np.float32(0.25))
    expected = ours.predict(X, verbose=0)
    path = str(tmp_path / "scaled.weights.h5")
    ours.save_weights(path)
    import h5py
    with h5py.File(path) as f:   # the model's own weights and its layer where Keras keeps them
        assert [f["vars"][k].shape for k in sorted(f["vars"])] == [(3,), (3,), ()]
        assert [f["dense/vars"][k].shape for k in sorted(f["dense/vars"])] == [(4, 3), (3,)]
    again = exec_layers(SOURCE, sk)["Scaled"](name="scaled")
    again.build((None, 4))
    again.load_weights(path)
    np.testing.assert_allclose(again.predict(X, verbose=0), expected, atol=1e-6)
    ref.load_weights(path)
    np.testing.assert_allclose(ref.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ref.count), 0.25)
    # And the other way: Keras's own file of the subclass loads here.
    ref.count.assign(np.float32(0.5))
    theirs = str(tmp_path / "keras.weights.h5")
    ref.save_weights(theirs)
    again.load_weights(theirs)
    np.testing.assert_allclose(again.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    assert float(again.count.numpy()) == 0.5


def test_keras_file_of_a_registered_subclass_loads_here_and_in_keras(tmp_path):
    ours, _ = _pair()
    float32 = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    assert ours.get_config() == {"name": "scaled", "trainable": True, "dtype": float32}   # (as Keras's)
    five = exec_layers(SOURCE, sk)["Scaled"](5, name="five")   # its constructor's arguments,
    assert five.get_config() == {"name": "five", "trainable": True, "dtype": float32, "units": 5}   # for from_config
    assert type(five).from_config(five.get_config()).units == 5
    ours.compile(sk.optimizers.SGD(0.05), "mse")
    ours.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    expected = ours.predict(X, verbose=0)
    path = str(tmp_path / "scaled.keras")
    ours.save(path)
    again = sk.models.load_model(path)
    assert type(again).__name__ == "Scaled" and again.units == 3
    np.testing.assert_allclose(again.predict(X, verbose=0), expected, atol=1e-6)
    assert _listing(again.weights) == _listing(ours.weights)
    theirs = keras.saving.load_model(path)
    assert type(theirs).__name__ == "Scaled"
    np.testing.assert_allclose(theirs.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    keras_path = str(tmp_path / "by_keras.keras")   # Keras's own file of the subclass, here
    theirs.save(keras_path)
    back = sk.models.load_model(keras_path)
    assert type(back).__name__ == "Scaled"
    np.testing.assert_allclose(back.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_own_weights_and_losses_refused_clearly_where_they_cannot_be():
    model = exec_layers(SOURCE, sk)["Scaled"]()
    model.build((None, 4))
    with pytest.raises(ValueError, match="already built.*__init__ or build"):
        model.add_weight(shape=(2,), name="late")
    with pytest.raises(NotImplementedError, match="add_loss.*call"):
        model.add_loss(np.float32(1.0))


CONSTRAINED = """
class Constrained(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(3, name="dense")
        self.scale = self.add_weight(shape=(3,), initializer="ones", name="scale",
                                     regularizer=keras.regularizers.L2(0.05),
                                     constraint=keras.constraints.NonNeg())
        self.shift = self.add_weight(shape=(3,), initializer="zeros", name="shift",
                                     regularizer=keras.regularizers.L1(0.02),
                                     constraint=keras.constraints.MaxNorm(0.3, axis=0))

    def call(self, x):
        return self.dense(x) * self.scale + self.shift
"""


def test_own_weights_regularizer_and_constraint_train_as_keras():
    """add_weight(regularizer=..., constraint=...) on a subclassed model: the penalty joins the
    loss and the constraint holds after every step, as in Keras (`scale` starts negative in
    one place, which NonNeg zeroes; `shift` grows to MaxNorm's bound)."""
    ours = exec_layers(CONSTRAINED, sk)["Constrained"](name="constrained")
    ref = exec_layers(CONSTRAINED, keras)["Constrained"](name="constrained")
    ref(X[:1])
    ours(X[:1])   # (as Keras: build() alone makes no weights for a class without its own)
    same_drawn_weights(ours, ref, 11)
    weights = ref.get_weights()   # Keras lists the model's own weights first
    weights[0] = np.array([-0.4, 0.3, 0.8], np.float32)
    for m in (ours, ref):
        m.set_weights(weights)
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.2), "mse")
    ha = ours.fit(X, -3 * Y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    hb = ref.fit(X, -3 * Y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-4)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)
    scale, shift = (np.asarray(w) for w in ref.get_weights()[:2])
    assert scale.min() == 0 and np.linalg.norm(shift) == pytest.approx(0.3, rel=1e-5)


CUSTOM_LOSS = """
class Gated(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(3, name="dense")
        self.gate = self.add_weight(shape=(3,), initializer="ones", name="gate")

    def call(self, x):
        self.add_loss(0.01 * ops.sum(ops.square(self.gate)))
        return self.dense(x) * ops.sigmoid(self.gate)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        return loss + 0.1 * ops.mean(ops.abs(y_pred))
"""


def test_compute_loss_override_with_own_weights_trains_as_keras():
    """Keras's custom-loss pattern (compute_loss calling super(), which brings the add_loss
    values) on a model with its own weight: traced, it trains to Keras's weights."""
    ours = exec_layers(CUSTOM_LOSS, sk)["Gated"](name="gated")
    ref = exec_layers(CUSTOM_LOSS, keras)["Gated"](name="gated")
    ref(X[:1])
    ours(X[:1])   # (as Keras: build() alone makes no weights for a class without its own)
    same_drawn_weights(ours, ref, 2, scale=1.0)
    assert_fits_like_keras(ours, ref, X, Y, rtol=1e-5)


def test_bad_subclass_attributes_in_a_config_are_refused_clearly():
    i = sk.Input((4,), name="x")
    model = sk.Model(i, sk.layers.Dense(2, name="d")(i), name="f")
    config = model._model_config()
    for attributes, words in [({"head": "nope"}, "attribute 'head' names \"nope\", which is not a layer"),
                              (["d"], "must be an object")]:
        config["config"]["subclass_attributes"] = attributes
        with pytest.raises(Exception, match=words):
            sk.models.model_from_json(config)


class _Pickled(sk.Model):
    """At module level, so that pickle finds the class."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.dense = sk.layers.Dense(units)
        self.scale = self.add_weight(shape=(units,), initializer="ones", name="scale")

    def call(self, x):
        self.add_loss(0.01 * sk.ops.sum(sk.ops.square(self.scale)))
        return self.dense(x) * self.scale


def test_pickled_subclassed_model_is_made_again_from_its_class():
    """Pickling a subclassed model (its call's ops and own weights have no JSON form) makes it
    again from its class and config, with its weights and optimizer state: the copy predicts
    and trains on as the original."""
    import pickle
    model = _Pickled(units=3, name="pickled")
    model.build((None, 4))
    model.compile(sk.optimizers.Adam(0.01), "mse")
    model.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    copy = pickle.loads(pickle.dumps(model))
    assert type(copy) is _Pickled and copy.name == "pickled"
    assert [v.name for v in copy.weights] == [v.name for v in model.weights]
    np.testing.assert_allclose(copy.predict(X, verbose=0), model.predict(X, verbose=0), atol=1e-6)
    model.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    copy.fit(X, Y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(copy.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
