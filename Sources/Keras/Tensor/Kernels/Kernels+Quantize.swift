import CHDF5Shim

/// Keras's abs-max int8 quantization (`keras.quantizers.abs_max_quantize`) and the integer
/// matrix product of a quantized Dense (`int8.c` in CHDF5Shim).
extension Kernels {
    /// Keras's `backend.epsilon()`, added to the abs-max so that a zero row gets a finite scale.
    static let quantizeEpsilon: Float = 1e-7

    /// The quantized value of `x · scale`: rounded half to even and clipped to `range` (int8:
    /// ±127; int4: -8 ... 7), as Keras's `clip(round(x * scale), low, high)`; a NaN becomes 0.
    @inline(__always)
    static func quantizedValue(_ x: Float, _ scale: Float, range: ClosedRange<Float> = -127...127) -> Float {
        let v = (x * scale).rounded(.toNearestOrEven)
        return v.isNaN ? 0 : Swift.min(Swift.max(v, range.lowerBound), range.upperBound)
    }

    /// The abs-max scale `high / (max |x| + epsilon)` of `count` values `stride` apart (`high`:
    /// the top of the value range, 127 for int8, 7 for int4).
    @inline(__always)
    static func absMaxScale(_ x: UnsafePointer<Float>, count: Int, stride: Int, high: Float = 127) -> Float {
        var m: Float = 0
        for i in 0..<count { m = Swift.max(m, abs(x[i * stride])) }
        return high / (m + quantizeEpsilon)
    }

    /// The code the int8 product runs (`int8.c` in CHDF5Shim): 2 AVX-512 VNNI, 1 AVX2, 0
    /// portable C, the fastest this CPU has; all give the same int32 results.
    static let int8Path = Int(sk_i8_best_path())

    /// The rows `rows` of Keras's int8 Dense product (`Dense._int8_call`): each row of `x`
    /// (width `kernel.k`) quantized over its own abs-max (Keras's input quantizer,
    /// `AbsMaxQuantizer()(x, axis=-1)`), multiplied by the packed int8 kernel exactly in int32,
    /// then `y[r, j] = Float(product) / (kernelScale[j] · inputScale[r])`. `a` is scratch for
    /// the rows' quantized values (`rows.count × kernel.rowBytes` bytes from row `rows.lowerBound`).
    /// With `bias` (`kernel.n` floats) each row gets it added, and with `relu` then `max(y, 0)`,
    /// in the same pass (the bits of `Ops.add` and the relu activation after it).
    static func int8DenseRows(_ x: UnsafePointer<Float>, rows: Range<Int>, kernel: PackedInt8Matrix,
                              kernelScale: UnsafePointer<Float>, inputScales: UnsafeMutablePointer<Float>,
                              scratch a: UnsafeMutablePointer<UInt8>, into y: UnsafeMutablePointer<Float>,
                              bias: UnsafePointer<Float>? = nil, relu: Bool = false, path: Int = int8Path) {
        let k = kernel.k, lda = kernel.rowBytes, code = Int32(Swift.min(path, int8Path))
        sk_i8_quantize_rows(rows.lowerBound, rows.upperBound, k, x, a, lda, inputScales, code)
        sk_i8_gemm(rows.lowerBound, rows.upperBound, kernel.n, k, a, lda, kernel.packed, kernel.columnSums,
                   nil, y, inputScales, kernelScale, bias, relu ? 1 : 0, code)
    }
}

/// An int8 matrix (`k × n`, a quantized layer's kernel) in the layout of the int8 product
/// (`sk_i8_pack`), with its column sums: made once per kernel value, not per call.
final class PackedInt8Matrix: @unchecked Sendable {
    let k: Int, n: Int
    /// The bytes of one row of quantized inputs (`k` rounded up to 4, the product's step).
    var rowBytes: Int { (k + 3) / 4 * 4 }
    let packed: UnsafeMutablePointer<Int8>
    let columnSums: UnsafeMutablePointer<Int32>

    /// Packs `b` (`[k, n]`), whose values must be integers in -128 ... 127.
    init(_ b: Tensor) throws {
        guard b.rank == 2 else {
            throw KerasError.shapeMismatch("int8 kernel: expected a 2-D kernel, got shape \(b.shape)")
        }
        k = b.shape[0]
        n = b.shape[1]
        let values = UnsafeMutablePointer<Int8>.allocate(capacity: Swift.max(1, k * n))
        defer { values.deallocate() }
        let d = b.data
        for i in 0..<(k * n) {
            let v = d[i]
            guard v >= -128, v <= 127, v == v.rounded() else {
                throw KerasError.invalidArgument("int8 kernel: value \(v) at index \(i) is not an int8 (integers -128 ... 127)")
            }
            values[i] = Int8(v)
        }
        packed = .allocate(capacity: Swift.max(1, sk_i8_packed_bytes(k, n)))
        columnSums = .allocate(capacity: Swift.max(1, n))
        sk_i8_pack(k, n, values, packed, columnSums)
    }

    deinit {
        packed.deallocate()
        columnSums.deallocate()
    }
}

/// A quantized layer's packed kernel, packed again only when the kernel's variable has been
/// written since (quantize, loading weights, set_weights: ``Variable/version``).
final class PackedInt8Cache: @unchecked Sendable {
    private let lock = Mutex()
    private var variable: Variable?
    private var version: UInt64 = 0
    private var matrix: PackedInt8Matrix?

    /// The packed form of `variable`'s current value, `kernel()` giving it as `[k, n]`.
    func matrix(for variable: Variable, _ kernel: () throws -> Tensor) throws -> PackedInt8Matrix {
        try lock.withLock {
            if let matrix, self.variable === variable, version == variable.version { return matrix }
            let made = try PackedInt8Matrix(kernel())
            (self.variable, version, matrix) = (variable, variable.version, made)
            return made
        }
    }
}
