/// The Keras 3 weights layout shared by `.weights.h5` and the `model.weights.h5` inside a
/// `.keras` archive (`keras/src/saving/saving_lib.py`, `_save_state`): every saveable object has
/// a `vars` group carrying its `name`; a model's layers sit under `layers/<snake class name,
/// de-duplicated>/`, a layer's sublayers under their attribute name (`cell/`, or
/// `blocks/dense_1/` for a list), and the optimizer under `optimizer/vars`.
enum WeightsH5Store {
    /// Every (path of a `vars` group, owner's name, variables, owner) of a model, in save order.
    ///
    /// As Keras does, attributes are visited in sorted order with `_private` ones last, and an
    /// object reached twice is saved at its first path only.
    ///
    /// A model traced from a Keras subclassed model (``Model/subclassAttributes``) has Keras's
    /// subclassed layout (its layers under their attribute names), unless `functional`: the
    /// layout of the functional model it also is (what a `.keras` archive of its functional
    /// config holds).
    static func entries(_ model: Model, functional: Bool = false) -> [(path: String, name: String, variables: [Variable], layer: Layer)] {
        var out: [(String, String, [Variable], Layer)] = []
        var visited = Set<ObjectIdentifier>()
        func walk(_ layer: Layer, _ path: String) {
            guard visited.insert(ObjectIdentifier(layer)).inserted else { return }
            var own = ownVariablesInKerasOrder(layer)
            if let m = layer as? Model {
                // A Python subclassed model's own weights (`self.add_weight` on a keras.Model)
                // live in a hidden layer of its graph; Keras keeps them in the model's own group.
                for holder in m.kerasLayers where isModelVariables(holder) {
                    own += ownVariablesInKerasOrder(holder)
                    visited.insert(ObjectIdentifier(holder))
                }
            }
            out.append((path + "vars", layer.name, own, layer))
            if let m = layer as? Model, !functional || (m !== model && m.kerasClassEntry != nil),
               let attributes = m.subclassAttributes {
                // A Keras subclassed model: its layers under the attributes that hold them,
                // visited in sorted order as Keras does (`layers` among them); any other layer
                // with weights after them, under `_layers/` (a path Keras never writes).
                for a in attributes.sorted(by: { nameKey($0.name) < nameKey($1.name) }) {
                    if a.isList { container(a.layers, path + a.name + "/") } else { walk(a.layers[0], path + a.name + "/") }
                }
                container(m.kerasLayers.filter { !visited.contains(ObjectIdentifier($0)) && !$0.weights.isEmpty },
                          path + "_layers/")
            } else if let m = layer as? Model {
                container(m.kerasLayers.filter { !(m is Sequential && $0 is InputLayer) && !isModelVariables($0) },
                          path + "layers/")
            }
            let attributes = layer.trackedSublayers().attributes.sorted { nameKey($0.name) < nameKey($1.name) }
            for a in attributes {
                if a.isList { container(a.layers, path + a.name + "/") } else { walk(a.layers[0], path + a.name + "/") }
            }
        }
        func container(_ layers: [Layer], _ path: String) {
            var used: [String: Int] = [:]
            for child in layers {
                // (a nested registered subclass under its class's name, as Keras saves it)
                let base = kerasSnakeCase((child as? Model)?.kerasClassEntry?["class_name"]?.stringValue ?? child.pythonClassName)
                let n = used[base].map { $0 + 1 } ?? 0
                used[base] = n
                walk(child, path + (n == 0 ? base : "\(base)_\(n)") + "/")
            }
        }
        walk(model, "")
        return out
    }

    /// The hidden layer holding a Python subclassed model's own weights (the binding's
    /// `swiftkeras>ModelVariables`): saved as the model's own variables, not as a layer.
    static func isModelVariables(_ layer: Layer) -> Bool {
        (layer as? CallbackLayer)?.registeredName == "swiftkeras>ModelVariables"
    }

    /// Keras's `_name_key`: private attributes sort after public ones.
    private static func nameKey(_ name: String) -> String { name.hasPrefix("_") ? "~" + name : name }

