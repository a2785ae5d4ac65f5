import Foundation

/// Multi-head scaled dot-product attention (Vaswani et al., 2017). Keras:
/// `keras.layers.MultiHeadAttention`.
///
/// The query, key and value are projected by `EinsumDense` sublayers named `query`, `key` and
/// `value` (`[B, T, dim] → [B, T, heads, key_dim]`), scores `softmax(q·kᵀ / √key_dim)` are taken
/// per head over the key positions (masked as Keras masks them), the values are mixed by them
/// and the heads are projected back by `attention_output`. Weights and saved paths are
/// Keras 3's (`mha/query/kernel`, `query_dense/vars` in `.keras` files).
///
/// Inputs are `[query, value]` or `[query, value, key]`; Keras masks of the inputs (from
/// `Masking` or `Embedding(maskZero:)`) mask the scores, and the output carries the query's mask.
/// ``useCausalMask`` and ``returnAttentionScores`` are the call's options in a functional model
/// (Keras's call keywords); ``call(query:value:key:attentionMask:…)`` takes them eagerly.
///
/// ```swift
/// let x = Input(shape: [64, 32])
/// let mha = try MultiHeadAttention(numHeads: 4, keyDim: 16)
/// let y = try mha([x, x])
/// ```
public class MultiHeadAttention: Layer, @unchecked Sendable {
    public let numHeads: Int
    /// The heads of the key and value projections: `numHeads`, or fewer shared by groups of
    /// query heads (``GroupedQueryAttention``).
    public internal(set) var keyValueHeads: Int
    public let keyDim: Int
    public let valueDim: Int
    public let dropout: Double
    public let useBias: Bool
    /// Whether a sigmoid gate projected from the query multiplies the heads' outputs.
    public let useGate: Bool
    /// The output's trailing shape, or nil for the query's last dimension.
    public let outputShape: [Int]?
    /// The axes attended over as given (nil: every axis between batch and features).
    public let attentionAxes: [Int]?
    /// Each query position attends only to keys closer than this (a band), or to all when nil.
    public let slidingWindow: Int?
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let kernelRegularizer: Regularizer?
    public let biasRegularizer: Regularizer?
    public let kernelConstraint: Constraint?
    public let biasConstraint: Constraint?
    public let seed: Int?

    /// Functional calls: mask future key positions (Keras's `use_causal_mask=True`).
    public var useCausalMask = false
    /// Functional calls: return the attention scores `[B, heads, T, S]` as a second output.
    public var returnAttentionScores = false

    // Sublayers, in Keras's build order (their weights' order).
    public private(set) var queryDense: EinsumDense?
    public private(set) var keyDense: EinsumDense?
    private(set) var gateDense: EinsumDense?
    public private(set) var valueDense: EinsumDense?
    public private(set) var outputDense: EinsumDense?
    private var softmax: Softmax?
    private(set) var dropoutLayer: Dropout?
    /// The attention axes once built (Keras writes them in the config after building).
    private(set) var builtAxes: [Int]?

