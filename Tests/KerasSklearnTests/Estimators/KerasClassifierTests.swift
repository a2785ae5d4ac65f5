import XCTest
@testable import KerasSklearn
import KerasDatasets

/// A small MLP builder whose hidden width comes from `model__hidden`.
let mlpBuilder: ModelBuilder = { p, _ in
    try Sequential([Dense(try p.int("hidden", default: 8), activation: .relu)])
}

func standardizedIris() throws -> (Tensor, Target) {
    let t = Datasets.iris()
    let x = try StandardScaler().fitTransform(t.x)
    return (x, .values(t.y))
}

final class KerasClassifierTests: XCTestCase {
    func testFitsIrisWithStringLabelsAndDecodesThem() throws {
        let (x, y) = try standardizedIris()
        let names = Datasets.iris().classNames
        let labels = Target.labels(y.tensor!.scalars.map { names[Int($0)] })
        let clf = KerasClassifier(model: mlpBuilder, params: ["model__hidden": 16, "epochs": 60, "batch_size": 16,
                                                              "optimizer": "adam", "optimizer__learning_rate": 0.01,
                                                              "verbose": 0, "random_state": 0])
        try clf.fit(x, labels)
        XCTAssertEqual(clf.classes, .labels(["setosa", "versicolor", "virginica"]))
        XCTAssertEqual(clf.nFeaturesIn, 4)
        XCTAssertEqual(clf.history["loss"]?.count, 60)
        let pred = try clf.predict(x)
        XCTAssertEqual(pred.count, 150)
        XCTAssertTrue(Set(pred.strings ?? []).isSubset(of: Set(names)))
        XCTAssertGreaterThan(try clf.score(x, labels), 0.9)
        let proba = try clf.predictProba(x)
        XCTAssertEqual(proba.shape, [150, 3])
        for i in 0..<150 {
            XCTAssertEqual((0..<3).reduce(Float(0)) { $0 + proba.data[i * 3 + $1] }, 1, accuracy: 1e-4)
        }
        // The model got a softmax output layer appended, and the learning rate was routed.
        XCTAssertEqual(clf.model?.outputShape?.last ?? nil, 3)
        XCTAssertEqual(clf.model?.optimizer?.learningRate ?? 0, 0.01, accuracy: 1e-7)
    }
}
