"""Integer state held exactly, against real Keras 3 (jax), each past 2**24 where float32 has no
odd numbers:

- the optimizer's `iteration` (an integer variable in Keras: int32 on jax, int64 on TensorFlow)
  read from and written to `.keras`, `.weights.h5` and legacy `.h5` files of either library;
- EarlyStopping(restore_best_weights=True) putting back a layer's int32 counter;
- a subclassed Model's own `self.add_weight(shape=(), dtype="int32", trainable=False)`,
  assigned in its traced `call`, listed, trained around and saved as Keras does;
- `add_weight(dtype=...)` for the integer dtypes Keras on jax holds, and a clear error for the
  dtypes the library cannot hold.
"""
import io
import zipfile

import h5py
import numpy as np
import pytest

from conftest import needs, CORE, real_keras, exec_layers
from layer_probes import COUNTER_SOURCE

pytestmark = needs(*CORE, "keras_model_weight_dtypes", "keras_model_get_weight_int32",
                   "keras_model_optimizer_iterations", "keras_layer_builder_assign")

STEPS = 2 ** 24 + 3   # float32 holds no odd number past 2**24
X = np.linspace(-1, 1, 24, dtype="float32").reshape(8, 3)
Y = np.linspace(0, 1, 16, dtype="float32").reshape(8, 2)
KERNEL = np.linspace(-0.5, 0.5, 6, dtype="float32").reshape(3, 2)


def dense_model(lib):
    lib.backend.clear_session()
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, name="dense")])
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss=lib.losses.MeanSquaredError())
    model.set_weights([KERNEL, np.zeros(2, "float32")])
    if lib.__name__ == "keras":   # its optimizer's variables, which its files hold
        model.optimizer.build(model.trainable_variables)
    return model


def iteration_in_file(path):
    """(dtype, value) of the optimizer's iteration dataset of a file of either library."""
    if str(path).endswith(".keras"):
        with zipfile.ZipFile(path) as archive:
            path = io.BytesIO(archive.read("model.weights.h5"))
    with h5py.File(path) as f:
        if "optimizer/vars/0" in f:
            d = f["optimizer/vars/0"]
        else:
            names = [n.decode() if isinstance(n, bytes) else n
                     for n in f["optimizer_weights"].attrs["weight_names"]]
            d = f["optimizer_weights"][next(n for n in names if n.endswith("iteration"))]
        return str(d.dtype), int(d[()])


def saved(model, path):
    if str(path).endswith(".weights.h5"):
        model.save_weights(path)
    else:
        model.save(path)
    return path


def loaded(lib, path):
    if str(path).endswith(".weights.h5"):
        model = dense_model(lib)
        model.load_weights(path)
        return model
    return lib.saving.load_model(path)


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5", ".h5"])
def test_iteration_count_past_float32_goes_through_files_exactly(tmp_path, suffix):
    """Keras's file of an optimizer at step 2**24 + 3 loads here with that count; ours saved
    again holds it (int32, as Keras on jax writes it); one more step here and in Keras gives
    2**24 + 4 and the same weights (Adam's bias correction reads the count), in files both
    libraries read."""
    import swiftkeras
    keras = real_keras()
    ref = dense_model(keras)
    ref.optimizer.iterations.assign(STEPS)
    keras_file = saved(ref, tmp_path / f"keras{suffix}")
    assert iteration_in_file(keras_file) == ("int32", STEPS)

    ours = loaded(swiftkeras, keras_file)
    if suffix != ".h5":   # (a legacy file's model has no `optimizer` on the Python side yet)
        assert int(np.asarray(ours.optimizer.iterations)) == STEPS
    ours_file = saved(ours, tmp_path / f"ours{suffix}")
    assert iteration_in_file(ours_file) == ("int32", STEPS)
    assert int(np.asarray(loaded(keras, ours_file).optimizer.iterations)) == STEPS

    for model in (ours, ref):
        model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert int(np.asarray(ref.optimizer.iterations)) == STEPS + 1
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    assert iteration_in_file(saved(ours, tmp_path / f"after{suffix}")) == ("int32", STEPS + 1)
    assert int(np.asarray(loaded(keras, tmp_path / f"after{suffix}").optimizer.iterations)) == STEPS + 1


