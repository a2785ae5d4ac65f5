/// A variable's value as a weights file holds it: float32, or int32 exactly for an int32
/// variable (Keras writes each variable in its dtype: a counter's `int32` dataset).
enum VariableFileValue {
    case float32(Tensor)
    case int32([Int32])
}

extension HDF5Group {
    /// Writes `v`'s value as dataset `name`, in its dtype.
    func writeVariable(_ name: String, _ v: Variable) throws {
        switch v.dtype {
        case .float32: try writeTensor(name, v.storedValue)
        case .int32: try writeInt32s(name, shape: v.shape, v.integers)
        }
    }

    /// Reads dataset `name` for `v` (its shape checked), in `v`'s dtype: an int32 variable reads
    /// an integer dataset exactly.
    func readVariable(_ name: String, for v: Variable) throws -> VariableFileValue {
        switch v.dtype {
        case .float32: return .float32(try readTensor(name, expected: v.shape))
        case .int32: return .int32(try readInt32s(name, expected: v.shape))
        }
    }
}

extension Variable {
    /// Takes a value read by ``HDF5Group/readVariable(_:for:)``.
    func assign(_ value: VariableFileValue) throws {
        switch value {
        case .float32(let t): try assign(t)
        case .int32(let values): try assign(integers: values)
        }
    }
}
