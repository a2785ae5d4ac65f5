import Foundation
import XCTest
@testable import Keras

// The one place the tests read fixtures (written by real Keras through the scripts in `scripts/`)
// and compare floats.

/// A JSON fixture by its path under `Fixtures/` (`optimizers/adam.json`).
func loadFixture(_ relativePath: String) throws -> JSON {
    guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        throw KerasError.io("test fixtures directory is missing from the test bundle")
    }
    let url = root.appendingPathComponent(relativePath)
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw KerasError.io("fixture \(relativePath) not found")
    }
    return try JSONParser.parse(try String(contentsOf: url, encoding: .utf8))
}

/// A tensor stored as `{"shape": [...], "data": [...]}` (layer fixtures) or
/// `{"shape": [...], "values": [...]}` (vocabulary fixtures).
func fixtureTensor(_ j: JSON?) throws -> Tensor {
    guard let j, let shape = j["shape"]?.arrayValue?.compactMap(\.intValue),
          let values = (j["data"] ?? j["values"])?.arrayValue?.compactMap(\.doubleValue) else {
        throw KerasError.invalidData("fixture tensor is malformed: \(String(describing: j))")
    }
    return try Tensor(shape: shape, scalars: values.map { Float($0) })
}

extension JSON {
    /// A flat list of floats from a JSON array of numbers.
    var floats: [Float] { (arrayValue ?? []).compactMap { $0.doubleValue.map(Float.init) } }
    /// A list of ints from a JSON array of numbers.
    var ints: [Int] { (arrayValue ?? []).compactMap { $0.intValue } }
}

/// Asserts two float lists agree to `atol + rtol * |expected|`, naming the first difference.
func assertClose(_ actual: [Float], _ expected: [Float], atol: Float = 1e-5, rtol: Float = 1e-5,
                 _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(message()): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        if !(Swift.abs(a - e) <= atol + rtol * Swift.abs(e)) {
            XCTFail("\(message()): element \(i) is \(a), expected \(e)", file: file, line: line)
            return
        }
    }
}

/// Asserts two tensor lists agree in shape and to `atol` elementwise.
func assertClose(_ actual: [Tensor], _ expected: [Tensor], atol: Float = 1e-5, _ message: @autoclosure () -> String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(message()): tensor count", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        XCTAssertEqual(a.shape, e.shape, "\(message()): shape of tensor \(i)", file: file, line: line)
        assertClose(a.scalars, e.scalars, atol: atol, rtol: 0, "\(message()): tensor \(i)", file: file, line: line)
    }
}
