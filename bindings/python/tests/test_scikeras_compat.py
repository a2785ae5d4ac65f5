"""SciKeras 0.13's documented behaviour on swiftkeras.wrappers, real SciKeras the oracle where
both can run the same data (meta, encoders, history lengths, callbacks, classes_)."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.estimator_checks import check_no_attributes_set_in_init

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras.wrappers import KerasClassifier, KerasRegressor

pytestmark = needs(*CORE, "keras_set_random_seed")
META_KEYS = {"n_features_in_", "X_dtype_", "X_shape_", "y_dtype_", "y_ndim_", "target_type_",
             "classes_", "n_classes_", "n_outputs_", "n_outputs_expected_", "target_encoder_",
             "feature_encoder_"}


@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(x).astype(np.float32), y


def dense_model(lib, captured=None):
    def build(hidden=8, meta=None):
        if captured is not None:
            captured.append(dict(meta))
        out = meta["n_classes_"] if meta.get("n_classes_") else meta["n_outputs_"]
        act = "sigmoid" if meta["target_type_"] == "multilabel-indicator" else (
            "softmax" if meta.get("n_classes_") else "linear")
        return lib.Sequential([lib.layers.Input((meta["n_features_in_"],)),
                               lib.layers.Dense(hidden, activation="relu"),
                               lib.layers.Dense(out, activation=act)])
    return build


def scikeras():
    pytest.importorskip("scikeras")
    import keras as real_keras
    from scikeras import wrappers
    return real_keras, wrappers


def both(make, captured):
    """(swiftkeras estimator, SciKeras estimator) made by make(wrappers module, keras module)."""
    real_keras, sk = scikeras()
    from swiftkeras import wrappers as ours
    return make(ours, keras, captured[0]), make(sk, real_keras, captured[1])


@pytest.mark.parametrize("kind", ["multiclass", "multilabel", "regression2"])
def test_meta_matches_scikeras(iris, kind):
    x, y = iris
    if kind == "multilabel":
        y = np.stack([y == 0, y == 2, x[:, 0] > 0], axis=1).astype(np.int64)
    elif kind == "regression2":
        y = np.stack([x[:, 0] * 2, x[:, 1] - 1], axis=1)
    names = np.array(["setosa", "versicolor", "virginica"])
    y = names[y] if kind == "multiclass" else y
    captured = ([], [])

    def make(w, lib, cap):
        cls = w.KerasRegressor if kind == "regression2" else w.KerasClassifier
        return cls(model=dense_model(lib, cap), loss="mse" if kind == "regression2" else
                   ("binary_crossentropy" if kind == "multilabel" else
                    "sparse_categorical_crossentropy"), epochs=2, verbose=0, random_state=0)
    ours, theirs = both(make, captured)
    ours.fit(x, y)
    theirs.fit(x, y)
    mine, ref = captured[0][0], captured[1][0]
    assert set(mine) == set(ref) == META_KEYS - ({"classes_", "n_classes_"}
                                                 if kind == "regression2" else set())
    for key in META_KEYS & set(ref) - {"target_encoder_", "feature_encoder_"}:
        a, b = mine[key], ref[key]
        assert np.array_equal(a, b) if isinstance(b, np.ndarray) else a == b, key
    assert ours.predict(x).shape == theirs.predict(x).shape
    assert ours.predict(x).dtype.kind == theirs.predict(x).dtype.kind
    if kind != "regression2":
        assert ours.predict_proba(x).shape == theirs.predict_proba(x).shape
    np.testing.assert_array_equal(ours.target_encoder_.transform(y),
                                  theirs.target_encoder_.transform(y))
    assert len(ours.history_["loss"]) == len(theirs.history_["loss"]) == ours.current_epoch == 2


def test_routed_parameters_stay_out_of_attributes(iris):
    clf = KerasClassifier(model=dense_model(keras), optimizer__learning_rate=0.1,
                          callbacks__patience=2, model__hidden=3)
    assert "optimizer__learning_rate" not in vars(clf)
    assert clf.optimizer__learning_rate == 0.1 and clf.get_params()["model__hidden"] == 3
    check_no_attributes_set_in_init("KerasClassifier", clf)
    again = clone(clf).set_params(optimizer__learning_rate=0.2)
    assert again.get_params()["optimizer__learning_rate"] == 0.2
    assert clf.get_params()["optimizer__learning_rate"] == 0.1
    with pytest.raises(ValueError, match="Invalid parameter nope"):
        clf.set_params(nope=1)


def test_initialize_current_epoch_and_partial_fit(iris):
    x, y = iris
    clf = KerasClassifier(model=dense_model(keras), loss="sparse_categorical_crossentropy",
                          verbose=0, random_state=0)
    assert clf.current_epoch == 0
    assert clf.initialize(x, y).predict(x).shape == (150,) and clf.current_epoch == 0
    part = x[y < 2], y[y < 2]
    clf = clone(clf).partial_fit(*part, classes=[0, 1, 2])
    assert list(clf.classes_) == [0, 1, 2] and clf.n_classes_ == 3
    assert clf.predict_proba(x).shape == (150, 3)
    clf.partial_fit(x, y).partial_fit(x, y)
    assert len(clf.history_["loss"]) == clf.current_epoch == 3
    with pytest.raises(TypeError, match="epochs"):
        clf.partial_fit(x, y, epochs=2)


def test_encoder_hooks_are_overridable(iris):
    x, y = iris
    captured = []

    class Meta(FunctionTransformer):
        def get_metadata(self):
            return {"my_feature_meta_": 7}

    class Custom(KerasRegressor):
        @property
        def target_encoder(self):
            return FunctionTransformer(np.log1p, np.expm1)

        @property
        def feature_encoder(self):
            return Meta(lambda a: a * 2)

    def build(meta):
        captured.append(meta)
        return keras.Sequential([keras.layers.Dense(1)])
    reg = Custom(model=build, loss="mse", epochs=1, verbose=0).fit(x, y.astype(float))
    assert captured[0]["my_feature_meta_"] == 7 and reg.my_feature_meta_ == 7
    raw = reg.model_.predict(x * 2, verbose=0)
    np.testing.assert_allclose(reg.predict(x), np.expm1(raw), rtol=1e-5)


@pytest.mark.parametrize("form", ["dict", "class", "instance", "list"])
def test_callbacks_as_scikeras_takes_them(iris, form):
    x, y = iris

    def make(w, lib, _):
        es = lib.callbacks.EarlyStopping
        cbs = {"dict": dict(callbacks={"es": es}, callbacks__es__monitor="loss",
                            callbacks__es__min_delta=100.0, callbacks__es__patience=1),
               "class": dict(callbacks=es, callbacks__monitor="loss", callbacks__min_delta=100.0),
               "instance": dict(callbacks=es(monitor="loss", min_delta=100.0, patience=2)),
               "list": dict(callbacks=[es], callbacks__0__monitor="loss",
                            callbacks__0__min_delta=100.0)}[form]
        return w.KerasClassifier(model=dense_model(lib), loss="sparse_categorical_crossentropy",
                                 epochs=10, verbose=0, **cbs)
    ours, theirs = both(make, ([], []))
    assert len(ours.fit(x, y).history_["loss"]) == len(theirs.fit(x, y).history_["loss"]) < 10
    with pytest.raises(TypeError, match="callbacks"):
        KerasClassifier(model=dense_model(keras), callbacks="nope", verbose=0).fit(x, y)


def test_class_weight_balanced_and_dict(iris):
    x, y = iris
    keep = np.r_[0:50, 50:60, 100:150]
    x, y = x[keep], y[keep]

    def fit(**kw):
        return KerasClassifier(model=dense_model(keras), loss="sparse_categorical_crossentropy",
                               epochs=3, batch_size=16, verbose=0, random_state=0,
                               shuffle=False, **kw).fit(x, y)
    plain = fit().predict_proba(x)
    balanced = fit(class_weight="balanced").predict_proba(x)
    weighted = KerasClassifier(model=dense_model(keras), loss="sparse_categorical_crossentropy",
                               epochs=3, batch_size=16, verbose=0, random_state=0, shuffle=False
                               ).fit(x, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_allclose(balanced, weighted.predict_proba(x), rtol=1e-5)
    assert not np.allclose(plain, balanced)
    as_dict = fit(class_weight={0: 1.0, 1: 5.0, 2: 1.0}).predict_proba(x)
    assert not np.allclose(as_dict, plain)


def test_whole_set_batch_and_single_class(iris):
    x, y = iris
    kw = dict(model=dense_model(keras), loss="sparse_categorical_crossentropy", epochs=2,
              verbose=0, random_state=0, shuffle=False)
    whole = KerasClassifier(batch_size=-1, **kw).fit(x, y).predict_proba(x)
    explicit = KerasClassifier(batch_size=150, **kw).fit(x, y).predict_proba(x)
    np.testing.assert_allclose(whole, explicit, rtol=1e-6)
    one = KerasClassifier(**dict(kw, loss="binary_crossentropy")).fit(x, np.full(150, 7))
    assert list(one.classes_) == [7] and set(one.predict(x)) == {7}


def test_pickle_unbuilt_and_built_models(iris):
    x, y = iris
    model = keras.Sequential([keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    clf = KerasClassifier(model=model, loss="sparse_categorical_crossentropy", epochs=2,
                          verbose=0, random_state=0)
    restored = pickle.loads(pickle.dumps(clf)).fit(x, y)
    again = pickle.loads(pickle.dumps(restored))
    np.testing.assert_allclose(again.predict_proba(x), restored.predict_proba(x), rtol=1e-6)
    assert again.current_epoch == 2 and list(again.classes_) == [0, 1, 2]


def test_multi_output_model_with_a_custom_encoder(iris):
    """SciKeras's multi-output pattern: a target encoder splitting y for a two-headed model."""
    from test_sklearn_estimator_handle import MultiOutput, two_heads
    x, y = iris
    y2 = np.stack([y, (x[:, 0] > 0).astype(int)], axis=1)
    clf = MultiOutput(model=two_heads,
                      loss=["sparse_categorical_crossentropy", "binary_crossentropy"],
                      epochs=30, verbose=0, random_state=0, optimizer="adam").fit(x, y2)
    pred = clf.predict(x)
    assert pred.shape == (150, 2) and (pred[:, 0] == y).mean() > 0.6
    assert clf.target_type_ == "multiclass-multioutput"


