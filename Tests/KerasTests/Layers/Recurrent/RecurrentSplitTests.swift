import XCTest
@testable import Keras

/// The fused recurrent op splits a large batch across two cores (each slice of rows runs the
/// whole sequence on its own): outputs and every gradient must equal the one-core pass, which
/// runs on a worker thread of a parallel job (``Parallel/asWorker(_:)``).
final class RecurrentSplitTests: XCTestCase {
    /// Outputs, then the gradients of x, kernel, recurrent kernel, bias and initial states of a
    /// weighted sum of every output of `kind` over a masked batch large enough to be split.
    private func run(_ kind: RecurrentCellKind, oneCore: Bool) throws -> [Tensor] {
        let (b, steps, f, u) = (21, 40, 8, 32)
        let g = kind.gates * u
        let x = GradientCheck.random([b, steps, f], seed: 1)
        let kernel = GradientCheck.random([f, g], in: -0.5...0.5, seed: 2)
        let recurrent = GradientCheck.random([u, g], in: -0.3...0.3, seed: 3)
        let bias = GradientCheck.random(kind == .gru(resetAfter: true) ? [2, g] : [g], in: -0.5...0.5, seed: 4)
        let states = (0..<(kind == .lstm ? 2 : 1)).map { GradientCheck.random([b, u], in: -0.5...0.5, seed: 5 + UInt64($0)) }
        let mask = Tensor(shape: [b, steps], repeating: 1)
        for i in 0..<b { for t in 0..<steps where (i * 7 + t) % 11 == 0 || t >= steps - i { mask.data[i * steps + t] = 0 } }
        let body = { () throws -> [Tensor] in
            let tape = GradientTape()
            let weights = GradientCheck.random([b, steps, u], in: -1...1, seed: 9)
            let (leaves, outs, loss) = try tape.record { () throws -> ([Tensor], [Tensor], Tensor) in
                let leaves = ([x, kernel, recurrent, bias] + states).map { tape.watch($0) }
                let outs = try Ops.recurrentSequence(leaves[0], kernel: leaves[1], recurrentKernel: leaves[2], bias: leaves[3],
                                                     kind: kind, activation: .tanh, recurrentActivation: .sigmoid,
                                                     mask: mask, initialStates: Array(leaves[4...]))
                var loss = try Ops.sum(Ops.multiply(outs[0], weights))
                for s in outs.dropFirst() { loss = try Ops.add(loss, Ops.sum(s)) }
                return (leaves, outs, loss)
            }
            return outs + (try tape.gradient(of: loss, with: leaves))
        }
        return oneCore ? try Parallel.asWorker(body) : try body()
    }

    func testSplitBatchEqualsOneCore() throws {
        for kind in [RecurrentCellKind.simple, .lstm, .gru(resetAfter: true), .gru(resetAfter: false)] {
            let split = try run(kind, oneCore: false), single = try run(kind, oneCore: true)
            XCTAssertEqual(split.count, single.count)
            for (i, (a, b)) in zip(split, single).enumerated() {
                XCTAssertEqual(a.shape, b.shape, "\(kind) result \(i)")
                // OpenBLAS may round a product of fewer rows differently: relative to the largest value.
                var worst: Float = 0, scale: Float = 1
                for j in 0..<min(a.count, b.count) { worst = max(worst, abs(a.data[j] - b.data[j])); scale = max(scale, abs(b.data[j])) }
                XCTAssertLessThanOrEqual(worst, 1e-6 * scale, "\(kind) result \(i): split and one-core passes differ")
            }
        }
    }

    func testLargeBatchesSplitAndSmallOnesDoNot() {
        let x = Tensor(shape: [40, 21, 8]), k = Tensor(shape: [8, 128]), r = Tensor(shape: [32, 128])
        let large = RecurrentSequence(kind: .lstm, activation: .tanh, recurrentActivation: .sigmoid,
                                      x: x, mask: nil, kernel: k, recurrent: r, bias: nil)
        XCTAssertEqual(large.parts, Parallel.cores >= 2 ? 2 : 1)
        XCTAssertEqual(Parallel.asWorker { large.parts }, 1)
        let small = RecurrentSequence(kind: .lstm, activation: .tanh, recurrentActivation: .sigmoid,
                                      x: Tensor(shape: [5, 4, 8]), mask: nil, kernel: k, recurrent: r, bias: nil)
        XCTAssertEqual(small.parts, 1)
    }
}

/// A masked LSTM or SimpleRNN runs only the rows each step needs (``RecurrentRowPacking``):
/// outputs and every gradient against the run of every row of every step.
final class RecurrentRowPackingTests: XCTestCase {
    /// Rows padded at the end, at the start, with gaps, all masked, and unmasked.
    private func mask(batch: Int, steps: Int) -> Tensor {
        let m = Tensor(shape: [batch, steps], repeating: 1)
        for i in 0..<batch {
            for t in 0..<steps {
                let tail = i % 4 == 0 && t >= steps - i, head = i % 4 == 1 && t < i
                let gap = i % 4 == 2 && (i + t) % 5 == 0
                if tail || head || gap || i == 3 { m.data[i * steps + t] = 0 }
            }
        }
        return m
    }

