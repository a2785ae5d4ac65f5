import Foundation
import XCTest
@testable import Keras

/// One file of `Fixtures/layers/`, written by `scripts/make_layer_fixtures.py` from real Keras:
/// a layer's (or model's) config, its weights by layer name, inputs and expected outputs.
struct LayerFixture {
    let name: String
    let json: JSON

    /// The fixture `Fixtures/<family>/<name>.json`.
    init(_ name: String, family: String = "layers") throws {
        self.name = name
        json = try loadFixture("\(family)/\(name).json")
    }

    static func tensor(_ j: JSON) throws -> Tensor { try fixtureTensor(j) }

    var inputs: [Tensor] { get throws { try (json["inputs"]?.arrayValue ?? []).map(Self.tensor) } }
    var outputs: [Tensor] { get throws { try (json["outputs"]?.arrayValue ?? []).map(Self.tensor) } }
    var config: JSON { json["config"] ?? .null }

    /// The weights Keras gave the layer named `layer` (empty for layers without weights).
    func weights(of layer: String) throws -> [Tensor] {
        try (json["weights"]?[layer]?.arrayValue ?? []).map(Self.tensor)
    }

    /// Copies the fixture's weights into every layer of `layers` that has some.
    func loadWeights(into layers: [Layer]) throws {
        for l in layers {
            let w = try weights(of: l.name)
            if !w.isEmpty { try l.setWeights(w) }
        }
    }

    /// Runs `layer` on the fixture's inputs (building it, loading its weights) and compares the
    /// output with Keras's to `atol + rtol·|expected|`.
    func assertLayerMatches(_ layer: Layer, atol: Float = 1e-5, rtol: Float = 1e-5,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let xs = try inputs
        _ = try layer.callEager(xs)
        try loadWeights(into: [layer])
        let out = try layer.callEager(xs)
        let expected = try XCTUnwrap(outputs.first, file: file, line: line)
        XCTAssertEqual(out.shape, expected.shape, "\(name): shape", file: file, line: line)
        XCTAssertTrue(out.isClose(to: expected, atol: atol, rtol: rtol),
                      "\(name): Swift \(out) vs Keras \(expected)", file: file, line: line)
    }

    /// The layer's config equals the one real Keras wrote, key for key and in the same order.
    func assertConfigMatches(_ layer: Layer, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(layer.getConfig(), config, "\(name): Swift config \(layer.getConfig()) vs Keras \(config)",
                       file: file, line: line)
    }
}
