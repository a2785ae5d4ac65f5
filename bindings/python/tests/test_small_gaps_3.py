"""Smaller Keras-compatibility gaps (issue 16), each checked against real Keras 3:
MeanMetricWrapper in the compile config, per-output losses with targets from datasets and
generators, `metrics=[None, [...]]` in the compile config, VarianceScaling's scale as given,
`layers.serialize`, the module and registered name of a user's layer class."""

import json
import zipfile

import numpy as np
import pytest

from conftest import needs, CORE, real_keras, fresh_library

pytestmark = needs(*CORE)


def libraries():
    import swiftkeras
    return [swiftkeras, real_keras()]


def _compile_config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))["compile_config"]


# -- MeanMetricWrapper in the compile config ---------------------------------------------------

def _wrapped_metrics(lib):
    ops = lib.ops

    @lib.saving.register_keras_serializable(package="gaps3")
    def top_prob(y_true, y_pred):
        return ops.max(y_pred, axis=-1)

    return [lib.metrics.MeanMetricWrapper(top_prob, name="top"),
            lib.metrics.MeanMetricWrapper(fn=lib.losses.mean_absolute_error, name="mae_wrapped")]


def _classifier(lib):
    fresh_library(lib)
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="softmax")])


def test_mean_metric_wrapper_compile_config_and_files_like_keras(tmp_path):
    """Keras writes `MeanMetricWrapper(fn, name=...)` as a keras.metrics entry (registered_name
    null) holding its function's entry; a file of either library loads in the other with the
    metric, reporting the same figures."""
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(16) % 3]
    ours_lib, keras = libraries()
    models = [_classifier(lib) for lib in (ours_lib, keras)]
    models[0].set_weights([np.asarray(w) for w in models[1].get_weights()])
    entries, paths = [], []
    for lib, m in zip((ours_lib, keras), models):
        m.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=_wrapped_metrics(lib))
        entries.append(m.get_compile_config()["metrics"])
        paths.append(tmp_path / f"{lib.__name__}.keras")
        m.save(paths[-1])
    assert entries[0] == entries[1]
    assert entries[1][0] == {"module": "keras.metrics", "class_name": "MeanMetricWrapper",
                             "config": {"name": "top", "dtype": "float32",
                                        "fn": {"module": "builtins", "class_name": "function",
                                               "config": "gaps3>top_prob", "registered_name": "function"}},
                             "registered_name": None}
    assert _compile_config(paths[0])["metrics"] == _compile_config(paths[1])["metrics"]
    expected = models[1].evaluate(x, y, verbose=0, return_dict=True)
    for lib in (ours_lib, keras):
        for path in paths:
            loaded = lib.saving.load_model(path)
            got = loaded.evaluate(x, y, verbose=0, return_dict=True)
            assert sorted(got) == sorted(expected), (lib.__name__, path.name)
            for key in expected:
                np.testing.assert_allclose(got[key], expected[key], rtol=1e-5, err_msg=key)


# -- per-output losses with targets from datasets ----------------------------------------------

def _two_outputs(lib):
    fresh_library(lib)
    i = lib.Input((4,), name="x")
    return lib.Model(i, [lib.layers.Dense(3, name="a")(i), lib.layers.Dense(2, name="b")(i)])


X = np.random.default_rng(1).normal(size=(16, 4)).astype("float32")
YA = np.random.default_rng(2).normal(size=(16, 3)).astype("float32")
YB = np.random.default_rng(3).normal(size=(16, 2)).astype("float32")
TARGETS = {"None for the output without a loss": lambda k: (None, YB[k:k + 8]),
           "both targets": lambda k: (YA[k:k + 8], YB[k:k + 8]),
           "a dict with None": lambda k: {"a": None, "b": YB[k:k + 8]}}


