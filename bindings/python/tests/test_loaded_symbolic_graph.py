"""A functional model the library made from a config (`load_model` of a `.keras` or `.h5` file
either library wrote, `model_from_json`, `Model.from_config`) has Keras's symbolic graph:
`model.input` / `output` / `inputs` / `outputs`, every `layer.input` / `layer.output` (a
Sequential's too), so feature-extraction code runs on it as in Keras: the new model holds the
loaded layers themselves (training either one moves the other's weights), predicts, trains and
saves like Keras's, and its config is Keras's node by node. Numbers against real Keras 3 from
the same file."""

import json

import numpy as np
import pytest

from conftest import needs, real_keras

pytestmark = needs("keras_model_from_json_sharing_layers")

import swiftkeras  # noqa: E402

RNG = np.random.default_rng(16)
X = RNG.normal(size=(12, 4)).astype("float32")
Y = RNG.normal(size=(12, 2)).astype("float32")


def _close(a, b, what=""):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5, err_msg=what)


def _all_close(ours, ref, what=""):
    assert len(ours) == len(ref), what
    for a, b in zip(ours, ref):
        _close(a, b, what)


def _mlp(lib):
    x = lib.Input((4,), name="features")
    h = lib.layers.Dense(6, activation="tanh", name="hidden")(x)
    h = lib.layers.Dense(5, activation="relu", name="inner")(h)
    return lib.Model(x, lib.layers.Dense(2, name="head")(h), name="mlp")


def _drawn_weights(model, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(scale=0.5, size=np.shape(w)).astype("float32") for w in model.get_weights()]


def _saved(tmp_path, make, writer, suffix=".keras", seed=3):
    """`make(writer)` with drawn weights, saved by `writer` (swiftkeras or Keras)."""
    model = make(writer)
    model.set_weights(_drawn_weights(model, seed))
    path = str(tmp_path / f"{writer.__name__}{suffix}")
    model.save(path)
    return path


def _both_loaded(path):
    keras = real_keras()
    return swiftkeras.models.load_model(path), keras.models.load_model(path)


def _shape(t):
    return tuple(t.shape)


def _skeleton(config):
    """A functional config's graph: each layer's name, class and calls (the tensors each reads,
    with their call's keyword arguments), and the input and output layers (a single reference
    as a list of one)."""
    config = json.loads(json.dumps(config))

    def refs(value):
        return [value] if value and isinstance(value[0], str) else value

    def node(n):
        def strip(v):
            if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__":
                return v["config"]["keras_history"]
            if isinstance(v, dict):
                return {k: strip(x) for k, x in v.items()}
            if isinstance(v, list):
                return [strip(x) for x in v]
            return v
        return strip(n)

    return ([(e["name"], e["class_name"], [node(n) for n in e["inbound_nodes"]])
             for e in config["layers"]], refs(config["input_layers"]), refs(config["output_layers"]))


@pytest.mark.parametrize("writer,suffix", [("swiftkeras", ".keras"), ("keras", ".keras"),
                                           ("keras", ".h5")])
def test_loaded_functional_model_has_keras_symbolic_graph(tmp_path, writer, suffix):
    lib = swiftkeras if writer == "swiftkeras" else real_keras()
    ours, ref = _both_loaded(_saved(tmp_path, _mlp, lib, suffix))
    assert _shape(ours.input) == _shape(ref.input) == (None, 4)
    assert ours.input.name == ref.input.name == "features"
    assert [_shape(t) for t in ours.outputs] == [_shape(t) for t in ref.outputs] == [(None, 2)]
    assert _shape(ours.output) == _shape(ref.output)
    for a, b in zip(ours.layers, ref.layers):
        assert a.name == b.name
        assert _shape(a.output) == _shape(b.output), a.name
        if b.name != "features":
            assert _shape(a.input) == _shape(b.input), a.name
    assert ours.layers[0].input == ref.layers[0].input == []
    assert ours.output_names == ref.output_names == ["head"]
    # The model's own tensors, not copies: the output is the head's, whose input is inner's.
    assert ours.get_layer("head").output is ours.output
    assert ours.get_layer("head").input is ours.get_layer("inner").output


