import Foundation

/// The discrete Fourier transform of real signals of one length `n`, one-sided: bins
/// `0...n/2` of `X[k] = Σₜ x[t]·e^(−2πi·t·k/n)`. Computed in double precision: an iterative
/// radix-2 FFT where `n` (or `n/2`, for the packed real transform of an even `n`) is a power of
/// two, and Bluestein's chirp transform through a power-of-two FFT for any other length.
/// Made once per length and reused (read only, so one plan serves concurrent callers).
final class RealFFT: @unchecked Sendable {
    let length: Int
    /// The one-sided bins: `length / 2 + 1`.
    var bins: Int { length / 2 + 1 }
    /// The complex transform used: of `length / 2` points (even lengths, two real samples a
    /// point) or of `length` points.
    private let complex: ComplexFFT
    private let packed: Bool
    /// `e^(−2πi·k/length)` for the untangling of the packed transform.
    private let twiddleRe: [Double], twiddleIm: [Double]

    init(length n: Int) {
        length = n
        packed = n % 2 == 0 && n >= 2
        complex = ComplexFFT(length: packed ? n / 2 : n)
        let count = packed ? n / 2 : 0
        twiddleRe = (0..<count).map { Foundation.cos(-2 * Double.pi * Double($0) / Double(n)) }
        twiddleIm = (0..<count).map { Foundation.sin(-2 * Double.pi * Double($0) / Double(n)) }
    }

    /// The transform of `x` (`length` samples, each multiplied by `scale[t]` when given):
    /// `re[k]`, `im[k]` for `k` in `0...length/2`. `work` is `workCount` doubles of scratch.
    func transform(_ x: UnsafePointer<Float>, scale: UnsafePointer<Double>?, re: UnsafeMutablePointer<Double>,
                   im: UnsafeMutablePointer<Double>, work: UnsafeMutablePointer<Double>) {
        let n = length
        let m = complex.length
        let zr = work, zi = work + m, rest = work + 2 * m
        func sample(_ t: Int) -> Double { Double(x[t]) * (scale?[t] ?? 1) }
        if !packed {
            for t in 0..<n { zr[t] = sample(t); zi[t] = 0 }
            complex.forward(zr, zi, work: rest)
            for k in 0..<bins { re[k] = zr[k]; im[k] = zi[k] }
            return
        }
        for j in 0..<m { zr[j] = sample(2 * j); zi[j] = sample(2 * j + 1) }
        complex.forward(zr, zi, work: rest)
        // Z = E + i·O with E, O the transforms of the even and odd samples:
        // X[k] = E[k] + e^(−2πik/n)·O[k], E[k] = (Z[k] + conj Z[m−k]) / 2, O[k] = (Z[k] − conj Z[m−k]) / 2i.
        for k in 0..<m {
            let j = k == 0 ? 0 : m - k
            let er = (zr[k] + zr[j]) / 2, ei = (zi[k] - zi[j]) / 2
            let or = (zi[k] + zi[j]) / 2, oi = -(zr[k] - zr[j]) / 2
            let tr = twiddleRe[k], ti = twiddleIm[k]
            re[k] = er + tr * or - ti * oi
            im[k] = ei + tr * oi + ti * or
        }
        re[m] = zr[0] - zi[0]
        im[m] = 0
    }

    /// The doubles of scratch ``transform(_:scale:re:im:work:)`` needs.
    var workCount: Int { 2 * complex.length + complex.workCount }
}

/// The complex DFT of one length, in place on split real and imaginary parts.
final class ComplexFFT: @unchecked Sendable {
    let length: Int
    /// Radix-2 (a power of two): `e^(−2πi·k/length)`, `k < length/2`, and the bit reversal.
    private var cosines: [Double] = [], sines: [Double] = []
    private var reversed: [Int] = []
    /// Bluestein (any other length): the power-of-two transform of size ≥ 2·length − 1, the chirp
    /// `e^(−πi·t²/length)` and the transform of its conjugate's wrapped sequence.
    private var inner: ComplexFFT?
    private var chirpRe: [Double] = [], chirpIm: [Double] = []
    private var filterRe: [Double] = [], filterIm: [Double] = []

