"""keras.applications against real Keras 3: each model family built here and by Keras gives
the same summary, the same layer configs and, with Keras's weights file loaded, the same
predictions; the other depths/widths the same layers and parameter counts. ImageNet weights
load from Keras's cache folder (`~/.keras/models`, a legacy `.h5` file as published) or a
path; preprocess_input / decode_predictions give Keras's numbers; a frozen application used
as a layer fine-tunes like Keras's (the keras.io transfer-learning guide's pattern)."""

import numpy as np
import pytest

from conftest import CORE, keras_draws_from_numpy, keras_reference, needs, real_keras, summary_lines
from test_keras_io_examples_2 import _weight_samples

pytestmark = needs(*CORE)

# One model of each family, at a small input so the file runs in seconds.
FAMILIES = {
    "VGG16": dict(input_shape=(32, 32, 3), classes=10),
    "ResNet50": dict(input_shape=(32, 32, 3), classes=10),
    "ResNet50V2": dict(input_shape=(32, 32, 3), include_top=False, pooling="avg"),
    "MobileNet": dict(input_shape=(32, 32, 3), classes=10, alpha=0.5),
    "MobileNetV2": dict(input_shape=(33, 33, 3), classes=10, alpha=0.35),
    "Xception": dict(input_shape=(71, 71, 3), include_top=False, pooling="max"),
    "InceptionV3": dict(input_shape=(75, 75, 3), classes=10),
    "DenseNet121": dict(input_shape=(32, 32, 3), include_top=False),
    "EfficientNetB0": dict(input_shape=(32, 32, 3), classes=10),
    # x + 3.0 and * (1 / 6) of its hard sigmoid are Keras's operation nodes (Add, Multiply).
    "MobileNetV3Small": dict(input_shape=(32, 32, 3), classes=10, alpha=0.75),
    "EfficientNetV2B0": dict(input_shape=(32, 32, 3), classes=10),
    # Sequential stem and downsampling blocks, grouped 7x7 convolutions, LayerScale.
    "ConvNeXtTiny": dict(input_shape=(32, 32, 3), classes=10),
    # The scaled residuals are Keras's CustomScaleLayer. Headless, as its ImageNet call (one
    # build of 54M weights serves the three tests; its head, utils.classifier_head, is the one
    # InceptionV3's and ResNet50's calls check).
    "InceptionResNetV2": dict(input_shape=(75, 75, 3), include_top=False),
    "NASNetMobile": dict(input_shape=(32, 32, 3), classes=10),
}
# The other members of each family: the same layers (names, order) and parameter counts.
VARIANTS = ["VGG19", "ResNet101", "ResNet101V2", "MobileNetV3Large", "ConvNeXtSmall"]
# The other members (EfficientNetV2B0's scaled forms, the largest ones, MobileNetV3's
# minimalistic form), built here only, so that the file stays quick: Keras 3.15.1's parameter
# counts without the classifier (`count_params()` of the same call; 32x32 inputs, NASNetLarge
# 331x331).
LARGE_VARIANTS = {
    ("EfficientNetV2B1", ()): 6931124,
    ("EfficientNetV2B2", ()): 8769374,
    ("EfficientNetV2B3", ()): 12930622,
    ("EfficientNetV2S", ()): 20331360,
    ("EfficientNetV2M", ()): 53150388,
    ("EfficientNetV2L", ()): 117746848,
    ("ConvNeXtBase", ()): 87566464,   # Large and XLarge: test_convnext_sizes_are_keras's
    ("NASNetLarge", ()): 84916818,
    ("MobileNetV3Small", (("minimalistic", True),)): 441000,
    ("MobileNetV3Large", (("minimalistic", True), ("alpha", 1.25))): 2266328,
}


# Models saved here and loaded by Keras: Keras's operation nodes (MobileNetV3), its
# application-module layers (LayerScale, CustomScaleLayer) and nested Sequentials (ConvNeXt).
# The calls FAMILIES has too share its test's build.
SAVED = {
    "MobileNetV2": FAMILIES["MobileNetV2"],
    "MobileNetV3Small": FAMILIES["MobileNetV3Small"],
    "EfficientNetV2B0": dict(input_shape=(32, 32, 3), include_top=False, pooling="avg"),
    "ConvNeXtTiny": FAMILIES["ConvNeXtTiny"],
    # The largest family: its saved file is of the family test's build, which
    # test_imagenet_weights_load_from_keras_cache takes too (the pooling heads are Xception's,
    # ResNet50V2's and EfficientNetV2B0's).
    "InceptionResNetV2": FAMILIES["InceptionResNetV2"],
    "NASNetMobile": FAMILIES["NASNetMobile"],
}
# The family builds a later test takes (test_weights_from_a_legacy_h5_path: ResNet50's).
SHARED = {name for name, kwargs in SAVED.items() if FAMILIES.get(name) == kwargs} | {"ResNet50"}


