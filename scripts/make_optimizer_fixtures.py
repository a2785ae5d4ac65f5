"""Writes the optimizer and learning-rate-schedule fixtures used by
Tests/KerasTests/Optimizers: real Keras 3 (JAX backend) takes N steps on fixed gradients and
records the weights after each step, the optimizer's get_config(), and schedule values.

    KERAS_BACKEND=jax /work/refvenv/bin/python scripts/make_optimizer_fixtures.py
"""
import inspect
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import optimizers  # noqa: E402
from keras.optimizers import schedules  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "KerasTests", "Fixtures", "optimizers")
STEPS = 6
SHAPES = [[3, 2], [2]]


def f32list(a):
    return [float(v) for v in np.asarray(a, dtype=np.float32).ravel()]


def data(seed, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    initial = [rng.normal(size=s).astype(np.float32) for s in shapes]
    # Gradients of mixed sizes so that the clipping options have something to clip.
    grads = [[(rng.normal(size=s) * (1.5 if step % 2 else 0.4)).astype(np.float32) for s in shapes]
             for step in range(STEPS)]
    return initial, grads


def serialize_schedule(s):
    return keras.saving.serialize_keras_object(s)


def apply_step(opt, grads, variables):
    """opt.apply, except for LossScaleOptimizer, whose stateful apply the JAX backend cannot trace
    (its ops.cond assigns variables): there the stateless path fit uses."""
    if not isinstance(opt, optimizers.LossScaleOptimizer):
        opt.apply(grads, variables)
        return
    if not opt.built:
        opt.build(variables)
    new_vars, new_opt_vars = opt.stateless_apply([v.value for v in opt.variables], grads,
                                                 [v.value for v in variables])
    for v, value in zip(list(variables) + opt.variables, list(new_vars) + list(new_opt_vars)):
        v.assign(value)


def run_case(name, class_name, kwargs, keras_kwargs=None, keep_config=True, seed=0, shapes=SHAPES):
    """kwargs: what the Swift side receives (Keras names, Keras 2 aliases allowed);
    keras_kwargs: what real Keras 3 is given to compute the same thing."""
    keras.backend.clear_session()
    keras_kwargs = dict(kwargs if keras_kwargs is None else keras_kwargs)
    json_kwargs = {}
    for k, v in kwargs.items():
        is_object = isinstance(v, (schedules.LearningRateSchedule, optimizers.Optimizer, optimizers.OptimizerMap))
        json_kwargs[k] = keras.saving.serialize_keras_object(v) if is_object else v
    opt = getattr(optimizers, class_name)(**keras_kwargs)
    initial, grads = data(seed, shapes)
    variables = [keras.Variable(w, name=f"v{i}") for i, w in enumerate(initial)]
    weights = []
    for step in range(STEPS):
        apply_step(opt, [keras.ops.convert_to_tensor(g) for g in grads[step]], variables)
        weights.append([f32list(v.numpy()) for v in variables])
    finalized = None
    if getattr(opt, "inner_optimizer", opt).use_ema:
        opt.finalize_variable_values(variables)
        finalized = [f32list(v.numpy()) for v in variables]
    config = opt.get_config() if keep_config else None
    return {
        "name": name,
        "class_name": class_name,
        "kwargs": json_kwargs,
        "config": config,
        "shapes": shapes,
        "initial": [f32list(w) for w in initial],
        "gradients": [[f32list(g) for g in step] for step in grads],
        "weights": weights,
        "finalized": finalized,
    }


def optimizer_cases():
    exp = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    cos = schedules.CosineDecay(0.0, decay_steps=4, warmup_target=0.1, warmup_steps=2)
    return [
        run_case("sgd_default", "SGD", {}),
        run_case("sgd_momentum", "SGD", {"learning_rate": 0.1, "momentum": 0.9}),
        run_case("sgd_nesterov", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
        # Keras 2 spelling `lr`: Keras 3 only accepts learning_rate, so it computes with that.
        run_case("sgd_lr_alias", "SGD", {"lr": 0.05, "momentum": 0.5},
                 keras_kwargs={"learning_rate": 0.05, "momentum": 0.5}),
        # Keras 2's `decay`: lr / (1 + decay * iterations), which is InverseTimeDecay with
        # decay_steps=1. Keras 3 ignores `decay`, so its config is not comparable.
        run_case("sgd_legacy_decay", "SGD", {"lr": 0.1, "decay": 0.25, "momentum": 0.9, "nesterov": True},
                 keras_kwargs={"learning_rate": schedules.InverseTimeDecay(0.1, 1, 0.25),
                               "momentum": 0.9, "nesterov": True},
                 keep_config=False),
        run_case("sgd_weight_decay", "SGD", {"learning_rate": 0.1, "weight_decay": 0.2}),
        run_case("sgd_clipnorm", "SGD", {"learning_rate": 0.1, "clipnorm": 1.0}),
        run_case("sgd_clipvalue", "SGD", {"learning_rate": 0.1, "clipvalue": 0.5}),
        run_case("sgd_global_clipnorm", "SGD", {"learning_rate": 0.1, "global_clipnorm": 1.5}),
        run_case("sgd_ema", "SGD", {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.8}),
        run_case("sgd_ema_overwrite", "SGD", {"learning_rate": 0.1, "momentum": 0.5, "use_ema": True,
                                               "ema_momentum": 0.7, "ema_overwrite_frequency": 2}),
        run_case("sgd_exponential_decay", "SGD", {"learning_rate": exp, "momentum": 0.9}),
        run_case("sgd_accumulation", "SGD", {"learning_rate": 0.1, "momentum": 0.9, "gradient_accumulation_steps": 2}),
        run_case("sgd_accumulation_loss_scale", "SGD", {"learning_rate": 0.1, "gradient_accumulation_steps": 2,
                                                        "loss_scale_factor": 8.0}),
        run_case("sgd_accumulation_ema_schedule", "SGD", {"learning_rate": exp, "gradient_accumulation_steps": 3,
                                                          "use_ema": True, "ema_momentum": 0.6,
                                                          "ema_overwrite_frequency": 2, "weight_decay": 0.1}),
        run_case("rmsprop_default", "RMSprop", {}),
        run_case("rmsprop_centered_momentum", "RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5,
                                                           "centered": True, "epsilon": 1e-6}),
        run_case("rmsprop_clipnorm", "RMSprop", {"learning_rate": 0.01, "clipnorm": 0.5}),
        run_case("adagrad_default", "Adagrad", {}),
        run_case("adagrad_options", "Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5,
                                                 "epsilon": 1e-6, "weight_decay": 0.05}),
        run_case("adadelta_default", "Adadelta", {}),
        run_case("adadelta_options", "Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}),
        run_case("adam_default", "Adam", {}),
        run_case("adam_amsgrad", "Adam", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.95,
                                          "epsilon": 1e-6, "amsgrad": True}),
        run_case("adam_weight_decay_ema", "Adam", {"learning_rate": 0.05, "weight_decay": 0.1,
                                                   "use_ema": True, "ema_momentum": 0.9}),
        run_case("adam_cosine_warmup", "Adam", {"learning_rate": cos}),
        run_case("adam_accumulation_global_clipnorm", "Adam", {"learning_rate": 0.05, "global_clipnorm": 0.5,
                                                               "gradient_accumulation_steps": 2}),
        run_case("adam_loss_scale_clipnorm", "Adam", {"learning_rate": 0.05, "loss_scale_factor": 4.0, "clipnorm": 0.5}),
        run_case("adamax_default", "Adamax", {}),
        run_case("adamax_options", "Adamax", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.9,
                                              "epsilon": 1e-6, "global_clipnorm": 1.0}),
        run_case("nadam_default", "Nadam", {}),
        run_case("nadam_accumulation", "Nadam", {"learning_rate": 0.05, "gradient_accumulation_steps": 2}),
        run_case("nadam_options", "Nadam", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.95,
                                            "clipvalue": 0.3}),
        run_case("adamw_default", "AdamW", {}),
        run_case("adamw_options", "AdamW", {"learning_rate": 0.05, "weight_decay": 0.1, "amsgrad": True}),
        run_case("lion_default", "Lion", {}),
        run_case("lion_options", "Lion", {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.8,
                                          "weight_decay": 0.1}),
        run_case("adafactor_default", "Adafactor", {}),
        run_case("adafactor_options", "Adafactor", {"learning_rate": 0.3, "beta_2_decay": -0.5, "epsilon_1": 1e-20,
                                                    "epsilon_2": 0.01, "clip_threshold": 0.5,
                                                    "relative_step": False, "weight_decay": 0.05}),
        # Rank 3 (a batch of factored matrices) and rank 1, with EMA and clipnorm.
        run_case("adafactor_rank3_ema", "Adafactor", {"learning_rate": 0.2, "use_ema": True, "ema_momentum": 0.7,
                                                      "clipnorm": 1.0}, shapes=[[2, 3, 4], [4, 1], [3]]),
        run_case("adafactor_schedule", "Adafactor", {"learning_rate": exp, "global_clipnorm": 1.0}),
        run_case("ftrl_default", "Ftrl", {}),
        run_case("ftrl_options", "Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.7,
                                          "initial_accumulator_value": 0.2, "l1_regularization_strength": 0.05,
                                          "l2_regularization_strength": 0.02,
                                          "l2_shrinkage_regularization_strength": 0.03, "beta": 0.5}),
        run_case("ftrl_clipvalue_ema", "Ftrl", {"learning_rate": 0.5, "l1_regularization_strength": 0.3,
                                                "clipvalue": 0.8, "use_ema": True, "weight_decay": 0.1}),
        run_case("lamb_default", "Lamb", {}),
        run_case("lamb_options", "Lamb", {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6,
                                          "weight_decay": 0.1, "global_clipnorm": 1.0}),
        run_case("lamb_accumulation_ema", "Lamb", {"learning_rate": 0.05, "gradient_accumulation_steps": 2,
                                                   "use_ema": True, "ema_momentum": 0.8, "clipnorm": 0.5}),
        # Matrices taller and wider than long (Newton-Schulz transposes the tall one), and a vector (AdamW).
        run_case("muon_default", "Muon", {}, shapes=[[3, 2], [2, 4], [2]]),
        run_case("muon_options", "Muon", {"learning_rate": 0.05, "momentum": 0.8, "nesterov": False, "ns_steps": 3,
                                          "rms_rate": None, "adam_lr_ratio": 0.5, "weight_decay": 0.1,
                                          "adam_weight_decay": None, "exclude_layers": ["v1"],
                                          "muon_a": 3.0, "muon_b": -4.0, "muon_c": 1.5},
                 shapes=[[3, 2], [2, 4], [2]]),
        run_case("muon_ema_clipnorm", "Muon", {"learning_rate": 0.02, "use_ema": True, "clipnorm": 1.0,
                                               "weight_decay": None}, shapes=[[4, 3], [3]]),
        run_case("schedule_free_adamw_default", "ScheduleFreeAdamW", {}),
        run_case("schedule_free_adamw_options", "ScheduleFreeAdamW", {"learning_rate": 0.05, "beta_1": 0.8,
                                                                      "beta_2": 0.9, "epsilon": 1e-6,
                                                                      "warmup_steps": 3, "weight_decay": 0.1}),
        run_case("schedule_free_adamw_ema_clip", "ScheduleFreeAdamW", {"learning_rate": 0.02, "use_ema": True,
                                                                       "global_clipnorm": 1.0}),
        # apply() divides the gradients by the scale, which doubles every 2 steps here.
        run_case("loss_scale_sgd", "LossScaleOptimizer",
                 {"inner_optimizer": optimizers.SGD(4096.0, momentum=0.5), "initial_scale": 1024.0,
                  "dynamic_growth_steps": 2}),
        run_case("loss_scale_adam_ema", "LossScaleOptimizer",
                 {"inner_optimizer": optimizers.Adam(0.05, use_ema=True, clipnorm=1.0)}),
        # An exact path, a pattern over two variables, and a default that gets nothing.
        run_case("multi_exact_pattern", "MultiOptimizer",
                 {"optimizer_map": optimizers.OptimizerMap(optimizers.SGD(0.1), {
                     "v0": optimizers.Adam(0.05, use_ema=True), "v[12]": optimizers.SGD(0.2, momentum=0.9)})},
                 shapes=[[3, 2], [2], [2, 2]]),
        run_case("multi_default_loss_scale", "MultiOptimizer",
                 {"optimizer_map": optimizers.OptimizerMap(optimizers.Lamb(0.05), {"v1": optimizers.Ftrl(0.3)}),
                  "loss_scale_factor": 4.0}),
    ]


