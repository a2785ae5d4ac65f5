import Foundation
import Keras

// A plugin layer's call as a composition of built-in ops (keras_layer_builder_op and friends):
// during build, the plugin traces its call into the library's op graph; the layer then runs
// natively, with gradients from the library's autodiff, and needs no forward or backward callback.

/// The trace behind a builder that is still inside its build call.
private func trace(_ builder: UnsafeMutableRawPointer?) throws -> OpGraph {
    guard let ctx = builderContext(builder) else {
        throw ABIError(.invalidArgument, "the builder is NULL or no longer valid (graph ops are only valid inside build)")
    }
    guard let trace = ctx.trace else {
        throw ABIError(.state, "this layer is not being built by a model, so it has no op graph to trace into")
    }
    return trace
}

private func store(_ node: Int, _ out: UnsafeMutablePointer<Int64>?) throws {
    guard let out else { throw ABIError(.invalidArgument, "node must not be NULL") }
    out.pointee = Int64(node)
}

private func nodeIndex(_ node: Int64) throws -> Int {
    guard node >= 0 && node <= Int64(Int32.max) else { throw ABIError(.invalidArgument, "node \(node) is not a node of the graph") }
    return Int(node)
}

/// The caller's `data` (`ndim` dimensions of `shape`; a scalar for ndim 0) as a tensor: a traced
/// constant's or a graph argument's value.
private func callerTensor(_ data: UnsafePointer<Float>?, _ ndim: Int32, _ shape: UnsafePointer<Int64>?,
                          _ what: String) throws -> Tensor {
    guard let data else { throw ABIError(.invalidArgument, "data must not be NULL") }
    if ndim == 0 { return Tensor(data.pointee) }
    let (dims, count) = try shapeArray(ndim, shape, what)
    return try Tensor(shape: dims, scalars: Array(UnsafeBufferPointer(start: data, count: count)))
}

@_cdecl("keras_layer_builder_input")
public func keras_layer_builder_input(_ builder: UnsafeMutableRawPointer?, _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_input") { try store(try trace(builder).addInput(), node) }
}

@_cdecl("keras_layer_builder_input_count")
public func keras_layer_builder_input_count(_ builder: UnsafeMutableRawPointer?, _ count: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_layer_builder_input_count") {
        let g = try trace(builder)
        guard let count else { throw ABIError(.invalidArgument, "count must not be NULL") }
        count.pointee = Int32(g.inputShapes.count)
    }
}

@_cdecl("keras_layer_builder_input_at")
public func keras_layer_builder_input_at(_ builder: UnsafeMutableRawPointer?, _ index: Int32, _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_input_at") { try store(try trace(builder).addInput(at: Int(index)), node) }
}

@_cdecl("keras_layer_builder_call_arguments")
public func keras_layer_builder_call_arguments(_ builder: UnsafeMutableRawPointer?,
                                               _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_layer_builder_call_arguments") {
        let out = try requireOut(out, "arguments_json")
        out.pointee = nil
        out.pointee = try ownedCString((try trace(builder).callArguments ?? .null).description)
    }
}

@_cdecl("keras_layer_builder_weight")
public func keras_layer_builder_weight(_ builder: UnsafeMutableRawPointer?, _ index: Int32, _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_weight") { try store(try trace(builder).addWeight(Int(index)), node) }
}

@_cdecl("keras_layer_builder_constant")
public func keras_layer_builder_constant(_ builder: UnsafeMutableRawPointer?, _ data: UnsafePointer<Float>?, _ ndim: Int32,
                                         _ shape: UnsafePointer<Int64>?, _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_constant") {
        let g = try trace(builder)
        try store(try g.addConstant(try callerTensor(data, ndim, shape, "keras_layer_builder_constant")), node)
    }
}

