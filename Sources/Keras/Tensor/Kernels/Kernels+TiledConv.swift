/// Convolutions with a large reduction (groups 1, more than ``Kernels/directConvLimit`` taps ×
/// channels: every layer of an image model after the first) as im2col + GEMM by tiles of output
/// rows that stay in cache, instead of one full-size im2col buffer per layer (9× the input for a
/// 3×3 kernel; issue 12, reference/kernels.md). Forward: per tile, unfold the windows, one GEMM
/// into the output rows (bias preloaded), the activation while the rows are in cache. Backward:
/// per tile, the activation's backward, the bias sums, the windows unfolded again, the kernel
/// gradient as a GEMM accumulated over tiles; the data gradient, for unit strides, as the
/// convolution of dz with the flipped kernel (dz kept whole, unfolded by tiles of input rows,
/// one GEMM straight into the input gradient's rows), and otherwise as a GEMM then col2im per tile.
///
/// The samples are always cut into the same two parts (each a sequence of tiles with its own
/// kernel-gradient sums, added at the end), run on both cores when fanning out pays and one
/// after the other otherwise, so a result has the same bits on one core or two.
/// The scratch floats of one tiled convolution: the forward's and the backward's, each one
/// allocation. The kernels allocate by it and the memory budget counts by it.
struct TiledConvScratch {
    /// Reduction of the forward (taps × input channels) and of the flipped data-gradient convolution (taps × filters).
    let k: Int, flippedK: Int
    let filters: Int, outputRows: Int
    /// Output rows of a forward tile, input rows of a data-gradient tile.
    let tile: Int, flippedTile: Int
    /// Whether the data gradient is the flipped convolution (unit strides) rather than GEMM then col2im.
    let flipped: Bool

    init(windowSize: Int, channels: Int, filters f: Int, outputRows: Int, unitStrides: Bool) {
        k = windowSize * channels; flippedK = windowSize * f; filters = f; self.outputRows = outputRows
        flipped = unitStrides
        tile = Kernels.convTileRows(k: k); flippedTile = Kernels.convTileRows(k: flippedK)
    }

    /// The forward's: one tile of columns per part.
    var forward: Int { Kernels.convParts * tile * k }

    /// Per part in the backward: the columns (of `x` for the kernel gradient, of dz for the
    /// data gradient), a tile of column gradients and a tile of dz (col2im path only), then
    /// kernel and bias sums and a bias row.
    var columns: Int { Swift.max(tile * k, flipped ? flippedTile * flippedK : 0) }
    var columnGradients: Int { flipped ? 0 : tile * k }
    var dzTile: Int { flipped ? 0 : tile * filters }
    var sums: Int { (k + 2) * filters }
    var slot: Int { columns + columnGradients + dzTile + sums }

