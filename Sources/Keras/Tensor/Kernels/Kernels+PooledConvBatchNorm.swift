/// The first convolution of an image model, a BatchNormalization after it (in training) and a
/// max pooling after that (``PooledConvGeometry``), without the normalized tensor or any
/// full-size gradient: the convolution's output `x` is stored once (the batch statistics need
/// all of it), the normalization `x · a + b` is computed inside the pooling, and in the backward
/// the pooled gradient reaches only each window's maximum, so the normalization's gradient sums
/// run over the pooled outputs and its input gradient `g·a + r + x·q` (``Ops/batchNormalizationTraining(_:axis:offset:scale:epsilon:)``)
/// is formed per position, relu's mask applied, and fed straight into the kernel gradient.
extension Kernels {
    /// The max pooling of `x · a[c] + b[c]` (`x` the convolution's output, `f` channels) into
    /// `out`, with each maximum's window position in `argmax` (one byte each).
    static func affineMaxPool(_ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              _ p: PooledConvGeometry, channels f: Int, into out: UnsafeMutablePointer<Float>,
                              argmax: UnsafeMutableRawPointer) {
        let vectorEnd = f - f % 8
        Parallel.forEachPart(p.batch, parts: Parallel.balancedPartCount(rows: p.batch, width: p.conv.outputsPerSample * f)) { _, samples in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.max(f, 1)) { buffer in
                guard let row = buffer.baseAddress else { return }
                p.forEachWindowPosition(samples: samples) { pooled, k, n, od, oh, ow in
                    let xr = x + p.convRow(n, od, oh, ow) * f
                    for j in stride(from: 0, to: vectorEnd, by: 8) { store8(load8(xr + j) * load8(a + j) + load8(b + j), row + j) }
                    for j in vectorEnd..<f { row[j] = xr[j] * a[j] + b[j] }
                    mergeMax(row, position: k, into: out + pooled * f, argmax: argmax + pooled * f, count: f)
                }
            }
        }
    }

    /// Per channel `c`: `first[c] = Σ up` and `second[c] = Σ up · (x − shift[c])` over the pooled
    /// outputs, `x` being the convolution's output at each maximum's position: the sums of the
    /// normalization's backward, whose upstream gradient is zero everywhere else.
    static func pooledChannelSums(_ up: UnsafePointer<Float>, argmax: UnsafeRawPointer, _ x: UnsafePointer<Float>,
                                  shift: UnsafePointer<Float>, _ p: PooledConvGeometry, channels f: Int,
                                  into first: UnsafeMutablePointer<Double>, _ second: UnsafeMutablePointer<Double>) {
        let parts = Parallel.balancedPartCount(rows: p.batch, width: p.outputsPerSample * f)
        first.initialize(repeating: 0, count: f)
        second.initialize(repeating: 0, count: f)
        withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(p.pool.0 * p.pool.1 * p.pool.2, 1)) { offsets in
            // The convolution output rows of a window's positions, after its first.
            p.forEachWindowPosition(samples: 0..<Swift.min(p.batch, 1)) { pooled, k, n, od, oh, ow in
                if pooled == 0 { offsets[k] = p.convRow(n, od, oh, ow) }
            }
            // Per part: Double totals, and Float sums of one sample.
            withUnsafeTemporaryAllocation(of: Double.self, capacity: Swift.max(parts * 2 * f, 1)) { totals in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: Swift.max(parts * 2 * f, 1)) { sums in
                    guard let total = totals.baseAddress, let sum = sums.baseAddress else { return }
                    total.initialize(repeating: 0, count: parts * 2 * f)
                    Parallel.forEachPart(p.batch, parts: parts) { part, samples in
                        let s = sum + part * 2 * f, t = total + part * 2 * f
                        for n in samples {
                            s.initialize(repeating: 0, count: 2 * f)
                            p.forEachWindowPosition(samples: n..<(n + 1)) { pooled, k, n, od, oh, ow in
                                guard k == 0 else { return }
                                let base = p.convRow(n, od, oh, ow), u = up + pooled * f, a = argmax + pooled * f
                                for j in 0..<f {
                                    let at = base + offsets[Int(a.load(fromByteOffset: j, as: UInt8.self))]
                                    s[j] += u[j]
                                    s[f + j] += u[j] * (x[at * f + j] - shift[j])
                                }
                            }
                            for j in 0..<(2 * f) { t[j] += Double(s[j]) }
                        }
                    }
                    for part in 0..<parts {
                        for j in 0..<f {
                            first[j] += total[part * 2 * f + j]
                            second[j] += total[part * 2 * f + f + j]
                        }
                    }
                }
            }
        }
    }

    /// The kernel and bias gradients of the convolution (output `x`, relu when `relu`) under the
    /// normalization `x · a + b` and ``affineMaxPool(_:_:_:_:channels:into:argmax:)``, from the
    /// pooled gradient `up`: per sample the pooled gradient is put at each maximum's position
    /// (`g`, zero elsewhere), `dz = g·a + r + x·q` where `x > 0` (relu), else 0, then as
    /// ``directConvBackward(_:upstream:output:relu:_:filters:kernel:bias:)`` (both overwritten; `db` may be nil).
    static func directConvBatchNormBackward(_ input: UnsafePointer<Float>, upstream up: UnsafePointer<Float>,
                                            argmax: UnsafeRawPointer, output x: UnsafePointer<Float>,
                                            a: UnsafePointer<Float>, q: UnsafePointer<Float>, r: UnsafePointer<Float>,
                                            relu: Bool, _ p: PooledConvGeometry, filters f: Int,
                                            kernel dw: UnsafeMutablePointer<Float>, bias db: UnsafeMutablePointer<Float>?) {
        let perSample = p.conv.outputsPerSample, vectorEnd = f - f % 8, covers = p.coversOutput
        directConvGradients(input, p.conv, filters: f, work: perSample * f, sampleScratch: perSample * f,
                            kernel: dw, bias: db) { n, pending, g in
            if !covers { g.initialize(repeating: 0, count: perSample * f) }
            let first = n * perSample
            p.forEachWindowPosition(samples: n..<(n + 1)) { pooled, k, n, od, oh, ow in
                let gr = g + (p.convRow(n, od, oh, ow) - first) * f, u = up + pooled * f, am = argmax + pooled * f
                for j in Swift.stride(from: 0, to: vectorEnd, by: 8) {
                    store8(SIMD8<Float>.zero.replacing(with: load8(u + j), where: argmaxHits(am, j, equal: k)), gr + j)
                }
                for j in vectorEnd..<f { gr[j] = Int(am.load(fromByteOffset: j, as: UInt8.self)) == k ? u[j] : 0 }
            }
            p.conv.forEachWindow(samples: n..<(n + 1)) { row, taps in
                let xr = x + row * f, gr = g + (row - first) * f, dz = pending.next
                for j in Swift.stride(from: 0, to: vectorEnd, by: 8) {
                    let xv = load8(xr + j)
                    var d = load8(gr + j) * load8(a + j) + load8(r + j)
                    d += xv * load8(q + j)
                    if relu { d.replace(with: 0, where: .!(xv .> 0)) }
                    store8(d, dz + j)
                }
                for j in vectorEnd..<f {
                    let d = gr[j] * a[j] + r[j] + xr[j] * q[j]
                    dz[j] = !relu || xr[j] > 0 ? d : 0
                }
                pending.append(taps)
            }
        }
    }
}
