"""Keras 3's TensorBoard, SwapEMAWeights, RemoteMonitor and CallbackList (issue 18): event files
read back with the tensorboard package's own reader, posts to a server on 127.0.0.1, arguments
and defaults against real Keras's signatures."""

import inspect
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

from swiftkeras import _catalog, callbacks, layers, optimizers
from swiftkeras.models import Sequential

NEW = ["TensorBoard", "SwapEMAWeights", "RemoteMonitor", "BackupAndRestore"]


def _data(n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def _model(optimizer="adam"):
    model = Sequential([layers.Input((3,)), layers.Dense(4), layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


@needs("keras_catalog_json")
def test_arguments_and_defaults_are_kerass():
    keras = real_keras()
    entries = _catalog.catalog()["callbacks"]
    for name in NEW:
        ours = [(a["name"], inspect.Parameter.empty if a.get("required") else a.get("default"))
                for a in entries[name]["args"]]
        theirs = [(p.name, p.default) for p in inspect.signature(getattr(keras.callbacks, name)).parameters.values()]
        assert ours == theirs, name
        assert name in callbacks.__all__ and isinstance(getattr(callbacks, name), type)
    assert callbacks.TensorBoard("logs", 1).get_config() == {"log_dir": "logs", "histogram_freq": 1}


@needs(*CORE)
def test_tensorboard_event_files_read_by_tensorboard(tmp_path):
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from tensorboard.plugins.histogram.summary_v2 import histogram_pb
    from tensorboard.util import tensor_util

    x, y = _data()
    model = _model()
    logs = tmp_path / "logs"
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[callbacks.TensorBoard(logs, histogram_freq=1, update_freq=2)]).history

    def run(name):
        acc = ea.EventAccumulator(str(logs / name), size_guidance={ea.TENSORS: 0})
        acc.Reload()
        return acc

    def series(acc, tag):
        events = acc.Tensors(tag)
        return [e.step for e in events], [tensor_util.make_ndarray(e.tensor_proto) for e in events]

    train, validation = run("train"), run("validation")
    assert train.SummaryMetadata("epoch_loss").plugin_data.plugin_name == "scalars"
    for key in ("loss", "mae"):
        steps, values = series(train, f"epoch_{key}")
        assert steps == [0, 1, 2]
        np.testing.assert_allclose([v.item() for v in values], history[key], rtol=1e-6)
        steps, values = series(validation, f"epoch_{key}")
        np.testing.assert_allclose([v.item() for v in values], history[f"val_{key}"], rtol=1e-6)
    steps, values = series(train, "epoch_learning_rate")
    np.testing.assert_allclose([v.item() for v in values], [0.001] * 3, rtol=1e-6)
    assert series(train, "batch_loss")[0] == [2, 4, 6, 8, 10, 12]  # 30 samples: 4 batches an epoch
    assert series(validation, "evaluation_loss_vs_iterations")[0] == [4, 8, 12]
    np.testing.assert_allclose([v.item() for v in series(validation, "evaluation_loss_vs_iterations")[1]],
                               history["val_loss"], rtol=1e-6)

    keras_model = train.Tensors("keras")[0]
    assert train.SummaryMetadata("keras").plugin_data.plugin_name == "graph_keras_model"
    assert json.loads(tensor_util.make_ndarray(keras_model.tensor_proto).item())["class_name"] == "Sequential"

    histograms = sorted(t for t in train.Tags()[ea.TENSORS] if t.endswith("/histogram"))
    assert len(histograms) == 4
    assert all(train.SummaryMetadata(t).plugin_data.plugin_name == "histograms" for t in histograms)
    weights = dict(zip(sorted(f"{model.name}/{layer.name}/{w}/histogram" for layer in model.layers
                              for w in ("bias", "kernel")), [None] * 4))
    assert sorted(weights) == histograms
    final = {f"{model.name}/{layer.name}/{w}/histogram": v for layer in model.layers
             for w, v in zip(("kernel", "bias"), layer.get_weights())}
    for tag in histograms:
        steps, values = series(train, tag)
        assert steps == [0, 1, 2] and values[-1].shape == (30, 3)
        expected = tensor_util.make_ndarray(histogram_pb(tag, final[tag]).value[0].tensor)
        np.testing.assert_allclose(values[-1], expected, rtol=1e-6, atol=1e-7)


def _png_pixels(png):
    """(width, height, pixels) of a PNG, decoded with zlib (8-bit grey, filter none)."""
    import struct
    import zlib
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    i, idat = 8, b""
    while i < len(png):
        n, kind = struct.unpack(">I4s", png[i:i + 8])
        if kind == b"IHDR":
            width, height = struct.unpack(">II", png[i + 8:i + 16])
        elif kind == b"IDAT":
            idat += png[i + 8:i + 8 + n]
        i += 12 + n
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, -1)
    return width, height, raw[:, 1:]


@needs(*CORE)
def test_tensorboard_write_images_as_keras_draws_weights(tmp_path):
    ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    from tensorboard.util import tensor_util

    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[callbacks.TensorBoard(tmp_path, histogram_freq=1, write_images=True)])
    acc = ea.EventAccumulator(str(tmp_path / "train"), size_guidance={ea.TENSORS: 0})
    acc.Reload()
    kernel = model.layers[0].get_weights()[0]  # (3, 4): drawn as it is
    tag = f"{model.name}/{model.layers[0].name}/kernel/image"
    assert acc.SummaryMetadata(tag).plugin_data.plugin_name == "images"
    width, height, *pngs = tensor_util.make_ndarray(acc.Tensors(tag)[0].tensor_proto)
    assert (int(width), int(height)) == (4, 3) and len(pngs) == 1
    w, h, pixels = _png_pixels(pngs[0])
    assert (w, h) == (4, 3)
    np.testing.assert_array_equal(pixels, np.clip(kernel * 255.5, 0, 255).astype(np.uint8))


