/// Rebuilding models from Keras configs: Keras 3 (`to_json`, `.keras` `config.json`, legacy
/// `.h5` `model_config`) and Keras 2 (`batch_input_shape`, `{"class_name", "config"}` without
/// `module`, list-style inbound nodes).

/// A model from the text of `model.to_json()`. Keras: `keras.models.model_from_json`.
///
/// ```swift
/// let model = try modelFromJSON(json, customObjects: ["Scale": .layer { c in try Scale.fromConfig(c) }])
/// ```
public func modelFromJSON(_ text: String, customObjects: [String: KerasObject] = [:]) throws -> Model {
    let json = try JSONParser.parse(text)
    return try modelFromConfig(json, customObjects: customObjects)
}

/// A model from a parsed config: `{"class_name": "Sequential" | "Functional", "config": {...}}`.
/// Its weights together must fit ``MemoryBudget/bytes``, checked before each is allocated.
public func modelFromConfig(_ json: JSON, customObjects: [String: KerasObject] = [:]) throws -> Model {
    try withCustomObjects(customObjects) {
        // (the config itself is never one of the models or layers a config being read reuses,
        // whatever its name: only its entries are)
        let layer = try MemoryBudget.scope { try deserializeLayer(json, reusing: false) }
        guard let model = layer as? Model else {
            throw KerasError.io("The config describes a \(layer.className) layer, not a model")
        }
        return model
    }
}

/// A model from `json` whose nested models named as one of `nested` are those very objects, not
/// copies: as in Keras, a model used as a layer of another (`Model(x, base(x))`,
/// `Sequential([base, Dense(1)])`) holds the same variables in both, so that training either
/// model moves the other's weights. A nested entry whose model is reused gives it the
/// `trainable` flags it writes (Keras reads them at compile).
///
/// `layers` are other models' layers this model holds too (Keras's
/// `Model(base.input, base.get_layer("x").output)`, `Sequential(base.layers[:-1])`): the entry
/// named as one of them, of its class, is that very layer, holding the same variables in both
/// models; the entry's `trainable` flag is set on it.
public func modelFromConfig(_ json: JSON, reusing nested: [Model], layers: [Layer] = []) throws -> Model {
    let scope = ReusedModels.Scope(models: Dictionary(nested.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }),
                                   layers: Dictionary(layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }))
    let stack = ReusedModels.stack.value
    stack.scopes.append(scope)
    defer { stack.scopes.removeLast() }
    let model = try modelFromConfig(json)
    if let missing = layers.first(where: { !scope.taken.contains($0.name) }) {
        throw KerasError.io("The config has no entry of class \(missing.className) named '\(missing.name)' to hold that layer")
    }
    return model
}

/// The models and layers a config being read reuses by name (``modelFromConfig(_:reusing:layers:)``),
/// per thread.
private enum ReusedModels {
    final class Scope {
        let models: [String: Model]
        let layers: [String: Layer]
        var taken: Set<String> = []
        init(models: [String: Model], layers: [String: Layer]) { self.models = models; self.layers = layers }
    }
    final class Stack { var scopes: [Scope] = [] }
    static let stack = ThreadLocal { Stack() }

    /// The model named `name` to reuse for a nested entry, with the entry's flags set on it.
    static func take(_ name: String?, _ config: JSON) -> Model? {
        guard let name, let model = stack.value.scopes.last?.models[name] else { return nil }
        model.takeTrainableFlags(config)
        return model
    }

    /// The layer named `name` of class `className` to reuse for an entry (once), with the
    /// entry's `trainable` flag set on it.
    static func takeLayer(_ name: String?, className: String, _ config: JSON) -> Layer? {
        guard let name, let scope = stack.value.scopes.last, let layer = scope.layers[name],
              layer.className == className, !scope.taken.contains(name) else { return nil }
        scope.taken.insert(name)
        if let flag = config["trainable"]?.boolValue, layer.trainable != flag { layer.trainable = flag }
        return layer
    }
}

