import XCTest
@testable import Keras

/// Finite-difference gradient checking for ops and layers.
///
/// The function under test maps input tensors to an output tensor. It is reduced to a scalar
/// `L = Σ out ⊙ R` with a fixed random `R` (so every output element matters, with distinct
/// weights), differentiated on the tape, and compared with central differences
/// `(L(x + h) − L(x − h)) / 2h` accumulated in Double.
enum GradientCheck {
    /// Uniform random values in `range`, at least `margin` away from each of `kinks` (points
    /// where the function is not differentiable: 0 for abs/relu, clip bounds, ...).
    static func random(_ shape: [Int], in range: ClosedRange<Float> = -2...2, avoiding kinks: [Float] = [],
                       margin: Float = 0.1, seed: UInt64 = 1) -> Tensor {
        let rng = RandomGenerator(seed: seed)
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n {
            var v: Float
            repeat {
                v = rng.uniform(range.lowerBound, range.upperBound)
            } while kinks.contains(where: { abs(v - $0) < margin })
            values[i] = v
        }
        return (try? Tensor(shape: shape, scalars: values)) ?? Tensor(shape: shape)
    }

    /// Values spread evenly over `range` in a random order, so that no two are closer than
    /// `(range width) / count`: inputs for max/min, whose gradients jump at ties.
    static func distinct(_ shape: [Int], in range: ClosedRange<Float> = -2...2, seed: UInt64 = 1) -> Tensor {
        let n = shape.reduce(1, *)
        let order = RandomGenerator(seed: seed).permutation(n)
        let width = range.upperBound - range.lowerBound
        let values = order.map { range.lowerBound + width * (Float($0) + 0.5) / Float(Swift.max(n, 1)) }
        return (try? Tensor(shape: shape, scalars: values)) ?? Tensor(shape: shape)
    }

    /// Checks the tape gradients of `f` with respect to `inputs` and `variables`.
    static func check(_ inputs: [Tensor], variables: [Variable] = [], step h: Float = 1e-2,
                      atol: Double = 2e-3, rtol: Double = 2e-2, _ what: String = "",
                      file: StaticString = #filePath, line: UInt = #line,
                      _ f: ([Tensor]) throws -> Tensor) throws {
        let probe = try GradientTape.withoutRecording { try f(inputs) }
        let weights = random(probe.shape, in: -1...1, seed: 99)

        let tape = GradientTape()
        let (watched, loss) = try tape.record { () throws -> ([Tensor], Tensor) in
            let w = inputs.map { tape.watch($0) }
            let out = try f(w)
            XCTAssertEqual(out.shape, probe.shape, "\(what): output shape changed under the tape", file: file, line: line)
            return (w, try Ops.sum(Ops.multiply(out, weights)))
        }
        let inputGrads = try tape.gradient(of: loss, with: watched)
        let variableGrads = variables.isEmpty ? [] : try tape.gradient(of: loss, with: variables)

        func scalarLoss(_ xs: [Tensor]) throws -> Double {
            let out = try GradientTape.withoutRecording { try f(xs) }
            var s = 0.0
            for i in 0..<out.count { s += Double(out.data[i]) * Double(weights.data[i]) }
            return s
        }
        func compare(_ analytic: Tensor, _ label: String, perturb: (Int, Float) -> Void, restore: (Int) -> Void,
                     count: Int) throws {
            XCTAssertEqual(analytic.count, count, "\(what): gradient of \(label) has the wrong size", file: file, line: line)
            guard analytic.count == count else { return }
            var worst = 0.0, worstIndex = -1, worstNumeric = 0.0
            for j in 0..<count {
                perturb(j, h)
                let plus = try scalarLoss(inputs)
                perturb(j, -h)
                let minus = try scalarLoss(inputs)
                restore(j)
                let numeric = (plus - minus) / (2 * Double(h))
                let a = Double(analytic.data[j])
                let excess = abs(a - numeric) - (atol + rtol * abs(numeric))
                if excess > worst || worstIndex < 0 { worst = excess; worstIndex = j; worstNumeric = numeric }
            }
            if worstIndex >= 0 {
                XCTAssertLessThanOrEqual(worst, 0,
                    "\(what): d/d\(label)[\(worstIndex)] tape \(analytic.data[worstIndex]) vs finite difference \(worstNumeric)",
                    file: file, line: line)
            }
        }
        for (k, x) in inputs.enumerated() {
            let original = x.copy()
            try compare(inputGrads[k], "input\(k)", perturb: { j, d in x.data[j] = original.data[j] + d },
                        restore: { j in x.data[j] = original.data[j] }, count: x.count)
        }
        for (v, g) in zip(variables, variableGrads) {
            let original = v.storedValue.copy()
            let p = v.mutableData
            try compare(g, v.path, perturb: { j, d in p[j] = original.data[j] + d },
                        restore: { j in p[j] = original.data[j] }, count: original.count)
        }
    }

    /// Checks a layer's gradients with respect to its input and all its weights.
    static func check(layer: Layer, input: Tensor, training: Bool = false, step h: Float = 1e-2,
                      atol: Double = 2e-3, rtol: Double = 2e-2,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try GradientTape.withoutRecording { try layer(input, training: training) }
        try check([input], variables: layer.weights, step: h, atol: atol, rtol: rtol, "\(layer.className) '\(layer.name)'",
                  file: file, line: line) { xs in try layer(xs[0], training: training) }
    }
}
