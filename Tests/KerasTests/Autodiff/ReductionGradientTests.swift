import XCTest
@testable import Keras

final class ReductionGradientTests: XCTestCase {
    /// The gradient of a mean over the last axis reaches every element (it used to be read as if
    /// the upstream gradient already had the input's size).
    func testMeanOverLastAxisGradientReachesEveryColumn() throws {
        let x = Variable(Tensor([[1, 2, 3], [4, 5, 6]]), name: "x")
        let tape = GradientTape()
        let loss = try tape.record { try Ops.sum(Ops.mean(Ops.square(x.value), axis: -1)) }
        let g = try tape.gradient(of: loss, with: [x])[0]
        assertClose(g.scalars, [1, 2, 3, 4, 5, 6].map { 2 * $0 / 3 })
    }
}
