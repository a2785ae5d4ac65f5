/// A preprocessing layer whose state is computed from data before training: `Normalization`
/// (mean and variance), `Discretization` (bin boundaries), `IntegerLookup` (vocabulary).
/// Keras: `layer.adapt(data)`.
public protocol AdaptableLayer: Layer {
    /// Computes the layer's state from `data` (a batch of samples, batch axis first).
    func adapt(_ data: Tensor) throws
}

/// The output modes of the categorical preprocessing layers. Keras: `output_mode`.
public enum CategoricalOutputMode: String, LayerArgumentValue, Sendable {
    case int
    case oneHot = "one_hot"
    case multiHot = "multi_hot"
    case count
    case tfIdf = "tf_idf"

    public var configValue: JSON { .string(rawValue) }

    /// The mode named `name` (`"binary"` is Keras's old name of `multi_hot`); `allowed` lists
    /// the modes the layer takes.
    static func named(_ name: String, layer: String, allowed: [CategoricalOutputMode]) throws -> CategoricalOutputMode {
        let mode = name == "binary" ? .multiHot : CategoricalOutputMode(rawValue: name)
        guard let mode, allowed.contains(mode) else {
            throw KerasError.invalidArgument("\(layer): output_mode must be one of \(allowed.map(\.rawValue)), got '\(name)'")
        }
        return mode
    }

    /// The output shape for inputs of `shape` encoded over `depth` classes, as Keras computes
    /// it with the JAX backend: one_hot appends the depth (replacing a last axis of 1),
    /// multi_hot and count reduce axis 1 (axis 0 for rank-1 inputs).
    func outputShape(_ shape: [Int?], depth: Int) -> [Int?] {
        switch self {
        case .int: return shape
        case .oneHot:
            let base = shape.count > 1 && shape.last == 1 ? Array(shape.dropLast()) : shape
            return base + [depth]
        case .multiHot, .count, .tfIdf:
            if shape.count <= 1 { return [depth] }
            var s = shape
            s.remove(at: 1)
            return s + [depth]
        }
    }
}

/// Encodes integer indices (held as floats) in `[0, depth)` as Keras's
/// `encode_categorical_inputs`: `int` returns them, `one_hot` one row per index, `multi_hot`
/// and `count` one row per sample (reducing axis 1). An index out of range, or not an integer,
/// throws naming `layer` and `argument` (the depth's argument: `num_tokens`); with
/// `dropOutOfRange` one out of range counts nowhere instead (a lookup's mask token, as TensorFlow's
/// `bincount` drops it).
func encodeCategorical(_ indices: Tensor, mode: CategoricalOutputMode, depth: Int,
                       layer: String, argument: String, dropOutOfRange: Bool = false) throws -> Tensor {
    if mode == .int { return indices }
    let p = indices.data
    for i in 0..<indices.count {
        let v = p[i]
        guard v >= 0, v < Float(depth), v == v.rounded() else {
            if dropOutOfRange && v == v.rounded() { continue }
            throw KerasError.invalidData("\(layer): input values must be integers in [0, \(argument)) = [0, \(depth)), got \(v)")
        }
    }
    let outShape = mode.outputShape(indices.shape.map { Optional($0) }, depth: depth).map { $0 ?? 1 }
    let out = Tensor(shape: outShape, repeating: 0)
    let o = out.data
    if mode == .oneHot {
        for i in 0..<indices.count where p[i] >= 0 && p[i] < Float(depth) { o[i * depth + Int(p[i])] = 1 }
        return out
    }
    // Reduce axis 1 (or 0 for rank 1): element (b, t, rest...) goes to row (b, rest...).
    let shape = indices.shape
    let outer = shape.count <= 1 ? 1 : shape[0]
    let steps = shape.count <= 1 ? (shape.first ?? 1) : shape[1]
    let inner = shape.count <= 2 ? 1 : shape.dropFirst(2).reduce(1, *)
    for b in 0..<outer {
        for t in 0..<steps {
            for r in 0..<inner {
                let v = p[(b * steps + t) * inner + r]
                guard v >= 0 && v < Float(depth) else { continue }
                let k = Int(v)
                let at = (b * inner + r) * depth + k
                o[at] = mode == .count ? o[at] + 1 : 1
            }
        }
    }
    return out
}

extension Tensor {
    /// The values as Keras writes an array in a config: a number for a scalar, else nested lists.
    var nestedJSON: JSON {
        let values = scalars.map { JSON.double(Double($0)) }
        guard !shape.isEmpty else { return values.first ?? .null }
        func nest(_ dims: ArraySlice<Int>, _ offset: Int) -> JSON {
            guard let d = dims.first else { return values[offset] }
            let stride = dims.dropFirst().reduce(1, *)
            return .array((0..<d).map { nest(dims.dropFirst(), offset + $0 * stride) })
        }
        return nest(shape[...], 0)
    }

    /// A tensor from a number or nested lists of numbers of a regular shape (a config's `mean`).
    init(nested json: JSON, what: String) throws {
        var shape: [Int] = []
        var level = json
        while let a = level.arrayValue {
            shape.append(a.count)
            guard let first = a.first else { break }
            level = first
        }
        guard shape.count <= 8, shape.reduce(1, *) <= 1 << 24 else {
            throw KerasError.invalidArgument("\(what) must be a number or nested lists of numbers")
        }
        var values: [Float] = []
        func walk(_ j: JSON, _ depth: Int) throws {
            if depth == shape.count {
                guard let v = j.doubleValue else { throw KerasError.invalidArgument("\(what) must hold numbers, got \(j)") }
                values.append(Float(v))
                return
            }
            guard let a = j.arrayValue, a.count == shape[depth] else {
                throw KerasError.invalidArgument("\(what) must be nested lists of a regular shape, got \(json.description.prefix(80))")
            }
            for e in a { try walk(e, depth + 1) }
        }
        try walk(json, 0)
        try self.init(shape: shape, scalars: values)
    }
}

/// A config value that is a float list or null (`bin_boundaries`, `vocabulary`).
extension LayerConfig {
    func optionalNumbers(_ key: String) throws -> [Double]? {
        guard let v = self[key] else { return nil }
        guard let a = v.arrayValue, a.count <= 1 << 24 else {
            throw KerasError.io("\(className) config: '\(key)' must be a list of numbers, got \(v.description.prefix(80))")
        }
        return try a.map {
            guard let d = $0.doubleValue else { throw KerasError.io("\(className) config: '\(key)' must hold numbers, got \($0)") }
            return d
        }
    }
}
