"""Loading a model (load_model of .keras and .h5, load_weights into a model built only for it,
as an application's weights=path) makes its weights without drawing the initial values that
the file replaces (keras_model_defer_initial_values). What the draws would take from the
random generators is still taken, so everything after the load is as before: the numbers of a
fit after the load, and of a model made after it, are those the library gave when it drew
every weight (recorded from main at b1fbc5b3, which drew them). A weight the file lacks gets
the values it always got, or the load is refused as before."""

import shutil
import zipfile

import h5py
import numpy as np
import pytest

from conftest import CORE, needs

import swiftkeras as keras

pytestmark = needs(*CORE, "keras_model_defer_initial_values")

_ROWS = np.random.RandomState(0)
_X = _ROWS.rand(32, 6).astype("float32")
_Y = _ROWS.rand(32, 2).astype("float32")


def _made():
    keras.utils.set_random_seed(5)
    inputs = keras.Input((6,))
    h = keras.layers.Dense(8, activation="relu", name="hidden")(inputs)
    h = keras.layers.Dropout(0.3, name="drop")(h)
    h = keras.layers.BatchNormalization(name="norm")(h)
    outputs = keras.layers.Dense(2, name="out")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The trained model and its files: .keras, .h5 and .weights.h5."""
    folder = tmp_path_factory.mktemp("noinit")
    model = _made()
    model.fit(_X, _Y, epochs=1, batch_size=8, verbose=0)
    paths = {ext: str(folder / ("m" + ext)) for ext in (".keras", ".h5", ".weights.h5")}
    model.save(paths[".keras"])
    model.save(paths[".h5"])
    model.save_weights(paths[".weights.h5"])
    return model.get_weights(), paths, folder


def _after_fit(model):
    """The losses of two epochs, the weights' total after them, and the kernel of a layer made
    next (whose seed follows the load's draws)."""
    history = model.fit(_X, _Y, epochs=2, batch_size=8, verbose=0)
    fresh = keras.layers.Dense(3)
    fresh.build((None, 4))
    return history.history["loss"] + [sum(np.abs(w).sum() for w in model.get_weights()),
                                       np.abs(fresh.get_weights()[0]).sum()]


# Recorded with main's library (b1fbc5b3), which drew every weight before loading it.
_AS_BEFORE = {
    ".keras": [1.498244, 1.410827, 36.15894, 4.22342],
    ".h5": [1.498244, 1.410827, 36.15894, 6.59359],
    "load_weights": [1.481399, 1.464929, 36.14938, 4.84261],
}


@pytest.mark.parametrize("ext", [".keras", ".h5"])
def test_load_model_holds_the_files_weights_and_fits_as_before(saved, ext):
    weights, paths, _ = saved
    keras.utils.set_random_seed(3)
    loaded = keras.saving.load_model(paths[ext])
    for got, want in zip(loaded.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(_after_fit(loaded), _AS_BEFORE[ext], rtol=2e-5)


def test_load_weights_into_a_model_built_for_it_fits_as_before(saved):
    weights, paths, _ = saved
    keras.utils.set_random_seed(3)
    model = _made()   # not built yet: load_weights builds it only to take the file's weights
    model.load_weights(paths[".weights.h5"])
    for got, want in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(_after_fit(model), _AS_BEFORE["load_weights"], rtol=2e-5)


def _lacking_out_bias(paths, folder):
    lacking = str(folder / "lacking.weights.h5")
    shutil.copy(paths[".weights.h5"], lacking)
    with h5py.File(lacking, "r+") as f:
        del f["layers/dense_1/vars/1"]   # the layer 'out' (Keras names the groups by class)
    return lacking


def test_a_weight_the_file_lacks_is_drawn_as_before(saved):
    weights, paths, folder = saved
    model = _made()
    model.load_weights(_lacking_out_bias(paths, folder), skip_mismatch=True)
    # 'out' is skipped: its kernel keeps the values drawn for it (main's), its bias zeros
    kernel, bias = model.get_layer("out").get_weights()
    assert np.abs(kernel).sum() == pytest.approx(6.83237, rel=1e-5)
    np.testing.assert_array_equal(bias, np.zeros(2, "float32"))
    np.testing.assert_array_equal(model.get_layer("hidden").get_weights()[0], weights[0])
    np.testing.assert_allclose(model.predict(_X[:4], verbose=0).sum(),
                               _reference_output(model, _X[:4]), rtol=1e-5)


def _reference_output(model, x):
    """The model's output in numpy from its weights (Dense, relu, BatchNormalization at
    inference, Dense): no value in it is left undrawn."""
    (k1, b1), (gamma, beta, mean, var), (k2, b2) = (model.get_layer(n).get_weights()
                                                    for n in ("hidden", "norm", "out"))
    h = np.maximum(x @ k1 + b1, 0)
    h = (h - mean) / np.sqrt(var + 1e-3) * gamma + beta
    return (h @ k2 + b2).sum()


def test_a_file_lacking_a_weight_is_refused_as_before(saved):
    _, paths, folder = saved
    model = _made()
    with pytest.raises(ValueError, match=r"Layer 'out' expected 2 variables, but received 1 "
                                         r"variables during loading \(path layers/dense_1/vars\)"):
        model.load_weights(_lacking_out_bias(paths, folder))
    # the failed load leaves no span open: a model built after it draws its weights
    again = _made()
    again.build((None, 6))
    assert all(np.isfinite(w).all() for w in again.get_weights())


def test_load_model_of_an_archive_lacking_a_weight_is_refused(saved):
    _, paths, folder = saved
    inner, lacking = str(folder / "model.weights.h5"), str(folder / "lacking.keras")
    with zipfile.ZipFile(paths[".keras"]) as z:
        members = {name: z.read(name) for name in z.namelist()}
    with open(inner, "wb") as f:
        f.write(members["model.weights.h5"])
    with h5py.File(inner, "r+") as f:
        del f["layers/dense_1/vars/1"]
    with open(inner, "rb") as f:
        members["model.weights.h5"] = f.read()
    with zipfile.ZipFile(lacking, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ValueError, match=r"Layer 'out' expected 2 variables, but received 1"):
        keras.saving.load_model(lacking)
