/// Helpers the padding, cropping, upsampling and spatial dropout layers share: rank checks,
/// the spatial axes of a data format and `(before, after)` pairs per spatial axis.

/// Throws naming `layer` unless an input has `rank` axes.
func checkInputRank(_ layer: Layer, _ rank: Int, expected: Int, shape: @autoclosure () -> String) throws {
    guard rank == expected else {
        throw KerasError.shapeMismatch("\(layer.className) '\(layer.name)': expects an input of rank \(expected), got shape \(shape())")
    }
}

/// The index of the first spatial axis of a `(batch, ...)` tensor in `format`.
func firstSpatialAxis(_ format: DataFormat) -> Int { format == .channelsLast ? 1 : 2 }

/// `values` as one `[before, after]` pair of non-negative integers per spatial axis: a single
/// entry is repeated over the axes, a single value within an entry is used on both sides.
/// Keras: the int, tuple and tuple-of-tuples forms of `padding` and `cropping`.
func spatialPairs(_ values: [[Int]], rank: Int, _ context: @autoclosure () -> String) throws -> [[Int]] {
    let perAxis = values.count == 1 ? Array(repeating: values[0], count: rank) : values
    let pairs = perAxis.map { $0.count == 1 ? [$0[0], $0[0]] : $0 }
    guard pairs.count == rank, pairs.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0 >= 0 } }) else {
        throw KerasError.invalidArgument("\(context()): expects one non-negative integer, \(rank) of them (one per spatial axis) or \(rank) pairs (before, after) of them")
    }
    return pairs
}

/// Pairs as Keras's `get_config()` writes them: `[before, after]` for one spatial axis, else one
/// such list per axis.
func pairsConfig(_ pairs: [[Int]]) -> JSON {
    let lists = pairs.map { JSON.array($0.map { .int($0) }) }
    return lists.count == 1 ? lists[0] : .array(lists)
}

extension LayerConfig {
    /// `(before, after)` pairs given in any of Keras's forms: an integer, a pair (one spatial
    /// axis) or one integer or pair per axis.
    func pairs(_ key: String, rank: Int) throws -> [[Int]] {
        let context = "\(className) config: '\(key)' \(self[key]?.description.prefix(80) ?? "nothing")"
        guard let v = self[key] else { throw KerasError.io("\(context) must be an integer or a list") }
        if let i = v.intValue { return try spatialPairs([[i]], rank: rank, context) }
        guard let list = v.arrayValue, list.count <= 8 else { throw KerasError.io("\(context) must be an integer or a list") }
        func ints(_ j: JSON) throws -> [Int] {
            if let i = j.intValue { return [i] }
            guard let a = j.arrayValue, a.count <= 8 else { throw KerasError.io("\(context) must hold integers or pairs of integers") }
            return try a.map { guard let i = $0.intValue else { throw KerasError.io("\(context) must hold integers") }; return i }
        }
        let entries = rank == 1 ? [try ints(v)] : try list.map(ints)
        return try spatialPairs(entries, rank: rank, context)
    }
}
