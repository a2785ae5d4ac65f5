"""A SeedGenerator's state as Keras 3 keeps it: the variable `<name>/seed_generator_state`
(uint32, shape (2,), [seed, counter], not trainable) of the layer holding the generator, in its
`variables` and `non_trainable_variables` but not its weights, moving on by one at each draw a
step makes (a traced layer's, in the library), and not saved in `.keras` or `.weights.h5` files,
so that files pass between this library and real Keras in both directions."""

import zipfile

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op",
                   "keras_model_seed_generator_count")


def noisy_class(lib):
    """A layer holding a named SeedGenerator: one draw per inference step, two per training step."""

    class Noisy(lib.layers.Layer):
        def __init__(self, seed=7, **kwargs):
            super().__init__(**kwargs)
            self.seed = seed
            self.seed_generator = lib.random.SeedGenerator(seed, name="noise_gen")

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x, training=False):
            noise = lib.random.normal(lib.ops.shape(x), seed=self.seed_generator)
            if training:
                noise = noise + lib.random.uniform(lib.ops.shape(x), seed=self.seed_generator)
            return x * self.w + 0.01 * noise

        def get_config(self):
            return {**super().get_config(), "seed": self.seed}

    return Noisy


def model_of(lib, noisy=None):
    noisy = noisy or noisy_class(lib)
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, name="dense"),
                           lib.layers.Dropout(0.5, seed=3, name="dropout"), noisy(name="noisy")])


def _state(model):
    (v,) = [v for v in model.variables if v.path.endswith("seed_generator_state")
            and v.path.startswith("noise_gen")]
    return np.asarray(v.numpy()).tolist()


def _describe(variables):
    return [(v.path, str(v.dtype), tuple(v.shape), bool(v.trainable)) for v in variables
            if "seed_generator" in v.path and v.path.startswith("noise_gen")]


def test_the_state_is_a_variable_where_keras_has_it_and_advances_as_keras_does():
    x, y = np.ones((8, 3), np.float32), np.ones((8, 4), np.float32)
    states = {}
    for name, lib in (("ours", sk), ("keras", keras)):
        model = model_of(lib)
        model.compile(lib.optimizers.SGD(0.01), "mse")
        noisy = model.layers[-1]
        seen = [_state(model)]
        model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)       # 2 steps x 2 draws
        seen.append(_state(model))
        model.predict(x, batch_size=4, verbose=0)                               # 2 steps x 1 draw
        seen.append(_state(model))
        model.evaluate(x, y, batch_size=4, verbose=0)
        seen.append(_state(model))
        states[name] = {
            "seen": seen,
            "variables": _describe(noisy.variables),
            "non_trainable_variables": _describe(noisy.non_trainable_variables),
            "model_non_trainable": _describe(model.non_trainable_variables),
            "position": [v.path.split("/")[-1] for v in noisy.variables],
            "weights": [v.path for v in noisy.weights + noisy.non_trainable_weights + model.weights
                        if "seed" in v.path],
            "generator_state": (noisy.seed_generator.state.path, str(noisy.seed_generator.state.dtype),
                                np.asarray(noisy.seed_generator.state.value).tolist()),
        }
    assert states["ours"] == states["keras"]
    assert states["ours"]["seen"] == [[7, 0], [7, 4], [7, 6], [7, 8]]
    assert states["ours"]["variables"] == [("noise_gen/seed_generator_state", "uint32", (2,), False)]
    assert states["ours"]["position"] == ["w", "seed_generator_state"]


def test_the_state_keys_the_draws_and_can_be_assigned():
    model = model_of(sk)
    x = np.zeros((4, 3), np.float32)
    model.set_weights([np.zeros_like(w) for w in model.get_weights()])
    state = model.layers[-1].seed_generator.state
    first = model.predict(x, verbose=0)
    assert np.asarray(state.numpy()).tolist() == [7, 1]
    assert not np.allclose(model.predict(x, verbose=0), first)
    state.assign([7, 0])                         # back to the first draw: the same noise
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)
    state.assign(np.array([8, 0], np.uint32))    # another seed: other noise
    assert not np.allclose(model.predict(x, verbose=0), first)
    assert np.asarray(state.numpy()).tolist() == [8, 1]
    with pytest.raises(ValueError, match="must match"):
        state.assign([1, 2, 3])


def _h5_layout(path):
    import h5py
    items = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: items.append(
            (name, tuple(obj.shape), str(obj.dtype)) if hasattr(obj, "shape") else (name,)))
    return sorted(i for i in items if not i[0].startswith("optimizer"))


