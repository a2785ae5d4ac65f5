"""keras.config's functions (interactive logging, the max_epochs / max_steps_per_epoch caps on
fit, evaluate and predict, the recorded flags, set_backend), keras.backend's dtype helpers,
get_uid and is_keras_tensor, keras.utils' pack_x_y_sample_weight, Config, save_img and
clear_session, keras.saving.save_weights / load_weights, keras.models.save_model and
keras.optimizers.schedules.serialize / deserialize, each against real Keras on the same
inputs."""

import logging
import warnings

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras


def _outcome(fn, *args):
    try:
        return fn(*args)
    except ValueError as e:
        return ("ValueError", str(e).split(".")[0][:40])


DTYPES = [None, "float32", "float16", "bfloat16", "float64", "int8", "uint8", "int16", "uint32",
          "int64", "uint64", "bool", "complex64", int, float, bool, "int", np.float32,
          np.dtype("int64"), np.dtype("bool"), "string", "float8_e4m3fn", "foo"]


def test_dtype_helpers_match_keras():
    keras = real_keras()
    for d in DTYPES:
        for name in ("standardize_dtype", "is_float_dtype", "is_int_dtype"):
            assert _outcome(getattr(sk.backend, name), d) == \
                _outcome(getattr(keras.backend, name), d), (name, d)
        for e in DTYPES:
            if e == "foo" or d == "foo":
                continue
            assert _outcome(sk.backend.result_type, d, e) == \
                _outcome(keras.backend.result_type, d, e), (d, e)
    assert sk.backend.result_type() == keras.backend.result_type() == "float32"
    assert sk.backend.result_type(int, float, "int8") == keras.backend.result_type(int, float, "int8")
    assert sk.utils.standardize_dtype is sk.backend.standardize_dtype


def test_get_uid_and_is_keras_tensor_match_keras():
    keras = real_keras()
    for lib in (sk, keras):
        lib.utils.clear_session()
        lib.layers.Dense(2)
        lib.layers.Dense(2)
        # one counter for names and get_uid: two dense layers were named
        assert (lib.backend.get_uid("dense"), lib.backend.get_uid("other"),
                lib.backend.get_uid("other"), lib.layers.Dense(1).name) == (3, 1, 2, "dense_3")
        x = lib.Input((2,))
        assert lib.backend.is_keras_tensor(x) and lib.utils.is_keras_tensor(lib.layers.Dense(1)(x))
        assert not lib.utils.is_keras_tensor(np.zeros(2))


def test_a_keras_tensor_made_directly_matches_keras():
    """`keras.KerasTensor(shape=..., dtype=...)` (its docstring's example), dtype second when
    positional: a symbolic tensor of that shape and dtype."""
    seen = []
    for lib in (sk, real_keras()):
        made = [lib.KerasTensor(shape=(3, 4), dtype="float32"), lib.KerasTensor((None, 2), "int32"),
                lib.KerasTensor(shape=(5,), name="given")]
        seen.append([(t.shape, t.dtype, t.ndim, lib.backend.is_keras_tensor(t)) for t in made] +
                    [made[2].name])
    assert seen[0] == seen[1]


def test_pack_and_unpack_match_keras():
    keras = real_keras()
    x, y, w = np.zeros(2), np.ones(2), np.full(2, 3.0)
    for args in ((x,), (x, y), (x, y, w), ([x, x],), ((x, x), y), (x, None, w)):
        mine, theirs = sk.utils.pack_x_y_sample_weight(*args), \
            keras.utils.pack_x_y_sample_weight(*args)
        assert type(mine) is type(theirs) and repr(mine) == repr(theirs)
        assert repr(sk.utils.unpack_x_y_sample_weight(mine)) == \
            repr(keras.utils.unpack_x_y_sample_weight(theirs))


def test_config_object_behaves_as_keras():
    keras = real_keras()
    for lib in (sk, keras):
        c = lib.utils.Config(learning_rate=0.1)
        c.seed = 1
        c["momentum"] = 0.9
        assert (c.learning_rate, c["seed"], list(c), len(c), "seed" in c) == \
            (0.1, 1, ["learning_rate", "momentum", "seed"], 3, True)
        assert c.to_json() == '{"learning_rate": 0.1, "seed": 1, "momentum": 0.9}'
        with pytest.raises(AttributeError, match="Did you mean 'learning_rate'"):
            c.learning_rat
        c.freeze()
        assert c.frozen
        with pytest.raises(ValueError, match="frozen"):
            c.seed = 2
        with pytest.raises(ValueError, match="frozen"):
            del c["seed"]
        c.unfreeze()
        assert c.pop("seed") == 1 and c.as_dict() == {"learning_rate": 0.1, "momentum": 0.9}


