import XCTest
@testable import Keras

/// Plugin layers whose build traces `call` into an ``OpGraph`` (what `swiftkeras.ops` and
/// keras_layer_builder_op do): the graph replaces the forward/backward callbacks.
final class OpGraphTests: XCTestCase {
    private static let none = JSON.object([])

    /// `activation(x · kernel + bias)` traced as three ops; the forward callback must not run.
    private func tracedDense(_ units: Int, activation: String) -> CallbackLayer {
        var f = CallbackLayerFunctions { _, _, _, _ in
            throw KerasError.invalidState("forward callback ran although the layer was traced")
        }
        f.build = { shape, add in
            guard let last = shape.last, let d = last else { throw KerasError.invalidArgument("unknown input width") }
            try add("kernel", [d, units], try deserializeInitializer(.string("glorot_uniform")), true)
            try add("bias", [units], try deserializeInitializer(.string("random_normal")), true)
            guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
            let xw = try g.addOp("matmul", [g.addInput(), g.addWeight(0)], attributes: Self.none)
            let y = try g.addOp(activation, [g.addOp("add", [xw, g.addWeight(1)], attributes: Self.none)], attributes: Self.none)
            try g.setOutput(y, training: nil)
        }
        return CallbackLayer(className: "OpsDense", functions: f)
    }

    func testTracedDenseComputesDenseAndItsGradients() throws {
        let layer = tracedDense(3, activation: "tanh")
        let x = GradientCheck.random([4, 5], seed: 11)
        let y = try layer(x)
        XCTAssertEqual(try layer.computeOutputShape([nil, 5]), [nil, 3])
        XCTAssertEqual(layer.graph?.outputShape, [nil, 3])
        let w = layer.weights.map(\.storedValue)
        let expected = try Ops.dense(x, kernel: w[0], bias: w[1], activation: .tanh)
        assertClose(y.scalars, expected.scalars, "traced dense forward")
        try GradientCheck.check(layer: layer, input: x)
    }

    func testTracedLayerTrainsInASequentialModelLikeDense() throws {
        let x = GradientCheck.random([8, 4], seed: 12), y = GradientCheck.random([8, 2], seed: 13)
        let traced = tracedDense(2, activation: "linear")
        let dense = Dense(2)
        var finals: [[Float]] = []
        for layer in [traced, dense] as [Layer] {
            let model = try Sequential([InputLayer(shape: [4]), layer])
            try model.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
            try layer.setWeights([Tensor(shape: [4, 2], repeating: 0.1), Tensor(shape: [2])])
            _ = try model.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, shuffle: false)
            finals.append(layer.weights.flatMap { $0.storedValue.scalars })
        }
        assertClose(finals[0], finals[1], "traced dense vs Dense after training")
    }

    func testTrainingAndInferenceOutputsRunOnlyTheirOwnNodes() throws {
        let g = OpGraph(inputShape: [nil, 2]) { _ in Tensor(shape: [0]) }
        let x = try g.addInput()
        let doubled = try g.addOp("multiply", [x, g.addConstant(Tensor(2))], attributes: Self.none)
        let summed = try g.addOp("sum", [x], attributes: .object([("axis", .int(-1)), ("keepdims", .bool(true))]))
        try g.setOutput(doubled, training: true)
        try g.setOutput(summed, training: false)
        XCTAssertEqual(try g.shape(of: summed), [-1, 1])
        g.finish()
        let input = try Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try g.run(input, weights: [], training: true).scalars, [2, 4, 6, 8, 10, 12])
        XCTAssertEqual(try g.run(input, weights: [], training: false).scalars, [3, 7, 11])
        XCTAssertThrowsError(try g.addInput()) { XCTAssertTrue("\($0)".contains("after the trace ended"), "\($0)") }
    }

    func testBadOpsAreClearErrors() throws {
        let g = OpGraph(inputShape: [nil, 3]) { _ in Tensor(shape: [0]) }
        let x = try g.addInput()
        let cases: [(String, [Int], JSON, String)] = [
            ("no_such_op", [x], Self.none, "no_such_op"),
            ("add", [x], Self.none, "takes 2 inputs"),
            ("add", [x, 7], Self.none, "node 7"),
            ("reshape", [x], .object([("newshape", .array([.int(4), .int(-1)]))]), "reshape"),
            ("sum", [x], .object([("axis", .string("last"))]), "'axis'"),
            ("clip", [x], .object([("x_min", .int(0))]), "'x_max'"),
            ("matmul", [x, x], Self.none, "matmul"),
        ]
        for (op, inputs, attrs, message) in cases {
            XCTAssertThrowsError(try g.addOp(op, inputs, attributes: attrs), op) {
                XCTAssertTrue("\($0)".contains(message), "\(op): \($0)")
            }
        }
        XCTAssertEqual(g.count, 1, "failed ops add no node")
    }
}
