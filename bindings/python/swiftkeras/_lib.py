"""The whole C ABI of libkeras.so (include/keras.h), declared with ctypes in header order.

Nothing here is meant for users: the Pythonic layer (models, layers, wrappers) sits on top in
separate modules. The library is found in, in order: $SWIFTKERAS_LIBRARY, this package's
folder (a wheel built next to a build of the library ships it), then the build folders of the
SwiftKeras checkout this package lives in. An entry point the loaded library does not export
is declared as a function raising KerasError, so the package works with what exists and says
exactly what is missing.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_double, c_float, c_int32, c_int64,
                    c_size_t, c_uint32, c_void_p)
from pathlib import Path

LIBRARY_NAME = "libkeras.so"


def _candidates() -> list[Path]:
    found: list[Path] = []
    env = os.environ.get("SWIFTKERAS_LIBRARY")
    if env:
        found.append(Path(env))
    here = Path(__file__).resolve().parent
    found.append(here / LIBRARY_NAME)
    for parent in here.parents:
        if (parent / "Package.swift").exists():
            for build in (".build-static/release", ".build/release", ".build/debug"):
                found.append(parent / build / LIBRARY_NAME)
            break
    return found


def _not_found_message(tried: list[Path]) -> str:
    lines = "\n  ".join(str(p) for p in tried)
    return (
        "swiftkeras could not find libkeras.so. Tried:\n  " + lines + "\n"
        "Build it in the SwiftKeras checkout with `swift build -c release --product keras`, then "
        "either set SWIFTKERAS_LIBRARY=/path/to/libkeras.so or reinstall the package with "
        "`pip install ./bindings/python` from that checkout (the wheel then ships the library)."
    )


def _runtime_hint(error: OSError) -> str:
    """What to install when the library's own dependencies are missing (README, Install)."""
    text = str(error)
    if "libopenblas" in text or "libhdf5" in text or "libgfortran" in text:
        return ("\nlibkeras.so needs OpenBLAS and HDF5 at run time: on Debian/Ubuntu "
                "`apt-get install libopenblas0 libhdf5-103-1 libhdf5-hl-100` (the versions of "
                "the machine that built it).")
    return ""


def _load() -> tuple[ctypes.CDLL | None, str | None, Path | None]:
    tried = _candidates()
    env = os.environ.get("SWIFTKERAS_LIBRARY")
    for path in tried:
        if path.is_file():
            try:
                return ctypes.CDLL(str(path)), None, path
            except OSError as e:
                return None, f"swiftkeras could not load {path}: {e}{_runtime_hint(e)}", path
        if env and path == Path(env):
            return None, f"SWIFTKERAS_LIBRARY={env} is not a file", None
    return None, _not_found_message(tried), None


_cdll, load_error, library_path = _load()
missing: list[str] = []


class LibraryUnavailable(RuntimeError):
    """Raised when libkeras.so (or one of its entry points) is not available."""


def _unavailable(name: str):
    def call(*_args, **_kwargs):
        if load_error is not None:
            raise LibraryUnavailable(load_error)
        raise LibraryUnavailable(
            f"libkeras.so at {library_path} has no {name}: this build of the library predates "
            f"that part of the C ABI; rebuild it from a newer checkout")
    call.__name__ = name
    call.available = False
    return call


def _declare(name: str, argtypes: list, restype):
    fn = None
    if _cdll is not None:
        try:
            fn = getattr(_cdll, name)
        except AttributeError:
            fn = None
    if fn is None:
        missing.append(name)
        fn = _unavailable(name)
    else:
        fn.argtypes = argtypes
        fn.restype = restype
        fn.available = True
    globals()[name] = fn
    return fn


def has(name: str) -> bool:
    """Whether the loaded library exports `name`."""
    return getattr(globals().get(name), "available", False)


# ---- types -------------------------------------------------------------------------------

keras_model_p = c_void_p
keras_callback_p = c_void_p
char_pp = POINTER(c_char_p)
float_p = POINTER(c_float)
int64_p = POINTER(c_int64)
int32_p = POINTER(c_int32)

# enum keras_callback_event
KERAS_TRAIN_BEGIN, KERAS_TRAIN_END, KERAS_EPOCH_BEGIN, KERAS_EPOCH_END = 0, 1, 2, 3
KERAS_TRAIN_BATCH_BEGIN, KERAS_TRAIN_BATCH_END, KERAS_TEST_BEGIN, KERAS_TEST_END = 4, 5, 6, 7
KERAS_TEST_BATCH_BEGIN, KERAS_TEST_BATCH_END, KERAS_PREDICT_BEGIN, KERAS_PREDICT_END = 8, 9, 10, 11
KERAS_PREDICT_BATCH_BEGIN, KERAS_PREDICT_BATCH_END = 12, 13
KERAS_EVENTS_ALL = 0x3FFF


