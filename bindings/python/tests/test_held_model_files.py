"""Weight paths and files of models held by other models, against real Keras 3 (JAX):

- a model held by a Python layer or called in a functional model names its weights as Keras
  does (`seq/d1/kernel` for a Sequential built where it was made, `wrap/seq/d1/kernel` for one
  built at the layer's first call, `d1/kernel` for a loaded one), the outer model's and the
  inner model's before and after;
- a Sequential read from a config (load_model, model_from_json, from_config) names the weights
  of the layers Keras built as it read them from the root (`d1/kernel`), as Keras does;
- a `.keras` file written by real Keras of a functional or Sequential model nesting a registered
  subclassed model loads here with its class (the nested model is an instance of it), predicts
  and trains as Keras does, and the file written back loads in Keras, the class rebuilt there;
  its weights are named as Keras names them when it reads a file (`s1/kernel`, `head/kernel`:
  each layer built as read, outside any scope), as after `build_from_config`;
- a subclassed model never called, anywhere in a Sequential, is built as Keras builds it when
  the Sequential is (`outer/sub/s1/kernel`), and trains, predicts and saves as Keras's.
"""

import numpy as np
import pytest

from conftest import needs, real_keras

pytestmark = needs("keras_layer_builder_model_call", "keras_name_scope_open_root")

import swiftkeras  # noqa: E402

RNG = np.random.default_rng(11)
X = RNG.normal(size=(12, 3)).astype("float32")
Y = RNG.normal(size=(12, 2)).astype("float32")
KINDS = ["loaded", "sequential_input", "sequential_no_input", "subclassed"]
_CLASSES = {}


def _classes(lib):
    """(Sub, Wrap) of `lib`, defined once per library: a subclassed model registered as
    'held_files>Sub', and a layer calling the model it holds in `inner`."""
    if lib.__name__ in _CLASSES:
        return _CLASSES[lib.__name__]

    @lib.saving.register_keras_serializable(package="held_files")
    class Sub(lib.Model):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.d1 = lib.layers.Dense(units, activation="relu", name="s1")
            self.d2 = lib.layers.Dense(2, name="s2")

        def call(self, x):
            return self.d2(self.d1(x))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class Wrap(lib.layers.Layer):
        def __init__(self, inner=None, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")

        def call(self, x):
            return lib.ops.tanh(self.inner(x)) * self.scale

    _CLASSES[lib.__name__] = (Sub, Wrap)
    return Sub, Wrap


def _saved_sequential(tmp_path):
    keras = real_keras()
    path = str(tmp_path / "saved.keras")
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu", name="d1"),
                      keras.layers.Dense(2, name="d2")], name="saved").save(path)
    return path


def _inner(lib, kind, path):
    dense = [lib.layers.Dense(4, activation="relu", name="d1"), lib.layers.Dense(2, name="d2")]
    if kind == "loaded":
        return lib.models.load_model(path)
    if kind == "sequential_input":
        return lib.Sequential([lib.Input((3,))] + dense, name="seq")
    if kind == "sequential_no_input":
        return lib.Sequential(dense, name="seq")
    return _classes(lib)[0](name="sub")


def _paths(model):
    return [w.path for w in model.weights]


