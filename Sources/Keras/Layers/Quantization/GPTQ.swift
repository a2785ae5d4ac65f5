/// The weights of a Dense layer quantized by Keras's GPTQ (`quantize("gptq", config=
/// GPTQConfig(...))`, `keras.src.quantizers.gptq`): the kernel's `bits`-bit values
/// (0 ... 2^bits - 1) transposed to `[units, input_dim]` (uint8; at 4 bits packed two to a byte
/// along the units, `[ceil(units / 2), input_dim]`), a float scale and a uint8 zero point per
/// unit and group (`[units, groups]`), and `g_idx`, the group of each input row as Keras stores
/// it (`i / group_size`, a float whose integer part is the group). The values come from the
/// GPTQ solve over calibration data (the Python binding drives it, as Keras's
/// `gptq_core.gptq_quantize` does); the layer computes with
/// `((values - zero[g]) · scale[g])ᵀ` (Keras's `_gptq_call`).
struct GPTQKernel {
    let kernel: Variable, scale: Variable, zero: Variable, gIdx: Variable

    /// Keras's `GPTQConfig` / `GPTQDTypePolicy` weight bits.
    static let supportedBits = [2, 3, 4, 8]

    /// The bits and group size of Keras's `GPTQDTypePolicy` (`method` "gptq") or
    /// `AWQDTypePolicy` ("awq", 4 bits only) mode `"<method>/<weight_bits>/<group_size>"`, with
    /// Keras's errors (each policy's own wording).
    static func policyParameters(_ mode: String, method: String) throws -> (bits: Int, groupSize: Int) {
        let awq = method == "awq"
        let policy = awq ? "AWQDTypePolicy" : "GPTQDTypePolicy"
        let parts = mode.split(separator: "/", omittingEmptySubsequences: false)
        let expected = "'\(method)/<weight_bits>/<group_size>'"
        guard parts.count == 3, parts[0] == method else {
            throw KerasError.invalidArgument("Invalid mode for \(policy). Expected format \(expected), but got '\(mode)'.")
        }
        guard let bits = Int(parts[1]), let groupSize = Int(parts[2]) else {
            throw KerasError.invalidArgument("Invalid mode for \(policy). <weight_bits> and <group_size> must be integers. Expected format \(expected), but got '\(mode)'.")
        }
        if awq, bits != AWQKernel.bits {
            throw KerasError.invalidArgument("Invalid weight_bits in mode. AWQ only supports 4-bit quantization, but got \(bits) from '\(mode)'.")
        }
        guard awq || supportedBits.contains(bits) else {
            throw KerasError.invalidArgument("Invalid weight_bits in mode. Supported values are 2, 3, 4, and 8, but got \(bits) from '\(mode)'.")
        }
        guard groupSize == -1 || groupSize > 0 else {
            throw KerasError.invalidArgument("Invalid group_size in mode. Supported values are -1 (\(awq ? "per-channel" : "whole-tensor")) or a positive integer, but got \(groupSize) from '\(mode)'.")
        }
        return (bits, groupSize)
    }

    /// The shapes of Keras's `_gptq_build` for a `[rows, cols]` kernel (rows: input_dim, cols:
    /// units): the stored values, the scale and zero point.
    static func shapes(rows: Int, cols: Int, bits: Int, groupSize: Int) -> (values: [Int], scale: [Int]) {
        let groups = groupSize == -1 ? 1 : (rows + groupSize - 1) / groupSize
        return ([bits == 4 ? (cols + 1) / 2 : cols, rows], [cols, groups])
    }

    /// Keras's `_gptq_build`: the values, scale, zero point and group index, none trainable
    /// (a layer made from a GPTQ config, whose values a file then gives). `zeroName`: Dense's
    /// `kernel_zero`, EinsumDense's `zero_point`.
    static func build(on layer: Layer, rows: Int, cols: Int, bits: Int, groupSize: Int,
                      zeroName: String = "kernel_zero") -> GPTQKernel {
        let (valuesShape, scaleShape) = shapes(rows: rows, cols: cols, bits: bits, groupSize: groupSize)
        let kernel = layer.addWeight(name: "kernel", shape: valuesShape, initializer: Zeros(), trainable: false, dtype: .uint8)
        let scale = layer.addWeight(name: "kernel_scale", shape: scaleShape, initializer: Ones(), trainable: false)
        let zero = layer.addWeight(name: zeroName, shape: scaleShape, initializer: Zeros(), trainable: false, dtype: .uint8)
        let gIdx = layer.addWeight(name: "g_idx", shape: [rows], initializer: Zeros(), trainable: false)
        return GPTQKernel(kernel: kernel, scale: scale, zero: zero, gIdx: gIdx)
    }

