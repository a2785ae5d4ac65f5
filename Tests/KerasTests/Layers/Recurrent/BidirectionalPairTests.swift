import XCTest
@testable import Keras

/// The two directions of a Bidirectional layer as one op on two cores
/// (``Ops/recurrentSequences(_:_:)``): outputs, states and every gradient equal the two layers
/// run one after the other, for each merge mode, with masks, and pass a finite-difference check.
final class BidirectionalPairTests: XCTestCase {
    /// A batch mask with steps masked at the start, the end and in between, one row all masked.
    private func mask(batch: Int, steps: Int) -> Tensor {
        let m = Tensor(shape: [batch, steps], repeating: 1)
        for i in 0..<batch {
            for t in 0..<steps where (i * 5 + t) % 7 == 0 || t >= steps - i || i == batch - 1 { m.data[i * steps + t] = 0 }
        }
        return m
    }

    /// Every output of `layer` on `x`, then the gradients of a weighted sum of them with respect
    /// to `x` and every weight; `paired` chooses the one-op path.
    private func run(_ layer: Bidirectional, _ x: Tensor, mask: Tensor?, paired: Bool, training: Bool = true) throws -> [Tensor] {
        layer.pairsDirections = paired
        let tape = GradientTape()
        let (watched, outs, loss) = try tape.record { () throws -> (Tensor, [Tensor], Tensor) in
            let w = tape.watch(x)
            let outs = try layer.callMultiple([w], masks: [mask], training: training).outputs
            var loss = Tensor(shape: [])
            for (k, o) in outs.enumerated() {
                loss = try Ops.add(loss, Ops.sum(Ops.multiply(o, GradientCheck.random(o.shape, in: -1...1, seed: 40 + UInt64(k)))))
            }
            return (w, outs, loss)
        }
        return outs + (try tape.gradient(of: loss, with: [watched])) + (try tape.gradient(of: loss, with: layer.weights))
    }

    private func assertPairedEqualsSequential(_ layer: Bidirectional, _ x: Tensor, mask: Tensor?, _ what: String,
                                              file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try GradientTape.withoutRecording { try layer.callMultiple([x], masks: [mask], training: false) }
        let sequential = try run(layer, x, mask: mask, paired: false)
        let paired = try run(layer, x, mask: mask, paired: true)
        XCTAssertEqual(paired.count, sequential.count, what, file: file, line: line)
        for (i, (a, b)) in zip(paired, sequential).enumerated() {
            XCTAssertEqual(a.shape, b.shape, "\(what): result \(i)", file: file, line: line)
            // The same arithmetic per row; OpenBLAS may round a product of another shape
            // differently, so relative to the largest value.
            var worst: Float = 0, scale: Float = 1
            for j in 0..<min(a.count, b.count) { worst = max(worst, abs(a.data[j] - b.data[j])); scale = max(scale, abs(b.data[j])) }
            XCTAssertLessThanOrEqual(worst, 1e-6 * scale, "\(what): result \(i) differs between the paired and sequential paths",
                                     file: file, line: line)
        }
    }

    func testPairedDirectionsEqualSequentialLayersForEveryMergeMode() throws {
        let x = GradientCheck.random([5, 7, 6], in: -1...1, seed: 21)
        let m = mask(batch: 5, steps: 7)
        try assertPairedEqualsSequential(Bidirectional(LSTM(8, returnSequences: true)), x, mask: m, "LSTM(8) concat, masked")
        try assertPairedEqualsSequential(Bidirectional(LSTM(8), mergeMode: .sum), x, mask: nil, "LSTM(8) sum")
        try assertPairedEqualsSequential(Bidirectional(LSTM(3, returnState: true), mergeMode: .ave), x, mask: m, "LSTM(3) ave, states, masked")
        try assertPairedEqualsSequential(Bidirectional(GRU(8, returnSequences: true, returnState: true), mergeMode: nil), x, mask: m,
                                         "GRU(8) no merge, states, masked")
        try assertPairedEqualsSequential(Bidirectional(GRU(4, resetAfter: false), mergeMode: .mul), x, mask: m, "GRU(4, reset_after: false) mul, masked")
        try assertPairedEqualsSequential(Bidirectional(SimpleRNN(8, returnSequences: true), mergeMode: .mul), x, mask: nil, "SimpleRNN(8) mul")
    }

    /// A batch large enough that the sequential path splits each direction's batch across two
    /// cores, against the paired path that runs each direction on one.
    func testPairedDirectionsEqualSplitBatches() throws {
        let x = GradientCheck.random([24, 30, 16], in: -1...1, seed: 22)
        let layer = try Bidirectional(LSTM(32))
        _ = try GradientTape.withoutRecording { try layer.callMultiple([x], masks: nil, training: false) }
        let seq = try XCTUnwrap(layer.forwardLayer.builtInCell)
        let probe = RecurrentSequence(kind: seq.kind, activation: .tanh, recurrentActivation: .sigmoid, x: Tensor(shape: [30, 24, 16]),
                                      mask: nil, kernel: Tensor(shape: [16, 128]), recurrent: Tensor(shape: [32, 128]), bias: nil)
        XCTAssertEqual(probe.parts, Parallel.cores >= 2 && Parallel.twoCoreFits ? 2 : 1)
        try assertPairedEqualsSequential(layer, x, mask: mask(batch: 24, steps: 30), "LSTM(32) concat, split batch, masked")
    }

    /// The paired op hands a direction to the partner thread; a worker of a search keeps one core.
    func testPairedDirectionsUseThePartnerOutsideASearchOnly() throws {
        try XCTSkipIf(Parallel.partner == nil || !Parallel.twoCoreFits, "one core: nothing to share")
        let partner = try XCTUnwrap(Parallel.partner)
        let layer = try Bidirectional(LSTM(8))
        let x = GradientCheck.random([4, 6, 3], seed: 23)
        _ = try layer(x)
        partner.clearBusy()
        let before = partner.products.load(ordering: .relaxed)
        _ = try layer(x)
        XCTAssertGreaterThan(partner.products.load(ordering: .relaxed), before, "the directions were not shared")
        partner.clearBusy()
        let beforeWorker = partner.products.load(ordering: .relaxed)
        let one = try Parallel.asWorker { try layer(x) }
        XCTAssertEqual(partner.products.load(ordering: .relaxed), beforeWorker, "a worker of a search shared its directions")
        assertClose([one], [try layer(x)], atol: 0, "a worker's output")
    }

    func testPairedDirectionsPassFiniteDifferences() throws {
        let x = GradientCheck.random([3, 5, 4], in: -1...1, seed: 24)
        let m = mask(batch: 3, steps: 5)
        for layer in [try Bidirectional(LSTM(8, returnSequences: true)), try Bidirectional(GRU(8), mergeMode: .sum)] {
            _ = try GradientTape.withoutRecording { try layer.callMultiple([x], masks: [m], training: false) }
            try GradientCheck.check([x], variables: layer.weights, "\(layer.forwardLayer.className) paired, masked") { xs in
                try layer.callMultiple([xs[0]], masks: [m], training: false).outputs[0]
            }
        }
    }
}
