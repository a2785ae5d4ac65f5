import atexit
import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest


def _compiled_programs_kept_for_this_run():
    """Real Keras compiles each reference model's predict and train steps with XLA, one program
    per model even where two models are the same layers at the same shapes (Keras's model and
    the file of ours it loads, one Keras model built again by the next test). JAX's compilation
    cache, in one folder for the run (made by the pytest process that starts first: the
    pytest-xdist workers share their controller's, removed at its exit), compiles such a program
    once in the whole run, whichever worker compiled it first; every program is kept, however
    quick to compile (the small models' steps are most of the programs). Every reference is
    still computed by Keras in the run, and nothing is kept between runs. A
    JAX_COMPILATION_CACHE_DIR set by the user is theirs."""
    ours = os.environ.get("JAX_COMPILATION_CACHE_DIR") == os.environ.get("SWIFTKERAS_TESTS_JAX_CACHE")
    if not ours or "jax" in sys.modules:
        return
    if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("SWIFTKERAS_TESTS_JAX_CACHE"):
        return      # the controller's folder (inherited with its environment)
    folder = tempfile.mkdtemp(prefix="swiftkeras-tests-jax-")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = os.environ["SWIFTKERAS_TESTS_JAX_CACHE"] = folder
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)


def _reference_programs_compiled_quickly():
    """The reference programs run on a few samples: compiling them is nearly all of their cost
    (a test's Keras model compiles its steps once and runs them a few times). XLA's CPU backend
    then compiles without LLVM's optimization passes (the same programs, the same operations,
    not tuned machine code), in a fraction of the time; and its fusions are emitted by XLA's
    element-wise IR emitters, not its MLIR fusion emitters, which take longer to compile at
    that level (MobileNetV2's train step: 9.1-9.5 -> 5.2-6.1 s of CPU, its predict step 1.0-1.1 ->
    0.7-0.9 s; the same loss and predictions to the last digit printed).
    Flags set by the user (XLA_FLAGS) are theirs."""
    if "XLA_FLAGS" not in os.environ and "jax" not in sys.modules:
        os.environ["XLA_FLAGS"] = ("--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
                                   " --xla_cpu_use_fusion_emitters=false")


_compiled_programs_kept_for_this_run()
_reference_programs_compiled_quickly()

# Run against the checkout's package unless an installed one is asked for.
if not os.environ.get("SWIFTKERAS_TEST_INSTALLED"):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from swiftkeras import _lib  # noqa: E402


# The files that take longest, longest first: their tests' --durations summed by file (on a
# 2-core machine under a load of 15: test_applications alone, 672 s; the others in two workers
# as `make test` runs them: test_keras_io_guides_4 324 s, _examples_3 287 s, down to
# test_keras_io_examples_6 26 s; test_docstring_examples alone, 73 s). Timed were these, the
# keras.io files and the earlier list's (test_export_onnx, 16 s since its Keras outputs are a
# fixture, and test_random_geometric_in_fit_like_jax, 1 s, left it). `make test` runs the files
# in pytest-xdist workers, a file whole in one worker (--dist loadfile), in the order collected
# (--no-loadscope-reorder: xdist's own order, most tests first, left files of few long tests to
# the end, where one worker ran them while the other had nothing left). Started first, they end
# while the many short files fill the other worker.
LONGEST_FILES_FIRST = [
    # (the first six: each file alone, its tests' process CPU summed, Keras imported before:
    # test_applications 107.2 s, 151.5 before Keras's predictions and fine-tuning fits there
    # became fixtures; test_keras_io_guides_4 35.8 s, 42.5 before its Keras reference models
    # drew from numpy; test_keras_io_guides_3 20.6 (25.9), test_keras_io_examples_3 18.3,
    # test_keras_io_examples 14.7 (19.6), test_keras_io_examples_2 13.8)
    "test_applications.py",
    "test_keras_io_guides_4.py",
    "test_keras_io_guides_3.py",
    "test_keras_io_examples_3.py",
    "test_keras_io_examples.py",
    "test_keras_io_examples_2.py",
    "test_keras_io_examples_8.py",
    "test_color_augmentations.py",
    "test_keras_io_guides_1.py",
    "test_keras_io_examples_7.py",
    "test_random_color_in_fit_like_jax.py",
    "test_keras_io_guides_2.py",
    # (its keras.io TokenLearner test's Keras side a fixture since: 25 s of CPU alone, 71 s of
    # wall at load 18)
    "test_keras_io_examples_9.py",
    # The next, timed together at load 20 (wall): 49 s, 47, 41, 36, 35, 29, 26, 19, then
    # test_docstring_examples alone at load 15, 17 s (its blocks' child process with the earlier
    # blocks' objects frozen), and test_keras_io_examples_6, 17 s; test_auto_names, 16 s
    # alone at load 16 since Keras's names are a fixture, left the list.
    "test_adaptive_pooling.py",
    "test_keras_io_examples_4.py",
    "test_custom_steps.py",
    "test_bounding_boxes.py",
    "test_audio_layers.py",
    "test_keras_io_examples_5.py",
    "test_rand_augment_aug_mix.py",
    "test_builtin_subclass.py",
    "test_docstring_examples.py",
    "test_keras_io_examples_6.py",
]


