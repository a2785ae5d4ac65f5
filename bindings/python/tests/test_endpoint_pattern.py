"""keras.io's endpoint layer pattern (examples/keras_recipes/endpoint_layer_pattern.py): a layer
written in Python called on several tensors, `LogisticEndpoint()(logits, targets,
sample_weight)`, whose call adds a loss object's weighted value with add_loss; the model is
compiled without a loss and fit on a dict of inputs without y. Here as in real Keras 3 from the
same initial weights and data: the same epoch losses (SGD and the example's Adam) and weights,
evaluate / train_on_batch / test_on_batch without y, the node saved as Keras saves it (args and
kwargs), and .keras files loading both ways."""

import json
import zipfile

import numpy as np
import pytest

from conftest import CORE, exec_layers, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_op",
                   "keras_layer_builder_call_arguments", "keras_model_fit_arrays")

# The example's layer, registered so that each library's file names it for the other.
LAYERS = '''
@keras.saving.register_keras_serializable(package="EndpointPattern")
class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, logits, targets=None, sample_weight=None):
        if targets is not None:
            loss = self.loss_fn(targets, logits, sample_weight)
            self.add_loss(loss)
        return keras.ops.softmax(logits)
'''

FEATURES = 764


def _endpoint(lib):
    return exec_layers(LAYERS, lib)["LogisticEndpoint"]


def _model(lib, keyword=False):
    inputs = lib.Input((FEATURES,), name="inputs")
    logits = lib.layers.Dense(1, name="dense")(inputs)
    targets = lib.Input((1,), name="targets")
    sample_weight = lib.Input((1,), name="sample_weight")
    endpoint = _endpoint(lib)(name="logistic_endpoint")
    if keyword:
        preds = endpoint(logits, targets=targets, sample_weight=sample_weight)
    else:
        preds = endpoint(logits, targets, sample_weight)
    return lib.Model([inputs, targets, sample_weight], preds)


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    return {"inputs": rng.random((n, FEATURES)).astype("float32"),
            "targets": rng.random((n, 1)).astype("float32"),
            "sample_weight": rng.random((n, 1)).astype("float32")}


def _pair(keyword=False):
    """(ours, real Keras's) with Keras's initial weights in both."""
    ref = _model(keras, keyword)
    ours = _model(sk, keyword)
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    return ours, ref


def _logistic_loss(model, data):
    """The add_loss term in float64: BinaryCrossentropy(from_logits) of each sample times its
    weight, over the number of samples (Keras's sum_over_batch_size)."""
    kernel, bias = (np.asarray(w, np.float64) for w in model.get_weights())
    z = data["inputs"].astype(np.float64) @ kernel + bias
    t = data["targets"].astype(np.float64)
    per_sample = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return float(np.mean(per_sample * data["sample_weight"]))


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_fit_without_y_has_keras_losses(optimizer):
    ours, ref = _pair()
    data = _data()
    ours.compile(getattr(sk.optimizers, optimizer)(1e-2))
    ref.compile(getattr(keras.optimizers, optimizer)(1e-2))
    first = _logistic_loss(ours, {k: v[:32] for k, v in data.items()})
    initial = ours.get_weights()
    ha = ours.fit(data, epochs=2, batch_size=32, shuffle=False, verbose=0)
    hb = ref.fit(data, epochs=2, batch_size=32, shuffle=False, verbose=0)
    assert list(ha.history) == list(hb.history) == ["loss"]
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)
    # Adam divides by the root of small squared gradients: float32 rounding shows at 1e-5.
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-6 if optimizer == "SGD" else 2e-5)
    # The first batch's loss is the weighted crossentropy of the initial weights.
    one = _model(sk)
    one.set_weights(initial)
    one.compile(sk.optimizers.SGD(0.0))
    np.testing.assert_allclose(one.test_on_batch({k: v[:32] for k, v in data.items()}), first,
                               rtol=1e-5)


def test_evaluate_and_batches_without_y():
    ours, ref = _pair()
    data = _data(64, seed=1)
    ours.compile(sk.optimizers.SGD(0.05))
    ref.compile(keras.optimizers.SGD(0.05))
    np.testing.assert_allclose(ours.evaluate(data, verbose=0), ref.evaluate(data, verbose=0),
                               rtol=1e-5)
    np.testing.assert_allclose(ours.evaluate(data, verbose=0), _logistic_loss(ours, data), rtol=1e-5)
    for _ in range(2):
        np.testing.assert_allclose(ours.train_on_batch(data), ref.train_on_batch(data), rtol=1e-5)
    np.testing.assert_allclose(ours.test_on_batch(data), ref.test_on_batch(data), rtol=1e-5)
    # predict is unaffected: softmax of one logit is ones, as in Keras.
    np.testing.assert_allclose(ours.predict(data, verbose=0), ref.predict(data, verbose=0),
                               rtol=1e-6)


