/// Keras's float8 training (`quantize("float8")`, keras/src/layers/core/dense.py `_float8_call`):
/// the inputs and the kernel are fake-quantized to float8_e4m3fn and the output's gradient to
/// float8_e5m2, each over one scale per tensor with delayed scaling: the scale of a step comes
/// from the amax history of the steps before, and the new scale and history reach their
/// variables as their "gradients" (Keras's `overwrite_with_gradient`: the optimizer assigns them).

/// A float8 format, as ml_dtypes and jax define it.
public enum Float8Format: Sendable {
    /// 4 exponent bits (bias 7), 3 mantissa bits, no infinity, NaN `S.1111.111`; max 448.
    case e4m3fn
    /// 5 exponent bits (bias 15), 2 mantissa bits, IEEE-like with infinities; max 57344.
    case e5m2

    var mantissaBits: Int { self == .e4m3fn ? 3 : 2 }
    var bias: Int { self == .e4m3fn ? 7 : 15 }
    /// The largest finite value (`ml_dtypes.finfo(...).max`).
    public var max: Float { self == .e4m3fn ? 448 : 57344 }

    /// `x` rounded to the nearest value of the format, ties to even, as ml_dtypes (and jax's
    /// `astype`) convert float32: a value past the largest finite one after rounding becomes NaN
    /// (e4m3fn) or a signed infinity (e5m2); NaN stays NaN; the sign of zero is kept.
    @inline(__always)
    public func round(_ x: Float) -> Float {
        if x.isNaN { return .nan }
        let a = abs(x)
        if a == 0 { return x }
        // The spacing of the format at |x|: 2^(e - mantissa bits), e at least the least normal
        // exponent (subnormals share its spacing). Scaling by powers of two is exact.
        let e = Swift.max(a.isInfinite ? 1000 : Int(a.exponent), 1 - bias)
        if e > bias + 1 { return overflow(x) }
        let quantum = Float(sign: .plus, exponent: e - mantissaBits, significand: 1)
        let r = (a / quantum).rounded(.toNearestOrEven) * quantum
        if r > max { return overflow(x) }
        return x < 0 ? -r : r
    }

    private func overflow(_ x: Float) -> Float {
        self == .e4m3fn ? .nan : (x < 0 ? -.infinity : .infinity)
    }

    /// The value of the 8-bit code `code` (sign, exponent, mantissa).
    public func decode(_ code: UInt8) -> Float {
        let sign: Float = code & 0x80 != 0 ? -1 : 1
        let m = Int(code) & ((1 << mantissaBits) - 1)
        let eBits = (Int(code) >> mantissaBits) & (self == .e4m3fn ? 0xF : 0x1F)
        switch self {
        case .e4m3fn where eBits == 0xF && m == 0x7: return .nan
        case .e5m2 where eBits == 0x1F: return m == 0 ? sign * .infinity : .nan
        default: break
        }
        let scale = 1 << mantissaBits
        if eBits == 0 { return sign * Float(m) * Float(sign: .plus, exponent: 1 - bias - mantissaBits, significand: 1) }
        return sign * Float(scale + m) * Float(sign: .plus, exponent: eBits - bias - mantissaBits, significand: 1)
    }

    /// The 8-bit code of `round(x)` (NaN: 0x7F).
    public func encode(_ x: Float) -> UInt8 {
        let r = round(x)
        if r.isNaN { return 0x7F }
        let sign: UInt8 = r.sign == .minus ? 0x80 : 0
        if r.isInfinite { return sign | 0x7C }
        let a = abs(r)
        if a == 0 { return sign }
        let e = Int(a.exponent)
        if e < 1 - bias {
            return sign | UInt8(truncatingIfNeeded: Int(a / Float(sign: .plus, exponent: 1 - bias - mantissaBits, significand: 1)))
        }
        let m = Int(a / Float(sign: .plus, exponent: e - mantissaBits, significand: 1)) - (1 << mantissaBits)
        return sign | UInt8(truncatingIfNeeded: ((e + bias) << mantissaBits) | m)
    }
}

