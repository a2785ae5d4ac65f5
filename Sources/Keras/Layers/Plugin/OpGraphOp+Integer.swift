import Glibc

/// The integer ops of `keras.ops` as elementwise graph ops (`bitwise_and`, shifts, `gcd`, ...):
/// a traced layer holds integers as float32 (exact below 2^24), so each op reads its inputs as
/// int32 (truncated toward zero, as `ops.cast(x, "int32")` makes them), computes as jax does on
/// int32 and gives the result back as float32. Integer ops have no gradient (Keras's have none),
/// so their outputs are constants of the tape; `nextafter` (one float step, no gradient) too.
extension OpGraphOp {
    static let integerUnary: [String: (Tensor) throws -> Tensor] = [
        "bitwise_invert": { integer($0) { ~$0 } },
        "bitwise_not": { integer($0) { ~$0 } },
    ]

    static let integerBinary: [String: (Tensor, Tensor) throws -> Tensor] = [
        "bitwise_and": { try integer($0, $1, "bitwise_and") { $0 & $1 } },
        "bitwise_or": { try integer($0, $1, "bitwise_or") { $0 | $1 } },
        "bitwise_xor": { try integer($0, $1, "bitwise_xor") { $0 ^ $1 } },
        "bitwise_left_shift": { try integer($0, $1, "bitwise_left_shift", shiftLeft) },
        "left_shift": { try integer($0, $1, "left_shift", shiftLeft) },
        "bitwise_right_shift": { try integer($0, $1, "bitwise_right_shift", shiftRight) },
        "right_shift": { try integer($0, $1, "right_shift", shiftRight) },
        "gcd": { try integer($0, $1, "gcd", gcd) },
        "lcm": { try integer($0, $1, "lcm", lcm) },
        "nextafter": { a, b in
            try broadcastConstant(a, b, "nextafter") { x, y in Glibc.nextafterf(x, y) }
        },
    ]

    /// A float32 value as the int32 a cast makes of it: truncated toward zero, saturated at the
    /// int32 range, NaN as 0 (nothing traps on any value).
    static func int32(_ v: Float) -> Int32 {
        guard !v.isNaN else { return 0 }
        if v >= 2147483648 { return .max }
        if v <= -2147483648 { return .min }
        return Int32(v.rounded(.towardZero))
    }

    private static func integer(_ x: Tensor, _ f: @escaping (Int32) -> Int32) -> Tensor {
        Kernels.map(x.detached) { Float(f(int32($0))) }
    }

    private static func integer(_ a: Tensor, _ b: Tensor, _ name: String,
                                _ f: @escaping (Int32, Int32) -> Int32) throws -> Tensor {
        try broadcastConstant(a, b, name) { x, y in Float(f(int32(x), int32(y))) }
    }

    /// `f` of `a` and `b` broadcast together, elementwise, as a constant (no gradient).
    private static func broadcastConstant(_ a: Tensor, _ b: Tensor, _ name: String,
                                          _ f: @escaping (Float, Float) -> Float) throws -> Tensor {
        guard let shape = Kernels.broadcastShape(a.shape, b.shape) else {
            throw KerasError.shapeMismatch("\(name): shapes \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        func spread(_ t: Tensor) throws -> Tensor {
            t.shape == shape ? t.detached : try Ops.add(t.detached, Tensor(shape: shape))
        }
        let x = try spread(a), y = try spread(b)
        return Kernels.zipMap(x, y, shape: shape, f)
    }

    /// XLA's shift_left on int32 (jnp.left_shift): 0 for a shift outside 0..<32.
    static func shiftLeft(_ x: Int32, _ k: Int32) -> Int32 {
        k >= 0 && k < 32 ? x << k : 0
    }

    /// XLA's arithmetic shift_right on int32 (jnp.right_shift of signed integers): the sign
    /// fills a shift outside 0..<32.
    static func shiftRight(_ x: Int32, _ k: Int32) -> Int32 {
        k >= 0 && k < 32 ? x >> k : (x < 0 ? -1 : 0)
    }

    /// jnp.gcd on int32: of the magnitudes, gcd(0, 0) = 0 (wrapping as int32 does at 2^31).
    static func gcd(_ a: Int32, _ b: Int32) -> Int32 {
        var x = a.magnitude, y = b.magnitude
        while y != 0 { (x, y) = (y, x % y) }
        return Int32(truncatingIfNeeded: x)
    }

    /// jnp.lcm on int32: |a * (b // gcd)|, 0 where the gcd is 0, wrapping on overflow.
    static func lcm(_ a: Int32, _ b: Int32) -> Int32 {
        let d = gcd(a, b)
        guard d > 0 else { return 0 }
        let q = b / d   // exact: d divides b
        let p = a &* q
        return p < 0 ? 0 &- p : p
    }
}
