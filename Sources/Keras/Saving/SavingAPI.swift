import Foundation

/// The file formats a model can be saved in, chosen from the file name as Keras chooses.
public enum ModelFileFormat: Sendable {
    /// Keras 3 native `.keras` zip.
    case keras
    /// Legacy HDF5 `.h5` / `.hdf5`.
    case h5
    /// A JSON config (`to_json()`), without weights.
    case json

    /// The format for a path by extension, or by the file's first bytes when it exists.
    public static func of(_ path: String) throws -> ModelFileFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".keras") { return .keras }
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") || lower.hasSuffix(".keras.h5") { return .h5 }
        if lower.hasSuffix(".json") { return .json }
        try RegularFile.checkName(path)
        var st = stat()
        let isDirectory = stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
        if !isDirectory, let file = try? RegularFile(path) {
            let head = try file.read(at: 0, count: 8)
            if head.starts(with: [0x50, 0x4B]) { return .keras }
            if head.starts(with: [0x89, 0x48, 0x44, 0x46]) { return .h5 }
            if head.first == UInt8(ascii: "{") { return .json }
        }
        let folder = isDirectory ? " ('\(path)' is a directory: Keras 3 saves a model as one file, and a Keras 2 SavedModel folder cannot be loaded)" : ""
        throw KerasError.invalidArgument("Invalid filepath extension for '\(path)'\(folder). Please add either a `.keras` extension for the native Keras format (recommended) or a `.h5` extension")
    }
}

extension Model {
    /// Saves the architecture, weights, compile configuration and optimizer state. Keras:
    /// `model.save("model.keras")` (native) or `model.save("model.h5")` (legacy HDF5).
    /// `archiveConfig`: the config.json of a `.keras` archive (``archiveConfig()`` where nil; the
    /// Python binding's, with Keras's `shared_object_id` marks, or Keras's entry of the registered
    /// subclassed model this one was traced from, whose weights are then written in that
    /// subclass's layout). The other formats have no such config: it is not written there.
    public func save(_ path: String, overwrite: Bool = true, archiveConfig: JSON? = nil) throws {
        guard built else { throw KerasError.invalidState("Model '\(name)' is not built yet; build it (call it on data or give an input shape) before saving") }
        switch try ModelFileFormat.of(path) {
        case .keras:
            try writeAtomically(path, overwrite: overwrite) { tmp in
                try KerasArchive.write(self, to: URL(fileURLWithPath: tmp), config: archiveConfig)
            }
        case .h5:
            try writeAtomically(path, overwrite: overwrite) { tmp in
                let file = try HDF5File.create(tmp)
                try LegacyH5Format.save(self, to: file)
                try file.close()
            }
        case .json:
            try writeAtomically(path, overwrite: overwrite) { tmp in
                guard FileManager.default.createFile(atPath: tmp, contents: Data(toJSON().utf8)) else {
                    throw KerasError.io("Cannot write '\(tmp)'")
                }
            }
        }
    }

    /// Saves only the weights (and optimizer state). Keras: `model.save_weights("x.weights.h5")`;
    /// a plain `.h5` name writes the legacy Keras 2 weights layout.
    public func saveWeights(_ path: String, overwrite: Bool = true) throws {
        guard built else { throw KerasError.invalidState("Model '\(name)' is not built yet, so it has no weights to save") }
        let lower = path.lowercased()
        guard lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") else {
            throw KerasError.invalidArgument("The filename must end in `.weights.h5` (or `.h5` for the legacy layout). Received: filepath=\(path)")
        }
        try writeAtomically(path, overwrite: overwrite) { tmp in
            let file = try HDF5File.create(tmp)
            if lower.hasSuffix(".weights.h5") {
                try WeightsH5Store.save(self, to: try file.root())
            } else {
                try LegacyH5Format.saveWeights(self, to: try file.root())
            }
            try file.close()
        }
    }

    /// Loads weights from `.weights.h5`, `.keras` or legacy `.h5`. Keras: `model.load_weights`.
    ///
    /// - Parameters:
    ///   - byName: legacy `.h5` only: match layers by name instead of by position.
    ///   - skipMismatch: skip layers whose weight count or shapes differ instead of failing.
    /// - Returns: warnings about what was skipped.
    @discardableResult
    public func loadWeights(_ path: String, byName: Bool = false, skipMismatch: Bool = false) throws -> [String] {
        guard built else {
            throw KerasError.invalidState("Model '\(name)' is not built yet; build it before loading weights so that the weights exist")
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".keras") {
            if byName { throw KerasError.invalidArgument("Invalid keyword arguments: by_name is only supported for legacy .h5 files") }
            return try KerasArchive.loadWeights(into: self, reader: try KerasArchive.open(path), skipMismatch: skipMismatch)
        }
        let file = try HDF5File.open(path)
        let root = try file.root()
        if root.hasAttribute("layer_names") || root.hasAttribute("layer_names0") {
            return try LegacyH5Format.loadWeights(self, from: root, byName: byName, skipMismatch: skipMismatch)
        }
        if let mw = try root.group("model_weights") {
            return try LegacyH5Format.loadWeights(self, from: mw, byName: byName, skipMismatch: skipMismatch)
        }
        if byName { throw KerasError.invalidArgument("by_name is only supported for legacy .h5 weight files, not '\(path)'") }
        return try WeightsH5Store.load(self, from: root, skipMismatch: skipMismatch)
    }
}

/// Loads a model saved by ``Model/save(_:overwrite:)`` or by Keras (`.keras`, legacy `.h5`, or a
/// JSON config without weights). Keras: `keras.models.load_model`.
///
/// The weights a `.keras` or `.h5` file holds are read into the model without being drawn from
/// their initializers first (``InitialValues/deferred``); one the file lacks is drawn as Keras
/// draws it, and the random generator ends as if all had been drawn.
///
/// ```swift
/// let model = try loadModel("model.keras", customObjects: ["Scale": .layer(Scale.fromConfig)])
/// ```
public func loadModel(_ path: String, customObjects: [String: KerasObject] = [:], compile: Bool = true) throws -> Model {
    try RegularFile.checkName(path)
    guard FileManager.default.fileExists(atPath: path) else {
        throw KerasError.io("File not found: filepath=\(path). Please ensure the file is an accessible `.keras` zip file or `.h5` file")
    }
    return try withCustomObjects(customObjects) {
        switch try ModelFileFormat.of(path) {
        case .keras: return try InitialValues.deferring { try KerasArchive.loadModel(path, compile: compile) }
        case .h5: return try InitialValues.deferring { try LegacyH5Format.loadModel(from: try HDF5File.open(path), compile: compile) }
        case .json:
            let data = try RegularFile(path).readAll(limit: Int(KerasArchive.maxConfigBytes))
            let config = try JSONParser.parse(String(decoding: data, as: UTF8.self))
            let model = try modelFromConfig(config)
            if compile, let cc = config["compile_config"], let pairs = cc.objectValue, !pairs.isEmpty {
                try model.compileFromConfig(cc)
            }
            return model
        }
    }
}

/// The `training_config` of a legacy `.h5` model file: the compile arguments Keras's legacy
/// loader compiles the loaded model with (`compile_args_from_training_config`); nil when the
/// file has none or is not an `.h5` file. Errors: IO (no such file, unreadable HDF5), a config
/// that is not JSON.
public func legacyTrainingConfig(_ path: String) throws -> JSON? {
    guard try ModelFileFormat.of(path) == .h5 else { return nil }
    let root = try HDF5File.open(path).root()
    guard root.hasAttribute("training_config") else { return nil }
    return try JSONParser.parse(try root.stringAttribute("training_config"))
}
