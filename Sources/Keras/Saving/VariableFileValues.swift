/// A variable's value in its dtype, as a weights file holds it: float32, or the 32-bit integers
/// of an integer variable (Keras writes each variable in its dtype: a counter's `int32` dataset;
/// on jax an `int64` variable's int32 values, a `uint32` one's uint32).
/// Also what a callback keeps to put weights back (EarlyStopping's best weights).
enum VariableFileValue {
    case float32(Tensor)
    case int32([Int32])
}

extension HDF5Group {
    /// Writes `v`'s value as dataset `name`, in its dtype.
    func writeVariable(_ name: String, _ v: Variable) throws {
        switch v.dtype {
        case .float32: try writeTensor(name, v.storedValue)
        case .int32, .int64: try writeInt32s(name, shape: v.shape, v.integers)
        case .uint32: try writeInt32s(name, shape: v.shape, v.integers, unsigned: true)
        case .int8: try writeInt8s(name, shape: v.shape, v.integers)
        case .uint8: try writeInt8s(name, shape: v.shape, v.integers, unsigned: true)
        }
    }

    /// Reads dataset `name` for `v` (its shape checked), in `v`'s dtype: an integer variable
    /// reads an integer dataset exactly.
    func readVariable(_ name: String, for v: Variable) throws -> VariableFileValue {
        switch v.dtype {
        case .float32: return .float32(try readTensor(name, expected: v.shape))
        case .int32, .int64, .int8, .uint8: return .int32(try readInt32s(name, expected: v.shape))
        case .uint32: return .int32(try readInt32s(name, expected: v.shape, unsigned: true))
        }
    }
}

extension Variable {
    /// Takes a value kept for later (``exactValue``), copying it.
    func assign(_ value: VariableFileValue) throws {
        switch value {
        case .float32(let t): try assign(t)
        case .int32(let values): try assign(integers: values)
        }
    }

    /// Takes a value just read by ``HDF5Group/readVariable(_:for:)``, a float32 one without a
    /// copy (nothing else holds it).
    func assign(taking value: VariableFileValue) throws {
        switch value {
        case .float32(let t): try assign(taking: t)
        case .int32(let values): try assign(integers: values)
        }
    }
}

extension Variable {
    /// A copy of the current value in the variable's dtype (an integer variable's exactly).
    var exactValue: VariableFileValue { dtype.isInteger ? .int32(integers) : .float32(storedValue.copy()) }
}

extension Layer {
    /// Copies of the weights in their dtypes: ``getWeights()`` without float32's limit of 2^24 on
    /// an int32 counter, for ``setExactWeights(_:)`` later.
    func exactWeights() -> [VariableFileValue] { weights.map(\.exactValue) }

    /// Puts back weights from ``exactWeights()``; count and sizes must match (checked before
    /// anything changes).
    func setExactWeights(_ values: [VariableFileValue]) throws {
        let ws = weights
        guard values.count == ws.count else {
            throw KerasError.shapeMismatch("\(className) '\(name)': expected \(ws.count) weights, got \(values.count)")
        }
        for (w, v) in zip(ws, values) {
            let size: Int
            switch v {
            case .float32(let t):
                guard t.shape == w.shape else {
                    throw KerasError.shapeMismatch("\(className) '\(name)': weight '\(w.path)' has shape \(w.shape), got \(t.shape)")
                }
                continue
            case .int32(let values): size = values.count
            }
            guard size == w.shape.reduce(1, *) else {
                throw KerasError.shapeMismatch("\(className) '\(name)': weight '\(w.path)' has shape \(w.shape), got \(size) values")
            }
        }
        for (w, v) in zip(ws, values) { try w.assign(v) }
    }
}
