import Glibc

/// One op of an ``OpGraph``: a `keras.ops` name and its arguments, resolved once at trace time
/// into a closure over differentiable ``Ops``.
struct OpGraphOp {
    /// What the dense peephole (OpGraph+Fusion.swift) needs to know of an op.
    enum Role: Equatable {
        case matmul, add
        case activation(ElementwiseActivation)
        /// A fused `activation(x · w (+ b))`: inputs x, w (and b).
        case dense(ElementwiseActivation, bias: Bool)
    }

    let name: String
    /// A random op's draws (OpGraphOp+Random.swift), rewound after the trace's probes.
    private(set) var draw: RandomDraw?
    /// Set for the ops the dense peephole rewrites.
    let role: Role?
    /// The `keras.ops` arguments a traced op was resolved with, and its activation when it is
    /// one (what the ONNX export reads); nil for the ops the graph composes itself.
    private(set) var attributes: OpAttributes?
    private(set) var activationFunction: ActivationFunction?
    private let body: ([Tensor], Bool) throws -> Tensor

    /// `activation(x · kernel + bias)` as one ``Ops/dense(_:kernel:bias:activation:)`` (inputs
    /// x, kernel and, with `bias`, the bias): what the peephole puts in place of a traced
    /// `matmul`, `add` and activation.
    init(fusedDense activation: ElementwiseActivation, bias: Bool) {
        name = "dense"
        role = .dense(activation, bias: bias)
        body = bias
            ? { x, _ in try Ops.dense(x[0], kernel: x[1], bias: x[2], activation: activation) }
            : { x, _ in try Ops.dense(x[0], kernel: x[1], bias: nil, activation: activation) }
    }

    /// An op computed by `body` (inputs, training): a node the graph composes itself, such as a
    /// custom gradient's (OpGraph+CustomGradient.swift).
    init(name: String, body: @escaping ([Tensor], Bool) throws -> Tensor) {
        self.name = name
        role = nil
        self.body = body
    }

    /// For an op of several outputs (a called layer's `[output, scores]`): all of them; the
    /// node's value is the first, and ``part`` ops read the others (``OpGraph/evaluate``).
    private(set) var outputs: (([Tensor], Bool) throws -> [Tensor])?
    /// For an op reading output `part` of the op of several outputs that is its one input.
    private(set) var part: Int?

    /// An op of several outputs computed by `body` (inputs, training).
    init(name: String, outputs body: @escaping ([Tensor], Bool) throws -> [Tensor]) {
        self.name = name
        role = nil
        outputs = body
        self.body = { x, training in
            guard let first = try body(x, training).first else {
                throw KerasError.invalidState("op graph: '\(name)' gave no output")
            }
            return first
        }
    }

    /// The op reading output `part` of op `of` (its one input), while the graph runs.
    init(part: Int, of name: String) {
        self.name = "\(name)[\(part)]"
        role = nil
        self.part = part
        body = { _, _ in
            throw KerasError.invalidState("op graph: output \(part) of '\(name)' is read only while its graph runs")
        }
    }