@_cdecl("keras_layer_builder_op")
public func keras_layer_builder_op(_ builder: UnsafeMutableRawPointer?, _ op: UnsafePointer<CChar>?, _ nInputs: Int32,
                                   _ inputs: UnsafePointer<Int64>?, _ attrsJSON: UnsafePointer<CChar>?,
                                   _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_op") {
        let g = try trace(builder)
        let name = try string(op, "op")
        guard nInputs >= 0 && nInputs <= 1024 else { throw ABIError(.invalidArgument, "op '\(name)': n_inputs must be 0...1024, got \(nInputs)") }
        guard nInputs == 0 || inputs != nil else { throw ABIError(.invalidArgument, "op '\(name)': inputs must not be NULL") }
        let ids = try (0..<Int(nInputs)).map { try nodeIndex(inputs?[$0] ?? -1) }
        let attrs = try attrsJSON.map { try JSONParser.parse(try string($0, "attrs_json")) } ?? .object([])
        try store(try g.addOp(name, ids, attributes: attrs), node)
    }
}

@_cdecl("keras_layer_builder_layer")
public func keras_layer_builder_layer(_ builder: UnsafeMutableRawPointer?, _ attribute: UnsafePointer<CChar>?, _ order: Int32,
                                      _ index: Int32, _ configJSON: UnsafePointer<CChar>?, _ nInputs: Int32,
                                      _ inputs: UnsafePointer<Int64>?, _ training: Int32,
                                      _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_layer") {
        let call = try layerCall(builder, attribute, order, index, configJSON, nInputs, inputs, training)
        try store(try call.graph.addLayerCall(call.layer, call.inputs, training: call.training), node)
    }
}

@_cdecl("keras_layer_builder_base")
public func keras_layer_builder_base(_ builder: UnsafeMutableRawPointer?, _ configJSON: UnsafePointer<CChar>?,
                                     _ weightsJSON: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_layer_builder_base") {
        weightsJSON?.pointee = nil
        let g = try trace(builder)
        let config = try JSONParser.parse(try string(configJSON, "config_json"))
        let made = try g.makeBase { try deserializeLayer(config) }
        guard let weightsJSON else { return }
        let list = JSON.array(made.map { v in
            ["name": .string(v.name), "shape": .array(v.shape.map { .int($0) }), "trainable": .bool(v.trainable)]
        })
        weightsJSON.pointee = try ownedCString(list.description)
    }
}

@_cdecl("keras_layer_builder_base_call")
public func keras_layer_builder_base_call(_ builder: UnsafeMutableRawPointer?, _ nInputs: Int32, _ inputs: UnsafePointer<Int64>?,
                                          _ training: Int32, _ withMasks: Int32, _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_base_call") {
        guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (the layer's own), 0 or 1, got \(training)") }
        let g = try trace(builder)
        guard nInputs >= 1 && nInputs <= 1024, let inputs else { throw ABIError(.invalidArgument, "base call: n_inputs must be 1...1024 with inputs not NULL, got \(nInputs)") }
        let ids = try (0..<Int(nInputs)).map { try nodeIndex(inputs[$0]) }
        try store(try g.addBaseCall(ids, training: training < 0 ? nil : training == 1, withMasks: withMasks != 0), node)
    }
}

