"""Lambda with any callable, compile(loss=callable), keras.saving, keras.random, the data
utilities (PyDataset / generators in fit, timeseries, pad_sequences, split_dataset, datasets
from directories, load_img), backend settings and Python-worded messages, compared with real
Keras 3 where it runs without TensorFlow."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = [needs(*CORE, "keras_register_layer"), pytest.mark.usefixtures("seeded")]

RS = np.random.RandomState(1)
X = RS.rand(12, 3).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def _model(lib, middle):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4), middle, lib.layers.Dense(1)])


def _same_start(ours, ref):
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])


def _cubic(z):
    return z ** 3 - z


@pytest.mark.parametrize("fn, ref_fn", [(lambda z: z * 2.0, lambda z: z * 2.0), (_cubic, _cubic),
                                        (lambda z: _cubic(np.asarray(z)), _cubic)])
def test_lambda_trains_like_keras(fn, ref_fn):
    # The last needs values (numpy): it runs in Python, its gradient by central differences.
    ours, ref = _model(sk, sk.layers.Lambda(fn)), _model(keras, keras.layers.Lambda(ref_fn))
    _same_start(ours, ref)
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.05), "mse")
        m.fit(X, Y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)


def test_lambda_saving_refuses_python_lambdas_and_keeps_named_functions(tmp_path):
    m = _model(sk, sk.layers.Lambda(lambda z: z + 1))
    m.compile("sgd", "mse")
    with pytest.raises(ValueError, match="Python lambda"):
        m.save(tmp_path / "m.keras")
    m.save_weights(tmp_path / "m.weights.h5")      # weights alone are fine, as in Keras

    @sk.saving.register_keras_serializable(package="test_modules")
    def shift_up(z):
        return z + 1.0

    m = _model(sk, sk.layers.Lambda(shift_up))
    m.compile("sgd", "mse")
    m.fit(X, Y, epochs=1, verbose=0)
    m.save(tmp_path / "named.keras")
    loaded = sk.saving.load_model(tmp_path / "named.keras")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), m.predict(X, verbose=0), rtol=1e-6)


def test_lambda_files_cross_with_keras(tmp_path):
    """A Lambda of a registered function is written as Keras writes it (class Lambda of
    keras.layers, the function's entry 'package>name'), so each library loads the other's
    file to the same predictions; Keras's file of a Python lambda (bytecode) is refused here
    with Keras's reason, naming the layer."""
    models = []
    for lib in (sk, keras):
        @lib.saving.register_keras_serializable(package="test_cross")
        def cubed(z):
            return z * z * z

        m = _model(lib, lib.layers.Lambda(cubed, output_shape=(4,)))
        m.compile("sgd", "mse")
        models.append(m)
    ours, ref = models
    _same_start(ours, ref)
    for m, name in ((ours, "ours"), (ref, "keras")):
        m.save(tmp_path / f"{name}.keras")
    entries = [sk.saving.serialize_keras_object(ours.layers[1]), ref.layers[1].get_config()]
    assert entries[0]["module"] == "keras.layers" and entries[0]["registered_name"] is None
    assert entries[0]["config"]["function"] == entries[1]["function"]
    assert entries[0]["config"]["output_shape"] == list(entries[1]["output_shape"])
    for lib in (sk, keras):
        for name in ("ours", "keras"):
            loaded = lib.saving.load_model(tmp_path / f"{name}.keras")
            np.testing.assert_allclose(loaded.predict(X, verbose=0), ref.predict(X, verbose=0),
                                       rtol=1e-5, err_msg=f"{lib.__name__} loading {name}")

    lambda_model = _model(keras, keras.layers.Lambda(lambda z: z + 1, name="plus_one"))
    lambda_model.save(tmp_path / "bytecode.keras")
    with pytest.raises(ValueError, match="Lambda 'plus_one': its function is a Python lambda"):
        sk.saving.load_model(tmp_path / "bytecode.keras")


def test_compile_with_a_lambda_loss_trains_like_keras(tmp_path):
    ours, ref = _model(sk, sk.layers.Activation("tanh")), _model(keras, keras.layers.Activation("tanh"))
    _same_start(ours, ref)
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.05), loss=lambda t, p: lib.ops.mean((t - p) ** 2, axis=-1)
                  if lib is keras else np.mean((t - p) ** 2, axis=-1))
    ha = ours.fit(X, Y, epochs=2, batch_size=6, shuffle=False, verbose=0)
    hb = ref.fit(X, Y, epochs=2, batch_size=6, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-4)
    with pytest.raises(ValueError, match="Python lambda"):
        ours.save(tmp_path / "loss.keras")


