/// Keras's int4 quantization (`quantize("int4")`, weight-only): the 4-bit values of a 2-D
/// weight, packed two to a byte along its last axis (`keras.quantizers.pack_int4`), with one
/// symmetric scale per output channel or, in groups of `blockSize` along the contracted axis,
/// a scale and a zero point per group (`abs_max_quantize_grouped_with_zero_point`).
enum Int4 {
    /// The int4 value range.
    static let range: ClosedRange<Float> = -8...7

    /// The quantized form of `w` (`[k, n]`, Dense's orientation: quantized over axis 0, one
    /// scale per column): the values (`k × n`, -8 ... 7, as their int8 bit patterns), the scale
    /// (`[n]` per channel, `[groups, n]` in blocks) and, in blocks, the zero point (`[groups,
    /// n]`, integers).
    static func quantize(_ w: Tensor, blockSize: Int?) -> (values: [UInt8], scale: Tensor, zero: Tensor?) {
        guard let blockSize else {
            let (values, scale) = absMaxQuantize(w, axis: 0, range: range)
            return (values, scale, nil)
        }
        let k = w.shape[0], n = w.shape[1]
        let groups = (k + blockSize - 1) / blockSize
        let scale = Tensor.uninitialized([groups, n]), zero = Tensor.uninitialized([groups, n])
        var values = [UInt8](repeating: 0, count: k * n)
        let x = w.data, s = scale.data, z = zero.data
        let (qmin, qmax) = (range.lowerBound, range.upperBound)
        for g in 0..<groups {
            let rows = (g * blockSize)..<Swift.min(k, (g + 1) * blockSize)
            // Keras pads the last group with zero rows, which take part in its min and max.
            let padded = rows.count < blockSize
            for j in 0..<n {
                var lo: Float = padded ? 0 : .infinity, hi: Float = padded ? 0 : -.infinity
                for i in rows { lo = Swift.min(lo, x[i * n + j]); hi = Swift.max(hi, x[i * n + j]) }
                let sc = (hi - lo + Kernels.quantizeEpsilon) / (qmax - qmin)
                let zp = Swift.min(Swift.max((-lo / sc).rounded(.toNearestOrEven) + qmin, qmin), qmax)
                s[g * n + j] = sc
                z[g * n + j] = zp
                for i in rows {
                    let v = (x[i * n + j] / sc).rounded(.toNearestOrEven) + zp
                    values[i * n + j] = v.isNaN ? 0 : UInt8(bitPattern: Int8(Swift.min(Swift.max(v, qmin), qmax)))
                }
            }
        }
        return (values, scale, zero)
    }

    /// Keras's `pack_int4(values, axis=-1)` of `rows × cols` values in -8 ... 7 (their int8 bit
    /// patterns): `[rows, ceil(cols / 2)]` bytes, the even column in the low nibble, the odd one
    /// in the high one (an int8 weight's bit patterns).
    static func pack(_ values: [UInt8], rows: Int, cols: Int) -> [UInt8] {
        let half = (cols + 1) / 2
        var out = [UInt8](repeating: 0, count: rows * half)
        for r in 0..<rows {
            for c in 0..<half {
                let low = values[r * cols + 2 * c] & 0xF
                let high = 2 * c + 1 < cols ? values[r * cols + 2 * c + 1] & 0xF : 0
                out[r * half + c] = low | (high << 4)
            }
        }
        return out
    }

    /// The low and high nibbles (0 ... 15) of a packed byte held as a float (a `[-128, 255]`
    /// integer: an int8 or uint8 weight's mirror); a value that is not one reads as 0.
    @inline(__always)
    static func nibbles(_ byte: Float) -> (low: Int32, high: Int32) {
        let b = byte >= -128 && byte <= 255 ? Int32(byte) & 0xFF : 0
        return (b & 0xF, b >> 4)
    }

    /// The low and high nibbles (0 ... 15) of a packed byte (an int8 or uint8 variable's
    /// ``Variable/bytes``).
    @inline(__always)
    static func nibbles(_ byte: UInt8) -> (low: Int32, high: Int32) {
        (Int32(byte & 0xF), Int32(byte >> 4))
    }

    /// A nibble read as a signed int4 value (-8 ... 7).
    @inline(__always)
    static func signed(_ nibble: Int32) -> Int32 { (nibble ^ 8) - 8 }

