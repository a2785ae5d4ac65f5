#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Protocol-buffer wire encoding, by hand, for the few messages an event file holds
/// (`Event`, `Summary`, `SummaryMetadata`, `TensorProto`): proto3 rules, default scalars left out.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// An integer field (int32, int64, enum); zero is the default and is left out.
    mutating func int(_ field: Int, _ value: Int) {
        guard value != 0 else { return }
        key(field, 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    /// A `double` field (fixed 64 bits, little-endian).
    mutating func double(_ field: Int, _ value: Double) {
        guard value != 0 else { return }
        key(field, 1)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A `bytes` or `string` field, or an embedded message; `always` writes it even when empty
    /// (a set sub-message with no fields, as TensorFlow writes a scalar's `tensor_shape {}`).
    mutating func data(_ field: Int, _ value: [UInt8], always: Bool = false) {
        guard always || !value.isEmpty else { return }
        key(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) { data(field, Array(value.utf8)) }

    mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var m = ProtoWriter()
        build(&m)
        data(field, m.bytes, always: true)
    }
}

/// The summaries TensorBoard's plugins read, written as TensorFlow 2's `tf.summary` writes them:
/// a `Summary.Value` with a tensor and the plugin's metadata.
enum SummaryValue {
    /// `tf.summary.scalar`: a float32 scalar tensor, plugin `scalars`.
    case scalar(tag: String, value: Float)
    /// `tf.summary.histogram`: a float64 `[k, 3]` tensor of `[left, right, count]`, plugin `histograms`.
    case histogram(tag: String, buckets: [Double])
    /// `keras_model_summary`: the model's JSON as a string scalar, plugin `graph_keras_model`.
    case kerasModel(tag: String, json: String)
    /// `tf.summary.image`: `[width, height, png...]` as strings, plugin `images`.
    case images(tag: String, width: Int, height: Int, pngs: [[UInt8]])

    /// TensorFlow's `DataType` numbers.
    private static let dtFloat = 1, dtDouble = 2, dtString = 7

    /// The tag, the plugin's name and the plugin's content (its version, as TensorBoard writes it).
    private var header: (String, String, [UInt8]) {
        switch self {
        case .scalar(let t, _): return (t, "scalars", [])
        case .histogram(let t, _): return (t, "histograms", [])
        case .kerasModel(let t, _): return (t, "graph_keras_model", Array("1".utf8))
        case .images(let t, _, _, _): return (t, "images", [])
        }
    }

    /// The encoded `Summary.Value`.
    func encode(into w: inout ProtoWriter) {
        let (tag, plugin, content) = header
        w.string(1, tag)
        w.message(9) { meta in
            meta.message(1) { pluginData in
                pluginData.string(1, plugin)
                pluginData.data(2, content)
            }
        }
        w.message(8) { tensor in
            switch self {
            case .scalar(_, let v):
                tensor.int(1, Self.dtFloat)
                tensor.message(2) { _ in }
                withUnsafeBytes(of: v.bitPattern.littleEndian) { tensor.data(4, Array($0), always: true) }
            case .histogram(_, let b):
                tensor.int(1, Self.dtDouble)
                tensor.message(2) { shape in
                    for d in [b.count / 3, 3] { shape.message(2) { $0.int(1, d) } }
                }
                var raw: [UInt8] = []
                raw.reserveCapacity(b.count * 8)
                for x in b { withUnsafeBytes(of: x.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
                tensor.data(4, raw)
            case .kerasModel(_, let json):
                tensor.int(1, Self.dtString)
                tensor.message(2) { _ in }
                tensor.data(8, Array(json.utf8), always: true)
            case .images(_, let width, let height, let pngs):
                tensor.int(1, Self.dtString)
                tensor.message(2) { shape in shape.message(2) { $0.int(1, pngs.count + 2) } }
                for s in [Array(String(width).utf8), Array(String(height).utf8)] + pngs { tensor.data(8, s, always: true) }
            }
        }
    }
}

/// The buckets of `tf.summary.histogram` (TensorBoard's `_buckets`): `count` equal-width buckets
/// from the minimum to the maximum, each `[left, right, count]`, the last one closed; all edges at
/// the value when every value is equal; zeros when there is no data.
func histogramBuckets(_ values: [Float], count: Int = 30) -> [Double] {
    guard count > 0 else { return [] }
    guard let lo = values.min().map({ Double($0) }), let hi = values.max().map({ Double($0) }) else {
        return Array(repeating: 0, count: count * 3)
    }
    var out = [Double](repeating: 0, count: count * 3)
    let range = hi - lo
    if range == 0 {
        for i in 0..<count { out[3 * i] = hi; out[3 * i + 1] = hi }
        out[3 * count - 1] = Double(values.count)
        return out
    }
    let width = range / Double(count)
    var counts = [Double](repeating: 0, count: count)
    for v in values {
        let i = Int(((Double(v) - lo) / width).rounded(.down))
        counts[Swift.max(0, Swift.min(i, count - 1))] += 1
    }
    let step = range / Double(count)
    for i in 0..<count {
        out[3 * i] = lo + step * Double(i)
        out[3 * i + 1] = i == count - 1 ? hi : lo + step * Double(i + 1)
        out[3 * i + 2] = counts[i]
    }
    return out
}

/// A reflected CRC-32 by table: IEEE's (PNG, zip) or Castagnoli's (TFRecord).
struct CRC32 {
    static let ieee = CRC32(polynomial: 0xEDB8_8320)
    static let castagnoli = CRC32(polynomial: 0x82F6_3B78)
    private let table: [UInt32]

    init(polynomial: UInt32) {
        table = (0..<256).map { n in
            var c = UInt32(n)
            for _ in 0..<8 { c = c & 1 != 0 ? polynomial ^ (c >> 1) : c >> 1 }
            return c
        }
    }

    func checksum(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// CRC-32C (Castagnoli), masked as TFRecord files store it.
enum CRC32C {
    static func checksum(_ data: [UInt8]) -> UInt32 { CRC32.castagnoli.checksum(data) }

    /// TFRecord's mask: rotate right by 15 bits and add a constant.
    static func masked(_ data: [UInt8]) -> UInt32 {
        let c = checksum(data)
        return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    }
}

/// One `events.out.tfevents.*` file of TFRecords holding `Event` protobufs, as TensorFlow 2's
/// `tf.summary.create_file_writer(logdir)` writes it: the name carries the time, host, process
/// and a counter with the `.v2` suffix; the first event is `file_version: "brain.Event:2"`.
final class EventFileWriter {
    let path: String
    private var file: UnsafeMutablePointer<FILE>?
    /// Numbers the files this process opens, as TensorFlow's global counter does.
    private static let counter = Atomic<Int>(0)

    /// Creates the folder and the file, and writes the version event.
    init(directory: String) throws {
        let seconds = Int(wallTime())
        var host = [CChar](repeating: 0, count: 256)
        if gethostname(&host, host.count - 1) != 0 { host = Array("localhost".utf8CString) }
        let n = Self.counter.add(1, ordering: .relaxed).oldValue
        let secondsText = String(seconds), pad = String(repeating: "0", count: Swift.max(0, 10 - secondsText.count))
        path = "\(directory)/events.out.tfevents.\(pad)\(secondsText).\(String(cString: host)).\(getpid()).\(n).v2"
        try makeParentDirectories(of: path)
        guard let f = fopen(path, "wb") else {
            throw KerasError.io("TensorBoard: cannot create the event file '\(path)': \(String(cString: strerror(errno)))")
        }
        file = f
        try write { e in
            e.double(1, wallTime())
            e.string(3, "brain.Event:2")
        }
    }

    deinit { close() }

    /// Writes an `Event` with `wall_time`, `step` and a `summary` of `values`.
    func write(step: Int, _ values: [SummaryValue]) throws {
        guard !values.isEmpty else { return }
        try write { e in
            e.double(1, wallTime())
            e.int(2, step)
            e.message(5) { summary in
                for v in values { summary.message(1) { v.encode(into: &$0) } }
            }
        }
    }

    /// One TFRecord: length, masked CRC of the length, the data, masked CRC of the data.
    private func write(_ event: (inout ProtoWriter) -> Void) throws {
        guard let file else { throw KerasError.invalidState("TensorBoard: the event file '\(path)' is closed") }
        var e = ProtoWriter()
        event(&e)
        var record: [UInt8] = []
        let length = withUnsafeBytes(of: UInt64(e.bytes.count).littleEndian) { Array($0) }
        record += length
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { record += $0 }
        record += e.bytes
        withUnsafeBytes(of: CRC32C.masked(e.bytes).littleEndian) { record += $0 }
        guard fwrite(record, 1, record.count, file) == record.count else {
            throw KerasError.io("TensorBoard: cannot write to '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    func flush() { if let file { fflush(file) } }

    func close() {
        if let file { fclose(file) }
        file = nil
    }
}

/// Seconds since the epoch, with microseconds.
func wallTime() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
