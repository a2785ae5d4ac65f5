/// The base of the elementwise merge layers (`Add`, `Subtract`, `Multiply`, `Average`,
/// `Maximum`, `Minimum`) and of `Concatenate`. Keras: `keras.layers.Merge`.
///
/// Inputs broadcast as in Keras: the shapes after the batch axis are aligned from the right,
/// and an input of lower rank gets new axes after its batch axis. The output mask is the
/// elementwise or of the inputs' masks, or none when an input has none.
open class Merge: Layer, @unchecked Sendable {
    public override init(name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil,
                         inputDim: Int? = nil, batchSize: Int? = nil) {
        super.init(name: name, trainable: trainable, inputShape: inputShape, inputDim: inputDim, batchSize: batchSize)
    }

    override class var maskingSupport: MaskingSupport { .always }
    override class var computesOwnMask: Bool { true }

    /// The merge of inputs of equal rank with their masks (nil when none has one); subclasses
    /// override it. Keras: `_merge_function`.
    open func merge(_ inputs: [Tensor], masks: [Tensor?]?) throws -> Tensor {
        throw KerasError.invalidState("\(className) '\(name)' does not implement merge(_:masks:)")
    }

    /// The number of inputs the layer takes, when it is fixed (`Subtract`: 2).
    open var requiredInputCount: Int? { nil }

    public override func build(_ inputShape: [Int?]) throws {
        _ = try computeOutputShape(shapes: [inputShape])
    }

    public override func build(shapes: [[Int?]]) throws {
        _ = try computeOutputShape(shapes: shapes)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        try call([inputs], training: training)
    }

    public override func call(_ inputs: [Tensor], training: Bool) throws -> Tensor {
        try singleOutput(call(inputs, mask: nil, training: training))
    }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        _ = try computeOutputShape(shapes: inputs.map { $0.shape.map { Optional($0) } })
        let rank = inputs.map(\.rank).max() ?? 0
        let same = try inputs.map { x -> Tensor in
            guard x.rank < rank, x.rank >= 1 else { return x }
            return try Ops.reshape(x, [x.shape[0]] + Array(repeating: 1, count: rank - x.rank) + x.shape.dropFirst())
        }
        let masks = mask.flatMap { $0.contains(where: { $0 != nil }) ? $0 : nil }
        if let masks, masks.count != inputs.count {
            throw KerasError.invalidArgument("\(className) '\(name)': \(masks.count) masks for \(inputs.count) inputs")
        }
        return [try merge(same, masks: masks)]
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try computeOutputShape(shapes: [inputShape])
    }

    /// Keras's `compute_output_shape`: the batch size the inputs share and the broadcast of the
    /// other dimensions, aligned from the right.
    public override func computeOutputShape(shapes: [[Int?]]) throws -> [Int?] {
        guard !shapes.isEmpty else {
            throw KerasError.invalidArgument("\(className) '\(name)' should be called on a list of at least 1 input, got 0")
        }
        if let n = requiredInputCount, shapes.count != n {
            throw KerasError.invalidArgument("\(className) '\(name)' should be called on exactly \(n) inputs, got \(shapes.count)")
        }
        let described = shapes.map(formatShape).joined(separator: ", ")
        let batches = Set(shapes.compactMap { $0.first ?? nil })
        guard batches.count <= 1 else {
            throw KerasError.shapeMismatch("\(className) '\(name)' cannot merge tensors with different batch sizes, got shapes \(described)")
        }
        var out = Array(shapes[0].dropFirst())
        for s in shapes.dropFirst() {
            var a = out, b = Array(s.dropFirst())
            if a.count < b.count { swap(&a, &b) }
            var merged = Array(a.prefix(a.count - b.count))
            for (i, j) in zip(a.suffix(b.count), b) {
                switch (i, j) {
                case (nil, _), (_, nil): merged.append(nil)
                case (1, _): merged.append(j)
                case (_, 1): merged.append(i)
                default:
                    guard i == j else {
                        throw KerasError.shapeMismatch("\(className) '\(name)': inputs have incompatible shapes \(described)")
                    }
                    merged.append(i)
                }
            }
            out = merged
        }
        return [batches.first] + out
    }

    /// Keras: the or of the masks, none when an input has no mask.
    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        guard masks.contains(where: { $0 != nil }) else { return [nil] }
        guard masks.count == inputs.count else {
            throw KerasError.invalidArgument("\(className) '\(name)': \(masks.count) masks for \(inputs.count) inputs")
        }
        let present = masks.compactMap { $0 }
        guard present.count == masks.count else { return [nil] }
        return [try present.dropFirst().reduce(present[0]) { try Merge.or($0, $1, "\(className) '\(name)'") }]
    }

    /// `a || b` elementwise on masks (nonzero: true), broadcast.
    static func or(_ a: Tensor, _ b: Tensor, _ what: String) throws -> Tensor {
        guard let shape = Kernels.broadcastShape(a.shape, b.shape) else {
            throw KerasError.shapeMismatch("\(what): masks of shapes \(a.shape) and \(b.shape) do not fit together")
        }
        return Kernels.broadcast(a, b, shape: shape) { $0 != 0 || $1 != 0 ? 1 : 0 }
    }

    /// A mask spread over its input: new trailing axes of size 1 up to the input's rank, then
    /// broadcast to its shape (Keras: `broadcast_to(expand_dims(mask, -1), shape(x))`).
    func spread(_ mask: Tensor, over x: Tensor) throws -> Tensor {
        let column = mask.rank < x.rank ? mask.viewing(mask.shape + Array(repeating: 1, count: x.rank - mask.rank)) : mask
        guard let shape = Kernels.broadcastShape(column.shape, x.shape), shape == x.shape else {
            throw KerasError.shapeMismatch("\(className) '\(name)': a mask of shape \(mask.shape) does not fit its input of shape \(x.shape)")
        }
        return Kernels.broadcast(column, x, shape: shape) { m, _ in m != 0 ? 1 : 0 }
    }

    /// Keras's `_apply_merge_op_and_or_mask` (`Maximum`, `Minimum`): a masked value takes the
    /// other operand's value, so that masked positions do not win.
    func mergeKeepingUnmasked(_ inputs: [Tensor], masks: [Tensor?]?,
                              _ op: (Tensor, Tensor) throws -> Tensor) throws -> Tensor {
        guard let masks else { return try inputs.dropFirst().reduce(inputs[0], op) }
        var output = inputs[0]
        var outputMask = try masks[0].map { try spread($0, over: output) }
        for (x0, m) in zip(inputs, masks).dropFirst() {
            var x = x0
            let mask = try m.map { try spread($0, over: x) }
            if let mask { x = try Ops.where(mask, x, output) }
            if let outputMask { output = try Ops.where(outputMask, output, x) }
            if let mask, let current = outputMask {
                outputMask = try Merge.or(current, mask, "\(className) '\(name)'")
            } else {
                outputMask = nil
            }
            output = try op(output, x)
        }
        return output
    }
}

