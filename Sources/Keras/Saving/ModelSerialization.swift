/// Writing models as Keras configs: `to_json()`, the `.keras` `config.json`, the legacy `.h5`
/// `model_config` and `training_config`.
extension Model {
    /// The model's Keras JSON, exactly as Keras 3's `model.to_json()` prints it.
    public func toJSON() -> String { serializedModel().description }

    /// The config.json of a `.keras` archive of this model, before its shared-object marks:
    /// ``serializedModel()`` as written beside the layers' assets (``AssetWriting``).
    public func archiveConfig() -> JSON {
        AssetWriting.$active.withValue(true) { serializedModel() }
    }

    /// `{"module", "class_name", "config", "registered_name", "build_config", "compile_config"}`.
    func serializedModel() -> JSON {
        var j = serializedLayer(self, legacy: false, asItsClass: false)
        j.set("compile_config", compileConfig() ?? .object([]))
        return j
    }

    /// `{"class_name", "config"}` as the legacy `.h5` writer stores it in `model_config`.
    func legacyModelConfig() -> JSON {
        var config = pythonFloats(getConfig())
        if let entries = config["layers"]?.arrayValue {
            config.set("layers", .array(entries.map { e in
                // Keras's legacy writer names a registered custom layer by its registered name.
                let custom = e["module"]?.stringValue == "keras.src.models.functional" ? nil : e["registered_name"]?.stringValue
                // ... and a built-in by its Python class (GroupQueryAttention's GroupedQueryAttention).
                let layer = e["name"]?.stringValue.flatMap { n in layers.first { $0.name == n } }
                var out: JSON = ["class_name": custom.map(JSON.string) ?? layer.map { .string($0.pythonClassName) } ?? e["class_name"] ?? .null,
                                 "config": e["config"] ?? .null]
                if let n = e["name"] { out.set("name", n) }
                if let n = e["inbound_nodes"] { out.set("inbound_nodes", n) }
                return out
            }))
        }
        return ["class_name": .string(className), "config": config]
    }