    private func run(_ kind: RecurrentCellKind, goBackwards: Bool, packs: Bool) throws -> [Tensor] {
        let (b, steps, f, u) = (11, 9, 5, 8)
        let g = kind.gates * u
        let x = GradientCheck.random([b, steps, f], seed: 51)
        let kernel = GradientCheck.random([f, g], in: -0.5...0.5, seed: 52)
        let recurrent = GradientCheck.random([u, g], in: -0.5...0.5, seed: 53)
        let bias = GradientCheck.random([g], in: -0.5...0.5, seed: 54)
        let states = (0..<(kind == .lstm ? 2 : 1)).map { GradientCheck.random([b, u], in: -0.5...0.5, seed: 55 + UInt64($0)) }
        let weights = GradientCheck.random([b, steps, u], in: -1...1, seed: 59)
        RecurrentRun.packsMaskedRows = packs
        defer { RecurrentRun.packsMaskedRows = true }
        let tape = GradientTape()
        let (leaves, outs, loss) = try tape.record { () throws -> ([Tensor], [Tensor], Tensor) in
            let leaves = ([x, kernel, recurrent, bias] + states).map { tape.watch($0) }
            let outs = try Ops.recurrentSequence(leaves[0], kernel: leaves[1], recurrentKernel: leaves[2], bias: leaves[3],
                                                 kind: kind, activation: .tanh, recurrentActivation: .sigmoid,
                                                 mask: mask(batch: b, steps: steps), initialStates: Array(leaves[4...]),
                                                 goBackwards: goBackwards)
            var loss = try Ops.sum(Ops.multiply(outs[0], weights))
            for (k, s) in outs.dropFirst().enumerated() { loss = try Ops.add(loss, Ops.multiply(Ops.sum(s), Tensor(Float(k + 2)))) }
            return (leaves, outs, loss)
        }
        return outs + (try tape.gradient(of: loss, with: leaves))
    }

    func testPackedRowsEqualEveryRowRun() throws {
        for kind in [RecurrentCellKind.lstm, .simple] {
            for goBackwards in [false, true] {
                let packed = try run(kind, goBackwards: goBackwards, packs: true)
                let every = try run(kind, goBackwards: goBackwards, packs: false)
                XCTAssertEqual(packed.count, every.count)
                for (i, (a, c)) in zip(packed, every).enumerated() {
                    XCTAssertEqual(a.shape, c.shape, "\(kind) backwards \(goBackwards) result \(i)")
                    // The weight gradients sum fewer rows: relative to the largest value.
                    var worst: Float = 0, scale: Float = 1
                    for j in 0..<min(a.count, c.count) { worst = max(worst, abs(a.data[j] - c.data[j])); scale = max(scale, abs(c.data[j])) }
                    XCTAssertLessThanOrEqual(worst, 1e-6 * scale, "\(kind) backwards \(goBackwards) result \(i)")
                }
                XCTAssertGreaterThan(packed[3].scalars.map(abs).max() ?? 0, 0, "the input gradient is not all zero")
            }
        }
    }

    /// Every unmasked step of a row runs (its position is below the step's count), and the
    /// packing holds fewer rows than the batch's steps.
    func testPackingCoversEveryUnmaskedStep() {
        let (b, steps) = (11, 9)
        let m = mask(batch: b, steps: steps)
        for goBackwards in [false, true] {
            let p = RecurrentRowPacking(mask: m.data, batch: b, steps: steps, goBackwards: goBackwards)
            XCTAssertEqual(p.order.sorted(), Array(0..<b))
            for (i, row) in p.order.enumerated() {
                for t in 0..<steps where m.data[row * steps + (goBackwards ? steps - 1 - t : t)] != 0 {
                    XCTAssertLessThan(i, p.counts[t], "row \(row) step \(t) backwards \(goBackwards)")
                }
            }
            XCTAssertEqual(p.rows, p.counts.reduce(0, +))
            XCTAssertLessThan(p.rows, b * steps)
        }
    }
}

