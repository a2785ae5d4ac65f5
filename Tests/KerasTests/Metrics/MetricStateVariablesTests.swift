import XCTest
@testable import Keras

/// A metric's state as Keras's variables (names, shapes, dtypes, values: numbers real Keras
/// 3.15 gives for the same updates), the compiled metrics' after evaluate, and a callback's
/// attributes after fit.
final class MetricStateVariablesTests: XCTestCase {
    private let yTrue = Tensor([[1], [0], [1], [1], [0], [0]] as [[Float]])
    private let yPred = Tensor([[0.9], [0.2], [0.4], [0.7], [0.6], [0.1]] as [[Float]])

    private func names(_ m: Metric) -> [String] { m.stateVariables.map(\.name) }

    func testConfusionMetricsKeepKerasCounts() throws {
        let auc = try AUC(numThresholds: 5)
        try auc.update(yTrue, yPred, sampleWeight: nil)
        XCTAssertEqual(names(auc), ["true_positives", "false_positives", "true_negatives", "false_negatives"])
        XCTAssertEqual(auc.stateVariables.map(\.shape), Array(repeating: [5], count: 4))
        XCTAssertEqual(auc.stateVariables[0].values, [3, 3, 2, 1, 0])   // Keras: [3, 3, 2, 1, 0]
        let precision = try Precision()
        try precision.update(yTrue, yPred, sampleWeight: nil)
        XCTAssertEqual(names(precision), ["true_positives", "false_positives"])
        XCTAssertEqual(precision.stateVariables.map(\.values), [[2], [1]])
        let recall = try Recall(thresholds: [0.3, 0.6])
        try recall.update(yTrue, yPred, sampleWeight: nil)
        XCTAssertEqual(recall.stateVariables.map(\.values), [[3, 2], [0, 1]])
        let positives = try ConfusionCount(.truePositives)
        try positives.update(yTrue, yPred, sampleWeight: nil)
        XCTAssertEqual(positives.stateVariables.map(\.name), ["accumulator"])
        XCTAssertEqual(positives.stateVariables[0].values, [2])
    }

    func testLazyStateAppearsAtTheFirstUpdate() throws {
        let r2 = try R2Score()
        XCTAssertEqual(names(r2), ["num_samples"])
        try r2.update(Tensor([[1, 0], [0, 1]] as [[Float]]), Tensor([[0.5, 0], [0, 1]] as [[Float]]), sampleWeight: nil)
        XCTAssertEqual(names(r2), ["num_samples", "squared_sum", "sum", "residual", "count"])
        XCTAssertEqual(r2.stateVariables[3].values, [0.25, 0])
        let f1 = try F1Score(average: .micro, threshold: 0.5)
        XCTAssertTrue(f1.stateVariables.isEmpty)
        try f1.update(Tensor([[1, 0]] as [[Float]]), Tensor([[0.6, 0.7]] as [[Float]]), sampleWeight: nil)
        XCTAssertEqual(f1.stateVariables.map(\.shape), Array(repeating: [], count: 4))
        XCTAssertEqual(f1.stateVariables.map(\.values), [[1], [1], [0], [1]])
        let iou = try MeanIoU(numClasses: 2)
        XCTAssertEqual(iou.stateVariables.map(\.dtype), ["int32"])
        XCTAssertEqual(iou.stateVariables[0].shape, [2, 2])
    }

    func testCompiledMetricsAfterEvaluate() throws {
        let model = try Sequential([Dense(1, activation: .sigmoid, inputDim: 1)])
        try model.compile(optimizer: "sgd", loss: "mse", metrics: ["mae"])
        XCTAssertEqual(model.compiledMetricStates.map(\.name), ["loss"])
        _ = try model.evaluateDict([yPred], [yTrue], verbose: 0)
        let states = model.compiledMetricStates
        XCTAssertEqual(states.map(\.name), ["loss", "mae"])
        XCTAssertEqual(states.map(\.isLossTracker), [true, false])
        XCTAssertEqual(states[1].variables.map(\.name), ["total", "count"])
        XCTAssertEqual(states[1].variables[1].values, [6])
    }

    func testEarlyStoppingReportsItsState() throws {
        let model = try Sequential([Dense(1, inputDim: 1)])
        try model.compile(optimizer: try SGD(learningRate: 0), loss: "mse")
        let early = try EarlyStopping(monitor: "loss", minDelta: 100, patience: 0)
        XCTAssertEqual(early.state.first { $0.0 == "best" }?.1, .null)
        _ = try model.fit(yPred, yTrue, batchSize: 6, epochs: 4, verbose: 0, callbacks: [early])
        let state = Dictionary(uniqueKeysWithValues: early.state)
        XCTAssertEqual(state["stopped_epoch"], .int(1))
        XCTAssertEqual(state["wait"], .int(1))
        XCTAssertEqual(state["best_epoch"], .int(0))
        XCTAssertEqual(state["has_best_weights"], .bool(false))
    }
}
