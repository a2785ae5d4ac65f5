import Foundation
import Keras

/// One measured figure.
struct BenchResult {
    let name: String
    let unit: String
    let value: Double
    /// True when a smaller value is better (seconds); false for rates (GFLOP/s).
    let lowerIsBetter: Bool
    var note: String = ""
}

/// Reads the reference figures written by scripts/bench_keras.py (`{"name": value}`).
func loadReference(_ path: String) -> [String: Double]? {
    guard let data = FileManager.default.contents(atPath: path),
          let text = String(data: data, encoding: .utf8),
          case .object(let pairs)? = try? JSONParser.parse(text) else { return nil }
    var out: [String: Double] = [:]
    for (k, v) in pairs { if let d = v.doubleValue { out[k] = d } }
    return out
}

struct BenchTable {
    let results: [BenchResult]
    let reference: [String: Double]?

    func render() -> String {
        var lines = ["| benchmark | unit | SwiftKeras | Keras 3 (JAX) | speed-up | note |",
                     "|---|---|---:|---:|---:|---|"]
        for r in results {
            let ref = reference?[r.name]
            let speedup = ref.map { r.lowerIsBetter ? $0 / r.value : r.value / $0 }
            lines.append("| \(r.name) | \(r.unit) | \(fmt(r.value)) | \(ref.map(fmt) ?? "–") | \(speedup.map { String(format: "%.1fx", $0) } ?? "–") | \(r.note) |")
        }
        if reference == nil { lines.append("(no reference: real Keras was not measured in this run)") }
        return lines.joined(separator: "\n")
    }

    func fmt(_ v: Double) -> String {
        if v >= 100 { return String(format: "%.1f", v) }
        if v >= 1 { return String(format: "%.3f", v) }
        if v >= 1e-3 { return String(format: "%.5f", v) }
        return String(format: "%.3e", v)
    }

    func writeJSON(to path: String) throws {
        let entries: [JSON] = results.map { r in
            ["name": .string(r.name), "unit": .string(r.unit), "value": .double(r.value),
             "reference": reference?[r.name].map { .double($0) } ?? .null, "note": .string(r.note)]
        }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try JSON.array(entries).description.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
