/// A random orthogonal matrix (rows or columns orthonormal), times `gain`; shapes of rank > 2
/// are flattened to (product of leading axes, last axis). Keras: `Orthogonal(gain=1.0, seed=None)`,
/// the default `recurrent_initializer` of recurrent layers.
///
/// As in Keras: draw a normal matrix of shape (max(rows, cols), min(rows, cols)), take Q of its
/// QR decomposition with R's diagonal made positive, transpose when rows < cols.
public struct Orthogonal: DefaultSeeded {
    public var gain: Float, seed: Int?
    public var defaultSeed: Int?
    public init(gain: Float = 1, seed: Int? = nil) { self.gain = gain; self.seed = seed }
    public var className: String { "Orthogonal" }
    public var config: JSON { ["seed": seedJSON(seed), "gain": .double(Double(gain))] }

    public func draw(_ shape: [Int], key: ThreefryKey) -> Tensor {
        let t = Tensor.uninitialized(shape)
        guard t.count > 0 else { return t }
        let cols = shape.last ?? 1, rows = t.count / cols
        let n = Swift.max(rows, cols), k = Swift.min(rows, cols)
        // Columns of Keras's n×k standard normal matrix (row-major, Keras's numbers on JAX),
        // orthonormalised by modified Gram-Schmidt (twice, for accuracy); this is the Q of a QR
        // decomposition whose R has a positive diagonal.
        var a = [Float](repeating: 0, count: n * k)
        a.withUnsafeMutableBufferPointer { if let p = $0.baseAddress { key.fillNormal(p, count: n * k) } }
        var q = [[Double]](repeating: [Double](repeating: 0, count: n), count: k)
        for i in 0..<n { for j in 0..<k { q[j][i] = Double(a[i * k + j]) } }
        for j in 0..<k {
            for _ in 0..<2 {
                for p in 0..<j {
                    var dot = 0.0
                    for i in 0..<n { dot += q[p][i] * q[j][i] }
                    for i in 0..<n { q[j][i] -= dot * q[p][i] }
                }
            }
            var norm = 0.0
            for i in 0..<n { norm += q[j][i] * q[j][i] }
            norm = norm.squareRoot()
            for i in 0..<n { q[j][i] = norm > 0 ? q[j][i] / norm : (i == j ? 1 : 0) }
        }
        // Q is n×k; the weight is Q (rows ≥ cols) or Qᵀ (rows < cols).
        for r in 0..<rows {
            for c in 0..<cols {
                t.data[r * cols + c] = gain * Float(rows >= cols ? q[c][r] : q[r][c])
            }
        }
        return t
    }
}

/// The identity matrix times `gain` (a rectangular one: ones on the main diagonal). Keras:
/// `Identity(gain=1.0)`. Keras accepts only 2-D shapes; here a higher-rank shape is flattened to
/// (product of leading axes, last axis) like ``Orthogonal``, since initializers cannot throw.
/// Use ``check(_:)`` to reject such shapes as Keras does.
public struct Identity: ShapeInitializer {
    public var gain: Float
    public init(gain: Float = 1) { self.gain = gain }
    public var className: String { "Identity" }
    /// Keras 3.15 writes an empty config for Identity.
    public var config: JSON { [:] }

    /// Throws, as Keras does, unless `shape` is 2-D.
    public func check(_ shape: [Int]) throws {
        guard shape.count == 2 else {
            throw KerasError.invalidArgument("Identity: the identity matrix initializer can only be used for 2D matrices, got shape \(shape)")
        }
    }

    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        let t = Tensor(shape: shape)
        guard t.count > 0 else { return t }
        let cols = shape.last ?? 1, rows = t.count / cols
        for i in 0..<Swift.min(rows, cols) { t.data[i * cols + i] = gain }
        return t
    }
}

/// A custom initializer from a closure, for a quick one-off; conform a type to ``Initializer``
/// for one that must be saved and loaded with its arguments.
///
/// ```swift
/// let halves = InitializerFunction("halves") { shape, _ in Tensor(shape: shape, repeating: 0.5) }
/// Dense(4, kernelInitializer: halves)
/// ```
public struct InitializerFunction: Initializer {
    public let name: String
    let body: ([Int], RandomGenerator) -> Tensor
    public init(_ name: String, _ body: @escaping ([Int], RandomGenerator) -> Tensor) {
        self.name = name
        self.body = body
    }
    public var className: String { name }
    public var config: JSON { [:] }
    public func callAsFunction(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        let t = body(shape, generator)
        guard t.shape == shape else {
            // A closure that ignores the shape would corrupt the weight; fall back to zeros of
            // the right shape rather than trap.
            return Tensor(shape: shape)
        }
        return t
    }
}
