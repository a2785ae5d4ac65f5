import Foundation

/// Wraps a layer with a `kernel` (Dense, the convolutions ...) or `embeddings` (Embedding) and,
/// in training, divides that weight by its largest singular value `σ`, estimated by
/// `powerIterations` steps of the power iteration from the non-trainable `vector_u`, which each
/// training call moves on; at inference the layer runs with its weight as it is.
///
/// As Keras 3 does, the wrapper holds the wrapped weight as its own too (its weights list it
/// first, once; `.weights.h5` files write it in both layers' groups). A direct training call
/// (outside a training step) assigns the normalized weight to the wrapped layer's, as Keras's
/// eager call does; in a training step the wrapped layer computes with the normalized weight
/// while the weight itself is left to the optimizer, whose gradient flows through the
/// normalization (`W / σ(W)`, `σ` = `v W uᵀ` with `u`, `v` held constant), as Keras's jax
/// trainer does (it discards the kernel's assignment and keeps `vector_u`'s).
/// Keras: `keras.layers.SpectralNormalization`.
public final class SpectralNormalization: Layer, @unchecked Sendable {
    /// The wrapped layer.
    public let layer: Layer
    /// The number of power iterations per training call.
    public let powerIterations: Int
    /// The wrapped layer's `kernel` (or `embeddings`), once built.
    public private(set) var kernel: Variable?
    /// The estimate of the right singular vector, `(1, units)`, once built.
    public private(set) var vectorU: Variable?

    public init(_ layer: Layer, powerIterations: Int = 1, name: String? = nil, trainable: Bool = true) throws {
        guard powerIterations > 0 else {
            throw KerasError.invalidArgument("SpectralNormalization: `power_iterations` should be greater than zero. Received: `power_iterations=\(powerIterations)`")
        }
        self.layer = layer
        self.powerIterations = powerIterations
        super.init(name: name, trainable: trainable)
        // The wrapped layer's masks pass (Keras calls it on the input carrying its mask), though
        // Keras's `supports_masking` of the class is False (``maskingSupport``: never).
        supportsMasking = layer.supportsMasking
    }

    /// Keras's wrapper calls the wrapped layer on the input carrying its mask: the output keeps
    /// the mask the wrapped layer gives it (Dense passes it on); an input without one gives none.
    public override func computeMask(_ inputs: Tensor, mask: Tensor?) throws -> Tensor? {
        guard let mask else { return nil }
        return try layer.computeMask(inputs, mask: mask)
    }

    override var takesSeedsAtBuild: Bool { true }

    public override func build(_ inputShape: [Int?]) throws {
        try layer.buildIfNeeded(inputShape)
        guard let k = layer.weight("kernel") ?? layer.weight("embeddings") else {
            throw KerasError.invalidArgument("SpectralNormalization '\(name)': \(layer.className) object has no attribute 'kernel' nor 'embeddings'")
        }
        guard let units = k.shape.last, units > 0, k.shape.count >= 2 else {
            throw KerasError.invalidArgument("SpectralNormalization '\(name)': the wrapped weight '\(k.path)' of shape \(k.shape) has no columns to normalize")
        }
        adoptWeight(k)
        kernel = k
        vectorU = addWeight(name: "vector_u", shape: [1, units], initializer: buildCopy(of: TruncatedNormal(stddev: 0.02)),
                            trainable: false)
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard training, let (u, normalized) = try normalized() else { return try layer(inputs) }
        try vectorU?.assign(u)
        guard GradientTape.active != nil, let kernel else {
            try kernel?.assign(normalized)   // Keras's eager call keeps the normalized kernel
            return try layer(inputs)
        }
        kernel.substitute = normalized
        defer { kernel.substitute = nil }
        return try layer(inputs)
    }

    /// The new `vector_u` and the kernel divided by its largest singular value, as estimated
    /// from `vector_u` by the power iteration, neither assigned; for an all-zero kernel both as
    /// they are (Keras's call keeps them so; its `normalized_weights` would divide by zero).
    /// Keras: `normalized_weights()`.
    public func normalizedWeights() throws -> (vectorU: Tensor, kernel: Tensor) {
        guard let kernel, let vectorU else { throw KerasError.invalidState("SpectralNormalization '\(name)' is not built") }
        guard let (u, normalized) = try normalized() else { return (vectorU.storedValue.copy(), kernel.storedValue.copy()) }
        return (u, normalized.detached)
    }

    /// ``normalizedWeights()``, the kernel's differentiable in the kernel's value (`W / σ(W)`,
    /// `σ` = `v W uᵀ` with `u` and `v` held constant, as Keras's stop_gradient); nil for an
    /// all-zero kernel.
    private func normalized() throws -> (vectorU: Tensor, kernel: Tensor)? {
        guard let kernel, let vectorU else { throw KerasError.invalidState("SpectralNormalization '\(name)' is not built") }
        guard let (u, v) = powerIteration(kernel.storedValue, vectorU.storedValue) else { return nil }
        let shape = kernel.shape, units = shape[shape.count - 1], rows = kernel.storedValue.count / units
        let w = kernel.value
        let sigma = try Ops.matmul(Ops.matmul(Tensor(shape: [1, rows], scalars: v), Ops.reshape(w, [rows, units])),
                                   Tensor(shape: [units, 1], scalars: u))
        let normalized = try Ops.divide(w, Ops.reshape(sigma, Array(repeating: 1, count: shape.count)))
        return (try Tensor(shape: [1, units], scalars: u), normalized)
    }

    /// The power iteration from `u` on `w` seen as `(rows, units)`: the new `u` and `v`, or nil
    /// when `w` is all zeros (Keras then leaves both weights as they are).
    private func powerIteration(_ w: Tensor, _ u0: Tensor) -> (u: [Float], v: [Float])? {
        let units = u0.count, rows = w.count / Swift.max(units, 1), p = w.data
        guard (0..<w.count).contains(where: { p[$0] != 0 }) else { return nil }
        var u = Array(UnsafeBufferPointer(start: u0.data, count: units))
        var v = [Float](repeating: 0, count: rows)
        for _ in 0..<powerIterations {
            for r in 0..<rows {   // v = normalize(u Wᵀ)
                var s: Float = 0
                for c in 0..<units { s += u[c] * p[r * units + c] }
                v[r] = s
            }
            v = Self.normalize(v)
            var next = [Float](repeating: 0, count: units)   // u = normalize(v W)
            for r in 0..<rows { for c in 0..<units { next[c] += v[r] * p[r * units + c] } }
            u = Self.normalize(next)
        }
        return (u, v)
    }

    /// Keras's `normalize(x, axis=None)`: `x · min(1/√Σx², 1/ε)`, ε = 1e-7.
    private static func normalize(_ x: [Float]) -> [Float] {
        let inverse = Swift.min(1 / x.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1 / Float(1e-7))
        return x.map { $0 * inverse }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { try layer.computeOutputShape(inputShape) }
}

extension SpectralNormalization: DeclaredLayer {
    /// Keras: `SpectralNormalization(layer, power_iterations=1)`; the config holds the wrapped
    /// layer serialized under "layer".
    public static let declaration = LayerDeclaration(SpectralNormalization.self, constructorOrder: ["layer", "power_iterations"], arguments: [
        .required("layer") { serializedLayer($0.layer, legacy: false) },
        .optional("power_iterations", \.powerIterations, default: 1),
    ]) { c in
        guard let j = c["layer"] else { throw KerasError.io("SpectralNormalization config: 'layer' is required") }
        return try SpectralNormalization(try deserializeLayer(j), powerIterations: c.int("power_iterations"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(SpectralNormalization.self, $0) }
