import Keras

// Exporting a model for other runtimes: ONNX.

/// The input specs of a JSON list `[{"name": ..., "shape": [null, 4], "dtype": "float32"}, ...]`
/// (each key optional, null meaning the model's).
private func onnxInputSignature(_ text: UnsafePointer<CChar>?) throws -> [ONNXInputSpec]? {
    guard text != nil else { return nil }
    let value = try json(text, "input_signature")
    if value.isNull { return nil }
    guard let list = value.arrayValue else { throw ABIError(.invalidArgument, "input_signature must be a JSON list of objects") }
    return try list.enumerated().map { i, entry in
        guard entry.objectValue != nil else { throw ABIError(.invalidArgument, "input_signature[\(i)] must be an object, got \(entry)") }
        var spec = ONNXInputSpec()
        if let name = entry["name"], !name.isNull {
            guard let s = name.stringValue, !s.isEmpty else { throw ABIError(.invalidArgument, "input_signature[\(i)].name must be a non-empty string, got \(name)") }
            spec.name = s
        }
        if let dtype = entry["dtype"], !dtype.isNull {
            guard let s = dtype.stringValue else { throw ABIError(.invalidArgument, "input_signature[\(i)].dtype must be a string, got \(dtype)") }
            spec.dtype = s
        }
        if let shape = entry["shape"], !shape.isNull {
            guard let dims = shape.arrayValue else { throw ABIError(.invalidArgument, "input_signature[\(i)].shape must be a list, got \(shape)") }
            spec.shape = try dims.map { d -> Int? in
                if d.isNull { return nil }
                guard let n = d.intValue, n >= 0 else { throw ABIError(.invalidArgument, "input_signature[\(i)].shape has \(d); dimensions are non-negative integers or null") }
                return n
            }
        }
        return spec
    }
}

/// Writes the model's inference graph as an ONNX file (Keras: `model.export(path, format="onnx")`).
@_cdecl("keras_model_export_onnx")
public func keras_model_export_onnx(_ handle: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ opsetVersion: Int32,
                                    _ inputSignature: UnsafePointer<CChar>?) -> Int32 {
    guardedModelFile("keras_model_export_onnx", handle, path) { model, p in
        try model.exportONNX(p, opsetVersion: opsetVersion == 0 ? nil : Int(opsetVersion),
                             inputSignature: try onnxInputSignature(inputSignature))
    }
}
