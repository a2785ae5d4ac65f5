"""Writes the real-Keras numbers that binding test files compare with, so that the suite reads
them instead of running Keras for them at each run (they were a minute of a CI worker's time
under load: Keras's eager ops and draws compile one XLA program each):

- Tests/KerasTests/Fixtures/random/keras_random_like_jax.json: test_random_like_jax.py's
  `_draws` and `_initial_weights`;
- Tests/KerasTests/Fixtures/random/keras_seed_build_like_jax.json:
  test_random_seed_build_like_jax.py's `_weights`, `_composites`, `_fit_after_load` and
  `_distributions`;
- Tests/KerasTests/Fixtures/ops/keras_integer_dtypes.json: test_ops_integer_dtypes.py's
  `_run` of each of its CASES on each of its dtypes;
- Tests/KerasTests/Fixtures/models/keras_add_loss_evaluate.json:
  test_model_api_shapes_losses.py's `_evaluate_figures` (Keras/JAX tracks add_loss terms by the
  id() of their tensors, so in a long test process its evaluate can drop one: a process of its
  own gives the numbers Keras gives a user);
- Tests/KerasTests/Fixtures/random/keras_image_generator_states.json: the seed generators'
  states (conftest.image_layer_generator_states) of the DRAWING layers of
  test_rand_augment_aug_mix.py and test_color_augmentations.py on their DRAWING_IMAGES (Keras's
  fits of RandAugment compile its equalization's 256-bin loop: half a minute of CPU).
- Tests/KerasTests/Fixtures/random/keras_aug_mix_choosing.json:
  test_rand_augment_aug_mix.py's `_aug_mix_choosing` of each of its AUG_MIX_CHOOSING (Python's
  next random number and the generator's state after AugMix's calls).
- Tests/KerasTests/Fixtures/random/keras_random_geometric.json:
  test_random_geometric_in_fit_like_jax.py's `_entries` (each layer's training calls, generator
  states and config seed after `set_random_seed`, and the fits through the layers).
- Tests/KerasTests/Fixtures/random/keras_random_color_composites.json:
  test_random_color_in_fit_like_jax.py's `_rand_augment_images` and `_aug_mix_images`.
- Tests/KerasTests/Fixtures/layers/keras_bounding_box_augmentations.json:
  test_bounding_box_augmentations.py's `_rand_augment_training` and `_augmix_training` of each of
  its AUGMIX_KWARGS (the dicts of images, boxes, labels and masks).
- Tests/KerasTests/Fixtures/layers/keras_resizing_antialias.json: test_resizing_antialias.py's
  `_keras_outputs` (Resizing(antialias=True) of each of its CASES).
- Tests/KerasTests/Fixtures/models/keras_nested_trace_sizes.json: test_nested_trace_sizes.py's
  `_fit_run` (a Swin-like window attention block's predictions, fit losses and weights).
- Tests/KerasTests/Fixtures/models/keras_nested_attention_masks.json:
  test_nested_attention_masks.py's `_run` of each of its CASES (output masks, predictions and
  2-epoch fits of models nesting attention with masks).
- Tests/KerasTests/Fixtures/ops/keras_unknown_axes.json: test_ops_unknown_axes.py's `_specs`
  (Keras's `compute_output_spec` of every op of its sweep on each of its shapes with None).
- Tests/KerasTests/Fixtures/ops/keras_unknown_sizes_traced.json:
  test_ops_unknown_sizes_traced.py's `_keras_outputs` (its ops along axes of unknown size, at
  two lengths; Keras's eager ops compile one XLA program each per shape).
- Tests/KerasTests/Fixtures/models/keras_traced_concrete_sizes.json:
  test_traced_concrete_sizes.py's `_keras_outputs` (layers whose call reads unknown sizes, at two
  batch sizes and two lengths, and their fits).
- Tests/KerasTests/Fixtures/onnx/keras_onnx_outputs.json: test_export_onnx.py's
  `_keras_outputs` (each case's model on its drawn weights, compiled by jax.jit: 31 compilations,
  most of that file's time).
- Tests/KerasTests/Fixtures/models/keras_token_learner_vit.json: test_keras_io_examples_9.py's
  `_token_learner_run` (Keras fits that model eagerly: its RandomCrop does not support jit).
- Tests/KerasTests/Fixtures/models/keras_eeg_fit.json and keras_tabtransformer_fit.json:
  test_keras_io_examples_9.py's `_eeg_fit_run` and `_tab_fit_run`.
- Tests/KerasTests/Fixtures/models/keras_cct_fit.json: test_keras_io_examples_3.py's
  `_cct_fit_run`.
- Tests/KerasTests/Fixtures/models/keras_mlp_image_fit.json: test_keras_io_examples_3.py's
  `_mlp_fit_runs` (the MLP-Mixer, FNet and gMLP fits); keras_pointnet_fit.json: its
  `_pointnet_fit_run`.
- Tests/KerasTests/Fixtures/models/keras_ctc_asr_fit.json and keras_handwriting_fit.json:
  test_keras_io_examples_12.py's `_asr_run` and `_handwriting_run` (the CTC models' fits).
- Tests/KerasTests/Fixtures/models/keras_gnn_baseline_fit.json,
  keras_gnn_classifier_fit.json, keras_held_array_fit.json and keras_fraud_detection_fit.json:
  test_keras_io_examples_13.py's `_gnn_baseline_run`, `_gnn_classifier_run`,
  `_table_lookup_run` and `_fraud_run`.
- Tests/KerasTests/Fixtures/models/keras_unet_fit.json: test_keras_io_examples_2.py's
  `_unet_fit_run` (the keras.io U-Net's fit); keras_conv_lstm_fit.json: its `_conv_lstm_fit_run`.
- Tests/KerasTests/Fixtures/models/keras_stft_fit.json: test_keras_io_examples_14.py's
  `_stft_run` (the keras.io STFTSpectrogram models' predictions and model1d's fit).
- Tests/KerasTests/Fixtures/models/keras_auto_names.json: test_auto_names.py's `_keras_names`
  (its script in a fresh Keras process).
- Tests/KerasTests/Fixtures/models/keras_application_layers.json and the .keras file beside it:
  test_load_application_layers.py's model of Keras's application-module layers
  (InceptionResNetV2's CustomScaleLayer, ConvNeXt's LayerScale) as Keras saves it, with its
  predictions (`load`).
- Tests/KerasTests/Fixtures/models/keras_application_layers_shaped.json and the two .keras files
  beside it: test_application_layers_builtin.py's InceptionResNetV2-shaped and ConvNeXt-shaped
  models as Keras saves them, with their predictions (`apps`; the C test
  test_application_layers.c reads them too).
- Tests/KerasTests/Fixtures/models/keras_fine_tune.json: test_applications.py's
  `_fine_tune_run` (a frozen MobileNetV2's head trained, then the whole model fine-tuned);
  keras_application_predictions.json: its `_keras_predictions` (each application family's and some
  weights="imagenet" call's predictions).

Each test file calls the same functions (imported here from it) on swiftkeras, so a case added
to a test file needs this script run again. Real Keras 3 (JAX backend) runs with XLA's default
flags, as a user's Keras does (the suite's quick-compile flags, conftest.py, leave
multiply-adds unfused, and a few of jax's numbers then differ by an ulp). Arrays are written as
dtype, shape and values (each float the shortest decimal that reads back to the same float32 or
float16), so the files read back bit for bit (a NaN as NaN); the script checks it.

    KERAS_BACKEND=jax .venv/bin/python scripts/make_keras_reference_fixtures.py [NAME ...]

NAME: random_like_jax, seed_build_like_jax, integer_dtypes, add_loss_evaluate,
image_generator_states, aug_mix_choosing, random_geometric, random_color_composites,
bounding_box_augmentations, resizing_antialias, onnx_outputs, token_learner_vit,
eeg_fit, tabtransformer_fit, cct_fit, mlp_image_fit, pointnet_fit, unet_fit, conv_lstm_fit,
auto_names, load, apps, unknown_axes, unknown_sizes_traced, nested_trace_sizes, ctc_asr_fit,
handwriting_fit, nested_attention_masks, gnn_baseline_fit, gnn_classifier_fit,
held_array_fit, fraud_detection_fit, stft_fit, fine_tune, application_predictions,
traced_concrete_sizes
(default: all).
"""
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
FIXTURES = os.path.join(ROOT, "Tests", "KerasTests", "Fixtures")
TESTS = os.path.join(ROOT, "bindings", "python", "tests")


