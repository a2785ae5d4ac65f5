#if canImport(Glibc)
import Glibc
#endif

/// Updates weights from gradients. Keras: `keras.optimizers.Optimizer`.
///
/// Subclasses implement ``update(_:gradient:slots:step:learningRate:)`` for one variable; the base
/// class handles the learning rate, gradient clipping, iteration counting and per-variable state.
open class Optimizer: @unchecked Sendable {
    /// The Keras name (`adam`).
    public let name: String
    /// The current learning rate (a schedule, when given, overrides it each step).
    public var learningRate: Float
    /// Clips each gradient to this norm.
    public var clipnorm: Float?
    /// Clips each gradient element to `[-clipvalue, clipvalue]`.
    public var clipvalue: Float?
    /// Clips all gradients together to this global norm.
    public var globalClipnorm: Float?
    /// Steps taken so far.
    public internal(set) var iterations: Int = 0
    /// Per-variable state (momentum, velocity), created on first use.
    var slots: [ObjectIdentifier: [Tensor]] = [:]

    public init(name: String, learningRate: Float, clipnorm: Float? = nil, clipvalue: Float? = nil,
                globalClipnorm: Float? = nil) throws {
        guard learningRate >= 0, learningRate.isFinite else {
            throw KerasError.invalidArgument("\(name)(learning_rate: \(learningRate)): the learning rate must be a finite number >= 0")
        }
        self.name = name
        self.learningRate = learningRate
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.globalClipnorm = globalClipnorm
    }

    open var className: String { String(describing: type(of: self)) }

    /// How many state tensors each variable needs.
    open var slotCount: Int { 0 }

    /// Updates one variable in place. `slots` holds its state; `step` counts from 1.
    open func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                     slots: [UnsafeMutablePointer<Float>], step: Int, learningRate lr: Float) {}

    /// Applies one step to `variables` with their `gradients`.
    public func apply(_ gradients: [Tensor], to variables: [Variable]) throws {
        guard gradients.count == variables.count else {
            throw KerasError.invalidArgument("\(name).apply: \(gradients.count) gradients for \(variables.count) variables")
        }
        var grads = gradients
        clip(&grads)
        iterations += 1
        let lr = currentLearningRate
        for (v, g) in zip(variables, grads) {
            let key = ObjectIdentifier(v)
            let state: [Tensor]
            if let s = slots[key] { state = s } else {
                state = (0..<slotCount).map { _ in Tensor(shape: v.shape, repeating: 0) }
                slots[key] = state
            }
            update(v.mutableData, gradient: g.data, count: g.count, slots: state.map(\.data),
                   step: iterations, learningRate: lr)
            v.constraint?.apply(v)
        }
    }

    /// The learning rate for the step being taken.
    open var currentLearningRate: Float { learningRate }

    func clip(_ grads: inout [Tensor]) {
        if let c = clipvalue {
            grads = grads.map { Kernels.map($0) { Swift.min(Swift.max($0, -c), c) } }
        }
        if let c = clipnorm {
            grads = grads.map { g in
                let n = norm(g)
                return n > c ? Kernels.scale(g, c / n) : g
            }
        }
        if let c = globalClipnorm {
            let total = grads.reduce(Float(0)) { let n = norm($1); return $0 + n * n }.squareRoot()
            if total > c { grads = grads.map { Kernels.scale($0, c / total) } }
        }
    }

    func norm(_ g: Tensor) -> Float {
        var s: Float = 0
        for i in 0..<g.count { s += g.data[i] * g.data[i] }
        return s.squareRoot()
    }

    /// Forgets per-variable state and the step count.
    public func reset() { slots.removeAll(); iterations = 0 }

    open var config: JSON {
        ["name": .string(name), "learning_rate": .double(Double(learningRate)), "weight_decay": nil,
         "clipnorm": clipnorm.map { .double(Double($0)) } ?? nil,
         "global_clipnorm": globalClipnorm.map { .double(Double($0)) } ?? nil,
         "clipvalue": clipvalue.map { .double(Double($0)) } ?? nil,
         "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": nil,
         "loss_scale_factor": nil, "gradient_accumulation_steps": nil]
    }

    /// An optimizer with Keras's defaults from its name (`"adam"`, `"sgd"`, `"rmsprop"`).
    public static func named(_ name: String) throws -> Optimizer {
        if case .optimizer(let make)? = ObjectRegistry.lookupCustom(.optimizer, name) { return try make(.object([])) }
        switch name.lowercased() {
        case "sgd": return try SGD()
        case "adam": return try Adam()
        case "rmsprop": return try RMSprop()
        default:
            if let make = builtins[name.lowercased()] { return try make() }
            throw KerasError.unknownName("Unknown optimizer '\(name)'. Known: adam, rmsprop, sgd\(builtins.isEmpty ? "" : ", " + builtins.keys.sorted().joined(separator: ", "))")
        }
    }

    nonisolated(unsafe) static var builtins: [String: () throws -> Optimizer] = [:]
}