@pytest.fixture
def wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")


def both(name, **kwargs):
    """The application `name` from swiftkeras and from real Keras, each from a clear session
    (the models' unnamed layers are numbered alike). Keras's initial weights are numpy draws:
    the tests compare structure, or copy Keras's weights into ours."""
    import swiftkeras
    keras = real_keras()
    swiftkeras.backend.clear_session()
    keras.backend.clear_session()
    kwargs.setdefault("weights", None)
    ours = getattr(swiftkeras.applications, name)(**kwargs)
    with keras_draws_from_numpy():
        return ours, getattr(keras.applications, name)(**kwargs)


def _call(kwargs):
    """An application call's arguments but `weights` (both() adds weights=None)."""
    return {k: v for k, v in kwargs.items() if k != "weights"}


def plain(value):
    """A config with tuples as lists (the two libraries' in-memory sequence types differ)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return float(np.float32(value))     # the library keeps float32 numbers in configs
    return value


def draw_statistics(ref, seed=0):
    """Keras's model with drawn batch-norm statistics (inference depends on them)."""
    keras = real_keras()
    rng = np.random.default_rng(seed)
    for layer in ref.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 0.1, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, layer.moving_variance.shape))
    return ref


def keras_weights_file(ref, path, seed=0):
    """Keras's model with drawn batch-norm statistics, written as Keras writes `.weights.h5`."""
    draw_statistics(ref, seed).save_weights(str(path))
    return path


def images(model, count=2, seed=1):
    shape = (count,) + tuple(64 if d is None else d for d in model.input_shape[1:])
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def with_marks(names):
    """The application names as test parameters; ConvNeXt's nested Sequential blocks need
    nested models that share the outer model's weights (keras_model_nested_model) to load
    weights into them."""
    return [pytest.param(n, marks=needs("keras_model_nested_model")) if n.startswith("ConvNeXt")
            else n for n in sorted(names)]


@pytest.fixture(scope="module")
def with_keras_weights(tmp_path_factory):
    """`(name, kwargs, keep)` -> the application from swiftkeras with the weights file of
    Keras's (`keras_weights_file`), and Keras's model. Two tests that check the same call share
    one build: the first asks to `keep` it, the second takes it (then it is let go)."""
    kept = {}

    def build(name, kwargs, keep):
        key = (name, repr(sorted(kwargs.items())))
        if key in kept:
            return kept[key] if keep else kept.pop(key)
        ours, ref = both(name, **kwargs)
        folder = tmp_path_factory.mktemp(name)
        ours.load_weights(keras_weights_file(ref, folder / "ref.weights.h5"))
        if keep:
            kept[key] = ours, ref
        return ours, ref
    return build


@pytest.mark.parametrize("name", with_marks(FAMILIES))
def test_application_is_keras_model(name, with_keras_weights, wide_terminal):
    ours, ref = with_keras_weights(name, FAMILIES[name], keep=name in SHARED)
    assert ours.name == ref.name
    assert summary_lines(ours) == summary_lines(ref)
    # A nested model (ConvNeXt's Sequential blocks) is compared by its layers' names and
    # classes: built inside the outer model, its layers do not report their built configs yet
    # (a LayerNormalization's axis -1, not [-1]). Asked of the class: a missing attribute of one
    # of our layers builds its weights' Keras paths, each a walk of the whole model.
    def configs(model):
        return [[(inner.name, type(inner).__name__) for inner in layer.layers]
                if hasattr(type(layer), "layers") else plain(layer.get_config())
                for layer in model.layers]
    assert configs(ours) == configs(ref)
    x = images(ref) / 255.0
    expected = keras_reference("models", "keras_application_predictions.json")["families"][name][0]
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-4,
                               atol=1e-5 * max(1.0, float(np.abs(expected).max())))


