import Foundation
import ZIPFoundation

/// The native Keras 3 `.keras` file: a zip (entries stored, uncompressed) holding
/// `metadata.json`, `config.json`, `model.weights.h5` and the layers' `assets/`
/// (`keras/src/saving/saving_lib.py`).
enum KerasArchive {
    /// The largest member this reader extracts (config or weights), against zip bombs.
    static let maxMemberBytes: UInt64 = 4 << 30
    static let maxConfigBytes: UInt64 = 64 << 20

    /// Writes `model` as a `.keras` zip at `url` (the caller makes it atomic).
    static func write(_ model: Model, to url: URL) throws {
        let config = AssetWriting.$active.withValue(true) { model.serializedModel().description }
        let weights = try weightsImage(model)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        let metadata: JSON = ["keras_version": .string(kerasCompatibilityVersion), "date_saved": .string(formatter.string(from: Date()))]
        let archive: Archive
        do { archive = try Archive(url: url, accessMode: .create) } catch {
            throw KerasError.io("Cannot create the archive '\(url.path)': \(error)")
        }
        let members = [("metadata.json", Data(metadata.description.utf8)), ("config.json", Data(config.utf8)),
                       ("model.weights.h5", Data(weights))] + (try assetMembers(model)).map { ($0, Data($1)) }
        for (name, bytes) in members {
            do {
                try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .none) { pos, size in
                    bytes.subdata(in: Int(pos)..<(Int(pos) + size))
                }
            } catch {
                throw KerasError.io("Cannot write '\(name)' into '\(url.path)': \(error)")
            }
        }
    }

    /// The model's weights (and optimizer state) as the bytes of an HDF5 file.
    static func weightsImage(_ model: Model) throws -> [UInt8] {
        let file = try HDF5File.createInMemory()
        try WeightsH5Store.save(model, to: try file.root(), functional: true)   // config.json is functional
        return try file.image()
    }

    /// Reads one member of the archive, refusing more than `limit` bytes or more than the
    /// ``MemoryBudget`` (a zip bomb: a small file whose member inflates to gigabytes).
    static func member(_ archive: Archive, _ name: String, path: String, limit: UInt64) throws -> [UInt8]? {
        guard let entry = archive[name] else { return nil }
        let cap = Swift.min(limit, UInt64(MemoryBudget.bytes))
        guard entry.uncompressedSize <= cap else {
            throw KerasError.io("'\(path)': member '\(name)' declares \(entry.uncompressedSize) bytes, more than the \(cap) allowed (the member cap or MemoryBudget.bytes)")
        }
        let declared = Int(entry.uncompressedSize)
        guard MemoryBudget.available(declared) else {
            throw KerasError.io("'\(path)': cannot allocate \(declared) bytes for member '\(name)' (out of memory)")
        }
        var data: [UInt8] = []
        data.reserveCapacity(declared)
        do {
            _ = try archive.extract(entry) { chunk in
                guard data.count + chunk.count <= declared else {
                    throw KerasError.io("'\(path)': member '\(name)' is larger than the \(declared) bytes it declares")
                }
                data.append(contentsOf: chunk)
            }
        } catch let e as KerasError {
            throw e
        } catch {
            throw KerasError.io("'\(path)': cannot read member '\(name)': \(error)")
        }
        return data
    }

    /// Opens a `.keras` file after checking that it is a regular file (``RegularFile``) and a zip
    /// with one reading (``ZipDirectory``).
    static func open(_ path: String) throws -> Archive {
        let file = try RegularFile(path)
        try ZipDirectory.validate(file)
        do { return try Archive(url: URL(fileURLWithPath: file.descriptorPath), accessMode: .read) } catch {
            throw KerasError.io("'\(path)' is not a readable .keras (zip) file: \(error)")
        }
    }

    /// Rebuilds, loads and (when the config says so) compiles the model in a `.keras` file.
    static func loadModel(_ path: String, compile: Bool = true) throws -> Model {
        let archive = try open(path)
        guard let configData = try member(archive, "config.json", path: path, limit: maxConfigBytes) else {
            throw KerasError.io("'\(path)': the archive has no config.json")
        }
        let config = try JSONParser.parse(String(decoding: configData, as: UTF8.self))
        let model = try modelFromConfig(config)
        if compile, let cc = config["compile_config"], let pairs = cc.objectValue, !pairs.isEmpty {
            try model.compileFromConfig(cc)
        }
        try loadWeights(into: model, archive: archive, path: path, skipMismatch: false)
        try loadAssets(into: model, archive: archive, path: path)
        return model
    }

    /// Loads the `model.weights.h5` member into `model`.
    @discardableResult
    static func loadWeights(into model: Model, archive: Archive, path: String, skipMismatch: Bool) throws -> [String] {
        guard let weights = try member(archive, "model.weights.h5", path: path, limit: maxMemberBytes) else {
            if archive["model.weights.npz"] != nil {
                throw KerasError.io("'\(path)': weights saved as model.weights.npz are not supported; save with the default h5 weights format")
            }
            throw KerasError.io("'\(path)': the archive has no model.weights.h5")
        }
        let file = try HDF5File.open(image: weights, name: "\(path)/model.weights.h5")
        return try WeightsH5Store.load(model, from: try file.root(), skipMismatch: skipMismatch, functional: true)
    }
}
