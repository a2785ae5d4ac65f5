/// The protobuf wire format, written by hand for the few messages ``ONNXModelProto`` needs
/// (no protobuf package): varints, fixed 32-bit floats and length-delimited fields.
/// Field numbers are the caller's; repeated scalars are written one tag per element, the form
/// every proto2 and proto3 parser reads.
public struct ProtobufWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// The wire types this writer uses.
    enum WireType: UInt64 {
        case varint = 0, lengthDelimited = 2, fixed32 = 5
    }

    /// A base-128 varint; negative numbers as their 64-bit two's complement (ten bytes), as
    /// protobuf writes `int64` and `int32`.
    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func writeTag(_ field: Int, _ wire: WireType) {
        writeVarint(UInt64(field) << 3 | wire.rawValue)
    }

    /// An `int64`/`int32`/enum field.
    public mutating func int(_ field: Int, _ value: Int) {
        writeTag(field, .varint)
        writeVarint(UInt64(bitPattern: Int64(value)))
    }

    /// A `float` field (fixed 32 bits, little-endian).
    public mutating func float(_ field: Int, _ value: Float) {
        writeTag(field, .fixed32)
        let b = value.bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((b >> UInt32(shift)) & 0xff)) }
    }

    /// A `bytes` field.
    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `string` field (UTF-8).
    public mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// An embedded message field, written by `body` into a writer of its own.
    public mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        bytes(field, inner.bytes)
    }
}
