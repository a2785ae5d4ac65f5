"""Three places where our files and weight paths differed from real Keras 3 (JAX):

- a Sequential built where it was made (given its Input) and then held by a subclassed model
  (passed to its `__init__` or made there) keeps its weights' paths `seq/d1/kernel`, as Keras's
  (built under the model's call instead, they are `h/sequential/...`, as Keras's); the
  `.weights.h5` and `.keras` files have Keras's layout and load in Keras and here;
- a float config value that is a whole number (`MaxNorm(2.0)`) is written as Keras writes it,
  `2.0` (the int given, `MaxNorm()`'s default 2 or `MaxNorm(3)`, stays an int), also after a
  Keras file is loaded here and saved again;
- a model nested in a model writes Keras's `"compile_config"`: `{}`, or its compile config where
  it was compiled (the learning rate the float32 Keras keeps); so does a registered subclassed
  model, nested or saved itself.

config.json is compared as text (`2` and `2.0` differ), the shared object ids aside."""

import json
import re
import warnings
import zipfile

import h5py
import numpy as np
import pytest

from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE, "keras_model_save", "keras_model_load")

import swiftkeras  # noqa: E402

X = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)


def _holder_class(lib):
    """A subclassed model holding a Sequential: the one given, or one made in `__init__`."""

    @lib.saving.register_keras_serializable(package="files6")
    class Holder(lib.Model):
        def __init__(self, seq=None, **kwargs):
            super().__init__(**kwargs)
            self.seq = seq if seq is not None else lib.Sequential(
                [lib.Input((4,)), lib.layers.Dense(3, name="d1")], name="seq")
            self.out = lib.layers.Dense(2, name="d2")

        def call(self, x):
            return self.out(self.seq(x))

    return Holder


def _path_cases(lib):
    """{case: model called once}: the Sequential built outside (passed in, made in `__init__`,
    made under a name scope) or by the model's call (no Input)."""
    Holder = _holder_class(lib)
    seq = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, name="d1")], name="seq")
    with lib.name_scope("outer"):
        scoped = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, name="d1")], name="seq")
    models = {"passed": Holder(seq, name="h"), "made_in_init": Holder(name="h"),
              "scoped": Holder(scoped, name="h"),
              "lazy": Holder(lib.Sequential([lib.layers.Dense(3, name="d1")], name="lazy"), name="h")}
    for model in models.values():
        model(X)
    return models


def _datasets(path_or_file):
    out = []
    with h5py.File(path_or_file, "r") as f:
        f.visititems(lambda name, obj: out.append((name, obj.shape)) if isinstance(obj, h5py.Dataset) else None)
    return sorted(out)


def _text(config_text):
    config = re.sub(r'"shared_object_id": \d+', '"shared_object_id": 0', config_text)
    return json.dumps(json.loads(config), indent=1).splitlines()   # (one key a line: a diff shows it)


def _config_text(path):
    with zipfile.ZipFile(path) as archive:
        return archive.read("config.json").decode()


def _float_model(lib):
    L, C = lib.layers, lib.constraints
    return lib.Sequential([
        lib.Input((4,), name="in0"),
        L.Dense(3, kernel_constraint=C.MaxNorm(2.0), bias_constraint=C.MinMaxNorm(0.0, 1.0),
                kernel_regularizer=lib.regularizers.l2(1.0),
                kernel_initializer=lib.initializers.RandomNormal(stddev=1.0), name="a"),
        L.Dense(3, kernel_constraint=C.MaxNorm(), bias_constraint=C.MaxNorm(3), name="b"),
        L.Dense(2, kernel_constraint=C.MaxNorm(max_value=4.0, axis=1), name="c"),
        L.Dropout(rate=0.0, name="drop")], name="floats")


def _nested_models(lib):
    L = lib.layers
    x = lib.Input((3,), name="x")
    inner = lib.Sequential([lib.Input((3,), name="in1"), L.Dense(3, name="i1")], name="inner")
    yield "functional", lib.Model(x, L.Dense(1, name="o1")(inner(x)), name="m1")
    yield "sequential", lib.Sequential([
        lib.Input((3,), name="in2"), lib.Sequential([lib.Input((3,), name="in2b"), L.Dense(2, name="i2")], name="inner2"), L.Dense(1, name="o2")],
        name="m2")
    compiled = lib.Sequential([lib.Input((3,), name="in3"), L.Dense(3, name="i3")], name="inner3")
    compiled.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse")
    yield "compiled", lib.Model(x, L.Dense(1, name="o3")(compiled(x)), name="m3")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """{(tag, what): value} for real Keras ("keras") and ours ("ours"): each path case's weight
    paths, `.weights.h5` datasets and model; the files written."""
    folder = tmp_path_factory.mktemp("fidelity6")
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lib, tag in ((real_keras(), "keras"), (swiftkeras, "ours")):
            # The files hold auto-names (adam_1) that count per process: each library starts
            # afresh, whatever ran before in this worker.
            lib.backend.clear_session()
            for case, model in _path_cases(lib).items():
                path = str(folder / f"{tag}_{case}.weights.h5")
                model.save_weights(path)
                found[tag, case] = ([w.path for w in model.weights], _datasets(path), path, model,
                                    np.asarray(model.predict(X, verbose=0)))
            holder = found[tag, "made_in_init"][3]
            holder.save(str(folder / f"{tag}_holder.keras"))
            found[tag, "holder"] = str(folder / f"{tag}_holder.keras")
            x = lib.Input((4,), name="x")
            lib.Model(x, lib.layers.Dense(1, name="o")(_holder_class(lib)(name="held")(x)),
                      name="m4").save(str(folder / f"{tag}_subclass_nested.keras"))
            found[tag, "subclass_nested"] = str(folder / f"{tag}_subclass_nested.keras")
            _float_model(lib).save(str(folder / f"{tag}_floats.keras"))
            found[tag, "floats"] = str(folder / f"{tag}_floats.keras")
            for case, model in _nested_models(lib):
                model.save(str(folder / f"{tag}_{case}.keras"))
                found[tag, case] = str(folder / f"{tag}_{case}.keras")
    return found


