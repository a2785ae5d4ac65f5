"""Keras 3's geometric and mixing augmentation layers (RandomShear, RandomGaussianBlur,
RandomErasing, MixUp, CutMix, Pipeline) against real Keras 3: configs both ways, the transform
where a fixed factor makes Keras's deterministic (or given Keras's own transformation), the
random draws by their invariants and statistics, inference as identity, and .keras/.h5 files
passing both ways."""

import numpy as np
import pytest

import swiftkeras as sk
from conftest import CORE, needs, real_keras

keras = real_keras()
pytestmark = needs(*CORE)

RNG = np.random.RandomState(0)
IMAGES = (RNG.rand(6, 7, 9, 3) * 255).astype("float32")

# (class, keyword arguments) of each new layer, for configs and files.
CASES = [
    ("RandomShear", {}), ("RandomShear", dict(x_factor=0.3, y_factor=(0.1, 0.2), fill_mode="constant", fill_value=3.0,
                                               interpolation="nearest", seed=4)),
    ("RandomGaussianBlur", {}), ("RandomGaussianBlur", dict(factor=(0.5, 1.0), kernel_size=(3, 5), sigma=(0.2, 0.9),
                                                             value_range=(0, 1), seed=2)),
    ("RandomErasing", {}), ("RandomErasing", dict(factor=0.5, scale=(0.1, 0.4), fill_value=7.0, value_range=(0, 100),
                                                   seed=1)),
    ("RandomErasing", dict(fill_value=[1.0, 2.0, 3.0])),
    ("MixUp", {}), ("MixUp", dict(alpha=0.7, seed=3)),
    ("CutMix", {}), ("CutMix", dict(factor=(0.2, 0.8), seed=5)),
    ("RandomPerspective", {}), ("RandomPerspective", dict(factor=0.5, scale=0.3, interpolation="nearest", fill_value=2.0,
                                                           seed=3)),
    ("MaxNumBoundingBoxes", dict(max_number=3)), ("MaxNumBoundingBoxes", dict(max_number=5, fill_value=0)),
    ("RandomElasticTransform", {}), ("RandomElasticTransform", dict(factor=(0.5, 1.0), scale=0.5, interpolation="nearest",
                                                                     fill_mode="mirror", fill_value=1.0,
                                                                     value_range=(0, 1), seed=2)),
]


def _config(layer):
    c = dict(layer.get_config())
    c.pop("name")
    return c


