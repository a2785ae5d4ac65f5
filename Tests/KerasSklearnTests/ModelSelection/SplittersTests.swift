import XCTest
@testable import KerasSklearn
import KerasDatasets

final class SplittersTests: XCTestCase {
    func testKFoldMatchesScikitLearn() throws {
        let fx = try sklearnFixture("splitters")
        let cases = fx["kfold"] as! [[String: Any]]
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let n = c["n"] as! Int, k = c["k"] as! Int
            let expected = (c["test_folds"] as! [Any]).map(ints)
            let splits = try KFold(nSplits: k).split(n)
            XCTAssertEqual(splits.map(\.test), expected, "KFold n=\(n) k=\(k)")
            for s in splits { XCTAssertEqual((s.train + s.test).sorted(), Array(0..<n)) }
        }
    }

    func testStratifiedKFoldMatchesScikitLearn() throws {
        let fx = try sklearnFixture("splitters")
        let cases = fx["stratified_kfold"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.count, 8)
        for c in cases {
            let y = target(c["y"]), k = c["k"] as! Int
            let expected = (c["test_folds"] as! [Any]).map(ints)
            let splits = try StratifiedKFold(nSplits: k).split(y.count, y: y)
            XCTAssertEqual(splits.map(\.test), expected, "StratifiedKFold \(c["name"]!) k=\(k)")
            for s in splits { XCTAssertEqual((s.train + s.test).sorted(), Array(0..<y.count)) }
        }
    }

    func testShuffledFoldsPartitionTheSamplesAndFollowTheSeed() throws {
        let y = Target.ints((0..<30).map { $0 % 3 })
        for splitter in [KFold(nSplits: 4, shuffle: true, randomState: 1) as CrossValidator,
                         StratifiedKFold(nSplits: 4, shuffle: true, randomState: 1)] {
            let a = try splitter.split(30, y: y), b = try splitter.split(30, y: y)
            XCTAssertEqual(a, b)
            XCTAssertEqual(a.flatMap(\.test).sorted(), Array(0..<30))
            XCTAssertNotEqual(a.map(\.test), try KFold(nSplits: 4).split(30).map(\.test))
        }
        // Stratified shuffled folds keep each class's share: 10 per class over 4 folds -> 2 or 3.
        for s in try StratifiedKFold(nSplits: 4, shuffle: true, randomState: 3).split(30, y: y) {
            let counts = (0..<3).map { c in s.test.filter { $0 % 3 == c }.count }
            XCTAssertTrue(counts.allSatisfy { $0 == 2 || $0 == 3 }, "\(counts)")
        }
    }

    func testShuffleSplitAndTrainTestSplitSizesMatchScikitLearn() throws {
        let fx = try sklearnFixture("splitters")
        func size(_ any: Any?) -> SplitSize? {
            guard let n = any as? NSNumber else { return nil }
            return isFloatNumber(n) ? .fraction(n.doubleValue) : .count(n.intValue)
        }
        for c in fx["shuffle_split"] as! [[String: Any]] {
            let n = c["n"] as! Int
            let s = try ShuffleSplit(nSplits: 2, testSize: size(c["test_size"]), trainSize: size(c["train_size"]), randomState: 0).split(n)
            XCTAssertEqual(s[0].train.count, c["n_train"] as? Int, "\(c)")
            XCTAssertEqual(s[0].test.count, c["n_test"] as? Int, "\(c)")
            XCTAssertTrue(Set(s[0].train).isDisjoint(with: s[0].test))
            XCTAssertNotEqual(s[0], s[1])
        }
        for c in fx["train_test_split"] as! [[String: Any]] {
            let n = c["n"] as! Int
            let x = Tensor(shape: [n, 2], repeating: 1)
            let s = try trainTestSplit(x, .ints(Array(0..<n)), testSize: size(c["test_size"]), randomState: 0)
            XCTAssertEqual(s.xTrain.shape, [c["n_train"] as! Int, 2])
            XCTAssertEqual(s.yTest.count, c["n_test"] as? Int)
            XCTAssertEqual(Set(s.yTrain.labelKeys + s.yTest.labelKeys).count, n)
        }
        let iris = Datasets.iris()
        for c in fx["stratified_train_test_split"] as! [[String: Any]] {
            let y = Target.values(iris.y)
            let s = try trainTestSplit(iris.x, y, testSize: size(c["test_size"]), randomState: 0, stratify: y)
            let count = { (t: Target) in (0..<3).map { k in t.labelKeys.filter { $0 == String(k) }.count } }
            XCTAssertEqual(count(s.yTrain), ints(c["train_counts"]))
            XCTAssertEqual(count(s.yTest), ints(c["test_counts"]))
        }
    }

    func testTrainTestSplitWithoutShuffleTakesTheLastSamples() throws {
        let x = Tensor(shape: [8, 1], repeating: 0)
        let s = try trainTestSplit(x, .ints(Array(0..<8)), testSize: 0.25, shuffle: false)
        XCTAssertEqual(s.testIndices, [6, 7])
        XCTAssertEqual(s.yTrain, .ints(Array(0..<6)))
    }

    func testBadSplitArgumentsThrowNamingTheValue() {
        XCTAssertThrowsError(try KFold(nSplits: 1).split(10)) { XCTAssertTrue("\($0)".contains("n_splits=2")) }
        XCTAssertThrowsError(try KFold(nSplits: 11).split(10)) { XCTAssertTrue("\($0)".contains("n_samples=10")) }
        XCTAssertThrowsError(try StratifiedKFold(nSplits: 5).split(4, y: .ints([0, 0, 1, 1])))
        XCTAssertThrowsError(try StratifiedKFold(nSplits: 2).split(4, y: nil))
        XCTAssertThrowsError(try ShuffleSplit(testSize: 1.5).split(10)) { XCTAssertTrue("\($0)".contains("test_size=1.5")) }
        XCTAssertThrowsError(try ShuffleSplit(testSize: .count(10)).split(10))
        XCTAssertThrowsError(try trainTestSplit(Tensor(shape: [3, 1]), .ints([0, 1])))
    }

    func testParameterGridOrderMatchesScikitLearn() throws {
        let fx = try sklearnFixture("splitters")
        for g in fx["parameter_grid"] as! [[String: Any]] {
            let grids = (g["grid"] as! [[String: Any]]).map { grid in
                grid.mapValues { values in (values as! [Any]).map(paramValue) }
            }
            let expected = (g["candidates"] as! [[String: Any]]).map { $0.mapValues(paramValue) }
            let grid = ParameterGrid(grids)
            XCTAssertEqual(grid.candidates, expected)
            XCTAssertEqual(grid.count, expected.count)
        }
    }
}

/// A JSON value as a parameter value (integers stay integers).
func paramValue(_ any: Any) -> ParamValue {
    if let s = any as? String { return .string(s) }
    if let n = any as? NSNumber { return isFloatNumber(n) ? .double(n.doubleValue) : .int(n.intValue) }
    return .none
}
