/// The first convolution of an image model, a BatchNormalization after it (in training) and a
/// max pooling after that (``PooledConvGeometry``), without the normalized tensor or any
/// full-size gradient: the convolution's output `x` is stored once (the batch statistics need
/// all of it), the normalization `x · a + b` is computed inside the pooling, and in the backward
/// the pooled gradient reaches only each window's maximum, so the normalization's gradient sums
/// run over the pooled outputs (the convolution's output at each maximum is kept by the pooling)
/// and its input gradient `g·a + r + x·q` (``Ops/batchNormalizationTraining(_:axis:offset:scale:epsilon:)``)
/// is formed per position, relu's mask applied, and fed straight into the kernel gradient.
extension Kernels {
    /// The max pooling of `x · a[c] + b[c]` (`x` the convolution's output, `f` channels) into
    /// `out`, with each maximum's window position in `argmax` (one byte each) and, when `kept` is
    /// given, `x` at that position in `kept` (pooled-size): one window at a time, 8 channels a
    /// step, its maximum, position and `x` in registers across the window's positions (the
    /// first maximum wins, NaN never; position 0 when nothing beats `-∞`), as
    /// ``mergeMax(_:position:into:argmax:count:)`` of the normalized rows would give. The
    /// normalization's backward sums then read `kept` instead of gathering from `x`.
    static func affineMaxPool(_ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                              _ p: PooledConvGeometry, channels f: Int, into out: UnsafeMutablePointer<Float>,
                              argmax: UnsafeMutableRawPointer, keeping kept: UnsafeMutablePointer<Float>?) {
        let vectorEnd = f - f % 8, size = p.pool.0 * p.pool.1 * p.pool.2
        withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(size, 1)) { buffer in
            guard let offsets = buffer.baseAddress else { return }
            p.windowOffsets(into: offsets)
            for k in 0..<size { offsets[k] *= f }
            Parallel.forEachPart(p.batch, parts: Parallel.balancedPartCount(rows: p.batch, width: p.conv.outputsPerSample * f)) { _, samples in
                p.forEachPoolingWindow(samples: samples) { pooled, first in
                    let xw = x + first * f, o = out + pooled * f, am = argmax + pooled * f
                    for j in stride(from: 0, to: vectorEnd, by: 8) {
                        let aj = load8(a + j), bj = load8(b + j)
                        var best = SIMD8<Float>(repeating: -.infinity), index = SIMD8<Int32>.zero, at = load8(xw + j)
                        for k in 0..<size {
                            let v = load8(xw + offsets[k] + j), z = v * aj + bj, better = z .> best
                            best.replace(with: z, where: better)
                            index.replace(with: SIMD8(repeating: Int32(truncatingIfNeeded: k)), where: better)
                            at.replace(with: v, where: better)
                        }
                        store8(best, o + j)
                        am.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: index), toByteOffset: j, as: SIMD8<UInt8>.self)
                        if let kept { store8(at, kept + pooled * f + j) }
                    }
                    for j in vectorEnd..<f {
                        var best = -Float.infinity, index = 0, at = xw[j]
                        for k in 0..<size {
                            let v = xw[offsets[k] + j], z = v * a[j] + b[j]
                            if z > best { (best, index, at) = (z, k, v) }
                        }
                        o[j] = best
                        am.storeBytes(of: UInt8(truncatingIfNeeded: index), toByteOffset: j, as: UInt8.self)
                        kept?[pooled * f + j] = at
                    }
                }
            }
        }
    }

    /// The kernel and bias gradients of the convolution (output `x`, relu when `relu`) under the
    /// normalization `x · a + b` and ``affineMaxPool(_:_:_:_:channels:into:argmax:keeping:)``, from the
    /// pooled gradient `up`: at every position `dz = g·a + r + x·q` where `x > 0` (relu), else 0,
    /// `g` being the pooled gradient at its window's maximum and zero elsewhere, formed window by
    /// window in registers (then the positions no window covers, where `g` is zero), then as
    /// ``directConvBackward(_:upstream:output:relu:_:filters:kernel:bias:)`` (both overwritten; `db` may be nil).
    static func directConvBatchNormBackward(_ input: UnsafePointer<Float>, upstream up: UnsafePointer<Float>,
                                            argmax: UnsafeRawPointer, output x: UnsafePointer<Float>,
                                            a: UnsafePointer<Float>, q: UnsafePointer<Float>, r: UnsafePointer<Float>,
                                            relu: Bool, _ p: PooledConvGeometry, filters f: Int,
                                            kernel dw: UnsafeMutablePointer<Float>, bias db: UnsafeMutablePointer<Float>?) {
        let perSample = p.conv.outputsPerSample, co = p.conv.output
        let covered = (p.output.0 * p.pool.0, p.output.1 * p.pool.1, p.output.2 * p.pool.2)
        directConvGradients(input, p.conv, filters: f, work: perSample * f, kernel: dw, bias: db) { n, pending in
            p.forEachPosition(samples: n..<(n + 1)) { pooled, k, row, taps in
                batchNormDz(x + row * f, up + pooled * f, argmax + pooled * f, position: k, a, q, r, relu: relu, count: f,
                            into: pending.next)
                pending.append(taps)
            }
            guard !p.coversOutput else { return }
            let first = n * perSample
            p.conv.forEachWindow(samples: n..<(n + 1)) { row, taps in
                let i = row - first, ow = i % co.2, oh = i / co.2 % co.1, od = i / (co.2 * co.1)
                guard od >= covered.0 || oh >= covered.1 || ow >= covered.2 else { return }
                batchNormDz(x + row * f, nil, argmax, position: 0, a, q, r, relu: relu, count: f, into: pending.next)
                pending.append(taps)
            }
        }
    }

    /// `dz = g·a + r + x·q` where `x > 0` (relu), else 0, for the `f` channels of one position
    /// (`x` its convolution output), `g` being `u` where the window's `argmax` is `k` and zero
    /// elsewhere (everywhere when `u` is nil).
    @inline(__always)
    private static func batchNormDz(_ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>?, _ am: UnsafeRawPointer,
                                    position k: Int, _ a: UnsafePointer<Float>, _ q: UnsafePointer<Float>,
                                    _ r: UnsafePointer<Float>, relu: Bool, count f: Int, into dz: UnsafeMutablePointer<Float>) {
        let vectorEnd = f - f % 8
        for j in Swift.stride(from: 0, to: vectorEnd, by: 8) {
            let xv = load8(x + j)
            var g = SIMD8<Float>.zero
            if let u { g.replace(with: load8(u + j), where: argmaxHits(am, j, equal: k)) }
            var d = g * load8(a + j) + load8(r + j)
            d += xv * load8(q + j)
            if relu { d.replace(with: 0, where: .!(xv .> 0)) }
            store8(d, dz + j)
        }
        for j in vectorEnd..<f {
            let g = u.map { Int(am.load(fromByteOffset: j, as: UInt8.self)) == k ? $0[j] : 0 } ?? 0
            let d = g * a[j] + r[j] + x[j] * q[j]
            dz[j] = !relu || x[j] > 0 ? d : 0
        }
    }
}
