@preconcurrency import CHDF5
import CHDF5Shim
#if canImport(Glibc)
import Glibc
#endif

/// Limits that keep a hostile file from making the reader allocate without bound.
enum HDF5Limits {
    /// Bytes of string data read from one attribute (Keras keeps attributes under 64 KB).
    static let maxAttributeBytes = 64 << 20
    /// Strings in one attribute array.
    static let maxAttributeStrings = 1 << 20
    /// Values in one dataset (4 GiB of float32).
    static let maxDatasetValues = 1 << 30
    /// Children listed in one group.
    static let maxGroupChildren = 1 << 20
}

/// An open HDF5 file: on disk, or in memory for the weights inside a `.keras` zip.
///
/// A thin, throwing layer over the HDF5 C library. Every call checks HDF5's status and turns a
/// failure into a ``KerasError/io(_:)`` naming the file and the object.
final class HDF5File {
    let id: hid_t
    let path: String
    private init(id: hid_t, path: String) {
        self.id = id
        self.path = path
    }

    private var closed = false

    deinit { if !closed { H5Fclose(id) } }

    /// Flushes and closes the file (groups still open keep it alive until they are released).
    func close() throws {
        guard !closed else { return }
        closed = true
        guard H5Fclose(id) >= 0 else { throw KerasError.io("HDF5: cannot close '\(path)' cleanly") }
    }

    /// Silences HDF5's own error printing once; errors are reported through `KerasError`.
    /// Also registers the conversion that reads variable-length strings' heap IDs unread.
    static let quiet: Void = {
        H5open()
        H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
        _ = skh5_register_heap_id_conversion()
    }()

    /// Opens an existing file for reading.
    /// Directories, pipes and devices are refused before HDF5 sees them (``RegularFile``).
    static func open(_ path: String) throws -> HDF5File {
        _ = quiet
        let file = try RegularFile(path)
        guard H5Fis_hdf5(file.descriptorPath) > 0 else {
            throw KerasError.io("'\(path)' is not an HDF5 file (or cannot be read)")
        }
        let f = H5Fopen(file.descriptorPath, skh5_acc_rdonly(), hid_t(H5P_DEFAULT))
        guard f >= 0 else { throw KerasError.io("Cannot open HDF5 file '\(path)'") }
        return HDF5File(id: f, path: path)
    }

