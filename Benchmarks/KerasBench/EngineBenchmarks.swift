import CBLAS
import Foundation
import Keras
import KerasDatasets

/// Best of `repeats` runs of `body`, in seconds.
func bestTime(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let t0 = monotonicSeconds()
        try body()
        best = min(best, monotonicSeconds() - t0)
    }
    return best
}

/// float32 GEMM peak of the linked OpenBLAS on this machine (2048³, all threads).
func gemmPeak() -> Double {
    let n = 2048
    let a = Tensor(shape: [n, n], repeating: 0.5), b = Tensor(shape: [n, n], repeating: 0.25)
    let c = Tensor(shape: [n, n])
    let t = bestTime(3) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                    a.data, Int32(n), b.data, Int32(n), 0, c.data, Int32(n))
    }
    return 2 * Double(n * n * n) / t / 1e9
}

/// The benchmarks of the engine issue: Otto-shaped epoch, iris fit, single-row predict.
func engineBenchmarks() throws -> [BenchResult] {
    var out: [BenchResult] = []
    let peak = gemmPeak()
    out.append(BenchResult(name: "sgemm_peak_2048", unit: "GFLOP/s", value: peak, lowerIsBetter: false,
                           note: "OpenBLAS, \(Parallel.blasThreads) threads"))

    // seeds/004: Dense(100) -> Dense(9) -> softmax, SGD, categorical cross-entropy, batch 128.
    let otto = Datasets.ottoLike()
    let ottoY = otto.yOneHot
    setRandomSeed(1)
    let mlp = try Sequential([Dense(100, inputShape: [93]), Dense(9), try Activation("softmax")])
    try mlp.compile(optimizer: "sgd", loss: "categorical_crossentropy")
    try mlp.fit(otto.x, ottoY, batchSize: 128, epochs: 1, verbose: 0)
    let epoch = try bestTime(5) { try mlp.fit(otto.x, ottoY, batchSize: 128, epochs: 1, verbose: 0) }
    let flops = ottoEpochFlops(rows: otto.x.shape[0])
    out.append(BenchResult(name: "otto_epoch", unit: "s", value: epoch, lowerIsBetter: true,
                           note: String(format: "%.0f GFLOP/s = %.0f%% of sgemm peak", flops / epoch / 1e9, 100 * flops / epoch / 1e9 / peak)))

    // seeds/003: iris, Dense(8) relu Dense(3) softmax, default optimizer, 300 epochs, batch 32,
    // validation_split 0.1.
    let iris = Datasets.iris()
    let irisFit = try bestTime(3) {
        setRandomSeed(2)
        let model = try Sequential([Dense(8), try Activation("relu"), Dense(3), try Activation("softmax")])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        try model.fit(iris.x, iris.y, epochs: 300, verbose: 0, validationSplit: 0.1)
    }
    out.append(BenchResult(name: "iris_fit_300_epochs", unit: "s", value: irisFit, lowerIsBetter: true))

    let small = try Sequential([Dense(8, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
    let row = Tensor([[5.1, 3.5, 1.4, 0.2]])
    for _ in 0..<1000 { _ = try small.predictOnBatch(row) }
    let calls = 20_000
    let latency = try bestTime(3) { for _ in 0..<calls { _ = try small.predictOnBatch(row) } } / Double(calls)
    out.append(BenchResult(name: "predict_one_row", unit: "s", value: latency, lowerIsBetter: true,
                           note: String(format: "%.2f us per predict_on_batch", latency * 1e6)))
    return out
}

/// CPU seconds the calling thread has run: unlike wall time, not inflated by other processes
/// sharing the cores (the figure to compare changes with on a busy machine).
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Training FLOPs of one Otto-shaped epoch as the bench counts them: 3x the forward GEMMs
/// (forward, input gradient, weight gradient) of 61,878 rows through 93→100→9.
func ottoEpochFlops(rows: Int) -> Double { 3 * 2 * Double(rows) * (93 * 100 + 100 * 9) }

/// `KerasBench --profile-otto N`: runs N Otto-shaped epochs and nothing else (for profilers);
/// with `withPeak`, then measures the GEMM peak in the same process and prints the best epoch's
/// share of it (the figure issue 19 asks for, from one process).
func profileOtto(epochs: Int, withPeak: Bool = false) throws {
    let otto = Datasets.ottoLike()
    let y = otto.yOneHot
    let mlp = try Sequential([Dense(100, inputShape: [93]), Dense(9), try Activation("softmax")])
    try mlp.compile(optimizer: "sgd", loss: "categorical_crossentropy")
    var cpu = Double.infinity
    let t = try bestTime(epochs) {
        let c0 = threadCPUSeconds()
        try mlp.fit(otto.x, y, batchSize: 128, epochs: 1, verbose: 0)
        cpu = min(cpu, threadCPUSeconds() - c0)
    }
    print("otto epoch best of \(epochs): \(t)s wall, \(cpu)s CPU of the calling thread")
    if withPeak {
        let peak = gemmPeak(), rate = ottoEpochFlops(rows: otto.x.shape[0]) / t / 1e9
        print(String(format: "otto %.1f GFLOP/s = %.1f%% of this process's sgemm peak %.1f GFLOP/s", rate, 100 * rate / peak, peak))
    }
}

/// `KerasBench --profile-iris N`: runs the seeds/003 iris fit N times and nothing else.
func profileIris(runs: Int) throws {
    let iris = Datasets.iris()
    var cpu = Double.infinity
    let t = try bestTime(runs) {
        let c0 = threadCPUSeconds()
        setRandomSeed(2)
        let model = try Sequential([Dense(8), try Activation("relu"), Dense(3), try Activation("softmax")])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        try model.fit(iris.x, iris.y, epochs: 300, verbose: 0, validationSplit: 0.1)
        cpu = min(cpu, threadCPUSeconds() - c0)
    }
    print("iris fit best of \(runs): \(t)s wall, \(cpu)s CPU of the calling thread")
}

/// `KerasBench --profile-predict N`: N single-row `predictOnBatch` calls on the iris-sized model.
func profilePredict(calls: Int) throws {
    let small = try Sequential([Dense(8, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
    let row = Tensor([[5.1, 3.5, 1.4, 0.2]])
    _ = try small.predictOnBatch(row)
    let t = try bestTime(1) { for _ in 0..<calls { _ = try small.predictOnBatch(row) } }
    print("predict_on_batch: \(t / Double(max(calls, 1)) * 1e6) us per call")
}
