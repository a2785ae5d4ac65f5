import XCTest
@testable import Keras

/// The tape gradients of Conv2D, Conv2DTranspose, SeparableConv2D and DepthwiseConv2D (inputs and
/// weights) equal `jax.grad` of real Keras on `scripts/make_conv_lstm_fixtures.py`'s `*_grad` fixtures.
final class ConvJaxGradientTests: XCTestCase {
    func testGradientsMatchJaxGradOfKeras() throws {
        for name in ["conv2d_grad", "conv2d_transpose_grad", "separable_conv2d_grad", "depthwise_conv2d_grad"] {
            let fixture = try LayerFixture(name, family: "conv")
            let layer = try deserializeLayer(["class_name": try XCTUnwrap(fixture.json["class_name"]), "config": fixture.config])
            _ = try layer.callEager(try fixture.inputs)
            try fixture.loadWeights(into: [layer])
            assertClose([try layer.callEager(try fixture.inputs)], try fixture.outputs, "\(name) outputs")
            fixture.assertConfigMatches(layer)
            try fixture.assertGradientsMatch(layer)
        }
    }
}
