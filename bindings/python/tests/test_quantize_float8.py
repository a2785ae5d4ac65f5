"""`model.quantize("float8")` against real Keras 3.15 (jax): Dense and EinsumDense keep their
float kernels and get Keras's six float8 variables (scales and amax histories of the inputs, the
kernel and the output gradient: `QuantizedFloat8DTypePolicy` "float8_from_float32", history
1024); the forward fake-quantizes the inputs and kernel to float8_e4m3fn, training fake-quantizes
the output gradient to float8_e5m2, and the optimizer overwrites the scales and histories with
Keras's delayed-scaling values. Checked step by step against Keras's fit (the weights and every
float8 variable), with the policy, config, summary and `.keras` / `.weights.h5` files both
ways."""
import warnings

import numpy as np
import pytest

from conftest import CORE, needs, real_keras, summary_lines
from test_quantize import IDS, X, X3, Y, _tuples_as_lists, einsum, mlp

pytestmark = needs(*CORE, "keras_model_quantize", "keras_model_weight_dtypes")

FLOAT8_NAMES = ["inputs_scale", "inputs_amax_history", "kernel_scale", "kernel_amax_history",
                "outputs_grad_scale", "outputs_grad_amax_history"]
Y3 = np.random.default_rng(4).normal(size=(16, 3, 2, 4)).astype("float32")


class _Steps:
    """Each library's callback recording every weight after each training batch."""

    @staticmethod
    def make(lib, log):
        class Record(lib.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                log.append([np.array(w) for w in self.model.get_weights()])
        return Record()


def _by_name(model):
    """Each weight by layer and name (a layer built from a float8 config adds the float8
    variables before its kernel, in Keras as here; one quantized after building, after)."""
    return {"/".join(w.path.split("/")[-2:]): np.asarray(w.numpy() if hasattr(w, "numpy") else w)
            for w in model.weights}


def _assert_same_by_name(a, b):
    wa, wb = _by_name(a), _by_name(b)
    assert sorted(wa) == sorted(wb)
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)


def _quantized(lib, make, weights=None):
    model = make(lib)
    if weights is not None:
        model.set_weights(weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.quantize("float8")
    return model


def _fit(lib, model, x, y, optimizer):
    log = []
    model.compile(optimizer, "mse")
    history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[_Steps.make(lib, log)])
    return history.history["loss"], log


@pytest.fixture(scope="module")
def keras_runs():
    """Keras's reference runs, made once for this file: for the MLP (Adam; and Adam accumulating
    gradients over 2 steps) and an EinsumDense (SGD), the initial weights, the quantized model's weights after quantize, its predictions,
    and its losses and weights after each of 4 training steps; and the quantized models."""
    keras = real_keras()
    runs = {}
    for key, make, x, y, optimizer in (("mlp", mlp, X, Y, lambda lib: lib.optimizers.Adam(0.01)),
                                       ("einsum", einsum("abc,cde->abde", (3, 2, 4), "de", (3, 5)), X3, Y3,
                                        lambda lib: lib.optimizers.SGD(0.05)),
                                       # (the float8 variables under gradient accumulation: kept
                                       # between updates, their gradients' running maximum on each
                                       # second step)
                                       ("mlp_accumulating", mlp, X, Y,
                                        lambda lib: lib.optimizers.Adam(0.01, gradient_accumulation_steps=2))):
        initial = make(keras).get_weights()
        ref = _quantized(keras, make, initial)
        quantized = [np.array(w) for w in ref.get_weights()]
        predictions = np.asarray(ref.predict(x, verbose=0))
        losses, steps = _fit(keras, ref, x, y, optimizer(keras))
        runs[key] = dict(make=make, x=x, y=y, optimizer=optimizer, initial=initial, quantized=quantized,
                         predictions=predictions, losses=losses, steps=steps, model=ref)
    return runs


