"""Keras's automatic names: every optimizer, and the metric classes whose `name` defaults to
None (AUC, Precision, the IoUs...), are named per process when made without a name (`adam`,
`adam_1`; `auc`, `auc_1`), the others keep their fixed default (`mean`, `huber_loss`); layers
and models count the same way. History keys and logs come from those names, a name met again
among the compiled metrics numbered (`mae`, `mae_1`) and a weighted one's as `weighted_<name>`.
The numbering depends on everything made before in the process, so the same script runs in a
fresh interpreter with real Keras and with swiftkeras, and prints the same."""

import json
import os
import subprocess
import sys

import pytest

from conftest import CORE, keras_reference, needs, real_keras

keras = real_keras()

pytestmark = needs(*CORE, "keras_catalog_json")

SCRIPT = r'''
import json, sys
import numpy as np
if sys.argv[1] == "swiftkeras":
    import swiftkeras as keras
else:
    import keras
out = {}
required = {"IoU": dict(num_classes=3, target_class_ids=[0]), "MeanIoU": dict(num_classes=3),
            "OneHotIoU": dict(num_classes=3, target_class_ids=[1]), "OneHotMeanIoU": dict(num_classes=3),
            "PrecisionAtRecall": dict(recall=0.5), "RecallAtPrecision": dict(precision=0.5),
            "SensitivityAtSpecificity": dict(specificity=0.5),
            "SpecificityAtSensitivity": dict(sensitivity=0.5)}
for family, names in json.loads(sys.argv[2]).items():
    module = getattr(keras, family)
    for name in names:
        made = [getattr(module, name)(**required.get(name, {})) for _ in range(2)]
        out[f"{family}.{name}"] = [m.name for m in made] + [made[1].get_config()["name"]]
out["iterations"] = keras.optimizers.SGD().iterations.path
out["layers"] = [keras.layers.Dense(2).name, keras.layers.Dense(2).name, keras.Sequential().name,
                 keras.Sequential().name]
x = np.linspace(0, 1, 24, dtype="float32").reshape(8, 3)
y = np.linspace(0, 1, 8, dtype="float32").reshape(8, 1)
fits = [dict(metrics=["mae"], weighted_metrics=["mae"]),
        dict(metrics=["mae", "mae", keras.metrics.MeanAbsoluteError(), keras.metrics.MeanAbsoluteError()]),
        dict(metrics=[keras.metrics.MeanAbsoluteError(name="mae"), "mae",
                      keras.metrics.MeanAbsoluteError(name="mae_1")], weighted_metrics=["mae", "mae"]),
        dict(metrics=[keras.metrics.AUC(), keras.metrics.AUC(), keras.metrics.Precision(), "auc"],
             weighted_metrics=[keras.metrics.AUC()])]
for i, compiled in enumerate(fits):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(), "mse", **compiled)
    history = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25)
    # (as sets: JAX sorts a dict's keys where this library keeps Keras's order of the metrics)
    out[f"fit{i}"] = sorted(history.history)
    out[f"evaluate{i}"] = sorted(model.evaluate(x, y, verbose=0, return_dict=True))
    out[f"optimizer{i}"] = model.optimizer.name
print(json.dumps(out))
'''


SKIPPED = {"Optimizer", "LossScaleOptimizer", "MultiOptimizer", "OptimizerMap", "Loss", "Metric",
           "MeanMetricWrapper", "Reduce", "LossFunctionWrapper"}


def _run(module, classes, folder):
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, module, json.dumps(classes)], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _keras_classes(keras):
    """Real Keras's classes of each family the script makes (but the abstract ones)."""
    return {family: sorted(n for n in dir(getattr(keras, family))
                           if isinstance(getattr(getattr(keras, family), n), type) and n not in SKIPPED)
            for family in ("optimizers", "metrics", "losses")}


def _keras_names(folder):
    """The script's output in real Keras for all of `_keras_classes` (each class's names count
    on their own, by the class's name: a class the library lacks changes no other's), as
    scripts/make_keras_reference_fixtures.py writes it to a fixture: each value an array of
    text (the script in a Keras process was two thirds of the test's time)."""
    import numpy as np
    return {k: [np.array(v)] for k, v in _run("keras", _keras_classes(keras), folder).items()}


def test_automatic_names_and_log_keys_are_keras(tmp_path):
    import swiftkeras as sk
    classes = {family: [n for n in names if hasattr(getattr(sk, family), n)]
               for family, names in _keras_classes(keras).items()}
    ours = _run("swiftkeras", classes, tmp_path)
    made = {f"{family}.{n}" for family, names in classes.items() for n in names}
    theirs = {k: v[0].tolist() for k, v in keras_reference("models", "keras_auto_names.json").items()
              if "." not in k or k in made}
    assert made <= set(theirs), "a Keras class the fixture lacks: run make_keras_reference_fixtures.py"
    differing = {k: (ours.get(k), theirs[k]) for k in theirs if ours.get(k) != theirs[k]}
    assert not differing, f"(ours, Keras's): {differing}"
    assert theirs["metrics.AUC"] == ["auc", "auc_1", "auc_1"]   # the script sees numbering at all
    assert len(classes["optimizers"]) > 10 and len(classes["metrics"]) > 30


@pytest.mark.parametrize("cls", ["Adam", "SGD", "RMSprop"])
def test_a_numbered_optimizer_compiles_and_saves_under_its_name(cls, tmp_path):
    import zipfile

    import numpy as np

    import swiftkeras as sk
    sk.optimizers.get(cls)   # a first one, so that the next is numbered
    optimizer = getattr(sk.optimizers, cls)()
    assert optimizer.name.rsplit("_", 1)[-1].isdigit(), optimizer.name
    model = sk.Sequential([sk.Input((2,)), sk.layers.Dense(1)])
    model.compile(optimizer, "mse")
    model.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    saved = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    assert saved["compile_config"]["optimizer"]["config"]["name"] == optimizer.name
    assert keras.models.load_model(tmp_path / "m.keras").optimizer.name == optimizer.name