/// The fused gate kernels (LSTM; GRU with reset_after; sigmoid gates, tanh cell) in Swift against
/// the general gate math.
final class FusedLSTMGateTests: XCTestCase {
    private func compareFusedAndGeneral(_ kind: RecurrentCellKind) {
        let (b, steps, f, u) = (5, 7, 3, 16)
        let g = kind.gates * u
        let x = GradientCheck.random([steps, b, f], seed: 11)
        let kernel = GradientCheck.random([f, g], in: -1...1, seed: 12)
        let recurrent = GradientCheck.random([u, g], in: -1...1, seed: 13)
        let biasShape = kind == .lstm ? [g] : [2, g]
        let bias = GradientCheck.random(biasShape, seed: 14)
        let mask = Tensor(shape: [steps, b], repeating: 1)
        mask.data[3] = 0; mask.data[12] = 0
        let dOut = GradientCheck.random([steps, b, u], seed: 15), dLast = GradientCheck.random([b, u], seed: 16)
        let dCell = GradientCheck.random([b, u], seed: 17)
        var results: [[Tensor]] = []
        for fused in [true, false] {
            let seq = RecurrentSequence(kind: kind, activation: .tanh, recurrentActivation: .sigmoid, x: x, mask: mask,
                                        kernel: kernel, recurrent: recurrent, bias: bias)
            seq.fusesGates = fused
            seq.native = false
            XCTAssertEqual(kind == .lstm ? seq.defaultLSTM : seq.defaultGRU, fused)
            seq.forward()
            let r = seq.backward(outputs: dOut, lastState: dLast, lastCell: kind == .lstm ? dCell : nil, biasShape: biasShape)
            results.append([seq.hs, seq.cs, seq.gates, seq.extra, r.x, r.kernel, r.recurrent, r.bias ?? Tensor(0), r.state, r.cell])
        }
        for (i, (a, c)) in zip(results[0], results[1]).enumerated() {
            XCTAssertEqual(a.scalars, c.scalars, "\(kind) result \(i)")
        }
        XCTAssertGreaterThan(results[0][4].scalars.map(abs).max() ?? 0, 0)
    }

    func testFusedGatesAreBitIdenticalToTheGeneralPath() {
        compareFusedAndGeneral(.lstm)
    }

    func testFusedGRUGatesAreBitIdenticalToTheGeneralPath() {
        compareFusedAndGeneral(.gru(resetAfter: true))
    }
}

/// The AVX2 step kernels (``Kernels/nativeRecurrentSteps``: the LSTM gate math and the per-step
/// products) against the Swift kernels and OpenBLAS, and through finite differences.
final class NativeRecurrentStepTests: XCTestCase {
    /// States, gates and every gradient of a masked sequence from initial states, each cell kind:
    /// equal to float rounding (the products sum in another order, with fused multiply-adds).
    func testNativeStepsMatchTheSwiftKernels() throws {
        try XCTSkipUnless(Kernels.nativeRecurrentSteps, "the CPU has no AVX2 + FMA")
        let (b, steps, f, u) = (5, 7, 3, 16)
        for kind in [RecurrentCellKind.simple, .lstm, .gru(resetAfter: true), .gru(resetAfter: false)] {
            let g = kind.gates * u
            let x = GradientCheck.random([steps, b, f], seed: 31)
            let kernel = GradientCheck.random([f, g], in: -1...1, seed: 32)
            let recurrent = GradientCheck.random([u, g], in: -1...1, seed: 33)
            let biasShape = kind == .gru(resetAfter: true) ? [2, g] : [g]
            let bias = GradientCheck.random(biasShape, seed: 34)
            let states = (0..<(kind == .lstm ? 2 : 1)).map { GradientCheck.random([b, u], in: -1...1, seed: 35 + UInt64($0)) }
            let mask = Tensor(shape: [steps, b], repeating: 1)
            mask.data[3] = 0; mask.data[12] = 0; mask.data[steps * b - 1] = 0
            let dOut = GradientCheck.random([steps, b, u], seed: 37), dLast = GradientCheck.random([b, u], seed: 38)
            let dCell = GradientCheck.random([b, u], seed: 39)
            var results: [[Tensor]] = []
            for native in [true, false] {
                let seq = RecurrentSequence(kind: kind, activation: .tanh, recurrentActivation: .sigmoid, x: x, mask: mask,
                                            kernel: kernel, recurrent: recurrent, bias: bias, initialStates: states)
                seq.native = native
                seq.forward()
                let r = seq.backward(outputs: dOut, lastState: dLast, lastCell: kind == .lstm ? dCell : nil, biasShape: biasShape)
                results.append([seq.hs, seq.cs, seq.gates, seq.extra, r.x, r.kernel, r.recurrent, r.bias ?? Tensor(0), r.state, r.cell])
            }
            for (i, (a, c)) in zip(results[0], results[1]).enumerated() {
                XCTAssertEqual(a.shape, c.shape, "\(kind) result \(i)")
                var worst: Float = 0
                for j in 0..<min(a.count, c.count) { worst = max(worst, abs(a.data[j] - c.data[j]) / max(1, abs(c.data[j]))) }
                XCTAssertLessThanOrEqual(worst, 1e-5, "\(kind) result \(i): AVX2 and Swift kernels differ")
            }
            XCTAssertGreaterThan(results[0][5].scalars.map(abs).max() ?? 0, 0, "\(kind): the kernel gradient is not all zero")
        }
    }

    /// LSTM(8) and GRU(8) run the fused gates and, on AVX2, the native steps: their gradients
    /// against finite differences.
    func testFusedStepGradientsMatchFiniteDifferences() throws {
        let layers: [RNN] = [try LSTM(8, returnSequences: true), try GRU(8, returnSequences: true),
                             try GRU(8, resetAfter: false, returnSequences: true)]
        for layer in layers {
            try GradientCheck.check(layer: layer, input: GradientCheck.random([3, 5, 4], seed: 41))
        }
    }
}
