/// A symbolic tensor: the shape of data that will flow through a functional model, and the
/// layer call that produces it. Keras: `KerasTensor`.
///
/// ```swift
/// let inputs = Input(shape: [4])
/// let hidden = try Dense(8, activation: .relu)(inputs)
/// let model = try Model(inputs: inputs, outputs: try Dense(3)(hidden))
/// ```
public final class KerasTensor: CustomStringConvertible {
    /// The shape with the batch dimension first (nil when unknown).
    public let shape: [Int?]
    /// The layer call that produces this tensor.
    let node: GraphNode?
    /// Which of the node's outputs this is (0 for single-output layers). Keras: `_keras_history.tensor_index`.
    public let tensorIndex: Int
    public var name: String

    init(shape: [Int?], node: GraphNode?, name: String, tensorIndex: Int = 0) {
        self.shape = shape
        self.node = node
        self.name = name
        self.tensorIndex = tensorIndex
    }

    /// The producing layer.
    public var layer: Layer? { node?.layer }

    public var description: String {
        "<KerasTensor shape=\(formatShape(shape)), name=\(name)>"
    }
}

/// One call of a layer on symbolic inputs.
///
/// Ownership runs one way, from outputs back to inputs: a tensor owns the node that made it, a
/// node owns its layer and its input tensors. Layers do not point back at their nodes, and a
/// node knows its outputs only by shape, so a model and its graph are freed together.
final class GraphNode {
    let layer: Layer
    let inputs: [KerasTensor]
    /// The shapes of the outputs (the output tensors themselves own this node).
    var outputShapes: [[Int?]] = []
    /// The shape of a single-output node.
    var outputShape: [Int?] {
        get { outputShapes.first ?? [] }
        set { outputShapes = [newValue] }
    }
    /// The position of this node among the layer's calls.
    let index: Int
    /// The `training` value given to this call (`base(x, training=False)`), kept to be written
    /// back in the node's `kwargs` as Keras writes it. As in Keras 3, fit, evaluate and predict
    /// pass their own training flag to every layer, this call's included.
    var training: Bool?
    /// The masks given to this call (Keras's `layer(x, mask=m)`, and what Keras's config
    /// records for every call whose inputs carry one), one per input (nil: none), in place of
    /// those the inputs carry; nil when the call was given none.
    var masks: [KerasTensor?]?
    /// Whether the call was given keyword arguments (a config node's `kwargs`: `training`,
    /// `mask: None`, ...). Keras's node keeps the keywords its call was given, and
    /// `Layer.__call__` adds the mask it passes a call taking one to those same keywords only
    /// where the call was given none (it copies them otherwise): see ``recordsBuiltMask``.
    var givenKeywords = false
    /// Whether Keras's node records the mask its one input has when the graph is built, and
    /// gives it to the call at run time in place of the one the input then carries (which a
    /// MultiHeadAttention call run before may have cleared, ``ClearedMasks``): a call taking
    /// `mask` (``Layer/callTakesMask``), given no mask and no keywords (`LSTM(3)(x)`, a config
    /// node whose `kwargs` are empty). `LSTM(3)(x, training=False)`, or a config node writing
    /// `training` and no `mask` tensor, records none: the call gets the mask its input carries.
    var recordsBuiltMask: Bool {
        masks == nil && !givenKeywords && training == nil && inputs.count == 1 && layer.callTakesMask
    }
    /// Whether the call's config node writes `mask: None` (Keras writes it for a call taking
    /// `mask` whose input carries none; it means no mask given), kept to be written back.
    var writesNullMask = false
    /// The layer's call keywords at this call, for a layer that keeps them per call
    /// (``Layer/callKeywordsPerNode``); nil otherwise.
    var callKeywords: JSON?

