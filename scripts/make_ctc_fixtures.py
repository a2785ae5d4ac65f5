"""Writes the CTC loss fixtures from real Keras 3 (JAX backend): labels of different lengths
zero-padded (0 is the blank), repeated labels, an empty label, a label too long for its input,
sample weights and reductions; values by keras.losses.CTC, gradients by jax.grad.

    KERAS_BACKEND=jax /work/venv/bin/python scripts/make_ctc_fixtures.py

Outputs Tests/KerasTests/Fixtures/losses/ctc.json and losses/catalogue_ctc.json (CTC's
constructor arguments and defaults, from its signature).
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from make_loss_fixtures import case  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures")

rng = np.random.default_rng(1818)
# Lengths 3 (with a repeat), 1, 4 (two repeats), 0; 5 classes, 7 time steps.
labels = np.array([[2, 2, 3, 0], [4, 0, 0, 0], [1, 1, 3, 3], [0, 0, 0, 0]], dtype="float32")
logits = (rng.normal(size=(4, 7, 5)) * 1.5).astype("float32")
sw = [0.5, 1.0, 2.0, 0.0]
# Needs 7 steps (1 _ 1 _ 1 _ 1) but has 4: Keras's -1e5 for log 0 gives a large finite loss.
too_long = np.array([[1, 1, 1, 1], [3, 2, 0, 0]], dtype="float32")
short_logits = rng.normal(size=(2, 4, 5)).astype("float32")

cases = [
    case("ctc", "CTC", {}, labels, logits),
    case("ctc_weighted", "CTC", {}, labels, logits, sw),
    case("ctc_sum", "CTC", {"reduction": "sum"}, labels, logits, sw),
    case("ctc_none", "CTC", {"reduction": "none"}, labels, logits),
    case("ctc_peaked", "CTC", {"name": "my_ctc"}, labels[:3, :3], logits[:3] * 4),
    case("ctc_too_long", "CTC", {"reduction": "none"}, too_long, short_logits),
]
with open(os.path.join(ROOT, "losses", "ctc.json"), "w") as f:
    json.dump(cases, f, indent=1)
    f.write("\n")
from keras import losses  # noqa: E402
from make_optimizer_fixtures import signature_args  # noqa: E402

with open(os.path.join(ROOT, "losses", "catalogue_ctc.json"), "w") as f:
    json.dump({"CTC": signature_args(losses.CTC)}, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} CTC cases")
