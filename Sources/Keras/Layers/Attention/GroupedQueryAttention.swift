/// Grouped-query attention (Ainslie et al., 2023): `numQueryHeads` query heads share
/// `numKeyValueHeads` key and value heads, each shared by `numQueryHeads / numKeyValueHeads`
/// consecutive query heads. Keras: `keras.layers.GroupQueryAttention` (class
/// `GroupedQueryAttention`; its configs carry `GroupQueryAttention`).
///
/// It is ``MultiHeadAttention`` with fewer key and value heads (`keyDim` and `valueDim` both
/// `headDim`, the output the query's size): the same sublayers (`query`, `key`, `gate`, `value`,
/// `attention_output`, Keras's weight order and paths), masks, call keywords and dropout.
///
/// ```swift
/// let x = Input(shape: [16, 32])
/// let gqa = try GroupedQueryAttention(headDim: 8, numQueryHeads: 4, numKeyValueHeads: 2)
/// let y = try gqa([x, x])
/// ```
public final class GroupedQueryAttention: MultiHeadAttention, @unchecked Sendable {
    public var headDim: Int { keyDim }
    public var numQueryHeads: Int { numHeads }
    public var numKeyValueHeads: Int { keyValueHeads }

    public init(headDim: Int, numQueryHeads: Int, numKeyValueHeads: Int, dropout: Double = 0, useBias: Bool = true,
                slidingWindow: Int? = nil, kernelInitializer: Initializer = VarianceScaling.glorotUniform(),
                biasInitializer: Initializer = Zeros(), kernelRegularizer: Regularizer? = nil,
                biasRegularizer: Regularizer? = nil, activityRegularizer: Regularizer? = nil,
                kernelConstraint: Constraint? = nil, biasConstraint: Constraint? = nil, useGate: Bool = false,
                seed: Int? = nil, name: String? = nil, trainable: Bool = true) throws {
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw KerasError.invalidArgument("GroupedQueryAttention(\(what))") }
        }
        try check(headDim > 0, "headDim: \(headDim)): head_dim must be a positive integer")
        try check(numQueryHeads > 0, "numQueryHeads: \(numQueryHeads)): num_query_heads must be a positive integer")
        try check(numKeyValueHeads > 0, "numKeyValueHeads: \(numKeyValueHeads)): num_key_value_heads must be a positive integer")
        try check(numQueryHeads % numKeyValueHeads == 0,
                  "numQueryHeads: \(numQueryHeads), numKeyValueHeads: \(numKeyValueHeads)): `num_query_heads` must be divisible by `num_key_value_heads`.")
        try check(dropout >= 0 && dropout <= 1, "dropout: \(dropout)): dropout must be between 0 and 1")
        try check((slidingWindow ?? 1) > 0,
                  "slidingWindow: \(slidingWindow ?? 0)): `sliding_window` must be `None` or a positive integer.")
        try super.init(numHeads: numQueryHeads, keyDim: headDim, valueDim: headDim, dropout: dropout, useBias: useBias,
                       slidingWindow: slidingWindow, kernelInitializer: kernelInitializer, biasInitializer: biasInitializer,
                       kernelRegularizer: kernelRegularizer, biasRegularizer: biasRegularizer,
                       activityRegularizer: activityRegularizer, kernelConstraint: kernelConstraint,
                       biasConstraint: biasConstraint, useGate: useGate, seed: seed, name: name, trainable: trainable)
        keyValueHeads = numKeyValueHeads
    }

    /// The name Keras's configs carry (its class is `GroupedQueryAttention`, exported and
    /// serialized as `GroupQueryAttention`); the default layer name stays `grouped_query_attention`.
    public override var className: String { "GroupQueryAttention" }

    override var clearsInputMasks: Bool { false }

    public override var pythonClassName: String { "GroupedQueryAttention" }

    /// Keras's attribute names, which name the sublayers' paths in `.keras` files
    /// (`_query_dense/vars`: unlike MultiHeadAttention, no public property renames them).
    public override var sublayerAttributeNames: [String: String] {
        ["queryDense": "_query_dense", "keyDense": "_key_dense", "gateDense": "_gate_dense", "valueDense": "_value_dense",
         "outputDense": "_output_dense", "softmax": "_softmax", "dropoutLayer": "_dropout_layer"]
    }

    override public class var declaration: LayerDeclaration { groupedQueryAttentionDeclaration }
}

extension GroupedQueryAttention {
    /// Keras: `GroupQueryAttention(head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
    /// use_bias=True, sliding_window=None, flash_attention=None, kernel_initializer="glorot_uniform",
    /// bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
    /// activity_regularizer=None, kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None)`.
    static let groupedQueryAttentionDeclaration = LayerDeclaration(GroupedQueryAttention.self, className: "GroupQueryAttention", aliases: ["GroupedQueryAttention"], constructorOrder: [
        "head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias", "sliding_window", "flash_attention",
        "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "bias_constraint", "use_gate", "seed",
    ], checkedWhenBuilt: ["dropout": nil], arguments: [
        .required("head_dim", \.headDim),
        .required("num_query_heads", \.numQueryHeads),
        .required("num_key_value_heads", \.numKeyValueHeads),
        .optional("use_bias", \.useBias, default: true),
        .optional("use_gate", \.useGate, default: false),
        .optional("sliding_window", \.slidingWindow, default: nil),
        .optional("dropout", \.dropout, default: 0),
    ] + projectionArguments(GroupedQueryAttention.self)) { c in
        try GroupedQueryAttention(
            headDim: try c.int("head_dim"), numQueryHeads: try c.int("num_query_heads"),
            numKeyValueHeads: try c.int("num_key_value_heads"), dropout: try c.double("dropout"),
            useBias: try c.bool("use_bias"), slidingWindow: try c.optionalInt("sliding_window"),
            kernelInitializer: try c.initializer("kernel_initializer"), biasInitializer: try c.initializer("bias_initializer"),
            kernelRegularizer: try c.regularizer("kernel_regularizer"), biasRegularizer: try c.regularizer("bias_regularizer"),
            activityRegularizer: try c.regularizer("activity_regularizer"),
            kernelConstraint: try c.constraint("kernel_constraint"), biasConstraint: try c.constraint("bias_constraint"),
            useGate: try c.bool("use_gate"), seed: try c.seed(drawn: c.double("dropout") > 0), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(GroupedQueryAttention.self, $0) }
