"""A model held by a Python layer's attribute and called in its traced `call` (a loaded model, a
Sequential with or without its Input, a subclassed model) is that very model in the outer
model's graph (keras_layer_builder_model_call), as in Keras 3, where the layer holds the model
object: training the outer model moves `layer.inner.get_weights()` to the numbers Keras gets,
`inner.trainable = False` freezes it, the outer model lists the layer as one layer with Keras's
parameter counts, and a `.keras` file of the outer model loads both ways with the same numbers.
Numbers against real Keras 3 from the same initial weights."""

import numpy as np
import pytest

from conftest import needs, real_keras, summary_lines

pytestmark = needs("keras_layer_builder_model_call")

import swiftkeras  # noqa: E402

RNG = np.random.default_rng(5)
X = RNG.normal(size=(16, 3)).astype("float32")
Y = RNG.normal(size=(16, 2)).astype("float32")
KINDS = ["sequential_input", "sequential_no_input", "subclassed", "loaded"]


def _classes(lib):
    """(Wrap, Sub) of `lib`: a traced layer calling the model it holds in `inner` (made in
    __init__ from `kind`, or given), and a subclassed model of two Dense layers."""

    class Sub(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = lib.layers.Dense(4, activation="relu", name="s1")
            self.d2 = lib.layers.Dense(2, name="s2")

        def call(self, x):
            return self.d2(self.d1(x))

    class Wrap(lib.layers.Layer):
        def __init__(self, kind="sequential_no_input", inner=None, **kwargs):
            super().__init__(**kwargs)
            self.kind = kind
            self.inner = inner if inner is not None else _inner(lib, kind, Sub)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")

        def call(self, x):
            return lib.ops.tanh(self.inner(x)) * self.scale

        def get_config(self):
            return {**super().get_config(), "kind": self.kind}

    return Wrap, Sub


def _inner(lib, kind, sub):
    dense = [lib.layers.Dense(4, activation="relu", name="d1"), lib.layers.Dense(2, name="d2")]
    if kind == "sequential_input":
        return lib.Sequential([lib.Input((3,))] + dense, name="seq")
    if kind == "sequential_no_input":
        return lib.Sequential(dense, name="seq")
    return sub(name="sub")


def _loaded_pair(tmp_path):
    """Keras's Sequential saved by Keras, loaded by each library."""
    keras = real_keras()
    path = str(tmp_path / "base.keras")
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu", name="d1"),
                      keras.layers.Dense(2, name="d2")], name="saved").save(path)
    return keras.models.load_model(path), swiftkeras.models.load_model(path)


def _models(kind, tmp_path):
    """[(outer model, its Wrap layer)] for Keras, then ours, ours from Keras's initial weights."""
    loaded = _loaded_pair(tmp_path) if kind == "loaded" else (None, None)
    out = []
    for lib, held in zip((real_keras(), swiftkeras), loaded):
        wrap_class, _ = _classes(lib)
        wrap = wrap_class(kind, inner=held, name="wrap")
        inputs = lib.Input((3,))
        out.append((lib.Model(inputs, lib.layers.Dense(2, name="head")(wrap(inputs)), name="outer"), wrap))
    (ref, _), (ours, _) = out
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    return out


def _all_close(ours, ref):
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def _fit(*models):
    for m in models:
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, Y, epochs=2, batch_size=4, shuffle=False, verbose=0)


@pytest.mark.parametrize("kind", KINDS)
def test_fit_of_the_outer_model_trains_the_held_model_itself(kind, tmp_path):
    (ref, ref_wrap), (ours, wrap) = _models(kind, tmp_path)
    before = [np.asarray(w) for w in wrap.inner.get_weights()]
    assert len(before) == 4
    _fit(ref, ours)
    _all_close(ours.get_weights(), ref.get_weights())
    # The held model is the outer model's nested model itself: its own weights and predictions
    # are the trained ones, with no step copying them back.
    _all_close(wrap.inner.get_weights(), ref_wrap.inner.get_weights())
    assert all(not np.allclose(a, b) for a, b in zip(before, wrap.inner.get_weights()))
    _all_close([wrap.inner.predict(X, verbose=0)], [ref_wrap.inner.predict(X, verbose=0)])
    # And the other way: a weight set on the held model is the outer model's at once.
    new = [np.full(w.shape, 0.05 * (i + 1), "float32") for i, w in enumerate(before)]
    for held in (wrap.inner, ref_wrap.inner):
        held.set_weights(new)
    _all_close([ours.predict(X, verbose=0)], [ref.predict(X, verbose=0)])


