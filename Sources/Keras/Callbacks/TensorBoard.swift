/// Writes event files for TensorBoard, as Keras 3 does with TensorFlow's summary writer:
/// `log_dir/train` holds the epoch figures (`epoch_loss`, `epoch_learning_rate`, ...), the batch
/// figures every `update_freq` batches (`batch_loss`), the weight histograms every
/// `histogram_freq` epochs (with `write_images`, the weights as pictures too) and the model's
/// JSON (`keras`, for the graph dashboard);
/// `log_dir/validation` holds the validation figures (`epoch_loss`) and
/// `evaluation_<name>_vs_iterations` after each evaluation.
///
/// ```swift
/// try model.fit(x, y, epochs: 10, callbacks: [try TensorBoard(logDir: "logs", histogramFreq: 1)],
///               validationSplit: 0.2)
/// // tensorboard --logdir logs
/// ```
/// Keras: `TensorBoard(log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
/// write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
/// embeddings_metadata=None)`. Profiling is not available (Keras's JAX backend also turns it off
/// below Python 3.12); `profile_batch` is checked as Keras checks it.
public final class TensorBoard: Callback, @unchecked Sendable {
    /// When the batch figures are written. Keras: `update_freq`.
    public enum UpdateFrequency: Equatable, Sendable {
        /// Only at the end of each epoch (`"epoch"`).
        case epoch
        /// Every this many training batches (`"batch"` is 1).
        case batches(Int)
    }

    /// Which embedding layers' metadata files the projector is told about.
    public enum EmbeddingsMetadata: Equatable, Sendable {
        /// One file for every `Embedding` layer.
        case file(String)
        /// A file per `Embedding` layer name.
        case byLayer([String: String])
    }

    public let logDir: String
    public let histogramFreq: Int
    public let writeGraph: Bool
    public let writeImages: Bool
    public let writeStepsPerSecond: Bool
    public let updateFreq: UpdateFrequency
    /// The first and last batch to profile (0, 0: none).
    public let profileBatch: (start: Int, stop: Int)
    public let embeddingsFreq: Int
    public let embeddingsMetadata: EmbeddingsMetadata?

    private var writers: [String: EventFileWriter] = [:]
    private var inFit = false
    private var globalTrainBatch = 0
    private var globalTestBatch = 0
    private var batchStart = 0.0
    private var epochStart = 0.0
    private var epochStartIterations = 0

    public init(logDir: String = "logs", histogramFreq: Int = 0, writeGraph: Bool = true, writeImages: Bool = false,
                writeStepsPerSecond: Bool = false, updateFreq: UpdateFrequency = .epoch,
                profileBatch: (start: Int, stop: Int) = (0, 0), embeddingsFreq: Int = 0,
                embeddingsMetadata: EmbeddingsMetadata? = nil) throws {
        guard !logDir.isEmpty else { throw KerasError.invalidArgument("TensorBoard(log_dir=''): a folder is required") }
        guard histogramFreq >= 0 else { throw KerasError.invalidArgument("TensorBoard(histogram_freq=\(histogramFreq)): must not be negative") }
        guard embeddingsFreq >= 0 else { throw KerasError.invalidArgument("TensorBoard(embeddings_freq=\(embeddingsFreq)): must not be negative") }
        if case .batches(let n) = updateFreq, n <= 0 {
            throw KerasError.invalidArgument("TensorBoard(update_freq=\(n)): must be 'epoch', 'batch' or a positive integer")
        }
        guard profileBatch.start >= 0, profileBatch.stop >= profileBatch.start else {
            throw KerasError.invalidArgument("TensorBoard(profile_batch=\(profileBatch)): profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of positive integers signifies a range of batches to profile.")
        }
        self.logDir = logDir
        self.histogramFreq = histogramFreq
        self.writeGraph = writeGraph
        self.writeImages = writeImages
        self.writeStepsPerSecond = writeStepsPerSecond
        self.updateFreq = updateFreq
        self.profileBatch = profileBatch
        self.embeddingsFreq = embeddingsFreq
        self.embeddingsMetadata = embeddingsMetadata
    }

    deinit { closeWriters() }

    /// The batch hooks matter only when batch figures are written.
    public override var wantsBatchLogs: Bool { updateFreq != .epoch }

    // MARK: Hooks

    public override func onTrainBegin(logs: Logs) throws {
        try beginRun()
        inFit = true
        globalTrainBatch = 0
    }

    public override func onTrainEnd(logs: Logs) throws {
        inFit = false
        closeWriters()
    }

    public override func onTestBegin(logs: Logs) throws {
        if !inFit { try beginRun() }
    }

    public override func onTestEnd(logs: Logs) throws {
        if model?.optimizer != nil {
            try writer("validation").write(step: kerasIterations, orderedLogKeys(logs).compactMap { k in
                logs[k].map { SummaryValue.scalar(tag: "evaluation_\(k)_vs_iterations", value: Float($0)) }
            })
        }
        if !inFit { closeWriters() } else { writers["validation"]?.flush() }
    }

    public override func onPredictBegin(logs: Logs) throws { try beginRun() }
    public override func onPredictEnd(logs: Logs) throws { closeWriters() }

