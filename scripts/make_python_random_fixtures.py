"""Writes the numbers CPython's `random` gives after `random.seed(n)` (which
`keras.utils.set_random_seed(n)` calls) for seeds of one, two and three 32-bit words, zero and
negative ones: five `randint(1, 10**9)` (Keras's `make_default_seed()`), then `randint(0, 10)`,
`randint(-5, 2**31)` and `getrandbits(32)`; PythonRandomTests checks PythonRandom against them.

    python3 scripts/make_python_random_fixtures.py

Outputs Tests/KerasTests/Fixtures/random/python_random.json.
"""
import json
import os
import random

ROOT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures")

seeds = [0, 1, 2, 3, 5, 42, 1234, 2**31 - 1, 2**32 - 1, 2**32, 2**40 + 7, 2**62 + 12345, -1, -42, -(2**33)]
seeds += [random.Random(9).randrange(0, 2**63) for _ in range(20)] + list(range(100, 120))
cases = []
for seed in seeds:
    python = random.Random()
    python.seed(seed)
    cases.append({"seed": seed,
                  "default_seeds": [python.randint(1, int(1e9)) for _ in range(5)],
                  "randint_0_10": python.randint(0, 10), "randint_wide": python.randint(-5, 2**31),
                  "bits32": python.getrandbits(32)})
os.makedirs(os.path.join(ROOT, "random"), exist_ok=True)
with open(os.path.join(ROOT, "random", "python_random.json"), "w") as f:
    json.dump(cases, f, indent=1)
    f.write("\n")
