"""The mask Keras records for a call taking `mask` (LSTM, GlobalAveragePooling1D, ...) when it
builds a functional graph, against MultiHeadAttention clearing masks at run time. Keras's
`Layer.__call__` adds the input's symbolic mask to the call's kwargs, and its node records that
dict only for a call given no keyword arguments: `LSTM(3)(s)` records the mask `s` has when the
graph is built (the or of a merge's inputs' masks), so the LSTM gets it even though the
attention cleared the embedding's mask before the merge ran; the same call read back from a
config whose node writes `training` and no `mask` records none, so the LSTM gets the merge's
run-time mask (none: one of its inputs lost its mask). Compared with real Keras 3 (jax): models
built in Python, Keras's files read here, configs without masks (kwargs kept, kwargs dropped),
predictions, the weights after fit and the ONNX export."""

import copy

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

TOKENS = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 0, 0], [5, 6, 7, 8, 9]], "int32")


CASES = ["add", "concatenate", "multiply", "query_value", "dropout"]


def _case(lib, t, case):
    """An LSTM on a merge of an embedding and an attention on it, and a GlobalAveragePooling1D
    on another merge: the attention clears the embedding's mask before the merges run."""
    L = lib.layers
    e = L.Embedding(10, 4, mask_zero=True)(t)
    q = L.Embedding(10, 4, mask_zero=True)(t) if case == "query_value" else e
    read = L.Dropout(0.5)(e) if case == "dropout" else e   # (at inference, e itself)
    a = L.MultiHeadAttention(2, 3)(q, read)
    merge = {"concatenate": L.Concatenate, "multiply": L.Multiply}.get(case, L.Add)
    return [L.LSTM(3)(merge()([e, a])), L.GlobalAveragePooling1D()(L.Add()([e, L.Dense(4)(a)]))]


def _build(lib, cases=CASES):
    t = lib.Input((5,), dtype="int32", name="tokens")
    return lib.Model(t, [out for case in cases for out in _case(lib, t, case)])


def _pair(cases=CASES):
    ref = _build(keras, cases)
    rng = np.random.default_rng(1)
    weights = [rng.normal(scale=0.5, size=np.shape(w)).astype("float32") for w in ref.get_weights()]
    ref.set_weights(weights)
    return ref, weights


def _with_weights_of(model, ref):
    """`model` with `ref`'s weights, layer by layer (by name: the order of a model's weights
    follows its layers', which a config read back need not keep)."""
    for layer in ref.layers:
        if layer.get_weights():
            model.get_layer(layer.name).set_weights(layer.get_weights())
    return model


def _from_config(lib, config, ref):
    return _with_weights_of(lib.Model.from_config(copy.deepcopy(config)), ref)


def _config_without_masks(ref, keep_kwargs):
    """`ref`'s config with no `mask` in its nodes (nor the ops that made them); the nodes keep
    their other kwargs (`training: false`) or have none."""
    config = ref.get_config()
    config["layers"] = [dict(layer, inbound_nodes=[
        {"args": node["args"],
         "kwargs": {k: v for k, v in node["kwargs"].items() if k != "mask"} if keep_kwargs else {}}
        for node in layer["inbound_nodes"]])
        for layer in config["layers"] if layer["module"].startswith("keras.layers")]
    return config


def _assert_same(got, want, what):
    assert len(got) == len(want), what
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=1e-5, atol=1e-5,
                                   err_msg=f"{what}: output {i}")


def test_built_in_python_and_read_from_keras_files(tmp_path):
    ref, weights = _pair()
    ours = _build(sk)
    ours.set_weights(weights)
    want = ref.predict(TOKENS, verbose=0)
    _assert_same(ours.predict(TOKENS, verbose=0), want, "built in Python")
    ref.save(tmp_path / "theirs.keras")
    _assert_same(sk.saving.load_model(tmp_path / "theirs.keras").predict(TOKENS, verbose=0), want,
                 "Keras's file read here")
    ours.save(tmp_path / "ours.keras")
    _assert_same(keras.saving.load_model(tmp_path / "ours.keras").predict(TOKENS, verbose=0), want,
                 "our file read by Keras")


