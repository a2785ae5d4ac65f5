"""Python subclasses of built-in layers (`class MyDense(keras.layers.Dense)`), against real Keras 3:
a subclass that only changes `__init__`, one overriding `call` with `super().call(x)` and ops,
one overriding `build` to add a weight, for Dense, Conv2D, Embedding and LSTM. Each runs as the
library's op graph (no Python per step), its weights are its own (`layers/my_dense/vars/0`),
trains to Keras's weights from the same initial ones, and its saved config and files are
Keras's, read both ways."""

import json
import zipfile

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE, "keras_layer_builder_base", "keras_layer_builder_base_call")


def classes(lib):
    """The same subclasses written against `lib` (swiftkeras or real Keras)."""
    ops = lib.ops

    class FixedDense(lib.layers.Dense):
        """Only __init__: fixed arguments, and an extra one its get_config returns."""

        def __init__(self, scale=2.0, **kwargs):
            kwargs.pop("units", None)
            kwargs.pop("activation", None)
            super().__init__(units=3, activation="tanh", **kwargs)
            self.scale = scale

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    @lib.saving.register_keras_serializable(package="builtin_subclass")
    class RegisteredDense(lib.layers.Dense):
        pass

    @lib.saving.register_keras_serializable(package="builtin_subclass")
    class TwiceDense(lib.layers.Dense):
        calls = []   # each run of call (Keras's on every step; ours while traced)

        def call(self, x):
            TwiceDense.calls.append(1)
            return super().call(x) * 2.0

    class ResidualDense(lib.layers.Dense):
        def call(self, x):
            return ops.relu(super().call(x)) + x

    class KernelDense(lib.layers.Dense):
        """A call of its own over the built-in's weights."""

        def call(self, x):
            return ops.matmul(x, self.kernel) + self.bias

    class ScaledDense(lib.layers.Dense):
        """build: super().build, then a weight of its own, used in call."""

        def build(self, input_shape):
            super().build(input_shape)
            self.alpha = self.add_weight(shape=(self.units,), initializer="ones", name="alpha")

        def call(self, x):
            return super().call(x) * self.alpha

    class HalfConv(lib.layers.Conv2D):
        def call(self, x):
            return super().call(x) * 0.5

    class PlainConv(lib.layers.Conv2D):
        pass

    class PosEmbedding(lib.layers.Embedding):
        def call(self, x):
            return ops.tanh(super().call(x))

    class PenalizedDense(lib.layers.Dense):
        def call(self, x):
            return super().call(x) * 2.0

    class MyBatchNorm(lib.layers.BatchNormalization):
        pass

    class MyDropout(lib.layers.Dropout):
        pass

    class MyLSTM(lib.layers.LSTM):
        def call(self, sequences, initial_state=None, mask=None, training=False):   # (Keras's)
            return super().call(sequences, initial_state=initial_state, mask=mask,
                                training=training) + 1.0

    return {c.__name__: c for c in (FixedDense, RegisteredDense, TwiceDense, ResidualDense,
                                    KernelDense, ScaledDense, HalfConv, PlainConv, PosEmbedding,
                                    PenalizedDense, MyBatchNorm, MyDropout, MyLSTM)}


def _pair(build):
    """`build(lib, classes)` in swiftkeras and real Keras, from the same weights."""
    import swiftkeras as sk
    keras = real_keras()
    sk.backend.clear_session()      # unnamed layers numbered alike in both (dense, dense_1)
    keras.backend.clear_session()
    ours, ref = build(sk, classes(sk)), build(keras, classes(keras))
    rng = np.random.default_rng(0)
    weights = [rng.normal(scale=0.3, size=np.shape(w)).astype("float32") for w in ref.get_weights()]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    ref.set_weights(weights)
    ours.set_weights(weights)
    return ours, ref