def KERAS_EVENT_BIT(event):
    return 1 << event

# int (*)(void *user_data, int event, int64_t index, const char *logs_json)
# (logs arrive as a raw pointer: most crossings do not read them, and a c_char_p would copy
# them into bytes on every call)
keras_callback_fn = CFUNCTYPE(c_int32, c_void_p, c_int32, c_int64, c_void_p)
# void (*)(void *user_data)
keras_free_fn = CFUNCTYPE(None, c_void_p)


KERAS_MAX_RANK = 8


class keras_array(Structure):
    """An input array: const float *data; int ndim; const int64_t *shape. (`data` declared as
    a void pointer: the array's address goes in as an int, without a ctypes cast per array.)"""
    _fields_ = [("data", c_void_p), ("ndim", c_int32), ("shape", int64_p)]


class keras_output(Structure):
    """An output buffer: float *data; int64_t capacity; int ndim; int64_t shape[KERAS_MAX_RANK]."""
    _fields_ = [("data", float_p), ("capacity", c_int64), ("ndim", c_int32),
                ("shape", c_int64 * KERAS_MAX_RANK)]


keras_array_p = POINTER(keras_array)
# int (*)(void *user_data, const float *y_true, int true_ndim, const int64_t *true_shape,
#         const float *y_pred, int pred_ndim, const int64_t *pred_shape, float *per_sample, float *grad)
keras_loss_fn = CFUNCTYPE(c_int32, c_void_p, float_p, c_int32, int64_p, float_p, c_int32, int64_p,
                          float_p, float_p)
# int (*)(void *user_data, const float *x, int64_t n, float *y, float *dydx)
keras_activation_fn = CFUNCTYPE(c_int32, c_void_p, float_p, c_int64, float_p, float_p)
keras_print_fn = CFUNCTYPE(None, c_void_p, c_char_p)


class keras_layer_builder(Structure):
    """Passed to a layer's build: add_weight(self, name, ndim, shape, initializer, trainable),
    add_weight_ex(..., options_json) with a regularizer and a constraint."""


keras_layer_builder_p = POINTER(keras_layer_builder)
# int (*)(void *user_data, keras_layer_builder *builder, int true_ndim, const int64_t *true_shape,
#         int pred_ndim, const int64_t *pred_shape)
keras_loss_trace_fn = CFUNCTYPE(c_int32, c_void_p, keras_layer_builder_p, c_int32, int64_p, c_int32,
                                int64_p)
# (user_data, config_json, graph, argument, *penalty): a Python regularizer's trace
keras_regularizer_trace_fn = CFUNCTYPE(c_int32, c_void_p, c_char_p, keras_layer_builder_p, c_int64,
                                       int64_p)
# (user_data, config_json, graph, step, *rate): a Python learning rate schedule's trace
keras_schedule_trace_fn = keras_regularizer_trace_fn
keras_add_weight_fn = CFUNCTYPE(c_int32, keras_layer_builder_p, c_char_p, c_int32, int64_p,
                                c_char_p, c_int32)
keras_add_weight_ex_fn = CFUNCTYPE(c_int32, keras_layer_builder_p, c_char_p, c_int32, int64_p,
                                   c_char_p, c_int32, c_char_p)
keras_layer_builder._fields_ = [("struct_size", c_size_t), ("opaque", c_void_p), ("add_weight", keras_add_weight_fn),
                                ("add_weight_ex", keras_add_weight_ex_fn)]

float_pp = POINTER(float_p)
# The functions of struct keras_layer_class, in header order.
keras_layer_create_fn = CFUNCTYPE(c_int32, c_void_p, c_char_p, POINTER(c_void_p))
keras_layer_build_fn = CFUNCTYPE(c_int32, c_void_p, keras_layer_builder_p, c_int32, int64_p)
keras_layer_output_shape_fn = CFUNCTYPE(c_int32, c_void_p, c_int32, int64_p, int32_p, int64_p)
keras_layer_forward_fn = CFUNCTYPE(c_int32, c_void_p, float_p, c_int32, int64_p, float_pp, c_int32,
                                   float_p, c_int32)
keras_layer_backward_fn = CFUNCTYPE(c_int32, c_void_p, float_p, c_int32, int64_p, float_pp,
                                    c_int32, float_p, float_p, float_pp)
keras_layer_get_config_fn = CFUNCTYPE(c_int32, c_void_p, c_void_p, c_size_t)
keras_layer_destroy_fn = CFUNCTYPE(None, c_void_p)


