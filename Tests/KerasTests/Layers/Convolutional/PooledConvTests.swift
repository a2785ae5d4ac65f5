import XCTest
@testable import Keras

/// ``Ops/convMaxPool(_:kernel:bias:strides:padding:dilation:activation:poolSize:poolStrides:poolPadding:)``
/// (the first convolution and its max pooling as one kernel) against the two separate ops, and a
/// `Sequential` that runs it against the same layers in a functional model, which does not.
final class PooledConvTests: XCTestCase {
    struct Case {
        var x: [Int]
        var kernel: [Int]
        var strides: [Int]
        var padding = ConvPadding.valid
        var dilation: [Int]
        var activation = ElementwiseActivation.relu
        var bias = true
        var pool: [Int]
    }

    private let cases: [Case] = [
        // conv_epoch's first layer; the 7×6 output leaves a row no window covers.
        Case(x: [3, 9, 8, 1], kernel: [3, 3, 1, 32], strides: [1, 1], dilation: [1, 1], pool: [2, 2]),
        // RGB, strided, same padding, linear, no bias, a filter tail only, a 2×3 pool.
        Case(x: [2, 7, 6, 3], kernel: [3, 3, 3, 5], strides: [2, 1], padding: .same, dilation: [1, 1],
             activation: .linear, bias: false, pool: [2, 3]),
        // Conv1D with dilation, 8 + 4 filters, a pool of 3.
        Case(x: [2, 11, 2], kernel: [3, 2, 12], strides: [1], dilation: [2], pool: [3]),
        // Conv3D.
        Case(x: [2, 4, 5, 5, 1], kernel: [2, 2, 2, 1, 9], strides: [1, 1, 1], dilation: [1, 1, 1], pool: [1, 2, 2]),
        // Enough samples to split across cores.
        Case(x: [600, 6, 6, 1], kernel: [3, 3, 1, 16], strides: [1, 1], dilation: [1, 1], pool: [2, 2]),
    ]

    /// The output and the kernel and bias gradients of `sum(out · r)`, fused or through the two ops.
    private func run(_ c: Case, x: Tensor, kernel: Tensor, bias: Tensor?, r: Tensor?, fused: Bool) throws -> (Tensor, Tensor, Tensor?) {
        let tape = GradientTape()
        let (wk, wb, out, loss) = try tape.record { () throws -> (Tensor, Tensor?, Tensor, Tensor?) in
            let wk = tape.watch(kernel), wb = bias.map { tape.watch($0) }
            let out: Tensor
            if fused {
                out = try XCTUnwrap(Ops.convMaxPool(x, kernel: wk, bias: wb, strides: c.strides, padding: c.padding,
                                                    dilation: c.dilation, activation: c.activation, poolSize: c.pool,
                                                    poolStrides: c.pool, poolPadding: .valid), "the fused op declined")
            } else {
                let z = try Ops.conv(x, kernel: wk, bias: wb, strides: c.strides, padding: c.padding, dilation: c.dilation,
                                     activation: c.activation)
                out = try Ops.maxPool(z, poolSize: c.pool, strides: c.pool, padding: .valid)
            }
            return (wk, wb, out, try r.map { try Ops.sum(Ops.multiply(out, $0)) })
        }
        guard let loss else { return (out, out, nil) }
        let grads = try tape.gradient(of: loss, with: [wk] + (wb.map { [$0] } ?? []))
        return (out, grads[0], grads.count > 1 ? grads[1] : nil)
    }

    private func assertSame(_ a: Tensor, _ b: Tensor, exact: Bool, _ what: String) {
        XCTAssertEqual(a.shape, b.shape, what)
        for i in 0..<min(a.count, b.count) {
            let u = a.data[i], v = b.data[i]
            if u.isNaN || v.isNaN {
                XCTAssertTrue(u.isNaN && v.isNaN, "\(what)[\(i)]: \(u) vs \(v)")
            } else if exact {
                XCTAssertEqual(u, v, "\(what)[\(i)]")
            } else {
                XCTAssertEqual(u, v, accuracy: 1e-5 + 1e-5 * abs(v), "\(what)[\(i)]")
            }
        }
    }