    /// The functional config: layers with their inbound nodes, input and output layers.
    func functionalConfig() -> JSON {
        var nodeIndex: [ObjectIdentifier: Int] = [:]
        var perLayer: [ObjectIdentifier: [GraphNode]] = [:]
        var dtypes: [ObjectIdentifier: String] = [:]   // of each node's outputs (Keras's KerasTensor.dtype)
        for node in executionOrder {
            perLayer[ObjectIdentifier(node.layer), default: []].append(node)
            dtypes[ObjectIdentifier(node)] = kerasOutputDType(of: node.layer, inputs: node.inputs.map { t in
                t.node.flatMap { dtypes[ObjectIdentifier($0)] } ?? "float32"
            })
        }
        // A layer's calls in the model, numbered in the order they were made (Keras's node
        // indices), not in the order the graph runs them.
        for (key, nodes) in perLayer {
            let ordered = nodes.sorted { $0.index < $1.index }
            perLayer[key] = ordered
            for (i, node) in ordered.enumerated() { nodeIndex[ObjectIdentifier(node)] = i }
        }
        /// `[layer, call, tensor]`; `firstCall`: the number of the layer's first call.
        func history(_ t: KerasTensor, firstCall: Int = 0) -> JSON {
            let layerName = t.node?.layer.name ?? t.name
            let idx = t.node.flatMap { nodeIndex[ObjectIdentifier($0)] } ?? 0
            return [.string(layerName), .int(idx + firstCall), .int(t.tensorIndex)]
        }
        func kerasTensor(_ t: KerasTensor) -> JSON {
            ["class_name": "__keras_tensor__",
             "config": ["shape": shapeJSON(t.shape), "dtype": .string(t.node.flatMap { dtypes[ObjectIdentifier($0)] } ?? "float32"),
                        "keras_history": history(t)]]
        }
        var layerEntries: [JSON] = []
        for l in kerasLayers {
            let nodes = (perLayer[ObjectIdentifier(l)] ?? []).filter { !($0.layer is InputLayer) }
            var entry = serializedLayer(l, legacy: false, inputShapes: nodes.first.map { $0.inputs.map(\.shape) })
            entry.set("name", .string(l.name))
            let writtenAsItsClass = AssetWriting.active && (l as? Model)?.kerasClassEntry != nil
            entry.set("inbound_nodes", .array(nodes.map { node in
                // The call's keyword arguments: the layer's, a `training` given to the call, and
                // the `mask` Keras writes for every call of a nested functional model (and as
                // None where the config read had it so).
                func kwargs(_ base: JSON) -> JSON {
                    var k = base
                    if let training = node.training { k.set("training", .bool(training)) }
                    if let masks = node.masks {
                        let written = masks.map { $0.map(kerasTensor) ?? .null }
                        k.set("mask", written.count == 1 ? written[0] : .array(written))
                    } else if (node.writesNullMask || (l is Model && !(l is Sequential))) && !writtenAsItsClass {
                        k.set("mask", .null)   // (none for a subclassed model's call: Keras writes none)
                    }
                    for (name, m) in zip(GraphNode.attentionMaskKeywords, node.attentionMasks ?? []) {
                        k.set(name, m.map(kerasTensor) ?? .null)
                    }
                    return k
                }
                if let names = l.trailingInputsArgument, node.inputs.count > 1 {
                    let rest = node.inputs.dropFirst().map(kerasTensor)
                    return ["args": [kerasTensor(node.inputs[0])], "kwargs": kwargs(.object([(names.rest, rest.count == 1 ? rest[0] : .array(rest))]))]
                }
                let tensors = node.inputs.map(kerasTensor)
                if let plugin = l as? CallbackLayer, let template = plugin.callArguments,
                   var written = CallbackLayer.substitutingTensors(template, tensors) {
                    if node.masks != nil { written.set("kwargs", kwargs(written["kwargs"] ?? .object([]))) }
                    return written
                }
                if let operation = l as? OperationLayer {   // its constants among its tensors
                    if let template = operation.callArguments,
                       let written = CallbackLayer.substitutingTensors(template, tensors) { return written }
                    return ["args": [tensors.count == 1 ? tensors[0] : .array(tensors)], "kwargs": .object([])]
                }
                if l.takesStatesList, tensors.count > 1 {
                    return ["args": [tensors[0], .array(Array(tensors.dropFirst()))], "kwargs": kwargs(l.callKeywordArguments)]
                }
                let args: JSON = l.takesPositionalInputs ? .array(tensors) : [tensors.count == 1 ? tensors[0] : .array(tensors)]
                return ["args": args, "kwargs": kwargs(node.callKeywords ?? l.callKeywordArguments)]
            }))
            layerEntries.append(entry)
        }
        // Keras numbers a nested functional model's calls from 1 in 'output_layers' (its node 0
        // links its own inputs to its outputs), from 0 in the calls' arguments.
        let ins = inputs.map { history($0) }
        let outs = outputs.map { history($0, firstCall: $0.node?.layer.className == "Functional" ? 1 : 0) }
        var written: JSON = outs.count == 1 ? outs[0] : .array(outs)
        if let keys = outputKeys, keys.count == outs.count {   // dict outputs, in the keys' order
            let sorted = keys.sorted()
            written = .object(keys.compactMap { k in sorted.firstIndex(of: k).map { (k, outs[$0]) } })
        }
        return ["name": .string(name), "trainable": .bool(trainable), "layers": .array(layerEntries),
                "input_layers": ins.count == 1 ? ins[0] : .array(ins),
                "output_layers": written]
    }

