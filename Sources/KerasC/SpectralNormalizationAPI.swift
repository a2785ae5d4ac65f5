import Keras

/// Keras: `model.get_layer(name).normalized_weights()` of a SpectralNormalization layer: its new
/// `vector_u` into `vector_u` (u_capacity floats) and its normalized kernel into `kernel`
/// (kernel_capacity floats), neither assigned.
@_cdecl("keras_model_layer_normalized_weights")
public func keras_model_layer_normalized_weights(_ handle: OpaquePointer?, _ layerName: UnsafePointer<CChar>?,
                                                 _ vectorU: UnsafeMutablePointer<Float>?, _ uCapacity: Int64,
                                                 _ kernel: UnsafeMutablePointer<Float>?, _ kernelCapacity: Int64) -> Int32 {
    guarded("keras_model_layer_normalized_weights") {
        let box = try modelBox(handle)
        let name = try string(layerName, "layer_name")
        let (u, k) = try box.locked { () throws -> (Tensor, Tensor) in
            let layer = try box.model.nestedLayer(path: name)
            guard let spectral = layer as? SpectralNormalization else {
                throw ABIError(.invalidArgument, "'\(layer.className)' object has no attribute 'normalized_weights' (layer '\(name)' is not a SpectralNormalization)")
            }
            return try spectral.normalizedWeights()
        }
        try copyOut(u, vectorU, uCapacity, nil, nil, "vector_u")
        try copyOut(k, kernel, kernelCapacity, nil, nil, "kernel")
    }
}