def _keras_predictions(keras):
    """Real Keras's predictions of each of FAMILIES on its `images` ("families"), and of each
    of IMAGENET's calls on its scaled images ("imagenet"), from the weights in the files the
    library loads there (drawn from numpy as `both` draws them, then `draw_statistics`): a
    fixture written by scripts/make_keras_reference_fixtures.py (`application_predictions`),
    since Keras's predict compiles each model (InceptionResNetV2, NASNetMobile, DenseNet121:
    2.4-3.7 s of CPU each). Keras still builds each model in the tests and writes the weights
    file the library loads; a different draw shows as other predictions."""
    def predictions(calls, inputs):
        found = {}
        for name, kwargs in calls.items():
            keras.backend.clear_session()
            with keras_draws_from_numpy():
                ref = getattr(keras.applications, name)(weights=None, **kwargs)
            draw_statistics(ref)
            found[name] = [np.asarray(ref.predict(inputs(name, ref), verbose=0))]
        return found
    return {"families": predictions(FAMILIES, lambda name, ref: images(ref) / 255.0),
            "imagenet": predictions({name: IMAGENET[name][0] for name in IMAGENET_FROM_FIXTURE},
                                    lambda name, ref: IMAGENET[name][3](images(ref, seed=2)))}


@pytest.fixture
def initial_weights_not_drawn(monkeypatch):
    """The library builds the models made in the test with zeros for every drawn initializer
    (the configs it is given say Zeros): the same layers and weight shapes, without drawing
    tens of millions of truncated normals (EfficientNetV2L: 10 s of CPU). For tests that
    check only the structure."""
    from swiftkeras import models

    def zeros(value):
        if isinstance(value, dict):
            return {k: ({"class_name": "Zeros", "config": {}} if k.endswith("_initializer") and isinstance(v, dict)
                        else zeros(v)) for k, v in value.items()}
        return [zeros(v) for v in value] if isinstance(value, list) else value
    config_for = models.Model._model_config_for
    monkeypatch.setattr(models.Model, "_model_config_for", lambda self, x: zeros(config_for(self, x)))


@pytest.mark.parametrize("name", VARIANTS)
def test_application_variant_has_keras_layers(name, initial_weights_not_drawn):
    ours, ref = both(name, input_shape=(32, 32, 3), include_top=False)
    assert [(l.name, type(l).__name__) for l in ours.layers] == \
        [(l.name, type(l).__name__) for l in ref.layers]
    assert ours.count_params() == ref.count_params()


@pytest.mark.parametrize("name,options", sorted(LARGE_VARIANTS))
def test_large_application_has_keras_parameter_count(name, options, initial_weights_not_drawn):
    import swiftkeras
    swiftkeras.backend.clear_session()
    shape = (331, 331, 3) if name == "NASNetLarge" else (32, 32, 3)
    model = getattr(swiftkeras.applications, name)(weights=None, include_top=False,
                                                   input_shape=shape, **dict(options))
    assert model.count_params() == LARGE_VARIANTS[(name, options)]


def test_convnext_sizes_are_keras_s():
    """ConvNeXtLarge and XLarge (196M and 348M weights) are ConvNeXtBase's builder with wider
    stages: their blocks per stage and channels are Keras's, and Base, with the same depths,
    has Keras's parameter count above. Building them only to count would spend 40 s of CI
    on the first touch of 2.2 GB (Keras's counts: 196230336 and 348147968)."""
    real_keras()   # Keras on its JAX backend
    from keras.src.applications.convnext import MODEL_CONFIGS
    from swiftkeras.applications import convnext
    assert convnext._SIZES == {name: (tuple(c["depths"]), tuple(c["projection_dims"]))
                               for name, c in MODEL_CONFIGS.items()}
    assert convnext._SIZES["large"][0] == convnext._SIZES["xlarge"][0] == convnext._SIZES["base"][0]


@pytest.mark.parametrize("name", with_marks(SAVED))
def test_application_saved_here_loads_in_keras(name, tmp_path, with_keras_weights):
    keras = real_keras()
    taken_later = name in IMAGENET and IMAGENET[name][0] == _call(SAVED[name])
    ours, ref = with_keras_weights(name, SAVED[name], keep=taken_later)
    ours.save(tmp_path / "model.keras")
    with keras_draws_from_numpy():          # the file's weights replace the drawn ones
        loaded = keras.models.load_model(tmp_path / "model.keras")
    x = images(ref) / 255.0
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ours.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-6)


