"""keras.dtype_policies / keras.mixed_precision / keras.config's dtype policy against real
Keras: policy objects, their serialized form, get; the global policy and a layer's `dtype`
accept float32 and refuse, naming the policy, what the library cannot compute in; a file Keras
saved under mixed precision still loads (computing in float32, with a warning naming the
layers)."""

import warnings

import numpy as np
import pytest

import swiftkeras as sk
from conftest import real_keras

NAMES = ["float32", "float16", "bfloat16", "float64", "mixed_float16", "mixed_bfloat16", "int32",
         "uint8", "float", "mixed_float32", "foo"]


def _described(make, name):
    try:
        p = make(name)
        return (repr(p), p.name, p.compute_dtype, p.variable_dtype, p.quantization_mode,
                p.get_config())
    except (ValueError, TypeError) as e:
        return type(e).__name__


@pytest.mark.parametrize("name", NAMES + [None, 3])
def test_policy_objects_match_keras(name):
    keras = real_keras()
    assert _described(sk.dtype_policies.DTypePolicy, name) == \
        _described(keras.dtype_policies.DTypePolicy, name)
    assert _described(sk.mixed_precision.Policy, name) == \
        _described(keras.mixed_precision.Policy, name)


def test_serialize_deserialize_and_get_match_keras():
    keras = real_keras()
    for name in ("float32", "mixed_float16", "bfloat16"):
        mine = sk.dtype_policies.serialize(sk.dtype_policies.DTypePolicy(name))
        assert mine == keras.dtype_policies.serialize(keras.dtype_policies.DTypePolicy(name))
        assert sk.dtype_policies.deserialize(mine) == sk.dtype_policies.DTypePolicy(name)
        assert sk.dtype_policies.get(mine).name == name
    for identifier in (None, "float32", "mixed_bfloat16", np.float32, "int64"):
        assert repr(sk.dtype_policies.get(identifier)) == \
            repr(keras.dtype_policies.get(identifier))
    assert sk.DTypePolicy is sk.dtype_policies.DTypePolicy is sk.mixed_precision.DTypePolicy
    assert sk.dtype_policies.FloatDTypePolicy("float32") == sk.DTypePolicy("float32")
    with pytest.raises(ValueError, match="quantized"):
        sk.dtype_policies.get("int8_from_float32")


def test_global_policy_accepts_float32_and_refuses_what_the_library_cannot_compute():
    keras = real_keras()
    assert repr(sk.config.dtype_policy()) == repr(keras.config.dtype_policy()) == \
        repr(sk.mixed_precision.global_policy())
    sk.mixed_precision.set_global_policy("float32")
    sk.config.set_dtype_policy(sk.DTypePolicy("float32"))
    for name in ("mixed_float16", "mixed_bfloat16", "float16", "float64"):
        with pytest.raises(ValueError, match=f"'{name}'.*float32 only"):
            sk.mixed_precision.set_global_policy(name)
    with pytest.raises(ValueError, match="Invalid `policy` argument"):
        sk.config.set_dtype_policy(3)
    assert sk.config.dtype_policy().name == "float32"


