import Foundation
import XCTest
@testable import Keras

final class EmbeddingTests: XCTestCase {
    func testEmbeddingMatchesKeras() throws {
        for name in ["embedding", "embedding_mask_zero"] {
            let fixture = try LayerFixture(name, family: "recurrent")
            let layer = try Embedding(7, 3, maskZero: name.hasSuffix("mask_zero"), name: name)
            try fixture.assertLayerMatches(layer)
            fixture.assertConfigMatches(layer)
            XCTAssertEqual(try Embedding.fromConfig(LayerConfig(className: "Embedding", json: fixture.config)).getConfig(), fixture.config, name)
        }
    }

    func testMaskZeroGivesKerasMask() throws {
        let fixture = try LayerFixture("embedding_mask_zero", family: "recurrent")
        let x = try XCTUnwrap(fixture.inputs.first)
        let layer = try Embedding(7, 3, maskZero: true)
        let want = try LayerFixture.tensor(try XCTUnwrap(fixture.json["computed_mask"]))
        XCTAssertEqual(try layer.computeMask(x, mask: nil)?.scalars, want.scalars)
        XCTAssertTrue(layer.supportsMasking)
        XCTAssertNil(try Embedding(7, 3).computeMask(x, mask: nil))
        let (_, masks) = try layer.callMultiple([x], masks: nil)
        XCTAssertEqual(masks?.first??.scalars, want.scalars)
    }

    func testEmbeddingGradientsReachTheTable() throws {
        let layer = try Embedding(5, 2)
        let ids = Tensor([[1, 0, 4], [1, 1, 3]])
        _ = try layer(ids)
        try GradientCheck.check([], variables: layer.weights, "Embedding") { _ in try layer(ids) }
    }

    func testBadInputNamesLayerArgumentAndIndex() throws {
        XCTAssertThrowsError(try Embedding(0, 3)) { XCTAssertTrue("\($0)".contains("input_dim: 0"), "\($0)") }
        XCTAssertThrowsError(try Embedding(4, -1)) { XCTAssertTrue("\($0)".contains("output_dim: -1"), "\($0)") }
        let layer = try Embedding(4, 2, name: "emb")
        XCTAssertThrowsError(try layer(Tensor([[1, 4]]))) {
            XCTAssertTrue("\($0)".contains("'emb'") && "\($0)".contains("index 4"), "\($0)")
        }
        XCTAssertThrowsError(try layer(Tensor([[-1, 2]]))) { XCTAssertTrue("\($0)".contains("index -1"), "\($0)") }
        XCTAssertThrowsError(try layer(Tensor([[Float.nan, 2]]))) { XCTAssertTrue("\($0)".contains("nan"), "\($0)") }
        XCTAssertThrowsError(try layer(Tensor([[1e30, 2]]))) { XCTAssertTrue("\($0)".contains("out of range"), "\($0)") }
    }

    func testEmbeddingModelTrainsSavesAndLoads() throws {
        let model = try Sequential([InputLayer(shape: [4]), Embedding(7, 3, maskZero: true, name: "emb"),
                                    Flatten(), Dense(1, name: "head")])
        XCTAssertEqual(model.outputShape, [nil, 1])
        let x = Tensor([[1, 0, 6, 2], [3, 3, 0, 5], [0, 0, 0, 1]])
        try model.compile(optimizer: "adam", loss: "mean_squared_error")
        try model.fit(x, Tensor([[1], [0], [-1]]), epochs: 2, verbose: 0)
        let want = try model.predict(x)
        let dir = try SavingFixtures.makeTempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for ext in ["keras", "h5"] {
            try model.save("\(dir)/m.\(ext)")
            let back = try loadModel("\(dir)/m.\(ext)")
            XCTAssertTrue(try back.getLayer(name: "emb") is Embedding, ext)
            assertClose([try back.predict(x)], [want], "reloaded .\(ext)")
        }
    }
}
