extension Model {
    /// Trains the model. Keras: `model.fit(x, y, batch_size=32, epochs=1, ...)`.
    ///
    /// - Parameters:
    ///   - batchSize: samples per gradient step (default 32).
    ///   - verbose: 0 silent, 1 progress bar, 2 one line per epoch.
    ///   - validationSplit: fraction of the data, taken from the end before shuffling, held out
    ///     for validation.
    ///   - shuffle: the training rows' order in each epoch: all shuffled (`true`), in order
    ///     (`false`), or shuffled within each batch (``Shuffle/batch``, Keras's `"batch"`).
    ///   - classWeight: weight per class index, multiplied into the sample weights.
    ///   - validationFreq: validate every this many epochs.
    ///   - validationBatchSize: samples per validation batch (default `batchSize`).
    /// - Returns: the ``History`` of epoch figures.
    @discardableResult
    public func fit(_ x: Tensor, _ y: Tensor, batchSize: Int? = nil, epochs: Int = 1, verbose: Int = 1,
                    callbacks: [Callback] = [], validationSplit: Double = 0,
                    validationData: (Tensor, Tensor)? = nil, shuffle: Shuffle = true,
                    classWeight: [Int: Float]? = nil, sampleWeight: Tensor? = nil, initialEpoch: Int = 0,
                    stepsPerEpoch: Int? = nil, validationFreq: Int = 1, validationBatchSize: Int? = nil) throws -> History {
        try fit([x], [y], batchSize: batchSize, epochs: epochs, verbose: verbose, callbacks: callbacks,
                validationSplit: validationSplit, validationData: validationData.map { ([$0.0], [$0.1]) },
                shuffle: shuffle, classWeight: classWeight, sampleWeight: sampleWeight,
                initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch, validationFreq: validationFreq,
                validationBatchSize: validationBatchSize)
    }

