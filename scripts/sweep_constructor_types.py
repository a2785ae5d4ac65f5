"""Sweeps every catalogue layer class's constructor arguments with values of other Python types
(0/1 and numpy ints for bools, numpy ints and floats for numbers, negative seeds, odd strings for
enums, None) against live Keras 3: which values Keras accepts and we refuse, which it refuses and
we accept (or refuse with another exception type), and which config values differ.

    KERAS_BACKEND=jax PYTHONPATH=bindings/python python scripts/sweep_constructor_types.py [CLASS...]

Prints one line per difference and a count; exits 1 when there is any.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
warnings.filterwarnings("ignore")

import keras  # noqa: E402

import swiftkeras  # noqa: E402
from swiftkeras import _catalog  # noqa: E402

# Values for required arguments, by name, under which both libraries build the class.
REQUIRED = {
    "units": 3, "filters": 2, "kernel_size": 3, "rate": 0.5, "n": 2, "target_shape": (2, 2),
    "dims": (2, 1), "pool_size": 2, "size": 2, "num_heads": 2, "key_dim": 2, "input_dim": 5,
    "output_dim": 3, "height": 4, "width": 4, "factor": 0.2, "function": lambda x: x,
    "stddev": 0.1, "equation": "ab,bc->ac", "output_shape": 3,
    "num_bins": 4, "num_tokens": 4, "max_value": 1.0, "axis": -1, "scale": 1.0, "offset": 0.0,
    "vocabulary_size": 4, "embedding_dim": 2, "sequence_length": 4, "max_tokens": 4,
    "num_query_heads": 2, "num_key_value_heads": 2, "head_dim": 2, "value_range": (0, 1),
    "bounding_box_format": "xyxy", "padding": 1, "cropping": 1, "mean": 0.0, "variance": 1.0,
}


def bases(required):
    """Keyword values for a class's required arguments (a class needing a cell or a wrapped
    layer is left out of the sweep)."""
    return {r: REQUIRED.get(r, 2) for r in required}


def values_for(name, default):
    """Values of other types to try for one argument whose default is `default`."""
    if name == "seed":
        return [-3, np.int64(5), 5.0, "a"]
    if isinstance(default, bool):
        return [1, 0, np.bool_(True), np.int64(0), None, 2, "x"]
    if isinstance(default, int):
        return [np.int64(default), np.int32(default), float(default), None, str(default)]
    if isinstance(default, float):
        return [np.float32(default), np.float64(default), int(default), None, np.int64(int(default)), str(default)]
    if isinstance(default, str):
        return [default.upper(), "not_a_value", None, 1]
    return []


def build(lib, cls, kw, extra):
    try:
        layer = getattr(lib.layers, cls)(**kw, **extra)
    except Exception as e:  # noqa: BLE001 — the exception type is what is compared
        return type(e).__name__, str(e)[:120]
    try:
        return "ok", layer.get_config()
    except Exception as e:  # noqa: BLE001
        return "config:" + type(e).__name__, str(e)[:120]


def same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b) and type(a is None) is type(b is None)
    except Exception:  # noqa: BLE001
        return False


def sweep(classes):
    diffs = []
    for cls in classes:
        sig = _catalog.layer_signature(cls)
        if sig is None or not hasattr(keras.layers, cls):
            continue
        names, defaults, required = sig
        if any(r in ("cell", "layer") for r in required):
            continue
        base = bases(required)
        if build(keras, cls, base, {})[0] != "ok" or build(swiftkeras, cls, base, {})[0] != "ok":
            continue
        for name in names:
            if name in required or name not in defaults:
                continue
            for value in values_for(name, defaults[name]):
                ks, kc = build(keras, cls, base, {name: value})
                ss, sc = build(swiftkeras, cls, base, {name: value})
                if ks != ss:
                    diffs.append((cls, name, value, f"keras {ks}: {kc if ks != 'ok' else ''}", f"ours {ss}: {sc if ss != 'ok' else ''}"))
                elif ks == "ok" and name in kc and not same(kc.get(name), sc.get(name)):
                    diffs.append((cls, name, value, f"keras config {kc.get(name)!r}", f"ours {sc.get(name)!r}"))
    return diffs


def main(argv):
    classes = argv or _catalog.layer_names()
    diffs = sweep(classes)
    for d in diffs:
        print(f"{d[0]}({d[1]}={d[2]!r}): {d[3]} | {d[4]}")
    print(f"{len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
