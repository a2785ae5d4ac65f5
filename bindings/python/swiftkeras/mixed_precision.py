"""Keras's legacy mixed-precision names (Keras 3: `keras.mixed_precision`), the same objects
as `keras.dtype_policies` and `keras.config`'s: the library computes in float32, so only
float32 policies can be set (see swiftkeras.dtype_policies)."""

from .dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy
from .optimizers import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy", "set_dtype_policy",
           "set_global_policy"]