@pytest.mark.parametrize("keep_kwargs", [True, False], ids=["kwargs_kept", "no_kwargs"])
def test_a_config_recording_no_masks(keep_kwargs):
    ref, _ = _pair()
    config = _config_without_masks(ref, keep_kwargs)
    theirs = _from_config(keras, config, ref)
    ours = _with_weights_of(sk.models.model_from_json(_from_config(sk, config, ref).to_json()), ref)
    want = theirs.predict(TOKENS, verbose=0)
    _assert_same(ours.predict(TOKENS, verbose=0), want, "predict")
    _assert_same(ours(TOKENS), want, "model(x)")
    # (what the comparison is about: the LSTMs and poolings are masked as when Keras built the
    # graph, or get the merges' run-time masks: none, but for Concatenate's, which fills the
    # missing mask with ones)
    built = ref.predict(TOKENS, verbose=0)
    for i, case in enumerate(c for c in CASES for _ in range(2)):
        if not keep_kwargs or i % 2:
            np.testing.assert_allclose(want[i], built[i], rtol=1e-5, atol=1e-6)
        elif case != "concatenate":
            assert not np.allclose(want[i], built[i], atol=1e-3), case


@pytest.mark.parametrize("keep_kwargs", [True, False], ids=["kwargs_kept", "no_kwargs"])
def test_fit_on_a_config_recording_no_masks(keep_kwargs):
    cases = ["add", "query_value"]   # (no Dropout: the two libraries draw differently)
    ref, _ = _pair(cases)
    config = _config_without_masks(ref, keep_kwargs)
    models = []
    for lib in (keras, sk):
        model = _from_config(lib, config, ref)
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
        models.append(model)
    y = [np.linspace(-1, 1, 9, dtype="float32").reshape(3, 3), np.full((3, 4), 0.5, "float32")] * len(cases)
    for model in models:
        model.fit(TOKENS, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    theirs, ours = models
    for layer in theirs.layers:
        _assert_same(ours.get_layer(layer.name).get_weights(), layer.get_weights(), f"{layer.name} after fit")
    _assert_same(ours.predict(TOKENS, verbose=0), theirs.predict(TOKENS, verbose=0), "predict after fit")


def test_the_catalogue_lists_the_masks_each_call_takes_as_keras():
    """Python's layers learn from the catalogue which calls take masks (`call_masks`): "mask"
    where Keras's call takes its one input's, "attention" for the attention layers (their
    query's, value's and key's), none for the others."""
    import inspect
    from swiftkeras import _catalog
    compared = 0
    for name in _catalog.layer_names():
        cls = getattr(keras.layers, name, None)
        if cls is None or name in ("Lambda", "Pipeline"):   # (they pass it on to what they hold)
            continue
        params = inspect.signature(cls.call).parameters
        want = "attention" if "query_mask" in params or issubclass(cls, keras.layers.Attention) \
            else "mask" if "mask" in params else None
        assert _catalog.layer_call_masks(name) == want, name
        compared += want is not None
    assert compared >= 15


@needs("keras_model_export_onnx")
@pytest.mark.parametrize("keep_kwargs", [True, False], ids=["kwargs_kept", "no_kwargs"])
def test_the_onnx_export_of_a_config_recording_no_masks(keep_kwargs, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    ref, _ = _pair(["add", "query_value"])
    config = _config_without_masks(ref, keep_kwargs)
    theirs = _from_config(keras, config, ref)
    _from_config(sk, config, ref).export(str(tmp_path / "model.onnx"), format="onnx", verbose=False)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: TOKENS})
    _assert_same(got, theirs.predict(TOKENS, verbose=0), "onnxruntime")
