import XCTest
@testable import Keras

/// Keras's documented minimal custom cell, `h = tanh(x·W + h·U)`: the Swift twin of
/// `MinimalRNNCell` in scripts/make_stacked_rnn_fixtures.py (registered as `SwiftKerasTest>MinimalRNNCell`).
final class MinimalRNNCell: Layer, RNNCell, @unchecked Sendable {
    let units: Int
    var kernel: Variable?, recurrentKernel: Variable?
    /// Set to return a state of the wrong width (the error test).
    var badState = false
    /// When set, the state every row starts from (Keras: `get_initial_state`).
    var start: [Float]?

    init(_ units: Int, name: String? = nil) {
        self.units = units
        super.init(name: name)
    }

    var stateSize: [Int] { [units] }

    override func build(_ inputShape: [Int?]) throws {
        guard let features = inputShape.last ?? nil else { throw KerasError.shapeMismatch("MinimalRNNCell: unknown features") }
        kernel = addWeight(name: "kernel", shape: [features, units], initializer: RandomUniform())
        recurrentKernel = addWeight(name: "recurrent_kernel", shape: [units, units], initializer: RandomUniform())
    }

    func call(_ x: Tensor, states: [Tensor], training: Bool) throws -> (output: Tensor, states: [Tensor]) {
        guard let kernel, let recurrentKernel else { throw KerasError.invalidState("MinimalRNNCell '\(name)' is not built") }
        let h = try Ops.tanh(Ops.add(Ops.matmul(x, kernel.value), Ops.matmul(states[0], recurrentKernel.value)))
        return (h, [badState ? try Ops.concatenate([h, h], axis: 1) : h])
    }

    func initialStates(batch: Int) throws -> [Tensor]? {
        guard let start else { return nil }
        return [try Tensor(shape: [batch, units], scalars: (0..<batch).flatMap { _ in start })]
    }

    override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("units", .int(units))
        return c
    }

    static let registeredName = "SwiftKerasTest>MinimalRNNCell"

    /// Registers the cell (the tests unregister it, so that no other test sees it).
    static func register() {
        registerKerasSerializable(package: "SwiftKerasTest", name: "MinimalRNNCell", .layer { c in
            let cell = MinimalRNNCell(try c.int("units"), name: c.name)
            try c.applyCommon(to: cell)
            return cell
        })
    }
}

/// `j` with the `module` of every custom object nulled: Keras writes the Python module of the class
/// (null for one defined in a script), Swift the package it was registered under.
func withoutCustomModules(_ j: JSON) -> JSON {
    switch j {
    case .object(let o):
        let custom = o.contains { $0.0 == "registered_name" && $0.1.stringValue?.contains(">") == true }
        return .object(o.map { ($0.0, custom && $0.0 == "module" ? .null : withoutCustomModules($0.1)) })
    case .array(let a): return .array(a.map(withoutCustomModules))
    default: return j
    }
}

/// `RNN(cell)` over a cell written in Swift, against real Keras running the same cell in Python.
final class CustomCellTests: XCTestCase {
    override func setUp() { MinimalRNNCell.register() }
    override func tearDown() { ObjectRegistry.unregister(MinimalRNNCell.registeredName, kind: .layer) }

    func testCustomCellMatchesKerasAndItsConfigRoundTrips() throws {
        let layer = try RNN(cell: MinimalRNNCell(3, name: "minimal_rnn_cell"), returnSequences: true, returnState: true, name: "custom_cell")
        let fixture = try assertFixtureOutputs("custom_cell", layer).fixture
        let comparable = { withoutCustomModules(withoutBuildConfigs($0)) }
        XCTAssertEqual(comparable(layer.getConfig()), comparable(fixture.config))
        let back = try deserializeLayer(["class_name": "RNN", "config": fixture.config])
        XCTAssertTrue((back as? RNN)?.cell is MinimalRNNCell)
        XCTAssertEqual(comparable(back.getConfig()), comparable(fixture.config))
        XCTAssertEqual(layer.weights.map(\.path), ["custom_cell/minimal_rnn_cell/kernel", "custom_cell/minimal_rnn_cell/recurrent_kernel"])
        XCTAssertEqual(try layer.computeOutputShapes([[nil, 5, 4]]), [[nil, 5, 3], [nil, 3]])
    }

