extension Model {
    /// Adapts the preprocessing layer named `name` (`Normalization`, `Discretization`,
    /// `IntegerLookup`, `StringLookup`: string tensors, see ``StringValues``) to `data`, as `model.get_layer(name).adapt(data)` in Keras; done before
    /// `fit`, the model then trains, predicts and saves with the adapted state.
    public func adaptLayer(name: String, _ data: Tensor) throws {
        let layer = try getLayer(name: name)
        guard let adaptable = layer as? AdaptableLayer else {
            throw KerasError.invalidArgument("\(layer.className) '\(name)' has no adapt(): only preprocessing layers (Normalization, Discretization, IntegerLookup, StringLookup) adapt to data")
        }
        guard !data.hasNonFinite else {
            throw KerasError.invalidData("\(layer.className) '\(name)'.adapt: data contains NaN or infinite values")
        }
        try adaptable.adapt(data)
    }
}
