import KerasSections

/// Row copies along the first or a middle axis: gathers, scatters, concatenation, repetition.
extension Kernels {
    /// Copies `count` floats in a loop the compiler vectorises: for the short rows (a few to a few
    /// dozen floats) of the recurrent op's time-major transposes, where a `memmove` call per row
    /// costs more than the copy.
    @inline(__always)
    static func copy(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        for k in 0..<count { dst[k] = src[k] }
    }

    /// Copies rows `indices` (each `row` floats) of `x` into consecutive rows of `out`.
    static func gatherRows<C: Collection>(_ x: UnsafePointer<Float>, _ indices: C, row: Int,
                                          into out: UnsafeMutablePointer<Float>) where C.Element == Int {
        var k = 0
        for i in indices {
            (out + k * row).update(from: x + i * row, count: row)
            k += 1
        }
    }

    /// How many rows ahead ``gatherShuffledRows(_:_:row:into:)`` asks for the next rows.
    static let gatherLookahead = 8
    /// The most bytes of a row that ``gatherShuffledRows(_:_:row:into:)`` asks for ahead: the
    /// start of a long row, whose copy the hardware prefetcher then streams. Asking for whole
    /// 400 KB image rows eight ahead (3.2 MB, past L2) cost as much as their copy
    /// (`max_pooling2d_step`'s 64×56×56×32 batch).
    static let gatherPrefetchBytes = 4096
    /// Rows of up to this many floats are gathered with ``copy(_:to:count:)``, not `memmove`.
    static let shortRow = 32

    /// ``gatherRows(_:_:row:into:)`` for rows in random order from an array larger than the
    /// caches (a shuffled batch): each row is requested `gatherLookahead` rows before it is
    /// copied, so that the cache misses of several rows overlap instead of stalling one copy
    /// after another (measured: an Otto epoch's gathers 2-4x faster). `prefetch` false skips the
    /// requests, for an array that stays in the caches (iris: they were half of its gathers).
    static func gatherShuffledRows(_ x: UnsafePointer<Float>, _ indices: ArraySlice<Int>, row: Int,
                                   into out: UnsafeMutablePointer<Float>, prefetch: Bool = true) {
        indices.withUnsafeBufferPointer { idx in
            guard let base = idx.baseAddress else { return }
            if prefetch {
                gatherShuffledRows(x, base, rows: 0..<idx.count, of: idx.count, row: row, into: out)
            } else if row <= shortRow {
                for k in 0..<idx.count { copy(x + base[k] * row, to: out + k * row, count: row) }
            } else {
                for k in 0..<idx.count { (out + k * row).update(from: x + base[k] * row, count: row) }
            }
        }
    }

    /// Rows `indices[k]` for `k` in `rows` (a slice of `count` indices) into rows `k` of `out`,
    /// as ``gatherShuffledRows(_:_:row:into:)``: the part of a gather that one thread does.
    static func gatherShuffledRows(_ x: UnsafePointer<Float>, _ idx: UnsafePointer<Int>, rows: Range<Int>, of n: Int,
                                   row: Int, into out: UnsafeMutablePointer<Float>) {
        let bytes = Swift.min(row * MemoryLayout<Float>.stride, gatherPrefetchBytes)
        for k in rows.lowerBound..<Swift.min(rows.lowerBound + gatherLookahead, rows.upperBound) {
            keras_prefetch(x + idx[k] * row, bytes)
        }
        for k in rows {
            if k + gatherLookahead < n { keras_prefetch(x + idx[k + gatherLookahead] * row, bytes) }
            // Short rows (one-hot targets, labels) in a loop: a `memmove` call costs more.
            if row <= shortRow {
                copy(x + idx[k] * row, to: out + k * row, count: row)
            } else {
                (out + k * row).update(from: x + idx[k] * row, count: row)
            }
        }
    }

    /// True when one of `count` floats is NaN or infinite (a string value counts too: callers
    /// that accept strings check ``Tensor/hasNonStringNonFinite`` after a hit).
    @inline(__always)
    static func containsNonFinite(_ p: UnsafePointer<Float>, count: Int) -> Bool {
        // x * 0 is 0 for finite x and NaN for NaN or infinity; sixteen lanes at a time.
        let raw = UnsafeRawPointer(p)
        var lanes = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            lanes += raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: SIMD16<Float>.self) * 0
            i += 16
        }
        var acc = lanes.sum()
        while i < count { acc += p[i] * 0; i += 1 }
        return acc.isNaN
    }

    /// ``gatherShuffledRows(_:_:row:into:)`` that also says whether a gathered value is NaN or
    /// infinite: the rows are copied in blocks of about 256 KiB, each scanned
    /// (``containsNonFinite(_:count:)``) while it is still in the core's L2, so that data checked
    /// this way is read from memory once instead of twice.
    static func gatherShuffledRowsChecked(_ x: UnsafePointer<Float>, _ indices: ArraySlice<Int>, row: Int,
                                          into out: UnsafeMutablePointer<Float>) -> Bool {
        indices.withUnsafeBufferPointer { idx in
            guard let base = idx.baseAddress, row > 0 else { return false }
            let block = Swift.max(1, (1 << 16) / row)
            var found = false
            var start = 0
            while start < idx.count {
                let end = Swift.min(idx.count, start + block)
                gatherShuffledRows(x, base, rows: start..<end, of: idx.count, row: row, into: out)
                if !found { found = containsNonFinite(out + start * row, count: (end - start) * row) }
                start = end
            }
            return found
        }
    }

    /// Asks the CPU to bring rows `indices` (each `row` floats) of `x` into its caches, for a
    /// gather that comes later (``gatherShuffledRows(_:_:row:into:)`` of the next batch).
    static func prefetchRows(_ x: UnsafePointer<Float>, _ indices: ArraySlice<Int>, row: Int) {
        let bytes = row * MemoryLayout<Float>.stride
        indices.withUnsafeBufferPointer { idx in
            for k in 0..<idx.count { keras_prefetch(x + idx[k] * row, bytes) }
        }
    }

    /// Adds consecutive rows of `g` into rows `indices` of `dx` (the gradient of a gather).
    static func scatterAddRows(_ g: UnsafePointer<Float>, _ indices: [Int], row: Int, into dx: UnsafeMutablePointer<Float>) {
        for (k, i) in indices.enumerated() {
            for j in 0..<row { dx[i * row + j] += g[k * row + j] }
        }
    }

    /// Concatenates blocks: for each of `outer` rows, the `sizes[i]` floats of part `i` in turn.
    static func concatenate(_ parts: [UnsafePointer<Float>], sizes: [Int], outer: Int, into out: UnsafeMutablePointer<Float>) {
        let total = sizes.reduce(0, +)
        for o in 0..<outer {
            var off = o * total
            for (p, s) in zip(parts, sizes) {
                (out + off).update(from: p + o * s, count: s)
                off += s
            }
        }
    }

    /// The part of a concatenation that starts at `start` in each row of `total` floats.
    static func concatenationPart(_ g: UnsafePointer<Float>, start: Int, size s: Int, total: Int, outer: Int,
                                  into dx: UnsafeMutablePointer<Float>) {
        for o in 0..<outer { (dx + o * s).update(from: g + o * total + start, count: s) }
    }

    /// Each of `rows` rows of `f` floats written `n` times in a row.
    static func repeatRows(_ x: UnsafePointer<Float>, rows b: Int, times n: Int, row f: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<b { for r in 0..<n { (out + (i * n + r) * f).update(from: x + i * f, count: f) } }
    }
}
