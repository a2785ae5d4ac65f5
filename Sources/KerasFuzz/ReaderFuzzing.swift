import Foundation
import Keras

/// One entry point that feeds arbitrary bytes to every file reader through the library's public
/// API: the JSON config reader (parser + model rebuilding), the HDF5 readers (legacy `.h5` model
/// and weights, by position and by name; the Keras 3 weights store) and the `.keras` zip reader.
/// Used by the fuzz driver (`KerasFuzz.swift`) and by the seeded mutation tests
/// (`HostileFileTests`); any outcome but a thrown `KerasError` (a trap, a crash, an unbounded
/// allocation) is a bug.
public enum ReaderFuzzing {
    /// A small model that weight readers load into.
    static func targetModel() throws -> Sequential {
        try Sequential([InputLayer(shape: [4]), Dense(3, activation: .relu), Dense(2)])
    }

    /// Runs every reader on `bytes`; returns how many of them accepted the input.
    @discardableResult
    public static func run(_ bytes: [UInt8], scratchDirectory: String = NSTemporaryDirectory(),
                           readers: Set<String> = ["json", "h5", "keras"]) -> Int {
        var accepted = 0
        if readers.contains("json"), let text = String(bytes: bytes, encoding: .utf8), let json = try? JSONParser.parse(text) {
            if (try? modelFromConfig(json)) != nil { accepted += 1 }
        }
        if readers.contains("h5"), bytes.starts(with: [0x89, 0x48, 0x44, 0x46]) {
            accepted += withScratchFile(bytes, in: scratchDirectory, suffix: ".h5") { path in
                var n = 0
                if let model = try? targetModel() {
                    if (try? model.loadWeights(path, skipMismatch: true)) != nil { n += 1 }
                    if (try? model.loadWeights(path, byName: true, skipMismatch: true)) != nil { n += 1 }
                }
                if (try? loadModel(path)) != nil { n += 1 }
                return n
            }
        }
        if readers.contains("keras"), bytes.starts(with: [0x50, 0x4B]) {
            accepted += withScratchFile(bytes, in: scratchDirectory, suffix: ".keras") { path in
                (try? loadModel(path)) != nil ? 1 : 0
            }
        }
        return accepted
    }

    /// Writes `bytes` to a fresh file in `directory`, runs `body` on its path, then removes it.
    static func withScratchFile(_ bytes: [UInt8], in directory: String, suffix: String,
                                _ body: (String) -> Int) -> Int {
        let path = directory + "/fuzz-\(UInt32.random(in: 0...UInt32.max))" + suffix
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return 0 }
        defer { unlink(path) }
        return body(path)
    }
}