    /// Keras's `get_compile_config()`, or nil when the model is not compiled.
    func compileConfig() -> JSON? {
        guard let c = compiled else { return nil }
        let (_, lossSpecs, metricSpecs, lossWeights) = c.specs
        let losses = lossSpecs.map { $0.map(serializeLossSpec) ?? .null }
        func serialized(_ specs: [[MetricSpec]]) -> JSON {
            if specs.allSatisfy(\.isEmpty) { return .null }
            if specs.count == 1 { return .array(specs[0].map(serializeMetricSpec)) }
            return .array(specs.map { .array($0.map(serializeMetricSpec)) })
        }
        let metrics = serialized(metricSpecs)
        var config: JSON = ["optimizer": serializeOptimizer(c.optimizer),
                            "loss": losses.isEmpty ? .null : losses.count == 1 ? losses[0] : .array(losses),
                            "loss_weights": lossWeights.map { .array($0.map { pythonFloat(Double($0)) }) } ?? .null,
                            "metrics": metrics, "weighted_metrics": serialized(c.weightedMetricSpecs), "run_eagerly": false,
                            "steps_per_execution": 1, "jit_compile": true]
        for (key, given) in c.keyedByOutput { config.set(key, given) }   // dicts by output, as given
        return config
    }

    /// The legacy `.h5` `training_config`: the compile config with `optimizer_config` last, its
    /// objects in Keras's legacy form (``legacyObjectEntries(_:)``).
    func trainingConfig() -> JSON? {
        guard let c = compileConfig(), var pairs = legacyObjectEntries(c).objectValue else { return nil }
        let opt = pairs.first { $0.0 == "optimizer" }?.1 ?? .null
        pairs.removeAll { $0.0 == "optimizer" }
        pairs.append(("optimizer_config", ["class_name": opt["class_name"] ?? .null, "config": opt["config"] ?? .null]))
        return .object(pairs)
    }
}

/// A compile config's objects as Keras's legacy `.h5` writer serializes them: `{"class_name",
/// "config"}` without `module` and `registered_name` (a registered class by its registered name),
/// a function by its name; what their configs hold (an optimizer's schedule) stays in the
/// current form, as Keras writes it.
func legacyObjectEntries(_ j: JSON) -> JSON {
    switch j {
    case .array(let a): return .array(a.map(legacyObjectEntries))
    case .object(let o):
        guard let className = j["class_name"]?.stringValue, let config = j["config"] else {
            return .object(o.map { ($0.0, legacyObjectEntries($0.1)) })
        }
        if className == "function", config.stringValue != nil { return config }
        let registered = j["registered_name"]?.stringValue.flatMap { $0.contains(">") ? $0 : nil }
        return ["class_name": .string(registered ?? className), "config": config]
    default: return j
    }
}

/// `[null, 4]` for a shape with an unknown batch dimension.
func shapeJSON(_ s: [Int?]) -> JSON { .array(s.map { $0.map { .int($0) } ?? .null }) }

/// The `"Package>Name"` of a layer's registered class, or nil: a plugin layer's own registration
/// (two classes of one name may be in use, one registered with a package and one without), else
/// the registry's entry for its class name.
private func registeredLayerName(_ l: Layer) -> String? {
    if let plugin = l as? CallbackLayer, let name = plugin.registeredName {
        return name.contains(">") ? name : nil
    }
    return ObjectRegistry.registeredName(of: l.className, .layer)
}

