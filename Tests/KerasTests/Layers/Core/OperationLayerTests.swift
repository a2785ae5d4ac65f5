import XCTest
@testable import Keras

final class OperationLayerTests: XCTestCase {
    /// What Keras 3 writes for `x = Dense(4)(inp); x = x + 3.0; x = 8.0 - x; x = ReLU()(x);
    /// x = x * 0.5; x = ops.multiply(x, 2); x = x / 6; x = 8.0 / x; x = ops.subtract(x, 1)`
    /// (`model.to_json()`, the Dense's initializers constants), and its prediction for
    /// [[1, 2, 3], [-1, 0, 2]].
    static let kerasJSON = #"{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "functional", "trainable": true, "layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null, "name": "input_layer", "inbound_nodes": []}, {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "units": 4, "activation": "linear", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "Constant", "config": {"value": 0.25}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Constant", "config": {"value": 0.5}, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null}, "registered_name": null, "build_config": {"input_shape": [null, 3]}, "name": "dense", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Add", "config": {"name": "add"}, "registered_name": "Add", "name": "add", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["dense", 0, 0]}}, 3.0], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Subtract", "config": {"name": "subtract"}, "registered_name": "Subtract", "name": "subtract", "inbound_nodes": [{"args": [8.0, {"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["add", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.layers", "class_name": "ReLU", "config": {"name": "re_lu", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "max_value": null, "negative_slope": 0.0, "threshold": 0.0}, "registered_name": null, "name": "re_lu", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["subtract", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply"}, "registered_name": "Multiply", "name": "multiply", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["re_lu", 0, 0]}}, 0.5], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply_1"}, "registered_name": "Multiply", "name": "multiply_1", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["multiply", 0, 0]}}, 2], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "TrueDivide", "config": {"name": "true_divide"}, "registered_name": "TrueDivide", "name": "true_divide", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["multiply_1", 0, 0]}}, 6], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "TrueDivide", "config": {"name": "true_divide_1"}, "registered_name": "TrueDivide", "name": "true_divide_1", "inbound_nodes": [{"args": [8.0, {"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["true_divide", 0, 0]}}], "kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Subtract", "config": {"name": "subtract_1"}, "registered_name": "Subtract", "name": "subtract_1", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["true_divide_1", 0, 0]}}, 1], "kwargs": {}}]}], "input_layers": ["input_layer", 0, 0], "output_layers": ["subtract_1", 0, 0]}, "registered_name": "Functional", "build_config": {"input_shape": null}, "compile_config": {}}"#
    static let kerasPrediction: [Float] = [15, 15, 15, 15] + [Float](repeating: 10.294116973876953, count: 4)

    /// Keras's operation nodes of a tensor and a number, read from its JSON, compute as Keras
    /// does, are written back as Keras wrote them node by node (an integer stays one), are not
    /// in `model.layers` (Keras lists `input_layer, dense, re_lu`) and are listed in the summary
    /// in Keras's order (its `model._operations`).
    func testKerasOperationNodesRoundTrip() throws {
        clearSession()
        let model = try modelFromJSON(Self.kerasJSON)
        let y = try model.predict(try Tensor(shape: [2, 3], scalars: [1, 2, 3, -1, 0, 2]))
        XCTAssertTrue(y.isClose(to: try Tensor(shape: [2, 4], scalars: Self.kerasPrediction), atol: 1e-4), "\(y)")
        let expected = try JSONParser.parse(Self.kerasJSON)
        let written = try JSONParser.parse(model.toJSON())
        let layers = written["config"]?["layers"]?.arrayValue ?? []
        XCTAssertEqual(layers.count, 10)
        for (ours, keras) in zip(layers, expected["config"]?["layers"]?.arrayValue ?? []) {
            XCTAssertEqual(ours, keras)
        }
        XCTAssertEqual(written, expected)
        XCTAssertEqual(model.layers.map(\.name), ["input_layer", "dense", "re_lu"])
        XCTAssertEqual(model.summaryRows().map(\.layerName),
                       ["input_layer", "dense", "add", "subtract", "re_lu", "multiply", "multiply_1",
                        "true_divide", "true_divide_1", "subtract_1"])
        XCTAssertTrue(model.summaryText().contains("true_divide_1 (TrueDivide)"))
    }

    /// The Swift form of Keras's `8.0 / (x + 3.0)` writes Keras's nodes and computes it.
    func testOperationsOfATensorAndANumberInAFunctionalModel() throws {
        clearSession()
        let input = Input(shape: [2])
        let sum = try OperationLayer("Add", arguments: [nil, 3.0])(input)
        let model = try Model(inputs: [input], outputs: [try OperationLayer("TrueDivide", arguments: [8, nil])(sum)])
        let y = try model.predict(try Tensor(shape: [1, 2], scalars: [1, 5]))
        XCTAssertTrue(y.isClose(to: try Tensor(shape: [1, 2], scalars: [2, 1]), atol: 1e-6), "\(y)")
        let args = try JSONParser.parse(model.toJSON())["config"]?["layers"]?.arrayValue?.map {
            $0["inbound_nodes"]?.arrayValue?.first?["args"]?.arrayValue ?? []
        } ?? []
        XCTAssertEqual(args.count, 3)
        XCTAssertEqual(args.last?.first, 8)
        XCTAssertEqual(args.last?.last?["config"]?["keras_history"], ["add", 0, 0])
        XCTAssertEqual(args.dropLast().last?.last, 3.0)
        XCTAssertEqual(model.layers.count, 1)
    }

    /// Each operation of a tensor and a number, with the number second or first, has the
    /// gradient of its finite differences.
    func testOperationOfATensorAndANumberGradients() throws {
        let x = GradientCheck.random([3, 4], in: 0.5...2, seed: 92)
        for op in ["Add", "Subtract", "Multiply", "Divide", "TrueDivide"] {
            for arguments: [JSON?] in [[nil, 1.5], [1.5, nil]] {
                try GradientCheck.check(layer: OperationLayer(op, arguments: arguments), input: x)
            }
        }
    }

    /// A node whose number is not a number is refused, naming the operation; so is a second
    /// node of one operation with other numbers.
    func testOperationNodeArgumentsAreChecked() throws {
        let text = Self.kerasJSON.replacingOccurrences(of: #"}}, 0.5], "kwargs""#, with: #"}}, "half"], "kwargs""#)
        XCTAssertNotEqual(text, Self.kerasJSON)
        XCTAssertThrowsError(try modelFromJSON(text)) {
            XCTAssertTrue("\($0)".contains(#"Multiply 'multiply': an argument "half" is neither a tensor nor a number"#), "\($0)")
        }
        let node = #"{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["re_lu", 0, 0]}}, 0.5], "kwargs": {}}"#
        let twice = Self.kerasJSON.replacingOccurrences(of: "\(node)]", with: "\(node), \(node.replacingOccurrences(of: "0.5]", with: "0.25]"))]")
        XCTAssertNotEqual(twice, Self.kerasJSON)
        XCTAssertThrowsError(try modelFromJSON(twice)) {
            XCTAssertTrue("\($0)".contains("operation Multiply 'multiply' is called twice with different arguments"), "\($0)")
        }
    }
}
