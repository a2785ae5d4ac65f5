import XCTest
@testable import Keras

/// PythonRandom against CPython's `random` (Tests/KerasTests/Fixtures/random/python_random.json,
/// written by scripts/make_python_random_fixtures.py): after `random.seed(n)` for seeds of one
/// to three 32-bit words, zero and negative ones, Keras's `make_default_seed()` draws, then
/// `randint` over a small and a wide range and `getrandbits(32)`.
final class PythonRandomTests: XCTestCase {
    func testDrawsArePythonsAfterSeed() throws {
        let cases = try XCTUnwrap(loadFixture("random/python_random.json").arrayValue)
        XCTAssertGreaterThan(cases.count, 40)
        for c in cases {
            let seed = try XCTUnwrap(c["seed"]?.intValue)
            var python = PythonRandom(seed: seed)
            let expected = try XCTUnwrap(c["default_seeds"]?.arrayValue).compactMap(\.intValue)
            XCTAssertEqual((0..<expected.count).map { _ in python.makeDefaultSeed() }, expected, "seed \(seed)")
            XCTAssertEqual(python.randint(0, 10), c["randint_0_10"]?.intValue, "seed \(seed)")
            XCTAssertEqual(python.randint(-5, 1 << 31), c["randint_wide"]?.intValue, "seed \(seed)")
            XCTAssertEqual(Int(python.nextUInt32()), c["bits32"]?.intValue, "seed \(seed)")
        }
    }

    func testRandintRefusesRangesItCannotDraw() {
        var python = PythonRandom(seed: 3)
        XCTAssertNil(python.randint(5, 4))
        XCTAssertNil(python.randint(0, 1 << 40))
        XCTAssertNil(python.randint(Int.min, Int.max))
        XCTAssertEqual(python.randint(7, 7), 7)
    }
}
