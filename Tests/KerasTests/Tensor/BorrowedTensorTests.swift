import XCTest
@testable import Keras
import KerasDatasets

/// `Tensor(borrowing:shape:)`, the C ABI's zero-copy inputs: the caller's buffer is read in
/// place, never written, never freed, and training on it matches training on a copy bit for bit.
final class BorrowedTensorTests: XCTestCase {
    func testBorrowedTensorReadsTheCallersBufferInPlace() throws {
        var buffer: [Float] = [1, 2, 3, 4, 5, 6]
        try buffer.withUnsafeBufferPointer { p in
            let base = try XCTUnwrap(p.baseAddress)
            let t = try Tensor(borrowing: base, shape: [2, 3])
            XCTAssertTrue(t.isBorrowed)
            XCTAssertEqual(UnsafePointer(t.data), base, "the buffer was copied")
            XCTAssertEqual(t.shape, [2, 3])
            XCTAssertEqual(t.scalars, [1, 2, 3, 4, 5, 6])
            XCTAssertFalse(Tensor(shape: [2]).isBorrowed)
            XCTAssertFalse(t.copy().isBorrowed)
        }
        // The tensor is gone and the buffer is still the caller's (not freed nor pooled).
        buffer[0] = 7
        XCTAssertEqual(buffer, [7, 2, 3, 4, 5, 6])
        XCTAssertThrowsError(try buffer.withUnsafeBufferPointer { try Tensor(borrowing: $0.baseAddress!, shape: [-1, 2]) })
    }

    func testFitOnBorrowedDataMatchesFitOnACopyAndLeavesItUnchanged() throws {
        let data = Datasets.ottoLike(samples: 300)
        let xs = data.x.scalars, ys = data.yOneHot.scalars
        func train(_ x: Tensor, _ y: Tensor) throws -> [[Float]] {
            setRandomSeed(5)
            let model = try Sequential([Dense(16, activation: .relu, inputShape: [93]), Dense(9, activation: .softmax)])
            try model.compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"])
            try model.fit(x, y, batchSize: 64, epochs: 2, verbose: 0, validationSplit: 0.2)
            _ = try model.evaluate(x, y, verbose: 0)
            _ = try model.predict(x, verbose: 0)
            return model.weights.map { $0.numpy.scalars }
        }
        let copied = try train(data.x, data.yOneHot)
        let borrowed = try xs.withUnsafeBufferPointer { px in
            try ys.withUnsafeBufferPointer { py in
                try train(try Tensor(borrowing: px.baseAddress!, shape: data.x.shape),
                          try Tensor(borrowing: py.baseAddress!, shape: data.yOneHot.shape))
            }
        }
        XCTAssertEqual(borrowed, copied, "training on borrowed inputs changed the numbers")
        XCTAssertEqual(xs, data.x.scalars, "fit wrote into its borrowed x")
        XCTAssertEqual(ys, data.yOneHot.scalars, "fit wrote into its borrowed y")
    }

    func testRowsAreAViewThatKeepsItsTensorAlive() throws {
        var view: Tensor?
        var base: UnsafeMutablePointer<Float>?
        do {
            let t = try Tensor(shape: [4, 3], scalars: (0..<12).map(Float.init))
            view = t.rows(1..<3)
            base = t.data
        }
        let v = try XCTUnwrap(view)
        XCTAssertEqual(v.data, try XCTUnwrap(base) + 3, "rows(_:) copied")
        XCTAssertTrue(v.isBorrowed)
        XCTAssertEqual(v.shape, [2, 3])
        XCTAssertEqual(v.scalars, [3, 4, 5, 6, 7, 8])
    }

    /// Keras's validation_split holds out the last rows of x, y and the sample weights, and
    /// weighs the validation loss by them: the same fit as those rows given as validation data.
    func testValidationSplitIsTheLastRowsWithTheirSampleWeights() throws {
        let x = GradientCheck.random([40, 3], seed: 31), y = GradientCheck.random([40, 2], seed: 32)
        let w = try Tensor(shape: [40], scalars: (0..<40).map { Float($0 % 4) / 2 })
        func train(_ fit: (Sequential) throws -> History) throws -> ([String: [Double]], [[Float]]) {
            setRandomSeed(9)
            let model = try Sequential([Dense(2, inputShape: [3])])
            try model.compile(optimizer: "sgd", loss: "mse")
            let history = try fit(model)
            return (history.history, model.weights.map(\.storedValue.scalars))
        }
        let split = try train { try $0.fit(x, y, batchSize: 8, epochs: 2, verbose: 0, validationSplit: 0.25, sampleWeight: w) }
        let given = try train {
            try $0.fit([x.rows(0..<30)], [y.rows(0..<30)], batchSize: 8, epochs: 2, verbose: 0,
                       validationData: ([x.rows(30..<40)], [y.rows(30..<40)]), sampleWeight: w.rows(0..<30),
                       validationSampleWeight: w.rows(30..<40))
        }
        XCTAssertEqual(split.0, given.0)
        XCTAssertEqual(split.1, given.1)
        let unweighted = try train {
            try $0.fit([x.rows(0..<30)], [y.rows(0..<30)], batchSize: 8, epochs: 2, verbose: 0,
                       validationData: ([x.rows(30..<40)], [y.rows(30..<40)]), sampleWeight: w.rows(0..<30))
        }
        XCTAssertNotEqual(split.0["val_loss"], unweighted.0["val_loss"], "the split's validation ignored its sample weights")
    }
}
