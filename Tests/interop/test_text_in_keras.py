"""A text model (string Input -> TextVectorization adapted here -> Embedding -> pooling -> Dense),
trained by SwiftKeras (TextInteropExportTests), loads in real Keras 3 from .keras and .h5 with its
vocabulary and predicts the same numbers (1e-5). Keras's TextVectorization needs TensorFlow: the
test is skipped without it (run it with /work/venv-tf/bin/python -m pytest)."""
import json
import os

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
import keras  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.environ.get("SWIFTKERAS_INTEROP_OUT", os.path.join(ROOT, ".build", "interop"))


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_swift_text_model_loads_in_keras(ext):
    with open(os.path.join(OUT, "swift_text.expected.json")) as f:
        e = json.load(f)
    model = keras.models.load_model(os.path.join(OUT, f"swift_text.{ext}"), compile=ext == "keras")
    layer = model.get_layer("vectorize")
    assert type(layer).__name__ == "TextVectorization"
    assert len(layer.get_vocabulary()) > 2, "the adapted vocabulary travelled"
    probe = tf.constant(np.array(e["inputs"]).reshape(-1, 1))
    np.testing.assert_allclose(np.asarray(model.predict(probe, verbose=0)).reshape(-1), e["outputs"], atol=1e-5)


def test_swift_lookup_assets_load_in_keras():
    """Adapted StringLookup (one_hot), IntegerLookup (multi_hot) and tf_idf TextVectorization,
    and a StringLookup given its vocabulary (LookupInteropExportTests): the .keras file holds the
    adapted vocabularies as Keras writes them (assets/<layer path>/vocabulary.txt, the config's
    vocabulary None, tf_idf weights as the idf_weights variable), and Keras predicts the same."""
    import zipfile
    path = os.path.join(OUT, "swift_lookup.keras")
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        config = json.loads(z.read("config.json"))
        assert z.read("assets/layers/string_lookup/vocabulary.txt").decode() == "[UNK]\nb\na\nc"
    assert {"assets/layers/integer_lookup/vocabulary.txt", "assets/layers/text_vectorization/vocabulary.txt",
            "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt"} <= names
    assert "assets/layers/string_lookup_1/vocabulary.txt" not in names
    configs = {l["config"]["name"]: l["config"] for l in config["config"]["layers"]}
    assert [configs[n]["vocabulary"] for n in ("words", "ids", "text")] == [None, None, None]
    assert configs["given"]["vocabulary"] == ["x", "y"]
    with open(os.path.join(OUT, "swift_lookup.expected.json")) as f:
        e = json.load(f)
    model = keras.models.load_model(path)
    assert model.get_layer("words").get_vocabulary() == ["[UNK]", "b", "a", "c"]
    assert model.get_layer("ids").get_vocabulary() == [-1, 7, 3, 5]
    assert model.get_layer("text").get_vocabulary()[:3] == ["[UNK]", "the", "dog"]
    s = e["strings"]
    inputs = [tf.constant(np.array(s[0]).reshape(3, 1)), tf.constant(np.array(e["ids"], "float32").reshape(3, 1)),
              tf.constant(np.array(s[2]).reshape(3, 1)), tf.constant(np.array(s[3]).reshape(3, 2))]
    np.testing.assert_allclose(np.asarray(model(inputs)).reshape(-1), e["outputs"], atol=1e-5)
