/// Encodes integer category indices in `[0, numTokens)` as one-hot rows, multi-hot rows (a 1 for
/// each index present in a sample) or counts. Keras: `keras.layers.CategoryEncoding`.
///
/// ```swift
/// let encode = try CategoryEncoding(numTokens: 4, outputMode: "one_hot")
/// try encode(Tensor([3, 2, 0, 1]))   // 4 × 4 identity rows
/// ```
public final class CategoryEncoding: Layer, @unchecked Sendable {
    /// The number of categories; inputs must lie in `[0, numTokens)`.
    public let numTokens: Int
    /// `one_hot`, `multi_hot` (the default) or `count`.
    public let outputMode: CategoricalOutputMode

    public init(numTokens: Int, outputMode: String = "multi_hot", sparse: Bool = false,
                name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil) throws {
        guard numTokens >= 1 else {
            throw KerasError.invalidArgument("CategoryEncoding: num_tokens must be >= 1, got \(numTokens)")
        }
        guard !sparse else {
            throw KerasError.invalidArgument("CategoryEncoding: sparse=True is not supported (dense outputs only)")
        }
        self.numTokens = numTokens
        self.outputMode = try .named(outputMode, layer: "CategoryEncoding", allowed: [.oneHot, .multiHot, .count])
        super.init(name: name, trainable: trainable, inputShape: inputShape)
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        try encodeCategorical(x.detached, mode: outputMode, depth: numTokens,
                              layer: "CategoryEncoding '\(name)'", argument: "num_tokens")
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        outputMode.outputShape(inputShape, depth: numTokens)
    }
}

extension CategoryEncoding: DeclaredLayer {
    /// Keras: `CategoryEncoding(num_tokens=None, output_mode="multi_hot", sparse=False)`;
    /// `get_config()` writes `num_tokens` and `output_mode`.
    public static let declaration = LayerDeclaration(CategoryEncoding.self, arguments: [
        .required("num_tokens", \.numTokens),
        .optional("output_mode", \.outputMode, default: .multiHot),
        .unsaved("sparse", default: false),
    ]) { c in
        try CategoryEncoding(numTokens: c.int("num_tokens"), outputMode: c.string("output_mode"),
                             sparse: c.bool("sparse", default: false), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(CategoryEncoding.self, $0) }
