import Foundation
import XCTest
@testable import Keras

/// A layer with two outputs, the first and the second half of the last axis: the Swift twin of
/// `Halves` in scripts/make_graph_fixtures.py and Tests/interop (registered there as
/// `SwiftKerasTest>Halves`).
final class Halves: Layer, @unchecked Sendable {
    override func call(_ inputs: [Tensor], mask: [Tensor?]?, training: Bool) throws -> [Tensor] {
        guard inputs.count == 1, let x = inputs.first, x.rank == 2 else {
            throw KerasError.invalidArgument("Halves takes one rank-2 input")
        }
        let n = x.shape[1], k = n / 2
        func pick(_ range: Range<Int>) throws -> Tensor {
            let s = Tensor(shape: [n, range.count])
            for (j, i) in range.enumerated() { s.data[i * range.count + j] = 1 }
            return try Ops.matmul(x, s)
        }
        return [try pick(0..<k), try pick(k..<n)]
    }

    override func computeOutputShapes(_ shapes: [[Int?]]) throws -> [[Int?]] {
        guard shapes.count == 1, let s = shapes.first, s.count == 2, let n = s[1] else {
            throw KerasError.shapeMismatch("Halves takes one input of shape (batch, n)")
        }
        return [[s[0], n / 2], [s[0], n - n / 2]]
    }

    static func fromConfig(_ c: LayerConfig) throws -> Layer {
        let layer = Halves(name: c.name)
        try c.applyCommon(to: layer)
        return layer
    }

    static func register() { registerKerasSerializable(package: "SwiftKerasTest", name: "Halves", .layer(Halves.fromConfig)) }
}

/// Several outputs per call and functional configs with tensor indices, against real Keras
/// (scripts/make_graph_fixtures.py).
final class MultiOutputGraphTests: XCTestCase {
    func testTwoOutputLayerLoadsFromKerasJSONAndWritesTheSameGraph() throws {
        Halves.register()
        let f = try loadFixture("graph/two_output.json")
        let text = try XCTUnwrap(f["json"]?.stringValue)
        let model = try modelFromJSON(text)
        try model.setWeights(try XCTUnwrap(f["weights"]?.arrayValue).map(fixtureTensor))
        let x = try fixtureTensor(f["x"])
        let want = try XCTUnwrap(f["outputs"]?.arrayValue).map(fixtureTensor)
        assertClose(try model.predict([x]), want, "Keras's two-output model run here")
        XCTAssertEqual(model.outputShapes, [[nil, 2], [nil, 3]])

        // The graph we write is Keras's: the same layers, inbound nodes and input/output layers.
        let keras = try JSONParser.parse(text)["config"], ours = try JSONParser.parse(model.toJSON())["config"]
        XCTAssertEqual(ours?["input_layers"], keras?["input_layers"])
        XCTAssertEqual(ours?["output_layers"], keras?["output_layers"])
        XCTAssertEqual(ours?["output_layers"], [["o1", 0, 0], ["halves", 0, 1]])
        let kl = try XCTUnwrap(keras?["layers"]?.arrayValue), ol = try XCTUnwrap(ours?["layers"]?.arrayValue)
        XCTAssertEqual(ol.map { $0["name"] }, kl.map { $0["name"] })
        XCTAssertEqual(ol.map { $0["inbound_nodes"] }, kl.map { $0["inbound_nodes"] })
        XCTAssertEqual(ol.map { $0["registered_name"] }, kl.map { $0["registered_name"] })

        // And it reads back, and survives .keras and .h5.
        let back = try modelFromJSON(model.toJSON())
        try back.setWeights(model.getWeights())
        assertClose(try back.predict([x]), want, "our JSON read back")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for ext in ["keras", "h5"] {
            let path = dir.appendingPathComponent("m.\(ext)").path
            try model.save(path)
            assertClose(try loadModel(path).predict([x]), want, "two-output model through .\(ext)")
        }
    }