/// A layer as Keras 3 serializes it inside a model config (or, `legacy`, as `{"class_name", "config"}`).
/// A layer Keras builds in `__init__` (``LayerDeclaration/builtAtInit``) has no `build_config`;
/// every other built layer records the shapes it was built with.
/// - Parameter inputShapes: the shapes of the layer's first call, when known from a graph (a
///   layer with several inputs records them all).
/// - Parameter asItsClass: a model nested in a `.keras` archive's model that was traced from a
///   registered subclassed model is written as Keras's entry of its class (``Model/kerasClassEntry``);
///   false for the archive's model itself.
func serializedLayer(_ l: Layer, legacy: Bool, inputShapes: [[Int?]]? = nil, asItsClass: Bool = true) -> JSON {
    let config = pythonFloats(l.getConfig())
    if let operation = l as? OperationLayer {   // Keras's form of an operation: no build_config
        if legacy { return ["class_name": .string(l.className), "config": config] }
        return ["module": .string(operation.module), "class_name": .string(l.className), "config": config,
                "registered_name": .string(l.className)]
    }
    if !legacy, asItsClass, AssetWriting.active, let m = l as? Model, var entry = m.kerasClassEntry {
        // A nested registered subclassed model in a `.keras` archive: Keras's entry of its class
        // (Keras rebuilds it with the class's from_config, then builds it for this shape).
        entry.set("build_config", ["input_shape": (inputShapes?.first ?? m.inputs.first?.shape).map(shapeJSON) ?? .null])
        entry.set("compile_config", m.compileConfig() ?? .object([]))   // as every model's
        return entry
    }
    // An application's own layer (ConvNeXt's LayerScale) is saved as Keras saves its class:
    // under its module, with its bare class name as registered_name.
    let unexported = l.unexportedModule
    let registered = unexported == nil ? registeredLayerName(l) : nil
    if legacy {
        return ["class_name": .string(registered ?? l.pythonClassName), "config": config]
    }
    let module: JSON
    let classModule = (l as? CallbackLayer)?.module
    if l is Sequential { module = "keras" } else if l is Model { module = "keras.src.models.functional" }
    else if let classModule { module = classModule == "__main__" ? .null : .string(classModule) }
    else if let unexported { module = .string(unexported) }
    else if let registered { module = .string(String(registered.split(separator: ">").first ?? "custom")) }
    else if ObjectRegistry.isBuiltinLayer(l.className) { module = "keras.layers" } else { module = "custom" }
    // Keras writes a custom class's own name when it was registered without a package.
    let custom = module == "custom" || classModule != nil || unexported != nil ? JSON.string(l.className) : .null
    let registeredName: JSON = l is Sequential ? .null : (l is Model ? .string(l.className) : registered.map { .string($0) } ?? custom)
    var j: JSON = ["module": module, "class_name": .string(l.className), "config": config, "registered_name": registeredName]
    if let m = l as? Model {
        j.set("build_config", ["input_shape": m is Sequential ? (m.buildInputShape.map(shapeJSON) ?? .null) : .null])
        // Keras's serialize_keras_object writes every model's compile config, a nested one's too
        // (`{}` where it was not compiled).
        j.set("compile_config", m.compileConfig() ?? .object([]))
    } else if l.built, !(l.declaration?.builtAtInit ?? false) {
        if let shapes = inputShapes, let plugin = l as? CallbackLayer, let template = plugin.callArguments,
           let first = CallbackLayer.firstArgument(template, shapes.map(shapeJSON)) {
            // Keras builds a layer called on several arguments for its first argument's shape.
            j.set("build_config", ["input_shape": first])
        } else if let shapes = inputShapes, shapes.count > 1, let names = l.trailingInputsArgument {
            let rest = shapes.dropFirst().map(shapeJSON)
            j.set("build_config", ["shapes_dict": .object([(names.first + "_shape", shapeJSON(shapes[0])),
                                                           (names.rest + "_shape", rest.count == 1 ? rest[0] : .array(rest))])])
        } else if let shapes = inputShapes, shapes.count > 1, let names = l.buildShapeArgumentNames, names.count >= shapes.count {
            j.set("build_config", ["shapes_dict": .object(zip(names, shapes.map(shapeJSON)).map { ($0, $1) })])
        } else if let shapes = inputShapes, shapes.count > 1, !l.takesStatesList {
            j.set("build_config", ["input_shape": .array(shapes.map(shapeJSON))])
        } else if let shape = inputShapes?.first ?? l.buildInputShape {
            j.set("build_config", ["input_shape": shapeJSON(shape)])
        }
    }
    return j
}

