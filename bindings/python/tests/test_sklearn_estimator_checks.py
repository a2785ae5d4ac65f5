"""scikit-learn's `parametrize_with_checks` for every wrapper class: SciKeras's KerasClassifier
and KerasRegressor, Keras 3's SKLearnClassifier, SKLearnRegressor and SKLearnTransformer.

Each check is its own test. A check may be expected to fail only where SciKeras's own suite
(tests/test_scikit_learn_checks.py and its wrappers' `_xfail_checks`, SciKeras 0.13) or, for Keras
3's wrappers, Keras 3.15's (keras/src/wrappers/sklearn_test.py, EXPECTED_FAILED_CHECKS) expects
the same failure; each entry below names that suite's reason."""

import re

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras.wrappers import (KerasClassifier, KerasRegressor, SKLearnClassifier,
                                 SKLearnRegressor, SKLearnTransformer)

pytestmark = needs(*CORE, "keras_set_random_seed", "keras_estimator_describe")


def classifier_model(hidden=8, meta=None):
    return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(meta["n_classes_"], activation="softmax")])


def regressor_model(hidden=16, meta=None):
    return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(meta["n_outputs_"])])


def keras3_model(X, y, loss="categorical_crossentropy", act="softmax", learning_rate=0.001):
    """Keras 3's wrappers take no random_state: the model function seeds, so that two fits of
    one estimator start from the same weights and shuffle alike (as the checks assume)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Input((X.shape[1],)),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(y.shape[1] if y.ndim == 2 else 1,
                                                 activation=act)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    return model


# SciKeras's reasons, with the check names of scikit-learn 1.9.
_SAMPLE_WEIGHT_EQUIVALENCE = (
    "SciKeras skips check_sample_weights_invariance (now check_sample_weight_equivalence_*): "
    "minibatch training of a sample of weight 2 is not that sample twice")
_SAMPLE_ORDER = ("SciKeras skips check_methods_sample_order_invariance: float32 training does "
                 "not give bit-equal predictions for permuted samples")

_KERAS3_DECISION = ("Keras 3 expects check_classifiers_train ('decision_function can return both "
                    "probabilities and logits') and check_classifiers_classes to fail: its "
                    "decision_function is the model's outputs, one column per class")

EXPECTED_FAILURES = {
    "KerasClassifier": {
        "check_sample_weight_equivalence_on_dense_data": _SAMPLE_WEIGHT_EQUIVALENCE,
    },
    "KerasRegressor": {
        "check_sample_weight_equivalence_on_dense_data": _SAMPLE_WEIGHT_EQUIVALENCE,
    },
    "SKLearnClassifier": {
        # Keras's decision_function is the model's outputs, one column per class (scikit-learn
        # wants one score per sample for two classes).
        "check_classifiers_train": _KERAS3_DECISION,
        "check_classifiers_train(readonly_memmap=True)": _KERAS3_DECISION,
        "check_classifiers_train(readonly_memmap=True,X_dtype=float32)": _KERAS3_DECISION,
        "check_classifiers_classes": _KERAS3_DECISION,
    },
    "SKLearnRegressor": {},
    "SKLearnTransformer": {},
}

ESTIMATORS = [
    KerasClassifier(model=classifier_model, loss="sparse_categorical_crossentropy",
                    optimizer="adam", optimizer__learning_rate=0.05, epochs=5, batch_size=16,
                    verbose=0, random_state=0),
    KerasRegressor(model=regressor_model, loss="mse", optimizer="adam", epochs=100,
                   optimizer__learning_rate=0.02, verbose=0, random_state=0),
    SKLearnClassifier(keras3_model, model_kwargs={"learning_rate": 0.05},
                      fit_kwargs={"epochs": 5, "verbose": 0}),
    SKLearnRegressor(keras3_model, model_kwargs={"loss": "mse", "act": "linear"},
                     fit_kwargs={"epochs": 5, "verbose": 0}),
    SKLearnTransformer(keras3_model, model_kwargs={"loss": "mse", "act": "linear"},
                       fit_kwargs={"epochs": 5, "verbose": 0}),
]


def _stable_ids(checks):
    """scikit-learn's test ids without the model functions' addresses (`<function f at 0x…>`
    differs between processes, and pytest-xdist's workers must collect the same ids)."""
    mark = checks.mark
    ids = mark.kwargs["ids"]
    return pytest.mark.parametrize(*mark.args, ids=lambda obj: re.sub(r"at0x[0-9a-f]+", "", ids(obj)))


@_stable_ids(parametrize_with_checks(ESTIMATORS, expected_failed_checks=lambda est: EXPECTED_FAILURES[
    type(est).__name__]))
def test_sklearn_checks(estimator, check):
    check(estimator)


def keras3_suite_model(X, y, loss, out_activation_function="softmax", layers=(10,)):
    """Keras 3.15's sklearn_test.dynamic_model: an MLP, rmsprop, unseeded."""
    inp = keras.layers.Input(shape=(X.shape[1],))
    hidden = inp
    for size in layers:
        hidden = keras.layers.Dense(size, activation="relu")(hidden)
    out = keras.layers.Dense(y.shape[1] if len(y.shape) > 1 else 1, activation=out_activation_function)(hidden)
    model = keras.Model(inp, [out])
    model.compile(loss=loss, optimizer="rmsprop")
    return model


# Keras 3.15's sklearn_test.EXPECTED_FAILED_CHECKS for scikit-learn >= 1.6, with its reasons.
_UNSEEDED = "This test assumes reproducibility in fit."
KERAS3_SUITE_EXPECTED_FAILURES = {
    "SKLearnClassifier": {
        "check_classifiers_one_label_sample_weights": "0 sample weight is not ignored",
        "check_classifiers_classes": "with small test cases the estimator returns not all classes sometimes",
        "check_classifier_data_not_an_array": _UNSEEDED,
        "check_supervised_y_2d": _UNSEEDED,
        "check_fit_idempotent": _UNSEEDED,
        "check_classifiers_train": "decision_function can return both probabilities and logits",
        "check_classifiers_train(readonly_memmap=True)": "decision_function can return both probabilities and logits",
        "check_classifiers_train(readonly_memmap=True,X_dtype=float32)": "decision_function can return both "
                                                                          "probabilities and logits",
    },
    "SKLearnRegressor": {},
    "SKLearnTransformer": {},
}


@_stable_ids(parametrize_with_checks([
    SKLearnClassifier(keras3_suite_model, model_kwargs={"loss": "categorical_crossentropy", "layers": [20, 20, 20]},
                      fit_kwargs={"epochs": 5, "verbose": 0}),
    SKLearnRegressor(keras3_suite_model, model_kwargs={"loss": "mse"}, fit_kwargs={"verbose": 0}),
    SKLearnTransformer(keras3_suite_model, model_kwargs={"loss": "mse"}, fit_kwargs={"verbose": 0}),
], expected_failed_checks=lambda est: KERAS3_SUITE_EXPECTED_FAILURES[type(est).__name__]))
def test_keras3_suite_checks(estimator, check):
    """Keras 3.15's sklearn_test.test_sklearn_estimator_checks on ours: its estimators (its
    dynamic_model, fit_kwargs and model_kwargs; verbose 0 here) and its expected failures."""
    check(estimator)
