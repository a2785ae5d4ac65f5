import XCTest
@testable import KerasSklearn
final class DebugTests: XCTestCase {
    func testDebug() throws {
        let (x, y) = try standardizedIris()
        for act in [Activation.relu, .tanh] { for out in [Activation.softmax, .sigmoid] {
        let m = try Sequential([Dense(16, activation: act, inputShape: [4]), Dense(3, activation: out)])
        try m.compile(optimizer: "sgd", loss: out == .softmax ? "sparse_categorical_crossentropy" : "mse")
        let yy = out == .softmax ? y.tensor! : Datasets.iris().yOneHot
        let xb = takeRows(x, Array(0..<16)), yb = takeRows(yy, Array(0..<16))
        print(act, out, try m.trainOnBatch(xb, yb), m.weights.map { $0.value.hasNonFinite }, try m.trainOnBatch(xb, yb))
        } }
    }
}
