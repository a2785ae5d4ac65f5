"""`keras.distillation` (Keras 3.15's Distiller, LogitsDistillation, FeatureDistillation),
against real Keras 3 (jax): the Distiller's traced `compute_loss` (the frozen teacher called in
it) trains the student to Keras's weights, and fit and evaluate log Keras's figures, its
`student_loss`, `distillation_loss` and `total_loss` trackers included (updated inside the
traced step), for the default "kl_divergence" (applied to the temperature-scaled logits, as in
Keras), a KLDivergence instance (softmaxes, times temperature²), a feature loss, weights of the
student loss at 0 and 1, and compiled metrics."""

import numpy as np
import pytest

from conftest import CORE, needs, real_keras

keras = real_keras()
import swiftkeras as sk  # noqa: E402

pytestmark = needs(*CORE, "keras_register_layer", "keras_layer_builder_metric",
                   "keras_model_traced_metrics")

RS = np.random.RandomState(0)
X = RS.normal(size=(44, 6)).astype("float32")   # batches of 8: the last has 4 rows
Y = np.eye(3, dtype="float32")[RS.randint(0, 3, 44)]


def _run(lib, losses, student_loss_weight, weights=None, metrics=None, first=None):
    teacher = lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="relu"),
                              lib.layers.Dense(3)])
    student = lib.Sequential([lib.Input((6,)), lib.layers.Dense(3)])
    rng = np.random.default_rng(1)
    for model in (teacher, student):
        model.set_weights([rng.normal(scale=0.5, size=np.shape(w)).astype("float32")
                           for w in model.get_weights()])
    distiller = lib.distillation.Distiller(teacher, student, losses(lib),
                                           distillation_loss_weights=weights,
                                           student_loss_weight=student_loss_weight)
    distiller.compile(lib.optimizers.SGD(0.1),
                      loss=lib.losses.CategoricalCrossentropy(from_logits=True), metrics=metrics)
    if first == "predict":   # the model built before any fit, without its compute_loss
        np.testing.assert_allclose(distiller.predict(X[:4], verbose=0), student.predict(X[:4], verbose=0))
    elif first == "evaluate":
        distiller.evaluate(X, Y, batch_size=16, verbose=0)
    history = distiller.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0,
                            validation_data=(X[:12], Y[:12]))
    evaluated = distiller.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    return (history.history, evaluated, [np.asarray(w) for w in student.get_weights()],
            [np.asarray(w) for w in teacher.get_weights()],
            float(distiller.distillation_loss_tracker.result()))