def _same(a, b):
    """Configs equal up to Keras's tuples written as lists (and -0.0 as 0.0)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@pytest.mark.parametrize("name,kwargs", CASES)
def test_configs_equal_keras_and_load_both_ways(name, kwargs):
    ours, ref = getattr(sk.layers, name)(**kwargs), getattr(keras.layers, name)(**kwargs)
    assert _same(_config(ours), _config(ref)), (_config(ours), _config(ref))
    if name == "RandomShear" and isinstance(kwargs.get("x_factor"), float) and kwargs["x_factor"]:
        # Keras writes x_factor=0.3 as (-0.3, 0.3), which its own from_config refuses (each
        # number of a pair must be in [0, 1]); the library refuses it as Keras does.
        for lib in (keras, sk):
            with pytest.raises((ValueError, TypeError)):
                getattr(lib.layers, name).from_config(ref.get_config())(IMAGES)
        return
    assert _same(_config(getattr(keras.layers, name).from_config(ours.get_config())), _config(ref))
    assert _same(_config(getattr(sk.layers, name).from_config(ref.get_config())), _config(ref))


@pytest.mark.parametrize("name,kwargs", [
    ("RandomShear", dict(x_factor=1.5)), ("RandomShear", dict(y_factor=(-0.1, 0.2))),
    ("RandomShear", dict(x_factor=(0.1, 0.2, 0.3))),
    ("RandomGaussianBlur", dict(kernel_size=4)), ("RandomGaussianBlur", dict(kernel_size=(3, 2))),
    ("RandomGaussianBlur", dict(sigma=2.0)), ("RandomGaussianBlur", dict(factor=1.5)),
    ("RandomErasing", dict(factor=-0.5)), ("RandomErasing", dict(scale=(1.2, 1.5))),
    ("CutMix", dict(factor=2.0)), ("RandomPerspective", dict(scale=2.0)), ("RandomPerspective", dict(factor=-2.0)),
    ("RandomElasticTransform", dict(scale=1.5)), ("RandomElasticTransform", dict(factor=(2.0, 3.0))),
])
def test_bad_arguments_are_refused_as_keras_refuses_them(name, kwargs):
    with pytest.raises(ValueError):
        getattr(keras.layers, name)(**kwargs)
    with pytest.raises(ValueError) as info:   # the binding makes its layers at first use
        getattr(sk.layers, name)(**kwargs)(IMAGES)
    assert name in str(info.value) and any(k in str(info.value) for k in kwargs)
    with pytest.raises(NotImplementedError):   # (Keras's for a fill_mode it does not know)
        keras.layers.RandomShear(fill_mode="mirror")
    with pytest.raises(NotImplementedError, match="fill_mode"):
        sk.layers.RandomShear(fill_mode="mirror")(IMAGES)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_inference_passes_images_through_and_training_changes_them(name, kwargs):
    layer = getattr(sk.layers, name)(**kwargs)
    np.testing.assert_array_equal(np.asarray(layer(IMAGES, training=False)), IMAGES)
    if (name == "RandomShear" and not kwargs) or name == "MaxNumBoundingBoxes":
        np.testing.assert_array_equal(np.asarray(layer(IMAGES)), IMAGES)
        return   # zero shear, and Keras's box counter on images: the identity in training too
    changed = any(not np.allclose(np.asarray(layer(IMAGES)), IMAGES) for _ in range(5))
    assert changed, "a direct call trains (Keras's default for its image layers)"


def test_max_num_bounding_boxes_takes_the_box_format_by_keyword_only_as_keras():
    """Keras's MaxNumBoundingBoxes(max_number, fill_value=-1, **kwargs): the box format is a
    keyword, as in the other image layers."""
    ours = sk.layers.MaxNumBoundingBoxes(4, 0, bounding_box_format="xyxy")
    ref = keras.layers.MaxNumBoundingBoxes(4, 0, bounding_box_format="xyxy")
    assert _config(ours) == _config(ref) and _config(ours)["bounding_box_format"] == "xyxy"


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_shear_with_a_fixed_factor_is_keras_transform_with_either_sign(fill_mode, interpolation):
    kwargs = dict(x_factor=(0.3, 0.3), y_factor=(0.2, 0.2), fill_mode=fill_mode, fill_value=5.0,
                  interpolation=interpolation)
    ref = keras.layers.RandomShear(**kwargs)
    expected = {s: np.asarray(ref._transform_images(IMAGES, {"shear_factor": np.tile([[s * 0.3, s * 0.2]], (6, 1))},
                                                    interpolation)) for s in (1, -1)}
    layer = sk.layers.RandomShear(seed=3, **kwargs)
    signs = set()
    for _ in range(6):
        out = np.asarray(layer(IMAGES, training=True))
        for b in range(6):
            sign = min((1, -1), key=lambda s: np.abs(out[b] - expected[s][b]).max())
            np.testing.assert_allclose(out[b], expected[sign][b], rtol=1e-5, atol=2e-3)
            signs.add(sign)
    assert signs == {1, -1}, "the sign is drawn per image"


def test_shear_channels_first_and_single_images_match_keras():
    kwargs = dict(x_factor=(0.25, 0.25), y_factor=(0.0, 0.0), data_format="channels_first")
    x = IMAGES.transpose(0, 3, 1, 2)
    ref = keras.layers.RandomShear(**kwargs)
    expected = {s: np.asarray(ref._transform_images(x, {"shear_factor": np.tile([[s * 0.25, 0.0]], (6, 1))}, "bilinear"))
                for s in (1, -1)}
    out = np.asarray(sk.layers.RandomShear(seed=1, **kwargs)(x))
    for b in range(6):
        assert min(np.abs(out[b] - expected[s][b]).max() for s in (1, -1)) < 2e-3
    single = np.asarray(sk.layers.RandomShear(seed=1, **kwargs)(x[0]))
    assert single.shape == x[0].shape
    assert min(np.abs(single - expected[s][0]).max() for s in (1, -1)) < 2e-3


@pytest.mark.parametrize("kwargs", [
    dict(factor=(1.0, 1.0), sigma=(0.7, 0.7)),
    dict(factor=(1.0, 1.0), sigma=(0.4, 0.4), kernel_size=(5, 3)),
    dict(factor=(1.0, 1.0), sigma=(1.0, 1.0), kernel_size=7, value_range=(20, 200)),
    dict(factor=(1.0, 1.0), sigma=(0.6, 0.6), data_format="channels_first"),
    dict(factor=0.0, value_range=(10, 240)),   # no blur: the clip only
])
def test_gaussian_blur_with_a_fixed_sigma_equals_keras(kwargs):
    x = IMAGES.transpose(0, 3, 1, 2).copy() if kwargs.get("data_format") == "channels_first" else IMAGES
    expected = np.asarray(keras.layers.RandomGaussianBlur(seed=1, **kwargs)(x, training=True))
    out = np.asarray(sk.layers.RandomGaussianBlur(seed=1, **kwargs)(x, training=True))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)


def test_gaussian_blur_draws_which_images_to_blur_and_one_sigma_per_call():
    flat = np.full((64, 5, 5, 1), 10.0, np.float32)
    flat[:, 2, 2, 0] = 100.0
    layer = sk.layers.RandomGaussianBlur(factor=1.0, sigma=(0.5, 1.0), seed=7)
    out = np.asarray(layer(flat))
    blurred = out[:, 2, 2, 0] < 100
    assert 5 < blurred.sum() < 59, "Keras's probability is drawn in [0, 1], then its threshold"
    centres = set(np.round(out[blurred, 2, 2, 0], 4))
    assert len(centres) == 1, "one pair of deviations per call"
    np.testing.assert_array_equal(out[~blurred], flat[~blurred])
    assert np.allclose(out.sum(axis=(1, 2, 3))[blurred], flat.sum(axis=(1, 2, 3))[blurred], rtol=0.2)


def _rectangle(mask):
    """(rows, columns) of a mask that is one axis-aligned rectangle, else None."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return 0, 0
    box = np.zeros_like(mask)
    box[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = True
    return (len(rows), len(cols)) if (box == mask).all() else None


def test_erasing_with_a_whole_scale_equals_keras():
    kwargs = dict(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=300.0)
    expected = np.asarray(keras.layers.RandomErasing(seed=1, **kwargs)(IMAGES))
    np.testing.assert_array_equal(np.asarray(sk.layers.RandomErasing(seed=1, **kwargs)(IMAGES)), expected)
    assert (expected == 255).all(), "the fill is clipped to value_range"


def test_erasing_boxes_have_keras_sizes_and_fills():
    x = np.full((200, 10, 12, 3), 50.0, np.float32)
    layer = sk.layers.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=[1.0, 2.0, 3.0], seed=2)
    out = np.asarray(layer(x))
    for b in range(200):
        mask = out[b, :, :, 0] != 50
        rows, cols = _rectangle(mask)
        assert rows in (5, 6) and cols in (6, 7), (rows, cols)   # sides of √0.25 × (10, 12), placed anywhere
        np.testing.assert_array_equal(out[b][mask], np.tile([1.0, 2.0, 3.0], (mask.sum(), 1)))
    noisy = np.asarray(sk.layers.RandomErasing(factor=0.5, scale=(0.1, 0.3), value_range=(0, 100), seed=3)(x))
    erased = (noisy != 50).any(axis=(1, 2, 3))
    assert 20 < erased.sum() < 180
    fills = noisy[noisy != 50]
    assert fills.min() >= 0 and fills.max() <= 100 and (fills == 0).mean() > 0.3, "noise × 100, clipped"


