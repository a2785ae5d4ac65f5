/// Runs a recurrent layer over a sequence forwards and a copy of it backwards, and merges the
/// two outputs (`concat` by default; `sum`, `mul`, `ave`, or nil for both as separate outputs).
/// The two layers are tracked sublayers (`bidirectional/forward_lstm/lstm_cell/kernel`).
/// Keras: `keras.layers.Bidirectional`.
///
/// ```swift
/// let model = try Sequential([InputLayer(shape: [100]), Embedding(10_000, 64, maskZero: true),
///                             Bidirectional(LSTM(32)), Dense(1, activation: .sigmoid)])
/// ```
public final class Bidirectional: Layer, @unchecked Sendable {
    /// How the forward and backward outputs combine. Keras: `merge_mode`.
    public enum MergeMode: String, Sendable { case concat, sum, mul, ave }

    public let forwardLayer: RNN
    public let backwardLayer: RNN
    /// nil: the two outputs are returned separately.
    public let mergeMode: MergeMode?
    public var returnSequences: Bool { forwardLayer.returnSequences }
    public var returnState: Bool { forwardLayer.returnState }

    /// - Parameters:
    ///   - layer: the recurrent layer; the wrapper runs a copy of it named `forward_<name>`.
    ///   - backwardLayer: the backward layer; by default a copy of `layer` with `goBackwards`
    ///     flipped, named `backward_<name>`.
    public convenience init(_ layer: RNN, mergeMode: MergeMode? = .concat, backwardLayer: RNN? = nil,
                            name: String? = nil, trainable: Bool = true, inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        let entry = Self.entry(of: layer)
        try self.init(forward: Self.copy(entry, prefix: "forward_", goBackwards: nil),
                      backward: backwardLayer ?? Self.copy(entry, prefix: "backward_", goBackwards: !layer.goBackwards),
                      mergeMode: mergeMode, name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
    }

    /// The wrapper of the two layers made (Keras's copies of the wrapped layer).
    private init(forward: RNN, backward: RNN, mergeMode: MergeMode?, name: String?, trainable: Bool = true,
                 inputShape: [Int]? = nil, batchSize: Int? = nil) throws {
        forwardLayer = forward
        self.backwardLayer = backward
        guard forwardLayer.goBackwards != self.backwardLayer.goBackwards else {
            throw KerasError.invalidArgument("Bidirectional(backward_layer: '\(self.backwardLayer.name)'): the forward and backward layers must differ in go_backwards")
        }
        guard forwardLayer.returnSequences == self.backwardLayer.returnSequences,
              forwardLayer.returnState == self.backwardLayer.returnState else {
            throw KerasError.invalidArgument("Bidirectional(backward_layer: '\(self.backwardLayer.name)'): return_sequences and return_state must equal the forward layer's")
        }
        self.mergeMode = mergeMode
        super.init(name: name, trainable: trainable, inputShape: inputShape, batchSize: batchSize)
        for l in [forwardLayer, self.backwardLayer] { l.zeroOutputForMask = l.returnSequences }
    }

    override class var maskingSupport: MaskingSupport { .always }
    override class var computesOwnMask: Bool { true }

    /// `layer` as a serialized layer (class name and config).
    private static func entry(of layer: RNN) -> JSON {
        ["class_name": .string(layer.className), "config": layer.getConfig()]
    }

    /// The layer the serialized `entry` describes, made again and renamed `prefix + name`, as
    /// Keras recreates the wrapped layer from its config (a front end's seeds in the config, the
    /// copy's own, reach it).
    private static func copy(_ entry: JSON, prefix: String, goBackwards: Bool?) throws -> RNN {
        var config = entry["config"] ?? [:]
        let name = config["name"]?.stringValue ?? ""
        let base = name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
        config.set("name", .string(prefix + base))
        if let goBackwards { config.set("go_backwards", .bool(goBackwards)) }
        var copied = entry
        copied.set("config", config)
        guard let copy = try deserializeLayer(copied) as? RNN else {
            throw KerasError.invalidArgument("Bidirectional(layer: '\(name)'): needs a recurrent layer")
        }
        return copy
    }

    public override func build(_ inputShape: [Int?]) throws {
        try forwardLayer.buildIfNeeded(inputShape)
        try backwardLayer.buildIfNeeded(inputShape)
    }

    /// False to run the two layers one after the other even where they could run as one op
    /// (tests compare both).
    var pairsDirections = true

    override class var callTakesMask: Bool { true }

    public override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        let (y, yr) = try directions(inputs, mask: mask, training: training)
        var rev = yr[0]
        if returnSequences {
            let steps = rev.shape[1]
            rev = try Ops.transpose(Ops.take(Ops.transpose(rev, [1, 0, 2]), Array((0..<steps).reversed())), [1, 0, 2])
        }
        let states = Array(y.dropFirst()) + Array(yr.dropFirst())
        let merged: [Tensor]
        switch mergeMode {
        case .concat: merged = [try Ops.concatenate([y[0], rev], axis: -1)]
        case .sum: merged = [try Ops.add(y[0], rev)]
        case .mul: merged = [try Ops.multiply(y[0], rev)]
        case .ave: merged = [Ops.affine(try Ops.add(y[0], rev), scale: 0.5)]
        case nil: merged = [y[0], rev]
        }
        return merged + states
    }

