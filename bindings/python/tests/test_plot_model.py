"""keras.utils.plot_model / model_to_dot as Keras 3: a `.dot` file written directly, with
Keras's boxes and edges; images through pydot + Graphviz, or Keras's ImportError without them."""

import re

import pytest

from conftest import CORE, needs

import swiftkeras as keras
from swiftkeras import _plot, layers

pytestmark = needs(*CORE, "keras_model_layer_output")


def _functional():
    a = keras.Input(shape=(4,), name="features")
    h = layers.Dense(3, activation="relu", name="hidden")(a)
    b = layers.Dense(3, name="skip")(a)
    out = layers.Dense(1, name="out")(layers.Add(name="join")([h, b]))
    return keras.Model(a, out, name="net")


def _graph(text):
    ids = dict(re.findall(r"^(\d+) \[label=<.*?<b>([\w]+)</b>", text, re.M))
    edges = {(ids[a], ids[b]) for a, b in re.findall(r"^(\d+) -> (\d+)", text, re.M)}
    return set(ids.values()), edges


def test_plot_model_writes_the_dot_graph_of_a_functional_model(tmp_path):
    path = tmp_path / "net.dot"
    keras.utils.plot_model(_functional(), to_file=str(path), show_shapes=True,
                           show_layer_names=True, show_layer_activations=True, show_trainable=True)
    text = path.read_text()
    assert text.startswith("digraph G {") and "rankdir=TB;" in text and "splines=ortho;" in text
    nodes, edges = _graph(text)
    assert nodes == {"features", "hidden", "skip", "join", "out"}
    assert edges == {("features", "hidden"), ("features", "skip"), ("hidden", "join"),
                     ("skip", "join"), ("join", "out")}
    assert "<b>hidden</b> (Dense)" in text and "Activation: <b>relu</b>" in text
    assert "Input shape: <b>(None, 4)</b>" in text and "Output shape: <b>(None, 3)</b>" in text
    assert "Input shape: <b>[(None, 3), (None, 3)]</b>" in text   # the Add layer's two inputs
    assert "<b>Trainable</b>" in text


def test_sequential_is_a_chain_without_its_input_and_subclassed_is_one_box(tmp_path):
    seq = keras.Sequential([keras.Input((2,)), layers.Dense(2, name="d1"),
                            layers.Dense(1, name="d2")])
    path = tmp_path / "seq.dot"
    keras.utils.plot_model(seq, to_file=str(path), show_layer_names=True, rankdir="LR")
    nodes, edges = _graph(path.read_text())
    assert nodes == {"d1", "d2"} and edges == {("d1", "d2")}
    assert "rankdir=LR;" in path.read_text()

    class Boxed(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(1)

        def call(self, x):
            return self.d(x)

    sub = Boxed()
    with pytest.raises(ValueError, match="has not yet been built"):
        keras.utils.plot_model(sub, to_file=str(tmp_path / "sub.dot"))
    sub.build((None, 3))
    keras.utils.plot_model(sub, to_file=str(tmp_path / "sub.dot"))
    text = (tmp_path / "sub.dot").read_text()
    assert text.count("[label=") == 1 and "<b>Boxed</b>" in text


def test_images_need_pydot_and_graphviz_as_in_keras(tmp_path):
    model = _functional()
    png = tmp_path / "net.png"
    if _plot.check_graphviz():
        keras.utils.plot_model(model, to_file=str(png))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert keras.utils.model_to_dot(model).get_node_list()
    elif not _plot.check_pydot():
        with pytest.raises(ImportError, match=r"You must install pydot \(`pip install pydot`\) "
                                              r"for `plot_model` to work."):
            keras.utils.plot_model(model, to_file=str(png))
        with pytest.raises(ImportError, match="for model_to_dot to work"):
            keras.utils.model_to_dot(model)
    else:
        with pytest.raises(ImportError, match="You must install graphviz"):
            keras.utils.plot_model(model, to_file=str(png))
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        keras.utils.plot_model(model, to_file=str(tmp_path / "x.dot"), colour="red")