def test_feature_extractor_of_a_loaded_model_is_kerass(tmp_path):
    """keras.io's `Model(model.input, model.get_layer(name).output)` and `Model(inputs=
    model.inputs, outputs=[layer.output for layer in model.layers])` on a loaded file: the same
    config node by node as Keras's, the same features (1e-5), and files both ways."""
    keras = real_keras()
    ours, ref = _both_loaded(_saved(tmp_path, _mlp, keras))
    extractors = []
    for lib, m in ((swiftkeras, ours), (keras, ref)):
        one = lib.Model(m.input, m.get_layer("inner").output)
        every = lib.Model(inputs=m.inputs, outputs=[layer.output for layer in m.layers])
        extractors.append((one, every))
    (one, every), (ref_one, ref_every) = extractors
    for a, b in ((one, ref_one), (every, ref_every)):
        assert _skeleton(a.get_config()) == _skeleton(b.get_config())
        _all_close(a.predict(X, verbose=0) if len(a.outputs) > 1 else [a.predict(X, verbose=0)],
                   b.predict(X, verbose=0) if len(b.outputs) > 1 else [b.predict(X, verbose=0)])
    # Files both ways: Keras loads ours, we load Keras's.
    one.save(str(tmp_path / "ours_extractor.keras"))
    ref_one.save(str(tmp_path / "keras_extractor.keras"))
    expected = ref_one.predict(X, verbose=0)
    _close(keras.models.load_model(str(tmp_path / "ours_extractor.keras")).predict(X, verbose=0), expected)
    _close(swiftkeras.models.load_model(str(tmp_path / "keras_extractor.keras")).predict(X, verbose=0),
           expected)


def test_extractor_holds_the_loaded_layers_weights_live(tmp_path):
    """As in Keras, the extractor and the loaded model hold the same variables: fitting the
    loaded model moves the extractor's features, fitting the extractor moves the loaded
    model's, and a weight set on either is the other's."""
    keras = real_keras()
    ours, ref = _both_loaded(_saved(tmp_path, _mlp, keras))
    ours_f = swiftkeras.Model(ours.input, ours.get_layer("inner").output)
    ref_f = keras.Model(ref.input, ref.get_layer("inner").output)
    before = ours_f.predict(X, verbose=0)
    for m in (ours, ref):
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    after = ours_f.predict(X, verbose=0)
    assert not np.allclose(before, after)
    _close(after, ref_f.predict(X, verbose=0), "the extractor after the loaded model's fit")
    target = RNG.normal(size=(12, 5)).astype("float32")
    for f in (ours_f, ref_f):
        f.compile(optimizer="sgd", loss="mse")
        f.fit(X, target, epochs=2, batch_size=4, shuffle=False, verbose=0)
    _all_close(ours_f.get_weights(), ref_f.get_weights(), "the extractor's fit")
    _all_close(ours.get_weights(), ref.get_weights(), "the loaded model after the extractor's fit")
    _close(ours.predict(X, verbose=0), ref.predict(X, verbose=0))
    kernel = np.full((4, 6), 0.125, "float32")
    for m in (ours, ref):
        m.get_layer("hidden").kernel.assign(kernel)
    _close(ours_f.predict(X, verbose=0), ref_f.predict(X, verbose=0), "a kernel assigned on the loaded model")
    _close(ours_f.get_weights()[0], kernel)


def test_new_head_on_a_frozen_loaded_base_trains_like_keras(tmp_path):
    """Transfer learning on a loaded file: a new head on an inner layer's output, the loaded
    layers frozen; fit from the same weights trains the head alone, as Keras's, and saves."""
    keras = real_keras()
    ours, ref = _both_loaded(_saved(tmp_path, _mlp, swiftkeras))
    models = []
    for lib, m in ((swiftkeras, ours), (keras, ref)):
        for layer in m.layers:
            layer.trainable = False
        out = lib.layers.Dense(3, name="new_head")(m.get_layer("inner").output)
        models.append(lib.Model(m.input, out, name="transfer"))
    new, ref_new = models
    new.set_weights(ref_new.get_weights())
    frozen = ours.get_weights()
    target = RNG.normal(size=(12, 3)).astype("float32")
    for m in (new, ref_new):
        m.compile(optimizer="adam", loss="mse")
        m.fit(X, target, epochs=3, batch_size=4, shuffle=False, verbose=0)
    _all_close(new.get_weights(), ref_new.get_weights(), "the transfer model's fit")
    _all_close(ours.get_weights(), frozen, "the frozen loaded layers")
    assert _skeleton(new.get_config()) == _skeleton(ref_new.get_config())
    new.save(str(tmp_path / "transfer.keras"))
    _close(keras.models.load_model(str(tmp_path / "transfer.keras")).predict(X, verbose=0),
           ref_new.predict(X, verbose=0))


