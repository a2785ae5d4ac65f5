"""Writes Tests/KerasTests/Fixtures/quantization/awq*.{json,keras,weights.h5} from real Keras 3
(JAX backend): a small token model (Embedding, then a functional transformer-style block
holding two Dense and three EinsumDense layers, then a Dense block) with fixed weights, quantized by `model.quantize("awq",
config=AWQConfig(...))` (several configs) and by `model.quantize("gptq", ...)` (the block of
several layers) over a fixed calibration array: the quantized weights, the layers' configs, the
predictions, and the first AWQ case's model saved as .keras and .weights.h5; and in
awq_attention.json the same for a block around a MultiHeadAttention (AWQ and GPTQ), in
awq_grouped.json (and awq_grouped.keras, its AWQ model) for one around a GroupedQueryAttention. (Keras's AWQ runs op
by op, its grid search 21 roundings a layer: too slow for the test itself.)

    KERAS_BACKEND=jax /work/main/.venv/bin/python scripts/make_awq_fixtures.py [grouped]

(`grouped`: only awq_grouped.*.)

Keras picks the calibration windows at an offset from Python's `hash` of a tuple with a string
(set by PYTHONHASHSEED): the script fixes it (`gptq_core.hash`, which AWQ's loader is). The
test imports this module for the model, weights and data.
"""
import json
import os
import sys
import warnings

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "quantization")
HASH = 5

CASES = {
    "awq_group8": ("awq", dict(group_size=8)),
    "awq_per_channel_grid5": ("awq", dict(group_size=-1, num_grid_points=5)),
    "awq_group5_filtered": ("awq", dict(group_size=5), "ffn|heads|out3"),
    "gptq_block_bits4_group8": ("gptq", dict(weight_bits=4, group_size=8)),
}


QUANTIZED = ("ffn_in", "ffn_out", "heads", "out3", "mix")


def model(lib):
    """Embedding(20, 16) → block → Dense(5): the blocks are the functional block and the last
    Dense. The block (a transformer-style one): Dense(12, relu) → Dense(16), added to its input,
    LayerNormalization; then an EinsumDense to heads (kernel [16, 2, 6]), one back from them
    (kernel [2, 6, 16]) and a 2-D one, added to the normalized."""
    b_in = lib.Input((8, 16))
    h = lib.layers.Dense(12, activation="relu", name="ffn_in")(b_in)
    h = lib.layers.Dense(16, name="ffn_out")(h)
    x = lib.layers.LayerNormalization(name="norm")(lib.layers.Add(name="residual")([b_in, h]))
    p = lib.layers.EinsumDense("abc,cde->abde", output_shape=(8, 2, 6), bias_axes="de", name="heads")(x)
    o = lib.layers.EinsumDense("abcd,cde->abe", output_shape=(8, 16), name="out3")(p)
    o = lib.layers.EinsumDense("abc,cd->abd", output_shape=(8, 16), bias_axes="d", name="mix")(o)
    block = lib.Model(b_in, lib.layers.Add(name="residual2")([x, o]), name="block")
    inp = lib.Input((8,), dtype="int32")
    emb = lib.layers.Embedding(20, 16, name="emb")
    head = lib.layers.Dense(5, name="head")
    m = lib.Model(inp, head(block(emb(inp))), name="tokens")
    m.get_weights()   # (swiftkeras: the nested block's layers list their weights once the model is made)
    for i, layer in enumerate([emb, head] + [block.get_layer(n) for n in ("norm",) + QUANTIZED]):
        rng = np.random.default_rng(20261207 + i)
        layer.set_weights([(rng.normal(scale=1 if w.ndim == 2 and layer is emb else 0.4, size=w.shape)
                            + (1 if layer.name == "norm" and j == 0 else 0)).astype("float32")
                           for j, w in enumerate(layer.get_weights())])
    return m, {"pre_block_layers": [emb], "sequential_blocks": [block, head]}


def dense_layers(m):
    """The model's Dense and EinsumDense layers, those of the nested block first: (name, layer)."""
    block = m.get_layer("block")
    return [(n, block.get_layer(n)) for n in QUANTIZED] + [("head", m.get_layer("head"))]


DATA = np.random.default_rng(7).integers(0, 20, size=(10, 8)).astype("int32")
X = np.random.default_rng(8).integers(0, 20, size=(3, 8)).astype("int32")


def config(lib, mode, kwargs, structure):
    cls = lib.quantizers.AWQConfig if mode == "awq" else lib.quantizers.GPTQConfig
    return cls(dataset=DATA, tokenizer=lambda s: s, num_samples=4, sequence_length=8,
               quantization_layer_structure=structure, **kwargs)


def attention_model(lib):
    """Embedding(20, 6) → block → Dense(5), the block a functional one around a
    MultiHeadAttention(2 heads, key_dim 3) over its input, added to it: Keras quantizes the
    attention's four EinsumDense projections."""
    return _block_model(lib, lib.layers.MultiHeadAttention(2, 3, name="att"), 20261208)


