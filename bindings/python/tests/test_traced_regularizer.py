"""A `keras.regularizers.Regularizer` subclass written in Python with `keras.ops` (keras.io's
PointNet `OrthogonalRegularizer`) on a layer's kernel and activity: traced into the library's op
graph (keras_register_regularizer_graph) and differentiated by its autodiff. Compared with real
Keras 3 (jax): `model.losses`, a fit from the same weights (losses and trained weights), the
layer config's entry (`module`, `class_name`, `config` from get_config, `registered_name`) and
`.keras` files written by either library, loaded by the other."""

import json
import zipfile

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_regularizer_graph")

X = np.linspace(-1, 1, 40, dtype="float32").reshape(10, 4)
Y = np.linspace(-0.5, 0.5, 20, dtype="float32").reshape(10, 2)


def _orthogonal(lib, registered):
    """PointNet's OrthogonalRegularizer with a get_config that from_config reads (the example's
    calls the base's, which raises, and names l2reg "l2reg_strength"); `registered`: under
    register_keras_serializable, else found through custom_objects."""
    class OrthogonalRegularizer(lib.regularizers.Regularizer):
        def __init__(self, num_features, l2reg=0.001):
            self.num_features = num_features
            self.l2reg = l2reg
            self.eye = lib.ops.eye(num_features)

        def __call__(self, x):
            x = lib.ops.reshape(x, (-1, self.num_features, self.num_features))
            xxt = lib.ops.tensordot(x, x, axes=(2, 2))
            xxt = lib.ops.reshape(xxt, (-1, self.num_features, self.num_features))
            return lib.ops.sum(self.l2reg * lib.ops.square(xxt - self.eye))

        def get_config(self):
            return {"num_features": self.num_features, "l2reg": self.l2reg}
    if registered:
        return lib.saving.register_keras_serializable(package="TracedRegularizer")(OrthogonalRegularizer)
    return OrthogonalRegularizer


def _model(lib, cls):
    model = lib.Sequential([lib.Input((4,)),
                            lib.layers.Dense(9, kernel_regularizer=cls(3, 0.01),
                                             activity_regularizer=cls(3)),
                            lib.layers.Dense(2)])
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse")
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(scale=0.4, size=np.shape(w)).astype("float32")
                       for w in model.get_weights()])
    return model


def _close(a, b, what, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol, err_msg=what)


def _losses(model):
    model(X)
    return [float(v) for v in model.losses]


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory):
    """Real Keras's model: losses before and after a fit, the fit's history, the trained weights
    and its .keras file (one run shared by the tests)."""
    cls = _orthogonal(keras, registered=True)
    model = _model(keras, cls)
    before = _losses(model)
    history = model.fit(X, Y, epochs=3, batch_size=4, shuffle=False, verbose=0).history
    path = str(tmp_path_factory.mktemp("keras") / "keras.keras")
    model.save(path)
    return dict(before=before, history=history, weights=model.get_weights(), after=_losses(model),
                path=path, model=model, cls=cls)


def test_penalties_and_fit_like_keras(keras_run):
    """The kernel's and the activity's penalties (the activity's divided by the batch, as Keras),
    a fit of 3 epochs of Adam (the penalties' gradients from the library's autodiff, its last
    batch of 2 traced anew) and the penalties at the trained weights, all as real Keras's."""
    model = _model(sk, _orthogonal(sk, registered=True))
    _close(_losses(model), keras_run["before"], "model.losses before the fit")
    history = model.fit(X, Y, epochs=3, batch_size=4, shuffle=False, verbose=0).history
    _close(history["loss"], keras_run["history"]["loss"], "fit losses")
    for a, b in zip(model.get_weights(), keras_run["weights"]):
        _close(a, b, "trained weights")
    _close(_losses(model), keras_run["after"], "model.losses after the fit")


def test_saved_and_loaded_both_ways_like_keras(keras_run, tmp_path):
    """The layer config names the regularizer as Keras does (module, class name, get_config,
    registered name 'Package>Name'); our file loads in Keras and Keras's here (registered, and by
    custom_objects for a class that is not), with the same penalties and predictions."""
    model = _model(sk, _orthogonal(sk, registered=True))
    model.set_weights(keras_run["weights"])
    path = str(tmp_path / "ours.keras")
    model.save(path)

    def dense_config(file):
        with zipfile.ZipFile(file) as z:
            return json.loads(z.read("config.json"))["config"]["layers"][1]["config"]
    ours, theirs = dense_config(path), dense_config(keras_run["path"])
    for key in ("kernel_regularizer", "activity_regularizer"):
        assert ours[key] == theirs[key]
    assert theirs["kernel_regularizer"]["registered_name"] == "TracedRegularizer>OrthogonalRegularizer"

    in_keras = keras.saving.load_model(path)
    _close(_losses(in_keras), keras_run["after"], "our file's penalties in Keras")
    for file in (path, keras_run["path"]):
        loaded = sk.saving.load_model(file)
        _close(_losses(loaded), keras_run["after"], f"penalties of {file} loaded here")
        _close(loaded.predict(X, verbose=0), keras_run["model"].predict(X, verbose=0), f"{file}")

    # A class that is not registered: saved under its class name, found by custom_objects.
    plain = _orthogonal(sk, registered=False)
    model = _model(sk, plain)
    model.save(path)
    assert dense_config(path)["kernel_regularizer"]["registered_name"] == "OrthogonalRegularizer"
    loaded = sk.saving.load_model(path, custom_objects={"OrthogonalRegularizer": plain})
    _close(_losses(loaded), _losses(model), "an unregistered class by custom_objects")


def test_bad_regularizers_are_reported():
    """A penalty that is not a scalar, and a __call__ that needs values (numpy on the tensor):
    errors naming the regularizer, nothing traps."""
    class Rows(sk.regularizers.Regularizer):
        def __call__(self, x):
            return sk.ops.sum(x, axis=0)

    class Numpy(sk.regularizers.Regularizer):
        def __call__(self, x):
            return float(np.sum(np.asarray(x)))

    for cls, message in ((Rows, "Regularizer 'Rows' must return a scalar penalty, got shape"),
                         (Numpy, "Numpy: a regularizer.s __call__ is traced .* numpy needs the values")):
        model = sk.Sequential([sk.Input((4,)), sk.layers.Dense(3, kernel_regularizer=cls())])
        model.compile(optimizer="sgd", loss="mse")
        with pytest.raises(Exception, match=message):
            model.fit(X, np.zeros((10, 3)), epochs=1, verbose=0)
    with pytest.raises(NotImplementedError, match="does not implement get_config"):
        Rows().get_config()


def test_builtin_of_the_same_name_stays_builtin():
    """A Python class named as a built-in (the example's OrthogonalRegularizer, not registered)
    does not take the built-in's place: Keras reads an entry of keras.regularizers with no
    registered name as its own class."""
    _model(sk, _orthogonal(sk, registered=False))(X)
    penalties = []
    for lib in (sk, keras):
        model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(
            3, kernel_regularizer=lib.regularizers.OrthogonalRegularizer(factor=0.2))])
        model.set_weights([np.linspace(-1, 1, w.size, dtype="float32").reshape(w.shape)
                           for w in model.get_weights()])
        penalties.append(_losses(model))
    _close(penalties[0], penalties[1], "the built-in OrthogonalRegularizer")
