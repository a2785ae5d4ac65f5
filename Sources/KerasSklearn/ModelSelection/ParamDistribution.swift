#if canImport(Glibc)
import Glibc
#endif

/// Where ``RandomizedSearchCV`` draws a parameter from. scikit-learn takes lists and
/// `scipy.stats` distributions: `uniform`, `loguniform`, `randint`.
public enum ParamDistribution: Sendable {
    /// One of the values, equally likely (a plain list in scikit-learn).
    case choice([ParamValue])
    /// Uniform on `[low, high]` (scipy: `uniform(loc=low, scale=high - low)`).
    case uniform(Double, Double)
    /// Log-uniform on `[low, high]`, both positive (scipy: `loguniform(low, high)`).
    case logUniform(Double, Double)
    /// Integers `low..<high`, equally likely (scipy: `randint(low, high)`).
    case randInt(Int, Int)

    func validate(_ key: String, owner: String) throws {
        switch self {
        case .choice(let v) where v.isEmpty:
            throw KerasError.invalidArgument("\(owner): the list of values for '\(key)' is empty")
        case .uniform(let a, let b) where !(a.isFinite && b.isFinite && a <= b):
            throw KerasError.invalidArgument("\(owner): uniform(\(a), \(b)) for '\(key)' needs finite low <= high")
        case .logUniform(let a, let b) where !(a > 0 && b.isFinite && a <= b):
            throw KerasError.invalidArgument("\(owner): loguniform(\(a), \(b)) for '\(key)' needs 0 < low <= high")
        case .randInt(let a, let b) where !(a < b) || b.subtractingReportingOverflow(a).overflow:
            throw KerasError.invalidArgument("\(owner): randint(\(a), \(b)) for '\(key)' needs low < high")
        default: break
        }
    }

    func sample(_ rng: RandomGenerator) -> ParamValue {
        switch self {
        case .choice(let v): return v[Int(rng.next() % UInt64(v.count))]
        case .uniform(let a, let b): return .double(a + (b - a) * unit(rng))
        case .logUniform(let a, let b): return .double(exp(log(a) + (log(b) - log(a)) * unit(rng)))
        case .randInt(let a, let b): return .int(a + Int(rng.next() % UInt64(b - a)))
        }
    }

    var finiteChoices: [ParamValue]? { if case .choice(let v) = self { return v }; return nil }
}

/// Uniform double in [0, 1) with 53 bits.
func unit(_ rng: RandomGenerator) -> Double { Double(rng.next() >> 11) * (1.0 / Double(UInt64(1) << 53)) }

/// `nIter` parameter settings drawn from distributions: keys sorted, drawn one after another
/// from a generator seeded by `randomState`. When every distribution is a list, settings are
/// drawn from the grid without replacement (at most the grid's size), as scikit-learn does.
/// scikit-learn: `ParameterSampler`.
public struct ParameterSampler {
    public let distributions: [[String: ParamDistribution]]
    public let nIter: Int
    public let randomState: Int?

    public init(_ distributions: [String: ParamDistribution], nIter: Int, randomState: Int? = nil) {
        self.init([distributions], nIter: nIter, randomState: randomState)
    }

    public init(_ distributions: [[String: ParamDistribution]], nIter: Int, randomState: Int? = nil) {
        self.distributions = distributions
        self.nIter = nIter
        self.randomState = randomState
    }

    /// The drawn settings.
    public func candidates() throws -> [Params] {
        guard nIter >= 1 else { throw KerasError.invalidArgument("ParameterSampler(n_iter: \(nIter)): n_iter must be at least 1") }
        guard !distributions.isEmpty else { throw KerasError.invalidArgument("ParameterSampler: param_distributions is empty") }
        for d in distributions { for (k, v) in d { try v.validate(k, owner: "ParameterSampler") } }
        let rng = splitterGenerator(randomState)
        let allLists = distributions.allSatisfy { $0.values.allSatisfy { $0.finiteChoices != nil } }
        if allLists {
            let grid = ParameterGrid(distributions.map { $0.mapValues { $0.finiteChoices! } }).candidates
            let take = min(nIter, grid.count)
            return rng.permutation(grid.count).prefix(take).map { grid[$0] }
        }
        return (0..<nIter).map { _ in
            let d = distributions[Int(rng.next() % UInt64(distributions.count))]
            var p: Params = [:]
            for k in d.keys.sorted() { p[k] = d[k]!.sample(rng) }
            return p
        }
    }
}