def test_mixup_mixes_each_image_with_a_permuted_one_by_a_beta_weight():
    n = 8
    onehot = np.eye(n, dtype=np.float32).reshape(n, 1, 1, n)
    layer = sk.layers.MixUp(alpha=0.5, seed=4)
    weights = []
    for _ in range(60):
        out = np.asarray(layer(onehot)).reshape(n, n)
        np.testing.assert_allclose(out.sum(axis=1), 1, atol=1e-5)
        partners = []
        for b in range(n):
            others = [j for j in range(n) if j != b and out[b, j] > 1e-6]
            assert len(others) <= 1
            partners.append(others[0] if others else b)
            weights.append(out[b, b] if others else None)
        assert sorted(partners) == list(range(n)) or len(set(partners)) == n, "a permutation"
    w = np.array([v for v in weights if v is not None])
    # Beta(0.5, 0.5): mean 1/2, variance 1/8.
    assert abs(w.mean() - 0.5) < 0.06 and abs(w.var() - 0.125) < 0.03, (w.mean(), w.var())
    np.testing.assert_array_equal(np.asarray(layer(onehot, training=False)), onehot)


def test_cutmix_pastes_a_rectangle_of_a_permuted_image():
    n = 6
    x = np.arange(1, n + 1, dtype=np.float32).reshape(n, 1, 1, 1) * np.ones((1, 10, 8, 2), np.float32)
    layer = sk.layers.CutMix(seed=9)
    pasted = 0
    for _ in range(20):
        out = np.asarray(layer(x))
        sources = []
        for b in range(n):
            values = set(np.unique(out[b]).tolist())
            other = values - {b + 1}
            assert len(other) <= 1, values   # its own pixels and one other image's
            mask = out[b, :, :, 0] != b + 1
            assert _rectangle(mask) is not None
            assert (out[b, :, :, 0] == out[b, :, :, 1]).all()
            sources.append(int(other.pop()) - 1 if other else None)
            pasted += sources[-1] is not None
        known = [s for s in sources if s is not None]
        assert len(set(known)) == len(known), "pasted from a permutation of the batch"
    assert pasted > 10
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    np.testing.assert_array_equal(np.asarray(layer(x[0])), x[0])   # a single image: unchanged, as Keras


