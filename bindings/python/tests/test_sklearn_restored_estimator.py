"""Estimators whose library estimator is rebuilt around their model from its metadata
(keras_estimator_restore): an unpickled or deep-copied KerasClassifier / KerasRegressor and a
native search's refit (best_estimator_) predict, score, partial_fit and warm-start through a
handle of their own, exactly as the estimator that was fitted (values, dtypes, classes_,
history_). And predictions through the handle with predict arguments (batch_size,
predict__batch_size, verbose: Keras's progress bar as model.predict prints it) and Ctrl-C."""

import copy
import os
import pickle
import re
import signal
import threading

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_regression

from conftest import CORE, needs
from test_sklearn_estimator_handle import (counted, dense_model, fit_calls, iris, predict_calls,
                                           reg_model, same_decoding, same_output,
                                           through_model_fit)

from swiftkeras.wrappers import KerasClassifier, KerasRegressor

pytestmark = needs(*CORE, "keras_estimator_restore")


def copies(est):
    return [pickle.loads(pickle.dumps(est)), copy.deepcopy(est)]


def same_weights(a, b):
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def fitted_cases():
    X, y = iris()
    float_labels = np.array([-3.0, 5.0, 40.0])[y]            # float64 classes_
    text = np.array(["setosa", "versicolor", "virginica"])[y]
    onehot = np.eye(3)[y]
    Xr, yr = make_regression(n_samples=90, n_features=5, noise=0.1, random_state=0)
    yr2 = np.column_stack([yr, -yr]) / 100
    clf = lambda **kw: KerasClassifier(dense_model, optimizer="adam", epochs=2, verbose=0,
                                       random_state=7, shuffle=False, **kw)
    reg = lambda: KerasRegressor(reg_model, optimizer="adam", epochs=2, verbose=0,
                                 random_state=7, shuffle=False)
    return [(clf, X, float_labels), (clf, X, text), (lambda: clf(loss="categorical_crossentropy"),
                                                    X, onehot),
            (reg, Xr, yr2), (reg, Xr, (yr / 100).astype(np.float32))]


@pytest.mark.parametrize("case", range(5))
def test_copies_predict_and_train_through_a_restored_estimator(monkeypatch, case):
    """A pickled or deep-copied fitted estimator gets its own library estimator, rebuilt around
    its unpickled model_ from the original's metadata: it predicts, predicts probabilities and
    scores through it what the original does; partial_fit and a warm-started fit continue on it
    (keras_estimator_fit_arrays) exactly as on the original (the model's pickle holds its
    optimizer's state) and as the oracle's model_.fit continues a copy, history_ extended from
    the original's."""
    make, X, y = fitted_cases()[case]
    est = make().fit(X, y)
    restores = counted(monkeypatch, "keras_estimator_restore")
    others = copies(est)
    assert len(restores) == 2
    for other in others:
        mine, theirs = est._library_estimator, other._library_estimator
        assert theirs.handle != mine.handle and theirs.model is other.model_
        assert other.history_ == est.history_
        for key in ("classes_", "n_classes_", "n_outputs_", "target_type_", "X_shape_"):
            if hasattr(est, key):
                same_output(np.asarray(getattr(other, key)), np.asarray(getattr(est, key)))
        same_decoding(monkeypatch, other, est, X, y)
    oracle = pickle.loads(pickle.dumps(est))
    fits = fit_calls(monkeypatch, partial=None)
    for e in [est] + others:
        e.partial_fit(X, y)
    with monkeypatch.context() as m:  # trains and decodes through model_ and the Python encoders
        through_model_fit(m)
        oracle.partial_fit(X, y)
    assert len(fits) == 3
    for e in [est] + others:
        e.set_params(warm_start=True).fit(X, y, epochs=2)
    with monkeypatch.context() as m:
        through_model_fit(m)
        oracle.set_params(warm_start=True).fit(X, y, epochs=2)
        theirs = oracle.predict(X)
    assert len(fits) == 6
    for other in others + [oracle]:
        same_weights(other, est)
        assert other.history_ == est.history_ and len(other.history_["loss"]) == 2
    for other in others:
        same_decoding(monkeypatch, other, est, X, y)
    same_output(theirs, est.predict(X))


