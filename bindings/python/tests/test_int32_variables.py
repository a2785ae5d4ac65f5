"""int32 variables held as integers, against real Keras 3 (jax): a Python layer's counter
(`add_weight(shape=(), dtype="int32", trainable=False, initializer="zeros")`, updated with
`assign_add` in its traced `call`) counts exactly past 2**24 (where float32 would stop), is
reported as int32 (`variable.dtype`, `get_weights()`), is never touched by the optimizer, and goes
through `.keras` and `.weights.h5` files with its integer dtype both ways; the optimizer's
`iteration` is written as Keras writes it (int32).
"""
import h5py
import numpy as np
import pytest

from conftest import needs, CORE, real_keras, exec_layers
from layer_probes import COUNTER_SOURCE

pytestmark = needs(*CORE, "keras_model_weight_dtypes", "keras_model_get_weight_int32",
                   "keras_model_set_weight_int32", "keras_layer_builder_assign")

BIG = 2 ** 30 + 3   # float32 holds no odd number past 2**24

X = np.linspace(-1, 1, 24, dtype="float32").reshape(8, 3)
Y = np.linspace(0, 1, 16, dtype="float32").reshape(8, 2)


def make(lib):
    lib.backend.clear_session()
    cls = exec_layers(COUNTER_SOURCE, lib)["Counter"]
    model = lib.Sequential([lib.Input((3,)), cls(name="counter")])
    model.compile(optimizer="adam", loss="mse")
    return model, cls


def run(model):
    """Starts the counter past 2**24, then fits two epochs of two steps, evaluates and predicts."""
    model.predict(X[:1], verbose=0)
    kernel, count = model.get_weights()
    model.set_weights([kernel, np.array(BIG, "int32")])
    model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    model.evaluate(X, Y, batch_size=4, verbose=0)
    model.predict(X, batch_size=4, verbose=0)
    return model


def summary(model):
    layer = model.layers[0]
    return ([(w.path, str(w.dtype), bool(w.trainable)) for w in layer.weights],
            [(str(a.dtype), np.asarray(a).tolist()) for a in model.get_weights()[1:]],
            str(np.asarray(layer.count).dtype), int(np.asarray(layer.count)))


def test_traced_counter_counts_exactly_like_keras():
    import swiftkeras
    keras = real_keras()
    ours, ref = run(make(swiftkeras)[0]), run(make(keras)[0])
    assert summary(ours) == summary(ref)
    assert int(np.asarray(ours.layers[0].count)) > BIG   # it counted, past float32's reach
    # The optimizer trained the kernel and left the counter alone (Keras's own check: the same
    # kernel after the same steps).
    np.testing.assert_allclose(ours.get_weights()[0], np.asarray(ref.get_weights()[0]), rtol=1e-5, atol=1e-6)
    assert [str(w.dtype) for w in ours.trainable_weights] == ["float32"]
    # Keras's optimizer.iterations: an int32 variable of the steps taken.
    assert [(v.path, str(v.dtype), int(np.asarray(v))) for v in (ours.optimizer.iterations, ref.optimizer.iterations)] \
        == [("adam/iteration", "int32", 4)] * 2


def test_set_weights_and_assign_take_int32_exactly():
    import swiftkeras
    model, _ = make(swiftkeras)
    model.predict(X[:1], verbose=0)
    model.layers[0].count.assign(np.int64(BIG + 2))
    assert model.get_weights()[1].dtype == np.int32 and int(model.get_weights()[1]) == BIG + 2
    with pytest.raises(ValueError, match="NaN"):
        model.set_weights([model.get_weights()[0], np.array(np.nan)])


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_counter_files_round_trip_with_keras(tmp_path, suffix):
    import swiftkeras
    keras = real_keras()
    ours, ours_cls = make(swiftkeras)
    ref, ref_cls = make(keras)
    run(ours), run(ref)
    expected = int(np.asarray(ref.layers[0].count))
    for model, name in ((ours, "ours"), (ref, "keras")):
        path = tmp_path / f"{name}{suffix}"
        model.save(path) if suffix == ".keras" else model.save_weights(path)
    if suffix == ".weights.h5":   # the datasets themselves: int32 as Keras writes them
        for name in ("ours", "keras"):
            with h5py.File(tmp_path / f"{name}{suffix}") as f:
                count = f["layers/counter/vars/1"]
                assert (count.dtype, int(count[()])) == (np.dtype("int32"), expected)
                assert f["optimizer/vars/0"].dtype == np.dtype("int32")
                assert int(f["optimizer/vars/0"][()]) == 4
    # Each library reads the other's file: the counter exactly, in int32.
    for lib, cls, other in ((keras, ref_cls, "ours"), (swiftkeras, ours_cls, "keras")):
        path = tmp_path / f"{other}{suffix}"
        if suffix == ".keras":
            loaded = lib.saving.load_model(path, custom_objects={"Counter": cls})
        else:
            loaded = make(lib)[0]
            loaded.predict(X[:1], verbose=0)
            loaded.load_weights(path)
        count = loaded.get_weights()[1]
        assert (str(count.dtype), int(count)) == ("int32", expected)
