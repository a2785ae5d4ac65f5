"""A subclassed Model whose `call` mixes layers and ops arithmetic (a residual `x + dense(x)`,
`ops.mean`, a concatenation, scalar arithmetic) fits, predicts, evaluates and saves/loads
weights, equal to real Keras 3 (jax) given the same weights and data."""

import numpy as np
import pytest

from conftest import CORE, assert_fits_like_keras, needs, real_keras, same_drawn_weights

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op")

RS = np.random.RandomState(1)
X = RS.normal(size=(32, 4)).astype("float32")
Y = np.stack([X[:, 0] * X[:, 1], X.sum(1)], 1).astype("float32")


def _residual_class(lib):
    class ResidualMix(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(4, activation="tanh")
            self.branch = lib.layers.Dense(3)
            self.head = lib.layers.Dense(2)

        def call(self, x):
            h = x + self.dense(x)
            centered = h - lib.ops.mean(h, axis=-1, keepdims=True)
            b = self.branch(h) * 0.5 + 1.0
            both = lib.ops.concatenate([centered, lib.ops.nn.relu(b), h[:, :1] / (b[:, 1:2] + 3.0)],
                                       axis=-1)
            return self.head(both)

    return ResidualMix


_Ours, _Ref = _residual_class(sk), _residual_class(keras)


def _pair(ours, ref, seed=3):
    ref(X[:1])
    ours(X[:1])   # (as Keras: build() alone makes no weights for a class without its own)
    return same_drawn_weights(ours, ref, seed)


def test_subclassed_model_mixing_layers_and_ops_matches_keras(tmp_path):
    ours, ref = _pair(_Ours(), _Ref())
    assert [type(layer).__name__ for layer in ours.layers] == ["Dense", "Dense", "Dense"]
    np.testing.assert_allclose(ours.predict(X, verbose=0), ref.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-5)
    for m, lib in ((ours, sk), (ref, keras)):
        m.compile(lib.optimizers.SGD(0.05), "mse", metrics=["mae"])
    ha = ours.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    hb = ref.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-4)
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.evaluate(X, Y, verbose=0), ref.evaluate(X, Y, verbose=0),
                               rtol=1e-4)
    expected = ours.predict(X, verbose=0)
    np.testing.assert_allclose(expected, ref.predict(X, verbose=0), rtol=1e-4, atol=1e-5)

    with pytest.raises(ValueError, match="cannot be saved whole.*save_weights"):
        ours.save(str(tmp_path / "mix.keras"))
    path = str(tmp_path / "mix.weights.h5")
    ours.save_weights(path)
    again = _Ours()
    again(X[:1])   # (as Keras: build() alone makes no weights for a class without its own)
    again.load_weights(path)
    np.testing.assert_allclose(again.predict(X, verbose=0), expected, atol=1e-6)
    fresh = _Ref()
    fresh(X[:1])
    fresh.load_weights(path)   # Keras reads the file this library wrote
    np.testing.assert_allclose(fresh.predict(X, verbose=0), expected, rtol=1e-4, atol=1e-5)
    theirs = str(tmp_path / "keras.weights.h5")   # and this library reads Keras's (each layer
    ref.save_weights(theirs)                      # under its attribute: branch/, dense/, head/)
    again.load_weights(theirs)
    np.testing.assert_allclose(again.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-4, atol=1e-5)


def _outer_class(lib):
    class Outer(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.a, self.b = lib.layers.Dense(2), lib.layers.Dense(3)
            self.head = lib.layers.Dense(2)

        def call(self, x):
            a, b = self.a(x), self.b(x)
            outer = lib.ops.matmul(a[:, :, None], b[:, None, :])   # (batch, 2, 3)
            mixed = lib.ops.tanh(outer) + lib.ops.mean(a, axis=-1)[:, None, None]
            return self.head(lib.ops.reshape(mixed, (-1, 6)))

    return Outer


def test_ops_combining_layer_outputs_beyond_merges_train_as_keras():
    """matmul, tanh and mean over two layers' outputs (no merge layer computes them) become one
    op layer over both outputs: the model fits to Keras's weights."""
    ours, ref = _pair(_Outer(), _RefOuter(), seed=4)
    np.testing.assert_allclose(ours.predict(X, verbose=0), ref.predict(X, verbose=0), rtol=1e-5, atol=1e-5)
    assert_fits_like_keras(ours, ref, X, Y)


_Outer, _RefOuter = _outer_class(sk), _outer_class(keras)
