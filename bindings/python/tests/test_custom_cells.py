"""Recurrent cells written in Python, Keras's guide pattern (a Layer with `state_size`, `build`
and `call(inputs, states)` returning `(output, new_states)`), in RNN(cell) and RNN([cells]):
traced into the library's op graph, they predict, train and save as real Keras 3 (jax backend)
does running the same code; only `keras` differs."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

import swiftkeras

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_state")


def cell_classes(keras):
    """The guide's MinimalRNNCell and a two-state gated cell taking `training`, written against
    `keras` (swiftkeras or real Keras)."""
    ops = keras.ops

    class MinimalRNNCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                          initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                    initializer="uniform", name="recurrent_kernel")
            self.built = True

        def call(self, inputs, states):
            prev_output = states[0]
            h = ops.matmul(inputs, self.kernel)
            output = h + ops.matmul(prev_output, self.recurrent_kernel)
            return output, [output]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class GatedCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = [units, units]

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                    name="recurrent_kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, inputs, states, training=None):
            h, c = states
            z = ops.matmul(inputs, self.kernel)
            gate = ops.sigmoid(z + self.bias)
            c_new = gate * c + (1.0 - gate) * ops.tanh(z + ops.matmul(h, self.recurrent_kernel))
            h_new = ops.tanh(c_new) * gate
            return h_new, [h_new, c_new]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return {"MinimalRNNCell": MinimalRNNCell, "GatedCell": GatedCell}


def _data(n=12, steps=5, features=3, masked=False):
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, size=(n, steps, features)).astype(np.float32)
    if masked:  # padded sequences: the last steps of some samples are all zeros
        for i in range(n):
            x[i, steps - i % 3:] = 0.0
    y = np.tanh(x.sum(axis=(1, 2)))[:, None].astype(np.float32)
    return x, y


def _model(keras, kind, masked=False):
    cells = cell_classes(keras)
    layers = keras.layers
    body = [keras.Input(shape=(5, 3))] + ([layers.Masking(mask_value=0.0)] if masked else [])
    if kind == "minimal":
        body += [layers.RNN(cells["MinimalRNNCell"](4), return_sequences=True),
                 layers.RNN(cells["MinimalRNNCell"](2))]
    elif kind == "gated_backwards":
        body += [layers.RNN(cells["GatedCell"](4), go_backwards=True, return_sequences=True),
                 layers.GlobalAveragePooling1D()]
    elif kind == "bidirectional":
        with keras.utils.CustomObjectScope(cells):  # Keras clones the layer through its config
            body += [layers.Bidirectional(layers.RNN(cells["GatedCell"](3), return_sequences=True)),
                     layers.GlobalAveragePooling1D()]
    elif kind == "stacked":  # a list of cells: StackedRNNCells
        body += [layers.RNN([cells["MinimalRNNCell"](4), cells["GatedCell"](3)])]
    else:
        # Masked, a stack outputs its last cell's first state on masked steps where every cell's
        # state_size is a list (Keras's jax loop reads states[0] instead when the first cell's
        # is an int, and the first row of the last cell's state when the last one's is).
        body += [layers.RNN([cells["GatedCell"](4), cells["GatedCell"](3)], return_sequences=True),
                 layers.GlobalAveragePooling1D()]
    return keras.Sequential(body + [layers.Dense(1)]), cells


def _initial(model):
    rng = np.random.default_rng(7)
    return [rng.normal(scale=0.4, size=w.shape).astype(np.float32) for w in model.get_weights()]


def _run(keras, kind, masked=False):
    """Predictions, then the loss history and weights after training, from the same weights."""
    x, y = _data(masked=masked)
    model, _ = _model(keras, kind, masked)
    model.set_weights(_initial(model))
    before = model.predict(x, verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    return before, history.history["loss"], model.get_weights()


@pytest.mark.parametrize("kind,masked", [("minimal", False), ("gated_backwards", True),
                                         ("stacked", False), ("stacked_gated", True),
                                         ("bidirectional", True)])
def test_custom_cells_predict_and_train_as_keras(kind, masked):
    keras = real_keras()
    want = _run(keras, kind, masked)
    got = _run(swiftkeras, kind, masked)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)
    assert len(got[2]) == len(want[2])
    for g, w in zip(got[2], want[2]):
        np.testing.assert_allclose(g, w, atol=1e-5)
    # gradients reached the cells' weights: training moved them
    assert not np.allclose(got[2][0], _initial(_model(swiftkeras, kind, masked)[0])[0])


def test_cell_weights_belong_to_the_rnn_layer_and_the_config_names_the_cell():
    model, _ = _model(swiftkeras, "minimal")
    x, _ = _data()
    model.predict(x, verbose=0)
    assert [w.shape for w in model.layers[0].get_weights()] == [(3, 4), (4, 4)]
    rnn = next(e for e in model.get_config()["layers"] if e["class_name"] == "RNN")
    config = rnn["config"]["cell"]
    assert config["class_name"] == "MinimalRNNCell" and config["config"]["units"] == 4


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_models_with_custom_cells_save_and_load_with_custom_objects(tmp_path, suffix):
    x, _ = _data(masked=True)
    model, cells = _model(swiftkeras, "stacked")
    model.set_weights(_initial(model))
    want = model.predict(x, verbose=0)
    path = str(tmp_path / f"cells{suffix}")
    model.save(path)
    loaded = swiftkeras.models.load_model(path, custom_objects=cells)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, atol=1e-6)


def test_files_with_custom_cells_load_in_real_keras_and_back(tmp_path):
    keras = real_keras()
    x, _ = _data(masked=True)
    model, _ = _model(swiftkeras, "stacked")
    model.set_weights(_initial(model))
    want = model.predict(x, verbose=0)
    ours = str(tmp_path / "ours.keras")
    model.save(ours)
    theirs = keras.models.load_model(ours, custom_objects=cell_classes(keras))
    np.testing.assert_allclose(theirs.predict(x, verbose=0), want, atol=1e-5)
    back = str(tmp_path / "theirs.keras")
    theirs.save(back)
    again = swiftkeras.models.load_model(back, custom_objects=cell_classes(swiftkeras))
    np.testing.assert_allclose(again.predict(x, verbose=0), want, atol=1e-5)


def test_cells_that_are_not_traceable_or_wrong_are_clear_errors():
    ops = swiftkeras.ops

    class NumpyCell(swiftkeras.layers.Layer):
        state_size = 2

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

        def call(self, inputs, states):
            h = np.asarray(ops.matmul(inputs, self.kernel)) * 2.0
            return h, [h]

    class WrongStateCell(swiftkeras.layers.Layer):
        state_size = [2, 2]

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")

        def call(self, inputs, states):
            h = ops.matmul(inputs, self.kernel)
            return h, [h]

    x, _ = _data()
    for cell, words in [(NumpyCell(name="numpy_cell"), ["NumpyCell", "swiftkeras.ops"]),
                        (WrongStateCell(name="wrong_cell"), ["WrongStateCell", "1 new state", "2"])]:
        model = swiftkeras.Sequential([swiftkeras.Input(shape=(5, 3)), swiftkeras.layers.RNN(cell)])
        with pytest.raises(Exception) as info:
            model.predict(x, verbose=0)
        assert all(w in str(info.value) for w in words), str(info.value)


def _initial_state_cell(keras):
    """A cell whose get_initial_state starts from a trainable weight (Keras calls it when the
    RNN is given no initial_state)."""
    ops = keras.ops

    class LearnedStartCell(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")
            self.h0 = self.add_weight(shape=(self.units,), initializer="zeros", name="h0")

        def call(self, inputs, states):
            h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel))
            return h, [h]

        def get_initial_state(self, batch_size=None):
            return [ops.ones((batch_size, 1)) * self.h0]

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return LearnedStartCell


def _run_initial_state(keras):
    cell = _initial_state_cell(keras)
    model = keras.Sequential([keras.Input(shape=(5, 3)), keras.layers.RNN(cell(4)), keras.layers.Dense(1)])
    start = _initial(model)
    model.set_weights(start)
    x, y = _data()
    before = model.predict(x, verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0)
    return before, history.history["loss"], model.get_weights(), start


@needs("keras_layer_builder_initial_state")
def test_custom_cell_get_initial_state_as_keras():
    want = _run_initial_state(real_keras())
    got = _run_initial_state(swiftkeras)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)
    for g, w in zip(got[2], want[2]):
        np.testing.assert_allclose(g, w, atol=1e-5)
    # the start state h0 (third weight) moved: its gradient came through get_initial_state
    assert got[2][2].shape == (4,) and np.abs(got[2][2] - got[3][2]).max() > 1e-4
