"""Standalone Keras objects, second round: required constructor arguments (a TypeError with
Python's wording where Keras's constructor has one), `History()` made by hand, and a built-in
callback's `model`/`params` (None before a fit, the model after), each compared with real Keras."""

import inspect

import conftest
import numpy as np
import pytest

import swiftkeras as keras

@pytest.fixture(scope="module")
def real_keras():
    """Real Keras's answers, computed once for the module: each metric, loss and callback
    class made with no arguments (None, or its TypeError's message), a fresh callback's
    `model`/`params`, and a hand-made History's `history`."""
    K = conftest.real_keras()
    out = {}
    for m in ("metrics", "losses", "callbacks"):
        out.update({f"{m}.{n}": _construct(K, f"{m}.{n}") for n in dir(getattr(K, m))
                    if not n.startswith("_")})
    es = K.callbacks.EarlyStopping()
    out["_before"] = [es.model, es.params]
    out["_history"] = K.callbacks.History().history
    return out


def _construct(lib, path):
    module, name = path.split(".")
    cls = getattr(getattr(lib, module), name, None)
    if cls is None or not inspect.isclass(cls):
        return "absent"
    try:
        cls()
        return None
    except TypeError as e:
        return str(e)
    except Exception as e:
        return "other: " + type(e).__name__


def test_required_arguments_as_keras(real_keras):
    """Every metric, loss and callback class both have: made with no arguments, it errors with
    Keras's TypeError (the same message) exactly where Keras's does."""
    compared, differ = 0, []
    for path, expected in real_keras.items():
        if path.startswith("_"):
            continue
        if expected == "absent":
            continue
        got = _construct(keras, path)
        if got == "absent":
            continue
        compared += 1
        if (expected is None) != (got is None) or (
                expected is not None and "required positional argument" in expected
                and got != expected):
            differ.append((path, expected, got))
    assert compared > 50
    assert differ == []


@pytest.mark.parametrize("cls, message", [
    ("PrecisionAtRecall", "missing 1 required positional argument: 'recall'"),
    ("IoU", "missing 2 required positional arguments: 'num_classes' and 'target_class_ids'"),
])
def test_required_argument_message(cls, message):
    with pytest.raises(TypeError, match=message):
        getattr(keras.metrics, cls)()
    # given positionally or by keyword, it is accepted
    m = keras.metrics.PrecisionAtRecall(0.5) if cls == "PrecisionAtRecall" else \
        keras.metrics.IoU(num_classes=2, target_class_ids=[0])
    assert m.get_config()["name"]


def test_callbacks_required_and_history(real_keras, tmp_path):
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'filepath'"):
        keras.callbacks.ModelCheckpoint()
    keras.callbacks.ModelCheckpoint(str(tmp_path / "m.keras"))
    assert keras.callbacks.History().history == real_keras["_history"]


def test_builtin_callback_model_after_fit(real_keras):
    es = keras.callbacks.EarlyStopping(monitor="loss", patience=1)
    assert [es.model, es.params] == real_keras["_before"]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 3), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0,
              callbacks=[es])
    assert es.model is model
