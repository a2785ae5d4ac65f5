import Foundation

/// One input of an exported ONNX graph, as Keras's `input_signature` gives it
/// (`keras.InputSpec(shape=(None, 4), dtype="float32", name="x")`); nil fields keep the model's.
public struct ONNXInputSpec: Sendable {
    public var name: String?
    /// The shape with the batch dimension; nil entries are dynamic.
    public var shape: [Int?]?
    public var dtype: String?

    public init(name: String? = nil, shape: [Int?]? = nil, dtype: String? = nil) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
    }
}

extension Model {
    /// The opset an export uses when none is asked for.
    public static let defaultONNXOpset = 17
    /// The opsets an export can write.
    public static let supportedONNXOpsets = 13...21

    /// Writes the model's inference graph as an ONNX file. Keras:
    /// `model.export(path, format="onnx", input_signature=None, opset_version=None)`.
    ///
    /// The inputs are named as Keras names them (each `Input`'s name, or the spec's), with a
    /// dynamic batch dimension `batch` (other unknown dimensions `dim_<input>_<axis>`); the
    /// outputs are `output_0`, `output_1`, ... in the order of `model.outputs`. A model holding a
    /// layer with no ONNX form is refused, naming the layer and its class, and no file is written.
    /// Masks (Embedding's `mask_zero`, Masking) pass from layer to layer as in the library's own
    /// graph; the layers that read them (GlobalAveragePooling1D, MultiHeadAttention, Softmax,
    /// the merging layers) compute their masked results, and LSTM, GRU, SimpleRNN and
    /// Bidirectional run over each row's unmasked steps (moved to its start, ONNX's
    /// `sequence_lens`): Keras's results for left or right padding. A stateful recurrent layer
    /// is refused.
    ///
    /// ```swift
    /// try model.exportONNX("model.onnx")
    /// ```
    public func exportONNX(_ path: String, opsetVersion: Int? = nil, inputSignature: [ONNXInputSpec]? = nil) throws {
        let proto = try onnxModelProto(opsetVersion: opsetVersion, inputSignature: inputSignature)
        let bytes = proto.serialized()
        try writeAtomically(path, overwrite: true) { tmp in
            guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes)) else {
                throw KerasError.io("Cannot write '\(tmp)'")
            }
        }
    }

    /// The ONNX `ModelProto` of ``exportONNX(_:opsetVersion:inputSignature:)``.
    public func onnxModelProto(opsetVersion: Int? = nil, inputSignature: [ONNXInputSpec]? = nil) throws -> ONNXModelProto {
        let opset = opsetVersion ?? Self.defaultONNXOpset
        guard Self.supportedONNXOpsets.contains(opset) else {
            throw KerasError.invalidArgument("Model '\(name)': opset_version \(opset) is not supported; the ONNX export writes opsets \(Self.supportedONNXOpsets.lowerBound) to \(Self.supportedONNXOpsets.upperBound)")
        }
        guard built, !inputs.isEmpty, !outputs.isEmpty else {
            // (Keras's ValueError, word for word.)
            throw KerasError.invalidArgument("The model provided has not yet been built. It must be built before export.")
        }
        if let inputSignature, inputSignature.count != inputs.count {
            throw KerasError.invalidArgument("Model '\(name)': input_signature has \(inputSignature.count) specs for the model's \(inputs.count) inputs")
        }
        let graph = ONNXGraphBuilder(opset: opset)
        var graphInputs: [ONNXValueInfo] = []
        var inputValues: [String] = []
        for (i, input) in inputs.enumerated() {
            let spec = inputSignature?[i]
            let dtypeName = spec?.dtype ?? (input.layer as? InputLayer)?.dtype ?? "float32"
            guard let type = ONNXDataType.named(dtypeName) else {
                throw KerasError.invalidArgument("Model '\(name)': input '\(input.name)' has dtype \(dtypeName); the ONNX export takes float32, int32 or int64 inputs")
            }
            var shape = input.shape
            if let given = spec?.shape {
                guard given.count == shape.count,
                      zip(given, shape).dropFirst().allSatisfy({ g, s in g == nil || s == nil || g == s }) else {
                    throw KerasError.shapeMismatch("Model '\(name)': input_signature shape \(formatShape(given)) does not fit input '\(input.name)' of shape \(formatShape(shape))")
                }
                shape = zip(given, shape).enumerated().map { j, p in j == 0 ? p.0 : (p.0 ?? p.1) }
            }
            let valueName = spec?.name ?? input.name
            guard !graphInputs.contains(where: { $0.name == valueName }) else {
                throw KerasError.invalidArgument("Model '\(name)': two inputs are named '\(valueName)'")
            }
            graph.reserve(valueName)
            graph.setType(valueName, type)
            let dims: [ONNXDimension] = shape.enumerated().map { j, d in
                d.map { .value($0) } ?? .parameter(j == 0 ? "batch" : "dim_\(i)_\(j)")
            }
            graphInputs.append(ONNXValueInfo(name: valueName, elementType: type, shape: dims))
            inputValues.append(valueName)
        }
        let outputNames = outputs.indices.map { "output_\($0)" }
        for o in outputNames { graph.reserve(o) }
        let results = try ONNXLayerConverter(graph: graph).convert(self, inputs: inputValues)
        var graphOutputs: [ONNXValueInfo] = []
        for (i, value) in results.enumerated() {
            graph.named("Identity", [graph.float(value, scope: name)], output: outputNames[i], scope: name)
            // (The rank and a dynamic batch only: a symbolic shape can differ from the computed
            // one, as Keras's Dense(6, activation="glu") gives 3 columns for (None, 6).)
            let dims: [ONNXDimension] = outputs[i].shape.indices.map { $0 == 0 ? .parameter("batch") : .unknown }
            graphOutputs.append(ONNXValueInfo(name: outputNames[i], elementType: .float, shape: dims))
        }
        return ONNXModelProto(irVersion: Self.onnxIRVersion(opset: opset), opsetVersion: opset,
                              producerName: "swiftkeras", producerVersion: version, graphName: name,
                              nodes: graph.nodes, initializers: graph.initializers,
                              inputs: graphInputs, outputs: graphOutputs)
    }

    /// The IR version released with an opset (onnx's `VERSION_TABLE`).
    static func onnxIRVersion(opset: Int) -> Int {
        switch opset {
        case ...14: return 7
        case 15...18: return 8
        case 19...20: return 9
        default: return 10
        }
    }
}

