extension Model {
    /// The output of the layer named `name` when the model runs on `x` (inference mode). Keras:
    /// `Model(inputs=model.input, outputs=model.get_layer(name).output).predict(x)`.
    public func intermediateOutput(layer name: String, _ x: Tensor) throws -> Tensor {
        try ensureBuilt(for: [x])
        guard layers.contains(where: { $0.name == name }) else {
            throw KerasError.invalidArgument("No such layer: \(name). Existing layers are: \(layers.map(\.name))")
        }
        guard let n = x.shape.first, n > 0 || x.rank > 0 else { throw KerasError.invalidData("intermediateOutput: x needs a batch dimension") }
        guard !x.hasNonFinite else { throw KerasError.invalidData("intermediateOutput: x contains NaN or infinite values") }
        return try GradientTape.withoutRecording {
            if self is Sequential {
                if let shape = inputs.first?.shape { try checkInput(x, against: shape, what: "the input") }
                var t = x
                for l in layers {
                    t = try l.callEager([t], training: false)
                    if l.name == name { return t }
                }
            } else {
                guard inputs.count == 1 else {
                    throw KerasError.invalidArgument("Model '\(self.name)' has \(inputs.count) inputs; intermediateOutput takes one")
                }
                try checkInput(x, against: inputs[0].shape, what: "input '\(inputs[0].name)'")
                var values: [ObjectIdentifier: Tensor] = [:]
                if let node = inputs[0].node { values[ObjectIdentifier(node)] = x }
                if inputs[0].layer?.name == name { return x }
                for node in executionOrder where !(node.layer is InputLayer) {
                    let args = try node.inputs.map { kt -> Tensor in
                        guard let nd = kt.node, let v = values[ObjectIdentifier(nd)] else {
                            throw KerasError.invalidState("Model '\(self.name)': no value for tensor '\(kt.name)'")
                        }
                        return v
                    }
                    if let keywords = node.callKeywords { try node.layer.applyCallKeywordArguments(keywords) }
                    let out = try node.layer.callEager(args, training: false)
                    if node.layer.name == name { return out }
                    values[ObjectIdentifier(node)] = out
                }
            }
            throw KerasError.invalidArgument("Layer '\(name)' is not reached from the model's input")
        }
    }
}
