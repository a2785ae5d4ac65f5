import Keras

extension DemoCommand {
    /// A recurrent task learned from scratch: does a noisy sequence of ±1 steps sum to more than
    /// zero? The LSTM has to count over all 21 steps (the last step alone is right half the time).
    func noisySum(quick: Bool) throws {
        banner("4. Sequences: is the sum of 21 noisy ±1 steps positive? LSTM(16) -> Dense(1, sigmoid), adam")
        setRandomSeed(2026)
        let steps = 21
        let rng = RandomGenerator(seed: 2026)
        func sample(_ n: Int) -> (x: Tensor, y: Tensor) {
            let x = Tensor(shape: [n, steps, 1]), y = Tensor(shape: [n, 1])
            for i in 0..<n {
                var sum: Float = 0
                for t in 0..<steps {
                    let sign: Float = rng.uniform() < 0.5 ? -1 : 1
                    sum += sign
                    x.data[i * steps + t] = sign + 0.4 * rng.normal()
                }
                y.data[i] = sum > 0 ? 1 : 0
            }
            return (x, y)
        }
        let train = sample(quick ? 1_000 : 4_000), test = sample(1_000)
        let model = try Sequential([InputLayer(shape: [steps, 1]), LSTM(16, name: "lstm"), Dense(1, activation: .sigmoid, name: "head")])
        try model.compile(optimizer: "adam", loss: "binary_crossentropy", metrics: ["accuracy"])
        let before = try evaluated(model, test.x, test.y).1
        let epochs = quick ? 8 : 15
        let t0 = monotonicSeconds()
        let history = try model.fit(train.x, train.y, batchSize: 32, epochs: epochs, verbose: 0)
        let seconds = monotonicSeconds() - t0
        let (loss, accuracy) = try evaluated(model, test.x, test.y)
        print("training accuracy by epoch: " + (history.history["accuracy"] ?? []).map(format).joined(separator: " "))
        print("held-out accuracy \(format(before)) before training, \(format(accuracy)) after (loss \(format(loss))); \(epochs) epochs on \(train.x.shape[0]) sequences took \(format(seconds)) s")
    }
}