def test_iteration_count_assigned_here_is_written_exactly(tmp_path):
    """`optimizer.iterations.assign(2**24 + 3)` here, as in Keras: the library's count, in the
    file Keras loads."""
    import swiftkeras
    ours = dense_model(swiftkeras)
    ours.optimizer.iterations.assign(STEPS)
    assert int(np.asarray(ours.optimizer.iterations)) == STEPS
    path = saved(ours, tmp_path / "ours.keras")
    assert iteration_in_file(path) == ("int32", STEPS)
    assert int(np.asarray(loaded(real_keras(), path).optimizer.iterations)) == STEPS
    with pytest.raises(ValueError, match="not compiled into a built model"):
        swiftkeras.optimizers.Adam().iterations.assign(1)


def test_iteration_count_of_tensorflow_width_loads_exactly(tmp_path):
    """Keras on TensorFlow writes the count as an int64 dataset: read exactly too."""
    import swiftkeras
    path = saved(dense_model(real_keras()), tmp_path / "wide.weights.h5")
    with h5py.File(path, "r+") as f:
        del f["optimizer/vars/0"]
        f["optimizer/vars"].create_dataset("0", data=np.int64(STEPS))
    assert iteration_in_file(path) == ("int64", STEPS)
    assert int(np.asarray(loaded(swiftkeras, path).optimizer.iterations)) == STEPS



def test_early_stopping_restores_an_int32_counter_exactly():
    """The best epoch is the first (mode="max" on a falling loss): its weights come back, the
    counter (started past 2**24, two steps an epoch) with them, exactly."""
    import swiftkeras
    keras = real_keras()
    results = []
    for lib in (swiftkeras, keras):
        lib.backend.clear_session()
        model = lib.Sequential([lib.Input((3,)), exec_layers(COUNTER_SOURCE, lib)["Counter"](name="counter")])
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
        model.set_weights([KERNEL, np.array(STEPS, "int32")])
        stop = lib.callbacks.EarlyStopping(monitor="loss", mode="max", patience=1,
                                           restore_best_weights=True)
        history = model.fit(X, Y, batch_size=4, epochs=5, shuffle=False, verbose=0, callbacks=[stop])
        weights = model.get_weights()
        results.append((len(history.history["loss"]), str(weights[1].dtype), int(weights[1]), weights[0]))
    (epochs, dtype, count, kernel), (ref_epochs, ref_dtype, ref_count, ref_kernel) = results
    assert (epochs, dtype, count) == (ref_epochs, ref_dtype, ref_count) == (2, "int32", STEPS + 2)
    np.testing.assert_allclose(kernel, np.asarray(ref_kernel), rtol=1e-5, atol=1e-6)


TALLY = """
@keras.saving.register_keras_serializable(package="integer_state_test")
class Tally(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = keras.layers.Dense(2, name="dense")
        self.seen = self.add_weight(shape=(), dtype="int32", trainable=False,
                                    initializer="zeros", name="seen")

    def call(self, x):
        self.seen.assign_add(1)
        return self.dense(x)
"""


def tally(lib):
    lib.backend.clear_session()
    model = exec_layers(TALLY, lib)["Tally"](name="tally")
    model.compile(optimizer=lib.optimizers.SGD(0.05), loss="mse")
    model.predict(X[:1], verbose=0)
    return model


def test_model_own_int32_weight_counts_like_keras(tmp_path):
    """A subclassed model's own int32 weight: listed as Keras lists it, assigned in each run of
    the traced call, left alone by the optimizer, exact past 2**24, in files both ways."""
    import swiftkeras
    keras = real_keras()
    models = []
    for lib in (swiftkeras, keras):
        model = tally(lib)
        model.seen.assign(STEPS)
        model.dense.set_weights([KERNEL, np.zeros(2, "float32")])
        model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        model.evaluate(X, Y, batch_size=4, verbose=0)
        model.predict(X, batch_size=4, verbose=0)
        models.append(model)
    ours, ref = models

    def listing(m):
        return [(w.path, str(w.dtype), bool(w.trainable)) for w in m.weights], \
            [str(np.asarray(w).dtype) for w in m.get_weights()], int(np.asarray(m.seen))
    assert listing(ours) == listing(ref)
    assert int(np.asarray(ours.seen)) > STEPS + 4
    np.testing.assert_allclose(ours.dense.get_weights()[0], np.asarray(ref.dense.get_weights()[0]),
                               rtol=1e-5, atol=1e-6)
    expected = int(np.asarray(ref.seen))
    for model, name in ((ours, "ours"), (ref, "keras")):
        model.save_weights(tmp_path / f"{name}.weights.h5")
        with h5py.File(tmp_path / f"{name}.weights.h5") as f:
            seen = f["vars/0"]
            assert (str(seen.dtype), int(seen[()])) == ("int32", expected)
    for lib, other in ((keras, "ours"), (swiftkeras, "keras")):
        model = tally(lib)
        model.load_weights(tmp_path / f"{other}.weights.h5")
        assert (str(np.asarray(model.seen).dtype), int(np.asarray(model.seen))) == ("int32", expected)


