/// What ``KerasClassifier`` and ``KerasRegressor`` share: SciKeras's `BaseWrapper`.
///
/// Parameters live in one dictionary with scikit-learn's keys and SciKeras's defaults
/// (`optimizer: "rmsprop"`, `epochs: 1`, `batch_size: None` = 32, `verbose: 1`, `shuffle: True`,
/// `validation_split: 0.0`, `warm_start: False`, `random_state: None`, `loss`, `metrics`,
/// `callbacks`), plus routed keys: `model__<name>` goes to the builder, `optimizer__<name>` to the
/// optimizer's constructor (`learning_rate`, `momentum`, `beta_1`, ...), `loss__<name>` to the
/// loss (`from_logits`, `label_smoothing`). Fitting sets ``model``, ``history`` and ``nFeaturesIn``.
open class KerasEstimator: Predictor, @unchecked Sendable {
    /// The parameters that were set (defaults are not stored; ``getParams(deep:)`` adds them).
    public private(set) var params: Params
    let builder: ModelBuilder
    /// The Keras JSON config the models are built from, for estimators made from a model or config.
    public let modelConfig: String?

    /// The fitted Keras model. SciKeras: `model_`.
    public internal(set) var model: Model?
    /// Loss and metric values per epoch, over all fits since the model was built. SciKeras: `history_`.
    public internal(set) var history: [String: [Double]] = [:]
    /// The class values per epoch of each metric that reports one per class
    /// (F1Score(average=None)), whose ``history`` holds their mean, as ``History/perClass``.
    public internal(set) var perClassHistory: [String: [[Double]]] = [:]
    /// Features seen by `fit` (`X.shape[1]`). scikit-learn: `n_features_in_`.
    public internal(set) var nFeaturesIn: Int?
    /// The shape of one sample of X seen by `fit`: `[features]`, or `[height, width, channels]`
    /// for images, `[steps, features]` for sequences. SciKeras: `X_shape_[1:]`.
    public internal(set) var sampleShape: [Int]?
    /// What the data told the builder. SciKeras: `n_outputs_`, `target_type_`, ...
    public internal(set) var metadata: ModelMetadata?

    /// An estimator whose model comes from `model`, called at each fit with the routed
    /// `model__` parameters and the data's metadata.
    public required init(model builder: @escaping ModelBuilder, params: Params = [:]) {
        self.builder = builder
        self.modelConfig = nil
        self.params = params
    }

    /// An estimator that builds its models from a Keras JSON model config (what `model.toJSON()`
    /// and Keras's `model.to_json()` give): each fit starts from a fresh copy with new weights, as
    /// SciKeras clones a model instance. `model__` parameters do not apply.
    public required init(modelConfig: String, params: Params = [:]) {
        self.builder = { p, _ in
            guard p.values.isEmpty else {
                throw KerasError.invalidArgument("model__ parameters (\(p.values.keys.sorted().joined(separator: ", "))) need a model builder, not a model config")
            }
            return try modelFromJSON(modelConfig)
        }
        self.modelConfig = modelConfig
        self.params = params
    }

    /// The template the models are built from, for estimators made from a ``ModelTemplate``.
    public private(set) var modelTemplate: ModelTemplate?

    /// An estimator whose models are built from a config template: `model__<name>` parameters
    /// fill its `{"$param": name}` holes at each fit, so that searches can vary the model.
    public required convenience init(modelTemplate template: ModelTemplate, params: Params = [:]) {
        self.init(model: { p, _ in try modelFromConfig(try template.config(p.values)) }, params: params)
        self.modelTemplate = template
    }

    /// An estimator that trains copies of `model`'s architecture (its config; weights are new
    /// at each fit).
    public convenience init(model: Model, params: Params = [:]) {
        self.init(modelConfig: model.toJSON(), params: params)
    }

    /// The model a binding built itself and this estimator trains in place, for estimators made
    /// with ``init(training:params:)``.
    public private(set) var givenModel: Model?

    /// An estimator that trains `model` itself, not a copy: the model a binding's own model
    /// function built (and may have compiled), as SciKeras trains what the model function
    /// returns. Every fit trains this one model further; its outputs are the builder's
    /// decision, so no output layer is appended or checked against the target, and a
    /// diverging loss is reported in the history rather than thrown, as SciKeras does. It
    /// cannot be cloned (two estimators would train one model).
    public convenience init(training model: Model, params: Params = [:]) {
        self.init(model: { _, _ in model }, params: params)
        self.givenModel = model
    }

