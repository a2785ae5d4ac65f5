"""A `keras.optimizers.schedules.LearningRateSchedule` subclass written in Python given to an
optimizer (the Transformer tutorials' warm-up schedule, keras.io's and TensorFlow's): traced once
into the library's op graph of the step, it gives each training step's rate at the optimizer's
count, so that a fit's losses and weights are Keras's; `optimizer.learning_rate`, the
optimizer's config, save and load both ways as Keras; a schedule that raises gives its
exception, one that returns no rate a clear error. Also a Python subclass of a built-in
schedule overriding `__call__`."""

import json
import zipfile

import numpy as np
import pytest

from conftest import needs, CORE, real_keras, fresh_library

pytestmark = needs(*CORE)


def _libraries():
    import swiftkeras
    return swiftkeras, real_keras()


def _transformer_schedule(lib):
    ops = lib.ops

    class CustomSchedule(lib.optimizers.schedules.LearningRateSchedule):
        def __init__(self, d_model, warmup_steps=4):
            super().__init__()
            self.d_model = d_model
            self.warmup_steps = warmup_steps

        def __call__(self, step):
            step = ops.cast(step, "float32")
            arg1 = ops.rsqrt(step)
            arg2 = step * (self.warmup_steps ** -1.5)
            return ops.rsqrt(ops.cast(self.d_model, "float32")) * ops.minimum(arg1, arg2)

        def get_config(self):
            return {"d_model": self.d_model, "warmup_steps": self.warmup_steps}

    return CustomSchedule


def _floored_decay(lib):
    ops = lib.ops

    class FlooredDecay(lib.optimizers.schedules.ExponentialDecay):
        def __call__(self, step):
            decayed = self.initial_learning_rate * ops.power(
                self.decay_rate, ops.cast(step, "float32") / self.decay_steps)
            return ops.maximum(decayed, 0.02)

    return FlooredDecay


def _data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(16, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def _fitted(lib, make_optimizer, weights=None):
    lib, layers, _ = fresh_library(lib)
    model = lib.Sequential([lib.Input((3,)), layers.Dense(4, activation="tanh"), layers.Dense(1)])
    if weights is not None:
        model.set_weights(weights)
    optimizer = make_optimizer(lib)
    before = float(np.asarray(optimizer.learning_rate))
    model.compile(optimizer=optimizer, loss="mse")
    x, y = _data()
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model, optimizer, before, history.history["loss"]


def _transformer_adam(lib):
    return lib.optimizers.Adam(_transformer_schedule(lib)(16), beta_1=0.9, beta_2=0.98,
                               epsilon=1e-9)


def _compare_fits(make_optimizer):
    sk, keras = _libraries()
    rng = np.random.default_rng(4)
    start = [rng.normal(size=shape).astype("float32") * 0.5 for shape in ((3, 4), (4,), (4, 1), (1,))]
    ref, ref_opt, ref_before, ref_losses = _fitted(keras, make_optimizer, start)
    ours, opt, before, losses = _fitted(sk, make_optimizer, start)
    assert before == ref_before
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    assert int(np.asarray(opt.iterations)) == int(np.asarray(ref_opt.iterations)) == 8
    np.testing.assert_allclose(float(np.asarray(opt.learning_rate)),
                               float(np.asarray(ref_opt.learning_rate)), rtol=1e-6)
    return (ours, opt), (ref, ref_opt)


def test_transformer_warmup_schedule_trains_as_keras(tmp_path):
    (ours, opt), (ref, ref_opt) = _compare_fits(_transformer_adam)
    sk, keras = _libraries()
    assert sk.optimizers.serialize(opt) == keras.optimizers.serialize(ref_opt)
    assert opt.get_config()["learning_rate"] == {
        "module": __name__, "class_name": "CustomSchedule", "config": {"d_model": 16, "warmup_steps": 4},
        "registered_name": "CustomSchedule"}

    # save and load, both ways: the optimizer's schedule and count come back
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    with zipfile.ZipFile(tmp_path / "ours.keras") as archive:
        compiled = json.loads(archive.read("config.json"))["compile_config"]
    assert compiled["optimizer"]["config"]["learning_rate"] == opt.get_config()["learning_rate"]
    objects = {"CustomSchedule": _transformer_schedule(sk)}
    x, y = _data()
    for path in ("ours.keras", "ref.keras"):
        loaded = sk.saving.load_model(tmp_path / path, custom_objects=objects)
        assert type(loaded.optimizer.get_config()["learning_rate"]) is dict
        np.testing.assert_allclose(float(np.asarray(loaded.optimizer.learning_rate)),
                                   float(np.asarray(ref_opt.learning_rate)), rtol=1e-6)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), ref.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6)
    back = keras.saving.load_model(tmp_path / "ours.keras",
                                   custom_objects={"CustomSchedule": _transformer_schedule(keras)})
    assert back.optimizer.get_config()["learning_rate"] == ref_opt.get_config()["learning_rate"]


def test_python_subclass_of_a_builtin_schedule_trains_as_keras():
    def sgd(lib):
        return lib.optimizers.SGD(_floored_decay(lib)(0.1, decay_steps=2, decay_rate=0.5))
    (_, opt), (_, ref_opt) = _compare_fits(sgd)
    sk, keras = _libraries()
    assert sk.optimizers.serialize(opt) == keras.optimizers.serialize(ref_opt)


def _compile_with(schedule_class):
    import swiftkeras as sk
    model = sk.Sequential([sk.Input((3,)), sk.layers.Dense(1)])
    model.compile(optimizer=sk.optimizers.SGD(schedule_class()), loss="mse")
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)


def test_schedule_errors_reach_the_user():
    import swiftkeras as sk

    class Raising(sk.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            raise ArithmeticError("no rate today")

    class ReturnsNone(sk.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return None

    class ReturnsVector(sk.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return sk.ops.ones((3,)) * step

    with pytest.raises(ArithmeticError, match="no rate today"):
        _compile_with(Raising)
    with pytest.raises(TypeError, match="must return the learning rate.*NoneType"):
        _compile_with(ReturnsNone)
    with pytest.raises(ValueError, match="ReturnsVector.*must return a scalar learning rate"):
        _compile_with(ReturnsVector)


def _registered_warmup(lib):
    ops = lib.ops

    @lib.saving.register_keras_serializable(package="sched_tests")
    class Warmup(lib.optimizers.schedules.LearningRateSchedule):
        def __init__(self, peak=0.2):   # (Keras's base needs no super().__init__())
            self.peak = peak

        def __call__(self, step):
            return self.peak * ops.minimum(1.0, (ops.cast(step, "float32") + 1.0) / 4.0)

        def get_config(self):
            return {"peak": self.peak}

    return Warmup


def test_registered_schedule_class_round_trips_as_keras(tmp_path):
    found = []
    for lib in _libraries():
        schedule = _registered_warmup(lib)()
        model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1)])
        model.compile(optimizer=lib.optimizers.SGD(schedule), loss="mse")
        model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), batch_size=2, verbose=0)
        path = tmp_path / f"{lib.__name__}.keras"
        model.save(path)
        loaded = lib.saving.load_model(path)
        found.append((lib.optimizers.schedules.serialize(schedule),
                      loaded.optimizer.get_config()["learning_rate"],
                      float(np.asarray(loaded.optimizer.learning_rate))))
    assert found[0][0] == found[1][0]
    assert found[0][1] == found[1][1] == {"module": __name__, "class_name": "Warmup",
                                          "config": {"peak": 0.2},
                                          "registered_name": "sched_tests>Warmup"}
    assert found[0][2] == found[1][2] == np.float32(0.15)
