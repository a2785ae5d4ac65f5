import Foundation

/// Mel spectrograms of audio signals, `(samples)` → `(mel_bins, frames)` or batched
/// `(batch, samples)` → `(batch, mel_bins, frames)`: the centred STFT (reflect padding of half
/// an FFT, a periodic `hann`/`hamming` window or given values), magnitudes to `mag_exp`, HTK
/// triangular mel filters between `min_freq` and `max_freq`, and with `power_to_db` decibels
/// relative to `ref_power`, floored `top_db` below the largest value of the call. A preprocessing
/// layer: no weights, and no gradient through it. Keras: `keras.layers.MelSpectrogram`.
///
/// ```swift
/// let mel = try MelSpectrogram(fftLength: 2048, sequenceStride: 256, samplingRate: 8000, numMelBins: 64)
/// try mel(Tensor(shape: [16000]))   // shape [64, 63]
/// ```
public final class MelSpectrogram: Layer, @unchecked Sendable {
    public let fftLength: Int
    public let sequenceStride: Int
    /// The window's length (the frame before zero padding to `fftLength`).
    public let sequenceLength: Int
    public let window: SignalWindow?
    public let samplingRate: Int
    public let numMelBins: Int
    public let minFreq: Double
    public let maxFreq: Double
    public let powerToDB: Bool
    public let topDB: Double
    public let magExp: Double
    public let minPower: Double
    public let refPower: Double

    /// The window zero-padded to `fftLength`, the real FFT of that length and the mel filters
    /// `(bins, numMelBins)`, made at the first call.
    private var matrices: (window: [Double], fft: RealFFT, mel: Tensor)?
    private let matricesLock = NSLock()

    public init(fftLength: Int = 2048, sequenceStride: Int = 512, sequenceLength: Int? = nil,
                window: SignalWindow? = .named("hann"), samplingRate: Int = 16000, numMelBins: Int = 128,
                minFreq: Double = 20, maxFreq: Double? = nil, powerToDB: Bool = true, topDB: Double = 80,
                magExp: Double = 2, minPower: Double = 1e-10, refPower: Double = 1, name: String? = nil) throws {
        let who = "MelSpectrogram"
        let length = sequenceLength ?? fftLength
        guard fftLength > 0, fftLength <= 1 << 16, length > 0 else {
            throw KerasError.invalidArgument("\(who): fft_length and sequence_length must be positive (fft_length at most 65536), got fft_length=\(fftLength), sequence_length=\(length)")
        }
        guard fftLength >= length else {
            throw KerasError.invalidArgument("\(who): `fft_length` must be greater than or equal to `sequence_length`. Received: `sequence_length`=\(length), `fft_length`=\(fftLength).")
        }
        guard sequenceStride > 0 else {
            throw KerasError.invalidArgument("\(who): sequence_stride must be positive, got \(sequenceStride)")
        }
        guard numMelBins > 0, numMelBins <= 1 << 16, samplingRate > 0 else {
            throw KerasError.invalidArgument("\(who): num_mel_bins and sampling_rate must be positive, got num_mel_bins=\(numMelBins), sampling_rate=\(samplingRate)")
        }
        switch window {
        case .named(let n)? where n != "hann" && n != "hamming":
            throw KerasError.invalidArgument("\(who): if a string is passed to `window`, it must be one of \"hann\", \"hamming\". Received: window='\(n)'")
        case .values(let v)? where v.count != length:
            throw KerasError.invalidArgument("\(who): the shape of `window` must be equal to [sequence_length]. Received: a window of \(v.count) values, sequence_length=\(length)")
        default: break
        }
        self.fftLength = fftLength
        self.sequenceStride = sequenceStride
        self.sequenceLength = length
        self.window = window
        self.samplingRate = samplingRate
        self.numMelBins = numMelBins
        self.minFreq = minFreq
        self.maxFreq = maxFreq ?? Double(samplingRate / 2)
        self.powerToDB = powerToDB
        self.topDB = topDB
        self.magExp = magExp
        self.minPower = minPower
        self.refPower = refPower
        super.init(name: name, trainable: true)
    }

    /// The one-sided frequency bins: `fftLength / 2 + 1`.
    var bins: Int { fftLength / 2 + 1 }

    /// The frames of a signal of `samples`: its centred (padded) length over the stride.
    func frames(_ samples: Int) -> Int { (samples + 2 * (fftLength / 2) - fftLength) / sequenceStride + 1 }

