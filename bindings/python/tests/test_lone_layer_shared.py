"""A layer built by a call outside any model (`d = Dense(3); y = d(keras.Input((4,)))`) and the
model made of it later hold the same variables, as in Keras: the model's layer's variables are
the lone layer's objects (`model.layers[1].kernel is d.kernel`), a variable read from the layer
before the model existed and assigned after changes the model's predictions, and a fit of the
model moves the layer's weights; the library's model holds the layer built alone itself (its
private call is none of the layer's nodes: the summary's connections are Keras's). Each case
against real Keras: Dense, a layer called twice, a Python subclass layer, LSTM (also on its
initial states), MultiHeadAttention."""

import re

import numpy as np
import pytest

from conftest import CORE, needs, real_keras
from test_lone_layer_built import _scaled

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_from_json_sharing_layers")


def _dense(k):
    layer, inputs = k.layers.Dense(3, name="lone"), k.Input((4,))
    return layer, inputs, layer(inputs), (5, 4)


def _twice(k):
    layer, inputs = k.layers.Dense(4, name="twice"), k.Input((4,))
    return layer, inputs, layer(layer(inputs)), (5, 4)


def _python(k):
    layer, inputs = _scaled(k), k.Input((3,))
    return layer, inputs, layer(inputs), (5, 3)


def _lstm(k):
    layer, inputs = k.layers.LSTM(3, name="lstm"), k.Input((5, 2))
    return layer, inputs, layer(inputs), (4, 5, 2)


def _lstm_initial_state(k):
    inputs, h, c = k.Input((5, 2)), k.Input((3,)), k.Input((3,))
    layer = k.layers.LSTM(3, name="decoder")
    return layer, [inputs, h, c], layer(inputs, initial_state=[h, c]), [(4, 5, 2), (4, 3), (4, 3)]


def _attention(k):
    layer, inputs = k.layers.MultiHeadAttention(2, 4, name="mha"), k.Input((5, 8))
    return layer, inputs, layer(inputs, inputs), (2, 5, 8)


CASES = {"dense": _dense, "twice": _twice, "python": _python, "lstm": _lstm,
         "lstm_initial_state": _lstm_initial_state, "attention": _attention}


def _arrays(shapes, seed):
    rs = np.random.RandomState(seed)
    if isinstance(shapes, list):
        return [rs.normal(size=s).astype("float32") for s in shapes]
    return rs.normal(size=shapes).astype("float32")


def _run(k, case):
    """The case's lone layer, its variables read before the model, then the model made of it:
    values assigned through the early variables, one of them zeroed, one SGD step."""
    layer, inputs, outputs, shapes = CASES[case](k)
    early = list(layer.weights)   # (built by its call: Keras's variables exist now)
    model = k.Model(inputs, outputs)
    held = next(each for each in model.layers if each.name == layer.name)
    same = [a is b for a, b in zip(held.weights, layer.weights)]
    rs = np.random.RandomState(3)
    for v in early:
        v.assign(rs.normal(scale=0.5, size=v.shape).astype("float32"))
    x = _arrays(shapes, 1)
    assigned = model.predict(x, verbose=0)
    early[0].assign(np.zeros(early[0].shape, "float32"))
    zeroed = model.predict(x, verbose=0)
    model.compile(k.optimizers.SGD(0.1), "mse")
    model.fit(x, np.ones_like(assigned), batch_size=len(assigned), epochs=1, verbose=0)
    return {"same": same, "assigned": assigned, "zeroed": zeroed, "fitted": layer.get_weights(),
            "early": [v.numpy() for v in early], "paths": [v.path for v in model.weights]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_model_made_later_holds_the_lone_layers_variables_as_keras(case):
    ref, ours = _run(keras, case), _run(sk, case)
    assert ours["same"] == ref["same"] and all(ref["same"])
    assert ours["paths"] == ref["paths"]
    np.testing.assert_allclose(ours["assigned"], ref["assigned"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours["zeroed"], ref["zeroed"], rtol=1e-4, atol=1e-5)
    assert not np.allclose(ours["zeroed"], ours["assigned"])
    for got, want in zip(ours["fitted"], ref["fitted"]):   # the model's fit moved the layer's
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    for got, want in zip(ours["early"], ours["fitted"]):   # and the variables read before
        np.testing.assert_array_equal(got, want)


def _histories(config):
    return re.findall(r"'keras_history': \[([^]]*)\]", str(config))


def test_weightless_lone_layer_is_node_zero_of_the_model_made_later_as_keras():
    """An Add built by its lone call: the model made of it later calls it as its node 0 (the
    private call that built it is none of its nodes), so its config and summary connect as
    Keras's (whose summary, cut to its console's width here, is not compared)."""
    def made(k):
        a, b = k.Input((3,), name="a"), k.Input((3,), name="b")
        add = k.layers.Add(name="add")
        out = add([a, b])
        add.get_weights()
        return k.Model([a, b], k.layers.Dense(2, name="head")(out))
    ours, ref = made(sk), made(keras)
    assert _histories(ours.get_config()) == _histories(ref.get_config())
    lines = []
    ours.summary(print_fn=lines.append, line_length=120)
    assert re.findall(r"\w+\[\d+\]\[\d+\]", "\n".join(lines)) == ["a[0][0]", "b[0][0]", "add[0][0]"]
