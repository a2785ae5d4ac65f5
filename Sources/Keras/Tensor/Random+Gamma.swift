import Foundation

extension RandomGenerator {
    /// The logarithm of a draw from Gamma(`shape`, 1) (Marsaglia and Tsang's method; a shape
    /// below 1 boosted by `u^(1/shape)`, kept as a logarithm so that tiny shapes do not
    /// underflow).
    public func logGamma(_ shape: Double) -> Double {
        guard shape > 0, shape.isFinite else { return -.infinity }
        if shape < 1 {
            let u = Swift.max(Double(uniform()), .leastNonzeroMagnitude)
            return logGamma(shape + 1) + Foundation.log(u) / shape
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = Double(normal())
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = Swift.max(Double(uniform()), .leastNonzeroMagnitude)
            if u < 1 - 0.0331 * x * x * x * x || Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) {
                return Foundation.log(d * v)
            }
        }
    }

    /// A draw from Beta(`a`, `b`), as `X / (X + Y)` of two Gamma draws (Keras's
    /// `keras.random.beta`).
    public func beta(_ a: Double, _ b: Double) -> Double {
        let lx = logGamma(a), ly = logGamma(b)
        if lx == -.infinity && ly == -.infinity { return 0.5 }
        return 1 / (1 + Foundation.exp(ly - lx))
    }
}