    /// Keras's `unpack_int4(packed, orig_len=count, axis)`: the values of a weight packed two to a
    /// byte along `axis` (0 or 1; `[ceil(count / 2), n]` or `[rows, ceil(count / 2)]`), the
    /// even index in the low nibble, as floats: signed (-8 ... 7, Keras's int8 dtype) or the
    /// nibbles themselves (0 ... 15, `dtype="uint8"`). `what` names the weight in the error.
    static func unpack(_ packed: Tensor, count: Int, axis: Int, signed: Bool, what: String) throws -> Tensor {
        let half = (count + 1) / 2
        guard packed.rank == 2, axis == 0 || axis == 1, packed.shape[axis] == half else {
            let expected = axis == 0 ? "(\(half), n)" : "(rows, \(half))"
            throw KerasError.shapeMismatch("\(what): a packed weight of shape \(packed.shape) does not hold \(count) \(axis == 0 ? "rows" : "columns") (expected \(expected))")
        }
        let outer = axis == 0 ? count : packed.shape[0], inner = axis == 0 ? packed.shape[1] : count
        let out = Tensor.uninitialized([outer, inner])
        let p = packed.data, o = out.data
        for r in 0..<outer {
            for c in 0..<inner {
                let (i, odd) = axis == 0 ? ((r / 2) * inner + c, r % 2 == 1) : (r * half + c / 2, c % 2 == 1)
                let (low, high) = nibbles(p[i])
                let nibble = odd ? high : low
                o[r * inner + c] = Float(signed ? Int4.signed(nibble) : nibble)
            }
        }
        return out
    }

    /// Keras's `unpack_int4(packed, cols, axis=-1)`: the `[rows, cols]` values (-8 ... 7, as
    /// floats) of a packed `[rows, ceil(cols / 2)]` weight.
    static func unpack(_ packed: Tensor, cols: Int) throws -> Tensor {
        try unpack(packed, count: cols, axis: 1, signed: true, what: "int4")
    }

    /// Rows `ids` of an int4 table packed along its columns (Embedding's `[rows, ceil(cols / 2)]`),
    /// unpacked and dequantized: per row over its scale (`scale` `[rows]`), or with `zero` and
    /// `gIdx` (the group of each column) `(values - zero[row, g]) · scale[row, g]`. Only the rows
    /// taken are unpacked, read from the packed variable's bytes.
    static func takeRows(_ ids: [Int], packed: Variable, cols: Int, scale: Tensor, zero: Tensor?, gIdx: Tensor?) throws -> Tensor {
        let half = (cols + 1) / 2
        let shape = packed.shape, bytes = packed.bytes
        guard shape.count == 2, shape[1] == half, bytes.count == shape[0] * half else {
            throw KerasError.shapeMismatch("int4: a packed weight of shape \(shape) (\(packed.dtype.rawValue)) does not hold \(cols) columns as bytes (expected int8 (rows, \(half)))")
        }
        let rows = shape[0], groups = zero == nil ? 0 : scale.shape.last ?? 0
        var group = [Int](repeating: 0, count: cols)
        if let zero {
            guard let gIdx, scale.shape == [rows, groups], zero.shape == [rows, groups], gIdx.shape == [cols] else {
                throw KerasError.shapeMismatch("int4: scale \(scale.shape), zero \(zero.shape) and g_idx \(gIdx?.shape ?? []) do not fit a weight of shape [\(rows), \(cols)]")
            }
            group = try Int4.groups(of: gIdx, groups: groups, what: "int4")
        } else if scale.shape != [rows] {
            throw KerasError.shapeMismatch("int4: a scale of shape \(scale.shape) does not fit \(rows) rows")
        }
        let out = Tensor.uninitialized([ids.count, cols])
        let s = scale.data, o = out.data
        for (at, r) in ids.enumerated() {
            guard r >= 0, r < rows else { throw KerasError.invalidArgument("int4: row \(r) is out of range [0, \(rows))") }
            for c in 0..<cols {
                let (low, high) = nibbles(bytes[r * half + c / 2])
                let v = Float(signed(c % 2 == 0 ? low : high))
                if let zero {
                    let at2 = r * groups + group[c]
                    o[at * cols + c] = (v - zero.data[at2]) * s[at2]
                } else {
                    o[at * cols + c] = v / s[r]
                }
            }
        }
        return out
    }