    open var estimatorName: String { "KerasEstimator" }
    open var isClassifier: Bool { false }

    /// SciKeras's defaults for the keys every wrapper knows.
    open var defaultParams: Params {
        ["optimizer": "rmsprop", "loss": .none, "metrics": .none, "epochs": 1, "batch_size": .none,
         "validation_split": 0.0, "callbacks": .none, "shuffle": true, "verbose": 1,
         "random_state": .none, "warm_start": false]
    }

    /// Prefixes routed to the builder, the optimizer and the loss.
    static let routedPrefixes = ["model__", "optimizer__", "loss__", "predict__"]

    /// Keras `fit` arguments a binding routes with SciKeras's `fit__` prefix:
    /// `fit__initial_epoch` (the first epoch's number, 0-based: a fit trains `epochs` epochs
    /// numbered from it; unset, a fit starts at 0 and ``partialFit(_:_:sampleWeight:classes:callbacks:)``
    /// after the epochs trained since the model was built), `fit__steps_per_epoch`,
    /// `fit__validation_freq` and `fit__validation_batch_size`.
    static let fitArguments = ["initial_epoch", "steps_per_epoch", "validation_freq", "validation_batch_size"]

    /// Keys taken beside ``defaultParams`` (listed by ``getParams(deep:)`` only when set):
    /// SciKeras's `validation_batch_size` (the validation's batch size, as
    /// `fit__validation_batch_size`; unset: `batch_size`); `target_encoder`:
    /// `"passthrough"` when the caller encodes the targets itself (SciKeras's user
    /// `target_encoder`): `fit` takes y as the loss wants it, `predict` and `predictProba`
    /// give the model's raw outputs for the caller to decode; `output_columns` (with
    /// `"passthrough"`): for a model with several outputs, how many of y's columns each
    /// output's targets take, in the model's output order.
    open var optionalParamKeys: [String] { ["validation_batch_size", "target_encoder", "output_columns"] }

    // MARK: Parameters

    public func getParams(deep: Bool = true) -> Params {
        var p = defaultParams
        for (k, v) in params { p[k] = v }
        p["model"] = (modelConfig ?? modelTemplate?.text).map { .string($0) } ?? .object(ModelBuilderBox(builder))
        return p
    }

    public func setParams(_ new: Params) throws {
        // set_params(**get_params()) is a no-op in scikit-learn: 'model' may be given unchanged.
        let current = getParams()["model"]
        for key in new.keys where !(key == "model" && new[key] == current) { try checkKey(key) }
        for (k, v) in new where k != "model" { params[k] = v }
    }

    func checkKey(_ key: String) throws {
        if key == "model" {
            throw KerasError.invalidArgument("\(estimatorName).setParams: 'model' cannot be set; make a new estimator with the builder")
        }
        if defaultParams[key] != nil || optionalParamKeys.contains(key) { return }
        for prefix in Self.routedPrefixes where key.hasPrefix(prefix) && key.count > prefix.count { return }
        if key.hasPrefix("fit__") && Self.fitArguments.contains(String(key.dropFirst(5))) { return }
        throw KerasError.invalidArgument("\(estimatorName).setParams: invalid parameter '\(key)'. Valid parameters are: "
            + (Array(defaultParams.keys) + optionalParamKeys).sorted().joined(separator: ", ")
            + ", fit__ (" + Self.fitArguments.joined(separator: ", ") + "), and model__*, optimizer__*, loss__*, predict__*")
    }

    public func clone() throws -> Estimator {
        if givenModel != nil {
            throw KerasError.invalidState("\(estimatorName): an estimator training a given model cannot be cloned (the copy would train the same model); make one from a model config or builder")
        }
        if let modelConfig { return Self(modelConfig: modelConfig, params: params) }
        if let modelTemplate { return Self(modelTemplate: modelTemplate, params: params) }
        return Self(model: builder, params: params)
    }

    var reader: ParamReader { ParamReader(owner: estimatorName, params: getParams()) }

    /// Parameters under `prefix`, keys without it.
    func routed(_ prefix: String) -> Params {
        var out: Params = [:]
        for (k, v) in params where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
        return out
    }

    // MARK: Fitting

    /// Trains a model on `x` and `y`: a new one, unless `warm_start` is set and one was fitted.
    public func fit(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil) throws {
        try fitModel([x], y, sampleWeight: sampleWeight, epochs: nil, warm: false)
    }