def pytest_collection_modifyitems(items):
    """LONGEST_FILES_FIRST's files first, in its order; every other file after them, in the
    order collected; each file's tests in their own order."""
    rank = {name: i for i, name in enumerate(LONGEST_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="module", autouse=True)
def _objects_of_earlier_modules_frozen():
    """Each test file starts with the objects still alive from before it (the imported modules,
    JAX's and Keras's caches, the earlier files' module globals) moved out of the garbage
    collector's sight (gc.freeze, after a collection): every clear_session, Keras's and the
    library's, runs a full collection, which otherwise walks all of them (0.14 s of CPU after
    the imports alone, 0.3 s a dozen test files in; 78 calls were a fifth of the CPU of
    test_keras_io_examples_3 and _guides_4). The file's own objects are collected as before."""
    import gc
    gc.collect()
    gc.freeze()
    yield


_stale_loss_ids = []


def _watch_keras_loss_ids():
    """Real Keras on JAX tracks a traced call's add_loss terms (activity penalties too) by the
    id() of their tensors (Layer._loss_ids), and keeps a layer's ids after its trace: when a
    later trace's layer (a new step shape: a last, shorter batch; evaluate after fit) still
    holds ids of an earlier one while other layers' terms are in the scope, a term whose
    tensor reuses one of those ids is dropped (Layer._clear_losses) or counted twice
    (_get_own_losses), depending on what the process allocated before (CI: 2.2324 where a
    fresh process gives 2.2567). Each such moment is noted for _keras_loss_ids_not_stale."""
    from keras.src import backend
    from keras.src.layers.layer import Layer
    if getattr(Layer, "_swiftkeras_tests_watched", False):
        return
    add_loss, clear_losses, get_own_losses = Layer.add_loss, Layer._clear_losses, Layer._get_own_losses

    def scope_terms():
        """The collecting scope and who added each of its terms (id -> layer), or None."""
        scope = backend.get_stateless_scope() if backend.in_stateless_scope() else None
        if scope is None or not scope.collect_losses:
            return None, {}
        if not hasattr(scope, "_swiftkeras_tests_owners"):
            scope._swiftkeras_tests_owners = {}
        return scope, scope._swiftkeras_tests_owners

    def note_stale(layer):
        scope, owners = scope_terms()
        stale = layer._loss_ids - {i for i, owner in owners.items() if owner is layer}
        if scope is not None and stale and any(owners.get(id(x)) is not layer for x in scope.losses):
            _stale_loss_ids.append(f"{type(layer).__name__} {layer.name!r}")

    def watched_add_loss(self, loss):
        add_loss(self, loss)
        scope, owners = scope_terms()
        if scope is not None:
            from keras.src import tree
            owners.update((id(x), self) for x in tree.flatten(loss))

    def watched_clear_losses(self):
        note_stale(self)
        return clear_losses(self)

    def watched_get_own_losses(self):
        note_stale(self)
        return get_own_losses(self)

    Layer.add_loss, Layer._clear_losses, Layer._get_own_losses = \
        watched_add_loss, watched_clear_losses, watched_get_own_losses
    Layer._swiftkeras_tests_watched = True


@pytest.fixture(autouse=True)
def _keras_loss_ids_not_stale():
    """A test that runs real Keras with add_loss terms where its stale ids could drop or double
    one (_watch_keras_loss_ids) fails, whatever the process allocated: such a comparison is
    flaky in a long test process, and belongs in a fixture of
    scripts/make_keras_reference_fixtures.py (a process of its own; add_loss_evaluate)."""
    if "keras.src.layers.layer" in sys.modules:
        _watch_keras_loss_ids()
    del _stale_loss_ids[:]
    yield
    stale, _stale_loss_ids[:] = sorted(set(_stale_loss_ids)), []
    assert not stale, ("real Keras traced add_loss terms with ids left from an earlier trace in "
                       f"{', '.join(stale)}: its numbers here can lose or double a term; take them "
                       "from a fixture (scripts/make_keras_reference_fixtures.py)")


def needs(*symbols):
    """Skips a test whose entry points this build of libkeras.so does not export yet."""
    absent = [s for s in symbols if not _lib.has(s)]
    reason = (_lib.load_error or f"libkeras.so lacks {', '.join(absent)} (C ABI not landed)")
    return pytest.mark.skipif(bool(absent), reason=reason)


CORE = ("keras_model_from_json", "keras_model_compile", "keras_model_fit", "keras_model_predict",
        "keras_model_weight_info", "keras_model_get_weight", "keras_callback_new",
        "keras_last_error")


def real_keras():
    """Real Keras 3 (jax backend), for tests that compare with it; skips where it is absent."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def keras_reference(*parts):
    """Real Keras's numbers for a test file, as scripts/make_keras_reference_fixtures.py wrote
    them to Tests/KerasTests/Fixtures/<parts> (from the test file's own functions, run in real
    Keras 3 on JAX): each name's list of arrays (a nested entry: a dict of such), bit for bit."""
    import json

    import numpy as np

    def arrays(entry):
        if isinstance(entry, dict):
            return {k: arrays(v) for k, v in entry.items()}
        return [np.array(a["values"], dtype=a["dtype"]).reshape(a["shape"]) for a in entry]
    path = Path(__file__).resolve().parents[3].joinpath("Tests", "KerasTests", "Fixtures", *parts)
    return arrays(json.loads(path.read_text()))


def keras_compiled(call):
    """Real Keras's `call` (a layer, or a function of arrays over keras.ops) as one XLA program
    per input shape (jax.jit): eagerly, JAX compiles each of the call's operations on its own
    for each new shape, most of a reference's time for a layer of many ops (MelSpectrogram's
    six cases: 18.9 s of CPU eagerly, 5.6 s compiled). The same Keras code computes the
    reference."""
    import jax
    real_keras()
    return jax.jit(call)


@contextlib.contextmanager
def keras_draws_from_numpy(seed=0):
    """Real Keras's random initializers draw from numpy while the block builds reference
    models: the same distributions (uniform, normal, normal truncated at two deviations), but
    not one XLA compilation of jax's random bits per new weight shape, nearly all of a large
    model's build time in Keras (NASNetMobile 21.5 s of CPU, 1.5 s with these draws). Only for
    models whose weights a test sets or copies into both libraries: Keras's seeded values are
    not these."""
    from keras.src.backend import random
    import numpy as np
    rng = np.random.default_rng(seed)

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return rng.uniform(minval, maxval, shape).astype(dtype or "float32")

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        if not all(isinstance(d, (int, np.integer)) for d in shape):
            # (a layer's draw in its symbolic call, of a size unknown there: jax's own)
            return saved[1](shape, mean=mean, stddev=stddev, dtype=dtype, seed=seed)
        return rng.normal(mean, stddev, shape).astype(dtype or "float32")

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        sample = rng.normal(size=shape)
        outside = np.abs(sample) > 2.0
        while outside.any():
            sample[outside] = rng.normal(size=int(outside.sum()))
            outside = np.abs(sample) > 2.0
        return (sample * stddev + mean).astype(dtype or "float32")

    # Orthogonal (the recurrent layers' recurrent kernels) factors its draw by QR: eagerly in
    # jax one XLA compilation of the factorization per new shape, here numpy's (the same math).
    from keras.src.initializers import random_initializers
    orthogonal_call = random_initializers.Orthogonal.__call__

    def orthogonal(self, shape, dtype=None):
        if len(shape) < 2:
            return orthogonal_call(self, shape, dtype)      # Keras's own refusal
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        q, r = np.linalg.qr(normal((max(rows, cols), min(rows, cols)), dtype=dtype))
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype or "float32")

    saved = random.uniform, random.normal, random.truncated_normal
    random.uniform, random.normal, random.truncated_normal = uniform, normal, truncated_normal
    random_initializers.Orthogonal.__call__ = orthogonal
    try:
        yield
    finally:
        random.uniform, random.normal, random.truncated_normal = saved
        random_initializers.Orthogonal.__call__ = orthogonal_call