    init(length n: Int) {
        length = n
        if n & (n - 1) == 0 {
            cosines = (0..<(n / 2)).map { Foundation.cos(-2 * Double.pi * Double($0) / Double(n)) }
            sines = (0..<(n / 2)).map { Foundation.sin(-2 * Double.pi * Double($0) / Double(n)) }
            var bits = 0
            while 1 << bits < n { bits += 1 }
            reversed = (0..<n).map { i in
                var r = 0
                for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
                return r
            }
            return
        }
        var m = 1
        while m < 2 * n - 1 { m <<= 1 }
        let plan = ComplexFFT(length: m)
        inner = plan
        // t² mod 2n keeps the angle exact for long signals.
        chirpRe = (0..<n).map { Foundation.cos(-Double.pi * Double(($0 * $0) % (2 * n)) / Double(n)) }
        chirpIm = (0..<n).map { Foundation.sin(-Double.pi * Double(($0 * $0) % (2 * n)) / Double(n)) }
        var fr = [Double](repeating: 0, count: m), fi = [Double](repeating: 0, count: m)
        for t in 0..<n {
            fr[t] = chirpRe[t]; fi[t] = -chirpIm[t]
            if t > 0 { fr[m - t] = chirpRe[t]; fi[m - t] = -chirpIm[t] }
        }
        fr.withUnsafeMutableBufferPointer { r in
            fi.withUnsafeMutableBufferPointer { i in
                if let r = r.baseAddress, let i = i.baseAddress { plan.radix2(r, i) }
            }
        }
        filterRe = fr
        filterIm = fi
    }

    /// The doubles of scratch ``forward(_:_:work:)`` needs.
    var workCount: Int { inner.map { 2 * $0.length } ?? 0 }

    /// `X[k] = Σₜ x[t]·e^(−2πi·t·k/length)` in place.
    func forward(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>, work: UnsafeMutablePointer<Double>) {
        guard let inner else { return radix2(re, im) }
        // Bluestein: X[k] = chirp[k] · Σₜ (x[t]·chirp[t]) · conj chirp[k − t], a convolution.
        let n = length, m = inner.length
        let ar = work, ai = work + m
        for t in 0..<n {
            ar[t] = re[t] * chirpRe[t] - im[t] * chirpIm[t]
            ai[t] = re[t] * chirpIm[t] + im[t] * chirpRe[t]
        }
        for t in n..<m { ar[t] = 0; ai[t] = 0 }
        inner.radix2(ar, ai)
        for k in 0..<m {
            let r = ar[k] * filterRe[k] - ai[k] * filterIm[k]
            let i = ar[k] * filterIm[k] + ai[k] * filterRe[k]
            // The inverse transform as the forward one of the conjugate.
            ar[k] = r; ai[k] = -i
        }
        inner.radix2(ar, ai)
        let norm = 1 / Double(m)
        for k in 0..<n {
            let r = ar[k] * norm, i = -ai[k] * norm
            re[k] = r * chirpRe[k] - i * chirpIm[k]
            im[k] = r * chirpIm[k] + i * chirpRe[k]
        }
    }

    /// The iterative radix-2 transform (a power-of-two length) in place.
    fileprivate func radix2(_ re: UnsafeMutablePointer<Double>, _ im: UnsafeMutablePointer<Double>) {
        let n = length
        for i in 0..<n {
            let j = reversed[i]
            if i < j { swap(&re[i], &re[j]); swap(&im[i], &im[j]) }
        }
        var size = 2
        while size <= n {
            let half = size / 2, stride = n / size
            var start = 0
            while start < n {
                for j in 0..<half {
                    let wr = cosines[j * stride], wi = sines[j * stride]
                    let a = start + j, b = a + half
                    let tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr
                    re[b] = re[a] - tr; im[b] = im[a] - ti
                    re[a] += tr; im[a] += ti
                }
                start += size
            }
            size <<= 1
        }
    }
}
