"""scikit-learn estimators around swiftkeras models: SciKeras 0.13's `KerasClassifier`,
`KerasRegressor` and `BaseWrapper`, and Keras 3's `SKLearnClassifier`, `SKLearnRegressor`,
`SKLearnTransformer` (keras.wrappers).

    def get_model(hidden=8, meta=None):
        return keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
                                 keras.layers.Dense(meta["n_classes_"], activation="softmax")])

    clf = KerasClassifier(model=get_model, loss="sparse_categorical_crossentropy",
                          optimizer="adam", optimizer__learning_rate=0.01, epochs=50, verbose=0)
    GridSearchCV(clf, {"model__hidden": [4, 8]}, cv=3).fit(X, y)

Parameters come from __init__ and nothing is computed there; everything learned ends in an
underscore (model_, classes_, n_features_in_, X_shape_, history_, ...), and the model function's
`meta` holds those known before the model exists, as SciKeras gives them. Routed parameters
follow SciKeras: `model__x` goes to the model function, `optimizer__x` / `loss__x` /
`metrics__x` / `callbacks__x` to those objects, `fit__x` / `predict__x` / `compile__x` /
`score__x` to those calls. They are kept apart from the constructor's named parameters (so
scikit-learn's `check_no_attributes_set_in_init` holds) and read back as attributes.
`target_encoder` / `feature_encoder` are properties a subclass overrides; `_keras_build_fn` a
method a subclass may define instead of passing `model`. Estimators pickle by value.
"""

from ._sk_base import BaseWrapper
from ._sk_estimators import KerasClassifier, KerasRegressor
from ._sk_keras3 import SKLBase, SKLearnClassifier, SKLearnRegressor, SKLearnTransformer
from ._sk_utils import ClassifierLabelEncoder, RegressorTargetEncoder

# Pickles and reprs name the public module.
for _cls in (BaseWrapper, KerasClassifier, KerasRegressor, SKLBase, SKLearnClassifier,
             SKLearnRegressor, SKLearnTransformer):
    _cls.__module__ = __name__

__all__ = ["KerasClassifier", "KerasRegressor", "BaseWrapper", "SKLearnClassifier",
           "SKLearnRegressor", "SKLearnTransformer", "ClassifierLabelEncoder",
           "RegressorTargetEncoder"]
