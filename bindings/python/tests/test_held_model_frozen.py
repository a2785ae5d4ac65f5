"""A layer frozen inside a Sequential before the Sequential is nested (in a functional model, a
Sequential or a subclassed model) stays frozen, as in real Keras 3 (JAX): the outer model lists
none of its weights as trainable, its summary counts them as non-trainable, and fit leaves them
as they were; freezing the nested Sequential afterwards and unfreezing it again (which unfreezes
the layer, Keras's setter) give Keras's lists and counts, and fit then trains the layer."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE, "keras_model_from_json_sharing", "keras_model_set_trainable")

import swiftkeras  # noqa: E402

RNG = np.random.default_rng(11)
X = RNG.normal(size=(8, 3)).astype("float32")
Y = RNG.normal(size=(8, 1)).astype("float32")


def _counts(model):
    lines = []
    model.summary(print_fn=lambda text, **_: lines.append(text))
    return [line for line in "\n".join(lines).splitlines() if "params:" in line]


def _story(lib, holder):
    """What a user sees, step by step, with `seq`'s first layer frozen before it is nested."""
    layers = lib.layers
    seq = lib.Sequential([lib.Input((3,)), layers.Dense(4, name="a"), layers.Dense(2, name="b")],
                         name="seq")
    seq.layers[0].trainable = False
    if holder == "functional":
        x = lib.Input((3,))
        model = lib.Model(x, layers.Dense(1, name="h")(seq(x)), name="outer")
    elif holder == "sequential":
        model = lib.Sequential([lib.Input((3,)), seq, layers.Dense(1, name="h")], name="outer")
    else:
        class Holder(lib.Model):
            def __init__(self, inner, **kwargs):
                super().__init__(**kwargs)
                self.inner = inner
                self.head = layers.Dense(1, name="head")

            def call(self, x):
                return self.head(self.inner(x))

        model = Holder(seq, name="outer")
        model(X[:2])
    seen = [len(model.trainable_weights), len(seq.trainable_weights), _counts(model)]
    frozen = seq.layers[0].get_weights()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    seen.append([np.array_equal(a, b) for a, b in zip(frozen, seq.layers[0].get_weights())])
    seq.trainable = False          # the whole Sequential, after nesting
    seen += [len(model.trainable_weights), _counts(model)]
    seq.trainable = True           # unfreezes its layers too
    seen += [len(model.trainable_weights), seq.layers[0].trainable, _counts(model)]
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    seen.append([np.array_equal(a, b) for a, b in zip(frozen, seq.layers[0].get_weights())])
    return seen


@pytest.mark.parametrize("holder", ["functional", "sequential", "subclass"])
def test_layer_frozen_before_nesting_stays_frozen_as_in_keras(holder):
    ref, ours = (_story(lib, holder) for lib in (real_keras(), swiftkeras))
    assert ours == ref
    assert ours[:2] == [4, 2] and ours[3] == [True, True]  # frozen: not listed, not trained
    assert ours[-1] == [False, False]                      # unfrozen: trained
