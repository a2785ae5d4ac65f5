/// Projects a weight after each optimizer update. Keras: `keras.constraints`.
public protocol Constraint {
    var className: String { get }
    var config: JSON { get }
    /// Rewrites the weight in place.
    func apply(_ w: Variable)
}

extension Constraint {
    public var serialized: JSON {
        ["module": "keras.constraints", "class_name": .string(className), "config": config, "registered_name": nil]
    }
}

/// Clips weights below zero. Keras: `NonNeg`.
public struct NonNeg: Constraint {
    public init() {}
    public var className: String { "NonNeg" }
    public var config: JSON { [:] }
    public func apply(_ w: Variable) {
        let p = w.mutableData
        for i in 0..<w.storedValue.count where p[i] < 0 { p[i] = 0 }
    }
}

/// Scales each column (norms along `axis`) so its norm is at most `maxValue`. Keras: `MaxNorm`.
public struct MaxNorm: Constraint {
    public var maxValue: Float, axis: Int
    public init(maxValue: Float = 2, axis: Int = 0) throws {
        guard maxValue >= 0 else { throw KerasError.invalidArgument("MaxNorm(maxValue: \(maxValue)): must not be negative") }
        self.maxValue = maxValue; self.axis = axis
    }
    public var className: String { "MaxNorm" }
    public var config: JSON { ["max_value": .double(Double(maxValue)), "axis": .int(axis)] }
    public func apply(_ w: Variable) {
        rescaleNorms(w, axis: axis) { n in Swift.min(Swift.max(n, 0), maxValue) / (1e-7 + n) }
    }
}

/// Scales norms along `axis` by `factor(norm)` (the shared body of the norm constraints).
func rescaleNorms(_ w: Variable, axis: Int, _ factor: (Float) -> Float) {
    let t = w.storedValue
    guard t.rank > 0 else { return }
    let a = axis < 0 ? axis + t.rank : axis
    guard a >= 0 && a < t.rank else { return }
    let outer = t.shape[..<a].reduce(1, *), n = t.shape[a], inner = t.shape[(a + 1)...].reduce(1, *)
    let p = w.mutableData
    for o in 0..<outer {
        for i in 0..<inner {
            var s: Float = 0
            for k in 0..<n { let v = p[(o * n + k) * inner + i]; s += v * v }
            let f = factor(s.squareRoot())
            for k in 0..<n { p[(o * n + k) * inner + i] *= f }
        }
    }
}
