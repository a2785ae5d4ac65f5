"""Writes Tests/KerasTests/Fixtures/reshaping/*.json (and small .keras/.h5 models) from real
Keras 3 (JAX backend): padding, cropping, upsampling and spatial dropout layers with their
get_config(), inputs and inference outputs, masked global pooling, and models using them.

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_reshaping_fixtures.py
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
sys.path.insert(0, os.path.dirname(__file__))
import keras  # noqa: E402
import numpy as np  # noqa: E402
import make_layer_fixtures as base  # noqa: E402

base.OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "reshaping")
L = keras.layers
u = base.uniform


def cases():
    yield "zeropad1d_default", L.ZeroPadding1D(name="zeropad1d_default"), u(2, 4, 3)
    yield "zeropad1d_pair_cf", L.ZeroPadding1D((1, 3), data_format="channels_first", name="zeropad1d_pair_cf"), u(2, 3, 4)
    yield "zeropad2d_int", L.ZeroPadding2D(2, name="zeropad2d_int"), u(2, 3, 4, 2)
    yield "zeropad2d_tuple", L.ZeroPadding2D((1, 2), name="zeropad2d_tuple"), u(2, 3, 2, 2)
    yield "zeropad2d_pairs_cf", L.ZeroPadding2D(((1, 0), (2, 3)), data_format="channels_first",
                                                name="zeropad2d_pairs_cf"), u(2, 2, 3, 4)
    yield "zeropad3d_mixed", L.ZeroPadding3D(((0, 1), 2, (1, 0)), name="zeropad3d_mixed"), u(1, 2, 3, 2, 2)
    yield "zeropad3d_cf", L.ZeroPadding3D(1, data_format="channels_first", name="zeropad3d_cf"), u(1, 2, 2, 3, 2)
    yield "crop1d_default", L.Cropping1D(name="crop1d_default"), u(2, 5, 3)
    yield "crop1d_end", L.Cropping1D((0, 2), name="crop1d_end"), u(2, 5, 3)
    yield "crop2d_pairs", L.Cropping2D(((1, 2), (0, 1)), name="crop2d_pairs"), u(2, 5, 6, 3)
    yield "crop2d_int_cf", L.Cropping2D(1, data_format="channels_first", name="crop2d_int_cf"), u(2, 3, 4, 5)
    yield "crop2d_tuple", L.Cropping2D((1, 2), name="crop2d_tuple"), u(2, 5, 6, 2)
    yield "crop3d_default", L.Cropping3D(name="crop3d_default"), u(1, 4, 5, 3, 2)
    yield "crop3d_pairs_cf", L.Cropping3D(((0, 1), (1, 1), (2, 0)), data_format="channels_first",
                                          name="crop3d_pairs_cf"), u(1, 2, 3, 4, 5)
    yield "upsample1d", L.UpSampling1D(3, name="upsample1d"), u(2, 3, 2)
    yield "upsample2d_nearest", L.UpSampling2D((2, 3), name="upsample2d_nearest"), u(2, 3, 2, 2)
    yield "upsample2d_nearest_cf", L.UpSampling2D(2, data_format="channels_first", name="upsample2d_nearest_cf"), u(1, 2, 2, 3)
    yield "upsample2d_bilinear", L.UpSampling2D(2, interpolation="bilinear", name="upsample2d_bilinear"), u(2, 3, 4, 2)
    yield "upsample2d_bilinear_odd", L.UpSampling2D((3, 5), interpolation="bilinear",
                                                    name="upsample2d_bilinear_odd"), u(1, 4, 3, 2)
    yield "upsample2d_bilinear_cf", L.UpSampling2D((2, 3), data_format="channels_first", interpolation="bilinear",
                                                   name="upsample2d_bilinear_cf"), u(2, 2, 3, 3)
    yield "upsample3d", L.UpSampling3D((1, 2, 3), name="upsample3d"), u(1, 2, 2, 2, 2)
    yield "upsample3d_cf", L.UpSampling3D(2, data_format="channels_first", name="upsample3d_cf"), u(1, 2, 2, 1, 2)
    yield "spatial_dropout1d", L.SpatialDropout1D(0.3, name="spatial_dropout1d"), u(2, 4, 3)
    yield "spatial_dropout2d_cf", L.SpatialDropout2D(0.25, data_format="channels_first", seed=7,
                                                     name="spatial_dropout2d_cf"), u(2, 3, 2, 2)
    yield "spatial_dropout3d", L.SpatialDropout3D(0.5, name="spatial_dropout3d"), u(1, 2, 2, 2, 3)


def later_cases():
    """Cases added after the first ones (last, so that the earlier fixtures' random inputs stay)."""
    yield "upsample2d_bicubic", L.UpSampling2D((2, 3), interpolation="bicubic", name="upsample2d_bicubic"), u(2, 4, 3, 2)
    yield "upsample2d_lanczos3_cf", L.UpSampling2D(3, data_format="channels_first", interpolation="lanczos3",
                                                   name="upsample2d_lanczos3_cf"), u(1, 2, 4, 5)
    yield "upsample2d_lanczos5", L.UpSampling2D((4, 2), interpolation="lanczos5", name="upsample2d_lanczos5"), u(1, 6, 5, 1)


def masked_pooling():
    """GlobalAveragePooling1D called with a mask (one sample with masked steps in the middle)."""
    x = u(3, 5, 4)
    mask = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1], [0, 0, 1, 0, 0]], dtype=bool)
    for name, layer, inputs, m in [
        ("global_avg1d_masked", L.GlobalAveragePooling1D(name="global_avg1d_masked"), x, mask),
        ("global_avg1d_masked_cf_keepdims",
         L.GlobalAveragePooling1D(data_format="channels_first", keepdims=True, name="global_avg1d_masked_cf_keepdims"),
         np.transpose(x, (0, 2, 1)), mask),
    ]:
        out = layer(inputs, mask=m)
        base.write(name, {"class_name": type(layer).__name__, "config": layer.get_config(),
                          "inputs": [base.array(inputs)], "mask": base.array(m.astype("float32")),
                          "outputs": [base.array(out)]})