def _source(lib, kind, targets):
    if kind == "generator" or (kind == "tf.data-like" and lib.__name__ == "keras"):
        # (real Keras without TensorFlow takes the same batches from a generator)
        return ((X[k:k + 8], targets(k)) for k in (0, 8))
    if kind == "tf.data-like":   # what swiftkeras's dataset utilities return for tf.data
        return lib.utils.NumpyDataset([(X[k:k + 8], targets(k)) for k in (0, 8)])

    class Batches(lib.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return X[8 * i:8 * i + 8], targets(8 * i)
    return Batches()


@pytest.mark.parametrize("kind", ["generator", "PyDataset", "tf.data-like"])
@pytest.mark.parametrize("case", sorted(TARGETS))
def test_outputs_without_a_loss_from_datasets_train_like_keras(kind, case):
    """`loss=[None, "mse"]` with a generator, a PyDataset or a dataset of batches: the output
    without a loss needs no target (None, or any), as with arrays; the same history and weights
    as Keras."""
    models = [_two_outputs(lib) for lib in libraries()]
    models[0].set_weights([np.asarray(w) for w in models[1].get_weights()])
    histories = []
    for lib, m in zip(libraries(), models):
        m.compile(optimizer="sgd", loss=[None, "mse"], metrics=[None, ["mae"]])
        epochs = 2 if kind == "PyDataset" else 1   # (a generator's batches are used up in one)
        histories.append(m.fit(_source(lib, kind, TARGETS[case]), epochs=epochs, shuffle=False,
                               verbose=0).history)
    assert sorted(histories[0]) == sorted(histories[1]) == ["b_mae", "loss"]
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-5, atol=1e-6)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)


def test_metrics_list_with_none_saved_as_keras(tmp_path):
    """`metrics=[None, ["mae"]]` is written as given (not `[[], ["mae"]]`), and loads back."""
    written = []
    for lib in libraries():
        m = _two_outputs(lib)
        m.compile(optimizer="sgd", loss=[None, "mse"], metrics=[None, ["mae"]])
        path = tmp_path / f"{lib.__name__}.keras"
        m.save(path)
        written.append((m.get_compile_config()["metrics"], _compile_config(path)["metrics"]))
        loaded = lib.saving.load_model(path)
        assert loaded.get_compile_config()["metrics"] == [None, ["mae"]]
        assert sorted(loaded.fit(X, [YA, YB], epochs=1, verbose=0).history) == ["b_mae", "loss"]
    assert written[0] == written[1] == ([None, ["mae"]], [None, ["mae"]])


# -- VarianceScaling's scale as given ------------------------------------------------------------

def test_variance_scaling_keeps_the_python_float_like_keras(tmp_path):
    """Keras keeps `scale=1/3` as the Python float (0.3333333333333333), in get_config and in
    saved files, not float32's 0.33333334."""
    configs, saved = [], []
    for lib in libraries():
        init = lib.initializers.VarianceScaling(scale=1 / 3, mode="fan_avg")
        configs.append(init.get_config())
        fresh_library(lib)
        m = lib.Sequential([lib.Input((4,)), lib.layers.Dense(2, kernel_initializer=init)])
        configs.append(m.layers[0].get_config()["kernel_initializer"])
        path = tmp_path / f"{lib.__name__}.keras"
        m.save(path)
        with zipfile.ZipFile(path) as archive:
            entry = json.loads(archive.read("config.json"))["config"]["layers"][1]
        saved.append(entry["config"]["kernel_initializer"])
        loaded = lib.saving.load_model(path)
        configs.append(loaded.layers[0].get_config()["kernel_initializer"])
    assert configs[0]["scale"] == 1 / 3
    assert configs[:3] == configs[3:]
    assert saved[0] == saved[1] and saved[0]["config"]["scale"] == 1 / 3


# -- layers.serialize --------------------------------------------------------------------------

def test_layers_serialize_is_keras_dict():
    """`keras.layers.serialize(layer)` is Keras's dict: the whole get_config() (not only the
    arguments given), and the build config once the layer is built."""
    got = []
    for lib in libraries():
        fresh_library(lib)
        alone = lib.layers.Dense(2, activation="relu", name="alone")
        built = lib.layers.Dense(3, name="built")
        lib.Sequential([lib.Input((4,)), built])(np.zeros((1, 4), np.float32))
        lstm = lib.layers.LSTM(2, return_sequences=True, name="lstm")
        got.append([lib.layers.serialize(layer) for layer in (alone, built, lstm)])
        assert lib.saving.serialize_keras_object(built) == got[-1][1]
        back = lib.layers.deserialize(got[-1][0])
        assert back.get_config() == alone.get_config()
    assert got[0] == got[1]
    assert got[1][1]["build_config"] == {"input_shape": (None, 4)}


