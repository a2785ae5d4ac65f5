import Foundation
import XCTest
@testable import Keras

final class BackupAndRestoreTests: XCTestCase {
    private var dir = ""
    override func setUp() { dir = NSTemporaryDirectory() + "backup-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private let x = Tensor((0..<16).map { [Float($0) / 16, Float($0 % 4) / 4] })
    private let y = Tensor((0..<16).map { [Float($0) / 8] })

    private func model(_ weights: [Tensor]? = nil) throws -> Sequential {
        let m = try Sequential([Dense(3, inputDim: 2), Dense(1)])
        try m.compile(optimizer: .instance(try Adam(learningRate: 0.05)), loss: "mse")
        if let weights { try m.setWeights(weights) }
        return m
    }

    struct Interrupted: Error {}

    func testAnInterruptedFitResumesAndEndsAsAnUninterruptedOne() throws {
        let whole = try model()
        let start = whole.getWeights()
        let resumed = try model(start)
        try whole.fit(x, y, batchSize: 4, epochs: 4, verbose: 0, shuffle: false)

        let crash = LambdaCallback(onEpochBegin: { epoch, _ in if epoch == 2 { throw Interrupted() } })
        XCTAssertThrowsError(try resumed.fit(x, y, batchSize: 4, epochs: 4, verbose: 0,
                                             callbacks: [try BackupAndRestore(backupDir: dir), crash], shuffle: false))
        XCTAssertEqual(try String(contentsOfFile: dir + "/training_metadata.json", encoding: .utf8), "{\"epoch\": 2, \"batch\": 0}")
        // A fresh model restarts from the backup: epochs 2 and 3 only.
        let fresh = try model(start)
        let h = try fresh.fit(x, y, batchSize: 4, epochs: 4, verbose: 0, callbacks: [try BackupAndRestore(backupDir: dir)], shuffle: false)
        XCTAssertEqual(h.epoch, [2, 3])
        for (a, b) in zip(fresh.getWeights(), whole.getWeights()) {
            for (u, v) in zip(a.scalars, b.scalars) { XCTAssertEqual(u, v, accuracy: 1e-6) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "delete_checkpoint removes the backup")
    }

    func testBatchFrequencyDoubleCheckpointAndArguments() throws {
        let m = try model()
        // 4 batches an epoch: saved after 3 batches (epoch 0, batch 2), then 3 more (epoch 1, batch 1).
        try m.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, callbacks: [
            try BackupAndRestore(backupDir: dir, saveFreq: .batches(3), doubleCheckpoint: true, deleteCheckpoint: false)], shuffle: false)
        XCTAssertEqual(try String(contentsOfFile: dir + "/training_metadata.json", encoding: .utf8), "{\"epoch\": 1, \"batch\": 1}")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/latest.weights.h5.bkp"))
        let b = try XCTUnwrap(try callback(className: "BackupAndRestore", arguments: ["backup_dir": "/tmp/b", "save_freq": 5]) as? BackupAndRestore)
        XCTAssertEqual(b.saveFreq, .batches(5))
        XCTAssertTrue(b.deleteCheckpoint)
        XCTAssertThrowsError(try callback(className: "BackupAndRestore", arguments: [:]))
        XCTAssertThrowsError(try callback(className: "BackupAndRestore", arguments: ["backup_dir": "/tmp/b", "save_freq": "often"]))
        XCTAssertThrowsError(try BackupAndRestore(backupDir: ""))
    }
}
