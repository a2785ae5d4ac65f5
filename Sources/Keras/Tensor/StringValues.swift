import Foundation

/// String tensors: each string is interned once per process and held in a float tensor as a
/// NaN whose payload is the string's id, so that string inputs travel through every float
/// path (models, batching, the C ABI, Python) unchanged and a layer can tell them from numbers.
/// Keras: a `tf.string` tensor (`keras.Input(shape=(1,), dtype="string")`).
///
/// ```swift
/// let x = try Tensor(strings: ["a", "b", "a"], shape: [3, 1])
/// try StringLookup(vocabulary: ["a", "b"])(x)   // [[1], [2], [1]]
/// ```
public enum StringValues {
    /// The quiet-NaN pattern of a string value; the low 22 bits hold `id + 1` (never 0, so the
    /// NaNs that arithmetic makes are never strings).
    static let tag: UInt32 = 0x7FC0_0000
    static let payloadMask: UInt32 = 0x003F_FFFF
    /// The most distinct strings a process can hold.
    public static let capacity = Int(payloadMask) - 1

    private static let lock = NSLock()
    nonisolated(unsafe) private static var ids: [String: UInt32] = [:]
    nonisolated(unsafe) private static var strings: [String] = []

    /// The float that stands for `s`. Throws once `capacity` distinct strings exist.
    public static func encode(_ s: String) throws -> Float {
        lock.lock()
        defer { lock.unlock() }
        if let id = ids[s] { return Float(bitPattern: tag | (id + 1)) }
        guard strings.count < capacity else {
            throw KerasError.invalidData("string tensors: this process has interned \(capacity) distinct strings, the most it can hold")
        }
        let id = UInt32(strings.count)
        strings.append(s)
        ids[s] = id
        return Float(bitPattern: tag | (id + 1))
    }

    /// The string `v` stands for, or nil when `v` is a number.
    public static func decode(_ v: Float) -> String? {
        let bits = v.bitPattern
        guard bits & ~payloadMask == tag, bits & payloadMask != 0 else { return nil }
        let id = Int(bits & payloadMask) - 1
        lock.lock()
        defer { lock.unlock() }
        return id < strings.count ? strings[id] : nil
    }

    /// Whether `v` is a string value (not a number, not an ordinary NaN).
    @inlinable public static func isString(_ v: Float) -> Bool {
        let bits = v.bitPattern
        return bits & ~0x003F_FFFF == 0x7FC0_0000 && bits & 0x003F_FFFF != 0
    }

    /// The strings of `t` in row-major order; throws naming `owner` at the first number.
    public static func strings(of t: Tensor, owner: String) throws -> [String] {
        let p = t.data
        return try (0..<t.count).map { i in
            guard let s = decode(p[i]) else {
                throw KerasError.invalidData("\(owner): expected string inputs, got the number \(p[i]) (build string tensors with Tensor(strings:shape:) or pass str arrays)")
            }
            return s
        }
    }
}

extension Tensor {
    /// A string tensor of `shape` holding `strings` in row-major order (see ``StringValues``).
    public init(strings: [String], shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == strings.count else {
            throw KerasError.shapeMismatch("Tensor(strings:shape:): \(strings.count) strings do not fill shape \(shape)")
        }
        try self.init(shape: shape, scalars: strings.map { try StringValues.encode($0) })
    }

    /// The strings of a string tensor, row-major (nil at numbers).
    public var stringValues: [String?] { scalars.map(StringValues.decode) }

    /// Whether the tensor holds a NaN or infinity that is not a string value.
    var hasNonStringNonFinite: Bool {
        let p = data
        return (0..<count).contains { !p[$0].isFinite && !StringValues.isString(p[$0]) }
    }
}
