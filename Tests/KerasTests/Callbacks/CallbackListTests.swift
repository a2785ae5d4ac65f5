import XCTest
@testable import Keras

final class CallbackListTests: XCTestCase {
    final class Hooks: Callback, @unchecked Sendable {
        var events: [String] = []
        override func onTrainBegin(logs: Logs) throws { events.append("tb:\(model != nil):\(params["epochs"] ?? -1)") }
        override func onEpochEnd(_ epoch: Int, updating logs: inout Logs) throws {
            events.append("ee\(epoch):\(logs["seen"] ?? 0)")
            logs["seen"] = 1
        }
        override func onTestBegin(logs: Logs) throws { events.append("sb") }
        override func onTrainEnd(logs: Logs) throws { events.append("te") }
        override var wantsBatchLogs: Bool { false }
    }

    func testAListInsideFitForwardsEveryHookWithModelAndParams() throws {
        let a = Hooks(), b = Hooks()
        let list = CallbackList([a, CallbackList([b])])
        let model = try Sequential([Dense(1, inputDim: 1)])
        try model.compile(optimizer: "sgd", loss: "mse")
        let h = try model.fit(Tensor([[1], [2]]), Tensor([[1], [2]]), epochs: 2, verbose: 0, callbacks: [list],
                              validationData: (Tensor([[1]]), Tensor([[1]])))
        XCTAssertEqual(a.events, ["tb:true:2", "sb", "ee0:0.0", "sb", "ee1:0.0", "te"])
        // b runs after a, so sees what a added to the logs; the History after both sees it too.
        XCTAssertEqual(b.events, ["tb:true:2", "sb", "ee0:1.0", "sb", "ee1:1.0", "te"])
        XCTAssertEqual(h.history["seen"], [1, 1])
        XCTAssertFalse(list.wantsBatchLogs)
    }

    func testKerasConstructorAddsHistoryAndProgbarOnceAndDrivesACustomLoop() throws {
        let model = try Sequential([Dense(1, inputDim: 1)])
        let hooks = Hooks()
        let list = CallbackList([hooks], addHistory: true, addProgbar: true, model: model, params: ["epochs": 1, "verbose": 0])
        XCTAssertEqual(list.callbacks.count, 3)
        XCTAssertTrue(list.callbacks[1] is ProgbarLogger && list.callbacks[2] is History)
        XCTAssertTrue(hooks.model === model)
        XCTAssertEqual(hooks.params["epochs"], 1)
        XCTAssertEqual(CallbackList([History()], addHistory: true).callbacks.count, 1)
        let history = try XCTUnwrap(list.history)
        try list.onTrainBegin(logs: [:])
        try list.onEpochEnd(0, logs: ["loss": 0.5])
        XCTAssertEqual(history.history["loss"], [0.5])
        XCTAssertEqual(history.history["seen"], [1])
        let late = Hooks()
        list.append(late)
        XCTAssertTrue(late.model === model)
    }
}
