"""Keras 3's keras.wrappers.SKLearnClassifier / SKLearnRegressor / SKLearnTransformer under
the same names in swiftkeras.wrappers, real Keras 3 the oracle; warm_start works here."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from conftest import CORE, needs, real_keras

import swiftkeras as keras
from swiftkeras.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

pytestmark = needs(*CORE, "keras_set_random_seed")


def build(X, y, hidden=8, loss="categorical_crossentropy", act="softmax", real=False):
    """The model function (module level, so that estimators pickle), swiftkeras or Keras."""
    if real:
        import keras as lib
    else:
        lib = keras
    model = lib.Sequential([lib.layers.Input((X.shape[1],)),
                            lib.layers.Dense(hidden, activation="relu"),
                            lib.layers.Dense(y.shape[1] if y.ndim == 2 else 1, activation=act)])
    model.compile(optimizer="adam", loss=loss)
    return model


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(x).astype(np.float32), y


def test_same_names_and_outputs_as_keras3(iris):
    x, y = iris
    import keras as real
    labels = np.array(["a", "b", "c"])[y]
    ours = SKLearnClassifier(build, model_kwargs={"hidden": 6},
                             fit_kwargs={"epochs": 3, "verbose": 0}).fit(x, labels)
    theirs = real.wrappers.SKLearnClassifier(build, model_kwargs={"hidden": 6, "real": True},
                                             fit_kwargs={"epochs": 3, "verbose": 0}).fit(x, labels)
    assert list(ours.classes_) == list(theirs.classes_)
    assert ours.predict(x).shape == theirs.predict(x).shape and ours.predict(x).dtype.kind == "U"
    assert ours.model_.layers[0].get_weights()[0].shape == (4, 6)
    assert set(SKLearnClassifier(build).get_params()) == \
        set(real.wrappers.SKLearnClassifier(build).get_params())
    with pytest.raises(ValueError, match="one class"):
        SKLearnClassifier(build).fit(x, np.zeros(150))
    reg = SKLearnRegressor(build, model_kwargs={"loss": "mse", "act": "linear"},
                           fit_kwargs={"epochs": 2, "verbose": 0}).fit(x, x[:, 0] * 2)
    assert reg.predict(x).shape == (150,)
    enc = SKLearnTransformer(build, model_kwargs={"loss": "mse", "act": "linear"},
                             fit_kwargs={"epochs": 2, "verbose": 0}).fit(x, x[:, :2])
    assert enc.transform(x).shape == (150, 2)


def test_warm_start_continues_and_clone_keeps_fit_kwargs(iris):
    x, y = iris
    clf = SKLearnClassifier(build, warm_start=True, fit_kwargs={"epochs": 2, "verbose": 0})
    clf.fit(x, y)
    first = clf.model_
    clf.fit(x, y)
    assert clf.model_ is first and clf.epoch_ == 4 and len(clf.history_["loss"]) == 4
    cold = SKLearnClassifier(build, fit_kwargs={"epochs": 2, "verbose": 0}).fit(x, y)
    model = cold.model_
    assert cold.fit(x, y).model_ is not model and cold.epoch_ == 2
    assert clone(cold).fit_kwargs == {"epochs": 2, "verbose": 0}


def test_fit_and_predict_run_on_the_library_estimator(iris, monkeypatch):
    """The wrappers' fit and predictions go through the library estimator
    (keras_estimator_fit_arrays / _predict_arrays, the one-hot targets taken as encoded) and
    give what model.fit and model.predict give the same model from the same seed, bit for bit
    (weights, history, decision_function); a pickled copy predicts alike through its own."""
    import pickle
    from swiftkeras import _lib
    x, y = iris
    calls = []
    for name in ("keras_estimator_fit_arrays", "keras_estimator_predict_arrays"):
        def counting(*args, real=getattr(_lib, name), name=name):
            calls.append(name)
            return real(*args)
        counting.available = True
        monkeypatch.setattr(_lib, name, counting)
    fit_kwargs = {"epochs": 3, "verbose": 0, "batch_size": 16, "shuffle": False,
                  "validation_split": 0.2}
    keras.utils.set_random_seed(3)
    ours = SKLearnClassifier(build, fit_kwargs=fit_kwargs).fit(x, y)
    scores = ours.decision_function(x)
    assert calls == ["keras_estimator_fit_arrays", "keras_estimator_predict_arrays"]
    keras.utils.set_random_seed(3)
    onehot = np.eye(3, dtype=np.float32)[y]
    model = build(x, onehot)
    history = model.fit(x, onehot, **fit_kwargs).history
    for a, b in zip(ours.model_.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert ours.history_ == {k: list(v) for k, v in history.items()}
    np.testing.assert_array_equal(scores, model.predict(x, verbose=0))
    copy = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(copy.decision_function(x), scores)
    np.testing.assert_array_equal(copy.predict(x), ours.predict(x))


def _shuffled_fits(lib, wrappers, shuffle):
    """Two fits in a row of each Keras 3 wrapper from one seed, `shuffle` in fit_kwargs: their
    predictions and numpy's next number after them (a shuffled fit draws from np.random)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)).astype("float32")
    y = (X @ np.arange(4.0) + 0.5).astype("float32")
    labels = (X[:, 0] > 0).astype(int)

    def make(X, y, units=1, act=None, loss="mse"):
        model = lib.Sequential([lib.Input((X.shape[1],)), lib.layers.Dense(units, activation=act)])
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=loss)
        return model
    fit_kwargs = {"shuffle": shuffle, "epochs": 2, "batch_size": 8, "verbose": 0}
    lib.utils.set_random_seed(0)
    out = []
    for _ in range(2):
        out.append(wrappers.SKLearnRegressor(make, fit_kwargs=fit_kwargs).fit(X, y).predict(X[:4]))
        out.append(wrappers.SKLearnTransformer(make, fit_kwargs=fit_kwargs).fit(X, y).transform(X[:4]))
        clf = wrappers.SKLearnClassifier(make, model_kwargs={"units": 2, "act": "softmax",
                                                             "loss": "categorical_crossentropy"},
                                         fit_kwargs=fit_kwargs).fit(X, labels)
        out.append(clf.model_.predict(X[:4], verbose=0))
    return [np.asarray(o) for o in out], np.random.rand()