    func testEqualsConvThenMaxPoolWithGradients() throws {
        for (i, c) in cases.enumerated() {
            let x = GradientCheck.random(c.x, seed: UInt64(10 + i)), k = GradientCheck.random(c.kernel, in: -0.5...0.5, seed: UInt64(20 + i))
            let bias = c.bias ? GradientCheck.random([c.kernel.last ?? 0], seed: UInt64(30 + i)) : nil
            let shape = try run(c, x: x, kernel: k, bias: bias, r: nil, fused: false).0.shape
            let r = GradientCheck.random(shape, seed: UInt64(40 + i))
            let (want, dkWant, dbWant) = try run(c, x: x, kernel: k, bias: bias, r: r, fused: false)
            let (got, dk, db) = try run(c, x: x, kernel: k, bias: bias, r: r, fused: true)
            assertSame(got, want, exact: true, "case \(i) output")
            assertSame(dk, dkWant, exact: false, "case \(i) dkernel")
            if let db, let dbWant { assertSame(db, dbWant, exact: false, "case \(i) dbias") }
            XCTAssertEqual(db == nil, dbWant == nil, "case \(i) bias gradient")
        }
    }

    /// Ties (a constant input: every position of a window equal, the first wins), a NaN (never
    /// wins, as in ``Kernels/maxPool(_:_:into:argmax:)``) and all-negative windows under relu.
    func testTiesNaNAndDeadWindowsFollowTheSeparateOps() throws {
        let c = cases[0]
        let x = Tensor(shape: c.x, repeating: 1)
        x.data[20] = .nan
        for j in 0..<10 { x.data[40 + j] = -3 }
        let k = GradientCheck.random(c.kernel, in: -0.5...0.5, seed: 5), bias = GradientCheck.random([32], seed: 6)
        let r = GradientCheck.random([3, 3, 3, 32], seed: 7)
        let (want, dkWant, dbWant) = try run(c, x: x, kernel: k, bias: bias, r: r, fused: false)
        let (got, dk, db) = try run(c, x: x, kernel: k, bias: bias, r: r, fused: true)
        assertSame(got, want, exact: true, "output")
        assertSame(dk, dkWant, exact: false, "dkernel")
        if let db, let dbWant { assertSame(db, dbWant, exact: false, "dbias") }
    }

    /// The four-lane kernels (windows that never reach the padding, 4, 8, 12 or 16 filters) give
    /// the general kernel's bits: each filter is a lane computed on its own, so a layer's filters
    /// equal the same filters among three more (a count only the general kernel runs) exactly,
    /// in the output, the kernel gradient and the bias gradient. A constant sample (ties in every
    /// pooling window) and a negative one in the first case, a NaN input in the last.
    func testFourLaneKernelsEqualTheGeneralKernelBitForBit() throws {
        let cases: [Case] = [
            // The digits grid's layer (8×8×1, 3×3, 4 filters, 2×2 pool).
            Case(x: [5, 8, 8, 1], kernel: [3, 3, 1, 4], strides: [1, 1], dilation: [1, 1], pool: [2, 2]),
            Case(x: [3, 9, 8, 2], kernel: [3, 2, 2, 8], strides: [1, 1], dilation: [1, 1], activation: .linear, pool: [2, 3]),
            // Conv1D, strided and dilated, no bias.
            Case(x: [2, 11, 2], kernel: [3, 2, 16], strides: [2], dilation: [2], bias: false, pool: [2]),
            Case(x: [2, 4, 5, 5, 1], kernel: [2, 2, 2, 1, 12], strides: [1, 1, 1], dilation: [1, 1, 1], pool: [1, 2, 2]),
            // `same` padding that pads nothing (a 1×1 kernel).
            Case(x: [2, 6, 6, 3], kernel: [1, 1, 3, 8], strides: [1, 1], padding: .same, dilation: [1, 1], pool: [2, 2]),
            Case(x: [2, 8, 8, 1], kernel: [3, 3, 1, 8], strides: [1, 1], dilation: [1, 1], pool: [2, 2]),
        ]
        for (i, c) in cases.enumerated() {
            let f = c.kernel.last ?? 0, wide = f + 3, rows = c.kernel.dropLast().reduce(1, *)
            let x = GradientCheck.random(c.x, seed: UInt64(50 + i))
            if i == 0 {
                for j in 0..<64 { x.data[j] = 1 }
                for j in 64..<128 { x.data[j] = -1 - Float(j % 3) }
            }
            if i == cases.count - 1 { x.data[70] = .nan }
            let k = GradientCheck.random(c.kernel, in: -0.5...0.5, seed: UInt64(60 + i))
            let kWide = GradientCheck.random(Array(c.kernel.dropLast()) + [wide], in: -0.5...0.5, seed: UInt64(70 + i))
            for r in 0..<rows { for j in 0..<f { kWide.data[r * wide + j] = k.data[r * f + j] } }
            let bias = c.bias ? GradientCheck.random([f], seed: UInt64(80 + i)) : nil
            let bWide = c.bias ? GradientCheck.random([wide], seed: UInt64(90 + i)) : nil
            if let bias, let bWide { for j in 0..<f { bWide.data[j] = bias.data[j] } }
            let shape = try run(c, x: x, kernel: k, bias: bias, r: nil, fused: true).0.shape
            let positions = shape.dropLast().reduce(1, *)
            let r = GradientCheck.random(shape, seed: UInt64(100 + i))
            let rWide = GradientCheck.random(Array(shape.dropLast()) + [wide], seed: UInt64(110 + i))
            for p in 0..<positions { for j in 0..<f { rWide.data[p * wide + j] = r.data[p * f + j] } }
            let (out, dk, db) = try run(c, x: x, kernel: k, bias: bias, r: r, fused: true)
            let (outWide, dkWide, dbWide) = try run(c, x: x, kernel: kWide, bias: bWide, r: rWide, fused: true)
            func same(_ a: Tensor, _ b: Tensor, count n: Int, _ what: String) {
                for p in 0..<n {
                    for j in 0..<f {
                        let u = a.data[p * f + j], v = b.data[p * wide + j]
                        XCTAssertTrue(u.bitPattern == v.bitPattern || (u.isNaN && v.isNaN), "case \(i) \(what)[\(p), \(j)]: \(u) vs \(v)")
                    }
                }
            }
            same(out, outWide, count: positions, "output")
            same(dk, dkWide, count: rows, "dkernel")
            if let db, let dbWide { same(db, dbWide, count: 1, "dbias") }
            XCTAssertEqual(db == nil, !c.bias, "case \(i) bias gradient")
        }
    }

