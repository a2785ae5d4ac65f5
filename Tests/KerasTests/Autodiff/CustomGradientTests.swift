import XCTest
@testable import Keras

/// `Ops.customGradient` with several inputs and outputs: forward computed off the tape, the
/// vector-Jacobian product supplied by hand, checked against finite differences.
final class CustomGradientTests: XCTestCase {
    typealias G = GradientCheck

    /// `u = a * b`, `v = a + 2 b²` elementwise, recorded as one custom op.
    func productAndSum(_ a: Tensor, _ b: Tensor) throws -> [Tensor] {
        let (u, v) = try GradientTape.withoutRecording { (try a * b, try a + 2 * Ops.square(b)) }
        return try Ops.customGradient([u, v], inputs: [a, b]) { g in
            let (gu, gv) = (g[0].detached, g[1].detached)
            let da = try gu * b.detached + gv
            let db = try gu * a.detached + gv * (4 * b.detached)
            return [da, db]
        }
    }

    func testTwoInputsTwoOutputsMatchFiniteDifferences() throws {
        let a = G.random([2, 3], seed: 41), b = G.random([2, 3], seed: 42)
        try G.check([a, b], "customGradient (2 → 2)") { xs in
            let out = try productAndSum(xs[0], xs[1])
            return try Ops.concatenate([out[0], out[1] * 3], axis: 1)
        }
    }

    /// An output the target does not reach contributes a zero upstream gradient.
    func testUnusedOutputGetsZeroUpstream() throws {
        let a = G.random([4], seed: 43), b = G.random([4], seed: 44)
        try G.check([a, b], "customGradient (second output only)") { xs in try productAndSum(xs[0], xs[1])[1] }
        try G.check([a, b], "customGradient (first output only)") { xs in try productAndSum(xs[0], xs[1])[0] }
    }

    func testWrongGradientShapeThrows() throws {
        let tape = GradientTape()
        let x = Tensor([1, 2, 3])
        let loss = try tape.record { () throws -> Tensor in
            let w = tape.watch(x)
            let out = try Ops.customGradient([w.detached, w.detached], inputs: [w]) { _ in [Tensor([1])] }
            return try Ops.sum(out[0] + out[1])
        }
        XCTAssertThrowsError(try tape.gradient(of: loss, with: [x])) { error in
            XCTAssertTrue("\(error)".contains("input 0 has shape [1]"), "\(error)")
        }
    }

    func testUntrackedInputsRecordNothing() throws {
        let out = try Ops.customGradient([Tensor([1])], inputs: [Tensor([2])]) { _ in
            XCTFail("no gradient is asked for")
            return []
        }
        XCTAssertFalse(out[0].isRecorded)
    }
}