/// Stochastic gradient descent with optional (Nesterov) momentum. Keras: `SGD`.
public final class SGD: Optimizer, @unchecked Sendable {
    public let momentum: Float
    public let nesterov: Bool

    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false,
                clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil) throws {
        guard momentum >= 0, momentum <= 1 else {
            throw KerasError.invalidArgument("SGD(momentum: \(momentum)): momentum must be in [0, 1]")
        }
        self.momentum = momentum
        self.nesterov = nesterov
        try super.init(name: "sgd", learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
    }

    public override var slotCount: Int { momentum > 0 ? 1 : 0 }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int, learningRate lr: Float) {
        if momentum == 0 {
            for i in 0..<n { w[i] -= lr * g[i] }
            return
        }
        let m = slots[0], mu = momentum
        if nesterov {
            for i in 0..<n { m[i] = mu * m[i] - lr * g[i]; w[i] += mu * m[i] - lr * g[i] }
        } else {
            for i in 0..<n { m[i] = mu * m[i] - lr * g[i]; w[i] += m[i] }
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("momentum", .double(Double(momentum))); c.set("nesterov", .bool(nesterov))
        return c
    }
}

/// Adam. Keras: `Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
public final class Adam: Optimizer, @unchecked Sendable {
    public let beta1: Float, beta2: Float, epsilon: Float, amsgrad: Bool

    public init(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
                amsgrad: Bool = false, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil) throws {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.amsgrad = amsgrad
        try super.init(name: "adam", learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
    }

    public override var slotCount: Int { amsgrad ? 3 : 2 }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int, learningRate lr: Float) {
        let t = Float(step)
        let alpha = lr * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
        let m = slots[0], v = slots[1]
        let b1 = beta1, b2 = beta2, eps = epsilon
        if amsgrad {
            let vhat = slots[2]
            for i in 0..<n {
                m[i] += (g[i] - m[i]) * (1 - b1)
                v[i] += (g[i] * g[i] - v[i]) * (1 - b2)
                vhat[i] = Swift.max(vhat[i], v[i])
                w[i] -= alpha * m[i] / (vhat[i].squareRoot() + eps)
            }
        } else {
            for i in 0..<n {
                m[i] += (g[i] - m[i]) * (1 - b1)
                v[i] += (g[i] * g[i] - v[i]) * (1 - b2)
                w[i] -= alpha * m[i] / (v[i].squareRoot() + eps)
            }
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("beta_1", .double(Double(beta1))); c.set("beta_2", .double(Double(beta2)))
        c.set("epsilon", .double(Double(epsilon))); c.set("amsgrad", .bool(amsgrad))
        return c
    }
}

/// RMSprop, Keras's default optimizer in `compile`. Keras: `RMSprop(learning_rate=0.001, rho=0.9,
/// momentum=0.0, epsilon=1e-7, centered=False)`.
public final class RMSprop: Optimizer, @unchecked Sendable {
    public let rho: Float, momentum: Float, epsilon: Float, centered: Bool

    public init(learningRate: Float = 0.001, rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
                centered: Bool = false, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil) throws {
        self.rho = rho; self.momentum = momentum; self.epsilon = epsilon; self.centered = centered
        try super.init(name: "rmsprop", learningRate: learningRate, clipnorm: clipnorm, clipvalue: clipvalue, globalClipnorm: globalClipnorm)
    }

    public override var slotCount: Int { 1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0) }

    public override func update(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>, count n: Int,
                                slots: [UnsafeMutablePointer<Float>], step: Int, learningRate lr: Float) {
        let vel = slots[0]
        let mom: UnsafeMutablePointer<Float>? = momentum > 0 ? slots[1] : nil
        let avg: UnsafeMutablePointer<Float>? = centered ? slots[momentum > 0 ? 2 : 1] : nil
        for i in 0..<n {
            vel[i] = rho * vel[i] + (1 - rho) * g[i] * g[i]
            var denom = vel[i]
            if let avg {
                avg[i] = rho * avg[i] + (1 - rho) * g[i]
                denom -= avg[i] * avg[i]
            }
            let inc = lr * g[i] / (denom + epsilon).squareRoot()
            if let mom {
                mom[i] = momentum * mom[i] + inc
                w[i] -= mom[i]
            } else {
                w[i] -= inc
            }
        }
    }

    public override var config: JSON {
        var c = super.config
        c.set("rho", .double(Double(rho))); c.set("momentum", .double(Double(momentum)))
        c.set("epsilon", .double(Double(epsilon))); c.set("centered", .bool(centered))
        return c
    }
}