def encode(value):
    """An array as JSON: its dtype, shape and values (floats in their shortest exact form)."""
    import numpy as np
    a = np.asarray(value)
    if a.dtype.kind == "f":
        values = [float(str(v)) for v in a.ravel()]
    else:
        values = a.ravel().tolist()
    # (text by its code, '<U80': numpy does not read back the name of a text dtype, 'str320')
    return {"dtype": a.dtype.str if a.dtype.kind == "U" else a.dtype.name, "shape": list(a.shape),
            "values": values}


def random_like_jax():
    import keras
    import test_random_like_jax as t
    draws, weights = t._draws(keras), t._initial_weights(keras)
    return {"draws": {k: [v] for k, v in draws.items()}, "weights": weights}


def seed_build_like_jax():
    import keras
    import test_random_seed_build_like_jax as t
    return {**t._weights(keras), **t._composites(keras), **t._fit_after_load(keras),
            **t._distributions(keras)}


def integer_dtypes():
    import keras
    import test_ops_integer_dtypes as t
    return {f"{name}-{dtype}": [t._run(keras.ops, name, dtype)] for name, dtype in t.PARAMS}


def add_loss_evaluate():
    import keras
    import test_model_api_shapes_losses as t
    return {"figures": t._evaluate_figures(keras)[0]}