@pytest.mark.parametrize("how", ["held_by_a_layer", "called_in_a_functional_model"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_held_model_names_its_weights_as_keras(kind, how, tmp_path):
    path = _saved_sequential(tmp_path) if kind == "loaded" else None
    seen = []
    for lib in (real_keras(), swiftkeras):
        inner = _inner(lib, kind, path)
        # (an unbuilt model has no weights yet: Keras lists none)
        before = _paths(inner) if kind in ("loaded", "sequential_input") else None
        x = lib.Input((3,))
        y = _classes(lib)[1](inner, name="wrap")(x) if how == "held_by_a_layer" else inner(x)
        outer = lib.Model(x, lib.layers.Dense(2, name="head")(y), name="outer")
        seen.append((before, _paths(outer), _paths(inner)))
    ref, ours = seen
    assert ours == ref
    if kind == "loaded":   # not under the loaded model's name (`saved/d1/kernel`)
        assert ours[1][:2] in (["d1/kernel", "d1/bias"], ["wrap/scale", "d1/kernel"])


def test_a_sequential_read_from_a_config_names_weights_as_keras(tmp_path):
    seen = []
    for lib in (real_keras(), swiftkeras):
        tag = lib.__name__
        seq = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, name="d1"),
                              lib.layers.Dense(2, name="d2")], name="seq")
        x = lib.Input((3,))
        functional = lib.Model(x, lib.layers.Dense(2, name="head")(seq(x)), name="outer")
        stacked = lib.Sequential([lib.Input((3,)), seq, lib.layers.Dense(2, name="head")], name="outer_seq")
        functional.save(str(tmp_path / f"f_{tag}.keras"))
        stacked.save(str(tmp_path / f"s_{tag}.keras"))
        seen.append([_paths(seq), _paths(stacked),
                     _paths(lib.models.model_from_json(seq.to_json())),
                     _paths(lib.models.model_from_json(functional.to_json())),
                     _paths(lib.models.load_model(str(tmp_path / f"f_{tag}.keras"))),
                     _paths(lib.models.load_model(str(tmp_path / f"s_{tag}.keras"))),
                     _paths(lib.Sequential.from_config(stacked.get_config()))])
    ref, ours = seen
    assert ours == ref
    assert ours[0][0] == "seq/d1/kernel" and ours[2][0] == "d1/kernel"


def _close(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-5)


def _fit(model):
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0)


@pytest.mark.parametrize("outer", ["functional", "sequential"])
def test_a_keras_file_nesting_a_registered_subclassed_model_loads_trains_and_saves_back(outer, tmp_path):
    keras = real_keras()
    sub_ref, _ = _classes(keras)
    sub_ours, _ = _classes(swiftkeras)
    if outer == "functional":
        x = keras.Input((3,))
        written = keras.Model(x, keras.layers.Dense(2, name="head")(sub_ref(units=5, name="sub")(x)),
                              name="outer")
    else:
        written = keras.Sequential([keras.Input((3,)), sub_ref(units=5, name="sub"),
                                    keras.layers.Dense(2, name="head")], name="outer")
    path = str(tmp_path / "keras.keras")
    written.save(path)
    ref = keras.models.load_model(path)
    ours = swiftkeras.models.load_model(path)

    # The nested model is rebuilt by its class (registered here as in the user's code).
    nested = [l for l in ours.layers if isinstance(l, swiftkeras.Model)]
    assert len(nested) == 1 and isinstance(nested[0], sub_ours) and nested[0].units == 5
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in ref.layers]
    # Keras builds each layer as it reads it, outside any scope: `s1/kernel`, `head/kernel`.
    assert _paths(ours) == _paths(ref) and _paths(nested[0]) == _paths(ref.get_layer("sub"))
    assert _paths(ours)[0] == "s1/kernel"
    _close(ours.get_weights(), ref.get_weights())
    _close([ours.predict(X, verbose=0)], [ref.predict(X, verbose=0)])
    _close(nested[0].get_weights(), [l for l in ref.layers if isinstance(l, sub_ref)][0].get_weights())

    # It trains as Keras's does, the nested model's weights with it.
    before = [np.asarray(w) for w in nested[0].get_weights()]
    _fit(ref)
    _fit(ours)
    _close(ours.get_weights(), ref.get_weights())
    assert not np.allclose(before[0], nested[0].get_weights()[0])

    # Our file loads in Keras, the class rebuilt there, with our numbers.
    back = str(tmp_path / "ours.keras")
    ours.save(back)
    again = keras.models.load_model(back)
    assert any(isinstance(l, sub_ref) for l in again.layers)
    _close(again.get_weights(), ours.get_weights())
    _close([again.predict(X, verbose=0)], [ours.predict(X, verbose=0)])
    # ... and here, named as Keras names the weights of the file it reads.
    mine = swiftkeras.models.load_model(back)
    _close([mine.predict(X, verbose=0)], [ours.predict(X, verbose=0)])
    assert _paths(mine) == _paths(again)


