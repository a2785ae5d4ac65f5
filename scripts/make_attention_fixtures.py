"""Writes the attention fixtures (EinsumDense, MultiHeadAttention, Attention, AdditiveAttention)
from real Keras 3 (JAX backend).

Tests/KerasTests/Fixtures/layers/attention/*.json: one layer each (config, weights in
`layer.weights` order, inputs, inference outputs; several outputs with return_attention_scores),
plus masked and causal cases; and in Tests/KerasTests/Fixtures/saving/ a self-attention model
(Input -> MultiHeadAttention(x, x) -> GlobalAveragePooling1D -> Dense) written by Keras as
.keras/.h5/.json/.weights.h5 with its predictions (NAME.expected.json).

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_attention_fixtures.py
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

import make_layer_fixtures as lf  # noqa: E402

L = keras.layers
FAMILY = "attention"
SAVING = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "saving")


def case(name, layer, inputs, call=None, masks=None):
    """Builds `layer` on `inputs`, gives it random weights and records its inference outputs.

    `call(layer, inputs)` runs the layer (default: `layer(inputs)`); its result may be a tuple.
    """
    call = call or (lambda l, xs: l(xs, training=False))
    call(layer, inputs)
    weights = lf.set_random_weights([layer])
    out = call(layer, inputs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    xs = inputs if isinstance(inputs, list) else [inputs]
    payload = {
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "weights": weights,
        "weight_paths": [w.path for w in layer.weights],
        "inputs": [lf.array(x) for x in xs],
        "outputs": [lf.array(o) for o in outs],
    }
    if masks is not None:
        payload["masks"] = [lf.array(m) for m in masks]
    lf.write(f"{FAMILY}/{name}", payload)
    return payload


def einsum_cases():
    case("einsum_ab_bc", L.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c", name="einsum_ab_bc"), lf.uniform(3, 5))
    case("einsum_abc_cd", L.EinsumDense("abc,cd->abd", output_shape=(None, 6), bias_axes="d", activation="relu",
                                        name="einsum_abc_cd"), lf.uniform(2, 3, 5))
    case("einsum_abc_cde", L.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de",
                                         name="einsum_abc_cde"), lf.uniform(2, 4, 5))
    case("einsum_abcd_cde", L.EinsumDense("abcd,cde->abe", output_shape=(None, 5), bias_axes="e",
                                          name="einsum_abcd_cde"), lf.uniform(2, 3, 2, 4))
    # A transposed product: the output's kernel axis comes before a free one.
    case("einsum_abc_cd_adb", L.EinsumDense("abc,cd->adb", output_shape=(4, None), bias_axes="d",
                                            name="einsum_abc_cd_adb"), lf.uniform(2, 3, 5))
    case("einsum_ellipsis", L.EinsumDense("...b,bc->...c", output_shape=4, bias_axes="c", activation="tanh",
                                          name="einsum_ellipsis"), lf.uniform(2, 3, 5))
    case("einsum_nobias", L.EinsumDense("abc,cd->abd", output_shape=(None, 3), name="einsum_nobias"), lf.uniform(2, 3, 5))


def mha_cases():
    q, v, k = lf.uniform(2, 4, 6), lf.uniform(2, 5, 3), lf.uniform(2, 5, 7)
    case("mha_self", L.MultiHeadAttention(num_heads=2, key_dim=3, name="mha_self"), [q, q],
         call=lambda l, xs: l(xs[0], xs[1], training=False))
    case("mha_qvk_scores", L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=5,
                                                name="mha_qvk_scores"), [q, v, k],
         call=lambda l, xs: l(xs[0], xs[1], key=xs[2], return_attention_scores=True, training=False))
    case("mha_causal_nobias", L.MultiHeadAttention(num_heads=2, key_dim=4, use_bias=False, dropout=0.3,
                                                   name="mha_causal_nobias"), [q, q],
         call=lambda l, xs: l(xs[0], xs[1], use_causal_mask=True, return_attention_scores=True, training=False))
    mask = np.ones((2, 4, 5), dtype=np.float32)
    mask[0, :, 3:] = 0
    mask[1, 2, :] = 0  # a row with nothing to attend to: zeros
    case("mha_attention_mask", L.MultiHeadAttention(num_heads=2, key_dim=2, name="mha_attention_mask"), [q, v, mask],
         call=lambda l, xs: l(xs[0], xs[1], attention_mask=xs[2].astype(bool), return_attention_scores=True,
                              training=False))
    # Keras masks from the inputs: query and value padded with zeros, masked by Masking.
    qm, vm = q.copy(), v.copy()
    qm[0, 3] = 0
    vm[1, 1:] = 0
    qmask, vmask = np.any(qm != 0, axis=-1), np.any(vm != 0, axis=-1)
    layer = L.MultiHeadAttention(num_heads=2, key_dim=3, name="mha_input_masks")

    def masked_call(l, xs):
        a = L.Masking()(keras.ops.convert_to_tensor(xs[0]))
        b = L.Masking()(keras.ops.convert_to_tensor(xs[1]))
        out, scores = l(a, b, return_attention_scores=True, training=False)
        return out, scores
    case("mha_input_masks", layer, [qm, vm], call=masked_call, masks=[qmask, vmask])


def attention_cases():
    q, v, k = lf.uniform(2, 3, 4), lf.uniform(2, 5, 4), lf.uniform(2, 5, 4)
    case("attention_dot", L.Attention(name="attention_dot"), [q, v])
    case("attention_scale_scores", L.Attention(use_scale=True, name="attention_scale_scores"), [q, v, k],
         call=lambda l, xs: l(xs, return_attention_scores=True, training=False))
    case("attention_concat", L.Attention(score_mode="concat", use_scale=True, dropout=0.2, name="attention_concat"),
         [q, v, k])
    sq = lf.uniform(2, 5, 4)
    case("attention_causal", L.Attention(name="attention_causal"), [sq, v],
         call=lambda l, xs: l(xs, use_causal_mask=True, return_attention_scores=True, training=False))
    qmask = np.array([[1, 1, 0], [1, 0, 1]], dtype=bool)
    vmask = np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0]], dtype=bool)
    case("attention_masked", L.Attention(name="attention_masked"), [q, v],
         call=lambda l, xs: l(xs, mask=[qmask, vmask], return_attention_scores=True, training=False),
         masks=[qmask, vmask])
    case("additive_attention", L.AdditiveAttention(name="additive_attention"), [q, v, k])
    case("additive_attention_noscale", L.AdditiveAttention(use_scale=False, name="additive_attention_noscale"), [q, v],
         call=lambda l, xs: l(xs, mask=[qmask, vmask], return_attention_scores=True, training=False),
         masks=[qmask, vmask])


def self_attention_model(name="attention_self_mha"):
    keras.utils.set_random_seed(5)
    x = keras.Input((6, 8), name="tokens")
    h = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(x, x)
    h = L.GlobalAveragePooling1D(name="pool")(h)
    y = L.Dense(1, name="head")(h)
    model = keras.Model(x, y, name=name)
    model.compile(optimizer="adam", loss="mean_squared_error")
    data = lf.uniform(16, 6, 8)
    model.fit(data, lf.uniform(16, 1), epochs=2, batch_size=8, verbose=0)
    base = os.path.join(SAVING, name)
    model.save(base + ".keras")
    model.save(base + ".h5")
    model.save_weights(base + ".weights.h5")
    with open(base + ".json", "w") as f:
        f.write(model.to_json())
    xs = data[:3]
    with open(base + ".expected.json", "w") as f:
        json.dump({"inputs": [xs.tolist()], "outputs": [model.predict(xs, verbose=0).tolist()],
                   "weights": [v.path for v in model.weights]}, f, indent=1)


def mha_axes_cases():
    """attention_axes other than every axis between batch and features (scores over a subset)."""
    np.random.seed(12)
    scores = lambda l, xs: l(xs[0], xs[1], return_attention_scores=True, training=False)  # noqa: E731
    q, v = lf.uniform(2, 3, 4, 5), lf.uniform(2, 3, 6, 4)
    case("mha_axes_2", L.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(2,), name="mha_axes_2"), [q, v], call=scores)
    q1, v1 = lf.uniform(2, 3, 4, 5), lf.uniform(2, 5, 4, 3)
    case("mha_axes_1", L.MultiHeadAttention(num_heads=2, key_dim=2, value_dim=3, output_shape=4, attention_axes=1,
                                            name="mha_axes_1"), [q1, v1], call=scores)
    q5 = lf.uniform(2, 2, 3, 2, 4)
    case("mha_axes_5d", L.MultiHeadAttention(num_heads=1, key_dim=2, attention_axes=(1, 3), name="mha_axes_5d"),
         [q5, q5], call=scores)
    case("mha_axes_12", L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 2), name="mha_axes_12"),
         [q, v], call=scores)


def mha_axes_mask_cases():
    """Masks with attention_axes: Keras masks of the inputs (Masking), an explicit attention_mask
    broadcast as Keras does, and the causal mask over axis 1."""
    np.random.seed(13)
    q, v = lf.uniform(2, 3, 4, 5), lf.uniform(2, 3, 6, 4)
    q[0, 1, 2] = 0
    q[1, 0, :] = 0
    v[0, 2, 4:] = 0
    v[1, 1, 0] = 0
    qmask, vmask = np.any(q != 0, axis=-1), np.any(v != 0, axis=-1)
    amask = (np.random.rand(2, 3, 4, 6) > 0.3).astype(np.float32)

    def masked_call(l, xs):
        a = L.Masking()(keras.ops.convert_to_tensor(xs[0]))
        b = L.Masking()(keras.ops.convert_to_tensor(xs[1]))
        return l(a, b, attention_mask=xs[2].astype(bool), return_attention_scores=True, training=False)
    case("mha_axes_2_masks", L.MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(2,), name="mha_axes_2_masks"),
         [q, v, amask], call=masked_call, masks=[qmask, vmask])
    # attention_mask [4, 6] broadcasts over the batch and the other axis.
    small = (np.random.rand(4, 6) > 0.4).astype(np.float32)
    case("mha_axes_2_attention_mask", L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(2,),
                                                           name="mha_axes_2_attention_mask"), [q, v, small],
         call=lambda l, xs: l(xs[0], xs[1], attention_mask=xs[2].astype(bool), return_attention_scores=True,
                              training=False))
    # Causal over axis 1 of [B, 4, 4, F] (Keras builds [1, T, S] from axis 1 whatever the axes).
    sq = lf.uniform(2, 4, 4, 3)
    case("mha_axes_2_causal", L.MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(2,), name="mha_axes_2_causal"),
         [sq, sq], call=lambda l, xs: l(xs[0], xs[1], use_causal_mask=True, return_attention_scores=True, training=False))


def mha_axes_model(name="attention_mha_axes"):
    """A model with MultiHeadAttention(attention_axes=(2,)) on [B, 3, 4, 6] inputs, saved by Keras."""
    keras.utils.set_random_seed(6)
    x = keras.Input((3, 4, 6), name="grid")
    h = L.MultiHeadAttention(num_heads=2, key_dim=4, attention_axes=(2,), name="mha")(x, x)
    y = L.Dense(1, name="head")(L.Flatten(name="flat")(h))
    model = keras.Model(x, y, name=name)
    model.compile(optimizer="adam", loss="mean_squared_error")
    data = lf.uniform(8, 3, 4, 6)
    model.fit(data, lf.uniform(8, 1), epochs=2, batch_size=4, verbose=0)
    base = os.path.join(SAVING, name)
    model.save(base + ".keras")
    xs = data[:3]
    with open(base + ".expected.json", "w") as f:
        json.dump({"inputs": [xs.tolist()], "outputs": [model.predict(xs, verbose=0).tolist()]}, f, indent=1)


def main():
    os.makedirs(os.path.join(lf.OUT, FAMILY), exist_ok=True)
    if len(sys.argv) > 1:  # only the named parts, e.g. mha_axes_cases mha_axes_model
        for p in sys.argv[1:]:
            globals()[p]()
        return
    np.random.seed(11)
    einsum_cases()
    mha_cases()
    attention_cases()
    self_attention_model()
    mha_axes_cases()
    mha_axes_mask_cases()
    mha_axes_model()


if __name__ == "__main__":
    main()
