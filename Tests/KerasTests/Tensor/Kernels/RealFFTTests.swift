import XCTest
@testable import Keras

/// RealFFT against the DFT's definition `X[k] = Σₜ x[t]·e^(−2πi·t·k/n)` summed directly in double
/// precision: powers of two (radix-2), even lengths whose half is not one (the packed transform
/// over Bluestein's), odd lengths (Bluestein's on the whole signal), and the length 1.
final class RealFFTTests: XCTestCase {
    func testRealFFTIsTheDFT() {
        for n in [1, 2, 3, 8, 12, 15, 64, 100, 255, 400, 1024] {
            let fft = RealFFT(length: n)
            XCTAssertEqual(fft.bins, n / 2 + 1)
            let g = RandomGenerator(seed: UInt64(n))
            let x = (0..<n).map { _ in g.uniform() * 2 - 1 }
            let scale = (0..<n).map { Double($0 % 5) / 4 + 0.25 }
            var re = [Double](repeating: .nan, count: fft.bins), im = re
            var work = [Double](repeating: .nan, count: fft.workCount)
            x.withUnsafeBufferPointer { xp in
                scale.withUnsafeBufferPointer { sp in
                    fft.transform(xp.baseAddress!, scale: sp.baseAddress, re: &re, im: &im, work: &work)
                }
            }
            let norm = (0..<n).reduce(0) { $0 + Swift.abs(Double(x[$1]) * scale[$1]) }
            for k in 0..<fft.bins {
                var wr = 0.0, wi = 0.0
                for t in 0..<n {
                    let angle = -2 * Double.pi * Double((t * k) % n) / Double(n)
                    wr += Double(x[t]) * scale[t] * cos(angle)
                    wi += Double(x[t]) * scale[t] * sin(angle)
                }
                XCTAssertEqual(re[k], wr, accuracy: 1e-12 * Swift.max(norm, 1), "n \(n), bin \(k) (real)")
                XCTAssertEqual(im[k], wi, accuracy: 1e-12 * Swift.max(norm, 1), "n \(n), bin \(k) (imaginary)")
            }
        }
    }
}