def image_layer_generator_states(lib, make, x):
    """For swiftkeras or real Keras (`lib`): the (path without the generator's number, state) of
    each seed generator the image layer `make(lib.layers)` lists in its non-trainable
    variables, after fitting a small model over it on the images `x` (two steps) and
    predicting. Real Keras's, for the test files' DRAWING layers, are in a fixture
    (keras_image_layer_generator_states)."""
    import numpy as np

    layer = make(lib.layers)
    model = lib.Sequential([lib.Input(x.shape[1:]), layer, lib.layers.GlobalAveragePooling2D(),
                            lib.layers.Dense(1)])
    model.compile(lib.optimizers.SGD(0.01), "mse")
    model.fit(x, np.ones((len(x), 1), np.float32), batch_size=len(x) // 2, epochs=1, verbose=0, shuffle=False)
    model.predict(x, verbose=0)
    return [(v.path.split("/", 1)[1], np.asarray(v.numpy() if hasattr(v, "numpy") else v).tolist())
            for v in layer.non_trainable_variables]


def keras_image_layer_generator_states(test_file, name):
    """Real Keras's image_layer_generator_states of `test_file`'s DRAWING[name] on its
    DRAWING_IMAGES, as scripts/make_keras_reference_fixtures.py wrote them (image_generator_states:
    Keras's fits of RandAugment compile its equalization's 256-bin loop, half a minute of CPU)."""
    found = keras_reference("random", "keras_image_generator_states.json")[f"{test_file}/{name}"]
    return [(key.split(":", 1)[1], state.tolist()) for key, (state,) in found.items()]


def fresh_library(lib):
    """`lib` (swiftkeras or real Keras) from a clear session and seed 0, with its layers and
    ops modules: the keras.io examples' and guides' `keras, layers, ops`."""
    lib.backend.clear_session()
    lib.utils.set_random_seed(0)
    return lib, lib.layers, lib.ops


def summary_lines(model):
    """The model's summary text as non-empty lines without trailing blanks."""
    lines = []
    model.summary(print_fn=lambda text, **_: lines.append(text))
    return [line.rstrip() for line in "\n".join(lines).splitlines() if line.strip()]


def assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss):
    """A model whose first layer is a Python layer written with ops: that layer ran as the
    library's op graph, and the losses, weights and predictions equal real Keras's."""
    import numpy as np

    from swiftkeras import _python_layers
    traced = [i.traced for i in _python_layers._instances.values() if i.layer is ours.layers[0]]
    assert traced and all(traced), "the layer must run as the library's op graph"
    np.testing.assert_allclose(ours_loss, ref_loss, rtol=1e-4)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-5)


