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
    import copy
    import pickle
    again = pickle.loads(pickle.dumps(es))   # the model is not pickled with it
    assert again.model is None and again.patience == 1
    assert copy.deepcopy(es).get_config() == es.get_config()


def _compiled_optimizer_variables(lib, optimizer, weights=None):
    """`optimizer.variables` of an optimizer compiled into a two-Dense model, before and after
    a two-epoch fit (paths, shapes, values), in library `lib`."""
    lib.backend.clear_session()   # Keras's automatic names (paths) start afresh in both
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, activation="tanh"),
                            lib.layers.Dense(1)])
    if weights is not None:
        model.set_weights(weights)
    initial = model.get_weights()
    opt = getattr(lib.optimizers, optimizer[0])(**optimizer[1])
    model.compile(opt, "mse")
    before = [(v.path, tuple(v.shape)) for v in opt.variables]
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    after = [(v.path, tuple(v.shape), np.asarray(v.numpy(), "float64")) for v in opt.variables]
    return initial, before, after


@pytest.mark.parametrize("optimizer", [
    ("Adam", {"learning_rate": 0.01}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
])
def test_compiled_optimizer_variables_as_keras(optimizer):
    """A compiled optimizer's `variables`: Keras's list before the first fit (iteration,
    learning_rate) and after it (the slots of each trainable weight), paths, shapes and values."""
    K = conftest.real_keras()
    K.utils.set_random_seed(0)
    weights, k_before, k_after = _compiled_optimizer_variables(K, optimizer)
    _, before, after = _compiled_optimizer_variables(keras, optimizer, weights)
    assert before == k_before
    assert [(p, s) for p, s, _ in after] == [(p, s) for p, s, _ in k_after]
    assert len(after) > 2
    for (path, _, value), (_, _, expected) in zip(after, k_after):
        np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-6, err_msg=path)
