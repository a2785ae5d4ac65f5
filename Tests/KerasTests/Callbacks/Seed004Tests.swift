import Foundation
import XCTest
@testable import Keras

/// seeds/004: `EarlyStopping(monitor='val_loss', patience=4, verbose=1)` on a softmax regression
/// with validation data, printed as Keras 3 prints it (verbose=2 lines, then the stop message).
final class Seed004Tests: XCTestCase {
    /// Everything written to standard output (file descriptor 1) while `body` runs.
    func captureStdout(_ body: () throws -> Void) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stdout_\(getpid()).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        fflush(stdout)
        let saved = dup(1)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        dup2(fd, 1)
        close(fd)
        defer { fflush(stdout); dup2(saved, 1); close(saved) }
        try body()
        fflush(stdout)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// Replaces the timings (`0s`, `1ms/step`, `831us/step`) that differ from run to run.
    func withoutTimings(_ s: String) -> String {
        s.replacingOccurrences(of: #" - \d+s - \d+(us|ms|s)/step"#, with: " - Ts - T/step", options: .regularExpression)
    }

    func testEarlyStoppingRunPrintsAndStopsAsKeras() throws {
        let f = try VocabFixtures.load("callbacks", "fit_seed004.json")
        let x = try VocabFixtures.tensor(f["x"]), y = try VocabFixtures.tensor(f["y"])
        let n = f["n_train"]?.intValue ?? 0
        let model = try Sequential([Dense(5, inputDim: 12), Activation(.softmax)])
        try model.setWeights(try (f["weights"]?.arrayValue ?? []).map(VocabFixtures.tensor))
        try model.compile(optimizer: .instance(try SGD(learningRate: 0.3)), loss: "categorical_crossentropy")
        var history: History?
        let printed = try captureStdout {
            history = try model.fit(Ops.take(x, Array(0..<n)), Ops.take(y, Array(0..<n)), batchSize: 32, epochs: 20, verbose: 2,
                                    callbacks: [try EarlyStopping(monitor: "val_loss", patience: 4, verbose: 1)],
                                    validationData: (try Ops.take(x, Array(n..<x.shape[0])), try Ops.take(y, Array(n..<x.shape[0]))),
                                    shuffle: false)
        }
        let expected = f["printed"]?.stringValue ?? ""
        XCTAssertEqual(withoutTimings(printed), withoutTimings(expected))
        XCTAssertTrue(printed.hasSuffix("Epoch 17: early stopping\n"), printed)
        for (k, v) in f["history"]?.objectValue ?? [] {
            assertClose((history?.history[k] ?? []).map { Float($0) }, VocabFixtures.floats(v), atol: 1e-5, rtol: 1e-5, k)
        }
    }
}
