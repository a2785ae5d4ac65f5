/// The parts of ONNX's `onnx.proto` that an exported model uses, with their field numbers, and
/// their protobuf encoding (``ProtobufWriter``).

/// `TensorProto.DataType`.
public enum ONNXDataType: Int, Sendable {
    case float = 1, int32 = 6, int64 = 7, bool = 9

    /// The ONNX type of a Keras dtype name that an exported model can take as input.
    static func named(_ dtype: String) -> ONNXDataType? {
        switch dtype {
        case "float32": return .float
        case "int32": return .int32
        case "int64": return .int64
        default: return nil
        }
    }
}

/// A `NodeProto` attribute value (`AttributeProto` with its `type`).
public enum ONNXAttributeValue: Equatable, Sendable {
    case int(Int), float(Float), string(String), ints([Int]), floats([Float]), strings([String])
}

/// `NodeProto`: one operator call.
public struct ONNXNode: Sendable {
    public var opType: String
    public var inputs: [String]
    public var outputs: [String]
    public var name: String
    public var attributes: [(String, ONNXAttributeValue)]

    public init(_ opType: String, inputs: [String], outputs: [String], name: String,
                attributes: [(String, ONNXAttributeValue)] = []) {
        self.opType = opType
        self.inputs = inputs
        self.outputs = outputs
        self.name = name
        self.attributes = attributes
    }
}

/// `TensorProto` with its values in `raw_data` (little-endian).
public struct ONNXTensor: Sendable {
    public var name: String
    public var dims: [Int]
    public var dataType: ONNXDataType
    public var rawData: [UInt8]

    public init(name: String, dims: [Int], floats: [Float]) {
        self.name = name
        self.dims = dims
        dataType = .float
        rawData = []
        rawData.reserveCapacity(floats.count * 4)
        for f in floats { appendLittleEndian(UInt64(f.bitPattern), bytes: 4) }
    }

    public init(name: String, dims: [Int], int64s: [Int]) {
        self.name = name
        self.dims = dims
        dataType = .int64
        rawData = []
        rawData.reserveCapacity(int64s.count * 8)
        for v in int64s { appendLittleEndian(UInt64(bitPattern: Int64(v)), bytes: 8) }
    }

    private mutating func appendLittleEndian(_ v: UInt64, bytes: Int) {
        for i in 0..<bytes { rawData.append(UInt8((v >> UInt64(8 * i)) & 0xff)) }
    }
}

/// One dimension of a `TensorShapeProto`: a number, a symbolic name, or unknown.
public enum ONNXDimension: Equatable, Sendable {
    case value(Int), parameter(String), unknown
}

/// `ValueInfoProto` of a tensor: a graph's input or output.
public struct ONNXValueInfo: Sendable {
    public var name: String
    public var elementType: ONNXDataType
    public var shape: [ONNXDimension]

    public init(name: String, elementType: ONNXDataType, shape: [ONNXDimension]) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }
}

/// `ModelProto` holding one `GraphProto`.
public struct ONNXModelProto: Sendable {
    public var irVersion: Int
    public var opsetVersion: Int
    public var producerName: String
    public var producerVersion: String
    public var graphName: String
    public var nodes: [ONNXNode]
    public var initializers: [ONNXTensor]
    public var inputs: [ONNXValueInfo]
    public var outputs: [ONNXValueInfo]

    public init(irVersion: Int, opsetVersion: Int, producerName: String, producerVersion: String, graphName: String,
                nodes: [ONNXNode], initializers: [ONNXTensor], inputs: [ONNXValueInfo], outputs: [ONNXValueInfo]) {
        self.irVersion = irVersion
        self.opsetVersion = opsetVersion
        self.producerName = producerName
        self.producerVersion = producerVersion
        self.graphName = graphName
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The serialized `ModelProto`: what an `.onnx` file holds.
    public func serialized() -> [UInt8] {
        var w = ProtobufWriter()
        w.int(1, irVersion)                                  // ir_version
        w.string(2, producerName)                            // producer_name
        w.string(3, producerVersion)                         // producer_version
        w.message(7) { g in writeGraph(&g) }                 // graph
        w.message(8) { o in o.string(1, ""); o.int(2, opsetVersion) }   // opset_import (default domain)
        return w.bytes
    }

    private func writeGraph(_ g: inout ProtobufWriter) {
        for n in nodes { g.message(1) { Self.writeNode(n, &$0) } }          // node
        g.string(2, graphName)                                               // name
        for t in initializers { g.message(5) { Self.writeTensor(t, &$0) } } // initializer
        for v in inputs { g.message(11) { Self.writeValueInfo(v, &$0) } }   // input
        for v in outputs { g.message(12) { Self.writeValueInfo(v, &$0) } }  // output
    }

    static func writeNode(_ n: ONNXNode, _ w: inout ProtobufWriter) {
        for i in n.inputs { w.string(1, i) }
        for o in n.outputs { w.string(2, o) }
        w.string(3, n.name)
        w.string(4, n.opType)
        for (name, value) in n.attributes { w.message(5) { writeAttribute(name, value, &$0) } }
    }

    /// `AttributeProto`: name (1), f (2), i (3), s (4), floats (7), ints (8), strings (9), type (20).
    static func writeAttribute(_ name: String, _ value: ONNXAttributeValue, _ w: inout ProtobufWriter) {
        w.string(1, name)
        switch value {
        case .float(let f): w.float(2, f); w.int(20, 1)
        case .int(let i): w.int(3, i); w.int(20, 2)
        case .string(let s): w.string(4, s); w.int(20, 3)
        case .floats(let fs): for f in fs { w.float(7, f) }; w.int(20, 6)
        case .ints(let xs): for x in xs { w.int(8, x) }; w.int(20, 7)
        case .strings(let ss): for s in ss { w.string(9, s) }; w.int(20, 8)
        }
    }

    /// `TensorProto`: dims (1), data_type (2), name (8), raw_data (9).
    static func writeTensor(_ t: ONNXTensor, _ w: inout ProtobufWriter) {
        for d in t.dims { w.int(1, d) }
        w.int(2, t.dataType.rawValue)
        w.string(8, t.name)
        w.bytes(9, t.rawData)
    }

    /// `ValueInfoProto` { name (1), type (2): `TypeProto` { tensor_type (1): { elem_type (1),
    /// shape (2): `TensorShapeProto` { dim (1): { dim_value (1) | dim_param (2) } } } } }.
    static func writeValueInfo(_ v: ONNXValueInfo, _ w: inout ProtobufWriter) {
        w.string(1, v.name)
        w.message(2) { type in
            type.message(1) { tensor in
                tensor.int(1, v.elementType.rawValue)
                tensor.message(2) { shape in
                    for d in v.shape {
                        shape.message(1) { dim in
                            switch d {
                            case .value(let n): dim.int(1, n)
                            case .parameter(let p): dim.string(2, p)
                            case .unknown: break
                            }
                        }
                    }
                }
            }
        }
    }
}