/// The checked arguments of keras_layer_builder_layer and _layer_call: the trace, the called
/// layer (made at its attribute's first call), the input nodes and the training flag.
private func layerCall(_ builder: UnsafeMutableRawPointer?, _ attribute: UnsafePointer<CChar>?, _ order: Int32,
                       _ index: Int32, _ configJSON: UnsafePointer<CChar>?, _ nInputs: Int32,
                       _ inputs: UnsafePointer<Int64>?, _ training: Int32) throws -> (graph: OpGraph, layer: Layer, inputs: [Int], training: Bool?, name: String) {
    guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (the layer's own), 0 or 1, got \(training)") }
    let (g, layer, name) = try heldLayer(builder, attribute, order, index, configJSON)
    guard nInputs >= 1 && nInputs <= 1024, let inputs else { throw ABIError(.invalidArgument, "layer '\(name)': n_inputs must be 1...1024 with inputs not NULL, got \(nInputs)") }
    let ids = try (0..<Int(nInputs)).map { try nodeIndex(inputs[$0]) }
    return (g, layer, ids, training < 0 ? nil : training == 1, name)
}

/// The sublayer of the traced layer held at (`attribute`, `order`, `index`), made from
/// `configJSON` the first time.
private func heldLayer(_ builder: UnsafeMutableRawPointer?, _ attribute: UnsafePointer<CChar>?, _ order: Int32,
                       _ index: Int32, _ configJSON: UnsafePointer<CChar>?) throws -> (graph: OpGraph, layer: Layer, name: String) {
    let g = try trace(builder)
    let name = try string(attribute, "attribute")
    guard order >= 0, index >= -1 else { throw ABIError(.invalidArgument, "layer '\(name)': order must be >= 0 and index >= -1, got \(order) and \(index)") }
    let config = try JSONParser.parse(try string(configJSON, "config_json"))
    let layer = try g.sublayer(attribute: name, order: Int(order), index: index < 0 ? nil : Int(index)) {
        try deserializeLayer(config)
    }
    return (g, layer, name)
}

@_cdecl("keras_layer_builder_layer_weight")
public func keras_layer_builder_layer_weight(_ builder: UnsafeMutableRawPointer?, _ attribute: UnsafePointer<CChar>?, _ order: Int32,
                                             _ index: Int32, _ configJSON: UnsafePointer<CChar>?, _ ndim: Int32,
                                             _ inputShape: UnsafePointer<Int64>?, _ weightName: UnsafePointer<CChar>?,
                                             _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_layer_weight") {
        let (g, layer, name) = try heldLayer(builder, attribute, order, index, configJSON)
        guard ndim >= 1 && Int(ndim) <= maxRank, let inputShape else {
            throw ABIError(.invalidArgument, "layer '\(name)': ndim must be 1...\(maxRank) with input_shape not NULL, got \(ndim)")
        }
        let shape: [Int?] = try (0..<Int(ndim)).map { k in
            let d = inputShape[k]
            guard d >= -1 else { throw ABIError(.invalidArgument, "layer '\(name)': input_shape[\(k)] must be a size or -1 (unknown), got \(d)") }
            return d < 0 ? nil : Int(d)
        }
        try store(try g.addSublayerWeight(layer, named: try string(weightName, "weight_name"), inputShape: shape), node)
    }
}

@_cdecl("keras_layer_builder_shape")
public func keras_layer_builder_shape(_ builder: UnsafeMutableRawPointer?, _ node: Int64, _ ndim: UnsafeMutablePointer<Int32>?,
                                      _ shape: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_shape") {
        let dims = try trace(builder).shape(of: try nodeIndex(node))
        guard let ndim, let shape else { throw ABIError(.invalidArgument, "ndim and shape must not be NULL") }
        guard dims.count <= maxRank else { throw ABIError(.shape, "node \(node) has rank \(dims.count), more than \(maxRank)") }
        ndim.pointee = Int32(dims.count)
        for (i, d) in dims.enumerated() { shape[i] = Int64(d) }
    }
}

@_cdecl("keras_layer_builder_output")
public func keras_layer_builder_output(_ builder: UnsafeMutableRawPointer?, _ node: Int64, _ training: Int32) -> Int32 {
    guarded("keras_layer_builder_output") {
        guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (both), 0 or 1, got \(training)") }
        try trace(builder).setOutput(try nodeIndex(node), training: training < 0 ? nil : training == 1)
    }
}

@_cdecl("keras_layer_builder_loss")
public func keras_layer_builder_loss(_ builder: UnsafeMutableRawPointer?, _ node: Int64, _ training: Int32) -> Int32 {
    guarded("keras_layer_builder_loss") {
        guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (both), 0 or 1, got \(training)") }
        try trace(builder).addLossOutput(try nodeIndex(node), training: training < 0 ? nil : training == 1)
    }
}

@_cdecl("keras_layer_builder_metric")
public func keras_layer_builder_metric(_ builder: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?, _ total: Int64,
                                       _ count: Int64, _ training: Int32) -> Int32 {
    guarded("keras_layer_builder_metric") {
        guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (both), 0 or 1, got \(training)") }
        let metric = try string(name, "name")
        guard count >= -1 else { throw ABIError(.invalidArgument, "metric '\(metric)': count must be a node or -1 (a running sum), got \(count)") }
        try trace(builder).addMetricOutput(name: metric, total: try nodeIndex(total), count: count < 0 ? nil : try nodeIndex(count),
                                           training: training < 0 ? nil : training == 1)
    }
}

