import XCTest
@testable import Keras

/// int32 variables (Keras's `add_weight(dtype="int32")`, a counter): exact past 2^24, where
/// float32 has no odd numbers; left alone by optimizers; written and read as int32 datasets.
final class IntegerVariableTests: XCTestCase {
    func testInt32VariableCountsExactlyPastFloat32() throws {
        let v = Variable(Tensor(shape: [], repeating: 0), name: "count", trainable: false, dtype: .int32)
        try v.assign(integers: [1 << 30])
        try v.assignAdd(Tensor(shape: [], repeating: 3))
        XCTAssertEqual(v.integers, [(1 << 30) + 3])
        XCTAssertEqual(v.storedValue.scalars, [Float((1 << 30) + 3)])   // the ops' float32 mirror
        let pair = Variable(Tensor([0, 0]), name: "pair", dtype: .int32)
        try pair.assign(Tensor([2.9, -2.9]))   // Keras's cast: toward zero
        XCTAssertEqual(pair.integers, [2, -2])
        try pair.assign(integers: [Int32.max, 0])
        try pair.assignAdd(Tensor([1, 1]))   // int32 wraps, as Keras's does
        XCTAssertEqual(pair.integers, [Int32.min, 1])
        XCTAssertThrowsError(try pair.assign(integers: [1]))
        XCTAssertThrowsError(try pair.assignAdd(Tensor([1, 2, 3])))
        XCTAssertTrue(pair.description.contains("dtype=int32"))
    }

    func testOptimizerLeavesInt32VariablesAlone() throws {
        let w = Variable(Tensor([1, 1]), name: "w")
        let count = Variable(Tensor([5]), name: "count", dtype: .int32)
        let opt = try SGD(learningRate: 0.5)
        try opt.apply([Tensor([1, 1]), Tensor([1])], to: [w, count])
        XCTAssertEqual(w.storedValue.scalars, [0.5, 0.5])
        XCTAssertEqual(count.integers, [5])
        XCTAssertEqual(opt.iterations, 1)
    }

    func testWeightsFileKeepsInt32Exactly() throws {
        let file = try HDF5File.createInMemory()
        let g = try file.root()
        let v = Variable(Tensor([0, 0]), name: "seen", dtype: .int32)
        try v.assign(integers: [16_777_217, -5])
        try g.writeVariable("0", v)
        let back = Variable(Tensor([0, 0]), name: "seen", dtype: .int32)
        try back.assign(try g.readVariable("0", for: back))
        XCTAssertEqual(back.integers, [16_777_217, -5])
        XCTAssertThrowsError(try g.readVariable("0", for: Variable(Tensor([0, 0, 0]), name: "other", dtype: .int32)))
    }
}
