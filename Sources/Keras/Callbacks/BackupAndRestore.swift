#if canImport(Glibc)
import Glibc
#endif

/// Backs training up so that an interrupted `fit` resumes where it stopped: the weights (with
/// the optimizer state) in `backup_dir/latest.weights.h5` and the epoch in
/// `training_metadata.json` after every epoch (or every `saveFreq` batches); at the start of
/// `fit` they are loaded and training goes on from that epoch; a `fit` that ends deletes them.
/// Keras: `BackupAndRestore(backup_dir, save_freq="epoch", double_checkpoint=False,
/// delete_checkpoint=True)`.
///
/// ```swift
/// try model.fit(x, y, epochs: 20, callbacks: [try BackupAndRestore(backupDir: "/tmp/backup")])
/// ```
public final class BackupAndRestore: Callback, @unchecked Sendable {
    public let backupDir: String
    public let saveFreq: ModelCheckpoint.SaveFrequency
    /// Keeps the previous backup (`.bkp`), used when the latest cannot be read.
    public let doubleCheckpoint: Bool
    public let deleteCheckpoint: Bool

    private var batchesSinceSave = 0
    private var lastBatchSeen = 0
    private var currentEpoch = 0
    private var weightsPath: String { backupDir + "/latest.weights.h5" }
    private var metadataPath: String { backupDir + "/training_metadata.json" }

    public init(backupDir: String, saveFreq: ModelCheckpoint.SaveFrequency = .epoch, doubleCheckpoint: Bool = false,
                deleteCheckpoint: Bool = true) throws {
        guard !backupDir.isEmpty else { throw KerasError.invalidArgument("Empty `backup_dir` argument passed") }
        if case .batches(let n) = saveFreq, n <= 0 {
            throw KerasError.invalidArgument("BackupAndRestore(save_freq=\(n)): Invalid value for argument `save_freq`. Expected either 'epoch' or a positive integer value.")
        }
        self.backupDir = backupDir
        self.saveFreq = saveFreq
        self.doubleCheckpoint = doubleCheckpoint
        self.deleteCheckpoint = deleteCheckpoint
    }

    public override var wantsBatchLogs: Bool { saveFreq != .epoch }

    public override func onTrainBegin(logs: Logs) throws {
        do {
            try restore()
        } catch {
            // The latest backup is unreadable: fall back on the previous one, as Keras does.
            guard fileExists(weightsPath + ".bkp") else { throw error }
            try copyFile(weightsPath + ".bkp", to: weightsPath)
            if fileExists(metadataPath + ".bkp") { try copyFile(metadataPath + ".bkp", to: metadataPath) } else { unlink(metadataPath) }
            try restore()
        }
    }

    private func restore() throws {
        guard let model else { return }
        if fileExists(weightsPath) { try model.loadWeights(weightsPath) }
        guard fileExists(metadataPath) else { return }
        let text = try readText(metadataPath)
        guard let epoch = try JSONParser.parse(text)["epoch"]?.intValue else {
            throw KerasError.invalidData("BackupAndRestore: '\(metadataPath)' has no epoch: \(text)")
        }
        model.fitState.resumeEpoch = epoch
        currentEpoch = epoch
    }

    public override func onEpochEnd(_ epoch: Int, logs: Logs) throws {
        currentEpoch = epoch + 1
        lastBatchSeen = 0
        if saveFreq == .epoch { try save() }
    }

    public override func onTrainBatchEnd(_ batch: Int, logs: Logs) throws {
        guard case .batches(let n) = saveFreq else { return }
        batchesSinceSave += batch <= lastBatchSeen ? batch + 1 : batch - lastBatchSeen
        lastBatchSeen = batch
        if batchesSinceSave >= n {
            batchesSinceSave = 0
            try save()
        }
    }

    public override func onTrainEnd(logs: Logs) throws {
        if deleteCheckpoint && fileExists(backupDir) { try removeTree(backupDir) }
    }

    private func save() throws {
        guard let model else { return }
        try makeParentDirectories(of: weightsPath)
        if doubleCheckpoint && fileExists(weightsPath) { try copyFile(weightsPath, to: weightsPath + ".bkp") }
        if doubleCheckpoint && fileExists(metadataPath) { try copyFile(metadataPath, to: metadataPath + ".bkp") }
        try model.saveWeights(weightsPath, overwrite: true)
        try writeText("{\"epoch\": \(currentEpoch), \"batch\": \(lastBatchSeen)}", to: metadataPath)
    }
}

func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

/// A whole file's text.
func readText(_ path: String) throws -> String {
    guard let f = fopen(path, "rb") else { throw KerasError.io("cannot open '\(path)': \(String(cString: strerror(errno)))") }
    defer { fclose(f) }
    var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Copies a file's bytes (Keras's `file_utils.copy`).
func copyFile(_ source: String, to destination: String) throws {
    guard let input = fopen(source, "rb") else { throw KerasError.io("cannot open '\(source)': \(String(cString: strerror(errno)))") }
    defer { fclose(input) }
    guard let output = fopen(destination, "wb") else { throw KerasError.io("cannot create '\(destination)': \(String(cString: strerror(errno)))") }
    defer { fclose(output) }
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, input)
        if n <= 0 { break }
        guard fwrite(buffer, 1, n, output) == n else { throw KerasError.io("cannot write '\(destination)': \(String(cString: strerror(errno)))") }
    }
}

/// Deletes a folder and everything in it (Python's `shutil.rmtree`).
func removeTree(_ path: String) throws {
    if let dir = opendir(path) {
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            // Read in place up to its NUL: a copy of the whole d_name array would read past the
            // record glibc filled (uninitialised bytes, which valgrind reports).
            let name = withUnsafeMutablePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: $0.pointee)) { String(cString: $0) }
            }
            guard name != "." && name != ".." else { continue }
            let child = path + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR { try removeTree(child) } else { unlink(child) }
        }
    }
    guard rmdir(path) == 0 || errno == ENOENT else {
        throw KerasError.io("cannot remove '\(path)': \(String(cString: strerror(errno)))")
    }
}
