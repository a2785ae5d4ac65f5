import XCTest
@testable import Keras

/// The adaptive poolings' bins, values against a direct computation of each box, their
/// finite-difference gradients, config and bad input (their numbers against real Keras are
/// bindings/python/tests/test_adaptive_pooling.py).
final class AdaptivePoolingTests: XCTestCase {
    func testBinsArePyTorchs() {
        // [floor(i n / k), ceil((i + 1) n / k)): overlapping when k does not divide n.
        XCTAssertEqual(Ops.adaptiveBins(length: 7, count: 3), [0..<3, 2..<5, 4..<7])
        XCTAssertEqual(Ops.adaptiveBins(length: 6, count: 3), [0..<2, 2..<4, 4..<6])
        XCTAssertEqual(Ops.adaptiveBins(length: 3, count: 5), [0..<1, 0..<2, 1..<2, 1..<3, 2..<3])
    }

    func testValuesAreEachBoxsMeanAndMaximum() throws {
        let x = GradientCheck.random([2, 7, 5, 3], seed: 4)
        for takesMaximum in [false, true] {
            let layer: Layer = takesMaximum ? try AdaptiveMaxPooling2D(outputSize: [3, 4])
                                            : try AdaptiveAveragePooling2D(outputSize: [3, 4])
            let y = try layer(x)
            XCTAssertEqual(y.shape, [2, 3, 4, 3])
            let rows = Ops.adaptiveBins(length: 7, count: 3), cols = Ops.adaptiveBins(length: 5, count: 4)
            for n in 0..<2 { for (i, r) in rows.enumerated() { for (j, c) in cols.enumerated() { for ch in 0..<3 {
                let box = r.flatMap { h in c.map { w in x.data[((n * 7 + h) * 5 + w) * 3 + ch] } }
                let want = takesMaximum ? box.max() ?? 0 : box.reduce(0, +) / Float(box.count)
                XCTAssertEqual(y.data[((n * 3 + i) * 4 + j) * 3 + ch], want, accuracy: 1e-6)
            } } } }
        }
    }

