import XCTest
@testable import Keras

/// A metric whose own code fails (a plugin's result or reset callback) stops fit and evaluate
/// with its error, and the model trains again once it stops failing.
final class ThrowingMetricTests: XCTestCase {
    struct Refused: Error {}

    final class Flaky: Metric, @unchecked Sendable {
        var failIn: String?
        var seen = 0
        override func update(_ yTrue: Tensor, _ yPred: Tensor, sampleWeight: Tensor?) throws {
            if failIn == "update" { throw Refused() }
            seen += yPred.shape[0]
        }
        override func result() throws -> Float {
            if failIn == "result" { throw Refused() }
            return Float(seen)
        }
        override func reset() throws {
            if failIn == "reset" { throw Refused() }
            seen = 0
        }
    }

    func testAFailingMetricStopsFitAndEvaluateWithItsError() throws {
        let x = Tensor((0..<8).map { [Float($0) / 8, 1 - Float($0) / 8] })
        let y = Tensor((0..<8).map { [Float($0 % 2)] })
        let flaky = Flaky(name: "flaky")
        let model = try Sequential([Dense(1, activation: .sigmoid, inputDim: 2)])
        try model.compile(optimizer: "sgd", loss: "binary_crossentropy", metrics: [.instance(flaky)])
        for place in ["update", "result", "reset"] {
            flaky.failIn = place
            XCTAssertThrowsError(try model.fit(x, y, batchSize: 4, epochs: 1, verbose: 0), place) { XCTAssertTrue($0 is Refused, place) }
            XCTAssertThrowsError(try model.evaluate(x, y, verbose: 0), place) { XCTAssertTrue($0 is Refused, place) }
        }
        flaky.failIn = nil
        let h = try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0)
        XCTAssertEqual(h.history["flaky"], [8, 8])
        XCTAssertEqual(try model.evaluateDict([x], [y], verbose: 0).first { $0.0 == "flaky" }?.1, 8)
    }
}
