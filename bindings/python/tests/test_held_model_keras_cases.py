"""Models held by models as Keras users write them, against real Keras 3 (JAX):

- a Sequential held by a subclassed model called in a functional model (or directly, or in a
  Sequential): every weight path as Keras's, listed from the outer model, the subclassed
  model, its Sequential, the Sequential's layers and the subclassed model's own layers (which
  have their weights at once, as Keras's); `layers`, `get_layer` and `summary()` (the nested
  model's class printed, `outer_sub (Outer)`); with Keras's weights, the same predictions and
  training;
- a model called twice on different inputs (a Sequential, a subclassed model): one set of
  weights, Keras's paths, layers, summary, predictions and training.
"""

import numpy as np
import pytest

from conftest import needs, real_keras

pytestmark = needs("keras_layer_builder_model_call", "keras_name_scope_open_root")

import swiftkeras  # noqa: E402

RNG = np.random.default_rng(5)
X = RNG.normal(size=(10, 3)).astype("float32")
X2 = RNG.normal(size=(10, 3)).astype("float32")
_CLASSES = {}


def _classes(lib):
    """(Outer, Twice) of `lib`, defined once per library: a subclassed model holding a
    Sequential and a Dense, and one holding a Dense."""
    if lib.__name__ in _CLASSES:
        return _CLASSES[lib.__name__]

    class Outer(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seq = lib.Sequential([lib.layers.Dense(4, activation="relu", name="a"),
                                       lib.layers.Dense(3, name="b")], name="seq")
            self.top = lib.layers.Dense(2, name="top")

        def call(self, x):
            return self.top(self.seq(x))

    class Twice(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = lib.layers.Dense(4, name="sd")

        def call(self, x):
            return self.d(x)

    _CLASSES[lib.__name__] = (Outer, Twice)
    return Outer, Twice


def _paths(holder):
    return [w.path for w in holder.weights]


def _summary(model):
    lines = []
    model.summary(print_fn=lambda text, **_: lines.append(text))
    return "\n".join(lines)


def _close(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-5)


def _same_training(ours, ref, inputs, y):
    ours.set_weights(ref.get_weights())
    _close([ours.predict(inputs, verbose=0)], [ref.predict(inputs, verbose=0)])
    for model in (ref, ours):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(inputs, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
    _close(ours.get_weights(), ref.get_weights())


def _held(lib, how):
    outer_cls, _ = _classes(lib)
    inner = outer_cls(name="outer_sub")
    if how == "functional":
        x = lib.Input((3,), name="x")
        model = lib.Model(x, lib.layers.Dense(1, name="head")(inner(x)), name="f")
    elif how == "sequential":
        model = lib.Sequential([lib.Input((3,)), inner, lib.layers.Dense(1, name="head")], name="S")
    else:
        inner(X[:2])
        model = inner
    return model, inner


@pytest.mark.parametrize("how", ["functional", "sequential", "called"])
def test_a_sequential_in_a_subclassed_model_in_a_model_is_keras(how):
    seen = []
    for lib in (real_keras(), swiftkeras):
        model, inner = _held(lib, how)
        # (the subclassed model's own Dense first: Keras gives it its weights at once)
        seen.append([_paths(inner.top), _paths(model), _paths(inner), _paths(inner.seq),
                     _paths(inner.seq.layers[0]), [l.name for l in model.layers],
                     [type(l).__name__ for l in model.layers], [l.name for l in inner.layers],
                     [l.name for l in inner.seq.layers], _summary(model)])
        if how != "called":
            assert model.get_layer("outer_sub") is inner
        seen[-1].append(model)
    (*ref, ref_model), (*ours, our_model) = seen
    assert ours == ref
    assert ours[3][0] == ("outer_sub/seq/a/kernel" if how != "sequential" else "S/outer_sub/seq/a/kernel")
    if how != "called":
        assert "outer_sub (Outer)" in ours[-1]
    _same_training(our_model, ref_model, X, X[:, :1] if how != "called" else X[:, :2])


@pytest.mark.parametrize("kind", ["sequential", "subclassed"])
def test_a_model_called_twice_shares_its_weights_as_keras(kind):
    seen = []
    for lib in (real_keras(), swiftkeras):
        if kind == "sequential":
            shared = lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, name="e1")], name="enc")
        else:
            shared = _classes(lib)[1](name="enc")
        a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
        joined = lib.layers.Concatenate(name="cat")([shared(a), shared(b)])
        model = lib.Model([a, b], lib.layers.Dense(1, name="out")(joined), name="siamese")
        seen.append(([_paths(model), _paths(shared), [l.name for l in model.layers],
                      model.get_layer(index=2).name, model.count_params(), _summary(model)],
                     model, shared))
    (ref, ref_model, ref_shared), (ours, our_model, our_shared) = seen
    assert ours == ref
    assert len(ours[0]) == 4   # one set of the shared model's weights, the head's
    assert ours[0][0] == ("enc/e1/kernel" if kind == "sequential" else "enc/sd/kernel")
    _same_training(our_model, ref_model, [X, X2], X[:, :1])
    # the held model is the one trained, in both places
    _close(our_shared.get_weights(), ref_shared.get_weights())
    _close([our_shared.predict(X2, verbose=0)], [ref_shared.predict(X2, verbose=0)])


def _two_of_a_kind(lib, how):
    """Two subclassed models whose layers have the same names, one after the other."""
    _, twice = _classes(lib)
    first, second = twice(name="suba"), twice(name="subb")
    if how == "sequential":
        return lib.Sequential([lib.Input((3,)), first, second], name="outer")
    x = lib.Input((3,))
    return lib.Model(x, second(first(x)), name="outer")