/// Walks a model's layer calls and writes each as ONNX operators.
struct ONNXLayerConverter {
    let graph: ONNXGraphBuilder

    /// The values of a model's outputs, given the values of its inputs.
    func convert(_ model: Model, inputs: [String]) throws -> [String] {
        try convert(model, inputs: inputs, masks: []).values
    }

    /// The values of a model's outputs and their masks, given the values of its inputs and their
    /// masks (boolean values, nil: none). Masks (Embedding's `mask_zero`, Masking, a config's
    /// `mask=`) are carried beside the values that hold them, from layer to layer as the
    /// library's graph passes them (``Layer/supportsMasking``, ``Layer/computeMask(_:masks:)``,
    /// less those MultiHeadAttention calls clear: ``ClearedMasks``).
    func convert(_ model: Model, inputs: [String], masks inputMasks: [String?]) throws -> (values: [String], masks: [String?]) {
        var values: [ObjectIdentifier: [String]] = [:]   // node -> its output values
        var masks: [ObjectIdentifier: [String?]] = [:]   // node -> its outputs' masks
        func value(_ t: KerasTensor) throws -> String {
            guard let node = t.node, let outs = values[ObjectIdentifier(node)], t.tensorIndex < outs.count else {
                throw KerasError.invalidState("Model '\(model.name)': tensor '\(t.name)' is used before it is computed")
            }
            return outs[t.tensorIndex]
        }
        func mask(_ t: KerasTensor) -> String? {
            guard let node = t.node, let m = masks[ObjectIdentifier(node)], t.tensorIndex < m.count else { return nil }
            return m[t.tensorIndex]
        }
        for (i, input) in model.inputs.enumerated() {
            guard let node = input.node, i < inputs.count else { continue }
            values[ObjectIdentifier(node)] = [inputs[i]]
            if i < inputMasks.count, let m = inputMasks[i] { masks[ObjectIdentifier(node)] = [m] }
        }
        let cleared = model.clearedMasks   // (those Keras's MultiHeadAttention calls clear)
        var builtMasks = BuiltMasks<String>(cleared)
        for node in model.executionOrder {
            if values[ObjectIdentifier(node)] != nil { continue }
            let layer = node.layer
            if layer is InputLayer {
                throw KerasError.invalidArgument("Model '\(model.name)': input '\(layer.name)' is not among the model's inputs")
            }
            let ins = try node.inputs.map(value)
            var inMasks = node.inputs.indices.map { cleared.cleared(node, input: $0) ? nil : mask(node.inputs[$0]) }
            // (A config's `mask=` tensors, as Keras writes them: 0/1 values, as booleans.)
            func givenMask(_ t: KerasTensor) throws -> String {
                let v = graph.cast(try value(t), to: .bool, scope: layer.name)
                graph.setRank(v, t.shape.count)
                return v
            }
            if let given = node.masks {
                inMasks = try given.map { try $0.map(givenMask) }
            } else if node.recordsBuiltMask {
                inMasks = [builtMasks.mask(node.inputs[0], carried: mask)]
            } else if node.attentionMasks != nil {   // (an attention call's recorded masks)
                for i in inMasks.indices {
                    if let t = node.recordedAttentionMask(i) { inMasks[i] = try givenMask(t) }
                }
            }
            let outs: [String], outMasks: [String?]
            if let nested = layer as? Model {
                (outs, outMasks) = try convert(nested, inputs: ins, masks: inMasks)
            } else {
                outs = try convert(layer, inShapes: node.inputs.map(\.shape), outShapes: node.outputShapes, inputs: ins, masks: inMasks)
                outMasks = try outputMasks(layer, inputs: ins, inShapes: node.inputs.map(\.shape), masks: inMasks, count: outs.count)
                if let built = builtMasks.inputs(of: node, given: inMasks, carried: mask) {
                    builtMasks.set(node, try outputMasks(layer, inputs: ins, inShapes: node.inputs.map(\.shape), masks: built, count: outs.count))
                }
            }
            guard outs.count == node.outputShapes.count else {
                throw KerasError.invalidState("Layer '\(layer.name)' (\(layer.className)): the ONNX export wrote \(outs.count) outputs for \(node.outputShapes.count)")
            }
            values[ObjectIdentifier(node)] = outs
            masks[ObjectIdentifier(node)] = outMasks
        }
        return (try model.outputs.map(value), model.outputs.map { cleared.clearedAfterRun($0) ? nil : mask($0) })
    }

    /// The refusal for a layer (or a setting of one) with no ONNX form here.
    func unsupported(_ layer: Layer, _ why: String? = nil) -> KerasError {
        KerasError.invalidArgument("Cannot export layer '\(layer.name)' of class \(layer.className) to ONNX" + (why.map { ": \($0)" } ?? ": the ONNX export does not cover this layer"))
    }
}