def test_model_own_weight_assigned_from_a_tensor_is_refused():
    import swiftkeras
    source = TALLY.replace("Tally", "TallyInputs").replace("self.seen.assign_add(1)",
                                                           "self.seen.assign_add(keras.ops.shape(x)[0] + x[0, 0])")
    model = exec_layers(source, swiftkeras)["TallyInputs"]()
    with pytest.raises(NotImplementedError, match="known when the call is traced"):
        model.predict(X[:1], verbose=0)


KINDS = """
class Kinds(keras.layers.Layer):
    def build(self, input_shape):
        self.wide = self.add_weight(shape=(), dtype="int64", trainable=False,
                                    initializer="zeros", name="wide")
        self.unsigned = self.add_weight(shape=(2,), dtype="uint32", trainable=False,
                                        initializer="zeros", name="unsigned")

    def call(self, x):
        self.wide.assign_add(1)
        self.unsigned.assign_sub(np.array([1, 2], "uint32"))
        return x
"""


def test_int64_and_uint32_weights_as_keras_on_jax_holds_them(tmp_path):
    """Keras on jax (no 64-bit numbers) reports an int64 variable's dtype as int64 and holds
    int32 values (wrapping as int32 does); a uint32 one holds 0 .. 2**32 - 1 (wrapping below 0).
    Both libraries: the same dtypes, values and file datasets, each reading the other's file."""
    import swiftkeras
    keras = real_keras()
    start = [np.array(2 ** 31 - 1, "int32"), np.array([2 ** 32 - 3, 1], "uint32")]
    results, models = [], []
    for lib in (swiftkeras, keras):
        lib.backend.clear_session()
        layer = exec_layers(KINDS, lib)["Kinds"](name="kinds")
        model = lib.Sequential([lib.Input((3,)), layer])
        model.predict(X[:1], verbose=0)
        model.set_weights(start)
        model.predict(X[:2], batch_size=2, verbose=0)
        model.save_weights(tmp_path / f"{lib.__name__}.weights.h5")
        with h5py.File(tmp_path / f"{lib.__name__}.weights.h5") as f:
            stored = [(str(f[f"layers/kinds/vars/{i}"].dtype), np.asarray(f[f"layers/kinds/vars/{i}"]).tolist())
                      for i in range(2)]
        results.append(([(w.path, str(w.dtype)) for w in layer.weights],
                        [(str(a.dtype), a.tolist()) for a in model.get_weights()],
                        str(np.asarray(layer.unsigned).dtype), stored))
        models.append(model)
    assert results[0] == results[1]
    assert results[0][1] == [("int32", -2 ** 31), ("uint32", [2 ** 32 - 4, 2 ** 32 - 1])]
    for model, other in zip(models, ("keras", "swiftkeras")):
        model.load_weights(tmp_path / f"{other}.weights.h5")
        assert [a.tolist() for a in model.get_weights()] == [-2 ** 31, [2 ** 32 - 4, 2 ** 32 - 1]]


@pytest.mark.parametrize("dtype", ["float16", "int8", "bool", "float64"])
def test_weight_dtypes_the_library_cannot_hold_are_refused(dtype):
    import swiftkeras as keras
    source = KINDS.replace('dtype="uint32"', f'dtype="{dtype}"')
    layer = exec_layers(source, keras)["Kinds"]()
    with pytest.raises(TypeError, match=f"holds weights of dtype float32, int32, int64, uint32 .*dtype={dtype}"):
        keras.Sequential([keras.Input((3,)), layer]).predict(X[:1], verbose=0)
    cls = exec_layers(TALLY.replace('dtype="int32"', f'dtype="{dtype}"'), keras)["Tally"]
    with pytest.raises(TypeError, match=f"holds weights of dtype .*dtype={dtype}"):
        cls()
