"""`summary()` of models holding subclassed models nested two and three deep prints what real
Keras 3 (JAX) prints, byte for byte: each nested subclassed model's class (`inner (Inner)`, at
every depth of `expand_nested`), "?" for a subclassed model called inside another's call (Keras
has no node and no build shapes for it), the batch a subclassed model called on data built its
layers with under it (a Sequential without an Input taking its caller's, one with an Input its
own graph's), and the summary after Keras's default `build()` of a subclass holding a
subclassed model, or of one not built at all (every row "?" and "0 (unbuilt)"). Calling a subclassed model makes no
`Input`, so a later `keras.Input()` takes Keras's name."""

import re
import warnings

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

pytestmark = needs(*CORE, "keras_model_summary_ex", "keras_layer_builder_model_call")

import swiftkeras  # noqa: E402

X = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
_CLASSES = {}


def _classes(lib):
    """(Outer, Mid, Both) of `lib`: Outer holds Mid holds Inner (three deep); Both holds a
    Sequential without an Input, one with an Input and a subclassed model."""
    if lib.__name__ in _CLASSES:
        return _CLASSES[lib.__name__]
    layers = lib.layers

    class Inner(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d = layers.Dense(3, name="d_in")

        def call(self, x):
            return self.d(x)

    class Mid(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = Inner(name="inner")
            self.d = layers.Dense(2, name="d_mid")

        def call(self, x):
            return self.d(self.inner(x))

    class Outer(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mid = Mid(name="mid")
            self.d = layers.Dense(1, name="d_out")

        def call(self, x):
            return self.d(self.mid(x))

    class Both(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seq = lib.Sequential([layers.Dense(4, name="s1"), layers.Dropout(0.1, name="sd")], name="seq")
            self.seq_in = lib.Sequential([lib.Input((4,)), layers.Dense(4, name="t1")], name="seq_in")
            self.inner = Inner(name="inner")
            self.d = layers.Dense(2, name="d_b")

        def call(self, x):
            return self.d(self.inner(self.seq_in(self.seq(x))))

    _CLASSES[lib.__name__] = Outer, Mid, Both
    return _CLASSES[lib.__name__]


def _texts(model, *options):
    texts = []
    for kwargs in options:
        lines = []
        model.summary(print_fn=lambda text, **_: lines.append(text), **kwargs)
        texts.append("\n".join(lines))
    return texts


EXPANDED = ({}, {"expand_nested": True}, {"expand_nested": True, "show_trainable": True})


def _cases(lib):
    outer_cls, mid_cls, both_cls = _classes(lib)
    seen = {}
    outer = outer_cls(name="outer")
    outer(X)
    seen["outer"] = _texts(outer, *EXPANDED)
    both = both_cls(name="both")
    both(X)
    seen["both"] = _texts(both, *EXPANDED)
    x = lib.Input((4,), name="x")
    head = lib.layers.Dense(1, name="h")
    seen["functional"] = _texts(lib.Model(x, head(mid_cls(name="mid2")(x)), name="f"), *EXPANDED)
    x = lib.Input((4,), name="x")
    seen["functional_both"] = _texts(lib.Model(x, both_cls(name="b2")(x), name="fb"), *EXPANDED[1:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # Keras's warning on the default build()
        for name, cls in (("mid3", mid_cls), ("outer3", outer_cls)):
            model = cls(name=name)
            model.build((None, 4))
            seen[name] = _texts(model, *EXPANDED[:2])
    for name, cls in (("mid4", mid_cls), ("outer4", outer_cls)):
        model = cls(name=name)
        seen[name] = _texts(model, *EXPANDED[:2])   # never built: its layers "0 (unbuilt)"
        model(X)
        seen[name + "_called"] = _texts(model, {})
    return seen


@pytest.fixture(scope="module")
def cases():
    """Keras's texts and ours, at 80 columns (the table's width follows the terminal's)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "80")
        return _cases(real_keras()), _cases(swiftkeras)


@pytest.mark.parametrize("case", ["outer", "both", "functional", "functional_both", "mid3", "outer3",
                                  "mid4", "mid4_called", "outer4", "outer4_called"])
def test_nested_subclass_summary_is_keras(case, cases):
    ref, ours = (found[case] for found in cases)
    assert ours == ref
    assert "Functional" not in "".join(ours)


def _input_number(lib):
    """How many "input_layer" names a subclassed model's first call (on data, then nested in
    a functional model) takes before the next `keras.Input()`, as Keras names it."""
    _, mid_cls, both_cls = _classes(lib)
    numbers = []
    for call in (lambda: both_cls()(X), lambda: mid_cls()(lib.Input((4,), name="given"))):
        before = lib.Input((4,))._keras_history[0].name
        call()
        after = lib.Input((4,))._keras_history[0].name
        numbers.append([int(re.sub(r"^input_layer_?", "", n) or 0) for n in (before, after)])
    return [b - a for a, b in numbers]


def test_subclassed_call_takes_keras_input_names():
    assert _input_number(swiftkeras) == _input_number(real_keras())
