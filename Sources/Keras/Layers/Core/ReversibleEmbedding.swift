/// An ``Embedding`` that can also project back from `outputDim` to `inputDim` (a language
/// model's output logits): called with `reverse`, it multiplies its input by the transposed
/// table (`tieWeights`, the default) or by a separate `reverse_embeddings` weight
/// `(output_dim, input_dim)`, optionally soft-capped as `tanh(logits / cap) · cap`.
/// Keras: `keras.layers.ReversibleEmbedding`.
///
/// ``reverse`` is the call's keyword (Keras's `layer(x, reverse=True)`): each functional call
/// keeps its own (a model embeds its tokens and projects its last hidden states with one layer).
///
/// ```swift
/// let embedding = try ReversibleEmbedding(100, 16)
/// let tokens = Input(shape: [8])
/// let hidden = try embedding(tokens)
/// embedding.reverse = true
/// let logits = try embedding(hidden)      // [batch, 8, 100]
/// ```
public final class ReversibleEmbedding: Embedding, @unchecked Sendable {
    /// Whether the reverse projection is the transposed `embeddings` (no weight of its own).
    public let tieWeights: Bool
    /// `tanh(logits / cap) · cap` on the reverse projection's logits, or nil for none.
    public let logitSoftCap: Double?
    /// The reverse projection `(output_dim, input_dim)` when the weights are not tied, once built.
    public private(set) var reverseEmbeddings: Variable?
    /// The next calls project back (Keras's call keyword `reverse=True`); a functional call keeps
    /// the value it was made with.
    public var reverse = false

    public init(_ inputDim: Int, _ outputDim: Int, tieWeights: Bool = true,
                embeddingsInitializer: Initializer = RandomUniform(), embeddingsRegularizer: Regularizer? = nil,
                activityRegularizer: Regularizer? = nil, embeddingsConstraint: Constraint? = nil,
                maskZero: Bool = false, logitSoftCap: Double? = nil, name: String? = nil, trainable: Bool = true,
                inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        if let cap = logitSoftCap, !(cap > 0) || !cap.isFinite {
            throw KerasError.invalidArgument("ReversibleEmbedding(logit_soft_cap: \(cap)): logit_soft_cap must be a positive number or None")
        }
        self.tieWeights = tieWeights
        self.logitSoftCap = logitSoftCap
        try super.init(inputDim, outputDim, embeddingsInitializer: embeddingsInitializer,
                       embeddingsRegularizer: embeddingsRegularizer, activityRegularizer: activityRegularizer,
                       embeddingsConstraint: embeddingsConstraint, maskZero: maskZero, name: name,
                       trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    /// Builds for the first call: the table, and the reverse projection when untied. A first
    /// call with `reverse` (a hidden state of `outputDim` features) builds the same weights.
    public override func build(_ inputShape: [Int?]) throws {
        try super.build(inputShape)
        if !tieWeights {
            reverseEmbeddings = addWeight(name: "reverse_embeddings", shape: [outputDim, inputDim],
                                          initializer: embeddingsInitializer)
        }
    }

    public override var callKeywordArguments: JSON { reverse ? ["reverse": true] : .object([]) }

    public override var callKeywordsPerNode: Bool { true }

    public override func applyCallKeywordArguments(_ kwargs: JSON) throws {
        guard let given = kwargs["reverse"] else { reverse = false; return }
        guard let value = given.boolValue else {
            throw KerasError.invalidArgument("ReversibleEmbedding '\(name)': the call's reverse must be true or false, got \(given)")
        }
        reverse = value
    }

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor {
        guard reverse else { return try super.call(inputs, training: training) }
        guard let embeddings else { throw KerasError.invalidState("ReversibleEmbedding '\(name)' is not built") }
        guard inputs.rank >= 1, inputs.shape[inputs.rank - 1] == outputDim else {
            throw KerasError.shapeMismatch("ReversibleEmbedding '\(name)': a reverse call takes inputs whose last dimension is output_dim \(outputDim), got shape \(inputs.shape)")
        }
        let kernel = try reverseEmbeddings?.value ?? Ops.transpose(embeddings.value, [1, 0])
        let flat = try Ops.reshape(inputs, [inputs.count / outputDim, outputDim])
        var logits = try Ops.reshape(Ops.matmul(flat, kernel), Array(inputs.shape.dropLast()) + [inputDim])
        if let cap = logitSoftCap {
            logits = try Ops.multiply(Ops.tanh(Ops.divide(logits, Tensor(Float(cap)))), Tensor(Float(cap)))
        }
        return logits
    }

    /// Keras: a forward call's output carries the mask of `mask_zero`; a reverse call's none.
    public override func computeMask(_ inputs: Tensor, mask: Tensor?) throws -> Tensor? {
        reverse ? nil : try super.computeMask(inputs, mask: mask)
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard reverse else { return try super.computeOutputShape(inputShape) }
        guard let last = inputShape.last, last == outputDim || last == nil else {
            throw KerasError.shapeMismatch("ReversibleEmbedding '\(name)': a reverse call takes inputs whose last dimension is output_dim \(outputDim), got shape \(formatShape(inputShape))")
        }
        return Array(inputShape.dropLast()) + [inputDim]
    }

    override public class var declaration: LayerDeclaration { reversibleEmbeddingDeclaration }
}

extension ReversibleEmbedding {
    /// Keras: `ReversibleEmbedding(input_dim, output_dim, tie_weights=True,
    /// embeddings_initializer="uniform", embeddings_regularizer=None, embeddings_constraint=None,
    /// mask_zero=False, reverse_dtype=None, logit_soft_cap=None)`; the computation is float32
    /// (a `reverse_dtype` other than float32 is refused).
    /// Its config, as Keras's, writes Embedding's arguments before its own.
    static let reversibleEmbeddingDeclaration = LayerDeclaration(
        ReversibleEmbedding.self,
        constructorOrder: ["input_dim", "output_dim", "tie_weights", "embeddings_initializer", "embeddings_regularizer",
                           "embeddings_constraint", "mask_zero", "reverse_dtype", "logit_soft_cap"],
        arguments: [
            .required("input_dim", \.inputDim),
            .required("output_dim", \.outputDim),
        ] + tableArguments(ReversibleEmbedding.self) + [
            .optional("tie_weights", \.tieWeights, default: true),
            .optional("reverse_dtype", default: nil) { _ in .null },
            .optional("logit_soft_cap", \.logitSoftCap, default: nil),
        ]) { c in
        if let dtype = try c.optionalString("reverse_dtype"), dtype != "float32" {
            throw KerasError.invalidArgument("ReversibleEmbedding config: reverse_dtype '\(dtype)' is not supported (the library computes in float32)")
        }
        return try ReversibleEmbedding(try c.int("input_dim"), try c.int("output_dim"), tieWeights: try c.bool("tie_weights"),
                                       embeddingsInitializer: try c.initializer("embeddings_initializer"),
                                       embeddingsRegularizer: try c.regularizer("embeddings_regularizer"),
                                       embeddingsConstraint: try c.constraint("embeddings_constraint"),
                                       maskZero: try c.bool("mask_zero"), logitSoftCap: c.isGiven("logit_soft_cap") ? try c.double("logit_soft_cap") : nil,
                                       name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(ReversibleEmbedding.self, $0) }
