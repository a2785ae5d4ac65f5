/// Calls a list of callbacks in order, as one callback: what `fit`, `evaluate` and `predict` run,
/// and what a custom training loop calls. Keras: `keras.callbacks.CallbackList(callbacks=None,
/// add_history=False, add_progbar=False, model=None, **params)`.
///
/// ```swift
/// let callbacks = CallbackList([try TensorBoard(logDir: "logs")], addHistory: true, model: model,
///                              params: ["epochs": 3, "steps": 10])
/// try callbacks.onTrainBegin(logs: [:])
/// ```
public final class CallbackList: Callback, @unchecked Sendable {
    public private(set) var callbacks: [Callback]
    private var anyWantsBatchLogs: Bool

    /// A list of `callbacks`, with a ``History`` and a ``ProgbarLogger`` (verbose from
    /// `params["verbose"]`, 1 by default) added when asked and absent, as Keras adds them.
    public init(_ callbacks: [Callback] = [], addHistory: Bool = false, addProgbar: Bool = false,
                model: Model? = nil, params: [String: Int] = [:]) {
        var list = callbacks
        if addProgbar && !list.contains(where: { $0 is ProgbarLogger }) {
            list.append(ProgbarLogger(verbose: params["verbose"] ?? 1))
        }
        if addHistory && !list.contains(where: { $0 is History }) { list.append(History()) }
        self.callbacks = list
        anyWantsBatchLogs = list.contains { $0.wantsBatchLogs }
        super.init()
        setParams(params)
        if let model { setModel(model) }
    }

    /// Adds a callback at the end. Keras: `append`.
    public func append(_ callback: Callback) {
        callbacks.append(callback)
        anyWantsBatchLogs = anyWantsBatchLogs || callback.wantsBatchLogs
        callback.model = model
        callback.params = params
    }

    /// Gives every callback the model. Keras: `set_model`.
    public func setModel(_ model: Model) {
        self.model = model
        for c in callbacks { if let list = c as? CallbackList { list.setModel(model) } else { c.model = model } }
    }

    /// Gives every callback the loop's parameters. Keras: `set_params`.
    public func setParams(_ params: [String: Int]) {
        self.params = params
        for c in callbacks { if let list = c as? CallbackList { list.setParams(params) } else { c.params = params } }
    }

    /// The ``History`` among the callbacks, if any.
    public var history: History? { callbacks.lazy.compactMap { $0 as? History }.first }

    public override var wantsBatchLogs: Bool { anyWantsBatchLogs }

    func each(_ body: (Callback) throws -> Void) throws {
        for c in callbacks { try body(c) }
    }

    /// Hands the model and parameters down when this list runs inside another one.
    private func begin() {
        if let model { setModel(model) }
        setParams(params)
    }

    public override func onTrainBegin(logs: Logs) throws { begin(); try each { try $0.onTrainBegin(logs: logs) } }
    public override func onTrainEnd(logs: Logs) throws { try each { try $0.onTrainEnd(logs: logs) } }
    public override func onEpochBegin(_ epoch: Int, logs: Logs) throws { try each { try $0.onEpochBegin(epoch, logs: logs) } }
    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        var copy = logs
        try onEpochEnd(epoch, updating: &copy)
    }
    /// Ends an epoch: each callback in turn may add to the logs the next ones see.
    public override func onEpochEnd(_ epoch: Int, updating logs: inout Logs) throws {
        for c in callbacks { try c.onEpochEnd(epoch, updating: &logs) }
    }
    public override func onTrainBatchBegin(_ batch: Int, logs: Logs) throws { try each { try $0.onTrainBatchBegin(batch, logs: logs) } }
    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws { try each { try $0.onTrainBatchEnd(batch, logs: logs) } }
    public override func onTestBegin(logs: Logs) throws { begin(); try each { try $0.onTestBegin(logs: logs) } }
    public override func onTestEnd(logs: Logs) throws { try each { try $0.onTestEnd(logs: logs) } }
    public override func onTestBatchBegin(_ batch: Int, logs: Logs) throws { try each { try $0.onTestBatchBegin(batch, logs: logs) } }
    public override func onTestBatchEnd(_ batch: Int, logs: Logs) throws { try each { try $0.onTestBatchEnd(batch, logs: logs) } }
    public override func onPredictBegin(logs: Logs) throws { begin(); try each { try $0.onPredictBegin(logs: logs) } }
    public override func onPredictEnd(logs: Logs) throws { try each { try $0.onPredictEnd(logs: logs) } }
    public override func onPredictBatchBegin(_ batch: Int, logs: Logs) throws { try each { try $0.onPredictBatchBegin(batch, logs: logs) } }
    public override func onPredictBatchEnd(_ batch: Int, logs: Logs) throws { try each { try $0.onPredictBatchEnd(batch, logs: logs) } }
    public override func onPredictBatchEnd(_ batch: Int, logs: Logs, outputs: [Tensor]) throws {
        try each { try $0.onPredictBatchEnd(batch, logs: logs, outputs: outputs) }
    }
}