    /// `fit` with `callbacks` (the caller's, made for this fit) run after those of the
    /// `callbacks` parameter: how a binding's own callbacks reach the fit of a model it built
    /// (``init(training:params:)``).
    public func fit(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil, callbacks: [Callback]) throws {
        try fitModel([x], y, sampleWeight: sampleWeight, epochs: nil, warm: false, callbacks: callbacks)
    }

    /// What a fit takes beside x, y and the sample weights, as Keras's `model.fit` takes it
    /// (SciKeras routes `fit__validation_data` and a regressor's `fit__class_weight` there).
    public struct FitExtras {
        /// Keras's `validation_data`: inputs and targets as the model takes them (one array
        /// per input and per output; not encoded by the estimator, as SciKeras passes them to
        /// `model.fit`), with optional sample weights. It replaces `validation_split`.
        public var validation: (x: [Tensor], y: [Tensor], sampleWeight: Tensor?)?
        /// Keras's `class_weight`: weight by class index of the model's targets (the value of a
        /// one-column target, the argmax of a row). Not with a classifier's own `class_weight`.
        public var classWeight: [Int: Float]?

        public init(validation: (x: [Tensor], y: [Tensor], sampleWeight: Tensor?)? = nil, classWeight: [Int: Float]? = nil) {
            self.validation = validation
            self.classWeight = classWeight
        }
    }

    /// `fit` (or with `partial`, ``partialFit(_:_:sampleWeight:classes:callbacks:)``) of a model
    /// with one array per input in `inputs` (one for most models; the model's input order),
    /// with `callbacks` for this fit and the Keras `fit` arguments of `extras`.
    public func fit(inputs: [Tensor], _ y: Target, sampleWeight: Tensor? = nil, callbacks: [Callback] = [],
                    extras: FitExtras = FitExtras(), partial: Bool = false, classes: Target? = nil) throws {
        if classes != nil && !partial {
            throw KerasError.invalidArgument("\(estimatorName).fit: classes apply to partial fits only")
        }
        try fitModel(inputs, y, sampleWeight: sampleWeight, epochs: partial ? 1 : nil, warm: partial,
                     callbacks: callbacks, classes: classes, continueEpochs: partial, extras: extras)
    }

    /// One more epoch on `x` and `y`, keeping the model (a new one on the first call), numbered
    /// after the epochs trained since it was built (callbacks and the progress line see epoch
    /// `n + 1` of `n + 1`). `classes` (classifiers, first call): all the labels the calls will
    /// bring, when `y` lacks some; later calls keep the first call's classes. `callbacks` run
    /// after those of the `callbacks` parameter. SciKeras: `partial_fit(X, y, classes=)`.
    public func partialFit(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil, classes: Target? = nil,
                           callbacks: [Callback] = []) throws {
        try fitModel([x], y, sampleWeight: sampleWeight, epochs: 1, warm: true, callbacks: callbacks,
                     classes: classes, continueEpochs: true)
    }