def test_a_sequential_made_with_an_unbuilt_subclassed_model_after_its_input_is_keras(tmp_path):
    """`Sequential([Input, Sub(), Dense])` with Sub never called: Keras builds Sub for the
    Input's shape inside the Sequential's name scope (`outer/sub/s1/kernel`); here too, and
    with the same weights it trains, predicts and saves as Keras's."""
    keras = real_keras()
    models = []
    for lib in (swiftkeras, keras):
        sub, _ = _classes(lib)
        models.append(lib.Sequential([lib.Input((3,)), sub(units=5, name="sub"),
                                      lib.layers.Dense(2, name="head")], name="outer"))
    ours, ref = models
    assert _paths(ours) == _paths(ref) and _paths(ours.layers[0]) == _paths(ref.layers[0])
    ours.set_weights(ref.get_weights())
    _close([ours.predict(X, verbose=0)], [ref.predict(X, verbose=0)])
    _fit(ref)
    _fit(ours)
    _close(ours.get_weights(), ref.get_weights())
    path = str(tmp_path / "ours.keras")
    ours.save(path)
    _close([keras.models.load_model(path).predict(X, verbose=0)], [ours.predict(X, verbose=0)])


def test_a_subclassed_model_built_from_its_build_config_names_weights_as_keras(tmp_path):
    """Keras's `build_from_config` (and so loading a `.keras` file of the model) runs the call
    of a subclassed model without a `build` of its own outside its name scope (`s1/kernel`);
    a call builds it in its scope (`sub/s1/kernel`). Either way, in a functional model after."""
    seen = []
    for lib in (real_keras(), swiftkeras):
        sub, _ = _classes(lib)
        called = sub(name="sub")
        called(X)
        from_config = sub(name="sub")
        from_config.build_from_config({"input_shape": [None, 3]})
        x = lib.Input((3,))
        outer = lib.Model(x, lib.layers.Dense(2, name="head")(from_config(x)))
        called.save(str(tmp_path / f"{lib.__name__}.keras"))
        loaded = lib.models.load_model(str(tmp_path / f"{lib.__name__}.keras"))
        seen.append([_paths(called), _paths(from_config), _paths(outer), _paths(loaded)])
    ref, ours = seen
    assert ours == ref
    assert ours[0][0] == "sub/s1/kernel" and ours[1][0] == "s1/kernel"


def _stack(lib, where, with_input):
    sub, _ = _classes(lib)
    layers = [lib.layers.Dense(3, activation="tanh", name="d0"), sub(units=5, name="sub"),
              lib.layers.Dense(2, name="head")]
    if where == "last":
        layers = [layers[0], layers[2], sub(units=5, name="sub")]
    return lib.Sequential(([lib.Input((3,))] if with_input else []) + layers, name="outer")


