/// The dot product of two inputs along one axis of each, sample by sample: inputs of shapes
/// `(B, 3, 5)` and `(B, 10, 3)` with `axes: [1, 2]` give `(B, 5, 10)`. With `normalize`, the
/// samples are L2-normalized along the axes first, which makes the output the cosine
/// similarity. Keras: `keras.layers.Dot`.
///
/// ```swift
/// let a = Input(shape: [8]), b = Input(shape: [8])
/// let cosine = try Dot(axes: 1, normalize: true)([a, b])   // (None, 1); or dot([a, b], axes: 1, normalize: true)
/// ```
public final class Dot: Merge, @unchecked Sendable {
    /// One axis for both inputs, or one per input (negative counts from the end; never the batch axis 0).
    public let axes: AxisList
    /// Whether the inputs are L2-normalized along the axes before the product.
    public let normalize: Bool

    public init(axes: AxisList, normalize: Bool = false, name: String? = nil, trainable: Bool = true) throws {
        guard axes.isList ? axes.axes.count == 2 : axes.axes.count == 1 else {
            throw KerasError.invalidArgument("Dot(axes: \(axes.configValue)): axes must be an integer or a list of two integers")
        }
        self.axes = axes
        self.normalize = normalize
        super.init(name: name, trainable: trainable)
    }

    public override var requiredInputCount: Int? { 2 }

    /// The axis of each input for inputs of ranks `r0` and `r1`, made non-negative.
    func resolvedAxes(_ r0: Int, _ r1: Int) throws -> (Int, Int) {
        let given = axes.isList ? axes.axes : [axes.axes[0], axes.axes[0]]
        var out: [Int] = []
        for (a, rank) in zip(given, [r0, r1]) {
            let n = a < 0 ? a + rank : a
            guard n >= 0 && n < rank else {
                throw KerasError.invalidArgument("Dot '\(name)': axes \(axes.configValue) is out of range for inputs of ranks \(r0) and \(r1) (axis \(a) of a rank-\(rank) input)")
            }
            guard n > 0 else {
                throw KerasError.invalidArgument("Dot '\(name)': axes \(axes.configValue) includes the batch axis 0")
            }
            out.append(n)
        }
        return (out[0], out[1])
    }

    public override func computeOutputShape(shapes: [[Int?]]) throws -> [Int?] {
        guard shapes.count == 2 else {
            throw KerasError.invalidArgument("Dot '\(name)' should be called on a list of 2 inputs, got \(shapes.count)")
        }
        let (s0, s1) = (shapes[0], shapes[1])
        let described = "\(formatShape(s0)) and \(formatShape(s1))"
        guard s0.count >= 2, s1.count >= 2 else {
            throw KerasError.shapeMismatch("Dot '\(name)': inputs must have rank 2 or more, got shapes \(described)")
        }
        if let b0 = s0[0], let b1 = s1[0], b0 != b1 {
            throw KerasError.shapeMismatch("Dot '\(name)' cannot merge tensors with different batch sizes, got shapes \(described)")
        }
        let (a0, a1) = try resolvedAxes(s0.count, s1.count)
        if let d0 = s0[a0], let d1 = s1[a1], d0 != d1 {
            throw KerasError.shapeMismatch("Dot '\(name)': incompatible input shapes \(described): size \(d0) at axis \(a0) != size \(d1) at axis \(a1) (axes \(axes.configValue))")
        }
        var out = s0
        out.remove(at: a0)
        var rest = s1
        rest.remove(at: a1)
        out += rest.dropFirst()
        return out.count == 1 ? out + [1] : out
    }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        let outShape = try computeOutputShape(shapes: inputs.map { $0.shape.map { Optional($0) } })
        var (x, y) = (inputs[0], inputs[1])
        let (a0, a1) = try resolvedAxes(x.rank, y.rank)
        if normalize {
            x = try Ops.l2Normalize(x, axes: [a0])
            y = try Ops.l2Normalize(y, axes: [a1])
        }
        // x → (B, M, K) with the summed axis last; y → (B, K, N) with it second.
        let batch = x.shape[0], k = x.shape[a0]
        let xPerm = (0..<x.rank).filter { $0 != a0 } + [a0]
        let yPerm = [0, a1] + (1..<y.rank).filter { $0 != a1 }
        let xs = try xPerm == Array(0..<x.rank) ? x : Ops.transpose(x, xPerm)
        let ys = try yPerm == Array(0..<y.rank) ? y : Ops.transpose(y, yPerm)
        let m = x.count / Swift.max(batch * k, 1), n = y.count / Swift.max(batch * k, 1)
        let product = try Ops.batchMatmul(Ops.reshape(xs, [batch, m, k]), Ops.reshape(ys, [batch, k, n]))
        return [try Ops.reshape(product, outShape.map { $0 ?? batch })]
    }

    /// Keras: a dot product carries no mask.
    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] { [nil] }
}

/// The dot product of two inputs along `axes`. Keras: `keras.layers.dot(inputs, axes=-1, normalize=False)`.
public func dot<T: MergeOperand>(_ inputs: [T], axes: AxisList = -1, normalize: Bool = false, name: String? = nil) throws -> T {
    try T.merged(inputs, by: Dot(axes: axes, normalize: normalize, name: name))
}

extension Dot: DeclaredLayer {
    /// Keras: `Dot(axes, normalize=False)`.
    public static let declaration = LayerDeclaration(Dot.self, arguments: [
        .required("axes", \.axes),
        .optional("normalize", \.normalize, default: false),
    ]) { c in
        try Dot(axes: c.wrongTypeRefused { try AxisList(config: $0["axes"], "Dot", argument: "axes") }, normalize: c.bool("normalize"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Dot.self, $0) }
