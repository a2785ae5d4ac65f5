"""Keras's `inner(x, mask=m)` in a functional model's construction, m a symbolic tensor (an
outer boolean Input, raw ops on the input, or the output of a layer written in Python): the
nested model's inputs carry m, so an LSTM inside skips the masked steps and a layer written in
Python inside gets it in its call; the node writes it in its kwargs (`"mask": {keras tensor}`)
as Keras does. Compared with real Keras 3 (jax) in predict, evaluate, a 2-epoch fit from the
same weights, and through .keras files written by either library."""

import json
import re
import zipfile

import numpy as np
import pytest

from conftest import CORE, needs, real_keras
from layer_probes import mask_marker

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_model_call_with_masks")

X = np.linspace(-1, 1, 48, dtype="float32").reshape(6, 4, 2)
for row, kept in enumerate([3, 2, 4, 1, 3, 2]):   # padded steps are zeros
    X[row, kept:] = 0
MASK = np.any(X != 0, axis=-1)
Y = np.linspace(-0.5, 0.5, 6, dtype="float32").reshape(6, 1)


def _nonzero(lib):
    @lib.saving.register_keras_serializable(package="NestedCallMask")
    class NonZeroSteps(lib.layers.Layer):
        def call(self, x):
            return lib.ops.any(lib.ops.not_equal(x, 0), axis=-1)

        def compute_output_shape(self, input_shape):
            return input_shape[:-1]
    return NonZeroSteps


NONZERO = {lib: _nonzero(lib) for lib in (sk, keras)}
PROBES = {lib: mask_marker(lib, "NestedCallMaskProbe", "NestedCallMask") for lib in (sk, keras)}
SOURCES = ["input", "ops", "python_layer"]
INNERS = ["lstm", "python_probe"]


def _model(lib, source, inner_kind):
    xi = lib.Input((4, 2))
    if inner_kind == "lstm":
        inner = lib.Model(xi, lib.layers.LSTM(3)(xi), name="inner")
    else:   # a layer written in Python inside, then a pooling that keeps the mask
        inner = lib.Model(xi, lib.layers.GlobalAveragePooling1D()(PROBES[lib]()(xi)), name="inner")
    x = lib.Input((4, 2))
    if source == "input":
        m = lib.Input((4,), dtype="bool", name="m")   # named: files name the mask by its layer
        inputs = [x, m]
    elif source == "ops":
        m = lib.ops.any(lib.ops.not_equal(x, 0), axis=-1)
        inputs = x
    else:
        m = NONZERO[lib]()(x)
        inputs = x
    model = lib.Model(inputs, lib.layers.Dense(1)(inner(x, mask=m)))
    model.set_weights([np.linspace(-0.5, 0.5, w.size, dtype="float32").reshape(w.shape)
                       for w in model.get_weights()])
    return model


def _data(source):
    return [X, MASK] if source == "input" else X


