"""The checks Keras's base Layer makes of its own arguments when a layer is made (Operation's of
`name`: a string without '/'; Layer's of `trainable`: a bool), with Keras's exception and
message, for built-in layers and layers written in Python alike."""

import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)


def _python_layer(k):
    class Plain(k.layers.Layer):
        def call(self, x):
            return x
    return Plain


MAKERS = {"Dense": lambda k, **kw: k.layers.Dense(2, **kw),
          "Flatten": lambda k, **kw: k.layers.Flatten(**kw),
          "Layer": lambda k, **kw: k.layers.Layer(**kw),
          "python": lambda k, **kw: _python_layer(k)(**kw)}
BAD = [{"name": 3}, {"name": "block/conv"}, {"name": ["a"]}, {"trainable": "yes"},
       {"trainable": 1}, {"trainable": None}]


def _outcome(k, maker, kwargs):
    try:
        MAKERS[maker](k, **kwargs)
    except Exception as e:  # noqa: BLE001 — the exception is what is compared
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("maker", sorted(MAKERS))
@pytest.mark.parametrize("kwargs", BAD, ids=[repr(b) for b in BAD])
def test_bad_base_arguments_refused_as_keras(maker, kwargs):
    want = _outcome(keras, maker, kwargs)
    assert want is not None, "Keras refuses it"
    assert _outcome(sk, maker, kwargs) == want


@pytest.mark.parametrize("kwargs", [{"name": "fine_name"}, {"trainable": False}, {"name": ""}])
def test_good_base_arguments_kept_as_keras(kwargs):
    ref, ours = MAKERS["Dense"](keras, **kwargs), MAKERS["Dense"](sk, **kwargs)
    assert ours.trainable == ref.trainable
    if kwargs.get("name") is not None and kwargs["name"]:
        assert ours.name == ref.name