    func testDeclinesWhereTheFusedKernelDoesNotApply() throws {
        let x = GradientCheck.random([2, 8, 8, 1], seed: 1), k = GradientCheck.random([3, 3, 1, 4], seed: 2)
        func fused(_ x: Tensor, _ k: Tensor, activation: ElementwiseActivation = .relu, pool: [Int] = [2, 2],
                   poolStrides: [Int] = [2, 2], poolPadding: ConvPadding = .valid) -> Tensor? {
            Ops.convMaxPool(x, kernel: k, bias: nil, strides: [1, 1], padding: .valid, dilation: [1, 1], activation: activation,
                            poolSize: pool, poolStrides: poolStrides, poolPadding: poolPadding)
        }
        XCTAssertNotNil(fused(x, k))
        XCTAssertNil(fused(x, k, poolStrides: [1, 1]), "overlapping windows")
        XCTAssertNil(fused(x, k, poolPadding: .same), "padded windows")
        XCTAssertNil(fused(x, k, activation: .sigmoid), "sigmoid")
        XCTAssertNil(fused(GradientCheck.random([2, 8, 8, 4], seed: 3), GradientCheck.random([3, 3, 4, 4], seed: 4)), "k = 36")
        XCTAssertNil(fused(x, GradientCheck.random([3, 3, 2, 4], seed: 4)), "channel mismatch")
        XCTAssertNil(fused(x, k, pool: [7, 7], poolStrides: [7, 7]), "pool larger than the output")
        let tape = GradientTape()
        tape.record {
            XCTAssertNil(fused(tape.watch(x), k), "an input whose gradient is recorded")
        }
    }

    /// Conv2D → MaxPooling2D runs fused in a Sequential and in a functional model: both train
    /// exactly alike, and as the same layers kept apart by an identity activation.
    func testSequentialAndFunctionalTrainFusedAsUnfused() throws {
        try assertFusedModelsTrainAsUnfused(seed: 11, fusedLayers: 1) {
            try [Conv2D(16, kernelSize: [3], activation: .relu), MaxPooling2D(poolSize: [2]), Flatten(),
                 Dense(3, activation: .softmax)]
        }
    }

