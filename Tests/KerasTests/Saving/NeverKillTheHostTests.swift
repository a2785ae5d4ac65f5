import XCTest
@testable import Keras
import ZIPFoundation

/// A scratch folder per test, the memory budget restored after each, and a check that a call
/// throws a KerasError whose message names what was wrong.
class ScratchFolderTestCase: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try SavingFixtures.makeTempDir() }
    override func tearDownWithError() throws {
        MemoryBudget.reset()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func assertError(_ what: String, contains needle: String, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), what) { e in
            XCTAssertTrue(e is KerasError, "\(what): \(e)")
            XCTAssertTrue("\(e)".contains(needle), "\(what): '\(e)' lacks '\(needle)'")
        }
    }
}

/// Issue 17: the ordinary mistakes that used to kill or hang the host process return a clear
/// KerasError and leave the process, the model and the files on disk intact.
final class NeverKillTheHostTests: ScratchFolderTestCase {

    func model() throws -> Sequential {
        let m = try Sequential([Dense(3, inputShape: [4]), Dense(1)])
        try m.compile(optimizer: "sgd", loss: "mse")
        return m
    }

    func data(_ n: Int) throws -> (Tensor, Tensor) {
        (try Tensor(shape: [n, 4], scalars: (0..<(n * 4)).map { Float($0 % 7) / 7 }),
         try Tensor(shape: [n, 1], scalars: (0..<n).map { Float($0 % 3) }))
    }

    // MARK: Paths that are not files

