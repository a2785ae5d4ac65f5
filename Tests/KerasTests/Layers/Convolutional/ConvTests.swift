import XCTest
@testable import Keras

/// Conv1D/2D/3D against real Keras (scripts/make_conv_fixtures.py → Fixtures/conv), gradients
/// against finite differences, aliases and bad input.
final class ConvTests: XCTestCase {
    static let convFixtures = [
        "conv2d_valid", "conv2d_same_strides_relu", "conv2d_dilation_tanh", "conv2d_groups_nobias",
        "conv2d_channels_first", "conv2d_softmax", "conv1d_causal", "conv1d_same_strides", "conv3d_same",
        "conv3d_channels_first",
    ]

    /// A layer rebuilt from a fixture's Keras config gives Keras's output and writes Keras's config.
    static func assertFixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try LayerFixture(name, family: "conv")
        let layer = try deserializeLayer(["class_name": f.json["class_name"] ?? .null, "config": f.config])
        try f.assertLayerMatches(layer, file: file, line: line)
        f.assertConfigMatches(layer, file: file, line: line)
    }

    func testConvolutionsMatchKeras() throws {
        for name in Self.convFixtures { try Self.assertFixture(name) }
    }

    func testSwiftConstructedConv2DWritesKerasConfig() throws {
        let f = try LayerFixture("conv2d_same_strides_relu", family: "conv")
        let layer = try Conv2D(5, kernelSize: [3, 2], strides: [2], padding: .same, activation: .relu,
                               name: "conv2d_same_strides_relu")
        f.assertConfigMatches(layer)
        try f.assertLayerMatches(layer)
        XCTAssertEqual(layer.kernel?.value.shape, [3, 2, 2, 5])
    }

    func testAliasesLoadAndConstruct() throws {
        for (alias, cls) in [("Convolution2D", "Conv2D"), ("Convolution1D", "Conv1D"), ("Convolution3D", "Conv3D")] {
            let layer = try deserializeLayer(["class_name": .string(alias), "config": ["filters": 2, "kernel_size": 3]])
            XCTAssertEqual(layer.className, cls)
            XCTAssertEqual(layer.getConfig()["kernel_size"], .array(Array(repeating: 3, count: (layer as? BaseConv).map { type(of: $0).spatialRank } ?? 0)))
        }
        let catalogue = ObjectRegistry.layerCatalogue
        for name in ["Conv2D", "Convolution2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D"] {
            XCTAssertNotNil(catalogue[name], name)
        }
        XCTAssertEqual(catalogue["Conv2D"]?["args"]?.arrayValue?.prefix(3).compactMap { $0["name"]?.stringValue },
                       ["filters", "kernel_size", "strides"])
    }

    func testConvGradients() throws {
        let cases: [(BaseConv, [Int])] = [
            (try Conv2D(3, kernelSize: [3, 2], strides: [2], padding: .same, activation: .tanh), [2, 5, 6, 2]),
            (try Conv2D(4, kernelSize: [3], padding: .valid, dilationRate: [2]), [1, 6, 7, 3]),
            (try Conv2D(4, kernelSize: [2], groups: 2, activation: .sigmoid), [2, 4, 4, 4]),
            (try Conv2D(2, kernelSize: [3], padding: .same, dataFormat: .channelsFirst), [2, 3, 4, 5]),
            (try Conv1D(3, kernelSize: [3], padding: .causal, dilationRate: [2]), [2, 7, 2]),
            (try Conv3D(2, kernelSize: [2], strides: [1, 2, 1], padding: .same), [1, 3, 4, 3, 2]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            try GradientCheck.check(layer: layer, input: GradientCheck.random(shape, seed: UInt64(40 + i)))
        }
    }

    func testBadArgumentsAndInputsNameLayerAndArgument() throws {
        func expect(_ text: String, _ body: () throws -> Any) {
            XCTAssertThrowsError(try body()) { XCTAssertTrue("\($0)".contains(text), "wanted '\(text)' in \($0)") }
        }
        expect("filters") { try Conv2D(0, kernelSize: [3]) }
        expect("kernel_size") { try Conv2D(2, kernelSize: [-1, 3]) }
        expect("kernel_size") { try Conv2D(2, kernelSize: [3, 3, 3]) }
        expect("strides") { try Conv2D(2, kernelSize: [3], strides: [0]) }
        expect("groups") { try Conv2D(3, kernelSize: [3], groups: 2) }
        expect("causal") { try Conv2D(2, kernelSize: [3], padding: .causal) }
        expect("dilation_rate") { try Conv2D(2, kernelSize: [3], strides: [2], dilationRate: [2]) }
        expect("Conv2D") { try Sequential([InputLayer(shape: [2, 2, 1]), Conv2D(2, kernelSize: [3])]) }
        expect("rank 4") { try Sequential([InputLayer(shape: [5, 5]), Conv2D(2, kernelSize: [3])]) }
        expect("groups") { try Sequential([InputLayer(shape: [5, 5, 3]), Conv2D(2, kernelSize: [3], groups: 2)]) }
        let built = try Conv2D(2, kernelSize: [3])
        _ = try built(Tensor(shape: [1, 4, 4, 1]))
        expect("rank 4") { try built(Tensor(shape: [4, 4, 1])) }
        expect("larger") { try built(Tensor(shape: [1, 2, 4, 1])) }
        expect("padding") { try deserializeLayer(["class_name": "Conv2D", "config": ["filters": 2, "kernel_size": 3, "padding": "full"]]) }
    }
}
