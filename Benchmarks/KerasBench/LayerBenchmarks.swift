import Foundation
import Keras

/// One layer-kernel row of the speed issues (issue 16's follow-ups), defined identically in
/// scripts/bench_keras.py for real Keras: `run` returns the median CPU time (all threads) of 5
/// calls after a warm-up one (the machine is shared: wall time is not).
struct LayerRow {
    let name: String
    let note: String
    let run: () throws -> Double
}

/// The median CPU time of 5 calls of `body` after a warm-up call.
func cpuMedian(_ body: () throws -> Void) rethrows -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<5 {
        let c0 = processCPUSeconds()
        try body()
        times.append(processCPUSeconds() - c0)
    }
    return times.sorted()[times.count / 2]
}

/// One training step (`fit` of one batch) of `pool` between a 64×56×56×32 input and
/// Flatten → Dense(1), SGD and mean squared error: the adaptive poolings (56×56 → 14×14) next to
/// the fixed ones with the same windows (pool size 4).
func poolingStep(_ pool: Layer, channelsFirst: Bool = false) throws -> Double {
    setRandomSeed(1)
    let shape = channelsFirst ? [32, 56, 56] : [56, 56, 32]
    let pooled = uniformTensor([64] + shape, seed: 12)
    let targets = uniformTensor([64, 1], seed: 13)
    let model = try Sequential([InputLayer(shape: shape), pool, Flatten(), Dense(1)])
    try model.compile(optimizer: .name("sgd"), loss: .name("mean_squared_error"))
    return try cpuMedian { try model.fit(pooled, targets, batchSize: 64, epochs: 1, verbose: 0) }
}

/// `predict` of 1024 rows in one batch through Input(784) → Dense(512, relu) → Dense(10, softmax),
/// float or after `quantize("int8")` (the int8 product of Kernels+Quantize.swift).
func densePredict(quantized mode: QuantizationMode?) throws -> Double {
    setRandomSeed(1)
    let x = uniformTensor([1024, 784], seed: 15)
    let model = try Sequential([InputLayer(shape: [784]), Dense(512, activation: .relu), Dense(10, activation: .softmax)])
    if let mode { try model.quantize(mode) }
    return try cpuMedian { _ = try model.predict(x, batchSize: 1024) }
}

/// The layer rows: a RandomRotation (bilinear, reflect) training call on 8×224×224×3 images; one
/// training step through AdaptiveMaxPooling2D / AdaptiveAveragePooling2D (both layouts) and
/// through MaxPooling2D(4) (both layouts) / AveragePooling2D(4); a MelSpectrogram call (Keras's defaults:
/// fft_length 2048, stride 512, 128 mel bins) on 32 signals of 16,000 samples; predict of a
/// 784-512-10 Dense model, float and quantized to int8 and to int4 (Keras's default blocks of 128).
let layerRows: [LayerRow] = [
    LayerRow(name: "random_rotation_bilinear_8x224x224x3", note: "CPU time of one training call") {
        setRandomSeed(1)
        let images = uniformTensor([8, 224, 224, 3], seed: 11, scale: 255)
        let rotation = try RandomRotation(factor: 0.2, seed: 1)
        return try cpuMedian { _ = try rotation(images, training: true) }
    },
    LayerRow(name: "adaptive_max_pooling2d_step", note: "CPU time of one step, 64x56x56x32 -> 14x14") {
        try poolingStep(AdaptiveMaxPooling2D(outputSize: [14, 14]))
    },
    LayerRow(name: "max_pooling2d_step", note: "the same step with MaxPooling2D(4)") {
        try poolingStep(MaxPooling2D(poolSize: [4]))
    },
    LayerRow(name: "max_pooling2d_channels_first_step", note: "the same step with MaxPooling2D(4), 64x32x56x56") {
        try poolingStep(MaxPooling2D(poolSize: [4], dataFormat: .channelsFirst), channelsFirst: true)
    },
    LayerRow(name: "adaptive_average_pooling2d_step", note: "CPU time of one step, 64x56x56x32 -> 14x14") {
        try poolingStep(AdaptiveAveragePooling2D(outputSize: [14, 14]))
    },
    LayerRow(name: "average_pooling2d_step", note: "the same step with AveragePooling2D(4)") {
        try poolingStep(AveragePooling2D(poolSize: [4]))
    },
    LayerRow(name: "adaptive_max_pooling2d_channels_first_step", note: "CPU time of one step, 64x32x56x56 -> 14x14") {
        try poolingStep(AdaptiveMaxPooling2D(outputSize: [14, 14], dataFormat: .channelsFirst), channelsFirst: true)
    },
    LayerRow(name: "mel_spectrogram_32x16000", note: "CPU time of one call, Keras's defaults (fft_length 2048)") {
        setRandomSeed(1)
        let signals = uniformTensor([32, 16_000], seed: 14, scale: 2)
        let mel = try MelSpectrogram()
        return try cpuMedian { _ = try mel(signals) }
    },
    LayerRow(name: "dense_784_512_10_predict", note: "CPU time of predict, 1024 rows, one batch") {
        try densePredict(quantized: nil)
    },
    LayerRow(name: "int8_dense_predict", note: "the same model after quantize(\"int8\")") {
        try densePredict(quantized: .int8)
    },
    LayerRow(name: "int4_dense_predict", note: "the same model after quantize(\"int4\") (blocks of 128, weight-only)") {
        try densePredict(quantized: .int4(blockSize: QuantizationMode.defaultInt4BlockSize))
    },
]

/// `KerasBench --row NAME` for a layer row: one JSON line (`seconds`, the median CPU time of
/// 5 calls in this process, and the peak RSS), for scripts/bench_families.py's alternating rounds.
func runLayerRow(_ name: String) throws -> Double? {
    try layerRows.first(where: { $0.name == name })?.run()
}

/// Every layer row in this process, for the table; each adaptive row's note gives its ratio to
/// the fixed pooling with the same windows.
func layerBenchmarks() throws -> [BenchResult] {
    var values: [String: Double] = [:]
    for row in layerRows { values[row.name] = try row.run() }
    let fixed = ["adaptive_max_pooling2d_step": "max_pooling2d_step", "adaptive_average_pooling2d_step": "average_pooling2d_step",
                 "adaptive_max_pooling2d_channels_first_step": "max_pooling2d_channels_first_step",
                 "int8_dense_predict": "dense_784_512_10_predict", "int4_dense_predict": "dense_784_512_10_predict"]
    return layerRows.map { row in
        let value = values[row.name] ?? 0
        var note = row.note
        if let other = fixed[row.name], let base = values[other], base > 0 {
            note += String(format: "; %.2fx ", value / base) + other
        }
        return BenchResult(name: row.name, unit: "s", value: value, lowerIsBetter: true, note: note)
    }
}
