import XCTest
@testable import Keras

/// Recurrent cells written outside Swift (C or Python plugin layers): their step traced into an
/// ``OpGraph`` with the states as further inputs and outputs, run by `RNN(cell)` like a Swift cell.
final class TracedCellTests: XCTestCase {
    private static let none = JSON.object([])
    static let registeredName = "SwiftKerasTest>TracedMinimalCell"

    /// Keras's minimal cell `h = tanh(x·W + h·U)` (the `custom_cell` fixture's) as a plugin layer
    /// whose build traces one step; `forget` leaves the state without a new value.
    static func tracedCell(_ units: Int, name: String? = nil, forget: Bool = false) -> CallbackLayer {
        var f = CallbackLayerFunctions { _, _, _, _ in
            throw KerasError.invalidState("forward callback ran although the cell was traced")
        }
        f.build = { shape, add in
            guard let last = shape.last, let d = last else { throw KerasError.invalidArgument("unknown input width") }
            try add("kernel", [d, units], RandomUniform(), true, nil, nil)
            try add("recurrent_kernel", [units, units], RandomUniform(), true, nil, nil)
            guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
            let h = try g.addState(width: units)
            let xw = try g.addOp("matmul", [g.addInput(), g.addWeight(0)], attributes: none)
            let hu = try g.addOp("matmul", [h, g.addWeight(1)], attributes: none)
            let y = try g.addOp("tanh", [g.addOp("add", [xw, hu], attributes: none)], attributes: none)
            try g.setOutput(y, training: nil)
            if !forget { try g.setStateOutput(0, y, training: nil) }
        }
        f.config = { ["units": .int(units)] }
        return CallbackLayer(className: "TracedMinimalCell", functions: f, name: name)
    }

    override func setUp() {
        registerKerasSerializable(package: "SwiftKerasTest", name: "TracedMinimalCell", .layer { c in
            let cell = Self.tracedCell(try c.int("units"), name: c.name)
            try c.applyCommon(to: cell)
            return cell
        })
    }

    override func tearDown() { ObjectRegistry.unregister(Self.registeredName, kind: .layer) }

    func testTracedCellMatchesKerasOnTheCustomCellFixture() throws {
        let cell = Self.tracedCell(3, name: "minimal_rnn_cell")
        let layer = try RNN(cell: cell, returnSequences: true, returnState: true, name: "custom_cell")
        try assertFixtureOutputs("custom_cell", layer)
        XCTAssertEqual(cell.stateSize, [3])
        XCTAssertEqual(cell.outputSize, 3)
        XCTAssertEqual(layer.weights.map(\.path), ["custom_cell/minimal_rnn_cell/kernel", "custom_cell/minimal_rnn_cell/recurrent_kernel"])
    }

    func testTracedCellEqualsTheSwiftCellAndItsGradients() throws {
        setRandomSeed(61)
        let x = GradientCheck.random([2, 4, 3], in: -1...1, seed: 62)
        let mask = try Tensor(shape: [2, 4], scalars: [1, 1, 0, 1, 1, 0, 1, 1])
        for goBackwards in [false, true] {
            let traced = try RNN(cell: Self.tracedCell(3), returnSequences: true, goBackwards: goBackwards)
            let swift = try RNN(cell: MinimalRNNCell(3), returnSequences: true, goBackwards: goBackwards)
            _ = try traced(x)
            _ = try swift(x)
            try swift.setWeights(traced.weights.map(\.storedValue))
            assertClose(try traced.callMultiple([x], masks: [mask]).outputs[0].scalars,
                        try swift.callMultiple([x], masks: [mask]).outputs[0].scalars, "traced vs Swift cell, go_backwards \(goBackwards)")
            try GradientCheck.check(layer: traced, input: x, step: 3e-3)
            try GradientCheck.check([x], variables: traced.weights, step: 3e-3, "masked, go_backwards \(goBackwards)") { xs in
                try traced.callMultiple(xs, masks: [mask]).outputs[0]
            }
        }
    }

    func testModelWithTracedCellsTrainsAndRoundTrips() throws {
        setRandomSeed(63)
        let model = try Sequential([InputLayer(shape: [5, 4]), RNN(cell: Self.tracedCell(3), returnSequences: true),
                                    RNN(cells: [SimpleRNNCell(2), Self.tracedCell(2)]), Dense(1)])
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: "mean_squared_error")
        let x = GradientCheck.random([3, 5, 4], seed: 64)
        let before = model.weights.map(\.storedValue.scalars)
        try model.fit(x, Tensor([[1], [0], [-1]]), epochs: 2, verbose: 0)
        for (i, w) in model.weights.enumerated() {
            XCTAssertNotEqual(w.storedValue.scalars, before[i], "\(w.path) was not trained")
        }
        try RecurrentSaving.assertRoundTrips(model, x)
    }

    func testBadTracedCellsAreClearErrors() throws {
        XCTAssertThrowsError(try RNN(cell: Self.tracedCell(3, name: "forgetful", forget: true))(Tensor(shape: [2, 5, 4]))) {
            XCTAssertTrue("\($0)".contains("forgetful") && "\($0)".contains("state 0"), "\($0)")
        }
        let g = OpGraph(inputShape: [nil, 2]) { _ in Tensor(shape: [0]) }
        let x = try g.addInput()
        let h = try g.addState(width: 3)
        XCTAssertThrowsError(try g.addState(width: 0)) { XCTAssertTrue("\($0)".contains("state_size"), "\($0)") }
        XCTAssertThrowsError(try g.setStateOutput(0, x, training: nil)) { XCTAssertTrue("\($0)".contains("(batch, 3)"), "\($0)") }
        XCTAssertThrowsError(try g.setStateOutput(1, h, training: nil)) { XCTAssertTrue("\($0)".contains("state output 1"), "\($0)") }
        try g.setOutput(h, training: nil)
        try g.setStateOutput(0, h, training: nil)
        g.finish()
        XCTAssertThrowsError(try g.run(Tensor(shape: [1, 2]), weights: [], training: false)) { XCTAssertTrue("\($0)".contains("RNN"), "\($0)") }
        XCTAssertThrowsError(try g.runStep(Tensor(shape: [1, 2]), states: [], weights: [], training: false)) {
            XCTAssertTrue("\($0)".contains("1 state"), "\($0)")
        }
        // A traced layer that is not a cell, given to RNN.
        var f = CallbackLayerFunctions { _, _, _, _ in }
        f.build = { _, _ in
            guard let g = OpGraph.current else { return }
            try g.setOutput(try g.addOp("tanh", [g.addInput()], attributes: Self.none), training: nil)
        }
        XCTAssertThrowsError(try RNN(cell: CallbackLayer(className: "NotACell", functions: f, name: "plain"), name: "rnn_plain")(Tensor(shape: [2, 5, 4]))) {
            XCTAssertTrue("\($0)".contains("rnn_plain") && "\($0)".contains("state_size"), "\($0)")
        }
    }
}