def test_perspective_keeps_the_origin_and_warps_with_its_probability():
    x = IMAGES
    layer = sk.layers.RandomPerspective(factor=(1.0, 1.0), scale=0.5, fill_value=-1.0, seed=2)
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out[:, 0, 0], x[:, 0, 0], atol=1e-3)   # Keras moves p by p·d: (0, 0) stays
    assert all(not np.allclose(out[b], x[b]) for b in range(6))
    assert ((out >= -1) & (out <= 255)).all()   # bilinear mixes the fill -1 with the pixels
    half = sk.layers.RandomPerspective(factor=(0.5, 0.5), scale=0.5, seed=3)
    x = np.repeat(IMAGES[:1], 200, axis=0)
    warped = [not np.allclose(o, x[0]) for o in np.asarray(half(x))]
    assert 60 < sum(warped) < 140
    np.testing.assert_array_equal(np.asarray(sk.layers.RandomPerspective(factor=0.0, seed=1)(IMAGES)), IMAGES)


@pytest.mark.parametrize("fill_mode", ["reflect", "mirror", "constant", "nearest", "wrap"])
def test_elastic_moves_pixels_along_the_diagonal_by_a_smooth_field(fill_mode):
    flat = np.full((4, 16, 16, 2), 30.0, np.float32)
    layer = sk.layers.RandomElasticTransform(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_mode=fill_mode, fill_value=30.0,
                                             seed=5)
    np.testing.assert_allclose(np.asarray(layer(flat)), 30.0, atol=1e-3)   # a constant image stays constant
    ramp = np.broadcast_to(np.arange(16, dtype=np.float32)[None, :, None, None] * 10
                           + np.arange(16, dtype=np.float32)[None, None, :, None] * 10, (4, 16, 16, 2)).copy()
    anti = np.broadcast_to(np.arange(16, dtype=np.float32)[None, :, None, None] * 10
                           - np.arange(16, dtype=np.float32)[None, None, :, None] * 10 + 150, (4, 16, 16, 2)).copy()
    moved, still = np.asarray(layer(ramp)), np.asarray(layer(anti))
    inner = (slice(None), slice(4, 12), slice(4, 12))
    assert not np.allclose(moved[inner], ramp[inner]), "x + y changes when points move along the diagonal"
    np.testing.assert_allclose(still[inner], anti[inner], atol=1e-2)   # y − x does not (Keras's one noise draw)
    assert (moved >= 0).all() and (moved <= 255).all()
    np.testing.assert_array_equal(np.asarray(sk.layers.RandomElasticTransform(factor=0.0)(ramp)), ramp)


