#if canImport(Glibc)
import Glibc
#endif

/// Recycles float buffers by exact size, so that a warm training step, which asks for the same
/// sizes every time, allocates no tensor storage. Each thread has its own pool; a buffer
/// returns to the pool it came from, whichever thread frees it.
public final class BufferPool: @unchecked Sendable {
    /// The thread that owns the pool: only it takes buffers, and its frees need no lock.
    private let owner = pthread_self()
    @exclusivity(unchecked) private var table = SizeTable()
    @exclusivity(unchecked) private var cachedFloats = 0
    /// Buffers freed by other threads, handed back to the owner when it next misses.
    private let remoteMutex = Mutex()
    private var remote: [(UnsafeMutablePointer<Float>, Int)] = []
    /// Requests that no cached buffer could serve. A warm training step adds none.
    @exclusivity(unchecked) public private(set) var misses = 0
    /// Requests served from the cache.
    @exclusivity(unchecked) public private(set) var hits = 0
    /// The most floats the pool keeps cached; buffers beyond it go back to the system.
    @exclusivity(unchecked) public var limitFloats = 64 << 20

    private static let perThread = ThreadLocal { BufferPool() }

    /// The calling thread's pool.
    public static var current: BufferPool { perThread.value }

    /// A buffer of at least `count` floats; called on the owning thread only.
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = Swift.max(count, 1)
        if let p = table.pop(size) {
            cachedFloats -= size
            hits += 1
            return p
        }
        if reclaimRemote(), let p = table.pop(size) {
            cachedFloats -= size
            hits += 1
            return p
        }
        misses += 1
        return Self.allocate(size)
    }

    /// A buffer of at least `count` values of a plain type (`Int`, `Double`), from the same
    /// cache as float buffers of as many bytes: a kernel's scratch of other types that a warm
    /// step takes and gives back without a malloc; returned with the generic `give`.
    func take<T>(_ type: T.Type, _ count: Int) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer(take(Self.floats(T.self, count))).bindMemory(to: T.self, capacity: Swift.max(count, 1))
    }

    /// Returns a buffer of ``take(_:_:)``.
    func give<T>(_ pointer: UnsafeMutablePointer<T>, _ count: Int) {
        let floats = Self.floats(T.self, count)
        give(UnsafeMutableRawPointer(pointer).bindMemory(to: Float.self, capacity: floats), floats)
    }

    private static func floats<T>(_: T.Type, _ count: Int) -> Int {
        (Swift.max(count, 1) * MemoryLayout<T>.stride + MemoryLayout<Float>.stride - 1) / MemoryLayout<Float>.stride
    }

    /// From this many bytes a new buffer asks for 2 MiB pages (see ``allocate(_:)``).
    static let hugePageMinimumBytes = 4 << 20
    private static let hugePage = 2 << 20

    /// A new buffer of `count` floats from the system. Buffers of ``hugePageMinimumBytes`` and
    /// more ask Linux for transparent huge pages (`MADV_HUGEPAGE`, before the first write) over
    /// the whole 2 MiB pages they cover, the unaligned ends keeping 4 KiB pages (no memory
    /// beyond the buffer's is touched). Why: a shuffled batch reads rows spread over a whole
    /// data array, and with 4 KiB pages each row is a TLB miss (an Otto-sized array is 5,600
    /// pages; 12 huge ones). The advice changes no value; where the kernel has no huge pages
    /// it is refused and ignored.
    static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        #if os(Linux)
        let bytes = count * MemoryLayout<Float>.stride
        if bytes >= hugePageMinimumBytes {
            let mask = UInt(hugePage - 1)
            let start = (UInt(bitPattern: p) + mask) & ~mask
            let end = (UInt(bitPattern: p) + UInt(bytes)) & ~mask
            if end > start, let first = UnsafeMutableRawPointer(bitPattern: start) {
                _ = madvise(first, Int(end - start), MADV_HUGEPAGE)
            }
        }
        #endif
        return p
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        let size = Swift.max(count, 1)
        guard pthread_equal(pthread_self(), owner) != 0 else {
            remoteMutex.withLock { remote.append((pointer, size)) }
            return
        }
        keep(pointer, size)
    }

    private func keep(_ pointer: UnsafeMutablePointer<Float>, _ size: Int) {
        if cachedFloats + size <= limitFloats {
            table.push(pointer, size)
            cachedFloats += size
        } else {
            pointer.deallocate()
        }
    }

    /// Moves buffers other threads freed into the table; true when there were any.
    private func reclaimRemote() -> Bool {
        let handed: [(UnsafeMutablePointer<Float>, Int)] = remoteMutex.withLock {
            let r = remote
            remote.removeAll()
            return r
        }
        for (p, size) in handed { keep(p, size) }
        return !handed.isEmpty
    }

    /// Returns every cached buffer to the system (owning thread only).
    public func drain() {
        _ = reclaimRemote()
        table.removeAll { $0.deallocate() }
        cachedFloats = 0
    }

    deinit {
        for (p, _) in remote { p.deallocate() }
        table.removeAll { $0.deallocate() }
    }
}