def _sequential(lib):
    return lib.Sequential([lib.Input((4,), name="seq_in"), lib.layers.Dense(5, activation="relu", name="s1"),
                           lib.layers.Dense(2, name="s2")], name="seq")


@pytest.mark.parametrize("writer", ["swiftkeras", "keras"])
def test_loaded_sequential_layers_have_their_inputs_and_outputs(tmp_path, writer):
    lib = swiftkeras if writer == "swiftkeras" else real_keras()
    ours, ref = _both_loaded(_saved(tmp_path, _sequential, lib))
    assert _shape(ours.layers[0].input) == _shape(ref.layers[0].input) == (None, 4)
    assert _shape(ours.layers[0].output) == _shape(ref.layers[0].output) == (None, 5)
    assert [_shape(t) for t in ours.inputs] == [_shape(t) for t in ref.inputs]
    assert [_shape(t) for t in ours.outputs] == [_shape(t) for t in ref.outputs]
    for m in (ours, ref):   # Keras 3: a Sequential's own `input` is never defined
        with pytest.raises(AttributeError, match="has never been called and thus has no defined input"):
            m.input
    keras = real_keras()
    extractors = [swiftkeras.Model(ours.inputs, ours.layers[0].output),
                  keras.Model(ref.inputs, ref.layers[0].output)]
    _close(extractors[0].predict(X, verbose=0), extractors[1].predict(X, verbose=0))


def _two_in_two_out(lib):
    a = lib.Input((4,), name="a")
    b = lib.Input((3,), name="b")
    shared = lib.layers.Dense(4, activation="tanh", name="shared")
    ha, hb = shared(a), shared(lib.layers.Dense(4, name="lift")(b))
    joined = lib.layers.Concatenate(name="joined")([ha, hb])
    return lib.Model([a, b], [lib.layers.Dense(2, name="out1")(joined), lib.layers.Dense(1, name="out2")(hb)],
                     name="two")


@pytest.mark.parametrize("writer", ["swiftkeras", "keras"])
def test_multi_io_and_shared_layer_graph_of_a_loaded_model(tmp_path, writer):
    """Two inputs, two outputs and a layer called twice: `model.input` and `output` are lists,
    the shared layer's `input` / `output` are its first call's (Keras 3 raises nothing), and an
    extractor of an inner merge and of the second call's output computes Keras's."""
    lib = swiftkeras if writer == "swiftkeras" else real_keras()
    ours, ref = _both_loaded(_saved(tmp_path, _two_in_two_out, lib))
    xs = [X, RNG.normal(size=(12, 3)).astype("float32")]
    assert [t.name for t in ours.input] == [t.name for t in ref.input] == ["a", "b"]
    assert [_shape(t) for t in ours.output] == [_shape(t) for t in ref.output]
    shared, ref_shared = ours.get_layer("shared"), ref.get_layer("shared")
    assert _shape(shared.output) == _shape(ref_shared.output) == (None, 4)
    assert shared.input is ours.input[0] and ref_shared.input is ref.input[0]
    keras = real_keras()
    pairs = []
    for l, m in ((swiftkeras, ours), (keras, ref)):
        second = m.get_layer("out2").input   # the shared layer's second call
        pairs.append(l.Model(m.inputs, [m.get_layer("joined").output, second]))
    ours_f, ref_f = pairs
    assert _skeleton(ours_f.get_config()) == _skeleton(ref_f.get_config())
    _all_close(ours_f.predict(xs, verbose=0), ref_f.predict(xs, verbose=0))


def _nested(lib):
    x = lib.Input((4,), name="base_in")
    base = lib.Model(x, lib.layers.Dense(3, activation="relu", name="b1")(x), name="base")
    outer_in = lib.Input((4,), name="outer_in")
    return lib.Model(outer_in, lib.layers.Dense(2, name="top")(base(outer_in)), name="outer")