def assert_ops_layer_trains_like_keras(ours_lib, keras_lib, source, layer_name, x, y, init_seed, learning_rate):
    """`Sequential([Input, <layer_name from source>(), Dense(2)])` built in each library from the
    same source (given `keras`, `ops` and `np`), set to the same normal weights of `init_seed`,
    fitted 3 epochs of SGD on `x`, `y`: the Python layer ran traced and the losses, weights and
    predictions equal real Keras's."""
    import numpy as np

    def trained(lib):
        scope = {"keras": lib, "ops": lib.ops, "np": np}
        exec(source, scope)  # noqa: S102 — the test's own source
        model = lib.Sequential([lib.Input(x.shape[1:]), scope[layer_name](), lib.layers.Dense(2)])
        init = np.random.default_rng(init_seed)
        model.set_weights([init.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()])
        model.compile(optimizer=lib.optimizers.SGD(learning_rate=learning_rate), loss="mse")
        history = model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)
        return model, history.history["loss"]

    ours, ours_loss = trained(ours_lib)
    ref, ref_loss = trained(keras_lib)
    assert_traced_and_trains_like_keras(ours, ref, x, ours_loss, ref_loss)


def same_drawn_weights(ours, ref, seed, scale=0.5):
    """`ours` and `ref` (real Keras's model, built) set to the same normal weights of `seed`."""
    import numpy as np
    rng = np.random.default_rng(seed)
    weights = [rng.normal(scale=scale, size=np.shape(w)).astype("float32") for w in ref.get_weights()]
    ref.set_weights(weights)
    ours.set_weights(weights)
    return ours, ref


