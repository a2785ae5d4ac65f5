/// Convolutions with a large reduction (groups 1, more than ``Kernels/directConvLimit`` taps ×
/// channels: every layer of an image model after the first) as im2col + GEMM by tiles of output
/// rows that stay in cache, instead of one full-size im2col buffer per layer (9× the input for a
/// 3×3 kernel; issue 12, reference/kernels.md). Forward: per tile, unfold the windows, one GEMM
/// into the output rows (bias preloaded), the activation while the rows are in cache. Backward:
/// per tile, the activation's backward, the bias sums, the windows unfolded again, the kernel
/// gradient as a GEMM accumulated over tiles, the data gradient as a GEMM then col2im.
///
/// The samples are always cut into the same two parts (each a sequence of tiles with its own
/// kernel-gradient sums, added at the end), run on both cores when fanning out pays and one
/// after the other otherwise, so a result has the same bits on one core or two.
extension Kernels {
    /// The floats an im2col tile aims at (cols, and in the backward their gradient): 256 KB.
    static let convTileFloats = 1 << 16

    /// The output rows of one tile for a reduction of `k`: a multiple of 8, at least 8.
    static func convTileRows(k: Int) -> Int {
        Swift.max(8, convTileFloats / Swift.max(k, 1) / 8 * 8)
    }

    /// The fixed number of parts the samples are cut into.
    static let convParts = 2

    /// Calls `body(part, rows)` for the output rows of each of the ``convParts`` sample parts of
    /// `g` (concurrently when fanning out pays), with OpenBLAS single-threaded and kernels on
    /// each part's thread not fanning out further.
    static func forEachConvPart(_ g: WindowGeometry, work: Int, _ body: (Int, Range<Int>) -> Void) {
        let parts = convParts, per = g.outputsPerSample
        func run(_ p: Int) {
            let lo = g.batch * p / parts, hi = g.batch * (p + 1) / parts
            if lo < hi { Parallel.asWorker { body(p, lo * per..<hi * per) } }
        }
        Parallel.withSingleThreadedBLAS {
            if Parallel.partCount(rows: g.batch, width: work) > 1 {
                Parallel.forEachPart(parts, parts: parts) { p, _ in run(p) }
            } else {
                for p in 0..<parts { run(p) }
            }
        }
    }

    /// The tiles of `rows`: `body(tileRows)` for consecutive ranges of at most `tile` rows.
    @inline(__always)
    static func forEachTile(_ rows: Range<Int>, tile: Int, _ body: (Range<Int>) -> Void) {
        var r = rows.lowerBound
        while r < rows.upperBound {
            let end = Swift.min(r + tile, rows.upperBound)
            body(r..<end)
            r = end
        }
    }

    /// `out = activation(im2col(x) · w + bias)` for channels-last `x` under `g`, `w` of
    /// `windowSize·channels × f` (a Keras kernel), `out` of `outputRows × f`.
    static func tiledConv(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          _ g: WindowGeometry, filters f: Int, activation: ElementwiseActivation,
                          into out: UnsafeMutablePointer<Float>) {
        let k = g.windowSize * g.channels, tile = convTileRows(k: k)
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: convParts * tile * k)
        defer { cols.deallocate() }
        forEachConvPart(g, work: g.outputsPerSample * k) { p, rows in
            let c = cols + p * tile * k
            forEachTile(rows, tile: tile) { t in
                let o = out + t.lowerBound * f
                if let bias { fillRows(o, with: bias, rows: t.count, cols: f) } else { o.initialize(repeating: 0, count: t.count * f) }
                im2col(x, g, rows: t, channelStart: 0, channels: g.channels, into: c)
                GemmCall(c, transA: false, w, transB: false, o, m: t.count, n: f, k: k, alpha: 1, beta: 1).run()
                activation.apply(o, count: t.count * f)
            }
        }
    }

    /// The gradients of ``tiledConv(_:_:bias:_:filters:activation:into:)`` from the upstream
    /// gradient `up` of its output `out`, each where given: `dx` (shaped as `x`, initialised:
    /// added onto), `dw` and `db` (overwritten).
    static func tiledConvBackward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ g: WindowGeometry,
                                  filters f: Int, activation: ElementwiseActivation,
                                  output out: UnsafePointer<Float>, upstream up: UnsafePointer<Float>,
                                  dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?,
                                  db: UnsafeMutablePointer<Float>?) {
        let k = g.windowSize * g.channels, tile = convTileRows(k: k)
        // Per part: the tile's columns, their gradient, its dz, then kernel and bias sums (and a bias row).
        let sums = (k + 2) * f, slot = 2 * tile * k + tile * f + sums
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: convParts * slot)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: convParts * slot)
        forEachConvPart(g, work: g.outputsPerSample * k) { p, rows in
            let cols = scratch + p * slot, dcols = cols + tile * k, dzTile = dcols + tile * k
            let dwPart = dzTile + tile * f, dbPart = dwPart + k * f, dbTile = dbPart + f
            forEachTile(rows, tile: tile) { t in
                let n = t.count, u = up + t.lowerBound * f
                let dz: UnsafePointer<Float>
                if activation == .linear {
                    dz = u
                } else {
                    activation.backward(output: out + t.lowerBound * f, upstream: u, into: dzTile, count: n * f)
                    dz = UnsafePointer(dzTile)
                }
                if db != nil {
                    columnSums(dz, rows: n, cols: f, into: dbTile)
                    for j in 0..<f { dbPart[j] += dbTile[j] }
                }
                if dw != nil {
                    im2col(x, g, rows: t, channelStart: 0, channels: g.channels, into: cols)
                    GemmCall(cols, transA: true, dz, transB: false, dwPart, m: k, n: f, k: n, alpha: 1, beta: 1).run()
                }
                if let dx {
                    GemmCall(dz, transA: false, w, transB: true, dcols, m: n, n: k, k: f, alpha: 1, beta: 0).run()
                    col2im(dcols, g, rows: t, channelStart: 0, channels: g.channels, into: dx)
                }
            }
        }
        let first = scratch + 2 * tile * k + tile * f, second = first + slot
        if let dw { for i in 0..<(k * f) { dw[i] = first[i] + second[i] } }
        if let db { for j in 0..<f { db[j] = first[k * f + j] + second[k * f + j] } }
    }
}
