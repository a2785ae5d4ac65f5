/// The parts of ``BaseConv`` only transposed convolutions use: `output_padding` and the output
/// shape. Keras: `keras.src.layers.convolutional.base_conv_transpose.BaseConvTranspose`.
extension BaseConv {
    /// `outputPadding` as one value per spatial axis, each below its stride; throws naming
    /// `cls` for a convolution that is not transposed, a grouped transposed one or a bad value.
    static func checkedOutputPadding(_ outputPadding: [Int]?, strides: [Int], groups: Int, _ cls: String) throws -> [Int]? {
        guard isTransposed else {
            guard outputPadding == nil else {
                throw KerasError.invalidArgument("\(cls)(output_padding: \(outputPadding ?? [])): only transposed convolutions take output_padding")
            }
            return nil
        }
        guard groups == 1 else {
            throw KerasError.invalidArgument("\(cls)(groups: \(groups)): transposed convolutions take no groups")
        }
        guard let outputPadding else { return nil }
        let rank = spatialRank
        let tuple = outputPadding.count == 1 ? Array(repeating: outputPadding[0], count: rank) : outputPadding
        guard tuple.count == rank, tuple.allSatisfy({ $0 >= 0 }) else {
            throw KerasError.invalidArgument("\(cls)(output_padding: \(outputPadding)): expects one non-negative integer or \(rank) non-negative integers")
        }
        for (a, (p, s)) in zip(tuple, strides).enumerated() where p >= s {
            throw KerasError.invalidArgument("\(cls)(output_padding: \(outputPadding), strides: \(strides)): output_padding must be less than strides on every axis (axis \(a): \(p) >= \(s))")
        }
        return tuple
    }

    /// The output shape of a transposed convolution. Keras: `compute_conv_transpose_output_shape`.
    func transposedOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try spatialOutputShape(self, inputShape, rank: Self.spatialRank, dataFormat: dataFormat, channels: filters) { a, n in
            guard let (length, _) = Ops.transposeLength(n, window: kernelSize[a], stride: strides[a], dilation: dilationRate[a],
                                                        padding: padding, outputPadding: outputPadding?[a]), length > 0 else {
                throw KerasError.shapeMismatch("\(type(of: self)) '\(name)': an input of shape \(formatShape(inputShape)) gives no output (or one too large) on spatial axis \(a) (kernel_size \(kernelSize), strides \(strides), padding '\(padding.rawValue)')")
            }
            return length
        }
    }
}