    /// Creates (truncates) a file on disk.
    static func create(_ path: String) throws -> HDF5File {
        _ = quiet
        let f = H5Fcreate(path, skh5_acc_trunc(), hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard f >= 0 else { throw KerasError.io("Cannot create HDF5 file '\(path)'") }
        return HDF5File(id: f, path: path)
    }

    /// Creates a file that lives only in memory; read its bytes with ``image()``.
    /// HDF5 knows open files by name, in-memory ones too: each gets its own, or two threads
    /// saving `.keras` files at once fail with "unable to truncate a file which is already open".
    static func createInMemory(name: String = "model.weights.h5") throws -> HDF5File {
        _ = quiet
        let fapl = H5Pcreate(skh5_file_access())
        guard fapl >= 0 else { throw KerasError.io("HDF5: cannot create a file access list") }
        defer { H5Pclose(fapl) }
        guard H5Pset_fapl_core(fapl, 1 << 16, false) >= 0 else { throw KerasError.io("HDF5: cannot use the in-memory driver") }
        let unique = memoryFileCounter.withLock { () -> Int in memoryFileCount += 1; return memoryFileCount }
        let f = H5Fcreate("\(name).\(getpid()).\(unique)", skh5_acc_trunc(), hid_t(H5P_DEFAULT), fapl)
        guard f >= 0 else { throw KerasError.io("Cannot create in-memory HDF5 file '\(name)'") }
        return HDF5File(id: f, path: name)
    }

    private static let memoryFileCounter = Mutex()
    nonisolated(unsafe) private static var memoryFileCount = 0

    /// Opens the bytes of an HDF5 file held in memory (a `.keras` archive's weights member).
    /// HDF5 takes its own copy: reading them in place (H5LT_FILE_IMAGE_DONT_COPY |
    /// DONT_RELEASE) leaks libhdf5's 72-byte bookkeeping of the image at every open (valgrind,
    /// libhdf5 1.10), so `bytes` can go as soon as this returns.
    static func open(image bytes: HeapBytes, name: String) throws -> HDF5File {
        _ = quiet
        let b = bytes.buffer
        guard bytes.count >= 8, b[0] == 0x89, b[1] == 0x48, b[2] == 0x44, b[3] == 0x46, let base = b.baseAddress else {
            throw KerasError.io("'\(name)' is not an HDF5 file")
        }
        let f = H5LTopen_file_image(base, bytes.count, 0)
        guard f >= 0 else { throw KerasError.io("Cannot open HDF5 data '\(name)'") }
        return HDF5File(id: f, path: name)
    }

    /// The bytes of the whole file (flushes first).
    func image() throws -> [UInt8] {
        H5Fflush(id, H5F_SCOPE_GLOBAL)
        let size = H5Fget_file_image(id, nil, 0)
        guard size > 0 else { throw KerasError.io("HDF5: cannot read the image of '\(path)'") }
        var bytes = [UInt8](repeating: 0, count: size)
        let got = bytes.withUnsafeMutableBytes { H5Fget_file_image(id, $0.baseAddress, size) }
        guard got == size else { throw KerasError.io("HDF5: short image of '\(path)'") }
        return bytes
    }

    /// The root group.
    func root() throws -> HDF5Group {
        let g = H5Gopen2(id, "/", hid_t(H5P_DEFAULT))
        guard g >= 0 else { throw KerasError.io("HDF5: cannot open the root group of '\(path)'") }
        let root = HDF5Group(id: g, path: "/", file: path)
        try root.checkHeader(".")
        return root
    }
}

/// An open group (or the root), with its attributes and datasets.
final class HDF5Group {
    let id: hid_t
    /// The path inside the file, for messages.
    let path: String
    let file: String
    init(id: hid_t, path: String, file: String) {
        self.id = id
        self.path = path
        self.file = file
    }

    deinit { H5Gclose(id) }

    private func child(_ name: String) -> String { path == "/" ? "/" + name : path + "/" + name }

    /// Whether a link `name` exists, following each component of a path like `a/b/c`; the object
    /// header of each component is checked (``checkHeader(_:)``) before libhdf5 looks inside it.
    func exists(_ name: String) throws -> Bool {
        var prefix = ""
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += prefix.isEmpty ? String(part) : "/" + part
            guard H5Lexists(id, prefix, hid_t(H5P_DEFAULT)) > 0 else { return false }
            try checkHeader(prefix)
        }
        return !prefix.isEmpty
    }

