/// One `keras.ops` operation applied to symbolic tensors inside a functional graph, as Keras 3
/// records it in a model's config (`{"module": "keras.src.ops.numpy", "class_name": "NotEqual",
/// "config": {"name": "not_equal"}, "registered_name": "NotEqual", "inbound_nodes": [{"args":
/// [tensor, 0], ...}]}`). Keras writes such nodes for a `keras.ops` call or a tensor operator
/// between layers: `x + 3.0`, `1.0 - x`, `x * 0.5`, `x / 6` (`Add`, `Subtract`, `Multiply`,
/// `TrueDivide`; MobileNetV3's hard sigmoid `ReLU(6.0)(x + 3.0) * (1.0 / 6.0)` is two of them),
/// and for the ops a layer's `compute_mask` does on symbolic tensors (Embedding(mask_zero=True)'s
/// `not_equal(inputs, 0)`, Masking's `any(...)`), whose result the layers after it get as their
/// `mask=` (``GraphNode/masks``). The node's arguments hold its numbers, in either order
/// (``callArguments``); they are written back as read (an integer stays one).
///
/// Its call is a one-op ``OpGraph`` over the node's tensors and constants, its gradient the op's;
/// the ops Keras writes for masks that the graph has no native form of (`any`, `all`,
/// `logical_or`, ...) are composed of native ones on 0/1 values, the library's form of booleans.
/// Keras lists layers, not operations, in `model.layers`: ``Model/layers`` leaves it out, and
/// the summary lists it in its place among them (Keras's `model._operations`).
public final class OperationLayer: Layer, @unchecked Sendable {
    /// Keras's module of the operation's class (`keras.src.ops.numpy`), written back as read.
    public let module: String
    private let operationClass: String
    /// The operation's own arguments as its config gives them (`axis`, `keepdims`), with `name`.
    private let operationConfig: JSON
    /// The node's `{"args": [...], "kwargs": {...}}` with the tensors in place: where its
    /// constants (the `0` of `not_equal(x, 0)`) stand among them.
    var callArguments: JSON?
    private var graph: OpGraph?

    /// Whether a layer entry of a config is a Keras operation rather than a layer.
    static func isOperation(_ entry: JSON) -> Bool {
        entry["module"]?.stringValue?.hasPrefix("keras.src.ops.") ?? false
    }

    /// The module of Keras's numpy-like operation classes (`Add`, `NotEqual`, ...).
    public static let numpyModule = "keras.src.ops.numpy"

    init(module: String, className: String, config: JSON) {
        self.module = module
        operationClass = className
        operationConfig = config
        super.init(name: config["name"]?.stringValue ?? LayerNames.unique(for: Layer.defaultName(of: className)))
    }

    /// Keras's operation `className` of `keras.src.ops.numpy` called on one tensor and numbers:
    /// `arguments` are the call's positional arguments, nil standing for the tensor.
    /// `OperationLayer("Subtract", arguments: [1.0, nil])` is Keras's `1.0 - x`, and
    /// `OperationLayer("Add", arguments: [nil, 3.0])` its `x + 3.0`.
    public convenience init(_ className: String, arguments: [JSON?], name: String? = nil) {
        self.init(module: Self.numpyModule, className: className,
                  config: ["name": .string(name ?? LayerNames.unique(for: Layer.defaultName(of: className)))])
        callArguments = ["args": .array(arguments.map { $0 ?? Self.tensorArgument }), "kwargs": .object([])]
    }

    /// A tensor's place among a node's arguments.
    private static let tensorArgument: JSON = ["class_name": "__keras_tensor__"]

    /// Takes the arguments of a node read from a config (its first node's; a later node must
    /// give the same numbers).
    func takeNodeArguments(_ given: JSON?) throws {
        guard let held = callArguments else {
            callArguments = given
            return
        }
        func blanked(_ j: JSON) -> JSON {   // the arguments with each tensor as null
            if j["class_name"]?.stringValue == "__keras_tensor__" { return .null }
            switch j {
            case .array(let a): return .array(a.map(blanked))
            case .object(let o): return .object(o.map { ($0.0, blanked($0.1)) })
            default: return j
            }
        }
        guard blanked(held) == blanked(given ?? .null) else {
            throw KerasError.io("Functional config: operation \(operationClass) '\(name)' is called twice with different arguments (\((given ?? .null).description.prefix(120)))")
        }
    }

    public override var className: String { operationClass }

    /// The op's `keras.ops` name: `NotEqual` is `not_equal`.
    var opName: String {
        var out = ""
        for (i, c) in operationClass.enumerated() {
            if c.isUppercase, i > 0 { out.append("_") }
            out.append(contentsOf: c.lowercased())
        }
        return out
    }

