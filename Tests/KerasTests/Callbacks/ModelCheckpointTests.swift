import Foundation
import XCTest
@testable import Keras

final class ModelCheckpointTests: XCTestCase {
    func run(_ make: (String) throws -> ModelCheckpoint, pattern: String) throws -> (printed: String, files: [String], dir: String) {
        let f = try VocabFixtures.load("callbacks", "fit_seed004.json")
        let x = try VocabFixtures.tensor(f["x"]), y = try VocabFixtures.tensor(f["y"])
        let n = f["n_train"]?.intValue ?? 0
        let model = try Sequential([Dense(5, inputDim: 12), Activation(.softmax)])
        try model.setWeights(try (f["weights"]?.arrayValue ?? []).map(VocabFixtures.tensor))
        try model.compile(optimizer: .instance(try SGD(learningRate: 3.0)), loss: "categorical_crossentropy")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt_\(getpid())_\(UUID().uuidString)").path
        var printed = ""
        let cb = try make(dir + "/ckpt/" + pattern)
        cb.output = { printed += $0 }
        try model.fit(Ops.take(x, Array(0..<n)), Ops.take(y, Array(0..<n)), batchSize: 32, epochs: 6, verbose: 0,
                      callbacks: [cb], validationData: (try Ops.take(x, Array(n..<x.shape[0])), try Ops.take(y, Array(n..<x.shape[0]))),
                      shuffle: false)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/ckpt").sorted()
        return (printed.replacingOccurrences(of: dir + "/", with: ""), files, dir)
    }

    /// seeds/004's `ModelCheckpoint(fBestModel, save_best_only=True)`, here with verbose=1.
    func testSaveBestOnlyPrintsAndSavesAsKeras() throws {
        let f = try XCTUnwrap(try VocabFixtures.load("callbacks", "model_checkpoint.json")["best"])
        let (printed, files, dir) = try run({ try ModelCheckpoint($0, verbose: 1, saveBestOnly: true) }, pattern: "best_model.h5")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(printed, f["printed"]?.stringValue)
        XCTAssertEqual(files, f["files"]?.arrayValue?.compactMap(\.stringValue))
        let loaded = try loadModel(dir + "/ckpt/best_model.h5")
        XCTAssertEqual(loaded.layers.count, 2)
    }

    func testFormattedNamesEveryEpochAsKeras() throws {
        let f = try XCTUnwrap(try VocabFixtures.load("callbacks", "model_checkpoint.json")["every"])
        let (printed, files, dir) = try run({ try ModelCheckpoint($0, verbose: 1, saveWeightsOnly: true) },
                                            pattern: "w.{epoch:02d}-{val_loss:.2f}.weights.h5")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(printed, f["printed"]?.stringValue)
        XCTAssertEqual(files, f["files"]?.arrayValue?.compactMap(\.stringValue))
    }

    func testBadCheckpointArgumentsThrow() throws {
        XCTAssertThrowsError(try ModelCheckpoint("model.txt")) { e in XCTAssertTrue("\(e)".contains("model.txt")) }
        XCTAssertThrowsError(try ModelCheckpoint("model.h5", saveWeightsOnly: true))
        XCTAssertThrowsError(try ModelCheckpoint("m.keras", saveFreq: .batches(0)))
        XCTAssertThrowsError(try ModelCheckpoint("m{epoch.keras"))
        XCTAssertThrowsError(try ModelCheckpoint("m{epoch:q}.keras"))
        XCTAssertEqual(try formatCheckpointPath("m{{x}}-{epoch:03d}-{loss:.3f}-{acc}.keras", epoch: 7, batch: nil, logs: ["loss": 0.12345, "acc": 0.5]),
                       "m{x}-007-0.123-0.5.keras")
        XCTAssertThrowsError(try formatCheckpointPath("m-{loss:d}.keras", epoch: 1, batch: nil, logs: ["loss": .infinity]))
        XCTAssertEqual(try formatCheckpointPath("m-{loss}.keras", epoch: 1, batch: nil, logs: ["loss": .nan]), "m-nan.keras")
        XCTAssertThrowsError(try formatCheckpointPath("m-{val_auc}.keras", epoch: 1, batch: nil, logs: ["loss": 1])) { e in
            XCTAssertTrue("\(e)".contains("val_auc"))
        }
    }
}
