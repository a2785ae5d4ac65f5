import XCTest
@testable import Keras

/// A custom layer that calls a Dropout without passing `training` on (Keras's call context
/// supplies it).
private final class DropBlock: Layer, @unchecked Sendable {
    let drop: Dropout
    init(rate: Double) throws {
        drop = try Dropout(rate)
        super.init()
    }
    override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { try drop(inputs) }
}

/// A BatchNormalization-like probe: records the flag its call receives.
private final class FrozenProbe: Layer, @unchecked Sendable {
    var seen: [Bool] = []
    override var trainingFollowsTrainable: Bool { true }
    override func call(_ inputs: Tensor, training: Bool) throws -> Tensor { seen.append(training); return inputs }
}

/// The training flag is one argument that reaches every layer, nested ones included.
final class TrainingFlagTests: XCTestCase {
    private let x = Tensor(shape: [4, 6], repeating: 1)

    func testTrainingReachesADropoutInsideACustomLayer() throws {
        let block = try DropBlock(rate: 1)
        XCTAssertEqual(try block(x).scalars, x.scalars, "inference by default")
        XCTAssertEqual(try block(x, training: true).scalars, Array(repeating: 0, count: 24), "training reaches the inner Dropout")
        XCTAssertEqual(try block(x, training: false).scalars, x.scalars)
        // An explicit flag on the inner call wins over the outer one.
        XCTAssertEqual(try block.drop(x, training: false).scalars, x.scalars)
    }

    func testTrainingReachesDropoutInNestedModelsDuringFitAndNotPredict() throws {
        setRandomSeed(3)
        let inner = try Sequential([InputLayer(shape: [6]), DropBlock(rate: 1)])
        let input = Input(shape: [6])
        let innerFn = try Model(inputs: input, outputs: try Dropout(1)(input))
        let outer = try Sequential([InputLayer(shape: [6]), inner, innerFn])
        XCTAssertEqual(try outer.forward([x], training: true)[0].scalars, Array(repeating: 0, count: 24))
        XCTAssertEqual(try outer.predict(x).scalars, x.scalars)
        // A functional model holding the Sequential: the flag goes through both graphs.
        let i2 = Input(shape: [6])
        let wrapper = try Model(inputs: i2, outputs: try inner(i2))
        XCTAssertEqual(try wrapper.forward([x], training: true)[0].scalars, Array(repeating: 0, count: 24))
        XCTAssertEqual(try wrapper(x).scalars, x.scalars)
        XCTAssertEqual(try wrapper(x, training: true).scalars, Array(repeating: 0, count: 24))
    }

    func testAFrozenLayerWhoseTrainingFollowsTrainableRunsInInferenceMode() throws {
        let probe = FrozenProbe()
        let model = try Sequential([InputLayer(shape: [6]), probe, Dense(1)])
        try model.compile(optimizer: "sgd", loss: "mse")
        try model.trainOnBatch(x, Tensor(shape: [4, 1]))
        probe.trainable = false
        try model.trainOnBatch(x, Tensor(shape: [4, 1]))
        _ = try probe(x, training: true)
        probe.trainable = true
        _ = try probe(x, training: true)
        XCTAssertEqual(probe.seen, [true, false, false, true])
    }
}