def _traced(model):
    """Every subclass in `model` ran as the library's op graph."""
    from swiftkeras import _python_layers
    from swiftkeras.layers import _subclasses_builtin
    subclassed = [layer for layer in model.layers if _subclasses_builtin(layer)]
    assert subclassed
    for layer in subclassed:
        runs = [i.traced for i in _python_layers._instances.values() if i.layer is layer]
        assert runs and all(runs), f"{layer.name} must run as the library's op graph"


def _fit_both(ours, ref, x, y, loss="mse", optimizer="sgd", epochs=3):
    import swiftkeras as sk
    keras = real_keras()
    for m, lib in ((ours, sk), (ref, keras)):
        opt = lib.optimizers.SGD(0.05) if optimizer == "sgd" else lib.optimizers.Adam(0.01)
        m.compile(opt, loss)
        m.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)


def _dense_model(lib, c):
    return lib.Sequential([lib.Input((4,)), c["FixedDense"](scale=0.5, name="my_dense"),
                           c["RegisteredDense"](3, name="registered_dense"),
                           c["TwiceDense"](3, activation="relu", name="twice_dense"),
                           c["ResidualDense"](3, name="residual_dense"),
                           c["KernelDense"](3, name="kernel_dense"),
                           c["ScaledDense"](2, name="scaled_dense")])


def _paths(model):
    """The paths of a model's weights below the model (its name's counter differs by library)."""
    return [w.path.split("/", 1)[1] for w in model.weights]


def _config_entries(path):
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
    return {e["config"]["name"]: e for e in config["config"]["layers"]}


def _vars(path):
    import h5py
    with zipfile.ZipFile(path) as z, h5py.File(z.open("model.weights.h5")) as f:
        found = []
        f.visit(lambda name: found.append(name) if isinstance(f[name], h5py.Dataset) else None)
    return sorted(found)


def _without_ids(value):
    """A config without Keras's shared_object_id (which object a config shares, per process)."""
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def test_dense_subclasses_train_like_keras_with_sgd_and_adam():
    x = np.random.default_rng(1).normal(size=(32, 4)).astype("float32")
    y = np.random.default_rng(2).normal(size=(32, 2)).astype("float32")
    ours, ref = _pair(_dense_model)
    _traced(ours)
    _fit_both(ours, ref, x, y)
    ours, ref = _pair(_dense_model)
    _fit_both(ours, ref, x, y, optimizer="adam")
    # Keras's paths: the built-in's weights are the subclass's own, the extra one after them.
    assert _paths(ours) == _paths(ref)
    assert ours.layers[-1].alpha.path == "sequential/scaled_dense/alpha" or \
        ours.layers[-1].alpha.path.endswith("scaled_dense/alpha")


def test_no_python_runs_in_the_training_steps():
    """The subclass's call runs while it is traced (once per training flag), never in fit or
    predict: the steps are the library's."""
    import swiftkeras as sk
    c = classes(sk)
    model = sk.Sequential([sk.Input((4,)), c["TwiceDense"](3)])
    x = np.ones((64, 4), np.float32)
    model.predict(x[:1], verbose=0)
    traced = len(c["TwiceDense"].calls)
    assert 1 <= traced <= 2
    model.compile("sgd", "mse")
    model.fit(x, np.ones((64, 3), np.float32), batch_size=8, epochs=2, verbose=0)
    model.predict(x, verbose=0)
    assert len(c["TwiceDense"].calls) == traced


def test_regularized_batch_norm_and_dropout_subclasses_like_keras():
    """The built-in's kernel regularizer and the subclass's activity regularizer (on the
    subclass's output, as Keras's __call__ applies it) in fit and evaluate, and the moving
    statistics of a BatchNormalization subclass, as Keras's."""
    import swiftkeras as sk
    keras = real_keras()

    def model(lib, c):
        return lib.Sequential([lib.Input((4,)),
                               c["PenalizedDense"](3, kernel_regularizer="l2", activity_regularizer="l1",
                                                   name="penalized_dense"),
                               c["MyBatchNorm"](name="my_batch_norm"), c["MyDropout"](0.0),
                               lib.layers.Dense(1)])
    ours, ref = _pair(model)
    moving_variance = np.abs(ours.layers[1].get_weights()[3]) + 0.5
    for m in (ours, ref):
        m.layers[1].set_weights(ours.layers[1].get_weights()[:3] + [moving_variance])
    x = np.random.default_rng(12).normal(size=(16, 4)).astype("float32")
    y = np.random.default_rng(13).normal(size=(16, 1)).astype("float32")
    losses = []
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.05), "mse")
        history = m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        losses.append(history.history["loss"] + [m.evaluate(x, y, verbose=0)])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    assert _paths(ours) == _paths(ref)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)


