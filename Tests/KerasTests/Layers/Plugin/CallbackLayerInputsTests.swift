import XCTest
@testable import Keras

/// A plugin layer called on several inputs (Keras's `layer([a, b])`): one node of the graph with
/// every input. A traced call reads each input as its own node; the callbacks get them packed
/// (each flattened to `(batch, size)`, concatenated) and their gradient flows back through the
/// packing to every input; the functional config keeps the one node, as Keras writes it.
final class CallbackLayerInputsTests: XCTestCase {
    private static let none = JSON.object([])

    /// `a * w + reshape(b, (-1, 3))`, traced, for a `(batch, 3)` and b `(batch, 1, 3)`.
    private func tracedWeightedSum() -> CallbackLayer {
        var f = CallbackLayerFunctions { _, _, _, _ in
            throw KerasError.invalidState("forward callback ran although the layer was traced")
        }
        f.build = { packed, add in
            XCTAssertEqual(packed, [nil, 6], "build sees the inputs packed")
            try add("w", [3], try deserializeInitializer(.string("ones")), true, nil, nil)
            guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
            XCTAssertEqual(g.inputShapes, [[nil, 3], [nil, 1, 3]])
            XCTAssertEqual(try g.shape(of: g.addInput()), [-1, 6])
            let b = try g.addOp("reshape", [g.addInput(at: 1)], attributes: ["newshape": [-1, 3]])
            let aw = try g.addOp("multiply", [g.addInput(at: 0), g.addWeight(0)], attributes: Self.none)
            try g.setOutput(try g.addOp("add", [aw, b], attributes: Self.none), training: nil)
        }
        return CallbackLayer(className: "WeightedSum", functions: f, name: "weighted_sum")
    }

    /// `a * b` through forward/backward callbacks over the packed `(batch, 6)`.
    private func callbackProduct() -> CallbackLayer {
        var f = CallbackLayerFunctions { x, _, _, y in
            XCTAssertEqual(x.shape.dropFirst(), [6])
            for i in 0..<x.shape[0] { for j in 0..<3 { y.data[i * 3 + j] = x.data[i * 6 + j] * x.data[i * 6 + 3 + j] } }
        }
        f.outputShape = { shape in [shape[0], 3] }
        f.backward = { x, _, dy, dx, _ in
            for i in 0..<x.shape[0] {
                for j in 0..<3 {
                    dx.data[i * 6 + j] = dy.data[i * 3 + j] * x.data[i * 6 + 3 + j]
                    dx.data[i * 6 + 3 + j] = dy.data[i * 3 + j] * x.data[i * 6 + j]
                }
            }
        }
        return CallbackLayer(className: "Product", functions: f, name: "product")
    }

    func testTracedLayerOfTwoInputsComputesAndDifferentiates() throws {
        let layer = tracedWeightedSum()
        let a = GradientCheck.random([4, 3], seed: 1), b = GradientCheck.random([4, 1, 3], seed: 2)
        let y = try layer([a, b])
        XCTAssertEqual(try layer.computeOutputShape(shapes: [[nil, 3], [nil, 1, 3]]), [nil, 3])
        assertClose(y.scalars, zip(a.scalars, b.scalars).map { $0 + $1 }, "a * ones + b")
        try GradientCheck.check([a, b], variables: layer.weights, "traced weighted sum") { try layer($0) }
        XCTAssertThrowsError(try layer.graph?.runWithLosses([a], weights: [Tensor(shape: [3])], training: false)) {
            XCTAssertTrue("\($0)".contains("traced for 2 input(s), got 1"), "\($0)")
        }
    }

    func testCallbackLayerOfTwoInputsGetsThemPackedAndItsGradientReachesBoth() throws {
        let layer = callbackProduct()
        let a = GradientCheck.random([5, 3], seed: 3), b = GradientCheck.random([5, 1, 3], seed: 4)
        let y = try layer([a, b])
        XCTAssertEqual(y.shape, [5, 3])
        assertClose(y.scalars, zip(a.scalars, b.scalars).map { $0 * $1 }, "a * b")
        try GradientCheck.check([a, b], "packed backward") { try layer($0) }
        XCTAssertThrowsError(try callbackProduct()([a, GradientCheck.random([4, 1, 3], seed: 5)])) {
            XCTAssertTrue("\($0)".contains("same batch size"), "\($0)")
        }
    }

    func testUnknownDimensionsCannotBePackedAndSayWhy() throws {
        let a = Input(shape: [3]), b = Input(shape: [nil, 3] as [Int?])
        XCTAssertThrowsError(try callbackProduct()([a, b])) {
            XCTAssertTrue("\($0)".contains("every dimension but the batch must be known"), "\($0)")
        }
    }

    func testFunctionalConfigHasOneNodeReadingBothInputs() throws {
        let a = Input(shape: [3], name: "a"), b = Input(shape: [1, 3], name: "b")
        let model = try Model(inputs: [a, b], outputs: try Dense(2, name: "head")(try tracedWeightedSum()([a, b])))
        let config = try JSONParser.parse(model.toJSON())
        let layers = config["config"]?["layers"]?.arrayValue ?? []
        XCTAssertEqual(layers.compactMap { $0["class_name"]?.stringValue }, ["InputLayer", "InputLayer", "WeightedSum", "Dense"])
        let entry = layers[2]
        let args = entry["inbound_nodes"]?.arrayValue?.first?["args"]?.arrayValue ?? []
        XCTAssertEqual(args.count, 1)
        let history = (args.first?.arrayValue ?? []).map { $0["config"]?["keras_history"]?.arrayValue?.first?.stringValue }
        XCTAssertEqual(history, ["a", "b"])
        XCTAssertEqual(entry["build_config"], ["input_shape": [[nil, 3], [nil, 1, 3]]])
    }
}