@pytest.mark.parametrize("key", ["mlp", "einsum", "mlp_accumulating"])
def test_float8_weights_predictions_and_training_steps_match_keras(keras_runs, key):
    import swiftkeras as sk
    run = keras_runs[key]
    ours = _quantized(sk, run["make"], run["initial"])
    ref = run["model"]
    names = [w.path.split("/")[-1] for w in ours.weights]
    assert names == [w.path.split("/")[-1] for w in ref.weights]
    assert [w.path for w in ours.trainable_weights] == [w.path for w in ref.trainable_weights]
    for a, b in zip(ours.get_weights(), run["quantized"]):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(ours.predict(run["x"], verbose=0), run["predictions"], rtol=1e-5, atol=1e-6)
    losses, steps = _fit(sk, ours, run["x"], run["y"], run["optimizer"](sk))
    np.testing.assert_allclose(losses, run["losses"], rtol=1e-4)
    assert len(steps) == len(run["steps"]) == 4
    for step, (mine, theirs) in enumerate(zip(steps, run["steps"])):
        for name, a, b in zip(names, mine, theirs):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"step {step}: {name}")
    # the parameter counts, the optimizer's without slots for the float8 variables
    assert summary_lines(ours)[-4:] == summary_lines(ref)[-4:]
    # the optimizer's variables as Keras lists them (accumulators of every trainable weight,
    # slots of those not overwritten with their gradients), and its count of applied updates
    # (under gradient accumulation: batches // steps, an int32 array)
    # (each named after its optimizer: `sgd_3/...`, numbered per process by each library, so
    # by what the tests before this one made)
    def paths(optimizer):
        return [v.path.replace(optimizer.name + "/", "<optimizer>/", 1) for v in optimizer.variables]
    assert paths(ours.optimizer) == paths(ref.optimizer)
    for mine, theirs in zip(ours.optimizer.variables, ref.optimizer.variables):
        assert np.asarray(mine).dtype == np.asarray(theirs).dtype, mine.path
        np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-5, atol=1e-6, err_msg=mine.path)
    mine, theirs = ours.optimizer.iterations, ref.optimizer.iterations
    assert np.asarray(mine).dtype == np.asarray(theirs).dtype == np.int32
    assert int(np.asarray(mine)) == int(np.asarray(theirs)) == (2 if key == "mlp_accumulating" else 4)
    assert hasattr(mine, "assign") == hasattr(theirs, "assign") == (key != "mlp_accumulating")
    # the delayed scaling moved: each history holds this run's amaxes, each scale left 1
    for name, a in zip(names, steps[-1]):
        if name in FLOAT8_NAMES:
            assert np.abs(a - (1 if name.endswith("scale") else 0)).max() > 0, name