def assert_fits_like_keras(ours, ref, x, y, rtol=1e-4, atol=1e-5, epochs=3):
    """SGD(0.05) on mse in fixed batches of 8, in both libraries: the same epoch losses and
    weights."""
    import keras
    import numpy as np

    import swiftkeras as sk
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.05), "mse")
    ha = ours.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)
    hb = ref.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=rtol)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=rtol, atol=atol)


def fit_from_drawn_weights(lib, model, x, y, learning_rate=0.05, epochs=3):
    """`model` (either library) from the same drawn weights, SGD on mse in fixed batches of 8:
    (model, the epochs' losses)."""
    import numpy as np
    rng = np.random.default_rng(9)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    model.compile(optimizer=lib.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    history = model.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0)
    return model, history.history["loss"]


@pytest.fixture()
def seeded():
    """The same initial weights in swiftkeras and Keras at every run (both draw from a seed)."""
    import keras

    import swiftkeras
    keras.utils.set_random_seed(0)
    swiftkeras.utils.set_random_seed(0)


def exec_layers(source, lib):
    """The names a test's layer source defines, run against `lib` (swiftkeras or real Keras):
    one source for both libraries."""
    import numpy as np
    scope = {"keras": lib, "ops": lib.ops, "np": np}
    exec(source, scope)  # noqa: S102 — the test's own source
    return scope


def assert_equals_keras_op(ours, ref, rtol, atol):
    """An eager op's result equals keras.ops's: shape, Keras's dtype, and values."""
    import keras
    import numpy as np
    ref_dtype = keras.backend.standardize_dtype(ref.dtype)
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape
    assert ours.dtype == np.dtype(ref_dtype), (ours.dtype, ref_dtype)
    np.testing.assert_allclose(ours.astype(np.float64), ref.astype(np.float64), rtol=rtol, atol=atol)


def assert_sgd_step_matches_central_differences(model, x, y, weights, samples, h=1e-3):
    """The gradient of one SGD step, (w - w') / lr with lr = 1, equals the central difference
    (L(w + h) - L(w - h)) / 2h on `samples` random entries of each weight numbered in `weights`
    (weights start from a seeded normal draw)."""
    import numpy as np

    import swiftkeras as sk
    rng = np.random.default_rng(2)
    start = [rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.compile(optimizer=sk.optimizers.SGD(learning_rate=1.0), loss="mse")
    model.set_weights(start)
    model.train_on_batch(x, y)
    after = model.get_weights()
    for k in weights:
        for j in rng.choice(start[k].size, size=samples, replace=False):
            losses = []
            for sign in (1, -1):
                trial = [w.copy() for w in start]
                trial[k].reshape(-1)[j] += sign * h
                model.set_weights(trial)
                losses.append(float(model.evaluate(x, y, batch_size=len(x), verbose=0)))
            numeric = (losses[0] - losses[1]) / (2 * h)
            analytic = float(start[k].reshape(-1)[j] - after[k].reshape(-1)[j])
            assert abs(analytic - numeric) <= 2e-3 + 3e-2 * abs(numeric), (k, j, analytic, numeric)


def central_difference_gradient(loss, w, eps=1e-6):
    """The gradient of `loss` at the float64 array `w` by central differences, entry by entry."""
    import numpy as np
    grad = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[i] = eps
        grad[i] = (loss(w + e) - loss(w - e)) / (2 * eps)
    return grad


@contextlib.contextmanager
def local_http_server(root):
    """An HTTP server on 127.0.0.1 serving the folder `root`; yields its base URL."""
    import http.server
    import threading
    from functools import partial
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
