import Keras

/// Adapts the preprocessing layer named `layer_name` of the model to `x`.
@_cdecl("keras_model_adapt")
public func keras_model_adapt(_ handle: OpaquePointer?, _ layerName: UnsafePointer<CChar>?,
                              _ x: UnsafePointer<Float>?, _ xNdim: Int32, _ xShape: UnsafePointer<Int64>?) -> Int32 {
    guardedLoop("keras_model_adapt") {
        let box = try modelBox(handle)
        let name = try string(layerName, "layer_name")
        let xt = try inputTensor(x, xNdim, xShape, "x")
        try box.locked { try box.model.adaptLayer(name: name, xt) }
    }
}