# -- the module and registered name of a user's layer class ------------------------------------

def _user_layers(lib):
    class ScaledDense(lib.layers.Dense):   # a built-in's subclass adding a weight in build
        def build(self, input_shape):
            super().build(input_shape)
            self.alpha = self.add_weight(shape=(self.units,), initializer="ones", name="alpha")

        def call(self, x):
            return super().call(x) * self.alpha

    class Scale(lib.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w

    @lib.saving.register_keras_serializable(package="gaps3")
    class RegisteredScale(Scale):
        pass

    in_main = type("MainScale", (Scale,), {"__module__": "__main__"})   # a script's class
    return {c.__name__: c for c in (ScaledDense, Scale, RegisteredScale, in_main)}


def test_user_layer_classes_saved_with_keras_module_and_registered_name(tmp_path):
    """Keras writes a user's class with its Python module (null for `__main__`) and its
    registered name ("package>Name", else the class name); a built-in's subclass keeps Keras's
    weight paths."""
    entries, paths = [], []
    x = np.ones((2, 4), np.float32)
    for lib in libraries():
        fresh_library(lib)
        c = _user_layers(lib)
        m = lib.Sequential([lib.Input((4,)), c["ScaledDense"](3, name="sd"), c["Scale"](name="s"),
                            c["RegisteredScale"](name="r"), c["MainScale"](name="m")])
        m(x)
        paths.append([w.path.split("/", 1)[1] for w in m.weights])
        path = tmp_path / f"{lib.__name__}.keras"
        m.save(path)
        with zipfile.ZipFile(path) as archive:
            layers = json.loads(archive.read("config.json"))["config"]["layers"]
        entries.append([(e["module"], e["class_name"], e["registered_name"]) for e in layers[1:]])
        entries.append([tuple(lib.layers.serialize(layer)[k] for k in ("module", "class_name", "registered_name"))
                        for layer in m.layers])
    assert entries[0] == entries[1] == entries[2] == entries[3] == [
        (__name__, "ScaledDense", "ScaledDense"), (__name__, "Scale", "Scale"),
        (__name__, "RegisteredScale", "gaps3>RegisteredScale"), (None, "MainScale", "MainScale")]
    assert paths[0] == paths[1]


# -- keras.Variable attributes of a Python layer -------------------------------------------------

def _counting_layer(lib):
    class Counting(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.offset = lib.Variable(np.full((2,), 0.5, np.float32), name="offset", trainable=False)
            self.calls = lib.Variable(np.array(7, np.int32), name="calls", dtype="int32", trainable=False)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
            self.scale = lib.Variable(np.full((input_shape[-1],), 2.0, np.float32), name="scale")

        def call(self, x):
            return x * self.w * self.scale + self.offset
    return Counting


def test_variables_of_a_python_layer_like_keras(tmp_path):
    """keras.Variable attributes are the layer's weights as in Keras: an int32 one too (its
    dtype kept), trainable ones first, each with Keras's path (none for one made in __init__,
    outside the layer's name scope; under the layer for one made in build); files both ways."""
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    described, models = [], []
    for lib in libraries():
        fresh_library(lib)
        m = lib.Sequential([lib.Input((2,)), _counting_layer(lib)(name="counting")], name="seq")
        m(x)
        layer = m.layers[0]
        described.append([[(v.path, v.name, str(v.dtype), v.trainable) for v in vs]
                          for vs in (layer.weights, layer.trainable_weights, layer.non_trainable_weights)])
        models.append(m)
    assert described[0] == described[1]
    assert described[1][0] == [("seq/counting/w", "w", "float32", True),
                               ("seq/counting/scale", "scale", "float32", True),
                               ("offset", "offset", "float32", False), ("calls", "calls", "int32", False)]
    values = [np.asarray(v) for v in models[1].layers[0].weights]
    assert values[3] == 7 and np.asarray(models[0].layers[0].weights[3]).dtype == np.int32
    for a, b in zip(models[0].layers[0].weights, values):
        np.testing.assert_array_equal(np.asarray(a), b)
    for i, lib in enumerate(libraries()):
        path = tmp_path / f"{lib.__name__}.weights.h5"
        models[i].save_weights(path)
        for j, other in enumerate(libraries()):
            fresh_library(other)
            fresh = other.Sequential([other.Input((2,)), _counting_layer(other)(name="counting")], name="seq")
            fresh(x)
            fresh.layers[0].calls.assign(0)
            fresh.load_weights(path)
            got = [np.asarray(v) for v in fresh.layers[0].weights]
            assert got[3] == 7, (lib.__name__, other.__name__)
            np.testing.assert_allclose(fresh.predict(x, verbose=0), models[1].predict(x, verbose=0))


# -- callbacks of a model with a compute_loss override -------------------------------------------

def test_callbacks_of_a_compute_loss_model_see_keras_names():
    """With a traced compute_loss (its hidden layer carries the first output), callbacks see
    each output's figures under the output's name, as history does and as in Keras."""
    x = np.random.default_rng(5).normal(size=(32, 5)).astype("float32")
    ya = np.random.default_rng(6).normal(size=(32, 2)).astype("float32")
    yb = np.random.default_rng(7).normal(size=(32, 1)).astype("float32")
    seen = []
    for lib in libraries():
        fresh_library(lib)

        class Penalized(lib.Model):
            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                return super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight) + \
                    0.1 * lib.ops.mean(lib.ops.abs(y_pred[0]))

        class Recorder(lib.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                keys.append(("batch", tuple(sorted(logs))))

            def on_epoch_end(self, epoch, logs=None):
                keys.append(("epoch", tuple(sorted(logs))))
                logs["from_callback"] = float(logs["a_mae"])

        keys = []
        i = lib.Input((5,), name="x")
        m = Penalized(i, [lib.layers.Dense(2, name="a")(i), lib.layers.Dense(1, name="b")(i)])
        m.compile(lib.optimizers.SGD(0.05), loss=["mse", "mse"], metrics=[["mae"], ["mae"]])
        history = m.fit(x, [ya, yb], epochs=2, batch_size=8, shuffle=False, verbose=0,
                        validation_split=0.25, callbacks=[Recorder()]).history
        assert history["from_callback"] == history["a_mae"]
        seen.append((sorted(set(keys)), sorted(history)))
    assert seen[0] == seen[1]


# -- a PyDataset's batches shuffled, as Keras shuffles them ---------------------------------------

def test_pydataset_batches_are_shuffled_each_epoch_as_keras():
    """fit(PyDataset) with Keras's default shuffle=True visits the batches in a new order each
    epoch, Keras's order under one set_random_seed (Python's `random`); shuffle=False keeps
    them in order. The same history and weights as Keras."""
    x = np.random.default_rng(8).normal(size=(40, 4)).astype("float32")
    y = np.random.default_rng(9).normal(size=(40, 1)).astype("float32")
    for shuffle in (True, False):
        runs = []
        for lib in libraries():
            fresh_library(lib)
            visits = []

            class Batches(lib.utils.PyDataset):
                def __len__(self):
                    return 5

                def __getitem__(self, i):
                    visits.append(i)
                    return x[8 * i:8 * i + 8], y[8 * i:8 * i + 8]

            m = lib.Sequential([lib.Input((4,)), lib.layers.Dense(1, kernel_initializer="ones")])
            m.compile(optimizer="sgd", loss="mse")
            lib.utils.set_random_seed(3)
            history = m.fit(Batches(), epochs=3, shuffle=shuffle, verbose=0).history
            runs.append((visits, history["loss"], [np.asarray(w) for w in m.get_weights()]))
        (ours_visits, ours_loss, ours_w), (ref_visits, ref_loss, ref_w) = runs
        ref_visits = ref_visits[1:]   # (Keras reads one batch first for its specs)
        if shuffle:
            assert ours_visits == ref_visits and ref_visits != list(range(5)) * 3
        else:   # the same batches in order each epoch (here read once)
            assert ref_visits == list(range(5)) * 3 and ours_visits == list(range(5))
        np.testing.assert_allclose(ours_loss, ref_loss, rtol=1e-5)
        for a, b in zip(ours_w, ref_w):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
