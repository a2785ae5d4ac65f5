import XCTest
@testable import Keras

final class ScalarOperationTests: XCTestCase {
    /// What Keras 3 writes for `x = inp + 3.0; x = 2.0 - x; x = x * 0.5; x = x / 4.0;
    /// x = 8.0 / x; x = x - 1` (`model.to_json()`), and its prediction for [[1, 2, 3]].
    static let kerasJSON = #"{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "functional", "trainable": true, "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null, "name": "input_layer", "inbound_nodes": []}, {"module": "keras.src.ops.numpy", "class_name": "Add", "config": {"name": "add"}, "registered_name": "Add", "name": "add", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}, 3.0], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Subtract", "config": {"name": "subtract"}, "registered_name": "Subtract", "name": "subtract", "inbound_nodes": [{"args": [2.0, {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["add", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply"}, "registered_name": "Multiply", "name": "multiply", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["subtract", 0, 0]}}, 0.5], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "TrueDivide", "config": {"name": "true_divide"}, "registered_name": "TrueDivide", "name": "true_divide", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["multiply", 0, 0]}}, 4.0], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "TrueDivide", "config": {"name": "true_divide_1"}, "registered_name": "TrueDivide", "name": "true_divide_1", "inbound_nodes": [{"args": [8.0, {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["true_divide", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Subtract", "config": {"name": "subtract_1"}, "registered_name": "Subtract", "name": "subtract_1", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["true_divide_1", 0, 0]}}, 1], "kwargs": {}}]}], "input_layers": ["input_layer", 0, 0], "output_layers": ["subtract_1", 0, 0]}, "registered_name": "Functional", "build_config": {"input_shape": null}, "compile_config": {}}"#
    static let kerasPrediction: [Float] = [-33.0, -22.33333396911621, -17.0]

    /// Keras's operation nodes read from its JSON compute as Keras does, are written back as
    /// Keras wrote them (an integer stays one) and are listed in the summary under their class.
    func testKerasOperationNodesRoundTrip() throws {
        clearSession()
        let model = try modelFromJSON(Self.kerasJSON)
        let y = try model.predict(try Tensor(shape: [1, 3], scalars: [1, 2, 3]))
        XCTAssertTrue(y.isClose(to: try Tensor(shape: [1, 3], scalars: Self.kerasPrediction), atol: 1e-5), "\(y)")
        XCTAssertEqual(try JSONParser.parse(model.toJSON()), try JSONParser.parse(Self.kerasJSON))
        XCTAssertEqual(model.layers.map(\.className), ["InputLayer", "Add", "Subtract", "Multiply", "TrueDivide", "TrueDivide", "Subtract"])
        XCTAssertTrue(model.summaryText().contains("true_divide_1 (TrueDivide)"))
    }

    func testScalarOperationGradients() throws {
        let x = GradientCheck.random([3, 4], in: 0.5...2, seed: 92)
        for op in ScalarOperation.Operator.allCases {
            for first in [false, true] {
                try GradientCheck.check(layer: ScalarOperation(op, constant: 1.5, constantFirst: first), input: x)
            }
        }
    }

    /// A node that is not one tensor and one number is refused, naming the operation.
    func testOperationNodeNeedsOneTensorAndOneNumber() throws {
        let text = Self.kerasJSON.replacingOccurrences(of: #"}}, 0.5], "kwargs""#, with: #"}}, "half"], "kwargs""#)
        XCTAssertThrowsError(try modelFromJSON(text)) {
            XCTAssertTrue("\($0)".contains("operation Multiply 'multiply' must be called on one tensor and one number"), "\($0)")
        }
        XCTAssertThrowsError(try ScalarOperation(.add).callEager([Tensor(shape: [1, 2])])) {
            XCTAssertTrue("\($0)".contains("has no number"), "\($0)")
        }
    }
}