    public override func onTrainBatchBegin(_ batch: Int, logs: Logs) throws {
        globalTrainBatch += 1
        if writeStepsPerSecond { batchStart = wallTime() }
    }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        guard case .batches(let n) = updateFreq, globalTrainBatch % n == 0 else { return }
        var values: [SummaryValue] = []
        if writeStepsPerSecond { values.append(.scalar(tag: "batch_steps_per_second", value: Float(1 / (wallTime() - batchStart)))) }
        for k in orderedLogKeys(logs) { if let v = logs[k] { values.append(.scalar(tag: "batch_\(k)", value: Float(v))) } }
        try writer("train").write(step: globalTrainBatch, values)
    }

    public override func onTestBatchBegin(_ batch: Int, logs: Logs) throws { globalTestBatch += 1 }

    public override func onEpochBegin(_ epoch: Int, logs: Logs) throws {
        guard writeStepsPerSecond else { return }
        epochStartIterations = kerasIterations
        epochStart = wallTime()
    }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        try logEpochFigures(epoch, logs)
        if histogramFreq > 0 && epoch % histogramFreq == 0 { try logWeights(epoch) }
        if embeddingsFreq > 0 && epoch % embeddingsFreq == 0, let model {
            let path = "\(logDir)/train/keras_embedding.ckpt-\(epoch).weights.h5"
            try makeParentDirectories(of: path)
            try model.saveWeights(path)
        }
        for w in writers.values { w.flush() }
    }

    // MARK: Writing

    /// Keras's `optimizer.iterations`: optimizer steps, counted per accumulated step.
    private var kerasIterations: Int {
        guard let o = model?.optimizer else { return 0 }
        return o.iterations / (o.gradientAccumulationSteps ?? 1)
    }

    /// The writer of `logDir/<run>`, made when first needed as Keras's writers are.
    private func writer(_ run: String) throws -> EventFileWriter {
        if let w = writers[run] { return w }
        let w = try EventFileWriter(directory: "\(logDir)/\(run)")
        writers[run] = w
        return w
    }

    private func closeWriters() {
        for w in writers.values { w.close() }
        writers = [:]
    }

    /// Keras's `set_model`: fresh writers; the model's JSON and the projector configuration.
    private func beginRun() throws {
        closeWriters()
        guard let model else { return }
        if writeGraph && (model.className == "Sequential" || model.className == "Functional") {
            try writer("train").write(step: 0, [.kerasModel(tag: "keras", json: model.toJSON())])
        }
        if embeddingsFreq > 0 { try writeProjectorConfig(model) }
    }

    private func logEpochFigures(_ epoch: Int, _ logs: Logs) throws {
        guard !logs.isEmpty else { return }
        let keys = orderedLogKeys(logs)
        var train: [(String, Double)] = keys.filter { !$0.hasPrefix("val_") }.compactMap { k in logs[k].map { (k, $0) } }
        if let optimizer = model?.optimizer {
            train.removeAll { $0.0 == "learning_rate" }
            train.append(("learning_rate", Double(optimizer.currentLearningRate)))
        }
        if writeStepsPerSecond {
            train.append(("steps_per_second", Double(kerasIterations - epochStartIterations) / (wallTime() - epochStart)))
        }
        let validation: [(String, Double)] = keys.filter { $0.hasPrefix("val_") }.compactMap { k in logs[k].map { (String(k.dropFirst(4)), $0) } }
        for (run, figures) in [("train", train), ("validation", validation)] where !figures.isEmpty {
            try writer(run).write(step: epoch, figures.map { SummaryValue.scalar(tag: "epoch_\($0.0)", value: Float($0.1)) })
        }
    }

    /// A histogram of every weight of every layer, tagged `<path>/histogram`, and with
    /// `writeImages` its picture, tagged `<path>/image`.
    private func logWeights(_ epoch: Int) throws {
        guard let model else { return }
        var values: [SummaryValue] = []
        for layer in model.layers {
            for w in layer.weights {
                let name = w.path.replacingAll(":", with: "_")
                values.append(.histogram(tag: name + "/histogram", buckets: histogramBuckets(w.storedValue.scalars)))
                if writeImages, let image = WeightImages.encoded(w.storedValue) {
                    values.append(.images(tag: name + "/image", width: image.width, height: image.height, pngs: image.pngs))
                }
            }
        }
        try writer("train").write(step: epoch, values)
    }

    /// `projector_config.pbtxt` naming the embeddings, as Keras's `_configure_embeddings` writes it.
    private func writeProjectorConfig(_ model: Model) throws {
        var unused = Set<String>()
        if case .byLayer(let files)? = embeddingsMetadata { unused = Set(files.keys) }
        var text = ""
        for layer in model.layers where layer is Embedding {
            text += "embeddings {\n  tensor_name: \"layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE\"\n"
            var file: String?
            switch embeddingsMetadata {
            case .file(let f)?: file = f
            case .byLayer(let files)?: file = files[layer.name]; unused.remove(layer.name)
            case nil: break
            }
            if let file { text += "  metadata_path: \"\(protoTextEscaped(file))\"\n" }
            text += "}\n"
        }
        guard unused.isEmpty else {
            throw KerasError.invalidArgument("TensorBoard(embeddings_metadata=...): Unrecognized `Embedding` layer names passed to `keras.callbacks.TensorBoard` `embeddings_metadata` argument: \(unused.sorted())")
        }
        let path = "\(logDir)/projector_config.pbtxt"
        try makeParentDirectories(of: path)
        try writeText(text, to: path)
    }
}

/// A string as protobuf's text format quotes it.
private func protoTextEscaped(_ s: String) -> String {
    s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n")
}