def test_save_img_writes_what_keras_writes(tmp_path):
    keras = real_keras()
    rng = np.random.RandomState(0)
    for shape, name in (((5, 4, 3), "a.png"), ((5, 4, 1), "b.png"), ((3, 5, 4), "c.jpg")):
        x = rng.rand(*shape).astype("float32") * 7 - 2
        fmt = "channels_first" if name == "c.jpg" else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk.utils.save_img(tmp_path / f"ours_{name}", x, data_format=fmt)
            keras.utils.save_img(tmp_path / f"keras_{name}", x, data_format=fmt)
        mine = sk.utils.img_to_array(sk.utils.load_img(tmp_path / f"ours_{name}"))
        theirs = keras.utils.img_to_array(keras.utils.load_img(tmp_path / f"keras_{name}"))
        assert np.array_equal(mine, theirs), name
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        sk.utils.save_img(tmp_path / "d.jpg", rng.rand(4, 4, 4))


def _model(lib):
    inp = lib.Input((3,))
    model = lib.Model(inp, lib.layers.Dense(1)(inp))
    model.set_weights([np.full((3, 1), 0.1, "float32"), np.zeros(1, "float32")])
    model.compile(lib.optimizers.SGD(0.1), "mse")
    return model


@pytest.fixture()
def caps():
    keras = real_keras()
    yield keras
    for lib in (sk, keras):
        lib.config.set_max_epochs(None)
        lib.config.set_max_steps_per_epoch(None)