    func fitModel(_ xs: [Tensor], _ y: Target, sampleWeight: Tensor?, epochs epochsOverride: Int?, warm forceWarm: Bool,
                  callbacks extra: [Callback] = [], classes: Target? = nil, continueEpochs: Bool = false,
                  extras: FitExtras = FitExtras()) throws {
        guard let x = xs.first else { throw KerasError.invalidArgument("\(estimatorName).fit: X has no arrays (one per model input)") }
        for key in params.keys { try checkKey(key) }
        let r = reader
        let epochs = try epochsOverride ?? r.int("epochs", default: 1)
        guard epochs >= 0 else { throw r.bad("epochs", .int(epochs), "a non-negative integer") }
        let batchSize = try r.optionalInt("batch_size")
        if let b = batchSize, b <= 0 { throw r.bad("batch_size", .int(b), "a positive integer or None") }
        let verbose = try r.int("verbose", default: 1)
        guard (0...2).contains(verbose) else { throw r.bad("verbose", .int(verbose), "0, 1 or 2") }
        let shuffle = try r.shuffle("shuffle", default: true)
        let validationSplit = try r.double("validation_split", default: 0)
        guard validationSplit >= 0, validationSplit < 1 else { throw r.bad("validation_split", .double(validationSplit), "in [0, 1)") }
        let warm = try forceWarm || r.bool("warm_start", default: false)
        let randomState = try r.optionalInt("random_state")
        let stepsPerEpoch = try r.optionalInt("fit__steps_per_epoch")
        if let s = stepsPerEpoch, s <= 0 { throw r.bad("fit__steps_per_epoch", .int(s), "a positive integer or None") }
        let validationFreq = try r.int("fit__validation_freq", default: 1)
        guard validationFreq > 0 else { throw r.bad("fit__validation_freq", .int(validationFreq), "a positive integer") }
        for key in ["validation_batch_size", "fit__validation_batch_size"] {
            if let b = try r.optionalInt(key), b <= 0 { throw r.bad(key, .int(b), "a positive integer or None") }
        }
        let validationBatchSize = try r.optionalInt("fit__validation_batch_size") ?? r.optionalInt("validation_batch_size")
        let givenInitialEpoch = try r.optionalInt("fit__initial_epoch")
        if let e = givenInitialEpoch, e < 0 || e > Int.max - epochs {
            throw r.bad("fit__initial_epoch", .int(e), "a non-negative integer (below \(Int.max) - epochs) or None")
        }
        let passthrough = try targetPassthrough()
        if passthrough, let cw = getParams()["class_weight"], !cw.isNone {
            throw KerasError.invalidArgument("\(estimatorName).fit: class_weight needs the estimator's own target encoding; with target_encoder 'passthrough' give the weights as sample_weight")
        }
        for input in xs { try checkFeatures(input, owner: "\(estimatorName).fit", rows: y.count, nd: true) }
        if extras.classWeight != nil, let cw = getParams()["class_weight"], !cw.isNone {
            throw KerasError.invalidArgument("\(estimatorName).fit: class_weight is given both as the estimator's parameter and as a fit argument; give one")
        }
        if let sw = sampleWeight {
            guard sw.count == y.count, sw.rank <= 1 || sw.count == sw.shape[0] else {
                throw KerasError.invalidArgument("\(estimatorName).fit: sample_weight has shape \(sw.shape), expected [\(y.count)]")
            }
            for i in 0..<sw.count where !(sw.data[i].isFinite && sw.data[i] >= 0) {
                throw KerasError.invalidData("\(estimatorName).fit: sample_weight[\(i)] = \(sw.data[i]) must be finite and >= 0")
            }
        }
        let reuse = warm && model != nil
        if reuse && passthrough != fittedAsEncoded {
            throw KerasError.invalidArgument("\(estimatorName).fit: target_encoder changed since the model was fitted (warm start); fit a new model")
        }
        if let classes, !reuse {
            guard !passthrough else {
                throw KerasError.invalidArgument("\(estimatorName).partialFit: classes need the estimator's own target encoding, not target_encoder 'passthrough'")
            }
            guard isClassifier else {
                throw KerasError.invalidArgument("\(estimatorName).partialFit: classes apply to classifiers only")
            }
            guard classes.width == 1, y.width == 1, classes.count > 0 else {
                throw KerasError.invalidArgument("\(estimatorName).partialFit: classes must be a non-empty list of labels and y one column of labels, got \(classes.count) classes of width \(classes.width) and y of width \(y.width)")
            }
        }
        if reuse, let n = nFeaturesIn, n != x.shape[1] {
            throw KerasError.invalidArgument("\(estimatorName).fit: X has \(x.shape[1]) features, but the estimator was fitted with \(n) features (warm start)")
        }
        if reuse { try checkSampleShape(x, "fit") }

        let body = { [self] in
            if !reuse {
                // Given classes count as seen (scikit-learn's partial_fit(classes=)).
                let meta = passthrough ? try passthroughMetadata(y, nFeatures: x.shape[1])
                    : try analyzeTarget(try classes.map { try $0.followed(by: y) } ?? y, nFeatures: x.shape[1])
                fittedAsEncoded = passthrough
                let m = try buildModel(meta, sample: xs, batchSize: batchSize ?? 32)
                if m.optimizer == nil {
                    if passthrough && (getParams()["loss"] ?? .none).isNone {
                        throw KerasError.invalidArgument("\(estimatorName).fit: No valid loss function found. With target_encoder 'passthrough' give the loss parameter or compile the model in its builder")
                    }
                    try m.compile(optimizer: .instance(makeOptimizer()), loss: makeLoss(meta), metrics: makeMetrics())
                }
                metadata = meta
                nFeaturesIn = x.shape[1]
                sampleShape = Array(x.shape.dropFirst())
                history = [:]
                perClassHistory = [:]
                model = m
            }
            guard let m = model else { return }
            let ys = passthrough ? try passthroughTargets(y, outputs: m.outputs.count) : [try encodeTarget(y)]
            let initialEpoch = givenInitialEpoch ?? (continueEpochs ? history["loss"]?.count ?? 0 : 0)
            let h = try m.fit(xs, ys, batchSize: batchSize, epochs: initialEpoch + epochs, verbose: verbose,
                              callbacks: makeCallbacks() + extra, validationSplit: validationSplit,
                              validationData: try extras.validation.map { v in
                                  (v.x, try zip(v.y, ys).map { try conformed($0, to: $1) } + v.y.dropFirst(ys.count))
                              }, shuffle: shuffle,
                              classWeight: try extras.classWeight ?? (passthrough ? nil : classWeights(y)),
                              sampleWeight: sampleWeight.map { try Ops.reshape($0.detached, [$0.count]) },
                              initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch, validationFreq: validationFreq,
                              validationSampleWeight: extras.validation?.sampleWeight, validationBatchSize: validationBatchSize)
            for (k, v) in h.history { history[k, default: []].append(contentsOf: v) }
            for (k, v) in h.perClass { perClassHistory[k, default: []].append(contentsOf: v) }
            if givenModel == nil, let losses = h.history["loss"], let bad = losses.firstIndex(where: { !$0.isFinite }) {
                throw KerasError.invalidData("\(estimatorName).fit: the loss became \(losses[bad]) at epoch \(bad + 1); the model diverged")
            }
        }
        if let seed = randomState {
            try withRandomSeed(UInt64(bitPattern: Int64(seed)), body)
        } else {
            try body()
        }
    }

