/// The legacy HDF5 model format (`model.save("m.h5")`), as Keras 3's
/// `keras/src/legacy/saving/legacy_h5_format.py` writes it and as Keras 2 wrote it:
/// root attributes `keras_version`, `backend`, `model_config`, `training_config`; the group
/// `model_weights` with `layer_names` and one group per layer holding `weight_names` and the
/// datasets; `optimizer_weights` when the model is compiled.
enum LegacyH5Format {
    static let backendName = "swiftkeras"

    /// The weights of `layer` (sublayers' included) in the file's order, trainable then
    /// non-trainable (Keras: `_legacy_weights`), each layer's in ``weightsInBuildOrder(_:)``,
    /// named by their variable paths as Keras names them (`sequential/block/dense/kernel` for
    /// what a Sequential built, `inner/dense/kernel` for a nested model built before).
    static func weights(of layer: Layer) -> [(variable: Variable, name: String)] {
        let all: [(variable: Variable, name: String)]
        if let nested = layer as? Model {
            all = nested.kerasLayers.flatMap { weights(of: $0) }
        } else {
            all = weightsInBuildOrder(layer).map { ($0, $0.path) }
        }
        return layer.trainable ? all.filter(\.variable.trainable) + all.filter { !$0.variable.trainable } : all
    }

    /// The layers that own a group in `model_weights` (Sequential's input layer has none).
    static func savedLayers(_ model: Model) -> [Layer] {
        model.kerasLayers.filter { !(model is Sequential && $0 is InputLayer) }
    }

    /// Writes the whole model: config, weights and (when compiled) training config and optimizer.
    static func save(_ model: Model, to file: HDF5File) throws {
        let root = try file.root()
        try root.setStringAttribute("keras_version", kerasCompatibilityVersion)
        try root.setStringAttribute("backend", backendName)
        try root.setStringAttribute("model_config", model.legacyModelConfig().description, utf8: false)
        if let t = model.trainingConfig() {
            try root.setStringAttribute("training_config", t.description, utf8: false)
        }
        try saveWeights(model, to: try root.createGroup("model_weights"))
        if let opt = model.optimizer {
            let g = try root.createGroup("optimizer_weights")
            let entries = OptimizerState.entries(opt, variables: model.kerasTrainableWeightsInBuildOrder)
            // Inner optimizers of a MultiOptimizer may share a name; datasets need distinct ones.
            var used: [String: Int] = [:]
            let names = entries.map { e -> String in
                let n = used[e.name, default: 0]
                used[e.name] = n + 1
                return n == 0 ? e.name : "\(e.name)_\(n)"
            }
            try g.setChunkedStringsAttribute("weight_names", names)
            for (e, name) in zip(entries, names) { try OptimizerState.write(e, to: g, as: name) }
        }
    }

    /// Writes `layer_names` and one group per layer into `group` (the model_weights group, or the
    /// root of a weights-only file).
    static func saveWeights(_ model: Model, to group: HDF5Group) throws {
        let layers = savedLayers(model)
        try group.setChunkedStringsAttribute("layer_names", layers.map(\.name))
        try group.setStringAttribute("backend", backendName, utf8: false)
        try group.setStringAttribute("keras_version", kerasCompatibilityVersion, utf8: false)
        for l in layers.sorted(by: { $0.name < $1.name }) {
            let g = try group.createGroup(l.name)
            let entries = weights(of: l)
            try g.setChunkedStringsAttribute("weight_names", entries.map(\.name))
            for (v, n) in entries { try g.writeVariable(n, v) }
        }
        let top = try group.createGroup("top_level_model_weights")
        try top.setStringsAttribute("weight_names", [])
    }

    /// Reads a whole model: rebuilds it from `model_config`, loads the weights, compiles it from
    /// `training_config` and restores the optimizer.
    static func loadModel(from file: HDF5File, compile: Bool = true) throws -> Model {
        let root = try file.root()
        guard root.hasAttribute("model_config") else {
            throw KerasError.io("'\(file.path)': no model found in config file (the root attribute 'model_config' is missing)")
        }
        let config = try JSONParser.parse(try root.stringAttribute("model_config"))
        let model = try modelFromConfig(config)
        guard let weights = try root.group("model_weights") else {
            throw KerasError.io("'\(file.path)': the group 'model_weights' is missing")
        }
        try loadWeights(model, from: weights, byName: false, skipMismatch: false)
        if compile, root.hasAttribute("training_config") {
            let training = try JSONParser.parse(try root.stringAttribute("training_config"))
            try model.compileFromConfig(metricNamesAsKerasLoadsThem(training))
            if let g = try root.group("optimizer_weights") { try loadOptimizer(model, from: g) }
        }
        return model
    }

