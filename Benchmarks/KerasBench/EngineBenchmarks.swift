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
    let otto = try ottoEpoch()
    out.append(BenchResult(name: "otto_epoch", unit: "s", value: otto.seconds, lowerIsBetter: true,
                           note: String(format: "%.0f GFLOP/s = %.0f%% of sgemm peak", otto.flops / otto.seconds / 1e9,
                                        100 * otto.flops / otto.seconds / 1e9 / peak)))
    out.append(BenchResult(name: "iris_fit_300_epochs", unit: "s", value: try irisFit300(), lowerIsBetter: true))
    let latency = try predictOneRow()
    out.append(BenchResult(name: "predict_one_row", unit: "s", value: latency, lowerIsBetter: true,
                           note: String(format: "%.2f us per predict_on_batch", latency * 1e6)))
    return out
}

/// seeds/004: Dense(100) -> Dense(9) -> softmax, SGD, categorical cross-entropy, batch 128; the
/// best of `repeats` epochs after a warm-up epoch, the FLOPs of one epoch and every epoch's time.
func ottoEpoch(repeats: Int = 5) throws -> (seconds: Double, flops: Double, epochs: [Double]) {
    let otto = Datasets.ottoLike()
    let ottoY = otto.yOneHot
    setRandomSeed(1)
    let mlp = try Sequential([Dense(100, inputShape: [93]), Dense(9), try Activation("softmax")])
    try mlp.compile(optimizer: "sgd", loss: "categorical_crossentropy")
    try mlp.fit(otto.x, ottoY, batchSize: 128, epochs: 1, verbose: 0)
    var epochs: [Double] = []
    for _ in 0..<repeats {
        let t0 = monotonicSeconds()
        try mlp.fit(otto.x, ottoY, batchSize: 128, epochs: 1, verbose: 0)
        epochs.append(monotonicSeconds() - t0)
    }
    return (epochs.min() ?? .nan, ottoEpochFlops(rows: otto.x.shape[0]), epochs)
}

/// seeds/003: iris, Dense(8) relu Dense(3) softmax, default optimizer, 300 epochs, batch 32,
/// validation_split 0.1; the best of `repeats` fits.
func irisFit300(repeats: Int = 3) throws -> Double {
    let iris = Datasets.iris()
    return try bestTime(repeats) {
        setRandomSeed(2)
        let model = try Sequential([Dense(8), try Activation("relu"), Dense(3), try Activation("softmax")])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        try model.fit(iris.x, iris.y, epochs: 300, verbose: 0, validationSplit: 0.1)
    }
}