@pytest.mark.parametrize("built_by", ["input", "build", "call", "fit"])
@pytest.mark.parametrize("where", ["middle", "last"])
def test_a_never_called_subclassed_model_after_other_layers_of_a_sequential_is_keras(
        where, built_by, tmp_path):
    """`Sequential([Dense, Sub(), Dense])` with Sub never called, after other layers: Keras
    builds Sub for the output of the layers before it, in the Sequential's scope, when the
    Sequential is built (as it is made with an Input, by build, its first call or fit). Same
    weight paths and names here; with Keras's weights, the same predictions, training and file."""
    keras = real_keras()
    models = []
    for lib in (keras, swiftkeras):
        model = _stack(lib, where, built_by == "input")
        if built_by == "build":
            model.build((None, 3))
        elif built_by == "call":
            model(X[:2])
        elif built_by == "fit":
            model.compile(optimizer="sgd", loss="mse")
            model.fit(X, Y, epochs=1, batch_size=4, verbose=0)
        models.append(model)
    ref, ours = models
    assert _paths(ours) == _paths(ref) and [w.name for w in ours.weights] == [w.name for w in ref.weights]
    assert "outer/sub/s1/kernel" in _paths(ours)
    sub_ref, sub_ours = ref.get_layer("sub"), ours.get_layer("sub")
    assert _paths(sub_ours) == _paths(sub_ref) and isinstance(sub_ours, _classes(swiftkeras)[0])
    ours.set_weights(ref.get_weights())
    _close([ours.predict(X, verbose=0)], [ref.predict(X, verbose=0)])
    for model in (ref, ours):
        _fit(model)
    _close(ours.get_weights(), ref.get_weights())
    path = str(tmp_path / "ours.keras")
    ours.save(path)
    theirs = keras.models.load_model(path)
    _close([theirs.predict(X, verbose=0)], [ours.predict(X, verbose=0)])
    mine = swiftkeras.models.load_model(path)
    _close([mine.predict(X, verbose=0)], [ours.predict(X, verbose=0)])
    assert _paths(mine) == _paths(theirs)


def _shared_object_models(lib):
    """Models whose `.keras` file Keras writes with `shared_object_id` marks (an object it
    serializes twice in one file is marked, by its Python id, in each place): one regularizer
    and one initializer object given to two layers, and a Sequential called twice in a
    functional model (its dtype policies)."""
    reg, init = lib.regularizers.L2(0.1), lib.initializers.Constant(0.3)
    shared = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, kernel_initializer=init,
                                                               kernel_regularizer=reg, name="e1"),
                             lib.layers.Dense(2, kernel_initializer=init, kernel_regularizer=reg,
                                              name="e2")], name="enc")
    p, q = lib.Input((3,), name="p"), lib.Input((3,), name="q")
    return lib.Model([p, q], lib.layers.Add(name="add")([shared(p), shared(q)]), name="siamese")


def _marked(value):
    if isinstance(value, dict):
        return ("shared_object_id" in value) + sum(_marked(v) for v in value.values())
    return sum(_marked(v) for v in value) if isinstance(value, list) else 0


def test_keras_files_with_shared_object_ids_load_and_ours_load_in_keras(tmp_path):
    """Keras's `shared_object_id` marks hold the Python id of an object serialized twice, so
    its loading makes that object once; here each marked copy is read as the object it
    describes (a regularizer, an initializer, a dtype policy: the same values either way; a
    layer shared across nested models Keras cannot load back itself). Keras's file loads here
    with its weights, losses and predictions; this library's file (without marks) loads in
    Keras with the same."""
    import json
    import zipfile
    keras = real_keras()
    ref = _shared_object_models(keras)
    ref.save(tmp_path / "theirs.keras")
    assert _marked(json.loads(zipfile.ZipFile(tmp_path / "theirs.keras").read("config.json"))) >= 2
    inputs, y = [X, X[::-1].copy()], Y
    ours = swiftkeras.models.load_model(tmp_path / "theirs.keras")
    assert _paths(ours) == _paths(keras.models.load_model(tmp_path / "theirs.keras"))
    _close([ours.predict(inputs, verbose=0)], [ref.predict(inputs, verbose=0)])
    for model in (ours, ref):
        model.compile(optimizer="sgd", loss="mse", run_eagerly=model is ref)   # (Keras: no jit)
    expected = ref.evaluate(inputs, y, verbose=0)   # the mse and both kernel penalties
    assert ours.evaluate(inputs, y, verbose=0) == pytest.approx(expected, rel=1e-5)
    ours.save(tmp_path / "ours.keras")
    back = keras.models.load_model(tmp_path / "ours.keras")
    back.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    assert back.evaluate(inputs, y, verbose=0) == pytest.approx(expected, rel=1e-5)
