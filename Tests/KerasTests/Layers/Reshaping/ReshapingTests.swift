import XCTest
@testable import Keras

/// ZeroPadding, Cropping and UpSampling of every rank against real Keras: outputs, configs,
/// gradients and bad input.
final class ReshapingTests: XCTestCase {
    static let fixtures = [
        "zeropad1d_default", "zeropad1d_pair_cf", "zeropad2d_int", "zeropad2d_tuple", "zeropad2d_pairs_cf",
        "zeropad3d_mixed", "zeropad3d_cf", "crop1d_default", "crop1d_end", "crop2d_pairs", "crop2d_int_cf",
        "crop2d_tuple", "crop3d_default", "crop3d_pairs_cf", "upsample1d", "upsample2d_nearest",
        "upsample2d_nearest_cf", "upsample2d_bilinear", "upsample2d_bilinear_odd", "upsample2d_bilinear_cf",
        "upsample2d_bicubic", "upsample2d_lanczos3_cf", "upsample2d_lanczos5",
        "upsample3d", "upsample3d_cf", "spatial_dropout1d", "spatial_dropout2d_cf", "spatial_dropout3d",
    ]

    /// Loads the layer from Keras's config, compares its inference output and its config.
    static func assertFixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try LayerFixture(name, family: "reshaping")
        let layer = try deserializeLayer(["class_name": f.json["class_name"] ?? .null, "config": f.config])
        try f.assertLayerMatches(layer, file: file, line: line)
        f.assertConfigMatches(layer, file: file, line: line)
        let input = try XCTUnwrap(f.inputs.first, file: file, line: line)
        let expected = try XCTUnwrap(f.outputs.first, file: file, line: line)
        XCTAssertEqual(try layer.computeOutputShape([nil] + input.shape.dropFirst().map { $0 }),
                       [nil] + expected.shape.dropFirst().map { $0 }, "\(name): computeOutputShape", file: file, line: line)
    }

    func testLayersMatchKeras() throws {
        for name in Self.fixtures { try Self.assertFixture(name) }
    }

    func testSwiftConstructedLayersWriteKerasConfigs() throws {
        let cases: [(String, Layer)] = [
            ("zeropad1d_pair_cf", try ZeroPadding1D(padding: [[1, 3]], dataFormat: .channelsFirst, name: "zeropad1d_pair_cf")),
            ("zeropad2d_tuple", try ZeroPadding2D(padding: [[1], [2]], name: "zeropad2d_tuple")),
            ("zeropad3d_mixed", try ZeroPadding3D(padding: [[0, 1], [2], [1, 0]], name: "zeropad3d_mixed")),
            ("crop1d_end", try Cropping1D(cropping: [[0, 2]], name: "crop1d_end")),
            ("crop2d_pairs", try Cropping2D(cropping: [[1, 2], [0, 1]], name: "crop2d_pairs")),
            ("crop3d_default", try Cropping3D(name: "crop3d_default")),
            ("upsample1d", try UpSampling1D(size: [3], name: "upsample1d")),
            ("upsample2d_bilinear_odd", try UpSampling2D(size: [3, 5], interpolation: .bilinear, name: "upsample2d_bilinear_odd")),
            ("upsample3d", try UpSampling3D(size: [1, 2, 3], name: "upsample3d")),
            ("spatial_dropout2d_cf", try SpatialDropout2D(0.25, dataFormat: .channelsFirst, seed: 7, name: "spatial_dropout2d_cf")),
        ]
        for (name, layer) in cases {
            let f = try LayerFixture(name, family: "reshaping")
            f.assertConfigMatches(layer)
            try f.assertLayerMatches(layer)
        }
        XCTAssertEqual(try Cropping2D().cropping, [[0, 0], [0, 0]], "Keras's Cropping2D crops nothing by default")
        XCTAssertEqual(try ZeroPadding2D().getConfig()["padding"], [[1, 1], [1, 1]])
    }

    func testCatalogueListsKerasArguments() throws {
        let layers = try XCTUnwrap(Catalogue.json["layers"])
        func names(_ cls: String) -> [String] { layers[cls]?["args"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" } ?? [] }
        XCTAssertEqual(names("ZeroPadding1D"), ["padding", "data_format"])
        XCTAssertEqual(names("Cropping1D"), ["cropping"])
        XCTAssertEqual(names("Cropping3D"), ["cropping", "data_format"])
        XCTAssertEqual(names("UpSampling1D"), ["size"])
        XCTAssertEqual(names("UpSampling2D"), ["size", "data_format", "interpolation"])
        XCTAssertEqual(names("SpatialDropout1D"), ["rate", "seed"])
        XCTAssertEqual(names("SpatialDropout3D"), ["rate", "data_format", "seed"])
        XCTAssertEqual(layers["SpatialDropout2D"]?["args"]?.arrayValue?.first?["required"], true)
    }

    func testGradients() throws {
        let cases: [(Layer, [Int])] = [
            (try ZeroPadding1D(padding: [[2, 1]]), [2, 3, 2]),
            (try ZeroPadding2D(padding: [[1, 0], [2, 1]], dataFormat: .channelsFirst), [2, 2, 3, 2]),
            (try ZeroPadding3D(padding: [[1]]), [1, 2, 2, 1, 2]),
            (try Cropping1D(cropping: [[1, 2]]), [2, 6, 2]),
            (try Cropping2D(cropping: [[1, 0], [0, 2]]), [2, 3, 4, 2]),
            (try Cropping3D(cropping: [[0, 1], [1, 0], [1, 1]], dataFormat: .channelsFirst), [1, 2, 3, 3, 4]),
            (try UpSampling1D(size: [3]), [2, 3, 2]),
            (try UpSampling2D(size: [2, 3]), [1, 2, 3, 2]),
            (try UpSampling2D(size: [3, 2], interpolation: .bilinear), [2, 3, 2, 2]),
            (try UpSampling2D(size: [2], dataFormat: .channelsFirst, interpolation: .bilinear), [1, 2, 3, 3]),
            (try UpSampling2D(size: [2, 3], interpolation: .bicubic), [1, 3, 2, 2]),
            (try UpSampling2D(size: [2], interpolation: .lanczos3), [1, 3, 3, 1]),
            (try UpSampling3D(size: [2, 1, 2], dataFormat: .channelsFirst), [1, 2, 2, 2, 1]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            try GradientCheck.check(layer: layer, input: GradientCheck.random(shape, seed: UInt64(120 + i)))
        }
    }

    func testOpsAgainstHandNumbers() throws {
        let x = try Tensor(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4])
        // jax.image.resize(x, (1, 4, 4, 1), "bilinear"): half-pixel centres, clamped borders.
        XCTAssertEqual(try Ops.resize(x, size: [4, 4], interpolation: .bilinear).scalars,
                       [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4])
        // jax's nearest: floor((i + 0.5) · 2 / 3) = 0, 1, 1.
        XCTAssertEqual(try Ops.resize(x, size: [2, 3], interpolation: .nearest).scalars, [1, 2, 2, 3, 4, 4])
        XCTAssertEqual(try Ops.repeat(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), 2, axis: 0).scalars, [1, 2, 1, 2, 3, 4, 3, 4])
        XCTAssertEqual(try Ops.pad(Tensor(shape: [1, 2], scalars: [5, 6]), [(0, 1), (1, 0)]).scalars, [0, 5, 6, 0, 0, 0])
        XCTAssertEqual(try Ops.slice(Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), start: [1, 1], shape: [1, 2]).scalars, [5, 6])
        XCTAssertEqual(try RepeatVector(2)(Tensor(shape: [1, 2], scalars: [7, 8])).scalars, [7, 8, 7, 8])
    }

    func testResizeMatchesKerasImageResize() throws {
        let f = try loadFixture("reshaping/resize_ops.json")
        for c in f["cases"]?.arrayValue ?? [] {
            let name = c["interpolation"]?.stringValue ?? ""
            let x = try fixtureTensor(c["input"]), want = try fixtureTensor(c["output"])
            let size = (c["size"]?.arrayValue ?? []).compactMap(\.intValue)
            let y = try Ops.resize(x, size: size, interpolation: try ResizeInterpolation.named(name, "fixture"))
            XCTAssertEqual(y.shape, want.shape, name)
            XCTAssertTrue(y.isClose(to: want, atol: 1e-5, rtol: 1e-5), "\(name): \(y) vs \(want)")
            try GradientCheck.check([x], "resize \(name)") { xs in try Ops.resize(xs[0], size: size, interpolation: .named(name, "")) }
        }
        XCTAssertEqual(f["cases"]?.arrayValue?.count, 5)
    }

    func testBadInputNamesLayerAndArgument() throws {
        func expect(_ texts: [String], _ body: () throws -> Any) {
            XCTAssertThrowsError(try body()) { e in
                for t in texts { XCTAssertTrue("\(e)".contains(t), "wanted '\(t)' in \(e)") }
            }
        }
        expect(["Cropping2D", "cropping", "5 on spatial axis 0"]) {
            try Cropping2D(cropping: [[3, 2], [0, 0]])(Tensor(shape: [1, 5, 6, 1]))
        }
        expect(["Cropping1D", "cropping"]) { try Sequential([InputLayer(shape: [3, 2]), Cropping1D(cropping: [[2, 1]])]) }
        expect(["Cropping3D(cropping:"]) { try Cropping3D(cropping: [[1, 2], [1]]) }
        expect(["ZeroPadding2D(padding:", "non-negative"]) { try ZeroPadding2D(padding: [[-1]]) }
        expect(["ZeroPadding1D", "rank 3"]) { try ZeroPadding1D()(Tensor(shape: [2, 3, 4, 1])) }
        expect(["UpSampling2D(size:"]) { try UpSampling2D(size: [0, 2]) }
        expect(["UpSampling3D(interpolation:"]) { try UpSampling3D(interpolation: .bilinear) }
        expect(["UpSampling2D config", "'area'", "lanczos5"]) {   // (kept by Keras's constructor; refused when built)
            try deserializeLayer(["class_name": "UpSampling2D", "config": ["interpolation": "area"]])(Tensor(shape: [1, 2, 2, 1]))
        }
        expect(["ZeroPadding3D config", "padding"]) {
            try deserializeLayer(["class_name": "ZeroPadding3D", "config": ["padding": "wide"]])
        }
        expect(["Cropping2D config", "cropping"]) {
            try deserializeLayer(["class_name": "Cropping2D", "config": ["cropping": [[1, 2, 3], 1]]])
        }
        expect(["SpatialDropout2D(rate: 1.5)"]) { try SpatialDropout2D(1.5) }
        expect(["SpatialDropout3D", "rank 5"]) { try SpatialDropout3D(0.5)(Tensor(shape: [2, 3, 4, 1])) }
        expect(["repeat", "memory budget"]) { try UpSampling1D(size: [1 << 40])(Tensor(shape: [1, 2, 1])) }
        expect(["pad", "memory budget"]) { try ZeroPadding2D(padding: [[1 << 20]])(Tensor(shape: [1, 1, 1, 1])) }
        expect(["resize", "memory budget"]) {
            try UpSampling2D(size: [1, 1 << 40], interpolation: .bilinear)(Tensor(shape: [1, 2, 2, 1]))
        }
        expect(["slice"]) { try Ops.slice(Tensor(shape: [2, 3]), start: [1, 2], shape: [1, 2]) }
        expect(["pad"]) { try Ops.pad(Tensor(shape: [2]), [(1, -1)]) }
        expect(["resize"]) { try Ops.resize(Tensor(shape: [1, 2, 2, 1]), size: [0, 2], interpolation: .nearest) }
    }
}