/// Stacks of free buffers by exact size, in an open-addressed table: a training step uses a few
/// dozen sizes, and this keeps a lookup to a multiply and a probe or two.
struct SizeTable {
    private var keys = [Int](repeating: 0, count: 64)
    private var stacks = [[UnsafeMutablePointer<Float>]](repeating: [], count: 64)
    private var used = 0

    @inline(__always) private func slot(_ size: Int, _ capacity: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(truncatingIfNeeded: size) &* 0x9E37_79B9_7F4A_7C15) >> 40) & (capacity - 1)
    }

    private func find(_ size: Int) -> Int? {
        let cap = keys.count
        var i = slot(size, cap)
        while keys[i] != 0 {
            if keys[i] == size { return i }
            i = (i + 1) & (cap - 1)
        }
        return nil
    }

    mutating func pop(_ size: Int) -> UnsafeMutablePointer<Float>? {
        guard let i = find(size) else { return nil }
        return stacks[i].popLast()
    }

    mutating func push(_ p: UnsafeMutablePointer<Float>, _ size: Int) {
        if let i = find(size) { stacks[i].append(p); return }
        if (used + 1) * 2 > keys.count { grow() }
        let cap = keys.count
        var i = slot(size, cap)
        while keys[i] != 0 { i = (i + 1) & (cap - 1) }
        keys[i] = size
        stacks[i] = [p]
        used += 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldStacks = stacks
        keys = [Int](repeating: 0, count: oldKeys.count * 2)
        stacks = [[UnsafeMutablePointer<Float>]](repeating: [], count: oldKeys.count * 2)
        used = 0
        for (k, stack) in zip(oldKeys, oldStacks) where k != 0 {
            let cap = keys.count
            var i = slot(k, cap)
            while keys[i] != 0 { i = (i + 1) & (cap - 1) }
            keys[i] = k
            stacks[i] = stack
            used += 1
        }
    }

    mutating func removeAll(_ release: (UnsafeMutablePointer<Float>) -> Void) {
        for i in stacks.indices { for p in stacks[i] { release(p) }; stacks[i].removeAll() }
    }
}

/// The memory behind a tensor: a pooled float buffer, returned to its pool when the last
/// tensor that uses it goes away; a caller's buffer, borrowed and never freed; or a range of
/// another storage, which it keeps alive.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let pool: BufferPool?
    /// False for a borrowed buffer or a view: its owner frees it, not this storage.
    private let owned: Bool
    /// For a view, the storage it is a range of.
    private let base: TensorStorage?

    init(count: Int, pool: BufferPool? = BufferPool.current) {
        self.count = count
        self.pool = pool
        owned = true
        base = nil
        if let pool {
            pointer = pool.take(count)
        } else {
            pointer = BufferPool.allocate(Swift.max(count, 1))
        }
    }

    /// Storage over a caller's buffer of `count` floats, neither copied nor freed.
    init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int) {
        self.pointer = pointer
        self.count = count
        pool = nil
        owned = false
        base = nil
    }

    /// Elements `offset ..< offset + count` of `base`, without a copy (the caller checks the range).
    init(viewing base: TensorStorage, offset: Int, count: Int) {
        pointer = base.pointer + offset
        self.count = count
        pool = nil
        owned = false
        self.base = base
    }

    /// True for a caller's buffer (``init(borrowing:count:)``) or a view (``init(viewing:offset:count:)``).
    var isBorrowed: Bool { !owned }

    deinit {
        if let pool { pool.give(pointer, count) } else if owned { pointer.deallocate() }
    }
}
