"""`model.save("m.keras")` writes Keras's `shared_object_id` marks in config.json where real
Keras 3 (JAX) writes them for the same model: an object serialized twice (the default dtype
policy that every layer made without a `dtype` holds, an initializer, regularizer or
constraint instance given to several layers or arguments, a recurrent layer's cell's objects,
a layer held by two nested Sequentials) is marked at its later configs, and at its first where
Keras's first config is still the one written (`kernel_initializer=init, bias_initializer=init`);
a model loaded from a file writes none. The ids are Python ids: compared by where they fall.
The files load in Keras and here, with the same predictions."""

import json
import re
import warnings
import zipfile

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE, "keras_model_save", "keras_model_load")

import swiftkeras  # noqa: E402

CASES = ["shared_layer", "shared_objects", "layer_in_two", "explicit_dtype", "bidirectional",
         "nested_seq", "rnn", "time_distributed"]


def _models(lib):
    L = lib.layers
    init = lib.initializers.GlorotUniform(seed=1)
    reg = lib.regularizers.L2(0.01)
    con = lib.constraints.MaxNorm(2)
    a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
    shared = L.Dense(2, name="shared")
    yield "shared_layer", lib.Model([a, b], L.Add(name="add")([shared(a), shared(b)]), name="m1")
    yield "shared_objects", lib.Sequential([
        lib.Input((3,)),
        L.Dense(4, kernel_initializer=init, kernel_regularizer=reg, kernel_constraint=con, name="d1"),
        L.Dense(2, kernel_initializer=init, bias_initializer=init, bias_regularizer=reg,
                bias_constraint=con, name="d2")], name="s")
    d = L.Dense(3, name="dd")
    s1 = lib.Sequential([d, L.Dense(3, name="e1")], name="s1")
    s2 = lib.Sequential([d, L.Dense(3, name="e2")], name="s2")
    x = lib.Input((3,), name="x")
    yield "layer_in_two", lib.Model(x, L.Add(name="add2")([s1(x), s2(x)]), name="m3")
    yield "explicit_dtype", lib.Sequential([lib.Input((3,)), L.Dense(4, dtype="float32", name="f1"),
                                            L.Dense(2, dtype="float32", name="f2")], name="s4")
    yield "bidirectional", lib.Sequential([lib.Input((5, 3)), L.Bidirectional(L.LSTM(2, name="l"), name="bi"),
                                           L.Dense(1, name="o")], name="s5")
    x = lib.Input((3,), name="x")
    inner = lib.Sequential([lib.Input((3,)), L.Dense(3, name="i1")], name="inner")
    yield "nested_seq", lib.Model(x, L.Dense(1, name="o2")(inner(x)), name="m6")
    yield "rnn", lib.Sequential([lib.Input((5, 3)), L.LSTM(2, kernel_initializer=init, name="l1"),
                                 L.RepeatVector(2, name="rv"), L.GRU(2, return_sequences=True, name="g1"),
                                 L.SimpleRNN(1, name="r1")], name="s7")
    yield "time_distributed", lib.Sequential([lib.Input((5, 3)), L.TimeDistributed(L.Dense(2, name="td_d"), name="td"),
                                              L.Dense(1, name="o3")], name="s8")


def _config(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("config.json"))


