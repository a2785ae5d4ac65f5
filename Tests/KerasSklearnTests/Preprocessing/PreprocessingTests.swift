import XCTest
@testable import KerasSklearn
import KerasDatasets

final class PreprocessingTests: XCTestCase {
    let x = Tensor([[1, 10, 3], [2, 10, -1], [4, 10, 0.5], [7, 10, 2]])

    func assertClose(_ t: Tensor, _ expected: [[Float]], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(t.shape, [expected.count, expected[0].count], file: file, line: line)
        for (a, b) in zip(t.scalars, expected.flatMap { $0 }) { XCTAssertEqual(a, b, accuracy: 1e-5, file: file, line: line) }
    }

    // Expected values printed by scikit-learn 1.9.1 for the same input.
    func testStandardScalerMatchesScikitLearnAndInverts() throws {
        let s = StandardScaler()
        let z = try s.fitTransform(x)
        assertClose(z, [[-1.091089, 0, 1.237179], [-0.654654, 0, -1.402136], [0.218218, 0, -0.412393], [1.527525, 0, 0.57735]])
        assertClose(try s.inverseTransform(z), [[1, 10, 3], [2, 10, -1], [4, 10, 0.5], [7, 10, 2]])
        XCTAssertThrowsError(try StandardScaler().transform(x)) { XCTAssertTrue("\($0)".contains("not fitted")) }
        XCTAssertThrowsError(try s.transform(Tensor([[1, 2]]))) { XCTAssertTrue("\($0)".contains("fitted with 3 features")) }
        try s.setParams(["with_mean": false])
        XCTAssertEqual(s.getParams()["with_mean"], false)
        XCTAssertThrowsError(try s.setParams(["with_means": false]))
    }

    func testMinMaxScalerMatchesScikitLearn() throws {
        let s = MinMaxScaler(featureRange: (-1, 1))
        assertClose(try s.fitTransform(x), [[-1, -1, 1], [-0.666667, -1, -1], [0, -1, -0.25], [1, -1, 0.5]])
        XCTAssertThrowsError(try MinMaxScaler(featureRange: (1, 0)).fit(x))
        // clip=True clips held-out values to the range (scikit-learn: [[-1, -1, 1]] for this row).
        try s.setParams(["clip": true])
        XCTAssertEqual(s.getParams()["clip"], true)
        assertClose(try s.transform(Tensor([[0, 10, 5]])), [[-1, -1, 1]])
        try s.setParams(["clip": false])
        assertClose(try s.transform(Tensor([[0, 10, 5]])), [[-1.333333, -1, 2]])
        XCTAssertThrowsError(try s.setParams(["clip": 2])) { XCTAssertTrue("\($0)".contains("clip must be a boolean")) }
    }

    func testOneHotEncoderMatchesScikitLearn() throws {
        let e = OneHotEncoder()
        let cats = Tensor([[1, 5], [0, 5], [2, 6], [1, 6]])
        assertClose(try e.fitTransform(cats), [[0, 1, 0, 1, 0], [1, 0, 0, 1, 0], [0, 0, 1, 0, 1], [0, 1, 0, 0, 1]])
        XCTAssertThrowsError(try e.transform(Tensor([[3, 5]]))) { XCTAssertTrue("\($0)".contains("unknown category 3.0 in column 0")) }
        e.handleUnknown = .ignore
        assertClose(try e.transform(Tensor([[3, 5]])), [[0, 0, 0, 1, 0]])
    }

    func testLabelEncoderSortsAndDecodes() throws {
        let e = LabelEncoder()
        XCTAssertEqual(try e.fitTransform(.labels(["pear", "apple", "pear", "fig"])), [2, 0, 2, 1])
        XCTAssertEqual(try e.inverseTransform([1, 0]), .labels(["fig", "apple"]))
        XCTAssertThrowsError(try e.transform(.labels(["kiwi"]))) { XCTAssertTrue("\($0)".contains("unseen label 'kiwi'")) }
        XCTAssertThrowsError(try e.inverseTransform([3]))
        XCTAssertEqual(try e.fitTransform(.ints([10, -2, 10, 3])), [2, 0, 2, 1])
        XCTAssertEqual(try e.inverseTransform([0, 2]), .ints([-2, 10]))
    }

    func testPipelineRoutesParamsAndFitsScalingInsideEachFold() throws {
        let iris = Datasets.iris()
        let clf = KerasClassifier(model: mlpBuilder, params: ["epochs": 20, "batch_size": 16, "verbose": 0, "optimizer": "adam",
                                                              "optimizer__learning_rate": 0.03])
        let pipe = try Pipeline([("scaler", StandardScaler()), ("clf", clf)])
        XCTAssertTrue(pipe.isClassifier)
        XCTAssertEqual(pipe.getParams()["clf__epochs"], 20)
        XCTAssertEqual(pipe.getParams()["scaler__with_mean"], true)
        try pipe.setParams(["clf__model__hidden": 6, "scaler__with_std": true])
        XCTAssertEqual(clf.getParams()["model__hidden"], 6)
        XCTAssertThrowsError(try pipe.setParams(["knn__k": 3])) { XCTAssertTrue("\($0)".contains("invalid parameter 'knn__k'")) }
        XCTAssertThrowsError(try pipe.setParams(["clf__epoch": 3])) { XCTAssertTrue("\($0)".contains("invalid parameter 'epoch'")) }
        XCTAssertThrowsError(try Pipeline([("clf", clf), ("scaler", StandardScaler())]))
        XCTAssertThrowsError(try Pipeline([("a", StandardScaler()), ("a", clf)]))

        let search = GridSearchCV(pipe, ["clf__model__hidden": [4, 8]], nJobs: 2, cv: 3, randomState: 0)
        try search.fit(iris.x, .values(iris.y))
        XCTAssertGreaterThan(try XCTUnwrap(search.bestScore), 0.8)
        let best = try XCTUnwrap(search.bestEstimator as? Pipeline)
        XCTAssertFalse(best === pipe)
        let scaler = try XCTUnwrap(best.steps[0].estimator as? StandardScaler)
        XCTAssertEqual(try XCTUnwrap(scaler.mean)[0], 5.8433, accuracy: 1e-3)
        XCTAssertNil((pipe.steps[0].estimator as? StandardScaler)?.mean)
        XCTAssertEqual(try search.predictProba(iris.x).shape, [150, 3])
    }
}
