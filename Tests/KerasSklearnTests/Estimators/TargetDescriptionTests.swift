import XCTest
@testable import KerasSklearn

/// `describe`: the decisions the Python wrappers take from the library (keras_estimator_describe).
final class TargetDescriptionTests: XCTestCase {
    func testClassifierDecisionsFollowTheLossAndTheModelsUnits() throws {
        let y = Target.labels(["b", "a", "c", "b", "b"])
        let clf = KerasClassifier(model: mlpBuilder, params: ["class_weight": "balanced"])
        let d = try clf.describe(sampleShape: [8, 8, 1], y)
        XCTAssertEqual(d.metadata.classes, ["a", "b", "c"])
        XCTAssertEqual(d.classFirstIndex, [1, 0, 2])
        XCTAssertEqual(d.metadata.nFeaturesIn, 8)
        XCTAssertEqual(d.sklearnTargetType, "multiclass")
        XCTAssertEqual(d.encoding, .ordinal)
        XCTAssertEqual(d.defaultLoss, "sparse_categorical_crossentropy")
        // scikit-learn's balanced weights: n / (classes * count).
        let w = try XCTUnwrap(d.classWeights)
        XCTAssertEqual(w[0], 5.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(w[1], 5.0 / 9, accuracy: 1e-6)
        XCTAssertNil(clf.metadata, "describe works on a clone")
        try clf.setParams(["loss": "categorical_crossentropy"])
        XCTAssertEqual(try clf.describe(sampleShape: [4], y).encoding, .onehot)
        let binary = Target.ints([1, 0, 0, 1])
        XCTAssertEqual(try KerasClassifier(model: mlpBuilder).describe(sampleShape: [4], binary).defaultLoss, "binary_crossentropy")
        XCTAssertEqual(try KerasClassifier(model: mlpBuilder).describe(sampleShape: [4], binary, outputUnits: 2).defaultLoss,
                       "sparse_categorical_crossentropy")
        XCTAssertThrowsError(try clf.describe(sampleShape: [0], y)) { XCTAssertTrue("\($0)".contains("at least one feature"), "\($0)") }
        XCTAssertThrowsError(try clf.describe(sampleShape: [4], y, outputUnits: 0)) { XCTAssertTrue("\($0)".contains("output_units"), "\($0)") }
    }

    func testMulticlassMultioutputTrainsAsGivenButHasNoClassPredictions() throws {
        let (x, y) = try standardizedIris()
        let codes = y.tensor?.scalars ?? []
        let two = Tensor(shape: [150, 2])
        for i in 0..<150 { two.data[2 * i] = codes[i]; two.data[2 * i + 1] = codes[i] == 2 ? 2 : 0 }
        let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 2, "verbose": 0, "random_state": 0])
        let d = try clf.describe(sampleShape: [4], .values(two))
        XCTAssertEqual(d.metadata.targetType, .multiclassMultioutput)
        XCTAssertEqual(d.encoding, .identity)
        XCTAssertNil(d.classFirstIndex)
        try clf.fit(x, .values(two))
        XCTAssertEqual(try clf.predictProba(x).shape, [150, 2])
        XCTAssertThrowsError(try clf.predict(x)) { XCTAssertTrue("\($0)".contains("not defined for 'multiclass-multioutput'"), "\($0)") }
    }
}
