/// Bytes on the heap, read once and then only read: a `.keras` member as it is taken from the
/// zip, which an in-memory HDF5 file borrows instead of copying (``HDF5File/open(image:name:)``).
/// Freed when the last holder goes (the file and every group opened in it hold them).
final class HeapBytes {
    let buffer: UnsafeMutableRawBufferPointer

    /// `count` bytes, unwritten (the caller fills them).
    init(count: Int) {
        buffer = .allocate(byteCount: Swift.max(count, 1), alignment: 16)
        self.count = count
    }

    /// How many bytes are held (the buffer may be one byte larger for an empty member).
    let count: Int

    deinit { buffer.deallocate() }

    /// A copy as an array (an asset file's bytes, the config's text).
    var array: [UInt8] { Array(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) }
}
