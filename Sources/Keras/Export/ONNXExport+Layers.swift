/// The ONNX form of each covered layer (Keras's inference call: dropout and noise are the
/// identity, BatchNormalization uses its moving statistics).
extension ONNXLayerConverter {
    /// The values of one layer call's outputs, given its inputs' values, shapes and masks
    /// (boolean values, nil: none; the layers that read them write their masked forms).
    func convert(_ layer: Layer, inShapes: [[Int?]], outShapes: [[Int?]], inputs: [String], masks: [String?] = []) throws -> [String] {
        let s = layer.name
        guard let x = inputs.first, let shape = inShapes.first else { throw unsupported(layer, "it was called on no inputs") }
        let mask = masks.first ?? nil, masked = masks.contains { $0 != nil }
        if let mask, let l = layer as? GlobalAveragePooling1D {
            return [try maskedAverage(l, x: graph.float(x, scope: s), mask: mask, rank: shape.count)]
        }
        if let mask, let l = layer as? Softmax {
            return [try maskedSoftmax(l, x: graph.float(x, scope: s), mask: mask)]
        }
        switch layer {
        case let m as Model:
            return try convert(m, inputs: inputs, masks: masks).values
        case is Dropout, is SpatialDropout1D, is SpatialDropout2D, is SpatialDropout3D, is GaussianNoise,
             is GaussianDropout, is AlphaDropout, is ActivityRegularization, is IdentityLayer:
            return [x]
        case is RandomFlip, is AffineAugmentation, is RandomContrast, is RandomBrightness:
            // (Random augmentations draw nothing at inference: the images as floats.)
            return [graph.float(x, scope: s)]
        case let l as Resizing:
            return [try resizing(l, x: graph.float(x, scope: s), shape: shape)]
        case let l as Dense:
            guard l.quantizationMode == nil else { throw unsupported(l, "a quantized (\(l.quantizationMode.map { "\($0)" } ?? "")) kernel has no ONNX form here") }
            guard let kernel = l.kernel else { throw unsupported(l, "it is not built") }
            var y = graph.op1("MatMul", [graph.float(x, scope: s), graph.constant("\(s)/kernel", kernel.storedValue)], scope: s)
            if let bias = l.bias { y = graph.op1("Add", [y, graph.constant("\(s)/bias", bias.storedValue)], scope: s) }
            return [try activation(l.activationFunction, y, layer: l)]
        case let l as BaseConv:
            return [try convolution(l, x: graph.float(x, scope: s), shape: shape)]
        case let l as BasePooling:
            return [try pooling(l, x: graph.float(x, scope: s), shape: shape)]
        case let l as BaseGlobalPooling:
            let op = type(of: l).takesMaximum ? "ReduceMax" : "ReduceMean"
            return [graph.reduce(op, graph.float(x, scope: s), axes: l.spatialAxes, keepdims: l.keepdims, scope: s)]
        case let l as BatchNormalization:
            return [try batchNormalization(l, x: graph.float(x, scope: s), rank: shape.count)]
        case let l as LayerNormalization:
            return [try layerNormalization(l, x: graph.float(x, scope: s), shape: shape)]
        case let l as Embedding:
            guard l.quantizationMode == nil else { throw unsupported(l, "a quantized table has no ONNX form here") }
            guard let table = l.embeddings else { throw unsupported(l, "it is not built") }
            return [graph.op1("Gather", [graph.constant("\(s)/embeddings", table.storedValue), graph.indices(x, scope: s)], scope: s, [("axis", .int(0))])]
        case let l as Rescaling:
            let scale = l.scales.count > 1 ? graph.constant("\(s)/scale", l.scales.map { Float($0) }, shape: [l.scales.count]) : graph.scalar("\(s)/scale", Float(l.scale))
            let offset = l.offsets.count > 1 ? graph.constant("\(s)/offset", l.offsets.map { Float($0) }, shape: [l.offsets.count]) : graph.scalar("\(s)/offset", Float(l.offset))
            return [graph.op1("Add", [graph.op1("Mul", [graph.float(x, scope: s), scale], scope: s), offset], scope: s)]
        case let l as Normalization:
            guard let (mean, variance) = l.exportStatistics else { throw unsupported(l, "it is not built") }
            let m = graph.constant("\(s)/mean", mean)
            let d = graph.constant("\(s)/scale", variance.scalars.map { Swift.max($0.squareRoot(), 1e-7) }, shape: variance.shape)
            let xf = graph.float(x, scope: s)
            if l.invert { return [graph.op1("Add", [m, graph.op1("Mul", [xf, d], scope: s)], scope: s)] }
            return [graph.op1("Div", [graph.op1("Sub", [xf, m], scope: s), d], scope: s)]
        case let l as Flatten:
            var y = x
            if l.dataFormat == .channelsFirst && shape.count > 2 { y = graph.transpose(y, [0] + Array(2..<shape.count) + [1], scope: s) }
            return [graph.op1("Flatten", [y], scope: s, [("axis", .int(1))])]
        case is Reshape:
            let outShape = outShapes.first ?? []
            let out = outShape.dropFirst()
            guard out.allSatisfy({ $0 != nil }) else { throw unsupported(layer, "its output shape \(formatShape(outShape)) is not known") }
            return [graph.op1("Reshape", [x, graph.int64s("\(s)/shape", [-1] + out.compactMap { $0 })], scope: s)]
        case let l as Permute:
            return [graph.transpose(x, [0] + l.dims, scope: s)]
        case let l as Activation:
            return [try activation(l.activationFunction, graph.float(x, scope: s), layer: l)]
        case let l as ReLU:
            return [try activation(l.function, graph.float(x, scope: s), layer: l)]
        case let l as LeakyReLU:
            return [try activation(l.function, graph.float(x, scope: s), layer: l)]
        case let l as ELU:
            return [try activation(l.function, graph.float(x, scope: s), layer: l)]
        case let l as Softmax:
            return [try activation(.softmax(axis: l.axis), graph.float(x, scope: s), layer: l)]
        case let l as ThresholdedReLU:
            let xf = graph.float(x, scope: s)
            let keep = graph.op1("Greater", [xf, graph.scalar("\(s)/theta", l.theta)], scope: s)
            return [graph.op1("Where", [keep, xf, graph.scalar("\(s)/zero", 0)], scope: s)]
        case let l as PReLU:
            guard let alpha = l.alpha else { throw unsupported(l, "it is not built") }
            return [graph.op1("PRelu", [graph.float(x, scope: s), graph.constant("\(s)/alpha", alpha.storedValue)], scope: s)]
        case is Multiply where masked, is Maximum where masked, is Minimum where masked:
            return [try maskedMerge(layer, inputs.map { graph.float($0, scope: s) }, masks: masks, rank: shape.count)]
        case let l as Dot:
            return [try dot(l, inputs.map { graph.float($0, scope: s) }, inShapes: inShapes)]
        case is Add, is Subtract, is Multiply, is Average, is Maximum, is Minimum, is Concatenate:
            return [try merge(layer, inputs.map { graph.float($0, scope: s) }, rank: shape.count)]
        case let l as RNN:
            return try recurrent(l, inputCount: inputs.count, x: graph.float(x, scope: s), mask: mask)
        case let l as ConvLSTM:
            return try convLSTM(l, inputCount: inputs.count, x: graph.float(x, scope: s), shape: shape)
        case let l as Bidirectional:
            return try bidirectional(l, inputCount: inputs.count, x: graph.float(x, scope: s), mask: mask)
        case let l as TimeDistributed:
            return [try timeDistributed(l, x: x, shape: shape)]
        case let l as BaseAttention:
            return try attention(l, inShapes: inShapes, inputs: inputs.map { graph.float($0, scope: s) }, masks: masks)
        case let l as MultiHeadAttention:
            return try multiHeadAttention(l, inShapes: inShapes, inputs: inputs.map { graph.float($0, scope: s) }, masks: masks)
        case let l as BaseDepthwiseConv:
            return [try depthwiseConvolution(l, x: graph.float(x, scope: s), shape: shape)]
        case let l as CallbackLayer:
            return try tracedLayer(l, inputs: inputs)
        case let l as OperationLayer:
            return [try maskOperation(l, inputs: inputs)]
        case let l as Masking:
            let xf = graph.float(x, scope: s)
            return [graph.op1("Mul", [xf, maskingKeep(l, xf)], scope: s)]
        case let l as RepeatVector:
            let tiled = graph.int64s("\(s)/repeats", [1, l.n, 1])
            return [graph.op1("Tile", [graph.unsqueeze(x, axes: [1], scope: s), tiled], scope: s)]
        case let l as BaseCropping:
            return [cropping(l, x: x, rank: shape.count)]
        case let l as BaseZeroPadding:
            return [graph.op1("Pad", [graph.float(x, scope: s), graph.int64s("\(s)/pads", l.allAxes.map(\.before) + l.allAxes.map(\.after))], scope: s)]
        case let l as BaseUpSampling:
            return [try upSampling(l, x: graph.float(x, scope: s), shape: shape)]
        default:
            throw unsupported(layer)
        }
    }

