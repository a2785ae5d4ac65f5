/// Collects the nodes and initializers of an ONNX graph as a model's layers are converted, and
/// writes the operators whose form changes between opsets in the form of the target opset.
final class ONNXGraphBuilder {
    let opset: Int
    private(set) var nodes: [ONNXNode] = []
    private(set) var initializers: [ONNXTensor] = []
    /// The element type of every value that is not float32 (graph inputs of integer dtypes).
    private var integerValues: [String: ONNXDataType] = [:]
    private var usedNames: Set<String> = []
    /// The rank of each mask value (to spread it over the inputs it masks).
    private var ranks: [String: Int] = [:]

    init(opset: Int) { self.opset = opset }

    /// `base`, or `base_1`, `base_2`, ... if taken: node, value and initializer names are unique.
    func uniqueName(_ base: String) -> String {
        var name = base, n = 0
        while usedNames.contains(name) { n += 1; name = "\(base)_\(n)" }
        usedNames.insert(name)
        return name
    }

    /// Reserves a name that must appear as given (a graph input or output).
    func reserve(_ name: String) { usedNames.insert(name) }

    func setType(_ value: String, _ type: ONNXDataType) {
        if type != .float { integerValues[value] = type } else { integerValues[value] = nil }
    }

    func type(of value: String) -> ONNXDataType { integerValues[value] ?? .float }

    func setRank(_ value: String, _ rank: Int) { ranks[value] = rank }

    /// The rank recorded for a value (masks), nil if none was.
    func rank(of value: String) -> Int? { ranks[value] }

    /// Adds a node of `opType` under `scope` (the layer's name); returns its output names.
    @discardableResult
    func op(_ opType: String, _ inputs: [String], scope: String, outputs: Int = 1,
            _ attributes: [(String, ONNXAttributeValue)] = []) -> [String] {
        let name = uniqueName("\(scope)/\(opType)")
        let outs = (0..<outputs).map { uniqueName(outputs == 1 ? "\(name):0" : "\(name):\($0)") }
        nodes.append(ONNXNode(opType, inputs: inputs, outputs: outs, name: name, attributes: attributes))
        return outs
    }

    /// A node with one output.
    func op1(_ opType: String, _ inputs: [String], scope: String, _ attributes: [(String, ONNXAttributeValue)] = []) -> String {
        op(opType, inputs, scope: scope, attributes)[0]
    }

    /// A node whose single output has a given name (a graph output).
    func named(_ opType: String, _ inputs: [String], output: String, scope: String) {
        nodes.append(ONNXNode(opType, inputs: inputs, outputs: [output], name: uniqueName("\(scope)/\(opType)")))
    }

    /// A float32 initializer.
    func constant(_ name: String, _ values: [Float], shape: [Int]) -> String {
        let unique = uniqueName(name)
        initializers.append(ONNXTensor(name: unique, dims: shape, floats: values))
        return unique
    }

    /// A float32 scalar initializer.
    func scalar(_ name: String, _ value: Float) -> String { constant(name, [value], shape: []) }

    /// An int64 initializer (shapes, axes), 1-D unless `shape` is given (`[]`: a scalar).
    func int64s(_ name: String, _ values: [Int], shape: [Int]? = nil) -> String {
        let unique = uniqueName(name)
        initializers.append(ONNXTensor(name: unique, dims: shape ?? [values.count], int64s: values))
        setType(unique, .int64)
        return unique
    }

    /// A tensor's values as an initializer.
    func constant(_ name: String, _ t: Tensor) -> String { constant(name, t.scalars, shape: t.shape) }

    /// `x` as float32 (Keras casts a layer's inputs to its compute dtype).
    func float(_ x: String, scope: String) -> String {
        guard type(of: x) != .float else { return x }
        return cast(x, to: .float, scope: scope)
    }

    /// `x` as int64 indices.
    func indices(_ x: String, scope: String) -> String {
        guard type(of: x) != .int64 else { return x }
        return cast(x, to: .int64, scope: scope)
    }

    func transpose(_ x: String, _ perm: [Int], scope: String) -> String {
        op1("Transpose", [x], scope: scope, [("perm", .ints(perm))])
    }

    func squeeze(_ x: String, axes: [Int], scope: String) -> String {
        op1("Squeeze", [x, int64s("\(scope)/axes", axes)], scope: scope)
    }

    func unsqueeze(_ x: String, axes: [Int], scope: String) -> String {
        op1("Unsqueeze", [x, int64s("\(scope)/axes", axes)], scope: scope)
    }

    /// `x[starts:ends:steps]` along `axes` (ends past the size clamp, as in numpy).
    func slice(_ x: String, starts: [Int], ends: [Int], axes: [Int], steps: [Int]? = nil, scope: String) -> String {
        var ins = [x, int64s("\(scope)/starts", starts), int64s("\(scope)/ends", ends), int64s("\(scope)/axes", axes)]
        if let steps { ins.append(int64s("\(scope)/steps", steps)) }
        return op1("Slice", ins, scope: scope)
    }

    /// The size of `x`'s axis `axis` as the graph runs (the batch's too): a 1-D int64 of one element.
    func axisSize(_ x: String, axis: Int, scope: String) -> String {
        slice(op1("Shape", [x], scope: scope), starts: [axis], ends: [axis == -1 ? Int(Int64.max) : axis + 1], axes: [0], scope: scope)
    }

    /// `x` as `type` (the value's type is recorded).
    func cast(_ x: String, to type: ONNXDataType, scope: String) -> String {
        let y = op1("Cast", [x], scope: scope, [("to", .int(type.rawValue))])
        setType(y, type)
        return y
    }

    /// ReduceMean / ReduceMax / ReduceSum over `axes`: the axes are an attribute before opset 18
    /// (13 for ReduceSum) and an input from then on.
    func reduce(_ opType: String, _ x: String, axes: [Int], keepdims: Bool, scope: String) -> String {
        let inputForm = opType == "ReduceSum" ? opset >= 13 : opset >= 18
        if inputForm {
            return op1(opType, [x, int64s("\(scope)/axes", axes)], scope: scope, [("keepdims", .int(keepdims ? 1 : 0))])
        }
        return op1(opType, [x], scope: scope, [("axes", .ints(axes)), ("keepdims", .int(keepdims ? 1 : 0))])
    }

    /// Clip between bounds (inputs since opset 11; an empty name leaves a side open).
    func clip(_ x: String, min: Float?, max: Float?, scope: String) -> String {
        let lo = min.map { scalar("\(scope)/min", $0) } ?? ""
        let hi = max.map { scalar("\(scope)/max", $0) } ?? ""
        return op1("Clip", hi.isEmpty ? [x, lo] : [x, lo, hi], scope: scope)
    }
}
