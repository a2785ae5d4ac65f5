import Keras

/// Quantizes the model's Dense, EinsumDense and Embedding layers in place (Keras:
/// `model.quantize(mode)`): their kernels become int8 weights with per-channel scales (`"int8"`),
/// or packed int4 ones (`"int4"`, `"int4/<block_size>"`). Writes
/// the class names of the leaf layers left as they are (Keras warns for each) as a JSON list.
/// `layers_json`: a JSON list of the names of the layers to quantize (Keras's `filters`), or
/// NULL for all.
@_cdecl("keras_model_quantize")
public func keras_model_quantize(_ handle: OpaquePointer?, _ mode: UnsafePointer<CChar>?,
                                 _ layersJSON: UnsafePointer<CChar>?,
                                 _ skipped: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_model_quantize") {
        let out = try requireOut(skipped, "skipped")
        out.pointee = nil
        let box = try modelBox(handle)
        let quantization = try QuantizationMode(named: try string(mode, "mode"))
        var only: Set<String>?
        if layersJSON != nil {
            guard let list = try json(layersJSON, "layers_json").arrayValue else {
                throw ABIError(.invalidArgument, "layers_json must be a JSON list of layer names")
            }
            only = Set(try list.map { v -> String in
                guard let n = v.stringValue else { throw ABIError(.invalidArgument, "layers_json: a layer name must be a string, got \(v)") }
                return n
            })
        }
        let names = try box.locked { try box.model.quantize(quantization, only: only) }
        out.pointee = try ownedCString(JSON.array(names.map { JSON.string($0) }).description)
    }
}
