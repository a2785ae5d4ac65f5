import XCTest
@testable import Keras

/// `Model.setActivation(ofLayer:to:)` (Keras's `layer.activation = f` on a built model): the
/// next predict and training step apply the new activation, the fused plans read before (the
/// Dense-stack inference plan, the training step plan) are not used again, and a model sharing
/// the layer sees it too.
final class SetActivationTests: XCTestCase {
    var x = Tensor(shape: [0])

    override func setUpWithError() throws {
        x = try Tensor(shape: [6, 5], scalars: (0..<30).map { Float(($0 * 7) % 11) / 11 - 0.4 })
    }

    /// The layers' own calls (the general path) on `x`.
    func byLayers(_ layers: [Layer]) throws -> Tensor {
        try layers.reduce(x) { try $1.call($0, training: false) }
    }

    func testInferenceAndTrainingPlansMadeBeforeAreNotUsed() throws {
        setRandomSeed(3)
        let model = try Sequential([Dense(4, activation: .tanh, inputDim: 5), Dense(3, activation: .sigmoid, name: "head")])
        let y = try Tensor(shape: [6, 3], scalars: (0..<18).map { Float($0 % 5) / 5 })
        let soft = try model.predictOnBatch(x)
        try model.compile(optimizer: "sgd", loss: "mse")
        _ = try model.fit(x, y, batchSize: 3, epochs: 1, verbose: 0)
        XCTAssertFalse(try model.requireCompiled("test").stepPlans.isEmpty, "a step plan was made")
        try model.setActivation(ofLayer: "head", to: .linear)
        let logits = try byLayers(model.layers)
        XCTAssertNotEqual(logits.scalars, soft.scalars)
        assertClose(try model.predictOnBatch(x).scalars, logits.scalars, "predict after the change")
        // The test step's loss is the MSE of the logits, not of the sigmoid.
        let mse = zip(logits.scalars, y.scalars).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +) / 18
        XCTAssertEqual(try model.testOnBatch(x, y), mse, accuracy: 1e-5)
        try model.setActivation(ofLayer: "head", to: .sigmoid)
        let sigmoid = try byLayers(model.layers)
        XCTAssertTrue(sigmoid.scalars.allSatisfy { $0 > 0 && $0 < 1 })
        assertClose(try model.predictOnBatch(x).scalars, sigmoid.scalars, "the sigmoid again")
    }

    func testAModelSharingTheLayerSeesTheChange() throws {
        let input = Input(shape: [5])
        let hidden = try Dense(4, activation: .tanh, name: "hidden")(input)
        let model = try Model(inputs: input, outputs: try Dense(3, activation: .sigmoid, name: "head")(hidden))
        let both = try Model(inputs: input, outputs: [hidden, model.outputs[0]])
        _ = try both.predict([x])
        try model.setActivation(ofLayer: "head", to: .linear)
        let layers = model.layers.filter { !($0 is InputLayer) }
        assertClose(try both.predict([x])[1].scalars, try byLayers(layers).scalars, "the sharing model")
    }

    func testLayersWithoutAnActivationAndUnknownNamesAreErrors() throws {
        let model = try Sequential([Dense(4, inputDim: 5), Dropout(0.5, name: "drop")])
        XCTAssertThrowsError(try model.setActivation(ofLayer: "drop", to: .relu)) {
            XCTAssertTrue("\($0)".contains("Dropout 'drop' has no activation to set"), "\($0)")
        }
        XCTAssertThrowsError(try model.setActivation(ofLayer: "nothing", to: .relu))
    }
}