    /// Trains a model with several inputs and/or outputs.
    @discardableResult
    public func fit(_ xs: [Tensor], _ ys: [Tensor], batchSize: Int? = nil, epochs: Int = 1, verbose: Int = 1,
                    callbacks: [Callback] = [], validationSplit: Double = 0,
                    validationData: ([Tensor], [Tensor])? = nil, shuffle: Shuffle = true,
                    classWeight: [Int: Float]? = nil, sampleWeight: Tensor? = nil, initialEpoch: Int = 0,
                    stepsPerEpoch: Int? = nil, validationFreq: Int = 1,
                    validationSampleWeight: Tensor? = nil, validationBatchSize: Int? = nil) throws -> History {
        let c = try requireCompiled("training the model")
        let batch = batchSize ?? 32
        guard batch > 0 else { throw KerasError.invalidArgument("fit: batch_size must be positive, got \(batch)") }
        // Keras: `validation_batch_size or batch_size`.
        let validationBatch = validationBatchSize ?? batch
        guard validationBatch > 0 else {
            throw KerasError.invalidArgument("fit: validation_batch_size must be positive, got \(validationBatch)")
        }
        guard epochs >= 0 else { throw KerasError.invalidArgument("fit: epochs must not be negative, got \(epochs)") }
        guard (0..<1).contains(validationSplit) else {
            throw KerasError.invalidArgument("fit: validation_split must be in [0, 1), got \(validationSplit)")
        }
        guard validationFreq > 0 else { throw KerasError.invalidArgument("fit: validation_freq must be positive, got \(validationFreq)") }
        guard (0...2).contains(verbose) else { throw KerasError.invalidArgument("fit: verbose must be 0, 1 or 2, got \(verbose)") }
        if let s = stepsPerEpoch, s <= 0 { throw KerasError.invalidArgument("fit: steps_per_epoch must be positive, got \(s)") }
        guard initialEpoch >= 0 else { throw KerasError.invalidArgument("fit: initial_epoch must not be negative, got \(initialEpoch)") }
        // A shuffled epoch of one batch copies every input row in its first gather, which then
        // checks the values as they are copied instead of a pass of its own over the inputs
        // (the bench's pooling steps: 25.7 MB read once, not twice, a fifth of the step).
        let checksInGather = shuffle != .off && stepsPerEpoch == nil && validationSplit == 0 && batch >= (xs.first?.shape.first ?? 0)
        try checkBatch(xs, ys, sampleWeight, checkingInputs: !checksInGather)
        try ensureBuilt(for: xs, batchSize: batch)
        try checkActivationsFit(rows: Swift.min(batch, xs[0].shape[0]), training: true, "fit")

        var trainX = xs, trainY = ys, trainW = sampleWeight
        var valData = validationData
        // Keras's validation_data=(x_val, y_val, val_sample_weight); ignored with validation_split.
        var valW = validationData == nil ? nil : validationSampleWeight
        let total = xs[0].shape[0]
        if validationSplit > 0 && validationData == nil {
            // Keras: floor(rows * (1 - validation_split)) rows train (24 rows at 0.2: 19).
            let split = Int((Double(total) * (1.0 - validationSplit)).rounded(.down))
            guard split > 0, split < total else {
                throw KerasError.invalidArgument("fit: validation_split=\(validationSplit) leaves no samples for training or validation (\(total) samples)")
            }
            // The first rows train, the last validate: views of the inputs, not copies (a fit
            // reads its data and never writes it).
            let train = 0..<split, val = split..<total
            trainX = xs.map { $0.rows(train) }
            trainY = ys.map { $0.rows(train) }
            trainW = sampleWeight.map { $0.rows(train) }
            valData = (xs.map { $0.rows(val) }, ys.map { $0.rows(val) })
            // Keras splits the sample weights with the data and weighs the validation by them.
            valW = sampleWeight.map { $0.rows(val) }
        }
        if let (vx, vy) = validationData {
            try checkBatch(vx, vy, valW, "validation data")
            for (what, train, val) in [("x", xs, vx), ("y", ys, vy)] {
                for (i, (a, b)) in zip(train, val).enumerated() where a.shape.dropFirst() != b.shape.dropFirst() {
                    throw KerasError.shapeMismatch("Model '\(name)' validation data: \(what)[\(i)] of shape \(b.shape) does not match the training \(what) of shape \(a.shape)")
                }
            }
        }

        // Keras's first fit after compile peeks at one batch to build its compiled loss and
        // metrics: a shuffled one draws an order of the training rows (with shuffle="batch", of
        // the first batch's), which the epochs do not use.
        if shuffle != .off && !c.ranSinceCompile {
            let rows = trainX[0].shape[0]
            _ = EpochIterator.shuffled(shuffle == .batch ? Swift.min(batch, rows) : rows)
        }
        c.ranSinceCompile = true
        let data = EpochIterator(x: trainX, y: trainY, sampleWeight: trainW, classWeight: classWeight,
                                 batchSize: batch, shuffle: shuffle, stepsPerEpoch: stepsPerEpoch, checkingInputs: checksInGather)
        let steps = data.steps
        // One iterator for every epoch's validation: its batches are reused, not remade.
        let validation = valData.map { EpochIterator(x: $0.0, y: $0.1, sampleWeight: valW, batchSize: validationBatch) }
        let history = History()
        // Keras's order: the user's callbacks, then the progress bar and the History, so that
        // figures the user's callbacks add (learning_rate) are printed and recorded.
        var list: [Callback] = callbacks
        if verbose > 0 { list.append(ProgbarLogger(verbose: verbose)) }
        list.append(history)
        let cbs = CallbackList(list, model: self, params: ["epochs": epochs, "steps": steps, "verbose": verbose])
        self.history = history
        stopTraining = false
        isFitting = true
        defer {
            isFitting = false
            // As at the end of a predict: the partner parks now, its time counted in this fit's.
            GemmPartner.settle()
        }

        // Keras: `initial_epoch = self._initial_epoch or initial_epoch`.
        let startEpoch = try beginTraining(cbs) ?? initialEpoch
        var epoch = startEpoch
        while epoch < epochs {
            try c.resetMetrics()
            try cbs.each { try $0.onEpochBegin(epoch, logs: [:]) }
            for b in data.epoch() {
                if let i = b.nonFiniteInput { throw Self.nonFiniteInput("Model '\(name)'", i) }
                if cbs.wantsBatchLogs { try cbs.each { try $0.onTrainBatchBegin(b.step, logs: [:]) } }
                _ = try trainStep(b.x, b.y, b.sampleWeight, c)
                if cbs.wantsBatchLogs {
                    let logs = try c.logs()
                    try cbs.each { try $0.onTrainBatchEnd(b.step, logs: logs) }
                }
                if stopTraining { break }
                try Interruption.check("fit")
            }
            var logs = try c.logs()
            var perClass = try c.perClassLogs()
            // Keras numbers the epochs from 1 for validation_freq, whatever the initial epoch.
            if let validation, (epoch + 1) % validationFreq == 0 {
                let results = try evaluateResults(validation, callbacks: cbs)
                for (k, v) in results { logs["val_" + k] = v }
                for (k, v) in c.perClassResults { perClass["val_" + k] = v }
            }
            try cbs.onEpochEnd(epoch, updating: &logs)
            if !perClass.isEmpty { history.recordPerClass(perClass) }
            epoch += 1
            if stopTraining { break }
        }
        // Keras swaps in the moving averages of the weights once training ends (use_ema).
        if epochs > 0 { finalizeVariableValues() }
        try cbs.each { try $0.onTrainEnd(logs: history.history.mapValues { $0.last ?? .nan }) }
        return history
    }

    // MARK: Evaluate

    /// The class values of the metrics that report one per class (F1Score(average=None)) at the
    /// end of the last evaluation, whose `evaluate` results carry their mean. Keras's results
    /// hold the arrays themselves.
    public var perClassResults: [String: [Double]] { compiled?.perClassResults ?? [:] }