    /// Replaces the float kernel `old` (`[rows, cols]`, or a kernel Keras flattens to that,
    /// ``flattened(_:layer:)``) by GPTQ weights of Keras's shapes, to be given their calibrated
    /// values next (the binding assigns the GPTQ solve's result).
    static func replace(_ old: Variable, bits: Int, groupSize: Int, on layer: some QuantizableLayer,
                        zeroName: String = "kernel_zero") throws -> GPTQKernel {
        let (rows, cols) = try flattened(old.shape, layer: layer.name)
        let (valuesShape, scaleShape) = shapes(rows: rows, cols: cols, bits: bits, groupSize: groupSize)
        let made = try layer.replaceByQuantized(old, bytes: [UInt8](repeating: 0, count: valuesShape.reduce(1, *)),
                                                valuesShape: valuesShape, valuesDType: .uint8,
                                                scale: Tensor(shape: scaleShape, repeating: 1), scaleName: "kernel_scale",
                                                extra: [(zeroName, Tensor(shape: scaleShape), .uint8),
                                                        ("g_idx", Tensor(shape: [rows]), .float32)])
        guard made.2.count == 2 else { throw KerasError.invalidState("\(layer.name): GPTQ weights not made") }
        return GPTQKernel(kernel: made.0, scale: made.1, zero: made.2[0], gIdx: made.2[1])
    }

    /// Keras's `[rows, cols]` of a GPTQ / AWQ kernel (`_gptq_build`, `_awq_build`): a 2-D
    /// kernel's shape; a 3-D EinsumDense kernel's by its largest axis (first: `[in, heads,
    /// head_dim]` → `[in, heads · head_dim]`; else `[heads, head_dim, out]` → `[heads ·
    /// head_dim, out]`), the kernel flattened so by a reshape of its own layout.
    static func flattened(_ shape: [Int], layer: String) throws -> (rows: Int, cols: Int) {
        if shape.count == 2 { return (shape[0], shape[1]) }
        guard shape.count == 3, let largest = shape.max(), let at = shape.firstIndex(of: largest) else {
            throw KerasError.invalidArgument("'\(layer)': GPTQ and AWQ quantization only support 2D or 3D kernels, got a kernel of shape \(shape)")
        }
        return at == 0 ? (shape[0], shape[1] * shape[2]) : (shape[0] * shape[1], shape[2])
    }

    /// The float kernel `[rows, cols]` (Keras's `_gptq_call`: `dequantize_with_sz_map` of the
    /// unpacked values, transposed), made whole (``GPTQMatrix/floatKernel()``).
    func floatKernel(cols: Int, bits: Int) throws -> Tensor {
        try GPTQMatrix(self, cols: cols, bits: bits).floatKernel()
    }
}

/// A GPTQ or AWQ kernel's weights checked against each other, read a block of input rows at a
/// time into float scratch by the blockwise product (``Ops/int4Dense(_:kernel:bias:activation:)``),
/// so that no float copy of the whole kernel is kept: row `i` of the `[rows, cols]` float kernel
/// is `(values[u, i] - zero[u, g]) · scale[u, g]` for each unit `u` (`g` the group of row `i`),
/// over `awq_scales[i]` for AWQ (Keras's `_gptq_call` and `_awq_call`), the values read from the
/// stored bytes (unpacked from their nibbles at 4 bits).
struct GPTQMatrix: BlockwiseKernel {
    /// The float kernel's `[rows, cols]` shape (input_dim, units).
    let rows: Int, cols: Int
    var columnScale: UnsafePointer<Float>? { nil }
    /// The stored values (the variable's own bytes): `[cols, rows]`, or packed two units to a
    /// byte, `[ceil(cols / 2), rows]`, when `packed`.
    private let values: [UInt8], packed: Bool
    private let scale: Tensor, zero: [UInt8], groups: Int, group: [Int], awqScales: Tensor?

