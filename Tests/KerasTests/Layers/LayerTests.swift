import XCTest
@testable import Keras

/// A user layer written the Keras way: weights in `build`, ops in `call`, no backward code.
/// `y = x · w ⊙ scale + b`, with a per-unit learned scale.
final class ScaledLinear: Layer, @unchecked Sendable {
    let units: Int
    var w: Variable?
    var b: Variable?
    var scale: Variable?

    init(units: Int, name: String? = nil, inputShape: [Int]? = nil) {
        self.units = units
        super.init(name: name, inputShape: inputShape)
    }

    override var className: String { "ScaledLinear" }

    override func build(_ inputShape: [Int?]) throws {
        guard let last = inputShape.last, let inputDim = last else {
            throw KerasError.shapeMismatch("ScaledLinear '\(name)': the last dimension must be known")
        }
        w = addWeight(name: "w", shape: [inputDim, units], initializer: RandomNormal(stddev: 0.5))
        b = addWeight(name: "b", shape: [units], initializer: Zeros())
        scale = addWeight(name: "scale", shape: [units], initializer: Ones())
    }

    override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard let w, let b, let scale else { throw KerasError.invalidState("ScaledLinear '\(name)' is not built") }
        return try Ops.matmul(x, w.value) * scale.value + b.value
    }

    override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        Array(inputShape.dropLast()) + [units]
    }

    override func getConfig() -> JSON {
        var c = super.getConfig()
        c.set("units", .int(units))
        return c
    }
}

final class LayerTests: XCTestCase {
    func testCustomLayerGradientsComeFromItsOps() throws {
        let layer = ScaledLinear(units: 3)
        try GradientCheck.check(layer: layer, input: GradientCheck.random([4, 2], seed: 97))
        XCTAssertEqual(layer.weights.map(\.path), ["\(layer.name)/w", "\(layer.name)/b", "\(layer.name)/scale"])
        XCTAssertEqual(layer.getConfig()["units"], 3)
    }

    func testCustomLayerTrainsInASequentialModel() throws {
        setRandomSeed(11)
        let x = GradientCheck.random([64, 2], seed: 5)
        // Targets from a fixed linear map the layer can represent.
        let y = try Ops.matmul(x, Tensor([[1.5, -2], [0.5, 1]])) + Tensor([0.3, -0.7])
        let model = try Sequential([ScaledLinear(units: 2, inputShape: [2])])
        XCTAssertEqual(model.outputShape, [nil, 2])
        try model.compile(optimizer: .instance(try Adam(learningRate: 0.05)), loss: "mse")
        let history = try model.fit(x, y, batchSize: 16, epochs: 150, verbose: 0)
        let loss = try XCTUnwrap(history.history["loss"]?.last)
        XCTAssertLessThan(loss, 1e-3)
        XCTAssertTrue(try model.predict(x).isClose(to: y, atol: 0.1, rtol: 0.05))
    }
}
