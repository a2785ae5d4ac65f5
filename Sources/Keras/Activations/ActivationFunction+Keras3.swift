#if canImport(Glibc)
import Glibc
#endif

/// The activations Keras 3 added to `keras.activations`, computed as its JAX backend computes
/// them (`keras/src/backend/jax/nn.py`), gradients included.
extension ActivationFunction {
    /// Keras `celu(x, alpha=1.0)`: `max(x, 0) + alpha * expm1(min(x, 0) / alpha)`.
    public static func celu(alpha: Float = 1) -> ActivationFunction {
        ActivationFunction(name: "celu", arguments: alpha == 1 ? [:] : ["alpha": alpha]) { x in
            Ops.unary(x, { v in v > 0 ? v : alpha * expm1f(v / alpha) }) { v, _, g in v > 0 ? g : g * expf(v / alpha) }
        }
    }

    /// Keras `hard_shrink(x, threshold=0.5)`: `x` where `|x| > threshold`, else 0.
    public static func hardShrink(threshold t: Float = 0.5) -> ActivationFunction {
        ActivationFunction(name: "hard_shrink", arguments: t == 0.5 ? [:] : ["threshold": t]) { x in
            Ops.unary(x, { Swift.abs($0) > t ? $0 : 0 }) { v, _, g in Swift.abs(v) > t ? g : 0 }
        }
    }

    /// Keras `soft_shrink(x, threshold=0.5)`: `x ∓ threshold` beyond `±threshold`, else 0.
    public static func softShrink(threshold t: Float = 0.5) -> ActivationFunction {
        ActivationFunction(name: "soft_shrink", arguments: t == 0.5 ? [:] : ["threshold": t]) { x in
            Ops.unary(x, { $0 > t ? $0 - t : ($0 < -t ? $0 + t : 0) }) { v, _, g in (v > t || v < -t) ? g : 0 }
        }
    }

    /// Keras `squareplus(x, b=4)`: `(x + sqrt(x² + b)) / 2`.
    public static func squareplus(b: Float = 4) -> ActivationFunction {
        ActivationFunction(name: "squareplus", arguments: b == 4 ? [:] : ["b": b]) { x in
            Ops.unary(x, { ($0 + ($0 * $0 + b).squareRoot()) / 2 }) { v, _, g in
                g * 0.5 * (1 + v / (v * v + b).squareRoot())
            }
        }
    }

    /// Keras `threshold(x, threshold, default_value)`: `x` where `x > threshold`, else
    /// `default_value`. Keras's function has no defaults: by name (``builtins``) it throws when
    /// called, as Keras's raises a TypeError.
    public static func threshold(_ t: Float, defaultValue d: Float) -> ActivationFunction {
        ActivationFunction(name: "threshold", arguments: ["threshold": t, "default_value": d]) { x in
            Ops.unary(x, { $0 > t ? $0 : d }) { v, _, g in v > t ? g : 0 }
        }
    }

    /// `"threshold"` by name: Keras's function needs `threshold` and `default_value`.
    static let thresholdWithoutArguments = ActivationFunction(name: "threshold") { _ in
        throw KerasError.invalidArgument("activation 'threshold' needs its arguments threshold and default_value: use ActivationFunction.threshold(_:defaultValue:) (Keras: threshold(x, threshold, default_value))")
    }

    /// Keras `glu(x, axis=-1)`: the halves `a, b` of `x` along `axis`, `a * sigmoid(b)`.
    public static func glu(axis: Int = -1) -> ActivationFunction {
        ActivationFunction(name: "glu", arguments: axis == -1 ? [:] : ["axis": Float(axis)]) { x in
            let a = try Ops.normalizedAxis("glu", axis, rank: x.rank)
            let n = x.shape[a]
            guard n % 2 == 0 else {
                throw KerasError.shapeMismatch("glu: axis \(axis) of shape \(x.shape) has odd length \(n); it must split into two halves")
            }
            let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
            let halves = try Ops.transpose(Ops.reshape(x, [outer, 2, n / 2 * inner]), [1, 0, 2])
            var outShape = x.shape
            outShape[a] = n / 2
            let first = try Ops.reshape(Ops.take(halves, [0]), outShape)
            let second = try Ops.reshape(Ops.take(halves, [1]), outShape)
            return try first * Ops.sigmoid(second)
        }
    }

    /// Keras `sparsemax(x, axis=-1)`, as Keras computes it on every backend: with the values
    /// sorted in descending order and `S` the support `{j : z_j > (cumsum_j - 1) / j}`,
    /// `tau = (Σ_{j∈S} cumsum_j - 1) / |S|` and the output `max(x - tau, 0)`.
    public static func sparsemax(axis: Int = -1) -> ActivationFunction {
        ActivationFunction(name: "sparsemax", arguments: axis == -1 ? [:] : ["axis": Float(axis)]) { x in
            try Ops.sparsemax(x, axis: axis)
        }
    }

