import Foundation
import Keras

/// One training workload of the layer-family issues (convolution, recurrent, normalization,
/// attention), defined identically in `scripts/bench_families.py` for real Keras. Each runs in
/// its own process (`KerasBench --family NAME`): build, one warm-up epoch, one timed epoch.
struct FamilyWorkload {
    let name: String
    let batchSize: Int
    let optimizer: String
    let loss: String
    /// Floating-point operations of one training epoch (forward, input and weight gradients), or 0.
    let flops: Double
    let data: () -> (x: Tensor, y: Tensor)
    let model: () throws -> Model
}

/// Uniform [0, 1) values of `shape` from a seeded generator (the data only has to have Keras's shapes).
func uniformTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    let g = RandomGenerator(seed: seed)
    let t = Tensor(shape: shape)
    for i in 0..<t.count { t.data[i] = scale * g.uniform() }
    return t
}

/// Integer class labels in `0..<classes`.
func labels(_ n: Int, classes: Int, seed: UInt64) -> Tensor {
    let t = uniformTensor([n], seed: seed, scale: Float(classes))
    for i in 0..<n { t.data[i] = t.data[i].rounded(.down) }
    return t
}

/// Padded token sequences: each row a random length in `minLength...length` of tokens in
/// `1..<vocabulary`, then zeros (the mask).
func paddedTokens(_ n: Int, length: Int, minLength: Int, vocabulary: Int, seed: UInt64) -> Tensor {
    let g = RandomGenerator(seed: seed)
    let t = Tensor(shape: [n, length])
    for i in 0..<n {
        let used = minLength + Int(g.uniform() * Float(length - minLength + 1))
        for j in 0..<min(used, length) { t.data[i * length + j] = Float(1 + Int(g.uniform() * Float(vocabulary - 1))) }
    }
    return t
}

/// Training FLOPs of a stride-1 convolution producing `outputs` positions of `filters` channels
/// from a `window`-element receptive field: 3x forward (forward, input, weight gradient), 2x when
/// the layer's input needs no gradient.
func convFLOPs(rows: Int, outputs: Int, window: Int, filters: Int, firstLayer: Bool) -> Double {
    Double(firstLayer ? 2 : 3) * 2 * Double(rows * outputs * window * filters)
}

