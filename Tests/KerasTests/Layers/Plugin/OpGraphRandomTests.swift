import XCTest
@testable import Keras

/// The op graph's random ops (`keras.random` traced) and `map_coordinates`: fresh numbers at
/// every evaluation for a seed generator, the same for an integer seed, distributions as asked,
/// shapes resolved from a reference input at run time, and gradients around the noise.
final class OpGraphRandomTests: XCTestCase {
    private static let none = JSON.object([])

    private func attrs(_ pairs: [(String, JSON)]) -> JSON { .object(pairs) }

    private func shapeJSON(_ dims: [Int]) -> JSON { .array(dims.map { .int($0) }) }

    /// A graph whose output is op `name` drawn with the shape of its input (batch unknown).
    private func drawing(_ name: String, _ extra: [(String, JSON)], width: Int = 4, advance: Bool = true) throws -> OpGraph {
        let g = OpGraph(inputShape: [nil, width]) { _ in Tensor(shape: [0]) }
        let x = try g.addInput()
        let y = try g.addOp(name, [x], attributes: attrs([("shape", shapeJSON([-1, width])), ("seed", .int(7)),
                                                          ("advance", .bool(advance))] + extra))
        XCTAssertEqual(try g.shape(of: y), [-1, width])
        try g.setOutput(y, training: nil)
        g.finish()
        return g
    }

    func testSeedGeneratorDrawsAnewAtEveryStepAndAnIntegerSeedDoesNot() throws {
        let x = Tensor(shape: [3, 4])
        let advancing = try drawing("random_normal", [])
        let a = try advancing.run(x, weights: [], training: true), b = try advancing.run(x, weights: [], training: true)
        XCTAssertEqual(a.shape, [3, 4])
        XCTAssertNotEqual(a.scalars, b.scalars, "a seed generator's op must draw new numbers at every step")
        let fixed = try drawing("random_normal", [], advance: false)
        let c = try fixed.run(x, weights: [], training: true), d = try fixed.run(Tensor(shape: [3, 4]), weights: [], training: false)
        XCTAssertEqual(c.scalars, d.scalars, "an integer seed gives the same numbers at every call")
        XCTAssertEqual(c.scalars, a.scalars, "the first step of a generator draws what its seed draws")
        // The batch comes from the reference input at every step.
        XCTAssertEqual(try fixed.run(Tensor(shape: [5, 4]), weights: [], training: true).shape, [5, 4])
    }

    /// The numbers are Keras's on JAX: threefry keyed by the draw seed, `[seed, 0]` for an
    /// integer seed, `[seed, step]` for an advancing op; a dropout keeps where the uniform is
    /// below the keep probability.
    func testDrawsAreThreefrysKeyedByKerassDrawSeed() throws {
        let x = Tensor(shape: [3, 4])
        func expected(_ key: ThreefryKey) -> [Float] {
            let t = Tensor.uninitialized([3, 4])
            key.fillNormal(t.data, count: 12, mean: 0, stddev: 1)
            return t.scalars
        }
        let fixed = try drawing("random_normal", [], advance: false)
        XCTAssertEqual(try fixed.run(x, weights: [], training: true).scalars, expected(ThreefryKey(7, 0)))
        XCTAssertEqual(try fixed.run(x, weights: [], training: true).scalars, expected(ThreefryKey(7, 0)))
        let advancing = try drawing("random_normal", [])
        XCTAssertEqual(try advancing.run(x, weights: [], training: true).scalars, expected(ThreefryKey(7, 0)))
        XCTAssertEqual(try advancing.run(x, weights: [], training: true).scalars, expected(ThreefryKey(7, 1)))

        let g = OpGraph(inputShape: [nil, 5]) { _ in Tensor(shape: [0]) }
        let y = try g.addOp("dropout", [g.addInput()], attributes: attrs([("rate", .double(0.4)), ("seed", .int(11)), ("advance", .bool(false))]))
        try g.setOutput(y, training: nil)
        g.finish()
        let out = try g.run(Tensor(shape: [6, 5], repeating: 3), weights: [], training: true).scalars
        let key = ThreefryKey(11, 0)
        XCTAssertEqual(out, (0..<30).map { key.unit(at: $0) < Float(0.6) ? 3 * (1 / Float(0.6)) : 0 })
    }