    /// Resolves `name` with `attributes` for `arity` inputs; throws for an unknown op or a wrong
    /// number of inputs.
    init(_ name: String, _ attributes: JSON, arity: Int) throws {
        self.name = name
        let a = OpAttributes(op: name, json: attributes)
        self.attributes = a
        func need(_ n: Int) throws {
            guard arity == n else {
                throw KerasError.invalidArgument("op '\(name)' takes \(n) input\(n == 1 ? "" : "s"), got \(arity)")
            }
        }
        var role: Role?
        if let f = OpGraphOp.binary[name] ?? OpGraphOp.integerBinary[name], !(name == "power" && arity == 1) {
            try need(2)
            role = name == "matmul" || name == "dot" ? .matmul : name == "add" ? .add : nil
            body = { x, _ in try f(x[0], x[1]) }
        } else if let f = try OpGraphOp.activation(name, a) {
            try need(1)
            activationFunction = f
            role = f.elementwise.map { .activation($0) }
            body = { x, _ in try f(x[0]) }
        } else if let f = try OpGraphOp.unary(name, a) {
            try need(1)
            body = { x, _ in try f(x[0]) }
        } else if name == "reshape", a.json["read_sizes"] != nil {
            guard arity >= 1 else { throw KerasError.invalidArgument("op 'reshape' needs the tensor it reshapes") }
            let f = try OpGraphOp.reshapeReading(a, arity: arity)
            body = { x, _ in try f(x) }
        } else if let f = try OpGraphOp.shaped(name, a) {
            try need(1)
            body = { x, _ in try f(x[0]) }
        } else if let windowed = try OpGraphOp.window(name, a) {
            try need(windowed.0)
            let f = windowed.1
            body = { x, _ in try f(x) }
        } else if let indexed = try OpGraphOp.indexing(name, a) {
            try need(indexed.0)
            let f = indexed.1
            body = { x, _ in try f(x) }
        } else if let along = try OpGraphOp.alongAxes(name, a) ?? OpGraphOp.linearAlgebra(name, a) {
            try need(along.0)
            let f = along.1
            body = { x, _ in try f(x) }
        } else if let drawn = try OpGraphOp.random(name, a) {
            guard drawn.0.contains(arity) else {
                throw KerasError.invalidArgument("op '\(name)' takes \(drawn.0.lowerBound == drawn.0.upperBound ? "\(drawn.0.lowerBound) input" : "\(drawn.0.lowerBound) or \(drawn.0.upperBound) inputs"), got \(arity)")
            }
            draw = drawn.1
            let f = drawn.2
            body = { x, _ in try f(x) }
        } else if name == "map_coordinates" {
            try need(2)
            let order = try a.int("order", default: Int.min)
            guard order != Int.min else { throw a.bad("order", "is required (0: nearest, 1: linear)") }
            let mode = a.json["fill_mode"].flatMap { $0.isNull ? nil : $0 }
            guard let modeName = mode.map({ $0.stringValue }) ?? "constant" else { throw a.bad("fill_mode", "must be a string") }
            let fill = try CoordinateFillMode.named(modeName, "op 'map_coordinates'")
            let value = Float(try a.double("fill_value", default: 0)), batchDims = try a.int("batch_dims", default: 0)
            body = { x, _ in
                try Ops.mapCoordinates(x[0], coordinates: x[1], order: order, fillMode: fill, fillValue: value, batchDims: batchDims)
            }
        } else if name == "ctc_loss" {
            try need(4)   // target, output, target_length, output_length: lengths read per step
            let maskIndex = try a.int("mask_index", default: 0)
            body = { x, _ in
                try Ops.ctcLoss(labels: x[0].detached, logits: x[1], labelLengths: x[2].detached,
                                logitLengths: x[3].detached, maskIndex: maskIndex)
            }
        } else if name == "where" {
            try need(3)
            body = { x, _ in try OpGraphOp.select(x[0], x[1], x[2]) }
        } else if name == "concatenate" || name == "stack" {
            guard arity >= 1 else { throw KerasError.invalidArgument("op '\(name)' needs at least one input") }
            let axis = try a.int("axis", default: name == "stack" ? 0 : -1)
            body = name == "stack"
                ? { x, _ in try Ops.concatenate(x.map { try Ops.expandDims($0, axis: axis) }, axis: axis) }
                : { x, _ in try Ops.concatenate(x, axis: axis) }
        } else {
            throw KerasError.invalidArgument("op '\(name)' is not one the library can run natively")
        }
        self.role = role
    }

    /// The op's output for `inputs`.
    func apply(_ inputs: [Tensor], training: Bool) throws -> Tensor { try body(inputs, training) }

    static let binary: [String: (Tensor, Tensor) throws -> Tensor] = [
        "add": Ops.add, "subtract": Ops.subtract, "multiply": Ops.multiply, "divide": Ops.divide,
        "true_divide": Ops.divide, "maximum": Ops.maximum, "minimum": Ops.minimum,
        "matmul": OpGraphOp.matmul, "dot": OpGraphOp.matmul,
        "greater": Ops.greater, "equal": Ops.equal, "less": { try Ops.greater($1, $0) },
        "greater_equal": { try Ops.greater($0, $1) + Ops.equal($0, $1) },
        "less_equal": { try Ops.greater($1, $0) + Ops.equal($0, $1) },
        "not_equal": { a, b in 1 - (try Ops.equal(a, b)) },
        "power": { a, b in Ops.exp(try Ops.multiply(b, Ops.log(a))) },
    ]

