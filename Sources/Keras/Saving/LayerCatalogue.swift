extension ObjectRegistry {
    /// `{"Dense": {"module": "keras.layers", "args": [{"name": "units", "required": true},
    /// {"name": "activation", "default": "linear"}, ...]}, ...}`: every layer class this thread
    /// can build, built-in and custom. A built-in's arguments come from its
    /// ``LayerDeclaration``, in Keras's constructor order. A custom class (registered in Swift, C
    /// or Python) lists `"custom": true` and no arguments: its config is whatever it writes.
    /// A class with Keras's `adapt` (``AdaptableLayer``) lists `"adapt": true`; one whose call
    /// takes masks lists `"call_masks"` (``LayerDeclaration/callMasks``); one whose layers support
    /// masking lists `"supports_masking"`: true, or the argument that decides it (Embedding's
    /// `"mask_zero"`: ``MaskingSupport``); one with Keras's own `compute_mask` lists
    /// `"computes_mask"`: true (``Layer/computesOwnMask``). An alias
    /// (`GlobalAvgPool2D`) lists `"class_name"`, the class it names (`GlobalAveragePooling2D`):
    /// in Keras the two names are one class, and a layer made by either is that class.
    public static var layerCatalogue: JSON {
        var out: [(String, JSON)] = []
        for className in layerClassNames {
            guard let declaration = LayerDeclaration.byClassName[className] else { continue }
            var entry: JSON = ["module": .string(declaration.module), "args": declaration.catalogueArguments]
            if declaration.adaptable { entry.set("adapt", true) }
            if let masks = declaration.callMasks { entry.set("call_masks", .string(masks)) }
            if let masking = declaration.maskingSupport.catalogueValue { entry.set("supports_masking", masking) }
            if declaration.computesOwnMask { entry.set("computes_mask", true) }
            if declaration.className != className { entry.set("class_name", .string(declaration.className)) }
            out.append((className, entry))
        }
        for name in customNames(.layer) {
            let bare = String(name.split(separator: ">").last ?? Substring(name))
            guard !out.contains(where: { $0.0 == bare }) else { continue }
            out.append((bare, ["module": "custom", "registered_name": .string(name), "custom": true, "args": []]))
        }
        return .object(out)
    }
}