    /// The group of each position that a `g_idx` weight gives (a float whose integer part is the
    /// group), each checked to be in `0 ..< groups`. `what` names the weight in the error.
    static func groups(of gIdx: Tensor, groups: Int, what: String) throws -> [Int] {
        var group = [Int](repeating: 0, count: gIdx.count)
        for i in 0..<gIdx.count {
            let v = gIdx.data[i]
            guard v >= 0, v < Float(groups) else {
                throw KerasError.invalidArgument("\(what): g_idx[\(i)] = \(v) is not a group index in [0, \(groups))")
            }
            group[i] = Int(v)
        }
        return group
    }

    /// Keras's `g_idx`: the group of each of `count` positions, `floor(i / blockSize)`.
    static func groupIndex(count: Int, blockSize: Int) -> Tensor {
        let t = Tensor.uninitialized([count])
        for i in 0..<count { t.data[i] = Float(i / blockSize) }
        return t
    }
}

/// The int4 weights of a layer whose kernel is a `[rows, cols]` product over its rows (Dense;
/// EinsumDense's kernel reshaped so, as Keras flattens it): made empty by `build` under an int4
/// policy, or from the float kernel by `quantize`.
struct Int4Kernel {
    let kernel: Variable, scale: Variable, zero: Variable?, gIdx: Variable?

    /// Keras's `_int4_build`: the packed kernel `[rows, ceil(cols / 2)]`, its scale (`[cols]`,
    /// or `[groups, cols]` in blocks) and in blocks the zero points and the group of each row;
    /// none trainable.
    static func build(on layer: Layer, rows: Int, cols: Int, blockSize: Int?) throws -> Int4Kernel {
        let kernel = layer.addWeight(name: "kernel", shape: [rows, (cols + 1) / 2], initializer: Zeros(), trainable: false, dtype: .int8)
        let groups = blockSize.map { (rows + $0 - 1) / $0 }
        let scale = layer.addWeight(name: "kernel_scale", shape: groups.map { [$0, cols] } ?? [cols], initializer: Ones(), trainable: false)
        guard let blockSize, let groups else { return Int4Kernel(kernel: kernel, scale: scale, zero: nil, gIdx: nil) }
        let zero = layer.addWeight(name: "kernel_zero", shape: [groups, cols], initializer: Zeros(), trainable: false, dtype: .int8)
        let gIdx = layer.addWeight(name: "g_idx", shape: [rows], initializer: Zeros(), trainable: false)
        try gIdx.assign(Int4.groupIndex(count: rows, blockSize: blockSize))
        return Int4Kernel(kernel: kernel, scale: scale, zero: zero, gIdx: gIdx)
    }

    /// Keras's `quantize("int4")` of the float kernel `old` whose value is `w2` as `[rows, cols]`:
    /// quantized over its rows (per column, or in blocks of rows with zero points), packed.
    static func quantize(_ old: Variable, as w2: Tensor, blockSize: Int?, on layer: some QuantizableLayer) throws -> Int4Kernel {
        let rows = w2.shape[0], cols = w2.shape[1]
        let (values, scale, zero) = Int4.quantize(w2, blockSize: blockSize)
        var extra: [(String, Tensor, VariableDType)] = []
        if let zero, let blockSize {
            extra = [("kernel_zero", zero, .int8), ("g_idx", Int4.groupIndex(count: rows, blockSize: blockSize), .float32)]
        }
        let made = try layer.replaceByQuantized(old, bytes: Int4.pack(values, rows: rows, cols: cols), valuesShape: [rows, (cols + 1) / 2],
                                                scale: scale, scaleName: "kernel_scale", extra: extra)
        return Int4Kernel(kernel: made.0, scale: made.1, zero: made.2.first, gIdx: made.2.dropFirst().first)
    }

    /// The `[rows, cols]` float form: in blocks `(values - zero[g]) · scale[g]`; per channel the
    /// unpacked values, divided by the scale of their column when `divided` (EinsumDense's
    /// `_int4_call` divides the kernel, Dense's the product). Made per call, never kept.
    func floatKernel(cols: Int, divided: Bool) throws -> Tensor {
        try Int4Matrix(self, cols: cols, divided: divided).floatKernel()
    }
}

/// A `[rows, cols]` kernel stored quantized whose float form the blockwise product
/// (``Ops/int4Dense(_:kernel:bias:activation:)``) reads a block of rows at a time into scratch:
/// int4's (``Int4Matrix``), GPTQ's and AWQ's (``GPTQMatrix``).
protocol BlockwiseKernel {
    var rows: Int { get }
    var cols: Int { get }
    /// The scale the product's columns are divided by afterwards (int4 per channel), or nil.
    var columnScale: UnsafePointer<Float>? { get }
    /// Writes rows `range` of the float form into `out` (`range.count × cols`, row-major).
    func floatRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>)
}