@needs(*CORE)
def test_swap_ema_weights_validates_with_the_moving_averages():
    x, y = _data(16)

    def fit(extra):
        model = _model(optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5))
        model.set_weights(start)
        history = model.fit(x, y, epochs=3, batch_size=4, verbose=0, shuffle=False,
                            validation_data=(x, y), callbacks=extra).history
        return model, history

    start = _model().get_weights()
    plain, plain_history = fit([])
    swapped, swapped_history = fit([callbacks.SwapEMAWeights()])
    # Training is the same (the weights are swapped back after each validation); validation
    # uses the averages.
    np.testing.assert_array_equal(plain_history["loss"], swapped_history["loss"])
    assert all(a != b for a, b in zip(plain_history["val_loss"], swapped_history["val_loss"]))
    for a, b in zip(plain.get_weights(), swapped.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(Exception, match="use_ema=True"):
        _model("sgd").evaluate(x, y, verbose=0, callbacks=[callbacks.SwapEMAWeights()])


@needs(*CORE)
@pytest.mark.parametrize("send_as_json", [False, True])
def test_remote_monitor_posts_to_a_local_server(send_as_json):
    posts = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            posts.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        x, y = _data(8)
        history = _model().fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.RemoteMonitor(
            root=f"http://127.0.0.1:{server.server_port}", send_as_json=send_as_json)]).history
    finally:
        server.shutdown()
        server.server_close()
    assert [p[0] for p in posts] == ["/publish/epoch/end/"] * 2
    for epoch, (_, content_type, body) in enumerate(posts):
        if send_as_json:
            assert content_type == "application/json"
            sent = json.loads(body)
        else:
            assert content_type == "application/x-www-form-urlencoded"
            sent = json.loads(urllib.parse.parse_qs(body)["data"][0])
        assert sent["epoch"] == epoch
        assert sent["loss"] == pytest.approx(history["loss"][epoch], rel=1e-12)


@needs(*CORE)
def test_remote_monitor_warns_when_nobody_listens(capfd):
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()
    x, y = _data(8)
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.RemoteMonitor(root=f"http://127.0.0.1:{port}")])
    assert f"Could not reach RemoteMonitor root server at http://127.0.0.1:{port}" in capfd.readouterr().err


@needs(*CORE)
def test_callback_list_in_fit_and_in_a_custom_loop():
    seen = []

    class Recorder(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(logs)))

    x, y = _data(8)
    model = _model()
    cbs = callbacks.CallbackList([Recorder(), callbacks.CallbackList([callbacks.TerminateOnNaN()])])
    model.fit(x, y, epochs=2, verbose=0, callbacks=cbs)
    assert seen == [(0, ["loss", "mae"]), (1, ["loss", "mae"])]
    manual = callbacks.CallbackList([Recorder()], add_history=True, model=model, epochs=1)
    assert manual.callbacks[0].model is model and manual.callbacks[0].params == {"epochs": 1}
    manual.on_epoch_end(5, {"loss": 0.5})
    assert seen[-1] == (5, ["loss"]) and manual._history.history == {"loss": [0.5]}
    # Called by hand, the library's callbacks need the model they act on ...
    with pytest.raises(ValueError, match=r"TerminateOnNaN runs in the library, on a model"):
        cbs.on_epoch_end(0, {})
    # ... and then fire in the library: TerminateOnNaN stops at a batch whose loss is NaN.
    cbs.set_model(model)
    model.stop_training = False
    cbs.on_train_batch_end(0, {"loss": 0.5})
    assert not model.stop_training
    cbs.on_train_batch_end(1, {"loss": float("nan")})
    assert model.stop_training


def test_callback_list_progress_bar_in_a_custom_loop(capsys):
    cbs = callbacks.CallbackList(add_progbar=True, epochs=2, steps=2, verbose=1)
    assert isinstance(cbs.callbacks[0], callbacks.ProgbarLogger)
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        for batch in range(2):
            cbs.on_train_batch_end(batch, {"loss": 0.25 * (batch + 1)})
        cbs.on_epoch_end(epoch, {"loss": 0.5})
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    # Each figure as given (Keras 3 averages nothing again): the batch's 0.5, then the epoch's.
    assert "1/2 [" in out and "loss: 0.2500" in out and "2/2 [" in out and "loss: 0.5000\n" in out


@needs(*CORE)
def test_backup_and_restore_resumes_an_interrupted_fit(tmp_path):
    x, y = _data(16)
    whole = _model()
    start = whole.get_weights()
    whole.fit(x, y, epochs=4, batch_size=4, verbose=0, shuffle=False)

    class Crash(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise RuntimeError("interrupted")

    backup = tmp_path / "backup"
    resumed = _model()
    resumed.set_weights(start)
    with pytest.raises(RuntimeError, match="interrupted"):
        resumed.fit(x, y, epochs=4, batch_size=4, verbose=0, shuffle=False,
                    callbacks=[callbacks.BackupAndRestore(backup), Crash()])
    assert json.loads((backup / "training_metadata.json").read_text()) == {"epoch": 2, "batch": 0}
    fresh = _model()
    fresh.set_weights(start)
    history = fresh.fit(x, y, epochs=4, batch_size=4, verbose=0, shuffle=False,
                        callbacks=[callbacks.BackupAndRestore(backup)])
    assert len(history.history["loss"]) == 2  # epochs 2 and 3
    for a, b in zip(fresh.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not backup.exists()