def legacy_h5(ref, path):
    """`ref`'s weights in the legacy `.h5` layout of the published ImageNet files."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, ref)
    return path


# weights="imagenet": the application's arguments, the file Keras names, where the module
# keeps the published hash (its table, the key there or None, the position in the tuple; None:
# no hash), which the prepared file's own replaces (md5, or sha256 where Keras's is), and the
# input scaling the model expects.
TF_SCALING = lambda x: x / 127.5 - 1.0   # noqa: E731
IMAGENET = {
    "MobileNetV2": (dict(include_top=False, input_shape=(96, 96, 3)),
                    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5",
                    None, TF_SCALING),
    "MobileNetV3Small": (dict(include_top=False, input_shape=(224, 224, 3)),
                         "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
                         ("mobilenet_v3", "_HASHES", "small_224_1.0_float", 1), lambda x: x),
    # The saved-file test's call: its Keras build is taken.
    "EfficientNetV2B0": (dict(input_shape=(32, 32, 3), include_top=False, pooling="avg"),
                         "efficientnetv2-b0_notop.h5", ("efficientnet_v2", "_HASHES", "b0", 1),
                         lambda x: x),
    "ConvNeXtTiny": (dict(include_top=False, input_shape=(64, 64, 3)), "convnext_tiny_notop.h5",
                     ("convnext", "_HASHES", "convnext_tiny", 1), lambda x: x),
    # The family and saved-file tests' call: their Keras build is taken.
    "InceptionResNetV2": (FAMILIES["InceptionResNetV2"],
                          "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
                          ("inception_resnet_v2", "_HASHES", None, 1), TF_SCALING),
    "NASNetMobile": (dict(include_top=False, input_shape=(64, 64, 3)), "nasnet_mobile_no_top.h5",
                     ("nasnet", "_FILES", (224, False), 2), TF_SCALING),
}
# The calls whose Keras predictions come from the fixture (_keras_predictions): the others'
# feature maps (96x96 and 224x224 inputs) would be 90% of its megabyte, and Keras compiles
# their predict in under a second.
IMAGENET_FROM_FIXTURE = ("EfficientNetV2B0", "ConvNeXtTiny", "InceptionResNetV2", "NASNetMobile")


@pytest.mark.parametrize("name", with_marks(IMAGENET))
def test_imagenet_weights_load_from_keras_cache(name, tmp_path, monkeypatch, with_keras_weights,
                                                initial_weights_not_drawn):
    """weights="imagenet" fetches the file Keras names into `$KERAS_HOME/models` (here
    already cached, as after a first download; its hash checked) and loads it by layer
    order (into our model built without drawing the weights the file replaces)."""
    import swiftkeras
    from swiftkeras._download import hash_file
    keras = real_keras()
    kwargs, file_name, published, scaled = IMAGENET[name]
    if name in SAVED and _call(SAVED[name]) == kwargs:
        # The saved-file test's Keras build.
        _, ref = with_keras_weights(name, SAVED[name], keep=False)
    else:
        keras.backend.clear_session()
        with keras_draws_from_numpy():
            ref = getattr(keras.applications, name)(weights=None, **kwargs)
    (tmp_path / "models").mkdir()
    path = legacy_h5(draw_statistics(ref), tmp_path / "models" / file_name)
    if published is not None:
        module, table, key, index = published
        module = getattr(swiftkeras.applications, module)
        entry = getattr(module, table) if key is None else getattr(module, table)[key]
        own = hash_file(path, "sha256" if len(entry[index]) == 64 else "md5")
        entry = entry[:index] + (own,) + entry[index + 1:]
        if key is None:
            monkeypatch.setattr(module, table, entry)
        else:
            monkeypatch.setitem(getattr(module, table), key, entry)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    swiftkeras.backend.clear_session()
    ours = getattr(swiftkeras.applications, name)(weights="imagenet", **kwargs)
    x = scaled(images(ref, seed=2))
    expected = (keras_reference("models", "keras_application_predictions.json")["imagenet"][name][0]
                if name in IMAGENET_FROM_FIXTURE else np.asarray(ref.predict(x, verbose=0)))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-4,
                               atol=1e-5 * max(1.0, float(np.abs(expected).max())))


def test_weights_from_a_legacy_h5_path(tmp_path, with_keras_weights, initial_weights_not_drawn):
    """Keras's ResNet50 (the family test's build: Keras has compiled its predict step for these
    images) with other batch-norm statistics, in the legacy `.h5` layout: weights=PATH loads it
    (into our model built without drawing the weights it replaces)."""
    _, ref = with_keras_weights("ResNet50", FAMILIES["ResNet50"], keep=False)
    path = legacy_h5(draw_statistics(ref, seed=5), tmp_path / "resnet50.h5")
    import swiftkeras
    swiftkeras.backend.clear_session()
    ours = swiftkeras.applications.ResNet50(weights=str(path), **FAMILIES["ResNet50"])
    x = images(ref, seed=3)
    np.testing.assert_allclose(ours.predict(x, verbose=0), ref.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("module,data_format", [
    ("vgg16", "channels_last"), ("resnet", "channels_first"), ("resnet_v2", "channels_last"),
    ("densenet", "channels_last"), ("densenet", "channels_first"),
    ("imagenet_utils", "channels_last"), ("efficientnet", "channels_last")])
def test_preprocess_input_is_keras(module, data_format):
    import swiftkeras
    keras = real_keras()
    shape = (2, 4, 5, 3) if data_format == "channels_last" else (2, 3, 4, 5)
    x = np.random.default_rng(0).integers(0, 256, shape).astype("float32")
    ours = getattr(swiftkeras.applications, module).preprocess_input(x.copy(),
                                                                     data_format=data_format)
    ref = getattr(keras.applications, module).preprocess_input(x.copy(),
                                                               data_format=data_format)
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-4)
    # Integers become float32 first, as in Keras; one image (no batch axis) works too.
    one = getattr(swiftkeras.applications, module).preprocess_input(
        x[0].astype("uint8"), data_format=data_format)
    np.testing.assert_allclose(one, ref[0], rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("module", ["vgg16", "mobilenet_v2", "densenet"])
def test_preprocess_input_inside_a_model(module):
    """`x = preprocess_input(inputs)` on a keras.Input, as the transfer-learning examples
    write it, becomes part of the model and gives Keras's numbers."""
    import swiftkeras
    keras = real_keras()
    x = np.random.default_rng(1).uniform(0, 255, (2, 4, 4, 3)).astype("float32")
    outputs = []
    for lib in (swiftkeras, keras):
        lib.backend.clear_session()
        inputs = lib.Input((4, 4, 3))
        model = lib.Model(inputs, getattr(lib.applications, module).preprocess_input(inputs))
        outputs.append(np.asarray(model.predict(x, verbose=0)))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-4)


