import XCTest
@testable import Keras

/// The progress text follows Keras 3's `Progbar` (keras/src/utils/progbar.py).
final class ProgbarTests: XCTestCase {
    func testFinalBarLineHasKerasLayout() {
        let line = Progbar.barLine(current: 4, target: 4, elapsed: 0.3, perStep: 0.075,
                                   logs: ["loss": 0.73241, "accuracy": 0.41, "mae": 0.51192], finalize: true, colored: false)
        XCTAssertEqual(line, "4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 75ms/step - accuracy: 0.4100 - loss: 0.7324 - mae: 0.5119")
    }

    func testRunningBarPadsTheCountAndShowsETA() {
        let line = Progbar.barLine(current: 3, target: 120, elapsed: 1, perStep: 0.5, logs: ["loss": 0.0001234],
                                   finalize: false, colored: false)
        XCTAssertEqual(line, "  3/120 ━━━━━━━━━━━━━━━━━━━━ 58s 500ms/step - loss: 1.2340e-04")
    }

    func testColouredBarUsesKerasEscapes() {
        let line = Progbar.barLine(current: 1, target: 2, elapsed: 0, perStep: 0.0005, logs: [:], finalize: false, colored: true)
        XCTAssertEqual(line, "\u{1b}[1m1/2\u{1b}[0m \u{1b}[32m━━━━━━━━━━\u{1b}[0m\u{1b}[37m━━━━━━━━━━\u{1b}[0m \u{1b}[1m0s\u{1b}[0m 500us/step")
        XCTAssertEqual(line.visibleCount, "1/2 ━━━━━━━━━━━━━━━━━━━━ 0s 500us/step".count)
    }

    func testVerbose2LineHasKerasLayout() {
        let line = Progbar.epochLine(current: 8, target: 8, elapsed: 0.2, perStep: 0.000399,
                                     logs: ["loss": 0.7275, "accuracy": 0.4375, "val_loss": 0.7591, "val_accuracy": 0.3])
        XCTAssertEqual(line, "8/8 - 0s - 399us/step - accuracy: 0.4375 - loss: 0.7275 - val_accuracy: 0.3000 - val_loss: 0.7591\n")
    }

    func testTimeFormats() {
        XCTAssertEqual(Progbar.formatPerStep(0), "0s/step")
        XCTAssertEqual(Progbar.formatPerStep(2.4), "2s/step")
        XCTAssertEqual(Progbar.formatETA(59.9), "59s")
        XCTAssertEqual(Progbar.formatETA(185), "3:05")
        XCTAssertEqual(Progbar.formatETA(3723), "1:02:03")
        XCTAssertEqual(Progbar.formatLogValue(0), "0.0000e+00")
        XCTAssertEqual(Progbar.formatLogValue(-0.5), "-0.5000")
        XCTAssertEqual(Progbar.formatLogValue(-0.5, signedThreshold: true), "-5.0000e-01")
    }

    func testFitPrintsOneLinePerEpochWithEpochHeaders() throws {
        var printed = ""
        let model = try Sequential([Dense(1, inputShape: [1])])
        try model.compile(loss: "mse", metrics: ["mae"])
        let logger = ProgbarLogger(verbose: 1) { printed += $0 }
        try model.fit(Tensor(shape: [10, 1], repeating: 1), Tensor(shape: [10, 1], repeating: 0), batchSize: 4,
                      epochs: 2, verbose: 0, callbacks: [logger])
        let lines = printed.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 4, printed)
        XCTAssertEqual(lines[0], "Epoch 1/2")
        XCTAssertTrue(lines[1].hasPrefix("3/3 ━━━━━━━━━━━━━━━━━━━━ 0s "), lines[1])
        XCTAssertTrue(lines[1].contains("/step - loss: "), lines[1])
        XCTAssertTrue(lines[1].contains(" - mae: "), lines[1])
    }

    func testPrintHookReceivesWhatWouldGoToStdout() throws {
        final class Sink: @unchecked Sendable { var text = "" }
        let sink = Sink()
        PrintHook.set(PrintHook(dynamic: false) { sink.text += $0 })
        defer { PrintHook.set(nil) }
        let model = try Sequential([Dense(1, inputShape: [1])])
        try model.compile(loss: "mse")
        _ = try model.fit(Tensor([[1], [2]]), Tensor([[1], [2]]), epochs: 2, verbose: 1)
        XCTAssertTrue(sink.text.contains("Epoch 2/2\n"), sink.text)
        XCTAssertTrue(sink.text.contains("loss: "), sink.text)
        XCTAssertFalse(sink.text.contains("\r"), "a non-dynamic hook gets final lines only")
    }
}