def _block_model(lib, attention, seed):
    """Embedding(20, 6) → block → Dense(5), the block a functional one around `attention` over
    its input, added to it; weights drawn from `seed`; with the AWQ/GPTQ structure."""
    b_in = lib.Input((8, 6))
    block = lib.Model(b_in, lib.layers.Add(name="residual")([b_in, attention(b_in, b_in)]), name="block")
    inp = lib.Input((8,), dtype="int32")
    emb = lib.layers.Embedding(20, 6, name="emb")
    head = lib.layers.Dense(5, name="head")
    m = lib.Model(inp, head(block(emb(inp))), name="tokens")
    rng = np.random.default_rng(seed)
    m.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in m.get_weights()])
    return m, {"pre_block_layers": [emb], "sequential_blocks": [block, head]}


def attention_layers(m):
    """The attention's projections and the head: (name, layer)."""
    att = m.get_layer("block").get_layer("att")
    return [(n, getattr(att, f"{n}_dense")) for n in ("query", "key", "value", "output")] + [("head", m.get_layer("head"))]


def grouped_model(lib):
    """`attention_model` with a GroupedQueryAttention (4 query heads over 2 key/value heads,
    head_dim 3): Keras quantizes its four EinsumDense projections too."""
    return _block_model(lib, lib.layers.GroupQueryAttention(
        head_dim=3, num_query_heads=4, num_key_value_heads=2, name="gqa"), 20261209)


def grouped_layers(m):
    """The grouped attention's projections and the head: (name, layer)."""
    gqa = m.get_layer("block").get_layer("gqa")
    return [(n, getattr(gqa, f"_{n}_dense")) for n in ("query", "key", "value", "output")] + [("head", m.get_layer("head"))]


GROUPED_CASES = {
    "grouped_awq_group4": ("awq", dict(group_size=4)),
    "grouped_gptq_bits3_group4": ("gptq", dict(weight_bits=3, group_size=4)),
}


ATTENTION_CASES = {
    "attention_awq_per_channel": ("awq", dict(group_size=-1)),
    "attention_gptq_bits4_group3": ("gptq", dict(weight_bits=4, group_size=3)),
}


def quantized_case(keras, make, layers_of, mode, kwargs, filters=None):
    """Keras's model from `make` quantized in `mode`: the model and what the fixture keeps of
    it (the quantized layers' weights and configs, the predictions)."""
    m, structure = make(keras)
    cfg = config(keras, mode, kwargs, structure)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.quantize(mode, config=cfg, filters=filters)
    # (Keras cannot serialize a config holding the layers: the structure goes once used)
    cfg.quantization_layer_structure = None
    layers = {}
    for lname, layer in layers_of(m):
        layers[lname] = {"weights": [{"path": w.path, "dtype": w.dtype, "trainable": w.trainable,
                                      "value": np.asarray(w).tolist()}
                                     for w in layer.weights],
                         "config": layer.get_config()}
    return m, {"mode": mode, "kwargs": kwargs, "filters": filters, "layers": layers, "predict": np.asarray(m(X)).tolist()}


def write_attention(keras):
    out = {"hash": HASH, "data": DATA.tolist(), "x": X.tolist(), "cases": {}}
    for name, (mode, kwargs) in ATTENTION_CASES.items():
        out["cases"][name] = quantized_case(keras, attention_model, attention_layers, mode, kwargs)[1]
        print(name, "done", flush=True)
    with open(os.path.join(OUT, "awq_attention.json"), "w") as f:
        json.dump(out, f)


def write_grouped(keras):
    out = {"hash": HASH, "data": DATA.tolist(), "x": X.tolist(), "cases": {}}
    for i, (name, (mode, kwargs)) in enumerate(GROUPED_CASES.items()):
        m, out["cases"][name] = quantized_case(keras, grouped_model, grouped_layers, mode, kwargs)
        if i == 0:
            m.save(os.path.join(OUT, "awq_grouped.keras"))
        print(name, "done", flush=True)
    with open(os.path.join(OUT, "awq_grouped.json"), "w") as f:
        json.dump(out, f)


def main():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras
    from keras.src.quantizers import gptq_core
    gptq_core.hash = lambda _: HASH
    os.makedirs(OUT, exist_ok=True)
    if sys.argv[1:] == ["grouped"]:
        return write_grouped(keras)
    out = {"hash": HASH, "data": DATA.tolist(), "x": X.tolist(), "cases": {}}
    for i, (name, (mode, kwargs, *filters)) in enumerate(CASES.items()):
        m, out["cases"][name] = quantized_case(keras, model, dense_layers, mode, kwargs, filters[0] if filters else None)
        if i == 0:
            m.save(os.path.join(OUT, "awq_group8.keras"))
            m.save_weights(os.path.join(OUT, "awq_group8.weights.h5"))
        print(name, "done", flush=True)
    with open(os.path.join(OUT, "awq.json"), "w") as f:
        json.dump(out, f)
    write_attention(keras)
    write_grouped(keras)


if __name__ == "__main__":
    main()