def image_generator_states():
    """Per test file and DRAWING name: its generators' states, each under `index:path`."""
    import keras
    import numpy as np
    from conftest import image_layer_generator_states
    found = {}
    for test_file in ("rand_augment_aug_mix", "color_augmentations"):
        t = __import__(f"test_{test_file}")
        for name in sorted(t.DRAWING):
            states = image_layer_generator_states(keras, t.DRAWING[name], t.DRAWING_IMAGES)
            found[f"{test_file}/{name}"] = {f"{i}:{path}": [np.asarray(state, np.int64)]
                                            for i, (path, state) in enumerate(states)}
    return found


def aug_mix_choosing():
    import keras
    import numpy as np
    import test_rand_augment_aug_mix as t
    found = {}
    for case in range(len(t.AUG_MIX_CHOOSING)):
        _, _, after, state = t._aug_mix_choosing(keras, case)
        found[str(case)] = {"after": [np.float64(after)], "state": [np.asarray(state, np.int64)]}
    return found


def random_geometric():
    import keras
    import test_random_geometric_in_fit_like_jax as t
    return t._entries(keras)


def random_color_composites():
    import keras
    import test_random_color_in_fit_like_jax as t
    return {"rand_augment": t._rand_augment_images(keras), "aug_mix": t._aug_mix_images(keras)}


def bounding_box_augmentations():
    import keras  # noqa: F401
    import test_bounding_box_augmentations as t

    def entry(output):
        return {k: ({kk: [vv] for kk, vv in v.items()} if isinstance(v, dict) else [v]) for k, v in output.items()}
    found = {"RandAugment": entry(t._rand_augment_training(t.keras))}
    for i, kwargs in enumerate(t.AUGMIX_KWARGS):
        found[f"AugMix-{i}"] = entry(t._augmix_training(t.keras, kwargs))
    return found


def _keras_outputs_of(test_file):
    """A test file's `_keras_outputs(keras)`, run in real Keras."""
    import importlib
    import keras
    return importlib.import_module(test_file)._keras_outputs(keras)


def resizing_antialias():
    return _keras_outputs_of("test_resizing_antialias")


def onnx_outputs():
    return _keras_outputs_of("test_export_onnx")


def _keras_io_run(function, test_file="test_keras_io_examples_9"):
    """A keras.io test file's `function(keras, folder)`, at the tests' 80 columns (their
    `narrow_terminal`)."""
    import importlib
    import tempfile
    import keras
    os.environ["COLUMNS"] = "80"
    with tempfile.TemporaryDirectory() as folder:
        return getattr(importlib.import_module(test_file), function)(keras, folder)


def token_learner_vit():
    return _keras_io_run("_token_learner_run")


def eeg_fit():
    return _keras_io_run("_eeg_fit_run")


def tabtransformer_fit():
    return _keras_io_run("_tab_fit_run")


def cct_fit():
    return _keras_io_run("_cct_fit_run", "test_keras_io_examples_3")