    /// A `training_config` whose metric names are those Keras's legacy loading gives them
    /// (`compile_args_from_training_config`): every name but accuracy, acc, crossentropy and ce
    /// becomes the metric it names, logged under the metric's own name (`mae` as
    /// `mean_absolute_error`, `AUC` as `auc`).
    static func metricNamesAsKerasLoadsThem(_ training: JSON) -> JSON {
        func rename(_ j: JSON) -> JSON {
            switch j {
            case .string(let name):
                guard !["accuracy", "acc", "crossentropy", "ce"].contains(name),
                      let make = Metric.builtinMetrics[name], let metric = try? make() else { return j }
                return .string(metric.name)
            case .array(let a): return .array(a.map(rename))
            case .object(let o) where j["class_name"] == nil: return .object(o.map { ($0.0, rename($0.1)) })
            default: return j
            }
        }
        var t = training
        for key in ["metrics", "weighted_metrics"] { if let m = t[key] { t.set(key, rename(m)) } }
        return t
    }

    /// Restores optimizer state saved positionally; on a count mismatch Keras warns and keeps a
    /// fresh optimizer, and so does this.
    @discardableResult
    static func loadOptimizer(_ model: Model, from g: HDF5Group) throws -> [String] {
        guard let opt = model.optimizer,
              let names = try g.chunkedStringsAttribute("weight_names") else { return [] }
        let entries = OptimizerState.entries(opt, variables: model.kerasTrainableWeightsInBuildOrder)
        guard names.count == entries.count else {
            return ["Skipping loading of optimizer weights: the file has \(names.count) values, the optimizer \(entries.count)"]
        }
        let (inFile, values) = try OptimizerState.readFromFile(opt, model: model) { e, i in
            try OptimizerState.read(e, from: g, key: names[i])
        }
        try OptimizerState.restore(opt, entries: inFile, from: values)
        return []
    }

    /// Loads weights saved in legacy layout. `byName` matches layer groups by name; otherwise the
    /// k-th layer with weights takes the k-th group with weights (Keras ignores names then).
    @discardableResult
    static func loadWeights(_ model: Model, from group: HDF5Group, byName: Bool, skipMismatch: Bool) throws -> [String] {
        guard let layerNames = try group.chunkedStringsAttribute("layer_names") else {
            throw KerasError.io("HDF5 '\(group.file)': the attribute 'layer_names' is missing from '\(group.path)'")
        }
        var fileLayers: [(String, [String])] = []
        for n in layerNames {
            guard let g = try group.group(n) else {
                throw KerasError.io("HDF5 '\(group.file)': layer group '\(n)' listed in layer_names is missing")
            }
            fileLayers.append((n, try g.chunkedStringsAttribute("weight_names") ?? []))
        }
        let modelLayers = savedLayers(model).filter { !weights(of: $0).isEmpty }
        var pairs: [(Layer, String, [String])] = []
        var warnings: [String] = []
        if byName {
            let byLayer = Dictionary(fileLayers.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
            for l in modelLayers {
                if let names = byLayer[l.name], !names.isEmpty { pairs.append((l, l.name, names)) }
            }
        } else {
            let withWeights = fileLayers.filter { !$0.1.isEmpty }
            guard withWeights.count == modelLayers.count else {
                throw KerasError.shapeMismatch("Layer count mismatch when loading weights from file. Model expected \(modelLayers.count) layers with weights, found \(withWeights.count) saved layers with weights")
            }
            pairs = zip(modelLayers, withWeights).map { ($0, $1.0, $1.1) }
        }
        var assignments: [(Variable, VariableFileValue)] = []
        for (layer, groupName, names) in pairs {
            let vars = inFileOrder(weights(of: layer).map(\.variable), of: layer, names: names)
            guard vars.count == names.count else {
                let msg = "Layer '\(layer.name)' expects \(vars.count) weights, but the saved weights have \(names.count) elements"
                if skipMismatch { warnings.append(msg); continue }
                throw KerasError.shapeMismatch(msg)
            }
            let g = try group.requireGroup(groupName)
            do {
                let values = try zip(names, vars).map { try g.readVariable($0.0, for: $0.1) }
                assignments += zip(vars, values).map { ($0, $1) }
            } catch let e as KerasError {
                if skipMismatch, case .shapeMismatch = e { warnings.append("Layer '\(layer.name)': \(e.message)"); continue }
                throw e
            }
        }
        for (v, t) in assignments { try v.assign(taking: t) }
        return warnings
    }

    /// A float8 layer's weights in the order of the file's weight `names`, when those name each
    /// of them once (Keras writes a float8 layer quantized after building with its kernel first,
    /// this library and a rebuilt Keras layer with its scales first: both files load here).
    private static func inFileOrder(_ vars: [Variable], of layer: Layer, names: [String]) -> [Variable] {
        guard let q = layer as? QuantizableLayer, case .float8? = q.quantizationMode, vars.count == names.count else { return vars }
        let byName = Dictionary(vars.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let ordered = names.compactMap { byName[String($0.split(separator: "/").last ?? "")] }
        return Set(ordered.map(ObjectIdentifier.init)).count == vars.count ? ordered : vars
    }
}