def test_a_copy_of_a_copy_and_of_an_unfitted_estimator(monkeypatch):
    X, y = iris()
    est = KerasClassifier(dense_model, optimizer="adam", epochs=1, verbose=0, random_state=1)
    unfitted = pickle.loads(pickle.dumps(est))
    assert "_library_estimator" not in vars(unfitted)
    est.fit(X, y)
    twice = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(est))))
    same_decoding(monkeypatch, twice, est, X, y)


def test_bad_metadata_is_named(monkeypatch):
    """A pickle whose library metadata was damaged fails to load with the field named."""
    X, y = iris()
    est = KerasClassifier(dense_model, optimizer="adam", epochs=1, verbose=0,
                          random_state=1).fit(X, y)
    state = est.__getstate__()
    metadata, params = state["_library_state"]
    broken = KerasClassifier.__new__(KerasClassifier)
    with pytest.raises(ValueError, match="field 'target_encoding' is missing"):
        broken.__setstate__(dict(state, _library_state=(
            {k: v for k, v in metadata.items() if k != "target_encoding"}, params)))
    with pytest.raises(ValueError, match="classes_ must be sorted and distinct"):
        broken.__setstate__(dict(state, _library_state=(
            dict(metadata, classes_=["2", "1", "0"]), params)))


@needs("keras_grid_search_new", "keras_estimator_model", "keras_search_best_estimator")
@pytest.mark.parametrize("labels", ["numbers", "text"])
def test_search_refit_predicts_and_trains_through_a_restored_estimator(monkeypatch, labels):
    """best_estimator_ of a native search that refits in the library takes the refit's model
    (weights and optimizer variables) and a library estimator rebuilt from the refit's
    metadata, with y's own classes (the search trained on their codes): its predictions,
    probabilities and scores equal those that model_.predict and the Python encoders give, and
    partial_fit continues it in the library as the refit's own estimator would."""
    from swiftkeras.model_selection import GridSearchCV
    X, y = iris()
    if labels == "text":
        y = np.array(["setosa", "versicolor", "virginica"])[y]
    est = KerasClassifier(dense_model, optimizer="adam", verbose=0, random_state=0)
    restores = counted(monkeypatch, "keras_estimator_restore")
    search = GridSearchCV(est, {"epochs": [3, 6]}, cv=3).fit(X, y)
    best = search.best_estimator_
    assert len(restores) == 1 and best._library_estimator.model is best.model_
    python = copy.copy(best)   # the same model_, decoded in Python
    del python._library_estimator
    same_decoding(monkeypatch, best, python, X, y)
    assert list(best.classes_) == list(np.unique(y))
    partials = fit_calls(monkeypatch, partial=True)
    best.partial_fit(X, y)
    assert len(partials) == 1
    assert len(best.history_["loss"]) == search.best_params_["epochs"] + 1
    # The refit's optimizer variables came with its weights: training on continues as a copy
    # holding both does (a pickle), not as the same weights with a fresh optimizer.
    twin = pickle.loads(pickle.dumps(best.set_params(shuffle=False)))
    weights_only = clone(best).initialize(X, y)
    weights_only.model_.set_weights(best.model_.get_weights())
    for e in (best, twin, weights_only):
        e.partial_fit(X, y)
    same_weights(twin, best)
    assert not all(np.array_equal(a, b) for a, b in zip(best.model_.get_weights(),
                                                         weights_only.model_.get_weights()))


def progress(text):
    """Keras's predict progress lines without their timings."""
    return [re.sub(r"\d+(\.\d+)?(ms|s|us)(/step)?", "T", line)
            for line in text.replace("\r", "\n").splitlines() if line.strip()]


