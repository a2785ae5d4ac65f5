#if canImport(Glibc)
import Glibc
#endif

/// How ``Ops/resize(_:size:interpolation:)`` computes new positions. Keras: the `interpolation`
/// argument of `ops.image.resize` and `UpSampling2D` (the methods its JAX backend offers).
public enum ResizeInterpolation: String, Sendable, CaseIterable, LayerArgumentValue {
    /// The nearest input position.
    case nearest
    /// Linear along each spatial axis (triangle kernel).
    case bilinear
    /// Keys's cubic kernel with `a = -0.5`.
    case bicubic
    /// Lanczos kernel of radius 3.
    case lanczos3
    /// Lanczos kernel of radius 5.
    case lanczos5

    public var configValue: JSON { .string(rawValue) }

    /// The interpolation with a Keras name (any case); throws naming `context` for anything else.
    public static func named(_ name: String, _ context: String) throws -> ResizeInterpolation {
        guard let i = ResizeInterpolation(rawValue: name.lowercased()) else {
            throw KerasError.invalidArgument("\(context): interpolation '\(name)' is not one of \(allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
        }
        return i
    }

    /// The taps resampling an axis of `n` positions to `m`, with `jax.image.resize`'s kernels
    /// (half-pixel centres, weights inside the input normalized; `antialias`: the kernel widened
    /// when reducing, except for `nearest`, which JAX's resize never antialiases).
    func taps(from n: Int, to m: Int, antialias: Bool = false) -> Kernels.ResampleTaps {
        switch self {
        case .nearest: return .nearest(from: n, to: m)
        case .bilinear: return .kernel(from: n, to: m, radius: 1, antialias: antialias) { Swift.max(0, 1 - $0) }
        case .bicubic:
            return .kernel(from: n, to: m, radius: 2, antialias: antialias) { x in
                x >= 2 ? 0 : x >= 1 ? ((-0.5 * x + 2.5) * x - 4) * x + 2 : ((1.5 * x - 2.5) * x) * x + 1
            }
        case .lanczos3, .lanczos5:
            let r: Float = self == .lanczos3 ? 3 : 5
            return .kernel(from: n, to: m, radius: Int(r), antialias: antialias) { x in
                x > r ? 0 : x > 1e-3 ? r * sinf(.pi * x) * sinf(.pi * x / r) / (.pi * .pi * x * x) : 1
            }
        }
    }
}

extension Ops {
    /// Throws naming `op` when an output of `shape` would not fit in memory (its size
    /// overflows, exceeds ``MemoryBudget/bytes`` or cannot be allocated): a hostile padding or
    /// upsampling factor must not abort the process.
    static func checkOutputFits(_ shape: [Int], _ op: String) throws {
        let bytes = try ShapeMath.product(shape + [MemoryLayout<Float>.size], op)
        try MemoryBudget.require(bytes, for: "\(op): an output of shape \(shape)")
    }

    /// Zeros added before and after each axis: `padding[a] = (before, after)`.
    /// Keras: `ops.pad(x, pad_width)` (constant mode, value 0).
    public static func pad(_ x: Tensor, _ padding: [(before: Int, after: Int)]) throws -> Tensor {
        guard padding.count == x.rank, padding.allSatisfy({ $0.before >= 0 && $0.after >= 0 }) else {
            throw KerasError.invalidArgument("pad: padding \(padding.map { [$0.before, $0.after] }) must hold one pair of non-negative integers per axis of a tensor of shape \(x.shape)")
        }
        let shape = try zip(x.shape, padding).map { n, p in try ShapeMath.sum(try ShapeMath.sum(n, p.before, "pad"), p.after, "pad") }
        try checkOutputFits(shape, "pad")
        let out = Tensor(shape: shape)
        let before = padding.map(\.before)
        Kernels.copyBlock(x.data, shape: x.shape, start: x.shape.map { _ in 0 }, into: out.data, shape: shape, start: before, block: x.shape)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor.uninitialized(x.shape)
            Kernels.copyBlock(g.data, shape: shape, start: before, into: dx.data, shape: x.shape, start: x.shape.map { _ in 0 }, block: x.shape)
            t.accumulate(x, dx)
        }
    }

