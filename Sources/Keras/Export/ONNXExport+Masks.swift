/// Masks in an exported graph: Embedding(mask_zero=True) and Masking make a boolean
/// `(batch, time)` value that Dense, Activation and dropout layers pass on and the recurrent
/// layers read as ONNX's `sequence_lens` (the count of unmasked steps). That is Keras's result
/// for right-padded sequences (the masked steps all at the end), the case ONNX's recurrent
/// operators express; other layers given a mask are refused.
extension ONNXLayerConverter {
    /// Layers whose output carries their input's mask unchanged and whose result ignores it.
    static func passesMask(_ layer: Layer) -> Bool {
        switch layer {
        case is Dropout, is SpatialDropout1D, is GaussianNoise, is GaussianDropout, is AlphaDropout, is IdentityLayer,
             is Dense, is Activation:
            return true
        default:
            return false
        }
    }

    /// The masks of a layer call's outputs (nil: none), given its first input and its mask.
    func outputMasks(_ layer: Layer, input x: String, mask: String?, count: Int) -> [String?] {
        let s = layer.name
        var first: String?
        var both = false
        switch layer {
        case let l as Embedding where l.maskZero:
            // Keras: `ops.not_equal(inputs, 0)`.
            let padded = graph.op1("Equal", [graph.indices(x, scope: s), graph.int64s("\(s)/padding_index", [0])], scope: s)
            first = graph.op1("Not", [padded], scope: s)
        case let l as Masking:
            first = graph.cast(graph.squeeze(maskingKeep(l, graph.float(x, scope: s)), axes: [-1], scope: s), to: .bool, scope: s)
        case let l as RNN:
            first = l.returnSequences ? mask : nil
        case let l as Bidirectional:
            first = l.returnSequences ? mask : nil
            both = l.mergeMode == nil
        default:
            first = Self.passesMask(layer) ? mask : nil
        }
        return (0..<count).map { $0 == 0 || ($0 == 1 && both) ? first : nil }
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

    /// The operations Keras writes for a layer's mask in a functional graph, as 0/1 values (the
    /// library's booleans): Embedding's `not_equal(x, 0)`, Masking's `any(not_equal(x, v), axis=-1)`.
    func maskOperation(_ l: OperationLayer, inputs: [String]) throws -> String {
        let s = l.name
        guard let x = inputs.first, inputs.count == 1 else { throw unsupported(l, "it takes \(inputs.count) tensors") }
        switch l.opName {
        case "not_equal":
            let numbers = (l.callArguments?["args"]?.arrayValue ?? []).compactMap(\.doubleValue)
            guard numbers.count == 1, let v = numbers.first else { throw unsupported(l, "only not_equal(x, number) has an ONNX form here") }
            let differs = graph.op1("Not", [graph.op1("Equal", [graph.float(x, scope: s), graph.scalar("\(s)/value", Float(v))], scope: s)], scope: s)
            return graph.cast(differs, to: .float, scope: s)
        case "any":
            let a = l.operationArguments
            guard let axis = a["axis"]?.intValue else { throw unsupported(l, "only any(x, axis) over one axis has an ONNX form here") }
            return graph.reduce("ReduceMax", graph.float(x, scope: s), axes: [axis], keepdims: a["keepdims"]?.boolValue ?? false, scope: s)
        default:
            throw unsupported(l, "of the operations in a functional graph, the ONNX export covers those Keras writes for masks (not_equal, any)")
        }
    }
}
