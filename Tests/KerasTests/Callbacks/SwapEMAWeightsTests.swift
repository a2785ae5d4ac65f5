import XCTest
@testable import Keras

final class SwapEMAWeightsTests: XCTestCase {
    private let x = Tensor((0..<16).map { [Float($0) / 16, Float($0 % 4) / 4] })
    private let y = Tensor((0..<16).map { [Float($0) / 8] })

    private func emaModel() throws -> Sequential {
        let model = try Sequential([Dense(2, inputDim: 2), Dense(1)])
        try model.compile(optimizer: .instance(try SGD(learningRate: 0.1, options: .init(useEMA: true, emaMomentum: 0.5))), loss: "mse")
        return model
    }

    func testEvaluateUsesTheMovingAveragesAndSwapsBack() throws {
        let model = try emaModel()
        try model.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, shuffle: false)
        // fit ends with the averages in the model (Keras's finalize_variable_values): one more
        // step moves the weights away from them.
        try model.trainOnBatch(x, y)
        let optimizer = try XCTUnwrap(model.optimizer)
        let raw = model.trainableWeights.map(\.numpy)
        let averages = try model.trainableWeights.map { try XCTUnwrap(optimizer.movingAverage(of: $0)) }
        XCTAssertNotEqual(raw[0].scalars, averages[0].scalars)
        for (v, a) in zip(model.trainableWeights, averages) { try v.assign(a) }
        let expected = try model.evaluate(x, y, verbose: 0)
        for (v, r) in zip(model.trainableWeights, raw) { try v.assign(r) }
        XCTAssertEqual(try model.evaluate(x, y, verbose: 0, callbacks: [SwapEMAWeights()]), expected)
        XCTAssertEqual(model.trainableWeights.map(\.numpy.scalars), raw.map(\.scalars))
    }

    /// Records the weights, or the optimizer's averages, at the end of each epoch.
    final class Recorder: Callback, @unchecked Sendable {
        let averages: Bool
        var seen: [[[Float]]] = []
        init(averages: Bool) { self.averages = averages }
        override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
            guard let model, let o = model.optimizer else { return }
            seen.append(model.trainableWeights.map { (averages ? o.movingAverage(of: $0) : $0.numpy)?.scalars ?? [] })
        }
    }

    func testSwapOnEpochPutsTheAveragesInTheModelForLaterCallbacks() throws {
        let model = try emaModel()
        let before = Recorder(averages: true), after = Recorder(averages: false)
        try model.fit(x, y, batchSize: 4, epochs: 3, verbose: 0,
                      callbacks: [before, SwapEMAWeights(swapOnEpoch: true), after], validationData: (x, y), shuffle: false)
        XCTAssertEqual(after.seen, before.seen)
        XCTAssertEqual(model.trainableWeights.map(\.numpy.scalars), before.seen.last)
    }

    func testNeedsAnOptimizerWithEMA() throws {
        let model = try Sequential([Dense(1, inputDim: 2)])
        try model.compile(optimizer: "sgd", loss: "mse")
        XCTAssertThrowsError(try model.evaluate(x, y, verbose: 0, callbacks: [SwapEMAWeights()])) { e in
            XCTAssertTrue("\(e)".contains("use_ema=True"), "\(e)")
        }
        XCTAssertEqual((try callback(className: "SwapEMAWeights", arguments: ["swap_on_epoch": true]) as? SwapEMAWeights)?.swapOnEpoch, true)
    }
}
