import XCTest
@testable import Keras

/// A model used as a layer of another holds the same variables in both (Keras's nested models),
/// and a direct call keeps the `training=` a nested call recorded.
final class NestedModelSharingTests: XCTestCase {
    private let x = Tensor(shape: [4, 6], repeating: 1)

    private func outerJSON(_ base: Model) throws -> JSON {
        let i = Input(shape: [6])
        let outer = try Model(inputs: i, outputs: try Dense(1, name: "head")(try base(i)), name: "outer")
        return try JSONParser.parse(outer.toJSON())
    }

    func testAModelReadReusingANestedModelHoldsItsVariablesNotCopies() throws {
        setRandomSeed(1)
        let base = try Sequential([InputLayer(shape: [6]), Dense(3, name: "d1")], name: "base")
        let outer = try modelFromConfig(try outerJSON(base), reusing: [base])
        XCTAssertTrue(outer.layers.contains { $0 === base })
        let shared = outer.weights.prefix(base.weights.count)
        XCTAssertTrue(zip(shared, base.weights).allSatisfy { $0 === $1 }, "the very variables")
        let before = try base.predict(x).scalars
        try outer.compile(optimizer: "sgd", loss: "mse")
        try outer.fit(x, Tensor(shape: [4, 1], repeating: 5), epochs: 2, verbose: 0)
        XCTAssertNotEqual(try base.predict(x).scalars, before, "training the outer model trains the base")
        // Without `reusing`, the same config makes a copy.
        let copy = try modelFromConfig(try outerJSON(base))
        XCTAssertFalse(copy.weights.contains { w in base.weights.contains { $0 === w } })
    }

    func testTheReusedModelTakesTheEntrysTrainableFlagsKeepingItsWeights() throws {
        let d2 = try Dense(2, name: "d2")
        let base = try Sequential([InputLayer(shape: [6]), Dense(3, name: "d1"), d2], name: "base")
        base.trainable = false
        let frozen = try outerJSON(base)
        base.trainable = true
        let weights = base.weights
        let outer = try modelFromConfig(frozen, reusing: [base])
        XCTAssertFalse(base.trainable, "the entry's flag, set on the shared model")
        XCTAssertEqual(outer.trainableWeights.count, 2, "the head's alone")
        // Flags set in place from a config (keras_model_set_trainable): d2 alone frozen.
        base.trainable = true
        d2.trainable = false
        let config = try XCTUnwrap(try JSONParser.parse(base.toJSON())["config"])
        base.trainable = false
        base.takeTrainableFlags(config)
        XCTAssertTrue(base.trainable)
        XCTAssertFalse(d2.trainable)
        XCTAssertEqual(base.trainableWeights.count, 2)
        XCTAssertTrue(zip(base.weights, weights).allSatisfy { $0 === $1 }, "the same variables")
    }

    func testADirectCallKeepsTheRecordedTrainingFlagAndFitOrPredictOverrideIt() throws {
        let inner = try Sequential([InputLayer(shape: [6]), Dropout(1)], name: "inner")
        let i = Input(shape: [6])
        let t = try inner(i)
        t.node?.training = true
        let outer = try Model(inputs: i, outputs: t)
        let zeros = Array(repeating: Float(0), count: 24)
        XCTAssertEqual(try outer.forwardWithRecordedTraining([x]).outputs[0].scalars, zeros)
        XCTAssertEqual(try outer.callCollectingLosses([x], training: nil).outputs[0].scalars, zeros)
        XCTAssertEqual(try outer.callCollectingLosses([x], training: false).outputs[0].scalars, x.scalars)
        XCTAssertEqual(try outer.predict(x).scalars, x.scalars)
        // Nested one level deeper, with no flag recorded on the way: the inner record applies.
        let j = Input(shape: [6])
        let wrapper = try Model(inputs: j, outputs: try outer(j))
        XCTAssertEqual(try wrapper.forwardWithRecordedTraining([x]).outputs[0].scalars, zeros)
        // A call recorded with training=False inside a model called in training mode trains.
        t.node?.training = false
        XCTAssertEqual(try outer.forwardWithRecordedTraining([x]).outputs[0].scalars, x.scalars)
        XCTAssertEqual(try outer.forward([x], training: true)[0].scalars, zeros)
    }
}