def schedule_cases():
    steps = [0, 1, 2, 3, 5, 9, 10, 11, 20, 33, 50, 70, 100, 150, 200]
    made = [
        schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5),
        schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True, name="exp_stair"),
        schedules.PiecewiseConstantDecay([5, 20], [0.1, 0.05, 0.01]),
        schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5),
        schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True),
        schedules.PolynomialDecay(0.1, decay_steps=50),
        schedules.PolynomialDecay(0.1, decay_steps=50, end_learning_rate=0.001, power=2.0, cycle=True),
        schedules.CosineDecay(0.1, decay_steps=100),
        schedules.CosineDecay(0.1, decay_steps=100, alpha=0.1),
        schedules.CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10),
        schedules.CosineDecayRestarts(0.1, first_decay_steps=20),
        schedules.CosineDecayRestarts(0.1, first_decay_steps=20, t_mul=1.0, m_mul=0.9, alpha=0.05),
    ]
    return [{
        "class_name": s.__class__.__name__,
        "config": s.get_config(),
        "serialized": serialize_schedule(s),
        "steps": steps,
        "values": [float(np.float32(s(step))) for step in steps],
    } for s in made]


def signature_args(cls, skip=("self", "name", "dtype")):
    """Constructor arguments in order, with defaults (the catalogue the C ABI publishes)."""
    out = []
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name in skip or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        out.append({"name": p.name, "required": True} if p.default is p.empty
                   else {"name": p.name, "default": p.default})
    return out


