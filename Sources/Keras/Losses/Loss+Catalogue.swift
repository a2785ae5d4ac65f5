/// Keras's constructor arguments and lookup names of each loss, for the C ABI and the Python
/// binding (DESIGN: one source of truth). Checked against real Keras's signatures and against
/// what each class does by default.
extension Loss {
    static let reductionArgument: (String, JSON) = ("reduction", "sum_over_batch_size")

    /// Class name and constructor arguments without `name` and `dtype`, in Keras's order.
    static let kerasArguments: [(String, [(String, JSON)])] = [
        ("MeanSquaredError", [reductionArgument]), ("MeanAbsoluteError", [reductionArgument]),
        ("MeanAbsolutePercentageError", [reductionArgument]), ("MeanSquaredLogarithmicError", [reductionArgument]),
        ("CosineSimilarity", [("axis", -1), reductionArgument]),
        ("Huber", [("delta", 1.0), reductionArgument]),
        ("LogCosh", [reductionArgument]), ("Hinge", [reductionArgument]), ("SquaredHinge", [reductionArgument]),
        ("CategoricalHinge", [reductionArgument]), ("KLDivergence", [reductionArgument]), ("Poisson", [reductionArgument]),
        ("BinaryCrossentropy", [("from_logits", false), ("label_smoothing", 0.0), ("axis", -1), reductionArgument]),
        ("CategoricalCrossentropy", [("from_logits", false), ("label_smoothing", 0.0), ("axis", -1), reductionArgument]),
        ("SparseCategoricalCrossentropy", [("from_logits", false), ("ignore_class", nil), reductionArgument, ("axis", -1)]),
        ("BinaryFocalCrossentropy", [("apply_class_balancing", false), ("alpha", 0.25), ("gamma", 2.0), ("from_logits", false),
                                     ("label_smoothing", 0.0), ("axis", -1), reductionArgument]),
        ("CategoricalFocalCrossentropy", [("alpha", 0.25), ("gamma", 2.0), ("from_logits", false), ("label_smoothing", 0.0),
                                          ("axis", -1), reductionArgument]),
        ("CategoricalGeneralizedCrossEntropy", [("q", 0.5), reductionArgument]),
        ("Dice", [reductionArgument, ("axis", nil)]),
        ("Tversky", [("alpha", 0.5), ("beta", 0.5), reductionArgument, ("axis", nil)]),
        ("Circle", [("gamma", 80.0), ("margin", 0.4), ("remove_diagonal", true), reductionArgument]),
        ("CTC", [reductionArgument]),
    ]

    /// `{"MeanSquaredError": {"module": "keras.losses", "args": [{"name": "reduction", "default": ...}],
    /// "names": ["MSE", "mean_squared_error", "mse"]}, ...}`: each built-in loss class, its
    /// constructor arguments in Keras's order, and the function names and aliases that find it.
    public static var catalogue: JSON {
        .object(kerasArguments.map { className, args in
            let names = aliases.filter { $0.value == className }.map(\.key).sorted()
            return (className, ["module": "keras.losses",
                                "args": .array(args.map { ["name": .string($0.0), "default": $0.1] }),
                                "names": .array(names.map { .string($0) })])
        })
    }
}