def test_saving_module_serializes_like_keras():
    @sk.saving.register_keras_serializable(package="mods")
    def my_act(x):
        return x

    assert sk.saving.get_custom_objects()["mods>my_act"] is my_act
    assert sk.saving.get_registered_name(my_act) == "mods>my_act"
    ref = keras.saving.serialize_keras_object(keras.layers.Dense(3, name="d3"))
    ours = sk.saving.serialize_keras_object(sk.layers.Dense(3, name="d3"))
    assert {k: ours[k] for k in ("module", "class_name", "registered_name")} == \
        {k: ref[k] for k in ("module", "class_name", "registered_name")}
    back = sk.saving.deserialize_keras_object(ours)
    assert type(back).class_name == "Dense" and back.units == 3
    opt = sk.saving.deserialize_keras_object(sk.saving.serialize_keras_object(sk.optimizers.Adam(0.5)))
    assert opt.learning_rate == 0.5
    assert sk.saving.deserialize_keras_object(sk.saving.serialize_keras_object(my_act)) is my_act

    def other(x):
        return x

    with sk.saving.custom_object_scope({"other": other}):
        assert sk.saving.deserialize_keras_object("other") is other
    with pytest.raises(TypeError, match="Could not locate class 'Nope'.*register_keras_serializable"):
        sk.saving.deserialize_keras_object({"class_name": "Nope", "config": {}})


@pytest.mark.parametrize("module, make", [
    ("initializers", lambda K: K.initializers.HeNormal()),
    ("regularizers", lambda K: K.regularizers.L2(0.01)),
    ("constraints", lambda K: K.constraints.MaxNorm(2.0)),
    ("losses", lambda K: K.losses.BinaryCrossentropy(from_logits=True)),
    ("metrics", lambda K: K.metrics.BinaryAccuracy(name="acc")),
])
def test_module_serialize_and_deserialize_as_keras(module, make):
    """`keras.initializers.serialize(...)` in a custom layer's get_config (keras.io's
    antirectifier) and its deserialize: Keras's form, read back, and a name read as `get`."""
    ref = getattr(keras, module).serialize(make(keras))
    ours = getattr(sk, module).serialize(make(sk))
    assert {k: ours[k] for k in ("module", "class_name", "registered_name")} == \
        {k: ref[k] for k in ("module", "class_name", "registered_name")}
    back = getattr(sk, module).deserialize(ref)
    assert type(back).__name__ == ref["class_name"]
    assert ours["config"].items() <= getattr(sk, module).serialize(back)["config"].items()


def test_deserialize_of_a_name_is_what_get_makes():
    assert type(sk.initializers.deserialize("he_normal")).__name__ == \
        type(keras.initializers.deserialize("he_normal")).__name__ == "HeNormal"


def test_unknown_class_message_speaks_python():
    text = '{"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Foo", "config": {}}]}}'
    with pytest.raises(ValueError) as e:
        sk.models.model_from_json(text)
    assert "keras.saving.register_keras_serializable" in str(e.value)
    assert "registerKerasSerializable" not in str(e.value)


def test_random_is_seeded_and_distributed_as_asked():
    a = sk.random.normal((2000,), mean=1.0, stddev=2.0, seed=3)
    np.testing.assert_array_equal(a, sk.random.normal((2000,), mean=1.0, stddev=2.0, seed=3))
    assert a.dtype == np.float32 and abs(a.mean() - 1) < 0.15 and abs(a.std() - 2) < 0.15
    t = sk.random.truncated_normal((5000,), stddev=1.0, seed=0)
    assert np.abs(t).max() <= 2.0
    gen = sk.random.SeedGenerator(7)
    assert not np.array_equal(sk.random.uniform((4,), seed=gen), sk.random.uniform((4,), seed=gen))
    r = sk.random.randint((100,), 2, 5, seed=1)
    assert r.min() >= 2 and r.max() < 5 and r.dtype == np.int32
    d = sk.random.dropout(np.ones((1000,), "float32"), 0.25, seed=2)
    assert set(np.unique(d)) <= {0.0, np.float32(1 / 0.75)} and abs((d == 0).mean() - 0.25) < 0.05
    assert sorted(sk.random.shuffle(np.arange(10), seed=4)) == list(range(10))