def mlp_image_fit():
    return _keras_io_run("_mlp_fit_runs", "test_keras_io_examples_3")


def pointnet_fit():
    return _keras_io_run("_pointnet_fit_run", "test_keras_io_examples_3")


def ctc_asr_fit():
    return _keras_io_run("_asr_run", "test_keras_io_examples_12")


def handwriting_fit():
    return _keras_io_run("_handwriting_run", "test_keras_io_examples_12")


def gnn_baseline_fit():
    return _keras_io_run("_gnn_baseline_run", "test_keras_io_examples_13")


def gnn_classifier_fit():
    return _keras_io_run("_gnn_classifier_run", "test_keras_io_examples_13")


def held_array_fit():
    return _keras_io_run("_table_lookup_run", "test_keras_io_examples_13")


def fraud_detection_fit():
    return _keras_io_run("_fraud_run", "test_keras_io_examples_13")


def unet_fit():
    return _keras_io_run("_unet_fit_run", "test_keras_io_examples_2")


def conv_lstm_fit():
    return _keras_io_run("_conv_lstm_fit_run", "test_keras_io_examples_2")


def stft_fit():
    return _keras_io_run("_stft_run", "test_keras_io_examples_14")


def auto_names():
    import tempfile
    import test_auto_names as t
    with tempfile.TemporaryDirectory() as folder:
        return t._keras_names(folder)


def application_layers():
    """test_load_application_layers.py's `_keras_model` saved by Keras beside the JSON, and its
    predictions on `_inputs()`."""
    import keras
    import test_load_application_layers as t
    model = t._keras_model(keras)
    model.save(os.path.join(FIXTURES, *t.KERAS_FILE))
    x = t._inputs()
    return {"inputs": [x], "outputs": [model.predict(x, verbose=0)]}


def nested_trace_sizes():
    import keras
    import test_nested_trace_sizes as t
    return t._fit_run(keras)


def nested_attention_masks():
    import keras
    import test_nested_attention_masks as t
    return {case: t._run(keras, case) for case in t.CASES}


def application_layers_shaped():
    import test_application_layers_builtin as t
    return t.keras_files(FIXTURES)


def fine_tune():
    import keras
    import test_applications as t
    return t._fine_tune_run(keras)


def application_predictions():
    import keras
    import test_applications as t
    return t._keras_predictions(keras)


def unknown_axes():
    import keras
    import test_ops_unknown_axes as t
    return t._specs(keras)


def unknown_sizes_traced():
    import keras
    import test_ops_unknown_sizes_traced as t
    return t._keras_outputs(keras)


