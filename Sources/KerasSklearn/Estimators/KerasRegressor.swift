/// A Keras model as a scikit-learn regressor. SciKeras: `KerasRegressor`.
///
/// Targets are numbers, shape `[n]` or `[n, outputs]`; when the builder leaves out the output
/// layer, a linear `Dense(outputs)` is appended, and the default loss is `mean_squared_error`.
/// `score` is R² of `predict` (uniform average over outputs), as in scikit-learn and SciKeras;
/// the Keras 2 wrapper returned the negated loss of `evaluate` instead.
///
/// ```swift
/// let reg = KerasRegressor(model: { p, _ in try Sequential([Dense(32, activation: .relu)]) },
///                          params: ["epochs": 100, "optimizer": "adam", "verbose": 0])
/// try reg.fit(x, .values(y))
/// ```
public final class KerasRegressor: KerasEstimator, @unchecked Sendable {
    var outputRank = 1

    public override var estimatorName: String { "KerasRegressor" }
    public override var isClassifier: Bool { false }

    public override func analyzeTarget(_ y: Target, nFeatures: Int) throws -> ModelMetadata {
        guard let t = y.tensor else {
            throw KerasError.invalidArgument("KerasRegressor.fit: y must be numbers, got string labels")
        }
        guard t.rank <= 2 else { throw KerasError.invalidArgument("KerasRegressor.fit: y must be 1-D or 2-D, got shape \(t.shape)") }
        if t.hasNonFinite { throw KerasError.invalidData("KerasRegressor.fit: y contains NaN or infinite values") }
        outputRank = t.rank
        let k = y.width
        return ModelMetadata(nFeaturesIn: nFeatures, nClasses: 0, classes: [], nOutputs: k, nOutputsExpected: k,
                             targetType: k == 1 ? .continuous : .continuousMultioutput,
                             outputActivation: .linear, defaultLoss: "mean_squared_error")
    }

    public override var targetRank: Int { outputRank }

    public override func restoreTarget(_ state: FittedState) throws {
        try super.restoreTarget(state)
        let t = state.metadata.targetType
        guard t == .continuous || t == .continuousMultioutput, state.metadata.nClasses == 0 else {
            throw KerasError.invalidArgument("KerasRegressor.restore: target_type_ must be 'continuous' or 'continuous-multioutput' with n_classes_ 0, got '\(t.rawValue)' with \(state.metadata.nClasses)")
        }
        outputRank = state.targetRank
    }

    public override func encodeTarget(_ y: Target) throws -> Tensor {
        guard let t = y.tensor else { throw KerasError.invalidArgument("KerasRegressor: y must be numbers, got string labels") }
        if let k = metadata?.nOutputs, y.width != k {
            throw KerasError.invalidArgument("KerasRegressor: y has \(y.width) outputs, but the estimator was fitted with \(k)")
        }
        if t.hasNonFinite { throw KerasError.invalidData("KerasRegressor: y contains NaN or infinite values") }
        return try Ops.reshape(t.detached, [y.count, y.width])
    }

    /// Predictions, shape `[n]` for a 1-D target and `[n, outputs]` otherwise.
    public override func predict(inputs xs: [Tensor]) throws -> Target {
        let out = try rawPredict(xs, "predict")
        if fittedAsEncoded { return .values(out) }  // the caller's target encoder decodes them
        return .values(outputRank == 1 && out.shape[1] == 1 ? try Ops.reshape(out, [out.shape[0]]) : out)
    }

    /// R² of `predict`. scikit-learn: `score`.
    public override func score(inputs xs: [Tensor], _ y: Target, sampleWeight: Tensor? = nil) throws -> Double {
        try r2Score(y, predict(inputs: xs), sampleWeight: sampleWeight)
    }
}
