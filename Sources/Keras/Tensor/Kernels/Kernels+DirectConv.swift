/// Convolutions whose reduction is tiny (window taps × input channels ≤ ``directConvLimit``: the
/// first layer of an image model, 9 for a 3×3 kernel on one channel, 27 on RGB), computed from
/// the input directly instead of through im2col and GEMM, which at such a `k` spend most of their
/// time copying the windows and packing (issue 12, reference/kernels.md): eight filters per SIMD
/// vector, bias and relu fused into the single store of each output, samples split across cores.
/// The kernel and bias gradients are accumulated the same way (the relu's backward fused in),
/// per sample in Float and across samples in Double.
extension Kernels {
    /// The largest reduction (taps × input channels) that runs the direct kernels.
    static let directConvLimit = 32

    /// `out[row, f] = bias[f] + Σ_t Σ_c x[tap_t(row), c] · w[t·cin + c, f]` over the windows of
    /// `g` (channels-last `x`, `w` of `windowSize·cin × filters`), clamped at zero when `relu`.
    static func directConv(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                           _ g: WindowGeometry, filters f: Int, relu: Bool, into out: UnsafeMutablePointer<Float>) {
        let cin = g.channels, vectorEnd = f - f % 8
        Parallel.forEachPart(g.batch, parts: Parallel.partCount(rows: g.batch, width: g.outputsPerSample * f)) { _, samples in
            g.forEachWindow(samples: samples) { row, taps in
                let o = out + row * f
                for j in stride(from: 0, to: vectorEnd, by: 8) {
                    var acc = bias.map { load8($0 + j) } ?? .zero
                    for t in 0..<taps.count where taps[t] >= 0 {
                        let xs = x + taps[t] * cin, ws = w + t * cin * f + j
                        for c in 0..<cin { acc += xs[c] * load8(ws + c * f) }
                    }
                    if relu { acc.replace(with: 0, where: acc .< 0) }
                    store8(acc, o + j)
                }
                for j in vectorEnd..<f {
                    var acc = bias?[j] ?? 0
                    for t in 0..<taps.count where taps[t] >= 0 {
                        let xs = x + taps[t] * cin, ws = w + t * cin * f + j
                        for c in 0..<cin { acc += xs[c] * ws[c * f] }
                    }
                    o[j] = relu ? Swift.max(acc, 0) : acc
                }
            }
        }
    }

    /// The kernel and bias gradients of ``directConv(_:_:bias:_:filters:relu:into:)`` from the
    /// upstream gradient `up` of its output `out`: with `relu`, `dz = up` where `out > 0`, else
    /// 0 (the activation's backward fused in; without `relu`, `up` is already `dz`), then
    /// `dw[t·cin + c, f] = Σ_row x[tap_t(row), c] · dz[row, f]` and `db[f] = Σ_row dz[row, f]`
    /// (both overwritten; `db` may be nil).
    static func directConvBackward(_ x: UnsafePointer<Float>, upstream up: UnsafePointer<Float>, output out: UnsafePointer<Float>,
                                   relu: Bool, _ g: WindowGeometry, filters f: Int,
                                   kernel dw: UnsafeMutablePointer<Float>, bias db: UnsafeMutablePointer<Float>?) {
        let cin = g.channels, size = (g.windowSize * cin + 1) * f, vectorEnd = f - f % 8
        let parts = Parallel.partCount(rows: g.batch, width: g.outputsPerSample * f)
        // Per part: Float sums of one sample (kernel rows, then the bias row), and Double totals.
        let sample = UnsafeMutablePointer<Float>.allocate(capacity: parts * (size + f))
        let total = UnsafeMutablePointer<Double>.allocate(capacity: parts * size)
        defer {
            sample.deallocate()
            total.deallocate()
        }
        total.initialize(repeating: 0, count: parts * size)
        Parallel.forEachPart(g.batch, parts: parts) { p, samples in
            let acc = sample + p * (size + f), dz = acc + size, sum = total + p * size
            for n in samples {
                acc.initialize(repeating: 0, count: size)
                g.forEachWindow(samples: n..<(n + 1)) { row, taps in
                    let u = up + row * f, o = out + row * f
                    for j in Swift.stride(from: 0, to: vectorEnd, by: 8) {
                        var d = load8(u + j)
                        if relu { d.replace(with: 0, where: .!(load8(o + j) .> 0)) }
                        store8(d, dz + j)
                    }
                    for j in vectorEnd..<f { dz[j] = !relu || o[j] > 0 ? u[j] : 0 }
                    addScaled(1, dz, into: acc + size - f, count: f)
                    for t in 0..<taps.count where taps[t] >= 0 {
                        let xs = x + taps[t] * cin
                        for c in 0..<cin { addScaled(xs[c], dz, into: acc + (t * cin + c) * f, count: f) }
                    }
                }
                for i in 0..<size { sum[i] += Double(acc[i]) }
            }
        }
        for i in 0..<size {
            var s = 0.0
            for p in 0..<parts { s += total[p * size + i] }
            if i < size - f { dw[i] = Float(s) } else if let db { db[i - (size - f)] = Float(s) }
        }
    }

    /// `y[j] += a · x[j]` for `count` floats, eight at a time.
    @inline(__always)
    static func addScaled(_ a: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let vectorEnd = count - count % 8
        for j in stride(from: 0, to: vectorEnd, by: 8) { store8(load8(y + j) + a * load8(x + j), y + j) }
        for j in vectorEnd..<count { y[j] += a * x[j] }
    }
}