    private func merge(_ layer: Layer, _ xs: [String], rank: Int) throws -> String {
        let s = layer.name
        guard var y = xs.first else { throw unsupported(layer, "it was called on no inputs") }
        switch layer {
        case let l as Concatenate:
            return graph.op1("Concat", xs, scope: s, [("axis", .int(l.axis < 0 ? l.axis + rank : l.axis))])
        case is Subtract:
            guard xs.count == 2 else { throw unsupported(layer, "Subtract takes exactly 2 inputs") }
            return graph.op1("Sub", xs, scope: s)
        case is Maximum: return graph.op1("Max", xs, scope: s)
        case is Minimum: return graph.op1("Min", xs, scope: s)
        default:
            let op = layer is Multiply ? "Mul" : "Add"
            for other in xs.dropFirst() { y = graph.op1(op, [y, other], scope: s) }
            if layer is Average { y = graph.op1("Div", [y, graph.scalar("\(s)/count", Float(xs.count))], scope: s) }
            return y
        }
    }

    /// Dot: Keras's `batch_dot` as one `Einsum` summing axis `a0` of the first input against
    /// axis `a1` of the second (each L2-normalized along it first with `normalize`, as Keras's
    /// `x * min(rsqrt(sum(x²)), 1 / epsilon)`); an output of rank 1 becomes `(batch, 1)`.
    private func dot(_ l: Dot, _ xs: [String], inShapes: [[Int?]]) throws -> String {
        let s = l.name
        guard xs.count == 2, inShapes.count == 2 else { throw unsupported(l, "Dot takes exactly 2 inputs") }
        let (r0, r1) = (inShapes[0].count, inShapes[1].count)
        let (a0, a1) = try l.resolvedAxes(r0, r1)
        let letters = Array("bcdefghijklmnopqrstuvwxyz")
        guard r0 + r1 - 2 <= letters.count else { throw unsupported(l, "inputs of ranks \(r0) and \(r1) have too many axes for an Einsum") }
        var pool = letters.makeIterator()
        let summed = pool.next() ?? "z"
        let first = (1..<r0).map { $0 == a0 ? summed : (pool.next() ?? "z") }
        let second = (1..<r1).map { $0 == a1 ? summed : (pool.next() ?? "z") }
        let kept = first.filter { $0 != summed } + second.filter { $0 != summed }
        let equation = "a\(String(first)),a\(String(second))->a\(String(kept))"
        func normalized(_ x: String, axis: Int) -> String {
            let squares = graph.reduce("ReduceSum", graph.op1("Mul", [x, x], scope: s), axes: [axis], keepdims: true, scope: s)
            let inverse = graph.op1("Reciprocal", [graph.op1("Sqrt", [squares], scope: s)], scope: s)
            let capped = graph.op1("Min", [inverse, graph.scalar("\(s)/inverse_epsilon", 1 / Float(1e-7))], scope: s)
            return graph.op1("Mul", [x, capped], scope: s)
        }
        let operands = l.normalize ? [normalized(xs[0], axis: a0), normalized(xs[1], axis: a1)] : xs
        let y = graph.op1("Einsum", operands, scope: s, [("equation", .string(equation))])
        return kept.isEmpty ? graph.unsqueeze(y, axes: [1], scope: s) : y
    }

