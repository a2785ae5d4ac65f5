import Foundation
import XCTest
@testable import Keras

/// A traced call that calls other layers (Keras: a custom layer whose `call` calls the layers held
/// in its attributes, as the keras.io transformer tutorial's `TransformerBlock`): each call is a
/// node of the op graph running the layer, and the called layers are the traced layer's
/// sublayers: their weights are its weights, differentiated by the library's autodiff, frozen
/// with it, and saved under the attributes that hold them.
final class CallbackLayerSublayerTests: XCTestCase {
    /// `dropout(tanh(dense(x)))`: the Dense held at attribute "ffn", the Dropout at "drop"
    /// (declared first: tracking follows the attributes' order, not the calls').
    private func composite() -> CallbackLayer {
        var f = CallbackLayerFunctions { _, _, _, _ in
            throw KerasError.invalidState("forward callback ran although the layer was traced")
        }
        f.build = { _, _ in
            guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
            let x = try g.addInput()
            let dense = try g.sublayer(attribute: "ffn", order: 1, index: nil) { Dense(2, name: "inner_dense") }
            let again = try g.sublayer(attribute: "ffn", order: 1, index: nil) { Dense(5) }
            XCTAssertTrue(dense === again, "the same attribute is the same layer")
            let drop = try g.sublayer(attribute: "drop", order: 0, index: nil) { try Dropout(0.5, name: "inner_drop") }
            let h = try g.addOp("tanh", [try g.addLayerCall(dense, [x], training: nil)], attributes: .object([]))
            try g.setOutput(try g.addLayerCall(drop, [h], training: nil), training: nil)
            XCTAssertThrowsError(try g.addLayerCall(Dense(1), [x], training: nil)) {
                XCTAssertTrue("\($0)".contains("not a sublayer"), "\($0)")
            }
        }
        return CallbackLayer(className: "Composite", functions: f, name: "composite")
    }

    func testCalledLayersAreSublayersWithTheirGradients() throws {
        let layer = composite()
        let x = GradientCheck.random([4, 3], seed: 1)
        let y = try layer(x)   // inference: the Dropout passes its input through
        XCTAssertEqual(layer.weights.map(\.shape), [[3, 2], [2]])
        XCTAssertEqual(layer.trainableWeights.count, 2)
        XCTAssertEqual(layer.trackedSublayers().attributes.map(\.name), ["drop", "ffn"])
        let dense = try XCTUnwrap(layer.sublayers.compactMap { $0 as? Dense }.first)
        assertClose(y.scalars, try dense(x).scalars.map { tanh($0) }, "tanh(dense(x))")
        try GradientCheck.check([x], variables: layer.weights, "through the called Dense") { try layer($0[0]) }
        let trained = try layer(Tensor(shape: [64, 3], repeating: 1), training: true)
        XCTAssertTrue(trained.scalars.contains(0), "the called Dropout runs with the step's training flag")
        layer.trainable = false
        XCTAssertTrue(layer.trainableWeights.isEmpty && !dense.trainable)
    }

    func testCalledLayersAreSavedUnderTheirAttributes() throws {
        let a = Input(shape: [3])
        let model = try Model(inputs: [a], outputs: try composite()(a))
        let paths = WeightsH5Store.entries(model).filter { !$0.variables.isEmpty }.map(\.path)
        XCTAssertEqual(paths, ["layers/composite/ffn/vars"])
    }

    /// `2 * super().call(x)` of a layer subclassing `base` (Keras: `class TwiceDense(Dense)`):
    /// the built-in layer made by `super().build`, after a weight of the subclass's own.
    private func subclassing(_ base: @escaping () throws -> Layer, name: String) -> CallbackLayer {
        var f = CallbackLayerFunctions { _, _, _, _ in
            throw KerasError.invalidState("forward callback ran although the layer was traced")
        }
        f.build = { shape, addWeight in
            guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
            let x = try g.addInput()
            XCTAssertThrowsError(try g.addBaseCall([x], training: nil)) {
                XCTAssertTrue("\($0)".contains("super().call before super().build"), "\($0)")
            }
            try addWeight("alpha", [1], Ones(), true, nil, nil)
            let made = try g.makeBase(base)
            XCTAssertEqual(made.map(\.name), try g.base.map { $0.variables.map(\.name) })
            XCTAssertThrowsError(try g.makeBase(base)) { XCTAssertTrue("\($0)".contains("built once"), "\($0)") }
            let two = try g.addConstant(Tensor(shape: [], repeating: 2))
            try g.setOutput(try g.addOp("multiply", [try g.addBaseCall([x], training: nil), two], attributes: .object([])), training: nil)
        }
        return CallbackLayer(className: "Twice", functions: f, name: name)
    }

