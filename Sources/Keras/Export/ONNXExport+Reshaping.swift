/// Cropping, UpSampling, Resizing and TimeDistributed as ONNX operators (ZeroPadding and
/// RepeatVector are one operator each, in
/// ``ONNXLayerConverter/convert(_:inShapes:outShapes:inputs:masks:)``).
extension ONNXLayerConverter {
    /// Cropping1D/2D/3D: a `Slice` of the spatial axes.
    func cropping(_ l: BaseCropping, x: String, rank: Int) -> String {
        let first = firstSpatialAxis(l.dataFormat)
        let axes = l.cropping.indices.map { first + $0 }
        // (An end of Int64.max keeps the axis to its end.)
        return graph.slice(x, starts: l.cropping.map { $0[0] }, ends: l.cropping.map { $0[1] > 0 ? -$0[1] : Int(Int64.max) },
                           axes: axes, scope: l.name)
    }

    /// UpSampling1D/2D/3D: `Resize` by integer factors; "nearest" repeats each position (Keras's
    /// `ops.repeat`), "bilinear" interpolates with half-pixel centres (Keras's `ops.image.resize`).
    /// "bicubic", "lanczos3" and "lanczos5" (JAX's kernels, whose taps outside the input are
    /// dropped and the rest renormalized; ONNX's cubic Resize has another kernel at the edges
    /// and no Lanczos) are each spatial axis multiplied by its fixed resampling matrix.
    func upSampling(_ l: BaseUpSampling, x: String, shape: [Int?]) throws -> String {
        let s = l.name, rank = shape.count
        guard rank == l.size.count + 2 else { throw unsupported(l, "an input of rank \(rank)") }
        var attributes: [(String, ONNXAttributeValue)]
        switch l.interpolation {
        case .nearest:
            attributes = [("mode", .string("nearest")), ("coordinate_transformation_mode", .string("asymmetric")),
                          ("nearest_mode", .string("floor"))]
        case .bilinear:
            attributes = [("mode", .string("linear")), ("coordinate_transformation_mode", .string("half_pixel"))]
        case .bicubic, .lanczos3, .lanczos5:
            return try resampledByMatrices(l, x: x, shape: shape)
        }
        // (Resize interpolates over the trailing axes of a channels-first input.)
        let last = l.dataFormat == .channelsLast
        let input = last ? channelsFirst(x, rank: rank, scope: s) : x
        var scales = Array(repeating: Float(1), count: rank)
        for (a, f) in l.size.enumerated() { scales[2 + a] = Float(f) }
        let y = graph.op1("Resize", [input, "", graph.constant("\(s)/scales", scales, shape: [rank])], scope: s, attributes)
        return last ? channelsLast(y, rank: rank, scope: s) : y
    }

    /// Each spatial axis of `n` positions resampled to `n · factor` by its resampling matrix.
    private func resampledByMatrices(_ l: BaseUpSampling, x: String, shape: [Int?]) throws -> String {
        let first = firstSpatialAxis(l.dataFormat)
        var sizes: [Int] = []
        for (a, factor) in l.size.enumerated() {
            guard let n = shape[first + a] else {
                throw unsupported(l, "interpolation \"\(l.interpolation.rawValue)\" needs known spatial sizes, got \(formatShape(shape))")
            }
            sizes.append(try ShapeMath.product([n, factor], "UpSampling"))
        }
        return try resampled(x, shape: shape, axes: l.size.indices.map { first + $0 }, to: sizes, l.interpolation, layer: l)
    }

