import XCTest
@testable import Keras

/// A Keras-written model with LayerNormalization, RMSNormalization, GroupNormalization,
/// UnitNormalization, AlphaDropout, Dot and `dot(normalize=True)` loads here with Keras's
/// predictions, trains, and saves and loads again (.keras, .h5).
final class NormalizationSavingTests: XCTestCase {
    func testKerasModelLoadsTrainsAndSavesBothWays() throws {
        let (inputs, outputs) = try SavingFixtures.expected("norm_functional")
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("norm_functional.\(ext)"))
            assertClose(try model.predict(inputs), outputs, "norm_functional.\(ext)")
            func weightNames(_ name: String) -> [String]? { model.layers.first { $0.name == name }?.weights.map(\.name) }
            XCTAssertEqual(weightNames("ln"), ["gamma", "beta"])
            XCTAssertEqual(weightNames("rms"), ["scale"])
            XCTAssertEqual(weightNames("gn"), ["gamma", "beta"])
            XCTAssertEqual(Set(model.layers.map(\.className)).isSuperset(of: ["LayerNormalization", "RMSNormalization", "GroupNormalization", "UnitNormalization", "AlphaDropout", "Dot"]), true)
            try model.fit(inputs, [Tensor(shape: [3, 1], repeating: 0.5)], epochs: 2, verbose: 0)
            let trained = try model.predict(inputs)
            XCTAssertFalse(trained[0].isClose(to: outputs[0]), "training moved the predictions")
            for format in ["keras", "h5"] {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("norm-\(UUID().uuidString).\(format)").path
                defer { try? FileManager.default.removeItem(atPath: path) }
                try model.save(path)
                let back = try loadModel(path)
                assertClose(try back.predict(inputs), trained, "loaded from .\(ext), saved here as .\(format)")
                XCTAssertEqual(back.layers.map { $0.getConfig() }, model.layers.map { $0.getConfig() })
            }
        }
    }

    func testSwiftBuiltSequentialSavesAndLoads() throws {
        let model = try Sequential([
            InputLayer(shape: [4, 6]), Dense(8, activation: .selu), LayerNormalization(axis: [1, 2]), try GroupNormalization(groups: 2),
            RMSNormalization(), UnitNormalization(), try AlphaDropout(0.2, seed: 1), Flatten(), Dense(1),
        ])
        try model.compile(optimizer: "adam", loss: "mse")
        let x = GradientCheck.random([5, 4, 6], seed: 12)
        try model.fit(x, Tensor(shape: [5, 1], repeating: 1), epochs: 2, verbose: 0)
        for ext in ["keras", "h5"] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("norm-seq-\(UUID().uuidString).\(ext)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try model.save(path)
            let back = try loadModel(path)
            assertClose(try back.predict([x]), try model.predict([x]), "Swift-built model .\(ext)")
        }
    }
}
