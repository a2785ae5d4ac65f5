import XCTest
@testable import Keras

/// The dense peephole of ``OpGraph`` (OpGraph+Fusion.swift): `activation(x @ w + b)` traced as
/// ops runs as one fused ``Ops/dense(_:kernel:bias:activation:)``, with the numbers of the
/// unfused ops, and is left alone where folding would change what the graph computes.
final class OpGraphFusionTests: XCTestCase {
    private static let none = JSON.object([])
    private let w = GradientCheck.random([5, 3], seed: 21), b = GradientCheck.random([3], seed: 22)

    /// A graph over input `[nil, 5]` and weights (w, b) built by `body`, whose node is the
    /// output for `training` (nil: both modes); finished.
    private func graph(training: Bool? = nil, _ body: (OpGraph, _ x: Int, _ w: Int, _ b: Int) throws -> Int) throws -> (OpGraph, Int) {
        let weights = [w, b]
        let g = OpGraph(inputShape: [nil, 5]) { weights[$0] }
        let out = try body(g, try g.addInput(), try g.addWeight(0), try g.addWeight(1))
        try g.setOutput(out, training: training)
        g.finish()
        return (g, out)
    }

    private func op(_ g: OpGraph, _ name: String, _ inputs: [Int], _ attrs: JSON = none) throws -> Int {
        try g.addOp(name, inputs, attributes: attrs)
    }

    /// The role of node `i` after the pass (nil for a node that is not an op).
    private func role(_ g: OpGraph, _ i: Int) -> OpGraphOp.Role? {
        guard case .op(let op, _) = g.sources[i] else { return nil }
        return op.role
    }

    /// Output and gradients (x, w, b) of `g` against the same computation by unfused ops.
    private func assertMatchesUnfused(_ g: OpGraph, _ reference: (Tensor, Tensor, Tensor) throws -> Tensor,
                                      _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = GradientCheck.random([4, 5], seed: 23)
        func run(_ f: (Tensor, Tensor, Tensor) throws -> Tensor) throws -> [Tensor] {
            let tape = GradientTape()
            let (inputs, loss, y) = try tape.record { () throws -> ([Tensor], Tensor, Tensor) in
                let inputs = [x, w, b].map(tape.watch)
                let y = try f(inputs[0], inputs[1], inputs[2])
                // A loss that weighs each output differently, so every gradient element counts.
                return (inputs, try Ops.sum(Ops.multiply(y, GradientCheck.random(y.shape, seed: 24))), y)
            }
            return [y] + (try tape.gradient(of: loss, with: inputs))
        }
        let fused = try run { x, w, b in try g.run(x, weights: [w, b], training: true) }
        let unfused = try run(reference)
        for (k, name) in ["output", "dx", "dw", "db"].enumerated() {
            XCTAssertEqual(fused[k].shape, unfused[k].shape, "\(what): \(name) shape", file: file, line: line)
            assertClose(fused[k].scalars, unfused[k].scalars, atol: 1e-6, rtol: 1e-6, "\(what): \(name)")
        }
    }

    func testBiasAddAndActivationFuseIntoOneDenseWithTheUnfusedNumbers() throws {
        let (g, out) = try graph { g, x, w, b in
            try op(g, "tanh", [try op(g, "add", [try op(g, "matmul", [x, w]), b])])
        }
        XCTAssertEqual(role(g, out), .dense(.tanh, bias: true))
        try assertMatchesUnfused(g, { x, w, b in Ops.activation(try Ops.add(Ops.matmul(x, w), b), .tanh) }, "tanh(x @ w + b)")
        XCTAssertEqual(g.outputShape, [nil, 3])
    }

    func testEveryFoldedFormMatchesItsUnfusedOps() throws {
        // b + x @ w (bias first), and dot as matmul.
        let (g1, o1) = try graph { g, x, w, b in try op(g, "add", [b, try op(g, "dot", [x, w])]) }
        XCTAssertEqual(role(g1, o1), .dense(.linear, bias: true))
        try assertMatchesUnfused(g1, { x, w, b in try Ops.add(b, Ops.matmul(x, w)) }, "b + x @ w")
        // relu(x @ w): no bias.
        let (g2, o2) = try graph { g, x, w, _ in try op(g, "relu", [try op(g, "matmul", [x, w])]) }
        XCTAssertEqual(role(g2, o2), .dense(.relu, bias: false))
        try assertMatchesUnfused(g2, { x, w, _ in Ops.activation(try Ops.matmul(x, w), .relu) }, "relu(x @ w)")
        // An activation with arguments.
        let alpha = JSON.object([("negative_slope", .double(0.3))])
        let (g3, o3) = try graph { g, x, w, b in try op(g, "leaky_relu", [try op(g, "add", [try op(g, "matmul", [x, w]), b])], alpha) }
        XCTAssertEqual(role(g3, o3), .dense(.leakyReLU(negativeSlope: 0.3), bias: true))
        try assertMatchesUnfused(g3, { x, w, b in Ops.activation(try Ops.add(Ops.matmul(x, w), b), .leakyReLU(negativeSlope: 0.3)) },
                                 "leaky_relu(x @ w + b)")
    }