    func testDistributionsAreTheAskedOnes() throws {
        let x = Tensor(shape: [20_000, 1])
        func draw(_ name: String, _ extra: [(String, JSON)]) throws -> [Float] {
            try drawing(name, extra, width: 1).run(x, weights: [], training: true).scalars
        }
        func moments(_ v: [Float]) -> (Double, Double) {
            let m = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
            let s = (v.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(v.count)).squareRoot()
            return (m, s)
        }
        let normal = try draw("random_normal", [("mean", .double(1)), ("stddev", .double(2))])
        let (nm, ns) = moments(normal)
        XCTAssertEqual(nm, 1, accuracy: 0.05); XCTAssertEqual(ns, 2, accuracy: 0.05)
        let tail = normal.filter { Swift.abs($0 - 1) > 4 }.count   // beyond 2 sigma: 4.55 %
        XCTAssertEqual(Double(tail) / Double(normal.count), 0.0455, accuracy: 0.006)

        let uniform = try draw("random_uniform", [("minval", .double(-3)), ("maxval", .double(5))])
        XCTAssertTrue(uniform.allSatisfy { $0 >= -3 && $0 < 5 })
        let (um, us) = moments(uniform)
        XCTAssertEqual(um, 1, accuracy: 0.06); XCTAssertEqual(us, 8 / 12.0.squareRoot(), accuracy: 0.05)

        let truncated = try draw("random_truncated_normal", [("mean", .double(-1)), ("stddev", .double(0.5))])
        XCTAssertTrue(truncated.allSatisfy { Swift.abs($0 + 1) <= 1.0 + 1e-6 })
        let (tm, ts) = moments(truncated)
        // A standard normal truncated to [-2, 2] has standard deviation 0.8796.
        XCTAssertEqual(tm, -1, accuracy: 0.02); XCTAssertEqual(ts, 0.5 * 0.8796, accuracy: 0.01)

        let ints = try draw("random_randint", [("minval", .int(2)), ("maxval", .int(7))])
        XCTAssertEqual(Set(ints), [2, 3, 4, 5, 6])
        for v: Float in [2, 3, 4, 5, 6] {
            XCTAssertEqual(Double(ints.filter { $0 == v }.count) / Double(ints.count), 0.2, accuracy: 0.015)
        }
    }

    func testDropoutKeepsTheRateAndPassesGradientsThroughTheKeptInputs() throws {
        let g = OpGraph(inputShape: [nil, 50]) { _ in Tensor(shape: [0]) }
        let y = try g.addOp("dropout", [g.addInput()], attributes: attrs([("rate", .double(0.3)), ("seed", .int(1))]))
        try g.setOutput(y, training: nil)
        g.finish()
        let x = Tensor(shape: [200, 50], repeating: 2)
        let out = try g.run(x, weights: [], training: true).scalars
        XCTAssertTrue(out.allSatisfy { $0 == 0 || Swift.abs($0 - 2 / 0.7) < 1e-5 })
        XCTAssertEqual(Double(out.filter { $0 == 0 }.count) / Double(out.count), 0.3, accuracy: 0.015)
        XCTAssertNotEqual(try g.run(x, weights: [], training: true).scalars, out)

        // noise_shape (null, 1): one decision per row; the gradient is the mask.
        let rows = OpGraph(inputShape: [nil, 6]) { _ in Tensor(shape: [0]) }
        let r = try rows.addOp("dropout", [rows.addInput()], attributes: attrs([
            ("rate", .double(0.5)), ("noise_shape", .array([.null, .int(1)])), ("seed", .int(3)), ("advance", .bool(false))]))
        try rows.setOutput(r, training: nil)
        rows.finish()
        let input = GradientCheck.random([40, 6], seed: 4)
        let tape = GradientTape()
        let (w, result, total) = try tape.record { () throws -> (Tensor, Tensor, Tensor) in
            let w = tape.watch(input)
            let y = try rows.run(w, weights: [], training: true)
            return (w, y, try Ops.sum(y))
        }
        let grad = try tape.gradient(of: total, with: [w])[0]
        for i in 0..<40 {
            let row = Array(result.scalars[(i * 6)..<(i * 6 + 6)]), expected = Array(input.scalars[(i * 6)..<(i * 6 + 6)])
            let kept = row[0] != 0
            for j in 0..<6 {
                XCTAssertEqual(row[j], kept ? expected[j] * 2 : 0, accuracy: 1e-5)
                XCTAssertEqual(grad.scalars[i * 6 + j], kept ? 2 : 0)
            }
        }
        try GradientCheck.check([input], "dropout with a fixed seed") { xs in try rows.run(xs[0], weights: [], training: true) }
    }

