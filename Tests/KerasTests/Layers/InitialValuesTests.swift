import XCTest
@testable import Keras

/// Weights made while their initial values are deferred (a model being loaded from a file):
/// never drawn when assigned first; otherwise the very values an eager draw gives, with the
/// random generator left where the eager draws leave it.
final class InitialValuesTests: XCTestCase {
    /// Every initializer kind: drawn from the generator (VarianceScaling, Orthogonal, normal),
    /// seeded, from the shape alone (zeros, identity) and a custom one (drawn at once).
    private func initializers() -> [Initializer] {
        [VarianceScaling.glorotUniform(), Orthogonal(), RandomNormal(), TruncatedNormal(seed: 4), Zeros(),
         Identity(gain: 2), InitializerFunction("custom") { shape, g in Tensor(shape: shape, repeating: g.uniform()) }]
    }

    /// The weights' values and the generator's next number after making them, with `mode`; the
    /// weights at `assigned` get 7s before the span closes.
    private func made(deferring: Bool, assigned: Set<Int> = []) throws -> (values: [Tensor], next: UInt64) {
        RandomGenerator.current.reseed(21)
        let layer = Layer(name: "owner")
        let make = { () throws -> [Variable] in
            let vs = self.initializers().enumerated().map { i, initializer in
                layer.addWeight(name: "w\(i)", shape: [3, 4], initializer: initializer)
            }
            for i in assigned { try vs[i].assign(Tensor(shape: [3, 4], repeating: 7)) }
            return vs
        }
        let vs = deferring ? try InitialValues.deferring(make) : try make()
        return (vs.map(\.numpy), RandomGenerator.current.next())
    }

    func testDeferredWeightsGetTheEagerValuesAndLeaveTheGeneratorWhereDrawingDoes() throws {
        let eager = try made(deferring: false), deferred = try made(deferring: true)
        XCTAssertEqual(deferred.next, eager.next)
        for (d, e) in zip(deferred.values, eager.values) { XCTAssertEqual(d.scalars, e.scalars) }
    }

    func testAssignedWeightsAreNeverDrawnAndTheOthersAre() throws {
        let eager = try made(deferring: false), deferred = try made(deferring: true, assigned: [0, 1, 4])
        XCTAssertEqual(deferred.next, eager.next)
        for (i, (d, e)) in zip(deferred.values, eager.values).enumerated() {
            XCTAssertEqual(d.scalars, [0, 1, 4].contains(i) ? [Float](repeating: 7, count: 12) : e.scalars, "w\(i)")
        }
    }

    func testAWeightReadBeforeItIsAssignedIsDrawnThen() throws {
        let eager = try made(deferring: false)
        RandomGenerator.current.reseed(21)
        let layer = Layer(name: "owner")
        let first = try InitialValues.deferring { () throws -> [Float] in
            let vs = initializers().enumerated().map { i, initializer in
                layer.addWeight(name: "w\(i)", shape: [3, 4], initializer: initializer)
            }
            let read = vs[0].value.scalars   // read while deferred: drawn now
            try vs[0].assign(Tensor(shape: [3, 4], repeating: 7))
            return read
        }
        XCTAssertEqual(first, eager.values[0].scalars)
        XCTAssertEqual(layer.variables[0].numpy.scalars, [Float](repeating: 7, count: 12))
    }

    func testWithoutInitializingWinsOverDeferringAndSpansNest() throws {
        RandomGenerator.current.reseed(21)
        let layer = Layer(name: "owner")
        let v = MemoryBudget.withoutInitializing {
            InitialValues.deferring { layer.addWeight(name: "w", shape: [2], initializer: VarianceScaling.glorotUniform()) }
        }
        XCTAssertEqual(v.shape, [2])
        XCTAssertEqual(RandomGenerator.current.next(), RandomGenerator(seed: 21).next(), "skipped: nothing taken")
        InitialValues.beginDeferring()
        InitialValues.beginDeferring()
        XCTAssertTrue(InitialValues.endDeferring())
        XCTAssertEqual(InitialValues.current, .deferred)
        XCTAssertTrue(InitialValues.endDeferring())
        XCTAssertEqual(InitialValues.current, .drawn)
        XCTAssertFalse(InitialValues.endDeferring(), "no span open")
    }
}
