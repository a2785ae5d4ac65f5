import XCTest
@testable import Keras

extension LayerFixture {
    /// Compares the tape gradients of `Σ layer(inputs) ⊙ loss_weights` with the ones `jax.grad`
    /// wrote (the inputs' first, then the trainable weights'); the layer holds the fixture's weights.
    func assertGradientsMatch(_ layer: Layer, atol: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) throws {
        let xs = try inputs
        let r = try Self.tensor(try XCTUnwrap(json["loss_weights"], file: file, line: line))
        let expected = try XCTUnwrap(json["gradients"]?.arrayValue, file: file, line: line).map(Self.tensor)
        let tape = GradientTape()
        let (watched, loss) = try tape.record { () throws -> ([Tensor], Tensor) in
            let w = xs.map { tape.watch($0) }
            return (w, try Ops.sum(Ops.multiply(layer.callEager(w, training: false), r)))
        }
        let grads = try tape.gradient(of: loss, with: watched) + tape.gradient(of: loss, with: layer.trainableWeights)
        XCTAssertEqual(grads.count, expected.count, "\(name): gradient count", file: file, line: line)
        for (i, (g, e)) in zip(grads, expected).enumerated() {
            XCTAssertTrue(g.shape == e.shape && g.isClose(to: e, atol: atol), "\(name): gradient \(i) Swift \(g) vs Keras \(e)", file: file, line: line)
        }
    }
}