    /// The VAE's sampling `mean + exp(0.5 * log_var) * eps`: gradients flow to both inputs
    /// around the noise (finite differences, the integer seed holding the noise still).
    func testReparameterizationGradientsFlowAroundTheNoise() throws {
        let g = OpGraph(inputShape: [nil, 6]) { _ in Tensor(shape: [0]) }
        let x = try g.addInput()
        let mean = try g.addOp("slice", [x], attributes: attrs([("specs", .array([.array([.null, .null, .null]), .array([.int(0), .int(3), .null])]))]))
        let logVar = try g.addOp("slice", [x], attributes: attrs([("specs", .array([.array([.null, .null, .null]), .array([.int(3), .int(6), .null])]))]))
        let eps = try g.addOp("random_normal", [mean], attributes: attrs([("shape", .array([.null, .int(3)])), ("seed", .int(5)), ("advance", .bool(false))]))
        let half = try g.addOp("multiply", [logVar, g.addConstant(Tensor(0.5))], attributes: Self.none)
        let z = try g.addOp("add", [mean, g.addOp("multiply", [g.addOp("exp", [half], attributes: Self.none), eps], attributes: Self.none)],
                            attributes: Self.none)
        try g.setOutput(z, training: nil)
        g.finish()
        try GradientCheck.check([GradientCheck.random([5, 6], seed: 2)], "sampling") { xs in
            try g.run(xs[0], weights: [], training: true)
        }
    }

    func testRandomOpErrorsNameTheProblem() throws {
        let g = OpGraph(inputShape: [nil, 3]) { _ in Tensor(shape: [0]) }
        let x = try g.addInput()
        let cases: [(String, [Int], JSON, String)] = [
            ("random_normal", [x], Self.none, "'shape'"),
            ("random_normal", [x, x], attrs([("shape", shapeJSON([2]))]), "0 or 1 inputs"),
            ("random_uniform", [], attrs([("shape", shapeJSON([2])), ("minval", .int(2)), ("maxval", .int(1))]), "'maxval'"),
            ("random_randint", [], attrs([("shape", shapeJSON([2])), ("maxval", .int(3))]), "'minval'"),
            ("random_normal", [], attrs([("shape", shapeJSON([-1, 2]))]), "no reference input"),
            ("random_normal", [x], attrs([("shape", shapeJSON([2, 2, -1]))]), "reference input has shape"),
            ("random_normal", [], attrs([("shape", .array([.string("a")]))]), "'shape'"),
            ("dropout", [x], attrs([("rate", .double(1.5))]), "'rate'"),
            ("dropout", [x], attrs([("rate", .double(0.5)), ("noise_shape", shapeJSON([2, 2]))]), "does not broadcast"),
            ("random_normal", [], attrs([("shape", shapeJSON([2])), ("seed", .string("x"))]), "'seed'"),
            ("random_normal", [], attrs([("shape", shapeJSON([1 << 40, 1 << 30]))]), "multiply to more than"),
            ("random_uniform", [x], attrs([("shape", shapeJSON([-1, 1 << 40]))]), "memory budget"),
            ("random_randint", [], attrs([("shape", shapeJSON([2])), ("minval", .int(-(1 << 62))), ("maxval", .int(1 << 62))]), "overflows"),
            ("map_coordinates", [x, x], Self.none, "'order'"),
            ("map_coordinates", [x, x], attrs([("order", .int(1)), ("fill_mode", .int(3))]), "'fill_mode'"),
            ("map_coordinates", [x, x], attrs([("order", .int(1)), ("fill_mode", .string("edge"))]), "fill_mode 'edge'"),
        ]
        for (op, inputs, a, message) in cases {
            XCTAssertThrowsError(try g.addOp(op, inputs, attributes: a), op) { e in
                XCTAssertTrue("\(e)".contains(message), "\(op): \(e)")
            }
        }
    }

    // MARK: map_coordinates

    /// A plain reference: jax.scipy.ndimage.map_coordinates for one position.
    private func reference(_ x: Tensor, _ pos: [Float], order: Int, mode: CoordinateFillMode, cval: Float) -> Float {
        let r = x.rank
        var strides = [Int](repeating: 1, count: r)
        for a in stride(from: r - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * x.shape[a + 1] }
        var corners: [[(Int, Float, Bool)]] = []
        for a in 0..<r {
            let size = x.shape[a]
            func item(_ i: Int, _ w: Float) -> (Int, Float, Bool) {
                (mode.fix(i, size), w, mode != .constant || (0..<size).contains(i))
            }
            if order == 0 {
                corners.append([item(Int(pos[a].rounded(.toNearestOrAwayFromZero)), 1)])
            } else {
                let lo = pos[a].rounded(.down)
                corners.append([item(Int(lo), 1 - (pos[a] - lo)), item(Int(lo) + 1, pos[a] - lo)])
            }
        }
        var total: Float = 0
        func visit(_ a: Int, _ w: Float, _ offset: Int, _ ok: Bool) {
            if a == r { total += w * (ok ? x.scalars[offset] : cval); return }
            for (i, wi, v) in corners[a] { visit(a + 1, a == 0 ? wi : w * wi, offset + i * strides[a], ok && v) }
        }
        visit(0, 1, 0, true)
        return total
    }

