"""Five places where our files and weight paths differed from real Keras 3 (JAX):

- a float argument given as an int (`Dropout(0)`, `GaussianNoise(1)`, `LayerNormalization(
  epsilon=1)`) is written as given, `0`, as Keras keeps it (BatchNormalization and `L2(1)`,
  whose constructors make floats, write `1.0`), also after the file is loaded here;
- a custom regularizer's Python float factor is written as Python's json writes it (`0.1`,
  `0.3333333333333333`), not as float32 text;
- a registered subclassed model's config.json is Keras's: `"module": null` for a class of
  `__main__` (its module's name otherwise), its config with its `dtype`, the build config of
  its first call's batch (its layers' too), the compile config in Keras's key order, Keras's
  `shared_object_id` marks; one built by Keras's default `build()` saves;
- a nested model's compile config is applied when the file is loaded (`compile=False` too):
  `outer.layers[0].compiled`, its optimizer, and its own fit trains the outer model's weights;
- the SeedGenerators of Bidirectional, RNN([cells]), RandAugment, AugMix and
  RandomColorJitter are named as Keras names them, in the order Keras makes them.

config.json is compared as text (`0` and `0.0` differ), the shared object ids aside."""

import re
import warnings
import zipfile

import numpy as np
import pytest

from conftest import CORE, needs, real_keras
from test_seed_generator_state import _numbered

pytestmark = needs(*CORE, "keras_model_save", "keras_model_load", "keras_model_seed_generator_count")

import swiftkeras  # noqa: E402

X = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)


def _config_text(path):
    """config.json's text with each shared_object_id (an id(), not comparable) as "ID"."""
    text = zipfile.ZipFile(path).read("config.json").decode()
    return re.sub(r'"shared_object_id": \d+', '"shared_object_id": "ID"', text)


def _lib(name):
    return swiftkeras if name == "ours" else real_keras()


def _numbers_model(lib):
    layers = lib.layers
    return lib.Sequential([
        lib.Input((4,)), layers.Dense(3, kernel_regularizer=lib.regularizers.L2(1)), layers.Dropout(0),
        layers.GaussianNoise(1), layers.LayerNormalization(epsilon=1),
        layers.BatchNormalization(momentum=1, epsilon=1), layers.LeakyReLU(negative_slope=1)])


def _regularizer_class(lib):
    @lib.saving.register_keras_serializable(package="files7")
    class Factor(lib.regularizers.Regularizer):
        def __init__(self, factor=0.1):
            self.factor = factor

        def __call__(self, x):
            return self.factor * lib.ops.sum(lib.ops.square(x))

        def get_config(self):
            return {"factor": self.factor}
    return Factor


def _subclass_classes(lib):
    """A subclassed model with a get_config of its own, one with Keras's automatic config (in
    `__main__`, as a script's), and one whose config holds a layer with a shared initializer."""
    @lib.saving.register_keras_serializable(package="files7")
    class Net(lib.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.d = lib.layers.Dense(units)

        def call(self, x):
            return self.d(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class Auto(lib.Model):
        def __init__(self, units=3):
            super().__init__()
            self.d = lib.layers.Dense(units)

        def call(self, x):
            return self.d(x)
    Auto.__module__ = "__main__"
    Auto = lib.saving.register_keras_serializable(package="files7")(Auto)

    @lib.saving.register_keras_serializable(package="files7")
    class Holder(lib.Model):
        def __init__(self, inner=None, **kwargs):
            super().__init__(**kwargs)
            self.inner = lib.layers.deserialize(inner) if isinstance(inner, dict) else inner

        def call(self, x):
            return self.inner(x)

        def get_config(self):
            return {**super().get_config(), "inner": lib.layers.serialize(self.inner)}
    return Net, Auto, Holder


def _write(lib, folder):
    """Each case's .keras file written by `lib` into `folder`: {case: path}."""
    paths = {}

    def save(case, model):
        paths[case] = str(folder / f"{case}.keras")
        model.save(paths[case])

    save("numbers", _numbers_model(lib))
    Factor = _regularizer_class(lib)
    inputs = lib.Input((4,))
    outputs = lib.layers.Dense(3, kernel_regularizer=Factor(0.1), bias_regularizer=Factor(1 / 3))(inputs)
    save("factor", lib.Model(inputs, lib.layers.Dense(2, kernel_regularizer=Factor(1e-4))(outputs)))
    Net, Auto, Holder = _subclass_classes(lib)
    called = Net(3, name="called")
    called(X)
    save("called", called)
    built = Net(3, name="built")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (Keras's warning on a default build())
        built.build((None, 4))
    save("built", built)
    fitted = Net(2, name="fitted")
    fitted.compile(lib.optimizers.Adam(0.01), "mse")
    fitted.fit(X, X[:, :2], epochs=1, verbose=0)
    save("fitted", fitted)
    auto = Auto(5)
    auto(X)
    save("auto", auto)
    ones = lib.initializers.Ones()
    holder = Holder(lib.layers.Dense(2, kernel_initializer=ones, bias_initializer=ones), name="holder")
    holder(X[:1])
    save("holder", holder)
    inner = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, name="d")], name="inner")
    inner.compile(lib.optimizers.SGD(0.05), "mae")
    save("nested", lib.Sequential([lib.Input((4,)), inner, lib.layers.Dense(1, name="head")], name="outer"))
    return paths


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """{"keras" | "ours": {case: path}}: every case written once by each library."""
    written = {}
    for name in ("keras", "ours"):
        folder = tmp_path_factory.mktemp(f"files7_{name}")
        # Auto-names (dense_3) count per process: each library starts afresh, whatever ran
        # before in this worker.
        _lib(name).backend.clear_session()
        written[name] = _write(_lib(name), folder)
    return written