    func testTwoOutputModelSavedByKerasLoadsHere() throws {
        Halves.register()
        let f = try loadFixture("graph/two_output.json")
        let x = try fixtureTensor(f["x"])
        let want = try XCTUnwrap(f["outputs"]?.arrayValue).map(fixtureTensor)
        let root = try XCTUnwrap(Bundle.module.resourceURL).appendingPathComponent("Fixtures/graph")
        for ext in ["keras", "h5"] {
            let model = try loadModel(root.appendingPathComponent("two_output.\(ext)").path)
            XCTAssertEqual(model.outputs.map(\.tensorIndex), [0, 1], ext)
            assertClose(try model.predict([x]), want, "Keras's two_output.\(ext)")
        }
    }

    func testSummaryListsBothOutputShapesAsKeras() throws {
        Halves.register()
        let model = try modelFromJSON(try XCTUnwrap(try loadFixture("graph/two_output.json")["json"]?.stringValue))
        // As Keras 3.15 prints it: the row `halves (Halves) │ [(None, 3), (None, 3)] │ 0`, and, the
        // graph being a chain, no "Connected to" column.
        let text = model.summaryText()
        let row = text.split(separator: "\n").first { $0.contains("halves (Halves)") }.map(String.init) ?? ""
        XCTAssertEqual(row.split(separator: "│").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                       ["halves (Halves)", "[(None, 3), (None, 3)]", "0"], text)
        XCTAssertFalse(text.contains("Connected to"), text)
    }

    func testCallingAMultiOutputLayerSymbolicallyAndEagerly() throws {
        let halves = Halves()
        let x = try Tensor(shape: [2, 4], scalars: [1, 2, 3, 4, 5, 6, 7, 8])
        let outs = try halves.callMultiple([x])
        XCTAssertEqual(outs.map(\.scalars), [[1, 2, 5, 6], [3, 4, 7, 8]])
        // The single-output spellings refuse a layer that returns two tensors, naming it.
        XCTAssertThrowsError(try halves(x)) { XCTAssertTrue("\($0)".contains("callMultiple"), "\($0)") }
        let input = Input(shape: [4])
        XCTAssertThrowsError(try halves(input))
        let (a, b) = try { let t = try halves.callMultiple(input); return (t[0], t[1]) }()
        XCTAssertEqual([a.tensorIndex, b.tensorIndex], [0, 1])
        XCTAssertTrue(a.layer === halves && b.layer === halves)
        // A second call of the same layer is node 1; its outputs are used by index.
        let again = try halves.callMultiple(try Dense(4, name: "d4")(input))
        let model = try Model(inputs: input, outputs: [try Concatenate()([b, again[1]]), a])
        let got = try model.predict([x])
        XCTAssertEqual(got[1].scalars, [1, 2, 5, 6])
        XCTAssertEqual(got[0].shape, [2, 4])
        XCTAssertEqual(Array(got[0].scalars.prefix(2)), [3, 4])
        let config = try JSONParser.parse(model.toJSON())["config"]
        let cat = try XCTUnwrap(config?["layers"]?.arrayValue?.first { $0["class_name"] == "Concatenate" })
        let node = cat["inbound_nodes"]?.arrayValue?.first
        let args = node?["args"]?.arrayValue?.first?.arrayValue?.map { $0["config"]?["keras_history"] }
        XCTAssertEqual(args, [[.string(halves.name), 0, 1], [.string(halves.name), 1, 1]])
        let back = try modelFromJSON(model.toJSON(), customObjects: ["Halves": .layer(Halves.fromConfig)])
        try back.setWeights(model.getWeights())
        assertClose(try back.predict([x]), got, "reloaded two-call graph")
    }

    func testAFunctionalConfigNamingAMissingOutputIsRefused() throws {
        Halves.register()
        let text = try XCTUnwrap(try loadFixture("graph/two_output.json")["json"]?.stringValue)
        let bad = text.replacingOccurrences(of: "[\"halves\", 0, 1]", with: "[\"halves\", 0, 2]")
        XCTAssertThrowsError(try modelFromJSON(bad)) { XCTAssertTrue("\($0)".contains("halves"), "\($0)") }
    }
}