@pytest.mark.parametrize("inner_kind", INNERS)
@pytest.mark.parametrize("source", SOURCES)
def test_predict_and_evaluate_apply_the_mask_like_keras(source, inner_kind):
    ours, ref = _model(sk, source, inner_kind), _model(keras, source, inner_kind)
    want = ref.predict(_data(source), verbose=0)
    np.testing.assert_allclose(ours.predict(_data(source), verbose=0), want, rtol=1e-5, atol=1e-6)
    # (the mask changes the result: the inner model alone, unmasked, gives another one)
    inner = ref.get_layer("inner")
    unmasked = ref.get_layer(ref.layers[-1].name)(inner(X))
    assert not np.allclose(np.asarray(unmasked), want, atol=1e-3)
    for model in (ours, ref):
        model.compile(optimizer="sgd", loss="mse")
    np.testing.assert_allclose(ours.evaluate(_data(source), Y, verbose=0),
                               ref.evaluate(_data(source), Y, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("source", SOURCES)
def test_fit_through_the_masked_nested_model_like_keras(source):
    ours, ref = _model(sk, source, "lstm"), _model(keras, source, "lstm")
    histories = []
    for model, lib in ((ours, sk), (ref, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.5), loss="mse")
        histories.append(model.fit(_data(source), Y, epochs=2, batch_size=2, shuffle=False,
                                   verbose=0).history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.predict(_data(source), verbose=0),
                               ref.predict(_data(source), verbose=0), rtol=1e-5, atol=1e-5)


def _without_automatic_number(kwargs):
    """The mask's keras_history less the automatic number of an op's name (`any_12`: how many
    `ops.any` this process made before, in each library, depends on the tests run before)."""
    name, node, tensor = kwargs["mask"]["config"]["keras_history"]
    return [re.sub(r"_\d+$", "", name), node, tensor]


def _nested_node_kwargs(path):
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
    entry = next(e for e in config["config"]["layers"] if e["name"] == "inner")
    return entry["inbound_nodes"][0]["kwargs"]


@pytest.mark.parametrize("inner_kind", INNERS)
@pytest.mark.parametrize("source", SOURCES)
def test_keras_files_both_ways_keep_the_mask(source, inner_kind, tmp_path):
    ours, ref = _model(sk, source, inner_kind), _model(keras, source, inner_kind)
    want = ref.predict(_data(source), verbose=0)
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "theirs.keras")
    for path in ("ours.keras", "theirs.keras"):
        mask = _nested_node_kwargs(tmp_path / path)["mask"]
        assert mask["class_name"] == "__keras_tensor__", path
        assert mask["config"]["shape"] == [None, 4], path
        loaded = sk.saving.load_model(tmp_path / path)
        np.testing.assert_allclose(loaded.predict(_data(source), verbose=0), want, rtol=1e-5, atol=1e-6,
                                   err_msg=path)
    assert _without_automatic_number(_nested_node_kwargs(tmp_path / "ours.keras")) == \
        _without_automatic_number(_nested_node_kwargs(tmp_path / "theirs.keras"))
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "ours.keras").predict(_data(source), verbose=0),
                               want, rtol=1e-5, atol=1e-6)
    # saved again after loading: the node still records the mask
    sk.saving.load_model(tmp_path / "theirs.keras").save(tmp_path / "again.keras")
    assert _nested_node_kwargs(tmp_path / "again.keras")["mask"]["class_name"] == "__keras_tensor__"


def _wrapped(lib):
    """The nested model called with `mask=` inside the call of a layer written in Python."""
    class MaskedCall(lib.layers.Layer):
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, x):
            return self.inner(x, mask=lib.ops.any(lib.ops.not_equal(x, 0), axis=-1))
    xi = lib.Input((4, 2))
    inner = lib.Model(xi, lib.layers.LSTM(3)(xi), name="inner")
    x = lib.Input((4, 2))
    model = lib.Model(x, lib.layers.Dense(1)(MaskedCall(inner)(x)))
    model.set_weights([np.linspace(-0.5, 0.5, w.size, dtype="float32").reshape(w.shape)
                       for w in model.get_weights()])
    return model, inner