@pytest.mark.parametrize("case", ["passed", "made_in_init", "scoped", "lazy"])
def test_held_sequential_weight_paths_and_layout_are_keras(case, saved):
    paths, datasets = saved["ours", case][:2]
    ref_paths, ref_datasets = saved["keras", case][:2]
    assert paths == ref_paths
    assert datasets == ref_datasets


@pytest.mark.parametrize("case", ["passed", "scoped"])
def test_held_sequential_weights_load_both_ways(case, saved):
    """Each library's `.weights.h5` loaded into the other's model: the writer's predictions."""
    for source, target in (("ours", "keras"), ("keras", "ours")):
        path, expected = saved[source, case][2], saved[source, case][4]
        model = saved[target, case][3]
        model.load_weights(path)
        np.testing.assert_allclose(np.asarray(model.predict(X, verbose=0)), expected, rtol=1e-6, atol=1e-6)


def test_held_sequential_keras_files_load_both_ways(saved):
    with zipfile.ZipFile(saved["ours", "holder"]) as ours, zipfile.ZipFile(saved["keras", "holder"]) as ref:
        assert _datasets(ours.open("model.weights.h5")) == _datasets(ref.open("model.weights.h5"))
    for tag in ("ours", "keras"):
        paths = []
        for lib in (real_keras(), swiftkeras):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                loaded = lib.saving.load_model(saved[tag, "holder"])
            paths.append([w.path for w in loaded.weights])
            np.testing.assert_allclose(np.asarray(loaded.predict(X, verbose=0)), saved[tag, "made_in_init"][4],
                                       rtol=1e-6, atol=1e-6)
        assert paths[1] == paths[0]


def test_whole_floats_are_written_as_keras_writes_them(saved, tmp_path):
    ours, ref = _config_text(saved["ours", "floats"]), _config_text(saved["keras", "floats"])
    assert _text(ours) == _text(ref)
    assert '"max_value": 2.0' in ours and '"max_value": 2,' in ours and '"max_value": 3,' in ours
    # Keras's file loaded here and saved again: each number keeps its type
    again = str(tmp_path / "again.keras")
    swiftkeras.saving.load_model(saved["keras", "floats"]).save(again)
    keras_again = str(tmp_path / "keras_again.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        real_keras().saving.load_model(saved["keras", "floats"]).save(keras_again)
    assert _text(_config_text(again)) == _text(_config_text(keras_again))


@pytest.mark.parametrize("case", ["functional", "sequential", "compiled"])
def test_nested_model_compile_config_is_keras(case, saved):
    ours, ref = json.loads(_config_text(saved["ours", case])), json.loads(_config_text(saved["keras", case]))
    nested = [entry for entry in ours["config"]["layers"] if entry["class_name"] == "Sequential"]
    ref_nested = [entry for entry in ref["config"]["layers"] if entry["class_name"] == "Sequential"]
    assert len(nested) == len(ref_nested) == 1
    assert "compile_config" in ref_nested[0]
    assert _text(json.dumps(nested[0])) == _text(json.dumps(ref_nested[0]))
    assert _text(_config_text(saved["ours", case])) == _text(_config_text(saved["keras", case]))
    for tag in ("ours", "keras"):   # each file loads in both, with the same predictions
        x = X[:, :3]
        predictions = []
        for lib in (real_keras(), swiftkeras):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                predictions.append(np.asarray(lib.saving.load_model(saved[tag, case]).predict(x, verbose=0)))
        np.testing.assert_allclose(predictions[1], predictions[0], rtol=1e-5, atol=1e-5)


def test_subclassed_model_compile_config_is_keras(saved):
    """A registered subclassed model's entry, nested in a functional model and as the file's
    model: Keras's compile_config (`{}`, not compiled), after its build_config."""
    for key, entry_of in (("subclass_nested", lambda c: c["config"]["layers"][1]), ("holder", lambda c: c)):
        ours = entry_of(json.loads(_config_text(saved["ours", key])))
        ref = entry_of(json.loads(_config_text(saved["keras", key])))
        assert ref["compile_config"] == {}
        assert ours["compile_config"] == ref["compile_config"]
        assert list(ours).index("compile_config") == list(ours).index("build_config") + 1
    for tag in ("ours", "keras"):   # the nested one's file loads in both, the same predictions
        predictions = []
        for lib in (real_keras(), swiftkeras):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = lib.saving.load_model(saved[tag, "subclass_nested"])
                predictions.append(np.asarray(model.predict(X, verbose=0)))
        np.testing.assert_allclose(predictions[1], predictions[0], rtol=1e-5, atol=1e-5)
