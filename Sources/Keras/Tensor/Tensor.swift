/// A float32 array with a shape, stored contiguously in row-major order.
///
/// Tensors are values: operations return new tensors and never change their inputs. The
/// storage is pooled (see ``BufferPool``), and a tensor produced while a ``GradientTape`` is
/// recording remembers its place on the tape so that gradients can flow back through it.
///
/// ```swift
/// let x = Tensor([[1, 2], [3, 4]])
/// let y = try Ops.matmul(x, x) + 1
/// ```
public struct Tensor: CustomStringConvertible, @unchecked Sendable {
    /// The dimensions, outermost first. A scalar has an empty shape.
    public let shape: [Int]
    /// Mutable only so that a holder can ask whether it is the storage's only owner
    /// (`isKnownUniquelyReferenced`, see `BatchGatherer`); never reassigned.
    @usableFromInline var storage: TensorStorage
    /// The tape and node that produced this tensor, when it was recorded.
    var tapeID: UInt64 = 0
    var node: Int32 = -1
    /// For a softmax output: the tape node of the logits it was computed from, so that a
    /// cross-entropy can take the fused path (Keras: the output's `_keras_logits`). Any op on
    /// the output makes a new tensor without it.
    var logitsNode: Int32 = -1

    /// The number of elements.
    @inlinable public var count: Int { storage.count }
    /// The number of dimensions.
    public var rank: Int { shape.count }

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// A tensor with uninitialised contents, for kernels that write every element.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        // By index: in a debug build a generic `reduce` allocates, and this runs for every op.
        var n = 1
        for i in 0..<shape.count { n *= shape[i] }
        return Tensor(shape: shape, storage: TensorStorage(count: n))
    }

    /// A tensor of the given shape with every element set to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        let n = shape.reduce(1, *)
        self.init(shape: shape, storage: TensorStorage(count: n))
        storage.pointer.initialize(repeating: value, count: n)
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    public init(shape: [Int], scalars: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw KerasError.invalidArgument("Tensor(shape: \(shape)): dimensions must not be negative")
        }
        let n = shape.reduce(1, *)
        guard n == scalars.count else {
            throw KerasError.shapeMismatch("Tensor(shape: \(shape)) needs \(n) values, got \(scalars.count)")
        }
        self.init(shape: shape, storage: TensorStorage(count: n))
        scalars.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.update(from: base, count: n) }
        }
    }

    /// A tensor over the caller's buffer of float32 values in row-major order, without a copy
    /// (the C ABI's inputs). The library only reads it; the caller keeps it alive and unchanged
    /// until the last tensor that uses it (or a view of it) is gone, which for `fit`,
    /// `evaluate` and `predict` is when they return. Anything kept longer (weights, adapted
    /// state) is copied out of it.
    public init(borrowing buffer: UnsafePointer<Float>, shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw KerasError.invalidArgument("Tensor(borrowing:shape: \(shape)): dimensions must not be negative")
        }
        self.init(shape: shape, storage: TensorStorage(borrowing: UnsafeMutablePointer(mutating: buffer),
                                                       count: shape.reduce(1, *)))
    }

    /// True when the elements are not this tensor's own: a caller's borrowed buffer
    /// (``init(borrowing:shape:)``) or rows of another tensor (`rows(_:)`).
    public var isBorrowed: Bool { storage.isBorrowed }

    /// Rows `r` of the first axis over the same memory, without a copy and detached from any
    /// tape (fit's validation split of a borrowed input). `r` must lie within the first
    /// dimension; callers check.
    func rows(_ r: Range<Int>) -> Tensor {
        let row = count / Swift.max(shape.first ?? 1, 1)
        return Tensor(shape: [r.count] + shape.dropFirst(),
                      storage: TensorStorage(viewing: storage, offset: r.lowerBound * row, count: r.count * row))
    }

    /// A rank-0 tensor.
    public init(_ scalar: Float) {
        self.init(shape: [], repeating: scalar)
    }

    /// A vector.
    public init(_ vector: [Float]) {
        self.init(shape: [vector.count], storage: TensorStorage(count: vector.count))
        vector.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.update(from: base, count: vector.count) }
        }
    }

    /// A matrix from rows; ragged rows are padded with zeros (use `init(shape:scalars:)` to check).
    public init(_ rows: [[Float]]) {
        let cols = rows.map(\.count).max() ?? 0
        self.init(shape: [rows.count, cols], repeating: 0)
        for (i, row) in rows.enumerated() {
            for (j, v) in row.enumerated() { storage.pointer[i * cols + j] = v }
        }
    }

    /// A 3-D tensor from nested arrays.
    public init(_ planes: [[[Float]]]) {
        let rows = planes.first?.count ?? 0
        let cols = planes.first?.first?.count ?? 0
        self.init(shape: [planes.count, rows, cols], repeating: 0)
        for (i, plane) in planes.enumerated() where plane.count == rows {
            for (j, row) in plane.enumerated() where row.count == cols {
                for (k, v) in row.enumerated() { storage.pointer[(i * rows + j) * cols + k] = v }
            }
        }
    }

    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a tensor with one element.
    public var scalar: Float? { count == 1 ? storage.pointer[0] : nil }

    /// The element at a multi-dimensional index, or nil when the index is out of range.
    public func value(at index: [Int]) -> Float? {
        guard index.count == shape.count else { return nil }
        var offset = 0
        for (i, d) in zip(index, shape) {
            guard i >= 0 && i < d else { return nil }
            offset = offset * d + i
        }
        return storage.pointer[offset]
    }

    /// Read access to the contiguous elements.
    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Raw pointer to the elements; valid while the tensor lives.
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.pointer }

    /// The same tensor, detached from any tape: gradients do not flow through it.
    public var detached: Tensor { Tensor(shape: shape, storage: storage) }

    /// A copy with its own storage.
    public func copy() -> Tensor {
        let out = Tensor.uninitialized(shape)
        out.data.update(from: data, count: count)
        return out
    }

    /// Same storage, new shape (the counts must agree; callers check).
    func viewing(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// True when any element is NaN or infinite. Large tensors (whole data sets, checked on
    /// every `fit`) are scanned on all cores.
    /// (String values, NaNs with a payload, are not counted: see ``StringValues``.)
    public var hasNonFinite: Bool {
        let p = UnsafePointer(data)
        func scan(_ r: Range<Int>) -> Bool { Kernels.containsNonFinite(p + r.lowerBound, count: r.count) }
        // Batches (trainOnBatch, predict) are checked in place, without the chunks' lock.
        if count < Parallel.threshold { return scan(0..<count) && hasNonStringNonFinite }
        let lock = Mutex()
        var found = false
        Parallel.forEachChunk(count) { r in
            if scan(r) { lock.withLock { found = true } }
        }
        return found && hasNonStringNonFinite
    }

    public var description: String {
        func render(_ dim: Int, _ offset: Int) -> String {
            if dim == shape.count { return formatFloat(data[offset]) }
            let stride = shape[(dim + 1)...].reduce(1, *)
            let parts = (0..<shape[dim]).map { render(dim + 1, offset + $0 * stride) }
            let sep = dim == shape.count - 1 ? " " : "\n" + String(repeating: " ", count: dim + 1)
            return "[" + parts.joined(separator: sep) + "]"
        }
        if count > 1000 { return "Tensor(shape: \(shape))" }
        return render(0, 0)
    }
}

/// Formats a float the way numpy prints short arrays: up to 8 significant digits.
func formatFloat(_ v: Float) -> String {
    if v == v.rounded() && abs(v) < 1e7 { return String(format8: v) }
    return String(format8: v)
}

extension String {
    init(format8 v: Float) {
        if v.isNaN { self = "nan"; return }
        if v.isInfinite { self = v > 0 ? "inf" : "-inf"; return }
        var s = "\(v)"
        if s.hasSuffix(".0") { s.removeLast() }
        self = s
    }
}

extension Tensor: Equatable {
    /// Exact equality of shape and elements (use `isClose` for tolerances).
    public static func == (a: Tensor, b: Tensor) -> Bool {
        a.shape == b.shape && a.scalars == b.scalars
    }

    /// True when shapes agree and every element is within `atol + rtol * |b|`.
    public func isClose(to other: Tensor, atol: Float = 1e-5, rtol: Float = 1e-5) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<count {
            let a = data[i], b = other.data[i]
            if a.isNaN || b.isNaN { return false }
            if abs(a - b) > atol + rtol * abs(b) { return false }
        }
        return true
    }
}
