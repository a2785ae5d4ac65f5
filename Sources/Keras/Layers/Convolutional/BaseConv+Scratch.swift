/// The im2col columns of ``Ops/conv(_:kernel:bias:strides:padding:dilation:groups:activation:)``
/// and ``Ops/convTranspose(_:kernel:bias:strides:padding:outputPadding:dilation:activation:)``:
/// for a grouped or transposed convolution `(positions, window × channels)` floats, often several
/// times the layer's output, kept from the forward pass for the backward one in training; for
/// groups 1 the tiles of ``TiledConvScratch``.
extension BaseConv: KernelScratch {
    func scratchBytes(inputShape: [Int], outputShape: [Int], training: Bool) throws -> Int {
        let channelAxis = dataFormat == .channelsFirst ? 1 : inputShape.count - 1
        guard inputShape.count == outputShape.count, inputShape.indices.contains(channelAxis) else { return 0 }
        func positions(_ shape: [Int]) throws -> Int {
            try ShapeMath.product(shape.enumerated().filter { $0.offset != channelAxis }.map(\.element), "\(className) '\(name)' columns")
        }
        let window = try ShapeMath.product(kernelSize, "\(className) '\(name)' columns")
        let columns: Int
        if Self.isTransposed {
            // One GEMM writes (input positions, window × filters), reused by the backward pass.
            columns = try ShapeMath.product([try positions(inputShape), window, filters], "\(className) '\(name)' columns")
        } else {
            let k = try ShapeMath.product([window, inputShape[channelAxis] / groups], "\(className) '\(name)' columns")
            // A tiny reduction runs the direct kernel, without columns.
            if groups == 1 && k <= Kernels.directConvLimit { return 0 }
            if groups == 1 {
                // Tiles of columns in cache: the forward's, or in training the larger of the
                // forward's and the backward's (never held together).
                _ = try ShapeMath.product([k, window, filters, 4 * Kernels.convParts], "\(className) '\(name)' columns")
                _ = try ShapeMath.product([try positions(outputShape), filters, 4], "\(className) '\(name)' columns")
                let tiles = TiledConvScratch(windowSize: window, channels: inputShape[channelAxis], filters: filters,
                                             outputRows: try positions(outputShape), unitStrides: strides.allSatisfy { $0 == 1 })
                columns = training ? Swift.max(tiles.forward, tiles.backward) : tiles.forward
            } else {
                // Training adds the columns' gradient, as large, in the backward pass.
                columns = try ShapeMath.product([try positions(outputShape), k, training ? 2 : 1], "\(className) '\(name)' columns")
            }
        }
        return try ShapeMath.product([columns, MemoryLayout<Float>.size], "\(className) '\(name)' columns")
    }
}
