"""`model.optimizer.variables` of a compiled model, read through keras_model_optimizer_variables
(the library's list in Keras's order, with the weight each slot belongs to), compared with real
Keras's after the same fit; and `optimizer.stateless_apply` after fit, whose library optimizer
is made once per model and optimizer config and made again when either changes."""

import re

import conftest
import numpy as np
import pytest

import swiftkeras as sk
from swiftkeras import _lib
from swiftkeras._native import take_layout_and_values

pytestmark = conftest.needs("keras_model_optimizer_variables")

_OPTIMIZERS = [("Adam", {"learning_rate": 0.01}),
               ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
               ("Adafactor", {"learning_rate": 0.05})]


def _fit(lib, optimizer, weights=None, units=(4, 2)):
    """A small model (a bias of rank 1: Adafactor's unfactored slots) fit two epochs from the
    same drawn weights in either library."""
    lib.backend.clear_session()
    rows = np.random.RandomState(0)
    x, y = rows.rand(16, 3).astype("float32"), rows.rand(16, units[-1]).astype("float32")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(units[0], activation="tanh"),
                            lib.layers.Dense(units[1])])
    drawn = np.random.default_rng(4)
    model.set_weights(weights or [drawn.normal(scale=0.5, size=np.shape(w)).astype("float32")
                                  for w in model.get_weights()])
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    return model


def _unnumbered(path):
    # (an automatic optimizer name, `adam_3`, is numbered per process by each library)
    return re.sub(r"^([a-z_]+?)(_\d+)?/", r"\1/", path)


@pytest.mark.parametrize("name,kwargs", _OPTIMIZERS)
def test_compiled_optimizer_variables_match_keras(name, kwargs):
    """Paths, dtypes and values of `optimizer.variables` after the same fit, as Keras's."""
    K = conftest.real_keras()
    ref = _fit(K, getattr(K.optimizers, name)(**kwargs))
    ours = _fit(sk, getattr(sk.optimizers, name)(**kwargs))
    got, want = ours.optimizer.variables, ref.optimizer.variables
    assert [_unnumbered(v.path) for v in got] == [_unnumbered(v.path) for v in want]
    for mine, theirs in zip(got, want):
        mine, theirs_value = np.asarray(mine.numpy()), np.asarray(theirs)
        assert mine.dtype == theirs_value.dtype and mine.shape == theirs_value.shape, theirs.path
        np.testing.assert_allclose(mine, theirs_value, rtol=1e-4, atol=1e-6, err_msg=theirs.path)


def test_model_optimizer_variables_name_their_weights():
    """The C call gives each slot the index and path of the model weight it belongs to (its
    shape the weight's), the optimizer's own variables none; the float values lie one after
    the other in its buffer (each entry's offset), the exact int32 step count in the layout;
    `optimizer.variables` returns those values."""
    ours = _fit(sk, sk.optimizers.Adam(learning_rate=0.01))
    entries, values = take_layout_and_values(_lib.keras_model_optimizer_variables, ours._handle,
                                             np.float32)
    paths = [w.path for w in ours.weights]
    assert [e["owner"] for e in entries] == [None, None, 0, 0, 1, 1, 2, 2, 3, 3]
    for e in entries[2:]:
        assert e["owner_path"] == paths[e["owner"]]
        assert tuple(e["shape"]) == tuple(ours.weights[e["owner"]].shape)
        assert e["path"].endswith(paths[e["owner"]].replace("/", "_") + "_" +
                                  ("momentum" if e["path"].endswith("momentum") else "velocity"))
    assert entries[0]["dtype"] == "int32" and entries[0]["value"] == 4 and "offset" not in entries[0]
    at = 0
    for e in entries[1:]:
        assert e["dtype"] == "float32" and e["offset"] == at and "value" not in e
        at += int(np.prod(e["shape"]))
    assert at == values.size
    assert values[0] == np.float32(0.01)   # the learning rate
    for e, v in zip(entries, ours.optimizer.variables):
        assert e["path"] == v.path
        want = e["value"] if "offset" not in e else \
            values[e["offset"]:e["offset"] + int(np.prod(e["shape"]))]
        np.testing.assert_array_equal(np.asarray(want).reshape(e["shape"]), v.numpy())


