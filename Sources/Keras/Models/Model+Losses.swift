/// Keras 3's `model(x, training=...)` followed by `model.losses`: the call's activity penalties
/// and `add_loss` values, each named by the path of layers that added it, and the weight
/// regularization penalties at the current weights.
public struct LayerLoss: Sendable {
    /// The names of the layers from the model's own layer down to the one that added it
    /// (empty for the model itself).
    public let path: [String]
    /// The scalar value.
    public let value: Float
}

extension Model {
    /// Runs the model once on all of `xs` (no batching, as Keras's `model(x)`), collecting the
    /// activity penalties and `add_loss` values of the call in inference too; returns the outputs
    /// and those losses in the order Keras 3's `model.losses` lists them (the model's own, then
    /// its layers' in `_flatten_layers` order). The layers keep them until the next step.
    /// `training` nil is Keras's `training=None` (``forwardWithRecordedTraining(_:masks:)``).
    public func callCollectingLosses(_ xs: [Tensor], training: Bool?) throws -> (outputs: [Tensor], losses: [LayerLoss]) {
        let r = try collectingCallLosses(xs) {
            try training.map { try forward(xs, training: $0) } ?? forwardWithRecordedTraining(xs).outputs
        }
        return (r.value.map(\.detached), r.losses)
    }

    /// ``callCollectingLosses(_:training:)`` with the outputs' Keras masks (the `_keras_mask`
    /// Keras sets on `model(x)`'s outputs: an Embedding(mask_zero=True)'s, passed on by the
    /// layers after it); nil when no output carries one.
    /// `inputMasks` (one per input, nil: none) is Keras's `model(x, mask=m)`: the inputs carry
    /// them into the graph, and a layer written in Python or C that they reach is traced with
    /// its mask.
    public func callWithMasksCollectingLosses(_ xs: [Tensor], inputMasks: [Tensor?]? = nil, training: Bool?) throws -> (outputs: [Tensor], masks: [Tensor?]?, losses: [LayerLoss]) {
        if let inputMasks {
            guard inputMasks.count == xs.count else {
                throw KerasError.invalidArgument("Model '\(name)': \(inputMasks.count) mask(s) given for \(xs.count) input(s)")
            }
            for (i, (x, m)) in zip(xs, inputMasks).enumerated() {
                // Keras's mask has the input's shape without its features axis (or the input's,
                // for token ids): (batch, steps).
                guard let m, m.shape != Array(x.shape.dropLast()), m.shape != x.shape else { continue }
                throw KerasError.invalidArgument("Model '\(name)': the mask of input \(i) has shape \(m.shape), which does not fit the input's shape \(x.shape) (a mask is the input's shape without its last axis)")
            }
            try ensureBuilt(for: xs)
            try noteInputsCarryMasks(inputMasks.map { $0 != nil })
        }
        let r = try collectingCallLosses(xs) {
            try training.map { try forward(xs, masks: inputMasks, training: $0) } ?? forwardWithRecordedTraining(xs, masks: inputMasks)
        }
        return (r.value.outputs.map(\.detached), r.value.masks?.map { $0?.detached }, r.losses)
    }

    /// `run` (a forward pass over `xs`) without recording gradients, with the activity penalties
    /// and `add_loss` values its layers collected, by layer path.
    private func collectingCallLosses<T>(_ xs: [Tensor], _ run: () throws -> T) throws -> (value: T, losses: [LayerLoss]) {
        try checkInputs(xs, "call")
        try ensureBuilt(for: xs)
        clearAllLosses()
        let value = try GradientTape.withoutRecording { try CallContext.collectingLosses { try run() } }
        return (value, collectedCallLosses())
    }

    /// The activity penalties and `add_loss` values the layers collected in the last call, by
    /// layer path, in Keras 3's `model.losses` order.
    func collectedCallLosses() -> [LayerLoss] {
        var losses: [LayerLoss] = []
        for (layer, path) in flattenedLayers() {
            for l in layer.losses { losses.append(LayerLoss(path: path, value: l.scalar ?? .nan)) }
        }
        return losses
    }

    /// The weight regularization penalties at the current weights, in the order of Keras's
    /// `model.trainable_weights` (each layer's own weights, then its sublayers'), as
    /// `model.losses` ends with them.
    public func weightRegularizationLosses() throws -> [LayerLoss] {
        var out: [LayerLoss] = []
        func walk(_ layer: Layer, _ path: [String], frozen: Bool) throws {
            let off = frozen || !layer.trainable
            if !off {
                for (v, r) in layer.weightRegularizers where v.trainable {
                    out.append(LayerLoss(path: path, value: try r(v.value).scalar ?? .nan))
                }
            }
            for s in layer.sublayers { try walk(s, path + [s.name], frozen: off) }
        }
        try walk(self, [], frozen: false)
        return out
    }

    /// The model and its layers in Keras's `_flatten_layers()` order (a deque: each layer's
    /// sublayers pushed to the front, last first), each with its path of names.
    func flattenedLayers() -> [(Layer, [String])] {
        var out: [(Layer, [String])] = [(self, [])]
        var seen: Set<ObjectIdentifier> = [ObjectIdentifier(self)]
        var deque: [(Layer, [String])] = sublayers.map { ($0, [$0.name]) }
        while !deque.isEmpty {
            let (layer, path) = deque.removeFirst()
            guard seen.insert(ObjectIdentifier(layer)).inserted else { continue }
            out.append((layer, path))
            // Python's deque.extendleft(children): each child goes to the front in turn.
            for s in layer.sublayers { deque.insert((s, path + [s.name]), at: 0) }
        }
        return out
    }
}
