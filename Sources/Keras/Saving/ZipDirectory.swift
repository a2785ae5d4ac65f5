/// A check that a `.keras` zip has exactly one reading before ZIPFoundation reads it: every
/// central-directory entry has a distinct name, and its local header agrees with it (name,
/// compression method, and CRC and sizes where the local header carries them). Python's
/// `zipfile` (which Keras reads with) takes the last of two same-named entries and ZIPFoundation
/// the first, so such a file would be two different models; a header mismatch is how a zip
/// hides one member from one of the readers.
///
/// It also gives where each stored (uncompressed) member's bytes lie, which is how Keras writes
/// every member: the loader reads those with one `pread` instead of extracting them.
enum ZipDirectory {
    /// A stored member's bytes: `size` bytes at `offset` in the file, with their CRC-32.
    struct StoredMember {
        let offset: Int
        let size: Int
        let crc32: UInt32
    }

    /// The most entries a `.keras` archive may list (Keras writes three, plus assets).
    static let maxEntries = 65_536

    /// Checks the archive; returns its stored members by name.
    @discardableResult
    static func validate(_ file: RegularFile) throws -> [String: StoredMember] {
        let path = file.path
        func bad(_ why: String) -> KerasError { .io("'\(path)' is not a valid .keras (zip) file: \(why)") }
        // End of central directory: 22 bytes plus a comment of up to 65535 bytes, at the end.
        let tailStart = Swift.max(0, file.size - 22 - 65_535)
        let tail = try file.read(at: tailStart, count: file.size - tailStart)
        guard tail.count >= 22, let eocd = stride(from: tail.count - 22, through: 0, by: -1).first(where: { u32(tail, $0) == 0x0605_4B50 }) else {
            throw bad("no end-of-central-directory record")
        }
        var count = Int(u16(tail, eocd + 10)), size = Int(u32(tail, eocd + 12)), offset = Int(u32(tail, eocd + 16))
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            // Zip64: the locator just before the record points at the zip64 end record.
            let loc = try file.read(at: tailStart + eocd - 20, count: 20)
            guard loc.count == 20, u32(loc, 0) == 0x0706_4B50 else { throw bad("a zip64 archive without its locator") }
            let rec = try file.read(at: clamp(u64(loc, 8)), count: 56)
            guard rec.count == 56, u32(rec, 0) == 0x0606_4B50 else { throw bad("a zip64 end record that is missing") }
            count = clamp(u64(rec, 32))
            size = clamp(u64(rec, 40))
            offset = clamp(u64(rec, 48))
        }
        guard count <= maxEntries else { throw bad("it lists \(count) entries, more than \(maxEntries)") }
        guard offset <= file.size, size <= file.size - offset else {
            throw bad("its central directory (\(size) bytes at \(offset)) lies outside the file of \(file.size) bytes")
        }
        let dir = try file.read(at: offset, count: size)
        var names = Set<[UInt8]>()
        var stored: [String: StoredMember] = [:]
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= dir.count, u32(dir, at) == 0x0201_4B50 else { throw bad("a truncated central directory") }
            let n = Int(u16(dir, at + 28)), m = Int(u16(dir, at + 30)), k = Int(u16(dir, at + 32))
            guard at + 46 + n + m + k <= dir.count else { throw bad("a truncated central directory") }
            let name = Array(dir[(at + 46)..<(at + 46 + n)])
            let shown = String(decoding: name, as: UTF8.self)
            guard names.insert(name).inserted else {
                throw bad("the entry '\(shown)' appears twice (readers disagree on which one counts)")
            }
            let extra = Array(dir[(at + 46 + n)..<(at + 46 + n + m)])
            var local = Int(u32(dir, at + 42))
            if local == 0xFFFF_FFFF { local = zip64LocalOffset(extra, dir, at) ?? -1 }
            let central = Array(dir[at..<(at + 46)])
            let dataOffset = try checkLocalHeader(file, local, central: central, name: name, bad: { bad("entry '\(shown)': \($0)") })
            // (a zip64 entry's sizes are in its extra field: ZIPFoundation reads it)
            let size = u32(central, 24)
            if u16(central, 10) == 0, size == u32(central, 20), size != 0xFFFF_FFFF {
                guard Int(size) <= file.size - dataOffset else {
                    throw bad("entry '\(shown)': its \(size) bytes at \(dataOffset) lie outside the file")
                }
                stored[shown] = StoredMember(offset: dataOffset, size: Int(size), crc32: u32(central, 16))
            }
            at += 46 + n + m + k
        }
        return stored
    }

    /// Checks an entry's local header against its central one; returns where its data starts.
    private static func checkLocalHeader(_ file: RegularFile, _ offset: Int, central c: [UInt8], name: [UInt8],
                                         bad: (String) -> KerasError) throws -> Int {
        guard offset >= 0, offset <= file.size - 30 else { throw bad("its local header offset \(offset) lies outside the file") }
        let head = try file.read(at: offset, count: 30 + name.count)
        guard head.count == 30 + name.count, u32(head, 0) == 0x0403_4B50 else { throw bad("no local header at offset \(offset)") }
        guard Array(head[30...]) == name else {
            throw bad("the local header names '\(String(decoding: head[30...], as: UTF8.self))' (the central directory and the local header differ)")
        }
        guard u16(head, 8) == u16(c, 10) else { throw bad("the local header and the central directory give different compression methods") }
        // With bit 3 set the CRC and sizes follow the data instead; 0xFFFFFFFF sizes are zip64.
        let deferred = u16(head, 6) & 0x8 != 0
        if !deferred, u32(head, 14) != u32(c, 16) { throw bad("the local header and the central directory give different CRCs") }
        for (l, cd) in [(18, 20), (22, 24)] where !deferred && u32(head, l) != 0xFFFF_FFFF && u32(c, cd) != 0xFFFF_FFFF {
            guard u32(head, l) == u32(c, cd) else { throw bad("the local header and the central directory give different sizes") }
        }
        return offset + 30 + name.count + Int(u16(head, 28))
    }

    /// The local header offset from a central entry's zip64 extra field (after the sizes that
    /// are 0xFFFFFFFF in the entry).
    private static func zip64LocalOffset(_ extra: [UInt8], _ dir: [UInt8], _ at: Int) -> Int? {
        var i = 0
        while i + 4 <= extra.count {
            let id = u16(extra, i), len = Int(u16(extra, i + 2))
            if id == 1 {
                var field = i + 4
                if u32(dir, at + 24) == 0xFFFF_FFFF { field += 8 }
                if u32(dir, at + 20) == 0xFFFF_FFFF { field += 8 }
                guard field + 8 <= i + 4 + len, field + 8 <= extra.count else { return nil }
                return clamp(u64(extra, field))
            }
            i += 4 + len
        }
        return nil
    }

    private static func u16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ i: Int) -> UInt32 { UInt32(u16(b, i)) | UInt32(u16(b, i + 2)) << 16 }
    private static func u64(_ b: [UInt8], _ i: Int) -> UInt64 { UInt64(u32(b, i)) | UInt64(u32(b, i + 4)) << 32 }
    private static func clamp(_ v: UInt64) -> Int { v > UInt64(Int.max) ? Int.max : Int(v) }
}