def test_a_subclass_frozen_after_its_model_is_built_stays_as_keras():
    """`layer.trainable = False` after the model was built and used, then compile (Keras reads
    the flag there): the subclass's weights stay, the rest train as Keras's."""
    import swiftkeras as sk
    keras = real_keras()
    x = np.random.default_rng(17).normal(size=(16, 4)).astype("float32")
    y = np.random.default_rng(18).normal(size=(16, 2)).astype("float32")
    ours, ref = _pair(lambda lib, c: lib.Sequential([lib.Input((4,)), c["TwiceDense"](3, name="twice_dense"),
                                                     c["ScaledDense"](2, name="scaled_dense")]))
    ours.predict(x, verbose=0)
    before = ours.layers[0].get_weights()
    for m in (ours, ref):
        m.layers[0].trainable = False
    _fit_both(ours, ref, x, y)
    assert len(ours.trainable_weights) == len(ref.trainable_weights) == 3
    for a, b in zip(ours.layers[0].get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_dense_subclass_summary_and_weights_as_keras():
    ours, ref = _pair(_dense_model)
    lines = []
    ours.summary(print_fn=lambda text, **_: lines.append(text))
    text = "\n".join(lines)
    for name, cls in (("my_dense", "FixedDense"), ("twice_dense", "TwiceDense"),
                      ("scaled_dense", "ScaledDense")):
        assert f"{name} ({cls})" in text
    assert ours.count_params() == ref.count_params()
    assert [w.name for w in ours.layers[-1].weights] == ["kernel", "bias", "alpha"]
    assert ours.layers[0].scale == 0.5 and ours.layers[0].units == 3


def test_saved_config_and_files_are_keras_and_load_both_ways(tmp_path):
    import swiftkeras as sk
    keras = real_keras()
    ours, ref = _pair(_dense_model)
    x = np.random.default_rng(3).normal(size=(5, 4)).astype("float32")
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    mine, theirs = _config_entries(tmp_path / "ours.keras"), _config_entries(tmp_path / "ref.keras")
    for name in ("my_dense", "registered_dense", "twice_dense", "scaled_dense"):
        assert mine[name]["class_name"] == theirs[name]["class_name"]
        assert mine[name]["registered_name"] == theirs[name]["registered_name"]
        assert _without_ids(mine[name]["config"]) == _without_ids(theirs[name]["config"])
        assert mine[name].get("build_config") == theirs[name].get("build_config")
    assert mine["twice_dense"]["registered_name"] == "builtin_subclass>TwiceDense"
    assert mine["my_dense"]["config"]["scale"] == 0.5
    # Keras's Dense saves its kernel and bias under the subclass's own vars (the extra weight
    # of a build override after them, which Keras's Dense.save_own_variables leaves out).
    ours_vars, ref_vars = _vars(tmp_path / "ours.keras"), _vars(tmp_path / "ref.keras")
    # (Keras names the group by the snake-cased class, not the layer name.)
    assert "layers/fixed_dense/vars/0" in ours_vars and "layers/fixed_dense/vars/1" in ours_vars
    assert set(ref_vars) <= set(ours_vars)
    assert set(ours_vars) - set(ref_vars) == {"layers/scaled_dense/vars/2"}

    c_ours, c_ref = classes(sk), classes(keras)

    def read_by_keras(model):
        # Keras's Dense.load_own_variables reads the kernel and bias only: the extra weight of
        # the build override keeps its initializer's ones there.
        for a, b in zip(model.get_weights()[:-1], ours.get_weights()[:-1]):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-6)
        np.testing.assert_array_equal(np.asarray(model.get_weights()[-1]), np.ones(2, np.float32))

    # Ours read by real Keras (its classes registered there too) and back by us.
    read_by_keras(keras.saving.load_model(tmp_path / "ours.keras", custom_objects=c_ref))
    by_us = sk.saving.load_model(tmp_path / "ours.keras", custom_objects=c_ours)
    assert type(by_us.layers[0]) is c_ours["FixedDense"] and by_us.layers[0].scale == 0.5
    np.testing.assert_allclose(by_us.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-6)
    _traced(by_us)
    # The weights file, both ways.
    ours.save_weights(tmp_path / "ours.weights.h5")
    fresh = _dense_model(keras, c_ref)
    fresh.load_weights(tmp_path / "ours.weights.h5")
    read_by_keras(fresh)


