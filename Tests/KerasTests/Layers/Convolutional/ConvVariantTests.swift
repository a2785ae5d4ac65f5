import XCTest
@testable import Keras

/// Transposed, depthwise and separable convolutions against real Keras
/// (scripts/make_conv_variant_fixtures.py → Fixtures/conv), Keras's transposed output-shape
/// rules, gradients against finite differences, aliases, the catalogue and bad input.
final class ConvVariantTests: XCTestCase {
    func testTransposedConvolutionsMatchKeras() throws {
        for name in [
            "conv2d_transpose_valid", "conv2d_transpose_same_strides_relu", "conv2d_transpose_output_padding",
            "conv2d_transpose_same_output_padding_tanh", "conv2d_transpose_dilation_channels_first",
            "conv2d_transpose_stride_over_kernel", "conv1d_transpose_same_even", "conv1d_transpose_output_padding_sigmoid",
            "conv1d_transpose_same_output_padding_zero", "conv3d_transpose_same", "conv3d_transpose_channels_first",
        ] {
            try ConvTests.assertFixture(name)
        }
    }

    func testDepthwiseAndSeparableConvolutionsMatchKeras() throws {
        for name in [
            "depthwise_conv2d_valid", "depthwise_conv2d_same_multiplier_relu", "depthwise_conv2d_dilation_channels_first",
            "depthwise_conv1d_same", "separable_conv2d_valid", "separable_conv2d_same_strides_tanh",
            "separable_conv2d_dilation_channels_first", "separable_conv1d_same_relu", "separable_conv1d_strides",
        ] {
            try ConvTests.assertFixture(name)
        }
    }

    /// `keras.ops.conv_transpose` over a grid of lengths, kernels, strides, dilations, paddings and
    /// output paddings: the op's shape and values and the layer's computed output shape.
    func testTransposeGridMatchesKeras() throws {
        let cases = try XCTUnwrap(try loadFixture("conv/conv_transpose_grid.json")["cases"]?.arrayValue)
        XCTAssertGreaterThan(cases.count, 250)
        for c in cases {
            let k = c["k"]?.intValue ?? 0, s = c["s"]?.intValue ?? 0, d = c["d"]?.intValue ?? 0
            let padding = try ConvPadding.named(c["padding"]?.stringValue ?? "", "grid")
            let op = c["output_padding"]?.intValue
            let x = try fixtureTensor(c["x"]), kernel = try fixtureTensor(c["kernel"]), want = try fixtureTensor(c["y"])
            let label = "n \(x.shape[1]) k \(k) s \(s) d \(d) \(padding) output_padding \(op.map(String.init) ?? "None")"
            let y = try Ops.convTranspose(x, kernel: kernel, bias: nil, strides: [s], padding: padding,
                                          outputPadding: op.map { [$0] }, dilation: [d])
            XCTAssertEqual(y.shape, want.shape, label)
            XCTAssertTrue(y.isClose(to: want, atol: 1e-5), label)
            let layer = try Conv1DTranspose(2, kernelSize: [k], strides: [s], padding: padding,
                                            outputPadding: op.map { [$0] }, dilationRate: [d])
            XCTAssertEqual(try layer.computeOutputShape([nil, x.shape[1], 2]), [nil, want.shape[1], 2], label)
        }
    }

    func testSwiftConstructedLayersWriteKerasConfigs() throws {
        let transposed = try Conv2DTranspose(4, kernelSize: [3, 2], strides: [2], padding: .same, activation: .relu,
                                             name: "conv2d_transpose_same_strides_relu")
        let depthwise = try DepthwiseConv2D(kernelSize: [3, 2], strides: [2], padding: .same, depthMultiplier: 2,
                                            activation: .relu, name: "depthwise_conv2d_same_multiplier_relu")
        let separable = try SeparableConv1D(filters: 4, kernelSize: [3], padding: .same, depthMultiplier: 3,
                                            activation: .relu, name: "separable_conv1d_same_relu")
        for layer in [transposed, depthwise, separable] as [Layer] {
            let f = try LayerFixture(layer.name, family: "conv")
            f.assertConfigMatches(layer)
            try f.assertLayerMatches(layer)
        }
        XCTAssertEqual(transposed.kernel?.value.shape, [3, 2, 4, 2])
        XCTAssertEqual(depthwise.weights.map(\.name), ["kernel", "bias"])
        XCTAssertEqual(depthwise.depthwiseKernel?.value.shape, [3, 2, 2, 2])
        XCTAssertEqual(separable.weights.map(\.name), ["depthwise_kernel", "pointwise_kernel", "bias"])
        XCTAssertEqual(separable.pointwiseKernel?.value.shape, [1, 6, 4])
    }

    func testAliasesAndCatalogue() throws {
        for (alias, cls) in [("Convolution1DTranspose", "Conv1DTranspose"), ("Convolution2DTranspose", "Conv2DTranspose"),
                             ("Convolution3DTranspose", "Conv3DTranspose"), ("SeparableConvolution1D", "SeparableConv1D"),
                             ("SeparableConvolution2D", "SeparableConv2D"), ("DepthwiseConv2D", "DepthwiseConv2D")] {
            let config: JSON = cls.hasPrefix("Depthwise") ? ["kernel_size": 3] : ["filters": 2, "kernel_size": 3]
            XCTAssertEqual(try deserializeLayer(["class_name": .string(alias), "config": config]).className, cls)
        }
        let catalogue = ObjectRegistry.layerCatalogue
        func names(_ cls: String) -> [String] {
            catalogue[cls]?["args"]?.arrayValue?.prefix(7).compactMap { $0["name"]?.stringValue } ?? []
        }
        XCTAssertEqual(names("Conv2DTranspose"), ["filters", "kernel_size", "strides", "padding", "output_padding",
                                                  "data_format", "dilation_rate"])
        XCTAssertEqual(names("DepthwiseConv1D"), ["kernel_size", "strides", "padding", "depth_multiplier", "data_format",
                                                  "dilation_rate", "activation"])
        XCTAssertEqual(names("SeparableConv2D"), ["filters", "kernel_size", "strides", "padding", "data_format",
                                                  "dilation_rate", "depth_multiplier"])
        XCTAssertNil(catalogue["Conv2DTranspose"]?["args"]?.arrayValue?.first { $0["name"] == "groups" })
    }