@pytest.mark.parametrize("how", ["sequential", "functional"])
def test_nested_subclassed_models_with_layers_of_one_name_keep_their_own_paths(how):
    """Keras: `suba/sd/kernel` and `subb/sd/kernel` (each model's Dense is named "sd")."""
    ref, ours = _two_of_a_kind(real_keras(), how), _two_of_a_kind(swiftkeras, how)
    assert _paths(ours) == _paths(ref)
    assert len(set(_paths(ours))) == 4 and any("subb/sd/kernel" in p for p in _paths(ours))
    assert _paths(ours.get_layer("subb")) == _paths(ref.get_layer("subb"))
    _same_training(ours, ref, X, X2[:, :1] @ np.ones((1, 4), np.float32))


def test_a_never_called_subclassed_model_after_a_python_layer_in_a_sequential_is_keras():
    """The layers before it (a Python layer among them) give its input shape, as Keras's."""
    models = []
    for lib in (real_keras(), swiftkeras):
        class Scale(lib.layers.Layer):
            def build(self, shape):
                self.w = self.add_weight(shape=(shape[-1],), initializer="ones", name="w")

            def call(self, x):
                return x * self.w

            def compute_output_shape(self, shape):
                return shape

        models.append(lib.Sequential([lib.Input((3,)), Scale(name="scale"),
                                      lib.layers.Dense(5, name="d0"), _classes(lib)[1](name="sub")],
                                     name="outer"))
    ref, ours = models
    assert _paths(ours) == _paths(ref) and "outer/sub/sd/kernel" in _paths(ours)
    _same_training(ours, ref, X, X2[:, :1] @ np.ones((1, 4), np.float32))


@pytest.mark.parametrize("kind", ["model", "layer", "model-without-layers"])
def test_build_of_a_subclass_without_its_own_build_is_keras(kind):
    """`Sub().build(shape)` where Sub has no build: Keras's default build marks it built and
    makes no weights (its Dense, made in __init__, stays unbuilt, with Keras's warning; its
    summary lists it "0 (unbuilt)"); its first call makes them, under its name, and predicts
    and trains as Keras's."""
    import warnings
    seen = []
    for lib in (real_keras(), swiftkeras):
        if kind == "model":
            sub = _classes(lib)[1](name="sub")
        elif kind == "layer":
            class Held(lib.layers.Layer):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
                    self.d = lib.layers.Dense(4, name="sd")

                def call(self, x):
                    return self.d(x)
            sub = Held(name="sub")
        else:
            class Doubled(lib.Model):
                def call(self, x):
                    return x * 2.0
            sub = Doubled(name="sub")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sub.build((None, 3))
        said = [str(w.message) for w in caught if "does not have a `build()`" in str(w.message)]
        held = getattr(sub, "d", None)
        seen.append(([sub.built, len(sub.weights), held is not None and held.built, said,
                      sub.get_build_config() if kind != "layer" else None,
                      _summary(sub) if kind != "layer" else None], sub))   # its layers unbuilt
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sub(X[:2])
        seen[-1][0].extend([[str(w.message) for w in caught if "build()" in str(w.message)], _paths(sub)])
    (ref, ref_sub), (ours, our_sub) = seen
    assert ours == ref
    assert ours[:2] == [True, 0] and len(ours[3]) == (0 if kind == "model-without-layers" else 1)
    if kind == "model":
        assert ours[-1] == ["sub/sd/kernel", "sub/sd/bias"]
        _same_training(our_sub, ref_sub, X, X2 @ np.ones((3, 4), np.float32))
    elif kind == "layer":
        our_sub.set_weights(ref_sub.get_weights())
        _close([our_sub(X)], [ref_sub(X)])


def _expandable(lib, connected):
    """A functional model holding a Sequential (one of its layers frozen) and a subclassed
    model; `connected`: two inputs, so that Keras's table has its "Connected to" column."""
    outer_cls, _ = _classes(lib)
    seq = lib.Sequential([lib.Input((3,)), lib.layers.Dense(5, name="sa"),
                          lib.layers.Dropout(0.1, name="sdrop")], name="held_seq")
    sub = outer_cls(name="held_sub")
    if connected:
        p, q = lib.Input((3,), name="p"), lib.Input((5,), name="q")
        joined = lib.layers.Concatenate(name="cat")([seq(p), sub(q)])
        model = lib.Model([p, q], lib.layers.Dense(1, name="head")(joined), name="two")
    else:
        x = lib.Input((3,), name="x")
        model = lib.Model(x, lib.layers.Dense(1, name="head")(sub(seq(x))), name="one")
    model.get_layer("held_seq").layers[0].trainable = False
    return model


@pytest.mark.parametrize("connected", [False, True])
def test_summary_expand_nested_is_keras(connected):
    """`summary(expand_nested=True)`: each nested model's layers in rows under its own, named
    after "   └ " (the Sequential's, the subclassed model's and its Sequential's, a level
    deeper), with Keras's shapes, counts, "-" connections and Trainable flags."""
    texts = []
    for lib in (real_keras(), swiftkeras):
        model = _expandable(lib, connected)
        for options in ({"expand_nested": True}, {"expand_nested": True, "show_trainable": True}):
            lines = []
            model.summary(print_fn=lambda text, **_: lines.append(text), **options)
            texts.append("\n".join(lines))
    ref, ours = texts[:2], texts[2:]
    assert ours == ref
    assert "│    └ sa (Dense)" in ours[0] and "│       └ a (Dense)" in ours[0]