OUTPUTS = {
    "random_like_jax": (random_like_jax, ("random", "keras_random_like_jax.json")),
    "seed_build_like_jax": (seed_build_like_jax, ("random", "keras_seed_build_like_jax.json")),
    "integer_dtypes": (integer_dtypes, ("ops", "keras_integer_dtypes.json")),
    "add_loss_evaluate": (add_loss_evaluate, ("models", "keras_add_loss_evaluate.json")),
    "image_generator_states": (image_generator_states, ("random", "keras_image_generator_states.json")),
    "aug_mix_choosing": (aug_mix_choosing, ("random", "keras_aug_mix_choosing.json")),
    "random_geometric": (random_geometric, ("random", "keras_random_geometric.json")),
    "random_color_composites": (random_color_composites, ("random", "keras_random_color_composites.json")),
    "bounding_box_augmentations": (bounding_box_augmentations, ("layers", "keras_bounding_box_augmentations.json")),
    "resizing_antialias": (resizing_antialias, ("layers", "keras_resizing_antialias.json")),
    "onnx_outputs": (onnx_outputs, ("onnx", "keras_onnx_outputs.json")),
    "token_learner_vit": (token_learner_vit, ("models", "keras_token_learner_vit.json")),
    "eeg_fit": (eeg_fit, ("models", "keras_eeg_fit.json")),
    "tabtransformer_fit": (tabtransformer_fit, ("models", "keras_tabtransformer_fit.json")),
    "cct_fit": (cct_fit, ("models", "keras_cct_fit.json")),
    "mlp_image_fit": (mlp_image_fit, ("models", "keras_mlp_image_fit.json")),
    "pointnet_fit": (pointnet_fit, ("models", "keras_pointnet_fit.json")),
    "ctc_asr_fit": (ctc_asr_fit, ("models", "keras_ctc_asr_fit.json")),
    "handwriting_fit": (handwriting_fit, ("models", "keras_handwriting_fit.json")),
    "gnn_baseline_fit": (gnn_baseline_fit, ("models", "keras_gnn_baseline_fit.json")),
    "gnn_classifier_fit": (gnn_classifier_fit, ("models", "keras_gnn_classifier_fit.json")),
    "held_array_fit": (held_array_fit, ("models", "keras_held_array_fit.json")),
    "fraud_detection_fit": (fraud_detection_fit, ("models", "keras_fraud_detection_fit.json")),
    "unet_fit": (unet_fit, ("models", "keras_unet_fit.json")),
    "conv_lstm_fit": (conv_lstm_fit, ("models", "keras_conv_lstm_fit.json")),
    "stft_fit": (stft_fit, ("models", "keras_stft_fit.json")),
    "auto_names": (auto_names, ("models", "keras_auto_names.json")),
    "load": (application_layers, ("models", "keras_application_layers.json")),
    "apps": (application_layers_shaped, ("models", "keras_application_layers_shaped.json")),
    "unknown_axes": (unknown_axes, ("ops", "keras_unknown_axes.json")),
    "nested_trace_sizes": (nested_trace_sizes, ("models", "keras_nested_trace_sizes.json")),
    "nested_attention_masks": (nested_attention_masks, ("models", "keras_nested_attention_masks.json")),
    "unknown_sizes_traced": (unknown_sizes_traced, ("ops", "keras_unknown_sizes_traced.json")),
    "fine_tune": (fine_tune, ("models", "keras_fine_tune.json")),
    "application_predictions": (application_predictions, ("models", "keras_application_predictions.json")),
    "traced_concrete_sizes": (lambda: _keras_outputs_of("test_traced_concrete_sizes"),
                              ("models", "keras_traced_concrete_sizes.json")),
}


def write(found, path):
    """`found` (name -> list of arrays, or a dict of such) as JSON, one name a line."""
    def arrays(entry):
        if isinstance(entry, dict):
            return {k: arrays(v) for k, v in entry.items()}
        return [encode(v) for v in entry]

    def lines(entry, indent):
        if isinstance(entry, dict):
            inner = ",\n".join(f"{indent} {json.dumps(k)}: {lines(v, indent + ' ')}" for k, v in entry.items())
            return "{\n" + inner + "\n" + indent + "}"
        return json.dumps(entry, separators=(",", ":"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(lines(arrays(found), "") + "\n")


def assert_reads_back(found, path):
    """The file as the tests read it (conftest.keras_reference) holds `found`: the same dtypes,
    shapes, NaNs, and every other value bit for bit."""
    import numpy as np
    from conftest import keras_reference

    def check(want, got, name):
        if isinstance(want, dict):
            assert list(want) == list(got), name
            for k in want:
                check(want[k], got[k], f"{name}/{k}")
            return
        assert len(want) == len(got), name
        for w, g in zip(want, got):
            w = np.asarray(w)
            assert w.dtype == g.dtype and w.shape == g.shape, name
            nan = np.isnan(w) if w.dtype.kind == "f" else np.zeros(w.shape, bool)
            # (a NaN reads back as NaN, not always with the sign bit jax gave it)
            assert np.array_equal(nan, np.isnan(g) if g.dtype.kind == "f" else nan), name
            assert w[~nan].tobytes() == g[~nan].tobytes(), name
    check(found, keras_reference(os.path.relpath(path, FIXTURES)), os.path.basename(path))


def main(names):
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["XLA_FLAGS"] = ""            # XLA's defaults, before jax is imported
    sys.path[:0] = [TESTS, os.path.join(ROOT, "bindings", "python")]
    import keras  # noqa: F401  (jax first: the tests' conftest then leaves the flags alone)
    for name in names or list(OUTPUTS):
        make, parts = OUTPUTS[name]
        path = os.path.join(FIXTURES, *parts)
        found = make()
        write(found, path)
        assert_reads_back(found, path)
        print(f"{name}: {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    unknown = [n for n in sys.argv[1:] if n not in OUTPUTS]
    if unknown:
        sys.exit(f"unknown fixture {unknown[0]!r}; one of {', '.join(OUTPUTS)}")
    main(sys.argv[1:])