    private func prepared() throws -> (window: [Double], fft: RealFFT, mel: Tensor) {
        matricesLock.lock()
        defer { matricesLock.unlock() }
        if let matrices { return matrices }
        // The window (periodic, as Keras's stft asks scipy), zero-padded to the FFT's length.
        let win = try window?.values(length: sequenceLength, periodic: true, owner: "MelSpectrogram") ?? Array(repeating: 1, count: sequenceLength)
        let left = (fftLength - sequenceLength) / 2
        var padded = [Double](repeating: 0, count: fftLength)
        for t in 0..<sequenceLength { padded[t + left] = win[t] }
        let made = (padded, RealFFT(length: fftLength), melFilters())
        matrices = made
        return made
    }

    /// Keras's `linear_to_mel_weight_matrix`: HTK mel triangles with peak 1, the DC bin zero.
    func melFilters() -> Tensor {
        let b = bins, m = numMelBins
        func mel(_ hz: Double) -> Double { 1127 * Foundation.log(1 + hz / 700) }
        let lo = mel(minFreq), hi = mel(maxFreq)
        let edges = (0..<(m + 2)).map { lo + (hi - lo) * Double($0) / Double(m + 1) }
        let out = Tensor(shape: [b, m])
        for i in 1..<b {
            let f = mel(Double(samplingRate) / 2 * Double(i) / Double(b - 1))
            for j in 0..<m {
                let lower = (f - edges[j]) / (edges[j + 1] - edges[j])
                let upper = (edges[j + 2] - f) / (edges[j + 2] - edges[j + 1])
                out.data[i * m + j] = Float(Swift.max(0, Swift.min(lower, upper)))
            }
        }
        return out
    }

    public override func call(_ x: Tensor, training: Bool) throws -> Tensor {
        guard x.rank == 1 || x.rank == 2 else {
            throw KerasError.shapeMismatch("MelSpectrogram '\(name)' expects a signal (samples) or a batch (batch, samples), got shape \(x.shape)")
        }
        if let tape = GradientTape.active, tape.tracks(x) {
            throw KerasError.invalidArgument("MelSpectrogram '\(name)' is a preprocessing layer without a gradient: its input must not depend on trained weights")
        }
        let batch = x.rank == 1 ? 1 : x.shape[0], samples = x.shape[x.rank - 1]
        guard samples > 0, (0..<x.count).allSatisfy({ x.data[$0].isFinite }) else {
            throw KerasError.invalidData("MelSpectrogram '\(name)': the signal must have samples, all finite numbers, got shape \(x.shape)")
        }
        let (win, fft, melMatrix) = try prepared()
        let n = fftLength, half = n / 2, b = bins, m = numMelBins, step = sequenceStride
        let count = frames(samples)
        guard count > 0 else {
            throw KerasError.shapeMismatch("MelSpectrogram '\(name)': a signal of \(samples) samples gives no frame of \(n)")
        }
        let rows = batch * count
        guard rows > 0 else { return Tensor(shape: [0, m, count]) }
        let scratch = try ShapeMath.product([rows, n + b + m], "MelSpectrogram '\(name)'")
        try MemoryBudget.require(scratch * MemoryLayout<Float>.size, for: "MelSpectrogram '\(name)' on a signal of shape \(x.shape)")
        // Frames of the reflect-padded signals, one per row.
        let framed = Tensor.uninitialized([rows, n])
        let period = 2 * (samples - 1)
        for s in 0..<batch {
            let signal = x.data + s * samples
            for f in 0..<count {
                let row = framed.data + (s * count + f) * n
                for t in 0..<n {
                    var i = f * step + t - half
                    if period == 0 { i = 0 } else {
                        i = ((i % period) + period) % period
                        if i >= samples { i = period - i }
                    }
                    row[t] = signal[i]
                }
            }
        }
        // Each windowed frame's spectrum (the FFT), its magnitudes to `mag_exp`.
        let power = Tensor.uninitialized([rows, b])
        let exponent = Float(magExp)
        let work = UnsafeMutablePointer<Double>.allocate(capacity: 2 * b + fft.workCount)
        defer { work.deallocate() }
        win.withUnsafeBufferPointer { window in
            let re = work, im = work + b
            for r in 0..<rows {
                fft.transform(framed.data + r * n, scale: window.baseAddress, re: re, im: im, work: work + 2 * b)
                for k in 0..<b {
                    let x = Float(re[k]), y = Float(im[k])
                    power.data[r * b + k] = Foundation.pow((x * x + y * y).squareRoot(), exponent)
                }
            }
        }
        let melled = Tensor.uninitialized([rows, m])
        Kernels.gemm(power.data, transA: false, melMatrix.data, transB: false, melled.data, m: rows, n: m, k: b)
        if powerToDB { decibels(melled) }
        // (batch, frames, mel) → (batch, mel, frames).
        let out = Tensor.uninitialized(x.rank == 1 ? [m, count] : [batch, m, count])
        for s in 0..<batch {
            for f in 0..<count {
                for j in 0..<m { out.data[(s * m + j) * count + f] = melled.data[(s * count + f) * m + j] }
            }
        }
        return out
    }

