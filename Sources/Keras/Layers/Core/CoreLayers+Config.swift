/// Rebuilding the core layers from Keras configs (one line each in the saving layer table).
/// Each reads exactly the keys its `getConfig()` writes and throws a ``KerasError`` naming the
/// key when a value has the wrong type.
extension Activation {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = Activation(try c.activation("activation"), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension Dropout {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        guard let rate = c["rate"]?.doubleValue else {
            throw KerasError.io("Dropout config: 'rate' must be a number, got \(c["rate"]?.description ?? "nothing")")
        }
        let layer = try Dropout(rate, noiseShape: try c.shape("noise_shape"), seed: try c.optionalInt("seed"), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension Flatten {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let format = try DataFormat.named(try c.string("data_format", default: "channels_last"))
        let layer = Flatten(dataFormat: format, name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

/// A list of integers at `key` (Keras writes tuples as lists).
private func intList(_ c: LayerConfig, _ key: String) throws -> [Int] {
    guard let a = c[key]?.arrayValue, a.count <= 32 else {
        throw KerasError.io("\(c.className) config: '\(key)' must be a list of integers, got \(c[key]?.description ?? "nothing")")
    }
    return try a.map { v in
        guard let i = v.intValue else {
            throw KerasError.io("\(c.className) config: '\(key)' must be a list of integers, got \(v)")
        }
        return i
    }
}

extension Reshape {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = try Reshape(try intList(c, "target_shape"), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension Permute {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = try Permute(try intList(c, "dims"), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension RepeatVector {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = try RepeatVector(try c.int("n"), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension Rescaling {
    /// Only scalar `scale` and `offset` are supported (Keras also accepts per-channel lists).
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        guard let scale = c["scale"]?.doubleValue else {
            throw KerasError.io("Rescaling config: 'scale' must be a number, got \(c["scale"]?.description ?? "nothing")")
        }
        var offset = 0.0
        if let v = c["offset"] {
            guard let o = v.doubleValue else { throw KerasError.io("Rescaling config: 'offset' must be a number, got \(v)") }
            offset = o
        }
        let layer = Rescaling(scale, offset: offset, name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension ActivityRegularization {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        func factor(_ key: String) throws -> Double {
            guard let v = c[key] else { return 0 }
            guard let d = v.doubleValue else { throw KerasError.io("ActivityRegularization config: '\(key)' must be a number, got \(v)") }
            return d
        }
        let layer = try ActivityRegularization(l1: try factor("l1"), l2: try factor("l2"), name: c.name)
        layer.trainable = try c.bool("trainable", default: true)
        if let s = try c.batchInputShape() { layer.batchInputShape = s }
        return layer
    }
}

extension Lambda {
    /// Finds the Swift function registered under the config's function name
    /// (``Lambda/register(_:_:)``); a Python lambda (bytecode) cannot be rebuilt here.
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        guard let fn = c["function"] else { throw KerasError.io("Lambda config: needs 'function'") }
        if fn["class_name"]?.stringValue == "__lambda__" {
            throw KerasError.io("Lambda '\(c.name ?? "lambda")': its function is a Python lambda (bytecode), which cannot run here; rewrite it as a named function and register a Swift version with Lambda.register(\"name\") { x in ... }")
        }
        guard let functionName = fn.stringValue ?? fn["config"]?.stringValue else {
            throw KerasError.io("Lambda config: 'function' must name a registered function, got \(fn.description.prefix(80))")
        }
        let bare = functionName.split(separator: ">").last.map(String.init) ?? functionName
        let found = ObjectRegistry.lookupCustom(.function, functionName) ?? ObjectRegistry.lookupCustom(.function, bare)
        guard case .function(let function)? = found else {
            throw KerasError.unknownName("Lambda '\(c.name ?? "lambda")': no Swift function is registered as '\(functionName)'; register one with Lambda.register(\"\(bare)\") { x in ... }")
        }
        let layer = Lambda(functionName: functionName, outputShape: try c.shape("output_shape"), name: c.name,
                           combining: function)
        try c.applyCommon(to: layer)
        return layer
    }
}

extension Concatenate {
    public static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = Concatenate(axis: try c.int("axis", default: -1), name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }
}
