import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file durably and atomically: into a temporary file in the same folder
/// (`.NAME.tmp-PID-N`), `fsync`ed, then renamed over `path` (or, with `overwrite` false,
/// hard-linked to it, which fails if `path` exists, so an existing file is never replaced),
/// and the folder `fsync`ed so that the new name survives a power cut. Readers never see a
/// half-written file; a failed save leaves the old file intact and removes its temporary file.
/// Temporary files of this naming left by a process that no longer runs (killed mid-save)
/// are removed first.
func writeAtomically(_ path: String, overwrite: Bool, _ write: (String) throws -> Void) throws {
    try RegularFile.checkName(path)
    var st = stat()
    if stat(path, &st) == 0 {
        if st.st_mode & S_IFMT == S_IFDIR { throw KerasError.io("Cannot save to '\(path)': it is a directory") }
        if !overwrite { throw KerasError.io("'\(path)' exists and overwrite is false") }
    }
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent().path
    guard stat(dir, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else {
        throw KerasError.io("Cannot save to '\(path)': the folder '\(dir)' does not exist")
    }
    let base = url.lastPathComponent
    TemporaryFiles.removeStale(in: dir, for: base)
    let tmp = dir + "/" + TemporaryFiles.name(for: base)
    do {
        try write(tmp)
        try syncFile(tmp, path: path)
        if overwrite {
            guard rename(tmp, path) == 0 else {
                throw KerasError.io("Cannot move the saved file into place at '\(path)': \(String(cString: strerror(errno)))")
            }
        } else {
            guard link(tmp, path) == 0 else {
                let code = errno
                if code == EEXIST { throw KerasError.io("'\(path)' exists and overwrite is false") }
                throw KerasError.io("Cannot create '\(path)' without replacing (link: \(String(cString: strerror(code))))")
            }
            unlink(tmp)
        }
        syncDirectory(dir)
    } catch {
        unlink(tmp)
        throw error
    }
}

/// `fsync`s the written temporary file; a failure (disk full on flush, I/O error) is an error.
private func syncFile(_ tmp: String, path: String) throws {
    let fd = open(tmp, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw KerasError.io("Cannot reopen the temporary file for '\(path)': \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw KerasError.io("Cannot flush '\(path)' to disk: \(String(cString: strerror(errno)))") }
}

/// `fsync`s a folder so that a rename in it is durable (best effort: some file systems refuse).
private func syncDirectory(_ dir: String) {
    let fd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
}

/// The temporary files of ``writeAtomically(_:overwrite:_:)``: `.NAME.tmp-PID-N`.
enum TemporaryFiles {
    static func name(for base: String) -> String {
        ".\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Removes `.BASE.tmp-PID-N` files in `dir` whose process no longer runs, and files of the
    /// earlier naming `.BASE.tmp-N` older than an hour. Files of other names are never touched.
    static func removeStale(in dir: String, for base: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        let prefix = "." + base + ".tmp-"
        for name in names where name.hasPrefix(prefix) {
            let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && UInt64($0) != nil }) else { continue }
            let full = dir + "/" + name
            if parts.count == 2 {
                guard let pid = Int32(parts[0]), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            } else {
                let attributes = try? FileManager.default.attributesOfItem(atPath: full)
                guard let date = attributes?[.modificationDate] as? Date, -date.timeIntervalSinceNow > 3600 else { continue }
            }
            unlink(full)
        }
    }
}