class _SizedTable(Structure):
    """A table the library reads within its leading struct_size (keras.h, "Versions"): set to
    this declaration's size when made."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.struct_size = ctypes.sizeof(self)


class keras_layer_class(_SizedTable):
    _fields_ = [("struct_size", c_size_t), ("user_data", c_void_p), ("create", keras_layer_create_fn),
                ("build", keras_layer_build_fn), ("output_shape", keras_layer_output_shape_fn),
                ("forward", keras_layer_forward_fn), ("backward", keras_layer_backward_fn),
                ("get_config", keras_layer_get_config_fn), ("destroy", keras_layer_destroy_fn),
                ("free_user_data", keras_free_fn), ("module", c_char_p)]


# The functions of struct keras_metric_class besides create, get_config and destroy (typed as
# the layer class's), in header order.
keras_metric_update_fn = CFUNCTYPE(c_int32, c_void_p, float_p, c_int32, int64_p, float_p, c_int32,
                                   int64_p, float_p, c_int32, int64_p)
keras_metric_result_fn = CFUNCTYPE(c_int32, c_void_p, float_p)
keras_metric_reset_fn = CFUNCTYPE(c_int32, c_void_p)


class keras_metric_class(_SizedTable):
    _fields_ = [("struct_size", c_size_t), ("user_data", c_void_p), ("create", keras_layer_create_fn),
                ("update_state", keras_metric_update_fn), ("result", keras_metric_result_fn),
                ("reset_state", keras_metric_reset_fn), ("get_config", keras_layer_get_config_fn),
                ("destroy", keras_layer_destroy_fn), ("free_user_data", keras_free_fn),
                ("module", c_char_p), ("result_json", keras_layer_get_config_fn)]


# ---- basics --------------------------------------------------------------------------------
_declare("keras_version", [], c_char_p)
_declare("keras_last_error", [], c_char_p)
_declare("keras_last_error_kind", [], c_int32)
_declare("keras_status_name", [c_int32], c_char_p)
_declare("keras_string_free", [c_void_p], None)

# ---- callbacks -------------------------------------------------------------------------------
_declare("keras_callback_error", [c_char_p], None)
_declare("keras_callback_new", [c_char_p, keras_callback_fn, c_void_p, keras_free_fn,
                                POINTER(keras_callback_p)], c_int32)
_declare("keras_callback_from_config", [c_char_p, c_char_p, POINTER(keras_callback_p)], c_int32)
_declare("keras_callback_free", [keras_callback_p], None)
_declare("keras_callback_state", [keras_callback_p, char_pp], c_int32)

# ---- models ----------------------------------------------------------------------------------
_declare("keras_model_from_json", [c_char_p, POINTER(keras_model_p)], c_int32)
_declare("keras_model_load", [c_char_p, c_int32, POINTER(keras_model_p)], c_int32)
_declare("keras_model_defer_initial_values", [c_int32], c_int32)
_declare("keras_legacy_h5_training_config", [c_char_p, char_pp], c_int32)
_declare("keras_sequential_new", [c_char_p, POINTER(keras_model_p)], c_int32)
_declare("keras_sequential_add_json", [keras_model_p, c_char_p], c_int32)
_declare("keras_model_build", [keras_model_p, c_int32, int64_p], c_int32)
_declare("keras_sequential_record_first_batch", [keras_model_p, c_int64], c_int32)
_declare("keras_model_free", [keras_model_p], None)
_declare("keras_model_compile", [keras_model_p, c_char_p], c_int32)
# (float buffers of the per-call entry points are declared as void *: the binding passes numpy's
# address, an int, which ctypes converts faster than a POINTER(c_float) object is made)
_declare("keras_model_fit", [keras_model_p, c_void_p, c_int32, int64_p, c_void_p, c_int32,
                             int64_p, c_char_p, POINTER(keras_callback_p), c_int32, char_pp],
         c_int32)
_declare("keras_model_evaluate", [keras_model_p, c_void_p, c_int32, int64_p, c_void_p, c_int32,
                                  int64_p, c_char_p, POINTER(keras_callback_p), c_int32, char_pp],
         c_int32)
_declare("keras_model_predict", [keras_model_p, c_void_p, c_int32, int64_p, c_char_p,
                                 POINTER(keras_callback_p), c_int32, c_void_p, c_int64, int64_p,
                                 int32_p], c_int32)
_declare("keras_model_layer_output", [keras_model_p, c_char_p, float_p, c_int32, int64_p, float_p,
                                      c_int64, int64_p, int32_p], c_int32)
_declare("keras_model_adapt", [keras_model_p, c_char_p, float_p, c_int32, int64_p], c_int32)
_declare("keras_model_reset_states", [keras_model_p, c_char_p], c_int32)
_declare("keras_model_layer_state_count", [keras_model_p, c_char_p, int32_p], c_int32)
_declare("keras_model_layer_normalized_weights", [keras_model_p, c_char_p, float_p, c_int64, float_p, c_int64], c_int32)
_declare("keras_model_layer_cut_mix", [keras_model_p, c_char_p, float_p, c_int32, int64_p, float_p, c_int32, int64_p,
                                       c_int32, float_p, c_int64, float_p, c_int64], c_int32)
_declare("keras_model_layer_aug_mix", [keras_model_p, c_char_p, float_p, c_int32, int64_p, int32_p, c_int32, c_int32,
                                      float_p, c_int64], c_int32)
# int (*)(void *user_data, int options, int count, int32_t *choices)
keras_aug_mix_chooser_fn = CFUNCTYPE(c_int32, c_void_p, c_int32, c_int32, int32_p)
_declare("keras_model_set_aug_mix_chooser", [keras_model_p, keras_aug_mix_chooser_fn, c_void_p], c_int32)
_declare("keras_model_layer_state", [keras_model_p, c_char_p, c_int32, float_p, c_int64, int64_p, c_int32,
                                     int32_p], c_int32)
_declare("keras_model_seed_generator_count", [keras_model_p, int32_p], c_int32)
_declare("keras_model_seed_generator", [keras_model_p, c_int32, char_pp, char_pp, POINTER(c_uint32)],
         c_int32)
_declare("keras_model_set_seed_generator", [keras_model_p, c_int32, POINTER(c_uint32)], c_int32)
_declare("keras_strings_encode", [char_pp, c_int64, float_p], c_int32)
_declare("keras_strings_decode", [float_p, c_int64, char_pp], c_int32)
_declare("keras_model_output_shape", [keras_model_p, c_int64, int64_p, c_int32, int32_p], c_int32)
_declare("keras_model_summary", [keras_model_p, char_pp], c_int32)
_declare("keras_model_to_json", [keras_model_p, char_pp], c_int32)
_declare("keras_model_traced_metrics", [keras_model_p, char_pp], c_int32)
_declare("keras_model_metric_variables", [keras_model_p, char_pp], c_int32)
_declare("keras_metric_variables", [c_char_p, char_pp], c_int32)
_declare("keras_metric_stateless_result", [c_char_p, c_char_p, char_pp], c_int32)
_declare("keras_model_stop_training", [keras_model_p], c_int32)
_declare("keras_model_save", [keras_model_p, c_char_p, c_int32], c_int32)
_declare("keras_model_archive_config", [keras_model_p, char_pp], c_int32)
_declare("keras_model_save_config", [keras_model_p, c_char_p, c_int32, c_char_p], c_int32)
_declare("keras_model_save_weights", [keras_model_p, c_char_p, c_int32], c_int32)
_declare("keras_model_export_onnx", [keras_model_p, c_char_p, c_int32, c_char_p], c_int32)
_declare("keras_model_load_weights", [keras_model_p, c_char_p], c_int32)
_declare("keras_model_weight_count", [keras_model_p, int32_p], c_int32)
_declare("keras_model_weight_info", [keras_model_p, c_int32, char_pp, int64_p, c_int32, int32_p],
         c_int32)
_declare("keras_model_get_weight", [keras_model_p, c_int32, float_p, c_int64], c_int32)
_declare("keras_model_set_weight", [keras_model_p, c_int32, float_p, c_int64], c_int32)
_declare("keras_model_from_json_sharing", [c_char_p, POINTER(keras_model_p), c_int32,
                                           POINTER(keras_model_p)], c_int32)
_declare("keras_model_nested_model", [keras_model_p, c_char_p, POINTER(keras_model_p)], c_int32)
_declare("keras_model_set_trainable", [keras_model_p, c_char_p], c_int32)
_declare("keras_model_set_layer_activation", [keras_model_p, c_char_p, c_char_p], c_int32)
_declare("keras_model_from_json_sharing_layers", [c_char_p, POINTER(keras_model_p), c_int32, c_char_p,
                                                  POINTER(keras_model_p)], c_int32)
_declare("keras_model_call_masked", [keras_model_p, keras_array_p, c_int32, c_int32,
                                     POINTER(keras_output), c_int32, POINTER(keras_output), int32_p,
                                     char_pp], c_int32)
_declare("keras_model_call_with_masks", [keras_model_p, keras_array_p, keras_array_p, c_int32, c_int32,
                                         POINTER(keras_output), c_int32, POINTER(keras_output), int32_p,
                                         char_pp], c_int32)
_declare("keras_model_weight_layers", [keras_model_p, char_pp], c_int32)
_declare("keras_model_weight_ids", [keras_model_p, char_pp], c_int32)
_declare("keras_model_weight_dtypes", [keras_model_p, char_pp], c_int32)
_declare("keras_model_quantize", [keras_model_p, c_char_p, c_char_p, char_pp], c_int32)
_declare("keras_model_get_weight_int32", [keras_model_p, c_int32, int32_p, c_int64], c_int32)
_declare("keras_model_set_weight_int32", [keras_model_p, c_int32, int32_p, c_int64], c_int32)
_declare("keras_model_optimizer_iterations", [keras_model_p, int64_p], c_int32)
_declare("keras_model_optimizer_variables", [keras_model_p, char_pp, c_void_p, c_int64, int64_p], c_int32)
_declare("keras_model_set_optimizer_iterations", [keras_model_p, c_int64], c_int32)
_declare("keras_model_set_optimizer_variables", [keras_model_p, c_char_p], c_int32)

# ---- estimators and model selection -----------------------------------------------------------
keras_estimator_p = c_void_p
keras_search_p = c_void_p
_declare("keras_estimator_new", [c_char_p, c_char_p, c_char_p, POINTER(keras_estimator_p)], c_int32)
_declare("keras_estimator_from_model", [c_char_p, keras_model_p, c_char_p,
                                        POINTER(keras_estimator_p)], c_int32)
_declare("keras_estimator_free", [keras_estimator_p], None)
_declare("keras_estimator_metadata", [keras_estimator_p, char_pp], c_int32)
_declare("keras_estimator_model", [keras_estimator_p, POINTER(keras_model_p)], c_int32)
_declare("keras_estimator_restore", [c_char_p, keras_model_p, c_char_p, c_char_p,
                                     POINTER(keras_estimator_p)], c_int32)
_declare("keras_estimator_describe", [c_char_p, c_char_p, c_int32, int64_p, float_p, c_int32, int64_p,
                                      c_char_p, c_int64, char_pp], c_int32)
_declare("keras_estimator_fit", [keras_estimator_p, float_p, c_int32, int64_p, float_p, c_int32,
                                 int64_p], c_int32)
_declare("keras_estimator_fit_weighted", [keras_estimator_p, c_void_p, c_int32, int64_p, c_void_p,
                                          c_int32, int64_p, c_void_p, c_int64], c_int32)
_declare("keras_estimator_fit_callbacks", [keras_estimator_p, c_void_p, c_int32, int64_p, c_void_p,
                                           c_int32, int64_p, c_void_p, c_int64,
                                           POINTER(keras_callback_p), c_int32], c_int32)
_declare("keras_estimator_set_params", [keras_estimator_p, c_char_p], c_int32)
_declare("keras_estimator_partial_fit", [keras_estimator_p, c_void_p, c_int32, int64_p, c_void_p,
                                         c_int32, int64_p, c_void_p, c_int64, c_void_p, c_int64,
                                         POINTER(keras_callback_p), c_int32], c_int32)
_declare("keras_estimator_fit_labels", [keras_estimator_p, c_void_p, c_int32, int64_p, c_char_p,
                                        c_void_p, c_int64, c_int32, c_char_p,
                                        POINTER(keras_callback_p), c_int32], c_int32)
_declare("keras_estimator_predict_labels", [keras_estimator_p, c_void_p, c_int32, int64_p, char_pp],
         c_int32)
_declare("keras_estimator_predict", [keras_estimator_p, c_void_p, c_int32, int64_p, c_void_p, c_int64,
                                     int64_p, int32_p], c_int32)
_declare("keras_estimator_predict_proba", [keras_estimator_p, c_void_p, c_int32, int64_p, c_void_p,
                                           c_int64, int64_p, int32_p], c_int32)
_declare("keras_estimator_score_weighted", [keras_estimator_p, c_void_p, c_int32, int64_p, c_void_p,
                                            c_int32, int64_p, c_void_p, c_int64, POINTER(c_double)],
         c_int32)
_declare("keras_estimator_fit_arrays", [keras_estimator_p, keras_array_p, c_int32, keras_array_p,
                                        c_char_p, keras_array_p, keras_array_p, c_int32,
                                        keras_array_p, c_int32, keras_array_p, c_char_p,
                                        POINTER(keras_callback_p), c_int32], c_int32)
_declare("keras_estimator_predict_arrays", [keras_estimator_p, c_char_p, keras_array_p, c_int32,
                                            c_char_p, POINTER(keras_callback_p), c_int32,
                                            POINTER(keras_output), char_pp], c_int32)
_declare("keras_estimator_score_arrays", [keras_estimator_p, keras_array_p, c_int32, keras_array_p,
                                          keras_array_p, c_char_p, POINTER(keras_callback_p),
                                          c_int32, POINTER(c_double)], c_int32)
_declare("keras_grid_search_new", [keras_estimator_p, c_char_p, c_char_p, POINTER(keras_search_p)],
         c_int32)
_declare("keras_search_free", [keras_search_p], None)
_declare("keras_search_fit", [keras_search_p, float_p, c_int32, int64_p, float_p, c_int32, int64_p],
         c_int32)
_declare("keras_search_results", [keras_search_p, char_pp], c_int32)
_declare("keras_search_best_estimator", [keras_search_p, POINTER(keras_estimator_p)], c_int32)
_declare("keras_randomized_search_new", [keras_estimator_p, c_char_p, c_char_p,
                                         POINTER(keras_search_p)], c_int32)
_declare("keras_cross_validate", [keras_estimator_p, float_p, c_int32, int64_p, float_p, c_int32,
                                  int64_p, c_char_p, char_pp], c_int32)
_declare("keras_pipeline_new", [c_char_p, keras_estimator_p, c_char_p, POINTER(keras_estimator_p)],
         c_int32)

# ---- plugins --------------------------------------------------------------------------------
_declare("keras_register_layer", [c_char_p, POINTER(keras_layer_class)], c_int32)
_declare("keras_layer_builder_set_supports_masking", [keras_layer_builder_p, c_int32], c_int32)
_declare("keras_layer_builder_input", [keras_layer_builder_p, int64_p], c_int32)
_declare("keras_layer_builder_input_count", [keras_layer_builder_p, int32_p], c_int32)
_declare("keras_layer_builder_input_at", [keras_layer_builder_p, c_int32, int64_p], c_int32)
_declare("keras_layer_builder_call_arguments", [keras_layer_builder_p, char_pp], c_int32)
_declare("keras_layer_builder_weight", [keras_layer_builder_p, c_int32, int64_p], c_int32)
_declare("keras_layer_builder_constant", [keras_layer_builder_p, float_p, c_int32, int64_p,
                                          int64_p], c_int32)
_declare("keras_layer_builder_op", [keras_layer_builder_p, c_char_p, c_int32, int64_p, c_char_p,
                                    int64_p], c_int32)
_declare("keras_layer_builder_shape", [keras_layer_builder_p, c_int64, int32_p, int64_p], c_int32)
_declare("keras_layer_builder_output", [keras_layer_builder_p, c_int64, c_int32], c_int32)
_declare("keras_layer_builder_loss", [keras_layer_builder_p, c_int64, c_int32], c_int32)
_declare("keras_layer_builder_metric", [keras_layer_builder_p, c_char_p, c_int64, c_int64, c_int32],
         c_int32)
_declare("keras_layer_builder_metric_object", [keras_layer_builder_p, c_char_p, c_char_p, c_int64,
                                               c_int64, c_int64, c_int32], c_int32)
_declare("keras_layer_builder_state", [keras_layer_builder_p, c_int64, int64_p], c_int32)
_declare("keras_layer_builder_state_output", [keras_layer_builder_p, c_int32, c_int64, c_int32], c_int32)
_declare("keras_layer_builder_initial_state", [keras_layer_builder_p, c_int32, c_int64], c_int32)
_declare("keras_layer_builder_layer", [keras_layer_builder_p, c_char_p, c_int32, c_int32, c_char_p,
                                       c_int32, int64_p, c_int32, int64_p], c_int32)
_declare("keras_layer_builder_base", [keras_layer_builder_p, c_char_p, char_pp], c_int32)
_declare("keras_layer_builder_base_call", [keras_layer_builder_p, c_int32, int64_p, c_int32, c_int32,
                                           int64_p], c_int32)
_declare("keras_layer_builder_layer_call", [keras_layer_builder_p, c_char_p, c_int32, c_int32, c_char_p,
                                            c_int32, int64_p, c_char_p, c_int32, c_int32, int64_p,
                                            int32_p], c_int32)
_declare("keras_layer_builder_layer_weight", [keras_layer_builder_p, c_char_p, c_int32, c_int32, c_char_p,
                                              c_int32, int64_p, c_char_p, int64_p], c_int32)
_declare("keras_layer_builder_model_call", [keras_layer_builder_p, c_char_p, c_int32, c_int32, keras_model_p,
                                            c_int32, int64_p, c_int32, c_int32, int64_p, int32_p], c_int32)
_declare("keras_name_scope_open_root", [int32_p], c_int32)
_declare("keras_name_scope_close", [c_int32], c_int32)
_declare("keras_layer_builder_outputs", [keras_layer_builder_p, c_int32, int64_p, c_int32], c_int32)
_declare("keras_layer_builder_mask", [keras_layer_builder_p, c_int32, int64_p], c_int32)
_declare("keras_layer_builder_output_masks", [keras_layer_builder_p, c_int32, int64_p, c_int32], c_int32)
_declare("keras_layer_builder_input_has_mask", [keras_layer_builder_p, c_int32, int32_p], c_int32)
_declare("keras_layer_builder_masks_absent", [keras_layer_builder_p, int32_p], c_int32)
_declare("keras_layer_builder_reads_sizes", [keras_layer_builder_p], c_int32)
_declare("keras_layer_builder_custom_gradient", [keras_layer_builder_p, c_int32, int64_p, c_int64,
                                                 c_int64, int64_p, int64_p], c_int32)
_declare("keras_graph_new", [POINTER(keras_layer_builder_p)], c_int32)
_declare("keras_graph_free", [keras_layer_builder_p], None)
_declare("keras_graph_argument", [keras_layer_builder_p, float_p, c_int32, int64_p, int64_p], c_int32)
_declare("keras_graph_vjp", [keras_layer_builder_p, c_int32, int64_p, float_pp, float_pp, float_pp],
         c_int32)
_declare("keras_graph_jvp", [keras_layer_builder_p, c_int32, int64_p, float_pp, float_pp, float_pp],
         c_int32)
_declare("keras_layer_builder_assign", [keras_layer_builder_p, c_int32, c_int64, c_int32, c_int32],
         c_int32)

# ---- requested in ABI_REQUESTS.md, used when the library exports them -----------------------
_declare("keras_catalog_json", [char_pp], c_int32)
_declare("keras_object_config", [c_char_p, c_char_p, char_pp], c_int32)
_declare("keras_layer_validate_config", [c_char_p, POINTER(c_int32)], c_int32)
keras_schedule_fn = CFUNCTYPE(c_int32, c_void_p, c_int64, c_double, POINTER(c_double))
_declare("keras_callback_lr_scheduler_new", [keras_schedule_fn, c_void_p, keras_free_fn, c_int32,
                                             POINTER(keras_callback_p)], c_int32)
_declare("keras_model_learning_rate", [keras_model_p, POINTER(c_double)], c_int32)
_declare("keras_model_set_learning_rate", [keras_model_p, c_double], c_int32)
_declare("keras_interrupt", [], None)
_declare("keras_interrupt_arm", [c_int32], None)
_declare("keras_interrupt_install", [c_int32], c_int32)
_declare("keras_model_summary_ex", [keras_model_p, c_char_p, char_pp], c_int32)
_declare("keras_model_load_weights_ex", [keras_model_p, c_char_p, c_int32, c_int32], c_int32)
_declare("keras_set_random_seed", [c_int64], c_int32)
_declare("keras_get_numpy_random_state", [POINTER(c_uint32), POINTER(c_int32)], c_int32)
_declare("keras_set_numpy_random_state", [POINTER(c_uint32), c_int32], c_int32)
_declare("keras_random_draw", [c_char_p, c_uint32, c_uint32, c_int64, c_double, c_double, c_void_p],
         c_int32)
_declare("keras_random_permutation", [c_uint32, c_uint32, c_int64, c_int64, c_int64, int64_p], c_int32)
_declare("keras_random_sample", [c_char_p, c_uint32, c_uint32, c_int64, float_p, float_p, float_p], c_int32)
_declare("keras_random_categorical", [c_uint32, c_uint32, float_p, c_int64, c_int64, c_int64, int32_p],
         c_int32)
_declare("keras_model_fit_arrays", [keras_model_p, keras_array_p, c_int32, keras_array_p, c_int32,
                                    keras_array_p, keras_array_p, c_int32, keras_array_p, c_int32,
                                    keras_array_p, c_char_p, POINTER(keras_callback_p), c_int32,
                                    char_pp], c_int32)
_declare("keras_model_history", [keras_model_p, char_pp, c_void_p, c_int64, int64_p], c_int32)
_declare("keras_model_train_batch", [keras_model_p, keras_array_p, c_int32, keras_array_p, c_int32,
                                     keras_array_p, c_int32, char_pp], c_int32)
_declare("keras_model_train_batch_values", [keras_model_p, keras_array_p, c_int32, keras_array_p, c_int32,
                                            keras_array_p, c_int32, char_pp, c_void_p, c_int64, int64_p],
         c_int32)
_declare("keras_model_copy_optimizer_state", [keras_model_p, keras_model_p], c_int32)
_declare("keras_model_callbacks_begin", [keras_model_p, POINTER(keras_callback_p), c_int32, c_char_p,
                                         int32_p, POINTER(c_void_p)], c_int32)
_declare("keras_callback_run_event", [c_void_p, c_int32, c_int64, c_char_p, char_pp], c_int32)
_declare("keras_callback_run_free", [c_void_p], None)
_declare("keras_model_finalize_variable_values", [keras_model_p], c_int32)
_declare("keras_model_evaluate_arrays", [keras_model_p, keras_array_p, c_int32, keras_array_p,
                                         c_int32, keras_array_p, c_char_p,
                                         POINTER(keras_callback_p), c_int32, char_pp], c_int32)
_declare("keras_model_predict_arrays", [keras_model_p, keras_array_p, c_int32, c_char_p,
                                        POINTER(keras_callback_p), c_int32,
                                        POINTER(keras_output), c_int32], c_int32)
_declare("keras_model_call", [keras_model_p, keras_array_p, c_int32, c_int32, POINTER(keras_output),
                             c_int32, char_pp], c_int32)
_declare("keras_model_record_forward", [keras_model_p, keras_array_p, c_int32, POINTER(keras_output),
                                       c_int32, POINTER(keras_output), int32_p, int64_p, char_pp],
         c_int32)
_declare("keras_model_train_recorded", [keras_model_p, c_int64, keras_array_p, c_int32, keras_array_p,
                                        c_int32, char_pp], c_int32)
_declare("keras_model_weight_losses", [keras_model_p, char_pp], c_int32)
_declare("keras_model_input_count", [keras_model_p, int32_p], c_int32)
_declare("keras_model_output_count", [keras_model_p, int32_p], c_int32)
_declare("keras_model_io_shape", [keras_model_p, c_int32, c_int32, c_int64, int64_p, c_int32,
                                  int32_p], c_int32)
_declare("keras_register_loss", [c_char_p, keras_loss_fn, c_void_p, keras_free_fn], c_int32)
_declare("keras_register_loss_graph", [c_char_p, keras_loss_trace_fn, keras_loss_fn, c_char_p, c_void_p,
                                       keras_free_fn], c_int32)
_declare("keras_register_metric", [c_char_p, keras_loss_fn, c_void_p, keras_free_fn], c_int32)
_declare("keras_register_metric_class", [c_char_p, POINTER(keras_metric_class)], c_int32)
_declare("keras_register_activation", [c_char_p, keras_activation_fn, c_void_p, keras_free_fn],
         c_int32)
_declare("keras_register_regularizer_graph", [c_char_p, keras_regularizer_trace_fn, c_void_p,
                                             keras_free_fn], c_int32)
_declare("keras_register_schedule_graph", [c_char_p, keras_schedule_trace_fn, c_void_p,
                                          keras_free_fn], c_int32)
_declare("keras_scope_push", [], c_int32)
_declare("keras_scope_pop", [], c_int32)
_declare("keras_unregister", [c_char_p, c_char_p], c_int32)
_declare("keras_set_print_hook", [keras_print_fn, c_void_p, c_int32], None)
_declare("keras_callback_new_masked", [c_char_p, keras_callback_fn, c_void_p, keras_free_fn,
                                       c_uint32, POINTER(keras_callback_p)], c_int32)
_declare("keras_model_weight_trainable", [keras_model_p, c_int32, int32_p], c_int32)

# ---- Keras objects used on their own (initializers, constraints, schedules, optimizers) -----
keras_optimizer_p = c_void_p
_declare("keras_initializer_draw", [c_char_p, c_int32, int64_p, float_p, c_int64], c_int32)
_declare("keras_constraint_apply", [c_char_p, c_int32, int64_p, float_p], c_int32)
_declare("keras_schedule_value", [c_char_p, c_double, POINTER(c_double)], c_int32)
_declare("keras_optimizer_new", [c_char_p, POINTER(keras_optimizer_p)], c_int32)
_declare("keras_optimizer_free", [keras_optimizer_p], None)
_declare("keras_optimizer_apply", [keras_optimizer_p, int64_p, c_char_p, keras_array_p, keras_array_p,
                                   c_int32, POINTER(float_p)], c_int32)
_declare("keras_optimizer_exclude_from_weight_decay", [keras_optimizer_p, int64_p, c_int32, c_char_p],
         c_int32)
_declare("keras_optimizer_variables", [keras_optimizer_p, char_pp, c_void_p, c_int64, int64_p], c_int32)
_declare("keras_optimizer_set_variables", [keras_optimizer_p, c_char_p], c_int32)
_declare("keras_optimizer_state", [keras_optimizer_p, int64_p, POINTER(c_double)], c_int32)
_declare("keras_optimizer_set_learning_rate", [keras_optimizer_p, c_double], c_int32)
_declare("keras_optimizer_set_iterations", [keras_optimizer_p, c_int64], c_int32)