@pytest.mark.parametrize("validation", ["split", "data", "steps"])
def test_max_epochs_and_steps_cap_fit_evaluate_predict_as_in_keras(caps, validation):
    keras = caps
    rng = np.random.RandomState(0)
    x, y = rng.rand(100, 3).astype("float32"), rng.rand(100, 1).astype("float32")
    results = []
    for lib in (sk, keras):
        model = _model(lib)
        if validation != "steps":
            lib.config.set_max_epochs(2)
            lib.config.set_max_steps_per_epoch(3)
        assert (lib.config.max_epochs(), lib.config.max_steps_per_epoch()) == \
            ((None, None) if validation == "steps" else (2, 3))
        given = {"split": dict(validation_split=0.5),
                 "data": dict(validation_data=(x[:45], y[:45])),
                 "steps": dict(validation_data=(x[:45], y[:45]), validation_steps=2,
                               steps_per_epoch=4)}[validation]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(x, y, batch_size=10, epochs=5 if validation != "steps" else 2,
                                verbose=0, shuffle=False, **given)
            loss = model.evaluate(x, y, batch_size=10, verbose=0)
            rows = len(model.predict(x, batch_size=10, verbose=0))
        limits = sorted({str(w.message) for w in caught if "Limiting" in str(w.message)})
        results.append((history.history, [w.tolist() for w in model.get_weights()], loss, rows,
                        limits))
    mine, theirs = results
    assert mine[3:] == theirs[3:]
    for key in theirs[0]:
        np.testing.assert_allclose(mine[0][key], theirs[0][key], rtol=1e-5)
    for a, b in zip(mine[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(mine[2], theirs[2], rtol=1e-5)


def test_disabled_interactive_logging_sends_progress_to_logging(capsys, caplog):
    keras = real_keras()
    model = _model(sk)
    x = np.zeros((8, 3), "float32")
    assert sk.config.is_interactive_logging_enabled() is keras.config.is_interactive_logging_enabled()
    sk.config.disable_interactive_logging()
    try:
        assert sk.utils.is_interactive_logging_enabled() is False
        with caplog.at_level(logging.INFO, logger="swiftkeras"):
            model.fit(x, x[:, :1], epochs=2, verbose=1)
            model.summary()
            sk.utils.Progbar(2).update(2)
        assert capsys.readouterr().out == ""
        logged = "".join(r.getMessage() for r in caplog.records)
        assert "Epoch 1/2" in logged and "loss" in logged and "Total params" in logged
        assert "2/2" in logged
    finally:
        sk.config.enable_interactive_logging()
    model.fit(x, x[:, :1], epochs=1, verbose=1)
    assert "loss" in capsys.readouterr().out


def test_recorded_flags_and_clear_session_match_keras():
    keras = real_keras()
    for lib in (sk, keras):
        lib.utils.clear_session()
        first = (lib.config.is_traceback_filtering_enabled(), lib.config.is_flash_attention_enabled(),
                 lib.config.is_interactive_logging_enabled(), lib.config.is_nnx_enabled())
        lib.config.disable_traceback_filtering()
        lib.config.disable_flash_attention()
        lib.config.disable_interactive_logging()
        changed = (lib.config.is_traceback_filtering_enabled(),
                   lib.config.is_flash_attention_enabled(),
                   lib.config.is_interactive_logging_enabled())
        lib.config.enable_flash_attention()
        lib.config.enable_unsafe_deserialization()
        again = lib.config.is_flash_attention_enabled()
        lib.backend.clear_session()
        after = (lib.config.is_traceback_filtering_enabled(), lib.config.is_flash_attention_enabled(),
                 lib.config.is_interactive_logging_enabled())
        assert (first, changed, again, after) == ((True, None, True, False), (False, False, False),
                                                  None, (True, None, True))


def test_set_backend_accepts_its_own_and_refuses_others_by_name():
    sk.config.set_backend(sk.config.backend())
    with pytest.raises(ValueError, match="Unable to import backend : tensorflow"):
        sk.config.set_backend("tensorflow")
    assert sk.config.backend() == "swiftkeras"


def test_saving_weights_functions_and_save_model(tmp_path):
    keras = real_keras()
    assert sk.models.save_model is sk.saving.save_model
    assert keras.models.save_model is keras.saving.save_model
    source, target = _model(sk), _model(sk)
    source.set_weights([np.arange(3, dtype="float32").reshape(3, 1), np.ones(1, "float32")])
    sk.saving.save_weights(source, tmp_path / "m.weights.h5")
    sk.saving.load_weights(target, tmp_path / "m.weights.h5")
    assert all(np.array_equal(a, b) for a, b in zip(source.get_weights(), target.get_weights()))
    sk.models.save_model(source, tmp_path / "m.keras")
    reference = _model(keras)
    keras.saving.load_weights(reference, tmp_path / "m.keras")   # Keras reads what we wrote
    assert all(np.array_equal(a, b) for a, b in zip(source.get_weights(), reference.get_weights()))
    with pytest.raises(ValueError, match="by_name"):
        sk.saving.load_weights(target, tmp_path / "m.weights.h5", by_name=True)


def test_schedules_serialize_and_deserialize_as_keras():
    keras = real_keras()
    mine = sk.optimizers.schedules.serialize(
        sk.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5))
    theirs = keras.optimizers.schedules.serialize(
        keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5))
    assert {k: v for k, v in mine.items() if k != "config"} == \
        {k: v for k, v in theirs.items() if k != "config"}
    assert mine["config"].items() <= theirs["config"].items()
    for config in (mine, theirs):
        back = sk.optimizers.schedules.deserialize(config)
        assert isinstance(back, sk.optimizers.schedules.ExponentialDecay)
        assert back.get_config()["decay_rate"] == 0.5
    legacy = {"class_name": "PolynomialDecay", "config": {"initial_learning_rate": 0.1,
                                                           "decay_steps": 10}}
    assert type(sk.optimizers.schedules.deserialize(legacy)).__name__ == "PolynomialDecay"


def test_top_level_base_classes_are_the_modules_own():
    keras = real_keras()
    for name, module in (("Loss", "losses"), ("Metric", "metrics"), ("Optimizer", "optimizers"),
                         ("Initializer", "initializers"), ("Regularizer", "regularizers"),
                         ("KerasTensor", "layers")):
        assert getattr(sk, name) is getattr(getattr(sk, module), name)
        assert hasattr(keras, name)
    assert isinstance(sk.Input((2,)), sk.KerasTensor)
    assert sk.version() == sk.__version__ and isinstance(keras.version(), str)