def test_decode_predictions_is_keras(monkeypatch):
    import swiftkeras
    keras = real_keras()
    from keras.src.applications import imagenet_utils as keras_utils
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    monkeypatch.setattr(swiftkeras.applications.imagenet_utils, "_CLASS_INDEX", index)
    monkeypatch.setattr(keras_utils, "CLASS_INDEX", index)
    preds = np.random.default_rng(0).dirichlet(np.ones(1000), size=3).astype("float32")
    ours = swiftkeras.applications.resnet50.decode_predictions(preds, top=4)
    ref = keras.applications.resnet50.decode_predictions(preds, top=4)
    assert [[(a, b, float(c)) for a, b, c in row] for row in ours] == \
        [[(a, b, float(c)) for a, b, c in row] for row in ref]
    with pytest.raises(ValueError, match=r"expects a batch of predictions"):
        swiftkeras.applications.imagenet_utils.decode_predictions(preds[:, :10])


@pytest.mark.parametrize("call,message", [
    (lambda a: a.VGG16(weights="no/such/file.h5"), r"The `weights` argument should be"),
    (lambda a: a.ResNet50(weights="imagenet", classes=10), r"`classes` should be 1000"),
    (lambda a: a.ResNet50(weights=None, input_shape=(16, 16, 3)),
     r"Input size must be at least 32x32"),
    (lambda a: a.Xception(weights=None, input_shape=(None, None, 3)),
     r"you should specify a static `input_shape`"),
    (lambda a: a.VGG16(weights="imagenet", input_shape=(64, 64, 3)),
     r"`input_shape` should be \(224, 224, 3\)"),
    (lambda a: a.MobileNetV2(weights="imagenet", alpha=0.6, include_top=False),
     r"alpha must be one of"),
    (lambda a: a.MobileNet(weights="imagenet", depth_multiplier=2, include_top=False),
     r"depth multiplier must be 1"),
    (lambda a: a.DenseNet121(weights="imagenet", classifier_activation="relu"),
     r"Only `None` and `softmax` activations are allowed"),
])
def test_application_arguments_checked_like_keras(call, message):
    """Each mistake is refused before anything is built or downloaded, with Keras's words
    (the same call on real Keras raises the same message)."""
    import swiftkeras
    keras = real_keras()
    for applications in (swiftkeras.applications, keras.applications):
        with pytest.raises(ValueError, match=message), keras_draws_from_numpy():
            call(applications)              # Keras builds DenseNet121 before its refusal