extension Kernels {
    /// Keras's `quantize_and_dequantize(x, scale, format, "float32")` of `count` values:
    /// `cast(clip(x / scale, ±max), format) · scale`.
    static func float8QuantizeDequantize(_ x: UnsafePointer<Float>, count: Int, scale: Float, format: Float8Format,
                                         into y: UnsafeMutablePointer<Float>) {
        let m = format.max
        for i in 0..<count {
            let v = x[i] / scale
            y[i] = format.round(v.isNaN ? v : Swift.min(Swift.max(v, -m), m)) * scale
        }
    }

    /// Keras's `compute_float8_scale(max(amax_history), scale, format max)`: `1 / (max / amax)`,
    /// the old scale where the amax is zero or not finite.
    static func float8Scale(amax: Float, scale: Float, max: Float) -> Float {
        let sf = amax > 0 && amax.isFinite ? (max / amax) / 1 : 1 / scale
        return 1 / sf
    }

    /// The largest entry (NaN propagating, as jax's max).
    static func float8HistoryMax(_ h: UnsafePointer<Float>, count: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<count {
            if h[i].isNaN { return .nan }
            m = Swift.max(m, h[i])
        }
        return m
    }

    /// Keras's `compute_float8_amax_history(x, history)`: the history rolled one to the left
    /// (`roll(h, -1)`), then its first entry replaced by `max |x|`.
    static func float8AmaxHistory(_ x: UnsafePointer<Float>, count: Int, history h: Tensor) -> Tensor {
        var amax: Float = count == 0 ? -.infinity : 0
        for i in 0..<count {
            let a = abs(x[i])
            if a.isNaN { amax = .nan; break }
            amax = Swift.max(amax, a)
        }
        let n = h.count
        let out = Tensor.uninitialized(h.shape)
        for i in 0..<n { out.data[i] = h.data[(i + 1) % n] }
        if n > 0 { out.data[0] = amax }
        return out
    }

    /// `x` rounded to bfloat16 (nearest, ties to even) and back, as jax's
    /// `astype(bfloat16).astype(float32)`.
    @inline(__always)
    static func bfloat16RoundTrip(_ x: Float) -> Float {
        if x.isNaN { return x }
        let b = x.bitPattern
        let rounded = b &+ 0x7FFF &+ ((b >> 16) & 1)
        return Float(bitPattern: rounded & 0xFFFF_0000)
    }
}

extension Ops {
    /// Keras's `quantized_dequantize_inputs(x, scale, amax_history)` (Dense `_float8_call`):
    /// `x` fake-quantized to `format` over the scalar `scale`. Its gradient passes the upstream
    /// one to `x` unchanged; while `training`, the gradient of `scale` is the new scale (from the
    /// history's max) and that of `amaxHistory` the new history (with `max |x|`), which
    /// `overwriteWithGradient` variables take as their values.
    public static func float8QuantizeDequantize(_ x: Tensor, scale: Tensor, amaxHistory: Tensor,
                                                format: Float8Format = .e4m3fn, training: Bool) throws -> Tensor {
        guard scale.count == 1, amaxHistory.rank == 1 else {
            throw KerasError.shapeMismatch("float8: scale must be a scalar and amax_history a vector, got \(scale.shape) and \(amaxHistory.shape)")
        }
        let s = scale.data[0]
        let out = Tensor.uninitialized(x.shape)
        Kernels.float8QuantizeDequantize(x.data, count: x.count, scale: s, format: format, into: out.data)
        guard let tape = GradientTape.active, tape.tracks(x) || tape.tracks(scale) || tape.tracks(amaxHistory) else { return out }
        guard training else {
            return tape.record(out) { g, t in t.accumulate(x, g) }
        }
        let newScale = Tensor(shape: scale.shape, repeating: Kernels.float8Scale(
            amax: Kernels.float8HistoryMax(amaxHistory.data, count: amaxHistory.count), scale: s, max: format.max))
        let newHistory = Kernels.float8AmaxHistory(x.data, count: x.count, history: amaxHistory)
        return tape.record(out) { g, t in
            t.accumulate(x, g)
            t.accumulate(scale, newScale)
            t.accumulate(amaxHistory, newHistory)
        }
    }