CASES = {
    "kl_divergence_default": (lambda lib: lib.distillation.LogitsDistillation(temperature=2.0), 0.5, None, None),
    "kl_instance_and_features": (lambda lib: [
        lib.distillation.LogitsDistillation(temperature=3.0, loss=lib.losses.KLDivergence()),
        lib.distillation.FeatureDistillation(loss="mse")], 0.4, [1.0, 0.3], ["accuracy"]),
    "distillation_only": (lambda lib: lib.distillation.LogitsDistillation(
        temperature=4.0, loss="mse"), 0.0, None, None),
    "student_only": (lambda lib: lib.distillation.FeatureDistillation(loss="mae"), 1.0, None, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_distiller_trains_and_logs_as_keras(case):
    losses, student_weight, weights, metrics = CASES[case]
    ours = _run(sk, losses, student_weight, weights, metrics)
    ref = _run(keras, losses, student_weight, weights, metrics)
    (ours_h, ours_e, ours_s, ours_t, ours_tracker), (ref_h, ref_e, ref_s, ref_t, ref_tracker) = ours, ref
    assert sorted(ours_h) == sorted(ref_h)
    for key in ref_h:
        np.testing.assert_allclose(ours_h[key], ref_h[key], rtol=1e-5, atol=1e-6, err_msg=key)
    assert sorted(ours_e) == sorted(ref_e)
    for key in ref_e:
        np.testing.assert_allclose(ours_e[key], ref_e[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours_s, ref_s):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    for a, b in zip(ours_t, ref_t):   # the teacher is frozen
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(ours_tracker, ref_tracker, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("first", ["predict", "evaluate"])
def test_distiller_called_before_its_first_fit_trains_as_keras(first):
    """A predict (or evaluate) before the first fit builds the Distiller first: the fit after it
    trains to Keras's weights and logs (the traced graph, with the teacher, holds more weights
    than the predict's, which it takes by path)."""
    losses = lambda lib: [lib.distillation.LogitsDistillation(temperature=3.0),   # noqa: E731
                          lib.distillation.FeatureDistillation(loss="mse")]
    ours = _run(sk, losses, 0.4, [1.0, 0.3], None, first=first)
    ref = _run(keras, losses, 0.4, [1.0, 0.3], None, first=first)
    for key in ref[0]:
        np.testing.assert_allclose(ours[0][key], ref[0][key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours[2] + ours[3], ref[2] + ref[3]):   # the student's, the teacher's
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_distiller_arguments_are_checked_as_keras():
    teacher = sk.Sequential([sk.Input((6,)), sk.layers.Dense(3)])
    student = sk.Sequential([sk.Input((6,)), sk.layers.Dense(3)])
    logits = sk.distillation.LogitsDistillation()
    with pytest.raises(ValueError, match="student_loss_weight must be between 0.0 and 1.0"):
        sk.distillation.Distiller(teacher, student, logits, student_loss_weight=1.5)
    with pytest.raises(ValueError, match="'distillation_losses' cannot be `None`"):
        sk.distillation.Distiller(teacher, student, None)
    with pytest.raises(ValueError, match=r"Number of distillation_loss_weights \(1\) must match"):
        sk.distillation.Distiller(teacher, student, [logits, logits], distillation_loss_weights=[1.0])
    with pytest.raises(ValueError, match="temperature must be positive"):
        sk.distillation.LogitsDistillation(temperature=0)
    other = sk.Sequential([sk.Input((6,)), sk.layers.Dense(4)])
    with pytest.raises(ValueError, match="output shapes are incompatible"):
        sk.distillation.Distiller(teacher, other, logits)
    distiller = sk.distillation.Distiller(teacher, student, logits)
    with pytest.raises(ValueError, match="'loss' cannot be `None`"):
        distiller.compile("sgd")


@pytest.mark.parametrize("make", [
    lambda lib: lib.distillation.FeatureDistillation(loss="mae"),
    lambda lib: lib.distillation.LogitsDistillation(temperature=2.0),
    lambda lib: lib.distillation.LogitsDistillation(temperature=3.0, loss=lib.losses.KLDivergence()),
], ids=["feature_mae", "logits_default", "logits_kl_instance"])
def test_distillation_losses_round_trip_their_configs_as_keras(make):
    ours, ref = make(sk), make(keras)
    config = ours.get_config()
    assert type(ours).from_config(config).get_config() == config
    assert sorted(config) == sorted(ref.get_config())
    assert config["loss"]["class_name"] == ref.get_config()["loss"]["class_name"]


def _run_features(lib):
    """Inner-layer features (two FeatureDistillation losses, one with a list of losses over a
    functional student's named layers) next to a logits loss."""
    teacher = lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="relu", name="t_hidden"),
                              lib.layers.Dense(5, activation="tanh", name="t_mid"),
                              lib.layers.Dense(3, name="t_out")])
    inputs = lib.Input((6,))
    hidden = lib.layers.Dense(8, activation="tanh", name="s_hidden")(inputs)
    mid = lib.layers.Dense(5, name="s_mid")(hidden)
    student = lib.Model(inputs, lib.layers.Dense(3, name="s_out")(mid))
    rng = np.random.default_rng(2)
    for model in (teacher, student):
        model.set_weights([rng.normal(scale=0.5, size=np.shape(w)).astype("float32")
                           for w in model.get_weights()])
    distiller = lib.distillation.Distiller(
        teacher, student,
        [lib.distillation.FeatureDistillation(loss="mse", teacher_layer_name="t_hidden",
                                              student_layer_name="s_hidden"),
         lib.distillation.FeatureDistillation(loss="mae", teacher_layer_name="t_mid",
                                              student_layer_name="s_mid"),
         lib.distillation.LogitsDistillation(temperature=2.0)],
        distillation_loss_weights=[0.7, 0.2, 1.0], student_loss_weight=0.3)
    distiller.compile(lib.optimizers.SGD(0.1),
                      loss=lib.losses.CategoricalCrossentropy(from_logits=True))
    history = distiller.fit(X, Y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                            validation_data=(X[:12], Y[:12]))
    evaluated = distiller.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    return (history.history, evaluated, [np.asarray(w) for w in student.get_weights()],
            [np.asarray(w) for w in teacher.get_weights()],
            np.asarray(distiller.predict(X[:10], verbose=0)), np.asarray(student.predict(X[:10], verbose=0)))


def test_feature_distillation_by_layer_name_trains_as_keras():
    """FeatureDistillation(teacher_layer_name=..., student_layer_name=...): the named layers'
    outputs are compared (Keras's feature extractors), the student trains to Keras's weights
    and the logs are Keras's; the Distiller still predicts the student's output."""
    ours, ref = _run_features(sk), _run_features(keras)
    (ours_h, ours_e, ours_s, ours_t, ours_p, ours_sp), (ref_h, ref_e, ref_s, ref_t, ref_p, _) = ours, ref
    assert sorted(ours_h) == sorted(ref_h)
    for key in ref_h:
        np.testing.assert_allclose(ours_h[key], ref_h[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for key in ref_e:
        np.testing.assert_allclose(ours_e[key], ref_e[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for a, b in zip(ours_s, ref_s):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    for a, b in zip(ours_t, ref_t):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(ours_p, ref_p, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours_p, ours_sp, rtol=1e-6, atol=1e-6)


def _run_normalized(lib):
    """A student and a teacher with BatchNormalization, distilled by the normalized features
    and the logits: Keras runs the student twice per step (its call for y_pred, then its feature
    extractor in training mode, in fit and in evaluate alike), the teacher once, frozen."""
    teacher = lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="relu", name="t_hidden"),
                              lib.layers.BatchNormalization(name="t_norm"), lib.layers.Dense(3, name="t_out")])
    student = lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="tanh", name="s_hidden"),
                              lib.layers.BatchNormalization(momentum=0.7, name="s_norm"),
                              lib.layers.Dense(3, name="s_out")])
    rng = np.random.default_rng(1)
    for model in (teacher, student):
        model.set_weights([np.abs(w) + 0.5 if "variance" in v.path else w for v, w in zip(
            model.weights, [rng.normal(scale=0.5, size=np.shape(w)).astype("float32")
                            for w in model.get_weights()])])
    distiller = lib.distillation.Distiller(
        teacher, student,
        [lib.distillation.FeatureDistillation(loss="mse", teacher_layer_name="t_norm",
                                              student_layer_name="s_norm"),
         lib.distillation.LogitsDistillation(temperature=2.0, loss=lib.losses.KLDivergence())],
        distillation_loss_weights=[0.5, 1.0], student_loss_weight=0.3)
    distiller.compile(lib.optimizers.SGD(0.1),
                      loss=lib.losses.CategoricalCrossentropy(from_logits=True))
    history = distiller.fit(X, Y, epochs=2, batch_size=8, shuffle=False, verbose=0,
                            validation_data=(X[:12], Y[:12]))
    seen = {"history": history.history}

    def weights(what):
        seen[what] = [np.asarray(w) for w in student.get_weights()]
    weights("fit")
    seen["evaluate"] = distiller.evaluate(X, Y, batch_size=16, verbose=0, return_dict=True)
    weights("after evaluate")
    seen["predict"] = np.asarray(distiller.predict(X[:10], verbose=0))
    weights("after predict")   # Keras's predict runs no compute_loss: the statistics stay
    seen["teacher"] = [np.asarray(w) for w in teacher.get_weights()]
    return seen


