/// Masks in an exported graph: Embedding(mask_zero=True) and Masking make a boolean value
/// (`(batch, time)`) that passes from layer to layer as the library's graph passes it: a layer
/// that does not support masking drops it, one that does passes it on or computes its own
/// (``Layer/computeMask(_:masks:)``). The layers whose results read it write their masked
/// forms (GlobalAveragePooling1D, Softmax, Attention, AdditiveAttention, MultiHeadAttention,
/// Multiply, Maximum, Minimum); the recurrent layers run over each row's unmasked steps, moved
/// to its start for ONNX's `sequence_lens` (the count of unmasked steps), their outputs moved
/// back (``ONNXLayerConverter/recurrent(_:inputCount:x:mask:timeReversed:)``).
extension ONNXLayerConverter {
    /// The masks of a layer call's outputs (nil: none), given its inputs, their shapes and masks.
    func outputMasks(_ layer: Layer, inputs: [String], inShapes: [[Int?]], masks: [String?], count: Int) throws -> [String?] {
        let s = layer.name
        let mask = masks.first ?? nil
        guard let x = inputs.first, let shape = inShapes.first else { return Array(repeating: nil, count: count) }
        var first: String?
        var both = false
        switch layer {
        case let l as Embedding where l.maskZero:
            // Keras: `ops.not_equal(inputs, 0)`.
            let padded = graph.op1("Equal", [graph.indices(x, scope: s), graph.int64s("\(s)/padding_index", [0])], scope: s)
            let m = graph.op1("Not", [padded], scope: s)
            graph.setRank(m, shape.count)
            first = m
        case let l as Masking:
            let m = graph.cast(graph.squeeze(maskingKeep(l, graph.float(x, scope: s)), axes: [-1], scope: s), to: .bool, scope: s)
            graph.setRank(m, shape.count - 1)
            first = m
        case let l as RNN:
            first = l.returnSequences ? mask : nil
        case let l as Bidirectional:
            first = l.returnSequences ? mask : nil
            both = l.mergeMode == nil
        case is GlobalAveragePooling1D, is Dot, is OperationLayer:
            first = nil
        case is MultiHeadAttention, is BaseAttention:
            first = mask   // (the query's; none for the scores)
        case let l as Concatenate:
            first = try concatenatedMask(l, masks: masks, inputs: inputs, inShapes: inShapes)
        case is Merge:
            // The or of the masks; none when an input has none.
            let present = masks.compactMap { $0 }
            guard present.count == inputs.count, var y = present.first else { break }
            for m in present.dropFirst() {
                let r = Swift.max(graph.rank(of: y) ?? 0, graph.rank(of: m) ?? 0)
                y = graph.op1("Or", [y, m], scope: s)
                graph.setType(y, .bool)
                graph.setRank(y, r)
            }
            first = y
        default:
            if inputs.count > 1 || count > 1, layer.supportsMasking {
                // (Keras's default for several inputs: each input's mask on the output of its place.)
                return (0..<count).map { $0 < masks.count ? masks[$0] : nil }
            }
            first = layer.supportsMasking || (inputs.count == 1 && layer.returnsItsInput(shape)) ? mask : nil
        }
        return (0..<count).map { $0 == 0 || ($0 == 1 && both) ? first : nil }
    }

    /// Concatenate's mask (the library's rule, as Keras's): each input's mask spread over it (an
    /// input without one counts as unmasked), joined like the inputs, and a position unmasked
    /// where any value along the last axis is.
    private func concatenatedMask(_ l: Concatenate, masks: [String?], inputs: [String], inShapes: [[Int?]]) throws -> String? {
        let s = l.name
        guard masks.contains(where: { $0 != nil }) else { return nil }
        guard let rank = inShapes.first?.count, inShapes.allSatisfy({ $0.count == rank }) else {
            throw unsupported(l, "masked inputs of different ranks have no ONNX form here")
        }
        let one = graph.scalar("\(s)/one", 1)
        let full = try zip(inputs, masks).map { x, m -> String in
            let size = graph.op1("Shape", [x], scope: s)
            guard let m else { return graph.op1("Expand", [one, size], scope: s) }
            return graph.op1("Expand", [graph.cast(try spread(m, rank: rank, layer: l), to: .float, scope: s), size], scope: s)
        }
        let joined = graph.op1("Concat", full, scope: s, [("axis", .int(l.axis < 0 ? l.axis + rank : l.axis))])
        let y = graph.cast(graph.reduce("ReduceMax", joined, axes: [rank - 1], keepdims: false, scope: s), to: .bool, scope: s)
        graph.setRank(y, rank - 1)
        return y
    }

