#if canImport(Glibc)
import Glibc
#endif

/// An activation whose derivative can be computed from its output alone, so that it fuses into
/// the kernel before it (Dense) and needs no saved input for the backward pass.
public enum ElementwiseActivation: Equatable, Sendable {
    case linear, relu, sigmoid, tanh, relu6, exponential, hardSigmoid, softplus, selu
    case elu(alpha: Float)
    case leakyReLU(negativeSlope: Float)

    static let seluScale: Float = 1.0507009873554805
    static let seluAlpha: Float = 1.6732632423543772

    /// Applies the activation in place.
    func apply(_ p: UnsafeMutablePointer<Float>, count n: Int) {
        switch self {
        case .linear: return
        case .relu: Parallel.forEachChunk(n) { r in for i in r { p[i] = Swift.max(p[i], 0) } }
        case .sigmoid: Parallel.forEachChunk(n) { r in Kernels.sigmoidInPlace(p + r.lowerBound, count: r.count) }
        case .tanh: Parallel.forEachChunk(n) { r in Kernels.tanhInPlace(p + r.lowerBound, count: r.count) }
        case .relu6: Parallel.forEachChunk(n) { r in for i in r { p[i] = Swift.min(Swift.max(p[i], 0), 6) } }
        case .exponential: Parallel.forEachChunk(n) { r in for i in r { p[i] = expf(p[i]) } }
        case .hardSigmoid:
            Parallel.forEachChunk(n) { r in for i in r { p[i] = Swift.min(Swift.max(p[i] + 3, 0), 6) / 6 } }
        case .softplus: Parallel.forEachChunk(n) { r in for i in r { p[i] = softplusf(p[i]) } }
        case .selu:
            let s = Self.seluScale, a = Self.seluAlpha
            Parallel.forEachChunk(n) { r in for i in r { let x = p[i]; p[i] = x > 0 ? s * x : s * a * expm1f(x) } }
        case .elu(let a):
            Parallel.forEachChunk(n) { r in for i in r { let x = p[i]; p[i] = x > 0 ? x : a * expm1f(x) } }
        case .leakyReLU(let a):
            Parallel.forEachChunk(n) { r in for i in r { let x = p[i]; p[i] = x >= 0 ? x : a * x } }
        }
    }

    /// `dx = g * f'(x)` written from the output `y = f(x)`.
    func backward(output y: UnsafePointer<Float>, upstream g: UnsafePointer<Float>,
                  into d: UnsafeMutablePointer<Float>, count n: Int) {
        switch self {
        case .linear: d.update(from: g, count: n)
        case .relu: Parallel.forEachChunk(n) { r in Self.reluBackward(y + r.lowerBound, g + r.lowerBound, d + r.lowerBound, r.count) }
        case .sigmoid: Parallel.forEachChunk(n) { r in for i in r { d[i] = g[i] * y[i] * (1 - y[i]) } }
        case .tanh: Parallel.forEachChunk(n) { r in for i in r { d[i] = g[i] * (1 - y[i] * y[i]) } }
        case .relu6: Parallel.forEachChunk(n) { r in for i in r { d[i] = (y[i] > 0 && y[i] < 6) ? g[i] : 0 } }
        case .exponential: Parallel.forEachChunk(n) { r in for i in r { d[i] = g[i] * y[i] } }
        case .hardSigmoid: Parallel.forEachChunk(n) { r in for i in r { d[i] = (y[i] > 0 && y[i] < 1) ? g[i] / 6 : 0 } }
        case .softplus: Parallel.forEachChunk(n) { r in for i in r { d[i] = g[i] * -expm1f(-y[i]) } }
        case .selu:
            let s = Self.seluScale, sa = Self.seluScale * Self.seluAlpha
            Parallel.forEachChunk(n) { r in for i in r { d[i] = y[i] > 0 ? g[i] * s : g[i] * (y[i] + sa) } }
        case .elu(let a):
            Parallel.forEachChunk(n) { r in for i in r { d[i] = y[i] > 0 ? g[i] : g[i] * (y[i] + a) } }
        case .leakyReLU(let a):
            Parallel.forEachChunk(n) { r in for i in r { d[i] = y[i] >= 0 ? g[i] : g[i] * a } }
        }
    }
}

extension ElementwiseActivation {
    /// `d = y > 0 ? g : 0`, eight elements per vector (the scalar loop was 6% of an iris fit:
    /// 256 elements per step); a NaN output passes no gradient, as in the scalar form.
    static func reluBackward(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n {
            let yv = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(d + i).storeBytes(of: SIMD8<Float>(repeating: 0).replacing(with: gv, where: yv .> 0),
                                                      as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            d[i] = y[i] > 0 ? g[i] : 0
            i += 1
        }
    }
}

@inline(__always) func sigmoidf(_ x: Float) -> Float {
    x >= 0 ? 1 / (1 + expf(-x)) : { let e = expf(x); return e / (1 + e) }()
}

@inline(__always) func softplusf(_ x: Float) -> Float {
    x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x))
}

extension Ops {
    /// Applies a fusable activation as one recorded op.
    public static func activation(_ x: Tensor, _ kind: ElementwiseActivation) -> Tensor {
        if kind == .linear { return x }
        let out = x.copy()
        kind.apply(out.data, count: out.count)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor.uninitialized(x.shape)
            kind.backward(output: out.data, upstream: g.data, into: dx.data, count: x.count)
            t.accumulate(x, dx)
        }
    }

    public static func relu(_ x: Tensor) -> Tensor { activation(x, .relu) }
    public static func sigmoid(_ x: Tensor) -> Tensor { activation(x, .sigmoid) }
    public static func tanh(_ x: Tensor) -> Tensor { activation(x, .tanh) }

    /// Softmax along `axis`. Over the last axis the output carries its logits, so that a
    /// following cross-entropy can fuse with it (``softmaxCrossentropy(_:logits:)``).
    public static func softmax(_ x: Tensor, axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxis("softmax", axis, rank: x.rank)
        let (outer, n, inner) = (x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *))
        let out = Tensor.uninitialized(x.shape)
        Kernels.softmax(x.data, out.data, outer: outer, n: n, inner: inner)
        guard let tape = recording(x) else { return out }
        var y = tape.record(out) { g, t in
            let dx = Tensor.uninitialized(x.shape)
            Kernels.softmaxBackward(output: out.data, upstream: g.data, into: dx.data, outer: outer, n: n, inner: inner)
            t.accumulate(x, dx)
        }
        if a == x.rank - 1 { y.logitsNode = x.node }
        return y
    }

    /// `log(softmax(x))` computed stably.
    public static func logSoftmax(_ x: Tensor, axis: Int = -1) throws -> Tensor {
        let a = try normalizedAxes("logSoftmax", [axis], rank: x.rank)[0]
        let m = try max(x.detached, axes: [a], keepDims: true)
        let shifted = try subtract(x, m)
        let lse = log(try sum(exp(shifted), axes: [a], keepDims: true))
        return try subtract(shifted, lse)
    }
}