extension Model {
    /// Sets the model's and its layers' `trainable` flags (nested models' included) to those of
    /// its functional or Sequential `config`, changing only those that differ (setting a model's
    /// flag sets every layer's, so its layers' entries come after). Keras reads the flags at
    /// compile: the caller compiles next.
    public func takeTrainableFlags(_ config: JSON) {
        let flag = config["trainable"]?.boolValue ?? true
        if trainable != flag { trainable = flag }
        let byName = Dictionary(layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in config["layers"]?.arrayValue ?? [] {
            let c = entry["config"] ?? .object([])
            guard let name = entry["name"]?.stringValue ?? c["name"]?.stringValue, let layer = byName[name] else { continue }
            if let inner = layer as? Model {
                inner.takeTrainableFlags(c)
            } else if let f = c["trainable"]?.boolValue, layer.trainable != f {
                layer.trainable = f
            }
        }
    }
}

/// A layer (or nested model) from `{"class_name", "config", ...}`.
public func deserializeLayer(_ j: JSON) throws -> Layer {
    try deserializeLayer(j, reusing: true)
}

/// `reusing`: the entry may be one of the models or layers the config being read reuses
/// (``modelFromConfig(_:reusing:layers:)``).
func deserializeLayer(_ j: JSON, reusing: Bool) throws -> Layer {
    guard let className = j["class_name"]?.stringValue else {
        throw KerasError.io("A layer entry must be an object with a 'class_name', got \(j.description.prefix(80))")
    }
    let config = j["config"] ?? .object([])
    let registered = j["registered_name"]?.stringValue
    let model: Model?
    if reusing, ["Sequential", "Functional", "Model"].contains(className),
       let reused = ReusedModels.take(j["name"]?.stringValue ?? config["name"]?.stringValue, config) {
        return reused
    }
    if reusing, let shared = ReusedModels.takeLayer(j["name"]?.stringValue ?? config["name"]?.stringValue, className: className, config) {
        return shared
    }
    switch className {
    case "Sequential": model = try sequentialFromConfig(config)
    case "Functional", "Model": model = try functionalFromConfig(config)
    default: model = nil
    }
    // Keras's operation nodes (`x + 3.0`, the mask ops of `compute_mask`): their numbers come
    // with their nodes.
    if OperationLayer.isOperation(j) {
        return OperationLayer(module: j["module"]?.stringValue ?? "keras.src.ops", className: className, config: config)
    }
    if let model {
        // A frozen model (`base_model.trainable = False`, nested or not) freezes its layers; the
        // default `true` leaves each layer's own flag as its config gives it, as Keras does.
        if config["trainable"]?.boolValue == false { model.trainable = false }
        return model
    }
    guard let build = ObjectRegistry.layerBuilder(className, registeredName: registered, module: j["module"]) else {
        // Keras 3's entry (it has a `module`): serialization_lib's TypeError "Could not locate
        // class"; a Keras 2 one (an .h5's): the legacy reader's ValueError "Unknown layer".
        if j["module"] != nil { throw ObjectRegistry.notLocated(.layer, className, entry: j, what: "class") }
        throw ObjectRegistry.unknown(.layer, registered ?? className)
    }
    let layer = try build(LayerConfig(className: className, json: config))
    return layer
}

/// A `Sequential` from its config (Keras 3 or Keras 2, or the very old bare list of layers).
func sequentialFromConfig(_ config: JSON) throws -> Sequential {
    let entries: [JSON]
    var name: String?
    if let list = config.arrayValue {
        entries = list
    } else {
        guard let list = config["layers"]?.arrayValue else {
            throw KerasError.io("Sequential config: 'layers' must be a list")
        }
        entries = list
        name = config["name"]?.stringValue
    }
    let model = try Sequential(name: name)
    for e in entries {
        let layer = try deserializeLayer(e)
        if let build = e["build_config"], !build.isNull, !(layer is InputLayer) {
            model.builtWhenRead.insert(ObjectIdentifier(layer))
        }
        try model.add(layer)
    }
    if !model.built, let shape = config["build_input_shape"]?.arrayValue, !shape.isEmpty {
        try model.build(inputShape: try LayerConfig(className: "Sequential", json: config).shape("build_input_shape") ?? [])
    }
    return model
}

/// The input shapes of a layer entry's `build_config`: its `input_shape`, or its `shapes_dict`
/// in the order of ``Layer/buildShapeArgumentNames``; nil where it gives none read so.
private func buildConfigShapes(_ entry: JSON, _ layer: Layer) -> [[Int?]]? {
    guard let build = entry["build_config"], build.objectValue != nil,
          let given = try? LayerConfig(className: layer.className, json: build) else { return nil }
    if let shape = try? given.shape("input_shape") { return [shape] }
    guard let dict = build["shapes_dict"], let names = layer.buildShapeArgumentNames,
          let shapes = try? LayerConfig(className: layer.className, json: dict) else { return nil }
    let found = names.map { try? shapes.shape($0) }.prefix { $0 != nil }.compactMap { $0 }
    return found.isEmpty ? nil : found
}

/// One call recorded in a functional config: the producing (layer, node, tensor) of each input.
private struct InboundNode {
    var inputs: [(layer: String, node: Int, tensor: Int)] = []
    /// The call's keyword arguments other than tensors and `training` (`use_causal_mask`).
    var kwargs: JSON = .object([])
    /// The `training` value given to the call (``GraphNode/training``).
    var training: Bool?
    /// A plugin layer's call passing its tensors as several arguments: the node itself
    /// (``CallbackLayer/callArguments``); an operation's node, which holds its numbers
    /// (``OperationLayer/callArguments``).
    var callArguments: JSON?
    /// The tensors given as `mask=` (``GraphNode/masks``): one, or one per input (nil: none).
    var masks: [(layer: String, node: Int, tensor: Int)?]?
    /// The call's `mask` was written as null (``GraphNode/writesNullMask``).
    var writesNullMask = false
    /// The node has `kwargs` (``GraphNode/givenKeywords``).
    var givenKeywords = false
    /// An attention call's recorded `query_mask`, `value_mask` and `key_mask`
    /// (``GraphNode/attentionMasks``; nil: null).
    var attentionMasks: [(layer: String, node: Int, tensor: Int)?]?
}

private func history(_ j: JSON, _ what: String) throws -> (layer: String, node: Int, tensor: Int) {
    guard let a = j.arrayValue, a.count >= 3, let l = a[0].stringValue, let n = a[1].intValue, let t = a[2].intValue,
          n >= 0, t >= 0 else {
        throw KerasError.io("\(what): expected [layer_name, node_index, tensor_index], got \(j.description.prefix(80))")
    }
    return (l, n, t)
}

/// Reads Keras 3 `{"args": [...], "kwargs": {}}` and Keras 2 `[[name, node, tensor, kwargs], ...]` nodes.
/// The tensors under `restKeyword` in `kwargs` follow those of the first argument (RNN's `initial_state`).
private func parseInbound(_ j: JSON, layer: String, restKeyword: String?, positional: Bool,
                          plugin: Bool = false) throws -> InboundNode {
    var node = InboundNode()
    let what = "Functional config, inbound node of '\(layer)'"
    if let args = j["args"]?.arrayValue {
        var kwargs = j["kwargs"]?.objectValue ?? []
        node.givenKeywords = !kwargs.isEmpty
        if let given = kwargs.first(where: { $0.0 == "mask" })?.1, !given.isNull {
            // Keras's `layer(x, mask=m)`, and the mask it records for a call whose input
            // carries one: the call's mask (``GraphNode/masks``), for any layer.
            node.masks = try (given.arrayValue ?? [given]).map { m -> (layer: String, node: Int, tensor: Int)? in
                if m.isNull { return nil }
                guard m["class_name"]?.stringValue == "__keras_tensor__", let h = m["config"]?["keras_history"] else {
                    throw KerasError.io("\(what): 'mask' must be a tensor, a list of tensors or null, got \(m.description.prefix(80))")
                }
                return try history(h, what)
            }
            kwargs.removeAll { $0.0 == "mask" }
        } else if kwargs.contains(where: { $0.0 == "mask" }) {   // `mask: None`, as Keras writes it
            node.writesNullMask = true
            kwargs.removeAll { $0.0 == "mask" }
        }
        func collect(_ v: JSON, depth: Int) throws {
            guard depth < 10 else { return }
            if v["class_name"]?.stringValue == "__keras_tensor__" {
                guard let h = v["config"]?["keras_history"] else { throw KerasError.io("\(what): a tensor without keras_history") }
                node.inputs.append(try history(h, what))
            } else if let a = v.arrayValue {
                for x in a { try collect(x, depth: depth + 1) }
            } else if plugin, let o = v.objectValue {
                // (by sorted keys, as Keras flattens a call's dict into its node's tensors)
                for (_, x) in o.sorted(by: { $0.0 < $1.0 }) { try collect(x, depth: depth + 1) }
            }
        }
        if plugin {
            // A plugin layer takes the tensors of every argument, positional and keyword, in
            // order (Keras's node); a call with more than one argument, or with a dict of
            // tensors (keras.io's VariableSelection), keeps the node to write it back and to
            // give the plugin its arguments.
            for a in args { try collect(a, depth: 0) }
            for (_, v) in kwargs { try collect(v, depth: 0) }
            let dictArgument = args.count == 1 && args[0].objectValue != nil &&
                args[0]["class_name"]?.stringValue != "__keras_tensor__"
            if args.count > 1 || !kwargs.isEmpty || dictArgument {
                node.callArguments = ["args": .array(args), "kwargs": .object(kwargs)]
            }
            guard !node.inputs.isEmpty else { throw KerasError.io("\(what): the node has no input tensors") }
            return node
        }
        guard let first = args.first else { throw KerasError.io("\(what): no arguments") }
        // A layer taking several positional tensors (`mha(query, value)`) reads every argument
        // and tensors passed by keyword (`key=`); others read the first argument. Tensors under
        // `restKeyword` follow; the other keyword arguments go to the layer.
        for a in positional ? args : [first] { try collect(a, depth: 0) }
        if let restKeyword, let rest = j["kwargs"]?[restKeyword] { try collect(rest, depth: 0) }
        var others: [(String, JSON)] = []
        for (k, v) in kwargs where k != restKeyword {
            if k == "training" {
                node.training = v.boolValue
                continue
            }
            if positional, let slot = GraphNode.attentionMaskKeywords.firstIndex(of: k) {
                // Keras's record of an attention call's masks (``GraphNode/attentionMasks``).
                var recorded = node.attentionMasks ?? []
                while recorded.count <= slot { recorded.append(nil) }
                if !v.isNull {
                    guard v["class_name"]?.stringValue == "__keras_tensor__", let h = v["config"]?["keras_history"] else {
                        throw KerasError.io("\(what): '\(k)' must be a tensor or null, got \(v.description.prefix(80))")
                    }
                    recorded[slot] = try history(h, what)
                }
                node.attentionMasks = recorded
                continue
            }
            if positional, v["class_name"]?.stringValue == "__keras_tensor__" { try collect(v, depth: 0) } else { others.append((k, v)) }
        }
        node.kwargs = .object(others)
    } else if let list = j.arrayValue {
        for item in list {
            node.inputs.append(try history(item, what))
            // Keras 2's [layer, node, tensor, {"training": false}].
            if let training = item.arrayValue.flatMap({ $0.count > 3 ? $0[3]["training"]?.boolValue : nil }) {
                node.training = training
            }
            if let given = item.arrayValue.flatMap({ $0.count > 3 ? $0[3].objectValue : nil }), !given.isEmpty {
                node.givenKeywords = true
            }
        }
    } else {
        throw KerasError.io("\(what): unrecognised node \(j.description.prefix(80))")
    }
    guard !node.inputs.isEmpty else { throw KerasError.io("\(what): the node has no input tensors") }
    return node
}

/// A functional `Model` from its config: layers, their inbound nodes, input and output layers.
func functionalFromConfig(_ config: JSON) throws -> Model {
    guard let entries = config["layers"]?.arrayValue else {
        throw KerasError.io("Functional config: 'layers' must be a list")
    }
    var layers: [String: Layer] = [:]
    var order: [(Layer, [InboundNode])] = []
    // The outputs of every call made so far: by layer name, node index, tensor index.
    var produced: [String: [[KerasTensor]]] = [:]
    // The nested functional models: Keras numbers their calls from 1 in 'output_layers'.
    var functionalNames = Set<String>()
    for e in entries {
        let layer = try deserializeLayer(e)
        let name = e["name"]?.stringValue ?? layer.name
        guard layers[name] == nil else { throw KerasError.io("Functional config: two layers are named '\(name)'") }
        layers[name] = layer
        if e["class_name"]?.stringValue == "Functional" { functionalNames.insert(name) }
        // Keras's deserialization builds a layer from its entry's build_config as soon as it is
        // made, before the next one is made: the seeds a build takes after set_random_seed
        // (MultiHeadAttention's copies of its initializers) come in that order. Where the early
        // build fails, the call below builds and reports.
        if layer.takesSeedsAtBuild, let shapes = buildConfigShapes(e, layer) { try? layer.ensureBuilt(shapes) }
        if let input = layer as? InputLayer {
            produced[name] = [[input.makeOutput()]]
            continue
        }
        let nodes = try (e["inbound_nodes"]?.arrayValue ?? []).map { try parseInbound($0, layer: name, restKeyword: layer.trailingInputsArgument?.rest,
                                                                                  positional: layer.takesPositionalInputs,
                                                                                  plugin: layer is CallbackLayer || layer is OperationLayer) }
        order.append((layer, nodes))
    }
    // Calls whose inputs exist run first; repeat until every node has run (Keras does the same).
    var next = Array(repeating: 0, count: order.count)
    var remaining = order.reduce(0) { $0 + $1.1.count }
    while remaining > 0 {
        var progressed = false
        for (i, (layer, nodes)) in order.enumerated() where next[i] < nodes.count {
            let node = nodes[next[i]]
            var args: [KerasTensor] = []
            let maskHistories = (node.masks ?? []).compactMap({ $0 }) + (node.attentionMasks ?? []).compactMap({ $0 })
            for h in node.inputs + maskHistories {
                guard layers[h.layer] != nil else {
                    throw KerasError.io("Functional config: '\(layer.name)' takes input from unknown layer '\(h.layer)'")
                }
                guard let outs = produced[h.layer], h.node < outs.count else { break }
                guard h.tensor < outs[h.node].count else {
                    throw KerasError.io("Functional config: '\(layer.name)' uses output \(h.tensor) of '\(h.layer)', which has \(outs[h.node].count) output(s)")
                }
                args.append(outs[h.node][h.tensor])
            }
            guard args.count == node.inputs.count + maskHistories.count else { continue }
            var maskTensors = args.dropFirst(node.inputs.count).makeIterator()
            let masks = node.masks.map { $0.map { $0 == nil ? nil : maskTensors.next() } }
            let attentionMasks = node.attentionMasks.map { $0.map { $0 == nil ? nil : maskTensors.next() } }
            args.removeLast(args.count - node.inputs.count)
            try layer.applyCallKeywordArguments(node.kwargs)
            if let plugin = layer as? CallbackLayer {
                plugin.noteCall(inputsCarryMasks: args.indices.map { i in masks.map { i < $0.count && $0[i] != nil } ?? false })
            }
            if let plugin = layer as? CallbackLayer, let given = node.callArguments {
                // One set of call arguments per layer: its first call's (as its build's).
                if plugin.callArguments == nil {
                    plugin.callArguments = given
                } else if plugin.callArguments.flatMap({ CallbackLayer.substitutingTensors($0, args.map { _ in .null }) }) == nil {
                    throw KerasError.io("Functional config: '\(layer.name)' is called on \(args.count) tensors, but its first call took a different number of arguments")
                }
            }
            if let operation = layer as? OperationLayer { try operation.takeNodeArguments(node.callArguments) }
            let outputs = try layer.callMultiple(args, masks: masks)
            if let model = layer as? Model, let masks {   // (the masks its call is given, as Keras records them)
                try model.noteInputsCarryMasks(args.indices.map { $0 < masks.count && masks[$0] != nil })
            }
            outputs.first?.node?.training = node.training
            outputs.first?.node?.writesNullMask = node.writesNullMask
            outputs.first?.node?.givenKeywords = node.givenKeywords
            outputs.first?.node?.attentionMasks = attentionMasks
            produced[layer.name, default: []].append(outputs)
            next[i] += 1
            remaining -= 1
            progressed = true
        }
        guard progressed else {
            throw KerasError.io("Functional config: some layer calls reference nodes that never exist (a cycle or a missing layer)")
        }
    }
    // Keras's dict outputs (`output_layers` an object): the outputs in its keys' sorted order,
    // as Keras flattens a dict; the keys kept in the config's order.
    let outputKeys = config["output_layers"]?.objectValue.map { $0.map(\.0) }
    func tensors(_ key: String) throws -> [KerasTensor] {
        if let pairs = config[key]?.objectValue, !pairs.isEmpty {
            return try pairs.sorted { $0.0 < $1.0 }.map { try tensor(key, $0.1) }
        }
        guard let j = config[key], let a = j.arrayValue, !a.isEmpty else {
            throw KerasError.io("Functional config: '\(key)' must be a list, or an object of named outputs")
        }
        let items = a[0].stringValue != nil ? [j] : a
        return try items.map { try tensor(key, $0) }
    }
    func tensor(_ key: String, _ item: JSON) throws -> KerasTensor {
        let h = try history(item, "Functional config '\(key)'")
        // Keras writes a nested functional model's calls there from 1 (its node 0 links its own
        // inputs to its outputs) and reads them back less 1, as the library now writes and
        // reads them (its older files wrote 0 for the first call: still read as the first).
        let node = functionalNames.contains(h.layer) && h.node > 0 ? h.node - 1 : h.node
        guard let outs = produced[h.layer], node < outs.count, h.tensor < outs[node].count else {
            throw KerasError.io("Functional config '\(key)': layer '\(h.layer)' has no node \(h.node) with output \(h.tensor)")
        }
        return outs[node][h.tensor]
    }
    let model = try Model(inputs: try tensors("input_layers"), outputs: try tensors("output_layers"),
                          name: config["name"]?.stringValue)
    model.outputKeys = outputKeys
    if model.executionOrder.contains(where: { $0.layer is CallbackLayer }) {
        try model.noteMasksReachingLayers(inputsCarry: model.inputs.map { _ in false })
    }
    if let attributes = config["subclass_attributes"], !attributes.isNull {
        model.subclassAttributes = try subclassAttributes(attributes, layers)
    }
    if let entry = config["keras_class"], !entry.isNull {
        guard entry["class_name"]?.stringValue != nil, entry["config"]?.objectValue != nil else {
            throw KerasError.io("Functional config: 'keras_class' must be a Keras entry with a 'class_name' and a 'config' object")
        }
        model.kerasClassEntry = entry
    }
    return model
}

/// The functional config's `subclass_attributes` ({attribute: layer name, or a list of them}) as
/// the model's layers by attribute name.
private func subclassAttributes(_ j: JSON, _ layers: [String: Layer]) throws -> [(name: String, layers: [Layer], isList: Bool)] {
    guard let object = j.objectValue else {
        throw KerasError.io("Functional config: 'subclass_attributes' must be an object of attribute names")
    }
    func layer(_ name: JSON, _ attribute: String) throws -> Layer {
        guard let n = name.stringValue, let l = layers[n] else {
            throw KerasError.io("Functional config: subclass attribute '\(attribute)' names \(name), which is not a layer of the model")
        }
        return l
    }
    return try object.map { key, value in
        if let list = value.arrayValue { return (key, try list.map { try layer($0, key) }, true) }
        return (key, [try layer(value, key)], false)
    }
}

extension Model {
    /// Compiles the model from a Keras compile config (or legacy `training_config`). Keras:
    /// `model.compile_from_config(config)`.
    public func compileFromConfig(_ c: JSON) throws {
        guard let optJSON = c["optimizer"] ?? c["optimizer_config"], !optJSON.isNull else {
            throw KerasError.io("The compile config has no optimizer")
        }
        let optimizer = try deserializeOptimizer(optJSON)
        // No loss (Keras's `compile(optimizer)`): the model trains on its add_loss terms. An
        // output whose loss is null trains on none.
        var losses: [LossSpec?] = []
        if let lossJSON = c["loss"], !lossJSON.isNull {
            losses = try byOutputName(lossJSON, "loss") { _, j in
                guard let j else {
                    // Keras's message: a loss dict names every output (None for those without one).
                    let python = { (names: [String]) in "[" + names.map { "'\($0)'" }.joined(separator: ", ") + "]" }
                    throw KerasError.io("Expected keys \(python(outputNames)) in loss dict, but found "
                                        + "loss.keys()=\(python(lossJSON.objectValue?.map(\.0) ?? []))")
                }
                return [try deserializeLossSpecs(j).first ?? nil]
            } ?? deserializeLossSpecs(lossJSON)
        }
        let metrics = try byOutputName(c["metrics"], "metrics") { _, j in [try deserializeMetricSpecs(j).first ?? []] }
            ?? deserializeMetricSpecs(c["metrics"])
        var weights: [Float]?
        if let w = c["loss_weights"], !w.isNull {
            if let a = w.arrayValue {
                weights = try a.map { guard let d = $0.doubleValue else { throw KerasError.io("loss_weights must be numbers") }; return Float(d) }
            } else if w.objectValue != nil {
                weights = try outputNames.map { n in
                    guard let d = w[n]?.doubleValue else { throw KerasError.io("loss_weights has no number for output '\(n)'") }
                    return Float(d)
                }
            }
        }
        let weighted = try byOutputName(c["weighted_metrics"], "weighted_metrics") { _, j in [try deserializeMetricSpecs(j).first ?? []] }
            ?? deserializeMetricSpecs(c["weighted_metrics"])
        try compile(optimizer: .instance(optimizer), losses: losses, metrics: metrics, lossWeights: weights,
                    weightedMetrics: weighted)
        compiled?.keyedByOutput = ["loss", "metrics", "loss_weights", "weighted_metrics"].compactMap { key in
            // (A list with null entries too: `metrics=[None, ["mae"]]` is written so, not as `[[], ["mae"]]`.)
            guard let v = c[key], (v.objectValue != nil && v["class_name"] == nil) || v.arrayValue?.contains(where: \.isNull) == true
            else { return nil }
            return (key, v)
        }
    }

    /// A compile argument given as a dict keyed by output name (Keras: `loss={"priority": ...,
    /// "department": ...}`), in the order of the model's outputs whatever the dict's order;
    /// nil when it is not such a dict (a list, one object or name).
    private func byOutputName<T>(_ j: JSON?, _ what: String, _ each: (String, JSON?) throws -> [T]) throws -> [T]? {
        guard let j, let entries = j.objectValue, j["class_name"] == nil, !outputNames.isEmpty else { return nil }
        let unknown = entries.map(\.0).filter { !outputNames.contains($0) }
        guard unknown.isEmpty else {
            throw KerasError.io("\(what): the dict keys \(unknown) are not outputs of the model (the outputs: \(outputNames))")
        }
        return try outputNames.flatMap { try each($0, j[$0]) }
    }
}