    /// Loss and metrics on data, in compile order. Keras: `model.evaluate(x, y)`.
    @discardableResult
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int? = nil, verbose: Int = 1,
                         sampleWeight: Tensor? = nil, callbacks: [Callback] = []) throws -> [Double] {
        try evaluateDict([x], [y], batchSize: batchSize, verbose: verbose, sampleWeight: sampleWeight, callbacks: callbacks).map(\.1)
    }

    /// Loss and metrics as (name, value) pairs, in compile order.
    public func evaluateDict(_ xs: [Tensor], _ ys: [Tensor], batchSize: Int? = nil, verbose: Int = 1,
                             sampleWeight: Tensor? = nil, callbacks: [Callback] = []) throws -> [(String, Double)] {
        let c = try requireCompiled("evaluating the model")
        try checkBatch(xs, ys, sampleWeight)
        try ensureBuilt(for: xs, batchSize: batchSize ?? 32)
        c.ranSinceCompile = true
        var list: [Callback] = []
        if verbose > 0 { list.append(ProgbarLogger(verbose: verbose)) }
        list.append(contentsOf: callbacks)
        let batch = batchSize ?? 32
        guard batch > 0 else { throw KerasError.invalidArgument("evaluate: batch_size must be positive, got \(batch)") }
        try checkActivationsFit(rows: Swift.min(batch, xs[0].shape[0]), training: false, "evaluate")
        let data = EpochIterator(x: xs, y: ys, sampleWeight: sampleWeight, batchSize: batch)
        let cbs = CallbackList(list, model: self, params: ["steps": data.steps, "verbose": verbose])
        return try evaluateResults(data, callbacks: cbs)
    }

    func evaluateResults(_ data: EpochIterator, callbacks cbs: CallbackList) throws -> [(String, Double)] {
        let c = try requireCompiled("evaluating the model")
        try c.resetMetrics()
        try cbs.each { try $0.onTestBegin(logs: [:]) }
        for b in data.epoch() {
            try Interruption.check("evaluate")
            if cbs.wantsBatchLogs { try cbs.each { try $0.onTestBatchBegin(b.step, logs: [:]) } }
            _ = try testStep(b.x, b.y, b.sampleWeight, c)
            if cbs.wantsBatchLogs {
                let logs = try c.logs()
                try cbs.each { try $0.onTestBatchEnd(b.step, logs: logs) }
            }
        }
        let results = try c.orderedResults()
        c.perClassResults = try c.perClassLogs()
        try cbs.each { try $0.onTestEnd(logs: Dictionary(results, uniquingKeysWith: { a, _ in a })) }
        return results
    }

    // MARK: Predict

    /// Outputs for `x`, computed in batches. Keras: `model.predict(x, batch_size=32)`.
    public func predict(_ x: Tensor, batchSize: Int? = nil, verbose: Int = 0, callbacks: [Callback] = []) throws -> Tensor {
        try predict([x], batchSize: batchSize, verbose: verbose, callbacks: callbacks)[0]
    }

    /// Outputs of every output for inputs `xs`.
    public func predict(_ xs: [Tensor], batchSize: Int? = nil, verbose: Int = 0, callbacks: [Callback] = []) throws -> [Tensor] {
        let batch = batchSize ?? 32
        guard batch > 0 else { throw KerasError.invalidArgument("predict: batch_size must be positive, got \(batch)") }
        try checkInputs(xs, "predict")
        for (i, x) in xs.enumerated() where x.hasNonFinite {
            throw KerasError.invalidData("predict: input \(i) contains NaN or infinite values")
        }
        try ensureBuilt(for: xs, batchSize: batch)
        try checkActivationsFit(rows: Swift.min(batch, xs[0].shape[0]), training: false, "predict")
        var list: [Callback] = []
        if verbose > 0 { list.append(ProgbarLogger(verbose: verbose)) }
        list.append(contentsOf: callbacks)
        let data = EpochIterator(x: xs, batchSize: batch)
        let cbs = CallbackList(list, model: self, params: ["steps": data.steps, "verbose": verbose])
        try cbs.each { try $0.onPredictBegin(logs: [:]) }
        var parts: [[Tensor]] = []
        for b in data.epoch() {
            try Interruption.check("predict")
            try cbs.each { try $0.onPredictBatchBegin(b.step, logs: [:]) }
            let outputs = try GradientTape.withoutRecording { try forward(b.x, training: false) }
            parts.append(outputs)
            try cbs.each { try $0.onPredictBatchEnd(b.step, logs: [:], outputs: outputs) }
        }
        // The partner thread parks now instead of spinning for the next product (a fit's steps
        // come every few µs; the next predict, if any, wakes it), its time counted in this call's.
        GemmPartner.settle()
        try cbs.each { try $0.onPredictEnd(logs: [:]) }
        guard let first = parts.first else {
            return try GradientTape.withoutRecording { try forward(xs, training: false) }
        }
        if parts.count == 1 { return first }
        return try (0..<first.count).map { o in try Ops.concatenate(parts.map { $0[o].detached }, axis: 0) }
    }
}