    static let plain: [String: (Tensor) throws -> Tensor] = [
        "negative": Ops.negative, "exp": Ops.exp, "log": Ops.log, "sqrt": Ops.sqrt, "square": Ops.square,
        "abs": Ops.abs, "absolute": Ops.abs, "sign": Ops.sign, "log1p": Ops.log1p, "expm1": Ops.expm1,
        "sin": Ops.sin, "cos": Ops.cos, "stop_gradient": Ops.stopGradient,
        "reciprocal": { Ops.pow($0, -1) }, "rsqrt": { Ops.pow($0, -0.5) },
        "cast": { $0 }, "convert_to_tensor": { $0 }, "identity": { $0 },
        "zeros_like": { Tensor(shape: $0.shape) }, "ones_like": { Tensor(shape: $0.shape, repeating: 1) },
        // Rounding: piecewise constant, so a zero gradient (as under jax).
        "floor": { Ops.unary($0, { $0.rounded(.down) }, { _, _, _ in 0 }) },
        "ceil": { Ops.unary($0, { $0.rounded(.up) }, { _, _, _ in 0 }) },
        "trunc": { Ops.unary($0, { $0.rounded(.towardZero) }, { _, _, _ in 0 }) },
        "round": { Ops.unary($0, { $0.rounded(.toNearestOrEven) }, { _, _, _ in 0 }) },
        "tan": { Ops.unary($0, { Glibc.tanf($0) }, { _, y, g in g * (1 + y * y) }) },
        "arcsin": { Ops.unary($0, { Glibc.asinf($0) }, { x, _, g in g / (1 - x * x).squareRoot() }) },
        "arccos": { Ops.unary($0, { Glibc.acosf($0) }, { x, _, g in -g / (1 - x * x).squareRoot() }) },
        "arctan": { Ops.unary($0, { Glibc.atanf($0) }, { x, _, g in g / (1 + x * x) }) },
        "sinh": { Ops.unary($0, { Glibc.sinhf($0) }, { x, _, g in g * Glibc.coshf(x) }) },
        "cosh": { Ops.unary($0, { Glibc.coshf($0) }, { x, _, g in g * Glibc.sinhf(x) }) },
        "arcsinh": { Ops.unary($0, { Glibc.asinhf($0) }, { x, _, g in g / (x * x + 1).squareRoot() }) },
        "arccosh": { Ops.unary($0, { Glibc.acoshf($0) }, { x, _, g in g / (x * x - 1).squareRoot() }) },
        "arctanh": { Ops.unary($0, { Glibc.atanhf($0) }, { x, _, g in g / (1 - x * x) }) },
    ]

    /// Elementwise ops.
    static func unary(_ name: String, _ a: OpAttributes) throws -> ((Tensor) throws -> Tensor)? {
        if let f = plain[name] ?? special[name] ?? integerUnary[name] { return f }
        switch name {
        case "power":
            let p = Float(try a.double("exponent"))
            return { Ops.pow($0, p) }
        case "clip":
            let lo = Float(try a.double("x_min")), hi = Float(try a.double("x_max"))
            return { Ops.clip($0, lo, hi) }
        case "softmax", "log_softmax":
            let axis = try a.int("axis", default: -1)
            return name == "softmax" ? { try Ops.softmax($0, axis: axis) } : { try Ops.logSoftmax($0, axis: axis) }
        default: return nil
        }
    }

    /// Activations (their ``ActivationFunction/elementwise`` kind lets them fuse into a dense).
    static func activation(_ name: String, _ a: OpAttributes) throws -> ActivationFunction? {
        switch name {
        case "gelu": return ActivationFunction.gelu(approximate: try a.bool("approximate", default: true))
        case "elu": return ActivationFunction.elu(alpha: Float(try a.double("alpha", default: 1)))
        case "leaky_relu":
            return ActivationFunction.leakyReLU(negativeSlope: Float(try a.double("negative_slope", default: 0.2)))
        case "linear", "sigmoid", "tanh", "relu", "relu6", "softplus", "softsign", "selu", "silu", "swish", "mish",
             "hard_sigmoid", "hard_silu", "hard_swish", "exponential":
            return ActivationFunction.builtins[name]
        default: return nil
        }
    }

