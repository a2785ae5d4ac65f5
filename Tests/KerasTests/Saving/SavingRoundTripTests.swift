import XCTest
@testable import Keras

/// Save → load round trips in every format, checked by predictions and optimizer state.
final class SavingRoundTripTests: XCTestCase {
    var dir: String = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "saving-rt-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func makeSequential() throws -> Sequential {
        let m = try Sequential([InputLayer(shape: [4]), Dense(8, activation: .relu), Dense(3, activation: .softmax)])
        try m.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        return m
    }

    func makeFunctional() throws -> Model {
        let a = Input(shape: [4], name: "a"), b = Input(shape: [3], name: "b")
        let x = try Dense(5, activation: .tanh, name: "d1")(a)
        let y = try Dense(5, name: "d2")(b)
        let o1 = try Dense(2, name: "o1")(x)
        let o2 = try Dense(1, activation: .sigmoid, name: "o2")(y)
        return try Model(inputs: [a, b], outputs: [o1, o2], name: "two_heads")
    }

    let x = Tensor([[0.1, 0.2, 0.3, 0.4], [1, -1, 0.5, 2], [0, 0, 0, 1]])

    func train(_ m: Model) throws {
        let y = Tensor([0, 2, 1] as [Float])
        try m.fit(x, y, epochs: 2, verbose: 0, shuffle: false)
    }

    func testSequentialRoundTripsInEveryFormat() throws {
        let m = try makeSequential()
        try train(m)
        let expected = try m.predict(x)
        for ext in ["keras", "h5"] {
            let path = "\(dir)/m.\(ext)"
            try m.save(path)
            let back = try loadModel(path)
            XCTAssertTrue(try back.predict(x).isClose(to: expected, atol: 1e-6), ext)
            XCTAssertNotNil(back.optimizer, "\(ext): a loaded model comes back compiled")
            XCTAssertEqual(back.optimizer?.iterations, m.optimizer?.iterations, ext)
            XCTAssertEqual(back.toJSON(), m.toJSON(), ext)
        }
    }

    func testOptimizerStateLetsTrainingResumeIdentically() throws {
        let m = try makeSequential()
        try train(m)
        try m.save("\(dir)/r.keras")
        let back = try loadModel("\(dir)/r.keras")
        try train(m)
        try train(back)
        XCTAssertTrue(try back.predict(x).isClose(to: try m.predict(x), atol: 1e-6))
    }

    func testWeightsFilesInBothLayouts() throws {
        let m = try makeSequential()
        try train(m)
        for name in ["w.weights.h5", "w.h5"] {
            try m.saveWeights("\(dir)/\(name)")
            let fresh = try makeSequential()
            try fresh.loadWeights("\(dir)/\(name)")
            XCTAssertTrue(try fresh.predict(x).isClose(to: try m.predict(x), atol: 1e-6), name)
        }
    }

    func testFunctionalWithTwoInputsAndOutputsRoundTrips() throws {
        let m = try makeFunctional()
        let xb = Tensor([[1, 2, 3], [0, -1, 0.5], [2, 2, 2]])
        let expected = try m.predict([x, xb])
        let json = m.toJSON()
        let rebuilt = try modelFromJSON(json)
        XCTAssertEqual(rebuilt.toJSON(), json)
        for ext in ["keras", "h5"] {
            try m.save("\(dir)/f.\(ext)")
            let back = try loadModel("\(dir)/f.\(ext)")
            for (a, b) in zip(try back.predict([x, xb]), expected) { XCTAssertTrue(a.isClose(to: b, atol: 1e-6), ext) }
        }
    }

    func testSaveIsAtomicAndLeavesNoTemporaryFiles() throws {
        let m = try makeSequential()
        try m.save("\(dir)/a.keras")
        XCTAssertThrowsError(try m.save("\(dir)/a.keras", overwrite: false))
        XCTAssertThrowsError(try m.save("\(dir)/a.txt"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(files, ["a.keras"])
    }
}
