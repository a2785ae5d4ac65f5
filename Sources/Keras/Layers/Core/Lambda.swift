/// Wraps a Swift closure over differentiable ``Ops`` as a layer; gradients flow through it with
/// no backward code. Keras: `keras.layers.Lambda`.
///
/// The output shape is inferred by running the closure once on zeros, unless `outputShape`
/// (one sample, without the batch dimension) is given. A closure cannot be written to a file: the
/// config names it by `functionName` (as Keras names a registered function), so a model that
/// holds a Lambda reloads only where a function of that name is registered.
///
/// ```swift
/// let square = Lambda(functionName: "square") { x in Ops.square(x) }
/// let join = Lambda(combining: { xs in try Ops.concatenate(xs, axis: -1) })
/// ```
public final class Lambda: Layer, @unchecked Sendable {
    /// The shape of one output sample (no batch dimension), when given.
    public let outputShape: [Int?]?
    /// The name the config uses for the closure.
    public let functionName: String
    private let function: ([Tensor]) throws -> Tensor
    private let takesList: Bool

    /// Keras's Lambda computes its mask (its `mask` argument: none by default).
    override class var computesOwnMask: Bool { true }

    /// A Lambda over one input tensor.
    public init(functionName: String = "lambda", outputShape: [Int?]? = nil, name: String? = nil,
                trainable: Bool = true, inputShape: [Int]? = nil, inputDim: Int? = nil, batchSize: Int? = nil,
                _ function: @escaping (Tensor) throws -> Tensor) {
        self.functionName = functionName
        self.outputShape = outputShape
        takesList = false
        self.function = { xs in
            guard xs.count == 1 else {
                throw KerasError.invalidArgument("Lambda '\(functionName)' takes one input, got \(xs.count)")
            }
            return try function(xs[0])
        }
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    /// A Lambda over a list of input tensors (a merge written by hand).
    public init(functionName: String = "lambda", outputShape: [Int?]? = nil, name: String? = nil,
                trainable: Bool = true, combining function: @escaping ([Tensor]) throws -> Tensor) {
        self.functionName = functionName
        self.outputShape = outputShape
        takesList = true
        self.function = function
        super.init(name: name, trainable: trainable)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try run([inputs])
    }

    public override func call(_ inputs: [Tensor], training: Bool) throws -> Tensor {
        try run(inputs)
    }

    private func run(_ xs: [Tensor]) throws -> Tensor {
        do {
            return try function(xs)
        } catch let error as KerasError {
            throw error
        } catch {
            throw KerasError.callbackFailed("Lambda '\(name)': the function '\(functionName)' failed: \(error)")
        }
    }

    public override func build(shapes: [[Int?]]) throws {}

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try computeOutputShape(shapes: [inputShape])
    }

    /// `[batch] + outputShape` when given; otherwise the shape of the closure's result on zeros
    /// (unknown sizes taken as 1, the batch dimension kept unknown).
    public override func computeOutputShape(shapes: [[Int?]]) throws -> [Int?] {
        guard let first = shapes.first, let batch = first.first else {
            throw KerasError.shapeMismatch("Lambda '\(name)': inputs need a batch dimension, got \(shapes.map(formatShape))")
        }
        if let outputShape { return [batch] + outputShape }
        let probes = try shapes.map { s -> Tensor in
            let dims = s.map { $0 ?? 1 }
            guard dims.allSatisfy({ $0 >= 0 }) else {
                throw KerasError.shapeMismatch("Lambda '\(name)': input shape \(formatShape(s)) has a negative size")
            }
            _ = try ShapeMath.product(dims, "Lambda '\(name)'")
            return Tensor(shape: dims, repeating: 0)
        }
        let out: Tensor
        do {
            out = try GradientTape.withoutRecording { try run(takesList ? probes : [probes[0]]) }
        } catch let error as KerasError {
            throw KerasError.shapeMismatch("Lambda '\(name)': could not infer the output shape (pass outputShape): \(error.message)")
        }
        guard out.rank >= 1 else { return [] }
        return [batch] + out.shape.dropFirst().map { Optional($0) }
    }

    /// Makes a function loadable by name: a saved Lambda whose config names `functionName`
    /// rebuilds with `function`. Single-input functions receive a one-element list.
    public static func register(_ functionName: String, _ function: @escaping (Tensor) throws -> Tensor) {
        register(functionName, combining: { xs in
            guard xs.count == 1 else {
                throw KerasError.invalidArgument("Lambda '\(functionName)' takes one input, got \(xs.count)")
            }
            return try function(xs[0])
        })
    }

    /// Makes a function over several inputs loadable by name.
    public static func register(_ functionName: String, combining function: @escaping ([Tensor]) throws -> Tensor) {
        ObjectRegistry.register(functionName, .function(function))
    }
}

extension Lambda: DeclaredLayer {
    /// Keras: `Lambda(function, output_shape=None, mask=None, arguments=None)`. The function is
    /// found by name among the registered ones (``Lambda/register(_:_:)``, scopes); a Python
    /// lambda (bytecode) cannot be rebuilt here.
    public static let declaration = LayerDeclaration(Lambda.self, arguments: [
        .required("function") { l in
            ["module": "builtins", "class_name": "function", "config": .string(l.functionName), "registered_name": "function"]
        },
        .optional("output_shape", default: nil) { l in l.outputShape.map(\.configValue) },
        .unsaved("mask"),
        .optional("arguments", default: nil) { _ in [:] },
    ]) { c in
        guard let fn = c["function"] else { throw KerasError.io("Lambda config: needs 'function'") }
        if fn["class_name"]?.stringValue == "__lambda__" {
            throw KerasError.io("Lambda '\(c.name ?? "lambda")': its function is a Python lambda (bytecode), which cannot run here; rewrite it as a named function and register a Swift version with Lambda.register(\"name\") { x in ... }")
        }
        guard let functionName = fn.stringValue ?? fn["config"]?.stringValue else {
            throw KerasError.io("Lambda config: 'function' must name a registered function, got \(fn.description.prefix(80))")
        }
        let bare = functionName.split(separator: ">").last.map(String.init) ?? functionName
        let found = ObjectRegistry.lookupCustom(.function, functionName) ?? ObjectRegistry.lookupCustom(.function, bare)
        guard case .function(let function)? = found else {
            throw KerasError.unknownName("Lambda '\(c.name ?? "lambda")': no Swift function is registered as '\(functionName)'; register one with Lambda.register(\"\(bare)\") { x in ... }")
        }
        return Lambda(functionName: functionName, outputShape: try c.shape("output_shape"), name: c.name, combining: function)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Lambda.self, $0) }
