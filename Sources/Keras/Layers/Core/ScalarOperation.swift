/// A Keras 3 operation between a layer output and a number inside a functional model — `x + 3.0`,
/// `x * (1.0 / 6.0)`, `1.0 - x` — kept as Keras keeps it: one node of the graph whose class is
/// the operation's (`Add`, `Subtract`, `Multiply`, `Divide`, `TrueDivide` of
/// `keras.src.ops.numpy`), whose config is `{"name"}` and whose number is one of the node's
/// arguments (`{"args": [<tensor>, 3.0]}`). It has no weights and is not one of Keras's
/// `model.layers`, but the summary lists it. MobileNetV3's hard sigmoid,
/// `ReLU(6.0)(x + 3.0) * (1.0 / 6.0)`, is two of them.
/// Keras: `keras.src.ops.numpy.Add` (and the others) called on a symbolic tensor.
public final class ScalarOperation: Layer, @unchecked Sendable {
    /// The operation, named as Keras's class.
    public enum Operator: String, CaseIterable, Sendable {
        case add = "Add", subtract = "Subtract", multiply = "Multiply", divide = "Divide", trueDivide = "TrueDivide"
    }

    /// The module Keras's operation classes live in, as configs name it.
    public static let module = "keras.src.ops.numpy"

    public let op: Operator
    /// The number as the node gives it (an integer stays one, as Keras writes it back); nil for
    /// an operation read from a config until its node is read.
    private var number: JSON?
    /// Whether the number is the first argument (`1.0 - x`) rather than the second (`x - 1.0`).
    public private(set) var constantFirst: Bool

    /// The number.
    public var constant: Double? { number?.doubleValue }

    public init(_ op: Operator, constant: Double? = nil, constantFirst: Bool = false, name: String? = nil) {
        self.op = op
        self.number = constant.map { .double($0) }
        self.constantFirst = constantFirst
        super.init(name: name ?? LayerNames.unique(for: Layer.defaultName(of: op.rawValue)))
        supportsMasking = true
    }

    public override var className: String { op.rawValue }

    /// The tensor and the number are separate positional arguments of the call.
    public override var takesPositionalInputs: Bool { true }

    /// Keras's config of an operation: its name only.
    public override func getConfig() -> JSON { ["name": .string(name)] }

    /// The layer's entry in a model config, as Keras writes an operation: no `build_config`.
    var serialized: JSON {
        ["module": .string(Self.module), "class_name": .string(className), "config": getConfig(),
         "registered_name": .string(className)]
    }

    /// The node's arguments with `tensor` in its place.
    func nodeArguments(_ tensor: JSON) -> JSON {
        let value = number ?? .null
        return ["args": .array(constantFirst ? [value, tensor] : [tensor, value]), "kwargs": .object([])]
    }

    /// Takes the number from a node's arguments read from a config: `[tensor, number]` or
    /// `[number, tensor]`; a second call must give the same.
    func takeNodeArguments(_ node: JSON?) throws {
        let args = node?["args"]?.arrayValue ?? []
        let isTensor = { (j: JSON) in j["class_name"]?.stringValue == "__keras_tensor__" }
        guard args.count == 2, isTensor(args[0]) != isTensor(args[1]),
              case let given = isTensor(args[0]) ? args[1] : args[0], let value = given.doubleValue else {
            throw KerasError.io("Functional config: operation \(className) '\(name)' must be called on one tensor and one number, got \((node?["args"] ?? .null).description.prefix(120))")
        }
        let first = !isTensor(args[0])
        if let constant, constant != value || constantFirst != first {
            throw KerasError.io("Functional config: operation \(className) '\(name)' is called twice with different numbers")
        }
        number = given
        constantFirst = first
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard let constant else {
            throw KerasError.invalidState("\(className) '\(name)': the operation has no number (its node in a functional config gives it)")
        }
        let c = Float(constant)
        switch (op, constantFirst) {
        case (.add, _): return Ops.affine(inputs, scale: 1, offset: c)
        case (.multiply, _): return Ops.affine(inputs, scale: c)
        case (.subtract, false): return Ops.affine(inputs, scale: 1, offset: -c)
        case (.subtract, true): return Ops.affine(inputs, scale: -1, offset: c)
        case (.divide, false), (.trueDivide, false): return Ops.unary(inputs, { $0 / c }, { _, _, g in g / c })
        case (.divide, true), (.trueDivide, true): return Ops.unary(inputs, { c / $0 }, { x, _, g in -g * c / (x * x) })
        }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] { inputShape }
}