    /// A validation target `vy` in the shape of the training target `ty` when it holds as many
    /// values per sample (`[n]` for `[n, 1]` labels and back), as Keras takes either.
    func conformed(_ vy: Tensor, to ty: Tensor) throws -> Tensor {
        let per = ty.count / Swift.max(ty.shape.first ?? 1, 1)
        guard let n = vy.shape.first, vy.shape.dropFirst() != ty.shape.dropFirst(), vy.count == n * per else { return vy }
        return try Ops.reshape(vy.detached, [n] + Array(ty.shape.dropFirst()))
    }

    /// The options of the prediction being made, set by ``withPredictCall(_:_:)``.
    var predictCall: PredictCall?

    /// Whether the last fit that built the model took its targets encoded (`target_encoder:
    /// "passthrough"`): predictions are then the model's raw outputs.
    public internal(set) var fittedAsEncoded = false

    /// The `target_encoder` parameter: true for `"passthrough"`, false when unset.
    func targetPassthrough() throws -> Bool {
        switch getParams()["target_encoder"] ?? .none {
        case .none: return false
        case .string("passthrough"): return true
        case let v: throw reader.bad("target_encoder", v, "'passthrough' (y given encoded) or None")
        }
    }

    /// The `output_columns` parameter: y's columns per model output, or nil when unset.
    func outputColumns() throws -> [Int]? {
        let value = getParams()["output_columns"] ?? .none
        if value.isNone { return nil }
        if case .array(let a) = value {
            let columns = a.compactMap(\.intValue)
            if columns.count == a.count, !columns.isEmpty, columns.allSatisfy({ $0 > 0 }) { return columns }
        }
        throw reader.bad("output_columns", value, "a list of positive integers (y's columns per model output) or None")
    }

    /// What the builder gets for targets given encoded: y's columns as `nOutputs`, the model's
    /// outputs (`output_columns`' count, else 1) as `nOutputsExpected`, no classes.
    func passthroughMetadata(_ y: Target, nFeatures: Int) throws -> ModelMetadata {
        guard y.tensor != nil else {
            throw KerasError.invalidArgument("\(estimatorName).fit: with target_encoder 'passthrough' y must be numbers (the encoded targets), got string labels")
        }
        let k = y.width
        let type: TargetType = isClassifier ? TargetType.of(y) : (k == 1 ? .continuous : .continuousMultioutput)
        return ModelMetadata(nFeaturesIn: nFeatures, nClasses: 0, classes: [], nOutputs: k,
                             nOutputsExpected: try outputColumns()?.count ?? 1, targetType: type,
                             outputActivation: .linear, defaultLoss: "")
    }