    public override func getConfig() -> JSON {
        var c = operationConfig
        c.set("name", .string(name))
        return c
    }

    /// The operation's arguments: its config's, then the call's keywords (`axis` of `any`).
    var operationArguments: JSON {
        var a = operationConfig
        for (k, v) in callArguments?["kwargs"]?.objectValue ?? [] { a.set(k, v) }
        return a
    }

    public override func build(_ inputShape: [Int?]) throws { try build(shapes: [inputShape]) }

    public override func build(shapes: [[Int?]]) throws {
        let g = OpGraph.separateInputs(shapes, weightValue: { [operationClass] i in
            throw KerasError.invalidState("operation \(operationClass) has no weight \(i)")
        })
        var next = 0
        var operands: [Int] = []
        func operand(_ v: JSON, depth: Int) throws {
            if v["class_name"]?.stringValue == "__keras_tensor__" {
                operands.append(try g.addInput(at: next))
                next += 1
            } else if let kind = v["class_name"]?.stringValue, kind == "__tensor__" || kind == "__numpy__" {
                // An array among the arguments (Keras: `x + embedding(ops.arange(n))` on a
                // layer output, the array computed when the graph was made).
                guard let value = v["config"]?["value"] else {
                    throw KerasError.invalidArgument("\(operationClass) '\(name)': the array argument has no config.value, got \(v.description.prefix(60))")
                }
                operands.append(try g.addConstant(try Tensor(nested: value, what: "\(operationClass) '\(name)': an array argument")))
            } else if let list = v.arrayValue, depth == 0 {
                for x in list { try operand(x, depth: 1) }
            } else if let b = v.boolValue {
                operands.append(try g.addConstant(Tensor(b ? 1 : 0)))
            } else if let d = v.doubleValue {
                operands.append(try g.addConstant(Tensor(Float(d))))
            } else if !v.isNull {
                throw KerasError.invalidArgument("\(operationClass) '\(name)': an argument \(v.description.prefix(60)) is neither a tensor nor a number")
            }
        }
        if let args = callArguments?["args"]?.arrayValue {
            for a in args { try operand(a, depth: 0) }
        } else {
            operands = try shapes.indices.map { try g.addInput(at: $0) }
        }
        let out: Int
        do {
            out = try Self.addOperation(opName, operands, operationArguments, to: g)
            try g.setOutput(out, training: nil)
        } catch let e as KerasError {
            throw KerasError.invalidArgument("\(operationClass) '\(name)': \(e.message)")
        }
        g.finish()
        graph = g
    }

    /// `name` over `operands` in `graph`: natively, or composed for the boolean ops on 0/1 values.
    private static func addOperation(_ name: String, _ operands: [Int], _ attributes: JSON, to g: OpGraph) throws -> Int {
        // (booleans and integers are 0/1 and whole float32 values here: no dtype)
        let a = JSON.object((attributes.objectValue ?? []).filter { $0.0 != "name" && $0.0 != "dtype" })
        func truth(_ i: Int) throws -> Int { try g.addOp("not_equal", [i, try g.addConstant(Tensor(0))], attributes: [:]) }
        func need(_ n: Int) throws {
            guard operands.count == n else {
                throw KerasError.invalidArgument("op '\(name)' takes \(n) tensor argument\(n == 1 ? "" : "s"), got \(operands.count)")
            }
        }
        switch name {
        case "any", "all":
            try need(1)
            return try g.addOp(name == "any" ? "max" : "min", [truth(operands[0])], attributes: a)
        case "logical_or", "logical_and":
            try need(2)
            return try g.addOp(name == "logical_or" ? "maximum" : "minimum", [truth(operands[0]), truth(operands[1])], attributes: [:])
        case "logical_not":
            try need(1)
            return try g.addOp("equal", [operands[0], try g.addConstant(Tensor(0))], attributes: [:])
        default:
            return try g.addOp(name, operands, attributes: a)
        }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try computeOutputShape(shapes: [inputShape])
    }

    public override func computeOutputShape(shapes: [[Int?]]) throws -> [Int?] {
        if graph == nil { try build(shapes: shapes) }
        guard let graph else { throw KerasError.invalidState("\(operationClass) '\(name)' is not built") }
        return graph.outputShape
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { try call([inputs], training: training) }

    public override func call(_ inputs: [Tensor], training: Bool) throws -> Tensor {
        guard let graph else { throw KerasError.invalidState("\(operationClass) '\(name)' is not built") }
        return try graph.runWithLosses(inputs, weights: [], training: training).output
    }

    /// An operation's result carries no mask (Keras's ops set none).
    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] { [nil] }
    public override func computeMask(_ inputs: Tensor, mask: Tensor?) throws -> Tensor? { nil }
}