def test_keras_file_of_subclasses_loads_here(tmp_path):
    import swiftkeras as sk
    keras = real_keras()

    def model(lib, c):   # without a build override: Keras cannot read back its own file of one
        return lib.Sequential([lib.Input((4,)), c["FixedDense"](scale=0.5, name="my_dense"),
                               c["TwiceDense"](3, name="twice_dense"),
                               c["ResidualDense"](3, name="residual_dense")])
    ours, ref = _pair(model)
    x = np.random.default_rng(4).normal(size=(5, 4)).astype("float32")
    ref.save(tmp_path / "ref.keras")
    loaded = sk.saving.load_model(tmp_path / "ref.keras", custom_objects=classes(sk))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)
    ref.save_weights(tmp_path / "ref.weights.h5")
    ours.set_weights([np.zeros_like(w) for w in ours.get_weights()])
    ours.load_weights(tmp_path / "ref.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(ref.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)


def test_conv2d_subclasses_train_like_keras():
    def model(lib, c):
        return lib.Sequential([lib.Input((6, 6, 2)), c["HalfConv"](3, 3, name="half_conv"),
                               c["PlainConv"](2, 2, strides=2, name="plain_conv"),
                               lib.layers.Flatten(), lib.layers.Dense(1)])
    x = np.random.default_rng(5).normal(size=(16, 6, 6, 2)).astype("float32")
    y = np.random.default_rng(6).normal(size=(16, 1)).astype("float32")
    ours, ref = _pair(model)
    _traced(ours)
    _fit_both(ours, ref, x, y)
    assert _paths(ours) == _paths(ref)


def test_embedding_subclass_trains_like_keras():
    def model(lib, c):
        return lib.Sequential([lib.Input((5,)), c["PosEmbedding"](10, 4, name="pos_embedding"),
                               lib.layers.GlobalAveragePooling1D(), lib.layers.Dense(1)])
    x = np.random.default_rng(7).integers(0, 10, size=(16, 5)).astype("float32")
    y = np.random.default_rng(8).normal(size=(16, 1)).astype("float32")
    ours, ref = _pair(model)
    _traced(ours)
    _fit_both(ours, ref, x, y, optimizer="adam")


def test_lstm_subclass_trains_like_keras_with_its_cell_weights(tmp_path):
    def model(lib, c):
        return lib.Sequential([lib.Input((5, 3)), c["MyLSTM"](4, name="my_lstm"), lib.layers.Dense(1)])
    x = np.random.default_rng(9).normal(size=(16, 5, 3)).astype("float32")
    y = np.random.default_rng(10).normal(size=(16, 1)).astype("float32")
    ours, ref = _pair(model)
    _traced(ours)
    _fit_both(ours, ref, x, y, optimizer="adam")
    assert _paths(ours) == _paths(ref)
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    assert _vars(tmp_path / "ours.keras") == _vars(tmp_path / "ref.keras")


def test_masks_reach_and_leave_subclasses_as_in_keras():
    """An Embedding(mask_zero=True) subclass makes the mask, an LSTM subclass that does not
    override call skips the masked steps (Keras passes the mask to its call), as does one whose
    call takes the mask and passes it to super().call, and one whose call takes no mask reads
    them all (Keras passes it none): outputs and training as Keras's."""
    import swiftkeras as sk
    keras = real_keras()

    def model(lib, c, cls):
        return lib.Sequential([lib.Input((6,)), c["ZeroMaskEmbedding"](10, 3, mask_zero=True),
                               c[cls](4), lib.layers.Dense(1)])

    def extra(lib):
        class ZeroMaskEmbedding(lib.layers.Embedding):
            pass

        class PlainLSTM(lib.layers.LSTM):
            pass

        class UnmaskedLSTM(lib.layers.LSTM):
            def call(self, sequences, initial_state=None, training=False):
                return super().call(sequences, initial_state=initial_state, training=training)

        class ForwardingLSTM(lib.layers.LSTM):   # takes the mask and passes it on
            def call(self, sequences, initial_state=None, mask=None, training=False):
                return super().call(sequences, initial_state=initial_state, mask=mask,
                                    training=training) * 2.0
        return {c.__name__: c for c in (ZeroMaskEmbedding, PlainLSTM, UnmaskedLSTM, ForwardingLSTM)}

    x = np.random.default_rng(14).integers(1, 10, size=(16, 6)).astype("float32")
    x[:, 4:] = 0
    x[::3, 2:] = 0
    y = np.random.default_rng(15).normal(size=(16, 1)).astype("float32")
    outputs = {}
    for cls in ("PlainLSTM", "UnmaskedLSTM", "ForwardingLSTM"):
        ours, ref = model(sk, extra(sk), cls), model(keras, extra(keras), cls)
        weights = [np.random.default_rng(16).normal(scale=0.3, size=np.shape(w)).astype("float32")
                   for w in ref.get_weights()]
        ours.set_weights(weights)
        ref.set_weights(weights)
        outputs[cls] = ours.predict(x, verbose=0)
        np.testing.assert_allclose(outputs[cls], np.asarray(ref.predict(x, verbose=0)), rtol=1e-5, atol=1e-6)
        _fit_both(ours, ref, x, y, optimizer="adam", epochs=2)
    assert not np.allclose(outputs["PlainLSTM"], outputs["UnmaskedLSTM"], atol=1e-4)


def test_subclass_called_eagerly_and_in_a_functional_model():
    import swiftkeras as sk
    keras = real_keras()
    c_ours, c_ref = classes(sk), classes(keras)
    x = np.random.default_rng(11).normal(size=(4, 4)).astype("float32")
    layer, ref = c_ours["TwiceDense"](2), c_ref["TwiceDense"](2)
    out = layer(x)
    ref.build((None, 4))
    ref.set_weights(layer.get_weights())
    np.testing.assert_allclose(out, np.asarray(ref(x)), rtol=1e-5, atol=1e-6)
    inputs = sk.Input((4,))
    model = sk.Model(inputs, c_ours["ScaledDense"](2, name="scaled")(c_ours["TwiceDense"](3)(inputs)))
    assert [w.name for w in model.weights] == ["kernel", "bias", "kernel", "bias", "alpha"]


def test_unsupported_subclasses_are_refused_naming_what():
    import swiftkeras as sk

    class StateLSTM(sk.layers.LSTM):
        pass

    class NumpyDense(sk.layers.Dense):
        def call(self, x):
            return np.asarray(super().call(x)) * 2

    with pytest.raises(NotImplementedError, match=r"StateLSTM .*return_state=True"):
        sk.Sequential([sk.Input((3, 2)), StateLSTM(2, return_state=True)]).predict(
            np.zeros((1, 3, 2), np.float32), verbose=0)
    with pytest.raises(Exception, match="NumpyDense 'numpy_dense' subclasses the built-in layer "
                                        "Dense: its call runs in the library's op graph"):
        model = sk.Sequential([sk.Input((3,)), NumpyDense(2, name="numpy_dense")])
        model.predict(np.zeros((1, 3), np.float32), verbose=0)