def test_float_arguments_given_as_ints_are_written_as_given(files):
    """Keras keeps `Dropout(0)`'s rate `0`; BatchNormalization and L2 make floats (`1.0`)."""
    ours, keras_text = _config_text(files["ours"]["numbers"]), _config_text(files["keras"]["numbers"])
    assert ours == keras_text
    assert '"rate": 0,' in ours and '"momentum": 1.0,' in ours and '"l2": 1.0}' in ours
    loaded = swiftkeras.models.load_model(files["keras"]["numbers"])
    assert [type(loaded.layers[i].get_config()[key]) for i, key in ((1, "rate"), (4, "momentum"))] == [int, float]


def test_custom_regularizer_factor_is_python_json(files):
    """A custom regularizer's Python float is written as json.dumps writes it, in the file and
    in to_json, and again after the file is loaded here and saved."""
    def factors(text):
        return re.findall(r'"factor": ([0-9.e-]+)', text)
    expected = ["0.1", "0.3333333333333333", "0.0001"]
    assert factors(_config_text(files["keras"]["factor"])) == expected
    assert factors(_config_text(files["ours"]["factor"])) == expected
    Factor = _regularizer_class(swiftkeras)
    loaded = swiftkeras.models.load_model(files["keras"]["factor"], custom_objects={"files7>Factor": Factor})
    assert factors(loaded.to_json()) == expected


@pytest.mark.parametrize("case", ["called", "built", "fitted", "auto", "holder"])
def test_subclassed_model_config_json_is_keras(files, case):
    """The whole config.json as Keras writes it (Keras's automatic config of a Model subclass
    holds the constructor's defaults, not the values given, so Auto(5) writes units 5 here and
    3 in Keras: it is compared apart from that)."""
    ours, keras_text = _config_text(files["ours"][case]), _config_text(files["keras"][case])
    if case == "auto":
        assert '"units": 3' in keras_text and '"units": 5' in ours
        keras_text = keras_text.replace('"units": 3', '"units": 5')
    assert ours == keras_text


def test_subclassed_model_files_load_in_keras_and_here(files):
    """The files written here load in Keras (the default-built one too) and here."""
    keras = real_keras()
    for case, lib in (("called", keras), ("built", keras), ("holder", keras), ("fitted", swiftkeras)):
        classes = dict(zip(("files7>Net", "files7>Auto", "files7>Holder"), _subclass_classes(lib)))
        loaded = lib.models.load_model(files["ours"][case], custom_objects=classes)
        original = swiftkeras.models.load_model(files["ours"][case], custom_objects=dict(
            zip(classes, _subclass_classes(swiftkeras))))
        np.testing.assert_allclose(np.asarray(loaded.predict(X, verbose=0)),
                                   original.predict(X, verbose=0), atol=1e-6)


@pytest.mark.parametrize("compile", [True, False])
def test_nested_model_is_compiled_on_load_as_in_keras(files, compile):
    """Keras compiles a nested model whose entry has a compile config (load_model's compile
    flag is the outer model's): its optimizer and loss, and its fit trains the weights the
    outer model predicts with, as Keras's."""
    x = np.linspace(-1, 1, 32, dtype=np.float32).reshape(8, 4)
    seen = {}
    for name in ("keras", "ours"):
        outer = _lib(name).models.load_model(files["keras"]["nested"], compile=compile)
        inner = outer.layers[0]
        history = inner.fit(x, x[:, :3], epochs=2, batch_size=8, shuffle=False, verbose=0)
        seen[name] = (inner.compiled, outer.compiled, type(inner.optimizer).__name__,
                      float(inner.optimizer.learning_rate), inner.loss,
                      history.history["loss"], np.asarray(outer.predict(x, verbose=0)))
    ours, keras = seen["ours"], seen["keras"]
    assert ours[:5] == keras[:5] == (True, False, "SGD", pytest.approx(0.05), "mae")
    np.testing.assert_allclose(ours[5], keras[5], rtol=1e-5)
    np.testing.assert_allclose(ours[6], keras[6], atol=1e-5)


def test_seed_generator_names_of_layers_holding_others_are_keras():
    """Keras names each SeedGenerator when it is made: Bidirectional makes its forward and
    backward layers again from the wrapped layer's config, RNN([cells]) draws with its cells',
    RandAugment, AugMix and RandomColorJitter make their own and then one per augmentation
    (RandomColorJitter: per factor given). Paths counted from a generator made just before."""
    seen = {}
    for name in ("keras", "ours"):
        lib = _lib(name)
        layers = lib.layers
        base = lib.random.SeedGenerator(0).name
        models = [
            lib.Sequential([lib.Input((3, 2)), layers.Bidirectional(layers.LSTM(2, dropout=0.1)), layers.Dropout(0.2)]),
            lib.Sequential([lib.Input((3, 2)), layers.Bidirectional(
                layers.GRU(2), backward_layer=layers.GRU(2, go_backwards=True)), layers.Dropout(0.2)]),
            lib.Sequential([lib.Input((3, 2)), layers.RNN([layers.LSTMCell(2, dropout=0.1), layers.GRUCell(2)]),
                            layers.Dropout(0.2)]),
            lib.Sequential([lib.Input((8, 8, 3)), layers.RandAugment(), layers.AugMix(all_ops=False), layers.AugMix(),
                            layers.RandomColorJitter(brightness_factor=0.2, hue_factor=0.1), layers.Dropout(0.2)])]
        seen[name] = [[_numbered(v.path, base) for v in model.variables if v.path.endswith("seed_generator_state")]
                      for model in models]
    assert seen["ours"] == seen["keras"]
    assert [len(paths) for paths in seen["keras"]] == [3, 3, 3, 10 + 6 + 10 + 3 + 1]
