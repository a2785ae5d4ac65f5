/// The weights of a Dense layer quantized by Keras's AWQ (activation-aware weight quantization:
/// `quantize("awq", config=AWQConfig(...))`, `keras.src.quantizers.awq`): GPTQ's 4-bit form
/// (``GPTQKernel``: the values transposed to `[units, input_dim]` and packed two to a byte
/// along the units, a scale and a uint8 zero point per unit and group, `g_idx`) and
/// `awq_scales`, one float per input row, by which the weights were multiplied before they were
/// rounded. The values come from the AWQ scale search and rounding (the Python binding drives
/// it, as Keras's `awq_core.awq_quantize` does); the layer computes with
/// `((values - zero[g]) · scale[g])ᵀ / awq_scales` (Keras's `_awq_call`).
struct AWQKernel {
    let gptq: GPTQKernel
    let awqScales: Variable

    /// Keras's `AWQConfig` / `AWQDTypePolicy`: 4 bits only.
    static let bits = 4

    /// Keras's `_awq_build`: the packed values, scale, zero point, AWQ scales and group index,
    /// none trainable (a layer made from an AWQ config, whose values a file then gives).
    static func build(on layer: Layer, rows: Int, cols: Int, groupSize: Int, zeroName: String = "kernel_zero") -> AWQKernel {
        let (valuesShape, scaleShape) = GPTQKernel.shapes(rows: rows, cols: cols, bits: bits, groupSize: groupSize)
        let kernel = layer.addWeight(name: "kernel", shape: valuesShape, initializer: Zeros(), trainable: false, dtype: .uint8)
        let scale = layer.addWeight(name: "kernel_scale", shape: scaleShape, initializer: Ones(), trainable: false)
        let zero = layer.addWeight(name: zeroName, shape: scaleShape, initializer: Zeros(), trainable: false, dtype: .uint8)
        let awqScales = layer.addWeight(name: "awq_scales", shape: [rows], initializer: Ones(), trainable: false)
        let gIdx = layer.addWeight(name: "g_idx", shape: [rows], initializer: Zeros(), trainable: false)
        return AWQKernel(gptq: GPTQKernel(kernel: kernel, scale: scale, zero: zero, gIdx: gIdx), awqScales: awqScales)
    }

    /// Replaces the float kernel `old` (`[rows, cols]`, or a kernel Keras flattens to that) by
    /// AWQ weights of Keras's shapes, to be given their calibrated values next (the binding
    /// assigns the AWQ result).
    static func replace(_ old: Variable, groupSize: Int, on layer: some QuantizableLayer,
                        zeroName: String = "kernel_zero") throws -> AWQKernel {
        let (rows, cols) = try GPTQKernel.flattened(old.shape, layer: layer.name)
        let (valuesShape, scaleShape) = GPTQKernel.shapes(rows: rows, cols: cols, bits: bits, groupSize: groupSize)
        let made = try layer.replaceByQuantized(old, bytes: [UInt8](repeating: 0, count: valuesShape.reduce(1, *)),
                                                valuesShape: valuesShape, valuesDType: .uint8,
                                                scale: Tensor(shape: scaleShape, repeating: 1), scaleName: "kernel_scale",
                                                extra: [(zeroName, Tensor(shape: scaleShape), .uint8),
                                                        ("awq_scales", Tensor(shape: [rows], repeating: 1), .float32),
                                                        ("g_idx", Tensor(shape: [rows]), .float32)])
        guard made.2.count == 3 else { throw KerasError.invalidState("\(layer.name): AWQ weights not made") }
        return AWQKernel(gptq: GPTQKernel(kernel: made.0, scale: made.1, zero: made.2[0], gIdx: made.2[2]),
                         awqScales: made.2[1])
    }

    /// The float kernel `[rows, cols]` (Keras's `_awq_call`: GPTQ's dequantized kernel, each
    /// input row divided by its AWQ scale), made whole (``GPTQMatrix/floatKernel()``).
    func floatKernel(cols: Int) throws -> Tensor {
        try matrix(cols: cols).floatKernel()
    }

    /// The kernel read a block of rows at a time (``GPTQMatrix``); from `cache` when given (the
    /// layer's, kept while the weights keep their values).
    func matrix(cols: Int, cache: GPTQMatrixCache? = nil) throws -> GPTQMatrix {
        if let cache { return try cache.matrix(gptq, cols: cols, bits: AWQKernel.bits, awqScales: awqScales) }
        return try GPTQMatrix(gptq, cols: cols, bits: AWQKernel.bits, awqScales: awqScales)
    }
}
