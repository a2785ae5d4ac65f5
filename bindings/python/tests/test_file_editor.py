"""keras.saving.KerasFileEditor against real Keras's: the weights tree read from `.keras` and
`.weights.h5` files either library wrote, the summary, compare's verdicts and counts against
matching and mismatching models, and the edits (rename, delete, add objects and weights) with
their errors; the files the editor writes load in real Keras and here."""

import contextlib
import io

import numpy as np
import pytest

import swiftkeras as sk
from conftest import CORE, needs, real_keras

pytest.importorskip("h5py")
pytestmark = needs(*CORE)

RS = np.random.RandomState(0)
X = RS.rand(8, 3).astype("float32")


def _model(lib, compiled=True, width=4):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(width, name="d1"),
                            lib.layers.BatchNormalization(name="bn"), lib.layers.Dense(2, name="d2")])
    if compiled:
        model.compile("adam", "mse")
        model.fit(X, np.ones((8, 2), "float32"), verbose=0)
    return model


def _quiet(make):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        value = make()
    return value, out.getvalue()


def _tree(weights):
    return {k: _tree(v) if isinstance(v, dict) else (v.shape, str(v.dtype), v.tolist())
            for k, v in weights.items()}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    keras = real_keras()
    d = tmp_path_factory.mktemp("editor")
    keras.utils.set_random_seed(0)
    ref = _model(keras)
    ours = _model(sk)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    ref.save(d / "keras.keras")
    ref.save_weights(d / "keras.weights.h5")
    ours.save(d / "ours.keras")
    ours.save_weights(d / "ours.weights.h5")
    return d, ref, ours


@pytest.mark.parametrize("name", ["keras.keras", "keras.weights.h5", "ours.keras", "ours.weights.h5"])
def test_reads_the_weights_tree_as_keras(files, name):
    keras = real_keras()
    d = files[0]
    ours, printed = _quiet(lambda: sk.saving.KerasFileEditor(str(d / name)))
    ref, ref_printed = _quiet(lambda: keras.saving.KerasFileEditor(str(d / name)))
    assert _tree(ours.weights_dict) == _tree(ref.weights_dict)
    assert list(ours.weights_dict) == list(ref.weights_dict)
    assert ours.config == ref.config and ours.metadata == ref.metadata
    assert printed.split() == ref_printed.split()
    _, summary = _quiet(ours.summary)
    _, ref_summary = _quiet(ref.summary)
    assert summary.split() == ref_summary.split()


def test_compare_gives_keras_verdicts_and_counts(files):
    keras = real_keras()
    d = files[0]
    for path in ("keras.keras", "ours.weights.h5"):
        ours = _quiet(lambda: sk.saving.KerasFileEditor(str(d / path)))[0]
        ref = _quiet(lambda: keras.saving.KerasFileEditor(str(d / path)))[0]
        for make in (lambda lib: _model(lib), lambda lib: _model(lib, width=5),
                     lambda lib: _model(lib, compiled=False)):
            mine, text = _quiet(lambda: ours.compare(make(sk)))
            theirs, ref_text = _quiet(lambda: ref.compare(make(keras)))
            assert mine == theirs
            assert text.split() == ref_text.split()
    assert theirs["status"] == "error"


def test_edits_match_keras_and_the_written_files_load_in_both(files, tmp_path):
    keras = real_keras()
    d, ref_model, _ = files
    editors = [_quiet(lambda: lib.saving.KerasFileEditor(str(d / "keras.keras")))[0]
               for lib in (sk, keras)]
    new_kernel = {"0": np.full((3, 4), 0.5, "float32"), "1": np.arange(4, dtype="float32")}
    for editor in editors:
        editor.delete_object("optimizer")
        editor.rename_object("dense", "renamed")
        editor.delete_weight("batch_normalization", "3")
        editor.add_weights("batch_normalization", {"3": np.full((4,), 2.0, "float32")})
        editor.delete_object("layers/renamed")
        editor.add_object("layers/dense", new_kernel)
    assert _tree(editors[0].weights_dict) == _tree(editors[1].weights_dict)
    errors = []
    for editor in editors:
        found = []
        for edit in (lambda: editor.rename_object("nope", "x"), lambda: editor.rename_object("dense", "a/b"),
                     lambda: editor.delete_object("layers/nope"), lambda: editor.add_object("x/y/z", {}),
                     lambda: editor.add_object("x", [1]), lambda: editor.delete_weight("dense", "7"),
                     lambda: editor.save(tmp_path / "x.keras")):
            try:
                edit()
                found.append(None)
            except ValueError as e:
                found.append(str(e))
        errors.append(found)
    assert errors[0] == errors[1] and None not in errors[0]
    editors[0].save(str(tmp_path / "ours_edit.weights.h5"))
    editors[1].save(str(tmp_path / "keras_edit.weights.h5"))
    expected = [np.asarray(w) for w in ref_model.get_weights()]
    expected[0], expected[1], expected[5] = new_kernel["0"], new_kernel["1"], np.full((4,), 2.0)
    for written in ("ours_edit.weights.h5", "keras_edit.weights.h5"):
        theirs = _model(keras, compiled=False)
        theirs.load_weights(tmp_path / written)
        mine = _model(sk, compiled=False)
        mine.load_weights(str(tmp_path / written))
        for model in (theirs, mine):
            for a, b in zip(model.get_weights(), expected):
                np.testing.assert_array_equal(np.asarray(a), b)
        np.testing.assert_allclose(mine.predict(X, verbose=0), theirs.predict(X, verbose=0),
                                   rtol=1e-5, atol=1e-6)


def test_refuses_other_files(tmp_path):
    with pytest.raises(ValueError, match="expected a `.keras` `.weights.h5` extension"):
        sk.saving.KerasFileEditor(str(tmp_path / "m.h5"))
