"""SwiftKeras from Python: Keras's API over the SwiftKeras library (libkeras.so, C ABI).

    import swiftkeras as keras
    model = keras.Sequential([keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
"""

from . import (activations, applications, backend, callbacks, config, constraints, datasets,
               distillation, distribution, dtype_policies, initializers, layers, losses, metrics,
               mixed_precision, models, ops, optimizers, preprocessing, random, regularizers,
               saving, tree, utils, visualization)
from ._lib import LibraryUnavailable
from ._native import KerasError
from . import export, legacy, quantizers
from ._function import Function, Operation, _register_builtin_operations
from .quantizers import Quantizer
from ._scopes import RematScope, StatelessScope, SymbolicScope, device, name_scope, remat
from ._variables import Variable
from ._gradient_tape import GradientTape
from .dtype_policies import DTypePolicy, FloatDTypePolicy
from .initializers import Initializer
from .losses import Loss
from .metrics import Metric
from .optimizers import Optimizer
from .regularizers import Regularizer
from .layers import Input, InputSpec, KerasTensor, Layer
from .models import Model, Sequential, load_model, model_from_json

_register_builtin_operations()

__version__ = "0.1.0"


def version():
    """This package's version. Keras: `keras.version()`."""
    return __version__


def library_version():
    """The version of the loaded libkeras.so."""
    from . import _lib
    return _lib.keras_version().decode()


def __getattr__(name):
    # keras.wrappers needs scikit-learn, which the package does not require: imported when named
    if name == "wrappers":
        import importlib
        return importlib.import_module(f"{__name__}.wrappers")
    raise AttributeError(f"module 'swiftkeras' has no attribute '{name}'")


__all__ = ["activations", "backend", "callbacks", "constraints", "datasets", "initializers",
           "layers", "losses", "metrics", "models", "ops", "optimizers", "preprocessing",
           "random", "regularizers", "saving", "tree", "utils", "dtype_policies", "mixed_precision",
           "distribution", "visualization",
           "DTypePolicy", "FloatDTypePolicy", "Initializer", "KerasTensor", "Loss", "Metric",
           "Optimizer", "Regularizer", "version",
           "Input", "InputSpec", "Layer", "Variable", "Model", "Sequential", "load_model", "model_from_json",
           "KerasError", "LibraryUnavailable", "library_version",
           "name_scope", "device", "RematScope", "remat", "StatelessScope", "SymbolicScope",
           "quantizers", "Quantizer", "Function", "Operation", "legacy", "export"]