    /// Reductions and shape ops.
    static func shaped(_ name: String, _ a: OpAttributes) throws -> ((Tensor) throws -> Tensor)? {
        switch name {
        case "sum", "mean", "max", "min", "amax", "amin":
            let axes = try a.axes("axis"), keep = try a.bool("keepdims", default: false)
            switch name {
            case "sum": return { try Ops.sum($0, axes: axes, keepDims: keep) }
            case "mean": return { try Ops.mean($0, axes: axes, keepDims: keep) }
            case "max", "amax": return { try Ops.max($0, axes: axes, keepDims: keep) }
            default: return { try Ops.min($0, axes: axes, keepDims: keep) }
            }
        case "argmax":
            let axis = try a.int("axis", default: -1)
            return { try Ops.argmax($0, axis: axis) }
        case "reshape":
            guard let shape = try a.axes("newshape") else { throw a.bad("newshape", "is required") }
            return { try Ops.reshape($0, shape) }
        case "transpose":
            let perm = try a.axes("axes")
            return { try Ops.transpose($0, perm) }
        case "expand_dims":
            let axis = try a.int("axis", default: 0)
            return { try Ops.expandDims($0, axis: axis) }
        case "squeeze":
            let axes = try a.axes("axis")
            return { x in
                let ax = try Ops.normalizedAxes("squeeze", axes, rank: x.rank).filter { axes != nil || x.shape[$0] == 1 }
                if let bad = ax.first(where: { x.shape[$0] != 1 }) {
                    throw KerasError.invalidArgument("squeeze: axis \(bad) of shape \(x.shape) is not of size 1")
                }
                return try Ops.reshape(x, x.shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element))
            }
        default: return nil
        }
    }

    /// `where(condition, x, y)` with Keras's broadcasting.
    static func select(_ c: Tensor, _ x: Tensor, _ y: Tensor) throws -> Tensor {
        guard let s1 = Kernels.broadcastShape(c.shape, x.shape), let shape = Kernels.broadcastShape(s1, y.shape) else {
            throw KerasError.shapeMismatch("where: condition \(c.shape), x \(x.shape) and y \(y.shape) cannot be broadcast together")
        }
        func spread(_ t: Tensor) throws -> Tensor { t.shape == shape ? t : try Ops.add(t, Tensor(shape: shape)) }
        return try Ops.where(spread(c.detached), spread(x), spread(y))
    }
}

/// The JSON arguments of one op, read with errors that name the op and the argument.
struct OpAttributes {
    let op: String
    let json: JSON

    func bad(_ key: String, _ why: String) -> KerasError {
        KerasError.invalidArgument("op '\(op)': argument '\(key)' \(why)")
    }

    private func value(_ key: String) -> JSON? {
        guard let v = json[key], !v.isNull else { return nil }
        return v
    }

    func int(_ key: String, default d: Int) throws -> Int {
        guard let v = value(key) else { return d }
        guard let i = v.intValue else { throw bad(key, "must be an integer, got \(v)") }
        return i
    }

    func double(_ key: String, default d: Double? = nil) throws -> Double {
        guard let v = value(key) else {
            if let d { return d }
            throw bad(key, "is required")
        }
        guard let x = v.doubleValue else { throw bad(key, "must be a number, got \(v)") }
        return x
    }

    func bool(_ key: String, default d: Bool) throws -> Bool {
        guard let v = value(key) else { return d }
        guard let b = v.boolValue else { throw bad(key, "must be true or false, got \(v)") }
        return b
    }

    /// An integer or a list of integers; nil when absent or null.
    func axes(_ key: String) throws -> [Int]? {
        guard let v = value(key) else { return nil }
        if let i = v.intValue { return [i] }
        guard let items = v.arrayValue else { throw bad(key, "must be an integer or a list of integers, got \(v)") }
        return try items.map { item in
            guard let i = item.intValue else { throw bad(key, "must hold integers, got \(item)") }
            return i
        }
    }
}
