/// Keras's int4 quantization (`quantize("int4")`, weight-only): the 4-bit values of a 2-D
/// weight, packed two to a byte along its last axis (`keras.quantizers.pack_int4`), with one
/// symmetric scale per output channel or, in groups of `blockSize` along the contracted axis,
/// a scale and a zero point per group (`abs_max_quantize_grouped_with_zero_point`).
enum Int4 {
    /// The int4 value range.
    static let range: ClosedRange<Float> = -8...7

    /// The quantized form of `w` (`[k, n]`, Dense's orientation: quantized over axis 0, one
    /// scale per column): the values (`k × n`, -8 ... 7), the scale (`[n]` per channel,
    /// `[groups, n]` in blocks) and, in blocks, the zero point (`[groups, n]`, integers).
    static func quantize(_ w: Tensor, blockSize: Int?) -> (values: [Int32], scale: Tensor, zero: Tensor?) {
        guard let blockSize else {
            let (values, scale) = absMaxQuantize(w, axis: 0, range: range)
            return (values, scale, nil)
        }
        let k = w.shape[0], n = w.shape[1]
        let groups = (k + blockSize - 1) / blockSize
        let scale = Tensor.uninitialized([groups, n]), zero = Tensor.uninitialized([groups, n])
        var values = [Int32](repeating: 0, count: k * n)
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
                    values[i * n + j] = v.isNaN ? 0 : Int32(Swift.min(Swift.max(v, qmin), qmax))
                }
            }
        }
        return (values, scale, zero)
    }

    /// Keras's `pack_int4(values, axis=-1)` of `rows × cols` values in -8 ... 7: `[rows,
    /// ceil(cols / 2)]` bytes, the even column in the low nibble, the odd one in the high one,
    /// as signed int8 values.
    static func pack(_ values: [Int32], rows: Int, cols: Int) -> [Int32] {
        let half = (cols + 1) / 2
        var out = [Int32](repeating: 0, count: rows * half)
        for r in 0..<rows {
            for c in 0..<half {
                let low = values[r * cols + 2 * c] & 0xF
                let high = 2 * c + 1 < cols ? values[r * cols + 2 * c + 1] & 0xF : 0
                out[r * half + c] = Int32(Int8(truncatingIfNeeded: low | (high << 4)))
            }
        }
        return out
    }

    /// Keras's `unpack_int4(packed, cols, axis=-1)`: the `[rows, cols]` values (-8 ... 7, as
    /// floats) of a packed `[rows, ceil(cols / 2)]` weight.
    static func unpack(_ packed: Tensor, cols: Int) throws -> Tensor {
        let half = (cols + 1) / 2
        guard packed.rank == 2, packed.shape[1] == half else {
            throw KerasError.shapeMismatch("int4: a packed weight of shape \(packed.shape) does not hold \(cols) columns (expected (rows, \(half)))")
        }
        let rows = packed.shape[0]
        let out = Tensor.uninitialized([rows, cols])
        let p = packed.data, o = out.data
        for r in 0..<rows {
            for c in 0..<cols {
                let byte = Int32(p[r * half + c / 2])
                let nibble = c % 2 == 0 ? byte & 0xF : (byte >> 4) & 0xF
                o[r * cols + c] = Float((nibble ^ 8) - 8)
            }
        }
        return out
    }

    /// Keras's `g_idx`: the group of each of `count` positions, `floor(i / blockSize)`.
    static func groupIndex(count: Int, blockSize: Int) -> Tensor {
        let t = Tensor.uninitialized([count])
        for i in 0..<count { t.data[i] = Float(i / blockSize) }
        return t
    }

    /// Keras's `dequantize_with_sz_map`: `(values - zero[g]) · scale[g]` with `g = gIdx[i]` the
    /// group of position `i` along the grouped axis (`groupsAlongRows`: Dense's kernel, scale
    /// `[groups, n]`; otherwise Embedding's table, scale `[rows, groups]`).
    static func dequantize(_ values: Tensor, scale: Tensor, zero: Tensor, gIdx: Tensor, groupsAlongRows: Bool) throws -> Tensor {
        let rows = values.shape[0], cols = values.shape[1]
        let groups = groupsAlongRows ? scale.shape.first ?? 0 : scale.shape.last ?? 0
        let expected = groupsAlongRows ? [groups, cols] : [rows, groups]
        guard scale.shape == expected, zero.shape == expected, gIdx.shape == [groupsAlongRows ? rows : cols] else {
            throw KerasError.shapeMismatch("int4: scale \(scale.shape), zero \(zero.shape) and g_idx \(gIdx.shape) do not fit a weight of shape \(values.shape)")
        }
        let gi = gIdx.data
        for i in 0..<gIdx.count where !(gi[i] >= 0 && gi[i] < Float(groups)) {
            throw KerasError.invalidArgument("int4: g_idx[\(i)] = \(gi[i]) is not a group index in [0, \(groups))")
        }
        let out = Tensor.uninitialized([rows, cols])
        let v = values.data, s = scale.data, z = zero.data, o = out.data
        for r in 0..<rows {
            for c in 0..<cols {
                let at = groupsAlongRows ? Int(gi[r]) * cols + c : r * groups + Int(gi[c])
                o[r * cols + c] = (v[r * cols + c] - z[at]) * s[at]
            }
        }
        return out
    }
}

/// A tensor made from some variables' values (an int4 layer's unpacked or dequantized
/// weight), made again only when one of them has been written since (``Variable/version``).
final class DerivedWeightCache: @unchecked Sendable {
    private let lock = Mutex()
    private var key: [(Variable, UInt64)] = []
    private var tensor: Tensor?

    func tensor(from variables: [Variable], _ make: () throws -> Tensor) throws -> Tensor {
        try lock.withLock {
            if let tensor, key.count == variables.count,
               zip(key, variables).allSatisfy({ $0.0 === $1 && $0.1 == $1.version }) { return tensor }
            let made = try make()
            (key, tensor) = (variables.map { ($0, $0.version) }, made)
            return made
        }
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
        let made = try layer.replaceByQuantized(old, values: Int4.pack(values, rows: rows, cols: cols), valuesShape: [rows, (cols + 1) / 2],
                                                scale: scale, scaleName: "kernel_scale", extra: extra)
        return Int4Kernel(kernel: made.0, scale: made.1, zero: made.2.first, gIdx: made.2.dropFirst().first)
    }

    /// The variables the kernel's float form is made from.
    var sources: [Variable] { [kernel, scale] + [zero, gIdx].compactMap { $0 } }

    /// The `[rows, cols]` float form: in blocks `(values - zero[g]) · scale[g]`; per channel the
    /// unpacked values, divided by the scale of their column when `divided` (EinsumDense's
    /// `_int4_call` divides the kernel, Dense's the product).
    func floatKernel(cols: Int, divided: Bool) throws -> Tensor {
        let values = try Int4.unpack(kernel.storedValue, cols: cols)
        if let zero, let gIdx {
            return try Int4.dequantize(values, scale: scale.storedValue, zero: zero.storedValue, gIdx: gIdx.storedValue, groupsAlongRows: true)
        }
        return divided ? try Ops.divide(values, scale.storedValue) : values
    }
}
