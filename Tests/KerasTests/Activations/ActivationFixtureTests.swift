import XCTest
@testable import Keras

/// Every built-in activation function against real Keras on the same inputs.
final class ActivationFixtureTests: XCTestCase {
    func testEveryBuiltinMatchesKeras() throws {
        let fixtures = try VocabFixtures.load("activations", "builtins.json").objectValue ?? []
        // The Keras 3 additions have their own fixture file (keras3.json, Keras3ActivationTests).
        let keras3 = try VocabFixtures.load("activations", "keras3.json").arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        XCTAssertEqual(Set(fixtures.map(\.0)).union(keras3), Set(ActivationFunction.builtins.keys))
        for (name, f) in fixtures {
            let x = try VocabFixtures.tensor(f["x"]), y = try VocabFixtures.tensor(f["y"])
            let ours = try ActivationFunction.named(name)(x)
            XCTAssertEqual(ours.shape, y.shape, name)
            assertClose(ours.scalars, y.scalars, atol: 1e-5, rtol: 1e-5, name)
        }
    }
}