    /// Refuses an object of a file opened for reading whose header holds a name libhdf5 1.10.8
    /// would read past its buffer (an attribute, link or filter name without its end, a group's
    /// local heap without a final NUL: ``skh5_check_named(_:_:_:_:)``), or that is an external link.
    func checkHeader(_ name: String) throws {
        var why = [CChar](repeating: 0, count: 256)
        guard skh5_check_named(id, name, &why, why.count) < 0 else { return }
        let reason = String(decoding: why.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw KerasError.io("HDF5 '\(file)': object '\(name == "." ? path : child(name))' is malformed: \(reason)")
    }

    /// Whether `name` is a group.
    func isGroup(_ name: String) throws -> Bool {
        guard try exists(name) else { return false }
        var info = H5O_info_t()
        guard H5Oget_info_by_name2(id, name, &info, UInt32(H5O_INFO_BASIC), hid_t(H5P_DEFAULT)) >= 0 else { return false }
        return info.type == H5O_TYPE_GROUP
    }

    /// The group `name` (a path relative to this one), or nil when absent.
    func group(_ name: String) throws -> HDF5Group? {
        guard try isGroup(name) else { return nil }
        let g = H5Gopen2(id, name, hid_t(H5P_DEFAULT))
        guard g >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot open group '\(child(name))'") }
        return HDF5Group(id: g, path: child(name), file: file)
    }

    /// The group `name`, which must exist.
    func requireGroup(_ name: String) throws -> HDF5Group {
        guard let g = try group(name) else {
            throw KerasError.io("HDF5 '\(file)': group '\(child(name))' is missing")
        }
        return g
    }

    /// Creates group `name`, with intermediate groups.
    func createGroup(_ name: String) throws -> HDF5Group {
        if let g = try group(name) { return g }
        let lcpl = H5Pcreate(skh5_link_create())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let g = H5Gcreate2(id, name, lcpl, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard g >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot create group '\(child(name))'") }
        return HDF5Group(id: g, path: child(name), file: file)
    }

    /// Names of the links in this group, in name order.
    func childNames() throws -> [String] {
        var info = H5G_info_t()
        guard H5Gget_info(id, &info) >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot list '\(path)'") }
        guard info.nlinks <= UInt64(HDF5Limits.maxGroupChildren) else {
            throw KerasError.io("HDF5 '\(file)': group '\(path)' declares \(info.nlinks) children, more than the \(HDF5Limits.maxGroupChildren) allowed")
        }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let n = H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, hid_t(H5P_DEFAULT))
            guard n >= 0, n < 1 << 16 else { throw KerasError.io("HDF5 '\(file)': bad link name in '\(path)'") }
            var buf = [CChar](repeating: 0, count: n + 1)
            guard H5Lget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, n + 1, hid_t(H5P_DEFAULT)) >= 0 else {
                throw KerasError.io("HDF5 '\(file)': bad link name in '\(path)'")
            }
            names.append(String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names
    }

    // MARK: Attributes

    func hasAttribute(_ name: String) -> Bool { H5Aexists(id, name) > 0 }

    /// Reads a string attribute as a list: vlen or fixed-length, scalar or 1-D; an empty numeric
    /// array (what Keras writes for a layer without weights) reads as `[]`.
    func stringsAttribute(_ name: String) throws -> [String] {
        let a = H5Aopen(id, name, hid_t(H5P_DEFAULT))
        guard a >= 0 else { throw KerasError.io("HDF5 '\(file)': attribute '\(name)' of '\(path)' is missing") }
        defer { H5Aclose(a) }
        let space = H5Aget_space(a)
        defer { H5Sclose(space) }
        let n = H5Sget_simple_extent_npoints(space)
        guard n >= 0, n <= HDF5Limits.maxAttributeStrings else {
            throw KerasError.io("HDF5 '\(file)': attribute '\(name)' of '\(path)' declares \(n) values")
        }
        let type = H5Aget_type(a)
        defer { H5Tclose(type) }
        let cls = H5Tget_class(type)
        if cls != H5T_STRING {
            if n == 0 { return [] }
            throw KerasError.io("HDF5 '\(file)': attribute '\(name)' of '\(path)' is not a string (HDF5 type class \(cls.rawValue))")
        }
        let count = Int(n)
        if count == 0 { return [] }
        if H5Tis_variable_str(type) > 0 { return try variableStrings(a, name, count: count) }
        let size = H5Tget_size(type)
        guard size > 0, size <= HDF5Limits.maxAttributeBytes, size * count <= HDF5Limits.maxAttributeBytes else {
            throw KerasError.io("HDF5 '\(file)': attribute '\(name)' of '\(path)' is too large (\(size) × \(count) bytes)")
        }
        var buf = [UInt8](repeating: 0, count: size * count)
        let status = buf.withUnsafeMutableBytes { H5Aread(a, type, $0.baseAddress) }
        guard status >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot read attribute '\(name)' of '\(path)'") }
        return (0..<count).map { i in
            let item = buf[(i * size)..<((i + 1) * size)]
            let end = item.firstIndex(of: 0) ?? item.endIndex
            return String(decoding: item[item.startIndex..<end], as: UTF8.self)
        }
    }

    /// The variable-length strings of attribute `a`, read without libhdf5's global-heap code:
    /// each stored heap ID comes back unread (``skh5_heap_id_type(_:)``) and its collection is
    /// parsed with every offset checked (``skh5_heap_string(_:_:_:_:_:_:)``), so a corrupted heap
    /// ID or collection is an error rather than libhdf5 1.10.8's overflow in `H5HG_read`.
    private func variableStrings(_ a: hid_t, _ name: String, count: Int) throws -> [String] {
        let bad = KerasError.io("HDF5 '\(file)': cannot read attribute '\(name)' of '\(path)' (a malformed variable-length string)")
        let storage = H5Aget_storage_size(a)
        guard storage > 0, storage <= UInt64(HDF5Limits.maxAttributeBytes), Int(storage) % count == 0 else { throw bad }
        let stored = Int(storage)
        let idSize = stored / count
        let mem = skh5_heap_id_type(idSize)
        guard mem >= 0 else { throw bad }
        defer { H5Tclose(mem) }
        var ids = [UInt8](repeating: 0, count: stored)
        guard ids.withUnsafeMutableBytes({ H5Aread(a, mem, $0.baseAddress) }) >= 0 else { throw bad }
        let fileID = H5Iget_file_id(a)
        guard fileID >= 0 else { throw bad }
        defer { H5Fclose(fileID) }
        var total = 0
        var out: [String] = []
        for i in 0..<count {
            var text: UnsafeMutablePointer<CChar>?
            var length = 0
            let status = ids.withUnsafeBufferPointer { b in
                skh5_heap_string(fileID, b.baseAddress.map { $0 + i * idSize }, idSize, HDF5Limits.maxAttributeBytes - total,
                                 &text, &length)
            }
            guard status == 0 else { throw bad }
            defer { free(text) }
            total += length
            out.append(text.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: length), as: UTF8.self) } ?? "")
        }
        return out
    }

    /// Reads a scalar string attribute.
    func stringAttribute(_ name: String) throws -> String {
        let list = try stringsAttribute(name)
        guard list.count == 1 else {
            throw KerasError.io("HDF5 '\(file)': attribute '\(name)' of '\(path)' holds \(list.count) strings, expected one")
        }
        return list[0]
    }

    /// Reads a list attribute as Keras does: `name`, or chunks `name0`, `name1`, ... when it was split.
    func chunkedStringsAttribute(_ name: String) throws -> [String]? {
        if hasAttribute(name) { return try stringsAttribute(name) }
        guard hasAttribute(name + "0") else { return nil }
        var out: [String] = []
        var k = 0
        while hasAttribute("\(name)\(k)") {
            out += try stringsAttribute("\(name)\(k)")
            k += 1
        }
        return out
    }

    private func removeAttribute(_ name: String) {
        if hasAttribute(name) { H5Adelete(id, name) }
    }

    /// Writes a scalar variable-length string (what h5py writes for Python `str` and `bytes`).
    func setStringAttribute(_ name: String, _ value: String, utf8: Bool = true) throws {
        removeAttribute(name)
        let type = H5Tcopy(skh5_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, skh5_variable())
        H5Tset_cset(type, utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII)
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let a = H5Acreate2(id, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard a >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot create attribute '\(name)' on '\(path)'") }
        defer { H5Aclose(a) }
        let status = value.withCString { cs -> herr_t in
            var p: UnsafePointer<CChar>? = cs
            return H5Awrite(a, type, &p)
        }
        guard status >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot write attribute '\(name)' on '\(path)'") }
    }

    /// Writes a 1-D list of names as fixed-length NULLPAD strings (Keras 2 loaders call
    /// `.decode` on each item); an empty list becomes an empty float64 array, as Keras writes it.
    func setStringsAttribute(_ name: String, _ values: [String]) throws {
        removeAttribute(name)
        var dims: [hsize_t] = [hsize_t(values.count)]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        if values.isEmpty {
            let a = H5Acreate2(id, name, skh5_native_double(), space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
            guard a >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot create attribute '\(name)' on '\(path)'") }
            H5Aclose(a)
            return
        }
        let utf8 = values.map { Array($0.utf8) }
        let size = Swift.max(1, utf8.map(\.count).max() ?? 1)
        var buf = [UInt8](repeating: 0, count: size * values.count)
        for (i, s) in utf8.enumerated() { buf.replaceSubrange((i * size)..<(i * size + s.count), with: s) }
        let type = H5Tcopy(skh5_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, size)
        H5Tset_strpad(type, H5T_STR_NULLPAD)
        H5Tset_cset(type, H5T_CSET_ASCII)
        let a = H5Acreate2(id, name, type, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard a >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot create attribute '\(name)' on '\(path)'") }
        defer { H5Aclose(a) }
        let status = buf.withUnsafeBytes { H5Awrite(a, type, $0.baseAddress) }
        guard status >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot write attribute '\(name)' on '\(path)'") }
    }

    /// Writes a list attribute, split into `name0`, `name1`, ... when it would pass the 64 KB
    /// object-header limit, exactly as Keras's `save_attributes_to_hdf5_group` splits it.
    func setChunkedStringsAttribute(_ name: String, _ values: [String]) throws {
        let limit = 64512
        let itemSize = values.map { $0.utf8.count }.max() ?? 0
        if let big = values.first(where: { $0.utf8.count > limit }) {
            throw KerasError.io("The name '\(big.prefix(40))...' is longer than \(limit) bytes and cannot be saved in an HDF5 attribute")
        }
        var chunks = 1
        while itemSize * ((values.count + chunks - 1) / chunks) > limit { chunks += 1 }
        if chunks == 1 { try setStringsAttribute(name, values); return }
        // numpy.array_split: the first (n % k) chunks get one extra item.
        let base = values.count / chunks, extra = values.count % chunks
        var start = 0
        for k in 0..<chunks {
            let len = base + (k < extra ? 1 : 0)
            try setStringsAttribute("\(name)\(k)", Array(values[start..<(start + len)]))
            start += len
        }
    }

    // MARK: Datasets

    /// The shape of dataset `name`.
    func datasetShape(_ name: String) throws -> [Int] {
        let d = try openDataset(name)
        defer { H5Dclose(d) }
        return try shape(of: d, name)
    }

    private func openDataset(_ name: String) throws -> hid_t {
        guard try exists(name) else { throw KerasError.io("HDF5 '\(file)': dataset '\(child(name))' is missing") }
        let d = H5Dopen2(id, name, hid_t(H5P_DEFAULT))
        guard d >= 0 else { throw KerasError.io("HDF5 '\(file)': '\(child(name))' is not a dataset") }
        return d
    }

    private func shape(of d: hid_t, _ name: String) throws -> [Int] {
        let space = H5Dget_space(d)
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0, rank <= 32 else { throw KerasError.io("HDF5 '\(file)': dataset '\(child(name))' has a bad rank \(rank)") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        H5Sget_simple_extent_dims(space, &dims, nil)
        var count = 1
        for d in dims {
            let (p, overflow) = count.multipliedReportingOverflow(by: Int(clamping: d))
            guard !overflow, d <= hsize_t(Int.max), p <= HDF5Limits.maxDatasetValues else {
                throw KerasError.io("HDF5 '\(file)': dataset '\(child(name))' declares the shape \(dims), too large to read")
            }
            count = p
        }
        return dims.map { Int($0) }
    }

    /// Refuses a dataset whose element size is not a machine number's or whose values are not all
    /// stored in the file. Keras writes every weight in full; libhdf5 answers a read of unallocated
    /// storage by building a fill buffer as large as the declared dataset (gigabytes for a
    /// corrupted header), and converts exotic float formats element by element.
    private func checkStorage(_ d: hid_t, type: hid_t, values: Int, _ name: String) throws {
        let size = H5Tget_size(type)
        let allowed: Set<Int> = H5Tget_class(type) == H5T_FLOAT ? [2, 4, 8] : [1, 2, 4, 8]
        guard allowed.contains(size) else {
            throw KerasError.io("HDF5 '\(file)': dataset '\(child(name))' has \(size)-byte elements, not a float32/float64/integer type")
        }
        var status = H5D_SPACE_STATUS_ERROR
        guard H5Dget_space_status(d, &status) >= 0, status == H5D_SPACE_STATUS_ALLOCATED else {
            throw KerasError.io("HDF5 '\(file)': dataset '\(child(name))' does not store its values (space status \(status.rawValue))")
        }
        let stored = H5Dget_storage_size(d)
        let (declared, overflow) = values.multipliedReportingOverflow(by: size)
        guard !overflow, stored >= hsize_t(declared) else {
            throw KerasError.io("HDF5 '\(file)': dataset '\(child(name))' declares \(values) values but stores \(stored) bytes")
        }
    }

    /// Reads a numeric dataset as float32. When `expected` is given, the stored shape must
    /// equal it (checked before anything is allocated).
    func readTensor(_ name: String, expected: [Int]? = nil) throws -> Tensor {
        var t = Tensor(shape: [0])
        try readNumeric(name, expected: expected, as: skh5_native_float()) { dims in
            t = Tensor.uninitialized(dims)   // (HDF5 writes every value)
            return (UnsafeMutableRawPointer(t.data), t.count)
        }
        // As `set_weights` refuses them: a file of NaN weights is refused, not loaded silently.
        guard !t.hasNonFinite else {
            throw KerasError.invalidData("HDF5 '\(file)': dataset '\(child(name))' contains NaN or infinite values")
        }
        return t
    }

    /// Reads a numeric dataset as int32, exactly for an integer one (an int32 variable's values,
    /// Keras's iteration count); `expected` as ``readTensor(_:expected:)``'s.
    /// `unsigned`: read as uint32, returned as their bit patterns (a uint32 variable's).
    func readInt32s(_ name: String, expected: [Int], unsigned: Bool = false) throws -> [Int32] {
        try readIntegers(name, expected: expected, as: unsigned ? skh5_native_uint32() : skh5_native_int32())
    }

    /// Reads a scalar numeric dataset as int64, exactly for an integer one (an optimizer's
    /// iteration count: int32 as Keras on jax writes it, int64 as Keras on TensorFlow does).
    func readInt64(_ name: String) throws -> Int64 {
        let values: [Int64] = try readIntegers(name, expected: [], as: skh5_native_int64())
        return values.first ?? 0
    }

    private func readIntegers<T: FixedWidthInteger>(_ name: String, expected: [Int], as memoryType: hid_t) throws -> [T] {
        var values: [T] = []
        try readNumeric(name, expected: expected, as: memoryType) { dims in
            values = [T](repeating: 0, count: dims.reduce(1, *))
            return (nil, values.count)
        } read: { d, type in
            values.withUnsafeMutableBytes { H5Dread(d, type, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), $0.baseAddress) }
        }
        return values
    }

    /// Opens numeric dataset `name`, checks its shape and storage, and reads it converted to
    /// `memoryType` into the buffer `allocate(shape)` gives (or through `read`, for a Swift array).
    private func readNumeric(_ name: String, expected: [Int]?, as memoryType: hid_t,
                             allocate: ([Int]) -> (UnsafeMutableRawPointer?, Int),
                             read: ((hid_t, hid_t) -> herr_t)? = nil) throws {
        let d = try openDataset(name)
        defer { H5Dclose(d) }
        let type = H5Dget_type(d)
        defer { H5Tclose(type) }
        let cls = H5Tget_class(type)
        guard cls == H5T_FLOAT || cls == H5T_INTEGER else {
            throw KerasError.io("HDF5 '\(file)': dataset '\(child(name))' is not numeric (HDF5 type class \(cls.rawValue))")
        }
        let dims = try shape(of: d, name)
        if let expected, dims != expected {
            throw KerasError.shapeMismatch("HDF5 '\(file)': dataset '\(child(name))' has shape \(dims), expected \(expected)")
        }
        let (buffer, count) = allocate(dims)
        if count == 0 { return }
        try checkStorage(d, type: type, values: count, name)
        let status = read.map { $0(d, memoryType) }
            ?? H5Dread(d, memoryType, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), buffer)
        guard status >= 0 else {
            throw KerasError.io("HDF5 '\(file)': cannot read dataset '\(child(name))'")
        }
    }

    /// Writes a float32 dataset (intermediate groups are created for names with '/').
    func writeTensor(_ name: String, _ t: Tensor) throws {
        try write(name, shape: t.shape, type: skh5_native_float(), data: UnsafeRawPointer(t.data))
    }

    /// Writes a scalar integer dataset (an optimizer's iteration count): int32, as Keras on jax
    /// writes it, or int64 (Keras on TensorFlow's) for a value int32 cannot hold.
    func writeCount(_ name: String, _ value: Int) throws {
        if let small = Int32(exactly: value) { return try writeInt32s(name, shape: [], [small]) }
        var wide = Int64(value)
        try write(name, shape: [], type: skh5_native_int64(), data: &wide)
    }

    /// Writes `values` (each within -128 ... 127) as an int8 dataset: a quantized kernel;
    /// `unsigned`: (each within 0 ... 255) as a uint8 dataset, a GPTQ kernel or zero point.
    func writeInt8s(_ name: String, shape: [Int], _ values: [Int32], unsigned: Bool = false) throws {
        let stored = values.isEmpty ? [Int8(0)] : values.map { Int8(truncatingIfNeeded: $0) }
        try stored.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            try write(name, shape: shape, type: unsigned ? skh5_native_uint8() : skh5_native_int8(), data: UnsafeRawPointer(base))
        }
    }

    /// Writes an int32 dataset of `shape` (an int32 variable's values); `unsigned`: a uint32
    /// dataset of the values' bit patterns (a uint32 variable's).
    func writeInt32s(_ name: String, shape: [Int], _ values: [Int32], unsigned: Bool = false) throws {
        let stored = values.isEmpty ? [0] : values   // (a shape with a 0 writes no value)
        try stored.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            try write(name, shape: shape, type: unsigned ? skh5_native_uint32() : skh5_native_int32(),
                      data: UnsafeRawPointer(base))
        }
    }

    private func write(_ name: String, shape: [Int], type: hid_t, data: UnsafeRawPointer) throws {
        var dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), &dims, nil)
        defer { H5Sclose(space) }
        let lcpl = H5Pcreate(skh5_link_create())
        defer { H5Pclose(lcpl) }
        H5Pset_create_intermediate_group(lcpl, 1)
        let d = H5Dcreate2(id, name, type, space, lcpl, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard d >= 0 else { throw KerasError.io("HDF5 '\(file)': cannot create dataset '\(child(name))'") }
        defer { H5Dclose(d) }
        if shape.contains(0) { return }
        guard H5Dwrite(d, type, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), data) >= 0 else {
            throw KerasError.io("HDF5 '\(file)': cannot write dataset '\(child(name))'")
        }
    }
}
