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
            try add("kernel", [d, units], try deserializeInitializer(.string("glorot_uniform")), true, nil, nil)
            try add("bias", [units], try deserializeInitializer(.string("random_normal")), true, nil, nil)
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
        // (1, 3) @ (1, 3): sizes known on both sides that do not contract (x @ x of (None, 3) is
        // checked at run time, as Keras's matmul spec takes None for any size).
        let row = try g.addOp("sum", [x], attributes: .object([("axis", .int(0)), ("keepdims", .bool(true))]))
        let cases: [(String, [Int], JSON, String)] = [
            ("no_such_op", [x], Self.none, "no_such_op"),
            ("add", [x], Self.none, "takes 2 inputs"),
            ("add", [x, 7], Self.none, "node 7"),
            ("reshape", [x], .object([("newshape", .array([.int(4), .int(-1)]))]), "reshape"),
            ("sum", [x], .object([("axis", .string("last"))]), "'axis'"),
            ("clip", [x], .object([("x_min", .int(0))]), "'x_max'"),
            ("matmul", [row, row], Self.none, "matmul"),
        ]
        for (op, inputs, attrs, message) in cases {
            XCTAssertThrowsError(try g.addOp(op, inputs, attributes: attrs), op) {
                XCTAssertTrue("\($0)".contains(message), "\(op): \($0)")
            }
        }
        XCTAssertEqual(g.count, 2, "failed ops add no node")
    }

    /// The elementwise ops added in session 8: values against Glibc/rounding rules, and their
    /// tape gradients against central differences (rounding: zero, as under jax).
    func testRoundingAndTrigonometryOpsAndTheirGradients() throws {
        let x = try Tensor(shape: [6], scalars: [-1.5, -0.5, 0.5, 1.5, 2.5, -0.7])
        let rounded: [String: [Float]] = [
            "floor": [-2, -1, 0, 1, 2, -1], "ceil": [-1, -0, 1, 2, 3, -0],
            "trunc": [-1, -0, 0, 1, 2, -0], "round": [-2, -0, 0, 2, 2, -1],
        ]
        for (name, expected) in rounded {
            let op = try OpGraphOp(name, Self.none, arity: 1)
            XCTAssertEqual(try op.apply([x], training: false).scalars, expected, name)
            try GradientCheck.check([GradientCheck.distinct([5], in: 0.1...0.4)], name) { v in try op.apply(v, training: false) }
        }
        let smooth: [(String, ClosedRange<Float>)] = [
            ("tan", -1...1), ("arcsin", -0.8...0.8), ("arccos", -0.8...0.8), ("arctan", -2...2),
            ("sinh", -2...2), ("cosh", -2...2), ("arcsinh", -2...2), ("arccosh", 1.2...3), ("arctanh", -0.8...0.8),
        ]
        for (name, range) in smooth {
            let op = try OpGraphOp(name, Self.none, arity: 1)
            let v = GradientCheck.distinct([7], in: range, seed: 3)
            let y = try op.apply([v], training: false)
            let reference: (Float) -> Float = ["tan": tanf, "arcsin": asinf, "arccos": acosf, "arctan": atanf,
                                               "sinh": sinhf, "cosh": coshf, "arcsinh": asinhf, "arccosh": acoshf,
                                               "arctanh": atanhf][name] ?? { $0 }
            assertClose(y.scalars, v.scalars.map(reference), name)
            try GradientCheck.check([v], step: 1e-3, name) { t in try op.apply(t, training: false) }
        }
    }

    /// erf, erfc, erfinv and i0 (session 9): values against scipy.special's (float64, printed to
    /// 9 digits) and tape gradients against central differences.
    func testSpecialFunctionOpsAndTheirGradients() throws {
        let cases: [(String, [Float], [Float])] = [
            ("erf", [-2, -0.5, 0, 0.3, 1.5], [-0.995322265, -0.520499878, 0, 0.328626759, 0.966105146]),
            ("erfc", [-2, -0.5, 0, 0.3, 1.5], [1.995322265, 1.520499878, 1, 0.671373241, 0.033894854]),
            ("erfinv", [-0.99, -0.5, 0, 0.3, 0.9], [-1.82138637, -0.476936276, 0, 0.272462715, 1.16308715]),
            ("i0", [-3, 0.5, 0, 10, 50], [4.88079259, 1.06348337, 1, 2815.71663, 2.93255378e20]),
        ]
        for (name, inputs, expected) in cases {
            let op = try OpGraphOp(name, Self.none, arity: 1)
            let y = try op.apply([Tensor(shape: [inputs.count], scalars: inputs)], training: false)
            for (got, want) in zip(y.scalars, expected) {
                XCTAssertEqual(got, want, accuracy: 2e-6 * Swift.max(1, want.magnitude), "\(name)")
            }
            let range: ClosedRange<Float> = name == "erfinv" ? -0.8...0.8 : -2...2
            try GradientCheck.check([GradientCheck.distinct([7], in: range, seed: 5)], step: 1e-3, name) { t in
                try op.apply(t, training: false)
            }
        }
        let edges = try OpGraphOp("erfinv", Self.none, arity: 1).apply([Tensor(shape: [3], scalars: [1, -1, 1.5])], training: false)
        XCTAssertEqual(edges.scalars[0], .infinity)
        XCTAssertEqual(edges.scalars[1], -.infinity)
        XCTAssertTrue(edges.scalars[2].isNaN)
    }

    /// conv, depthwise_conv, conv_transpose, max_pool and average_pool as graph ops: the library's own ops with
    /// the strides and padding of their JSON arguments, gradients against central differences.
    func testWindowOpsMatchTheLibrarysOpsAndTheirGradients() throws {
        let x = GradientCheck.random([2, 5, 6, 3], seed: 21), k = GradientCheck.random([3, 3, 3, 4], seed: 22)
        let conv = try OpGraphOp("conv", .object([("strides", .array([.int(2)])), ("padding", .string("same"))]), arity: 2)
        let expected = try Ops.conv(x, kernel: k, bias: nil, strides: [2, 2], padding: .same, dilation: [1, 1])
        XCTAssertEqual(try conv.apply([x, k], training: false).scalars, expected.scalars)
        try GradientCheck.check([x, k], "conv") { v in try conv.apply(v, training: false) }
        let dk = GradientCheck.random([2, 2, 3, 2], seed: 23)
        let depthwise = try OpGraphOp("depthwise_conv", .object([("dilation_rate", .array([.int(2), .int(1)]))]), arity: 2)
        XCTAssertEqual(try depthwise.apply([x, dk], training: false).shape, [2, 3, 5, 6])
        try GradientCheck.check([x, dk], "depthwise_conv") { v in try depthwise.apply(v, training: false) }
        // conv_transpose: Keras's kernel (k..., out, in), output_padding per axis or null.
        let tk = GradientCheck.random([3, 2, 2, 3], seed: 25)
        let transpose = try OpGraphOp("conv_transpose", .object([("strides", .array([.int(2)])), ("padding", .string("same")),
                                                                 ("output_padding", .array([.int(1), .int(0)]))]), arity: 2)
        let transposed = try Ops.convTranspose(x, kernel: tk, bias: nil, strides: [2, 2], padding: .same,
                                               outputPadding: [1, 0], dilation: [1, 1])
        XCTAssertEqual(try transpose.apply([x, tk], training: false).scalars, transposed.scalars)
        XCTAssertEqual(transposed.shape, [2, 10, 10, 2])  // keras.ops.conv_transpose's shape
        try GradientCheck.check([x, tk], "conv_transpose") { v in try transpose.apply(v, training: false) }
        let defaults = try OpGraphOp("conv_transpose", .object([("output_padding", .null)]), arity: 2)
        XCTAssertEqual(try defaults.apply([x, tk], training: false).shape, [2, 7, 7, 2])
        let pools: [(String, JSON)] = [
            ("max_pool", .object([("pool_size", .array([.int(2), .int(2)])), ("padding", .string("same"))])),
            ("average_pool", .object([("pool_size", .array([.int(3)])), ("strides", .array([.int(1), .int(2)]))])),
        ]
        for (name, attrs) in pools {
            let op = try OpGraphOp(name, attrs, arity: 1)
            let v = GradientCheck.distinct([1, 5, 6, 2], seed: 24)
            XCTAssertEqual(try op.apply([v], training: false).shape, name == "max_pool" ? [1, 3, 3, 2] : [1, 3, 2, 2], name)
            try GradientCheck.check([v], name) { t in try op.apply(t, training: false) }
        }
        let threeStrides = try OpGraphOp("conv", .object([("strides", .array([.int(1), .int(1), .int(1)]))]), arity: 2)
        XCTAssertThrowsError(try threeStrides.apply([x, k], training: false)) {
            XCTAssertTrue("\($0)".contains("3 values for 2 spatial axes"), "\($0)")
        }
        XCTAssertThrowsError(try OpGraphOp("conv", .object([("padding", .string("causal"))]), arity: 2)) {
            XCTAssertTrue("\($0)".contains("causal"), "\($0)")
        }
    }

    /// A traced loss (Keras's add_loss in `call`) joins the training loss: an L2 penalty on the
    /// weight of `x * w` on zero inputs shrinks w by (1 - lr * 2c) per step and nothing else.
    func testTracedLossJoinsTheTrainingLoss() throws {
        var f = CallbackLayerFunctions { _, _, _, _ in throw KerasError.invalidState("forward callback ran") }
        f.build = { shape, add in
            guard let last = shape.last, let d = last else { throw KerasError.invalidArgument("unknown input width") }
            try add("w", [d], try deserializeInitializer(.string("ones")), true, nil, nil)
            guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
            let w = try g.addWeight(0)
            try g.setOutput(try g.addOp("multiply", [g.addInput(), w], attributes: Self.none), training: nil)
            let penalty = try g.addOp("multiply", [g.addOp("square", [w], attributes: Self.none), g.addConstant(Tensor(0.1))],
                                      attributes: Self.none)
            try g.addLossOutput(penalty, training: nil)
        }
        let layer = CallbackLayer(className: "Penalized", functions: f)
        let model = try Sequential([InputLayer(shape: [3]), layer])
        try model.compile(optimizer: SGD(learningRate: 0.5), loss: "mse")
        _ = try model.fit(Tensor(shape: [4, 3]), Tensor(shape: [4, 3]), batchSize: 4, epochs: 10, verbose: 0, shuffle: false)
        assertClose(layer.weights[0].storedValue.scalars, [Float](repeating: powf(0.9, 10), count: 3), "w after 10 steps")
        XCTAssertNil(layer.graph?.denseForm, "a graph with a loss is not a plain Dense")
    }
}
