import XCTest
import Keras
@testable import KerasDatasets

final class DatasetsTests: XCTestCase {
    func testIrisMatchesScikitLearnTable() {
        let iris = Datasets.iris()
        XCTAssertEqual(iris.x.shape, [150, 4])
        XCTAssertEqual(Array(iris.x.scalars.prefix(4)), [5.1, 3.5, 1.4, 0.2])
        XCTAssertEqual(Array(iris.x.scalars.suffix(4)), [5.9, 3.0, 5.1, 1.8])
        XCTAssertEqual((0..<3).map { c in iris.y.scalars.filter { $0 == Float(c) }.count }, [50, 50, 50])
        // Column means as scikit-learn reports them (iris.data.mean(axis=0)).
        let means = (0..<4).map { j in (0..<150).map { Double(iris.x.data[$0 * 4 + j]) }.reduce(0, +) / 150 }
        for (m, ref) in zip(means, [5.843333, 3.057333, 3.758, 1.199333]) { XCTAssertEqual(m, ref, accuracy: 1e-5) }
    }

    func testDigitsShapeAndRange() {
        let d = Datasets.digits()
        XCTAssertEqual(d.x.shape, [1797, 64])
        XCTAssertEqual(d.y.count, 1797)
        XCTAssertEqual(d.x.scalars.max(), 16)
        XCTAssertEqual(d.x.scalars.min(), 0)
        XCTAssertEqual(d.y.scalars.prefix(10).map(Int.init), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
        // Sum of the first image's pixels in scikit-learn: digits.data[0].sum() == 294.
        XCTAssertEqual(d.x.scalars.prefix(64).reduce(0, +), 294)
    }

    func testOttoLikeIsStandardizedAndSeeded() {
        let a = Datasets.ottoLike(samples: 2000)
        let b = Datasets.ottoLike(samples: 2000)
        XCTAssertEqual(a.x.shape, [2000, 93])
        XCTAssertEqual(a.x.scalars, b.x.scalars)
        XCTAssertEqual(Set(a.y.scalars).count, 9)
        var mean = 0.0
        for i in 0..<2000 { mean += Double(a.x.data[i * 93]) }
        XCTAssertEqual(mean / 2000, 0, accuracy: 1e-4)
    }
}