    public init(numHeads: Int, keyDim: Int, valueDim: Int? = nil, dropout: Double = 0, useBias: Bool = true,
                outputShape: [Int]? = nil, attentionAxes: [Int]? = nil, slidingWindow: Int? = nil,
                kernelInitializer: Initializer = VarianceScaling.glorotUniform(), biasInitializer: Initializer = Zeros(),
                kernelRegularizer: Regularizer? = nil, biasRegularizer: Regularizer? = nil,
                activityRegularizer: Regularizer? = nil, kernelConstraint: Constraint? = nil,
                biasConstraint: Constraint? = nil, useGate: Bool = false, seed: Int? = nil,
                name: String? = nil, trainable: Bool = true) throws {
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw KerasError.invalidArgument("MultiHeadAttention(\(what))") }
        }
        try check(numHeads > 0, "numHeads: \(numHeads)): num_heads must be a positive integer")
        try check(keyDim > 0, "keyDim: \(keyDim)): key_dim must be a positive integer")
        try check((valueDim ?? 1) > 0, "valueDim: \(valueDim ?? 0)): value_dim must be a positive integer or nil")
        try check(dropout >= 0 && dropout <= 1, "dropout: \(dropout)): dropout must be between 0 and 1")
        try check((slidingWindow ?? 1) > 0, "slidingWindow: \(slidingWindow ?? 0)): sliding_window must be a positive integer or nil")
        try check(outputShape?.allSatisfy { $0 > 0 } ?? true, "outputShape: \(outputShape ?? [])): sizes must be positive")
        self.numHeads = numHeads
        self.keyValueHeads = numHeads
        self.keyDim = keyDim
        self.valueDim = valueDim ?? keyDim
        self.dropout = dropout
        self.useBias = useBias
        self.useGate = useGate
        self.outputShape = outputShape?.isEmpty == true ? nil : outputShape
        self.attentionAxes = attentionAxes
        self.slidingWindow = slidingWindow
        self.kernelInitializer = withKerasDefaultSeed(kernelInitializer)
        self.biasInitializer = withKerasDefaultSeed(biasInitializer)
        self.kernelRegularizer = kernelRegularizer
        self.biasRegularizer = biasRegularizer
        self.kernelConstraint = kernelConstraint
        self.biasConstraint = biasConstraint
        self.seed = seed
        super.init(name: name, trainable: trainable)
        self.activityRegularizer = activityRegularizer
    }

    override class var maskingSupport: MaskingSupport { .always }

    public override var sublayerAttributeNames: [String: String] {
        ["softmax": "_softmax", "dropoutLayer": "_dropout_layer"]
    }

    public override var takesPositionalInputs: Bool { true }

    /// Whether a call clears the Keras masks of the tensors it reads: Keras's
    /// `MultiHeadAttention.call` takes them and sets them to None, so layers Keras runs after it
    /// on the same tensors see none (``ClearedMasks``); GroupQueryAttention's call does not.
    var clearsInputMasks: Bool { true }

    public override var buildShapeArgumentNames: [String]? { ["query_shape", "value_shape", "key_shape"] }

    override var takesSeedsAtBuild: Bool { true }

    public override func build(_ inputShape: [Int?]) throws {
        try build(shapes: [inputShape])
    }

    public override var callKeywordArguments: JSON {
        AttentionMasks.keywords(causal: useCausalMask, scores: returnAttentionScores)
    }

    public override func applyCallKeywordArguments(_ kwargs: JSON) throws {
        let kw = try AttentionMasks.read(kwargs, ignoring: ["training"], layer: "\(className) '\(name)'")
        useCausalMask = kw.causal ?? useCausalMask
        returnAttentionScores = kw.scores ?? returnAttentionScores
    }

    /// The attention axes for projected inputs of `rank` (heads and features last): the given
    /// ones (negative ones count from `rank - 1`, as Keras), each an axis between batch and
    /// features, or all of those.
    private func resolvedAxes(rank: Int) throws -> [Int] {
        let positions = Array(1..<Swift.max(rank - 2, 1))
        guard let given = attentionAxes else { return positions }
        let axes = given.map { $0 >= 0 ? $0 : rank - 1 + $0 }
        guard !axes.isEmpty, axes.allSatisfy(positions.contains), Set(axes).count == axes.count else {
            throw KerasError.invalidArgument("\(className) '\(name)': attention_axes \(given) must be distinct axes among \(positions) (between the batch and the features) for inputs of rank \(rank - 1)")
        }
        return axes
    }

    public override func build(shapes: [[Int?]]) throws {
        guard shapes.count == 2 || shapes.count == 3 else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes [query, value] or [query, value, key], got \(shapes.count) inputs")
        }
        let query = shapes[0], value = shapes[1], key = shapes.count == 3 ? shapes[2] : shapes[1]
        guard query.count >= 3, value.count == query.count, key.count == value.count else {
            throw KerasError.shapeMismatch("\(className) '\(name)': query, value and key must have equal ranks of at least 3 (batch, positions, features), got \(formatShape(query)), \(formatShape(value)), \(formatShape(key))")
        }
        guard Array(value.dropFirst().dropLast()) == Array(key.dropFirst().dropLast()) else {
            throw KerasError.shapeMismatch("\(className) '\(name)': all dimensions of value and key except the last must be equal, got value \(formatShape(value)) and key \(formatShape(key))")
        }
        guard let queryDim = query.last ?? nil, value.last != nil, key.last != nil else {
            throw KerasError.shapeMismatch("\(className) '\(name)': the last dimensions of query, value and key must be known")
        }
        func projection(_ input: [Int?], heads: Int, _ dim: Int, _ layerName: String, activation: ActivationFunction = .linear) throws -> EinsumDense {
            let p = AttentionMasks.projection(free: input.count - 1, bound: 1, output: 2)
            // Keras gives each projection copies of the initializers (with new seeds), the bias's
            // even without a bias
            let kernel = buildCopy(of: kernelInitializer), bias = buildCopy(of: biasInitializer)
            let layer = try EinsumDense(p.equation, outputShape: AttentionMasks.outputShape(rank: p.rank - 1, known: [heads, dim]),
                                        activation: activation, biasAxes: useBias ? p.biasAxes : nil,
                                        kernelInitializer: kernel, biasInitializer: bias,
                                        kernelRegularizer: kernelRegularizer, biasRegularizer: biasRegularizer,
                                        activityRegularizer: activityRegularizer, kernelConstraint: kernelConstraint,
                                        biasConstraint: biasConstraint, name: layerName)
            try layer.buildIfNeeded(input)
            return layer
        }
        queryDense = try projection(query, heads: numHeads, keyDim, "query")
        keyDense = try projection(key, heads: keyValueHeads, keyDim, "key")
        if useGate { gateDense = try projection(query, heads: numHeads, valueDim, "gate", activation: .sigmoid) }
        valueDense = try projection(value, heads: keyValueHeads, valueDim, "value")
        builtAxes = try resolvedAxes(rank: query.count + 1)
        let out = outputShape ?? [queryDim]
        let p = AttentionMasks.projection(free: query.count - 1, bound: 2, output: out.count)
        // Keras makes the Dropout (its generator's seed) before the output projection
        let dropoutSeeds = dropout > 0 && seed == nil ? (takeBuildSeed().map { [$0] } ?? []) : []
        let output = try EinsumDense(p.equation, outputShape: AttentionMasks.outputShape(rank: p.rank - 1, known: out),
                                     biasAxes: useBias ? p.biasAxes : nil, kernelInitializer: buildCopy(of: kernelInitializer),
                                     biasInitializer: buildCopy(of: biasInitializer), kernelRegularizer: kernelRegularizer,
                                     biasRegularizer: biasRegularizer, activityRegularizer: activityRegularizer,
                                     kernelConstraint: kernelConstraint, biasConstraint: biasConstraint, name: "attention_output")
        try output.buildIfNeeded(Array(query.dropLast()) + [numHeads, valueDim])
        outputDense = output
        softmax = Softmax(axis: -1)
        softmax?.built = true
        dropoutLayer = try DefaultSeeds.making(seeds: dropoutSeeds) { try Dropout(dropout, seed: seed) }
        dropoutLayer?.built = true
    }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        guard inputs.count == 2 || inputs.count == 3 else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes [query, value] or [query, value, key], got \(inputs.count) inputs")
        }
        let m = mask ?? []
        let r = try attend(query: inputs[0], value: inputs[1], key: inputs.count == 3 ? inputs[2] : nil,
                           masks: (m.first ?? nil, m.count > 1 ? m[1] : nil, m.count > 2 ? m[2] : nil),
                           attentionMask: nil, useCausalMask: useCausalMask, training: training,
                           withScores: returnAttentionScores)
        return returnAttentionScores ? [r.output, r.scores] : [r.output]
    }

    /// Runs the layer eagerly with Keras's call arguments and returns the output and the
    /// attention scores `[B, heads, T, S]` (Keras: `layer(query, value, key, attention_mask=…,
    /// return_attention_scores=True, use_causal_mask=…)`). `attentionMask` (1 keeps) is
    /// `[B, T, S]` or broadcasts to it; the masks are the inputs' Keras masks.
    public func call(query: Tensor, value: Tensor, key: Tensor? = nil, attentionMask: Tensor? = nil,
                     queryMask: Tensor? = nil, valueMask: Tensor? = nil, keyMask: Tensor? = nil,
                     useCausalMask: Bool = false, training: Bool = false) throws -> (output: Tensor, scores: Tensor) {
        let inputs = [query, value] + (key.map { [$0] } ?? [])
        if !built { try ensureBuilt(inputs.map { t in [nil] + t.shape.dropFirst().map { Optional($0) } }) }
        return try CallContext.with(training: training) {
            try attend(query: query, value: value, key: key, masks: (queryMask, valueMask, keyMask),
                       attentionMask: attentionMask, useCausalMask: useCausalMask, training: training, withScores: true)
        }
    }

    /// `withScores`: the call returns the scores (Keras's `return_attention_scores=True`, as the
    /// eager `call(query:…)` does), which takes Keras's `Softmax(mask=…)` path, not
    /// `dot_product_attention`'s (``meanOfValuesOnEmptyRows(_:mask:value:)``).
    private func attend(query: Tensor, value: Tensor, key: Tensor?, masks: (Tensor?, Tensor?, Tensor?),
                        attentionMask: Tensor?, useCausalMask: Bool, training: Bool,
                        withScores: Bool) throws -> (output: Tensor, scores: Tensor) {
        guard let queryDense, let keyDense, let valueDense, let outputDense else {
            throw KerasError.invalidState("\(className) '\(name)' is not built")
        }
        let key = key ?? value
        guard query.rank >= 3, value.rank == query.rank, key.rank == query.rank, query.shape[0] == value.shape[0],
              key.shape.dropLast() == value.shape.dropLast() else {
            throw KerasError.shapeMismatch("\(className) '\(name)': query \(query.shape), value \(value.shape) and key \(key.shape) must share the batch size and rank, and key and value every dimension but the last")
        }
        let b = query.shape[0]
        let positions = Array(1..<(query.rank - 1))
        if let axes = builtAxes, axes != positions {
            return try attendOverAxes(axes, query: query, value: value, key: key, masks: masks, attentionMask: attentionMask,
                                      useCausalMask: useCausalMask, training: training)
        }
        let t = query.shape.dropFirst().dropLast().reduce(1, *), s = value.shape.dropFirst().dropLast().reduce(1, *)
        let combined = try AttentionMasks.combined(batch: b, t: t, s: s, query: masks.0, value: masks.1, key: masks.2,
                                                   explicit: attentionMask, causal: useCausalMask, window: slidingWindow,
                                                   layer: "\(className) '\(name)'")
        let scale = 1 / Float(keyDim).squareRoot()
        var heads: Tensor
        let scores: Tensor
        // The value heads `[B, S, heads, dv]` the attention used (its projection computed once).
        let projectedValue: () throws -> Tensor
        if !(training && dropout > 0), let qkv = try packedProjections(query: query, value: value, key: key) {
            let packed = try Ops.reshape(qkv, [b, t, numHeads * (2 * keyDim + valueDim)])
            (heads, scores) = try Ops.dotProductAttention(packed: packed, heads: numHeads, keyDim: keyDim, valueDim: valueDim,
                                                          scale: scale, mask: combined)
            projectedValue = { [numHeads, keyDim, valueDim] in
                try Ops.reshape(Ops.slice(packed, start: [0, 0, 2 * numHeads * keyDim], shape: [b, t, numHeads * valueDim]),
                                [b, t, numHeads, valueDim])
            }
        } else {
            // The projections' [B, T..., heads, d] viewed as [B, T, heads, d]: the fused op reads them as they are.
            let q = try Ops.reshape(queryDense.callEager(single: query, training: training), [b, t, numHeads, keyDim])
            let k = try sharedHeads(Ops.reshape(keyDense.callEager(single: key, training: training), [b, s, keyValueHeads, keyDim]))
            let v = try sharedHeads(Ops.reshape(valueDense.callEager(single: value, training: training), [b, s, keyValueHeads, valueDim]))
            projectedValue = { v }
            (heads, scores) = training && dropout > 0
                ? try droppedAttention(q, k, v, scale: scale, mask: combined.map { $0.viewing([b, 1, t, s]) })
                : try Ops.dotProductAttention(query: q, key: k, value: v, scale: scale, mask: combined)
        }
        if dropout == 0, !withScores, query.rank == 3, let combined {
            heads = try meanOfValuesOnEmptyRows(heads, mask: combined, value: projectedValue)
        }
        var mixed = try Ops.reshape(heads, Array(query.shape.dropLast()) + [numHeads, valueDim])
        if let gateDense { mixed = try Ops.multiply(mixed, gateDense.callEager(single: query, training: training)) }
        let output = try outputDense.callEager(single: mixed, training: training)
        let scoreShape = [b, numHeads] + Array(query.shape.dropFirst().dropLast()) + Array(value.shape.dropFirst().dropLast())
        return (output, try Ops.reshape(scores, scoreShape))
    }

    /// Keras's attention without scores or dropout is `ops.dot_product_attention`, whose masked
    /// logits are one large negative number: a query position whose mask keeps no key (a
    /// position the query mask drops) attends every key uniformly, where `Softmax(mask=…)` (the
    /// path with scores or dropout, and the fused op here) gives it zeros. `heads`
    /// (`[B, T, heads, dv]`) with the mean of the projected values added on such rows (through
    /// the value projection, so its gradient is the same); unchanged where there are none. `value`
    /// gives the value heads `[B, S, heads, dv]` the attention used (the projection is not run again).
    private func meanOfValuesOnEmptyRows(_ heads: Tensor, mask: Tensor, value: () throws -> Tensor) throws -> Tensor {
        let b = mask.shape[0], t = mask.shape[1], s = mask.shape[2]
        let empty = Tensor(shape: [b, t, 1, 1])
        var any = false
        for row in 0..<(b * t) where !(0..<s).contains(where: { mask.data[row * s + $0] > 0.5 }) {
            empty.data[row] = 1
            any = true
        }
        guard any else { return heads }
        return try Ops.add(heads, Ops.multiply(empty, Ops.mean(value(), axis: 1, keepDims: true)))
    }

    /// Key or value heads `[B, S, keyValueHeads, d]` repeated for the query heads of their group
    /// (`[B, S, numHeads, d]`). Keras: `GroupedQueryAttention`'s `ops.repeat(key, num_repeats, axis=2)`.
    private func sharedHeads(_ x: Tensor) throws -> Tensor {
        keyValueHeads == numHeads ? x : try Ops.repeat(x, numHeads / keyValueHeads, axis: 2)
    }

    /// Self-attention (query, value and key one tensor): the three projections as one product of
    /// the input with their kernels side by side, `[B, T..., heads · (2 · keyDim + valueDim)]`
    /// (Ops.dotProductAttention(packed:…) reads it in place, and its backward is one product as
    /// well); nil where the projections cannot be joined.
    private func packedProjections(query: Tensor, value: Tensor, key: Tensor) throws -> Tensor? {
        func same(_ a: Tensor, _ b: Tensor) -> Bool {
            a.storage === b.storage && a.shape == b.shape && a.tapeID == b.tapeID && a.node == b.node
        }
        guard keyValueHeads == numHeads, same(query, value), same(key, value), let queryDense, let keyDense, let valueDense,
              let qp = try queryDense.denseOperands(), let kp = try keyDense.denseOperands(),
              let vp = try valueDense.denseOperands() else { return nil }
        let biases = [qp.bias, kp.bias, vp.bias].compactMap { $0 }
        guard biases.isEmpty || biases.count == 3 else { return nil }
        let kernel = try Ops.concatenate([qp.kernel, kp.kernel, vp.kernel], axis: 1)
        let e = query.shape[query.rank - 1]
        let y = try Ops.dense(Ops.reshape(query, [query.count / Swift.max(e, 1), e]), kernel: kernel,
                              bias: biases.isEmpty ? nil : Ops.concatenate(biases, axis: 0))
        return try Ops.reshape(y, Array(query.shape.dropLast()) + [kernel.shape[1]])
    }

    /// Attention with dropout on the probabilities (training only), from separate ops: `q`, `k`,
    /// `v` are `[B, T, heads, d]`; returns the mixed values `[B, T, heads, dv]` and the scores.
    private func droppedAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, scale: Float, mask: Tensor?) throws -> (Tensor, Tensor) {
        let perm = [0, 2, 1, 3]
        let scores = try Ops.maskedSoftmax(Ops.batchMatmul(Ops.transpose(Ops.affine(q, scale: scale), perm),
                                                           Ops.transpose(k, perm), transposeB: true), mask: mask)
        let weights = try (dropoutLayer ?? Dropout(dropout, seed: seed)).callEager(single: scores, training: true)
        return (try Ops.transpose(Ops.batchMatmul(weights, Ops.transpose(v, perm)), perm), scores)
    }

    public override func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        guard shapes.count == 2 || shapes.count == 3, let query = shapes.first, query.count >= 3 else {
            throw KerasError.invalidArgument("\(className) '\(name)' takes [query, value] or [query, value, key] of rank 3 or more, got \(shapes.map(formatShape))")
        }
        let out = outputShape.map { Array(query.dropLast()) + $0.map { Optional($0) } } ?? query
        guard returnAttentionScores else { return [out] }
        let axes = try resolvedAxes(rank: query.count + 1), value = shapes[1]
        let others = (1..<(query.count - 1)).filter { !axes.contains($0) }
        guard value.count == query.count else {
            throw KerasError.shapeMismatch("\(className) '\(name)': query and value must have equal ranks, got \(formatShape(query)) and \(formatShape(value))")
        }
        return [out, [query[0]] + others.map { query[$0] } + [numHeads] + axes.map { query[$0] } + axes.map { value[$0] }]
    }

    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        returnAttentionScores ? [masks.first ?? nil, nil] : [masks.first ?? nil]
    }

    /// The class's declaration (DeclaredLayer): a class property, so that a subclass
    /// (``GroupedQueryAttention``) declares its own.
    public class var declaration: LayerDeclaration { MultiHeadAttention.multiHeadAttentionDeclaration }

    /// The attention axes in the config: Keras writes the resolved ones once built.
    var configAxes: JSON {
        (builtAxes ?? attentionAxes).map { .array($0.map(JSON.int)) } ?? .null
    }
}