def _fine_tune_run(lib):
    """The transfer-learning guide's pattern in `lib` (swiftkeras or real Keras): a frozen
    MobileNetV2 called with training=False inside a new model, a new head trained on top (SGD
    0.1, two epochs), then the base unfrozen and the model recompiled and fitted one epoch
    (SGD 1e-3), from the same drawn weights: the base's node's kwargs as the model's JSON
    writes them, each fit's losses and trainable-weight count, how far the frozen base's
    weights moved in the first fit, the head's weights after it and every weight after the
    second (`_weight_samples`). Real Keras's is a
    fixture written by scripts/make_keras_reference_fixtures.py (`fine_tune`): its two fits'
    compilations were most of the test's 8.8 s of CPU."""
    import json
    x = np.random.default_rng(0).uniform(-1, 1, (16, 32, 32, 3)).astype("float32")
    y = np.random.default_rng(1).integers(0, 2, (16, 1)).astype("float32")
    lib.backend.clear_session()
    with keras_draws_from_numpy():      # every weight is set below
        base = lib.applications.MobileNetV2(weights=None, include_top=False,
                                            input_shape=(32, 32, 3), alpha=0.35)
    base.trainable = False
    inputs = lib.Input((32, 32, 3))
    h = base(inputs, training=False)
    h = lib.layers.GlobalAveragePooling2D()(h)
    outputs = lib.layers.Dense(1, activation="sigmoid")(h)
    model = lib.Model(inputs, outputs)
    found = {"node_kwargs": [np.array([json.dumps([[node["kwargs"] for node in entry["inbound_nodes"]]
                                                   for entry in json.loads(model.to_json())["config"]["layers"]])])]}
    rng = np.random.default_rng(2)
    weights = [(rng.uniform(0.5, 1.5, w.shape) if "variance" in w.path
                else rng.normal(0, 0.3, w.shape)).astype("float32") for w in model.weights]
    model.set_weights(weights)
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="binary_crossentropy")
    found["frozen_loss"] = [np.asarray(model.fit(x, y, batch_size=8, epochs=2, shuffle=False,
                                                 verbose=0).history["loss"], "float64")]
    base_weights = base.get_weights()
    found["frozen_base_moved"] = [np.array(max(float(np.abs(a - b).max())
                                               for a, b in zip(base_weights, weights)), "float32")]
    found["frozen_head_weights"] = _weight_samples(model.get_weights()[len(base_weights):])
    trainable = [len(model.trainable_weights)]
    # Fine-tuning: the base unfrozen, the model recompiled. Keras 3's fit passes training=True
    # to every layer, the base's too (its node's training=False notwithstanding), so its
    # batch norms' statistics move as in Keras.
    base.trainable = True
    model.compile(optimizer=lib.optimizers.SGD(1e-3), loss="binary_crossentropy")
    found["tuned_loss"] = [np.asarray(model.fit(x, y, batch_size=8, epochs=1, shuffle=False,
                                                verbose=0).history["loss"], "float64")]
    tuned = model.get_weights()
    # (with each weight's scale, max(1, max |w|): the tolerance below is relative to it)
    found["tuned_weights"] = _weight_samples(tuned)
    found["tuned_scales"] = [np.array([max(1.0, float(np.abs(w).max())) for w in tuned], "float32")]
    found["trainable"] = [np.array(trainable + [len(model.trainable_weights)])]
    return found


