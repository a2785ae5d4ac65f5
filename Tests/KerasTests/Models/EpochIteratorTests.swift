import XCTest
@testable import Keras

/// The epoch iterator behind fit, evaluate and predict (Keras's `EpochIterator` over an
/// `ArrayDataAdapter`).
final class EpochIteratorTests: XCTestCase {
    /// Rows 0..<n of a single feature holding the row index; targets 10 × the index.
    func data(_ n: Int) throws -> (Tensor, Tensor) {
        (try Tensor(shape: [n, 1], scalars: (0..<n).map(Float.init)),
         try Tensor(shape: [n], scalars: (0..<n).map { Float($0 * 10) }))
    }

    func rows(_ epoch: EpochIterator.Epoch) -> [[Int]] {
        epoch.map { b in b.x[0].scalars.map { Int($0) } }
    }

    func testBatchesInOrderWithPartialLastBatch() throws {
        let (x, y) = try data(10)
        let it = EpochIterator(x: [x], y: [y], batchSize: 4)
        XCTAssertEqual(it.steps, 3)
        let batches = Array(it.epoch())
        XCTAssertEqual(batches.map(\.step), [0, 1, 2])
        XCTAssertEqual(batches.map(\.size), [4, 4, 2])
        XCTAssertEqual(batches[2].x[0].shape, [2, 1])
        XCTAssertEqual(batches[2].y[0].scalars, [80, 90])
        XCTAssertNil(batches[0].sampleWeight)
        // A second epoch starts over.
        XCTAssertEqual(rows(it.epoch()), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    }

    /// A shuffled epoch of one batch that checks its inputs (fit's `checkingInputs`) names the
    /// first input with a NaN or infinity, found as its rows are copied (in blocks: the last
    /// element of the last row here), gathers the same rows as an unchecked iterator, checks only
    /// the first epoch and counts string values as values; fit then throws before any step.
    func testFirstShuffledGatherChecksTheInputsAsItCopiesThem() throws {
        let (x, y) = try data(70)
        let wide = Tensor(shape: [70, 1200], repeating: 1)
        wide.data[70 * 1200 - 1] = .infinity
        let checked = EpochIterator(x: [x, wide], y: [y], batchSize: 70, shuffle: true, checkingInputs: true,
                                    generator: RandomGenerator(seed: 3))
        let plain = EpochIterator(x: [x, wide], y: [y], batchSize: 70, shuffle: true, generator: RandomGenerator(seed: 3))
        let first = Array(checked.epoch()), reference = Array(plain.epoch())
        XCTAssertEqual(first.count, 1)
        XCTAssertEqual(first[0].nonFiniteInput, 1)
        XCTAssertNil(reference[0].nonFiniteInput)
        for i in 0..<2 { XCTAssertEqual(first[0].x[i].scalars.map(\.bitPattern), reference[0].x[i].scalars.map(\.bitPattern)) }
        XCTAssertEqual(first[0].y[0].scalars, reference[0].y[0].scalars)
        XCTAssertNil(Array(checked.epoch())[0].nonFiniteInput, "only the first gather checks")
        XCTAssertNil(Array(EpochIterator(x: [x], batchSize: 70, shuffle: true, checkingInputs: true).epoch())[0].nonFiniteInput)
        let strings = try Tensor(strings: ["a", "b", "c"], shape: [3, 1])
        XCTAssertNil(Array(EpochIterator(x: [strings], batchSize: 3, shuffle: true, checkingInputs: true).epoch())[0].nonFiniteInput)

        let model = try Sequential([InputLayer(shape: [1200]), Dense(1)])
        try model.compile(optimizer: .name("sgd"), loss: .name("mean_squared_error"))
        let before = model.getWeights().map(\.scalars)
        XCTAssertThrowsError(try model.fit(wide, y, batchSize: 70, epochs: 1, verbose: 0)) {
            XCTAssertTrue("\($0)".contains("input 0 contains NaN or infinite values"), "\($0)")
        }
        XCTAssertEqual(model.getWeights().map(\.scalars), before)
    }

    func testShuffleDrawsOnePermutationPerEpochFromTheGenerator() throws {
        let (x, y) = try data(7)
        let it = EpochIterator(x: [x], y: [y], batchSize: 3, shuffle: true, generator: RandomGenerator(seed: 5))
        let reference = RandomGenerator(seed: 5)
        for _ in 0..<3 {
            let p = reference.permutation(7)
            let epoch = Array(it.epoch())
            XCTAssertEqual(epoch.map { $0.x[0].scalars.map { Int($0) } }, [Array(p[0..<3]), Array(p[3..<6]), [p[6]]])
            // Targets and inputs stay paired.
            for b in epoch { XCTAssertEqual(b.y[0].scalars, b.x[0].scalars.map { $0 * 10 }) }
        }
        let again = EpochIterator(x: [x], batchSize: 3, shuffle: true, generator: RandomGenerator(seed: 5))
        XCTAssertEqual(rows(again.epoch()).flatMap { $0 }, RandomGenerator(seed: 5).permutation(7))
    }

    /// With steps_per_epoch the cursor continues across epochs; a pass that runs out ends with a
    /// partial batch and the next one starts from the beginning.
    func testStepsPerEpochContinuesTheCursor() throws {
        let (x, _) = try data(10)
        let it = EpochIterator(x: [x], batchSize: 4, stepsPerEpoch: 2)
        XCTAssertEqual(it.steps, 2)
        XCTAssertEqual(rows(it.epoch()), [[0, 1, 2, 3], [4, 5, 6, 7]])
        // Keras 3.15: the data run out after one step of the second epoch, which ends there
        // ("Your input ran out of data"); the third starts a new pass.
        XCTAssertEqual(rows(it.epoch()), [[8, 9]])
        XCTAssertEqual(rows(it.epoch()), [[0, 1, 2, 3], [4, 5, 6, 7]])
    }

    /// steps_per_epoch far beyond the data (2^63 - 1) ends each epoch when the data run out,
    /// as Keras does, instead of training forever; a batch size near 2^63 is one batch.
    func testHugeStepsAndBatchSizesEndWithTheData() throws {
        let (x, _) = try data(10)
        let it = EpochIterator(x: [x], batchSize: 4, stepsPerEpoch: Int.max)
        XCTAssertEqual(rows(it.epoch()), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        XCTAssertEqual(rows(it.epoch()).count, 3)
        let big = EpochIterator(x: [x], batchSize: Int.max)
        XCTAssertEqual(big.steps, 1)
        XCTAssertEqual(rows(big.epoch()), [Array(0..<10)])
        XCTAssertEqual(EpochIterator(x: [x], batchSize: Int.max - 1).steps, 1)
    }

    func testClassWeightsBecomeSampleWeights() throws {
        let x = Tensor(shape: [4, 1])
        let labels = Tensor([0, 1, 2, 1])
        let weights = Tensor([1, 2, 3, 4])
        let it = EpochIterator(x: [x], y: [labels], sampleWeight: weights, classWeight: [1: 2, 2: 0.5], batchSize: 3)
        XCTAssertEqual(it.epoch().map { $0.sampleWeight?.scalars ?? [] }, [[1, 4, 1.5], [8]])
        // One-hot targets: the class is the largest entry of the row.
        let oneHot = Tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]])
        let it2 = EpochIterator(x: [x], y: [oneHot], classWeight: [1: 2, 2: 0.5], batchSize: 4)
        XCTAssertEqual(it2.epoch().map { $0.sampleWeight?.scalars ?? [] }, [[1, 2, 0.5, 2]])
    }

    func testEmptyDataHasNoSteps() throws {
        let it = EpochIterator(x: [Tensor(shape: [0, 3])], batchSize: 4)
        XCTAssertEqual(it.steps, 0)
        XCTAssertTrue(Array(it.epoch()).isEmpty)
    }

    /// Arrays large enough to be prefetched (1 MiB and more) have each next batch copied on the
    /// partner thread while the current one is used (two cores): the batches are the rows, inputs
    /// and targets paired, that the caller's own gather gives, epoch after epoch, the partial
    /// last batch included; a pass left early (a stopped fit) does not leak its copied batch
    /// into the next one.
    func testBatchesCopiedInTheBackgroundAreTheGatheredRows() throws {
        let n = 3000, f = 100
        let x = try Tensor(shape: [n, f], scalars: (0..<(n * f)).map { Float($0 / f) + Float($0 % f) / 128 })
        let y = try Tensor(shape: [n, 2], scalars: (0..<(2 * n)).map { Float($0 / 2 * 10) })
        XCTAssertGreaterThanOrEqual(x.count * 4, BatchGatherer.prefetchMinimumBytes)
        func batches(twoCores: Bool) -> [[Float]] {
            Parallel.twoCoreFits = twoCores
            defer { Parallel.twoCoreFits = true }
            let it = EpochIterator(x: [x], y: [y], batchSize: 128, shuffle: true, generator: RandomGenerator(seed: 9))
            var out: [[Float]] = []
            for b in it.epoch() {
                out.append(b.x[0].scalars + b.y[0].scalars)
                if b.step == 5 { break }
            }
            for _ in 0..<2 { for b in it.epoch() { out.append(b.x[0].scalars + b.y[0].scalars) } }
            return out
        }
        let one = batches(twoCores: false), two = batches(twoCores: true)
        XCTAssertEqual(one.count, 6 + 2 * 24)
        XCTAssertEqual(one.last?.count, (3000 - 23 * 128) * (f + 2))
        XCTAssertEqual(one, two)
        let reference = RandomGenerator(seed: 9)
        var expected: [Int] = Array(reference.permutation(n)[0..<(6 * 128)])
        for _ in 0..<2 { expected += reference.permutation(n) }
        let got = two.flatMap { batch -> [Int] in
            let rows = batch.count / (f + 2)
            return (0..<rows).map { r in
                XCTAssertEqual(batch[rows * f + 2 * r], Float(Int(batch[r * f]) * 10), "targets paired with their rows")
                return Int(batch[r * f])
            }
        }
        XCTAssertEqual(got, expected)
    }
}
