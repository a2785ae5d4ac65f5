/// Finding metrics by Keras name, class name or config, as `compile(metrics=[...])` and model
/// loading do.
extension Metric {
    /// Resolves a metric name the way Keras's `compile` does: `"accuracy"`/`"acc"` become binary,
    /// sparse categorical or categorical accuracy from the shapes of targets and predictions;
    /// other names (`"auc"`, `"mse"`, `"Precision"`, any loss name) come from ``named(_:)``.
    /// The metric is named exactly as given, so that logs show `mse`, `AUC` or `acc`.
    public static func named(_ name: String, yTrueShape: [Int], yPredShape: [Int], loss: Loss?) throws -> Metric {
        let lower = name.lowercased()
        guard lower == "accuracy" || lower == "acc" else {
            let m = try named(name)
            m.name = name
            return m
        }
        let binary = yPredShape.last == 1
        let sparse = yTrueShape.count < yPredShape.count || (yTrueShape.last == 1 && (yPredShape.last ?? 0) > 1)
        if binary { return BinaryAccuracy(name: name) }
        if sparse { return SparseCategoricalAccuracy(name: name) }
        return CategoricalAccuracy(name: name)
    }

    /// A metric by Keras name or class name, with its default arguments (`"auc"`, `"AUC"`,
    /// `"root_mean_squared_error"`), a registered custom metric, or any loss (`Loss.named`),
    /// reported as its per-sample mean. Keras: `keras.metrics.get(name)`.
    public static func named(_ name: String) throws -> Metric {
        if case .metric(let make)? = ObjectRegistry.lookup(.metric, name) { return try make(.object([])) }
        if let loss = try? Loss.named(name) { return LossMetric(loss, name: name) }
        let known = Set(builtinMetrics.keys).union(ObjectRegistry.customNames(.metric))
        throw KerasError.unknownName("Unknown metric '\(name)'. Known metrics: \(known.sorted().joined(separator: ", ")), and every loss name")
    }

    /// Makes a custom metric findable by name (compile strings, configs). Keras: registering the
    /// class with `keras.saving.register_keras_serializable` or a `CustomObjectScope`.
    public static func register(_ name: String, _ make: @escaping () -> Metric) {
        ObjectRegistry.register(name, .metric { _ in make() })
    }

    /// Rebuilds a metric from a Keras `{"class_name", "config"}` pair (a saved compile config).
    public static func from(className: String, config: JSON) throws -> Metric {
        func f(_ k: String) -> Float? { config[k]?.doubleValue.map { Float($0) } }
        func i(_ k: String) -> Int? { config[k]?.intValue }
        func floats(_ k: String) -> [Float]? {
            if let d = config[k]?.doubleValue { return [Float(d)] }
            return config[k]?.arrayValue?.compactMap { $0.doubleValue.map { Float($0) } }
        }
        let name = config["name"]?.stringValue
        let m: Metric
        switch className {
        case "BinaryAccuracy": m = BinaryAccuracy(threshold: f("threshold") ?? 0.5)
        case "TopKCategoricalAccuracy": m = TopKCategoricalAccuracy(k: i("k") ?? 5)
        case "SparseTopKCategoricalAccuracy": m = SparseTopKCategoricalAccuracy(k: i("k") ?? 5)
        case "AUC":
            guard let curve = AUC.Curve(rawValue: config["curve"]?.stringValue ?? "ROC"),
                  let method = AUC.SummationMethod(rawValue: config["summation_method"]?.stringValue ?? "interpolation") else {
                throw KerasError.invalidArgument("AUC config: unknown curve or summation_method in \(config)")
            }
            m = try AUC(numThresholds: i("num_thresholds") ?? 200, curve: curve, summationMethod: method,
                        thresholds: floats("thresholds"), multiLabel: config["multi_label"]?.boolValue ?? false,
                        numLabels: i("num_labels"), labelWeights: floats("label_weights"),
                        fromLogits: config["from_logits"]?.boolValue ?? false)
        case "Precision": m = try Precision(thresholds: floats("thresholds"), topK: i("top_k"), classId: i("class_id"))
        case "Recall": m = try Recall(thresholds: floats("thresholds"), topK: i("top_k"), classId: i("class_id"))
        case "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives":
            guard let cell = ConfusionCount.Cell(rawValue: className) else {
                throw KerasError.invalidArgument("unknown confusion-count metric \(className)")
            }
            m = try ConfusionCount(cell, thresholds: floats("thresholds"))
        case "F1Score", "FBetaScore":
            var average: FBetaScore.Average?
            if let a = config["average"]?.stringValue {
                guard let v = FBetaScore.Average(rawValue: a) else {
                    throw KerasError.invalidArgument("\(className) config: unknown average '\(a)'")
                }
                average = v
            }
            m = className == "F1Score"
                ? try F1Score(average: average, threshold: f("threshold"))
                : try FBetaScore(average: average, beta: f("beta") ?? 1, threshold: f("threshold"))
        case "R2Score":
            // Keras's default is "uniform_average"; a null one keeps one score per output.
            var agg: R2Score.ClassAggregation? = config["class_aggregation"] == nil ? .uniformAverage : nil
            if let a = config["class_aggregation"]?.stringValue {
                guard let v = R2Score.ClassAggregation(rawValue: a) else {
                    throw KerasError.invalidArgument("R2Score config: unknown class_aggregation '\(a)'")
                }
                agg = v
            }
            m = try R2Score(classAggregation: agg, numRegressors: i("num_regressors") ?? 0)
        case "SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall", "RecallAtPrecision":
            let key = ["SensitivityAtSpecificity": "specificity", "SpecificityAtSensitivity": "sensitivity",
                       "PrecisionAtRecall": "recall", "RecallAtPrecision": "precision"][className] ?? ""
            guard let v = f(key) else { throw KerasError.invalidArgument("\(className) config: '\(key)' is required") }
            let n = i("num_thresholds") ?? 200, c = i("class_id")
            switch className {
            case "SensitivityAtSpecificity": m = try SensitivityAtSpecificity(specificity: v, numThresholds: n, classId: c)
            case "SpecificityAtSensitivity": m = try SpecificityAtSensitivity(sensitivity: v, numThresholds: n, classId: c)
            case "PrecisionAtRecall": m = try PrecisionAtRecall(recall: v, numThresholds: n, classId: c)
            default: m = try RecallAtPrecision(precision: v, numThresholds: n, classId: c)
            }
        case "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU":
            m = try iouMetric(className, config)
        case "LogCoshError":
            m = LossMetric(try Loss.named("log_cosh"), name: "logcosh", className: "LogCoshError")
        default:
            if ObjectRegistry.builtin(.loss, className) != nil {
                // The metric twin of a loss (`BinaryCrossentropy(from_logits=True)`): the loss
                // reads its own arguments; the metric keeps its name.
                let lossConfig = JSON.object((config.objectValue ?? []).filter { $0.0 != "name" })
                m = LossMetric(try Loss.from(className: className, config: lossConfig))
            } else {
                m = try named(className)
            }
        }
        if let name { m.name = name }
        return m
    }

