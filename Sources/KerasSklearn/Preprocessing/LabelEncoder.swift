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

    /// Learns the distinct labels of a one-column target.
    public func fit(_ y: Target) throws {
        guard y.width == 1 else {
            throw KerasError.invalidArgument("LabelEncoder.fit: y must have one column, got \(y.width) columns")
        }
        guard y.count > 0 else { throw KerasError.invalidData("LabelEncoder.fit: y is empty") }
        switch y {
        case .labels(let l):
            let sorted = Array(Set(l)).sorted()
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