def test_stateless_apply_follows_the_model_it_is_compiled_into():
    """An optimizer compiled into a second model of other shapes: stateless_apply steps the new
    model's variables, as a fresh optimizer of the same config does (nothing kept from the
    first model's steps); repeated calls from the same values give the same results."""
    optimizer = sk.optimizers.Adam(learning_rate=0.01)
    first = _fit(sk, optimizer)
    state = [v.numpy() for v in optimizer.variables]
    weights = [np.asarray(w.numpy()) for w in first.trainable_variables]
    grads = [np.full(w.shape, 0.1, "float32") for w in weights]
    once = optimizer.stateless_apply(state, grads, weights)
    again = optimizer.stateless_apply(state, grads, weights)
    for a, b in zip(once[0] + once[1], again[0] + again[1]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))

    second = _fit(sk, optimizer, units=(5, 3))
    fresh_optimizer = sk.optimizers.Adam(learning_rate=0.01)
    fresh = _fit(sk, fresh_optimizer, weights=second.get_weights(), units=(5, 3))
    state = [v.numpy() for v in fresh_optimizer.variables]
    weights = [np.asarray(w.numpy()) for w in fresh.trainable_variables]
    grads = [np.full(w.shape, -0.2, "float32") for w in weights]
    got = optimizer.stateless_apply(state, grads, weights)
    want = fresh_optimizer.stateless_apply(state, grads, weights)
    assert [np.shape(v) for v in got[0]] == [(3, 5), (5,), (5, 3), (3,)]
    for a, b in zip(got[0] + got[1], want[0] + want[1]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(ValueError, match="expected 10 variables"):
        optimizer.stateless_apply(state[:-1], grads, weights)


def test_optimizer_variables_are_the_optimizers_own_objects():
    """Keras's optimizer holds its Variables: `optimizer.variables` gives the same objects at
    each access, `iterations` and `learning_rate` the first two, kept from before the fit that
    builds the slots; `assign` through any of them changes the optimizer's state. The step
    count, the rate and a first-moment slot assigned, one more epoch gives Keras's weights and
    optimizer variables after the same assignments."""
    K = conftest.real_keras()
    results = {}
    for lib in (K, sk):
        optimizer = lib.optimizers.Adam(learning_rate=0.01)
        before = optimizer.variables
        model = _fit(lib, optimizer)
        listed = optimizer.variables
        assert listed[0] is optimizer.variables[0] is optimizer.iterations is before[0], lib.__name__
        assert listed[1] is optimizer.learning_rate is before[1], lib.__name__
        assert all(a is b for a, b in zip(listed, optimizer.variables)), lib.__name__
        listed[0].assign(40)
        listed[1].assign(0.02)
        listed[2].assign(np.full(listed[2].shape, 0.25, "float32"))
        assert int(optimizer.iterations.numpy()) == 40 and float(optimizer.learning_rate) == np.float32(0.02)
        np.testing.assert_array_equal(np.asarray(optimizer.variables[2].numpy()), 0.25)
        rows = np.random.RandomState(1)
        model.fit(rows.rand(8, 3).astype("float32"), rows.rand(8, 2).astype("float32"),
                  epochs=1, batch_size=8, verbose=0, shuffle=False)
        results[lib] = ([np.asarray(w) for w in model.get_weights()],
                        [np.asarray(v.numpy()) for v in optimizer.variables])
    for mine, theirs in zip(results[sk][0] + results[sk][1], results[K][0] + results[K][1]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)
    assert int(results[sk][1][0]) == 41
