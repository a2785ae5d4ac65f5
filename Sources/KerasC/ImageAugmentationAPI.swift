import Keras

/// Keras: `layer({"images": images, "labels": labels}, training=...)` of a CutMix layer (the
/// layer's path as in keras_model_layer_state): the cut images into `out_images` and the mixed
/// labels into `out_labels`, the layer's seed generator moving on as for a call on the images.
@_cdecl("keras_model_layer_cut_mix")
public func keras_model_layer_cut_mix(_ handle: OpaquePointer?, _ layerName: UnsafePointer<CChar>?,
                                      _ images: UnsafePointer<Float>?, _ imagesNdim: Int32, _ imagesShape: UnsafePointer<Int64>?,
                                      _ labels: UnsafePointer<Float>?, _ labelsNdim: Int32, _ labelsShape: UnsafePointer<Int64>?,
                                      _ training: Int32,
                                      _ outImages: UnsafeMutablePointer<Float>?, _ imagesCapacity: Int64,
                                      _ outLabels: UnsafeMutablePointer<Float>?, _ labelsCapacity: Int64) -> Int32 {
    guarded("keras_model_layer_cut_mix") {
        let box = try modelBox(handle)
        let name = try string(layerName, "layer_name")
        let x = try inputTensor(images, imagesNdim, imagesShape, "images")
        let y = try inputTensor(labels, labelsNdim, labelsShape, "labels")
        let (cut, mixed) = try box.locked { () throws -> (Tensor, Tensor) in
            let layer = try box.model.nestedLayer(path: name)
            guard let cutMix = layer as? CutMix else {
                throw ABIError(.invalidArgument, "layer '\(name)' is a \(layer.className), not a CutMix: only CutMix mixes labels by the area it pastes")
            }
            return try cutMix.call(images: x, labels: y, training: training != 0)
        }
        try copyOut(cut, outImages, imagesCapacity, nil, nil, "images")
        try copyOut(mixed, outLabels, labelsCapacity, nil, nil, "labels")
    }
}

/// Keras: `layer(images, training=...)` of an AugMix layer with the augmentations of its chains
/// chosen by the caller (Keras chooses them with Python's `random.choice`): `choices` holds
/// num_chains × chain_depth indices into its augmentations in Keras's order, -1 for None.
@_cdecl("keras_model_layer_aug_mix")
public func keras_model_layer_aug_mix(_ handle: OpaquePointer?, _ layerName: UnsafePointer<CChar>?,
                                      _ images: UnsafePointer<Float>?, _ imagesNdim: Int32, _ imagesShape: UnsafePointer<Int64>?,
                                      _ choices: UnsafePointer<Int32>?, _ choiceCount: Int32, _ training: Int32,
                                      _ out: UnsafeMutablePointer<Float>?, _ capacity: Int64) -> Int32 {
    guarded("keras_model_layer_aug_mix") {
        let box = try modelBox(handle)
        let name = try string(layerName, "layer_name")
        let x = try inputTensor(images, imagesNdim, imagesShape, "images")
        guard choiceCount >= 0, choiceCount <= 1 << 20, choiceCount == 0 || choices != nil else {
            throw ABIError(.invalidArgument, "choices: expected 0...\(1 << 20) entries and a pointer when there are any, got \(choiceCount)")
        }
        let picked = (0..<Int(choiceCount)).map { i -> Int? in
            guard let choices, choices[i] >= 0 else { return nil }
            return Int(choices[i])
        }
        let y = try box.locked { () throws -> Tensor in
            let layer = try box.model.nestedLayer(path: name)
            guard let augMix = layer as? AugMix else {
                throw ABIError(.invalidArgument, "layer '\(name)' is a \(layer.className), not an AugMix")
            }
            return try augMix.call(x, choices: picked, training: training != 0)
        }
        try copyOut(y, out, capacity, nil, nil, "out")
    }
}

/// `int (*)(void *user_data, int options, int count, int32_t *choices)`.
public typealias CAugMixChooserFn = @convention(c) (UnsafeMutableRawPointer?, Int32, Int32, UnsafeMutablePointer<Int32>?) -> Int32

/// Keras: AugMix chooses its chains' augmentations with Python's `random.choice` at every
/// training call, in fit too: `chooser` makes those choices for every AugMix layer of the model
/// (nested ones too) in the calls that are not given them (fit, train_on_batch); NULL gives the
/// choice back to the thread's generator.
@_cdecl("keras_model_set_aug_mix_chooser")
public func keras_model_set_aug_mix_chooser(_ handle: OpaquePointer?, _ chooser: CAugMixChooserFn?,
                                            _ userData: UnsafeMutableRawPointer?) -> Int32 {
    guarded("keras_model_set_aug_mix_chooser") {
        let box = try modelBox(handle)
        let context = UnsafeSendablePointer(userData)
        let choose: ((Int, Int) throws -> [Int?])? = chooser.map { fn in
            { (options: Int, count: Int) throws -> [Int?] in
                var picked = [Int32](repeating: -1, count: count)
                let status = picked.withUnsafeMutableBufferPointer { fn(context.pointer, Int32(options), Int32(count), $0.baseAddress) }
                guard status == 0 else {
                    throw KerasError.callbackFailed("AugMix: the chooser of its chains' augmentations failed with code \(status)")
                }
                return picked.map { $0 >= 0 ? Int($0) : nil }
            }
        }
        box.locked { for layer in augMixLayers(box.model.layers) { layer.chooser = choose } }
    }
}

/// The AugMix layers among `layers` and the layers they hold, at any depth.
private func augMixLayers(_ layers: [Layer]) -> [AugMix] {
    layers.flatMap { layer in ((layer as? AugMix).map { [$0] } ?? []) + augMixLayers(layer.sublayers) }
}
