"""`model.quantize("gptq", config=GPTQConfig(...))` against real Keras 3.15 (jax): a token model
(Embedding, then two Dense blocks named by `quantization_layer_structure`) gets Keras's GPTQ
Dense layers: the same weights list (bias, transposed uint8 kernel packed at 4 bits,
kernel_scale, uint8 kernel_zero, g_idx), the same integers, scales, zero points and group
indices, `GPTQDTypePolicy` "gptq/<bits>/<group_size>", predictions and summary as Keras's, and
`.keras` / `.weights.h5` files both ways. Keras's GPTQ runs op by op (a minute a case): its
results are baked in Tests/KerasTests/Fixtures/quantization (scripts/make_gptq_fixtures.py);
the GPTQ solve itself (error propagation, activation order) is checked against Keras's own
`gptq_quantize_matrix` on a real Hessian. GPTQConfig, GPTQDTypePolicy and the refusals follow
Keras's arguments and messages."""
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import CORE, needs, real_keras, summary_lines

pytestmark = needs(*CORE, "keras_model_quantize", "keras_model_weight_dtypes")

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "Tests/KerasTests/Fixtures/quantization"
sys.path.insert(0, str(ROOT / "scripts"))
import make_gptq_fixtures as made  # noqa: E402  (the fixture's model, data and cases)

REF = json.loads((FIXTURES / "gptq.json").read_text())
X = np.array(REF["x"], dtype="int32")


@pytest.fixture(autouse=True)
def keras_calibration_offset(monkeypatch):
    """Keras's calibration windows start at an offset from Python's string hash: the fixture's."""
    from swiftkeras import _gptq
    monkeypatch.setattr(_gptq, "hash", lambda _: REF["hash"], raising=False)


def quantized(name):
    import swiftkeras as sk
    model, structure = made.model(sk)
    config = sk.quantizers.GPTQConfig(dataset=np.array(REF["data"]), tokenizer=lambda s: s, num_samples=4,
                                      sequence_length=8, quantization_layer_structure=structure,
                                      **REF["cases"][name]["kwargs"])
    model.quantize("gptq", config=config)
    return model


def assert_keras_weights(model, case):
    for layer in model.layers[2:]:
        expected = case["layers"][layer.name]["weights"]
        assert [(w.path, w.dtype, tuple(w.shape), w.trainable) for w in layer.weights] == \
            [(e["path"], e["dtype"], np.shape(e["value"]), e["trainable"]) for e in expected]
        for w, e in zip(layer.weights, expected):
            np.testing.assert_array_equal(np.asarray(w.numpy()), np.array(e["value"], dtype=e["dtype"]),
                                          err_msg=w.path)


@pytest.mark.parametrize("name", list(REF["cases"]))
def test_gptq_weights_policy_and_predictions_match_keras(name):
    case = REF["cases"][name]
    model = quantized(name)
    assert_keras_weights(model, case)
    np.testing.assert_allclose(model.predict(X, verbose=0), np.array(case["predict"]), rtol=1e-5, atol=2e-6)
    for layer in model.layers[2:]:
        keras_config = case["layers"][layer.name]["config"]
        assert layer.quantization_mode == "gptq"
        assert layer.dtype_policy.name == f"{keras_config['dtype']['config']['mode']}_from_float32"
        assert layer.get_config()["dtype"] == keras_config["dtype"]
        ours = layer.get_config()["quantization_config"]
        assert ours["class_name"] == "GPTQConfig"
        for key in ("weight_bits", "group_size", "dataset", "tokenizer"):
            assert ours["config"][key] == keras_config["quantization_config"]["config"][key]
    assert model.layers[1].quantization_mode is None   # (a pre-block layer stays float)


def test_gptq_summary_matches_keras():
    case = REF["cases"]["bits4_group8"]
    lines = summary_lines(quantized("bits4_group8"))
    def kept(lines):   # (the model's and the input layer's names aside: Keras numbers its own)
        return [line for line in lines[1:] if "InputLayer" not in line]
    assert kept(lines) == kept(case["summary"])


