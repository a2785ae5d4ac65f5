import XCTest
@testable import Keras

/// The protobuf writer and the ONNX messages it encodes, against the bytes Python's `onnx`
/// package (protobuf's own serializer) writes for the same messages.
final class ONNXProtoTests: XCTestCase {
    func testWriterEncodesProtobufWireFormat() {
        var w = ProtobufWriter()
        w.int(1, 150)                     // the protobuf documentation's example: 08 96 01
        w.string(2, "testing")
        w.float(2, 1)
        w.int(3, -1)                      // int64 -1: ten bytes
        w.message(4) { $0.int(1, 300) }
        XCTAssertEqual(w.bytes, [0x08, 0x96, 0x01,
                                 0x12, 0x07] + Array("testing".utf8) +
                                [0x15, 0x00, 0x00, 0x80, 0x3f,
                                 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                                 0x22, 0x03, 0x08, 0xac, 0x02])
    }

    /// The bytes of this script (onnx 1.23):
    /// ```python
    /// node = helper.make_node("Gemm", ["x", "w"], ["y"], name="n", alpha=0.5, transB=1, perm=[1, 0],
    ///                         mode="edge", scales=[1.5, -2.0], acts=["Tanh", "Relu"])
    /// w: TensorProto name "w", FLOAT, dims [1, 2], raw_data float32 [1, -2]
    /// s: TensorProto name "s", INT64, dims [2], raw_data int64 [-1, 3]
    /// x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])
    /// y: ValueInfoProto "y", FLOAT, dims [dim_param "batch", dim_value 1, unknown]
    /// graph "g" = (node, initializers [w, s], input x, output y); ModelProto ir_version 8,
    /// producer "swiftkeras" "0.1.0", opset_import ("", 17); m.SerializeToString().hex()
    /// ```
    func testModelProtoMatchesOnnxSerialization() {
        let node = ONNXNode("Gemm", inputs: ["x", "w"], outputs: ["y"], name: "n", attributes: [
            ("acts", .strings(["Tanh", "Relu"])), ("alpha", .float(0.5)), ("mode", .string("edge")),
            ("perm", .ints([1, 0])), ("scales", .floats([1.5, -2])), ("transB", .int(1)),
        ])
        let proto = ONNXModelProto(
            irVersion: 8, opsetVersion: 17, producerName: "swiftkeras", producerVersion: "0.1.0", graphName: "g",
            nodes: [node],
            initializers: [ONNXTensor(name: "w", dims: [1, 2], floats: [1, -2]), ONNXTensor(name: "s", dims: [2], int64s: [-1, 3])],
            inputs: [ONNXValueInfo(name: "x", elementType: .float, shape: [.parameter("batch"), .value(2)])],
            outputs: [ONNXValueInfo(name: "y", elementType: .float, shape: [.parameter("batch"), .value(1), .unknown])])
        let expected = "0808120a73776966746b657261731a05302e312e303aec010a80010a01780a01771201791a016e220447656d6d2a150a04616374734a0454616e684a0452656c75a001082a0f0a05616c706861150000003fa001012a0f0a046d6f6465220465646765a001032a0d0a047065726d40014000a001072a150a067363616c65733d0000c03f3d000000c0a001062a0d0a067472616e73421801a001021201672a130801080210014201774a080000803f000000c02a19080210074201734a10ffffffffffffffff03000000000000005a180a017812130a110801120d0a07120562617463680a020802621a0a017912150a130801120f0a07120562617463680a0208010a0042040a001011"
        XCTAssertEqual(proto.serialized().map { String(format: "%02x", $0) }.joined(), expected)
    }

    func testExportRefusesUnbuiltModelsAndUnknownOpsets() throws {
        let model = try Sequential([Dense(2)])
        XCTAssertThrowsError(try model.onnxModelProto()) { error in
            XCTAssertTrue("\(error)".contains("has not yet been built"), "\(error)")
        }
        let built = try Sequential([InputLayer(shape: [3]), Dense(2)])
        XCTAssertThrowsError(try built.onnxModelProto(opsetVersion: 30)) { error in
            XCTAssertTrue("\(error)".contains("opset_version 30"), "\(error)")
        }
        let proto = try built.onnxModelProto()
        XCTAssertEqual(proto.opsetVersion, 17)
        XCTAssertEqual(proto.outputs.map(\.name), ["output_0"])
        XCTAssertEqual(proto.inputs.first?.shape.first, .parameter("batch"))
    }
}
