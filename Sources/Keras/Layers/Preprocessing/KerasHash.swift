/// The string hashes Keras's `Hashing` and lookup layers use through TensorFlow:
/// `tf.strings.to_hash_bucket_fast` (FarmHash `Fingerprint64`) and
/// `tf.strings.to_hash_bucket_strong` (keyed SipHash-2-4); and the crosses of
/// `tf.sparse.cross_hashed` (`HashedCrossing`).
enum KerasHash {
    private static let k0: UInt64 = 0xc3a5_c85c_97cb_3127
    private static let k1: UInt64 = 0xb492_b66f_be98_f273
    private static let k2: UInt64 = 0x9ae1_6a3b_2f90_404f

    @inline(__always) private static func fetch64(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 {
        UInt64(littleEndian: UnsafeRawBufferPointer(s).loadUnaligned(fromByteOffset: i, as: UInt64.self))
    }
    @inline(__always) private static func fetch32(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 {
        UInt64(UInt32(littleEndian: UnsafeRawBufferPointer(s).loadUnaligned(fromByteOffset: i, as: UInt32.self)))
    }
    @inline(__always) private static func rotate(_ v: UInt64, _ s: UInt64) -> UInt64 { s == 0 ? v : (v >> s) | (v << (64 - s)) }
    @inline(__always) private static func shiftMix(_ v: UInt64) -> UInt64 { v ^ (v >> 47) }

    private static func hashLen16(_ u: UInt64, _ v: UInt64, _ mul: UInt64) -> UInt64 {
        var a = (u ^ v) &* mul
        a ^= a >> 47
        var b = (v ^ a) &* mul
        b ^= b >> 47
        return b &* mul
    }

    private static func hashLen0to16(_ s: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let len = s.count
        if len >= 8 {
            let mul = k2 &+ UInt64(len) &* 2
            let a = fetch64(s, 0) &+ k2
            let b = fetch64(s, len - 8)
            let c = rotate(b, 37) &* mul &+ a
            let d = (rotate(a, 25) &+ b) &* mul
            return hashLen16(c, d, mul)
        }
        if len >= 4 {
            let mul = k2 &+ UInt64(len) &* 2
            return hashLen16(UInt64(len) &+ (fetch32(s, 0) << 3), fetch32(s, len - 4), mul)
        }
        if len > 0 {
            let y = UInt32(s[0]) &+ (UInt32(s[len >> 1]) << 8)
            let z = UInt32(len) &+ (UInt32(s[len - 1]) << 2)
            return shiftMix(UInt64(y) &* k2 ^ UInt64(z) &* k0) &* k2
        }
        return k2
    }

    private static func hashLen17to32(_ s: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let len = s.count
        let mul = k2 &+ UInt64(len) &* 2
        let a = fetch64(s, 0) &* k1, b = fetch64(s, 8)
        let c = fetch64(s, len - 8) &* mul, d = fetch64(s, len - 16) &* k2
        return hashLen16(rotate(a &+ b, 43) &+ rotate(c, 30) &+ d, a &+ rotate(b &+ k2, 18) &+ c, mul)
    }

    private static func hashLen33to64(_ s: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let len = s.count
        let mul = k2 &+ UInt64(len) &* 2
        let a = fetch64(s, 0) &* k2, b = fetch64(s, 8)
        let c = fetch64(s, len - 8) &* mul, d = fetch64(s, len - 16) &* k2
        let y = rotate(a &+ b, 43) &+ rotate(c, 30) &+ d
        let z = hashLen16(y, a &+ rotate(b &+ k2, 18) &+ c, mul)
        let e = fetch64(s, 16) &* mul, f = fetch64(s, 24)
        let g = (y &+ fetch64(s, len - 32)) &* mul
        let h = (z &+ fetch64(s, len - 24)) &* mul
        return hashLen16(rotate(e &+ f, 43) &+ rotate(g, 30) &+ h, e &+ rotate(f &+ a, 18) &+ g, mul)
    }

    private static func weakHashLen32(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ a0: UInt64, _ b0: UInt64) -> (UInt64, UInt64) {
        let w = fetch64(s, i), x = fetch64(s, i + 8), y = fetch64(s, i + 16), z = fetch64(s, i + 24)
        var a = a0 &+ w
        var b = rotate(b0 &+ a &+ z, 21)
        let c = a
        a = a &+ x &+ y
        b = b &+ rotate(a, 44)
        return (a &+ z, b &+ c)
    }

    /// FarmHash `Fingerprint64` (farmhashna `Hash64`) of `bytes`.
    static func fingerprint64(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBufferPointer { s in
            let len = s.count
            if len <= 16 { return hashLen0to16(s) }
            if len <= 32 { return hashLen17to32(s) }
            if len <= 64 { return hashLen33to64(s) }
            let seed: UInt64 = 81
            var x = seed, y = seed &* k1 &+ 113
            var z = shiftMix(y &* k2 &+ 113) &* k2
            var v: (UInt64, UInt64) = (0, 0), w: (UInt64, UInt64) = (0, 0)
            x = x &* k2 &+ fetch64(s, 0)
            let end = ((len - 1) / 64) * 64
            let last64 = end + ((len - 1) & 63) - 63
            var i = 0
            repeat {
                x = rotate(x &+ y &+ v.0 &+ fetch64(s, i + 8), 37) &* k1
                y = rotate(y &+ v.1 &+ fetch64(s, i + 48), 42) &* k1
                x ^= w.1
                y = y &+ v.0 &+ fetch64(s, i + 40)
                z = rotate(z &+ w.0, 33) &* k1
                v = weakHashLen32(s, i, v.1 &* k1, x &+ w.0)
                w = weakHashLen32(s, i + 32, z &+ w.1, y &+ fetch64(s, i + 16))
                swap(&z, &x)
                i += 64
            } while i != end
            let mul = k1 &+ ((z & 0xff) << 1)
            i = last64
            w.0 = w.0 &+ UInt64((len - 1) & 63)
            v.0 = v.0 &+ w.0
            w.0 = w.0 &+ v.0
            x = rotate(x &+ y &+ v.0 &+ fetch64(s, i + 8), 37) &* mul
            y = rotate(y &+ v.1 &+ fetch64(s, i + 48), 42) &* mul
            x ^= w.1 &* 9
            y = y &+ v.0 &* 9 &+ fetch64(s, i + 40)
            z = rotate(z &+ w.0, 33) &* mul
            v = weakHashLen32(s, i, v.1 &* mul, x &+ w.0)
            w = weakHashLen32(s, i + 32, z &+ w.1, y &+ fetch64(s, i + 16))
            swap(&z, &x)
            return hashLen16(hashLen16(v.0, w.0, mul) &+ shiftMix(y) &* k0 &+ z,
                             hashLen16(v.1, w.1, mul) &+ x, mul)
        }
    }

    /// SipHash-2-4 of `bytes` with the key `(key0, key1)`.
    static func sipHash(_ bytes: [UInt8], key0: UInt64, key1: UInt64) -> UInt64 {
        var v0 = key0 ^ 0x736f_6d65_7073_6575, v1 = key1 ^ 0x646f_7261_6e64_6f6d
        var v2 = key0 ^ 0x6c79_6765_6e65_7261, v3 = key1 ^ 0x7465_6462_7974_6573
        func round() {
            v0 = v0 &+ v1; v1 = rotate(v1, 51); v1 ^= v0; v0 = rotate(v0, 32)
            v2 = v2 &+ v3; v3 = rotate(v3, 48); v3 ^= v2
            v0 = v0 &+ v3; v3 = rotate(v3, 43); v3 ^= v0
            v2 = v2 &+ v1; v1 = rotate(v1, 47); v1 ^= v2; v2 = rotate(v2, 32)
        }
        let blocks = bytes.count / 8
        for b in 0..<blocks {
            var m: UInt64 = 0
            for j in 0..<8 { m |= UInt64(bytes[b * 8 + j]) << (8 * UInt64(j)) }
            v3 ^= m
            round(); round()
            v0 ^= m
        }
        var last = UInt64(bytes.count & 0xff) << 56
        for j in 0..<(bytes.count & 7) { last |= UInt64(bytes[blocks * 8 + j]) << (8 * UInt64(j)) }
        v3 ^= last
        round(); round()
        v0 ^= last
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }

    /// TensorFlow's `FingerprintCat64`: combines two fingerprints (the feature crosses of
    /// `tf.sparse.cross_hashed`).
    static func fingerprintCat64(_ fp1: UInt64, _ fp2: UInt64) -> UInt64 {
        let mul: UInt64 = 0xc6a4_a793_5bd1_e995
        var result = fp1 ^ mul
        result ^= shiftMix(fp2 &* mul) &* mul
        result = result &* mul
        result = shiftMix(result) &* mul
        return shiftMix(result)
    }

    /// The bucket in `[0, buckets)` of `bytes`: FarmHash without a salt, SipHash keyed by it.
    static func bucket(_ bytes: [UInt8], _ buckets: Int, salt: [UInt64]?) -> Int {
        let h = salt.map { sipHash(bytes, key0: $0[0], key1: $0[$0.count > 1 ? 1 : 0]) } ?? fingerprint64(bytes)
        return Int(h % UInt64(buckets))
    }
}
