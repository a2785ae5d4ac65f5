/// A penalty added to the loss for a weight or an activity. Keras: `keras.regularizers`.
public protocol Regularizer {
    var className: String { get }
    var config: JSON { get }
    /// The penalty as a differentiable scalar.
    func callAsFunction(_ x: Tensor) throws -> Tensor
}

extension Regularizer {
    public var serialized: JSON {
        ["module": "keras.regularizers", "class_name": .string(className), "config": config, "registered_name": nil]
    }
}

/// `l1 * sum(|x|) + l2 * sum(x²)`. Keras: `L1L2`, `L1`, `L2`.
public struct L1L2: Regularizer {
    public var l1: Float, l2: Float
    public init(l1: Float = 0, l2: Float = 0) throws {
        guard l1 >= 0, l2 >= 0, l1.isFinite, l2.isFinite else {
            throw KerasError.invalidArgument("L1L2(l1: \(l1), l2: \(l2)): factors must be finite and not negative")
        }
        self.l1 = l1; self.l2 = l2
    }
    public static func l1(_ f: Float = 0.01) throws -> L1L2 { try L1L2(l1: f) }
    public static func l2(_ f: Float = 0.01) throws -> L1L2 { try L1L2(l2: f) }

    public var className: String { l1 != 0 && l2 != 0 ? "L1L2" : (l1 != 0 ? "L1" : (l2 != 0 ? "L2" : "L1L2")) }
    public var config: JSON {
        switch className {
        case "L1": return ["l1": .double(Double(l1))]
        case "L2": return ["l2": .double(Double(l2))]
        default: return ["l1": .double(Double(l1)), "l2": .double(Double(l2))]
        }
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var total = Tensor(0)
        if l1 != 0 { total = try total + (try Ops.sum(Ops.abs(x)) * l1) }
        if l2 != 0 { total = try total + (try Ops.sum(Ops.square(x)) * l2) }
        return total
    }
}
