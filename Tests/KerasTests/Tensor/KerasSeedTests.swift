import XCTest
@testable import Keras

/// Models made from Swift after `setRandomSeed` get Keras's initial weights and dropout draws
/// after `keras.utils.set_random_seed` with the same seed: each built-in layer's unseeded
/// initializers and generators take Keras's seeds (Python's `random.randint(1, 10⁹)`) in the
/// order of Keras's constructors. Fixture: Tests/KerasTests/Fixtures/random/keras_seeded_models.json,
/// written by scripts/make_keras_seed_fixtures.py from real Keras (a Sequential of Embedding,
/// LSTM, Dropout and Dense, a functional model of Conv2D, Flatten, Dropout and Dense, and a
/// Sequential of SimpleRNN and GRU with dropout, whose cells take their generator's seed before
/// and after their initializers' respectively; each fit 2 epochs with SGD without shuffling), and
/// a Dense model fit with shuffling, whose batches follow numpy's `np.random.permutation`.
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
        try checkInitialAndTrained([("seq", seq as Model), ("fun", fun), ("rnn", rnn as Model)], fixture)
    }

    /// Each model's initial weights, then (once all are checked, as the script fits them after
    /// making them all) its weights after 2 unshuffled epochs of SGD, against the fixture's.
    private func checkInitialAndTrained(_ models: [(String, Model)], _ fixture: JSON) throws {
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

    /// Bidirectional's forward and backward copies of its LSTM take new seeds, as Keras's
    /// copies made from the LSTM's config do.
    func testBidirectionalCopiesTakeKerasSeeds() throws {
        let fixture = try loadFixture("random/keras_seeded_models.json")
        setRandomSeed(try XCTUnwrap(fixture["seed"]?.intValue))
        var dropping = RecurrentCellOptions()
        dropping.dropout = 0.25
        let bidirectional = try Sequential([InputLayer(shape: [4, 3]), Bidirectional(LSTM(2, options: dropping)), Dense(1)])
        try checkInitialAndTrained([("bid", bidirectional as Model)], fixture)
    }

    /// The fixture's attention model ("att"): MultiHeadAttention and GroupedQueryAttention take
    /// seeds for their copies of their initializers and their Dropout's generator when built,
    /// the normalizations, EinsumDense and PReLU for their random initializers when made; each
    /// layer made, then called, as the script does.
    func testAttentionModelGetsKerasSeeds() throws {
        let fixture = try loadFixture("random/keras_seeded_models.json")
        setRandomSeed(try XCTUnwrap(fixture["seed"]?.intValue))
        let input = Input(shape: [4, 3])
        var h = try MultiHeadAttention(numHeads: 2, keyDim: 2, dropout: 0.25)([input, input])
        h = try LayerNormalization(affine: AffineOptions(gammaInitializer: RandomNormal()))(h)
        h = try EinsumDense("abc,cd->abd", outputShape: [4, 2], biasAxes: "d")(h)
        h = try PReLU(alphaInitializer: RandomUniform())(h)
        h = try BatchNormalization(affine: AffineOptions(betaInitializer: RandomNormal()))(h)
        let output = try GroupedQueryAttention(headDim: 2, numQueryHeads: 2, numKeyValueHeads: 1, dropout: 0.25)([h, h])
        try checkInitialAndTrained([("att", try Model(inputs: input, outputs: output))], fixture)
    }

    /// The same model made from Keras's JSON of it ("attj"): each layer is built from its
    /// build_config as soon as it is made, as Keras's deserialization builds it, so that
    /// MultiHeadAttention's build takes its seeds before the next layer's initializers do.
    func testAttentionModelFromKerasJSONGetsKerasSeeds() throws {
        let fixture = try loadFixture("random/keras_seeded_models.json")
        let json = try loadFixture("random/keras_seeded_attention.json")
        setRandomSeed(try XCTUnwrap(fixture["seed"]?.intValue))
        try checkInitialAndTrained([("attj", try modelFromConfig(json))], fixture)
    }

    func testNumpyPermutationsAfterTheSeedAreNumpys() throws {
        let fixture = try loadFixture("random/keras_seeded_models.json")
        var numpy = try XCTUnwrap(NumpyRandomState(seed: try XCTUnwrap(fixture["seed"]?.intValue)))
        let expected = try XCTUnwrap(fixture["np_permutations"]?.arrayValue).map(\.ints)
        XCTAssertEqual(expected.map { numpy.permutation($0.count) }, expected)
        XCTAssertNil(NumpyRandomState(seed: -1), "numpy takes seeds in 0...2³² - 1 only")
    }

    /// Keras's array adapter orders each shuffled epoch by numpy's `np.random.permutation`, and
    /// a first fit after compile draws one order more (the batch it peeks at to build the
    /// compiled loss): two fits (the first with validation_split) give Keras's weights.
    func testShuffledFitsAfterTheSeedTakeKerasBatches() throws {
        let fixture = try loadFixture("random/keras_seeded_models.json")
        setRandomSeed(try XCTUnwrap(fixture["seed"]?.intValue))
        let model = try Sequential([InputLayer(shape: [3]), Dense(2)])
        assertClose(weights(model), try XCTUnwrap(fixture["shf_initial"]).floats, atol: 1e-6, "initial weights")
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
        let x = try tensor(fixture, "shf_x"), y = try tensor(fixture, "shf_y")
        try model.fit(x, y, batchSize: 3, epochs: 2, verbose: 0, validationSplit: 0.2, shuffle: true)
        try model.fit(x, y, batchSize: 3, epochs: 1, verbose: 0, shuffle: true)
        assertClose(weights(model), try XCTUnwrap(fixture["shf_trained"]).floats, atol: 1e-6, rtol: 1e-5,
                    "weights after the shuffled fits")
    }

    /// `shuffle: .batch` (Keras's `shuffle="batch"`): the batches in order, each one's rows in
    /// numpy's order as it is taken, the first fit after compile drawing one for the batch it
    /// peeks at; numpy's generator ends where Keras's does. (A Dropout between the Dense layers
    /// makes the order inside a batch matter.)
    func testBatchShuffledFitsAfterTheSeedTakeKerasBatches() throws {
        let fixture = try loadFixture("random/keras_seeded_models.json")
        setRandomSeed(try XCTUnwrap(fixture["seed"]?.intValue))
        let model = try Sequential([InputLayer(shape: [3]), Dense(4), Dropout(0.5), Dense(2)])
        assertClose(weights(model), try XCTUnwrap(fixture["shb_initial"]).floats, atol: 1e-6, "initial weights")
        try model.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
        let x = try tensor(fixture, "shb_x"), y = try tensor(fixture, "shb_y")
        try model.fit(x, y, batchSize: 3, epochs: 2, verbose: 0, validationSplit: 0.2, shuffle: .batch)
        try model.fit(x, y, batchSize: 3, epochs: 1, verbose: 0, shuffle: .batch)
        assertClose(weights(model), try XCTUnwrap(fixture["shb_trained"]).floats, atol: 1e-6, rtol: 1e-5,
                    "weights after the batch-shuffled fits")
        let state = try XCTUnwrap(numpyRandomState())
        let expected = try XCTUnwrap(fixture["shb_numpy_state"]).ints
        XCTAssertEqual([state.position] + state.key.prefix(4).map { Int($0) }, expected)
    }
}
