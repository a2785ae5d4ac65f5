/// Keras's constructor arguments of each optimizer and schedule, in Keras's order with Keras's
/// defaults, for the C ABI and the Python binding (DESIGN: one source of truth). Checked
/// against real Keras's signatures and against what each class does by default.
extension Optimizer {
    /// The arguments after the optimizer's own, shared by every Keras optimizer.
    static let commonArguments: [(String, JSON)] = [
        ("weight_decay", nil), ("clipnorm", nil), ("clipvalue", nil), ("global_clipnorm", nil),
        ("use_ema", false), ("ema_momentum", 0.99), ("ema_overwrite_frequency", nil),
        ("loss_scale_factor", nil), ("gradient_accumulation_steps", nil),
    ]

    /// Class name, then its arguments before the common ones (learning rate first).
    static let ownArguments: [(String, [(String, JSON)])] = [
        ("SGD", [("learning_rate", 0.01), ("momentum", 0.0), ("nesterov", false)]),
        ("RMSprop", [("learning_rate", 0.001), ("rho", 0.9), ("momentum", 0.0), ("epsilon", 1e-7), ("centered", false)]),
        ("Adagrad", [("learning_rate", 0.001), ("initial_accumulator_value", 0.1), ("epsilon", 1e-7)]),
        ("Adadelta", [("learning_rate", 0.001), ("rho", 0.95), ("epsilon", 1e-7)]),
        ("Adam", [("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-7), ("amsgrad", false)]),
        ("Adamax", [("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-7)]),
        ("Nadam", [("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-7)]),
        ("AdamW", [("learning_rate", 0.001), ("weight_decay", 0.004), ("beta_1", 0.9), ("beta_2", 0.999),
                   ("epsilon", 1e-7), ("amsgrad", false)]),
        ("Lion", [("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.99)]),
        ("Adafactor", [("learning_rate", 0.001), ("beta_2_decay", -0.8), ("epsilon_1", 1e-30), ("epsilon_2", 0.001),
                       ("clip_threshold", 1.0), ("relative_step", true)]),
        ("Ftrl", [("learning_rate", 0.001), ("learning_rate_power", -0.5), ("initial_accumulator_value", 0.1),
                  ("l1_regularization_strength", 0.0), ("l2_regularization_strength", 0.0),
                  ("l2_shrinkage_regularization_strength", 0.0), ("beta", 0.0)]),
        ("Lamb", [("learning_rate", 0.001), ("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-7)]),
        ("Muon", [("learning_rate", 0.001), ("adam_beta_1", 0.9), ("adam_beta_2", 0.999), ("adam_weight_decay", 0.004),
                  ("epsilon", 1e-7), ("weight_decay", 0.004)]),
        ("ScheduleFreeAdamW", [("learning_rate", 0.0025), ("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-8),
                               ("warmup_steps", 0)]),
    ]

    /// Arguments Keras lists after the common ones (and after `name`).
    static let trailingArguments: [String: [(String, JSON)]] = [
        "Muon": [("exclude_layers", nil), ("exclude_embeddings", true), ("muon_a", 3.4445), ("muon_b", -4.7750),
                 ("muon_c", 2.0315), ("adam_lr_ratio", 1), ("momentum", 0.95), ("ns_steps", 5), ("nesterov", true),
                 ("rms_rate", 0.2)],
    ]

    /// `{"SGD": {"module": "keras.optimizers", "args": [{"name": "learning_rate", "default": 0.01}, ...]}, ...}`:
    /// every built-in optimizer's constructor arguments (without `name`) in Keras's order.
    public static var catalogue: JSON {
        let optimizers: [(String, JSON)] = ownArguments.map { className, own in
            let names = Set(own.map(\.0))
            let args = own + commonArguments.filter { !names.contains($0.0) } + (trailingArguments[className] ?? [])
            return (className, ["module": "keras.optimizers",
                                "args": .array(args.map { ["name": .string($0.0), "default": $0.1] })])
        }
        // The wrappers take the optimizers they wrap and few of the common arguments.
        let lossScale: JSON = ["module": "keras.optimizers", "args": [
            ["name": "inner_optimizer", "required": true], ["name": "initial_scale", "default": 32768.0],
            ["name": "dynamic_growth_steps", "default": 2000],
        ]]
        let multi: JSON = ["module": "keras.optimizers", "args": [
            ["name": "optimizer_map", "required": true], ["name": "loss_scale_factor", "default": nil],
        ]]
        return .object(optimizers + [("LossScaleOptimizer", lossScale), ("MultiOptimizer", multi)])
    }
}

extension LearningRateSchedule {
    /// `{"ExponentialDecay": {"module": "keras.optimizers.schedules", "args": [...]}, ...}`: each
    /// built-in schedule's constructor arguments (without `name`), required ones marked.
    public static var catalogue: JSON {
        func required(_ n: String) -> JSON { ["name": .string(n), "required": true] }
        func optional(_ n: String, _ d: JSON) -> JSON { ["name": .string(n), "default": d] }
        let table: [(String, [JSON])] = [
            ("ExponentialDecay", [required("initial_learning_rate"), required("decay_steps"), required("decay_rate"),
                                  optional("staircase", false)]),
            ("PiecewiseConstantDecay", [required("boundaries"), required("values")]),
            ("InverseTimeDecay", [required("initial_learning_rate"), required("decay_steps"), required("decay_rate"),
                                  optional("staircase", false)]),
            ("PolynomialDecay", [required("initial_learning_rate"), required("decay_steps"),
                                 optional("end_learning_rate", 0.0001), optional("power", 1.0), optional("cycle", false)]),
            ("CosineDecay", [required("initial_learning_rate"), required("decay_steps"), optional("alpha", 0.0),
                             optional("warmup_target", nil), optional("warmup_steps", 0)]),
            ("CosineDecayRestarts", [required("initial_learning_rate"), required("first_decay_steps"),
                                     optional("t_mul", 2.0), optional("m_mul", 1.0), optional("alpha", 0.0)]),
        ]
        return .object(table.map { ($0.0, ["module": "keras.optimizers.schedules", "args": .array($0.1)]) })
    }
}
