/// Every combination of a grid (or of each grid in a list), in scikit-learn's order: keys sorted,
/// the last key varying fastest. scikit-learn: `ParameterGrid`.
public struct ParameterGrid: Sequence {
    public let grids: [[String: [ParamValue]]]

    public init(_ grid: [String: [ParamValue]]) { grids = [grid] }
    public init(_ grids: [[String: [ParamValue]]]) { self.grids = grids }

    /// The number of combinations.
    public var count: Int {
        grids.reduce(0) { total, g in total + g.values.reduce(1) { $0 * $1.count } }
    }

    /// All combinations, in order.
    public var candidates: [Params] {
        var out: [Params] = []
        for g in grids {
            let keys = g.keys.sorted()
            if keys.contains(where: { g[$0]!.isEmpty }) { continue }
            var idx = Array(repeating: 0, count: keys.count)
            while true {
                var p: Params = [:]
                for (i, k) in keys.enumerated() { p[k] = g[k]![idx[i]] }
                out.append(p)
                var j = keys.count - 1
                while j >= 0 {
                    idx[j] += 1
                    if idx[j] < g[keys[j]]!.count { break }
                    idx[j] = 0
                    j -= 1
                }
                if j < 0 { break }
            }
        }
        return out
    }

    public func makeIterator() -> IndexingIterator<[Params]> { candidates.makeIterator() }

    func validate(owner: String) throws {
        guard !grids.isEmpty else { throw KerasError.invalidArgument("\(owner): param_grid is empty") }
        for g in grids {
            for (k, v) in g where v.isEmpty {
                throw KerasError.invalidArgument("\(owner): parameter grid for parameter '\(k)' need to be a non-empty sequence, got: []")
            }
        }
    }
}
