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

/// Writes into `out` the float32 values that stand for the `n` UTF-8 strings (a string tensor).
@_cdecl("keras_strings_encode")
public func keras_strings_encode(_ strings: UnsafePointer<UnsafePointer<CChar>?>?, _ n: Int64,
                                 _ out: UnsafeMutablePointer<Float>?) -> Int32 {
    guarded("keras_strings_encode") {
        guard n >= 0 else { throw ABIError(.invalidArgument, "n is negative (\(n))") }
        guard n > 0 else { return }
        guard let strings else { throw ABIError(.invalidArgument, "strings is NULL") }
        let out = try requireOut(out, "out")
        for i in 0..<Int(n) {
            guard let s = strings[i] else { throw ABIError(.invalidArgument, "strings[\(i)] is NULL") }
            guard let text = String(validatingCString: s) else { throw ABIError(.data, "strings[\(i)] is not valid UTF-8") }
            out[i] = try StringValues.encode(text)
        }
    }
}

/// The strings the `n` values stand for, as a JSON list (null at a number); caller-owned.
@_cdecl("keras_strings_decode")
public func keras_strings_decode(_ values: UnsafePointer<Float>?, _ n: Int64,
                                 _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    guarded("keras_strings_decode") {
        let out = try requireOut(out, "out")
        out.pointee = nil
        guard n >= 0 else { throw ABIError(.invalidArgument, "n is negative (\(n))") }
        guard n == 0 || values != nil else { throw ABIError(.invalidArgument, "values is NULL") }
        let list = (0..<Int(n)).map { i -> JSON in StringValues.decode(values?[i] ?? 0).map { .string($0) } ?? .null }
        out.pointee = try ownedCString(JSON.array(list).description)
    }
}