def test_layer_dtype_policies():
    keras = real_keras()
    assert sk.layers.Dense(2).get_config()["dtype"] == keras.layers.Dense(2).get_config()["dtype"]
    dense = sk.layers.Dense(2, dtype=sk.DTypePolicy("float32"), name="d")
    assert (repr(dense.dtype_policy), dense.compute_dtype, dense.variable_dtype) == \
        ('<DTypePolicy "float32">', "float32", "float32")
    for dtype in ("mixed_float16", "bfloat16", sk.DTypePolicy("float64")):
        name = getattr(dtype, "name", dtype)
        with pytest.raises(ValueError, match=f"Layer 'half': the dtype policy '{name}'"):
            sk.layers.Dense(2, dtype=dtype, name="half")

    class Custom(sk.layers.Layer):
        def call(self, x):
            return x
    with pytest.raises(ValueError, match="mixed_float16"):
        Custom(dtype="mixed_float16")


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16", "float16"])
def test_a_file_keras_saved_under_another_policy_loads_in_float32(tmp_path, policy):
    keras = real_keras()
    rng = np.random.RandomState(0)
    keras.config.set_dtype_policy(policy)
    try:
        inp = keras.Input((4,))
        hidden = keras.layers.Dense(5, activation="relu", name="hidden")(inp)
        out = keras.layers.Dense(2, name="out", dtype="float32")(hidden)
        saved = keras.Model(inp, out)
        saved.set_weights([rng.rand(*w.shape).astype("float32") for w in saved.get_weights()])
        saved.save(tmp_path / "m.keras")
    finally:
        keras.config.set_dtype_policy("float32")
    with pytest.warns(UserWarning, match=f"'hidden' \\({policy}\\)") as caught:
        model = sk.models.load_model(tmp_path / "m.keras")
    assert not any("'out'" in str(w.message) for w in caught)
    assert model.get_layer("hidden").dtype_policy.name == "float32"
    x = rng.rand(3, 4).astype("float32")
    weights = [np.asarray(w, "float32") for w in saved.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))
    inp = keras.Input((4,))   # the same model in float32
    reference = keras.Model(inp, keras.layers.Dense(2)(keras.layers.Dense(5, activation="relu")(inp)))
    reference.set_weights(weights)
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0),
                               rtol=1e-6)
    with warnings.catch_warnings():   # a float32 file loads without the warning
        warnings.simplefilter("error", UserWarning)
        reference.save(tmp_path / "f.keras")
        sk.models.load_model(tmp_path / "f.keras")


def _map_described(lib, default):
    """A DTypePolicyMap with exact and pattern keys: its lookups, config, repr and errors."""
    dp = lib.dtype_policies
    m = dp.DTypePolicyMap(default_policy=default)
    m["encoder/layer_0/dense"] = "bfloat16"
    m["encoder/.*"] = dp.DTypePolicy("float16")
    m["decoder"] = "bfloat16"
    out = [m.name, m.compute_dtype, m.variable_dtype, m.quantization_mode, len(m), list(m),
           "decoder" in m, "decoder/x" in m]
    out += [m[p].name for p in ("encoder/layer_0/dense", "encoder/attention/query", "decoder",
                                "decoder/attention", "other")]
    m["encoder/attention/.*"] = "float64"
    for action in (lambda: m["encoder/attention/query"], lambda: m.__setitem__("decoder", "float32"),
                   lambda: m.__setitem__("x", 3.5), lambda: m.__delitem__("nope"),
                   lambda: dp.DTypePolicyMap(policy_map=[1]),
                   lambda: dp.DTypePolicyMap(default_policy=dp.DTypePolicyMap())):
        try:
            action()
            out.append(None)
        except (ValueError, TypeError, KeyError) as e:
            out.append((type(e).__name__, str(e)))
    del m["decoder"]
    out.append(repr(m).split(" default_policy=")[1])   # before get_config: Keras's clears names
    serialized = dp.serialize(m)
    back = dp.deserialize(serialized)
    out += [serialized, type(back).__name__, back.name, [(k, v.name) for k, v in back.items()],
            back["encoder/layer_0/dense"].name, back["decoder"].name, dp.get(serialized).name]
    return out


@pytest.mark.parametrize("default", [None, "float32", "bfloat16"])
def test_dtype_policy_map_matches_keras(default):
    keras = real_keras()
    assert _map_described(sk, default) == _map_described(keras, default)


def test_a_layer_given_a_policy_map_computes_in_float32_or_is_refused():
    m = sk.dtype_policies.DTypePolicyMap("float32", {"d": sk.DTypePolicy("float32")})
    dense = sk.layers.Dense(2, dtype=m, name="d")
    assert dense.dtype_policy.name == "float32"
    m["other"] = "mixed_float16"
    with pytest.raises(ValueError, match="Layer 'half': its DTypePolicyMap holds the dtype policy "
                                         "'mixed_float16'"):
        sk.layers.Dense(2, dtype=m, name="half")
