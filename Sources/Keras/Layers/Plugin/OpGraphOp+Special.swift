import Glibc

/// Special functions of `keras.ops` as elementwise graph ops with their derivatives: `erf`,
/// `erfc` (Glibc), `erfinv` (Giles's approximation refined by Newton steps in double) and `i0`
/// (the modified Bessel function of order 0 by its power series in double; d/dx I0 = I1).
extension OpGraphOp {
    static let special: [String: (Tensor) throws -> Tensor] = [
        "erf": { Ops.unary($0, { Glibc.erff($0) }, { x, _, g in g * twoOverRootPi * Glibc.expf(-x * x) }) },
        "erfc": { Ops.unary($0, { Glibc.erfcf($0) }, { x, _, g in -g * twoOverRootPi * Glibc.expf(-x * x) }) },
        // d/dy erfinv(y) = sqrt(pi)/2 exp(erfinv(y)^2): from the output.
        "erfinv": { Ops.unary($0, { Float(erfinv(Double($0))) }, { _, y, g in g / twoOverRootPi * Glibc.expf(y * y) }) },
        "i0": { Ops.unary($0, { Float(bessel(Double($0), order: 0)) }, { x, _, g in g * Float(bessel(Double(x), order: 1)) }) },
    ]

    private static let twoOverRootPi = Float(2 / Double.pi.squareRoot())

    /// The inverse error function: NaN outside [-1, 1], ±inf at ±1.
    static func erfinv(_ y: Double) -> Double {
        guard y.magnitude <= 1 else { return .nan }
        if y.magnitude == 1 { return y * .infinity }
        // M. Giles, "Approximating the erfinv function" (single-precision branch) as the start.
        var w = -Glibc.log((1 - y) * (1 + y)), p: Double
        if w < 5 {
            w -= 2.5
            p = 2.81022636e-08
            for c in [3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                      -0.00417768164, 0.246640727, 1.50140941] { p = c + p * w }
        } else {
            w = w.squareRoot() - 3
            p = -0.000200214257
            for c in [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
                      0.00943887047, 1.00167406, 2.83297682] { p = c + p * w }
        }
        var x = p * y
        // Newton on erf(x) - y in double: quadratic convergence from ~1e-7.
        for _ in 0..<2 {
            let slope = 2 / Double.pi.squareRoot() * Glibc.exp(-x * x)
            guard slope > 0 else { break }
            x -= (Glibc.erf(x) - y) / slope
        }
        return x
    }

    /// The modified Bessel function of the first kind of order 0 or 1, by its power series
    /// (all terms positive, so no cancellation); inf past float's range.
    static func bessel(_ x: Double, order: Int) -> Double {
        let q = x * x / 4
        var term = order == 0 ? 1 : x / 2, sum = term, k = 0.0
        while k < 1000 {
            k += 1
            term *= q / (k * (k + Double(order)))
            sum += term
            if term.magnitude <= sum.magnitude * 1e-17 || !sum.isFinite { break }
        }
        return sum
    }
}
