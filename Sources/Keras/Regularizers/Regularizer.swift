/// A penalty added to the loss for a weight or an activity. Keras: `keras.regularizers`.
///
/// Conform a type for a custom regularizer, or wrap a closure in ``RegularizerFunction``.
public protocol Regularizer {
    var className: String { get }
    var config: JSON { get }
    /// The penalty as a differentiable scalar.
    func callAsFunction(_ x: Tensor) throws -> Tensor
    /// Keras's serialized form, `{"module", "class_name", "config", "registered_name"}`.
    var serialized: JSON { get }
}

extension Regularizer {
    public var serialized: JSON {
        ["module": "keras.regularizers", "class_name": .string(className), "config": config, "registered_name": nil]
    }
}

/// `l1 * sum(|x|) + l2 * sum(x²)`. Keras: `L1L2(l1=0.0, l2=0.0)`; its config, as Keras's, keeps
/// both factors whichever are zero.
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

    public var className: String { "L1L2" }
    public var config: JSON { ["l1": .double(Double(l1)), "l2": .double(Double(l2))] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var total = Tensor(0)
        if l1 != 0 { total = try total + (try Ops.sum(Ops.abs(x)) * l1) }
        if l2 != 0 { total = try total + (try Ops.sum(Ops.square(x)) * l2) }
        return total
    }
}

/// `l1 * sum(|x|)`. Keras: `keras.regularizers.L1(l1=0.01)` (`"l1"`).
public struct L1: Regularizer {
    public var l1: Float
    public init(_ l1: Float = 0.01) throws {
        guard l1 >= 0, l1.isFinite else { throw KerasError.invalidArgument("L1(l1: \(l1)): must be a finite number >= 0") }
        self.l1 = l1
    }
    public var className: String { "L1" }
    public var config: JSON { ["l1": .double(Double(l1))] }
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try Ops.sum(Ops.abs(x)) * l1 }
}

/// `l2 * sum(x²)`. Keras: `keras.regularizers.L2(l2=0.01)` (`"l2"`).
public struct L2: Regularizer {
    public var l2: Float
    public init(_ l2: Float = 0.01) throws {
        guard l2 >= 0, l2.isFinite else { throw KerasError.invalidArgument("L2(l2: \(l2)): must be a finite number >= 0") }
        self.l2 = l2
    }
    public var className: String { "L2" }
    public var config: JSON { ["l2": .double(Double(l2))] }
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try Ops.sum(Ops.square(x)) * l2 }
}

/// A custom regularizer from a closure over differentiable ops.
///
/// ```swift
/// let sparse = RegularizerFunction("sparse") { w in try Ops.sum(Ops.abs(w)) * 1e-3 }
/// ```
public struct RegularizerFunction: Regularizer {
    public let name: String
    let body: (Tensor) throws -> Tensor
    public init(_ name: String, _ body: @escaping (Tensor) throws -> Tensor) { self.name = name; self.body = body }
    public var className: String { name }
    public var config: JSON { [:] }
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let p = try body(x)
        guard p.count == 1 else {
            throw KerasError.shapeMismatch("Regularizer '\(name)' must return a scalar penalty, got shape \(p.shape)")
        }
        return p.rank == 0 ? p : try Ops.reshape(p, [])
    }
}