    /// Keras's (batch, spatial..., channels) to ONNX's (batch, channels, spatial...) and back.
    func channelsFirst(_ x: String, rank: Int, scope: String) -> String {
        graph.transpose(x, [0, rank - 1] + Array(1..<(rank - 1)), scope: scope)
    }

    func channelsLast(_ x: String, rank: Int, scope: String) -> String {
        graph.transpose(x, [0] + Array(2..<rank) + [1], scope: scope)
    }

    /// The ONNX `pads` (all begins, then all ends) of Keras's padding for static spatial sizes.
    func pads(_ padding: ConvPadding, spatial: [Int?], kernel: [Int], strides: [Int], dilation: [Int],
                      layer: Layer) throws -> [Int] {
        let n = kernel.count
        guard n > 0, spatial.count == n, strides.count == n, dilation.count == n, strides.allSatisfy({ $0 > 0 }) else {
            throw unsupported(layer, "its window \(kernel) does not fit the spatial sizes \(spatial)")
        }
        switch padding {
        case .valid: return Array(repeating: 0, count: 2 * n)
        case .causal:
            return [(kernel[0] - 1) * dilation[0]] + Array(repeating: 0, count: 2 * n - 1)
        case .same:
            var begins: [Int] = [], ends: [Int] = []
            for i in 0..<n {
                guard let size = spatial[i] else { throw unsupported(layer, "padding \"same\" needs known spatial sizes, got \(spatial)") }
                let out = (size + strides[i] - 1) / strides[i]
                let total = Swift.max((out - 1) * strides[i] + (kernel[i] - 1) * dilation[i] + 1 - size, 0)
                begins.append(total / 2)
                ends.append(total - total / 2)
            }
            return begins + ends
        }
    }

