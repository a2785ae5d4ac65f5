/// The `y` of `fit`, `score` and the splitters: numbers (regression values, integer labels,
/// one-hot or multi-label matrices, multi-output targets) or string class labels.
///
/// ```swift
/// try clf.fit(x, .labels(["cat", "dog", "cat"]))
/// try reg.fit(x, .values(Tensor([1.5, 2.0, 0.3])))
/// ```
public enum Target: Equatable, @unchecked Sendable {
    /// Numbers, shape `[n]` or `[n, outputs]`.
    case values(Tensor)
    /// String class labels, one per sample.
    case labels([String])

    /// Integer class labels.
    public static func ints(_ labels: [Int]) -> Target { .values(Tensor(labels.map { Float($0) })) }

    /// The number of samples.
    public var count: Int {
        switch self {
        case .values(let t): return t.shape.first ?? 0
        case .labels(let l): return l.count
        }
    }

    /// Columns per sample (1 for labels and 1-D values).
    public var width: Int {
        switch self {
        case .values(let t): return t.rank >= 2 ? t.count / Swift.max(t.shape[0], 1) : 1
        case .labels: return 1
        }
    }

    /// The numbers, when this target holds numbers.
    public var tensor: Tensor? { if case .values(let t) = self { return t }; return nil }
    /// The string labels, when this target holds strings.
    public var strings: [String]? { if case .labels(let l) = self { return l }; return nil }

    /// Each sample's label as text (numbers printed as scikit-learn keys them: `0`, `1.5`).
    /// Only for one-column targets.
    var labelKeys: [String] {
        switch self {
        case .labels(let l): return l
        case .values(let t): return (0..<t.count).map { labelKey(Double(t.data[$0])) }
        }
    }

    /// The rows at `indices`, in that order.
    /// `self`'s labels followed by `other`'s (one column each, both numbers or both strings).
    public func followed(by other: Target) throws -> Target {
        switch (self, other) {
        case let (.labels(a), .labels(b)): return .labels(a + b)
        case let (.values(a), .values(b)) where width == 1 && other.width == 1:
            return .values(Tensor(a.scalars + b.scalars))
        default:
            throw KerasError.invalidArgument("the classes must be labels of y's kind (numbers or strings) in one column")
        }
    }

    public func take(_ indices: [Int]) throws -> Target {
        let n = count
        for i in indices where i < 0 || i >= n {
            throw KerasError.invalidArgument("Target.take: index \(i) is out of range for \(n) samples")
        }
        switch self {
        case .labels(let l): return .labels(indices.map { l[$0] })
        case .values(let t): return .values(takeRows(t, indices))
        }
    }

    public static func == (a: Target, b: Target) -> Bool {
        switch (a, b) {
        case let (.labels(x), .labels(y)): return x == y
        case let (.values(x), .values(y)): return x.shape == y.shape && x.scalars == y.scalars
        default: return false
        }
    }
}

/// Text for a numeric label: integers without a fraction (`2`), others as Swift prints them.
func labelKey(_ v: Double) -> String {
    if v.rounded() == v && abs(v) < 1e15 { return String(Int(v)) }
    return String(v)
}

/// Copies rows of a tensor (first axis) into a new tensor.
func takeRows(_ t: Tensor, _ indices: [Int]) -> Tensor {
    let rows = t.shape.first ?? 0
    let row = rows == 0 ? 0 : t.count / rows
    let out = Tensor(shape: [indices.count] + t.shape.dropFirst())
    for (k, i) in indices.enumerated() {
        (out.data + k * row).update(from: t.data + i * row, count: row)
    }
    return out
}

/// Checks the feature matrix of an estimator call: rank 2 (with `nd`, rank 2 or more: images and
/// sequences, as SciKeras takes them), finite, and `rows` samples.
func checkFeatures(_ x: Tensor, owner: String, rows: Int? = nil, features: Int? = nil, nd: Bool = false) throws {
    guard x.rank == 2 || (nd && x.rank > 2) else {
        throw KerasError.invalidArgument("\(owner): X must be a 2-D array [samples, features]\(nd ? " (or N-D [samples, ...])" : ""), got shape \(x.shape)")
    }
    guard x.shape[0] > 0 else { throw KerasError.invalidData("\(owner): X has no samples (shape \(x.shape))") }
    if let rows, rows != x.shape[0] {
        throw KerasError.invalidArgument("\(owner): X has \(x.shape[0]) samples but y has \(rows)")
    }
    if let features, features != x.shape[1] {
        throw KerasError.invalidArgument("\(owner): X has \(x.shape[1]) features, but the estimator was fitted with \(features) features")
    }
    if x.hasNonFinite { throw KerasError.invalidData("\(owner): X contains NaN or infinite values") }
}
