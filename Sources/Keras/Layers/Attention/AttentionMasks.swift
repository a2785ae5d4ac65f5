/// The masks and equations the attention layers share.
enum AttentionMasks {
    /// The `[B, T, S]` mask of which key positions each query position may attend to (1 keeps),
    /// from the Keras masks of the query (`[B, T]`), value and key (`[B, S]`), an explicit
    /// `[B, T, S]` mask (or one broadcasting to it), the causal triangle and a sliding window
    /// (`|i - j| < window`), all combined with AND as Keras's `_compute_attention_mask` does.
    /// Nil when nothing masks.
    static func combined(batch: Int, t: Int, s: Int, query: Tensor?, value: Tensor?, key: Tensor?,
                         explicit: Tensor?, causal: Bool, window: Int?, layer: String) throws -> Tensor? {
        guard query != nil || value != nil || key != nil || explicit != nil || causal || window != nil else { return nil }
        func rows(_ m: Tensor?, _ n: Int, _ what: String) throws -> Tensor? {
            guard let m else { return nil }
            guard m.count == batch * n else {
                throw KerasError.shapeMismatch("\(layer): the \(what) mask of shape \(m.shape) does not fit \(batch) sequences of length \(n)")
            }
            return m
        }
        let q = try rows(query, t, "query"), v = try rows(value, s, "value"), k = try rows(key, s, "key")
        var e: Tensor?
        if let explicit {
            let target = [batch, t, s]
            let shape = explicit.rank < 3 ? Array(repeating: 1, count: 3 - explicit.rank) + explicit.shape : explicit.shape
            guard shape.count == 3, Kernels.broadcastShape(shape, target) == target else {
                throw KerasError.shapeMismatch("\(layer): attention_mask of shape \(explicit.shape) does not broadcast to (batch, query length, key length) = \(target)")
            }
            e = Kernels.broadcastTo(explicit.detached.viewing(shape), target)
        }
        let out = Tensor.uninitialized([batch, t, s])
        let p = out.data
        for b in 0..<batch {
            for i in 0..<t {
                let qi: Float = q.map { $0.data[b * t + i] != 0 ? 1 : 0 } ?? 1
                for j in 0..<s {
                    var keep = qi
                    if let v, v.data[b * s + j] == 0 { keep = 0 }
                    if let k, k.data[b * s + j] == 0 { keep = 0 }
                    if causal, j > i { keep = 0 }
                    if let window, Swift.abs(i - j) >= window { keep = 0 }
                    let idx = (b * t + i) * s + j
                    if let e, e.data[idx] <= 0.5 { keep = 0 }
                    p[idx] = keep
                }
            }
        }
        return out
    }

    /// Keras's `_build_proj_equation(free_dims, bound_dims, output_dims)`: the equation, the
    /// bias axes and the output rank of a projection inside multi-head attention.
    static func projection(free: Int, bound: Int, output: Int) -> (equation: String, biasAxes: String, rank: Int) {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let f = String(letters[0..<free]), b = String(letters[free..<(free + bound)])
        let o = String(letters[(free + bound)..<(free + bound + output)])
        return ("\(f)\(b),\(b)\(o)->\(f)\(o)", o, free + output)
    }

    /// Keras's `_get_output_shape`: unknown sizes, then the known trailing ones.
    static func outputShape(rank: Int, known: [Int]) -> [Int?] {
        Array(repeating: nil, count: Swift.max(rank - known.count, 0)) + known.map { Optional($0) }
    }

    /// The functional-call keywords the attention layers write: Keras's `use_causal_mask` and
    /// `return_attention_scores` when set.
    static func keywords(causal: Bool, scores: Bool) -> JSON {
        var kw: JSON = .object([])
        if scores { kw.set("return_attention_scores", true) }
        if causal { kw.set("use_causal_mask", true) }
        return kw
    }

    /// Reads those keywords from a functional node; `ignored` ones pass, others are refused.
    static func read(_ kwargs: JSON, ignoring ignored: Set<String>, layer: String) throws -> (causal: Bool?, scores: Bool?) {
        var causal: Bool?, scores: Bool?
        for (k, v) in kwargs.objectValue ?? [] {
            switch k {
            case "use_causal_mask": causal = v.boolValue ?? false
            case "return_attention_scores": scores = v.boolValue ?? false
            case _ where ignored.contains(k) || (k.hasSuffix("mask") && v.isNull): break
            default: throw KerasError.io("\(layer): the functional call argument '\(k)' is not supported here")
            }
        }
        return (causal, scores)
    }
}
