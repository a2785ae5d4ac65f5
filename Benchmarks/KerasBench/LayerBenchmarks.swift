import Foundation
import Keras

/// The layer kernels the speed issues measured (issue 16's follow-ups): a RandomRotation
/// (bilinear, reflect) training call on 8×224×224×3 images; one training step of a model whose
/// AdaptiveMaxPooling2D (56×56 → 14×14) pools 64×56×56×32, next to the same model with
/// MaxPooling2D(4) (the same windows); a MelSpectrogram call (Keras's defaults: fft_length 2048,
/// stride 512, 128 mel bins) on 32 signals of 16,000 samples. Each figure is the median CPU
/// time (all threads) of 5 calls after a warm-up one: the machine is shared, wall time is not.
func layerBenchmarks() throws -> [BenchResult] {
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
    setRandomSeed(1)
    let images = uniformTensor([8, 224, 224, 3], seed: 11, scale: 255)
    let rotation = try RandomRotation(factor: 0.2, seed: 1)
    let rotate = try cpuMedian { _ = try rotation(images, training: true) }

    let pooled = uniformTensor([64, 56, 56, 32], seed: 12)
    let targets = uniformTensor([64, 1], seed: 13)
    func step(_ pool: Layer) throws -> Double {
        let model = try Sequential([InputLayer(shape: [56, 56, 32]), pool, Flatten(), Dense(1)])
        try model.compile(optimizer: .name("sgd"), loss: .name("mean_squared_error"))
        return try cpuMedian { try model.fit(pooled, targets, batchSize: 64, epochs: 1, verbose: 0) }
    }
    let adaptive = try step(AdaptiveMaxPooling2D(outputSize: [14, 14]))
    let fixed = try step(MaxPooling2D(poolSize: [4]))

    let signals = uniformTensor([32, 16_000], seed: 14, scale: 2)
    let mel = try MelSpectrogram()
    let spectrogram = try cpuMedian { _ = try mel(signals) }
    return [
        BenchResult(name: "random_rotation_bilinear_8x224x224x3", unit: "s", value: rotate, lowerIsBetter: true,
                    note: "CPU time of one training call"),
        BenchResult(name: "adaptive_max_pooling2d_step", unit: "s", value: adaptive, lowerIsBetter: true,
                    note: String(format: "CPU time of one step, 64x56x56x32 -> 14x14; %.2fx max_pooling2d_step", adaptive / fixed)),
        BenchResult(name: "max_pooling2d_step", unit: "s", value: fixed, lowerIsBetter: true,
                    note: "the same step with MaxPooling2D(4)"),
        BenchResult(name: "mel_spectrogram_32x16000", unit: "s", value: spectrogram, lowerIsBetter: true,
                    note: "CPU time of one call, Keras's defaults (fft_length 2048)"),
    ]
}
