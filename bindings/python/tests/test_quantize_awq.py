"""`model.quantize("awq", config=AWQConfig(...))` against real Keras 3.15 (jax): a token model
(Embedding, a functional transformer-style block holding two Dense and three EinsumDense layers,
kernels of 2 and 3 axes, then a Dense head; the block and the head named by
`quantization_layer_structure`) gets Keras's AWQ layers: the same weights list (bias, transposed
uint8 kernel packed at 4 bits, kernel_scale, uint8 kernel_zero (EinsumDense: zero_point),
awq_scales, g_idx), the same values, `AWQDTypePolicy` "awq/4/<group_size>", predictions as
Keras's, and `.keras` / `.weights.h5` files both ways; GPTQ takes the same block of several
layers. Keras's AWQ runs op by op (seconds a layer): its results are baked in
Tests/KerasTests/Fixtures/quantization (scripts/make_awq_fixtures.py); the scale search itself
(with real activation magnitudes, which Keras 3.15's `model.quantize` never collects) is checked
against Keras's own `awq_quantize_matrix`. AWQConfig, AWQDTypePolicy and the refusals follow
Keras's arguments and messages."""
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE, "keras_model_quantize", "keras_model_weight_dtypes")

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "Tests/KerasTests/Fixtures/quantization"
sys.path.insert(0, str(ROOT / "scripts"))
import make_awq_fixtures as made  # noqa: E402  (the fixture's model, data and cases)

REF = json.loads((FIXTURES / "awq.json").read_text())
X = np.array(REF["x"], dtype="int32")


@pytest.fixture(autouse=True)
def keras_calibration_offset(monkeypatch):
    """Keras's calibration windows start at an offset from Python's string hash: the fixture's."""
    from swiftkeras import _gptq
    monkeypatch.setattr(_gptq, "hash", lambda _: REF["hash"], raising=False)


