import XCTest
@testable import Keras

/// F1Score / FBetaScore with `average: nil` report one value per class, as Keras's arrays: in the
/// History (``History/perClass``) and after evaluate (``Model/perClassResults``); the logs carry the mean.
final class F1PerClassTests: XCTestCase {
    func testFitAndEvaluateKeepEachClass() throws {
        let x = Tensor((0..<12).map { [Float($0 % 4) / 4, Float($0 % 3) / 3] })
        let y = Tensor((0..<12).map { i in (0..<3).map { Float($0 == i % 3 ? 1 : 0) } })
        let model = try Sequential([Dense(3, activation: .softmax, inputDim: 2)])
        try model.compile(optimizer: "sgd", loss: "categorical_crossentropy",
                          metrics: [MetricSpec.instance(try F1Score()), MetricSpec.instance(try F1Score(average: .macro, name: "macro"))])
        let h = try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, validationSplit: 0.25)
        let perClass = try XCTUnwrap(h.perClass["f1_score"])
        XCTAssertEqual(perClass.map(\.count), [3, 3])
        XCTAssertEqual(try XCTUnwrap(h.perClass["val_f1_score"]).count, 2)
        XCTAssertNil(h.perClass["macro"])
        for (epoch, values) in perClass.enumerated() {
            XCTAssertEqual(h.history["f1_score"]?[epoch] ?? .nan, values.reduce(0, +) / 3, accuracy: 1e-6)
        }
        let results = try model.evaluateDict([x], [y], verbose: 0)
        let each = try XCTUnwrap(model.perClassResults["f1_score"])
        XCTAssertEqual(each.count, 3)
        XCTAssertEqual(results.first { $0.0 == "f1_score" }?.1 ?? .nan, each.reduce(0, +) / 3, accuracy: 1e-6)
        // The per-class scores are those of the metric on the same data.
        let f1 = try F1Score()
        try f1.update(y, try model.predict(x), sampleWeight: nil)
        XCTAssertEqual(each.map { Float($0) }, f1.resultValues())
    }
}