    /// An ONNX `Conv` (or `ConvTranspose`) node over a channels-first `x`, with its kernel
    /// already in ONNX's layout.
    private func convNode(_ opType: String, _ x: String, kernel: Tensor, bias: Tensor?, name: String,
                          _ attributes: [(String, ONNXAttributeValue)], scope s: String) -> String {
        var ins = [x, graph.constant("\(s)/\(name)", kernel)]
        if let bias { ins.append(graph.constant("\(s)/bias", bias)) }
        return graph.op1(opType, ins, scope: s, attributes)
    }

    /// Keras's kernel `(k..., a, b)` as ONNX's `(b, a, k...)`.
    func onnxKernel(_ k: Tensor) throws -> Tensor {
        try Ops.transpose(k, [k.rank - 1, k.rank - 2] + Array(0..<(k.rank - 2)))
    }

    private func convolution(_ l: BaseConv, x: String, shape: [Int?]) throws -> String {
        let s = l.name, rank = shape.count
        guard let kernel = l.kernel, kernel.storedValue.rank == rank, rank >= 3 else { throw unsupported(l, "it is not built for an input of shape \(formatShape(shape))") }
        let last = l.dataFormat == .channelsLast
        let spatial = last ? Array(shape[1..<(rank - 1)]) : Array(shape[2...])
        let input = last ? channelsFirst(x, rank: rank, scope: s) : x
        var attributes: [(String, ONNXAttributeValue)] = [
            ("kernel_shape", .ints(l.kernelSize)), ("strides", .ints(l.strides)), ("dilations", .ints(l.dilationRate)),
        ]
        var y: String
        if type(of: l).isTransposed {
            // Keras (k..., filters, in) -> ONNX (in, filters, k...).
            let (begins, ends, extra) = try transposedPads(l, spatial: spatial)
            attributes += [("pads", .ints(begins + ends)), ("output_padding", .ints(extra))]
            y = convNode("ConvTranspose", input, kernel: try onnxKernel(kernel.storedValue), bias: l.bias?.storedValue,
                         name: "kernel", attributes, scope: s)
        } else {
            // Keras (k..., in / groups, filters) -> ONNX (filters, in / groups, k...).
            let p = try pads(l.padding, spatial: spatial, kernel: l.kernelSize, strides: l.strides, dilation: l.dilationRate, layer: l)
            attributes += [("group", .int(l.groups)), ("pads", .ints(p))]
            y = convNode("Conv", input, kernel: try onnxKernel(kernel.storedValue), bias: l.bias?.storedValue, name: "kernel", attributes, scope: s)
        }
        if last { y = channelsLast(y, rank: rank, scope: s) }
        return try activation(l.activationFunction, y, layer: l)
    }