    func testNodesOthersReadAndOtherBroadcastsAreNotFolded() throws {
        // The product is read twice: the add cannot swallow it.
        let (g1, o1) = try graph { g, x, w, b in
            let xw = try op(g, "matmul", [x, w])
            return try op(g, "multiply", [try op(g, "add", [xw, b]), xw])
        }
        XCTAssertNil(g1.sources.firstIndex { if case .op(let o, _) = $0 { return o.name == "dense" } else { return false } })
        XCTAssertNil(role(g1, o1))
        try assertMatchesUnfused(g1, { x, w, b in let xw = try Ops.matmul(x, w); return try Ops.multiply(Ops.add(xw, b), xw) },
                                 "(x @ w + b) * (x @ w)")
        // A bias of shape [1, 3] broadcasts differently from Dense's [3]: left as an add.
        let weights = [w, try Ops.reshape(b, [1, 3])]
        let g2 = OpGraph(inputShape: [nil, 5]) { weights[$0] }
        let add = try op(g2, "add", [try op(g2, "matmul", [try g2.addInput(), try g2.addWeight(0)]), try g2.addWeight(1)])
        try g2.setOutput(add, training: nil)
        g2.finish()
        XCTAssertEqual(role(g2, add), .add)
        // An activation over a sum that is also an output of the other mode keeps the sum.
        let (g3, o3) = try graph(training: true) { g, x, w, b in
            let sum = try op(g, "add", [try op(g, "matmul", [x, w]), b])
            try g.setOutput(sum, training: false)
            return try op(g, "sigmoid", [sum])
        }
        XCTAssertEqual(role(g3, o3), .activation(.sigmoid))
        XCTAssertEqual(try g3.run(GradientCheck.random([2, 5], seed: 25), weights: [w, b], training: false).shape, [2, 3])
    }

    /// A traced Dense in a model trains to the weights the built-in Dense reaches.
    func testFusedTracedLayerTrainsLikeTheBuiltInDense() throws {
        var f = CallbackLayerFunctions { _, _, _, _ in throw KerasError.invalidState("the forward callback ran") }
        f.build = { shape, add in
            try add("kernel", [4, 3], try deserializeInitializer(.string("zeros")), true, nil, nil)
            try add("bias", [3], try deserializeInitializer(.string("zeros")), true, nil, nil)
            guard let g = OpGraph.current else { throw KerasError.invalidState("no trace during build") }
            let y = try g.addOp("relu", [try g.addOp("add", [try g.addOp("matmul", [g.addInput(), g.addWeight(0)], attributes: Self.none),
                                                             g.addWeight(1)], attributes: Self.none)], attributes: Self.none)
            try g.setOutput(y, training: nil)
        }
        let traced = CallbackLayer(className: "OpsDense", functions: f)
        let x = GradientCheck.random([16, 4], seed: 26), y = GradientCheck.random([16, 3], seed: 27)
        let start = [GradientCheck.random([4, 3], seed: 28), GradientCheck.random([3], seed: 29)]
        var finals: [[Float]] = []
        for layer in [traced, Dense(3, activation: .relu)] as [Layer] {
            let model = try Sequential([InputLayer(shape: [4]), layer])
            try model.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
            try layer.setWeights(start)
            _ = try model.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, shuffle: false)
            finals.append(layer.weights.flatMap { $0.storedValue.scalars })
        }
        XCTAssertTrue(traced.graph.map { g in g.sources.contains { if case .op(let o, _) = $0 { return o.name == "dense" } else { return false } } } ?? false)
        assertClose(finals[0], finals[1], atol: 1e-6, rtol: 1e-6, "traced relu(x @ w + b) vs Dense(relu) after training")
    }
}
