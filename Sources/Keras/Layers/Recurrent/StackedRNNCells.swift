/// Recurrent cells acting as one cell: each step runs them in order, each cell's output the next
/// one's input; the states are every cell's, in order (flattened: `[h1, c1, h2]` for an LSTM cell
/// under a SimpleRNN cell), and the output is the last cell's. Its weights are the cells'
/// (`rnn/stacked_rnn_cells/lstm_cell/kernel`). Keras: `keras.layers.StackedRNNCells`, what
/// `RNN([cell1, cell2])` builds.
///
/// ```swift
/// let layer = try RNN(cells: [LSTMCell(32), LSTMCell(16)], returnSequences: true)
/// ```
public final class StackedRNNCells: Layer, RNNCell, @unchecked Sendable {
    /// The cells, first to last.
    public let cells: [RNNCell]

    public init(_ cells: [RNNCell], name: String? = nil, trainable: Bool = true) throws {
        guard !cells.isEmpty else {
            throw KerasError.invalidArgument("StackedRNNCells(cells: []): needs at least one cell")
        }
        self.cells = cells
        super.init(name: name, trainable: trainable)
    }

    /// Every cell's state widths, in order.
    public var stateSize: [Int] { cells.flatMap(\.stateSize) }
    /// The last cell's output width.
    public var outputSize: Int { cells.last?.outputSize ?? 0 }
    /// Where the last cell's first state is in the flattened states (a masked step outputs it).
    var lastCellFirstState: Int { cells.dropLast().reduce(0) { $0 + $1.stateCount } }

    /// Builds each cell on the previous one's output width. Keras: `build(input_shape)`.
    public override func build(_ inputShape: [Int?]) throws {
        var shape = inputShape
        for cell in cells {
            try cell.buildIfNeeded(shape)
            shape = [shape.first ?? nil, cell.outputSize]
        }
    }

    /// One step through every cell. Keras: `StackedRNNCells.call(inputs, states)`.
    public func call(_ inputs: Tensor, states: [Tensor], training: Bool) throws -> (output: Tensor, states: [Tensor]) {
        guard inputs.rank == 2 else {
            throw KerasError.shapeMismatch("StackedRNNCells '\(name)': expects inputs of rank 2 (batch, features), got shape \(inputs.shape)")
        }
        guard states.count == stateCount else {
            throw KerasError.shapeMismatch("StackedRNNCells '\(name)': states must be \(stateCount) tensor(s) of widths \(stateSize) (each cell's in order), got \(states.count)")
        }
        try buildIfNeeded([inputs.shape[0], inputs.shape[1]])
        var x = inputs, start = 0, next: [Tensor] = []
        next.reserveCapacity(states.count)
        for cell in cells {
            let n = cell.stateCount
            let step = try cell.call(x, states: Array(states[start..<start + n]), training: training)
            x = step.output
            next += step.states
            start += n
        }
        return (x, next)
    }

    public func beginSequence(batch: Int, features: Int, training: Bool) throws {
        var width = features
        for cell in cells {
            try cell.beginSequence(batch: batch, features: width, training: training)
            width = cell.outputSize
        }
    }

    public func endSequence() {
        for cell in cells { cell.endSequence() }
    }

    /// A cell from its serialized form, or an error naming `owner` if the layer is not a cell.
    static func deserializeCell(_ j: JSON, owner: String) throws -> RNNCell {
        let layer = try deserializeLayer(j)
        guard let cell = layer as? RNNCell else {
            throw KerasError.io("\(owner) must be a recurrent cell (a layer with state_size and call(inputs, states): SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells or a custom RNNCell), got \(layer.className)")
        }
        return cell
    }
}

extension StackedRNNCells: DeclaredLayer {
    /// Keras: `StackedRNNCells(cells)`.
    public static let declaration = LayerDeclaration(StackedRNNCells.self, arguments: [
        .required("cells") { (l: StackedRNNCells) -> JSON in .array(l.cells.map { serializedLayer($0, legacy: false) }) },
    ]) { c in
        guard let list = c["cells"]?.arrayValue else {
            throw KerasError.io("StackedRNNCells config: 'cells' must be a list of cells")
        }
        return try StackedRNNCells(list.map { try deserializeCell($0, owner: "StackedRNNCells config: 'cells'") }, name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(StackedRNNCells.self, $0) }
