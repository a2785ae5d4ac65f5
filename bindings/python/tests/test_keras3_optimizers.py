"""Keras 3's added optimizers in Python (issue 18): names from the library's catalogue, training
step for step as real Keras, and optimizer state kept across `.keras` save and load."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

import swiftkeras as sk
from swiftkeras import _catalog

keras = real_keras()

pytestmark = [needs(*CORE, "keras_catalog_json")]

RS = np.random.RandomState(2)
X = RS.normal(size=(16, 3)).astype("float32")
Y = RS.normal(size=(16, 2)).astype("float32")
# Each makes the same optimizer from either library's `optimizers` module.
CASES = {
    "Adafactor": lambda o: o.Adafactor(learning_rate=0.1, weight_decay=0.01),
    "Ftrl": lambda o: o.Ftrl(learning_rate=0.2, l1_regularization_strength=0.01, beta=0.1),
    "Lamb": lambda o: o.Lamb(learning_rate=0.05, clipnorm=0.5),
    "Muon": lambda o: o.Muon(learning_rate=0.05, adam_lr_ratio=0.5),
    "ScheduleFreeAdamW": lambda o: o.ScheduleFreeAdamW(0.05, warmup_steps=2),
    "LossScaleOptimizer": lambda o: o.LossScaleOptimizer(o.Adam(0.05), dynamic_growth_steps=2),
    "Nadam": lambda o: o.Nadam(learning_rate=0.05),
    "MultiOptimizer": lambda o: o.MultiOptimizer(o.OptimizerMap(o.Adam(0.05), {".*kernel": o.SGD(0.1, momentum=0.9)})),
}


def _model(lib):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="tanh"), lib.layers.Dense(2)])


def test_names_come_from_the_catalogue():
    listed = [c for c, e in _catalog.catalog()["optimizers"].items() if not e.get("custom")]
    for name in ["Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW", "LossScaleOptimizer", "MultiOptimizer"]:
        assert name in listed and name in sk.optimizers.__all__
        assert sk.optimizers.get(name.lower()).__class__.__name__ == name
    assert sorted(n for n in sk.optimizers._NAMES) == sorted(listed)


@pytest.mark.parametrize("name", list(CASES))
def test_training_matches_keras_and_resumes_from_keras_file(name, tmp_path):
    keras.utils.set_random_seed(0)
    ref = _model(keras)
    ref.compile(CASES[name](keras.optimizers), "mse")
    ours = _model(sk)
    ours.compile(CASES[name](sk.optimizers), "mse")
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    ref.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    ours.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)
    # The file Keras writes carries its optimizer state: one more epoch from it equals Keras's.
    ref.save(tmp_path / "ref.keras")
    back = sk.models.load_model(str(tmp_path / "ref.keras"))
    ref.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    back.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(back.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)
