/// A recurrent layer whose carried states a user reads and resets from a model: Keras's
/// `layer.states` and `layer.reset_state()` on RNN, ConvLSTM and Bidirectional.
public protocol CarriedStates: Layer {
    /// Keras: `layer.stateful` (Bidirectional: its forward layer's).
    var isStateful: Bool { get }
    /// The states the next call starts from (Keras's `layer.states`): nil when the layer is not
    /// stateful, or before a first call or build told it its batch size.
    func currentStates() throws -> [Tensor]?
    /// Zeroes the carried states. Keras: `reset_state()`.
    func resetStates()
}

extension RNN: CarriedStates {
    public var isStateful: Bool { stateful }

    /// Keras creates the states (zeros, or the cell's initial states) when a stateful layer is
    /// built with a known batch size; here they exist from the first call, so before it they are
    /// what that call would start from.
    public func currentStates() throws -> [Tensor]? {
        guard stateful else { return nil }
        if let states { return states }
        guard let batch = statefulBatchSize else { return nil }
        return try cell.initialStates(batch: batch)?.map(\.detached) ?? cell.stateSize.map { Tensor(shape: [batch, $0]) }
    }
}

extension ConvLSTM: CarriedStates {
    public var isStateful: Bool { stateful }

    /// As RNN's: zeros of the step output's shape (h and c) before the first call.
    public func currentStates() throws -> [Tensor]? {
        guard stateful else { return nil }
        if let states { return states }
        guard let batch = statefulBatchSize, let input = buildInputShape else { return nil }
        let step = try stepOutputShape(input).dropFirst()
        guard step.allSatisfy({ $0 != nil }) else { return nil }
        let shape = [batch] + step.compactMap { $0 }
        return [Tensor(shape: shape), Tensor(shape: shape)]
    }
}

extension Bidirectional: CarriedStates {
    public var isStateful: Bool { forwardLayer.stateful }

    /// Keras: the forward layer's states then the backward layer's, nil unless both have them.
    public func currentStates() throws -> [Tensor]? {
        guard let f = try forwardLayer.currentStates(), let b = try backwardLayer.currentStates() else { return nil }
        return f + b
    }

    public func resetStates() {
        forwardLayer.resetStates()
        backwardLayer.resetStates()
    }
}

extension Model {
    /// The layer named `name` as one with carried states, or an error naming what it is.
    ///
    /// `name` is a layer name, or Keras's `layer.path` of a nested one: layer names joined by
    /// `/` from a layer of this model down through the layers it holds
    /// (`bidirectional/forward_lstm`), optionally starting with the model's name.
    public func recurrentLayer(name: String) throws -> any CarriedStates {
        let layer = try nestedLayer(path: name)
        guard let recurrent = layer as? any CarriedStates else {
            throw KerasError.invalidArgument("\(layer.className) '\(name)' has no states: only recurrent layers (RNN, SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D, Bidirectional) carry states")
        }
        return recurrent
    }

    /// The layer at `path`: a layer name, or names joined by `/` down through sublayers.
    public func nestedLayer(path: String) throws -> Layer {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1, parts[0] == name, !layers.contains(where: { $0.name == parts[0] }) {
            parts.removeFirst()
        }
        guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else {
            throw KerasError.invalidArgument("layer path '\(path)' is empty or has an empty part")
        }
        var layer = try getLayer(name: parts[0])
        for (i, part) in parts.enumerated().dropFirst() {
            let inner = layer.trackedSublayers().layers
            guard let next = inner.first(where: { $0.name == part }) else {
                let within = parts[..<i].joined(separator: "/")
                throw KerasError.invalidArgument("No such layer: '\(part)' in '\(within)' (layer path '\(path)'). Its layers are: \(inner.map(\.name))")
            }
            layer = next
        }
        return layer
    }
}