func serializeOptimizer(_ o: Optimizer) -> JSON {
    var config = pythonFloats(o.config)
    // Keras keeps the learning rate in a float32 variable, so it prints as the float32 value
    // (wrappers such as LossScaleOptimizer have none in their config).
    // A schedule given as the learning rate is written as its serialized form, as Keras's.
    if config["learning_rate"]?.doubleValue != nil { config.set("learning_rate", .double(Double(o.learningRate))) }
    return ["module": "keras.optimizers", "class_name": .string(o.className), "config": config,
            "registered_name": ObjectRegistry.registeredName(of: o.className, .optimizer).map { .string($0) } ?? .null]
}

private func serializeLossSpec(_ s: LossSpec) -> JSON {
    switch s {
    case .name(let n): return .string(n)
    case .instance(let l):
        if let n = l.functionName {
            return ["module": "builtins", "class_name": "function", "config": .string(n), "registered_name": "function"]
        }
        return serializedLoss(l)
    case .function(let n, _):
        return ["module": "builtins", "class_name": "function", "config": .string(n), "registered_name": "function"]
    }
}

/// A loss object as Keras serializes it: `{"module": "keras.losses", "class_name", "config",
/// "registered_name"}`.
func serializedLoss(_ l: Loss) -> JSON {
    ["module": "keras.losses", "class_name": .string(l.className), "config": pythonFloats(l.config),
     "registered_name": ObjectRegistry.registeredName(of: l.className, .loss).map { .string($0) } ?? .null]
}

private func serializeMetricSpec(_ s: MetricSpec) -> JSON {
    switch s {
    case .name(let n): return .string(n)
    case .instance(let m):
        if let n = m.functionName {
            return ["module": "builtins", "class_name": "function", "config": .string(n), "registered_name": "function"]
        }
        return pythonFloats(m.serialized)
    case .function(let n, _):
        return ["module": "builtins", "class_name": "function", "config": .string(n), "registered_name": "function"]
    }
}

/// A float32 hyperparameter as Python prints the float the user typed (`0.9`, not `0.8999999761581421`).
func pythonFloat(_ d: Double) -> JSON {
    let f = Float(d)
    guard d.isFinite, Double(f) == d, let back = Double("\(f)") else { return .double(d) }
    return .double(back)
}

/// Every number in a config as ``pythonFloat(_:)`` writes it: our objects keep float32 values,
/// Keras keeps the Python floats they came from, except where Keras itself keeps a float32
/// (``kerasFloat32Arguments``), wherever the object sits (a layer's `kernel_regularizer` too).
func pythonFloats(_ j: JSON) -> JSON {
    switch j {
    case .double(let d): return pythonFloat(d)
    case .array(let a): return .array(a.map(pythonFloats))
    case .object(let o):
        guard let module = j["module"]?.stringValue, let className = j["class_name"]?.stringValue,
              let kept = kerasFloat32Arguments[module]?[className] ?? kerasFloat32Arguments[module]?["*"],
              case .object(let config)? = j["config"] else {
            return .object(o.map { ($0.0, pythonFloats($0.1)) })
        }
        let keptConfig = JSON.object(config.map { key, value in
            guard kept.contains(key), let d = value.doubleValue else { return (key, pythonFloats(value)) }
            return (key, .double(Double(Float(d))))
        })
        return .object(o.map { ($0.0, $0.0 == "config" ? keptConfig : pythonFloats($0.1)) })
    default: return j
    }
}

/// The arguments Keras keeps in float32 tensors, so that its config writes `0.01` as
/// `0.009999999776482582`: `L1`'s `l1` and `OrthogonalRegularizer`'s `factor` (by module and
/// class name as a serialized object names them; `*`: every class of the module), and every
/// optimizer's `learning_rate`, a float32 variable (a nested compiled model's compile config).
let kerasFloat32Arguments: [String: [String: Set<String>]] = [
    "keras.regularizers": ["L1": ["l1"], "OrthogonalRegularizer": ["factor"]],
    "keras.optimizers": ["*": ["learning_rate"]],
]
