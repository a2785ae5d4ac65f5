import XCTest
@testable import Keras
import KerasFuzz

/// Bad and hostile inputs give a clear KerasError, never a trap; a seeded mutation run over
/// every reader (the in-suite stand-in for the fuzz target in Sources/KerasFuzz).
final class HostileFileTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try SavingFixtures.makeTempDir() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: try SavingFixtures.path(name))))
    }

    func write(_ name: String, _ b: [UInt8]) -> String {
        let p = "\(dir)/\(name)"
        _ = FileManager.default.createFile(atPath: p, contents: Data(b))
        return p
    }

    func assertKerasError(_ what: String, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), what) { XCTAssertTrue($0 is KerasError, "\(what): \($0)") }
    }

    func testTruncatedAndGarbageFilesFailCleanly() throws {
        for name in ["dense_sequential.keras", "dense_sequential.h5", "dense_sequential.weights.h5"] {
            let b = try bytes(name)
            for cut in [0, 8, 100, b.count / 2, b.count - 1] {
                let ext = name.hasSuffix(".keras") ? "keras" : "h5"
                let p = write("cut.\(ext)", Array(b.prefix(cut)))
                assertKerasError("\(name) cut at \(cut)") { _ = try loadModel(p) }
            }
        }
        assertKerasError("missing file") { _ = try loadModel("\(dir)/nope.keras") }
        assertKerasError("json that is not json") { _ = try modelFromJSON("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [") }
        assertKerasError("deep json") { _ = try modelFromJSON(String(repeating: "[", count: 100_000)) }
    }

    /// A fuzzed `.keras` whose weights file declares 1.9 GB elements for a kernel: libhdf5 would
    /// allocate conversion buffers of that size (the CI fuzz run died of it); it is refused first.
    func testDatasetsOfExoticElementSizesAreRefusedBeforeReading() throws {
        XCTAssertThrowsError(try loadModel(try SavingFixtures.path("hostile_exotic_element_size.keras"))) { error in
            let message = (error as? KerasError)?.message ?? "\(error)"
            XCTAssertTrue(message.contains("'/layers/dense/vars/0' has 1936875894-byte elements"), message)
        }
    }

    func testConfigsThatDoNotMatchTheirWeightsAreRejected() throws {
        let json = try String(contentsOfFile: try SavingFixtures.path("dense_sequential.json"), encoding: .utf8)
        let wrong = json.replacingOccurrences(of: "\"units\": 8", with: "\"units\": 9")
        let model = try modelFromJSON(wrong)
        let before = model.weights.map(\.numpy)
        XCTAssertThrowsError(try model.loadWeights(try SavingFixtures.path("dense_sequential.weights.h5"))) {
            XCTAssertTrue("\($0)".contains("shape"), "\($0)")
        }
        XCTAssertEqual(model.weights.map(\.numpy), before, "a failed load changes nothing")
        let warnings = try model.loadWeights(try SavingFixtures.path("dense_sequential.weights.h5"), skipMismatch: true)
        XCTAssertFalse(warnings.isEmpty)
        assertKerasError("negative units") { _ = try modelFromJSON(json.replacingOccurrences(of: "\"units\": 8", with: "\"units\": -8")) }
        assertKerasError("units of the wrong type") { _ = try modelFromJSON(json.replacingOccurrences(of: "\"units\": 8", with: "\"units\": \"8\"")) }
        assertKerasError("huge shape") { _ = try modelFromJSON(json.replacingOccurrences(of: "[null, 4]", with: "[null, 9223372036854775807]")) }
    }

    func testUnknownClassNamesTheClassAndHowToRegisterIt() throws {
        let json = try String(contentsOfFile: try SavingFixtures.path("custom_layer.json"), encoding: .utf8)
        XCTAssertThrowsError(try modelFromJSON(json)) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("Custom>Scale") && m.contains("registerKerasSerializable") && m.contains("CustomObjectScope"), m)
        }
    }

    func testScopesNestAndLeaveAndGlobalRegistrationWorks() throws {
        let json = try String(contentsOfFile: try SavingFixtures.path("custom_layer.json"), encoding: .utf8)
        let double = ActivationFunction.custom("double") { $0 * 2 }
        let triple = ActivationFunction.custom("triple") { $0 * 3 }
        try CustomObjectScope(["act": .activation(double)]) {
            XCTAssertEqual(try ActivationFunction.named("act").name, "double")
            try CustomObjectScope(["act": .activation(triple)]) {
                XCTAssertEqual(try ActivationFunction.named("act").name, "triple", "the inner scope wins")
            }
            XCTAssertEqual(try ActivationFunction.named("act").name, "double", "leaving removes the inner names")
            XCTAssertNotNil(try modelFromJSON(json, customObjects: ["Scale": .layer(Scale.fromConfig)]))
        }
        XCTAssertThrowsError(try ActivationFunction.named("act"))
        let other = Thread {
            XCTAssertNil(ObjectRegistry.lookupCustom(.activation, "act"), "scopes are per thread")
        }
        try CustomObjectScope(["act": .activation(double)]) { other.start(); Thread.sleep(forTimeInterval: 0.05) }

        registerKerasSerializable(package: "Custom", name: "Scale", .layer(Scale.fromConfig))
        defer { ObjectRegistry.unregister("Custom>Scale") }
        let model = try modelFromJSON(json)
        XCTAssertTrue(model.toJSON().contains("\"registered_name\": \"Custom>Scale\""))
        try model.save("\(dir)/c.keras")
        XCTAssertNotNil(try loadModel("\(dir)/c.keras"))
    }

    func testAttributesOver64KBAreSplitAndReadBack() throws {
        let file = try HDF5File.create("\(dir)/big.h5")
        let root = try file.root()
        let names = (0..<100).map { "layer_\($0)_" + String(repeating: "x", count: 990) }
        try root.setChunkedStringsAttribute("layer_names", names)
        XCTAssertFalse(root.hasAttribute("layer_names"))
        XCTAssertTrue(root.hasAttribute("layer_names0") && root.hasAttribute("layer_names1"))
        XCTAssertEqual(try root.chunkedStringsAttribute("layer_names"), names)
    }

    /// Seeded random mutations (bit flips, byte overwrites, cuts, splices) of the fixtures,
    /// through every reader. Deterministic, so a failure reproduces.
    func testSeededMutationsOfEveryFormatNeverTrap() throws {
        var rng = SystemRandomNumberGeneratorSeeded(seed: 20261123)
        let seeds = try ["dense_sequential.keras", "dense_sequential.h5", "dense_sequential.weights.h5",
                         "functional_two_heads.json", "keras2_sequential.h5", "core_layers.json"].map(bytes)
        for round in 0..<240 {
            var b = seeds[round % seeds.count]
            let edits = 1 + Int(rng.next() % 8)
            for _ in 0..<edits {
                guard !b.isEmpty else { break }
                let i = Int(rng.next() % UInt64(b.count))
                switch rng.next() % 4 {
                case 0: b[i] ^= UInt8(1 << (rng.next() % 8))
                case 1: b[i] = UInt8(truncatingIfNeeded: rng.next())
                case 2: b = Array(b.prefix(Swift.max(8, i)))
                default: b.replaceSubrange(i..<Swift.min(b.count, i + 4), with: [0xFF, 0xFF, 0xFF, 0x7F])
                }
            }
            ReaderFuzzing.run(b, scratchDirectory: dir)
        }
    }
}

/// A tiny deterministic generator (SplitMix64) for the mutation test.
struct SystemRandomNumberGeneratorSeeded {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
