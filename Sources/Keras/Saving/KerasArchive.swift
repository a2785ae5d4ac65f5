import Foundation
import CZlib
import ZIPFoundation

/// The native Keras 3 `.keras` file: a zip (entries stored, uncompressed) holding
/// `metadata.json`, `config.json`, `model.weights.h5` and the layers' `assets/`
/// (`keras/src/saving/saving_lib.py`).
enum KerasArchive {
    /// The largest member this reader extracts (config or weights), against zip bombs.
    static let maxMemberBytes: UInt64 = 4 << 30
    static let maxConfigBytes: UInt64 = 64 << 20

    /// Writes `model` as a `.keras` zip at `url` (the caller makes it atomic), its config.json
    /// `config` (``Model/archiveConfig()`` where nil; the Python binding's carries Keras's
    /// shared-object marks).
    /// A config that names a class other than the model's own (Keras's entry of the registered
    /// subclassed model it was traced from, which Keras rebuilds with that class) has the weights
    /// in Keras's layout for that subclass (its layers under their attributes), as Keras's
    /// archive of it holds them; any other, the functional model's.
    static func write(_ model: Model, to url: URL, config: JSON? = nil) throws {
        let given = try config.map { try checkedArchiveConfig($0) }
        let namesItsClass = given.map { $0["class_name"]?.stringValue != model.className } ?? false
        let config = (given ?? model.archiveConfig()).description
        let weights = try weightsImage(model, functional: !namesItsClass)
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

    /// A config.json given for an archive: a Keras entry (`{"class_name": ..., "config": {...}}`).
    private static func checkedArchiveConfig(_ config: JSON) throws -> JSON {
        guard config.objectValue != nil, config["class_name"]?.stringValue != nil, config["config"]?.objectValue != nil else {
            throw KerasError.invalidArgument("a .keras archive's config must be a Keras entry: an object with a 'class_name' string and a 'config' object")
        }
        return config
    }

    /// The model's weights (and optimizer state) as the bytes of an HDF5 file, in the layout of the
    /// functional model (``WeightsH5Store/entries(_:functional:)``) unless not `functional`.
    static func weightsImage(_ model: Model, functional: Bool = true) throws -> [UInt8] {
        let file = try HDF5File.createInMemory()
        try WeightsH5Store.save(model, to: try file.root(), functional: functional)
        return try file.image()
    }

    /// An open `.keras` file: the file, ZIPFoundation's reading of it, and where its stored
    /// members lie (``ZipDirectory``).
    struct Reader {
        let file: RegularFile
        let archive: Archive
        let stored: [String: ZipDirectory.StoredMember]
        /// The path the user gave, for messages.
        var path: String { file.path }
    }

    /// Reads one member of the archive, refusing more than `limit` bytes or more than the
    /// ``MemoryBudget`` (a zip bomb: a small file whose member inflates to gigabytes). A stored
    /// member (all that Keras writes) is read with one `pread` and its CRC-32 checked, as
    /// Python's `zipfile` checks it; ZIPFoundation inflates any other.
    static func member(_ reader: Reader, _ name: String, limit: UInt64) throws -> HeapBytes? {
        let path = reader.path
        guard let entry = reader.archive[name] else { return nil }
        let cap = Swift.min(limit, UInt64(MemoryBudget.bytes))
        guard entry.uncompressedSize <= cap else {
            throw KerasError.io("'\(path)': member '\(name)' declares \(entry.uncompressedSize) bytes, more than the \(cap) allowed (the member cap or MemoryBudget.bytes)")
        }
        let declared = Int(entry.uncompressedSize)
        guard MemoryBudget.available(declared) else {
            throw KerasError.io("'\(path)': cannot allocate \(declared) bytes for member '\(name)' (out of memory)")
        }
        let data = HeapBytes(count: declared)
        if let stored = reader.stored[name], stored.size == declared {
            let got = try reader.file.read(at: stored.offset, into: UnsafeMutableRawBufferPointer(rebasing: data.buffer[0..<declared]))
            guard got == declared else {
                throw KerasError.io("'\(path)': member '\(name)' is cut short (\(got) of its \(declared) bytes)")
            }
            guard crc32(data) == stored.crc32 else {
                throw KerasError.io("'\(path)': member '\(name)' fails its CRC-32 check (the file is corrupt)")
            }
            return data
        }
        var filled = 0
        do {
            _ = try reader.archive.extract(entry) { chunk in
                guard filled + chunk.count <= declared else {
                    throw KerasError.io("'\(path)': member '\(name)' is larger than the \(declared) bytes it declares")
                }
                _ = chunk.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: data.buffer[filled..<(filled + chunk.count)]))
                filled += chunk.count
            }
        } catch let e as KerasError {
            throw e
        } catch {
            throw KerasError.io("'\(path)': cannot read member '\(name)': \(error)")
        }
        guard filled == declared else {
            throw KerasError.io("'\(path)': member '\(name)' is cut short (\(filled) of its \(declared) bytes)")
        }
        return data
    }

    /// zlib's CRC-32 of the bytes (in pieces: its length argument is 32-bit).
    private static func crc32(_ bytes: HeapBytes) -> UInt32 {
        var crc = CZlib.crc32(0, nil, 0)
        guard let base = bytes.buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        var at = 0
        while at < bytes.count {
            let n = Swift.min(bytes.count - at, 1 << 30)
            crc = CZlib.crc32(crc, UnsafePointer(base + at), uInt(n))
            at += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// Opens a `.keras` file after checking that it is a regular file (``RegularFile``) and a zip
    /// with one reading (``ZipDirectory``).
    static func open(_ path: String) throws -> Reader {
        let file = try RegularFile(path)
        let stored = try ZipDirectory.validate(file)
        do {
            return Reader(file: file, archive: try Archive(url: URL(fileURLWithPath: file.descriptorPath), accessMode: .read), stored: stored)
        } catch {
            throw KerasError.io("'\(path)' is not a readable .keras (zip) file: \(error)")
        }
    }

    /// Rebuilds, loads and (when the config says so) compiles the model in a `.keras` file.
    static func loadModel(_ path: String, compile: Bool = true) throws -> Model {
        let reader = try open(path)
        guard let configData = try member(reader, "config.json", limit: maxConfigBytes) else {
            throw KerasError.io("'\(path)': the archive has no config.json")
        }
        let config = try JSONParser.parse(String(decoding: UnsafeRawBufferPointer(rebasing: configData.buffer[0..<configData.count]), as: UTF8.self))
        let model = try modelFromConfig(config)
        if compile, let cc = config["compile_config"], let pairs = cc.objectValue, !pairs.isEmpty {
            try model.compileFromConfig(cc)
        }
        try loadWeights(into: model, reader: reader, skipMismatch: false)
        try loadAssets(into: model, reader: reader)
        return model
    }

    /// Loads the `model.weights.h5` member into `model`.
    @discardableResult
    static func loadWeights(into model: Model, reader: Reader, skipMismatch: Bool) throws -> [String] {
        let path = reader.path
        guard let weights = try member(reader, "model.weights.h5", limit: maxMemberBytes) else {
            if reader.archive["model.weights.npz"] != nil {
                throw KerasError.io("'\(path)': weights saved as model.weights.npz are not supported; save with the default h5 weights format")
            }
            throw KerasError.io("'\(path)': the archive has no model.weights.h5")
        }
        let file = try HDF5File.open(image: weights, name: "\(path)/model.weights.h5")
        return try WeightsH5Store.load(model, from: try file.root(), skipMismatch: skipMismatch, functional: true)
    }
}