def test_frozen_application_fine_tunes_like_keras():
    """The transfer-learning guide's pattern (`_fine_tune_run`): `training=False` is written
    into the base's node as Keras writes it; the head's fit gives Keras's losses and weights
    while the base's weights and batch-norm statistics do not move; after unfreezing, the
    fine-tuning fit gives Keras's losses and weights (Keras's run: its fixture)."""
    import swiftkeras
    ours, want = _fine_tune_run(swiftkeras), keras_reference("models", "keras_fine_tune.json")
    assert sorted(ours) == sorted(want)
    assert ours["node_kwargs"][0][0] == want["node_kwargs"][0][0]
    assert np.isfinite(want["frozen_loss"][0]).all()
    np.testing.assert_allclose(ours["frozen_loss"][0], want["frozen_loss"][0], rtol=1e-4)
    for a, b in zip(ours["frozen_head_weights"], want["frozen_head_weights"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert ours["frozen_base_moved"][0] == want["frozen_base_moved"][0] == 0
    assert ours["trainable"][0][0] == 2
    np.testing.assert_array_equal(ours["trainable"][0], want["trainable"][0])
    # Batch statistics over 8 images down to 1x1 feature maps, through 52 BatchNormalizations,
    # amplify float32 rounding, which is the CPU's (the loss within 1e-4 on earlier CI machines, 2.4e-4
    # on an AVX-512 EPYC): the loss agrees to 1e-3 and the weights to 3e-3 of their scale (one
    # batch-norm weight of 16 by 1.5e-3 there).
    np.testing.assert_allclose(ours["tuned_loss"][0], want["tuned_loss"][0], rtol=1e-3)
    for a, b, scale in zip(ours["tuned_weights"], want["tuned_weights"], want["tuned_scales"][0],
                           strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=3e-3 * float(scale))


def test_per_channel_rescaling_as_keras(tmp_path):
    """EfficientNet's ImageNet input scaling, `Rescaling([1 / sqrt(v) for v in variances])`:
    one factor per channel, as Keras computes and saves it; a file loads both ways."""
    import swiftkeras
    keras = real_keras()
    x = np.random.default_rng(4).normal(size=(2, 3, 3, 3)).astype("float32")
    results = []
    for lib in (swiftkeras, keras):
        lib.backend.clear_session()
        inputs = lib.Input((3, 3, 3))
        model = lib.Model(inputs, lib.layers.Rescaling([0.5, 1.0, 2.0], offset=-1.0)(inputs))
        model.save(tmp_path / f"{lib.__name__}.keras")
        results.append((np.asarray(model.predict(x, verbose=0)), model.layers[1].get_config()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    assert results[0][1] == results[1][1]
    for lib, other in ((swiftkeras, "keras"), (keras, "swiftkeras")):
        loaded = lib.models.load_model(tmp_path / f"{other}.keras")
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), results[1][0], rtol=1e-6)



def test_operators_with_numbers_are_keras_operation_nodes(tmp_path, wide_terminal):
    """`x + 3.0`, `3.0 - x`, `1 - x`, `x * 0.5`, `ops.multiply(x, 2)`, `x / 6`, `x / 4.0` on
    layer outputs (MobileNetV3's hard sigmoid): Keras's operation nodes (Add, Subtract,
    Multiply, TrueDivide; not in model.layers, in the summary in their place), the same model
    config node by node, and a file of either library loads in the other with its
    predictions, its layers and its summary."""
    import json

    import swiftkeras
    keras = real_keras()
    x = np.random.default_rng(5).normal(size=(4, 3)).astype("float32")
    models = []
    for lib in (swiftkeras, keras):
        lib.backend.clear_session()
        inputs = lib.Input((3,))
        h = lib.layers.Dense(4)(inputs)
        h = lib.layers.ReLU(6.0)(h + 3.0) * (1.0 / 6.0)
        h = 3.0 - lib.ops.multiply(h, 2) / 6
        h = 1 - lib.layers.Dense(2)(h)
        outputs = lib.layers.Activation("tanh")(h) / 4.0
        models.append(lib.Model(inputs, outputs))
    ours, ref = models
    ref.set_weights(ours.get_weights())
    assert [layer.name for layer in ours.layers] == [layer.name for layer in ref.layers] == \
        ["input_layer", "dense", "re_lu", "dense_1", "activation"]
    entries = [json.loads(m.to_json())["config"]["layers"] for m in models]
    assert [e["class_name"] for e in entries[1]].count("TrueDivide") == 2
    assert [e["name"] for e in entries[0]] == [e["name"] for e in entries[1]]
    for mine, theirs in zip(*entries):
        assert mine == theirs
    assert summary_lines(ours) == summary_lines(ref)
    expected = np.asarray(ref.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    for lib, name in ((keras, "ours"), (swiftkeras, "ref")):
        loaded = lib.models.load_model(tmp_path / f"{name}.keras")
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
        assert [layer.name for layer in loaded.layers] == [layer.name for layer in ref.layers]
        assert summary_lines(loaded) == summary_lines(ref)
