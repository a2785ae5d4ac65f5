/// Crosses two or more categorical features (strings or integers) into one hashed feature of
/// `numBins` bins, as Keras does through `tf.sparse.cross_hashed`: each value's fingerprint
/// (FarmHash `Fingerprint64` of a string, an integer as itself) folded into TensorFlow's key
/// `0xDECAFCAFFE` with `FingerprintCat64`, in input order, modulo the bins. Inputs of shape
/// `()`, `(batch)` or `(batch, 1)`, all the same. Keras: `keras.layers.HashedCrossing`.
///
/// ```swift
/// let cross = try HashedCrossing(numBins: 5)
/// try cross([Tensor(strings: ["A", "B"], shape: [2]), Tensor([101, 101])])   // Keras's [1, 4]
/// ```
public final class HashedCrossing: Layer, @unchecked Sendable {
    public let numBins: Int
    public let outputMode: CategoricalOutputMode

    /// TensorFlow's `hash_key` when none is given (`sparse_ops._DEFAULT_HASH_KEY`).
    static let hashKey: UInt64 = 0xDECA_FCAF_FE

    public init(numBins: Int, outputMode: String = "int", sparse: Bool = false, name: String? = nil) throws {
        guard numBins > 0 else {
            throw KerasError.invalidArgument("HashedCrossing: num_bins must be positive, got \(numBins)")
        }
        guard !sparse else {
            throw KerasError.invalidArgument("HashedCrossing: `sparse=True` can only be used with the TensorFlow backend")
        }
        self.numBins = numBins
        self.outputMode = try .named(outputMode, layer: "HashedCrossing", allowed: [.int, .oneHot])
        super.init(name: name)
    }

    private func checked(_ shapes: [[Int?]]) throws -> [Int?] {
        guard shapes.count >= 2 else {
            throw KerasError.invalidArgument("`HashedCrossing` '\(name)' should be called on at least two inputs, got \(shapes.count)")
        }
        let first = shapes[0]
        guard first.count < 2 || (first.count == 2 && first[1] == 1) else {
            throw KerasError.shapeMismatch("All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or `(batch_size, 1)`, got \(formatShape(first))")
        }
        guard shapes.dropFirst().allSatisfy({ $0 == first }) else {
            throw KerasError.shapeMismatch("All `HashedCrossing` inputs should have equal shape, got \(shapes.map(formatShape))")
        }
        return first
    }

    public override func build(shapes: [[Int?]]) throws { _ = try checked(shapes) }

    public override func call(_ inputs: [Tensor], training: Bool) throws -> Tensor {
        _ = try checked(inputs.map { $0.shape.map { Optional($0) } })
        let count = inputs[0].count
        let out = Tensor.uninitialized(inputs[0].shape)
        for i in 0..<count {
            var h = Self.hashKey
            for x in inputs {
                let v = x.data[i]
                let feature: UInt64
                if let s = StringValues.decode(v) {
                    feature = KerasHash.fingerprint64(Array(s.utf8))
                } else {
                    guard v.isFinite, v == v.rounded(), Swift.abs(v) < 9.2e18 else {
                        throw KerasError.invalidData("All `HashedCrossing` inputs should have an integer or string dtype, got the value \(v) in layer '\(name)'")
                    }
                    feature = UInt64(bitPattern: Int64(v))
                }
                h = KerasHash.fingerprintCat64(h, feature)
            }
            out.data[i] = Float(h % UInt64(numBins))
        }
        return try encodeCategorical(out, mode: outputMode, depth: numBins, layer: "HashedCrossing '\(name)'", argument: "num_bins")
    }

    public override func computeOutputShape(shapes: [[Int?]]) throws -> [Int?] {
        outputMode.outputShape(try checked(shapes), depth: numBins)
    }

    /// Keras's config: `num_bins`, `output_mode`, `sparse`, `name` and `dtype` as a plain name
    /// (`int64` in the `int` output mode), without `trainable`.
    public override func getConfig() -> JSON {
        ["num_bins": .int(numBins), "output_mode": outputMode.configValue, "sparse": .bool(false), "name": .string(name),
         "dtype": .string(outputMode == .int ? "int64" : "float32")]
    }
}

extension HashedCrossing: IntegerOutputLayer {}

extension HashedCrossing: DeclaredLayer {
    /// Keras: `HashedCrossing(num_bins, output_mode="int", sparse=False)`.
    public static let declaration = LayerDeclaration(HashedCrossing.self, arguments: [
        .required("num_bins", \.numBins),
        .optional("output_mode", \.outputMode, default: .int),
        .optional("sparse", default: false) { _ in .bool(false) },
    ]) { c in
        try HashedCrossing(numBins: c.int("num_bins"), outputMode: c.string("output_mode"),
                           sparse: c.bool("sparse", default: false), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(HashedCrossing.self, $0) }
