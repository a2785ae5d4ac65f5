/// The base of `Attention` and `AdditiveAttention`: scores between a query `[B, Tq, dim]` and
/// a key `[B, Tv, dim]` (the value when no key is given), a softmax over the value positions
/// (masked by the value's mask and, with ``useCausalMask``, the causal triangle), dropout on
/// the weights in training, and their mix of the value. Keras: `keras.layers.Attention`'s
/// `call`, which `AdditiveAttention` inherits.
///
/// Inputs are `[query, value]` or `[query, value, key]`; the output keeps the query's mask and
/// is zero at its masked positions.
open class BaseAttention: Layer, @unchecked Sendable {
    /// Whether the scores are scaled by a learned weight.
    public let useScale: Bool
    /// The fraction of attention weights dropped in training.
    public let dropout: Double
    public let seed: Int?
    /// Functional calls: mask future value positions (Keras's `use_causal_mask=True`).
    public var useCausalMask = false
    /// Functional calls: return the attention weights `[B, Tq, Tv]` as a second output.
    public var returnAttentionScores = false
    /// Draws the dropout masks; held in a box so that it is not a tracked sublayer (Keras's
    /// `Attention` draws from a seed generator, not a `Dropout` layer).
    private let dropoutBox: DropoutBox

    struct DropoutBox { let layer: Dropout }

    init(useScale: Bool, dropout: Double, seed: Int?, name: String?, trainable: Bool) throws {
        guard dropout >= 0 && dropout <= 1 else {
            throw KerasError.invalidArgument("\(Self.self)(dropout: \(dropout)): dropout must be between 0 and 1")
        }
        self.useScale = useScale
        self.dropout = dropout
        self.seed = seed
        dropoutBox = DropoutBox(layer: try Dropout(dropout, seed: seed))
        super.init(name: name, trainable: trainable)
    }

    override class var maskingSupport: MaskingSupport { .always }
    override class var computesOwnMask: Bool { true }

    /// The scores `[B, Tq, Tv]` of `query` against `key`; subclasses override it.
    open func scores(query: Tensor, key: Tensor) throws -> Tensor {
        throw KerasError.invalidState("\(className) '\(name)' does not implement scores(query:key:)")
    }

    public override var callKeywordArguments: JSON {
        AttentionMasks.keywords(causal: useCausalMask, scores: returnAttentionScores)
    }

    public override func applyCallKeywordArguments(_ kwargs: JSON) throws {
        let kw = try AttentionMasks.read(kwargs, ignoring: ["training"], layer: "\(className) '\(name)'")
        useCausalMask = kw.causal ?? useCausalMask
        returnAttentionScores = kw.scores ?? returnAttentionScores
    }

    /// Checks `[query, value(, key)]` shapes: rank 3, equal batch, key and value alike.
    func validate(_ shapes: [[Int?]]) throws {
        guard shapes.count == 2 || shapes.count == 3 else {
            throw KerasError.invalidArgument("\(className) '\(name)' must be called on a list of inputs [query, value] or [query, value, key], got \(shapes.count) input(s)")
        }
        let key = shapes.count == 3 ? shapes[2] : shapes[1]
        guard shapes.allSatisfy({ $0.count == 3 }) else {
            throw KerasError.shapeMismatch("\(className) '\(name)': query, value and key must have shape (batch, steps, dim), got \(shapes.map(formatShape).joined(separator: ", "))")
        }
        if let kq = shapes[0][2], let kk = key[2], kq != kk {
            throw KerasError.shapeMismatch("\(className) '\(name)': query and key must have the same last dimension, got \(formatShape(shapes[0])) and \(formatShape(key))")
        }
        if let tv = shapes[1][1], let tk = key[1], tv != tk {
            throw KerasError.shapeMismatch("\(className) '\(name)': value and key must have the same number of steps, got \(formatShape(shapes[1])) and \(formatShape(key))")
        }
    }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        try validate(inputs.map { $0.shape.map { Optional($0) } })
        let r = try attend(inputs, masks: mask, useCausalMask: useCausalMask, training: training)
        return returnAttentionScores ? [r.output, r.scores] : [r.output]
    }

    /// Runs the layer eagerly with Keras's call arguments and returns the output and the
    /// attention weights. Keras: `layer([q, v, k], mask=[q_mask, v_mask],
    /// return_attention_scores=True, use_causal_mask=…)`.
    public func call(_ inputs: [Tensor], masks: [Tensor?]? = nil, useCausalMask: Bool = false,
                     training: Bool = false) throws -> (output: Tensor, scores: Tensor) {
        try validate(inputs.map { $0.shape.map { Optional($0) } })
        if !built { try ensureBuilt(inputs.map { t in [nil] + t.shape.dropFirst().map { Optional($0) } }) }
        return try CallContext.with(training: training) {
            try attend(inputs, masks: masks, useCausalMask: useCausalMask, training: training)
        }
    }

    private func attend(_ inputs: [Tensor], masks: [Tensor?]?, useCausalMask: Bool, training: Bool) throws -> (output: Tensor, scores: Tensor) {
        let q = inputs[0], v = inputs[1], k = inputs.count == 3 ? inputs[2] : inputs[1]
        guard q.shape[0] == v.shape[0], k.shape[0] == v.shape[0] else {
            throw KerasError.shapeMismatch("\(className) '\(name)': query, value and key must have the same batch size, got \(q.shape), \(v.shape), \(k.shape)")
        }
        let b = q.shape[0], tq = q.shape[1], tv = v.shape[1]
        let m = masks ?? []
        let queryMask = m.first ?? nil, valueMask = m.count > 1 ? m[1] : nil
        let scoreMask = try AttentionMasks.combined(batch: b, t: tq, s: tv, query: nil, value: valueMask, key: nil,
                                                    explicit: nil, causal: useCausalMask, window: nil,
                                                    layer: "\(className) '\(name)'")
        let weights = try Ops.maskedSoftmax(scores(query: q, key: k), mask: scoreMask, uniformWhenEmpty: true)
        let dropped = training && dropout > 0 ? try dropoutBox.layer.callEager(single: weights, training: true) : weights
        var out = try Ops.batchMatmul(dropped, v)
        if let queryMask {
            guard queryMask.count == b * tq else {
                throw KerasError.shapeMismatch("\(className) '\(name)': the query mask of shape \(queryMask.shape) does not fit the query \(q.shape)")
            }
            out = try Ops.multiply(out, Ops.greater(queryMask.detached.viewing([b, tq, 1]), Tensor(0)))
        }
        return (out, weights)
    }

    public override func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        try validate(shapes)
        let out = Array(shapes[0].dropLast()) + [shapes[1][2]]
        let key = shapes.count == 3 ? shapes[2] : shapes[1]
        return returnAttentionScores ? [out, Array(shapes[0].dropLast()) + [key[1]]] : [out]
    }

    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        returnAttentionScores ? [masks.first ?? nil, nil] : [masks.first ?? nil]
    }
}