    public static let celu = celu()
    public static let hardShrink = hardShrink()
    public static let softShrink = softShrink()
    public static let squareplus = squareplus()
    public static let glu = glu()
    public static let sparsemax = sparsemax()
    /// Keras `hard_tanh(x)`: `x` clipped to [-1, 1].
    public static let hardTanh = pointwise("hard_tanh", { Swift.min(Swift.max($0, -1), 1) }) { x, _, g in
        (x < -1 || x > 1) ? 0 : g
    }
    /// Keras `log_sigmoid(x)`: `-softplus(-x)`.
    public static let logSigmoid = pointwise("log_sigmoid", { -softplusf(-$0) }) { x, _, g in g * sigmoidf(-x) }
    /// Keras `sparse_plus(x)`: 0 up to -1, `(x + 1)² / 4` up to 1, then `x`.
    public static let sparsePlus = pointwise("sparse_plus", { x in
        x <= -1 ? 0 : (x >= 1 ? x : (x + 1) * (x + 1) / 4)
    }) { x, _, g in x <= -1 ? 0 : (x >= 1 ? g : g * (x + 1) / 2) }
    /// Keras `sparse_sigmoid(x)`: `clip((x + 1) / 2, 0, 1)`.
    public static let sparseSigmoid = pointwise("sparse_sigmoid", { 0.5 * Swift.min(Swift.max($0 + 1, 0), 2) }) { x, _, g in
        (x <= -1 || x >= 1) ? 0 : g * 0.5
    }
    /// Keras `tanh_shrink(x)`: `x - tanh(x)`.
    public static let tanhShrink = pointwise("tanh_shrink", { $0 - tanhf($0) }) { x, _, g in
        let t = tanhf(x); return g * t * t
    }

    /// The Keras 3 names, with their defaults, for ``builtins``.
    static let keras3Builtins: [String: ActivationFunction] = [
        "celu": .celu, "glu": .glu, "hard_shrink": .hardShrink, "hard_tanh": .hardTanh,
        "log_sigmoid": .logSigmoid, "soft_shrink": .softShrink, "sparse_plus": .sparsePlus,
        "sparse_sigmoid": .sparseSigmoid, "sparsemax": .sparsemax, "squareplus": .squareplus,
        "tanh_shrink": .tanhShrink, "threshold": thresholdWithoutArguments,
    ]
}

extension Ops {
    /// Keras's sparsemax along `axis` (see ``ActivationFunction/sparsemax(axis:)``), with the
    /// gradient JAX takes of it: the support and its size are constants, `tau` is linear in the
    /// sorted values.
    public static func sparsemax(_ x: Tensor, axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxis("sparsemax", axis, rank: x.rank)
        let (outer, n, inner) = (x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *))
        let out = Tensor.uninitialized(x.shape)
        // Per row: the derivative of tau with respect to each input (in input order).
        let dTau = Tensor.uninitialized(x.shape)
        let px = x.data, po = out.data, pd = dTau.data
        var order = [Int](repeating: 0, count: n), cumsum = [Float](repeating: 0, count: n)
        var support = [Bool](repeating: false, count: n)
        for o in 0..<outer {
            for i in 0..<inner {
                let at = { (j: Int) in (o * n + j) * inner + i }
                for j in 0..<n { order[j] = j }
                order.sort { px[at($0)] > px[at($1)] }
                var running: Float = 0, k: Float = 0, total: Float = 0
                for j in 0..<n {
                    running += px[at(order[j])]
                    cumsum[j] = running
                    support[j] = px[at(order[j])] - (running - 1) / Float(j + 1) > 0
                    if support[j] { k += 1; total += running }
                }
                let tau = (total - 1) / k
                var later: Float = 0  // support members at or after each sorted position
                for j in stride(from: n - 1, through: 0, by: -1) {
                    if support[j] { later += 1 }
                    pd[at(order[j])] = later / k
                }
                for j in 0..<n { po[at(j)] = Swift.max(px[at(j)] - tau, 0) }
            }
        }
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor.uninitialized(x.shape)
            let pg = g.data, pdx = dx.data, po = out.data, pd = dTau.data
            for o in 0..<outer {
                for i in 0..<inner {
                    let at = { (j: Int) in (o * n + j) * inner + i }
                    var active: Float = 0
                    for j in 0..<n where po[at(j)] > 0 { active += pg[at(j)] }
                    for j in 0..<n { pdx[at(j)] = (po[at(j)] > 0 ? pg[at(j)] : 0) - active * pd[at(j)] }
                }
            }
            t.accumulate(x, dx)
        }
    }
}