    /// A mask with new trailing axes of size 1 up to `rank` (to broadcast over an input of that
    /// rank, as Keras's `expand_dims(mask, -1)`).
    func spread(_ mask: String, rank: Int, layer: Layer) throws -> String {
        guard let r = graph.rank(of: mask), r <= rank else {
            throw unsupported(layer, "a mask of \(graph.rank(of: mask).map { "rank \($0)" } ?? "unknown rank") does not fit an input of rank \(rank)")
        }
        return r == rank ? mask : graph.unsqueeze(mask, axes: Array(r..<rank), scope: layer.name)
    }

    /// GlobalAveragePooling1D over the unmasked steps: `sum(where(mask, x, 0)) / sum(mask)`
    /// (a row with every step masked gives NaN, as in Keras).
    func maskedAverage(_ l: GlobalAveragePooling1D, x: String, mask: String, rank: Int) throws -> String {
        let s = l.name
        guard let steps = l.spatialAxes.first, rank == 3, graph.rank(of: mask) == 2 else {
            throw unsupported(l, "a mask must be (batch, steps) for an input of rank 3")
        }
        let keep = graph.unsqueeze(mask, axes: [steps == 1 ? 2 : 1], scope: s)
        let total = graph.reduce("ReduceSum", graph.op1("Where", [keep, x, graph.scalar("\(s)/zero", 0)], scope: s),
                                 axes: [steps], keepdims: l.keepdims, scope: s)
        let count = graph.reduce("ReduceSum", graph.cast(keep, to: .float, scope: s), axes: [steps], keepdims: l.keepdims, scope: s)
        return graph.op1("Div", [total, count], scope: s)
    }

    /// Softmax with a mask (broadcast from the last axis): masked positions count as -1e9 in the
    /// softmax and are 0 in its output, as Keras's Softmax(mask=...).
    func maskedSoftmax(_ l: Softmax, x: String, mask: String) throws -> String {
        let s = l.name
        let masked = graph.op1("Where", [mask, x, graph.scalar("\(s)/masked", -1e9)], scope: s)
        let y = try activation(.softmax(axis: l.axis), masked, layer: l)
        return graph.op1("Where", [mask, y, graph.scalar("\(s)/zero", 0)], scope: s)
    }

    /// Multiply, Maximum and Minimum with masks, as the library's merges compute them: in Maximum
    /// and Minimum a masked value takes the other operand's value (Keras's
    /// `_apply_merge_op_and_or_mask`); in Multiply masked values count as 1, and with a mask on
    /// every input a position masked in all of them is 0.
    func maskedMerge(_ layer: Layer, _ xs: [String], masks: [String?], rank: Int) throws -> String {
        let s = layer.name
        guard var output = xs.first, masks.count == xs.count else { throw unsupported(layer, "\(masks.count) masks for \(xs.count) inputs") }
        let spreadMasks = try masks.map { try $0.map { try spread($0, rank: rank, layer: layer) } }
        func or(_ a: String, _ b: String) -> String {
            let y = graph.op1("Or", [a, b], scope: s)
            graph.setType(y, .bool)
            return y
        }
        if layer is Multiply {
            let everyMasked = spreadMasks.allSatisfy { $0 != nil }
            var product: String?, outputMask: String?
            for (x0, m) in zip(xs, spreadMasks) {
                var x = x0
                if let m {
                    x = graph.op1("Where", [m, x, graph.scalar("\(s)/one", 1)], scope: s)
                    if everyMasked { outputMask = outputMask.map { or($0, m) } ?? m }
                }
                product = product.map { graph.op1("Mul", [$0, x], scope: s) } ?? x
            }
            guard let y = product else { return output }
            return outputMask.map { graph.op1("Where", [$0, y, graph.scalar("\(s)/zero", 0)], scope: s) } ?? y
        }
        let op = layer is Maximum ? "Max" : "Min"
        var outputMask = spreadMasks[0]
        for (x0, m) in zip(xs, spreadMasks).dropFirst() {
            var x = x0
            if let m { x = graph.op1("Where", [m, x, output], scope: s) }
            if let current = outputMask { output = graph.op1("Where", [current, output, x], scope: s) }
            outputMask = m.flatMap { m in outputMask.map { or($0, m) } }
            output = graph.op1(op, [output, x], scope: s)
        }
        return output
    }