def _marks(config):
    """Each mark's place in the config, with its id numbered by first appearance."""
    ids, found = {}, []

    def walk(value, where):
        if isinstance(value, dict):
            if "shared_object_id" in value:
                found.append((where, ids.setdefault(value["shared_object_id"], len(ids))))
            for key, inner in value.items():
                walk(inner, f"{where}/{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                walk(inner, f"{where}[{i}]")

    walk(config, "")
    return found


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """{(library, case): (path, marks, marks after load and save again)}."""
    folder = tmp_path_factory.mktemp("shared_ids")
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib, tag in ((real_keras(), "keras"), (swiftkeras, "ours")):
            for case, model in _models(lib):
                path = str(folder / f"{tag}_{case}.keras")
                model.save(path)
                again = None
                if case != "layer_in_two":   # (Keras cannot load its own file of it)
                    lib.saving.load_model(path).save(path + ".again.keras")
                    again = _marks(_config(path + ".again.keras"))
                found[tag, case] = path, _marks(_config(path)), again
    return found


@pytest.mark.parametrize("case", CASES)
def test_shared_object_ids_are_keras(case, saved):
    _, ref, ref_again = saved["keras", case]
    _, ours, ours_again = saved["ours", case]
    assert ours == ref
    assert ours_again == ref_again
    if case != "explicit_dtype":
        assert ours


def test_shared_layer_config_is_keras(saved):
    """The functional model calling one layer twice: config.json as Keras's, ids aside."""
    def text(path):
        config = json.dumps(_config(path), sort_keys=True)
        return re.sub(r'"shared_object_id": \d+', '"shared_object_id": 0', config)
    assert text(saved["ours", "shared_layer"][0]) == text(saved["keras", "shared_layer"][0])


@pytest.mark.parametrize("case", ["shared_objects", "rnn", "layer_in_two"])
def test_marked_files_load_in_keras_and_here(case, saved):
    """Our file and Keras's, each loaded by Keras and here: the same predictions."""
    for tag in ("ours", "keras"):
        if tag == "keras" and case == "layer_in_two":
            continue   # Keras's own file of it does not load in Keras (nor here: Keras's error)
        predictions = []
        for lib in (real_keras(), swiftkeras):
            model = lib.saving.load_model(saved[tag, case][0])
            shape = (2,) + tuple(model.inputs[0].shape[1:])
            x = np.linspace(-1, 1, int(np.prod(shape)), dtype=np.float32).reshape(shape)
            predictions.append(np.asarray(model.predict(x, verbose=0)))
        np.testing.assert_allclose(predictions[1], predictions[0], rtol=1e-5, atol=1e-5)


def _small_model():
    return swiftkeras.Sequential([swiftkeras.Input((3,)), swiftkeras.layers.Dense(2, name="d")], name="small")


def test_the_library_writes_the_config_it_is_given(tmp_path):
    """keras_model_save_config writes the config.json it is given (model.save's: the library's
    config, built once, marked in Python) as the library writes JSON: given
    keras_model_archive_config's config as it is, the archive is, member for member, the one
    keras_model_save writes (the date in metadata.json aside); given it with marks added, its
    config.json is that config, key for key in order."""
    from swiftkeras import _lib, _native
    model = _small_model()
    handle = model._ensure_handle()
    text = _native.take_string(_lib.keras_model_archive_config, handle)
    given, saved = str(tmp_path / "given.keras"), str(tmp_path / "saved.keras")
    _native.check(_lib.keras_model_save_config(handle, given.encode(), 1, text.encode()))
    _native.check(_lib.keras_model_save(handle, saved.encode(), 1))
    with zipfile.ZipFile(given) as a, zipfile.ZipFile(saved) as b:
        assert a.namelist() == b.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        for name in a.namelist()[1:]:
            assert a.read(name) == b.read(name), name
    config = json.loads(text)
    config["config"]["layers"][1]["config"]["dtype"]["shared_object_id"] = 7
    config["config"]["layers"][1]["shared_object_id"] = 8
    _native.check(_lib.keras_model_save_config(handle, given.encode(), 1, json.dumps(config).encode()))
    assert json.dumps(_config(given)) == json.dumps(config)


@pytest.mark.parametrize("config,message", [
    (None, "config_json must not be NULL"),
    ("{", "config_json is not valid JSON"),
    ("[]", "must be a Keras entry: an object with a 'class_name' string and a 'config' object"),
    ('{"class_name": "Functional", "config": []}', "must be a Keras entry"),
])
def test_a_bad_config_is_refused_and_nothing_is_written(tmp_path, config, message):
    from swiftkeras import _lib, _native
    path = tmp_path / "refused.keras"
    with pytest.raises(Exception, match=re.escape(message)):
        _native.check(_lib.keras_model_save_config(_small_model()._ensure_handle(), str(path).encode(), 1,
                                                   None if config is None else config.encode()))
    assert not path.exists()