    func testGradients() throws {
        let cases: [(Layer, [Int])] = [
            (try AdaptiveAveragePooling1D(outputSize: [3]), [2, 7, 2]),
            (try AdaptiveMaxPooling1D(outputSize: [5], dataFormat: .channelsFirst), [2, 2, 3]),
            (try AdaptiveAveragePooling2D(outputSize: [3, 2], dataFormat: .channelsFirst), [1, 2, 5, 4]),
            (try AdaptiveMaxPooling2D(outputSize: [2, 3]), [2, 5, 4, 2]),
            // The one-pass 2-D kernels' other paths: channels-last average, channels-first max,
            // and channels-last max over eight SIMD channels plus a scalar tail.
            (try AdaptiveAveragePooling2D(outputSize: [3, 2]), [2, 5, 4, 3]),
            (try AdaptiveMaxPooling2D(outputSize: [3, 2], dataFormat: .channelsFirst), [2, 2, 7, 3]),
            (try AdaptiveMaxPooling2D(outputSize: [2, 5]), [1, 3, 3, 10]),
            (try AdaptiveAveragePooling3D(outputSize: [2], dataFormat: .channelsFirst), [1, 2, 3, 3, 4]),
            (try AdaptiveMaxPooling3D(outputSize: [2, 1, 3]), [1, 3, 2, 5, 2]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            try GradientCheck.check(layer: layer, input: GradientCheck.distinct(shape, seed: UInt64(70 + i)))
        }
    }

    /// The one-pass 2-D kernel against pooling the rows and then the columns (Keras's backends):
    /// the same values and the same gradients, where the boxes overlap (7 -> 3), are wider than
    /// the input (3 -> 5), hold ties (values on a coarse grid) and NaNs, in both layouts, with
    /// channel counts that use the eight-lane path, its tail, or neither.
    func testOnePassMatchesPoolingTheAxesInTurn() throws {
        for (dataFormat, shape, size) in [(DataFormat.channelsLast, [2, 7, 3, 11], [3, 5]), (.channelsLast, [1, 6, 8, 3], [4, 3]),
                                          (.channelsFirst, [2, 3, 7, 3], [3, 5]), (.channelsFirst, [1, 2, 6, 8], [4, 3])] {
            for takesMaximum in [true, false] {
                let x = GradientCheck.random(shape, seed: 9)
                for i in 0..<x.count { x.data[i] = (x.data[i] * 2).rounded() }  // ties
                if takesMaximum { x.data[5] = .nan; x.data[x.count - 2] = .nan }
                func run(_ pool: (Tensor) throws -> Tensor) throws -> (Tensor, Tensor) {
                    let tape = GradientTape()
                    let input = tape.watch(x)
                    let y = try tape.record { try pool(input) }
                    let ramp = Tensor(shape: y.shape)
                    for i in 0..<ramp.count { ramp.data[i] = Float(i % 7) - 3.5 }
                    let loss = try tape.record { try Ops.sum(try Ops.multiply(y, ramp)) }
                    return (y, try tape.gradient(of: loss, with: [input])[0])
                }
                let axes = dataFormat == .channelsLast ? [1, 2] : [2, 3]
                let (want, wantGradient) = try run { v in
                    let rows = try Ops.adaptivePool(v, axis: axes[0], outputSize: size[0], takesMaximum: takesMaximum)
                    return try Ops.adaptivePool(rows, axis: axes[1], outputSize: size[1], takesMaximum: takesMaximum)
                }
                let (got, gotGradient) = try run {
                    try Ops.adaptivePool2D($0, outputSize: size, dataFormat: dataFormat, takesMaximum: takesMaximum)
                }
                let what = "\(dataFormat) \(shape) -> \(size), max \(takesMaximum)"
                XCTAssertEqual(got.shape, want.shape, what)
                for i in 0..<want.count where !(got.data[i].isNaN && want.data[i].isNaN) {
                    XCTAssertEqual(got.data[i], want.data[i], accuracy: 1e-5, "\(what) output \(i)")
                }
                XCTAssertEqual(gotGradient.shape, x.shape, what)
                for i in 0..<x.count {
                    XCTAssertEqual(gotGradient.data[i], wantGradient.data[i], accuracy: 1e-5, "\(what) gradient \(i)")
                }
            }
        }
    }

    /// Where a box holds several maxima, the gradient goes where Keras 3's JAX backend sends it
    /// (its rows pooled, then its columns): the reference numbers are `jax.grad` of
    /// `sum(_adaptive_max_pool2d(x, (3, 3), data_format) * ramp)` in keras 3.15.1
    /// (keras/src/backend/jax/nn.py), for x[i] = (7i mod 3) - 1 and ramp[i] = (i mod 5) + 1.
    func testMaxGradientTiesGoWhereKerasJaxSendsThem() throws {
        let want: [DataFormat: [Float]] = [
            .channelsLast: [0, 0, 3, 0, 0, 1, 0, 0, 3, 0, 0, 11, 0, 0, 5, 0, 0, 3, 0, 0,
                            1, 0, 0, 0, 0, 0, 9, 0, 0, 5, 0, 0, 3, 0, 0, 5, 0, 0, 2, 0],
            .channelsFirst: [0, 0, 3, 0, 0, 8, 0, 0, 4, 0, 0, 0, 0, 0, 5, 0, 0, 5, 0, 0,
                             5, 0, 0, 0, 0, 0, 8, 0, 0, 4, 0, 0, 4, 0, 0, 0, 0, 0, 5, 0],
        ]
        for (dataFormat, expected) in want {
            let x = Tensor(shape: dataFormat == .channelsLast ? [1, 5, 4, 2] : [1, 2, 5, 4])
            for i in 0..<x.count { x.data[i] = Float((7 * i) % 3) - 1 }
            let tape = GradientTape()
            let input = tape.watch(x)
            let loss = try tape.record { () throws -> Tensor in
                let y = try AdaptiveMaxPooling2D(outputSize: [3], dataFormat: dataFormat)(input)
                let ramp = Tensor(shape: y.shape)
                for i in 0..<ramp.count { ramp.data[i] = Float(i % 5) + 1 }
                return try Ops.sum(try Ops.multiply(y, ramp))
            }
            XCTAssertEqual(try tape.gradient(of: loss, with: [input])[0].scalars, expected, "\(dataFormat)")
        }
    }

    func testConfigAndShapes() throws {
        let pool = try AdaptiveAveragePooling3D(outputSize: [2], dataFormat: .channelsFirst)
        XCTAssertEqual(pool.getConfig()["output_size"], [2, 2, 2])
        XCTAssertEqual(pool.getConfig()["data_format"], "channels_first")
        XCTAssertEqual(try pool.computeOutputShape([nil, 3, 9, nil, 4]), [nil, 3, 2, 2, 2])
        let again = try deserializeLayer(["class_name": "AdaptiveMaxPooling1D", "config": ["output_size": [4]]])
        XCTAssertEqual(try again.computeOutputShape([nil, 9, 3]), [nil, 4, 3])
        XCTAssertEqual(ObjectRegistry.layerCatalogue["AdaptiveMaxPooling2D"]?["args"]?.arrayValue?.first?["required"], true)
    }

    func testBadInput() throws {
        func expect(_ text: String, _ body: () throws -> Any) {
            XCTAssertThrowsError(try body()) { XCTAssertTrue("\($0)".contains(text), "wanted '\(text)' in \($0)") }
        }
        expect("output_size") { try AdaptiveMaxPooling2D(outputSize: [0]) }
        expect("output_size") { try AdaptiveAveragePooling1D(outputSize: [2, 2]) }
        expect("rank 5") { try AdaptiveMaxPooling3D(outputSize: [2])(Tensor(shape: [2, 3, 4, 2])) }
        expect("output_size") { try deserializeLayer(["class_name": "AdaptiveAveragePooling2D", "config": [:]]) }
        expect("length 0") { try Ops.adaptivePool(Tensor(shape: [2, 0, 3]), axis: 1, outputSize: 2, takesMaximum: true) }
        expect("2x0 image") { try Ops.adaptivePool2D(Tensor(shape: [1, 2, 0, 3]), outputSize: [2, 2], dataFormat: .channelsLast, takesMaximum: false) }
        expect("4-D input") { try Ops.adaptivePool2D(Tensor(shape: [2, 3, 4]), outputSize: [2, 2], dataFormat: .channelsLast, takesMaximum: true) }
        expect("two positive integers") { try Ops.adaptivePool2D(Tensor(shape: [1, 2, 2, 3]), outputSize: [2, 0], dataFormat: .channelsFirst, takesMaximum: true) }
    }
}
