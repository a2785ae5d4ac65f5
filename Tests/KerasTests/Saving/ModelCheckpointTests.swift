import XCTest
@testable import Keras

/// ModelCheckpoint as seeds/004 uses it: best-only saving, filename patterns, batch frequency.
final class ModelCheckpointTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try SavingFixtures.makeTempDir() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    let x = Tensor([[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.5], [0.2, 0.9]])
    let y = Tensor([[0], [1], [1], [0], [1], [0]])

    func model() throws -> Sequential {
        let m = try Sequential([InputLayer(shape: [2]), Dense(4, activation: .tanh), Dense(1)])
        try m.compile(optimizer: "adam", loss: "mse")
        return m
    }

    func testFormatsKerasFilepathPatterns() throws {
        let s = try ModelCheckpoint.format("weights.{epoch:02d}-{val_loss:.2f}.h5", epoch: 3, batch: nil, logs: ["val_loss": 0.65612])
        XCTAssertEqual(s, "weights.03-0.66.h5")
        XCTAssertEqual(try ModelCheckpoint.format("m{{x}}{epoch}.keras", epoch: 12, batch: nil, logs: [:]), "m{x}12.keras")
        XCTAssertThrowsError(try ModelCheckpoint.format("m{acc}.keras", epoch: 1, batch: nil, logs: ["loss": 1]))
        XCTAssertThrowsError(try ModelCheckpoint("m{epoch.keras"))
        XCTAssertThrowsError(try ModelCheckpoint("m.txt"))
        XCTAssertThrowsError(try ModelCheckpoint("m.keras", saveWeightsOnly: true))
    }

    func testSaveBestOnlyKeepsTheBestEpochAndItLoads() throws {
        let m = try model()
        var messages: [String] = []
        let cb = try ModelCheckpoint("\(dir)/best_model.h5", verbose: 1, saveBestOnly: true)
        cb.output = { messages.append($0) }
        let h = try m.fit(x, y, epochs: 6, verbose: 0, callbacks: [cb], validationData: (x, y), shuffle: false)
        let losses = try XCTUnwrap(h.history["val_loss"])
        let best = try XCTUnwrap(losses.min())
        XCTAssertEqual(try XCTUnwrap(cb.best), best, accuracy: 1e-12)
        XCTAssertTrue(messages[0].contains("val_loss improved from inf to"), messages[0])
        let loaded = try loadModel("\(dir)/best_model.h5")
        XCTAssertEqual(Double(try loaded.evaluate(x, y, verbose: 0).first ?? .nan), best, accuracy: 1e-5)
    }

    func testEpochPatternAndWeightsOnlyWriteOneFilePerEpoch() throws {
        let m = try model()
        let cb = try ModelCheckpoint("\(dir)/weights.{epoch:02d}-{loss:.2f}.weights.h5", monitor: "loss", saveWeightsOnly: true)
        try m.fit(x, y, epochs: 3, verbose: 0, callbacks: [cb])
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files.count, 3)
        XCTAssertTrue(files[0].hasPrefix("weights.01-") && files[2].hasPrefix("weights.03-"), "\(files)")
        let fresh = try model()
        try fresh.loadWeights("\(dir)/\(files[2])")
        XCTAssertTrue(try fresh.predict(x).isClose(to: try m.predict(x), atol: 1e-6))
    }

    func testIntegerSaveFreqSavesEveryNBatches() throws {
        let m = try model()
        var saves = 0
        let cb = try ModelCheckpoint("\(dir)/b{epoch}-{batch}.keras", monitor: "loss", verbose: 1, saveFreq: .batches(2))
        cb.output = { _ in saves += 1 }
        try m.fit(x, y, batchSize: 2, epochs: 2, verbose: 0, callbacks: [cb])
        XCTAssertEqual(saves, 3)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).count, 3)
    }
}