def test_gptq_solve_matches_keras_on_a_real_hessian():
    """The solve with error propagation inside and across blocks, groups and activation order:
    Keras's own `gptq_quantize_matrix` and `compute_quantization_parameters` on the same inputs."""
    real_keras()
    from keras.src.quantizers.gptq import gptq_quantize_matrix
    from keras.src.quantizers.quantizers import compute_quantization_parameters
    from swiftkeras import _gptq
    rng = np.random.default_rng(0)
    w = rng.normal(size=(5, 8)).astype("float32")
    x = rng.normal(size=(40, 8)).astype("float32")
    hessian = (x.T @ x / 40 + 0.1 * np.eye(8)).astype("float32")
    inverse = np.linalg.inv(hessian).astype("float32")
    # (one case: Keras's solve runs op by op, seconds a column; the fixture cases cover
    # symmetric, per-tensor and whole-row groups)
    for bits, group, symmetric, act in [(4, 3, False, True)]:
        params = dict(bits=bits, symmetric=symmetric, per_channel=True, group_size=group)
        ours = _gptq.gptq_quantize_matrix(w, inverse, blocksize=5, group_size=group, activation_order=act,
                                          order_metric=np.diagonal(hessian),
                                          find_params=lambda m: _gptq.compute_quantization_parameters(m, **params))
        ref = gptq_quantize_matrix(w, inverse, blocksize=5, group_size=group, activation_order=act,
                                   order_metric=np.diagonal(hessian),
                                   compute_scale_zero=lambda m: compute_quantization_parameters(m, **params))
        ref = [np.asarray(r) for r in ref]
        np.testing.assert_array_equal(ours[0], ref[0])
        np.testing.assert_allclose(ours[1], ref[1], rtol=1e-5)
        np.testing.assert_array_equal(ours[2], ref[2])
        np.testing.assert_array_equal(ours[3], ref[3])