    /// The targets given encoded, one tensor per model output: y as given for one output; for
    /// several, y's columns split by `output_columns` (each output's part `[samples, columns]`).
    func passthroughTargets(_ y: Target, outputs: Int) throws -> [Tensor] {
        guard let t = y.tensor else {
            throw KerasError.invalidArgument("\(estimatorName).fit: with target_encoder 'passthrough' y must be numbers (the encoded targets), got string labels")
        }
        if t.hasNonFinite { throw KerasError.invalidData("\(estimatorName).fit: y contains NaN or infinite values") }
        guard let columns = try outputColumns() else {
            guard outputs == 1 else {
                throw KerasError.invalidArgument("\(estimatorName).fit: the model has \(outputs) outputs; give output_columns, how many of y's columns each output's targets take")
            }
            return [t.detached]
        }
        let n = y.count, width = y.width
        guard columns.count == outputs, columns.reduce(0, +) == width else {
            throw KerasError.invalidArgument("\(estimatorName).fit: output_columns \(columns) must give one count per model output (\(outputs)) summing to y's \(width) columns")
        }
        var parts: [Tensor] = [], start = 0
        for c in columns {
            let part = Tensor(shape: [n, c])
            for i in 0..<n { (part.data + i * c).update(from: t.data + i * width + start, count: c) }
            parts.append(part)
            start += c
        }
        return parts
    }

    /// Metadata for the builder; subclasses set the target encoding here.
    open func analyzeTarget(_ y: Target, nFeatures: Int) throws -> ModelMetadata {
        throw KerasError.invalidState("\(estimatorName): analyzeTarget must be overridden")
    }

    /// The targets as the compiled loss wants them.
    open func encodeTarget(_ y: Target) throws -> Tensor {
        throw KerasError.invalidState("\(estimatorName): encodeTarget must be overridden")
    }

    /// Class weights by class index (classifiers).
    open func classWeights(_ y: Target) throws -> [Int: Float]? { nil }

    /// How ``encodeTarget(_:)`` encodes targets of this kind.
    open func targetEncoding(_ meta: ModelMetadata) -> TargetEncoding { .identity }

    /// The loss compiled without a `loss` parameter, for a model of `outputUnits` output units
    /// (nil: the units the data calls for).
    open func defaultLoss(_ meta: ModelMetadata, outputUnits: Int?) -> String { meta.defaultLoss }

    /// The sorted classes `fit` saw, for ``fittedState`` (classifiers with single-label targets).
    open var fittedClasses: Target? { nil }

    /// Dimensions of the `y` that `fit` saw (1: `[n]`, 2: `[n, outputs]`).
    open var targetRank: Int { (metadata?.nOutputs ?? 1) > 1 ? 2 : 1 }

    /// Takes the target's decoding from `state` (``restore(model:_:)``); checks everything
    /// before changing anything, and throws naming the field that does not hold together.
    open func restoreTarget(_ state: FittedState) throws {
        guard state.encoding == .identity else {
            throw KerasError.invalidArgument("\(estimatorName).restore: target_encoding is '\(state.encoding.rawValue)', but a \(estimatorName) takes its target as given ('identity')")
        }
    }

    /// The builder's model, with an output layer appended when it ends in a hidden layer; one
    /// made without an input is built by the fit's first batch (of `batchSize` rows at most), as
    /// Keras's fit builds it.
    func buildModel(_ meta: ModelMetadata, sample xs: [Tensor], batchSize: Int) throws -> Model {
        let m: Model
        do {
            m = try builder(ModelParams(routed("model__")), meta)
        } catch let e as KerasError {
            throw KerasError.invalidArgument("\(estimatorName): building the model failed: \(e.message)")
        } catch {
            throw KerasError.callbackFailed("\(estimatorName): the model builder failed: \(error)")
        }
        try m.ensureBuilt(for: xs, batchSize: batchSize)
        return try withOutputLayer(m, meta)
    }

