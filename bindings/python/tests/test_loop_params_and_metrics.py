"""What fit, evaluate and predict leave where a Keras user reads them, as Keras 3 leaves them:
`callback.params` and `History.params` ({"verbose", "epochs", "steps"}: the raw verbose, the
steps of an epoch over the training rows), and `model.metrics` / `get_metrics_result()` holding
the figures of the last fit (its validation where it has one), evaluate, train_on_batch or
test_on_batch (before: the loss tracker read 0 and the compiled metrics nothing)."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE)

RS = np.random.RandomState(0)
X = RS.normal(size=(33, 4)).astype("float32")
Y = RS.randint(0, 3, 33)


def _model(k, weights=None):
    inp = k.Input((4,))
    model = k.Model(inp, k.layers.Dense(3, activation="softmax")(inp))
    model.compile(optimizer=k.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    if weights is not None:
        model.set_weights(weights)
    return model


def _both():
    theirs = _model(keras)
    return theirs, _model(sk, theirs.get_weights())


def _recorder(k, seen):
    class Recorder(k.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(("train", dict(self.params)))

        def on_test_begin(self, logs=None):
            seen.append(("test", dict(self.params)))

        def on_predict_begin(self, logs=None):
            seen.append(("predict", dict(self.params)))
    return Recorder()


FITS = [dict(validation_split=0.25, batch_size=8), dict(batch_size=5), dict(steps_per_epoch=2, batch_size=4),
        dict(), dict(validation_data=(X[:5], Y[:5]), verbose=2)]


@pytest.mark.parametrize("options", FITS, ids=["split", "batch5", "steps", "defaults", "val_data"])
def test_fit_params_of_callbacks_and_history(options):
    results = []
    for k, model in zip((keras, sk), _both()):
        seen = []
        history = model.fit(X, Y, epochs=2, callbacks=[_recorder(k, seen)], **{"verbose": 0, **options})
        results.append((seen, history.params))
    assert results[1] == results[0]


def test_evaluate_and_predict_params():
    results = []
    for k, model in zip((keras, sk), _both()):
        seen = []
        model.evaluate(X, Y, verbose=0, batch_size=10, callbacks=[_recorder(k, seen)])
        model.predict(X, verbose=0, callbacks=[_recorder(k, seen)])
        model.predict(X, verbose=0, batch_size=4, callbacks=[_recorder(k, seen)])
        results.append(seen)
    assert results[1] == results[0]


def _metric_results(model):
    out = {}
    for metric in model.metrics:
        result = metric.result()
        out.update({k: float(v) for k, v in result.items()} if isinstance(result, dict)
                   else {metric.name: float(result)})
    return out


def test_model_metrics_show_the_last_calls_figures():
    steps = [
        lambda m: m.fit(X, Y, epochs=2, batch_size=8, verbose=0, shuffle=False, validation_split=0.25),
        lambda m: m.fit(X, Y, epochs=1, batch_size=8, verbose=0, shuffle=False),
        lambda m: m.evaluate(X[:10], Y[:10], verbose=0),
        lambda m: m.predict(X, verbose=0),   # (leaves them as they were)
        lambda m: m.train_on_batch(X[:8], Y[:8]),
        lambda m: m.train_on_batch(X[8:16], Y[8:16]),
        lambda m: m.test_on_batch(X[:8], Y[:8]),
        lambda m: m.reset_metrics(),
    ]
    models = _both()
    for i, step in enumerate(steps):
        shown = []
        for model in models:
            step(model)
            shown.append((_metric_results(model), {k: float(v) for k, v in model.get_metrics_result().items()}))
        for ours, theirs in zip(shown[1], shown[0]):
            assert sorted(ours) == sorted(theirs), i
            np.testing.assert_allclose([ours[k] for k in sorted(ours)], [theirs[k] for k in sorted(theirs)],
                                       rtol=2e-5, atol=1e-6, err_msg=f"step {i}")