def quantized(name):
    import swiftkeras as sk
    case = REF["cases"][name]
    model, structure = made.model(sk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.quantize(case["mode"], config=made.config(sk, case["mode"], case["kwargs"], structure),
                       filters=case["filters"])
    return model


def assert_keras_weights(model, case):
    for name, layer in made.dense_layers(model):
        expected = case["layers"][name]["weights"]
        assert [(w.path, w.dtype, tuple(w.shape), w.trainable) for w in layer.weights] == \
            [(e["path"], e["dtype"], np.shape(e["value"]), e["trainable"]) for e in expected], name
        for w, e in zip(layer.weights, expected):
            np.testing.assert_array_equal(np.asarray(w.numpy()), np.array(e["value"], dtype=e["dtype"]),
                                          err_msg=w.path)


@pytest.mark.parametrize("name", list(REF["cases"]))
def test_awq_and_gptq_blocks_weights_policy_and_predictions_match_keras(name):
    case = REF["cases"][name]
    model = quantized(name)
    assert_keras_weights(model, case)
    np.testing.assert_allclose(model.predict(X, verbose=0), np.array(case["predict"]), rtol=1e-5, atol=2e-6)
    cls = "AWQConfig" if case["mode"] == "awq" else "GPTQConfig"
    for lname, layer in made.dense_layers(model):
        keras_config = case["layers"][lname]["config"]
        if not isinstance(keras_config["dtype"], dict) or "mode" not in keras_config["dtype"]["config"]:
            assert layer.quantization_mode is None   # (left out by the filters)
            continue
        assert layer.quantization_mode == case["mode"]
        assert layer.dtype_policy.name == f"{keras_config['dtype']['config']['mode']}_from_float32"
        assert layer.get_config()["dtype"] == keras_config["dtype"]
        ours = layer.get_config()["quantization_config"]
        assert ours["class_name"] == cls
        for key in ("weight_bits", "group_size", "dataset", "tokenizer"):
            assert ours["config"][key] == keras_config["quantization_config"]["config"][key]
    assert model.get_layer("emb").quantization_mode is None   # (a pre-block layer stays float)


def test_awq_search_matches_keras_with_activation_magnitudes():
    """The grid search over real activation magnitudes (ties, groups with padding): Keras's own
    `awq_quantize_matrix` on the same inputs."""
    real_keras()
    from keras.src.quantizers.awq import awq_quantize_matrix
    from swiftkeras import _awq
    rng = np.random.default_rng(0)
    w = rng.normal(size=(6, 10)).astype("float32")
    magnitudes = np.abs(rng.normal(scale=3, size=10)).astype("float32")
    magnitudes[2] = 0   # (taken as 1)
    # (one case, 4 ratios: Keras's search runs op by op; the fixture cases cover per channel)
    for group in (4,):
        ours = _awq.awq_quantize_matrix(w, magnitudes, num_grid_points=3, group_size=group)
        ref = [np.asarray(r) for r in awq_quantize_matrix(w, magnitudes, num_grid_points=3, group_size=group)]
        assert not np.all(ours[3] == 1)   # (a scale other than the ratio 0's won)
        np.testing.assert_array_equal(ours[0], ref[0])
        np.testing.assert_allclose(ours[1], ref[1], rtol=1e-6)
        np.testing.assert_array_equal(ours[2], ref[2])
        np.testing.assert_allclose(ours[3], ref[3], rtol=1e-6)
        np.testing.assert_array_equal(ours[4], ref[4])


def test_awq_files_both_ways(tmp_path):
    import swiftkeras as sk
    keras = real_keras()
    case = REF["cases"]["awq_group8"]
    expected = np.array(case["predict"])
    # Keras 3.15 writes an AWQ Dense without its kernel_zero (its `save_own_variables` skips
    # it, as for GPTQ): 5 variables where its own loader expects 6, so Keras cannot load the
    # file; it is refused here, with Keras's words.
    with pytest.raises(ValueError, match="expected 6 variables, but received 5 variables"):
        sk.saving.load_model(FIXTURES / "awq_group8.keras")
    ours = quantized("awq_group8")
    with pytest.raises(ValueError, match="expected 6 variables, but received 5"):
        ours.load_weights(FIXTURES / "awq_group8.weights.h5")
    # Ours (all 6 in Keras's order), read by Keras and here.
    ours.save(tmp_path / "m.keras")
    again = sk.saving.load_model(tmp_path / "m.keras")
    assert_keras_weights(again, case)
    np.testing.assert_allclose(again.predict(X, verbose=0), expected, rtol=1e-5, atol=2e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(ref(X)), expected, rtol=1e-5, atol=2e-6)
    # AWQ scales other than 1 (Keras 3.15's `quantize` finds only 1s; a calibrated file may hold
    # others): each kernel row divided by its scale, here as in Keras.
    rng = np.random.default_rng(3)
    for _, layer in made.dense_layers(ours):
        scales = next(w for w in layer.weights if w.path.endswith("awq_scales"))
        scales.assign(rng.uniform(0.5, 2, size=scales.shape).astype("float32"))
    ours.save_weights(tmp_path / "m.weights.h5")
    ref.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(ours.predict(X, verbose=0), np.asarray(ref(X)), rtol=1e-5, atol=2e-6)
    assert np.abs(np.asarray(ref(X)) - expected).max() > 1e-2
    assert [w.dtype for w in ref.get_layer("head").weights] == [w.dtype for w in ours.get_layer("head").weights]


def test_awq_config_and_policy_follow_keras():
    import swiftkeras as sk
    keras = real_keras()
    ours = sk.quantizers.AWQConfig(dataset=[1], tokenizer=None, group_size=-1, num_grid_points=7)
    ref = keras.quantizers.AWQConfig(dataset=[1], tokenizer=None, group_size=-1, num_grid_points=7)
    assert ours.get_config() == ref.get_config()
    assert (ours.mode, ours.dtype_policy_string()) == (ref.mode, ref.dtype_policy_string())
    assert sk.quantizers.AWQConfig.from_config(ours.get_config()).get_config() == ref.get_config()
    for bad in (dict(weight_bits=8), dict(num_samples=0), dict(sequence_length=0), dict(group_size=0),
                dict(num_grid_points=0)):
        with pytest.raises(ValueError) as theirs:
            keras.quantizers.AWQConfig(None, None, **bad)
        with pytest.raises(ValueError) as mine:
            sk.quantizers.AWQConfig(None, None, **bad)
        assert str(mine.value) == str(theirs.value)
    policy = sk.dtype_policies.AWQDTypePolicy("awq/4/128", "float32")
    keras_policy = keras.dtype_policies.AWQDTypePolicy("awq/4/128", "float32")
    assert (policy.name, policy.get_config()) == (keras_policy.name, keras_policy.get_config())
    for bad in ("awq/4", "awq/a/1", "awq/8/128", "awq/4/0"):
        with pytest.raises(ValueError) as theirs:
            keras.dtype_policies.AWQDTypePolicy(bad, "float32")
        with pytest.raises(ValueError) as mine:
            sk.dtype_policies.AWQDTypePolicy(bad, "float32")
        assert str(mine.value) == str(theirs.value)


def test_awq_refusals():
    import swiftkeras as sk
    model, structure = made.model(sk)
    data = np.array(REF["data"])
    with pytest.raises(ValueError, match="For AWQ, you must pass an `AWQConfig`"):
        model.quantize("awq")
    with pytest.raises(ValueError, match="a valid quantization structure must be provided"):
        model.quantize("awq", config=sk.quantizers.AWQConfig(dataset=data, tokenizer=lambda s: s))
    with pytest.raises(ValueError, match="requires a dataset and tokenizer"):
        model.quantize("awq", config=sk.quantizers.AWQConfig(dataset=data, tokenizer=None,
                                                             quantization_layer_structure=structure))
    with pytest.raises(ValueError, match="No sequential blocks found"):
        model.quantize("awq", config=sk.quantizers.AWQConfig(
            dataset=data, tokenizer=lambda s: s, quantization_layer_structure={"pre_block_layers": []}))
    with pytest.raises(ValueError, match="through `model.quantize\\(\"awq\""):
        model.get_layer("head").quantize("awq", config=sk.quantizers.AWQConfig(dataset=data, tokenizer=lambda s: s))
    # A block whose layers Keras would quantize and the library cannot name (the projections of
    # two MultiHeadAttention layers, the same names), a TimeDistributed's layer (Keras's
    # TimeDistributed calls its layer's float `call`, not the quantized one), or a layer of
    # another model: refused before any layer changes.
    inp = sk.Input((4, 6))
    attention = sk.Model(inp, sk.layers.MultiHeadAttention(2, 3, name="att2")(
        sk.layers.MultiHeadAttention(2, 3, name="att")(inp, inp), inp))
    grouped = sk.Model(inp, sk.layers.TimeDistributed(sk.layers.Dense(3), name="td")(inp))
    elsewhere = sk.Sequential([sk.Input((3,)), sk.layers.Dense(2, name="elsewhere")])
    for mode, cls in (("awq", sk.quantizers.AWQConfig), ("gptq", sk.quantizers.GPTQConfig)):
        with pytest.raises(ValueError, match=f"{mode}: the projection 'attention_output' of MultiHeadAttention 'att' "
                                             "shares its name"):
            attention.quantize(mode, config=cls(dataset=data, tokenizer=lambda s: s,
                                                quantization_layer_structure={"sequential_blocks": [attention]}))
        with pytest.raises(ValueError, match=f"{mode}: in block 'functional.*', the layer 'td' is a TimeDistributed"):
            grouped.quantize(mode, config=cls(dataset=data, tokenizer=lambda s: s,
                                              quantization_layer_structure={"sequential_blocks": [grouped]}))
        with pytest.raises(ValueError, match=f"{mode}: the layer 'elsewhere' of block .* is not a layer of model"):
            model.quantize(mode, config=cls(dataset=data, tokenizer=lambda s: s,
                                            quantization_layer_structure={"sequential_blocks": [model.get_layer("head"),
                                                                                                elsewhere]}))
    assert all(layer.quantization_mode is None for layer in attention.layers + grouped.layers)
    assert all(getattr(attention.get_layer(a), f"{p}_dense").quantization_mode is None
               for a in ("att", "att2") for p in ("query", "key", "value", "output"))
    assert grouped.get_layer("td").layer.quantization_mode is None

    class Wrapped(sk.layers.Layer):   # (a block written in Python holding a Dense)
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = sk.layers.Dense(4)

        def call(self, x):
            return self.inner(x)

    wrapped = sk.Sequential([sk.Input((3,)), Wrapped(name="wrapped")])
    with pytest.raises(ValueError, match="in block 'wrapped', the layer 'wrapped' \\(Wrapped\\) is a layer written in Python"):
        wrapped.quantize("awq", config=sk.quantizers.AWQConfig(
            dataset=data, tokenizer=lambda s: s, quantization_layer_structure={"sequential_blocks": [wrapped.layers[0]]}))
    assert all(layer.quantization_mode is None for _, layer in made.dense_layers(model))   # (nothing changed)


ATTENTION = json.loads((FIXTURES / "awq_attention.json").read_text())


@pytest.mark.parametrize("name", list(ATTENTION["cases"]))
def test_awq_and_gptq_quantize_the_projections_of_a_multi_head_attention_as_keras(name):
    """Keras's `find_layers_in_block` finds a MultiHeadAttention's four EinsumDense projections
    (query, key, value, attention_output): each is quantized as Keras's (the same weights,
    `zero_point` and all), its policy set, and the model predicts as Keras's."""
    import swiftkeras as sk
    case = ATTENTION["cases"][name]
    model, structure = made.attention_model(sk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.quantize(case["mode"], config=made.config(sk, case["mode"], case["kwargs"], structure))
    _assert_projections_as_keras(model, made.attention_layers(model), case)


def _assert_projections_as_keras(model, layers, case):
    """Each of `layers` ((name, layer)) holds Keras's quantized weights (paths, dtypes, shapes,
    values), mode and policy, as the fixture's `case`; the model predicts as Keras's."""
    for lname, layer in layers:
        expected = case["layers"][lname]["weights"]
        assert [(w.path.split("/")[-2:], w.dtype, tuple(w.shape), w.trainable) for w in layer.weights] == \
            [(e["path"].split("/")[-2:], e["dtype"], np.shape(e["value"]), e["trainable"]) for e in expected], lname
        for w, e in zip(layer.weights, expected):
            np.testing.assert_array_equal(np.asarray(w.numpy()), np.array(e["value"], dtype=e["dtype"]), err_msg=w.path)
        assert layer.quantization_mode == case["mode"]
        assert layer.dtype_policy.name == f"{case['layers'][lname]['config']['dtype']['config']['mode']}_from_float32"
    np.testing.assert_allclose(model.predict(X, verbose=0), np.array(case["predict"]), rtol=1e-5, atol=2e-6)


GROUPED = json.loads((FIXTURES / "awq_grouped.json").read_text())


def grouped_quantized(name):
    import swiftkeras as sk
    case = GROUPED["cases"][name]
    model, structure = made.grouped_model(sk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.quantize(case["mode"], config=made.config(sk, case["mode"], case["kwargs"], structure))
    return model


@pytest.mark.parametrize("name", list(GROUPED["cases"]))
def test_awq_and_gptq_quantize_the_projections_of_a_grouped_query_attention_as_keras(name):
    """Keras's `find_layers_in_block` finds a GroupedQueryAttention's four EinsumDense
    projections (`_query_dense`, ...): each quantized as Keras's, its policy set, and the model
    predicts as Keras's."""
    case = GROUPED["cases"][name]
    model = grouped_quantized(name)
    _assert_projections_as_keras(model, made.grouped_layers(model), case)


def test_grouped_query_attention_awq_files_both_ways(tmp_path):
    """Keras 3.15 saves a quantized GroupedQueryAttention's projections, but its config does
    not say they are quantized: Keras's loader makes them float and refuses the file, its own
    and ours alike, and so does the library, with Keras's words."""
    import swiftkeras as sk
    keras = real_keras()
    refused = "Layer 'key' expected 2 variables, but received [56] variables"   # (ours: with its zero_point)
    with pytest.raises(ValueError, match=refused):
        sk.saving.load_model(FIXTURES / "awq_grouped.keras")
    ours = grouped_quantized("grouped_awq_group4")
    ours.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=refused):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            keras.saving.load_model(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=refused):
        sk.saving.load_model(tmp_path / "m.keras")
    # Its weights go into a model quantized so, here as in Keras.
    ours.save_weights(tmp_path / "m.weights.h5")
    again = grouped_quantized("grouped_awq_group4")
    for w in again.weights:
        if w.dtype == "float32":
            w.assign(np.zeros(w.shape, "float32"))
    again.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(again.predict(X, verbose=0), np.array(GROUPED["cases"]["grouped_awq_group4"]["predict"]),
                               rtol=1e-5, atol=2e-6)
