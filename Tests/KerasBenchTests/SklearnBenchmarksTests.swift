import XCTest
@testable import KerasBench

final class SklearnBenchmarksTests: XCTestCase {
    /// Runs the benchmark workload once (times are not asserted) and checks that it learns.
    func testIrisGridSearchFindsAGoodModel() throws {
        let (seconds, best) = try SklearnBenchmarks.irisGridSearch(nJobs: 2)
        XCTAssertGreaterThan(seconds, 0)
        XCTAssertGreaterThanOrEqual(best, 0.89)
    }
}
