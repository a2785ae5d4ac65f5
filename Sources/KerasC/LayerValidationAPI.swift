import Keras

/// Checks a layer's constructor arguments as Keras's constructor does (see keras.h): what the
/// Python classes ask when a layer is made, so that the checks are the library's declarations'.
@_cdecl("keras_layer_validate_config")
public func keras_layer_validate_config(_ layerJSON: UnsafePointer<CChar>?, _ typeError: UnsafeMutablePointer<Int32>?) -> Int32 {
    typeError?.pointee = 0
    return guarded("keras_layer_validate_config") {
        let entry = try json(layerJSON, "layer_json")
        guard entry["class_name"]?.stringValue != nil else {
            throw ABIError(.invalidArgument, "layer_json needs a \"class_name\" string, got \(entry.description.prefix(80))")
        }
        do {
            try validateLayerArguments(entry)
        } catch let e as KerasError where ErrorKind(of: e) == .type {
            typeError?.pointee = 1
            throw e
        } catch KerasError.io(let message) {
            // (a config value of the wrong kind, which loading reports as a file it cannot read)
            throw ABIError(.invalidArgument, message)
        }
    }
}
