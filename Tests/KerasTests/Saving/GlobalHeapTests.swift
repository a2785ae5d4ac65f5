import XCTest
@testable import Keras

/// Issue 17: variable-length strings (every string attribute h5py writes) are read without
/// libhdf5's `H5HG_read`, which trusts a global heap collection's object sizes and overflows on a
/// corrupted one. A Keras `.h5` file whose collection is damaged loads with a `KerasError`.
final class GlobalHeapTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try SavingFixtures.makeTempDir() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// The fixture's first collection and the offset of its object `index` (header: "GCOL",
    /// version, 3 reserved, 8-byte size; objects: 2-byte index, 2 references, 4 reserved, 8-byte
    /// size, data padded to 8).
    func collection(_ b: [UInt8], object index: Int) throws -> (start: Int, object: Int) {
        let start = try XCTUnwrap((0..<(b.count - 4)).first { Array(b[$0..<$0 + 4]) == Array("GCOL".utf8) })
        func le(_ at: Int, _ n: Int) -> Int { (0..<n).reversed().reduce(0) { $0 << 8 | Int(b[at + $1]) } }
        var at = start + 16
        while le(at, 2) != 0 {
            if le(at, 2) == index { return (start, at) }
            at += 16 + (le(at + 8, 8) + 7) / 8 * 8
        }
        throw XCTSkip("object \(index) not found")
    }

    func loadDamaged(_ what: String, _ change: (inout [UInt8], Int, Int) throws -> Void) throws {
        var b = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: try SavingFixtures.path("dense_sequential.h5"))))
        let (start, object) = try collection(b, object: 3)   // model_config's JSON
        try change(&b, start, object)
        let path = "\(dir)/damaged.h5"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(b)))
        XCTAssertThrowsError(try loadModel(path), what) { e in
            guard let k = e as? KerasError else { return XCTFail("\(what): \(e) is not a KerasError") }
            XCTAssertTrue(k.message.contains("malformed variable-length string"), "\(what): \(k.message)")
        }
    }

    func testTheIntactFixtureLoads() throws {
        XCTAssertEqual(try loadModel(try SavingFixtures.path("dense_sequential.h5")).layers.count, 3)
    }

    func testDamagedCollectionsAreErrors() throws {
        func put(_ b: inout [UInt8], _ at: Int, _ value: UInt64, _ n: Int) {
            for i in 0..<n { b[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        try loadDamaged("an object larger than its collection") { b, _, o in put(&b, o + 8, 1 << 40, 8) }
        try loadDamaged("an object 1 byte past its collection's end") { b, s, o in put(&b, o + 8, UInt64(s + 4096 - o - 16 + 1), 8) }
        try loadDamaged("the object renumbered") { b, _, o in put(&b, o, 99, 2) }
        try loadDamaged("a string longer than its object") { b, _, o in put(&b, o + 8, 5, 8) }
        try loadDamaged("a collection of 2^40 bytes") { b, s, _ in put(&b, s + 8, 1 << 40, 8) }
        try loadDamaged("a collection smaller than its objects") { b, s, _ in put(&b, s + 8, 40, 8) }
        try loadDamaged("no GCOL signature") { b, s, _ in b[s + 3] = UInt8(ascii: "X") }
        try loadDamaged("a later version") { b, s, _ in b[s + 4] = 2 }
    }
}