/// Seconds per single-row `predictOnBatch` on the iris-sized model: the best of 3 runs of
/// 20,000 calls after 1,000 warm-up calls.
func predictOneRow() throws -> Double {
    let small = try Sequential([Dense(8, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
    let row = Tensor([[5.1, 3.5, 1.4, 0.2]])
    for _ in 0..<1000 { _ = try small.predictOnBatch(row) }
    let calls = 20_000
    return try bestTime(3) { for _ in 0..<calls { _ = try small.predictOnBatch(row) } } / Double(calls)
}

/// The rows of the engine issue that scripts/bench_families.py measures in alternating fresh processes.
let engineRowNames = ["otto_epoch", "iris_fit_300_epochs", "predict_one_row", "iris_grid_search"]

/// `KerasBench --row NAME`: one fresh-process round of an engine-issue row, printed as one JSON
/// line: `seconds` (otto: with `gflop` per epoch and this process's `peak_gflops`, measured after
/// the epochs; iris_grid_search: `n_jobs_1` and `n_jobs_2`, the medians of 3 searches of each
/// taken in turns after one of each, and the median of their ratios, `ratio`; then
/// `n_jobs_1_core0` and `n_jobs_1_core1`, n_jobs 1 with the calling thread held on each core,
/// ``searchesByCore(_:)``; a layer row of LayerBenchmarks.swift: the median CPU time of 5 calls),
/// and the peak RSS in MiB.
func runEngineRow(_ name: String) throws {
    var line: [String: JSON] = ["name": .string(name)]
    switch name {
    case "otto_epoch":
        let otto = try ottoEpoch()
        line["seconds"] = .double(otto.seconds)
        line["epochs"] = .array(otto.epochs.map { .double($0) })
        line["gflop"] = .double(otto.flops / 1e9)
        line["peak_rss_mib"] = .double(peakRSSMiB())  // before the peak's three 16 MiB matrices
        // Which mode the process ran in: how the partner thread shared the products, and how
        // much of the process's anonymous memory (the data arrays) sits on huge pages.
        line["partner"] = .object(Parallel.partnerCounters.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })
        line["anon_huge_kib"] = .int(anonHugePagesKiB())
        line["peak_gflops"] = .double(gemmPeak())
    case "iris_fit_300_epochs":
        line["seconds"] = .double(try irisFit300())
    case "predict_one_row":
        line["seconds"] = .double(try predictOneRow())
    case "iris_grid_search":
        // One search of each first: a fresh process's first search pays for first use (and
        // OpenBLAS's threads spin for a while after the library loads).
        _ = try searchRounds(1)
        let (one, two) = try searchRounds(3)
        let ratios = zip(one, two).map { $0 / $1 }
        line["n_jobs_1"] = .double(median(one))
        line["n_jobs_2"] = .double(median(two))
        line["seconds"] = .double(median(two))
        line["ratio"] = .double(median(ratios))
        // The two cores' own speeds, for what the machine allows two workers (searchesByCore).
        let byCore = try searchesByCore(3)
        if !byCore.core0.isEmpty, !byCore.core1.isEmpty {
            line["n_jobs_1_core0"] = .double(median(byCore.core0))
            line["n_jobs_1_core1"] = .double(median(byCore.core1))
        }
    default:
        guard let seconds = try runLayerRow(name) else {
            throw KerasError.invalidArgument("KerasBench --row: unknown row '\(name)'; known: \(engineRowNames + layerRows.map(\.name))")
        }
        line["seconds"] = .double(seconds)
    }
    if line["peak_rss_mib"] == nil { line["peak_rss_mib"] = .double(peakRSSMiB()) }
    print(JSON.object(line.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }).description)
}

/// This process's anonymous memory on transparent huge pages (`AnonHugePages` of
/// /proc/self/smaps_rollup), in KiB; -1 where it cannot be read.
func anonHugePagesKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/smaps_rollup", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix("AnonHugePages:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
    return -1
}

/// The process's peak resident set so far, in MiB.
func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The median (the upper one of an even count); NaN when empty.
func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.isEmpty ? .nan : s[s.count / 2]
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

/// `KerasBench --profile-iris N`: runs the seeds/003 iris fit N times and nothing else. Each
/// timed run makes, compiles, fits and frees one model (the CPU time too, as
/// scripts/bench_python.py's timed fits each free one: the previous fit's model, freed in the
/// next fit's setup).
func profileIris(runs: Int) throws {
    let iris = Datasets.iris()
    func fit() throws {
        setRandomSeed(2)
        let model = try Sequential([Dense(8), try Activation("relu"), Dense(3), try Activation("softmax")])
        try model.compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        try model.fit(iris.x, iris.y, epochs: 300, verbose: 0, validationSplit: 0.1)
    }
    var walls: [Double] = [], cpus: [Double] = []
    for _ in 0..<runs {
        let t0 = monotonicSeconds(), c0 = threadCPUSeconds()
        try fit()
        cpus.append(threadCPUSeconds() - c0)
        walls.append(monotonicSeconds() - t0)
    }
    let t = walls.min() ?? .nan, cpu = cpus.min() ?? .nan
    print("iris fit best of \(runs): \(t)s wall, \(cpu)s CPU of the calling thread")
    print("runs wall: \(walls.map { String($0) }.joined(separator: " ")); CPU: \(cpus.map { String($0) }.joined(separator: " "))")
}

/// `KerasBench --profile-predict N`: N single-row `predictOnBatch` calls on the iris-sized model.
func profilePredict(calls: Int) throws {
    let small = try Sequential([Dense(8, activation: .relu, inputShape: [4]), Dense(3, activation: .softmax)])
    let row = Tensor([[5.1, 3.5, 1.4, 0.2]])
    _ = try small.predictOnBatch(row)
    let t = try bestTime(1) { for _ in 0..<calls { _ = try small.predictOnBatch(row) } }
    print("predict_on_batch: \(t / Double(max(calls, 1)) * 1e6) us per call")
}