@pytest.mark.parametrize("shuffle", [True, False, "batch"])
def test_fit_kwargs_shuffle_trains_as_keras3_wrappers(shuffle):
    import keras as real
    import keras.wrappers as real_wrappers
    from swiftkeras import wrappers
    ours, our_next = _shuffled_fits(keras, wrappers, shuffle)
    theirs, their_next = _shuffled_fits(real, real_wrappers, shuffle)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert our_next == their_next   # np.random goes on as after Keras's fits


def test_scikeras_wrapper_shuffles_by_batch_as_keras_fit(iris):
    """SciKeras's KerasRegressor(shuffle="batch") hands Keras's fit its batch-wise shuffle: its
    fit draws from np.random what Keras's model.fit(shuffle="batch") of the same rows draws."""
    x, _ = iris
    from swiftkeras.wrappers import KerasRegressor

    def build(lib):
        return lib.Sequential([lib.Input((x.shape[1],)), lib.layers.Dense(1)])
    np.random.seed(3)
    KerasRegressor(lambda: build(keras), loss="mse", shuffle="batch", epochs=2, batch_size=32,
                   verbose=0).fit(x, x[:, 0])
    ours = np.random.rand()
    real = real_keras()
    np.random.seed(3)
    model = build(real)
    model.compile(optimizer="rmsprop", loss="mse")
    model.fit(x, x[:, 0], shuffle="batch", epochs=2, batch_size=32, verbose=0)
    assert ours == np.random.rand()
    np.random.seed(3)
    assert ours != np.random.rand()   # the fits drew: the test can fail