def test_gptq_files_both_ways(tmp_path):
    import swiftkeras as sk
    keras = real_keras()
    case = REF["cases"]["bits4_group8"]
    expected = np.array(case["predict"])
    # Keras 3.15 writes a GPTQ Dense without its kernel_zero (its `save_own_variables` skips
    # it, as for int4 per channel): 4 variables where its own loader expects 5, so Keras
    # cannot load the file (it warns and leaves the layers uncalibrated); it is refused here,
    # with Keras's words.
    with pytest.raises(ValueError, match="Layer 'd1' expected 5 variables, but received 4 variables"):
        sk.saving.load_model(FIXTURES / "gptq_bits4_group8.keras")
    ours = quantized("bits4_group8")
    with pytest.raises(ValueError, match="expected 5 variables, but received 4"):
        ours.load_weights(FIXTURES / "gptq_bits4_group8.weights.h5")
    # Ours (all 5 in Keras's order), read by Keras and here.
    ours.save(tmp_path / "m.keras")
    again = sk.saving.load_model(tmp_path / "m.keras")
    assert_keras_weights(again, case)
    np.testing.assert_allclose(again.predict(X, verbose=0), expected, rtol=1e-5, atol=2e-6)
    ours.save_weights(tmp_path / "m.weights.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(ref(X)), expected, rtol=1e-5, atol=2e-6)
    ref.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(np.asarray(ref(X)), expected, rtol=1e-5, atol=2e-6)
    assert [w.dtype for w in ref.layers[2].weights] == [w.dtype for w in ours.layers[2].weights]


def test_gptq_config_and_policy_follow_keras():
    import swiftkeras as sk
    keras = real_keras()
    ours = sk.quantizers.GPTQConfig(dataset=[1], tokenizer=None, weight_bits=3, group_size=-1)
    ref = keras.quantizers.GPTQConfig(dataset=[1], tokenizer=None, weight_bits=3, group_size=-1)
    assert ours.get_config() == ref.get_config()
    assert (ours.mode, ours.dtype_policy_string()) == (ref.mode, ref.dtype_policy_string())
    assert sk.quantizers.GPTQConfig.from_config(ours.get_config()).get_config() == ref.get_config()
    for bad in (dict(weight_bits=5), dict(num_samples=0), dict(sequence_length=0), dict(hessian_damping=2),
                dict(group_size=0)):
        with pytest.raises(ValueError) as theirs:
            keras.quantizers.GPTQConfig(None, None, **bad)
        with pytest.raises(ValueError, match=None) as mine:
            sk.quantizers.GPTQConfig(None, None, **bad)
        assert str(mine.value) == str(theirs.value)
    policy, keras_policy = sk.dtype_policies.GPTQDTypePolicy("gptq/4/128", "float32"), \
        keras.dtype_policies.GPTQDTypePolicy("gptq/4/128", "float32")
    assert (policy.name, policy.get_config()) == (keras_policy.name, keras_policy.get_config())
    for bad in ("gptq/4", "gptq/a/1", "gptq/5/128", "gptq/4/0"):
        with pytest.raises(ValueError) as theirs:
            keras.dtype_policies.GPTQDTypePolicy(bad, "float32")
        with pytest.raises(ValueError) as mine:
            sk.dtype_policies.GPTQDTypePolicy(bad, "float32")
        assert str(mine.value) == str(theirs.value)


def test_gptq_refusals():
    import swiftkeras as sk
    model, structure = made.model(sk)
    data = np.array(REF["data"])
    with pytest.raises(ValueError, match="For GPTQ, you must pass a `GPTQConfig`"):
        model.quantize("gptq")
    with pytest.raises(ValueError, match="a valid quantization structure must be provided"):
        model.quantize("gptq", config=sk.quantizers.GPTQConfig(dataset=data, tokenizer=lambda s: s))
    with pytest.raises(ValueError, match="requires a dataset and a tokenizer"):
        model.quantize("gptq", config=sk.quantizers.GPTQConfig(dataset=data, tokenizer=None,
                                                               quantization_layer_structure=structure))
    with pytest.raises(ValueError, match="No sequential blocks found"):
        model.quantize("gptq", config=sk.quantizers.GPTQConfig(
            dataset=data, tokenizer=lambda s: s, quantization_layer_structure={"pre_block_layers": []}))
    with pytest.raises(TypeError, match="must be an iterable"):
        model.quantize("gptq", config=sk.quantizers.GPTQConfig(dataset=3, tokenizer=lambda s: s,
                                                               quantization_layer_structure=structure))
    with pytest.raises(ValueError, match="through `model.quantize"):
        model.layers[2].quantize("gptq", config=sk.quantizers.GPTQConfig(dataset=data, tokenizer=lambda s: s))
    block = sk.Sequential([sk.layers.Dense(2, name="elsewhere")])
    with pytest.raises(ValueError, match="gptq: the layer 'elsewhere' of block 'sequential.*' is not a layer of model"):
        model.quantize("gptq", config=sk.quantizers.GPTQConfig(
            dataset=data, tokenizer=lambda s: s, quantization_layer_structure={"sequential_blocks": [block]}))
    assert all(layer.quantization_mode is None for layer in model.layers)   # (nothing changed)


@pytest.mark.parametrize("method", ["gptq", "awq"])
def test_a_dense_taller_than_one_block_computes_with_keras_s_dequantized_kernel(method):
    """A GPTQ / AWQ Dense of 600 input rows (more than the 512 a block of the library's product
    reads at a time) predicts, and takes an SGD step on its bias, through Keras's
    `_gptq_call` / `_awq_call` kernel: `((unpacked - zero[:, g]) * scale[:, g]).T`, over
    `awq_scales` per row for AWQ, written out in numpy from the stored weights."""
    import swiftkeras as sk
    from swiftkeras.quantizers import unpack_int4
    rows, units, group = 600, 7, 128
    policy = (sk.dtype_policies.GPTQDTypePolicy if method == "gptq" else sk.dtype_policies.AWQDTypePolicy)(
        f"{method}/4/{group}", "float32")
    model = sk.Sequential([sk.Input((rows,)), sk.layers.Dense(units, dtype=policy, name="d")])
    layer = model.get_layer("d")
    rng = np.random.default_rng(5)
    values = {}
    for w in layer.weights:
        name = w.path.split("/")[-1]
        if name == "g_idx":
            values[name] = (np.arange(rows) / group).astype("float32")
        elif name == "kernel":
            values[name] = rng.integers(0, 256, size=w.shape).astype("uint8")
        elif name == "kernel_zero":
            values[name] = rng.integers(0, 16, size=w.shape).astype("uint8")
        else:
            values[name] = rng.uniform(0.5, 2, size=w.shape).astype("float32")
        w.assign(values[name])
    g = values["g_idx"].astype(int)
    unpacked = unpack_int4(values["kernel"], units, axis=0, dtype="uint8").astype("float32")
    kernel = ((unpacked - values["kernel_zero"][:, g].astype("float32")) * values["kernel_scale"][:, g]).T
    if method == "awq":
        kernel = kernel / values["awq_scales"][:, None]
    x = rng.normal(size=(6, rows)).astype("float32")
    y = rng.normal(size=(6, units)).astype("float32")
    predicted = x.astype("float64") @ kernel.astype("float64") + values["bias"]
    np.testing.assert_allclose(model.predict(x, verbose=0), predicted, rtol=1e-4, atol=1e-3)
    model.compile(sk.optimizers.SGD(0.1), "mse")
    model.fit(x, y, epochs=1, batch_size=6, shuffle=False, verbose=0)
    step = 2 * (predicted - y).sum(axis=0) / (6 * units)
    np.testing.assert_allclose(layer.bias.numpy(), values["bias"] - 0.1 * step, rtol=1e-4, atol=1e-4)