    /// No fusion where another layer or a model output reads the convolution's output (or the
    /// BatchNormalization's).
    func testFunctionalFusionOnlyWhereNothingElseReadsTheOutput() throws {
        let input = Input(shape: [10, 9, 1])
        let conv = try Conv2D(4, kernelSize: [3], activation: .relu), pool = try MaxPooling2D(poolSize: [2])
        let c = try conv(input), p = try Flatten()(pool(c))
        let alsoRead = try Model(inputs: input, outputs: try Concatenate()([p, try GlobalMaxPooling2D()(c)]))
        XCTAssertNil(alsoRead.pooledConvRuns(), "the convolution's output feeds two layers")
        XCTAssertNil(try Model(inputs: input, outputs: [p, c]).pooledConvRuns(), "the convolution's output is a model output")
        XCTAssertEqual(try Model(inputs: input, outputs: p).pooledConvRuns()?.byNode.count, 1)
        let bn = BatchNormalization(), n = try bn(try Conv2D(4, kernelSize: [3])(input))
        let normalizedOut = try Model(inputs: input, outputs: [try Flatten()(try MaxPooling2D(poolSize: [2])(n)), n])
        XCTAssertNil(normalizedOut.pooledConvRuns(), "the normalization's output is a model output")
        // The functional model with two consumers still trains and predicts as Keras would.
        try alsoRead.compile(optimizer: "sgd", loss: "mse")
        try alsoRead.fit(GradientCheck.random([4, 10, 9, 1], seed: 3), Tensor(shape: [4, 52], repeating: 0.5),
                         batchSize: 2, epochs: 1, verbose: 0)
    }
}

extension XCTestCase {
    /// Builds `layers()` three times from the same weights: as a Sequential and as a functional
    /// model, in both of which the first convolution fuses `fusedLayers` following layers, and as a
    /// Sequential with an identity `Activation` after the convolution, which keeps it unfused.
    /// Trains each three epochs on the same batches: the two fused models end bit-identical, and
    /// equal to the unfused one up to the order of sums (weights, moving statistics, predictions).
    func assertFusedModelsTrainAsUnfused(seed: Int, fusedLayers: Int, _ layers: () throws -> [Layer],
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        setRandomSeed(seed)
        let sequential = try Sequential([InputLayer(shape: [10, 9, 1])] + layers())
        let input = Input(shape: [10, 9, 1])
        var h = input
        for l in try layers() { h = try l(h) }
        let functional = try Model(inputs: input, outputs: h)
        var apart = try layers()
        apart.insert(Activation(.linear), at: 1)
        let unfused = try Sequential([InputLayer(shape: [10, 9, 1])] + apart)
        try functional.setWeights(sequential.getWeights())
        try unfused.setWeights(sequential.getWeights())
        XCTAssertEqual(sequential.pooledConvRuns()?.byLayer.first?.value.layers.count, fusedLayers, "Sequential fuses", file: file, line: line)
        XCTAssertEqual(functional.pooledConvRuns()?.byNode.first?.value.layers.count, fusedLayers, "functional fuses", file: file, line: line)
        XCTAssertNil(unfused.pooledConvRuns(), "an identity activation keeps the layers apart", file: file, line: line)
        let x = GradientCheck.random([24, 10, 9, 1], seed: UInt64(seed + 1)), y = Tensor(shape: [24], repeating: 0)
        for i in 0..<24 { y.data[i] = Float(i % 3) }
        for m in [sequential, functional, unfused] as [Model] {
            try m.compile(optimizer: "sgd", loss: "sparse_categorical_crossentropy")
            try m.fit(x, y, batchSize: 8, epochs: 3, verbose: 0, shuffle: false)
        }
        for (a, (b, c)) in zip(sequential.getWeights(), zip(functional.getWeights(), unfused.getWeights())) {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: a.data, count: a.count)), Array(UnsafeBufferPointer(start: b.data, count: b.count)),
                           "Sequential and functional weights of shape \(a.shape)", file: file, line: line)
            XCTAssertTrue(a.isClose(to: c, atol: 1e-5), "fused and unfused weights of shape \(a.shape)", file: file, line: line)
        }
        let p = try sequential.predict(x)
        XCTAssertTrue(p.isClose(to: try functional.predict(x), atol: 0, rtol: 0), "predictions", file: file, line: line)
        XCTAssertTrue(p.isClose(to: try unfused.predict(x), atol: 1e-5), "predictions", file: file, line: line)
    }
}