@_cdecl("keras_layer_builder_metric_object")
public func keras_layer_builder_metric_object(_ builder: UnsafeMutableRawPointer?, _ name: UnsafePointer<CChar>?,
                                              _ config: UnsafePointer<CChar>?, _ yTrue: Int64, _ yPred: Int64,
                                              _ sampleWeight: Int64, _ training: Int32) -> Int32 {
    guarded("keras_layer_builder_metric_object") {
        guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (both), 0 or 1, got \(training)") }
        let metricName = try string(name, "name")
        guard sampleWeight >= -1 else {
            throw ABIError(.invalidArgument, "metric '\(metricName)': sample_weight must be a node or -1 (none), got \(sampleWeight)")
        }
        let metric = try deserializeMetric(try json(config, "config"))
        metric.name = metricName
        try trace(builder).addMetricObjectOutput(name: metricName, metric: metric, yTrue: try nodeIndex(yTrue),
                                                 yPred: try nodeIndex(yPred),
                                                 sampleWeight: sampleWeight < 0 ? nil : try nodeIndex(sampleWeight),
                                                 training: training < 0 ? nil : training == 1)
    }
}

@_cdecl("keras_layer_builder_state")
public func keras_layer_builder_state(_ builder: UnsafeMutableRawPointer?, _ width: Int64, _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_state") {
        guard width > 0 && width <= Int64(Int32.max) else { throw ABIError(.invalidArgument, "a state's width (state_size) must be positive, got \(width)") }
        try store(try trace(builder).addState(width: Int(width)), node)
    }
}

@_cdecl("keras_layer_builder_initial_state")
public func keras_layer_builder_initial_state(_ builder: UnsafeMutableRawPointer?, _ index: Int32, _ node: Int64) -> Int32 {
    guarded("keras_layer_builder_initial_state") {
        try trace(builder).setInitialState(Int(index), try nodeIndex(node))
    }
}

@_cdecl("keras_layer_builder_state_output")
public func keras_layer_builder_state_output(_ builder: UnsafeMutableRawPointer?, _ index: Int32, _ node: Int64, _ training: Int32) -> Int32 {
    guarded("keras_layer_builder_state_output") {
        guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (both), 0 or 1, got \(training)") }
        try trace(builder).setStateOutput(Int(index), try nodeIndex(node), training: training < 0 ? nil : training == 1)
    }
}

// A function of arrays as a standalone op graph (keras_graph_*): arguments with values, the same
// ops as a layer's call (keras_layer_builder_constant/op/shape on the graph's builder), then its
// outputs with their derivatives from the library's reverse-mode autodiff (jax.vjp, ops.jvp).

/// The builders made by keras_graph_new that are still live.
private enum FunctionGraphs {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: Set<UnsafeMutableRawPointer> = []

    static func insert(_ p: UnsafeMutableRawPointer) { lock.lock(); live.insert(p); lock.unlock() }

    static func remove(_ p: UnsafeMutableRawPointer) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return live.remove(p) != nil
    }

    /// The graph behind a live keras_graph_new builder.
    static func graph(_ builder: UnsafeMutableRawPointer?) throws -> OpGraph {
        guard let builder else { throw ABIError(.invalidArgument, "the graph is NULL") }
        lock.lock()
        let known = live.contains(builder)
        lock.unlock()
        guard known else {
            throw ABIError(.invalidArgument, "the graph \(builder) is not a live graph of keras_graph_new (already freed, or a layer's builder)")
        }
        let g = try trace(builder)
        guard g.isFunction else { throw ABIError(.invalidArgument, "the builder is a layer's, not a graph of keras_graph_new") }
        return g
    }
}

