/// Builds an optimizer from its Keras name and the routed `optimizer__<name>` arguments, as
/// SciKeras instantiates `optimizer` with `optimizer__*` keyword arguments.
enum OptimizerFactory {
    static let common = ["learning_rate", "lr", "clipnorm", "clipvalue", "global_clipnorm"]
    static let specific: [String: [String]] = [
        "sgd": ["momentum", "nesterov"],
        "adam": ["beta_1", "beta_2", "epsilon", "amsgrad"],
        "rmsprop": ["rho", "momentum", "epsilon", "centered"],
    ]

    static func make(_ name: String, _ kw: Params, owner: String) throws -> Optimizer {
        let key = name.lowercased()
        let allowed = Set(common + (specific[key] ?? []))
        for k in kw.keys.sorted() where !allowed.contains(k) {
            throw KerasError.invalidArgument("\(owner): optimizer '\(name)' has no argument '\(k)' (optimizer__\(k)); it takes \(allowed.sorted().joined(separator: ", "))")
        }
        let r = ParamReader(owner: "\(owner) optimizer '\(name)'", params: kw)
        let lrValue = try kw["learning_rate"] != nil ? r.double("learning_rate", default: 0) : (kw["lr"] != nil ? r.double("lr", default: 0) : nil)
        let lr = lrValue.map { Float($0) }
        func opt(_ k: String) throws -> Float? { kw[k] == nil || kw[k]!.isNone ? nil : Float(try r.double(k, default: 0)) }
        let clipnorm = try opt("clipnorm"), clipvalue = try opt("clipvalue"), globalClipnorm = try opt("global_clipnorm")
        switch key {
        case "sgd":
            return try SGD(learningRate: lr ?? 0.01, momentum: Float(r.double("momentum", default: 0)),
                           nesterov: r.bool("nesterov", default: false),
                           clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
        case "adam":
            return try Adam(learningRate: lr ?? 0.001, beta1: Float(r.double("beta_1", default: 0.9)),
                            beta2: Float(r.double("beta_2", default: 0.999)), epsilon: Float(r.double("epsilon", default: 1e-7)),
                            amsgrad: r.bool("amsgrad", default: false),
                            clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
        case "rmsprop":
            return try RMSprop(learningRate: lr ?? 0.001, rho: Float(r.double("rho", default: 0.9)),
                               momentum: Float(r.double("momentum", default: 0)), epsilon: Float(r.double("epsilon", default: 1e-7)),
                               centered: r.bool("centered", default: false),
                               clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
        default:
            let o = try Optimizer.named(name)
            if let lr {
                guard lr >= 0, lr.isFinite else { throw r.bad("learning_rate", .double(Double(lr)), "a finite number >= 0") }
                o.learningRate = lr
            }
            o.clipnorm = clipnorm ?? o.clipnorm
            o.clipvalue = clipvalue ?? o.clipvalue
            o.globalClipnorm = globalClipnorm ?? o.globalClipnorm
            return o
        }
    }
}

/// Builds a loss from its Keras name and the routed `loss__<name>` arguments.
enum LossFactory {
    static func make(_ name: String, _ kw: Params, owner: String) throws -> LossSpec {
        let r = ParamReader(owner: "\(owner) loss '\(name)'", params: kw)
        func only(_ allowed: [String]) throws {
            for k in kw.keys.sorted() where !allowed.contains(k) {
                throw KerasError.invalidArgument("\(owner): loss '\(name)' has no argument '\(k)' (loss__\(k))" + (allowed.isEmpty ? "" : "; it takes \(allowed.joined(separator: ", "))"))
            }
        }
        switch canonical(name) {
        case "categorical_crossentropy":
            try only(["from_logits", "label_smoothing"])
            return .instance(CategoricalCrossentropy(fromLogits: try r.bool("from_logits", default: false),
                                                     labelSmoothing: Float(try r.double("label_smoothing", default: 0))))
        case "sparse_categorical_crossentropy":
            try only(["from_logits"])
            return .instance(SparseCategoricalCrossentropy(fromLogits: try r.bool("from_logits", default: false)))
        case "binary_crossentropy":
            try only(["from_logits", "label_smoothing"])
            return .instance(BinaryCrossentropy(fromLogits: try r.bool("from_logits", default: false),
                                                labelSmoothing: Float(try r.double("label_smoothing", default: 0))))
        default:
            try only([])
            _ = try Loss.named(name)
            return .name(name)
        }
    }

    /// The Keras function name for a loss name or class name or alias.
    static func canonical(_ name: String) -> String {
        switch name {
        case "categorical_crossentropy", "CategoricalCrossentropy", "cce": return "categorical_crossentropy"
        case "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy", "scce": return "sparse_categorical_crossentropy"
        case "binary_crossentropy", "BinaryCrossentropy", "bce": return "binary_crossentropy"
        default: return name
        }
    }
}