    /// Resizing: each spatial axis resampled by its matrix, with JAX's taps for the layer's
    /// interpolation and antialiasing (Keras's `ops.image.resize`); with `crop_to_aspect_ratio`,
    /// a `Slice` of the centred window of the target's aspect ratio first
    /// (``ImageLayer/aspectCropBox``), with `pad_to_aspect_ratio` a `Pad` with `fill_value`
    /// (``ImageLayer/aspectPadding``).
    func resizing(_ l: Resizing, x: String, shape: [Int?]) throws -> String {
        guard shape.count == 4 else {
            throw unsupported(l, "only batches of images (rank 4) have an ONNX form here, got an input of shape \(formatShape(shape))")
        }
        guard l.fillMode == "constant", !(l.cropToAspectRatio && l.padToAspectRatio) else {
            throw unsupported(l, "fill_mode \"\(l.fillMode)\" with crop_to_aspect_ratio=\(l.cropToAspectRatio), pad_to_aspect_ratio=\(l.padToAspectRatio) (Keras's resize refuses it when called)")
        }
        let first = firstSpatialAxis(l.dataFormat)
        var image = x, imageShape = shape
        if l.cropToAspectRatio || l.padToAspectRatio {
            guard let h = shape[first], let w = shape[first + 1] else {
                throw unsupported(l, "crop_to_aspect_ratio and pad_to_aspect_ratio need known image sizes, got \(formatShape(shape))")
            }
            if l.cropToAspectRatio {
                let box = Resizing.aspectCropBox(height: h, width: w, targetHeight: l.height, targetWidth: l.width)
                image = graph.slice(x, starts: [box.top, box.left], ends: [box.top + box.height, box.left + box.width],
                                    axes: [first, first + 1], scope: l.name)
                imageShape[first] = box.height
                imageShape[first + 1] = box.width
            } else {
                let (top, left) = Resizing.aspectPadding(height: h, width: w, targetHeight: l.height, targetWidth: l.width)
                var before = [0, 0, 0, 0]
                before[first] = top
                before[first + 1] = left
                image = graph.op1("Pad", [x, graph.int64s("\(l.name)/pads", before + before),
                                          graph.constant("\(l.name)/fill", [Float(l.fillValue)], shape: [])], scope: l.name)
                imageShape[first] = h + 2 * top
                imageShape[first + 1] = w + 2 * left
            }
        }
        return try resampled(image, shape: imageShape, axes: [first, first + 1], to: [l.height, l.width],
                             l.interpolation, antialias: l.antialias, layer: l)
    }

    /// `x` with each of `axes` (of known size `n`) resampled to its size in `sizes` as a `MatMul`
    /// by the `(n, m)` matrix of the library's taps (``ResizeInterpolation``), the axis moved last
    /// and back.
    private func resampled(_ x: String, shape: [Int?], axes: [Int], to sizes: [Int], _ interpolation: ResizeInterpolation,
                           antialias: Bool = false, layer l: Layer) throws -> String {
        let s = l.name, rank = shape.count
        var y = x
        for (axis, m) in zip(axes, sizes) {
            guard axis < rank, let n = shape[axis], n > 0, m > 0 else {
                throw unsupported(l, "interpolation \"\(interpolation.rawValue)\" needs known spatial sizes, got \(formatShape(shape))")
            }
            if n == m { continue }
            try Ops.checkOutputFits([n, m], l.className)
            let taps = interpolation.taps(from: n, to: m, antialias: antialias)
            var matrix = Array(repeating: Float(0), count: n * m)
            for i in 0..<m {
                for t in 0..<taps.width where i * taps.width + t < taps.index.count {
                    let j = taps.index[i * taps.width + t]
                    if j >= 0 && j < n { matrix[j * m + i] += taps.weight[i * taps.width + t] }
                }
            }
            var perm = Array(0..<rank)
            perm.swapAt(axis, rank - 1)
            let moved = axis == rank - 1 ? y : graph.transpose(y, perm, scope: s)
            let product = graph.op1("MatMul", [moved, graph.constant("\(s)/resample", matrix, shape: [n, m])], scope: s)
            y = axis == rank - 1 ? product : graph.transpose(product, perm, scope: s)
        }
        return y
    }

    /// TimeDistributed: time folded into the batch (`Reshape`), the inner layer's graph, and the
    /// time axis restored from the input's own `(batch, time)`.
    func timeDistributed(_ l: TimeDistributed, x: String, shape: [Int?]) throws -> String {
        let s = l.name
        let inner = Array(shape.dropFirst(2))
        guard shape.count >= 3, inner.allSatisfy({ $0 != nil }) else {
            throw unsupported(l, "the sizes after the time axis of its input \(formatShape(shape)) must be known")
        }
        let childIn: [Int?] = [nil] + inner
        let childOut = try l.layer.computeOutputShape(childIn)
        let outInner = Array(childOut.dropFirst())
        guard !childOut.isEmpty, outInner.allSatisfy({ $0 != nil }) else {
            throw unsupported(l, "the output shape \(formatShape(childOut)) of its layer '\(l.layer.name)' must be known")
        }
        let folded = graph.op1("Reshape", [x, graph.int64s("\(s)/folded", [-1] + inner.compactMap { $0 })], scope: s)
        graph.setType(folded, graph.type(of: x))
        let outs = try convert(l.layer, inShapes: [childIn], outShapes: [childOut], inputs: [folded])
        guard outs.count == 1, let y = outs.first else { throw unsupported(l, "its layer '\(l.layer.name)' has \(outs.count) outputs") }
        let batchTime = graph.slice(graph.op1("Shape", [x], scope: s), starts: [0], ends: [2], axes: [0], scope: s)
        let target = graph.op1("Concat", [batchTime, graph.int64s("\(s)/inner", outInner.compactMap { $0 })], scope: s, [("axis", .int(0))])
        return graph.op1("Reshape", [graph.float(y, scope: s), target], scope: s)
    }
}
