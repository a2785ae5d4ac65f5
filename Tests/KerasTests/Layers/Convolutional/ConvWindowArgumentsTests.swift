import XCTest
@testable import Keras

/// The window arguments the convolution families share (``ConvWindowArguments``): the same
/// checks and the same messages, naming the class and the argument, from BaseConv,
/// BaseDepthwiseConv and ConvLSTM.
final class ConvWindowArgumentsTests: XCTestCase {
    private func message(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testMessagesAreTheSameAcrossFamilies() throws {
        let cases: [(String, () throws -> Any)] = [
            ("Conv2D(filters: 0): filters must be positive", { try Conv2D(0, kernelSize: [3]) }),
            ("ConvLSTM2D(filters: 0): filters must be positive", { try ConvLSTM2D(0, kernelSize: [3]) }),
            ("Conv2D(kernel_size: [3, 3, 3]): expects one positive integer or 2 positive integers", { try Conv2D(2, kernelSize: [3, 3, 3]) }),
            ("SeparableConv1D(kernel_size: [3, 3]): expects one positive integer or 1 positive integers",
             { try SeparableConv1D(filters: 2, kernelSize: [3, 3]) }),
            ("ConvLSTM3D(strides: [0]): expects one positive integer or 3 positive integers", { try ConvLSTM3D(2, kernelSize: [3], strides: [0]) }),
            ("DepthwiseConv2D(dilation_rate: [1, 0]): expects one positive integer or 2 positive integers",
             { try DepthwiseConv2D(kernelSize: [3], dilationRate: [1, 0]) }),
            ("Conv2D(strides: [2], dilation_rate: [2]): strides > 1 cannot be combined with dilation_rate > 1",
             { try Conv2D(2, kernelSize: [3], strides: [2], dilationRate: [2]) }),
            ("ConvLSTM1D(strides: [2], dilation_rate: [2]): strides > 1 cannot be combined with dilation_rate > 1",
             { try ConvLSTM1D(2, kernelSize: [3], strides: [2], dilationRate: [2]) }),
            ("Conv2D(padding: \"causal\"): causal padding is only for Conv1D", { try Conv2D(2, kernelSize: [3], padding: .causal) }),
            ("Conv1DTranspose(padding: \"causal\"): causal padding is only for Conv1D",
             { try Conv1DTranspose(2, kernelSize: [3], padding: .causal) }),
            ("DepthwiseConv1D(padding: \"causal\"): padding must be \"valid\" or \"same\"",
             { try DepthwiseConv1D(kernelSize: [2], padding: .causal) }),
            ("ConvLSTM1D(padding: \"causal\"): padding must be \"valid\" or \"same\"", { try ConvLSTM1D(2, kernelSize: [2], padding: .causal) }),
            // The first failing check wins, in each family's order.
            ("Conv2D(groups: 0): groups must be positive and divide filters (2)",
             { try Conv2D(2, kernelSize: [3], strides: [2], dilationRate: [2], groups: 0) }),
            ("DepthwiseConv2D(depth_multiplier: 0): depth_multiplier must be positive",
             { try DepthwiseConv2D(kernelSize: [3], padding: .causal, depthMultiplier: 0) }),
        ]
        for (expected, body) in cases { XCTAssertEqual(message(body), expected) }
    }

    func testNormalisedTuplesAndAcceptedPadding() throws {
        let conv = try Conv1D(2, kernelSize: [3], padding: .causal, dilationRate: [2])
        XCTAssertEqual([conv.kernelSize, conv.strides, conv.dilationRate], [[3], [1], [2]])
        let depthwise = try DepthwiseConv2D(kernelSize: [3, 2], strides: [2])
        XCTAssertEqual([depthwise.kernelSize, depthwise.strides, depthwise.dilationRate], [[3, 2], [2, 2], [1, 1]])
        // Keras's depthwise layers do not refuse strides with dilation; neither do these.
        XCTAssertEqual(try DepthwiseConv1D(kernelSize: [2], strides: [2], dilationRate: [2]).strides, [2])
        let lstm = try ConvLSTM3D(2, kernelSize: [1, 2, 3], dilationRate: [2])
        XCTAssertEqual([lstm.kernelSize, lstm.strides, lstm.dilationRate], [[1, 2, 3], [1, 1, 1], [2, 2, 2]])
    }
}
