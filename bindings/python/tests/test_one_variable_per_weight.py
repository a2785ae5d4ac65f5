"""One Variable object per weight wherever it is listed, as in Keras: `model.weights[i] is
dense.kernel`, the same objects in `model.weights`, `trainable_weights`, `variables`, a layer's
`weights` and weight attributes reached through `model.layers`, `get_layer` or the layer object
itself, a nested model's listings and its outer model's, the two models sharing a layer, a
Python layer's add_weight objects and a subclassed model's layers'. A value assigned through
any of them is the model's (its weights and its outputs). The library numbers each variable
(keras_model_weight_ids) and the binding keeps one object per number, weakly: a model dropped
leaves none behind. Each case's pattern of identities, and the weights and outputs after
assigning through every listing, against real Keras."""

import gc
import weakref

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402
from swiftkeras import _variables  # noqa: E402

pytestmark = needs(*CORE, "keras_model_weight_ids")

X = np.linspace(-1, 1, 12, dtype="float32").reshape(3, 4)


def _dense(lib):
    inputs = lib.Input((4,))
    d1, d2 = lib.layers.Dense(3, name="d1"), lib.layers.Dense(2, name="d2")
    model = lib.Model(inputs, d2(d1(inputs)))
    return model, lambda: [model.weights, model.trainable_weights, model.variables, model.layers[1].weights,
                           [model.get_layer("d1").kernel, model.get_layer("d2").bias], d1.weights,
                           [d1.kernel, d1.bias, d2.kernel, d2.bias]]


def _nested(lib):
    x = lib.Input((4,))
    d = lib.layers.Dense(3, name="d")
    inner = lib.Model(x, d(x), name="inner")
    inputs = lib.Input((4,))
    model = lib.Model(inputs, lib.layers.Dense(2, name="head")(inner(inputs)))
    return model, lambda: [model.weights, inner.weights, model.get_layer("inner").weights,
                           [model.get_layer("inner").get_layer("d").kernel, d.kernel, d.bias],
                           model.trainable_variables, inner.trainable_weights]


def _shared(lib):
    d = lib.layers.Dense(3, name="shared")
    a, b = lib.Input((4,)), lib.Input((4,))
    first = lib.Model(a, d(a))
    model = lib.Model(b, lib.layers.Dense(2, name="head")(d(b)))
    return model, lambda: [model.weights, first.weights, d.weights,
                           [model.get_layer("shared").kernel, first.get_layer("shared").bias]]


def _python_layer(lib):
    class Scale(lib.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
            self.b = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="b")

        def call(self, x):
            return x * self.w + self.b

    layer = Scale(name="scale")
    inputs = lib.Input((4,))
    model = lib.Model(inputs, lib.layers.Dense(2, name="head")(layer(inputs)))
    return model, lambda: [model.weights, layer.weights, [layer.w, layer.b],
                           [model.get_layer("scale").w], model.get_layer("scale").weights]


def _subclassed(lib):
    class TwoDense(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = lib.layers.Dense(3, name="d1")
            self.d2 = lib.layers.Dense(2, name="d2")

        def call(self, x):
            return self.d2(self.d1(x))

    model = TwoDense(name="two")
    model(X)
    return model, lambda: [model.weights, model.trainable_weights, model.d1.weights,
                           [model.d1.kernel, model.d2.bias], [model.layers[1].kernel]]


CASES = {"dense": _dense, "nested": _nested, "shared": _shared, "python_layer": _python_layer,
         "subclassed": _subclassed}


def _run(lib, case):
    """The case's listings as indices of `model.weights` (by identity; -1: an object not
    there), then each listing's variables assigned in turn (later listings overwrite earlier
    ones), the model's weights and outputs after."""
    lib.utils.set_random_seed(0)
    model, listings = CASES[case](lib)
    found = listings()
    canonical = found[0]
    pattern = [[next((i for i, c in enumerate(canonical) if c is v), -1) for v in listing]
               for listing in found]
    again = [[a is b for a, b in zip(one, two)] for one, two in zip(found, listings())]
    for n, listing in enumerate(found):
        for k, v in enumerate(listing):
            v.assign(np.full(v.shape, 0.1 * (n + 1) - 0.05 * k, "float32"))
    return {"pattern": pattern, "again": again, "weights": model.get_weights(),
            "outputs": np.asarray(model(X)), "seen": [[v.numpy() for v in listing] for listing in found]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_variable_object_per_weight_as_keras(case):
    ours, ref = _run(sk, case), _run(keras, case)
    assert ours["pattern"] == ref["pattern"]
    assert all(-1 not in listing for listing in ref["pattern"])
    assert ours["again"] == ref["again"] and all(all(row) for row in ref["again"])
    for got, want in zip(ours["weights"], ref["weights"]):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(ours["outputs"], ref["outputs"], rtol=1e-5, atol=1e-6)
    for got_listing, want_listing in zip(ours["seen"], ref["seen"]):   # every alias reads the last
        for got, want in zip(got_listing, want_listing):
            np.testing.assert_array_equal(got, want)


def test_variables_of_a_dropped_model_are_released():
    """The one-object-per-variable table holds its Variables weakly: a model, its layers and
    the Variables listed through all of them are collected once the user drops them."""
    model, listings = _nested(sk)
    found = listings()
    ids = {v._id for listing in found for v in listing}
    assert len(ids) == len(model.weights) and None not in ids
    assert all(_variables._BY_ID.get(i) is not None for i in ids)
    gone = weakref.ref(model)
    del model, listings, found
    gc.collect()
    assert gone() is None
    assert not any(i in _variables._BY_ID for i in ids)