    func testGradients() throws {
        let cases: [(Layer, [Int])] = [
            (try Conv2DTranspose(3, kernelSize: [3, 2], strides: [2], padding: .same, activation: .tanh), [2, 3, 2, 2]),
            (try Conv2DTranspose(2, kernelSize: [3], strides: [2, 3], outputPadding: [1, 2]), [1, 2, 2, 3]),
            (try Conv1DTranspose(2, kernelSize: [4], padding: .same, dataFormat: .channelsFirst, dilationRate: [2]), [2, 3, 4]),
            (try Conv3DTranspose(2, kernelSize: [2], strides: [1, 2, 1], padding: .same, activation: .sigmoid), [1, 2, 2, 3, 2]),
            (try DepthwiseConv2D(kernelSize: [3], strides: [2], padding: .same, depthMultiplier: 2, activation: .tanh), [2, 5, 4, 2]),
            (try DepthwiseConv1D(kernelSize: [2], dataFormat: .channelsFirst, dilationRate: [2]), [2, 3, 6]),
            (try SeparableConv2D(filters: 3, kernelSize: [2, 3], padding: .same, depthMultiplier: 2), [2, 4, 4, 2]),
            (try SeparableConv1D(filters: 2, kernelSize: [3], strides: [2], activation: .sigmoid), [2, 7, 3]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            try GradientCheck.check(layer: layer, input: GradientCheck.random(shape, seed: UInt64(80 + i)))
        }
    }

    func testBadArgumentsAndInputsNameLayerAndArgument() throws {
        func expect(_ text: String, _ body: () throws -> Any) {
            XCTAssertThrowsError(try body()) { XCTAssertTrue("\($0)".contains(text), "wanted '\(text)' in \($0)") }
        }
        expect("Conv2DTranspose(filters") { try Conv2DTranspose(0, kernelSize: [3]) }
        expect("Conv2DTranspose(kernel_size") { try Conv2DTranspose(2, kernelSize: [0]) }
        expect("Conv2DTranspose(output_padding") { try Conv2DTranspose(2, kernelSize: [3], strides: [2], outputPadding: [2]) }
        expect("Conv1DTranspose(output_padding") { try Conv1DTranspose(2, kernelSize: [3], outputPadding: [-1]) }
        expect("Conv2D(output_padding") { try Conv2D(2, kernelSize: [3], outputPadding: [0]) }
        expect("Conv1DTranspose(padding") { try Conv1DTranspose(2, kernelSize: [3], padding: .causal) }
        expect("Conv2DTranspose(groups") { try Conv2DTranspose(2, kernelSize: [3], groups: 2) }
        expect("dilation_rate") { try Conv3DTranspose(2, kernelSize: [3], strides: [2], dilationRate: [2]) }
        expect("rank 4") { try Sequential([InputLayer(shape: [5, 5]), Conv2DTranspose(2, kernelSize: [3])]) }
        expect("no output") { try Sequential([InputLayer(shape: [1, 3]), Conv1DTranspose(2, kernelSize: [2], padding: .same, outputPadding: [0])]) }
        expect("DepthwiseConv2D(depth_multiplier") { try DepthwiseConv2D(kernelSize: [3], depthMultiplier: 0) }
        expect("DepthwiseConv2D(filters") { try DepthwiseConv2D(filters: 3, kernelSize: [3]) }
        expect("SeparableConv2D(filters") { try SeparableConv2D(kernelSize: [3]) }
        expect("SeparableConv1D(kernel_size") { try SeparableConv1D(filters: 2, kernelSize: [3, 3]) }
        expect("DepthwiseConv1D(padding") { try DepthwiseConv1D(kernelSize: [2], padding: .causal) }
        expect("DepthwiseConv2D") { try Sequential([InputLayer(shape: [2, 2, 1]), DepthwiseConv2D(kernelSize: [3])]) }
        expect("rank 3") { try Sequential([InputLayer(shape: [5, 5, 2]), SeparableConv1D(filters: 2, kernelSize: [3])]) }
        let built = try SeparableConv2D(filters: 2, kernelSize: [3])
        _ = try built(Tensor(shape: [1, 4, 4, 2]))
        expect("rank 4") { try built(Tensor(shape: [4, 4, 2])) }
        expect("channels") { try built(Tensor(shape: [1, 4, 4, 3])) }
        expect("filters") { try deserializeLayer(["class_name": "SeparableConv2D", "config": ["kernel_size": 3]]) }
        let huge = try Conv1DTranspose(1, kernelSize: [2], strides: [1 << 40])
        expect("memory budget") { try huge(Tensor(shape: [1, 3, 1])) }
        expect("Conv1DTranspose") { try Conv1DTranspose(1, kernelSize: [2], strides: [Int.max / 2])(Tensor(shape: [1, 3, 1])) }
        expect("output_padding") {
            try deserializeLayer(["class_name": "Conv2DTranspose", "config": ["filters": 2, "kernel_size": 3, "output_padding": [1, 1]]])
        }
    }
}
