"""Layers written in Python called on several inputs are saved as real Keras saves them: one node
whose `inbound_nodes` args hold the list of tensors, no packing layers, the weights under the
layer's own path; real Keras (the class registered with its register_keras_serializable) loads
the `.keras` and `.h5` files and predicts the same numbers (1e-5), and files real Keras wrote
load here. The VAE tutorial's encoder (Sampling on [z_mean, z_log_var]) and a traced weighted
sum with its own weight; a numpy layer of two inputs trains to real Keras's weights."""

import json
import zipfile

import h5py
import numpy as np
import pytest

from conftest import CORE, exec_layers, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op",
                   "keras_layer_builder_input_count")

# One source for both libraries, each registering the classes under the same names.
LAYERS = '''
@keras.saving.register_keras_serializable(package="MultiIn")
class WeightedSum(keras.layers.Layer):
    """a * w + b, with w a weight of the layer (one per feature)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[0][-1],), initializer="ones", name="w")

    def call(self, inputs):
        a, b = inputs
        return a * self.w + b


@keras.saving.register_keras_serializable(package="MultiIn")
class Sampling(keras.layers.Layer):
    """Keras's VAE tutorial: z = z_mean + exp(0.5 * z_log_var) * epsilon."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon
'''


def _classes(lib):
    scope = exec_layers(LAYERS, lib)
    return {"WeightedSum": scope["WeightedSum"], "Sampling": scope["Sampling"]}


def _data(n=64, features=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype("float32")


def _weighted_model(lib):
    inp = lib.Input((6,))
    a = lib.layers.Dense(3, name="a")(inp)
    b = lib.layers.Dense(3, name="b")(inp)
    s = _classes(lib)["WeightedSum"](name="weighted_sum")([a, b])
    return lib.Model(inp, lib.layers.Dense(2, name="head")(s))


def _encoder(lib, latent=2):
    """The VAE tutorial's encoder (Dense instead of its convolutions)."""
    inp = lib.Input((6,))
    h = lib.layers.Dense(16, activation="relu", name="hidden")(inp)
    z_mean = lib.layers.Dense(latent, name="z_mean")(h)
    z_log_var = lib.layers.Dense(latent, name="z_log_var")(h)
    z = _classes(lib)["Sampling"](name="sampling")([z_mean, z_log_var])
    return lib.Model(inp, [z_mean, z_log_var, z], name="encoder")


def _layer_entry(path, name):
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
    return config, next(e for e in config["config"]["layers"] if e["name"] == name)


def _weights_h5_keys(path):
    keys = []
    with zipfile.ZipFile(path) as z, h5py.File(z.open("model.weights.h5"), "r") as f:
        f.visit(keys.append)
    return keys


def _assert_keras_form(config, entry, inputs):
    """The custom layer's node reads the list of inbound tensors; no packing layers."""
    assert [e["class_name"] for e in config["config"]["layers"]
            if e["class_name"] in ("Reshape", "Concatenate")] == []
    args = entry["inbound_nodes"][0]["args"]
    assert len(args) == 1 and isinstance(args[0], list)
    assert [t["class_name"] for t in args[0]] == ["__keras_tensor__"] * len(inputs)
    assert [t["config"]["keras_history"][0] for t in args[0]] == inputs
    assert entry["build_config"] == {"input_shape": [[None, 3 if inputs[0] == "a" else 2]] * 2}
    assert "swiftkeras_packed_inputs" not in entry["config"]


def test_two_input_layer_trains_here_and_loads_in_real_keras(tmp_path):
    x = _data()
    y = x[:, :2] * 2 - x[:, 2:4]
    model = _weighted_model(sk)
    model.compile(optimizer=sk.optimizers.Adam(0.05), loss="mse")
    losses = model.fit(x, y, epochs=40, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    w = model.get_layer("weighted_sum").get_weights()[0]
    assert not np.allclose(w, 1), "training reached the layer's own weight"
    want = model.predict(x, verbose=0)

    path = str(tmp_path / "ours.keras")
    model.save(path)
    config, entry = _layer_entry(path, "weighted_sum")
    _assert_keras_form(config, entry, ["a", "b"])
    assert entry["registered_name"] == "MultiIn>WeightedSum"
    assert "layers/weighted_sum/vars/0" in _weights_h5_keys(path)

    _classes(keras)
    theirs = keras.saving.load_model(path)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(theirs.get_layer("weighted_sum").get_weights()[0], w)
    again = sk.saving.load_model(path)
    np.testing.assert_allclose(again.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)

    h5 = str(tmp_path / "ours.h5")
    model.save(h5)
    with h5py.File(h5, "r") as f:
        layers = json.loads(f.attrs["model_config"])["config"]["layers"]
        entry = next(e for e in layers if e["name"] == "weighted_sum")
        assert entry["class_name"] == "MultiIn>WeightedSum"
        assert len(entry["inbound_nodes"][0]["args"][0]) == 2
        np.testing.assert_allclose(f["model_weights/weighted_sum/weighted_sum/w"][()], w)
    theirs = keras.saving.load_model(h5, compile=False)
    np.testing.assert_allclose(theirs.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sk.saving.load_model(h5).predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_two_input_layer_saved_by_real_keras_loads_and_trains_here(tmp_path, suffix):
    x = _data(seed=1)
    y = x[:, :2]
    theirs = _weighted_model(keras)
    rng = np.random.default_rng(3)
    theirs.set_weights([rng.normal(size=w.shape).astype("float32") for w in theirs.get_weights()])
    path = str(tmp_path / f"theirs{suffix}")
    theirs.save(path)
    want = np.asarray(theirs.predict(x, verbose=0))

    _classes(sk)
    ours = sk.saving.load_model(path, compile=False)
    np.testing.assert_allclose(ours.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.get_layer("weighted_sum").get_weights()[0],
                               theirs.get_layer("weighted_sum").get_weights()[0])
    # The same SGD steps from the same weights reach the same weights in both libraries.
    for lib_model, opt in ((ours, sk.optimizers.SGD(0.05)), (theirs, keras.optimizers.SGD(0.05))):
        lib_model.compile(optimizer=opt, loss="mse")
        lib_model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)


def _assert_samples(z_mean, z_log_var, z):
    """z drawn as z_mean + exp(z_log_var / 2) * epsilon, epsilon standard normal."""
    eps = (z - z_mean) / np.exp(0.5 * z_log_var)
    assert np.isfinite(eps).all()
    assert abs(eps.mean()) < 0.05 and abs(eps.std() - 1) < 0.05, (eps.mean(), eps.std())


def test_vae_encoder_saved_here_loads_in_real_keras(tmp_path):
    x = _data(n=2000)
    model = _encoder(sk)
    model.compile(optimizer="adam", loss=["mse", "mse", "mse"])
    model.fit(x, [x[:, :2], x[:, 2:4], x[:, 4:6]], epochs=2, batch_size=100, verbose=0)
    z_mean, z_log_var, z = model.predict(x, batch_size=500, verbose=0)
    _assert_samples(z_mean, z_log_var, z)

    path = str(tmp_path / "encoder.keras")
    model.save(path)
    config, entry = _layer_entry(path, "sampling")
    _assert_keras_form(config, entry, ["z_mean", "z_log_var"])

    _classes(keras)
    theirs = keras.saving.load_model(path)
    got = [np.asarray(o) for o in theirs.predict(x, batch_size=500, verbose=0)]
    np.testing.assert_allclose(got[0], z_mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], z_log_var, rtol=1e-5, atol=1e-5)
    _assert_samples(got[0], got[1], got[2])

    h5 = str(tmp_path / "encoder.h5")
    model.save(h5)
    theirs = keras.saving.load_model(h5, compile=False)
    got = [np.asarray(o) for o in theirs.predict(x, batch_size=500, verbose=0)]
    np.testing.assert_allclose(got[0], z_mean, rtol=1e-5, atol=1e-5)
    _assert_samples(got[0], got[1], got[2])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_vae_encoder_saved_by_real_keras_loads_here(tmp_path, suffix):
    x = _data(n=2000, seed=2)
    theirs = _encoder(keras)
    path = str(tmp_path / f"encoder{suffix}")
    theirs.save(path)
    want = [np.asarray(o) for o in theirs.predict(x, batch_size=500, verbose=0)]

    _classes(sk)
    ours = sk.saving.load_model(path, compile=False)
    got = ours.predict(x, batch_size=500, verbose=0)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-5)
    _assert_samples(*got)
    # Saved again here, the file is still Keras's form.
    back = str(tmp_path / "back.keras")
    ours.save(back)
    config, entry = _layer_entry(back, "sampling")
    _assert_keras_form(config, entry, ["z_mean", "z_log_var"])


