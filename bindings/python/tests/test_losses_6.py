"""`model.losses` as real Keras 3 lists it, and serialization refusals it makes (jax):
- a model built when made (Sequential or functional with its Input) lists its weight
  regularization penalties before any call, as does each layer; a nested model's `losses` (and
  its layers') after the outer model's call hold the activity penalties of that call;
- a Python layer without a get_config of its own, given a regularizer object in its constructor
  (keras.io's MIL attention example), cannot give its config: get_config, to_json and save raise
  Keras's NotImplementedError, while the model still builds, trains and predicts;
- a subclass of OrthogonalRegularizer keeps its own `__call__` and is saved under its own name."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

X = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)


def _values(losses):
    return [float(v) for v in losses]


def _nested_losses(lib):
    """The figures compared: before any call, after `model(x)`, for the outer models, a nested
    model and a layer of it."""
    inner = lib.Sequential([lib.Input((3,)),
                            lib.layers.Dense(2, kernel_regularizer=lib.regularizers.L1(0.02),
                                             activity_regularizer="l2", kernel_initializer="ones")],
                           name="inner")
    inp = lib.Input((4,))
    hidden = lib.layers.Dense(3, kernel_regularizer=lib.regularizers.L2(0.1), bias_regularizer="l2",
                              activity_regularizer="l1", kernel_initializer="ones",
                              bias_initializer="ones")(inp)
    model = lib.Model(inp, inner(hidden))
    seq = lib.Sequential([lib.Input((4,)), lib.layers.Dense(2, kernel_regularizer="l2",
                                                            kernel_initializer="ones")])
    unbuilt = lib.Sequential([lib.layers.Dense(2, kernel_regularizer="l2")])
    out = {"model before": model.losses, "inner before": inner.losses,
           "inner layer before": inner.layers[0].losses, "seq before": seq.losses,
           "seq layer before": seq.layers[0].losses, "unbuilt": unbuilt.losses}
    model(X)
    out.update({"model after": model.losses, "inner after": inner.losses,
                "inner layer after": inner.layers[0].losses})
    return {k: _values(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def keras_losses():
    return _nested_losses(keras)


def test_losses_before_the_first_call_and_of_nested_models_like_keras(keras_losses):
    ours = _nested_losses(sk)
    assert list(ours) == list(keras_losses)
    for key, expected in keras_losses.items():
        assert len(ours[key]) == len(expected), key
        np.testing.assert_allclose(ours[key], expected, rtol=1e-5, err_msg=key)
    assert len(keras_losses["model before"]) == 3 and len(keras_losses["inner after"]) == 2


def _mil_layer_class(lib):
    class MILAttentionLayer(lib.layers.Layer):   # keras.io's, no get_config of its own
        def __init__(self, weight_params_dim, kernel_regularizer=None, **kwargs):
            super().__init__(**kwargs)
            self.weight_params_dim = weight_params_dim
            self.kernel_regularizer = lib.regularizers.get(kernel_regularizer)

        def build(self, input_shape):
            self.v = self.add_weight(shape=(input_shape[-1], self.weight_params_dim),
                                     initializer="ones", regularizer=self.kernel_regularizer,
                                     name="v")

        def call(self, x):
            return lib.ops.tanh(lib.ops.matmul(x, self.v * 0.1))
    return MILAttentionLayer


def _mil_model(lib, regularizer):
    inp = lib.Input((4,))
    layer = _mil_layer_class(lib)(3, kernel_regularizer=regularizer, name="attention")
    return lib.Model(inp, layer(inp))


def _refusals(lib, model, path):
    found = []
    for what, call in (("get_config", model.get_config), ("to_json", model.to_json),
                       ("layer.get_config", model.layers[1].get_config),
                       ("save", lambda: model.save(path))):
        with pytest.raises(NotImplementedError) as info:
            call()
        found.append((what, str(info.value)))
    return found


def test_a_layer_given_a_regularizer_object_is_refused_saving_like_keras(tmp_path):
    expected = _refusals(keras, _mil_model(keras, keras.regularizers.L2(0.01)), tmp_path / "k.keras")
    model = _mil_model(sk, sk.regularizers.L2(0.01))
    assert _refusals(sk, model, tmp_path / "s.keras") == expected
    assert "MILAttentionLayer was created by passing\nnon-serializable" in expected[0][1]
    assert not (tmp_path / "s.keras").exists()
    # the library builds, calls and trains it all the same, its penalty included
    np.testing.assert_allclose(np.asarray(model(X)), np.tanh(X @ np.full((4, 3), 0.1)), rtol=1e-5)
    np.testing.assert_allclose(_values(model.losses), [0.01 * 12], rtol=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.zeros((2, 3), "float32"), epochs=1, verbose=0)
    # a regularizer given by name is a plain value: saved, and loaded with it
    plain = _mil_model(sk, "l2")
    assert plain.get_config()["layers"][1]["config"]["kernel_regularizer"] == "l2"
    plain.save(tmp_path / "plain.keras")
    cls = type(plain.layers[1])
    loaded = sk.saving.load_model(tmp_path / "plain.keras",
                                  custom_objects={"MILAttentionLayer": cls})
    np.testing.assert_allclose(_values(loaded.losses), [0.01 * 12], rtol=1e-5)


def _orthogonal_run(lib, path):
    @lib.saving.register_keras_serializable(package="losses6")
    class Doubled(lib.regularizers.OrthogonalRegularizer):
        def __call__(self, x):
            return 2.0 * super().__call__(x)

    @lib.saving.register_keras_serializable(package="losses6")
    class Same(lib.regularizers.OrthogonalRegularizer):
        pass

    out = []
    w = np.arange(12, dtype="float32").reshape(3, 4) / 7 - 0.5
    for regularizer in (Doubled(factor=0.1, mode="columns"), Same(factor=0.2)):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, kernel_regularizer=regularizer)])
        model.set_weights([w, np.zeros(4, "float32")])
        model.save(path)
        loaded = lib.saving.load_model(path)
        out.append((_values(model.losses), type(loaded.layers[-1].kernel_regularizer).__name__,
                    _values(loaded.losses)))
    return out


def test_an_orthogonal_regularizer_subclass_keeps_its_call_like_keras(tmp_path):
    expected = _orthogonal_run(keras, tmp_path / "k.keras")
    ours = _orthogonal_run(sk, tmp_path / "s.keras")
    assert [o[1] for o in ours] == [e[1] for e in expected] == ["Doubled", "Same"]
    for (losses, _, loaded), (k_losses, _, k_loaded) in zip(ours, expected):
        np.testing.assert_allclose(losses, k_losses, rtol=1e-5)
        np.testing.assert_allclose(loaded, k_loaded, rtol=1e-5)
    assert expected[0][0][0] > 0


def _unregistered_run(lib, path):
    class Plain(lib.regularizers.Regularizer):   # not registered
        def __init__(self, f=0.01):
            self.f = f

        def __call__(self, x):
            return self.f * lib.ops.sum(lib.ops.square(x))

        def get_config(self):
            return {"f": self.f}

    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, kernel_regularizer=Plain(0.5),
                                                              kernel_initializer="ones")])
    model.save(path)
    with pytest.raises(TypeError) as refused:
        lib.saving.load_model(path)   # (the library knows the class: this process saved it)
    loaded = lib.saving.load_model(path, custom_objects={"Plain": Plain})
    regularizer = loaded.layers[-1].kernel_regularizer
    return (str(refused.value).split("Exception encountered: ")[-1], type(regularizer).__name__,
            regularizer.f, _values(loaded.losses))


def test_an_unregistered_regularizer_is_refused_loading_without_custom_objects_like_keras(tmp_path):
    expected = _unregistered_run(keras, tmp_path / "k.keras")
    ours = _unregistered_run(sk, tmp_path / "s.keras")
    # (Keras's words after "Exception encountered" depend on the class's module: for
    # __main__'s, these; here, its regularizers.get's "Could not interpret ...")
    assert ours[0] == ("Cannot deserialize object of type `Plain`. If `Plain` is a custom class, "
                       "please register it using the `@keras.saving.register_keras_serializable()` "
                       "decorator.")
    assert "Plain" in expected[0]
    assert ours[1:3] == expected[1:3] == ("Plain", 0.5)
    np.testing.assert_allclose(ours[3], expected[3], rtol=1e-5)