def test_predict_arguments_and_verbose_go_through_the_handle(monkeypatch, capfd):
    """batch_size (also -1), predict__batch_size and verbose predict through the library
    estimator (options given with each call) what model_.predict and the Python encoders give;
    verbose prints Keras's progress bar as model_.predict prints it."""
    X, y = iris()
    est = KerasClassifier(dense_model, optimizer="adam", epochs=2, verbose=0,
                          random_state=3).fit(X, y)
    python = copy.copy(est)
    del python._library_estimator

    def oracle(call, **kwargs):
        with monkeypatch.context() as m:
            through_model_fit(m)
            return getattr(python, call)(X, **kwargs)
    predicts = predict_calls(monkeypatch)
    count = lambda: len(predicts["predict"]) + len(predicts["predict_proba"])
    for kwargs in ({"batch_size": 7}, {"batch_size": -1}, {"verbose": 0}):
        same_output(est.predict(X, **kwargs), oracle("predict", **kwargs))
        same_output(est.predict_proba(X, **kwargs), oracle("predict_proba", **kwargs))
    assert count() == 6
    assert [o["batch_size"] for _, o in predicts["predict"]] == [7, -1, None]
    routed = clone(est).set_params(predict__batch_size=16)
    routed.fit(X, y)
    same_output(routed.predict(X), est.predict(X, batch_size=16))
    assert predicts["predict"][-1][1]["batch_size"] == 16
    capfd.readouterr()
    est.set_params(verbose=1)
    python.set_params(verbose=1)
    for call in ("predict", "predict_proba"):
        ours = getattr(est, call)(X)
        printed = progress(capfd.readouterr().out)
        theirs = oracle(call)
        same_output(ours, theirs)
        assert printed == progress(capfd.readouterr().out) and printed
        assert re.fullmatch(r"5/5 ━+ T T", printed[-1]), printed
    assert count() == 10
    with pytest.raises(ValueError, match="verbose must be 0, 1, 2"):
        est.set_params(verbose=0, predict__verbose=3).predict(X)


@needs("keras_interrupt")
def test_ctrl_c_stops_a_long_predict_on_the_handle(monkeypatch):
    """SIGINT during a long predict (more rows than model.predict's threshold) through the
    library estimator stops it after the current batch (the library's KeyboardInterrupt, not
    Python's after the call); the estimator predicts again afterwards and Python's handler is
    back."""
    X, y = iris()
    # Wide enough that the whole predict takes seconds (with 8 units it took 0.39 s on a quiet
    # machine, and finished before the signal at 0.3 s could land in it).
    est = KerasClassifier(dense_model, model__hidden=2048, optimizer="adam", epochs=1, verbose=0,
                          random_state=3).fit(X, y)
    big = np.repeat(X, 4000, axis=0)   # 600,000 rows, one per batch
    predicts = counted(monkeypatch, "keras_estimator_predict_arrays")
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt, match="interrupted"):
            est.predict(big, batch_size=1)
    finally:
        timer.cancel()
    assert len(predicts) == 1 and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert est.predict(X).shape == (150,)


def test_threads_predicting_with_their_own_options_never_mix_them():
    """Two threads predicting on one estimator, each with its own batch_size and predict
    callbacks: each call runs in its own batches (its options go with the call, not through the
    estimator's parameters), and both get the single-threaded predictions."""
    import swiftkeras as keras
    X, y = iris()
    est = KerasClassifier(dense_model, optimizer="adam", epochs=1, verbose=0,
                          random_state=3).fit(X, y)
    expected = est.predict_proba(X)

    class Batches(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.count = 0

        def on_predict_batch_end(self, batch, logs=None):
            self.count += 1
    failures = []

    def run(batch_size, batches):
        for _ in range(15):
            counter = Batches()
            proba = est.predict_proba(X, batch_size=batch_size, callbacks=[counter])
            if counter.count != batches or not np.allclose(proba, expected, atol=1e-6):
                failures.append((batch_size, counter.count))
    threads = [threading.Thread(target=run, args=(7, 22)),
               threading.Thread(target=run, args=(50, 3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