NUMPY_PRODUCT = '''
class Product(keras.layers.Layer):
    """a * b * w, on numpy values with its own backward (the library packs the two inputs)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[1][-1],), initializer="ones", name="w")

    def call(self, inputs):
        a, b = (np.asarray(t) for t in inputs)
        return a * b * np.asarray(self.w)

    def backward(self, inputs, weights, grad_output):
        a, b = inputs
        (w,) = weights
        return [grad_output * b * w, grad_output * a * w], [(grad_output * a * b).sum(0)]
'''

OPS_PRODUCT = '''
class Product(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[1][-1],), initializer="ones", name="w")

    def call(self, inputs):
        a, b = inputs
        return a * b * self.w
'''


def test_numpy_layer_of_two_inputs_trains_to_real_keras_weights():
    """The packed gradient of a numpy backward reaches both inputs' layers and the weight."""
    x = _data(n=32, seed=4)
    y = x[:, :3]

    def model(lib, source):
        inp = lib.Input((6,))
        a = lib.layers.Dense(3, name="a")(inp)
        b = lib.layers.Dense(3, name="b")(inp)
        out = exec_layers(source, lib)["Product"](name="product")([a, b])
        m = lib.Model(inp, out)
        rng = np.random.default_rng(5)
        m.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in m.get_weights()])
        return m

    ours, theirs = model(sk, NUMPY_PRODUCT), model(keras, OPS_PRODUCT)
    for m, opt in ((ours, sk.optimizers.SGD(0.05)), (theirs, keras.optimizers.SGD(0.05))):
        m.compile(optimizer=opt, loss="mse")
        m.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    from swiftkeras import _python_layers
    assert not any(i.traced for i in _python_layers._instances.values()
                   if type(i.layer).__name__ == "Product"), "the numpy path ran"
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)