    /// ConvTranspose's `pads` (begins, ends) and `output_padding` for Keras's output length and
    /// leading crop (``Ops/transposeLength``): ONNX's uncropped output is `(n - 1)·s + (k - 1)·d + 1`;
    /// what Keras keeps beyond it at the end is output padding. Neither depends on `n`.
    private func transposedPads(_ l: BaseConv, spatial: [Int?]) throws -> ([Int], [Int], [Int]) {
        let axes = spatial.count
        guard l.kernelSize.count == axes, l.strides.count == axes, l.dilationRate.count == axes, (l.outputPadding?.count ?? axes) == axes else {
            throw unsupported(l, "its window \(l.kernelSize) does not fit the spatial sizes \(spatial)")
        }
        var begins: [Int] = [], ends: [Int] = [], extra: [Int] = []
        for a in spatial.indices {
            let n = spatial[a] ?? 1, k = l.kernelSize[a], stride = l.strides[a], d = l.dilationRate[a]
            guard let (out, before) = Ops.transposeLength(n, window: k, stride: stride, dilation: d, padding: l.padding,
                                                          outputPadding: l.outputPadding?[a]) else {
                throw unsupported(l, "padding \"\(l.padding.rawValue)\" has no transposed form")
            }
            let end = (n - 1) * stride + (k - 1) * d + 1 - before - out
            begins.append(before)
            ends.append(Swift.max(end, 0))
            extra.append(Swift.max(-end, 0))
        }
        return (begins, ends, extra)
    }

    /// DepthwiseConv1D/2D as a `Conv` with one group per input channel (output channel
    /// `c · depth_multiplier + m`), and SeparableConv1D/2D as that followed by a 1×1 `Conv`.
    private func depthwiseConvolution(_ l: BaseDepthwiseConv, x: String, shape: [Int?]) throws -> String {
        let s = l.name, rank = shape.count, n = rank - 2
        guard let k = l.depthwiseKernel?.storedValue, k.rank == rank, n >= 1 else {
            throw unsupported(l, "it is not built for an input of shape \(formatShape(shape))")
        }
        let last = l.dataFormat == .channelsLast
        let spatial = last ? Array(shape[1..<(rank - 1)]) : Array(shape[2...])
        let channels = k.shape[n]
        // Keras (k..., in, multiplier) -> (k..., 1, in · multiplier) -> ONNX (in · multiplier, 1, k...).
        let depthwise = try onnxKernel(try Ops.reshape(k, Array(k.shape.prefix(n)) + [1, channels * k.shape[n + 1]]))
        let p = try pads(l.padding, spatial: spatial, kernel: l.kernelSize, strides: l.strides, dilation: l.dilationRate, layer: l)
        var y = convNode("Conv", last ? channelsFirst(x, rank: rank, scope: s) : x, kernel: depthwise,
                         bias: l.pointwiseKernel == nil ? l.bias?.storedValue : nil, name: "depthwise_kernel", [
                            ("kernel_shape", .ints(l.kernelSize)), ("strides", .ints(l.strides)),
                            ("dilations", .ints(l.dilationRate)), ("group", .int(channels)), ("pads", .ints(p)),
                         ], scope: s)
        if let pointwise = l.pointwiseKernel?.storedValue {
            let ones = Array(repeating: 1, count: n)
            y = convNode("Conv", y, kernel: try onnxKernel(pointwise), bias: l.bias?.storedValue, name: "pointwise_kernel",
                         [("kernel_shape", .ints(ones)), ("pads", .ints(Array(repeating: 0, count: 2 * n)))], scope: s)
        }
        if last { y = channelsLast(y, rank: rank, scope: s) }
        return try activation(l.activationFunction, y, layer: l)
    }

    private func pooling(_ l: BasePooling, x: String, shape: [Int?]) throws -> String {
        let s = l.name, rank = shape.count
        guard rank == l.poolSize.count + 2 else { throw unsupported(l, "an input of shape \(formatShape(shape))") }
        let last = l.dataFormat == .channelsLast
        let spatial = last ? Array(shape[1..<(rank - 1)]) : Array(shape[2...])
        let p = try pads(l.padding, spatial: spatial, kernel: l.poolSize, strides: l.strides,
                         dilation: l.poolSize.map { _ in 1 }, layer: l)
        var attributes: [(String, ONNXAttributeValue)] = [("kernel_shape", .ints(l.poolSize)), ("strides", .ints(l.strides)), ("pads", .ints(p))]
        if !type(of: l).takesMaximum { attributes.append(("count_include_pad", .int(0))) }
        let y = graph.op1(type(of: l).takesMaximum ? "MaxPool" : "AveragePool",
                          [last ? channelsFirst(x, rank: rank, scope: s) : x], scope: s, attributes)
        return last ? channelsLast(y, rank: rank, scope: s) : y
    }