/// What the functional forms (`add`, `concatenate`, ...) accept: symbolic tensors of the
/// functional API, or tensors for an eager merge.
public protocol MergeOperand {
    /// The output of `layer` called on `operands`.
    static func merged(_ operands: [Self], by layer: Layer) throws -> Self
}

extension KerasTensor: MergeOperand {
    public static func merged(_ operands: [KerasTensor], by layer: Layer) throws -> KerasTensor { try layer(operands) }
}

extension Tensor: MergeOperand {
    public static func merged(_ operands: [Tensor], by layer: Layer) throws -> Tensor { try layer(operands) }
}

/// The sum of the inputs. Keras: `keras.layers.add(inputs)`.
public func add<T: MergeOperand>(_ inputs: [T], name: String? = nil) throws -> T { try T.merged(inputs, by: Add(name: name)) }
/// The first input minus the second. Keras: `keras.layers.subtract(inputs)`.
public func subtract<T: MergeOperand>(_ inputs: [T], name: String? = nil) throws -> T { try T.merged(inputs, by: Subtract(name: name)) }
/// The elementwise product of the inputs. Keras: `keras.layers.multiply(inputs)`.
public func multiply<T: MergeOperand>(_ inputs: [T], name: String? = nil) throws -> T { try T.merged(inputs, by: Multiply(name: name)) }
/// The mean of the inputs. Keras: `keras.layers.average(inputs)`.
public func average<T: MergeOperand>(_ inputs: [T], name: String? = nil) throws -> T { try T.merged(inputs, by: Average(name: name)) }
/// The elementwise maximum of the inputs. Keras: `keras.layers.maximum(inputs)`.
public func maximum<T: MergeOperand>(_ inputs: [T], name: String? = nil) throws -> T { try T.merged(inputs, by: Maximum(name: name)) }
/// The elementwise minimum of the inputs. Keras: `keras.layers.minimum(inputs)`.
public func minimum<T: MergeOperand>(_ inputs: [T], name: String? = nil) throws -> T { try T.merged(inputs, by: Minimum(name: name)) }
/// The inputs joined along `axis`. Keras: `keras.layers.concatenate(inputs, axis=-1)`.
public func concatenate<T: MergeOperand>(_ inputs: [T], axis: Int = -1, name: String? = nil) throws -> T {
    try T.merged(inputs, by: Concatenate(axis: axis, name: name))
}
