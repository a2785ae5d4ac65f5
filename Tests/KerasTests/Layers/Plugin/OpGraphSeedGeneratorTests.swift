import XCTest
@testable import Keras

/// Random ops bound to a graph's ``SeedGenerator`` (Keras's `SeedGenerator` held by a layer):
/// ops naming one generator share its `[seed, counter]` state, which moves on by one at each
/// draw evaluated (not at the trace's probes), keys the numbers alone, and carries over when
/// the layer is rebuilt.
final class OpGraphSeedGeneratorTests: XCTestCase {
    private func shape(_ dims: [Int]) -> JSON { .array(dims.map { .int($0) }) }

    private func draw(_ generator: String, seed: Int = 7, counter: Int? = nil) -> JSON {
        var pairs: [(String, JSON)] = [("shape", shape([-1, 3])), ("seed", .int(seed)), ("seed_generator", .string(generator))]
        if let counter { pairs.append(("counter", .int(counter))) }
        return .object(pairs)
    }

    /// Output: x + normal (both modes) + uniform (training only), both from generator "g".
    private func twoDraws(counter: Int? = nil) throws -> OpGraph {
        let g = OpGraph(inputShape: [nil, 3]) { _ in Tensor(shape: [0]) }
        let x = try g.addInput()
        let n = try g.addOp("random_normal", [x], attributes: draw("g", counter: counter))
        let u = try g.addOp("random_uniform", [x], attributes: draw("g"))
        let inference = try g.addOp("add", [x, n], attributes: .object([]))
        let training = try g.addOp("add", [inference, u], attributes: .object([]))
        try g.setOutput(inference, training: false)
        try g.setOutput(training, training: true)
        g.finish()
        return g
    }

    func testTheStateAdvancesByOneAtEachDrawAStepMakes() throws {
        let g = try twoDraws(counter: 5)
        XCTAssertEqual(g.seedGenerators.count, 1, "two ops naming one generator share it")
        let state = try XCTUnwrap(g.seedGenerators.first)
        XCTAssertEqual(state.name, "g")
        XCTAssertEqual(state.state, [7, 5], "the trace's probes are not draws")
        let x = Tensor(shape: [2, 3])
        _ = try g.run(x, weights: [], training: true)
        XCTAssertEqual(state.state, [7, 7])
        _ = try g.run(x, weights: [], training: false)
        XCTAssertEqual(state.state, [7, 8], "an inference step draws once")
    }

    func testTheStateAloneKeysTheNumbers() throws {
        let g = try twoDraws()
        let x = Tensor(shape: [4, 3])
        let first = try g.run(x, weights: [], training: false).scalars
        XCTAssertNotEqual(try g.run(x, weights: [], training: false).scalars, first)
        g.seedGenerators[0].assign(seed: 7, counter: 0)
        XCTAssertEqual(try g.run(x, weights: [], training: false).scalars, first)
        // Another graph at the same state draws the same; another seed does not.
        XCTAssertEqual(try twoDraws().run(x, weights: [], training: false).scalars, first)
        let other = try twoDraws()
        other.seedGenerators[0].assign(seed: 8, counter: 0)
        XCTAssertNotEqual(try other.run(x, weights: [], training: false).scalars, first)
        // The counter wraps as Keras's uint32 does.
        g.seedGenerators[0].assign(seed: 7, counter: .max)
        _ = try g.run(x, weights: [], training: false)
        XCTAssertEqual(g.seedGenerators[0].state, [7, 0])
    }

    func testARebuiltGraphKeepsItsGenerators() throws {
        let g = try twoDraws()
        _ = try g.run(Tensor(shape: [1, 3]), weights: [], training: true)
        let rebuilt = OpGraph(inputShape: [nil, 3]) { _ in Tensor(shape: [0]) }
        rebuilt.earlierSeedGenerators = g.seedGenerators
        let x = try rebuilt.addInput()
        _ = try rebuilt.addOp("random_normal", [x], attributes: draw("g", counter: 0))
        XCTAssertTrue(rebuilt.seedGenerators[0] === g.seedGenerators[0])
        XCTAssertEqual(rebuilt.seedGenerators[0].state, [7, 2])
    }

    func testBadGeneratorAttributesAreErrorsNamingThem() throws {
        let g = OpGraph(inputShape: [nil, 3]) { _ in Tensor(shape: [0]) }
        let x = try g.addInput()
        for (key, value, message) in [("seed_generator", JSON.int(3), "seed_generator"), ("seed_generator", .string(""), "seed_generator"),
                                      ("counter", .int(-1), "counter"), ("counter", .int(1 << 33), "counter")] {
            var pairs: [(String, JSON)] = [("shape", shape([-1, 3])), ("seed", .int(1)), ("seed_generator", .string("g"))]
            pairs.removeAll { $0.0 == key }
            pairs.append((key, value))
            XCTAssertThrowsError(try g.addOp("random_normal", [x], attributes: .object(pairs))) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
            }
        }
    }
}
