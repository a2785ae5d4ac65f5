"""Writes Tests/KerasTests/Fixtures/quantization/gptq*.{json,keras,weights.h5} from real Keras 3
(JAX backend): a small token model (Embedding, then two Dense blocks) with fixed weights,
quantized by `model.quantize("gptq", config=GPTQConfig(...))` over a fixed calibration array,
for several configs: the quantized weights, the layers' configs, the predictions, and the
first case's model saved as .keras and .weights.h5. (Keras's GPTQ runs op by op, a minute a
case on a loaded machine: too slow for the test itself.)

    KERAS_BACKEND=jax /work/main/.venv/bin/python scripts/make_gptq_fixtures.py

Keras picks the calibration windows at an offset from Python's `hash` of a tuple with a string
(set by PYTHONHASHSEED): the script fixes it (`gptq_core.hash`), and the test fixes
swiftkeras's the same way. The test imports this module for the model, weights and data.
"""
import json
import os
import warnings

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "quantization")
HASH = 5

CASES = {
    "bits4_group8": dict(weight_bits=4, group_size=8),
    "bits3_whole_symmetric_act_order": dict(weight_bits=3, group_size=-1, symmetric=True, activation_order=True),
    "bits8_group5_per_tensor_act_order": dict(weight_bits=8, group_size=5, per_channel=False,
                                              activation_order=True, hessian_damping=0.1),
}


def weights():
    rng = np.random.default_rng(20261206)
    return [rng.normal(size=(20, 16)).astype("float32"),
            rng.normal(scale=0.4, size=(16, 12)).astype("float32"), rng.normal(scale=0.1, size=12).astype("float32"),
            rng.normal(scale=0.4, size=(12, 5)).astype("float32"), rng.normal(scale=0.1, size=5).astype("float32")]


def model(lib):
    """Embedding(20, 16) → Dense(12, relu) → Dense(5): the blocks are the two Dense layers."""
    inp = lib.Input((8,), dtype="int32")
    emb = lib.layers.Embedding(20, 16, name="emb")
    d1 = lib.layers.Dense(12, activation="relu", name="d1")
    d2 = lib.layers.Dense(5, name="d2")
    m = lib.Model(inp, d2(d1(emb(inp))))
    m.set_weights(weights())
    return m, {"pre_block_layers": [emb], "sequential_blocks": [d1, d2]}


DATA = np.random.default_rng(7).integers(0, 20, size=(10, 8)).astype("int32")
X = np.random.default_rng(8).integers(0, 20, size=(3, 8)).astype("int32")


def main():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    from keras.src.quantizers import gptq_core
    gptq_core.hash = lambda _: HASH
    os.makedirs(OUT, exist_ok=True)
    out = {"hash": HASH, "weights": [w.tolist() for w in weights()], "data": DATA.tolist(), "x": X.tolist(),
           "cases": {}}
    for i, (name, kwargs) in enumerate(CASES.items()):
        m, structure = model(keras)
        cfg = keras.quantizers.GPTQConfig(dataset=DATA, tokenizer=lambda s: s, num_samples=4, sequence_length=8,
                                          quantization_layer_structure=structure, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.quantize("gptq", config=cfg)
        # (Keras cannot serialize a config holding the layers: the structure goes once used)
        cfg.quantization_layer_structure = None
        layers = {}
        for layer in m.layers[2:]:
            layers[layer.name] = {"weights": [{"path": w.path, "dtype": w.dtype, "trainable": w.trainable,
                                               "value": np.asarray(w).tolist()}
                                              for w in layer.weights],
                                  "config": layer.get_config()}
        lines = []
        m.summary(print_fn=lambda text, **_: lines.append(text))
        summary = [line.rstrip() for line in "\n".join(lines).splitlines() if line.strip()]
        out["cases"][name] = {"kwargs": kwargs, "layers": layers, "predict": np.asarray(m(X)).tolist(),
                              "summary": summary}
        if i == 0:
            m.save(os.path.join(OUT, "gptq_bits4_group8.keras"))
            m.save_weights(os.path.join(OUT, "gptq_bits4_group8.weights.h5"))
        print(name, "done", flush=True)
    with open(os.path.join(OUT, "gptq.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
