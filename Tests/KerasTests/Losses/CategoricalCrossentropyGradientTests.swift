import XCTest
@testable import Keras

/// Gradient checks for `Ops.categoricalCrossentropy`: the fused path (the prediction comes
/// straight from a softmax on the tape), the unfused path, and from logits.
final class CategoricalCrossentropyGradientTests: XCTestCase {
    typealias G = GradientCheck

    /// Soft targets whose rows sum to one.
    func targets(_ rows: Int, _ classes: Int) throws -> Tensor {
        let raw = G.random([rows, classes], in: 0.1...1, seed: 71)
        return try Ops.divide(raw, Ops.sum(raw, axes: [1], keepDims: true))
    }

    func testFusedSoftmaxCrossentropyGradients() throws {
        let y = try targets(3, 4)
        let logits = G.random([3, 4], seed: 72)
        try G.check([logits], "softmax → crossentropy (fused)") { xs in
            try Ops.categoricalCrossentropy(y, Ops.softmax(xs[0]))
        }
    }

    func testFusedPathIsTakenAndMatchesUnfused() throws {
        let y = try targets(3, 4)
        let logits = G.random([3, 4], seed: 73)
        let tape = GradientTape()
        let (w, fused) = try tape.record { () throws -> (Tensor, Tensor) in
            let w = tape.watch(logits)
            return (w, try Ops.categoricalCrossentropy(y, Ops.softmax(w)))
        }
        let gFused = try tape.gradient(of: try tape.record { try Ops.sum(fused) }, with: [w])[0]
        // Going through an extra op hides the softmax producer, forcing the unfused path.
        let tape2 = GradientTape()
        let (w2, unfused) = try tape2.record { () throws -> (Tensor, Tensor) in
            let w2 = tape2.watch(logits)
            return (w2, try Ops.categoricalCrossentropy(y, Ops.softmax(w2) * 1))
        }
        let gUnfused = try tape2.gradient(of: try tape2.record { try Ops.sum(unfused) }, with: [w2])[0]
        XCTAssertTrue(fused.isClose(to: unfused), "\(fused) vs \(unfused)")
        XCTAssertTrue(gFused.isClose(to: gUnfused, atol: 1e-5, rtol: 1e-4), "\(gFused) vs \(gUnfused)")
    }

    /// With a saturated softmax (the target's probability clipped to ε) Keras's clipped formula
    /// has no gradient left, and neither has the fused node (it gave `softmax − target` before
    /// keras-io's oxford_pets_image_segmentation showed Keras's training differ).
    func testFusedPathFollowsKerasClipOfSaturatedSoftmax() throws {
        let y = Tensor([[0, 1, 0]])
        let logits = Tensor([[20, -20, 0]])
        let tape = GradientTape()
        let (w, loss) = try tape.record { () throws -> (Tensor, Tensor) in
            let w = tape.watch(logits)
            return (w, try Ops.sum(Ops.categoricalCrossentropy(y, Ops.softmax(w))))
        }
        let g = try tape.gradient(of: loss, with: [w])[0]
        XCTAssertTrue(g.isClose(to: Tensor([[0, 0, 0]]), atol: 1e-7), "\(g)")
        XCTAssertEqual(try XCTUnwrap(loss.scalar), -Float(log(1e-7)), accuracy: 1e-3)
    }

    func testUnfusedCrossentropyGradients() throws {
        let y = try targets(3, 4)
        // Unnormalised positive predictions exercise the renormalisation before the log.
        let p = G.random([3, 4], in: 0.2...1, seed: 74)
        try G.check([p], "crossentropy on probabilities (unfused)") { xs in
            try Ops.categoricalCrossentropy(y, xs[0])
        }
    }

    func testFromLogitsCrossentropyGradients() throws {
        let y = try targets(2, 5)
        let logits = G.random([2, 5], seed: 75)
        try G.check([logits], "crossentropy from logits") { xs in
            try Ops.categoricalCrossentropy(y, xs[0], fromLogits: true)
        }
    }

    func testSoftmaxCrossentropyOpGradients() throws {
        let y = try targets(3, 4)
        let logits = G.random([3, 4], seed: 76)
        try G.check([logits], "Ops.softmaxCrossentropy") { xs in try Ops.softmaxCrossentropy(y, logits: xs[0]) }
        XCTAssertThrowsError(try Ops.softmaxCrossentropy(Tensor(shape: [2, 3]), logits: Tensor(shape: [2, 4])))
    }

    /// The fused op on logits gives the same numbers as the loss on a softmax output (which
    /// carries its logits), and the output of any further op no longer carries them.
    func testSoftmaxOutputCarriesItsLogits() throws {
        let y = try targets(3, 4)
        let logits = G.random([3, 4], seed: 77)
        let tape = GradientTape()
        let (w, p, direct, viaLoss) = try tape.record { () throws -> (Tensor, Tensor, Tensor, Tensor) in
            let w = tape.watch(logits)
            let p = try Ops.softmax(w)
            return (w, p, try Ops.softmaxCrossentropy(y, logits: w), try Ops.categoricalCrossentropy(y, p))
        }
        XCTAssertEqual(p.logitsNode, w.node)
        XCTAssertEqual(tape.record { p * 1 }.logitsNode, -1)
        XCTAssertEqual(try GradientTape.withoutRecording { try Ops.softmax(logits, axis: 0) }.logitsNode, -1)
        XCTAssertEqual(direct, viaLoss)
    }

    /// Loss value and gradient into the logits of a `Dense(softmax)`-like head, fused (the loss
    /// sees the softmax output) and unfused (an extra op hides the logits), for the categorical
    /// and sparse losses.
    func testLossesOnSoftmaxOutputMatchUnfusedPath() throws {
        let logits = G.random([5, 4], seed: 78)
        let oneHot = Tensor([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
        let labels = Tensor([0, 2, 1, 3, 2])
        let cases: [(Loss, Tensor)] = [(CategoricalCrossentropy(), oneHot), (SparseCategoricalCrossentropy(), labels),
                                       (SparseCategoricalCrossentropy(ignoreClass: 2), labels)]
        for (loss, target) in cases {
            func run(hide: Bool) throws -> (Tensor, Tensor) {
                let tape = GradientTape()
                let (w, l) = try tape.record { () throws -> (Tensor, Tensor) in
                    let w = tape.watch(logits)
                    let p = try Ops.softmax(w)
                    return (w, try loss(target, hide ? p * 1 : p))
                }
                return (l, try tape.gradient(of: l, with: [w])[0])
            }
            let (fusedLoss, fusedGrad) = try run(hide: false)
            let (plainLoss, plainGrad) = try run(hide: true)
            XCTAssertEqual(try XCTUnwrap(fusedLoss.scalar), try XCTUnwrap(plainLoss.scalar), accuracy: 1e-6, loss.name)
            XCTAssertTrue(fusedGrad.isClose(to: plainGrad, atol: 1e-6, rtol: 1e-4), "\(loss.name): \(fusedGrad) vs \(plainGrad)")
        }
    }

    func testCrossentropyRejectsMismatchedShapes() {
        XCTAssertThrowsError(try Ops.categoricalCrossentropy(Tensor(shape: [2, 3]), Tensor(shape: [2, 4])))
    }
}
