import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file a user named, opened for reading after checking that it is one: a path with a NUL
/// byte, a directory (a Keras 2 SavedModel folder, or a symlink to a folder), a FIFO or a
/// device is refused with a ``KerasError`` naming the path before anything reads it.
/// The check is on the open descriptor (`open` + `fstat`), so the file cannot be swapped
/// between the check and the read.
final class RegularFile {
    let path: String
    let fd: Int32
    /// The size in bytes when opened.
    let size: Int

    init(_ path: String) throws {
        try RegularFile.checkName(path)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT {
                throw KerasError.io("File not found: filepath=\(path). Please ensure the file is an accessible `.keras` zip file or `.h5` file")
            }
            throw KerasError.io("Cannot open '\(path)': \(String(cString: strerror(code)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            close(fd)
            throw KerasError.io("Cannot read the status of '\(path)': \(String(cString: strerror(code)))")
        }
        let kind = st.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            if kind == S_IFDIR {
                throw KerasError.io("'\(path)' is a directory, not a model file. Keras 3 saves a model as one file (`.keras`, `.h5`, `.weights.h5` or `.json`); a Keras 2 SavedModel folder cannot be loaded")
            }
            throw KerasError.io("'\(path)' is not a regular file (a pipe, socket or device); only regular files are read")
        }
        self.path = path
        self.fd = fd
        size = Int(st.st_size)
    }

    deinit { close(fd) }

    /// A path that reaches the same open file (Linux `/proc/self/fd/N`), for readers that open
    /// by name (ZIPFoundation, libhdf5); the plain path elsewhere.
    var descriptorPath: String {
        #if os(Linux)
        return "/proc/self/fd/\(fd)"
        #else
        return path
        #endif
    }

    /// Refuses a path C would cut short (an embedded NUL byte) or that is empty.
    static func checkName(_ path: String) throws {
        guard !path.isEmpty else { throw KerasError.invalidArgument("The file path is empty") }
        guard !path.utf8.contains(0) else {
            throw KerasError.invalidArgument("The file path \(path.debugDescription) contains a NUL byte")
        }
    }

    /// Reads `count` bytes at `offset` (fewer at the end of the file).
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard offset >= 0, count >= 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let done = try out.withUnsafeMutableBytes { try read(at: offset, into: $0) }
        return Array(out.prefix(done))
    }

    /// Fills `buffer` with the bytes at `offset`; returns how many were read (fewer at the end
    /// of the file).
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard offset >= 0, let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw KerasError.io("Cannot read '\(path)': \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// The whole file, refused when larger than `limit` bytes.
    func readAll(limit: Int) throws -> [UInt8] {
        guard size <= limit else {
            throw KerasError.io("'\(path)' is \(size) bytes, more than the \(limit) allowed")
        }
        return try read(at: 0, count: size)
    }
}
