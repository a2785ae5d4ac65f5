/// Hashes strings and integers into `numBins` bins as Keras does through TensorFlow: the
/// value's string (integers in decimal, floats truncated to integers first) hashed by FarmHash
/// `Fingerprint64` (no salt) or by SipHash-2-4 keyed by `salt`, modulo the bins; with
/// `maskValue` bin 0 is the mask's and the rest hash into `numBins - 1` bins.
/// Keras: `keras.layers.Hashing`.
///
/// ```swift
/// let hashing = try Hashing(numBins: 3)
/// try hashing(Tensor(strings: ["A", "B", "C", "D", "E"], shape: [5, 1]))   // Keras's [[1], [0], [1], [1], [2]]
/// ```
public final class Hashing: Layer, @unchecked Sendable {
    /// A `mask_value`: an integer or a string. Keras: `mask_value`.
    public enum MaskValue: Equatable, Sendable {
        case int(Int)
        case string(String)
        var json: JSON {
            switch self {
            case .int(let i): return .int(i)
            case .string(let s): return .string(s)
            }
        }
    }

    public let numBins: Int
    public let maskValue: MaskValue?
    /// SipHash's key (Keras writes an integer salt `s` as `[s, s]`); nil for FarmHash.
    public let salt: [UInt64]?
    public let outputMode: CategoricalOutputMode

    public init(numBins: Int, maskValue: MaskValue? = nil, salt: [Int]? = nil, outputMode: String = "int",
                sparse: Bool = false, name: String? = nil) throws {
        guard numBins > 0 else {
            throw KerasError.invalidArgument("Hashing: num_bins must be positive, got \(numBins)")
        }
        guard !sparse else { throw KerasError.invalidArgument("Hashing: sparse=True is not supported (dense outputs only)") }
        self.numBins = numBins
        self.maskValue = maskValue
        self.salt = try Self.saltKey(salt, layer: "Hashing")
        self.outputMode = try .named(outputMode, layer: "Hashing", allowed: [.int, .oneHot, .multiHot, .count])
        super.init(name: name)
    }

    /// A salt of one or two non-negative integers as SipHash's two-word key.
    static func saltKey(_ salt: [Int]?, layer: String) throws -> [UInt64]? {
        guard let salt else { return nil }
        guard salt.count == 1 || salt.count == 2, salt.allSatisfy({ $0 >= 0 }) else {
            throw KerasError.invalidArgument("\(layer): salt must be a non-negative integer or a pair of them, got \(salt)")
        }
        return [UInt64(salt[0]), UInt64(salt[salt.count - 1])]
    }

    /// `salt` from a config: null, an integer or a list of two.
    static func saltConfig(_ c: LayerConfig) throws -> [Int]? {
        guard let v = c["salt"] else { return nil }
        if let i = v.intValue { return [i] }
        guard let a = v.arrayValue?.compactMap(\.intValue), a.count == 2 else {
            throw KerasError.io("\(c.className) config: 'salt' must be an integer or a list of two, got \(v)")
        }
        return a
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        let bins = maskValue != nil && numBins > 1 ? numBins - 1 : numBins
        let shift = bins == numBins ? 0 : 1
        let out = Tensor.uninitialized(x.shape)
        let p = x.data, o = out.data
        for i in 0..<x.count {
            let text: String
            if let s = StringValues.decode(p[i]) {
                if shift == 1, maskValue == .string(s) { o[i] = 0; continue }
                text = s
            } else {
                guard p[i].isFinite, abs(p[i]) < 9.2e18 else {
                    throw KerasError.invalidData("Hashing '\(name)': inputs must be strings or integers, got \(p[i])")
                }
                let v = Int(p[i])
                if shift == 1, p[i] == p[i].rounded(), maskValue == .int(v) { o[i] = 0; continue }
                text = String(v)
            }
            o[i] = Float(KerasHash.bucket(Array(text.utf8), bins, salt: salt) + shift)
        }
        return try encodeCategorical(out, mode: outputMode, depth: numBins, layer: "Hashing '\(name)'", argument: "num_bins")
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        outputMode.outputShape(inputShape, depth: numBins)
    }

    /// Keras's config, with the `int64` dtype policy Keras gives the `int` output mode.
    public override func getConfig() -> JSON {
        var c = super.getConfig()
        if outputMode == .int {
            c.set("dtype", ["module": "keras", "class_name": "DTypePolicy", "config": ["name": "int64"], "registered_name": nil])
        }
        return c
    }
}

extension Hashing: IntegerOutputLayer {}

extension Hashing: DeclaredLayer {
    /// Keras: `Hashing(num_bins, mask_value=None, salt=None, output_mode="int", sparse=False)`.
    public static let declaration = LayerDeclaration(Hashing.self, constructorOrder: [
        "num_bins", "mask_value", "salt", "output_mode", "sparse",
    ], arguments: [
        .required("num_bins", \.numBins),
        .optional("salt", default: nil) { l in l.salt.map { .array($0.map { .int(Int(truncatingIfNeeded: $0)) }) } ?? .null },
        .optional("mask_value", default: nil) { $0.maskValue?.json ?? .null },
        .optional("output_mode", \.outputMode, default: .int),
        .optional("sparse", default: false) { _ in .bool(false) },
    ]) { c in
        let mask: MaskValue? = try c["mask_value"].map { v in
            if let s = v.stringValue { return .string(s) }
            guard let i = v.intValue else { throw KerasError.io("Hashing config: 'mask_value' must be an integer or a string, got \(v)") }
            return .int(i)
        }
        return try Hashing(numBins: c.int("num_bins"), maskValue: mask, salt: saltConfig(c), outputMode: c.string("output_mode"),
                           sparse: c.bool("sparse", default: false), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(Hashing.self, $0) }

/// A layer whose config may carry an integer dtype policy (`int64`), as Keras gives layers
/// that output integer indices (`Hashing` in `int` mode); it still computes in float32.
protocol IntegerOutputLayer: Layer {}
