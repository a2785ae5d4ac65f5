extension Model {
    /// Tells a model that another model calls it on inputs carrying masks as `carried` says
    /// (Keras's model call takes `mask` and sets it on its inputs, so that every layer inside
    /// gets it). A layer written in Python or C inside, whose call was traced giving None for an
    /// input that the mask now reaches, is traced again with it; nested models pass it on.
    ///
    /// Which inputs the mask reaches is what Keras's symbolic calls know: after each layer, the
    /// mask its `computeMask` gives on zeros of its input shapes (none from a layer that does not
    /// support masking); unknown past a layer that computes its masks in its call (a model, a
    /// layer written in Python), whose masks are then taken at run time.
    func noteInputsCarryMasks(_ carried: [Bool]) throws {
        guard carried.contains(true) else { return }
        try noteMasksReachingLayers(inputsCarry: carried)
    }

    /// Tells the layers written in Python or C inside which of their inputs a mask reaches
    /// when the model runs, with the model's inputs carrying masks as `carried` says: the
    /// masks of ``noteInputsCarryMasks(_:)`` and those the model's own layers make
    /// (`Embedding(mask_zero=True)`, `Masking`), also past layers that return their input
    /// itself (a Reshape to the same shape), where Keras's symbolic call, and so the config,
    /// records none but the array keeps its mask.
    func noteMasksReachingLayers(inputsCarry carried: [Bool]) throws {
        guard built else { return }
        // Stand-ins for the masks each node's outputs carry (nil: none); absent: not known.
        var masks: [ObjectIdentifier: [Tensor?]] = [:]
        for (kt, carries) in zip(inputs, carried) {
            guard let node = kt.node else { continue }
            masks[ObjectIdentifier(node)] = [carries ? Tensor(shape: Self.maskShape(of: kt.shape)) : nil]
        }
        for node in executionOrder where !(node.layer is InputLayer) {
            var given: [Tensor?] = []
            if let explicit = node.masks {   // `layer(x, mask=m)`, and what a config records
                given = node.inputs.indices.map { i in
                    i < explicit.count && explicit[i] != nil ? Tensor(shape: Self.maskShape(of: node.inputs[i].shape)) : nil
                }
                if node.layer is Model {   // (as in runGraph)
                    given = Model.masksSetOnInputs(given, inputs: node.inputs) { kt in
                        guard let from = kt.node, let outs = masks[ObjectIdentifier(from)], kt.tensorIndex < outs.count else { return nil }
                        return outs[kt.tensorIndex]
                    }
                }
            } else {
                for kt in node.inputs {
                    guard let from = kt.node, let outs = masks[ObjectIdentifier(from)] else { break }
                    given.append(kt.tensorIndex < outs.count ? outs[kt.tensorIndex] : nil)
                }
                guard given.count == node.inputs.count else { continue }
            }
            let layer = node.layer, reached = given.map { $0 != nil }
            if let plugin = layer as? CallbackLayer {
                if reached.contains(true) { try plugin.noteCallAfterBuild(inputsCarryMasks: reached) }
                continue
            }
            if let model = layer as? Model {
                try model.noteInputsCarryMasks(reached)
                continue
            }
            if layer.computesMasksInCall { continue }
            let count = Swift.max(node.outputShapes.count, 1)
            guard layer.supportsMasking else {
                let kept = given.count == 1 && count == 1 && node.inputs.first.map { layer.returnsItsInput($0.shape) } == true
                masks[ObjectIdentifier(node)] = kept ? given : Array(repeating: nil, count: count)
                continue
            }
            let stand = node.inputs.map { Tensor(shape: $0.shape.map { $0 ?? 1 }) }
            masks[ObjectIdentifier(node)] = try? layer.computeMask(stand, masks: given)
        }
    }

    /// The shape of the stand-in for the mask of an input of `shape`: Keras's masks drop the
    /// features axis (Embedding's `(batch, steps)` for `(batch, steps, dim)`).
    private static func maskShape(of shape: [Int?]) -> [Int] {
        (shape.count > 1 ? Array(shape.dropLast()) : shape).map { $0 ?? 1 }
    }
}

extension Model {
    /// The masks a nested model's call `inner(inputs, mask=given)` gives its inputs, as Keras's
    /// `Functional.call` does: it sets each mask given on its input tensor
    /// (`backend.set_keras_mask(x, m)`), so every position holding that same tensor carries it
    /// (`inner([x, x], mask=[m, None])` masks both; the last one given wins), and a tensor given
    /// no mask keeps the one it carries (`carried`: `inner([x, embedded], mask=[m, None])`).
    static func masksSetOnInputs<T>(_ given: [T?], inputs: [KerasTensor], carried: (KerasTensor) -> T?) -> [T?] {
        given.indices.map { i in
            guard i < inputs.count else { return given[i] }
            let tensor = inputs[i]
            let same = inputs.indices.filter { j in
                j < given.count && (inputs[j] === tensor || tensor.node != nil && inputs[j].node === tensor.node
                                        && inputs[j].tensorIndex == tensor.tensorIndex)
            }
            if let j = same.last(where: { given[$0] != nil }) { return given[j] }
            return carried(tensor)
        }
    }
}
