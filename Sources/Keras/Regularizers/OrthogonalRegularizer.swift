/// Pushes the rows (or columns) of a 2-D weight towards orthogonality with Keras's penalty
/// `factor * 0.5 * sum(|offdiag(N Nᵀ)|) / (size * (size - 1) / 2)`, `N` the L2-normalised rows.
/// Keras: `OrthogonalRegularizer(factor=0.01, mode="rows")`.
public struct OrthogonalRegularizer: Regularizer {
    /// Whether rows or columns are pushed apart.
    public enum Mode: String, Sendable { case rows, columns }
    public var factor: Float
    public var mode: Mode

    public init(factor: Float = 0.01, mode: Mode = .rows) throws {
        guard factor >= 0, factor.isFinite else {
            throw KerasError.invalidArgument("OrthogonalRegularizer(factor: \(factor)): must be a finite number >= 0")
        }
        self.factor = factor
        self.mode = mode
    }

    /// The mode spelled as in Keras (`"rows"`, `"columns"`).
    public init(factor: Float = 0.01, mode: String) throws {
        guard let m = Mode(rawValue: mode) else {
            throw KerasError.invalidArgument("OrthogonalRegularizer(mode: '\(mode)'): mode must be 'rows' or 'columns'")
        }
        try self.init(factor: factor, mode: m)
    }

    public var className: String { "OrthogonalRegularizer" }
    public var config: JSON { ["factor": .double(Double(factor)), "mode": .string(mode.rawValue)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2 else {
            throw KerasError.shapeMismatch("Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape=\(x.shape)")
        }
        let axis = mode == .rows ? 1 : 0
        let norms = try Ops.sqrt(Ops.sum(Ops.square(x), axes: [axis], keepDims: true))
        let normalized = try x / Ops.maximum(norms, Tensor(kerasEpsilon))
        let product = mode == .rows
            ? try Ops.matmul(normalized, Ops.transpose(normalized))
            : try Ops.matmul(Ops.transpose(normalized), normalized)
        let size = product.shape[0]
        guard size > 1 else { return Tensor(0) }
        let offDiagonal = Tensor(shape: [size, size], repeating: 1)
        for i in 0..<size { offDiagonal.data[i * size + i] = 0 }
        let pairs = Float(size * (size - 1)) / 2
        return try Ops.sum(Ops.abs(product * offDiagonal)) * (factor * 0.5 / pairs)
    }
}
