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
}