def test_validation_data_without_y():
    """validation_data as the dict of inputs alone (or `(x_val,)`): val_loss is the add_loss
    term, as Keras's."""
    ours, ref = _pair()
    data, val = _data(64, seed=5), _data(32, seed=6)
    ours.compile(sk.optimizers.SGD(0.05))
    ref.compile(keras.optimizers.SGD(0.05))
    ha = ours.fit(data, validation_data=val, epochs=1, batch_size=16, shuffle=False, verbose=0)
    hb = ref.fit(data, validation_data=val, epochs=1, batch_size=16, shuffle=False, verbose=0)
    hc = ours.fit(data, validation_data=(val,), epochs=1, batch_size=16, shuffle=False, verbose=0)
    hd = ref.fit(data, validation_data=(val,), epochs=1, batch_size=16, shuffle=False, verbose=0)
    for a, b in ((ha, hb), (hc, hd)):
        assert sorted(a.history) == sorted(b.history) == ["loss", "val_loss"]
        for key in ("loss", "val_loss"):
            np.testing.assert_allclose(a.history[key], b.history[key], rtol=1e-5)


def test_keyword_tensors_train_like_positional_ones():
    ours, ref = _pair(keyword=True)
    data = _data(64, seed=2)
    ours.compile(sk.optimizers.SGD(0.05))
    ref.compile(keras.optimizers.SGD(0.05))
    ha = ours.fit(data, epochs=2, batch_size=16, shuffle=False, verbose=0)
    hb = ref.fit(data, epochs=2, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)


SUBCLASSED = '''
class LogReg(keras.Model):
    """The example's subclassed model: the endpoint called with every argument by keyword."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.logistic_endpoint = LogisticEndpoint()

    def call(self, inputs):
        logits = self.dense(inputs["inputs"])
        return self.logistic_endpoint(logits=logits, targets=inputs["targets"],
                                      sample_weight=inputs["sample_weight"])
'''


def test_subclassed_model_with_keyword_call_trains_like_keras():
    data = _data(64, seed=7)
    models = []
    for lib in (sk, keras):
        scope = exec_layers(LAYERS + SUBCLASSED, lib)
        model = scope["LogReg"]()
        model.predict({k: v[:2] for k, v in data.items()}, verbose=0)   # builds it
        models.append(model)
    ours, ref = models
    ours.set_weights([np.asarray(w) for w in ref.get_weights()])
    ours.compile(sk.optimizers.SGD(0.05))
    ref.compile(keras.optimizers.SGD(0.05))
    ha = ours.fit(data, epochs=2, batch_size=16, shuffle=False, verbose=0)
    hb = ref.fit(data, epochs=2, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-5)
    # The inference model of the example: the endpoint without targets adds no loss.
    inputs = sk.Input((FEATURES,), name="inputs")
    preds = _endpoint(sk)()(sk.layers.Dense(1)(inputs), targets=None, sample_weight=None)
    inference = sk.Model(inputs, preds)
    inference.set_weights(ours.get_weights())
    np.testing.assert_allclose(inference.predict(data["inputs"], verbose=0), 1.0)


def _config(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("config.json"))


def _layer_entry(config, name):
    return next(l for l in config["config"]["layers"] if l["name"] == name)