    /// Writes the model's weights (and its optimizer's state when compiled) under `root`
    /// (`functional`: see ``entries(_:functional:)``).
    static func save(_ model: Model, to root: HDF5Group, functional: Bool = false) throws {
        for (path, name, vars, layer) in entries(model, functional: functional) {
            let g = try root.createGroup(path)
            try g.setStringAttribute("name", name)
            for (i, v) in vars.enumerated() { try g.writeVariable(String(i), v) }
            for (key, t) in (layer as? AssetLayer)?.namedVariables().sorted(by: { $0.key < $1.key }) ?? [] {
                try g.writeTensor(key, t)
            }
        }
        if let opt = model.optimizer {
            let g = try root.createGroup("optimizer/vars")
            try g.setStringAttribute("name", opt.name)
            for (i, e) in OptimizerState.entries(opt, variables: model.kerasTrainableWeightsInBuildOrder).enumerated() {
                try OptimizerState.write(e, to: g, as: String(i))
            }
        }
    }

    /// The number of datasets named 0, 1, ... in a `vars` group (or 0 when absent).
    private static func count(_ g: HDF5Group?) throws -> Int {
        guard let g else { return 0 }
        var n = 0
        while try g.exists(String(n)) { n += 1 }
        return n
    }

    /// Reads weights written by ``save(_:to:)`` (or by Keras 3) into `model`. Everything is read
    /// and checked before any variable changes, so a bad file leaves the model as it was.
    /// - Parameter skipMismatch: skip layers whose variable count or shapes differ instead of failing.
    /// - Returns: warnings (skipped layers, optimizer state not restored).
    @discardableResult
    static func load(_ model: Model, from root: HDF5Group, skipMismatch: Bool = false,
                     loadOptimizer: Bool = true, functional: Bool = false) throws -> [String] {
        var assignments: [(Variable, VariableFileValue)] = []
        var warnings: [String] = []
        // A model traced from a subclassed one reads either layout: a layer whose group is not
        // at its path of one is looked for at its path of the other (a weights file written by
        // Keras for the subclass, or a `.keras` archive of the functional form).
        // (So does one nested anywhere: a subclassed model a layer written in Python holds.)
        var otherPaths: [ObjectIdentifier: String] = [:]
        let paths = entries(model, functional: functional)
        if paths.contains(where: { ($0.layer as? Model)?.subclassAttributes != nil }) {
            for e in entries(model, functional: !functional) where otherPaths[ObjectIdentifier(e.layer)] == nil {
                otherPaths[ObjectIdentifier(e.layer)] = e.path
            }
        }
        for (path, name, vars, layer) in paths {
            var g = try root.group(path)
            if g == nil, !vars.isEmpty, let other = otherPaths[ObjectIdentifier(layer)] { g = try root.group(other) }
            let stored = try count(g)
            guard stored == vars.count else {
                let msg = "Layer '\(name)' expected \(vars.count) variables, but received \(stored) variables during loading (path \(path))"
                if skipMismatch { warnings.append(msg); continue }
                throw KerasError.shapeMismatch(msg)
            }
            guard let g else { continue }
            var values: [VariableFileValue] = []
            do {
                for (i, v) in vars.enumerated() { values.append(try g.readVariable(String(i), for: v)) }
            } catch let e as KerasError {
                if skipMismatch, case .shapeMismatch = e { warnings.append("Layer '\(name)': \(e.message)"); continue }
                throw e
            }
            assignments += zip(vars, values).map { ($0, $1) }
        }
        var optimizerValues: [OptimizerVariableValue]?
        var optimizerEntries: [OptimizerState.Entry] = []
        if loadOptimizer, let opt = model.optimizer, let g = try root.group("optimizer/vars") {
            optimizerEntries = OptimizerState.entries(opt, variables: model.kerasTrainableWeightsInBuildOrder)
            if try count(g) == optimizerEntries.count {
                let (inFile, values) = try OptimizerState.readFromFile(opt, model: model) { e, i in
                    try OptimizerState.read(e, from: g, key: String(i))
                }
                (optimizerEntries, optimizerValues) = (inFile, Optional(values))
            } else {
                warnings.append("Skipping variable loading for optimizer '\(opt.name)': the file has \(try count(g)) variables, the optimizer has \(optimizerEntries.count)")
            }
        }
        for (v, t) in assignments { try v.assign(taking: t) }
        if let opt = model.optimizer, let values = optimizerValues {
            try OptimizerState.restore(opt, entries: optimizerEntries, from: values)
        }
        return warnings
    }
}
