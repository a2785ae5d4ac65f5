import Keras

/// What `fit` learned besides the model's weights: the data's metadata, the target's decoding
/// and the history. A binding that keeps an estimator elsewhere (pickling) or takes over a fit
/// done elsewhere (a search's refit) saves this and rebuilds the fitted estimator around the
/// model with ``KerasEstimator/restore(model:_:)``, which then predicts, scores and continues
/// training (`partialFit`, `warm_start`) exactly as the estimator that fitted it.
public struct FittedState: @unchecked Sendable {
    /// What the data told the builder.
    public var metadata: ModelMetadata
    /// The shape of one sample of X. SciKeras: `X_shape_[1:]`.
    public var sampleShape: [Int]
    /// The sorted classes `fit` saw (numbers or strings): classifiers with a single-label
    /// target; nil otherwise.
    public var classes: Target?
    /// How the targets were encoded for the loss.
    public var encoding: TargetEncoding
    /// Dimensions of `y` (1: `[n]`, 2: `[n, outputs]`), which predictions keep.
    public var targetRank: Int
    /// Loss and metric values per epoch since the model was built.
    public var history: [String: [Double]]
    /// The per-class values of the metrics that report one per class.
    public var perClassHistory: [String: [[Double]]]

    public init(metadata: ModelMetadata, sampleShape: [Int], classes: Target?, encoding: TargetEncoding,
                targetRank: Int, history: [String: [Double]] = [:], perClassHistory: [String: [[Double]]] = [:]) {
        self.metadata = metadata
        self.sampleShape = sampleShape
        self.classes = classes
        self.encoding = encoding
        self.targetRank = targetRank
        self.history = history
        self.perClassHistory = perClassHistory
    }
}

extension KerasEstimator {
    /// The state `fit` left, nil before a fit. Targets given encoded (`target_encoder:
    /// "passthrough"`) have no classes and the identity encoding.
    public var fittedState: FittedState? {
        guard let metadata, let sampleShape else { return nil }
        return FittedState(metadata: metadata, sampleShape: sampleShape, classes: fittedAsEncoded ? nil : fittedClasses,
                           encoding: fittedAsEncoded ? .identity : targetEncoding(metadata),
                           targetRank: targetRank, history: history, perClassHistory: perClassHistory)
    }

    /// This estimator as the fit that left `state` left it, with `model` (already trained) as its
    /// model: predictions, scores and further training (`partialFit`, `warm_start`, epochs
    /// numbered on from the history) go on as from that fit. Throws, changing nothing, when the
    /// state does not hold together or does not fit `model`, naming the field. With the
    /// `target_encoder: "passthrough"` parameter the state is that of a fit on targets given
    /// encoded: predictions are the model's raw outputs, however many outputs it has.
    public func restore(model m: Model, _ state: FittedState) throws {
        let meta = state.metadata, owner = "\(estimatorName).restore"
        guard let first = state.sampleShape.first, state.sampleShape.allSatisfy({ $0 > 0 }) else {
            throw KerasError.invalidArgument("\(owner): sample_shape must be a non-empty list of positive sizes, got \(state.sampleShape)")
        }
        guard first == meta.nFeaturesIn else {
            throw KerasError.invalidArgument("\(owner): n_features_in_ is \(meta.nFeaturesIn) but sample_shape starts with \(first)")
        }
        guard meta.nOutputs > 0, meta.nOutputsExpected > 0 else {
            throw KerasError.invalidArgument("\(owner): n_outputs_ (\(meta.nOutputs)) and output_units (\(meta.nOutputsExpected)) must be positive")
        }
        guard state.targetRank == 1 || state.targetRank == 2, state.targetRank == 2 || meta.nOutputs == 1 else {
            throw KerasError.invalidArgument("\(owner): y_ndim_ must be 1 (one output) or 2, got \(state.targetRank) for \(meta.nOutputs) outputs")
        }
        for (k, v) in state.perClassHistory where v.count != state.history[k]?.count {
            throw KerasError.invalidArgument("\(owner): history_['\(k)'] has \(v.count) per-class epochs but \(state.history[k]?.count ?? 0) means")
        }
        // Validation figures may be fewer (fit's validation_freq > 1); every other list has one per epoch.
        if let losses = state.history["loss"],
           state.history.contains(where: { $0.key.hasPrefix("val_") ? $0.value.count > losses.count : $0.value.count != losses.count }) {
            throw KerasError.invalidArgument("\(owner): history_ lists must have the \(losses.count) epochs of history_['loss'] (validation lists at most that many)")
        }
        for key in params.keys { try checkKey(key) }
        let passthrough = try targetPassthrough()
        if !passthrough {
            guard m.outputs.count <= 1 else {
                throw KerasError.invalidArgument("\(owner): the model must have one output, got \(m.outputs.count) (several outputs need target_encoder 'passthrough')")
            }
            try restoreTarget(state)
        } else if state.encoding != .identity {
            throw KerasError.invalidArgument("\(owner): target_encoding is '\(state.encoding.rawValue)', but with target_encoder 'passthrough' the targets were given encoded ('identity')")
        }
        if m.optimizer == nil {
            try m.compile(optimizer: .instance(makeOptimizer()), loss: makeLoss(meta), metrics: makeMetrics())
        }
        fittedAsEncoded = passthrough
        metadata = meta
        nFeaturesIn = meta.nFeaturesIn
        sampleShape = state.sampleShape
        history = state.history
        perClassHistory = state.perClassHistory
        model = m
    }
}
