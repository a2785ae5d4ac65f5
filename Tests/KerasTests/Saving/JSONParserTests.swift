import XCTest
@testable import Keras

/// The JSON parser every config crossing goes through (RFC 8259 plus Python's NaN/Infinity):
/// strings with and without escapes, the literals, and what it must refuse.
final class JSONParserTests: XCTestCase {
    func testStringsWithoutEscapesAndWithEveryEscape() throws {
        XCTAssertEqual(try JSONParser.parse(#""dense_1""#), .string("dense_1"))
        XCTAssertEqual(try JSONParser.parse(#""""#), .string(""))
        XCTAssertEqual(try JSONParser.parse(#""caf\u00e9 \"q\" a\\b\/c\n\t\r\b\f""#),
                       .string("café \"q\" a\\b/c\n\t\r\u{08}\u{0C}"))
        // An escape after plain bytes, and plain bytes after it.
        XCTAssertEqual(try JSONParser.parse(#""abc\ndef""#), .string("abc\ndef"))
        // A surrogate pair, and UTF-8 passed through as is.
        XCTAssertEqual(try JSONParser.parse(#""\ud83d\ude00 é""#), .string("😀 é"))
        XCTAssertEqual(try JSONParser.parse(#"{"k": "v", "k2": ["a", "b\"c"]}"#),
                       .object([("k", .string("v")), ("k2", .array([.string("a"), .string("b\"c")]))]))
    }

    func testLiteralsAndNumbers() throws {
        XCTAssertEqual(try JSONParser.parse("[true, false, null, 3, -2, 0.5, 1e3]"),
                       .array([.bool(true), .bool(false), .null, .int(3), .int(-2), .double(0.5), .double(1000)]))
        XCTAssertEqual(try JSONParser.parse("[Infinity, -Infinity]"), .array([.double(.infinity), .double(-.infinity)]))
        guard case .double(let nan)? = try JSONParser.parse("[NaN]").arrayValue?.first else {
            return XCTFail("NaN is not a double")
        }
        XCTAssertTrue(nan.isNaN)
    }

    func testRefusals() {
        for text in [#""unterminated"#, #""escape at the end\"#, "tru", "nul", "[true", "Infinit", #"{"a" 1}"#,
                     #""\q""#, "[1,]x", "truex"] {
            XCTAssertThrowsError(try JSONParser.parse(text), text) { error in
                XCTAssertTrue("\(error)".contains("invalid JSON"), "\(text): \(error)")
            }
        }
    }
}