@_cdecl("keras_graph_new")
public func keras_graph_new(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guarded("keras_graph_new") {
        guard let out else { throw ABIError(.invalidArgument, "out must not be NULL") }
        let raw = makeBuilder(BuilderContext(function: OpGraph.function()))
        FunctionGraphs.insert(raw)
        out.pointee = raw
    }
}

@_cdecl("keras_graph_free")
public func keras_graph_free(_ graph: UnsafeMutableRawPointer?) {
    guard let graph, FunctionGraphs.remove(graph) else { return }
    freeBuilder(graph)
}

@_cdecl("keras_graph_argument")
public func keras_graph_argument(_ graph: UnsafeMutableRawPointer?, _ data: UnsafePointer<Float>?, _ ndim: Int32,
                                 _ shape: UnsafePointer<Int64>?, _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_graph_argument") {
        let g = try FunctionGraphs.graph(graph)
        let value = try callerTensor(data, ndim, shape, "keras_graph_argument")
        guard node != nil else { throw ABIError(.invalidArgument, "node must not be NULL") }
        try store(try g.addArgument(value), node)
    }
}

/// Reads one array per entry of `pointers` (n entries) with the shapes given; a NULL entry is nil.
private func readArrays(_ pointers: UnsafePointer<UnsafePointer<Float>?>?, _ shapes: [[Int]], _ what: String) throws -> [Tensor?] {
    guard let pointers else { throw ABIError(.invalidArgument, "\(what) must not be NULL") }
    return try shapes.enumerated().map { k, shape in
        guard let p = pointers[k] else { return nil }
        return try Tensor(shape: shape, scalars: Array(UnsafeBufferPointer(start: p, count: shape.reduce(1, *))))
    }
}

/// Copies each tensor into its caller-owned buffer (a NULL array or entry skips it).
private func writeArrays(_ tensors: [Tensor], _ pointers: UnsafePointer<UnsafeMutablePointer<Float>?>?) {
    guard let pointers else { return }
    for (k, t) in tensors.enumerated() {
        guard let p = pointers[k] else { continue }
        p.update(from: t.data, count: t.count)
    }
}

private func outputNodes(_ g: OpGraph, _ n: Int32, _ outputs: UnsafePointer<Int64>?) throws -> [Int] {
    guard n >= 1 && n <= 1024 else { throw ABIError(.invalidArgument, "n_outputs must be 1...1024, got \(n)") }
    guard let outputs else { throw ABIError(.invalidArgument, "outputs must not be NULL") }
    return try (0..<Int(n)).map { k in
        let node = try nodeIndex(outputs[k])
        guard node < g.count else { throw ABIError(.invalidArgument, "output \(k): node \(node) is not a node of the graph (it has \(g.count))") }
        return node
    }
}

@_cdecl("keras_graph_vjp")
public func keras_graph_vjp(_ graph: UnsafeMutableRawPointer?, _ nOutputs: Int32, _ outputs: UnsafePointer<Int64>?,
                            _ cotangents: UnsafePointer<UnsafePointer<Float>?>?,
                            _ values: UnsafePointer<UnsafeMutablePointer<Float>?>?,
                            _ gradients: UnsafePointer<UnsafeMutablePointer<Float>?>?) -> Int32 {
    guarded("keras_graph_vjp") {
        let g = try FunctionGraphs.graph(graph)
        let nodes = try outputNodes(g, nOutputs, outputs)
        let shapes = try nodes.map { try g.shape(of: $0) }
        let seeds = try readArrays(cotangents, shapes, "cotangents").enumerated().map { k, t in t ?? Tensor(shape: shapes[k]) }
        let (ys, grads) = try g.vjp(outputs: nodes, cotangents: seeds)
        writeArrays(ys, values)
        writeArrays(grads, gradients)
    }
}