    /// The backward's: the parts' slots, and for the flipped convolution its kernel and the
    /// whole dz (its windows cross tiles).
    var backward: Int { Kernels.convParts * slot + (flipped ? k * filters + outputRows * filters : 0) }
}

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
        let s = TiledConvScratch(windowSize: g.windowSize, channels: g.channels, filters: f, outputRows: g.outputRows,
                                 unitStrides: g.unitStrides)
        let k = s.k, tile = s.tile
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: s.forward)
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
        let s = TiledConvScratch(windowSize: g.windowSize, channels: g.channels, filters: f, outputRows: g.outputRows,
                                 unitStrides: g.unitStrides)
        let k = s.k, tile = s.tile, slot = s.slot
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: s.backward)
        defer { scratch.deallocate() }
        for p in 0..<convParts { (scratch + p * slot + slot - s.sums).initialize(repeating: 0, count: s.sums) }
        // The data gradient of a unit-stride convolution is the convolution of dz with the
        // flipped kernel (taps reversed, `windowSize·f × channels`): no column gradient to clear
        // and fold back, and a GEMM whose reduction is taps × filters instead of filters. Its
        // windows cross tiles, so dz is kept whole (written where the tiles compute it anyway).
        let flippedKernel = scratch + convParts * slot, dzWhole = flippedKernel + k * f
        let back = s.flipped ? g.flippedForDataGradient(filters: f) : nil
        if back != nil, dx != nil { flipKernel(w, windowSize: g.windowSize, channels: g.channels, filters: f, into: flippedKernel) }
        forEachConvPart(g, work: g.outputsPerSample * k) { p, rows in
            let cols = scratch + p * slot, dcols = cols + s.columns, dzTile = dcols + s.columnGradients
            let dwPart = dzTile + s.dzTile, dbPart = dwPart + k * f, dbTile = dbPart + f
            forEachTile(rows, tile: tile) { t in
                let n = t.count, u = up + t.lowerBound * f
                let dz: UnsafePointer<Float>
                if activation == .linear {
                    dz = u
                } else {
                    let d = back == nil ? dzTile : dzWhole + t.lowerBound * f
                    activation.backward(output: out + t.lowerBound * f, upstream: u, into: d, count: n * f)
                    dz = UnsafePointer(d)
                }
                if db != nil {
                    columnSums(dz, rows: n, cols: f, into: dbTile)
                    for j in 0..<f { dbPart[j] += dbTile[j] }
                }
                if dw != nil {
                    im2col(x, g, rows: t, channelStart: 0, channels: g.channels, into: cols)
                    GemmCall(cols, transA: true, dz, transB: false, dwPart, m: k, n: f, k: n, alpha: 1, beta: 1).run()
                }
                if let dx, back == nil {
                    GemmCall(dz, transA: false, w, transB: true, dcols, m: n, n: k, k: f, alpha: 1, beta: 0).run()
                    col2im(dcols, g, rows: t, channelStart: 0, channels: g.channels, into: dx)
                }
            }
            if let dx, let back, g.outputsPerSample > 0 {
                // The same samples' input rows, in tiles: unfold dz's windows, one GEMM onto dx.
                let dz = activation == .linear ? up : UnsafePointer(dzWhole)
                let per = g.outputsPerSample, inPer = back.outputsPerSample
                forEachTile(rows.lowerBound / per * inPer..<rows.upperBound / per * inPer, tile: s.flippedTile) { t in
                    im2col(dz, back, rows: t, channelStart: 0, channels: f, into: cols)
                    GemmCall(cols, transA: false, flippedKernel, transB: false, dx + t.lowerBound * g.channels,
                             m: t.count, n: g.channels, k: s.flippedK, alpha: 1, beta: 1).run()
                }
            }
        }
        let first = scratch + slot - s.sums, second = first + slot
        if let dw { for i in 0..<(k * f) { dw[i] = first[i] + second[i] } }
        if let db { for j in 0..<f { db[j] = first[k * f + j] + second[k * f + j] } }
    }

    /// The kernel `w` (`windowSize·channels × f`, a Keras kernel) with its taps reversed and each
    /// tap transposed: `windowSize·f × channels`, the kernel of the data gradient's convolution.
    static func flipKernel(_ w: UnsafePointer<Float>, windowSize: Int, channels c: Int, filters f: Int,
                           into flipped: UnsafeMutablePointer<Float>) {
        for t in 0..<windowSize {
            let src = w + (windowSize - 1 - t) * c * f, dst = flipped + t * f * c
            for ci in 0..<c {
                for o in 0..<f { dst[o * c + ci] = src[ci * f + o] }
            }
        }
    }
}

extension WindowGeometry {
    /// Whether every stride is 1.
    var unitStrides: Bool { stride == (1, 1, 1) }

    /// For unit strides: the geometry whose convolution of the output gradient (`filters`
    /// channels) with the flipped kernel is the input gradient. Its input is this output, its
    /// output this input, and it pads so that tap `t'` of input position `i` reads output
    /// position `i + padBefore − (window − 1 − t')·dilation`, where tap `window − 1 − t'` of
    /// the forward read `i`.
    func flippedForDataGradient(filters f: Int) -> WindowGeometry {
        func pad(_ k: Int, _ d: Int, _ before: Int) -> Int { (k - 1) * d - before }
        return WindowGeometry(batch: batch, channels: f, input: output, window: window, stride: (1, 1, 1),
                              dilation: dilation,
                              padBefore: (pad(window.0, dilation.0, padBefore.0), pad(window.1, dilation.1, padBefore.1),
                                          pad(window.2, dilation.2, padBefore.2)),
                              output: input)
    }
}