    /// Masking's `any(x != mask_value, axis=-1)` as 1 or 0, keeping the last axis (to scale `x`).
    func maskingKeep(_ l: Masking, _ x: String) -> String {
        let s = l.name
        let differs = graph.op1("Not", [graph.op1("Equal", [x, graph.scalar("\(s)/mask_value", Float(l.maskValue))], scope: s)], scope: s)
        return graph.reduce("ReduceMax", graph.cast(differs, to: .float, scope: s), axes: [-1], keepdims: true, scope: s)
    }

    /// ONNX's `sequence_lens` (int32, one per batch row): the unmasked steps of a `(batch, time)` mask.
    func sequenceLengths(_ mask: String, scope s: String) -> String {
        graph.reduce("ReduceSum", graph.cast(mask, to: .int32, scope: s), axes: [1], keepdims: false, scope: s)
    }

    /// The operations Keras writes for masks in a functional graph, as 0/1 values (the library's
    /// booleans): Embedding's `not_equal(x, 0)`, Masking's `any(not_equal(x, v), axis=-1)`, and
    /// a merging layer's mask (base_merge's `logical_or` of the masks; Concatenate's `any` over
    /// the `concatenate` of each mask spread by `expand_dims` and `logical_or` with `zeros_like`,
    /// `ones_like` for an input without one).
    func maskOperation(_ l: OperationLayer, inputs: [String]) throws -> String {
        let s = l.name
        let a = l.operationArguments
        func truth(_ x: String) -> String {
            let differs = graph.op1("Not", [graph.op1("Equal", [graph.float(x, scope: s), graph.scalar("\(s)/zero", 0)], scope: s)], scope: s)
            return graph.cast(differs, to: .float, scope: s)
        }
        func one() throws -> String {
            guard let x = inputs.first, inputs.count == 1 else { throw unsupported(l, "it takes \(inputs.count) tensors") }
            return x
        }
        switch l.opName {
        case "not_equal":
            let numbers = (l.callArguments?["args"]?.arrayValue ?? []).compactMap(\.doubleValue)
            guard numbers.count == 1, let v = numbers.first else { throw unsupported(l, "only not_equal(x, number) has an ONNX form here") }
            let differs = graph.op1("Not", [graph.op1("Equal", [graph.float(try one(), scope: s), graph.scalar("\(s)/value", Float(v))], scope: s)], scope: s)
            return graph.cast(differs, to: .float, scope: s)
        case "any", "all":
            guard let axis = a["axis"]?.intValue else { throw unsupported(l, "only \(l.opName)(x, axis) over one axis has an ONNX form here") }
            return graph.reduce(l.opName == "any" ? "ReduceMax" : "ReduceMin", truth(try one()), axes: [axis],
                                keepdims: a["keepdims"]?.boolValue ?? false, scope: s)
        case "logical_or", "logical_and":
            guard inputs.count == 2 else { throw unsupported(l, "it takes \(inputs.count) tensors") }
            return graph.op1(l.opName == "logical_or" ? "Max" : "Min", inputs.map(truth), scope: s)
        case "logical_not":
            return graph.op1("Sub", [graph.scalar("\(s)/one", 1), truth(try one())], scope: s)
        case "expand_dims":
            guard let axis = a["axis"]?.intValue else { throw unsupported(l, "only expand_dims(x, axis) with one axis has an ONNX form here") }
            return graph.unsqueeze(graph.float(try one(), scope: s), axes: [axis], scope: s)
        case "ones_like", "zeros_like":
            let size = graph.op1("Shape", [try one()], scope: s)
            return graph.op1("Expand", [graph.scalar("\(s)/fill", l.opName == "ones_like" ? 1 : 0), size], scope: s)
        case "concatenate":
            guard inputs.count >= 1 else { throw unsupported(l, "it takes no tensors") }
            return graph.op1("Concat", inputs.map { graph.float($0, scope: s) }, scope: s, [("axis", .int(a["axis"]?.intValue ?? 0))])
        default:
            throw unsupported(l, "of the operations in a functional graph, the ONNX export covers those Keras writes for masks (not_equal, any, all, logical_or, logical_and, logical_not, expand_dims, ones_like, zeros_like, concatenate)")
        }
    }
}