@_cdecl("keras_graph_jvp")
public func keras_graph_jvp(_ graph: UnsafeMutableRawPointer?, _ nOutputs: Int32, _ outputs: UnsafePointer<Int64>?,
                            _ tangents: UnsafePointer<UnsafePointer<Float>?>?,
                            _ values: UnsafePointer<UnsafeMutablePointer<Float>?>?,
                            _ tangentsOut: UnsafePointer<UnsafeMutablePointer<Float>?>?) -> Int32 {
    guarded("keras_graph_jvp") {
        let g = try FunctionGraphs.graph(graph)
        let nodes = try outputNodes(g, nOutputs, outputs)
        let argumentShapes = g.argumentShapes
        let directions = try argumentShapes.isEmpty ? [] : readArrays(tangents, argumentShapes, "tangents")
        let (ys, ts) = try g.jvp(outputs: nodes, tangents: directions)
        writeArrays(ys, values)
        writeArrays(ts, tangentsOut)
    }
}

@_cdecl("keras_layer_builder_custom_gradient")
public func keras_layer_builder_custom_gradient(_ builder: UnsafeMutableRawPointer?, _ nInputs: Int32, _ inputs: UnsafePointer<Int64>?,
                                                _ output: Int64, _ upstream: Int64, _ gradients: UnsafePointer<Int64>?,
                                                _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_custom_gradient") {
        let g = try trace(builder)
        guard nInputs >= 1 && nInputs <= 1024 else { throw ABIError(.invalidArgument, "n_inputs must be 1...1024, got \(nInputs)") }
        guard let inputs, let gradients else { throw ABIError(.invalidArgument, "inputs and gradients must not be NULL") }
        let ins = try (0..<Int(nInputs)).map { try nodeIndex(inputs[$0]) }
        let grads = try (0..<Int(nInputs)).map { try nodeIndex(gradients[$0]) }
        try store(try g.addCustomGradient(inputs: ins, output: try nodeIndex(output), upstream: try nodeIndex(upstream),
                                          gradients: grads), node)
    }
}

@_cdecl("keras_layer_builder_layer_call")
public func keras_layer_builder_layer_call(_ builder: UnsafeMutableRawPointer?, _ attribute: UnsafePointer<CChar>?, _ order: Int32,
                                           _ index: Int32, _ configJSON: UnsafePointer<CChar>?, _ nInputs: Int32,
                                           _ inputs: UnsafePointer<Int64>?, _ argumentsJSON: UnsafePointer<CChar>?,
                                           _ training: Int32, _ capacity: Int32, _ outputs: UnsafeMutablePointer<Int64>?,
                                           _ nOutputs: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_layer_builder_layer_call") {
        guard let outputs, let nOutputs, capacity >= 1 else { throw ABIError(.invalidArgument, "outputs and n_outputs must not be NULL, capacity at least 1") }
        let given = try argumentsJSON.map { try JSONParser.parse(try string($0, "arguments_json")) } ?? .object([])
        guard given.objectValue != nil else { throw ABIError(.invalidArgument, "arguments_json must be a JSON object") }
        let call = try layerCall(builder, attribute, order, index, configJSON, nInputs, inputs, training)
        let name = call.name
        func optionalNode(_ j: JSON?, _ what: String) throws -> Int? {
            guard let j, !j.isNull else { return nil }
            guard let n = j.intValue else { throw ABIError(.invalidArgument, "layer '\(name)': \(what) must be a node or null, got \(j)") }
            return try nodeIndex(Int64(n))
        }
        var arguments = OpGraph.LayerCallArguments()
        if let masks = given["masks"], !masks.isNull {
            guard let list = masks.arrayValue else { throw ABIError(.invalidArgument, "layer '\(name)': masks must be a list of nodes or nulls") }
            arguments.masks = try list.map { try optionalNode($0, "a mask") }
        }
        arguments.attentionMask = try optionalNode(given["attention_mask"], "attention_mask")
        if let keywords = given["kwargs"], !keywords.isNull {
            guard keywords.objectValue != nil else { throw ABIError(.invalidArgument, "layer '\(name)': kwargs must be a JSON object") }
            arguments.keywords = keywords
        }
        let nodes = try call.graph.addLayerCall(call.layer, call.inputs, arguments: arguments, training: call.training)
        guard nodes.count <= Int(capacity) else {
            throw ABIError(.invalidArgument, "layer '\(name)': the call gives \(nodes.count) outputs, more than capacity \(capacity)")
        }
        for (k, n) in nodes.enumerated() { outputs[k] = Int64(n) }
        nOutputs.pointee = Int32(nodes.count)
    }
}