def test_feature_distillation_runs_the_student_as_often_as_keras():
    """A student with BatchNormalization: its moving statistics after fit, evaluate and
    predict are Keras's (1e-5), which runs the student once for y_pred and once more for the
    features, both in training mode when fitting, the features' pass in training mode when
    evaluating too; the weights, History and evaluate's figures are Keras's."""
    ours, ref = _run_normalized(sk), _run_normalized(keras)
    assert sorted(ours["history"]) == sorted(ref["history"])
    for key in ref["history"]:
        np.testing.assert_allclose(ours["history"][key], ref["history"][key], rtol=1e-5, atol=1e-6,
                                   err_msg=key)
    for key in ref["evaluate"]:
        np.testing.assert_allclose(ours["evaluate"][key], ref["evaluate"][key], rtol=1e-5,
                                   atol=1e-6, err_msg=key)
    names = ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance", "kernel", "bias"]
    for what in ("fit", "after evaluate", "after predict"):
        for name, a, b in zip(names, ours[what], ref[what]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=f"{what}: {name}")
    assert not np.allclose(ref["fit"][4], ref["after evaluate"][4])   # evaluate moved them
    np.testing.assert_allclose(ours["predict"], ref["predict"], rtol=1e-5, atol=1e-5)
    for a, b in zip(ours["teacher"], ref["teacher"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("lib", [sk, keras], ids=["swiftkeras", "keras"])
def test_feature_distillation_names_are_checked_as_keras(lib):
    teacher = lib.Sequential([lib.Input((6,)), lib.layers.Dense(3, name="t_out")])
    student = lib.Sequential([lib.Input((6,)), lib.layers.Dense(3, name="s_out")])
    with pytest.raises(ValueError, match="In teacher model: .*no_such"):
        lib.distillation.Distiller(teacher, student, lib.distillation.FeatureDistillation(
            teacher_layer_name="no_such", student_layer_name="s_out"))
    with pytest.raises(ValueError, match="In student model: .*missing"):
        lib.distillation.Distiller(teacher, student, lib.distillation.FeatureDistillation(
            teacher_layer_name="t_out", student_layer_name="missing"))

    class Sub(lib.Model):
        def __init__(self):
            super().__init__()
            self.d = lib.layers.Dense(3)

        def call(self, x):
            return self.d(x)

    with pytest.raises(ValueError, match="requires Functional or Sequential models. The student"):
        lib.distillation.Distiller(teacher, Sub(), lib.distillation.FeatureDistillation(
            teacher_layer_name="t_out", student_layer_name="d"))