    func testASubclassedBuiltInLayersWeightsAreItsOwn() throws {
        let layer = subclassing({ Dense(2, name: "twice") }, name: "twice")
        let x = GradientCheck.random([4, 3], seed: 2)
        let y = try layer(x)
        XCTAssertEqual(layer.variables.map(\.name), ["alpha", "kernel", "bias"], "its own, in creation order")
        XCTAssertEqual(layer.variables.map(\.path), ["twice/alpha", "twice/kernel", "twice/bias"])
        XCTAssertTrue(layer.sublayers.isEmpty, "the built-in layer is no sublayer")
        let kernel = layer.variables[1].numpy, bias = layer.variables[2].numpy
        let expected = try (Ops.matmul(x, kernel) + bias).scalars.map { 2 * $0 }
        assertClose(y.scalars, expected, "2 * dense(x)")
        try GradientCheck.check([x], variables: Array(layer.variables.dropFirst()), "through the base Dense") { try layer($0[0]) }
        layer.trainable = false
        XCTAssertTrue(layer.trainableWeights.isEmpty && layer.variables.allSatisfy { !$0.trainable })
    }

    func testASubclassedLSTMHoldsItsCell() throws {
        let layer = subclassing({ try LSTM(2, name: "my_lstm") }, name: "my_lstm")
        _ = try layer(GradientCheck.random([2, 4, 3], seed: 3))
        XCTAssertEqual(layer.trackedSublayers().attributes.map(\.name), ["cell"])
        XCTAssertEqual(layer.weights.map(\.path), ["my_lstm/alpha", "my_lstm/lstm_cell/kernel",
                                                   "my_lstm/lstm_cell/recurrent_kernel", "my_lstm/lstm_cell/bias"])
    }

    func testASubclassedEmbeddingGivesItsMask() throws {
        let layer = subclassing({ try Embedding(5, 2, maskZero: true, name: "emb") }, name: "emb")
        let x = try Tensor(shape: [2, 3], scalars: [1, 0, 2, 0, 0, 3])
        _ = try layer(x)
        XCTAssertTrue(layer.supportsMasking, "the Embedding's mask is the layer's")
        XCTAssertEqual(try layer.computeMask(x, mask: nil)?.scalars, [1, 0, 1, 0, 0, 1])
    }

    /// A layer called by a traced call on a tensor whose unknown axis is the batch times 4 (the
    /// windows of keras.io's Swin Transformer): its own trace probes that axis at the caller's
    /// sizes (8 and 12, not 2 and 3), so its `reshape(x, (-1, 4, 2))`, grouping the axis back by
    /// the rows it came from, splits; each window then gets the sum of its row's windows.
    func testACalledLayerIsTracedAtTheCallersProbeSizes() throws {
        let none = JSON.object([])
        var inner = CallbackLayerFunctions { _, _, _, _ in
            throw KerasError.invalidState("forward callback ran although the layer was traced")
        }
        inner.build = { _, _ in
            guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
            let x = try g.addInput()
            XCTAssertEqual(g.probes[x].map(\.shape), [[8, 2], [12, 2]])
            let grouped = try g.addOp("reshape", [x], attributes: ["newshape": [-1, 4, 2]])
            let rows = try g.addOp("sum", [grouped], attributes: ["axis": 1, "keepdims": true])
            let y = try g.addOp("add", [grouped, rows], attributes: none)
            try g.setOutput(try g.addOp("reshape", [y], attributes: ["newshape": [-1, 2]]), training: nil)
        }
        var outer = CallbackLayerFunctions { _, _, _, _ in
            throw KerasError.invalidState("forward callback ran although the layer was traced")
        }
        outer.build = { _, _ in
            guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
            let windows = try g.addOp("reshape", [try g.addInput()], attributes: ["newshape": [-1, 2]])
            let layer = try g.sublayer(attribute: "windows", order: 0, index: nil) {
                CallbackLayer(className: "Windows", functions: inner, name: "windows")
            }
            try g.setOutput(try g.addOp("reshape", [try g.addLayerCall(layer, [windows], training: nil)],
                                        attributes: ["newshape": [-1, 8]]), training: nil)
        }
        let layer = CallbackLayer(className: "Rows", functions: outer, name: "rows")
        let x = GradientCheck.random([3, 8], seed: 4)
        let y = try layer(x)
        let expected = (0..<3).flatMap { r -> [Float] in
            let row = Array(x.scalars[(r * 8)..<(r * 8 + 8)])
            let sums = (0..<2).map { c in stride(from: c, to: 8, by: 2).map { row[$0] }.reduce(0, +) }
            return row.indices.map { row[$0] + sums[$0 % 2] }
        }
        assertClose(y.scalars, expected, "each window plus the sum of its row's windows")
        try GradientCheck.check([x], "through the grouping of the called layer") { try layer($0[0]) }
    }
}
