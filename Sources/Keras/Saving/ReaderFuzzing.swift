import Foundation

/// One entry point that feeds arbitrary bytes to every file reader: the JSON config reader
/// (parser + model rebuilding), the HDF5 reader (legacy `.h5` model and weights, Keras 3
/// weights store) and the `.keras` zip reader. Used by the fuzz target (Sources/KerasFuzz) and
/// by the seeded mutation tests; any outcome but a thrown `KerasError` (a trap, a crash, an
/// unbounded allocation) is a bug.
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
            if let file = try? HDF5File.open(image: bytes, name: "fuzz.h5"), let root = try? file.root() {
                if let model = try? targetModel() {
                    if (try? WeightsH5Store.load(model, from: root, skipMismatch: true)) != nil { accepted += 1 }
                    if let g = try? root.group("model_weights"),
                       (try? LegacyH5Format.loadWeights(model, from: g, byName: true, skipMismatch: true)) != nil { accepted += 1 }
                }
                if (try? LegacyH5Format.loadModel(from: file)) != nil { accepted += 1 }
            }
        }
        if readers.contains("keras"), bytes.starts(with: [0x50, 0x4B]) {
            let path = scratchDirectory + "/fuzz-\(UInt32.random(in: 0...UInt32.max)).keras"
            if FileManager.default.createFile(atPath: path, contents: Data(bytes)) {
                defer { unlink(path) }
                if (try? KerasArchive.loadModel(path)) != nil { accepted += 1 }
            }
        }
        return accepted
    }
}
