"""Writes Tests/KerasTests/Fixtures/layers/preprocessing/perspective_transform.json from real
Keras 3 (JAX backend): images warped by `keras.ops.image.perspective_transform` for given corner
moves (RandomPerspective's transform, whose moves are random in the layer) and the homographies
Keras computes, for GeometricAugmentationTests.

    KERAS_BACKEND=jax /work/main/.venv/bin/python scripts/make_perspective_fixtures.py
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.src.backend.jax.image import compute_homography_matrix  # noqa: E402

RNG = np.random.default_rng(3)
OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "layers", "preprocessing",
                   "perspective_transform.json")


def flat(a):
    a = np.asarray(a, np.float64)
    return {"shape": list(a.shape), "data": a.ravel().tolist()}


cases = []
for h, w, interpolation, fill in ((5, 6, "bilinear", 0.0), (7, 4, "nearest", 9.0), (6, 6, "bilinear", 3.5)):
    image = (RNG.random((1, h, w, 2)) * 255).astype(np.float32)
    start = np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], np.float32)
    moves = RNG.uniform(-0.4, 0.4, (4, 2)).astype(np.float32)
    end = start + start * moves
    out = keras.ops.image.perspective_transform(image, start[None], end[None], interpolation=interpolation,
                                                fill_value=fill)
    cases.append({"image": flat(image), "start": start.tolist(), "end": end.tolist(), "interpolation": interpolation,
                  "fill_value": fill, "output": flat(out),
                  "homography": np.asarray(compute_homography_matrix(start[None], end[None]))[0].tolist()})
with open(OUT, "w") as f:
    json.dump({"cases": cases}, f)