@pytest.mark.parametrize("keyword", [False, True])
def test_saved_node_is_keras_and_files_load_both_ways(tmp_path, keyword):
    ours, ref = _pair(keyword)
    data = _data(32, seed=3)
    ours.compile(sk.optimizers.SGD(0.05))
    ref.compile(keras.optimizers.SGD(0.05))
    ours.save(tmp_path / "ours.keras")
    ref.save(tmp_path / "ref.keras")
    a, b = _config(tmp_path / "ours.keras"), _config(tmp_path / "ref.keras")
    ea, eb = _layer_entry(a, "logistic_endpoint"), _layer_entry(b, "logistic_endpoint")
    assert ea["inbound_nodes"] == eb["inbound_nodes"]
    assert ea["build_config"] == eb["build_config"]
    assert a["config"]["input_layers"] == b["config"]["input_layers"]
    assert a["compile_config"]["loss"] is None and b["compile_config"]["loss"] is None

    scope = {"LogisticEndpoint": _endpoint(keras)}
    theirs_of_ours = keras.saving.load_model(tmp_path / "ours.keras", custom_objects=scope)
    ours_of_theirs = sk.saving.load_model(tmp_path / "ref.keras",
                                          custom_objects={"LogisticEndpoint": _endpoint(sk)})
    for m in (theirs_of_ours, ours_of_theirs):
        for w, v in zip(m.get_weights(), ref.get_weights()):
            np.testing.assert_array_equal(np.asarray(w), np.asarray(v))
    # The loaded models train on the add_loss term as the originals do.
    h_ref = ref.fit(data, epochs=1, batch_size=16, shuffle=False, verbose=0)
    h_loaded = ours_of_theirs.fit(data, epochs=1, batch_size=16, shuffle=False, verbose=0)
    h_keras_loaded = theirs_of_ours.fit(data, epochs=1, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_loaded.history["loss"], h_ref.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(h_keras_loaded.history["loss"], h_ref.history["loss"], rtol=1e-5)


@pytest.mark.parametrize("call", ["inference", "keywords"])
def test_other_calls_are_saved_as_keras_saves_them(tmp_path, call):
    """The example's inference model (`endpoint(logits, targets=None, sample_weight=None)`:
    the plain keyword values in the node) and a call with every argument by keyword (args
    empty, built for the first keyword tensor's shape)."""
    configs = []
    for lib in (sk, keras):
        inputs = lib.Input((FEATURES,), name="inputs")
        logits = lib.layers.Dense(1, name="dense")(inputs)
        endpoint = _endpoint(lib)(name="logistic_endpoint")
        if call == "inference":
            model = lib.Model(inputs, endpoint(logits, targets=None, sample_weight=None))
        else:
            targets = lib.Input((1,), name="targets")
            model = lib.Model([inputs, targets], endpoint(logits=logits, targets=targets))
        model.compile(lib.optimizers.SGD(0.05))
        path = tmp_path / f"{lib.__name__}.keras"
        model.save(path)
        configs.append(_layer_entry(_config(path), "logistic_endpoint"))
    assert configs[0]["inbound_nodes"] == configs[1]["inbound_nodes"]
    assert configs[0]["build_config"] == configs[1]["build_config"]
    loaded = sk.saving.load_model(tmp_path / "keras.keras",
                                  custom_objects={"LogisticEndpoint": _endpoint(sk)})
    x = {"inputs": _data(8)["inputs"], "targets": _data(8)["targets"]}
    np.testing.assert_allclose(loaded.predict(x["inputs"] if call == "inference" else x, verbose=0), 1.0)


def test_no_loss_at_all_is_keras_message():
    """Keras's trainer refuses a step with no compiled loss and no add_loss term ("No loss to
    compute", as its TensorFlow and torch trainers say; its jax trainer reports 0)."""
    inputs = sk.Input((3,))
    model = sk.Model(inputs, sk.layers.Dense(1)(inputs))
    model.compile("adam")
    x = np.ones((4, 3), np.float32)
    with pytest.raises(ValueError, match="No loss to compute. Provide a `loss` argument in"):
        model.fit(x, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="No loss to compute"):
        model.evaluate(x, verbose=0)
    # predict needs no loss.
    assert model.predict(x, verbose=0).shape == (4, 1)


def test_loss_object_on_symbolic_tensors_weighs_like_keras():
    """A loss object called in a traced call (sum_over_batch_size, sum, and a label smoothing):
    the same add_loss values as Keras's."""
    source = '''
class Weighted(keras.layers.Layer):
    def __init__(self, loss, **kwargs):
        super().__init__(**kwargs)
        self.loss_fn = loss

    def call(self, logits, targets, sample_weight):
        self.add_loss(self.loss_fn(targets, logits, sample_weight))
        return logits
'''
    rng = np.random.default_rng(4)
    data = {"x": rng.normal(size=(24, 5)).astype("float32"),
            "t": (rng.random((24, 1)) > 0.5).astype("float32"),
            "w": rng.random((24,)).astype("float32")}
    for config in ({"from_logits": True}, {"from_logits": True, "reduction": "sum"},
                   {"from_logits": True, "label_smoothing": 0.2}):
        values = []
        for lib in (sk, keras):
            cls = exec_layers(source, lib)["Weighted"]
            x, t, w = lib.Input((5,), name="x"), lib.Input((1,), name="t"), lib.Input((), name="w")
            logits = lib.layers.Dense(1, name="dense")(x)
            model = lib.Model([x, t, w], cls(lib.losses.BinaryCrossentropy(**config))(logits, t, w))
            if lib is keras:
                model.set_weights(weights)
            else:
                weights = [rng.normal(size=np.shape(v)).astype("float32") for v in model.get_weights()]
                model.set_weights(weights)
            model.compile(lib.optimizers.SGD(0.0))
            values.append(model.evaluate(data, batch_size=24, verbose=0))
        np.testing.assert_allclose(values[0], values[1], rtol=1e-5, err_msg=str(config))


def test_plain_arguments_reach_call_as_in_keras():
    """Plain values passed by keyword (a numpy scalar too) reach `call` in the model; passed
    positionally they are refused with Keras's message."""
    source = '''
class Scale(keras.layers.Layer):
    def call(self, x, factor=1.0, offset=0.0):
        return x * factor + offset
'''
    x = np.arange(6, dtype="float32").reshape(2, 3)
    outs = []
    for lib in (sk, keras):
        scale = exec_layers(source, lib)["Scale"]
        i = lib.Input((3,))
        model = lib.Model(i, [scale()(i, factor=3.0), scale()(i, factor=np.float32(2.5), offset=1.0)])
        outs.append(model.predict(x, verbose=0))
        with pytest.raises(ValueError, match="Only input tensors may be passed as positional "
                                             "arguments. The following argument value should be "
                                             "passed as a keyword argument: 3.0"):
            scale()(i, 3.0)
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-6)
    np.testing.assert_allclose(outs[0][1], x * 2.5 + 1.0, rtol=1e-6)
