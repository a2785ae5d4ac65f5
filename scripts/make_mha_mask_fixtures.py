"""Writes bindings/c/tests/mha_masks_fixture.h from real Keras 3 (jax): a functional model
Embedding(mask_zero=True) -> MultiHeadAttention -> pooling, as a C program builds it with
keras_model_from_json: its config as Keras writes it, less the masks Keras records in the nodes
(the `mask` of the calls taking one and the operations that make it), which Keras
records again when it builds the graph from such a config (checked here). The
GlobalAveragePooling1D after the attention on its query therefore gets the embedding's mask
although the attention cleared it; the embedding as a model output carries none.
The header holds the config, the weights (model.get_weights() order), the tokens, and Keras's
outputs and output masks.

    KERAS_BACKEND=jax .venv/bin/python scripts/make_mha_mask_fixtures.py
"""
import copy
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.backend import get_keras_mask  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "bindings", "c", "tests", "mha_masks_fixture.h")
TOKENS = np.array([[3, 4, 0, 0, 0], [1, 2, 3, 0, 0], [5, 6, 7, 8, 9]], "int32")


def model():
    L = keras.layers
    t = keras.Input((5,), dtype="int32", name="tokens")
    e = L.Embedding(10, 4, mask_zero=True, name="embedding")(t)
    a = L.MultiHeadAttention(2, 3, name="attention")(e, e)
    pooled = L.GlobalAveragePooling1D(name="pooled_embedding")(e)   # runs after the attention
    return keras.Model(t, [L.GlobalAveragePooling1D(name="pooled_attention")(a), pooled, a, e])


# The operations that make the recorded masks (Embedding's not_equal).
MASK_OPERATIONS = ("NotEqual",)


def without_recorded_masks(config):
    """The config as a C program writes it: no node records a mask."""
    layers = [dict(layer) for layer in config["layers"] if layer["class_name"] not in MASK_OPERATIONS]
    for layer in layers:
        layer["inbound_nodes"] = [{"args": node["args"], "kwargs": {k: v for k, v in node["kwargs"].items() if k != "mask"}}
                                  for node in layer["inbound_nodes"]]
    return {**config, "layers": layers}


def c_floats(name, values):
    flat = np.asarray(values, np.float32).ravel()
    body = ",\n    ".join(", ".join(f"{v:.9e}f" for v in flat[i:i + 8]) for i in range(0, len(flat), 8))
    return f"static const float {name}[{len(flat)}] = {{\n    {body}\n}};\n"


def main():
    keras.utils.set_random_seed(0)
    m = model()
    rng = np.random.default_rng(20261207)
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in m.get_weights()]
    m.set_weights(weights)
    config = without_recorded_masks(m.get_config())
    rebuilt = keras.Model.from_config(copy.deepcopy(config))   # (from_config empties it)
    rebuilt.set_weights(weights)
    outs = rebuilt(TOKENS)
    for got, want in zip(outs, m(TOKENS)):   # Keras records the masks again
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, atol=1e-6)
    masks = [get_keras_mask(o) for o in outs]
    text = json.dumps({"module": "keras", "class_name": "Functional", "config": config})
    lines = [f"/* Written by scripts/{os.path.basename(__file__)} from real Keras {keras.__version__} (jax). */",
             "#ifndef MHA_MASKS_FIXTURE_H", "#define MHA_MASKS_FIXTURE_H",
             f"static const char *const mha_config = {json.dumps(text)};",
             f"#define MHA_WEIGHT_COUNT {len(weights)}",
             f"static const int64_t mha_weight_sizes[{len(weights)}] = {{{', '.join(str(w.size) for w in weights)}}};",
             c_floats("mha_weights", np.concatenate([w.ravel() for w in weights])),
             c_floats("mha_tokens", TOKENS),
             f"#define MHA_OUTPUT_COUNT {len(outs)}",
             f"static const int64_t mha_output_sizes[{len(outs)}] = {{{', '.join(str(np.size(o)) for o in outs)}}};",
             c_floats("mha_outputs", np.concatenate([np.asarray(o).ravel() for o in outs])),
             f"static const int mha_output_has_mask[{len(outs)}] = {{{', '.join('0' if k is None else '1' for k in masks)}}};",
             c_floats("mha_output_masks", np.concatenate([np.asarray(k, np.float32).ravel() for k in masks if k is not None])),
             "#endif"]
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote", OUT, "masks:", [None if k is None else np.asarray(k).shape for k in masks])


if __name__ == "__main__":
    main()
