/// What the catalogue needs to describe a built-in layer class beyond its code: the constructor
/// arguments Keras requires (with a value that builds an example instance) and, where Keras's
/// constructor order differs from its `get_config()` order, the constructor order. The defaults
/// themselves are read from the example's ``Layer/getConfig()``, so they are the ones the layer
/// really uses.
struct LayerSignature {
    /// Required arguments in Keras's order, each with a value that builds an example.
    var required: [(String, JSON)] = []
    /// Keras's constructor order when it differs from `get_config()`'s; an argument listed here
    /// that the config lacks defaults to null.
    var order: [String]? = nil
    /// A config that builds an example when the required arguments alone do not.
    var example: [(String, JSON)] = []
}

extension BuiltinLayers {
    /// Signatures of the built-in layers that have required arguments or a constructor order of
    /// their own; every other layer's arguments are its `get_config()` keys, in that order.
    static let signatures: [String: LayerSignature] = [
        "InputLayer": LayerSignature(order: ["shape", "batch_size", "sparse", "ragged", "batch_shape", "optional"],
                                     example: [("batch_shape", [nil, 1])]),
        "Dense": LayerSignature(required: [("units", 1)],
                                order: ["units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                        "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"]),
        "Activation": LayerSignature(required: [("activation", "linear")]),
        "Dropout": LayerSignature(required: [("rate", 0.5)], order: ["rate", "noise_shape", "seed"]),
        "Lambda": LayerSignature(required: [("function", nil)], order: ["function", "output_shape", "mask", "arguments"]),
        "Permute": LayerSignature(required: [("dims", [1])]),
        "RepeatVector": LayerSignature(required: [("n", 1)]),
        "Rescaling": LayerSignature(required: [("scale", 1.0)]),
        "Reshape": LayerSignature(required: [("target_shape", [1])]),
    ]
}

/// The part of `get_config()` that is not a constructor argument of the layer class itself.
private let commonLayerKeys: Set<String> = ["name", "trainable", "dtype"]

extension ObjectRegistry {
    /// `{"Dense": {"module": "keras.layers", "args": [{"name": "units", "required": true},
    /// {"name": "activation", "default": null}, ...]}, ...}`: every layer class this thread can
    /// build, built-in and custom. A built-in's arguments are its `get_config()` keys without
    /// name/trainable/dtype, in Keras's constructor order, with the defaults an instance built
    /// from the required arguments alone reports. A custom class (registered in Swift, C or
    /// Python) lists `"custom": true` and no arguments: its config is whatever it writes.
    public static var layerCatalogue: JSON {
        var out: [(String, JSON)] = []
        for className in layerClassNames {
            guard case .layer(let build)? = builtin(.layer, className) else { continue }
            let args = builtinLayerArguments(className, build, BuiltinLayers.signatures[className] ?? LayerSignature())
            out.append((className, ["module": "keras.layers", "args": .array(args)]))
        }
        for name in customNames(.layer) {
            let bare = String(name.split(separator: ">").last ?? Substring(name))
            guard !out.contains(where: { $0.0 == bare }) else { continue }
            out.append((bare, ["module": "custom", "registered_name": .string(name), "custom": true, "args": []]))
        }
        return .object(out)
    }

    private static func builtinLayerArguments(_ className: String, _ build: (LayerConfig) throws -> Layer,
                                              _ sig: LayerSignature) -> [JSON] {
        var example = sig.example + sig.required
        example.append(("name", "catalogue_example"))
        let config: [(String, JSON)]
        if let c = try? LayerConfig(className: className, json: .object(example)), let layer = try? build(c),
           let pairs = layer.getConfig().objectValue {
            config = pairs.filter { !commonLayerKeys.contains($0.0) }
        } else {
            config = []
        }
        let required = Set(sig.required.map(\.0))
        let exampleOnly = Set(sig.example.map(\.0))
        var names = sig.order ?? sig.required.map(\.0)
        for (k, _) in config where !names.contains(k) { names.append(k) }
        return names.map { n -> JSON in
            if required.contains(n) { return ["name": .string(n), "required": true] }
            let d = exampleOnly.contains(n) ? nil : config.first { $0.0 == n }?.1
            return ["name": .string(n), "default": Catalogue.plain(d ?? .null)]
        }
    }
}
