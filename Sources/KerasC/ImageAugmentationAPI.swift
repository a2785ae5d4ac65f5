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
