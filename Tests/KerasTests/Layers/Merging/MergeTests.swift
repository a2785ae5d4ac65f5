import XCTest
@testable import Keras

final class MergeTests: XCTestCase {
    private let layers: [(String, () -> Merge)] = [
        ("add", { Add(name: "add") }), ("subtract", { Subtract(name: "subtract") }),
        ("multiply", { Multiply(name: "multiply") }), ("average", { Average(name: "average") }),
        ("maximum", { Maximum(name: "maximum") }), ("minimum", { Minimum(name: "minimum") }),
        ("add_broadcast", { Add(name: "add_broadcast") }),
    ]

    func testMergeLayersMatchKeras() throws {
        for (name, make) in layers {
            let fixture = try LayerFixture("merging/\(name)")
            let layer = make()
            try fixture.assertLayerMatches(layer)
            fixture.assertConfigMatches(layer)
            XCTAssertEqual(layer.declaration?.className, fixture.json["class_name"]?.stringValue)
        }
    }

    func testMasksAsKeras() throws {
        let fixture = try LayerFixture("merging/masked")
        let xs = try fixture.inputs
        let masking = Masking()
        let masks = try xs.map { try masking.computeMask($0, mask: nil) }
        let merges: [Merge] = [Add(), Multiply(), Maximum(), Minimum(), Average()]
        let expectedMasks = try XCTUnwrap(fixture.json["output_masks"]?.arrayValue).map(LayerFixture.tensor)
        for (i, m) in merges.enumerated() {
            let (outs, outMasks) = try m.callMultiple(xs, masks: masks)
            XCTAssertTrue(outs[0].isClose(to: try fixture.outputs[i]), "\(m.className): \(outs[0])")
            XCTAssertEqual(try XCTUnwrap(outMasks?[0]).scalars, expectedMasks[i].scalars, m.className)
        }
        // One input masked, the other not: Maximum keeps the unmasked value, Multiply counts 1.
        XCTAssertTrue(try Maximum().callMultiple(xs, masks: [masks[0], nil]).outputs[0].isClose(to: try fixture.outputs[5]))
        let half = try Multiply().callMultiple(xs, masks: [nil, masks[1]])
        XCTAssertTrue(half.outputs[0].isClose(to: try fixture.outputs[6]))
        XCTAssertNil(half.masks, "no output mask when an input has none")
    }

    func testGradients() throws {
        let all = GradientCheck.distinct([18], seed: 40).scalars   // no ties between the inputs
        let xs = try (0..<3).map { try Tensor(shape: [2, 3], scalars: Array(all[($0 * 6)..<($0 * 6 + 6)])) }
        for (name, make) in layers where name != "subtract" && name != "add_broadcast" {
            let layer = make()
            try GradientCheck.check(xs, name) { try layer($0) }
        }
        let sub = Subtract()
        try GradientCheck.check(Array(xs.prefix(2)), "subtract") { try sub($0) }
        let broadcast = Multiply()
        try GradientCheck.check([GradientCheck.random([2, 3, 4], seed: 5), GradientCheck.random([2, 4], seed: 6)], "broadcast") { try broadcast($0) }
        let masks = [try Tensor(shape: [2], scalars: [1, 0]), try Tensor(shape: [2], scalars: [0, 1])]
        for layer in [Maximum(), Multiply()] as [Merge] {
            try GradientCheck.check(Array(xs.prefix(2)), "masked \(layer.className)") { try layer.callMultiple($0, masks: masks).outputs[0] }
        }
    }

    func testShapesAndFunctionalForms() throws {
        let a = Input(shape: [3, 4]), b = Input(shape: [4]), c = Input(shape: [1, 4])
        XCTAssertEqual(try add([a, b, c]).shape, [nil, 3, 4])
        XCTAssertEqual(try maximum([a, a], name: "mx").shape, [nil, 3, 4])
        XCTAssertEqual(try concatenate([b, b]).shape, [nil, 8])
        let x = Tensor([[1, 2], [3, 4]]), y = Tensor([[5, 6], [7, 9]])
        XCTAssertEqual(try subtract([x, y]).scalars, [-4, -4, -4, -5])
        XCTAssertEqual(try multiply([x, y]).scalars, [5, 12, 21, 36])
        XCTAssertEqual(try average([x, y]).scalars, [3, 4, 5, 6.5])
        XCTAssertEqual(try minimum([x, y]).scalars, [1, 2, 3, 4])
    }

    func testBadInputsNameLayerAndShapes() {
        XCTAssertThrowsError(try Add(name: "sum")([Input(shape: [3]), Input(shape: [4])])) { e in
            XCTAssertTrue("\(e)".contains("Add 'sum'") && "\(e)".contains("(None, 3), (None, 4)"), "\(e)")
        }
        XCTAssertThrowsError(try Subtract(name: "d")([Input(shape: [3]), Input(shape: [3]), Input(shape: [3])])) { e in
            XCTAssertTrue("\(e)".contains("exactly 2 inputs, got 3"), "\(e)")
        }
        XCTAssertThrowsError(try Add()([Tensor(shape: [2, 3]), Tensor(shape: [3, 3])])) { e in
            XCTAssertTrue("\(e)".contains("different batch sizes"), "\(e)")
        }
    }

    func testMergeModelFromKerasAndRoundTrip() throws {
        let (inputs, outputs) = try SavingFixtures.expected("merge_functional")
        for ext in ["keras", "h5"] {
            let model = try loadModel(try SavingFixtures.path("merge_functional.\(ext)"))
            assertClose(try model.predict(inputs), outputs, "merge_functional.\(ext)")
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID().uuidString).\(ext)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            try model.fit(inputs, [Tensor(shape: [3, 1], repeating: 0.5)], epochs: 2, verbose: 0)
            let trained = try model.predict(inputs)
            try model.save(dir)
            assertClose(try loadModel(dir).predict(inputs), trained, "saved here as .\(ext)")
        }
    }
}
