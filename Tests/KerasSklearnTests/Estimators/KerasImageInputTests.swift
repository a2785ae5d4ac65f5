import XCTest
@testable import KerasSklearn
import KerasDatasets

/// N-D inputs (images, sequences) through the estimators and model selection, as SciKeras takes them.
final class KerasImageInputTests: XCTestCase {
    /// The first `n` digits as [n, 8, 8, 1] images in 0...1, and their labels.
    func digitImages(_ n: Int) throws -> (Tensor, Target) {
        let d = Datasets.digits()
        let x = try Tensor(shape: [n, 8, 8, 1], scalars: d.x.scalars[0..<(n * 64)].map { $0 / 16 })
        return (x, .values(try Tensor(shape: [n], scalars: Array(d.y.scalars[0..<n]))))
    }

    let cnn: ModelBuilder = { p, _ in
        try Sequential([Conv2D(try p.int("filters", default: 4), kernelSize: [3], activation: .relu),
                        MaxPooling2D(poolSize: [2]), Flatten()])
    }

    func testImagesFitPredictAndRefuseOtherSampleShapes() throws {
        let (x, y) = try digitImages(200)
        let clf = KerasClassifier(model: cnn, params: ["epochs": 10, "optimizer": "adam", "verbose": 0, "random_state": 0,
                                                       "optimizer__learning_rate": 0.02])
        try clf.fit(x, y)
        XCTAssertEqual(clf.sampleShape, [8, 8, 1])
        XCTAssertEqual(clf.nFeaturesIn, 8)
        XCTAssertEqual(clf.metadata?.nClasses, 10)
        XCTAssertGreaterThan(try clf.score(x, y), 0.8)
        XCTAssertEqual(try clf.predictProba(x).shape, [200, 10])
        XCTAssertThrowsError(try clf.predict(Tensor(shape: [2, 8, 4, 2]))) {
            XCTAssertTrue("\($0)".contains("samples of shape [8, 4, 2], but the estimator was fitted with samples of shape [8, 8, 1]"), "\($0)")
        }
        XCTAssertThrowsError(try clf.predict(Tensor(shape: [2, 64]))) { XCTAssertTrue("\($0)".contains("fitted with 8 features"), "\($0)") }
        XCTAssertThrowsError(try clf.fit(Tensor([1, 2, 3]), .ints([0, 1, 0]))) { XCTAssertTrue("\($0)".contains("2-D"), "\($0)") }
        // Scalers still take 2-D features only.
        XCTAssertThrowsError(try StandardScaler().fit(x)) { XCTAssertTrue("\($0)".contains("2-D"), "\($0)") }
    }

    func testSearchAndCrossValidationOverImagesAreTheSameForAnyJobs() throws {
        let (x, y) = try digitImages(120)
        let clf = KerasClassifier(model: cnn, params: ["epochs": 4, "optimizer": "adam", "verbose": 0, "random_state": 0,
                                                       "optimizer__learning_rate": 0.02])
        var scores: [[Double]] = []
        for jobs in [1, 2] {
            let search = GridSearchCV(clf, ["model__filters": [2, 4]], nJobs: jobs, cv: 3, randomState: 0)
            try search.fit(x, y)
            XCTAssertTrue(search.fitErrors.isEmpty, "\(search.fitErrors)")
            scores.append(try XCTUnwrap(search.cvResults).meanTestScore)
            XCTAssertEqual(try search.predict(x).count, 120)
        }
        XCTAssertEqual(scores[0], scores[1])
        XCTAssertGreaterThan(scores[0].max() ?? 0, 0.3)  // 10 classes: chance is 0.1
        let folds = try crossValScore(clf, x, y, cv: 3, nJobs: 2)
        XCTAssertEqual(folds.count, 3)
        // Above chance (0.1) on each fold of 40 images after 4 epochs (from Keras's initial weights
        // after set_random_seed(0): [0.35, 0.3, 0.2]).
        XCTAssertTrue(folds.allSatisfy { $0 > 0.15 && $0 <= 1 }, "\(folds)")
    }
}