    /// The outputs of both layers. When both run the fused op (built-in cells, no recurrent
    /// dropout in training, no initial states, no activity regularizer), as one op that puts the
    /// two directions on two cores (``Ops/recurrentSequences(_:_:)``); else one after the other.
    private func directions(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> ([Tensor], [Tensor]) {
        let layers = [forwardLayer, backwardLayer]
        let modes = layers.map { $0.effectiveTraining(training) }
        if pairsDirections, inputs.count == 1,
           zip(layers, modes).allSatisfy({ $0.built && $0.activityRegularizer == nil && $0.fusedCell(training: $1) != nil }) {
            let f = try forwardLayer.checkedInputs(inputs, mask: mask), b = try backwardLayer.checkedInputs(inputs, mask: mask)
            if let runF = try forwardLayer.fusedRun(f.x, mask: f.mask, initialStates: f.initialStates, training: modes[0]),
               let runB = try backwardLayer.fusedRun(b.x, mask: b.mask, initialStates: b.initialStates, training: modes[1]) {
                let (outsF, outsB) = try Ops.recurrentSequences(runF, runB)
                return (try forwardLayer.finish(outsF, x: f.x, mask: f.mask, stepped: false),
                        try backwardLayer.finish(outsB, x: b.x, mask: b.mask, stepped: false))
            }
        }
        return (try forwardLayer.callMultiple(inputs, masks: mask, training: training).outputs,
                try backwardLayer.callMultiple(inputs, masks: mask, training: training).outputs)
    }

    public override func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        let f = try forwardLayer.computeOutputShapes(shapes)
        var out = f[0]
        if mergeMode == .concat, let last = out.last { out[out.count - 1] = last.map { $0 * 2 } }
        let states = Array(f.dropFirst())
        return (mergeMode == nil ? [out, out] : [out]) + states + states
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        try computeOutputShapes([inputShape])[0]
    }

    /// Keras: the input mask per output with `return_sequences`, else none; none for states.
    public override func computeMask(_ inputs: [Tensor], masks: [Tensor?]) throws -> [Tensor?] {
        let m = returnSequences ? (masks.first ?? nil) : nil
        let states = returnState ? 2 * forwardLayer.cell.stateCount : 0
        return [Tensor?](repeating: m, count: mergeMode == nil ? 2 : 1) + [Tensor?](repeating: nil, count: states)
    }
}

extension Bidirectional: DeclaredLayer {
    /// Keras: `Bidirectional(layer, merge_mode="concat", backward_layer=None)`.
    public static let declaration = LayerDeclaration(Bidirectional.self, constructorOrder: ["layer", "merge_mode", "backward_layer"], arguments: [
        .optional("merge_mode", default: "concat") { (l: Bidirectional) -> JSON? in l.mergeMode.map { JSON.string($0.rawValue) } ?? JSON.null },
        .required("layer") { serializedLayer($0.forwardLayer, legacy: false) },
        .optional("backward_layer", default: nil) { serializedLayer($0.backwardLayer, legacy: false) },
    ]) { c in
        func rnn(_ key: String) throws -> RNN? {
            guard let j = c[key], j != .null else { return nil }
            guard let l = try deserializeLayer(j) as? RNN else {
                throw KerasError.io("Bidirectional config: '\(key)' must be a recurrent layer")
            }
            return l
        }
        guard let layer = try rnn("layer") else { throw KerasError.io("Bidirectional config: 'layer' is required") }
        // An explicit null means no merging (the declared default fills only an absent key).
        var mode: MergeMode?
        if let s = (c.json["merge_mode"] == nil ? "concat" : c.json["merge_mode"]?.stringValue) {
            guard let m = MergeMode(rawValue: s) else {
                throw KerasError.io("Bidirectional config: merge_mode must be concat, sum, mul, ave or null, got '\(s)'")
            }
            mode = m
        }
        // Keras makes the wrapped layer, the backward layer given, and then its copies from the
        // config given (each taking its seeds in that order)
        let given = try rnn("backward_layer")
        let entry = c["layer"].flatMap { $0["config"]?.objectValue == nil ? nil : $0 } ?? Bidirectional.entry(of: layer)
        return try Bidirectional(forward: Bidirectional.copy(entry, prefix: "forward_", goBackwards: nil),
                                 backward: given ?? Bidirectional.copy(entry, prefix: "backward_", goBackwards: !layer.goBackwards),
                                 mergeMode: mode, name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Bidirectional.self, $0) }
