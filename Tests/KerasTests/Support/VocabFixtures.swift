import Foundation
import XCTest
@testable import Keras

/// Loads the JSON fixtures written by `scripts/make_vocab_fixtures.py` (real Keras 3).
enum VocabFixtures {
    static func load(_ family: String, _ file: String) throws -> JSON {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(family)/\(file)", withExtension: nil) else {
            throw KerasError.io("fixture \(family)/\(file) not found")
        }
        return try JSONParser.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self))
    }

    /// `{"shape": [...], "values": [...]}` as a tensor.
    static func tensor(_ j: JSON?) throws -> Tensor {
        guard let j, let shape = j["shape"]?.arrayValue?.compactMap(\.intValue),
              let values = j["values"]?.arrayValue?.compactMap(\.doubleValue) else {
            throw KerasError.invalidData("fixture tensor malformed: \(String(describing: j))")
        }
        return try Tensor(shape: shape, scalars: values.map { Float($0) })
    }

    static func floats(_ j: JSON?) -> [Float] { j?.arrayValue?.compactMap { $0.doubleValue.map { Float($0) } } ?? [] }
    static func doubles(_ j: JSON?) -> [Double] { j?.arrayValue?.compactMap(\.doubleValue) ?? [] }
}

/// Asserts two float lists agree elementwise within `accuracy`.
func assertClose(_ a: [Float], _ b: [Float], accuracy: Float = 1e-5, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "count differs: \(message)", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() where !(Swift.abs(x - y) <= accuracy * Swift.max(1, Swift.abs(y))) {
        XCTFail("\(message) [\(i)]: \(x) != \(y)", file: file, line: line)
        return
    }
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
