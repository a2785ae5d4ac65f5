/// Cropping, UpSampling and TimeDistributed as ONNX operators (ZeroPadding and RepeatVector are
/// one operator each, in ``ONNXLayerConverter/convert(_:inShapes:outShapes:inputs:mask:)``).
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
    func upSampling(_ l: BaseUpSampling, x: String, rank: Int) throws -> String {
        let s = l.name
        guard rank == l.size.count + 2 else { throw unsupported(l, "an input of rank \(rank)") }
        var attributes: [(String, ONNXAttributeValue)]
        switch l.interpolation {
        case .nearest:
            attributes = [("mode", .string("nearest")), ("coordinate_transformation_mode", .string("asymmetric")),
                          ("nearest_mode", .string("floor"))]
        case .bilinear:
            attributes = [("mode", .string("linear")), ("coordinate_transformation_mode", .string("half_pixel"))]
        default:
            throw unsupported(l, "interpolation \"\(l.interpolation.rawValue)\" has no ONNX form here (nearest and bilinear do)")
        }
        // (Resize interpolates over the trailing axes of a channels-first input.)
        let last = l.dataFormat == .channelsLast
        let input = last ? channelsFirst(x, rank: rank, scope: s) : x
        var scales = Array(repeating: Float(1), count: rank)
        for (a, f) in l.size.enumerated() { scales[2 + a] = Float(f) }
        let y = graph.op1("Resize", [input, "", graph.constant("\(s)/scales", scales, shape: [rank])], scope: s, attributes)
        return last ? channelsLast(y, rank: rank, scope: s) : y
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
