import Foundation
import XCTest
@testable import Keras
import KerasDatasets

final class BufferPoolTests: XCTestCase {
    /// A warm training step asks the pool only for sizes it has seen, so it allocates no tensor
    /// storage: the pool's miss count does not move. (The general tape step: a Dense stack's
    /// `StepPlan` keeps its buffers and does not use the pool at all.)
    func testWarmTrainingStepAllocatesNoTensorStorage() throws {
        setRandomSeed(3)
        let data = Datasets.ottoLike(samples: 512)
        let x = try Ops.take(data.x, Array(0..<128)), y = try Ops.take(data.yOneHot, Array(0..<128))
        let model = try Sequential([Dense(100, inputShape: [93]), Dense(9), Activation("softmax")])
        try model.compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"])
        try model.requireCompiled("test").usesStepPlans = false
        for _ in 0..<3 { try model.trainOnBatch(x, y) }
        let pool = BufferPool.current
        let misses = pool.misses, hits = pool.hits
        for _ in 0..<20 { try model.trainOnBatch(x, y) }
        XCTAssertEqual(pool.misses, misses, "a warm training step allocated tensor storage")
        XCTAssertGreaterThan(pool.hits, hits, "the steps did not use the pool at all")
    }

    /// A whole warm epoch of `fit` with full batches allocates nothing either.
    func testWarmEpochAllocatesNoTensorStorage() throws {
        setRandomSeed(4)
        let data = Datasets.ottoLike(samples: 512)
        let model = try Sequential([Dense(32, activation: .relu, inputShape: [93]), Dense(9, activation: .softmax)])
        try model.compile(optimizer: "sgd", loss: "categorical_crossentropy")
        let y = data.yOneHot
        try model.fit(data.x, y, batchSize: 128, epochs: 2, verbose: 0)
        let pool = BufferPool.current
        let misses = pool.misses
        try model.fit(data.x, y, batchSize: 128, epochs: 3, verbose: 0)
        XCTAssertEqual(pool.misses, misses)
    }

    /// A buffer of `BufferPool.hugePageMinimumBytes` and more carries Linux's huge-page advice
    /// (`hg` in its mapping's `VmFlags`) over the 2 MiB pages it covers, and its values are as
    /// written. Skipped where the kernel has no transparent huge pages.
    func testLargeBuffersAskForHugePages() throws {
        #if os(Linux)
        guard FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled") else {
            throw XCTSkip("this kernel has no transparent huge pages")
        }
        let count = 3 << 20  // 12 MiB: at least four whole 2 MiB pages
        XCTAssertGreaterThanOrEqual(count * 4, BufferPool.hugePageMinimumBytes)
        let t = Tensor(shape: [count], repeating: 0.5)
        let middle = UInt(bitPattern: t.data + count / 2)
        let flags = try XCTUnwrap(Self.vmFlags(at: middle), "no mapping holds the buffer")
        XCTAssertTrue(flags.contains("hg"), "VmFlags of the buffer's mapping: \(flags)")
        XCTAssertEqual(t.data[0], 0.5)
        XCTAssertEqual(t.data[count / 2], 0.5)
        XCTAssertEqual(t.data[count - 1], 0.5)
        #else
        throw XCTSkip("huge-page advice is Linux only")
        #endif
    }

    /// The `VmFlags` of the mapping in `/proc/self/smaps` that holds `address`.
    private static func vmFlags(at address: UInt) throws -> [Substring]? {
        // Read to the end: /proc files report a size of 0, which a sized read takes at its word.
        let data = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps")).readToEnd() ?? Data()
        let smaps = String(decoding: data, as: UTF8.self)
        var inside = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            let range = first.split(separator: "-")
            if range.count == 2, let lo = UInt(range[0], radix: 16), let hi = UInt(range[1], radix: 16) {
                inside = lo <= address && address < hi
            } else if inside, first == "VmFlags:" {
                return Array(fields.dropFirst())
            }
        }
        return nil
    }

    func testBuffersReturnToThePoolTheyCameFrom() {
        let pool = BufferPool.current
        let before = pool.misses
        do { _ = Tensor(shape: [1234], repeating: 1) }
        let afterFirst = pool.misses
        do { _ = Tensor(shape: [1234], repeating: 2) }
        XCTAssertEqual(afterFirst - before <= 1, true)
        XCTAssertEqual(pool.misses, afterFirst, "the freed buffer was not reused")
    }
}

final class BufferPoolThreadTests: XCTestCase {
    /// A tensor made on one thread and freed on another goes back to its own pool, which
    /// reuses the buffer once its thread asks again.
    func testBufferFreedOnAnotherThreadReturnsToItsPool() throws {
        let pool = BufferPool.current
        final class Holder: @unchecked Sendable { var made: Tensor? = Tensor(shape: [4321], repeating: 1) }
        let holder = Holder()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            holder.made = nil
            done.signal()
        }
        thread.start()
        done.wait()
        XCTAssertNil(holder.made)
        let misses = pool.misses
        _ = Tensor(shape: [4321], repeating: 2)
        XCTAssertEqual(pool.misses, misses, "the buffer freed on the other thread was not reused")
    }
}
