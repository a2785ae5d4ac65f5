import XCTest
@testable import Keras

/// Models made from Swift after `setRandomSeed` get Keras's initial weights and dropout draws
/// after `keras.utils.set_random_seed` with the same seed: each built-in layer's unseeded
/// initializers and generators take Keras's seeds (Python's `random.randint(1, 10⁹)`) in the
/// order of Keras's constructors. Fixture: Tests/KerasTests/Fixtures/random/keras_seeded_models.json,
/// written by scripts/make_keras_seed_fixtures.py from real Keras (a Sequential of Embedding,
/// LSTM, Dropout and Dense, a functional model of Conv2D, Flatten, Dropout and Dense, and a
/// Sequential of SimpleRNN and GRU with dropout, whose cells take their generator's seed before
/// and after their initializers' respectively; each fit 2 epochs with SGD without shuffling).
final class KerasSeedTests: XCTestCase {
    private func tensor(_ fixture: JSON, _ key: String) throws -> Tensor {
        try Tensor(shape: try XCTUnwrap(fixture["\(key)_shape"]).ints, scalars: try XCTUnwrap(fixture[key]).floats)
    }

    private func weights(_ model: Model) -> [Float] { model.weights.flatMap { $0.numpy.scalars } }

    func testModelsMadeAfterTheSeedGetKerasInitialWeightsAndDropoutDraws() throws {
        let fixture = try loadFixture("random/keras_seeded_models.json")
        setRandomSeed(try XCTUnwrap(fixture["seed"]?.intValue))
        let seq = try Sequential([InputLayer(shape: [5]), Embedding(10, 4), LSTM(3), Dropout(0.5), Dense(2)])
        let input = Input(shape: [6, 6, 2])
        // (in the script's order: Conv2D, then Dropout, Flatten (Python makes the callee first), Dense)
        let convolved = try Conv2D(3, kernelSize: [3], activation: .relu)(input)
        let hidden = try Dropout(0.3)(try Flatten()(convolved))
        let fun = try Model(inputs: input, outputs: try Dense(1)(hidden))
        var dropping = RecurrentCellOptions(), recurrentDropping = RecurrentCellOptions()
        dropping.dropout = 0.25
        recurrentDropping.recurrentDropout = 0.25
        let rnn = try Sequential([InputLayer(shape: [4, 3]), SimpleRNN(3, options: dropping, returnSequences: true),
                                  GRU(2, options: recurrentDropping), Dense(1)])
        let models = [("seq", seq as Model), ("fun", fun), ("rnn", rnn)]
        for (name, model) in models {
            XCTAssertEqual(model.weights.map(\.shape), try XCTUnwrap(fixture["\(name)_shapes"]?.arrayValue).map(\.ints), name)
            assertClose(weights(model), try XCTUnwrap(fixture["\(name)_initial"]).floats, atol: 1e-6, "\(name) initial weights")
        }
        for (name, model) in models {
            try model.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
            try model.fit(try tensor(fixture, "\(name)_x"), try tensor(fixture, "\(name)_y"), batchSize: 4, epochs: 2,
                          verbose: 0, shuffle: false)
            assertClose(weights(model), try XCTUnwrap(fixture["\(name)_trained"]).floats, atol: 1e-5, rtol: 1e-4,
                        "\(name) weights after fit")
        }
    }
}