    /// `10 log10(max(S, min_power) / max(|ref_power|, min_power))`, floored `top_db` below the
    /// largest value of the whole call (as Keras: across the batch), in place.
    private func decibels(_ t: Tensor) {
        let floor = Float(minPower)
        let ref = Float(10 * Foundation.log10(Swift.max(Swift.abs(refPower), minPower)))
        var top = -Float.infinity
        for i in 0..<t.count {
            let v = 10 * Foundation.log10(Swift.max(t.data[i], floor)) - ref
            t.data[i] = v
            top = Swift.max(top, v)
        }
        let lowest = top - Float(topDB)
        for i in 0..<t.count { t.data[i] = Swift.max(t.data[i], lowest) }
    }

    public override func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        guard inputShape.count == 1 || inputShape.count == 2, let samples = inputShape.last else {
            throw KerasError.shapeMismatch("MelSpectrogram '\(name)' expects a signal (samples) or a batch (batch, samples), got shape \(formatShape(inputShape))")
        }
        let count = samples.map { frames($0) }
        return inputShape.count == 1 ? [numMelBins, count] : [inputShape[0], numMelBins, count]
    }
}

extension MelSpectrogram: DeclaredLayer {
    /// Keras: `MelSpectrogram(fft_length=2048, sequence_stride=512, sequence_length=None,
    /// window="hann", sampling_rate=16000, num_mel_bins=128, min_freq=20.0, max_freq=None,
    /// power_to_db=True, top_db=80.0, mag_exp=2.0, min_power=1e-10, ref_power=1.0)`.
    public static let declaration = LayerDeclaration(MelSpectrogram.self, checkedWhenBuilt: ["fft_length": nil, "sequence_stride": nil, "num_mel_bins": nil, "top_db": nil, "mag_exp": nil,
                                                                        "min_power": nil, "ref_power": nil], arguments: [
        .optional("fft_length", \.fftLength, default: 2048),
        .optional("sequence_stride", \.sequenceStride, default: 512),
        .optional("sequence_length", default: nil) { .int($0.sequenceLength) },
        .optional("window", default: "hann") { $0.window?.configValue ?? .null },
        .optional("sampling_rate", \.samplingRate, default: 16000),
        .optional("num_mel_bins", \.numMelBins, default: 128),
        .optional("min_freq", \.minFreq, default: 20.0),
        .optional("max_freq", default: nil) { l in l.maxFreq == l.maxFreq.rounded() ? .int(Int(l.maxFreq)) : .double(l.maxFreq) },
        .optional("power_to_db", \.powerToDB, default: true),
        .optional("top_db", \.topDB, default: 80.0),
        .optional("mag_exp", \.magExp, default: 2.0),
        .optional("min_power", \.minPower, default: 1e-10),
        .optional("ref_power", \.refPower, default: 1.0),
    ]) { c in
        try c.refuseNone("fft_length", "sampling_rate")
        return try MelSpectrogram(fftLength: c.int("fft_length"), sequenceStride: c.int("sequence_stride"),
                                  sequenceLength: c.optionalInt("sequence_length"),
                                  window: SignalWindow.configured(c.json["window"], owner: "MelSpectrogram config"),
                                  samplingRate: c.int("sampling_rate"), numMelBins: c.int("num_mel_bins"),
                                  minFreq: c.double("min_freq"), maxFreq: c["max_freq"] == nil ? nil : c.double("max_freq"),
                                  powerToDB: c.bool("power_to_db"), topDB: c.double("top_db"), magExp: c.double("mag_exp"),
                                  minPower: c.double("min_power"), refPower: c.double("ref_power"), name: c.name)
    }
}
@section("keras_layers") @used private let record: LayerRecord = { LayerDeclaration.record(MelSpectrogram.self, $0) }
