"""`summary()` of a subclassed Model prints what Keras 3 prints for the same model: one row per
layer of `model.layers` (no "Connected to" column, none of the hidden layers that hold the
model's own weights and `add_loss` values), each output shape with the batch the layer was
built with, and the model's parameter totals (its own weights included)."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_summary_ex", "keras_register_layer", "keras_layer_builder_op")


def _classes(lib):
    class Plain(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(8, activation="relu", name="hidden")
            self.out = lib.layers.Dense(1, name="out")

        def call(self, x):
            return self.out(self.hidden(x))

    class Owning(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.proj = lib.layers.Dense(4, name="proj")
            self.norm = lib.layers.BatchNormalization(name="norm")
            self.scale = self.add_weight(shape=(4,), initializer="ones", name="scale")
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

        def call(self, x):
            y = self.norm(self.proj(x)) * self.scale + self.count
            self.add_loss(0.01 * lib.ops.sum(lib.ops.square(y)))
            return y

    return {"Plain": Plain, "Owning": Owning}


def _text(model, **kwargs):
    printed = []
    model.summary(print_fn=lambda *args, **kw: printed.append("".join(str(a) for a in args)), **kwargs)
    return "".join(printed)


@pytest.mark.parametrize("name", ["Plain", "Owning"])
@pytest.mark.parametrize("built_by", ["call", "fit"])
def test_subclassed_summary_prints_what_keras_prints(name, built_by, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    x = np.linspace(-1, 1, 50, dtype=np.float32).reshape(10, 5)
    y = np.linspace(0, 1, 10 * (1 if name == "Plain" else 4), dtype=np.float32).reshape(10, -1)
    texts, layers = {}, {}
    for lib in (sk, keras):
        model = _classes(lib)[name](name=name.lower())
        if built_by == "call":
            model(x[:3])
        else:
            model.compile(lib.optimizers.SGD(0.01), "mse")
            model.fit(x, y, batch_size=4, epochs=1, verbose=0)
        texts[lib] = (_text(model), _text(model, show_trainable=True))
        layers[lib] = [layer.name for layer in model.layers]
    assert layers[sk] == layers[keras]
    assert texts[sk][0] == texts[keras][0]
    assert texts[sk][1] == texts[keras][1]
