/// Which optimizer updates which variable: variable paths (exact, or regular expressions matching
/// the whole path) to optimizers, and a default for the rest. Keras:
/// `OptimizerMap(default_optimizer, optimizer_map=None)`.
public final class OptimizerMap: @unchecked Sendable {
    public let defaultOptimizer: Optimizer
    /// Patterns and their optimizers, in the order given.
    public let entries: [(pattern: String, optimizer: Optimizer)]
    private let regexes: [Regex<AnyRegexOutput>?]

    /// Throws when an optimizer is a ``LossScaleOptimizer`` or ``MultiOptimizer``, or a pattern
    /// appears twice.
    public init(defaultOptimizer: Optimizer, optimizerMap: [(String, Optimizer)] = []) throws {
        var seen: Set<String> = []
        for (key, opt) in optimizerMap {
            guard seen.insert(key).inserted else {
                throw KerasError.invalidArgument("OptimizerMap(optimizer_map): '\(key)' appears twice")
            }
            guard !(opt is LossScaleOptimizer), !(opt is MultiOptimizer) else {
                throw KerasError.invalidArgument("OptimizerMap(optimizer_map: '\(key)'): the optimizer cannot be a \(opt.className)")
            }
        }
        self.defaultOptimizer = defaultOptimizer
        entries = optimizerMap.map { (pattern: $0.0, optimizer: $0.1) }
        // A key that is no regular expression can still match a path exactly.
        regexes = optimizerMap.map { try? Regex($0.0) }
    }

    /// Keras's `OptimizerMap.from_config`: `{"default_optimizer": ..., "optimizer_map": {...}}`,
    /// or the serialized form around it.
    convenience init(config json: JSON) throws {
        let config = json["class_name"] != nil ? (json["config"] ?? [:]) : json
        guard let defaultConfig = config["default_optimizer"], !defaultConfig.isNull else {
            throw KerasError.invalidArgument("OptimizerMap: the argument default_optimizer is required")
        }
        let mapConfig = config["optimizer_map"] ?? [:]
        guard let pairs = mapConfig.isNull ? [] : mapConfig.objectValue else {
            throw KerasError.invalidArgument("OptimizerMap(optimizer_map: \(mapConfig)): optimizer_map must be a dictionary")
        }
        try self.init(defaultOptimizer: try Optimizer.deserialize(defaultConfig),
                      optimizerMap: try pairs.map { ($0.0, try Optimizer.deserialize($0.1)) })
    }

    /// The optimizer for a variable path: an exact key, else the one pattern matching the whole
    /// path, else the default. Throws when several patterns match.
    public func optimizer(forPath path: String) throws -> Optimizer {
        if let exact = entries.first(where: { $0.pattern == path }) { return exact.optimizer }
        let matching = zip(entries, regexes).filter { pair in pair.1.map { (try? $0.wholeMatch(in: path)) != nil } ?? false }
        guard matching.count <= 1 else {
            throw KerasError.invalidArgument("OptimizerMap: several optimizers are assigned to variable '\(path)' (patterns \(matching.map { $0.0.pattern }))")
        }
        return matching.first?.0.optimizer ?? defaultOptimizer
    }

    /// Keras's serialized form.
    public var serialized: JSON {
        ["module": "keras.optimizers", "class_name": "OptimizerMap",
         "config": ["default_optimizer": defaultOptimizer.serialized,
                    "optimizer_map": .object(entries.map { ($0.pattern, $0.optimizer.serialized) })],
         "registered_name": nil]
    }
}

/// Different optimizers for different variables, chosen by an ``OptimizerMap``; each inner
/// optimizer keeps its own learning rate, state and step count. Keras:
/// `MultiOptimizer(optimizer_map, loss_scale_factor=None)`.
public final class MultiOptimizer: Optimizer, @unchecked Sendable {
    public let optimizerMap: OptimizerMap
    /// The inner optimizers: the map's (once each, in order), then the default.
    public let optimizers: [Optimizer]
    private var routedVariables: [Variable] = []
    private var routes: [(Optimizer, [Int])] = []

    /// `lossScaleFactor` replaces the inner optimizers' own, as in Keras.
    public init(_ optimizerMap: OptimizerMap, lossScaleFactor: Double? = nil, name: String = "multi_optimizer") throws {
        self.optimizerMap = optimizerMap
        var all: [Optimizer] = []
        for o in optimizerMap.entries.map(\.optimizer) + [optimizerMap.defaultOptimizer] where !all.contains(where: { $0 === o }) {
            all.append(o)
        }
        optimizers = all
        try super.init(learningRate: 0, options: OptimizerArguments(lossScaleFactor: lossScaleFactor), defaultName: name)
        for o in all { o.lossScaleFactor = lossScaleFactor }
    }

    convenience init(config: JSON) throws {
        var a = try ConfigArguments("MultiOptimizer", config)
        guard let mapConfig = a.raw("optimizer_map") else {
            throw KerasError.invalidArgument("MultiOptimizer: the argument optimizer_map is required")
        }
        let factor = try a.double("loss_scale_factor")
        let name = try a.string("name")
        try a.finish()
        try self.init(try OptimizerMap(config: mapConfig), lossScaleFactor: factor, name: name ?? "multi_optimizer")
    }

    override var innerOptimizers: [Optimizer] { optimizers }

    /// Each inner optimizer with its share of `variables` (in their order); ambiguous paths go to
    /// the default here, and ``apply(_:to:)`` reports them.
    override func delegates(for variables: [Variable]) -> [(Optimizer, [Variable])] {
        optimizers.map { o in
            (o, variables.filter { ((try? optimizerMap.optimizer(forPath: $0.path)) ?? optimizerMap.defaultOptimizer) === o })
        }
    }

    /// Keras has no single learning rate here; this reads the default optimizer's.
    public override var currentLearningRate: Float { optimizerMap.defaultOptimizer.currentLearningRate }

    public override func setLearningRate(_ value: Float) throws {
        throw KerasError.invalidState("MultiOptimizer: the learning rate cannot be set on a MultiOptimizer; set it on the inner optimizers")
    }

    /// Applies each inner optimizer to its variables, then counts the step.
    public override func apply(_ gradients: [Tensor], to variables: [Variable]) throws {
        guard gradients.count == variables.count else {
            throw KerasError.invalidArgument("\(name).apply: \(gradients.count) gradients for \(variables.count) variables")
        }
        if gradients.isEmpty { return }
        if routedVariables.count != variables.count || zip(routedVariables, variables).contains(where: { $0 !== $1 }) {
            let chosen = try variables.map { try optimizerMap.optimizer(forPath: $0.path) }
            routes = optimizers.map { o in (o, chosen.indices.filter { chosen[$0] === o }) }
            routedVariables = variables
        }
        for (o, share) in routes where !share.isEmpty {
            try o.apply(share.map { gradients[$0] }, to: share.map { variables[$0] })
        }
        iterations += 1
    }

    public override func reset() {
        super.reset()
        optimizers.forEach { $0.reset() }
        routedVariables = []
        routes = []
    }

    public override var config: JSON {
        ["optimizer_map": optimizerMap.serialized, "loss_scale_factor": .optional(lossScaleFactor), "name": .string(name)]
    }
}