extension MultiHeadAttention: DeclaredLayer {
    /// Keras: `MultiHeadAttention(num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
    /// output_shape=None, attention_axes=None, sliding_window=None, flash_attention=None,
    /// kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
    /// bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
    /// bias_constraint=None, use_gate=False, seed=None)`.
    static let multiHeadAttentionDeclaration = LayerDeclaration(MultiHeadAttention.self, constructorOrder: [
        "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "attention_axes", "sliding_window",
        "flash_attention", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
        "activity_regularizer", "kernel_constraint", "bias_constraint", "use_gate", "seed",
    ], checkedWhenBuilt: ["dropout": nil], arguments: [
        .required("num_heads", \.numHeads),
        .required("key_dim", \.keyDim),
        .optional("value_dim", default: nil) { .int($0.valueDim) },
        .optional("dropout", \.dropout, default: 0),
        .optional("use_bias", \.useBias, default: true),
        .optional("use_gate", \.useGate, default: false),
        .optional("output_shape", \.outputShape, default: nil),
        .optional("attention_axes", default: nil) { $0.configAxes },
        .optional("sliding_window", \.slidingWindow, default: nil),
    ] + projectionArguments(MultiHeadAttention.self)) { c in
        var outputShape: [Int]?
        if let one = c["output_shape"]?.intValue { outputShape = [one] } else if c.isGiven("output_shape") { outputShape = try c.ints("output_shape") }
        var axes: [Int]?
        if let one = c["attention_axes"]?.intValue { axes = [one] } else if c.isGiven("attention_axes") { axes = try c.ints("attention_axes") }
        return try MultiHeadAttention(
            numHeads: try c.int("num_heads"), keyDim: try c.int("key_dim"), valueDim: try c.optionalInt("value_dim"),
            dropout: try c.double("dropout"), useBias: try c.bool("use_bias"), outputShape: outputShape,
            attentionAxes: axes, slidingWindow: try c.optionalInt("sliding_window"),
            kernelInitializer: try c.initializer("kernel_initializer"), biasInitializer: try c.initializer("bias_initializer"),
            kernelRegularizer: try c.regularizer("kernel_regularizer"), biasRegularizer: try c.regularizer("bias_regularizer"),
            kernelConstraint: try c.constraint("kernel_constraint"), biasConstraint: try c.constraint("bias_constraint"),
            useGate: try c.bool("use_gate"), seed: try c.seed(drawn: c.double("dropout") > 0), name: c.name)
    }
}
extension MultiHeadAttention {
    /// The arguments of the projections' sublayers, which MultiHeadAttention and
    /// GroupedQueryAttention share (Keras: `flash_attention` to `seed`).
    static func projectionArguments<L: MultiHeadAttention>(_ type: L.Type) -> [LayerArgument<L>] {
        [
            .unsaved("flash_attention"),
            .optional("kernel_initializer", \.kernelInitializer, default: VarianceScaling.glorotUniform()),
            .optional("bias_initializer", \.biasInitializer, default: Zeros()),
            .optional("kernel_regularizer", \.kernelRegularizer),
            .optional("bias_regularizer", \.biasRegularizer),
            .optional("activity_regularizer", default: nil) { $0.activityRegularizer?.serialized ?? .null },
            .optional("kernel_constraint", \.kernelConstraint),
            .optional("bias_constraint", \.biasConstraint),
            .optional("seed", \.seed, default: nil),
        ]
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(MultiHeadAttention.self, $0) }