@pytest.mark.parametrize("kind", KINDS)
def test_a_frozen_held_model_does_not_train_as_in_keras(kind, tmp_path):
    (ref, ref_wrap), (ours, wrap) = _models(kind, tmp_path)
    for held in (wrap.inner, ref_wrap.inner):
        held.trainable = False
    before = [np.asarray(w) for w in wrap.inner.get_weights()]
    _fit(ref, ours)
    _all_close(wrap.inner.get_weights(), before)
    _all_close(ours.get_weights(), ref.get_weights())
    for what in ("trainable_weights", "non_trainable_weights"):
        assert len(getattr(ours, what)) == len(getattr(ref, what)), what
    # Unfrozen again, the next fit trains it, as Keras's next compile reads the flag.
    for held in (wrap.inner, ref_wrap.inner):
        held.trainable = True
    _fit(ref, ours)
    _all_close(wrap.inner.get_weights(), ref_wrap.inner.get_weights())
    assert not np.allclose(wrap.inner.get_weights()[0], before[0])


@pytest.mark.parametrize("kind", KINDS)
def test_the_outer_model_lists_the_layer_and_counts_as_keras(kind, tmp_path):
    (ref, ref_wrap), (ours, wrap) = _models(kind, tmp_path)
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in ref.layers]
    assert ours.layers[1] is wrap
    assert [l.name for l in wrap.inner.layers] == [l.name for l in ref_wrap.inner.layers]
    assert ours.count_params() == ref.count_params() == 4 * 3 + 4 + 4 * 2 + 2 + 2 + 2 * 2 + 2
    assert wrap.count_params() == ref_wrap.count_params()
    ref_wrap.inner.trainable = False
    wrap.inner.trainable = False
    for what in ("trainable_weights", "non_trainable_weights"):
        assert [tuple(v.shape) for v in getattr(ours, what)] == \
            [tuple(v.shape) for v in getattr(ref, what)], what
    ours_lines, ref_lines = summary_lines(ours), summary_lines(ref)
    for label in ("Total params", "Trainable params", "Non-trainable params"):
        assert [l for l in ours_lines if label in l] == [l for l in ref_lines if label in l], label
    rows = [l.split("│")[1].strip() for l in ours_lines if l.startswith("│") and "(" in l]
    assert [r for r in rows if r.startswith("wrap")] == ["wrap (Wrap)"]


@pytest.mark.parametrize("kind", ["sequential_input", "sequential_no_input", "subclassed"])
@pytest.mark.parametrize("direction", ["ours_to_keras", "keras_to_ours"])
def test_a_keras_file_of_the_outer_model_loads_with_the_same_numbers(kind, direction, tmp_path):
    keras = real_keras()
    (ref, _), (ours, _) = _models(kind, tmp_path)
    _fit(ours)   # ours now differs from Keras's: the file carries the numbers
    source = ours if direction == "ours_to_keras" else ref
    path = str(tmp_path / "outer.keras")
    source.save(path)
    lib = keras if direction == "ours_to_keras" else swiftkeras
    wrap_class, sub_class = _classes(lib)
    loaded = lib.models.load_model(path, custom_objects={"Wrap": wrap_class, "Sub": sub_class})
    _all_close(loaded.get_weights(), source.get_weights())
    _all_close([loaded.predict(X, verbose=0)], [source.predict(X, verbose=0)])
    held = loaded.get_layer("wrap").inner
    _all_close(held.get_weights(), source.get_layer("wrap").inner.get_weights())
    if lib is swiftkeras:   # the loaded layer's model is the loaded outer model's nested one
        loaded.compile(optimizer="sgd", loss="mse")
        loaded.fit(X, Y, epochs=1, batch_size=4, shuffle=False, verbose=0)
        _all_close(held.get_weights(), loaded.get_weights()[1:5])