class _Batches(sk.utils.PyDataset):
    def __init__(self, x, y, size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.size = x, y, size

    def __len__(self):
        return int(np.ceil(len(self.x) / self.size))

    def __getitem__(self, i):
        s = slice(i * self.size, (i + 1) * self.size)
        return self.x[s], self.y[s]


def test_pydataset_and_generators_fit_like_arrays():
    base = _model(sk, sk.layers.Activation("relu"))
    weights = base.get_weights() if base.built else None
    runs = []
    for data in ("arrays", "pydataset", "threads", "generator"):
        m = _model(sk, sk.layers.Activation("relu"))
        if weights is None:
            weights = m.get_weights()
        m.set_weights(weights)
        m.compile(sk.optimizers.SGD(0.05), "mse", metrics=["mae"])
        if data == "arrays":
            h = m.fit(X, Y, batch_size=5, epochs=2, shuffle=False, verbose=0)
        elif data == "generator":
            def gen():
                while True:
                    for i in range(0, 12, 5):
                        yield X[i:i + 5], Y[i:i + 5]
            h = m.fit(gen(), steps_per_epoch=3, epochs=2, verbose=0)
        else:
            # (shuffle=False: by default Keras shuffles a PyDataset's batches each epoch)
            h = m.fit(_Batches(X, Y, 5, workers=4 if data == "threads" else 1), epochs=2,
                      shuffle=False, verbose=0)
        runs.append((h.history, m.get_weights(), m.evaluate(_Batches(X, Y, 5), verbose=0),
                     m.predict(_Batches(X, Y, 5), verbose=0)))
    for history, w, ev, pred in runs[1:]:
        np.testing.assert_allclose(history["loss"], runs[0][0]["loss"], rtol=1e-6)
        for a, b in zip(w, runs[0][1]):
            np.testing.assert_allclose(a, b, rtol=1e-6)
        np.testing.assert_allclose(ev, runs[0][2], rtol=1e-6)
        np.testing.assert_allclose(pred, runs[0][3], rtol=1e-6)
    assert sk.utils.Sequence is sk.utils.PyDataset


def test_timeseries_dataset_follows_keras_docstring_example():
    # Keras's docstring: indices 0..98, sequence_length=10, sampling_rate=2, sequence_stride=3.
    ds = sk.utils.timeseries_dataset_from_array(np.arange(100), None, sequence_length=10,
                                                sampling_rate=2, sequence_stride=3, end_index=99,
                                                batch_size=None)
    windows = ds[0]
    np.testing.assert_array_equal(windows[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(windows[1], np.arange(3, 23, 2))
    np.testing.assert_array_equal(windows[-1], np.arange(78, 98, 2))
    ds = sk.utils.timeseries_dataset_from_array(X, Y[:, 0], sequence_length=4, batch_size=4)
    assert [len(b[0]) for b in ds] == [4, 4, 1]
    np.testing.assert_array_equal(ds[1][0][0], X[4:8])
    np.testing.assert_array_equal(ds[1][1], Y[4:8, 0])
    shuffled = sk.utils.timeseries_dataset_from_array(X, Y[:, 0], 4, shuffle=True, seed=5)
    order = np.arange(9)
    np.random.RandomState(5).shuffle(order)
    np.testing.assert_array_equal(shuffled[0][1], Y[order, 0])


def test_pad_sequences_match_keras():
    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    for kwargs in ({}, {"maxlen": 2}, {"padding": "post", "truncating": "post", "maxlen": 3},
                   {"value": -1, "dtype": "float32"}):
        np.testing.assert_array_equal(sk.preprocessing.sequence.pad_sequences(seqs, **kwargs),
                                      keras.utils.pad_sequences(seqs, **kwargs))


def test_split_dataset_sizes_and_contents():
    left, right = sk.utils.split_dataset((X, Y), left_size=0.75)
    assert len(left) == 9 and len(right) == 3
    xb, yb = next(iter(right.batch(8)))
    np.testing.assert_array_equal(xb, X[9:])
    left, right = sk.utils.split_dataset(X, right_size=2, shuffle=True, seed=1)
    assert len(left) == 10 and len(right) == 2


def test_datasets_from_directories_index_like_keras(tmp_path):
    PIL = pytest.importorskip("PIL.Image")
    from keras.src.utils import dataset_utils
    rng = np.random.RandomState(0)
    for cls in ("cat", "dog"):
        (tmp_path / "img" / cls).mkdir(parents=True)
        (tmp_path / "txt" / cls).mkdir(parents=True)
        for i in range(3):
            PIL.fromarray(rng.randint(0, 255, (6, 5, 3)).astype("uint8")).save(tmp_path / "img" / cls / f"{i}.png")
            (tmp_path / "txt" / cls / f"{i}.txt").write_text(f"{cls} {i}")
    paths, labels, names = dataset_utils.index_directory(str(tmp_path / "img"), "inferred",
                                                         formats=(".png",), shuffle=True, seed=3)
    ds = sk.utils.image_dataset_from_directory(tmp_path / "img", image_size=(4, 4), batch_size=4,
                                               seed=3, verbose=False)
    assert ds.class_names == names and ds.file_paths == paths
    np.testing.assert_array_equal(np.concatenate([b[1] for b in ds]), labels)
    first = keras.utils.img_to_array(keras.utils.load_img(paths[0], target_size=(4, 4),
                                                          interpolation="bilinear"))
    np.testing.assert_allclose(ds[0][0][0], first)
    np.testing.assert_allclose(sk.utils.img_to_array(sk.utils.load_img(paths[1])),
                               keras.utils.img_to_array(keras.utils.load_img(paths[1])))
    texts = sk.utils.text_dataset_from_directory(tmp_path / "txt", batch_size=8, shuffle=False,
                                                 label_mode="categorical", verbose=False)
    xb, yb = texts[0]
    assert list(xb) == ["cat 0", "cat 1", "cat 2", "dog 0", "dog 1", "dog 2"]
    np.testing.assert_array_equal(yb, np.repeat(np.eye(2, dtype="float32"), 3, axis=0))
    train = sk.utils.text_dataset_from_directory(tmp_path / "txt", validation_split=0.5,
                                                 subset="training", seed=1, verbose=False)
    assert sum(len(b[0]) for b in train) == 3


def test_progbar_and_backend_settings(capsys):
    bar = sk.utils.Progbar(3)
    for i in range(3):
        bar.update(i + 1, values=[("loss", float(i))])
    out = capsys.readouterr().out
    assert "3/3" in out and "loss: 1.0000" in out
    sk.backend.set_floatx("float32")
    with pytest.raises(ValueError, match="float32 only"):
        sk.backend.set_floatx("float64")
    sk.backend.set_image_data_format("channels_first")
    try:
        assert sk.backend.image_data_format() == "channels_first"
        assert sk.layers.Conv2D(2, 3).get_config()["data_format"] == "channels_first"
    finally:
        sk.backend.set_image_data_format("channels_last")
    assert sk.layers.Conv2D(2, 3).get_config().get("data_format") in (None, "channels_last")


def test_config_module_is_keras3s_home_of_the_settings():
    """`keras.config` (Keras 3's place for them) reads and sets the same values as `backend`,
    with Keras's defaults."""
    for name in ("epsilon", "floatx", "image_data_format"):
        assert getattr(sk.config, name)() == getattr(keras.config, name)(), name
    sk.config.set_image_data_format("channels_first")
    try:
        assert sk.backend.image_data_format() == "channels_first"
    finally:
        sk.config.set_image_data_format("channels_last")
    sk.config.set_epsilon(1e-5)
    try:
        assert sk.backend.epsilon() == 1e-5
    finally:
        sk.config.set_epsilon(1e-7)
    with pytest.raises(ValueError, match="float32 only"):
        sk.config.set_floatx("float64")


@needs("keras_layer_builder_op")
def test_lambda_written_with_ops_is_traced_and_trains_like_keras():
    from swiftkeras import _python_layers
    ours_fn = sk.layers.Lambda(lambda z: sk.ops.tanh(z) * 2.0)
    ours, ref = _model(sk, ours_fn), _model(keras, keras.layers.Lambda(lambda z: keras.ops.tanh(z) * 2.0))
    _same_start(ours, ref)
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.05), "mse")
        m.fit(X, Y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    assert [i.traced for i in _python_layers._instances.values() if i.layer is ours_fn] == [True]