    func testDirectoriesAndSymlinksToThemAreRefusedEverywhere() throws {
        let m = try model()
        let fm = FileManager.default
        for name in ["saved_dir", "x.keras", "x.h5", "x.weights.h5", "x.json"] {
            try fm.createDirectory(atPath: "\(dir)/\(name)", withIntermediateDirectories: false)
        }
        try fm.createSymbolicLink(atPath: "\(dir)/link.keras", withDestinationPath: "\(dir)/x.keras")
        for name in ["saved_dir", "x.keras", "x.h5", "x.json", "link.keras"] {
            assertError("load_model(\(name))", contains: "directory") { _ = try loadModel("\(dir)/\(name)") }
        }
        for name in ["x.keras", "link.keras", "x.h5", "x.weights.h5"] {
            assertError("load_weights(\(name))", contains: "directory") { try m.loadWeights("\(dir)/\(name)") }
        }
        for name in ["saved_dir", "x.keras", "x.h5", "x.json"] {
            assertError("save(\(name))", contains: "directory") { try m.save("\(dir)/\(name)") }
        }
        assertError("save_weights onto a directory", contains: "directory") { try m.saveWeights("\(dir)/x.weights.h5") }
        var isDir: ObjCBool = false
        XCTAssertTrue(fm.fileExists(atPath: "\(dir)/x.keras", isDirectory: &isDir) && isDir.boolValue, "the folder is left alone")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: "\(dir)/x.keras"), [])
    }

    func testPipesAreRefusedWithoutBlocking() throws {
        for name in ["pipe.keras", "pipe.h5", "pipe.json", "pipe"] {
            let fifo = "\(dir)/\(name)"
            XCTAssertEqual(mkfifo(fifo, 0o600), 0)
            assertError("load_model(FIFO \(name))", contains: name == "pipe" ? "Invalid filepath extension" : "not a regular file") { _ = try loadModel(fifo) }
        }
        assertError("load_weights(FIFO)", contains: "not a regular file") { try model().loadWeights("\(dir)/pipe.h5") }
    }

    func testPathsWithNulBytesAreRefused() throws {
        assertError("load", contains: "NUL") { _ = try loadModel("\(dir)/a\0b.keras") }
        assertError("save", contains: "NUL") { try model().save("\(dir)/a\0b.keras") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/a"), "nothing written at the cut name")
    }

    // MARK: Batch sizes, steps, empty data

    func testBatchSizeZeroAndNearInt64MaxAreHandled() throws {
        let m = try model()
        let (x, y) = try data(10)
        assertError("evaluate batch 0", contains: "batch_size must be positive, got 0") { _ = try m.evaluate(x, y, batchSize: 0, verbose: 0) }
        assertError("predict batch 0", contains: "batch_size must be positive, got 0") { _ = try m.predict(x, batchSize: 0) }
        assertError("fit batch 0", contains: "batch_size must be positive, got 0") { try m.fit(x, y, batchSize: 0, verbose: 0) }
        // One batch of all ten samples: the same numbers as batch_size=10.
        let whole = try m.evaluate(x, y, batchSize: 10, verbose: 0)
        for b in [Int.max, Int.max - 1, 1 << 62] {
            XCTAssertEqual(try m.evaluate(x, y, batchSize: b, verbose: 0), whole)
            XCTAssertEqual(try m.predict(x, batchSize: b).scalars, try m.predict(x, batchSize: 10).scalars)
        }
        let h = try m.fit(x, y, batchSize: Int.max, epochs: 2, verbose: 0)
        XCTAssertEqual(h.history["loss"]?.count, 2)
    }

    func testStepsPerEpochBeyondTheDataEndsEachEpochAsKerasDoes() throws {
        let m = try model()
        let (x, y) = try data(40)
        var steps: [Int] = []
        let counter = LambdaCallback(onEpochBegin: { _, _ in steps.append(0) },
                                     onTrainBatchEnd: { _, _ in steps[steps.count - 1] += 1 })
        let h = try m.fit(x, y, batchSize: 8, epochs: 3, verbose: 0, callbacks: [counter], stepsPerEpoch: Int.max)
        XCTAssertEqual(steps, [5, 5, 5], "every epoch ends when the 5 batches run out")
        XCTAssertEqual(h.history["loss"]?.count, 3)
        steps = []
        try m.fit(x, y, batchSize: 8, epochs: 3, verbose: 0, callbacks: [counter], stepsPerEpoch: 3)
        XCTAssertEqual(steps, [3, 2, 3], "Keras 3.15: the second epoch stops when the data run out")
    }

    func testZeroRowsAreADataError() throws {
        let m = try model()
        let (x, y) = try data(10)
        let empty = Tensor(shape: [0, 4]), emptyY = Tensor(shape: [0, 1])
        let before = m.weights.map(\.numpy)
        assertError("fit on 0 rows", contains: "0 samples") { try m.fit(empty, emptyY, verbose: 0) }
        assertError("evaluate on 0 rows", contains: "0 samples") { _ = try m.evaluate(empty, emptyY, verbose: 0) }
        XCTAssertThrowsError(try m.fit(empty, emptyY, verbose: 0)) {
            guard case KerasError.invalidData = $0 else { return XCTFail("\($0) is not invalidData") }
        }
        XCTAssertEqual(m.weights.map(\.numpy), before)
        XCTAssertEqual(try m.evaluate(x, y, verbose: 0).count, 1, "the model still works")
    }

    func testCallbacksCannotChangeTheModelTheyFit() throws {
        let m = try model()
        let (x, y) = try data(8)
        let adder = LambdaCallback(onEpochEnd: { _, _ in try m.add(Dense(2)) })
        assertError("add during fit", contains: "while the model is being fit") { try m.fit(x, y, epochs: 2, verbose: 0, callbacks: [adder]) }
        let popper = LambdaCallback(onEpochEnd: { _, _ in _ = try m.pop() })
        assertError("pop during fit", contains: "while the model is being fit") { try m.fit(x, y, epochs: 2, verbose: 0, callbacks: [popper]) }
        XCTAssertEqual(m.layers.count, 2)
        try m.add(Dense(2))
        XCTAssertEqual(m.layers.count, 3, "after fit the model can change again")
    }
}
