/// A layer whose variables Keras saves under sub-objects (an RNN layer's `cell`). Layers that
/// do not conform save all their variables in their own `vars` group.
public protocol WeightsH5Layout {
    /// `(relative path, variables)` pairs; `""` is the layer's own `vars` group.
    var h5VariableGroups: [(path: String, variables: [Variable])] { get }
}

/// The Keras 3 weights layout shared by `.weights.h5` and the `model.weights.h5` inside a
/// `.keras` archive (`keras/src/saving/saving_lib.py`, `H5IOStore`):
/// `layers/<snake class name, de-duplicated>/vars/<i>`, `optimizer/vars/<i>`, and a `vars`
/// group on every saveable object carrying its `name`.
enum WeightsH5Store {
    /// Every (path of a `vars` group, owner's name, variables) of a model, in save order.
    static func entries(_ model: Model) -> [(path: String, name: String, variables: [Variable])] {
        var out: [(String, String, [Variable])] = []
        func walk(_ layer: Layer, _ path: String) {
            if let m = layer as? Model {
                var used: [String: Int] = [:]
                for child in m.kerasLayers {
                    if m is Sequential, child is InputLayer { continue }
                    let base = Layer.defaultName(of: child.className)
                    let n = used[base, default: 0]
                    used[base] = n + 1
                    walk(child, path + "layers/" + (n == 0 ? base : "\(base)_\(n)") + "/")
                }
                out.append((path + "vars", m.name, []))
            } else if let custom = layer as? WeightsH5Layout {
                for (sub, vars) in custom.h5VariableGroups {
                    out.append((path + (sub.isEmpty ? "" : sub + "/") + "vars", layer.name, vars))
                }
            } else {
                out.append((path + "vars", layer.name, ownVariablesInKerasOrder(layer)))
            }
        }
        walk(model, "")
        return out
    }

    /// Writes the model's weights (and its optimizer's state when compiled) under `root`.
    static func save(_ model: Model, to root: HDF5Group) throws {
        for (path, name, vars) in entries(model) {
            let g = try root.createGroup(path)
            try g.setStringAttribute("name", name)
            for (i, v) in vars.enumerated() { try g.writeTensor(String(i), v.storedValue) }
        }
        if let opt = model.optimizer, OptimizerState.isSupported(opt) {
            let g = try root.createGroup("optimizer/vars")
            try g.setStringAttribute("name", opt.name)
            for (i, e) in OptimizerState.entries(opt, variables: model.kerasTrainableWeights).enumerated() {
                if i == 0 { try g.writeInt32("0", Int32(clamping: opt.iterations)) } else { try g.writeTensor(String(i), try OptimizerState.value(opt, e, index: i)) }
            }
        }
    }

    /// The number of datasets named 0, 1, ... in a `vars` group (or 0 when absent).
    private static func count(_ g: HDF5Group?) throws -> Int {
        guard let g else { return 0 }
        var n = 0
        while g.exists(String(n)) { n += 1 }
        return n
    }

    /// Reads weights written by ``save(_:to:)`` (or by Keras 3) into `model`. Everything is read
    /// and checked before any variable changes, so a bad file leaves the model as it was.
    /// - Parameter skipMismatch: skip layers whose variable count or shapes differ instead of failing.
    /// - Returns: warnings (skipped layers, optimizer state not restored).
    @discardableResult
    static func load(_ model: Model, from root: HDF5Group, skipMismatch: Bool = false,
                     loadOptimizer: Bool = true) throws -> [String] {
        var assignments: [(Variable, Tensor)] = []
        var warnings: [String] = []
        for (path, name, vars) in entries(model) {
            let g = try root.group(path)
            let stored = try count(g)
            guard stored == vars.count else {
                let msg = "Layer '\(name)' expected \(vars.count) variables, but received \(stored) variables during loading (path \(path))"
                if skipMismatch { warnings.append(msg); continue }
                throw KerasError.shapeMismatch(msg)
            }
            guard let g else { continue }
            var values: [Tensor] = []
            do {
                for (i, v) in vars.enumerated() { values.append(try g.readTensor(String(i), expected: v.shape)) }
            } catch let e as KerasError {
                if skipMismatch, case .shapeMismatch = e { warnings.append("Layer '\(name)': \(e.message)"); continue }
                throw e
            }
            assignments += zip(vars, values).map { ($0, $1) }
        }
        var optimizerValues: [Tensor]?
        var optimizerEntries: [OptimizerState.Entry] = []
        if loadOptimizer, let opt = model.optimizer, OptimizerState.isSupported(opt), let g = try root.group("optimizer/vars") {
            optimizerEntries = OptimizerState.entries(opt, variables: model.kerasTrainableWeights)
            if try count(g) == optimizerEntries.count {
                optimizerValues = try optimizerEntries.enumerated().map { try g.readTensor(String($0.offset), expected: $0.element.shape) }
            } else {
                warnings.append("Skipping variable loading for optimizer '\(opt.name)': the file has \(try count(g)) variables, the optimizer has \(optimizerEntries.count)")
            }
        }
        for (v, t) in assignments { try v.assign(t) }
        if let opt = model.optimizer, let values = optimizerValues {
            try OptimizerState.restore(opt, entries: optimizerEntries, from: values)
        }
        return warnings
    }
}