extension BlockwiseKernel {
    /// The whole `[rows, cols]` float form (where the product is not read in blocks), made per
    /// call and not kept.
    func floatKernel() -> Tensor {
        let t = Tensor.uninitialized([rows, cols])
        floatRows(0..<rows, into: t.data)
        return t
    }
}

/// An int4 kernel's weights checked against each other, read a block of rows at a time into
/// float scratch by the int4 product (``Ops/int4Dense(_:kernel:bias:activation:)``), so that no
/// float copy of the whole kernel is kept: Keras's layer holds only the packed values and their
/// scale (and zero point).
struct Int4Matrix: BlockwiseKernel {
    /// The kernel's `[rows, cols]` shape.
    let rows: Int, cols: Int
    /// True per channel (one scale per column, no zero point).
    var perChannel: Bool { zero == nil }
    /// Per channel: the float form is `values / scale` when `divided` (EinsumDense's
    /// `_int4_call`), else the bare values and the product is divided (Dense's).
    let divided: Bool
    /// The kernel's packed bytes (its variable's own, not copied), `[rows, ceil(cols / 2)]`.
    private let packed: [UInt8], scale: Tensor, zero: Tensor?, group: [Int]

    init(_ w: Int4Kernel, cols: Int, divided: Bool) throws {
        let shape = w.kernel.shape, packed = w.kernel.bytes, scale = w.scale.storedValue
        let half = (cols + 1) / 2
        guard shape.count == 2, shape[1] == half, packed.count == shape[0] * half else {
            throw KerasError.shapeMismatch("int4: a packed weight of shape \(shape) (\(w.kernel.dtype.rawValue)) does not hold \(cols) columns as bytes (expected int8 (rows, \(half)))")
        }
        rows = shape[0]
        self.cols = cols
        self.divided = divided
        self.packed = packed
        self.scale = scale
        guard let zeroVariable = w.zero, let gIdx = w.gIdx else {
            guard scale.shape == [cols] else {
                throw KerasError.shapeMismatch("int4: kernel_scale of shape \(scale.shape) does not fit \(cols) columns")
            }
            (zero, group) = (nil, [])
            return
        }
        let zero = zeroVariable.storedValue, g = gIdx.storedValue
        let groups = scale.shape.first ?? 0
        guard scale.shape == [groups, cols], zero.shape == [groups, cols], g.shape == [rows] else {
            throw KerasError.shapeMismatch("int4: scale \(scale.shape), zero \(zero.shape) and g_idx \(g.shape) do not fit a weight of shape [\(rows), \(cols)]")
        }
        (self.zero, self.group) = (zero, try Int4.groups(of: g, groups: groups, what: "int4"))
    }

    /// Writes rows `range` of the float form into `out` (`range.count × cols`, row-major): in
    /// blocks `(values - zero[g]) · scale[g]`, per channel the values (over the scale when
    /// `divided`).
    func floatRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        packed.withUnsafeBufferPointer { floatRows(range, from: $0, into: out) }
    }

    private func floatRows(_ range: Range<Int>, from bytes: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<Float>) {
        guard let p = bytes.baseAddress else { return }
        let half = (cols + 1) / 2, s = scale.data
        for (at, r) in range.enumerated() {
            let o = out + at * cols
            let row = p + r * half
            var c = 0
            while c + 1 < cols {
                let (low, high) = Int4.nibbles(row[c / 2])
                o[c] = Float(Int4.signed(low))
                o[c + 1] = Float(Int4.signed(high))
                c += 2
            }
            if c < cols { o[c] = Float(Int4.signed(Int4.nibbles(row[c / 2]).low)) }
            if let zero {
                let base = group[r] * cols, z = zero.data + base, sg = s + base
                for j in 0..<cols { o[j] = (o[j] - z[j]) * sg[j] }
            } else if divided {
                for j in 0..<cols { o[j] /= s[j] }
            }
        }
    }

    /// Per channel and not `divided`: the scale the product's columns are divided by.
    var columnScale: UnsafePointer<Float>? { perChannel && !divided ? UnsafePointer(scale.data) : nil }
}