def test_elastic_draws_as_keras_in_a_direct_call():
    """Keras's RandomElasticTransform cannot run inside a jitted fit (its kernel size takes
    int() of a traced number), so its draws are compared on direct calls: four per call."""
    states = {}
    for lib in (sk, keras):
        layer = lib.layers.RandomElasticTransform(seed=3)
        layer(IMAGES)
        layer(IMAGES, training=False)
        layer(IMAGES)
        states[lib.__name__] = np.asarray(layer.generator.state).tolist()
    assert states["swiftkeras"] == states["keras"] == [3, 8]


def _pipeline(lib):
    L = lib.layers
    return L.Pipeline([L.Rescaling(0.5, offset=1.0), L.CenterCrop(5, 5),
                       L.RandomGaussianBlur(factor=(1.0, 1.0), sigma=(0.6, 0.6), value_range=(0, 100))], name="pipe")


def test_pipeline_of_deterministic_layers_equals_keras():
    ours, ref = _pipeline(sk), _pipeline(keras)
    np.testing.assert_allclose(np.asarray(ours(IMAGES)), np.asarray(ref(IMAGES)), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(np.asarray(ours(IMAGES, training=False)), np.asarray(ref(IMAGES, training=False)),
                               rtol=1e-5, atol=1e-4)
    assert _same(ours.get_config()["layers"][0]["config"]["scale"], 0.5)
    assert list(ours.get_config()) == ["layers", "name"]
    assert _same(_strip_names(ours.get_config()), _strip_names(ref.get_config()))
    back = keras.layers.Pipeline.from_config(ours.get_config())
    assert [type(l).__name__ for l in back.layers] == ["Rescaling", "CenterCrop", "RandomGaussianBlur"]
    here = sk.layers.Pipeline.from_config(ref.get_config())
    np.testing.assert_allclose(np.asarray(here(IMAGES)), np.asarray(ref(IMAGES)), rtol=1e-5, atol=1e-4)


def _strip_names(config):
    if isinstance(config, dict):
        return {k: _strip_names(v) for k, v in config.items() if k not in ("name", "shared_object_id", "build_config")}
    if isinstance(config, list):
        return [_strip_names(v) for v in config]
    return config


def _augmenting_model(lib):
    L = lib.layers
    return lib.Sequential([
        lib.Input((8, 8, 3)), L.RandomShear((0.1, 0.2), (0.0, 0.1), seed=1), L.RandomGaussianBlur(seed=2), L.RandomErasing(seed=3),
        L.MixUp(seed=4), L.CutMix(seed=5), L.RandomPerspective(seed=6), L.MaxNumBoundingBoxes(4),
        L.RandomElasticTransform(seed=7),
        L.Pipeline([L.Rescaling(0.01), L.RandomShear(x_factor=(0.0, 0.1)), L.Dense(4)]),
        L.Flatten(), L.Dense(2)])


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_models_with_the_layers_pass_both_ways(tmp_path, ext):
    x = (np.random.RandomState(1).rand(5, 8, 8, 3) * 255).astype("float32")
    ours, ref = _augmenting_model(sk), _augmenting_model(keras)
    ours.compile("adam", "mse")
    ours.fit(x, np.zeros((5, 2), np.float32), epochs=1, verbose=0)
    ours.save(tmp_path / f"ours.{ext}")
    ref.save(tmp_path / f"ref.{ext}")
    in_keras = keras.saving.load_model(tmp_path / f"ours.{ext}", compile=False)
    np.testing.assert_allclose(in_keras.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-4, atol=1e-4)
    here = sk.saving.load_model(tmp_path / f"ref.{ext}", compile=False)
    np.testing.assert_allclose(here.predict(x, verbose=0), ref.predict(x, verbose=0), rtol=1e-4, atol=1e-4)
    assert [type(l).__name__ for l in here.layers] == [type(l).__name__ for l in ref.layers]
    for a, b in zip(here.layers, ref.layers):
        assert _same(_strip_names(a.get_config()), _strip_names(b.get_config())), type(a).__name__


@pytest.mark.parametrize("boxes_count,kwargs", [(5, dict(max_number=3, fill_value=-2)), (2, dict(max_number=4)),
                                                (3, dict(max_number=3))])
def test_max_num_bounding_boxes_cuts_and_pads_boxes_as_keras(boxes_count, kwargs):
    data = {"images": IMAGES[:2], "labels": np.ones((2, 1), "float32"),
            "bounding_boxes": {"boxes": RNG.uniform(0, 5, (2, boxes_count, 4)).astype("float32"),
                               "labels": np.arange(2 * boxes_count, dtype="int32").reshape(2, boxes_count)}}
    ours = sk.layers.MaxNumBoundingBoxes(bounding_box_format="xyxy", **kwargs)
    ref = keras.layers.MaxNumBoundingBoxes(bounding_box_format="xyxy", **kwargs)
    for training in (True, False):
        got = ours({**data, "bounding_boxes": dict(data["bounding_boxes"])}, training=training)
        want = ref({**data, "bounding_boxes": dict(data["bounding_boxes"])}, training=training)
        assert sorted(got) == sorted(want)
        np.testing.assert_array_equal(np.asarray(got["images"]), np.asarray(want["images"]))
        np.testing.assert_array_equal(np.asarray(got["labels"]), np.asarray(want["labels"]))
        for key in ("boxes", "labels"):
            a, b = np.asarray(got["bounding_boxes"][key]), np.asarray(want["bounding_boxes"][key])
            assert a.shape == b.shape and a.dtype == b.dtype, key
            np.testing.assert_array_equal(a, b)
    assert _same(_config(ours), _config(ref))
    assert _same(_config(keras.layers.MaxNumBoundingBoxes.from_config(ours.get_config())), _config(ref))
    for lib in (sk, keras):   # boxes without a format are refused, in Keras's words
        with pytest.raises(ValueError, match="bounding_box_format"):
            lib.layers.MaxNumBoundingBoxes(3)(data)


def test_mix_up_mixes_dict_labels_with_the_images_weights_as_keras():
    """Keras's MixUp on {"images", "labels"}: each sample's labels mixed with the weight and the
    partner of its image (checked on images whose values name their sample), nothing mixed at
    inference, the generator moving as Keras's (two draws per call, in inference too)."""
    n = 5
    images = np.repeat(np.arange(1, n + 1, dtype="float32"), 4 * 3 * 3).reshape(n, 4, 3, 3)
    labels = np.eye(n, dtype="float32")
    states = []
    for lib in (sk, keras):
        layer = lib.layers.MixUp(alpha=0.8, seed=3)
        for _ in range(2):
            out = layer({"images": images, "labels": labels})
            assert sorted(out) == ["images", "labels"]
            got_images, got_labels = np.asarray(out["images"]), np.asarray(out["labels"])
            assert got_labels.shape == labels.shape
            for b in range(n):
                # image b is w·(b+1) + (1 − w)·(p+1): its labels are w at b and 1 − w at p.
                np.testing.assert_allclose(got_images[b], got_images[b].flat[0], rtol=1e-6)
                value = float(got_images[b].flat[0])
                np.testing.assert_allclose(got_labels[b].sum(), 1, rtol=1e-5)
                np.testing.assert_allclose(float(np.dot(got_labels[b], np.arange(1, n + 1))), value, rtol=1e-5)
        still = layer({"images": images, "labels": labels}, training=False)
        np.testing.assert_array_equal(np.asarray(still["labels"]), labels)
        np.testing.assert_array_equal(np.asarray(still["images"]), images)
        states.append(np.asarray(layer.generator.state.numpy() if lib is keras else layer.generator.state).tolist())
    assert states[0] == states[1] == [3, 6]


def _keras_cut_mix_transformation(out_images, labels_out, images, n):
    """Keras's CutMix transformation (permutation, box corners) that gives our output: each
    sample's partner from the pasted values, and box corners in float32 whose sides are Keras's
    √(1 − λ) of the image for λ our label weight, placed so that they cover the pasted pixels
    (None when no such corners exist: the labels' weight and the box disagree)."""
    h, w = images.shape[1:3]
    order, corners = [], []
    for b in range(n):
        pasted = out_images[b, :, :, 0] != images[b, 0, 0, 0]
        others = labels_out[b] * (np.arange(n) != b)
        partner = int(np.argmax(others)) if others.max() > 0 else b
        order.append(partner)
        if partner == b:   # (mixed with itself, or a box of no area)
            corners.append((0.0, 0.0, 0.0, 0.0))
            continue
        side = np.sqrt(np.float32(1.0) - np.float32(labels_out[b, b]))
        crop_w, crop_h = np.float32(side * w), np.float32(side * h)
        if not pasted.any():   # a box between the pixels: it pastes none, the labels mix all the same
            x0, y0 = (np.float32((1 - c) / 2 if c < 1 else 0) for c in (crop_w, crop_h))
            corners.append((x0, np.float32(x0 + crop_w), y0, np.float32(y0 + crop_h)))
            continue
        rows, cols = np.flatnonzero(pasted.any(axis=1)), np.flatnonzero(pasted.any(axis=0))
        box = []
        for first, last, crop in ((cols[0], cols[-1], crop_w), (rows[0], rows[-1], crop_h)):
            low, high = max(first - 1, last - crop), min(first, last + 1 - crop)
            if not low < high:
                return None
            start = np.float32((low + high) / 2)
            box += [start, np.float32(start + crop)]
        corners.append((box[0], box[1], box[2], box[3]))
    x0, x1, y0, y1 = (np.array(c, np.float32) for c in zip(*corners))
    return np.array(order, np.int32), (x0, x1, y0, y1)


@pytest.mark.parametrize("factor", [1.0, (0.2, 0.8)])
def test_cutmix_on_a_dict_mixes_the_labels_by_the_boxs_unrounded_area_as_keras(factor):
    """`CutMix()({"images": ..., "labels": ...})`: Keras mixes each sample's labels with its
    partner's by its `mix_weight`, one minus the box's area from its unrounded corners over the
    image's (not the share of the pixels pasted). Our images and labels are what Keras's own
    transform gives for the permutation and box corners that our output implies."""
    n, h, w = 8, 10, 7
    images = np.arange(1, n + 1, dtype=np.float32).reshape(n, 1, 1, 1) * np.ones((1, h, w, 2), np.float32)
    labels = np.eye(n, dtype=np.float32)
    layer, ref = sk.layers.CutMix(factor=factor, seed=3), keras.layers.CutMix(factor=factor)
    fractional = 0
    for _ in range(10):
        out = layer({"images": images, "labels": labels, "name": "kept"})
        assert out["name"] == "kept" and out["images"].shape == images.shape and out["labels"].shape == labels.shape
        np.testing.assert_allclose(out["labels"].sum(axis=1), 1, rtol=1e-6)
        found = _keras_cut_mix_transformation(out["images"], out["labels"], images, n)
        assert found is not None, "the labels' weights do not fit the pasted boxes"
        order, corners = found
        masks, weight = ref._generate_batch_mask(images.shape, corners)
        weight = np.where(order == np.arange(n), 1.0, np.asarray(weight).reshape(n))   # (mixed with itself: its labels)
        transformation = {"permutation_order": order, "batch_masks": masks, "mix_weight": weight.astype("float32")}
        np.testing.assert_array_equal(np.asarray(ref.transform_images(images, transformation)), out["images"])
        np.testing.assert_allclose(np.asarray(ref.transform_labels(labels, transformation)), out["labels"],
                                   rtol=1e-5, atol=1e-6)
        pasted = (out["images"][..., 0] != images[..., 0]).mean(axis=(1, 2))
        own = out["labels"][np.arange(n), np.arange(n)]
        fractional += int(np.sum(np.abs((1 - pasted) - own)[order != np.arange(n)] > 1e-3))
    assert fractional > 0, "the weights are the unrounded areas', not the pixels' share"
    same = layer({"images": images, "labels": labels}, training=False)
    np.testing.assert_array_equal(same["images"], images)
    np.testing.assert_array_equal(same["labels"], labels)


def test_cutmix_on_a_dict_draws_and_refuses_as_keras():
    """The dict call moves the seed generator as Keras's call on the images does (five draws);
    segmentation masks get their images' boxes; labels that are not (batch, classes) and
    bounding boxes are refused as Keras refuses them."""
    n = 4
    images = np.arange(1, n + 1, dtype=np.float32).reshape(n, 1, 1, 1) * np.ones((1, 6, 5, 3), np.float32)
    states = {}
    for lib in (sk, keras):
        layer = lib.layers.CutMix(seed=2)
        layer({"images": images, "labels": np.eye(n, dtype="float32")})
        layer(images)
        states[lib.__name__] = np.asarray(layer.generator.state).tolist()
        with pytest.raises(ValueError, match="bounding_box_format"):
            layer({"images": images, "bounding_boxes": {"boxes": np.zeros((n, 1, 4)), "labels": np.zeros((n, 1))}})
    assert states["swiftkeras"] == states["keras"]
    with pytest.raises(ValueError, match="labels"):
        sk.layers.CutMix()({"images": images, "labels": np.eye(n + 1, dtype="float32")})
    out = sk.layers.CutMix(seed=4)({"images": images, "labels": np.eye(n, dtype="float32"),
                                    "segmentation_masks": images[..., :1] * 10})
    # (one-channel masks come back with the images' channels, pasted alike, as Keras's)
    np.testing.assert_array_equal(out["segmentation_masks"], out["images"] * 10)


@pytest.mark.parametrize("name,kwargs", [
    ("CenterCrop", dict(height=11, width=5)), ("CenterCrop", dict(height=4, width=5)),
    ("CenterCrop", dict(height=4, width=12, data_format="channels_first")),
    ("Resizing", dict(height=11, width=5)), ("Resizing", dict(height=4, width=12, crop_to_aspect_ratio=True)),
])
def test_resizing_layers_on_a_single_image_equal_keras(name, kwargs):
    """A single image (rank 3, unbatched) through CenterCrop/Resizing in training and inference
    calls, upsizing included: Keras's image (the library's output shape once took the image's
    rows for the batch, so the call's buffer could not hold a result taller than the image)."""
    image = IMAGES[0] if kwargs.get("data_format") != "channels_first" else IMAGES[0].transpose(2, 0, 1)
    for training in (None, False, True):
        call = {} if training is None else dict(training=training)
        expected = np.asarray(getattr(keras.layers, name)(**kwargs)(image, **call))
        got = getattr(sk.layers, name)(**kwargs)(image, **call)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("name", ["CenterCrop", "Resizing"])
def test_model_of_an_unbatched_image_has_keras_output_shape(name):
    """A model whose input is one image (rank 3: its rows are no batch) resized taller: its
    output_shape is Keras's, the new height first (no batch axis)."""
    shape = IMAGES[0].shape[1:]
    expected = keras.Sequential([keras.Input(shape), getattr(keras.layers, name)(11, 5)]).output_shape
    got = sk.Sequential([sk.Input(shape), getattr(sk.layers, name)(11, 5)]).output_shape
    assert got == expected == (11, 5, IMAGES[0].shape[-1])