@_cdecl("keras_layer_builder_outputs")
public func keras_layer_builder_outputs(_ builder: UnsafeMutableRawPointer?, _ n: Int32, _ nodes: UnsafePointer<Int64>?,
                                        _ training: Int32) -> Int32 {
    guarded("keras_layer_builder_outputs") {
        let (ids, mode) = try nodeList(n, nodes, training)
        try trace(builder).setOutputs(try ids.map { try $0 ?? nodeIndex(-1) }, training: mode)
    }
}

@_cdecl("keras_layer_builder_mask")
public func keras_layer_builder_mask(_ builder: UnsafeMutableRawPointer?, _ index: Int32, _ node: UnsafeMutablePointer<Int64>?) -> Int32 {
    guarded("keras_layer_builder_mask") { try store(try trace(builder).addMask(at: Int(index)), node) }
}

@_cdecl("keras_layer_builder_input_has_mask")
public func keras_layer_builder_input_has_mask(_ builder: UnsafeMutableRawPointer?, _ index: Int32, _ carries: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_layer_builder_input_has_mask") {
        let out = try requireOut(carries, "carries")
        let g = try trace(builder)
        guard g.inputShapes.indices.contains(Int(index)) else {
            throw ABIError(.invalidArgument, "input \(index) out of range: the layer was called on \(g.inputShapes.count) input(s)")
        }
        out.pointee = g.inputsCarryMasks.map { Int(index) < $0.count && $0[Int(index)] ? 1 : 0 } ?? -1
    }
}

@_cdecl("keras_layer_builder_masks_absent")
public func keras_layer_builder_masks_absent(_ builder: UnsafeMutableRawPointer?, _ absent: UnsafeMutablePointer<Int32>?) -> Int32 {
    guarded("keras_layer_builder_masks_absent") {
        let out = try requireOut(absent, "absent")
        out.pointee = try trace(builder).tracesWithoutMasks ? 1 : 0
    }
}

@_cdecl("keras_layer_builder_reads_sizes")
public func keras_layer_builder_reads_sizes(_ builder: UnsafeMutableRawPointer?) -> Int32 {
    guarded("keras_layer_builder_reads_sizes") { try trace(builder).readsSizes = true }
}

@_cdecl("keras_layer_builder_output_masks")
public func keras_layer_builder_output_masks(_ builder: UnsafeMutableRawPointer?, _ n: Int32, _ nodes: UnsafePointer<Int64>?,
                                             _ training: Int32) -> Int32 {
    guarded("keras_layer_builder_output_masks") {
        let (ids, mode) = try nodeList(n, nodes, training)
        try trace(builder).setOutputMasks(ids, training: mode)
    }
}

/// The `n` nodes of `nodes` (nil for a negative entry: none) and the training flag of
/// keras_layer_builder_outputs and _output_masks.
private func nodeList(_ n: Int32, _ nodes: UnsafePointer<Int64>?, _ training: Int32) throws -> ([Int?], Bool?) {
    guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (both), 0 or 1, got \(training)") }
    guard n >= 1 && n <= 1024, let nodes else { throw ABIError(.invalidArgument, "n must be 1...1024 with nodes not NULL, got \(n)") }
    let ids = try (0..<Int(n)).map { k -> Int? in
        guard nodes[k] >= 0 else { return nil }
        return try nodeIndex(nodes[k])
    }
    return (ids, training < 0 ? nil : training == 1)
}

@_cdecl("keras_layer_builder_assign")
public func keras_layer_builder_assign(_ builder: UnsafeMutableRawPointer?, _ weight: Int32, _ node: Int64, _ add: Int32, _ training: Int32) -> Int32 {
    guarded("keras_layer_builder_assign") {
        guard (-1...1).contains(training) else { throw ABIError(.invalidArgument, "training must be -1 (both), 0 or 1, got \(training)") }
        try trace(builder).addWeightWrite(Int(weight), try nodeIndex(node), add: add != 0, training: training < 0 ? nil : training == 1)
    }
}