def test_a_held_model_already_built_is_called_on_its_own_shape():
    """A Sequential without an Input called on (None, 3) keeps that shape once built; a
    subclassed model is traced for it; a call on another shape is Keras's error."""
    wrap_class, _ = _classes(swiftkeras)
    wrap = wrap_class("sequential_no_input", name="wrap")
    inputs = swiftkeras.Input((3,))
    model = swiftkeras.Model(inputs, wrap(inputs))
    model.predict(X, verbose=0)
    assert wrap.inner._input_batch_shape == (None, 3)
    other = swiftkeras.Input((5,))
    with pytest.raises(Exception):
        swiftkeras.Model(other, wrap(other)).predict(np.zeros((2, 5), "float32"), verbose=0)


def _functional_models(kind, tmp_path):
    """[(Model(x, head(base(x))), base)] for Keras, then ours, ours from Keras's weights: the
    base called on the outer model's symbolic input is one layer of its graph."""
    loaded = _loaded_pair(tmp_path) if kind == "loaded" else (None, None)
    out = []
    for lib, held in zip((real_keras(), swiftkeras), loaded):
        _, sub_class = _classes(lib)
        base = held if held is not None else _inner(lib, kind, sub_class)
        inputs = lib.Input((3,))
        out.append((lib.Model(inputs, lib.layers.Dense(2, name="head")(base(inputs)), name="outer"), base))
    (ref, _), (ours, _) = out
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_a_model_called_in_a_functional_model_is_one_shared_layer_as_in_keras(kind, tmp_path):
    (ref, ref_base), (ours, base) = _functional_models(kind, tmp_path)
    assert [l.name for l in ours.layers][1:] == [l.name for l in ref.layers][1:]
    assert ours.layers[1] is base
    rows = [l for l in summary_lines(ours) if l.startswith("│") and f"{base.name} (" in l]
    ref_rows = [l for l in summary_lines(ref) if l.startswith("│") and f"{ref_base.name} (" in l]
    assert len(rows) == len(ref_rows) == 1
    assert rows[0].split("│")[-2].strip() == ref_rows[0].split("│")[-2].strip()   # its params
    for m in (base, ref_base):
        m.trainable = False
    frozen = [np.asarray(w) for w in base.get_weights()]
    _fit(ref, ours)
    _all_close(base.get_weights(), frozen)
    _all_close(ours.get_weights(), ref.get_weights())
    for m in (base, ref_base):
        m.trainable = True
    _fit(ref, ours)
    _all_close(base.get_weights(), ref_base.get_weights())
    assert not np.allclose(base.get_weights()[0], frozen[0])


# (Keras's file of a functional model nesting a subclassed one names the class as a layer of
# its config: the class given in custom_objects rebuilds it, _subclass_nesting.)
@pytest.mark.parametrize("kind,direction", [
    ("sequential_no_input", "ours_to_keras"), ("sequential_no_input", "keras_to_ours"),
    ("subclassed", "ours_to_keras"), ("subclassed", "keras_to_ours"), ("loaded", "ours_to_keras"),
    ("loaded", "keras_to_ours")])
def test_a_keras_file_of_the_functional_model_nests_the_model_both_ways(kind, direction, tmp_path):
    keras = real_keras()
    (ref, _), (ours, base) = _functional_models(kind, tmp_path)
    _fit(ours)
    source = ours if direction == "ours_to_keras" else ref
    path = str(tmp_path / "outer.keras")
    source.save(path)
    lib = keras if direction == "ours_to_keras" else swiftkeras
    _, sub_class = _classes(lib)
    loaded = lib.models.load_model(path, custom_objects={"Sub": sub_class})
    _all_close(loaded.get_weights(), source.get_weights())
    _all_close([loaded.predict(X, verbose=0)], [source.predict(X, verbose=0)])
    nested = loaded.layers[1]
    assert isinstance(nested, lib.Model)
    _all_close(nested.get_weights(), source.layers[1].get_weights())
