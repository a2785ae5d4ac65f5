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

