import Foundation
import Keras
import KerasDatasets

/// `swiftkeras demo`: trains the seeds' first examples on data shipped inside the library.
struct DemoCommand: Subcommand {
    let name = "demo"
    let summary = "train XOR, iris, an Otto-shaped MLP and an LSTM on a sequence task, and show the results"

    func run(_ arguments: [String]) throws {
        let quick = arguments.contains("--quick")
        if arguments.contains("sequences") { return try noisySum(quick: quick) }
        try xor()
        try iris()
        try otto(quick: quick)
        try noisySum(quick: quick)
    }

    func banner(_ title: String) {
        print("\n" + String(repeating: "═", count: 76))
        print(title)
        print(String(repeating: "═", count: 76))
    }

    /// The German Wikipedia example (seeds/000): XOR with 2 sigmoid units, 10,000 epochs.
    func xor() throws {
        banner("1. XOR (seeds/000): Dense(2, sigmoid) -> Dense(1), adam, mean squared error, 10000 epochs")
        setRandomSeed(1337)
        let x = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
        let y = Tensor([[0], [1], [1], [0]])
        let model = try Sequential()
        try model.add(Dense(2, activation: .sigmoid, inputDim: 2))
        try model.add(Dense(1))
        try model.compile(optimizer: "adam", loss: "mean_squared_error", metrics: ["accuracy"])
        let t0 = monotonicSeconds()
        try model.fit(x, y, epochs: 10000, verbose: 0)
        let seconds = monotonicSeconds() - t0
        print(try model.predict(x))
        print("expected [[0] [1] [1] [0]]; 10000 epochs took \(format(seconds)) s")

        banner("   XOR with tanh (seeds/000): Dense(16, tanh) -> Dense(1, tanh), 1000 epochs")
        let model2 = try Sequential()
        try model2.add(Dense(16, activation: .tanh, inputDim: 2))
        try model2.add(Dense(1, activation: .tanh))
        try model2.compile(optimizer: "adam", loss: "mean_squared_error", metrics: ["accuracy"])
        let h = try model2.fit(x, y, epochs: 1000, verbose: 0)
        print(try model2.predict(x))
        print("final loss \(format(h.history["loss"]?.last ?? .nan)), accuracy \(format(h.history["accuracy"]?.last ?? .nan))")
    }

    /// The iris example of seeds/003, with the intermediate values of its last slides.
    func iris() throws {
        banner("2. Iris (seeds/003): Dense(8) -> relu -> Dense(3) -> softmax, rmsprop, 300 epochs")
        setRandomSeed(7)
        let data = Datasets.iris()
        let model = try Sequential([Dense(8), Activation("relu"), Dense(3), Activation("softmax")])
        try model.compile(loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        let t0 = monotonicSeconds()
        let history = try model.fit(data.x, data.y, epochs: 300, verbose: 0, validationSplit: 0.1)
        let seconds = monotonicSeconds() - t0
        model.summary()
        let acc = history.history["accuracy"]?.last ?? .nan
        print("300 epochs in \(format(seconds)) s; training accuracy \(format(acc)), loss \(format(history.history["loss"]?.last ?? .nan))")
        let (loss, accuracy) = try evaluated(model, data.x, data.y)
        print("evaluate on all 150 flowers: loss \(format(loss)), accuracy \(format(accuracy))")
        let testData = Tensor([[5.3, 3.4, 1.9, 0.6], [6.0, 3.0, 4.7, 1.5], [6.5, 3.1, 5.0, 1.7]])
        print("model.predict(test_data):")
        print(try model.predict(testData))
        print("inspecting the network for an iris setosa [[5.1 3.5 1.4 0.2]], layer by layer:")
        var values = Tensor([[5.1, 3.5, 1.4, 0.2]])
        for i in 0..<4 {
            let layer = try model.getLayer(index: i)
            values = try layer(values)
            print("  after \(layer.name): \(values)")
        }
    }

    /// The Otto group MLP of seeds/004 on a synthetic table of the same shape.
    func otto(quick: Bool) throws {
        banner("3. Otto-shaped MLP (seeds/004): 61,878 x 93, 9 classes; Dense(100) -> Dense(9) -> softmax, sgd")
        setRandomSeed(42)
        let data = Datasets.ottoLike(samples: quick ? 6_000 : 61_878)
        let y = data.yOneHot
        let n = data.x.shape[0]
        let split = n - n * 15 / 100
        let order = RandomGenerator(seed: 42).permutation(n)
        let train = Array(order[..<split]), val = Array(order[split...])
        let xTrain = try Ops.take(data.x, train), yTrain = try Ops.take(y, train)
        let xVal = try Ops.take(data.x, val), yVal = try Ops.take(y, val)
        print("\(data.classNames.count) classes")
        print("\(data.x.shape[1]) dims")
        let model = try Sequential()
        try model.add(Dense(100, inputShape: [93]))
        try model.add(Dense(9))
        try model.add(Activation("softmax"))
        try model.compile(optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"])
        model.summary(style: .keras2)
        print("Train on \(xTrain.shape[0]) samples, validate on \(xVal.shape[0]) samples")
        // seeds/004: keep the best model on disk, stop when val_loss has not improved for 4 epochs.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swiftkeras-demo-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let bestPath = folder.appendingPathComponent("best_model.h5").path
        let earlyStop = try EarlyStopping(monitor: "val_loss", patience: 4, verbose: 1)
        let bestModel = try ModelCheckpoint(bestPath, verbose: 0, saveBestOnly: true)
        let epochs = quick ? 3 : 20
        let t0 = monotonicSeconds()
        let history = try model.fit(xTrain, yTrain, batchSize: 128, epochs: epochs, verbose: 1,
                                    callbacks: [bestModel, earlyStop], validationData: (xVal, yVal))
        let seconds = monotonicSeconds() - t0
        let (loss, accuracy) = try evaluated(model, xVal, yVal)
        print("validation: loss \(format(loss)), accuracy \(format(accuracy)); \(history.epoch.count) epochs took \(format(seconds)) s")
        let best = try loadModel(bestPath)
        let (bestLoss, _) = try evaluated(best, xVal, yVal)
        print("best model reloaded from \(URL(fileURLWithPath: bestPath).lastPathComponent): val_loss \(format(bestLoss))")
    }

    func evaluated(_ model: Model, _ x: Tensor, _ y: Tensor) throws -> (Double, Double) {
        let r = try model.evaluate(x, y, verbose: 0)
        return (r.first ?? .nan, r.count > 1 ? r[1] : .nan)
    }

    func format(_ v: Double) -> String {
        let s = String(format4: v)
        return s
    }
}

extension String {
    /// Four decimals, as Keras prints figures.
    init(format4 v: Double) {
        guard v.isFinite else { self = "\(v)"; return }
        let scaled = (v * 10_000).rounded() / 10_000
        var s = "\(scaled)"
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < 4 { s += String(repeating: "0", count: 4 - decimals) }
        }
        self = s
    }
}
