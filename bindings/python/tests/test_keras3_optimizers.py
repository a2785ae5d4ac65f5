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


def _fitted_pair(optimizer, x):
    """Keras's model and ours from the same weights, compiled with `optimizer(library)` and fit
    two epochs on `x`: their weights equal (1e-5)."""
    keras.utils.set_random_seed(0)
    ref = _model(keras)
    ref.compile(optimizer(keras), "mse")
    ours = _model(sk)
    ours.compile(optimizer(sk), "mse")
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    ref.fit(x, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    ours.fit(x, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)
    return ref, ours


def test_names_come_from_the_catalogue():
    listed = [c for c, e in _catalog.catalog()["optimizers"].items() if not e.get("custom")]
    for name in ["Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW", "LossScaleOptimizer", "MultiOptimizer"]:
        assert name in listed and name in sk.optimizers.__all__
        if name != "LossScaleOptimizer":   # it needs its inner optimizer, in Keras too
            assert sk.optimizers.get(name.lower()).__class__.__name__ == name
    assert sorted(n for n in sk.optimizers._NAMES) == sorted(listed)


@pytest.mark.parametrize("name", list(CASES))
def test_training_matches_keras_and_resumes_from_keras_file(name, tmp_path):
    ref, ours = _fitted_pair(lambda lib: CASES[name](lib.optimizers), X)
    # The file Keras writes carries its optimizer state: one more epoch from it equals Keras's.
    ref.save(tmp_path / "ref.keras")
    back = sk.models.load_model(str(tmp_path / "ref.keras"))
    ref.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    back.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(back.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


def _lso(lib, **kwargs):
    return lib.mixed_precision.LossScaleOptimizer(lib.optimizers.SGD(0.1, momentum=0.5), **kwargs)


def _saved_optimizer_variables(path):
    """The optimizer variables a .keras file holds, in order: (value, dtype) of each."""
    import h5py
    import zipfile
    with zipfile.ZipFile(path) as z, z.open("model.weights.h5") as f, h5py.File(f, "r") as h5:
        group = h5["optimizer"]["vars"]
        return [(np.asarray(group[str(i)]).tolist(), str(group[str(i)].dtype))
                for i in range(len(group))]


def test_loss_scale_optimizer_config_and_arguments_match_keras():
    assert sk.mixed_precision.LossScaleOptimizer is sk.optimizers.LossScaleOptimizer
    for kwargs in ({}, {"initial_scale": 8.0, "dynamic_growth_steps": 3, "name": "lso"}):
        ours, ref = _lso(sk, **kwargs).get_config(), _lso(keras, **kwargs).get_config()
        if not kwargs:
            assert ours["name"].startswith("loss_scale_optimizer")
            ours["name"] = ref["name"] = None
        assert {k: v for k, v in ours.items() if k != "inner_optimizer"} == \
            {k: v for k, v in ref.items() if k != "inner_optimizer"}
        # The inner optimizer: the same object in either library's form.
        inner = keras.optimizers.deserialize(ours["inner_optimizer"]).get_config()
        assert inner == {**ref["inner_optimizer"]["config"], "name": inner["name"]}
        theirs = _lso(keras, **kwargs)
        back = sk.optimizers.deserialize(keras.optimizers.serialize(theirs))
        assert type(back) is sk.optimizers.LossScaleOptimizer
        assert {k: v for k, v in back.get_config().items() if k != "inner_optimizer"} == \
            {k: v for k, v in theirs.get_config().items() if k != "inner_optimizer"}
    for bad in ({"dynamic": False}, {"clipnorm": 1.0}, {"foo": 1}):
        with pytest.raises(ValueError) as ours:
            _lso(sk, **bad)
        with pytest.raises(ValueError) as ref:
            _lso(keras, **bad)
        assert str(ours.value) == str(ref.value)
    _lso(sk, use_ema=False, clipnorm=None)   # an older config's defaults are accepted


@pytest.mark.parametrize("growth", [1, 3])
def test_loss_scale_optimizer_state_saved_as_keras_both_ways(growth, tmp_path):
    """A fit whose gradients overflow once (the scale halves, the step is skipped) and grow
    again: the weights, and the saved state (step_counter, dynamic_scale, then SGD's) equal
    Keras's; each library's file resumes in the other as Keras resumes its own."""
    x = X.copy()
    x[5, 0] = 3e38   # one batch whose scaled loss overflows
    ref, ours = _fitted_pair(lambda lib: _lso(lib, initial_scale=4.0, dynamic_growth_steps=growth), x)
    ref.save(tmp_path / "ref.keras")
    ours.save(tmp_path / "ours.keras")
    saved_ref, saved_ours = (_saved_optimizer_variables(tmp_path / f) for f in ("ref.keras", "ours.keras"))
    assert [d for _, d in saved_ours] == [d for _, d in saved_ref]
    np.testing.assert_allclose(np.concatenate([np.ravel(v) for v, _ in saved_ours]),
                               np.concatenate([np.ravel(v) for v, _ in saved_ref]), atol=1e-5)
    scale = saved_ref[3][0]
    assert scale != 4.0   # the overflow halved it (and growth may have doubled it since)
    # Each file resumes in the other library: one more epoch equals Keras resuming its own.
    theirs_of_ours = keras.models.load_model(tmp_path / "ours.keras")
    ours_of_theirs = sk.models.load_model(str(tmp_path / "ref.keras"))
    assert type(theirs_of_ours.optimizer).__name__ == type(ours_of_theirs.optimizer).__name__ == \
        "LossScaleOptimizer"
    ref.fit(x, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for resumed in (theirs_of_ours, ours_of_theirs):
        resumed.fit(x, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        for a, b in zip(resumed.get_weights(), ref.get_weights()):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)