def resize_ops():
    """keras.ops.image.resize (antialias=False) to sizes that are not integer multiples, and down."""
    cases = []
    for interpolation, x, size in [("bilinear", u(2, 5, 4, 2), (3, 7)), ("bicubic", u(1, 6, 5, 2), (4, 8)),
                                   ("lanczos3", u(1, 7, 3, 1), (5, 5)), ("lanczos5", u(1, 4, 9, 2), (6, 4)),
                                   ("nearest", u(1, 5, 3, 2), (3, 7))]:
        y = keras.ops.image.resize(x, size, interpolation=interpolation, antialias=False)
        cases.append({"interpolation": interpolation, "size": list(size), "input": base.array(x), "output": base.array(y)})
    base.write("resize_ops", {"cases": cases})


def save_model(name, model, x):
    base.set_random_weights(model.layers)
    model.save(os.path.join(base.OUT, name + ".keras"))
    model.save(os.path.join(base.OUT, name + ".h5"))
    base.write(name, {"inputs": [base.array(x)], "outputs": [base.array(model.predict(x, verbose=0))]})


def models():
    """Small models using every layer of the family, saved by Keras as .keras and .h5."""
    save_model("keras_reshaping2d", keras.Sequential([
        keras.Input((6, 6, 2)),
        L.ZeroPadding2D(((1, 0), (2, 1)), name="pad"),
        L.Conv2D(3, 3, name="conv"),
        L.Cropping2D(1, name="crop"),
        L.UpSampling2D(2, interpolation="bilinear", name="up_bilinear"),
        L.UpSampling2D((1, 2), name="up_nearest"),
        L.SpatialDropout2D(0.3, name="drop"),
        L.GlobalMaxPooling2D(name="pool"),
        L.Dense(2, name="out"),
    ], name="keras_reshaping2d"), u(2, 6, 6, 2))
    save_model("keras_reshaping1d3d", keras.Sequential([
        keras.Input((7, 3)),
        L.ZeroPadding1D((1, 2), name="pad"),
        L.Cropping1D((2, 0), name="crop"),
        L.UpSampling1D(2, name="up"),
        L.SpatialDropout1D(0.5, name="drop"),
        L.Conv1D(4, 3, name="conv"),
        L.Reshape((7, 2, 2, 2), name="to3d"),
        L.ZeroPadding3D(1, name="pad3"),
        L.Cropping3D(((1, 0), (0, 1), (1, 1)), name="crop3"),
        L.UpSampling3D((1, 2, 1), name="up3"),
        L.SpatialDropout3D(0.2, name="drop3"),
        L.GlobalAveragePooling3D(name="pool"),
    ], name="keras_reshaping1d3d"), u(2, 7, 3))
    x = u(3, 6, 3)
    x[0, 4:] = 0
    x[2, :2] = 0
    for pool in [L.GlobalAveragePooling1D(name="pool"), L.GlobalMaxPooling1D(name="pool")]:
        # A Sequential model: Keras's functional config would record the mask's ops as layers.
        kind = "avg" if isinstance(pool, L.GlobalAveragePooling1D) else "max"
        save_model(f"keras_masked_{kind}_pooling", keras.Sequential([
            keras.Input((6, 3)), L.Masking(0.0, name="masking"), pool, L.Dense(2, name="out"),
        ], name=f"keras_masked_{kind}_pooling"), x)

def text_model():
    """The common text pattern: Embedding(mask_zero) -> SpatialDropout1D -> GlobalAveragePooling1D, the
    mask passing through the dropout to the masked mean."""
    x = base.RNG.integers(1, 10, size=(4, 7)).astype("float32")
    x[0, 3:] = 0
    x[2, 5:] = 0
    save_model("keras_text_spatial_dropout", keras.Sequential([
        keras.Input((7,)), L.Embedding(10, 4, mask_zero=True, name="embed"), L.SpatialDropout1D(0.4, name="drop"),
        L.GlobalAveragePooling1D(name="pool"), L.Dense(2, name="out"),
    ], name="keras_text_spatial_dropout"), x)


def main():
    os.makedirs(base.OUT, exist_ok=True)
    for name, layer, x in cases():
        base.layer_case(name, layer, x)
    masked_pooling()
    models()
    for name, layer, x in later_cases():
        base.layer_case(name, layer, x)
    resize_ops()
    text_model()


if __name__ == "__main__":
    main()
