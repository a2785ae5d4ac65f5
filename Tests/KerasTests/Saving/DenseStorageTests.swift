import XCTest
@testable import Keras
import KerasFuzz

/// Issue 17: attributes and links in HDF5's dense storage (fractal heaps indexed by v2 B-trees),
/// which h5py writes with libver="latest" or track_order=True for more than 8 attributes or
/// links and for attributes too large for an object header. libhdf5 1.10.8 decodes those heap
/// objects with the same name-trusting decoders as header messages, so `CHDF5Shim/headers.c`
/// checks every object an index reaches before libhdf5 is asked anything by name. Keras files in
/// such storage load; the hostile variants (scripts/make_dense_storage_fixtures.py, every
/// checksum libhdf5 verifies recomputed) are a `KerasError` naming the object and the damage.
final class DenseStorageTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try SavingFixtures.makeTempDir() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func hostile(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.resourceURL).appendingPathComponent("Fixtures/hostile/\(name)").path
    }

    /// `dense_storage` (100 layers: model_weights' 100 links in a two-level B-tree, the root's 16
    /// attributes with a 66 KB fixed-length model_config as a huge heap object) and
    /// `dense_storage_small` (12 layers) load and predict what Keras predicted, from the `.h5` and
    /// through `.weights.h5` (Keras 3's layout, also rewritten into dense storage).
    func testKerasFilesInDenseStorageLoadAndPredictAsKeras() throws {
        for name in ["dense_storage", "dense_storage_small"] {
            let (inputs, outputs) = try SavingFixtures.expected(name)
            let model = try loadModel(try SavingFixtures.path("\(name).h5"))
            XCTAssertEqual(model.layers.count, name == "dense_storage" ? 100 : 12, name)
            assertClose(try model.predict(inputs), outputs, "\(name).h5")
            let fresh = try modelFromJSON(model.toJSON())
            try fresh.loadWeights(try SavingFixtures.path("\(name).weights.h5"))
            assertClose(try fresh.predict(inputs), outputs, "\(name).weights.h5")
        }
    }

    func testHostileDenseStorageIsAnErrorNamingTheDamage() throws {
        let cases: [(file: String, object: String, reason: String)] = [
            ("h5_dense_attribute_name_unterminated.h5", "/", "an attribute name (8 bytes) that is not terminated"),
            ("h5_dense_huge_attribute_name_unterminated.h5", "/", "an attribute name (13 bytes) that is not terminated"),
            ("h5_dense_heap_id_past_its_block.h5", "/", "a fractal heap object (offset 867, 65535 bytes) outside its direct block"),
            ("h5_dense_link_name_too_long.h5", "/model_weights", "a link message whose name or target runs past its 27 bytes"),
        ]
        for c in cases {
            let path = try hostile(c.file)
            XCTAssertThrowsError(try loadModel(path), c.file) { e in
                let message = (e as? KerasError)?.message ?? "\(e)"
                XCTAssertTrue(message.contains("object '\(c.object)' is malformed") && message.contains(c.reason), "\(c.file): \(message)")
            }
            let fresh = try Sequential([InputLayer(shape: [3])] + (0..<12).map { Dense(3, activation: .tanh, name: String(format: "dense_%02d", $0)) })
            XCTAssertThrowsError(try fresh.loadWeights(path, byName: true, skipMismatch: true), c.file)
            let bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
            XCTAssertEqual(ReaderFuzzing.run(bytes, scratchDirectory: dir, readers: ["h5"]), 0, "\(c.file): every h5 reader refuses it")
        }
    }

    /// The damage is what the check reads: the intact file the variants come from passes every reader.
    func testTheUndamagedOriginalPassesEveryReader() throws {
        let bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: try SavingFixtures.path("dense_storage_small.h5"))))
        XCTAssertGreaterThan(ReaderFuzzing.run(bytes, scratchDirectory: dir, readers: ["h5"]), 0)
    }
}