    /// Keras's `quantized_dequantize_outputs(y, scale, amax_history)`: `y` unchanged; its
    /// gradient is the upstream one fake-quantized to float8_e5m2 over `scale`, and the gradients
    /// of `scale` and `amaxHistory` are the new scale and history (from the upstream's `max |g|`).
    public static func float8QuantizeDequantizeGradient(_ y: Tensor, scale: Tensor, amaxHistory: Tensor) throws -> Tensor {
        guard scale.count == 1, amaxHistory.rank == 1 else {
            throw KerasError.shapeMismatch("float8: scale must be a scalar and amax_history a vector, got \(scale.shape) and \(amaxHistory.shape)")
        }
        guard let tape = GradientTape.active, tape.tracks(y) || tape.tracks(scale) || tape.tracks(amaxHistory) else { return y }
        return tape.record(y.detached) { g, t in
            let format = Float8Format.e5m2
            let s = scale.data[0]
            let newScale = Tensor(shape: scale.shape, repeating: Kernels.float8Scale(
                amax: Kernels.float8HistoryMax(amaxHistory.data, count: amaxHistory.count), scale: s, max: format.max))
            let qdq = Tensor.uninitialized(g.shape)
            Kernels.float8QuantizeDequantize(g.data, count: g.count, scale: s, format: format, into: qdq.data)
            t.accumulate(y, qdq)
            t.accumulate(scale, newScale)
            t.accumulate(amaxHistory, Kernels.float8AmaxHistory(g.data, count: g.count, history: amaxHistory))
        }
    }

    /// `x` through bfloat16 and back (Keras's float8 layers add their float32 bias so); the
    /// gradient goes back through the two casts as jax's: rounded to bfloat16 too.
    public static func bfloat16RoundTrip(_ x: Tensor) -> Tensor {
        let out = Tensor.uninitialized(x.shape)
        for i in 0..<x.count { out.data[i] = Kernels.bfloat16RoundTrip(x.data[i]) }
        guard let tape = GradientTape.active, tape.tracks(x) else { return out }
        return tape.record(out) { g, t in
            let rounded = Tensor.uninitialized(g.shape)
            for i in 0..<g.count { rounded.data[i] = Kernels.bfloat16RoundTrip(g.data[i]) }
            t.accumulate(x, rounded)
        }
    }
}

/// The six variables of a float8 layer (Keras's `_float8_build`): a scale (shape `()`, ones)
/// and an amax history (`[amax_history_length]`, zeros) for the inputs, the kernel and the
/// output's gradient, all float32, trainable and overwritten with their gradients.
struct Float8Variables {
    static let names = ["inputs_scale", "inputs_amax_history", "kernel_scale", "kernel_amax_history",
                        "outputs_grad_scale", "outputs_grad_amax_history"]
    /// Keras's `QuantizedFloat8DTypePolicy.default_amax_history_length`.
    static let defaultAmaxHistoryLength = 1024

    let all: [Variable]

    /// Adds them to `layer`, in Keras's order; `pathPrefix` (the kernel's path less its name)
    /// places them beside the kernel of a layer quantized inside its model.
    static func build(on layer: Layer, historyLength: Int, pathPrefix: String? = nil) throws -> Float8Variables {
        guard historyLength > 0 else {
            throw KerasError.invalidArgument("\(layer.name): amax_history_length must be a positive integer, got \(historyLength)")
        }
        let vars = names.enumerated().map { i, name in
            let v = layer.addWeight(name: name, shape: i % 2 == 0 ? [] : [historyLength],
                                    initializer: i % 2 == 0 ? Ones() : Zeros(), trainable: true)
            v.overwriteWithGradient = true
            if let pathPrefix { v.path = pathPrefix + name }
            return v
        }
        return Float8Variables(all: vars)
    }

    /// Keras's `_float8_call` up to the bias: `product(qdq(inputs), qdq(kernel))` (the matmul or
    /// the einsum), its gradient fake-quantized on the way back.
    func call(_ inputs: Tensor, kernel: Tensor, training: Bool, product: (Tensor, Tensor) throws -> Tensor) throws -> Tensor {
        let v = all.map(\.value)
        let x = try Ops.float8QuantizeDequantize(inputs, scale: v[0], amaxHistory: v[1], training: training)
        let w = try Ops.float8QuantizeDequantize(kernel, scale: v[2], amaxHistory: v[3], training: training)
        return try Ops.float8QuantizeDequantizeGradient(product(x, w), scale: v[4], amaxHistory: v[5])
    }

    /// The float32 bias as Keras's float8 layers add it (through bfloat16).
    static func bias(_ bias: Variable) -> Tensor { Ops.bfloat16RoundTrip(bias.value) }
}