    func testCustomCellGradientsMatchFiniteDifferences() throws {
        setRandomSeed(41)
        let x = GradientCheck.random([2, 4, 3], in: -1...1, seed: 42)
        let mask = try Tensor(shape: [2, 4], scalars: [1, 1, 0, 1, 1, 0, 1, 1])
        for goBackwards in [false, true] {
            let layer = try RNN(cell: MinimalRNNCell(3), returnSequences: true, goBackwards: goBackwards)
            try GradientCheck.check(layer: layer, input: x, step: 3e-3)
            try GradientCheck.check([x], variables: layer.weights, step: 3e-3, "masked, go_backwards \(goBackwards)") { xs in
                try layer.callMultiple(xs, masks: [mask]).outputs[0]
            }
        }
    }

    func testSwiftModelWithCustomCellsRoundTrips() throws {
        setRandomSeed(50)
        let model = try Sequential([InputLayer(shape: [5, 4]), RNN(cell: MinimalRNNCell(3), returnSequences: true),
                                    RNN(cells: [SimpleRNNCell(2), MinimalRNNCell(2)]), Dense(1)])
        try model.compile(optimizer: "adam", loss: "mean_squared_error")
        let x = GradientCheck.random([3, 5, 4], seed: 51)
        try model.fit(x, Tensor([[1], [0], [-1]]), epochs: 2, verbose: 0)
        try RecurrentSaving.assertRoundTrips(model, x)
    }

    func testCustomCellErrorsNameTheLayerAndArgument() throws {
        let cell = MinimalRNNCell(3, name: "minimal")
        cell.badState = true
        let layer = try RNN(cell: cell, name: "rnn_bad")
        XCTAssertThrowsError(try layer(Tensor(shape: [2, 5, 4]))) {
            XCTAssertTrue("\($0)".contains("rnn_bad") && "\($0)".contains("minimal") && "\($0)".contains("state_size"), "\($0)")
        }
        let good = try RNN(cell: MinimalRNNCell(3), name: "rnn_good")
        XCTAssertThrowsError(try good.callMultiple([Tensor(shape: [2, 5, 4]), Tensor(shape: [2, 4])])) {
            XCTAssertTrue("\($0)".contains("rnn_good") && "\($0)".contains("initial_state"), "\($0)")
        }
        XCTAssertThrowsError(try good(Tensor(shape: [2, 4]))) { XCTAssertTrue("\($0)".contains("rank 3"), "\($0)") }
        XCTAssertThrowsError(try RNN(cell: MinimalRNNCell(0), name: "rnn_empty")(Tensor(shape: [2, 5, 4]))) {
            XCTAssertTrue("\($0)".contains("rnn_empty") && "\($0)".contains("state_size"), "\($0)")
        }
        XCTAssertThrowsError(try deserializeLayer(["class_name": "RNN", "config": ["cell": ["class_name": "Dense", "config": ["units": 2]]]])) {
            XCTAssertTrue("\($0)".contains("'cell'") && "\($0)".contains("Dense"), "\($0)")
        }
    }

    /// A cell's initial states start a sequence given none, as Keras's `get_initial_state`;
    /// an explicit initial_state wins over them.
    func testCellInitialStatesStartTheSequence() throws {
        let cell = MinimalRNNCell(3)
        let layer = try RNN(cell: cell, returnSequences: true)
        let x = GradientCheck.random([2, 4, 2], seed: 31)
        let zeros = try layer(x)
        cell.start = [0.5, -0.25, 1]
        let started = try layer(x)
        let given = try Tensor(shape: [2, 3], scalars: [0.5, -0.25, 1, 0.5, -0.25, 1])
        assertClose([started], [try layer.callMultiple([x, given])[0]], "initial states from the cell")
        XCTAssertGreaterThan(zip(started.scalars, zeros.scalars).map { abs($0 - $1) }.max() ?? 0, 1e-3)
        assertClose([try layer.callMultiple([x, Tensor(shape: [2, 3])])[0]], [zeros], "an explicit initial state wins")
    }
}