    init(_ w: GPTQKernel, cols: Int, bits: Int, awqScales: Variable? = nil) throws {
        let shape = w.kernel.shape, packed = bits == 4
        let stored = packed ? (cols + 1) / 2 : cols
        guard shape.count == 2, shape[0] == stored, w.kernel.dtype.isByte, w.kernel.bytes.count == shape[0] * shape[1] else {
            throw KerasError.shapeMismatch("gptq: a kernel of shape \(shape) (\(w.kernel.dtype.rawValue)) does not hold \(cols) units at \(bits) bits (expected uint8 (\(stored), input_dim))")
        }
        rows = shape[1]
        self.cols = cols
        self.packed = packed
        values = w.kernel.bytes
        scale = w.scale.storedValue
        groups = scale.shape.last ?? 0
        guard scale.shape == [cols, groups], w.zero.shape == [cols, groups], w.zero.dtype.isByte, w.gIdx.shape == [rows] else {
            throw KerasError.shapeMismatch("gptq: scale \(scale.shape), zero \(w.zero.shape) (\(w.zero.dtype.rawValue)) and g_idx \(w.gIdx.shape) do not fit a kernel of \(cols) units and \(rows) input rows")
        }
        zero = w.zero.bytes
        group = try Int4.groups(of: w.gIdx.storedValue, groups: groups, what: "gptq")
        let a = awqScales?.storedValue
        if let a, a.shape != [rows] {
            throw KerasError.shapeMismatch("awq: awq_scales of shape \(a.shape) do not match a kernel of shape [\(rows), \(cols)]")
        }
        self.awqScales = a
    }

    func floatRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        values.withUnsafeBufferPointer { v in
            zero.withUnsafeBufferPointer { z in
                guard let v = v.baseAddress, let z = z.baseAddress else { return }
                let s = scale.data
                for (at, r) in range.enumerated() {
                    let o = out + at * cols, g = group[r]
                    for u in 0..<cols {
                        let q: UInt8
                        if packed {
                            let (low, high) = Int4.nibbles(v[(u / 2) * rows + r])
                            q = UInt8(u % 2 == 0 ? low : high)
                        } else {
                            q = v[u * rows + r]
                        }
                        let at2 = u * groups + g
                        o[u] = (Float(q) - Float(z[at2])) * s[at2]
                    }
                    if let awq = awqScales?.data {
                        let d = awq[r]
                        for u in 0..<cols { o[u] /= d }
                    }
                }
            }
        }
    }
}

/// A layer's ``GPTQMatrix``, checked once and kept while its weights keep their values (the
/// variables and their versions, as ``PackedInt8Cache`` keeps an int8 kernel's packed form), so
/// that a call neither re-checks the weights nor rebuilds the group of each row. Calls from
/// several threads share it.
final class GPTQMatrixCache: @unchecked Sendable {
    private let lock = Mutex()
    private var kept: (weights: GPTQKernel, awqScales: Variable?, cols: Int, bits: Int,
                       versions: [UInt64], matrix: GPTQMatrix)?

    /// The matrix of `w` (with `awqScales` for AWQ) as ``GPTQMatrix/init(_:cols:bits:awqScales:)``
    /// makes it, remade only when a weight was replaced or assigned since.
    func matrix(_ w: GPTQKernel, cols: Int, bits: Int, awqScales: Variable? = nil) throws -> GPTQMatrix {
        try lock.withLock {
            if let kept, kept.cols == cols, kept.bits == bits, kept.weights.kernel === w.kernel,
               kept.weights.scale === w.scale, kept.weights.zero === w.zero, kept.weights.gIdx === w.gIdx,
               kept.awqScales === awqScales, Self.isCurrent(kept.versions, w, awqScales) {
                return kept.matrix
            }
            let made = try GPTQMatrix(w, cols: cols, bits: bits, awqScales: awqScales)
            kept = (w, awqScales, cols, bits, Self.versions(w, awqScales), made)
            return made
        }
    }

    private static func versions(_ w: GPTQKernel, _ awqScales: Variable?) -> [UInt64] {
        [w.kernel.version, w.scale.version, w.zero.version, w.gIdx.version, awqScales?.version ?? 0]
    }

    private static func isCurrent(_ versions: [UInt64], _ w: GPTQKernel, _ awqScales: Variable?) -> Bool {
        versions.count == 5 && versions[0] == w.kernel.version && versions[1] == w.scale.version
            && versions[2] == w.zero.version && versions[3] == w.gIdx.version
            && versions[4] == (awqScales?.version ?? 0)
    }
}
