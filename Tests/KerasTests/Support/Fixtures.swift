import Foundation
import XCTest
@testable import Keras

/// Reads a JSON fixture written by a script in `scripts/` (`optimizers/adam.json`).
func loadTrainingFixture(_ relativePath: String) throws -> JSON {
    guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        throw KerasError.io("test fixtures directory is missing from the test bundle")
    }
    let url = root.appendingPathComponent(relativePath)
    let text = try String(contentsOf: url, encoding: .utf8)
    return try JSONParser.parse(text)
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