    /// A per-channel constant shaped to broadcast along `axis` of a rank-`rank` input.
    private func alongAxis(_ name: String, _ values: [Float], axis: Int, rank: Int) -> String {
        var shape = Array(repeating: 1, count: rank - axis)
        shape[0] = values.count
        return graph.constant(name, values, shape: axis == rank - 1 ? [values.count] : shape)
    }

    /// Keras's `ops.batch_normalization` at inference: `x * inv + (beta - mean * inv)` with
    /// `inv = gamma / sqrt(moving_variance + epsilon)`.
    private func batchNormalization(_ l: BatchNormalization, x: String, rank: Int) throws -> String {
        let s = l.name
        guard let mean = l.movingMean?.storedValue.scalars, let variance = l.movingVariance?.storedValue.scalars else {
            throw unsupported(l, "it is not built")
        }
        let axis = l.axis < 0 ? l.axis + rank : l.axis
        guard axis > 0, axis < rank else { throw unsupported(l, "axis \(l.axis) for an input of rank \(rank)") }
        let gamma = l.gamma?.storedValue.scalars ?? Array(repeating: 1, count: mean.count)
        let beta = l.beta?.storedValue.scalars ?? Array(repeating: 0, count: mean.count)
        let eps = Float(l.epsilon)
        let inv = zip(variance, gamma).map { v, g in (1 / (v + eps).squareRoot()) * g }
        let shift = (0..<mean.count).map { beta[$0] - mean[$0] * inv[$0] }
        let y = graph.op1("Mul", [x, alongAxis("\(s)/scale", inv, axis: axis, rank: rank)], scope: s)
        return graph.op1("Add", [y, alongAxis("\(s)/shift", shift, axis: axis, rank: rank)], scope: s)
    }

    /// Keras's LayerNormalization: `(x - mean) / sqrt(variance + epsilon) * gamma + beta` over
    /// its axes (`x / sqrt(variance + epsilon) * gamma` with `rms_scaling`, as Keras's
    /// `ops.layer_normalization` computes it).
    private func layerNormalization(_ l: LayerNormalization, x: String, shape: [Int?]) throws -> String {
        let s = l.name, rank = shape.count
        let axes = l.axis.axes.map { $0 < 0 ? $0 + rank : $0 }.sorted()
        guard axes.allSatisfy({ $0 > 0 && $0 < rank }) else { throw unsupported(l, "axis \(l.axis.axes) for an input of rank \(rank)") }
        let eps = graph.scalar("\(s)/epsilon", Float(l.epsilon))
        let mean = graph.reduce("ReduceMean", x, axes: axes, keepdims: true, scope: s)
        let d = graph.op1("Sub", [x, mean], scope: s)
        let variance = graph.reduce("ReduceMean", graph.op1("Mul", [d, d], scope: s), axes: axes, keepdims: true, scope: s)
        let root = graph.op1("Sqrt", [graph.op1("Add", [variance, eps], scope: s)], scope: s)
        // (Keras's rms_scaling divides x itself by the standard deviation, and adds no beta.)
        let normalized = graph.op1("Div", [l.rmsScaling ? x : d, root], scope: s)
        // gamma and beta hold the normalized axes' sizes: broadcast them over the others.
        var broadcast = Array(repeating: 1, count: rank)
        for a in axes { broadcast[a] = shape[a] ?? 1 }
        var y = normalized
        if let gamma = l.gamma?.storedValue.scalars {
            y = graph.op1("Mul", [y, graph.constant("\(s)/gamma", gamma, shape: broadcast)], scope: s)
        }
        if !l.rmsScaling, let beta = l.beta?.storedValue.scalars {
            y = graph.op1("Add", [y, graph.constant("\(s)/beta", beta, shape: broadcast)], scope: s)
        }
        return y
    }
}