def cnn(filters=4, meta=None):
    return keras.Sequential([keras.layers.Input(meta["X_shape_"][1:]),
                             keras.layers.Conv2D(filters, 3, activation="relu"),
                             keras.layers.Flatten(),
                             keras.layers.Dense(meta["n_classes_"], activation="softmax")])


@needs("keras_grid_search_new")
def test_images_grid_search_and_pipeline_natively():
    from swiftkeras.model_selection import GridSearchCV as NativeGridSearchCV
    x, y = load_digits(n_class=3, return_X_y=True)
    images = (x / 16.0).reshape(-1, 8, 8, 1)[:180]
    y = y[:180]
    # Adam at 0.01: from the starting weights Keras draws after set_random_seed(0) (which the
    # binding now gives), Adam's default 0.001 reaches only 0.67 in 5 epochs, in both libraries.
    clf = KerasClassifier(model=cnn, loss="sparse_categorical_crossentropy", optimizer="adam",
                          optimizer__learning_rate=0.01, epochs=5, verbose=0, random_state=0)
    search = GridSearchCV(clf, {"model__filters": [2, 4]}, cv=3).fit(images, y)
    assert search.best_score_ > 0.8 and search.predict(images).shape == (180,)
    native = NativeGridSearchCV(clf, {"model__filters": [2, 4]}, cv=3).fit(images, y)
    assert native.native_  # N-D X runs in the library (scikit-learn's search before)
    np.testing.assert_allclose(native.cv_results_["mean_test_score"],
                               search.cv_results_["mean_test_score"], atol=1e-6)
    flat = x[:180] / 16.0
    pipe = Pipeline([("scale", StandardScaler()),
                     ("clf", KerasClassifier(model=dense_model(keras), epochs=20, verbose=0,
                                             optimizer="adam", optimizer__learning_rate=0.05,
                                             loss="sparse_categorical_crossentropy",
                                             random_state=0))])
    piped = NativeGridSearchCV(pipe, {"clf__model__hidden": [4, 8]}, cv=3).fit(flat, y)
    assert piped.native_ and piped.best_score_ > 0.8  # keras_pipeline_new
    assert piped.predict(flat).shape == (180,)