def catalogue():
    from keras import losses
    opt = ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "Adamax", "Nadam", "AdamW", "Lion", "Adafactor", "Ftrl",
           "Lamb", "Muon", "ScheduleFreeAdamW", "LossScaleOptimizer", "MultiOptimizer"]
    sch = ["ExponentialDecay", "PiecewiseConstantDecay", "InverseTimeDecay", "PolynomialDecay", "CosineDecay",
           "CosineDecayRestarts"]
    los = ["MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
           "CosineSimilarity", "Huber", "LogCosh", "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence",
           "Poisson", "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy"]
    return {
        "optimizers": {c: signature_args(getattr(optimizers, c)) for c in opt},
        "schedules": {c: signature_args(getattr(schedules, c)) for c in sch},
        "losses": {c: signature_args(getattr(losses, c)) for c in los},
    }


class SaveAfterFirstEpoch(keras.callbacks.Callback):
    def __init__(self, path):
        super().__init__()
        self.path = path
        self.saved = None

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.model.save(self.path)
            self.saved = [f32list(v.numpy()) for v in self.model.optimizer.variables]


def resume_cases():
    """Real Keras fits a small model for two epochs, saving it (.keras, optimizer state included)
    after the first: the test loads the file, fits the second epoch and compares the weights."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(12, 3)).astype(np.float32)
    y = rng.normal(size=(12, 2)).astype(np.float32)
    made = [
        ("nadam", lambda: optimizers.Nadam(0.05)),
        ("adafactor", lambda: optimizers.Adafactor(0.1, weight_decay=0.01)),
        ("ftrl", lambda: optimizers.Ftrl(0.2, l1_regularization_strength=0.01)),
        ("lamb", lambda: optimizers.Lamb(0.05)),
        ("muon", lambda: optimizers.Muon(0.05)),
        ("schedule_free_adamw", lambda: optimizers.ScheduleFreeAdamW(0.05, warmup_steps=2)),
        ("loss_scale", lambda: optimizers.LossScaleOptimizer(optimizers.Adam(0.05), dynamic_growth_steps=2)),
        ("multi", lambda: optimizers.MultiOptimizer(optimizers.OptimizerMap(
            optimizers.Adam(0.05), {".*dense/.*": optimizers.SGD(0.1, momentum=0.9)}))),
        ("sgd_accumulation_ema", lambda: optimizers.SGD(0.1, momentum=0.9, gradient_accumulation_steps=2,
                                                         use_ema=True, ema_momentum=0.5)),
    ]
    out_dir = os.path.join(OUT, "resume")
    os.makedirs(out_dir, exist_ok=True)
    cases = []
    for name, make in made:
        keras.backend.clear_session()
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(2)])
        model.compile(optimizer=make(), loss="mse")
        # One fit of two epochs, saved after the first (a second fit() call fails in Keras 3.15's
        # JAX trainer for MultiOptimizer).
        saver = SaveAfterFirstEpoch(os.path.join(out_dir, f"{name}.keras"))
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[saver])
        cases.append({
            "name": name,
            "file": f"{name}.keras",
            "optimizer_variables": saver.saved,
            "optimizer_variable_shapes": [list(v.shape) for v in model.optimizer.variables],
            "weights_after": [f32list(v.numpy()) for v in model.trainable_variables],
        })
    with open(os.path.join(out_dir, "resume.json"), "w") as f:
        json.dump({"x": [f32list(r) for r in x], "y": [f32list(r) for r in y], "batch_size": 4, "cases": cases},
                  f, indent=1)
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    if sys.argv[1:] == ["resume"]:  # only the resume fixtures
        resume_cases()
        return
    with open(os.path.join(OUT, "catalogue.json"), "w") as f:
        json.dump(catalogue(), f, indent=1)
    cases = optimizer_cases()
    by_class = {}
    for c in cases:
        by_class.setdefault(c["class_name"], []).append(c)
    for cls, cs in by_class.items():
        with open(os.path.join(OUT, f"{cls.lower()}.json"), "w") as f:
            json.dump(cs, f, indent=1)
    with open(os.path.join(OUT, "schedules.json"), "w") as f:
        json.dump(schedule_cases(), f, indent=1)
    resume_cases()
    print(f"wrote {len(cases)} optimizer cases in {len(by_class)} files and schedules.json to {OUT}")


if __name__ == "__main__":
    main()
