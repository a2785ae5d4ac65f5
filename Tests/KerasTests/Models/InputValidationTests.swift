import XCTest
@testable import Keras

/// The one check of user data (`Model.checkBatch` / `checkInputs`) that fit, evaluate, predict
/// and the batch calls share; the C ABI and Python rely on these messages.
final class InputValidationTests: XCTestCase {
    func twoByTwo() throws -> Model {
        let a = Input(shape: [3], name: "a"), b = Input(shape: [2], name: "b")
        let merged = try Concatenate()([a, b])
        let model = try Model(inputs: [a, b], outputs: [try Dense(1, name: "o1")(merged), try Dense(2, name: "o2")(merged)])
        try model.compile(optimizer: "sgd", loss: "mse")
        return model
    }

    func assertMessage(_ expression: @autoclosure () throws -> Any, _ parts: [String], line: UInt = #line) {
        XCTAssertThrowsError(try expression(), line: line) { error in
            for p in parts { XCTAssertTrue("\(error)".contains(p), "'\(p)' not in: \(error)", line: line) }
        }
    }

    func testArityCardinalityAndWeightsAreCheckedOnceInSwift() throws {
        let model = try twoByTwo()
        let a = Tensor(shape: [4, 3]), b = Tensor(shape: [4, 2]), y1 = Tensor(shape: [4, 1]), y2 = Tensor(shape: [4, 2])
        assertMessage(try model.fit([a], [y1, y2], verbose: 0), ["has 2 input(s), got 1 x array(s)"])
        assertMessage(try model.evaluateDict([a, b], [y1], verbose: 0), ["has 2 output(s), got 1 y array(s)"])
        assertMessage(try model.predict([a]), ["predict: the model has 2 input(s)"])
        assertMessage(try model.fit([a, Tensor(shape: [3, 2])], [y1, y2], verbose: 0), ["cardinality", "input 1 has 3 samples"])
        assertMessage(try model.predict([a, Tensor(shape: [3, 2])]), ["cardinality", "input 1 has 3 samples"])
        assertMessage(try model.fit([a, b], [y1, Tensor(shape: [5, 2])], verbose: 0), ["cardinality", "target 1 has 5 samples"])
        assertMessage(try model.fit([a, b], [y1, y2], verbose: 0, sampleWeight: Tensor([1, 2])),
                      ["sample_weight must have shape (4,)", "2 values for 4 samples"])
        assertMessage(try model.fit([a, b], [y1, y2], verbose: 0, sampleWeight: Tensor(shape: [1, 4])),
                      ["sample_weight must have shape (4,)", "[1, 4]"])
        assertMessage(try model.fit([a, b], [y1, y2], verbose: 0, validationData: ([a, b], [y1, Tensor(shape: [3, 2])])),
                      ["validation data", "target 1 has 3 samples"])
        assertMessage(try model.fit([a, b], [y1, y2], verbose: 0, validationData: ([a, Tensor(shape: [4, 5])], [y1, y2])),
                      ["validation data: x[1] of shape [4, 5] does not match the training x of shape [4, 2]"])
        // A weight column (n, 1) is one weight per sample.
        XCTAssertNoThrow(try model.fit([a, b], [y1, y2], verbose: 0, sampleWeight: Tensor(shape: [4, 1], repeating: 1)))
    }
}