def test_a_nested_model_called_with_a_mask_in_a_python_layers_call_is_keras():
    (ours, our_inner), (ref, ref_inner) = _wrapped(sk), _wrapped(keras)
    want = ref.predict(X, verbose=0)
    np.testing.assert_allclose(ours.predict(X, verbose=0), want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(np.asarray(ref.layers[-1](ref_inner(X))), want, atol=1e-3)
    histories = []
    for model, lib in ((ours, sk), (ref, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.5), loss="mse")
        histories.append(model.fit(X, Y, epochs=2, batch_size=2, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)
    # the inner model's own variables were trained (shared, as in Keras)
    for got, want in zip(our_inner.get_weights(), ref_inner.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_masks_that_do_not_fit_the_symbolic_call_are_refused():
    xi = sk.Input((4, 2))
    inner = sk.Model(xi, sk.layers.LSTM(3)(xi))
    x = sk.Input((4, 2))
    with pytest.raises(ValueError, match="does not fit"):
        inner(x, mask=sk.Input((5,), dtype="bool"))
    with pytest.raises(ValueError, match="2 mask"):
        inner(x, mask=[sk.Input((4,), dtype="bool"), sk.Input((4,), dtype="bool")])
    with pytest.raises(TypeError, match="symbolic tensor"):
        inner(x, mask=MASK)
    # (a fitting one is taken)
    assert tuple(inner(x, mask=sk.Input((4,), dtype="bool")).shape) == (None, 3)


def _lstm_model(lib, sequences=False):
    xi = lib.Input((4, 2))
    return lib.Model(xi, lib.layers.LSTM(3, return_sequences=sequences)(xi))


def _more(lib, case):
    """Other ways Keras users give nested models masks."""
    layers = lib.layers
    x = lib.Input((4, 2))
    if case == "masking_before_nested":
        y = _lstm_model(lib)(layers.Masking()(x))
    elif case == "concatenate_of_nested_outputs":   # one masked branch, one not: Keras's any
        y = layers.LSTM(2)(layers.Concatenate()([_lstm_model(lib, True)(layers.Masking()(x)),
                                                 _lstm_model(lib, True)(x)]))
    elif case == "concatenate_along_steps":
        masked = layers.Masking()(x)
        y = layers.GlobalAveragePooling1D()(layers.Concatenate(axis=1)(
            [_lstm_model(lib, True)(masked), _lstm_model(lib, True)(masked)]))
    elif case == "mask_made_inside_nested":   # the nested model's output mask reaches the LSTM after
        xi = lib.Input((4, 2))
        y = layers.LSTM(3)(lib.Model(xi, layers.Masking()(xi))(x))
    elif case == "sequential_called_with_mask":
        inner = lib.Sequential([lib.Input((4, 2)), layers.LSTM(3)])
        y = inner(x, mask=lib.ops.any(lib.ops.not_equal(x, 0), axis=-1))
    elif case == "masks_of_two_inputs":
        a, b = lib.Input((4, 2)), lib.Input((4, 2))
        inner = lib.Model([a, b], layers.Concatenate()([layers.LSTM(3)(a), layers.LSTM(2)(b)]))
        y = inner([x, layers.Activation("tanh")(x)], mask=[lib.ops.any(lib.ops.not_equal(x, 0), axis=-1), None])
    model = lib.Model(x, layers.Dense(1)(y))
    model.set_weights([np.linspace(-0.5, 0.5, w.size, dtype="float32").reshape(w.shape)
                       for w in model.get_weights()])
    return model


@pytest.mark.parametrize("case", ["masking_before_nested", "concatenate_of_nested_outputs",
                                  "concatenate_along_steps", "mask_made_inside_nested",
                                  "sequential_called_with_mask", "masks_of_two_inputs"])
def test_more_masks_through_nested_models_like_keras(case, tmp_path):
    _predicts_loads_and_fits_alike(_more(sk, case), _more(keras, case), X, tmp_path)


def _predicts_loads_and_fits_alike(ours, ref, data, tmp_path):
    """Ours predicts as Keras's `ref` on `data`, each library loads the other's .keras file
    predicting the same, and a two-epoch SGD fit from the same weights logs Keras's losses."""
    want = ref.predict(data, verbose=0)
    np.testing.assert_allclose(ours.predict(data, verbose=0), want, rtol=1e-5, atol=1e-6)
    ref.save(tmp_path / "theirs.keras")
    ours.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(sk.saving.load_model(tmp_path / "theirs.keras").predict(data, verbose=0), want,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "ours.keras").predict(data, verbose=0), want,
                               rtol=1e-5, atol=1e-6)
    histories = []
    for model, lib in ((ours, sk), (ref, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.5), loss="mse")
        histories.append(model.fit(data, Y, epochs=2, batch_size=2, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)


def _sequences(lib, source, dense):
    """The nested model returns sequences: the outputs carry the given mask to the loss."""
    xi = lib.Input((4, 2))
    inner = lib.Model(xi, lib.layers.LSTM(3, return_sequences=True)(xi))
    x = lib.Input((4, 2))
    m = lib.Input((4,), dtype="bool") if source == "input" else lib.ops.any(lib.ops.not_equal(x, 0), axis=-1)
    y = inner(x, mask=m)
    model = lib.Model([x, m] if source == "input" else x, lib.layers.Dense(1)(y) if dense else y)
    model.set_weights([np.linspace(-0.5, 0.5, w.size, dtype="float32").reshape(w.shape)
                       for w in model.get_weights()])
    return model


@pytest.mark.parametrize("source,dense", [("input", True), ("ops", True), ("ops", False)])
def test_the_given_mask_reaches_the_loss_like_keras(source, dense):
    targets = np.linspace(-0.5, 0.5, 24, dtype="float32").reshape(6, 4, 1)
    targets = targets if dense else np.repeat(targets, 3, axis=-1)
    results = []
    for lib in (sk, keras):
        model = _sequences(lib, source, dense)
        model.compile(optimizer=lib.optimizers.SGD(0.5), loss="mse")
        results.append([model.evaluate(_data(source), targets, verbose=0)] +
                       model.fit(_data(source), targets, epochs=2, batch_size=2, shuffle=False,
                                 verbose=0).history["loss"])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)


TOKENS = np.array([[1, 2, 0, 0], [3, 0, 0, 0], [4, 4, 1, 0], [2, 2, 2, 2], [1, 0, 0, 0], [3, 3, 0, 0]], np.int32)


def _kept(lib):
    """mask=[m, None]: Keras's model call sets only the masks given on its inputs, so the
    second input keeps the mask its Embedding(mask_zero=True) gave it."""
    a, b = lib.Input((4, 2)), lib.Input((4, 2))
    inner = lib.Model([a, b], lib.layers.Concatenate()([lib.layers.LSTM(3)(a), lib.layers.LSTM(2)(b)]))
    x, tokens, m = lib.Input((4, 2)), lib.Input((4,), dtype="int32"), lib.Input((4,), dtype="bool")
    embedded = lib.layers.Embedding(5, 2, mask_zero=True)(tokens)
    model = lib.Model([x, tokens, m], lib.layers.Dense(1)(inner([x, embedded], mask=[m, None])))
    model.set_weights([np.linspace(-0.5, 0.5, w.size, dtype="float32").reshape(w.shape)
                       for w in model.get_weights()])
    return model


def test_an_input_given_none_keeps_the_mask_it_carries_like_keras(tmp_path):
    _predicts_loads_and_fits_alike(_kept(sk), _kept(keras), [X, TOKENS, MASK], tmp_path)


def _same_tensor(lib):
    """inner([x, x], mask=[m, None]): Keras's model call sets the mask given on the input
    tensor itself, so the second position, holding the same tensor, is masked too."""
    a, b = lib.Input((4, 2)), lib.Input((4, 2))
    inner = lib.Model([a, b], lib.layers.Concatenate()([lib.layers.LSTM(3)(a), lib.layers.LSTM(2)(b)]))
    x, m = lib.Input((4, 2)), lib.Input((4,), dtype="bool", name="m")
    model = lib.Model([x, m], lib.layers.Dense(1)(inner([x, x], mask=[m, None])))
    model.set_weights([np.linspace(-0.5, 0.5, w.size, dtype="float32").reshape(w.shape)
                       for w in model.get_weights()])
    return model


def test_a_tensor_given_twice_carries_the_mask_given_once_like_keras(tmp_path):
    _predicts_loads_and_fits_alike(_same_tensor(sk), _same_tensor(keras), [X, MASK], tmp_path)
