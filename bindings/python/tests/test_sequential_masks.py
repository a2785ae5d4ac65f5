"""A layer written in Python in a Sequential gets the mask Keras's call gets: None after layers
that carry none (Dense on an Input; the library's trace gave it an all-ones mask), the
Embedding's (mask_zero) through the layers that pass it on, None again after a layer whose
compute_mask ends it (GlobalAveragePooling1D); the same for a Sequential built at its first call and one read from a .keras file (either
library's), compared with real Keras 3."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras
from layer_probes import mask_marker

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_input_has_mask")

REF, OURS = ({"MaskProbe": mask_marker(lib, "MaskProbe", "SequentialMasks")} for lib in (keras, sk))
TOKENS = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], np.int32)
VALUES = np.random.RandomState(0).normal(size=(2, 3)).astype("float32")


def _stack(lib, ns, case):
    layers, ones = lib.layers, {"kernel_initializer": "ones"}
    embed = lambda: layers.Embedding(5, 2, mask_zero=True, embeddings_initializer="ones")  # noqa: E731
    return {
        "dense": ([lib.Input((3,)), layers.Dense(2, **ones)], VALUES),
        "unbuilt": ([layers.Dense(2, **ones)], VALUES),
        "embedding": ([lib.Input((4,), dtype="int32"), embed()], TOKENS),
        "embedding_dense": ([lib.Input((4,), dtype="int32"), embed(), layers.Dense(2, **ones)], TOKENS),
        "embedding_lstm": ([lib.Input((4,), dtype="int32"), embed(),
                            layers.LSTM(2, return_sequences=True, recurrent_initializer="zeros", **ones)], TOKENS),
        "embedding_dropped": ([lib.Input((4,), dtype="int32"), embed(), layers.GlobalAveragePooling1D(),
                               layers.Dense(2, **ones)], TOKENS),
    }[case]


@pytest.mark.parametrize("case", ["dense", "unbuilt", "embedding", "embedding_dense", "embedding_lstm",
                                  "embedding_dropped"])
def test_python_layer_gets_kerass_mask_in_sequential(case, tmp_path):
    models = {}
    for name, lib, ns in (("ours", sk, OURS), ("theirs", keras, REF)):
        stack, x = _stack(lib, ns, case)
        models[name] = lib.Sequential(stack + [ns["MaskProbe"]()])
    want = np.asarray(models["theirs"].predict(x, verbose=0))
    np.testing.assert_allclose(models["ours"].predict(x, verbose=0), want, atol=1e-6)
    models["theirs"].save(tmp_path / "theirs.keras")
    models["ours"].save(tmp_path / "ours.keras")
    for path in ("theirs.keras", "ours.keras"):
        loaded = sk.saving.load_model(tmp_path / path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), want, atol=1e-6, err_msg=path)