    func withOutputLayer(_ m: Model, _ meta: ModelMetadata) throws -> Model {
        // Targets given encoded fit the builder's outputs, however many (SciKeras's user encoders).
        if fittedAsEncoded { return m }
        guard m.outputs.count == 1, let shape = m.outputShape, let last = shape.last, let width = last else {
            throw KerasError.invalidArgument("\(estimatorName): the model must have one output with a known width, got output shapes \(m.outputShapes.map(formatShape))")
        }
        // A given model's outputs are its builder's decision, as SciKeras trains what the model
        // function returns (a loss that does not fit them fails in the fit).
        if givenModel != nil { return m }
        let activation = m.layers.last?.getConfig()["activation"]?.stringValue ?? "linear"
        let fromLogits = (try? reader.bool("loss__from_logits", default: false)) ?? false
        let outputActivations: Set<String> = isClassifier ? (fromLogits ? ["linear"] : ["softmax", "sigmoid"]) : ["linear"]
        let isOutput = outputActivations.contains(activation) && (isClassifier || width == meta.nOutputsExpected)
        if isOutput {
            guard width == meta.nOutputsExpected else {
                throw KerasError.shapeMismatch("\(estimatorName): the model's output has \(width) units but the target needs \(meta.nOutputsExpected) (\(meta.targetType.rawValue), \(meta.nClasses) classes)")
            }
            return m
        }
        if m.optimizer != nil {
            throw KerasError.invalidArgument("\(estimatorName): the builder compiled a model that ends in a hidden layer ('\(activation)', \(width) units); add the output layer or leave the model uncompiled")
        }
        if let seq = m as? Sequential {
            try seq.add(meta.outputLayer())
            return seq
        }
        return try Model(inputs: m.inputs, outputs: [meta.outputLayer()(m.outputs[0])], name: m.name)
    }

    func makeOptimizer() throws -> Optimizer {
        let value = getParams()["optimizer"] ?? "rmsprop"
        let kw = routed("optimizer__")
        if case .object(let o) = value, let opt = o as? Optimizer {
            guard kw.isEmpty else {
                throw KerasError.invalidArgument("\(estimatorName): optimizer__ parameters need the optimizer given by name, not as an object")
            }
            return opt
        }
        guard let name = value.stringValue else { throw reader.bad("optimizer", value, "an optimizer name or object") }
        return try OptimizerFactory.make(name, kw, owner: estimatorName)
    }

    func makeLoss(_ meta: ModelMetadata) throws -> LossSpec {
        let value = getParams()["loss"] ?? .none
        let kw = routed("loss__")
        if case .object(let o) = value, let loss = o as? Loss {
            guard kw.isEmpty else { throw KerasError.invalidArgument("\(estimatorName): loss__ parameters need the loss given by name") }
            return .instance(loss)
        }
        if !value.isNone && value.stringValue == nil { throw reader.bad("loss", value, "a loss name or object") }
        return try LossFactory.make(value.stringValue ?? meta.defaultLoss, kw, owner: estimatorName)
    }

    func makeMetrics() throws -> [MetricSpec] {
        let value = getParams()["metrics"] ?? .none
        let items: [ParamValue]
        switch value {
        case .none: return []
        case .array(let a): items = a
        default: items = [value]
        }
        return try items.map { item in
            if let s = item.stringValue { return .name(s) }
            if case .object(let o) = item, let m = o as? Metric { return .instance(m) }
            throw reader.bad("metrics", value, "a list of metric names or objects")
        }
    }

    func makeCallbacks() throws -> [Callback] {
        let value = getParams()["callbacks"] ?? .none
        let items: [ParamValue]
        switch value {
        case .none: return []
        case .array(let a): items = a
        default: items = [value]
        }
        return try items.map { item in
            if case .object(let o) = item {
                if let c = o as? Callback { return c }
                if let f = o as? CallbackFactory { return try f.make() }
            }
            throw reader.bad("callbacks", value, "a list of callbacks or CallbackFactory objects")
        }
    }

    // MARK: Prediction

    func requireModel(_ what: String) throws -> (Model, ModelMetadata) {
        guard let model, let metadata else {
            throw KerasError.invalidState("This \(estimatorName) instance is not fitted yet. Call 'fit' with appropriate arguments before using '\(what)'.")
        }
        return (model, metadata)
    }

    /// The model's raw outputs for `xs` (one array per model input), `[samples, outputs]`; a
    /// model with several outputs gives each sample's outputs side by side, in the model's
    /// output order.
    func rawPredict(_ xs: [Tensor], _ what: String) throws -> Tensor {
        let (m, _) = try requireModel(what)
        guard let x = xs.first else { throw KerasError.invalidArgument("\(estimatorName).\(what): X has no arrays (one per model input)") }
        try checkFeatures(x, owner: "\(estimatorName).\(what)", features: nFeaturesIn, nd: true)
        for input in xs.dropFirst() { try checkFeatures(input, owner: "\(estimatorName).\(what)", rows: x.shape[0], nd: true) }
        try checkSampleShape(x, what)
        let (batch, verbose) = try predictOptions(rows: x.shape[0])
        let n = x.shape[0]
        let outs = try m.predict(xs, batchSize: batch, verbose: verbose, callbacks: predictCall?.callbacks ?? [])
        if outs.count == 1, let out = outs.first {
            return try Ops.reshape(out.detached, [n, out.count / Swift.max(n, 1)])
        }
        let widths = outs.map { $0.count / Swift.max(n, 1) }, total = widths.reduce(0, +)
        let joined = Tensor(shape: [n, total])
        var start = 0
        for (out, w) in zip(outs, widths) {
            for i in 0..<n { (joined.data + i * total + start).update(from: out.data + i * w, count: w) }
            start += w
        }
        return joined
    }

