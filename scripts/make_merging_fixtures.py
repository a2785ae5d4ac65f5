"""Writes the merging, noise and normalization fixtures from real Keras 3 (JAX backend).

Tests/KerasTests/Fixtures/layers/<family>/*.json: one layer (config, weights, inputs, inference
outputs) as make_layer_fixtures.py writes them, plus masked models; and in
Tests/KerasTests/Fixtures/saving/ the models the Swift tests load from Keras's files
(NAME.keras/.h5/.json/.weights.h5/.expected.json, as make_saving_fixtures.py writes them).

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_merging_fixtures.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

import make_layer_fixtures as lf  # noqa: E402
import make_saving_fixtures as sf  # noqa: E402

L = keras.layers
LAYERS = lf.OUT


def family(name):
    os.makedirs(os.path.join(LAYERS, name), exist_ok=True)
    return name


def merging():
    f = family("merging")
    for cls in ["Add", "Multiply", "Average", "Maximum", "Minimum"]:
        lf.layer_case(f"{f}/{cls.lower()}", getattr(L, cls)(name=cls.lower()), [lf.uniform(2, 3, 4) for _ in range(3)])
    lf.layer_case(f"{f}/subtract", L.Subtract(name="subtract"), [lf.uniform(2, 3, 4), lf.uniform(2, 3, 4)])
    # Lower rank: (2, 4) gets an axis after the batch axis and broadcasts against (2, 3, 4).
    lf.layer_case(f"{f}/add_broadcast", L.Add(name="add_broadcast"), [lf.uniform(2, 3, 4), lf.uniform(2, 4), lf.uniform(2, 1, 4)])
    # Masks: zero time steps masked by Masking, merged by each layer; outputs and output masks.
    a, b = keras.Input((3, 2), name="a"), keras.Input((3, 2), name="b")
    ma, mb = L.Masking(name="ma")(a), L.Masking(name="mb")(b)
    merges = [L.Add(name="m_add"), L.Multiply(name="m_mul"), L.Maximum(name="m_max"), L.Minimum(name="m_min"), L.Average(name="m_avg")]
    outs = [m([ma, mb]) for m in merges] + [L.Maximum(name="m_max_half")([ma, b]), L.Multiply(name="m_mul_half")([a, mb])]
    model = keras.Model([a, b], outs)
    xa, xb = lf.uniform(2, 3, 2), lf.uniform(2, 3, 2)
    xa[0, 1] = 0
    xb[0, 1] = 0
    xa[1, 0] = 0
    xb[1, 2] = 0
    ys = model.predict([xa, xb], verbose=0)
    masks = [np.asarray(o._keras_mask) if getattr(o, "_keras_mask", None) is not None else None
             for o in [m([L.Masking()(keras.ops.convert_to_tensor(xa)), L.Masking()(keras.ops.convert_to_tensor(xb))]) for m in merges]]
    lf.write(f"{f}/masked", {
        "inputs": [lf.array(xa), lf.array(xb)],
        "outputs": [lf.array(y) for y in ys],
        "output_masks": [lf.array(m) if m is not None else None for m in masks],
    })


def regularization():
    """Configs only: the noise is random (the Swift tests check its statistics)."""
    f = family("regularization")
    layers = [L.GaussianNoise(0.1, seed=3, name="gaussian_noise"), L.GaussianDropout(0.2, name="gaussian_dropout"),
              L.Identity(name="identity")]
    lf.write(f"{f}/configs", {"layers": [{"class_name": type(l).__name__, "config": l.get_config()} for l in layers]})


def normalization():
    import jax
    f = family("normalization")
    cases = {
        "batch_normalization": (L.BatchNormalization(name="batch_normalization"), lf.uniform(6, 4)),
        "batch_normalization_axis1": (L.BatchNormalization(axis=1, momentum=0.9, epsilon=0.01, center=False, name="batch_normalization_axis1"), lf.uniform(3, 2, 5)),
        "batch_normalization_noscale": (L.BatchNormalization(scale=False, name="batch_normalization_noscale"), lf.uniform(2, 3, 4)),
    }
    for name, (layer, x) in cases.items():
        payload = lf.layer_case(f"{f}/{name}", layer, x)
        w = layer.get_weights()
        w[-1] = np.abs(w[-1]) + 0.1  # a variance is positive
        layer.set_weights(w)
        payload["weights"] = {layer.name: [lf.array(v) for v in w]}
        payload["outputs"] = [lf.array(layer(x, training=False))]
        r = lf.uniform(*x.shape, low=-1.0, high=1.0)
        tv = [v.value for v in layer.trainable_variables]
        ntv = [v.value for v in layer.non_trainable_variables]

        def loss(x, tv):
            out, _ = layer.stateless_call(tv, ntv, x, training=True)
            return (out * r).sum()
        out, _ = layer.stateless_call(tv, ntv, x, training=True)
        gx, gw = jax.grad(loss, argnums=(0, 1))(x, tv)
        payload["training_output"] = lf.array(out)
        payload["loss_weights"] = lf.array(r)
        payload["gradients"] = [lf.array(gx)] + [lf.array(g) for g in gw]
        # Moving statistics after three training calls on different batches.
        batches = [lf.uniform(*x.shape) for _ in range(3)]
        for b in batches:
            layer(b, training=True)
        payload["batches"] = [lf.array(b) for b in batches]
        payload["moving_after"] = [lf.array(v) for v in layer.non_trainable_weights]
        lf.write(f"{f}/{name}", payload)


def bn_masked():
    """BatchNormalization in training with a mask [B, T] on inputs [B, T, C]: the moments over
    the unmasked positions only; output, gradients of sum(output * loss_weights) for the input,
    gamma and beta, and the moving statistics after the step."""
    import jax
    f = family("normalization")
    name = "batch_normalization_masked"
    layer = L.BatchNormalization(momentum=0.9, name=name)
    x = lf.uniform(3, 5, 4, low=-2.0, high=3.0)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=bool)
    payload = lf.layer_case(f"{f}/{name}", layer, x)
    r = lf.uniform(*x.shape, low=-1.0, high=1.0)
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]

    def loss(x, tv):
        out, _ = layer.stateless_call(tv, ntv, x, training=True, mask=mask)
        return (out * r).sum()
    out, new_ntv = layer.stateless_call(tv, ntv, x, training=True, mask=mask)
    gx, gw = jax.grad(loss, argnums=(0, 1))(x, tv)
    payload["mask"] = lf.array(mask.astype("float32"))
    payload["training_output"] = lf.array(out)
    payload["loss_weights"] = lf.array(r)
    payload["gradients"] = [lf.array(gx)] + [lf.array(g) for g in gw]
    payload["moving_after"] = [lf.array(v) for v in new_ntv]
    lf.write(f"{f}/{name}", payload)


def with_gradients(name, layer, inputs):
    """layer_case plus the gradients of sum(output * loss_weights) for the inputs and then the
    trainable weights, from jax.grad."""
    import jax
    payload = lf.layer_case(name, layer, inputs)
    xs = inputs if isinstance(inputs, list) else [inputs]
    out = layer(inputs, training=False)
    r = lf.uniform(*out.shape, low=-1.0, high=1.0)
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]

    def loss(xs, tv):
        y, _ = layer.stateless_call(tv, ntv, xs if isinstance(inputs, list) else xs[0])
        return (y * r).sum()
    gx, gw = jax.grad(loss, argnums=(0, 1))(xs, tv)
    payload["loss_weights"] = lf.array(r)
    payload["gradients"] = [lf.array(g) for g in gx] + [lf.array(g) for g in gw]
    lf.write(name, payload)


def layer_norms():
    """LayerNormalization, GroupNormalization, UnitNormalization, RMSNormalization (issue 14)."""
    f = family("normalization")
    cases = [
        (L.LayerNormalization(name="layer_normalization"), lf.uniform(3, 4, 5)),
        (L.LayerNormalization(axis=[2, 1], epsilon=0.01, name="layer_normalization_axes"), lf.uniform(2, 3, 4, 5)),
        (L.LayerNormalization(axis=1, center=False, name="layer_normalization_middle"), lf.uniform(2, 4, 3)),
        (L.LayerNormalization(scale=False, gamma_initializer="zeros", name="layer_normalization_noscale"), lf.uniform(3, 6)),
        (L.LayerNormalization(rms_scaling=True, name="layer_normalization_rms_scaling"), lf.uniform(3, 6)),
        (L.GroupNormalization(groups=2, name="group_normalization"), lf.uniform(2, 3, 4)),
        (L.GroupNormalization(groups=-1, axis=1, scale=False, epsilon=0.01, name="group_normalization_instance"), lf.uniform(2, 4, 3, 2)),
        (L.GroupNormalization(groups=3, axis=-2, center=False, name="group_normalization_axis_m2"), lf.uniform(2, 6, 3)),
        (L.UnitNormalization(name="unit_normalization"), lf.uniform(3, 5)),
        (L.UnitNormalization(axis=[1, 2], name="unit_normalization_axes"), lf.uniform(2, 3, 4)),
        (L.RMSNormalization(name="rms_normalization"), lf.uniform(3, 4, 6)),
        (L.RMSNormalization(axis=[-2, -1], epsilon=1e-3, name="rms_normalization_axes"), lf.uniform(2, 3, 4)),
    ]
    for layer, x in cases:
        with_gradients(f"{f}/{layer.name}", layer, x)


def dot():
    f = family("merging")
    cases = [
        (L.Dot(axes=1, name="dot"), [lf.uniform(3, 5), lf.uniform(3, 5)]),
        (L.Dot(axes=-1, normalize=True, name="dot_normalize"), [lf.uniform(3, 5), lf.uniform(3, 5)]),
        (L.Dot(axes=(1, 2), name="dot_pair"), [lf.uniform(2, 3, 5), lf.uniform(2, 4, 3)]),
        (L.Dot(axes=[2, 1], name="dot_rank3_rank2"), [lf.uniform(2, 3, 4), lf.uniform(2, 4)]),
        (L.Dot(axes=[-1, -2], name="dot_negative"), [lf.uniform(2, 3, 4), lf.uniform(2, 4, 5)]),
        (L.Dot(axes=(3, 1), normalize=True, name="dot_rank4"), [lf.uniform(2, 2, 3, 4), lf.uniform(2, 4, 3)]),
    ]
    for layer, xs in cases:
        with_gradients(f"{f}/{layer.name}", layer, xs)


def alpha_dropout():
    """Configs, and the inference pass-through (the noise is random: the Swift tests check its statistics)."""
    f = family("regularization")
    layers = [L.AlphaDropout(0.2, name="alpha_dropout"), L.AlphaDropout(0.5, noise_shape=(None, 1, 3), seed=4, name="alpha_dropout_shaped")]
    lf.write(f"{f}/alpha_dropout_configs", {"layers": [{"class_name": type(l).__name__, "config": l.get_config()} for l in layers]})


def norm_functional():
    a, b = keras.Input((4, 6), name="a"), keras.Input((4, 6), name="b")
    h1 = L.RMSNormalization(name="rms")(L.LayerNormalization(name="ln")(L.Dense(8, name="h1")(a)))
    h2 = L.Dense(8, activation="selu", name="h2")(b)
    h2 = L.AlphaDropout(0.1, seed=2, name="alpha")(L.UnitNormalization(name="unit")(L.GroupNormalization(groups=4, name="gn")(h2)))
    d1 = L.Dot(axes=(2, 2), name="dot")([h1, h2])
    d2 = L.dot([h1, h2], axes=-1, normalize=True, name="cosine")
    z = L.concatenate([L.Flatten(name="f1")(d1), L.Flatten(name="f2")(d2)], name="cat")
    m = keras.Model([a, b], L.Dense(1, name="out")(z), name="norm_functional")
    m.compile(optimizer="adam", loss="mse")
    xa = sf.rng.normal(size=(8, 4, 6)).astype("float32")
    xb = sf.rng.normal(size=(8, 4, 6)).astype("float32")
    m.fit([xa, xb], sf.rng.normal(size=(8, 1)), epochs=2, verbose=0)
    return m, [xa[:3], xb[:3]]


def norm_saving():
    saving({"norm_functional": norm_functional})


def bn_sequential():
    m = keras.Sequential([keras.Input((4,)), L.Dense(6, name="d1"), L.BatchNormalization(name="bn"),
                          L.Activation("relu", name="act"), L.Dense(2, name="d2")], name="bn_sequential")
    m.compile(optimizer="sgd", loss="mse")
    x = sf.rng.normal(size=(16, 4)).astype("float32")
    m.fit(x, sf.rng.normal(size=(16, 2)), epochs=2, batch_size=8, verbose=0)
    return m, [x[:5]]


def merge_functional():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    h1 = L.Dense(5, activation="relu", name="h1")(a)
    h2 = L.Dense(5, activation="tanh", name="h2")(b)
    merged = [L.add([h1, h2], name="add"), L.subtract([h1, h2], name="sub"), L.multiply([h1, h2], name="mul"),
              L.average([h1, h2], name="avg"), L.maximum([h1, h2], name="max"), L.minimum([h1, h2], name="min")]
    z = L.concatenate(merged + [a], name="cat")
    m = keras.Model([a, b], L.Dense(1, name="out")(z), name="merge_functional")
    m.compile(optimizer="adam", loss="mse")
    xa = sf.rng.normal(size=(8, 4)).astype("float32")
    xb = sf.rng.normal(size=(8, 4)).astype("float32")
    m.fit([xa, xb], sf.rng.normal(size=(8, 1)), epochs=2, verbose=0)
    return m, [xa[:3], xb[:3]]


SAVING = {"merge_functional": merge_functional, "bn_sequential": bn_sequential}


def saving(models=SAVING):
    for name, make in models.items():
        keras.utils.set_random_seed(1)
        model, inputs = make()
        model.save(os.path.join(sf.OUT, name + ".keras"))
        model.save_weights(os.path.join(sf.OUT, name + ".weights.h5"))
        with open(os.path.join(sf.OUT, name + ".json"), "w") as f:
            f.write(model.to_json())
        sf.expected(name, model, inputs)
        model.save(os.path.join(sf.OUT, name + ".h5"))


def main():
    parts = sys.argv[1:] or ["merging", "regularization", "normalization", "saving",
                             "layer_norms", "dot", "alpha_dropout", "norm_saving"]
    for p in parts:
        globals()[p]()


if __name__ == "__main__":
    main()
