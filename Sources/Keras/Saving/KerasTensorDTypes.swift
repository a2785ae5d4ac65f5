/// The dtype Keras 3 gives a layer's symbolic output, which a functional config writes in every
/// `__keras_tensor__` entry (`{"shape": [null, 5], "dtype": "int32", "keras_history": [...]}`):
/// an input's declared dtype (`keras.Input(shape=(5,), dtype="int32")`); the same dtype through
/// the layers that only move values (Reshape, Flatten, Permute, Identity); `bool` for the mask
/// ops Keras writes as nodes (`not_equal`, `any`, `logical_or`); the integer indices of the
/// lookup layers in `output_mode="int"` (`int64`; Discretization's `int32`); float32 (the
/// layers' compute dtype) for every other layer. Values here are float32 whatever the dtype:
/// this is what configs say, not how the library holds them.
func kerasOutputDType(of layer: Layer, inputs: [String]) -> String {
    let first = inputs.first ?? "float32"
    switch layer {
    case let input as InputLayer:
        return input.dtype
    case is Reshape, is Flatten, is Permute, is IdentityLayer:
        return first
    case let op as OperationLayer:
        return op.outputDType(inputs: inputs)
    default:
        break
    }
    switch layer.className {
    case "StringLookup", "IntegerLookup", "TextVectorization", "Hashing", "HashedCrossing":
        return layer.getConfig()["output_mode"]?.stringValue == "int" ? "int64" : "float32"
    case "Discretization":
        return layer.getConfig()["output_mode"]?.stringValue == "int" ? "int32" : "float32"
    default:
        return "float32"
    }
}

/// Whether a Keras dtype name is an integer one (`int32`, `uint8`, ...).
func isInteger(_ dtype: String) -> Bool { dtype.hasPrefix("int") || dtype.hasPrefix("uint") }

extension OperationLayer {
    /// The ops whose result is boolean (Keras's comparisons and logical ops).
    private static let booleanOps: Set<String> = [
        "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
        "logical_or", "logical_not", "logical_xor", "any", "all", "isnan", "isinf", "isfinite", "isclose"]

    /// The dtype of the operation's result for inputs of `inputs`: boolean for comparisons and
    /// logical ops, the `dtype` its config names (`zeros_like(x, dtype="bool")`, `cast`), int32
    /// for argmax/argmin, float32 for a true division or a float among its numbers (`x / 6`,
    /// `x + 3.0`; `x + 3` keeps an integer input's dtype), else Keras's promotion of its tensors'
    /// dtypes (any float: float32; integers: the widest; all boolean: bool).
    func outputDType(inputs: [String]) -> String {
        if Self.booleanOps.contains(opName) { return "bool" }
        if let named = getConfig()["dtype"]?.stringValue { return named }
        if opName == "argmax" || opName == "argmin" { return "int32" }
        if opName == "divide" || opName == "true_divide" { return "float32" }
        let numbers = callArguments?["args"]?.arrayValue ?? []
        if numbers.contains(where: { if case .double = $0 { return true } else { return false } }) { return "float32" }
        if inputs.isEmpty || inputs.contains(where: { !isInteger($0) && $0 != "bool" }) { return "float32" }
        let integers = inputs.filter(isInteger)
        if integers.isEmpty { return "bool" }
        return Set(integers).count == 1 ? integers[0] : integers.contains("int64") ? "int64" : "int32"
    }
}
