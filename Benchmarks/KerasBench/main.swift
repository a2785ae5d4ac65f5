import CBLAS
import Foundation
import Keras

// `make bench`: this project's figures next to real Keras's (JAX backend) when a reference run
// is available, as one table, also written as JSON to .build/bench.json.

var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}
let referencePath = option("--reference")
let jsonPath = option("--json") ?? ".build/bench.json"

/// Runs one round for scripts/bench_families.py and exits: 0, or 2 with the error on stderr.
func runRound(_ body: () throws -> Void) -> Never {
    do {
        try body()
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("KerasBench: \(error)\n".utf8))
        exit(2)
    }
}

// scripts/bench_families.py runs each layer-family workload in its own process, alternating with
// real Keras, and needs the same run's GEMM peak for the share-of-peak column; and the engine
// issue's rows the same way (otto_epoch, iris_fit_300_epochs, predict_one_row, and
// iris_grid_search for both n_jobs rows), and the layer rows (LayerBenchmarks.swift).
if let name = option("--family") { runRound { try runFamilyWorkload(name) } }
if let name = option("--row") { runRound { try runEngineRow(name) } }

if arguments.contains("--gemm-peak") {
    print(gemmPeak())
    exit(0)
}

if let n = option("--profile-otto").flatMap(Int.init) {
    try profileOtto(epochs: n, withPeak: arguments.contains("--with-peak"))
    exit(0)
}

if let n = option("--profile-predict").flatMap(Int.init) {
    try profilePredict(calls: n)
    exit(0)
}

if let n = option("--profile-iris").flatMap(Int.init) {
    try profileIris(runs: n)
    exit(0)
}

if let n = option("--profile-search-cpu").flatMap(Int.init) {
    try profileSearchCPU(runs: n)
    exit(0)
}

if let n = option("--profile-search").flatMap(Int.init) {
    try profileSearch(runs: n, showSchedule: arguments.contains("--schedule"))
    exit(0)
}

var results: [BenchResult] = []
// `make bench` measures the engine, search and layer rows in alternating fresh processes
// (`--row`, scripts/bench_families.py) and asks this table for the others only.
if !arguments.contains("--without-engine-rows") {
    results.append(contentsOf: try engineBenchmarks())
    results.append(contentsOf: try searchBenchmarks())
}
results.append(contentsOf: try vocabularyBenchmarks())
if !arguments.contains("--without-engine-rows") {
    results.append(contentsOf: try layerBenchmarks())
}
let reference = referencePath.flatMap(loadReference)
let table = BenchTable(results: results, reference: reference)
print(table.render())
try table.writeJSON(to: jsonPath)
print("Wrote \(jsonPath)")