@pytest.mark.parametrize("writer", ["swiftkeras", "keras"])
def test_nested_model_of_a_loaded_file_has_its_own_graph(tmp_path, writer):
    lib = swiftkeras if writer == "swiftkeras" else real_keras()
    ours, ref = _both_loaded(_saved(tmp_path, _nested, lib))
    keras = real_keras()
    features = []
    for l, m in ((swiftkeras, ours), (keras, ref)):
        base = m.get_layer("base")
        assert _shape(base.output) == (None, 3) and base.input.name == "base_in"
        assert _shape(m.get_layer("top").input) == (None, 3)
        inner = l.Model(base.input, base.get_layer("b1").output)
        outer = l.Model(m.input, m.get_layer("top").input)   # the nested model's call
        features.append((inner.predict(X, verbose=0), outer.predict(X, verbose=0)))
    _all_close(features[0], features[1])


def test_extractor_named_as_the_loaded_model_is_a_new_model(tmp_path):
    """Keras's default names collide across sessions ("functional"): an extractor named as the
    loaded model is still the new model, holding the loaded layers."""
    keras = real_keras()
    ours, ref = _both_loaded(_saved(tmp_path, _mlp, keras))
    f = swiftkeras.Model(ours.input, ours.get_layer("inner").output, name=ours.name)
    ref_f = keras.Model(ref.input, ref.get_layer("inner").output, name=ref.name)
    assert [layer.name for layer in f.layers] == [layer.name for layer in ref_f.layers]
    _close(f.predict(X, verbose=0), ref_f.predict(X, verbose=0))


def test_model_from_json_and_from_config_have_the_graph():
    keras = real_keras()
    ref = _mlp(keras)
    for ours in (swiftkeras.models.model_from_json(ref.to_json()),
                 swiftkeras.Model.from_config(ref.get_config())):
        ours.set_weights(ref.get_weights())
        f = swiftkeras.Model(ours.input, ours.get_layer("hidden").output)
        _close(f.predict(X, verbose=0),
               keras.Model(ref.input, ref.get_layer("hidden").output).predict(X, verbose=0))


def _named_outputs(lib):
    x = lib.Input((4,), name="features")
    h = lib.layers.Dense(5, activation="tanh", name="hidden")(x)
    return lib.Model(x, {"score": lib.layers.Dense(1, name="score")(h),
                         "class": lib.layers.Dense(3, name="class")(h)}, name="named")


@pytest.mark.parametrize("writer", ["swiftkeras", "keras"])
def test_dict_outputs_come_back_as_keras_dict(tmp_path, writer):
    """Keras's named outputs (`Model(x, {"score": ..., "class": ...})`) are a dict in
    `model.output` (keys as given) and the flattened list in `model.outputs` (sorted keys), in
    the model made, in the `.keras` file (`output_layers` an object) and after load; predict
    gives the dict."""
    keras = real_keras()
    made = {lib: _named_outputs(lib) for lib in (keras, swiftkeras)}
    for m in made.values():
        assert list(m.output) == ["score", "class"]
        assert [_shape(t) for t in m.outputs] == [(None, 3), (None, 1)]
    lib = swiftkeras if writer == "swiftkeras" else keras
    path = _saved(tmp_path, _named_outputs, lib)
    import zipfile
    with zipfile.ZipFile(path) as archive:
        written = json.loads(archive.read("config.json"))["config"]["output_layers"]
    assert written == {"score": ["score", 0, 0], "class": ["class", 0, 0]}
    ours, ref = _both_loaded(path)
    for m in (ours, ref):
        assert isinstance(m.output, dict) and list(m.output) == ["score", "class"]
        assert [_shape(t) for t in m.outputs] == [(None, 3), (None, 1)]
    assert ours.output["score"] is ours.get_layer("score").output
    got, want = ours.predict(X, verbose=0), ref.predict(X, verbose=0)
    assert sorted(got) == sorted(want) == ["class", "score"]
    for k in want:
        _close(got[k], want[k], k)
    # A model made from the loaded graph keeps the names; its config writes the object again.
    again = swiftkeras.Model(ours.input, ours.output)
    assert list(again.output) == ["score", "class"]
    assert json.loads(again.to_json())["config"]["output_layers"] == written
    assert list(swiftkeras.models.model_from_json(ours.to_json()).output) == ["score", "class"]
