import XCTest
@testable import KerasSklearn

final class ScoringTests: XCTestCase {
    func testClassificationMetricsMatchScikitLearn() throws {
        let fx = try sklearnFixture("scoring")
        let m = fx["multiclass"] as! [String: Any]
        let yt = target(m["y_true"]), yp = target(m["y_pred"])
        let proba = matrix(m["proba"]), sw = Tensor(doubles(m["sample_weight"]).map(Float.init))
        XCTAssertEqual(try accuracyScore(yt, yp), double(m["accuracy"]), accuracy: 1e-12)
        XCTAssertEqual(try accuracyScore(yt, yp, sampleWeight: sw), double(m["accuracy_weighted"]), accuracy: 1e-6)
        XCTAssertEqual(try balancedAccuracyScore(yt, yp), double(m["balanced_accuracy"]), accuracy: 1e-12)
        XCTAssertEqual(try f1Score(yt, yp, average: .macro), double(m["f1_macro"]), accuracy: 1e-12)
        XCTAssertEqual(try f1Score(yt, yp, average: .micro), double(m["f1_micro"]), accuracy: 1e-12)
        XCTAssertEqual(try f1Score(yt, yp, average: .weighted), double(m["f1_weighted"]), accuracy: 1e-12)
        XCTAssertEqual(try logLoss(yt, proba, classes: ["0", "1", "2"]), double(m["log_loss"]), accuracy: 1e-5)
        XCTAssertEqual(try logLoss(yt, proba, classes: ["0", "1", "2"], sampleWeight: sw), double(m["log_loss_weighted"]), accuracy: 1e-5)
        XCTAssertEqual(try rocAucOvrScore(yt, proba, classes: ["0", "1", "2"]), double(m["roc_auc_ovr"]), accuracy: 1e-9)
        XCTAssertThrowsError(try f1Score(yt, yp)) { XCTAssertTrue("\($0)".contains("average='binary'")) }

        let b = fx["binary"] as! [String: Any]
        let bt = target(b["y_true"]), bp = target(b["y_pred"]), scores = doubles(b["score"])
        XCTAssertEqual(try f1Score(bt, bp), double(b["f1"]), accuracy: 1e-12)
        XCTAssertEqual(try balancedAccuracyScore(bt, bp), double(b["balanced_accuracy"]), accuracy: 1e-12)
        XCTAssertEqual(try rocAucScore(bt, scores), double(b["roc_auc"]), accuracy: 1e-12)
        XCTAssertEqual(try rocAucScore(bt, scores, sampleWeight: sw), double(b["roc_auc_weighted"]), accuracy: 1e-6)
    }

    func testRegressionMetricsMatchScikitLearn() throws {
        let r = try sklearnFixture("scoring")["regression"] as! [String: Any]
        let t = matrix(r["y_true"]), p = matrix(r["y_pred"])
        let sw = Tensor(doubles(r["sample_weight"]).map(Float.init))
        XCTAssertEqual(try r2Score(.values(t), .values(p)), double(r["r2"]), accuracy: 1e-6)
        XCTAssertEqual(try r2Score(.values(t), .values(p), sampleWeight: sw), double(r["r2_weighted"]), accuracy: 1e-6)
        let first = { (m: Tensor) in Tensor((0..<m.shape[0]).map { m.data[$0 * 2] }) }
        XCTAssertEqual(try r2Score(.values(first(t)), .values(first(p))), double(r["r2_first"]), accuracy: 1e-6)
        XCTAssertEqual(try meanSquaredError(.values(t), .values(p)), double(r["mse"]), accuracy: 1e-6)
        XCTAssertEqual(try meanSquaredError(.values(t), .values(p), sampleWeight: sw), double(r["mse_weighted"]), accuracy: 1e-6)
        XCTAssertEqual(try meanAbsoluteError(.values(t), .values(p)), double(r["mae"]), accuracy: 1e-6)
        XCTAssertThrowsError(try r2Score(.values(t), .labels(["a"])))
    }

    func testAccuracyOnStringLabelsAndMultiLabelRows() throws {
        XCTAssertEqual(try accuracyScore(.labels(["a", "b", "c", "a"]), .labels(["a", "b", "b", "b"])), 0.5)
        let t = Tensor([[1, 0, 1], [0, 1, 0]]), p = Tensor([[1, 0, 1], [0, 1, 1]])
        XCTAssertEqual(try accuracyScore(.values(t), .values(p)), 0.5)
    }

    func testUnknownScoringNameIsRejected() {
        XCTAssertThrowsError(try Scorer.named("acuracy")) { XCTAssertTrue("\($0)".contains("'acuracy' is not a valid scoring value")) }
        XCTAssertNoThrow(try Scorer.named("neg_log_loss"))
    }

    func testRankingPutsNaNLastAndSharesTies() {
        XCTAssertEqual(rankMin([0.5, .nan, 0.9, 0.5]), [2, 4, 1, 2])
        XCTAssertEqual(rankMin([.nan, .nan]), [1, 1])
    }
}
