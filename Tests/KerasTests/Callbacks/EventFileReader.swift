import Foundation
@testable import Keras

/// Reads `events.out.tfevents.*` files back for the tests: TFRecords with their masked CRC-32Cs
/// checked, and the protobuf fields of `Event`, `Summary.Value` and `TensorProto` decoded.
struct ReadEvent {
    var wallTime = 0.0
    var step = 0
    var fileVersion: String?
    var values: [ReadValue] = []
}

struct ReadValue {
    var tag = ""
    var plugin = ""
    var pluginContent: [UInt8] = []
    var dtype = 0
    var shape: [Int] = []
    var content: [UInt8] = []
    var stringBytes: [[UInt8]] = []
    var strings: [String] { stringBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// The tensor's numbers: float32 (dtype 1) or float64 (dtype 2) from `tensor_content`.
    var numbers: [Double] {
        let size = dtype == 2 ? 8 : 4
        return stride(from: 0, to: content.count, by: size).map { i in
            var bits: UInt64 = 0
            for j in 0..<size { bits |= UInt64(content[i + j]) << (8 * j) }
            return size == 8 ? Double(bitPattern: bits) : Double(Float(bitPattern: UInt32(bits)))
        }
    }
}

enum EventFileReader {
    struct Bad: Error, CustomStringConvertible { let description: String }

    /// Every event of a file, in order; throws on a bad length or data CRC.
    static func read(_ path: String) throws -> [ReadEvent] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var events: [ReadEvent] = []
        var i = 0
        while i < bytes.count {
            guard i + 12 <= bytes.count else { throw Bad(description: "truncated header at \(i)") }
            let lengthBytes = Array(bytes[i..<i + 8])
            let length = lengthBytes.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            guard u32(bytes, i + 8) == CRC32C.masked(lengthBytes) else { throw Bad(description: "length CRC at \(i)") }
            let start = i + 12, end = start + length
            guard end + 4 <= bytes.count else { throw Bad(description: "truncated record at \(i)") }
            let data = Array(bytes[start..<end])
            guard u32(bytes, end) == CRC32C.masked(data) else { throw Bad(description: "data CRC at \(i)") }
            events.append(try event(data))
            i = end + 4
        }
        return events
    }

    /// The events of the one event file in `directory`.
    static func readDirectory(_ directory: String) throws -> [ReadEvent] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("events.out.tfevents.") }
        guard names.count == 1, let name = names.first else { throw Bad(description: "\(directory) holds \(names)") }
        return try read(directory + "/" + name)
    }

    private static func u32(_ b: [UInt8], _ i: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[i + $1]) << (8 * $1) }
    }

    /// (field, wire type, number, bytes) of each field of a message.
    static func fields(_ b: [UInt8]) throws -> [(Int, Int, UInt64, [UInt8])] {
        var out: [(Int, Int, UInt64, [UInt8])] = []
        var i = 0
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < b.count else { throw Bad(description: "truncated varint") }
                let byte = b[i]; i += 1
                v |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return v }
                shift += 7
            }
        }
        while i < b.count {
            let key = try varint()
            let field = Int(key >> 3), wire = Int(key & 7)
            switch wire {
            case 0: out.append((field, wire, try varint(), []))
            case 1:
                let v = (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[i + $1]) << (8 * UInt64($1)) }
                i += 8
                out.append((field, wire, v, []))
            case 2:
                let n = Int(try varint())
                out.append((field, wire, 0, Array(b[i..<i + n])))
                i += n
            default: throw Bad(description: "wire type \(wire)")
            }
        }
        return out
    }

    private static func event(_ b: [UInt8]) throws -> ReadEvent {
        var e = ReadEvent()
        for (f, _, n, bytes) in try fields(b) {
            switch f {
            case 1: e.wallTime = Double(bitPattern: n)
            case 2: e.step = Int(n)
            case 3: e.fileVersion = String(decoding: bytes, as: UTF8.self)
            case 5: for (vf, _, _, vb) in try fields(bytes) where vf == 1 { e.values.append(try value(vb)) }
            default: break
            }
        }
        return e
    }

    private static func value(_ b: [UInt8]) throws -> ReadValue {
        var v = ReadValue()
        for (f, _, _, bytes) in try fields(b) {
            switch f {
            case 1: v.tag = String(decoding: bytes, as: UTF8.self)
            case 9:
                for (mf, _, _, mb) in try fields(bytes) where mf == 1 {
                    for (pf, _, _, pb) in try fields(mb) {
                        if pf == 1 { v.plugin = String(decoding: pb, as: UTF8.self) } else if pf == 2 { v.pluginContent = pb }
                    }
                }
            case 8:
                for (tf, _, tn, tb) in try fields(bytes) {
                    switch tf {
                    case 1: v.dtype = Int(tn)
                    case 2:
                        for (sf, _, _, sb) in try fields(tb) where sf == 2 {
                            v.shape.append(Int(try fields(sb).first { $0.0 == 1 }?.2 ?? 0))
                        }
                    case 4: v.content = tb
                    case 8: v.stringBytes.append(tb)
                    default: break
                    }
                }
            default: break
            }
        }
        return v
    }
}
