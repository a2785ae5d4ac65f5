import XCTest
@testable import Keras

/// STFTSpectrogram, MelSpectrogram, the STFT initializer and HashedCrossing: gradients by finite
/// differences, values by their formulas, Keras's documented numbers, and bad arguments. Their
/// outputs against real Keras 3 are in bindings/python/tests/test_audio_layers.py.
final class AudioPreprocessingTests: XCTestCase {
    func testSTFTInitializerIsTheWindowedDFT() throws {
        let real = try STFT(side: "real", window: .named("hann"), scaling: "density")([6, 1, 5])
        let imag = try STFT(side: "imag", window: nil, scaling: nil)([6, 1, 5])
        let hann = (0..<6).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / 5) }
        let norm = hann.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for t in 0..<6 {
            for f in 0..<5 {
                let angle = -2 * Double.pi * Double(t * f) / 8
                // float32 phases, as Keras computes them: 1e-5 of the exact values.
                XCTAssertEqual(Double(real.data[t * 5 + f]), cos(angle) * hann[t] / norm, accuracy: 1e-5)
                XCTAssertEqual(Double(imag.data[t * 5 + f]), sin(angle), accuracy: 1e-5)
            }
        }
        XCTAssertEqual(try initializer(named: "STFTInitializer").className, "STFT")
        XCTAssertEqual(try initializer(className: "stft", config: ["side": "imag", "window": nil]).config,
                       ["side": "imag", "window": nil, "periodic": false, "scaling": "density"])
    }

    func testSignalWindowsFollowScipy() throws {
        // scipy.signal.get_window(name, 5, fftbins=False) and (name, 4, fftbins=True).
        let expected: [(String, [Double], [Double])] = [
            ("hamming", [0.08, 0.54, 1, 0.54, 0.08], [0.08, 0.54, 1, 0.54]),
            ("bartlett", [0, 0.5, 1, 0.5, 0], [0, 0.5, 1, 0.5]),
            ("triang", [1.0 / 3, 2.0 / 3, 1, 2.0 / 3, 1.0 / 3], [1.0 / 3, 2.0 / 3, 1, 2.0 / 3]),
            ("boxcar", [1, 1, 1, 1, 1], [1, 1, 1, 1]),
        ]
        for (name, symmetric, periodic) in expected {
            let w = SignalWindow.named(name)
            for (a, b) in zip(try w.values(length: 5, periodic: false, owner: "test"), symmetric) { XCTAssertEqual(a, b, accuracy: 1e-12, name) }
            for (a, b) in zip(try w.values(length: 4, periodic: true, owner: "test"), periodic) { XCTAssertEqual(a, b, accuracy: 1e-12, name) }
        }
        XCTAssertThrowsError(try SignalWindow.checked("kaiser", owner: "STFT")) { XCTAssertTrue("\($0)".contains("kaiser")) }
    }

    func testSTFTSpectrogramGradientsMatchFiniteDifferences() throws {
        let x = GradientCheck.random([2, 20, 2], seed: 3)
        for mode in ["log", "magnitude", "psd", "angle", "stft", "real"] {
            for (format, expand) in [(DataFormat.channelsLast, false), (.channelsFirst, true)] {
                let layer = try STFTSpectrogram(mode: mode, frameLength: 8, frameStep: 4, fftLength: 8, padding: "same",
                                                expandDims: expand, dataFormat: format)
                let input = try format == .channelsLast ? x : Ops.transpose(x, [0, 2, 1])
                guard mode == "angle" else {
                    try GradientCheck.check(layer: layer, input: input, step: 1e-3, atol: 3e-3, rtol: 3e-2)
                    continue
                }
                // The angle jumps by 2π across the negative real axis, where a kernel's change
                // can move the DC and Nyquist bins (their imaginary kernels are 0): inputs only.
                _ = try layer(input)
                try GradientCheck.check([input], step: 1e-3, atol: 3e-3, rtol: 3e-2, "angle") { try layer($0[0]) }
            }
        }
    }

    func testSTFTSpectrogramShapesAndWeights() throws {
        let layer = try STFTSpectrogram(mode: "log", frameLength: 256, frameStep: 128, fftLength: 512)
        XCTAssertEqual(try layer(Tensor(shape: [3, 1600, 2], repeating: 0.5)).shape, [3, 11, 514])
        XCTAssertEqual(layer.weights.map(\.name), ["real_kernel", "imag_kernel"])
        XCTAssertEqual(try layer.computeOutputShape([nil, 1600, 2]), [nil, 11, 514])
        let stft = try STFTSpectrogram(mode: "stft", frameLength: 8, padding: "same", expandDims: true)
        XCTAssertEqual(try stft(Tensor(shape: [1, 20, 3])).shape, [1, 5, 10, 3])
        XCTAssertEqual(try STFTSpectrogram(mode: "real").callEager([Tensor(shape: [1, 300, 1])]).shape, [1, 1, 129])
        XCTAssertEqual(try STFTSpectrogram(mode: "imag").weightsAfterBuild([1, 300, 1]), ["imag_kernel"])
    }

    func testMelSpectrogramShapesAndFilters() throws {
        let mel = try MelSpectrogram(fftLength: 2048, sequenceStride: 256, samplingRate: 8000, numMelBins: 64)
        let signal = Tensor((0..<16000).map { sin(Float($0) * 0.3) })
        XCTAssertEqual(try mel(signal).shape, [64, 63])
        XCTAssertEqual(try mel(Tensor(shape: [2, 16000], repeating: 0.1)).shape, [2, 64, 63])
        XCTAssertEqual(try mel.computeOutputShape([nil, 16000]), [nil, 64, 63])
        let filters = mel.melFilters()
        for j in 0..<64 {
            let column = (0..<1025).map { filters.data[$0 * 64 + j] }
            XCTAssertEqual(column[0], 0)
            XCTAssertLessThanOrEqual(column.max() ?? 2, 1)
            XCTAssertGreaterThan(column.max() ?? 0, 0.5)
        }
        let tape = GradientTape()
        XCTAssertThrowsError(try tape.record { try mel(tape.watch(signal)) }) { XCTAssertTrue("\($0)".contains("gradient")) }
    }

    func testMelSpectrogramRefusesFramesOverTheMemoryBudget() throws {
        MemoryBudget.bytes = 4 << 20
        defer { MemoryBudget.reset() }
        // 4 × 391 frames of 4096 samples, their spectra and mel rows: 39 MB.
        XCTAssertThrowsError(try MelSpectrogram(fftLength: 4096)(Tensor(shape: [4, 200_000]))) {
            XCTAssertTrue("\($0)".contains("memory budget"), "\($0)")
        }
    }

    func testHashedCrossingMatchesKerasNumbers() throws {
        // keras/src/layers/preprocessing/hashed_crossing_test.py: test_correctness.
        let a = try Tensor(strings: ["A", "B", "A", "B", "A"], shape: [5])
        let b = Tensor([101, 101, 101, 102, 102])
        XCTAssertEqual(try HashedCrossing(numBins: 5).callEager([a, b]).scalars, [1, 4, 1, 1, 3])
        let oneHot = try HashedCrossing(numBins: 5, outputMode: "one_hot").callEager([a, b])
        XCTAssertEqual(oneHot.shape, [5, 5])
        XCTAssertEqual((0..<5).map { r in (0..<5).first { oneHot.data[r * 5 + $0] == 1 } }, [1, 4, 1, 1, 3])
    }

    func testBadArgumentsAreNamed() throws {
        XCTAssertThrowsError(try STFTSpectrogram(mode: "loud")) { XCTAssertTrue("\($0)".contains("mode='loud'")) }
        XCTAssertThrowsError(try STFTSpectrogram(frameLength: 8, frameStep: 9)) { XCTAssertTrue("\($0)".contains("frame_step=9")) }
        XCTAssertThrowsError(try STFTSpectrogram(frameLength: 8, fftLength: 4)) { XCTAssertTrue("\($0)".contains("fft_length=4")) }
        XCTAssertThrowsError(try STFTSpectrogram(window: .values([1, 2]))) { XCTAssertTrue("\($0)".contains("[256]")) }
        XCTAssertThrowsError(try STFTSpectrogram()(Tensor(shape: [2, 300]))) { XCTAssertTrue("\($0)".contains("rank 3")) }
        XCTAssertThrowsError(try MelSpectrogram(window: .named("blackman"))) { XCTAssertTrue("\($0)".contains("blackman")) }
        XCTAssertThrowsError(try MelSpectrogram(fftLength: 256, sequenceLength: 512)) { XCTAssertTrue("\($0)".contains("sequence_length")) }
        XCTAssertThrowsError(try STFT(side: "left")) { XCTAssertTrue("\($0)".contains("left")) }
        let cross = try HashedCrossing(numBins: 3)
        XCTAssertThrowsError(try cross.callEager([Tensor([1, 2])])) { XCTAssertTrue("\($0)".contains("at least two")) }
        XCTAssertThrowsError(try cross.callEager([Tensor([1, 2]), Tensor([1, 2, 3])])) { XCTAssertTrue("\($0)".contains("equal shape")) }
        XCTAssertThrowsError(try cross.callEager([Tensor([1.5, 2]), Tensor([1, 2])])) { XCTAssertTrue("\($0)".contains("integer or string")) }
        XCTAssertThrowsError(try cross.callEager([Tensor(shape: [2, 2]), Tensor(shape: [2, 2])])) { XCTAssertTrue("\($0)".contains("(batch_size, 1)")) }
    }

    func testArctan2GradientMatchesFiniteDifferences() throws {
        let y = GradientCheck.random([3, 4], seed: 5), x = GradientCheck.random([4], in: 0.5...2, seed: 6)
        try GradientCheck.check([y, x]) { try Ops.arctan2($0[0], $0[1]) }
    }
}

private extension Layer {
    /// The weight names after building for `shape`.
    func weightsAfterBuild(_ shape: [Int?]) throws -> [String] {
        try ensureBuilt([shape])
        return weights.map(\.name)
    }
}