    func testMapCoordinatesMatchesTheReferenceInEveryFillMode() throws {
        let x = GradientCheck.random([4, 5], seed: 8)
        // Positions inside, on the edges and beyond them on both sides, with halves for order 0.
        let rows: [Float] = [-2.5, -1.3, -0.5, 0, 0.7, 1.5, 2.25, 3, 3.6, 4.5, 6.2, 9.9]
        let cols: [Float] = [5.5, -0.2, 2.5, 4.0, 1.1, -3.7, 0.5, 4.9, 2.0, -1.5, 7.3, 3.3]
        let c = try Tensor(shape: [2, 3, 4], scalars: rows + cols)
        for mode in CoordinateFillMode.allCases {
            for order in [0, 1] {
                let y = try Ops.mapCoordinates(x, coordinates: c, order: order, fillMode: mode, fillValue: -7)
                XCTAssertEqual(y.shape, [3, 4])
                let expected = (0..<12).map { reference(x, [rows[$0], cols[$0]], order: order, mode: mode, cval: -7) }
                assertClose(y.scalars, expected, "\(mode) order \(order)")
            }
        }
    }

    func testMapCoordinatesGradientsWithRespectToInputAndCoordinates() throws {
        let x = GradientCheck.random([3, 4, 2], seed: 9)
        // Fractional positions away from integers (the kinks of linear interpolation).
        let pos = GradientCheck.random([3, 2, 5], in: -1.5...4.5, seed: 10)
        for i in 0..<pos.count {
            let f = pos.data[i] - pos.data[i].rounded(.down)
            if f < 0.1 || f > 0.9 { pos.data[i] += 0.3 }
        }
        for mode in CoordinateFillMode.allCases {
            try GradientCheck.check([x, pos], step: 1e-3, "map_coordinates \(mode)") { xs in
                try Ops.mapCoordinates(xs[0], coordinates: xs[1], order: 1, fillMode: mode, fillValue: 0.5)
            }
            try GradientCheck.check([x], step: 1e-3, "map_coordinates order 0 \(mode)") { xs in
                try Ops.mapCoordinates(xs[0], coordinates: pos, order: 0, fillMode: mode, fillValue: 0.5)
            }
        }
    }

    func testBatchedMapCoordinatesInterpolatesEachBatchElementApart() throws {
        let x = GradientCheck.random([2, 3, 4], seed: 11)
        let c = GradientCheck.random([2, 2, 5], in: -0.5...3.5, seed: 12)
        let y = try Ops.mapCoordinates(x, coordinates: c, order: 1, fillMode: .reflect, fillValue: 0, batchDims: 1)
        XCTAssertEqual(y.shape, [2, 5])
        for b in 0..<2 {
            let image = try Tensor(shape: [3, 4], scalars: Array(x.scalars[(b * 12)..<(b * 12 + 12)]))
            for o in 0..<5 {
                let p = [c.scalars[b * 5 + o], c.scalars[10 + b * 5 + o]]
                XCTAssertEqual(y.scalars[b * 5 + o], reference(image, p, order: 1, mode: .reflect, cval: 0), accuracy: 1e-5)
            }
        }
        // Gradients per batch element (elastic_transform's form), away from integer positions.
        let c2 = try Tensor(shape: c.shape, scalars: c.scalars.map { v in
            let f = v - v.rounded(.down)
            return f < 0.1 || f > 0.9 ? v + 0.3 : v
        })
        try GradientCheck.check([x, c2], step: 1e-3, "batched map_coordinates") { xs in
            try Ops.mapCoordinates(xs[0], coordinates: xs[1], order: 1, fillMode: .mirror, fillValue: 0, batchDims: 1)
        }
        XCTAssertThrowsError(try Ops.mapCoordinates(x, coordinates: Tensor(shape: [2, 3, 5]), order: 1, fillMode: .constant,
                                                    fillValue: 0, batchDims: 1)) { XCTAssertTrue("\($0)".contains("batch axes"), "\($0)") }
        XCTAssertThrowsError(try Ops.mapCoordinates(x, coordinates: Tensor(shape: [2, 5]), order: 1, fillMode: .constant,
                                                    fillValue: 0)) { XCTAssertTrue("\($0)".contains("first dimension"), "\($0)") }
        XCTAssertThrowsError(try Ops.mapCoordinates(x, coordinates: Tensor(shape: [3, 5]), order: 3, fillMode: .constant,
                                                    fillValue: 0)) { XCTAssertTrue("\($0)".contains("order"), "\($0)") }
        // Non-finite positions read as outside, never trap.
        let wild = try Tensor(shape: [3, 1], scalars: [.nan, .infinity, -1e30])
        XCTAssertEqual(try Ops.mapCoordinates(x, coordinates: wild, order: 1, fillMode: .constant, fillValue: 4).scalars, [4])
    }
}
