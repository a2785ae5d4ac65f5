import XCTest
@testable import Keras

/// Max, average and global poolings of every rank against real Keras, their gradients, aliases
/// and bad input.
final class PoolingTests: XCTestCase {
    func testPoolingsMatchKeras() throws {
        for name in [
            "maxpool2d_valid", "maxpool2d_same_strides", "maxpool2d_channels_first", "avgpool2d_same",
            "avgpool2d_valid_strides", "maxpool1d_same", "avgpool1d_valid", "maxpool3d_valid", "avgpool3d_same",
            "global_max2d", "global_avg2d_keepdims", "global_avg2d_channels_first", "global_max1d_keepdims",
            "global_avg1d", "global_max3d", "global_avg3d_channels_first",
        ] {
            try ConvTests.assertFixture(name)
        }
    }

    func testAliasesAndDefaults() throws {
        for (alias, cls) in [("MaxPool2D", "MaxPooling2D"), ("AvgPool2D", "AveragePooling2D"), ("MaxPool1D", "MaxPooling1D"),
                             ("AvgPool3D", "AveragePooling3D"), ("GlobalAvgPool2D", "GlobalAveragePooling2D"),
                             ("GlobalMaxPool2D", "GlobalMaxPooling2D"), ("GlobalMaxPool3D", "GlobalMaxPooling3D")] {
            let config: JSON = cls.hasPrefix("Average") ? ["pool_size": 2] : [:]
            XCTAssertEqual(try deserializeLayer(["class_name": .string(alias), "config": config]).className, cls)
        }
        let pool = try MaxPooling2D()
        XCTAssertEqual(pool.getConfig()["strides"], [2, 2])
        XCTAssertEqual(try pool.computeOutputShape([nil, 5, 7, 3]), [nil, 2, 3, 3])
        let catalogue = ObjectRegistry.layerCatalogue
        XCTAssertEqual(catalogue["AveragePooling2D"]?["args"]?.arrayValue?.first?["required"], true)
        XCTAssertEqual(catalogue["MaxPooling2D"]?["args"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" },
                       ["pool_size", "strides", "padding", "data_format"])
    }

    func testPoolingGradients() throws {
        let cases: [(Layer, [Int])] = [
            (try MaxPooling2D(poolSize: [3], strides: [2], padding: .same), [2, 5, 6, 3]),
            (try AveragePooling2D(poolSize: [3], strides: [2], padding: .same), [2, 5, 6, 3]),
            (try MaxPooling1D(poolSize: [2], dataFormat: .channelsFirst), [2, 3, 6]),
            (try AveragePooling3D(poolSize: [2], padding: .same), [1, 3, 3, 2, 2]),
            (GlobalMaxPooling2D(keepdims: true), [2, 3, 4, 2]),
            (GlobalAveragePooling1D(), [2, 5, 3]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            try GradientCheck.check(layer: layer, input: GradientCheck.distinct(shape, seed: UInt64(60 + i)))
        }
    }

    func testBadPoolingInput() throws {
        func expect(_ text: String, _ body: () throws -> Any) {
            XCTAssertThrowsError(try body()) { XCTAssertTrue("\($0)".contains(text), "wanted '\(text)' in \($0)") }
        }
        expect("pool_size") { try MaxPooling2D(poolSize: [0]) }
        expect("causal") { try AveragePooling1D(poolSize: [2], padding: .causal) }
        expect("MaxPooling2D") { try Sequential([InputLayer(shape: [1, 4, 2]), MaxPooling2D()]) }
        expect("rank 5") { try GlobalMaxPooling3D()(Tensor(shape: [2, 3, 4, 2])) }
        expect("pool_size") { try deserializeLayer(["class_name": "AveragePooling2D", "config": [:]]) }
    }
}