    /// Built-in metrics by every name Keras accepts for them.
    static let builtinMetrics: [String: () throws -> Metric] = {
        var t: [String: () throws -> Metric] = [:]
        func add(_ names: [String], _ make: @escaping () throws -> Metric) { for n in names { t[n] = make } }
        add(["accuracy", "Accuracy"]) { Accuracy() }
        add(["binary_accuracy", "BinaryAccuracy"]) { BinaryAccuracy() }
        add(["categorical_accuracy", "CategoricalAccuracy"]) { CategoricalAccuracy() }
        add(["sparse_categorical_accuracy", "SparseCategoricalAccuracy"]) { SparseCategoricalAccuracy() }
        add(["top_k_categorical_accuracy", "TopKCategoricalAccuracy"]) { TopKCategoricalAccuracy() }
        add(["sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"]) { SparseTopKCategoricalAccuracy() }
        add(["mean_squared_error", "mse", "MSE", "MeanSquaredError"]) { MeanSquaredErrorMetric() }
        add(["mean_absolute_error", "mae", "MAE", "MeanAbsoluteError"]) { MeanAbsoluteErrorMetric() }
        add(["root_mean_squared_error", "RootMeanSquaredError"]) { RootMeanSquaredError() }
        add(["auc", "AUC"]) { try AUC() }
        add(["precision", "Precision"]) { try Precision() }
        add(["recall", "Recall"]) { try Recall() }
        add(["true_positives", "TruePositives"]) { try ConfusionCount(.truePositives) }
        add(["false_positives", "FalsePositives"]) { try ConfusionCount(.falsePositives) }
        add(["true_negatives", "TrueNegatives"]) { try ConfusionCount(.trueNegatives) }
        add(["false_negatives", "FalseNegatives"]) { try ConfusionCount(.falseNegatives) }
        add(["f1_score", "F1Score"]) { try F1Score() }
        add(["f_beta_score", "FBetaScore"]) { try FBetaScore() }
        add(["r2_score", "R2Score"]) { try R2Score() }
        add(["pearson_correlation", "PearsonCorrelation"]) { PearsonCorrelation() }
        add(["concordance_correlation", "ConcordanceCorrelation"]) { ConcordanceCorrelation() }
        add(["mean", "Mean"]) { Mean() }
        add(["sum", "Sum"]) { Sum() }
        return t
    }()
}