def test_fit_arguments_history_as_scikeras(iris):
    """validation_freq, steps_per_epoch, validation_batch_size and initial_epoch (the library
    estimator's fit__ parameters): history_ keys and lengths as SciKeras's, a warm fit from a
    non-zero initial_epoch extending it and a partial_fit after a warm fit continuing it."""
    x, y = iris

    def make(w, lib, _):
        return w.KerasClassifier(model=dense_model(lib), loss="sparse_categorical_crossentropy",
                                 epochs=4, batch_size=16, verbose=0, random_state=0,
                                 validation_split=0.2, validation_batch_size=8,
                                 fit__validation_freq=2, fit__steps_per_epoch=3,
                                 warm_start=True)
    ours, theirs = both(make, ([], []))
    lengths = lambda est: {k: len(v) for k, v in est.history_.items()}
    for step in (lambda e: e.fit(x, y), lambda e: e.fit(x, y, initial_epoch=4, epochs=2),
                 lambda e: e.partial_fit(x, y), lambda e: e.fit(x, y)):
        step(ours), step(theirs)
        assert lengths(ours) == lengths(theirs)
        assert ours.current_epoch == theirs.current_epoch


def test_multi_output_and_large_integer_labels_as_scikeras(iris):
    """A two-headed model with a splitting target encoder, and int64 labels beyond float32's
    integers: predictions' shapes and dtypes, classes_, meta and history keys as SciKeras's."""
    x, y = iris
    y2 = np.stack([y, (x[:, 0] > 0).astype(int)], axis=1)

    def split(t):
        return [t[:, 0], t[:, 1:].astype(np.float32)]

    def join(p):
        return np.stack([np.argmax(p[0], 1), (p[1][:, 0] > 0.5).astype(int)], 1)

    def make(w, lib, _):
        class Splitter(FunctionTransformer):
            def __init__(self):
                super().__init__(split, join, check_inverse=False)

            def get_metadata(self):
                return {"n_outputs_expected_": 2}

        class MultiOutput(w.KerasClassifier):
            @property
            def target_encoder(self):
                return Splitter()

        def build(meta):
            inp = lib.Input((meta["n_features_in_"],))
            h = lib.layers.Dense(8, activation="relu")(inp)
            return lib.Model(inp, [lib.layers.Dense(3, activation="softmax", name="kind")(h),
                                   lib.layers.Dense(1, activation="sigmoid", name="big")(h)])
        return MultiOutput(model=build, loss=["sparse_categorical_crossentropy",
                                              "binary_crossentropy"],
                           epochs=2, verbose=0, random_state=0, optimizer="adam")
    ours, theirs = both(make, ([], []))
    ours.fit(x, y2), theirs.fit(x, y2)
    for a, b in [(ours.predict(x), theirs.predict(x))]:
        assert a.shape == b.shape and a.dtype == b.dtype
    assert sorted(ours.history_) == sorted(theirs.history_)
    for key in ("target_type_", "n_outputs_expected_", "y_ndim_", "n_features_in_"):
        assert getattr(ours, key) == getattr(theirs, key), key

    ids = np.array([2 ** 24, 2 ** 24 + 1, 2 ** 40 + 3], dtype=np.int64)
    ours, theirs = both(lambda w, lib, _: w.KerasClassifier(
        model=dense_model(lib), loss="sparse_categorical_crossentropy", epochs=1, verbose=0,
        random_state=0), ([], []))
    ours.fit(x, ids[y]), theirs.fit(x, ids[y])
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.dtype == theirs.classes_.dtype and ours.n_classes_ == theirs.n_classes_
    a, b = ours.predict(x), theirs.predict(x)
    assert a.shape == b.shape and a.dtype == b.dtype and set(a) <= set(ids)
    assert ours.predict_proba(x).shape == theirs.predict_proba(x).shape