def _model_weights_h5(keras_path, out):
    with zipfile.ZipFile(keras_path) as z:
        out.write_bytes(z.read("model.weights.h5"))
    return out


def test_files_hold_no_state_as_keras_files_and_pass_both_ways(tmp_path):
    x, y = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32), np.ones((8, 4), np.float32)
    ours, ref = model_of(sk), model_of(keras)
    ref.set_weights(ours.get_weights())
    for model, lib in ((ours, sk), (ref, keras)):
        model.compile(lib.optimizers.SGD(0.01), "mse")
        model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    ours.save(tmp_path / "ours.keras")
    ours.save_weights(tmp_path / "ours.weights.h5")
    ref.save(tmp_path / "ref.keras")
    ref.save_weights(tmp_path / "ref.weights.h5")
    layout = _h5_layout(_model_weights_h5(tmp_path / "ref.keras", tmp_path / "ref_model.h5"))
    assert _h5_layout(_model_weights_h5(tmp_path / "ours.keras", tmp_path / "ours_model.h5")) == layout
    assert _h5_layout(tmp_path / "ours.weights.h5") == _h5_layout(tmp_path / "ref.weights.h5") == layout
    assert not [i for i in layout if "seed" in i[0]]

    # Ours in real Keras: the weights, and the generator starting again from its seed.
    in_keras = keras.saving.load_model(tmp_path / "ours.keras", custom_objects={"Noisy": noisy_class(keras)})
    for a, b in zip(in_keras.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(np.asarray(a), b)
    assert _state(in_keras) == [7, 0]
    # Keras's here: the same, and the loaded layer trains natively, its state advancing.
    here = sk.saving.load_model(tmp_path / "ref.keras", custom_objects={"Noisy": noisy_class(sk)})
    for a, b in zip(here.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    assert _state(here) == [7, 0]
    here.compile(sk.optimizers.SGD(0.01), "mse")
    here.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert _state(here) == [7, 4]
    # .weights.h5 both ways.
    fresh_ref = model_of(keras)
    fresh_ref.load_weights(tmp_path / "ours.weights.h5")
    fresh = model_of(sk)
    fresh.load_weights(tmp_path / "ref.weights.h5")
    for a, b in zip(fresh.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, np.asarray(b))
    for a, b in zip(fresh_ref.get_weights(), ours.get_weights()):
        np.testing.assert_array_equal(np.asarray(a), b)


@pytest.mark.parametrize("layer", ["Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                                   "SpatialDropout1D"])
def test_built_in_noise_layers_keep_and_save_their_generator_as_keras(tmp_path, layer):
    args = {"Dropout": (0.3,), "GaussianNoise": (0.2,), "GaussianDropout": (0.2,), "AlphaDropout": (0.2,),
            "SpatialDropout1D": (0.3,)}[layer]
    seen = {}
    for name, lib in (("ours", sk), ("keras", keras)):
        model = lib.Sequential([lib.Input((4, 3)), getattr(lib.layers, layer)(*args, seed=5, name="noise"),
                                lib.layers.Dense(2, name="dense")])
        model.compile(lib.optimizers.SGD(0.01), "mse")
        x, y = np.ones((8, 4, 3), np.float32), np.ones((8, 4, 2), np.float32)
        model.fit(x, y, batch_size=4, verbose=0)          # two training calls: two draws
        model.predict(x, batch_size=4, verbose=0)         # none
        noise = model.layers[0]
        model.save(tmp_path / f"{name}.keras")
        seen[name] = {
            "layout": _h5_layout(_model_weights_h5(tmp_path / f"{name}.keras", tmp_path / f"{name}.h5")),
            "variables": [(v.path.split("/")[-1], str(v.dtype), tuple(v.shape), v.trainable,
                           np.asarray(v.numpy()).tolist()) for v in noise.variables],
            "model_non_trainable": [v.path.split("/")[-1] for v in model.non_trainable_variables],
            "weights": [v.path for v in noise.weights + model.weights if "seed" in v.path],
            "state": np.asarray(noise.seed_generator.state.numpy()).tolist(),
        }
    assert seen["ours"] == seen["keras"]
    assert seen["ours"]["state"] == [5, 2]
    loaded = keras.saving.load_model(tmp_path / "ours.keras")
    assert loaded.layers[0].weights == []
    # The state keys the draws: wound back, a training call repeats its noise.
    model = sk.Sequential([sk.Input((4, 3)), getattr(sk.layers, layer)(*args, seed=5)])
    x = np.random.default_rng(1).normal(size=(3, 4, 3)).astype(np.float32)
    first = model(x, training=True)
    model.layers[0].seed_generator.state.assign([5, 0])
    np.testing.assert_array_equal(model(x, training=True), first)


def test_a_subclassed_models_own_generator_is_among_its_variables():
    def make(lib):
        class Noisy(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.dense = lib.layers.Dense(4)
                self.generator = lib.random.SeedGenerator(5, name="model_gen")

            def call(self, x):
                return lib.random.dropout(self.dense(x), 0.5, seed=self.generator)
        return Noisy()

    seen = {}
    for name, lib in (("ours", sk), ("keras", keras)):
        model = make(lib)
        model.compile(lib.optimizers.SGD(0.01), "mse")
        model.fit(np.ones((8, 3), np.float32), np.ones((8, 4), np.float32), batch_size=4, verbose=0)
        seen[name] = ([v.path.split("/")[-1] for v in model.variables],
                      [np.asarray(v.numpy()).tolist() for v in model.non_trainable_variables],
                      np.asarray(model.generator.state.numpy()).tolist())
    assert seen["ours"] == seen["keras"]
    assert seen["ours"][2] == [5, 2]


NOISE_LAYERS = [("Dropout", {"rate": 0.5}), ("GaussianNoise", {"stddev": 1.0}),
                ("GaussianDropout", {"rate": 0.5}), ("AlphaDropout", {"rate": 0.5})]


@pytest.mark.parametrize("name,args", NOISE_LAYERS)
@pytest.mark.parametrize("alone", [True, False])
def test_a_noise_layer_called_directly_in_training_moves_its_generator_on(name, args, alone):
    """`layer(x, training=True)` on arrays, alone or a layer of a model: each call draws at the
    generator's state, which moves on by one as in Keras (two calls draw differently);
    `training=False` returns x and leaves the state alone."""
    x = np.linspace(0.5, 2.0, 48, dtype=np.float32).reshape(4, 12)
    states, outs = {}, {}
    for lib in (sk, keras):
        layer = getattr(lib.layers, name)(seed=5, **args)
        if not alone:
            lib.Sequential([lib.Input((12,)), lib.layers.Dense(12), layer])
        seen = []
        for training in (True, True, False):
            out = np.asarray(layer(x, training=training))
            seen.append(np.asarray(layer.seed_generator.state).tolist())
            if lib is sk:
                outs[training] = outs.get(training, []) + [out]
        states[lib] = seen
    assert states[sk] == states[keras] == [[5, 1], [5, 2], [5, 2]]
    first, second = outs[True]
    assert not np.allclose(first, second), "two training calls draw differently"
    np.testing.assert_array_equal(outs[False][0], x)


def test_state_tree_holds_the_generators_states_as_keras():
    """get_state_tree's non_trainable_variables: the seed generators' states (and the
    non-trainable weights) by path, as Keras's; set_state_tree assigns a state."""
    x = np.linspace(-1, 1, 48, dtype=np.float32).reshape(8, 6)
    y = np.linspace(0, 1, 24, dtype=np.float32).reshape(8, 3)
    trees = {}
    for lib in (sk, keras):
        lib.backend.clear_session()   # generators numbered from the same start (key order)
        model = lib.Sequential([lib.Input((6,)), lib.layers.Dense(3), lib.layers.Dropout(0.5, seed=4),
                                lib.layers.BatchNormalization(), lib.layers.GaussianNoise(0.1, seed=2)],
                               name="stack")
        model.compile("sgd", "mse")
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
        trees[lib] = (model, model.get_state_tree())

    def layout(tree):
        """The tree's keys and leaves' dtypes and shapes, a generator's numbered name (which
        counts the process's earlier generators, in each library) as its place among them."""
        order = iter(range(len(tree)))
        return {("seed_generator", next(order)) if k.startswith("seed_generator") else k:
                layout(v) if isinstance(v, dict) else (np.asarray(v).dtype.name, np.shape(v))
                for k, v in tree.items()}
    (ours, tree), (_, ref_tree) = trees[sk], trees[keras]
    for part in ("trainable_variables", "non_trainable_variables"):
        assert layout(tree[part]) == layout(ref_tree[part]), part
    states = [np.asarray(v["seed_generator_state"]).tolist()
              for v in tree["non_trainable_variables"].values() if "seed_generator_state" in v]
    ref_states = [np.asarray(v["seed_generator_state"]).tolist()
                  for v in ref_tree["non_trainable_variables"].values() if "seed_generator_state" in v]
    assert states == ref_states and len(states) == 2
    name = [k for k in tree["non_trainable_variables"] if k.startswith("seed_generator")][0]
    tree["non_trainable_variables"][name]["seed_generator_state"] = np.array([9, 40], np.uint32)
    ours.set_state_tree(tree)
    assert ours.get_state_tree()["non_trainable_variables"][name]["seed_generator_state"].tolist() == [9, 40]


def _generic(path):
    """A generator's path without its process-wide number (seed_generator_7/...)."""
    import re
    return re.sub(r"^seed_generator_\d+/", "seed_generator/", path)


DRAWING_LAYERS = {
    "SimpleRNN": (lambda L: L.SimpleRNN(3, dropout=0.3, seed=2), (5, 4)),
    "LSTM": (lambda L: L.LSTM(3, dropout=0.2, recurrent_dropout=0.1, seed=3), (5, 4)),
    "GRU": (lambda L: L.GRU(3, seed=4), (5, 4)),   # no dropout: a generator that stays put
    "Bidirectional": (lambda L: L.Bidirectional(L.LSTM(2, dropout=0.2, seed=5)), (5, 4)),
    "StackedRNN": (lambda L: L.RNN([L.LSTMCell(3, dropout=0.2, seed=6), L.GRUCell(2, recurrent_dropout=0.3, seed=7)]),
                   (5, 4)),
    "ConvLSTM1D": (lambda L: L.ConvLSTM1D(2, 3, dropout=0.2, seed=8), (3, 6, 2)),
    "RandomFlip": (lambda L: L.RandomFlip(seed=9), (6, 6, 2)),
    "RandomRotation": (lambda L: L.RandomRotation(0.1, seed=10), (6, 6, 2)),
    "RandomZoom": (lambda L: L.RandomZoom(0.1, 0.2, seed=11), (6, 6, 2)),
    "RandomZoomHeight": (lambda L: L.RandomZoom(0.1, seed=12), (6, 6, 2)),
    "RandomTranslation": (lambda L: L.RandomTranslation(0.1, 0.1, seed=13), (6, 6, 2)),
    "RandomContrast": (lambda L: L.RandomContrast(0.2, seed=14), (6, 6, 2)),
    "RandomBrightness": (lambda L: L.RandomBrightness(0.1, seed=15), (6, 6, 2)),
    "RandomCrop": (lambda L: L.RandomCrop(4, 4, seed=16), (6, 6, 2)),
    "RandomShear": (lambda L: L.RandomShear(0.1, 0.2, seed=17), (6, 6, 2)),
    "RandomGaussianBlur": (lambda L: L.RandomGaussianBlur(seed=18), (6, 6, 2)),
    "RandomErasing": (lambda L: L.RandomErasing(seed=19), (6, 6, 2)),
    "RandomErasingFilled": (lambda L: L.RandomErasing(fill_value=3.0, seed=20), (6, 6, 2)),
    "MixUp": (lambda L: L.MixUp(seed=21), (6, 6, 2)),   # draws at inference too, as Keras
    "CutMix": (lambda L: L.CutMix(seed=22), (6, 6, 2)),
    "RandomPerspective": (lambda L: L.RandomPerspective(seed=23), (6, 6, 2)),
}


@pytest.mark.parametrize("name", sorted(DRAWING_LAYERS))
def test_recurrent_and_augmentation_layers_hold_generators_as_keras(name, tmp_path):
    """Recurrent layers (a generator per cell) and the random augmentations list a
    SeedGenerator's state in their variables as Keras does, and it moves on as Keras's: a
    recurrent cell draws each of its dropout masks at every call, in inference too (where
    Keras draws and discards them), an augmentation draws at each training call only; the
    weights files hold no state, as Keras's."""
    make, shape = DRAWING_LAYERS[name]
    x = np.linspace(-1, 1, 8 * int(np.prod(shape)), dtype=np.float32).reshape((8,) + shape)
    found = {}
    for lib in (sk, keras):
        layer = make(lib.layers)
        pool = lib.layers.GlobalAveragePooling2D() if name.startswith("Random") else lib.layers.Flatten()
        model = lib.Sequential([lib.Input(shape), layer, pool, lib.layers.Dense(1)])
        model.compile(lib.optimizers.SGD(0.01), "mse")
        model.fit(x, np.ones((8, 1), np.float32), batch_size=4, epochs=1, verbose=0, shuffle=False)
        model.predict(x, verbose=0)
        listed = [_generic(v.path) for v in layer.non_trainable_variables]
        states = [np.asarray(v.numpy() if hasattr(v, "numpy") else v).tolist()
                  for v in layer.non_trainable_variables if v.path.endswith("seed_generator_state")]
        if name == "SimpleRNN":   # an unseeded generator: its seed is drawn; its counter compared
            states = [s[1] for s in states]
        model.save_weights(tmp_path / f"{lib.__name__}.weights.h5")
        found[lib] = (listed, states, [_generic(v.path) for v in model.variables if v.path.endswith("_state")])
    assert found[sk] == found[keras]
    import re

    def unnumbered(path):   # layer names count the process's earlier layers, in each library
        return sorted((re.sub(r"_\d+(?=/|$)", "", i[0]),) + i[1:] for i in _h5_layout(path))
    assert unnumbered(tmp_path / "swiftkeras.weights.h5") == unnumbered(tmp_path / "keras.weights.h5")


def _blocks(lib):
    """A layer written in Python holding one that holds Dense, BatchNormalization, a Dropout and
    a SeedGenerator of its own, and a Dropout of its own (Keras's nested blocks)."""
    class Block(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(4, name="dense")   # (named: the counters differ)
            self.bn = lib.layers.BatchNormalization(name="batch_normalization")
            self.drop = lib.layers.Dropout(0.5, seed=1, name="dropout")
            self.gen = lib.random.SeedGenerator(3)

        def call(self, x, training=None):
            x = self.drop(self.bn(self.dense(x), training=training), training=training)
            return x + 0.0 * lib.random.normal(lib.ops.shape(x), seed=self.gen)

    class Outer(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.block = Block(name="inner_block")
            self.drop2 = lib.layers.Dropout(0.2, seed=2, name="dropout")

        def call(self, x, training=None):
            return self.drop2(self.block(x, training=training), training=training)
    return Outer


def test_generators_of_layers_nested_in_python_layers_are_listed_as_keras():
    """The Dropouts held by layers written in Python (at any depth) are among the model's and
    the layers' `variables` and `non_trainable_variables` where Keras lists them: each layer's
    own weights, its own generators' states, then its sublayers' (the BatchNormalization's moving
    statistics between the block's generator and its Dropout's), and their states move on once
    per step as Keras's: the block's own generator too, which the nested trace draws from (the
    trace's probe evaluations of the nested layer drew four numbers from it at build). (The
    generators' automatic names: compared by place here, by name in
    test_generator_names_are_keras_construction_order.)"""
    x = np.random.RandomState(0).normal(size=(8, 3)).astype(np.float32)
    seen = {}
    for name, lib in (("ours", sk), ("keras", keras)):
        inputs = lib.Input((3,))
        model = lib.Model(inputs, lib.layers.Dense(1, name="head")(_blocks(lib)(name="outer")(inputs)))
        model.compile(lib.optimizers.SGD(0.01), "mse")
        model.fit(x, x[:, :1], epochs=1, batch_size=4, shuffle=False, verbose=0)   # 2 steps
        outer = model.get_layer("outer")

        def place(variables):
            return [("<generator>" if v.path.endswith("/seed_generator_state") else v.path,
                     tuple(v.shape), bool(v.trainable)) for v in variables]
        seen[name] = {
            "model_variables": place(model.variables),
            "model_non_trainable": place(model.non_trainable_variables),
            "outer_non_trainable": place(outer.non_trainable_variables),
            "block_non_trainable": place(outer.block.non_trainable_variables),
            "block_weights": [v.path for v in outer.block.non_trainable_weights],
            "states": [np.asarray(v.numpy()).tolist() for v in model.non_trainable_variables
                       if v.path.endswith("seed_generator_state")],
            "block_state": np.asarray(outer.block.gen.state.numpy()).tolist(),
        }
    assert seen["ours"] == seen["keras"]
    assert seen["ours"]["states"] == [[3, 2], [1, 2], [2, 2]]
    assert seen["ours"]["block_state"] == [3, 2]
    assert [p for p, _, _ in seen["ours"]["block_non_trainable"]] == [
        "<generator>", "outer/inner_block/batch_normalization/moving_mean",
        "outer/inner_block/batch_normalization/moving_variance", "<generator>"]


def _numbered(name, base):
    """seed_generator_<n> as its place after the generator `base` made just before."""
    def count(n):
        tail = n.rsplit("_", 1)[-1]
        return int(tail) if n != "seed_generator" and tail.isdigit() else 0
    head, _, rest = name.partition("/")
    return (f"<+{count(head) - count(base)}>" if head.startswith("seed_generator") else head) + \
        ("/" + rest if rest else "")


def test_generator_names_are_keras_construction_order():
    """Keras names a SeedGenerator when it is made (seed_generator_<n>, the process's count):
    a built-in layer's in its constructor, a Python layer's own in its __init__. The library
    makes the built-in layers' at build, where they were numbered: each is named as Keras names
    it, counted from a generator made just before in each library (the processes' counts
    differ), in the model's and the layers' variables and non_trainable_variables."""
    def make(lib):
        class Jitter(lib.layers.Layer):   # a layer written in Python, with a generator of its own
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.gen = lib.random.SeedGenerator(3)

            def call(self, x, training=None):
                return x + 0.01 * lib.random.normal(lib.ops.shape(x), seed=self.gen)

        base = lib.random.SeedGenerator(0).name
        inputs = lib.Input((4, 4, 2))
        h = lib.layers.RandomFlip(seed=4, name="flip")(inputs)
        h = lib.layers.Flatten(name="flatten")(h)
        h = lib.layers.Dropout(0.2, name="drop")(h)
        h = lib.layers.Dropout(0.0, name="no_drop")(h)   # (makes no generator, as Keras)
        h = Jitter(name="jitter")(h)
        h = lib.layers.GaussianNoise(0.1, seed=2, name="noise")(h)
        return base, lib.Model(inputs, lib.layers.Dense(2, name="head")(h))

    seen = {}
    for lib in (sk, keras):
        base, model = make(lib)
        names = {}
        for what in ("variables", "non_trainable_variables"):
            names["model_" + what] = [_numbered(v.path, base) for v in getattr(model, what)]
            for layer in ("flip", "drop", "jitter", "noise"):
                names[f"{layer}_{what}"] = [_numbered(v.path, base)
                                            for v in getattr(model.get_layer(layer), what)]
        names["attribute"] = [_numbered(model.get_layer("drop").seed_generator.name, base),
                              _numbered(model.get_layer("flip").generator.name, base)]
        seen[lib.__name__] = names
    assert seen["swiftkeras"] == seen["keras"]
    assert seen["keras"]["model_non_trainable_variables"] == [
        f"<+{k}>/seed_generator_state" for k in (1, 2, 3, 4)]


def test_a_generator_two_python_layers_deep_in_a_subclassed_model_is_listed_as_keras():
    """A subclassed model holding a layer written in Python that holds one with a SeedGenerator
    (drawing in training only) and a Dense: `variables` and `non_trainable_variables` as Keras's
    (listing them recursed without end: the traced layer's reference back to its model was taken
    for a sublayer), and the state after two steps as Keras's, the build drawing nothing."""
    def make(lib):
        class Noisy(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.gen = lib.random.SeedGenerator(3)

            def call(self, x, training=None):
                if training:
                    return x + lib.random.normal(lib.ops.shape(x), seed=self.gen)
                return x

        class Holder(lib.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.noisy = Noisy()
                self.dense = lib.layers.Dense(3, name="dense")

            def call(self, x, training=None):
                return self.dense(self.noisy(x, training=training))

        class Net(lib.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.holder = Holder(name="holder")

            def call(self, x, training=None):
                return self.holder(x, training=training)
        base = lib.random.SeedGenerator(0).name
        return base, Net(name="net")

    x = np.random.RandomState(0).normal(size=(8, 4)).astype(np.float32)
    seen = {}
    for lib in (sk, keras):
        base, model = make(lib)
        model(x[:2])
        seen[lib.__name__] = {
            "variables": [_numbered(v.path, base) for v in model.variables],
            "non_trainable": [_numbered(v.path, base) for v in model.non_trainable_variables],
            "built": [np.asarray(v.numpy()).tolist() for v in model.non_trainable_variables]}
        model.compile(lib.optimizers.SGD(0.01), "mse")
        model.fit(x, np.zeros((8, 3), np.float32), batch_size=4, epochs=1, shuffle=False, verbose=0)
        seen[lib.__name__]["fit"] = [np.asarray(v.numpy()).tolist() for v in model.non_trainable_variables]
    assert seen["swiftkeras"] == seen["keras"]
    assert seen["keras"]["variables"] == ["<+1>/seed_generator_state", "net/holder/dense/kernel",
                                          "net/holder/dense/bias"]
    assert seen["keras"]["fit"] == [[3, 2]]
