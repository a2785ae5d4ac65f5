extension Model {
    /// Trains the model. Keras: `model.fit(x, y, batch_size=32, epochs=1, ...)`.
    ///
    /// - Parameters:
    ///   - batchSize: samples per gradient step (default 32).
    ///   - verbose: 0 silent, 1 progress bar, 2 one line per epoch.
    ///   - validationSplit: fraction of the data, taken from the end before shuffling, held out
    ///     for validation.
    ///   - classWeight: weight per class index, multiplied into the sample weights.
    ///   - validationFreq: validate every this many epochs.
    /// - Returns: the ``History`` of epoch figures.
    @discardableResult
    public func fit(_ x: Tensor, _ y: Tensor, batchSize: Int? = nil, epochs: Int = 1, verbose: Int = 1,
                    callbacks: [Callback] = [], validationSplit: Double = 0,
                    validationData: (Tensor, Tensor)? = nil, shuffle: Bool = true,
                    classWeight: [Int: Float]? = nil, sampleWeight: Tensor? = nil, initialEpoch: Int = 0,
                    stepsPerEpoch: Int? = nil, validationFreq: Int = 1) throws -> History {
        try fit([x], [y], batchSize: batchSize, epochs: epochs, verbose: verbose, callbacks: callbacks,
                validationSplit: validationSplit, validationData: validationData.map { ([$0.0], [$0.1]) },
                shuffle: shuffle, classWeight: classWeight, sampleWeight: sampleWeight,
                initialEpoch: initialEpoch, stepsPerEpoch: stepsPerEpoch, validationFreq: validationFreq)
    }

    /// Trains a model with several inputs and/or outputs.
    @discardableResult
    public func fit(_ xs: [Tensor], _ ys: [Tensor], batchSize: Int? = nil, epochs: Int = 1, verbose: Int = 1,
                    callbacks: [Callback] = [], validationSplit: Double = 0,
                    validationData: ([Tensor], [Tensor])? = nil, shuffle: Bool = true,
                    classWeight: [Int: Float]? = nil, sampleWeight: Tensor? = nil, initialEpoch: Int = 0,
                    stepsPerEpoch: Int? = nil, validationFreq: Int = 1,
                    validationSampleWeight: Tensor? = nil) throws -> History {
        let c = try requireCompiled("training the model")
        let batch = batchSize ?? 32
        guard batch > 0 else { throw KerasError.invalidArgument("fit: batch_size must be positive, got \(batch)") }
        guard epochs >= 0 else { throw KerasError.invalidArgument("fit: epochs must not be negative, got \(epochs)") }
        guard (0..<1).contains(validationSplit) else {
            throw KerasError.invalidArgument("fit: validation_split must be in [0, 1), got \(validationSplit)")
        }
        guard validationFreq > 0 else { throw KerasError.invalidArgument("fit: validation_freq must be positive, got \(validationFreq)") }
        guard (0...2).contains(verbose) else { throw KerasError.invalidArgument("fit: verbose must be 0, 1 or 2, got \(verbose)") }
        if let s = stepsPerEpoch, s <= 0 { throw KerasError.invalidArgument("fit: steps_per_epoch must be positive, got \(s)") }
        guard initialEpoch >= 0 else { throw KerasError.invalidArgument("fit: initial_epoch must not be negative, got \(initialEpoch)") }
        try checkBatch(xs, ys, sampleWeight)
        try ensureBuilt(for: xs)

        var weights = sampleWeight
        if let classWeight { weights = try applyClassWeight(classWeight, ys[0], weights) }

        var trainX = xs, trainY = ys, trainW = weights
        var valData = validationData
        let total = xs[0].shape[0]
        if validationSplit > 0 && validationData == nil {
            let split = total - Int((Double(total) * validationSplit).rounded(.down))
            guard split > 0, split < total else {
                throw KerasError.invalidArgument("fit: validation_split=\(validationSplit) leaves no samples for training or validation (\(total) samples)")
            }
            let trainIdx = Array(0..<split), valIdx = Array(split..<total)
            trainX = try xs.map { try Ops.take($0.detached, trainIdx) }
            trainY = try ys.map { try Ops.take($0.detached, trainIdx) }
            trainW = try weights.map { try Ops.take($0, trainIdx) }
            valData = (try xs.map { try Ops.take($0.detached, valIdx) }, try ys.map { try Ops.take($0.detached, valIdx) })
        }
        // Keras's validation_data=(x_val, y_val, val_sample_weight); ignored with validation_split.
        let valW = validationData == nil ? nil : validationSampleWeight
        if let (vx, vy) = valData { try checkBatch(vx, vy, valW) }

        let n = trainX[0].shape[0]
        let stepsPerFullPass = (n + batch - 1) / batch
        let steps = stepsPerEpoch ?? stepsPerFullPass
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
        defer { isFitting = false }

        let generator = RandomGenerator.current
        let batchX = BatchGatherer(trainX), batchY = BatchGatherer(trainY)
        let batchW = trainW.map { BatchGatherer([$0]) }
        var order = Array(0..<n)
        var cursor = n
        try cbs.each { try $0.onTrainBegin(logs: [:]) }
        var epoch = initialEpoch
        while epoch < epochs {
            c.resetMetrics()
            try cbs.each { try $0.onEpochBegin(epoch, logs: [:]) }
            for step in 0..<steps {
                if cursor >= n || stepsPerEpoch == nil && step == 0 {
                    if shuffle { order = generator.permutation(n) }
                    cursor = 0
                }
                let end = Swift.min(cursor + batch, n)
                let idx = order[cursor..<end]
                cursor = end
                if cbs.wantsBatchLogs { try cbs.each { try $0.onTrainBatchBegin(step, logs: [:]) } }
                _ = try trainStep(batchX.gather(idx), batchY.gather(idx), batchW?.gather(idx)[0], c)
                if cbs.wantsBatchLogs {
                    let logs = c.logs()
                    try cbs.each { try $0.onTrainBatchEnd(step, logs: logs) }
                }
                if stopTraining { break }
                try Interruption.check("fit")
            }
            var logs = c.logs()
            if let (vx, vy) = valData, (epoch + 1 - initialEpoch) % validationFreq == 0 {
                let results = try evaluateResults(vx, vy, batchSize: batch, verbose: 0, sampleWeight: valW, callbacks: cbs)
                for (k, v) in results { logs["val_" + k] = v }
            }
            try cbs.epochEnd(epoch, &logs)
            epoch += 1
            if stopTraining { break }
        }
        // Keras swaps in the moving averages of the weights once training ends (use_ema).
        if epochs > 0 { c.optimizer.finalizeVariableValues(trainableWeights) }
        try cbs.each { try $0.onTrainEnd(logs: history.history.mapValues { $0.last ?? .nan }) }
        return history
    }

    /// Sample weights from class weights (labels as indices, or one-hot rows).
    func applyClassWeight(_ classWeight: [Int: Float], _ y: Tensor, _ sw: Tensor?) throws -> Tensor {
        let n = y.shape[0]
        let perRow = y.count / Swift.max(n, 1)
        let out = Tensor(shape: [n], repeating: 1)
        for i in 0..<n {
            let label: Int
            if perRow == 1 {
                label = Int(y.data[i].rounded())
            } else {
                var best = 0
                for j in 1..<perRow where y.data[i * perRow + j] > y.data[i * perRow + best] { best = j }
                label = best
            }
            out.data[i] = classWeight[label] ?? 1
            if let sw { out.data[i] *= sw.data[i] }
        }
        return out
    }

    // MARK: Evaluate

    /// Loss and metrics on data, in compile order. Keras: `model.evaluate(x, y)`.
    @discardableResult
    public func evaluate(_ x: Tensor, _ y: Tensor, batchSize: Int? = nil, verbose: Int = 1,
                         sampleWeight: Tensor? = nil, callbacks: [Callback] = []) throws -> [Double] {
        try evaluateDict([x], [y], batchSize: batchSize, verbose: verbose, sampleWeight: sampleWeight, callbacks: callbacks).map(\.1)
    }

    /// Loss and metrics as (name, value) pairs, in compile order.
    public func evaluateDict(_ xs: [Tensor], _ ys: [Tensor], batchSize: Int? = nil, verbose: Int = 1,
                             sampleWeight: Tensor? = nil, callbacks: [Callback] = []) throws -> [(String, Double)] {
        _ = try requireCompiled("evaluating the model")
        try checkBatch(xs, ys, sampleWeight)
        try ensureBuilt(for: xs)
        var list: [Callback] = []
        if verbose > 0 { list.append(ProgbarLogger(verbose: verbose)) }
        list.append(contentsOf: callbacks)
        let batch = batchSize ?? 32
        let steps = (xs[0].shape[0] + batch - 1) / batch
        let cbs = CallbackList(list, model: self, params: ["steps": steps, "verbose": verbose])
        return try evaluateResults(xs, ys, batchSize: batch, verbose: verbose, sampleWeight: sampleWeight, callbacks: cbs)
    }

    func evaluateResults(_ xs: [Tensor], _ ys: [Tensor], batchSize: Int, verbose: Int, sampleWeight: Tensor?,
                         callbacks cbs: CallbackList) throws -> [(String, Double)] {
        guard batchSize > 0 else { throw KerasError.invalidArgument("evaluate: batch_size must be positive, got \(batchSize)") }
        let c = try requireCompiled("evaluating the model")
        c.resetMetrics()
        let n = xs[0].shape[0]
        let gx = BatchGatherer(xs), gy = BatchGatherer(ys)
        let gw = sampleWeight.map { BatchGatherer([$0]) }
        try cbs.each { try $0.onTestBegin(logs: [:]) }
        var step = 0
        var start = 0
        while start < n {
            let end = Swift.min(start + batchSize, n)
            let idx = start..<end
            try Interruption.check("evaluate")
            if cbs.wantsBatchLogs { try cbs.each { try $0.onTestBatchBegin(step, logs: [:]) } }
            _ = try testStep(gx.slice(idx), gy.slice(idx), gw?.slice(idx)[0], c)
            if cbs.wantsBatchLogs {
                let logs = c.logs()
                try cbs.each { try $0.onTestBatchEnd(step, logs: logs) }
            }
            start = end
            step += 1
        }
        let results = c.orderedResults()
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
        guard let n = xs.first?.shape.first else { throw KerasError.invalidData("predict: input data must have a batch dimension") }
        for (i, x) in xs.enumerated() where x.hasNonFinite {
            throw KerasError.invalidData("predict: input \(i) contains NaN or infinite values")
        }
        try ensureBuilt(for: xs)
        var list: [Callback] = []
        if verbose > 0 { list.append(ProgbarLogger(verbose: verbose)) }
        list.append(contentsOf: callbacks)
        let steps = (n + batch - 1) / batch
        let cbs = CallbackList(list, model: self, params: ["steps": steps, "verbose": verbose])
        let gx = BatchGatherer(xs)
        try cbs.each { try $0.onPredictBegin(logs: [:]) }
        var parts: [[Tensor]] = []
        var start = 0, step = 0
        while start < n {
            let end = Swift.min(start + batch, n)
            try Interruption.check("predict")
            try cbs.each { try $0.onPredictBatchBegin(step, logs: [:]) }
            parts.append(try GradientTape.withoutRecording { try forward(gx.slice(start..<end), training: false) })
            try cbs.each { try $0.onPredictBatchEnd(step, logs: [:]) }
            start = end
            step += 1
        }
        try cbs.each { try $0.onPredictEnd(logs: [:]) }
        guard let first = parts.first else {
            return try GradientTape.withoutRecording { try forward(xs, training: false) }
        }
        if parts.count == 1 { return first }
        return try (0..<first.count).map { o in try Ops.concatenate(parts.map { $0[o].detached }, axis: 0) }
    }
}

/// Copies rows of whole data arrays into batch tensors (pooled, so a warm epoch allocates nothing).
struct BatchGatherer {
    let arrays: [Tensor]
    let rowSizes: [Int]

    init(_ arrays: [Tensor]) {
        self.arrays = arrays
        rowSizes = arrays.map { $0.count / Swift.max($0.shape.first ?? 1, 1) }
    }

    func gather(_ idx: ArraySlice<Int>) -> [Tensor] {
        zip(arrays, rowSizes).map { a, row in
            let out = Tensor.uninitialized([idx.count] + a.shape.dropFirst())
            var k = 0
            for i in idx {
                (out.data + k * row).update(from: a.data + i * row, count: row)
                k += 1
            }
            return out
        }
    }

    func slice(_ r: Range<Int>) -> [Tensor] {
        zip(arrays, rowSizes).map { a, row in
            let out = Tensor.uninitialized([r.count] + a.shape.dropFirst())
            out.data.update(from: a.data + r.lowerBound * row, count: r.count * row)
            return out
        }
    }
}
