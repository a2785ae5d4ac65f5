/// Encodes class labels as integers `0..<classes` in sorted order. scikit-learn: `LabelEncoder`.
///
/// ```swift
/// let enc = LabelEncoder()
/// let codes = try enc.fitTransform(.labels(["b", "a", "b"]))   // [1, 0, 1]
/// ```
public final class LabelEncoder: @unchecked Sendable {
    /// The sorted distinct labels seen by `fit` (numbers or strings). scikit-learn: `classes_`.
    public private(set) var classes: Target?
    private var index: [String: Int] = [:]
    private var numericClasses: [Double] = []

    public init() {}

    /// The classes as label keys (`"0"`, `"setosa"`).
    public var classKeys: [String] { classes?.labelKeys ?? [] }

    /// Learns the distinct labels of a one-column target. With `numericOrder`, string labels
    /// are the decimal text of numbers (integers of any size, exactly) and sort by value.
    public func fit(_ y: Target, numericOrder: Bool = false) throws {
        guard y.width == 1 else {
            throw KerasError.invalidArgument("LabelEncoder.fit: y must have one column, got \(y.width) columns")
        }
        guard y.count > 0 else { throw KerasError.invalidData("LabelEncoder.fit: y is empty") }
        switch y {
        case .labels(let l):
            let sorted = numericOrder ? try numericallySorted(Array(Set(l))) : Array(Set(l)).sorted()
            classes = .labels(sorted)
            numericClasses = []
        case .values(let t):
            var seen = Set<Float>()
            for i in 0..<t.count {
                guard t.data[i].isFinite else { throw KerasError.invalidData("LabelEncoder.fit: y contains NaN or infinite values") }
                seen.insert(t.data[i])
            }
            let sorted = seen.sorted()
            numericClasses = sorted.map(Double.init)
            classes = .values(Tensor(sorted))
        }
        index = Dictionary(uniqueKeysWithValues: classKeys.enumerated().map { ($1, $0) })
    }

    /// Label codes for `y`; throws on a label not seen by `fit`.
    public func transform(_ y: Target) throws -> [Int] {
        guard classes != nil else { throw KerasError.invalidState("LabelEncoder.transform: call fit first") }
        guard y.width == 1 else {
            throw KerasError.invalidArgument("LabelEncoder.transform: y must have one column, got \(y.width) columns")
        }
        return try y.labelKeys.map { key in
            guard let i = index[key] else {
                throw KerasError.invalidArgument("LabelEncoder.transform: y contains previously unseen label '\(key)'")
            }
            return i
        }
    }

    public func fitTransform(_ y: Target) throws -> [Int] {
        try fit(y)
        return try transform(y)
    }

    /// Labels for codes. scikit-learn: `inverse_transform`.
    public func inverseTransform(_ codes: [Int]) throws -> Target {
        guard let classes else { throw KerasError.invalidState("LabelEncoder.inverseTransform: call fit first") }
        let k = classKeys.count
        for c in codes where c < 0 || c >= k {
            throw KerasError.invalidArgument("LabelEncoder.inverseTransform: code \(c) is not in 0..<\(k)")
        }
        switch classes {
        case .labels(let l): return .labels(codes.map { l[$0] })
        case .values: return .values(Tensor(codes.map { Float(numericClasses[$0]) }))
        }
    }
}

/// Numbers given as text, sorted by value: integers compare exactly (as Int64, beyond float
/// precision), other numbers as doubles. Throws on text that is not a number.
func numericallySorted(_ labels: [String]) throws -> [String] {
    let keyed = try labels.map { label -> (String, Int64?, Double) in
        guard let d = Double(label), d.isFinite else {
            throw KerasError.invalidArgument("LabelEncoder.fit: label_order 'numeric' needs labels that are numbers, got '\(label)'")
        }
        return (label, Int64(label), d)
    }
    return keyed.sorted { a, b in
        if let i = a.1, let j = b.1 { return i < j }
        return a.2 != b.2 ? a.2 < b.2 : a.0 < b.0
    }.map(\.0)
}
