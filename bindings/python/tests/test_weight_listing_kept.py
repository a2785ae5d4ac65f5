"""A model's listing of its weights (`weights`, `trainable_variables`, ...) is kept from one read
to the next (a custom train_step reads `self.trainable_variables` at every batch) while the model
stays the same, and made again after whatever changes it: a layer frozen, a layer added, a
quantize. Each read is a new list of the same Variables, as Keras's."""

import numpy as np

from conftest import CORE, needs

import swiftkeras as sk

pytestmark = needs(*CORE)


def _model():
    model = sk.Sequential([sk.Input((3,)), sk.layers.Dense(4, name="a"), sk.layers.Dense(2, name="b")],
                          name="seq")
    model.compile(optimizer="adam", loss="mse")
    return model


def _listings(model, monkeypatch):
    """The number of times the model lists its weights' infos from now on."""
    calls = []
    listed = type(model)._variable_infos
    monkeypatch.setattr(type(model), "_variable_infos", lambda self: calls.append(1) or listed(self))
    return calls


def test_a_listing_is_kept_while_the_model_stays_the_same(monkeypatch):
    model = _model()
    first = model.trainable_variables
    calls = _listings(model, monkeypatch)
    again = model.trainable_variables
    assert calls == []
    assert again == first and again is not first and all(a is b for a, b in zip(again, first))
    again.pop()
    assert len(model.trainable_variables) == 4   # (each read its own list)
    model.fit(np.ones((8, 3), "float32"), np.zeros((8, 2), "float32"), verbose=0)
    assert [v.path for v in model.trainable_variables] == [
        "seq/a/kernel", "seq/a/bias", "seq/b/kernel", "seq/b/bias"]
    assert calls == []


def test_a_listing_follows_the_changes_of_its_model():
    model = _model()
    assert len(model.trainable_variables) == 4 and model.non_trainable_variables == []
    model.layers[0].trainable = False
    # (Keras 3.15.1's paths, printed by it for this model)
    assert [v.path for v in model.trainable_variables] == ["seq/b/kernel", "seq/b/bias"]
    assert [v.path for v in model.non_trainable_variables] == ["seq/a/kernel", "seq/a/bias"]
    model.layers[0].trainable = True
    model.add(sk.layers.Dense(1, name="c"))
    assert [v.path for v in model.weights][-2:] == ["seq/c/kernel", "seq/c/bias"]
    assert [v.shape for v in model.weights] == [w.shape for w in model.get_weights()]
    before = [v.path for v in model.weights]
    model.quantize("int8")
    assert [v.path for v in model.weights] != before
    assert [v.dtype for v in model.weights] == [str(w.dtype) for w in model.get_weights()]
