/// The entry point of a model: it only declares the input shape. Keras: `InputLayer`.
public final class InputLayer: Layer, @unchecked Sendable {
    /// The shape with the batch dimension first.
    public let batchShape: [Int?]
    /// The symbolic tensor this layer produced, while someone (a model, the caller) holds it.
    public private(set) weak var output: KerasTensor?
    /// The input's dtype as Keras's config writes it: `float32`, or `string` for string inputs
    /// (``StringValues``), `int32`/`int64` for integers, `bool` (a mask given to a nested
    /// model's call, `inner(x, mask=m)`) (both held as floats here).
    public let dtype: String

    public init(shape: [Int?], batchSize: Int? = nil, dtype: String = "float32", name: String? = nil) {
        batchShape = [batchSize] + shape
        self.dtype = dtype
        super.init(name: name ?? LayerNames.unique(for: "input_layer"))
        batchInputShape = batchShape
        built = true
    }

    /// Makes the symbolic tensor of this input; the caller owns it.
    func makeOutput() -> KerasTensor {
        if let output { return output }
        let node = GraphNode(layer: self, inputs: [], index: 0)
        node.outputShape = batchShape
        callCount = 1
        let t = KerasTensor(shape: batchShape, node: node, name: name)
        output = t
        return t
    }

    public convenience init(batchShape: [Int?], dtype: String = "float32", name: String? = nil) {
        self.init(shape: Array(batchShape.dropFirst()), batchSize: batchShape.first ?? nil, dtype: dtype, name: name)
    }

    public override var className: String { "InputLayer" }

    /// The non-float dtypes an input keeps in its config (others load as float32).
    static let keptDTypes: Set<String> = ["string", "int32", "int64", "bool"]

    public override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { inputs }

    public override func getConfig() -> JSON {
        ["batch_shape": .array(batchShape.map { $0.map { .int($0) } ?? .null }), "dtype": .string(dtype),
         "sparse": false, "ragged": false, "name": .string(name), "optional": false]
    }
}

/// A symbolic input for the functional API. Keras: `keras.Input(shape=...)`.
/// `dtype: "string"` makes a string input (``StringValues``).
public func Input(shape: [Int?], batchSize: Int? = nil, dtype: String = "float32", name: String? = nil) -> KerasTensor {
    InputLayer(shape: shape, batchSize: batchSize, dtype: dtype, name: name).makeOutput()
}

/// A symbolic input from integer dimensions.
public func Input(shape: [Int], batchSize: Int? = nil, dtype: String = "float32", name: String? = nil) -> KerasTensor {
    Input(shape: shape.map { Optional($0) }, batchSize: batchSize, dtype: dtype, name: name)
}

extension InputLayer: DeclaredLayer {
    /// Keras: `InputLayer(shape=None, batch_size=None, sparse=None, ragged=False, batch_shape=None,
    /// optional=False)`; rebuilt from `batch_shape` (Keras 3), `batch_input_shape` (Keras 2) or
    /// `shape` + `batch_size`. It writes its own config, as Keras's does.
    public static let declaration = LayerDeclaration(InputLayer.self, builtAtInit: true, arguments: [
        .unsaved("shape"),
        .unsaved("batch_size"),
        .unsaved("sparse", default: false),
        .unsaved("ragged", default: false),
        .unsaved("batch_shape"),
        .unsaved("optional", default: false),
    ]) { c in
        let shape: [Int?]
        if let s = try c.shape("batch_shape") ?? c.shape("batch_input_shape") {
            shape = s
        } else if let s = try c.shape("shape") ?? c.shape("input_shape") {
            shape = [try c.optionalInt("batch_size")] + s
        } else {
            throw KerasError.io("InputLayer config: needs 'batch_shape' (or 'batch_input_shape' / 'shape')")
        }
        guard !shape.isEmpty else { throw KerasError.io("InputLayer config: the batch shape must include the batch dimension") }
        let dtype = c["dtype"]?.stringValue ?? c["dtype"]?["config"]?["name"]?.stringValue ?? "float32"
        return InputLayer(batchShape: shape, dtype: InputLayer.keptDTypes.contains(dtype) ? dtype : "float32", name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(InputLayer.self, $0) }
