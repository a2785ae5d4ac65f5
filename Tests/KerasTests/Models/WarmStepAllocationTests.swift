import XCTest
@testable import Keras
import KerasDatasets
import KerasMallocCounter

/// Heap allocations (malloc calls of any size, from Swift objects, arrays, closures and tensor
/// storage alike) in a warm training step, counted by the interposed malloc of
/// `Tests/MallocCounter` on the calling thread (docs/PERFORMANCE.md, "Counting allocations").
///
/// The goal is zero; the budgets below are what a warm step makes today, so that the
/// count can only go down. docs/PERFORMANCE.md lists what still allocates and why.
final class WarmStepAllocationTests: XCTestCase {
    /// Mallocs per warm `trainStep` of the Otto-shaped MLP (seeds/004: SGD, one-hot targets),
    /// debug build (134 before issue 19).
    static let ottoStepBudget = 127
    /// Mallocs per warm `trainStep` of the iris model (seeds/003: Adam, sparse labels, accuracy),
    /// debug build (155 before issue 19).
    static let irisStepBudget = 148

    /// Allocations the calling thread makes per call of `body`, after `warm` unmeasured calls.
    /// The pool is emptied first, so that buffers cached by earlier tests cannot push it past its
    /// limit (which would send this test's buffers back to the system).
    func allocationsPerCall(warm: Int = 3, calls: Int = 10, _ body: () throws -> Void) rethrows -> Double {
        BufferPool.current.drain()
        for _ in 0..<warm { try body() }
        let before = kmc_thread_allocations()
        for _ in 0..<calls { try body() }
        return Double(kmc_thread_allocations() - before) / Double(calls)
    }

    /// The counter sees Swift's allocations: the interposition works in this executable.
    func testCounterSeesSwiftAllocations() {
        final class Box { var v = 1 }
        let before = kmc_thread_allocations()
        let boxes = (0..<5).map { _ in Box() }
        XCTAssertGreaterThanOrEqual(kmc_thread_allocations() - before, 6, "5 objects and an array were not counted")
        XCTAssertEqual(boxes.count, 5)
        let quiet = kmc_thread_allocations()
        var sum = 0
        for i in 0..<100 { sum &+= i }
        XCTAssertEqual(kmc_thread_allocations(), quiet, "arithmetic was counted as an allocation")
        XCTAssertEqual(sum, 4950)
    }

    func testOttoWarmStepAllocationsDoNotGrow() throws {
        setRandomSeed(3)
        let data = Datasets.ottoLike(samples: 256)
        let idx = Array(0..<128)
        let xs = [try Ops.take(data.x, idx)], ys = [try Ops.take(data.yOneHot, idx)]
        let model = try Sequential([Dense(100, inputShape: [93]), Dense(9), Activation("softmax")])
        try model.compile(optimizer: "sgd", loss: "categorical_crossentropy")
        try model.ensureBuilt(for: xs)
        let c = try model.requireCompiled("test")
        let perStep = try allocationsPerCall { _ = try model.trainStep(xs, ys, nil, c) }
        print("WarmStepAllocationTests: Otto MLP, \(perStep) mallocs per warm training step")
        XCTAssertLessThanOrEqual(perStep, Double(Self.ottoStepBudget))
    }

    func testIrisWarmStepAllocationsDoNotGrow() throws {
        setRandomSeed(2)
        let iris = Datasets.iris()
        let idx = Array(0..<32)
        let xs = [try Ops.take(iris.x, idx)], ys = [try Ops.take(iris.y, idx)]
        let model = try Sequential([Dense(8), try Activation("relu"), Dense(3), try Activation("softmax")])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        try model.ensureBuilt(for: xs)
        let c = try model.requireCompiled("test")
        let perStep = try allocationsPerCall { _ = try model.trainStep(xs, ys, nil, c) }
        print("WarmStepAllocationTests: iris model, \(perStep) mallocs per warm training step")
        XCTAssertLessThanOrEqual(perStep, Double(Self.irisStepBudget))
    }
}