    /// The block of `shape` that starts at `start`. Keras: `ops.slice(x, start_indices, shape)`.
    public static func slice(_ x: Tensor, start: [Int], shape: [Int]) throws -> Tensor {
        guard start.count == x.rank, shape.count == x.rank,
              x.shape.indices.allSatisfy({ start[$0] >= 0 && shape[$0] >= 0 && shape[$0] <= x.shape[$0] - start[$0] }) else {
            throw KerasError.invalidArgument("slice: a block of shape \(shape) at \(start) does not lie inside a tensor of shape \(x.shape)")
        }
        let out = Tensor.uninitialized(shape)
        let origin = shape.map { _ in 0 }
        Kernels.copyBlock(x.data, shape: x.shape, start: start, into: out.data, shape: shape, start: origin, block: shape)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor(shape: x.shape)
            Kernels.copyBlock(g.data, shape: shape, start: origin, into: dx.data, shape: x.shape, start: start, block: shape)
            t.accumulate(x, dx)
        }
    }

    /// Each slice along `axis` written `repeats` times in a row. Keras: `ops.repeat(x, repeats, axis)`.
    public static func `repeat`(_ x: Tensor, _ repeats: Int, axis: Int) throws -> Tensor {
        let a = try normalizedAxis("repeat", axis, rank: x.rank)
        guard repeats >= 0 else { throw KerasError.invalidArgument("repeat: repeats must not be negative, got \(repeats)") }
        let rows = x.shape[...a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
        var shape = x.shape
        shape[a] = try ShapeMath.product([shape[a], repeats], "repeat")
        try checkOutputFits(shape, "repeat")
        let out = Tensor.uninitialized(shape)
        Kernels.repeatRows(x.data, rows: rows, times: repeats, row: inner, into: out.data)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            t.accumulate(x, Kernels.sumToShape(g.viewing([rows, repeats, inner]), [rows, 1, inner]).viewing(x.shape))
        }
    }

    /// Channels-last images `(batch, spatial..., channels)` resized to `size` spatial positions.
    /// Keras: `ops.image.resize(x, size, interpolation, antialias)` (JAX's numbers).
    public static func resize(_ x: Tensor, size: [Int], interpolation: ResizeInterpolation, antialias: Bool = false) throws -> Tensor {
        guard x.rank >= 3, size.count == x.rank - 2, size.allSatisfy({ $0 > 0 }), !x.shape.dropFirst().dropLast().contains(0) else {
            throw KerasError.invalidArgument("resize: size \(size) must give one positive integer per spatial axis of non-empty images (batch, spatial..., channels) of shape \(x.shape)")
        }
        var y = x
        for (a, m) in size.enumerated() where y.shape[a + 1] != m {
            y = try resampled(y, axis: a + 1, to: m, interpolation, antialias: antialias)
        }
        return y
    }

    /// Axis `axis` of `x` resampled to `m` positions.
    static func resampled(_ x: Tensor, axis a: Int, to m: Int, _ interpolation: ResizeInterpolation, antialias: Bool = false) throws -> Tensor {
        let outer = x.shape[..<a].reduce(1, *), n = x.shape[a], inner = x.shape[(a + 1)...].reduce(1, *)
        var shape = x.shape
        shape[a] = m
        try checkOutputFits(shape, "resize")
        // The taps: up to 11 (lanczos5) Int and Float pairs per output position, or, widened by
        // antialiasing a reduction, about 10 per input position.
        try checkOutputFits([m + n, 11 * 3], "resize")
        let taps = interpolation.taps(from: n, to: m, antialias: antialias)
        let out = Tensor(shape: shape)
        Kernels.resampleAxis(x.data, outer: outer, length: n, inner: inner, taps, into: out.data)
        guard let tape = recording(x) else { return out }
        return tape.record(out) { g, t in
            let dx = Tensor(shape: x.shape)
            Kernels.resampleAxis(g.data, outer: outer, length: n, inner: inner, taps, into: dx.data, transposed: true)
            t.accumulate(x, dx)
        }
    }
}
