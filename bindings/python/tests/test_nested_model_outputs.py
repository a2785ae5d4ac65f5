"""Outputs taken straight from the calls of a nested functional model (a tower shared by two
inputs, `Model([a, b], [tower(a), tower(b)])`): Keras numbers those calls from 1 in
`output_layers` (a functional model's node 0 links its own inputs to its outputs) and from 0 in
the calls' arguments. The configs equal Keras's, and `.keras` files pass both ways with Keras's
predictions (each output from its own call)."""

import json
import zipfile

import numpy as np
import pytest

from conftest import needs, real_keras

pytestmark = needs("keras_model_nested_model")

import swiftkeras  # noqa: E402

keras = real_keras()
RNG = np.random.default_rng(3)
A = RNG.normal(size=(5, 4)).astype("float32")
B = RNG.normal(size=(5, 4)).astype("float32")


def _model(lib, layout):
    x = lib.Input((4,), name="tower_in")
    tower = lib.Model(x, lib.layers.Dense(3, name="t")(lib.layers.Dense(6, activation="relu", name="h")(x)),
                      name="tower")
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    ta, tb = tower(a), tower(b)
    outputs = {"pair": [ta, tb], "reversed": [tb, ta],
               "with_head": [tb, lib.layers.Dense(2, name="head")(ta), ta]}[layout]
    return lib.Model([a, b], outputs, name="siamese")


def _output_layers(path):
    return json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["output_layers"]


@pytest.mark.parametrize("layout", ["pair", "reversed", "with_head"])
def test_outputs_of_a_nested_models_calls_pass_both_ways(layout, tmp_path):
    ref = _model(keras, layout)
    ours = _model(swiftkeras, layout)
    ours.set_weights(ref.get_weights())
    expected = [np.asarray(p) for p in ref.predict([A, B], verbose=0)]
    got = ours.predict([A, B], verbose=0)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    assert json.loads(ours.to_json())["config"]["output_layers"] == ref.get_config()["output_layers"]

    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    assert _output_layers(tmp_path / "ours.keras") == _output_layers(tmp_path / "ref.keras")
    for g, e in zip(keras.models.load_model(tmp_path / "ours.keras").predict([A, B], verbose=0), expected):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-5, atol=1e-6)
    for g, e in zip(swiftkeras.models.load_model(tmp_path / "ref.keras").predict([A, B], verbose=0), expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
