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

    /// Keras's `iteration` is an integer variable: a count past 2^24 (where float32 has no odd
    /// numbers) goes through `.weights.h5`, `.keras` and legacy `.h5` exactly, and one past int32
    /// (written as int64, as Keras on TensorFlow writes its count) too.
    func testIterationCountSurvivesFilesExactly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("iterations-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func compiled() throws -> Model {
            let m = try Sequential([InputLayer(shape: [2]), Dense(1)])
            try m.compile(optimizer: "adam", loss: "mse")
            return m
        }
        for (count, name) in [((1 << 24) + 3, "a.weights.h5"), ((1 << 24) + 3, "a.keras"),
                              ((1 << 24) + 3, "a.h5"), ((1 << 33) + 1, "b.weights.h5")] {
            let path = "\(dir)/\(name)"
            let m = try compiled()
            m.optimizer?.iterations = count
            if name.hasSuffix(".weights.h5") { try m.saveWeights(path) } else { try m.save(path) }
            let back: Model
            if name.hasSuffix(".weights.h5") {
                back = try compiled()
                try back.loadWeights(path)
            } else {
                back = try loadModel(path)
            }
            XCTAssertEqual(back.optimizer?.iterations, count, name)
            let copy = try compiled()
            try copy.restoreOptimizerVariables(try m.optimizerVariableValues())
            XCTAssertEqual(copy.optimizer?.iterations, count, name)
            try copy.assignOptimizerIterations(count + 2)
            XCTAssertEqual(copy.optimizer?.iterations, count + 2, name)
        }
        let m = try compiled()
        XCTAssertThrowsError(try m.assignOptimizerIterations(-1))
        // A count past 2^53 (a hostile file's) is refused: counting on from Int.max would trap.
        XCTAssertThrowsError(try m.restoreOptimizerVariables([.count(Int.max)] + Array(try m.optimizerVariableValues().dropFirst())))
        let root = try HDF5File.open("\(dir)/b.weights.h5").root()
        XCTAssertEqual(try root.readInt64("optimizer/vars/0"), (1 << 33) + 1)
    }

    /// EarlyStopping(restore_best_weights) puts back an int32 counter exactly, past 2^24.
    func testExactWeightsRestoreInt32Exactly() throws {
        let m = try Sequential([InputLayer(shape: [2]), Dense(1)])
        let count = Variable(Tensor(shape: [], repeating: 0), name: "count", trainable: false, dtype: .int32)
        try count.assign(integers: [(1 << 24) + 1])
        let layer = try XCTUnwrap(m.layers.last as? Dense)
        let saved = layer.exactWeights() + [count.exactValue]
        try count.assignAdd(Tensor(shape: [], repeating: 5))
        try XCTUnwrap(layer.kernel).assign(Tensor(shape: [2, 1], repeating: 7))
        try layer.setExactWeights(Array(saved.dropLast()))
        try count.assign(try XCTUnwrap(saved.last))
        XCTAssertEqual(count.integers, [(1 << 24) + 1])
        XCTAssertNotEqual(layer.getWeights()[0].scalars, [7, 7])
        XCTAssertThrowsError(try layer.setExactWeights([]))
    }

    /// int64 as Keras on jax holds it (int32 values, wrapping), uint32 over 0 ..< 2^32 (wrapping
    /// below 0), each through a weights file in Keras's dataset type.
    func testInt64AndUInt32VariablesHoldWhatKerasOnJaxHolds() throws {
        let wide = Variable(Tensor(shape: [], repeating: 0), name: "wide", dtype: .int64)
        try wide.assign(integers: [Int32.max])
        try wide.assignAdd(Tensor(shape: [], repeating: 1))
        XCTAssertEqual(wide.integers, [Int32.min])
        let unsigned = Variable(Tensor([0, 0]), name: "unsigned", dtype: .uint32)
        try unsigned.assign(Tensor([4_000_000_000, -3]))   // clamped to uint32's range
        XCTAssertEqual(unsigned.integers.map { UInt32(bitPattern: $0) }, [4_000_000_000, 0])
        try unsigned.assignAdd(Tensor([1, -1]))
        XCTAssertEqual(unsigned.integers.map { UInt32(bitPattern: $0) }, [4_000_000_001, UInt32.max])
        XCTAssertEqual(unsigned.storedValue.scalars, [Float(4_000_000_001 as UInt32), Float(UInt32.max)])
        let file = try HDF5File.createInMemory()
        let g = try file.root()
        try g.writeVariable("0", wide)
        try g.writeVariable("1", unsigned)
        XCTAssertEqual(try g.readInt32s("1", expected: [2], unsigned: true), unsigned.integers)
        let back = Variable(Tensor([0, 0]), name: "unsigned", dtype: .uint32)
        try back.assign(try g.readVariable("1", for: back))
        XCTAssertEqual(back.integers, unsigned.integers)
        XCTAssertEqual(try g.readInt64("0"), Int64(Int32.min))
        XCTAssertNil(VariableDType(keras: "float16"))
    }
}
