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
        let made = try layer.replaceByQuantized(old, values: [Int32](repeating: 0, count: valuesShape.reduce(1, *)),
                                                valuesShape: valuesShape, valuesDType: .uint8,
                                                scale: Tensor(shape: scaleShape, repeating: 1), scaleName: "kernel_scale",
                                                extra: [(zeroName, Tensor(shape: scaleShape), .uint8),
                                                        ("g_idx", Tensor(shape: [rows]), .float32)])
        guard made.2.count == 2 else { throw KerasError.invalidState("\(layer.name): GPTQ weights not made") }
        return GPTQKernel(kernel: made.0, scale: made.1, zero: made.2[0], gIdx: made.2[1])
    }

    /// The variables the float kernel is made from.
    var sources: [Variable] { [kernel, scale, zero, gIdx] }

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

    /// Keras's `unpack_int4(packed, orig_len=cols, axis=0, dtype="uint8")`: the `[cols, rows]`
    /// nibbles (0 ... 15) of a `[ceil(cols / 2), rows]` weight, row `2r` in the low nibble of
    /// packed row `r`, row `2r + 1` in the high one.
    static func unpackRows(_ packed: Tensor, count: Int) throws -> Tensor {
        try Int4.unpack(packed, count: count, axis: 0, signed: false, what: "gptq")
    }

    /// The float kernel `[rows, cols]` (Keras's `_gptq_call`: `dequantize_with_sz_map` of the
    /// unpacked values, transposed).
    func floatKernel(cols: Int, bits: Int) throws -> Tensor {
        let values = bits == 4 ? try GPTQKernel.unpackRows(kernel.storedValue, count: cols) : kernel.storedValue
        let w = try Int4.dequantize(values, scale: scale.storedValue, zero: zero.storedValue, gIdx: gIdx.storedValue,
                                    groupsAlongRows: false)
        return try Ops.transpose(w)
    }
}