def test_float8_policy_config_and_summary_match_keras(keras_runs):
    import swiftkeras as sk
    ref = keras_runs["mlp"]["model"]
    ours = _quantized(sk, mlp, keras_runs["mlp"]["initial"])
    for a, b in zip(ours.layers, ref.layers):
        assert a.dtype_policy.name == b.dtype_policy.name == "float8_from_float32"
        assert type(a.dtype_policy).__name__ == type(b.dtype_policy).__name__ == "QuantizedFloat8DTypePolicy"
        assert a.dtype_policy.amax_history_length == b.dtype_policy.amax_history_length == 1024
        assert a.quantization_mode == b.quantization_mode == "float8"
        ca, cb = a.get_config(), b.get_config()
        assert ca["dtype"] == cb["dtype"]
        assert ca["quantization_config"] == _tuples_as_lists(cb["quantization_config"])
        assert [w.trainable for w in a.weights] == [w.trainable for w in b.weights]
        assert [w.overwrite_with_gradient for w in a.weights] == [w.overwrite_with_gradient for w in b.weights]
    keras = real_keras()
    config = sk.quantizers.Float8QuantizationConfig()
    assert config.mode == "float8" and config.get_config() == keras.quantizers.Float8QuantizationConfig().get_config() == {}
    policy = sk.dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=16)
    theirs = keras.dtype_policies.QuantizedFloat8DTypePolicy("float8", "float32", amax_history_length=16)
    assert policy.get_config() == theirs.get_config() and policy.name == theirs.name
    assert sk.dtype_policies.serialize(policy) == keras.dtype_policies.serialize(theirs)
    assert sk.dtype_policies.deserialize(sk.dtype_policies.serialize(policy)) == policy
    # quantize(config=Float8QuantizationConfig()) is quantize("float8")
    other = mlp(sk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other.quantize(config=config)
    assert [l.quantization_mode for l in other.layers] == ["float8", "float8"]


def test_float8_keras_files_both_ways(keras_runs, tmp_path):
    keras = real_keras()
    import swiftkeras as sk
    run = keras_runs["mlp"]
    ref = run["model"]                                          # trained: non-trivial scales
    ours = _quantized(sk, mlp, run["initial"])
    ours.set_weights(ref.get_weights())
    expected = np.asarray(ref.predict(X, verbose=0))
    np.testing.assert_allclose(ours.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    # ours -> Keras
    ours.save(tmp_path / "ours.keras")
    ours.save_weights(tmp_path / "ours.weights.h5")
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(loaded.predict(X, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    _assert_same_by_name(loaded, ref)
    fresh = _quantized(keras, mlp)
    fresh.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(np.asarray(fresh.predict(X, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    # Keras -> ours (with Keras's Adam state: none for the float8 variables)
    ref.save(tmp_path / "ref.keras")
    ref.save_weights(tmp_path / "ref.weights.h5")
    mine = sk.models.load_model(tmp_path / "ref.keras")
    assert [l.dtype_policy.name for l in mine.layers] == ["float8_from_float32"] * 2
    _assert_same_by_name(mine, ref)
    np.testing.assert_allclose(mine.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    fresh = _quantized(sk, mlp)
    fresh.load_weights(tmp_path / "ref.weights.h5")
    np.testing.assert_allclose(fresh.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_float8_model_trained_with_gradient_accumulation_reloads_in_keras(keras_runs, tmp_path):
    """A float8 model quantized after building lists its float8 variables after its kernel
    (Keras's and the library's `weights`), a model rebuilt from a file before it. Keras 3.15
    writes its gradient accumulators and its legacy `.h5` weights in the first order and then
    cannot load its own file; the library writes the rebuilt order: real Keras loads its `.keras`
    and `.h5` files (3 steps under Adam(gradient_accumulation_steps=2): accumulators part way)
    with the same predictions, weights, float8 scales and histories, and (`.keras`) its
    accumulators: one more step (which applies them) from the file gives the weights of one
    more step in the library, as it does from either file loaded here. Keras's own legacy `.h5` of a float8 model (no accumulators) loads here too."""
    keras = real_keras()
    import swiftkeras as sk
    run = keras_runs["mlp_accumulating"]
    ours = _quantized(sk, mlp, run["initial"])
    # (a loss object: Keras's legacy `.h5` loader cannot take the string "mse" back)
    ours.compile(sk.optimizers.Adam(0.01, gradient_accumulation_steps=2), sk.losses.MeanSquaredError())
    ours.fit(X, Y, epochs=1, batch_size=6, shuffle=False, verbose=0)   # (3 steps)
    expected = np.asarray(ours.predict(X, verbose=0))
    for suffix in (".keras", ".h5"):
        ours.save(tmp_path / f"ours{suffix}")
    before = _by_name(ours)
    ours.fit(X[:8], Y[:8], epochs=1, batch_size=8, shuffle=False, verbose=0)
    stepped = _by_name(ours)
    for suffix in (".keras", ".h5"):
        for lib in (keras, sk):
            loaded = lib.models.load_model(tmp_path / f"ours{suffix}")
            np.testing.assert_allclose(np.asarray(loaded.predict(X, verbose=0)), expected, rtol=1e-6, atol=1e-7)
            for key, value in _by_name(loaded).items():
                np.testing.assert_array_equal(value, before[key], err_msg=f"{lib.__name__} {suffix} {key}")
            if lib is keras and suffix == ".h5":
                continue   # (Keras's legacy loader builds the optimizer on no variables: no state)
            if lib is keras:
                accumulators = [np.asarray(v) for v in loaded.optimizer.variables
                                if v.path.endswith("_gradient_accumulator")]
                assert len(accumulators) == 16 and all(np.abs(a).max() > 0 for a in accumulators)
            loaded.fit(X[:8], Y[:8], epochs=1, batch_size=8, shuffle=False, verbose=0)
            for key, value in _by_name(loaded).items():
                np.testing.assert_allclose(value, stepped[key], rtol=1e-5, atol=1e-6,
                                           err_msg=f"{lib.__name__} {suffix} {key}")
    ref = keras_runs["mlp"]["model"]
    ref.save(tmp_path / "ref.h5")
    mine = sk.models.load_model(tmp_path / "ref.h5")
    _assert_same_by_name(mine, ref)
    np.testing.assert_allclose(mine.predict(X, verbose=0), np.asarray(ref.predict(X, verbose=0)), rtol=1e-5, atol=1e-6)
    # Keras's own `.weights.h5` with accumulators (in the order of a model quantized after
    # building) loads into such a model here (the optimizer's variables read in that order)
    ref = run["model"]
    ref.save_weights(tmp_path / "ref.weights.h5")
    mine = _quantized(sk, mlp, run["initial"])
    mine.compile(sk.optimizers.Adam(0.01, gradient_accumulation_steps=2), "mse")
    mine.load_weights(tmp_path / "ref.weights.h5")
    _assert_same_by_name(mine, ref)


def test_float8_skips_embedding_as_keras_and_refuses_requantizing():
    import swiftkeras as sk
    from test_quantize import tagger
    model = tagger(sk)
    with pytest.warns(UserWarning, match=r"Expected one of \('int8', 'int4'\). Received: quantization_mode=float8"):
        model.quantize("float8")
    assert [l.quantization_mode for l in model.layers if l.name in ("emb", "head")] == [None, "float8"]
    other = tagger(sk)
    other.predict(IDS[:1], verbose=0)   # (built)
    with pytest.raises(NotImplementedError, match="quantization_mode=float8"):
        other.get_layer("emb").quantize("float8")
    with pytest.raises(ValueError, match="already quantized with dtype_policy='float8_from_float32'"):
        model.quantize("int8")
