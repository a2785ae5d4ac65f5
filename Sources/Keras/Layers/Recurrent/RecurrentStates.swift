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
    public func recurrentLayer(name: String) throws -> any CarriedStates {
        let layer = try getLayer(name: name)
        guard let recurrent = layer as? any CarriedStates else {
            throw KerasError.invalidArgument("\(layer.className) '\(name)' has no states: only recurrent layers (RNN, SimpleRNN, LSTM, GRU, ConvLSTM1D/2D/3D, Bidirectional) carry states")
        }
        return recurrent
    }
}
