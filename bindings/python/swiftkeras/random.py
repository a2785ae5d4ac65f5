"""Random numbers (Keras `keras.random`), numpy-backed: `seed` is an int (the same numbers
for the same seed), a `SeedGenerator` (advancing at each draw), or None (the global
SeedGenerator, as in Keras: remade by `keras.utils.set_random_seed`, never numpy's global
state). The numbers are numpy's, not jax's."""

from __future__ import annotations

import random as _python_random

import numpy as np


class SeedGenerator:
    """A seed state that advances at each draw. Keras: `keras.random.SeedGenerator(seed)`;
    without a seed it takes one from Python's `random`, as Keras's `make_default_seed` (so
    `keras.utils.set_random_seed` fixes it)."""

    def __init__(self, seed=None, name=None, **kwargs):
        self.name = name or "seed_generator"
        if seed is None:
            seed = _python_random.randint(1, int(1e9))
        elif not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        self._rng = np.random.default_rng(int(seed) & 0xFFFFFFFF)

    def next(self, ordered=True):
        return int(self._rng.integers(0, 2 ** 31 - 1))


_global_generator = None


def global_seed_generator():
    """The SeedGenerator behind draws with `seed=None` (Keras's `global_seed_generator`)."""
    global _global_generator
    if _global_generator is None:
        _global_generator = SeedGenerator(name="global_seed_generator")
    return _global_generator


def _reset_global_seed_generator():
    """Called by `keras.utils.set_random_seed`: the next unseeded draw starts a new generator."""
    global _global_generator
    _global_generator = None


def _rng(seed):
    if seed is None:
        return np.random.default_rng(global_seed_generator().next())
    if isinstance(seed, SeedGenerator):
        return np.random.default_rng(seed.next())
    if isinstance(seed, (int, np.integer)):
        return np.random.default_rng(int(seed))
    raise ValueError(f"seed must be an int, a keras.random.SeedGenerator or None, got {seed!r}")


def _dtype(dtype):
    return np.dtype(dtype or "float32")


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    return _rng(seed).normal(mean, stddev, tuple(shape)).astype(_dtype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    return _rng(seed).uniform(minval, maxval, tuple(shape)).astype(_dtype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values redrawn until within two standard deviations of the mean, as Keras."""
    rng = _rng(seed)
    out = rng.normal(0.0, 1.0, tuple(shape))
    bad = np.abs(out) > 2
    while bad.any():
        out[bad] = rng.normal(0.0, 1.0, int(bad.sum()))
        bad = np.abs(out) > 2
    return (mean + stddev * out).astype(_dtype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    return _rng(seed).integers(minval, maxval, tuple(shape)).astype(dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """For each row of logits, `num_samples` class indices drawn from softmax(logits)."""
    logits = np.asarray(logits, np.float64)
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    rng = _rng(seed)
    return np.stack([rng.choice(p.shape[-1], size=num_samples, p=row) for row in p]).astype(dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeros a `rate` fraction of the inputs and scales the rest by 1 / (1 - rate)."""
    x = np.asarray(inputs)
    keep = _rng(seed).uniform(size=noise_shape or x.shape) >= rate
    return np.where(keep, x / (1.0 - rate), 0).astype(x.dtype)


def shuffle(x, axis=0, seed=None):
    x = np.asarray(x)
    order = _rng(seed).permutation(x.shape[axis])
    return np.take(x, order, axis=axis)


def gamma(shape, alpha, dtype=None, seed=None):
    return _rng(seed).gamma(alpha, 1.0, tuple(shape)).astype(_dtype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    return _rng(seed).binomial(counts, probabilities, tuple(shape)).astype(_dtype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):  # noqa: A002 (Keras's argument name)
    return _rng(seed).beta(alpha, beta, tuple(shape)).astype(_dtype(dtype))


__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "categorical",
           "dropout", "shuffle", "gamma", "binomial", "beta"]
