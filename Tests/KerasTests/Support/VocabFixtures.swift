import Foundation
import XCTest
@testable import Keras

/// Loads the JSON fixtures written by `scripts/make_vocab_fixtures.py` (real Keras 3).
enum VocabFixtures {
    static func load(_ family: String, _ file: String) throws -> JSON { try loadFixture("\(family)/\(file)") }
    static func tensor(_ j: JSON?) throws -> Tensor { try fixtureTensor(j) }
    static func floats(_ j: JSON?) -> [Float] { j?.floats ?? [] }
    static func doubles(_ j: JSON?) -> [Double] { j?.arrayValue?.compactMap(\.doubleValue) ?? [] }
}

/// Compares a config with Keras's, keys in order, ignoring `exclude` (names Keras numbered).
func assertConfig(_ ours: JSON, _ keras: JSON?, exclude: Set<String> = ["name"], _ message: String = "",
                  file: StaticString = #filePath, line: UInt = #line) {
    let a = (ours.objectValue ?? []).filter { !exclude.contains($0.0) }
    let b = (keras?.objectValue ?? []).filter { !exclude.contains($0.0) }
    XCTAssertEqual(a.map(\.0), b.map(\.0), "config keys \(message)", file: file, line: line)
    for ((k, x), (_, y)) in zip(a, b) {
        if let dx = x.doubleValue, let dy = y.doubleValue {
            XCTAssertEqual(dx, dy, accuracy: 1e-6 * Swift.max(1, Swift.abs(dy)), "config \(k) \(message)", file: file, line: line)
        } else {
            XCTAssertEqual(x, y, "config \(k) \(message)", file: file, line: line)
        }
    }
}
