import XCTest
@testable import Keras
import KerasFuzz

/// Issue 17: libhdf5 1.10.8 reads names in object headers without bounds (an attribute name by
/// strdup, a group's names by strcmp in its local heap), so a corrupted `.h5` read past its
/// buffers (ASan: heap-buffer-overflow in `H5MM_strdup` from `H5Aexists`, found by `make fuzz`).
/// Each object's header is checked before libhdf5 is asked anything by name; a damaged one is a
/// `KerasError` naming the object.
final class ObjectHeaderTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try SavingFixtures.makeTempDir() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func assertMalformed(_ path: String, _ what: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try loadModel(path), what, file: file, line: line) { e in
            guard let k = e as? KerasError else { return XCTFail("\(what): \(e) is not a KerasError", file: file, line: line) }
            XCTAssertTrue(k.message.contains("object '/' is malformed") && k.message.contains(reason), "\(what): \(k.message)",
                          file: file, line: line)
        }
        let model = try? Sequential([InputLayer(shape: [4]), Dense(3), Dense(2)])
        XCTAssertThrowsError(try model?.loadWeights(path, byName: true, skipMismatch: true), what, file: file, line: line)
    }

    /// `dense_sequential.h5` with one byte changed at the offset `at` returns.
    func damaged(_ at: ([UInt8]) throws -> Int, to value: UInt8) throws -> String {
        var b = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: try SavingFixtures.path("dense_sequential.h5"))))
        b[try at(b)] = value
        let path = "\(dir)/damaged-\(UUID().uuidString).h5"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(b)))
        return path
    }

    static func offset(of text: String, in b: [UInt8]) throws -> Int {
        let needle = Array(text.utf8)
        return try XCTUnwrap((0...(b.count - needle.count)).first { Array(b[$0..<$0 + needle.count]) == needle })
    }

    func testTheFuzzersCrashInputIsAnError() throws {
        let base = try XCTUnwrap(Bundle.module.resourceURL)
        let path = base.appendingPathComponent("Fixtures/hostile/h5_attribute_name_unterminated.h5").path
        assertMalformed(path, "the input of the H5MM_strdup overflow", "an attribute name (16 bytes) that is not terminated")
        let bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
        XCTAssertEqual(ReaderFuzzing.run(bytes, scratchDirectory: dir, readers: ["h5"]), 0, "every h5 reader refuses it")
    }

    func testAnAttributeNameWithoutItsEndIsAnError() throws {
        // The root's `model_config` attribute: the NUL ending its 13-byte name becomes 'X'.
        let path = try damaged({ try Self.offset(of: "model_config\0", in: $0) + 12 }, to: UInt8(ascii: "X"))
        assertMalformed(path, "model_config's name unterminated", "an attribute name (13 bytes) that is not terminated")
    }

    func testAGroupHeapWithoutAFinalNulIsAnError() throws {
        // The root group's local heap ("HEAP", version 0, 3 reserved, data size, free list, data
        // address): the last byte of its data, the NUL that stops strcmp, becomes 'A'.
        let path = try damaged({ b in
            let heap = try Self.offset(of: "HEAP", in: b)
            func le(_ at: Int) -> Int { (0..<8).reversed().reduce(0) { $0 << 8 | Int(b[at + $1]) } }
            return le(heap + 24) + le(heap + 8) - 1
        }, to: UInt8(ascii: "A"))
        assertMalformed(path, "the root heap unterminated", "local heap (88 bytes at 712) does not end in a NUL")
    }

    /// Session 7's `make fuzz` crash: libhdf5 1.10.8 copies an attribute's data (datatype size
    /// times element count) without checking it against the message (ASan: heap-buffer-overflow
    /// in memcpy from `H5O__attr_exists`). The input is a regression test and a fuzz seed.
    func testTheSessionSevenFuzzCrashIsAnError() throws {
        let base = try XCTUnwrap(Bundle.module.resourceURL)
        let path = base.appendingPathComponent("Fixtures/hostile/h5_attribute_data_past_its_message.h5").path
        assertMalformed(path, "the input of the attribute-data overflow", "an attribute whose datatype or dataspace runs past its 72-byte message")
        let bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
        XCTAssertEqual(ReaderFuzzing.run(bytes, scratchDirectory: dir, readers: ["h5"]), 0, "every h5 reader refuses it")
    }

    func testAttributeDataPastItsMessageIsAnError() throws {
        // The first layer's `weight_names` (version 1: the name padded to 16 bytes, a 20-byte
        // datatype padded to 24, then the dataspace: 8 bytes of header and the first dimension):
        // that dimension grows by 2^32, so the data would run far past the message.
        let path = try damaged({ try Self.offset(of: "weight_names\0", in: $0) + 16 + 24 + 8 + 4 }, to: 1)
        XCTAssertThrowsError(try loadModel(path)) { e in
            let message = (e as? KerasError)?.message ?? "\(e)"
            XCTAssertTrue(message.contains("is malformed") && message.contains("an attribute whose data ("), message)
        }
    }

    func testIntactFilesStillLoad() throws {
        for name in ["dense_sequential.h5", "concat_functional.h5", "conv_lstm_model.h5"] {
            XCTAssertNoThrow(try loadModel(try SavingFixtures.path(name)), name)
        }
        let keras = try loadModel(try SavingFixtures.path("dense_sequential.keras"))
        XCTAssertEqual(keras.layers.count, 3, "the weights inside a .keras archive (the in-memory driver) pass the check")
    }
}