    /// The batch size and verbosity of predictions: `predict__batch_size` (else `batch_size`;
    /// -1: all rows in one batch, as SciKeras) and `predict__verbose` (else 0: predictions print
    /// nothing unless asked, so that a search's scoring stays quiet).
    /// A call's own options (``PredictCall``) take the place of the parameters.
    func predictOptions(rows: Int) throws -> (batchSize: Int, verbose: Int) {
        let r = reader
        let call = predictCall
        let batch = try call?.batchSize ?? r.optionalInt("predict__batch_size") ?? r.optionalInt("batch_size") ?? 32
        guard batch > 0 || batch == -1 else {
            let key = call?.batchSize != nil ? "batch_size (of this call)" : params["predict__batch_size"] == nil ? "batch_size" : "predict__batch_size"
            throw r.bad(key, .int(batch), "a positive integer, -1 (all rows) or None")
        }
        let verbose = try call?.verbose ?? r.int("predict__verbose", default: 0)
        guard (0...2).contains(verbose) else {
            throw r.bad(call?.verbose != nil ? "verbose (of this call)" : "predict__verbose", .int(verbose), "0, 1 or 2")
        }
        return (batch == -1 ? Swift.max(rows, 1) : batch, verbose)
    }

    /// The options of one prediction, given with it rather than as parameters, so that calls
    /// with different options never mix (keras_estimator_predict_arrays).
    public struct PredictCall {
        /// Samples per batch (-1: all in one); nil: the parameters decide.
        public var batchSize: Int?
        /// 0, 1 or 2 as Keras's `predict`; nil: the parameters decide.
        public var verbose: Int?
        /// Callbacks of the prediction (Keras's `predict(callbacks=)`).
        public var callbacks: [Callback]

        public init(batchSize: Int? = nil, verbose: Int? = nil, callbacks: [Callback] = []) {
            self.batchSize = batchSize
            self.verbose = verbose
            self.callbacks = callbacks
        }
    }

    /// `body` (a predict, predictProba or score of this estimator) with `call`'s options. The
    /// caller serializes the calls on one estimator (the C ABI's handle lock).
    public func withPredictCall<T>(_ call: PredictCall, _ body: () throws -> T) rethrows -> T {
        let saved = predictCall
        predictCall = call
        defer { predictCall = saved }
        return try body()
    }

    /// Throws unless `x`'s samples have the shape `fit` saw (N-D inputs).
    func checkSampleShape(_ x: Tensor, _ what: String) throws {
        guard let s = sampleShape, Array(x.shape.dropFirst()) != s else { return }
        throw KerasError.invalidArgument("\(estimatorName).\(what): X has samples of shape \(Array(x.shape.dropFirst())), but the estimator was fitted with samples of shape \(s)")
    }

    /// Class probabilities (classifiers).
    public func predictProba(_ x: Tensor) throws -> Tensor { try predictProba(inputs: [x]) }

    /// Class probabilities for one array per model input (classifiers).
    open func predictProba(inputs: [Tensor]) throws -> Tensor {
        throw KerasError.invalidState("\(estimatorName) has no predictProba: it is not a probabilistic classifier")
    }

    /// The classes as label keys (classifiers); nil for regressors.
    open var classLabels: [String]? { nil }

    public func predict(_ x: Tensor) throws -> Target { try predict(inputs: [x]) }

    /// Predictions for one array per model input.
    open func predict(inputs: [Tensor]) throws -> Target {
        throw KerasError.invalidState("\(estimatorName): predict must be overridden")
    }

    public func score(_ x: Tensor, _ y: Target, sampleWeight: Tensor? = nil) throws -> Double {
        try score(inputs: [x], y, sampleWeight: sampleWeight)
    }

    /// The default score of predictions for one array per model input.
    open func score(inputs: [Tensor], _ y: Target, sampleWeight: Tensor? = nil) throws -> Double {
        throw KerasError.invalidState("\(estimatorName): score must be overridden")
    }
}
