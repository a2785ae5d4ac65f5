import Foundation
import XCTest
@testable import Keras

final class CallbackTests: XCTestCase {
    func testTerminateOnNaNStopsAtTheFirstBadBatch() throws {
        let model = try Sequential([Dense(1, inputDim: 2)])
        try model.compile(optimizer: .instance(try SGD(learningRate: 1e12)), loss: "mse")
        let x = Tensor((0..<40).map { [Float($0), 1] }), y = Tensor((0..<40).map { [Float($0)] })
        var printed = ""
        var batches = 0
        let h = try model.fit(x, y, batchSize: 4, epochs: 5, verbose: 0, callbacks: [
            TerminateOnNaN { printed += $0 },
            LambdaCallback(onTrainBatchEnd: { _, _ in batches += 1 }),
        ], shuffle: false)
        XCTAssertTrue(printed.hasPrefix("Batch "), printed)
        XCTAssertTrue(printed.hasSuffix(": Invalid loss, terminating training\n"))
        XCTAssertLessThan(batches, 10)
        XCTAssertEqual(h.epoch.count, 1)
        let strict = try Sequential([Dense(1, inputDim: 2)])
        try strict.compile(optimizer: .instance(try SGD(learningRate: 1e12)), loss: "mse")
        XCTAssertThrowsError(try strict.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, callbacks: [TerminateOnNaN(raiseError: true)])) { e in
            XCTAssertTrue("\(e)".contains("NaN or Inf loss"))
        }
    }

    func testLambdaCallbackCallsEachHookInOrder() throws {
        var events: [String] = []
        let cb = LambdaCallback(
            onEpochBegin: { e, _ in events.append("eb\(e)") }, onEpochEnd: { e, logs in events.append("ee\(e):\(logs["loss"] != nil)") },
            onTrainBegin: { _ in events.append("tb") }, onTrainEnd: { _ in events.append("te") },
            onTrainBatchBegin: { b, _ in events.append("bb\(b)") }, onTrainBatchEnd: { b, _ in events.append("be\(b)") })
        let model = try Sequential([Dense(1, inputDim: 1)])
        try model.compile(optimizer: "sgd", loss: "mse")
        try model.fit(Tensor([[1], [2], [3]]), Tensor([[1], [2], [3]]), batchSize: 2, epochs: 2, verbose: 0, callbacks: [cb])
        XCTAssertEqual(events, ["tb", "eb0", "bb0", "be0", "bb1", "be1", "ee0:true", "eb1", "bb0", "be0", "bb1", "be1", "ee1:true", "te"])
        var keras2Batches = 0
        try model.fit(Tensor([[1], [2], [3]]), Tensor([[1], [2], [3]]), batchSize: 2, epochs: 1, verbose: 0,
                      callbacks: [LambdaCallback(onBatchEnd: { _, _ in keras2Batches += 1 })])
        XCTAssertEqual(keras2Batches, 2)
        struct Boom: Error {}
        let failing = LambdaCallback(onEpochEnd: { _, _ in throw Boom() })
        XCTAssertThrowsError(try model.fit(Tensor([[1]]), Tensor([[1]]), verbose: 0, callbacks: [failing])) { e in
            XCTAssertTrue("\(e)".contains("on_epoch_end"))
        }
    }

    func testCSVLoggerAppendsWithoutASecondHeaderAndUsesTheSeparator() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv_\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let model = try Sequential([Dense(1, inputDim: 1)])
        try model.compile(optimizer: "sgd", loss: "mse", metrics: ["mae"])
        let x = Tensor([[1], [2]]), y = Tensor([[1], [2]])
        try model.fit(x, y, epochs: 2, verbose: 0, callbacks: [try CSVLogger(path, separator: ";")])
        try model.fit(x, y, epochs: 1, verbose: 0, callbacks: [try CSVLogger(path, separator: ";", append: true)])
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\r\n")
        XCTAssertEqual(lines[0], "epoch;loss;mae;val_loss;val_mae")
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[1].hasPrefix("0;"))
        XCTAssertTrue(lines[3].hasPrefix("0;") && lines[3].hasSuffix(";NA;NA"), lines[3])
        XCTAssertThrowsError(try CSVLogger(""))
        XCTAssertThrowsError(try CSVLogger(path, separator: ""))
        XCTAssertThrowsError(try model.fit(x, y, verbose: 0, callbacks: [try CSVLogger("/nonexistent/dir/x.csv")])) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/dir/x.csv"))
        }
    }

    func testPlotHistoryDrawsEveryFigureWithTrainingAndValidation() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("plot_\(getpid()).svg").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        setRandomSeed(4)
        let model = try Sequential([Dense(4, activation: .tanh, inputDim: 2), Dense(1, activation: .sigmoid)])
        try model.compile(optimizer: .instance(try Adam(learningRate: 0.05)), loss: "binary_crossentropy", metrics: ["accuracy", "auc"])
        let x = Tensor((0..<40).map { [Float($0 % 7) - 3, Float($0 % 5) - 2] })
        let y = Tensor((0..<40).map { [Float(($0 % 7) > 3 ? 1 : 0)] })
        let h = try model.fit(x, y, epochs: 12, verbose: 0, callbacks: [try PlotHistory(path, title: "training")], validationSplit: 0.25)
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(svg, h.svg(title: "training"))
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
        for name in ["loss", "accuracy", "auc"] { XCTAssertTrue(svg.contains(">\(name)</text>"), name) }
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 6)
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 6 * 12)
        XCTAssertLessThan(svg.range(of: ">loss</text>")!.lowerBound, svg.range(of: ">accuracy</text>")!.lowerBound)
        try h.plotSVG(to: path)
        XCTAssertThrowsError(try h.plotSVG(to: "/nonexistent/dir/p.svg"))
        XCTAssertEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
    }
}