let familyWorkloads: [FamilyWorkload] = [
    // Issue 12: Conv2D(32, 3, relu) → MaxPooling2D(2) → Flatten → Dense(10, softmax) on 28×28×1.
    FamilyWorkload(name: "conv_epoch", batchSize: 128, optimizer: "adam", loss: "sparse_categorical_crossentropy",
                   flops: convFLOPs(rows: 10_000, outputs: 26 * 26, window: 9, filters: 32, firstLayer: true)
                       + 3 * 2 * 10_000 * 13 * 13 * 32 * 10,
                   data: { (uniformTensor([10_000, 28, 28, 1], seed: 1), labels(10_000, classes: 10, seed: 2)) },
                   model: {
                       try Sequential([InputLayer(shape: [28, 28, 1]), Conv2D(32, kernelSize: [3], activation: .relu),
                                       MaxPooling2D(poolSize: [2]), Flatten(), Dense(10, activation: .softmax)])
                   }),
    // Issue 12: two 32-filter and two 64-filter same-padded convolutions on 32×32×3.
    FamilyWorkload(name: "cifar_cnn_epoch", batchSize: 64, optimizer: "adam", loss: "sparse_categorical_crossentropy",
                   flops: convFLOPs(rows: 5_000, outputs: 32 * 32, window: 27, filters: 32, firstLayer: true)
                       + convFLOPs(rows: 5_000, outputs: 32 * 32, window: 288, filters: 32, firstLayer: false)
                       + convFLOPs(rows: 5_000, outputs: 16 * 16, window: 288, filters: 64, firstLayer: false)
                       + convFLOPs(rows: 5_000, outputs: 16 * 16, window: 576, filters: 64, firstLayer: false)
                       + 3 * 2 * 5_000 * 8 * 8 * 64 * 10,
                   data: { (uniformTensor([5_000, 32, 32, 3], seed: 3), labels(5_000, classes: 10, seed: 4)) },
                   model: {
                       try Sequential([InputLayer(shape: [32, 32, 3]),
                                       Conv2D(32, kernelSize: [3], padding: .same, activation: .relu),
                                       Conv2D(32, kernelSize: [3], padding: .same, activation: .relu),
                                       MaxPooling2D(poolSize: [2]),
                                       Conv2D(64, kernelSize: [3], padding: .same, activation: .relu),
                                       Conv2D(64, kernelSize: [3], padding: .same, activation: .relu),
                                       MaxPooling2D(poolSize: [2]), Flatten(), Dense(10, activation: .softmax)])
                   }),
    // Issue 14: conv_epoch with BatchNormalization after the convolution.
    FamilyWorkload(name: "bn_cnn_epoch", batchSize: 128, optimizer: "adam", loss: "sparse_categorical_crossentropy",
                   flops: 0,
                   data: { (uniformTensor([10_000, 28, 28, 1], seed: 1), labels(10_000, classes: 10, seed: 2)) },
                   model: {
                       try Sequential([InputLayer(shape: [28, 28, 1]), Conv2D(32, kernelSize: [3], activation: .relu),
                                       BatchNormalization(), MaxPooling2D(poolSize: [2]), Flatten(),
                                       Dense(10, activation: .softmax)])
                   }),
    // Issue 13: 5,000 sequences × 50 steps × 8 features → LSTM(32) / GRU(32) → Dense(1), mse.
    FamilyWorkload(name: "lstm_epoch", batchSize: 64, optimizer: "adam", loss: "mean_squared_error",
                   flops: 3 * 2 * 5_000 * 50 * Double(4 * 32 * (8 + 32)),
                   data: { (uniformTensor([5_000, 50, 8], seed: 5), uniformTensor([5_000, 1], seed: 6)) },
                   model: { try Sequential([InputLayer(shape: [50, 8]), LSTM(32), Dense(1)]) }),
    FamilyWorkload(name: "gru_epoch", batchSize: 64, optimizer: "adam", loss: "mean_squared_error",
                   flops: 3 * 2 * 5_000 * 50 * Double(3 * 32 * (8 + 32)),
                   data: { (uniformTensor([5_000, 50, 8], seed: 5), uniformTensor([5_000, 1], seed: 6)) },
                   model: { try Sequential([InputLayer(shape: [50, 8]), GRU(32), Dense(1)]) }),
    // Issue 13: Embedding(10,000, 64, mask_zero) → Bidirectional(LSTM(32)) → Dense(1, sigmoid).
    FamilyWorkload(name: "bilstm_text_epoch", batchSize: 64, optimizer: "adam", loss: "binary_crossentropy",
                   flops: 2 * 3 * 2 * 5_000 * 100 * Double(4 * 32 * (64 + 32)),
                   data: { (paddedTokens(5_000, length: 100, minLength: 20, vocabulary: 10_000, seed: 7),
                            labels(5_000, classes: 2, seed: 8)) },
                   model: {
                       try Sequential([InputLayer(shape: [100]), Embedding(10_000, 64, maskZero: true),
                                       Bidirectional(LSTM(32)), Dense(1, activation: .sigmoid)])
                   }),
    // Issue 14: 2,000 sequences × 64 tokens × 64 features, MultiHeadAttention(4 heads, key_dim 16)
    // self-attention → GlobalAveragePooling1D → Dense(1), mse. FLOPs: the four projections
    // (64→4·16 each) and the two attention products, 3x forward.
    FamilyWorkload(name: "mha_epoch", batchSize: 32, optimizer: "adam", loss: "mean_squared_error",
                   flops: 3 * 2 * 2_000 * 64 * Double(4 * 64 * 64 + 2 * 64 * 64),
                   data: { (uniformTensor([2_000, 64, 64], seed: 9), uniformTensor([2_000, 1], seed: 10)) },
                   model: {
                       let x = Input(shape: [64, 64])
                       let h = try MultiHeadAttention(numHeads: 4, keyDim: 16)([x, x])
                       return try Model(inputs: x, outputs: try Dense(1)(try GlobalAveragePooling1D()(h)))
                   }),
]

/// `KerasBench --family NAME`: one fresh-process round of a family workload, printed as one JSON
/// line (`seconds` of the timed epoch after a warm-up epoch, `cpu_seconds` the process's CPU time in
/// it, all threads, `gflops` per epoch, peak RSS in MiB).
func runFamilyWorkload(_ name: String) throws {
    guard let w = familyWorkloads.first(where: { $0.name == name }) else {
        throw KerasError.invalidArgument("KerasBench --family: unknown workload '\(name)'; known: \(familyWorkloads.map(\.name))")
    }
    setRandomSeed(1)
    let (x, y) = w.data()
    let model = try w.model()
    try model.compile(optimizer: .name(w.optimizer), loss: .name(w.loss))
    try model.fit(x, y, batchSize: w.batchSize, epochs: 1, verbose: 0)
    let t0 = monotonicSeconds(), c0 = processCPUSeconds()
    try model.fit(x, y, batchSize: w.batchSize, epochs: 1, verbose: 0)
    let seconds = monotonicSeconds() - t0, cpu = processCPUSeconds() - c0
    let line: JSON = ["name": .string(name), "seconds": .double(seconds), "cpu_seconds": .double(cpu),
                      "gflop": .double(w.flops / 1e9), "peak_rss_mib": .double(peakRSSMiB())]
    print(line.description)
}
