/// Recycles float buffers by exact size, so that a warm training step, which asks for the same
/// sizes every time, allocates no tensor storage. Each thread has its own pool; a buffer
/// returns to the pool it came from, whichever thread frees it.
public final class BufferPool: @unchecked Sendable {
    private let mutex = Mutex()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedFloats = 0
    /// Requests that no cached buffer could serve. A warm training step adds none.
    public private(set) var misses = 0
    /// Requests served from the cache.
    public private(set) var hits = 0
    /// The most floats the pool keeps cached; buffers beyond it go back to the system.
    public var limitFloats = 64 << 20

    private static let perThread = ThreadLocal { BufferPool() }

    /// The calling thread's pool.
    public static var current: BufferPool { perThread.value }

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = Swift.max(count, 1)
        mutex.lock()
        if var list = free[size], let p = list.popLast() {
            free[size] = list
            cachedFloats -= size
            hits += 1
            mutex.unlock()
            return p
        }
        misses += 1
        mutex.unlock()
        return UnsafeMutablePointer<Float>.allocate(capacity: size)
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) {
        let size = Swift.max(count, 1)
        mutex.lock()
        if cachedFloats + size <= limitFloats {
            free[size, default: []].append(pointer)
            cachedFloats += size
            mutex.unlock()
        } else {
            mutex.unlock()
            pointer.deallocate()
        }
    }

    /// Returns every cached buffer to the system.
    public func drain() {
        mutex.withLock {
            for (_, list) in free { for p in list { p.deallocate() } }
            free.removeAll()
            cachedFloats = 0
        }
    }

    deinit { drain() }
}

/// The memory behind a tensor: a pooled float buffer, returned to its pool when the last
/// tensor that uses it goes away.
public final class TensorStorage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let pool: BufferPool?

    init(count: Int, pool: BufferPool? = BufferPool.current) {
        self.count = count
        self.pool = pool
        if let pool {
            pointer = pool.take(count)
        } else {
            pointer = .allocate(capacity: Swift.max(count, 1))
        }
    }

    deinit {
        if let pool { pool.give(pointer, count) } else { pointer.deallocate() }
    }
}
