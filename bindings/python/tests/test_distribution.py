"""keras.distribution on the library's one device, against real Keras 3 (jax, one CPU): the
devices listed, DeviceMesh / TensorLayout / LayoutMap checks and regex lookups, the layouts
DataParallel and ModelParallel give a model's variables and data, the current distribution
set globally, by scope and forgotten by clear_session, and a fit under a distribution ending at
Keras's weights (1e-5)."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)
LIBS = (sk, keras)


def _error(call):
    try:
        call()
    except Exception as e:   # noqa: BLE001 — the kind and text are compared with Keras's
        return type(e).__name__, str(e)
    return None


def test_devices_meshes_and_layouts_as_keras():
    for name in (None, "cpu", "CPU"):
        assert sk.distribution.list_devices(name) == keras.distribution.list_devices(name) == ["cpu:0"]
        assert sk.distribution.get_device_count(name) == keras.distribution.get_device_count(name)
    assert _error(lambda: sk.distribution.list_devices("gpu"))[0] == "RuntimeError"
    for args in (((), ["batch"]), ((1,), ["batch", "model"]), ((2,), ["batch"])):
        ours, theirs = (_error(lambda d=lib.distribution: d.DeviceMesh(*args)) for lib in LIBS)
        assert ours == theirs, args
    for lib in LIBS:
        d = lib.distribution
        mesh = d.DeviceMesh((1, 1), ["batch", "model"])
        assert mesh.shape == (1, 1) and mesh.axis_names == ["batch", "model"]
        assert mesh.devices.tolist() == [["cpu:0"]]
        assert repr(mesh) == "<DeviceMesh shape=(1, 1), axis_names=['batch', 'model']>"
        layout = d.TensorLayout((None, "model"), mesh)
        assert layout.axes == (None, "model") and layout.device_mesh is mesh
    got = [_error(lambda lib=lib: lib.distribution.TensorLayout(
        ("x",), lib.distribution.DeviceMesh((1,), ["batch"]))) for lib in LIBS]
    assert got[0] == got[1] and got[0][0] == "ValueError"


def test_layout_map_lookup_as_keras():
    results = []
    for lib in LIBS:
        d = lib.distribution
        layout_map = d.LayoutMap(d.DeviceMesh((1, 1), ["batch", "model"]))
        layout_map[".*dense.*kernel"] = (None, "model")
        layout_map[".*dense.*bias"] = ("model",)
        layout_map[".*kernel"] = ("model", None)
        found = [None if layout_map[k] is None else layout_map[k].axes
                 for k in ("dense_1/bias", "my_model/conv3d_1/bias", ".*dense.*bias")]
        results.append((found, _error(lambda: layout_map["dense_1/kernel"]),
                        _error(lambda: layout_map.__setitem__(".*kernel", ("model",))),
                        len(layout_map), list(layout_map),
                        _error(lambda: layout_map.__setitem__("x", "model"))[0]))
        del layout_map[".*kernel"]
        assert layout_map["dense_1/kernel"].axes == (None, "model")
        assert layout_map["dense_1/kernel"].device_mesh is layout_map.device_mesh
    assert results[0] == results[1]


def _model(lib):
    lib.utils.set_random_seed(3)
    x = lib.Input((4,))
    return lib.Model(x, lib.layers.Dense(2, name="out")(lib.layers.Dense(5, activation="tanh",
                                                                          name="dense")(x)))


@pytest.mark.parametrize("kind", ["data", "model"])
def test_distributions_lay_out_variables_and_fit_as_keras(kind):
    rs = np.random.RandomState(0)
    x, y = rs.normal(size=(16, 4)).astype("float32"), rs.normal(size=(16, 2)).astype("float32")
    results = []
    weights = None
    for lib in (keras, sk):
        d = lib.distribution
        if kind == "data":
            dist = d.DataParallel()
        else:
            layout_map = d.LayoutMap(d.DeviceMesh((1, 1), ["batch", "model"]))
            layout_map["dense/kernel"] = (None, "model")
            dist = d.ModelParallel(layout_map=layout_map, batch_dim_name="batch")
        assert d.distribution() is None
        with dist.scope():
            assert d.distribution() is dist
            model = _model(lib)
            if weights is None:
                weights = [np.asarray(w) for w in model.get_weights()]
            model.set_weights(weights)
            model.compile(lib.optimizers.SGD(0.1), "mse")
            model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        assert d.distribution() is None
        layouts = [dist.get_variable_layout(v).axes for v in model.weights]
        results.append((layouts, dist.get_data_layout((16, 4)).axes, dist.batch_dim_name,
                        dist.num_model_replicas, dist.get_tensor_layout("dense/kernel") is None,
                        [np.asarray(w) for w in model.get_weights()]))
    (*ref, ref_w), (*ours, our_w) = results
    assert ours == ref
    for a, b in zip(our_w, ref_w):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_set_distribution_is_a_session_setting():
    dist = sk.distribution.DataParallel(devices=["cpu:0"])
    sk.distribution.set_distribution(dist)
    assert sk.distribution.distribution() is dist
    sk.backend.clear_session()
    assert sk.distribution.distribution() is None
    assert sk.distribution.distribute_tensor(np.ones((2, 3)), dist.get_data_layout((2, 3))).shape == (2, 3)
    with pytest.raises(ValueError, match="layout of 1 axes"):
        sk.distribution.distribute_tensor(np.ones((2, 3)), sk.distribution.TensorLayout(("batch",)))
    with pytest.raises(ValueError, match="must be a `LayoutMap`"):
        sk.distribution.ModelParallel(layout_map={})
    with pytest.raises(ValueError, match="num_processes=2"):
        sk.distribution.initialize(num_processes=2)


def test_wrappers_is_an_attribute_as_in_keras():
    pytest.importorskip("sklearn")
    assert sk.wrappers.SKLearnClassifier.__name__ == "SKLearnClassifier"
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        sk.nonesuch  # noqa: B018
