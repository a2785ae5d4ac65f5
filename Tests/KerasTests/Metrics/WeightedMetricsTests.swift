import XCTest
@testable import Keras

/// `compile(weighted_metrics=...)`: metrics updated with the sample weights, logged as
/// `weighted_<name>` when `metrics` has the name already, saved in the compile config
/// (fixture by scripts/make_keras3_vocab_fixtures.py: Keras's evaluate with sample weights).
final class WeightedMetricsTests: XCTestCase {
    func testEvaluateWithWeightedMetricsMatchesKeras() throws {
        let f = try VocabFixtures.load("metrics", "weighted_metrics.json")
        let model = try Sequential([Dense(1, activation: .sigmoid, inputDim: 3)])
        try model.setWeights(try (f["weights"]?.arrayValue ?? []).map(VocabFixtures.tensor))
        try model.compile(optimizer: "sgd", loss: "binary_crossentropy", metrics: ["mae", "binary_accuracy"],
                          weightedMetrics: ["mae", "mse", .instance(try BinaryIoU(name: "binary_iou"))])
        let results = try model.evaluateDict([try VocabFixtures.tensor(f["x"])], [try VocabFixtures.tensor(f["y"])],
                                             batchSize: f["batch_size"]?.intValue, verbose: 0,
                                             sampleWeight: try VocabFixtures.tensor(f["sample_weight"]))
        let keras = try XCTUnwrap(f["result"]?.objectValue)
        XCTAssertEqual(Set(results.map(\.0)), Set(keras.map(\.0)))
        XCTAssertEqual(results.map(\.0), ["loss", "mae", "binary_accuracy", "weighted_mae", "mse", "binary_iou"])
        for (name, value) in results {
            XCTAssertEqual(value, try XCTUnwrap(f["result"]?[name]?.doubleValue), accuracy: 1e-5, name)
        }
        let config = try XCTUnwrap(model.compileConfig())
        XCTAssertEqual(config["metrics"], f["compile_config"]?["metrics"])
        XCTAssertEqual(config["weighted_metrics"]?.arrayValue?.count, 3)
        XCTAssertEqual(config["weighted_metrics"]?.arrayValue?.last?["config"],
                       f["compile_config"]?["weighted_metrics"]?.arrayValue?.last?["config"])

        // The compile config Keras wrote compiles the same metrics.
        let again = try Sequential([Dense(1, activation: .sigmoid, inputDim: 3)])
        try again.setWeights(model.getWeights())
        var kerasConfig = try XCTUnwrap(f["compile_config"])
        kerasConfig.set("optimizer", "sgd"); kerasConfig.set("loss", "binary_crossentropy")
        try again.compileFromConfig(kerasConfig)
        let second = try again.evaluateDict([try VocabFixtures.tensor(f["x"])], [try VocabFixtures.tensor(f["y"])],
                                            batchSize: 4, verbose: 0, sampleWeight: try VocabFixtures.tensor(f["sample_weight"]))
        XCTAssertEqual(second.map(\.0), results.map(\.0))
        assertClose(second.map { Float($0.1) }, results.map { Float($0.1) }, "from Keras's compile config")
    }
}