    /// The masks Keras's config records for a MultiHeadAttention or GroupQueryAttention call,
    /// its `query_mask`, `value_mask` and `key_mask` keywords, one per input (nil: written as
    /// None), kept to be written back; nil when the config writes none. The call reads its
    /// value's and key's masks from them (Keras passes them as arguments) and, for
    /// MultiHeadAttention, its query's from the tensor (Keras's call takes the query's own).
    var attentionMasks: [KerasTensor?]?
    /// The keywords of ``attentionMasks``, in order.
    static let attentionMaskKeywords = ["query_mask", "value_mask", "key_mask"]

    /// The recorded mask this attention call reads for its input `i` in place of the one the
    /// tensor carries (``attentionMasks``): its value's and key's; nil for MultiHeadAttention's
    /// query (its call takes the query's own mask) and where none was recorded.
    func recordedAttentionMask(_ i: Int) -> KerasTensor? {
        guard let m = attentionMasks, i < m.count, i > 0 || (layer as? MultiHeadAttention)?.clearsInputMasks != true else { return nil }
        return m[i]
    }

    /// Every tensor the call reads: its inputs, then the masks given to it (an attention's
    /// recorded masks by keyword name, as Keras flattens its node's keywords).
    var dependencies: [KerasTensor] {
        let recorded: [KerasTensor] = attentionMasks.map { m in [2, 0, 1].compactMap { $0 < m.count ? m[$0] : nil } } ?? []
        return inputs + (masks ?? []).compactMap { $0 } + recorded
    }

    init(layer: Layer, inputs: [KerasTensor], index: Int) {
        self.layer = layer
        self.inputs = inputs
        self.index = index
    }
}

/// `(None, 8)` as Python prints a shape tuple.
public func formatShape(_ shape: [Int?]) -> String {
    let parts = shape.map { $0.map(String.init) ?? "None" }
    return parts.count == 1 ? "(\(parts[0]),)" : "(" + parts.joined(separator: ", ") + ")"
}

extension Layer {
    /// Calls the layer on a symbolic tensor, adding a node to the functional graph.
    public func callAsFunction(_ input: KerasTensor) throws -> KerasTensor {
        try callAsFunction([input])
    }

    /// Calls the layer on several symbolic tensors (merge layers).
    public func callAsFunction(_ inputs: [KerasTensor]) throws -> KerasTensor {
        let outs = try callMultiple(inputs)
        guard outs.count == 1 else {
            throw KerasError.invalidArgument("\(className) '\(name)' returns \(outs.count) tensors; call it with callMultiple(_:)")
        }
        return outs[0]
    }

    /// Calls a layer that returns several tensors (`LSTM(returnState: true)`) on a symbolic tensor.
    public func callMultiple(_ input: KerasTensor) throws -> [KerasTensor] { try callMultiple([input]) }

    /// Calls the layer on symbolic tensors and returns every output, one per tensor index.
    public func callMultiple(_ inputs: [KerasTensor]) throws -> [KerasTensor] {
        try callMultiple(inputs, masks: nil)
    }

    /// Calls the layer on symbolic tensors with the masks given for them (Keras's
    /// `layer(x, mask=m)`; nil entries: none), which the call gets in place of the masks its
    /// inputs carry.
    public func callMultiple(_ inputs: [KerasTensor], masks: [KerasTensor?]?) throws -> [KerasTensor] {
        if let masks, masks.count != inputs.count {
            throw KerasError.invalidArgument("\(className) '\(name)' was given \(masks.count) masks for \(inputs.count) inputs")
        }
        guard !inputs.isEmpty else { throw KerasError.invalidArgument("\(className) '\(name)' was called on no inputs") }
        let shapes = inputs.map(\.shape)
        try ensureBuilt(shapes)
        let outShapes = try computeOutputShapes(shapes)
        guard !outShapes.isEmpty else { throw KerasError.invalidState("\(className) '\(name)' computes no outputs") }
        let node = GraphNode(layer: self, inputs: inputs, index: callCount)
        node.masks = masks
        if callKeywordsPerNode { node.callKeywords = callKeywordArguments }
        callCount += 1
        node.outputShapes = outShapes
        return outShapes.enumerated().map { KerasTensor(shape: $1, node: node, name: name, tensorIndex: $0) }
    }
}
